//! The saved-catalog RPCs of `CatalogService`: create, update (AIP-154 etags), delete, get
//! (`id@version` too), list (AIP-158 pages, kind and as-of filters) and versions. Objects are
//! validated exactly as inline inputs (on the worker pool: a schedule can be large) before the
//! store sees them; the store's decisions map to one gRPC code each ([`save_error`]).

use super::{ApiError, Context};
use crate::catalog::live::{SaveError, header_of};
use crate::catalog::{Catalogs, Header, Kind, Object, Origin, versioned};
use crate::engine::date::Date;
use crate::engine::{InputError, Reason};
use crate::pb;
use crate::store::{ConflictReason, Expectation, Revision, StoreError};
use std::sync::Arc;

/// Default and largest page of `ListCatalogObjects`.
const PAGE: usize = 100;
const MAX_PAGE: usize = 1000;
/// Tries of an update without an etag that races another write.
const UPDATE_TRIES: usize = 3;

macro_rules! object_of {
    ($module:ident) => {
        impl From<pb::$module::Object> for Object {
            fn from(o: pb::$module::Object) -> Object {
                use pb::$module::Object as O;
                match o {
                    O::Bom(p) => Object::Bom(p),
                    O::PriceDeck(p) => Object::PriceDeck(p),
                    O::TariffSchedule(p) => Object::TariffSchedule(p),
                    O::ScheduleOverlay(p) => Object::ScheduleOverlay(p),
                    O::FxDeck(p) => Object::FxDeck(p),
                }
            }
        }
    };
}
object_of!(create_catalog_object_request);
object_of!(update_catalog_object_request);

fn body(o: Object) -> pb::catalog_object::Object {
    use pb::catalog_object::Object as O;
    match o {
        Object::Bom(p) => O::Bom(p),
        Object::PriceDeck(p) => O::PriceDeck(p),
        Object::TariffSchedule(p) => O::TariffSchedule(p),
        Object::ScheduleOverlay(p) => O::ScheduleOverlay(p),
        Object::FxDeck(p) => O::FxDeck(p),
    }
}

/// The API's kind of a store kind.
pub(crate) fn kind_pb(k: Kind) -> pb::CatalogKind {
    match k {
        Kind::Bom => pb::CatalogKind::Bom,
        Kind::PriceDeck => pb::CatalogKind::PriceDeck,
        Kind::TariffSchedule => pb::CatalogKind::TariffSchedule,
        Kind::ScheduleOverlay => pb::CatalogKind::ScheduleOverlay,
        Kind::FxDeck => pb::CatalogKind::FxDeck,
    }
}

/// The API's origin of a catalog origin.
pub(crate) fn origin_pb(o: Origin) -> pb::CatalogOrigin {
    match o {
        Origin::BuiltIn => pb::CatalogOrigin::BuiltIn,
        Origin::Directory => pb::CatalogOrigin::Directory,
        Origin::Saved => pb::CatalogOrigin::Saved,
    }
}

/// The store kind of a request's `kind` field; `None` for unspecified.
fn kind_of(value: i32, field: &str) -> Result<Option<Kind>, ApiError> {
    match pb::CatalogKind::try_from(value) {
        Ok(pb::CatalogKind::Unspecified) => Ok(None),
        Ok(pb::CatalogKind::Bom) => Ok(Some(Kind::Bom)),
        Ok(pb::CatalogKind::PriceDeck) => Ok(Some(Kind::PriceDeck)),
        Ok(pb::CatalogKind::TariffSchedule) => Ok(Some(Kind::TariffSchedule)),
        Ok(pb::CatalogKind::ScheduleOverlay) => Ok(Some(Kind::ScheduleOverlay)),
        Ok(pb::CatalogKind::FxDeck) => Ok(Some(Kind::FxDeck)),
        Err(_) => Err(invalid(field, Reason::InvalidValue, "unknown catalog kind")),
    }
}

fn required_kind(value: i32) -> Result<Kind, ApiError> {
    kind_of(value, "kind")?.ok_or_else(|| {
        invalid(
            "kind",
            Reason::Required,
            "name the object's kind, e.g. CATALOG_KIND_BOM",
        )
    })
}

