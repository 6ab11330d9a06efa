//! Hand-checked cases of money across borders: amounts in other currencies converted with
//! each side's FX deck, the FX effect of the split, minor units per currency, the duty base
//! under a schedule's valuation basis, and freight, insurance and brokerage in landed cost.

use super::error::{Attribute, Locator, Reason};
use super::impact::{Impact, calculate};
use super::sensitivity::Inputs;
use super::work::Meter;
use super::{Error, InputError};
use crate::convert::{self, Limits};
use crate::pb;
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub(super) fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A deck quoting `rates` as `(base, quote, rate)`.
pub(super) fn fx(id: &str, rates: &[(&str, &str, &str)]) -> Option<super::fx::FxDeck> {
    let rates: Vec<Value> = rates
        .iter()
        .map(|(b, q, r)| json!({"baseCurrency": b, "quoteCurrency": q, "rate": r}))
        .collect();
    let deck: pb::FxDeck = serde_json::from_value(json!({"id": id, "rates": rates})).unwrap();
    Some(convert::fx_deck::fx_deck(&deck, id).unwrap())
}

/// A schedule in `currency` of `measures` and `fees`, valued on `basis`.
pub(super) fn schedule(
    id: &str,
    currency: &str,
    basis: &str,
    measures: Value,
    fees: Value,
) -> Value {
    let basis = if basis.is_empty() {
        "VALUATION_BASIS_UNSPECIFIED"
    } else {
        basis
    };
    json!({"id": id, "currency": currency, "valuationBasis": basis, "measures": measures,
           "fees": fees})
}

/// Every import of `items` shipped by ocean (a transport mode is required).
pub(super) fn by_ocean(items: &mut Value) {
    for it in items.as_array_mut().into_iter().flatten() {
        if let Some(i) = it.get_mut("import") {
            i["transportMode"] = json!("TRANSPORT_MODE_OCEAN");
        }
    }
}

/// MFN at `percent` on chapter 85 and 72.
pub(super) fn mfn(percent: &str) -> Value {
    json!([{"id": "mfn", "program": "PROGRAM_MFN", "htsPrefixes": ["85", "72"],
            "rate": {"adValoremPercent": percent}}])
}

#[derive(Clone)]
pub(super) struct Case {
    pub(super) bom: Value,
    pub(super) schedules: (Value, Value),
    pub(super) fx: (Option<super::fx::FxDeck>, Option<super::fx::FxDeck>),
}

impl Case {
    pub(super) fn inputs(&self) -> Result<Inputs, Vec<InputError>> {
        let mut bom = self.bom.clone();
        by_ocean(&mut bom["items"]);
        let bom: pb::Bom = serde_json::from_value(bom).unwrap();
        let deck: pb::PriceDeck =
            serde_json::from_value(json!({"id": "p", "currency": "USD"})).unwrap();
        let schedule = |v: &Value| {
            let s: pb::TariffSchedule = serde_json::from_value(v.clone()).unwrap();
            convert::schedule::schedule(&s, "s").unwrap()
        };
        let options: pb::CalculationOptions =
            serde_json::from_value(json!({"entryDate": "2026-03-02"})).unwrap();
        let deck = convert::price_deck::price_deck(&deck, "p").unwrap();
        Ok(Inputs {
            bom: convert::bom::bom(&bom, "", &Limits::default())?.bom,
            baseline_prices: deck.clone(),
            scenario_prices: deck,
            baseline_schedule: schedule(&self.schedules.0),
            scenario_schedule: schedule(&self.schedules.1),
            baseline_fx: self.fx.0.clone(),
            scenario_fx: self.fx.1.clone(),
            options: convert::options::options(Some(&options), "options").unwrap(),
        })
    }

    fn run(&self) -> Result<Impact, Error> {
        let inputs = self.inputs().unwrap();
        calculate(&inputs.scenario(), &Meter::unlimited())
    }
}

/// One imported magnet set priced `base` JPY (scenario `scen`), 1 piece, from JP, in a USD BOM.
pub(super) fn magnet_set(base: &str, scen: &str) -> Value {
    json!({"id": "b", "currency": "USD", "items": [
        {"id": "magnets", "unitPrice": base, "scenarioUnitPrice": scen, "priceCurrency": "JPY",
         "import": {"htsCode": "8505.11.0070", "origin": "JP"}}]})
}

