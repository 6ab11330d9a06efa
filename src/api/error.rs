//! The one error type of the API and its one mapping to gRPC: every way a call can fail is a
//! variant of [`ApiError`], and [`ApiError::code`] is an exhaustive match, so adding a kind
//! of failure forces a decision about its code. Unary calls turn an error into a `Status`
//! with rich details; batch items carry the same code, message and violations in their
//! response instead of ending the stream.
//!
//! Error details are bounded: a request can be wrong in thousands of fields, with values of
//! a megabyte, and a client must still receive the real status rather than a transport
//! error about oversized trailers. At most [`MAX_VIOLATIONS`] violations are returned (the
//! message says how many were left out), each field path and description is clipped, and
//! the encoded details stay under [`MAX_DETAILS_BYTES`].

use crate::engine::{InputError, Stopped};
use std::time::Duration;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, PreconditionViolation, StatusExt};

/// Most field violations returned in one status or batch error.
pub(crate) const MAX_VIOLATIONS: usize = 20;
/// Most bytes of a description in a returned violation (descriptions quote input values).
const MAX_VIOLATION_TEXT: usize = 128;
/// Most bytes of a field path: paths are built from field names and indices, bounded by the
/// nesting limits (a path through 100 nested messages is about 1.2 KiB), so this only guards.
const MAX_FIELD_PATH: usize = 2048;
/// Most bytes of the encoded `grpc-status-details-bin` of one status (before its base64
/// encoding in the trailers): with the message, the trailers stay well under the 8 KiB of
/// metadata that gRPC's C core (Python, Ruby, C++ clients) accepts by default.
pub(crate) const MAX_DETAILS_BYTES: usize = 4 * 1024;
/// Most bytes of a status message.
const MAX_MESSAGE: usize = 1024;

/// A budget a request is measured against before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Units of work of one call.
    Work,
    /// Memory one call may hold.
    Memory,
    /// Bytes of one response message.
    Response,
    /// Memory a request message may take once decoded, relative to its size.
    Decoding,
}

impl Budget {
    /// The UPPER_SNAKE reason carried in `google.rpc.ErrorInfo`.
    pub fn reason(self) -> &'static str {
        match self {
            Budget::Work => "WORK_BUDGET_EXCEEDED",
            Budget::Memory => "MEMORY_BUDGET_EXCEEDED",
            Budget::Response => "RESPONSE_TOO_LARGE",
            Budget::Decoding => "DECODED_SIZE_EXCEEDED",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Budget::Work => "units of work",
            Budget::Memory => "bytes of memory",
            Budget::Response => "bytes of response",
            Budget::Decoding => "bytes once decoded",
        }
    }
}

/// A shared resource of the server that was fully in use when a call arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Calls in flight on the tariff services.
    Calls,
    /// Calls in flight with a large message.
    LargeCalls,
    /// Open `CalculateBatch` streams.
    BatchStreams,
    /// Calculations running on the worker pool.
    Calculations,
    /// The memory the server lends to calls.
    Memory,
}

