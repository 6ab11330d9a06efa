//! Schedule overlays (`tariff.v1.ScheduleOverlay`): a scenario written as a few changes to a
//! base schedule's message (rates set, measures added and removed, dates shifted) instead of a
//! restated schedule. The changes are checked against the base ([`apply`]: every measure they
//! name exists, none is touched twice), made on a copy of its message, and the copy is then
//! validated by [`schedule::schedule`] like any inline schedule ([`Overlaid::convert`]), so
//! every rule holds unchanged; each violation it finds is named by the overlay field that
//! caused it (`scenario_schedule_overlay.set_rates[0].rate.ad_valorem_percent`), or by the
//! base's own field when the base itself is at fault (an inline base).

use super::check::{Check, join};
use super::schedule;
use crate::engine::estimate::ScheduleSize;
use crate::engine::model::Schedule;
use crate::engine::text::clip;
use crate::engine::{InputError, Reason};
use crate::pb;
use std::collections::HashMap;

/// Where an overlay and its base schedule are in the request, for naming violations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paths<'a> {
    /// The overlay's field path, e.g. `scenarios[1].schedule_overlay`.
    pub overlay: &'a str,
    /// The field path of the base schedule's message (e.g. `scenario_schedule`), which names
    /// what is wrong with the base itself.
    pub base: &'a str,
}

/// Where a measure of an overlaid schedule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The base's measure at `index`, with the `set_rates` and `shift_dates` entries that
    /// changed it.
    Base {
        index: usize,
        rate: Option<usize>,
        dates: Option<usize>,
    },
    /// `add_measures[j]`.
    Added(usize),
}

/// What the changes do to each base measure, by its index.
#[derive(Debug, Clone, Copy, Default)]
struct Touch {
    removed: Option<usize>,
    rate: Option<usize>,
    dates: Option<usize>,
}

/// A base schedule's message with an overlay's changes made, not yet validated.
#[derive(Debug)]
pub(crate) struct Overlaid {
    /// The changed message: id `<base id>+<overlay id>`, the overlay named in its description.
    pub message: pb::TariffSchedule,
    /// For each measure of `message`, where it comes from.
    origins: Vec<Origin>,
    /// For each `shift_dates` entry, whether it sets (or clears) `effective_from` and
    /// `effective_to`: which of its fields a window violation it caused is named by.
    shifts: Vec<(bool, bool)>,
}

/// The size of schedule `s`: what rebuilding it costs. Every field is named (here and in
/// [`measure_size`]), so a list added to the message fails to compile until it is counted
/// here or said to cost nothing: the bound must not fall silently short.
pub(crate) fn size(s: &pb::TariffSchedule) -> ScheduleSize {
    let pb::TariffSchedule {
        id: _,
        name: _,
        description: _,
        currency: _,
        as_of_date: _,
        source: _,
        measures,
        fees,
        de_minimis_threshold: _,
        incentives,
        preference_programs,
        metal_share_estimates,
        metal_share_estimates_source: _,
        valuation_basis: _,
        known_gaps,
    } = s;
    let mut n = ScheduleSize {
        entries: metal_share_estimates.len() as u64,
        ..ScheduleSize::default()
    };
    for m in measures {
        n = n.plus(measure_size(m));
    }
    for f in fees {
        n.entries += 1;
        n.codes += (f.transport_modes.len() + f.exempt_origins.len()) as u64;
    }
    for i in incentives {
        n.entries += 1;
        n.codes += (i.restricted_origins.len() + i.material_ids.len()) as u64;
    }
    for p in preference_programs {
        n.entries += 1;
        n.codes += p.origins.len() as u64;
    }
    for g in known_gaps {
        n.entries += 1;
        n.codes += (g.hts_prefixes.len() + g.origins.len()) as u64;
    }
    n.message_bytes = message_bytes(n.entries, n.codes, prost::Message::encoded_len(s));
    n
}

/// The size of what overlay `o` adds to its base: its added measures, and one entry per
/// change it makes.
pub(crate) fn added_size(o: &pb::ScheduleOverlay) -> ScheduleSize {
    let mut n = ScheduleSize {
        entries: changes(o) as u64,
        ..ScheduleSize::default()
    };
    for m in &o.add_measures {
        n = n.plus(measure_size(m));
    }
    n.message_bytes = message_bytes(n.entries, n.codes, prost::Message::encoded_len(o));
    n
}

