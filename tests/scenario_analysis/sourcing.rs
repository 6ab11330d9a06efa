//! Sourcing mixes: each share of a material line priced and dutied by its own origin.

use crate::common::{TestServer, amount, calculate, charge, deck, line, request};
use crate::schedule;
use serde_json::{Value, json};
use tonic_types::StatusExt;

fn sourced_nd(shares: &[(&str, &str, &str, Option<&str>)]) -> Value {
    let sourcing: Vec<Value> = shares
        .iter()
        .map(|(id, share, material, origin)| {
            let mut s = json!({"id": id, "share": share, "materialId": material});
            if let Some(o) = origin {
                s["import"] = json!({"htsCode": "2846.90", "origin": o, "transportMode": "TRANSPORT_MODE_OCEAN"});
            }
            s
        })
        .collect();
    json!({"id": "nd", "materialId": "nd-oxide", "quantity": "2", "unit": "UNIT_OF_MEASURE_KG", "sourcing": sourcing})
}

/// 2 kg of Nd oxide: 50% from China (200/kg, 25% duty), 20% recycled domestically (250/kg,
/// no duty), 30% from Australia (230/kg, no measure): 1 kg x 200 + 25% = 250.00;
/// 0.4 kg x 250 = 100.00; 0.6 kg x 230 = 138.00; total 488.00.
#[tokio::test]
async fn sourcing_mix_prices_and_duties_each_share_by_its_origin() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "mix", "currency": "USD", "items": [sourced_nd(&[
                ("cn", "0.5", "nd-oxide-cn", Some("CN")), ("recycled", "0.2", "nd-oxide-recycled", None), ("au", "0.3", "nd-oxide-au", Some("AU"))])]},
            "baselinePrices": deck("p", &[("nd-oxide-cn", "200"), ("nd-oxide-recycled", "250"), ("nd-oxide-au", "230")]),
            "baselineSchedule": schedule("s", json!([{"id": "cn-25", "program": "PROGRAM_SECTION_301", "origins": ["CN"], "rate": {"adValoremPercent": "25"}}])),
            "options": {"entryDate": "2026-03-02"}
        }),
    )
    .await;
    let cn = line(&r, "nd/cn");
    assert_eq!(
        (
            cn.quantity_per_unit.as_str(),
            amount(&cn.baseline.as_ref().unwrap().goods)
        ),
        ("1", "200.00")
    );
    assert_eq!(amount(&charge(&cn.baseline, "cn-25").amount), "50.00");
    let recycled = line(&r, "nd/recycled");
    assert_eq!(amount(&recycled.baseline.as_ref().unwrap().total), "100.00");
    assert!(recycled.baseline.as_ref().unwrap().charges.is_empty());
    assert_eq!(
        amount(&line(&r, "nd/au").baseline.as_ref().unwrap().total),
        "138.00"
    );
    assert_eq!(amount(&r.baseline_unit_cost), "488.00");
}

#[tokio::test]
async fn sourcing_shares_must_sum_to_exactly_one() {
    let server = TestServer::start().await;
    let req = request(json!({
        "bom": {"id": "mix", "currency": "USD", "items": [
            {"id": "other", "unitPrice": "1"},
            sourced_nd(&[("cn", "0.5", "nd-oxide", Some("CN")), ("au", "0.49", "nd-oxide", Some("AU"))])]},
        "baselinePrices": deck("p", &[("nd-oxide", "100")]), "baselineScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02"}
    }));
    let status = server
        .costs()
        .await
        .calculate_impact(req)
        .await
        .unwrap_err();
    let v = &status.get_details_bad_request().unwrap().field_violations;
    assert_eq!(
        (v[0].field.as_str(), v[0].reason.as_str()),
        ("bom.items[1].sourcing", "OUT_OF_RANGE")
    );
    assert!(
        v[0].description.contains("sum to 0.99"),
        "{}",
        v[0].description
    );
}
