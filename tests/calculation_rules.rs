//! The calculation rules, each as a specification with numbers worked out by hand, checked
//! through the real server over gRPC.

mod common;

use common::{TestServer, amount, calculate, charge, deck, line};
use serde_json::{Value, json};
use tariff_impact::pb;
use tonic_types::StatusExt;

fn schedule(measures: Value, fees: Value) -> Value {
    json!({"id": "test", "currency": "USD", "asOfDate": "2026-01-01", "measures": measures, "fees": fees})
}

fn opts(entry_date: &str) -> Value {
    json!({"entryDate": entry_date})
}

/// The acceptance example: 1.8 kg Nd oxide and 0.2 kg Dy oxide per vehicle at the seed
/// prices, no tariff change: 1.8 x (225 - 87) + 0.2 x (485 - 152) = 248.40 + 66.60 = 315.00.
#[tokio::test]
async fn ev_with_seed_prices_and_no_tariff_change_costs_315_more_all_price_effect() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "ev", "currency": "USD", "items": [
                {"id": "nd", "materialId": "nd-oxide", "quantity": "1.8", "unit": "UNIT_OF_MEASURE_KG"},
                {"id": "dy", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"}]},
            "baselinePricesId": "ree-pre-restriction",
            "scenarioPricesId": "ree-post-restriction",
            "baselineScheduleId": "us-2026",
            "options": {"entryDate": "2026-03-02", "annualVolume": "100000"}
        }),
    )
    .await;
    // Baseline: 1.8 x 87 + 0.2 x 152 = 156.60 + 30.40 = 187.00; scenario 405.00 + 97.00 = 502.00.
    assert_eq!(amount(&r.baseline_unit_cost), "187.00");
    assert_eq!(amount(&r.scenario_unit_cost), "502.00");
    assert_eq!(amount(&r.delta), "315.00");
    let e = r.effects.as_ref().unwrap();
    assert_eq!(amount(&e.price_effect), "315.00");
    assert_eq!(amount(&e.tariff_effect), "0.00");
    assert_eq!(amount(&e.interaction), "0.00");
    assert_eq!(amount(&line(&r, "nd").delta), "248.40");
    assert_eq!(amount(&line(&r, "dy").delta), "66.60");
    // 315 / 187 = 168.449...%
    assert_eq!(r.delta_percent, "168.45");
    // 315.00 x 100,000 vehicles.
    assert_eq!(amount(&r.annual_impact), "31500000.00");
    let nd = &r.materials[0];
    assert_eq!(
        (nd.material_id.as_str(), nd.quantity_per_unit.as_str()),
        ("nd-oxide", "1.8")
    );
    assert_eq!(amount(&nd.delta), "248.40");
    let inputs = r.inputs.as_ref().unwrap();
    assert_eq!(
        inputs.baseline_prices.as_ref().unwrap().id,
        "ree-pre-restriction"
    );
    assert!(inputs.baseline_prices.as_ref().unwrap().preset);
    assert_eq!(
        inputs.scenario_schedule.as_ref().unwrap().id,
        "us-2026",
        "scenario schedule defaults to the baseline"
    );
}

/// An assembly imported whole is dutied on its own value, and the import declared on its
/// child is not dutied again. Motor (2 per unit) = 0.5 kg Nd oxide x 100 + windings 30 = 80.
#[tokio::test]
async fn assembly_imported_whole_is_dutied_on_its_value_and_its_children_are_not() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "two-level", "currency": "USD", "items": [
                {"id": "motor", "quantity": "2",
                 "import": {"htsCode": "8501.32", "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"},
                 "children": [
                    {"id": "magnet", "materialId": "nd-oxide", "quantity": "0.5", "unit": "UNIT_OF_MEASURE_KG",
                     "import": {"htsCode": "8505.11", "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"}},
                    {"id": "windings", "unitPrice": "30"}]}]},
            "baselinePrices": deck("p0", &[("nd-oxide", "100")]),
            "scenarioPrices": deck("p1", &[("nd-oxide", "200")]),
            "baselineSchedule": schedule(json!([
                {"id": "mfn-motors", "program": "PROGRAM_MFN", "htsPrefixes": ["8501"], "rate": {"adValoremPercent": "5"}},
                {"id": "magnets-25", "program": "PROGRAM_SECTION_301", "htsPrefixes": ["8505"], "rate": {"adValoremPercent": "25"}}
            ]), json!([])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    // Baseline customs value per unit: 2 x (0.5 x 100 + 30) = 160; duty 5% = 8.00; total 168.00.
    let motor = line(&r, "motor");
    assert_eq!(
        amount(&motor.baseline.as_ref().unwrap().customs_value),
        "160.00"
    );
    assert_eq!(
        amount(&charge(&motor.baseline, "mfn-motors").amount),
        "8.00"
    );
    assert_eq!(amount(&r.baseline_unit_cost), "168.00");
    // Scenario: 2 x (0.5 x 200 + 30) = 260; duty 13.00; total 273.00.
    assert_eq!(
        amount(&charge(&motor.scenario, "mfn-motors").amount),
        "13.00"
    );
    assert_eq!(amount(&r.scenario_unit_cost), "273.00");
    // Quantities multiply down: 2 motors x 0.5 kg.
    assert_eq!(line(&r, "motor/magnet").quantity_per_unit, "1");
    // The magnet's own import is inside the imported motor: no 301 charge anywhere.
    assert!(
        line(&r, "motor/magnet")
            .baseline
            .as_ref()
            .unwrap()
            .charges
            .is_empty()
    );
    assert!(r.measures.iter().all(|m| m.measure_id != "magnets-25"));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("motor/magnet: import declaration ignored")),
        "{:?}",
        r.notes
    );
    // Same schedule: the whole 105.00 is price effect, including 5.00 more duty on the value.
    assert_eq!(amount(&r.delta), "105.00");
    assert_eq!(amount(&r.effects.as_ref().unwrap().price_effect), "105.00");
}

/// Section 232 on the metal content, a reciprocal-type measure on the non-metal remainder,
/// MFN on the full value; without a declared share the full value is metal content.
#[tokio::test]
async fn section_232_on_metal_content_and_reciprocal_on_the_remainder() {
    let server = TestServer::start().await;
    let kr = |share: Option<&str>| {
        let mut i = json!({"htsCode": "7326.90.8688", "origin": "KR", "transportMode": "TRANSPORT_MODE_AIR"});
        if let Some(s) = share {
            i["metalContentShare"] = json!(s);
        }
        i
    };
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "brackets", "currency": "USD", "items": [
                {"id": "declared", "unitPrice": "1000", "import": kr(Some("0.4"))},
                {"id": "undeclared", "unitPrice": "1000", "import": kr(None)}]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([
                {"id": "mfn", "program": "PROGRAM_MFN", "htsPrefixes": ["7326.90.86"], "rate": {"adValoremPercent": "2.9"}},
                {"id": "s232", "program": "PROGRAM_SECTION_232", "htsPrefixes": ["7326"], "basis": "DUTY_BASIS_METAL_CONTENT", "rate": {"adValoremPercent": "50"}},
                {"id": "recip", "program": "PROGRAM_IEEPA", "origins": ["KR"], "basis": "DUTY_BASIS_NON_METAL_REMAINDER", "rate": {"adValoremPercent": "15"}}
            ]), json!([])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    // Declared 40% metal: 232 = 50% x 400 = 200.00; reciprocal = 15% x 600 = 90.00; MFN 29.00.
    let declared = line(&r, "declared");
    assert_eq!(amount(&charge(&declared.baseline, "s232").amount), "200.00");
    assert_eq!(amount(&charge(&declared.baseline, "recip").amount), "90.00");
    assert_eq!(amount(&charge(&declared.baseline, "mfn").amount), "29.00");
    assert_eq!(
        charge(&declared.baseline, "s232").formula,
        "50% x 400.00 USD metal content (40% of 1000.00 USD), Section 232, HTS 7326.90.8688, origin KR"
    );
    assert_eq!(
        charge(&declared.baseline, "recip").formula,
        "15% x 600.00 USD non-metal remainder (1000.00 - 400.00 USD metal content), IEEPA, HTS 7326.90.8688, origin KR"
    );
    // Undeclared: 232 on the full 1000 = 500.00; remainder 0 -> 0.00; MFN 29.00.
    let undeclared = line(&r, "undeclared");
    assert_eq!(
        amount(&charge(&undeclared.baseline, "s232").amount),
        "500.00"
    );
    assert_eq!(
        amount(&charge(&undeclared.baseline, "recip").amount),
        "0.00"
    );
    // Duties: 319 + 529 = 848; unit cost 2000 + 848 = 2848.00.
    assert_eq!(
        amount(&r.baseline_totals.as_ref().unwrap().duties),
        "848.00"
    );
    assert_eq!(amount(&r.baseline_unit_cost), "2848.00");
}

