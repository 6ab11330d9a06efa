//! Production hardening, each guard proven against the real server: request size, request
//! limits, overload shedding, deadlines, panic isolation, graceful drain, TLS and mTLS,
//! bearer authentication, and reflection turned off.

mod common;

use common::{TestServer, deck, request};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tariff_impact::api::capacity::CapacitySettings;
use tariff_impact::convert::Limits;
use tariff_impact::pb;
use tariff_impact::pb::cost_impact_service_client::CostImpactServiceClient;
use tariff_impact::server::{ServerConfig, TlsFiles};
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

fn config() -> ServerConfig {
    ServerConfig {
        drain_grace: Duration::from_millis(10),
        ..ServerConfig::default()
    }
}

fn nd_items(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"id": format!("m{i}"), "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"}))
        .collect()
}

fn calc(items: Vec<Value>) -> Value {
    json!({
        "bom": {"id": "b", "currency": "USD", "items": items},
        "baselinePrices": deck("p0", &[("nd-oxide", "87")]),
        "scenarioPrices": deck("p1", &[("nd-oxide", "225")]),
        "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
    })
}

async fn health(server: &TestServer) -> tonic_health::pb::health_check_response::ServingStatus {
    let mut h = tonic_health::pb::health_client::HealthClient::new(server.channel().await);
    h.check(tonic_health::pb::HealthCheckRequest {
        service: "tariff.v1.CostImpactService".into(),
    })
    .await
    .unwrap()
    .into_inner()
    .status()
}

async fn ok_call(server: &TestServer) {
    let r = server
        .costs()
        .await
        .calculate_impact(request(calc(nd_items(1))))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.delta.unwrap().amount, "138.00");
}

#[tokio::test]
async fn a_request_over_the_size_limit_is_resource_exhausted() {
    let server = TestServer::start_with(ServerConfig {
        max_request_bytes: 16 * 1024,
        ..config()
    })
    .await;
    let mut big = calc(nd_items(1));
    big["bom"]["description"] = json!("x".repeat(20 * 1024));
    let status = server
        .costs()
        .await
        .calculate_impact(request(big))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    ok_call(&server).await;
}

#[tokio::test]
async fn request_limits_are_configurable() {
    let server = TestServer::start_with(ServerConfig {
        limits: Limits {
            max_items: 10,
            max_depth: 2,
            max_scenarios: 1,
            max_inputs: 1,
            ..Limits::default()
        },
        ..config()
    })
    .await;
    let field = |s: &tonic::Status| {
        use tonic_types::StatusExt;
        assert_eq!(s.code(), Code::InvalidArgument);
        let v = &s.get_details_bad_request().unwrap().field_violations[0];
        (v.field.clone(), v.reason.clone())
    };
    let too_many = server
        .costs()
        .await
        .calculate_impact(request(calc(nd_items(11))))
        .await
        .unwrap_err();
    assert_eq!(
        field(&too_many),
        ("bom.items".into(), "INVALID_STRUCTURE".into())
    );
    let deep = calc(vec![json!({"children": [{"children": nd_items(1)}]})]);
    let too_deep = server
        .costs()
        .await
        .calculate_impact(request(deep))
        .await
        .unwrap_err();
    assert_eq!(field(&too_deep).1, "INVALID_STRUCTURE");
    let cmp: pb::CompareScenariosRequest = serde_json::from_value(json!({
        "bomId": "ev-high-ree", "baselinePricesId": "ree-pre-restriction", "baselineScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02"}, "scenarios": [{"name": "a"}, {"name": "b"}]}))
    .unwrap();
    let s = server
        .costs()
        .await
        .compare_scenarios(cmp)
        .await
        .unwrap_err();
    assert_eq!(field(&s), ("scenarios".into(), "OUT_OF_RANGE".into()));
    let sens: pb::AnalyzeSensitivityRequest = serde_json::from_value(json!({
        "calculation": calc(nd_items(2)),
        "inputs": [{"name": "a", "quantity": {"itemPaths": ["m0"]}, "low": "1", "base": "1", "high": "2"},
                   {"name": "b", "quantity": {"itemPaths": ["m1"]}, "low": "1", "base": "1", "high": "2"}]}))
    .unwrap();
    let s = server
        .costs()
        .await
        .analyze_sensitivity(sens)
        .await
        .unwrap_err();
    assert_eq!(field(&s), ("inputs".into(), "OUT_OF_RANGE".into()));
    ok_call(&server).await;
}

