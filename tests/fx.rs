//! Money across borders, each rule as a specification with numbers worked out by hand and
//! checked through the real server over gRPC: amounts in other currencies converted with each
//! side's FX deck (and the FX effect of a rate move), Incoterm price bases and a schedule's FOB
//! or CIF valuation basis, landed cost, ISO 4217 minor units, the errors, and the H.10 presets.

mod common;

use common::{
    TestServer, amount, bad_request_fields, calculate, calculate_err, deck, line, request,
};
use serde_json::{Value, json};
use tariff_impact::pb;

/// An inline tariff schedule in `currency` with one MFN ad valorem measure on `prefix`.
fn schedule(currency: &str, prefix: &str, percent: &str) -> Value {
    json!({"id": format!("mfn-{percent}"), "currency": currency, "asOfDate": "2026-01-01",
           "measures": [{"id": "mfn", "program": "PROGRAM_MFN", "htsPrefixes": [prefix],
                         "rate": {"adValoremPercent": percent}}]})
}

/// An inline FX deck quoting 1 USD = `jpy` JPY.
fn usd_jpy(id: &str, jpy: &str) -> Value {
    json!({"id": id, "name": format!("1 USD = {jpy} JPY"), "asOfDate": "2026-01-02",
           "source": "test rates", "rates": [
               {"baseCurrency": "USD", "quoteCurrency": "JPY", "rate": jpy}]})
}

/// The magnet set of the README: NdFeB magnets bought in Japan for 15,000 JPY per set.
fn magnet_set() -> Value {
    json!({"id": "magnet-set", "description": "NdFeB magnet set", "unitPrice": "15000",
           "priceCurrency": "JPY",
           "import": {"htsCode": "8505.11.0070", "origin": "JP", "transportMode": "TRANSPORT_MODE_OCEAN"}})
}

fn side(s: &Option<pb::LineSide>) -> &pb::LineSide {
    s.as_ref().expect("line side present")
}

fn effects(r: &pb::CalculateImpactResponse) -> &pb::EffectSplit {
    r.effects.as_ref().unwrap()
}

/// 15,000 JPY at 1 USD = 150 JPY is 15000 / 150 = 100.00 USD; at 160, 15000 / 160 = 93.75 USD.
/// MFN 2.1% on the converted value: 2.1% x 100 = 2.10; 2.1% x 93.75 = 1.96875 -> 1.97 (half
/// up). Unit cost 102.10 -> 95.72, delta 95.72 - 102.10 = -6.38. Prices and schedule are the
/// same on both sides, so the price and tariff effects are 0.00; the FX effect (baseline prices
/// and schedule under the scenario's rates) is the scenario's 95.72 - 102.10 = -6.38, leaving
/// 0.00 of interaction.
#[tokio::test]
async fn a_yen_price_converts_with_each_sides_deck_and_the_move_is_the_fx_effect() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "magnets", "currency": "USD", "items": [magnet_set()]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule("USD", "8505", "2.1"),
            "baselineFx": usd_jpy("fx-150", "150.00"),
            "scenarioFx": usd_jpy("fx-160", "160.00"),
            "options": {"entryDate": "2026-03-02"}
        }),
    )
    .await;
    let l = line(&r, "magnet-set");
    let (b, s) = (side(&l.baseline), side(&l.scenario));
    assert_eq!(amount(&b.goods), "100.00");
    assert_eq!(amount(&s.goods), "93.75");
    assert_eq!(amount(&b.customs_value), "100.00");
    assert_eq!(amount(&s.customs_value), "93.75");
    assert_eq!(amount(&b.duties), "2.10");
    assert_eq!(amount(&s.duties), "1.97");
    assert_eq!(s.charges[0].amount.as_ref().unwrap().exact, "1.96875");
    assert_eq!(amount(&r.baseline_unit_cost), "102.10");
    assert_eq!(amount(&r.scenario_unit_cost), "95.72");
    assert_eq!(amount(&r.delta), "-6.38");
    let e = effects(&r);
    assert_eq!(amount(&e.fx_effect), "-6.38");
    assert_eq!(amount(&e.price_effect), "0.00");
    assert_eq!(amount(&e.tariff_effect), "0.00");
    assert_eq!(amount(&e.interaction), "0.00");
    // The four effects sum to the delta (also checked for every response by `calculate`).
    let sum: rust_decimal::Decimal = [
        &e.price_effect,
        &e.fx_effect,
        &e.tariff_effect,
        &e.interaction,
    ]
    .into_iter()
    .map(|m| common::dec(amount(m)))
    .sum();
    assert_eq!(sum, common::dec("-6.38"));
    let inputs = r.inputs.as_ref().unwrap();
    let (bfx, sfx) = (
        inputs.baseline_fx.as_ref().unwrap(),
        inputs.scenario_fx.as_ref().unwrap(),
    );
    assert_eq!((bfx.id.as_str(), bfx.preset), ("fx-150", false));
    assert_eq!((sfx.id.as_str(), sfx.preset), ("fx-160", false));
    assert_eq!(bfx.as_of_date, "2026-01-02");
    // One note per side states the rate, the deck, and the precision.
    let note = |label: &str, id: &str, rate: &str| {
        r.notes.iter().any(|n| {
            n.starts_with(&format!(
                "{label}: amounts converted to USD with FX deck \"{id}\""
            )) && n.contains(rate)
                && n.contains("16 decimals")
        })
    };
    assert!(
        note("baseline", "fx-150", "1 USD = 150 JPY"),
        "{:?}",
        r.notes
    );
    assert!(
        note("scenario", "fx-160", "1 USD = 160 JPY"),
        "{:?}",
        r.notes
    );
}

