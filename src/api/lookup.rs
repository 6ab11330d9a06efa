//! `LookupMeasures`: the measures and fees of a built-in schedule in force for one imported
//! line, found the way a costing finds them (the schedule's HTS index, the entry date, the
//! origin), each with whether a costing charges it: the spot check before trusting a number.

use super::error::ApiError;
use crate::catalog::{Catalog, Entry};
use crate::convert::check::Check;
use crate::convert::enums;
use crate::engine::date::Date;
use crate::engine::duty::one_mfn_rate;
use crate::engine::model::{Import, Schedule, TransportMode};
use crate::engine::model::{Measure, Program};
use crate::pb;
use rust_decimal::Decimal;

/// The looked-up line's HTS digits, origin, entry date and transport mode, and the schedule.
type Looked<'a> = (
    String,
    String,
    Date,
    Option<TransportMode>,
    &'a Entry<pb::TariffSchedule, Schedule>,
);

/// Validates the request's fields and finds its schedule.
fn validate<'a>(
    catalog: &'a Catalog,
    req: &pb::LookupMeasuresRequest,
) -> Result<Looked<'a>, ApiError> {
    let mut c = Check::default();
    let digits = c.hts(&req.hts_code, "hts_code", 2);
    let origin = c.country(&req.origin, "origin");
    let date = c.date(&req.entry_date, "entry_date");
    let mode = if req.transport_mode == 0 {
        None
    } else {
        c.enum_value(
            enums::transport_mode(req.transport_mode),
            req.transport_mode,
            "transport_mode",
            "transport mode",
        )
    };
    let entry = catalog.tariff_schedule(&req.schedule_id);
    if entry.is_none() && req.schedule_id.is_empty() {
        c.push(
            "schedule_id",
            crate::engine::Reason::Required,
            "a built-in schedule id is required",
        );
    }
    let (digits, origin, date) = match c.finish((digits, origin, date)) {
        Ok((Some(d), Some(o), Some(t))) => (d, o, t),
        Ok(_) => return Err(ApiError::Internal),
        Err(errors) => return Err(ApiError::InvalidArgument(errors)),
    };
    let Some(entry) = entry else {
        return Err(ApiError::NotFound {
            field: "schedule_id".to_string(),
            kind: "tariff schedule",
            id: req.schedule_id.clone(),
            list_rpc: "ListTariffSchedules",
        });
    };
    Ok((digits, origin, date, mode, entry))
}

