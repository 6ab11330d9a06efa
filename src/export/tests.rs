//! The export of real calculations (the engine through the same API functions the server and
//! `calc` use), with numbers worked by hand: the rows add up to the response's totals, the CSV
//! escapes formula-like text but not negative numbers, and the workbook reads back.

use super::*;
use crate::api::{Context, calculate, compare};
use crate::convert::Limits;
use crate::engine::Meter;
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

fn context() -> Context {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    Context {
        catalog: CATALOG
            .get_or_init(|| Arc::new(Catalog::builtin().unwrap()))
            .clone(),
        limits: Limits::default(),
        live: None,
    }
}

/// The rows of the CalculateImpact request `req`, with its BOM's declarations.
fn impact_rows(req: Value) -> (pb::CalculateImpactResponse, Vec<Row>) {
    let ctx = context();
    let req: pb::CalculateImpactRequest = serde_json::from_value(req).unwrap();
    let r = calculate::calculate(&ctx, &req, &Meter::unlimited()).unwrap();
    let rows = rows::impact(&r, impact_bom(&ctx.catalog, &req));
    (r, rows)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn of<'a>(rows: &'a [Row], table: Table, scenario: &str) -> Vec<&'a Row> {
    rows.iter()
        .filter(|r| r.table == table && r.get(Column::ScenarioName) == scenario)
        .collect()
}

fn sum<'a>(rows: impl IntoIterator<Item = &'a Row>, column: Column) -> Decimal {
    rows.into_iter().map(|r| dec(r.get(column))).sum()
}

fn total<'a>(rows: &'a [Row], scenario: &str, name: &str) -> &'a Row {
    of(rows, Table::Total, scenario)
        .into_iter()
        .find(|r| r.get(Column::Name) == name)
        .unwrap_or_else(|| panic!("no total {name}"))
}

/// Every identity the module documents, on each of baseline, scenario and delta, for one
/// scenario's rows.
fn assert_adds_up(rows: &[Row], scenario: &str) {
    let charges = of(rows, Table::Charge, scenario);
    let is = |col: Column, v: &'static str| move |r: &&&Row| r.get(col) == v;
    for col in [Column::Baseline, Column::Scenario, Column::Delta] {
        let t = |name| dec(total(rows, scenario, name).get(col));
        let credits = t("credits");
        let lines = of(rows, Table::Line, scenario);
        assert_eq!(
            sum(lines.iter().copied(), col) + credits,
            t("unit_cost"),
            "lines {col:?}"
        );
        assert_eq!(
            sum(charges.iter().copied(), col) + credits,
            t("unit_cost"),
            "charges {col:?}"
        );
        let part = |col2, v| sum(charges.iter().filter(is(col2, v)).copied(), col);
        for (charge_type, subtotal) in [
            ("duty", "duties"),
            ("fee", "fees"),
            ("freight", "freight"),
            ("insurance", "insurance"),
            ("brokerage", "brokerage"),
        ] {
            assert_eq!(
                part(Column::ChargeType, charge_type),
                t(subtotal),
                "{charge_type} {col:?}"
            );
        }
        let goods = |kind| {
            sum(
                charges
                    .iter()
                    .filter(is(Column::ChargeType, "goods"))
                    .filter(is(Column::Kind, kind))
                    .copied(),
                col,
            )
        };
        assert_eq!(goods("material"), t("materials"), "{col:?}");
        assert_eq!(goods("component"), t("components"), "{col:?}");
        let measures = of(rows, Table::Measure, scenario);
        assert_eq!(sum(measures, col), t("duties") + t("fees"), "{col:?}");
        assert_eq!(
            sum(of(rows, Table::Material, scenario), col),
            t("materials")
        );
        for line in &lines {
            let own = charges
                .iter()
                .filter(|c| c.get(Column::Path) == line.get(Column::Path));
            assert_eq!(sum(own.copied(), col), dec(line.get(col)), "{line:?}");
        }
    }
    let effects: Decimal = ["price_effect", "fx_effect", "tariff_effect", "interaction"]
        .into_iter()
        .map(|name| dec(total(rows, scenario, name).get(Column::Delta)))
        .sum();
    assert_eq!(
        effects,
        dec(total(rows, scenario, "unit_cost").get(Column::Delta)),
        "the effects make the delta"
    );
}

