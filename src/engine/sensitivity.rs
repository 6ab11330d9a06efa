//! Sensitivity analysis: the delta at base values, bounds over ranges of uncertain inputs,
//! and a tornado of one-at-a-time swings.
//!
//! Why the bounds hold: the delta is split into goods and charges. The goods part is, line by
//! line, (scenario price x quantity - baseline price x quantity) x the product of the quantity
//! factors on the line's path, each price converted into the BOM's currency: each factor and
//! price enters at most linearly and a conversion is monotone in the price and in each rate,
//! so interval arithmetic over a box bounds each line's term and their sum soundly. With an
//! exchange rate or a freight among the inputs, the landed costs (freight and insurance a
//! price leaves out, brokerage) are such terms too. The charges (duties and fees, and landed
//! costs otherwise) of each side move one way in every input (see [`super::monotone`]:
//! quantities, prices and ad valorem rates raise them; an exchange rate or a freight is given
//! the direction of what it moves, and refused when it pulls a side both ways), so on a box
//! they lie between their values at the side's lowest and highest corners. Incentive credits
//! are added as fixed when no varied input can move a restricted share, else as anywhere from
//! lost to kept at their largest conversion. The box of ranges is bisected, most promising
//! bound first, until the bound is within half a minor unit of a delta actually reached at an
//! evaluated corner, or an evaluation budget runs out. Either way every combination of inputs
//! in their ranges gives an exact delta inside the reported interval: within half a minor
//! unit when converged, exactly (rounded outward) when not.

use super::costing;
use super::currency::Currency;
use super::error::{Aim, CheckedAt, Error, InputError, Locator, Reason};
use super::fx::{Fx, FxDeck};
use super::impact::{Impact, Rates, Sides};
use super::model::{Bom, Item, ItemKind, PriceDeck, Schedule};
use super::monotone::Ways;
use super::text::clip;
pub use super::uncertain::{Inputs, Side, Target, Uncertain};
use super::work::{Meter, units};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashMap;

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
    let targets = Targets::resolve(inputs, uncertain)?;
    // Which way each input moves each side, before any evaluation: an input pulling a side
    // both ways is refused at once.
    meter.charge(super::monotone::work(inputs, uncertain))?;
    let ways = Ways::of(
        inputs,
        uncertain,
        &targets.freight_items(&inputs.bom, uncertain),
    )?;
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

    let mut search = Search::new(inputs, uncertain, (&targets, ways), &base, meter)?;
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
    /// Per uncertain input, the index of the rate it sets in the baseline's and the
    /// scenario's FX deck (where it sets one).
    rates: Vec<[Option<usize>; 2]>,
}

impl Targets {
    fn resolve(inputs: &Inputs, uncertain: &[Uncertain]) -> Result<Targets, InputError> {
        let bom = &inputs.bom;
        let mut chains = Vec::with_capacity(uncertain.len());
        let mut rates = Vec::with_capacity(uncertain.len());
        let mut by_path: Option<HashMap<String, Vec<usize>>> = None;
        for (n, u) in uncertain.iter().enumerate() {
            rates.push(rate_indices(inputs, (n, u))?);
            let Some((paths, aim)) = u.target.item_paths() else {
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
                            Locator::Uncertain(n, aim(j)),
                            Reason::InvalidValue,
                            format!("no BOM item has the path {:?}", clip(path)),
                        ));
                    }
                }
            }
            chains.push(found);
        }
        Ok(Targets { chains, rates })
    }

    /// The items each freight input sets (none for the other inputs).
    fn freight_items<'a>(&self, bom: &'a Bom, uncertain: &[Uncertain]) -> Vec<Vec<&'a Item>> {
        uncertain
            .iter()
            .zip(&self.chains)
            .map(|(u, chains)| match u.target {
                Target::Freight(_) => chains
                    .iter()
                    .filter_map(|c| item_ref(&bom.items, c))
                    .collect(),
                _ => Vec::new(),
            })
            .collect()
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
        let targets = self.chains.iter().zip(&self.rates);
        for (n, ((u, v), (chains, rates))) in uncertain.iter().zip(values).zip(targets).enumerate()
        {
            meter.charge(1 + units(chains.len()))?;
            apply(&mut x, (n, u), (chains, *rates), *v)?;
        }
        Ok(x)
    }
}

