//! Sensitivity analysis: the delta at base values, bounds over ranges of uncertain inputs,
//! and a tornado of one-at-a-time swings.
//!
//! Why the bounds hold: the delta is split into goods and charges. The goods part is, line by
//! line, (scenario price x quantity - baseline price x quantity) x the product of the quantity
//! factors on the line's path: each factor and price enters at most linearly, so interval
//! arithmetic over a box bounds each line's term exactly and their sum soundly. The charges
//! (duties and fees) of each side are non-decreasing in every input this analysis varies
//! (quantities, prices and ad valorem rates are non-negative; stacked duties with their
//! minimums and maximums, de minimis and per-entry fee clamps are all non-decreasing), so on
//! a box they lie between their values at its low and high corners. Incentive credits are
//! added as fixed when no varied input can move a restricted share, else as anywhere from
//! lost to kept. The box of ranges is bisected, most promising bound first, until the bound is
//! within half a minor unit of a delta actually reached at an evaluated corner, or an
//! evaluation budget runs out. Either way every combination of inputs in their ranges gives
//! an exact delta inside the reported interval: within half a minor unit when converged,
//! exactly (rounded outward) when not.

use super::costing;
use super::currency::Currency;
use super::error::{Aim, Attribute, CheckedAt, Error, InputError, Locator, Reason};
use super::fx::{Fx, FxDeck};
use super::impact::{Impact, Rates, Sides, calculate};
use super::model::{Bom, Item, ItemKind, Options, PriceDeck, Scenario, Schedule};
use super::text::clip;
use super::work::{Meter, units};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashMap;

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
    /// Whether the baseline's decks or schedules are changed.
    pub fn baseline(self) -> bool {
        matches!(self, Side::Baseline | Side::Both)
    }
    /// Whether the scenario's decks or schedules are changed.
    pub fn scenario(self) -> bool {
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
    /// Baseline exchange rates, if any.
    pub baseline_fx: Option<FxDeck>,
    /// Scenario exchange rates, if any.
    pub scenario_fx: Option<FxDeck>,
    /// Options.
    pub options: Options,
}

impl Inputs {
    /// These inputs as the engine takes them.
    pub(crate) fn scenario(&self) -> Scenario<'_> {
        Scenario {
            bom: &self.bom,
            baseline_prices: &self.baseline_prices,
            scenario_prices: &self.scenario_prices,
            baseline_schedule: &self.baseline_schedule,
            scenario_schedule: &self.scenario_schedule,
            baseline_fx: self.baseline_fx.as_ref(),
            scenario_fx: self.scenario_fx.as_ref(),
            options: &self.options,
        }
    }

    fn impact(&self, meter: &Meter) -> Result<Impact, Error> {
        calculate(&self.scenario(), meter)
    }

    /// Units of work to copy these inputs (one per line, price, measure, fee, incentive and
    /// exchange rate): each evaluation works on its own copy.
    pub(crate) fn copy_units(&self) -> u64 {
        let schedule = |s: &Schedule| s.measures().len() + s.fees.len() + s.incentives.len();
        let fx = |d: &Option<FxDeck>| d.as_ref().map_or(0, |d| d.rates.len());
        units(
            self.bom.line_count()
                + self.baseline_prices.prices.len()
                + self.scenario_prices.prices.len()
                + schedule(&self.baseline_schedule)
                + schedule(&self.scenario_schedule)
                + fx(&self.baseline_fx)
                + fx(&self.scenario_fx),
        )
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
    /// Lower bound of the exact delta (see [`Sensitivity::converged`]).
    pub lower_bound: Decimal,
    /// Upper bound of the exact delta.
    pub upper_bound: Decimal,
    /// Both bounds refined to within half a minor unit of a reached delta.
    pub converged: bool,
    /// Smallest exact delta reached, rounded to the minor unit.
    pub min_reached: Decimal,
    /// Largest exact delta reached, rounded to the minor unit.
    pub max_reached: Decimal,
    /// Delta with every input low (displayed, rounded atoms).
    pub all_low: Decimal,
    /// Delta with every input high.
    pub all_high: Decimal,
    /// Bars, largest swing first.
    pub tornado: Vec<Bar>,
    /// Combinations costed for the bounds.
    pub evaluations: usize,
}

/// Most input combinations costed (two costings each) while refining the bounds, and most
/// boxes split.
pub const EVALUATION_BUDGET: usize = 512;

/// Narrowest part of an input's range the search splits: 10^-12 of it.
const MIN_RELATIVE_WIDTH: Decimal = Decimal::from_parts(1, 0, 0, false, 12);

