//! Flat exports of a result for spreadsheets: `calc --format csv` and `--format xlsx`.
//!
//! A `CalculateImpactResponse` is 27 KB of nested JSON per product; analysts want rows they
//! can filter, pivot and sum. An export is five tables of rows, every amount as the response
//! gives it:
//!
//! - `line`: one row per BOM line (every line, imported or not): the line's total.
//! - `charge`: per line, its own goods (material and component lines), the freight,
//!   insurance and brokerage landed cost adds to an imported line (`charge_type` `freight`,
//!   `insurance`, `brokerage`; only when not zero on both sides), and each duty and fee
//!   charged on it; an amount found on one side only is zero on the other. A line's charge
//!   rows add up to its line row.
//! - `measure`: one row per measure or fee, summed over the lines.
//! - `material`: one row per priced material: its goods cost.
//! - `total`: `materials`, `components`, `freight`, `insurance`, `brokerage`, `duties`,
//!   `fees`, `credits` and `unit_cost` (the response's subtotals, in the order they make the
//!   total, and unit cost), then the effect split `price_effect`, `fx_effect` (the change due
//!   to the exchange rates alone, zero without FX decks or with the same deck on both sides),
//!   `tariff_effect`, `interaction` (which add up to the unit cost's delta), and
//!   `annual_impact` and `effective_delta` when given (delta only).
//!
//! A `CompareScenariosResponse` gives the same rows per scenario, told apart by
//! `scenario_name` and `scenario_rank` (both empty for a `CalculateImpact` result).
//!
//! What adds up, per scenario, to the cent and on each of `baseline`, `scenario`, `delta`
//! (the service's lines add up to its totals, and rounded amounts are summed, never
//! re-rounded): the `line` rows plus the `credits` total make `unit_cost`; so do the `charge`
//! rows plus `credits`; the `duty` charges make `duties` and the `fee` charges `fees`, as do
//! the `measure` rows together; the `freight`, `insurance` and `brokerage` charges make the
//! subtotals of those names; the `material` rows make `materials`. On `delta`,
//! `price_effect + fx_effect + tariff_effect + interaction` is the `unit_cost` delta.
//!
//! The workbook holds values only, never spreadsheet formulas: each amount is the response's
//! own number (so a sum of a sheet's column is the spreadsheet's, checked to meet the totals
//! to the cent by `scripts/check_export.py`).
//!
//! The columns, in order (the CSV has all of them on every row, empty where a table has
//! nothing to put; each sheet has its table's, see [`Table::columns`]): `table`,
//! `scenario_name`, `scenario_rank`, `currency`, `path`, `field_path`, `description`,
//! `kind`, `hts_code`, `origin`, `material_id`, `quantity`, `unit`, `charge_type`,
//! `measure_id`, `program`, `fee_kind`, `name`, `baseline`, `scenario`, `delta`,
//! `baseline_exact`, `scenario_exact`, `delta_exact`, `baseline_formula`,
//! `scenario_formula`. [`Column`] says what each holds. `baseline`, `scenario`, `delta` are
//! rounded to the currency's minor unit as the response gives them (`delta` of a charge,
//! goods or subtotal row, which the response does not give, is the exact difference of the
//! two rounded amounts); the `*_exact` columns are the unrounded values where the response
//! has them (charges and `unit_cost`) and empty elsewhere. Enum values are the proto names
//! without their prefix, in lower case (`section_301`, `mpf`, `material`, `kg`). `hts_code`
//! and `origin` are the line's own import declaration, read from the request's BOM.
//!
//! The column list is a contract: columns are only ever added at the end.

pub mod csv;
mod imports;
pub mod rows;
pub mod schema;
pub mod xlsx;

pub use rows::Row;
pub use schema::{Column, Table};

use crate::catalog::Catalog;
use crate::pb;

/// Writing an export failed (a workbook limit such as the rows of a sheet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError(pub String);

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExportError {}

/// A file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One CSV (RFC 4180) with a `table` column.
    Csv,
    /// An XLSX workbook with a sheet per table.
    Xlsx,
}

impl Format {
    /// The rows written in this format.
    pub fn write(self, rows: &[Row]) -> Result<Vec<u8>, ExportError> {
        match self {
            Format::Csv => csv::write(rows),
            Format::Xlsx => xlsx::write(rows),
        }
    }
}

/// The BOM a `CalculateImpact` request costs: its inline BOM or the preset it names.
pub fn impact_bom<'a>(
    catalog: &'a Catalog,
    req: &'a pb::CalculateImpactRequest,
) -> Option<&'a pb::Bom> {
    use pb::calculate_impact_request::BomSource;
    match req.bom_source.as_ref()? {
        BomSource::Bom(b) => Some(b),
        BomSource::BomId(id) => catalog.bom(id).map(|e| &*e.proto),
    }
}

/// The BOM a `CompareScenarios` request costs: its inline BOM or the preset it names.
pub fn compare_bom<'a>(
    catalog: &'a Catalog,
    req: &'a pb::CompareScenariosRequest,
) -> Option<&'a pb::Bom> {
    use pb::compare_scenarios_request::BomSource;
    match req.bom_source.as_ref()? {
        BomSource::Bom(b) => Some(b),
        BomSource::BomId(id) => catalog.bom(id).map(|e| &*e.proto),
    }
}

#[cfg(test)]
mod tests;
