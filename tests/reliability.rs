//! Bounded work and honest failures, proven against the real server: requests over a budget
//! are refused before they run (with the estimate, the budget and the flag), a client that
//! goes away stops its work and frees its slot, an idle batch stream is closed, malformed
//! protobuf is INVALID_ARGUMENT naming the field (per item in a batch), error details stay
//! small enough for every client, and SIGTERM during heavy work drains, stops the work and
//! exits in the stated time. No test assumes how fast the machine is: slow work is a debug
//! build's calculation that runs until it is stopped.

mod common;

use common::{TestServer, deck, request};
use prost::Message;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tariff_impact::api::calculate::BLOCKING_BOM_ID;
use tariff_impact::api::capacity::CapacitySettings;
use tariff_impact::pb;
use tariff_impact::server::ServerConfig;
use tonic::Code;
use tonic_types::StatusExt;

fn config() -> ServerConfig {
    ServerConfig {
        drain_grace: Duration::from_millis(10),
        ..ServerConfig::default()
    }
}

/// `n` material lines under a schedule with no measures and no fees.
fn plain(n: usize, view: &str) -> pb::CalculateImpactRequest {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"id": format!("m{i}"), "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"}))
        .collect();
    request(json!({
        "bom": {"id": "b", "currency": "USD", "items": items},
        "baselinePrices": deck("p0", &[("nd-oxide", "87")]),
        "scenarioPrices": deck("p1", &[("nd-oxide", "225")]),
        "baselineSchedule": {"id": "empty", "currency": "USD"},
        "options": {"entryDate": "2026-03-02", "view": view}
    }))
}

fn blocking() -> pb::CalculateImpactRequest {
    let mut req = plain(1, "RESULT_VIEW_FULL");
    req.bom_source = Some(pb::calculate_impact_request::BomSource::BomId(
        BLOCKING_BOM_ID.into(),
    ));
    req
}

/// Calls `f` until it returns `Some`, for at most a minute.
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(mut f: impl FnMut() -> F) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never happened");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn error_info(s: &tonic::Status) -> (String, String, String, String) {
    let info = s.get_details_error_info().expect("a google.rpc.ErrorInfo");
    let m = |k: &str| info.metadata.get(k).cloned().unwrap_or_default();
    (info.reason.clone(), m("estimate"), m("limit"), m("flag"))
}

/// Counted by hand for L material lines of one material, no imports, no measures, no fees:
/// two goods walks (2L), the material summaries (L), a stockpile pass (L), and a full
/// response of L lines and one material summary (L + 1): 5L + 1 units. For L = 1,000: 5,001.
#[tokio::test]
async fn a_request_over_the_work_budget_is_refused_before_it_runs() {
    let mut budgets = config().budgets;
    budgets.max_call_work = 5_000;
    let server = TestServer::start_with(ServerConfig {
        budgets,
        ..config()
    })
    .await;
    let s = server
        .costs()
        .await
        .calculate_impact(plain(1_000, "RESULT_VIEW_FULL"))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::ResourceExhausted, "{s:?}");
    assert_eq!(
        error_info(&s),
        (
            "WORK_BUDGET_EXCEEDED".into(),
            "5001".into(),
            "5000".into(),
            "--max-call-work".into()
        )
    );
    assert!(s.message().starts_with("this request would take about 5001 units of work, over the server's budget of 5000 (--max-call-work)"), "{s:?}");
    // One line fewer is 4,996 units: it runs.
    let r = server
        .costs()
        .await
        .calculate_impact(plain(999, "RESULT_VIEW_FULL"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.delta.unwrap().amount, "137862.00", "999 x (225 - 87)");
}

/// A full view that is surely over the response limit (1,000 lines of at least 120 bytes
/// each) is refused before it runs, naming the summary view as the way out; the summary
/// view of the same request is answered.
#[tokio::test]
async fn a_response_over_the_size_limit_is_refused_and_the_summary_view_suggested() {
    let mut budgets = config().budgets;
    budgets.max_response_bytes = 64 * 1024;
    let server = TestServer::start_with(ServerConfig {
        budgets,
        ..config()
    })
    .await;
    let s = server
        .costs()
        .await
        .calculate_impact(plain(1_000, "RESULT_VIEW_FULL"))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::ResourceExhausted, "{s:?}");
    assert_eq!(error_info(&s).0, "RESPONSE_TOO_LARGE");
    assert!(s.message().contains("RESULT_VIEW_SUMMARY"), "{s:?}");
    let r = server
        .costs()
        .await
        .calculate_impact(plain(1_000, "RESULT_VIEW_SUMMARY"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.delta.unwrap().amount, "138000.00");
    assert!(r.lines.is_empty());
}

