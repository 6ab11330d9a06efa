//! The benchmark-only echo service: decodes a calculation request and sends it back, so load
//! tests can measure the server stack (HTTP/2, protobuf, layers) without the calculation; and
//! `EchoAnswer`, which sends back CalculateImpact's answer encoded once, so the calculation
//! path is compared with an echo of exactly its own bytes in and out. Registered only with
//! `serve --bench-echo`.

use crate::api::CostImpactApi;
use crate::pb::bench::echo_service_server::EchoService;
use crate::pb::bench::{EchoAnswerRequest, EchoRequest, EchoResponse};
use crate::wire::Encoded;
use bytes::Bytes;
use std::sync::Arc;
use tokio::sync::OnceCell;
use tonic::{Request, Response, Status};

/// Echoes each request's calculation, or sends the first calculation's answer.
#[derive(Debug, Clone)]
pub(crate) struct Echo {
    costs: CostImpactApi,
    answer: Arc<OnceCell<Bytes>>,
}

impl Echo {
    /// An echo whose `EchoAnswer` computes its one answer with `costs`.
    pub(crate) fn new(costs: CostImpactApi) -> Echo {
        Echo {
            costs,
            answer: Arc::new(OnceCell::new()),
        }
    }
}

#[tonic::async_trait]
impl EchoService for Echo {
    async fn echo(&self, request: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        Ok(Response::new(EchoResponse {
            calculation: request.into_inner().calculation,
        }))
    }

    async fn echo_answer(
        &self,
        request: Request<EchoAnswerRequest>,
    ) -> Result<Response<AnswerBytes>, Status> {
        let calculation = request.into_inner().calculation.unwrap_or_default();
        let bytes = self
            .answer
            .get_or_try_init(|| async {
                let answer = self
                    .costs
                    .calculate_impact_encoded(Request::new(calculation))
                    .await?
                    .into_inner();
                Ok::<_, Status>(answer.bytes().clone())
            })
            .await?;
        Ok(Response::new(AnswerBytes::new(bytes.clone())))
    }
}

/// A `tariff.v1.CalculateImpactResponse` already encoded (the type `build.rs` maps
/// `EchoAnswerResponse` to, named as what its bytes are): encoding copies its bytes, decoding
/// (by a client of the benchmark) keeps them, to be decoded as the response type.
pub(crate) type AnswerBytes = Encoded<crate::pb::CalculateImpactResponse>;