fn invalid(field: &str, reason: Reason, message: impl Into<String>) -> ApiError {
    ApiError::from(InputError::new(field, reason, message))
}

/// RFC 3339 UTC text of milliseconds since the epoch.
fn rfc3339(ms: i64) -> String {
    if ms <= 0 {
        return String::new();
    }
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        ms.rem_euclid(1000)
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A catalog object as the API shows it; `object` set for Get and the writes.
pub(crate) fn catalog_object(h: &Header, object: Option<Object>) -> pb::CatalogObject {
    let versioned_id = if h.origin == Origin::Saved {
        versioned::key(&h.id, h.version)
    } else {
        h.id.clone()
    };
    pb::CatalogObject {
        kind: kind_pb(h.kind) as i32,
        id: h.id.clone(),
        version: h.version,
        etag: h.etag.clone(),
        origin: origin_pb(h.origin) as i32,
        create_time: rfc3339(h.created_at_ms),
        deleted: false,
        as_of_date: h.as_of_date.clone(),
        name: h.name.clone(),
        source: h.source.clone(),
        object: object.map(body),
        versioned_id,
    }
}

fn revision_object(r: &Revision, object: Option<Object>) -> pb::CatalogObject {
    let mut o = catalog_object(&header_of(r, object.as_ref()), object);
    o.deleted = r.deleted;
    o
}

/// A write to a preset: FAILED_PRECONDITION (a create is ALREADY_EXISTS instead: the id is
/// taken).
fn read_only(kind: Kind, id: &str, what: &str) -> ApiError {
    ApiError::ReadOnlyPreset(format!(
        "{kind} {id:?} is a preset (built-in or from the --catalog directory): presets are \
         read-only and cannot be {what}"
    ))
}

/// The store's decision as a status.
fn save_error(e: SaveError) -> ApiError {
    match e {
        SaveError::NoStore => ApiError::NoCatalogStore,
        SaveError::Preset { kind, id } => ApiError::CatalogConflict {
            message: format!(
                "{kind} {id:?} is a preset (built-in or from the --catalog directory): presets \
                 are read-only; save under another id"
            ),
            stale: false,
        },
        SaveError::Store(e) => store_error(e),
    }
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound { kind, id, version } => ApiError::NotFound {
            field: "id".to_string(),
            kind: kind_name(kind),
            id: version.map_or(id.clone(), |v| versioned::key(&id, v)),
            list_rpc: "tariff.v1.CatalogService/ListCatalogObjects",
        },
        StoreError::Conflict {
            kind,
            id,
            current_etag,
            reason,
        } => ApiError::CatalogConflict {
            message: match reason {
                ConflictReason::AlreadyExists => format!(
                    "{kind} {id:?} already exists (etag {current_etag}): update it with \
                     UpdateCatalogObject"
                ),
                ConflictReason::EtagMismatch => format!(
                    "{kind} {id:?} was changed since the etag sent: its current etag is \
                     {current_etag}; read it again, re-apply the change and retry"
                ),
            },
            stale: reason == ConflictReason::EtagMismatch,
        },
        StoreError::TooLarge { .. } | StoreError::TooMany { .. } => {
            ApiError::CatalogFull(e.to_string())
        }
        StoreError::InvalidId { id, reason } => invalid(
            "id",
            Reason::InvalidValue,
            format!("id {:?} {reason}", crate::engine::text::clip(&id)),
        ),
        StoreError::InvalidPageToken => invalid(
            "page_token",
            Reason::InvalidValue,
            "not a token this listing issued",
        ),
        StoreError::Database(_) | StoreError::Migrate(_) => {
            tracing::warn!("catalog store: {e}");
            ApiError::StoreUnavailable
        }
        StoreError::Corrupt(m) => {
            tracing::error!("catalog store: unreadable row: {m}");
            ApiError::Internal
        }
    }
}

/// The words a NOT_FOUND uses for a kind.
pub(crate) fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Bom => "BOM",
        Kind::PriceDeck => "price deck",
        Kind::TariffSchedule => "tariff schedule",
        Kind::ScheduleOverlay => "schedule overlay",
        Kind::FxDeck => "FX deck",
    }
}

