//! The API's error type and its single mapping to gRPC status codes with rich details, so
//! adding a kind of failure forces a decision about its code.

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

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        match e {
            ApiError::InvalidArgument(errors) => {
                let message = match errors.first() {
                    Some(first) if errors.len() == 1 => format!("invalid request: {first}"),
                    Some(first) => format!(
                        "invalid request: {first}; and {} more violation(s)",
                        errors.len() - 1
                    ),
                    None => "invalid request".to_string(),
                };
                let violations: Vec<FieldViolation> = errors
                    .iter()
                    .take(MAX_VIOLATIONS)
                    .map(|e| {
                        let mut v = FieldViolation::new(e.field.clone(), e.message.clone());
                        v.reason = e.reason.as_str().to_string();
                        v
                    })
                    .collect();
                Status::with_error_details(
                    Code::InvalidArgument,
                    message,
                    ErrorDetails::with_bad_request(violations),
                )
            }
            ApiError::NotFound {
                field,
                kind,
                id,
                list_rpc,
            } => Status::with_error_details(
                Code::NotFound,
                format!("{field}: no built-in {kind} has id {id:?}; {list_rpc} lists them"),
                ErrorDetails::with_resource_info(
                    kind,
                    id,
                    "",
                    format!("named by {field}; see {list_rpc}"),
                ),
            ),
        }
    }
}
