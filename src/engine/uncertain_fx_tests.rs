//! Hand-checked sensitivity analyses over exchange rates and freight: inputs that lower a
//! side's cost as they rise, bounded at the corner of their direction, and the inputs that
//! pull one side's cost both ways, refused with what pulls which way.

use super::Error;
use super::cross_border_tests::{Case, d, fx, magnet_set, mfn, schedule};
use super::currency::Currency;
use super::error::{Aim, Locator, Reason};
use super::sensitivity::{self, Sensitivity, Side, Target, Uncertain};
use super::work::Meter;
use serde_json::{Value, json};

fn c(code: &str) -> Currency {
    Currency::from_code(code).unwrap()
}

/// An input named `name` over `low`, `base`, `high`.
fn input(name: &str, target: Target, (low, base, high): (&str, &str, &str)) -> Uncertain {
    Uncertain {
        name: name.into(),
        target,
        low: d(low),
        base: d(base),
        high: d(high),
    }
}

/// The yen rate "1 USD = r JPY" on `side`, over 140, 150, 160.
fn yen_rate(side: Side) -> Uncertain {
    let target = Target::FxRate {
        base: c("USD"),
        quote: c("JPY"),
        side,
    };
    input("USD/JPY", target, ("140", "150", "160"))
}

fn analyze(case: &Case, inputs: &[Uncertain]) -> Result<Sensitivity, Error> {
    sensitivity::analyze(&case.inputs().unwrap(), inputs, &Meter::unlimited())
}

