//! `AnalyzeSensitivity`: validates the uncertain inputs, runs the engine's analysis and
//! converts the bounds and tornado.

use super::Context;
use super::budget::Cost;
use super::calculate::response_units;
use super::error::ApiError;
use super::guard::{Plan, PrepareWeight};
use super::resolve::{self, Rebuilds, Resolved, resolve};
use super::response::impact_response;
use crate::convert::sensitivity::uncertain_inputs;
use crate::engine::currency::Currency;
use crate::engine::error::{Aim, Locator};
use crate::engine::estimate::{self, Estimate};
use crate::engine::fx::FxDeck;
use crate::engine::model::{Item, ItemKind, Options};
use crate::engine::sensitivity::{self, Inputs, Side, Target, Uncertain};
use crate::engine::text::clip;
use crate::engine::{InputError, Meter, Reason};
use crate::pb;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// How the bounds are computed, returned with every analysis.
pub const METHOD: &str = "On each side, the exact duties and fees (with landed costs when no exchange rate or \
freight is an input) move one way in every input: up in every quantity, price and ad valorem rate (stacked \
duties with their minimums and maximums, de minimis and per-entry fee clamps are non-decreasing in their \
base); an exchange rate or a freight is given the direction of every amount it moves on that side (a \
conversion multiplies or divides by a rate; a de minimis threshold lowers duty as it rises; a freight a price \
includes lowers the FOB value), and an input pulling one side both ways is refused. So on any box of input \
values a side's charges lie between their values at its lowest and highest corners. Goods (and landed costs, \
when apart) are bounded line by line by interval arithmetic over each price, converted at the rates that make \
it smallest and largest; incentive credits a varied input could flip are widened from lost to kept at their \
largest. The box of ranges is bisected, most promising bound first, until each bound is within half a minor \
unit of a delta reached at an evaluated corner (converged: bounds rounded to the nearest minor unit) or the \
evaluation budget runs out (not converged: bounds rounded outward). Every combination of inputs within their \
ranges gives an exact delta inside the bounds (within half a minor unit when converged). The tornado swings \
one input at a time, the others at base.";

/// A validated `AnalyzeSensitivity` request.
#[derive(Debug)]
pub struct SensitivityPlan {
    resolved: Resolved,
    options: Options,
    owned: Inputs,
    uncertain: Vec<Uncertain>,
    estimate: Estimate,
    base: Estimate,
    /// The schedules its overlays rebuilt.
    rebuilt: Estimate,
}

/// Runs the sensitivity analysis of `req`, counting the work on `meter`, without the
/// server's budgets and capacity.
pub fn analyze(
    ctx: &Context,
    req: &pb::AnalyzeSensitivityRequest,
    meter: &Meter,
) -> Result<pb::AnalyzeSensitivityResponse, ApiError> {
    prepare(ctx, req)?.run(meter)
}

impl PrepareWeight for pb::AnalyzeSensitivityRequest {
    fn inline_boms(&self) -> Vec<&pb::Bom> {
        self.calculation
            .as_ref()
            .map(PrepareWeight::inline_boms)
            .unwrap_or_default()
    }

    fn overlays_schedules(&self) -> bool {
        self.calculation
            .as_ref()
            .is_some_and(PrepareWeight::overlays_schedules)
    }
}