/// The README's preset example, worked by hand in tests/calculation_rules.rs: EV high-REE,
/// prices pre -> post restriction, us-2025 -> us-2026, 500 vehicles per entry.
fn preset_request() -> Value {
    json!({
        "bomId": "ev-high-ree",
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "annualVolume": "100000"}
    })
}

fn charge<'a>(rows: &'a [Row], path: &str, measure: &str) -> &'a Row {
    rows.iter()
        .find(|r| {
            r.table == Table::Charge
                && r.get(Column::Path) == path
                && r.get(Column::MeasureId) == measure
        })
        .unwrap_or_else(|| panic!("no charge {measure} on {path}"))
}

fn amounts(r: &Row) -> [&str; 6] {
    [
        r.get(Column::Baseline),
        r.get(Column::Scenario),
        r.get(Column::Delta),
        r.get(Column::BaselineExact),
        r.get(Column::ScenarioExact),
        r.get(Column::DeltaExact),
    ]
}

/// Lines 187 + 38,545 goods, duties 97.95 -> 247.22, fees 1.66 -> 2.55: 38,831.61 ->
/// 39,296.77, delta 465.16; the charge rows' deltas (goods 315.00, duties 149.27, fees 0.89)
/// make it. The magnets line (no goods of its own): 4.87 + 23.20 + 23.20 + 0.80 + 0.29 =
/// 52.36 -> 11.49 + 136.75 + 54.70 + 1.30 + 0.68 = 204.92, +152.56; the brackets 167.25 ->
/// 164.85 (reciprocal 7.20 -> Section 122 4.80), -2.40. The magnets' charges pair across the regimes: MFN 4.872 -> 11.487 on both sides,
/// IEEPA fentanyl 23.20 only in the baseline (a negative delta), Section 301 136.75 only in
/// the scenario.
#[test]
fn preset_rows_add_up_to_the_totals_worked_by_hand() {
    let (r, rows) = impact_rows(preset_request());
    assert_adds_up(&rows, "");
    let lines: Vec<&str> = of(&rows, Table::Line, "")
        .iter()
        .map(|r| r.get(Column::Path))
        .collect();
    assert_eq!(
        lines,
        [
            "drive-unit",
            "drive-unit/rotor-magnets",
            "drive-unit/rotor-magnets/nd-oxide",
            "drive-unit/rotor-magnets/dy-oxide",
            "drive-unit/rotor-magnets/magnet-conversion",
            "drive-unit/stator-housing-shaft",
            "motor-brackets",
            "rest-of-vehicle"
        ],
        "every line, imported or not"
    );
    assert_eq!(lines.len(), r.lines.len());
    let line = |p: &str| {
        let l = of(&rows, Table::Line, "")
            .into_iter()
            .find(|r| r.get(Column::Path) == p)
            .unwrap();
        (
            l.get(Column::HtsCode),
            l.get(Column::Origin),
            l.get(Column::Kind),
            l.get(Column::Delta),
        )
    };
    assert_eq!(
        line("drive-unit/rotor-magnets"),
        ("8505.11.0070", "CN", "assembly", "152.56")
    );
    assert_eq!(
        line("motor-brackets"),
        ("7326.90.8688", "KR", "component", "-2.40")
    );
    assert_eq!(
        line("drive-unit/rotor-magnets/nd-oxide"),
        ("", "", "material", "248.40")
    );

    let charges = of(&rows, Table::Charge, "");
    assert_eq!(sum(charges.iter().copied(), Column::Delta), dec("465.16"));
    assert_eq!(
        sum(charges.iter().copied(), Column::Baseline),
        dec("38831.61")
    );
    assert_eq!(
        sum(charges.iter().copied(), Column::Scenario),
        dec("39296.77")
    );
    let magnets = "drive-unit/rotor-magnets";
    let mfn = charge(&rows, magnets, "us-mfn-magnets");
    assert_eq!(
        amounts(mfn),
        ["4.87", "11.49", "6.62", "4.872", "11.487", "6.615"]
    );
    assert_eq!(
        (mfn.get(Column::ChargeType), mfn.get(Column::Program)),
        ("duty", "mfn")
    );
    assert_eq!(
        (mfn.get(Column::HtsCode), mfn.get(Column::Origin)),
        ("8505.11.0070", "CN")
    );
    let ieepa = charge(&rows, magnets, "us-ieepa-fentanyl-cn-10");
    assert_eq!(
        amounts(ieepa),
        ["23.20", "0.00", "-23.20", "23.20", "0.00", "-23.20"]
    );
    assert_eq!(ieepa.get(Column::ScenarioFormula), "");
    let s301 = charge(&rows, magnets, "us-301-magnets-cn-2026");
    assert_eq!(
        amounts(s301),
        ["0.00", "136.75", "136.75", "0.00", "136.75", "136.75"]
    );
    assert_eq!(
        s301.get(Column::ScenarioFormula),
        "25% x 547.00 USD customs value, Section 301, HTS 8505.11.0070, origin CN"
    );
    let mpf = charge(&rows, magnets, "us-mpf-fy2026");
    assert_eq!(
        (
            mpf.get(Column::ChargeType),
            mpf.get(Column::FeeKind),
            mpf.get(Column::Program)
        ),
        ("fee", "mpf", "")
    );
    assert_eq!(
        amounts(mpf),
        ["0.80", "1.30", "0.50", "0.803648", "1.303", "0.499352"]
    );

    let unit = total(&rows, "", "unit_cost");
    assert_eq!(
        amounts(unit),
        [
            "38831.61",
            "39296.77",
            "465.16",
            "38831.611328",
            "39296.76943",
            "465.158102"
        ]
    );
    for (name, delta) in [
        ("duties", "149.27"),
        ("fees", "0.89"),
        ("price_effect", "385.51"),
        ("fx_effect", "0.00"),
        ("tariff_effect", "32.40"),
        ("interaction", "47.25"),
        ("annual_impact", "46516000.00"),
    ] {
        assert_eq!(total(&rows, "", name).get(Column::Delta), delta, "{name}");
    }
    assert_eq!(total(&rows, "", "price_effect").get(Column::Baseline), "");
}

