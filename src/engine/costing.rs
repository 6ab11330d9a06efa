//! Costs one unit of product on one side (a price deck, a tariff schedule, an entry date):
//! walks the BOM tree multiplying quantities down, prices goods, then charges duties and fees
//! on the imported items. Every atomic amount is rounded once here; totals are sums of atoms.

use super::currency::Currency;
use super::date::Date;
use super::duty::{self, Dutiable};
use super::error::{Attribute, CheckedAt, Error, InputError, Locator, Reason, Role};
use super::fees;
use super::fx::Fx;
use super::incentive::{self, IncentiveOutcome};
use super::line::ImportedLine;
pub(crate) use super::line::{Charge, Gap, LineCost, LineKind, Logistics, Missing, PricedMaterial};
use super::model::{
    Bom, Import, Item, ItemKind, Measure, Options, PriceDeck, Program, Schedule, ValuationBasis,
};
use super::money::{RoundingMode, quantize};
use super::text::clip;
use super::units::{self, ConvertError};
use super::work::{Meter, units};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// One side of a calculation: which prices, which schedule, which entry date, and whether
/// components take their scenario price.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side<'a> {
    /// Material prices.
    pub prices: &'a PriceDeck,
    /// Which deck `prices` is, for an error converting its currency.
    pub prices_role: Role,
    /// Exchange rates into the BOM's currency.
    pub fx: &'a Fx<'a>,
    /// Tariff schedule.
    pub schedule: &'a Schedule,
    /// Entry date selecting measures and fees in force.
    pub entry_date: Date,
    /// Use components' scenario prices (the price side of the scenario).
    pub scenario_component_prices: bool,
    /// Build the readable formulas and notes; the crossed costings of the effect split need
    /// only amounts and skip them.
    pub explain: bool,
    /// Counts the work and stops it (deadline, cancellation, budget).
    pub meter: &'a Meter,
}

/// Sums of rounded atoms on one side. materials + components + duties + fees + credits = total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Material lines.
    pub materials: Decimal,
    /// Components.
    pub components: Decimal,
    /// Duties.
    pub duties: Decimal,
    /// Fees.
    pub fees: Decimal,
    /// Incentive credits kept (zero or negative).
    pub credits: Decimal,
    /// Freight landed cost adds (not in the prices).
    pub freight: Decimal,
    /// Insurance landed cost adds.
    pub insurance: Decimal,
    /// Brokerage and other entry costs.
    pub brokerage: Decimal,
    /// Landed cost per unit, net of credits.
    pub total: Decimal,
    /// The same total without rounding any atom.
    pub exact_total: Decimal,
}

/// One side costed.
#[derive(Debug, Clone)]
pub struct Costing {
    /// Every BOM item, depth-first, in the same order on every side.
    pub lines: Vec<LineCost>,
    /// Subtotals.
    pub totals: Totals,
    /// Ids of the schedule's measures that applied to at least one dutied import on the
    /// entry date, in schedule order.
    pub measures_in_force: Vec<Arc<str>>,
    /// The schedule's incentives, evaluated.
    pub incentives: Vec<IncentiveOutcome>,
    /// Remarks (ignored declarations, de minimis, fee minimums on one assumed unit).
    pub notes: Vec<String>,
    /// Dutied imports the schedule does not cover, in line order.
    pub gaps: Vec<Gap>,
}

struct Walk<'a> {
    meter: &'a Meter,
    prices: &'a PriceDeck,
    prices_role: Role,
    fx: &'a Fx<'a>,
    scenario_component_prices: bool,
    rounding: RoundingMode,
    minor_units: u32,
    lines: Vec<LineCost>,
    imports: Vec<ImportedLine<'a>>,
    notes: Vec<String>,
    /// Ids from the top to the current item, for the rare note that needs a path.
    ids: Vec<&'a str>,
}

/// One price side's goods: every line's goods cost, the imported items with their customs
/// values, and the goods subtotals. Costing a side under a schedule adds charges to it, so the
/// crossed costings of the effect split reuse the baseline's and scenario's goods instead of
/// walking the tree again.
#[derive(Debug)]
pub(crate) struct Goods<'a> {
    lines: Vec<LineCost>,
    imports: Vec<ImportedLine<'a>>,
    notes: Vec<String>,
    totals: Totals,
}

