//! The analysts' command line: `calc` computes one request locally with the same resolvers,
//! validation and engine as the server, from a request in JSON (the grpcurl format) or a BOM
//! in CSV plus preset ids, and prints a readable table, the JSON response, or a flat export
//! (CSV or XLSX, see [`crate::export`]).

pub mod catalog;
pub mod hts;
pub mod table;

use crate::api::{ApiError, Context, calculate};
use crate::catalog::Catalog;
use crate::convert::Limits;
use crate::convert::bom_csv;
use crate::engine::Meter;
use crate::export;
use crate::pb;
use std::path::Path;
use std::sync::Arc;

/// Where a calculation's inputs come from on the command line: a request file, or a CSV BOM
/// with sources and options from flags. With a request file every flag still applies: a
/// source or option flag overrides the file's value, and the flags that only describe a CSV
/// BOM (`bom_id`, `currency`) are refused, so no flag is ever silently ignored.
#[derive(Debug, Clone, Default)]
pub struct CalcArgs {
    /// A CalculateImpactRequest in proto3 JSON (`-` for standard input).
    pub request: Option<String>,
    /// A BOM in CSV.
    pub bom_csv: Option<String>,
    /// BOM id for a CSV BOM (default: the file's stem).
    pub bom_id: Option<String>,
    /// Currency of a CSV BOM (default: USD).
    pub currency: Option<String>,
    /// Baseline prices: a preset id or a `.json` price deck file.
    pub baseline_prices: Option<String>,
    /// Scenario prices: a preset id or a `.json` file.
    pub scenario_prices: Option<String>,
    /// Baseline schedule: a preset id or a `.json` file.
    pub baseline_schedule: Option<String>,
    /// Scenario schedule: a preset id or a `.json` file.
    pub scenario_schedule: Option<String>,
    /// The options given as flags.
    pub options: OptionFlags,
}

/// The calculation options given on the command line; `None` (or `false`, or empty) is a
/// flag not given, which leaves the request's value (or the default) alone. Flags can only
/// switch a boolean option on and add acknowledged gaps: a flag's absence says nothing.
#[derive(Debug, Clone, Default)]
pub struct OptionFlags {
    /// `entry_date`.
    pub entry_date: Option<String>,
    /// `scenario_entry_date`.
    pub scenario_entry_date: Option<String>,
    /// `units_per_entry`.
    pub units_per_entry: Option<String>,
    /// `annual_volume`.
    pub annual_volume: Option<String>,
    /// `rounding_mode`.
    pub rounding: Option<pb::RoundingMode>,
    /// Sets `require_coverage`.
    pub require_coverage: bool,
    /// Sets `estimate_metal_content`.
    pub estimate_metal_content: bool,
    /// Added to `acknowledged_gaps` (those of the request are kept).
    pub acknowledged_gaps: Vec<String>,
}

impl OptionFlags {
    /// Writes each given flag over `o`.
    fn apply(&self, o: &mut pb::CalculationOptions) {
        let set = |field: &mut String, flag: &Option<String>| {
            if let Some(v) = flag {
                field.clone_from(v);
            }
        };
        set(&mut o.entry_date, &self.entry_date);
        set(&mut o.scenario_entry_date, &self.scenario_entry_date);
        set(&mut o.units_per_entry, &self.units_per_entry);
        set(&mut o.annual_volume, &self.annual_volume);
        if let Some(r) = self.rounding {
            o.rounding_mode = r as i32;
        }
        o.require_coverage |= self.require_coverage;
        o.estimate_metal_content |= self.estimate_metal_content;
        for g in &self.acknowledged_gaps {
            if !o.acknowledged_gaps.contains(g) {
                o.acknowledged_gaps.push(g.clone());
            }
        }
    }
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

/// Builds the request `args` describe: the request file or the CSV BOM, then the source and
/// option flags over it.
pub fn build_request(
    args: &CalcArgs,
) -> Result<(pb::CalculateImpactRequest, bom_csv::RowIndex), CalcError> {
    use pb::calculate_impact_request::BomSource;
    let (mut req, rows) = match (&args.request, &args.bom_csv) {
        (Some(path), None) => {
            refuse_csv_flags(args)?;
            (json(path)?, bom_csv::RowIndex::default())
        }
        (None, Some(path)) => {
            let id = args.bom_id.clone().unwrap_or_else(|| {
                Path::new(path)
                    .file_stem()
                    .map_or("bom".into(), |s| s.to_string_lossy().into_owned())
            });
            let currency = args.currency.as_deref().unwrap_or("USD");
            let (bom, rows) =
                bom_csv::parse(&read(path)?, &id, currency).map_err(CalcError::Input)?;
            let req = pb::CalculateImpactRequest {
                bom_source: Some(BomSource::Bom(bom)),
                ..Default::default()
            };
            (req, rows)
        }
        _ => {
            return Err(CalcError::Input(
                "give exactly one of --request FILE or --bom-csv FILE".into(),
            ));
        }
    };
    override_sources(&mut req, args)?;
    args.options
        .apply(req.options.get_or_insert_with(Default::default));
    Ok((req, rows))
}

/// Refuses the flags that describe a CSV BOM next to a request file, which has a BOM of its
/// own: applying them would mean a second BOM, ignoring them would surprise.
fn refuse_csv_flags(args: &CalcArgs) -> Result<(), CalcError> {
    let given = [
        ("--bom-id", args.bom_id.is_some()),
        ("--currency", args.currency.is_some()),
    ];
    match given.iter().find(|(_, on)| *on) {
        Some((flag, _)) => Err(CalcError::Input(format!(
            "{flag} describes a CSV BOM (--bom-csv) and cannot be used with --request: the \
             request file has its own BOM (set its id and currency there)"
        ))),
        None => Ok(()),
    }
}

/// Sets each price deck and schedule given as a flag (a preset id, or a `.json` file) in
/// place of the request's.
fn override_sources(
    req: &mut pb::CalculateImpactRequest,
    args: &CalcArgs,
) -> Result<(), CalcError> {
    use pb::calculate_impact_request::{
        BaselinePricesSource as Bp, BaselineScheduleSource as Bs, ScenarioPricesSource as Sp,
        ScenarioScheduleSource as Ss,
    };
    let is_file = |v: &str| v.ends_with(".json");
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
    Ok(())
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
        live: None,
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
