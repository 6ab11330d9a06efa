//! Resolves each input of a request, preset id or inline message, into a validated domain
//! value plus a reference that the response echoes for traceability. Each resolver takes the
//! input's field path (`bom`, `calculation.bom`, `scenarios[2].prices`), so violations point
//! at the right field in every RPC; a preset id is named by the same path plus `_id`.
//!
//! A tariff schedule may come with an overlay of changes ([`side_schedule`]): the base's message
//! (a preset's, an inline one, or for a scenario without a schedule of its own the baseline's)
//! is changed and validated by [`crate::convert::overlay`], its rebuild bounded before it
//! starts and counted in the call's cost ([`Rebuilds`]), and its provenance echoed with the
//! overlay's id and source.
//!
//! The engine names what it rejects in its own terms ([`Locator`]: a BOM line by position, an
//! option, an input's role); [`Resolved::locate`] is where those become this request's field
//! paths, under the same prefix as validation's, so an RPC's errors agree on their paths.

use super::catalog_objects::origin_pb;
use super::error::ApiError;
use super::overlaid::Built;
use crate::catalog::{Catalog, Entry};
use crate::convert::bom::SourcedBom;
use crate::convert::overlay::{self, Paths};
use crate::convert::{self, Limits, check::Check, join};
use crate::engine::currency::Currency;
use crate::engine::error::{Aim, Attribute, Locator, Role, Setting};
use crate::engine::estimate::{self, Estimate};
use crate::engine::fx::{Fx, FxDeck};
use crate::engine::model::Scenario;
use crate::engine::model::{Item, ItemKind, Options, PriceDeck, Schedule};
use crate::engine::text::clip;
use crate::engine::{self, Impact, InputError, Meter, Reason};
use crate::pb;
use crate::pb::calculate_impact_request::{
    BaselineFxSource, BaselinePricesSource, BaselineScheduleSource, BomSource, ScenarioFxSource,
    ScenarioPricesSource, ScenarioScheduleSource,
};
use std::collections::HashSet;
use std::sync::Arc;

/// A validated price deck or tariff schedule, where it came from, and the request field that
/// gave it.
#[derive(Debug)]
pub(crate) struct Given<T> {
    /// The validated input.
    pub value: Arc<T>,
    /// Its provenance, echoed in responses.
    pub source: pb::SourceRef,
    /// The request field that gave it, e.g. `scenarios[2].prices` (`_id` is added for a
    /// preset).
    pub field: String,
}

impl<T> Clone for Given<T> {
    fn clone(&self) -> Self {
        Given {
            value: self.value.clone(),
            source: self.source.clone(),
            field: self.field.clone(),
        }
    }
}

impl<T> Given<T> {
    /// The field an error about this input's currency names: the currency of an inline
    /// input, the id of a preset (another preset is the fix).
    fn currency_field(&self) -> String {
        if self.source.preset {
            format!("{}_id", self.field)
        } else {
            join(&self.field, "currency")
        }
    }
}

/// A validated price deck and where it came from.
pub(crate) type DeckRef = Given<PriceDeck>;
/// A validated tariff schedule and where it came from.
pub(crate) type ScheduleRef = Given<Schedule>;
/// A validated FX deck and where it came from.
pub(crate) type FxRef = Given<FxDeck>;

/// Every input of a calculation, validated.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// The field path of the calculation in its request: empty at the top level,
    /// `calculation` in a sensitivity analysis.
    pub prefix: String,
    /// The BOM.
    pub bom: Arc<SourcedBom>,
    /// Where the BOM came from (preset, saved version or inline).
    pub bom_source: pb::SourceRef,
    /// Baseline prices and where they came from.
    pub baseline_prices: DeckRef,
    /// Scenario prices.
    pub scenario_prices: DeckRef,
    /// Baseline schedule.
    pub baseline_schedule: ScheduleRef,
    /// Scenario schedule.
    pub scenario_schedule: ScheduleRef,
    /// Baseline exchange rates, if given.
    pub baseline_fx: Option<FxRef>,
    /// Scenario exchange rates, if given (else the baseline's).
    pub scenario_fx: Option<FxRef>,
    /// Refuse a result with coverage gaps (`options.require_coverage`).
    pub require_coverage: bool,
    /// Known gaps the request acknowledged (`options.acknowledged_gaps`): listed, not refused.
    pub acknowledged_gaps: Vec<Arc<str>>,
}

