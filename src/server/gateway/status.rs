//! A gRPC status as an HTTP/JSON error: the HTTP status Google's API conventions map each
//! code to (`google.rpc.Code`), and the body in the JSON form of `google.rpc.Status`, with the
//! details the service attaches (BadRequest field paths, PreconditionFailure gaps, ...) as
//! `@type`-tagged objects, the form grpcurl prints and grpc-gateway returns.

use http::StatusCode;
use prost::Message;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::pb;

/// The HTTP status of gRPC `code` (the mapping of `google/rpc/code.proto`).
pub(super) fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        // 499 Client Closed Request has no constant.
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The JSON form of `google.rpc.Status`, its fields in the message's order.
#[derive(serde::Serialize)]
pub(super) struct StatusJson {
    code: i32,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<Value>,
}

/// The JSON `google.rpc.Status` of `status`, its details decoded.
pub(super) fn body(status: &tonic::Status) -> StatusJson {
    StatusJson {
        code: status.code() as i32,
        message: status.message().to_string(),
        details: pb::Status::decode(status.details())
            .map(|s| s.details.iter().map(detail).collect())
            .unwrap_or_default(),
    }
}

/// One detail in its JSON form; a type this service does not send is shown by its type URL
/// and base64 value, as the proto3 JSON mapping shows an unknown `Any`.
fn detail(any: &prost_types::Any) -> Value {
    let name = any.type_url.rsplit('/').next().unwrap_or_default();
    let v = any.value.as_slice();
    let mut out = match name {
        "google.rpc.BadRequest" => pb::BadRequest::decode(v).ok().map(|d| {
            json!({"fieldViolations": d.field_violations.iter().map(|f| {
                let mut o = json!({"field": f.field, "description": f.description});
                if !f.reason.is_empty() {
                    o["reason"] = json!(f.reason);
                }
                o
            }).collect::<Vec<_>>()})
        }),
        "google.rpc.PreconditionFailure" => pb::PreconditionFailure::decode(v).ok().map(|d| {
            json!({"violations": d.violations.iter().map(|p| {
                json!({"type": p.r#type, "subject": p.subject, "description": p.description})
            }).collect::<Vec<_>>()})
        }),
        "google.rpc.ResourceInfo" => pb::ResourceInfo::decode(v).ok().map(|d| {
            json!({"resourceType": d.resource_type, "resourceName": d.resource_name,
                   "owner": d.owner, "description": d.description})
        }),
        "google.rpc.ErrorInfo" => pb::ErrorInfo::decode(v)
            .ok()
            .map(|d| json!({"reason": d.reason, "domain": d.domain, "metadata": d.metadata})),
        "google.rpc.RetryInfo" => pb::RetryInfo::decode(v).ok().map(|d| {
            let delay = d.retry_delay.unwrap_or_default();
            let nanos = if delay.nanos == 0 {
                String::new()
            } else {
                format!(".{:09}", delay.nanos)
                    .trim_end_matches('0')
                    .to_string()
            };
            json!({"retryDelay": format!("{}{nanos}s", delay.seconds)})
        }),
        _ => None,
    }
    .unwrap_or_else(|| {
        use base64::Engine;
        json!({"value": base64::engine::general_purpose::STANDARD.encode(v)})
    });
    out["@type"] = json!(any.type_url);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, StatusExt};

    #[test]
    fn codes_map_to_the_http_statuses_of_google_rpc_code() {
        assert_eq!(http_status(Code::InvalidArgument), StatusCode::BAD_REQUEST);
        assert_eq!(
            http_status(Code::FailedPrecondition),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(http_status(Code::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(http_status(Code::Unauthenticated), StatusCode::UNAUTHORIZED);
        assert_eq!(
            http_status(Code::ResourceExhausted),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(http_status(Code::Cancelled).as_u16(), 499);
        assert_eq!(
            http_status(Code::DeadlineExceeded),
            StatusCode::GATEWAY_TIMEOUT
        );
        assert_eq!(
            http_status(Code::Unavailable),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            http_status(Code::Internal),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn details_are_shown_in_their_json_form() {
        let mut d =
            ErrorDetails::with_bad_request_violation("bom.items[0].quantity", "not a number");
        d.set_retry_info(Some(std::time::Duration::from_millis(100)));
        let status = tonic::Status::with_error_details(Code::InvalidArgument, "bad", d);
        assert_eq!(
            serde_json::to_value(body(&status)).unwrap(),
            json!({"code": 3, "message": "bad", "details": [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.1s"},
                {"@type": "type.googleapis.com/google.rpc.BadRequest",
                 "fieldViolations": [{"field": "bom.items[0].quantity",
                                      "description": "not a number"}]}]})
        );
        assert_eq!(
            serde_json::to_string(&body(&tonic::Status::not_found("no such BOM"))).unwrap(),
            r#"{"code":5,"message":"no such BOM"}"#
        );
    }
}
