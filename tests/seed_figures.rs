//! The seed report's figures (docs/seed-figures.md), one test per row of its table: the same
//! presets, overlays and requests as the page's commands, against the real server, pinning our
//! numbers so a data or rule change that moves them is noticed. The small ones are worked by
//! hand in the comments; the rest are the page's, which CI also runs verbatim.

mod common;

use common::{TestServer, amount, assert_adds_up, calculate, line};
use serde_json::{Value, json};
use tariff_impact::pb;

/// The baseline of every tariff row: us-hts-2026 before the 2025 measures, 500 vehicles to an
/// entry, the automobile-parts gap acknowledged (the overlay carries those duties).
fn ev_options() -> Value {
    json!({"entryDate": "2025-01-15", "unitsPerEntry": "500",
           "acknowledgedGaps": ["s232-auto-parts-note-33"]})
}

fn scenario(name: &str, date: &str, overlay: Option<&str>) -> Value {
    let mut s = json!({"name": name, "entryDate": date});
    if let Some(o) = overlay {
        s["scheduleOverlayId"] = json!(o);
    }
    s
}

/// CompareScenarios with every result checked to add up: (name, result) per scenario.
async fn compare(server: &TestServer, req: Value) -> Vec<(String, pb::CalculateImpactResponse)> {
    let req: pb::CompareScenariosRequest = serde_json::from_value(req).unwrap();
    let resp = server
        .costs()
        .await
        .compare_scenarios(req)
        .await
        .unwrap_or_else(|s| panic!("CompareScenarios failed: {s:?}"))
        .into_inner();
    resp.scenarios
        .into_iter()
        .map(|s| {
            let r = s.result.unwrap();
            assert_adds_up(&r);
            (s.name, r)
        })
        .collect()
}

async fn sensitivity(server: &TestServer, req: Value) -> pb::AnalyzeSensitivityResponse {
    let req: pb::AnalyzeSensitivityRequest = serde_json::from_value(req).unwrap();
    server
        .costs()
        .await
        .analyze_sensitivity(req)
        .await
        .unwrap_or_else(|s| panic!("AnalyzeSensitivity failed: {s:?}"))
        .into_inner()
}

fn tariff(r: &pb::CalculateImpactResponse) -> &str {
    amount(&r.effects.as_ref().unwrap().tariff_effect)
}

fn measure<'a>(r: &'a pb::CalculateImpactResponse, id: &str) -> &'a str {
    let m = r.measures.iter().find(|m| m.measure_id == id);
    amount(&m.unwrap_or_else(|| panic!("no measure {id}")).delta)
}

/// (name, tariff effect, delta %) of every scenario.
fn table(results: &[(String, pb::CalculateImpactResponse)]) -> Vec<(&str, &str, &str)> {
    results
        .iter()
        .map(|(n, r)| (n.as_str(), tariff(r), r.delta_percent.as_str()))
        .collect()
}

/// Row 1: the decks are the report's quotes. 225 - 87 = 138, 485 - 152 = 333.
#[tokio::test]
async fn row_1_oxide_prices_are_the_reports() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
        "bom": {"id": "one-kg-each", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"},
            {"id": "dy", "materialId": "dy-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"}]},
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-hts-2026", "options": {"entryDate": "2025-01-15"}}),
    )
    .await;
    assert_eq!(amount(&line(&r, "nd").delta), "138.00");
    assert_eq!(amount(&line(&r, "dy").delta), "333.00");
    assert_eq!(amount(&r.delta), "471.00");
}