impl Resolved {
    /// These inputs as the engine takes them, with `options`.
    pub(crate) fn scenario<'a>(&'a self, options: &'a Options) -> Scenario<'a> {
        Scenario {
            bom: &self.bom.bom,
            baseline_prices: &self.baseline_prices.value,
            scenario_prices: &self.scenario_prices.value,
            baseline_schedule: &self.baseline_schedule.value,
            scenario_schedule: &self.scenario_schedule.value,
            baseline_fx: self.baseline_fx.as_ref().map(|f| &*f.value),
            scenario_fx: self.scenario_fx.as_ref().map(|f| &*f.value),
            options,
        }
    }

    /// Whether the request acknowledged the known gap `g` reports.
    pub(crate) fn acknowledges(&self, g: &crate::engine::impact::CoverageGap) -> bool {
        g.gap
            .known_gap
            .as_ref()
            .is_some_and(|id| self.acknowledged_gaps.contains(id))
    }

    /// Costs these inputs with `options` (the engine's [`Impact`]), counting on `meter`.
    pub(crate) fn calculate(&self, options: &Options, meter: &Meter) -> Result<Impact, ApiError> {
        engine::calculate(&self.scenario(options), meter).map_err(|e| self.error(e))
    }

    /// The field path of the BOM in the request.
    pub(crate) fn bom_field(&self) -> String {
        join(&self.prefix, "bom")
    }

    /// The request field path of what `at` names. The uncertain inputs of a sensitivity
    /// analysis are the analysis's to name ([`uncertain_field`]); here they fall back to the
    /// BOM.
    pub(crate) fn locate(&self, at: &Locator) -> String {
        match at {
            Locator::Path(p) => p.clone(),
            Locator::Bom | Locator::Uncertain(..) | Locator::Inputs => self.bom_field(),
            Locator::Line(line, attribute) => {
                let item = self.bom.path(&self.bom_field(), *line);
                match attribute_field(*attribute) {
                    "" => item,
                    name => join(&item, name),
                }
            }
            Locator::Setting(s) => join(
                &self.prefix,
                match s {
                    Setting::AnnualVolume => "options.annual_volume",
                    Setting::Stockpile => "options.stockpile",
                },
            ),
            Locator::Currency(role) => match role {
                Role::BaselinePrices => self.baseline_prices.currency_field(),
                Role::ScenarioPrices => self.scenario_prices.currency_field(),
                Role::BaselineSchedule => self.baseline_schedule.currency_field(),
                Role::ScenarioSchedule => self.scenario_schedule.currency_field(),
            },
        }
    }

    /// Every amount's currency that one of the two sides' FX decks cannot convert into the
    /// BOM's, at the field that sets it, each field once.
    fn unconvertible(&self) -> Vec<InputError> {
        let mut out = Vec::new();
        let currency = self.bom.bom.currency;
        // The scenario's deck is already the baseline's when the request gave none.
        let fx: Vec<Fx<'_>> = [&self.baseline_fx, &self.scenario_fx]
            .iter()
            .map(|f| Fx::new(f.as_ref().map(|d| &*d.value), currency))
            .collect();
        let mut fields = HashSet::new();
        // A deck converts only when the BOM prices materials, a schedule only when it states
        // amounts in its currency (ad valorem rates alone convert nothing). Both are looked
        // at only for an input in another currency: a one-currency request reads neither.
        let has_materials = || {
            let (mut any, mut line) = (false, 0);
            each_line(&self.bom.bom.items, &mut line, &mut |_, item| {
                any |= matches!(item.kind, ItemKind::Material { .. });
            });
            any
        };
        let mut convertible = |code: Currency, field: String| {
            if let Some(fx) = fx.iter().find(|fx| !fx.converts(code))
                && fields.insert(field.clone())
            {
                out.push(fx.no_route(code, &Locator::Path(field)));
            }
        };
        let decks = [&self.baseline_prices, &self.scenario_prices];
        let priced = decks.iter().any(|d| d.value.currency != currency) && has_materials();
        if priced {
            for d in decks {
                convertible(d.value.currency, d.currency_field());
            }
        }
        for t in [&self.baseline_schedule, &self.scenario_schedule] {
            if t.value.currency != currency && t.value.has_amounts() {
                convertible(t.value.currency, t.currency_field());
            }
        }
        let bom_field = self.bom_field();
        let mut line = 0;
        each_line(&self.bom.bom.items, &mut line, &mut |line, item| {
            let path = || self.bom.path(&bom_field, line);
            if let ItemKind::Component { currency, .. } = &item.kind {
                convertible(*currency, join(&path(), "price_currency"));
            }
            if let Some(import) = &item.import {
                convertible(import.currency, join(&path(), "import.currency"));
            }
        });
        out
    }

