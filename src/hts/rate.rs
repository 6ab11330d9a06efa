//! The rate texts of the official HTS, read exactly: column 1 and column 2 rates (`Free`,
//! `2.1%`, `1¢/kg`, `4.4¢/kg + 6%`, `$1.035/kg`), the special column's program groups
//! (`Free (A+,AU,...,SG) 1.2% (JP)`), and the chapter 99 forms that add to, pass through or
//! set the duty of the applicable subheading.
//!
//! A text this parser cannot express as an engine [`Rate`] (a duty on a component's content,
//! a unit the engine does not count, a per-dozen amount that is not exact per piece) is an
//! [`Unsupported`] with its reason, for the importer to report: never a silent zero.

use crate::engine::model::Rate;
use crate::engine::units::Unit;
use rust_decimal::Decimal;
use std::fmt;

/// Why a rate text was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The text as written.
    pub text: String,
    /// Why it cannot be expressed.
    pub reason: String,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.text, self.reason)
    }
}

fn unsupported(text: &str, reason: impl Into<String>) -> Unsupported {
    Unsupported {
        text: text.to_string(),
        reason: reason.into(),
    }
}

/// Parses a column 1 general or column 2 rate: `Free`, an ad valorem percent, a specific
/// amount per unit, or a compound of both (`4.4¢/kg + 6%`). Amounts are in US dollars.
pub fn duty(text: &str) -> Result<Rate, Unsupported> {
    let t = normalize(text);
    if t.eq_ignore_ascii_case("free") {
        return Ok(Rate {
            ad_valorem_percent: Some(Decimal::ZERO),
            ..Rate::default()
        });
    }
    if t.is_empty() {
        return Err(unsupported(text, "no rate is written"));
    }
    let mut rate = Rate::default();
    for part in t.split(" + ") {
        let part = part.trim();
        if let Some((_, on)) = part.split_once(" on ") {
            return Err(unsupported(
                text,
                format!("the duty is on {on:?}: a content-based duty the engine does not express"),
            ));
        }
        if let Some(pct) = part.strip_suffix('%') {
            if rate.ad_valorem_percent.is_some() {
                return Err(unsupported(text, "two ad valorem parts"));
            }
            rate.ad_valorem_percent = Some(
                number(pct)
                    .ok_or_else(|| unsupported(text, format!("{part:?} is not a percent")))?,
            );
        } else {
            if rate.specific.is_some() {
                return Err(unsupported(text, "two specific parts"));
            }
            rate.specific = Some(specific(text, part)?);
        }
    }
    Ok(rate)
}

/// A specific part: `1¢/kg`, `$1.035/kg`, `5¢/each`, in dollars per engine unit.
fn specific(text: &str, part: &str) -> Result<(Decimal, Unit), Unsupported> {
    let Some((amount, per)) = part.split_once('/') else {
        return Err(unsupported(
            text,
            format!("{part:?} is neither a percent nor an amount per unit"),
        ));
    };
    if per.contains(' ') {
        return Err(unsupported(
            text,
            format!("the duty is on {per:?}: a content-based duty the engine does not express"),
        ));
    }
    let dollars = if let Some(cents) = amount.strip_suffix('¢') {
        number(cents).map(|c| c / Decimal::ONE_HUNDRED)
    } else if let Some(d) = amount.strip_prefix('$') {
        number(d)
    } else {
        None
    }
    .ok_or_else(|| unsupported(text, format!("{amount:?} is not an amount in ¢ or $")))?;
    let unit = match per {
        "kg" => Unit::Kg,
        "g" => Unit::G,
        "t" => Unit::T,
        "lb" => Unit::Lb,
        "each" | "No." | "no." | "pc" | "pcs" => Unit::Piece,
        "doz." | "doz" | "dozen" => {
            let each = dollars / Decimal::from(12);
            if each * Decimal::from(12) != dollars {
                return Err(unsupported(
                    text,
                    "an amount per dozen that is not exact per piece",
                ));
            }
            return Ok((each.normalize(), Unit::Piece));
        }
        other => {
            return Err(unsupported(
                text,
                format!("per {other:?}: a unit the engine does not count"),
            ));
        }
    };
    Ok((dollars.normalize(), unit))
}

/// A plain non-negative decimal (`2.1`, `0.5`), exactly.
fn number(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Decimal::from_str_exact(s).ok().map(|d| d.normalize())
}

/// Collapses the export's whitespace (double spaces, trailing spaces, no-break spaces).
fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One group of the special column: a rate and the program codes it applies under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Special {
    /// The rate text of the group, e.g. `Free` or `1.2%`.
    pub rate: String,
    /// Program codes, e.g. `A+`, `AU`, `S`.
    pub programs: Vec<String>,
}

/// Splits a special-column text into its groups: `Free (A+,AU,S) 1.2% (JP)` is `Free` under
/// A+, AU and S and `1.2%` under JP. Codes are trimmed (the export wraps lists with spaces).
pub fn special(text: &str) -> Result<Vec<Special>, Unsupported> {
    let t = normalize(text);
    let mut out = Vec::new();
    let mut rest = t.as_str();
    while !rest.is_empty() {
        let Some(open) = rest.find('(') else {
            return Err(unsupported(text, format!("{rest:?} names no program")));
        };
        let Some(close) = rest[open..].find(')').map(|c| open + c) else {
            return Err(unsupported(text, "an unclosed program list"));
        };
        let rate = rest[..open].trim();
        if rate.is_empty() {
            return Err(unsupported(text, "a program list without a rate"));
        }
        let programs: Vec<String> = rest[open + 1..close]
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        out.push(Special {
            rate: rate.to_string(),
            programs,
        });
        rest = rest[close + 1..].trim_start();
    }
    Ok(out)
}

