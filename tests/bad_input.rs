//! Bad input of every kind gets INVALID_ARGUMENT (or NOT_FOUND for presets) with a
//! `google.rpc` detail pointing at the field, and the server keeps serving.

mod common;

use common::{TestServer, amount, calculate, calculate_err, deck, request};
use serde_json::{Value, json};
use tariff_impact::pb;
use tonic::Code;
use tonic_types::StatusExt;

fn with_items(items: Value) -> pb::CalculateImpactRequest {
    request(json!({
        "bom": {"id": "bad", "currency": "USD", "items": items},
        "baselinePrices": deck("p", &[("nd-oxide", "87")]),
        "baselineScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02"}
    }))
}

/// `(field, reason)` of every violation in an INVALID_ARGUMENT status.
fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let br = status
        .get_details_bad_request()
        .expect("a google.rpc.BadRequest detail");
    br.field_violations
        .iter()
        .map(|v| (v.field.clone(), v.reason.clone()))
        .collect()
}

fn one(field: &str, reason: &str) -> Vec<(String, String)> {
    vec![(field.to_string(), reason.to_string())]
}

fn nd(quantity: &str) -> Value {
    json!({"materialId": "nd-oxide", "quantity": quantity, "unit": "UNIT_OF_MEASURE_KG"})
}

