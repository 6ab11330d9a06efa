//! AnalyzeSensitivity: bounds that contain the delta over every input range (also where
//! fee clamps make it rise and fall), the tornado, and what it says when it does not converge.

use crate::common::{TestServer, amount, assert_adds_up, deck};
use crate::seed_ev;
use serde_json::{Value, json};
use tariff_impact::pb;
use tonic_types::StatusExt;

async fn sensitivity(
    server: &TestServer,
    calculation: Value,
    inputs: Value,
) -> pb::AnalyzeSensitivityResponse {
    let req: pb::AnalyzeSensitivityRequest =
        serde_json::from_value(json!({"calculation": calculation, "inputs": inputs})).unwrap();
    let resp = server
        .costs()
        .await
        .analyze_sensitivity(req)
        .await
        .unwrap()
        .into_inner();
    assert_adds_up(resp.base.as_ref().unwrap());
    resp
}

/// REE mass per EV 1-2 kg (factor 0.5-1 on the 2 kg seed EV): delta = 315 x factor, so the
/// EV at 1 kg (157.50) and at 2 kg (315.00) bound it, although the mass moves both sides.
#[tokio::test]
async fn sensitivity_bounds_the_ev_delta_between_1_and_2_kg() {
    let server = TestServer::start().await;
    let r = sensitivity(
        &server,
        seed_ev(json!({})),
        json!([{"name": "REE mass per EV", "quantity": {"itemPaths": ["nd", "dy"]}, "low": "0.5", "base": "1", "high": "1"}]),
    )
    .await;
    assert_eq!(amount(&r.base.as_ref().unwrap().delta), "315.00");
    assert!(r.converged);
    assert_eq!(
        (amount(&r.delta_lower_bound), amount(&r.delta_upper_bound)),
        ("157.50", "315.00")
    );
    assert_eq!(
        (amount(&r.delta_min_reached), amount(&r.delta_max_reached)),
        ("157.50", "315.00")
    );
    let bar = &r.tornado[0];
    assert_eq!(
        (
            amount(&bar.delta_at_low),
            amount(&bar.delta_at_high),
            amount(&bar.swing)
        ),
        ("157.50", "315.00", "157.50")
    );
}

/// Two inputs: mass factor 0.5-1 and the scenario Dy oxide price 300-600. Hand-checked:
/// all low 0.5 x (1.8 x 225 + 0.2 x 300) - 0.5 x 187 = 139.00; all high 405 + 120 - 187 =
/// 338.00. Tornado: mass swings 157.50 (157.50 -> 315.00), Dy price 60.00 (278.00 -> 338.00).
#[tokio::test]
async fn sensitivity_tornado_ranks_inputs_by_swing() {
    let server = TestServer::start().await;
    let r = sensitivity(
        &server,
        seed_ev(json!({})),
        json!([
            {"name": "Dy oxide scenario price", "price": {"materialId": "dy-oxide", "side": "SIDE_SCENARIO"}, "low": "300", "base": "485", "high": "600"},
            {"name": "REE mass per EV", "quantity": {"itemPaths": ["nd", "dy"]}, "low": "0.5", "base": "1", "high": "1"}
        ]),
    )
    .await;
    assert_eq!(
        (amount(&r.delta_lower_bound), amount(&r.delta_upper_bound)),
        ("139.00", "338.00")
    );
    assert_eq!(
        (amount(&r.delta_all_low), amount(&r.delta_all_high)),
        ("139.00", "338.00")
    );
    let bars: Vec<(&str, &str, &str, &str)> = r
        .tornado
        .iter()
        .map(|b| {
            (
                b.name.as_str(),
                amount(&b.delta_at_low),
                amount(&b.delta_at_high),
                amount(&b.swing),
            )
        })
        .collect();
    assert_eq!(
        bars,
        [
            ("REE mass per EV", "157.50", "315.00", "157.50"),
            ("Dy oxide scenario price", "278.00", "338.00", "60.00")
        ]
    );
}

