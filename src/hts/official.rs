//! The official schedule compiled from an HTS export and the data beside it (Section 301
//! lists, Section 232 derivative lists and rates, chapter 99 measures from the U.S. notes,
//! metal-share estimates, preference programs, user fees), each given as a named text: `hts
//! import` reads them from files, `serve --hts-export` takes the data shipped in the binary
//! ([`super::bundled`]). One compile for both, so a schedule loaded at start is the schedule
//! the importer would have written.

use super::compile::{ScheduleMeta, add_list_measures, list_measures, mfn_schedule};
use super::{cited, derivatives, export, lists, metal_shares};
use crate::engine::model::Program;
use crate::pb;
use std::fmt::Write as _;

/// An input: its name (the path it was read from, shown in reports; its last part is cited in
/// the schedule) and its text.
#[derive(Debug, Clone)]
pub struct Named {
    /// Where it was read from.
    pub name: String,
    /// Its contents.
    pub text: String,
}

impl Named {
    /// The last part of the name, as the schedule's sources cite it.
    pub fn file_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
}

/// What a compile reads, besides the export.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Schedule id.
    pub id: String,
    /// As-of date; default: the export wrapper's `fetched_at`.
    pub as_of_date: Option<String>,
    /// Source text; default: the export wrapper's `source`.
    pub source: Option<String>,
    /// Section 301 product lists (CSV).
    pub section_301: Option<Named>,
    /// Section 232 derivative products and their headings' rates (CSV, CSV).
    pub section_232: Option<(Named, Named)>,
    /// Chapter 99 measures compiled from the notes (JSON array of Measure).
    pub measures: Option<Named>,
    /// Estimated metal shares (CSV) and their source.
    pub metal_shares: Option<(Named, String)>,
    /// A schedule (JSON) whose fees the compiled schedule takes.
    pub fees_from: Option<Named>,
    /// The preference programs (JSON array).
    pub preference_programs: Option<Named>,
    /// Programs the data does not carry and the imports they may concern (JSON array of
    /// KnownGap), reported as coverage gaps.
    pub known_gaps: Option<Named>,
}

/// The alternatives group of the Section 301 list measures: one Section 301 rate per line.
const SECTION_301_GROUP: &str = "section-301";

