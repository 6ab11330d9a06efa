//! Saved, versioned catalog objects (issue 13): BOMs, price decks, tariff schedules, schedule
//! overlays and FX decks that teams write through the API, kept in a database so they survive a
//! restart and so a number computed months ago can be traced to the exact version it used.
//!
//! Every write is a new immutable [`Revision`]: an update adds version n+1, a delete adds a
//! tombstone. Nothing is ever overwritten, so `id@version` stays reproducible forever.
//!
//! One trait, [`CatalogStore`], with two engines:
//! - [`SqliteStore`]: an embedded file under a data directory, no setup; one instance only.
//! - [`PgStore`]: PostgreSQL, for several replicas sharing one catalog; every committed write is
//!   announced with `NOTIFY` so every replica's snapshot can refresh within a second.
//!
//! The store keeps bodies as opaque proto3-JSON text: validation belongs to `convert/` (the same
//! as an inline input) and happens before `put`. The store knows nothing of RPC or the engine.
//! Its [`Kind`] is its own (not `catalog::Kind`) so that `catalog/` can use the store without an
//! import circle.

/// The [`CatalogStore`] implementation both engines share: writes go through the engine's own
/// `write` (its transaction and locking differ), reads run the same SQL on its pool named
/// `$read` (a sqlx pool of either database).
macro_rules! catalog_store {
    ($store:ty, $read:ident) => {
        #[async_trait::async_trait]
        impl $crate::store::CatalogStore for $store {
            async fn put(
                &self,
                kind: Kind,
                id: &str,
                body: &str,
                as_of_date: &str,
                expected: Expectation,
            ) -> Result<Revision, StoreError> {
                self.write(Write {
                    kind,
                    id,
                    body,
                    as_of_date,
                    deleted: false,
                    check: Check::Put(&expected),
                })
                .await
            }

            async fn delete(
                &self,
                kind: Kind,
                id: &str,
                etag: Option<&str>,
            ) -> Result<Revision, StoreError> {
                self.write(Write {
                    kind,
                    id,
                    body: "",
                    as_of_date: "",
                    deleted: true,
                    check: Check::Delete(etag),
                })
                .await
            }

            async fn get(
                &self,
                kind: Kind,
                id: &str,
                version: Option<i64>,
            ) -> Result<Revision, StoreError> {
                let query = sqlx::query_as(sql::get(version))
                    .bind(kind.as_str())
                    .bind(id);
                let row: Option<Row> = match version {
                    None => query,
                    Some(v) => query.bind(v),
                }
                .fetch_optional(&self.$read)
                .await?;
                sql::found(row, kind, id, version)
            }

            async fn list_latest(
                &self,
                kind: Option<Kind>,
                page_size: usize,
                page_token: &str,
            ) -> Result<Page, StoreError> {
                let (after_kind, after_id) = rules::decode_token(page_token, kind)?;
                let rows: Vec<Row> = sqlx::query_as(sql::LIST_LATEST)
                    .bind(kind.map(Kind::as_str))
                    .bind(after_kind)
                    .bind(after_id)
                    .bind(rules::page_rows(page_size) as i64 + 1)
                    .fetch_all(&self.$read)
                    .await?;
                Ok(rules::page(rules::revisions(rows)?, page_size, kind))
            }

            async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<Revision>, StoreError> {
                let rows: Vec<Row> = sqlx::query_as(sql::VERSIONS)
                    .bind(kind.as_str())
                    .bind(id)
                    .fetch_all(&self.$read)
                    .await?;
                sql::any_found(rules::revisions(rows)?, kind, id)
            }

            async fn changes_since(
                &self,
                seq: i64,
                limit: usize,
            ) -> Result<Vec<Revision>, StoreError> {
                let rows: Vec<Row> = sqlx::query_as(sql::CHANGES_SINCE)
                    .bind(seq)
                    .bind(limit.min(i64::MAX as usize) as i64)
                    .fetch_all(&self.$read)
                    .await?;
                rules::revisions(rows)
            }

            fn subscribe(&self) -> broadcast::Receiver<Change> {
                self.changes.subscribe()
            }
        }
    };
}

