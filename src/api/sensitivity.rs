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
use crate::engine::error::{Aim, Locator};
use crate::engine::estimate::{self, Estimate};
use crate::engine::model::{Item, ItemKind, Options};
use crate::engine::sensitivity::{self, Inputs, Side, Target, Uncertain};
use crate::engine::text::clip;
use crate::engine::{InputError, Meter, Reason};
use crate::pb;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// How the bounds are computed, returned with every analysis.
pub const METHOD: &str = "On each side, the exact unit cost before incentive credits is non-decreasing in every \
quantity, price and ad valorem rate (goods, stacked duties with their minimums and maximums, de minimis and \
per-entry fee clamps all are), so on any box of input values the delta lies in [scenario at the low corner - \
baseline at the high corner, scenario at the high corner - baseline at the low corner], widened by any \
incentive credit that a varied input could flip. The box of ranges is bisected, most promising bound first, \
until each bound is within half a minor unit of a delta reached at an evaluated corner (converged: bounds \
rounded to the nearest minor unit) or the evaluation budget runs out (not converged: bounds rounded \
outward). Every combination of inputs within their ranges gives an exact delta inside the bounds (within half \
a minor unit when converged). The tornado swings one input at a time, the others at base.";

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
    let mut index: Option<HashMap<(usize, &str), usize>> = None;
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

/// Every item under its parent by id: `(parent, id) -> item`, items numbered depth-first from
/// 1 (0 is the top). Built before the work is admitted, so it holds no path text: one entry
/// per item, however deep the tree and long the ids (the first of two equal paths wins, as
/// the analysis finds it).
fn item_index(items: &[Item]) -> HashMap<(usize, &str), usize> {
    fn walk<'a>(
        items: &'a [Item],
        parent: usize,
        next: &mut usize,
        out: &mut HashMap<(usize, &'a str), usize>,
    ) {
        for item in items {
            *next += 1;
            let me = *next;
            out.entry((parent, item.id.as_str())).or_insert(me);
            if let ItemKind::Assembly { children } = &item.kind {
                walk(children, me, next, out);
            }
        }
    }
    let mut out = HashMap::new();
    walk(items, 0, &mut 0, &mut out);
    out
}

/// Whether the readable `path` (ids joined by `/`) names an item.
fn has_path(index: &HashMap<(usize, &str), usize>, path: &str) -> bool {
    let mut node = 0;
    for id in path.split('/') {
        match index.get(&(node, id)) {
            Some(&n) => node = n,
            None => return false,
        }
    }
    true
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
