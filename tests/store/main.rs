//! The catalog store (issue 13) against both engines: the same rules on the embedded SQLite
//! file and on a real PostgreSQL server started for the test; PostgreSQL's change notices
//! across connections; and SQLite's durability when the writer is killed with SIGKILL.
//!
//! Without PostgreSQL installed its test is skipped with a printed reason, unless
//! `TARIFF_REQUIRE_POSTGRES=1` (CI sets it, so there it cannot be skipped).
//!
//! Through the server: `service` (CatalogService's saved objects on SQLite, end to end),
//! `replicas` (two servers on one PostgreSQL database) and `sigkill` (the real binary killed
//! after 1,000 acknowledged creates, on SQLite and on PostgreSQL).

#[path = "../common/mod.rs"]
mod common;
mod contract;
mod edges;
mod pg_server;
mod replicas;
mod service;
mod sigkill;

use contract::{SMALL, Store};
use pg_server::PgServer;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;
use tariff_impact::store::{CatalogStore, Change, Expectation, Kind, PgStore, SqliteStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store: Store = Arc::new(SqliteStore::open(&dir.path().join("data")).await.unwrap());
    let small: Store = Arc::new(
        SqliteStore::open_with(&dir.path().join("small"), SMALL)
            .await
            .unwrap(),
    );
    contract::all(&store, &small).await;
    let second: Store = Arc::new(SqliteStore::open(&dir.path().join("data")).await.unwrap());
    contract::two_handles_writing_one_id_get_versions_1_to_50(&store, &second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_keeps_the_contract_and_announces_writes_to_other_replicas() {
    let Some(server) = PgServer::start_or_skip("postgres_store_keeps_the_contract") else {
        return;
    };
    let url = server.create_db("store_contract").await;
    let small_url = server.create_db("store_limits").await;
    {
        let store: Store = Arc::new(PgStore::connect(&url).await.unwrap());
        let small: Store = Arc::new(PgStore::connect_with(&small_url, SMALL).await.unwrap());
        contract::all(&store, &small).await;
        another_replica_hears_a_write(&url, &store).await;
        let replica: Store = Arc::new(PgStore::connect(&url).await.unwrap());
        contract::two_handles_writing_one_id_get_versions_1_to_50(&store, &replica).await;
    }
    server.drop_db("store_contract").await;
    server.drop_db("store_limits").await;
}

/// A second store on its own pool (as another replica would be) hears a write made through
/// the first, with its content.
async fn another_replica_hears_a_write(url: &str, writer: &Store) {
    let replica = PgStore::connect(url).await.unwrap();
    let mut rx = replica.subscribe();
    let start = Instant::now();
    let written = writer
        .put(
            Kind::TariffSchedule,
            "replicated",
            "{}",
            "",
            Expectation::Any,
        )
        .await
        .unwrap();
    let notice = contract::next_notice_for(&mut rx, "replicated").await;
    eprintln!("replica heard the write after {:?}", start.elapsed());
    let expected = Change {
        kind: Kind::TariffSchedule,
        id: "replicated".into(),
        version: written.version,
    };
    assert_eq!(notice, expected);
    let read = replica
        .get(notice.kind, &notice.id, Some(notice.version))
        .await
        .unwrap();
    assert_eq!(read, written);
}

/// Set for the child process of [`sqlite_acknowledged_writes_survive_sigkill`]: the data dir.
const CHILD_DIR: &str = "TARIFF_STORE_TEST_CHILD_DIR";
const WRITES: usize = 200;

/// The writer the durability test kills: a no-op unless started by it.
#[tokio::test]
async fn sqlite_child_writer() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let store = SqliteStore::open(dir.as_ref()).await.unwrap();
    for n in 0..WRITES {
        let id = format!("durable-{n:03}");
        store
            .put(Kind::Bom, &id, "{}", "", Expectation::MustNotExist)
            .await
            .unwrap();
        // Printed only after `put` returned: each line is an acknowledged write.
        println!("acked {id}");
    }
    // Wait to be killed, pools open, never closed cleanly.
    tokio::time::sleep(std::time::Duration::from_secs(120)).await;
}

/// A writer process killed with SIGKILL right after its 200th acknowledged write loses none.
/// This proves the commit reaches the file before `put` returns; surviving a power cut as well
/// rests on `synchronous=FULL` (an fsync per commit), which a test cannot cut power to check.
#[tokio::test]
async fn sqlite_acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sqlite_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut acked = Vec::new();
    for line in stdout.lines() {
        // The first may share its line with libtest's "test sqlite_child_writer ... ".
        if let Some((_, id)) = line.unwrap().split_once("acked ") {
            acked.push(id.to_string());
            if acked.len() == WRITES {
                break;
            }
        }
    }
    // std's kill is SIGKILL on Unix: no destructor, no checkpoint, no close.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(acked.len(), WRITES, "the writer stopped early");
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let page = store.list_latest(Some(Kind::Bom), 1000, "").await.unwrap();
    let ids: Vec<String> = page.revisions.into_iter().map(|r| r.id).collect();
    assert_eq!(ids, acked);
}