/// The statements of a write that both engines run in their own transaction `$tx`, once it
/// holds the engine's write lock: read the head, check the precondition and the count limit,
/// insert the new version and point the head at it. Evaluates to its row and version; a
/// failure returns from the enclosing `write`. (A macro, as [`catalog_store`] is: the two
/// transaction types share no trait these queries can be written against simply.)
macro_rules! record_version {
    ($tx:ident, $w:ident, $limits:expr) => {{
        let head: Option<Head> = sqlx::query_as(sql::HEAD)
            .bind($w.kind.as_str())
            .bind($w.id)
            .fetch_optional(&mut *$tx)
            .await?;
        let live = if rules::creates_live(&$w, head.as_ref()) {
            Some(
                sqlx::query_scalar::<_, i64>(sql::COUNT_LIVE)
                    .fetch_one(&mut *$tx)
                    .await?,
            )
        } else {
            None
        };
        let version = rules::next_version(&$w, head.as_ref(), live, &$limits)?;
        let etag = rules::etag($w.kind, $w.id, version);
        let row: Row = sqlx::query_as(sql::INSERT_REVISION)
            .bind($w.kind.as_str())
            .bind($w.id)
            .bind(version)
            .bind(&etag)
            .bind($w.body)
            .bind($w.as_of_date)
            .bind(rules::now_ms())
            .bind($w.deleted)
            .fetch_one(&mut *$tx)
            .await?;
        sqlx::query(sql::UPSERT_HEAD)
            .bind($w.kind.as_str())
            .bind($w.id)
            .bind(version)
            .bind(&etag)
            .bind($w.deleted)
            .execute(&mut *$tx)
            .await?;
        (row, version)
    }};
}

mod error;
mod postgres;
mod rules;
mod sql;
mod sqlite;

pub use error::{ConflictReason, StoreError};
pub use postgres::{NOTIFY_CHANNEL, PgStore};
pub use sqlite::{SQLITE_FILE, SqliteStore};

use async_trait::async_trait;
use std::fmt;
use tokio::sync::broadcast;

/// The kinds of catalog object the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A bill of materials (`tariff.v1.Bom`).
    Bom,
    /// A price deck (`tariff.v1.PriceDeck`).
    PriceDeck,
    /// A tariff schedule (`tariff.v1.TariffSchedule`).
    TariffSchedule,
    /// A scenario's changes to a base schedule (`tariff.v1.ScheduleOverlay`).
    ScheduleOverlay,
    /// An FX deck (`tariff.v1.FxDeck`).
    FxDeck,
}

impl Kind {
    /// Every kind, in storage order (by [`Kind::as_str`]).
    pub const ALL: [Kind; 5] = [
        Kind::Bom,
        Kind::FxDeck,
        Kind::PriceDeck,
        Kind::ScheduleOverlay,
        Kind::TariffSchedule,
    ];

    /// The name stored in the database and in change notices. Stable: changing one needs a
    /// migration.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bom => "bom",
            Kind::PriceDeck => "price_deck",
            Kind::TariffSchedule => "tariff_schedule",
            Kind::ScheduleOverlay => "schedule_overlay",
            Kind::FxDeck => "fx_deck",
        }
    }

    /// The kind stored as `name`, if any.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One immutable version of one catalog object, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// What the body is.
    pub kind: Kind,
    /// The object's id, unique per kind.
    pub id: String,
    /// 1, 2, 3... per (kind, id), without gaps: what `id@version` names.
    pub version: i64,
    /// Opaque precondition token for the next update or delete (AIP-154).
    pub etag: String,
    /// The object as proto3 JSON (what `catalog export` writes and `grpcurl` shows); empty for
    /// a tombstone.
    pub body: String,
    /// The as-of date the object is valid for (`YYYY-MM-DD`), or empty; for list filters.
    pub as_of_date: String,
    /// When the version was written, in milliseconds since the Unix epoch (UTC). An integer so
    /// both engines store and order it alike without a date type.
    pub created_at_ms: i64,
    /// True for the tombstone a delete writes.
    pub deleted: bool,
    /// Position in the store's global change order (see [`CatalogStore::changes_since`]).
    pub seq: i64,
}