/// Where an exchange-rate input's pair is in the FX deck of each side it changes: an error
/// when a side has no deck, or its deck does not quote the pair as the input names it (a
/// value for the other direction would need a division the input does not state).
fn rate_indices(
    inputs: &Inputs,
    (n, u): (usize, &Uncertain),
) -> Result<[Option<usize>; 2], InputError> {
    let Target::FxRate { base, quote, side } = &u.target else {
        return Ok([None, None]);
    };
    let field = Locator::Uncertain(n, Aim::FxRate);
    let find = |changed: bool, deck: Option<&FxDeck>, name: &str| -> Result<_, InputError> {
        if !changed {
            return Ok(None);
        }
        let Some(deck) = deck else {
            return Err(InputError::new(
                &field,
                Reason::InvalidValue,
                format!(
                    "the {name} has no FX deck with a rate 1 {} = r {} to set",
                    base.code, quote.code
                ),
            ));
        };
        let at =
            |b: Currency, q: Currency| deck.rates.iter().position(|r| r.base == b && r.quote == q);
        match (at(*base, *quote), at(*quote, *base)) {
            (Some(i), _) => Ok(Some(i)),
            (None, inverse) => Err(InputError::new(
                &field,
                Reason::InvalidValue,
                match inverse {
                    Some(_) => format!(
                        "FX deck {:?} quotes this pair as 1 {} = r {}: name it so",
                        clip(&deck.id),
                        quote.code,
                        base.code
                    ),
                    None => format!(
                        "FX deck {:?} has no rate 1 {} = r {}",
                        clip(&deck.id),
                        base.code,
                        quote.code
                    ),
                },
            )),
        }
    };
    Ok([
        find(side.baseline(), inputs.baseline_fx.as_ref(), "baseline")?,
        find(side.scenario(), inputs.scenario_fx.as_ref(), "scenario")?,
    ])
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

/// One side of a line's goods (or landed cost): its priced quantity, its price in `from` (the
/// deck's, the component's or the declaration's currency), and the input setting it, if any:
/// then the price is `offset` plus the input's value (a material's price is the value; a
/// landed cost per unit is a freight plus the insurance and brokerage beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TermSide {
    quantity: Decimal,
    price: Decimal,
    offset: Decimal,
    from: Currency,
    input: Option<usize>,
}

/// One line's goods delta as a function of the inputs: (scenario value - baseline value) x
/// the product of the quantity factors on its path, where a side's value is its price,
/// converted into the BOM's currency, x its priced quantity, and a price or a rate may be set
/// by an input.
#[derive(Debug, Clone)]
struct GoodsTerm {
    base: TermSide,
    scen: TermSide,
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

/// How one side's prices reach the BOM's currency: its converter, and the exchange-rate
/// inputs that set its deck's rates (input, base, quote). A conversion is monotone in the
/// amount and in each rate (rising in a rate it multiplies by, falling in one it divides by;
/// each step rounds correctly, then to 16 decimals), so over a box its range is the low
/// amount at the rates that make it smallest to the high amount at those that make it largest:
/// the engine's own conversions at two corners.
struct SideConversion<'a> {
    fx: Fx<'a>,
    rates: Vec<(usize, Currency, Currency)>,
}

impl SideConversion<'_> {
    /// The range of an amount anywhere in `[low, high]` in `from`, converted with every rate
    /// input anywhere in the box [lo, hi].
    fn range(
        &self,
        (low, high): (Decimal, Decimal),
        from: Currency,
        (lo, hi): (&[Decimal], &[Decimal]),
    ) -> Result<(Decimal, Decimal), InputError> {
        let at = &Locator::Inputs;
        let end = |amount: Decimal, largest: bool| {
            let rate_of = |b: Currency, q: Currency, rate: Decimal| {
                match self.rates.iter().find(|(_, rb, rq)| (*rb, *rq) == (b, q)) {
                    // The high end of a rate it multiplies by makes the amount largest.
                    Some((i, ..)) if largest != (self.fx.uses(from, b, q) == Some(true)) => hi[*i],
                    Some((i, ..)) => lo[*i],
                    None => rate,
                }
            };
            self.fx.convert_with(amount, from, at, &rate_of)
        };
        Ok((end(low, false)?, end(high, true)?))
    }
}

