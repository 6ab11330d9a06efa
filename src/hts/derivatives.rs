//! Section 232 steel and aluminum derivatives: which 8-digit subheadings a derivative heading
//! covers and from when (`hts_prefix,ch99_code,derivative_type,effective_date` rows), with
//! the rate each heading charged over which dates (`s232_derivative_rates.csv`: the heading
//! rows are not in the HTS export). Each heading, rate period and start date becomes one
//! measure on the metal content: the declared share of the value, or the full value when
//! none is declared.
//!
//! A subheading may be on both the steel and the aluminum list. A request declares one metal
//! share (steel and aluminum together), so the measures form one alternatives group: one
//! derivative duty on the metal content, never two on the same value. With both metals at
//! the same rate this is exactly the sum of the two duties on their own contents.

use crate::engine::date::{Date, Window};
use crate::pb;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One row of the derivative product list.
#[derive(Debug, Clone, Deserialize)]
struct Product {
    hts_prefix: String,
    ch99_code: String,
    derivative_type: String,
    effective_date: String,
}

/// One rate period of a derivative heading.
#[derive(Debug, Clone, Deserialize)]
struct Period {
    ch99_heading: String,
    metal: String,
    rate_percent: String,
    effective_from: String,
    effective_to: String,
    /// Origins left out, space-separated (their own headings and rates are not in the data).
    excluded_origins: String,
    source: String,
}

/// The alternatives group of the derivative measures (see the module's note).
pub const GROUP: &str = "section-232-metal-content";

/// What the derivative lists make.
#[derive(Debug, Clone, Default)]
pub struct DerivativeImport {
    /// One measure per heading, rate period and start date.
    pub measures: Vec<pb::Measure>,
    /// Product rows read.
    pub rows: usize,
    /// Rows without an effective date.
    pub undated: usize,
}

fn date(s: &str, what: &str) -> Result<Option<Date>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    Date::parse(s)
        .map(Some)
        .ok_or_else(|| format!("{what}: {s:?} is not a date (YYYY-MM-DD)"))
}

fn read<T: for<'de> Deserialize<'de>>(csv_text: &str, what: &str) -> Result<Vec<T>, String> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .deserialize()
        .enumerate()
        .map(|(i, r)| r.map_err(|e| format!("{what} row {}: {e}", i + 2)))
        .collect()
}

/// Builds the derivative measures from the product list and the heading rates (each period
/// leaves out the origins its row excludes). A product row naming a heading without rates is
/// an error: a listed product must not pay nothing in silence.
pub fn import(
    products_csv: &str,
    rates_csv: &str,
    products_source: &str,
) -> Result<DerivativeImport, String> {
    let products: Vec<Product> = read(products_csv, "derivative products")?;
    let periods: Vec<Period> = read(rates_csv, "derivative rates")?;
    // (heading, period index, start) -> prefixes
    let mut measures: BTreeMap<(String, usize, Date), Vec<String>> = BTreeMap::new();
    let mut undated = 0;
    for (i, p) in products.iter().enumerate() {
        let at = format!("derivative products row {}", i + 2);
        if p.hts_prefix.is_empty() || !p.hts_prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{at}: {:?} is not an HTS prefix", p.hts_prefix));
        }
        let listed = date(&p.effective_date, &at)?;
        undated += usize::from(listed.is_none());
        let mine: Vec<(usize, &Period)> = periods
            .iter()
            .enumerate()
            .filter(|(_, r)| r.ch99_heading == p.ch99_code)
            .collect();
        if mine.is_empty() {
            return Err(format!(
                "{at}: heading {} has no rate in the derivative rates",
                p.ch99_code
            ));
        }
        for (k, r) in mine {
            if r.rate_percent.parse::<Decimal>().is_err() {
                return Err(format!(
                    "heading {}: rate {:?} is not a decimal percent",
                    r.ch99_heading, r.rate_percent
                ));
            }
            if r.metal != p.derivative_type {
                return Err(format!(
                    "{at}: a {} product under heading {}, whose rates are for {}",
                    p.derivative_type, p.ch99_code, r.metal
                ));
            }
            let from = date(&r.effective_from, "derivative rates")?.ok_or_else(|| {
                format!("heading {}: a rate period needs its start", r.ch99_heading)
            })?;
            let to = date(&r.effective_to, "derivative rates")?;
            let start = listed.map_or(from, |d| d.max(from));
            if to.is_some_and(|t| start >= t) {
                continue;
            }
            measures
                .entry((p.ch99_code.clone(), k, start))
                .or_default()
                .push(p.hts_prefix.clone());
        }
    }
    let measures = measures
        .into_iter()
        .map(|((heading, k, start), mut prefixes)| {
            prefixes.sort_unstable();
            prefixes.dedup();
            let r = &periods[k];
            let window = Window {
                from: Some(start),
                to: date(&r.effective_to, "").ok().flatten(),
            };
            measure(&heading, r, window, prefixes, products_source)
        })
        .collect();
    Ok(DerivativeImport {
        measures,
        rows: products.len(),
        undated,
    })
}