fn live(ctx: &Context) -> Result<&Arc<Catalogs>, ApiError> {
    ctx.live
        .as_ref()
        .filter(|l| l.store().is_some())
        .ok_or(ApiError::NoCatalogStore)
}

/// Validates `object` as the same object sent inline, on the worker pool.
async fn validated(live: &Catalogs, object: Object) -> Result<Object, ApiError> {
    let limits = *live.limits();
    let check = move || {
        let root = Object::field(object.kind());
        // The id's own rules (no '@', its length) are the store's, named at the same field.
        object
            .clone()
            .validate(root, &limits, Default::default())
            .map(|_| object)
    };
    match tokio::task::spawn_blocking(check).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(_) => Err(ApiError::Internal),
    }
}

fn required_object<T>(o: Option<T>) -> Result<Object, ApiError>
where
    Object: From<T>,
{
    o.map(Object::from).ok_or_else(|| {
        invalid(
            "object",
            Reason::Required,
            "set one of bom, price_deck, tariff_schedule, schedule_overlay, fx_deck",
        )
    })
}

/// `CreateCatalogObject`.
pub(crate) async fn create(
    ctx: &Context,
    req: pb::CreateCatalogObjectRequest,
) -> Result<pb::CatalogObject, ApiError> {
    let live = live(ctx)?;
    let object = validated(live, required_object(req.object)?).await?;
    let r = live
        .save(&object, Expectation::MustNotExist)
        .await
        .map_err(|e| at_id(save_error(e), &object))?;
    Ok(revision_object(&r, Some(object)))
}

/// An invalid id named at the object's id field.
fn at_id(e: ApiError, object: &Object) -> ApiError {
    match e {
        ApiError::InvalidArgument(mut v) => {
            for e in &mut v {
                if e.field.path() == Some("id") {
                    e.field = format!("{}.id", Object::field(object.kind())).into();
                }
            }
            ApiError::InvalidArgument(v)
        }
        ApiError::NotFound {
            kind, id, list_rpc, ..
        } => ApiError::NotFound {
            field: format!("{}.id", Object::field(object.kind())),
            kind,
            id,
            list_rpc,
        },
        e => e,
    }
}

/// `UpdateCatalogObject`.
pub(crate) async fn update(
    ctx: &Context,
    req: pb::UpdateCatalogObjectRequest,
) -> Result<pb::CatalogObject, ApiError> {
    let live = live(ctx)?;
    let object = validated(live, required_object(req.object)?).await?;
    let store = live.store().ok_or(ApiError::NoCatalogStore)?;
    let mut tries = 0;
    loop {
        tries += 1;
        let expected = if !req.etag.is_empty() {
            Expectation::Etag(req.etag.clone())
        } else if req.allow_missing {
            Expectation::Any
        } else {
            // No etag: update whatever is latest, but only if the object exists.
            match store.get(object.kind(), object.id(), None).await {
                Ok(r) => Expectation::Etag(r.etag),
                Err(e) => return Err(at_id(store_error(e), &object)),
            }
        };
        let retry = req.etag.is_empty() && !req.allow_missing && tries < UPDATE_TRIES;
        match live.save(&object, expected).await {
            Ok(r) => return Ok(revision_object(&r, Some(object))),
            Err(SaveError::Preset { kind, id }) => return Err(read_only(kind, &id, "updated")),
            Err(SaveError::Store(StoreError::Conflict {
                reason: ConflictReason::EtagMismatch,
                ..
            })) if retry => continue,
            Err(e) => return Err(at_id(save_error(e), &object)),
        }
    }
}

/// `DeleteCatalogObject`.
pub(crate) async fn delete(
    ctx: &Context,
    req: pb::DeleteCatalogObjectRequest,
) -> Result<pb::CatalogObject, ApiError> {
    let kind = required_kind(req.kind)?;
    let live = live(ctx)?;
    let etag = (!req.etag.is_empty()).then_some(req.etag.as_str());
    let r = live
        .delete(kind, &req.id, etag)
        .await
        .map_err(|e| match e {
            SaveError::Preset { kind, id } => read_only(kind, &id, "deleted"),
            e => save_error(e),
        })?;
    Ok(revision_object(&r, None))
}

