//! Per-entry ad valorem fees (MPF, HMF): computed per line, summed per entry, clamped to the
//! entry minimum and maximum, divided by the units per entry and spread back over the lines
//! in proportion to their unclamped fee. One entry carries `units_per_entry` units' imports
//! from one origin.
//!
//! When the request did not give the units per entry, 1 is assumed and an entry raised to its
//! minimum puts the whole minimum on one unit of product: for a small BOM it can outweigh the
//! duties, while a real entry carries many units. Such an entry is noted, naming the option.
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
use super::money::{DecimalText, quantize, shown_amount};
use super::text::clip;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use std::fmt::Write as _;

/// Bytes reserved for a fee's formula: most fit, so each is one allocation.
const FORMULA_CAPACITY: usize = 128;

/// The fee `fee` on each line of `lines` it applies to on `date`: `(line index, charge)`.
/// Each entry raised to the minimum while the units per entry were not given adds a note to
/// `notes` ([`minimum_note`]).
pub(crate) fn charges(
    fee: &Fee,
    lines: &[&ImportedLine<'_>],
    date: Date,
    options: &Options,
    currency: Currency,
    explain: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<(usize, Charge)>, InputError> {
    let mut out = Vec::new();
    for (origin, entry_lines) in entries(fee, lines, date) {
        let Some(entry) = Entry::new(fee, &entry_lines, options.units_per_entry, currency)? else {
            continue;
        };
        if let Some(min) = entry.raised_to.filter(|_| !options.units_per_entry_given) {
            notes.push(minimum_note(fee, origin, min, currency));
        }
        let shares = entry.shares(&entry_lines)?;
        for ((l, r), exact) in entry_lines.iter().zip(&entry.raw).zip(shares) {
            let formula = if explain {
                entry.formula(fee, l, *r, origin)
            } else {
                String::new()
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
                    amount: options.rounding.round(exact, currency.minor_units),
                    formula,
                },
            ));
        }
    }
    Ok(out)
}

/// The note of an entry from `origin` raised to `fee`'s minimum `min` with one unit of product
/// assumed per entry. It names no amount of a side, so the baseline's and the scenario's
/// notes of one entry are the same note.
fn minimum_note(fee: &Fee, origin: &str, min: Decimal, currency: Currency) -> String {
    format!(
        "entries from {origin}: {} is raised to its {} {} minimum per entry, all of it on one \
         unit of product: units per entry was not given and 1 is assumed; set units_per_entry \
         to the units of product one customs entry carries",
        clip(&fee.name),
        shown_amount(min, currency.minor_units),
        currency.code
    )
}

