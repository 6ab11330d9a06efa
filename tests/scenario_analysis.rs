//! Scenario analysis, each rule with hand-checked numbers through the real server: comparing
//! scenarios, sensitivity bounds and tornado, sourcing mixes, stockpile cover, incentive
//! credits, and batch streaming.

mod common;

use common::{TestServer, amount, assert_adds_up, calculate, charge, deck, line, request};
use serde_json::{Value, json};
use tariff_impact::pb;
use tonic::Code;
use tonic_types::StatusExt;

fn magnet_bom() -> Value {
    json!({"id": "magnet", "currency": "USD", "items": [
        {"id": "nd", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG",
         "import": {"htsCode": "8505.11", "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"}}]})
}

fn schedule(id: &str, measures: Value) -> Value {
    json!({"id": id, "currency": "USD", "asOfDate": "2026-01-01", "measures": measures})
}

fn mfn() -> Value {
    json!({"id": "mfn", "program": "PROGRAM_MFN", "rate": {"adValoremPercent": "2"}})
}

/// One BOM (1 kg Nd oxide imported from China at 100/kg, MFN 2%), four scenarios:
/// price shock 200/kg: goods +100, duty 2% x 200 - 2% x 100 = +2 -> 102.00;
/// 301 at 25%: duty 27% x 100 - 2% x 100 = 25.00; both: 200 + 54 - 102 = 152.00; none: 0.00.
#[tokio::test]
async fn compare_scenarios_ranks_by_delta_and_matches_calculate_impact() {
    let server = TestServer::start().await;
    let with_301 = schedule(
        "s1",
        json!([mfn(), {"id": "s301", "program": "PROGRAM_SECTION_301", "origins": ["CN"], "rate": {"adValoremPercent": "25"}}]),
    );
    let req: pb::CompareScenariosRequest = serde_json::from_value(json!({
        "bom": magnet_bom(),
        "baselinePrices": deck("p0", &[("nd-oxide", "100")]),
        "baselineSchedule": schedule("s0", json!([mfn()])),
        "options": {"entryDate": "2026-03-02"},
        "scenarios": [
            {"name": "price shock", "prices": deck("p1", &[("nd-oxide", "200")])},
            {"name": "301 at 25%", "schedule": with_301},
            {"name": "both", "prices": deck("p1", &[("nd-oxide", "200")]), "schedule": with_301},
            {"name": "nothing"}
        ]
    }))
    .unwrap();
    let resp = server
        .costs()
        .await
        .compare_scenarios(req)
        .await
        .unwrap()
        .into_inner();
    let got: Vec<(&str, i32, &str)> = resp
        .scenarios
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.rank,
                amount(&s.result.as_ref().unwrap().delta),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("price shock", 2, "102.00"),
            ("301 at 25%", 3, "25.00"),
            ("both", 1, "152.00"),
            ("nothing", 4, "0.00")
        ]
    );
    assert_eq!(
        resp.ranking,
        ["both", "price shock", "301 at 25%", "nothing"]
    );
    for s in &resp.scenarios {
        assert_adds_up(s.result.as_ref().unwrap());
    }
    // "both" is exactly what CalculateImpact returns for the same inputs.
    let single = calculate(
        &server,
        json!({"bom": magnet_bom(), "baselinePrices": deck("p0", &[("nd-oxide", "100")]),
               "scenarioPrices": deck("p1", &[("nd-oxide", "200")]),
               "baselineSchedule": schedule("s0", json!([mfn()])), "scenarioSchedule": with_301,
               "options": {"entryDate": "2026-03-02"}}),
    )
    .await;
    assert_eq!(resp.scenarios[2].result.as_ref().unwrap(), &single);
    // The both-scenario's split: price 102.00, tariff 25.00, interaction 25% x 100 = 25.00.
    let e = single.effects.as_ref().unwrap();
    assert_eq!(
        (
            amount(&e.price_effect),
            amount(&e.tariff_effect),
            amount(&e.interaction)
        ),
        ("102.00", "25.00", "25.00")
    );
}

#[tokio::test]
async fn compare_scenarios_reports_bad_scenarios_by_path() {
    let server = TestServer::start().await;
    let req: pb::CompareScenariosRequest = serde_json::from_value(json!({
        "bomId": "ev-high-ree", "baselinePricesId": "ree-pre-restriction", "baselineScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02"},
        "scenarios": [{"name": "a"}, {"name": "a", "prices": {"id": "x", "currency": "USD", "prices": [
            {"materialId": "nd-oxide", "price": "-5", "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_FOB"}]}}]
    }))
    .unwrap();
    let status = server
        .costs()
        .await
        .compare_scenarios(req)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = status
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(
        fields,
        ["scenarios[1].name", "scenarios[1].prices.prices[0].price"]
    );
}

