//! The load benchmark's baselines (`serve --bench-echo`): `Echo` sends the request back, and
//! `EchoAnswer` sends exactly the bytes of CalculateImpact's answer to the request, so the
//! benchmark compares the calculation with an echo of its own size (BENCHMARKS.md).

mod common;

use common::TestServer;
use prost::Message;
use serde_json::json;
use tariff_impact::pb;
use tariff_impact::pb::bench::echo_service_client::EchoServiceClient;
use tariff_impact::server::ServerConfig;

#[tokio::test]
async fn echo_answer_sends_the_full_views_bytes() {
    let server = TestServer::start_with(ServerConfig {
        bench_echo: true,
        ..ServerConfig::default()
    })
    .await;
    let calc: pb::CalculateImpactRequest = serde_json::from_value(json!({
        "bomId": "ev-high-ree", "baselinePricesId": "ree-pre-restriction",
        "scenarioPricesId": "ree-post-restriction", "baselineScheduleId": "us-2025",
        "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500"}}))
    .unwrap();
    let answer = server
        .costs()
        .await
        .calculate_impact(calc.clone())
        .await
        .unwrap()
        .into_inner();
    let mut echo = EchoServiceClient::new(server.channel().await);
    let request = pb::bench::EchoAnswerRequest {
        calculation: Some(calc.clone()),
    };
    let first = echo
        .echo_answer(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        first.bytes()[..],
        answer.encode_to_vec()[..],
        "the full view's own bytes"
    );
    assert_eq!(
        pb::CalculateImpactResponse::decode(first.bytes().clone()).unwrap(),
        answer
    );
    // Later calls send the same bytes, even for another request.
    let mut other = request.clone();
    other.calculation.as_mut().unwrap().bom_source = Some(
        pb::calculate_impact_request::BomSource::BomId("ev-low-ree".into()),
    );
    let again = echo.echo_answer(other).await.unwrap().into_inner();
    assert_eq!(again.bytes(), first.bytes());
    // The plain echo sends the request back.
    let back = echo
        .echo(pb::bench::EchoRequest {
            calculation: Some(calc.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(back.calculation, Some(calc));
}