/// The scenario's deck defaults to the baseline's: no move, no FX effect, one note for both.
#[tokio::test]
async fn the_scenario_uses_the_baseline_deck_when_it_names_none() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "magnets", "currency": "USD", "items": [magnet_set()]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule("USD", "8505", "2.1"),
            "baselineFx": usd_jpy("fx-150", "150"),
            "options": {"entryDate": "2026-03-02"}
        }),
    )
    .await;
    // 100.00 + 2.10 on both sides.
    assert_eq!(amount(&r.scenario_unit_cost), "102.10");
    assert_eq!(amount(&r.delta), "0.00");
    assert_eq!(amount(&effects(&r).fx_effect), "0.00");
    let inputs = r.inputs.as_ref().unwrap();
    assert_eq!(inputs.scenario_fx.as_ref().unwrap().id, "fx-150");
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("baseline and scenario: amounts converted to USD")),
        "{:?}",
        r.notes
    );
}

/// One schedule charging 10% ad valorem on 8505, valued as `basis` (None: unset).
fn ten_percent(id: &str, basis: Option<&str>) -> Value {
    let mut s = schedule("USD", "8505", "10");
    s["id"] = json!(id);
    if let Some(b) = basis {
        s["valuationBasis"] = json!(b);
    }
    s
}

/// Three imports of 8505 magnets, each 1 piece:
/// - `fob-priced`: 1,000.00 USD FOB, freight 50.00 and insurance 5.00 on top;
/// - `cif-priced`: 1,055.00 USD CIF (customs value 1,055.00), which includes the same 50.00
///   freight and 5.00 insurance;
/// - `brokered`: 200.00 USD FOB with 25.00 brokerage and no freight.
fn three_imports() -> Value {
    let cn = |extra: Value| {
        let mut i = json!({"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"});
        for (k, v) in extra.as_object().unwrap() {
            i[k] = v.clone();
        }
        i
    };
    json!({"id": "incoterms", "currency": "USD", "items": [
        {"id": "fob-priced", "unitPrice": "1000.00",
         "import": cn(json!({"incoterm": "INCOTERM_FOB", "freight": "50.00", "insurance": "5.00"}))},
        {"id": "cif-priced", "unitPrice": "1055.00",
         "import": cn(json!({"incoterm": "INCOTERM_CIF", "customsValue": "1055.00", "freight": "50.00", "insurance": "5.00"}))},
        {"id": "brokered", "unitPrice": "200.00",
         "import": cn(json!({"brokerage": "25.00"}))}
    ]})
}

