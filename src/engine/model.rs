//! Domain types of a calculation, already validated: a BOM tree, price decks, tariff schedules
//! and options. Field paths are kept on the nodes so that errors found while costing (unknown
//! material, overflow) still point at the input field that caused them.

use super::currency::Currency;
use super::date::{Date, Window};
pub use super::fx::FxDeck;
use super::money::RoundingMode;
use super::units::Unit;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A list of ids or codes without repeats, in the order first given (for display), with a
/// hash set beside it so a membership test costs the same whatever the list's length: a
/// request can list thousands of material ids or repeat a country code, and every line of
/// a BOM is tested against the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdSet {
    order: Vec<Arc<str>>,
    set: HashSet<Arc<str>>,
}

impl IdSet {
    /// Whether `id` is in the set.
    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }
    /// Whether the set is empty (for scopes: empty means "all").
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
    /// Distinct ids.
    pub fn len(&self) -> usize {
        self.order.len()
    }
    /// The ids in the order first given.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(|s| &**s)
    }
    /// The ids in order, joined by `sep` (for formulas).
    pub fn join(&self, sep: &str) -> String {
        self.iter().collect::<Vec<_>>().join(sep)
    }
}

impl<S: AsRef<str>> FromIterator<S> for IdSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut out = IdSet::default();
        for s in iter {
            let id: Arc<str> = s.as_ref().into();
            if out.set.insert(id.clone()) {
                out.order.push(id);
            }
        }
        out
    }
}

/// A bill of materials for one unit of product, with shared assemblies already expanded.
#[derive(Debug, Clone)]
pub struct Bom {
    /// Identifier (preset id or the inline BOM's id).
    pub id: String,
    /// Currency of every price and value in the calculation.
    pub currency: Currency,
    /// Top-level items.
    pub items: Vec<Item>,
}

/// What results show of a BOM item besides its amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInfo<'a> {
    /// Readable path of ids from the top, e.g. `drive-unit/rotor/nd-oxide`.
    pub path: String,
    /// Description, shown beside the line in results.
    pub description: &'a str,
}

impl Bom {
    /// How many items (lines) the BOM has, assemblies included.
    pub fn line_count(&self) -> usize {
        fn count(items: &[Item]) -> usize {
            items
                .iter()
                .map(|i| match &i.kind {
                    ItemKind::Assembly { children } => 1 + count(children),
                    _ => 1,
                })
                .sum()
        }
        count(&self.items)
    }

    /// Every item in depth-first order, the order of a costing's lines. Built on demand (for
    /// a response), so costing itself allocates no strings per line.
    pub fn lines(&self) -> Vec<LineInfo<'_>> {
        let mut out = Vec::new();
        self.for_each_line(|path, description| {
            out.push(LineInfo {
                path: path.to_string(),
                description,
            })
        });
        out
    }

    /// Calls `f` with every item's readable path and description, depth-first: one buffer
    /// holds the path of the item being walked, so a writer that copies it on (the response
    /// encoder) allocates nothing per line.
    pub fn for_each_line<'a>(&'a self, mut f: impl FnMut(&str, &'a str)) {
        fn walk<'a>(items: &'a [Item], path: &mut String, f: &mut impl FnMut(&str, &'a str)) {
            for item in items {
                let parent = path.len();
                if parent > 0 {
                    path.push('/');
                }
                path.push_str(&item.id);
                f(path, &item.description);
                if let ItemKind::Assembly { children } = &item.kind {
                    walk(children, path, f);
                }
                path.truncate(parent);
            }
        }
        walk(&self.items, &mut String::new(), &mut f);
    }
}

/// One node of the BOM tree.
#[derive(Debug, Clone)]
pub struct Item {
    /// Id shown in readable paths.
    pub id: String,
    /// Description shown in results.
    pub description: String,
    /// Quantity per parent.
    pub quantity: Decimal,
    /// Unit of the quantity (pieces for components and assemblies).
    pub unit: Unit,
    /// What the item is.
    pub kind: ItemKind,
    /// Import declaration, if the item is imported.
    pub import: Option<Import>,
}

/// What a BOM item is.
#[derive(Debug, Clone)]
pub enum ItemKind {
    /// Priced from the deck: quantity x content factor x price.
    Material {
        /// Material id in the price decks (shared, so costing copies no strings).
        material_id: Arc<str>,
        /// Share of the quantity that is the priced material.
        content_factor: Decimal,
    },
    /// Purchased at its own price per piece.
    Component {
        /// Baseline price per piece.
        baseline_price: Decimal,
        /// Scenario price per piece.
        scenario_price: Decimal,
        /// Currency of both prices (converted with each side's FX deck).
        currency: Currency,
    },
    /// Children per one piece of the assembly.
    Assembly {
        /// Child items.
        children: Vec<Item>,
    },
}

