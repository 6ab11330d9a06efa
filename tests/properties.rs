//! Properties that must hold for every input, checked on random BOMs, decks and schedules
//! through the same resolution and engine the server uses: displayed lines add up to displayed
//! totals; a scenario equal to the baseline gives exactly zero; item order does not change the
//! result; without minimums and maximums the exact delta is linear in quantity; and no input,
//! however malformed, panics.

mod common;

use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::Arc;
use tariff_impact::api::{ApiError, Context, calculate, compare, sensitivity};
use tariff_impact::catalog::Catalog;
use tariff_impact::convert::Limits;
use tariff_impact::engine::Meter;
use tariff_impact::pb;

/// One calculation through the same resolution and engine the server uses.
fn calculate(req: &pb::CalculateImpactRequest) -> Result<pb::CalculateImpactResponse, ApiError> {
    let ctx = Context {
        catalog: Arc::new(Catalog::builtin().unwrap()),
        limits: Limits::default(),
    };
    calculate::calculate(&ctx, req, &Meter::unlimited())
}

/// A decimal string with up to `dp` decimals below `max`.
fn dec(max: u32, dp: u32) -> impl Strategy<Value = String> {
    (0..max * 10u32.pow(dp)).prop_map(move |n| {
        let d = rust_decimal::Decimal::new(i64::from(n), dp);
        d.to_string()
    })
}

fn import() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(
        (prop::sample::select(vec!["CN", "JP", "KR"]), prop::sample::select(vec!["8505.11", "7326.90", "8501.32"]), any::<bool>(), prop::option::of(dec(1, 2)))
            .prop_map(|(origin, hts, ocean, share)| {
                let mut i = json!({"htsCode": hts, "origin": origin,
                                   "transportMode": if ocean { "TRANSPORT_MODE_OCEAN" } else { "TRANSPORT_MODE_AIR" }});
                if let Some(s) = share {
                    i["metalContentShare"] = json!(s);
                }
                i
            }),
    )
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        (
            prop::sample::select(vec!["a", "b", "c"]),
            dec(100, 3),
            import()
        )
            .prop_map(|(m, q, imp)| {
                let mut v = json!({"materialId": m, "quantity": q, "unit": "UNIT_OF_MEASURE_KG"});
                if let Some(i) = imp {
                    v["import"] = i;
                }
                v
            }),
        (dec(1000, 2), dec(1000, 2), dec(10, 0), import()).prop_map(|(p, sp, q, imp)| {
            let mut v = json!({"unitPrice": p, "scenarioUnitPrice": sp, "quantity": q});
            if let Some(i) = imp {
                v["import"] = i;
            }
            v
        }),
    ]
}

fn item() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        (prop::collection::vec(inner, 1..4), dec(5, 0), import()).prop_map(|(children, q, imp)| {
            let mut v = json!({"children": children, "quantity": q});
            if let Some(i) = imp {
                v["import"] = i;
            }
            v
        })
    })
}

fn with_ids(items: &mut [Value], prefix: &str) {
    for (i, it) in items.iter_mut().enumerate() {
        let id = format!("{prefix}{i}");
        it["id"] = json!(id);
        if let Some(children) = it.get_mut("children").and_then(Value::as_array_mut) {
            with_ids(children, &format!("{id}-"));
        }
    }
}

fn deck(prices: &[String]) -> Value {
    let prices: Vec<Value> = ["a", "b", "c"]
        .iter()
        .zip(prices)
        .map(|(m, p)| json!({"materialId": m, "price": p, "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_FOB"}))
        .collect();
    json!({"id": "d", "currency": "USD", "prices": prices})
}

