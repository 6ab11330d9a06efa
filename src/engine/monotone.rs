//! Which way each uncertain input of a sensitivity analysis moves each side's cost before
//! incentive credits: the direction the bounds need (see [`super::sensitivity`]).
//!
//! Quantities, prices and ad valorem rates raise a side's cost or leave it alone. An exchange
//! rate and a freight do not always: a rate "1 USD = r JPY" lowers every yen amount converted
//! into dollars and raises every dollar amount converted into yen; a freight a CIF price
//! includes lowers the FOB value duty is charged on, while a freight the price leaves out adds
//! to the landed cost. So each such input is given the direction of every amount it moves on
//! each side:
//!
//! - goods, component prices, declared values, the carriage a CIF value adds, and a
//!   schedule's specific rates, minimums, maximums and fee limits raise the cost as they rise
//!   (duties and fees are non-decreasing in their base and in these);
//! - a de minimis threshold, and the freight and insurance an FOB-valued import's price
//!   includes when it states no declared value (its FOB value is the goods less them), lower
//!   it;
//! - a conversion multiplies by a rate or divides by it (its route never depends on the rate's
//!   value), so it carries a rate's direction over or reverses it.
//!
//! An input whose amounts all move the cost one way on a side moves that side's cost that way
//! (a sum and a composition of monotone functions in the same direction is monotone). An input
//! that moves one side's cost both ways has no corner where that side's cost is sure to be
//! highest, and is refused with the amounts that pull apart. Landed costs (freight and
//! insurance a price leaves out, brokerage) and incentive credits are not part of a side's
//! cost here: the analysis bounds them apart (landed costs as terms like the goods, credits
//! from kept at their largest conversion to lost). The freight an import's price includes on a
//! CIF schedule moves nothing: its CIF value is the declared value plus what the price leaves
//! out.

use super::currency::Currency;
use super::error::{Aim, InputError, Locator, Reason};
use super::fx::{Fx, FxDeck};
use super::model::{Bom, Import, Item, ItemKind, PriceDeck, Schedule, ValuationBasis};
use super::text::clip;
use super::uncertain::{Inputs, Side, Target, Uncertain};
use super::work::units;
use rust_decimal::Decimal;

/// Which way an input moves one side's cost before credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    /// Non-decreasing in the input.
    Up,
    /// Non-increasing in the input.
    Down,
    /// Not moved by it.
    Flat,
}

/// The direction of every input on each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ways {
    /// Per input, on the baseline.
    pub(crate) base: Vec<Way>,
    /// Per input, on the scenario.
    pub(crate) scen: Vec<Way>,
}

impl Ways {
    /// The direction of each of `uncertain` on both sides of `inputs`; `freight_items` are the
    /// items each freight input sets (empty for the others). An input that moves a side both
    /// ways is refused at the input.
    pub(crate) fn of(
        inputs: &Inputs,
        uncertain: &[Uncertain],
        freight_items: &[Vec<&Item>],
    ) -> Result<Ways, InputError> {
        // Read only when an exchange rate is an input.
        let mut facts: Option<BomFacts<'_>> = None;
        let sides = [
            View {
                name: "baseline",
                fx: inputs.baseline_fx.as_ref(),
                prices: &inputs.baseline_prices,
                schedule: &inputs.baseline_schedule,
                changed: Side::baseline,
            },
            View {
                name: "scenario",
                fx: inputs.scenario_fx.as_ref(),
                prices: &inputs.scenario_prices,
                schedule: &inputs.scenario_schedule,
                changed: Side::scenario,
            },
        ];
        let mut ways = Ways {
            base: Vec::with_capacity(uncertain.len()),
            scen: Vec::with_capacity(uncertain.len()),
        };
        for (n, (u, items)) in uncertain.iter().zip(freight_items).enumerate() {
            for (view, out) in sides.iter().zip([&mut ways.base, &mut ways.scen]) {
                let way = match &u.target {
                    Target::Quantity(_) | Target::Price { .. } | Target::Rate { .. } => Ok(Way::Up),
                    Target::FxRate { base, quote, side } if (view.changed)(*side) => {
                        let facts = facts.get_or_insert_with(|| BomFacts::of(&inputs.bom));
                        view.rate_way(facts, inputs.bom.currency, (*base, *quote))
                    }
                    Target::FxRate { .. } => Ok(Way::Flat),
                    Target::Freight(_) => Ok(view.freight_way(items)),
                };
                out.push(way.map_err(|why| {
                    InputError::new(
                        Locator::Uncertain(n, Aim::Input),
                        Reason::InvalidValue,
                        format!(
                            "input {:?} moves the {}'s cost both ways, so no corner of the ranges bounds it: {why}",
                            clip(&u.name),
                            view.name
                        ),
                    )
                })?);
            }
        }
        ways.align();
        Ok(ways)
    }

