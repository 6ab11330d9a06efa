//! What a calculation can cost at most, computed from the shape of its validated inputs
//! before any work starts: units of work (see [`super::work`]), the memory its results hold,
//! and the sizes a caller needs to bound the response it will build from them.
//!
//! Every figure is an upper bound of what the engine then charges to its [`Meter`]: a
//! measure is counted for a line when its HTS prefix matches, before its origin and dates
//! are tested; every import is counted as dutied whatever de minimis decides. The bound is
//! checked against the meter's own count by the tests of this module and by property tests.
//!
//! [`Meter`]: super::work::Meter

use super::line::{Charge, LineCost};
use super::model::{Bom, Item, ItemKind, Options, PriceDeck, Scenario, Schedule};
use super::monotone;
use super::sensitivity::{EVALUATION_BUDGET, Inputs, Target, Uncertain};
use super::work::units;

/// What one calculation (or analysis) can cost at most.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Estimate {
    /// Units of work.
    pub units: u64,
    /// Bytes of the engine's results and working data held at once.
    pub memory_bytes: u64,
    /// Lines of one costing (BOM items, assemblies included).
    pub lines: u64,
    /// Duties and fees charged on the baseline and scenario sides together.
    pub charges: u64,
    /// Measure and fee summaries (distinct ids charged).
    pub measures: u64,
    /// Material summaries (distinct materials).
    pub materials: u64,
    /// Bytes of text a full response repeats per line: paths, field paths, descriptions,
    /// material ids (the request paths of the lines are the API's to add:
    /// [`Estimate::with_request_paths`]).
    pub line_text_bytes: u64,
    /// Bytes of the longest measure or fee id, repeated in every charge of a response.
    pub longest_charge_id: u64,
    /// Notes (remarks) the result can carry.
    pub notes: u64,
    /// Bytes of the ids and names of both schedules' measures and fees, which a response
    /// lists (measures in force, summaries).
    pub measure_text_bytes: u64,
    /// Bytes of the ids and names of the distinct materials, which a response summarizes.
    pub material_text_bytes: u64,
    /// Incentives of both schedules.
    pub incentives: u64,
    /// Coverage gaps: per dutied import and side, at most one for a missing rate or duty and
    /// one per known gap of the side's schedule.
    pub gaps: u64,
    /// Bytes of the known gaps' ids, descriptions and sources, which every gap of that kind
    /// repeats in full (its entry and its note): per side, each dutied import times the
    /// text of every known gap of the side's schedule.
    pub known_gap_text_bytes: u64,
}

impl Estimate {
    /// This estimate with `bytes` more of line text: the request field paths of the lines,
    /// which only the API knows (the engine names lines by position).
    pub fn with_request_paths(self, bytes: u64) -> Estimate {
        Estimate {
            line_text_bytes: self.line_text_bytes.saturating_add(bytes),
            ..self
        }
    }
}

/// Bytes a charge's formula can take: formulas name at most a few pre-empting measures and
/// clip long names (`text::clip`), so a formula has a fixed bound.
pub const FORMULA_BYTES: u64 = 640;

/// Bytes of one note: notes name an item's path (bounded by the BOM's text) and an origin.
const NOTE_BYTES: u64 = 256;

/// The shape of a BOM that costs depend on, computed once per BOM ([`bom_shape`]) and
/// shared by every scenario costed against it.
#[derive(Debug, Default)]
pub struct BomShape<'a> {
    lines: u64,
    /// HTS digits of each item dutied at its own level (imported, no imported ancestor).
    dutied: Vec<&'a str>,
    /// The material id of each material line.
    materials: Vec<&'a str>,
    /// Import declarations ignored because an ancestor is imported whole (one note each).
    ignored_imports: u64,
    /// Dutied imports whose price basis includes carriage (a note each when none is stated).
    carriage_bases: u64,
    /// Distinct origins of the dutied items (at most one de minimis note each).
    origins: std::collections::HashSet<&'a str>,
    text_bytes: u64,
}

/// The shape of `bom`.
pub fn bom_shape(bom: &Bom) -> BomShape<'_> {
    fn walk<'a>(items: &'a [Item], prefix_len: u64, imported_above: bool, s: &mut BomShape<'a>) {
        for item in items {
            s.lines += 1;
            let path_len = prefix_len + 1 + units(item.id.len());
            s.text_bytes += path_len + units(item.description.len());
            let dutied_here = item.import.is_some() && !imported_above;
            if let Some(import) = item.import.as_ref() {
                if dutied_here {
                    s.dutied.push(&import.hts_digits);
                    s.origins.insert(&import.origin);
                    let terms = import.incoterm;
                    s.carriage_bases += u64::from(terms.includes_freight());
                } else {
                    s.ignored_imports += 1;
                }
            }
            match &item.kind {
                ItemKind::Material { material_id, .. } => {
                    s.text_bytes += units(material_id.len());
                    s.materials.push(material_id);
                }
                ItemKind::Component { .. } => {}
                ItemKind::Assembly { children } => {
                    walk(children, path_len, imported_above || dutied_here, s)
                }
            }
        }
    }
    let mut s = BomShape::default();
    walk(&bom.items, 0, false, &mut s);
    s
}

/// What one costing pass charges for imports under one schedule, and the charges it makes.
#[derive(Debug, Clone, Copy)]
struct SchedulePass {
    units: u64,
    de_minimis: bool,
    text_bytes: u64,
    charges: u64,
    measures_and_fees: u64,
    incentives: u64,
    measures: u64,
    longest_id: u64,
    /// Known gaps: each may concern every dutied line.
    known_gaps: u64,
    /// Fees with a minimum per entry: each may note every origin's entry when the units per
    /// entry are assumed.
    minimum_fees: u64,
    /// Bytes of the known gaps' ids, descriptions and sources.
    known_gap_bytes: u64,
}

/// The exemptions of the measures whose prefixes cover `hts`: what testing them costs a line.
fn exemption_count(schedule: &Schedule, hts: &str) -> u64 {
    let measures = schedule.measures();
    schedule
        .index()
        .candidates(hts)
        .into_iter()
        .map(|i| units(measures[i].exemptions.len()))
        .sum()
}

fn schedule_pass(schedule: &Schedule, dutied: &[&str]) -> SchedulePass {
    let d = units(dutied.len());
    let candidates: u64 = dutied
        .iter()
        .map(|hts| units(schedule.index().candidate_count(hts)))
        .sum();
    // Each candidate's exemptions are tested against the line (a note may carve out many).
    let exemptions: u64 = dutied
        .iter()
        .map(|hts| exemption_count(schedule, hts))
        .sum();
    let fees = units(schedule.fees.len());
    let de_minimis = if schedule.de_minimis_threshold.is_some() {
        d
    } else {
        0
    };
    let longest_id = schedule
        .measures()
        .iter()
        .map(|m| m.id.len())
        .chain(schedule.fees.iter().map(|f| f.id.len()))
        .max()
        .unwrap_or(0);
    let text_bytes = schedule
        .measures()
        .iter()
        .map(|m| 2 * m.id.len() + m.name.len())
        .chain(schedule.fees.iter().map(|f| 2 * f.id.len() + f.name.len()))
        .chain(
            schedule
                .incentives
                .iter()
                .map(|i| i.id.len() + i.name.len()),
        )
        .sum();
    let known_gaps = units(schedule.known_gaps.len());
    SchedulePass {
        units: de_minimis
            + d
            + candidates
            + exemptions
            + fees.saturating_mul(d)
            + known_gaps.saturating_mul(d),
        known_gaps,
        minimum_fees: units(
            schedule
                .fees
                .iter()
                .filter(|f| f.minimum_per_entry.is_some())
                .count(),
        ),
        known_gap_bytes: schedule
            .known_gaps
            .iter()
            .map(|g| units(g.id.len() + g.description.len() + g.source.len()))
            .sum(),
        de_minimis: schedule.de_minimis_threshold.is_some(),
        text_bytes: units(text_bytes),
        charges: candidates + fees.saturating_mul(d),
        measures_and_fees: units(schedule.measures().len()) + fees,
        incentives: units(schedule.incentives.len()),
        measures: units(schedule.measures().len()),
        longest_id: units(longest_id),
    }
}