/// A measure pre-empts the programs it names on the value it covers: fully (autos-232 style on
/// the full value) or partly (232 on metal content pre-empting 122 on that content only).
#[tokio::test]
async fn a_measure_pre_empts_another_on_the_value_it_covers() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "preempt", "currency": "USD", "items": [
                {"id": "car-part", "unitPrice": "1000",
                 "import": {"htsCode": "8708.29", "origin": "JP", "transportMode": "TRANSPORT_MODE_AIR"}},
                {"id": "steel-part", "unitPrice": "1000",
                 "import": {"htsCode": "7326.90", "origin": "JP", "transportMode": "TRANSPORT_MODE_AIR", "metalContentShare": "0.3"}}]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([
                {"id": "autos-232", "program": "PROGRAM_SECTION_232", "htsPrefixes": ["8708"], "rate": {"adValoremPercent": "25"},
                 "preempts": ["PROGRAM_IEEPA"]},
                {"id": "ieepa", "program": "PROGRAM_IEEPA", "rate": {"adValoremPercent": "10"}},
                {"id": "steel-232", "program": "PROGRAM_SECTION_232", "htsPrefixes": ["7326"], "basis": "DUTY_BASIS_METAL_CONTENT",
                 "rate": {"adValoremPercent": "50"}, "preempts": ["PROGRAM_SECTION_122"]},
                {"id": "s122", "program": "PROGRAM_SECTION_122", "htsPrefixes": ["7326"], "rate": {"adValoremPercent": "10"}}
            ]), json!([])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    // car-part: autos 232 = 25% x 1000 = 250.00; IEEPA pre-empted entirely: 0.00.
    let car = line(&r, "car-part");
    assert_eq!(amount(&charge(&car.baseline, "autos-232").amount), "250.00");
    assert_eq!(amount(&charge(&car.baseline, "ieepa").amount), "0.00");
    assert!(
        charge(&car.baseline, "ieepa")
            .formula
            .starts_with("pre-empted by autos-232")
    );
    // steel-part: 232 = 50% x 300 = 150.00; 122 only on the 700 not covered = 70.00;
    // IEEPA is not pre-empted here (steel-232 names only 122): 10% x 1000 = 100.00.
    let steel = line(&r, "steel-part");
    assert_eq!(
        amount(&charge(&steel.baseline, "steel-232").amount),
        "150.00"
    );
    assert_eq!(amount(&charge(&steel.baseline, "s122").amount), "70.00");
    assert_eq!(amount(&charge(&steel.baseline, "s122").base), "700.00");
    assert_eq!(amount(&charge(&steel.baseline, "ieepa").amount), "100.00");
    assert_eq!(
        amount(&r.baseline_totals.as_ref().unwrap().duties),
        "570.00"
    );
}

/// Specific duty per kg, compound with ad valorem, quantities in lb converted exactly, a
/// component's declared net mass, and a minimum per piece.
#[tokio::test]
async fn specific_duty_per_kg_compound_and_minimum() {
    let server = TestServer::start().await;
    let cn =
        |hts: &str| json!({"htsCode": hts, "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"});
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "specific", "currency": "USD", "items": [
                {"id": "tungsten", "materialId": "w", "quantity": "2.5", "unit": "UNIT_OF_MEASURE_KG", "import": cn("8101.94")},
                {"id": "wire", "materialId": "cu", "quantity": "10", "unit": "UNIT_OF_MEASURE_LB", "import": cn("7408.11")},
                {"id": "casting", "unitPrice": "50", "import": {"htsCode": "7325.99", "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR", "netMassKg": "3.2"}},
                {"id": "bolt", "unitPrice": "10", "quantity": "1", "import": cn("7318.15")}]},
            "baselinePrices": deck("p", &[("w", "40"), ("cu", "9")]),
            "baselineSchedule": schedule(json!([
                {"id": "w-compound", "program": "PROGRAM_MFN", "htsPrefixes": ["8101"],
                 "rate": {"adValoremPercent": "3", "specificAmount": "1.50", "specificUnit": "UNIT_OF_MEASURE_KG"}},
                {"id": "cu-per-kg", "program": "PROGRAM_MFN", "htsPrefixes": ["7408"],
                 "rate": {"specificAmount": "2", "specificUnit": "UNIT_OF_MEASURE_KG"}},
                {"id": "casting-per-kg", "program": "PROGRAM_MFN", "htsPrefixes": ["7325"],
                 "rate": {"specificAmount": "0.25", "specificUnit": "UNIT_OF_MEASURE_KG"}},
                {"id": "bolt-min", "program": "PROGRAM_MFN", "htsPrefixes": ["7318"],
                 "rate": {"adValoremPercent": "5", "minimumAmount": "1.00", "limitUnit": "UNIT_OF_MEASURE_PIECE"}}
            ]), json!([])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    // Tungsten: value 2.5 x 40 = 100; 3% x 100 + 1.50 x 2.5 kg = 3.00 + 3.75 = 6.75.
    let w = charge(&line(&r, "tungsten").baseline, "w-compound");
    assert_eq!(amount(&w.amount), "6.75");
    assert_eq!(
        w.formula,
        "3% x 100.00 USD customs value + 1.50 USD/kg x 2.5 kg, MFN, HTS 8101.94, origin CN"
    );
    // Wire: 10 lb = 4.5359237 kg exactly; 2 x 4.5359237 = 9.0718474 -> 9.07. Goods: 4.5359237 x 9 = 40.8233133 -> 40.82.
    assert_eq!(
        amount(&charge(&line(&r, "wire").baseline, "cu-per-kg").amount),
        "9.07"
    );
    assert_eq!(
        amount(&line(&r, "wire").baseline.as_ref().unwrap().goods),
        "40.82"
    );
    // Casting: declared 3.2 kg x 0.25 = 0.80.
    assert_eq!(
        amount(&charge(&line(&r, "casting").baseline, "casting-per-kg").amount),
        "0.80"
    );
    // Bolt: 5% x 10 = 0.50, raised to the 1.00 minimum per piece.
    let bolt = charge(&line(&r, "bolt").baseline, "bolt-min");
    assert_eq!(amount(&bolt.amount), "1.00");
    assert!(
        bolt.formula
            .contains("raised to the minimum 1.00 USD/piece x 1 piece"),
        "{}",
        bolt.formula
    );
}

fn mpf() -> Value {
    json!([{"id": "mpf", "name": "MPF", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464",
            "minimumPerEntry": "33.58", "maximumPerEntry": "651.50"}])
}

async fn mpf_case(
    server: &TestServer,
    items: Value,
    units_per_entry: &str,
) -> tariff_impact::pb::CalculateImpactResponse {
    calculate(
        server,
        json!({
            "bom": {"id": "mpf", "currency": "USD", "items": items},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([]), mpf()),
            "options": {"entryDate": "2026-03-02", "unitsPerEntry": units_per_entry}
        }),
    )
    .await
}

fn part(id: &str, price: &str, origin: &str) -> Value {
    json!({"id": id, "unitPrice": price, "import": {"htsCode": "8501.32", "origin": origin, "transportMode": "TRANSPORT_MODE_AIR"}})
}

/// MPF is computed per line, summed per entry (units per entry, per origin), clamped to the
/// entry minimum and maximum, then divided by the units per entry.
#[tokio::test]
async fn mpf_clamps_at_its_minimum_and_maximum_per_entry() {
    let server = TestServer::start().await;
    // 10 units of a 100.00 part: 10 x 0.3464 = 3.464 < 33.58 -> 33.58 / 10 = 3.358 -> 3.36.
    let r = mpf_case(&server, json!([part("p", "100", "CN")]), "10").await;
    assert_eq!(
        amount(&charge(&line(&r, "p").baseline, "mpf").amount),
        "3.36"
    );
    // 1000 units: 346.40 per entry, inside the bounds: 0.3464 per unit -> 0.35.
    let r = mpf_case(&server, json!([part("p", "100", "CN")]), "1000").await;
    assert_eq!(
        amount(&charge(&line(&r, "p").baseline, "mpf").amount),
        "0.35"
    );
    // 10 units of a 100,000.00 part: 3464.00 > 651.50 -> 651.50 / 10 = 65.15.
    let r = mpf_case(&server, json!([part("p", "100000", "CN")]), "10").await;
    assert_eq!(
        amount(&charge(&line(&r, "p").baseline, "mpf").amount),
        "65.15"
    );
    // Two lines in one entry at the minimum share it by their unclamped fee:
    // raw 0.3464 and 1.0392 (sum 1.3856); 3.358 x 0.3464/1.3856 = 0.8395 -> 0.84, 3.358 x 0.75 = 2.5185 -> 2.52.
    let r = mpf_case(
        &server,
        json!([part("a", "100", "CN"), part("b", "300", "CN")]),
        "10",
    )
    .await;
    assert_eq!(
        amount(&charge(&line(&r, "a").baseline, "mpf").amount),
        "0.84"
    );
    assert_eq!(
        amount(&charge(&line(&r, "b").baseline, "mpf").amount),
        "2.52"
    );
    // Different origins are different entries: each pays the minimum, 3.358 -> 3.36 each.
    let r = mpf_case(
        &server,
        json!([part("a", "100", "CN"), part("b", "100", "JP")]),
        "10",
    )
    .await;
    assert_eq!(amount(&r.baseline_totals.as_ref().unwrap().fees), "6.72");
}

