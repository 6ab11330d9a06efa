//! The columns and tables of a flat export. Their names, order and meaning are a contract:
//! users' spreadsheets, pivot tables and scripts refer to them by name, so a column is only
//! ever added (at the end), never renamed, reordered or given a new meaning.

/// How a column's cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Text: escaped against formula injection in CSV, a string cell in XLSX.
    Text,
    /// A plain number that is not money (a rank, a quantity): a number cell in XLSX.
    Number,
    /// A rounded amount of money as the response gives it: a number with a currency number
    /// format in XLSX.
    Amount,
    /// An unrounded amount: a plain decimal in CSV, a string cell in XLSX (a spreadsheet's
    /// 64-bit float would round it; the point of the column is that it is not rounded).
    Exact,
}

/// One column of the export, in the order of the CSV header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Which table the row belongs to: `line`, `charge`, `measure`, `material` or `total`.
    Table,
    /// The scenario's name (CompareScenarios); empty for a CalculateImpact result.
    ScenarioName,
    /// The scenario's rank by delta, 1 for the largest (CompareScenarios); else empty.
    ScenarioRank,
    /// ISO 4217 currency of every amount of the row.
    Currency,
    /// Line path of item ids, e.g. `drive-unit/rotor-magnets` (line and charge rows).
    Path,
    /// The line's field path in the request, e.g. `bom.items[0].children[0]`.
    FieldPath,
    /// The line's description.
    Description,
    /// The line's kind: `material`, `component` or `assembly`.
    Kind,
    /// HTS code of the line's own import declaration; empty when the line is not itself
    /// imported (a domestic line, or a line inside an imported assembly).
    HtsCode,
    /// Origin (ISO 3166-1 alpha-2) of the line's own import declaration.
    Origin,
    /// Material id of a material line (line and charge rows) or of a material row.
    MaterialId,
    /// Quantity per unit of product (line and material rows), exact.
    Quantity,
    /// Unit of the quantity: `kg`, `g`, `t`, `lb` or `piece`.
    Unit,
    /// What a charge row is: `goods` (the line's own goods cost), `freight`, `insurance` and
    /// `brokerage` (landed costs of an imported line that its price does not include), `duty`
    /// or `fee`.
    ChargeType,
    /// Id of the measure or fee (charge and measure rows).
    MeasureId,
    /// Program of a duty, e.g. `mfn`, `section_301`; empty for goods and fees.
    Program,
    /// Kind of a fee, e.g. `mpf`, `hmf`; empty for goods and duties.
    FeeKind,
    /// Name: of the measure (charge, measure rows), of the material (material rows), or of
    /// the total (total rows: `materials`, `components`, `freight`, `insurance`, `brokerage`,
    /// `duties`, `fees`, `credits`, `unit_cost`, `price_effect`, `fx_effect`, `tariff_effect`,
    /// `interaction`, `annual_impact`, `effective_delta`).
    Name,
    /// Baseline amount, rounded to the currency's minor unit.
    Baseline,
    /// Scenario amount, rounded.
    Scenario,
    /// Scenario minus baseline, rounded amounts.
    Delta,
    /// Unrounded baseline amount, where the response carries one (charges and `unit_cost`).
    BaselineExact,
    /// Unrounded scenario amount, where the response carries one.
    ScenarioExact,
    /// Unrounded delta, where the response carries one.
    DeltaExact,
    /// The baseline charge's derivation, e.g. `25% x 232.00 USD customs value, ...`.
    BaselineFormula,
    /// The scenario charge's derivation.
    ScenarioFormula,
}

impl Column {
    /// Every column, in the order of the CSV header.
    pub const ALL: [Column; 26] = [
        Column::Table,
        Column::ScenarioName,
        Column::ScenarioRank,
        Column::Currency,
        Column::Path,
        Column::FieldPath,
        Column::Description,
        Column::Kind,
        Column::HtsCode,
        Column::Origin,
        Column::MaterialId,
        Column::Quantity,
        Column::Unit,
        Column::ChargeType,
        Column::MeasureId,
        Column::Program,
        Column::FeeKind,
        Column::Name,
        Column::Baseline,
        Column::Scenario,
        Column::Delta,
        Column::BaselineExact,
        Column::ScenarioExact,
        Column::DeltaExact,
        Column::BaselineFormula,
        Column::ScenarioFormula,
    ];