fn measure(
    heading: &str,
    r: &Period,
    window: Window,
    hts_prefixes: Vec<String>,
    products_source: &str,
) -> pb::Measure {
    let from = window.from.map(|d| d.to_string()).unwrap_or_default();
    pb::Measure {
        id: format!("{heading}@{from}"),
        name: format!(
            "Section 232 {} derivatives {heading}, {}% of the metal content",
            r.metal, r.rate_percent
        ),
        program: pb::Program::Section232 as i32,
        hts_prefixes,
        excluded_origins: r
            .excluded_origins
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        effective_from: from.clone(),
        effective_to: window.to.map(|d| d.to_string()).unwrap_or_default(),
        rate: Some(pb::Rate {
            ad_valorem_percent: r.rate_percent.clone(),
            ..Default::default()
        }),
        basis: pb::DutyBasis::MetalContent as i32,
        preempts: vec![pb::Program::Ieepa as i32, pb::Program::Section122 as i32],
        alternative_group: GROUP.to_string(),
        source: format!(
            "{}; subheadings listed from {from} in {products_source}",
            r.source
        ),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES: &str = "ch99_heading,metal,rate_percent,effective_from,effective_to,excluded_origins,source\n\
        9903.85.08,aluminum,25,2025-03-12,2025-06-04,GB,\"r25, note 19\"\n\
        9903.85.08,aluminum,50,2025-06-04,2026-04-06,GB,r50\n";

    /// A dated product starts at its date within each period it reaches; an undated one at
    /// each period's start; a period that ends before the product's date adds nothing.
    #[test]
    fn products_are_dated_within_their_heading_rate_periods() {
        let products = "hts_prefix,ch99_code,derivative_type,effective_date\n\
            76101000,9903.85.08,aluminum,\n\
            84181000,9903.85.08,aluminum,2025-08-18\n\
            84189900,9903.85.08,aluminum,2025-08-18\n";
        let out = import(products, RATES, "list.csv").unwrap();
        assert_eq!((out.rows, out.undated), (3, 1));
        let got: Vec<(&str, &[String], &str, &str, &str)> = out
            .measures
            .iter()
            .map(|m| {
                (
                    m.id.as_str(),
                    m.hts_prefixes.as_slice(),
                    m.effective_to.as_str(),
                    m.rate.as_ref().unwrap().ad_valorem_percent.as_str(),
                    m.excluded_origins[0].as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "9903.85.08@2025-03-12",
                    &["76101000".to_string()][..],
                    "2025-06-04",
                    "25",
                    "GB"
                ),
                (
                    "9903.85.08@2025-06-04",
                    &["76101000".to_string()][..],
                    "2026-04-06",
                    "50",
                    "GB"
                ),
                (
                    "9903.85.08@2025-08-18",
                    &["84181000".to_string(), "84189900".to_string()][..],
                    "2026-04-06",
                    "50",
                    "GB"
                ),
            ]
        );
        let m = &out.measures[0];
        assert_eq!(m.basis, pb::DutyBasis::MetalContent as i32);
        assert_eq!(m.alternative_group, GROUP);
        assert!(
            m.source
                .starts_with("r25, note 19; subheadings listed from 2025-03-12 in list.csv")
        );
    }

    /// A row whose prefix is empty or not all digits is refused with its row.
    #[test]
    fn a_prefix_must_be_digits() {
        for bad in ["", "7326x086"] {
            let products = format!(
                "hts_prefix,ch99_code,derivative_type,effective_date\n{bad},9903.85.08,aluminum,\n"
            );
            assert_eq!(
                import(&products, RATES, "x").unwrap_err(),
                format!("derivative products row 2: {bad:?} is not an HTS prefix")
            );
        }
    }

    /// A product under a heading without rates, or of the other metal, is refused with its row.
    #[test]
    fn a_product_without_a_rate_is_an_error() {
        let unrated = "hts_prefix,ch99_code,derivative_type,effective_date\n\
            73269086,9903.81.91,steel,2025-08-18\n";
        assert_eq!(
            import(unrated, RATES, "x").unwrap_err(),
            "derivative products row 2: heading 9903.81.91 has no rate in the derivative rates"
        );
        let steel = "hts_prefix,ch99_code,derivative_type,effective_date\n\
            73269086,9903.85.08,steel,2025-08-18\n";
        assert!(
            import(steel, RATES, "x")
                .unwrap_err()
                .contains("a steel product under heading 9903.85.08, whose rates are for aluminum")
        );
    }
}
