//! Exchange rates: how one side of a calculation converts an amount quoted in another currency
//! into the BOM's reporting currency.
//!
//! Precision: a conversion multiplies or divides by the deck's rates with `Decimal`'s 28
//! significant digits and keeps the result to [`DIVISION_DECIMALS`] (16) decimals, like every
//! other quotient of the engine. The converted amount is an exact atom as far as the rest of the
//! costing is concerned: it is rounded once, to the reporting currency's minor unit, where the
//! line's goods, duty or fee is rounded, never at the conversion.

use super::currency::Currency;
use super::date::Date;
use super::error::{CheckedAt, InputError, Locator, Reason};
use super::money::{DIVISION_DECIMALS, quantize};
use super::text::clip;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// One rate: 1 `base` = `rate` `quote`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxRate {
    /// The currency one unit of which is quoted.
    pub base: Currency,
    /// The currency the rate is in.
    pub quote: Currency,
    /// Units of `quote` per unit of `base` (positive).
    pub rate: Decimal,
}

/// The exchange rates of one side, as of one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxDeck {
    /// Deck id, echoed in each result's inputs used and in its notes.
    pub id: String,
    /// The date the rates are quoted at, if stated.
    pub as_of: Option<Date>,
    /// The rates, at most one per pair of currencies (either direction).
    pub rates: Vec<FxRate>,
    /// Where the rates come from.
    pub source: Arc<str>,
}

/// One step of a conversion: multiply by the rate (from its base to its quote currency) or
/// divide by it (the other way).
#[derive(Debug, Clone, Copy)]
struct Step {
    rate: Decimal,
    divide: bool,
    /// The rate's currencies, for notes.
    base: Currency,
    quote: Currency,
}

/// How an amount in one currency reaches the reporting currency: one step, or two through a
/// currency both are quoted against.
#[derive(Debug, Clone)]
struct Route {
    steps: Vec<Step>,
}

/// A side's converter into the reporting currency `to`, with the routes of every currency its
/// deck can convert, found once.
#[derive(Debug, Clone)]
pub struct Fx<'a> {
    /// The reporting currency.
    pub to: Currency,
    /// The deck, if the side has one.
    pub deck: Option<&'a FxDeck>,
    routes: HashMap<&'static str, Route>,
}

