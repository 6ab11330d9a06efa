//! Test harness: starts the real server on 127.0.0.1:0 in-process and talks to it with real
//! tonic clients; builds requests from proto3 JSON (the format users send with grpcurl); and
//! checks that every displayed list adds up to its displayed total.
#![allow(dead_code, unreachable_pub)]

use rust_decimal::Decimal;
use std::net::SocketAddr;
use std::sync::Arc;
use tariff_impact::catalog::Catalog;
use tariff_impact::pb;
use tariff_impact::pb::catalog_service_client::CatalogServiceClient;
use tariff_impact::pb::cost_impact_service_client::CostImpactServiceClient;
use tariff_impact::server::ServerConfig;
use tokio::sync::oneshot;
use tonic::transport::Channel;

/// A running server; dropping it stops the server.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(ServerConfig {
            drain_grace: std::time::Duration::from_millis(10),
            ..ServerConfig::default()
        })
        .await
    }

    /// Sends the shutdown signal without waiting: the server drains per its config.
    pub fn trigger_shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for the server task to end (after [`TestServer::trigger_shutdown`]).
    pub async fn join(mut self) {
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    /// Starts the real server with `config`.
    pub async fn start_with(config: ServerConfig) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let catalog = Arc::new(Catalog::builtin().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            tariff_impact::server::run(listener, catalog, config, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            addr,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub async fn costs(&self) -> CostImpactServiceClient<Channel> {
        CostImpactServiceClient::new(self.channel().await)
    }

    pub async fn catalog(&self) -> CatalogServiceClient<Channel> {
        CatalogServiceClient::new(self.channel().await)
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A request from proto3 JSON, exactly as a grpcurl user would write it.
pub fn request(json: serde_json::Value) -> pb::CalculateImpactRequest {
    serde_json::from_value(json).expect("test request is valid proto3 JSON")
}

/// Calls CalculateImpact and checks the response adds up.
pub async fn calculate(
    server: &TestServer,
    json: serde_json::Value,
) -> pb::CalculateImpactResponse {
    let resp = server
        .costs()
        .await
        .calculate_impact(request(json))
        .await
        .unwrap_or_else(|s| panic!("CalculateImpact failed: {s:?}"))
        .into_inner();
    assert_adds_up(&resp);
    resp
}

/// Calls CalculateImpact and returns its error.
pub async fn calculate_err(server: &TestServer, req: pb::CalculateImpactRequest) -> tonic::Status {
    match server.costs().await.calculate_impact(req).await {
        Ok(r) => panic!("expected an error, got {:?}", r.into_inner().delta),
        Err(s) => s,
    }
}

/// The field paths of the `google.rpc.BadRequest` detail of `status`, in order.
pub fn bad_request_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .expect("a google.rpc.BadRequest detail")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect()
}

pub fn dec(s: &str) -> Decimal {
    s.parse()
        .unwrap_or_else(|_| panic!("{s:?} is not a decimal"))
}

pub fn amount(m: &Option<pb::Money>) -> &str {
    &m.as_ref().expect("money present").amount
}

fn d(m: &Option<pb::Money>) -> Decimal {
    dec(amount(m))
}

/// An amount a response may leave unset when there is none (the landed-cost subtotals of a
/// result without imports): zero then.
fn d_or_zero(m: &Option<pb::Money>) -> Decimal {
    m.as_ref().map_or(Decimal::ZERO, |m| dec(&m.amount))
}

/// Freight + insurance + brokerage: the landed costs a line or a side adds to its goods.
fn landed(
    freight: &Option<pb::Money>,
    insurance: &Option<pb::Money>,
    brokerage: &Option<pb::Money>,
) -> Decimal {
    d_or_zero(freight) + d_or_zero(insurance) + d_or_zero(brokerage)
}

/// The guarantee of the rounding policy: every displayed list adds up exactly to its total.
pub fn assert_adds_up(r: &pb::CalculateImpactResponse) {
    for (name, totals, unit_cost, pick) in [
        (
            "baseline",
            r.baseline_totals.as_ref().unwrap(),
            &r.baseline_unit_cost,
            0,
        ),
        (
            "scenario",
            r.scenario_totals.as_ref().unwrap(),
            &r.scenario_unit_cost,
            1,
        ),
    ] {
        let side = |l: &pb::LineResult| {
            if pick == 0 {
                l.baseline.clone().unwrap()
            } else {
                l.scenario.clone().unwrap()
            }
        };
        assert_eq!(
            d(&totals.materials)
                + d(&totals.components)
                + landed(&totals.freight, &totals.insurance, &totals.brokerage)
                + d(&totals.duties)
                + d(&totals.fees)
                + d(&totals.credits),
            d(&totals.total),
            "{name}: subtotals add up"
        );
        let credits: Decimal = r
            .incentives
            .iter()
            .map(|i| {
                d(if pick == 0 {
                    &i.baseline.as_ref().unwrap().credit
                } else {
                    &i.scenario.as_ref().unwrap().credit
                })
            })
            .sum();
        assert_eq!(
            credits,
            d(&totals.credits),
            "{name}: incentive credits add up"
        );
        assert_eq!(
            d(&totals.total),
            d(unit_cost),
            "{name}: unit cost is the total"
        );
        let lines: Decimal = r.lines.iter().map(|l| d(&side(l).total)).sum();
        // A summary view has no lines; every other list must still add up.
        if !r.lines.is_empty() {
            assert_eq!(
                lines + d(&totals.credits),
                d(&totals.total),
                "{name}: lines and credits add up to the total"
            );
        }
        for l in &r.lines {
            let s = side(l);
            assert_eq!(
                d(&s.goods)
                    + landed(&s.freight, &s.insurance, &s.brokerage)
                    + d(&s.duties)
                    + d(&s.fees),
                d(&s.total),
                "{name} {}: line adds up",
                l.path
            );
            let charges: Decimal = s.charges.iter().map(|c| d(&c.amount)).sum();
            assert_eq!(
                charges,
                d(&s.duties) + d(&s.fees),
                "{name} {}: charges add up",
                l.path
            );
        }
        let measures: Decimal = r
            .measures
            .iter()
            .map(|m| {
                if pick == 0 {
                    d(&m.baseline_amount)
                } else {
                    d(&m.scenario_amount)
                }
            })
            .sum();
        assert_eq!(
            measures,
            d(&totals.duties) + d(&totals.fees),
            "{name}: measures add up"
        );
        let materials: Decimal = r
            .materials
            .iter()
            .map(|m| {
                if pick == 0 {
                    d(&m.baseline_cost)
                } else {
                    d(&m.scenario_cost)
                }
            })
            .sum();
        assert_eq!(materials, d(&totals.materials), "{name}: materials add up");
    }
    assert_eq!(
        d(&r.scenario_unit_cost) - d(&r.baseline_unit_cost),
        d(&r.delta),
        "delta"
    );
    let e = r.effects.as_ref().unwrap();
    assert_eq!(
        d(&e.price_effect) + d_or_zero(&e.fx_effect) + d(&e.tariff_effect) + d(&e.interaction),
        d(&r.delta),
        "effects add up"
    );
    if r.lines.is_empty() {
        return;
    }
    let line_deltas: Decimal = r.lines.iter().map(|l| d(&l.delta)).sum();
    let credit_delta = d(&r.scenario_totals.as_ref().unwrap().credits)
        - d(&r.baseline_totals.as_ref().unwrap().credits);
    assert_eq!(
        line_deltas + credit_delta,
        d(&r.delta),
        "line and credit deltas add up"
    );
}

/// A price deck in proto3 JSON with the given `(material, price per kg)` pairs.
pub fn deck(id: &str, prices: &[(&str, &str)]) -> serde_json::Value {
    let prices: Vec<_> = prices
        .iter()
        .map(|(m, p)| serde_json::json!({"materialId": m, "price": p, "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_MARKET"}))
        .collect();
    serde_json::json!({"id": id, "currency": "USD", "asOfDate": "2026-01-01", "prices": prices})
}

/// The line at readable `path`.
pub fn line<'a>(r: &'a pb::CalculateImpactResponse, path: &str) -> &'a pb::LineResult {
    r.lines.iter().find(|l| l.path == path).unwrap_or_else(|| {
        panic!(
            "no line {path}; lines: {:?}",
            r.lines.iter().map(|l| &l.path).collect::<Vec<_>>()
        )
    })
}

/// The charge of `measure` on a line side.
pub fn charge<'a>(side: &'a Option<pb::LineSide>, measure: &str) -> &'a pb::Charge {
    let side = side.as_ref().unwrap();
    side.charges
        .iter()
        .find(|c| c.measure_id == measure)
        .unwrap_or_else(|| {
            panic!(
                "no charge {measure}; charges: {:?}",
                side.charges
                    .iter()
                    .map(|c| &c.measure_id)
                    .collect::<Vec<_>>()
            )
        })
}