/// One measure, its special rates and the codes they list (message bytes are counted for
/// the whole message). Every field is named: see [`size`].
fn measure_size(m: &pb::Measure) -> ScheduleSize {
    let pb::Measure {
        id: _,
        name: _,
        program: _,
        hts_prefixes,
        origins,
        excluded_origins,
        effective_from: _,
        effective_to: _,
        rate: _,
        basis: _,
        preempts,
        source: _,
        alternative_group: _,
        preference_rates,
        exemptions,
        all_in_of,
    } = m;
    let programs: usize = preference_rates.iter().map(|p| p.programs.len()).sum();
    let exempt: usize = exemptions
        .iter()
        .map(|e| e.hts_prefixes.len() + e.origins.len() + e.claimed_programs.len())
        .sum();
    ScheduleSize {
        entries: 1 + (preference_rates.len() + exemptions.len()) as u64,
        codes: (hts_prefixes.len()
            + origins.len()
            + excluded_origins.len()
            + preempts.len()
            + programs
            + exempt
            + all_in_of.len()) as u64,
        message_bytes: 0,
    }
}

/// Bytes of a decoded message of `entries` and `codes` whose encoding is `encoded` bytes:
/// each entry's struct (a measure's, the largest), each code's string, and the text (no more
/// than the encoding).
fn message_bytes(entries: u64, codes: u64, encoded: usize) -> u64 {
    entries
        .saturating_mul(std::mem::size_of::<pb::Measure>() as u64)
        .saturating_add(codes.saturating_mul(std::mem::size_of::<String>() as u64))
        .saturating_add(encoded as u64)
}

/// The number of changes overlay `o` makes.
pub(crate) fn changes(o: &pb::ScheduleOverlay) -> usize {
    o.set_rates.len() + o.add_measures.len() + o.remove_measure_ids.len() + o.shift_dates.len()
}

/// Makes the changes of overlay `o` to a copy of `base`, after checking that each names a
/// measure of `base` (by id) at most once, and that the overlay has an id and at most
/// `max_changes` changes. What the changed schedule must satisfy as a whole is checked by
/// [`Overlaid::convert`].
pub(crate) fn apply(
    base: &pb::TariffSchedule,
    o: &pb::ScheduleOverlay,
    paths: Paths<'_>,
    max_changes: usize,
) -> Result<Overlaid, Vec<InputError>> {
    let mut c = Check::default();
    let n = changes(o);
    if n > max_changes {
        c.push(
            paths.overlay,
            Reason::OutOfRange,
            format!("{n} changes; at most {max_changes} per overlay (--max-overlay-changes)"),
        );
        return Err(c.into_errors());
    }
    if o.id.is_empty() {
        c.push(
            join(paths.overlay, "id"),
            Reason::Required,
            "an overlay needs an id: results name the schedule \"<base id>+<overlay id>\"",
        );
    }
    let targets = Targets::new(base, paths.overlay);
    let mut touched = vec![Touch::default(); base.measures.len()];
    targets.removals(&mut c, &o.remove_measure_ids, &mut touched);
    targets.rates(&mut c, &o.set_rates, &mut touched);
    targets.dates(&mut c, &o.shift_dates, &mut touched);
    targets.additions(&mut c, &o.add_measures, &touched);
    c.finish(())?;
    Ok(build(base, o, &touched))
}

/// The measures of a base schedule by id, for the changes to name.
struct Targets<'a> {
    base: &'a pb::TariffSchedule,
    ids: HashMap<&'a str, usize>,
    overlay: &'a str,
}

impl<'a> Targets<'a> {
    fn new(base: &'a pb::TariffSchedule, overlay: &'a str) -> Self {
        let mut ids = HashMap::with_capacity(base.measures.len());
        for (i, m) in base.measures.iter().enumerate() {
            ids.entry(m.id.as_str()).or_insert(i);
        }
        Targets { base, ids, overlay }
    }

    /// The index of the base measure `id` named at `field`, or the violation.
    fn find(&self, c: &mut Check, id: &str, field: &str) -> Option<usize> {
        if id.is_empty() {
            c.push(
                field,
                Reason::Required,
                "name a measure of the base schedule",
            );
            return None;
        }
        let found = self.ids.get(id).copied();
        if found.is_none() {
            c.push(
                field,
                Reason::InvalidValue,
                format!(
                    "no measure {:?} in schedule {:?}",
                    clip(id),
                    clip(&self.base.id)
                ),
            );
        }
        found
    }

    /// The base measure named at `field` by `id` if no earlier change removed it, else the
    /// violation.
    fn changeable(&self, c: &mut Check, id: &str, field: &str, touched: &[Touch]) -> Option<usize> {
        let i = self.find(c, id, field)?;
        if let Some(r) = touched[i].removed {
            c.push(
                field,
                Reason::Duplicate,
                format!(
                    "measure {:?} is removed by {}: an overlay changes a measure or removes it, not both",
                    clip(id),
                    join(self.overlay, &format!("remove_measure_ids[{r}]"))
                ),
            );
            return None;
        }
        Some(i)
    }

    fn removals(&self, c: &mut Check, ids: &[String], touched: &mut [Touch]) {
        for (k, id) in ids.iter().enumerate() {
            let field = join(self.overlay, &format!("remove_measure_ids[{k}]"));
            let Some(i) = self.changeable(c, id, &field, touched) else {
                continue;
            };
            touched[i].removed = Some(k);
        }
    }

