//! Estimated metal-content shares per HTS10 (the BEA input-output estimates: columns `hs10`,
//! `steel_share`, `aluminum_share`, ...), read into a schedule's `metal_share_estimates`: the
//! steel plus aluminum share of value (the metals the Section 232 derivative duties fall on),
//! capped at 1 as the file's own `metal_share` is (input-output coefficients of a metal
//! industry's own products exceed 1), rounded to four decimals (0.01%; the estimate is far coarser than that). Only codes a
//! metal-content measure of the schedule covers are kept: no other code could use one. A
//! request uses them only when it asks to (`estimate_metal_content`), never in place of a
//! declared share.

use crate::pb;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Row {
    hs10: String,
    steel_share: String,
    aluminum_share: String,
}

/// Decimal places an estimate keeps.
const PLACES: u32 = 4;

fn share(text: &str, at: &str) -> Result<Decimal, String> {
    let d: Decimal = text
        .trim()
        .parse()
        .or_else(|_| Decimal::from_scientific(text.trim()))
        .map_err(|_| format!("{at}: {text:?} is not a share"))?;
    if d < Decimal::ZERO {
        return Err(format!("{at}: {text} is negative"));
    }
    Ok(d)
}

/// The estimates of `csv_text` for the codes that start with one of `covered` (the prefixes of
/// the schedule's metal-content measures), in file order, and how many rows were read.
pub fn estimates(
    csv_text: &str,
    covered: &[&str],
) -> Result<(Vec<pb::MetalShareEstimate>, usize), String> {
    let mut out = Vec::new();
    let mut rows = 0;
    for (i, r) in csv::Reader::from_reader(csv_text.as_bytes())
        .deserialize::<Row>()
        .enumerate()
    {
        let at = format!("metal shares row {}", i + 2);
        let r = r.map_err(|e| format!("{at}: {e}"))?;
        rows += 1;
        if r.hs10.len() != 10 || !r.hs10.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{at}: {:?} is not a 10-digit HTS code", r.hs10));
        }
        if !covered.iter().any(|p| r.hs10.starts_with(p)) {
            continue;
        }
        let metal = share(&r.steel_share, &at)? + share(&r.aluminum_share, &at)?;
        let metal = metal
            .min(Decimal::ONE)
            .round_dp_with_strategy(PLACES, RoundingStrategy::MidpointAwayFromZero);
        out.push(pb::MetalShareEstimate {
            hts_prefix: r.hs10,
            share: metal.normalize().to_string(),
        });
    }
    Ok((out, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steel plus aluminum, rounded to 4 decimals and capped at 1; codes no metal-content
    /// measure covers are left out; a negative share is refused with its row.
    #[test]
    fn estimates_are_steel_plus_aluminum_for_covered_codes() {
        let csv = "hs10,naics,bea_detail_code,steel_share,aluminum_share,copper_share,other_metal_share,metal_share\n\
            8482105044,332991,332991,0.08943876811626503,0.00862413969100197,0.01,0,0.1\n\
            8505110070,335999,335999,0.1,0.2,0,0,0.3\n\
            7616995190,332999,332999,0.20934153930580277,0.14080631375127411,0,0,0.35\n\
            7614101000,331318,33131B,0.025829371793256405,1.6025299075555637,0.09,0.02,1\n";
        let (e, rows) = estimates(csv, &["84821050", "761699", "7614"]).unwrap();
        assert_eq!(rows, 4);
        let got: Vec<(&str, &str)> = e
            .iter()
            .map(|e| (e.hts_prefix.as_str(), e.share.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("8482105044", "0.0981"),
                ("7616995190", "0.3501"),
                ("7614101000", "1")
            ]
        );
        let bad = "hs10,steel_share,aluminum_share\n8482105044,0.9,-0.1\n";
        assert_eq!(
            estimates(bad, &["8482"]).unwrap_err(),
            "metal shares row 2: -0.1 is negative"
        );
    }
}