    /// Gives an input that does not move one side the other side's direction there: any
    /// corner bounds a side an input does not move, and then each side's highest corner is
    /// the other's unless an input moves the sides in opposite ways (see [`Ways::corners`]).
    fn align(&mut self) {
        for (b, s) in self.base.iter_mut().zip(self.scen.iter_mut()) {
            match (*b, *s) {
                (Way::Flat, other) => *b = other,
                (other, Way::Flat) => *s = other,
                _ => {}
            }
        }
    }

    /// The corner of the box [lo, hi] where a side going `ways` has its highest cost (or its
    /// lowest, when `highest` is false).
    pub(crate) fn corner(
        ways: &[Way],
        lo: &[Decimal],
        hi: &[Decimal],
        highest: bool,
    ) -> Vec<Decimal> {
        ways.iter()
            .zip(lo.iter().zip(hi))
            .map(|(w, (l, h))| match (w, highest) {
                (Way::Down, true) | (Way::Up | Way::Flat, false) => *l,
                (Way::Down, false) | (Way::Up | Way::Flat, true) => *h,
            })
            .collect()
    }

    /// How many distinct corners a box needs evaluated (the most evaluations one split adds):
    /// two when no input moves the sides in opposite ways (each side's highest corner is the
    /// other's, the inputs that move neither side taken at the same end), else four.
    pub(crate) fn corners(&self) -> usize {
        let opposite = self
            .base
            .iter()
            .zip(&self.scen)
            .any(|pair| matches!(pair, (Way::Up, Way::Down) | (Way::Down, Way::Up)));
        if opposite { 4 } else { 2 }
    }
}

/// Units of work of [`Ways::of`]: when an exchange rate is an input, one walk of the BOM, then
/// per such input and side a converter of the side's deck and a look at every line; per
/// freight input and side, one per item path.
pub(crate) fn work(inputs: &Inputs, uncertain: &[Uncertain]) -> u64 {
    let lines = units(inputs.bom.line_count());
    let rates = |d: &Option<FxDeck>| d.as_ref().map_or(0, |d| units(d.rates.len()));
    let per_rate = rates(&inputs.baseline_fx)
        .saturating_add(rates(&inputs.scenario_fx))
        .saturating_add(2 * lines);
    let mut sum = 0u64;
    let mut walked = false;
    for u in uncertain {
        sum = sum.saturating_add(match &u.target {
            Target::FxRate { .. } if !walked => {
                walked = true;
                lines.saturating_add(per_rate)
            }
            Target::FxRate { .. } => per_rate,
            Target::Freight(paths) => 2 * units(paths.len()),
            _ => 0,
        });
    }
    sum
}

/// What in the BOM an exchange rate can convert, found once.
struct BomFacts<'a> {
    has_materials: bool,
    /// Currencies components are priced in, each once.
    component_currencies: Vec<Currency>,
    /// Every item with an import declaration.
    imports: Vec<(&'a str, &'a Import)>,
}

