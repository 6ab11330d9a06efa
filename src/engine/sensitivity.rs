//! Sensitivity analysis: the delta at base values, true bounds over ranges of uncertain
//! inputs, and a tornado of one-at-a-time swings.
//!
//! Why the bounds are true: on each side, the unit cost before incentive credits is a
//! non-decreasing function of every input this analysis can vary (quantities, prices and ad
//! valorem rates are non-negative; goods, duties, compound rates with their minimums and
//! maximums, de minimis, and per-entry fee clamps are all non-decreasing in them). So each
//! side's exact cost over the whole box of ranges lies between its value with every input at
//! its low end and its value with every input at its high end. Credits are added as a range:
//! fixed at their base state when no varied input can move an incentive's restricted share
//! (rates cannot), else anywhere between lost and kept. The delta then lies in
//! [scenario min - baseline max, scenario max - baseline min], computed on exact values and
//! rounded outward to the minor unit. The bound always holds; it is not always attained when
//! one input moves both sides.

use super::error::{CheckedAt, InputError, Reason};
use super::impact::{Impact, calculate};
use super::model::{Bom, Item, ItemKind, Options, PriceDeck, Scenario, Schedule};
use rust_decimal::{Decimal, RoundingStrategy};

/// Which side(s) an input changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Baseline only.
    Baseline,
    /// Scenario only.
    Scenario,
    /// Both.
    Both,
}

impl Side {
    fn baseline(self) -> bool {
        matches!(self, Side::Baseline | Side::Both)
    }
    fn scenario(self) -> bool {
        matches!(self, Side::Scenario | Side::Both)
    }
}

/// What an uncertain input sets.
#[derive(Debug, Clone)]
pub enum Target {
    /// Multiplies the quantity per parent of the items at these readable paths.
    Quantity(Vec<String>),
    /// Sets a material's price.
    Price {
        /// Material id.
        material_id: String,
        /// Decks changed.
        side: Side,
    },
    /// Sets a measure's ad valorem rate (percent).
    Rate {
        /// Measure id.
        measure_id: String,
        /// Schedules changed.
        side: Side,
    },
}

/// One uncertain input with its range.
#[derive(Debug, Clone)]
pub struct Uncertain {
    /// Name in the tornado.
    pub name: String,
    /// What it sets.
    pub target: Target,
    /// Low value.
    pub low: Decimal,
    /// Base value.
    pub base: Decimal,
    /// High value.
    pub high: Decimal,
    /// Field path of the input, for errors (e.g. `inputs[1]`).
    pub field: String,
}

/// Owned inputs of a calculation, so that values can be overridden.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The product.
    pub bom: Bom,
    /// Baseline prices.
    pub baseline_prices: PriceDeck,
    /// Scenario prices.
    pub scenario_prices: PriceDeck,
    /// Baseline schedule.
    pub baseline_schedule: Schedule,
    /// Scenario schedule.
    pub scenario_schedule: Schedule,
    /// Options.
    pub options: Options,
}

impl Inputs {
    fn impact(&self) -> Result<Impact, InputError> {
        calculate(&Scenario {
            bom: &self.bom,
            baseline_prices: &self.baseline_prices,
            scenario_prices: &self.scenario_prices,
            baseline_schedule: &self.baseline_schedule,
            scenario_schedule: &self.scenario_schedule,
            options: &self.options,
        })
    }
}

/// One input swung alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// Input name.
    pub name: String,
    /// Delta with the input at low.
    pub at_low: Decimal,
    /// Delta with the input at high.
    pub at_high: Decimal,
    /// |at_high - at_low|.
    pub swing: Decimal,
}

/// The analysis.
#[derive(Debug, Clone)]
pub struct Sensitivity {
    /// Full result at base values.
    pub base: Impact,
    /// Lower bound of the exact delta, rounded down.
    pub lower_bound: Decimal,
    /// Upper bound of the exact delta, rounded up.
    pub upper_bound: Decimal,
    /// Delta with every input low.
    pub all_low: Decimal,
    /// Delta with every input high.
    pub all_high: Decimal,
    /// Bars, largest swing first.
    pub tornado: Vec<Bar>,
}