/// The precondition of a [`CatalogStore::put`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Write whatever is there (import, tests).
    Any,
    /// Create: fails with a conflict if a live object has the id.
    MustNotExist,
    /// Update: the latest live version must carry this etag.
    Etag(String),
}

/// A committed write, as announced to subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Kind of the object written.
    pub kind: Kind,
    /// Its id.
    pub id: String,
    /// The version the write created (a tombstone for a delete).
    pub version: i64,
}

/// One page of [`CatalogStore::list_latest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The latest live version of each object on this page, by (kind name, id).
    pub revisions: Vec<Revision>,
    /// Token for the next page; empty on the last page (AIP-158).
    pub next_page_token: String,
}

/// Limits a put enforces, so one team cannot fill the database or the snapshot's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// Largest body in bytes.
    pub max_body_bytes: usize,
    /// Most live (not deleted) objects in the catalog, all kinds together.
    pub max_objects: usize,
    /// Longest id in bytes (ids travel in `NOTIFY` payloads, which hold 8000 bytes).
    pub max_id_bytes: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            max_body_bytes: 8 * 1024 * 1024,
            max_objects: 10_000,
            max_id_bytes: 128,
        }
    }
}

/// Largest page [`CatalogStore::list_latest`] returns, and the size of a page of 0.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Storage of versioned catalog objects. Object-safe (futures boxed by `async_trait`) so the
/// server holds an `Arc<dyn CatalogStore>` chosen at start-up from its flags.
#[async_trait]
pub trait CatalogStore: Send + Sync + fmt::Debug {
    /// Writes a new version of (kind, id) if `expected` holds, and returns it. Durable once
    /// this returns `Ok`.
    async fn put(
        &self,
        kind: Kind,
        id: &str,
        body: &str,
        as_of_date: &str,
        expected: Expectation,
    ) -> Result<Revision, StoreError>;

    /// Deletes (kind, id) by writing a tombstone version, so earlier versions stay readable.
    /// With `etag`, only if it is the latest version's.
    async fn delete(
        &self,
        kind: Kind,
        id: &str,
        etag: Option<&str>,
    ) -> Result<Revision, StoreError>;

    /// The latest live version (`version` None), or that version even if the object was later
    /// deleted. A tombstone is never returned: it has no body.
    async fn get(&self, kind: Kind, id: &str, version: Option<i64>)
    -> Result<Revision, StoreError>;

    /// The latest live version of every object (of `kind`, if given), by (kind name, id).
    /// `page_size` 0 means [`MAX_PAGE_SIZE`]; larger values are clamped to it.
    async fn list_latest(
        &self,
        kind: Option<Kind>,
        page_size: usize,
        page_token: &str,
    ) -> Result<Page, StoreError>;

    /// Every version of (kind, id), tombstones included, oldest first, without bodies (`get`
    /// one version for its body).
    async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<Revision>, StoreError>;

    /// Up to `limit` revisions written after `seq`, in commit order: how a snapshot catches up
    /// after a missed notice or a lagging subscription.
    async fn changes_since(&self, seq: i64, limit: usize) -> Result<Vec<Revision>, StoreError>;

    /// Notices of committed writes (from every replica, for PostgreSQL). A notice can be missed
    /// (receiver lagging, reconnect); the snapshot then catches up with `changes_since`.
    fn subscribe(&self) -> broadcast::Receiver<Change>;
}