/// An FX deck with one rate, 1 USD = `jpy` JPY.
fn usd_jpy(id: &str, jpy: &str) -> Value {
    json!({"id": id, "name": id, "asOfDate": "2026-01-02", "source": "hand-made for the test",
           "rates": [{"baseCurrency": "USD", "quoteCurrency": "JPY", "rate": jpy}]})
}

/// A sensor priced 15,000 JPY in a USD BOM, imported from Japan under FOB with freight 50.00,
/// insurance 5.00 and brokerage 2.50 USD per piece, MFN 2.1% ad valorem on its HTS code; 1 USD
/// = 150 JPY in the baseline, 160 in the scenario (prices and schedule unchanged).
fn fx_request() -> Value {
    json!({
        "bom": {"id": "jp-sensor", "currency": "USD", "items": [
            {"id": "sensor", "unitPrice": "15000", "priceCurrency": "JPY",
             "import": {"htsCode": "9026.10.2000", "origin": "JP",
                        "transportMode": "TRANSPORT_MODE_OCEAN", "incoterm": "INCOTERM_FOB",
                        "freight": "50", "insurance": "5", "brokerage": "2.50"}}]},
        "baselinePrices": {"id": "none", "currency": "USD"},
        "baselineSchedule": {"id": "mfn-only", "currency": "USD", "measures": [
            {"id": "mfn-9026", "program": "PROGRAM_MFN", "htsPrefixes": ["9026"],
             "rate": {"adValoremPercent": "2.1"}}]},
        "baselineFx": usd_jpy("usd-jpy-150", "150"),
        "scenarioFx": usd_jpy("usd-jpy-160", "160"),
        "options": {"entryDate": "2026-03-02"}
    })
}

