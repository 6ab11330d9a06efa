//! The USITC HTS export (JSON), as users download it from `hts.usitc.gov` (a bare array of
//! row objects) or wrapped with its provenance (`{"source", "fetched_at", "rows": [...]}`),
//! read into numbered lines and their column 1 general (MFN) rates.
//!
//! Every numbered line either gets an MFN rate or is reported with the reason it has none
//! that the importer could use: a 10-digit statistical line without a rate of its own takes
//! its 8-digit parent's (as the export's convention is), a heading or subheading without a
//! rate carries none (its rated lines below do), and a rate text the engine cannot express
//! is reported, never dropped.

use super::rate::{self, Unsupported};
use crate::engine::model::Rate;
use serde::Deserialize;

/// One row of the export, with the fields the importer reads (the export has more).
#[derive(Debug, Clone, Deserialize)]
struct Row {
    #[serde(default)]
    htsno: String,
    #[serde(default)]
    indent: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    units: Option<Vec<String>>,
    #[serde(default)]
    general: Option<String>,
    #[serde(default)]
    special: Option<String>,
    #[serde(default)]
    other: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum File {
    Bare(Vec<Row>),
    Wrapped {
        #[serde(default)]
        source: Option<String>,
        #[serde(default)]
        fetched_at: Option<String>,
        rows: Vec<Row>,
    },
}

/// A numbered line of the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The HTS number as printed, e.g. `8505.11.00.70`.
    pub htsno: String,
    /// Its digits, e.g. `8505110070`.
    pub digits: String,
    /// Indent level in the schedule.
    pub indent: u8,
    /// Article description as printed.
    pub description: String,
    /// Units of quantity for statistical reporting.
    pub units: Vec<String>,
    /// Column 1 general text as printed (empty when blank).
    pub general: String,
    /// Column 1 special text as printed.
    pub special: String,
    /// Column 2 text as printed.
    pub other: String,
}

impl Line {
    /// Whether this is a chapter 99 heading (temporary legislation, additional duties).
    pub fn is_chapter99(&self) -> bool {
        self.digits.starts_with("99")
    }
}

/// A read export: its numbered lines in source order, and where it came from.
#[derive(Debug, Clone)]
pub struct Export {
    /// The wrapper's `source`, if the file had one.
    pub source: Option<String>,
    /// The wrapper's `fetched_at`, if the file had one.
    pub fetched_at: Option<String>,
    /// Numbered lines, in source order (unnumbered heading lines are left out).
    pub lines: Vec<Line>,
    /// Rows of the file, numbered or not.
    pub rows: usize,
}

/// Reads an export in either form.
pub fn read(json: &str) -> Result<Export, serde_json::Error> {
    let (source, fetched_at, rows) = match serde_json::from_str::<File>(json)? {
        File::Bare(rows) => (None, None, rows),
        File::Wrapped {
            source,
            fetched_at,
            rows,
        } => (source, fetched_at, rows),
    };
    let count = rows.len();
    let lines = rows
        .into_iter()
        .filter(|r| !r.htsno.trim().is_empty())
        .map(|r| Line {
            digits: r.htsno.chars().filter(char::is_ascii_digit).collect(),
            htsno: r.htsno.trim().to_string(),
            indent: r
                .indent
                .as_deref()
                .and_then(|i| i.trim().parse().ok())
                .unwrap_or(0),
            description: r.description,
            units: r.units.unwrap_or_default(),
            general: r.general.unwrap_or_default().trim().to_string(),
            special: r.special.unwrap_or_default().trim().to_string(),
            other: r.other.unwrap_or_default().trim().to_string(),
        })
        .collect();
    Ok(Export {
        source,
        fetched_at,
        lines,
        rows: count,
    })
}

/// The MFN rate of one HTS line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfnRate {
    /// HTS digits the rate applies to (the line and everything under it).
    pub digits: String,
    /// The HTS number as printed.
    pub htsno: String,
    /// The rate.
    pub rate: Rate,
    /// The text it was read from.
    pub text: String,
    /// The 8-digit line whose rate a 10-digit line without its own takes.
    pub inherited_from: Option<String>,
    /// Special-column rates: `(program codes, rate)`, from the same line as the general rate.
    pub special: Vec<(Vec<String>, Rate)>,
    /// The special-column text they were read from.
    pub special_text: String,
}

/// A line the importer could not use, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The HTS number as printed.
    pub htsno: String,
    /// Why.
    pub reason: String,
}

/// What the MFN import made of every numbered line outside chapter 99.
#[derive(Debug, Clone, Default)]
pub struct MfnImport {
    /// Lines with a rate, own or inherited.
    pub rates: Vec<MfnRate>,
    /// Headings and subheadings without a rate (their rated lines below carry one).
    pub unrated: Vec<String>,
    /// Lines whose rate text cannot be expressed, with the reason.
    pub skipped: Vec<Skipped>,
}

/// The rates of a special-column text, each with its program codes; an empty text has none.
fn special_rates(text: &str) -> Result<Vec<(Vec<String>, Rate)>, Unsupported> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    rate::special(text)?
        .into_iter()
        .map(|g| Ok((g.programs, rate::duty(&g.rate)?)))
        .collect()
}

