//! A whole calculation: the baseline and scenario costings, the exact effect split from the
//! two crossed costings, and the per-measure and per-material summaries.

use super::costing::{self, Costing, Gap, LineKind, Side};
use super::currency::Currency;
use super::error::{CheckedAt, Error, InputError, Locator, Role, Setting};
use super::fx::{Fx, FxDeck};
use super::incentive::IncentiveOutcome;
use super::model::{FeeKind, Program, Scenario, Schedule, Stockpile};
use super::money::{RoundingMode, shown_amount, shown_number};
use super::text::clip;
use super::units::{self, Unit};
use super::work::{Meter, units as work_units};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One measure or fee summed over all lines, on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureSummary {
    /// Measure or fee id.
    pub id: Arc<str>,
    /// Name.
    pub name: Arc<str>,
    /// Program of a duty.
    pub program: Option<Program>,
    /// Kind of a fee.
    pub fee_kind: Option<FeeKind>,
    /// Rounded sum under the baseline.
    pub baseline: Decimal,
    /// Rounded sum under the scenario.
    pub scenario: Decimal,
}

/// One material summed over all lines that use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialSummary {
    /// Material id.
    pub material_id: Arc<str>,
    /// Name from the scenario deck.
    pub name: Arc<str>,
    /// Priced quantity per unit of product, in `unit`.
    pub quantity: Decimal,
    /// Unit of the baseline price.
    pub unit: Unit,
    /// Baseline price per `unit`.
    pub baseline_price: Decimal,
    /// Scenario price per `unit`.
    pub scenario_price: Decimal,
    /// Rounded goods cost under the baseline.
    pub baseline_cost: Decimal,
    /// Rounded goods cost under the scenario.
    pub scenario_cost: Decimal,
}

/// The result of a calculation, every amount per unit of product.
#[derive(Debug, Clone)]
pub struct Impact {
    /// Currency of every amount.
    pub currency: Currency,
    /// Baseline prices under the baseline schedule.
    pub baseline: Costing,
    /// Scenario prices under the scenario schedule.
    pub scenario: Costing,
    /// scenario total - baseline total (rounded totals).
    pub delta: Decimal,
    /// C(P1,T0) - C(P0,T0).
    pub price_effect: Decimal,
    /// C(P0,T1) - C(P0,T0).
    pub tariff_effect: Decimal,
    /// C(F1) - C(F0): baseline prices and schedule under the scenario's exchange rates.
    pub fx_effect: Decimal,
    /// delta - price effect - fx effect - tariff effect.
    pub interaction: Decimal,
    /// delta / baseline x 100, rounded to 2 decimals; `None` if the baseline is zero.
    pub delta_percent: Option<Decimal>,
    /// delta x annual volume, rounded, if a volume was given.
    pub annual_impact: Option<Decimal>,
    /// Measures and fees that charged on either side, in order of first appearance.
    pub measures: Vec<MeasureSummary>,
    /// Materials in order of first appearance.
    pub materials: Vec<MaterialSummary>,
    /// Remarks from both sides, without repeats.
    pub notes: Vec<String>,
    /// Incentives of either schedule: `(baseline, scenario)` outcomes, `None` where the
    /// side's schedule does not define it.
    pub incentives: Vec<(Option<IncentiveOutcome>, Option<IncentiveOutcome>)>,
    /// The stockpile's effect, if a stockpile was given.
    pub stockpile: Option<StockpileOutcome>,
    /// Dutied imports a side's schedule does not cover, each once with the sides it
    /// concerns: the baseline's in line order, then the scenario's own.
    pub coverage_gaps: Vec<CoverageGap>,
}

/// A coverage gap and the sides whose schedule has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageGap {
    /// The gap.
    pub gap: Gap,
    /// The baseline schedule has it.
    pub baseline: bool,
    /// The scenario schedule has it.
    pub scenario: bool,
}