/// With the units per entry not given (1 assumed), a fee raised to its minimum per entry puts
/// the whole minimum on one unit, which the result notes. A 100.00 part from China, MPF
/// 0.3464% (0.3464, 0.35 rounded) with a 32.71 minimum: charged 32.71, noted once (the same
/// entry on both sides). A part from Japan makes a second entry and a second note. Given
/// units per entry, even "1", no note: the caller said so. At 100,000.00 the rate gives
/// 346.40, inside the bounds: no note.
#[tokio::test]
async fn a_fee_minimum_on_one_assumed_unit_is_noted() {
    let server = TestServer::start().await;
    let run = |items: Value, options: Value| {
        calculate(
            &server,
            json!({
                "bom": {"id": "small", "currency": "USD", "items": items},
                "baselinePrices": deck("p", &[]),
                "baselineSchedule": schedule(json!([]), json!([{"id": "mpf", "name": "MPF",
                    "kind": "FEE_KIND_MPF", "ratePercent": "0.3464", "minimumPerEntry": "32.71",
                    "maximumPerEntry": "634.62"}])),
                "options": options
            }),
        )
    };
    let noted = |r: &pb::CalculateImpactResponse| -> Vec<String> {
        r.notes
            .iter()
            .filter(|n| n.contains("minimum per entry"))
            .cloned()
            .collect()
    };
    let r = run(json!([part("p", "100", "CN")]), opts("2026-03-02")).await;
    assert_eq!(
        amount(&charge(&line(&r, "p").baseline, "mpf").amount),
        "32.71"
    );
    assert_eq!(
        noted(&r),
        [
            "entries from CN: MPF is raised to its 32.71 USD minimum per entry, all of it on one \
          unit of product: units per entry was not given and 1 is assumed; set units_per_entry \
          to the units of product one customs entry carries"
        ]
    );
    let r = run(
        json!([part("p", "100", "CN"), part("q", "100", "JP")]),
        opts("2026-03-02"),
    )
    .await;
    assert_eq!(noted(&r).len(), 2);
    let r = run(
        json!([part("p", "100", "CN")]),
        json!({"entryDate": "2026-03-02", "unitsPerEntry": "1"}),
    )
    .await;
    assert_eq!(
        amount(&charge(&line(&r, "p").baseline, "mpf").amount),
        "32.71"
    );
    assert!(noted(&r).is_empty(), "{:?}", r.notes);
    let r = run(json!([part("p", "100000", "CN")]), opts("2026-03-02")).await;
    assert_eq!(
        amount(&charge(&line(&r, "p").baseline, "mpf").amount),
        "346.40"
    );
    assert!(noted(&r).is_empty(), "{:?}", r.notes);
}

/// The harbor maintenance fee is charged on ocean shipments only: 0.125% x 1000 = 1.25.
#[tokio::test]
async fn hmf_applies_to_ocean_shipments_only() {
    let server = TestServer::start().await;
    let item = |id: &str, mode: &str| json!({"id": id, "unitPrice": "1000", "import": {"htsCode": "8501.32", "origin": "DE", "transportMode": mode}});
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "hmf", "currency": "USD", "items": [item("by-sea", "TRANSPORT_MODE_OCEAN"), item("by-air", "TRANSPORT_MODE_AIR")]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([]), json!([
                {"id": "hmf", "kind": "FEE_KIND_HMF", "ratePercent": "0.125", "transportModes": ["TRANSPORT_MODE_OCEAN"]}])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    assert_eq!(
        amount(&charge(&line(&r, "by-sea").baseline, "hmf").amount),
        "1.25"
    );
    assert!(
        line(&r, "by-air")
            .baseline
            .as_ref()
            .unwrap()
            .charges
            .is_empty()
    );
    assert_eq!(amount(&r.baseline_totals.as_ref().unwrap().fees), "1.25");
}

/// The entry date selects the measures in force: the same dated schedule before and after a
/// measure's effective date. 301 at 25% from 2026-01-01 on a 100.00 magnet: 0.00 -> 25.00.
#[tokio::test]
async fn entry_date_switches_a_measure_on() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "magnet", "currency": "USD", "items": [
                {"id": "magnet", "unitPrice": "100", "import": {"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"}}]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([
                {"id": "s301-magnets", "program": "PROGRAM_SECTION_301", "htsPrefixes": ["8505.11"], "origins": ["CN"],
                 "effectiveFrom": "2026-01-01", "rate": {"adValoremPercent": "25"}}]), json!([])),
            "options": {"entryDate": "2025-12-31", "scenarioEntryDate": "2026-01-01"}
        }),
    )
    .await;
    assert_eq!(amount(&r.baseline_unit_cost), "100.00");
    assert_eq!(amount(&r.scenario_unit_cost), "125.00");
    assert_eq!(amount(&r.effects.as_ref().unwrap().tariff_effect), "25.00");
    assert_eq!(amount(&r.effects.as_ref().unwrap().price_effect), "0.00");
    let inputs = r.inputs.as_ref().unwrap();
    assert!(inputs.baseline_measures_in_force.is_empty());
    assert_eq!(
        inputs.scenario_measures_in_force,
        vec!["s301-magnets".to_string()]
    );
    assert_eq!(
        charge(&line(&r, "magnet").scenario, "s301-magnets").formula,
        "25% x 100.00 USD customs value, Section 301, HTS 8505.11.0070, origin CN"
    );
}

/// Each atom is rounded once; totals are sums of rounded atoms, so lines add up to totals
/// under either mode. Three lines of 20.10 at 5% = 1.005 each (exact total 3.015):
/// half-up 1.01 x 3 = 3.03, half-even 1.00 x 3 = 3.00.
#[tokio::test]
async fn rounding_rounds_each_line_once_and_lines_sum_to_totals() {
    let server = TestServer::start().await;
    for (mode, each, total, unit) in [
        ("ROUNDING_MODE_HALF_UP", "1.01", "3.03", "63.33"),
        ("ROUNDING_MODE_HALF_EVEN", "1.00", "3.00", "63.30"),
    ] {
        let item = |id: &str| json!({"id": id, "unitPrice": "20.10", "import": {"htsCode": "8501.32", "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"}});
        let r = calculate(
            &server,
            json!({
                "bom": {"id": "rounding", "currency": "USD", "items": [item("a"), item("b"), item("c")]},
                "baselinePrices": deck("p", &[]),
                "baselineSchedule": schedule(json!([{"id": "d5", "program": "PROGRAM_MFN", "rate": {"adValoremPercent": "5"}}]), json!([])),
                "options": {"entryDate": "2026-03-02", "roundingMode": mode}
            }),
        )
        .await;
        for id in ["a", "b", "c"] {
            let c = charge(&line(&r, id).baseline, "d5");
            assert_eq!(
                (amount(&c.amount), c.amount.as_ref().unwrap().exact.as_str()),
                (each, "1.005"),
                "{mode}"
            );
        }
        assert_eq!(amount(&r.measures[0].baseline_amount), total, "{mode}");
        assert_eq!(
            amount(&r.baseline_totals.as_ref().unwrap().duties),
            total,
            "{mode}"
        );
        // 3 x 20.10 = 60.30 goods + duties; the exact total keeps 63.315.
        assert_eq!(amount(&r.baseline_unit_cost), unit, "{mode}");
        assert_eq!(
            r.baseline_unit_cost.as_ref().unwrap().exact,
            "63.315",
            "{mode}"
        );
    }
}

/// The README's preset example, worked by hand: EV high-REE, pre -> post restriction prices,
/// us-2025 carried forward -> us-2026, entered 2026-03-02, 500 vehicles per entry.
#[tokio::test]
async fn preset_ev_under_price_shock_and_2026_tariffs_worked_by_hand() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bomId": "ev-high-ree",
            "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
            "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
            "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "annualVolume": "100000"}
        }),
    )
    .await;
    // Magnets (CN, ocean): value 1.8 x 87 + 0.2 x 152 + 45 = 232 -> 1.8 x 225 + 0.2 x 485 + 45 = 547.
    // Baseline (us-2025): MFN 2.1% 4.872 -> 4.87, IEEPA fentanyl 10% 23.20, reciprocal 10% 23.20.
    // Scenario (us-2026 after 24 Feb): MFN 11.487 -> 11.49, 301 25% 136.75, 122 10% 54.70.
    let magnets = line(&r, "drive-unit/rotor-magnets");
    assert_eq!(amount(&magnets.baseline.as_ref().unwrap().duties), "51.27");
    assert_eq!(amount(&magnets.scenario.as_ref().unwrap().duties), "202.94");
    // MPF: 500 x 0.3464% x 547 = 947.40 per entry > 651.50 -> 1.303 per vehicle -> 1.30.
    assert_eq!(
        amount(&charge(&magnets.scenario, "us-mpf-fy2026").amount),
        "1.30"
    );
    // Brackets (KR, 120, 60% steel): MFN 2.9% 3.48, 232 50% x 72 = 36.00, then reciprocal
    // 15% x 48 = 7.20 (baseline) or 122 10% x 48 = 4.80 (scenario).
    let brackets = line(&r, "motor-brackets");
    assert_eq!(amount(&brackets.baseline.as_ref().unwrap().duties), "46.68");
    assert_eq!(amount(&brackets.scenario.as_ref().unwrap().duties), "44.28");
    // Fees: baseline 0.80 + 0.29 (magnets) + 0.42 + 0.15 (brackets) = 1.66;
    // scenario 1.30 + 0.68 + 0.42 + 0.15 = 2.55.
    assert_eq!(amount(&r.baseline_totals.as_ref().unwrap().fees), "1.66");
    assert_eq!(amount(&r.scenario_totals.as_ref().unwrap().fees), "2.55");
    // 38,545 components + 187 materials + 97.95 duties + 1.66 fees = 38,831.61;
    // 38,545 + 502 + 247.22 + 2.55 = 39,296.77; delta 465.16.
    assert_eq!(amount(&r.baseline_unit_cost), "38831.61");
    assert_eq!(amount(&r.scenario_unit_cost), "39296.77");
    assert_eq!(amount(&r.delta), "465.16");
    assert_eq!(amount(&r.annual_impact), "46516000.00");
    // Price effect, C(P1,T0): scenario prices under us-2025: magnets duties 11.49 + 54.70 + 54.70
    // = 120.89, brackets 46.68, fees 2.55: 39,047 + 120.89 + 46.68 + 2.55 = 39,217.12 -> +385.51.
    // Tariff effect, C(P0,T1): baseline prices under us-2026: magnets 4.87 + 58.00 + 23.20 = 86.07,
    // brackets 44.28, fees 1.66: 38,732 + 86.07 + 44.28 + 1.66 = 38,864.01 -> +32.40.
    // Interaction: 465.16 - 385.51 - 32.40 = 47.25 (the 301/122 rates on the higher prices).
    let e = r.effects.as_ref().unwrap();
    assert_eq!(amount(&e.price_effect), "385.51");
    assert_eq!(amount(&e.tariff_effect), "32.40");
    assert_eq!(amount(&e.interaction), "47.25");
}