/// Baseline schedule values CIF, scenario schedule FOB, same 10% rate:
/// - `fob-priced`: CIF duty 10% x (1,000.00 + 50.00 + 5.00) = 10% x 1,055.00 = 105.50, landed
///   1,000.00 + 50.00 + 5.00 + 105.50 = 1,160.50; FOB duty 10% x 1,000.00 = 100.00, landed
///   1,000.00 + 55.00 + 100.00 = 1,155.00. Freight and insurance are in landed cost on both
///   sides: the price does not include them.
/// - `cif-priced`: its FOB value is 1,055.00 - 50.00 - 5.00 = 1,000.00, so the same duties
///   (105.50 CIF, 100.00 FOB); landed 1,055.00 + 105.50 = 1,160.50 and 1,055.00 + 100.00 =
///   1,155.00, with no freight or insurance added: the price includes them.
/// - `brokered`: duty 10% x 200.00 = 20.00 under both (no freight or insurance; brokerage is
///   never in the duty base); landed 200.00 + 25.00 + 20.00 = 245.00.
///
/// Totals 1,160.50 + 1,160.50 + 245.00 = 2,566.00 and 1,155.00 + 1,155.00 + 245.00 =
/// 2,555.00: delta -11.00, all tariff effect (the schedule is the only change).
#[tokio::test]
async fn cif_and_fob_valuation_and_what_landed_cost_adds() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": three_imports(),
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": ten_percent("cif-10", Some("VALUATION_BASIS_CIF")),
            "scenarioSchedule": ten_percent("fob-10", Some("VALUATION_BASIS_FOB")),
            "options": {"entryDate": "2026-03-02"}
        }),
    )
    .await;
    let fob = line(&r, "fob-priced");
    let (cif_side, fob_side) = (side(&fob.baseline), side(&fob.scenario));
    assert_eq!(amount(&cif_side.customs_value), "1055.00");
    assert_eq!(amount(&cif_side.duties), "105.50");
    assert_eq!(amount(&cif_side.freight), "50.00");
    assert_eq!(amount(&cif_side.insurance), "5.00");
    assert_eq!(amount(&cif_side.total), "1160.50");
    assert_eq!(amount(&fob_side.customs_value), "1000.00");
    assert_eq!(amount(&fob_side.duties), "100.00");
    assert_eq!(amount(&fob_side.freight), "50.00");
    assert_eq!(amount(&fob_side.insurance), "5.00");
    assert_eq!(amount(&fob_side.total), "1155.00");

    let cif = line(&r, "cif-priced");
    let (cif_side, fob_side) = (side(&cif.baseline), side(&cif.scenario));
    assert_eq!(amount(&cif_side.goods), "1055.00");
    assert_eq!(amount(&cif_side.customs_value), "1055.00");
    assert_eq!(amount(&cif_side.duties), "105.50");
    assert_eq!(amount(&cif_side.total), "1160.50");
    assert_eq!(amount(&fob_side.customs_value), "1000.00");
    assert_eq!(amount(&fob_side.duties), "100.00");
    assert_eq!(amount(&fob_side.total), "1155.00");
    for s in [cif_side, fob_side] {
        for m in [&s.freight, &s.insurance, &s.brokerage] {
            assert!(
                m.as_ref().is_none_or(|m| m.amount == "0.00"),
                "a CIF price adds no freight or insurance: {s:?}"
            );
        }
    }

    let brokered = line(&r, "brokered");
    for s in [side(&brokered.baseline), side(&brokered.scenario)] {
        assert_eq!(amount(&s.customs_value), "200.00");
        assert_eq!(amount(&s.duties), "20.00");
        assert_eq!(amount(&s.brokerage), "25.00");
        assert_eq!(amount(&s.total), "245.00");
    }

    let (bt, st) = (
        r.baseline_totals.as_ref().unwrap(),
        r.scenario_totals.as_ref().unwrap(),
    );
    // Components 1,000 + 1,055 + 200 = 2,255.00 on both sides; freight and insurance of the
    // FOB-priced line only; brokerage 25.00.
    for t in [bt, st] {
        assert_eq!(amount(&t.components), "2255.00");
        assert_eq!(amount(&t.freight), "50.00");
        assert_eq!(amount(&t.insurance), "5.00");
        assert_eq!(amount(&t.brokerage), "25.00");
    }
    // Duties 105.50 + 105.50 + 20.00 = 231.00 and 100.00 + 100.00 + 20.00 = 220.00.
    assert_eq!(amount(&bt.duties), "231.00");
    assert_eq!(amount(&st.duties), "220.00");
    assert_eq!(amount(&r.baseline_unit_cost), "2566.00");
    assert_eq!(amount(&r.scenario_unit_cost), "2555.00");
    assert_eq!(amount(&r.delta), "-11.00");
    assert_eq!(amount(&effects(&r).tariff_effect), "-11.00");
    assert_eq!(amount(&effects(&r).fx_effect), "0.00");
}

/// A schedule that states no valuation basis values FOB: the same 100.00 duty on 1,000.00 as
/// `VALUATION_BASIS_FOB`, and the same 2,555.00 unit cost.
#[tokio::test]
async fn an_unset_valuation_basis_is_fob() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": three_imports(),
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": ten_percent("unset-10", None),
            "options": {"entryDate": "2026-03-02"}
        }),
    )
    .await;
    let fob = side(&line(&r, "fob-priced").baseline).clone();
    assert_eq!(amount(&fob.customs_value), "1000.00");
    assert_eq!(amount(&fob.duties), "100.00");
    assert_eq!(amount(&fob.total), "1155.00");
    assert_eq!(amount(&r.baseline_unit_cost), "2555.00");
}