/// How a transport crosses the border.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportMode {
    /// Ocean vessel.
    Ocean,
    /// Air freight.
    Air,
    /// Road (truck).
    Truck,
    /// Rail.
    Rail,
    /// Anything else.
    Other,
}

/// An import declaration on a BOM item.
#[derive(Debug, Clone)]
pub struct Import {
    /// HTS code as declared (shown in formulas).
    pub hts_code: String,
    /// HTS digits only (matched against measure prefixes).
    pub hts_digits: String,
    /// ISO 3166-1 alpha-2 origin.
    pub origin: Arc<str>,
    /// Transport mode.
    pub transport_mode: TransportMode,
    /// Declared customs value per unit of the item's quantity.
    pub customs_value: Option<Decimal>,
    /// Share of the value that is metal content, in [0, 1].
    pub metal_content_share: Option<Decimal>,
    /// Net mass in kg per unit of the item's quantity.
    pub net_mass_kg: Option<Decimal>,
    /// Special (preference) program claimed, if any.
    pub preference: Option<Arc<str>>,
    /// Currency of the declared value, freight, insurance and brokerage.
    pub currency: Currency,
    /// Which costs of carriage the item's price and declared value include.
    pub incoterm: Incoterm,
    /// International freight per unit of the item's quantity.
    pub freight: Decimal,
    /// Insurance of the carriage per unit of the item's quantity.
    pub insurance: Decimal,
    /// Brokerage and other entry costs per unit of the item's quantity.
    pub brokerage: Decimal,
}

/// The Incoterms 2020 rule of a price or declared value, as far as valuation needs it: which
/// of international freight and insurance it already includes (DDP, which includes the
/// duty, is refused where declarations are read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Incoterm {
    /// Ex works.
    Exw,
    /// Free carrier.
    Fca,
    /// Free alongside ship.
    Fas,
    /// Free on board.
    #[default]
    Fob,
    /// Carriage paid to.
    Cpt,
    /// Cost and freight.
    Cfr,
    /// Carriage and insurance paid to.
    Cip,
    /// Cost, insurance and freight.
    Cif,
    /// Delivered at place.
    Dap,
    /// Delivered at place unloaded.
    Dpu,
}

impl Incoterm {
    /// Whether a price under this rule includes the international freight.
    pub fn includes_freight(self) -> bool {
        !matches!(
            self,
            Incoterm::Exw | Incoterm::Fca | Incoterm::Fas | Incoterm::Fob
        )
    }

    /// Whether a price under this rule includes the insurance of the carriage.
    pub fn includes_insurance(self) -> bool {
        matches!(
            self,
            Incoterm::Cip | Incoterm::Cif | Incoterm::Dap | Incoterm::Dpu
        )
    }

    /// The rule's three-letter code, for formulas.
    pub fn code(self) -> &'static str {
        match self {
            Incoterm::Exw => "EXW",
            Incoterm::Fca => "FCA",
            Incoterm::Fas => "FAS",
            Incoterm::Fob => "FOB",
            Incoterm::Cpt => "CPT",
            Incoterm::Cfr => "CFR",
            Incoterm::Cip => "CIP",
            Incoterm::Cif => "CIF",
            Incoterm::Dap => "DAP",
            Incoterm::Dpu => "DPU",
        }
    }
}

/// The customs value a schedule charges duties and ad valorem fees on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValuationBasis {
    /// The value without international freight and insurance (the US transaction value).
    #[default]
    Fob,
    /// The value with freight and insurance to the border (the EU customs value).
    Cif,
}

/// A priced material.
#[derive(Debug, Clone)]
pub struct MaterialPrice {
    /// Display name.
    pub name: Arc<str>,
    /// Price per `unit`.
    pub price: Decimal,
    /// Unit the price is per.
    pub unit: Unit,
}

/// A price deck: material id -> price.
#[derive(Debug, Clone)]
pub struct PriceDeck {
    /// Deck id, echoed in each result's inputs used.
    pub id: String,
    /// Currency of the prices.
    pub currency: Currency,
    /// Prices by material id (Fx hashing: looked up once per material line per side, and the
    /// keys are short ids, not attacker-chosen hash-flooding input of any consequence).
    pub prices: HashMap<String, MaterialPrice, rustc_hash::FxBuildHasher>,
}

