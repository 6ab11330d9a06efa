//! The uncertain inputs of `AnalyzeSensitivity`: names unique and present, low <= base <= high,
//! non-negative (an exchange rate positive), and exactly one target (a quantity factor on item
//! paths, a material price, a measure's rate or an exchange rate on a side, a freight on item
//! paths). Whether the target exists in the calculation is a check
//! across inputs, made before any evaluation (`unknown_targets` in `api/sensitivity.rs`).

use super::check::{Check, Range};
use crate::engine::sensitivity::{Side, Target, Uncertain};
use crate::engine::text::clip;
use crate::engine::{InputError, Reason};
use crate::pb;
use crate::pb::uncertain_input::Target as PbTarget;
use rust_decimal::Decimal;
use std::collections::HashSet;

/// The validated uncertain inputs, at most `max_inputs` of them, or every violation.
pub(crate) fn uncertain_inputs(
    inputs: &[pb::UncertainInput],
    max_inputs: usize,
) -> Result<Vec<Uncertain>, Vec<InputError>> {
    let mut c = Check::default();
    if inputs.is_empty() {
        c.push(
            "inputs",
            Reason::Required,
            "give at least one uncertain input",
        );
    }
    if inputs.len() > max_inputs {
        c.push(
            "inputs",
            Reason::OutOfRange,
            format!("at most {max_inputs} uncertain inputs per call"),
        );
    }
    let mut out = Vec::with_capacity(inputs.len());
    let mut names: HashSet<&str> = HashSet::new();
    for (i, u) in inputs.iter().enumerate().take(max_inputs) {
        let f = format!("inputs[{i}]");
        unique_name(&mut c, &mut names, &u.name, &f);
        // An exchange rate is positive: a conversion divides by it.
        let kind = match u.target {
            Some(PbTarget::FxRate(_)) => Range::Positive,
            _ => Range::NonNegative,
        };
        let range = range(&mut c, u, &f, kind);
        let target = target(&mut c, u.target.as_ref(), &f);
        if let (Some(target), Some((low, base, high))) = (target, range) {
            out.push(Uncertain {
                name: u.name.clone(),
                target,
                low,
                base,
                high,
            });
        }
    }
    c.finish(out)
}

fn unique_name<'a>(c: &mut Check, names: &mut HashSet<&'a str>, name: &'a str, f: &str) {
    if name.is_empty() {
        c.push(
            format!("{f}.name"),
            Reason::Required,
            "each input needs a name",
        );
    } else if !names.insert(name) {
        c.push(
            format!("{f}.name"),
            Reason::Duplicate,
            format!("input name {:?} is used twice", clip(name)),
        );
    }
}

/// `(low, base, high)`, each in `kind` and in order.
fn range(
    c: &mut Check,
    u: &pb::UncertainInput,
    f: &str,
    kind: Range,
) -> Option<(Decimal, Decimal, Decimal)> {
    let low = c.decimal(&u.low, &format!("{f}.low"), kind);
    let base = c.decimal(&u.base, &format!("{f}.base"), kind);
    let high = c.decimal(&u.high, &format!("{f}.high"), kind);
    if let (Some(l), Some(b)) = (low, base)
        && l > b
    {
        c.push(format!("{f}.base"), Reason::OutOfRange, "base is below low");
    }
    if let (Some(b), Some(h)) = (base, high)
        && b > h
    {
        c.push(
            format!("{f}.high"),
            Reason::OutOfRange,
            "high is below base",
        );
    }
    Some((low?, base?, high?))
}

fn target(c: &mut Check, target: Option<&PbTarget>, f: &str) -> Option<Target> {
    let required = |c: &mut Check, field: &str, what: &str| {
        c.push(format!("{f}.{field}"), Reason::Required, what.to_string());
        None
    };
    match target {
        Some(PbTarget::Quantity(q)) if q.item_paths.is_empty() => {
            required(c, "quantity.item_paths", "name at least one item path")
        }
        Some(PbTarget::Quantity(q)) => Some(Target::Quantity(q.item_paths.clone())),
        Some(PbTarget::Price(p)) if p.material_id.is_empty() => {
            required(c, "price.material_id", "material_id is required")
        }
        Some(PbTarget::Price(p)) => {
            side(c, p.side, &format!("{f}.price.side")).map(|side| Target::Price {
                material_id: p.material_id.clone(),
                side,
            })
        }
        Some(PbTarget::Rate(r)) if r.measure_id.is_empty() => {
            required(c, "rate.measure_id", "measure_id is required")
        }
        Some(PbTarget::Rate(r)) => {
            side(c, r.side, &format!("{f}.rate.side")).map(|side| Target::Rate {
                measure_id: r.measure_id.clone(),
                side,
            })
        }
        Some(PbTarget::Freight(q)) if q.item_paths.is_empty() => {
            required(c, "freight.item_paths", "name at least one item path")
        }
        Some(PbTarget::Freight(q)) => Some(Target::Freight(q.item_paths.clone())),
        Some(PbTarget::FxRate(r)) => fx_rate(c, r, &format!("{f}.fx_rate")),
        None => {
            c.push(
                f,
                Reason::Required,
                "set quantity, price, rate, fx_rate or freight",
            );
            None
        }
    }
}

