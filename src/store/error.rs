//! The store's one error type: each variant is a decision the API layer maps to one gRPC code.

use super::Kind;
use std::fmt;

/// Why a write's precondition failed, so the API can answer ALREADY_EXISTS or ABORTED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictReason {
    /// A create named an id that has a live object.
    AlreadyExists,
    /// An update or delete carried an etag that is not the latest version's.
    EtagMismatch,
}

/// What went wrong in the store.
#[derive(Debug)]
pub enum StoreError {
    /// No such object, no such version, or the object is deleted.
    NotFound {
        /// Kind asked for.
        kind: Kind,
        /// Id asked for.
        id: String,
        /// Version asked for (None: the latest).
        version: Option<i64>,
    },
    /// The precondition failed; the client re-reads and retries with `current_etag`.
    Conflict {
        /// Kind written.
        kind: Kind,
        /// Id written.
        id: String,
        /// The latest version's etag.
        current_etag: String,
        /// Which precondition failed.
        reason: ConflictReason,
    },
    /// The body is larger than `StoreLimits::max_body_bytes`.
    TooLarge {
        /// Size of the body in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A create would exceed `StoreLimits::max_objects` live objects.
    TooMany {
        /// The limit.
        limit: usize,
    },
    /// The id is empty, too long, or holds a character the references need (`@`, `/`).
    InvalidId {
        /// The id given.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The page token was not issued by this listing (or was altered).
    InvalidPageToken,
    /// The database failed or could not be reached.
    Database(sqlx::Error),
    /// The schema migrations could not be applied at start-up.
    Migrate(sqlx::migrate::MigrateError),
    /// A row the store cannot read back (an unknown kind): written by a newer version?
    Corrupt(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NotFound { kind, id, version } => match version {
                Some(v) => write!(f, "{kind} {id}@{v} not found"),
                None => write!(f, "{kind} {id} not found"),
            },
            StoreError::Conflict {
                kind,
                id,
                current_etag,
                reason,
            } => {
                let what = match reason {
                    ConflictReason::AlreadyExists => "already exists",
                    ConflictReason::EtagMismatch => "was changed (etag mismatch)",
                };
                write!(f, "{kind} {id} {what}; current etag {current_etag}")
            }
            StoreError::TooLarge { size, limit } => {
                write!(f, "body of {size} bytes exceeds the limit of {limit} bytes")
            }
            StoreError::TooMany { limit } => {
                write!(f, "the catalog already holds its limit of {limit} objects")
            }
            StoreError::InvalidId { id, reason } => write!(f, "invalid id {id:?}: {reason}"),
            StoreError::InvalidPageToken => f.write_str("invalid page token"),
            StoreError::Database(e) => write!(f, "database: {e}"),
            StoreError::Migrate(e) => write!(f, "migrations: {e}"),
            StoreError::Corrupt(m) => write!(f, "unreadable row: {m}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Database(e) => Some(e),
            StoreError::Migrate(e) => Some(e),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}