/// Adds the Section 232 derivative measures of `products` rated by `rates`.
fn section_232(
    schedule: &mut pb::TariffSchedule,
    products: &Named,
    rates: &Named,
    report: &mut String,
) -> Result<(), String> {
    let imported = derivatives::import(
        &products.text,
        &rates.text,
        &format!(
            "the Section 232 derivative products {}",
            products.file_name()
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
        products.file_name(),
        imported.measures.len()
    );
    schedule.measures.extend(imported.measures);
    Ok(())
}

/// Adds the metal-share estimates of `path` for the codes the schedule's metal-content
/// measures cover.
fn metal_share_estimates(
    schedule: &mut pb::TariffSchedule,
    path: &Named,
    source: &str,
    report: &mut String,
) -> Result<(), String> {
    let covered: Vec<&str> = schedule
        .measures
        .iter()
        .filter(|m| m.basis == pb::DutyBasis::MetalContent as i32)
        .flat_map(|m| m.hts_prefixes.iter().map(String::as_str))
        .collect();
    let (estimates, rows) =
        metal_shares::estimates(&path.text, &covered).map_err(|e| format!("{}: {e}", path.name))?;
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
    path: &Named,
    report: &mut String,
) -> Result<(), String> {
    let measures: Vec<pb::Measure> = serde_json::from_str(&path.text)
        .map_err(|e| format!("{}: not a list of measures: {e}", path.name))?;
    let checked = cited::check(export, &measures).map_err(|e| format!("{}: {e}", path.name))?;
    let _ = writeln!(
        report,
        "chapter 99 measures from the notes: {} ({})",
        measures.len(),
        path.name
    );
    for c in &checked {
        let _ = writeln!(report, "  {}: {}", c.id, c.finding);
    }
    let ids: Vec<&str> = measures.iter().map(|m| m.id.as_str()).collect();
    schedule.description = format!(
        "{}; chapter 99 measures compiled from the U.S. notes ({}): {}",
        schedule.description,
        path.file_name(),
        ids.join(", ")
    );
    schedule.measures.extend(measures);
    Ok(())
}

/// Adds the known gaps of `path`: the programs the data does not carry, each reported by a
/// costing for every import it may concern.
fn known_gaps(
    schedule: &mut pb::TariffSchedule,
    path: &Named,
    report: &mut String,
) -> Result<(), String> {
    let gaps: Vec<pb::KnownGap> = serde_json::from_str(&path.text)
        .map_err(|e| format!("{}: not a list of known gaps: {e}", path.name))?;
    let _ = writeln!(
        report,
        "known gaps (programs not carried, reported as coverage gaps): {} ({})",
        gaps.len(),
        path.name
    );
    for g in &gaps {
        let _ = writeln!(
            report,
            "  {}: HTS prefixes {}, origins {}{}",
            g.id,
            if g.hts_prefixes.is_empty() {
                "all".to_string()
            } else {
                g.hts_prefixes.len().to_string()
            },
            if g.origins.is_empty() {
                "all".to_string()
            } else {
                g.origins.join(", ")
            },
            match (g.effective_from.as_str(), g.effective_to.as_str()) {
                ("", "") => String::new(),
                (from, "") => format!(", from {from}"),
                ("", to) => format!(", before {to}"),
                (from, to) => format!(", from {from} before {to}"),
            }
        );
    }
    schedule.known_gaps = gaps;
    Ok(())
}

/// Compiles the schedule of `export_json` (read from `export_name`) with `inputs`; returns it
/// and the report of what was imported, left out and why.
pub fn compile(
    export_name: &str,
    export_json: &str,
    inputs: &Inputs,
) -> Result<(pb::TariffSchedule, String), String> {
    let export = export::read(export_json)
        .map_err(|e| format!("{export_name}: not a USITC HTS export: {e}"))?;
    let as_of_date = inputs
        .as_of_date
        .clone()
        .or_else(|| export.fetched_at.clone())
        .ok_or("the export has no fetched_at: give its as-of date (hts import --as-of-date, serve --hts-export-as-of)")?;
    let source = inputs
        .source
        .clone()
        .or_else(|| export.source.clone())
        .ok_or(
            "the export names no source: give it (hts import --source, serve --hts-export-source)",
        )?;
    let import = export::mfn(&export);
    let meta = ScheduleMeta {
        id: inputs.id.clone(),
        name: format!("US MFN rates (HTS export of {as_of_date})"),
        as_of_date: as_of_date.clone(),
        source,
    };
    let mut schedule = mfn_schedule(&import, &meta);
    let mut report = mfn_report(export_name, &export, &import);
    if let Some(lists) = &inputs.section_301 {
        section_301(&mut schedule, &export, lists, &meta, &mut report)?;
    }
    if let Some((products, rates)) = &inputs.section_232 {
        section_232(&mut schedule, products, rates, &mut report)?;
    }
    if let Some(path) = &inputs.measures {
        cited_measures(&mut schedule, &export, path, &mut report)?;
    }
    if let Some((path, source)) = &inputs.metal_shares {
        metal_share_estimates(&mut schedule, path, source, &mut report)?;
    }
    if inputs.section_301.is_some() || inputs.section_232.is_some() || inputs.measures.is_some() {
        schedule.name = format!("US HTS export of {as_of_date}: MFN and chapter 99 measures");
    }
    if let Some(path) = &inputs.fees_from {
        fees(&mut schedule, path, &mut report)?;
    }
    if let Some(path) = &inputs.preference_programs {
        let programs: Vec<pb::PreferenceProgram> = serde_json::from_str(&path.text)
            .map_err(|e| format!("{}: not a list of preference programs: {e}", path.name))?;
        let _ = writeln!(
            report,
            "preference programs: {} ({})",
            programs.len(),
            path.name
        );
        schedule.preference_programs = programs;
    }
    if let Some(path) = &inputs.known_gaps {
        known_gaps(&mut schedule, path, &mut report)?;
    }
    Ok((schedule, report))
}

/// What the export gave: its rows, lines, MFN rates and the lines skipped, with reasons.
fn mfn_report(export_name: &str, export: &export::Export, import: &export::MfnImport) -> String {
    let mut report = String::new();
    let numbered = export.lines.len();
    let chapter99 = export.lines.iter().filter(|l| l.is_chapter99()).count();
    let _ = writeln!(
        report,
        "{export_name}: {} rows, {numbered} numbered lines ({chapter99} in chapter 99: charged only through product lists and measures files)",
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
    report
}

/// Adds the Section 301 measures of the product lists `lists`.
fn section_301(
    schedule: &mut pb::TariffSchedule,
    export: &export::Export,
    lists: &Named,
    meta: &ScheduleMeta,
    report: &mut String,
) -> Result<(), String> {
    let listed = lists::read(&lists.text).map_err(|e| format!("{}: {e}", lists.name))?;
    let imported = lists::import(export, &listed);
    let measures = list_measures(
        &imported,
        Program::Section301,
        SECTION_301_GROUP,
        meta,
        &format!("the Section 301 product lists {}", lists.file_name()),
    );
    let _ = writeln!(
        report,
        "Section 301: {} list rows under {} headings: {} measures (group {SECTION_301_GROUP:?}: one rate per line, the highest in force); {} headings not charged",
        imported.rows,
        imported.measures.len() + imported.unused.len(),
        imported.measures.len(),
        imported.unused.len()
    );
    for u in &imported.unused {
        let _ = writeln!(
            report,
            "not charged {} ({} list rows): {}",
            u.heading, u.rows, u.reason
        );
    }
    add_list_measures(schedule, measures, Program::Section301);
    Ok(())
}

/// Takes the fees of the schedule `from` (the HTS carries no user fees).
fn fees(
    schedule: &mut pb::TariffSchedule,
    from: &Named,
    report: &mut String,
) -> Result<(), String> {
    let other: pb::TariffSchedule = serde_json::from_str(&from.text)
        .map_err(|e| format!("{}: not a tariff schedule: {e}", from.name))?;
    let _ = writeln!(
        report,
        "fees: {} from schedule {:?} ({})",
        other.fees.len(),
        other.id,
        from.name
    );
    schedule.description = format!(
        "{}; fees (MPF, HMF) as in schedule {:?}",
        schedule.description, other.id
    );
    schedule.fees = other.fees;
    Ok(())
}
