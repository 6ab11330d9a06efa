//! Spans exported over OTLP/gRPC to a real receiver: a test server implementing the OTLP
//! trace service from the published `opentelemetry-proto` definitions. A call carrying a W3C
//! `traceparent` yields a server span in that trace, child of the caller's span, named for its
//! method, with the request id and status code, and child spans for validation and the
//! calculation; no span carries the request's contents.

use crate::replica::{EVENTUALLY, Replica, ev_request};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the receiver got: every export request, as sent.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

impl Receiver {
    async fn start(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let service = TraceServiceServer::new(self.clone());
        tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
                .await
                .unwrap();
        });
        addr
    }

    fn spans(&self) -> Vec<Span> {
        let exports = self.0.lock().unwrap();
        exports
            .iter()
            .flat_map(|e| &e.resource_spans)
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| s.spans.iter().cloned())
            .collect()
    }

    fn service_names(&self) -> Vec<String> {
        let exports = self.0.lock().unwrap();
        exports
            .iter()
            .flat_map(|e| &e.resource_spans)
            .filter_map(|r| r.resource.as_ref())
            .flat_map(|r| &r.attributes)
            .filter(|a| a.key == "service.name")
            .filter_map(|a| string(a.value.as_ref()?.value.as_ref()?))
            .collect()
    }
}

fn string(v: &Value) -> Option<String> {
    match v {
        Value::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

fn attribute(span: &Span, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref()?.value.clone())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

#[tokio::test]
async fn a_call_is_a_span_of_the_callers_trace_exported_over_otlp() {
    let receiver = Receiver::default();
    let collector = receiver.start().await;
    let replica = Replica::start_with_env(
        &["--otlp-endpoint", &format!("http://{collector}")],
        // Export every 50 ms rather than every 5 s: the test waits for the spans either way.
        &[("OTEL_BSP_SCHEDULE_DELAY", "50")],
    );
    let mut call = tonic::Request::new(ev_request());
    let traceparent = format!("00-{TRACE}-{PARENT}-01");
    call.metadata_mut()
        .insert("traceparent", traceparent.parse().unwrap());
    call.metadata_mut()
        .insert("x-request-id", "trace-check-1".parse().unwrap());
    let answer = replica.costs().await.calculate_impact(call).await.unwrap();
    assert_eq!(
        answer.metadata().get("x-request-id").unwrap(),
        "trace-check-1"
    );

    let started = Instant::now();
    let spans = loop {
        let spans: Vec<Span> = receiver
            .spans()
            .into_iter()
            .filter(|s| hex(&s.trace_id) == TRACE)
            .collect();
        if spans.len() >= 3 {
            break spans;
        }
        assert!(
            started.elapsed() < EVENTUALLY,
            "spans of the trace: {spans:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let call = spans
        .iter()
        .find(|s| s.name == "tariff.v1.CostImpactService/CalculateImpact")
        .unwrap_or_else(|| panic!("no call span in {spans:?}"));
    assert_eq!(call.kind, SpanKind::Server as i32);
    assert_eq!(
        hex(&call.parent_span_id),
        PARENT,
        "a child of the caller's span"
    );
    assert_eq!(
        attribute(call, "request_id")
            .and_then(|v| string(&v))
            .as_deref(),
        Some("trace-check-1")
    );
    assert_eq!(
        attribute(call, "rpc.grpc.status_code"),
        Some(Value::IntValue(0))
    );
    assert_eq!(
        attribute(call, "code").and_then(|v| string(&v)).as_deref(),
        Some("OK")
    );
    for child in ["validate", "calculate"] {
        let span = spans
            .iter()
            .find(|s| s.name == child)
            .unwrap_or_else(|| panic!("no {child} span in {spans:?}"));
        assert_eq!(
            span.parent_span_id, call.span_id,
            "{child} is a child of the call"
        );
    }
    assert!(
        receiver
            .service_names()
            .iter()
            .any(|n| n == "tariff-impact")
    );
    // Contents stay out: no attribute names the BOM, its decks, or a price.
    let everything = format!("{:?}", receiver.spans());
    for content in ["ev-high-ree", "ree-post-restriction", "us-2026", "nd-oxide"] {
        assert!(!everything.contains(content), "{content} in the spans");
    }
}

#[test]
fn the_json_gateway_carries_the_request_id_both_ways_and_names_the_replica() {
    use std::io::{Read, Write};
    let replica = Replica::start(&["--instance-id", "replica-7"]);
    let mut stream = std::net::TcpStream::connect(&replica.addr).unwrap();
    stream.set_read_timeout(Some(EVENTUALLY)).unwrap();
    write!(
        stream,
        "GET /v1/boms HTTP/1.1\r\nHost: x\r\nx-request-id: gateway-check-9\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let head = answer
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("x-request-id: gateway-check-9"), "{head}");
    assert!(head.contains("x-tariff-instance: replica-7"), "{head}");
    // The gRPC call the gateway made is logged under the caller's id.
    let log = replica.wait_for_log("request_id=\"gateway-check-9\"");
    assert!(log.contains("tariff.v1.CatalogService/ListBoms"), "{log}");
}
