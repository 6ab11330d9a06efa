//! Calculation options: entry dates, units per entry, annual volume, rounding.

use super::check::{Check, Range, join};
use super::enums;
use crate::engine::model::{Options, Stockpile};
use crate::engine::{InputError, Reason};
use crate::pb;

/// Validates a request's options found at field path `root` (e.g. `options`).
pub fn options(o: Option<&pb::CalculationOptions>, root: &str) -> Result<Options, Vec<InputError>> {
    let default = pb::CalculationOptions::default();
    let o = o.unwrap_or(&default);
    let mut c = Check::default();
    let entry_date = c.date(&o.entry_date, &join(root, "entry_date"));
    let scenario_entry_date = c
        .optional_date(&o.scenario_entry_date, &join(root, "scenario_entry_date"))
        .or(entry_date);
    let upe_field = join(root, "units_per_entry");
    let units_per_entry = if o.units_per_entry.is_empty() {
        Some(rust_decimal::Decimal::ONE)
    } else {
        c.decimal(&o.units_per_entry, &upe_field, Range::Positive)
    };
    if let Some(u) = units_per_entry
        && u.fract() != rust_decimal::Decimal::ZERO
    {
        c.push(
            &upe_field,
            Reason::OutOfRange,
            "units per entry must be a whole number",
        );
    }
    let annual_volume = c.optional_decimal(
        &o.annual_volume,
        &join(root, "annual_volume"),
        Range::NonNegative,
    );
    let rounding = c.enum_value(
        enums::rounding_mode(o.rounding_mode),
        o.rounding_mode,
        &join(root, "rounding_mode"),
        "rounding mode",
    );
    let stockpile = o.stockpile.as_ref().and_then(|sp| {
        let cover_months = c.decimal(
            &sp.cover_months,
            &join(root, "stockpile.cover_months"),
            Range::NonNegative,
        );
        let horizon_months = c.decimal(
            &sp.horizon_months,
            &join(root, "stockpile.horizon_months"),
            Range::Positive,
        );
        Some(Stockpile {
            cover_months: cover_months?,
            horizon_months: horizon_months?,
            material_ids: sp.material_ids.iter().collect(),
        })
    });
    let explain = match pb::ResultView::try_from(o.view) {
        Ok(pb::ResultView::Summary) => false,
        Ok(_) => true,
        Err(_) => {
            c.push(
                join(root, "view"),
                Reason::InvalidValue,
                format!("{} is not a known result view", o.view),
            );
            true
        }
    };
    let (Some(entry_date), Some(scenario_entry_date), Some(units_per_entry), Some(rounding)) =
        (entry_date, scenario_entry_date, units_per_entry, rounding)
    else {
        return Err(c.into_errors());
    };
    c.finish(Options {
        entry_date,
        scenario_entry_date,
        units_per_entry,
        units_per_entry_given: !o.units_per_entry.is_empty(),
        annual_volume,
        rounding,
        stockpile,
        explain,
        estimate_metal_content: o.estimate_metal_content,
    })
}