/// A trade program; measures pre-empt each other by program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Program {
    /// Most-favoured-nation duty.
    Mfn,
    /// Section 232.
    Section232,
    /// Section 301.
    Section301,
    /// Section 122.
    Section122,
    /// IEEPA (International Emergency Economic Powers Act) duties.
    Ieepa,
    /// Antidumping / countervailing.
    AdCvd,
    /// Section 201 safeguard duties.
    Safeguard,
    /// Any other program; it pre-empts nothing unless the schedule says so.
    Other,
}

impl Program {
    /// The name shown in formulas.
    pub fn label(self) -> &'static str {
        match self {
            Program::Mfn => "MFN",
            Program::Section232 => "Section 232",
            Program::Section301 => "Section 301",
            Program::Section122 => "Section 122",
            Program::Ieepa => "IEEPA",
            Program::AdCvd => "AD/CVD",
            Program::Safeguard => "Safeguard",
            Program::Other => "Other",
        }
    }
}

/// The part of the customs value an ad valorem rate applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DutyBasis {
    /// The full customs value.
    FullValue,
    /// The metal content value.
    MetalContent,
    /// The value not covered by an applicable metal-content measure.
    NonMetalRemainder,
}

/// A duty rate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rate {
    /// Ad valorem percent.
    pub ad_valorem_percent: Option<Decimal>,
    /// Specific amount and the unit it is per.
    pub specific: Option<(Decimal, Unit)>,
    /// Minimum duty per `limit_unit`.
    pub minimum: Option<Decimal>,
    /// Maximum duty per `limit_unit`.
    pub maximum: Option<Decimal>,
    /// Unit the minimum and maximum are per.
    pub limit_unit: Option<Unit>,
}

/// A duty measure.
#[derive(Debug, Clone)]
pub struct Measure {
    /// Measure id, shown on every charge it makes (e.g. `9903.88.03`).
    pub id: Arc<str>,
    /// Name shown in results.
    pub name: Arc<str>,
    /// The program, which decides what it pre-empts and is pre-empted by.
    pub program: Program,
    /// HTS prefixes (digits only); empty = all.
    pub hts_prefixes: Vec<String>,
    /// Origins covered; empty = all.
    pub origins: IdSet,
    /// Origins excluded.
    pub excluded_origins: IdSet,
    /// Entry dates in force.
    pub window: Window,
    /// How the duty is computed: ad valorem, specific, compound, with limits.
    pub rate: Rate,
    /// Value basis.
    pub basis: DutyBasis,
    /// Programs pre-empted on the value this measure covers.
    pub preempts: Vec<Program>,
    /// Alternatives group: of a group's measures that apply to a line, only the one with the
    /// highest duty is charged ([`super::duty::charges`]).
    pub group: Option<Arc<str>>,
    /// Special-column rates: `(program codes, rate)`, the rate an import claiming one of the
    /// codes pays instead of `rate`.
    pub preference_rates: Vec<(Vec<Arc<str>>, Rate)>,
    /// Imports the measure does not apply to ([`Exemption`]).
    pub exemptions: Vec<Exemption>,
    /// For an all-in (floor) rate, the programs whose duties on the line count toward its
    /// total ([`super::duty`] charges the rest up to the rate); empty for a rate that adds.
    pub all_in_of: Vec<Program>,
}

/// A carve-out from a measure, as the legal text states it: an import meeting every
/// condition set here is exempt. Conditions left empty are met by every import.
#[derive(Debug, Clone, Default)]
pub struct Exemption {
    /// HTS prefixes (digits), sorted, so a code's prefixes are found by binary search: a
    /// note may list a thousand subheadings and every line of a BOM is tested.
    pub hts_prefixes: Vec<String>,
    /// Origins covered.
    pub origins: IdSet,
    /// Preference programs one of which the import must claim.
    pub claimed_programs: IdSet,
}

impl Exemption {
    /// Whether `import` meets every condition.
    pub fn covers(&self, import: &Import) -> bool {
        let digits = import.hts_digits.as_str();
        (self.hts_prefixes.is_empty()
            || (1..=digits.len()).any(|n| {
                self.hts_prefixes
                    .binary_search_by(|p| p.as_str().cmp(&digits[..n]))
                    .is_ok()
            }))
            && (self.origins.is_empty() || self.origins.contains(&import.origin))
            && (self.claimed_programs.is_empty()
                || import
                    .preference
                    .as_deref()
                    .is_some_and(|c| self.claimed_programs.contains(c)))
    }
}

