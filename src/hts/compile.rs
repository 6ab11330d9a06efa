//! Turns what the importer read into catalog files: the MFN rates of an export as a tariff
//! schedule message (the format of `catalog/tariff_schedules/*.json` and of inline
//! schedules), one measure per rated HTS line. The engine charges one MFN rate per line, the
//! most specific, so a statistical line's rate replaces its subheading's, never adds to it.

use super::export::MfnImport;
use crate::convert::enums::unit_to_pb;
use crate::engine::model::Rate;
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
            },
            ..Default::default()
        })
        .collect();
    pb::TariffSchedule {
        id: meta.id.clone(),
        name: meta.name.clone(),
        description: format!(
            "Column 1 general (MFN) rates of {} HTS lines; chapter 99 measures are not included",
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
