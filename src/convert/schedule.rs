//! Tariff schedule conversion, including the check that pre-emption between programs has no
//! cycle (a cycle would leave it undefined which measure applies).

use super::check::{Check, Range, join};
use super::enums;
use crate::engine::model::{
    DutyBasis, Exemption, Fee, Incentive, Measure, MetalShares, PreferenceProgram, Program, Rate,
    Schedule,
};
use crate::engine::{InputError, Reason};
use crate::pb;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Largest ad valorem or fee rate accepted, in percent: far above any real duty, low enough
/// to catch a rate typed as a fraction's reciprocal.
const MAX_PERCENT: u32 = 10_000;

/// Validates a tariff schedule found at field path `root` (e.g. `scenario_schedule`).
pub(crate) fn schedule(s: &pb::TariffSchedule, root: &str) -> Result<Schedule, Vec<InputError>> {
    let mut c = Check::default();
    let currency = c.currency(&s.currency, &join(root, "currency"));
    c.optional_date(&s.as_of_date, &join(root, "as_of_date"));
    let mut ids = HashSet::new();
    let mut measures = Vec::with_capacity(s.measures.len());
    let mut groups = Groups::default();
    for (i, m) in s.measures.iter().enumerate() {
        let f = join(root, &format!("measures[{i}]"));
        unique_id(&mut c, &mut ids, &m.id, &f);
        if let Some(m) = measure(&mut c, m, &f) {
            groups.check(&mut c, &m, &f);
            measures.push(m);
        }
    }
    let mut fees = Vec::with_capacity(s.fees.len());
    for (i, fee_pb) in s.fees.iter().enumerate() {
        let f = join(root, &format!("fees[{i}]"));
        unique_id(&mut c, &mut ids, &fee_pb.id, &f);
        if let Some(fee) = fee(&mut c, fee_pb, &f) {
            fees.push(fee);
        }
    }
    let mut incentives = Vec::with_capacity(s.incentives.len());
    for (i, inc) in s.incentives.iter().enumerate() {
        let f = join(root, &format!("incentives[{i}]"));
        unique_id(&mut c, &mut ids, &inc.id, &f);
        if let Some(inc) = incentive(&mut c, inc, &f) {
            incentives.push(inc);
        }
    }
    if let Some(cycle) = preemption_cycle(&measures) {
        c.push(
            join(root, "measures"),
            Reason::InvalidStructure,
            format!("pre-emption between programs forms a cycle: {cycle}"),
        );
    }
    let preference_programs = preference_programs(&mut c, s, root);
    let de_minimis_threshold = c.optional_decimal(
        &s.de_minimis_threshold,
        &join(root, "de_minimis_threshold"),
        Range::NonNegative,
    );
    let known_gaps = super::known_gaps::known_gaps(&mut c, s, root);
    let valuation_basis = c.enum_value(
        super::enums::valuation_basis(s.valuation_basis),
        s.valuation_basis,
        &join(root, "valuation_basis"),
        "valuation basis",
    );
    let Some(currency) = currency else {
        return Err(c.into_errors());
    };
    let metal_shares = metal_shares(&mut c, s, root);
    let mut schedule = Schedule::new(
        s.id.clone(),
        currency,
        measures,
        fees,
        de_minimis_threshold,
        incentives,
        preference_programs,
    );
    schedule.metal_shares = metal_shares;
    schedule.known_gaps = known_gaps;
    schedule.valuation_basis = valuation_basis.unwrap_or_default();
    c.finish(schedule)
}

/// The estimated metal shares of `s`: HTS prefixes with shares in [0, 1], each prefix once,
/// and a source to label them with.
fn metal_shares(c: &mut Check, s: &pb::TariffSchedule, root: &str) -> MetalShares {
    let mut shares = Vec::with_capacity(s.metal_share_estimates.len());
    let mut seen = HashSet::new();
    for (i, e) in s.metal_share_estimates.iter().enumerate() {
        let f = join(root, &format!("metal_share_estimates[{i}]"));
        let prefix = c.hts(&e.hts_prefix, &join(&f, "hts_prefix"), 1);
        let share = c.decimal(&e.share, &join(&f, "share"), Range::Share);
        if let (Some(prefix), Some(share)) = (prefix, share) {
            if !seen.insert(prefix.clone()) {
                c.push(
                    join(&f, "hts_prefix"),
                    Reason::Duplicate,
                    format!("HTS prefix {prefix} has two estimates"),
                );
            }
            shares.push((prefix, share));
        }
    }
    if !shares.is_empty() && s.metal_share_estimates_source.trim().is_empty() {
        c.push(
            join(root, "metal_share_estimates_source"),
            Reason::Required,
            "estimates need their source: every use of one is labelled with it",
        );
    }
    MetalShares::new(shares, s.metal_share_estimates_source.as_str().into())
}