#[tokio::test]
async fn a_request_over_the_memory_budget_is_refused() {
    let mut budgets = config().budgets;
    budgets.max_call_memory = 1024 * 1024;
    let server = TestServer::start_with(ServerConfig {
        budgets,
        ..config()
    })
    .await;
    let s = server
        .costs()
        .await
        .calculate_impact(plain(5_000, "RESULT_VIEW_SUMMARY"))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::ResourceExhausted, "{s:?}");
    let (reason, estimate, limit, flag) = error_info(&s);
    assert_eq!(
        (reason.as_str(), limit.as_str(), flag.as_str()),
        ("MEMORY_BUDGET_EXCEEDED", "1048576", "--max-call-memory-mib")
    );
    assert!(estimate.parse::<u64>().unwrap() > 1024 * 1024);
}

/// A client that goes away (no deadline of its own) stops its work: the one calculation
/// slot it held comes back.
#[tokio::test]
async fn a_client_that_goes_away_stops_its_work_and_frees_its_slot() {
    let server = TestServer::start_with(ServerConfig {
        capacity: CapacitySettings {
            max_calculations: 1,
            ..CapacitySettings::default()
        },
        ..config()
    })
    .await;
    let mut costs = server.costs().await;
    let abandoned = tokio::spawn(async move { costs.calculate_impact(blocking()).await });
    // While it runs, another heavy call finds the only slot taken.
    let probe = |server: &TestServer| {
        let server_addr = server.addr;
        async move {
            let ch = tonic::transport::Channel::from_shared(format!("http://{server_addr}"))
                .unwrap()
                .connect()
                .await
                .unwrap();
            let mut req = tonic::Request::new(blocking());
            req.set_timeout(Duration::from_millis(300));
            let s = pb::cost_impact_service_client::CostImpactServiceClient::new(ch)
                .calculate_impact(req)
                .await
                .unwrap_err();
            // A busy machine may let tonic's client-side timer fire before the server's
            // DEADLINE_EXCEEDED arrives: the call ended by its deadline either way.
            if common::ended_by_deadline(&s) {
                Code::DeadlineExceeded
            } else {
                s.code()
            }
        }
    };
    eventually(|| async { (probe(&server).await == Code::ResourceExhausted).then_some(()) }).await;
    abandoned.abort();
    // Its slot comes back: the next heavy call runs (until its own deadline).
    eventually(|| async { (probe(&server).await == Code::DeadlineExceeded).then_some(()) }).await;
}

/// A batch stream that sends nothing is closed after the idle timeout, and its slot is
/// given back.
#[tokio::test]
async fn an_idle_batch_stream_is_closed_and_its_slot_given_back() {
    let server = TestServer::start_with(ServerConfig {
        batch_idle_timeout: Duration::from_millis(300),
        capacity: CapacitySettings {
            max_batch_streams: 1,
            ..CapacitySettings::default()
        },
        ..config()
    })
    .await;
    let (_tx, rx) = tokio::sync::mpsc::channel::<pb::CalculateBatchRequest>(1);
    let mut stream = server
        .costs()
        .await
        .calculate_batch(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let s = stream.message().await.unwrap_err();
    assert_eq!(s.code(), Code::DeadlineExceeded, "{s:?}");
    assert!(s.message().contains("--batch-idle-seconds"), "{s:?}");
    // The slot is free again: a new stream is served.
    let items = vec![pb::CalculateBatchRequest {
        request_id: "after".into(),
        calculation: Some(plain(1, "RESULT_VIEW_SUMMARY")),
    }];
    let out = eventually(|| {
        let items = items.clone();
        let server = &server;
        async move {
            let mut s = server
                .costs()
                .await
                .calculate_batch(tokio_stream::iter(items))
                .await
                .ok()?
                .into_inner();
            s.message().await.ok()?
        }
    })
    .await;
    assert_eq!(out.request_id, "after");
}

/// Sends `body` as the raw protobuf of a unary call to `path`.
async fn raw_unary(server: &TestServer, path: &'static str, body: Vec<u8>) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    grpc.ready().await.unwrap();
    grpc.unary::<_, pb::CalculateImpactResponse, _>(
        tonic::Request::new(body),
        http::uri::PathAndQuery::from_static(path),
        RawCodec,
    )
    .await
    .unwrap_err()
}

/// Encodes raw bytes as they are; decodes responses with prost.
#[derive(Default)]
struct RawCodec;

struct RawEncoder;

struct ProstDecoder;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = pb::CalculateImpactResponse;
    type Encoder = RawEncoder;
    type Decoder = ProstDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> ProstDecoder {
        ProstDecoder
    }
}

