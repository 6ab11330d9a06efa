//! Flattens a result into the rows of the export's tables, amounts exactly as the response
//! gives them (decimal strings, never through a float): a spreadsheet's sums of the rows then
//! meet the response's totals to the cent, because the service's lines add up to its totals.

use super::imports::declaration;
use super::schema::{Column, Table};
use crate::pb;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

/// One row of the export: its table and one cell per column of [`Column::ALL`], empty where
/// the table has nothing to put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The table the row belongs to.
    pub table: Table,
    cells: Vec<String>,
}

impl Row {
    fn new(table: Table, s: &Scenario<'_>) -> Row {
        let mut row = Row {
            table,
            cells: vec![String::new(); Column::ALL.len()],
        };
        row.set(Column::Table, table.name())
            .set(Column::ScenarioName, s.name)
            .set(Column::ScenarioRank, s.rank.clone())
            .set(Column::Currency, s.currency);
        row
    }

    /// The cell of `column`.
    pub fn get(&self, column: Column) -> &str {
        &self.cells[column.index()]
    }

    fn set(&mut self, column: Column, value: impl Into<String>) -> &mut Row {
        self.cells[column.index()] = value.into();
        self
    }

    /// Sets the rounded amounts and the unrounded ones (empty when the response has none).
    fn amounts(&mut self, rounded: [String; 3], exact: [String; 3]) -> &mut Row {
        let [b, s, d] = rounded;
        let [be, se, de] = exact;
        self.set(Column::Baseline, b)
            .set(Column::Scenario, s)
            .set(Column::Delta, d)
            .set(Column::BaselineExact, be)
            .set(Column::ScenarioExact, se)
            .set(Column::DeltaExact, de)
    }
}

/// What every row of one scenario's result shares.
struct Scenario<'a> {
    name: &'a str,
    rank: String,
    currency: &'a str,
    /// The request's BOM, for the lines' HTS codes and origins.
    bom: Option<&'a pb::Bom>,
}

/// The rows of a `CalculateImpact` result, table by table. `bom` is the request's BOM (inline
/// or the preset): without it the `hts_code` and `origin` cells stay empty.
pub fn impact(r: &pb::CalculateImpactResponse, bom: Option<&pb::Bom>) -> Vec<Row> {
    let s = Scenario {
        name: "",
        rank: String::new(),
        currency: &r.currency,
        bom,
    };
    let mut rows = Vec::new();
    scenario_rows(r, &s, &mut rows);
    rows.sort_by_key(|row| row.table);
    rows
}

/// The rows of a `CompareScenarios` result: every scenario's rows with its name and rank,
/// table by table, scenarios in request order within a table.
pub fn compare(r: &pb::CompareScenariosResponse, bom: Option<&pb::Bom>) -> Vec<Row> {
    let mut rows = Vec::new();
    for sc in &r.scenarios {
        let Some(result) = &sc.result else { continue };
        let s = Scenario {
            name: &sc.name,
            rank: sc.rank.to_string(),
            currency: &result.currency,
            bom,
        };
        scenario_rows(result, &s, &mut rows);
    }
    rows.sort_by_key(|row| row.table);
    rows
}

