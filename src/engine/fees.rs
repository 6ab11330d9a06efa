//! Per-entry ad valorem fees (MPF, HMF): computed per line, summed per entry, clamped to the
//! entry minimum and maximum, divided by the units per entry and spread back over the lines
//! in proportion to their unclamped fee. One entry carries `units_per_entry` units' imports
//! from one origin.
//!
//! Fees keep the rule stated in [`super::duty`]: with the duties, their stacked total on a side
//! never falls when a quantity, price or rate rises (an entry's fee is its lines' fees clamped
//! to a minimum and maximum, both monotone; the lines share it in proportion to their
//! unclamped fees, so one line's share can shrink as another grows, never the entry's total).

use super::currency::Currency;
use super::date::Date;
use super::error::{CheckedAt, InputError};
use super::line::{Charge, ImportedLine};
use super::model::{Fee, Options};
use super::money::{amount_text, plain};
// TODO(lead): drop once tests/properties.rs imports it from money.
pub use super::money::DIVISION_DECIMALS;
use super::text::clip;
use rust_decimal::Decimal;
use std::collections::HashMap;

fn quantize(d: Decimal) -> Decimal {
    d.round_dp(DIVISION_DECIMALS)
}

/// The fee `fee` on each line of `lines` it applies to on `date`: `(line index, charge)`.
pub(crate) fn charges(
    fee: &Fee,
    lines: &[&ImportedLine<'_>],
    date: Date,
    options: &Options,
    currency: Currency,
    explain: bool,
) -> Result<Vec<(usize, Charge)>, InputError> {
    let ccy = currency.code;
    let mu = currency.minor_units;
    let upe = options.units_per_entry;
    // One entry per origin, in order of first appearance, grouped in one pass.
    let mut entries: Vec<(&str, Vec<&ImportedLine<'_>>)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for l in lines
        .iter()
        .copied()
        .filter(|l| fee.applies(l.import, date))
    {
        let origin: &str = &l.import.origin;
        match at.get(origin) {
            Some(&i) => entries[i].1.push(l),
            None => {
                at.insert(origin, entries.len());
                entries.push((origin, vec![l]));
            }
        }
    }
    let mut out = Vec::new();
    for (origin, entry_lines) in entries {
        let mut raw = Vec::with_capacity(entry_lines.len());
        let mut sum = Decimal::ZERO;
        for l in &entry_lines {
            let r = fee
                .rate_percent
                .mul_at(l.customs_value, l.field_path, "fee")?
                .div_at(Decimal::ONE_HUNDRED, l.field_path, "fee")?;
            sum = sum.add_at(r, l.field_path, "fee per entry")?;
            raw.push(r);
        }
        let Some(field) = entry_lines.first().map(|l| l.field_path) else {
            continue;
        };
        let entry_raw = sum.mul_at(upe, field, "fee per entry")?;
        let mut entry = entry_raw;
        let mut clamp_note = String::new();
        if let Some(min) = fee.minimum_per_entry.filter(|m| entry < *m) {
            entry = min;
            clamp_note = format!(
                "raised to the {} {ccy} minimum per entry",
                amount_text(min, mu)
            );
        }
        if let Some(max) = fee.maximum_per_entry.filter(|m| entry > *m) {
            entry = max;
            clamp_note = format!(
                "capped at the {} {ccy} maximum per entry",
                amount_text(max, mu)
            );
        }
        let per_unit = quantize(entry.div_at(upe, field, "fee per unit")?);
        let n = Decimal::from(entry_lines.len());
        for (l, r) in entry_lines.iter().zip(&raw) {
            let clamped = !clamp_note.is_empty();
            let exact = if !clamped {
                *r
            } else if sum.is_zero() {
                quantize(per_unit.div_at(n, l.field_path, "fee share")?)
            } else {
                quantize(per_unit.mul_at(*r, l.field_path, "fee share")?.div_at(
                    sum,
                    l.field_path,
                    "fee share",
                )?)
            };
            let formula = if !explain {
                String::new()
            } else {
                let rate_text = format!(
                    "{}% x {} {ccy} customs value",
                    plain(fee.rate_percent),
                    amount_text(l.customs_value, mu)
                );
                if !clamped {
                    format!("{rate_text}, {}, origin {origin}", clip(&fee.name))
                } else {
                    let share = if entry_lines.len() == 1 {
                        String::new()
                    } else if sum.is_zero() {
                        format!(
                            " x 1/{} (equal share of the entry's lines)",
                            entry_lines.len()
                        )
                    } else {
                        format!(
                            " x {} / {} (this line's share of the entry)",
                            plain(*r),
                            plain(sum)
                        )
                    };
                    format!(
                        "{rate_text} = {}; entry of {} units from {origin}: {} {ccy}, {clamp_note}; / {} units{share}, {}",
                        plain(*r),
                        plain(upe),
                        amount_text(entry_raw, mu),
                        plain(upe),
                        clip(&fee.name)
                    )
                }
            };
            out.push((
                l.line,
                Charge {
                    id: fee.id.clone(),
                    name: fee.name.clone(),
                    program: None,
                    fee_kind: Some(fee.kind),
                    base: l.customs_value,
                    exact,
                    amount: options.rounding.round(exact, mu),
                    formula,
                },
            ));
        }
    }
    Ok(out)
}
