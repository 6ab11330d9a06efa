//! Chapter 99 product lists: which 8-digit HTS subheadings a chapter 99 heading covers (the
//! Section 301 China lists are published this way: `hts8,list,ch99_code` rows), read together
//! with the headings' own rows of the export for their rate, dates, origin and note. Each
//! heading becomes one measure over its listed subheadings; a heading the importer cannot
//! charge (suspended, absent from the export, a pass-through, a rate text it cannot read, no
//! origin it knows) is reported with its reason and the rows it leaves out, never dropped in
//! silence.

use super::export::{Export, Line};
use super::heading;
use super::rate::{self, Chapter99};
use crate::engine::date::Window;
use crate::engine::model::Rate;
use std::collections::BTreeMap;

/// One row of a product list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The subheading's 8 digits.
    pub hts8: String,
    /// The list's name in the file (e.g. `3`, `4A`, `biden_jan26`).
    pub list: String,
    /// The chapter 99 heading that carries the duty, dotted (`9903.88.03`).
    pub heading: String,
}

/// Reads a product list CSV with the header `hts8,list,ch99_code`. A malformed row is an
/// error naming its line: a list is a legal scope, so half of one is worse than none.
pub fn read(csv: &str) -> Result<Vec<Listed>, String> {
    let mut lines = csv.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == "hts8,list,ch99_code" => {}
        _ => return Err("line 1: expected the header hts8,list,ch99_code".into()),
    }
    let mut out = Vec::new();
    for (i, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = l.trim().split(',').collect();
        let [hts8, list, heading] = fields[..] else {
            return Err(format!(
                "line {}: expected 3 fields, found {}",
                i + 1,
                fields.len()
            ));
        };
        if hts8.len() != 8 || !hts8.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "line {}: {hts8:?} is not an 8-digit HTS subheading",
                i + 1
            ));
        }
        if !is_heading(heading) {
            return Err(format!(
                "line {}: {heading:?} is not a chapter 99 heading (9903.xx.xx)",
                i + 1
            ));
        }
        out.push(Listed {
            hts8: hts8.into(),
            list: list.into(),
            heading: heading.into(),
        });
    }
    Ok(out)
}

fn is_heading(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && s.starts_with("99")
        && b[4] == b'.'
        && b[7] == b'.'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A heading the importer turns into a measure.
#[derive(Debug, Clone)]
pub struct HeadingMeasure {
    /// The heading, dotted: the measure's id.
    pub heading: String,
    /// The lists (names as in the file) that put subheadings under it.
    pub lists: Vec<String>,
    /// The listed subheadings' digits, sorted, without repeats.
    pub hts8: Vec<String>,
    /// The rate the heading adds to the subheading's duty.
    pub rate: Rate,
    /// The heading's rate text, as printed.
    pub text: String,
    /// Entry dates in force, from the heading's description.
    pub window: Window,
    /// Origins (ISO 3166-1 alpha-2) from "the product of <country>".
    pub origins: Vec<String>,
    /// The U.S. note that defines the heading's scope, e.g. `U.S. note 31(g)`.
    pub note: Option<String>,
}

/// A heading not imported, why, and how many list rows it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unused {
    /// The heading.
    pub heading: String,
    /// Why it is not charged.
    pub reason: String,
    /// List rows naming it.
    pub rows: usize,
}

/// What the lists and the export make together.
#[derive(Debug, Clone, Default)]
pub struct ListImport {
    /// One measure per chargeable heading, in heading order.
    pub measures: Vec<HeadingMeasure>,
    /// Headings not charged, in heading order.
    pub unused: Vec<Unused>,
    /// List rows read.
    pub rows: usize,
}

/// Countries chapter 99 descriptions name as "the product of ...", with their ISO 3166-1
/// alpha-2 codes: the names the HTS uses, not tariff data.
const COUNTRIES: [(&str, &str); 6] = [
    ("China", "CN"),
    ("Canada", "CA"),
    ("Mexico", "MX"),
    ("Brazil", "BR"),
    ("India", "IN"),
    ("Japan", "JP"),
];

/// The origins a description states ("articles the product of China").
fn origins(description: &str) -> Vec<String> {
    let Some(i) = description.find("the product of ") else {
        return Vec::new();
    };
    let rest = &description[i + "the product of ".len()..];
    COUNTRIES
        .iter()
        .filter(|(name, _)| rest.starts_with(name))
        .map(|(_, iso)| iso.to_string())
        .collect()
}