/// The gaps of both sides, a gap both sides have listed once. One unit of work per gap.
fn coverage_gaps(
    baseline: &Costing,
    scenario: &Costing,
    meter: &Meter,
) -> Result<Vec<CoverageGap>, Error> {
    meter.charge(work_units(baseline.gaps.len() + scenario.gaps.len()))?;
    let key = |g: &Gap| (g.line, g.missing, g.known_gap.clone());
    let in_scenario: HashSet<_> = scenario.gaps.iter().map(key).collect();
    let in_baseline: HashSet<_> = baseline.gaps.iter().map(key).collect();
    let mut out: Vec<CoverageGap> = baseline
        .gaps
        .iter()
        .map(|g| CoverageGap {
            gap: g.clone(),
            baseline: true,
            scenario: in_scenario.contains(&key(g)),
        })
        .collect();
    out.extend(
        scenario
            .gaps
            .iter()
            .filter(|g| !in_baseline.contains(&key(g)))
            .map(|g| CoverageGap {
                gap: g.clone(),
                baseline: false,
                scenario: true,
            }),
    );
    Ok(out)
}

/// The delta over a shock horizon with a stockpile bought at baseline prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockpileOutcome {
    /// The part of the delta the stockpile covers (rounded).
    pub covered_delta: Decimal,
    /// delta - covered x min(cover, horizon) / horizon, rounded.
    pub effective_delta: Decimal,
    /// The formula with its numbers.
    pub formula: String,
}

/// Costs `s.bom` under the baseline and the scenario and explains the difference, counting
/// the work on `meter` (see [`super::estimate::calculation`] for what it can cost).
pub fn calculate(s: &Scenario<'_>, meter: &Meter) -> Result<Impact, Error> {
    let currency = s.bom.currency;
    let o = s.options;
    let rates = Rates::of(s, meter)?;
    let sides = Sides::of(s, &rates, meter);
    // Goods depend only on prices and exchange rates: walk the tree once per pair; the
    // crossed costings reuse those goods under the other schedule.
    let base_goods = costing::goods(s.bom, sides.base, o)?;
    let scen_goods = costing::goods(s.bom, sides.scen, o)?;
    // Which measures each import matches, once per schedule and date (see `Matches`).
    let matched = (
        costing::matches(&base_goods, sides.base)?,
        costing::matches(&base_goods, sides.scen)?,
    );
    let (p1t0, p0t1, f1) = sides.crossed_totals(s, &base_goods, &scen_goods, &matched)?;
    let explain = o.explain;
    let baseline = costing::finish(
        base_goods,
        s.bom,
        Side {
            explain,
            ..sides.base
        },
        o,
        &matched.0,
    )?;
    let scenario = costing::finish(
        scen_goods,
        s.bom,
        Side {
            explain,
            ..sides.scen
        },
        o,
        &matched.1,
    )?;
    let split = Split::of(
        baseline.totals.total,
        scenario.totals.total,
        p1t0,
        p0t1,
        f1,
        o,
    )?;
    let annual_impact = annual_impact(split.delta, o, currency)?;
    let stockpile = match &o.stockpile {
        Some(sp) => Some(stockpile(
            &baseline,
            &scenario,
            split.delta,
            sp,
            o.rounding,
            currency,
            meter,
        )?),
        None => None,
    };
    let incentives = incentive_pairs(&baseline, &scenario);
    let (measures, materials, mut notes) = summaries(&baseline, &scenario, meter)?;
    notes.extend(rates.notes(s, meter)?);
    let coverage_gaps = coverage_gaps(&baseline, &scenario, meter)?;
    Ok(Impact {
        currency,
        baseline,
        scenario,
        delta: split.delta,
        price_effect: split.price_effect,
        tariff_effect: split.tariff_effect,
        fx_effect: split.fx_effect,
        interaction: split.interaction,
        delta_percent: split.delta_percent,
        annual_impact,
        measures,
        materials,
        notes,
        incentives,
        stockpile,
        coverage_gaps,
    })
}

/// `delta` times the annual volume, rounded, if a volume was given.
fn annual_impact(
    delta: Decimal,
    o: &super::model::Options,
    currency: Currency,
) -> Result<Option<Decimal>, InputError> {
    o.annual_volume
        .map(|v| -> Result<Decimal, InputError> {
            let at = Locator::Setting(Setting::AnnualVolume);
            let annual = delta.mul_at(v, at, "annual impact")?;
            Ok(o.rounding.round(annual, currency.minor_units))
        })
        .transpose()
}