/// Runs the analysis on `inputs` (at their own values) with `uncertain` inputs, counting the
/// work on `meter` (see [`super::estimate::sensitivity`] for what it can cost).
pub fn analyze(
    inputs: &Inputs,
    uncertain: &[Uncertain],
    meter: &Meter,
) -> Result<Sensitivity, Error> {
    let targets = Targets::resolve(&inputs.bom, uncertain)?;
    let values = |pick: &dyn Fn(&Uncertain) -> Decimal| -> Vec<Decimal> {
        uncertain.iter().map(pick).collect()
    };
    let base_values = values(&|u| u.base);
    let base = targets
        .with_values(inputs, uncertain, &base_values, meter)?
        .impact(meter)?;
    // Every other evaluation needs only its delta: no formulas.
    let mut quiet = inputs.clone();
    quiet.options.explain = false;
    let inputs = &quiet;
    let delta_at = |v: &[Decimal]| -> Result<Decimal, Error> {
        Ok(targets
            .with_values(inputs, uncertain, v, meter)?
            .impact(meter)?
            .delta)
    };
    let all_low = delta_at(&values(&|u| u.low))?;
    let all_high = delta_at(&values(&|u| u.high))?;

    let tornado = tornado(uncertain, &base_values, &delta_at)?;

    let mut search = Search::new(inputs, uncertain, &targets, &base, meter)?;
    let lo: Vec<Decimal> = values(&|u| u.low);
    let hi: Vec<Decimal> = values(&|u| u.high);
    let (upper, max_reached, up_ok) = search.refine(&lo, &hi, Goal::Max)?;
    let (lower, min_reached, low_ok) = search.refine(&lo, &hi, Goal::Min)?;
    let mu = inputs.bom.currency.minor_units;
    let converged = up_ok && low_ok;
    let nearest = RoundingStrategy::MidpointAwayFromZero;
    // Converged bounds are within half a minor unit of a reached delta: nearest. Otherwise
    // they are rounded outward, so they stay bounds.
    let (up, down) = if converged {
        (nearest, nearest)
    } else {
        (
            RoundingStrategy::ToPositiveInfinity,
            RoundingStrategy::ToNegativeInfinity,
        )
    };
    Ok(Sensitivity {
        upper_bound: round(upper, mu, up),
        lower_bound: round(lower, mu, down),
        converged,
        min_reached: round(min_reached, mu, nearest),
        max_reached: round(max_reached, mu, nearest),
        all_low,
        all_high,
        tornado,
        evaluations: search.evaluations,
        base,
    })
}

/// The tornado: each input swung alone from low to high, the others at base, largest swing
/// first.
fn tornado(
    uncertain: &[Uncertain],
    base_values: &[Decimal],
    delta_at: &dyn Fn(&[Decimal]) -> Result<Decimal, Error>,
) -> Result<Vec<Bar>, Error> {
    let mut tornado = Vec::with_capacity(uncertain.len());
    for (i, u) in uncertain.iter().enumerate() {
        let swung = |value: Decimal| -> Result<Decimal, Error> {
            let mut v = base_values.to_vec();
            v[i] = value;
            delta_at(&v)
        };
        let at_low = swung(u.low)?;
        let at_high = swung(u.high)?;
        let swing = at_high
            .sub_at(at_low, Locator::Uncertain(i, Aim::Input), "swing")?
            .abs();
        tornado.push(Bar {
            name: u.name.clone(),
            at_low,
            at_high,
            swing,
        });
    }
    tornado.sort_by_key(|b| std::cmp::Reverse(b.swing));
    Ok(tornado)
}

/// Where each quantity input's item paths lead, found once: the chain of child indices from
/// the top of the BOM to each item, so setting a value costs the path's depth, not a search
/// of the tree at every evaluation.
struct Targets {
    /// Per uncertain input, per item path: the chain of indices.
    chains: Vec<Vec<Vec<usize>>>,
}

impl Targets {
    fn resolve(bom: &Bom, uncertain: &[Uncertain]) -> Result<Targets, InputError> {
        let mut chains = Vec::with_capacity(uncertain.len());
        let mut by_path: Option<HashMap<String, Vec<usize>>> = None;
        for (n, u) in uncertain.iter().enumerate() {
            let Target::Quantity(paths) = &u.target else {
                chains.push(Vec::new());
                continue;
            };
            let index = by_path.get_or_insert_with(|| item_chains(&bom.items));
            let mut found = Vec::with_capacity(paths.len());
            for (j, path) in paths.iter().enumerate() {
                match index.get(path) {
                    Some(chain) => found.push(chain.clone()),
                    None => {
                        return Err(InputError::new(
                            Locator::Uncertain(n, Aim::ItemPath(j)),
                            Reason::InvalidValue,
                            format!("no BOM item has the path {:?}", clip(path)),
                        ));
                    }
                }
            }
            chains.push(found);
        }
        Ok(Targets { chains })
    }

