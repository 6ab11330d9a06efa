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

#[cfg(test)]
mod tests {
    use super::*;

    fn count_errors(n: usize, max: usize) -> Vec<(String, Reason)> {
        let scenarios = vec![pb::ScenarioInput::default(); n];
        let mut c = Check::default();
        scenario_count(&mut c, &scenarios, max);
        crate::convert::check::violations(c.finish(()))
    }

    /// At least one scenario, at most the limit (inclusive).
    #[test]
    fn scenarios_are_counted_against_one_and_the_limit() {
        let at = |r| vec![("scenarios".to_string(), r)];
        assert_eq!(count_errors(0, 3), at(Reason::Required));
        assert_eq!(count_errors(1, 3), []);
        assert_eq!(count_errors(3, 3), []);
        assert_eq!(count_errors(4, 3), at(Reason::OutOfRange));
    }

    /// A scenario's own entry date is read; none means the calculation's; a bad one is named.
    #[test]
    fn a_scenario_may_set_its_entry_date() {
        let dated = |d: &str| pb::ScenarioInput {
            entry_date: d.to_string(),
            ..Default::default()
        };
        let mut c = Check::default();
        assert_eq!(
            scenario_date(&mut c, &dated("2026-03-02"), "scenarios[0]"),
            Date::parse("2026-03-02")
        );
        assert_eq!(scenario_date(&mut c, &dated(""), "scenarios[1]"), None);
        assert!(c.finish(()).is_ok());
        let mut c = Check::default();
        assert_eq!(
            scenario_date(&mut c, &dated("2026-02-30"), "scenarios[2]"),
            None
        );
        let e = c.finish(()).unwrap_err();
        assert_eq!(e[0].field.path(), Some("scenarios[2].entry_date"));
    }

    /// Names are required and unique.
    #[test]
    fn scenario_names_are_required_and_unique() {
        let named = |name: &str| pb::ScenarioInput {
            name: name.to_string(),
            ..Default::default()
        };
        let list = [named("a"), named(""), named("a")];
        let mut c = Check::default();
        let mut names = HashSet::new();
        for (i, s) in list.iter().enumerate() {
            scenario_name(&mut c, &mut names, s, &format!("scenarios[{i}]"));
        }
        let errors: Vec<(String, Reason)> = c
            .finish(())
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field.path().unwrap().to_string(), e.reason))
            .collect();
        assert_eq!(
            errors,
            [
                ("scenarios[1].name".to_string(), Reason::Required),
                ("scenarios[2].name".to_string(), Reason::Duplicate)
            ]
        );
    }
}