/// A JPY-reporting BOM shows whole yen:
/// - `magnet-set` 15,000 JPY imported, 2.1% MFN in a JPY schedule: 2.1% x 15,000 = 315;
/// - `sensor` 93.75 USD converted at 1 USD = 160 JPY: 93.75 x 160 = 15,000;
/// - `bracket` 1,234.5 JPY: 1,235 (half up).
///
/// Unit cost 15,000 + 315 + 15,000 + 1,235 = 31,550.
#[tokio::test]
async fn a_yen_bom_shows_no_decimals() {
    let server = TestServer::start().await;
    let mut magnets = magnet_set();
    magnets["import"]["origin"] = json!("CN");
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "yen", "currency": "JPY", "items": [
                magnets,
                {"id": "sensor", "unitPrice": "93.75", "priceCurrency": "USD"},
                {"id": "bracket", "unitPrice": "1234.5"}]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule("JPY", "8505", "2.1"),
            "baselineFx": usd_jpy("fx-160", "160"),
            "options": {"entryDate": "2026-03-02"}
        }),
    )
    .await;
    let m = side(&line(&r, "magnet-set").baseline);
    assert_eq!(amount(&m.goods), "15000");
    assert_eq!(amount(&m.duties), "315");
    assert_eq!(amount(&m.total), "15315");
    assert_eq!(m.goods.as_ref().unwrap().currency, "JPY");
    assert_eq!(amount(&side(&line(&r, "sensor").baseline).goods), "15000");
    assert_eq!(amount(&side(&line(&r, "bracket").baseline).goods), "1235");
    assert_eq!(r.currency, "JPY");
    assert_eq!(amount(&r.baseline_unit_cost), "31550");
    assert_eq!(amount(&r.delta), "0");
    assert_eq!(amount(&effects(&r).fx_effect), "0");
}

/// A BHD-reporting BOM shows three decimals: a component of 1.2345 BHD is 1.235 (half up);
/// 10% duty on the exact 1.2345 is 0.12345 -> 0.123 (the duty is its own atom, rounded once);
/// a second line 2 x 0.5005 = 1.001. Unit cost 1.235 + 0.123 + 1.001 = 2.359: lines add up.
#[tokio::test]
async fn a_dinar_bom_shows_three_decimals() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "dinar", "currency": "BHD", "items": [
                {"id": "valve", "unitPrice": "1.2345",
                 "import": {"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}},
                {"id": "seal", "quantity": "2", "unitPrice": "0.5005"}]},
            // A deck's currency must convert even when it prices nothing here.
            "baselinePrices": {"id": "p", "currency": "BHD", "asOfDate": "2026-01-01", "prices": []},
            "baselineSchedule": schedule("BHD", "8505", "10"),
            "options": {"entryDate": "2026-03-02"}
        }),
    )
    .await;
    let v = side(&line(&r, "valve").baseline);
    assert_eq!(amount(&v.goods), "1.235");
    assert_eq!(amount(&v.duties), "0.123");
    assert_eq!(amount(&v.total), "1.358");
    assert_eq!(amount(&side(&line(&r, "seal").baseline).goods), "1.001");
    assert_eq!(amount(&r.baseline_unit_cost), "2.359");
    assert_eq!(amount(&r.delta), "0.000");
}

/// A request on the magnet set with `change` applied to it.
fn magnet_request(change: impl FnOnce(&mut Value)) -> pb::CalculateImpactRequest {
    let mut v = json!({
        "bom": {"id": "magnets", "currency": "USD", "items": [magnet_set()]},
        "baselinePrices": deck("p", &[]),
        "baselineSchedule": schedule("USD", "8505", "2.1"),
        "baselineFx": usd_jpy("fx-150", "150"),
        "options": {"entryDate": "2026-03-02"}
    });
    change(&mut v);
    request(v)
}

/// Its single field violation, after checking the status is INVALID_ARGUMENT.
async fn violation(server: &TestServer, req: pb::CalculateImpactRequest) -> (String, String) {
    let status = calculate_err(server, req).await;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    let fields = bad_request_fields(&status);
    assert_eq!(fields.len(), 1, "{fields:?}");
    (fields[0].clone(), status.message().to_string())
}