/// By hand: goods 15,000 / 150 = 100.00 -> 15,000 / 160 = 93.75 (-6.25); duty 2.1% x 100.00
/// = 2.10 -> 2.1% x 93.75 = 1.96875, 1.97 (-0.13); freight, insurance and brokerage are USD,
/// untouched by the rates, and not in the FOB duty base: 50.00, 5.00, 2.50 on both sides. Unit
/// cost 100.00 + 50.00 + 5.00 + 2.50 + 2.10 = 159.60 -> 93.75 + 57.50 + 1.97 = 153.22, delta
/// -6.38, all of it the FX effect (only the rates changed).
#[test]
fn fx_effect_and_landed_costs_have_rows_that_add_up() {
    let (r, rows) = impact_rows(fx_request());
    assert_adds_up(&rows, "");
    let charges: Vec<[&str; 5]> = of(&rows, Table::Charge, "")
        .iter()
        .map(|r| {
            [
                r.get(Column::ChargeType),
                r.get(Column::MeasureId),
                r.get(Column::Baseline),
                r.get(Column::Scenario),
                r.get(Column::Delta),
            ]
        })
        .collect();
    assert_eq!(
        charges,
        [
            ["goods", "", "100.00", "93.75", "-6.25"],
            ["freight", "", "50.00", "50.00", "0.00"],
            ["insurance", "", "5.00", "5.00", "0.00"],
            ["brokerage", "", "2.50", "2.50", "0.00"],
            ["duty", "mfn-9026", "2.10", "1.97", "-0.13"],
        ]
    );
    let duty = charge(&rows, "sensor", "mfn-9026");
    assert_eq!(
        [
            duty.get(Column::ScenarioExact),
            duty.get(Column::DeltaExact)
        ],
        ["1.96875", "-0.13125"]
    );
    let freight = of(&rows, Table::Charge, "")[1];
    assert_eq!(
        [freight.get(Column::HtsCode), freight.get(Column::Origin)],
        ["9026.10.2000", "JP"]
    );
    let totals: Vec<(&str, [&str; 3])> = of(&rows, Table::Total, "")
        .iter()
        .map(|r| {
            (
                r.get(Column::Name),
                [
                    r.get(Column::Baseline),
                    r.get(Column::Scenario),
                    r.get(Column::Delta),
                ],
            )
        })
        .collect();
    assert_eq!(
        totals,
        [
            ("materials", ["0.00", "0.00", "0.00"]),
            ("components", ["100.00", "93.75", "-6.25"]),
            ("freight", ["50.00", "50.00", "0.00"]),
            ("insurance", ["5.00", "5.00", "0.00"]),
            ("brokerage", ["2.50", "2.50", "0.00"]),
            ("duties", ["2.10", "1.97", "-0.13"]),
            ("fees", ["0.00", "0.00", "0.00"]),
            ("credits", ["0.00", "0.00", "0.00"]),
            ("unit_cost", ["159.60", "153.22", "-6.38"]),
            ("price_effect", ["", "", "0.00"]),
            ("fx_effect", ["", "", "-6.38"]),
            ("tariff_effect", ["", "", "0.00"]),
            ("interaction", ["", "", "0.00"]),
        ]
    );
    assert_eq!(amount_of(&r.effects.unwrap().fx_effect), "-6.38");

    // The CSV: the fx_effect row and the landed-cost rows as plain numbers.
    let csv = read_csv(&Format::Csv.write(&rows).unwrap());
    let cell = |r: &Vec<String>, c: Column| r[c.index()].clone();
    let fx = csv
        .iter()
        .find(|r| cell(r, Column::Table) == "total" && cell(r, Column::Name) == "fx_effect")
        .unwrap();
    assert_eq!(
        [cell(fx, Column::Baseline), cell(fx, Column::Delta)],
        ["", "-6.38"]
    );
    let freight = csv
        .iter()
        .find(|r| cell(r, Column::Table) == "charge" && cell(r, Column::ChargeType) == "freight")
        .unwrap();
    assert_eq!(cell(freight, Column::Baseline), "50.00");

    // The workbook: the same rows, numbers that sum to the unit cost.
    let mut book: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(Format::Xlsx.write(&rows).unwrap())).unwrap();
    let total = sheet(&mut book, "total");
    let at = |c: Column| Table::Total.columns().iter().position(|&x| x == c).unwrap();
    let named = |name: &str| {
        total
            .iter()
            .find(|r| text(&r[at(Column::Name)]) == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    assert_eq!(number(&named("fx_effect")[at(Column::Delta)]), -6.38);
    assert_eq!(named("fx_effect")[at(Column::Baseline)], Data::Empty);
    assert_eq!(number(&named("freight")[at(Column::Scenario)]), 50.0);
    assert_eq!(number(&named("insurance")[at(Column::Baseline)]), 5.0);
    let cents = |f: f64| (f * 100.0).round() as i64;
    let charge = sheet(&mut book, "charge");
    let at = |c: Column| {
        Table::Charge
            .columns()
            .iter()
            .position(|&x| x == c)
            .unwrap()
    };
    let scenario: i64 = charge[1..]
        .iter()
        .map(|r| cents(number(&r[at(Column::Scenario)])))
        .sum();
    assert_eq!(scenario, 15322);
    let types: Vec<&str> = charge[1..]
        .iter()
        .map(|r| text(&r[at(Column::ChargeType)]))
        .collect();
    assert_eq!(
        types,
        ["goods", "freight", "insurance", "brokerage", "duty"]
    );
}

/// The same sensor compared: a scenario with the yen at 160 (its own FX deck) and one with the
/// baseline's rates; each scenario's rows add up, and its fx_effect row is its own (-6.38 as
/// above, 0.00).
#[test]
fn compared_scenarios_each_have_their_own_fx_effect() {
    let ctx = context();
    let mut req = fx_request();
    let fx = req.as_object_mut().unwrap();
    fx.remove("scenarioFx");
    req["scenarios"] = json!([
        {"name": "yen at 160", "fx": usd_jpy("usd-jpy-160", "160")},
        {"name": "rates unchanged"}
    ]);
    let req: pb::CompareScenariosRequest = serde_json::from_value(req).unwrap();
    let r = compare::compare(&ctx, &req, &Meter::unlimited()).unwrap();
    let rows = rows::compare(&r, compare_bom(&ctx.catalog, &req));
    for (name, delta) in [("yen at 160", "-6.38"), ("rates unchanged", "0.00")] {
        assert_adds_up(&rows, name);
        assert_eq!(total(&rows, name, "unit_cost").get(Column::Delta), delta);
        assert_eq!(total(&rows, name, "fx_effect").get(Column::Delta), delta);
        assert_eq!(total(&rows, name, "freight").get(Column::Scenario), "50.00");
    }
}

fn amount_of(m: &Option<pb::Money>) -> &str {
    m.as_ref().map_or("", |m| m.amount.as_str())
}

/// The seed report's example: two material lines, no imports: a goods charge each, 248.40 +
/// 66.60 = 315.00.
#[test]
fn seed_example_rows_are_its_two_material_lines() {
    let (_, rows) = impact_rows(json!({
        "bom": {"id": "ev", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd-oxide", "quantity": "1.8", "unit": "UNIT_OF_MEASURE_KG"},
            {"id": "dy", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"}]},
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
    }));
    assert_adds_up(&rows, "");
    let charges: Vec<[&str; 4]> = of(&rows, Table::Charge, "")
        .iter()
        .map(|r| {
            [
                r.get(Column::Path),
                r.get(Column::ChargeType),
                r.get(Column::MaterialId),
                r.get(Column::Delta),
            ]
        })
        .collect();
    assert_eq!(
        charges,
        [
            ["nd", "goods", "nd-oxide", "248.40"],
            ["dy", "goods", "dy-oxide", "66.60"]
        ]
    );
    let nd = of(&rows, Table::Material, "")[0];
    assert_eq!(
        [
            nd.get(Column::MaterialId),
            nd.get(Column::Quantity),
            nd.get(Column::Unit)
        ],
        ["nd-oxide", "1.8", "kg"]
    );
    assert_eq!(total(&rows, "", "unit_cost").get(Column::Delta), "315.00");
}

/// A 7,500 credit kept in the baseline (45% of the Nd oxide from China) and lost in the
/// scenario (CN at 150/kg: 67.50 / 122.50 > 0.5): the goods rows make 40,100.00 ->
/// 40,122.50 and the credits row -7,500.00 -> 0.00 brings them to the unit cost 32,600.00 ->
/// 40,122.50. Sourcing shares are lines of their own, with their own declarations.
#[test]
fn credits_close_the_sum_of_the_rows() {
    let deck = |id: &str, cn: &str| {
        json!({"id": id, "currency": "USD", "asOfDate": "2026-01-01", "prices": [
            {"materialId": "nd-oxide-cn", "price": cn, "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_MARKET"},
            {"materialId": "nd-oxide-au", "price": "100", "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_MARKET"}]})
    };
    let import = |origin: &str| json!({"htsCode": "2846.90", "origin": origin, "transportMode": "TRANSPORT_MODE_OCEAN"});
    let (_, rows) = impact_rows(json!({
        "bom": {"id": "ev", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG", "sourcing": [
                {"id": "cn", "share": "0.45", "materialId": "nd-oxide-cn", "import": import("CN")},
                {"id": "au", "share": "0.55", "materialId": "nd-oxide-au", "import": import("AU")}]},
            {"id": "rest", "unitPrice": "40000"}]},
        "baselinePrices": deck("p0", "100"),
        "scenarioPrices": deck("p1", "150"),
        "baselineSchedule": {"id": "s", "currency": "USD", "incentives": [
            {"id": "cv", "creditAmount": "7500", "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5"}]},
        "options": {"entryDate": "2026-03-02"}
    }));
    assert_adds_up(&rows, "");
    let charges = of(&rows, Table::Charge, "");
    assert_eq!(
        sum(charges.iter().copied(), Column::Baseline),
        dec("40100.00")
    );
    assert_eq!(sum(charges.iter().copied(), Column::Delta), dec("22.50"));
    assert_eq!(
        &amounts(total(&rows, "", "credits"))[..3],
        ["-7500.00", "0.00", "7500.00"]
    );
    assert_eq!(total(&rows, "", "unit_cost").get(Column::Delta), "7522.50");
    let cn = charges
        .iter()
        .find(|r| r.get(Column::Path) == "nd/cn")
        .unwrap();
    assert_eq!(
        [
            cn.get(Column::FieldPath),
            cn.get(Column::HtsCode),
            cn.get(Column::Origin)
        ],
        ["bom.items[0].sourcing[0]", "2846.90", "CN"]
    );
    assert_eq!(amounts(cn)[..3], ["45.00", "67.50", "22.50"]);
}