impl Measure {
    /// The special rate this measure has for program `code`, if it lists it.
    pub fn preference_rate(&self, code: &str) -> Option<&Rate> {
        self.preference_rates
            .iter()
            .find(|(codes, _)| codes.iter().any(|c| &**c == code))
            .map(|(_, r)| r)
    }
}

/// A special (preference) program an import may claim.
#[derive(Debug, Clone)]
pub struct PreferenceProgram {
    /// Name, e.g. "USMCA".
    pub name: Arc<str>,
    /// Origins that may claim it; empty for a product-based program.
    pub origins: IdSet,
    /// Entry date from which claims are refused (the program lapsed), if any.
    pub lapsed_from: Option<Date>,
}

impl Measure {
    /// The length of the longest of its HTS prefixes that `hts_digits` starts with (0 for a
    /// measure on every code): how specific the measure is for that line.
    pub fn specificity(&self, hts_digits: &str) -> usize {
        self.hts_prefixes
            .iter()
            .filter(|p| hts_digits.starts_with(p.as_str()))
            .map(String::len)
            .max()
            .unwrap_or(0)
    }

    /// Whether the measure's origins cover this import. Its HTS prefixes are matched by the
    /// schedule's [`MeasureIndex`], which finds the measure only for codes they cover: a
    /// measure may list thousands of prefixes, and this is tested for every candidate line.
    pub fn covers_origin(&self, origin: &str) -> bool {
        (self.origins.is_empty() || self.origins.contains(origin))
            && !self.excluded_origins.contains(origin)
    }

    /// Whether the measure applies to `import` entered on `date`, its HTS prefixes aside
    /// (the index matched them): in force, covering the origin, and no exemption covering
    /// the import.
    pub fn applies_to(&self, import: &Import, date: Date) -> bool {
        self.window.contains(date)
            && self.covers_origin(&import.origin)
            && !self.exemptions.iter().any(|e| e.covers(import))
    }
}

/// Kind of per-entry fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeKind {
    /// Merchandise processing fee.
    Mpf,
    /// Harbor maintenance fee.
    Hmf,
    /// Any other fee per entry.
    Other,
}

/// An ad valorem fee per customs entry.
#[derive(Debug, Clone)]
pub struct Fee {
    /// Fee id, shown on every charge it makes.
    pub id: Arc<str>,
    /// Name shown in results.
    pub name: Arc<str>,
    /// What the fee is (MPF, HMF, other), shown in results.
    pub kind: FeeKind,
    /// Rate in percent of customs value.
    pub rate_percent: Decimal,
    /// Minimum per entry.
    pub minimum_per_entry: Option<Decimal>,
    /// Maximum per entry.
    pub maximum_per_entry: Option<Decimal>,
    /// Modes charged; empty = all.
    pub transport_modes: Vec<TransportMode>,
    /// Exempt origins.
    pub exempt_origins: IdSet,
    /// Entry dates in force.
    pub window: Window,
}

impl Fee {
    /// Whether the fee is charged on an import of this origin and mode entered on `date`.
    pub fn applies(&self, import: &Import, date: Date) -> bool {
        self.window.contains(date)
            && (self.transport_modes.is_empty()
                || self.transport_modes.contains(&import.transport_mode))
            && !self.exempt_origins.contains(&import.origin)
    }
}

/// The measures of a schedule by HTS prefix, so that an imported line is tested only against
/// the measures whose prefixes its code starts with: a real schedule has tens of thousands of
/// measures, and a line matches a handful. Each measure is filed under its shortest prefixes
/// only (a prefix that extends another of the same measure adds nothing), so a code finds
/// each measure at most once.
#[derive(Debug, Clone, Default)]
pub struct MeasureIndex {
    by_prefix: FxHashMap<Box<str>, Vec<usize>>,
}

impl MeasureIndex {
    fn build(measures: &[Measure]) -> MeasureIndex {
        let mut by_prefix: FxHashMap<Box<str>, Vec<usize>> = FxHashMap::default();
        for (i, m) in measures.iter().enumerate() {
            if m.hts_prefixes.is_empty() {
                by_prefix.entry("".into()).or_default().push(i);
                continue;
            }
            let own: HashSet<&str> = m.hts_prefixes.iter().map(String::as_str).collect();
            let mut filed: HashSet<&str> = HashSet::new();
            for p in &m.hts_prefixes {
                let shorter_filed = (0..p.len()).any(|k| own.contains(&p[..k]));
                if !shorter_filed && filed.insert(p) {
                    by_prefix.entry(p.as_str().into()).or_default().push(i);
                }
            }
        }
        MeasureIndex { by_prefix }
    }