/// The sides of the costings: baseline, scenario, and the crossings of the effect split
/// (scenario prices alone, the scenario schedule alone, and, when the exchange rates move,
/// the scenario's rates alone), which feed only the split and so skip formulas and notes.
pub(crate) struct Sides<'a> {
    pub(crate) base: Side<'a>,
    pub(crate) scen: Side<'a>,
    price_only: Side<'a>,
    tariff_only: Side<'a>,
    fx_only: Option<Side<'a>>,
}

impl<'a> Sides<'a> {
    /// The totals of the crossed costings: scenario prices alone, the scenario schedule
    /// alone, and the scenario's rates alone (`None` when the rates do not move). The goods
    /// of the baseline and scenario sides are reused where the crossing has the same prices
    /// and rates, and the matches of the baseline's schedule (`matched.0`) and the scenario's
    /// (`matched.1`) by every crossing under that schedule and date.
    fn crossed_totals(
        &self,
        s: &Scenario<'_>,
        base_goods: &costing::Goods<'_>,
        scen_goods: &costing::Goods<'_>,
        matched: &(costing::Matches, costing::Matches),
    ) -> Result<(Decimal, Decimal, Option<Decimal>), Error> {
        let o = s.options;
        let (m0, m1) = matched;
        let fresh = |side: Side<'_>| -> Result<Decimal, Error> {
            let g = costing::goods(s.bom, side, o)?;
            Ok(costing::total_only(&g, s.bom, side, o, m0)?.total)
        };
        let p1t0 = match self.fx_only {
            None => costing::total_only(scen_goods, s.bom, self.price_only, o, m0)?.total,
            Some(_) => fresh(self.price_only)?,
        };
        let p0t1 = costing::total_only(base_goods, s.bom, self.tariff_only, o, m1)?.total;
        let f1 = self.fx_only.map(fresh).transpose()?;
        Ok((p1t0, p0t1, f1))
    }

    /// The sides of `s` with `rates`, without formulas (a caller that shows them turns them
    /// on).
    pub(crate) fn of(s: &Scenario<'a>, rates: &'a Rates<'a>, meter: &'a Meter) -> Sides<'a> {
        let o = s.options;
        let (b, s1) = (o.entry_date, o.scenario_entry_date);
        let base_prices = (s.baseline_prices, Role::BaselinePrices, false);
        let scen_prices = (s.scenario_prices, Role::ScenarioPrices, true);
        let side =
            |(prices, prices_role, scenario_component_prices), fx, schedule, entry_date| Side {
                prices,
                prices_role,
                fx,
                schedule,
                entry_date,
                scenario_component_prices,
                explain: false,
                meter,
            };
        let (f0, f1) = (&rates.fx0, &rates.fx1);
        let (t0f0, t1f1) = (&*rates.t0f0, &*rates.t1f1);
        let t0f1 = rates.t0f1.as_deref().unwrap_or(t0f0);
        let t1f0 = rates.t1f0.as_deref().unwrap_or(t1f1);
        Sides {
            base: side(base_prices, f0, t0f0, b),
            scen: side(scen_prices, f1, t1f1, s1),
            price_only: side(scen_prices, f0, t0f0, b),
            tariff_only: side(base_prices, f0, t1f0, s1),
            fx_only: rates.moves.then(|| side(base_prices, f1, t0f1, b)),
        }
    }
}

/// The exchange rates of both sides and the schedules in the BOM's currency under each:
/// a schedule's specific rates, limits, threshold and credits converted with the side's
/// rates when it is in another currency (borrowed as they are otherwise).
pub(crate) struct Rates<'a> {
    fx0: Fx<'a>,
    fx1: Fx<'a>,
    /// The two sides' decks differ: the FX effect needs its own costing.
    moves: bool,
    t0f0: Cow<'a, Schedule>,
    t1f1: Cow<'a, Schedule>,
    /// The baseline schedule under the scenario's rates, when they move.
    t0f1: Option<Cow<'a, Schedule>>,
    /// The scenario schedule under the baseline's rates, when they move.
    t1f0: Option<Cow<'a, Schedule>>,
}

