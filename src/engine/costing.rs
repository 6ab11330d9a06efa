//! Costs one unit of product on one side (a price deck, a tariff schedule, an entry date):
//! walks the BOM tree multiplying quantities down, prices goods, then charges duties and fees
//! on the imported items. Every atomic amount is rounded once here; totals are sums of atoms.

use super::currency::Currency;
use super::date::Date;
use super::duty::{self, Dutiable};
use super::error::{CheckedAt, InputError, Reason};
use super::fees;
use super::incentive::{self, IncentiveOutcome};
use super::model::{Bom, FeeKind, Import, Item, ItemKind, Options, PriceDeck, Program, Schedule};
use super::money::RoundingMode;
use super::units::{self, ConvertError, Unit};
use rust_decimal::Decimal;

/// One side of a calculation: which prices, which schedule, which entry date, and whether
/// components take their scenario price.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// Material prices.
    pub prices: &'a PriceDeck,
    /// Tariff schedule.
    pub schedule: &'a Schedule,
    /// Entry date selecting measures and fees in force.
    pub entry_date: Date,
    /// Use components' scenario prices (the price side of the scenario).
    pub scenario_component_prices: bool,
}

/// What a line is, as results show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// A material line.
    Material {
        /// Material id.
        material_id: String,
    },
    /// A purchased component.
    Component,
    /// An assembly.
    Assembly,
}

/// A priced material on a line: enough to explain its goods cost.
#[derive(Debug, Clone)]
pub struct PricedMaterial {
    /// Material name from the deck.
    pub name: String,
    /// Quantity per unit of product after content factor, in the price's unit.
    pub priced_quantity: Decimal,
    /// Unit of the price.
    pub unit: Unit,
    /// Price per unit.
    pub price: Decimal,
}

/// One duty or fee on one line.
#[derive(Debug, Clone)]
pub struct Charge {
    /// Measure or fee id.
    pub id: String,
    /// Measure or fee name.
    pub name: String,
    /// Program, for duties.
    pub program: Option<Program>,
    /// Fee kind, for fees.
    pub fee_kind: Option<FeeKind>,
    /// Value the ad valorem part applied to.
    pub base: Decimal,
    /// Exact amount per unit of product.
    pub exact: Decimal,
    /// Amount rounded to the minor unit.
    pub amount: Decimal,
    /// Readable derivation.
    pub formula: String,
}

/// The amounts one BOM item carries itself on one side.
#[derive(Debug, Clone)]
pub struct LineCost {
    /// Readable path of ids.
    pub path: String,
    /// Field path in the input.
    pub field_path: String,
    /// Description.
    pub description: String,
    /// Kind.
    pub kind: LineKind,
    /// Quantity per unit of product.
    pub quantity_per_unit: Decimal,
    /// Unit of that quantity.
    pub unit: Unit,
    /// Material pricing, for material lines.
    pub priced: Option<PricedMaterial>,
    /// Exact goods cost.
    pub goods_exact: Decimal,
    /// Goods cost rounded.
    pub goods: Decimal,
    /// Customs value per unit of product, when imported and dutied here.
    pub customs_value: Option<Decimal>,
    /// Origin of the goods: the import that dutied this item or its ancestor; `None` when
    /// domestic.
    pub origin: Option<String>,
    /// Duties and fees on this line.
    pub charges: Vec<Charge>,
}

impl LineCost {
    /// Rounded duties on this line.
    pub fn duties(&self) -> Decimal {
        self.charges
            .iter()
            .filter(|c| c.program.is_some())
            .map(|c| c.amount)
            .sum()
    }
    /// Rounded fees on this line.
    pub fn fees(&self) -> Decimal {
        self.charges
            .iter()
            .filter(|c| c.fee_kind.is_some())
            .map(|c| c.amount)
            .sum()
    }
    /// goods + duties + fees, rounded.
    pub fn total(&self) -> Decimal {
        self.goods + self.duties() + self.fees()
    }
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
    /// Ids of the schedule's measures in force on the entry date.
    pub measures_in_force: Vec<String>,
    /// The schedule's incentives, evaluated.
    pub incentives: Vec<IncentiveOutcome>,
    /// Remarks (ignored declarations, de minimis).
    pub notes: Vec<String>,
}

/// An item dutied at its own level, with what duty needs to know.
#[derive(Debug, Clone)]
pub(crate) struct ImportedLine<'a> {
    pub(crate) line: usize,
    pub(crate) import: &'a Import,
    pub(crate) field_path: &'a str,
    pub(crate) customs_value: Decimal,
    pub(crate) unit: Unit,
    pub(crate) quantity: Decimal,
}

struct Walk<'a> {
    side: Side<'a>,
    rounding: RoundingMode,
    minor_units: u32,
    lines: Vec<LineCost>,
    imports: Vec<ImportedLine<'a>>,
    notes: Vec<String>,
}