    fn rates(&self, c: &mut Check, changes: &[pb::RateChange], touched: &mut [Touch]) {
        for (k, change) in changes.iter().enumerate() {
            let field = join(self.overlay, &format!("set_rates[{k}].measure_id"));
            let Some(i) = self.changeable(c, &change.measure_id, &field, touched) else {
                continue;
            };
            if let Some(first) = touched[i].rate {
                c.push(
                    field,
                    Reason::Duplicate,
                    format!(
                        "the rate of measure {:?} is already set by set_rates[{first}]",
                        clip(&change.measure_id)
                    ),
                );
                continue;
            }
            touched[i].rate = Some(k);
        }
    }

    fn dates(&self, c: &mut Check, changes: &[pb::DateChange], touched: &mut [Touch]) {
        for (k, change) in changes.iter().enumerate() {
            let f = join(self.overlay, &format!("shift_dates[{k}]"));
            date_flags(c, change, &f);
            let field = join(&f, "measure_id");
            let Some(i) = self.changeable(c, &change.measure_id, &field, touched) else {
                continue;
            };
            if let Some(first) = touched[i].dates {
                c.push(
                    field,
                    Reason::Duplicate,
                    format!(
                        "the dates of measure {:?} are already shifted by shift_dates[{first}]",
                        clip(&change.measure_id)
                    ),
                );
                continue;
            }
            touched[i].dates = Some(k);
        }
    }

    /// An added measure may not take the id of a base measure that stays (that would be a
    /// second measure of the same id, not a change to it), nor of a fee or incentive (ids are
    /// unique across the three).
    fn additions(&self, c: &mut Check, added: &[pb::Measure], touched: &[Touch]) {
        for (j, m) in added.iter().enumerate() {
            let other = self.base.fees.iter().any(|f| f.id == m.id)
                || self.base.incentives.iter().any(|i| i.id == m.id);
            if other && !m.id.is_empty() {
                c.push(
                    join(self.overlay, &format!("add_measures[{j}].id")),
                    Reason::Duplicate,
                    format!(
                        "id {:?} is a fee's or an incentive's in schedule {:?}",
                        clip(&m.id),
                        clip(&self.base.id)
                    ),
                );
            }
            let Some(&i) = self.ids.get(m.id.as_str()) else {
                continue;
            };
            if touched[i].removed.is_none() {
                c.push(
                    join(self.overlay, &format!("add_measures[{j}].id")),
                    Reason::Duplicate,
                    format!(
                        "measure {:?} is already in schedule {:?}: change it with set_rates or shift_dates, or remove it with remove_measure_ids to replace it",
                        clip(&m.id),
                        clip(&self.base.id)
                    ),
                );
            }
        }
    }
}

/// A date change must change something, and may not both set and clear one date.
fn date_flags(c: &mut Check, d: &pb::DateChange, f: &str) {
    if d.effective_from.is_empty()
        && d.effective_to.is_empty()
        && !d.clear_effective_from
        && !d.clear_effective_to
    {
        c.push(
            f,
            Reason::Required,
            "set effective_from or effective_to, or clear one (an empty date keeps the measure's own)",
        );
    }
    for (value, clear, name) in [
        (&d.effective_from, d.clear_effective_from, "effective_from"),
        (&d.effective_to, d.clear_effective_to, "effective_to"),
    ] {
        if clear && !value.is_empty() {
            c.push(
                join(f, &format!("clear_{name}")),
                Reason::InvalidValue,
                format!("either set {name} or clear it, not both"),
            );
        }
    }
}

/// The base's message with the checked changes made: one copy of the base, its measures
/// moved out of it and back (removed ones dropped, changed ones edited), the added measures
/// after them.
fn build(base: &pb::TariffSchedule, o: &pb::ScheduleOverlay, touched: &[Touch]) -> Overlaid {
    let mut message = base.clone();
    let measures = std::mem::take(&mut message.measures);
    let kept = measures.len() + o.add_measures.len() - o.remove_measure_ids.len();
    let mut origins = Vec::with_capacity(kept);
    message.measures.reserve(kept);
    for (index, (mut m, t)) in measures.into_iter().zip(touched).enumerate() {
        if t.removed.is_some() {
            continue;
        }
        if let Some(k) = t.rate {
            m.rate = o.set_rates[k].rate.clone();
        }
        if let Some(k) = t.dates {
            shift(&mut m, &o.shift_dates[k]);
        }
        message.measures.push(m);
        origins.push(Origin::Base {
            index,
            rate: t.rate,
            dates: t.dates,
        });
    }
    for (j, m) in o.add_measures.iter().enumerate() {
        message.measures.push(m.clone());
        origins.push(Origin::Added(j));
    }
    message.id = format!("{}+{}", base.id, o.id);
    let note = match o.description.as_str() {
        "" => format!("overlaid by {:?}", o.id),
        d => format!("overlaid by {:?}: {d}", o.id),
    };
    message.description = match base.description.as_str() {
        "" => note,
        d => format!("{d}; {note}"),
    };
    let shifts = o
        .shift_dates
        .iter()
        .map(|d| {
            (
                !d.effective_from.is_empty() || d.clear_effective_from,
                !d.effective_to.is_empty() || d.clear_effective_to,
            )
        })
        .collect();
    Overlaid {
        message,
        origins,
        shifts,
    }
}