/// Walks `bom` pricing goods from `side`'s prices (one unit of work per line).
pub(crate) fn goods<'a>(
    bom: &'a Bom,
    side: Side<'a>,
    options: &Options,
) -> Result<Goods<'a>, Error> {
    let Side {
        prices,
        prices_role,
        fx,
        scenario_component_prices,
        meter,
        ..
    } = side;
    let mut walk = Walk {
        meter,
        prices,
        prices_role,
        fx,
        scenario_component_prices,
        rounding: options.rounding,
        minor_units: bom.currency.minor_units,
        lines: Vec::with_capacity(bom.line_count()),
        imports: Vec::new(),
        notes: Vec::new(),
        ids: Vec::new(),
    };
    for item in &bom.items {
        walk.item(item, Decimal::ONE, None, None)?;
    }
    let totals = goods_totals(&walk.lines)?;
    Ok(Goods {
        lines: walk.lines,
        imports: walk.imports,
        notes: walk.notes,
        totals,
    })
}

/// Costs one unit of `bom` on `side`.
pub(crate) fn cost(bom: &Bom, side: Side<'_>, options: &Options) -> Result<Costing, Error> {
    let g = goods(bom, side, options)?;
    let matched = matches(&g, side)?;
    finish(g, bom, side, options, &matched)
}

/// The measures of a side's schedule that match each of a walk's imports on the side's entry
/// date (the index's candidates for its code, in force, covering its origin, not exempt),
/// before the one-MFN-rate rule: indices into the schedule's measures, one list per import in
/// walk order. Which measures match depends on the declarations, the measures' scopes and the
/// date, never on prices, values or exchange rates, and every walk of a BOM finds its imports
/// in the same order; so costings whose schedules have the same measures (the schedule itself
/// or its copy in another currency) on the same date share one: a calculation searches a
/// schedule of thousands of measures twice, not once per costing.
pub(crate) struct Matches {
    per_import: Vec<Vec<usize>>,
}

/// The matches of `g`'s imports under `side`'s schedule and date. Work: one unit per
/// candidate measure the index finds for an import, and one per exemption tested.
pub(crate) fn matches(g: &Goods<'_>, side: Side<'_>) -> Result<Matches, Error> {
    let (schedule, date) = (side.schedule, side.entry_date);
    let measures = schedule.measures();
    let mut per_import = Vec::with_capacity(g.imports.len());
    for imported in &g.imports {
        let candidates = schedule.index().candidates(&imported.import.hts_digits);
        let exemptions: u64 = candidates
            .iter()
            .map(|&i| units(measures[i].exemptions.len()))
            .sum();
        side.meter.charge(units(candidates.len()) + exemptions)?;
        let mut matched = candidates;
        matched.retain(|&i| measures[i].applies_to(imported.import, date));
        per_import.push(matched);
    }
    Ok(Matches { per_import })
}

/// Completes a side: charges its goods under `side`'s schedule and date, attaches them to
/// the lines, and adds incentive credits.
pub(crate) fn finish(
    g: Goods<'_>,
    bom: &Bom,
    side: Side<'_>,
    options: &Options,
    matched: &Matches,
) -> Result<Costing, Error> {
    let Goods {
        mut lines,
        imports,
        notes,
        totals: goods,
    } = g;
    let mut found = Findings {
        notes,
        gaps: Vec::new(),
        applied: Vec::new(),
    };
    let charges = charge_imports(&imports, matched, side, options, bom.currency, &mut found)?;
    let Findings {
        notes,
        gaps,
        mut applied,
    } = found;
    let mut totals = add_charges(goods, charges.iter().map(|(_, c)| c))?;
    for (line, charge) in charges {
        lines[line].charges.push(charge);
    }
    if side.schedule.valuation_basis == ValuationBasis::Cif {
        for imported in &imports {
            lines[imported.line].customs_value =
                Some(imported.under(ValuationBasis::Cif).customs_value);
        }
    }
    let incentives = incentive::evaluate(
        &side.schedule.incentives,
        &lines,
        side.entry_date,
        options.rounding,
        bom.currency,
        side.meter,
    )?;
    add_credits(&mut totals, &incentives)?;
    // The measures that applied to at least one import, in schedule order: a schedule of
    // 30,000 measures must not list them all in every answer.
    side.meter.charge(units(applied.len()))?;
    applied.sort_unstable();
    applied.dedup();
    let measures = side.schedule.measures();
    let measures_in_force = applied
        .into_iter()
        .map(|i| measures[i].id.clone())
        .collect();
    Ok(Costing {
        lines,
        totals,
        measures_in_force,
        incentives,
        notes,
        gaps,
    })
}