/// Runs the analysis on `inputs` (at their own values) with `uncertain` inputs.
pub fn analyze(inputs: &Inputs, uncertain: &[Uncertain]) -> Result<Sensitivity, InputError> {
    let at = |pick: &dyn Fn(&Uncertain) -> Decimal| -> Result<Inputs, InputError> {
        let mut x = inputs.clone();
        for u in uncertain {
            apply(&mut x, u, pick(u))?;
        }
        Ok(x)
    };
    let base_inputs = at(&|u| u.base)?;
    let base = base_inputs.impact()?;
    let low = at(&|u| u.low)?.impact()?;
    let high = at(&|u| u.high)?.impact()?;

    let mut tornado = Vec::with_capacity(uncertain.len());
    for (i, u) in uncertain.iter().enumerate() {
        let swung = |value: Decimal| -> Result<Decimal, InputError> {
            let mut x = base_inputs.clone();
            apply(&mut x, &uncertain[i], value)?;
            Ok(x.impact()?.delta)
        };
        let at_low = swung(u.low)?;
        let at_high = swung(u.high)?;
        let swing = at_high.sub_at(at_low, &u.field, "swing")?.abs();
        tornado.push(Bar {
            name: u.name.clone(),
            at_low,
            at_high,
            swing,
        });
    }
    tornado.sort_by_key(|b| std::cmp::Reverse(b.swing));

    // Credits can move only if an input can change a material's value.
    let goods_vary_base = uncertain.iter().any(|u| match &u.target {
        Target::Quantity(_) => true,
        Target::Price { side, .. } => side.baseline(),
        Target::Rate { .. } => false,
    });
    let goods_vary_scen = uncertain.iter().any(|u| match &u.target {
        Target::Quantity(_) => true,
        Target::Price { side, .. } => side.scenario(),
        Target::Rate { .. } => false,
    });
    let (base_min, base_max) = side_range(
        low.baseline.totals.exact_total - low.baseline.totals.credits,
        high.baseline.totals.exact_total - high.baseline.totals.credits,
        base.baseline.totals.credits,
        &base.baseline.incentives,
        goods_vary_base,
    )?;
    let (scen_min, scen_max) = side_range(
        low.scenario.totals.exact_total - low.scenario.totals.credits,
        high.scenario.totals.exact_total - high.scenario.totals.credits,
        base.scenario.totals.credits,
        &base.scenario.incentives,
        goods_vary_scen,
    )?;
    let mu = inputs.bom.currency.minor_units;
    let lower = scen_min.sub_at(base_max, "inputs", "delta bound")?;
    let upper = scen_max.sub_at(base_min, "inputs", "delta bound")?;
    Ok(Sensitivity {
        lower_bound: outward(lower, mu, RoundingStrategy::ToNegativeInfinity),
        upper_bound: outward(upper, mu, RoundingStrategy::ToPositiveInfinity),
        all_low: low.delta,
        all_high: high.delta,
        tornado,
        base,
    })
}

fn outward(v: Decimal, mu: u32, strategy: RoundingStrategy) -> Decimal {
    let mut r = v.round_dp_with_strategy(mu, strategy);
    r.rescale(mu);
    r
}

/// The range of one side's exact cost: goods-and-duties from the low and high corners, plus
/// the credits (fixed, or from all kept to all lost).
fn side_range(
    low_before_credits: Decimal,
    high_before_credits: Decimal,
    base_credits: Decimal,
    incentives: &[super::incentive::IncentiveOutcome],
    credits_vary: bool,
) -> Result<(Decimal, Decimal), InputError> {
    if !credits_vary {
        return Ok((
            low_before_credits.add_at(base_credits, "inputs", "bound")?,
            high_before_credits.add_at(base_credits, "inputs", "bound")?,
        ));
    }
    let mut all_kept = Decimal::ZERO;
    for i in incentives.iter().filter(|i| i.in_force) {
        all_kept = all_kept.add_at(i.amount, "inputs", "bound")?;
    }
    Ok((
        low_before_credits.sub_at(all_kept, "inputs", "bound")?,
        high_before_credits,
    ))
}

/// Sets `u`'s target to `value` in `x`.
fn apply(x: &mut Inputs, u: &Uncertain, value: Decimal) -> Result<(), InputError> {
    match &u.target {
        Target::Quantity(paths) => {
            for (j, path) in paths.iter().enumerate() {
                let field = format!("{}.quantity.item_paths[{j}]", u.field);
                let item = find_item(&mut x.bom.items, path).ok_or_else(|| {
                    InputError::new(
                        &field,
                        Reason::InvalidValue,
                        format!("no BOM item has the path {path:?}"),
                    )
                })?;
                item.quantity = item.quantity.mul_at(value, &field, "quantity x factor")?;
            }
        }
        Target::Price { material_id, side } => {
            let field = format!("{}.price.material_id", u.field);
            let mut decks: Vec<&mut PriceDeck> = Vec::new();
            if side.baseline() {
                decks.push(&mut x.baseline_prices);
            }
            if side.scenario() {
                decks.push(&mut x.scenario_prices);
            }
            for deck in decks {
                let deck_id = deck.id.clone();
                let p = deck.prices.get_mut(material_id).ok_or_else(|| {
                    InputError::new(
                        &field,
                        Reason::UnknownMaterial,
                        format!("material {material_id:?} is not priced in deck {deck_id:?}"),
                    )
                })?;
                p.price = value;
            }
        }
        Target::Rate { measure_id, side } => {
            let field = format!("{}.rate.measure_id", u.field);
            let mut schedules: Vec<&mut Schedule> = Vec::new();
            if side.baseline() {
                schedules.push(&mut x.baseline_schedule);
            }
            if side.scenario() {
                schedules.push(&mut x.scenario_schedule);
            }
            for schedule in schedules {
                let schedule_id = schedule.id.clone();
                let m = schedule
                    .measures
                    .iter_mut()
                    .find(|m| &m.id == measure_id)
                    .ok_or_else(|| {
                        InputError::new(
                            &field,
                            Reason::InvalidValue,
                            format!("schedule {schedule_id:?} has no measure {measure_id:?}"),
                        )
                    })?;
                m.rate.ad_valorem_percent = Some(value);
            }
        }
    }
    Ok(())
}

/// The item at a readable path of ids ("drive-unit/rotor-magnets/nd-oxide").
fn find_item<'a>(items: &'a mut [Item], path: &str) -> Option<&'a mut Item> {
    let (head, rest) = match path.split_once('/') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let item = items.iter_mut().find(|i| i.id == head)?;
    match rest {
        None => Some(item),
        Some(rest) => match &mut item.kind {
            ItemKind::Assembly { children } => find_item(children, rest),
            _ => None,
        },
    }
}