/// The README's comparison, plus a scenario whose name looks like a formula: one set of rows
/// per scenario, each adding up to its own result (deltas 385.51, 32.40 and 465.16 by hand in
/// tests/calculation_rules.rs), with its name and rank; the CSV escapes the name.
#[test]
fn compared_scenarios_each_add_up_and_are_named() {
    let ctx = context();
    let req: pb::CompareScenariosRequest = serde_json::from_value(json!({
        "bomId": "ev-high-ree",
        "baselinePricesId": "ree-pre-restriction",
        "baselineScheduleId": "us-2025",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500"},
        "scenarios": [
            {"name": "prices only", "pricesId": "ree-post-restriction"},
            {"name": "2026 tariffs only", "scheduleId": "us-2026"},
            {"name": "prices and 2026 tariffs", "pricesId": "ree-post-restriction", "scheduleId": "us-2026"},
            {"name": "=2+3 nothing"}
        ]
    }))
    .unwrap();
    let r = compare::compare(&ctx, &req, &Meter::unlimited()).unwrap();
    let rows = rows::compare(&r, compare_bom(&ctx.catalog, &req));
    for (name, rank, delta) in [
        ("prices only", "2", "385.51"),
        ("2026 tariffs only", "3", "32.40"),
        ("prices and 2026 tariffs", "1", "465.16"),
        ("=2+3 nothing", "4", "0.00"),
    ] {
        assert_adds_up(&rows, name);
        let unit = total(&rows, name, "unit_cost");
        assert_eq!(
            (unit.get(Column::ScenarioRank), unit.get(Column::Delta)),
            (rank, delta),
            "{name}"
        );
        assert_eq!(of(&rows, Table::Line, name).len(), 8, "{name}");
        assert_eq!(
            sum(of(&rows, Table::Charge, name), Column::Delta),
            dec(delta),
            "{name}"
        );
    }
    // Table by table, scenarios in request order within each.
    let order: Vec<(Table, &str)> = rows
        .iter()
        .map(|r| (r.table, r.get(Column::ScenarioName)))
        .collect();
    assert!(order.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(order[0], (Table::Line, "prices only"));
    assert_eq!(order[8], (Table::Line, "2026 tariffs only"));

    let csv = read_csv(&Format::Csv.write(&rows).unwrap());
    let names: std::collections::BTreeSet<&str> = csv
        .iter()
        .map(|r| r[Column::ScenarioName.index()].as_str())
        .collect();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        [
            "'=2+3 nothing",
            "2026 tariffs only",
            "prices and 2026 tariffs",
            "prices only"
        ]
    );
}