/// The duties charged on line `path` on one side (fees left out), as (measure id, rounded
/// amount) pairs in charge order.
pub fn duties(
    r: &pb::CalculateImpactResponse,
    path: &str,
    scenario: bool,
) -> Vec<(String, String)> {
    let l = line(r, path);
    let side = if scenario { &l.scenario } else { &l.baseline };
    side.as_ref()
        .unwrap()
        .charges
        .iter()
        .filter(|c| c.program != 0)
        .map(|c| (c.measure_id.clone(), amount(&c.amount).to_string()))
        .collect()
}

/// Whether a call ended by its deadline: the server's DEADLINE_EXCEEDED, or tonic's own
/// client-side timer (CANCELLED, "Timeout expired"), which may fire first on a busy machine
/// when the server's answer, sent 50 ms before, is late.
pub fn ended_by_deadline(s: &tonic::Status) -> bool {
    s.code() == tonic::Code::DeadlineExceeded
        || (s.code() == tonic::Code::Cancelled && s.message().contains("Timeout expired"))
}

/// The JSON log lines (`--json-logs`) of a server process, read by a thread as they come, so
/// the pipe never fills; the first carries the listening address in `fields.addr`.
pub fn json_logs(
    stdout: std::process::ChildStdout,
) -> std::sync::mpsc::Receiver<serde_json::Value> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let log = serde_json::from_str(&line).unwrap_or_default();
            if tx.send(log).is_err() {
                return;
            }
        }
    });
    rx
}

/// The `unit_cost` rows of an export workbook's `total` sheet: per scenario (its
/// `scenario_name`, sorted), the number in `column` (`baseline`, `scenario` or `delta`); a
/// cell that is not a number fails the test.
pub fn workbook_unit_costs(xlsx: &[u8], column: &str) -> Vec<(String, f64)> {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let total = book.worksheet_range("total").unwrap();
    let mut rows = total.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|d| d.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut found: Vec<(String, f64)> = rows
        .filter(|r| r[col("name")] == "unit_cost")
        .map(|r| match &r[col(column)] {
            Data::Float(f) => (r[col("scenario_name")].to_string(), *f),
            other => panic!("unit_cost {column} not a number: {other:?}"),
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}