/// The case: 15,000 JPY at 150.00 JPY per USD is 100.00 USD, at 160.00 it is 93.75;
/// MFN 2.1% on the US customs value is 2.10, then 1.96875 = 1.97 half up. The whole delta,
/// (93.75 + 1.97) - (100.00 + 2.10) = -6.38, is the FX effect.
#[test]
fn a_yen_price_under_two_rates() {
    let s = schedule("us", "USD", "VALUATION_BASIS_FOB", mfn("2.1"), json!([]));
    let case = Case {
        bom: magnet_set("15000", "15000"),
        schedules: (s.clone(), s),
        fx: (
            fx("fx0", &[("USD", "JPY", "150.00")]),
            fx("fx1", &[("USD", "JPY", "160.00")]),
        ),
    };
    let r = case.run().unwrap();
    let (b, s) = (&r.baseline, &r.scenario);
    assert_eq!(
        (b.lines[0].goods, s.lines[0].goods),
        (d("100.00"), d("93.75"))
    );
    assert_eq!((b.totals.duties, s.totals.duties), (d("2.10"), d("1.97")));
    assert_eq!(s.lines[0].charges[0].exact, d("1.96875"));
    assert_eq!((b.totals.total, s.totals.total), (d("102.10"), d("95.72")));
    assert_eq!(r.delta, d("-6.38"));
    assert_eq!(r.fx_effect, d("-6.38"));
    assert_eq!(
        (r.price_effect, r.tariff_effect, r.interaction),
        (d("0"), d("0"), d("0"))
    );
    let note = r.notes.iter().find(|n| n.contains("FX deck")).unwrap();
    assert!(
        note.starts_with("baseline: amounts converted to USD"),
        "{note}"
    );
    assert!(note.contains("1 USD = 150 JPY"), "{note}");
    assert!(r.notes.iter().any(|n| n.contains("1 USD = 160 JPY")));
}

/// Prices, rates and tariffs all move: each effect is its own crossed costing and the four
/// add up to the delta exactly.
/// - baseline: 15,000 JPY / 150 = 100.00 + 2.1% = 2.10: 102.10
/// - scenario: 16,000 JPY / 160 = 100.00 + 5% = 5.00: 105.00; delta 2.90
/// - price alone: 16,000 / 150 = 106.6666666666666667 -> 106.67, duty 2.24: 108.91, +6.81
/// - FX alone: 15,000 / 160 = 93.75 + 1.97 = 95.72, -6.38
/// - tariff alone: 100.00 + 5.00 = 105.00, +2.90
/// - interaction: 2.90 - 6.81 + 6.38 - 2.90 = -0.43
#[test]
fn price_fx_and_tariff_effects_split_the_delta_exactly() {
    let case = Case {
        bom: magnet_set("15000", "16000"),
        schedules: (
            schedule("t0", "USD", "", mfn("2.1"), json!([])),
            schedule("t1", "USD", "", mfn("5"), json!([])),
        ),
        fx: (
            fx("fx0", &[("USD", "JPY", "150")]),
            fx("fx1", &[("USD", "JPY", "160")]),
        ),
    };
    let r = case.run().unwrap();
    assert_eq!(r.delta, d("2.90"));
    assert_eq!(r.price_effect, d("6.81"));
    assert_eq!(r.fx_effect, d("-6.38"));
    assert_eq!(r.tariff_effect, d("2.90"));
    assert_eq!(r.interaction, d("-0.43"));
}

/// One deck on both sides: no FX effect, and the conversion note is one for both sides.
#[test]
fn one_deck_for_both_sides_has_no_fx_effect() {
    let s = schedule("us", "USD", "", mfn("2.1"), json!([]));
    let deck = fx("fx", &[("USD", "JPY", "150")]);
    let case = Case {
        bom: magnet_set("15000", "16500"),
        schedules: (s.clone(), s),
        fx: (deck.clone(), deck),
    };
    let r = case.run().unwrap();
    // 16,500 / 150 = 110.00 + 2.31 = 112.31 against 102.10.
    assert_eq!(
        (r.delta, r.price_effect, r.fx_effect),
        (d("10.21"), d("10.21"), d("0"))
    );
    let notes: Vec<&String> = r.notes.iter().filter(|n| n.contains("FX deck")).collect();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].starts_with("baseline and scenario:"),
        "{}",
        notes[0]
    );
}