    /// A copy of `inputs` with every uncertain input set to its value in `values`.
    fn with_values(
        &self,
        inputs: &Inputs,
        uncertain: &[Uncertain],
        values: &[Decimal],
        meter: &Meter,
    ) -> Result<Inputs, Error> {
        meter.charge(inputs.copy_units())?;
        let mut x = inputs.clone();
        for (n, ((u, v), chains)) in uncertain.iter().zip(values).zip(&self.chains).enumerate() {
            meter.charge(1 + units(chains.len()))?;
            apply(&mut x, (n, u), chains, *v)?;
        }
        Ok(x)
    }
}

/// The chain of child indices of every item, by readable path.
fn item_chains(items: &[Item]) -> HashMap<String, Vec<usize>> {
    fn walk(
        items: &[Item],
        prefix: &str,
        chain: &mut Vec<usize>,
        out: &mut HashMap<String, Vec<usize>>,
    ) {
        for (i, item) in items.iter().enumerate() {
            let path = if prefix.is_empty() {
                item.id.clone()
            } else {
                format!("{prefix}/{}", item.id)
            };
            chain.push(i);
            // The first of two items with the same path wins, as a walk from the top finds it.
            if !out.contains_key(&path) {
                out.insert(path.clone(), chain.clone());
            }
            if let ItemKind::Assembly { children } = &item.kind {
                walk(children, &path, chain, out);
            }
            chain.pop();
        }
    }
    let mut out = HashMap::new();
    walk(items, "", &mut Vec::new(), &mut out);
    out
}

fn round(v: Decimal, mu: u32, strategy: RoundingStrategy) -> Decimal {
    let mut r = v.round_dp_with_strategy(mu, strategy);
    r.rescale(mu);
    r
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Goal {
    Max,
    Min,
}

/// Exact side charges at one combination of values.
#[derive(Debug, Clone, Copy)]
struct Point {
    /// Baseline exact duties and fees.
    base: Decimal,
    /// Scenario exact duties and fees.
    scen: Decimal,
    /// Exact delta, goods and credits included.
    delta: Decimal,
}

/// One line's goods delta as a function of the inputs: (scenario value - baseline value) x
/// the product of the quantity factors on its path, where a side's value is its price x its
/// priced quantity and a price may be set by an input.
#[derive(Debug, Clone)]
struct GoodsTerm {
    base_quantity: Decimal,
    scen_quantity: Decimal,
    base_price: Decimal,
    scen_price: Decimal,
    base_price_input: Option<usize>,
    scen_price_input: Option<usize>,
    factors: Vec<usize>,
}

/// Interval product of two intervals.
fn mul_interval(
    a: (Decimal, Decimal),
    b: (Decimal, Decimal),
    f: &Locator,
) -> Result<(Decimal, Decimal), InputError> {
    let products = [
        a.0.mul_at(b.0, f, "bound")?,
        a.0.mul_at(b.1, f, "bound")?,
        a.1.mul_at(b.0, f, "bound")?,
        a.1.mul_at(b.1, f, "bound")?,
    ];
    let lo = products.iter().copied().min().unwrap_or_default();
    let hi = products.iter().copied().max().unwrap_or_default();
    Ok((lo, hi))
}

/// How one side's price deck reaches the BOM's currency: a price input's value is a price in
/// the deck's currency, and the goods are priced from its conversion. A conversion is
/// monotone (a positive rate, then rounding to 16 decimals), so the converted values of the
/// ends of an input's range bound the converted values inside it: the engine's own prices.
struct PriceConversion<'a> {
    fx: Fx<'a>,
    from: Currency,
}

impl PriceConversion<'_> {
    fn convert(&self, v: Decimal) -> Result<Decimal, InputError> {
        self.fx.convert(v, self.from, &Locator::Inputs)
    }
}

/// The price conversions of both sides, and whether they are the same conversion (then one
/// input setting both sides' price sets both goods from the same converted price).
struct Conversions<'a> {
    base: PriceConversion<'a>,
    scen: PriceConversion<'a>,
    same: bool,
}

