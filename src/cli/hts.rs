//! `hts import`: reads an official USITC HTS export (the bare array users download, or the
//! wrapped extract) and the data files beside it, compiles them ([`crate::hts::official`])
//! and writes the schedule as a catalog file that `serve --catalog` and `calc --catalog`
//! load, reporting every line and heading it could not use and why.

use crate::hts::official::{self, Inputs, Named};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What `hts import` reads and writes.
#[derive(Debug, Clone)]
pub struct ImportArgs {
    /// The export file (JSON).
    pub file: PathBuf,
    /// Catalog directory to write `tariff_schedules/<id>.json` into.
    pub out: PathBuf,
    /// Schedule id.
    pub id: String,
    /// As-of date; default: the wrapper's `fetched_at`.
    pub as_of_date: Option<String>,
    /// Source text; default: the wrapper's `source`.
    pub source: Option<String>,
    /// Section 301 product lists (CSV), if any.
    pub section_301: Option<PathBuf>,
    /// A schedule file whose fees the compiled schedule takes, if any.
    pub fees_from: Option<PathBuf>,
    /// The preference programs (JSON array), if any.
    pub preference_programs: Option<PathBuf>,
    /// Chapter 99 measures compiled from the notes (JSON array of Measure), if any.
    pub measures: Option<PathBuf>,
    /// Section 232 derivative products and their headings' rates (CSV, CSV), if any.
    pub section_232: Option<(PathBuf, PathBuf)>,
    /// Estimated metal shares (CSV) and their source, if any.
    pub metal_shares: Option<(PathBuf, String)>,
    /// Programs the data does not carry (JSON array of KnownGap), if any.
    pub known_gaps: Option<PathBuf>,
}

fn read(path: &Path) -> Result<Named, String> {
    Ok(Named {
        name: path.display().to_string(),
        text: std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
    })
}

fn read_opt(path: Option<&PathBuf>) -> Result<Option<Named>, String> {
    path.map(|p| read(p)).transpose()
}

/// Imports the export and writes the schedule; returns the report to print.
pub fn import(args: &ImportArgs) -> Result<String, String> {
    let export = read(&args.file)?;
    let inputs = Inputs {
        id: args.id.clone(),
        as_of_date: args.as_of_date.clone(),
        source: args.source.clone(),
        section_301: read_opt(args.section_301.as_ref())?,
        section_232: match &args.section_232 {
            Some((products, rates)) => Some((read(products)?, read(rates)?)),
            None => None,
        },
        measures: read_opt(args.measures.as_ref())?,
        metal_shares: match &args.metal_shares {
            Some((path, source)) => Some((read(path)?, source.clone())),
            None => None,
        },
        fees_from: read_opt(args.fees_from.as_ref())?,
        preference_programs: read_opt(args.preference_programs.as_ref())?,
        known_gaps: read_opt(args.known_gaps.as_ref())?,
    };
    let (schedule, mut report) = official::compile(&export.name, &export.text, &inputs)?;
    let dir = args.out.join("tariff_schedules");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("{}.json", args.id));
    let body = serde_json::to_string_pretty(&schedule).map_err(|e| e.to_string())?;
    std::fs::write(&path, body + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    let _ = writeln!(report, "wrote {}", path.display());
    Ok(report)
}
