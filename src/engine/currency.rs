//! Currencies the service accepts and their ISO 4217 minor units, which fix where amounts round.

/// A currency: its ISO 4217 code and the number of decimals of its minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    /// ISO 4217 code, e.g. "USD".
    pub code: &'static str,
    /// Decimals of the minor unit (2 for USD, 0 for JPY).
    pub minor_units: u32,
}

/// ISO 4217 minor units (ISO 4217 list one, "Minor unit" column) of the currencies accepted:
/// where amounts in each currency round, and so how results show them (JPY 0 decimals, USD 2,
/// BHD and KWD 3). Conversions between them are the FX decks' ([`super::fx`]).
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("QAR", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UGX", 0),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
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
        assert_eq!(Currency::from_code("BHD").unwrap().minor_units, 3);
        assert_eq!(Currency::from_code("KWD").unwrap().minor_units, 3);
        assert_eq!(Currency::from_code("CLP").unwrap().minor_units, 0);
        assert!(Currency::from_code("usd").is_none());
        assert!(Currency::from_code("XXX").is_none());
    }

    /// The list an unsupported code's error shows: every code, in order.
    #[test]
    fn lists_the_supported_codes() {
        assert_eq!(
            Currency::supported(),
            "AED, ARS, AUD, BHD, BRL, CAD, CHF, CLP, CNY, COP, CZK, DKK, EGP, EUR, GBP, HKD, HUF, \
             IDR, ILS, INR, ISK, JOD, JPY, KRW, KWD, MXN, MYR, NOK, NZD, OMR, PHP, PLN, QAR, RON, \
             SAR, SEK, SGD, THB, TND, TRY, TWD, UGX, USD, VND, ZAR"
        );
    }
}
