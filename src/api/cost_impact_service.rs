//! `tariff.v1.CostImpactService`.

use super::error::ApiError;
use super::resolve::resolve;
use super::response::impact_response;
use crate::catalog::Catalog;
use crate::convert::{self, Limits};
use crate::engine::{self, model::Scenario};
use crate::pb;
use crate::pb::cost_impact_service_server::CostImpactService;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// The cost-impact service: resolves inputs against the catalog and runs the engine.
#[derive(Debug, Clone)]
pub struct CostImpactApi {
    catalog: Arc<Catalog>,
    limits: Limits,
}

impl CostImpactApi {
    /// A service answering from `catalog`, rejecting BOMs beyond `limits`.
    pub fn new(catalog: Arc<Catalog>, limits: Limits) -> Self {
        Self { catalog, limits }
    }

    /// Computes one response; separate from the trait so the CLI and tests can call it.
    pub fn calculate(
        &self,
        req: &pb::CalculateImpactRequest,
    ) -> Result<pb::CalculateImpactResponse, ApiError> {
        let (options, inputs) = match (
            convert::options::options(req.options.as_ref()),
            resolve(&self.catalog, req, &self.limits),
        ) {
            (Ok(options), Ok(inputs)) => (options, inputs),
            (Err(e), inputs) => return Err(merge(e, inputs.err())),
            (Ok(_), Err(e)) => return Err(e),
        };
        let scenario = Scenario {
            bom: &inputs.bom,
            baseline_prices: &inputs.baseline_prices.0,
            scenario_prices: &inputs.scenario_prices.0,
            baseline_schedule: &inputs.baseline_schedule.0,
            scenario_schedule: &inputs.scenario_schedule.0,
            options: &options,
        };
        let impact = engine::calculate(&scenario)?;
        Ok(impact_response(&impact, &inputs, &options))
    }
}

/// Reports option violations together with input violations, unless the inputs failed for
/// another reason (a preset not found), which then takes precedence.
fn merge(options: Vec<engine::InputError>, inputs: Option<ApiError>) -> ApiError {
    match inputs {
        Some(ApiError::InvalidArgument(mut e)) => {
            e.extend(options);
            ApiError::InvalidArgument(e)
        }
        Some(other) => other,
        None => ApiError::InvalidArgument(options),
    }
}

#[tonic::async_trait]
impl CostImpactService for CostImpactApi {
    async fn calculate_impact(
        &self,
        request: Request<pb::CalculateImpactRequest>,
    ) -> Result<Response<pb::CalculateImpactResponse>, Status> {
        let req = request.into_inner();
        match self.calculate(&req) {
            Ok(resp) => {
                tracing::info!(
                    bom = %resp.inputs.as_ref().map_or("", |i| i.bom_id.as_str()),
                    delta = %resp.delta.as_ref().map_or("", |d| d.amount.as_str()),
                    lines = resp.lines.len(),
                    "calculated impact"
                );
                Ok(Response::new(resp))
            }
            Err(e) => {
                let status = Status::from(e);
                tracing::info!(code = ?status.code(), message = status.message(), "rejected calculation");
                Err(status)
            }
        }
    }
}