impl<'a> Conversions<'a> {
    fn of(inputs: &'a Inputs) -> Conversions<'a> {
        let to = inputs.bom.currency;
        let side = |fx: Option<&'a FxDeck>, deck: &PriceDeck| PriceConversion {
            fx: Fx::new(fx, to),
            from: deck.currency,
        };
        // As the costings convert: the scenario's own deck, none when it has none.
        let scen_fx = inputs.scenario_fx.as_ref();
        let (b, s) = (&inputs.baseline_prices, &inputs.scenario_prices);
        Conversions {
            same: b.currency == s.currency
                && (b.currency == to || inputs.baseline_fx.as_ref() == scen_fx),
            base: side(inputs.baseline_fx.as_ref(), b),
            scen: side(scen_fx, s),
        }
    }

    /// No conversion: prices in the BOM's currency on both sides.
    #[cfg(test)]
    fn none(currency: Currency) -> Conversions<'static> {
        let side = || PriceConversion {
            fx: Fx::new(None, currency),
            from: currency,
        };
        Conversions {
            base: side(),
            scen: side(),
            same: true,
        }
    }
}

impl GoodsTerm {
    /// The range of this line's goods delta over the box [lo, hi], its price inputs' values
    /// converted by `conv`.
    fn range(
        &self,
        lo: &[Decimal],
        hi: &[Decimal],
        conv: &Conversions<'_>,
    ) -> Result<(Decimal, Decimal), InputError> {
        let f = &Locator::Inputs;
        let price = |fixed: Decimal,
                     input: Option<usize>,
                     c: &PriceConversion<'_>|
         -> Result<(Decimal, Decimal), InputError> {
            Ok(match input {
                Some(i) => (c.convert(lo[i])?, c.convert(hi[i])?),
                None => (fixed, fixed),
            })
        };
        let diff = if conv.same
            && self.base_price_input.is_some()
            && self.base_price_input == self.scen_price_input
        {
            // One input sets both prices: the difference is that price times the difference
            // of the quantities (equal unless the decks price in different units).
            let i = self.base_price_input.unwrap_or_default();
            let dq = self.scen_quantity.sub_at(self.base_quantity, f, "bound")?;
            let p = (conv.base.convert(lo[i])?, conv.base.convert(hi[i])?);
            mul_interval(p, (dq, dq), f)?
        } else {
            let s = mul_interval(
                price(self.scen_price, self.scen_price_input, &conv.scen)?,
                (self.scen_quantity, self.scen_quantity),
                f,
            )?;
            let b = mul_interval(
                price(self.base_price, self.base_price_input, &conv.base)?,
                (self.base_quantity, self.base_quantity),
                f,
            )?;
            (s.0.sub_at(b.1, f, "bound")?, s.1.sub_at(b.0, f, "bound")?)
        };
        let mut q = (Decimal::ONE, Decimal::ONE);
        for &i in &self.factors {
            q = mul_interval(q, (lo[i], hi[i]), f)?;
        }
        mul_interval(diff, q, f)
    }
}

/// The credit range of one side: fixed at its base value, or anywhere from all in-force
/// credits kept (`min`) to all lost (`max`).
#[derive(Debug, Clone, Copy)]
struct CreditRange {
    min: Decimal,
    max: Decimal,
}

struct Search<'a> {
    inputs: &'a Inputs,
    terms: Vec<GoodsTerm>,
    conversions: Conversions<'a>,
    uncertain: &'a [Uncertain],
    targets: &'a Targets,
    meter: &'a Meter,
    base_credits: CreditRange,
    scen_credits: CreditRange,
    scale: Vec<Decimal>,
    tolerance: Decimal,
    cache: std::collections::HashMap<Vec<Decimal>, Point>,
    evaluations: usize,
    /// Boxes split so far, over both bounds.
    splits: usize,
    /// Units of work of one interval bound: one per goods term and per factor on it.
    bound_units: u64,
}