/// A schedule can switch de minimis on: an entry (units per entry x the origin's customs
/// value) at or below the threshold pays no duty or fee; above it, everything applies.
#[tokio::test]
async fn de_minimis_waives_duty_and_fees_on_small_entries_only() {
    let server = TestServer::start().await;
    // 10 x 40 = 400 and 20 x 40 = 800 are at or below 800: waived. 21 x 40 = 840 is above:
    // 25% x 40 = 10.00 duty and 0.1664% x 40 = 0.06656 -> 0.07 MPF per unit.
    for (units_per_entry, duty, fees, waived) in [
        ("10", "0.00", "0.00", true),
        ("20", "0.00", "0.00", true),
        ("21", "10.00", "0.07", false),
    ] {
        let r = calculate(
            &server,
            json!({
                "bom": {"id": "small", "currency": "USD", "items": [
                    {"id": "gadget", "unitPrice": "40", "import": {"htsCode": "8517.62", "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"}}]},
                "baselinePrices": deck("p", &[]),
                "baselineSchedule": {"id": "dm", "currency": "USD", "deMinimisThreshold": "800",
                    "measures": [{"id": "d25", "program": "PROGRAM_SECTION_301", "rate": {"adValoremPercent": "25"}}],
                    "fees": [{"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.1664"}]},
                "options": {"entryDate": "2026-03-02", "unitsPerEntry": units_per_entry}
            }),
        )
        .await;
        let totals = r.baseline_totals.as_ref().unwrap();
        assert_eq!(
            (amount(&totals.duties), amount(&totals.fees)),
            (duty, fees),
            "{units_per_entry} units"
        );
        assert_eq!(
            r.notes.iter().any(|n| n.contains("de minimis")),
            waived,
            "{:?}",
            r.notes
        );
    }
}

/// The summary view returns the same numbers as the full view, without the per-line
/// breakdown (and without building its formulas).
#[tokio::test]
async fn summary_view_returns_the_same_numbers_without_lines() {
    let server = TestServer::start().await;
    let request = |view: &str| {
        json!({
            "bomId": "ev-high-ree",
            "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
            "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
            "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "view": view}
        })
    };
    let full = calculate(&server, request("RESULT_VIEW_FULL")).await;
    let summary = calculate(&server, request("RESULT_VIEW_SUMMARY")).await;
    assert!(summary.lines.is_empty());
    assert_eq!(full.lines.len(), 8);
    assert_eq!(amount(&summary.delta), "465.16");
    assert_eq!(summary.delta, full.delta);
    assert_eq!(summary.effects, full.effects);
    assert_eq!(summary.baseline_totals, full.baseline_totals);
    assert_eq!(summary.scenario_totals, full.scenario_totals);
    assert_eq!(summary.measures, full.measures);
    assert_eq!(summary.materials, full.materials);
}

/// A measure's excluded origins pay nothing under it; every other origin pays. 10% on every
/// origin but Mexico, two 100.00 parts: the German one pays 10.00, the Mexican one nothing.
#[tokio::test]
async fn a_measure_skips_its_excluded_origins() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "parts", "currency": "USD", "items": [part("de", "100", "DE"), part("mx", "100", "MX")]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([]), json!([])),
            "scenarioSchedule": schedule(json!([
                {"id": "r10", "program": "PROGRAM_IEEPA", "excludedOrigins": ["MX"], "rate": {"adValoremPercent": "10"}}]), json!([])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    assert_eq!(
        amount(&charge(&line(&r, "de").scenario, "r10").amount),
        "10.00"
    );
    assert!(line(&r, "mx").scenario.as_ref().unwrap().charges.is_empty());
    assert_eq!(amount(&r.delta), "10.00");
    assert_eq!(amount(&r.effects.as_ref().unwrap().tariff_effect), "10.00");
}

/// A fee's exempt origins pay no fee (MPF for FTA partners). MPF 0.3464% with Mexico exempt,
/// one unit per entry, two 1000.00 parts: Germany 3.464 -> 3.46, Mexico nothing.
#[tokio::test]
async fn a_fee_skips_its_exempt_origins() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "parts", "currency": "USD", "items": [part("de", "1000", "DE"), part("mx", "1000", "MX")]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([]), json!([
                {"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464", "exemptOrigins": ["MX"]}])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    assert_eq!(
        amount(&charge(&line(&r, "de").baseline, "mpf").amount),
        "3.46"
    );
    assert!(line(&r, "mx").baseline.as_ref().unwrap().charges.is_empty());
    assert_eq!(amount(&r.baseline_totals.as_ref().unwrap().fees), "3.46");
    assert_eq!(amount(&r.baseline_unit_cost), "2003.46");
}

/// A purchased component's scenario price replaces its unit price on the scenario side only,
/// and the duty follows it: 200.00 -> 260.00 at MFN 5% (10.00 -> 13.00): delta 63.00, all price
/// effect (the schedule did not move, the price the rate applies to did).
#[tokio::test]
async fn a_components_scenario_price_moves_its_scenario_cost_and_duty() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "inverter", "currency": "USD", "items": [
                {"id": "igbt", "unitPrice": "200", "scenarioUnitPrice": "260",
                 "import": {"htsCode": "8541.29", "origin": "JP", "transportMode": "TRANSPORT_MODE_AIR"}}]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([{"id": "mfn", "program": "PROGRAM_MFN", "rate": {"adValoremPercent": "5"}}]), json!([])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    let igbt = line(&r, "igbt");
    assert_eq!(amount(&igbt.baseline.as_ref().unwrap().goods), "200.00");
    assert_eq!(amount(&igbt.scenario.as_ref().unwrap().goods), "260.00");
    assert_eq!(amount(&charge(&igbt.baseline, "mfn").amount), "10.00");
    assert_eq!(amount(&charge(&igbt.scenario, "mfn").amount), "13.00");
    assert_eq!(amount(&r.delta), "63.00");
    let e = r.effects.as_ref().unwrap();
    assert_eq!(
        (
            amount(&e.price_effect),
            amount(&e.tariff_effect),
            amount(&e.interaction)
        ),
        ("63.00", "0.00", "0.00")
    );
}

/// Half-even rounds a tie to the even neighbour, so after an odd digit it rounds up (as
/// half-up does) and after an even digit down. 20.30 at 5% = 1.015 -> 1.02 under both modes;
/// 20.50 at 5% = 1.025 -> 1.02 half-even, 1.03 half-up.
#[tokio::test]
async fn half_even_rounds_ties_to_the_even_cent_both_ways() {
    let server = TestServer::start().await;
    for (mode, odd, even) in [
        ("ROUNDING_MODE_HALF_EVEN", "1.02", "1.02"),
        ("ROUNDING_MODE_HALF_UP", "1.02", "1.03"),
    ] {
        let r = calculate(
            &server,
            json!({
                "bom": {"id": "ties", "currency": "USD", "items": [part("odd", "20.30", "CN"), part("even", "20.50", "CN")]},
                "baselinePrices": deck("p", &[]),
                "baselineSchedule": schedule(json!([{"id": "d5", "program": "PROGRAM_MFN", "rate": {"adValoremPercent": "5"}}]), json!([])),
                "options": {"entryDate": "2026-03-02", "roundingMode": mode}
            }),
        )
        .await;
        assert_eq!(
            amount(&charge(&line(&r, "odd").baseline, "d5").amount),
            odd,
            "{mode}"
        );
        assert_eq!(
            amount(&charge(&line(&r, "even").baseline, "d5").amount),
            even,
            "{mode}"
        );
    }
}

