//! Coverage gaps as a result reports them (`coverage_gaps`, one note each) and as
//! `require_coverage` refuses them: the line's path, its import's field path, and what the
//! side's schedule lacks on its entry date, in words.

use super::error::ApiError;
use super::resolve::Resolved;
use crate::engine::impact::{CoverageGap, Impact};
use crate::engine::line::Missing;
use crate::engine::model::{KnownGap, Options};
use crate::engine::text::clip;
use crate::pb;
use std::collections::HashMap;

/// The gaps of `impact`, computed from `inputs` with `options`, as the response lists them.
pub(crate) fn entries(
    impact: &Impact,
    inputs: &Resolved,
    options: &Options,
) -> Vec<pb::CoverageGap> {
    if impact.coverage_gaps.is_empty() {
        return Vec::new();
    }
    let paths = readable_paths(impact, inputs);
    impact
        .coverage_gaps
        .iter()
        .map(|g| {
            let path = paths.get(&g.gap.line).cloned().unwrap_or_default();
            pb::CoverageGap {
                description: describe(g, &path, inputs, options),
                field_path: field_path(g, inputs),
                path,
                hts_code: g.gap.hts_code.clone(),
                origin: g.gap.origin.to_string(),
                side: match (g.baseline, g.scenario) {
                    (true, true) => pb::Side::Both,
                    (true, false) => pb::Side::Baseline,
                    _ => pb::Side::Scenario,
                } as i32,
                missing: match g.gap.missing {
                    Missing::MfnRate => pb::CoverageMissing::MfnRate,
                    Missing::AnyDuty => pb::CoverageMissing::AnyDuty,
                    Missing::Program => pb::CoverageMissing::Program,
                } as i32,
                known_gap_id: g.gap.known_gap.as_deref().unwrap_or_default().to_string(),
                known_gap_source: known(g, inputs)
                    .map(|k| k.source.to_string())
                    .unwrap_or_default(),
                acknowledged: inputs.acknowledges(g),
            }
        })
        .collect()
}

/// Calculates `inputs` and, when they ask for full coverage (`require_coverage`), refuses a
/// result with gaps.
pub(crate) fn calculate(
    inputs: &Resolved,
    options: &Options,
    meter: &crate::engine::Meter,
) -> Result<Impact, ApiError> {
    let impact = inputs.calculate(options, meter)?;
    if inputs.require_coverage && impact.coverage_gaps.iter().any(|g| !inputs.acknowledges(g)) {
        return Err(refusal(&impact, inputs, options));
    }
    Ok(impact)
}

/// The refusal `require_coverage` asks for when `impact` has gaps the request did not
/// acknowledge.
fn refusal(impact: &Impact, inputs: &Resolved, options: &Options) -> ApiError {
    ApiError::NotCovered(
        impact
            .coverage_gaps
            .iter()
            .filter(|g| !inputs.acknowledges(g))
            .map(|g| (field_path(g, inputs), violation(g, inputs, options)))
            .collect(),
    )
}

/// The known gap a gap of the program kind reports, as the schedule of its first side
/// declares it.
fn known<'a>(g: &CoverageGap, inputs: &'a Resolved) -> Option<&'a KnownGap> {
    let id = g.gap.known_gap.as_deref()?;
    let schedule = if g.baseline {
        &inputs.baseline_schedule.value
    } else {
        &inputs.scenario_schedule.value
    };
    schedule.known_gap(id)
}

/// The request field path of the gap's import declaration.
fn field_path(g: &CoverageGap, inputs: &Resolved) -> String {
    format!(
        "{}.import",
        inputs.bom.path(&inputs.bom_field(), g.gap.line)
    )
}

/// The readable paths of the lines that have a gap, from one walk of the BOM.
fn readable_paths(impact: &Impact, inputs: &Resolved) -> HashMap<usize, String> {
    let wanted: std::collections::HashSet<usize> =
        impact.coverage_gaps.iter().map(|g| g.gap.line).collect();
    inputs
        .bom
        .bom
        .lines()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| wanted.contains(i))
        .map(|(i, l)| (i, l.path))
        .collect()
}

/// What a gap lacks and where, in words: ("no MFN rate", "in schedule "us-2026" on
/// 2026-03-02 (baseline and scenario)", "its MFN duty is not in the cost"). A known gap is
/// named by its id and its description in full (the response budget counts its text), since
/// what to check is the point of reporting it.
fn words(g: &CoverageGap, inputs: &Resolved, options: &Options) -> (String, String, &'static str) {
    let (what, left_out, and) = match g.gap.missing {
        Missing::MfnRate => (
            "no MFN rate".into(),
            "its MFN duty is not in the cost",
            "nor",
        ),
        Missing::AnyDuty => ("no duty measure".into(), "no duty is in the cost", "nor"),
        Missing::Program => (
            format!(
                "{} (known gap {:?})",
                known(g, inputs).map_or("", |k| &*k.description),
                clip(g.gap.known_gap.as_deref().unwrap_or_default()),
            ),
            if inputs.acknowledges(g) {
                "acknowledged by the request; its duty, if any, is not in the cost"
            } else {
                "its duty, if any, is not in the cost"
            },
            "and",
        ),
    };
    let side = |schedule: &str, date| format!("schedule {:?} on {date}", clip(schedule));
    let base = side(&inputs.baseline_schedule.value.id, options.entry_date);
    let scen = side(
        &inputs.scenario_schedule.value.id,
        options.scenario_entry_date,
    );
    let sides = match (g.baseline, g.scenario) {
        (true, true) if base == scen => format!("in {base} (baseline and scenario)"),
        (true, true) => format!("in {base} (baseline) {and} in {scen} (scenario)"),
        (true, false) => format!("in {base} (baseline)"),
        _ => format!("in {scen} (scenario)"),
    };
    (what, sides, left_out)
}

/// "rotor/magnets: HTS 8505.11.0070 from CN: no MFN rate in schedule "us-2026" on 2026-03-02
/// (baseline and scenario); its MFN duty is not in the cost".
fn describe(g: &CoverageGap, path: &str, inputs: &Resolved, options: &Options) -> String {
    let (what, sides, left_out) = words(g, inputs, options);
    format!(
        "{}: HTS {} from {}: {what} {sides}; {left_out}",
        clip(path),
        clip(&g.gap.hts_code),
        g.gap.origin
    )
}

/// The same for a refusal's violation, whose subject already names the line: "no MFN rate
/// for HTS 8505.11.0070 from CN in schedule "us-2026" on 2026-03-02 (baseline and scenario)".
fn violation(g: &CoverageGap, inputs: &Resolved, options: &Options) -> String {
    let (what, sides, _) = words(g, inputs, options);
    format!(
        "{what} for HTS {} from {} {sides}",
        clip(&g.gap.hts_code),
        g.gap.origin
    )
}