impl<'a> Search<'a> {
    fn new(
        inputs: &'a Inputs,
        uncertain: &'a [Uncertain],
        targets: &'a Targets,
        base: &Impact,
        meter: &'a Meter,
    ) -> Result<Self, Error> {
        let varies = |side_of: fn(Side) -> bool| {
            uncertain.iter().any(|u| match &u.target {
                Target::Quantity(_) => true,
                Target::Price { side, .. } => side_of(*side),
                Target::Rate { .. } => false,
            })
        };
        let range =
            |costing: &super::costing::Costing, varies: bool| -> Result<CreditRange, InputError> {
                if !varies {
                    return Ok(CreditRange {
                        min: costing.totals.credits,
                        max: costing.totals.credits,
                    });
                }
                let mut kept = Decimal::ZERO;
                for i in costing.incentives.iter().filter(|i| i.in_force) {
                    kept = kept.add_at(i.amount, &Locator::Inputs, "credit range")?;
                }
                Ok(CreditRange {
                    min: -kept,
                    max: Decimal::ZERO,
                })
            };
        let mu = inputs.bom.currency.minor_units;
        Ok(Search {
            terms: goods_terms(inputs, uncertain, meter)?,
            conversions: Conversions::of(inputs),
            inputs,
            uncertain,
            targets,
            meter,
            base_credits: range(&base.baseline, varies(Side::baseline))?,
            scen_credits: range(&base.scenario, varies(Side::scenario))?,
            scale: uncertain.iter().map(|u| u.high - u.low).collect(),
            tolerance: Decimal::new(5, mu + 1),
            cache: std::collections::HashMap::new(),
            evaluations: 0,
            splits: 0,
            bound_units: 0,
        }
        .with_bound_units())
    }

    fn with_bound_units(mut self) -> Self {
        self.bound_units =
            units(self.terms.len() + self.terms.iter().map(|t| t.factors.len()).sum::<usize>());
        self
    }

    fn point(&mut self, values: &[Decimal]) -> Result<Point, Error> {
        let key: Vec<Decimal> = values.iter().map(|v| v.normalize()).collect();
        if let Some(p) = self.cache.get(&key) {
            return Ok(*p);
        }
        self.evaluations += 1;
        let meter = self.meter;
        let x = self
            .targets
            .with_values(self.inputs, self.uncertain, values, meter)?;
        let (b, s) = both_sides(&x, meter)?;
        meter.charge(units(b.lines.len() + s.lines.len()))?;
        let charges = |c: &costing::Costing| -> Result<Decimal, InputError> {
            let mut goods = Decimal::ZERO;
            for l in &c.lines {
                goods = goods.add_at(l.goods_exact, &Locator::Inputs, "goods")?;
            }
            c.totals
                .exact_total
                .sub_at(c.totals.credits, &Locator::Inputs, "cost")?
                .sub_at(goods, &Locator::Inputs, "charges")
        };
        let p = Point {
            base: charges(&b)?,
            scen: charges(&s)?,
            delta: s
                .totals
                .exact_total
                .sub_at(b.totals.exact_total, &Locator::Inputs, "delta")?,
        };
        self.cache.insert(key, p);
        Ok(p)
    }

    /// The bound of `goal` over the box [lo, hi] on the exact delta: `(bound, best reached,
    /// converged)`.
    fn refine(
        &mut self,
        lo: &[Decimal],
        hi: &[Decimal],
        goal: Goal,
    ) -> Result<(Decimal, Decimal, bool), Error> {
        // Work on "larger is better" values: negate for the minimum (`toward` is its own
        // inverse, so it also turns the results back).
        let toward = |x: Decimal| match goal {
            Goal::Max => x,
            Goal::Min => -x,
        };
        let sign = toward(Decimal::ONE);
        let mut boxes: Vec<(Decimal, Vec<Decimal>, Vec<Decimal>)> = Vec::new();
        let root = self.bound(lo, hi, sign)?;
        let mut best = toward(self.point(lo)?.delta).max(toward(self.point(hi)?.delta));
        boxes.push((root, lo.to_vec(), hi.to_vec()));
        let budget = EVALUATION_BUDGET;
        loop {
            // Every round reads the boxes and stops at a deadline, even when its corners were
            // all evaluated before.
            self.meter.charge(units(boxes.len()))?;
            // The box with the most promising bound.
            let Some(top) = boxes
                .iter()
                .enumerate()
                .max_by_key(|(_, b)| b.0)
                .map(|(i, _)| i)
            else {
                return Ok((toward(best), toward(best), true));
            };
            let (bound, blo, bhi) = boxes.swap_remove(top);
            if bound - best <= self.tolerance {
                boxes.push((bound, blo, bhi));
                let b = boxes.iter().map(|b| b.0).max().unwrap_or(bound);
                return Ok((toward(b), toward(best), true));
            }
            let Some(dim) = self.widest(&blo, &bhi) else {
                // The most promising box cannot be split (all its inputs are fixed): its bound
                // is the final bound, and it is not within tolerance of the best value (the
                // test above returned if it were: credits that may flip keep it apart), so
                // the bound has not converged.
                return Ok((toward(bound), toward(best), false));
            };
            if self.evaluations + 2 > budget || self.splits >= budget {
                boxes.push((bound, blo, bhi));
                let b = boxes.iter().map(|b| b.0).max().unwrap_or(bound);
                return Ok((toward(b), toward(best), false));
            }
            self.splits += 1;
            let mid = (blo[dim] + bhi[dim]) / Decimal::TWO;
            let mut left_hi = bhi.clone();
            left_hi[dim] = mid;
            let mut right_lo = blo.clone();
            right_lo[dim] = mid;
            for (l, h) in [(blo.clone(), left_hi), (right_lo, bhi.clone())] {
                best = best
                    .max(toward(self.point(&l)?.delta))
                    .max(toward(self.point(&h)?.delta));
                let b = self.bound(&l, &h, sign)?;
                boxes.push((b, l, h));
            }
        }
    }

