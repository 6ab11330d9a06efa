//! Resolves each input of a request, preset id or inline message, into a validated domain
//! value plus a reference that the response echoes for traceability.

use super::error::ApiError;
use crate::catalog::Catalog;
use crate::convert::{self, Limits};
use crate::engine::model::{Bom, PriceDeck, Schedule};
use crate::pb;
use crate::pb::calculate_impact_request::{
    BaselinePricesSource, BaselineScheduleSource, BomSource, ScenarioPricesSource,
    ScenarioScheduleSource,
};
use std::sync::Arc;

/// Every input of a calculation, validated.
#[derive(Debug)]
pub struct Resolved {
    /// The BOM.
    pub bom: Arc<Bom>,
    /// Baseline prices and where they came from.
    pub baseline_prices: (Arc<PriceDeck>, pb::SourceRef),
    /// Scenario prices.
    pub scenario_prices: (Arc<PriceDeck>, pb::SourceRef),
    /// Baseline schedule.
    pub baseline_schedule: (Arc<Schedule>, pb::SourceRef),
    /// Scenario schedule.
    pub scenario_schedule: (Arc<Schedule>, pb::SourceRef),
}

fn source_ref(id: &str, preset: bool, as_of_date: &str, source: &str) -> pb::SourceRef {
    pb::SourceRef {
        id: id.to_string(),
        preset,
        as_of_date: as_of_date.to_string(),
        source: source.to_string(),
    }
}

fn not_found(field: &str, kind: &'static str, id: &str, list_rpc: &'static str) -> ApiError {
    ApiError::NotFound {
        field: field.to_string(),
        kind,
        id: id.to_string(),
        list_rpc,
    }
}

fn bom(catalog: &Catalog, src: Option<&BomSource>, limits: &Limits) -> Result<Arc<Bom>, ApiError> {
    match src {
        Some(BomSource::BomId(id)) => catalog
            .bom(id)
            .map(|e| e.domain.clone())
            .ok_or_else(|| not_found("bom_id", "BOM", id, "tariff.v1.CatalogService/ListBoms")),
        Some(BomSource::Bom(b)) => Ok(Arc::new(convert::bom::bom(b, "bom", limits)?)),
        None => Err(crate::engine::InputError::new(
            "bom",
            crate::engine::Reason::Required,
            "set bom_id (a built-in BOM) or bom (inline)",
        )
        .into()),
    }
}

fn deck(
    catalog: &Catalog,
    id: Option<&str>,
    inline: Option<&pb::PriceDeck>,
    field: &str,
) -> Result<Option<(Arc<PriceDeck>, pb::SourceRef)>, ApiError> {
    if let Some(id) = id {
        let e = catalog.price_deck(id).ok_or_else(|| {
            not_found(
                &format!("{field}_id"),
                "price deck",
                id,
                "tariff.v1.CatalogService/ListPriceDecks",
            )
        })?;
        let p = &e.proto;
        return Ok(Some((
            e.domain.clone(),
            source_ref(&p.id, true, &p.as_of_date, &p.source),
        )));
    }
    match inline {
        Some(d) => Ok(Some((
            Arc::new(convert::price_deck::price_deck(d, field)?),
            source_ref(&d.id, false, &d.as_of_date, &d.source),
        ))),
        None => Ok(None),
    }
}

fn schedule(
    catalog: &Catalog,
    id: Option<&str>,
    inline: Option<&pb::TariffSchedule>,
    field: &str,
) -> Result<Option<(Arc<Schedule>, pb::SourceRef)>, ApiError> {
    if let Some(id) = id {
        let e = catalog.tariff_schedule(id).ok_or_else(|| {
            not_found(
                &format!("{field}_id"),
                "tariff schedule",
                id,
                "tariff.v1.CatalogService/ListTariffSchedules",
            )
        })?;
        let p = &e.proto;
        return Ok(Some((
            e.domain.clone(),
            source_ref(&p.id, true, &p.as_of_date, &p.source),
        )));
    }
    match inline {
        Some(s) => Ok(Some((
            Arc::new(convert::schedule::schedule(s, field)?),
            source_ref(&s.id, false, &s.as_of_date, &s.source),
        ))),
        None => Ok(None),
    }
}

/// Keeps a value, or records its violations and goes on so that every inline input is
/// checked in one call; other failures (a preset not found) stop at once.
fn keep<T>(
    errors: &mut Vec<crate::engine::InputError>,
    r: Result<T, ApiError>,
) -> Result<Option<T>, ApiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ApiError::InvalidArgument(e)) => {
            errors.extend(e);
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// Resolves every input of `req`, collecting the violations of all inline inputs together.
pub fn resolve(
    catalog: &Catalog,
    req: &pb::CalculateImpactRequest,
    limits: &Limits,
) -> Result<Resolved, ApiError> {
    let mut errors = Vec::new();
    let bom = keep(&mut errors, bom(catalog, req.bom_source.as_ref(), limits))?;
    let (bp_id, bp) = match &req.baseline_prices_source {
        Some(BaselinePricesSource::BaselinePricesId(id)) => (Some(id.as_str()), None),
        Some(BaselinePricesSource::BaselinePrices(d)) => (None, Some(d)),
        None => (None, None),
    };
    let (sp_id, sp) = match &req.scenario_prices_source {
        Some(ScenarioPricesSource::ScenarioPricesId(id)) => (Some(id.as_str()), None),
        Some(ScenarioPricesSource::ScenarioPrices(d)) => (None, Some(d)),
        None => (None, None),
    };
    let (bs_id, bs) = match &req.baseline_schedule_source {
        Some(BaselineScheduleSource::BaselineScheduleId(id)) => (Some(id.as_str()), None),
        Some(BaselineScheduleSource::BaselineSchedule(s)) => (None, Some(s)),
        None => (None, None),
    };
    let (ss_id, ss) = match &req.scenario_schedule_source {
        Some(ScenarioScheduleSource::ScenarioScheduleId(id)) => (Some(id.as_str()), None),
        Some(ScenarioScheduleSource::ScenarioSchedule(s)) => (None, Some(s)),
        None => (None, None),
    };
    let baseline_prices = keep(&mut errors, deck(catalog, bp_id, bp, "baseline_prices"))?.flatten();
    let scenario_prices = keep(&mut errors, deck(catalog, sp_id, sp, "scenario_prices"))?.flatten();
    let baseline_schedule = keep(
        &mut errors,
        schedule(catalog, bs_id, bs, "baseline_schedule"),
    )?
    .flatten();
    let scenario_schedule = keep(
        &mut errors,
        schedule(catalog, ss_id, ss, "scenario_schedule"),
    )?
    .flatten();
    let required = |field: &str, what: &str| {
        crate::engine::InputError::new(
            field,
            crate::engine::Reason::Required,
            format!("set {field}_id (a built-in {what}) or {field} (inline)"),
        )
    };
    if bp_id.is_none() && bp.is_none() {
        errors.push(required("baseline_prices", "price deck"));
    }
    if bs_id.is_none() && bs.is_none() {
        errors.push(required("baseline_schedule", "tariff schedule"));
    }
    match (bom, baseline_prices, baseline_schedule) {
        (Some(bom), Some(baseline_prices), Some(baseline_schedule)) if errors.is_empty() => {
            Ok(Resolved {
                bom,
                scenario_prices: scenario_prices.unwrap_or_else(|| baseline_prices.clone()),
                scenario_schedule: scenario_schedule.unwrap_or_else(|| baseline_schedule.clone()),
                baseline_prices,
                baseline_schedule,
            })
        }
        _ => Err(ApiError::InvalidArgument(errors)),
    }
}
