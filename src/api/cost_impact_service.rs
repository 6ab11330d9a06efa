//! `tariff.v1.CostImpactService`: thin handlers over the resolvers, the engine and the
//! response builders. Each RPC's logic is a plain function (also used by the CLI and tests);
//! this file only adapts it to tonic and logs the outcome.

use super::error::ApiError;
use super::guard::Guard;
use super::resolve::resolve;
use super::response::impact_response;
use super::{batch, compare, sensitivity};
use crate::catalog::Catalog;
use crate::convert::Limits;
use crate::pb;
use crate::pb::cost_impact_service_server::CostImpactService;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

/// A preset id that panics in debug builds, so tests can prove a panic stays inside its call.
/// Release builds do not contain it.
pub const FAULT_INJECTION_BOM_ID: &str = "__panic_for_tests__";

/// The cost-impact service: resolves inputs against the catalog and runs the engine.
#[derive(Debug, Clone)]
pub struct CostImpactApi {
    catalog: Arc<Catalog>,
    limits: Limits,
    guard: Guard,
}

impl CostImpactApi {
    /// A service answering from `catalog`, rejecting requests beyond `limits`; each call runs
    /// under `guard` (concurrency gate and deadline).
    pub fn new(catalog: Arc<Catalog>, limits: Limits, guard: Guard) -> Self {
        Self {
            catalog,
            limits,
            guard,
        }
    }

    /// Computes one `CalculateImpact` response.
    pub fn calculate(
        &self,
        req: &pb::CalculateImpactRequest,
    ) -> Result<pb::CalculateImpactResponse, ApiError> {
        #[cfg(debug_assertions)]
        if let Some(pb::calculate_impact_request::BomSource::BomId(id)) = &req.bom_source {
            assert!(
                id != FAULT_INJECTION_BOM_ID,
                "fault injection: {FAULT_INJECTION_BOM_ID}"
            );
        }
        let (inputs, options) = resolve(&self.catalog, req, &self.limits, "")?;
        let impact = inputs.calculate(&options)?;
        Ok(impact_response(&impact, &inputs, &options))
    }

    /// Computes one `CompareScenarios` response.
    pub fn compare(
        &self,
        req: &pb::CompareScenariosRequest,
    ) -> Result<pb::CompareScenariosResponse, ApiError> {
        compare::compare(&self.catalog, &self.limits, req)
    }

    /// Computes one `AnalyzeSensitivity` response.
    pub fn analyze(
        &self,
        req: &pb::AnalyzeSensitivityRequest,
    ) -> Result<pb::AnalyzeSensitivityResponse, ApiError> {
        sensitivity::analyze(&self.catalog, &self.limits, req)
    }
}

/// Logs the outcome of a unary call.
fn respond<T>(rpc: &str, r: Result<T, Status>) -> Result<Response<T>, Status> {
    match r {
        Ok(v) => {
            tracing::info!(rpc, "ok");
            Ok(Response::new(v))
        }
        Err(status) => {
            tracing::info!(rpc, code = ?status.code(), message = status.message(), "rejected");
            Err(status)
        }
    }
}

#[tonic::async_trait]
impl CostImpactService for CostImpactApi {
    async fn calculate_impact(
        &self,
        request: Request<pb::CalculateImpactRequest>,
    ) -> Result<Response<pb::CalculateImpactResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        let api = self.clone();
        let size = prost::Message::encoded_len(&req);
        respond(
            "CalculateImpact",
            self.guard
                .run_sized(&metadata, size, move || api.calculate(&req))
                .await,
        )
    }

    async fn compare_scenarios(
        &self,
        request: Request<pb::CompareScenariosRequest>,
    ) -> Result<Response<pb::CompareScenariosResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        let api = self.clone();
        respond(
            "CompareScenarios",
            self.guard.run(&metadata, move || api.compare(&req)).await,
        )
    }

    async fn analyze_sensitivity(
        &self,
        request: Request<pb::AnalyzeSensitivityRequest>,
    ) -> Result<Response<pb::AnalyzeSensitivityResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        let api = self.clone();
        respond(
            "AnalyzeSensitivity",
            self.guard.run(&metadata, move || api.analyze(&req)).await,
        )
    }

    type CalculateBatchStream = ReceiverStream<Result<pb::CalculateBatchResponse, Status>>;

    async fn calculate_batch(
        &self,
        request: Request<Streaming<pb::CalculateBatchRequest>>,
    ) -> Result<Response<Self::CalculateBatchStream>, Status> {
        // A stream holds one slot of the gate for its whole life.
        let permit = self.guard.admit()?;
        let (tx, rx) = mpsc::channel(batch::CHANNEL_CAPACITY);
        let api = self.clone();
        tokio::spawn(async move {
            batch::run(api, request.into_inner(), tx).await;
            drop(permit);
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}