/// `GetCatalogObject`: from the call's snapshot (which has the version pinned if named).
pub(crate) fn get(
    ctx: &Context,
    req: &pb::GetCatalogObjectRequest,
) -> Result<pb::CatalogObject, ApiError> {
    let kind = required_kind(req.kind)?;
    let (header, object) = ctx
        .catalog
        .object(kind, &req.id)
        .ok_or_else(|| ApiError::NotFound {
            field: "id".to_string(),
            kind: kind_name(kind),
            id: req.id.clone(),
            list_rpc: "tariff.v1.CatalogService/ListCatalogObjects",
        })?;
    Ok(catalog_object(&header, Some(object)))
}

/// `ListCatalogObjectVersions`.
pub(crate) async fn versions(
    ctx: &Context,
    req: &pb::ListCatalogObjectVersionsRequest,
) -> Result<pb::ListCatalogObjectVersionsResponse, ApiError> {
    let kind = required_kind(req.kind)?;
    let size = page_size(req.page_size)?;
    // A page token is the last version listed, in hex like the catalog's tokens.
    let after = match req.page_token.as_str() {
        "" => 0,
        t => i64::from_str_radix(t, 16)
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| {
                invalid(
                    "page_token",
                    Reason::InvalidValue,
                    "not a token this listing issued",
                )
            })?,
    };
    if ctx.catalog.is_preset(kind, &req.id) {
        let (h, _) = ctx
            .catalog
            .object(kind, &req.id)
            .ok_or(ApiError::Internal)?;
        return Ok(pb::ListCatalogObjectVersionsResponse {
            versions: vec![catalog_object(&h, None)],
            next_page_token: String::new(),
        });
    }
    let live = live(ctx)?;
    let all = live.versions(kind, &req.id).await.map_err(save_error)?;
    let mut page: Vec<&Revision> = all
        .iter()
        .filter(|r| r.version > after)
        .take(size + 1)
        .collect();
    let next = if page.len() > size {
        page.truncate(size);
        page.last()
            .map(|r| format!("{:x}", r.version))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(pb::ListCatalogObjectVersionsResponse {
        versions: page.iter().map(|r| revision_object(r, None)).collect(),
        next_page_token: next,
    })
}

/// The page size a list request asks for: 0 means [`PAGE`], above [`MAX_PAGE`] is clamped.
fn page_size(asked: i32) -> Result<usize, ApiError> {
    match asked {
        n if n < 0 => Err(invalid(
            "page_size",
            Reason::OutOfRange,
            "must not be negative",
        )),
        0 => Ok(PAGE),
        n => Ok((n as usize).min(MAX_PAGE)),
    }
}

/// The filters of a listing, and the fingerprint a page token carries so it is refused
/// under other filters.
struct Filter {
    kinds: Vec<Kind>,
    from: Option<Date>,
    to: Option<Date>,
    fingerprint: String,
}

fn filter(req: &pb::ListCatalogObjectsRequest) -> Result<Filter, ApiError> {
    let kinds = match kind_of(req.kind, "kind")? {
        Some(k) => vec![k],
        None => Kind::ALL.to_vec(),
    };
    let date = |s: &str, field: &str| -> Result<Option<Date>, ApiError> {
        if s.is_empty() {
            return Ok(None);
        }
        Date::parse(s)
            .map(Some)
            .ok_or_else(|| invalid(field, Reason::InvalidValue, "a date is YYYY-MM-DD"))
    };
    Ok(Filter {
        kinds,
        from: date(&req.as_of_date_from, "as_of_date_from")?,
        to: date(&req.as_of_date_to, "as_of_date_to")?,
        fingerprint: format!("{}|{}|{}", req.kind, req.as_of_date_from, req.as_of_date_to),
    })
}

impl Filter {
    fn keeps(&self, h: &Header) -> bool {
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        let Some(d) = Date::parse(&h.as_of_date) else {
            return false;
        };
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t)
    }
}