fn seed_ev(extra_options: Value) -> Value {
    let mut options = json!({"entryDate": "2026-03-02"});
    for (k, v) in extra_options.as_object().unwrap() {
        options[k] = v.clone();
    }
    json!({
        "bom": {"id": "ev", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd-oxide", "quantity": "1.8", "unit": "UNIT_OF_MEASURE_KG"},
            {"id": "dy", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"}]},
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2026", "options": options
    })
}

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

#[tokio::test]
async fn sensitivity_rejects_bad_ranges_and_unknown_targets() {
    let server = TestServer::start().await;
    let req: pb::AnalyzeSensitivityRequest = serde_json::from_value(json!({
        "calculation": seed_ev(json!({})),
        "inputs": [{"name": "x", "quantity": {"itemPaths": ["nd"]}, "low": "2", "base": "1", "high": "3"},
                   {"name": "y", "rate": {"measureId": "m"}, "low": "1", "base": "1", "high": "1.5.1"}]
    }))
    .unwrap();
    let status = server
        .costs()
        .await
        .analyze_sensitivity(req)
        .await
        .unwrap_err();
    let v: Vec<(String, String)> = status
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| (v.field.clone(), v.reason.clone()))
        .collect();
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

/// Stockpile on the seed EV (delta 315.00): a stock covering the whole 12-month horizon
/// gives 0.00; 6 of 12 months halves it to 157.50; stockpiling Nd oxide only for 6 of 12
/// months relieves half its 248.40: 315.00 - 124.20 = 190.80.
#[tokio::test]
async fn stockpile_cover_spreads_the_delta_over_the_horizon() {
    let server = TestServer::start().await;
    for (stockpile, effective) in [
        (json!({"coverMonths": "12", "horizonMonths": "12"}), "0.00"),
        (json!({"coverMonths": "18", "horizonMonths": "12"}), "0.00"),
        (json!({"coverMonths": "6", "horizonMonths": "12"}), "157.50"),
        (
            json!({"coverMonths": "6", "horizonMonths": "12", "materialIds": ["nd-oxide"]}),
            "190.80",
        ),
    ] {
        let r = calculate(&server, seed_ev(json!({"stockpile": stockpile}))).await;
        let sp = r.stockpile.as_ref().unwrap();
        assert_eq!(amount(&sp.effective_delta), effective, "{stockpile}");
        assert_eq!(amount(&r.delta), "315.00");
    }
}

/// A 7,500 credit lost when more than half the Nd oxide value is Chinese. 1 kg: 45% from
/// China, 55% from Australia. Baseline 100/kg each: share 45 / 100 = 0.45, kept. Scenario CN
/// at 150/kg: 67.50 / 122.50 = 0.55 > 0.5, lost. Unit cost: 40,000 + 100 - 7,500 = 32,600.00
/// -> 40,000 + 122.50 = 40,122.50; delta 7,522.50, all price effect.
#[tokio::test]
async fn incentive_credit_flips_when_the_china_share_crosses_the_threshold() {
    let server = TestServer::start().await;
    let credit = json!({"id": "clean-vehicle", "name": "Clean vehicle credit", "creditAmount": "7500",
                        "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5", "materialIds": ["nd-oxide-cn", "nd-oxide-au"]});
    let bom = json!({"id": "ev", "currency": "USD", "items": [
        {"id": "nd", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG", "sourcing": [
            {"id": "cn", "share": "0.45", "materialId": "nd-oxide-cn", "import": {"htsCode": "2846.90", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}},
            {"id": "au", "share": "0.55", "materialId": "nd-oxide-au", "import": {"htsCode": "2846.90", "origin": "AU", "transportMode": "TRANSPORT_MODE_OCEAN"}}]},
        {"id": "rest", "unitPrice": "40000"}]});
    let r = calculate(
        &server,
        json!({
            "bom": bom,
            "baselinePrices": deck("p0", &[("nd-oxide-cn", "100"), ("nd-oxide-au", "100")]),
            "scenarioPrices": deck("p1", &[("nd-oxide-cn", "150"), ("nd-oxide-au", "100")]),
            "baselineSchedule": {"id": "s", "currency": "USD", "incentives": [credit]},
            "options": {"entryDate": "2026-03-02"}
        }),
    )
    .await;
    let inc = &r.incentives[0];
    let (b, s) = (
        inc.baseline.as_ref().unwrap(),
        inc.scenario.as_ref().unwrap(),
    );
    assert!(b.kept && !s.kept);
    assert_eq!(
        (b.restricted_share.as_str(), amount(&b.credit)),
        ("0.45", "-7500.00")
    );
    assert_eq!(amount(&s.credit), "0.00");
    assert!(
        s.formula
            .starts_with("restricted share 67.50 / 122.50 USD = 0.55102"),
        "{}",
        s.formula
    );
    assert_eq!(amount(&r.baseline_unit_cost), "32600.00");
    assert_eq!(amount(&r.scenario_unit_cost), "40122.50");
    assert_eq!(amount(&r.delta), "7522.50");
    assert_eq!(amount(&r.effects.as_ref().unwrap().price_effect), "7522.50");
}

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
                assert_eq!(common::dec(amount(&res.delta)), want, "item {i}");
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
        common::dec(&s.total_annual_impact[0].amount),
        expected_total * rust_decimal::Decimal::TEN
    );
    assert!(
        responses.message().await.unwrap().is_none(),
        "the stream ends after the summary"
    );
}