/// What cannot be converted or valued is refused at the field that causes it, never costed
/// one-to-one or with a negative value.
#[tokio::test]
async fn unconvertible_amounts_and_bad_declarations_are_named() {
    let server = TestServer::start().await;
    // A JPY price and no FX deck.
    let (field, message) = violation(
        &server,
        magnet_request(|v| {
            v.as_object_mut().unwrap().remove("baselineFx");
        }),
    )
    .await;
    assert_eq!(field, "bom.items[0].price_currency");
    assert!(message.contains("none was given"), "{message}");
    // A deck that has no JPY rate (EUR/USD only), directly or through one currency.
    let (field, message) = violation(
        &server,
        magnet_request(|v| {
            v["baselineFx"]["rates"] =
                json!([{"baseCurrency": "EUR", "quoteCurrency": "USD", "rate": "1.0787"}]);
        }),
    )
    .await;
    assert_eq!(field, "bom.items[0].price_currency");
    assert!(
        message.contains("no rate converting JPY to USD"),
        "{message}"
    );
    // DDP: the price would include the duty the calculation adds.
    let (field, _) = violation(
        &server,
        magnet_request(|v| v["bom"]["items"][0]["import"]["incoterm"] = json!("INCOTERM_DDP")),
    )
    .await;
    assert_eq!(field, "bom.items[0].import.incoterm");
    // A CIF value of 50.00 USD that includes 50.00 freight and 5.00 insurance: its FOB value
    // would be 50.00 - 55.00 = -5.00.
    let (field, _) = violation(
        &server,
        magnet_request(|v| {
            v["bom"]["items"][0]["import"]["incoterm"] = json!("INCOTERM_CIF");
            v["bom"]["items"][0]["import"]["currency"] = json!("USD");
            v["bom"]["items"][0]["import"]["customsValue"] = json!("50.00");
            v["bom"]["items"][0]["import"]["freight"] = json!("50.00");
            v["bom"]["items"][0]["import"]["insurance"] = json!("5.00");
        }),
    )
    .await;
    assert_eq!(field, "bom.items[0].import.customs_value");
    // A rate of zero in an inline deck.
    let (field, _) = violation(
        &server,
        magnet_request(|v| v["baselineFx"]["rates"][0]["rate"] = json!("0")),
    )
    .await;
    assert_eq!(field, "baseline_fx.rates[0].rate");
    // A deck id the catalog does not hold.
    let status = calculate_err(
        &server,
        magnet_request(|v| {
            v.as_object_mut().unwrap().remove("baselineFx");
            v["baselineFxId"] = json!("fx-h10-1999-01-01");
        }),
    )
    .await;
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
    assert!(status.message().contains("fx-h10-1999-01-01"), "{status:?}");
}

