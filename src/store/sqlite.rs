//! The embedded engine: one SQLite file under the data directory, so `serve` works with no
//! setup. One instance only: several replicas must share a [`super::PgStore`].

use super::rules::{self, Check, Head, Row, Write};
use super::{Change, Expectation, Kind, Page, Revision, StoreError, StoreLimits, sql};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::time::Duration;
use tokio::sync::broadcast;

/// File name of the database inside the data directory.
pub const SQLITE_FILE: &str = "catalog.sqlite3";

/// A catalog store in `<data_dir>/catalog.sqlite3`.
///
/// [`CatalogStore::subscribe`] announces the writes made through this handle only (SQLite has
/// no notification between processes); another process's writes, such as a CLI import into a
/// running server's file, are found with [`CatalogStore::changes_since`].
#[derive(Debug)]
pub struct SqliteStore {
    /// Readers: WAL lets them run while a write is in progress.
    read: SqlitePool,
    /// The single writer: a pool of one connection queues writes in this process, so two
    /// transactions never race for SQLite's write lock (which would fail one with BUSY).
    write: SqlitePool,
    limits: StoreLimits,
    changes: broadcast::Sender<Change>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the store in `data_dir` with the default limits.
    pub async fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(data_dir, StoreLimits::default()).await
    }

    /// Opens the store in `data_dir`, creating the directory and file if missing, and applies
    /// the migrations in `migrations/sqlite`.
    ///
    /// WAL journal mode lets calculations' reads proceed during a write. `synchronous=FULL`
    /// makes SQLite fsync the WAL at every commit: with WAL the default (NORMAL) can lose the
    /// last commits on a power cut or OS crash, and a write we acknowledged must survive one.
    pub async fn open_with(
        data_dir: &Path,
        limits: StoreLimits,
    ) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Database(e.into()))?;
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join(SQLITE_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // Another process (a CLI import) may hold the write lock for a moment.
            .busy_timeout(Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        let (changes, _) = broadcast::channel(1024);
        Ok(SqliteStore {
            read,
            write,
            limits,
            changes,
        })
    }

    /// Closes both pools, checkpointing the WAL. Not needed for durability (every commit is
    /// already on disk), only for a tidy shutdown.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    async fn write(&self, w: Write<'_>) -> Result<Revision, StoreError> {
        rules::validate(&w, &self.limits)?;
        // IMMEDIATE takes the write lock before the read of the head, so the head cannot
        // change between the precondition check and the insert, even from another process.
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let (row, _) = record_version!(tx, w, self.limits);
        tx.commit().await?;
        let rev = Revision::try_from(row)?;
        // No receiver is not an error: nobody has subscribed yet.
        let _ = self.changes.send(Change {
            kind: rev.kind,
            id: rev.id.clone(),
            version: rev.version,
        });
        Ok(rev)
    }
}

catalog_store!(SqliteStore, read);
