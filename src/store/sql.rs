//! The SQL both engines run. One text for both: SQLite accepts PostgreSQL's `$n` parameters,
//! `ON CONFLICT ... DO UPDATE`, `RETURNING` and `TRUE`/`FALSE`, so the engines differ only in
//! locking and notification, which stay in their own files.

use super::rules::Row;
use super::{Kind, Revision, StoreError};

/// The columns of a revision, in [`Row`]'s field order, qualified by the alias `r`.
macro_rules! columns {
    () => {
        "r.seq, r.kind, r.id, r.version, r.etag, r.body, r.as_of_date, r.created_at_ms, r.deleted"
    };
}

/// The latest version of an object, live or tombstone: `$1` kind, `$2` id.
pub(super) const HEAD: &str =
    "SELECT version, etag, deleted FROM catalog_heads WHERE kind = $1 AND id = $2";

/// The number of live objects, for the count limit.
pub(super) const COUNT_LIVE: &str = "SELECT COUNT(*) FROM catalog_heads WHERE deleted = FALSE";

/// A new version: `$1` kind .. `$8` deleted. Returns the row with its `seq`.
/// (RETURNING names bare columns: SQLite refuses qualified names there.)
pub(super) const INSERT_REVISION: &str = "INSERT INTO catalog_revisions \
     (kind, id, version, etag, body, as_of_date, created_at_ms, deleted) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     RETURNING seq, kind, id, version, etag, body, as_of_date, created_at_ms, deleted";

/// Points the head at the new version: `$1` kind, `$2` id, `$3` version, `$4` etag, `$5`
/// deleted.
pub(super) const UPSERT_HEAD: &str = "INSERT INTO catalog_heads (kind, id, version, etag, deleted) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (kind, id) DO UPDATE \
     SET version = excluded.version, etag = excluded.etag, deleted = excluded.deleted";

const GET_LATEST: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM catalog_heads h JOIN catalog_revisions r \
     ON r.kind = h.kind AND r.id = h.id AND r.version = h.version \
     WHERE h.kind = $1 AND h.id = $2 AND h.deleted = FALSE"
);

const GET_VERSION: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM catalog_revisions r \
     WHERE r.kind = $1 AND r.id = $2 AND r.version = $3 AND r.deleted = FALSE"
);

/// The query for a get: `$1` kind, `$2` id, and `$3` the version when one is asked for.
pub(super) fn get(version: Option<i64>) -> &'static str {
    if version.is_some() {
        GET_VERSION
    } else {
        GET_LATEST
    }
}

/// A page of latest live versions: `$1` kind filter (NULL: all), after (`$2` kind, `$3` id),
/// `$4` rows. Spelled without row values so the comparison reads the same in both dialects.
pub(super) const LIST_LATEST: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM catalog_heads h JOIN catalog_revisions r \
     ON r.kind = h.kind AND r.id = h.id AND r.version = h.version \
     WHERE h.deleted = FALSE AND ($1 IS NULL OR h.kind = $1) \
     AND (h.kind > $2 OR (h.kind = $2 AND h.id > $3)) \
     ORDER BY h.kind, h.id LIMIT $4"
);

/// Every version of an object, without its body (a history of large objects must not be read
/// whole to be listed): `$1` kind, `$2` id.
pub(super) const VERSIONS: &str = "SELECT r.seq, r.kind, r.id, r.version, r.etag, '' AS body, \
     r.as_of_date, r.created_at_ms, r.deleted \
     FROM catalog_revisions r WHERE r.kind = $1 AND r.id = $2 ORDER BY r.version";

/// Revisions after `$1` seq, at most `$2`.
pub(super) const CHANGES_SINCE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM catalog_revisions r WHERE r.seq > $1 ORDER BY r.seq LIMIT $2"
);

/// The revision read by a get, or NotFound.
pub(super) fn found(
    row: Option<Row>,
    kind: Kind,
    id: &str,
    version: Option<i64>,
) -> Result<Revision, StoreError> {
    let row = row.ok_or_else(|| StoreError::NotFound {
        kind,
        id: id.to_string(),
        version,
    })?;
    Revision::try_from(row)
}

/// The versions of an object, or NotFound when it never existed.
pub(super) fn any_found(
    revisions: Vec<Revision>,
    kind: Kind,
    id: &str,
) -> Result<Vec<Revision>, StoreError> {
    if revisions.is_empty() {
        return Err(StoreError::NotFound {
            kind,
            id: id.to_string(),
            version: None,
        });
    }
    Ok(revisions)
}
