//! What both engines decide alike, kept out of the SQL so the two cannot drift: preconditions,
//! limits, version numbering, etags, page tokens and the change notice's text.

use super::{Change, Expectation, Kind, MAX_PAGE_SIZE, Revision, StoreError, StoreLimits};
use crate::store::error::ConflictReason;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The `catalog_heads` row of one object: its latest version, live or tombstone.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct Head {
    pub(super) version: i64,
    pub(super) etag: String,
    pub(super) deleted: bool,
}

/// One write about to happen: a new version or a tombstone.
#[derive(Debug)]
pub(super) struct Write<'a> {
    pub(super) kind: Kind,
    pub(super) id: &'a str,
    pub(super) body: &'a str,
    pub(super) as_of_date: &'a str,
    pub(super) deleted: bool,
    pub(super) check: Check<'a>,
}

/// The precondition of a write.
#[derive(Debug)]
pub(super) enum Check<'a> {
    Put(&'a Expectation),
    Delete(Option<&'a str>),
}

/// The checks that need no database: the id and the body's size.
pub(super) fn validate(w: &Write<'_>, limits: &StoreLimits) -> Result<(), StoreError> {
    let bad = |reason: &str| StoreError::InvalidId {
        id: w.id.to_string(),
        reason: reason.to_string(),
    };
    if w.id.is_empty() {
        return Err(bad("is empty"));
    }
    if w.id.len() > limits.max_id_bytes {
        return Err(bad(&format!("longer than {} bytes", limits.max_id_bytes)));
    }
    // `@` separates a version in references (`id@3`); `/` separates fields in change notices.
    if w.id.chars().any(|c| c == '@' || c == '/' || c.is_control()) {
        return Err(bad("holds '@', '/' or a control character"));
    }
    if w.body.len() > limits.max_body_bytes {
        return Err(StoreError::TooLarge {
            size: w.body.len(),
            limit: limits.max_body_bytes,
        });
    }
    Ok(())
}

/// Whether the write makes a new live object, so the count limit must be checked (and the
/// engine must count).
pub(super) fn creates_live(w: &Write<'_>, head: Option<&Head>) -> bool {
    !w.deleted && head.is_none_or(|h| h.deleted)
}

/// The version the write gets, or why it may not happen. `live_objects` is the catalog's count
/// of live objects, read only when [`creates_live`] says so.
pub(super) fn next_version(
    w: &Write<'_>,
    head: Option<&Head>,
    live_objects: Option<i64>,
    limits: &StoreLimits,
) -> Result<i64, StoreError> {
    let live = head.filter(|h| !h.deleted);
    let conflict = |h: &Head, reason| StoreError::Conflict {
        kind: w.kind,
        id: w.id.to_string(),
        current_etag: h.etag.clone(),
        reason,
    };
    let not_found = || StoreError::NotFound {
        kind: w.kind,
        id: w.id.to_string(),
        version: None,
    };
    let wanted = match &w.check {
        Check::Put(Expectation::Any) | Check::Delete(None) => None,
        Check::Put(Expectation::MustNotExist) => {
            if let Some(h) = live {
                return Err(conflict(h, ConflictReason::AlreadyExists));
            }
            None
        }
        Check::Put(Expectation::Etag(e)) => Some(e.as_str()),
        Check::Delete(Some(e)) => Some(*e),
    };
    if w.deleted && live.is_none() {
        return Err(not_found());
    }
    if let Some(etag) = wanted {
        let h = live.ok_or_else(not_found)?;
        if h.etag != etag {
            return Err(conflict(h, ConflictReason::EtagMismatch));
        }
    }
    if creates_live(w, head) && live_objects.unwrap_or(0) >= limits.max_objects as i64 {
        return Err(StoreError::TooMany {
            limit: limits.max_objects,
        });
    }
    Ok(head.map_or(1, |h| h.version + 1))
}

/// The etag of a version: a hash of what identifies it, so it is opaque to clients (they cannot
/// forge the next one or parse a version out of it) yet the same on every replica. Stored with
/// the row, so changing this function later does not invalidate etags clients hold.
pub(super) fn etag(kind: Kind, id: &str, version: i64) -> String {
    // FNV-1a (64 bit): stable across Rust releases, unlike `DefaultHasher`.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{kind}/{id}/{version}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Milliseconds since the Unix epoch.
pub(super) fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Rows to fetch for a page: one more than the page, to know whether another follows.
pub(super) fn page_rows(page_size: usize) -> usize {
    match page_size {
        0 => MAX_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    }
}

/// The (kind, id) a page starts after. The token also names the kind filter it was issued
/// for, since AIP-158 forbids changing the other request fields between pages.
pub(super) fn decode_token(
    token: &str,
    filter: Option<Kind>,
) -> Result<(String, String), StoreError> {
    if token.is_empty() {
        return Ok((String::new(), String::new()));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| StoreError::InvalidPageToken)?;
    let [f, kind, id]: [String; 3] =
        serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidPageToken)?;
    if f != filter.map_or("", Kind::as_str) {
        return Err(StoreError::InvalidPageToken);
    }
    Ok((kind, id))
}

/// Splits `rows` (fetched with one extra) into a page and the token for the next one.
pub(super) fn page(mut rows: Vec<Revision>, page_size: usize, filter: Option<Kind>) -> super::Page {
    let size = page_rows(page_size);
    let mut next_page_token = String::new();
    if rows.len() > size {
        rows.truncate(size);
        if let Some(last) = rows.last() {
            let key = [
                filter.map_or("", Kind::as_str),
                last.kind.as_str(),
                &last.id,
            ];
            let json = serde_json::to_vec(&key).unwrap_or_default();
            next_page_token = URL_SAFE_NO_PAD.encode(json);
        }
    }
    super::Page {
        revisions: rows,
        next_page_token,
    }
}

/// The `NOTIFY` payload of a committed write: `<kind>/<id>/<version>`.
pub(super) fn notice(kind: Kind, id: &str, version: i64) -> String {
    format!("{kind}/{id}/{version}")
}

/// Reads a `NOTIFY` payload back; None for one this version does not understand.
pub(super) fn parse_notice(payload: &str) -> Option<Change> {
    let (kind, rest) = payload.split_once('/')?;
    let (id, version) = rest.rsplit_once('/')?;
    Some(Change {
        kind: Kind::parse(kind)?,
        id: id.to_string(),
        version: version.parse().ok()?,
    })
}

/// One `catalog_revisions` row as the databases return it.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct Row {
    seq: i64,
    kind: String,
    id: String,
    version: i64,
    etag: String,
    body: String,
    as_of_date: String,
    created_at_ms: i64,
    deleted: bool,
}