/// Row 2: 1-2 kg per EV. As oxide (ev-high-ree): 1.8 x 138 + 0.2 x 333 = 248.40 + 66.60 =
/// 315.00 of materials; as magnet mass (ev-bev-midsize, 0.723116398414 kg Nd oxide and
/// 0.020658785722 kg Dy oxide): 99.79 + 6.88.
#[tokio::test]
async fn row_2_rare_earths_per_ev_bracket_by_reading() {
    let server = TestServer::start().await;
    let calc = |bom: &str| {
        json!({"bomId": bom, "baselinePricesId": "ree-pre-restriction",
               "scenarioPricesId": "ree-post-restriction", "baselineScheduleId": "us-hts-2026",
               "options": {"entryDate": "2025-01-15", "unitsPerEntry": "500"}})
    };
    let magnets = [
        "drive-unit/rotor-magnets/nd-oxide",
        "drive-unit/rotor-magnets/dy-oxide",
    ];
    let oxide = sensitivity(
        &server,
        json!({"calculation": calc("ev-high-ree"), "inputs": [
        {"name": "REE oxide per EV 1-2 kg", "quantity": {"itemPaths": magnets},
         "low": "0.5", "base": "1", "high": "1"}]}),
    )
    .await;
    let base = oxide.base.as_ref().unwrap();
    let materials: Vec<&str> = base.materials.iter().map(|m| amount(&m.delta)).collect();
    assert_eq!(materials, ["248.40", "66.60"]);
    assert_eq!(amount(&base.delta), "322.48");
    assert_eq!(amount(&oxide.delta_lower_bound), "161.55");
    assert_eq!(amount(&oxide.delta_upper_bound), "322.48");

    let mass = sensitivity(
        &server,
        json!({"calculation": calc("ev-bev-midsize"), "inputs": [
        {"name": "magnet per EV 1-2 kg", "quantity": {"itemPaths": magnets},
         "low": "0.5", "base": "1", "high": "1"},
        {"name": "Dy 0.6-1.2 wt%", "quantity": {"itemPaths": [magnets[1]]},
         "low": "0.666667", "base": "1", "high": "1.333333"}]}),
    )
    .await;
    let base = mass.base.as_ref().unwrap();
    let materials: Vec<&str> = base.materials.iter().map(|m| amount(&m.delta)).collect();
    assert_eq!(materials, ["99.79", "6.88"]);
    assert_eq!(amount(&base.delta), "109.42");
    assert_eq!(amount(&mass.delta_lower_bound), "53.53");
    assert_eq!(amount(&mass.delta_upper_bound), "111.77");
}

fn ev_dates(bom: &str) -> Value {
    let o = Some("us-2025-ieepa-auto-parts");
    let mut shock = scenario("2025-09-02 with REE shock", "2025-09-02", o);
    shock["pricesId"] = json!("ree-post-restriction");
    json!({"bomId": bom, "baselinePricesId": "ree-pre-restriction",
           "baselineScheduleId": "us-hts-2026", "options": ev_options(), "scenarios": [
        scenario("2025-04-15", "2025-04-15", o), scenario("2025-09-02", "2025-09-02", o),
        scenario("2026-03-02", "2026-03-02", o), shock]})
}

/// Rows 3 and 4, US-assembled with Korean cells. By hand on 2025-09-02: cells 25% x 6,375.00
/// = 1,593.75 (Section 232 parts); magnets 20% of 106.05 = 21.21 (fentanyl; the reciprocal
/// duty spares 8505.11.00.70); aluminium 50% x 0.95 x 800.00 = 380.00; total 1,994.96. On
/// 2025-04-15 the cells paid the 10% reciprocal duty instead: 637.50.
#[tokio::test]
async fn rows_3_4_us_assembled_ev_with_korean_cells() {
    let server = TestServer::start().await;
    let results = compare(&server, ev_dates("ev-bev-midsize")).await;
    let sep = &results[1].1;
    assert_eq!(measure(sep, "9903.94.05-kr"), "1593.75");
    assert_eq!(measure(sep, "ieepa-fentanyl-cn-20"), "21.21");
    assert_eq!(measure(sep, "9903.85.07@2025-06-04"), "380.00");
    assert_eq!(measure(&results[0].1, "ieepa-reciprocal-10a"), "637.50");
    let reciprocal = sep
        .measures
        .iter()
        .filter(|m| m.measure_id.starts_with("ieepa-reciprocal"))
        .count();
    assert_eq!(
        reciprocal, 0,
        "magnets and parts are spared the reciprocal duty"
    );
    assert_eq!(
        table(&results),
        [
            ("2025-04-15", "848.71", "1.89"),
            ("2025-09-02", "1994.96", "4.43"),
            ("2026-03-02", "1362.85", "3.03"),
            ("2025-09-02 with REE shock", "1994.96", "4.72"),
        ]
    );
    assert_eq!(amount(&results[3].1.delta), "2125.71");
    // The steel brackets' chapter 73 Section 232 duty is a known gap of the data, listed.
    assert!(
        sep.coverage_gaps
            .iter()
            .any(|g| g.path == "steel-brackets-and-fittings"
                && g.known_gap_id == "s232-steel-aluminum-before-2026-04-06")
    );
}