/// The special programs of `s`, by code; a code defined twice is a violation.
fn preference_programs(
    c: &mut Check,
    s: &pb::TariffSchedule,
    root: &str,
) -> HashMap<std::sync::Arc<str>, PreferenceProgram> {
    let mut preference_programs = HashMap::with_capacity(s.preference_programs.len());
    for (i, p) in s.preference_programs.iter().enumerate() {
        let f = join(root, &format!("preference_programs[{i}]"));
        if p.code.is_empty() {
            c.push(
                join(&f, "code"),
                Reason::Required,
                "a program code is required",
            );
            continue;
        }
        let origins = c
            .countries(&p.origins, &join(&f, "origins"))
            .into_iter()
            .collect();
        let lapsed_from = c.optional_date(&p.lapsed_from, &join(&f, "lapsed_from"));
        let program = PreferenceProgram {
            name: if p.name.is_empty() {
                p.code.as_str().into()
            } else {
                p.name.as_str().into()
            },
            origins,
            lapsed_from,
        };
        if preference_programs
            .insert(p.code.as_str().into(), program)
            .is_some()
        {
            c.push(
                join(&f, "code"),
                Reason::Duplicate,
                format!("program {:?} is defined twice", p.code),
            );
        }
    }
    preference_programs
}

fn incentive(c: &mut Check, inc: &pb::Incentive, f: &str) -> Option<Incentive> {
    let credit = c.decimal(
        &inc.credit_amount,
        &join(f, "credit_amount"),
        Range::NonNegative,
    );
    let max_share = c.decimal(
        &inc.max_restricted_share,
        &join(f, "max_restricted_share"),
        Range::Share,
    );
    if inc.restricted_origins.is_empty() {
        c.push(
            join(f, "restricted_origins"),
            Reason::Required,
            "list the origins whose content counts against the credit",
        );
    }
    let restricted_origins = c
        .countries(&inc.restricted_origins, &join(f, "restricted_origins"))
        .into_iter()
        .collect();
    let window = c.window(&inc.effective_from, &inc.effective_to, f);
    Some(Incentive {
        id: inc.id.clone(),
        name: if inc.name.is_empty() {
            inc.id.clone()
        } else {
            inc.name.clone()
        },
        credit: credit?,
        restricted_origins,
        max_restricted_share: max_share?,
        material_ids: inc.material_ids.iter().collect(),
        window,
    })
}

/// The first measure of each alternatives group, by group name: the measures of a group
/// replace one another, so they must differ in rate, scope and dates only. A group that mixed
/// programs, bases or pre-emptions would make which programs stack, on which value, depend on
/// which member's duty is highest.
#[derive(Default)]
struct Groups {
    first:
        std::collections::HashMap<std::sync::Arc<str>, (String, Program, DutyBasis, Vec<Program>)>,
}

impl Groups {
    fn check(&mut self, c: &mut Check, m: &Measure, f: &str) {
        let Some(group) = &m.group else { return };
        let shape = (m.program, m.basis, m.preempts.clone());
        match self.first.get(group) {
            None => {
                self.first
                    .insert(group.clone(), (m.id.to_string(), shape.0, shape.1, shape.2));
            }
            Some((first, program, basis, preempts)) => {
                if (*program, *basis, preempts) != (shape.0, shape.1, &shape.2) {
                    c.push(
                        join(f, "alternative_group"),
                        Reason::InvalidValue,
                        format!(
                            "the measures of group {group:?} must share program, basis and pre-emptions; this one differs from {first:?}"
                        ),
                    );
                }
            }
        }
    }
}