impl tonic::codec::Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        buf: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        bytes::BufMut::put_slice(buf, &item);
        Ok(())
    }
}

impl tonic::codec::Decoder for ProstDecoder {
    type Item = pb::CalculateImpactResponse;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        buf: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Self::Item>, tonic::Status> {
        pb::CalculateImpactResponse::decode(buf)
            .map(Some)
            .map_err(|e| tonic::Status::internal(e.to_string()))
    }
}

fn bad_request(s: &tonic::Status) -> (String, String) {
    assert_eq!(s.code(), Code::InvalidArgument, "{s:?}");
    let v = &s
        .get_details_bad_request()
        .expect("BadRequest")
        .field_violations[0];
    (v.field.clone(), v.reason.clone())
}

/// A good request's bytes with the second item's id replaced by invalid UTF-8.
fn invalid_utf8() -> Vec<u8> {
    let mut req = plain(2, "RESULT_VIEW_FULL");
    if let Some(pb::calculate_impact_request::BomSource::Bom(b)) = &mut req.bom_source {
        b.items[1].id = "\u{1}\u{1}".into();
    }
    let mut bytes = req.encode_to_vec();
    let at = bytes.windows(2).position(|w| w == [1, 1]).unwrap();
    bytes[at] = 0xff;
    bytes
}

#[tokio::test]
async fn malformed_protobuf_is_invalid_argument_naming_the_field() {
    let server = TestServer::start().await;
    let path = "/tariff.v1.CostImpactService/CalculateImpact";
    assert_eq!(
        bad_request(&raw_unary(&server, path, invalid_utf8()).await),
        ("bom.items[1].id".into(), "INVALID_UTF8".into())
    );
    // bom_id (field 1) sent as a varint instead of a string.
    assert_eq!(
        bad_request(&raw_unary(&server, path, vec![0x08, 0x01]).await),
        ("bom_id".into(), "WIRE_TYPE_MISMATCH".into())
    );
    // 120 levels of children: deeper than protobuf decoding allows.
    let mut item = pb::BomItem {
        material_id: "nd-oxide".into(),
        ..Default::default()
    };
    for _ in 0..120 {
        item = pb::BomItem {
            children: vec![item],
            ..Default::default()
        };
    }
    let deep = pb::CalculateImpactRequest {
        bom_source: Some(pb::calculate_impact_request::BomSource::Bom(pb::Bom {
            items: vec![item],
            ..Default::default()
        })),
        ..Default::default()
    };
    let (field, reason) = bad_request(&raw_unary(&server, path, deep.encode_to_vec()).await);
    assert_eq!(reason, "NESTING_TOO_DEEP");
    assert!(
        field.starts_with("bom.items[0].children[0].children[0]"),
        "{field}"
    );
    // Two million empty items: 4 MB that would decode to about a gigabyte.
    let flood = pb::CalculateImpactRequest {
        bom_source: Some(pb::calculate_impact_request::BomSource::Bom(pb::Bom {
            items: vec![pb::BomItem::default(); 2_000_000],
            ..Default::default()
        })),
        ..Default::default()
    };
    let s = raw_unary(&server, path, flood.encode_to_vec()).await;
    assert_eq!(s.code(), Code::ResourceExhausted, "{s:?}");
    assert_eq!(error_info(&s).0, "DECODED_SIZE_EXCEEDED");
    // The server goes on serving.
    server
        .costs()
        .await
        .calculate_impact(plain(1, "RESULT_VIEW_SUMMARY"))
        .await
        .unwrap();
}

