#!/usr/bin/env bash
# Compiles the built-in schedule `us-hts-2026` (catalog/tariff_schedules/us-hts-2026.json) from
# the official data in data/us-tariff/: the USITC HTS export (MFN and special rates; the
# chapter 99 headings' rates, dates and notes), the Section 301 product lists, the special
# programs of HTS General Note 3(c)(i), the programs the data does not carry (known gaps,
# reported as coverage gaps), and the user fees of `us-2026` (the HTS carries no
# fees). tests/cli.rs checks that the shipped file is exactly
# what this command writes, so run it after changing any of its inputs or the importer.
# Usage: scripts/compile_us_hts.sh [path/to/tariff-impact]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
    cargo build --quiet
    bin=target/debug/tariff-impact
fi
"$bin" hts import data/us-tariff/usitc-hts-extract.json --out catalog --id us-hts-2026 \
    --section-301 data/us-tariff/s301_product_lists.csv \
    --section-232-derivatives data/us-tariff/s232_derivative_products.csv \
    --section-232-rates data/us-tariff/s232_derivative_rates.csv \
    --measures data/us-tariff/chapter99_measures.json \
    --metal-shares data/us-tariff/metal_content_shares_bea_hs10.csv \
    --metal-shares-source "estimated steel + aluminum share of value per HTS10 (BEA input-output based; Budget Lab at Yale, tariff-rate-tracker metal_content_shares_bea_hs10.csv, MIT), rounded to 0.01%" \
    --fees-from catalog/tariff_schedules/us-2026.json \
    --preference-programs data/us-tariff/preference_programs.json \
    --known-gaps data/us-tariff/known_gaps.json