/// Sets or clears the dates `d` names on measure `m`; an empty date keeps the measure's own.
fn shift(m: &mut pb::Measure, d: &pb::DateChange) {
    for (date, value, clear) in [
        (
            &mut m.effective_from,
            &d.effective_from,
            d.clear_effective_from,
        ),
        (&mut m.effective_to, &d.effective_to, d.clear_effective_to),
    ] {
        if clear {
            date.clear();
        } else if !value.is_empty() {
            date.clone_from(value);
        }
    }
}

impl Overlaid {
    /// Validates the changed schedule exactly as an inline one, naming each violation by the
    /// field that caused it (see [`Overlaid::locate`]).
    pub(crate) fn convert(&self, paths: Paths<'_>) -> Result<Schedule, Vec<InputError>> {
        schedule::schedule(&self.message, "").map_err(|errors| {
            errors
                .into_iter()
                .map(|mut e| {
                    let at = e.field.path().map(|p| self.locate(p, paths));
                    if let Some(at) = at {
                        e.field = at.into();
                    }
                    e
                })
                .collect()
        })
    }

    /// The request field that `path` (a path in the changed message) comes from: a replaced
    /// rate is its `set_rates` entry's, a shifted date its `shift_dates` entry's, an added
    /// measure its `add_measures` entry's, anything else the base's own field. A pre-emption
    /// cycle (named at `measures`) can only come from added measures: set rates and dates
    /// do not pre-empt.
    fn locate(&self, path: &str, paths: Paths<'_>) -> String {
        let overlay = |rest: String| join(paths.overlay, &rest);
        if path == "measures" && self.origins.iter().any(|o| matches!(o, Origin::Added(_))) {
            return overlay("add_measures".into());
        }
        let Some((n, rest)) = measure_path(path) else {
            return join(paths.base, path);
        };
        let Some(origin) = self.origins.get(n) else {
            return join(paths.base, path);
        };
        match *origin {
            Origin::Added(j) => overlay(format!("add_measures[{j}]{rest}")),
            Origin::Base { rate: Some(k), .. } if rest == ".rate" || rest.starts_with(".rate.") => {
                overlay(format!("set_rates[{k}]{rest}"))
            }
            Origin::Base { dates: Some(k), .. }
                if rest == ".effective_from" || rest == ".effective_to" =>
            {
                // A window's violation is named by the date the change set: the end it set,
                // else the start it set.
                let (sets_start, sets_end) = self.shifts[k];
                let leaf = match (rest, sets_start, sets_end) {
                    (".effective_to", _, true) | (".effective_from", false, _) => "effective_to",
                    _ => "effective_from",
                };
                overlay(format!("shift_dates[{k}].{leaf}"))
            }
            Origin::Base { index, .. } => join(paths.base, &format!("measures[{index}]{rest}")),
        }
    }
}

