//! The shape of `CompareScenarios`' scenario list: at least one and at most the limit, each
//! named (names unique: they key the ranking) with a valid optional entry date. Each
//! scenario's prices and schedule are resolved (preset or inline) by the API layer.

use super::check::Check;
use crate::engine::Reason;
use crate::engine::date::Date;
use crate::engine::text::clip;
use crate::pb;
use std::collections::HashSet;

/// Checks the count of `scenarios` against `max` (only the first `max` are looked at further).
pub(crate) fn scenario_count(c: &mut Check, scenarios: &[pb::ScenarioInput], max: usize) {
    if scenarios.is_empty() {
        c.push("scenarios", Reason::Required, "give at least one scenario");
    }
    if scenarios.len() > max {
        c.push(
            "scenarios",
            Reason::OutOfRange,
            format!("at most {max} scenarios per call"),
        );
    }
}

/// Checks the name of scenario `s` at field path `f` against the `names` seen so far.
pub(crate) fn scenario_name<'a>(
    c: &mut Check,
    names: &mut HashSet<&'a str>,
    s: &'a pb::ScenarioInput,
    f: &str,
) {
    if s.name.is_empty() {
        c.push(
            format!("{f}.name"),
            Reason::Required,
            "each scenario needs a name",
        );
    } else if !names.insert(&s.name) {
        c.push(
            format!("{f}.name"),
            Reason::Duplicate,
            format!("scenario name {:?} is used twice", clip(&s.name)),
        );
    }
}

/// The entry date of scenario `s` at field path `f`, if it sets one.
pub(crate) fn scenario_date(c: &mut Check, s: &pb::ScenarioInput, f: &str) -> Option<Date> {
    c.optional_date(&s.entry_date, &format!("{f}.entry_date"))
}