    /// The checks across inputs, made once every input is valid on its own and before the
    /// engine runs, so one call reports every violation: every amount in a currency other than
    /// the BOM's converts with both sides' FX decks, every material line priced by both decks.
    /// The engine relies on these and re-checks them where it uses the values, naming the
    /// first.
    pub(crate) fn cross_check(&self) -> Vec<InputError> {
        let mut out = self.unconvertible();
        let mut decks = vec![&self.baseline_prices.value];
        if !Arc::ptr_eq(&self.baseline_prices.value, &self.scenario_prices.value) {
            decks.push(&self.scenario_prices.value);
        }
        let bom_field = self.bom_field();
        let mut line = 0;
        each_line(&self.bom.bom.items, &mut line, &mut |line, item| {
            let ItemKind::Material { material_id, .. } = &item.kind else {
                return;
            };
            for deck in decks
                .iter()
                .filter(|d| !d.prices.contains_key(&**material_id))
            {
                out.push(InputError::new(
                    join(&self.bom.path(&bom_field, line), "material_id"),
                    Reason::UnknownMaterial,
                    format!(
                        "material {material_id:?} is not priced in price deck {:?}",
                        deck.id
                    ),
                ));
            }
        });
        out
    }

    /// An engine error as this request's error, its locator rendered by [`Self::locate`].
    pub(crate) fn error(&self, e: engine::Error) -> ApiError {
        located(e, |at| self.locate(at))
    }
}

/// An engine error as an API error, its locator rendered by `locate`.
pub(crate) fn located(e: engine::Error, locate: impl FnOnce(&Locator) -> String) -> ApiError {
    match e {
        engine::Error::Input(mut e) => {
            e.field = Locator::Path(locate(&e.field));
            ApiError::InvalidArgument(vec![e])
        }
        engine::Error::Stopped(s) => ApiError::Stopped(s),
    }
}

/// Calls `f` with every item of `items` and its depth-first position, counted from `*line`.
fn each_line(items: &[Item], line: &mut usize, f: &mut impl FnMut(usize, &Item)) {
    for item in items {
        f(*line, item);
        *line += 1;
        if let ItemKind::Assembly { children } = &item.kind {
            each_line(children, line, f);
        }
    }
}

/// The field of a BOM item that holds `attribute`, relative to the item.
fn attribute_field(attribute: Attribute) -> &'static str {
    match attribute {
        Attribute::Item => "",
        Attribute::Quantity => "quantity",
        Attribute::Unit => "unit",
        Attribute::UnitPrice => "unit_price",
        Attribute::MaterialId => "material_id",
        Attribute::ContentFactor => "content_factor",
        Attribute::CustomsValue => "import.customs_value",
        Attribute::MetalContentShare => "import.metal_content_share",
        Attribute::NetMassKg => "import.net_mass_kg",
        Attribute::PreferenceProgram => "import.preference_program",
        Attribute::PriceCurrency => "price_currency",
        Attribute::ImportCurrency => "import.currency",
        Attribute::Freight => "import.freight",
        Attribute::Insurance => "import.insurance",
        Attribute::Brokerage => "import.brokerage",
    }
}

/// The field path of what an uncertain input of a sensitivity analysis listed at `list`
/// (e.g. `inputs`) targets.
pub(crate) fn uncertain_field(list: &str, n: usize, aim: Aim) -> String {
    match aim {
        Aim::Input => format!("{list}[{n}]"),
        Aim::ItemPath(j) => format!("{list}[{n}].quantity.item_paths[{j}]"),
        Aim::Material => format!("{list}[{n}].price.material_id"),
        Aim::Measure => format!("{list}[{n}].rate.measure_id"),
        Aim::FxRate => format!("{list}[{n}].fx_rate"),
        Aim::FreightPath(j) => format!("{list}[{n}].freight.item_paths[{j}]"),
    }
}