/// Validates `req` into a plan.
pub fn prepare(
    ctx: &Context,
    req: &pb::AnalyzeSensitivityRequest,
) -> Result<SensitivityPlan, ApiError> {
    let limits = &ctx.limits;
    let Some(calc) = req.calculation.as_ref() else {
        let mut errors = vec![InputError::new(
            "calculation",
            Reason::Required,
            "the base calculation is required",
        )];
        if let Err(e) = uncertain_inputs(&req.inputs, limits.max_inputs) {
            errors.extend(e);
        }
        return Err(ApiError::InvalidArgument(errors));
    };
    let mut rebuilds = Rebuilds::default();
    let (resolved, options, inputs) = match (
        resolve(&ctx.catalog, calc, limits, "calculation", &mut rebuilds),
        uncertain_inputs(&req.inputs, limits.max_inputs),
    ) {
        (Ok((r, o)), Ok(u)) => (r, o, u),
        (Err(ApiError::InvalidArgument(mut e)), Err(u)) => {
            e.extend(u);
            return Err(ApiError::InvalidArgument(e));
        }
        (Err(e), _) => return Err(e),
        (Ok(_), Err(u)) => return Err(ApiError::InvalidArgument(u)),
    };
    let unknown = unknown_targets(&resolved, &inputs);
    if !unknown.is_empty() {
        return Err(ApiError::InvalidArgument(unknown));
    }
    let owned = Inputs {
        bom: resolved.bom.bom.clone(),
        baseline_prices: (*resolved.baseline_prices.value).clone(),
        scenario_prices: (*resolved.scenario_prices.value).clone(),
        baseline_schedule: (*resolved.baseline_schedule.value).clone(),
        scenario_schedule: (*resolved.scenario_schedule.value).clone(),
        baseline_fx: resolved.baseline_fx.as_ref().map(|f| (*f.value).clone()),
        scenario_fx: resolved.scenario_fx.as_ref().map(|f| (*f.value).clone()),
        options: options.clone(),
    };
    let field_paths = resolved.bom.path_bytes(&resolved.bom_field());
    let estimate = estimate::sensitivity(&owned, &inputs).with_request_paths(field_paths);
    let base = estimate::calculation(&resolved.scenario(&options)).with_request_paths(field_paths);
    Ok(SensitivityPlan {
        resolved,
        options,
        owned,
        uncertain: inputs,
        estimate,
        base,
        rebuilt: rebuilds.estimate,
    })
}

/// Encoded bytes of one tornado bar besides its name.
const TORNADO_BAR_BYTES: u64 = 128;

impl Plan for SensitivityPlan {
    type Response = pb::AnalyzeSensitivityResponse;

    fn cost(&self) -> Cost {
        let explain = self.options.explain;
        let base = Cost::calculation(&self.base, explain);
        let names: u64 = self.uncertain.iter().map(|u| u.name.len() as u64).sum();
        let tornado = (self.uncertain.len() as u64)
            .saturating_mul(TORNADO_BAR_BYTES)
            .saturating_add(names);
        Cost {
            work: self
                .estimate
                .units
                .saturating_add(base.work - self.base.units),
            memory: self.estimate.memory_bytes.saturating_add(base.memory),
            response_bytes: base.response_bytes.saturating_add(tornado),
            response_floor: base.response_floor,
        }
        .plus(Cost::rebuilding(&self.rebuilt))
    }

    fn explain(&self) -> bool {
        self.options.explain
    }

    fn run(self, meter: &Meter) -> Result<pb::AnalyzeSensitivityResponse, ApiError> {
        let SensitivityPlan {
            resolved,
            options,
            owned,
            uncertain,
            ..
        } = self;
        let s = sensitivity::analyze(&owned, &uncertain, meter).map_err(|e| {
            resolve::located(e, |at| match at {
                Locator::Uncertain(n, aim) => resolve::uncertain_field("inputs", *n, *aim),
                Locator::Inputs => "inputs".to_string(),
                other => resolved.locate(other),
            })
        })?;
        meter.charge(response_units(&s.base, options.explain))?;
        let currency = resolved.bom.bom.currency;
        let money = |d: Decimal| {
            let mut d = d;
            d.rescale(currency.minor_units);
            Some(pb::Money {
                amount: d.to_string(),
                currency: currency.code.to_string(),
                exact: String::new(),
            })
        };
        Ok(pb::AnalyzeSensitivityResponse {
            base: Some(impact_response(&s.base, &resolved, &options)),
            delta_lower_bound: money(s.lower_bound),
            delta_upper_bound: money(s.upper_bound),
            delta_all_low: money(s.all_low),
            delta_all_high: money(s.all_high),
            tornado: s
                .tornado
                .iter()
                .map(|b| pb::TornadoBar {
                    name: b.name.clone(),
                    delta_at_low: money(b.at_low),
                    delta_at_high: money(b.at_high),
                    swing: money(b.swing),
                })
                .collect(),
            method: METHOD.to_string(),
            converged: s.converged,
            delta_min_reached: money(s.min_reached),
            delta_max_reached: money(s.max_reached),
            evaluations: i32::try_from(s.evaluations).unwrap_or(i32::MAX),
        })
    }
}