/// MPF maximums make the delta rise and fall inside the range, so the corners alone would
/// miss it. Same price both sides; baseline MPF 1% capped at 10.00 per entry, scenario 2%
/// capped at 10.00; a 1000.00 part with quantity factor f in [0, 2]:
/// delta(f) = min(10, 20 f) - min(10, 10 f): 0 at f = 0, 5.00 at f = 0.5, 0 from f = 1 on.
#[tokio::test]
async fn sensitivity_bounds_are_true_bounds_with_mpf_clamps() {
    let server = TestServer::start().await;
    let mpf = |rate: &str| {
        json!({"id": "s", "currency": "USD", "fees": [
            {"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": rate, "maximumPerEntry": "10"}]})
    };
    let calc = json!({
        "bom": {"id": "part", "currency": "USD", "items": [
            {"id": "part", "unitPrice": "1000", "import": {"htsCode": "8501.32", "origin": "JP", "transportMode": "TRANSPORT_MODE_AIR"}}]},
        "baselinePrices": deck("p", &[]),
        "baselineSchedule": mpf("1"), "scenarioSchedule": mpf("2"),
        "options": {"entryDate": "2026-03-02"}
    });
    let r = sensitivity(
        &server,
        calc,
        json!([{"name": "parts per unit", "quantity": {"itemPaths": ["part"]}, "low": "0", "base": "1", "high": "2"}]),
    )
    .await;
    assert_eq!(amount(&r.base.as_ref().unwrap().delta), "0.00");
    assert_eq!(
        (amount(&r.delta_all_low), amount(&r.delta_all_high)),
        ("0.00", "0.00")
    );
    assert!(r.converged);
    assert_eq!(
        (amount(&r.delta_lower_bound), amount(&r.delta_upper_bound)),
        ("0.00", "5.00")
    );
    assert_eq!(amount(&r.delta_max_reached), "5.00");
}

/// `(field, reason)` of each violation of a refused AnalyzeSensitivity call.
async fn refused(server: &TestServer, req: pb::AnalyzeSensitivityRequest) -> Vec<(String, String)> {
    let status = server
        .costs()
        .await
        .analyze_sensitivity(req)
        .await
        .unwrap_err();
    status
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| (v.field.clone(), v.reason.clone()))
        .collect()
}

#[tokio::test]
async fn sensitivity_rejects_bad_ranges_and_unknown_targets() {
    let server = TestServer::start().await;
    let req: pb::AnalyzeSensitivityRequest = serde_json::from_value(json!({
        "calculation": seed_ev(json!({})),
        "inputs": [{"name": "x", "quantity": {"itemPaths": ["nd"]}, "low": "2", "base": "1", "high": "3"},
                   {"name": "y", "rate": {"measureId": "m"}, "low": "1", "base": "1", "high": "1.5.1"}]
    }))
    .unwrap();
    let v = refused(&server, req).await;
    assert_eq!(
        v,
        [
            ("inputs[0].base".to_string(), "OUT_OF_RANGE".to_string()),
            (
                "inputs[1].high".to_string(),
                "MALFORMED_DECIMAL".to_string()
            )
        ]
    );
    let req: pb::AnalyzeSensitivityRequest = serde_json::from_value(json!({
        "calculation": seed_ev(json!({})),
        "inputs": [{"name": "x", "quantity": {"itemPaths": ["nd/none"]}, "low": "1", "base": "1", "high": "2"}]
    }))
    .unwrap();
    let status = server
        .costs()
        .await
        .analyze_sensitivity(req)
        .await
        .unwrap_err();
    assert_eq!(
        status.get_details_bad_request().unwrap().field_violations[0].field,
        "inputs[0].quantity.item_paths[0]"
    );
}