impl<'a> Rates<'a> {
    /// The rates of `s`. Work: one unit per rate of each deck, and a converted schedule's
    /// measures, fees and incentives.
    pub(crate) fn of(s: &Scenario<'a>, meter: &Meter) -> Result<Rates<'a>, Error> {
        let to = s.bom.currency;
        let deck_units = |d: Option<&FxDeck>| work_units(d.map_or(0, |d| d.rates.len()));
        let decks = deck_units(s.baseline_fx) + deck_units(s.scenario_fx);
        if decks > 0 {
            meter.charge(decks)?;
        }
        let fx0 = Fx::new(s.baseline_fx, to);
        let fx1 = Fx::new(s.scenario_fx, to);
        let moves = s.baseline_fx != s.scenario_fx;
        let (t0, t1) = (s.baseline_schedule, s.scenario_schedule);
        let (r0, r1) = (Role::BaselineSchedule, Role::ScenarioSchedule);
        let t0f0 = in_currency(t0, &fx0, r0, meter)?;
        let t1f1 = in_currency(t1, &fx1, r1, meter)?;
        let (t0f1, t1f0) = if moves {
            (
                Some(in_currency(t0, &fx1, r0, meter)?),
                Some(in_currency(t1, &fx0, r1, meter)?),
            )
        } else {
            (None, None)
        };
        Ok(Rates {
            fx0,
            fx1,
            moves,
            t0f0,
            t1f1,
            t0f1,
            t1f0,
        })
    }

    /// One note per side (one for both when they share a deck) stating each conversion the
    /// calculation's inputs need: the rate, the deck, its date and source, and the precision.
    fn notes(&self, s: &Scenario<'_>, meter: &Meter) -> Result<Vec<String>, Error> {
        // No deck, no conversion to state (and no lines to read for one).
        if self.fx0.deck.or(self.fx1.deck).is_none() {
            return Ok(Vec::new());
        }
        let to = s.bom.currency;
        let mut used: Vec<Currency> = Vec::new();
        let mut add = |c: Currency| {
            if c != to && !used.contains(&c) {
                used.push(c);
            }
        };
        meter.charge(work_units(s.bom.line_count()))?;
        // The decks convert only the BOM's material lines.
        if bom_currencies(&s.bom.items, &mut add) {
            add(s.baseline_prices.currency);
            add(s.scenario_prices.currency);
        }
        for t in [s.baseline_schedule, s.scenario_schedule] {
            if t.currency != to && t.has_amounts() {
                add(t.currency);
            }
        }
        let mut notes = Vec::new();
        let sides: &[(&str, &Fx<'_>)] = if self.moves {
            &[("baseline", &self.fx0), ("scenario", &self.fx1)]
        } else {
            &[("baseline and scenario", &self.fx0)]
        };
        for (label, fx) in sides {
            let Some(deck) = fx.deck else { continue };
            let mut rates: Vec<String> = used.iter().filter_map(|c| fx.describe(*c)).collect();
            if rates.is_empty() {
                continue;
            }
            // A few named; the deck itself is in the result's inputs used.
            if rates.len() > SHOWN_RATES {
                let more = rates.len() - SHOWN_RATES;
                rates.truncate(SHOWN_RATES);
                rates.push(format!("and {more} more"));
            }
            let as_of = deck
                .as_of
                .map(|d| format!(" as of {d}"))
                .unwrap_or_default();
            notes.push(format!(
                "{label}: amounts converted to {} with FX deck {:?}{as_of}: {}; each \
                 conversion kept to {} decimals and rounded once, at the {} minor unit, with \
                 the amount it enters",
                to.code,
                clip(&deck.id),
                rates.join("; "),
                super::fx::CONVERSION_DECIMALS,
                to.code
            ));
        }
        Ok(notes)
    }
}

/// Conversions a note names; the rest are counted.
const SHOWN_RATES: usize = 3;

/// Calls `add` with the currency of every component price and import declaration; whether
/// any item is a material line (priced from the decks).
fn bom_currencies(items: &[super::model::Item], add: &mut impl FnMut(Currency)) -> bool {
    use super::model::ItemKind;
    let mut materials = false;
    for item in items {
        if let Some(import) = &item.import {
            add(import.currency);
        }
        match &item.kind {
            ItemKind::Component { currency, .. } => add(*currency),
            ItemKind::Material { .. } => materials = true,
            ItemKind::Assembly { children } => materials |= bom_currencies(children, add),
        }
    }
    materials
}

/// `schedule` in `fx`'s currency: as it is when already in it, else a copy with its amounts
/// converted (one unit of work per measure, fee and incentive).
fn in_currency<'a>(
    schedule: &'a Schedule,
    fx: &Fx<'_>,
    role: Role,
    meter: &Meter,
) -> Result<Cow<'a, Schedule>, Error> {
    if schedule.currency == fx.to || !schedule.has_amounts() {
        return Ok(Cow::Borrowed(schedule));
    }
    meter.charge(work_units(
        schedule.measures().len() + schedule.fees.len() + schedule.incentives.len(),
    ))?;
    let from = schedule.currency;
    let at = Locator::Currency(role);
    if !fx.converts(from) {
        return Err(fx.no_route(from, &at).into());
    }
    let mut converted = schedule.clone();
    converted.convert_amounts(fx.to, |v| fx.convert(v, from, &at))?;
    Ok(Cow::Owned(converted))
}