impl Resource {
    fn what(self) -> &'static str {
        match self {
            Resource::Calls => "concurrent calls",
            Resource::LargeCalls => "concurrent calls with a message over 16 KiB",
            Resource::BatchStreams => "open batch streams",
            Resource::Calculations => "concurrent heavy calculations",
            Resource::Memory => "bytes of calculation memory",
        }
    }
}

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
    /// The request would cost more than a budget allows: RESOURCE_EXHAUSTED with a
    /// `google.rpc.ErrorInfo`; retrying the same request will not help.
    OverBudget {
        /// Which budget.
        budget: Budget,
        /// What the request would take (or took, for a response).
        estimate: u64,
        /// The budget.
        limit: u64,
        /// The server flag that sets the budget.
        flag: &'static str,
        /// What the caller can do instead.
        hint: &'static str,
    },
    /// A shared resource of the server is fully in use: RESOURCE_EXHAUSTED with a
    /// `google.rpc.RetryInfo`; retry with backoff.
    Overloaded {
        /// Which resource.
        resource: Resource,
        /// Its limit.
        limit: u64,
        /// The server flag that sets it.
        flag: &'static str,
    },
    /// The work was stopped before it finished.
    Stopped(Stopped),
    /// The call's deadline passed before the work reported back (the work is told to stop).
    DeadlineExceeded {
        /// The deadline that applied.
        deadline: Duration,
    },
    /// A request message that is not valid protobuf for its type (bad wire type, invalid
    /// UTF-8, nesting too deep): INVALID_ARGUMENT with a `google.rpc.BadRequest` naming the
    /// field, found before the message was decoded.
    Malformed(crate::wire::Violation),
    /// A batch stream that sent no request, or read no response, for its idle timeout:
    /// DEADLINE_EXCEEDED, ending the stream.
    StreamIdle {
        /// The idle timeout.
        timeout: Duration,
    },
    /// A batch's running total left the decimal range: OUT_OF_RANGE, ending the stream (the
    /// items so far were answered).
    TotalOverflow,
    /// The request asked for full coverage (`require_coverage`) and a schedule does not
    /// cover some dutied imports: FAILED_PRECONDITION with a `google.rpc.PreconditionFailure`
    /// listing each as (import field path, what is missing).
    NotCovered(Vec<(String, String)>),
    /// A catalog write's precondition failed: ALREADY_EXISTS when the id is taken (by a
    /// preset or a live saved object), ABORTED when the etag is not the latest version's
    /// (AIP-154: re-read, re-apply, retry). The message names the current etag.
    CatalogConflict {
        /// What happened, for a human.
        message: String,
        /// True for a stale etag (ABORTED), false for a taken id (ALREADY_EXISTS).
        stale: bool,
    },
    /// A write to a server that keeps no catalog store: FAILED_PRECONDITION.
    NoCatalogStore,
    /// A delete of a preset, which is read-only: FAILED_PRECONDITION.
    ReadOnlyPreset(String),
    /// The catalog is at its object limit or the object is over its size limit:
    /// RESOURCE_EXHAUSTED.
    CatalogFull(String),
    /// The catalog database failed or could not be reached: UNAVAILABLE, retry.
    StoreUnavailable,
    /// A bug: the calculation panicked or produced what cannot be represented. INTERNAL, for
    /// this call alone.
    Internal,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code_name(), self.message())
    }
}

impl std::error::Error for ApiError {}

/// One field violation as returned to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Field path.
    pub field: String,
    /// UPPER_SNAKE reason.
    pub reason: &'static str,
    /// A sentence for a human.
    pub description: String,
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

impl From<Stopped> for ApiError {
    fn from(s: Stopped) -> Self {
        ApiError::Stopped(s)
    }
}

/// `s` cut to at most `max` bytes on a character boundary, with "..." when cut.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

impl ApiError {
    /// The gRPC code: the one place that decides it.
    pub fn code(&self) -> Code {
        match self {
            ApiError::InvalidArgument(_) | ApiError::Malformed(_) => Code::InvalidArgument,
            ApiError::NotFound { .. } => Code::NotFound,
            ApiError::OverBudget { .. } | ApiError::Overloaded { .. } => Code::ResourceExhausted,
            ApiError::Stopped(Stopped::OverBudget { .. }) => Code::ResourceExhausted,
            ApiError::Stopped(Stopped::Deadline) | ApiError::DeadlineExceeded { .. } => {
                Code::DeadlineExceeded
            }
            ApiError::Stopped(Stopped::Cancelled) => Code::Cancelled,
            ApiError::Stopped(Stopped::ShuttingDown) => Code::Unavailable,
            ApiError::StreamIdle { .. } => Code::DeadlineExceeded,
            ApiError::TotalOverflow => Code::OutOfRange,
            ApiError::NotCovered(_) | ApiError::NoCatalogStore | ApiError::ReadOnlyPreset(_) => {
                Code::FailedPrecondition
            }
            ApiError::CatalogConflict { stale: true, .. } => Code::Aborted,
            ApiError::CatalogConflict { stale: false, .. } => Code::AlreadyExists,
            ApiError::CatalogFull(_) => Code::ResourceExhausted,
            ApiError::StoreUnavailable => Code::Unavailable,
            ApiError::Internal => Code::Internal,
        }
    }