/// When the evaluation budget runs out before the bounds meet, the analysis says so
/// (`converged` false) and rounds its bounds outward. Twelve parts from twelve origins, each
/// with delta(f) = min(10, 30 f) - min(10, 15 f) for its quantity factor f in [0, 1] (MPF 1%
/// capped at 10 -> 2% capped at 10 on a 1,500.00 part): each peaks at 5.00 at f = 1/3, which no
/// bisection point reaches, so the true maximum 60.00 is bracketed, never met; the minimum is
/// 0.00 (every f = 0 or every f >= 2/3).
#[tokio::test]
async fn sensitivity_without_convergence_says_so_and_rounds_outward() {
    let server = TestServer::start().await;
    let origins = [
        "AU", "BR", "CA", "DE", "FR", "IN", "IT", "JP", "KR", "MX", "TH", "VN",
    ];
    let items: Vec<Value> = origins
        .iter()
        .map(|o| json!({"id": o, "unitPrice": "1500", "import": {"htsCode": "8501.32", "origin": o, "transportMode": "TRANSPORT_MODE_AIR"}}))
        .collect();
    let inputs: Vec<Value> = origins
        .iter()
        .map(|o| json!({"name": o, "quantity": {"itemPaths": [o]}, "low": "0", "base": "1", "high": "1"}))
        .collect();
    let mpf = |rate: &str| {
        json!({"id": "s", "currency": "USD", "fees": [
            {"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": rate, "maximumPerEntry": "10"}]})
    };
    let calc = json!({
        "bom": {"id": "parts", "currency": "USD", "items": items},
        "baselinePrices": deck("p", &[]),
        "baselineSchedule": mpf("1"), "scenarioSchedule": mpf("2"),
        "options": {"entryDate": "2026-03-02"}
    });
    let r = sensitivity(&server, calc, Value::Array(inputs)).await;
    assert!(!r.converged);
    assert_eq!(r.evaluations, 512);
    let max_reached = crate::common::dec(amount(&r.delta_max_reached));
    let upper = crate::common::dec(amount(&r.delta_upper_bound));
    assert!(max_reached < crate::common::dec("60"), "{max_reached}");
    assert!(upper >= crate::common::dec("60"), "{upper}");
    // The minimum is reached at a corner; the lower bound, from a box never narrowed, is
    // only guaranteed to lie below it.
    assert_eq!(amount(&r.delta_min_reached), "0.00");
    assert!(crate::common::dec(amount(&r.delta_lower_bound)) <= crate::common::dec("0"));
}

/// Every target that names nothing is reported in one call, by its field: an item path no
/// BOM item has, a material a changed deck does not price (the seed EV's two decks, each
/// lacking it: two violations), a measure a changed schedule does not have (baseline and
/// scenario are the same `us-2026`: one).
#[tokio::test]
async fn sensitivity_reports_every_unknown_target_at_once() {
    let server = TestServer::start().await;
    let req: pb::AnalyzeSensitivityRequest = serde_json::from_value(json!({
        "calculation": seed_ev(json!({})),
        "inputs": [
            {"name": "mass", "quantity": {"itemPaths": ["nd", "rotor/nd"]}, "low": "1", "base": "1", "high": "2"},
            {"name": "price", "price": {"materialId": "unobtainium", "side": "SIDE_BOTH"}, "low": "1", "base": "2", "high": "3"},
            {"name": "rate", "rate": {"measureId": "no-such-measure", "side": "SIDE_BOTH"}, "low": "1", "base": "2", "high": "3"}]
    }))
    .unwrap();
    let v = refused(&server, req).await;
    let pair = |f: &str, r: &str| (f.to_string(), r.to_string());
    assert_eq!(
        v,
        [
            pair("inputs[0].quantity.item_paths[1]", "INVALID_VALUE"),
            pair("inputs[1].price.material_id", "UNKNOWN_MATERIAL"),
            pair("inputs[1].price.material_id", "UNKNOWN_MATERIAL"),
            pair("inputs[2].rate.measure_id", "INVALID_VALUE"),
        ]
    );
}