/// A page token: the last (kind, id) listed and the filters, hex-encoded so it is one opaque
/// word.
fn token(f: &Filter, last: &Header) -> String {
    let raw = format!("{}\n{}\n{}", f.fingerprint, last.kind, last.id);
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

fn after(f: &Filter, token: &str) -> Result<Option<(Kind, String)>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || {
        invalid(
            "page_token",
            Reason::InvalidValue,
            "not a token this listing issued under these filters",
        )
    };
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let text = bytes
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let mut parts = text.splitn(3, '\n');
    let (fp, kind, id) = (parts.next(), parts.next(), parts.next());
    match (fp, kind.and_then(Kind::parse), id) {
        (Some(fp), Some(kind), Some(id)) if fp == f.fingerprint => Ok(Some((kind, id.to_string()))),
        _ => Err(bad()),
    }
}

/// `ListCatalogObjects`: presets and the latest saved versions from the call's snapshot.
pub(crate) fn list(
    ctx: &Context,
    req: &pb::ListCatalogObjectsRequest,
) -> Result<pb::ListCatalogObjectsResponse, ApiError> {
    let f = filter(req)?;
    let size = page_size(req.page_size)?;
    let start = after(&f, &req.page_token)?;
    let mut page = Vec::with_capacity(size);
    let mut next = String::new();
    'kinds: for kind in &f.kinds {
        for h in ctx.catalog.headers(*kind) {
            let past = start
                .as_ref()
                .is_none_or(|(k, id)| (h.kind.as_str(), h.id.as_str()) > (k.as_str(), id.as_str()));
            if !past || !f.keeps(&h) {
                continue;
            }
            if page.len() == size {
                if let Some(last) = page.last() {
                    next = token(&f, last);
                }
                break 'kinds;
            }
            page.push(h);
        }
    }
    Ok(pb::ListCatalogObjectsResponse {
        objects: page.iter().map(|h| catalog_object(h, None)).collect(),
        next_page_token: next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::convert::Limits;

    fn ctx() -> Context {
        Context::fixed(Arc::new(Catalog::builtin().unwrap()), Limits::default())
    }

    fn walk(req: pb::ListCatalogObjectsRequest) -> Vec<String> {
        let (ctx, mut req, mut out) = (ctx(), req, Vec::new());
        loop {
            let page = list(&ctx, &req).unwrap();
            let size = if req.page_size == 0 {
                PAGE
            } else {
                req.page_size as usize
            };
            assert!(page.objects.len() <= size);
            out.extend(page.objects.iter().map(|o| format!("{}:{}", o.kind, o.id)));
            if page.next_page_token.is_empty() {
                return out;
            }
            req.page_token = page.next_page_token;
        }
    }

    #[test]
    fn pages_walk_every_object_once_in_kind_then_id_order() {
        let all = walk(pb::ListCatalogObjectsRequest {
            page_size: 1000,
            ..Default::default()
        });
        // 9 BOMs, 2 FX decks, 2 price decks, 2 overlays, 3 schedules (kinds in storage-name
        // order).
        assert_eq!(all.len(), 18);
        assert_eq!(all[0], "1:defense-fighter");
        assert_eq!(all[9], "5:fx-h10-2024-01-12");
        assert_eq!(all[13], "4:reciprocal-annex-i");
        assert_eq!(all[17], "3:us-hts-2026");
        for size in [1, 2, 5, 17, 18] {
            let paged = walk(pb::ListCatalogObjectsRequest {
                page_size: size,
                ..Default::default()
            });
            assert_eq!(paged, all, "page size {size}");
        }
        // A last page that is exactly full has no token.
        let one = list(
            &ctx(),
            &pb::ListCatalogObjectsRequest {
                page_size: 18,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!((one.objects.len(), one.next_page_token.as_str()), (18, ""));
        let presets = one
            .objects
            .iter()
            .map(|o| o.origin)
            .collect::<std::collections::HashSet<_>>();
        assert_eq!(
            presets.into_iter().collect::<Vec<_>>(),
            [pb::CatalogOrigin::BuiltIn as i32]
        );
    }

    #[test]
    fn filters_keep_a_kind_and_a_date_range() {
        let schedules = walk(pb::ListCatalogObjectsRequest {
            kind: pb::CatalogKind::TariffSchedule as i32,
            page_size: 2,
            ..Default::default()
        });
        assert_eq!(schedules, ["3:us-2025", "3:us-2026", "3:us-hts-2026"]);
        // The H.10 decks are dated 2024; BOMs have no date and are left out by a date filter.
        let dated = walk(pb::ListCatalogObjectsRequest {
            as_of_date_from: "2024-01-12".into(),
            as_of_date_to: "2024-01-31".into(),
            page_size: 1,
            ..Default::default()
        });
        assert_eq!(dated, ["5:fx-h10-2024-01-12"]);
        let to = walk(pb::ListCatalogObjectsRequest {
            kind: pb::CatalogKind::FxDeck as i32,
            as_of_date_to: "2024-02-02".into(),
            ..Default::default()
        });
        assert_eq!(to, ["5:fx-h10-2024-01-12", "5:fx-h10-2024-02-02"]);
    }

    #[test]
    fn a_token_or_filter_that_does_not_fit_is_refused_at_its_field() {
        let first = list(
            &ctx(),
            &pb::ListCatalogObjectsRequest {
                page_size: 2,
                ..Default::default()
            },
        )
        .unwrap();
        let field = |r: Result<pb::ListCatalogObjectsResponse, ApiError>| match r {
            Err(ApiError::InvalidArgument(v)) => v[0].field.to_string(),
            other => panic!("{other:?}"),
        };
        let other_filter = pb::ListCatalogObjectsRequest {
            kind: pb::CatalogKind::Bom as i32,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        };
        assert_eq!(field(list(&ctx(), &other_filter)), "page_token");
        for token in ["zz", "abc", "00"] {
            let bad = pb::ListCatalogObjectsRequest {
                page_token: token.into(),
                ..Default::default()
            };
            assert_eq!(field(list(&ctx(), &bad)), "page_token");
        }
        let negative = pb::ListCatalogObjectsRequest {
            page_size: -1,
            ..Default::default()
        };
        assert_eq!(field(list(&ctx(), &negative)), "page_size");
        let date = pb::ListCatalogObjectsRequest {
            as_of_date_from: "2024-13-01".into(),
            ..Default::default()
        };
        assert_eq!(field(list(&ctx(), &date)), "as_of_date_from");
        let kind = pb::ListCatalogObjectsRequest {
            kind: 99,
            ..Default::default()
        };
        assert_eq!(field(list(&ctx(), &kind)), "kind");
    }

    #[test]
    fn get_reads_a_preset_and_a_missing_kind_or_id_is_named() {
        let got = get(
            &ctx(),
            &pb::GetCatalogObjectRequest {
                kind: pb::CatalogKind::Bom as i32,
                id: "ev-high-ree".into(),
            },
        )
        .unwrap();
        assert_eq!((got.version, got.versioned_id.as_str()), (0, "ev-high-ree"));
        assert!(matches!(
            got.object,
            Some(pb::catalog_object::Object::Bom(_))
        ));
        let missing = get(
            &ctx(),
            &pb::GetCatalogObjectRequest {
                kind: pb::CatalogKind::Bom as i32,
                id: "ev-high-ree@1".into(),
            },
        );
        assert!(matches!(missing, Err(ApiError::NotFound { .. })));
        let no_kind = get(
            &ctx(),
            &pb::GetCatalogObjectRequest {
                kind: 0,
                id: "ev-high-ree".into(),
            },
        );
        assert!(matches!(no_kind, Err(ApiError::InvalidArgument(_))));
    }

    #[test]
    fn times_print_as_rfc3339_utc() {
        assert_eq!(rfc3339(0), "");
        assert_eq!(rfc3339(1), "1970-01-01T00:00:00.001Z");
        // 2026-12-01T05:46:30.250Z
        assert_eq!(rfc3339(1_796_103_990_250), "2026-12-01T05:46:30.250Z");
        // A leap day.
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
