//! The benchmark-only echo service: decodes a calculation request and sends it back, so load
//! tests can measure the server stack (HTTP/2, protobuf, layers) without the calculation; and
//! `EchoAnswer`, which sends back CalculateImpact's answer encoded once, so the calculation
//! path is compared with an echo of exactly its own bytes in and out. Registered only with
//! `serve --bench-echo`.

use crate::api::CostImpactApi;
use crate::pb::bench::echo_service_server::EchoService;
use crate::pb::bench::{EchoAnswerRequest, EchoRequest, EchoResponse};
use crate::pb::cost_impact_service_server::CostImpactService;
use bytes::{Buf, BufMut, Bytes};
use prost::Message;
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
                    .calculate_impact(Request::new(calculation))
                    .await?
                    .into_inner();
                Ok::<_, Status>(Bytes::from(answer.encode_to_vec()))
            })
            .await?;
        Ok(Response::new(AnswerBytes(bytes.clone())))
    }
}

/// A `tariff.v1.CalculateImpactResponse` already encoded: encoding copies its bytes, decoding
/// (by a client of the benchmark) keeps them, to be decoded as the response type.
#[derive(Clone, Default, PartialEq)]
pub struct AnswerBytes(pub Bytes);

impl std::fmt::Debug for AnswerBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AnswerBytes({} bytes)", self.0.len())
    }
}

impl Message for AnswerBytes {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.0);
    }

    fn merge(&mut self, mut buf: impl Buf) -> Result<(), prost::DecodeError> {
        let n = buf.remaining();
        self.0 = buf.copy_to_bytes(n);
        Ok(())
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: prost::encoding::WireType,
        buf: &mut impl Buf,
        ctx: prost::encoding::DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        prost::encoding::skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        self.0.len()
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

impl prost::Name for AnswerBytes {
    const NAME: &'static str = "EchoAnswerResponse";
    const PACKAGE: &'static str = "tariff.bench.v1";
}