    /// The interval bound of `sign * delta` over the box [lo, hi].
    fn bound(&mut self, lo: &[Decimal], hi: &[Decimal], sign: Decimal) -> Result<Decimal, Error> {
        let (plo, phi) = (self.point(lo)?, self.point(hi)?);
        self.meter.charge(self.bound_units)?;
        let f = &Locator::Inputs;
        let (mut goods_lo, mut goods_hi) = (Decimal::ZERO, Decimal::ZERO);
        for t in &self.terms {
            let (l, h) = t.range(lo, hi, &self.conversions)?;
            goods_lo = goods_lo.add_at(l, f, "bound")?;
            goods_hi = goods_hi.add_at(h, f, "bound")?;
        }
        if sign.is_sign_positive() {
            let scen = phi.scen.add_at(self.scen_credits.max, f, "bound")?;
            let base = plo.base.add_at(self.base_credits.min, f, "bound")?;
            Ok(scen
                .sub_at(base, f, "bound")?
                .add_at(goods_hi, f, "bound")?)
        } else {
            let scen = plo.scen.add_at(self.scen_credits.min, f, "bound")?;
            let base = phi.base.add_at(self.base_credits.max, f, "bound")?;
            Ok(-scen
                .sub_at(base, f, "bound")?
                .add_at(goods_lo, f, "bound")?)
        }
    }

    /// The dimension of the box widest relative to its input's full range, if any is wider
    /// than [`MIN_RELATIVE_WIDTH`] of it: halving a range further gains nothing a minor unit
    /// could show, and would end where decimal precision makes the halves equal.
    fn widest(&self, lo: &[Decimal], hi: &[Decimal]) -> Option<usize> {
        (0..lo.len())
            .filter(|&i| !self.scale[i].is_zero())
            .map(|i| (i, (hi[i] - lo[i]) / self.scale[i]))
            .filter(|(_, w)| *w > MIN_RELATIVE_WIDTH)
            .max_by_key(|(_, w)| *w)
            .map(|(i, _)| i)
    }
}

