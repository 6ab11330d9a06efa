//! `hts import`: reads an official USITC HTS export (the bare array users download, or the
//! wrapped extract) and writes its MFN rates as a catalog schedule that `serve --catalog` and
//! `calc --catalog` load, reporting every line it could not use and why.

use crate::engine::model::Program;
use crate::hts::compile::{ScheduleMeta, add_list_measures, list_measures, mfn_schedule};
use crate::hts::{cited, derivatives, export, lists, metal_shares};
use crate::pb;
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
}

/// The alternatives group of the Section 301 list measures: one Section 301 rate per line.
const SECTION_301_GROUP: &str = "section-301";

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// Adds the Section 232 derivative measures of `products` rated by `rates`.
fn section_232(
    schedule: &mut pb::TariffSchedule,
    products: &Path,
    rates: &Path,
    report: &mut String,
) -> Result<(), String> {
    let imported = derivatives::import(
        &read(products)?,
        &read(rates)?,
        &format!(
            "the Section 232 derivative products {}",
            file_name(products)
        ),
    )?;
    let _ = writeln!(
        report,
        "Section 232 derivatives: {} product rows ({} undated: in force from their heading's first rate period), {} measures on the metal content (group {:?}: one derivative duty per line)",
        imported.rows,
        imported.undated,
        imported.measures.len(),
        derivatives::GROUP
    );
    schedule.description = format!(
        "{}; Section 232 steel and aluminum derivatives on the metal content from {}: {} measures",
        schedule.description,
        file_name(products),
        imported.measures.len()
    );
    schedule.measures.extend(imported.measures);
    Ok(())
}

/// Adds the metal-share estimates of `path` for the codes the schedule's metal-content
/// measures cover.
fn metal_share_estimates(
    schedule: &mut pb::TariffSchedule,
    path: &Path,
    source: &str,
    report: &mut String,
) -> Result<(), String> {
    let covered: Vec<&str> = schedule
        .measures
        .iter()
        .filter(|m| m.basis == pb::DutyBasis::MetalContent as i32)
        .flat_map(|m| m.hts_prefixes.iter().map(String::as_str))
        .collect();
    let (estimates, rows) = metal_shares::estimates(&read(path)?, &covered)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let _ = writeln!(
        report,
        "metal-share estimates: {} of {rows} rows, those under a metal-content measure (used only when a request sets estimate_metal_content)",
        estimates.len()
    );
    schedule.metal_share_estimates = estimates;
    schedule.metal_share_estimates_source = source.to_string();
    Ok(())
}

/// Adds the chapter 99 measures of `path` (compiled from the U.S. notes), each checked
/// against its heading in `export`.
fn cited_measures(
    schedule: &mut pb::TariffSchedule,
    export: &export::Export,
    path: &Path,
    report: &mut String,
) -> Result<(), String> {
    let measures: Vec<pb::Measure> = serde_json::from_str(&read(path)?)
        .map_err(|e| format!("{}: not a list of measures: {e}", path.display()))?;
    let checked =
        cited::check(export, &measures).map_err(|e| format!("{}: {e}", path.display()))?;
    let _ = writeln!(
        report,
        "chapter 99 measures from the notes: {} ({})",
        measures.len(),
        path.display()
    );
    for c in &checked {
        let _ = writeln!(report, "  {}: {}", c.id, c.finding);
    }
    let ids: Vec<&str> = measures.iter().map(|m| m.id.as_str()).collect();
    schedule.description = format!(
        "{}; chapter 99 measures compiled from the U.S. notes ({}): {}",
        schedule.description,
        file_name(path),
        ids.join(", ")
    );
    schedule.measures.extend(measures);
    Ok(())
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
        as_of_date: as_of_date.clone(),
        source,
    };
    let mut schedule = mfn_schedule(&import, &meta);
    let mut lists_report = String::new();
    if let Some(path) = &args.section_301 {
        let csv = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let listed = lists::read(&csv).map_err(|e| format!("{}: {e}", path.display()))?;
        let imported = lists::import(&export, &listed);
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        let measures = list_measures(
            &imported,
            Program::Section301,
            SECTION_301_GROUP,
            &meta,
            &format!("the Section 301 product lists {name}"),
        );
        let _ = writeln!(
            lists_report,
            "Section 301: {} list rows under {} headings: {} measures (group {SECTION_301_GROUP:?}: one rate per line, the highest in force); {} headings not charged",
            imported.rows,
            imported.measures.len() + imported.unused.len(),
            imported.measures.len(),
            imported.unused.len()
        );
        for u in &imported.unused {
            let _ = writeln!(
                lists_report,
                "not charged {} ({} list rows): {}",
                u.heading, u.rows, u.reason
            );
        }
        add_list_measures(&mut schedule, measures, Program::Section301);
    }
    if let Some((products, rates)) = &args.section_232 {
        section_232(&mut schedule, products, rates, &mut lists_report)?;
    }
    if let Some(path) = &args.measures {
        cited_measures(&mut schedule, &export, path, &mut lists_report)?;
    }
    if let Some((path, source)) = &args.metal_shares {
        metal_share_estimates(&mut schedule, path, source, &mut lists_report)?;
    }
    if args.section_301.is_some() || args.section_232.is_some() || args.measures.is_some() {
        schedule.name = format!("US HTS export of {as_of_date}: MFN and chapter 99 measures");
    }
    if let Some(path) = &args.fees_from {
        let json = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let from: pb::TariffSchedule = serde_json::from_str(&json)
            .map_err(|e| format!("{}: not a tariff schedule: {e}", path.display()))?;
        let _ = writeln!(
            lists_report,
            "fees: {} from schedule {:?} ({})",
            from.fees.len(),
            from.id,
            path.display()
        );
        schedule.description = format!(
            "{}; fees (MPF, HMF) as in schedule {:?}",
            schedule.description, from.id
        );
        schedule.fees = from.fees;
    }
    if let Some(path) = &args.preference_programs {
        let json = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let programs: Vec<pb::PreferenceProgram> = serde_json::from_str(&json)
            .map_err(|e| format!("{}: not a list of preference programs: {e}", path.display()))?;
        let _ = writeln!(
            lists_report,
            "preference programs: {} ({})",
            programs.len(),
            path.display()
        );
        schedule.preference_programs = programs;
    }
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
        "{}: {} rows, {numbered} numbered lines ({chapter99} in chapter 99: charged only through product lists and measures files)",
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
    report.push_str(&lists_report);
    let _ = writeln!(report, "wrote {}", path.display());
    Ok(report)
}