    fn buckets<'a>(&'a self, hts_digits: &'a str) -> impl Iterator<Item = &'a Vec<usize>> + 'a {
        (0..=hts_digits.len()).filter_map(move |k| self.by_prefix.get(&hts_digits[..k]))
    }

    /// Indices of the measures whose scope may cover a code (by prefix; origin and date are
    /// tested by the caller), in schedule order.
    pub fn candidates(&self, hts_digits: &str) -> Vec<usize> {
        let mut out: Vec<usize> = self.buckets(hts_digits).flatten().copied().collect();
        out.sort_unstable();
        out
    }

    /// How many measures [`MeasureIndex::candidates`] returns for a code, without listing
    /// them: what a cost estimate needs.
    pub fn candidate_count(&self, hts_digits: &str) -> usize {
        self.buckets(hts_digits).map(Vec::len).sum()
    }
}

/// A tariff schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Schedule id, echoed in each result's inputs used.
    pub id: String,
    /// Currency of specific rates and fees.
    pub currency: Currency,
    /// Measures, and the index over their prefixes (kept together: see [`Schedule::new`]).
    measures: Vec<Measure>,
    index: MeasureIndex,
    by_id: FxHashMap<Arc<str>, usize>,
    /// Fees charged per entry.
    pub fees: Vec<Fee>,
    /// De minimis threshold per entry, if in force.
    pub de_minimis_threshold: Option<Decimal>,
    /// Credits kept unless restricted-origin content is too high.
    pub incentives: Vec<Incentive>,
    /// Special (preference) programs, by code.
    pub preference_programs: HashMap<Arc<str>, PreferenceProgram>,
    /// Estimated metal shares, used only when a request asks for them.
    pub metal_shares: MetalShares,
    /// Programs the schedule knows it does not carry, reported as coverage gaps.
    pub known_gaps: Vec<KnownGap>,
    /// The customs value duties and ad valorem fees are charged on.
    pub valuation_basis: ValuationBasis,
}

/// A program a schedule does not carry (an antidumping order, a proclamation's annex not yet
/// compiled) and the imports it may concern: a costing reports each such import as a coverage
/// gap, so a duty the data lacks is never mistaken for a duty of zero.
#[derive(Debug, Clone)]
pub struct KnownGap {
    /// Id, unique among the schedule's known gaps; a request acknowledges the gap by it.
    pub id: Arc<str>,
    /// What is missing, in words.
    pub description: Arc<str>,
    /// The imports it may concern, stated as an exemption states its conditions (HTS
    /// prefixes and origins; conditions left empty are met by every import).
    pub scope: Exemption,
    /// Entry dates it concerns.
    pub window: Window,
    /// Where the missing program is stated.
    pub source: Arc<str>,
}

impl KnownGap {
    /// Whether the gap concerns `import` entered on `date`.
    pub fn concerns(&self, import: &Import, date: Date) -> bool {
        self.window.contains(date) && self.scope.covers(import)
    }
}

/// Estimated metal shares of value by HTS prefix (e.g. the BEA input-output estimates), with
/// their source: a default a request may ask for when it declares no share, labelled as an
/// estimate wherever used, never in place of a declared share.
#[derive(Debug, Clone, Default)]
pub struct MetalShares {
    by_prefix: FxHashMap<Box<str>, Decimal>,
    longest: usize,
    /// Where the estimates come from.
    pub source: Arc<str>,
}

impl MetalShares {
    /// Estimates by HTS prefix (digits), from `source`.
    pub fn new(shares: impl IntoIterator<Item = (String, Decimal)>, source: Arc<str>) -> Self {
        let by_prefix: FxHashMap<Box<str>, Decimal> =
            shares.into_iter().map(|(p, s)| (p.into(), s)).collect();
        let longest = by_prefix.keys().map(|k| k.len()).max().unwrap_or(0);
        MetalShares {
            by_prefix,
            longest,
            source,
        }
    }

    /// The estimate of the longest prefix `hts_digits` starts with, if any.
    pub fn of(&self, hts_digits: &str) -> Option<Decimal> {
        (1..=hts_digits.len().min(self.longest))
            .rev()
            .find_map(|n| self.by_prefix.get(&hts_digits[..n]).copied())
    }