/// Where an input came from: a catalog entry (`Some`, with its origin and version) or inline.
fn source_ref<P, D>(
    id: &str,
    entry: Option<&Entry<P, D>>,
    as_of_date: &str,
    source: &str,
) -> pb::SourceRef {
    let origin = entry.map_or(pb::CatalogOrigin::Inline, |e| origin_pb(e.origin));
    pb::SourceRef {
        id: id.to_string(),
        preset: entry.is_some(),
        as_of_date: as_of_date.to_string(),
        source: source.to_string(),
        version: entry.map_or(0, |e| e.version),
        origin: origin as i32,
        ..pb::SourceRef::default()
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
pub(crate) fn required(field: &str, what: &str) -> InputError {
    InputError::new(
        field,
        Reason::Required,
        format!("set {field}_id (a built-in {what}) or {field} (inline)"),
    )
}

/// A validated BOM and where it came from.
pub(crate) type BomRef = (Arc<SourcedBom>, pb::SourceRef);

/// Resolves a BOM given by catalog id (or `id@version`) or inline at `field`; `None` if
/// neither is set.
pub(crate) fn bom(
    catalog: &Catalog,
    id: Option<&str>,
    inline: Option<&pb::Bom>,
    field: &str,
    limits: &Limits,
) -> Result<Option<BomRef>, ApiError> {
    if let Some(id) = id {
        return catalog
            .bom(id)
            .map(|e| {
                let source = source_ref(&e.proto.id, Some(e), "", &e.proto.source);
                Some((e.domain.clone(), source))
            })
            .ok_or_else(|| not_found(field, "BOM", id, "tariff.v1.CatalogService/ListBoms"));
    }
    match inline {
        Some(b) => {
            let source = source_ref::<pb::Bom, ()>(&b.id, None, "", &b.source);
            Ok(Some((
                Arc::new(convert::bom::bom(b, field, limits)?),
                source,
            )))
        }
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

impl Provenance for pb::FxDeck {
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
) -> Result<Option<Given<D>>, ApiError> {
    let with_ref = |p: &P, entry: Option<&Entry<P, D>>| {
        let (id, as_of_date, source) = p.provenance();
        source_ref(id, entry, as_of_date, source)
    };
    if let Some(id) = id {
        let e = lookup(id).ok_or_else(|| not_found(field, kind, id, list_rpc))?;
        return Ok(Some(Given {
            value: e.domain.clone(),
            source: with_ref(&e.proto, Some(e)),
            field: field.to_string(),
        }));
    }
    match inline {
        Some(p) => Ok(Some(Given {
            value: Arc::new(convert(p, field)?),
            source: with_ref(p, None),
            field: field.to_string(),
        })),
        None => Ok(None),
    }
}

/// Resolves a price deck given by preset id or inline at `field`; `None` if neither is set.
pub(crate) fn deck(
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

/// Resolves an FX deck given by preset id or inline at `field`; `None` if neither is set.
pub(crate) fn fx_deck(
    catalog: &Catalog,
    (id, inline): (Option<&str>, Option<&pb::FxDeck>),
    field: &str,
) -> Result<Option<FxRef>, ApiError> {
    preset_or_inline(
        id,
        inline,
        field,
        |id| catalog.fx_deck(id),
        ("FX deck", "tariff.v1.CatalogService/ListFxDecks"),
        convert::fx_deck::fx_deck,
    )
}

/// Resolves a tariff schedule given by preset id or inline at `field`; `None` if neither.
pub(crate) fn schedule(
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

/// Where a side's tariff schedule comes from in a request: a preset id or an inline message,
/// and an overlay of changes to it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ScheduleSource<'r> {
    /// The preset id.
    pub id: Option<&'r str>,
    /// The inline schedule.
    pub inline: Option<&'r pb::TariffSchedule>,
    /// The inline overlay.
    pub overlay: Option<&'r pb::ScheduleOverlay>,
    /// The id (or `id@version`) of a saved overlay.
    pub overlay_id: Option<&'r str>,
}

impl<'r> ScheduleSource<'r> {
    /// A preset id or inline schedule (as [`source!`] unpacks them) and an overlay, inline or
    /// by id (empty: none).
    pub(crate) fn of(
        (id, inline): (Option<&'r str>, Option<&'r pb::TariffSchedule>),
        overlay: Option<&'r pb::ScheduleOverlay>,
        overlay_id: &'r str,
    ) -> Self {
        ScheduleSource {
            id,
            inline,
            overlay,
            overlay_id: (!overlay_id.is_empty()).then_some(overlay_id),
        }
    }
}

/// What the schedule overlays of one request rebuild, tallied as they are applied: each
/// rebuild is refused before it starts when it would take the request past
/// `Limits::max_overlay_entries`, and the call's cost counts them all
/// ([`super::budget::Cost::rebuilding`]), so no overlay does work that no limit bounds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rebuilds {
    /// Entries and codes of the schedules rebuilt (`ScheduleSize::count`).
    pub entries: u64,
    /// Their work and memory.
    pub estimate: Estimate,
}

/// A side's schedule and the message it was built from: what a scenario's overlay starts
/// from when the scenario has no schedule of its own.
#[derive(Debug)]
pub(crate) struct SideSchedule<'r> {
    /// The validated schedule.
    pub given: ScheduleRef,
    /// Its message: the preset's or the request's, or the overlaid copy.
    pub message: Message<'r>,
}

/// A schedule's message: the catalog's or the request's, or one an overlay built (shared with
/// the cache of built schedules, [`super::overlaid`]).
#[derive(Debug)]
pub(crate) enum Message<'r> {
    /// A preset's or a saved object's.
    Catalog(&'r Arc<pb::TariffSchedule>),
    /// The request's own.
    Inline(&'r pb::TariffSchedule),
    /// Built by an overlay from catalog inputs, and kept by the cache.
    Cached(Arc<pb::TariffSchedule>),
    /// Built by an overlay for this request alone.
    Built(Arc<pb::TariffSchedule>),
}

impl Message<'_> {
    /// The message as the catalog or the cache holds it, which an overlay's build may be
    /// cached by; `None` for a message of this request alone (keying the cache by it would
    /// only crowd it out).
    fn shared(&self) -> Option<&Arc<pb::TariffSchedule>> {
        match self {
            Message::Catalog(m) => Some(m),
            Message::Cached(m) => Some(m),
            Message::Inline(_) | Message::Built(_) => None,
        }
    }
}

impl std::ops::Deref for Message<'_> {
    type Target = pb::TariffSchedule;
    fn deref(&self) -> &pb::TariffSchedule {
        match self {
            Message::Catalog(m) => m,
            Message::Inline(m) => m,
            Message::Cached(m) | Message::Built(m) => m,
        }
    }
}

/// Resolves a side's schedule given at `field` (`_id` for a preset) and changed by the
/// overlay at `field` + `_overlay`. An overlay on a side without a schedule of its own starts
/// from `fallback` (the baseline's); with no fallback it is left alone (the missing schedule
/// is the caller's violation). `None` if no schedule results.
pub(crate) fn side_schedule<'r>(
    catalog: &'r Catalog,
    limits: &Limits,
    src: ScheduleSource<'r>,
    field: &str,
    fallback: Option<&SideSchedule<'_>>,
    rebuilds: &mut Rebuilds,
) -> Result<Option<SideSchedule<'r>>, ApiError> {
    let Some((o, overlay_version, overlay_entry)) = overlay_of(catalog, &src, field)? else {
        return unchanged(catalog, &src, field);
    };
    let overlay_field = format!("{field}_overlay");
    // A catalog schedule under a catalog overlay: both immutable, so the build is cached.
    let mut both_catalog = None;
    let (base, given) = match (src.id, src.inline, fallback) {
        (Some(id), _, _) => {
            let e = catalog.tariff_schedule(id).ok_or_else(|| {
                not_found(
                    field,
                    "tariff schedule",
                    id,
                    "tariff.v1.CatalogService/ListTariffSchedules",
                )
            })?;
            let from = source_ref(&e.proto.id, Some(e), "", "");
            both_catalog = overlay_entry.map(|o| (&e.proto, o));
            (&*e.proto, (from, field.to_string()))
        }
        (None, Some(inline), _) => {
            let from = source_ref::<pb::TariffSchedule, ()>(&inline.id, None, "", "");
            (inline, (from, field.to_string()))
        }
        (None, None, Some(f)) => {
            both_catalog = f.message.shared().zip(overlay_entry);
            (&*f.message, (f.given.source.clone(), f.given.field.clone()))
        }
        (None, None, None) => return Ok(None),
    };
    let (from, base_field) = given;
    let paths = Paths {
        overlay: &overlay_field,
        base: &base_field,
    };
    let cached = both_catalog.is_some();
    let Built {
        schedule: value,
        message,
    } = overlaid(limits, base, o, both_catalog, paths, rebuilds).map_err(|e| {
        match src.overlay_id {
            Some(_) => in_saved_overlay(e, &overlay_field, &o.id, overlay_version),
            None => e,
        }
    })?;
    // The base's provenance (a fallback's may already carry an overlay: it is replaced).
    let source = pb::SourceRef {
        id: message.id.clone(),
        as_of_date: base.as_of_date.clone(),
        source: base.source.clone(),
        base_id: base.id.clone(),
        overlay_id: o.id.clone(),
        overlay_source: o.source.clone(),
        overlay_version,
        ..from
    };
    Ok(Some(SideSchedule {
        given: Given {
            value,
            source,
            field: base_field,
        },
        message: if cached {
            Message::Cached(message)
        } else {
            Message::Built(message)
        },
    }))
}

