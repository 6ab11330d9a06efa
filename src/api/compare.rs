//! `CompareScenarios`: one BOM and baseline resolved once, each named scenario costed against
//! it exactly as `CalculateImpact` would, then ranked by delta.

use super::Context;
use super::budget::Cost;
use super::calculate::response_units;
use super::error::ApiError;
use super::guard::{Plan, PrepareWeight};
use super::resolve::{
    self, Base, BaseSources, DeckRef, FxRef, Rebuilds, Resolved, ScheduleRef, ScheduleSource,
    SideSchedule, Violations, source,
};
use super::response::impact_response;
use crate::convert::{self, check::Check};
use crate::engine::Meter;
use crate::engine::date::Date;
use crate::engine::estimate::{self, Estimate};
use crate::engine::model::{Options, Schedule};
use crate::pb;
use crate::pb::compare_scenarios_request::{
    BaselineFxSource, BaselinePricesSource, BaselineScheduleSource, BomSource,
};
use crate::pb::scenario_input::{self as schedule_input, FxSource, PricesSource};
use std::collections::HashSet;

/// A validated `CompareScenarios` request: every scenario's inputs and estimate.
#[derive(Debug)]
pub struct ComparePlan {
    scenarios: Vec<(String, Resolved, Options, Estimate)>,
    explain: bool,
    /// The schedules the overlays rebuilt, the baseline's once and each scenario's.
    rebuilt: Estimate,
}

/// Costs every scenario of `req` and ranks them, counting the work on `meter`, without the
/// server's budgets and capacity.
pub fn compare(
    ctx: &Context,
    req: &pb::CompareScenariosRequest,
    meter: &Meter,
) -> Result<pb::CompareScenariosResponse, ApiError> {
    prepare(ctx, req)?.run(meter)
}

impl PrepareWeight for pb::CompareScenariosRequest {
    fn inline_boms(&self) -> Vec<&pb::Bom> {
        match &self.bom_source {
            Some(BomSource::Bom(b)) => vec![b],
            _ => Vec::new(),
        }
    }

    fn overlays_schedules(&self) -> bool {
        self.baseline_schedule_overlay.is_some()
            || !self.baseline_schedule_overlay_id.is_empty()
            || self
                .scenarios
                .iter()
                .any(|s| s.schedule_overlay.is_some() || !s.schedule_overlay_id.is_empty())
    }
}

/// A scenario's name, its prices and schedule (`None`: the baseline's) and entry date.
/// A scenario's name, prices, schedule, entry date and exchange rates, each `None` where the
/// baseline's (or the options') apply.
type ScenarioInputs = (
    String,
    Option<DeckRef>,
    Option<ScheduleRef>,
    Option<Date>,
    Option<FxRef>,
);

/// Checks and resolves every scenario, recording violations in `v` in scenario order and
/// the rebuilds of their overlays (which start from `baseline` when a scenario has no
/// schedule of its own) in `rebuilds`.
fn scenarios(
    ctx: &Context,
    scenarios: &[pb::ScenarioInput],
    baseline: Option<&SideSchedule<'_>>,
    v: &mut Violations,
    rebuilds: &mut Rebuilds,
) -> Result<Vec<ScenarioInputs>, ApiError> {
    let (catalog, max) = (&*ctx.catalog, ctx.limits.max_scenarios);
    let mut c = Check::default();
    convert::compare::scenario_count(&mut c, scenarios, max);
    v.take(c);
    let mut out = Vec::with_capacity(scenarios.len().min(max));
    let mut names: HashSet<&str> = HashSet::new();
    for (i, s) in scenarios.iter().enumerate().take(max) {
        let f = format!("scenarios[{i}]");
        let mut c = Check::default();
        convert::compare::scenario_name(&mut c, &mut names, s, &f);
        v.take(c);
        let (p_id, p) = source!(
            &s.prices_source,
            PricesSource::PricesId,
            PricesSource::Prices
        );
        let schedule_source = ScheduleSource::of(
            source!(
                &s.schedule_source,
                schedule_input::ScheduleSource::ScheduleId,
                schedule_input::ScheduleSource::Schedule
            ),
            s.schedule_overlay.as_ref(),
            &s.schedule_overlay_id,
        );
        let prices = v.keep(resolve::deck(catalog, p_id, p, &format!("{f}.prices")))?;
        let schedule = v
            .keep(resolve::side_schedule(
                catalog,
                &ctx.limits,
                schedule_source,
                &format!("{f}.schedule"),
                baseline,
                rebuilds,
            ))?
            .map(|s| s.given);
        let fx_source = source!(&s.fx_source, FxSource::FxId, FxSource::Fx);
        let fx = v.keep(resolve::fx_deck(catalog, fx_source, &format!("{f}.fx")))?;
        let mut c = Check::default();
        let date = convert::compare::scenario_date(&mut c, s, &f);
        v.take(c);
        out.push((s.name.clone(), prices, schedule, date, fx));
    }
    Ok(out)
}

/// Where the BOM, baseline prices and schedule and options of `req` come from.
fn base_sources(req: &pb::CompareScenariosRequest) -> BaseSources<'_> {
    BaseSources {
        bom: source!(&req.bom_source, BomSource::BomId, BomSource::Bom),
        baseline_prices: source!(
            &req.baseline_prices_source,
            BaselinePricesSource::BaselinePricesId,
            BaselinePricesSource::BaselinePrices
        ),
        baseline_schedule: ScheduleSource::of(
            source!(
                &req.baseline_schedule_source,
                BaselineScheduleSource::BaselineScheduleId,
                BaselineScheduleSource::BaselineSchedule
            ),
            req.baseline_schedule_overlay.as_ref(),
            &req.baseline_schedule_overlay_id,
        ),
        baseline_fx: source!(
            &req.baseline_fx_source,
            BaselineFxSource::BaselineFxId,
            BaselineFxSource::BaselineFx
        ),
        options: req.options.as_ref(),
    }
}