fn refusal(case: &Case, inputs: &[Uncertain]) -> (Locator, Reason, String) {
    match analyze(case, inputs).map(|r| r.base.delta) {
        Err(Error::Input(e)) => (e.field, e.reason, e.message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The magnet set of 15,000 JPY under MFN 2.1% (FOB), one FX deck at 150 JPY per USD.
fn yen_magnets() -> Case {
    let s = schedule("us", "USD", "VALUATION_BASIS_FOB", mfn("2.1"), json!([]));
    let deck = fx("fx0", &[("USD", "JPY", "150")]);
    Case {
        bom: magnet_set("15000", "15000"),
        schedules: (s.clone(), s),
        fx: (deck.clone(), deck),
    }
}

/// The scenario's yen rate from 140 to 160: the baseline stays 100.00 + 2.10 = 102.10. At 140
/// the scenario's goods are 15,000 / 140 = 107.1428571428571429 (16 decimals) and its duty
/// 2.1% of that, 2.25 (2.2500000000000000009): a delta of 7.2928571... = 7.29 (the displayed
/// 107.14 + 2.25 - 102.10 = 7.29); at 160, 93.75 + 1.96875 - 102.10 = -6.38125 = -6.38. The
/// scenario's cost falls as the rate rises, so its highest corner is the rate's low end:
/// bounded there, the two corners are the bounds at once (2 evaluations). Bounded as if the
/// cost rose with the rate, the upper bound would be 1.96875 - 2.10 + 7.1428571 = 7.01, below
/// the 7.29 reached.
#[test]
fn a_rate_the_cost_falls_with_is_bounded_at_its_low_end() {
    let r = analyze(&yen_magnets(), &[yen_rate(Side::Scenario)]).unwrap();
    assert_eq!(r.base.delta, d("0.00"));
    assert_eq!((r.all_low, r.all_high), (d("7.29"), d("-6.38")));
    assert_eq!((r.lower_bound, r.upper_bound), (d("-6.38"), d("7.29")));
    assert_eq!((r.min_reached, r.max_reached), (d("-6.38"), d("7.29")));
    assert!(r.converged);
    assert_eq!(r.evaluations, 2);
    let bar = &r.tornado[0];
    assert_eq!(
        (bar.at_low, bar.at_high, bar.swing),
        (d("7.29"), d("-6.38"), d("13.67"))
    );
    // Set on both sides (one deck), the sides stay equal: the delta is 0 everywhere, and the
    // one fixed price converted alike on both sides leaves no goods difference to bound.
    let r = analyze(&yen_magnets(), &[yen_rate(Side::Both)]).unwrap();
    assert_eq!((r.lower_bound, r.upper_bound), (d("0.00"), d("0.00")));
    assert!(r.converged);
    // On the baseline only, the mirror image: 102.10 less the baseline at the rate.
    let r = analyze(&yen_magnets(), &[yen_rate(Side::Baseline)]).unwrap();
    assert_eq!((r.lower_bound, r.upper_bound), (d("-7.29"), d("6.38")));
    assert_eq!(r.evaluations, 2);
}

/// A motor priced 1,055.00 USD CIF, declared at that value with 50.00 freight and 5.00
/// insurance in it, 10% MFN: the baseline values FOB, 1,055 - f - 5, so its duty 100.00 at
/// f = 50 falls as the freight rises; the scenario values CIF, the declared 1,055.00
/// whatever f, 105.50. Delta 105.50 - (105.00 - 0.1 f) = 0.50 + 0.1 f: 3.50 at f = 30,
/// 5.50 at 50, 7.50 at 70. The same motor priced 1,000.00 FOB, f and 5.00 insurance on top:
/// the baseline 100.00 + f + 5, the scenario 0.1 (1,005 + f) + f + 5: the same delta, rising
/// on both sides.
#[test]
fn a_freight_is_bounded_on_each_sides_direction() {
    let motor = |price: &str, incoterm: &str| -> Value {
        json!({"id": "b", "currency": "USD", "items": [
            {"id": "motor", "unitPrice": price,
             "import": {"htsCode": "8501.53.8040", "origin": "JP", "incoterm": incoterm,
                        "customsValue": price, "freight": "50.00", "insurance": "5.00"}}]})
    };
    let schedules = (
        schedule("us", "USD", "VALUATION_BASIS_FOB", mfn("10"), json!([])),
        schedule("eu", "USD", "VALUATION_BASIS_CIF", mfn("10"), json!([])),
    );
    let freight = input(
        "freight",
        Target::Freight(vec!["motor".into()]),
        ("30", "50", "70"),
    );
    for (price, incoterm) in [("1055.00", "INCOTERM_CIF"), ("1000.00", "INCOTERM_FOB")] {
        let case = Case {
            bom: motor(price, incoterm),
            schedules: schedules.clone(),
            fx: (None, None),
        };
        let r = analyze(&case, std::slice::from_ref(&freight)).unwrap();
        assert_eq!(r.base.delta, d("5.50"), "{incoterm}");
        assert_eq!(
            (r.all_low, r.all_high),
            (d("3.50"), d("7.50")),
            "{incoterm}"
        );
        assert_eq!(
            (r.lower_bound, r.upper_bound, r.converged, r.evaluations),
            (d("3.50"), d("7.50"), true, 2),
            "{incoterm}"
        );
    }
}

/// A yen price that includes its freight, with no declared value, on an FOB schedule: its FOB
/// value is the goods less the freight, both converted, so the yen rate lowers the goods and
/// raises the FOB value through the freight. Refused at the input, naming both; with a
/// declared value the FOB value is one conversion, and the same input is bounded.
#[test]
fn a_rate_pulling_one_side_both_ways_is_refused() {
    let mut case = yen_magnets();
    let import = &mut case.bom["items"][0]["import"];
    import["currency"] = json!("JPY");
    import["incoterm"] = json!("INCOTERM_CIF");
    import["freight"] = json!("750");
    let (field, reason, message) = refusal(&case, &[yen_rate(Side::Both)]);
    assert_eq!(
        (field, reason),
        (Locator::Uncertain(0, Aim::Input), Reason::InvalidValue)
    );
    for part in [
        "input \"USD/JPY\" moves the baseline's cost both ways",
        "the rate 1 USD = r JPY raises the cost through the freight and insurance the price of \"magnets\" includes",
        "lowers it through the components priced in JPY",
    ] {
        assert!(message.contains(part), "{part:?} in {message}");
    }
    // With insurance in the price too.
    let mut insured = case.clone();
    insured.bom["items"][0]["import"]["insurance"] = json!("10");
    let (_, _, message) = refusal(&insured, &[yen_rate(Side::Both)]);
    assert!(message.contains("both ways"), "{message}");
    case.bom["items"][0]["import"]["customsValue"] = json!("15000");
    let r = analyze(&case, &[yen_rate(Side::Scenario)]).unwrap();
    assert!(r.converged);
    // The FOB value 14,250 JPY / r: 95.00 at 150 (duty 1.995), 101.7857142857142857 at 140
    // (duty 2.1375), 89.0625 at 160 (duty 1.8703125). Upper: 107.1428571428571429 + 2.1375
    // - 101.995 = 7.2853571... = 7.29; lower: 93.75 + 1.8703125 - 101.995 = -6.3746875 = -6.37.
    assert_eq!((r.lower_bound, r.upper_bound), (d("-6.37"), d("7.29")));
    // Bought FOB instead, with no declared value: the yen freight is not in the price, so it
    // only lands on top, 750 / r (5.00 on the baseline), and the rate moves the scenario one
    // way. At 140: 107.1428571 + 2.25 + 5.3571429 - 107.10 = 7.65; at 160: 93.75 + 1.96875
    // + 4.6875 - 107.10 = -6.69375 = -6.69.
    let import = &mut case.bom["items"][0]["import"];
    import["incoterm"] = json!("INCOTERM_FOB");
    import.as_object_mut().unwrap().remove("customsValue");
    let r = analyze(&case, &[yen_rate(Side::Scenario)]).unwrap();
    assert_eq!(
        (r.lower_bound, r.upper_bound, r.converged),
        (d("-6.69"), d("7.65"), true)
    );
}

/// One freight input over a CIF-priced import a (no declared value) and an FOB-priced one b,
/// 100.00 each, 10% MFN, f from 0 to 10 (5 at base). The baseline values FOB: a's duty
/// 0.1 (100 - f) falls with f, b's 10.00 does not move. The scenario values CIF: a's value is
/// its price, 100.00, b's 100 + f, so its duty rises. b lands with f on both sides, a term
/// that cancels. Delta (10 + 0.1 (100 + f)) - (0.1 (100 - f) + 10) = 0.2 f: 0 to 2.00. The
/// input moves the sides' duties in opposite ways, so each side is bounded at its own corner:
/// at f = 10, 21.00 - 19.00 = 2.00; bounded the baseline's way up, 21.00 - 20.00 = 1.00, below
/// the 2.00 reached.
#[test]
fn a_freight_moving_the_sides_opposite_ways_is_bounded_at_each_sides_corner() {
    let item = |id: &str, incoterm: &str| {
        json!({"id": id, "unitPrice": "100",
               "import": {"htsCode": "8501.53.8040", "origin": "JP", "incoterm": incoterm,
                          "freight": "5"}})
    };
    let case = Case {
        bom: json!({"id": "b", "currency": "USD",
                    "items": [item("a", "INCOTERM_CIF"), item("b", "INCOTERM_FOB")]}),
        schedules: (
            schedule("us", "USD", "VALUATION_BASIS_FOB", mfn("10"), json!([])),
            schedule("eu", "USD", "VALUATION_BASIS_CIF", mfn("10"), json!([])),
        ),
        fx: (None, None),
    };
    let freight = input(
        "freight",
        Target::Freight(vec!["a".into(), "b".into()]),
        ("0", "5", "10"),
    );
    let r = analyze(&case, std::slice::from_ref(&freight)).unwrap();
    assert_eq!(r.base.delta, d("1.00"));
    assert_eq!((r.all_low, r.all_high), (d("0.00"), d("2.00")));
    assert_eq!(
        (r.lower_bound, r.upper_bound, r.converged, r.evaluations),
        (d("0.00"), d("2.00"), true, 2)
    );
}

/// A rate the decks do not quote as named, a side without a deck, an item without a
/// declaration: refused at the input's target.
#[test]
fn a_rate_or_freight_with_nothing_to_set_is_refused() {
    let case = yen_magnets();
    let inverse = Target::FxRate {
        base: c("JPY"),
        quote: c("USD"),
        side: Side::Both,
    };
    let (field, _, message) = refusal(&case, &[input("x", inverse, ("1", "1", "1"))]);
    assert_eq!(field, Locator::Uncertain(0, Aim::FxRate));
    assert!(
        message.contains("quotes this pair as 1 USD = r JPY: name it so"),
        "{message}"
    );
    let euro = Target::FxRate {
        base: c("EUR"),
        quote: c("USD"),
        side: Side::Scenario,
    };
    let (_, _, message) = refusal(&case, &[input("x", euro, ("1", "1", "1"))]);
    assert!(message.contains("has no rate 1 EUR = r USD"), "{message}");
    let mut no_deck = yen_magnets();
    no_deck.fx = (None, None);
    no_deck.bom["items"][0]["priceCurrency"] = json!("USD");
    let (_, _, message) = refusal(&no_deck, &[yen_rate(Side::Baseline)]);
    assert!(
        message.contains("the baseline has no FX deck with a rate 1 USD = r JPY"),
        "{message}"
    );
    let mut bare = yen_magnets();
    bare.bom["items"][0]
        .as_object_mut()
        .unwrap()
        .remove("import");
    let freight = Target::Freight(vec!["magnets".into()]);
    let (field, _, message) = refusal(&bare, &[input("f", freight, ("1", "1", "1"))]);
    assert_eq!(field, Locator::Uncertain(0, Aim::FreightPath(0)));
    assert!(message.contains("no import declaration"), "{message}");
}

/// A schedule in yen with a de minimis threshold of 100,000 JPY on the scenario, a 650.00 USD
/// motor, 10% MFN (the baseline in USD, without de minimis: 715.00). The threshold is
/// 100,000 / r USD: 714.29 at 140 and 666.67 at 150 exempt the motor (delta -65.00), 625.00
/// at 160 does not (delta 0.00). The rate lowers the threshold, so the scenario's cost rises
/// with it: bounded at once, [-65.00, 0.00].
#[test]
fn a_rate_converting_a_schedules_threshold_moves_the_cost_against_it() {
    let mut yen = schedule("jp-dm", "JPY", "VALUATION_BASIS_FOB", mfn("10"), json!([]));
    yen["deMinimisThreshold"] = json!("100000");
    let deck = fx("fx0", &[("USD", "JPY", "150")]);
    let mut case = Case {
        bom: json!({"id": "b", "currency": "USD", "items": [
            {"id": "motor", "unitPrice": "650.00",
             "import": {"htsCode": "8501.53.8040", "origin": "JP"}}]}),
        schedules: (
            schedule("us", "USD", "VALUATION_BASIS_FOB", mfn("10"), json!([])),
            yen,
        ),
        fx: (deck.clone(), deck),
    };
    let r = analyze(&case, &[yen_rate(Side::Scenario)]).unwrap();
    assert_eq!(r.base.delta, d("-65.00"));
    assert_eq!((r.all_low, r.all_high), (d("-65.00"), d("0.00")));
    assert_eq!(
        (r.lower_bound, r.upper_bound, r.converged, r.evaluations),
        (d("-65.00"), d("0.00"), true, 2)
    );
    // With a credit of 1,000 JPY in that schedule (kept: no restricted content), the credit
    // is 1,000 / r: 7.14 at 140 (delta -72.14), 6.25 at 160 (delta -6.25). Credits are bounded
    // apart, from lost to kept at their largest conversion, 1,000 / 140 rounded up, 7.15: the
    // upper bound 0.00 (lost) and the lower -65.00 - 7.15 = -72.15 stay apart from the deltas
    // reached, so the bounds are not converged and rounded outward.
    case.schedules.1["incentives"] = json!([{"id": "credit", "creditAmount": "1000",
        "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5"}]);
    let r = analyze(&case, &[yen_rate(Side::Scenario)]).unwrap();
    assert_eq!((r.min_reached, r.max_reached), (d("-72.14"), d("-6.25")));
    // The credit's gap never closes: the rate's range is halved until it cannot be split.
    assert!(r.evaluations < sensitivity::EVALUATION_BUDGET);
    assert_eq!(
        (r.lower_bound, r.upper_bound, r.converged),
        (d("-72.15"), d("0.00"), false)
    );
    // Set on the baseline only, the rate moves nothing the baseline converts; the scenario
    // keeps its credit, 1,000 / 150 = 6.67: -65.00 - 6.67 = -71.67 throughout.
    let r = analyze(&case, &[yen_rate(Side::Baseline)]).unwrap();
    assert_eq!((r.lower_bound, r.upper_bound), (d("-71.67"), d("-71.67")));
}

/// A BOM in yen: a 120,000 JPY motor; the baseline schedule in yen (10% MFN), the scenario's
/// in dollars with a de minimis threshold of 800 USD. Converted into yen the threshold is
/// 800 r: 112,000 at 140 (the motor pays 12,000), 120,000 at 150 and 128,000 at 160 (exempt).
/// The conversion multiplies, so the scenario's cost falls as the rate rises: delta 0 at 140,
/// -12,000 above; bounded at once at the rate's low end, [-12000, 0], no decimals.
#[test]
fn a_threshold_converted_by_multiplying_lowers_the_cost_as_the_rate_rises() {
    let mut usd = schedule("us-dm", "USD", "VALUATION_BASIS_FOB", mfn("10"), json!([]));
    usd["deMinimisThreshold"] = json!("800");
    let deck = fx("fx0", &[("USD", "JPY", "150")]);
    let case = Case {
        bom: json!({"id": "b", "currency": "JPY", "items": [
            {"id": "motor", "unitPrice": "120000",
             "import": {"htsCode": "8501.53.8040", "origin": "JP"}}]}),
        schedules: (
            schedule("jp", "JPY", "VALUATION_BASIS_FOB", mfn("10"), json!([])),
            usd,
        ),
        fx: (deck.clone(), deck),
    };
    let r = analyze(&case, &[yen_rate(Side::Scenario)]).unwrap();
    assert_eq!((r.all_low, r.all_high), (d("0"), d("-12000")));
    assert_eq!(
        (r.lower_bound, r.upper_bound, r.converged, r.evaluations),
        (d("-12000"), d("0"), true, 2)
    );
}

/// A rate set on one side is judged on that side only: the magnet set of 15,000 JPY with a
/// scenario schedule in yen whose de minimis threshold (100,000 JPY) converts with the same
/// rate. On the scenario the rate lowers the goods and raises the cost through the threshold:
/// refused. On the baseline only it moves the goods alone: the scenario is exempt at 100.00
/// (666.67 USD of threshold), the baseline 15,000 / r x 1.021: 109.3928571... at 140, 95.71875
/// at 160, so the delta runs from -9.39 to 4.28.
#[test]
fn a_rate_is_judged_on_the_sides_it_sets() {
    let mut yen = schedule("jp-dm", "JPY", "VALUATION_BASIS_FOB", mfn("2.1"), json!([]));
    yen["deMinimisThreshold"] = json!("100000");
    let mut case = yen_magnets();
    case.schedules.1 = yen;
    let (_, _, message) = refusal(&case, &[yen_rate(Side::Scenario)]);
    assert!(
        message.contains("the scenario's cost both ways"),
        "{message}"
    );
    let r = analyze(&case, &[yen_rate(Side::Baseline)]).unwrap();
    assert_eq!(
        (r.lower_bound, r.upper_bound, r.converged),
        (d("-9.39"), d("4.28"), true)
    );
}

/// The work of finding the directions, counted by hand: nothing without a rate or freight; a
/// freight on two paths, one unit per path and side, 4; a rate, one walk of the 3 lines, then
/// per rate input both decks' rates (2 + 2) and 2 x 3 lines: 3 + 10 = 13; a second rate 10
/// more.
#[test]
fn the_work_of_the_directions_is_counted_by_hand() {
    let deck = fx("fx0", &[("USD", "JPY", "150"), ("EUR", "USD", "1.08")]);
    let case = Case {
        bom: json!({"id": "b", "currency": "USD", "items": [
            {"id": "a", "children": [{"id": "x", "unitPrice": "1"}]},
            {"id": "b", "unitPrice": "1"}]}),
        schedules: (
            schedule("s", "USD", "", json!([]), json!([])),
            schedule("s", "USD", "", json!([]), json!([])),
        ),
        fx: (deck.clone(), deck),
    };
    let inputs = case.inputs().unwrap();
    let q = input("q", Target::Quantity(vec!["a".into()]), ("1", "1", "2"));
    let f = input(
        "f",
        Target::Freight(vec!["a".into(), "b".into()]),
        ("1", "1", "2"),
    );
    assert_eq!(super::monotone::work(&inputs, std::slice::from_ref(&q)), 0);
    assert_eq!(super::monotone::work(&inputs, &[q.clone(), f.clone()]), 4);
    let r = yen_rate(Side::Both);
    assert_eq!(super::monotone::work(&inputs, &[q, f, r.clone()]), 17);
    assert_eq!(super::monotone::work(&inputs, &[r.clone(), r]), 23);
}

/// A 100.00 USD part bought FOB, its carriage (750 JPY of freight, or of insurance) paid in
/// yen on top; the baseline values FOB at 10% (10.00, and lands 5.00 of carriage at 150), the
/// scenario CIF at 10%, so its value adds the carriage converted: 100 + 750 / r. The rate
/// lowers it: at 140, 0.1 x 105.3571429 + 5.3571429 - 15.00 = 0.89; at 160, 0.1 x 104.6875 +
/// 4.6875 - 15.00 = 0.15625 = 0.16. The same carriage on an FOB schedule with a yen de minimis
/// threshold adds nothing the duty is charged on: only the threshold moves with the rate.
#[test]
fn carriage_a_cif_value_adds_moves_with_the_rate() {
    let deck = fx("fx0", &[("USD", "JPY", "150")]);
    for carriage in ["freight", "insurance"] {
        let mut import = json!({"htsCode": "8501.53.8040", "origin": "JP", "currency": "JPY",
                                "incoterm": "INCOTERM_FOB"});
        import[carriage] = json!("750");
        let case = Case {
            bom: json!({"id": "b", "currency": "USD", "items": [
                {"id": "part", "unitPrice": "100.00", "import": import}]}),
            schedules: (
                schedule("us", "USD", "VALUATION_BASIS_FOB", mfn("10"), json!([])),
                schedule("eu", "USD", "VALUATION_BASIS_CIF", mfn("10"), json!([])),
            ),
            fx: (deck.clone(), deck.clone()),
        };
        let r = analyze(&case, &[yen_rate(Side::Scenario)]).unwrap();
        assert_eq!(r.base.delta, d("0.50"), "{carriage}");
        assert_eq!(
            (r.lower_bound, r.upper_bound, r.converged),
            (d("0.16"), d("0.89"), true),
            "{carriage}"
        );
    }
    let mut yen = schedule("jp-dm", "JPY", "VALUATION_BASIS_FOB", mfn("10"), json!([]));
    yen["deMinimisThreshold"] = json!("100000");
    let case = Case {
        bom: json!({"id": "b", "currency": "USD", "items": [
            {"id": "motor", "unitPrice": "650.00",
             "import": {"htsCode": "8501.53.8040", "origin": "JP", "currency": "JPY",
                        "incoterm": "INCOTERM_FOB", "freight": "750"}}]}),
        schedules: (
            schedule("us", "USD", "VALUATION_BASIS_FOB", mfn("10"), json!([])),
            yen,
        ),
        fx: (deck.clone(), deck),
    };
    // Exempt up to r = 100,000 / 650 = 153.85, 65.00 of duty above; 750 / r lands on top.
    let r = analyze(&case, &[yen_rate(Side::Scenario)]).unwrap();
    assert_eq!((r.all_low, r.all_high), (d("-64.64"), d("-0.31")));
    assert!(r.lower_bound <= d("-65.00") && r.upper_bound >= d("-0.31"));
}

/// A part inside a kit, bought FOB for 100.00 USD with its freight paid in yen on top; the
/// baseline's deck at 150 JPY per USD, the scenario's at 160; 10% MFN on both sides. The
/// freight f lands as f / 150 and f / 160: a delta of -f / 2,400, -0.3125 at 750 (displayed
/// 4.69 - 5.00 = -0.31). Over f from 0 to 1,500 the delta runs from 0 to -0.625, so the bounds
/// are [-0.63, 0.00] (half away from zero), at once.
#[test]
fn a_freight_in_another_currency_lands_at_each_sides_rate() {
    let case = Case {
        bom: json!({"id": "b", "currency": "USD", "items": [{"id": "kit", "children": [
            {"id": "part", "unitPrice": "100.00",
             "import": {"htsCode": "8501.53.8040", "origin": "JP", "currency": "JPY",
                        "incoterm": "INCOTERM_FOB", "freight": "750",
                        "transportMode": "TRANSPORT_MODE_OCEAN"}}]}]}),
        schedules: (
            schedule("us", "USD", "VALUATION_BASIS_FOB", mfn("10"), json!([])),
            schedule("us", "USD", "VALUATION_BASIS_FOB", mfn("10"), json!([])),
        ),
        fx: (
            fx("fx0", &[("USD", "JPY", "150")]),
            fx("fx1", &[("USD", "JPY", "160")]),
        ),
    };
    let freight = input(
        "freight",
        Target::Freight(vec!["kit/part".into()]),
        ("0", "750", "1500"),
    );
    let r = analyze(&case, std::slice::from_ref(&freight)).unwrap();
    assert_eq!(r.base.delta, d("-0.31"));
    assert_eq!(
        (r.lower_bound, r.upper_bound, r.converged, r.evaluations),
        (d("-0.63"), d("0.00"), true, 2)
    );
    // With the scenario's rate from 140 to 160 as well, f / r - f / 150 runs from -0.625 (f =
    // 1,500, r = 160) to 1,500 / 140 - 10 = 0.7142857 (r = 140).
    // One freight converted by two decks, one of them moving: bounded as the freight times
    // [1 / 160 - 1 / 150, 1 / 140 - 1 / 150] per yen, at once.
    let r = analyze(&case, &[freight, yen_rate(Side::Scenario)]).unwrap();
    assert_eq!(
        (r.lower_bound, r.upper_bound, r.converged),
        (d("-0.63"), d("0.71"), true)
    );
}
