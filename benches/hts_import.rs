//! Importing a full-size USITC HTS export and costing lines under it. The shipped extract
//! has 233 rows; the official export has about 35,800. This benchmark builds a ~36,000-row
//! export from the extract (its rows repeated under new headings, chapter 99 rows once) and
//! measures: the compile of its MFN rates alone and with the chapter 99 data shipped in the
//! binary (what `hts import` and `serve --hts-export` do), the whole start-up step (compile,
//! validate, index: `Catalog::add_hts_export`), and one 10-line BOM costed under the
//! resulting ~30,000-measure schedule against the same BOM under the hand-written `us-2026`
//! (10 measures): the HTS index must make the schedule's size cost a line next to nothing.
//! Run: `cargo bench --bench hts_import`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::time::Duration;
use tariff_impact::catalog::Catalog;
use tariff_impact::convert::{self, Limits};
use tariff_impact::engine::{self, Meter, model::Scenario};
use tariff_impact::hts::{bundled, official};
use tariff_impact::pb;

/// Copies of the extract's rows outside chapter 99 in the generated export (189 each, plus
/// the 44 chapter 99 rows once): about the official export's 35,800 rows.
const COPIES: usize = 190;

/// The extract's rows repeated: copy 0 is the extract itself, copy `k` > 0 moves each row's
/// 4-digit heading to a new one (3000 + 11 (k - 1) + the heading's index: 3000-5089, clear
/// of the extract's own headings), so every copy is a distinct, well-formed schedule section
/// with the same indents, rates and parents; chapter 99 rows appear once. The real codes keep
/// their lines, so a BOM costs the same charges under it as under `us-hts-2026`.
fn big_export() -> (String, usize) {
    let extract: Value =
        serde_json::from_str(include_str!("../data/us-tariff/usitc-hts-extract.json")).unwrap();
    let rows = extract["rows"].as_array().unwrap();
    let mut headings: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for r in rows {
        let htsno = r["htsno"].as_str().unwrap_or_default();
        if htsno.starts_with("99") {
            out.push(r.clone());
        }
    }
    for k in 0..COPIES {
        for r in rows {
            let htsno = r["htsno"].as_str().unwrap_or_default();
            if htsno.starts_with("99") {
                continue;
            }
            let mut r = r.clone();
            if k > 0 && htsno.len() >= 4 {
                let heading = htsno[..4].to_string();
                let index = match headings.iter().position(|h| *h == heading) {
                    Some(i) => i,
                    None => {
                        headings.push(heading);
                        headings.len() - 1
                    }
                };
                assert!(index < 11, "more than 11 headings in the extract");
                r["htsno"] = json!(format!("{}{}", 3000 + 11 * (k - 1) + index, &htsno[4..]));
            }
            out.push(r);
        }
    }
    let n = out.len();
    (serde_json::to_string(&out).unwrap(), n)
}

/// The built-in catalog plus `export` as schedule `us-hts-36k`: what `serve --hts-export`
/// does at start.
fn with_export(export: &str) -> Catalog {
    let mut catalog = Catalog::builtin().unwrap();
    catalog
        .add_hts_export(
            "big.json",
            export,
            "us-hts-36k",
            Some("2026-09-04".into()),
            Some("generated".into()),
        )
        .unwrap();
    catalog
}

fn inputs_mfn_only() -> official::Inputs {
    official::Inputs {
        id: "us-hts-36k".into(),
        as_of_date: Some("2026-09-04".into()),
        source: Some("generated from the USITC extract".into()),
        ..official::Inputs::default()
    }
}

fn compile(c: &mut Criterion) {
    let (export, rows) = big_export();
    eprintln!("generated export: {rows} rows, {} bytes", export.len());
    let mut group = c.benchmark_group("hts_import");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("compile_mfn_only", |b| {
        b.iter(|| official::compile("big.json", &export, &inputs_mfn_only()).unwrap())
    });
    let full = bundled::inputs(
        "us-hts-36k",
        Some("2026-09-04".into()),
        Some("generated from the USITC extract".into()),
    );
    group.bench_function("compile_with_chapter_99", |b| {
        b.iter(|| official::compile("big.json", &export, &full).unwrap())
    });
    group.bench_function("serve_start_compile_validate_index", |b| {
        b.iter(|| with_export(&export))
    });
    group.finish();
}

/// Ten imported components (magnets, motors, a vehicle, bearings, housings) from CN, DE, JP.
fn bom() -> pb::Bom {
    let items: Vec<Value> = [
        ("8505.11.0070", "CN"),
        ("8501.31.4000", "DE"),
        ("8703.80.0020", "JP"),
        ("8482.10.5044", "CN"),
        ("7616.99.5190", "MX"),
        ("8486.20.0000", "CN"),
        ("8507.60.0020", "KR"),
        ("2805.30.0000", "CN"),
        ("7326.90.8688", "DE"),
        ("8807.30.0060", "FR"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (hts, origin))| {
        json!({"id": format!("c{i}"), "unitPrice": "100",
               "import": {"htsCode": hts, "origin": origin, "transportMode": "TRANSPORT_MODE_OCEAN"}})
    })
    .collect();
    serde_json::from_value(json!({"id": "ten", "currency": "USD", "items": items})).unwrap()
}

fn line_cost(c: &mut Criterion) {
    let (export, _) = big_export();
    let catalog = with_export(&export);
    let big = &catalog.tariff_schedule("us-hts-36k").unwrap().domain;
    eprintln!("us-hts-36k: {} measures", big.measures().len());
    let small = &catalog.tariff_schedule("us-2026").unwrap().domain;
    let real = &catalog.tariff_schedule("us-hts-2026").unwrap().domain;
    let bom = convert::bom::bom(&bom(), "bom", &Limits::default())
        .unwrap()
        .bom;
    let deck = &catalog.price_deck("ree-pre-restriction").unwrap().domain;
    let o: pb::CalculationOptions =
        serde_json::from_value(json!({"entryDate": "2026-03-02"})).unwrap();
    let options = convert::options::options(Some(&o), "options").unwrap();
    let mut group = c.benchmark_group("ten_lines_costed_under");
    group.sample_size(50);
    for (name, schedule) in [
        ("us-2026 (10 measures)", small),
        ("us-hts-2026", real),
        ("us-hts-36k", big),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                engine::calculate(
                    &Scenario {
                        bom: &bom,
                        baseline_prices: deck,
                        scenario_prices: deck,
                        baseline_schedule: schedule,
                        scenario_schedule: schedule,
                        baseline_fx: None,
                        scenario_fx: None,
                        options: &options,
                    },
                    &Meter::unlimited(),
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, compile, line_cost);
criterion_main!(benches);