/// The price conversions of both sides, and whether the sides convert alike (then a price
/// both sides share, set by one input or fixed, gives both goods the same converted price).
struct Conversions<'a> {
    base: SideConversion<'a>,
    scen: SideConversion<'a>,
    /// The reporting currency.
    to: Currency,
    /// Both sides have the same FX deck, and every rate input sets both.
    same_decks: bool,
}

impl<'a> Conversions<'a> {
    fn of(inputs: &'a Inputs, uncertain: &[Uncertain]) -> Conversions<'a> {
        let to = inputs.bom.currency;
        let side = |fx: Option<&'a FxDeck>, changed: fn(Side) -> bool| SideConversion {
            fx: Fx::new(fx, to),
            rates: uncertain
                .iter()
                .enumerate()
                .filter_map(|(i, u)| match &u.target {
                    Target::FxRate { base, quote, side } if changed(*side) => {
                        Some((i, *base, *quote))
                    }
                    _ => None,
                })
                .collect(),
        };
        // As the costings convert: the scenario's own deck, none when it has none.
        let scen_fx = inputs.scenario_fx.as_ref();
        // A rate set on one side only makes the decks differ inside the box.
        let one_sided = uncertain
            .iter()
            .any(|u| matches!(u.target, Target::FxRate { side, .. } if side != Side::Both));
        Conversions {
            to,
            same_decks: inputs.baseline_fx.as_ref() == scen_fx && !one_sided,
            base: side(inputs.baseline_fx.as_ref(), Side::baseline),
            scen: side(scen_fx, Side::scenario),
        }
    }

    /// Whether both sides convert an amount in `from` alike at every point of a box.
    fn same(&self, from: Currency) -> bool {
        from == self.to || self.same_decks
    }

    /// No conversion: prices in the BOM's currency on both sides.
    #[cfg(test)]
    fn none(currency: Currency) -> Conversions<'static> {
        let side = || SideConversion {
            fx: Fx::new(None, currency),
            rates: Vec::new(),
        };
        Conversions {
            base: side(),
            scen: side(),
            to: currency,
            same_decks: true,
        }
    }
}

