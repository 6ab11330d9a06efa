//! Currencies the service accepts and their ISO 4217 minor units, which fix where amounts round.

/// A currency: its ISO 4217 code and the number of decimals of its minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    /// ISO 4217 code, e.g. "USD".
    pub code: &'static str,
    /// Decimals of the minor unit (2 for USD, 0 for JPY).
    pub minor_units: u32,
}

/// ISO 4217 minor units of the currencies accepted. A conversion between currencies is out of
/// scope, so a calculation uses one currency throughout and this list only fixes rounding.
const CURRENCIES: &[(&str, u32)] = &[
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("MXN", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("TWD", 2),
    ("USD", 2),
    ("VND", 0),
];

impl Currency {
    /// Looks up an ISO 4217 code (upper case); `None` if it is not supported.
    pub fn from_code(code: &str) -> Option<Currency> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, minor_units)| Currency { code, minor_units })
    }

    /// The supported codes, for error messages.
    pub fn supported() -> String {
        CURRENCIES
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_minor_units() {
        assert_eq!(Currency::from_code("USD").unwrap().minor_units, 2);
        assert_eq!(Currency::from_code("JPY").unwrap().minor_units, 0);
        assert!(Currency::from_code("usd").is_none());
        assert!(Currency::from_code("XXX").is_none());
    }

    /// The list an unsupported code's error shows: every code, in order.
    #[test]
    fn lists_the_supported_codes() {
        assert_eq!(
            Currency::supported(),
            "AUD, BRL, CAD, CHF, CNY, EUR, GBP, INR, JPY, KRW, MXN, SEK, SGD, TWD, USD, VND"
        );
    }
}
