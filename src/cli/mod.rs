//! The analysts' command line: `calc` computes one request locally with the same resolvers,
//! validation and engine as the server, from a request in JSON (the grpcurl format) or a BOM
//! in CSV plus preset ids, and prints a readable table, the JSON response, or a flat export
//! (CSV or XLSX, see [`crate::export`]).

pub(crate) mod csv_bom;
pub mod hts;
pub mod table;

use crate::api::{ApiError, Context, calculate};
use crate::catalog::Catalog;
use crate::convert::Limits;
use crate::engine::Meter;
use crate::export;
use crate::pb;
use std::path::Path;
use std::sync::Arc;

/// Where a calculation's inputs come from on the command line.
#[derive(Debug, Clone, Default)]
pub struct CalcArgs {
    /// A CalculateImpactRequest in proto3 JSON (`-` for standard input).
    pub request: Option<String>,
    /// A BOM in CSV.
    pub bom_csv: Option<String>,
    /// BOM id for a CSV BOM (default: the file's stem).
    pub bom_id: Option<String>,
    /// Currency of a CSV BOM.
    pub currency: String,
    /// Baseline prices: a preset id or a `.json` price deck file.
    pub baseline_prices: Option<String>,
    /// Scenario prices: a preset id or a `.json` file.
    pub scenario_prices: Option<String>,
    /// Baseline schedule: a preset id or a `.json` file.
    pub baseline_schedule: Option<String>,
    /// Scenario schedule: a preset id or a `.json` file.
    pub scenario_schedule: Option<String>,
    /// Options for a CSV BOM.
    pub options: pb::CalculationOptions,
}

/// A failure of `calc`, printed to standard error.
#[derive(Debug)]
pub enum CalcError {
    /// Reading or parsing the input files.
    Input(String),
    /// The calculation rejected the inputs: the status message and one line per violation.
    Rejected(Vec<String>),
    /// The result could not be written in the format asked for.
    Output(String),
}

fn read(path: &str) -> Result<String, CalcError> {
    if path == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| CalcError::Input(format!("standard input: {e}")))
    } else {
        std::fs::read_to_string(path).map_err(|e| CalcError::Input(format!("{path}: {e}")))
    }
}

fn json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, CalcError> {
    serde_json::from_str(&read(path)?)
        .map_err(|e| CalcError::Input(format!("{path}: not valid proto3 JSON: {e}")))
}

/// Builds the request `args` describe.
pub fn build_request(
    args: &CalcArgs,
) -> Result<(pb::CalculateImpactRequest, csv_bom::RowIndex), CalcError> {
    use pb::calculate_impact_request::{
        BaselinePricesSource as Bp, BaselineScheduleSource as Bs, BomSource,
        ScenarioPricesSource as Sp, ScenarioScheduleSource as Ss,
    };
    match (&args.request, &args.bom_csv) {
        (Some(path), None) => Ok((json(path)?, csv_bom::RowIndex::default())),
        (None, Some(path)) => {
            let id = args.bom_id.clone().unwrap_or_else(|| {
                Path::new(path)
                    .file_stem()
                    .map_or("bom".into(), |s| s.to_string_lossy().into_owned())
            });
            let (bom, rows) =
                csv_bom::parse(&read(path)?, &id, &args.currency).map_err(CalcError::Input)?;
            let is_file = |v: &str| v.ends_with(".json");
            let mut req = pb::CalculateImpactRequest {
                bom_source: Some(BomSource::Bom(bom)),
                options: Some(args.options.clone()),
                ..Default::default()
            };
            if let Some(v) = &args.baseline_prices {
                req.baseline_prices_source = Some(if is_file(v) {
                    Bp::BaselinePrices(json(v)?)
                } else {
                    Bp::BaselinePricesId(v.clone())
                });
            }
            if let Some(v) = &args.scenario_prices {
                req.scenario_prices_source = Some(if is_file(v) {
                    Sp::ScenarioPrices(json(v)?)
                } else {
                    Sp::ScenarioPricesId(v.clone())
                });
            }
            if let Some(v) = &args.baseline_schedule {
                req.baseline_schedule_source = Some(if is_file(v) {
                    Bs::BaselineSchedule(json(v)?)
                } else {
                    Bs::BaselineScheduleId(v.clone())
                });
            }
            if let Some(v) = &args.scenario_schedule {
                req.scenario_schedule_source = Some(if is_file(v) {
                    Ss::ScenarioSchedule(json(v)?)
                } else {
                    Ss::ScenarioScheduleId(v.clone())
                });
            }
            Ok((req, rows))
        }
        _ => Err(CalcError::Input(
            "give exactly one of --request FILE or --bom-csv FILE".into(),
        )),
    }
}

/// Computes `args` against `catalog`.
pub fn calc(
    catalog: Arc<Catalog>,
    args: &CalcArgs,
) -> Result<pb::CalculateImpactResponse, CalcError> {
    run(catalog, args).map(|(_, r)| r)
}

/// Computes `args` against `catalog` and writes the result as `format`: `table` (the
/// default), `json` (the response in proto3 JSON), `csv` or `xlsx` (the flat export, whose
/// `hts_code` and `origin` come from the request's BOM).
pub fn calc_output(
    catalog: Arc<Catalog>,
    args: &CalcArgs,
    format: &str,
) -> Result<Vec<u8>, CalcError> {
    let (req, r) = run(catalog.clone(), args)?;
    let summary = req.options.as_ref().map(|o| o.view) == Some(pb::ResultView::Summary as i32);
    let export = |f: export::Format| {
        if summary {
            // A summary has no lines: an export would lack its line and charge rows.
            return Err(CalcError::Input(format!(
                "--format {format} exports every line: the request asks for RESULT_VIEW_SUMMARY"
            )));
        }
        let rows = export::rows::impact(&r, export::impact_bom(&catalog, &req));
        f.write(&rows).map_err(|e| CalcError::Output(e.to_string()))
    };
    match format {
        "json" => serde_json::to_string_pretty(&r)
            .map(|s| format!("{s}\n").into_bytes())
            .map_err(|e| CalcError::Output(e.to_string())),
        "csv" => export(export::Format::Csv),
        "xlsx" => export(export::Format::Xlsx),
        _ => Ok(table::render(&r).into_bytes()),
    }
}

/// The request `args` describe and its result.
fn run(
    catalog: Arc<Catalog>,
    args: &CalcArgs,
) -> Result<(pb::CalculateImpactRequest, pb::CalculateImpactResponse), CalcError> {
    let (req, rows) = build_request(args)?;
    let ctx = Context {
        catalog,
        limits: Limits::default(),
    };
    // One local calculation for the person at the terminal: no server budgets apply.
    let r = calculate::calculate(&ctx, &req, &Meter::unlimited()).map_err(|e| {
        let mut lines = vec![e.message()];
        if let ApiError::InvalidArgument(_) = &e {
            for v in &e.violations() {
                lines.push(format!(
                    "  {}{}: {} ({})",
                    v.field,
                    rows.describe(&v.field),
                    v.description,
                    v.reason
                ));
            }
        }
        CalcError::Rejected(lines)
    })?;
    Ok((req, r))
}
