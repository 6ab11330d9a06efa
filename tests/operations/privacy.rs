//! Request contents stay out of logs and metrics unless the operator opts in: a BOM id a
//! request names (here in an error message, the likeliest way for one to leak) is logged only
//! with `--log-request-details`.

use crate::replica::{Replica, ev_request, metric};
use tariff_impact::pb;

const SECRET: &str = "confidential-bom-7f3a";

async fn call_with_secret(replica: &Replica) {
    let mut req = ev_request();
    req.bom_source = Some(pb::calculate_impact_request::BomSource::BomId(
        SECRET.into(),
    ));
    let mut r = tonic::Request::new(req);
    r.metadata_mut()
        .insert("x-request-id", "privacy-check-1".parse().unwrap());
    let e = replica.costs().await.calculate_impact(r).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound);
    assert!(
        e.message().contains(SECRET),
        "the caller itself is told: {}",
        e.message()
    );
}

#[tokio::test]
async fn ids_of_a_request_stay_out_of_logs_and_metrics_by_default() {
    let replica = Replica::start(&["--admin-listen", "127.0.0.1:0"]);
    call_with_secret(&replica).await;
    // The call's own line comes after any line about its contents.
    let log = replica.wait_for_log("call finished code=\"NOT_FOUND\"");
    assert!(log.contains("request_id=\"privacy-check-1\""), "{log}");
    assert!(!log.contains(SECRET), "{log}");
    let (_, metrics) = replica.admin_get("/metrics");
    assert!(!metrics.contains(SECRET));
    let calls = [
        ("rpc", "tariff.v1.CostImpactService/CalculateImpact"),
        ("code", "NOT_FOUND"),
    ];
    assert_eq!(
        metric(&metrics, "tariff_rpc_requests_total", &calls),
        Some(1.0)
    );
}

#[tokio::test]
async fn an_operator_may_opt_in_to_request_details() {
    let replica = Replica::start(&["--log-request-details"]);
    call_with_secret(&replica).await;
    let log = replica.wait_for_log(SECRET);
    assert!(log.contains("tariff_impact::details"), "{log}");
}
