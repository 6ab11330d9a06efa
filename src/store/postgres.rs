//! The shared engine: PostgreSQL, for several replicas serving one catalog. Every committed
//! write is announced on the `catalog_changes` channel, so each replica's snapshot refreshes
//! within a second of a write made through another.

use super::rules::{self, Check, Head, Row, Write};
use super::{Change, Expectation, Kind, Page, Revision, StoreError, StoreLimits, sql};
use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// The `LISTEN`/`NOTIFY` channel; payload `<kind>/<id>/<version>`.
pub const NOTIFY_CHANNEL: &str = "catalog_changes";

/// Key of the transaction-level advisory lock every write holds (any constant; this one spells
/// "catalog" in ASCII). Catalog writes are rare (people saving objects), so serialising them
/// costs nothing and buys three things: versions per id are assigned without a race, the count
/// limit is exact, and `seq` values commit in increasing order, so `changes_since` never skips
/// a write that committed late with a smaller `seq`.
const WRITE_LOCK: i64 = 0x0063_6174_616c_6f67;

/// A catalog store in a PostgreSQL database.
#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    limits: StoreLimits,
    changes: broadcast::Sender<Change>,
    /// Forwards notices from the database to `changes`; stopped when the store is dropped.
    listener: JoinHandle<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PgStore {
    /// Connects with the default limits.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        PgStore::connect_with(url, StoreLimits::default()).await
    }

    /// Connects to `url`, applies the migrations in `migrations/postgres` (sqlx serialises
    /// concurrent replicas with an advisory lock) and starts listening for changes before
    /// returning, so no write committed after this returns goes unannounced.
    pub async fn connect_with(url: &str, limits: StoreLimits) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        let (changes, _) = broadcast::channel(1024);
        let listener = tokio::spawn(forward(listener, changes.clone()));
        Ok(PgStore {
            pool,
            limits,
            changes,
            listener,
        })
    }

    /// Closes the pool (and with it the listener's connection).
    pub async fn close(&self) {
        self.listener.abort();
        self.pool.close().await;
    }

    async fn write(&self, w: Write<'_>) -> Result<Revision, StoreError> {
        rules::validate(&w, &self.limits)?;
        let mut tx = self.pool.begin().await?;
        // An acknowledged write must survive a server crash even where an operator turned
        // synchronous_commit off for speed: the commit waits for its WAL flush.
        sqlx::query("SET LOCAL synchronous_commit = on")
            .execute(&mut *tx)
            .await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await?;
        let (row, version) = record_version!(tx, w, self.limits);
        // Inside the transaction: PostgreSQL delivers it at commit, and never on rollback.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(NOTIFY_CHANNEL)
            .bind(rules::notice(w.kind, w.id, version))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Revision::try_from(row)
    }
}

/// Passes each notice to the store's subscribers until the store is dropped. `recv` reconnects
/// by itself after a lost connection; notices sent meanwhile are lost, which is why subscribers
/// also catch up with `changes_since`.
async fn forward(mut listener: PgListener, changes: broadcast::Sender<Change>) {
    loop {
        match listener.recv().await {
            Ok(n) => match rules::parse_notice(n.payload()) {
                Some(change) => {
                    let _ = changes.send(change);
                }
                None => tracing::warn!(payload = n.payload(), "unreadable catalog notice"),
            },
            Err(sqlx::Error::PoolClosed) => return,
            Err(e) => {
                tracing::warn!(error = %e, "catalog change listener failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

catalog_store!(PgStore, pool);