/// A currency without minor units (JPY) rounds to whole yen: 1,010 JPY at 5% = 50.5 -> 50
/// half-even, 51 half-up; amounts are shown without decimals.
#[tokio::test]
async fn yen_amounts_round_to_whole_yen() {
    let server = TestServer::start().await;
    for (mode, duty, unit) in [
        ("ROUNDING_MODE_HALF_EVEN", "50", "1060"),
        ("ROUNDING_MODE_HALF_UP", "51", "1061"),
    ] {
        let r = calculate(
            &server,
            json!({
                "bom": {"id": "yen", "currency": "JPY", "items": [part("p", "1010", "CN")]},
                "baselinePrices": {"id": "p", "currency": "JPY", "asOfDate": "2026-01-01", "prices": []},
                "baselineSchedule": {"id": "s", "currency": "JPY", "measures": [
                    {"id": "d5", "program": "PROGRAM_MFN", "rate": {"adValoremPercent": "5"}}]},
                "options": {"entryDate": "2026-03-02", "roundingMode": mode}
            }),
        )
        .await;
        let c = charge(&line(&r, "p").baseline, "d5");
        assert_eq!(amount(&c.amount), duty, "{mode}");
        assert_eq!(c.amount.as_ref().unwrap().currency, "JPY");
        assert_eq!(amount(&r.baseline_unit_cost), unit, "{mode}");
    }
}

/// A shared assembly is costed wherever it is referenced, times each reference's quantity.
/// Magnet set = 0.5 kg Nd oxide at 100/kg + a 20.00 sleeve = 70.00; two motors each hold 2
/// sets (280.00), and a spare set sits at the top (70.00): 350.00. With the scenario price
/// 200/kg each set costs 120.00: 600.00, delta 250.00 = 2.5 kg x 100.
#[tokio::test]
async fn shared_assemblies_are_costed_at_every_reference() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "drive", "currency": "USD",
                "sharedAssemblies": [{"id": "magnet-set", "children": [
                    {"id": "nd", "materialId": "nd-oxide", "quantity": "0.5", "unit": "UNIT_OF_MEASURE_KG"},
                    {"id": "sleeve", "unitPrice": "20"}]}],
                "items": [
                    {"id": "front", "children": [{"id": "magnets", "quantity": "2", "assemblyRef": "magnet-set"}]},
                    {"id": "rear", "children": [{"id": "magnets", "quantity": "2", "assemblyRef": "magnet-set"}]},
                    {"id": "spare", "assemblyRef": "magnet-set"}]},
            "baselinePrices": deck("p0", &[("nd-oxide", "100")]),
            "scenarioPrices": deck("p1", &[("nd-oxide", "200")]),
            "baselineSchedule": schedule(json!([]), json!([])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    assert_eq!(amount(&r.baseline_unit_cost), "350.00");
    assert_eq!(amount(&r.scenario_unit_cost), "600.00");
    assert_eq!(amount(&r.delta), "250.00");
    let nd = line(&r, "front/magnets/nd");
    assert_eq!(amount(&nd.baseline.as_ref().unwrap().goods), "100.00");
    assert_eq!(amount(&nd.delta), "100.00");
    assert_eq!(
        amount(&line(&r, "spare/sleeve").baseline.as_ref().unwrap().goods),
        "20.00"
    );
    let m = r
        .materials
        .iter()
        .find(|m| m.material_id == "nd-oxide")
        .unwrap();
    assert_eq!(amount(&m.baseline_cost), "250.00");
}

/// Pre-emption is tracked per program and per part of the value: each pre-empted measure
/// names only the measures that overlap its own basis, at most three of them. One 1,000.00
/// part from Germany, 40% metal (400.00 metal, 600.00 non-metal):
/// - 232 "a" on metal (25%: 100.00) and safeguard "b" on the remainder (10%: 60.00) both
///   pre-empt IEEPA: "x1" (full value) loses both parts, "x2" (metal) only a's, "x3"
///   (remainder) only b's: all 0.00, each naming exactly who covered it;
/// - AD/CVD "e" on metal (2%: 8.00) pre-empts 301: "c" (full value, 5%) keeps the remainder,
///   5% x 600 = 30.00; "c2" (301 on the remainder, 3%: 18.00) is untouched and names nobody;
/// - "c" pre-empts 122: "y" (122 on metal) is 0.00;
/// - four "other" measures (1% each: 40.00) pre-empt MFN: "m" names three and counts one.
///
/// Duties: 100 + 60 + 8 + 30 + 18 + 40 = 256.00.
#[tokio::test]
async fn pre_emption_is_per_program_and_per_part_of_the_value() {
    let server = TestServer::start().await;
    let m = |id: &str, program: &str, basis: &str, rate: &str, preempts: &[&str]| {
        json!({"id": id, "program": format!("PROGRAM_{program}"), "basis": format!("DUTY_BASIS_{basis}"),
               "rate": {"adValoremPercent": rate}, "preempts": preempts.iter().map(|p| format!("PROGRAM_{p}")).collect::<Vec<_>>()})
    };
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "preempt", "currency": "USD", "items": [
                {"id": "part", "unitPrice": "1000", "import": {"htsCode": "7326.90", "origin": "DE",
                 "transportMode": "TRANSPORT_MODE_AIR", "metalContentShare": "0.4"}}]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([
                m("a", "SECTION_232", "METAL_CONTENT", "25", &["IEEPA"]),
                m("b", "SAFEGUARD", "NON_METAL_REMAINDER", "10", &["IEEPA"]),
                m("x1", "IEEPA", "FULL_VALUE", "10", &[]),
                m("x2", "IEEPA", "METAL_CONTENT", "10", &[]),
                m("x3", "IEEPA", "NON_METAL_REMAINDER", "10", &[]),
                m("e", "AD_CVD", "METAL_CONTENT", "2", &["SECTION_301"]),
                m("c", "SECTION_301", "FULL_VALUE", "5", &["SECTION_122"]),
                m("c2", "SECTION_301", "NON_METAL_REMAINDER", "3", &[]),
                m("y", "SECTION_122", "METAL_CONTENT", "10", &[]),
                m("d1", "OTHER", "FULL_VALUE", "1", &["MFN"]),
                m("d2", "OTHER", "FULL_VALUE", "1", &["MFN"]),
                m("d3", "OTHER", "FULL_VALUE", "1", &["MFN"]),
                m("d4", "OTHER", "FULL_VALUE", "1", &["MFN"]),
                m("mfn", "MFN", "FULL_VALUE", "2", &[])
            ]), json!([])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    let part = line(&r, "part");
    let c = |id: &str| charge(&part.baseline, id);
    let amounts: Vec<(&str, &str)> = ["a", "b", "x1", "x2", "x3", "e", "c", "c2", "y", "d1", "mfn"]
        .iter()
        .map(|id| (*id, amount(&c(id).amount)))
        .collect();
    assert_eq!(
        amounts,
        [
            ("a", "100.00"),
            ("b", "60.00"),
            ("x1", "0.00"),
            ("x2", "0.00"),
            ("x3", "0.00"),
            ("e", "8.00"),
            ("c", "30.00"),
            ("c2", "18.00"),
            ("y", "0.00"),
            ("d1", "10.00"),
            ("mfn", "0.00")
        ]
    );
    let context = |program: &str| format!("{program}, HTS 7326.90, origin DE");
    for (id, by, program) in [
        ("x1", "a, b", "IEEPA"),
        ("x2", "a", "IEEPA"),
        ("x3", "b", "IEEPA"),
        ("y", "c", "Section 122"),
        ("mfn", "d1, d2, d3 and 1 more", "MFN"),
    ] {
        assert_eq!(
            c(id).formula,
            format!(
                "pre-empted by {by} on the value it covers, {}",
                context(program)
            ),
            "{id}"
        );
    }
    assert_eq!(
        c("c").formula,
        format!(
            "5% x 600.00 USD customs value, less the value pre-empted by e, {}",
            context("Section 301")
        )
    );
    assert_eq!(
        c("c2").formula,
        format!(
            "3% x 600.00 USD non-metal remainder (1000.00 - 400.00 USD metal content), {}",
            context("Section 301")
        )
    );
    assert_eq!(
        amount(&r.baseline_totals.as_ref().unwrap().duties),
        "256.00"
    );
}