/// Measures of every basis and program, with or without a minimum and maximum; MPF with or
/// without clamps, HMF on ocean.
fn schedule(clamps: bool) -> impl Strategy<Value = Value> {
    let measure = (
        prop::sample::select(vec![
            "PROGRAM_MFN",
            "PROGRAM_SECTION_232",
            "PROGRAM_SECTION_301",
            "PROGRAM_IEEPA",
        ]),
        prop::sample::select(vec![
            "DUTY_BASIS_FULL_VALUE",
            "DUTY_BASIS_METAL_CONTENT",
            "DUTY_BASIS_NON_METAL_REMAINDER",
        ]),
        dec(50, 1),
        prop::option::of(dec(3, 2)),
        prop::sample::subsequence(vec!["CN", "JP", "KR"], 0..3),
    );
    prop::collection::vec(measure, 0..5).prop_map(move |ms| {
        let measures: Vec<Value> = ms
            .into_iter()
            .enumerate()
            .map(|(i, (program, basis, rate, specific, origins))| {
                let mut r = json!({"adValoremPercent": rate});
                if let Some(s) = specific {
                    r["specificAmount"] = json!(s);
                    r["specificUnit"] = json!("UNIT_OF_MEASURE_KG");
                }
                if clamps {
                    r["minimumAmount"] = json!("0.50");
                    r["maximumAmount"] = json!("40");
                    r["limitUnit"] = json!("UNIT_OF_MEASURE_KG");
                }
                json!({"id": format!("m{i}"), "program": program, "basis": basis, "rate": r, "origins": origins})
            })
            .collect();
        let mut mpf = json!({"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464"});
        if clamps {
            mpf["minimumPerEntry"] = json!("33.58");
            mpf["maximumPerEntry"] = json!("651.50");
        }
        let hmf = json!({"id": "hmf", "kind": "FEE_KIND_HMF", "ratePercent": "0.125", "transportModes": ["TRANSPORT_MODE_OCEAN"]});
        json!({"id": "s", "currency": "USD", "measures": measures, "fees": [mpf, hmf]})
    })
}

/// Items whose specific duties per kg are computable: only material lines may be imported
/// under a per-kg rate without a net mass, so components and assemblies declare one.
fn with_masses(items: &mut [Value]) {
    for it in items {
        if it.get("materialId").is_none()
            && let Some(i) = it.get_mut("import")
        {
            i["netMassKg"] = json!("1.5");
        }
        if let Some(children) = it.get_mut("children").and_then(Value::as_array_mut) {
            with_masses(children);
        }
    }
}

fn case(clamps: bool) -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(item(), 1..6),
        prop::collection::vec(dec(500, 2), 3),
        prop::collection::vec(dec(500, 2), 3),
        schedule(clamps),
        schedule(clamps),
        dec(3, 0),
    )
        .prop_map(|(mut items, p0, p1, s0, s1, upe)| {
            with_ids(&mut items, "i");
            with_masses(&mut items);
            let upe = if upe == "0" { "1".to_string() } else { upe };
            json!({
                "bom": {"id": "random", "currency": "USD", "items": items},
                "baselinePrices": deck(&p0), "scenarioPrices": deck(&p1),
                "baselineSchedule": s0, "scenarioSchedule": s1,
                "options": {"entryDate": "2026-03-02", "unitsPerEntry": upe}
            })
        })
}

fn calc(v: &Value) -> pb::CalculateImpactResponse {
    let req: pb::CalculateImpactRequest = serde_json::from_value(v.clone()).unwrap();
    calculate(&req).unwrap_or_else(|e| panic!("{}", e.message()))
}