fn scenario_rows(r: &pb::CalculateImpactResponse, s: &Scenario<'_>, out: &mut Vec<Row>) {
    let names: HashMap<&str, &str> = r
        .measures
        .iter()
        .map(|m| (m.measure_id.as_str(), m.name.as_str()))
        .collect();
    for l in &r.lines {
        let mut row = line_row(Table::Line, l, s);
        row.set(Column::Quantity, l.quantity_per_unit.as_str())
            .set(Column::Unit, short(unit_name(l.unit), "UNIT_OF_MEASURE_"))
            .amounts(
                [
                    side_total(&l.baseline),
                    side_total(&l.scenario),
                    amount(&l.delta),
                ],
                Default::default(),
            );
        out.push(row);
    }
    for l in &r.lines {
        charge_rows(l, s, &names, out);
    }
    for m in &r.measures {
        let mut row = Row::new(Table::Measure, s);
        row.set(Column::MeasureId, m.measure_id.as_str())
            .set(Column::Program, short(program_name(m.program), "PROGRAM_"))
            .set(Column::FeeKind, short(fee_name(m.fee_kind), "FEE_KIND_"))
            .set(Column::Name, m.name.as_str())
            .amounts(
                [
                    amount(&m.baseline_amount),
                    amount(&m.scenario_amount),
                    amount(&m.delta),
                ],
                Default::default(),
            );
        out.push(row);
    }
    for m in &r.materials {
        let mut row = Row::new(Table::Material, s);
        row.set(Column::MaterialId, m.material_id.as_str())
            .set(Column::Name, m.name.as_str())
            .set(Column::Quantity, m.quantity_per_unit.as_str())
            .set(Column::Unit, short(unit_name(m.unit), "UNIT_OF_MEASURE_"))
            .amounts(
                [
                    amount(&m.baseline_cost),
                    amount(&m.scenario_cost),
                    amount(&m.delta),
                ],
                Default::default(),
            );
        out.push(row);
    }
    total_rows(r, s, out);
}

/// A line or charge row with the line's own columns.
fn line_row(table: Table, l: &pb::LineResult, s: &Scenario<'_>) -> Row {
    let mut row = Row::new(table, s);
    let import = s.bom.and_then(|b| declaration(b, &l.field_path));
    row.set(Column::Path, l.path.as_str())
        .set(Column::FieldPath, l.field_path.as_str())
        .set(Column::Description, l.description.as_str())
        .set(Column::Kind, short(kind_name(l.kind), "ITEM_KIND_"))
        .set(Column::HtsCode, import.map_or("", |d| d.hts_code.as_str()))
        .set(Column::Origin, import.map_or("", |d| d.origin.as_str()))
        .set(Column::MaterialId, l.material_id.as_str());
    row
}

/// The line's goods (material and component lines, or any line with goods on a side), its
/// freight, insurance and brokerage (each when not zero on both sides), then every charge of
/// either side, paired by measure id: a charge on one side only is zero on
/// the other, so the rows of a line add up to its total on both sides.
fn charge_rows(
    l: &pb::LineResult,
    s: &Scenario<'_>,
    names: &HashMap<&str, &str>,
    out: &mut Vec<Row>,
) {
    let none = pb::LineSide::default();
    let (b, sc) = (
        l.baseline.as_ref().unwrap_or(&none),
        l.scenario.as_ref().unwrap_or(&none),
    );
    let (bg, sg) = (amount(&b.goods), amount(&sc.goods));
    let is_zero = |a: &str| Decimal::from_str(a).is_ok_and(|d| d.is_zero());
    let assembly = l.kind == pb::ItemKind::Assembly as i32;
    if !assembly || !is_zero(&bg) || !is_zero(&sg) {
        let mut row = line_row(Table::Charge, l, s);
        let delta = minus(&sg, &bg);
        row.set(Column::ChargeType, "goods")
            .amounts([bg, sg, delta], Default::default());
        out.push(row);
    }
    logistics_rows(l, (b, sc), s, out);
    let mut scenario: Vec<Option<&pb::Charge>> = sc.charges.iter().map(Some).collect();
    let mut pairs: Vec<(Option<&pb::Charge>, Option<&pb::Charge>)> = Vec::new();
    for c in &b.charges {
        let other = scenario
            .iter_mut()
            .find(|o| o.is_some_and(|o| o.measure_id == c.measure_id))
            .and_then(Option::take);
        pairs.push((Some(c), other));
    }
    pairs.extend(scenario.into_iter().flatten().map(|c| (None, Some(c))));
    for (bc, scc) in pairs {
        let Some(c) = bc.or(scc) else { continue };
        let mut row = line_row(Table::Charge, l, s);
        let fee = c.fee_kind != 0;
        row.set(Column::ChargeType, if fee { "fee" } else { "duty" })
            .set(Column::MeasureId, c.measure_id.as_str())
            .set(Column::Program, short(program_name(c.program), "PROGRAM_"))
            .set(Column::FeeKind, short(fee_name(c.fee_kind), "FEE_KIND_"))
            .set(
                Column::Name,
                names.get(c.measure_id.as_str()).copied().unwrap_or(""),
            )
            .set(
                Column::BaselineFormula,
                bc.map_or("", |c| c.formula.as_str()),
            )
            .set(
                Column::ScenarioFormula,
                scc.map_or("", |c| c.formula.as_str()),
            );
        let (b_amount, s_amount) = pair(bc, scc, |c| amount(&c.amount));
        let (b_exact, s_exact) = pair(bc, scc, |c| exact(&c.amount));
        let (delta, delta_exact) = (minus(&s_amount, &b_amount), minus(&s_exact, &b_exact));
        row.amounts([b_amount, s_amount, delta], [b_exact, s_exact, delta_exact]);
        out.push(row);
    }
}