    /// The canonical name of the code, as batch errors carry it.
    pub fn code_name(&self) -> &'static str {
        code_name(self.code())
    }

    /// The status message, at most about a kilobyte: the first violation and how many more
    /// there are, or what limit was hit and how to change it.
    pub fn message(&self) -> String {
        let m = match self {
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
            } => format!(
                "{field}: no {kind} has id {:?}; {list_rpc} lists them",
                crate::engine::text::clip(id)
            ),
            ApiError::OverBudget {
                budget,
                estimate,
                limit,
                flag,
                hint,
            } => format!(
                "this request would take about {estimate} {what}, over the server's budget of \
                 {limit} ({flag}); {hint}",
                what = budget.what()
            ),
            ApiError::Overloaded {
                resource,
                limit,
                flag,
            } => format!(
                "the server is at its limit of {limit} {} ({flag}); retry with backoff",
                resource.what()
            ),
            ApiError::Stopped(Stopped::Deadline) => {
                "the calculation was stopped at its deadline".to_string()
            }
            ApiError::DeadlineExceeded { deadline } => format!(
                "the calculation did not finish within its deadline of {} ms",
                deadline.as_millis()
            ),
            ApiError::Stopped(Stopped::Cancelled) => "the call was cancelled".to_string(),
            ApiError::Stopped(Stopped::ShuttingDown) => {
                "the server is shutting down; retry on another replica".to_string()
            }
            ApiError::Stopped(Stopped::OverBudget { limit }) => format!(
                "the calculation used more than its budget of {limit} units of work \
                 (--max-call-work); simplify the request or raise the budget"
            ),
            ApiError::Malformed(v) => format!(
                "invalid request: {}: {} ({}); the message is not valid protobuf for its type",
                v.field, v.description, v.reason
            ),
            ApiError::StreamIdle { timeout } => format!(
                "no batch request arrived, or no response was read, for {} s \
                 (--batch-idle-seconds); the stream is closed",
                timeout.as_secs()
            ),
            ApiError::TotalOverflow => "the batch's fleet total exceeds the 28-digit decimal \
                                        range; the stream is closed"
                .to_string(),
            ApiError::NotCovered(gaps) => match gaps.first() {
                Some((field, first)) => format!(
                    "require_coverage: {} coverage gap(s) not acknowledged, e.g. {field}: {first}",
                    gaps.len()
                ),
                None => "require_coverage: a dutied import is not covered".to_string(),
            },
            ApiError::CatalogConflict { message, .. }
            | ApiError::CatalogFull(message)
            | ApiError::ReadOnlyPreset(message) => message.clone(),
            ApiError::NoCatalogStore | ApiError::StoreUnavailable => self.catalog_message(),
            ApiError::Internal => "internal error: the calculation failed unexpectedly".to_string(),
        };
        cut(&m, MAX_MESSAGE)
    }

    /// The message of a catalog failure that carries none of its own.
    fn catalog_message(&self) -> String {
        match self {
            ApiError::NoCatalogStore => "this server keeps no catalog store (it was started \
                                         with --read-only-catalog): saved objects cannot be \
                                         written"
                .to_string(),
            _ => "the catalog database failed or cannot be reached; retry".to_string(),
        }
    }

    /// The field violations returned: at most `MAX_VIOLATIONS`, each clipped; none for
    /// other errors.
    pub fn violations(&self) -> Vec<Violation> {
        match self {
            ApiError::InvalidArgument(errors) => errors
                .iter()
                .take(MAX_VIOLATIONS)
                .map(|e| Violation {
                    field: cut(&e.field.to_string(), MAX_FIELD_PATH),
                    reason: e.reason.as_str(),
                    description: cut(&e.message, MAX_VIOLATION_TEXT),
                })
                .collect(),
            ApiError::Malformed(v) => vec![Violation {
                field: cut(&v.field, MAX_FIELD_PATH),
                reason: v.reason,
                description: cut(&v.description, MAX_VIOLATION_TEXT),
            }],
            _ => Vec::new(),
        }
    }

    /// The rich error details of the status, listing at most `listed` violations.
    fn details(&self, listed: usize) -> ErrorDetails {
        match self {
            ApiError::InvalidArgument(_) | ApiError::Malformed(_) => {
                let total = match self {
                    ApiError::InvalidArgument(errors) => errors.len(),
                    _ => 1,
                };
                let mut violations: Vec<FieldViolation> = self
                    .violations()
                    .into_iter()
                    .take(listed)
                    .map(|v| {
                        let mut fv = FieldViolation::new(v.field, v.description);
                        fv.reason = v.reason.to_string();
                        fv
                    })
                    .collect();
                if total > violations.len() {
                    violations.push(FieldViolation::new(
                        "",
                        format!(
                            "{} more violation(s) not listed; fix these and send again",
                            total - violations.len()
                        ),
                    ));
                }
                ErrorDetails::with_bad_request(violations)
            }
            ApiError::NotFound {
                field,
                kind,
                id,
                list_rpc,
            } => ErrorDetails::with_resource_info(
                *kind,
                crate::engine::text::clip(id),
                "",
                format!("named by {field}; see {list_rpc}"),
            ),
            ApiError::OverBudget {
                budget,
                estimate,
                limit,
                flag,
                ..
            } => ErrorDetails::with_error_info(
                budget.reason(),
                "tariff-impact",
                [
                    ("estimate".to_string(), estimate.to_string()),
                    ("limit".to_string(), limit.to_string()),
                    ("flag".to_string(), flag.to_string()),
                ],
            ),
            ApiError::Overloaded { .. } => {
                ErrorDetails::with_retry_info(Some(Duration::from_millis(100)))
            }
            ApiError::StoreUnavailable => {
                ErrorDetails::with_retry_info(Some(Duration::from_millis(500)))
            }
            ApiError::NotCovered(gaps) => coverage_details(gaps, listed),
            _ => ErrorDetails::new(),
        }
    }
}