/// The totals of `g` under `side`'s schedule and date, without keeping lines or formulas:
/// what the crossed costings of the effect split need.
pub(crate) fn total_only(
    g: &Goods<'_>,
    bom: &Bom,
    side: Side<'_>,
    options: &Options,
    matched: &Matches,
) -> Result<Totals, Error> {
    let charges = charge_imports(
        &g.imports,
        matched,
        Side {
            explain: false,
            ..side
        },
        options,
        bom.currency,
        &mut Findings::default(),
    )?;
    let mut totals = add_charges(g.totals, charges.iter().map(|(_, c)| c))?;
    let incentives = incentive::evaluate(
        &side.schedule.incentives,
        &g.lines,
        side.entry_date,
        options.rounding,
        bom.currency,
        side.meter,
    )?;
    add_credits(&mut totals, &incentives)?;
    Ok(totals)
}

fn add_credits(totals: &mut Totals, incentives: &[IncentiveOutcome]) -> Result<(), InputError> {
    for outcome in incentives {
        totals.credits = totals
            .credits
            .add_at(outcome.credit, Locator::Bom, "credits")?;
        totals.total = totals.total.add_at(outcome.credit, Locator::Bom, "total")?;
        totals.exact_total = totals
            .exact_total
            .add_at(outcome.credit, Locator::Bom, "total")?;
    }
    Ok(())
}

impl<'a> Walk<'a> {
    /// Records `item` and its subtree; returns the subtree's exact goods cost per unit of
    /// product. `imported_above` is the depth of the imported ancestor, if any;
    /// `origin_above` its origin.
    fn item(
        &mut self,
        item: &'a Item,
        multiplier: Decimal,
        imported_above: Option<usize>,
        origin_above: Option<&'a Arc<str>>,
    ) -> Result<Decimal, Error> {
        self.meter.charge(1)?;
        let index = self.lines.len();
        let at = |attribute| Locator::Line(index, attribute);
        let quantity = multiplier.mul_at(
            item.quantity,
            at(Attribute::Quantity),
            "quantity multiplied down the tree",
        )?;
        let depth = self.ids.len();
        self.ids.push(&item.id);
        let dutied_here = item.import.is_some() && imported_above.is_none();
        let origin = match (&item.import, origin_above) {
            (Some(import), None) => Some(&import.origin),
            _ => origin_above,
        };
        self.lines.push(LineCost {
            kind: LineKind::Assembly,
            quantity_per_unit: quantity,
            unit: item.unit,
            priced: None,
            goods_exact: Decimal::ZERO,
            goods: Decimal::ZERO,
            customs_value: None,
            origin: origin.cloned(),
            charges: Vec::new(),
            logistics: None,
        });
        if let (Some(_), Some(above)) = (&item.import, imported_above) {
            self.ignored_import(above);
        }
        let below = if dutied_here {
            Some(depth)
        } else {
            imported_above
        };
        let subtree_goods = match &item.kind {
            ItemKind::Material {
                material_id,
                content_factor,
            } => self.material(item, quantity, index, material_id, *content_factor)?,
            ItemKind::Component {
                baseline_price,
                scenario_price,
                currency,
            } => {
                let price = if self.scenario_component_prices {
                    *scenario_price
                } else {
                    *baseline_price
                };
                self.component(index, quantity, price, *currency)?
            }
            ItemKind::Assembly { children } => {
                let mut sum = Decimal::ZERO;
                for child in children {
                    let goods = self.item(child, quantity, below, origin)?;
                    sum = sum.add_at(goods, at(Attribute::Item), "assembly cost")?;
                }
                sum
            }
        };
        if !matches!(item.kind, ItemKind::Assembly { .. }) {
            let line = &mut self.lines[index];
            line.goods_exact = subtree_goods;
            line.goods = self.rounding.round(subtree_goods, self.minor_units);
        }
        if let Some(import) = item.import.as_ref().filter(|_| dutied_here) {
            self.import(item, import, index, quantity, subtree_goods)?;
        }
        self.ids.pop();
        Ok(subtree_goods)
    }