/// Reads one landed-cost amount of a line side.
type LogisticsField = fn(&pb::LineSide) -> &Option<pb::Money>;

/// The landed-cost amounts an imported line may carry besides its goods, duties and fees: a
/// charge row each (charge type `freight`, `insurance`, `brokerage`) when not zero on both
/// sides, so a line's charge rows still add up to its total.
const LOGISTICS: [(&str, LogisticsField); 3] = [
    ("freight", |s| &s.freight),
    ("insurance", |s| &s.insurance),
    ("brokerage", |s| &s.brokerage),
];

/// True for an empty cell or a zero amount.
fn is_zero_or_empty(a: &str) -> bool {
    a.is_empty() || Decimal::from_str(a).is_ok_and(|d| d.is_zero())
}

/// The line's freight, insurance and brokerage rows (see [`LOGISTICS`]): a side without the
/// amount is zero there.
fn logistics_rows(
    l: &pb::LineResult,
    (b, sc): (&pb::LineSide, &pb::LineSide),
    s: &Scenario<'_>,
    out: &mut Vec<Row>,
) {
    for (name, field) in LOGISTICS {
        let (b_amount, s_amount) = (amount(field(b)), amount(field(sc)));
        if is_zero_or_empty(&b_amount) && is_zero_or_empty(&s_amount) {
            continue;
        }
        let (b_amount, s_amount) = match (b_amount.is_empty(), s_amount.is_empty()) {
            (true, _) => (zero_like(&s_amount), s_amount),
            (_, true) => {
                let z = zero_like(&b_amount);
                (b_amount, z)
            }
            _ => (b_amount, s_amount),
        };
        let mut row = line_row(Table::Charge, l, s);
        let delta = minus(&s_amount, &b_amount);
        row.set(Column::ChargeType, name)
            .amounts([b_amount, s_amount, delta], Default::default());
        out.push(row);
    }
}

/// `field` of both charges of a pair; a missing one is zero at the other's scale.
fn pair(
    b: Option<&pb::Charge>,
    s: Option<&pb::Charge>,
    field: impl Fn(&pb::Charge) -> String,
) -> (String, String) {
    let (bv, sv) = (b.map(&field), s.map(&field));
    match (bv, sv) {
        (Some(b), Some(s)) => (b, s),
        (Some(b), None) => {
            let z = zero_like(&b);
            (b, z)
        }
        (None, Some(s)) => (zero_like(&s), s),
        (None, None) => Default::default(),
    }
}