impl<'a> BomFacts<'a> {
    fn of(bom: &'a Bom) -> BomFacts<'a> {
        fn walk<'a>(items: &'a [Item], f: &mut BomFacts<'a>) {
            for item in items {
                if let Some(import) = &item.import {
                    f.imports.push((&item.id, import));
                }
                match &item.kind {
                    ItemKind::Material { .. } => f.has_materials = true,
                    ItemKind::Component { currency, .. } => {
                        if !f.component_currencies.contains(currency) {
                            f.component_currencies.push(*currency);
                        }
                    }
                    ItemKind::Assembly { children } => walk(children, f),
                }
            }
        }
        let mut f = BomFacts {
            has_materials: false,
            component_currencies: Vec::new(),
            imports: Vec::new(),
        };
        walk(&bom.items, &mut f);
        f
    }
}

/// One side of the calculation, as the directions need it.
struct View<'a> {
    name: &'static str,
    fx: Option<&'a FxDeck>,
    prices: &'a PriceDeck,
    schedule: &'a Schedule,
    changed: fn(Side) -> bool,
}

/// The amounts an input raises and lowers the cost through (the first of each).
#[derive(Default)]
struct Pulls {
    up: Option<String>,
    down: Option<String>,
}

impl Pulls {
    /// Records an amount moving the cost `way` (`Flat` records nothing).
    fn add(&mut self, way: Way, what: impl FnOnce() -> String) {
        let slot = match way {
            Way::Up => &mut self.up,
            Way::Down => &mut self.down,
            Way::Flat => return,
        };
        if slot.is_none() {
            *slot = Some(what());
        }
    }

    fn way(self, verb: &str) -> Result<Way, String> {
        match (self.up, self.down) {
            (Some(up), Some(down)) => Err(format!(
                "{verb} raises the cost through {up} and lowers it through {down}; state what removes one (a declared value, a schedule in the BOM's currency), or bound each case on its own"
            )),
            (Some(_), None) => Ok(Way::Up),
            (None, Some(_)) => Ok(Way::Down),
            (None, None) => Ok(Way::Flat),
        }
    }
}

/// `way` reversed when `flip`.
fn turned(way: Way, flip: bool) -> Way {
    match (way, flip) {
        (Way::Up, true) => Way::Down,
        (Way::Down, true) => Way::Up,
        (w, _) => w,
    }
}