    /// Prices component line `index`: `quantity` pieces at `price` in `currency`, converted
    /// into the BOM's currency (exact).
    fn component(
        &mut self,
        index: usize,
        quantity: Decimal,
        price: Decimal,
        currency: super::currency::Currency,
    ) -> Result<Decimal, Error> {
        self.lines[index].kind = LineKind::Component;
        let at = |attribute| Locator::Line(index, attribute);
        let cost = quantity.mul_at(price, at(Attribute::UnitPrice), "component cost")?;
        Ok(self
            .fx
            .convert(quantize(cost), currency, &at(Attribute::PriceCurrency))?)
    }

    /// Notes that the current item's import declaration is ignored: the assembly at depth
    /// `above` is imported whole, so the item is dutied inside its value.
    fn ignored_import(&mut self, above: usize) {
        self.notes.push(format!(
            "{}: import declaration ignored: its assembly {} is imported whole and dutied on its own value",
            self.ids.join("/"),
            self.ids[..=above].join("/")
        ));
    }

    /// Prices material line `index` (`quantity` of `item` per unit of product) from the deck:
    /// its exact goods cost.
    fn material(
        &mut self,
        item: &Item,
        quantity: Decimal,
        index: usize,
        material_id: &Arc<str>,
        content_factor: Decimal,
    ) -> Result<Decimal, Error> {
        let at = |attribute| Locator::Line(index, attribute);
        let price = self.prices.prices.get(&**material_id).ok_or_else(|| {
            InputError::new(
                at(Attribute::MaterialId),
                Reason::UnknownMaterial,
                format!(
                    "material {material_id:?} is not priced in price deck {:?}",
                    self.prices.id
                ),
            )
        })?;
        let in_price_unit =
            units::convert(quantity, item.unit, price.unit).map_err(|e| match e {
                ConvertError::Incompatible => InputError::new(
                    at(Attribute::Unit),
                    Reason::UnitMismatch,
                    format!(
                        "quantity in {} cannot be priced per {} (material {material_id:?})",
                        item.unit, price.unit
                    ),
                ),
                ConvertError::Overflow => InputError::overflow(at(Attribute::Quantity), "quantity"),
            })?;
        let priced_quantity = in_price_unit.mul_at(
            content_factor,
            at(Attribute::ContentFactor),
            "priced quantity",
        )?;
        // The price in the BOM's currency; the goods are priced from it, so a material's
        // goods are its priced quantity times the price a result shows.
        let unit_price = self.fx.convert(
            price.price,
            self.prices.currency,
            &Locator::Currency(self.prices_role),
        )?;
        let goods =
            quantize(priced_quantity.mul_at(unit_price, at(Attribute::Quantity), "goods cost")?);
        let line = &mut self.lines[index];
        line.kind = LineKind::Material {
            material_id: material_id.clone(),
        };
        line.priced = Some(PricedMaterial {
            name: price.name.clone(),
            priced_quantity,
            unit: price.unit,
            price: unit_price,
        });
        Ok(goods)
    }

    /// A price basis's value must cover the carriage it includes: refused at `field` when
    /// the FOB value left is negative.
    fn not_below_carriage(
        fob: Decimal,
        terms: super::model::Incoterm,
        freight: Decimal,
        insurance: Decimal,
        field: &Locator,
    ) -> Result<(), InputError> {
        if fob.is_sign_negative() && !fob.is_zero() {
            return Err(InputError::new(
                field,
                Reason::InvalidValue,
                format!(
                    "the {} value is less than the freight and insurance it includes ({} + {})",
                    terms.code(),
                    freight.normalize(),
                    insurance.normalize()
                ),
            ));
        }
        Ok(())
    }