impl TryFrom<Row> for Revision {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Revision, StoreError> {
        let kind = Kind::parse(&r.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown kind {:?}", r.kind)))?;
        Ok(Revision {
            kind,
            id: r.id,
            version: r.version,
            etag: r.etag,
            body: r.body,
            as_of_date: r.as_of_date,
            created_at_ms: r.created_at_ms,
            deleted: r.deleted,
            seq: r.seq,
        })
    }
}

/// Rows to revisions, failing on the first unreadable one.
pub(super) fn revisions(rows: Vec<Row>) -> Result<Vec<Revision>, StoreError> {
    rows.into_iter().map(Revision::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_round_trips_and_an_unknown_one_is_ignored() {
        let c = parse_notice(&notice(Kind::PriceDeck, "steel-q3", 12)).unwrap();
        assert_eq!(
            (c.kind, c.id.as_str(), c.version),
            (Kind::PriceDeck, "steel-q3", 12)
        );
        assert_eq!(parse_notice("widget/x/1"), None);
        assert_eq!(parse_notice("bom/x/one"), None);
    }

    #[test]
    fn etags_differ_by_version_and_are_stable() {
        assert_ne!(etag(Kind::Bom, "a", 1), etag(Kind::Bom, "a", 2));
        assert_eq!(etag(Kind::Bom, "a", 1), etag(Kind::Bom, "a", 1));
        assert_eq!(etag(Kind::Bom, "a", 1).len(), 16);
    }

    #[test]
    fn a_page_token_is_refused_under_another_kind_filter() {
        let rows = (0..3)
            .map(|i| Revision {
                kind: Kind::Bom,
                id: format!("b{i}"),
                version: 1,
                etag: String::new(),
                body: String::new(),
                as_of_date: String::new(),
                created_at_ms: 0,
                deleted: false,
                seq: i,
            })
            .collect();
        let p = page(rows, 2, Some(Kind::Bom));
        assert_eq!(p.revisions.len(), 2);
        let key = decode_token(&p.next_page_token, Some(Kind::Bom)).unwrap();
        assert_eq!(key, ("bom".to_string(), "b1".to_string()));
        assert!(matches!(
            decode_token(&p.next_page_token, None),
            Err(StoreError::InvalidPageToken)
        ));
        assert!(decode_token("not a token", None).is_err());
    }
}