/// One bound can converge while the other cannot. 1 kg of Chinese Nd at 10 -> 20 per kg, its
/// mass factor f in [1, 2]: delta = 10 f, from 10.00 to 20.00. The scenario schedule has a
/// 100.00 credit lost above a 50% Chinese share: the share is always 100%, so it is always
/// lost, but the interval bound cannot know that and allows it kept. The maximum (credit
/// lost is its own bound) converges at 20.00; the minimum's bound stays 100.00 below the
/// goods' 10.00, at -90.00, so the analysis is not converged and says so.
#[tokio::test]
async fn sensitivity_with_one_bound_open_is_not_converged() {
    let server = TestServer::start().await;
    let credit = json!({"id": "cv", "creditAmount": "100", "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5"});
    let calc = json!({
        "bom": {"id": "b", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG",
             "import": {"htsCode": "2846.90", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}}]},
        "baselinePrices": deck("p0", &[("nd", "10")]),
        "scenarioPrices": deck("p1", &[("nd", "20")]),
        "baselineSchedule": {"id": "s0", "currency": "USD"},
        "scenarioSchedule": {"id": "s1", "currency": "USD", "incentives": [credit]},
        "options": {"entryDate": "2026-03-02"}
    });
    let r = sensitivity(
        &server,
        calc,
        json!([{"name": "mass", "quantity": {"itemPaths": ["nd"]}, "low": "1", "base": "1", "high": "2"}]),
    )
    .await;
    assert!(!r.converged);
    assert_eq!(
        (amount(&r.delta_min_reached), amount(&r.delta_max_reached)),
        ("10.00", "20.00")
    );
    assert_eq!(
        (amount(&r.delta_lower_bound), amount(&r.delta_upper_bound)),
        ("-90.00", "20.00")
    );
}

/// Bounds of a delta below zero. A 1,500.00 part from Germany whose quantity factor f runs
/// over [0, 1], MPF 2% capped at 10.00 in the baseline and 1% capped at 10.00 in the
/// scenario, and the rest of the product 100.00 cheaper in the scenario: delta(f) = -100 +
/// min(10, 15 f) - min(10, 30 f). It is -100.00 at f = 0 and for every f >= 2/3, and lowest,
/// -105.00, at f = 1/3, which bisection approaches but never meets: the search converges to
/// [-105.00, -100.00] and reaches -100.00 at a corner.
#[tokio::test]
async fn sensitivity_bounds_a_delta_below_zero() {
    let server = TestServer::start().await;
    let mpf = |rate: &str| {
        json!({"id": "s", "currency": "USD", "fees": [
            {"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": rate, "maximumPerEntry": "10"}]})
    };
    let calc = json!({
        "bom": {"id": "b", "currency": "USD", "items": [
            {"id": "part", "unitPrice": "1500", "import": {"htsCode": "8501.32", "origin": "DE", "transportMode": "TRANSPORT_MODE_AIR"}},
            {"id": "rest", "unitPrice": "1000", "scenarioUnitPrice": "900"}]},
        "baselinePrices": deck("p", &[]),
        "baselineSchedule": mpf("2"), "scenarioSchedule": mpf("1"),
        "options": {"entryDate": "2026-03-02"}
    });
    let r = sensitivity(
        &server,
        calc,
        json!([{"name": "f", "quantity": {"itemPaths": ["part"]}, "low": "0", "base": "1", "high": "1"}]),
    )
    .await;
    assert_eq!(amount(&r.base.as_ref().unwrap().delta), "-100.00");
    assert!(r.converged);
    assert_eq!(
        (amount(&r.delta_lower_bound), amount(&r.delta_upper_bound)),
        ("-105.00", "-100.00")
    );
    assert_eq!(amount(&r.delta_max_reached), "-100.00");
}