impl<'a> Fx<'a> {
    /// The converter of `deck` into `to`. Work: proportional to the deck's rates (the caller
    /// meters it with the inputs' copies).
    pub fn new(deck: Option<&'a FxDeck>, to: Currency) -> Fx<'a> {
        let mut routes: HashMap<&'static str, Route> = HashMap::new();
        let Some(d) = deck else {
            return Fx { to, deck, routes };
        };
        // A step from `c` along rate `r`, if `r` quotes `c`.
        let step = |r: &FxRate, c: Currency| -> Option<(Step, Currency)> {
            let s = |divide| Step {
                rate: r.rate,
                divide,
                base: r.base,
                quote: r.quote,
            };
            if r.base == c {
                Some((s(false), r.quote))
            } else if r.quote == c {
                Some((s(true), r.base))
            } else {
                None
            }
        };
        // Direct rates against the reporting currency first.
        for r in &d.rates {
            let other = if r.base == to { r.quote } else { r.base };
            if let Some((s, _)) = step(r, other).filter(|(_, c)| *c == to) {
                routes.entry(other.code).or_insert(Route { steps: vec![s] });
            }
        }
        // Then one currency through another that converts directly, in deck order.
        let direct: HashMap<&'static str, Step> = routes
            .iter()
            .map(|(code, route)| (*code, route.steps[0]))
            .collect();
        for r in &d.rates {
            for (from, via) in [(r.base, r.quote), (r.quote, r.base)] {
                if from == to || via == to || routes.contains_key(from.code) {
                    continue;
                }
                if let (Some(last), Some((first, _))) = (direct.get(via.code), step(r, from)) {
                    routes.insert(
                        from.code,
                        Route {
                            steps: vec![first, *last],
                        },
                    );
                }
            }
        }
        Fx { to, deck, routes }
    }

    /// Whether `from` converts into the reporting currency (the same currency always does).
    pub fn converts(&self, from: Currency) -> bool {
        from == self.to || self.routes.contains_key(from.code)
    }

    /// `amount` in `from`, in the reporting currency, to [`DIVISION_DECIMALS`] decimals. An
    /// error at `at` when no rate converts it: never a silent one-to-one.
    pub fn convert(
        &self,
        amount: Decimal,
        from: Currency,
        at: &Locator,
    ) -> Result<Decimal, InputError> {
        self.convert_with(amount, from, at, &|_, _, rate| rate)
    }

    /// [`Fx::convert`] with each rate of the route replaced by `rate_of(base, quote, rate)`:
    /// the conversion the deck would make with some of its rates set to other values (a
    /// route depends on which pairs a deck quotes, never on their values).
    pub fn convert_with(
        &self,
        amount: Decimal,
        from: Currency,
        at: &Locator,
        rate_of: &dyn Fn(Currency, Currency, Decimal) -> Decimal,
    ) -> Result<Decimal, InputError> {
        if from == self.to {
            return Ok(amount);
        }
        let Some(route) = self.routes.get(from.code) else {
            return Err(self.no_route(from, at));
        };
        let mut v = amount;
        for s in &route.steps {
            let rate = rate_of(s.base, s.quote, s.rate);
            v = if s.divide {
                v.div_at(rate, at, "currency conversion")?
            } else {
                v.mul_at(rate, at, "currency conversion")?
            };
        }
        Ok(quantize(v))
    }

    /// How the rate "1 `base` = r `quote`" enters the conversion of `from`: `Some(false)` when
    /// the amount is multiplied by it (the converted amount rises with r), `Some(true)` when
    /// divided (it falls), `None` when the route does not use it. Each step rounds
    /// correctly, so a conversion is monotone in each rate as well as in the amount.
    pub fn uses(&self, from: Currency, base: Currency, quote: Currency) -> Option<bool> {
        if from == self.to {
            return None;
        }
        self.routes
            .get(from.code)?
            .steps
            .iter()
            .find(|s| s.base == base && s.quote == quote)
            .map(|s| s.divide)
    }

    /// The error of an amount in `from` that the deck cannot convert.
    pub fn no_route(&self, from: Currency, at: &Locator) -> InputError {
        let why = match self.deck {
            None => format!(
                "amounts in {} need an FX deck converting them to the BOM's {}: none was given",
                from.code, self.to.code
            ),
            Some(d) => format!(
                "FX deck {:?} has no rate converting {} to {}, directly or through one currency",
                clip(&d.id),
                from.code,
                self.to.code
            ),
        };
        InputError::new(at, Reason::CurrencyMismatch, why)
    }

    /// The rates converting `from`, as a note shows them: "1 USD = 150 JPY", or two such
    /// rates through a third currency.
    pub fn describe(&self, from: Currency) -> Option<String> {
        let route = self.routes.get(from.code)?;
        let parts: Vec<String> = route
            .steps
            .iter()
            .map(|s| {
                format!(
                    "1 {} = {} {}",
                    s.base.code,
                    s.rate.normalize(),
                    s.quote.code
                )
            })
            .collect();
        Some(parts.join(", "))
    }
}

/// Decimals a conversion keeps, stated where results explain conversions.
pub const CONVERSION_DECIMALS: u32 = DIVISION_DECIMALS;

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::from_code(code).unwrap()
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn deck(rates: &[(&str, &str, &str)]) -> FxDeck {
        FxDeck {
            id: "fx".into(),
            as_of: None,
            source: "test".into(),
            rates: rates
                .iter()
                .map(|(b, q, r)| FxRate {
                    base: c(b),
                    quote: c(q),
                    rate: d(r),
                })
                .collect(),
        }
    }

    /// 15,000 JPY at 1 USD = 150 JPY is 100 USD; at 160, 93.75; the pair converts both ways
    /// (1 EUR = 1.0787 USD makes 100 EUR 107.87 USD).
    #[test]
    fn converts_directly_both_ways() {
        let at = Locator::Bom;
        let x = deck(&[("USD", "JPY", "150"), ("EUR", "USD", "1.0787")]);
        let fx = Fx::new(Some(&x), c("USD"));
        assert_eq!(fx.convert(d("15000"), c("JPY"), &at).unwrap(), d("100"));
        assert_eq!(fx.convert(d("100"), c("EUR"), &at).unwrap(), d("107.87"));
        assert_eq!(fx.convert(d("7"), c("USD"), &at).unwrap(), d("7"));
        let y = deck(&[("USD", "JPY", "160")]);
        let fx = Fx::new(Some(&y), c("USD"));
        assert_eq!(fx.convert(d("15000"), c("JPY"), &at).unwrap(), d("93.75"));
        assert_eq!(fx.describe(c("JPY")).unwrap(), "1 USD = 160 JPY");
        // Into JPY the same pair multiplies.
        let fx = Fx::new(Some(&y), c("JPY"));
        assert_eq!(fx.convert(d("93.75"), c("USD"), &at).unwrap(), d("15000"));
    }