/// A side's schedule without an overlay: the preset or inline one, as given.
fn unchanged<'r>(
    catalog: &'r Catalog,
    src: &ScheduleSource<'r>,
    field: &str,
) -> Result<Option<SideSchedule<'r>>, ApiError> {
    let message = match (src.id, src.inline) {
        (Some(id), _) => catalog
            .tariff_schedule(id)
            .map(|e| Message::Catalog(&e.proto)),
        (None, inline) => inline.map(Message::Inline),
    };
    let given = schedule(catalog, src.id, src.inline, field)?;
    Ok(given
        .zip(message)
        .map(|(given, message)| SideSchedule { given, message }))
}

/// An overlay, its saved version (0 inline) and, from the catalog, its shared message.
type OverlayOf<'r> = (
    &'r pb::ScheduleOverlay,
    i64,
    Option<&'r Arc<pb::ScheduleOverlay>>,
);

/// The overlay a side's schedule takes, given inline or by saved id at `field` + `_overlay`;
/// `None` without one.
fn overlay_of<'r>(
    catalog: &'r Catalog,
    src: &ScheduleSource<'r>,
    field: &str,
) -> Result<Option<OverlayOf<'r>>, ApiError> {
    let overlay_field = format!("{field}_overlay");
    match (src.overlay, src.overlay_id) {
        (Some(_), Some(_)) => Err(ApiError::from(InputError::new(
            format!("{overlay_field}_id"),
            Reason::InvalidStructure,
            format!("set {overlay_field} (inline) or {overlay_field}_id (saved), not both"),
        ))),
        (Some(o), None) => Ok(Some((o, 0, None))),
        (None, Some(id)) => catalog
            .schedule_overlay(id)
            .map(|e| Some((&*e.proto, e.version, Some(&e.proto))))
            .ok_or_else(|| {
                not_found(
                    &overlay_field,
                    "schedule overlay",
                    id,
                    "tariff.v1.CatalogService/ListCatalogObjects",
                )
            }),
        (None, None) => Ok(None),
    }
}

