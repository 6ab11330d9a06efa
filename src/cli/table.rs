//! A readable table of a result for the terminal: totals, the effect split, then lines,
//! measures and materials, all with the same displayed amounts as the JSON response.

use crate::pb;
use std::fmt::Write;

fn a(m: &Option<pb::Money>) -> &str {
    m.as_ref().map_or("", |m| m.amount.as_str())
}

fn side(l: &pb::LineResult, scenario: bool) -> &str {
    let s = if scenario { &l.scenario } else { &l.baseline };
    s.as_ref().map_or("", |s| a(&s.total))
}

/// Renders `r` as plain text.
pub fn render(r: &pb::CalculateImpactResponse) -> String {
    let mut o = String::new();
    let ccy = &r.currency;
    let (bt, st) = (
        r.baseline_totals.clone().unwrap_or_default(),
        r.scenario_totals.clone().unwrap_or_default(),
    );
    let _ = writeln!(
        o,
        "{:<28} {:>16} {:>16} {:>16}",
        format!("per unit ({ccy})"),
        "baseline",
        "scenario",
        "delta"
    );
    for (name, b, s) in [
        ("materials", &bt.materials, &st.materials),
        ("components", &bt.components, &st.components),
        ("duties", &bt.duties, &st.duties),
        ("fees", &bt.fees, &st.fees),
        ("credits", &bt.credits, &st.credits),
    ] {
        let _ = writeln!(o, "{name:<28} {:>16} {:>16}", a(b), a(s));
    }
    let _ = writeln!(
        o,
        "{:<28} {:>16} {:>16} {:>16}",
        "unit cost",
        a(&r.baseline_unit_cost),
        a(&r.scenario_unit_cost),
        a(&r.delta)
    );
    if !r.delta_percent.is_empty() {
        let _ = writeln!(o, "{:<28} {:>50}", "delta %", r.delta_percent);
    }
    if let Some(e) = &r.effects {
        let _ = writeln!(o, "{:<28} {:>50}", "  price effect", a(&e.price_effect));
        let _ = writeln!(o, "{:<28} {:>50}", "  tariff effect", a(&e.tariff_effect));
        let _ = writeln!(o, "{:<28} {:>50}", "  interaction", a(&e.interaction));
    }
    if r.annual_impact.is_some() {
        let _ = writeln!(o, "{:<28} {:>50}", "annual impact", a(&r.annual_impact));
    }
    if let Some(sp) = &r.stockpile {
        let _ = writeln!(o, "{:<28} {:>50}", "with stockpile", a(&sp.effective_delta));
    }
    let _ = writeln!(
        o,
        "\n{:<44} {:>14} {:>14} {:>14}",
        "line", "baseline", "scenario", "delta"
    );
    for l in &r.lines {
        let _ = writeln!(
            o,
            "{:<44} {:>14} {:>14} {:>14}",
            l.path,
            side(l, false),
            side(l, true),
            a(&l.delta)
        );
    }
    if !r.measures.is_empty() {
        let _ = writeln!(
            o,
            "\n{:<44} {:>14} {:>14} {:>14}",
            "measure or fee", "baseline", "scenario", "delta"
        );
        for m in &r.measures {
            let _ = writeln!(
                o,
                "{:<44} {:>14} {:>14} {:>14}",
                m.measure_id,
                a(&m.baseline_amount),
                a(&m.scenario_amount),
                a(&m.delta)
            );
        }
    }
    if !r.materials.is_empty() {
        let _ = writeln!(
            o,
            "\n{:<44} {:>14} {:>14} {:>14}",
            "material", "baseline", "scenario", "delta"
        );
        for m in &r.materials {
            let _ = writeln!(
                o,
                "{:<44} {:>14} {:>14} {:>14}",
                m.material_id,
                a(&m.baseline_cost),
                a(&m.scenario_cost),
                a(&m.delta)
            );
        }
    }
    for i in &r.incentives {
        let (b, s) = (
            i.baseline.clone().unwrap_or_default(),
            i.scenario.clone().unwrap_or_default(),
        );
        let _ = writeln!(
            o,
            "\nincentive {}: baseline {}, scenario {}",
            i.incentive_id, b.formula, s.formula
        );
    }
    for n in &r.notes {
        let _ = writeln!(o, "note: {n}");
    }
    o
}