    /// The FOB and CIF values of declared value `v`, per unit of the item's quantity in the
    /// declaration's currency (whether the value covers its carriage does not depend on the
    /// quantity): `v` less the carriage it includes (a value equal to its carriage is exactly
    /// zero; refused below), and `v` plus the carriage it leaves out. Never the FOB value with
    /// its carriage added back: a freight the price includes then moves neither value, and
    /// each value is one conversion, monotone in the freight and in every exchange rate, as
    /// the sensitivity bounds need.
    fn declared_values(
        v: Decimal,
        import: &Import,
        field: &Locator,
    ) -> Result<(Decimal, Decimal), InputError> {
        let terms = import.incoterm;
        let (f_in, i_in) = (terms.includes_freight(), terms.includes_insurance());
        let part = |included: bool, v: Decimal| if included { v } else { Decimal::ZERO };
        let fob = v
            .sub_at(part(f_in, import.freight), field, "FOB value")?
            .sub_at(part(i_in, import.insurance), field, "FOB value")?;
        Self::not_below_carriage(fob, terms, import.freight, import.insurance, field)?;
        let cif = v
            .add_at(part(!f_in, import.freight), field, "CIF value")?
            .add_at(part(!i_in, import.insurance), field, "CIF value")?;
        Ok((fob, cif))
    }

    /// Records line `index` as dutied here: its FOB customs value (declared per unit of its
    /// quantity, or its own goods cost, less the freight and insurance its price basis
    /// includes), its carriage (what a CIF schedule adds), and the freight, insurance and
    /// brokerage landed cost adds (what the price does not include), each converted into the
    /// BOM's currency and rounded once.
    fn import(
        &mut self,
        item: &'a Item,
        import: &'a Import,
        index: usize,
        quantity: Decimal,
        goods: Decimal,
    ) -> Result<(), Error> {
        let at = |attribute| Locator::Line(index, attribute);
        let fx = self.fx;
        // Amounts per unit of product in the declaration's currency, and converted.
        let per_item = |amount: Decimal, attribute, what| -> Result<Decimal, InputError> {
            Ok(quantize(quantity.mul_at(amount, at(attribute), what)?))
        };
        let convert = |v| fx.convert(v, import.currency, &at(Attribute::ImportCurrency));
        let terms = import.incoterm;
        let (f_in, i_in) = (terms.includes_freight(), terms.includes_insurance());
        let part = |included: bool, v: Decimal| if included { v } else { Decimal::ZERO };
        let freight = per_item(import.freight, Attribute::Freight, "freight")?;
        let insurance = per_item(import.insurance, Attribute::Insurance, "insurance")?;
        let brokerage = per_item(import.brokerage, Attribute::Brokerage, "brokerage")?;
        let field = at(Attribute::CustomsValue);
        // The FOB value: a declared value less the carriage it includes, or the goods less
        // the carriage converted. The CIF value: the same value plus the carriage it leaves
        // out (see `declared_values`).
        let (customs_value, cif_value) = match import.customs_value {
            Some(v) => {
                let (fob, cif) = Self::declared_values(v, import, &field)?;
                (
                    convert(per_item(fob, Attribute::CustomsValue, "customs value")?)?,
                    convert(per_item(cif, Attribute::CustomsValue, "customs value")?)?,
                )
            }
            None => {
                let included =
                    part(f_in, freight).add_at(part(i_in, insurance), &field, "carriage")?;
                let excluded =
                    part(!f_in, freight).add_at(part(!i_in, insurance), &field, "carriage")?;
                let fob = goods.sub_at(convert(included)?, &field, "FOB value")?;
                Self::not_below_carriage(fob, terms, freight, insurance, &field)?;
                (fob, goods.add_at(convert(excluded)?, &field, "CIF value")?)
            }
        };
        let (freight, insurance, brokerage) =
            (convert(freight)?, convert(insurance)?, convert(brokerage)?);
        if (f_in || i_in) && part(f_in, freight).is_zero() && part(i_in, insurance).is_zero() {
            self.notes.push(format!(
                "{}: its price basis {} includes carriage, but no freight or insurance is stated: the FOB value is the full value",
                self.ids.join("/"),
                terms.code()
            ));
        }
        let landed = [part(!f_in, freight), part(!i_in, insurance), brokerage];
        if landed.iter().any(|v| !v.is_zero()) {
            let mut exact = Decimal::ZERO;
            for v in landed {
                exact = exact.add_at(v, &field, "logistics")?;
            }
            let r = |v| self.rounding.round(v, self.minor_units);
            self.lines[index].logistics = Some(Logistics {
                freight: r(landed[0]),
                insurance: r(landed[1]),
                brokerage: r(landed[2]),
                exact,
            });
        }
        self.lines[index].customs_value = Some(customs_value);
        self.imports.push(ImportedLine {
            line: index,
            import,
            customs_value,
            cif_value,
            unit: item.unit,
            quantity,
        });
        Ok(())
    }
}

