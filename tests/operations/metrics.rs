//! The admin listener: after known calls, `/metrics` counts them by method and code, with
//! their latencies, the calls shed and refused, and the batch items; `/readyz` turns 503
//! when the server drains while `/livez` stays 200.

use crate::replica::{EVENTUALLY, Replica, ev_request, metric};
use std::time::{Duration, Instant};
use tariff_impact::pb;
use tokio_stream::wrappers::ReceiverStream;

const CALC: &str = "tariff.v1.CostImpactService/CalculateImpact";
const BATCH: &str = "tariff.v1.CostImpactService/CalculateBatch";

fn batch_item(id: &str, calculation: pb::CalculateImpactRequest) -> pb::CalculateBatchRequest {
    pb::CalculateBatchRequest {
        request_id: id.into(),
        calculation: Some(calculation),
    }
}

#[tokio::test]
async fn metrics_count_calls_codes_latency_shedding_refusals_and_batch_items() {
    // One batch stream at a time (so a second is shed), and a response budget the full
    // view of the EV preset exceeds while its summary view fits.
    let replica = Replica::start(&[
        "--admin-listen",
        "127.0.0.1:0",
        "--max-batch-streams",
        "1",
        "--max-response-bytes",
        "4096",
    ]);
    let (status, body) = replica.admin_get("/metrics");
    assert_eq!(status, 200);
    assert_eq!(
        metric(
            &body,
            "tariff_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    let ok = [("rpc", CALC), ("code", "OK")];
    assert_eq!(metric(&body, "tariff_rpc_requests_total", &ok), None);

    let mut costs = replica.costs().await;
    for _ in 0..3 {
        costs
            .calculate_impact(ev_request())
            .await
            .expect("summary view fits the budget");
    }
    let mut missing = ev_request();
    missing.bom_source = Some(pb::calculate_impact_request::BomSource::BomId(
        "no-such-bom".into(),
    ));
    let e = costs.calculate_impact(missing.clone()).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound);
    let mut full = ev_request();
    full.options.as_mut().unwrap().view = pb::ResultView::Full as i32;
    let e = costs.calculate_impact(full).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::ResourceExhausted, "{e:?}");

    // A batch stream held open, a second one shed, then the first finished: one item
    // answered, one item failed.
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut open = costs
        .calculate_batch(ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let (_tx2, rx2) = tokio::sync::mpsc::channel::<pb::CalculateBatchRequest>(1);
    let e = costs
        .calculate_batch(ReceiverStream::new(rx2))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::ResourceExhausted, "{e:?}");
    tx.send(batch_item("a", ev_request())).await.unwrap();
    tx.send(batch_item("b", missing)).await.unwrap();
    drop(tx);
    let mut answers = 0;
    while let Some(m) = open.message().await.unwrap() {
        answers += 1;
        assert!(m.outcome.is_some());
    }
    assert_eq!(answers, 3, "two items and the summary");

    // The stream is counted when its body ends, a moment after the client read it: wait for
    // it rather than assume it.
    let started = Instant::now();
    let body = loop {
        let (_, body) = replica.admin_get("/metrics");
        if metric(
            &body,
            "tariff_rpc_requests_total",
            &[("rpc", BATCH), ("code", "OK")],
        ) == Some(1.0)
        {
            break body;
        }
        assert!(
            started.elapsed() < EVENTUALLY,
            "the batch stream was never counted:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let count = |name: &str, labels: &[(&str, &str)]| metric(&body, name, labels);
    let calls = "tariff_rpc_requests_total";
    assert_eq!(count(calls, &[("rpc", CALC), ("code", "OK")]), Some(3.0));
    assert_eq!(
        count(calls, &[("rpc", CALC), ("code", "NOT_FOUND")]),
        Some(1.0)
    );
    assert_eq!(
        count(calls, &[("rpc", CALC), ("code", "RESOURCE_EXHAUSTED")]),
        Some(1.0)
    );
    assert_eq!(
        count(calls, &[("rpc", BATCH), ("code", "RESOURCE_EXHAUSTED")]),
        Some(1.0)
    );
    assert_eq!(
        count("tariff_rpc_duration_seconds_count", &[("rpc", CALC)]),
        Some(5.0)
    );
    let seconds = count("tariff_rpc_duration_seconds_sum", &[("rpc", CALC)]).unwrap();
    assert!(seconds > 0.0);
    // Every call lands in the last bucket; the buckets are cumulative.
    assert_eq!(
        count(
            "tariff_rpc_duration_seconds_bucket",
            &[("rpc", CALC), ("le", "+Inf")]
        ),
        Some(5.0)
    );
    assert_eq!(count("tariff_rpc_in_flight", &[("rpc", CALC)]), Some(0.0));
    assert_eq!(
        count("tariff_calls_refused_total", &[("budget", "response")]),
        Some(1.0)
    );
    assert_eq!(
        count("tariff_calls_shed_total", &[("resource", "batch_streams")]),
        Some(1.0)
    );
    assert_eq!(
        count("tariff_batch_items_total", &[("outcome", "OK")]),
        Some(1.0)
    );
    assert_eq!(
        count("tariff_batch_items_total", &[("outcome", "NOT_FOUND")]),
        Some(1.0)
    );
    assert_eq!(count("tariff_catalog_version", &[]), Some(0.0));
    // Only methods the server serves label a series: a made-up path is "unknown".
    assert!(!body.contains("no-such-bom"));
}

#[tokio::test]
async fn readiness_turns_503_on_drain_while_liveness_stays_200() {
    let replica = Replica::start(&[
        "--admin-listen",
        "127.0.0.1:0",
        "--drain-grace-seconds",
        "60",
    ]);
    assert_eq!(replica.admin_get("/readyz").0, 200);
    assert_eq!(replica.admin_get("/livez").0, 200);
    assert_eq!(replica.admin_get("/nope").0, 404);
    replica.signal("TERM");
    replica.wait_for_log("draining");
    let started = Instant::now();
    while replica.admin_get("/readyz").0 != 503 {
        assert!(started.elapsed() < EVENTUALLY, "/readyz never turned 503");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(replica.admin_get("/livez").0, 200);
    // Calls are still served during the grace.
    let mut costs = replica.costs().await;
    costs
        .calculate_impact(ev_request())
        .await
        .expect("served while draining");
}