/// The HTTP/2 guards are set explicitly: the server advertises its stream limit, and a
/// client whose header list is over the limit is refused while the server goes on serving.
#[tokio::test]
async fn http2_guards_are_advertised_and_enforced() {
    let server = TestServer::start_with(ServerConfig {
        max_concurrent_streams: 7,
        max_header_list_size: 8 * 1024,
        ..config()
    })
    .await;
    // A raw HTTP/2 client reads the SETTINGS the server sends.
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut h2, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    let health = http::Request::builder()
        .method("POST")
        .uri(format!(
            "http://{}/grpc.health.v1.Health/Check",
            server.addr
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    let (response, mut body) = h2.send_request(health, false).unwrap();
    body.send_data(bytes::Bytes::from_static(&[0, 0, 0, 0, 0]), true)
        .unwrap();
    assert_eq!(response.await.unwrap().status(), 200);
    assert_eq!(h2.current_max_send_streams(), 7);

    let mut big = tonic::Request::new(request(calc(nd_items(1))));
    big.metadata_mut()
        .insert("x-padding", "x".repeat(10 * 1024).parse().unwrap());
    let refused = server
        .costs()
        .await
        .calculate_impact(big)
        .await
        .unwrap_err();
    // hyper answers HTTP 431 (Request Header Fields Too Large) before any gRPC handler runs;
    // the gRPC client maps an HTTP status without grpc-status to UNKNOWN.
    assert_eq!(refused.code(), Code::Unknown, "{refused:?}");
    assert!(refused.message().contains("431"), "{refused:?}");
    ok_call(&server).await;
}

/// A request whose calculation runs until it is stopped (debug builds only): proves what
/// stopping does without assuming how long any real calculation takes.
fn blocking() -> pb::CalculateImpactRequest {
    let mut req = request(calc(nd_items(1)));
    req.bom_source = Some(pb::calculate_impact_request::BomSource::BomId(
        tariff_impact::api::calculate::BLOCKING_BOM_ID.into(),
    ));
    req
}

/// Calls `f` until it returns `Some`, for at most a minute: for what the server does just
/// after answering (a stopped calculation gives its slot back within milliseconds).
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

/// A request of over 16 KiB (a long description on its inline deck): a large call.
fn large(mut req: pb::CalculateImpactRequest) -> pb::CalculateImpactRequest {
    let mut deck: pb::PriceDeck =
        serde_json::from_value(deck("p0", &[("nd-oxide", "87")])).unwrap();
    deck.description = "x".repeat(20 * 1024);
    req.baseline_prices_source =
        Some(pb::calculate_impact_request::BaselinePricesSource::BaselinePrices(deck));
    req
}

/// With one slot for large calls, a large call in flight holds it: the next large call is
/// shed at once with RESOURCE_EXHAUSTED instead of waiting, while a small call is still
/// answered; once the first ends the slot is free again. A batch stream has slots of its
/// own, so an open stream does not block unary calls.
#[tokio::test]
async fn excess_calls_are_shed_at_once() {
    let server = TestServer::start_with(ServerConfig {
        capacity: CapacitySettings {
            max_large_calls: 1,
            max_batch_streams: 1,
            ..CapacitySettings::default()
        },
        ..config()
    })
    .await;
    let mut slow = tonic::Request::new(large(blocking()));
    slow.set_timeout(Duration::from_secs(2));
    let mut costs = server.costs().await;
    let in_flight = tokio::spawn(async move { costs.calculate_impact(slow).await });
    // Wait until the blocking call holds the slot: a second large call is then shed.
    let shed = eventually(|| async {
        server
            .costs()
            .await
            .calculate_impact(large(request(calc(nd_items(1)))))
            .await
            .err()
    })
    .await;
    assert_eq!(shed.code(), Code::ResourceExhausted);
    assert!(shed.message().contains("--max-large-calls"), "{shed:?}");
    ok_call(&server).await;
    // It ends by its 2 s deadline: the server's DEADLINE_EXCEEDED, or tonic's client-side
    // CANCELLED ("Timeout expired") when a busy machine delivers that later than the client's
    // own timer fires.
    let first = in_flight.await.unwrap().unwrap_err();
    assert!(common::ended_by_deadline(&first), "{first:?}");
    ok_call(&server).await;

    // An open batch stream holds its own slot: unary calls go on, a second stream is shed.
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::CalculateBatchRequest>(1);
    let mut stream = server
        .costs()
        .await
        .calculate_batch(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    ok_call(&server).await;
    let (_tx2, rx2) = tokio::sync::mpsc::channel::<pb::CalculateBatchRequest>(1);
    let second = match server
        .costs()
        .await
        .calculate_batch(tokio_stream::wrappers::ReceiverStream::new(rx2))
        .await
    {
        Err(s) => s,
        Ok(r) => r.into_inner().message().await.unwrap_err(),
    };
    assert_eq!(second.code(), Code::ResourceExhausted);
    assert!(
        second.message().contains("--max-batch-streams"),
        "{second:?}"
    );
    drop(tx);
    while stream.message().await.unwrap().is_some() {}
}

/// The server's maximum duration and the client's deadline both stop the work itself: the
/// call is answered DEADLINE_EXCEEDED by the server, and its calculation slot is given back.
#[tokio::test]
async fn the_server_maximum_and_the_client_deadline_are_honoured() {
    let server = TestServer::start_with(ServerConfig {
        max_call_duration: Duration::from_millis(200),
        capacity: CapacitySettings {
            max_calculations: 1,
            ..CapacitySettings::default()
        },
        ..config()
    })
    .await;
    let s = server
        .costs()
        .await
        .calculate_impact(blocking())
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::DeadlineExceeded, "{s:?}");
    assert!(
        s.message()
            .starts_with("the calculation did not finish within its deadline of 200 ms"),
        "{s:?}"
    );
    // The one calculation slot comes back: the next heavy call runs (and stops) too.
    let again = eventually(|| async {
        let s = server
            .costs()
            .await
            .calculate_impact(blocking())
            .await
            .unwrap_err();
        (s.code() != Code::ResourceExhausted).then_some(s)
    })
    .await;
    assert_eq!(again.code(), Code::DeadlineExceeded, "{again:?}");

    let roomy = TestServer::start().await;
    // The server answers DEADLINE_EXCEEDED itself 50 ms before the client's own timer would
    // (api::guard's unit test pins the margin); on a machine too busy to deliver it within
    // those 50 ms the client's timer wins (tonic: CANCELLED, "Timeout expired"). What must
    // never happen is a result or another error.
    let mut req = tonic::Request::new(blocking());
    req.set_timeout(Duration::from_millis(300));
    let s = roomy.costs().await.calculate_impact(req).await.unwrap_err();
    assert!(common::ended_by_deadline(&s), "{s:?}");
    if s.code() == Code::DeadlineExceeded {
        assert!(
            s.message().starts_with("the calculation did not finish"),
            "answered by the server: {s:?}"
        );
    }
    ok_call(&roomy).await;
}

#[tokio::test]
async fn a_panic_is_internal_for_that_call_and_the_server_goes_on() {
    let server = TestServer::start().await;
    let mut req = request(calc(nd_items(1)));
    req.bom_source = Some(pb::calculate_impact_request::BomSource::BomId(
        tariff_impact::api::calculate::FAULT_INJECTION_BOM_ID.into(),
    ));
    let s = server
        .costs()
        .await
        .calculate_impact(req.clone())
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::Internal);
    ok_call(&server).await;
    // In a batch, the panicking item alone fails.
    let items = vec![
        pb::CalculateBatchRequest {
            request_id: "a".into(),
            calculation: Some(request(calc(nd_items(1)))),
        },
        pb::CalculateBatchRequest {
            request_id: "boom".into(),
            calculation: Some(req),
        },
        pb::CalculateBatchRequest {
            request_id: "c".into(),
            calculation: Some(request(calc(nd_items(1)))),
        },
    ];
    let mut out = server
        .costs()
        .await
        .calculate_batch(tokio_stream::iter(items))
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    while let Some(r) = out.message().await.unwrap() {
        seen.push(match r.outcome.unwrap() {
            pb::calculate_batch_response::Outcome::Result(_) => format!("{}:ok", r.request_id),
            pb::calculate_batch_response::Outcome::Error(e) => {
                format!("{}:{}", r.request_id, e.code)
            }
            pb::calculate_batch_response::Outcome::Summary(s) => {
                format!("summary:{}/{}", s.succeeded, s.failed)
            }
        });
    }
    assert_eq!(seen, ["a:ok", "boom:INTERNAL", "c:ok", "summary:2/1"]);
}

/// SIGTERM-style drain: health turns NOT_SERVING first, an open stream keeps being served
/// through the grace and finishes, then the server stops.
#[tokio::test]
async fn shutdown_drains_health_first_and_finishes_in_flight_calls() {
    let mut server = TestServer::start_with(ServerConfig {
        drain_grace: Duration::from_millis(500),
        drain_timeout: Duration::from_secs(10),
        ..ServerConfig::default()
    })
    .await;
    let mut costs = server.costs().await;
    let mut health_client =
        tonic_health::pb::health_client::HealthClient::new(server.channel().await);
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::CalculateBatchRequest>(4);
    let mut stream = costs
        .calculate_batch(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let item = |id: &str| pb::CalculateBatchRequest {
        request_id: id.into(),
        calculation: Some(request(calc(nd_items(1)))),
    };
    tx.send(item("before")).await.unwrap();
    assert_eq!(
        stream.message().await.unwrap().unwrap().request_id,
        "before"
    );
    assert_eq!(
        health(&server).await,
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );

    server.trigger_shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let status = health_client
        .check(tonic_health::pb::HealthCheckRequest {
            service: "tariff.v1.CostImpactService".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status();
    assert_eq!(
        status,
        tonic_health::pb::health_check_response::ServingStatus::NotServing
    );
    tx.send(item("during")).await.unwrap();
    assert_eq!(
        stream.message().await.unwrap().unwrap().request_id,
        "during"
    );
    drop(tx);
    let summary = stream.message().await.unwrap().unwrap();
    let Some(pb::calculate_batch_response::Outcome::Summary(s)) = summary.outcome else {
        panic!("expected the summary, got {summary:?}");
    };
    assert_eq!((s.requests, s.succeeded, s.failed), (2, 2, 0));
    assert_eq!(s.total_unit_delta[0].amount, "276.00");
    tokio::time::timeout(Duration::from_secs(10), server.join())
        .await
        .expect("the server stops after draining");
}

struct Pki {
    dir: std::path::PathBuf,
    ca: String,
    client_cert: String,
    client_key: String,
}

fn pki(name: &str) -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };
    let dir = std::env::temp_dir().join(format!("tariff-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf = |names: Vec<String>, eku: ExtendedKeyUsagePurpose| {
        let mut p = CertificateParams::new(names).unwrap();
        p.extended_key_usages = vec![eku];
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = leaf(
        vec!["localhost".into()],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (client_cert, client_key) =
        leaf(vec!["client".into()], ExtendedKeyUsagePurpose::ClientAuth);
    std::fs::write(dir.join("ca.pem"), &ca).unwrap();
    std::fs::write(dir.join("server.pem"), server_cert).unwrap();
    std::fs::write(dir.join("server.key"), server_key).unwrap();
    Pki {
        dir,
        ca,
        client_cert,
        client_key,
    }
}

async fn tls_channel(
    server: &TestServer,
    pki: &Pki,
    with_client_cert: bool,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&pki.ca))
        .domain_name("localhost");
    if with_client_cert {
        tls = tls.identity(Identity::from_pem(&pki.client_cert, &pki.client_key));
    }
    Channel::from_shared(format!("https://{}", server.addr))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate_from_the_ca() {
    let pki = pki("mtls");
    let server = TestServer::start_with(ServerConfig {
        tls: Some(TlsFiles {
            cert: pki.dir.join("server.pem"),
            key: pki.dir.join("server.key"),
            client_ca: Some(pki.dir.join("ca.pem")),
        }),
        ..config()
    })
    .await;
    let channel = tls_channel(&server, &pki, true).await.unwrap();
    let r = CostImpactServiceClient::new(channel)
        .calculate_impact(request(calc(nd_items(1))))
        .await
        .unwrap();
    assert_eq!(r.into_inner().delta.unwrap().amount, "138.00");
    let refused = match tls_channel(&server, &pki, false).await {
        Err(_) => true,
        Ok(ch) => CostImpactServiceClient::new(ch)
            .calculate_impact(request(calc(nd_items(1))))
            .await
            .is_err(),
    };
    assert!(refused, "a client without a certificate must be refused");
    std::fs::remove_dir_all(&pki.dir).unwrap();
}

#[tokio::test]
async fn bearer_token_guards_the_tariff_services_but_not_health() {
    let server = TestServer::start_with(ServerConfig {
        auth_token: Some("s3cret-token".into()),
        ..config()
    })
    .await;
    let with = |token: Option<&str>| {
        let mut r = tonic::Request::new(request(calc(nd_items(1))));
        if let Some(t) = token {
            r.metadata_mut().insert("authorization", t.parse().unwrap());
        }
        r
    };
    let mut costs = server.costs().await;
    assert_eq!(
        costs.calculate_impact(with(None)).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    assert_eq!(
        costs
            .calculate_impact(with(Some("Bearer s3cret-tokeX")))
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    assert!(
        costs
            .calculate_impact(with(Some("Bearer s3cret-token")))
            .await
            .is_ok()
    );
    let mut catalog = server.catalog().await;
    assert_eq!(
        catalog
            .list_boms(pb::ListBomsRequest {})
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    assert_eq!(
        health(&server).await,
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
}

#[tokio::test]
async fn reflection_can_be_turned_off() {
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest, server_reflection_request::MessageRequest,
    };
    let list = || ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let on = TestServer::start().await;
    let mut client = ServerReflectionClient::new(on.channel().await);
    let mut replies = client
        .server_reflection_info(tokio_stream::iter([list()]))
        .await
        .unwrap()
        .into_inner();
    assert!(replies.message().await.unwrap().is_some());
    let off = TestServer::start_with(ServerConfig {
        reflection: false,
        ..config()
    })
    .await;
    let mut client = ServerReflectionClient::new(off.channel().await);
    let status = match client
        .server_reflection_info(tokio_stream::iter([list()]))
        .await
    {
        Err(s) => s,
        Ok(r) => r.into_inner().message().await.unwrap_err(),
    };
    assert_eq!(status.code(), Code::Unimplemented);
}

/// How a TLS client's attempt ended: refused at connect, refused at the first call with a
/// code, or served.
#[derive(Debug, PartialEq)]
enum TlsOutcome {
    ConnectFailed,
    CallFailed(Code),
    Served,
}

async fn tls_outcome(server: &TestServer, tls: Option<ClientTlsConfig>) -> TlsOutcome {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint = Channel::from_shared(format!("{scheme}://{}", server.addr))
        .unwrap()
        .connect_timeout(Duration::from_secs(10));
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls).unwrap();
    }
    let Ok(channel) = endpoint.connect().await else {
        return TlsOutcome::ConnectFailed;
    };
    let mut client = CostImpactServiceClient::new(channel);
    let call = client.calculate_impact(request(calc(nd_items(1))));
    match tokio::time::timeout(Duration::from_secs(10), call).await {
        Ok(Ok(r)) => {
            assert_eq!(r.into_inner().delta.unwrap().amount, "138.00");
            TlsOutcome::Served
        }
        Ok(Err(s)) => TlsOutcome::CallFailed(s.code()),
        Err(_) => panic!("a TLS call hung for 10 s"),
    }
}

fn client_tls(ca: &str, identity: Option<&Pki>) -> ClientTlsConfig {
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca))
        .domain_name("localhost");
    match identity {
        Some(p) => tls.identity(Identity::from_pem(&p.client_cert, &p.client_key)),
        None => tls,
    }
}

/// TLS failure paths: a client trusting another CA cannot connect, a plaintext client gets no
/// answer from a TLS port, a client certificate from another CA is refused under mutual TLS,
/// and without a client CA the server asks for no client certificate at all.
#[tokio::test]
async fn tls_refuses_the_wrong_ca_plaintext_and_foreign_client_certificates() {
    let pki_a = pki("ca-a");
    let pki_b = pki("ca-b");
    let files = |client_ca: bool| TlsFiles {
        cert: pki_a.dir.join("server.pem"),
        key: pki_a.dir.join("server.key"),
        client_ca: client_ca.then(|| pki_a.dir.join("ca.pem")),
    };
    let server_only = TestServer::start_with(ServerConfig {
        tls: Some(files(false)),
        ..config()
    })
    .await;
    // No client CA configured: no client certificate needed, and one is accepted if sent.
    assert_eq!(
        tls_outcome(&server_only, Some(client_tls(&pki_a.ca, None))).await,
        TlsOutcome::Served
    );
    assert_eq!(
        tls_outcome(&server_only, Some(client_tls(&pki_a.ca, Some(&pki_b)))).await,
        TlsOutcome::Served
    );
    // The server's certificate is not from the CA the client trusts.
    assert_eq!(
        tls_outcome(&server_only, Some(client_tls(&pki_b.ca, None))).await,
        TlsOutcome::ConnectFailed
    );
    // HTTP/2 in clear text to a TLS port: the server closes the connection; the client
    // reports its own transport failure (its code depends on when it sees the close: UNKNOWN,
    // INTERNAL or UNAVAILABLE were all observed), never an answer.
    assert_ne!(tls_outcome(&server_only, None).await, TlsOutcome::Served);

    let mutual = TestServer::start_with(ServerConfig {
        tls: Some(files(true)),
        ..config()
    })
    .await;
    assert_eq!(
        tls_outcome(&mutual, Some(client_tls(&pki_a.ca, Some(&pki_a)))).await,
        TlsOutcome::Served
    );
    let foreign = tls_outcome(&mutual, Some(client_tls(&pki_a.ca, Some(&pki_b)))).await;
    assert_ne!(foreign, TlsOutcome::Served, "a certificate from another CA");
    let none = tls_outcome(&mutual, Some(client_tls(&pki_a.ca, None))).await;
    assert_ne!(none, TlsOutcome::Served, "no client certificate");
    std::fs::remove_dir_all(&pki_a.dir).unwrap();
    std::fs::remove_dir_all(&pki_b.dir).unwrap();
}

/// TLS files that cannot be read or parsed stop the server before it serves, naming the file.
#[tokio::test]
async fn unreadable_or_invalid_tls_files_stop_the_server_naming_the_file() {
    let pki = pki("bad-files");
    let missing = pki.dir.join("missing.pem");
    let garbage = pki.dir.join("garbage.key");
    std::fs::write(&garbage, "not a key").unwrap();
    let start = |tls: TlsFiles| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let catalog = std::sync::Arc::new(tariff_impact::catalog::Catalog::builtin().unwrap());
        let config = ServerConfig {
            tls: Some(tls),
            ..config()
        };
        let run = tariff_impact::server::run(listener, catalog, config, std::future::pending());
        match tokio::time::timeout(Duration::from_secs(10), run).await {
            Ok(Err(e)) => e.to_string(),
            Ok(Ok(())) => panic!("the server ran with bad TLS files"),
            Err(_) => panic!("the server started serving with bad TLS files"),
        }
    };
    let cert = pki.dir.join("server.pem");
    let key = pki.dir.join("server.key");
    for (tls, must_name) in [
        (
            TlsFiles {
                cert: missing.clone(),
                key: key.clone(),
                client_ca: None,
            },
            Some(&missing),
        ),
        (
            TlsFiles {
                cert: cert.clone(),
                key: missing.clone(),
                client_ca: None,
            },
            Some(&missing),
        ),
        (
            TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: Some(missing.clone()),
            },
            Some(&missing),
        ),
        (
            TlsFiles {
                cert: cert.clone(),
                key: garbage.clone(),
                client_ca: None,
            },
            None,
        ),
    ] {
        let message = start(tls).await;
        if let Some(path) = must_name {
            assert!(
                message.contains(&path.display().to_string()) && message.contains("No such file"),
                "{message}"
            );
        } else {
            assert!(
                message.contains(&garbage.display().to_string())
                    && message.to_lowercase().contains("private key"),
                "{message}"
            );
        }
    }
    std::fs::remove_dir_all(&pki.dir).unwrap();
}

/// With a token set, every RPC of both tariff services (unary and the batch stream) and both
/// reflection versions answer UNAUTHENTICATED without it and serve with it; health stays open.
#[tokio::test]
async fn bearer_token_guards_every_rpc_including_the_stream_and_reflection() {
    use pb::catalog_service_client::CatalogServiceClient;
    use tonic_reflection::pb::{v1, v1alpha};
    let server = TestServer::start_with(ServerConfig {
        auth_token: Some("s3cret-token".into()),
        ..config()
    })
    .await;
    let channel = server.channel().await;
    for token in [None, Some("Bearer wrong"), Some("bearer s3cret-token")] {
        fn with<T>(body: T, token: Option<&str>) -> tonic::Request<T> {
            let mut r = tonic::Request::new(body);
            if let Some(t) = token {
                r.metadata_mut().insert("authorization", t.parse().unwrap());
            }
            r
        }
        let mut costs = CostImpactServiceClient::new(channel.clone());
        let mut catalog = CatalogServiceClient::new(channel.clone());
        let sensitivity: pb::AnalyzeSensitivityRequest = serde_json::from_value(json!({
            "calculation": calc(nd_items(1)),
            "inputs": [{"name": "mass", "quantity": {"itemPaths": ["m0"]}, "low": "1", "base": "1", "high": "2"}]
        }))
        .unwrap();
        let compare: pb::CompareScenariosRequest = serde_json::from_value(json!({
            "bom": calc(nd_items(1))["bom"], "baselinePrices": deck("p0", &[("nd-oxide", "87")]),
            "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"},
            "scenarios": [{"name": "s", "prices": deck("p1", &[("nd-oxide", "225")])}]
        }))
        .unwrap();
        let batch = pb::CalculateBatchRequest {
            request_id: "one".into(),
            calculation: Some(request(calc(nd_items(1)))),
        };
        let codes: Vec<(&str, Code)> = vec![
            (
                "CalculateImpact",
                code(
                    costs
                        .calculate_impact(with(request(calc(nd_items(1))), token))
                        .await,
                ),
            ),
            (
                "CompareScenarios",
                code(costs.compare_scenarios(with(compare, token)).await),
            ),
            (
                "AnalyzeSensitivity",
                code(costs.analyze_sensitivity(with(sensitivity, token)).await),
            ),
            ("CalculateBatch", {
                match costs
                    .calculate_batch(with(tokio_stream::iter([batch]), token))
                    .await
                {
                    Err(s) => s.code(),
                    Ok(r) => {
                        let mut stream = r.into_inner();
                        let first = stream.message().await.unwrap().unwrap();
                        assert_eq!(first.request_id, "one");
                        Code::Ok
                    }
                }
            }),
            (
                "ListBoms",
                code(catalog.list_boms(with(pb::ListBomsRequest {}, token)).await),
            ),
            (
                "GetBom",
                code(
                    catalog
                        .get_bom(with(
                            pb::GetBomRequest {
                                id: "ev-high-ree".into(),
                            },
                            token,
                        ))
                        .await,
                ),
            ),
            (
                "ListPriceDecks",
                code(
                    catalog
                        .list_price_decks(with(pb::ListPriceDecksRequest {}, token))
                        .await,
                ),
            ),
            (
                "GetPriceDeck",
                code(
                    catalog
                        .get_price_deck(with(
                            pb::GetPriceDeckRequest {
                                id: "ree-pre-restriction".into(),
                            },
                            token,
                        ))
                        .await,
                ),
            ),
            (
                "ListTariffSchedules",
                code(
                    catalog
                        .list_tariff_schedules(with(pb::ListTariffSchedulesRequest {}, token))
                        .await,
                ),
            ),
            (
                "GetTariffSchedule",
                code(
                    catalog
                        .get_tariff_schedule(with(
                            pb::GetTariffScheduleRequest {
                                id: "us-2026".into(),
                            },
                            token,
                        ))
                        .await,
                ),
            ),
            (
                "LookupMeasures",
                code(
                    catalog
                        .lookup_measures(with(
                            pb::LookupMeasuresRequest {
                                schedule_id: "us-hts-2026".into(),
                                hts_code: "8505.11.0070".into(),
                                origin: "CN".into(),
                                entry_date: "2026-03-02".into(),
                                transport_mode: 0,
                                preference_program: String::new(),
                            },
                            token,
                        ))
                        .await,
                ),
            ),
            (
                "ParseBomCsv",
                code(
                    catalog
                        .parse_bom_csv(with(
                            pb::ParseBomCsvRequest {
                                csv: "path,material_id,quantity,unit\nnd,nd-oxide,1.8,kg\n".into(),
                                ..Default::default()
                            },
                            token,
                        ))
                        .await,
                ),
            ),
            ("reflection v1", {
                let list = v1::ServerReflectionRequest {
                    host: String::new(),
                    message_request: Some(
                        v1::server_reflection_request::MessageRequest::ListServices(String::new()),
                    ),
                };
                let mut client =
                    v1::server_reflection_client::ServerReflectionClient::new(channel.clone());
                match client
                    .server_reflection_info(with(tokio_stream::iter([list]), token))
                    .await
                {
                    Err(s) => s.code(),
                    Ok(r) => r
                        .into_inner()
                        .message()
                        .await
                        .map(|_| Code::Ok)
                        .unwrap_or_else(|s| s.code()),
                }
            }),
            ("reflection v1alpha", {
                let list = v1alpha::ServerReflectionRequest {
                    host: String::new(),
                    message_request: Some(
                        v1alpha::server_reflection_request::MessageRequest::ListServices(
                            String::new(),
                        ),
                    ),
                };
                let mut client =
                    v1alpha::server_reflection_client::ServerReflectionClient::new(channel.clone());
                match client
                    .server_reflection_info(with(tokio_stream::iter([list]), token))
                    .await
                {
                    Err(s) => s.code(),
                    Ok(r) => r
                        .into_inner()
                        .message()
                        .await
                        .map(|_| Code::Ok)
                        .unwrap_or_else(|s| s.code()),
                }
            }),
        ];
        let want = if token == Some("bearer s3cret-token") {
            Code::Ok
        } else {
            Code::Unauthenticated
        };
        for (rpc, got) in codes {
            assert_eq!(got, want, "{rpc} with {token:?}");
        }
    }
    assert_eq!(
        health(&server).await,
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
}

fn code<T>(r: Result<tonic::Response<T>, tonic::Status>) -> Code {
    r.map(|_| Code::Ok).unwrap_or_else(|s| s.code())
}
