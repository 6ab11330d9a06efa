//! Chapter 99 measures compiled by hand from the U.S. notes (`chapter99_measures.json`, the
//! tariff schedule's own measure format), checked against the export before they join a
//! schedule: a measure whose id is a heading the export prints must carry the rate that
//! heading's text states, so a newer export that changes the rate stops the import instead
//! of leaving a stale rate in force. Measures of headings the export does not carry (the
//! notes are their only source) are reported as such.

use super::export::Export;
use super::rate::{self, Chapter99};
use crate::pb;
use rust_decimal::Decimal;

/// What the check found for one measure, for the import report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The measure's id.
    pub id: String,
    /// How its rate was checked, in words.
    pub finding: String,
}

fn percent(r: &crate::engine::model::Rate) -> Option<Decimal> {
    (r.specific.is_none() && r.minimum.is_none() && r.maximum.is_none())
        .then_some(r.ad_valorem_percent)
        .flatten()
}

/// Checks each of `measures` against the heading of the same id in `export`, if any.
pub fn check(export: &Export, measures: &[pb::Measure]) -> Result<Vec<Checked>, String> {
    let mut out = Vec::with_capacity(measures.len());
    for m in measures {
        let Some(line) = export
            .lines
            .iter()
            .find(|l| l.is_chapter99() && l.htsno == m.id)
        else {
            out.push(Checked {
                id: m.id.clone(),
                finding: "not a heading of the export: rate as compiled from the notes".into(),
            });
            continue;
        };
        let stated: Option<Decimal> = m
            .rate
            .as_ref()
            .and_then(|r| r.ad_valorem_percent.parse().ok());
        let all_in = !m.all_in_of.is_empty();
        let mismatch = |what: &str| {
            Err(format!(
                "measure {}: the export's heading prints {:?} ({what}), the measure says {}{}%",
                m.id,
                line.general,
                if all_in { "all-in " } else { "+" },
                m.rate
                    .as_ref()
                    .map(|r| r.ad_valorem_percent.as_str())
                    .unwrap_or_default()
            ))
        };
        let read = match rate::chapter99(&line.general) {
            Ok(r) => r,
            Err(e) => return mismatch(&format!("a rate text it cannot read: {}", e.reason)),
        };
        let agrees = match &read {
            Chapter99::Additional(r) => !all_in && percent(r) == stated,
            Chapter99::AllIn(r) => all_in && percent(r) == stated,
            Chapter99::PassThrough => false,
        };
        if !agrees {
            return mismatch(match read {
                Chapter99::Additional(_) => "an additional rate",
                Chapter99::AllIn(_) => "an all-in rate",
                Chapter99::PassThrough => "no duty of its own",
            });
        }
        out.push(Checked {
            id: m.id.clone(),
            finding: format!("rate agrees with the export's heading: {:?}", line.general),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hts::export;

    fn measure(id: &str, percent: &str, all_in: bool) -> pb::Measure {
        pb::Measure {
            id: id.into(),
            rate: Some(pb::Rate {
                ad_valorem_percent: percent.into(),
                ..Default::default()
            }),
            all_in_of: if all_in {
                vec![pb::Program::Mfn as i32]
            } else {
                Vec::new()
            },
            ..Default::default()
        }
    }

    /// The extract prints 9903.03.01 as "+ 10%": a measure saying 10% passes, 15% or an
    /// all-in 10% is refused naming both; a pass-through heading cannot carry a rate; a
    /// heading the extract lacks is reported as compiled from the notes.
    #[test]
    fn a_cited_measure_must_agree_with_its_heading_in_the_export() {
        let e = export::read(include_str!("../../data/us-tariff/usitc-hts-extract.json")).unwrap();
        let found = check(
            &e,
            &[
                measure("9903.03.01", "10", false),
                measure("9903.94.41", "15", true),
            ],
        )
        .unwrap();
        assert_eq!(
            found[0].finding,
            "rate agrees with the export's heading: \"The duty provided in the applicable subheading + 10%\""
        );
        assert_eq!(
            found[1].finding,
            "not a heading of the export: rate as compiled from the notes"
        );
        assert_eq!(
            check(&e, &[measure("9903.03.01", "15", false)]).unwrap_err(),
            "measure 9903.03.01: the export's heading prints \"The duty provided in the applicable subheading + 10%\" (an additional rate), the measure says +15%"
        );
        assert!(
            check(&e, &[measure("9903.03.01", "10", true)])
                .unwrap_err()
                .contains("the measure says all-in 10%")
        );
        assert!(
            check(&e, &[measure("9903.03.03", "10", false)])
                .unwrap_err()
                .contains("(no duty of its own)")
        );
    }

    /// A heading the export prints as an all-in rate ("15%") agrees only with an all-in
    /// measure of that rate; a heading with a specific part ("+ 2¢/kg + 10%") agrees with no
    /// ad valorem measure: the measure format cannot say it, so the import stops.
    #[test]
    fn all_in_and_compound_headings_are_checked_too() {
        let e = export::read(
            r#"[{"htsno": "9903.94.41", "indent": "0", "description": "Vehicles of Japan", "general": "15%"},
                {"htsno": "9903.99.98", "indent": "0", "description": "Test", "general": "The duty provided in the applicable subheading + 2¢/kg + 10%"}]"#,
        )
        .unwrap();
        assert!(check(&e, &[measure("9903.94.41", "15", true)]).is_ok());
        assert!(
            check(&e, &[measure("9903.94.41", "10", true)])
                .unwrap_err()
                .contains("(an all-in rate), the measure says all-in 10%")
        );
        assert!(
            check(&e, &[measure("9903.94.41", "15", false)])
                .unwrap_err()
                .contains("(an all-in rate), the measure says +15%")
        );
        assert!(
            check(&e, &[measure("9903.99.98", "10", false)])
                .unwrap_err()
                .contains("(an additional rate), the measure says +10%")
        );
    }
}