/// A saved overlay's violations, named at the request field that set it (`..._overlay_id`),
/// each message saying which version and which of its fields: the request has no inline
/// overlay for the paths to point into.
fn in_saved_overlay(e: ApiError, overlay_field: &str, id: &str, version: i64) -> ApiError {
    let ApiError::InvalidArgument(errors) = e else {
        return e;
    };
    let id_field = format!("{overlay_field}_id");
    let saved = crate::catalog::versioned::key(id, version);
    let errors = errors
        .into_iter()
        .map(|mut v| {
            let path = v.field.to_string();
            if let Some(inner) = path.strip_prefix(overlay_field) {
                let inner = inner.trim_start_matches('.');
                let at = if inner.is_empty() { "" } else { ", at " };
                v.message = format!("saved overlay {saved}{at}{inner}: {}", v.message);
                v.field = id_field.clone().into();
            }
            v
        })
        .collect();
    ApiError::InvalidArgument(errors)
}

/// Applies overlay `o` to `base` and validates the result, after counting its rebuild in
/// `rebuilds` and refusing it if that takes the request past `Limits::max_overlay_entries` (a
/// cached build counts as if rebuilt, so a request's cost does not depend on what others asked
/// before). `catalog` holds both messages' shared copies when both come from the catalog: the
/// build is then taken from, or kept in, [`super::overlaid`].
fn overlaid(
    limits: &Limits,
    base: &pb::TariffSchedule,
    o: &pb::ScheduleOverlay,
    catalog: Option<(&Arc<pb::TariffSchedule>, &Arc<pb::ScheduleOverlay>)>,
    paths: Paths<'_>,
    rebuilds: &mut Rebuilds,
) -> Result<Built, ApiError> {
    let size = overlay::size(base).plus(overlay::added_size(o));
    let total = rebuilds.entries.saturating_add(size.count());
    let max = limits.max_overlay_entries as u64;
    if total > max {
        return Err(ApiError::from(InputError::new(
            paths.overlay,
            Reason::OutOfRange,
            format!(
                "at most {max} schedule entries rebuilt by overlays per request \
                 (--max-overlay-entries): this overlay rebuilds schedule {:?}, {} entries, \
                 {total} in all; split the scenarios over several calls",
                crate::engine::text::clip(&base.id),
                size.count()
            ),
        )));
    }
    let build = estimate::schedule_build(&size);
    rebuilds.entries = total;
    rebuilds.estimate.units = rebuilds.estimate.units.saturating_add(build.units);
    rebuilds.estimate.memory_bytes = rebuilds
        .estimate
        .memory_bytes
        .saturating_add(build.memory_bytes);
    let max_changes = limits.max_overlay_changes;
    if let Some(built) = catalog.and_then(|(b, o)| super::overlaid::get(b, o, max_changes)) {
        return Ok(built);
    }
    let changed = overlay::apply(base, o, paths, max_changes)?;
    let built = Built {
        schedule: Arc::new(changed.convert(paths)?),
        message: Arc::new(changed.message),
    };
    if let Some((b, o)) = catalog {
        super::overlaid::put(b.clone(), o.clone(), max_changes, built.clone());
    }
    Ok(built)
}

