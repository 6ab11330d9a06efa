//! Scenarios as schedule overlays: a base schedule (here the built-in `us-hts-2026`) plus a
//! few changes, in CalculateImpact, CompareScenarios, batch items and sensitivity analyses.
//!
//! The case throughout: magnets 8505.11.00.70 from China at 100.00, entered by air on
//! 2026-03-02, one unit per entry. Under `us-hts-2026` they pay MFN 2.1% = 2.10 and Section
//! 301 9903.91.06 (25% from 2026-01-01, U.S. note 31(g)) = 25.00. An overlay setting
//! 9903.91.06 to 50% makes that 50.00: delta 25.00, all of it tariff effect.

use crate::common::{TestServer, amount, assert_adds_up, calculate, calculate_err, deck, request};
use serde_json::{Value, json};
use tariff_impact::convert::Limits;
use tariff_impact::pb;
use tariff_impact::server::ServerConfig;
use tonic::Code;
use tonic_types::StatusExt;

const S301: &str = "9903.91.06";

/// The magnets under `us-hts-2026`, with `extra` fields added to the request.
fn magnets(extra: Value) -> Value {
    let mut v = json!({
        "bom": {"id": "magnets", "currency": "USD", "items": [
            {"id": "magnets", "unitPrice": "100", "import": {"htsCode": "8505.11.0070",
             "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"}}]},
        "baselinePrices": deck("none", &[]),
        "baselineScheduleId": "us-hts-2026",
        "options": {"entryDate": "2026-03-02"}
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

/// An overlay setting Section 301 on the magnets to `percent`.
fn s301_at(percent: &str) -> Value {
    json!({"id": format!("s301-magnets-{percent}"), "description": format!("Section 301 on magnets at {percent}%"),
           "source": "USTR proposal (hypothetical)",
           "setRates": [{"measureId": S301, "rate": {"adValoremPercent": percent}}]})
}

/// `(baseline, scenario, delta)` of measure `id` in `r`.
fn measure<'a>(r: &'a pb::CalculateImpactResponse, id: &str) -> (&'a str, &'a str, &'a str) {
    let m = r
        .measures
        .iter()
        .find(|m| m.measure_id == id)
        .unwrap_or_else(|| panic!("no measure {id}"));
    (
        amount(&m.baseline_amount),
        amount(&m.scenario_amount),
        amount(&m.delta),
    )
}

/// `(field, reason, description)` of every violation of `s`.
fn violations(s: &tonic::Status) -> Vec<(String, String, String)> {
    assert_eq!(s.code(), Code::InvalidArgument, "{s:?}");
    s.get_details_bad_request()
        .expect("a google.rpc.BadRequest")
        .field_violations
        .into_iter()
        .map(|v| (v.field, v.reason, v.description))
        .collect()
}

fn violation(field: &str, reason: &str, description: &str) -> (String, String, String) {
    (field.into(), reason.into(), description.into())
}

/// "us-hts-2026 with Section 301 on magnets at 50%" in a few lines: 9903.91.06 charges 25.00
/// in the baseline and 50.00 in the scenario, delta 25.00, all tariff effect. The MFN duty
/// (2.10) and the fee are unchanged. The result is exactly what the whole schedule, fetched,
/// edited and sent back inline, gives; InputsUsed names the overlay.
#[tokio::test]
async fn an_overlay_sets_a_measures_rate() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        magnets(json!({"scenarioScheduleOverlay": s301_at("50")})),
    )
    .await;
    assert_eq!(measure(&r, S301), ("25.00", "50.00", "25.00"));
    assert_eq!(measure(&r, "mfn-8505.11.00.70"), ("2.10", "2.10", "0.00"));
    assert_eq!(amount(&r.delta), "25.00");
    let effects = r.effects.as_ref().unwrap();
    assert_eq!(
        (
            amount(&effects.price_effect),
            amount(&effects.tariff_effect)
        ),
        ("0.00", "25.00")
    );
    let line = crate::common::line(&r, "magnets");
    assert_eq!(
        crate::common::charge(&line.scenario, S301).formula,
        "50% x 100.00 USD customs value, Section 301, HTS 8505.11.0070, origin CN"
    );

    let inputs = r.inputs.as_ref().unwrap();
    let scenario = inputs.scenario_schedule.as_ref().unwrap();
    assert_eq!(
        (
            scenario.id.as_str(),
            scenario.preset,
            scenario.as_of_date.as_str(),
            scenario.source.as_str()
        ),
        (
            "us-hts-2026+s301-magnets-50",
            true,
            "2026-09-04",
            "https://hts.usitc.gov/reststop/exportList"
        )
    );
    assert_eq!(
        (
            scenario.base_id.as_str(),
            scenario.overlay_id.as_str(),
            scenario.overlay_source.as_str()
        ),
        (
            "us-hts-2026",
            "s301-magnets-50",
            "USTR proposal (hypothetical)"
        )
    );
    let baseline = inputs.baseline_schedule.as_ref().unwrap();
    assert_eq!(
        (
            baseline.id.as_str(),
            baseline.base_id.as_str(),
            baseline.overlay_id.as_str()
        ),
        ("us-hts-2026", "", "")
    );
    assert!(inputs.scenario_measures_in_force.iter().any(|m| m == S301));

    // The same scenario restated whole: the 335 KB schedule fetched, one rate edited.
    let mut schedule = server
        .catalog()
        .await
        .get_tariff_schedule(pb::GetTariffScheduleRequest {
            id: "us-hts-2026".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .tariff_schedule
        .unwrap();
    let m = schedule.measures.iter_mut().find(|m| m.id == S301).unwrap();
    m.rate.as_mut().unwrap().ad_valorem_percent = "50".into();
    let restated = calculate(
        &server,
        magnets(json!({"scenarioSchedule": serde_json::to_value(&schedule).unwrap()})),
    )
    .await;
    assert_eq!(restated.lines, r.lines);
    assert_eq!(restated.measures, r.measures);
    assert_eq!(restated.delta, r.delta);
}

/// Removing 9903.91.06 leaves the MFN duty: the scenario pays 2.10, delta -25.00. Adding a
/// measure charges it: a 10% surcharge on 8505 from China adds 10.00.
#[tokio::test]
async fn an_overlay_removes_and_adds_measures() {
    let server = TestServer::start().await;
    let lifted = calculate(
        &server,
        magnets(
            json!({"scenarioScheduleOverlay": {"id": "301-lifted", "removeMeasureIds": [S301]}}),
        ),
    )
    .await;
    assert_eq!(measure(&lifted, S301), ("25.00", "0.00", "-25.00"));
    assert_eq!(amount(&lifted.delta), "-25.00");
    let inputs = lifted.inputs.as_ref().unwrap();
    assert!(!inputs.scenario_measures_in_force.iter().any(|m| m == S301));
    assert!(inputs.baseline_measures_in_force.iter().any(|m| m == S301));

    let surcharge = json!({"id": "surcharge-cn-8505", "name": "Surcharge on CN magnets",
        "program": "PROGRAM_SECTION_122", "htsPrefixes": ["8505"], "origins": ["CN"],
        "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "10"}});
    let added = calculate(
        &server,
        magnets(
            json!({"scenarioScheduleOverlay": {"id": "surcharge", "addMeasures": [surcharge]}}),
        ),
    )
    .await;
    assert_eq!(
        measure(&added, "surcharge-cn-8505"),
        ("0.00", "10.00", "10.00")
    );
    assert_eq!(measure(&added, S301), ("25.00", "25.00", "0.00"));
    assert_eq!(amount(&added.delta), "10.00");
}

/// 9903.91.06 postponed to 2026-06-01: not in force on 2026-03-02 (0.00, delta -25.00), in
/// force again for an entry on 2026-07-01 (25.00 on both sides, delta 0.00). Cleared dates
/// make it apply before 2026-01-01 too: 25.00 on 2025-12-15, where the preset charges
/// nothing.
#[tokio::test]
async fn an_overlay_shifts_a_measures_dates() {
    let server = TestServer::start().await;
    let postponed = json!({"id": "301-june", "shiftDates": [{"measureId": S301, "effectiveFrom": "2026-06-01"}]});
    let r = calculate(
        &server,
        magnets(json!({"scenarioScheduleOverlay": postponed})),
    )
    .await;
    assert_eq!(measure(&r, S301), ("25.00", "0.00", "-25.00"));
    assert_eq!(amount(&r.delta), "-25.00");
    let r = calculate(
        &server,
        magnets(json!({"scenarioScheduleOverlay": postponed,
            "options": {"entryDate": "2026-03-02", "scenarioEntryDate": "2026-07-01"}})),
    )
    .await;
    assert_eq!(measure(&r, S301), ("25.00", "25.00", "0.00"));

    let always = json!({"id": "301-always", "shiftDates": [{"measureId": S301, "clearEffectiveFrom": true}]});
    let r = calculate(
        &server,
        magnets(json!({"scenarioScheduleOverlay": always,
            "options": {"entryDate": "2025-12-15"}})),
    )
    .await;
    assert_eq!(measure(&r, S301), ("0.00", "25.00", "25.00"));
}

/// The baseline may be overlaid too, and a scenario overlay without a schedule of its own
/// starts from the overlaid baseline: with 9903.91.06 removed from the baseline, the scenario
/// cannot set its rate (no such measure in "us-hts-2026+no-301") but may add it back at 50%
/// (0.00 -> 50.00); against the preset itself the baseline's removal is a delta of 25.00.
#[tokio::test]
async fn a_scenario_overlay_starts_from_the_overlaid_baseline() {
    let server = TestServer::start().await;
    let no_301 = json!({"id": "no-301", "removeMeasureIds": [S301]});
    let status = calculate_err(
        &server,
        request(magnets(json!({"baselineScheduleOverlay": no_301,
            "scenarioScheduleOverlay": s301_at("50")}))),
    )
    .await;
    assert_eq!(
        violations(&status),
        [violation(
            "scenario_schedule_overlay.set_rates[0].measure_id",
            "INVALID_VALUE",
            "no measure \"9903.91.06\" in schedule \"us-hts-2026+no-301\""
        )]
    );

    let back = json!({"id": "301-back", "addMeasures": [{"id": S301, "program": "PROGRAM_SECTION_301",
        "htsPrefixes": ["85051100"], "origins": ["CN"], "alternativeGroup": "section-301",
        "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "50"}}]});
    let r = calculate(
        &server,
        magnets(json!({"baselineScheduleOverlay": no_301, "scenarioScheduleOverlay": back})),
    )
    .await;
    assert_eq!(measure(&r, S301), ("0.00", "50.00", "50.00"));
    let inputs = r.inputs.as_ref().unwrap();
    let scenario = inputs.scenario_schedule.as_ref().unwrap();
    assert_eq!(
        (scenario.id.as_str(), scenario.base_id.as_str()),
        ("us-hts-2026+no-301+301-back", "us-hts-2026+no-301")
    );

    let r = calculate(
        &server,
        magnets(json!({"baselineScheduleOverlay": no_301, "scenarioScheduleId": "us-hts-2026"})),
    )
    .await;
    assert_eq!(measure(&r, S301), ("0.00", "25.00", "25.00"));
    assert_eq!(
        r.inputs
            .as_ref()
            .unwrap()
            .baseline_schedule
            .as_ref()
            .unwrap()
            .overlay_id,
        "no-301"
    );
}

/// The references of an overlay are checked first, every violation at its field path and
/// all of them in one answer: an unknown measure, a measure removed and changed, a measure's
/// rate set twice, an added id already in use, a missing overlay id.
#[tokio::test]
async fn an_overlays_bad_references_are_named_by_their_paths() {
    let server = TestServer::start().await;
    let rate = json!({"adValoremPercent": "50"});
    let status = calculate_err(
        &server,
        request(magnets(json!({
            "baselineScheduleOverlay": {"id": "b", "removeMeasureIds": ["9903.91.99"]},
            "scenarioScheduleId": "us-hts-2026",
            "scenarioScheduleOverlay": {
                "setRates": [{"measureId": S301, "rate": rate}, {"measureId": S301, "rate": rate}],
                "removeMeasureIds": ["mfn-8505.11.00.70"],
                "shiftDates": [{"measureId": "mfn-8505.11.00.70", "effectiveFrom": "2026-06-01"}],
                "addMeasures": [{"id": "9903.91.07", "program": "PROGRAM_SECTION_301",
                    "basis": "DUTY_BASIS_FULL_VALUE", "rate": rate}]}}))),
    )
    .await;
    let v = violations(&status);
    assert_eq!(
        v.iter()
            .map(|(f, r, _)| (f.as_str(), r.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                "baseline_schedule_overlay.remove_measure_ids[0]",
                "INVALID_VALUE"
            ),
            ("scenario_schedule_overlay.id", "REQUIRED"),
            (
                "scenario_schedule_overlay.set_rates[1].measure_id",
                "DUPLICATE"
            ),
            (
                "scenario_schedule_overlay.shift_dates[0].measure_id",
                "DUPLICATE"
            ),
            ("scenario_schedule_overlay.add_measures[0].id", "DUPLICATE"),
        ]
    );
    assert_eq!(
        v[0].2,
        "no measure \"9903.91.99\" in schedule \"us-hts-2026\""
    );
    assert_eq!(
        v[2].2,
        "the rate of measure \"9903.91.06\" is already set by set_rates[0]"
    );

    // An overlay on a preset that does not exist: NOT_FOUND, as without an overlay.
    let status = calculate_err(
        &server,
        request(magnets(json!({"baselineScheduleId": "us-hts-2099",
            "baselineScheduleOverlay": s301_at("50")}))),
    )
    .await;
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(
        status.message().starts_with("baseline_schedule_id: "),
        "{}",
        status.message()
    );
}

/// Once its references hold, the changed schedule is validated like an inline one and each
/// violation is named by the change that caused it: a malformed rate, an impossible date, an
/// added measure without a program.
#[tokio::test]
async fn an_overlays_changes_are_held_to_the_schedule_rules() {
    let server = TestServer::start().await;
    let status = calculate_err(
        &server,
        request(magnets(json!({"scenarioScheduleOverlay": {"id": "bad",
            "setRates": [{"measureId": S301, "rate": {"adValoremPercent": "fifty"}}],
            "shiftDates": [{"measureId": "mfn-8505.11.00.70", "effectiveTo": "2026-02-30"}],
            "addMeasures": [{"id": "new", "htsPrefixes": ["8505"],
                "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "25"}}]}}))),
    )
    .await;
    let mut v = violations(&status);
    v.sort();
    assert_eq!(
        v,
        [
            violation(
                "scenario_schedule_overlay.add_measures[0].program",
                "REQUIRED",
                "program is required"
            ),
            violation(
                "scenario_schedule_overlay.set_rates[0].rate.ad_valorem_percent",
                "MALFORMED_DECIMAL",
                "\"fifty\" is not a decimal number (expected digits with an optional '.' fraction, e.g. \"1.25\")"
            ),
            violation(
                "scenario_schedule_overlay.shift_dates[0].effective_to",
                "INVALID_VALUE",
                "\"2026-02-30\" is not a valid date YYYY-MM-DD"
            ),
        ]
    );
}

/// CompareScenarios: one baseline, scenarios written as overlays of it. 50%: +25.00; 35%:
/// +10.00; lifted: -25.00; postponed to June: -25.00 on 2026-03-02; no change: 0.00. Ties
/// keep request order. A baseline overlay is every scenario's starting point unless a
/// scenario names its own schedule.
#[tokio::test]
async fn compare_scenarios_takes_overlays() {
    let server = TestServer::start().await;
    let postponed = json!({"id": "301-june", "shiftDates": [{"measureId": S301, "effectiveFrom": "2026-06-01"}]});
    let mut req = magnets(json!({"scenarios": [
        {"name": "301 at 50%", "scheduleOverlay": s301_at("50")},
        {"name": "301 lifted", "scheduleOverlay": {"id": "lifted", "removeMeasureIds": [S301]}},
        {"name": "301 postponed to June", "scheduleOverlay": postponed},
        {"name": "301 at 35%", "scheduleOverlay": s301_at("35")},
        {"name": "no change"}]}));
    let compare = |req: &Value| {
        let req: pb::CompareScenariosRequest = serde_json::from_value(req.clone()).unwrap();
        let server = &server;
        async move { server.costs().await.compare_scenarios(req).await }
    };
    let resp = compare(&req).await.unwrap().into_inner();
    let got: Vec<(&str, i32, &str)> = resp
        .scenarios
        .iter()
        .map(|s| {
            let r = s.result.as_ref().unwrap();
            assert_adds_up(r);
            (s.name.as_str(), s.rank, amount(&r.delta))
        })
        .collect();
    assert_eq!(
        got,
        [
            ("301 at 50%", 1, "25.00"),
            ("301 lifted", 4, "-25.00"),
            ("301 postponed to June", 5, "-25.00"),
            ("301 at 35%", 2, "10.00"),
            ("no change", 3, "0.00"),
        ]
    );
    let first = resp.scenarios[0].result.as_ref().unwrap();
    assert_eq!(measure(first, S301), ("25.00", "50.00", "25.00"));
    let used = |i: usize| {
        let r = resp.scenarios[i].result.as_ref().unwrap();
        let s = r
            .inputs
            .as_ref()
            .unwrap()
            .scenario_schedule
            .as_ref()
            .unwrap();
        (s.id.clone(), s.overlay_id.clone())
    };
    assert_eq!(
        used(0),
        (
            "us-hts-2026+s301-magnets-50".into(),
            "s301-magnets-50".into()
        )
    );
    assert_eq!(used(4), ("us-hts-2026".into(), String::new()));

    // A baseline without 9903.91.06: the preset itself is +25.00, no change 0.00.
    req["baselineScheduleOverlay"] = json!({"id": "no-301", "removeMeasureIds": [S301]});
    req["scenarios"] =
        json!([{"name": "preset", "scheduleId": "us-hts-2026"}, {"name": "no change"}]);
    let resp = compare(&req).await.unwrap().into_inner();
    let deltas: Vec<&str> = resp
        .scenarios
        .iter()
        .map(|s| amount(&s.result.as_ref().unwrap().delta))
        .collect();
    assert_eq!(deltas, ["25.00", "0.00"]);

    // A bad scenario overlay is named under its scenario.
    req["scenarios"] = json!([{"name": "typo", "scheduleOverlay": {"id": "t", "removeMeasureIds": ["9903.91.60"]}}]);
    let status = compare(&req).await.unwrap_err();
    assert_eq!(
        violations(&status),
        [violation(
            "scenarios[0].schedule_overlay.remove_measure_ids[0]",
            "INVALID_VALUE",
            "no measure \"9903.91.60\" in schedule \"us-hts-2026+no-301\""
        )]
    );
}

/// A batch item carries an overlay like a CalculateImpact request; a bad one fails alone,
/// named by its path, and the summary counts the good one's 25.00.
#[tokio::test]
async fn a_batch_item_takes_an_overlay() {
    let server = TestServer::start().await;
    let item = |id: &str, overlay: Value| pb::CalculateBatchRequest {
        request_id: id.into(),
        calculation: Some(request(magnets(
            json!({"scenarioScheduleOverlay": overlay}),
        ))),
    };
    let items = vec![
        item("at-50", s301_at("50")),
        item(
            "typo",
            json!({"id": "t", "removeMeasureIds": ["9903.91.99"]}),
        ),
    ];
    let mut stream = server
        .costs()
        .await
        .calculate_batch(tokio_stream::iter(items))
        .await
        .unwrap()
        .into_inner();
    let mut outcomes = Vec::new();
    while let Some(r) = stream.message().await.unwrap() {
        outcomes.push((r.request_id, r.outcome.unwrap()));
    }
    use pb::calculate_batch_response::Outcome;
    let [
        (a, Outcome::Result(ok)),
        (b, Outcome::Error(e)),
        (_, Outcome::Summary(s)),
    ] = &outcomes[..]
    else {
        panic!("{outcomes:?}");
    };
    assert_eq!((a.as_str(), b.as_str()), ("at-50", "typo"));
    assert_eq!(measure(ok, S301), ("25.00", "50.00", "25.00"));
    assert_eq!(e.code, "INVALID_ARGUMENT");
    let v = &e.field_violations[0];
    assert_eq!(
        (v.field.as_str(), v.reason.as_str(), v.description.as_str()),
        (
            "scenario_schedule_overlay.remove_measure_ids[0]",
            "INVALID_VALUE",
            "no measure \"9903.91.99\" in schedule \"us-hts-2026\""
        )
    );
    assert_eq!((s.requests, s.succeeded, s.failed), (2, 1, 1));
    assert_eq!(amount(&s.total_unit_delta.first().cloned()), "25.00");
}

/// A sensitivity analysis of an overlaid scenario: 9903.91.06 at 50% (base delta 25.00),
/// its rate swung 25-75% on the overlaid scenario: delta 0.00 to 50.00. Paths are under
/// `calculation`.
#[tokio::test]
async fn a_sensitivity_analysis_takes_an_overlay() {
    let server = TestServer::start().await;
    let analyze = |overlay: Value| {
        let req: pb::AnalyzeSensitivityRequest = serde_json::from_value(json!({
            "calculation": magnets(json!({"scenarioScheduleOverlay": overlay})),
            "inputs": [{"name": "301 rate", "rate": {"measureId": S301, "side": "SIDE_SCENARIO"},
                        "low": "25", "base": "50", "high": "75"}]}))
        .unwrap();
        let server = &server;
        async move { server.costs().await.analyze_sensitivity(req).await }
    };
    let r = analyze(s301_at("50")).await.unwrap().into_inner();
    assert_eq!(amount(&r.base.as_ref().unwrap().delta), "25.00");
    assert_eq!(
        (amount(&r.delta_lower_bound), amount(&r.delta_upper_bound)),
        ("0.00", "50.00")
    );
    let status = analyze(json!({"id": "t", "removeMeasureIds": ["x"]}))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&status)[0].0,
        "calculation.scenario_schedule_overlay.remove_measure_ids[0]"
    );
}

/// A small inline schedule: 2 measures (MFN on 8505 and 8504; Section 301 on 8505 from China)
/// and MPF: 3 entries listing 4 codes.
fn small_schedule() -> Value {
    json!({"id": "small", "currency": "USD", "measures": [
        {"id": "mfn", "program": "PROGRAM_MFN", "htsPrefixes": ["8505", "8504"],
         "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "2"}},
        {"id": "s301", "program": "PROGRAM_SECTION_301", "htsPrefixes": ["8505"], "origins": ["CN"],
         "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "25"}}],
        "fees": [{"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464"}]})
}

fn small(extra: Value) -> Value {
    let mut v = magnets(extra);
    v.as_object_mut().unwrap().remove("baselineScheduleId");
    v["baselineSchedule"] = small_schedule();
    v
}

fn s301_small() -> Value {
    json!({"id": "50", "setRates": [{"measureId": "s301", "rate": {"adValoremPercent": "50"}}]})
}

/// The estimate of `req`'s work, read from its refusal by a server with a budget of 1 unit.
async fn estimated_work(server: &TestServer, req: Value) -> u64 {
    let s = calculate_err(server, request(req)).await;
    assert_eq!(s.code(), Code::ResourceExhausted, "{s:?}");
    let info = s.get_details_error_info().expect("a google.rpc.ErrorInfo");
    assert_eq!(info.reason, "WORK_BUDGET_EXCEEDED");
    info.metadata["estimate"].parse().unwrap()
}

/// Rebuilding a schedule is counted in the call's work before it runs: for the small schedule
/// (3 entries x 4 units + 4 codes x 2 units) and an overlay of one change (4 units), 24 units
/// more than the same calculation without the overlay. So an overlay cannot rebuild a preset
/// for free: under a budget of 20,000 units the magnets are costed under `us-hts-2026` and
/// the small schedule's overlay, but an overlay of `us-hts-2026` (more than 10,000 HTS
/// prefixes, 2 units each) is refused.
#[tokio::test]
async fn an_overlays_rebuild_is_counted_in_the_work_budget() {
    let config = |work| {
        let mut c = ServerConfig::default();
        c.budgets.max_call_work = work;
        c
    };
    let server = TestServer::start_with(config(1)).await;
    let plain = estimated_work(&server, small(json!({}))).await;
    let overlaid = estimated_work(
        &server,
        small(json!({"scenarioScheduleOverlay": s301_small()})),
    )
    .await;
    assert_eq!(overlaid, plain + 24);

    let server = TestServer::start_with(config(20_000)).await;
    let r = calculate(
        &server,
        small(json!({"scenarioScheduleOverlay": s301_small()})),
    )
    .await;
    assert_eq!(measure(&r, "s301"), ("25.00", "50.00", "25.00"));
    calculate(&server, magnets(json!({}))).await;
    let refused = estimated_work(
        &server,
        magnets(json!({"scenarioScheduleOverlay": s301_at("50")})),
    )
    .await;
    assert!(refused > 20_000, "{refused}");
}

/// The limits on overlays, configurable like the BOM's: at most 2 changes per overlay here,
/// and 15 rebuilt entries per request. A rebuild of the small schedule with one change
/// counts 3 + 4 + 1 = 8: one fits, a second (the scenario's, or a second scenario's) is
/// refused at its overlay before it is built.
#[tokio::test]
async fn overlay_sizes_are_limited_per_overlay_and_per_request() {
    let server = TestServer::start_with(ServerConfig {
        limits: Limits {
            max_overlay_changes: 2,
            max_overlay_entries: 15,
            ..Limits::default()
        },
        ..ServerConfig::default()
    })
    .await;
    calculate(
        &server,
        small(json!({"scenarioScheduleOverlay": s301_small()})),
    )
    .await;
    let three = json!({"id": "3", "removeMeasureIds": ["mfn"],
        "setRates": [{"measureId": "s301", "rate": {"adValoremPercent": "50"}}],
        "shiftDates": [{"measureId": "s301", "effectiveFrom": "2026-06-01"}]});
    let s = calculate_err(
        &server,
        request(small(json!({"scenarioScheduleOverlay": three}))),
    )
    .await;
    assert_eq!(
        violations(&s),
        [violation(
            "scenario_schedule_overlay",
            "OUT_OF_RANGE",
            "3 changes; at most 2 per overlay (--max-overlay-changes)"
        )]
    );

    let s = calculate_err(
        &server,
        request(small(json!({"baselineScheduleOverlay": s301_small(),
            "scenarioScheduleOverlay": s301_small()}))),
    )
    .await;
    let v = violations(&s);
    assert_eq!(
        (v.len(), v[0].0.as_str(), v[0].1.as_str()),
        (1, "scenario_schedule_overlay", "OUT_OF_RANGE")
    );
    // The detail's description is clipped to 128 bytes; the status message has it whole.
    assert!(
        v[0].2.starts_with("at most 15 schedule entries rebuilt by overlays per request (--max-overlay-entries): this overlay rebuilds"),
        "{}",
        v[0].2
    );
    assert!(
        s.message()
            .contains("rebuilds schedule \"small+50\", 8 entries, 16 in all"),
        "{}",
        s.message()
    );

    let req: pb::CompareScenariosRequest = serde_json::from_value(small(json!({"scenarios": [
        {"name": "a", "scheduleOverlay": s301_small()},
        {"name": "b", "scheduleOverlay": s301_small()}]})))
    .unwrap();
    let s = server
        .costs()
        .await
        .compare_scenarios(req)
        .await
        .unwrap_err();
    assert_eq!(
        violations(&s)
            .into_iter()
            .map(|(f, r, _)| (f, r))
            .collect::<Vec<_>>(),
        [(
            "scenarios[1].schedule_overlay".to_string(),
            "OUT_OF_RANGE".to_string()
        )]
    );
}

/// A few bytes of overlay rebuild a whole preset, so a request with one is weighed as large
/// (prepared on the worker pool under a calculation slot, like an inline BOM that expands
/// shared assemblies); the same request without it is weighed by its size.
#[test]
fn a_request_with_an_overlay_is_prepared_as_a_large_one() {
    use tariff_impact::api::guard::PrepareWeight;
    let plain = request(magnets(json!({})));
    assert!(plain.prepare_weight() < 1024, "{}", plain.prepare_weight());
    for overlay in ["baselineScheduleOverlay", "scenarioScheduleOverlay"] {
        let r = request(magnets(json!({overlay: s301_at("50")})));
        assert_eq!(r.prepare_weight(), usize::MAX, "{overlay}");
    }
    let compare = |extra: Value| -> pb::CompareScenariosRequest {
        serde_json::from_value(magnets(extra)).unwrap()
    };
    let scenario =
        json!({"scenarios": [{"name": "a"}, {"name": "b", "scheduleOverlay": s301_at("50")}]});
    assert_eq!(compare(scenario).prepare_weight(), usize::MAX);
    let baseline = json!({"baselineScheduleOverlay": s301_at("50"), "scenarios": [{"name": "a"}]});
    assert_eq!(compare(baseline).prepare_weight(), usize::MAX);
    assert!(compare(json!({"scenarios": [{"name": "a"}]})).prepare_weight() < 1024);
    let sensitivity = |calculation: Value| -> pb::AnalyzeSensitivityRequest {
        serde_json::from_value(json!({"calculation": calculation})).unwrap()
    };
    assert_eq!(
        sensitivity(magnets(json!({"scenarioScheduleOverlay": s301_at("50")}))).prepare_weight(),
        usize::MAX
    );
    assert!(sensitivity(magnets(json!({}))).prepare_weight() < 1024);
}

/// A preset schedule under a preset overlay is built once and reused (`api::overlaid`): the
/// answer is the same on every call and on another server, and the reuse bypasses no limit.
/// The magnets on 2025-09-02 under `us-2025-ieepa-auto-parts`: Section 301 is not yet in force
/// (9903.91.06 from 2026-01-01), the China fentanyl duty charges 20% = 20.00, and the reciprocal
/// duty spares 8505.11.00.70 (heading 9903.01.32).
#[tokio::test]
async fn a_built_overlay_is_reused_without_bypassing_limits() {
    let req = || {
        magnets(
            json!({"scenarioScheduleOverlayId": "us-2025-ieepa-auto-parts",
            "options": {"entryDate": "2025-01-15", "scenarioEntryDate": "2025-09-02"}}),
        )
    };
    let server = TestServer::start().await;
    let first = calculate(&server, req()).await;
    assert_eq!(amount(&first.delta), "20.00");
    let again = calculate(&server, req()).await;
    assert_eq!(again, first);
    let other = TestServer::start().await;
    assert_eq!(calculate(&other, req()).await, first);
    // A server allowing fewer changes per overlay refuses the overlay even once it is built.
    let strict = TestServer::start_with(ServerConfig {
        limits: Limits {
            max_overlay_changes: 5,
            ..Limits::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let s = calculate_err(&strict, request(req())).await;
    assert_eq!(s.code(), Code::InvalidArgument, "{s:?}");
    // And one allowing fewer rebuilt entries per request counts the reused build as rebuilt.
    let small_budget = TestServer::start_with(ServerConfig {
        limits: Limits {
            max_overlay_entries: 100,
            ..Limits::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let s = calculate_err(&small_budget, request(req())).await;
    assert_eq!(violations(&s)[0].0, "scenario_schedule_overlay_id", "{s:?}");
}