/// An exchange-rate target: two different ISO 4217 currencies and a side.
fn fx_rate(c: &mut Check, r: &pb::FxRateTarget, f: &str) -> Option<Target> {
    let base = c.currency(&r.base_currency, &format!("{f}.base_currency"));
    let quote = c.currency(&r.quote_currency, &format!("{f}.quote_currency"));
    let side = side(c, r.side, &format!("{f}.side"));
    let (base, quote, side) = (base?, quote?, side?);
    if base == quote {
        c.push(
            format!("{f}.quote_currency"),
            Reason::InvalidValue,
            "a rate converts between two different currencies",
        );
        return None;
    }
    Some(Target::FxRate { base, quote, side })
}

fn side(c: &mut Check, raw: i32, field: &str) -> Option<Side> {
    match pb::Side::try_from(raw) {
        Ok(pb::Side::Unspecified | pb::Side::Both) => Some(Side::Both),
        Ok(pb::Side::Baseline) => Some(Side::Baseline),
        Ok(pb::Side::Scenario) => Some(Side::Scenario),
        Err(_) => {
            c.push(
                field,
                Reason::InvalidValue,
                format!("{raw} is not a known side"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(inputs: serde_json::Value, max: usize) -> Vec<(String, Reason)> {
        let inputs: Vec<pb::UncertainInput> = serde_json::from_value(inputs).unwrap();
        crate::convert::check::violations(uncertain_inputs(&inputs, max))
    }

    fn input(name: &str, target: serde_json::Value) -> serde_json::Value {
        let mut u = serde_json::json!({"name": name, "low": "1", "base": "1", "high": "2"});
        for (k, v) in target.as_object().unwrap() {
            u[k] = v.clone();
        }
        u
    }

    /// One to `max` inputs, inclusive.
    #[test]
    fn inputs_are_counted_against_one_and_the_limit() {
        let q = |n: &str| input(n, serde_json::json!({"quantity": {"itemPaths": ["x"]}}));
        assert_eq!(errors(serde_json::json!([q("a"), q("b")]), 2), []);
        assert_eq!(
            errors(serde_json::json!([q("a"), q("b"), q("c")]), 2),
            [("inputs".to_string(), Reason::OutOfRange)]
        );
        assert_eq!(
            errors(serde_json::json!([]), 2),
            [("inputs".to_string(), Reason::Required)]
        );
    }

    /// Names are unique; each target names what it changes.
    #[test]
    fn names_are_unique_and_targets_name_something() {
        let v = errors(
            serde_json::json!([
                input("a", serde_json::json!({"quantity": {"itemPaths": ["x"]}})),
                input("a", serde_json::json!({"quantity": {"itemPaths": []}})),
                input(
                    "p",
                    serde_json::json!({"price": {"materialId": "", "side": "SIDE_BOTH"}})
                ),
                input(
                    "r",
                    serde_json::json!({"rate": {"measureId": "", "side": "SIDE_BOTH"}})
                )
            ]),
            8,
        );
        let at = |f: &str, r| (f.to_string(), r);
        assert_eq!(
            v,
            [
                at("inputs[1].name", Reason::Duplicate),
                at("inputs[1].quantity.item_paths", Reason::Required),
                at("inputs[2].price.material_id", Reason::Required),
                at("inputs[3].rate.measure_id", Reason::Required),
            ]
        );
    }

    /// An exchange rate names two different supported currencies and is positive; a freight
    /// names at least one item; each converts to its target with its range as given.
    #[test]
    fn rates_and_freights_name_their_targets_and_a_rate_is_positive() {
        use serde_json::json;
        let rate = |b: &str, q: &str, low: &str| {
            json!({"name": format!("{b}{q}{low}"), "low": low, "base": "150", "high": "160",
                   "fxRate": {"baseCurrency": b, "quoteCurrency": q, "side": "SIDE_SCENARIO"}})
        };
        let freight = |paths: serde_json::Value| {
            json!({"name": "f", "low": "0", "base": "5", "high": "10",
                   "freight": {"itemPaths": paths}})
        };
        let inputs: Vec<pb::UncertainInput> =
            serde_json::from_value(json!([rate("USD", "JPY", "140"), freight(json!(["a/b"]))]))
                .unwrap();
        let out = uncertain_inputs(&inputs, 8).unwrap();
        let usd = crate::engine::currency::Currency::from_code("USD").unwrap();
        let jpy = crate::engine::currency::Currency::from_code("JPY").unwrap();
        assert!(
            matches!(out[0].target, Target::FxRate { base, quote, side: Side::Scenario }
            if base == usd && quote == jpy)
        );
        assert_eq!(
            (out[0].low, out[0].base, out[0].high),
            (
                "140".parse().unwrap(),
                "150".parse().unwrap(),
                "160".parse().unwrap()
            )
        );
        assert!(matches!(&out[1].target, Target::Freight(p) if p == &["a/b".to_string()]));
        let at = |f: &str, r| (f.to_string(), r);
        assert_eq!(
            errors(
                json!([
                    rate("USD", "XXX", "140"),
                    rate("USD", "", "141"),
                    rate("JPY", "JPY", "142"),
                    rate("USD", "JPY", "0"),
                    freight(json!([])),
                    input("q", json!({"quantity": {"itemPaths": ["x"]}, "low": "0"}))
                ]),
                8
            ),
            [
                at("inputs[0].fx_rate.quote_currency", Reason::InvalidValue),
                at("inputs[1].fx_rate.quote_currency", Reason::Required),
                at("inputs[2].fx_rate.quote_currency", Reason::InvalidValue),
                at("inputs[3].low", Reason::OutOfRange),
                at("inputs[4].freight.item_paths", Reason::Required),
            ]
        );
    }
}