/// The delta and its exact, order-free split: price effect (scenario prices under the
/// baseline schedule), tariff effect (baseline prices under the scenario schedule) and the
/// interaction that makes the three add up to the delta.
struct Split {
    delta: Decimal,
    price_effect: Decimal,
    tariff_effect: Decimal,
    fx_effect: Decimal,
    interaction: Decimal,
    delta_percent: Option<Decimal>,
}

impl Split {
    fn of(
        b: Decimal,
        s: Decimal,
        p1t0: Decimal,
        p0t1: Decimal,
        f1: Option<Decimal>,
        o: &super::model::Options,
    ) -> Result<Split, Error> {
        let delta = s.sub_at(b, &Locator::Bom, "delta")?;
        let price_effect = p1t0.sub_at(b, &Locator::Bom, "price effect")?;
        let tariff_effect = p0t1.sub_at(b, &Locator::Bom, "tariff effect")?;
        let fx_effect = match f1 {
            Some(f1) => f1.sub_at(b, &Locator::Bom, "fx effect")?,
            None => Decimal::ZERO,
        };
        let interaction = delta
            .sub_at(price_effect, &Locator::Bom, "interaction")?
            .sub_at(tariff_effect, &Locator::Bom, "interaction")?
            .sub_at(fx_effect, &Locator::Bom, "interaction")?;
        let delta_percent = if b.is_zero() {
            None
        } else {
            let pct = delta
                .mul_at(Decimal::ONE_HUNDRED, &Locator::Bom, "delta percent")?
                .div_at(b, &Locator::Bom, "delta percent")?;
            Some(o.rounding.round(pct, 2))
        };
        Ok(Split {
            delta,
            price_effect,
            tariff_effect,
            fx_effect,
            interaction,
            delta_percent,
        })
    }
}

/// Per-measure and per-material summaries, and the notes of both sides without repeats.
#[allow(clippy::type_complexity)]
fn summaries(
    baseline: &Costing,
    scenario: &Costing,
    meter: &Meter,
) -> Result<(Vec<MeasureSummary>, Vec<MaterialSummary>, Vec<String>), Error> {
    let charges = baseline.lines.iter().chain(&scenario.lines);
    meter.charge(work_units(charges.map(|l| l.charges.len()).sum()))?;
    let measures = measure_summaries(baseline, scenario);
    meter.charge(work_units(baseline.lines.len()))?;
    let materials = material_summaries(baseline, scenario)?;
    meter.charge(work_units(baseline.notes.len() + scenario.notes.len()))?;
    let mut seen: HashSet<&str> = HashSet::new();
    let notes: Vec<String> = baseline
        .notes
        .iter()
        .chain(&scenario.notes)
        .filter(|n| seen.insert(n.as_str()))
        .cloned()
        .collect();
    Ok((measures, materials, notes))
}

