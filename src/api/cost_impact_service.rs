//! `tariff.v1.CostImpactService`: thin adapters from tonic to the RPC functions, each run
//! under the server's guards, with the outcome logged.

use super::batch::{self, BatchSettings};
use super::calculate::CalculatePlan;
use super::capacity::Admission;
use super::guard::{Guard, parts, respond};
use super::{Context, calculate, compare, refs, sensitivity};
use crate::pb;
use crate::pb::cost_impact_service_server::CostImpactService;
use crate::wire::Encoded;
use std::pin::Pin;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

/// The cost-impact service.
#[derive(Debug, Clone)]
pub struct CostImpactApi {
    ctx: Context,
    guard: Guard,
    batch: BatchSettings,
}

impl CostImpactApi {
    /// A service answering from `ctx`, each call under `guard`.
    pub fn new(ctx: Context, guard: Guard, batch: BatchSettings) -> Self {
        Self { ctx, guard, batch }
    }

    /// `CalculateImpact` with its answer encoded straight from the engine's result: what the
    /// server sends (`server::encoded_answers` routes the method here).
    pub async fn calculate_impact_encoded(
        &self,
        request: Request<pb::CalculateImpactRequest>,
    ) -> Result<Response<Encoded<pb::CalculateImpactResponse>>, Status> {
        let (metadata, size, decoded, req) = parts(request);
        let ctx = match self.ctx.for_request(&refs::calculate(&req)).await {
            Ok(ctx) => ctx,
            Err(e) => return Err(Status::from(e)),
        };
        let prepare = move || calculate::prepare(&ctx, &req).map(CalculatePlan::encoded);
        let r = self.guard.run(&metadata, size, decoded, prepare).await;
        respond("CalculateImpact", r)
    }
}

#[tonic::async_trait]
impl CostImpactService for CostImpactApi {
    async fn calculate_impact(
        &self,
        request: Request<pb::CalculateImpactRequest>,
    ) -> Result<Response<pb::CalculateImpactResponse>, Status> {
        // The server answers this method from `calculate_impact_encoded`; an in-process
        // caller of the trait gets the same answer decoded.
        let answer = self.calculate_impact_encoded(request).await?;
        let (metadata, encoded, extensions) = answer.into_parts();
        let decoded = encoded
            .decode()
            .map_err(|_| Status::from(super::ApiError::Internal))?;
        Ok(Response::from_parts(metadata, decoded, extensions))
    }

    async fn compare_scenarios(
        &self,
        request: Request<pb::CompareScenariosRequest>,
    ) -> Result<Response<pb::CompareScenariosResponse>, Status> {
        let (metadata, size, decoded, req) = parts(request);
        let ctx = match self.ctx.for_request(&refs::compare(&req)).await {
            Ok(ctx) => ctx,
            Err(e) => return Err(Status::from(e)),
        };
        let prepare = move || compare::prepare(&ctx, &req);
        let r = self.guard.run(&metadata, size, decoded, prepare).await;
        respond("CompareScenarios", r)
    }

    async fn analyze_sensitivity(
        &self,
        request: Request<pb::AnalyzeSensitivityRequest>,
    ) -> Result<Response<pb::AnalyzeSensitivityResponse>, Status> {
        let (metadata, size, decoded, req) = parts(request);
        let ctx = match self.ctx.for_request(&refs::sensitivity(&req)).await {
            Ok(ctx) => ctx,
            Err(e) => return Err(Status::from(e)),
        };
        let prepare = move || sensitivity::prepare(&ctx, &req);
        let r = self.guard.run(&metadata, size, decoded, prepare).await;
        respond("AnalyzeSensitivity", r)
    }

    type CalculateBatchStream =
        Pin<Box<dyn Stream<Item = Result<pb::CalculateBatchResponse, Status>> + Send>>;

    async fn calculate_batch(
        &self,
        request: Request<Streaming<pb::CalculateBatchRequest>>,
    ) -> Result<Response<Self::CalculateBatchStream>, Status> {
        // The stream's slot was taken before its first message was decoded; it is held for
        // the stream's life. Its admission goes with it, where the decoder can reach it.
        let admission = match request.extensions().get::<Admission>() {
            Some(a) => a.clone(),
            None => Admission::stream(
                self.guard.capacity().clone(),
                self.guard.capacity().admit_stream().map_err(Status::from)?,
            ),
        };
        let slot = admission.take_slot();
        let (tx, rx) = mpsc::channel(batch::CHANNEL_CAPACITY);
        let (ctx, guard, settings) = (self.ctx.clone(), self.guard.clone(), self.batch.clone());
        let inbound = request.into_inner();
        tokio::spawn(admission.clone().scope(async move {
            batch::run(ctx, guard, settings, inbound, admission, tx).await;
            drop(slot);
        }));
        // Each response's memory is given back when tonic takes it to send.
        let out = ReceiverStream::new(rx).map(|(response, _held)| response);
        Ok(Response::new(Box::pin(out)))
    }
}
