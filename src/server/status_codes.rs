//! Gives responses the canonical codes for limits tonic's server stack enforces itself (see
//! [`crate::api::error::canonical_code`]): this layer rewrites the trailers-only responses
//! of unary calls; batch streams relay their statuses through the same function.

use crate::api::error::canonical_code;
use http::{HeaderValue, Response};

/// Rewrites the status of a trailers-only response from one of those limits.
pub(crate) fn remap<B>(mut resp: Response<B>) -> Response<B> {
    let headers = resp.headers();
    let code = headers
        .get("grpc-status")
        .and_then(|s| s.to_str().ok())
        .and_then(|s| s.parse::<i32>().ok())
        .map(tonic::Code::from_i32);
    let message = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .unwrap_or_default();
    if let Some(canonical) = code.and_then(|c| canonical_code(c, message)) {
        resp.headers_mut()
            .insert("grpc-status", HeaderValue::from(canonical as i32));
    }
    resp
}
