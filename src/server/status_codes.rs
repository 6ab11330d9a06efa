//! Corrects two codes tonic's server stack chooses for limits it enforces itself, so clients
//! see the canonical gRPC codes: a request message over the size limit (tonic: OUT_OF_RANGE)
//! becomes RESOURCE_EXHAUSTED, and a call cut at its `grpc-timeout` (tonic: CANCELLED,
//! "Timeout expired") becomes DEADLINE_EXCEEDED. The handlers never answer OUT_OF_RANGE or
//! CANCELLED themselves, and only these two messages are rewritten.

use http::{HeaderValue, Response};

/// Rewrites the status of a trailers-only response from one of those two limits.
pub fn remap<B>(mut resp: Response<B>) -> Response<B> {
    let headers = resp.headers();
    let message = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .unwrap_or_default();
    let code = match headers.get("grpc-status").and_then(|s| s.to_str().ok()) {
        Some("11") if message.contains("too%20large") || message.contains("too large") => "8",
        Some("1")
            if message.contains("Timeout%20expired") || message.contains("Timeout expired") =>
        {
            "4"
        }
        _ => return resp,
    };
    resp.headers_mut()
        .insert("grpc-status", HeaderValue::from_static(code));
    resp
}
