//! Converts an engine [`Impact`] into the protobuf response. Amounts are printed with exactly
//! the currency's minor-unit decimals ("405.00"), so displayed lines add up visibly.

use super::resolve::Resolved;
use crate::convert::enums::{fee_kind_to_pb, program_to_pb, rounding_mode_to_pb, unit_to_pb};
use crate::engine::Impact;
use crate::engine::costing::{Charge, Costing, LineCost, LineKind, Totals};
use crate::engine::currency::Currency;
use crate::engine::impact::{MaterialSummary, MeasureSummary};
use crate::engine::incentive::IncentiveOutcome;
use crate::engine::model::{FeeKind, Options, Program};
use crate::engine::money::{DecimalText, amount_text, plain};
use crate::pb;
use rust_decimal::Decimal;

struct Fmt {
    currency: Currency,
}

impl Fmt {
    fn text(&self, d: Decimal) -> String {
        String::from(DecimalText::amount(d, self.currency.minor_units).as_str())
    }
    fn money(&self, d: Decimal) -> Option<pb::Money> {
        Some(pb::Money {
            amount: self.text(d),
            currency: self.currency.code.to_string(),
            exact: String::new(),
        })
    }
    fn money_exact(&self, d: Decimal, exact: Decimal) -> Option<pb::Money> {
        Some(pb::Money {
            amount: self.text(d),
            currency: self.currency.code.to_string(),
            exact: amount_text(exact, self.currency.minor_units),
        })
    }
    /// An exact (unrounded) amount such as a price or a customs value.
    fn exact(&self, d: Decimal) -> Option<pb::Money> {
        Some(pb::Money {
            amount: amount_text(d, self.currency.minor_units),
            currency: self.currency.code.to_string(),
            exact: String::new(),
        })
    }
    fn totals(&self, t: &Totals) -> Option<pb::CostTotals> {
        Some(pb::CostTotals {
            materials: self.money(t.materials),
            components: self.money(t.components),
            duties: self.money(t.duties),
            fees: self.money(t.fees),
            total: self.money_exact(t.total, t.exact_total),
            credits: self.money(t.credits),
            freight: self.money(t.freight),
            insurance: self.money(t.insurance),
            brokerage: self.money(t.brokerage),
        })
    }
    fn incentive(&self, o: Option<&IncentiveOutcome>) -> pb::IncentiveSide {
        match o {
            Some(o) => pb::IncentiveSide {
                in_force: o.in_force,
                restricted_share: plain(o.restricted_share),
                kept: o.kept,
                credit: self.money(o.credit),
                formula: o.formula.clone(),
            },
            None => pb::IncentiveSide {
                in_force: false,
                restricted_share: String::new(),
                kept: false,
                credit: self.money(Decimal::ZERO),
                formula: "not defined in this side's schedule".to_string(),
            },
        }
    }
    fn charge(&self, c: &Charge) -> pb::Charge {
        pb::Charge {
            measure_id: c.id.to_string(),
            program: program_code(c.program),
            fee_kind: fee_kind_code(c.fee_kind),
            base: self.exact(c.base),
            amount: self.money_exact(c.amount, c.exact),
            formula: c.formula.clone(),
        }
    }
    fn side(&self, l: &LineCost) -> Option<pb::LineSide> {
        Some(pb::LineSide {
            goods: self.money(l.goods),
            duties: self.money(l.duties()),
            fees: self.money(l.fees()),
            total: self.money(l.total()),
            customs_value: l.customs_value.and_then(|v| self.exact(v)),
            charges: l.charges.iter().map(|c| self.charge(c)).collect(),
            freight: l.logistics.and_then(|x| self.money(x.freight)),
            insurance: l.logistics.and_then(|x| self.money(x.insurance)),
            brokerage: l.logistics.and_then(|x| self.money(x.brokerage)),
        })
    }
}

/// A line's kind as the answer names it (both writers of the answer use it).
pub(super) fn item_kind(kind: &LineKind) -> pb::ItemKind {
    match kind {
        LineKind::Material { .. } => pb::ItemKind::Material,
        LineKind::Component => pb::ItemKind::Component,
        LineKind::Assembly => pb::ItemKind::Assembly,
    }
}

/// A charge's or measure's program as the answer's enum number (0 when it has none).
pub(super) fn program_code(p: Option<Program>) -> i32 {
    p.map_or(0, |p| program_to_pb(p) as i32)
}

/// A fee's kind as the answer's enum number (0 for a duty).
pub(super) fn fee_kind_code(k: Option<FeeKind>) -> i32 {
    k.map_or(0, |k| fee_kind_to_pb(k) as i32)
}

/// Builds the response for `impact`, computed from `inputs` with `options`: the form the
/// command line, the batch stream and the comparisons take. A unary call's answer is encoded
/// straight from the engine's result instead ([`super::response_wire`]), to the same bytes.
pub(crate) fn impact_response(
    impact: &Impact,
    inputs: &Resolved,
    options: &Options,
) -> pb::CalculateImpactResponse {
    let mut r = summary_response(impact, inputs, options);
    // The summary view leaves the per-line breakdown out.
    if options.explain {
        let f = Fmt {
            currency: impact.currency,
        };
        r.lines = f.lines(impact, inputs);
    }
    r
}