    /// Which way each rate moves a conversion: into USD, JPY divides by USD/JPY; EUR into JPY
    /// through USD multiplies by both; a rate off the route, or the reporting currency
    /// itself, is not used. With USD/JPY set to 160 instead of 148.54, 100 EUR is
    /// 107.87 x 160 = 17,259.2 JPY.
    #[test]
    fn knows_which_way_each_rate_moves_a_conversion() {
        let x = deck(&[("USD", "JPY", "148.54"), ("EUR", "USD", "1.0787")]);
        let usd = Fx::new(Some(&x), c("USD"));
        assert_eq!(usd.uses(c("JPY"), c("USD"), c("JPY")), Some(true));
        assert_eq!(usd.uses(c("EUR"), c("EUR"), c("USD")), Some(false));
        assert_eq!(usd.uses(c("JPY"), c("EUR"), c("USD")), None);
        assert_eq!(usd.uses(c("USD"), c("USD"), c("JPY")), None);
        let jpy = Fx::new(Some(&x), c("JPY"));
        assert_eq!(jpy.uses(c("EUR"), c("USD"), c("JPY")), Some(false));
        assert_eq!(jpy.uses(c("EUR"), c("EUR"), c("USD")), Some(false));
        assert_eq!(jpy.uses(c("USD"), c("USD"), c("JPY")), Some(false));
        // A pair is both its currencies: EUR/JPY is not quoted, though the route starts in EUR.
        assert_eq!(jpy.uses(c("EUR"), c("EUR"), c("JPY")), None);
        let at = Locator::Bom;
        let set = |b: Currency, q: Currency, r: Decimal| {
            if (b.code, q.code) == ("USD", "JPY") {
                d("160")
            } else {
                r
            }
        };
        let v = jpy.convert_with(d("100"), c("EUR"), &at, &set).unwrap();
        assert_eq!(v, d("17259.2"));
        assert_eq!(
            jpy.convert(d("100"), c("EUR"), &at).unwrap(),
            d("16023.0098")
        );
    }

    /// A quotient that does not terminate keeps 16 decimals: 1 JPY at 150 per USD.
    #[test]
    fn a_quotient_keeps_sixteen_decimals() {
        let x = deck(&[("USD", "JPY", "150")]);
        let fx = Fx::new(Some(&x), c("USD"));
        let v = fx.convert(d("1"), c("JPY"), &Locator::Bom).unwrap();
        assert_eq!(v.to_string(), "0.0066666666666667");
    }

    /// EUR to JPY through USD when the deck quotes both against USD (H.10 style): 100 EUR
    /// x 1.0787 = 107.87 USD x 148.54 = 16,023.0098 JPY.
    #[test]
    fn converts_through_one_currency() {
        let x = deck(&[("USD", "JPY", "148.54"), ("EUR", "USD", "1.0787")]);
        let fx = Fx::new(Some(&x), c("JPY"));
        let v = fx.convert(d("100"), c("EUR"), &Locator::Bom).unwrap();
        assert_eq!(v, d("16023.0098"));
        assert_eq!(
            fx.describe(c("EUR")).unwrap(),
            "1 EUR = 1.0787 USD, 1 USD = 148.54 JPY"
        );
    }

    /// No deck, or no rate: an error naming both currencies, never one-to-one.
    #[test]
    fn refuses_what_it_cannot_convert() {
        let at = Locator::Bom;
        let fx = Fx::new(None, c("USD"));
        let e = fx.convert(d("1"), c("JPY"), &at).unwrap_err();
        assert_eq!(e.reason, Reason::CurrencyMismatch);
        assert!(e.message.contains("none was given"), "{}", e.message);
        let x = deck(&[("USD", "JPY", "150")]);
        let fx = Fx::new(Some(&x), c("USD"));
        let e = fx.convert(d("1"), c("EUR"), &at).unwrap_err();
        assert!(e.message.contains("EUR to USD"), "{}", e.message);
        assert!(!fx.converts(c("EUR")));
        assert!(fx.converts(c("JPY")) && fx.converts(c("USD")));
    }
}