/// The subtotals (in the order they make the total), the unit cost (with its exact values),
/// the effect split (in the waterfall's order: price, FX, tariff, interaction), and the annual
/// impact and stockpile's effective delta when the response has them (delta only).
fn total_rows(r: &pb::CalculateImpactResponse, s: &Scenario<'_>, out: &mut Vec<Row>) {
    let none = pb::CostTotals::default();
    let (b, sc) = (
        r.baseline_totals.as_ref().unwrap_or(&none),
        r.scenario_totals.as_ref().unwrap_or(&none),
    );
    let mut push = |name: &str, rounded: [String; 3], exact: [String; 3]| {
        let mut row = Row::new(Table::Total, s);
        row.set(Column::Name, name).amounts(rounded, exact);
        out.push(row);
    };
    for (name, bm, sm) in [
        ("materials", &b.materials, &sc.materials),
        ("components", &b.components, &sc.components),
        ("freight", &b.freight, &sc.freight),
        ("insurance", &b.insurance, &sc.insurance),
        ("brokerage", &b.brokerage, &sc.brokerage),
        ("duties", &b.duties, &sc.duties),
        ("fees", &b.fees, &sc.fees),
        ("credits", &b.credits, &sc.credits),
    ] {
        let (ba, sa) = (amount(bm), amount(sm));
        let d = minus(&sa, &ba);
        push(name, [ba, sa, d], Default::default());
    }
    push(
        "unit_cost",
        [
            amount(&r.baseline_unit_cost),
            amount(&r.scenario_unit_cost),
            amount(&r.delta),
        ],
        [
            exact(&r.baseline_unit_cost),
            exact(&r.scenario_unit_cost),
            exact(&r.delta),
        ],
    );
    let delta_only = |m: &Option<pb::Money>| [String::new(), String::new(), amount(m)];
    if let Some(e) = &r.effects {
        push(
            "price_effect",
            delta_only(&e.price_effect),
            Default::default(),
        );
        push("fx_effect", delta_only(&e.fx_effect), Default::default());
        push(
            "tariff_effect",
            delta_only(&e.tariff_effect),
            Default::default(),
        );
        push(
            "interaction",
            delta_only(&e.interaction),
            Default::default(),
        );
    }
    if r.annual_impact.is_some() {
        push(
            "annual_impact",
            delta_only(&r.annual_impact),
            Default::default(),
        );
    }
    if let Some(sp) = &r.stockpile {
        push(
            "effective_delta",
            delta_only(&sp.effective_delta),
            Default::default(),
        );
    }
}

fn amount(m: &Option<pb::Money>) -> String {
    m.as_ref().map_or_else(String::new, |m| m.amount.clone())
}

fn exact(m: &Option<pb::Money>) -> String {
    m.as_ref().map_or_else(String::new, |m| m.exact.clone())
}

fn side_total(s: &Option<pb::LineSide>) -> String {
    s.as_ref().map_or_else(String::new, |s| amount(&s.total))
}

/// `scenario - baseline` of two decimal strings, exactly; empty unless both are decimals.
fn minus(scenario: &str, baseline: &str) -> String {
    match (Decimal::from_str(scenario), Decimal::from_str(baseline)) {
        (Ok(s), Ok(b)) => {
            let mut d = s - b;
            if d.is_zero() {
                d.set_sign_positive(true);
            }
            d.to_string()
        }
        _ => String::new(),
    }
}

/// Zero with the decimals of `like` ("0.00" for "4.87"); empty when `like` is empty.
fn zero_like(like: &str) -> String {
    Decimal::from_str(like).map_or_else(
        |_| String::new(),
        |d| Decimal::new(0, d.scale()).to_string(),
    )
}

/// `ITEM_KIND_MATERIAL` with prefix `ITEM_KIND_` -> `material`; unspecified -> empty.
fn short(name: &str, prefix: &str) -> String {
    if name.ends_with("_UNSPECIFIED") {
        return String::new();
    }
    name.strip_prefix(prefix)
        .unwrap_or(name)
        .to_ascii_lowercase()
}

fn kind_name(v: i32) -> &'static str {
    pb::ItemKind::try_from(v).map_or("", |k| k.as_str_name())
}

fn unit_name(v: i32) -> &'static str {
    pb::UnitOfMeasure::try_from(v).map_or("", |k| k.as_str_name())
}

fn program_name(v: i32) -> &'static str {
    pb::Program::try_from(v).map_or("", |k| k.as_str_name())
}

fn fee_name(v: i32) -> &'static str {
    pb::FeeKind::try_from(v).map_or("", |k| k.as_str_name())
}
