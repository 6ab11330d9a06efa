//! A running `tariff-impact serve` process: its addresses read from its log, every log line
//! kept for the privacy checks, SIGKILLed when dropped.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tariff_impact::pb;
use tariff_impact::pb::cost_impact_service_client::CostImpactServiceClient;
use tonic::transport::Channel;

/// Generous bounds for what eventually happens: a start, a line in a log, a span exported.
/// Nothing asserts that anything is fast.
pub const EVENTUALLY: Duration = Duration::from_secs(60);

pub struct Replica {
    child: Child,
    /// The gRPC listener, `127.0.0.1:PORT`.
    pub addr: String,
    /// The admin listener, with `--admin-listen`.
    pub admin: Option<String>,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Replica {
    /// Starts the binary (presets only) with `args`, and waits until it serves.
    pub fn start(args: &[&str]) -> Replica {
        Self::start_with_env(args, &[])
    }

    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Replica {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
            .args(["serve", "--listen", "127.0.0.1:0", "--read-only-catalog"])
            .args(args)
            .env("RUST_LOG", "info")
            .env_remove("TARIFF_DATABASE_URL")
            .env_remove("TARIFF_LOG_REQUEST_DETAILS")
            .env_remove("TARIFF_OTLP_ENDPOINT")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tariff-impact serve");
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                kept.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let mut replica = Replica {
            child,
            addr: String::new(),
            admin: None,
            lines,
        };
        loop {
            let line = rx
                .recv_timeout(EVENTUALLY)
                .unwrap_or_else(|e| panic!("no \"serving tariff.v1\" line from the server: {e}"));
            let addr = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("addr="))
                .map(str::to_string);
            if line.contains("serving /metrics") {
                replica.admin = addr;
            } else if line.contains("serving tariff.v1") {
                replica.addr = addr.unwrap_or_else(|| panic!("no addr= in {line:?}"));
                return replica;
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Waits until the log holds a line with `text`, and returns the log.
    pub fn wait_for_log(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let log = self.log();
            if log.contains(text) {
                return log;
            }
            assert!(
                started.elapsed() < EVENTUALLY,
                "no {text:?} in the log:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` (e.g. "TERM", "KILL") to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    pub async fn costs(&self) -> CostImpactServiceClient<Channel> {
        let channel = Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        CostImpactServiceClient::new(channel)
    }

    /// `GET path` on the admin listener: (status code, body).
    pub fn admin_get(&self, path: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let admin = self.admin.as_ref().expect("started with --admin-listen");
        let mut stream = std::net::TcpStream::connect(admin).unwrap();
        stream.set_read_timeout(Some(EVENTUALLY)).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request from proto3 JSON.
pub fn request(json: serde_json::Value) -> pb::CalculateImpactRequest {
    serde_json::from_value(json).expect("a valid CalculateImpactRequest")
}

/// The EV preset between the two rare-earth decks and schedules, summary view.
pub fn ev_request() -> pb::CalculateImpactRequest {
    request(serde_json::json!({
        "bomId": "ev-high-ree",
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "view": "RESULT_VIEW_SUMMARY"}
    }))
}

/// The value of metric `name` with exactly `labels` in Prometheus text, if present.
pub fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (n, rest) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.strip_suffix('}')?),
                None => (series, ""),
            };
            if n != name {
                return None;
            }
            let mut got: Vec<(&str, &str)> = rest
                .split(',')
                .filter(|p| !p.is_empty())
                .filter_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    Some((k, v.trim_matches('"')))
                })
                .collect();
            let mut want = labels.to_vec();
            got.sort_unstable();
            want.sort_unstable();
            (got == want).then(|| value.parse().ok()).flatten()
        })
}
