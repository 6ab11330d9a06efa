//! `hts import`: reads an official USITC HTS export (the bare array users download, or the
//! wrapped extract) and writes its MFN rates as a catalog schedule that `serve --catalog` and
//! `calc --catalog` load, reporting every line it could not use and why.

use crate::hts::compile::{ScheduleMeta, mfn_schedule};
use crate::hts::export;
use std::fmt::Write as _;
use std::path::PathBuf;

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
}

/// Imports the export and writes the schedule; returns the report to print.
pub fn import(args: &ImportArgs) -> Result<String, String> {
    let json =
        std::fs::read_to_string(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let export = export::read(&json)
        .map_err(|e| format!("{}: not a USITC HTS export: {e}", args.file.display()))?;
    let as_of_date = args
        .as_of_date
        .clone()
        .or_else(|| export.fetched_at.clone())
        .ok_or("the export has no fetched_at: give --as-of-date")?;
    let source = args
        .source
        .clone()
        .or_else(|| export.source.clone())
        .ok_or("the export names no source: give --source")?;
    let import = export::mfn(&export);
    let meta = ScheduleMeta {
        id: args.id.clone(),
        name: format!("US MFN rates (HTS export of {as_of_date})"),
        as_of_date,
        source,
    };
    let schedule = mfn_schedule(&import, &meta);
    let dir = args.out.join("tariff_schedules");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("{}.json", args.id));
    let body = serde_json::to_string_pretty(&schedule).map_err(|e| e.to_string())?;
    std::fs::write(&path, body + "\n").map_err(|e| format!("{}: {e}", path.display()))?;

    let mut report = String::new();
    let numbered = export.lines.len();
    let chapter99 = export.lines.iter().filter(|l| l.is_chapter99()).count();
    let _ = writeln!(
        report,
        "{}: {} rows, {numbered} numbered lines ({chapter99} in chapter 99, not imported here)",
        args.file.display(),
        export.rows
    );
    let inherited = import
        .rates
        .iter()
        .filter(|r| r.inherited_from.is_some())
        .count();
    let _ = writeln!(
        report,
        "MFN rates: {} lines ({inherited} take their 8-digit line's rate); {} headings without a rate; {} lines skipped",
        import.rates.len(),
        import.unrated.len(),
        import.skipped.len()
    );
    for s in &import.skipped {
        let _ = writeln!(report, "skipped {}: {}", s.htsno, s.reason);
    }
    let _ = writeln!(report, "wrote {}", path.display());
    Ok(report)
}
