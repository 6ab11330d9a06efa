//! Resolves each input of a request, preset id or inline message, into a validated domain
//! value plus a reference that the response echoes for traceability. Each resolver takes the
//! input's field path (`bom`, `calculation.bom`, `scenarios[2].prices`), so violations point
//! at the right field in every RPC; a preset id is named by the same path plus `_id`.

use super::error::ApiError;
use crate::catalog::{Catalog, Entry};
use crate::convert::{self, Limits, check::Check, join};
use crate::engine::model::Scenario;
use crate::engine::model::{Bom, Item, ItemKind, Options, PriceDeck, Schedule};
use crate::engine::{self, Impact, InputError, Meter, Reason};
use crate::pb;
use crate::pb::calculate_impact_request::{
    BaselinePricesSource, BaselineScheduleSource, BomSource, ScenarioPricesSource,
    ScenarioScheduleSource,
};
use std::collections::HashSet;
use std::sync::Arc;

/// A validated price deck and where it came from.
pub type DeckRef = (Arc<PriceDeck>, pb::SourceRef);
/// A validated tariff schedule and where it came from.
pub type ScheduleRef = (Arc<Schedule>, pb::SourceRef);

/// Every input of a calculation, validated.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The BOM.
    pub bom: Arc<Bom>,
    /// Baseline prices and where they came from.
    pub baseline_prices: DeckRef,
    /// Scenario prices.
    pub scenario_prices: DeckRef,
    /// Baseline schedule.
    pub baseline_schedule: ScheduleRef,
    /// Scenario schedule.
    pub scenario_schedule: ScheduleRef,
}

impl Resolved {
    /// These inputs as the engine takes them, with `options`.
    pub fn scenario<'a>(&'a self, options: &'a Options) -> Scenario<'a> {
        Scenario {
            bom: &self.bom,
            baseline_prices: &self.baseline_prices.0,
            scenario_prices: &self.scenario_prices.0,
            baseline_schedule: &self.baseline_schedule.0,
            scenario_schedule: &self.scenario_schedule.0,
            options,
        }
    }

    /// Costs these inputs with `options` (the engine's [`Impact`]), counting on `meter`.
    pub fn calculate(&self, options: &Options, meter: &Meter) -> Result<Impact, engine::Error> {
        engine::calculate(&self.scenario(options), meter)
    }
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
        field: format!("{field}_id"),
        kind,
        id: id.to_string(),
        list_rpc,
    }
}

/// The violation for an input that must be given by id or inline.
pub fn required(field: &str, what: &str) -> InputError {
    InputError::new(
        field,
        Reason::Required,
        format!("set {field}_id (a built-in {what}) or {field} (inline)"),
    )
}

/// Resolves a BOM given by preset id or inline at `field`; `None` if neither is set.
pub fn bom(
    catalog: &Catalog,
    id: Option<&str>,
    inline: Option<&pb::Bom>,
    field: &str,
    limits: &Limits,
) -> Result<Option<Arc<Bom>>, ApiError> {
    if let Some(id) = id {
        return catalog
            .bom(id)
            .map(|e| Some(e.domain.clone()))
            .ok_or_else(|| not_found(field, "BOM", id, "tariff.v1.CatalogService/ListBoms"));
    }
    match inline {
        Some(b) => Ok(Some(Arc::new(convert::bom::bom(b, field, limits)?))),
        None => Ok(None),
    }
}

/// What a price deck or tariff schedule message says of its own provenance, echoed in
/// responses as a [`pb::SourceRef`].
trait Provenance {
    /// `(id, as_of_date, source)`.
    fn provenance(&self) -> (&str, &str, &str);
}

impl Provenance for pb::PriceDeck {
    fn provenance(&self) -> (&str, &str, &str) {
        (&self.id, &self.as_of_date, &self.source)
    }
}

impl Provenance for pb::TariffSchedule {
    fn provenance(&self) -> (&str, &str, &str) {
        (&self.id, &self.as_of_date, &self.source)
    }
}