/// In a batch, a malformed item fails alone, with its request id when it can be read.
#[tokio::test]
async fn a_malformed_batch_item_fails_alone() {
    let server = TestServer::start().await;
    let good = |id: &str| pb::CalculateBatchRequest {
        request_id: id.into(),
        calculation: Some(plain(1, "RESULT_VIEW_SUMMARY")),
    };
    let mut bad = pb::CalculateBatchRequest {
        request_id: "bad".into(),
        calculation: None,
    }
    .encode_to_vec();
    // calculation (field 2) = the invalid-UTF-8 request.
    let inner = invalid_utf8();
    bad.push(0x12);
    prost::encoding::encode_varint(inner.len() as u64, &mut bad);
    bad.extend_from_slice(&inner);
    let items = vec![good("a").encode_to_vec(), bad, good("c").encode_to_vec()];
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    grpc.ready().await.unwrap();
    let mut out = grpc
        .streaming::<_, _, pb::CalculateBatchResponse, _>(
            tonic::Request::new(tokio_stream::iter(items)),
            http::uri::PathAndQuery::from_static("/tariff.v1.CostImpactService/CalculateBatch"),
            BatchCodec,
        )
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    while let Some(r) = out.message().await.unwrap() {
        seen.push(match r.outcome.unwrap() {
            pb::calculate_batch_response::Outcome::Result(_) => format!("{}:ok", r.request_id),
            pb::calculate_batch_response::Outcome::Error(e) => format!(
                "{}:{}:{}:{}",
                r.request_id, e.code, e.field_violations[0].field, e.field_violations[0].reason
            ),
            pb::calculate_batch_response::Outcome::Summary(s) => {
                format!("summary:{}/{}", s.succeeded, s.failed)
            }
        });
    }
    assert_eq!(
        seen,
        [
            "a:ok",
            "bad:INVALID_ARGUMENT:calculation.bom.items[1].id:INVALID_UTF8",
            "c:ok",
            "summary:2/1"
        ]
    );
}

#[derive(Default)]
struct BatchCodec;

struct BatchDecoder;

impl tonic::codec::Codec for BatchCodec {
    type Encode = Vec<u8>;
    type Decode = pb::CalculateBatchResponse;
    type Encoder = RawEncoder;
    type Decoder = BatchDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> BatchDecoder {
        BatchDecoder
    }
}

impl tonic::codec::Decoder for BatchDecoder {
    type Item = pb::CalculateBatchResponse;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        buf: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Self::Item>, tonic::Status> {
        pb::CalculateBatchResponse::decode(buf)
            .map(Some)
            .map_err(|e| tonic::Status::internal(e.to_string()))
    }
}

/// Thousands of invalid fields with values of a kilobyte, and an unknown preset id of a
/// megabyte, still reach the client as INVALID_ARGUMENT and NOT_FOUND with their details,
/// in trailers of a few KiB.
#[tokio::test]
async fn error_details_stay_small_enough_for_every_client() {
    let server = TestServer::start_with(ServerConfig {
        max_request_bytes: 64 * 1024 * 1024,
        ..config()
    })
    .await;
    let bad = "9".repeat(1_000);
    let items: Vec<Value> = (0..2_000)
        .map(|i| json!({"id": format!("m{i}"), "materialId": "nd-oxide", "quantity": bad, "unit": "UNIT_OF_MEASURE_KG"}))
        .collect();
    let req = request(json!({
        "bom": {"id": "b", "currency": "USD", "items": items},
        "baselinePrices": deck("p0", &[("nd-oxide", "87")]),
        "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
    }));
    let s = server
        .costs()
        .await
        .calculate_impact(req)
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::InvalidArgument, "{s:?}");
    assert!(s.details().len() <= 4096, "{}", s.details().len());
    assert!(s.message().len() <= 1024);
    let v = s.get_details_bad_request().unwrap().field_violations;
    assert_eq!(
        (v[0].field.as_str(), v[0].reason.as_str()),
        ("bom.items[0].quantity", "EXCESS_PRECISION")
    );
    assert!(
        v.last()
            .unwrap()
            .description
            .ends_with("more violation(s) not listed; fix these and send again")
    );

    let mut req = plain(1, "RESULT_VIEW_SUMMARY");
    req.bom_source = Some(pb::calculate_impact_request::BomSource::BomId(
        "x".repeat(1 << 20),
    ));
    let s = server
        .costs()
        .await
        .calculate_impact(req)
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::NotFound);
    assert!(s.details().len() <= 4096 && s.message().len() <= 1024);
    assert!(s.get_details_resource_info().is_some());
}