    /// The column's header name.
    pub fn name(self) -> &'static str {
        match self {
            Column::Table => "table",
            Column::ScenarioName => "scenario_name",
            Column::ScenarioRank => "scenario_rank",
            Column::Currency => "currency",
            Column::Path => "path",
            Column::FieldPath => "field_path",
            Column::Description => "description",
            Column::Kind => "kind",
            Column::HtsCode => "hts_code",
            Column::Origin => "origin",
            Column::MaterialId => "material_id",
            Column::Quantity => "quantity",
            Column::Unit => "unit",
            Column::ChargeType => "charge_type",
            Column::MeasureId => "measure_id",
            Column::Program => "program",
            Column::FeeKind => "fee_kind",
            Column::Name => "name",
            Column::Baseline => "baseline",
            Column::Scenario => "scenario",
            Column::Delta => "delta",
            Column::BaselineExact => "baseline_exact",
            Column::ScenarioExact => "scenario_exact",
            Column::DeltaExact => "delta_exact",
            Column::BaselineFormula => "baseline_formula",
            Column::ScenarioFormula => "scenario_formula",
        }
    }

    /// How the column's cells are written.
    pub fn cell(self) -> Cell {
        match self {
            Column::ScenarioRank | Column::Quantity => Cell::Number,
            Column::Baseline | Column::Scenario | Column::Delta => Cell::Amount,
            Column::BaselineExact | Column::ScenarioExact | Column::DeltaExact => Cell::Exact,
            _ => Cell::Text,
        }
    }

    /// The column's position in [`Column::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One table of the export: a `table` value of the CSV, a sheet of the workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Table {
    /// One row per (scenario, BOM line): every line, imported or not; the line's total.
    Line,
    /// One row per (scenario, line, cost): the line's goods, its freight, insurance and
    /// brokerage (when not zero), then each duty and fee charged on it on either side (absent
    /// on a side: zero there). A line's charge rows add up to
    /// its line row.
    Charge,
    /// One row per (scenario, measure or fee), summed over the lines.
    Measure,
    /// One row per (scenario, priced material): its goods cost, summed over the lines.
    Material,
    /// The response's totals and effects, one row per (scenario, total).
    Total,
}

impl Table {
    /// Every table, in the order of the CSV's rows and the workbook's sheets.
    pub const ALL: [Table; 5] = [
        Table::Line,
        Table::Charge,
        Table::Measure,
        Table::Material,
        Table::Total,
    ];

    /// The `table` value and sheet name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Line => "line",
            Table::Charge => "charge",
            Table::Measure => "measure",
            Table::Material => "material",
            Table::Total => "total",
        }
    }

    /// The columns this table fills, in header order: the columns of its sheet (the CSV has
    /// every column on every row, empty where the table has nothing to put).
    pub fn columns(self) -> Vec<Column> {
        use Column as C;
        let own: &[Column] = match self {
            Table::Line => &[
                C::Path,
                C::FieldPath,
                C::Description,
                C::Kind,
                C::HtsCode,
                C::Origin,
                C::MaterialId,
                C::Quantity,
                C::Unit,
            ],
            Table::Charge => &[
                C::Path,
                C::FieldPath,
                C::Description,
                C::Kind,
                C::HtsCode,
                C::Origin,
                C::MaterialId,
                C::ChargeType,
                C::MeasureId,
                C::Program,
                C::FeeKind,
                C::Name,
            ],
            Table::Measure => &[C::MeasureId, C::Program, C::FeeKind, C::Name],
            Table::Material => &[C::MaterialId, C::Name, C::Quantity, C::Unit],
            Table::Total => &[C::Name],
        };
        let mut columns = vec![C::ScenarioName, C::ScenarioRank, C::Currency];
        columns.extend_from_slice(own);
        columns.extend_from_slice(&[
            C::Baseline,
            C::Scenario,
            C::Delta,
            C::BaselineExact,
            C::ScenarioExact,
            C::DeltaExact,
        ]);
        if self == Table::Charge {
            columns.extend_from_slice(&[C::BaselineFormula, C::ScenarioFormula]);
        }
        columns.sort_by_key(|c| c.index());
        columns
    }
}

/// True for a plain decimal such as `-12.50` or `3` (optional minus, digits, optional
/// fraction): a number a spreadsheet reads as a number, never as a formula. Anything else in
/// a number column (which a sound response never has) is written as text.
pub(crate) fn is_plain_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header is the contract: these names in this order.
    #[test]
    fn the_header_names_are_the_documented_ones_in_order() {
        let names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(
            names.join(","),
            "table,scenario_name,scenario_rank,currency,path,field_path,description,kind,\
             hts_code,origin,material_id,quantity,unit,charge_type,measure_id,program,fee_kind,\
             name,baseline,scenario,delta,baseline_exact,scenario_exact,delta_exact,\
             baseline_formula,scenario_formula"
        );
        for (i, c) in Column::ALL.iter().enumerate() {
            assert_eq!(c.index(), i, "{c:?}");
        }
    }

    /// Every sheet keeps the header's order, so a sheet's columns are a sub-list of the CSV's.
    #[test]
    fn each_sheet_lists_its_columns_in_header_order() {
        for t in Table::ALL {
            let idx: Vec<usize> = t.columns().iter().map(|c| c.index()).collect();
            assert!(idx.windows(2).all(|w| w[0] < w[1]), "{t:?}: {idx:?}");
            assert!(!t.columns().contains(&Column::Table));
        }
    }
}