/// The CSV's records (header checked and left out).
fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut r = ::csv::Reader::from_reader(bytes);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(header, names);
    r.records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect()
}

/// A BOM whose text would run as formulas in a spreadsheet, with quotes, commas and a line
/// break; prices falling (negative deltas). Component 100 -> 80 imported from CN at 25%.
fn hostile_request() -> Value {
    json!({
        "bom": {"id": "b", "currency": "USD", "items": [
            {"id": "@part", "description": "=HYPERLINK(\"http://evil\",\"click\"), \"quoted\"\nnext line",
             "unitPrice": "100", "scenarioUnitPrice": "80",
             "import": {"htsCode": "8505.11", "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"}},
            {"id": "plain", "description": "-1+2", "unitPrice": "1"}]},
        "baselinePricesId": "ree-pre-restriction",
        "baselineSchedule": {"id": "s", "currency": "USD", "measures": [
            {"id": "+duty", "program": "PROGRAM_SECTION_301", "rate": {"adValoremPercent": "25"}}]},
        "options": {"entryDate": "2026-03-02"}
    })
}

/// Text that starts like a formula gets a leading quote in every text column (path,
/// description, measure id); a negative amount stays a number; quotes, commas and line breaks
/// survive RFC 4180 quoting. By hand: goods 100 -> 80 (-20.00), duty 25.00 -> 20.00 (-5.00).
#[test]
fn csv_escapes_formula_text_but_not_negative_numbers() {
    let (_, rows) = impact_rows(hostile_request());
    assert_adds_up(&rows, "");
    let bytes = Format::Csv.write(&rows).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains(
            "\"'=HYPERLINK(\"\"http://evil\"\",\"\"click\"\"), \"\"quoted\"\"\nnext line\""
        ),
        "{text}"
    );
    let csv = read_csv(&bytes);
    let cell = |r: &Vec<String>, c: Column| r[c.index()].clone();
    let line = csv
        .iter()
        .find(|r| cell(r, Column::Table) == "line" && cell(r, Column::Path) == "'@part")
        .expect("the path is escaped");
    assert_eq!(
        cell(line, Column::Description),
        "'=HYPERLINK(\"http://evil\",\"click\"), \"quoted\"\nnext line"
    );
    assert_eq!(
        [cell(line, Column::Baseline), cell(line, Column::Delta)],
        ["125.00", "-25.00"]
    );
    let duty = csv
        .iter()
        .find(|r| cell(r, Column::Table) == "charge" && cell(r, Column::ChargeType) == "duty")
        .unwrap();
    assert_eq!(cell(duty, Column::MeasureId), "'+duty");
    assert_eq!(
        [cell(duty, Column::Delta), cell(duty, Column::DeltaExact)],
        ["-5.00", "-5.00"]
    );
    let plain = csv
        .iter()
        .find(|r| cell(r, Column::Table) == "line" && cell(r, Column::Path) == "plain")
        .unwrap();
    assert_eq!(cell(plain, Column::Description), "'-1+2");
    let unit = csv
        .iter()
        .find(|r| cell(r, Column::Table) == "total" && cell(r, Column::Name) == "unit_cost")
        .unwrap();
    assert_eq!(cell(unit, Column::Delta), "-25.00");
    assert!(text.lines().all(|l| !l.contains("'-25.00")));
}