/// Why a matched measure is or is not charged, in words (empty when it simply is).
fn note(m: &Measure, is_charged: bool, mfn_kept: Option<&Measure>, claim: Option<&str>) -> String {
    if let (Some(code), Program::Mfn, true) = (claim, m.program, is_charged) {
        return match m.preference_rate(code) {
            Some(_) => format!(
                "claiming {code:?}: the special rate listed for it in preference_rates replaces this rate (if the origin may claim it)"
            ),
            None => format!(
                "claiming {code:?}: this line's rate does not list the program, so a costing refuses the claim"
            ),
        };
    }
    match (&m.group, is_charged, mfn_kept) {
        (_, false, Some(kept)) => format!(
            "not charged: {} is the MFN rate of a more specific HTS line",
            kept.id
        ),
        (Some(g), true, _) => format!(
            "alternatives group {g:?}: of the group's measures that apply, only the one with the highest duty is charged"
        ),
        _ if !m.all_in_of.is_empty() => format!(
            "all-in rate: charges what tops the duties of {} on the line up to its rate",
            m.all_in_of
                .iter()
                .map(|p| p.label())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => String::new(),
    }
}

/// `p` as a lookup shows it: a list measure may carry thousands of prefixes and a note's
/// exemptions a thousand more, so only the prefixes that cover the line are kept, and only
/// the exemptions that could (their HTS condition covers the line, or they have none).
fn cut_to_line(p: &pb::Measure, digits: &str) -> pb::Measure {
    let exemptions = p
        .exemptions
        .iter()
        .filter_map(|e| {
            let hts_prefixes = covering(&e.hts_prefixes, digits);
            (e.hts_prefixes.is_empty() || !hts_prefixes.is_empty()).then(|| pb::MeasureExemption {
                hts_prefixes,
                ..pb::MeasureExemption {
                    hts_prefixes: Vec::new(),
                    ..e.clone()
                }
            })
        })
        .collect();
    pb::Measure {
        hts_prefixes: covering(&p.hts_prefixes, digits),
        exemptions,
        ..pb::Measure {
            hts_prefixes: Vec::new(),
            exemptions: Vec::new(),
            ..p.clone()
        }
    }
}

/// The prefixes of `prefixes` (dots optional) that cover the HTS code of `digits`.
fn covering(prefixes: &[String], digits: &str) -> Vec<String> {
    prefixes
        .iter()
        .filter(|h| {
            let h: String = h.chars().filter(|c| *c != '.').collect();
            digits.starts_with(&h)
        })
        .cloned()
        .collect()
}

/// The known gaps of `schedule` (stored as `proto`) that concern `import` on `date`, their
/// HTS prefixes cut to those covering the line as a measure's are.
fn known_gaps(
    schedule: &Schedule,
    proto: &pb::TariffSchedule,
    import: &Import,
    date: Date,
) -> Vec<pb::KnownGap> {
    schedule
        .known_gaps
        .iter()
        .filter(|g| g.concerns(import, date))
        .filter_map(|g| proto.known_gaps.iter().find(|p| *p.id == *g.id))
        .map(|p| pb::KnownGap {
            hts_prefixes: covering(&p.hts_prefixes, &import.hts_digits),
            ..pb::KnownGap {
                hts_prefixes: Vec::new(),
                ..p.clone()
            }
        })
        .collect()
}

/// Looks up `req` in `catalog`.
pub(crate) fn lookup(
    catalog: &Catalog,
    req: &pb::LookupMeasuresRequest,
) -> Result<pb::LookupMeasuresResponse, ApiError> {
    let (digits, origin, date, mode, entry) = validate(catalog, req)?;
    let schedule = &entry.domain;
    let measures = schedule.measures();
    let import = Import {
        hts_code: req.hts_code.clone(),
        hts_digits: digits.clone(),
        origin: origin.as_str().into(),
        transport_mode: mode.unwrap_or(TransportMode::Ocean),
        customs_value: None,
        metal_content_share: None,
        net_mass_kg: None,
        preference: (!req.preference_program.is_empty())
            .then(|| req.preference_program.as_str().into()),
        // Only the code, origin and claim select measures; value and carriage do not.
        currency: schedule.currency,
        incoterm: Default::default(),
        freight: Decimal::ZERO,
        insurance: Decimal::ZERO,
        brokerage: Decimal::ZERO,
    };
    let applicable: Vec<&Measure> = schedule
        .index()
        .candidates(&digits)
        .into_iter()
        .map(|i| &measures[i])
        .filter(|m| m.applies_to(&import, date))
        .collect();
    let mut charged = applicable.clone();
    one_mfn_rate(&mut charged, &digits);
    let mfn_kept = charged.iter().find(|m| m.program == Program::Mfn);
    let matches = applicable
        .iter()
        .map(|m| {
            let is_charged = charged.iter().any(|k| std::ptr::eq(*k, *m));
            let note = note(
                m,
                is_charged,
                mfn_kept.copied(),
                import.preference.as_deref(),
            );
            let measure = schedule
                .position(&m.id)
                .and_then(|i| entry.proto.measures.get(i))
                .filter(|p| *p.id == *m.id)
                .map(|p| cut_to_line(p, &digits));
            pb::MeasureMatch {
                measure,
                charged: is_charged,
                note,
            }
        })
        .collect();
    let fees = schedule
        .fees
        .iter()
        .filter(|f| {
            f.window.contains(date)
                && !f.exempt_origins.contains(&origin)
                && mode
                    .is_none_or(|t| f.transport_modes.is_empty() || f.transport_modes.contains(&t))
        })
        .filter_map(|f| entry.proto.fees.iter().find(|p| *p.id == *f.id).cloned())
        .collect();
    Ok(pb::LookupMeasuresResponse {
        schedule_id: entry.proto.id.clone(),
        as_of_date: entry.proto.as_of_date.clone(),
        source: entry.proto.source.clone(),
        measures: matches,
        fees,
        mfn_missing: mfn_kept.is_none(),
        known_gaps: known_gaps(schedule, &entry.proto, &import, date),
        schedule_version: entry.version,
        schedule_origin: super::catalog_objects::origin_pb(entry.origin) as i32,
    })
}