fn unique_id(c: &mut Check, ids: &mut HashSet<String>, id: &str, f: &str) {
    if id.is_empty() {
        c.push(join(f, "id"), Reason::Required, "id is required");
    } else if !ids.insert(id.to_string()) {
        c.push(
            join(f, "id"),
            Reason::Duplicate,
            format!("id {id:?} is used twice among this schedule's measures, fees and incentives"),
        );
    }
}

fn percent(c: &mut Check, s: &str, field: &str, required: bool) -> Option<rust_decimal::Decimal> {
    let v = if required {
        c.decimal(s, field, Range::NonNegative)
    } else {
        c.optional_decimal(s, field, Range::NonNegative)
    };
    match v {
        Some(p) if p > rust_decimal::Decimal::from(MAX_PERCENT) => {
            c.push(
                field,
                Reason::OutOfRange,
                format!("{s}% is above the {MAX_PERCENT}% limit"),
            );
            None
        }
        other => other,
    }
}

fn measure(c: &mut Check, m: &pb::Measure, f: &str) -> Option<Measure> {
    let program = c.enum_value(
        enums::program(m.program),
        m.program,
        &join(f, "program"),
        "program",
    );
    let hts_prefixes = m
        .hts_prefixes
        .iter()
        .enumerate()
        .filter_map(|(i, p)| c.hts(p, &join(f, &format!("hts_prefixes[{i}]")), 1))
        .collect();
    let origins = c
        .countries(&m.origins, &join(f, "origins"))
        .into_iter()
        .collect();
    let excluded_origins = c
        .countries(&m.excluded_origins, &join(f, "excluded_origins"))
        .into_iter()
        .collect();
    let window = c.window(&m.effective_from, &m.effective_to, f);
    let basis = c.enum_value(
        enums::duty_basis(m.basis),
        m.basis,
        &join(f, "basis"),
        "duty basis",
    );
    // Repeats add nothing; without them each program is pre-empted once per measure.
    let preempts = programs(c, &m.preempts, &join(f, "preempts"));
    let preference_rates = preference_rates(c, m, f);
    let rate_field = join(f, "rate");
    let rate = match &m.rate {
        Some(r) => rate(c, r, &rate_field),
        None => {
            c.push(rate_field, Reason::Required, "a rate is required");
            None
        }
    };
    let all_in_of = all_in_of(c, m, rate.as_ref(), f);
    Some(Measure {
        id: m.id.as_str().into(),
        name: if m.name.is_empty() {
            m.id.as_str().into()
        } else {
            m.name.as_str().into()
        },
        program: program?,
        hts_prefixes,
        origins,
        excluded_origins,
        window,
        rate: rate?,
        basis: basis?,
        preempts,
        group: (!m.alternative_group.is_empty()).then(|| m.alternative_group.as_str().into()),
        preference_rates,
        exemptions: exemptions(c, m, f),
        all_in_of,
    })
}

/// The exemptions of measure `m`, each with at least one condition.
fn exemptions(c: &mut Check, m: &pb::Measure, f: &str) -> Vec<Exemption> {
    let mut out = Vec::with_capacity(m.exemptions.len());
    for (i, e) in m.exemptions.iter().enumerate() {
        let ef = join(f, &format!("exemptions[{i}]"));
        if e.hts_prefixes.is_empty() && e.origins.is_empty() && e.claimed_programs.is_empty() {
            c.push(
                ef,
                Reason::Required,
                "an exemption needs at least one condition (HTS prefixes, origins or claimed programs): without one it would exempt every import",
            );
            continue;
        }
        let mut hts_prefixes: Vec<String> = e
            .hts_prefixes
            .iter()
            .enumerate()
            .filter_map(|(j, p)| c.hts(p, &join(&ef, &format!("hts_prefixes[{j}]")), 1))
            .collect();
        hts_prefixes.sort_unstable();
        hts_prefixes.dedup();
        out.push(Exemption {
            hts_prefixes,
            origins: c
                .countries(&e.origins, &join(&ef, "origins"))
                .into_iter()
                .collect(),
            claimed_programs: e.claimed_programs.iter().collect(),
        });
    }
    out
}