/// Validates `req` into a plan.
pub fn prepare(ctx: &Context, req: &pb::CompareScenariosRequest) -> Result<ComparePlan, ApiError> {
    let (catalog, limits) = (&*ctx.catalog, &ctx.limits);
    let mut v = Violations::default();
    let src = base_sources(req);
    let mut rebuilds = Rebuilds::default();
    let Base {
        bom,
        baseline_prices,
        baseline_schedule,
        baseline_fx,
        options,
    } = resolve::base(catalog, limits, src, "", &mut v, &mut rebuilds)?;
    let scenarios = scenarios(
        ctx,
        &req.scenarios,
        baseline_schedule.as_ref(),
        &mut v,
        &mut rebuilds,
    )?;
    let (Some((bom, bom_source)), Some(baseline_prices), Some(baseline_schedule), Some(options)) =
        (bom, baseline_prices, baseline_schedule, options)
    else {
        return Err(ApiError::InvalidArgument(v.0));
    };
    let baseline_schedule = baseline_schedule.given;
    if !v.0.is_empty() {
        return Err(ApiError::InvalidArgument(v.0));
    }

    let explain = options.explain;
    let require_coverage = req.options.as_ref().is_some_and(|o| o.require_coverage);
    let shape = estimate::bom_shape(&bom.bom);
    let field_paths = bom.path_bytes("bom");
    let schedules: Vec<&Schedule> = std::iter::once(&*baseline_schedule.value)
        .chain(
            scenarios
                .iter()
                .filter_map(|s| s.2.as_ref().map(|s| &*s.value)),
        )
        .collect();
    let acknowledged_gaps = super::resolve::acknowledged(req.options.as_ref(), &schedules, "")
        .map_err(ApiError::InvalidArgument)?;
    let scenarios: Vec<_> = scenarios
        .into_iter()
        .map(|(name, prices, schedule, date, fx)| {
            let inputs = Resolved {
                prefix: String::new(),
                bom: bom.clone(),
                bom_source: bom_source.clone(),
                scenario_prices: prices.unwrap_or_else(|| baseline_prices.clone()),
                scenario_schedule: schedule.unwrap_or_else(|| baseline_schedule.clone()),
                baseline_prices: baseline_prices.clone(),
                baseline_schedule: baseline_schedule.clone(),
                scenario_fx: fx.or_else(|| baseline_fx.clone()),
                baseline_fx: baseline_fx.clone(),
                require_coverage,
                acknowledged_gaps: acknowledged_gaps.clone(),
            };
            let mut o = options.clone();
            if let Some(d) = date {
                o.scenario_entry_date = d;
            }
            let estimate = estimate::calculation_with(&shape, &inputs.scenario(&o))
                .with_request_paths(field_paths);
            (name, inputs, o, estimate)
        })
        .collect();
    cross_check(&scenarios, v)?;
    Ok(ComparePlan {
        scenarios,
        explain,
        rebuilt: rebuilds.estimate,
    })
}

/// The checks across each scenario's inputs; the baseline's violations are every scenario's,
/// so each is reported once.
fn cross_check(
    scenarios: &[(String, Resolved, Options, Estimate)],
    mut v: Violations,
) -> Result<(), ApiError> {
    for (_, inputs, _, _) in scenarios {
        for e in inputs.cross_check() {
            if !v.0.contains(&e) {
                v.0.push(e);
            }
        }
    }
    if v.0.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InvalidArgument(v.0))
    }
}

impl Plan for ComparePlan {
    type Response = pb::CompareScenariosResponse;

    /// Every scenario's work and response; the engine's memory of one scenario at a time
    /// (each is turned into its response before the next).
    fn cost(&self) -> Cost {
        let mut total = Cost::default();
        let mut engine = 0u64;
        for (_, _, o, e) in &self.scenarios {
            let c = Cost::calculation(e, o.explain);
            engine = engine.max(c.memory);
            total = total.plus(Cost { memory: 0, ..c });
        }
        Cost {
            memory: engine,
            ..total
        }
        .plus(Cost::rebuilding(&self.rebuilt))
    }

    fn explain(&self) -> bool {
        self.explain
    }

    fn run(self, meter: &Meter) -> Result<pb::CompareScenariosResponse, ApiError> {
        let mut results = Vec::with_capacity(self.scenarios.len());
        for (name, inputs, o, _) in self.scenarios {
            let impact = super::coverage::calculate(&inputs, &o, meter)?;
            meter.charge(response_units(&impact, o.explain))?;
            results.push((name, impact.delta, impact_response(&impact, &inputs, &o)));
        }
        let mut order: Vec<usize> = (0..results.len()).collect();
        order.sort_by(|&a, &b| results[b].1.cmp(&results[a].1));
        let ranking = order.iter().map(|&i| results[i].0.clone()).collect();
        let mut rank = vec![0; results.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r as i32 + 1;
        }
        Ok(pb::CompareScenariosResponse {
            scenarios: results
                .into_iter()
                .zip(rank)
                .map(|((name, _, result), rank)| pb::ScenarioResult {
                    name,
                    rank,
                    result: Some(result),
                })
                .collect(),
            ranking,
        })
    }
}