/// Rows 3 and 4, Chinese cells. At the April 2025 peak: 125% reciprocal on the cells, 1.25 x
/// 6,375.00 = 7,968.75, and 20% fentanyl on cells and magnets, 0.2 x 6,481.05 = 1,296.21.
#[tokio::test]
async fn rows_3_4_us_assembled_ev_with_chinese_cells() {
    let server = TestServer::start().await;
    let results = compare(&server, ev_dates("ev-bev-midsize-cn-cells")).await;
    assert_eq!(
        measure(&results[0].1, "ieepa-reciprocal-cn-125a"),
        "7968.75"
    );
    assert_eq!(measure(&results[0].1, "ieepa-fentanyl-cn-20"), "1296.21");
    assert_eq!(
        table(&results),
        [
            ("2025-04-15", "9454.96", "20.90"),
            ("2025-09-02", "3269.96", "7.23"),
            ("2026-03-02", "3594.10", "7.95"),
            ("2025-09-02 with REE shock", "3269.96", "7.52"),
        ]
    );
    assert_eq!(amount(&results[3].1.delta), "3400.34");
    let sens = sensitivity(&server, json!({"calculation": {
        "bomId": "ev-bev-midsize-cn-cells", "baselinePricesId": "ree-pre-restriction",
        "baselineScheduleId": "us-hts-2026", "scenarioScheduleOverlayId": "us-2025-ieepa-auto-parts",
        "options": {"entryDate": "2025-01-15", "scenarioEntryDate": "2025-09-02", "unitsPerEntry": "500",
                    "acknowledgedGaps": ["s232-auto-parts-note-33"]}}, "inputs": [
        {"name": "cell capacity 60-90 kWh", "quantity": {"itemPaths": ["battery-pack/cells"]},
         "low": "0.8", "base": "1", "high": "1.2"},
        {"name": "auto-parts rate 15-25%", "rate": {"measureId": "9903.94.05", "side": "SIDE_SCENARIO"},
         "low": "15", "base": "25", "high": "25"},
        {"name": "China fentanyl duty 10-20%", "rate": {"measureId": "ieepa-fentanyl-cn-20", "side": "SIDE_SCENARIO"},
         "low": "10", "base": "20", "high": "20"}]}))
    .await;
    assert_eq!(amount(&sens.delta_lower_bound), "1665.60");
    assert_eq!(amount(&sens.delta_upper_bound), "3843.71");
}

/// Rows 3 and 4, vehicles imported whole: 25% x 45,000 = 11,250 and 25% x 80,000 = 20,000;
/// under the agreements 15% all-in: 6,750 (KORUS, column 1 free) and 15% - 2.5% = 10,000, each
/// with 0.03 of fee as the fiscal year's MPF moves.
#[tokio::test]
async fn rows_3_4_vehicles_imported_whole() {
    let server = TestServer::start().await;
    let vehicle = |id: &str, price: &str, origin: &str, claim: &str| {
        let mut i = json!({"id": id, "unitPrice": price, "import": {"htsCode": "8703.80.0020",
            "origin": origin, "transportMode": "TRANSPORT_MODE_OCEAN"}});
        if !claim.is_empty() {
            i["import"]["preferenceProgram"] = json!(claim);
        }
        i
    };
    let o = Some("us-2025-ieepa-auto-parts");
    let results = compare(
        &server,
        json!({
        "bom": {"id": "evs-imported-whole", "currency": "USD", "items": [
            vehicle("midsize-45k-kr", "45000.00", "KR", "KR"),
            vehicle("premium-80k-de", "80000.00", "DE", "")]},
        "baselinePricesId": "ree-pre-restriction", "baselineScheduleId": "us-hts-2026",
        "options": {"entryDate": "2025-01-15", "unitsPerEntry": "500"},
        "scenarios": [scenario("25%", "2025-06-16", o), scenario("15% all-in", "2026-03-02", o)]}),
    )
    .await;
    let lines = |r: &pb::CalculateImpactResponse| {
        ["midsize-45k-kr", "premium-80k-de"].map(|p| amount(&line(r, p).delta).to_string())
    };
    assert_eq!(lines(&results[0].1), ["11250.00", "20000.00"]);
    assert_eq!(lines(&results[1].1), ["6750.03", "10000.03"]);
    assert_eq!(
        [&results[0].1.delta_percent, &results[1].1.delta_percent],
        ["24.58", "13.17"]
    );
}

