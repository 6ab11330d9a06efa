//! `tariff.v1.CostImpactService` as the server routes it: `CalculateImpact` answered with
//! bytes encoded straight from the engine's result ([`CostImpactApi::calculate_impact_encoded`]),
//! every other method by the generated service.
//!
//! The generated service's trait fixes `CalculateImpact`'s answer to the built
//! `pb::CalculateImpactResponse`; this route is the generated one with the answer type
//! swapped for [`Encoded`], the same codec and the same message-size limits, so a client sees
//! the same bytes, statuses and limits, only sooner.

use crate::api::CostImpactApi;
use crate::pb;
use crate::pb::cost_impact_service_server::CostImpactServiceServer;
use crate::wire::{Codec, Encoded};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tonic::body::Body;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Request, Response, Status};
use tower::Service;

const CALCULATE_IMPACT: &str = "/tariff.v1.CostImpactService/CalculateImpact";

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The cost-impact service with `CalculateImpact` answered encoded.
#[derive(Clone)]
pub(super) struct CostImpactRoutes {
    generated: CostImpactServiceServer<CostImpactApi>,
    api: CostImpactApi,
    max_request_bytes: usize,
    max_response_bytes: usize,
}

impl CostImpactRoutes {
    /// Routes to `api`, with the generated service's limits: requests up to
    /// `max_request_bytes`, answers up to `max_response_bytes`.
    pub(super) fn new(
        api: CostImpactApi,
        max_request_bytes: usize,
        max_response_bytes: usize,
    ) -> Self {
        let generated = CostImpactServiceServer::new(api.clone())
            .max_decoding_message_size(max_request_bytes)
            .max_encoding_message_size(max_response_bytes);
        CostImpactRoutes {
            generated,
            api,
            max_request_bytes,
            max_response_bytes,
        }
    }
}

impl NamedService for CostImpactRoutes {
    const NAME: &'static str = <CostImpactServiceServer<CostImpactApi> as NamedService>::NAME;
}

/// The unary method, as the generated code's per-method service.
struct CalculateImpact(CostImpactApi);

impl UnaryService<pb::CalculateImpactRequest> for CalculateImpact {
    type Response = Encoded<pb::CalculateImpactResponse>;
    type Future = BoxFuture<Result<Response<Self::Response>, Status>>;

    fn call(&mut self, request: Request<pb::CalculateImpactRequest>) -> Self::Future {
        let api = self.0.clone();
        Box::pin(async move { api.calculate_impact_encoded(request).await })
    }
}

impl<B> Service<http::Request<B>> for CostImpactRoutes
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if req.uri().path() != CALCULATE_IMPACT {
            return self.generated.call(req);
        }
        let method = CalculateImpact(self.api.clone());
        let (max_request, max_response) = (self.max_request_bytes, self.max_response_bytes);
        Box::pin(async move {
            let codec = Codec::<Encoded<pb::CalculateImpactResponse>, _>::default();
            let mut grpc = Grpc::new(codec)
                .apply_max_message_size_config(Some(max_request), Some(max_response));
            Ok(grpc.unary(method, req).await)
        })
    }
}