/// What `calculate` on these inputs can cost.
pub fn calculation(s: &Scenario<'_>) -> Estimate {
    calculation_with(&bom_shape(s.bom), s)
}

/// What `calculate` on these inputs can cost, with the shape of their BOM already known.
pub fn calculation_with(shape: &BomShape<'_>, s: &Scenario<'_>) -> Estimate {
    let base = schedule_pass(s.baseline_schedule, &shape.dutied);
    let scen = schedule_pass(s.scenario_schedule, &shape.dutied);
    let e = calculation_from(shape, &base, &scen, s.options);
    let fx = exchange(shape, s, &base);
    Estimate {
        material_text_bytes: material_text(shape, s.scenario_prices),
        units: e.units.saturating_add(fx.units),
        memory_bytes: e.memory_bytes.saturating_add(fx.memory_bytes),
        notes: e.notes.saturating_add(fx.notes),
        ..e
    }
}

/// What exchange rates add to a calculation: reading each deck's rates; a copy of each
/// schedule not in the BOM's currency per deck it is converted with (its measures, fees and
/// incentives, and their memory); and when the two sides' decks differ, the FX effect's own
/// costing (two more goods walks, for it and for the scenario prices under the baseline's
/// rates, and one more pass of the baseline schedule with its incentives); a note per side.
fn exchange(shape: &BomShape<'_>, s: &Scenario<'_>, base: &SchedulePass) -> Estimate {
    let l = shape.lines;
    let to = s.bom.currency;
    let moves = s.baseline_fx != s.scenario_fx;
    let decks = [s.baseline_fx, s.scenario_fx]
        .iter()
        .map(|d| units(d.map_or(0, |d| d.rates.len())))
        .sum::<u64>();
    let copies = 1 + u64::from(moves);
    let (mut copy_units, mut copy_bytes) = (0u64, 0u64);
    for t in [s.baseline_schedule, s.scenario_schedule] {
        if t.currency != to {
            let entries = units(t.measures().len() + t.fees.len() + t.incentives.len());
            let bytes = units(t.measures().len())
                .saturating_mul(units(std::mem::size_of::<super::model::Measure>()))
                .saturating_add(
                    units(t.measures().iter().map(|m| m.hts_prefixes.len()).sum())
                        .saturating_mul(BUILT_CODE_BYTES),
                );
            copy_units = copy_units.saturating_add(copies.saturating_mul(entries));
            copy_bytes = copy_bytes.saturating_add(copies.saturating_mul(bytes));
        }
    }
    let crossing = if moves {
        (2 * l)
            .saturating_add(base.units)
            .saturating_add(base.incentives.saturating_mul(l))
    } else {
        0
    };
    let any_deck = s.baseline_fx.is_some() || s.scenario_fx.is_some();
    Estimate {
        // The notes read every line for the currencies it uses.
        units: decks
            .saturating_add(copy_units)
            .saturating_add(crossing)
            .saturating_add(if any_deck { l } else { 0 }),
        memory_bytes: copy_bytes,
        // A note per side, each up to three notes' length.
        notes: if any_deck { 6 } else { 0 },
        ..Estimate::default()
    }
}

fn distinct(materials: &[&str]) -> u64 {
    units(
        materials
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
    )
}

/// Bytes of the ids and names of the distinct materials of the BOM, names from `deck`.
fn material_text(shape: &BomShape<'_>, deck: &PriceDeck) -> u64 {
    let mut seen = std::collections::HashSet::new();
    shape
        .materials
        .iter()
        .filter(|m| seen.insert(**m))
        .map(|m| units(m.len() + deck.prices.get(*m).map_or(0, |p| p.name.len())))
        .sum()
}

fn calculation_from(
    shape: &BomShape<'_>,
    base: &SchedulePass,
    scen: &SchedulePass,
    options: &Options,
) -> Estimate {
    let explain = options.explain;
    let l = shape.lines;
    let charges = base.charges.saturating_add(scen.charges);
    // Each price side's walk notes every ignored declaration; each side's schedule with a
    // de minimis threshold may note every origin, and so may each fee with a minimum when
    // the units per entry are assumed.
    let de_minimis = [base, scen].iter().filter(|p| p.de_minimis).count() as u64;
    let minimum_fees = if options.units_per_entry_given {
        0
    } else {
        base.minimum_fees.saturating_add(scen.minimum_fees)
    };
    // Asked to estimate metal content, each side may note the share it estimated for every
    // dutied import (when a metal-content measure applies and the import declares none).
    let metal_shares = u64::from(options.estimate_metal_content) * 2 * units(shape.dutied.len());
    // (Each price side's walk may also note a price basis including carriage none states.)
    let notes = (2 * shape.ignored_imports.saturating_add(shape.carriage_bases))
        .saturating_add(metal_shares)
        .saturating_add(
            (de_minimis.saturating_add(minimum_fees)).saturating_mul(units(shape.origins.len())),
        );
    // A side's gaps per dutied line: one for a missing MFN rate or duty, one per known gap.
    let gaps = units(shape.dutied.len()).saturating_mul(
        2u64.saturating_add(base.known_gaps)
            .saturating_add(scen.known_gaps),
    );
    // Two goods walks; each schedule charges the imports of both price sides; each side's
    // incentives test every line twice (own side and the crossed costing); the measures in
    // force are listed once per side; the summaries read every charge, line and note; a
    // stockpile of named materials reads every line once more; the gaps of both sides are
    // merged.
    let work = [
        2 * l,
        2 * base.units,
        2 * scen.units,
        2 * base.incentives * l,
        2 * scen.incentives * l,
        base.measures + scen.measures,
        charges,
        l,
        notes,
        l,
        gaps,
    ]
    .iter()
    .fold(0u64, |a, b| a.saturating_add(*b));
    let charge_bytes =
        units(std::mem::size_of::<(usize, Charge)>()) + if explain { FORMULA_BYTES } else { 0 };
    let line_bytes = units(std::mem::size_of::<LineCost>());
    // Both sides' lines and charges are kept; a crossed costing's charges exist beside them
    // for a moment; notes are kept.
    let memory = (2 * l)
        .saturating_mul(line_bytes)
        .saturating_add(charges.saturating_mul(2).saturating_mul(charge_bytes))
        .saturating_add(notes.saturating_mul(NOTE_BYTES))
        .saturating_add(shape.text_bytes.saturating_mul(2));
    Estimate {
        units: work,
        memory_bytes: memory,
        lines: l,
        charges,
        measures: base.measures_and_fees + scen.measures_and_fees,
        materials: distinct(&shape.materials),
        line_text_bytes: shape.text_bytes,
        longest_charge_id: base.longest_id.max(scen.longest_id),
        notes,
        measure_text_bytes: base.text_bytes + scen.text_bytes,
        material_text_bytes: 0,
        incentives: base.incentives + scen.incentives,
        gaps,
        known_gap_text_bytes: units(shape.dutied.len())
            .saturating_mul(base.known_gap_bytes.saturating_add(scen.known_gap_bytes)),
    }
}

