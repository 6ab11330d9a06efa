//! What operators see of each call: one span, one log line, and the metrics, written in one
//! place for every protocol. The layer sits below the JSON gateway and gRPC-Web (so a call
//! is seen as the gRPC call it became, with its canonical status) and above admission (so a
//! call shed before decoding is counted too).
//!
//! Per call: a request id (the caller's `x-request-id` when it is a plain token, else a new
//! one), the W3C `traceparent` parent, the method (only methods the server serves; any other
//! path is `unknown`, so a caller cannot grow the label set), the status code, and the
//! duration to the end of the response body (a stream's whole life). Nothing of the request's
//! contents: ids, prices and BOMs stay out of spans, labels and this log line
//! (see [`crate::observe`] for the operator's opt-in).

pub mod admin;
pub mod ids;
pub mod recorder;
pub mod subscriber;

use crate::api::error::code_name;
use http::{HeaderValue, Request, Response};
use http_body::{Body, Frame};
use std::collections::HashSet;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;
use tonic::Code;
use tracing::Span;

/// The response header naming the call's request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// The response header naming the replica that answered (`--instance-id`): which pod a load
/// balancer sent the call to, and what the scale-out batch client reconciles by.
pub const INSTANCE_HEADER: &str = "x-tariff-instance";
/// Request headers the JSON gateway carries over into the gRPC call it makes.
pub const PROPAGATED_HEADERS: [&str; 3] = [REQUEST_ID_HEADER, "traceparent", "tracestate"];

/// Adds [`Telemetry`] around a service.
#[derive(Debug, Clone)]
pub struct TelemetryLayer {
    instance: HeaderValue,
}

impl TelemetryLayer {
    /// Telemetry naming this replica `instance` in every response.
    pub fn new(instance: &str) -> Self {
        TelemetryLayer {
            instance: HeaderValue::from_str(instance)
                .unwrap_or_else(|_| HeaderValue::from_static("invalid-instance-id")),
        }
    }
}

impl<S> tower::Layer<S> for TelemetryLayer {
    type Service = Telemetry<S>;
    fn layer(&self, inner: S) -> Telemetry<S> {
        Telemetry {
            inner,
            instance: self.instance.clone(),
        }
    }
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct Telemetry<S> {
    inner: S,
    instance: HeaderValue,
}

/// The methods this server serves, as `package.Service/Method`: the only values the `rpc`
/// label takes besides `unknown`.
fn known_methods() -> &'static HashSet<String> {
    static METHODS: OnceLock<HashSet<String>> = OnceLock::new();
    METHODS.get_or_init(|| {
        let sets: [&[u8]; 5] = [
            crate::pb::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
            crate::pb::bench::FILE_DESCRIPTOR_SET,
        ];
        let mut methods = HashSet::new();
        for bytes in sets {
            let Ok(set) = <prost_types::FileDescriptorSet as prost::Message>::decode(bytes) else {
                continue;
            };
            for file in set.file {
                for service in &file.service {
                    for method in &service.method {
                        methods.insert(format!(
                            "{}.{}/{}",
                            file.package(),
                            service.name(),
                            method.name()
                        ));
                    }
                }
            }
        }
        methods
    })
}

/// The `rpc` label of a request path.
pub(crate) fn rpc_label(path: &str) -> &'static str {
    let name = path.strip_prefix('/').unwrap_or(path);
    match known_methods().get(name) {
        Some(m) => m.as_str(),
        None => "unknown",
    }
}

impl<S, B> tower::Service<Request<B>> for Telemetry<S>
where
    S: tower::Service<Request<B>, Response = Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let rpc = rpc_label(req.uri().path());
        let request_id = ids::request_id(req.headers());
        let span = ids::call_span(rpc, &request_id, req.headers());
        // The id the handlers and a client see is the one in the span.
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            req.headers_mut().insert(REQUEST_ID_HEADER, v);
        }
        let mut call = Call::start(rpc, span.clone());
        let instance = self.instance.clone();
        let fut = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        Box::pin(async move {
            let mut resp = tracing::Instrument::instrument(fut, span).await?;
            call.code = status_of(resp.headers());
            let headers = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                headers.insert(REQUEST_ID_HEADER, v);
            }
            headers.insert(INSTANCE_HEADER, instance);
            Ok(resp.map(|body| tonic::body::Body::new(Observed { inner: body, call })))
        })
    }
}

/// The `grpc-status` of a header map, if it holds one.
fn status_of(headers: &http::HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .and_then(|s| s.to_str().ok())
        .and_then(|s| s.parse::<i32>().ok())
        .map(Code::from_i32)
}

/// One call in flight: counted in when it starts, recorded when its response body ends or is
/// dropped (the client went away: CANCELLED, unless a status was already sent).
struct Call {
    rpc: &'static str,
    started: Instant,
    span: Span,
    code: Option<Code>,
    ended: bool,
}

impl Call {
    fn start(rpc: &'static str, span: Span) -> Self {
        metrics::gauge!(crate::observe::IN_FLIGHT, "rpc" => rpc).increment(1.0);
        Call {
            rpc,
            started: Instant::now(),
            span,
            code: None,
            ended: false,
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        let code = match (self.code, self.ended) {
            (Some(c), _) => c,
            // A body that ended without a status is not a valid gRPC answer.
            (None, true) => Code::Unknown,
            (None, false) => Code::Cancelled,
        };
        let name = code_name(code);
        let seconds = self.started.elapsed().as_secs_f64();
        metrics::gauge!(crate::observe::IN_FLIGHT, "rpc" => self.rpc).decrement(1.0);
        metrics::counter!(crate::observe::REQUESTS, "rpc" => self.rpc, "code" => name).increment(1);
        metrics::histogram!(crate::observe::DURATION, "rpc" => self.rpc).record(seconds);
        self.span.record("rpc.grpc.status_code", code as i64);
        self.span.record("code", name);
        let ms = seconds * 1000.0;
        self.span.in_scope(|| {
            tracing::info!(
                code = name,
                duration_ms = format!("{ms:.3}"),
                "call finished"
            );
        });
    }
}

/// A response body that records its call when it ends.
struct Observed {
    inner: tonic::body::Body,
    call: Call,
}

impl Body for Observed {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(status_of) {
                    self.call.code = Some(code);
                }
            }
            Poll::Ready(None) => self.call.ended = true,
            Poll::Ready(Some(Err(status))) => self.call.code = Some(status.code()),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
