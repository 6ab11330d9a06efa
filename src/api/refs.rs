//! The catalog references of a request (every `*_id` field that names a catalog object), so
//! the older versions it names (`id@version`) can be loaded before it is resolved: resolution
//! runs where it cannot wait on the database.

use crate::catalog::Kind;
use crate::pb;

/// (kind, id or `id@version`) of every catalog object a request names.
pub(crate) type Refs<'r> = Vec<(Kind, &'r str)>;

fn push<'r>(refs: &mut Refs<'r>, kind: Kind, id: &'r str) {
    if !id.is_empty() {
        refs.push((kind, id));
    }
}

/// The references of a calculation.
pub(crate) fn calculate(r: &pb::CalculateImpactRequest) -> Refs<'_> {
    use pb::calculate_impact_request::{
        BaselineFxSource, BaselinePricesSource, BaselineScheduleSource, BomSource,
        ScenarioFxSource, ScenarioPricesSource, ScenarioScheduleSource,
    };
    let mut refs = Vec::new();
    if let Some(BomSource::BomId(id)) = &r.bom_source {
        push(&mut refs, Kind::Bom, id);
    }
    if let Some(BaselinePricesSource::BaselinePricesId(id)) = &r.baseline_prices_source {
        push(&mut refs, Kind::PriceDeck, id);
    }
    if let Some(ScenarioPricesSource::ScenarioPricesId(id)) = &r.scenario_prices_source {
        push(&mut refs, Kind::PriceDeck, id);
    }
    if let Some(BaselineScheduleSource::BaselineScheduleId(id)) = &r.baseline_schedule_source {
        push(&mut refs, Kind::TariffSchedule, id);
    }
    if let Some(ScenarioScheduleSource::ScenarioScheduleId(id)) = &r.scenario_schedule_source {
        push(&mut refs, Kind::TariffSchedule, id);
    }
    if let Some(BaselineFxSource::BaselineFxId(id)) = &r.baseline_fx_source {
        push(&mut refs, Kind::FxDeck, id);
    }
    if let Some(ScenarioFxSource::ScenarioFxId(id)) = &r.scenario_fx_source {
        push(&mut refs, Kind::FxDeck, id);
    }
    push(
        &mut refs,
        Kind::ScheduleOverlay,
        &r.baseline_schedule_overlay_id,
    );
    push(
        &mut refs,
        Kind::ScheduleOverlay,
        &r.scenario_schedule_overlay_id,
    );
    refs
}

/// The references of a comparison: the baseline's and every scenario's.
pub(crate) fn compare(r: &pb::CompareScenariosRequest) -> Refs<'_> {
    use pb::compare_scenarios_request::{
        BaselineFxSource, BaselinePricesSource, BaselineScheduleSource, BomSource,
    };
    use pb::scenario_input::{FxSource, PricesSource, ScheduleSource};
    let mut refs = Vec::new();
    if let Some(BomSource::BomId(id)) = &r.bom_source {
        push(&mut refs, Kind::Bom, id);
    }
    if let Some(BaselinePricesSource::BaselinePricesId(id)) = &r.baseline_prices_source {
        push(&mut refs, Kind::PriceDeck, id);
    }
    if let Some(BaselineScheduleSource::BaselineScheduleId(id)) = &r.baseline_schedule_source {
        push(&mut refs, Kind::TariffSchedule, id);
    }
    if let Some(BaselineFxSource::BaselineFxId(id)) = &r.baseline_fx_source {
        push(&mut refs, Kind::FxDeck, id);
    }
    push(
        &mut refs,
        Kind::ScheduleOverlay,
        &r.baseline_schedule_overlay_id,
    );
    for s in &r.scenarios {
        if let Some(PricesSource::PricesId(id)) = &s.prices_source {
            push(&mut refs, Kind::PriceDeck, id);
        }
        if let Some(ScheduleSource::ScheduleId(id)) = &s.schedule_source {
            push(&mut refs, Kind::TariffSchedule, id);
        }
        if let Some(FxSource::FxId(id)) = &s.fx_source {
            push(&mut refs, Kind::FxDeck, id);
        }
        push(&mut refs, Kind::ScheduleOverlay, &s.schedule_overlay_id);
    }
    refs
}

/// The references of a sensitivity analysis: its calculation's.
pub(crate) fn sensitivity(r: &pb::AnalyzeSensitivityRequest) -> Refs<'_> {
    r.calculation.as_ref().map(calculate).unwrap_or_default()
}

/// The reference of a measures lookup: its schedule.
pub(crate) fn lookup(r: &pb::LookupMeasuresRequest) -> Refs<'_> {
    let mut refs = Vec::new();
    push(&mut refs, Kind::TariffSchedule, &r.schedule_id);
    refs
}
