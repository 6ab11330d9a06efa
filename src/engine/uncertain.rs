//! The uncertain inputs of a sensitivity analysis: what each sets, on which side, over which
//! range, and the owned inputs of the calculation they are set in.

use super::currency::Currency;
use super::error::{Aim, Error};
use super::fx::FxDeck;
use super::impact::{Impact, calculate};
use super::model::{Bom, Options, PriceDeck, Scenario, Schedule};
use super::work::{Meter, units};
use rust_decimal::Decimal;

/// Which side(s) an input changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Baseline only.
    Baseline,
    /// Scenario only.
    Scenario,
    /// Both.
    Both,
}

impl Side {
    /// Whether the baseline's decks or schedules are changed.
    pub fn baseline(self) -> bool {
        matches!(self, Side::Baseline | Side::Both)
    }
    /// Whether the scenario's decks or schedules are changed.
    pub fn scenario(self) -> bool {
        matches!(self, Side::Scenario | Side::Both)
    }
}

/// What an uncertain input sets.
#[derive(Debug, Clone)]
pub enum Target {
    /// Multiplies the quantity per parent of the items at these readable paths.
    Quantity(Vec<String>),
    /// Sets a material's price.
    Price {
        /// Material id.
        material_id: String,
        /// Decks changed.
        side: Side,
    },
    /// Sets a measure's ad valorem rate (percent).
    Rate {
        /// Measure id.
        measure_id: String,
        /// Schedules changed.
        side: Side,
    },
    /// Sets an exchange rate: 1 `base` = value `quote`, as the FX decks changed quote it.
    FxRate {
        /// The currency one unit of which is quoted.
        base: Currency,
        /// The currency the rate is in.
        quote: Currency,
        /// FX decks changed.
        side: Side,
    },
    /// Sets the freight per unit of the items at these readable paths, in their import
    /// declarations' currency (the BOM is shared, so both sides).
    Freight(Vec<String>),
}

/// The field of the `j`th item path of an input.
pub(crate) type PathAim = fn(usize) -> Aim;

impl Target {
    /// The item paths a quantity or freight input sets, and the field naming the `j`th.
    pub(crate) fn item_paths(&self) -> Option<(&[String], PathAim)> {
        match self {
            Target::Quantity(paths) => Some((paths, Aim::ItemPath)),
            Target::Freight(paths) => Some((paths, Aim::FreightPath)),
            _ => None,
        }
    }
}

/// One uncertain input with its range.
#[derive(Debug, Clone)]
pub struct Uncertain {
    /// Name in the tornado.
    pub name: String,
    /// What it sets.
    pub target: Target,
    /// Low value.
    pub low: Decimal,
    /// Base value.
    pub base: Decimal,
    /// High value.
    pub high: Decimal,
}

/// Owned inputs of a calculation, so that values can be overridden.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The product.
    pub bom: Bom,
    /// Baseline prices.
    pub baseline_prices: PriceDeck,
    /// Scenario prices.
    pub scenario_prices: PriceDeck,
    /// Baseline schedule.
    pub baseline_schedule: Schedule,
    /// Scenario schedule.
    pub scenario_schedule: Schedule,
    /// Baseline exchange rates, if any.
    pub baseline_fx: Option<FxDeck>,
    /// Scenario exchange rates, if any.
    pub scenario_fx: Option<FxDeck>,
    /// Options.
    pub options: Options,
}

impl Inputs {
    /// These inputs as the engine takes them.
    pub(crate) fn scenario(&self) -> Scenario<'_> {
        Scenario {
            bom: &self.bom,
            baseline_prices: &self.baseline_prices,
            scenario_prices: &self.scenario_prices,
            baseline_schedule: &self.baseline_schedule,
            scenario_schedule: &self.scenario_schedule,
            baseline_fx: self.baseline_fx.as_ref(),
            scenario_fx: self.scenario_fx.as_ref(),
            options: &self.options,
        }
    }

    pub(crate) fn impact(&self, meter: &Meter) -> Result<Impact, Error> {
        calculate(&self.scenario(), meter)
    }

    /// Units of work to copy these inputs (one per line, price, measure, fee, incentive and
    /// exchange rate): each evaluation works on its own copy.
    pub(crate) fn copy_units(&self) -> u64 {
        let schedule = |s: &Schedule| s.measures().len() + s.fees.len() + s.incentives.len();
        let fx = |d: &Option<FxDeck>| d.as_ref().map_or(0, |d| d.rates.len());
        units(
            self.bom.line_count()
                + self.baseline_prices.prices.len()
                + self.scenario_prices.prices.len()
                + schedule(&self.baseline_schedule)
                + schedule(&self.scenario_schedule)
                + fx(&self.baseline_fx)
                + fx(&self.scenario_fx),
        )
    }
}