/// The column 1 general rate of every numbered line outside chapter 99.
pub fn mfn(export: &Export) -> MfnImport {
    let mut out = MfnImport::default();
    // The latest 8-digit line seen, with its parsed rate: the parent of the 10-digit lines
    // that follow it in source order.
    let mut parent: Option<(&Line, Result<Rate, Unsupported>)> = None;
    for line in export.lines.iter().filter(|l| !l.is_chapter99()) {
        let own = (!line.general.is_empty()).then(|| rate::duty(&line.general));
        if line.digits.len() == 8 {
            parent = own.clone().map(|r| (line, r));
        }
        let (result, text, inherited_from, special_text) = match own {
            Some(r) => (r, line.general.clone(), None, line.special.clone()),
            None => match &parent {
                Some((p, r)) if line.digits.len() == 10 && line.digits.starts_with(&p.digits) => (
                    r.clone(),
                    p.general.clone(),
                    Some(p.htsno.clone()),
                    p.special.clone(),
                ),
                _ => {
                    out.unrated.push(line.htsno.clone());
                    continue;
                }
            },
        };
        let special = match special_rates(&special_text) {
            Ok(s) => s,
            Err(e) => {
                out.skipped.push(Skipped {
                    htsno: line.htsno.clone(),
                    reason: format!("special column: {e}"),
                });
                continue;
            }
        };
        match result {
            Ok(rate) => out.rates.push(MfnRate {
                digits: line.digits.clone(),
                htsno: line.htsno.clone(),
                rate,
                text,
                inherited_from,
                special,
                special_text,
            }),
            Err(e) => out.skipped.push(Skipped {
                htsno: line.htsno.clone(),
                reason: e.to_string(),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    const EXTRACT: &str = include_str!("../../data/us-tariff/usitc-hts-extract.json");

    fn pct(s: &str) -> Rate {
        Rate {
            ad_valorem_percent: Some(s.parse::<Decimal>().unwrap()),
            ..Rate::default()
        }
    }

    /// The shared extract: 233 rows, every numbered line outside chapter 99 rated (its own
    /// rate or its 8-digit parent's), unrated (a heading) or reported; none lost.
    #[test]
    fn the_extract_imports_every_line_or_says_why() {
        let export = read(EXTRACT).unwrap();
        assert_eq!(export.rows, 233);
        assert_eq!(export.fetched_at.as_deref(), Some("2026-09-04"));
        let import = mfn(&export);
        let outside_99 = export.lines.iter().filter(|l| !l.is_chapter99()).count();
        assert_eq!(
            import.rates.len() + import.unrated.len() + import.skipped.len(),
            outside_99
        );
        assert_eq!(import.skipped, []);
        let rate_of = |htsno: &str| {
            import
                .rates
                .iter()
                .find(|r| r.htsno == htsno)
                .unwrap_or_else(|| panic!("{htsno} has no rate"))
        };
        // Permanent magnets of metal: 8505.11.00 at 2.1%, its 10-digit line inherits it.
        assert_eq!(rate_of("8505.11.00").rate, pct("2.1"));
        let magnets = rate_of("8505.11.00.70");
        assert_eq!(magnets.rate, pct("2.1"));
        assert_eq!(magnets.inherited_from.as_deref(), Some("8505.11.00"));
        // Electric vehicles 2.5%, etch tools free, rare-earth metals 5%.
        assert_eq!(rate_of("8703.80.00.20").rate, pct("2.5"));
        assert_eq!(rate_of("8486.20.00.00").rate, pct("0"));
        assert_eq!(rate_of("2805.30.00").rate, pct("5"));
        // Headings carry no rate of their own.
        assert!(import.unrated.contains(&"8505".to_string()));
    }

    #[test]
    fn a_bare_array_reads_like_the_wrapped_file() {
        let wrapped: serde_json::Value = serde_json::from_str(EXTRACT).unwrap();
        let bare = serde_json::to_string(&wrapped["rows"]).unwrap();
        let export = read(&bare).unwrap();
        assert_eq!((export.rows, export.fetched_at.as_deref()), (233, None));
        assert_eq!(mfn(&export).rates, mfn(&read(EXTRACT).unwrap()).rates);
    }

    /// A rate the engine cannot express is reported with the line and the reason, and its
    /// 10-digit lines are reported with it, not given a zero.
    #[test]
    fn an_inexpressible_rate_is_reported_not_zeroed() {
        let json = r#"[
            {"htsno": "7801.10.00", "indent": "2", "description": "Refined lead", "general": "2.5% on the value of the lead content"},
            {"htsno": "7801.10.00.10", "indent": "3", "description": "Other", "general": ""},
            {"htsno": "7801.99", "indent": "1", "description": "Other:", "general": ""},
            {"htsno": "", "indent": "2", "description": "Unnumbered:", "general": ""}
        ]"#;
        let export = read(json).unwrap();
        assert_eq!((export.rows, export.lines.len()), (4, 3));
        let import = mfn(&export);
        assert_eq!(import.rates, []);
        assert_eq!(import.unrated, ["7801.99"]);
        let skipped: Vec<&str> = import.skipped.iter().map(|s| s.htsno.as_str()).collect();
        assert_eq!(skipped, ["7801.10.00", "7801.10.00.10"]);
        assert!(
            import.skipped[0].reason.contains("content-based"),
            "{:?}",
            import.skipped
        );
    }
}
