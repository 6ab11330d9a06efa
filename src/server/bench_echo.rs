//! The benchmark-only echo service: decodes a calculation request and sends it back, so load
//! tests can measure the server stack (HTTP/2, protobuf, layers) without the calculation.
//! Registered only with `serve --bench-echo`.

use crate::pb::bench::echo_service_server::EchoService;
use crate::pb::bench::{EchoRequest, EchoResponse};
use tonic::{Request, Response, Status};

/// Echoes each request's calculation.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Echo;

#[tonic::async_trait]
impl EchoService for Echo {
    async fn echo(&self, request: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        Ok(Response::new(EchoResponse {
            calculation: request.into_inner().calculation,
        }))
    }
}