fn exact(m: &Option<pb::Money>) -> rust_decimal::Decimal {
    m.as_ref().unwrap().exact.parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn displayed_lines_add_up_to_displayed_totals(v in case(true)) {
        common::assert_adds_up(&calc(&v));
    }

    #[test]
    fn a_scenario_equal_to_the_baseline_gives_exactly_zero(v in case(true)) {
        let mut same = v.clone();
        same["scenarioPrices"] = v["baselinePrices"].clone();
        same["scenarioSchedule"] = v["baselineSchedule"].clone();
        // Components carry their own scenario price: make it the baseline's too.
        fn same_prices(items: &mut [Value]) {
            for it in items {
                if let Some(p) = it.get("unitPrice").cloned() {
                    it["scenarioUnitPrice"] = p;
                }
                if let Some(c) = it.get_mut("children").and_then(Value::as_array_mut) {
                    same_prices(c);
                }
            }
        }
        same_prices(same["bom"]["items"].as_array_mut().unwrap());
        let r = calc(&same);
        prop_assert_eq!(r.delta.as_ref().unwrap().amount.as_str(), "0.00");
        prop_assert!(exact(&r.delta).is_zero());
        for l in &r.lines {
            prop_assert_eq!(l.delta.as_ref().unwrap().amount.as_str(), "0.00");
        }
    }

    #[test]
    fn item_order_does_not_change_the_result(v in case(true)) {
        let r = calc(&v);
        let mut reversed = v.clone();
        reversed["bom"]["items"].as_array_mut().unwrap().reverse();
        let s = calc(&reversed);
        prop_assert_eq!(&r.baseline_unit_cost, &s.baseline_unit_cost);
        prop_assert_eq!(&r.scenario_unit_cost, &s.scenario_unit_cost);
        prop_assert_eq!(&r.effects, &s.effects);
        let by_path = |x: &pb::CalculateImpactResponse| {
            let mut lines: Vec<(String, Option<pb::Money>)> =
                x.lines.iter().map(|l| (l.path.clone(), l.delta.clone())).collect();
            lines.sort_by(|a, b| a.0.cmp(&b.0));
            lines
        };
        prop_assert_eq!(by_path(&r), by_path(&s));
    }

    #[test]
    fn without_minimums_and_maximums_the_exact_delta_is_linear_in_quantity(v in case(false), k in 2u32..5) {
        let r = calc(&v);
        let mut scaled = v.clone();
        for it in scaled["bom"]["items"].as_array_mut().unwrap() {
            let q: rust_decimal::Decimal = it.get("quantity").and_then(Value::as_str).unwrap_or("1").parse().unwrap();
            it["quantity"] = json!((q * rust_decimal::Decimal::from(k)).to_string());
        }
        let s = calc(&scaled);
        prop_assert_eq!(exact(&s.delta), exact(&r.delta) * rust_decimal::Decimal::from(k));
    }

    #[test]
    fn no_input_panics(
        quantity in ".{0,24}", price in ".{0,24}", unit in -2i32..8, origin in ".{0,3}",
        hts in ".{0,12}", rate in ".{0,12}", date in ".{0,12}", share in ".{0,8}", depth in 0usize..40,
    ) {
        let mut item = json!({"materialId": "a", "quantity": quantity, "unit": unit,
                              "import": {"htsCode": hts, "origin": origin, "transportMode": unit, "metalContentShare": share}});
        for _ in 0..depth {
            item = json!({"children": [item], "quantity": price});
        }
        let v = json!({
            "bom": {"id": "x", "currency": "USD", "items": [item]},
            "baselinePrices": {"id": "d", "currency": "USD", "prices": [
                {"materialId": "a", "price": price, "unit": unit, "basis": "PRICE_BASIS_FOB"}]},
            "baselineSchedule": {"id": "s", "currency": "USD", "measures": [
                {"id": "m", "program": unit, "rate": {"adValoremPercent": rate}, "effectiveFrom": date}]},
            "options": {"entryDate": date}
        });
        if let Ok(req) = serde_json::from_value::<pb::CalculateImpactRequest>(v) {
            let _ = calculate(&req);
        }
    }
}

/// The readable paths of every item of `items` (ids joined by `/`).
fn paths(items: &[Value], prefix: &str, out: &mut Vec<String>) {
    for it in items {
        let id = it["id"].as_str().unwrap_or_default();
        let path = if prefix.is_empty() {
            id.to_string()
        } else {
            format!("{prefix}/{id}")
        };
        out.push(path.clone());
        if let Some(children) = it.get("children").and_then(Value::as_array) {
            paths(children, &path, out);
        }
    }
}

/// A case with the options the cost model depends on varied: the view, a de minimis
/// threshold and an incentive on the scenario side, a stockpile.
fn costed_case() -> impl Strategy<Value = Value> {
    (case(true), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(mut v, summary, de_minimis, incentive)| {
            if summary {
                v["options"]["view"] = json!("RESULT_VIEW_SUMMARY");
            }
            if de_minimis {
                v["scenarioSchedule"]["deMinimisThreshold"] = json!("800");
            }
            if incentive {
                v["scenarioSchedule"]["incentives"] = json!([{"id": "credit", "creditAmount": "7500",
                    "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5"}]);
            }
            v["options"]["stockpile"] = json!({"coverMonths": "3", "horizonMonths": "12"});
            v
        },
    )
}