/// A component of 1,000.00 USD with freight 50.00 and insurance 5.00, 10% ad valorem:
/// a CIF schedule charges 10% of 1,055.00 = 105.50, an FOB one 10% of 1,000.00 = 100.00;
/// landed cost adds the freight and insurance either way: 1,160.50 and 1,155.00. The same
/// goods priced CIF (1,055.00, carriage included) land at the same 1,155.00 under FOB.
#[test]
fn the_duty_base_follows_the_schedules_valuation_basis() {
    let bom = |price: &str, incoterm: &str| {
        json!({"id": "b", "currency": "USD", "items": [
            {"id": "motor", "unitPrice": price,
             "import": {"htsCode": "8501.32", "origin": "DE", "incoterm": incoterm,
                        "freight": "50.00", "insurance": "5.00"}}]})
    };
    let ten = mfn("10");
    let cif = schedule("eu", "USD", "VALUATION_BASIS_CIF", ten.clone(), json!([]));
    let fob = schedule("us", "USD", "VALUATION_BASIS_FOB", ten, json!([]));
    let case = Case {
        bom: bom("1000.00", "INCOTERM_FOB"),
        schedules: (fob.clone(), cif.clone()),
        fx: (None, None),
    };
    let r = case.run().unwrap();
    let (b, s) = (&r.baseline, &r.scenario);
    assert_eq!(
        (b.totals.duties, s.totals.duties),
        (d("100.00"), d("105.50"))
    );
    assert_eq!(b.lines[0].customs_value, Some(d("1000.00")));
    assert_eq!(s.lines[0].customs_value, Some(d("1055.00")));
    assert_eq!(s.lines[0].charges[0].base, d("1055.00"));
    for side in [b, s] {
        assert_eq!(side.totals.freight, d("50.00"));
        assert_eq!(side.totals.insurance, d("5.00"));
        assert_eq!(side.totals.brokerage, d("0"));
    }
    assert_eq!(
        (b.totals.total, s.totals.total),
        (d("1155.00"), d("1160.50"))
    );
    assert_eq!(r.tariff_effect, d("5.50"));

    let priced_cif = Case {
        bom: bom("1055.00", "INCOTERM_CIF"),
        schedules: (fob.clone(), cif),
        fx: (None, None),
    };
    let r = priced_cif.run().unwrap();
    let (b, s) = (&r.baseline, &r.scenario);
    assert_eq!(
        (b.totals.duties, s.totals.duties),
        (d("100.00"), d("105.50"))
    );
    assert_eq!(b.lines[0].customs_value, Some(d("1000.00")));
    assert_eq!((b.totals.freight, b.totals.insurance), (d("0"), d("0")));
    assert_eq!(
        (b.totals.total, s.totals.total),
        (d("1155.00"), d("1160.50"))
    );
    assert!(b.lines[0].logistics.is_none());
}

/// Brokerage is landed cost, never duty base; CFR includes freight only, so its insurance
/// is added and its freight is not.
#[test]
fn brokerage_and_a_cost_and_freight_price() {
    let case = Case {
        bom: json!({"id": "b", "currency": "USD", "items": [
            {"id": "motor", "unitPrice": "1050.00", "quantity": "2",
             "import": {"htsCode": "8501.32", "origin": "DE", "incoterm": "INCOTERM_CFR",
                        "freight": "50.00", "insurance": "5.00", "brokerage": "12.50"}}]}),
        schedules: (
            schedule("us", "USD", "", mfn("10"), json!([])),
            schedule("us", "USD", "", mfn("10"), json!([])),
        ),
        fx: (None, None),
    };
    let r = case.run().unwrap();
    let b = &r.baseline;
    // Two motors: goods 2,100.00; FOB 2,100.00 - 100.00 freight = 2,000.00; duty 200.00;
    // insurance 10.00 and brokerage 25.00 added: 2,335.00.
    assert_eq!(b.lines[0].customs_value, Some(d("2000.00")));
    assert_eq!(b.totals.duties, d("200.00"));
    let l = b.lines[0].logistics.unwrap();
    assert_eq!(
        (l.freight, l.insurance, l.brokerage),
        (d("0"), d("10.00"), d("25.00"))
    );
    assert_eq!(b.totals.total, d("2335.00"));
}