/// The Nd oxide mix of the incentive test, with the Chinese share `cn` of 1 kg, priced 100/kg.
fn incentive_case(cn: &str, au: &str, credit: Value, entry_date: &str) -> Value {
    let bom = json!({"id": "ev", "currency": "USD", "items": [
        {"id": "nd", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG", "sourcing": [
            {"id": "cn", "share": cn, "materialId": "nd-oxide-cn", "import": {"htsCode": "2846.90", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}},
            {"id": "au", "share": au, "materialId": "nd-oxide-au", "import": {"htsCode": "2846.90", "origin": "AU", "transportMode": "TRANSPORT_MODE_OCEAN"}}]},
        {"id": "rest", "unitPrice": "40000"}]});
    json!({
        "bom": bom,
        "baselinePrices": deck("p0", &[("nd-oxide-cn", "100"), ("nd-oxide-au", "100")]),
        "baselineSchedule": {"id": "s", "currency": "USD", "incentives": [credit]},
        "options": {"entryDate": entry_date}
    })
}

/// The threshold is inclusive: a restricted share exactly at the maximum keeps the credit.
/// 0.5 kg of 1 kg from China at equal prices: 50.00 / 100.00 = 0.5 <= 0.5, kept:
/// 40,000 + 100 - 7,500 = 32,600.00. One gram more (0.501): 50.10 / 100.00 > 0.5, lost.
#[tokio::test]
async fn incentive_credit_is_kept_at_exactly_the_maximum_share() {
    let server = TestServer::start().await;
    let credit = json!({"id": "cv", "creditAmount": "7500", "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5"});
    for (cn, au, kept, unit) in [
        ("0.5", "0.5", true, "32600.00"),
        ("0.501", "0.499", false, "40100.00"),
    ] {
        let r = calculate(
            &server,
            incentive_case(cn, au, credit.clone(), "2026-03-02"),
        )
        .await;
        let b = r.incentives[0].baseline.as_ref().unwrap();
        assert_eq!(b.kept, kept, "share {cn}");
        assert_eq!(amount(&r.baseline_unit_cost), unit, "share {cn}");
    }
}

/// An incentive applies only on entry dates in its window [from, to): before it starts and
/// from its end date on, no credit, whatever the share; inside it, the 7,500 credit.
#[tokio::test]
async fn incentive_applies_only_inside_its_dates() {
    let server = TestServer::start().await;
    let credit = json!({"id": "cv", "creditAmount": "7500", "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5",
                        "effectiveFrom": "2026-01-01", "effectiveTo": "2027-01-01"});
    for (date, credit_amount, kept) in [
        ("2025-12-31", "0.00", false),
        ("2026-01-01", "-7500.00", true),
        ("2026-12-31", "-7500.00", true),
        ("2027-01-01", "0.00", false),
    ] {
        let r = calculate(&server, incentive_case("0.2", "0.8", credit.clone(), date)).await;
        let b = r.incentives[0].baseline.as_ref().unwrap();
        assert_eq!((amount(&b.credit), b.kept), (credit_amount, kept), "{date}");
        if !kept {
            assert_eq!(b.formula, format!("not in force on {date}"));
        }
    }
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
    let max_reached = common::dec(amount(&r.delta_max_reached));
    let upper = common::dec(amount(&r.delta_upper_bound));
    assert!(max_reached < common::dec("60"), "{max_reached}");
    assert!(upper >= common::dec("60"), "{upper}");
    // The minimum is reached at a corner; the lower bound, from a box never narrowed, is
    // only guaranteed to lie below it.
    assert_eq!(amount(&r.delta_min_reached), "0.00");
    assert!(common::dec(amount(&r.delta_lower_bound)) <= common::dec("0"));
}