/// The U.S. note a description cites: `subdivision (g) of U.S. note 31` -> `U.S. note 31(g)`,
/// `U.S. note 20(f)` as written, `U.S. note 20` alone.
pub fn note(description: &str) -> Option<String> {
    let at = description.find("U.S. note ")?;
    let rest = &description[at + "U.S. note ".len()..];
    let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if number.is_empty() {
        return None;
    }
    let after = &rest[number.len()..];
    let sub = description[..at]
        .rfind("subdivision (")
        .map(|s| &description[s + "subdivision ".len()..at])
        .and_then(|s| s.split_whitespace().next())
        .filter(|s| s.starts_with('(') && s.ends_with(')'))
        .map(str::to_string)
        .or_else(|| {
            after
                .starts_with('(')
                .then(|| after.split_once(')').map(|(s, _)| format!("{s})")))
                .flatten()
        });
    Some(format!("U.S. note {number}{}", sub.unwrap_or_default()))
}

/// Builds one measure per heading the `listed` rows name, from that heading's row of `export`.
pub fn import(export: &Export, listed: &[Listed]) -> ListImport {
    let rows_of: BTreeMap<&str, &Line> = export
        .lines
        .iter()
        .filter(|l| l.is_chapter99())
        .map(|l| (l.htsno.as_str(), l))
        .collect();
    let mut by_heading: BTreeMap<&str, (Vec<&str>, Vec<String>, usize)> = BTreeMap::new();
    for l in listed {
        let (hts8, lists, rows) = by_heading.entry(&l.heading).or_default();
        hts8.push(&l.hts8);
        if !lists.contains(&l.list) {
            lists.push(l.list.clone());
        }
        *rows += 1;
    }
    let mut out = ListImport {
        rows: listed.len(),
        ..ListImport::default()
    };
    for (heading, (mut hts8, lists, rows)) in by_heading {
        let unused = |reason: String| Unused {
            heading: heading.to_string(),
            reason,
            rows,
        };
        let Some(line) = rows_of.get(heading) else {
            out.unused
                .push(unused("the export has no row for this heading".into()));
            continue;
        };
        if heading::suspended(&line.description) {
            out.unused
                .push(unused("provision suspended (compiler's note)".into()));
            continue;
        }
        let rate = match rate::chapter99(&line.general) {
            Ok(Chapter99::Additional(rate)) => rate,
            Ok(Chapter99::PassThrough) => {
                out.unused.push(unused(format!(
                    "{:?} adds nothing to the subheading's duty",
                    line.general
                )));
                continue;
            }
            Ok(Chapter99::AllIn(_)) => {
                out.unused.push(unused(format!(
                    "{:?} is an all-in rate, not an additional duty",
                    line.general
                )));
                continue;
            }
            Err(e) => {
                out.unused
                    .push(unused(format!("rate text {:?}: {}", e.text, e.reason)));
                continue;
            }
        };
        let origins = origins(&line.description);
        if origins.is_empty() {
            out.unused.push(unused(
                "the description names no origin the importer knows".into(),
            ));
            continue;
        }
        hts8.sort_unstable();
        hts8.dedup();
        out.measures.push(HeadingMeasure {
            heading: heading.to_string(),
            lists,
            hts8: hts8.into_iter().map(str::to_string).collect(),
            rate,
            text: line.general.clone(),
            window: heading::window(&line.description),
            origins,
            note: note(&line.description),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::date::Date;
    use crate::hts::export;
    use rust_decimal::Decimal;

    const EXTRACT: &str = include_str!("../../data/us-tariff/usitc-hts-extract.json");
    const LISTS: &str = include_str!("../../data/us-tariff/s301_product_lists.csv");

    #[test]
    fn the_notes_a_heading_cites_are_read() {
        let n = |s: &str| note(s);
        assert_eq!(
            n("articles the product of China, as provided for in subdivision (g) of U.S. note 31 to this subchapter")
                .as_deref(),
            Some("U.S. note 31(g)")
        );
        assert_eq!(
            n("articles the product of China, as provided for in U.S. note 20(r) to this subchapter")
                .as_deref(),
            Some("U.S. note 20(r)")
        );
        assert_eq!(
            n("articles the product of China, as provided for in U.S. note 20").as_deref(),
            Some("U.S. note 20")
        );
        assert_eq!(n("articles of any country"), None);
    }

    #[test]
    fn a_malformed_list_is_refused_at_its_line() {
        assert_eq!(
            read("hts8,list,ch99_code\n85051100,x,9903.91.06\n")
                .unwrap()
                .len(),
            1
        );
        assert!(read("hts,list\n").unwrap_err().starts_with("line 1:"));
        assert_eq!(
            read("hts8,list,ch99_code\n85051100,x\n").unwrap_err(),
            "line 2: expected 3 fields, found 2"
        );
        assert!(
            read("hts8,list,ch99_code\n8505110,x,9903.91.06\n")
                .unwrap_err()
                .starts_with("line 2: \"8505110\"")
        );
        assert!(
            read("hts8,list,ch99_code\n85051100,x,9903.9106\n")
                .unwrap_err()
                .starts_with("line 2: \"9903.9106\"")
        );
    }

    /// The shared Section 301 lists against the extract: 12,223 rows under 15 headings. 13
    /// become measures; 9903.88.16 (list 4B, 1,519 rows) is suspended and 9903.92.10 (cranes,
    /// 1 row) has no row in the extract. Magnets 8505.11.00 are under 9903.91.06 at 25% from
    /// 2026-01-01 (note 31(g)); electric vehicles 8703.80.00 under 9903.91.03 at 100% from
    /// 2024-09-27 (note 31(d)).
    #[test]
    fn the_section_301_lists_import_against_the_extract() {
        let export = export::read(EXTRACT).unwrap();
        let listed = read(LISTS).unwrap();
        let import = import(&export, &listed);
        assert_eq!(import.rows, 12_223);
        let unused: Vec<_> = import
            .unused
            .iter()
            .map(|u| (u.heading.as_str(), u.rows))
            .collect();
        assert_eq!(unused, [("9903.88.16", 1519), ("9903.92.10", 1)]);
        assert_eq!(import.measures.len(), 13);
        let charged: usize = import.measures.iter().map(|m| m.hts8.len()).sum();
        assert_eq!(
            charged + 1519 + 1,
            12_223,
            "no list row repeats under one heading"
        );
        let m = |h: &str| import.measures.iter().find(|m| m.heading == h).unwrap();
        let magnets = m("9903.91.06");
        // Natural graphite (2504) and Li-ion cells (8507.60) share the heading with magnets.
        assert_eq!(
            magnets.hts8,
            ["25041010", "25041050", "25049000", "85051100", "85076000"]
        );
        assert_eq!(magnets.rate.ad_valorem_percent, Some(Decimal::from(25)));
        assert_eq!(magnets.window.from, Date::parse("2026-01-01"));
        assert_eq!(magnets.window.to, None);
        assert_eq!(magnets.origins, ["CN"]);
        assert_eq!(magnets.note.as_deref(), Some("U.S. note 31(g)"));
        let ev = m("9903.91.03");
        assert!(ev.hts8.contains(&"87038000".to_string()));
        assert_eq!(ev.rate.ad_valorem_percent, Some(Decimal::from(100)));
        assert_eq!(ev.window.from, Date::parse("2024-09-27"));
        assert_eq!(ev.note.as_deref(), Some("U.S. note 31(d)"));
        // Every rate read from a heading's text agrees with the rate table compiled
        // independently from the same headings (s301_rates_by_heading.csv, as fractions).
        let table = include_str!("../../data/us-tariff/s301_rates_by_heading.csv");
        let mut compared = 0;
        for row in table.lines().skip(1) {
            let (heading, fraction) = row.split_once(',').unwrap();
            if let Some(m) = import.measures.iter().find(|m| m.heading == heading) {
                let percent = fraction.parse::<Decimal>().unwrap() * Decimal::from(100);
                assert_eq!(m.rate.ad_valorem_percent, Some(percent), "{heading}");
                compared += 1;
            }
        }
        assert_eq!(compared, 13, "every measure's heading is in the table");
        let list3 = m("9903.88.03");
        assert_eq!((list3.window.from, list3.window.to), (None, None));
        assert_eq!(list3.lists, ["3"]);
        // The first note cited states the scope (20(e)); 20(f) enumerates the subheadings.
        assert_eq!(list3.note.as_deref(), Some("U.S. note 20(e)"));
    }
}