/// Formulas say exactly what was applied, at the boundaries too: a fee or duty exactly at its
/// minimum or maximum is not "raised" or "capped". MPF 1% with 10.00 minimum and 20.00
/// maximum per entry, one unit per entry, five parts from five origins: 500.00 (5 -> raised to
/// 10.00), 1000.00 (exactly 10.00), 1500.00 (15.00), 2000.00 (exactly 20.00), 3000.00 (30 ->
/// capped at 20.00). Duties on three more parts: 1% with a 10.00 minimum on 1000.00 (exactly
/// the minimum), 10% with a 100.00 maximum on 1000.00 (exactly the maximum), and 5% on the
/// non-metal remainder when no metal-content measure applies (the full value).
#[tokio::test]
async fn formulas_name_clamps_only_when_they_bind() {
    let server = TestServer::start().await;
    let hts = |id: &str, price: &str, origin: &str, hts: &str| json!({"id": id, "unitPrice": price, "import": {"htsCode": hts, "origin": origin, "transportMode": "TRANSPORT_MODE_AIR"}});
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "clamps", "currency": "USD", "items": [
                hts("low", "500", "CN", "9999.01"), hts("at-min", "1000", "JP", "9999.01"),
                hts("mid", "1500", "DE", "9999.01"), hts("at-max", "2000", "KR", "9999.01"),
                hts("high", "3000", "MX", "9999.01"),
                hts("floor", "1000", "VN", "1111.01"), hts("cap", "1000", "TH", "2222.01"),
                hts("remainder", "1000", "IN", "3333.01")]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([
                {"id": "floor", "program": "PROGRAM_MFN", "htsPrefixes": ["1111"],
                 "rate": {"adValoremPercent": "1", "minimumAmount": "10", "limitUnit": "UNIT_OF_MEASURE_PIECE"}},
                {"id": "cap", "program": "PROGRAM_MFN", "htsPrefixes": ["2222"],
                 "rate": {"adValoremPercent": "10", "maximumAmount": "100", "limitUnit": "UNIT_OF_MEASURE_PIECE"}},
                {"id": "rest", "program": "PROGRAM_MFN", "htsPrefixes": ["3333"], "basis": "DUTY_BASIS_NON_METAL_REMAINDER",
                 "rate": {"adValoremPercent": "5"}}]),
                json!([{"id": "mpf", "name": "MPF", "kind": "FEE_KIND_MPF", "ratePercent": "1",
                        "minimumPerEntry": "10", "maximumPerEntry": "20", "transportModes": ["TRANSPORT_MODE_AIR"],
                        "exemptOrigins": ["VN", "TH", "IN"]}])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    let fee = |id: &str| charge(&line(&r, id).baseline, "mpf").clone();
    let unclamped =
        |value: &str, origin: &str| format!("1% x {value} USD customs value, MPF, origin {origin}");
    for (id, amount_text, formula) in [
        (
            "low",
            "10.00",
            "1% x 500.00 USD customs value = 5; entry of 1 units from CN: 5.00 USD, raised to the 10.00 USD minimum per entry; / 1 units, MPF".to_string(),
        ),
        ("at-min", "10.00", unclamped("1000.00", "JP")),
        ("mid", "15.00", unclamped("1500.00", "DE")),
        ("at-max", "20.00", unclamped("2000.00", "KR")),
        (
            "high",
            "20.00",
            "1% x 3000.00 USD customs value = 30; entry of 1 units from MX: 30.00 USD, capped at the 20.00 USD maximum per entry; / 1 units, MPF".to_string(),
        ),
    ] {
        let c = fee(id);
        assert_eq!((amount(&c.amount), c.formula.as_str()), (amount_text, formula.as_str()), "{id}");
    }
    let duty = |id: &str, m: &str| charge(&line(&r, id).baseline, m).clone();
    let floor = duty("floor", "floor");
    assert_eq!(amount(&floor.amount), "10.00");
    assert_eq!(
        floor.formula,
        "1% x 1000.00 USD customs value, MFN, HTS 1111.01, origin VN"
    );
    let cap = duty("cap", "cap");
    assert_eq!(amount(&cap.amount), "100.00");
    assert_eq!(
        cap.formula,
        "10% x 1000.00 USD customs value, MFN, HTS 2222.01, origin TH"
    );
    let rest = duty("remainder", "rest");
    assert_eq!(amount(&rest.amount), "50.00");
    assert_eq!(
        rest.formula,
        "5% x 1000.00 USD non-metal remainder (no metal-content measure applies: full customs value), MFN, HTS 3333.01, origin IN"
    );
}

/// A clamped entry fee is shared by its lines in proportion to their unclamped fees, and the
/// formula shows the share; when every line's fee is zero (free parts), equally. MPF 0.3464%
/// with a 33.58 minimum, 10 units per entry: 100.00 and 300.00 parts from China have unclamped
/// fees 0.3464 and 1.0392 (sum 1.3856; 13.856 per entry, raised to 33.58, 3.358 per unit):
/// 3.358 x 0.3464 / 1.3856 = 0.8395 -> 0.84. Two free parts from Japan: 3.358 / 2 = 1.679
/// -> 1.68 each.
#[tokio::test]
async fn a_clamped_fee_is_shared_by_the_lines_of_its_entry() {
    let server = TestServer::start().await;
    let r = mpf_case(
        &server,
        json!([
            part("a", "100", "CN"),
            part("b", "300", "CN"),
            part("c", "0", "JP"),
            part("d", "0", "JP")
        ]),
        "10",
    )
    .await;
    let a = charge(&line(&r, "a").baseline, "mpf").clone();
    assert_eq!(amount(&a.amount), "0.84");
    assert_eq!(
        a.formula,
        "0.3464% x 100.00 USD customs value = 0.3464; entry of 10 units from CN: 13.86 USD, \
         raised to the 33.58 USD minimum per entry; / 10 units x 0.3464 / 1.3856 (this line's \
         share of the entry), MPF"
    );
    let c = charge(&line(&r, "c").baseline, "mpf").clone();
    assert_eq!(amount(&c.amount), "1.68");
    assert_eq!(
        c.formula,
        "0.3464% x 0.00 USD customs value = 0; entry of 10 units from JP: 0.00 USD, raised to \
         the 33.58 USD minimum per entry; / 10 units x 1/2 (equal share of the entry's lines), MPF"
    );
}

/// A line alone in its entry carries the entry's whole clamped fee, and its formula names no
/// share: a 100.00 part from China, 10 units per entry, unclamped 10 x 0.3464 = 3.464 -> raised
/// to 33.58, 3.358 -> 3.36 per unit; a free part alone from Japan, unclamped 0, the same.
#[tokio::test]
async fn a_line_alone_in_its_entry_carries_the_whole_clamped_fee() {
    let server = TestServer::start().await;
    let r = mpf_case(
        &server,
        json!([part("p", "100", "CN"), part("f", "0", "JP")]),
        "10",
    )
    .await;
    let p = charge(&line(&r, "p").baseline, "mpf").clone();
    assert_eq!(amount(&p.amount), "3.36");
    assert_eq!(
        p.formula,
        "0.3464% x 100.00 USD customs value = 0.3464; entry of 10 units from CN: 3.46 USD, \
         raised to the 33.58 USD minimum per entry; / 10 units, MPF"
    );
    let f = charge(&line(&r, "f").baseline, "mpf").clone();
    assert_eq!(amount(&f.amount), "3.36");
    assert_eq!(
        f.formula,
        "0.3464% x 0.00 USD customs value = 0; entry of 10 units from JP: 0.00 USD, raised to \
         the 33.58 USD minimum per entry; / 10 units, MPF"
    );
}

/// A maximum that binds is named with its arithmetic: 10% of 2,000.00 = 200.00, capped at
/// 100.00 per piece x 1 piece.
#[tokio::test]
async fn a_binding_maximum_is_named_in_the_formula() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "cap", "currency": "USD", "items": [part("p", "2000", "TH")]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([
                {"id": "cap", "program": "PROGRAM_MFN",
                 "rate": {"adValoremPercent": "10", "maximumAmount": "100", "limitUnit": "UNIT_OF_MEASURE_PIECE"}}]), json!([])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    let c = charge(&line(&r, "p").baseline, "cap");
    assert_eq!(amount(&c.amount), "100.00");
    assert_eq!(
        c.formula,
        "10% x 2000.00 USD customs value = 200.00 USD, capped at the maximum 100.00 USD/piece x 1 piece, MFN, HTS 8501.32, origin TH"
    );
}

/// One MFN rate per line, the most specific: the schedule rates heading 8505 at 5% and the
/// statistical line 8505.11.00.70 at 2.1%. A 100.00 magnet under 8505.11.00.70 pays MFN
/// 2.1% = 2.10 (not 5% + 2.1% = 7.10), and Section 301 on 8505.11.00 at 25% = 25.00 on top
/// (another program stacks); a 100.00 part under 8505.19 pays the heading's 5% = 5.00.
#[tokio::test]
async fn the_most_specific_mfn_rate_is_the_only_one_charged() {
    let server = TestServer::start().await;
    let m = |id: &str, program: &str, prefix: &str, rate: &str| {
        json!({"id": id, "program": format!("PROGRAM_{program}"), "htsPrefixes": [prefix],
               "rate": {"adValoremPercent": rate}})
    };
    let part = |id: &str, hts: &str| {
        json!({"id": id, "unitPrice": "100", "import": {"htsCode": hts, "origin": "CN",
               "transportMode": "TRANSPORT_MODE_AIR"}})
    };
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "mfn", "currency": "USD", "items": [
                part("magnet", "8505.11.0070"), part("other", "8505.19.0000")]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(json!([
                m("mfn-8505", "MFN", "8505", "5"),
                m("mfn-8505110070", "MFN", "8505110070", "2.1"),
                m("s301", "SECTION_301", "85051100", "25")
            ]), json!([])),
            "options": opts("2026-03-02")
        }),
    )
    .await;
    let ids = |path: &str| -> Vec<(String, String)> {
        let side = line(&r, path).baseline.as_ref().unwrap();
        side.charges
            .iter()
            .map(|c| (c.measure_id.clone(), amount(&c.amount).to_string()))
            .collect()
    };
    let pair = |id: &str, a: &str| (id.to_string(), a.to_string());
    assert_eq!(
        ids("magnet"),
        [pair("mfn-8505110070", "2.10"), pair("s301", "25.00")]
    );
    assert_eq!(ids("other"), [pair("mfn-8505", "5.00")]);
    assert_eq!(amount(&r.baseline_totals.as_ref().unwrap().duties), "32.10");
}