/// Costs one unit of `bom` on `side`.
pub fn cost(bom: &Bom, side: Side<'_>, options: &Options) -> Result<Costing, InputError> {
    let mut walk = Walk {
        side,
        rounding: options.rounding,
        minor_units: bom.currency.minor_units,
        lines: Vec::new(),
        imports: Vec::new(),
        notes: Vec::new(),
    };
    for item in &bom.items {
        walk.item(item, Decimal::ONE, "", None, None)?;
    }
    let Walk {
        mut lines,
        imports,
        mut notes,
        ..
    } = walk;
    charge_imports(
        &mut lines,
        &imports,
        side,
        options,
        bom.currency,
        &mut notes,
    )?;
    let mut totals = totals(&lines)?;
    let incentives = incentive::evaluate(
        &side.schedule.incentives,
        &lines,
        side.entry_date,
        options.rounding,
        bom.currency,
    )?;
    for outcome in &incentives {
        totals.credits = totals.credits.add_at(outcome.credit, "bom", "credits")?;
        totals.total = totals.total.add_at(outcome.credit, "bom", "total")?;
        totals.exact_total = totals.exact_total.add_at(outcome.credit, "bom", "total")?;
    }
    let measures_in_force = side
        .schedule
        .measures
        .iter()
        .filter(|m| m.window.contains(side.entry_date))
        .map(|m| m.id.clone())
        .collect();
    Ok(Costing {
        lines,
        totals,
        measures_in_force,
        incentives,
        notes,
    })
}