/// The uncertain inputs checked against the calculation's inputs before any evaluation, all
/// reported at once: every item path names a BOM item, every material is priced by the decks
/// its side changes, every measure is in the schedules its side changes. (The engine relies
/// on these and re-checks them as it applies a value, naming the first.)
fn unknown_targets(resolved: &Resolved, uncertain: &[Uncertain]) -> Vec<InputError> {
    let mut out = Vec::new();
    let mut index: Option<ItemIndex<'_>> = None;
    for (n, u) in uncertain.iter().enumerate() {
        let field = |aim| resolve::uncertain_field("inputs", n, aim);
        match &u.target {
            Target::Quantity(items) => {
                let index = index.get_or_insert_with(|| item_index(&resolved.bom.bom.items));
                for (j, path) in items.iter().enumerate() {
                    if !has_path(index, path) {
                        out.push(InputError::new(
                            field(Aim::ItemPath(j)),
                            Reason::InvalidValue,
                            format!("no BOM item has the path {:?}", clip(path)),
                        ));
                    }
                }
            }
            Target::Freight(items) => {
                let index = index.get_or_insert_with(|| item_index(&resolved.bom.bom.items));
                out.extend(freight_targets(index, items, &field));
            }
            Target::FxRate { base, quote, side } => {
                out.extend(rate_targets(resolved, (*base, *quote), *side, &field));
            }
            Target::Price { material_id, side } => {
                let (b, s) = (&resolved.baseline_prices, &resolved.scenario_prices);
                for deck in changed(*side, &b.value, &s.value)
                    .into_iter()
                    .filter(|d| !d.prices.contains_key(material_id))
                {
                    out.push(InputError::new(
                        field(Aim::Material),
                        Reason::UnknownMaterial,
                        format!(
                            "material {:?} is not priced in deck {:?}",
                            clip(material_id),
                            clip(&deck.id)
                        ),
                    ));
                }
            }
            Target::Rate { measure_id, side } => {
                let (b, s) = (&resolved.baseline_schedule, &resolved.scenario_schedule);
                for schedule in changed(*side, &b.value, &s.value)
                    .into_iter()
                    .filter(|s| !s.has_measure(measure_id))
                {
                    out.push(InputError::new(
                        field(Aim::Measure),
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
    out
}

/// Why each item path of a freight input cannot take a freight: no item has it, or the item
/// has no import declaration.
fn freight_targets(
    index: &ItemIndex<'_>,
    items: &[String],
    field: &dyn Fn(Aim) -> String,
) -> Vec<InputError> {
    let mut out = Vec::new();
    for (j, path) in items.iter().enumerate() {
        let why = match item_by_path(index, path) {
            None => format!("no BOM item has the path {:?}", clip(path)),
            Some(item) if item.import.is_none() => format!(
                "item {:?} has no import declaration to set a freight in",
                clip(path)
            ),
            Some(_) => continue,
        };
        out.push(InputError::new(
            field(Aim::FreightPath(j)),
            Reason::InvalidValue,
            why,
        ));
    }
    out
}

/// Why an exchange-rate input cannot set its pair on the sides it changes: one message per
/// side, once when both sides share a deck and both lack it.
fn rate_targets(
    resolved: &Resolved,
    pair: (Currency, Currency),
    side: Side,
    field: &dyn Fn(Aim) -> String,
) -> Vec<InputError> {
    let (b, s) = (&resolved.baseline_fx, &resolved.scenario_fx);
    let sides = [
        (side.baseline(), b.as_ref().map(|f| &*f.value), "baseline"),
        (side.scenario(), s.as_ref().map(|f| &*f.value), "scenario"),
    ];
    let mut said: Vec<String> = Vec::new();
    for (_, d, name) in sides.into_iter().filter(|(changed, ..)| *changed) {
        if let Some(why) = rate_missing(d, name, pair)
            && !said.contains(&why)
        {
            said.push(why);
        }
    }
    said.into_iter()
        .map(|why| InputError::new(field(Aim::FxRate), Reason::InvalidValue, why))
        .collect()
}

/// The inputs a target on `side` changes: the baseline's, the scenario's or both (once when
/// the scenario uses the baseline's).
fn changed<'a, T>(side: Side, baseline: &'a Arc<T>, scenario: &'a Arc<T>) -> Vec<&'a Arc<T>> {
    let mut out = Vec::with_capacity(2);
    if side.baseline() {
        out.push(baseline);
    }
    if side.scenario() && !(side.baseline() && Arc::ptr_eq(baseline, scenario)) {
        out.push(scenario);
    }
    out
}

/// Every item under its parent by id: `(parent, id) -> (number, item)`, items numbered
/// depth-first from 1 (0 is the top). Built before the work is admitted, so it holds no path
/// text: one entry per item, however deep the tree and long the ids (the first of two equal
/// paths wins, as the analysis finds it).
fn item_index(items: &[Item]) -> ItemIndex<'_> {
    fn walk<'a>(items: &'a [Item], parent: usize, next: &mut usize, out: &mut ItemIndex<'a>) {
        for item in items {
            *next += 1;
            let me = *next;
            out.entry((parent, item.id.as_str())).or_insert((me, item));
            if let ItemKind::Assembly { children } = &item.kind {
                walk(children, me, next, out);
            }
        }
    }
    let mut out = HashMap::new();
    walk(items, 0, &mut 0, &mut out);
    out
}

/// Items by parent number and id (see [`item_index`]).
type ItemIndex<'a> = HashMap<(usize, &'a str), (usize, &'a Item)>;

/// The item the readable `path` (ids joined by `/`) names, if any.
fn item_by_path<'a>(index: &ItemIndex<'a>, path: &str) -> Option<&'a Item> {
    let (mut node, mut found) = (0, None);
    for id in path.split('/') {
        let &(n, item) = index.get(&(node, id))?;
        (node, found) = (n, Some(item));
    }
    found
}

/// Whether the readable `path` names an item.
fn has_path(index: &ItemIndex<'_>, path: &str) -> bool {
    item_by_path(index, path).is_some()
}

/// Why an exchange-rate input cannot set its pair on a side with `deck` (named `name`), if
/// it cannot: the side has no deck, or its deck does not quote the pair as the input names it.
fn rate_missing(
    deck: Option<&FxDeck>,
    name: &str,
    (base, quote): (Currency, Currency),
) -> Option<String> {
    let Some(deck) = deck else {
        return Some(format!(
            "the {name} has no FX deck with a rate 1 {} = r {} to set",
            base.code, quote.code
        ));
    };
    let quotes = |b: Currency, q: Currency| deck.rates.iter().any(|r| (r.base, r.quote) == (b, q));
    if quotes(base, quote) {
        None
    } else if quotes(quote, base) {
        Some(format!(
            "FX deck {:?} quotes this pair as 1 {} = r {}: name it so",
            clip(&deck.id),
            quote.code,
            base.code
        ))
    } else {
        Some(format!(
            "FX deck {:?} has no rate 1 {} = r {}",
            clip(&deck.id),
            base.code,
            quote.code
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::{self, Limits};

    /// Readable paths are found through the index level by level.
    #[test]
    fn item_paths_are_found_level_by_level() {
        let b: pb::Bom = serde_json::from_value(serde_json::json!({"id": "b", "currency": "USD",
            "items": [
                {"id": "drive", "children": [
                    {"id": "rotor", "children": [{"id": "nd", "unitPrice": "1"}]},
                    {"id": "nd", "unitPrice": "1"}]},
                {"id": "nd", "unitPrice": "1"}]}))
        .unwrap();
        let bom = convert::bom::bom(&b, "bom", &Limits::default())
            .unwrap()
            .bom;
        let index = item_index(&bom.items);
        for found in ["drive", "drive/rotor", "drive/rotor/nd", "drive/nd", "nd"] {
            assert!(has_path(&index, found), "{found}");
        }
        for missing in [
            "rotor",
            "drive/rotor/nd/x",
            "nd/rotor",
            "",
            "drive/",
            "/drive",
        ] {
            assert!(!has_path(&index, missing), "{missing}");
        }
    }
}