/// Collects violations across inputs so one call reports them all; other failures (a preset
/// not found) stop at once.
#[derive(Debug, Default)]
pub(crate) struct Violations(pub Vec<InputError>);

impl Violations {
    /// Records the violations `c` collected.
    pub(crate) fn take(&mut self, c: Check) {
        if let Err(e) = c.finish(()) {
            self.0.extend(e);
        }
    }

    /// Keeps a value, or records its violations and returns `None`.
    pub(crate) fn keep<T>(
        &mut self,
        r: Result<Option<T>, ApiError>,
    ) -> Result<Option<T>, ApiError> {
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
pub(crate) struct BaseSources<'r> {
    /// The BOM.
    pub bom: (Option<&'r str>, Option<&'r pb::Bom>),
    /// The baseline price deck.
    pub baseline_prices: (Option<&'r str>, Option<&'r pb::PriceDeck>),
    /// The baseline tariff schedule and its overlay.
    pub baseline_schedule: ScheduleSource<'r>,
    /// The baseline FX deck.
    pub baseline_fx: (Option<&'r str>, Option<&'r pb::FxDeck>),
    /// The options.
    pub options: Option<&'r pb::CalculationOptions>,
}

/// The shared inputs, validated; `None` where missing or invalid, the reason being recorded.
#[derive(Debug)]
pub(crate) struct Base<'r> {
    /// The BOM and where it came from.
    pub bom: Option<BomRef>,
    /// The baseline price deck.
    pub baseline_prices: Option<DeckRef>,
    /// The baseline tariff schedule (overlaid, when an overlay is given) and its message.
    pub baseline_schedule: Option<SideSchedule<'r>>,
    /// The baseline FX deck, if given.
    pub baseline_fx: Option<FxRef>,
    /// The options.
    pub options: Option<Options>,
}