/// `imports` valued as `schedule` values them: FOB as walked, or CIF.
fn valued<'i, 'a>(
    imports: &'i [ImportedLine<'a>],
    schedule: &Schedule,
) -> std::borrow::Cow<'i, [ImportedLine<'a>]> {
    if schedule.valuation_basis == ValuationBasis::Fob {
        imports.into()
    } else {
        imports
            .iter()
            .map(|l| l.under(schedule.valuation_basis))
            .collect::<Vec<_>>()
            .into()
    }
}

/// What charging a side finds besides its charges.
#[derive(Default)]
struct Findings {
    /// Remarks (de minimis, estimated shares, fee minimums).
    notes: Vec<String>,
    /// Dutied imports the schedule does not cover, in line order.
    gaps: Vec<Gap>,
    /// Indices of the measures that applied to a dutied import, with repeats.
    applied: Vec<usize>,
}

/// Charges duties and fees on every imported line, honouring de minimis per entry (origin),
/// and records in `gaps` each dutied line no MFN rate (or no measure at all) matched.
/// `matched` holds the measures each import matches under the side's schedule and date
/// ([`matches`]). Work: one unit per imported line for de minimis (when a threshold is set),
/// one per line, and one per line per fee in force.
fn charge_imports(
    imports: &[ImportedLine<'_>],
    matched: &Matches,
    side: Side<'_>,
    options: &Options,
    currency: Currency,
    found: &mut Findings,
) -> Result<Vec<(usize, Charge)>, Error> {
    let (notes, gaps, applied) = (&mut found.notes, &mut found.gaps, &mut found.applied);
    let mut out = Vec::new();
    let date = side.entry_date;
    let schedule = side.schedule;
    let meter = side.meter;
    let imports = &*valued(imports, schedule);
    // Every walk of a BOM finds its imports in the same order (see `Matches`).
    debug_assert_eq!(imports.len(), matched.per_import.len());
    let mut dutiable: Vec<&ImportedLine<'_>> = Vec::with_capacity(imports.len());
    let exempt_origins = de_minimis_origins(imports, schedule, options, meter)?;
    for (imported, matched) in imports.iter().zip(&matched.per_import) {
        meter.charge(1)?;
        if exempt_origins.contains(&imported.import.origin) {
            continue;
        }
        dutiable.push(imported);
        let mut applicable = applicable_to(imported, matched, schedule, applied);
        gaps.extend(gap(imported, &applicable));
        known_gaps(imported, schedule, date, meter, gaps)?;
        let special = match &imported.import.preference {
            Some(code) => Some(claim(imported, code, &applicable, schedule, date)?),
            None => None,
        };
        if let Some(special) = &special {
            for m in applicable.iter_mut() {
                if m.program == Program::Mfn {
                    *m = special;
                }
            }
        }
        let estimated_share = estimated_share(imported, &applicable, schedule, options, notes);
        let target = Dutiable {
            imported,
            currency,
            rounding: options.rounding,
            explain: side.explain,
            estimated_share,
        };
        out.extend(
            duty::charges(&target, &applicable)?
                .into_iter()
                .map(|c| (imported.line, c)),
        );
    }
    for origin in exempt_origins.iter() {
        notes.push(format!(
            "entries from {origin} are at or below the de minimis threshold of schedule {:?}: no duty or fee",
            clip(&schedule.id)
        ));
    }
    for fee in schedule.fees.iter().filter(|f| f.window.contains(date)) {
        meter.charge(units(dutiable.len()))?;
        out.extend(fees::charges(
            fee,
            &dutiable,
            date,
            options,
            currency,
            side.explain,
            notes,
        )?);
    }
    Ok(out)
}

/// The measures of `schedule` that apply to `imported`: those it `matched` on the side's date,
/// with one MFN rate; their indices added to `applied`.
fn applicable_to<'s>(
    imported: &ImportedLine<'_>,
    matched: &[usize],
    schedule: &'s Schedule,
    applied: &mut Vec<usize>,
) -> Vec<&'s Measure> {
    let measures = schedule.measures();
    applied.extend_from_slice(matched);
    let mut applicable: Vec<&Measure> = matched.iter().map(|&i| &measures[i]).collect();
    duty::one_mfn_rate(&mut applicable, &imported.import.hts_digits);
    applicable
}