/// The response for `impact` without its lines, which the full view adds.
pub(crate) fn summary_response(
    impact: &Impact,
    inputs: &Resolved,
    options: &Options,
) -> pb::CalculateImpactResponse {
    let f = Fmt {
        currency: impact.currency,
    };
    let b = &impact.baseline;
    let s = &impact.scenario;
    let coverage_gaps = super::coverage::entries(impact, inputs, options);
    pb::CalculateImpactResponse {
        currency: f.currency.code.to_string(),
        baseline_unit_cost: f.money_exact(b.totals.total, b.totals.exact_total),
        scenario_unit_cost: f.money_exact(s.totals.total, s.totals.exact_total),
        delta: f.money_exact(impact.delta, s.totals.exact_total - b.totals.exact_total),
        delta_percent: impact
            .delta_percent
            .map(|p| p.to_string())
            .unwrap_or_default(),
        effects: Some(pb::EffectSplit {
            price_effect: f.money(impact.price_effect),
            tariff_effect: f.money(impact.tariff_effect),
            interaction: f.money(impact.interaction),
            fx_effect: f.money(impact.fx_effect),
        }),
        baseline_totals: f.totals(&b.totals),
        scenario_totals: f.totals(&s.totals),
        lines: Vec::new(),
        measures: impact.measures.iter().map(|m| f.measure(m)).collect(),
        materials: impact.materials.iter().map(|m| f.material(m)).collect(),
        annual_impact: impact.annual_impact.and_then(|a| f.money(a)),
        inputs: Some(inputs_used(impact, inputs, options)),
        notes: impact
            .notes
            .iter()
            .cloned()
            .chain(coverage_gaps.iter().map(|g| g.description.clone()))
            .collect(),
        coverage_gaps,
        incentives: impact
            .incentives
            .iter()
            .map(|(b, s)| f.incentive_result(b.as_ref(), s.as_ref()))
            .collect(),
        stockpile: impact.stockpile.as_ref().map(|sp| pb::StockpileResult {
            covered_delta: f.money(sp.covered_delta),
            effective_delta: f.money(sp.effective_delta),
            formula: sp.formula.clone(),
        }),
    }
}

impl Fmt {
    /// Every line with its amounts on both sides, in the BOM's depth-first order.
    fn lines(&self, impact: &Impact, inputs: &Resolved) -> Vec<pb::LineResult> {
        let (b, s) = (&impact.baseline, &impact.scenario);
        let bom_field = inputs.bom_field();
        b.lines
            .iter()
            .zip(&s.lines)
            .zip(inputs.bom.bom.lines())
            .enumerate()
            .map(|(line, ((bl, sl), info))| pb::LineResult {
                path: info.path,
                field_path: inputs.bom.path(&bom_field, line),
                description: info.description.to_string(),
                kind: item_kind(&bl.kind) as i32,
                material_id: match &bl.kind {
                    LineKind::Material { material_id } => material_id.to_string(),
                    _ => String::new(),
                },
                quantity_per_unit: plain(bl.quantity_per_unit),
                unit: unit_to_pb(bl.unit) as i32,
                baseline: self.side(bl),
                scenario: self.side(sl),
                delta: self.money(sl.total() - bl.total()),
            })
            .collect()
    }

    fn measure(&self, m: &MeasureSummary) -> pb::MeasureResult {
        pb::MeasureResult {
            measure_id: m.id.to_string(),
            name: m.name.to_string(),
            program: program_code(m.program),
            fee_kind: fee_kind_code(m.fee_kind),
            baseline_amount: self.money(m.baseline),
            scenario_amount: self.money(m.scenario),
            delta: self.money(m.scenario - m.baseline),
        }
    }

    fn material(&self, m: &MaterialSummary) -> pb::MaterialResult {
        pb::MaterialResult {
            material_id: m.material_id.to_string(),
            name: m.name.to_string(),
            quantity_per_unit: plain(m.quantity),
            unit: unit_to_pb(m.unit) as i32,
            baseline_price: self.exact(m.baseline_price),
            scenario_price: self.exact(m.scenario_price),
            baseline_cost: self.money(m.baseline_cost),
            scenario_cost: self.money(m.scenario_cost),
            delta: self.money(m.scenario_cost - m.baseline_cost),
        }
    }

    fn incentive_result(
        &self,
        b: Option<&IncentiveOutcome>,
        s: Option<&IncentiveOutcome>,
    ) -> pb::IncentiveResult {
        let any = b.or(s);
        pb::IncentiveResult {
            incentive_id: any.map(|o| o.id.clone()).unwrap_or_default(),
            name: any.map(|o| o.name.clone()).unwrap_or_default(),
            baseline: Some(self.incentive(b)),
            scenario: Some(self.incentive(s)),
        }
    }
}

/// Which inputs produced the result: presets and their versions, dates, rounding, measures.
fn inputs_used(impact: &Impact, inputs: &Resolved, options: &Options) -> pb::InputsUsed {
    let in_force = |c: &Costing| c.measures_in_force.iter().map(|m| m.to_string()).collect();
    pb::InputsUsed {
        bom_id: inputs.bom.bom.id.clone(),
        baseline_prices: Some(inputs.baseline_prices.source.clone()),
        scenario_prices: Some(inputs.scenario_prices.source.clone()),
        baseline_schedule: Some(inputs.baseline_schedule.source.clone()),
        scenario_schedule: Some(inputs.scenario_schedule.source.clone()),
        entry_date: options.entry_date.to_string(),
        scenario_entry_date: options.scenario_entry_date.to_string(),
        units_per_entry: plain(options.units_per_entry),
        rounding_mode: rounding_mode_to_pb(options.rounding) as i32,
        baseline_measures_in_force: in_force(&impact.baseline),
        scenario_measures_in_force: in_force(&impact.scenario),
        baseline_fx: inputs.baseline_fx.as_ref().map(|f| f.source.clone()),
        scenario_fx: inputs.scenario_fx.as_ref().map(|f| f.source.clone()),
        bom: Some(inputs.bom_source.clone()),
    }
}
