//! The real binary (`tariff-impact serve`) acknowledges 1,000 CreateCatalogObject calls, is
//! killed with SIGKILL, and started again on the same store: every acknowledged object is
//! there with its content. Once on an SQLite data dir, once on PostgreSQL.

use crate::pg_server::PgServer;
use crate::service::{Client, create, get, list_all};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;
use tariff_impact::pb;

const OBJECTS: usize = 1000;

/// A running `tariff-impact serve`; killed (SIGKILL) when dropped.
struct Serve {
    child: Child,
    addr: String,
}

impl Serve {
    /// Starts the binary with `store_args` and waits for its "serving tariff.v1" line.
    fn start(store_args: &[&str], cwd: &std::path::Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(store_args)
            .current_dir(cwd)
            .env("RUST_LOG", "info")
            .env_remove("TARIFF_DATABASE_URL")
            .env_remove("TARIFF_DATA_DIR")
            .env_remove("TARIFF_READ_ONLY_CATALOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tariff-impact serve");
        let lines = read_lines(child.stdout.take().unwrap());
        let mut serve = Serve {
            child,
            addr: String::new(),
        };
        loop {
            // Generous: the first start migrates the store.
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("no \"serving tariff.v1\" line from the server: {e}"));
            if line.contains("serving tariff.v1") {
                let addr = line
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("addr="))
                    .unwrap_or_else(|| panic!("no addr= in {line:?}"));
                serve.addr = addr.to_string();
                // Keep draining stdout so the server never blocks on a full pipe.
                std::thread::spawn(move || while lines.recv().is_ok() {});
                return serve;
            }
        }
    }

    async fn client(&self) -> Client {
        let channel = tonic::transport::Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Client::new(channel)
    }

    /// SIGKILL (std's kill on Unix): no shutdown, no checkpoint, no close.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_lines(stdout: std::process::ChildStdout) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Deck `n`: one material, a price no other deck has.
fn deck_n(n: usize) -> pb::PriceDeck {
    let price = format!("{}.{:02}", 100 + n / 100, n % 100);
    serde_json::from_value(crate::common::deck(
        &format!("deck-{n:04}"),
        &[("nd-oxide", &price)],
    ))
    .unwrap()
}

/// Writes the 1,000 decks, kills the server, restarts it and checks what it holds.
async fn acknowledged_writes_survive_sigkill(store_args: &[&str]) {
    let cwd = tempfile::tempdir().unwrap();
    let serve = Serve::start(store_args, cwd.path());
    let mut c = serve.client().await;
    let mut acked = Vec::new();
    let mut refused = Vec::new();
    for n in 0..OBJECTS {
        let d = deck_n(n);
        match create(&mut c, pb::catalog_object::Object::PriceDeck(d)).await {
            Ok(o) if o.version == 1 => acked.push(n),
            Ok(o) => panic!("deck-{n:04} saved as version {}", o.version),
            Err(s) => refused.push((n, s)),
        }
    }
    drop(c);
    serve.kill();
    eprintln!(
        "{} of {OBJECTS} creates acknowledged before SIGKILL",
        acked.len()
    );

    let serve = Serve::start(store_args, cwd.path());
    let mut c = serve.client().await;
    let listed: Vec<String> = list_all(&mut c, pb::CatalogKind::PriceDeck, "", "", 1000)
        .await
        .into_iter()
        .filter(|o| o.origin() == pb::CatalogOrigin::Saved)
        .map(|o| {
            assert_eq!((o.version, o.deleted), (1, false), "{}", o.id);
            o.id
        })
        .collect();
    let expected: Vec<String> = acked.iter().map(|n| format!("deck-{n:04}")).collect();
    assert_eq!(listed, expected, "the saved decks after the restart");
    // Contents: a sample across the run, and the last acknowledged.
    let sample = acked
        .iter()
        .copied()
        .filter(|n| n % 37 == 0)
        .chain(acked.last().copied());
    for n in sample {
        let got = get(&mut c, pb::CatalogKind::PriceDeck, &format!("deck-{n:04}"))
            .await
            .unwrap();
        match got.object {
            Some(pb::catalog_object::Object::PriceDeck(d)) => {
                assert_eq!(d, deck_n(n), "deck-{n:04}")
            }
            other => panic!("deck-{n:04}: {other:?}"),
        }
    }
    drop(c);
    serve.kill();
    assert!(
        refused.is_empty(),
        "{} creates were refused, first: {:?}",
        refused.len(),
        refused.first()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_sqlite_keeps_every_acknowledged_create_after_sigkill() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    acknowledged_writes_survive_sigkill(&["--data-dir", dir]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_postgres_keeps_every_acknowledged_create_after_sigkill() {
    let Some(pg) =
        PgServer::start_or_skip("serve_on_postgres_keeps_every_acknowledged_create_after_sigkill")
    else {
        return;
    };
    let url = pg.create_db("sigkill").await;
    acknowledged_writes_survive_sigkill(&["--database-url", &url]).await;
    pg.drop_db("sigkill").await;
}