/// `(n, rest)` of a path `measures[n]rest`.
fn measure_path(path: &str) -> Option<(usize, &str)> {
    let (n, rest) = path.strip_prefix("measures[")?.split_once(']')?;
    Some((n.parse().ok()?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::check::violations;
    use rust_decimal::Decimal;
    use serde_json::{Value, json};

    /// Three measures and a fee: MFN 2.1% and Section 301 25% (from 2026-01-01, to
    /// 2027-01-01, group "section-301") on 8505, Section 232 50% on 7326 pre-empting IEEPA.
    fn base() -> pb::TariffSchedule {
        serde_json::from_value(
            json!({"id": "base", "currency": "USD", "description": "Base",
            "measures": [
                {"id": "mfn", "program": "PROGRAM_MFN", "htsPrefixes": ["8505"],
                 "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "2.1"}},
                {"id": "s301", "program": "PROGRAM_SECTION_301", "htsPrefixes": ["8505", "8504"],
                 "origins": ["CN"], "effectiveFrom": "2026-01-01", "effectiveTo": "2027-01-01",
                 "alternativeGroup": "section-301", "basis": "DUTY_BASIS_FULL_VALUE",
                 "rate": {"adValoremPercent": "25"}},
                {"id": "s232", "program": "PROGRAM_SECTION_232", "htsPrefixes": ["7326"],
                 "basis": "DUTY_BASIS_METAL_CONTENT", "preempts": ["PROGRAM_IEEPA"],
                 "rate": {"adValoremPercent": "50"}}],
            "fees": [{"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464"}]}),
        )
        .unwrap()
    }

    fn overlay(changes: Value) -> pb::ScheduleOverlay {
        let mut o = json!({"id": "ov"});
        o.as_object_mut()
            .unwrap()
            .extend(changes.as_object().unwrap().clone());
        serde_json::from_value(o).unwrap()
    }

    const PATHS: Paths<'static> = Paths {
        overlay: "scenario_schedule_overlay",
        base: "scenario_schedule",
    };

    /// The overlay applied to `base` and converted.
    fn overlaid(base: &pb::TariffSchedule, changes: Value) -> Result<Schedule, Vec<InputError>> {
        let o = overlay(changes);
        apply(base, &o, PATHS, 10)?.convert(PATHS)
    }

    /// `(field, reason)` of each violation of the overlay applied to [`base`].
    fn errors(changes: Value) -> Vec<(String, Reason)> {
        violations(overlaid(&base(), changes))
    }

    fn field(path: &str, reason: Reason) -> (String, Reason) {
        (path.to_string(), reason)
    }

    fn ids(s: &Schedule) -> Vec<&str> {
        s.measures().iter().map(|m| &*m.id).collect()
    }

    fn percent(s: &Schedule, id: &str) -> Option<Decimal> {
        let m = s.measures().iter().find(|m| &*m.id == id).unwrap();
        m.rate.ad_valorem_percent
    }

    #[test]
    fn a_rate_change_replaces_the_rate_whole_and_names_the_result() {
        let o = overlay(json!({"description": "301 at 50%",
            "setRates": [{"measureId": "s301", "rate": {"adValoremPercent": "50"}}]}));
        let changed = apply(&base(), &o, PATHS, 10).unwrap();
        assert_eq!(changed.message.id, "base+ov");
        assert_eq!(
            changed.message.description,
            "Base; overlaid by \"ov\": 301 at 50%"
        );
        let s = changed.convert(PATHS).unwrap();
        assert_eq!(s.id, "base+ov");
        assert_eq!(ids(&s), ["mfn", "s301", "s232"]);
        assert_eq!(percent(&s, "s301"), Some(Decimal::from(50)));
        assert_eq!(percent(&s, "mfn"), Some(Decimal::new(21, 1)));
        // Everything else of the measure is kept: its group, prefixes, origins and dates.
        let m = &s.measures()[1];
        assert_eq!(m.group.as_deref(), Some("section-301"));
        assert_eq!(m.hts_prefixes, ["8505", "8504"]);
        assert_eq!(m.window.from.unwrap().to_string(), "2026-01-01");
        // A specific rate replaces the ad valorem one: nothing of the old rate lingers.
        let s = overlaid(
            &base(),
            json!({"setRates": [{"measureId": "s301",
                "rate": {"specificAmount": "1.5", "specificUnit": "UNIT_OF_MEASURE_KG"}}]}),
        )
        .unwrap();
        let rate = &s.measures()[1].rate;
        assert_eq!(rate.ad_valorem_percent, None);
        assert_eq!(rate.specific.unwrap().0, Decimal::new(15, 1));
    }

    #[test]
    fn an_overlay_without_a_description_still_says_it_overlaid() {
        let mut b = base();
        b.description.clear();
        let o = overlay(json!({"removeMeasureIds": ["mfn"]}));
        let changed = apply(&b, &o, PATHS, 10).unwrap();
        assert_eq!(changed.message.description, "overlaid by \"ov\"");
    }

    #[test]
    fn removed_measures_leave_and_added_ones_come_last() {
        let s = overlaid(
            &base(),
            json!({"removeMeasureIds": ["mfn"],
                "addMeasures": [{"id": "s122", "program": "PROGRAM_SECTION_122",
                    "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "10"}}]}),
        )
        .unwrap();
        assert_eq!(ids(&s), ["s301", "s232", "s122"]);
        assert_eq!(percent(&s, "s122"), Some(Decimal::from(10)));
        assert!(!s.has_measure("mfn"));
        // The index follows: only s301 is a candidate for 8505.11 now.
        assert_eq!(s.index().candidate_count("8505110070"), 2, "s301 and s122");
    }

    #[test]
    fn a_removed_measure_may_be_added_again_to_replace_it() {
        let s = overlaid(
            &base(),
            json!({"removeMeasureIds": ["mfn"],
                "addMeasures": [{"id": "mfn", "program": "PROGRAM_MFN", "htsPrefixes": ["85"],
                    "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "3"}}]}),
        )
        .unwrap();
        assert_eq!(ids(&s), ["s301", "s232", "mfn"]);
        assert_eq!(s.measures()[2].hts_prefixes, ["85"]);
    }

    #[test]
    fn dates_are_set_kept_or_cleared() {
        let window = |changes: Value| {
            let s = overlaid(&base(), json!({"shiftDates": [changes]})).unwrap();
            let w = s.measures()[1].window;
            (w.from.map(|d| d.to_string()), w.to.map(|d| d.to_string()))
        };
        let d = |s: &str| Some(s.to_string());
        assert_eq!(
            window(json!({"measureId": "s301", "effectiveFrom": "2026-06-01"})),
            (d("2026-06-01"), d("2027-01-01")),
            "an empty effective_to keeps the measure's own"
        );
        assert_eq!(
            window(json!({"measureId": "s301", "effectiveTo": "2028-01-01"})),
            (d("2026-01-01"), d("2028-01-01"))
        );
        assert_eq!(
            window(json!({"measureId": "s301", "clearEffectiveTo": true})),
            (d("2026-01-01"), None)
        );
        assert_eq!(
            window(json!({"measureId": "s301", "clearEffectiveFrom": true,
                "effectiveTo": "2026-02-01"})),
            (None, d("2026-02-01"))
        );
    }

    #[test]
    fn every_change_must_name_a_measure_of_the_base() {
        let unknown = |changes: Value| {
            let e = overlaid(&base(), changes).unwrap_err();
            assert_eq!(e.len(), 1, "{e:?}");
            (
                e[0].field.path().unwrap().to_string(),
                e[0].reason,
                e[0].message.clone(),
            )
        };
        let message = "no measure \"x\" in schedule \"base\"".to_string();
        assert_eq!(
            unknown(json!({"setRates": [{"measureId": "x", "rate": {"adValoremPercent": "1"}}]})),
            (
                "scenario_schedule_overlay.set_rates[0].measure_id".into(),
                Reason::InvalidValue,
                message.clone()
            )
        );
        assert_eq!(
            unknown(json!({"removeMeasureIds": ["mfn", "x"]})),
            (
                "scenario_schedule_overlay.remove_measure_ids[1]".into(),
                Reason::InvalidValue,
                message.clone()
            )
        );
        assert_eq!(
            unknown(json!({"shiftDates": [{"measureId": "x", "effectiveFrom": "2026-01-01"}]})),
            (
                "scenario_schedule_overlay.shift_dates[0].measure_id".into(),
                Reason::InvalidValue,
                message
            )
        );
        // Fees are not measures: an overlay changes measures only.
        assert_eq!(
            errors(json!({"removeMeasureIds": ["mpf"]})),
            [field(
                "scenario_schedule_overlay.remove_measure_ids[0]",
                Reason::InvalidValue
            )]
        );
        assert_eq!(
            errors(json!({"removeMeasureIds": [""],
                "setRates": [{"rate": {"adValoremPercent": "1"}}]})),
            [
                field(
                    "scenario_schedule_overlay.remove_measure_ids[0]",
                    Reason::Required
                ),
                field(
                    "scenario_schedule_overlay.set_rates[0].measure_id",
                    Reason::Required
                )
            ]
        );
    }

    #[test]
    fn a_measure_is_changed_once_or_removed_not_both() {
        let rate = json!({"adValoremPercent": "1"});
        assert_eq!(
            errors(json!({"setRates": [{"measureId": "s301", "rate": rate},
                {"measureId": "mfn", "rate": rate}, {"measureId": "s301", "rate": rate}]})),
            [field(
                "scenario_schedule_overlay.set_rates[2].measure_id",
                Reason::Duplicate
            )]
        );
        assert_eq!(
            errors(json!({"removeMeasureIds": ["s301", "s301"]})),
            [field(
                "scenario_schedule_overlay.remove_measure_ids[1]",
                Reason::Duplicate
            )]
        );
        let e = overlaid(
            &base(),
            json!({"removeMeasureIds": ["s232", "s301"],
                "setRates": [{"measureId": "s301", "rate": rate}],
                "shiftDates": [{"measureId": "s232", "clearEffectiveTo": true}]}),
        )
        .unwrap_err();
        assert_eq!(
            violations::<()>(Err(e.clone())),
            [
                field(
                    "scenario_schedule_overlay.set_rates[0].measure_id",
                    Reason::Duplicate
                ),
                field(
                    "scenario_schedule_overlay.shift_dates[0].measure_id",
                    Reason::Duplicate
                )
            ]
        );
        assert_eq!(
            e[0].message,
            "measure \"s301\" is removed by scenario_schedule_overlay.remove_measure_ids[1]: an overlay changes a measure or removes it, not both"
        );
        assert_eq!(
            errors(
                json!({"shiftDates": [{"measureId": "s301", "effectiveFrom": "2026-02-01"},
                {"measureId": "s301", "effectiveTo": "2026-12-01"}]})
            ),
            [field(
                "scenario_schedule_overlay.shift_dates[1].measure_id",
                Reason::Duplicate
            )]
        );
        // A rate and the dates of one measure are two changes, both allowed.
        let s = overlaid(
            &base(),
            json!({"setRates": [{"measureId": "s301", "rate": rate}],
                "shiftDates": [{"measureId": "s301", "effectiveFrom": "2026-02-01"}]}),
        )
        .unwrap();
        assert_eq!(percent(&s, "s301"), Some(Decimal::ONE));
        assert_eq!(
            s.measures()[1].window.from.unwrap().to_string(),
            "2026-02-01"
        );
    }

    #[test]
    fn an_added_measure_may_not_take_an_id_in_use() {
        let added = |id: &str| {
            json!({"addMeasures": [{"id": id, "program": "PROGRAM_MFN",
                "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "1"}}]})
        };
        let e = overlaid(&base(), added("s301")).unwrap_err();
        assert_eq!(
            violations::<()>(Err(e.clone())),
            [field(
                "scenario_schedule_overlay.add_measures[0].id",
                Reason::Duplicate
            )]
        );
        assert!(
            e[0].message
                .starts_with("measure \"s301\" is already in schedule \"base\""),
            "{}",
            e[0].message
        );
        // A fee's id; an id given twice among the additions (the schedule's own rule).
        assert_eq!(
            errors(added("mpf")),
            [field(
                "scenario_schedule_overlay.add_measures[0].id",
                Reason::Duplicate
            )]
        );
        let twice = json!({"addMeasures": [
            {"id": "n", "program": "PROGRAM_MFN", "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "1"}},
            {"id": "n", "program": "PROGRAM_MFN", "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "1"}}]});
        assert_eq!(
            errors(twice),
            [field(
                "scenario_schedule_overlay.add_measures[1].id",
                Reason::Duplicate
            )]
        );
    }

    #[test]
    fn an_overlay_needs_an_id_and_changes_that_change_something() {
        let mut o = overlay(json!({"shiftDates": [{"measureId": "s301"},
            {"measureId": "mfn", "effectiveTo": "2026-02-01", "clearEffectiveTo": true}]}));
        o.id.clear();
        let e = apply(&base(), &o, PATHS, 10).map(|_| ()).unwrap_err();
        assert_eq!(
            violations::<()>(Err(e)),
            [
                field("scenario_schedule_overlay.id", Reason::Required),
                field("scenario_schedule_overlay.shift_dates[0]", Reason::Required),
                field(
                    "scenario_schedule_overlay.shift_dates[1].clear_effective_to",
                    Reason::InvalidValue
                )
            ]
        );
    }

    /// At most `max_changes` changes, counted over the four lists: exactly the limit is
    /// accepted, one more is refused at the overlay before anything is looked up.
    #[test]
    fn changes_are_bounded_per_overlay() {
        let o = overlay(json!({"removeMeasureIds": ["mfn", "x"],
            "setRates": [{"measureId": "s301", "rate": {"adValoremPercent": "1"}}],
            "shiftDates": [{"measureId": "s232", "effectiveFrom": "2026-02-01"}],
            "addMeasures": [{"id": "n"}]}));
        assert_eq!(changes(&o), 5);
        let limited = |max| violations(apply(&base(), &o, PATHS, max).map(|_| ()));
        assert_eq!(
            limited(4),
            [field("scenario_schedule_overlay", Reason::OutOfRange)]
        );
        assert_eq!(
            limited(5),
            [field(
                "scenario_schedule_overlay.remove_measure_ids[1]",
                Reason::InvalidValue
            )]
        );
    }

    /// What the schedule's own rules find in a change is named by the change: a bad rate by
    /// its `set_rates` entry, a bad or inverted date by the `shift_dates` field that set it, a
    /// bad added measure by its `add_measures` entry, a pre-emption cycle by the additions.
    #[test]
    fn the_schedule_rules_name_the_change_that_broke_them() {
        assert_eq!(
            errors(
                json!({"setRates": [{"measureId": "s301", "rate": {"adValoremPercent": "5O"}},
                {"measureId": "mfn"}]})
            ),
            [
                field(
                    "scenario_schedule_overlay.set_rates[1].rate",
                    Reason::Required
                ),
                field(
                    "scenario_schedule_overlay.set_rates[0].rate.ad_valorem_percent",
                    Reason::MalformedDecimal
                )
            ]
        );
        // s301 runs to 2027-01-01: a start after it is the start's fault; an end before its
        // start is the end's.
        assert_eq!(
            errors(json!({"shiftDates": [{"measureId": "s301", "effectiveFrom": "2027-06-01"}]})),
            [field(
                "scenario_schedule_overlay.shift_dates[0].effective_from",
                Reason::OutOfRange
            )]
        );
        assert_eq!(
            errors(json!({"shiftDates": [{"measureId": "s301", "effectiveTo": "2025-06-01"}]})),
            [field(
                "scenario_schedule_overlay.shift_dates[0].effective_to",
                Reason::OutOfRange
            )]
        );
        assert_eq!(
            errors(json!({"shiftDates": [{"measureId": "s301", "effectiveTo": "2026-02-30"}]})),
            [field(
                "scenario_schedule_overlay.shift_dates[0].effective_to",
                Reason::InvalidValue
            )]
        );
        assert_eq!(
            errors(json!({"removeMeasureIds": ["mfn"], "addMeasures": [
                {"id": "a", "program": "PROGRAM_SECTION_122", "basis": "DUTY_BASIS_FULL_VALUE",
                 "rate": {"adValoremPercent": "1"}},
                {"id": "b", "program": "PROGRAM_MFN", "alternativeGroup": "section-301",
                 "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "1"}}]})),
            [field(
                "scenario_schedule_overlay.add_measures[1].alternative_group",
                Reason::InvalidValue
            )]
        );
        assert_eq!(
            errors(
                json!({"addMeasures": [{"id": "i", "program": "PROGRAM_IEEPA",
                "basis": "DUTY_BASIS_FULL_VALUE", "preempts": ["PROGRAM_SECTION_232"],
                "rate": {"adValoremPercent": "1"}}]})
            ),
            [field(
                "scenario_schedule_overlay.add_measures",
                Reason::InvalidStructure
            )]
        );
    }

    /// A fault of an inline base itself is named by the base's own field, at the measure's
    /// index in the base (not in the changed schedule, where removals moved it).
    #[test]
    fn a_fault_of_the_base_is_named_by_the_base() {
        let mut b = base();
        b.measures[2].rate.as_mut().unwrap().ad_valorem_percent = "-1".into();
        b.currency = "XXX".into();
        assert_eq!(
            violations(overlaid(&b, json!({"removeMeasureIds": ["mfn"]}))),
            [
                field("scenario_schedule.currency", Reason::InvalidValue),
                field(
                    "scenario_schedule.measures[2].rate.ad_valorem_percent",
                    Reason::OutOfRange
                )
            ]
        );
    }

    /// Counted by hand: [`base`] has 3 measures and a fee (4 entries) listing 1 + 2 + 1
    /// prefixes, 1 origin (s301) and 1 pre-emption (s232): 6 codes. An overlay of one rate
    /// change and one added measure with 2 prefixes and 1 origin adds 2 changes + 1 measure
    /// = 3 entries and 3 codes.
    #[test]
    fn the_size_of_a_schedule_and_an_overlay_is_counted_by_hand() {
        let b = base();
        let s = size(&b);
        assert_eq!((s.entries, s.codes), (4, 6));
        let structs = 4 * std::mem::size_of::<pb::Measure>() + 6 * std::mem::size_of::<String>();
        assert_eq!(
            s.message_bytes,
            (structs + prost::Message::encoded_len(&b)) as u64
        );
        let o = overlay(json!({"setRates": [{"measureId": "s301"}],
            "addMeasures": [{"id": "n", "htsPrefixes": ["85", "84"], "origins": ["CN"]}]}));
        let a = added_size(&o);
        assert_eq!((a.entries, a.codes), (3, 3));
        assert_eq!(s.plus(a).count(), 16);
        // Exemptions are entries with their codes, an all-in measure's programs are codes, and
        // metal-share estimates are entries: 1 measure + 2 exemptions + 2 estimates = 5
        // entries; 1 prefix + (2 prefixes + 1 origin + 2 programs) + 1 all-in program = 7.
        let rich: pb::TariffSchedule = serde_json::from_value(json!({"id": "r", "currency": "USD",
            "measures": [{"id": "f", "program": "PROGRAM_SECTION_232", "htsPrefixes": ["8703"],
                "rate": {"adValoremPercent": "15"}, "allInOf": ["PROGRAM_MFN"],
                "exemptions": [{"htsPrefixes": ["870380", "870390"]},
                               {"origins": ["CA"], "claimedPrograms": ["S", "S+"]}]}],
            "metalShareEstimates": [{"htsPrefix": "8482", "share": "0.1"},
                                    {"htsPrefix": "7616", "share": "0.3"}]}))
        .unwrap();
        let r = size(&rich);
        assert_eq!((r.entries, r.codes), (5, 7));
        // Known gaps are entries with their prefixes and origins as codes: 2 entries and
        // 3 + 2 = 5 codes more.
        let mut gapped = rich.clone();
        gapped.known_gaps = serde_json::from_value(json!([
            {"id": "a", "description": "d", "htsPrefixes": ["72", "73", "76"]},
            {"id": "b", "description": "d", "origins": ["GB", "RU"]}]))
        .unwrap();
        let g = size(&gapped);
        assert_eq!((g.entries, g.codes), (7, 12));
    }
}
