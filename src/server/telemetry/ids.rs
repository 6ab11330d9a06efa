//! A call's request id and its place in a distributed trace.
//!
//! The request id is the caller's `x-request-id` when it is a plain token (letters, digits,
//! `-`, `_`, `.`, `:`, at most 64 bytes), so one id follows a call through the caller's systems
//! and ours; anything else is replaced by a new random id rather than logged. The parent is
//! taken from a W3C `traceparent` (and `tracestate`) header with the OpenTelemetry propagator;
//! the span's trace id is logged whether or not spans are exported.

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Longest caller-given request id kept.
const MAX_REQUEST_ID: usize = 64;

/// The caller's request id if it is a plain token, else a new one.
pub fn request_id(headers: &http::HeaderMap) -> String {
    headers
        .get(super::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_token(v))
        .map_or_else(new_request_id, str::to_string)
}

fn is_token(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= MAX_REQUEST_ID
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// 32 hex digits, unique within the process (a counter) and unpredictable across processes
/// (hashed with the standard library's per-process random keys).
fn new_request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static KEYS: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    let keys = KEYS.get_or_init(Default::default);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let half = |salt: u64| {
        let mut h = keys.build_hasher();
        h.write_u64(n);
        h.write_u64(salt);
        h.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
}

/// Reads trace headers from an HTTP header map.
struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    // Required by the trait; the W3C propagator reads its two headers by name and never lists
    // them (so a mutation of this body is equivalent: docs/mutants.md).
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// The span of one call: named for its method, a child of the caller's `traceparent`.
pub fn call_span(rpc: &'static str, request_id: &str, headers: &http::HeaderMap) -> Span {
    let span = tracing::info_span!(
        "rpc",
        otel.name = rpc,
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.method = rpc,
        request_id,
        trace_id = tracing::field::Empty,
        code = tracing::field::Empty,
        rpc.grpc.status_code = tracing::field::Empty,
    );
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    let remote = parent.span().span_context().clone();
    if remote.is_valid() {
        // Without an exporter this does nothing; the trace id is still logged below.
        let _ = span.set_parent(parent);
    }
    let own = span.context().span().span_context().trace_id();
    let trace_id = if own != opentelemetry::trace::TraceId::INVALID {
        own
    } else {
        remote.trace_id()
    };
    if trace_id != opentelemetry::trace::TraceId::INVALID {
        span.record("trace_id", tracing::field::display(trace_id));
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_plain_caller_id_is_kept_and_anything_else_replaced() {
        assert_eq!(
            request_id(&headers(&[("x-request-id", "order-42:line.7_a")])),
            "order-42:line.7_a"
        );
        for bad in ["has space", "semi;colon", "", &"x".repeat(65)] {
            let id = request_id(&headers(&[("x-request-id", bad)]));
            assert_ne!(id, bad);
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_eq!(
            request_id(&headers(&[("x-request-id", &"x".repeat(64))])).len(),
            64
        );
    }

    /// What a plain log subscriber writes for one event inside `span_for(headers)`.
    fn logged_in_span(headers: &http::HeaderMap) -> String {
        use std::sync::{Arc, Mutex};
        #[derive(Clone)]
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink(Arc::default());
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = call_span(
                "tariff.v1.CostImpactService/CalculateImpact",
                "id-1",
                headers,
            );
            span.in_scope(|| tracing::info!("inside"));
        });
        String::from_utf8(sink.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn the_callers_trace_id_is_logged_without_an_exporter() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let log = logged_in_span(&headers(&[("traceparent", parent)]));
        assert!(
            log.contains("trace_id=4bf92f3577b34da6a3ce929d0e0e4736"),
            "{log}"
        );
        assert!(log.contains("request_id=\"id-1\""), "{log}");
        // No parent (or a malformed one): no trace id to log.
        for h in [headers(&[]), headers(&[("traceparent", "00-zz-yy-01")])] {
            let log = logged_in_span(&h);
            assert!(log.contains("inside") && !log.contains("trace_id"), "{log}");
        }
    }

    #[test]
    fn new_ids_differ() {
        let a = request_id(&http::HeaderMap::new());
        let b = request_id(&http::HeaderMap::new());
        assert_ne!(a, b);
    }
}