/// The lines `fee` applies to on `date`, one entry per origin, in order of first appearance,
/// grouped in one pass.
fn entries<'l, 'a>(
    fee: &Fee,
    lines: &[&'l ImportedLine<'a>],
    date: Date,
) -> Vec<(&'l str, Vec<&'l ImportedLine<'a>>)> {
    let mut entries: Vec<(&str, Vec<&ImportedLine<'_>>)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::default();
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
    entries
}

/// One customs entry's fee: each line's unclamped fee, their sum for the units of one entry,
/// clamped to the minimum and maximum, and the clamped fee per unit of product.
struct Entry {
    currency: Currency,
    units: Decimal,
    raw: Vec<Decimal>,
    sum: Decimal,
    unclamped: Decimal,
    per_unit: Decimal,
    /// Why the fee was clamped; empty when it was not.
    clamp_note: String,
    /// The minimum per entry, when the entry's fee was raised to it.
    raised_to: Option<Decimal>,
}

impl Entry {
    /// The entry of `lines` (`None` when it has none), with `units` units of product.
    fn new(
        fee: &Fee,
        lines: &[&ImportedLine<'_>],
        units: Decimal,
        currency: Currency,
    ) -> Result<Option<Entry>, InputError> {
        let (ccy, mu) = (currency.code, currency.minor_units);
        let mut raw = Vec::with_capacity(lines.len());
        let mut sum = Decimal::ZERO;
        for l in lines {
            let r = quantize(
                fee.rate_percent
                    .mul_at(l.customs_value, l.at(), "fee")?
                    .div_at(Decimal::ONE_HUNDRED, l.at(), "fee")?,
            );
            sum = sum.add_at(r, l.at(), "fee per entry")?;
            raw.push(r);
        }
        let Some(field) = &lines.first().map(|l| l.at()) else {
            return Ok(None);
        };
        let unclamped = sum.mul_at(units, field, "fee per entry")?;
        let mut entry = unclamped;
        let mut clamp_note = String::new();
        let raised_to = fee.minimum_per_entry.filter(|m| entry < *m);
        if let Some(min) = raised_to {
            entry = min;
            clamp_note = format!(
                "raised to the {} {ccy} minimum per entry",
                shown_amount(min, mu)
            );
        }
        if let Some(max) = fee.maximum_per_entry.filter(|m| entry > *m) {
            entry = max;
            clamp_note = format!(
                "capped at the {} {ccy} maximum per entry",
                shown_amount(max, mu)
            );
        }
        let per_unit = quantize(entry.div_at(units, field, "fee per unit")?);
        Ok(Some(Entry {
            currency,
            units,
            raw,
            sum,
            unclamped,
            per_unit,
            clamp_note,
            raised_to,
        }))
    }

    fn clamped(&self) -> bool {
        !self.clamp_note.is_empty()
    }

    /// Each line's exact fee per unit of product: its unclamped fee itself, or its share of
    /// the clamped fee (in proportion to its unclamped fee, or equal when every one is zero),
    /// quantized to [`DIVISION_DECIMALS`]. The quantized shares can miss the clamped fee by
    /// up to 10^-16 per line, so a side's exact fees can fall by that much when an input
    /// rises; giving one line the remainder would make a line's exact fee depend on the order
    /// of lines that tie. 10^-16 is far below half a minor unit: the sensitivity bounds, on
    /// exact amounts rounded to the minor unit, keep the rule stated in [`super::duty`].
    fn shares(&self, lines: &[&ImportedLine<'_>]) -> Result<Vec<Decimal>, InputError> {
        if !self.clamped() {
            return Ok(self.raw.clone());
        }
        lines
            .iter()
            .zip(&self.raw)
            .map(|(l, r)| self.share(l, *r))
            .collect()
    }

    /// Line `l`'s share of the clamped fee, from its unclamped fee `r`.
    fn share(&self, l: &ImportedLine<'_>, r: Decimal) -> Result<Decimal, InputError> {
        if self.sum.is_zero() {
            let n = Decimal::from(self.raw.len());
            return Ok(quantize(self.per_unit.div_at(n, l.at(), "fee share")?));
        }
        Ok(quantize(
            self.per_unit
                .mul_at(r, l.at(), "fee share")?
                .div_at(self.sum, l.at(), "fee share")?,
        ))
    }

    /// The formula of line `l`'s share (`r`, its raw fee) of the entry from `origin`, written
    /// into one `String`.
    fn formula(&self, fee: &Fee, l: &ImportedLine<'_>, r: Decimal, origin: &str) -> String {
        let (ccy, mu) = (self.currency.code, self.currency.minor_units);
        let mut f = String::with_capacity(FORMULA_CAPACITY);
        // Writing into a `String` cannot fail.
        let _ = write!(
            f,
            "{}% x {} {ccy} customs value",
            DecimalText::shown_number(fee.rate_percent),
            DecimalText::shown_amount(l.customs_value, mu)
        );
        if !self.clamped() {
            let _ = write!(f, ", {}, origin {origin}", clip(&fee.name));
            return f;
        }
        let units = DecimalText::shown_number(self.units);
        let _ = write!(
            f,
            " = {}; entry of {units} units from {origin}: {} {ccy}, {}; / {units} units",
            DecimalText::shown_number(r),
            DecimalText::shown_amount(self.unclamped, mu),
            self.clamp_note,
        );
        // A line alone in its entry carries all of it: no share to name.
        if self.raw.len() > 1 {
            if self.sum.is_zero() {
                let _ = write!(
                    f,
                    " x 1/{} (equal share of the entry's lines)",
                    self.raw.len()
                );
            } else {
                let _ = write!(
                    f,
                    " x {} / {} (this line's share of the entry)",
                    DecimalText::shown_number(r),
                    DecimalText::shown_number(self.sum)
                );
            }
        }
        let _ = write!(f, ", {}", clip(&fee.name));
        f
    }
}