fn incentive_pairs(
    baseline: &Costing,
    scenario: &Costing,
) -> Vec<(Option<IncentiveOutcome>, Option<IncentiveOutcome>)> {
    let in_scenario: HashMap<&str, &IncentiveOutcome> = scenario
        .incentives
        .iter()
        .map(|s| (s.id.as_str(), s))
        .collect();
    let in_baseline: HashSet<&str> = baseline.incentives.iter().map(|b| b.id.as_str()).collect();
    let mut out: Vec<(Option<IncentiveOutcome>, Option<IncentiveOutcome>)> = baseline
        .incentives
        .iter()
        .map(|b| {
            (
                Some(b.clone()),
                in_scenario.get(b.id.as_str()).map(|s| (*s).clone()),
            )
        })
        .collect();
    for s in &scenario.incentives {
        if !in_baseline.contains(s.id.as_str()) {
            out.push((None, Some(s.clone())));
        }
    }
    out
}

/// The stockpile's effect: its covered delta is felt only after the stock runs out.
fn stockpile(
    baseline: &Costing,
    scenario: &Costing,
    delta: Decimal,
    sp: &Stockpile,
    rounding: RoundingMode,
    currency: Currency,
    meter: &Meter,
) -> Result<StockpileOutcome, Error> {
    let field = &Locator::Setting(Setting::Stockpile);
    let mu = currency.minor_units;
    let ccy = currency.code;
    let covered_delta = if sp.material_ids.is_empty() {
        delta
    } else {
        meter.charge(work_units(baseline.lines.len()))?;
        let mut sum = Decimal::ZERO;
        for (b, s) in baseline.lines.iter().zip(&scenario.lines) {
            if let LineKind::Material { material_id } = &b.kind
                && sp.material_ids.contains(material_id)
            {
                sum = sum.add_at(
                    s.goods.sub_at(b.goods, field, "covered delta")?,
                    field,
                    "covered delta",
                )?;
            }
        }
        sum
    };
    let covered_months = sp.cover_months.min(sp.horizon_months);
    let relief = covered_delta
        .mul_at(covered_months, field, "stockpile relief")?
        .div_at(sp.horizon_months, field, "stockpile relief")?;
    let effective_delta = rounding.round(delta.sub_at(relief, field, "effective delta")?, mu);
    let scope = if sp.material_ids.is_empty() {
        "whole delta".to_string()
    } else {
        // Named up to a few, so the formula's length does not grow with the request.
        let named: Vec<&str> = sp.material_ids.iter().take(5).collect();
        match sp.material_ids.len() - named.len() {
            0 => format!("goods delta of {}", named.join(", ")),
            more => format!("goods delta of {} and {more} more", named.join(", ")),
        }
    };
    let formula = format!(
        "{} - {} ({scope}) x min({}, {}) / {} months = {} {ccy} per unit averaged over the horizon",
        shown_amount(delta, mu),
        shown_amount(covered_delta, mu),
        shown_number(sp.cover_months),
        shown_number(sp.horizon_months),
        shown_number(sp.horizon_months),
        shown_amount(effective_delta, mu)
    );
    Ok(StockpileOutcome {
        covered_delta,
        effective_delta,
        formula,
    })
}

fn measure_summaries(baseline: &Costing, scenario: &Costing) -> Vec<MeasureSummary> {
    let mut out: Vec<MeasureSummary> = Vec::new();
    let mut at: HashMap<Arc<str>, usize> = HashMap::new();
    for (is_scenario, costing) in [(false, baseline), (true, scenario)] {
        for charge in costing.lines.iter().flat_map(|l| &l.charges) {
            let idx = *at.entry(charge.id.clone()).or_insert_with(|| {
                out.push(MeasureSummary {
                    id: charge.id.clone(),
                    name: charge.name.clone(),
                    program: charge.program,
                    fee_kind: charge.fee_kind,
                    baseline: Decimal::ZERO,
                    scenario: Decimal::ZERO,
                });
                out.len() - 1
            });
            // Sums of rounded atoms already summed without overflow into the totals.
            let m = &mut out[idx];
            if is_scenario {
                m.scenario += charge.amount;
            } else {
                m.baseline += charge.amount;
            }
        }
    }
    out
}