/// Row 5: four 3.0 million USD tools imported whole pay 20%, 24%, 25% and 32% at the announced
/// rates (600,000, 720,000, 750,000, 960,000); as collected nothing (HTS 8486 excepted). The
/// US-integrated tool: 50% x (180,000 x 0.25 + 160,000 x 0.85 + 60,000 x 0.9) = 117,500 of
/// Section 232 and 20% x 60,000 = 12,000 of fentanyl duty.
#[tokio::test]
async fn row_5_semiconductor_equipment() {
    let server = TestServer::start().await;
    let tool = |id: &str, origin: &str| {
        json!({"id": id, "unitPrice": "3000000.00", "import": {"htsCode": "8486.20.0000",
            "origin": origin, "transportMode": "TRANSPORT_MODE_AIR"}})
    };
    let scenarios = json!([
        scenario("announced", "2025-04-09", Some("reciprocal-annex-i")),
        scenario("collected", "2025-09-02", Some("us-2025-ieepa-auto-parts")),
        scenario("2026", "2026-03-02", None)
    ]);
    let results = compare(&server, json!({
        "bom": {"id": "tools", "currency": "USD", "items": [
            tool("tool-nl", "NL"), tool("tool-jp", "JP"), tool("tool-kr", "KR"), tool("tool-tw", "TW")]},
        "baselinePricesId": "ree-pre-restriction", "baselineScheduleId": "us-hts-2026",
        "options": {"entryDate": "2025-01-15"}, "scenarios": scenarios}))
    .await;
    let deltas: Vec<&str> = ["tool-nl", "tool-jp", "tool-kr", "tool-tw"]
        .iter()
        .map(|p| amount(&line(&results[0].1, p).delta))
        .collect();
    assert_eq!(deltas, ["600000.00", "720000.00", "750000.00", "960000.00"]);
    assert_eq!(tariff(&results[1].1), "0.00");
    assert_eq!(tariff(&results[2].1), "67.52");

    let integrated = compare(
        &server,
        json!({
        "bomId": "semiconductor-deposition-tool", "baselinePricesId": "ree-pre-restriction",
        "baselineScheduleId": "us-hts-2026", "options": {"entryDate": "2025-01-15"},
        "scenarios": [scenario("announced", "2025-09-02", Some("reciprocal-annex-i")),
                      scenario("collected", "2025-09-02", Some("us-2025-ieepa-auto-parts")),
                      scenario("2026-03-02", "2026-03-02", None)]}),
    )
    .await;
    let collected = &integrated[1].1;
    assert_eq!(measure(collected, "9903.85.08@2025-06-04"), "117500.00");
    assert_eq!(measure(collected, "ieepa-fentanyl-cn-20"), "12000.00");
    assert_eq!(
        table(&integrated),
        [
            ("announced", "226740.00", "7.54"),
            ("collected", "129500.00", "4.31"),
            ("2026-03-02", "117516.88", "3.91"),
        ]
    );
}

/// Rows 6 and 7: the magnets of one aircraft set. By hand on 2025-09-02: Germany's Sm-Co
/// 26,400 x (15% - 2.1%) = 3,405.60; Japan's Sm-Co (claimed, column 1 free) 25,000 x 15% =
/// 3,750.00; the Japanese NdFeB (8505.11.00.70) is spared the reciprocal duty: 7,155.60 of
/// tariff effect. 150 aircraft a year give the annual impact.
#[tokio::test]
async fn rows_6_7_defense_subsystems_per_aircraft() {
    let server = TestServer::start().await;
    let results = compare(&server, json!({
        "bomId": "defense-ree-subsystems", "baselinePricesId": "ree-pre-restriction",
        "baselineScheduleId": "us-hts-2026", "options": {"entryDate": "2025-01-15", "annualVolume": "150"},
        "scenarios": [
            {"name": "collected", "entryDate": "2025-09-02", "scheduleOverlayId": "us-2025-ieepa-auto-parts",
             "pricesId": "ree-post-restriction"},
            {"name": "announced", "entryDate": "2025-09-02", "scheduleOverlayId": "reciprocal-annex-i",
             "pricesId": "ree-post-restriction"},
            {"name": "2026", "entryDate": "2026-03-02", "pricesId": "ree-post-restriction"}]}))
    .await;
    let annual: Vec<(&str, &str)> = results
        .iter()
        .map(|(_, r)| (tariff(r), amount(&r.annual_impact)))
        .collect();
    assert_eq!(
        annual,
        [
            ("7155.60", "1120821.00"),
            ("12762.62", "1973230.50"),
            ("5140.00", "818481.00")
        ]
    );
}

/// Row 8: 6 months of stock over a 12-month shock: 109.42 - 106.67 x 6 / 12 = 56.085 -> 56.09.
#[tokio::test]
async fn row_8_stockpile_halves_the_shock() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
        "bomId": "ev-bev-midsize", "baselinePricesId": "ree-pre-restriction",
        "scenarioPricesId": "ree-post-restriction", "baselineScheduleId": "us-hts-2026",
        "options": {"entryDate": "2025-01-15", "unitsPerEntry": "500",
                    "stockpile": {"coverMonths": "6", "horizonMonths": "12",
                                  "materialIds": ["nd-oxide", "dy-oxide"]}}}),
    )
    .await;
    let s = r.stockpile.as_ref().unwrap();
    assert_eq!(amount(&r.delta), "109.42");
    assert_eq!(amount(&s.covered_delta), "106.67");
    assert_eq!(amount(&s.effective_delta), "56.09");
}