/// The size of a tariff schedule counted from its message before it is built: what building
/// it costs when a schedule overlay rebuilds a base schedule (a preset or an inline schedule)
/// with its changes. A preset is built once at start-up and shared; an overlaid schedule is
/// built for its request alone, so its cost is the request's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScheduleSize {
    /// Measures, fees, incentives, preference programs and special rates.
    pub entries: u64,
    /// The HTS prefixes, origins, pre-emptions, transport modes, materials and program codes
    /// the entries list.
    pub codes: u64,
    /// Bytes of the message as decoded, structs and text: the copy an overlay changes.
    pub message_bytes: u64,
}

impl ScheduleSize {
    /// Both sizes together (a base schedule and the entries an overlay adds to it).
    pub fn plus(self, other: ScheduleSize) -> ScheduleSize {
        ScheduleSize {
            entries: self.entries.saturating_add(other.entries),
            codes: self.codes.saturating_add(other.codes),
            message_bytes: self.message_bytes.saturating_add(other.message_bytes),
        }
    }

    /// Entries and codes: the count `Limits::max_overlay_entries` bounds.
    pub fn count(&self) -> u64 {
        self.entries.saturating_add(self.codes)
    }
}

/// Units of work to build one entry of a schedule: copy its message, validate its fields,
/// convert it, file it by id (and a measure's group and pre-emptions).
const BUILD_UNITS_PER_ENTRY: u64 = 4;
/// Units of work to build one code an entry lists: copy it, validate it, and file an HTS
/// prefix in the index (allocations, each slower than a step of a costing loop). With these
/// weights, rebuilding `us-hts-2026` (274 entries, 12,534 codes) is 26,164 units, and took
/// about as long per unit as a costing (`cargo run --example cost_calibration`, debug build
/// on the 2-core machine: 3,700 to 5,000 ns per unit against 1,800 to 8,800 for the
/// costings; the release figures are for RELIABILITY.md's next calibration).
const BUILD_UNITS_PER_CODE: u64 = 2;
/// Bytes one code takes in the built schedule: its string, and for an HTS prefix its key and
/// list in the index, whose table may be twice the size it needs. Rebuilding `us-hts-2026`
/// allocated at most 2.6 MiB; this estimates 3.5 MiB.
const BUILT_CODE_BYTES: u64 = 192;

/// What building a schedule of `size` costs (units of work and memory; nothing else of an
/// [`Estimate`] is set): its message copied and changed, then every entry and code validated
/// and converted, and the measures indexed. The copy and the built schedule are held at once.
pub fn schedule_build(size: &ScheduleSize) -> Estimate {
    let work = size
        .entries
        .saturating_mul(BUILD_UNITS_PER_ENTRY)
        .saturating_add(size.codes.saturating_mul(BUILD_UNITS_PER_CODE));
    // The built schedule: an entry's struct (the measure, the largest), its text (at most
    // the message's), and its codes.
    let built = size
        .entries
        .saturating_mul(units(std::mem::size_of::<super::model::Measure>()))
        .saturating_add(size.message_bytes)
        .saturating_add(size.codes.saturating_mul(BUILT_CODE_BYTES));
    Estimate {
        units: work,
        memory_bytes: size.message_bytes.saturating_add(built),
        ..Estimate::default()
    }
}

/// What the uncertain inputs of an analysis set, as its cost model counts them.
struct InputCounts {
    /// Item paths of quantity inputs.
    paths: u64,
    /// Item paths of freight inputs.
    freight_paths: u64,
    /// Exchange-rate inputs as each side's conversions look them up (at most one per side each).
    rates: u64,
}

impl InputCounts {
    fn of(uncertain: &[Uncertain]) -> InputCounts {
        let mut c = InputCounts {
            paths: 0,
            freight_paths: 0,
            rates: 0,
        };
        for u in uncertain {
            match &u.target {
                Target::Quantity(p) => c.paths += units(p.len()),
                Target::Freight(p) => c.freight_paths += units(p.len()),
                Target::FxRate { .. } => c.rates += 2,
                Target::Price { .. } | Target::Rate { .. } => {}
            }
        }
        c
    }
}

