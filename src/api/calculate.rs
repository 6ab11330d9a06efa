//! `CalculateImpact`: the request resolved into a [`CalculatePlan`] (every input validated,
//! the cost estimated), then costed by the engine and turned into its response: built as
//! `pb::` structs (the batch stream, the command line), or encoded straight to its bytes (a
//! unary call, [`EncodedCalculatePlan`]).

use super::Context;
use super::budget::Cost;
use super::error::ApiError;
#[cfg(debug_assertions)]
use super::guard::INLINE_WORK;
use super::guard::{Plan, PrepareWeight};
use super::resolve::{Rebuilds, Resolved, resolve};
use super::response::impact_response;
use super::response_wire::encode_impact;
use crate::engine::estimate::{self, Estimate};
use crate::engine::model::Options;
use crate::engine::{Impact, Meter};
use crate::pb;
use crate::wire::Encoded;

/// A BOM id that panics in debug builds, so tests can prove a panic stays inside its call.
/// Release builds do not contain it.
pub const FAULT_INJECTION_BOM_ID: &str = "__panic_for_tests__";

/// A BOM id whose calculation, in debug builds, runs until it is stopped (deadline, client
/// gone, drain), checking its meter every millisecond: tests prove that stopping works
/// without assuming how long any real calculation takes. Release builds do not contain it.
pub const BLOCKING_BOM_ID: &str = "__block_until_stopped_for_tests__";

/// A validated `CalculateImpact` request.
#[derive(Debug)]
pub struct CalculatePlan(Inner);

#[derive(Debug)]
enum Inner {
    Calculate {
        inputs: Resolved,
        options: Options,
        estimate: Estimate,
        /// The schedules its overlays rebuilt.
        rebuilt: Estimate,
    },
    #[cfg(debug_assertions)]
    BlockUntilStopped,
}

impl PrepareWeight for pb::CalculateImpactRequest {
    fn inline_boms(&self) -> Vec<&pb::Bom> {
        match &self.bom_source {
            Some(pb::calculate_impact_request::BomSource::Bom(b)) => vec![b],
            _ => Vec::new(),
        }
    }

    fn overlays_schedules(&self) -> bool {
        // A saved overlay named by id rebuilds its base schedule as an inline one does.
        self.baseline_schedule_overlay.is_some()
            || self.scenario_schedule_overlay.is_some()
            || !self.baseline_schedule_overlay_id.is_empty()
            || !self.scenario_schedule_overlay_id.is_empty()
    }
}

/// Validates `req` into a plan.
pub fn prepare(ctx: &Context, req: &pb::CalculateImpactRequest) -> Result<CalculatePlan, ApiError> {
    #[cfg(debug_assertions)]
    if let Some(pb::calculate_impact_request::BomSource::BomId(id)) = &req.bom_source {
        assert!(
            id != FAULT_INJECTION_BOM_ID,
            "fault injection: {FAULT_INJECTION_BOM_ID}"
        );
        if id == BLOCKING_BOM_ID {
            return Ok(CalculatePlan(Inner::BlockUntilStopped));
        }
    }
    let mut rebuilds = Rebuilds::default();
    let (inputs, options) = resolve(&ctx.catalog, req, &ctx.limits, "", &mut rebuilds)?;
    let estimate = estimate::calculation(&inputs.scenario(&options))
        .with_request_paths(inputs.bom.path_bytes(&inputs.bom_field()));
    Ok(CalculatePlan(Inner::Calculate {
        inputs,
        options,
        estimate,
        rebuilt: rebuilds.estimate,
    }))
}

/// Computes one `CalculateImpact` response, counting the work on `meter`, without the
/// server's budgets and capacity (the command line and tests).
pub fn calculate(
    ctx: &Context,
    req: &pb::CalculateImpactRequest,
    meter: &Meter,
) -> Result<pb::CalculateImpactResponse, ApiError> {
    prepare(ctx, req)?.run(meter)
}

/// Units of work to build the response of `impact`: one per line and charge in the full
/// view, one per measure and material summary.
pub(crate) fn response_units(impact: &Impact, explain: bool) -> u64 {
    let lines = if explain {
        impact.baseline.lines.len()
            + impact
                .baseline
                .lines
                .iter()
                .chain(&impact.scenario.lines)
                .map(|l| l.charges.len())
                .sum::<usize>()
    } else {
        0
    };
    crate::engine::work::units(lines + impact.measures.len() + impact.materials.len())
}

impl Plan for CalculatePlan {
    type Response = pb::CalculateImpactResponse;

    fn cost(&self) -> Cost {
        match &self.0 {
            Inner::Calculate {
                options,
                estimate,
                rebuilt,
                ..
            } => Cost::calculation(estimate, options.explain).plus(Cost::rebuilding(rebuilt)),
            #[cfg(debug_assertions)]
            Inner::BlockUntilStopped => Cost {
                work: INLINE_WORK + 1,
                ..Cost::default()
            },
        }
    }

    fn explain(&self) -> bool {
        match &self.0 {
            Inner::Calculate { options, .. } => options.explain,
            #[cfg(debug_assertions)]
            Inner::BlockUntilStopped => false,
        }
    }

    fn run(self, meter: &Meter) -> Result<pb::CalculateImpactResponse, ApiError> {
        self.answer(meter, impact_response)
    }
}

impl CalculatePlan {
    /// Calculates, then writes the answer with `respond` (built or encoded).
    fn answer<R>(
        self,
        meter: &Meter,
        respond: impl FnOnce(&Impact, &Resolved, &Options) -> R,
    ) -> Result<R, ApiError> {
        match self.0 {
            Inner::Calculate {
                inputs, options, ..
            } => {
                let impact = super::coverage::calculate(&inputs, &options, meter)?;
                meter.charge(response_units(&impact, options.explain))?;
                Ok(respond(&impact, &inputs, &options))
            }
            #[cfg(debug_assertions)]
            Inner::BlockUntilStopped => loop {
                meter.checkpoint()?;
                std::thread::sleep(std::time::Duration::from_millis(1));
            },
        }
    }

    /// The same plan answering with the encoded bytes (a unary call's answer).
    pub fn encoded(self) -> EncodedCalculatePlan {
        EncodedCalculatePlan(self)
    }
}

/// A calculation whose answer is encoded straight from the engine's result
/// ([`super::response_wire`]): the bytes of [`CalculatePlan`]'s response, without building
/// it. Unary `CalculateImpact` calls run this.
pub struct EncodedCalculatePlan(CalculatePlan);

impl Plan for EncodedCalculatePlan {
    type Response = Encoded<pb::CalculateImpactResponse>;

    fn cost(&self) -> Cost {
        self.0.cost()
    }

    fn explain(&self) -> bool {
        self.0.explain()
    }

    fn run(self, meter: &Meter) -> Result<Self::Response, ApiError> {
        self.0.answer(meter, |impact, inputs, options| {
            Encoded::new(encode_impact(impact, inputs, options))
        })
    }
}

/// [`calculate`], answering with the encoded bytes a unary call sends.
pub fn calculate_encoded(
    ctx: &Context,
    req: &pb::CalculateImpactRequest,
    meter: &Meter,
) -> Result<Encoded<pb::CalculateImpactResponse>, ApiError> {
    prepare(ctx, req)?.encoded().run(meter)
}