/// The programs of the list at `field`, sorted, each once; an unknown one is a violation at
/// its index.
fn programs(c: &mut Check, raw: &[i32], field: &str) -> Vec<Program> {
    let mut out: Vec<Program> = raw
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            c.enum_value(enums::program(*p), *p, &format!("{field}[{i}]"), "program")
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The programs an all-in (floor) measure's total includes. A floor tops up the duties of
/// those programs to its rate, so its rate must be ad valorem only (a specific floor would
/// compare amounts per different quantities), and it may not be an alternative of other
/// measures (the group keeps the highest duty, which for a floor depends on the others).
fn all_in_of(c: &mut Check, m: &pb::Measure, rate: Option<&Rate>, f: &str) -> Vec<Program> {
    let programs = programs(c, &m.all_in_of, &join(f, "all_in_of"));
    if programs.is_empty() {
        return programs;
    }
    if rate.is_some_and(|r| {
        r.ad_valorem_percent.is_none()
            || r.specific.is_some()
            || r.minimum.is_some()
            || r.maximum.is_some()
    }) {
        c.push(
            join(f, "rate"),
            Reason::InvalidValue,
            "an all-in (floor) rate must be ad valorem only, with no specific part, minimum or maximum",
        );
    }
    if !m.alternative_group.is_empty() {
        c.push(
            join(f, "alternative_group"),
            Reason::InvalidValue,
            "an all-in (floor) measure cannot belong to an alternatives group: its duty depends on the others charged",
        );
    }
    programs
}

/// The special-column rates of measure `m`, each with its program codes.
fn preference_rates(
    c: &mut Check,
    m: &pb::Measure,
    f: &str,
) -> Vec<(Vec<std::sync::Arc<str>>, Rate)> {
    let mut preference_rates = Vec::with_capacity(m.preference_rates.len());
    for (i, p) in m.preference_rates.iter().enumerate() {
        let pf = join(f, &format!("preference_rates[{i}]"));
        if p.programs.is_empty() {
            c.push(
                join(&pf, "programs"),
                Reason::Required,
                "name the programs this rate applies under",
            );
        }
        match &p.rate {
            Some(r) => {
                if let Some(r) = rate(c, r, &join(&pf, "rate")) {
                    preference_rates
                        .push((p.programs.iter().map(|c| c.as_str().into()).collect(), r));
                }
            }
            None => c.push(join(&pf, "rate"), Reason::Required, "a rate is required"),
        }
    }
    preference_rates
}

fn rate(c: &mut Check, r: &pb::Rate, f: &str) -> Option<Rate> {
    let ad_valorem_percent = percent(
        c,
        &r.ad_valorem_percent,
        &join(f, "ad_valorem_percent"),
        false,
    );
    let specific_amount = c.optional_decimal(
        &r.specific_amount,
        &join(f, "specific_amount"),
        Range::NonNegative,
    );
    let specific = match specific_amount {
        Some(a) => c
            .enum_value(
                enums::unit(r.specific_unit),
                r.specific_unit,
                &join(f, "specific_unit"),
                "unit of measure",
            )
            .map(|u| (a, u)),
        None => None,
    };
    if r.ad_valorem_percent.is_empty() && r.specific_amount.is_empty() {
        c.push(
            join(f, "ad_valorem_percent"),
            Reason::Required,
            "a rate needs ad_valorem_percent, specific_amount or both",
        );
        return None;
    }
    let minimum = c.optional_decimal(
        &r.minimum_amount,
        &join(f, "minimum_amount"),
        Range::NonNegative,
    );
    let maximum = c.optional_decimal(
        &r.maximum_amount,
        &join(f, "maximum_amount"),
        Range::NonNegative,
    );
    let limit_unit = if r.minimum_amount.is_empty() && r.maximum_amount.is_empty() {
        None
    } else {
        c.enum_value(
            enums::unit(r.limit_unit),
            r.limit_unit,
            &join(f, "limit_unit"),
            "unit of measure",
        )
    };
    c.ordered(
        minimum,
        maximum,
        &join(f, "maximum_amount"),
        "maximum_amount is below minimum_amount",
    );
    Some(Rate {
        ad_valorem_percent,
        specific,
        minimum,
        maximum,
        limit_unit,
    })
}

fn fee(c: &mut Check, fee: &pb::Fee, f: &str) -> Option<Fee> {
    let kind = c.enum_value(
        enums::fee_kind(fee.kind),
        fee.kind,
        &join(f, "kind"),
        "fee kind",
    );
    let rate_percent = percent(c, &fee.rate_percent, &join(f, "rate_percent"), true);
    let minimum = c.optional_decimal(
        &fee.minimum_per_entry,
        &join(f, "minimum_per_entry"),
        Range::NonNegative,
    );
    let maximum = c.optional_decimal(
        &fee.maximum_per_entry,
        &join(f, "maximum_per_entry"),
        Range::NonNegative,
    );
    c.ordered(
        minimum,
        maximum,
        &join(f, "maximum_per_entry"),
        "maximum_per_entry is below minimum_per_entry",
    );
    let mut transport_modes: Vec<_> = fee
        .transport_modes
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            c.enum_value(
                enums::transport_mode(*m),
                *m,
                &join(f, &format!("transport_modes[{i}]")),
                "transport mode",
            )
        })
        .collect();
    let mut seen = HashSet::new();
    transport_modes.retain(|m| seen.insert(*m));
    let exempt_origins = c
        .countries(&fee.exempt_origins, &join(f, "exempt_origins"))
        .into_iter()
        .collect();
    let window = c.window(&fee.effective_from, &fee.effective_to, f);
    Some(Fee {
        id: fee.id.as_str().into(),
        name: if fee.name.is_empty() {
            fee.id.as_str().into()
        } else {
            fee.name.as_str().into()
        },
        kind: kind?,
        rate_percent: rate_percent?,
        minimum_per_entry: minimum,
        maximum_per_entry: maximum,
        transport_modes,
        exempt_origins,
        window,
    })
}