fn ctx() -> Context {
    Context {
        catalog: Arc::new(Catalog::builtin().unwrap()),
        limits: Limits::default(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The cost model is an upper bound: the work the meter counts and the response's size
    /// never exceed what was estimated before the work started.
    #[test]
    fn the_estimate_bounds_the_work_and_the_response_of_a_calculation(v in costed_case()) {
        use tariff_impact::api::guard::Plan;
        let req: pb::CalculateImpactRequest = serde_json::from_value(v).unwrap();
        let plan = calculate::prepare(&ctx(), &req).unwrap_or_else(|e| panic!("{}", e.message()));
        let cost = plan.cost();
        let meter = Meter::unlimited();
        let r = plan.run(&meter).unwrap_or_else(|e| panic!("{}", e.message()));
        prop_assert!(meter.used() <= cost.work, "used {} > estimated {}", meter.used(), cost.work);
        let bytes = prost::Message::encoded_len(&r) as u64;
        prop_assert!(bytes <= cost.response_bytes, "{bytes} bytes > estimated {}", cost.response_bytes);
        prop_assert!(cost.response_floor <= bytes, "floor {} > {bytes} bytes", cost.response_floor);
    }

    /// The same for an analysis: quantity factors on random items, a material price, a rate.
    #[test]
    fn the_estimate_bounds_the_work_of_a_sensitivity_analysis(
        v in costed_case(), picks in prop::collection::vec(any::<prop::sample::Index>(), 1..4),
    ) {
        use tariff_impact::api::guard::Plan;
        let mut all = Vec::new();
        paths(v["bom"]["items"].as_array().unwrap(), "", &mut all);
        let inputs: Vec<Value> = picks.iter().enumerate().map(|(i, p)| json!({
            "name": format!("q{i}"), "quantity": {"itemPaths": [p.get(&all)]},
            "low": "0.5", "base": "1", "high": "2"})).chain([
            json!({"name": "price", "price": {"materialId": "a", "side": "SIDE_BOTH"}, "low": "1", "base": "2", "high": "3"}),
        ]).collect();
        let req: pb::AnalyzeSensitivityRequest =
            serde_json::from_value(json!({"calculation": v, "inputs": inputs})).unwrap();
        let plan = match sensitivity::prepare(&ctx(), &req) {
            Ok(p) => p,
            // A deck without material "a" is a valid reason to refuse; it says nothing here.
            Err(_) => return Ok(()),
        };
        let cost = plan.cost();
        let meter = Meter::unlimited();
        if let Ok(r) = plan.run(&meter) {
            let bytes = prost::Message::encoded_len(&r) as u64;
            prop_assert!(bytes <= cost.response_bytes, "{bytes} > {}", cost.response_bytes);
        }
        prop_assert!(meter.used() <= cost.work, "used {} > estimated {}", meter.used(), cost.work);
    }

    /// The same for a comparison of up to three scenarios.
    #[test]
    fn the_estimate_bounds_the_work_of_a_comparison(v in costed_case(), n in 1usize..4) {
        use tariff_impact::api::guard::Plan;
        let scenarios: Vec<Value> = (0..n).map(|i| json!({"name": format!("s{i}"),
            "prices": v["scenarioPrices"], "schedule": v["scenarioSchedule"]})).collect();
        let req: pb::CompareScenariosRequest = serde_json::from_value(json!({
            "bom": v["bom"], "baselinePrices": v["baselinePrices"],
            "baselineSchedule": v["baselineSchedule"], "options": v["options"],
            "scenarios": scenarios})).unwrap();
        let plan = compare::prepare(&ctx(), &req).unwrap_or_else(|e| panic!("{}", e.message()));
        let cost = plan.cost();
        let meter = Meter::unlimited();
        let r = plan.run(&meter).unwrap_or_else(|e| panic!("{}", e.message()));
        prop_assert!(meter.used() <= cost.work, "used {} > estimated {}", meter.used(), cost.work);
        let bytes = prost::Message::encoded_len(&r) as u64;
        prop_assert!(bytes <= cost.response_bytes, "{bytes} > {}", cost.response_bytes);
    }
}
