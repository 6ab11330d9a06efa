//! Turns what the importer read into catalog files: the MFN rates of an export as a tariff
//! schedule message (the format of `catalog/tariff_schedules/*.json` and of inline
//! schedules), one measure per rated HTS line. The engine charges one MFN rate per line, the
//! most specific, so a statistical line's rate replaces its subheading's, never adds to it.

use super::export::MfnImport;
use super::lists::ListImport;
use crate::convert::enums::{program_to_pb, unit_to_pb};
use crate::engine::model::{Program, Rate};
use crate::pb;
use rust_decimal::Decimal;

/// What a compiled schedule says of itself.
#[derive(Debug, Clone)]
pub struct ScheduleMeta {
    /// Schedule id (a preset id once loaded with `--catalog`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// The date the data was fetched or is valid for, `YYYY-MM-DD`.
    pub as_of_date: String,
    /// Where the data came from (the export's URL and revision).
    pub source: String,
}

fn text(d: Decimal) -> String {
    d.normalize().to_string()
}

fn rate_to_pb(rate: &Rate) -> pb::Rate {
    pb::Rate {
        ad_valorem_percent: rate.ad_valorem_percent.map(text).unwrap_or_default(),
        specific_amount: rate.specific.map(|(a, _)| text(a)).unwrap_or_default(),
        specific_unit: rate
            .specific
            .map_or(pb::UnitOfMeasure::Unspecified, |(_, u)| unit_to_pb(u))
            as i32,
        minimum_amount: rate.minimum.map(text).unwrap_or_default(),
        maximum_amount: rate.maximum.map(text).unwrap_or_default(),
        limit_unit: rate
            .limit_unit
            .map_or(pb::UnitOfMeasure::Unspecified, unit_to_pb) as i32,
    }
}

/// A program's product lists, compiled as alternatives: one measure per chapter 99 heading
/// (its id the heading), all in one `group`, so a subheading listed under several headings
/// pays the highest rate in force once. Each measure's source names the export's heading row,
/// its rate text, the U.S. note it cites and the lists (`lists_source`) that put each
/// subheading under it.
pub fn list_measures(
    import: &ListImport,
    program: Program,
    group: &str,
    meta: &ScheduleMeta,
    lists_source: &str,
) -> Vec<pb::Measure> {
    import
        .measures
        .iter()
        .map(|m| pb::Measure {
            id: m.heading.clone(),
            name: format!(
                "{} {} (lists {})",
                program.label(),
                m.heading,
                m.lists.join(", ")
            ),
            program: program_to_pb(program) as i32,
            hts_prefixes: m.hts8.clone(),
            origins: m.origins.clone(),
            effective_from: m.window.from.map(|d| d.to_string()).unwrap_or_default(),
            effective_to: m.window.to.map(|d| d.to_string()).unwrap_or_default(),
            rate: Some(rate_to_pb(&m.rate)),
            basis: pb::DutyBasis::FullValue as i32,
            alternative_group: group.to_string(),
            source: format!(
                "{}: heading {} {:?}{}; subheadings from {lists_source}",
                meta.source,
                m.heading,
                m.text,
                m.note
                    .as_ref()
                    .map(|n| format!(", HTSUS chapter 99 subchapter III {n}"))
                    .unwrap_or_default()
            ),
            ..Default::default()
        })
        .collect()
}

/// What an MFN-only schedule's description ends with, until list measures are added.
const NO_CHAPTER_99: &str = "; chapter 99 measures are not included";

/// Adds a program's list measures ([`list_measures`]) to a schedule and says so in its
/// description.
pub fn add_list_measures(
    schedule: &mut pb::TariffSchedule,
    measures: Vec<pb::Measure>,
    program: Program,
) {
    let base = schedule
        .description
        .strip_suffix(NO_CHAPTER_99)
        .unwrap_or(&schedule.description);
    schedule.description = format!(
        "{base}; {} from its product lists: {} chapter 99 headings, the highest rate in force charged once per line",
        program.label(),
        measures.len()
    );
    schedule.measures.extend(measures);
}

/// The MFN rates of `import` as a USD schedule: measure `mfn-<HTS number>` on the line's
/// digits, its source naming the line, its text and the parent it was inherited from.
pub fn mfn_schedule(import: &MfnImport, meta: &ScheduleMeta) -> pb::TariffSchedule {
    let measures = import
        .rates
        .iter()
        .map(|r| pb::Measure {
            id: format!("mfn-{}", r.htsno),
            name: format!("MFN {}", r.htsno),
            program: pb::Program::Mfn as i32,
            hts_prefixes: vec![r.digits.clone()],
            rate: Some(rate_to_pb(&r.rate)),
            preference_rates: r
                .special
                .iter()
                .map(|(programs, rate)| pb::PreferenceRate {
                    programs: programs.clone(),
                    rate: Some(rate_to_pb(rate)),
                })
                .collect(),
            basis: pb::DutyBasis::FullValue as i32,
            source: match &r.inherited_from {
                Some(parent) => format!(
                    "{}: HTS {} column 1 general {:?}, printed on its 8-digit line {parent}",
                    meta.source, r.htsno, r.text
                ),
                None => format!(
                    "{}: HTS {} column 1 general {:?}",
                    meta.source, r.htsno, r.text
                ),
            } + &if r.special_text.trim().is_empty() {
                String::new()
            } else {
                format!(", special {:?}", r.special_text.trim())
            },
            ..Default::default()
        })
        .collect();
    pb::TariffSchedule {
        id: meta.id.clone(),
        name: meta.name.clone(),
        description: format!(
            "Column 1 general (MFN) rates of {} HTS lines{NO_CHAPTER_99}",
            import.rates.len()
        ),
        currency: "USD".to_string(),
        as_of_date: meta.as_of_date.clone(),
        source: meta.source.clone(),
        measures,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert;
    use crate::hts::export;

    /// The extract's MFN schedule converts like any schedule and keeps each line's exact rate
    /// and provenance.
    #[test]
    fn the_extract_compiles_to_a_valid_schedule() {
        let import = export::mfn(
            &export::read(include_str!("../../data/us-tariff/usitc-hts-extract.json")).unwrap(),
        );
        let meta = ScheduleMeta {
            id: "us-hts-mfn".into(),
            name: "US MFN".into(),
            as_of_date: "2026-09-04".into(),
            source: "USITC HTS export".into(),
        };
        let s = mfn_schedule(&import, &meta);
        assert_eq!(s.measures.len(), import.rates.len());
        let magnets = s
            .measures
            .iter()
            .find(|m| m.id == "mfn-8505.11.00.70")
            .unwrap();
        assert_eq!(magnets.hts_prefixes, ["8505110070"]);
        assert_eq!(magnets.rate.as_ref().unwrap().ad_valorem_percent, "2.1");
        assert!(magnets.source.contains("8505.11.00"), "{}", magnets.source);
        let schedule = convert::schedule::schedule(&s, "schedule").unwrap();
        assert_eq!(schedule.measures().len(), import.rates.len());
    }
}