/// A cycle in the graph "program A pre-empts program B" over all measures, as text
/// ("Section 232 -> IEEPA -> Section 232"), if there is one. Self-pre-emption is a cycle.
/// The graph holds only the programs the measures name, so no list of every program is needed
/// (a list kept by hand would silently miss a program added later).
fn preemption_cycle(measures: &[Measure]) -> Option<String> {
    let mut edges: BTreeMap<Program, BTreeSet<Program>> = BTreeMap::new();
    for m in measures {
        edges
            .entry(m.program)
            .or_default()
            .extend(m.preempts.iter());
    }
    fn visit(
        p: Program,
        edges: &BTreeMap<Program, BTreeSet<Program>>,
        stack: &mut Vec<Program>,
        done: &mut BTreeSet<Program>,
    ) -> Option<String> {
        if let Some(start) = stack.iter().position(|q| *q == p) {
            let mut names: Vec<&str> = stack[start..].iter().map(|q| q.label()).collect();
            names.push(p.label());
            return Some(names.join(" -> "));
        }
        if done.contains(&p) {
            return None;
        }
        stack.push(p);
        for next in edges.get(&p).into_iter().flatten() {
            if let Some(c) = visit(*next, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(p);
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|p| visit(*p, &edges, &mut Vec::new(), &mut done))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cycle found among measures of `(program, preempts)`, via the full conversion.
    fn cycle(measures: &[(&str, &[&str])]) -> Option<String> {
        let measures: Vec<serde_json::Value> = measures
            .iter()
            .enumerate()
            .map(|(i, (program, preempts))| {
                serde_json::json!({"id": format!("m{i}"), "program": program,
                    "rate": {"adValoremPercent": "1"}, "preempts": preempts})
            })
            .collect();
        let s: pb::TariffSchedule = serde_json::from_value(
            serde_json::json!({"id": "s", "currency": "USD", "measures": measures}),
        )
        .unwrap();
        match schedule(&s, "schedule") {
            Ok(_) => None,
            Err(errors) => {
                assert_eq!(errors.len(), 1, "{errors:?}");
                assert_eq!(errors[0].field.path(), Some("schedule.measures"));
                Some(errors[0].message.clone())
            }
        }
    }

    #[test]
    fn pre_emption_may_chain_but_not_loop() {
        assert_eq!(
            cycle(&[
                (
                    "PROGRAM_SECTION_232",
                    &["PROGRAM_IEEPA", "PROGRAM_SECTION_122"]
                ),
                ("PROGRAM_IEEPA", &["PROGRAM_SECTION_122"]),
                ("PROGRAM_SAFEGUARD", &["PROGRAM_OTHER"]),
            ]),
            None
        );
        let self_loop = cycle(&[("PROGRAM_AD_CVD", &["PROGRAM_AD_CVD"])]).unwrap();
        assert!(self_loop.contains("AD/CVD -> AD/CVD"), "{self_loop}");
        // A loop through programs declared in any order, one of them the last variant.
        let three = cycle(&[
            ("PROGRAM_OTHER", &["PROGRAM_MFN"]),
            ("PROGRAM_SECTION_301", &["PROGRAM_OTHER"]),
            ("PROGRAM_MFN", &["PROGRAM_SECTION_301"]),
        ])
        .unwrap();
        assert!(
            three.contains("MFN -> Section 301 -> Other -> MFN"),
            "{three}"
        );
    }

    /// Ids are required and unique across a schedule's measures, fees and incentives.
    #[test]
    fn ids_are_required_and_unique_across_the_schedule() {
        let s: pb::TariffSchedule = serde_json::from_value(serde_json::json!({
            "id": "s", "currency": "USD",
            "measures": [
                {"id": "", "program": "PROGRAM_MFN", "rate": {"adValoremPercent": "1"}},
                {"id": "x", "program": "PROGRAM_MFN", "rate": {"adValoremPercent": "1"}}],
            "fees": [{"id": "x", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464"}]
        }))
        .unwrap();
        let errors: Vec<(String, Reason)> = schedule(&s, "schedule")
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field.path().unwrap().to_string(), e.reason))
            .collect();
        assert_eq!(
            errors,
            [
                ("schedule.measures[0].id".to_string(), Reason::Required),
                ("schedule.fees[0].id".to_string(), Reason::Duplicate)
            ]
        );
    }

    /// `(field, reason)` of each violation of a schedule of these measures.
    fn measure_errors(measures: serde_json::Value) -> Vec<(String, Reason)> {
        let s: pb::TariffSchedule = serde_json::from_value(
            serde_json::json!({"id": "s", "currency": "USD", "measures": measures}),
        )
        .unwrap();
        crate::convert::check::violations(schedule(&s, "schedule"))
    }

    /// An all-in rate is ad valorem only and in no alternatives group; an exemption states
    /// at least one condition, each checked like the measure's own.
    #[test]
    fn all_in_rates_and_exemptions_are_checked() {
        let floor = |rate: serde_json::Value, group: &str| {
            measure_errors(
                serde_json::json!([{"id": "m", "program": "PROGRAM_SECTION_232",
                "rate": rate, "allInOf": ["PROGRAM_MFN"], "alternativeGroup": group}]),
            )
        };
        assert_eq!(floor(serde_json::json!({"adValoremPercent": "15"}), ""), []);
        let rate_error = [(
            "schedule.measures[0].rate".to_string(),
            Reason::InvalidValue,
        )];
        assert_eq!(
            floor(
                serde_json::json!({"adValoremPercent": "15", "specificAmount": "1", "specificUnit": "UNIT_OF_MEASURE_KG"}),
                ""
            ),
            rate_error
        );
        assert_eq!(
            floor(
                serde_json::json!({"adValoremPercent": "15", "minimumAmount": "1", "limitUnit": "UNIT_OF_MEASURE_KG"}),
                ""
            ),
            rate_error
        );
        assert_eq!(
            floor(
                serde_json::json!({"specificAmount": "1", "specificUnit": "UNIT_OF_MEASURE_KG"}),
                ""
            ),
            rate_error
        );
        assert_eq!(
            floor(serde_json::json!({"adValoremPercent": "15"}), "g"),
            [(
                "schedule.measures[0].alternative_group".to_string(),
                Reason::InvalidValue
            )]
        );
        let exempt = |e: serde_json::Value| {
            measure_errors(
                serde_json::json!([{"id": "m", "program": "PROGRAM_SECTION_122",
                "rate": {"adValoremPercent": "10"}, "exemptions": [e]}]),
            )
        };
        assert_eq!(exempt(serde_json::json!({"claimedPrograms": ["S"]})), []);
        assert_eq!(
            exempt(serde_json::json!({"source": "note"})),
            [(
                "schedule.measures[0].exemptions[0]".to_string(),
                Reason::Required
            )]
        );
        assert_eq!(
            exempt(serde_json::json!({"htsPrefixes": ["8505", "85x"], "origins": ["CA"]})),
            [(
                "schedule.measures[0].exemptions[0].hts_prefixes[1]".to_string(),
                Reason::InvalidValue
            )]
        );
    }

    /// Metal-share estimates are shares in [0, 1] of HTS prefixes, each prefix once, and need
    /// their source; the longest prefix of a code finds its estimate.
    #[test]
    fn metal_share_estimates_are_checked_and_found_by_prefix() {
        let convert = |estimates: serde_json::Value, source: &str| {
            let s: pb::TariffSchedule = serde_json::from_value(serde_json::json!({
                "id": "s", "currency": "USD", "metalShareEstimates": estimates,
                "metalShareEstimatesSource": source}))
            .unwrap();
            schedule(&s, "schedule")
        };
        let ok = convert(
            serde_json::json!([{"htsPrefix": "8482", "share": "0.5"},
                               {"htsPrefix": "8482.10.5044", "share": "0.0981"}]),
            "BEA",
        )
        .unwrap();
        let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
        assert_eq!(ok.metal_shares.of("8482105044"), Some(d("0.0981")));
        assert_eq!(ok.metal_shares.of("8482105048"), Some(d("0.5")));
        assert_eq!(ok.metal_shares.of("8483"), None);
        assert_eq!(&*ok.metal_shares.source, "BEA");
        let errors = crate::convert::check::violations(convert(
            serde_json::json!([{"htsPrefix": "8482", "share": "1.5"},
                               {"htsPrefix": "8482", "share": "0.5"},
                               {"htsPrefix": "84.82", "share": "0.5"}]),
            " ",
        ));
        assert_eq!(
            errors,
            [
                (
                    "schedule.metal_share_estimates[0].share".to_string(),
                    Reason::OutOfRange
                ),
                (
                    "schedule.metal_share_estimates[2].hts_prefix".to_string(),
                    Reason::Duplicate
                ),
                (
                    "schedule.metal_share_estimates_source".to_string(),
                    Reason::Required
                ),
            ]
        );
    }

    /// Percentages up to 10,000% (a hundredfold duty) are accepted, beyond is a mistake.
    #[test]
    fn percentages_stop_at_ten_thousand() {
        let m = |rate: &str| {
            measure_errors(serde_json::json!([{"id": "m", "program": "PROGRAM_MFN",
                "rate": {"adValoremPercent": rate}}]))
        };
        assert_eq!(m("10000"), []);
        assert_eq!(
            m("10000.000000000001"),
            [(
                "schedule.measures[0].rate.ad_valorem_percent".to_string(),
                Reason::OutOfRange
            )]
        );
    }

    /// A minimum or a maximum alone needs the unit it is per; neither needs none.
    #[test]
    fn a_duty_limit_needs_its_unit() {
        let m = |rate: serde_json::Value| {
            measure_errors(serde_json::json!([{"id": "m", "program": "PROGRAM_MFN", "rate": rate}]))
        };
        let unit_required = [(
            "schedule.measures[0].rate.limit_unit".to_string(),
            Reason::Required,
        )];
        assert_eq!(
            m(serde_json::json!({"adValoremPercent": "1", "minimumAmount": "2"})),
            unit_required
        );
        assert_eq!(
            m(serde_json::json!({"adValoremPercent": "1", "maximumAmount": "2"})),
            unit_required
        );
        assert_eq!(m(serde_json::json!({"adValoremPercent": "1"})), []);
        assert_eq!(
            m(
                serde_json::json!({"adValoremPercent": "1", "maximumAmount": "2",
                "limitUnit": "UNIT_OF_MEASURE_KG"})
            ),
            []
        );
    }
}