/// A `google.rpc.PreconditionFailure` listing at most `listed` coverage gaps.
fn coverage_details(gaps: &[(String, String)], listed: usize) -> ErrorDetails {
    let mut violations: Vec<PreconditionViolation> = gaps
        .iter()
        .take(listed)
        .map(|(subject, description)| {
            PreconditionViolation::new(
                "COVERAGE_GAP",
                cut(subject, MAX_FIELD_PATH),
                cut(description, MAX_VIOLATION_TEXT),
            )
        })
        .collect();
    if gaps.len() > violations.len() {
        violations.push(PreconditionViolation::new(
            "COVERAGE_GAP",
            "",
            format!("{} more gap(s) not listed", gaps.len() - violations.len()),
        ));
    }
    ErrorDetails::with_precondition_failure(violations)
}

/// The canonical UPPER_SNAKE name of a code.
pub(crate) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

impl Budget {
    /// The `budget` label of [`crate::observe::REFUSED`].
    fn label(self) -> &'static str {
        match self {
            Budget::Work => "work",
            Budget::Memory => "memory",
            Budget::Response => "response",
            Budget::Decoding => "decoding",
        }
    }
}

impl Resource {
    /// The `resource` label of [`crate::observe::SHED`].
    fn label(self) -> &'static str {
        match self {
            Resource::Calls => "calls",
            Resource::LargeCalls => "large_calls",
            Resource::BatchStreams => "batch_streams",
            Resource::Calculations => "calculations",
            Resource::Memory => "memory",
        }
    }
}

impl ApiError {
    /// Counts a shed call (or batch item) or one refused by a budget, as it is answered: what
    /// an operator sizes capacity and budgets by.
    pub(crate) fn count(&self) {
        match self {
            ApiError::Overloaded { resource, .. } => {
                metrics::counter!(crate::observe::SHED, "resource" => resource.label())
                    .increment(1);
            }
            ApiError::OverBudget { budget, .. } => {
                metrics::counter!(crate::observe::REFUSED, "budget" => budget.label()).increment(1);
            }
            ApiError::Stopped(Stopped::OverBudget { .. }) => {
                metrics::counter!(crate::observe::REFUSED, "budget" => Budget::Work.label())
                    .increment(1);
            }
            _ => {}
        }
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        e.count();
        // As many violations as fit: the status itself must always arrive.
        let mut listed = MAX_VIOLATIONS;
        loop {
            let status = Status::with_error_details(e.code(), e.message(), e.details(listed));
            if status.details().len() <= MAX_DETAILS_BYTES || listed == 0 {
                return status;
            }
            listed -= 1;
        }
    }
}

/// The canonical code for a status tonic chose for a limit it enforces itself: a request
/// message over the size limit (tonic: OUT_OF_RANGE) is RESOURCE_EXHAUSTED, and a call cut at
/// its `grpc-timeout` (tonic: CANCELLED, "Timeout expired") is DEADLINE_EXCEEDED. `message`
/// may be percent-encoded, as in a `grpc-message` header. The handlers never answer
/// OUT_OF_RANGE or CANCELLED themselves; any other status gets `None`.
pub(crate) fn canonical_code(code: Code, message: &str) -> Option<Code> {
    let has = |text: &str| message.contains(text) || message.contains(&text.replace(' ', "%20"));
    match code {
        Code::OutOfRange if has("too large") => Some(Code::ResourceExhausted),
        Code::Cancelled if has("Timeout expired") => Some(Code::DeadlineExceeded),
        _ => None,
    }
}