/// A JPY BOM under a USD schedule: its specific rate and fee minimum are converted with the
/// side's deck and rounded at the yen. 10,000 JPY goods, 2 kg at 1.5 USD/kg = 3 USD =
/// 450 JPY; MPF 0.3464% = 34.64 JPY is raised to its 33.58 USD = 5,037 JPY minimum:
/// 10,000 + 450 + 5,037 = 15,487 JPY, no decimals.
#[test]
fn a_usd_schedule_charges_a_yen_bom_in_yen() {
    let measures = json!([{"id": "mfn", "program": "PROGRAM_MFN", "htsPrefixes": ["85"],
        "rate": {"specificAmount": "1.5", "specificUnit": "UNIT_OF_MEASURE_KG"}}]);
    let fees = json!([{"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464",
        "minimumPerEntry": "33.58", "maximumPerEntry": "651.50"}]);
    let s = schedule("us", "USD", "", measures, fees);
    let case = Case {
        bom: json!({"id": "b", "currency": "JPY", "items": [
            {"id": "inverter", "unitPrice": "10000",
             "import": {"htsCode": "8504.40", "origin": "JP", "netMassKg": "2"}}]}),
        schedules: (s.clone(), s),
        fx: (fx("fx", &[("USD", "JPY", "150")]), None),
    };
    let mut inputs = case.inputs().unwrap();
    inputs.scenario_fx = inputs.baseline_fx.clone();
    let r = calculate(&inputs.scenario(), &Meter::unlimited()).unwrap();
    let b = &r.baseline;
    assert_eq!(b.totals.duties, d("450"));
    assert_eq!(b.totals.fees, d("5037"));
    assert_eq!(b.totals.total.to_string(), "15487");
    // Only the schedule is converted, and its note says with which rate.
    assert!(
        r.notes.iter().any(|n| n.contains("1 USD = 150 JPY")),
        "{:?}",
        r.notes
    );
}

/// Minor units per currency: a BHD amount keeps three decimals (1.2345 -> 1.235 half up),
/// a JPY amount none.
#[test]
fn amounts_round_at_their_currencys_minor_unit() {
    let s = schedule("s", "BHD", "", json!([]), json!([]));
    let case = |currency: &str, price: &str| Case {
        bom: json!({"id": "b", "currency": currency, "items": [
            {"id": "part", "unitPrice": price}]}),
        schedules: (s.clone(), s.clone()),
        fx: (fx("fx", &[("USD", "BHD", "0.376")]), None),
    };
    let mut inputs = case("BHD", "1.2345").inputs().unwrap();
    inputs.scenario_fx = inputs.baseline_fx.clone();
    let r = calculate(&inputs.scenario(), &Meter::unlimited()).unwrap();
    assert_eq!(r.baseline.totals.total.to_string(), "1.235");
    let mut s_jpy = case("JPY", "1234.5").inputs().unwrap();
    s_jpy.baseline_schedule.currency = super::currency::Currency::from_code("JPY").unwrap();
    s_jpy.scenario_schedule = s_jpy.baseline_schedule.clone();
    let r = calculate(&s_jpy.scenario(), &Meter::unlimited()).unwrap();
    assert_eq!(r.baseline.totals.total.to_string(), "1235");
}

fn input_error(e: Error) -> (Locator, Reason) {
    match e {
        Error::Input(e) => (e.field, e.reason),
        Error::Stopped(s) => panic!("stopped: {s}"),
    }
}

