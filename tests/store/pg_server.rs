//! A throwaway PostgreSQL server from the installed Debian package: `initdb` in a temporary
//! directory and `pg_ctl start` on a free port of 127.0.0.1, stopped and removed on drop. A real
//! server, not a mock, so the SQL, locking and LISTEN/NOTIFY are what production runs.
//!
//! `initdb` refuses to run as root, so as root both run as the `postgres` user (which the
//! package creates) in a directory handed to it.

use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// A running server; dropping it stops the server and deletes its files.
pub(crate) struct PgServer {
    bin: PathBuf,
    dir: TempDir,
    port: u16,
    as_postgres: bool,
}

/// The newest installed `/usr/lib/postgresql/<major>/bin` holding `initdb` and `pg_ctl`.
fn installed_bin() -> Option<PathBuf> {
    let mut bins: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((major, bin))
        })
        .collect();
    bins.sort();
    bins.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

impl PgServer {
    /// Starts a server, or returns None after printing why not (PostgreSQL not installed).
    /// With `TARIFF_REQUIRE_POSTGRES=1` (CI) a missing server fails the test instead.
    pub(crate) fn start_or_skip(test: &str) -> Option<PgServer> {
        use std::io::Write;
        let Some(bin) = installed_bin() else {
            assert!(
                std::env::var("TARIFF_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "TARIFF_REQUIRE_POSTGRES=1 but PostgreSQL is not installed \
                 (apt-get install postgresql)"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: PostgreSQL is not installed (apt-get install postgresql)"
            );
            return None;
        };
        Some(PgServer::start(bin))
    }

    fn start(bin: PathBuf) -> PgServer {
        let dir = tempfile::Builder::new()
            .prefix("tariff-pg-")
            .tempdir()
            .expect("temp dir");
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown postgres {}", dir.path().display());
        }
        let server = PgServer {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        let data = server.data();
        server
            .run("initdb", &["-D", &data, "-U", "postgres", "--auth=trust"])
            .unwrap_or_else(|e| panic!("{e}"));
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            server.port,
            server.dir.path().display()
        );
        let log = server.dir.path().join("server.log");
        let log = log.to_str().expect("utf-8 path");
        let start = ["-D", &data, "-l", log, "-o", &options, "-w", "start"];
        server
            .run("pg_ctl", &start)
            .unwrap_or_else(|e| panic!("{e}\nserver log: {log}"));
        server
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs one of the server's programs (as `postgres` when we are root); on failure, says
    /// which and what it printed.
    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(Path::new("/"))
            .env("LC_ALL", "C")
            .output()
            .map_err(|e| format!("run {}: {e}", exe.display()))?;
        if out.status.success() {
            return Ok(());
        }
        Err(format!(
            "{} {args:?} failed:\n{}\n{}",
            exe.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }

    /// The URL of database `db` on this server.
    pub(crate) fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates an empty database (a test's own, so tests never see each other's rows).
    pub(crate) async fn create_db(&self, db: &str) -> String {
        self.admin(&format!("CREATE DATABASE {db}")).await;
        self.url(db)
    }

    /// Drops a database created with [`PgServer::create_db`], closing its sessions.
    pub(crate) async fn drop_db(&self, db: &str) {
        self.admin(&format!("DROP DATABASE {db} WITH (FORCE)"))
            .await;
    }

    async fn admin(&self, statement: &str) {
        use sqlx::{Connection, Executor};
        let mut c = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .expect("connect to the test server");
        c.execute(statement).await.expect(statement);
        c.close().await.expect("close");
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // No panic here: a drop during a failing test's unwinding would abort the run.
        let data = self.data();
        if let Err(e) = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]) {
            eprintln!("stopping the test PostgreSQL server: {e}");
        }
    }
}