/// The real binary, SIGTERM during a calculation that never ends by itself: health turns
/// NOT_SERVING, the drain times out, the calculation is stopped and answered UNAVAILABLE,
/// and the process exits, all within grace + drain timeout and a little more.
#[tokio::test]
async fn sigterm_during_heavy_work_drains_stops_the_work_and_exits() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
        .env("TARIFF_READ_ONLY_CATALOG", "true")
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--drain-grace-seconds",
            "1",
            "--drain-timeout-seconds",
            "1",
            "--json-logs",
        ])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The address is in the first log line: {"fields": {"addr": "127.0.0.1:...", ...}}.
    let logs = common::json_logs(child.stdout.take().unwrap());
    let addr = loop {
        let log = logs.recv_timeout(Duration::from_secs(60)).unwrap();
        if let Some(addr) = log["fields"]["addr"].as_str() {
            break addr.to_string();
        }
    };
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut costs = pb::cost_impact_service_client::CostImpactServiceClient::new(channel.clone());
    let call = tokio::spawn(async move { costs.calculate_impact(blocking()).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let health = tonic_health::pb::health_client::HealthClient::new(channel);
    let status = eventually(|| {
        let mut h = health.clone();
        async move {
            let s = h
                .check(tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .ok()?
                .into_inner()
                .status();
            (s != tonic_health::pb::health_check_response::ServingStatus::Serving).then_some(s)
        }
    })
    .await;
    assert_eq!(
        status,
        tonic_health::pb::health_check_response::ServingStatus::NotServing
    );
    drop(health);
    let answered = call.await.unwrap().unwrap_err();
    assert_eq!(answered.code(), Code::Unavailable, "{answered:?}");
    assert!(answered.message().contains("shutting down"), "{answered:?}");
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "did not exit");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exit.success(), "{exit:?}");
    // Grace 1 s + drain timeout 1 s + 0.2 s for stopped calls: the rest is start-up noise.
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "the drain was not honoured"
    );
}

/// Every tariff call holds one of `--max-concurrent-calls` slots from its headers to its
/// response: with one, a call in flight makes the next one shed at once, small or not.
#[tokio::test]
async fn calls_in_flight_are_bounded_from_their_headers() {
    let server = TestServer::start_with(ServerConfig {
        capacity: CapacitySettings {
            max_calls: 1,
            ..CapacitySettings::default()
        },
        ..config()
    })
    .await;
    let mut slow = tonic::Request::new(blocking());
    slow.set_timeout(Duration::from_secs(2));
    let mut costs = server.costs().await;
    let in_flight = tokio::spawn(async move { costs.calculate_impact(slow).await });
    let shed = eventually(|| async {
        server
            .costs()
            .await
            .calculate_impact(plain(1, "RESULT_VIEW_SUMMARY"))
            .await
            .err()
    })
    .await;
    assert_eq!(shed.code(), Code::ResourceExhausted, "{shed:?}");
    assert!(
        shed.message().contains("--max-concurrent-calls"),
        "{shed:?}"
    );
    // The slow call ends by its 2 s deadline: the server's DEADLINE_EXCEEDED, or, when a busy
    // machine delivers that later than the client's own timer fires, tonic's CANCELLED
    // ("Timeout expired"). Either way it ended by its deadline, not by an answer.
    let ended = in_flight.await.unwrap().unwrap_err();
    assert!(common::ended_by_deadline(&ended), "{ended:?}");
    // Health is never gated.
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel().await);
    health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
}

/// Health served apart (`--health-listen`) answers on its own thread and follows the drain.
#[tokio::test]
async fn health_served_apart_follows_the_drain() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut server = TestServer::start_with(ServerConfig {
        health_listen: Some(addr),
        drain_grace: Duration::from_secs(30),
        ..config()
    })
    .await;
    let status = || async {
        let ch = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .ok()?;
        tonic_health::pb::health_client::HealthClient::new(ch)
            .check(tonic_health::pb::HealthCheckRequest {
                service: "tariff.v1.CostImpactService".into(),
            })
            .await
            .ok()
            .map(|r| r.into_inner().status())
    };
    use tonic_health::pb::health_check_response::ServingStatus;
    assert_eq!(
        eventually(|| async { status().await }).await,
        ServingStatus::Serving
    );
    server.trigger_shutdown();
    eventually(|| async { (status().await == Some(ServingStatus::NotServing)).then_some(()) })
        .await;
}