impl<'a> Walk<'a> {
    /// Records `item` and its subtree; returns the subtree's exact goods cost per unit of
    /// product. `imported_above` names the imported ancestor, if any.
    fn item(
        &mut self,
        item: &'a Item,
        multiplier: Decimal,
        parent_path: &str,
        imported_above: Option<&str>,
        origin_above: Option<&'a str>,
    ) -> Result<Decimal, InputError> {
        let field = item.field_path.as_str();
        let quantity = multiplier.mul_at(
            item.quantity,
            &format!("{field}.quantity"),
            "quantity multiplied down the tree",
        )?;
        let path = if parent_path.is_empty() {
            item.id.clone()
        } else {
            format!("{parent_path}/{}", item.id)
        };
        let index = self.lines.len();
        self.lines.push(LineCost {
            path: path.clone(),
            field_path: item.field_path.clone(),
            description: item.description.clone(),
            kind: LineKind::Assembly,
            quantity_per_unit: quantity,
            unit: item.unit,
            priced: None,
            goods_exact: Decimal::ZERO,
            goods: Decimal::ZERO,
            customs_value: None,
            origin: None,
            charges: Vec::new(),
        });
        let dutied_here = item.import.is_some() && imported_above.is_none();
        let origin = match (&item.import, origin_above) {
            (Some(import), None) => Some(import.origin.as_str()),
            _ => origin_above,
        };
        self.lines[index].origin = origin.map(str::to_string);
        if let (Some(_), Some(above)) = (&item.import, imported_above) {
            self.notes.push(format!(
                "{path}: import declaration ignored: its assembly {above} is imported whole and dutied on its own value"
            ));
        }
        let below = if dutied_here {
            Some(path.as_str())
        } else {
            imported_above
        };
        let subtree_goods = match &item.kind {
            ItemKind::Material {
                material_id,
                content_factor,
            } => {
                let price = self.side.prices.prices.get(material_id).ok_or_else(|| {
                    InputError::new(
                        format!("{field}.material_id"),
                        Reason::UnknownMaterial,
                        format!(
                            "material {material_id:?} is not priced in price deck {:?}",
                            self.side.prices.id
                        ),
                    )
                })?;
                let in_price_unit =
                    units::convert(quantity, item.unit, price.unit).map_err(|e| match e {
                        ConvertError::Incompatible => InputError::new(
                            format!("{field}.unit"),
                            Reason::UnitMismatch,
                            format!(
                                "quantity in {} cannot be priced per {} (material {material_id:?})",
                                item.unit, price.unit
                            ),
                        ),
                        ConvertError::Overflow => {
                            InputError::overflow(format!("{field}.quantity"), "quantity")
                        }
                    })?;
                let priced_quantity = in_price_unit.mul_at(
                    *content_factor,
                    &format!("{field}.content_factor"),
                    "priced quantity",
                )?;
                let goods = priced_quantity.mul_at(
                    price.price,
                    &format!("{field}.quantity"),
                    "goods cost",
                )?;
                let line = &mut self.lines[index];
                line.kind = LineKind::Material {
                    material_id: material_id.clone(),
                };
                line.priced = Some(PricedMaterial {
                    name: price.name.clone(),
                    priced_quantity,
                    unit: price.unit,
                    price: price.price,
                });
                goods
            }
            ItemKind::Component {
                baseline_price,
                scenario_price,
            } => {
                let price = if self.side.scenario_component_prices {
                    *scenario_price
                } else {
                    *baseline_price
                };
                self.lines[index].kind = LineKind::Component;
                quantity.mul_at(price, &format!("{field}.unit_price"), "component cost")?
            }
            ItemKind::Assembly { children } => {
                let mut sum = Decimal::ZERO;
                for child in children {
                    let goods = self.item(child, quantity, &path, below, origin)?;
                    sum = sum.add_at(goods, field, "assembly cost")?;
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
            let customs_value = match import.customs_value {
                Some(per_unit) => quantity.mul_at(
                    per_unit,
                    &format!("{field}.import.customs_value"),
                    "customs value",
                )?,
                None => subtree_goods,
            };
            self.lines[index].customs_value = Some(customs_value);
            self.imports.push(ImportedLine {
                line: index,
                import,
                field_path: field,
                customs_value,
                unit: item.unit,
                quantity,
            });
        }
        Ok(subtree_goods)
    }
}

/// Charges duties and fees on every imported line, honouring de minimis per entry (origin).
fn charge_imports(
    lines: &mut [LineCost],
    imports: &[ImportedLine<'_>],
    side: Side<'_>,
    options: &Options,
    currency: Currency,
    notes: &mut Vec<String>,
) -> Result<(), InputError> {
    let date = side.entry_date;
    let schedule = side.schedule;
    let mut dutiable: Vec<&ImportedLine<'_>> = Vec::with_capacity(imports.len());
    let exempt_origins = de_minimis_origins(imports, schedule, options)?;
    for imported in imports {
        if exempt_origins.contains(&imported.import.origin.as_str()) {
            continue;
        }
        dutiable.push(imported);
        let measures: Vec<_> = schedule
            .measures
            .iter()
            .filter(|m| m.applies(imported.import, date))
            .collect();
        let target = Dutiable {
            imported,
            currency,
            rounding: options.rounding,
        };
        let charges = duty::charges(&target, &measures)?;
        lines[imported.line].charges.extend(charges);
    }
    for origin in &exempt_origins {
        notes.push(format!(
            "entries from {origin} are at or below the de minimis threshold of schedule {:?}: no duty or fee",
            schedule.id
        ));
    }
    for fee in schedule.fees.iter().filter(|f| f.window.contains(date)) {
        for (line, charge) in fees::charges(fee, &dutiable, date, options, currency)? {
            lines[line].charges.push(charge);
        }
    }
    Ok(())
}

/// Origins whose entry (units_per_entry units' imports from that origin) is at or below the
/// schedule's de minimis threshold.
fn de_minimis_origins<'a>(
    imports: &[ImportedLine<'a>],
    schedule: &Schedule,
    options: &Options,
) -> Result<Vec<&'a str>, InputError> {
    let Some(threshold) = schedule.de_minimis_threshold else {
        return Ok(Vec::new());
    };
    let mut per_origin: Vec<(&str, Decimal)> = Vec::new();
    for imported in imports {
        let origin = imported.import.origin.as_str();
        let value = imported.customs_value.mul_at(
            options.units_per_entry,
            imported.field_path,
            "entry value",
        )?;
        match per_origin.iter_mut().find(|(o, _)| *o == origin) {
            Some((_, sum)) => *sum = sum.add_at(value, imported.field_path, "entry value")?,
            None => per_origin.push((origin, value)),
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

fn totals(lines: &[LineCost]) -> Result<Totals, InputError> {
    let mut t = Totals::default();
    let add = |a: Decimal, b: Decimal, field: &str| a.add_at(b, field, "total");
    for line in lines {
        let f = line.field_path.as_str();
        match line.kind {
            LineKind::Material { .. } => t.materials = add(t.materials, line.goods, f)?,
            LineKind::Component => t.components = add(t.components, line.goods, f)?,
            LineKind::Assembly => {}
        }
        t.exact_total = add(t.exact_total, line.goods_exact, f)?;
        for charge in &line.charges {
            if charge.program.is_some() {
                t.duties = add(t.duties, charge.amount, f)?;
            } else {
                t.fees = add(t.fees, charge.amount, f)?;
            }
            t.exact_total = add(t.exact_total, charge.exact, f)?;
        }
    }
    t.total = add(t.materials, t.components, "bom")?;
    t.total = add(t.total, t.duties, "bom")?;
    t.total = add(t.total, t.fees, "bom")?;
    // Every atom is non-negative and at most the total, so this one bound keeps every amount
    // representable with its minor-unit decimals (a Decimal holds 28-29 significant digits).
    if t.total > max_amount() || t.exact_total > max_amount() {
        return Err(InputError::new(
            "bom",
            Reason::Overflow,
            "the unit cost exceeds 10^24, beyond the range amounts are displayed in",
        ));
    }
    Ok(t)
}
