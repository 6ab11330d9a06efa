//! FX deck conversion.

use super::check::{Check, Range, join};
use crate::engine::date::Date;
use crate::engine::fx::{FxDeck, FxRate};
use crate::engine::{InputError, Reason};
use crate::pb;
use std::collections::HashSet;

/// Most rates one deck may hold: every pair of the supported currencies is far fewer
/// conversions than a request needs, and the deck's routes are found once per side.
pub(crate) const MAX_RATES: usize = 1_000;

/// Validates an FX deck found at field path `root` (e.g. `baseline_fx`): rates positive, each
/// pair of distinct supported currencies at most once (in either direction).
pub(crate) fn fx_deck(d: &pb::FxDeck, root: &str) -> Result<FxDeck, Vec<InputError>> {
    let mut c = Check::default();
    let as_of: Option<Date> = c.optional_date(&d.as_of_date, &join(root, "as_of_date"));
    if d.rates.len() > MAX_RATES {
        c.push(
            join(root, "rates"),
            Reason::OutOfRange,
            format!("{} rates; at most {MAX_RATES} per deck", d.rates.len()),
        );
        return Err(c.into_errors());
    }
    let mut pairs = HashSet::with_capacity(d.rates.len());
    let mut rates = Vec::with_capacity(d.rates.len());
    for (i, r) in d.rates.iter().enumerate() {
        let f = join(root, &format!("rates[{i}]"));
        let base = c.currency(&r.base_currency, &join(&f, "base_currency"));
        let quote = c.currency(&r.quote_currency, &join(&f, "quote_currency"));
        let rate = c.decimal(&r.rate, &join(&f, "rate"), Range::NonNegative);
        if rate.is_some_and(|r| r.is_zero()) {
            c.push(
                join(&f, "rate"),
                Reason::OutOfRange,
                "a rate must be positive",
            );
            continue;
        }
        let (Some(base), Some(quote), Some(rate)) = (base, quote, rate) else {
            continue;
        };
        if base == quote {
            c.push(
                join(&f, "quote_currency"),
                Reason::InvalidValue,
                format!("a rate converts two currencies; both are {}", base.code),
            );
            continue;
        }
        // The pair in either direction.
        let mut key = [base.code, quote.code];
        key.sort_unstable();
        if !pairs.insert(key) {
            c.push(
                join(&f, "base_currency"),
                Reason::Duplicate,
                format!(
                    "{} and {} already have a rate in this deck (a pair converts both ways)",
                    base.code, quote.code
                ),
            );
            continue;
        }
        rates.push(FxRate { base, quote, rate });
    }
    c.finish(FxDeck {
        id: d.id.clone(),
        as_of,
        rates,
        source: d.source.as_str().into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn violations(v: serde_json::Value) -> Vec<(String, Reason)> {
        let d: pb::FxDeck = serde_json::from_value(v).unwrap();
        fx_deck(&d, "baseline_fx")
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field.to_string(), e.reason))
            .collect()
    }

    /// At most 1,000 rates: one more is refused at `rates` before any rate is read; exactly
    /// the limit is read rate by rate (here every repeat of the pair is named).
    #[test]
    fn a_deck_holds_at_most_a_thousand_rates() {
        let rates = |n: usize| {
            let r = json!({"baseCurrency": "USD", "quoteCurrency": "JPY", "rate": "150"});
            json!({"id": "fx", "rates": vec![r; n]})
        };
        assert_eq!(
            violations(rates(MAX_RATES + 1)),
            [("baseline_fx.rates".to_string(), Reason::OutOfRange)]
        );
        let at_limit = violations(rates(MAX_RATES));
        assert_eq!(at_limit.len(), MAX_RATES - 1);
        assert!(at_limit.iter().all(|(_, r)| *r == Reason::Duplicate));
    }

    #[test]
    fn a_deck_of_h10_rates_converts() {
        let d: pb::FxDeck = serde_json::from_value(json!({"id": "fx", "asOfDate": "2024-02-02",
            "rates": [{"baseCurrency": "USD", "quoteCurrency": "JPY", "rate": "148.54"},
                      {"baseCurrency": "EUR", "quoteCurrency": "USD", "rate": "1.0787"}]}))
        .unwrap();
        let x = fx_deck(&d, "baseline_fx").unwrap();
        assert_eq!(x.rates.len(), 2);
        assert_eq!(x.as_of.unwrap().to_string(), "2024-02-02");
        assert_eq!(x.rates[1].rate.to_string(), "1.0787");
    }

    /// Every bad rate is named by its field: zero, same currency twice, a pair given twice
    /// (either direction), an unknown code, a malformed number.
    #[test]
    fn bad_rates_are_named() {
        let r = |b: &str, q: &str, rate: &str| json!({"baseCurrency": b, "quoteCurrency": q, "rate": rate});
        let v = violations(json!({"id": "fx", "rates": [
            r("USD", "JPY", "0"), r("USD", "USD", "1"), r("USD", "EUR", "0.9"),
            r("EUR", "USD", "1.1"), r("USD", "XXX", "1"), r("USD", "CNY", "7,19")]}));
        let fields: Vec<(&str, Reason)> = v.iter().map(|(f, r)| (f.as_str(), *r)).collect();
        assert_eq!(
            fields,
            [
                ("baseline_fx.rates[0].rate", Reason::OutOfRange),
                ("baseline_fx.rates[1].quote_currency", Reason::InvalidValue),
                ("baseline_fx.rates[3].base_currency", Reason::Duplicate),
                ("baseline_fx.rates[4].quote_currency", Reason::InvalidValue),
                ("baseline_fx.rates[5].rate", Reason::MalformedDecimal),
            ]
        );
    }
}