/// What cannot be valued is refused at its field: a yen price with no deck, a CIF value
/// smaller than the carriage it includes, a DDP price.
#[test]
fn what_cannot_be_valued_is_refused_at_its_field() {
    let s = schedule("us", "USD", "", mfn("2.1"), json!([]));
    let no_deck = Case {
        bom: magnet_set("15000", "15000"),
        schedules: (s.clone(), s.clone()),
        fx: (None, None),
    };
    assert_eq!(
        input_error(no_deck.run().unwrap_err()),
        (
            Locator::Line(0, Attribute::PriceCurrency),
            Reason::CurrencyMismatch
        )
    );
    let short = Case {
        bom: json!({"id": "b", "currency": "USD", "items": [
            {"id": "motor", "unitPrice": "40",
             "import": {"htsCode": "8501.32", "origin": "DE", "incoterm": "INCOTERM_CIF",
                        "freight": "50.00", "insurance": "5.00"}}]}),
        schedules: (s.clone(), s.clone()),
        fx: (None, None),
    };
    let Error::Input(e) = short.run().unwrap_err() else {
        panic!("not an input error")
    };
    assert_eq!(
        (e.field, e.reason),
        (
            Locator::Line(0, Attribute::CustomsValue),
            Reason::InvalidValue
        )
    );
    assert_eq!(
        e.message,
        "the CIF value is less than the freight and insurance it includes (50 + 5)"
    );
    let ddp = Case {
        bom: json!({"id": "b", "currency": "USD", "items": [
            {"id": "motor", "unitPrice": "40",
             "import": {"htsCode": "8501.32", "origin": "DE", "incoterm": "INCOTERM_DDP"}}]}),
        schedules: (s.clone(), s),
        fx: (None, None),
    };
    let e = ddp.inputs().err().unwrap();
    assert_eq!(e[0].field.to_string(), "items[0].import.incoterm");
    assert_eq!(e[0].reason, Reason::InvalidValue);
}

/// A schedule of ad valorem rates states no amount in its currency, so it needs no rate into
/// the BOM's; any specific rate, limit, fee limit, threshold or credit does.
#[test]
fn a_schedule_needs_conversion_only_for_its_amounts() {
    let built = |extra: Value| {
        let mut v = schedule("s", "USD", "", mfn("2.1"), json!([]));
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        let s: pb::TariffSchedule = serde_json::from_value(v).unwrap();
        convert::schedule::schedule(&s, "s").unwrap().has_amounts()
    };
    let rate = |r: Value| json!({"measures": [{"id": "m", "program": "PROGRAM_MFN", "rate": r}]});
    assert!(!built(json!({})));
    assert!(built(rate(
        json!({"specificAmount": "1", "specificUnit": "UNIT_OF_MEASURE_KG"})
    )));
    assert!(built(rate(
        json!({"adValoremPercent": "1", "minimumAmount": "1", "limitUnit": "UNIT_OF_MEASURE_KG"})
    )));
    assert!(built(rate(
        json!({"adValoremPercent": "1", "maximumAmount": "1", "limitUnit": "UNIT_OF_MEASURE_KG"})
    )));
    assert!(built(
        json!({"measures": [{"id": "m", "program": "PROGRAM_MFN",
        "rate": {"adValoremPercent": "1"},
        "preferenceRates": [{"programs": ["S"], "rate": {"specificAmount": "1",
                          "specificUnit": "UNIT_OF_MEASURE_KG"}}]}],
        "preferencePrograms": [{"code": "S", "name": "USMCA"}]})
    ));
    let fee = |f: Value| {
        let mut fee = json!({"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464"});
        for (k, x) in f.as_object().unwrap() {
            fee[k] = x.clone();
        }
        json!({"fees": [fee]})
    };
    assert!(!built(fee(json!({}))));
    assert!(built(fee(json!({"minimumPerEntry": "33.58"}))));
    assert!(built(fee(json!({"maximumPerEntry": "651.50"}))));
    assert!(built(json!({"deMinimisThreshold": "800"})));
    assert!(built(
        json!({"incentives": [{"id": "c", "creditAmount": "1",
        "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5"}]})
    ));
}

/// A BHD BOM of components under a USD schedule of ad valorem rates and an empty USD deck:
/// nothing needs converting, so no FX deck is needed. 1.2345 BHD + 2.1% = 0.0259245 ->
/// 1.235 + 0.026 = 1.261 BHD.
#[test]
fn nothing_to_convert_needs_no_deck() {
    let s = schedule("us", "USD", "", mfn("2.1"), json!([]));
    let case = Case {
        bom: json!({"id": "b", "currency": "BHD", "items": [
            {"id": "coil", "unitPrice": "1.2345",
             "import": {"htsCode": "8504.50", "origin": "CN"}}]}),
        schedules: (s.clone(), s),
        fx: (None, None),
    };
    let r = case.run().unwrap();
    assert_eq!(r.baseline.totals.duties.to_string(), "0.026");
    assert_eq!(r.baseline.totals.total.to_string(), "1.261");
    assert!(!r.notes.iter().any(|n| n.contains("FX deck")));
    // With a deck that could convert the schedule's USD, still nothing is converted or noted.
    let deck = fx("fx", &[("USD", "BHD", "0.376")]);
    let with_deck = Case {
        fx: (deck.clone(), deck),
        ..case
    };
    let r = with_deck.run().unwrap();
    assert_eq!(r.baseline.totals.total.to_string(), "1.261");
    assert!(
        !r.notes.iter().any(|n| n.contains("FX deck")),
        "{:?}",
        r.notes
    );
}