impl View<'_> {
    /// The direction of the rate "1 `pair.0` = r `pair.1`" on this side's cost in `to`.
    fn rate_way(
        &self,
        facts: &BomFacts<'_>,
        to: Currency,
        (base, quote): (Currency, Currency),
    ) -> Result<Way, String> {
        let fx = Fx::new(self.fx, to);
        // The direction of an amount in `c` that moves the cost `way`: none when the rate
        // does not convert `c`, reversed when the conversion divides by it.
        let through = |c: Currency, way: Way| match fx.uses(c, base, quote) {
            Some(divides) => turned(way, divides),
            None => Way::Flat,
        };
        let mut pulls = Pulls::default();
        if facts.has_materials {
            let c = self.prices.currency;
            pulls.add(through(c, Way::Up), || {
                format!(
                    "the goods priced in {} (deck {:?})",
                    c.code,
                    clip(&self.prices.id)
                )
            });
        }
        for c in &facts.component_currencies {
            pulls.add(through(*c, Way::Up), || {
                format!("the components priced in {}", c.code)
            });
        }
        for (id, import) in &facts.imports {
            self.import_pulls(&mut pulls, id, import, &through);
        }
        let s = self.schedule;
        // A schedule in the BOM's currency converts nothing: not read (a schedule can hold
        // thousands of measures). Incentive credits are bounded apart, from kept at their
        // largest conversion to lost.
        if s.currency != to {
            if s.de_minimis_threshold.is_some() {
                pulls.add(through(s.currency, Way::Down), || {
                    format!("the de minimis threshold of schedule {:?}", clip(&s.id))
                });
            }
            if s.has_charge_amounts() {
                pulls.add(through(s.currency, Way::Up), || {
                    format!(
                        "the specific rates, minimums, maximums and fee limits of schedule {:?}",
                        clip(&s.id)
                    )
                });
            }
        }
        pulls.way(&format!("the rate 1 {} = r {}", base.code, quote.code))
    }

    /// The amounts of one import declaration a rate converts (`through` gives an amount's
    /// direction from its currency and its own direction).
    fn import_pulls(
        &self,
        pulls: &mut Pulls,
        id: &str,
        import: &Import,
        through: &dyn Fn(Currency, Way) -> Way,
    ) {
        let c = import.currency;
        let terms = import.incoterm;
        let stated = |included: bool, v: Decimal| included && !v.is_zero();
        let included = stated(terms.includes_freight(), import.freight)
            || stated(terms.includes_insurance(), import.insurance);
        let excluded = stated(!terms.includes_freight(), import.freight)
            || stated(!terms.includes_insurance(), import.insurance);
        if import.customs_value.is_some() {
            pulls.add(through(c, Way::Up), || {
                format!("the declared value of {:?}", clip(id))
            });
        } else if included && self.schedule.valuation_basis == ValuationBasis::Fob {
            pulls.add(through(c, Way::Down), || {
                format!(
                    "the freight and insurance the price of {:?} includes (its FOB value is its goods less them: it states no declared value)",
                    clip(id)
                )
            });
        }
        // (Landed costs are bounded as terms of their own: only a CIF value's carriage is
        // charged on.)
        if excluded && self.schedule.valuation_basis == ValuationBasis::Cif {
            pulls.add(through(c, Way::Up), || {
                format!(
                    "the freight and insurance the CIF value of {:?} adds",
                    clip(id)
                )
            });
        }
    }

    /// The direction of a freight on `items` on this side's duties and fees (its landed cost
    /// is a term of its own): up where the price leaves it out and the schedule values CIF
    /// (the CIF value adds it), down where the price includes it and the schedule values FOB
    /// (the FOB value is the price less it), flat otherwise. One schedule values one way, so
    /// a freight never pulls a side both ways.
    fn freight_way(&self, items: &[&Item]) -> Way {
        let basis = self.schedule.valuation_basis;
        // Whether the freight is in the value this side charges: included and valued FOB
        // (taken off), or left out and valued CIF (added).
        let moves = |item: &&&Item| {
            item.import.as_ref().is_some_and(|import| {
                import.incoterm.includes_freight() == (basis == ValuationBasis::Fob)
            })
        };
        match (items.iter().any(|i| moves(&i)), basis) {
            (false, _) => Way::Flat,
            (true, ValuationBasis::Cif) => Way::Up,
            (true, ValuationBasis::Fob) => Way::Down,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// A side an input does not move takes the other side's direction, so the sides share
    /// their corners: an input down on the scenario and flat on the baseline, beside one up on
    /// both, needs two corners, (lo, hi) and (hi, lo), not four; opposite directions need four.
    #[test]
    fn a_side_an_input_does_not_move_shares_the_other_sides_corners() {
        use Way::{Down, Flat, Up};
        let mut ways = Ways {
            base: vec![Flat, Up, Flat],
            scen: vec![Down, Up, Flat],
        };
        ways.align();
        assert_eq!(ways.base, [Down, Up, Flat]);
        assert_eq!(ways.scen, [Down, Up, Flat]);
        assert_eq!(ways.corners(), 2);
        let (lo, hi) = ([d("1"), d("2"), d("3")], [d("4"), d("5"), d("6")]);
        let corner = |w: &[Way], highest| Ways::corner(w, &lo, &hi, highest);
        assert_eq!(corner(&ways.scen, true), [d("1"), d("5"), d("6")]);
        assert_eq!(corner(&ways.base, true), corner(&ways.scen, true));
        assert_eq!(corner(&ways.base, false), [d("4"), d("2"), d("3")]);
        let mut mirrored = Ways {
            base: vec![Down, Up],
            scen: vec![Flat, Flat],
        };
        mirrored.align();
        assert_eq!(mirrored.scen, [Down, Up]);
        let opposite = Ways {
            base: vec![Up, Flat],
            scen: vec![Down, Flat],
        };
        assert_eq!(opposite.corners(), 4);
    }
}