/// What a chapter 99 heading's rate text does to the duty of the subheading it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chapter99 {
    /// `The duty provided in the applicable subheading + 25%` (also `plus 25%`): this rate on
    /// top of the subheading's own.
    Additional(Rate),
    /// `The duty provided in the applicable subheading` or `No change`: the subheading's duty
    /// alone (exclusions and exceptions).
    PassThrough,
    /// A rate alone (`15%`): the total, all-in rate for the goods the heading covers.
    AllIn(Rate),
}

/// Reads a chapter 99 heading's general-column text.
pub fn chapter99(text: &str) -> Result<Chapter99, Unsupported> {
    let t = normalize(text);
    const APPLICABLE: &str = "The duty provided in the applicable subheading";
    if t == APPLICABLE || t.eq_ignore_ascii_case("no change") {
        return Ok(Chapter99::PassThrough);
    }
    if let Some(rest) = t.strip_prefix(APPLICABLE) {
        let added = rest
            .trim()
            .strip_prefix('+')
            .or_else(|| rest.trim().strip_prefix("plus"))
            .ok_or_else(|| unsupported(text, "the applicable duty with neither + nor plus"))?;
        return duty(added.trim()).map(Chapter99::Additional);
    }
    if t.starts_with("The duty provided in subheading") {
        return Err(unsupported(
            text,
            "adds to the duty of named subheadings, not of the applicable one",
        ));
    }
    duty(&t).map(Chapter99::AllIn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn ad_valorem(p: Decimal) -> Rate {
        Rate {
            ad_valorem_percent: Some(p),
            ..Rate::default()
        }
    }

    #[test]
    fn column_rates_read_exactly() {
        assert_eq!(duty("Free").unwrap(), ad_valorem(dec("0")));
        assert_eq!(duty("2.1%").unwrap(), ad_valorem(dec("2.1")));
        assert_eq!(duty(" 31.3% ").unwrap(), ad_valorem(dec("31.3")));
        assert_eq!(
            duty("1¢/kg").unwrap(),
            Rate {
                specific: Some((dec("0.01"), Unit::Kg)),
                ..Rate::default()
            }
        );
        assert_eq!(
            duty("$1.035/kg").unwrap(),
            Rate {
                specific: Some((dec("1.035"), Unit::Kg)),
                ..Rate::default()
            }
        );
        assert_eq!(
            duty("4.4¢/kg + 6%").unwrap(),
            Rate {
                ad_valorem_percent: Some(dec("6")),
                specific: Some((dec("0.044"), Unit::Kg)),
                ..Rate::default()
            }
        );
        assert_eq!(
            duty("24¢/doz.").unwrap().specific,
            Some((dec("0.02"), Unit::Piece))
        );
    }

    #[test]
    fn what_cannot_be_expressed_is_refused_with_its_reason() {
        for (text, reason) in [
            ("25¢/kg on lead content", "content-based"),
            ("2.5% on the value of the lead content", "content-based"),
            ("5¢/liter", "does not count"),
            ("10¢/doz.", "not exact per piece"),
            ("", "no rate"),
            ("2.1", "neither a percent"),
            ("2% + 3%", "two ad valorem"),
            ("abc%", "not a percent"),
            ("€1/kg", "not an amount"),
        ] {
            let e = duty(text).unwrap_err();
            assert!(e.reason.contains(reason), "{text:?}: {}", e.reason);
        }
    }

    #[test]
    fn special_groups_name_their_programs() {
        assert_eq!(
            special("Free (A+,AU,BH, CL,  JO,KR,MA, S) 1.2% (JP)").unwrap(),
            [
                Special {
                    rate: "Free".into(),
                    programs: ["A+", "AU", "BH", "CL", "JO", "KR", "MA", "S"]
                        .map(String::from)
                        .to_vec(),
                },
                Special {
                    rate: "1.2%".into(),
                    programs: vec!["JP".into()],
                },
            ]
        );
        assert_eq!(special("").unwrap(), []);
        assert!(special("Free").is_err());
        assert!(special("Free (A,AU").is_err());
    }

    #[test]
    fn chapter_99_texts_add_pass_or_set() {
        assert_eq!(
            chapter99("The duty provided in the applicable subheading + 25%").unwrap(),
            Chapter99::Additional(ad_valorem(dec("25")))
        );
        assert_eq!(
            chapter99("The duty provided in the applicable subheading plus 25%").unwrap(),
            Chapter99::Additional(ad_valorem(dec("25")))
        );
        assert_eq!(
            chapter99("The duty provided in the applicable subheading + 7.5%").unwrap(),
            Chapter99::Additional(ad_valorem(dec("7.5")))
        );
        assert_eq!(
            chapter99("The duty provided in the applicable subheading").unwrap(),
            Chapter99::PassThrough
        );
        assert_eq!(chapter99("No change").unwrap(), Chapter99::PassThrough);
        assert_eq!(
            chapter99("15%").unwrap(),
            Chapter99::AllIn(ad_valorem(dec("15")))
        );
        let named = chapter99(
            "The duty provided in subheadings 8716.39.00, 8716.90.30 or 8716.90.50 + 100%",
        )
        .unwrap_err();
        assert!(named.reason.contains("named subheadings"), "{named}");
    }
}
