//! The data `us-hts-2026` is compiled from besides its HTS export, shipped in the binary so
//! that `serve --hts-export FILE` compiles a newer export with the same Section 301 lists,
//! Section 232 derivative data, chapter 99 measures, metal-share estimates, preference
//! programs, known gaps and fees, wherever the binary runs. `scripts/compile_us_hts.sh` passes the same
//! files to `hts import`; a test checks the two compiles agree byte for byte.

use super::official::{Inputs, Named};

/// Where the metal-share estimates come from, as every use of one names it.
pub const METAL_SHARES_SOURCE: &str = "estimated steel + aluminum share of value per HTS10 (BEA input-output based; Budget Lab at Yale, tariff-rate-tracker metal_content_shares_bea_hs10.csv, MIT), rounded to 0.01%";

fn named(name: &str, text: &str) -> Named {
    Named {
        name: name.to_string(),
        text: text.to_string(),
    }
}

/// The shipped inputs, for a schedule of id `id`; the as-of date and source come from the
/// export (its wrapper) unless given.
pub fn inputs(id: &str, as_of_date: Option<String>, source: Option<String>) -> Inputs {
    Inputs {
        id: id.to_string(),
        as_of_date,
        source,
        section_301: Some(named(
            "data/us-tariff/s301_product_lists.csv",
            include_str!("../../data/us-tariff/s301_product_lists.csv"),
        )),
        section_232: Some((
            named(
                "data/us-tariff/s232_derivative_products.csv",
                include_str!("../../data/us-tariff/s232_derivative_products.csv"),
            ),
            named(
                "data/us-tariff/s232_derivative_rates.csv",
                include_str!("../../data/us-tariff/s232_derivative_rates.csv"),
            ),
        )),
        measures: Some(named(
            "data/us-tariff/chapter99_measures.json",
            include_str!("../../data/us-tariff/chapter99_measures.json"),
        )),
        metal_shares: Some((
            named(
                "data/us-tariff/metal_content_shares_bea_hs10.csv",
                include_str!("../../data/us-tariff/metal_content_shares_bea_hs10.csv"),
            ),
            METAL_SHARES_SOURCE.to_string(),
        )),
        fees_from: Some(named(
            "catalog/tariff_schedules/us-2026.json",
            include_str!("../../catalog/tariff_schedules/us-2026.json"),
        )),
        preference_programs: Some(named(
            "data/us-tariff/preference_programs.json",
            include_str!("../../data/us-tariff/preference_programs.json"),
        )),
        known_gaps: Some(named(
            "data/us-tariff/known_gaps.json",
            include_str!("../../data/us-tariff/known_gaps.json"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hts::official;

    /// The shipped extract compiled with the shipped inputs is the built-in `us-hts-2026`,
    /// byte for byte: what `serve --hts-export` loads from an export is what the importer
    /// (scripts/compile_us_hts.sh) writes.
    #[test]
    fn the_bundled_inputs_compile_the_built_in_schedule() {
        let (schedule, report) = official::compile(
            "data/us-tariff/usitc-hts-extract.json",
            include_str!("../../data/us-tariff/usitc-hts-extract.json"),
            &inputs("us-hts-2026", None, None),
        )
        .unwrap();
        let written = serde_json::to_string_pretty(&schedule).unwrap() + "\n";
        assert!(
            written == include_str!("../../catalog/tariff_schedules/us-hts-2026.json"),
            "the bundled inputs do not compile catalog/tariff_schedules/us-hts-2026.json: run scripts/compile_us_hts.sh, or align METAL_SHARES_SOURCE with it"
        );
        assert!(
            report.contains("metal-share estimates: 691 of 5680 rows"),
            "{report}"
        );
    }
}