/// `status` with its [`canonical_code`], for statuses the API relays itself (batch streams).
pub(crate) fn canonical_status(status: Status) -> Status {
    match canonical_code(status.code(), status.message()) {
        Some(code) => Status::new(code, status.message().to_string()),
        None => status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Reason;

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

    #[test]
    fn details_stay_small_however_many_and_long_the_violations() {
        let huge = "x".repeat(1 << 20);
        let errors: Vec<InputError> = (0..500)
            .map(|i| {
                InputError::new(
                    format!("bom.items[{i}].quantity"),
                    Reason::MalformedDecimal,
                    format!("{huge:?} is not a decimal number"),
                )
            })
            .collect();
        let status = Status::from(ApiError::InvalidArgument(errors));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            status.details().len() <= MAX_DETAILS_BYTES,
            "{}",
            status.details().len()
        );
        assert!(status.message().len() <= MAX_MESSAGE);
        assert!(status.message().ends_with("..."));
        let bad = status.get_details_bad_request().expect("BadRequest kept");
        let listed = bad.field_violations.len() - 1;
        assert!((5..=MAX_VIOLATIONS).contains(&listed), "{listed}");
        assert_eq!(
            bad.field_violations[listed].description,
            format!(
                "{} more violation(s) not listed; fix these and send again",
                500 - listed
            )
        );
        assert_eq!(bad.field_violations[0].field, "bom.items[0].quantity");
        assert!(bad.field_violations[0].description.len() <= MAX_VIOLATION_TEXT);
        // Even one absurd path leaves a status that arrives, with what fits.
        let one =
            ApiError::InvalidArgument(vec![InputError::new(huge.clone(), Reason::Required, "x")]);
        assert!(Status::from(one).details().len() <= MAX_DETAILS_BYTES);
    }

    #[test]
    fn every_failure_has_its_code() {
        let over = ApiError::OverBudget {
            budget: Budget::Work,
            estimate: 9,
            limit: 5,
            flag: "--max-call-work",
            hint: "split the BOM",
        };
        assert_eq!(over.code(), Code::ResourceExhausted);
        assert_eq!(
            over.message(),
            "this request would take about 9 units of work, over the server's budget of 5 \
             (--max-call-work); split the BOM"
        );
        for (e, code) in [
            (ApiError::Stopped(Stopped::Deadline), Code::DeadlineExceeded),
            (ApiError::Stopped(Stopped::Cancelled), Code::Cancelled),
            (ApiError::Stopped(Stopped::ShuttingDown), Code::Unavailable),
            (
                ApiError::Stopped(Stopped::OverBudget { limit: 1 }),
                Code::ResourceExhausted,
            ),
            (ApiError::Internal, Code::Internal),
        ] {
            assert_eq!(e.code(), code, "{e:?}");
            assert_eq!(Status::from(e).code(), code);
        }
    }

    #[test]
    fn catalog_failures_have_their_codes_and_messages() {
        let conflict = |stale| ApiError::CatalogConflict {
            message: "bom \"x\" was changed".into(),
            stale,
        };
        for (e, code, message) in [
            (conflict(true), Code::Aborted, "bom \"x\" was changed"),
            (
                conflict(false),
                Code::AlreadyExists,
                "bom \"x\" was changed",
            ),
            (
                ApiError::ReadOnlyPreset("read-only".into()),
                Code::FailedPrecondition,
                "read-only",
            ),
            (
                ApiError::CatalogFull("full".into()),
                Code::ResourceExhausted,
                "full",
            ),
            (
                ApiError::NoCatalogStore,
                Code::FailedPrecondition,
                "this server keeps no catalog store (it was started with --read-only-catalog): \
                 saved objects cannot be written",
            ),
            (
                ApiError::StoreUnavailable,
                Code::Unavailable,
                "the catalog database failed or cannot be reached; retry",
            ),
        ] {
            assert_eq!(e.message(), message);
            assert_eq!(e.code(), code, "{e:?}");
            let status = Status::from(e);
            assert_eq!((status.code(), status.message()), (code, message));
        }
    }
}
