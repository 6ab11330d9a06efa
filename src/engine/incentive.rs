//! Incentive credits (e.g. a clean vehicle credit): kept only while the share of in-scope
//! material value from restricted origins stays at or below a maximum. The share is measured
//! on exact goods values of material lines, by the origin of the import that brings each
//! line in (sourcing shares have their own); domestic lines have no origin.

use super::currency::Currency;
use super::date::Date;
use super::error::{CheckedAt, Error, Locator};
use super::line::{LineCost, LineKind};
use super::model::Incentive;
use super::money::{RoundingMode, shown_amount};
use super::work::{Meter, units};
use rust_decimal::Decimal;

/// An incentive evaluated on one side.
#[derive(Debug, Clone)]
pub struct IncentiveOutcome {
    /// Incentive id.
    pub id: String,
    /// Name.
    pub name: String,
    /// In force on this side's entry date.
    pub in_force: bool,
    /// Restricted share of in-scope material value (exact).
    pub restricted_share: Decimal,
    /// Kept: in force and share at or below the maximum.
    pub kept: bool,
    /// Credit applied: minus the credit amount when kept, else zero (rounded).
    pub credit: Decimal,
    /// The credit amount at stake (rounded, positive), kept or not.
    pub amount: Decimal,
    /// Readable derivation.
    pub formula: String,
}

/// Evaluates every incentive of a schedule against one side's costed lines (one unit of
/// work per line per incentive).
pub(crate) fn evaluate(
    incentives: &[Incentive],
    lines: &[LineCost],
    date: Date,
    rounding: RoundingMode,
    currency: Currency,
    meter: &Meter,
) -> Result<Vec<IncentiveOutcome>, Error> {
    let ccy = currency.code;
    let mu = currency.minor_units;
    incentives
        .iter()
        .map(|inc| {
            meter.charge(units(lines.len()))?;
            let mut total = Decimal::ZERO;
            let mut restricted = Decimal::ZERO;
            for line in lines {
                let LineKind::Material { material_id } = &line.kind else {
                    continue;
                };
                if !inc.material_ids.is_empty() && !inc.material_ids.contains(material_id) {
                    continue;
                }
                total = total.add_at(line.goods_exact, Locator::Bom, "incentive scope value")?;
                if line
                    .origin
                    .as_ref()
                    .is_some_and(|o| inc.restricted_origins.contains(o))
                {
                    restricted =
                        restricted.add_at(line.goods_exact, Locator::Bom, "restricted value")?;
                }
            }
            let share = if total.is_zero() {
                Decimal::ZERO
            } else {
                restricted.div_at(total, Locator::Bom, "restricted share")?
            };
            let in_force = inc.window.contains(date);
            let kept = in_force && share <= inc.max_restricted_share;
            let credit = if kept {
                -rounding.round(inc.credit, mu)
            } else {
                rounding.round(Decimal::ZERO, mu)
            };
            let origins = inc.restricted_origins.join(", ");
            let share_text = format!(
                "restricted share {} / {} {ccy} = {} ({origins})",
                shown_amount(restricted, mu),
                shown_amount(total, mu),
                share.round_dp(6).normalize()
            );
            let formula = if !in_force {
                format!("not in force on {date}")
            } else if kept {
                format!(
                    "{share_text} <= max {}: credit of {} {ccy} kept",
                    inc.max_restricted_share.normalize(),
                    shown_amount(inc.credit, mu)
                )
            } else {
                format!(
                    "{share_text} > max {}: credit of {} {ccy} lost",
                    inc.max_restricted_share.normalize(),
                    shown_amount(inc.credit, mu)
                )
            };
            Ok(IncentiveOutcome {
                id: inc.id.clone(),
                name: inc.name.clone(),
                in_force,
                restricted_share: share,
                kept,
                credit,
                amount: rounding.round(inc.credit, mu),
                formula,
            })
        })
        .collect()
}
