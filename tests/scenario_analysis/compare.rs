//! CompareScenarios: every named scenario costed as CalculateImpact would cost it, ranked
//! by delta; bad scenarios reported by their path.

use crate::common::{TestServer, amount, assert_adds_up, calculate, deck};
use crate::schedule;
use serde_json::{Value, json};
use tariff_impact::pb;
use tonic::Code;

fn magnet_bom() -> Value {
    json!({"id": "magnet", "currency": "USD", "items": [
        {"id": "nd", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG",
         "import": {"htsCode": "8505.11", "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"}}]})
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
    let fields = crate::common::bad_request_fields(&status);
    assert_eq!(
        fields,
        ["scenarios[1].name", "scenarios[1].prices.prices[0].price"]
    );
}

/// Acknowledged gaps in a comparison: an id may name a known gap of the baseline schedule or
/// of any scenario's ("adcvd" here is declared only by scenario "with gaps"), and each
/// scenario marks the gaps it has; an id no schedule declares is refused at its index.
#[tokio::test]
async fn compare_scenarios_acknowledges_known_gaps_of_any_scenario() {
    let server = TestServer::start().await;
    let mut gapped = schedule("s1", json!([mfn()]));
    gapped["knownGaps"] = json!([{"id": "adcvd", "description": "AD/CVD not carried"}]);
    let req = |acknowledged: Value| -> pb::CompareScenariosRequest {
        serde_json::from_value(json!({
            "bom": magnet_bom(),
            "baselinePrices": deck("p0", &[("nd-oxide", "100")]),
            "baselineSchedule": schedule("s0", json!([mfn()])),
            "options": {"entryDate": "2026-03-02", "requireCoverage": true,
                        "acknowledgedGaps": acknowledged},
            "scenarios": [{"name": "with gaps", "schedule": gapped}, {"name": "plain"}]
        }))
        .unwrap()
    };
    let resp = server
        .costs()
        .await
        .compare_scenarios(req(json!(["adcvd"])))
        .await
        .unwrap()
        .into_inner();
    let gaps: Vec<_> = resp
        .scenarios
        .iter()
        .map(|s| {
            let r = s.result.as_ref().unwrap();
            r.coverage_gaps
                .iter()
                .map(|g| {
                    (
                        s.name.clone(),
                        g.known_gap_id.clone(),
                        g.side,
                        g.acknowledged,
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        gaps,
        [
            vec![(
                "with gaps".to_string(),
                "adcvd".to_string(),
                pb::Side::Scenario as i32,
                true
            )],
            vec![]
        ]
    );
    let status = server
        .costs()
        .await
        .compare_scenarios(req(json!(["nope"])))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields = crate::common::bad_request_fields(&status);
    assert_eq!(fields, ["options.acknowledged_gaps[0]"]);
    // Not acknowledged: the scenario with the gap is refused.
    let status = server
        .costs()
        .await
        .compare_scenarios(req(json!([])))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
}