impl GoodsTerm {
    /// The range of this line's goods delta over the box [lo, hi], its prices converted by
    /// `conv`.
    fn range(
        &self,
        lo: &[Decimal],
        hi: &[Decimal],
        conv: &Conversions<'_>,
    ) -> Result<(Decimal, Decimal), InputError> {
        let f = &Locator::Inputs;
        let price = |t: &TermSide| -> Result<(Decimal, Decimal), InputError> {
            Ok(match t.input {
                Some(i) => (
                    t.offset.add_at(lo[i], f, "bound")?,
                    t.offset.add_at(hi[i], f, "bound")?,
                ),
                None => (t.price, t.price),
            })
        };
        let (b, s) = (&self.base, &self.scen);
        let one_price = match (b.input, s.input) {
            (Some(i), Some(j)) => i == j && b.offset == s.offset,
            (None, None) => b.price == s.price,
            _ => false,
        };
        let diff = if one_price && b.from == s.from && conv.same(b.from) {
            // One price on both sides, converted alike (one input, or one fixed price under
            // rate inputs): the difference is that price times the difference of the
            // quantities (equal unless the decks price in different units).
            let dq = s.quantity.sub_at(b.quantity, f, "bound")?;
            let p = conv.base.range(price(b)?, b.from, (lo, hi))?;
            mul_interval(p, (dq, dq), f)?
        } else if one_price && b.input.is_some() && b.from == s.from {
            // One input on both sides, each side converting with its own rates: the
            // difference is the input's price times (one unit converted x quantity on the
            // scenario - the same on the baseline), a product of two intervals; with the
            // rates fixed, the second is a point and the bound exact.
            let unit = |t: &TermSide, c: &SideConversion<'_>| -> Result<_, InputError> {
                let (low, high) = c.range((Decimal::ONE, Decimal::ONE), t.from, (lo, hi))?;
                Ok((
                    low.mul_at(t.quantity, f, "bound")?,
                    high.mul_at(t.quantity, f, "bound")?,
                ))
            };
            let (us, ub) = (unit(s, &conv.scen)?, unit(b, &conv.base)?);
            let factor = (
                us.0.sub_at(ub.1, f, "bound")?,
                us.1.sub_at(ub.0, f, "bound")?,
            );
            mul_interval(price(b)?, factor, f)?
        } else {
            let value = |t: &TermSide, c: &SideConversion<'_>| {
                mul_interval(
                    c.range(price(t)?, t.from, (lo, hi))?,
                    (t.quantity, t.quantity),
                    f,
                )
            };
            let (s, b) = (value(s, &conv.scen)?, value(b, &conv.base)?);
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

impl CreditRange {
    /// The credit range of one side costed at base values, its credits in `schedule`
    /// converted by `conv`: fixed when no input `varies` a restricted share, else from every
    /// in-force credit kept, each at its largest over the box `ends` (a credit in a schedule
    /// of another currency converted at the rates that make it largest, rounded up), to all
    /// lost.
    fn of(
        (costing, schedule, conv): (&costing::Costing, &Schedule, &SideConversion<'_>),
        varies: bool,
        ends: (&[Decimal], &[Decimal]),
        mu: u32,
    ) -> Result<CreditRange, InputError> {
        if !varies {
            return Ok(CreditRange {
                min: costing.totals.credits,
                max: costing.totals.credits,
            });
        }
        let mut kept = Decimal::ZERO;
        let outcomes = costing.incentives.iter().zip(&schedule.incentives);
        for (outcome, incentive) in outcomes.filter(|(o, _)| o.in_force) {
            let credit = (incentive.credit, incentive.credit);
            let (_, high) = conv.range(credit, schedule.currency, ends)?;
            let most = round(high, mu, RoundingStrategy::ToPositiveInfinity);
            kept = kept.add_at(outcome.amount.max(most), &Locator::Inputs, "credit range")?;
        }
        Ok(CreditRange {
            min: -kept,
            max: Decimal::ZERO,
        })
    }
}

struct Search<'a> {
    inputs: &'a Inputs,
    terms: Vec<GoodsTerm>,
    conversions: Conversions<'a>,
    /// Which way each input moves each side's cost before credits.
    ways: Ways,
    /// Distinct corners a box needs: the most evaluations one split adds.
    corners: usize,
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
    /// Whether landed costs are terms (then a side's charges leave them out).
    landed_apart: bool,
}

impl<'a> Search<'a> {
    fn new(
        inputs: &'a Inputs,
        uncertain: &'a [Uncertain],
        (targets, ways): (&'a Targets, Ways),
        base: &Impact,
        meter: &'a Meter,
    ) -> Result<Self, Error> {
        // Inputs that can move a restricted share: quantities, and prices and exchange rates
        // on the side they change (a converted deck's shares move by its rounding).
        let varies = |side_of: fn(Side) -> bool| {
            uncertain.iter().any(|u| match &u.target {
                Target::Quantity(_) => true,
                Target::Price { side, .. } | Target::FxRate { side, .. } => side_of(*side),
                Target::Rate { .. } | Target::Freight(_) => false,
            })
        };
        let conversions = Conversions::of(inputs, uncertain);
        let mu = inputs.bom.currency.minor_units;
        let ends: (Vec<Decimal>, Vec<Decimal>) = uncertain.iter().map(|u| (u.low, u.high)).unzip();
        let ends = (ends.0.as_slice(), ends.1.as_slice());
        let (base_credits, scen_credits) = (
            CreditRange::of(
                (&base.baseline, &inputs.baseline_schedule, &conversions.base),
                varies(Side::baseline),
                ends,
                mu,
            )?,
            CreditRange::of(
                (&base.scenario, &inputs.scenario_schedule, &conversions.scen),
                varies(Side::scenario),
                ends,
                mu,
            )?,
        );
        // With an exchange rate or a freight among the inputs, landed costs are bounded as
        // terms beside the goods (the same freight on both sides cancels in a term, not
        // between two corners), and the sides' charges are duties and fees only.
        let landed_apart = uncertain
            .iter()
            .any(|u| matches!(u.target, Target::FxRate { .. } | Target::Freight(_)));
        let freight_items = targets.freight_items(&inputs.bom, uncertain);
        let landed = landed_apart.then_some(freight_items.as_slice());
        Ok(Search {
            terms: goods_terms(inputs, uncertain, meter, landed)?,
            landed_apart,
            conversions,
            corners: ways.corners(),
            ways,
            inputs,
            uncertain,
            targets,
            meter,
            base_credits,
            scen_credits,
            scale: uncertain.iter().map(|u| u.high - u.low).collect(),
            tolerance: Decimal::new(5, mu + 1),
            cache: std::collections::HashMap::new(),
            evaluations: 0,
            splits: 0,
            bound_units: 0,
        }
        .with_bound_units())
    }

    /// One unit per goods term and per factor on it, and per term one per exchange-rate
    /// input its conversions look up.
    fn with_bound_units(mut self) -> Self {
        let c = &self.conversions;
        self.bound_units = bound_units(&self.terms, (c.base.rates.len(), c.scen.rates.len()));
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
        let landed_apart = self.landed_apart;
        // A side's duties and fees: its cost less credits, goods and (when they are terms)
        // landed costs.
        let charges = |c: &costing::Costing| -> Result<Decimal, InputError> {
            let mut goods = Decimal::ZERO;
            for l in &c.lines {
                goods = goods.add_at(l.goods_exact, &Locator::Inputs, "goods")?;
                if let Some(landed) = l.logistics.as_ref().filter(|_| landed_apart) {
                    goods = goods.add_at(landed.exact, &Locator::Inputs, "landed cost")?;
                }
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
        let mut best = self.reached(lo, hi, &toward)?;
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
            if over_budget((self.evaluations, self.splits), self.corners, budget) {
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
                best = best.max(self.reached(&l, &h, &toward)?);
                let b = self.bound(&l, &h, sign)?;
                boxes.push((b, l, h));
            }
        }
    }

    /// The corners of the box [lo, hi] where each side's cost is highest and lowest: the
    /// box's high and low corners when every input raises both sides' costs.
    fn corners_of(&self, lo: &[Decimal], hi: &[Decimal]) -> [Vec<Decimal>; 4] {
        let (b, s) = (&self.ways.base, &self.ways.scen);
        [
            Ways::corner(s, lo, hi, true),
            Ways::corner(b, lo, hi, false),
            Ways::corner(s, lo, hi, false),
            Ways::corner(b, lo, hi, true),
        ]
    }

    /// The best of `toward(delta)` over the corners of the box [lo, hi]: deltas reached.
    fn reached(
        &mut self,
        lo: &[Decimal],
        hi: &[Decimal],
        toward: &dyn Fn(Decimal) -> Decimal,
    ) -> Result<Decimal, Error> {
        let mut best: Option<Decimal> = None;
        for corner in self.corners_of(lo, hi) {
            let d = toward(self.point(&corner)?.delta);
            best = Some(best.map_or(d, |b| b.max(d)));
        }
        Ok(best.unwrap_or_default())
    }

    /// The interval bound of `sign * delta` over the box [lo, hi]: the scenario's cost at its
    /// highest corner less the baseline's at its lowest (or the other way round for the
    /// lower bound), the credits that may flip, and the goods terms' range.
    fn bound(&mut self, lo: &[Decimal], hi: &[Decimal], sign: Decimal) -> Result<Decimal, Error> {
        let [scen_high, base_low, scen_low, base_high] = self.corners_of(lo, hi);
        let (scen_at, base_at) = if sign.is_sign_positive() {
            (scen_high, base_low)
        } else {
            (scen_low, base_high)
        };
        let (scen_point, base_point) = (self.point(&scen_at)?, self.point(&base_at)?);
        self.meter.charge(self.bound_units)?;
        let f = &Locator::Inputs;
        let (mut goods_lo, mut goods_hi) = (Decimal::ZERO, Decimal::ZERO);
        for t in &self.terms {
            let (l, h) = t.range(lo, hi, &self.conversions)?;
            goods_lo = goods_lo.add_at(l, f, "bound")?;
            goods_hi = goods_hi.add_at(h, f, "bound")?;
        }
        if sign.is_sign_positive() {
            let scen = scen_point.scen.add_at(self.scen_credits.max, f, "bound")?;
            let base = base_point.base.add_at(self.base_credits.min, f, "bound")?;
            Ok(scen
                .sub_at(base, f, "bound")?
                .add_at(goods_hi, f, "bound")?)
        } else {
            let scen = scen_point.scen.add_at(self.scen_credits.min, f, "bound")?;
            let base = base_point.base.add_at(self.base_credits.max, f, "bound")?;
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
/// quantity factor at 1), with the inputs that scale or price each, and, when `landed_apart`,
/// the landed-cost term of every import dutied at its own level (`landed` holds the items each
/// freight input sets). Work: two costings, then per line one unit per uncertain input and one
/// per item path.
fn goods_terms(
    inputs: &Inputs,
    uncertain: &[Uncertain],
    meter: &Meter,
    landed: Option<&[Vec<&Item>]>,
) -> Result<Vec<GoodsTerm>, Error> {
    let (b, s) = both_sides(inputs, meter)?;
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
    let items = items_in_order(&inputs.bom.items);
    for ((bl, sl), (info, item)) in b
        .lines
        .iter()
        .zip(&s.lines)
        .zip(inputs.bom.lines().into_iter().zip(items))
    {
        meter.charge(per_line)?;
        let factors: Vec<usize> = scopes
            .iter()
            .filter(|(_, p, below)| info.path == *p || info.path.starts_with(below.as_str()))
            .map(|(i, _, _)| *i)
            .collect();
        let sides = (bl, sl);
        if let Some(freight_items) = landed.filter(|_| bl.customs_value.is_some()) {
            terms.extend(landed_term(item, freight_items, bl, factors.clone())?);
        }
        terms.extend(goods_term(inputs, uncertain, sides, item, factors));
    }
    Ok(terms)
}

/// The goods term of one material or component line (none for an assembly, or a component
/// of zero quantity: zero goods whatever the price).
fn goods_term(
    inputs: &Inputs,
    uncertain: &[Uncertain],
    (bl, sl): (&costing::LineCost, &costing::LineCost),
    item: &Item,
    factors: Vec<usize>,
) -> Option<GoodsTerm> {
    let price_input = |material: &str, on_side: fn(Side) -> bool| {
        uncertain.iter().rposition(|u| {
            matches!(&u.target, Target::Price { material_id, side } if material_id == material && on_side(*side))
        })
    };
    match (&bl.kind, &bl.priced, &sl.priced, &item.kind) {
        (costing::LineKind::Material { material_id }, Some(bp), Some(sp), _) => {
            // The price in the deck's currency, as the deck states it.
            let side = |deck: &PriceDeck, quantity: Decimal, on_side: fn(Side) -> bool| {
                Some(TermSide {
                    quantity,
                    price: deck.prices.get(&**material_id)?.price,
                    offset: Decimal::ZERO,
                    from: deck.currency,
                    input: price_input(material_id, on_side),
                })
            };
            Some(GoodsTerm {
                base: side(&inputs.baseline_prices, bp.priced_quantity, Side::baseline)?,
                scen: side(&inputs.scenario_prices, sp.priced_quantity, Side::scenario)?,
                factors,
            })
        }
        // A component's goods are its price per piece, converted, x its quantity.
        (
            costing::LineKind::Component,
            _,
            _,
            ItemKind::Component {
                baseline_price,
                scenario_price,
                currency,
            },
        ) if !bl.quantity_per_unit.is_zero() => {
            let side = |price: Decimal, l: &costing::LineCost| TermSide {
                quantity: l.quantity_per_unit,
                price,
                offset: Decimal::ZERO,
                from: *currency,
                input: None,
            };
            Some(GoodsTerm {
                base: side(*baseline_price, bl),
                scen: side(*scenario_price, sl),
                factors,
            })
        }
        _ => None,
    }
}

/// The landed-cost term of an import dutied at its own level: the freight and insurance its
/// price leaves out and its brokerage, per unit of its quantity in the declaration's currency,
/// on both sides (the BOM is shared; the conversions may differ). A freight input on the item
/// sets the freight, where the price leaves it out (the last such input, as applied).
fn landed_term(
    item: &Item,
    freight_items: &[Vec<&Item>],
    line: &costing::LineCost,
    factors: Vec<usize>,
) -> Result<Option<GoodsTerm>, InputError> {
    let Some(import) = item.import.as_ref() else {
        return Ok(None);
    };
    let f = &Locator::Inputs;
    let terms = import.incoterm;
    let part = |included: bool, v: Decimal| if included { Decimal::ZERO } else { v };
    let rest = part(terms.includes_insurance(), import.insurance).add_at(
        import.brokerage,
        f,
        "landed cost",
    )?;
    let freight = part(terms.includes_freight(), import.freight);
    let input = freight_items
        .iter()
        .rposition(|items| items.iter().any(|i| std::ptr::eq(*i, item)))
        .filter(|_| !terms.includes_freight());
    let side = TermSide {
        quantity: line.quantity_per_unit,
        price: freight.add_at(rest, f, "landed cost")?,
        offset: rest,
        from: import.currency,
        input,
    };
    Ok(Some(GoodsTerm {
        base: side.clone(),
        scen: side,
        factors,
    }))
}

/// Whether one more split could pass the `budget` of combinations costed (a split costs at
/// most `corners` new ones) or of boxes split, after `evaluations` and `splits`.
fn over_budget((evaluations, splits): (usize, usize), corners: usize, budget: usize) -> bool {
    evaluations + corners > budget || splits >= budget
}

/// Units of work of one interval bound over `terms`: one per term and per factor on it, and
/// per term one per exchange-rate input each side's conversions look up.
fn bound_units(terms: &[GoodsTerm], (base_rates, scen_rates): (usize, usize)) -> u64 {
    let factors: usize = terms.iter().map(|t| t.factors.len()).sum();
    units(terms.len() * (1 + base_rates + scen_rates) + factors)
}

/// Every item of the tree, in the order of its lines (each item before its children).
fn items_in_order(items: &[Item]) -> Vec<&Item> {
    fn walk<'a>(items: &'a [Item], out: &mut Vec<&'a Item>) {
        for item in items {
            out.push(item);
            if let ItemKind::Assembly { children } = &item.kind {
                walk(children, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(items, &mut out);
    out
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
    (chains, rates): (&[Vec<usize>], [Option<usize>; 2]),
    value: Decimal,
) -> Result<(), InputError> {
    match &u.target {
        Target::FxRate { .. } => {
            for (deck, at) in [&mut x.baseline_fx, &mut x.scenario_fx]
                .into_iter()
                .zip(rates)
            {
                let rate = at.and_then(|i| deck.as_mut()?.rates.get_mut(i));
                if let Some(rate) = rate {
                    rate.rate = value;
                }
            }
        }
        Target::Quantity(_) | Target::Freight(_) => {
            apply_to_items(&mut x.bom.items, (n, &u.target), chains, value)?;
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

/// Sets a quantity or freight input's `value` on the items at its `chains`: multiplies their
/// quantity, or sets the freight of their import declarations.
fn apply_to_items(
    items: &mut [Item],
    (n, target): (usize, &Target),
    chains: &[Vec<usize>],
    value: Decimal,
) -> Result<(), InputError> {
    for (j, chain) in chains.iter().enumerate() {
        let item = item_at(items, chain);
        if let Target::Freight(_) = target {
            let field = Locator::Uncertain(n, Aim::FreightPath(j));
            let import = item.and_then(|i| i.import.as_mut()).ok_or_else(|| {
                InputError::new(
                    &field,
                    Reason::InvalidValue,
                    "the item has no import declaration to set a freight in",
                )
            })?;
            import.freight = value;
        } else {
            let field = Locator::Uncertain(n, Aim::ItemPath(j));
            let item = item.ok_or_else(|| {
                InputError::new(&field, Reason::InvalidValue, "no BOM item has this path")
            })?;
            item.quantity = item.quantity.mul_at(value, &field, "quantity x factor")?;
        }
    }
    Ok(())
}

/// The item at a chain of child indices, to read.
fn item_ref<'a>(items: &'a [Item], chain: &[usize]) -> Option<&'a Item> {
    let (first, rest) = chain.split_first()?;
    let item = items.get(*first)?;
    match (&item.kind, rest.is_empty()) {
        (_, true) => Some(item),
        (ItemKind::Assembly { children }, false) => item_ref(children, rest),
        _ => None,
    }
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
        let usd_code = Currency::from_code("USD").unwrap();
        let side = |quantity: &str, price: &str, input| TermSide {
            quantity: d(quantity),
            price: d(price),
            offset: Decimal::ZERO,
            from: usd_code,
            input,
        };
        let term = |base_input, scen_input, (base_q, scen_q): (&str, &str)| GoodsTerm {
            base: side(base_q, "12", base_input),
            scen: side(scen_q, "15", scen_input),
            factors: vec![],
        };
        let usd = Conversions::none(usd_code);
        let (lo, hi) = ([d("10")], [d("20")]);
        let both = term(Some(0), Some(0), ("2", "3"));
        assert_eq!(both.range(&lo, &hi, &usd).unwrap(), (d("10"), d("20")));
        let base_only = term(Some(0), None, ("1", "1"));
        assert_eq!(base_only.range(&lo, &hi, &usd).unwrap(), (d("-5"), d("5")));
        // Two inputs, [10, 20] on the baseline and [30, 40] on the scenario: [30 - 20, 40 -
        // 10], two prices, not one.
        let two = term(Some(0), Some(1), ("1", "1"));
        let (lo2, hi2) = ([d("10"), d("30")], [d("20"), d("40")]);
        assert_eq!(two.range(&lo2, &hi2, &usd).unwrap(), (d("10"), d("30")));
        // A quantity factor in [1, 2] scales the whole difference: [-10, 10].
        let scaled = GoodsTerm {
            factors: vec![1],
            ..term(Some(0), None, ("1", "1"))
        };
        let (lo, hi) = ([d("10"), d("1")], [d("20"), d("2")]);
        assert_eq!(scaled.range(&lo, &hi, &usd).unwrap(), (d("-10"), d("10")));
    }

    /// An unnamed input setting `target`, from 1 (its base) to 2.
    fn input(target: Target) -> Uncertain {
        Uncertain {
            name: String::new(),
            target,
            low: d("1"),
            base: d("1"),
            high: d("2"),
        }
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
        let uncertain = [
            input(Target::Quantity(vec!["motor".into()])),
            input(Target::Price {
                material_id: "nd".into(),
                side: Side::Both,
            }),
            input(Target::Quantity(vec!["nd".into()])),
        ];
        let terms = goods_terms(&inputs, &uncertain, &Meter::unlimited(), None).unwrap();
        let seen: Vec<_> = terms
            .iter()
            .map(|t| {
                (
                    t.base.quantity,
                    t.base.price,
                    t.scen.price,
                    t.base.input,
                    t.scen.input,
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

    /// Two terms, with one and no factor, under a rate input set on both sides: 2 x (1 + 1 +
    /// 1) + 1 = 7 units; one side only, 5; no rate, 3.
    #[test]
    fn a_bound_costs_a_unit_per_term_factor_and_rate_lookup() {
        let usd = Currency::from_code("USD").unwrap();
        let side = TermSide {
            quantity: d("1"),
            price: d("1"),
            offset: d("0"),
            from: usd,
            input: None,
        };
        let term = |factors: Vec<usize>| GoodsTerm {
            base: side.clone(),
            scen: side.clone(),
            factors,
        };
        let terms = [term(vec![0]), term(vec![])];
        assert_eq!(bound_units(&terms, (1, 1)), 7);
        assert_eq!(bound_units(&terms, (0, 1)), 5);
        assert_eq!(bound_units(&terms, (0, 0)), 3);
    }

    /// A split may take the evaluations to the budget, never past it; splits stop at it.
    #[test]
    fn a_split_never_passes_the_budget() {
        assert!(!over_budget((508, 0), 4, 512));
        assert!(over_budget((509, 0), 4, 512));
        assert!(!over_budget((510, 511), 2, 512));
        assert!(over_budget((511, 0), 2, 512));
        assert!(over_budget((0, 512), 2, 512));
    }

    /// Setting the inputs' values on a copy costs the copy, then one unit per input and one
    /// per item path it sets: a quantity on two paths 1 + 2, a price 1.
    #[test]
    fn setting_values_is_counted_per_input_and_path() {
        let inputs = motor_inputs();
        let uncertain = [
            input(Target::Quantity(vec!["motor".into(), "nd".into()])),
            input(Target::Price {
                material_id: "nd".into(),
                side: Side::Both,
            }),
        ];
        let targets = Targets::resolve(&inputs, &uncertain).unwrap();
        let meter = Meter::unlimited();
        let x = targets
            .with_values(&inputs, &uncertain, &[d("2"), d("7")], &meter)
            .unwrap();
        assert_eq!(meter.used(), inputs.copy_units() + 3 + 1);
        assert_eq!(x.bom.items[1].quantity, d("2"));
        assert_eq!(x.baseline_prices.prices["nd"].price, d("7"));
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