fn sheet(book: &mut Xlsx<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<Data>> {
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn text(d: &Data) -> &str {
    match d {
        Data::String(s) => s,
        Data::Empty => "",
        other => panic!("not text: {other:?}"),
    }
}

fn number(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        other => panic!("not a number: {other:?}"),
    }
}

/// The workbook reads back: a sheet per table with its columns, amounts as numbers whose sums
/// meet the totals to the cent, exact values as text, formula-like text as plain strings.
#[test]
fn the_workbook_reads_back_with_numbers_that_add_up() {
    let (_, rows) = impact_rows(preset_request());
    let mut book: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(Format::Xlsx.write(&rows).unwrap())).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["line", "charge", "measure", "material", "total"]
    );
    let cents = |f: f64| (f * 100.0).round() as i64;
    let charge = sheet(&mut book, "charge");
    let columns = Table::Charge.columns();
    let at = |c: Column| columns.iter().position(|&x| x == c).unwrap();
    let header: Vec<&str> = charge[0].iter().map(text).collect();
    assert_eq!(header, columns.iter().map(|c| c.name()).collect::<Vec<_>>());
    assert_eq!(charge.len() - 1, of(&rows, Table::Charge, "").len());
    let delta: i64 = charge[1..]
        .iter()
        .map(|r| cents(number(&r[at(Column::Delta)])))
        .sum();
    let baseline: i64 = charge[1..]
        .iter()
        .map(|r| cents(number(&r[at(Column::Baseline)])))
        .sum();
    assert_eq!((delta, baseline), (46516, 3883161));
    let mfn = charge[1..]
        .iter()
        .find(|r| text(&r[at(Column::MeasureId)]) == "us-mfn-magnets")
        .unwrap();
    assert_eq!(number(&mfn[at(Column::Baseline)]), 4.87);
    assert_eq!(text(&mfn[at(Column::BaselineExact)]), "4.872");
    assert_eq!(text(&mfn[at(Column::DeltaExact)]), "6.615");
    let ieepa = charge[1..]
        .iter()
        .find(|r| text(&r[at(Column::MeasureId)]) == "us-ieepa-fentanyl-cn-10")
        .unwrap();
    assert_eq!(number(&ieepa[at(Column::Delta)]), -23.2);

    let total = sheet(&mut book, "total");
    let unit = total.iter().find(|r| text(&r[3]) == "unit_cost").unwrap();
    assert_eq!(text(&total[0][3]), "name");
    assert_eq!(number(&unit[4 + 2]), 465.16);
    assert_eq!(text(&unit[4 + 5]), "465.158102");
    let line = sheet(&mut book, "line");
    assert_eq!(line.len() - 1, 8, "every BOM line");

    let (_, rows) = impact_rows(hostile_request());
    let mut book: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(Format::Xlsx.write(&rows).unwrap())).unwrap();
    let line = sheet(&mut book, "line");
    let at = |c: Column| Table::Line.columns().iter().position(|&x| x == c).unwrap();
    assert_eq!(text(&line[1][at(Column::Path)]), "@part");
    assert!(text(&line[1][at(Column::Description)]).starts_with("=HYPERLINK("));
    assert_eq!(number(&line[1][at(Column::Delta)]), -25.0);
}