#[tokio::test]
async fn malformed_decimal_deep_in_the_tree_is_named_by_its_field_path() {
    let server = TestServer::start().await;
    let req = with_items(json!([nd("1"), nd("1"), {"id": "asm", "children": [nd("1,5")]}]));
    let status = calculate_err(&server, req).await;
    assert_eq!(
        violations(&status),
        one("bom.items[2].children[0].quantity", "MALFORMED_DECIMAL")
    );
    assert!(
        status
            .message()
            .contains("bom.items[2].children[0].quantity"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn each_kind_of_bad_number_has_its_reason() {
    let server = TestServer::start().await;
    for (q, reason) in [
        ("0.1234567890123", "EXCESS_PRECISION"),
        ("12345678901234567", "EXCESS_PRECISION"),
        ("-1", "OUT_OF_RANGE"),
        ("1e3", "MALFORMED_DECIMAL"),
        ("NaN", "MALFORMED_DECIMAL"),
        ("", "REQUIRED"),
    ] {
        let status = calculate_err(&server, with_items(json!([nd(q)]))).await;
        assert_eq!(
            violations(&status),
            one("bom.items[0].quantity", reason),
            "{q:?}"
        );
    }
}

#[tokio::test]
async fn unknown_unit_and_unknown_material_are_rejected() {
    let server = TestServer::start().await;
    let mut req = with_items(json!([nd("1")]));
    if let Some(pb::calculate_impact_request::BomSource::Bom(b)) = &mut req.bom_source {
        b.items[0].unit = 99;
    }
    assert_eq!(
        violations(&calculate_err(&server, req).await),
        one("bom.items[0].unit", "INVALID_VALUE")
    );

    // Every unpriced material line is reported in one call, as is a deck in another currency.
    let req = request(json!({
        "bom": {"id": "b", "currency": "USD", "items": [
            {"materialId": "unobtainium", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"},
            {"children": [{"materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"},
                          {"materialId": "vibranium", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"}]}]},
        "baselinePrices": deck("p", &[("nd-oxide", "87")]),
        "scenarioPrices": {"id": "eur", "currency": "EUR", "prices": [
            {"materialId": "nd-oxide", "price": "80", "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_FOB"}]},
        "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
    }));
    let mut want = vec![
        (
            "scenario_prices.currency".to_string(),
            "CURRENCY_MISMATCH".to_string(),
        ),
        (
            "bom.items[0].material_id".to_string(),
            "UNKNOWN_MATERIAL".to_string(),
        ),
        (
            "bom.items[0].material_id".to_string(),
            "UNKNOWN_MATERIAL".to_string(),
        ),
        (
            "bom.items[1].children[1].material_id".to_string(),
            "UNKNOWN_MATERIAL".to_string(),
        ),
        (
            "bom.items[1].children[1].material_id".to_string(),
            "UNKNOWN_MATERIAL".to_string(),
        ),
    ];
    let mut got = violations(&calculate_err(&server, req).await);
    got.sort();
    want.sort();
    assert_eq!(got, want);

    let req = with_items(
        json!([{"materialId": "unobtainium", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"}]),
    );
    let status = calculate_err(&server, req).await;
    assert_eq!(
        violations(&status),
        one("bom.items[0].material_id", "UNKNOWN_MATERIAL")
    );
    assert!(
        status
            .message()
            .contains("\"unobtainium\" is not priced in price deck \"p\""),
        "{}",
        status.message()
    );

    let req = with_items(
        json!([{"materialId": "nd-oxide", "quantity": "3", "unit": "UNIT_OF_MEASURE_PIECE"}]),
    );
    assert_eq!(
        violations(&calculate_err(&server, req).await),
        one("bom.items[0].unit", "UNIT_MISMATCH")
    );
}

#[tokio::test]
async fn unknown_preset_is_not_found_with_resource_info() {
    let server = TestServer::start().await;
    let req = request(json!({
        "bomId": "ev-high-ree", "baselinePricesId": "no-such-deck",
        "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
    }));
    let status = calculate_err(&server, req).await;
    assert_eq!(status.code(), Code::NotFound);
    let info = status
        .get_details_resource_info()
        .expect("a google.rpc.ResourceInfo detail");
    assert_eq!(
        (info.resource_type.as_str(), info.resource_name.as_str()),
        ("price deck", "no-such-deck")
    );
    assert!(
        status
            .message()
            .starts_with("baseline_prices_id: no price deck has id \"no-such-deck\"")
    );
}

#[tokio::test]
async fn overflow_of_the_28_digit_range_is_invalid_argument_not_a_panic() {
    let server = TestServer::start().await;
    // Each number is within the input limits; their product (~1e32) is not representable.
    let req = request(json!({
        "bom": {"id": "big", "currency": "USD", "items": [
            {"materialId": "nd-oxide", "quantity": "9999999999999999", "unit": "UNIT_OF_MEASURE_KG"}]},
        "baselinePrices": deck("p", &[("nd-oxide", "9999999999999999")]),
        "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
    }));
    assert_eq!(
        violations(&calculate_err(&server, req).await),
        one("bom.items[0].quantity", "OVERFLOW")
    );
    // Quantities multiplied down a deep tree overflow too.
    let mut item = nd("9999999999999999");
    for _ in 0..3 {
        item = json!({"quantity": "9999999999999999", "children": [item]});
    }
    let status = calculate_err(&server, with_items(json!([item]))).await;
    assert_eq!(violations(&status)[0].1, "OVERFLOW");
    // Representable but absurd: 10^15 kg x 10^12 USD/kg = 10^27 USD per unit.
    let req = request(json!({
        "bom": {"id": "big", "currency": "USD", "items": [
            {"materialId": "nd-oxide", "quantity": "1000000000000000", "unit": "UNIT_OF_MEASURE_KG"}]},
        "baselinePrices": deck("p", &[("nd-oxide", "1000000000000")]),
        "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
    }));
    assert_eq!(
        violations(&calculate_err(&server, req).await),
        one("bom", "OVERFLOW")
    );
}

/// Amounts are displayed up to 10^24 (the unit cost bounds every atom): a total of exactly
/// 10^24 is costed; one past it, by its rounded or by its exact figure, is refused at the BOM.
/// 10^9 pieces at 999,999,999,999,999.999999999997 cost 10^24 - 0.003, which rounds to
/// exactly 10^24.00 (at 10^15 they cost exactly 10^24); at 1,000,000,000,000,000.000000000004
/// they cost 10^24 + 0.004 (rounded: 10^24.00; exact: over); 10^24 - 0.005 (rounds up to
/// 10^24.00) plus a 0.005 part (rounds to 0.01) rounds to 10^24 + 0.01 although it is
/// exactly 10^24.
#[tokio::test]
async fn the_unit_cost_bound_is_10_to_the_24_by_both_figures() {
    let server = TestServer::start().await;
    let parts = |prices: &[&str]| {
        let items: Vec<Value> = prices
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let quantity = if i == 0 { "1000000000" } else { "1" };
                json!({"id": format!("p{i}"), "quantity": quantity, "unitPrice": p})
            })
            .collect();
        json!({
            "bom": {"id": "edge", "currency": "USD", "items": items},
            "baselinePrices": deck("p", &[]), "baselineScheduleId": "us-2026",
            "options": {"entryDate": "2026-03-02", "roundingMode": "ROUNDING_MODE_HALF_UP"}
        })
    };
    for price in ["999999999999999.999999999997", "1000000000000000"] {
        let at_bound = calculate(&server, parts(&[price])).await;
        assert_eq!(
            amount(&at_bound.baseline_unit_cost),
            "1000000000000000000000000.00",
            "{price}"
        );
    }
    for prices in [
        &["1000000000000000.000000000004"][..],
        &["999999999999999.999999999995", "0.005"][..],
    ] {
        assert_eq!(
            violations(&calculate_err(&server, request(parts(prices))).await),
            one("bom", "OVERFLOW"),
            "{prices:?}"
        );
    }
}

#[tokio::test]
async fn cycles_absurd_depth_huge_expansion_and_empty_boms_are_rejected() {
    let server = TestServer::start().await;
    let cyclic = request(json!({
        "bom": {"id": "cycle", "currency": "USD", "items": [{"id": "top", "assemblyRef": "a"}],
                "sharedAssemblies": [
                    {"id": "a", "children": [{"id": "to-b", "assemblyRef": "b"}]},
                    {"id": "b", "children": [{"id": "to-a", "assemblyRef": "a"}]}]},
        "baselinePrices": deck("p", &[]), "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
    }));
    let status = calculate_err(&server, cyclic).await;
    assert_eq!(
        violations(&status),
        one(
            "bom.shared_assemblies[1].children[0].assembly_ref",
            "INVALID_STRUCTURE"
        )
    );
    assert!(
        status.message().contains("a -> b -> a"),
        "{}",
        status.message()
    );

    let mut deep = nd("1");
    for _ in 0..40 {
        deep = json!({"children": [deep]});
    }
    let status = calculate_err(&server, with_items(json!([deep]))).await;
    let v = violations(&status);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].1, "INVALID_STRUCTURE");
    assert_eq!(v[0].0.matches("children[0]").count(), 32, "{}", v[0].0);

    // Ten shared assemblies each using the next ten times would expand to 10^10 items.
    let mut shared = Vec::new();
    for i in 0..10 {
        let child = if i == 9 {
            nd("1")
        } else {
            json!({"assemblyRef": format!("s{}", i + 1)})
        };
        let children: Vec<Value> = (0..10)
            .map(|k| {
                let mut c = child.clone();
                c["id"] = json!(format!("c{k}"));
                c
            })
            .collect();
        shared.push(json!({"id": format!("s{i}"), "children": children}));
    }
    let req = request(json!({
        "bom": {"id": "bomb", "currency": "USD", "items": [{"assemblyRef": "s0"}], "sharedAssemblies": shared},
        "baselinePrices": deck("p", &[("nd-oxide", "1")]), "baselineScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02"}
    }));
    assert_eq!(
        violations(&calculate_err(&server, req).await),
        one("bom.items", "INVALID_STRUCTURE")
    );

    assert_eq!(
        violations(&calculate_err(&server, with_items(json!([]))).await),
        one("bom.items", "REQUIRED")
    );
}

#[tokio::test]
async fn every_violation_is_reported_at_once() {
    let server = TestServer::start().await;
    let req = request(json!({
        "bom": {"id": "many", "currency": "USD", "items": [
            {"materialId": "nd-oxide", "quantity": "x", "unit": "UNIT_OF_MEASURE_KG",
             "import": {"htsCode": "8505.11", "origin": "ZZ", "transportMode": "TRANSPORT_MODE_OCEAN"}},
            {"id": "both", "unitPrice": "1", "materialId": "nd-oxide"}]},
        "baselinePrices": {"id": "p", "currency": "EUR", "prices": [
            {"materialId": "nd-oxide", "price": "1.5.0", "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_FOB"}]},
        "options": {}
    }));
    let mut v = violations(&calculate_err(&server, req).await);
    v.sort();
    let mut want = vec![
        (
            "baseline_prices.prices[0].price".to_string(),
            "MALFORMED_DECIMAL".to_string(),
        ),
        ("baseline_schedule".to_string(), "REQUIRED".to_string()),
        (
            "bom.items[0].import.origin".to_string(),
            "INVALID_VALUE".to_string(),
        ),
        (
            "bom.items[0].quantity".to_string(),
            "MALFORMED_DECIMAL".to_string(),
        ),
        ("bom.items[1]".to_string(), "INVALID_STRUCTURE".to_string()),
        ("options.entry_date".to_string(), "REQUIRED".to_string()),
    ];
    want.sort();
    assert_eq!(v, want);
}

#[tokio::test]
async fn inconsistent_inputs_are_rejected() {
    let server = TestServer::start().await;
    // A EUR deck against a USD BOM: no silent conversion.
    let req = request(json!({
        "bom": {"id": "b", "currency": "USD", "items": [nd("1")]},
        "baselinePrices": {"id": "eur", "currency": "EUR", "prices": [
            {"materialId": "nd-oxide", "price": "80", "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_FOB"}]},
        "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
    }));
    assert_eq!(
        violations(&calculate_err(&server, req).await),
        one("baseline_prices.currency", "CURRENCY_MISMATCH")
    );

    // Programs pre-empting each other leave it undefined which applies.
    let req = request(json!({
        "bom": {"id": "b", "currency": "USD", "items": [nd("1")]},
        "baselinePrices": deck("p", &[("nd-oxide", "87")]),
        "baselineSchedule": {"id": "s", "currency": "USD", "measures": [
            {"id": "a", "program": "PROGRAM_SECTION_232", "rate": {"adValoremPercent": "25"}, "preempts": ["PROGRAM_IEEPA"]},
            {"id": "b", "program": "PROGRAM_IEEPA", "rate": {"adValoremPercent": "10"}, "preempts": ["PROGRAM_SECTION_232"]}]},
        "options": {"entryDate": "2026-03-02"}
    }));
    let status = calculate_err(&server, req).await;
    assert_eq!(
        violations(&status),
        one("baseline_schedule.measures", "INVALID_STRUCTURE")
    );
    assert!(
        status
            .message()
            .contains("Section 232 -> IEEPA -> Section 232"),
        "{}",
        status.message()
    );

    // A per-kg duty on a component that declares no mass.
    let req = request(json!({
        "bom": {"id": "b", "currency": "USD", "items": [
            {"unitPrice": "10", "import": {"htsCode": "7318.15", "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"}}]},
        "baselinePrices": deck("p", &[]),
        "baselineSchedule": {"id": "s", "currency": "USD", "measures": [
            {"id": "kg", "program": "PROGRAM_MFN", "rate": {"specificAmount": "1", "specificUnit": "UNIT_OF_MEASURE_KG"}}]},
        "options": {"entryDate": "2026-03-02"}
    }));
    assert_eq!(
        violations(&calculate_err(&server, req).await),
        one("bom.items[0].import.net_mass_kg", "MISSING_QUANTITY")
    );
}

#[tokio::test]
async fn the_server_keeps_serving_after_bad_input() {
    let server = TestServer::start().await;
    for (q, reason) in [
        ("-1", "OUT_OF_RANGE"),
        ("x", "MALFORMED_DECIMAL"),
        ("99999999999999999999", "EXCESS_PRECISION"),
    ] {
        assert_eq!(
            violations(&calculate_err(&server, with_items(json!([nd(q)]))).await),
            one("bom.items[0].quantity", reason),
            "{q}"
        );
    }
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel().await);
    let resp = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "tariff.v1.CostImpactService".to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        resp.status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "ok", "currency": "USD", "items": [nd("2")]},
            "baselinePrices": deck("p", &[("nd-oxide", "87")]),
            "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
        }),
    )
    .await;
    assert_eq!(common::amount(&r.baseline_unit_cost), "174.00");
    server.stop().await;
}

/// The engine names what it rejects by position (a BOM line, an option, an input's role);
/// each RPC renders that under its own prefix, so an error under AnalyzeSensitivity points
/// into `calculation`, a preset is named by its id field, and a scenario by its index.
#[tokio::test]
async fn engine_errors_name_the_field_of_the_rpc_that_was_called() {
    let server = TestServer::start().await;
    let big = |quantity: &str, price: &str| {
        json!({
            "bom": {"id": "big", "currency": "USD", "items": [
                {"id": "nd", "materialId": "nd-oxide", "quantity": quantity, "unit": "UNIT_OF_MEASURE_KG"}]},
            "baselinePrices": deck("p", &[("nd-oxide", price)]),
            "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
        })
    };
    let analyze = |calculation: Value| {
        serde_json::from_value::<pb::AnalyzeSensitivityRequest>(json!({
            "calculation": calculation,
            "inputs": [{"name": "mass", "quantity": {"itemPaths": ["nd"]}, "low": "1", "base": "1", "high": "2"}]
        }))
        .unwrap()
    };
    let mut costs = server.costs().await;
    // 10^15 kg x 10^12 USD/kg: the unit cost, a figure of the whole BOM.
    let status = costs
        .analyze_sensitivity(analyze(big("1000000000000000", "1000000000000")))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), one("calculation.bom", "OVERFLOW"));
    // ~1e32: one line's goods cost.
    let status = costs
        .analyze_sensitivity(analyze(big("9999999999999999", "9999999999999999")))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&status),
        one("calculation.bom.items[0].quantity", "OVERFLOW")
    );
    // A EUR BOM against USD presets: a preset's id is what to change.
    let req = request(json!({
        "bom": {"id": "b", "currency": "EUR", "items": [nd("1")]},
        "baselinePricesId": "ree-pre-restriction", "baselineScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02"}
    }));
    assert_eq!(
        violations(&calculate_err(&server, req).await),
        [
            (
                "baseline_prices_id".to_string(),
                "CURRENCY_MISMATCH".to_string()
            ),
            (
                "baseline_schedule_id".to_string(),
                "CURRENCY_MISMATCH".to_string()
            )
        ]
    );
    // A scenario's EUR deck against a USD BOM.
    let req: pb::CompareScenariosRequest = serde_json::from_value(json!({
        "bom": {"id": "b", "currency": "USD", "items": [nd("1")]},
        "baselinePricesId": "ree-pre-restriction", "baselineScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02"},
        "scenarios": [{"name": "eur", "prices": {"id": "eur", "currency": "EUR", "prices": [
            {"materialId": "nd-oxide", "price": "80", "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_FOB"}]}}]
    }))
    .unwrap();
    let status = costs.compare_scenarios(req).await.unwrap_err();
    assert_eq!(
        violations(&status),
        one("scenarios[0].prices.currency", "CURRENCY_MISMATCH")
    );
}
