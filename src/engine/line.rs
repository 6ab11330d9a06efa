//! What costing produces for each BOM line, and what the rules (duties, fees, incentives) read
//! from it: the types shared by `costing` and the rule files, kept apart from both so
//! the rules depend on the lines and not on the walk that builds them.

use super::error::{Attribute, Locator};
use super::model::{FeeKind, Import, Program, ValuationBasis};
use super::units::Unit;
use rust_decimal::Decimal;
use std::sync::Arc;

/// What a line is, as results show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// A material line.
    Material {
        /// Material id.
        material_id: Arc<str>,
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
    pub name: Arc<str>,
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
    pub id: Arc<str>,
    /// Measure or fee name.
    pub name: Arc<str>,
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
    /// Readable derivation (empty when the costing does not explain).
    pub formula: String,
}

/// What a side's schedule lacks for a dutied import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Missing {
    /// No MFN (column 1) rate matched: the line pays other programs only.
    MfnRate,
    /// No duty measure matched at all.
    AnyDuty,
    /// A program the schedule declares it does not carry may apply (one of its known gaps).
    Program,
}

/// A dutied import a side's schedule does not cover: its missing duty is unknown, not zero
/// by rule, so results report it instead of charging a silent zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The line, by its position in the BOM's depth-first order.
    pub line: usize,
    /// What is missing.
    pub missing: Missing,
    /// The HTS code declared.
    pub hts_code: String,
    /// The origin declared.
    pub origin: Arc<str>,
    /// For [`Missing::Program`]: the schedule's known gap.
    pub known_gap: Option<Arc<str>>,
}

/// The amounts one BOM item carries itself on one side. Lines come in the BOM's depth-first
/// order, the order of [`Bom::lines`](super::model::Bom::lines), which gives their paths and descriptions.
#[derive(Debug, Clone)]
pub struct LineCost {
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
    pub origin: Option<Arc<str>>,
    /// Duties and fees on this line.
    pub charges: Vec<Charge>,
    /// Freight, insurance and brokerage landed cost adds, when imported and dutied here.
    pub logistics: Option<Logistics>,
}

/// The costs of delivery one imported line adds to landed cost, each rounded once: freight
/// and insurance its price does not include, and brokerage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Logistics {
    /// Freight not in the price.
    pub freight: Decimal,
    /// Insurance not in the price.
    pub insurance: Decimal,
    /// Brokerage and other entry costs.
    pub brokerage: Decimal,
    /// The three unrounded, summed (for the exact total).
    pub exact: Decimal,
}

impl Logistics {
    /// The three rounded amounts, summed.
    pub fn total(&self) -> Decimal {
        self.freight + self.insurance + self.brokerage
    }
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
    /// goods + freight + insurance + brokerage + duties + fees, rounded.
    pub fn total(&self) -> Decimal {
        self.goods
            + self.logistics.map_or(Decimal::ZERO, |l| l.total())
            + self.duties()
            + self.fees()
    }
}

/// An item dutied at its own level, with what duty needs to know.
#[derive(Debug, Clone)]
pub(crate) struct ImportedLine<'a> {
    pub(crate) line: usize,
    pub(crate) import: &'a Import,
    /// The value duties and fees are charged on: FOB, or CIF under a CIF schedule
    /// ([`ImportedLine::under`]).
    pub(crate) customs_value: Decimal,
    /// The value a CIF schedule charges: the FOB value plus international freight and
    /// insurance, exact.
    pub(crate) cif_value: Decimal,
    pub(crate) unit: Unit,
    pub(crate) quantity: Decimal,
}

impl<'a> ImportedLine<'a> {
    /// This line valued under `basis`: the FOB value, or the CIF value.
    pub(crate) fn under(&self, basis: ValuationBasis) -> ImportedLine<'a> {
        let mut l = self.clone();
        if basis == ValuationBasis::Cif {
            l.customs_value = l.cif_value;
        }
        l
    }

    /// This line, for an error.
    pub(crate) fn at(&self) -> Locator {
        Locator::Line(self.line, Attribute::Item)
    }

    /// One of this line's attributes, for an error.
    pub(crate) fn attribute(&self, attribute: Attribute) -> Locator {
        Locator::Line(self.line, attribute)
    }
}