/// Resolves the shared inputs found under field path `prefix`, recording every violation
/// in `v` (a preset not found stops at once) and the baseline overlay's rebuild in `rebuilds`.
pub(crate) fn base<'r>(
    catalog: &'r Catalog,
    limits: &Limits,
    src: BaseSources<'r>,
    prefix: &str,
    v: &mut Violations,
    rebuilds: &mut Rebuilds,
) -> Result<Base<'r>, ApiError> {
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
    let bs = src.baseline_schedule;
    let base = Base {
        bom: v.keep(bom(catalog, bom_id, bom_inline, &f("bom"), limits))?,
        baseline_prices: v.keep(deck(catalog, bp_id, bp, &f("baseline_prices")))?,
        baseline_schedule: v.keep(side_schedule(
            catalog,
            limits,
            bs,
            &f("baseline_schedule"),
            None,
            rebuilds,
        ))?,
        baseline_fx: v.keep(fx_deck(catalog, src.baseline_fx, &f("baseline_fx")))?,
        options,
    };
    if let (Some((bom, _)), Some(sp)) = (&base.bom, src.options.and_then(|o| o.stockpile.as_ref()))
    {
        stockpile_materials(
            &bom.bom,
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
            bs.id.is_some() || bs.inline.is_some(),
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
fn stockpile_materials(bom: &engine::model::Bom, ids: &[String], field: &str, v: &mut Violations) {
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

/// The acknowledged gap ids of request `options` (found at field path `prefix`), each naming
/// a known gap of one of `schedules`: a misspelt id would otherwise acknowledge nothing,
/// silently.
pub(crate) fn acknowledged(
    options: Option<&pb::CalculationOptions>,
    schedules: &[&Schedule],
    prefix: &str,
) -> Result<Vec<Arc<str>>, Vec<InputError>> {
    let ids = options.map_or(&[][..], |o| &o.acknowledged_gaps);
    let field = join(prefix, "options.acknowledged_gaps");
    let mut errors = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for s in schedules {
        let name = format!("{:?}", clip(&s.id));
        if !names.contains(&name) {
            names.push(name);
        }
    }
    for (i, id) in ids.iter().enumerate() {
        if !schedules.iter().any(|s| s.known_gap(id).is_some()) {
            errors.push(InputError::new(
                format!("{field}[{i}]"),
                Reason::InvalidValue,
                format!(
                    "{:?} is not a known gap of the request's schedules ({})",
                    clip(id),
                    names.join(", ")
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(ids.iter().map(|s| Arc::from(s.as_str())).collect())
    } else {
        Err(errors)
    }
}

/// Where the scenario schedule of `req` comes from: a preset, an inline schedule or none,
/// and its overlay.
fn scenario_schedule_source(req: &pb::CalculateImpactRequest) -> ScheduleSource<'_> {
    ScheduleSource::of(
        source!(
            &req.scenario_schedule_source,
            ScenarioScheduleSource::ScenarioScheduleId,
            ScenarioScheduleSource::ScenarioSchedule
        ),
        req.scenario_schedule_overlay.as_ref(),
        &req.scenario_schedule_overlay_id,
    )
}

/// Where the inputs of `req` that every calculation shares come from.
fn base_sources(req: &pb::CalculateImpactRequest) -> BaseSources<'_> {
    BaseSources {
        bom: source!(&req.bom_source, BomSource::BomId, BomSource::Bom),
        baseline_prices: source!(
            &req.baseline_prices_source,
            BaselinePricesSource::BaselinePricesId,
            BaselinePricesSource::BaselinePrices
        ),
        baseline_schedule: ScheduleSource::of(
            source!(
                &req.baseline_schedule_source,
                BaselineScheduleSource::BaselineScheduleId,
                BaselineScheduleSource::BaselineSchedule
            ),
            req.baseline_schedule_overlay.as_ref(),
            &req.baseline_schedule_overlay_id,
        ),
        baseline_fx: source!(
            &req.baseline_fx_source,
            BaselineFxSource::BaselineFxId,
            BaselineFxSource::BaselineFx
        ),
        options: req.options.as_ref(),
    }
}

/// Resolves every input and the options of a `CalculateImpactRequest` found at field path
/// `prefix` (empty at the top level), reporting all violations together; the rebuilds of its
/// schedule overlays are tallied in `rebuilds`.
pub(crate) fn resolve(
    catalog: &Catalog,
    req: &pb::CalculateImpactRequest,
    limits: &Limits,
    prefix: &str,
    rebuilds: &mut Rebuilds,
) -> Result<(Resolved, Options), ApiError> {
    let mut v = Violations::default();
    let base = base(catalog, limits, base_sources(req), prefix, &mut v, rebuilds)?;
    let (sp_id, sp) = source!(
        &req.scenario_prices_source,
        ScenarioPricesSource::ScenarioPricesId,
        ScenarioPricesSource::ScenarioPrices
    );
    let ss = scenario_schedule_source(req);
    let scenario_fx = v.keep(fx_deck(
        catalog,
        source!(
            &req.scenario_fx_source,
            ScenarioFxSource::ScenarioFxId,
            ScenarioFxSource::ScenarioFx
        ),
        &join(prefix, "scenario_fx"),
    ))?;
    let scenario_prices = v.keep(deck(catalog, sp_id, sp, &join(prefix, "scenario_prices")))?;
    let scenario_schedule = v.keep(side_schedule(
        catalog,
        limits,
        ss,
        &join(prefix, "scenario_schedule"),
        base.baseline_schedule.as_ref(),
        rebuilds,
    ))?;
    match (
        base.bom,
        base.baseline_prices,
        base.baseline_schedule,
        base.options,
    ) {
        (
            Some((bom, bom_source)),
            Some(baseline_prices),
            Some(baseline_schedule),
            Some(options),
        ) if v.0.is_empty() => {
            let baseline_schedule = baseline_schedule.given;
            let scenario_schedule =
                scenario_schedule.map_or_else(|| baseline_schedule.clone(), |s| s.given);
            let schedules = [&*baseline_schedule.value, &*scenario_schedule.value];
            let acknowledged = acknowledged(req.options.as_ref(), &schedules, prefix);
            let resolved = Resolved {
                prefix: prefix.to_string(),
                bom,
                bom_source,
                scenario_prices: scenario_prices.unwrap_or_else(|| baseline_prices.clone()),
                scenario_schedule,
                baseline_prices,
                baseline_schedule,
                scenario_fx: scenario_fx.or_else(|| base.baseline_fx.clone()),
                baseline_fx: base.baseline_fx,
                require_coverage: req.options.as_ref().is_some_and(|o| o.require_coverage),
                acknowledged_gaps: acknowledged.clone().unwrap_or_default(),
            };
            let e = [
                resolved.cross_check(),
                acknowledged.err().unwrap_or_default(),
            ]
            .concat();
            match e {
                e if e.is_empty() => Ok((resolved, options)),
                e => Err(ApiError::InvalidArgument(e)),
            }
        }
        _ => Err(ApiError::InvalidArgument(v.0)),
    }
}