fn material_summaries(
    baseline: &Costing,
    scenario: &Costing,
) -> Result<Vec<MaterialSummary>, InputError> {
    let mut out: Vec<MaterialSummary> = Vec::new();
    let mut at: HashMap<Arc<str>, usize> = HashMap::new();
    for (b, s) in baseline.lines.iter().zip(&scenario.lines) {
        let (LineKind::Material { material_id }, Some(bp), Some(sp)) =
            (&b.kind, &b.priced, &s.priced)
        else {
            continue;
        };
        let field = &Locator::Bom;
        let idx = match at.get(material_id) {
            Some(&i) => i,
            None => {
                // Scenario price expressed per the baseline's unit so the two compare.
                let scenario_price = units::convert(sp.price, bp.unit, sp.unit)
                    .map_err(|_| InputError::overflow(field, "scenario price"))?;
                at.insert(material_id.clone(), out.len());
                out.push(MaterialSummary {
                    material_id: material_id.clone(),
                    name: sp.name.clone(),
                    quantity: Decimal::ZERO,
                    unit: bp.unit,
                    baseline_price: bp.price,
                    scenario_price,
                    baseline_cost: Decimal::ZERO,
                    scenario_cost: Decimal::ZERO,
                });
                out.len() - 1
            }
        };
        let m = &mut out[idx];
        m.quantity = m
            .quantity
            .add_at(bp.priced_quantity, field, "material quantity")?;
        m.baseline_cost += b.goods;
        m.scenario_cost += s.goods;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::{self, Limits};
    use crate::engine::error::{Aim, Attribute, Locator, Reason};
    use crate::engine::sensitivity::{self, Inputs, Side as Changed, Target, Uncertain};
    use crate::engine::work::Meter;
    use crate::pb;
    use serde_json::json;

    /// The engine's own inputs: a USD BOM of one Nd oxide line (1 kg), a deck in `currency`
    /// pricing `material`, an empty USD schedule.
    fn inputs(currency: &str, material: &str) -> Inputs {
        let bom: pb::Bom = serde_json::from_value(json!({"id": "b", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"}]}))
        .unwrap();
        let deck: pb::PriceDeck = serde_json::from_value(json!({"id": "p", "currency": currency,
            "prices": [{"materialId": material, "price": "100", "unit": "UNIT_OF_MEASURE_KG",
                        "basis": "PRICE_BASIS_FOB"}]}))
        .unwrap();
        let schedule: pb::TariffSchedule =
            serde_json::from_value(json!({"id": "s", "currency": "USD"})).unwrap();
        let options: pb::CalculationOptions =
            serde_json::from_value(json!({"entryDate": "2026-03-02"})).unwrap();
        let deck = convert::price_deck::price_deck(&deck, "p").unwrap();
        let schedule = convert::schedule::schedule(&schedule, "s").unwrap();
        Inputs {
            bom: convert::bom::bom(&bom, "", &Limits::default()).unwrap().bom,
            baseline_prices: deck.clone(),
            scenario_prices: deck,
            baseline_schedule: schedule.clone(),
            scenario_schedule: schedule,
            baseline_fx: None,
            scenario_fx: None,
            options: convert::options::options(Some(&options), "o").unwrap(),
        }
    }

    fn input_error(e: Error) -> (Locator, Reason) {
        match e {
            Error::Input(e) => (e.field, e.reason),
            Error::Stopped(s) => panic!("stopped: {s}"),
        }
    }

    /// The engine re-checks what the API's cross-input step checks first, so a library
    /// caller cannot get a silently wrong number: a deck in another currency, a material no
    /// deck prices, a sensitivity target that names nothing.
    #[test]
    fn the_engine_refuses_inconsistent_inputs_by_locator() {
        let meter = Meter::unlimited();
        let x = inputs("EUR", "nd-oxide");
        assert_eq!(
            input_error(calculate(&x.scenario(), &meter).unwrap_err()),
            (
                Locator::Currency(Role::BaselinePrices),
                Reason::CurrencyMismatch
            )
        );
        let x = inputs("USD", "dy-oxide");
        assert_eq!(
            input_error(calculate(&x.scenario(), &meter).unwrap_err()),
            (
                Locator::Line(0, Attribute::MaterialId),
                Reason::UnknownMaterial
            )
        );
        let x = inputs("USD", "nd-oxide");
        let one = |target| Uncertain {
            name: "u".into(),
            target,
            low: Decimal::ONE,
            base: Decimal::ONE,
            high: Decimal::TWO,
        };
        for (target, at, reason) in [
            (
                Target::Quantity(vec!["nd".into(), "none".into()]),
                Locator::Uncertain(0, Aim::ItemPath(1)),
                Reason::InvalidValue,
            ),
            (
                Target::Price {
                    material_id: "dy-oxide".into(),
                    side: Changed::Both,
                },
                Locator::Uncertain(0, Aim::Material),
                Reason::UnknownMaterial,
            ),
            (
                Target::Rate {
                    measure_id: "m".into(),
                    side: Changed::Scenario,
                },
                Locator::Uncertain(0, Aim::Measure),
                Reason::InvalidValue,
            ),
        ] {
            let e = sensitivity::analyze(&x, &[one(target)], &meter).unwrap_err();
            assert_eq!(input_error(e), (at, reason));
        }
    }

    /// A price input changes the decks of its side only: at 1 kg of Nd oxide priced 100 on
    /// both sides, the baseline price in [50, 150] moves the delta over [-50, 50] the other
    /// way round from the scenario price.
    #[test]
    fn a_price_input_changes_its_own_side() {
        let meter = Meter::unlimited();
        let x = inputs("USD", "nd-oxide");
        let bounds = |side| {
            let u = Uncertain {
                name: "p".into(),
                target: Target::Price {
                    material_id: "nd-oxide".into(),
                    side,
                },
                low: Decimal::from(50),
                base: Decimal::from(100),
                high: Decimal::from(150),
            };
            let s = sensitivity::analyze(&x, &[u], &meter).unwrap();
            let bar = &s.tornado[0];
            (bar.at_low, bar.at_high)
        };
        let d = |n: i64| Decimal::from(n);
        assert_eq!(bounds(Changed::Baseline), (d(50), d(-50)));
        assert_eq!(bounds(Changed::Scenario), (d(-50), d(50)));
        assert_eq!(bounds(Changed::Both), (d(0), d(0)));
    }

    /// Copying the inputs for an evaluation costs one unit per line, price, measure, fee and
    /// incentive of both sides.
    #[test]
    fn copying_inputs_costs_one_unit_per_part() {
        let mut x = inputs("USD", "nd-oxide");
        let schedule = |measures: usize, fees: usize, incentives: usize| {
            let m: Vec<_> = (0..measures)
                .map(|i| {
                    json!({"id": format!("m{i}"), "program": "PROGRAM_MFN",
                                "rate": {"adValoremPercent": "1"}})
                })
                .collect();
            let f: Vec<_> = (0..fees)
                .map(|i| json!({"id": format!("f{i}"), "kind": "FEE_KIND_MPF", "ratePercent": "1"}))
                .collect();
            let c: Vec<_> = (0..incentives)
                .map(|i| {
                    json!({"id": format!("c{i}"), "creditAmount": "1", "restrictedOrigins": ["CN"],
                                "maxRestrictedShare": "0.5"})
                })
                .collect();
            let s: pb::TariffSchedule = serde_json::from_value(
                json!({"id": "s", "currency": "USD", "measures": m, "fees": f, "incentives": c}),
            )
            .unwrap();
            convert::schedule::schedule(&s, "s").unwrap()
        };
        x.baseline_schedule = schedule(2, 1, 3);
        x.scenario_schedule = schedule(4, 0, 0);
        // 1 line + 1 + 1 prices + (2 + 1 + 3) + 4 schedule entries.
        assert_eq!(x.copy_units(), 13);
    }
}