/// The goods terms of every material and component line of the inputs as given (every
/// quantity factor at 1), with the inputs that scale or price each. Work: two costings, then
/// per line one unit per uncertain input and one per item path.
fn goods_terms(
    inputs: &Inputs,
    uncertain: &[Uncertain],
    meter: &Meter,
) -> Result<Vec<GoodsTerm>, Error> {
    let (b, s) = both_sides(inputs, meter)?;
    let price_input = |material: &str, on_side: fn(Side) -> bool| {
        uncertain.iter().rposition(|u| {
            matches!(&u.target, Target::Price { material_id, side } if material_id == material && on_side(*side))
        })
    };
    // Each quantity path with its descendants' prefix, built once.
    let scopes: Vec<(usize, &str, String)> = uncertain
        .iter()
        .enumerate()
        .flat_map(|(i, u)| match &u.target {
            Target::Quantity(paths) => paths
                .iter()
                .map(|p| (i, p.as_str(), format!("{p}/")))
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    let per_line = units(uncertain.len() + scopes.len());
    let mut terms = Vec::new();
    for (line, ((bl, sl), info)) in b
        .lines
        .iter()
        .zip(&s.lines)
        .zip(inputs.bom.lines())
        .enumerate()
    {
        meter.charge(per_line)?;
        let factors: Vec<usize> = scopes
            .iter()
            .filter(|(_, p, below)| info.path == *p || info.path.starts_with(below.as_str()))
            .map(|(i, _, _)| *i)
            .collect();
        let term = match (&bl.kind, &bl.priced, &sl.priced) {
            (costing::LineKind::Material { material_id }, Some(bp), Some(sp)) => GoodsTerm {
                base_quantity: bp.priced_quantity,
                scen_quantity: sp.priced_quantity,
                base_price: bp.price,
                scen_price: sp.price,
                base_price_input: price_input(material_id, Side::baseline),
                scen_price_input: price_input(material_id, Side::scenario),
                factors,
            },
            // A component's goods are price x quantity; take the price per piece from the
            // costed goods (zero quantity means zero goods whatever the price).
            (costing::LineKind::Component, _, _) if !bl.quantity_per_unit.is_zero() => GoodsTerm {
                base_quantity: bl.quantity_per_unit,
                scen_quantity: sl.quantity_per_unit,
                base_price: bl.goods_exact.div_at(
                    bl.quantity_per_unit,
                    Locator::Line(line, Attribute::UnitPrice),
                    "price",
                )?,
                scen_price: sl.goods_exact.div_at(
                    sl.quantity_per_unit,
                    Locator::Line(line, Attribute::UnitPrice),
                    "price",
                )?,
                base_price_input: None,
                scen_price_input: None,
                factors,
            },
            _ => continue,
        };
        terms.push(term);
    }
    Ok(terms)
}

/// The baseline and scenario costings of `inputs` as given, without formulas.
fn both_sides(
    inputs: &Inputs,
    meter: &Meter,
) -> Result<(costing::Costing, costing::Costing), Error> {
    let (scenario, o) = (inputs.scenario(), &inputs.options);
    let rates = Rates::of(&scenario, meter)?;
    let sides = Sides::of(&scenario, &rates, meter);
    let b = costing::cost(&inputs.bom, sides.base, o)?;
    let s = costing::cost(&inputs.bom, sides.scen, o)?;
    Ok((b, s))
}

/// Sets `u`'s target to `value` in `x`; a quantity input's items are found by their
/// `chains` (see [`Targets`]).
fn apply(
    x: &mut Inputs,
    (n, u): (usize, &Uncertain),
    chains: &[Vec<usize>],
    value: Decimal,
) -> Result<(), InputError> {
    match &u.target {
        Target::Quantity(_) => {
            for (j, chain) in chains.iter().enumerate() {
                let field = Locator::Uncertain(n, Aim::ItemPath(j));
                let item = item_at(&mut x.bom.items, chain).ok_or_else(|| {
                    InputError::new(&field, Reason::InvalidValue, "no BOM item has this path")
                })?;
                item.quantity = item.quantity.mul_at(value, &field, "quantity x factor")?;
            }
        }
        Target::Price { material_id, side } => {
            let field = Locator::Uncertain(n, Aim::Material);
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
                        format!(
                            "material {:?} is not priced in deck {:?}",
                            clip(material_id),
                            clip(&deck_id)
                        ),
                    )
                })?;
                p.price = value;
            }
        }
        Target::Rate { measure_id, side } => {
            let field = Locator::Uncertain(n, Aim::Measure);
            let mut schedules: Vec<&mut Schedule> = Vec::new();
            if side.baseline() {
                schedules.push(&mut x.baseline_schedule);
            }
            if side.scenario() {
                schedules.push(&mut x.scenario_schedule);
            }
            for schedule in schedules {
                if !schedule.set_ad_valorem(measure_id, value) {
                    return Err(InputError::new(
                        &field,
                        Reason::InvalidValue,
                        format!(
                            "schedule {:?} has no measure {:?}",
                            clip(&schedule.id),
                            clip(measure_id)
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The item at a chain of child indices.
fn item_at<'a>(items: &'a mut [Item], chain: &[usize]) -> Option<&'a mut Item> {
    let (first, rest) = chain.split_first()?;
    let item = items.get_mut(*first)?;
    if rest.is_empty() {
        return Some(item);
    }
    match &mut item.kind {
        ItemKind::Assembly { children } => item_at(children, rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// A line's goods delta over a box of its price input [10, 20]. One input pricing both
    /// sides (2 kg -> 3 kg): price x (3 - 2), so [10, 20], not the [30 - 40, 60 - 20] =
    /// [-10, 40] of bounding each side on its own. An input pricing the baseline only (1 kg at
    /// 15 fixed on the scenario): 15 - [10, 20] = [-5, 5].
    #[test]
    fn a_goods_term_ranges_over_its_price_inputs() {
        let term = |base_input, scen_input, (base_q, scen_q): (&str, &str)| GoodsTerm {
            base_quantity: d(base_q),
            scen_quantity: d(scen_q),
            base_price: d("12"),
            scen_price: d("15"),
            base_price_input: base_input,
            scen_price_input: scen_input,
            factors: vec![],
        };
        let usd = Conversions::none(Currency::from_code("USD").unwrap());
        let (lo, hi) = ([d("10")], [d("20")]);
        let both = term(Some(0), Some(0), ("2", "3"));
        assert_eq!(both.range(&lo, &hi, &usd).unwrap(), (d("10"), d("20")));
        let base_only = term(Some(0), None, ("1", "1"));
        assert_eq!(base_only.range(&lo, &hi, &usd).unwrap(), (d("-5"), d("5")));
        // A quantity factor in [1, 2] scales the whole difference: [-10, 10].
        let scaled = GoodsTerm {
            factors: vec![1],
            ..term(Some(0), None, ("1", "1"))
        };
        let (lo, hi) = ([d("10"), d("1")], [d("20"), d("2")]);
        assert_eq!(scaled.range(&lo, &hi, &usd).unwrap(), (d("-10"), d("10")));
    }

    /// Inputs for the goods-term tests: 1 kg of "nd" at 10 -> 12 per kg; an assembly
    /// "motor" holding 2 magnets at 10.00 each; a component "spare" at 5.00 with quantity 0.
    fn motor_inputs() -> Inputs {
        use crate::convert::{self, Limits};
        use crate::pb;
        use serde_json::json;
        let b: pb::Bom = serde_json::from_value(json!({"id": "b", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"},
            {"id": "motor", "children": [{"id": "magnet", "quantity": "2", "unitPrice": "10"}]},
            {"id": "spare", "quantity": "0", "unitPrice": "5"}]}))
        .unwrap();
        let deck = |price: &str| {
            let d: pb::PriceDeck = serde_json::from_value(json!({"id": "p", "currency": "USD",
                "prices": [{"materialId": "nd", "price": price, "unit": "UNIT_OF_MEASURE_KG",
                            "basis": "PRICE_BASIS_MARKET"}]}))
            .unwrap();
            convert::price_deck::price_deck(&d, "p").unwrap()
        };
        let s: pb::TariffSchedule =
            serde_json::from_value(json!({"id": "s", "currency": "USD"})).unwrap();
        let schedule = convert::schedule::schedule(&s, "s").unwrap();
        let o: pb::CalculationOptions =
            serde_json::from_value(json!({"entryDate": "2026-03-02"})).unwrap();
        Inputs {
            bom: convert::bom::bom(&b, "", &Limits::default()).unwrap().bom,
            baseline_prices: deck("10"),
            scenario_prices: deck("12"),
            baseline_schedule: schedule.clone(),
            scenario_schedule: schedule,
            baseline_fx: None,
            scenario_fx: None,
            options: convert::options::options(Some(&o), "options").unwrap(),
        }
    }

    /// The goods terms of the motor inputs with three inputs: the quantity of "motor" (0),
    /// the price of nd on both sides (1), the quantity of "nd" (2). nd: 1 kg at 10 -> 12,
    /// priced by input 1, scaled by input 2 only (its path is "nd", not under "motor/");
    /// the magnets: 2 at 10.00, scaled by input 0 (under "motor/"); the assembly and the
    /// zero-quantity spare make no term.
    #[test]
    fn goods_terms_know_which_inputs_price_and_scale_each_line() {
        let inputs = motor_inputs();
        let input = |target: Target| Uncertain {
            name: String::new(),
            target,
            low: d("1"),
            base: d("1"),
            high: d("2"),
        };
        let uncertain = [
            input(Target::Quantity(vec!["motor".into()])),
            input(Target::Price {
                material_id: "nd".into(),
                side: Side::Both,
            }),
            input(Target::Quantity(vec!["nd".into()])),
        ];
        let terms = goods_terms(&inputs, &uncertain, &Meter::unlimited()).unwrap();
        let seen: Vec<_> = terms
            .iter()
            .map(|t| {
                (
                    t.base_quantity,
                    t.base_price,
                    t.scen_price,
                    t.base_price_input,
                    t.scen_price_input,
                    t.factors.clone(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (d("1"), d("10"), d("12"), Some(1), Some(1), vec![2]),
                (d("2"), d("10"), d("10"), None, None, vec![0]),
            ]
        );
    }

    /// A chain of child indices finds the item inside its assembly.
    #[test]
    fn items_are_found_through_their_assemblies() {
        let mut inputs = motor_inputs();
        let items = &mut inputs.bom.items;
        assert_eq!(
            item_at(items, &[1, 0]).map(|i| i.id.clone()),
            Some("magnet".into())
        );
        assert_eq!(
            item_at(items, &[2]).map(|i| i.id.clone()),
            Some("spare".into())
        );
        assert!(item_at(items, &[0, 0]).is_none(), "nd has no children");
        assert!(item_at(items, &[3]).is_none());
    }
}