/// The schedule's estimated metal share for `imported`, when the request asked for estimates
/// and the import declares no share of its own; each use is noted, so the estimate is never
/// mistaken for a declared share. Only a line a metal-content measure applies to uses one.
fn estimated_share<'s>(
    imported: &ImportedLine<'_>,
    applicable: &[&Measure],
    schedule: &'s Schedule,
    options: &Options,
    notes: &mut Vec<String>,
) -> Option<(Decimal, &'s str)> {
    if !options.estimate_metal_content
        || imported.import.metal_content_share.is_some()
        || !applicable
            .iter()
            .any(|m| m.basis == super::model::DutyBasis::MetalContent)
    {
        return None;
    }
    let share = schedule.metal_shares.of(&imported.import.hts_digits)?;
    notes.push(format!(
        "HTS {}: no metal share declared; the metal-content duty uses the estimated share {} of schedule {:?} ({})",
        clip(&imported.import.hts_code),
        share.normalize(),
        clip(&schedule.id),
        clip(&schedule.metal_shares.source)
    ));
    Some((share, &schedule.metal_shares.source))
}

/// The coverage gap of a dutied line whose `applicable` measures have no MFN rate, or none.
fn gap(imported: &ImportedLine<'_>, applicable: &[&Measure]) -> Option<Gap> {
    let missing = if applicable.is_empty() {
        Missing::AnyDuty
    } else if applicable.iter().all(|m| m.program != Program::Mfn) {
        Missing::MfnRate
    } else {
        return None;
    };
    Some(Gap {
        line: imported.line,
        missing,
        hts_code: imported.import.hts_code.clone(),
        origin: imported.import.origin.clone(),
        known_gap: None,
    })
}

/// Records in `gaps` each known gap of `schedule` (a program it does not carry) that concerns
/// the dutied line on `date`, in schedule order. Work: one unit per known gap.
fn known_gaps(
    imported: &ImportedLine<'_>,
    schedule: &Schedule,
    date: Date,
    meter: &Meter,
    gaps: &mut Vec<Gap>,
) -> Result<(), Error> {
    meter.charge(units(schedule.known_gaps.len()))?;
    gaps.extend(
        schedule
            .known_gaps
            .iter()
            .filter(|k| k.concerns(imported.import, date))
            .map(|k| Gap {
                line: imported.line,
                missing: Missing::Program,
                hts_code: imported.import.hts_code.clone(),
                origin: imported.import.origin.clone(),
                known_gap: Some(k.id.clone()),
            }),
    );
    Ok(())
}

/// The MFN measure `imported` pays under its claim of preference program `code`: the line's
/// MFN measure (of `applicable`, after the one-MFN-rate rule) with its special rate for the
/// program. The claim must name a program of the schedule, not lapsed on the entry `date`,
/// whose origins include the import's (product-based programs have none), and the line's MFN
/// rate must list it; otherwise the request is invalid at the claim, with the reason.
fn claim(
    imported: &ImportedLine<'_>,
    code: &str,
    applicable: &[&Measure],
    schedule: &Schedule,
    date: Date,
) -> Result<Measure, InputError> {
    let at = imported.attribute(Attribute::PreferenceProgram);
    let refuse = |why: String| Err(InputError::new(at.clone(), Reason::InvalidValue, why));
    let Some(program) = schedule.preference_programs.get(code) else {
        return refuse(format!(
            "program {:?} is not a preference program of schedule {:?}",
            clip(code),
            clip(&schedule.id)
        ));
    };
    if let Some(lapsed) = program.lapsed_from.filter(|l| *l <= date) {
        return refuse(format!(
            "program {:?} ({}) lapsed on {lapsed}: claims entered on {date} are refused",
            clip(code),
            clip(&program.name)
        ));
    }
    let origin = &imported.import.origin;
    if !program.origins.is_empty() && !program.origins.contains(origin) {
        return refuse(format!(
            "origin {origin} may not claim program {:?} ({})",
            clip(code),
            clip(&program.name)
        ));
    }
    let Some(mfn) = applicable.iter().find(|m| m.program == Program::Mfn) else {
        return refuse(format!(
            "schedule {:?} has no MFN rate for HTS {} to take the program's special rate from",
            clip(&schedule.id),
            clip(&imported.import.hts_code)
        ));
    };
    let Some(rate) = mfn.preference_rate(code) else {
        return refuse(format!(
            "the MFN rate of HTS {} ({}) does not list program {:?} among its special rates",
            clip(&imported.import.hts_code),
            clip(&mfn.id),
            clip(code)
        ));
    };
    Ok(Measure {
        name: format!("{} (special, {})", mfn.name, clip(code)).into(),
        rate: rate.clone(),
        ..(*mfn).clone()
    })
}