/// The presets: both H.10 decks are listed and each is served whole.
#[tokio::test]
async fn the_h10_presets_are_listed_and_served() {
    let server = TestServer::start().await;
    let mut catalog = server.catalog().await;
    let list = catalog
        .list_fx_decks(pb::ListFxDecksRequest {})
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = list.fx_decks.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["fx-h10-2024-01-12", "fx-h10-2024-02-02"]);
    let deck = catalog
        .get_fx_deck(pb::GetFxDeckRequest {
            id: "fx-h10-2024-02-02".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .fx_deck
        .unwrap();
    assert_eq!(deck.as_of_date, "2024-02-02");
    let jpy = deck
        .rates
        .iter()
        .find(|r| r.quote_currency == "JPY")
        .unwrap();
    assert_eq!(
        (jpy.base_currency.as_str(), jpy.rate.as_str()),
        ("USD", "148.5400")
    );
    let missing = catalog
        .get_fx_deck(pb::GetFxDeckRequest {
            id: "fx-none".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
}

/// A drive unit of 1,000,000 JPY under the two H.10 presets (1 USD = 144.86 JPY on 2024-01-12,
/// 148.54 on 2024-02-02), kept to 16 decimals and rounded once:
/// - 1,000,000 / 144.86 = 6,903.2168990749689355... -> goods 6,903.22; duty 2.1% of the exact
///   value = 144.9675548805743476... -> 144.97; unit cost 7,048.19;
/// - 1,000,000 / 148.54 = 6,732.1933485929715901... -> goods 6,732.19; duty 2.1% =
///   141.3760603204524034... -> 141.38; unit cost 6,873.57.
///
/// Delta 6,873.57 - 7,048.19 = -174.62, all of it FX effect.
fn drive_unit_request() -> Value {
    json!({
        "bom": {"id": "drive", "currency": "USD", "items": [
            {"id": "drive-unit", "unitPrice": "1000000", "priceCurrency": "JPY",
             "import": {"htsCode": "8501.32", "origin": "JP", "transportMode": "TRANSPORT_MODE_OCEAN"}}]},
        "baselinePrices": deck("p", &[]),
        "baselineSchedule": schedule("USD", "8501", "2.1"),
        "baselineFxId": "fx-h10-2024-01-12",
        "scenarioFxId": "fx-h10-2024-02-02",
        "options": {"entryDate": "2026-03-02"}
    })
}

#[tokio::test]
async fn the_h10_presets_convert_a_yen_price_at_sixteen_decimals_rounded_once() {
    let server = TestServer::start().await;
    let r = calculate(&server, drive_unit_request()).await;
    let l = line(&r, "drive-unit");
    let (b, s) = (side(&l.baseline), side(&l.scenario));
    assert_eq!(amount(&b.goods), "6903.22");
    assert_eq!(amount(&s.goods), "6732.19");
    assert_eq!(amount(&b.duties), "144.97");
    assert_eq!(amount(&s.duties), "141.38");
    assert_eq!(amount(&r.baseline_unit_cost), "7048.19");
    assert_eq!(amount(&r.scenario_unit_cost), "6873.57");
    assert_eq!(amount(&r.delta), "-174.62");
    assert_eq!(amount(&effects(&r).fx_effect), "-174.62");
    assert_eq!(amount(&effects(&r).interaction), "0.00");
    let inputs = r.inputs.as_ref().unwrap();
    let b = inputs.baseline_fx.as_ref().unwrap();
    assert_eq!((b.id.as_str(), b.preset), ("fx-h10-2024-01-12", true));
    assert_eq!(b.as_of_date, "2024-01-12");
    assert_eq!(inputs.scenario_fx.as_ref().unwrap().id, "fx-h10-2024-02-02");
    assert!(
        r.notes.iter().any(|n| n.contains("1 USD = 144.86 JPY")),
        "{:?}",
        r.notes
    );
}

/// A compared scenario whose `fx_id` differs from the baseline's has the FX effect that
/// CalculateImpact gives for the same two decks (-174.62 above); a scenario without one keeps
/// the baseline's rates and has none.
#[tokio::test]
async fn a_compared_scenario_with_its_own_rates_has_the_same_fx_effect() {
    let server = TestServer::start().await;
    let single = calculate(&server, drive_unit_request()).await;
    let base = drive_unit_request();
    let compare: pb::CompareScenariosRequest = serde_json::from_value(json!({
        "bom": base["bom"],
        "baselinePrices": base["baselinePrices"],
        "baselineSchedule": base["baselineSchedule"],
        "baselineFxId": "fx-h10-2024-01-12",
        "options": base["options"],
        "scenarios": [
            {"name": "yen-weakens", "fxId": "fx-h10-2024-02-02"},
            {"name": "same-rates"}
        ]
    }))
    .unwrap();
    let out = server
        .costs()
        .await
        .compare_scenarios(compare)
        .await
        .unwrap()
        .into_inner();
    let result = |name: &str| {
        out.scenarios
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.result.as_ref())
            .unwrap_or_else(|| panic!("no scenario {name}"))
    };
    let moved = result("yen-weakens");
    common::assert_adds_up(moved);
    assert_eq!(
        effects(moved).fx_effect,
        effects(&single).fx_effect,
        "the same FX effect as CalculateImpact"
    );
    assert_eq!(amount(&effects(moved).fx_effect), "-174.62");
    assert_eq!(amount(&moved.delta), "-174.62");
    let same = result("same-rates");
    assert_eq!(amount(&effects(same).fx_effect), "0.00");
    assert_eq!(amount(&same.delta), "0.00");
}

/// The `ev-jp-import` preset under the compiled HTS schedule, the two H.10 decks and 40 units
/// per entry (the README's example). Baseline atoms by hand:
/// - goods: rare earth 1.8 x 87 = 156.60 and 0.2 x 152 = 30.40; yen parts 6,750 / 144.86 =
///   46.5967... -> 46.60, 57,000 / 144.86 = 393.4833... -> 393.48, 105,000 / 144.86 =
///   724.8377... -> 724.84; auxiliary magnets 324.00 CNY / 7.1665 = 45.2104... -> 45.21; US parts
///   9,000.00 + 29,000.00: 39,397.13;
/// - freight 75.00, insurance 2.89, brokerage 4.00 (USD, FOB price: all in landed cost): 81.89;
/// - drive unit, FOB value 187 + 168,750 / 144.86 = 1,351.9178517189010078: MFN 2.8% = 37.8537
///   -> 37.85; Section 232 50% of the estimated 8.63% metal content (116.6705...) = 58.3352...
///   -> 58.34; Section 122 10% of the rest (1,235.2473...) -> 123.52; MPF 0.3464% = 4.6830 per
///   unit (187.32 per entry of 40, within its limits) -> 4.68; HMF 0.125% = 1.6899 -> 1.69;
/// - auxiliary magnets, CIF less freight and insurance: (324.00 - 6.48 - 0.36) / 7.1665 =
///   44.2559...: MFN 2.1% -> 0.93; Section 301 25% = 11.0640 -> 11.06; MPF 0.1533 per unit is
///   6.13 per entry of 40, raised to 33.58 / 40 = 0.8395 -> 0.84; HMF 0.0553 -> 0.06.
///
/// Total 39,397.13 + 81.89 + 219.71 + 6.37 + 11.99 + 0.90 = 39,717.99. The scenario, the same
/// at 148.54 and 7.192: goods 45.44 + 383.74 + 706.88 and 45.05; drive-unit duties 37.05 +
/// 57.09 + 120.89, fees 4.58 + 1.65; magnets 0.93 + 11.02 and 0.84 + 0.06: 39,684.11. Delta
/// -33.88, all FX effect (prices and schedule are the baseline's).
#[tokio::test]
async fn the_ev_jp_import_preset_costs_with_the_h10_decks() {
    let server = TestServer::start().await;
    let r = calculate(
        &server,
        json!({
            "bomId": "ev-jp-import",
            "baselinePricesId": "ree-pre-restriction",
            "baselineScheduleId": "us-hts-2026",
            "baselineFxId": "fx-h10-2024-01-12",
            "scenarioFxId": "fx-h10-2024-02-02",
            "options": {"entryDate": "2026-03-02", "unitsPerEntry": "40",
                        "estimateMetalContent": true, "acknowledgedGaps": ["ad-cvd"]}
        }),
    )
    .await;
    let goods = |path: &str, scenario: bool| {
        let l = line(&r, path);
        amount(&side(if scenario { &l.scenario } else { &l.baseline }).goods).to_string()
    };
    for (path, base, scen) in [
        (
            "drive-unit/rotor-magnets/magnet-conversion",
            "46.60",
            "45.44",
        ),
        ("drive-unit/stator-housing-shaft", "393.48", "383.74"),
        ("drive-unit/power-electronics", "724.84", "706.88"),
        ("auxiliary-magnets", "45.21", "45.05"),
    ] {
        assert_eq!(
            (goods(path, false), goods(path, true)),
            (base.into(), scen.into()),
            "{path}"
        );
    }
    let drive = side(&line(&r, "drive-unit").baseline);
    // A customs value is shown exact, as the engine keeps it (16 decimals after a conversion).
    assert_eq!(amount(&drive.customs_value), "1351.9178517189010078");
    let charges: Vec<(&str, &str)> = drive
        .charges
        .iter()
        .map(|c| (c.measure_id.as_str(), amount(&c.amount)))
        .collect();
    assert_eq!(
        charges,
        [
            ("mfn-8501.53.80.40", "37.85"),
            ("9903.81.91@2025-08-18", "58.34"),
            ("9903.03.01", "123.52"),
            ("us-mpf-fy2026", "4.68"),
            ("us-hmf", "1.69")
        ]
    );
    let magnets = side(&line(&r, "auxiliary-magnets").baseline);
    // 317.16 / 7.1665, kept to 16 decimals.
    assert_eq!(amount(&magnets.customs_value), "44.2559129282076327");
    assert!(
        magnets.freight.is_none() && magnets.insurance.is_none(),
        "CIF price: {magnets:?}"
    );
    let t = r.baseline_totals.as_ref().unwrap();
    assert_eq!(
        (
            amount(&t.freight),
            amount(&t.insurance),
            amount(&t.brokerage)
        ),
        ("75.00", "2.89", "4.00")
    );
    assert_eq!(amount(&r.baseline_unit_cost), "39717.99");
    assert_eq!(amount(&r.scenario_unit_cost), "39684.11");
    assert_eq!(amount(&r.delta), "-33.88");
    assert_eq!(amount(&effects(&r).fx_effect), "-33.88");
}

/// The preset costs under every built-in schedule and both price decks with the FX presets;
/// where a schedule has no MFN rate for the drive unit's HTS line (us-2025, us-2026) it is a
/// coverage gap, not a silent zero.
#[tokio::test]
async fn the_ev_jp_import_preset_costs_under_every_builtin_schedule() {
    let server = TestServer::start().await;
    for schedule in ["us-2025", "us-2026", "us-hts-2026"] {
        let r = calculate(
            &server,
            json!({
                "bomId": "ev-jp-import",
                "baselinePricesId": "ree-pre-restriction",
                "scenarioPricesId": "ree-post-restriction",
                "baselineScheduleId": schedule,
                "baselineFxId": "fx-h10-2024-01-12",
                "scenarioFxId": "fx-h10-2024-02-02",
                "options": {"entryDate": "2026-03-02"}
            }),
        )
        .await;
        // The rare earth's price shock is the same whatever the schedule: 1.8 x (225 - 87) +
        // 0.2 x (485 - 152) = 315.00 more goods.
        let rare_earth: rust_decimal::Decimal = ["nd-oxide", "dy-oxide"]
            .iter()
            .map(|m| {
                let l = line(&r, &format!("drive-unit/rotor-magnets/{m}"));
                common::dec(amount(&l.delta))
            })
            .sum();
        assert_eq!(rare_earth, common::dec("315.00"), "{schedule}");
        let mfn_gap = r
            .coverage_gaps
            .iter()
            .any(|g| g.path == "drive-unit" && g.missing == pb::CoverageMissing::MfnRate as i32);
        assert_eq!(mfn_gap, schedule != "us-hts-2026", "{schedule}");
    }
}

/// The magnet set's request for a sensitivity analysis: one deck (1 USD = 150 JPY) for both
/// sides, MFN 2.1%, and `inputs`.
fn yen_sensitivity(inputs: Value) -> pb::AnalyzeSensitivityRequest {
    serde_json::from_value(json!({
        "calculation": {
            "bom": {"id": "magnets", "currency": "USD", "items": [magnet_set()]},
            "baselinePrices": deck("p", &[]),
            "baselineSchedule": schedule("USD", "8505", "2.1"),
            "baselineFx": usd_jpy("fx-150", "150.00"),
            "options": {"entryDate": "2026-03-02"}},
        "inputs": inputs}))
    .unwrap()
}

/// The scenario's yen rate as an uncertain input, 140 to 160 per USD: the baseline stays
/// 100.00 + 2.10 = 102.10; at 140 the scenario is 15,000 / 140 = 107.1428571... + 2.1% =
/// 2.25, delta 7.29; at 160, 93.75 + 1.96875, delta -6.38125 = -6.38. The scenario's cost falls
/// as the rate rises, so the bounds are the two ends, reached at once, converged. A freight of
/// 0 to 40 USD on the set (FOB, so on top of the price on both sides and charged on by
/// neither side's FOB schedule) cancels in the delta.
#[tokio::test]
async fn an_exchange_rate_and_a_freight_are_uncertain_inputs() {
    let server = TestServer::start().await;
    let req = yen_sensitivity(json!([
        {"name": "USD/JPY", "fxRate": {"baseCurrency": "USD", "quoteCurrency": "JPY",
         "side": "SIDE_SCENARIO"}, "low": "140", "base": "150", "high": "160"},
        {"name": "freight", "freight": {"itemPaths": ["magnet-set"]},
         "low": "0", "base": "20", "high": "40"}]));
    let r = server
        .costs()
        .await
        .analyze_sensitivity(req)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(amount(&r.base.as_ref().unwrap().delta), "0.00");
    assert_eq!(
        (amount(&r.delta_lower_bound), amount(&r.delta_upper_bound)),
        ("-6.38", "7.29")
    );
    assert!(r.converged, "{}", r.method);
    assert!(
        r.method.contains("an exchange rate or a freight"),
        "{}",
        r.method
    );
    let bars: Vec<(&str, &str)> = r
        .tornado
        .iter()
        .map(|b| (b.name.as_str(), amount(&b.swing)))
        .collect();
    assert_eq!(bars, [("USD/JPY", "13.67"), ("freight", "0.00")]);
}

/// An exchange rate that pulls a side both ways (the set priced CIF in yen with its freight
/// in yen and no declared value: the rate lowers the goods and raises the FOB value through
/// the freight) is refused at the input; a pair the deck quotes the other way round, a zero
/// rate and a freight on an item without a declaration are refused at their fields.
#[tokio::test]
async fn uncertain_rates_and_freights_that_cannot_be_bounded_are_named() {
    let server = TestServer::start().await;
    let rate = |base: &str, quote: &str, low: &str| {
        json!({"name": "rate", "fxRate": {"baseCurrency": base, "quoteCurrency": quote},
               "low": low, "base": "150", "high": "160"})
    };
    let mut req = yen_sensitivity(json!([rate("USD", "JPY", "140")]));
    let bom = &mut req.calculation.as_mut().unwrap();
    let Some(pb::calculate_impact_request::BomSource::Bom(bom)) = bom.bom_source.as_mut() else {
        panic!("inline BOM");
    };
    let import = bom.items[0].import.as_mut().unwrap();
    (import.currency, import.incoterm, import.freight) =
        ("JPY".into(), pb::Incoterm::Cif as i32, "750".into());
    let status = server
        .costs()
        .await
        .analyze_sensitivity(req)
        .await
        .unwrap_err();
    assert_eq!(bad_request_fields(&status), ["inputs[0]"]);
    assert!(
        status.message().contains("both ways"),
        "{}",
        status.message()
    );
    for (inputs, field) in [
        (json!([rate("JPY", "USD", "140")]), "inputs[0].fx_rate"),
        (json!([rate("USD", "JPY", "0")]), "inputs[0].low"),
        (
            json!([rate("USD", "USD", "140")]),
            "inputs[0].fx_rate.quote_currency",
        ),
        (
            json!([{"name": "f", "freight": {"itemPaths": ["nowhere"]},
                    "low": "0", "base": "1", "high": "2"}]),
            "inputs[0].freight.item_paths[0]",
        ),
    ] {
        let status = server
            .costs()
            .await
            .analyze_sensitivity(yen_sensitivity(inputs))
            .await
            .unwrap_err();
        assert_eq!(bad_request_fields(&status), [field], "{}", status.message());
    }
}