/// A price basis that includes carriage none states is noted on each price side's walk: the
/// estimate counts two notes for it, none for an FOB price, and six for the FX decks' notes.
#[test]
fn carriage_and_conversion_notes_are_counted_by_hand() {
    let s = schedule("us", "USD", "", mfn("10"), json!([]));
    let bom = |incoterm: &str| {
        json!({"id": "b", "currency": "USD", "items": [
            {"id": "motor", "unitPrice": "1000",
             "import": {"htsCode": "8501.32", "origin": "DE", "incoterm": incoterm}}]})
    };
    let case = |incoterm: &str, fx: Option<super::fx::FxDeck>| Case {
        bom: bom(incoterm),
        schedules: (s.clone(), s.clone()),
        fx: (fx, None),
    };
    let notes = |c: &Case| {
        let inputs = c.inputs().unwrap();
        let estimated = super::estimate::calculation(&inputs.scenario()).notes;
        let r = calculate(&inputs.scenario(), &Meter::unlimited()).unwrap();
        (estimated, r.baseline.notes.len() + r.scenario.notes.len())
    };
    assert_eq!(notes(&case("INCOTERM_CIF", None)), (2, 2));
    let r = case("INCOTERM_DAP", None).run().unwrap();
    assert_eq!(
        r.notes,
        [
            "motor: its price basis DAP includes carriage, but no freight or insurance is stated: \
          the FOB value is the full value"
        ]
    );
    assert_eq!(notes(&case("INCOTERM_CFR", None)), (2, 2));
    assert_eq!(notes(&case("INCOTERM_FOB", None)), (0, 0));
    let deck = fx("fx", &[("USD", "JPY", "150")]);
    assert_eq!(notes(&case("INCOTERM_FOB", deck)).0, 6);
}

/// The note names each currency's rate once however many amounts use it, and at most three
/// before counting the rest: two yen parts, a euro, a yuan, a won and a dollar (TWD) part
/// under one deck.
#[test]
fn the_conversion_note_names_each_rate_once_and_a_few_at_most() {
    let part = |id: &str, price: &str, ccy: &str| json!({"id": id, "unitPrice": price, "priceCurrency": ccy});
    let s = schedule("us", "USD", "", json!([]), json!([]));
    let deck = fx(
        "fx",
        &[
            ("USD", "JPY", "150"),
            ("EUR", "USD", "1.1"),
            ("USD", "CNY", "7.2"),
            ("USD", "KRW", "1300"),
            ("USD", "TWD", "31"),
        ],
    );
    let bom = |items: Vec<Value>| json!({"id": "b", "currency": "USD", "items": items});
    let note = |items: Vec<Value>| {
        let case = Case {
            bom: bom(items),
            schedules: (s.clone(), s.clone()),
            fx: (deck.clone(), deck.clone()),
        };
        let r = case.run().unwrap();
        let notes: Vec<String> = r
            .notes
            .into_iter()
            .filter(|n| n.contains("FX deck"))
            .collect();
        assert_eq!(notes.len(), 1, "{notes:?}");
        notes[0].clone()
    };
    let two_yen = note(vec![part("a", "150", "JPY"), part("b", "300", "JPY")]);
    assert_eq!(two_yen.matches("1 USD = 150 JPY").count(), 1, "{two_yen}");
    let three = note(vec![
        part("a", "150", "JPY"),
        part("b", "1", "EUR"),
        part("c", "7.2", "CNY"),
    ]);
    assert!(!three.contains("more"), "{three}");
    let five = note(vec![
        part("a", "150", "JPY"),
        part("b", "1", "EUR"),
        part("c", "7.2", "CNY"),
        part("d", "1300", "KRW"),
        part("e", "31", "TWD"),
    ]);
    assert!(
        five.contains("1 USD = 150 JPY; 1 EUR = 1.1 USD; 1 USD = 7.2 CNY; and 2 more;"),
        "{five}"
    );
}