    /// How many estimates there are.
    pub fn len(&self) -> usize {
        self.by_prefix.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_prefix.is_empty()
    }
}

impl Schedule {
    /// A schedule of these measures, fees and incentives; the measures are indexed here,
    /// and only their rates can change afterwards ([`Schedule::set_ad_valorem`]), so the
    /// index always matches them.
    pub fn new(
        id: String,
        currency: Currency,
        measures: Vec<Measure>,
        fees: Vec<Fee>,
        de_minimis_threshold: Option<Decimal>,
        incentives: Vec<Incentive>,
        preference_programs: HashMap<Arc<str>, PreferenceProgram>,
    ) -> Schedule {
        let index = MeasureIndex::build(&measures);
        let mut by_id = FxHashMap::with_capacity_and_hasher(measures.len(), Default::default());
        for (i, m) in measures.iter().enumerate() {
            by_id.entry(m.id.clone()).or_insert(i);
        }
        Schedule {
            id,
            currency,
            measures,
            index,
            by_id,
            fees,
            de_minimis_threshold,
            incentives,
            preference_programs,
            metal_shares: MetalShares::default(),
            known_gaps: Vec::new(),
            valuation_basis: ValuationBasis::Fob,
        }
    }

    /// The known gap `id`, if the schedule declares it.
    pub fn known_gap(&self, id: &str) -> Option<&KnownGap> {
        self.known_gaps.iter().find(|g| &*g.id == id)
    }

    /// The measures, in schedule order.
    pub fn measures(&self) -> &[Measure] {
        &self.measures
    }

    /// The index of the measures by HTS prefix.
    pub fn index(&self) -> &MeasureIndex {
        &self.index
    }