/// Resolves a price deck or schedule given by preset id (looked up with `lookup`) or inline
/// (validated with `convert`) at `field`; `None` if neither is set.
fn preset_or_inline<'c, P: Provenance + 'c, D: 'c>(
    id: Option<&str>,
    inline: Option<&P>,
    field: &str,
    lookup: impl FnOnce(&str) -> Option<&'c Entry<P, D>>,
    (kind, list_rpc): (&'static str, &'static str),
    convert: impl FnOnce(&P, &str) -> Result<D, Vec<InputError>>,
) -> Result<Option<(Arc<D>, pb::SourceRef)>, ApiError> {
    let with_ref = |p: &P, preset: bool| {
        let (id, as_of_date, source) = p.provenance();
        source_ref(id, preset, as_of_date, source)
    };
    if let Some(id) = id {
        let e = lookup(id).ok_or_else(|| not_found(field, kind, id, list_rpc))?;
        return Ok(Some((e.domain.clone(), with_ref(&e.proto, true))));
    }
    match inline {
        Some(p) => Ok(Some((Arc::new(convert(p, field)?), with_ref(p, false)))),
        None => Ok(None),
    }
}

/// Resolves a price deck given by preset id or inline at `field`; `None` if neither is set.
pub fn deck(
    catalog: &Catalog,
    id: Option<&str>,
    inline: Option<&pb::PriceDeck>,
    field: &str,
) -> Result<Option<DeckRef>, ApiError> {
    preset_or_inline(
        id,
        inline,
        field,
        |id| catalog.price_deck(id),
        ("price deck", "tariff.v1.CatalogService/ListPriceDecks"),
        convert::price_deck::price_deck,
    )
}

/// Resolves a tariff schedule given by preset id or inline at `field`; `None` if neither.
pub fn schedule(
    catalog: &Catalog,
    id: Option<&str>,
    inline: Option<&pb::TariffSchedule>,
    field: &str,
) -> Result<Option<ScheduleRef>, ApiError> {
    preset_or_inline(
        id,
        inline,
        field,
        |id| catalog.tariff_schedule(id),
        (
            "tariff schedule",
            "tariff.v1.CatalogService/ListTariffSchedules",
        ),
        convert::schedule::schedule,
    )
}

/// Collects violations across inputs so one call reports them all; other failures (a preset
/// not found) stop at once.
#[derive(Debug, Default)]
pub struct Violations(pub Vec<InputError>);

impl Violations {
    /// Records the violations `c` collected.
    pub fn take(&mut self, c: Check) {
        if let Err(e) = c.finish(()) {
            self.0.extend(e);
        }
    }

    /// Keeps a value, or records its violations and returns `None`.
    pub fn keep<T>(&mut self, r: Result<Option<T>, ApiError>) -> Result<Option<T>, ApiError> {
        match r {
            Ok(v) => Ok(v),
            Err(ApiError::InvalidArgument(e)) => {
                self.0.extend(e);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }
}

/// Unpacks a request's `oneof` of a preset id or an inline message into
/// `(Option<&str>, Option<&Message>)`.
macro_rules! source {
    ($src:expr, $id:path, $inline:path) => {
        match $src {
            Some($id(id)) => (Some(id.as_str()), None),
            Some($inline(x)) => (None, Some(x)),
            None => (None, None),
        }
    };
}
pub(crate) use source;

/// Where the inputs every calculation shares come from: each a preset id or inline.
#[derive(Debug, Clone, Copy)]
pub struct BaseSources<'r> {
    /// The BOM.
    pub bom: (Option<&'r str>, Option<&'r pb::Bom>),
    /// The baseline price deck.
    pub baseline_prices: (Option<&'r str>, Option<&'r pb::PriceDeck>),
    /// The baseline tariff schedule.
    pub baseline_schedule: (Option<&'r str>, Option<&'r pb::TariffSchedule>),
    /// The options.
    pub options: Option<&'r pb::CalculationOptions>,
}

/// The shared inputs, validated; `None` where missing or invalid, the reason being recorded.
#[derive(Debug)]
pub struct Base {
    /// The BOM.
    pub bom: Option<Arc<Bom>>,
    /// The baseline price deck.
    pub baseline_prices: Option<DeckRef>,
    /// The baseline tariff schedule.
    pub baseline_schedule: Option<ScheduleRef>,
    /// The options.
    pub options: Option<Options>,
}

/// Resolves the shared inputs found under field path `prefix`, recording every violation
/// in `v` (a preset not found stops at once).
pub fn base(
    catalog: &Catalog,
    limits: &Limits,
    src: BaseSources<'_>,
    prefix: &str,
    v: &mut Violations,
) -> Result<Base, ApiError> {
    let f = |name: &str| join(prefix, name);
    let options = match convert::options::options(src.options, &f("options")) {
        Ok(o) => Some(o),
        Err(e) => {
            v.0.extend(e);
            None
        }
    };
    let (bom_id, bom_inline) = src.bom;
    let (bp_id, bp) = src.baseline_prices;
    let (bs_id, bs) = src.baseline_schedule;
    let base = Base {
        bom: v.keep(bom(catalog, bom_id, bom_inline, &f("bom"), limits))?,
        baseline_prices: v.keep(deck(catalog, bp_id, bp, &f("baseline_prices")))?,
        baseline_schedule: v.keep(schedule(catalog, bs_id, bs, &f("baseline_schedule")))?,
        options,
    };
    if let (Some(bom), Some(sp)) = (&base.bom, src.options.and_then(|o| o.stockpile.as_ref())) {
        stockpile_materials(
            bom,
            &sp.material_ids,
            &f("options.stockpile.material_ids"),
            v,
        );
    }
    for (given, field, what) in [
        (bom_id.is_some() || bom_inline.is_some(), "bom", "BOM"),
        (
            bp_id.is_some() || bp.is_some(),
            "baseline_prices",
            "price deck",
        ),
        (
            bs_id.is_some() || bs.is_some(),
            "baseline_schedule",
            "tariff schedule",
        ),
    ] {
        if !given {
            v.0.push(required(&f(field), what));
        }
    }
    Ok(base)
}

/// A stockpile may name only materials of the BOM: an unknown id would silently cover
/// nothing.
fn stockpile_materials(bom: &Bom, ids: &[String], field: &str, v: &mut Violations) {
    if ids.is_empty() {
        return;
    }
    fn walk<'a>(items: &'a [Item], out: &mut HashSet<&'a str>) {
        for item in items {
            match &item.kind {
                ItemKind::Material { material_id, .. } => {
                    out.insert(material_id);
                }
                ItemKind::Assembly { children } => walk(children, out),
                ItemKind::Component { .. } => {}
            }
        }
    }
    let mut materials = HashSet::new();
    walk(&bom.items, &mut materials);
    for (i, id) in ids.iter().enumerate() {
        if !materials.contains(id.as_str()) {
            v.0.push(InputError::new(
                format!("{field}[{i}]"),
                Reason::UnknownMaterial,
                format!(
                    "no material line of the BOM uses material {:?}",
                    crate::engine::text::clip(id)
                ),
            ));
        }
    }
}