/// What `sensitivity::analyze` on these inputs can cost: the base result, all-low and
/// all-high, two evaluations per input for the tornado, the goods terms, and at most
/// [`EVALUATION_BUDGET`] combinations of two costings each, every evaluation on its own copy
/// of the inputs.
pub fn sensitivity(inputs: &Inputs, uncertain: &[Uncertain]) -> Estimate {
    let shape = bom_shape(&inputs.bom);
    let base = schedule_pass(&inputs.baseline_schedule, &shape.dutied);
    let scen = schedule_pass(&inputs.scenario_schedule, &shape.dutied);
    let full = calculation_from(&shape, &base, &scen, &inputs.options);
    let quiet = calculation_from(
        &shape,
        &base,
        &scen,
        &Options {
            explain: false,
            ..inputs.options.clone()
        },
    );
    // What exchange rates add to every calculation and to every pair of costings (the decks
    // read, schedules converted, the FX effect's costing): at most a calculation's share.
    let fx = exchange(&shape, &inputs.scenario(), &base);
    let l = shape.lines;
    let n = units(uncertain.len());
    let InputCounts {
        paths,
        freight_paths,
        rates,
    } = InputCounts::of(uncertain);
    // One copy of the inputs, then one unit per input and one per item path it sets.
    let copy = inputs.copy_units() + n + paths + freight_paths;
    // One side's costing: a goods walk, one pass of its schedule, its incentives, the
    // measures in force; a combination costs both sides and reads their lines.
    let costing = |p: &SchedulePass| l + p.units + p.incentives * l + p.measures;
    let combination = copy + costing(&base) + costing(&scen) + 2 * l + fx.units;
    let goods_terms = costing(&base) + costing(&scen) + l.saturating_mul(n + paths) + fx.units;
    let calculations = (full.units + fx.units + copy)
        .saturating_add((quiet.units + fx.units + copy).saturating_mul(2 + 2 * n));
    // Each round of the search reads its boxes (at most two per split, plus the root) and
    // bounds two new boxes: one unit per goods term, per factor on it and per exchange-rate
    // input its conversions look up. Before it, the direction of every input on each side.
    let budget = units(EVALUATION_BUDGET);
    let boxes = 2 * budget + 2;
    let bound = l + l.saturating_mul(paths) + l.saturating_mul(rates);
    let search = combination
        .saturating_mul(budget)
        .saturating_add((budget + 2).saturating_mul(boxes))
        .saturating_add(boxes.saturating_mul(bound))
        .saturating_add(monotone::work(inputs, uncertain));
    let work = calculations
        .saturating_add(goods_terms)
        .saturating_add(search);
    // The base result is kept; one copy of the inputs and one calculation's working data
    // exist beside it; the goods terms keep a factor list per line; the cache keeps one
    // key of n values per combination.
    let copy_bytes = l.saturating_mul(units(std::mem::size_of::<Item>()) * 2);
    let memory = full
        .memory_bytes
        .saturating_add(quiet.memory_bytes)
        .saturating_add(fx.memory_bytes.saturating_mul(2))
        .saturating_add(copy_bytes)
        .saturating_add(l.saturating_mul(64 + 8 * (n + paths)))
        .saturating_add(units(EVALUATION_BUDGET).saturating_mul(64 + 16 * n));
    Estimate {
        units: work,
        memory_bytes: memory,
        material_text_bytes: material_text(&shape, &inputs.scenario_prices),
        ..full
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::{self, Limits};
    use crate::engine::model::{Options, PriceDeck};
    use crate::engine::sensitivity::Target;
    use crate::engine::work::{Meter, StopSignal, Stopped};
    use crate::engine::{Error, calculate};
    use crate::pb;
    use rust_decimal::Decimal;
    use serde_json::json;

    fn options() -> Options {
        let o: pb::CalculationOptions =
            serde_json::from_value(json!({"entryDate": "2026-03-02"})).unwrap();
        convert::options::options(Some(&o), "options").unwrap()
    }

    fn deck() -> PriceDeck {
        let d: pb::PriceDeck = serde_json::from_value(json!({"id": "p", "currency": "USD",
            "prices": [{"materialId": "nd", "price": "87", "unit": "UNIT_OF_MEASURE_KG",
                        "basis": "PRICE_BASIS_MARKET"}]}))
        .unwrap();
        convert::price_deck::price_deck(&d, "p").unwrap()
    }

    /// Three measures, two of whose prefixes match 8505.11 (one for CN only), and MPF.
    fn schedule() -> Schedule {
        schedule_with_credits(0)
    }

    /// [`schedule`] with `credits` incentives.
    fn schedule_with_credits(credits: usize) -> Schedule {
        let rate = json!({"adValoremPercent": "10"});
        let incentives: Vec<_> = (0..credits)
            .map(|i| {
                json!({"id": format!("c{i}"), "creditAmount": "1", "restrictedOrigins": ["CN"],
                            "maxRestrictedShare": "0.5"})
            })
            .collect();
        let s: pb::TariffSchedule = serde_json::from_value(json!({"id": "s", "currency": "USD",
            "incentives": incentives,
            "measures": [
                {"id": "m1", "program": "PROGRAM_SECTION_301", "htsPrefixes": ["8505"], "origins": ["CN"],
                 "basis": "DUTY_BASIS_FULL_VALUE", "rate": rate},
                {"id": "m2", "program": "PROGRAM_MFN", "htsPrefixes": ["85", "8505"],
                 "basis": "DUTY_BASIS_FULL_VALUE", "rate": rate},
                {"id": "m3", "program": "PROGRAM_MFN", "htsPrefixes": ["7326"],
                 "basis": "DUTY_BASIS_FULL_VALUE", "rate": rate}],
            "fees": [{"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464"}]}))
        .unwrap();
        convert::schedule::schedule(&s, "s").unwrap()
    }

    /// A drive (CN) holding a material (JP) and a rotor (DE), and a bolt (MX): the inner
    /// declarations are ignored (dutied within the drive), so two imports are dutied.
    fn nested_bom() -> Bom {
        let import = |hts: &str, origin: &str| json!({"htsCode": hts, "origin": origin, "transportMode": "TRANSPORT_MODE_OCEAN"});
        let b: pb::Bom = serde_json::from_value(json!({"id": "b", "currency": "USD", "items": [
            {"id": "drive", "import": import("8501.32.2000", "CN"), "children": [
                {"id": "nd", "materialId": "nd", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG",
                 "import": import("2805.30.0000", "JP")},
                {"id": "rotor", "unitPrice": "5", "import": import("8503.00.9545", "DE")}]},
            {"id": "bolt", "unitPrice": "1", "import": import("7318.15.2095", "MX")}]}))
        .unwrap();
        convert::bom::bom(&b, "", &Limits::default()).unwrap().bom
    }

    /// A scenario whose two sides share one deck and one schedule.
    fn one_side<'a>(
        bom: &'a Bom,
        deck: &'a PriceDeck,
        schedule: &'a Schedule,
        options: &'a Options,
    ) -> Scenario<'a> {
        Scenario {
            bom,
            baseline_prices: deck,
            scenario_prices: deck,
            baseline_schedule: schedule,
            scenario_schedule: schedule,
            baseline_fx: None,
            scenario_fx: None,
            options,
        }
    }

    fn bom(materials: usize) -> Bom {
        let mut items: Vec<_> = (0..materials)
            .map(|i| json!({"id": format!("nd{i}"), "materialId": "nd", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"}))
            .collect();
        items.push(
            json!({"id": "magnet", "unitPrice": "100", "import": {"htsCode": "8505.11.0070",
            "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}}),
        );
        let b: pb::Bom =
            serde_json::from_value(json!({"id": "b", "currency": "USD", "items": items})).unwrap();
        convert::bom::bom(&b, "", &Limits::default()).unwrap().bom
    }

    /// Counted by hand: 2 lines (L), 1 dutied import (D) with 2 candidate measures (m2 is
    /// filed once, under "85"), 1 fee, 3 measures per schedule. One pass of a schedule is
    /// (1 + 2) + 1 x 1 = 4 units and makes 2 + 1 = 3 charges. Estimate: goods 2L = 4, four
    /// passes 16, measures in force 3 + 3 = 6, summaries of 3 + 3 charges 6, materials L = 2,
    /// no notes (no declaration is ignored, no de minimis), stockpile L = 2, coverage gaps of
    /// one dutied import on two sides 2: 38. The meter counts what happens: the import's 2
    /// candidates searched once per schedule and date, twice (4), not in each of the four
    /// passes (8), no stockpile and no gap (m2 is an MFN rate), and of the measures in force
    /// only the 2 that applied to the import on each side (m1, m2) are listed:
    /// 38 - 4 - 2 - 2 - 2 = 28.
    #[test]
    fn the_estimate_and_the_meter_agree_with_a_count_by_hand() {
        let (bom, deck, schedule, options) = (bom(1), deck(), schedule(), options());
        let s = one_side(&bom, &deck, &schedule, &options);
        let e = calculation(&s);
        assert_eq!((e.lines, e.charges, e.units, e.gaps), (2, 6, 38, 2));
        // 3 measures and a fee per side; text per side: m1, m2, m3 (named by their ids) 3 x
        // (2 x 2 + 2) = 18 and mpf 2 x 3 + 3 = 9: 27.
        assert_eq!((e.measures, e.measure_text_bytes), (8, 54));
        let meter = Meter::unlimited();
        let impact = calculate(&s, &meter).unwrap();
        assert_eq!(meter.used(), 28);
        assert_eq!(impact.baseline.lines[1].charges.len(), 3, "m1, m2 and MPF");
        let listed: Vec<&str> = impact
            .baseline
            .measures_in_force
            .iter()
            .map(|m| &**m)
            .collect();
        assert_eq!(listed, ["m1", "m2"]);
    }

    /// Exchange rates, counted by hand on the case above with its schedule in EUR and an MPF
    /// minimum (an amount to convert; on one assumed unit per entry it may be noted on each
    /// side: 2 notes, 2 units, 40 before any rate), a baseline deck of 1 rate and a scenario
    /// deck of 2: decks 1 + 2 = 3; each schedule (the same on both sides, counted for each)
    /// copied per deck, 2 x 2 x (3 measures + 1 fee) = 16; the FX effect's costing and the
    /// scenario prices under the baseline's rates, two more walks 2L = 4 and a pass of the
    /// baseline schedule 4; the notes' read of the lines L = 2: 69 (the meter 63). Without decks the copies
    /// are still counted once each (8): 48. Six notes more; memory for the copies: their
    /// measures and prefixes.
    #[test]
    fn exchange_rates_are_counted_by_hand() {
        let (bom, deck, options) = (bom(1), deck(), options());
        let mut schedule = schedule();
        let eur: pb::TariffSchedule = serde_json::from_value(json!({"id": "s", "currency": "EUR",
            "fees": [{"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464",
                      "minimumPerEntry": "1"}]}))
        .unwrap();
        let eur = convert::schedule::schedule(&eur, "s").unwrap();
        schedule.currency = eur.currency;
        schedule.fees = eur.fees;
        let fx = |rates: serde_json::Value| {
            let d: pb::FxDeck =
                serde_json::from_value(json!({"id": "fx", "rates": rates})).unwrap();
            convert::fx_deck::fx_deck(&d, "fx").unwrap()
        };
        let fx0 = fx(json!([{"baseCurrency": "EUR", "quoteCurrency": "USD", "rate": "1.1"}]));
        let fx1 = fx(
            json!([{"baseCurrency": "EUR", "quoteCurrency": "USD", "rate": "1.2"},
                             {"baseCurrency": "USD", "quoteCurrency": "JPY", "rate": "150"}]),
        );
        let plain = calculation(&one_side(&bom, &deck, &schedule, &options));
        let s = Scenario {
            baseline_fx: Some(&fx0),
            scenario_fx: Some(&fx1),
            ..one_side(&bom, &deck, &schedule, &options)
        };
        let e = calculation(&s);
        assert_eq!((plain.units, e.units), (48, 69));
        assert_eq!(e.notes - plain.notes, 6);
        let prefixes = 4; // 8505; 85, 8505; 7326
        let copy = 3 * units(std::mem::size_of::<super::super::model::Measure>())
            + prefixes * BUILT_CODE_BYTES;
        assert_eq!(e.memory_bytes - plain.memory_bytes, 2 * copy);
        let meter = Meter::unlimited();
        let impact = calculate(&s, &meter).unwrap();
        // The meter: its 28, the two minimum notes read by the summaries, and the same 29 but
        // the FX costing's search of the 2 candidates (it shares the baseline's): 57.
        assert_eq!(meter.used(), 57);
        // The same deck on both sides: decks 2 + 2, one copy per schedule 8, no FX costing, the
        // notes' read 2: 12 more.
        let same = Scenario {
            baseline_fx: Some(&fx1),
            scenario_fx: Some(&fx1),
            ..one_side(&bom, &deck, &schedule, &options)
        };
        assert_eq!(calculation(&same).units, 40 + 4 + 8 + 2);
        assert!(impact.notes.iter().any(|n| n.contains("1 EUR = 1.2 USD")));

        // Exchange alone, on 3 lines and the schedule with an incentive: decks 3; copies
        // 2 x 2 x (3 measures + 1 fee + 1 incentive) = 20; the FX costing's walks 2 x 3 = 6,
        // its pass of the baseline schedule 4 and its incentive on each line 3; the notes'
        // read 3: 39.
        let bom3 = self::bom(2);
        let mut with_credit = schedule_with_credits(1);
        with_credit.currency = schedule.currency;
        with_credit.fees = schedule.fees.clone();
        let s = Scenario {
            baseline_fx: Some(&fx0),
            scenario_fx: Some(&fx1),
            ..one_side(&bom3, &deck, &with_credit, &options)
        };
        let shape = bom_shape(&bom3);
        let pass = schedule_pass(&with_credit, &shape.dutied);
        assert_eq!((pass.units, pass.incentives), (4, 1));
        assert_eq!(exchange(&shape, &s, &pass).units, 39);
        // Its meter on the 2 lines of the first case: the 57, the incentive tested on each
        // line by the five costings 5 x 2 = 10, and in each of the four copies 4: 71.
        let s = Scenario {
            baseline_fx: Some(&fx0),
            scenario_fx: Some(&fx1),
            ..one_side(&bom, &deck, &with_credit, &options)
        };
        let meter = Meter::unlimited();
        calculate(&s, &meter).unwrap();
        assert_eq!(meter.used(), 71);
    }

    /// Known gaps, counted by hand on the schedule above with two of them added: "a" (every
    /// import, text 1 + 2 + 4 = 7 bytes) and "b" (chapter 72 only, 1 + 1 + 0 = 2 bytes). Per
    /// pass each gap is tested once per dutied import: 2 units more per pass, 8 in four
    /// passes; gaps per side 1 + 2 = 3 for the one import: 6, each a unit of the merge (4 more
    /// than 2): 38 + 8 + 4 = 50; text 1 x (9 + 9) = 18. The meter: 28 + 8, and the merge of
    /// the 2 gaps found ("a" on each side, never "b"): 38.
    #[test]
    fn known_gaps_are_counted_per_dutied_import_and_side() {
        let mut schedule = schedule();
        let s: pb::TariffSchedule = serde_json::from_value(json!({"id": "s", "currency": "USD",
            "knownGaps": [{"id": "a", "description": "de", "source": "srcs"},
                          {"id": "b", "description": "d", "htsPrefixes": ["72"]}]}))
        .unwrap();
        schedule.known_gaps = convert::schedule::schedule(&s, "s").unwrap().known_gaps;
        let (bom, deck, options) = (bom(1), deck(), options());
        let scenario = one_side(&bom, &deck, &schedule, &options);
        let e = calculation(&scenario);
        assert_eq!((e.units, e.gaps, e.known_gap_text_bytes), (50, 6, 18));
        let meter = Meter::unlimited();
        let impact = calculate(&scenario, &meter).unwrap();
        assert_eq!(meter.used(), 38);
        let found: Vec<_> = impact
            .coverage_gaps
            .iter()
            .map(|g| (g.gap.known_gap.as_deref(), g.baseline, g.scenario))
            .collect();
        assert_eq!(found, [(Some("a"), true, true)]);
    }

    /// Estimated metal shares, noted per dutied import and side: three magnets (8505.11 from
    /// CN, 8505.19 from JP, 8505.20 from KR) under a metal-content measure with an estimate
    /// for 8505 and no declared share make 3 imports x 2 sides = 6 notes in the estimate; the
    /// calculation notes one per HTS code and schedule (the two sides' notes are the same
    /// text, kept once): 3, within it. Without `estimate_metal_content` the estimate counts
    /// none.
    #[test]
    fn estimated_metal_shares_are_counted_per_dutied_import_and_side() {
        let s: pb::TariffSchedule = serde_json::from_value(json!({"id": "s", "currency": "USD",
            "measures": [{"id": "m", "program": "PROGRAM_SECTION_232", "htsPrefixes": ["8505"],
                "basis": "DUTY_BASIS_METAL_CONTENT", "rate": {"adValoremPercent": "50"}}],
            "metalShareEstimates": [{"htsPrefix": "8505", "share": "0.25"}],
            "metalShareEstimatesSource": "shares"}))
        .unwrap();
        let schedule = convert::schedule::schedule(&s, "s").unwrap();
        let import = |hts: &str, origin: &str| {
            json!({"htsCode": hts, "origin": origin,
            "transportMode": "TRANSPORT_MODE_OCEAN"})
        };
        let b: pb::Bom = serde_json::from_value(json!({"id": "b", "currency": "USD", "items": [
            {"id": "cn", "unitPrice": "100", "import": import("8505.11.0070", "CN")},
            {"id": "jp", "unitPrice": "100", "import": import("8505.19.0000", "JP")},
            {"id": "kr", "unitPrice": "100", "import": import("8505.20.0000", "KR")},
            {"id": "nd", "materialId": "nd", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"}]}))
        .unwrap();
        let bom = convert::bom::bom(&b, "", &Limits::default()).unwrap().bom;
        let deck = deck();
        let mut options = options();
        let plain = calculation(&one_side(&bom, &deck, &schedule, &options));
        options.estimate_metal_content = true;
        let scenario = one_side(&bom, &deck, &schedule, &options);
        let e = calculation(&scenario);
        assert_eq!((plain.notes, e.notes), (0, 6));
        assert_eq!(
            e.units - plain.units,
            6,
            "each note is a unit of the summaries"
        );
        let impact = calculate(&scenario, &Meter::unlimited()).unwrap();
        assert_eq!(impact.notes.len(), 3, "{:?}", impact.notes);
        assert!(
            impact.notes[0].contains("estimated share 0.25"),
            "{:?}",
            impact.notes
        );
    }

    /// The request paths only the API knows add to the line text and to nothing else.
    #[test]
    fn request_paths_add_to_the_line_text_only() {
        let e = Estimate {
            units: 1,
            line_text_bytes: 10,
            notes: 3,
            ..Estimate::default()
        };
        assert_eq!(
            e.with_request_paths(5),
            Estimate {
                line_text_bytes: 15,
                ..e
            }
        );
    }

    /// Rebuilding a schedule of 10 entries listing 100 codes, its message 5,000 bytes: 10 x 4
    /// plus 100 x 2 = 240 units; the message's copy (5,000) held beside the built schedule
    /// (10 measures, text of at most 5,000 bytes, 100 codes of 192 bytes).
    #[test]
    fn a_schedule_rebuild_is_counted_by_hand() {
        let size = ScheduleSize {
            entries: 10,
            codes: 100,
            message_bytes: 5_000,
        };
        let e = schedule_build(&size);
        let measure = std::mem::size_of::<super::super::model::Measure>() as u64;
        assert_eq!(e.units, 240);
        assert_eq!(e.memory_bytes, 5_000 + 10 * measure + 5_000 + 100 * 192);
        assert_eq!(
            Estimate {
                units: 0,
                memory_bytes: 0,
                ..e
            },
            Estimate::default(),
            "nothing else is set"
        );
        let more = size.plus(ScheduleSize {
            entries: 1,
            codes: 2,
            message_bytes: 3,
        });
        assert_eq!(
            (more.entries, more.codes, more.message_bytes),
            (11, 102, 5_003)
        );
        assert_eq!(more.count(), 113);
    }

    /// Materials are counted once each, with their id and the deck's name for them: "a"
    /// (twice in the BOM, priced as "Alpha": 1 + 5 = 6) and "bb" (unpriced: 2): 8 bytes of
    /// text, 2 distinct materials.
    #[test]
    fn materials_are_counted_once_with_their_names() {
        let d: pb::PriceDeck = serde_json::from_value(json!({"id": "p", "currency": "USD",
            "prices": [{"materialId": "a", "name": "Alpha", "price": "1", "unit": "UNIT_OF_MEASURE_KG",
                        "basis": "PRICE_BASIS_MARKET"}]}))
        .unwrap();
        let deck = convert::price_deck::price_deck(&d, "p").unwrap();
        let item = |id: &str, m: &str| json!({"id": id, "materialId": m, "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"});
        let b: pb::Bom = serde_json::from_value(json!({"id": "b", "currency": "USD",
            "items": [item("x", "a"), item("y", "a"), item("z", "bb")]}))
        .unwrap();
        let bom = convert::bom::bom(&b, "", &Limits::default()).unwrap().bom;
        let shape = bom_shape(&bom);
        assert_eq!(distinct(&shape.materials), 2);
        assert_eq!(material_text(&shape, &deck), 8);
        let (schedule, options) = (schedule(), options());
        let e = calculation(&one_side(&bom, &deck, &schedule, &options));
        assert_eq!((e.materials, e.material_text_bytes), (2, 8));
    }

    /// The work terms that need incentives, several lines and notes, counted by hand. Three
    /// material lines (no imports), a baseline schedule with 2 incentives and a scenario one
    /// with 1, nothing else: goods walks 2 x 3 = 6, incentives 2 x 2 x 3 + 2 x 1 x 3 = 18,
    /// summaries and stockpile 3 + 3: 30 units; memory: both sides' 3 lines and the line
    /// text ("x", "y", "z": 1 + 1 + material "nd" 2 = 4 each, 12) twice. The nested BOM of the shape test under a schedule with a
    /// de minimis threshold: 2 ignored declarations noted on each price side (4) and each
    /// side's 2 origins (4): 8 notes.
    #[test]
    fn incentives_lines_and_notes_are_counted_by_hand() {
        let credit = |id: &str| json!({"id": id, "creditAmount": "1", "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5"});
        let s: pb::TariffSchedule = serde_json::from_value(json!({"id": "s", "currency": "USD",
            "incentives": [credit("a"), credit("b")]}))
        .unwrap();
        let schedule = convert::schedule::schedule(&s, "s").unwrap();
        let s: pb::TariffSchedule = serde_json::from_value(json!({"id": "s", "currency": "USD",
            "incentives": [credit("a")]}))
        .unwrap();
        let one_credit = convert::schedule::schedule(&s, "s").unwrap();
        let item = |id: &str| json!({"id": id, "materialId": "nd", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"});
        let b: pb::Bom = serde_json::from_value(json!({"id": "b", "currency": "USD",
            "items": [item("x"), item("y"), item("z")]}))
        .unwrap();
        let bom = convert::bom::bom(&b, "", &Limits::default()).unwrap().bom;
        let (deck, options) = (deck(), options());
        let e = calculation(&Scenario {
            bom: &bom,
            baseline_prices: &deck,
            scenario_prices: &deck,
            baseline_schedule: &schedule,
            scenario_schedule: &one_credit,
            baseline_fx: None,
            scenario_fx: None,
            options: &options,
        });
        assert_eq!((e.units, e.incentives), (30, 3));
        let line = std::mem::size_of::<LineCost>() as u64;
        assert_eq!(e.memory_bytes, 2 * 3 * line + 2 * 12);

        let bom = nested_bom();
        let s: pb::TariffSchedule = serde_json::from_value(
            json!({"id": "s", "currency": "USD", "deMinimisThreshold": "800"}),
        )
        .unwrap();
        let schedule = convert::schedule::schedule(&s, "s").unwrap();
        let e = calculation(&one_side(&bom, &deck, &schedule, &options));
        assert_eq!(e.notes, 8);
    }

    /// Fee minimums on an assumed unit per entry, counted by hand: the nested BOM above (2
    /// ignored declarations, dutied imports from CN and MX) under MPF with a 32.71 minimum
    /// and HMF without one. Each side's MPF may note each of the 2 origins' entries: 2 x 2,
    /// with the 2 x 2 ignored declarations 8 notes, and so many the sides make (the drive's
    /// 92.00 and the bolt's 1.00 are far under the minimum): 4 each, 2 of them the minimum's.
    /// With the units per entry given, only the 4 ignored declarations.
    #[test]
    fn fee_minimums_on_an_assumed_unit_are_counted_as_notes() {
        let bom = nested_bom();
        let s: pb::TariffSchedule = serde_json::from_value(json!({"id": "s", "currency": "USD",
            "fees": [{"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464", "minimumPerEntry": "32.71"},
                     {"id": "hmf", "kind": "FEE_KIND_HMF", "ratePercent": "0.125"}]}))
        .unwrap();
        let schedule = convert::schedule::schedule(&s, "s").unwrap();
        let (deck, options) = (deck(), options());
        let scenario = one_side(&bom, &deck, &schedule, &options);
        let e = calculation(&scenario);
        assert_eq!(e.notes, 8);
        let impact = calculate(&scenario, &Meter::unlimited()).unwrap();
        let minimums = |notes: &[String]| {
            notes
                .iter()
                .filter(|n| n.contains("minimum per entry"))
                .count()
        };
        assert_eq!(impact.baseline.notes.len() + impact.scenario.notes.len(), 8);
        assert_eq!(minimums(&impact.baseline.notes), 2);
        assert_eq!(
            minimums(&impact.notes),
            2,
            "one per entry, both sides alike"
        );
        let given = Options {
            units_per_entry_given: true,
            ..options.clone()
        };
        let scenario = one_side(&bom, &deck, &schedule, &given);
        assert_eq!(calculation(&scenario).notes, 4);
        let impact = calculate(&scenario, &Meter::unlimited()).unwrap();
        assert_eq!(minimums(&impact.notes), 0);
    }

    /// The memory of the hand-counted calculation above (2 lines, 6 charges, no notes, 13
    /// bytes of line text): both sides' lines, each charge twice (a crossed costing's beside
    /// the kept ones) with its formula when explained, the line text twice.
    #[test]
    fn the_memory_of_a_calculation_follows_its_shape() {
        let (bom, deck, schedule, options) = (bom(1), deck(), schedule(), options());
        let s = one_side(&bom, &deck, &schedule, &options);
        let e = calculation(&s);
        // "nd0": 1 + 3, material "nd" 2; "magnet": 1 + 6: 13 bytes.
        assert_eq!(e.line_text_bytes, 13);
        let line = std::mem::size_of::<LineCost>() as u64;
        let charge = std::mem::size_of::<(usize, Charge)>() as u64;
        let explained = 2 * 2 * line + 6 * 2 * (charge + FORMULA_BYTES) + 2 * 13;
        assert_eq!(e.memory_bytes, explained);
        let quiet = Options {
            explain: false,
            ..options.clone()
        };
        let e = calculation(&Scenario {
            options: &quiet,
            ..s
        });
        assert_eq!(e.memory_bytes, 2 * 2 * line + 6 * 2 * charge + 2 * 13);
    }

    /// The sensitivity analysis of the hand-counted calculation with one input, the quantity
    /// of "nd0" (n = 1 input, 1 path), counted by hand from the cost model of
    /// [`sensitivity`]: L = 2 lines; one schedule pass 4 units, 3 measures, no incentives, so
    /// one side's costing 2 + 4 + 0 + 3 = 9; a calculation 38 (above). A copy of the inputs:
    /// 2 lines + 1 + 1 prices + (3 measures + 1 fee) x 2 = 12, + 1 input + 1 path = 14. A
    /// combination 14 + 9 + 9 + 2 x 2 = 36; the goods terms 9 + 9 + 2 x (1 + 1) = 22; the
    /// calculations (38 + 14) + (38 + 14) x (2 + 2) = 260; the search with a budget of 512
    /// evaluations, 1,026 boxes of bound 2 + 2 x 1 = 4: 36 x 512 + 514 x 1,026 + 1,026 x 4 =
    /// 549,900. In all 260 + 22 + 549,900 = 550,182 units.
    #[test]
    fn the_sensitivity_estimate_is_counted_by_hand() {
        let inputs = Inputs {
            bom: bom(1),
            baseline_prices: deck(),
            scenario_prices: deck(),
            baseline_schedule: schedule(),
            scenario_schedule: schedule(),
            baseline_fx: None,
            scenario_fx: None,
            options: options(),
        };
        let uncertain = [Uncertain {
            name: "mass".into(),
            target: Target::Quantity(vec!["nd0".into()]),
            low: Decimal::ONE,
            base: Decimal::ONE,
            high: Decimal::TWO,
        }];
        assert_eq!(inputs.copy_units(), 12);
        let e = sensitivity(&inputs, &uncertain);
        assert_eq!(e.units, 550_182);
        // A freight on "nd0" besides (n = 2, 1 freight path): copy 12 + 2 + 1 + 1 = 16, a
        // combination 16 + 9 + 9 + 4 = 38, goods terms 9 + 9 + 2 x (2 + 1) = 24, calculations
        // (38 + 16) x (1 + 2 + 2 x 2) = 378, the search 38 x 512 + 514 x 1,026 + 1,026 x 4
        // + 2 (the freight's direction on each side) = 550,926: 551,328. Then a rate (n = 3,
        // looked up on both sides: 2): copy 17, combination 39, goods terms 18 + 2 x 4 = 26,
        // calculations (38 + 17) + (38 + 17) x (2 + 6) = 495, bound 2 + 2 + 2 x 2 = 8, the
        // directions 2 + (2 lines + 2 x 2 lines, no deck rates) = 8: the search 39 x 512
        // + 527,364 + 1,026 x 8 + 8 = 555,548: 556,069.
        let freight = Uncertain {
            name: "freight".into(),
            target: Target::Freight(vec!["nd0".into()]),
            ..uncertain[0].clone()
        };
        let with_freight = [uncertain[0].clone(), freight];
        assert_eq!(sensitivity(&inputs, &with_freight).units, 551_328);
        let currency = |c| super::super::currency::Currency::from_code(c).unwrap();
        let rate = Uncertain {
            name: "rate".into(),
            target: Target::FxRate {
                base: currency("USD"),
                quote: currency("JPY"),
                side: crate::engine::sensitivity::Side::Both,
            },
            ..uncertain[0].clone()
        };
        let with_rate = [with_freight[0].clone(), with_freight[1].clone(), rate];
        assert_eq!(sensitivity(&inputs, &with_rate).units, 556_069);
        let calc = calculation(&inputs.scenario());
        let quiet_inputs = Inputs {
            options: Options {
                explain: false,
                ..inputs.options.clone()
            },
            ..inputs.clone()
        };
        let quiet = calculation(&quiet_inputs.scenario());
        // The base result and a quiet calculation, a copy of the BOM's items, a factor list
        // per line (64 + 8 x 2), one cache key per evaluation (64 + 16 x 1).
        let item = std::mem::size_of::<Item>() as u64;
        assert_eq!(
            e.memory_bytes,
            calc.memory_bytes + quiet.memory_bytes + 2 * item * 2 + 2 * 80 + 512 * 80
        );
        // Three lines and one incentive per schedule (bom(2)), two inputs (the mass and the
        // price of nd: n = 2, 1 path): a calculation is goods 6, passes 8 + 8, incentives
        // 2 x 1 x 3 on each side 12, measures in force 6, charges 6, lines 3, stockpile 3,
        // gaps 2: 54. Copy 3 + 1 + 1 + 5 + 5 = 15, + 2 inputs + 1 path = 18; a side's
        // costing 3 + 4 + 3 + 3 = 13; a combination 18 + 13 + 13 + 6 = 50; goods terms
        // 13 + 13 + 3 x (2 + 1) = 35; the calculations (54 + 18) x (1 + 2 + 2 x 2) = 504;
        // the search 50 x 512 + 514 x 1,026 + 1,026 x (3 + 3 x 1) = 559,120: 559,659 units.
        // Memory beside the two calculations': the copy 3 x 2 items, factor lists 3 x (64 +
        // 8 x 3), cache keys 512 x (64 + 16 x 2).

        let credited = Inputs {
            bom: bom(2),
            baseline_schedule: schedule_with_credits(1),
            scenario_schedule: schedule_with_credits(1),
            ..inputs.clone()
        };
        let two = [
            uncertain[0].clone(),
            Uncertain {
                name: "price".into(),
                target: Target::Price {
                    material_id: "nd".into(),
                    side: crate::engine::sensitivity::Side::Both,
                },
                low: Decimal::ONE,
                base: Decimal::ONE,
                high: Decimal::TWO,
            },
        ];
        let calc3 = calculation(&credited.scenario());
        assert_eq!(calc3.units, 54);
        let e3 = sensitivity(&credited, &two);
        assert_eq!(e3.units, 559_659);
        let quiet3 = calculation(
            &Inputs {
                options: Options {
                    explain: false,
                    ..credited.options.clone()
                },
                ..credited.clone()
            }
            .scenario(),
        );
        assert_eq!(
            e3.memory_bytes,
            calc3.memory_bytes + quiet3.memory_bytes + 3 * item * 2 + 3 * 88 + 512 * 96
        );
        // Everything else is the calculation's, with the scenario deck's material text.
        assert_eq!(
            Estimate {
                units: calc.units,
                memory_bytes: calc.memory_bytes,
                ..e
            },
            calc
        );
    }

    /// Counted by hand. Paths: "drive" 1 + 5 = 6 (+ its description "Drive unit", 10: 16);
    /// "drive/nd" 6 + 1 + 2 = 9 (+ material id "nd", 2: 11); "drive/rotor" 6 + 1 + 5 = 12;
    /// "magnet" 1 + 6 = 7; "bolt" 1 + 4 = 5: 51 bytes. The assembly is imported, so its two
    /// children's declarations are ignored; drive (CN), magnet (CN) and bolt (MX) are dutied
    /// at their own level, from two origins.
    #[test]
    fn the_shape_of_a_bom_is_counted_by_hand() {
        let import = |hts: &str, origin: &str| json!({"htsCode": hts, "origin": origin, "transportMode": "TRANSPORT_MODE_OCEAN"});
        let b: pb::Bom = serde_json::from_value(json!({"id": "b", "currency": "USD", "items": [
            {"id": "drive", "description": "Drive unit", "import": import("8501.32.2000", "CN"),
             "children": [
                {"id": "nd", "materialId": "nd", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG",
                 "import": import("2805.30.0000", "JP")},
                {"id": "rotor", "unitPrice": "5", "import": import("8503.00.9545", "DE")}]},
            {"id": "magnet", "unitPrice": "100", "import": import("8505.11.0070", "CN")},
            {"id": "bolt", "unitPrice": "1", "import": import("7318.15.2095", "MX")}]}))
        .unwrap();
        let bom = convert::bom::bom(&b, "", &Limits::default()).unwrap().bom;
        let shape = bom_shape(&bom);
        assert_eq!(shape.lines, 5);
        assert_eq!(shape.text_bytes, 51);
        assert_eq!(shape.dutied, ["8501322000", "8505110070", "7318152095"]);
        assert_eq!(shape.ignored_imports, 2);
        assert_eq!(shape.materials, ["nd"]);
        let mut origins: Vec<_> = shape.origins.iter().copied().collect();
        origins.sort_unstable();
        assert_eq!(origins, ["CN", "MX"]);
    }

    /// A schedule's text is each measure's and fee's id twice (the charge and the summary)
    /// and its name once, and each incentive's id and name: "s301" 2 x 4 + "Section 301" 11
    /// = 19, "mpf" 2 x 3 + "MPF" 3 = 9, "ira" 3 + "Clean vehicle credit" 20 = 23: 51 bytes.
    #[test]
    fn the_text_of_a_schedule_is_counted_by_hand() {
        let s: pb::TariffSchedule = serde_json::from_value(json!({"id": "s", "currency": "USD",
            "measures": [{"id": "s301", "name": "Section 301", "program": "PROGRAM_SECTION_301",
                "htsPrefixes": ["8505"], "basis": "DUTY_BASIS_FULL_VALUE",
                "rate": {"adValoremPercent": "25"}}],
            "fees": [{"id": "mpf", "name": "MPF", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464"}],
            "incentives": [{"id": "ira", "name": "Clean vehicle credit", "creditAmount": "10",
                "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5"}]}))
        .unwrap();
        let schedule = convert::schedule::schedule(&s, "s").unwrap();
        let pass = schedule_pass(&schedule, &["8505110070", "7326908688"]);
        assert_eq!(pass.text_bytes, 51);
        assert_eq!(pass.longest_id, 4);
        // Two dutied imports: one candidate (s301 for 8505) and MPF on each: 2 + 1 + 2 = 5
        // units, 1 + 2 = 3 charges.
        assert_eq!((pass.units, pass.charges), (5, 3));
        assert_eq!(
            (pass.measures, pass.measures_and_fees, pass.incentives),
            (1, 2, 1)
        );
    }

    /// Each exemption of a candidate measure is a unit of a line's work: s122 covers every
    /// code and carves out three (two by HTS, one by claim), s301 covers 8505 with none. Two
    /// dutied imports, 8505 (candidates s122, s301) and 7326 (s122): 2 lines + 3 candidates +
    /// 3 x 2 exemptions = 11 units.
    #[test]
    fn a_measures_exemptions_are_counted_for_every_line_it_may_cover() {
        let s: pb::TariffSchedule = serde_json::from_value(json!({"id": "s", "currency": "USD",
            "measures": [
                {"id": "s122", "program": "PROGRAM_SECTION_122", "rate": {"adValoremPercent": "10"},
                 "exemptions": [{"htsPrefixes": ["2805"]}, {"htsPrefixes": ["8486", "8541"]},
                                {"origins": ["CA"], "claimedPrograms": ["S"]}]},
                {"id": "s301", "program": "PROGRAM_SECTION_301", "htsPrefixes": ["8505"],
                 "rate": {"adValoremPercent": "25"}}]}))
        .unwrap();
        let schedule = convert::schedule::schedule(&s, "s").unwrap();
        let pass = schedule_pass(&schedule, &["8505110070", "7326908688"]);
        assert_eq!((pass.units, pass.charges), (11, 3));
    }

    #[test]
    fn a_calculation_stops_inside_its_walk_when_its_budget_runs_out() {
        let (bom, deck, schedule, options) = (bom(10_000), deck(), schedule(), options());
        let s = one_side(&bom, &deck, &schedule, &options);
        let meter = Meter::new(None, None, 100);
        assert_eq!(
            calculate(&s, &meter).unwrap_err(),
            Error::Stopped(Stopped::OverBudget { limit: 100 })
        );
        // One step past the budget: the 101st line of the first walk.
        assert_eq!(meter.used(), 101);

        let signal = StopSignal::new();
        signal.raise(Stopped::Cancelled);
        let meter = Meter::new(Some(signal), None, u64::MAX);
        assert_eq!(
            calculate(&s, &meter).unwrap_err(),
            Error::Stopped(Stopped::Cancelled)
        );
        assert_eq!(meter.used(), 1, "stopped at its first step");

        let past = std::time::Instant::now();
        let meter = Meter::new(None, Some(past), u64::MAX);
        assert_eq!(
            calculate(&s, &meter).unwrap_err(),
            Error::Stopped(Stopped::Deadline)
        );
    }
}