    /// Whether the schedule has a measure `id`.
    pub fn has_measure(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// The position of measure `id` among [`Schedule::measures`] (the position of its
    /// message in the schedule it was converted from, which keeps their order).
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Replaces every amount of the schedule that is in its currency (specific rates,
    /// minimums and maximums of measures and their special rates, fee limits, the de minimis
    /// threshold, incentive credits) by `f` of it, and its currency by `to`: the schedule in
    /// another currency. Prefixes are untouched, so the index still matches.
    pub fn convert_amounts<E>(
        &mut self,
        to: Currency,
        mut f: impl FnMut(Decimal) -> Result<Decimal, E>,
    ) -> Result<(), E> {
        fn rate<E>(
            r: &mut Rate,
            f: &mut impl FnMut(Decimal) -> Result<Decimal, E>,
        ) -> Result<(), E> {
            if let Some((amount, _)) = r.specific.as_mut() {
                *amount = f(*amount)?;
            }
            for limit in [r.minimum.as_mut(), r.maximum.as_mut()]
                .into_iter()
                .flatten()
            {
                *limit = f(*limit)?;
            }
            Ok(())
        }
        for m in &mut self.measures {
            rate(&mut m.rate, &mut f)?;
            for (_, r) in &mut m.preference_rates {
                rate(r, &mut f)?;
            }
        }
        for fee in &mut self.fees {
            for limit in [
                fee.minimum_per_entry.as_mut(),
                fee.maximum_per_entry.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                *limit = f(*limit)?;
            }
        }
        if let Some(t) = self.de_minimis_threshold.as_mut() {
            *t = f(*t)?;
        }
        for i in &mut self.incentives {
            i.credit = f(i.credit)?;
        }
        self.currency = to;
        Ok(())
    }

    /// Whether the schedule states any amount in its currency (a specific rate, a minimum or
    /// maximum, a fee limit, a de minimis threshold, a credit): a schedule of ad valorem rates
    /// alone needs no conversion into another currency.
    pub fn has_amounts(&self) -> bool {
        self.has_charge_amounts()
            || self.de_minimis_threshold.is_some()
            || !self.incentives.is_empty()
    }

    /// Whether the schedule states an amount a charge rises with: a specific rate, a
    /// minimum or maximum of a rate, a fee's limit per entry.
    pub fn has_charge_amounts(&self) -> bool {
        let rate = |r: &Rate| r.specific.is_some() || r.minimum.is_some() || r.maximum.is_some();
        self.measures
            .iter()
            .any(|m| rate(&m.rate) || m.preference_rates.iter().any(|(_, r)| rate(r)))
            || self
                .fees
                .iter()
                .any(|f| f.minimum_per_entry.is_some() || f.maximum_per_entry.is_some())
    }

    /// Sets the ad valorem rate of measure `id`; `false` if there is no such measure.
    pub fn set_ad_valorem(&mut self, id: &str, percent: Decimal) -> bool {
        match self.by_id.get(id) {
            Some(&i) => {
                self.measures[i].rate.ad_valorem_percent = Some(percent);
                true
            }
            None => false,
        }
    }
}

/// A per-unit credit lost when the share of in-scope material value from restricted origins
/// exceeds a maximum (e.g. a clean vehicle credit and foreign-entity-of-concern minerals).
#[derive(Debug, Clone)]
pub struct Incentive {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// Credit per unit when kept.
    pub credit: Decimal,
    /// Origins whose content counts against the credit.
    pub restricted_origins: IdSet,
    /// Largest restricted share that keeps the credit.
    pub max_restricted_share: Decimal,
    /// Materials measured; empty = all material lines.
    pub material_ids: IdSet,
    /// Entry dates in force.
    pub window: Window,
}

/// Inventory bought at baseline prices held against a shock of `horizon_months`.
#[derive(Debug, Clone)]
pub struct Stockpile {
    /// Months of consumption in stock.
    pub cover_months: Decimal,
    /// Months the shock lasts (positive).
    pub horizon_months: Decimal,
    /// Materials stockpiled; empty = the whole product.
    pub material_ids: IdSet,
}

/// Options of a calculation.
#[derive(Debug, Clone)]
pub struct Options {
    /// Baseline entry date.
    pub entry_date: Date,
    /// Scenario entry date.
    pub scenario_entry_date: Date,
    /// Units of product per customs entry (positive integer).
    pub units_per_entry: Decimal,
    /// Whether the request gave `units_per_entry`. Its default of 1 puts a per-entry fee
    /// minimum on one unit of product, which can outweigh a small BOM's duties when the
    /// caller ships many units per entry: the result then notes it ([`super::fees`]).
    pub units_per_entry_given: bool,
    /// Units per year, if given.
    pub annual_volume: Option<Decimal>,
    /// Rounding mode.
    pub rounding: RoundingMode,
    /// Stockpile cover, if any.
    pub stockpile: Option<Stockpile>,
    /// Build the formulas of every charge (the full view); a summary skips them.
    pub explain: bool,
    /// Use a schedule's estimated metal share where an import under a metal-content measure
    /// declares none ([`MetalShares`]); otherwise the full value is metal content.
    pub estimate_metal_content: bool,
}

/// Everything one calculation needs.
#[derive(Debug, Clone, Copy)]
pub struct Scenario<'a> {
    /// The product.
    pub bom: &'a Bom,
    /// Baseline prices.
    pub baseline_prices: &'a PriceDeck,
    /// Scenario prices.
    pub scenario_prices: &'a PriceDeck,
    /// Baseline schedule.
    pub baseline_schedule: &'a Schedule,
    /// Scenario schedule.
    pub scenario_schedule: &'a Schedule,
    /// Baseline exchange rates, if any amount needs converting.
    pub baseline_fx: Option<&'a FxDeck>,
    /// Scenario exchange rates.
    pub scenario_fx: Option<&'a FxDeck>,
    /// Options.
    pub options: &'a Options,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::currency::Currency;

    fn measure(id: &str, prefixes: &[&str]) -> Measure {
        Measure {
            id: id.into(),
            name: id.into(),
            program: Program::Mfn,
            hts_prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            origins: IdSet::default(),
            excluded_origins: IdSet::default(),
            window: Window::default(),
            rate: Rate::default(),
            basis: DutyBasis::FullValue,
            preempts: Vec::new(),
            group: None,
            preference_rates: Vec::new(),
            exemptions: Vec::new(),
            all_in_of: Vec::new(),
        }
    }

    /// A special rate is the one of the group that lists the program: "Free (S)" and "1%
    /// (KR)" are two rates, not one.
    #[test]
    fn a_special_rate_is_found_by_its_program() {
        let rate = |p: u32| Rate {
            ad_valorem_percent: Some(Decimal::from(p)),
            ..Rate::default()
        };
        let m = Measure {
            preference_rates: vec![
                (vec!["KR".into()], rate(1)),
                (vec!["AU".into(), "S".into()], rate(0)),
            ],
            ..measure("mfn", &["8505"])
        };
        assert_eq!(m.preference_rate("S"), Some(&rate(0)));
        assert_eq!(m.preference_rate("KR"), Some(&rate(1)));
        assert_eq!(m.preference_rate("JP"), None);
    }

    fn import(hts: &str, origin: &str, claim: Option<&str>) -> Import {
        Import {
            hts_code: hts.into(),
            hts_digits: hts.into(),
            origin: origin.into(),
            transport_mode: TransportMode::Ocean,
            customs_value: None,
            metal_content_share: None,
            net_mass_kg: None,
            preference: claim.map(Into::into),
            currency: Currency::from_code("USD").unwrap(),
            incoterm: Incoterm::Fob,
            freight: Decimal::ZERO,
            insurance: Decimal::ZERO,
            brokerage: Decimal::ZERO,
        }
    }

    /// An exemption covers an import only when every condition it sets is met: one of its
    /// HTS prefixes (any length), one of its origins, a claim of one of its programs.
    #[test]
    fn an_exemption_needs_every_condition_it_sets() {
        let usmca = Exemption {
            hts_prefixes: Vec::new(),
            origins: ["CA"].into_iter().collect(),
            claimed_programs: ["S", "S+"].into_iter().collect(),
        };
        assert!(usmca.covers(&import("8505110070", "CA", Some("S+"))));
        assert!(!usmca.covers(&import("8505110070", "CA", None)));
        assert!(!usmca.covers(&import("8505110070", "CA", Some("KR"))));
        assert!(!usmca.covers(&import("8505110070", "MX", Some("S"))));
        let listed = Exemption {
            hts_prefixes: vec!["2805".into(), "28053000".into(), "8486".into()],
            ..Exemption::default()
        };
        assert!(listed.covers(&import("2805300010", "CN", None)));
        assert!(listed.covers(&import("2805190000", "CN", None)));
        assert!(listed.covers(&import("8486", "CN", None)));
        assert!(!listed.covers(&import("2806", "CN", None)));
        assert!(!listed.covers(&import("848", "CN", None)));
        let m = Measure {
            exemptions: vec![usmca],
            ..measure("s122", &[])
        };
        let date = Date::parse("2026-03-02").unwrap();
        assert!(m.applies_to(&import("85", "CA", None), date));
        assert!(!m.applies_to(&import("85", "CA", Some("S")), date));
    }

    #[test]
    fn the_index_finds_each_measure_once_for_the_codes_its_prefixes_cover() {
        let measures = vec![
            measure("a", &["85", "8505", "7326"]),
            measure("all", &[]),
            measure("b", &["8505.11".replace('.', "").as_str()]),
        ];
        let s = Schedule::new(
            "s".into(),
            Currency::from_code("USD").unwrap(),
            measures,
            Vec::new(),
            None,
            Vec::new(),
            HashMap::new(),
        );
        let ix = s.index();
        // In schedule order, "a" once although two of its prefixes match.
        assert_eq!(ix.candidates("8505110070"), vec![0, 1, 2]);
        assert_eq!(ix.candidate_count("8505110070"), 3);
        assert_eq!(ix.candidates("850520"), vec![0, 1]);
        assert_eq!(ix.candidates("7326908688"), vec![0, 1]);
        assert_eq!(ix.candidates("9999"), vec![1]);
    }

    #[test]
    fn id_sets_keep_the_first_order_and_drop_repeats() {
        let s: IdSet = ["CN", "KR", "CN", "JP"].into_iter().collect();
        assert_eq!(s.join(", "), "CN, KR, JP");
        assert_eq!(s.len(), 3);
        assert!(s.contains("JP") && !s.contains("US"));
    }

    /// A sensitivity rate input sets a measure's ad valorem rate by id; an unknown id is
    /// reported, not ignored.
    #[test]
    fn set_ad_valorem_changes_the_named_measure_only() {
        let mut s = Schedule::new(
            "s".into(),
            Currency::from_code("USD").unwrap(),
            vec![measure("a", &["8505"]), measure("b", &["8505"])],
            Vec::new(),
            None,
            Vec::new(),
            HashMap::new(),
        );
        assert!(s.set_ad_valorem("b", Decimal::from(7)));
        let rates: Vec<Option<Decimal>> = s
            .measures()
            .iter()
            .map(|m| m.rate.ad_valorem_percent)
            .collect();
        assert_eq!(rates[1], Some(Decimal::from(7)));
        assert_ne!(rates[0], Some(Decimal::from(7)));
        assert!(!s.set_ad_valorem("zz", Decimal::ONE));
        assert!(s.has_measure("a") && !s.has_measure("zz"));
    }
}