/// Alternatives: a product on several headings of one program pays the highest rate in force,
/// never the sum. Group "s301": 9903.91.06 at 25% from 2026-01-01, then 9903.88.16 at 15%,
/// 9903.88.09 at 10%, 9903.88.15 at 7.5% and 9903.88.01 at 5%; an IEEPA 10% outside the
/// group stacks. A 100.00 magnet entered
/// 2025-12-15: 15.00 (9903.91.06 not yet in force) + 10.00 = 25.00 of duty; entered 2026-03-02
/// (the scenario): 25.00 + 10.00 = 35.00, not 25 + 15 + 10 + 7.5 + 5 + 10 = 72.50. A bolt on two 25%
/// headings (a tie) pays the first listed, once: 25.00 + 10.00.
#[tokio::test]
async fn a_group_of_alternatives_charges_its_highest_rate_in_force() {
    let server = TestServer::start().await;
    let m = |id: &str, prefix: &str, rate: &str, from: &str| {
        json!({"id": id, "program": "PROGRAM_SECTION_301", "htsPrefixes": [prefix], "origins": ["CN"],
               "rate": {"adValoremPercent": rate}, "effectiveFrom": from, "alternativeGroup": "s301"})
    };
    let part = |id: &str, hts: &str| {
        json!({"id": id, "unitPrice": "100", "import": {"htsCode": hts, "origin": "CN",
               "transportMode": "TRANSPORT_MODE_AIR"}})
    };
    let measures = json!([
        m("9903.88.15", "85051100", "7.5", ""),
        m("9903.88.16", "85051100", "15", ""),
        m("9903.88.01", "85051100", "5", ""),
        m("9903.88.09", "85051100", "10", ""),
        m("9903.91.06", "85051100", "25", "2026-01-01"),
        m("9903.88.03", "731815", "25", ""),
        m("9903.88.04", "731815", "25", ""),
        {"id": "ieepa", "program": "PROGRAM_IEEPA", "rate": {"adValoremPercent": "10"}}
    ]);
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "b", "currency": "USD", "items": [
                part("magnet", "8505.11.0070"), part("bolt", "7318.15.2095")]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule(measures, json!([])),
            "options": {"entryDate": "2025-12-15", "scenarioEntryDate": "2026-03-02"}
        }),
    )
    .await;
    let charged = |path: &str, scenario: bool| -> Vec<(String, String)> {
        let l = line(&r, path);
        let side = if scenario { &l.scenario } else { &l.baseline };
        side.as_ref()
            .unwrap()
            .charges
            .iter()
            .map(|c| (c.measure_id.clone(), amount(&c.amount).to_string()))
            .collect()
    };
    let pair = |id: &str, a: &str| (id.to_string(), a.to_string());
    assert_eq!(
        charged("magnet", false),
        [pair("9903.88.16", "15.00"), pair("ieepa", "10.00")]
    );
    assert_eq!(
        charged("magnet", true),
        [pair("9903.91.06", "25.00"), pair("ieepa", "10.00")]
    );
    assert_eq!(
        charged("bolt", true),
        [pair("9903.88.03", "25.00"), pair("ieepa", "10.00")]
    );
    assert_eq!(amount(&r.baseline_totals.as_ref().unwrap().duties), "60.00");
    assert_eq!(amount(&r.scenario_totals.as_ref().unwrap().duties), "70.00");
    // The formula names at most three of the others, and counts the rest.
    let formula = |scenario: bool| {
        let l = line(&r, "magnet");
        let side = if scenario { &l.scenario } else { &l.baseline };
        side.as_ref().unwrap().charges[0].formula.clone()
    };
    assert!(
        formula(false).ends_with(
            "; the highest of its group \"s301\", charged instead of 9903.88.15, 9903.88.01, 9903.88.09"
        ),
        "{}",
        formula(false)
    );
    assert!(
        formula(true).ends_with(
            "; the highest of its group \"s301\", charged instead of 9903.88.15, 9903.88.16, 9903.88.01, 1 more"
        ),
        "{}",
        formula(true)
    );
}

/// The measures of a group replace one another, so they must share program, basis and
/// pre-emptions: a group mixing Section 301 and IEEPA is refused at the second measure.
#[tokio::test]
async fn a_group_mixing_programs_is_refused() {
    let server = TestServer::start().await;
    let m = |id: &str, program: &str| json!({"id": id, "program": program, "rate": {"adValoremPercent": "10"}, "alternativeGroup": "g"});
    let req: pb::CalculateImpactRequest = serde_json::from_value(json!({
        "bom": {"id": "b", "currency": "USD", "items": [{"id": "x", "unitPrice": "1"}]},
        "baselinePrices": deck("p", &[]),
        "baselineSchedule": schedule(json!([m("a", "PROGRAM_SECTION_301"), m("b", "PROGRAM_IEEPA")]), json!([])),
        "options": {"entryDate": "2026-03-02"}
    }))
    .unwrap();
    let status = server
        .costs()
        .await
        .calculate_impact(req)
        .await
        .unwrap_err();
    let v = &status.get_details_bad_request().unwrap().field_violations;
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        v[0].field,
        "baseline_schedule.measures[1].alternative_group"
    );
}