/// A price input of a yen deck, the yen at 150 then 160 per USD: 1 kg at p JPY costs p/150
/// then p/160 USD, a delta of -p/2,400; over p in [12,000, 18,000] the delta runs from -5.00
/// (p low) to -7.50 (p high), and the bounds are exactly those, converged. The two sides
/// convert the price differently, so one input setting both prices is two terms.
#[test]
fn a_price_input_of_a_converted_deck_is_bounded_by_its_converted_range() {
    use super::sensitivity::{self, Side, Target, Uncertain};
    // The material inside an assembly: the deck's rate is still named in the notes.
    let bom: pb::Bom = serde_json::from_value(json!({"id": "b", "currency": "USD", "items": [
        {"id": "magnet", "children": [
            {"id": "nd", "materialId": "nd", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"}]}]}))
    .unwrap();
    let deck: pb::PriceDeck = serde_json::from_value(json!({"id": "p", "currency": "JPY",
        "prices": [{"materialId": "nd", "price": "15000", "unit": "UNIT_OF_MEASURE_KG",
                    "basis": "PRICE_BASIS_MARKET"}]}))
    .unwrap();
    let deck = convert::price_deck::price_deck(&deck, "p").unwrap();
    let s: pb::TariffSchedule =
        serde_json::from_value(json!({"id": "s", "currency": "USD"})).unwrap();
    let s = convert::schedule::schedule(&s, "s").unwrap();
    let options: pb::CalculationOptions =
        serde_json::from_value(json!({"entryDate": "2026-03-02"})).unwrap();
    let inputs = Inputs {
        bom: convert::bom::bom(&bom, "", &Limits::default()).unwrap().bom,
        baseline_prices: deck.clone(),
        scenario_prices: deck,
        baseline_schedule: s.clone(),
        scenario_schedule: s,
        baseline_fx: fx("fx0", &[("USD", "JPY", "150")]),
        scenario_fx: fx("fx1", &[("USD", "JPY", "160")]),
        options: convert::options::options(Some(&options), "options").unwrap(),
    };
    let price = Uncertain {
        name: "Nd oxide".into(),
        target: Target::Price {
            material_id: "nd".into(),
            side: Side::Both,
        },
        low: d("12000"),
        base: d("15000"),
        high: d("18000"),
    };
    let r =
        sensitivity::analyze(&inputs, std::slice::from_ref(&price), &Meter::unlimited()).unwrap();
    assert_eq!(r.base.delta, d("-6.25"));
    assert!(r.base.notes.iter().any(|n| n.contains("1 USD = 160 JPY")));
    assert_eq!((r.all_low, r.all_high), (d("-5.00"), d("-7.50")));
    assert_eq!((r.lower_bound, r.upper_bound), (d("-7.50"), d("-5.00")));
    assert!(r.converged);
    // Converted alike on both sides (one deck for both), the input sets both goods from one
    // converted price: the delta is 0 at every value, bounded at once from the two corners.
    let mut same = inputs.clone();
    same.scenario_fx = same.baseline_fx.clone();
    let r = sensitivity::analyze(&same, std::slice::from_ref(&price), &Meter::unlimited()).unwrap();
    assert_eq!(
        (r.lower_bound, r.upper_bound, r.converged),
        (d("0"), d("0"), true)
    );
    assert_eq!(r.evaluations, 2);
    // The same in the BOM's own currency, without decks.
    let mut usd = same;
    for deck in [&mut usd.baseline_prices, &mut usd.scenario_prices] {
        deck.currency = super::currency::Currency::from_code("USD").unwrap();
    }
    (usd.baseline_fx, usd.scenario_fx) = (None, None);
    let r = sensitivity::analyze(&usd, &[price], &Meter::unlimited()).unwrap();
    assert_eq!(
        (r.lower_bound, r.upper_bound, r.evaluations),
        (d("0"), d("0"), 2)
    );
}