/// Resolves every input and the options of a `CalculateImpactRequest` found at field path
/// `prefix` (empty at the top level), reporting all violations together.
pub fn resolve(
    catalog: &Catalog,
    req: &pb::CalculateImpactRequest,
    limits: &Limits,
    prefix: &str,
) -> Result<(Resolved, Options), ApiError> {
    let mut v = Violations::default();
    let src = BaseSources {
        bom: source!(&req.bom_source, BomSource::BomId, BomSource::Bom),
        baseline_prices: source!(
            &req.baseline_prices_source,
            BaselinePricesSource::BaselinePricesId,
            BaselinePricesSource::BaselinePrices
        ),
        baseline_schedule: source!(
            &req.baseline_schedule_source,
            BaselineScheduleSource::BaselineScheduleId,
            BaselineScheduleSource::BaselineSchedule
        ),
        options: req.options.as_ref(),
    };
    let base = base(catalog, limits, src, prefix, &mut v)?;
    let (sp_id, sp) = source!(
        &req.scenario_prices_source,
        ScenarioPricesSource::ScenarioPricesId,
        ScenarioPricesSource::ScenarioPrices
    );
    let (ss_id, ss) = source!(
        &req.scenario_schedule_source,
        ScenarioScheduleSource::ScenarioScheduleId,
        ScenarioScheduleSource::ScenarioSchedule
    );
    let scenario_prices = v.keep(deck(catalog, sp_id, sp, &join(prefix, "scenario_prices")))?;
    let scenario_schedule = v.keep(schedule(
        catalog,
        ss_id,
        ss,
        &join(prefix, "scenario_schedule"),
    ))?;
    match (
        base.bom,
        base.baseline_prices,
        base.baseline_schedule,
        base.options,
    ) {
        (Some(bom), Some(baseline_prices), Some(baseline_schedule), Some(options))
            if v.0.is_empty() =>
        {
            Ok((
                Resolved {
                    bom,
                    scenario_prices: scenario_prices.unwrap_or_else(|| baseline_prices.clone()),
                    scenario_schedule: scenario_schedule
                        .unwrap_or_else(|| baseline_schedule.clone()),
                    baseline_prices,
                    baseline_schedule,
                },
                options,
            ))
        }
        _ => Err(ApiError::InvalidArgument(v.0)),
    }
}