/// Never a silent zero: every dutied import a schedule does not cover is reported, per side,
/// with its line, its import's field path and what is missing. The baseline schedule has an
/// MFN rate for 8505 and a 10% IEEPA duty on every code; the scenario adds an MFN rate for
/// 8482. A 100.00 bearing (8482.10) pays IEEPA only in the baseline (MFN missing there, not
/// in the scenario); a gearbox (8483.40) imported whole is missing its MFN on both sides,
/// and its bearing inside is dutied within the gearbox's value, so it has no gap of its own;
/// the magnet (8505.11) is covered. With no IEEPA, the bearing has no duty at all.
#[tokio::test]
async fn imports_a_schedule_does_not_cover_are_reported_never_zero() {
    let server = TestServer::start().await;
    let import =
        |hts: &str| json!({"htsCode": hts, "origin": "DE", "transportMode": "TRANSPORT_MODE_AIR"});
    let mfn = |id: &str, prefix: &str| json!({"id": id, "program": "PROGRAM_MFN", "htsPrefixes": [prefix], "rate": {"adValoremPercent": "2"}});
    let ieepa =
        json!({"id": "ieepa", "program": "PROGRAM_IEEPA", "rate": {"adValoremPercent": "10"}});
    let bom = json!({"id": "b", "currency": "USD", "items": [
        {"id": "bearing", "unitPrice": "100", "import": import("8482.10.5044")},
        {"id": "gearbox", "import": import("8483.40.5010"), "children": [
            {"id": "bearing", "unitPrice": "50", "import": import("8482.10.5044")}]},
        {"id": "magnet", "unitPrice": "100", "import": import("8505.11.0070")}]});
    let request = |baseline: Value, scenario: Value, require: bool| {
        json!({"bom": bom, "baselinePrices": deck("p", &[]),
               "baselineSchedule": schedule(baseline, json!([])),
               "scenarioSchedule": schedule(scenario, json!([])),
               "options": {"entryDate": "2026-03-02", "requireCoverage": require}})
    };
    let with_ieepa = request(
        json!([mfn("mfn-8505", "8505"), ieepa.clone()]),
        json!([mfn("mfn-8505", "8505"), mfn("mfn-8482", "8482"), ieepa]),
        false,
    );
    let r = calculate(&server, with_ieepa.clone()).await;
    let gaps: Vec<_> = r
        .coverage_gaps
        .iter()
        .map(|g| {
            (
                g.path.as_str(),
                g.field_path.as_str(),
                g.hts_code.as_str(),
                g.origin.as_str(),
                pb::Side::try_from(g.side).unwrap(),
                pb::CoverageMissing::try_from(g.missing).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        gaps,
        [
            (
                "bearing",
                "bom.items[0].import",
                "8482.10.5044",
                "DE",
                pb::Side::Baseline,
                pb::CoverageMissing::MfnRate
            ),
            (
                "gearbox",
                "bom.items[1].import",
                "8483.40.5010",
                "DE",
                pb::Side::Both,
                pb::CoverageMissing::MfnRate
            ),
        ]
    );
    assert_eq!(
        r.coverage_gaps[1].description,
        "gearbox: HTS 8483.40.5010 from DE: no MFN rate in schedule \"test\" on 2026-03-02 (baseline and scenario); its MFN duty is not in the cost"
    );
    assert!(
        r.notes.contains(&r.coverage_gaps[0].description),
        "{:?}",
        r.notes
    );
    // The bearing: IEEPA 10.00 on both sides, MFN 2.00 in the scenario only.
    assert_eq!(
        amount(&line(&r, "bearing").baseline.as_ref().unwrap().duties),
        "10.00"
    );
    assert_eq!(
        amount(&line(&r, "bearing").scenario.as_ref().unwrap().duties),
        "12.00"
    );

    // No duty measure at all for the bearing and the gearbox.
    let bare = request(
        json!([mfn("mfn-8505", "8505")]),
        json!([mfn("mfn-8505", "8505")]),
        false,
    );
    let r = calculate(&server, bare).await;
    let missing: Vec<_> = r
        .coverage_gaps
        .iter()
        .map(|g| {
            (
                g.path.as_str(),
                pb::CoverageMissing::try_from(g.missing).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        missing,
        [
            ("bearing", pb::CoverageMissing::AnyDuty),
            ("gearbox", pb::CoverageMissing::AnyDuty)
        ]
    );

    // require_coverage turns the gaps into FAILED_PRECONDITION, one violation per gap.
    let mut strict = with_ieepa;
    strict["options"]["requireCoverage"] = json!(true);
    let status = common::calculate_err(&server, common::request(strict)).await;
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let failure = status.get_details_precondition_failure().unwrap();
    let subjects: Vec<_> = failure
        .violations
        .iter()
        .map(|v| (v.r#type.as_str(), v.subject.as_str()))
        .collect();
    assert_eq!(
        failure.violations[1].description,
        "no MFN rate for HTS 8483.40.5010 from DE in schedule \"test\" on 2026-03-02 (baseline and scenario)"
    );
    assert_eq!(
        subjects,
        [
            ("COVERAGE_GAP", "bom.items[0].import"),
            ("COVERAGE_GAP", "bom.items[1].import")
        ]
    );
    assert!(
        status
            .message()
            .starts_with("require_coverage: 2 coverage gap(s) not acknowledged, e.g. bom.items[0].import: no MFN rate for HTS 8482.10.5044 from DE in schedule \"test\" on 2026-03-02 (baseline)"),
        "{}",
        status.message()
    );

    // Covered everywhere: require_coverage answers as usual.
    let covered = request(
        json!([mfn("mfn-85", "85")]),
        json!([mfn("mfn-84", "84"), mfn("mfn-85", "85")]),
        true,
    );
    let covered = json!({"bom": {"id": "b", "currency": "USD", "items": [
        {"id": "magnet", "unitPrice": "100", "import": import("8505.11.0070")}]},
        "baselinePrices": covered["baselinePrices"], "baselineSchedule": covered["baselineSchedule"],
        "scenarioSchedule": covered["scenarioSchedule"], "options": covered["options"]});
    let r = calculate(&server, covered).await;
    assert!(r.coverage_gaps.is_empty());
    assert_eq!(amount(&r.baseline_totals.as_ref().unwrap().duties), "2.00");
}

/// Known gaps: programs a schedule declares it does not carry, reported for every dutied
/// import they concern (HTS prefixes, origins, entry dates), per side, and refused by
/// require_coverage unless the request acknowledges them. The schedule charges MFN 2% on
/// chapters 84 and 85 and declares: "ad-cvd" (every import), "metals" (8482, from
/// 2026-04-06, no source of its own: the schedule's) and "ru" (chapter 85 of Russia).
/// A bearing 8482.10 and a magnet 8505.11 of Germany, entered 2026-03-02 (baseline) and
/// 2026-04-06 (scenario): both have "ad-cvd" on both sides, the bearing "metals" in the
/// scenario only, nothing has "ru". Duties stay MFN's: 2.00 each.
#[tokio::test]
async fn known_gaps_are_reported_and_refused_unless_acknowledged() {
    let server = TestServer::start().await;
    let import =
        |hts: &str| json!({"htsCode": hts, "origin": "DE", "transportMode": "TRANSPORT_MODE_AIR"});
    let mfn = |id: &str, prefix: &str| json!({"id": id, "program": "PROGRAM_MFN", "htsPrefixes": [prefix], "rate": {"adValoremPercent": "2"}});
    let mut sched = schedule(json!([mfn("mfn-84", "84"), mfn("mfn-85", "85")]), json!([]));
    sched["source"] = json!("test rules");
    sched["knownGaps"] = json!([
        {"id": "ad-cvd", "description": "AD/CVD orders are not carried", "source": "19 U.S.C. 1673"},
        {"id": "metals", "description": "note 16 metals not compiled", "htsPrefixes": ["8482"],
         "effectiveFrom": "2026-04-06"},
        {"id": "ru", "description": "Russian goods", "htsPrefixes": ["85"], "origins": ["RU"]}]);
    let request = |acknowledged: Value, require: bool| {
        json!({"bom": {"id": "b", "currency": "USD", "items": [
                {"id": "bearing", "unitPrice": "100", "import": import("8482.10.5044")},
                {"id": "magnet", "unitPrice": "100", "import": import("8505.11.0070")}]},
               "baselinePrices": deck("p", &[]), "baselineSchedule": sched,
               "options": {"entryDate": "2026-03-02", "scenarioEntryDate": "2026-04-06",
                           "requireCoverage": require, "acknowledgedGaps": acknowledged}})
    };
    let r = calculate(&server, request(json!([]), false)).await;
    let gaps: Vec<_> = r
        .coverage_gaps
        .iter()
        .map(|g| {
            (
                g.path.as_str(),
                pb::Side::try_from(g.side).unwrap(),
                pb::CoverageMissing::try_from(g.missing).unwrap(),
                g.known_gap_id.as_str(),
                g.known_gap_source.as_str(),
                g.acknowledged,
            )
        })
        .collect();
    let program = pb::CoverageMissing::Program;
    assert_eq!(
        gaps,
        [
            (
                "bearing",
                pb::Side::Both,
                program,
                "ad-cvd",
                "19 U.S.C. 1673",
                false
            ),
            (
                "magnet",
                pb::Side::Both,
                program,
                "ad-cvd",
                "19 U.S.C. 1673",
                false
            ),
            (
                "bearing",
                pb::Side::Scenario,
                program,
                "metals",
                "test rules",
                false
            ),
        ]
    );
    assert_eq!(
        r.coverage_gaps[0].description,
        "bearing: HTS 8482.10.5044 from DE: AD/CVD orders are not carried (known gap \"ad-cvd\") in schedule \"test\" on 2026-03-02 (baseline) and in schedule \"test\" on 2026-04-06 (scenario); its duty, if any, is not in the cost"
    );
    assert!(r.notes.contains(&r.coverage_gaps[2].description));
    assert_eq!(amount(&r.baseline_totals.as_ref().unwrap().duties), "4.00");
    assert_eq!(amount(&r.scenario_totals.as_ref().unwrap().duties), "4.00");

    // require_coverage refuses every gap not acknowledged.
    let refused = |acknowledged: Value| {
        let server = &server;
        async move {
            let status =
                common::calculate_err(server, common::request(request(acknowledged, true))).await;
            assert_eq!(status.code(), tonic::Code::FailedPrecondition);
            status
                .get_details_precondition_failure()
                .unwrap()
                .violations
                .iter()
                .map(|v| (v.subject.clone(), v.description.clone()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(refused(json!([])).await.len(), 3);
    assert_eq!(
        refused(json!(["ad-cvd"])).await,
        [(
            "bom.items[0].import".to_string(),
            "note 16 metals not compiled (known gap \"metals\") for HTS 8482.10.5044 from DE in schedule \"test\" on 2026-04-06 (scenario)".to_string()
        )]
    );
    // Everything acknowledged: the answer comes, every gap still listed and marked.
    let r = calculate(&server, request(json!(["ad-cvd", "metals"]), true)).await;
    assert_eq!(r.coverage_gaps.len(), 3);
    assert!(r.coverage_gaps.iter().all(|g| g.acknowledged));
    assert!(
        r.coverage_gaps[0]
            .description
            .ends_with("; acknowledged by the request; its duty, if any, is not in the cost"),
        "{}",
        r.coverage_gaps[0].description
    );

    // An id no schedule of the request declares acknowledges nothing: refused, not ignored.
    let status = common::calculate_err(
        &server,
        common::request(request(json!(["metals", "adcvd"]), false)),
    )
    .await;
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let fields: Vec<_> = status
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| (v.field.clone(), v.description.clone()))
        .collect();
    assert_eq!(
        fields,
        [(
            "options.acknowledged_gaps[1]".to_string(),
            "\"adcvd\" is not a known gap of the request's schedules (\"test\")".to_string()
        )]
    );

    // A known gap needs an id, unique, and a description; its codes and dates are checked.
    let mut bad = sched.clone();
    bad["knownGaps"] = json!([
        {"id": "", "description": ""},
        {"id": "x", "description": "d", "htsPrefixes": ["85a"], "effectiveFrom": "2026-13-01"},
        {"id": "x", "description": "d", "origins": ["Germany"]}]);
    let mut req = request(json!([]), false);
    req["baselineSchedule"] = bad;
    let status = common::calculate_err(&server, common::request(req)).await;
    let fields = common::bad_request_fields(&status);
    assert_eq!(
        fields,
        [
            "baseline_schedule.known_gaps[0].id",
            "baseline_schedule.known_gaps[0].description",
            "baseline_schedule.known_gaps[1].hts_prefixes[0]",
            "baseline_schedule.known_gaps[1].effective_from",
            "baseline_schedule.known_gaps[2].id",
            "baseline_schedule.known_gaps[2].origins[0]",
        ]
    );
}
