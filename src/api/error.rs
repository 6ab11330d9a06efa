//! The API's error type and its single mapping to gRPC status codes with rich details, so
//! adding a kind of failure forces a decision about its code. Batch items use the same code,
//! message and violations, carried in their response instead of ending the stream.

use crate::engine::InputError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// Most field violations returned in one status, to bound the error's size.
const MAX_VIOLATIONS: usize = 100;

/// Why a call failed.
#[derive(Debug)]
pub enum ApiError {
    /// Invalid request fields: INVALID_ARGUMENT with a `google.rpc.BadRequest`.
    InvalidArgument(Vec<InputError>),
    /// A preset id that the catalog does not hold: NOT_FOUND with a `google.rpc.ResourceInfo`.
    NotFound {
        /// Request field that named it, e.g. `baseline_prices_id`.
        field: String,
        /// Kind of preset, e.g. "price deck".
        kind: &'static str,
        /// The id asked for.
        id: String,
        /// The RPC that lists the valid ids.
        list_rpc: &'static str,
    },
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> Self {
        ApiError::InvalidArgument(vec![e])
    }
}

impl From<Vec<InputError>> for ApiError {
    fn from(e: Vec<InputError>) -> Self {
        ApiError::InvalidArgument(e)
    }
}

impl ApiError {
    /// The gRPC code.
    pub fn code(&self) -> Code {
        match self {
            ApiError::InvalidArgument(_) => Code::InvalidArgument,
            ApiError::NotFound { .. } => Code::NotFound,
        }
    }

    /// The canonical name of the code, as batch errors carry it.
    pub fn code_name(&self) -> &'static str {
        match self {
            ApiError::InvalidArgument(_) => "INVALID_ARGUMENT",
            ApiError::NotFound { .. } => "NOT_FOUND",
        }
    }

    /// The status message: the first violation, and how many more there are.
    pub fn message(&self) -> String {
        match self {
            ApiError::InvalidArgument(errors) => match errors.first() {
                Some(first) if errors.len() == 1 => format!("invalid request: {first}"),
                Some(first) => format!(
                    "invalid request: {first}; and {} more violation(s)",
                    errors.len() - 1
                ),
                None => "invalid request".to_string(),
            },
            ApiError::NotFound {
                field,
                kind,
                id,
                list_rpc,
            } => format!("{field}: no built-in {kind} has id {id:?}; {list_rpc} lists them"),
        }
    }

    /// The field violations (at most [`MAX_VIOLATIONS`]); none for NOT_FOUND.
    pub fn violations(&self) -> &[InputError] {
        match self {
            ApiError::InvalidArgument(errors) => &errors[..errors.len().min(MAX_VIOLATIONS)],
            ApiError::NotFound { .. } => &[],
        }
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        let (code, message) = (e.code(), e.message());
        let details = match &e {
            ApiError::InvalidArgument(_) => ErrorDetails::with_bad_request(
                e.violations()
                    .iter()
                    .map(|v| {
                        let mut fv = FieldViolation::new(v.field.clone(), v.message.clone());
                        fv.reason = v.reason.as_str().to_string();
                        fv
                    })
                    .collect::<Vec<_>>(),
            ),
            ApiError::NotFound {
                field,
                kind,
                id,
                list_rpc,
            } => ErrorDetails::with_resource_info(
                *kind,
                id.clone(),
                "",
                format!("named by {field}; see {list_rpc}"),
            ),
        };
        Status::with_error_details(code, message, details)
    }
}

/// The canonical code for a status tonic chose for a limit it enforces itself: a request
/// message over the size limit (tonic: OUT_OF_RANGE) is RESOURCE_EXHAUSTED, and a call cut at
/// its `grpc-timeout` (tonic: CANCELLED, "Timeout expired") is DEADLINE_EXCEEDED. `message`
/// may be percent-encoded, as in a `grpc-message` header. The handlers never answer
/// OUT_OF_RANGE or CANCELLED themselves; any other status gets `None`.
pub fn canonical_code(code: Code, message: &str) -> Option<Code> {
    let has = |text: &str| message.contains(text) || message.contains(&text.replace(' ', "%20"));
    match code {
        Code::OutOfRange if has("too large") => Some(Code::ResourceExhausted),
        Code::Cancelled if has("Timeout expired") => Some(Code::DeadlineExceeded),
        _ => None,
    }
}

/// `status` with its [`canonical_code`], for statuses the API relays itself (batch streams).
pub fn canonical_status(status: Status) -> Status {
    match canonical_code(status.code(), status.message()) {
        Some(code) => Status::new(code, status.message().to_string()),
        None => status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tonic_limit_statuses_get_canonical_codes_in_either_encoding() {
        let too_large =
            "Error, decoded message length too large: found 5 bytes, the limit is: 4 bytes";
        assert_eq!(
            canonical_code(Code::OutOfRange, too_large),
            Some(Code::ResourceExhausted)
        );
        assert_eq!(
            canonical_code(Code::OutOfRange, &too_large.replace(' ', "%20")),
            Some(Code::ResourceExhausted)
        );
        assert_eq!(
            canonical_code(Code::Cancelled, "Timeout%20expired"),
            Some(Code::DeadlineExceeded)
        );
        assert_eq!(canonical_code(Code::OutOfRange, "something else"), None);
        assert_eq!(canonical_code(Code::InvalidArgument, too_large), None);
        assert_eq!(
            canonical_status(Status::cancelled("Timeout expired")).code(),
            Code::DeadlineExceeded
        );
    }
}
