//! CalculateBatch: a stream of products, each answered on its own, totals kept per currency.

use crate::common::{TestServer, amount, request};
use serde_json::json;
use tariff_impact::pb;

fn batch_item(i: usize) -> pb::CalculateBatchRequest {
    // Every 1000th item (at 500, 1500, ...) has a malformed quantity; item 7777 names an
    // unknown preset. The others cost q kg of Nd oxide, q = i % 7 + 1: delta q x 138.
    let quantity = if i % 1000 == 500 {
        "x".to_string()
    } else {
        (i % 7 + 1).to_string()
    };
    let bom_id = if i == 7777 { Some("no-such-bom") } else { None };
    let mut calc = json!({
        "bom": {"id": format!("sku-{i}"), "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd-oxide", "quantity": quantity, "unit": "UNIT_OF_MEASURE_KG"}]},
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02", "annualVolume": "10"}
    });
    if let Some(id) = bom_id {
        calc.as_object_mut().unwrap().remove("bom");
        calc["bomId"] = json!(id);
    }
    pb::CalculateBatchRequest {
        request_id: format!("req-{i}"),
        calculation: Some(serde_json::from_value(calc).unwrap()),
    }
}

/// 10,000 products in one stream with bad ones in the middle: every valid one is answered
/// with its own correct delta, every invalid one with its own error, and the summary adds up.
#[tokio::test]
async fn batch_of_10000_answers_every_item_and_summarises() {
    let server = TestServer::start().await;
    let n = 10_000;
    let requests = tokio_stream::iter((0..n).map(batch_item));
    let mut responses = server
        .costs()
        .await
        .calculate_batch(requests)
        .await
        .unwrap()
        .into_inner();
    let mut expected_total = rust_decimal::Decimal::ZERO;
    let (mut ok, mut failed) = (0, 0);
    for i in 0..n {
        let r = responses
            .message()
            .await
            .unwrap()
            .expect("one response per request");
        assert_eq!(r.request_id, format!("req-{i}"));
        match r.outcome.unwrap() {
            pb::calculate_batch_response::Outcome::Result(res) => {
                let q = (i % 7 + 1) as i64;
                let want = rust_decimal::Decimal::from(q * 138);
                assert_eq!(crate::common::dec(amount(&res.delta)), want, "item {i}");
                expected_total += want;
                ok += 1;
            }
            pb::calculate_batch_response::Outcome::Error(e) => {
                if i == 7777 {
                    assert_eq!(e.code, "NOT_FOUND");
                } else {
                    assert_eq!(i % 1000, 500, "item {i} failed: {}", e.message);
                    assert_eq!(e.code, "INVALID_ARGUMENT");
                    assert_eq!(e.field_violations[0].field, "bom.items[0].quantity");
                    assert_eq!(e.field_violations[0].reason, "MALFORMED_DECIMAL");
                }
                failed += 1;
            }
            other => panic!("unexpected {other:?} for item {i}"),
        }
    }
    assert_eq!((ok, failed), (n - 11, 11));
    let last = responses.message().await.unwrap().expect("the summary");
    let Some(pb::calculate_batch_response::Outcome::Summary(s)) = last.outcome else {
        panic!("expected the summary last");
    };
    assert_eq!((s.requests, s.succeeded, s.failed), (10_000, 9_989, 11));
    assert_eq!(s.total_unit_delta[0].amount, format!("{expected_total}.00"));
    assert_eq!(
        crate::common::dec(&s.total_annual_impact[0].amount),
        expected_total * rust_decimal::Decimal::TEN
    );
    assert!(
        responses.message().await.unwrap().is_none(),
        "the stream ends after the summary"
    );
}

/// Batch totals are kept per currency, never added across currencies: two USD products
/// (1 kg and 2 kg of Nd oxide at the seed decks: 138.00 and 276.00) and one EUR product (a part
/// from 100 to 150 EUR: 50.00) sum to 414.00 USD and 50.00 EUR.
#[tokio::test]
async fn batch_summary_totals_each_currency_apart() {
    let server = TestServer::start().await;
    let usd = |i: usize, kg: &str| pb::CalculateBatchRequest {
        request_id: format!("usd-{i}"),
        calculation: Some(request(json!({
            "bom": {"id": "sku", "currency": "USD", "items": [
                {"id": "nd", "materialId": "nd-oxide", "quantity": kg, "unit": "UNIT_OF_MEASURE_KG"}]},
            "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
            "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02", "annualVolume": "10"}
        }))),
    };
    let eur = pb::CalculateBatchRequest {
        request_id: "eur".into(),
        calculation: Some(request(json!({
            "bom": {"id": "sku-eu", "currency": "EUR", "items": [
                {"id": "part", "unitPrice": "100", "scenarioUnitPrice": "150"}]},
            "baselinePrices": {"id": "p", "currency": "EUR", "asOfDate": "2026-01-01", "prices": []},
            "baselineSchedule": {"id": "s", "currency": "EUR"},
            "options": {"entryDate": "2026-03-02", "annualVolume": "4"}
        }))),
    };
    let mut responses = server
        .costs()
        .await
        .calculate_batch(tokio_stream::iter([usd(1, "1"), eur, usd(2, "2")]))
        .await
        .unwrap()
        .into_inner();
    let mut summary = None;
    while let Some(r) = responses.message().await.unwrap() {
        match r.outcome.unwrap() {
            pb::calculate_batch_response::Outcome::Summary(s) => summary = Some(s),
            pb::calculate_batch_response::Outcome::Result(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let s = summary.expect("a summary");
    assert_eq!((s.requests, s.succeeded, s.failed), (3, 3, 0));
    let totals = |ms: &[pb::Money]| -> Vec<(String, String)> {
        let mut v: Vec<_> = ms
            .iter()
            .map(|m| (m.currency.clone(), m.amount.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        totals(&s.total_unit_delta),
        [
            ("EUR".into(), "50.00".into()),
            ("USD".into(), "414.00".into())
        ]
    );
    // Annual: 414 x 10 USD; 50 x 4 EUR.
    assert_eq!(
        totals(&s.total_annual_impact),
        [
            ("EUR".into(), "200.00".into()),
            ("USD".into(), "4140.00".into())
        ]
    );
}