/// Origins whose entry (units_per_entry units' imports from that origin) is at or below the
/// schedule's de minimis threshold, in order of first appearance.
fn de_minimis_origins<'a>(
    imports: &[ImportedLine<'a>],
    schedule: &Schedule,
    options: &Options,
    meter: &Meter,
) -> Result<super::model::IdSet, Error> {
    let Some(threshold) = schedule.de_minimis_threshold else {
        return Ok(super::model::IdSet::default());
    };
    meter.charge(units(imports.len()))?;
    let mut per_origin: Vec<(&str, Decimal)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::default();
    for imported in imports {
        let origin: &str = &imported.import.origin;
        let value =
            imported
                .customs_value
                .mul_at(options.units_per_entry, imported.at(), "entry value")?;
        match at.get(origin) {
            Some(&i) => {
                let sum = &mut per_origin[i].1;
                *sum = sum.add_at(value, imported.at(), "entry value")?;
            }
            None => {
                at.insert(origin, per_origin.len());
                per_origin.push((origin, value));
            }
        }
    }
    Ok(per_origin
        .into_iter()
        .filter(|(_, value)| *value <= threshold)
        .map(|(origin, _)| origin)
        .collect())
}

/// The largest unit cost the service reports: 10^24.
fn max_amount() -> Decimal {
    Decimal::from_i128_with_scale(10_i128.pow(24), 0)
}

/// Goods subtotals of freshly walked lines (no charges yet).
fn goods_totals(lines: &[LineCost]) -> Result<Totals, InputError> {
    let mut t = Totals::default();
    // A total that overflows is the BOM's as a whole; each line's own amounts were checked.
    for line in lines {
        match line.kind {
            LineKind::Material { .. } => {
                t.materials = t.materials.add_at(line.goods, Locator::Bom, "total")?
            }
            LineKind::Component => {
                t.components = t.components.add_at(line.goods, Locator::Bom, "total")?
            }
            LineKind::Assembly => {}
        }
        t.exact_total = t
            .exact_total
            .add_at(line.goods_exact, Locator::Bom, "total")?;
        if let Some(l) = &line.logistics {
            t.freight = t.freight.add_at(l.freight, Locator::Bom, "total")?;
            t.insurance = t.insurance.add_at(l.insurance, Locator::Bom, "total")?;
            t.brokerage = t.brokerage.add_at(l.brokerage, Locator::Bom, "total")?;
            t.exact_total = t.exact_total.add_at(l.exact, Locator::Bom, "total")?;
        }
    }
    Ok(t)
}

/// Adds charges to goods subtotals and checks the unit cost's range.
fn add_charges<'c>(
    goods: Totals,
    charges: impl Iterator<Item = &'c Charge>,
) -> Result<Totals, InputError> {
    let mut t = goods;
    for charge in charges {
        if charge.program.is_some() {
            t.duties = t.duties.add_at(charge.amount, Locator::Bom, "total")?;
        } else {
            t.fees = t.fees.add_at(charge.amount, Locator::Bom, "total")?;
        }
        t.exact_total = t.exact_total.add_at(charge.exact, Locator::Bom, "total")?;
    }
    t.total = t.materials.add_at(t.components, Locator::Bom, "total")?;
    for logistics in [t.freight, t.insurance, t.brokerage] {
        t.total = t.total.add_at(logistics, Locator::Bom, "total")?;
    }
    t.total = t.total.add_at(t.duties, Locator::Bom, "total")?;
    t.total = t.total.add_at(t.fees, Locator::Bom, "total")?;
    // Every atom is non-negative and at most the total, so this one bound keeps every amount
    // representable with its minor-unit decimals (a Decimal holds 28-29 significant digits).
    if t.total > max_amount() || t.exact_total > max_amount() {
        return Err(InputError::new(
            Locator::Bom,
            Reason::Overflow,
            "the unit cost exceeds 10^24, beyond the range amounts are displayed in",
        ));
    }
    Ok(t)
}
