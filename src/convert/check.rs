//! The validator: parses strings, enums, dates and codes from protobuf into domain values,
//! collecting every violation with its field path instead of stopping at the first.

use crate::engine::currency::Currency;
use crate::engine::date::{Date, Window};
use crate::engine::{InputError, Reason};
use rust_decimal::Decimal;

/// Most fractional digits a decimal input may carry.
pub(crate) const MAX_FRACTION_DIGITS: usize = 12;
/// Most integer digits a decimal input may carry (values below 10^16).
pub(crate) const MAX_INTEGER_DIGITS: usize = 16;

/// Size limits on a request, so that no request can exhaust memory, the stack or the CPU.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of items (top-level items are depth 1).
    pub max_depth: usize,
    /// Most items after expanding shared assemblies.
    pub max_items: usize,
    /// Most scenarios in one `CompareScenarios` call.
    pub max_scenarios: usize,
    /// Most uncertain inputs in one `AnalyzeSensitivity` call.
    pub max_inputs: usize,
    /// Most changes in one schedule overlay (rates set, measures added and removed, dates
    /// shifted), as an inline schedule is bounded by the request's size.
    pub max_overlay_changes: usize,
    /// Most schedule entries (measures, fees, incentives, programs, special rates, and each
    /// code they list) that the overlays of one request may rebuild: a few bytes of overlay
    /// rebuild a whole preset, so without a bound 64 scenarios could rebuild the largest
    /// preset 64 times before any budget is checked.
    pub max_overlay_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 32,
            max_items: 100_000,
            max_scenarios: 64,
            max_inputs: 64,
            max_overlay_changes: 10_000,
            max_overlay_entries: 200_000,
        }
    }
}

/// `(field, reason)` of each violation of a conversion, or none if it succeeded: what the
/// conversion tests compare.
#[cfg(test)]
pub(crate) fn violations<T>(r: Result<T, Vec<InputError>>) -> Vec<(String, Reason)> {
    r.err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            let field = e.field.path().expect("validation names a field path");
            (field.to_string(), e.reason)
        })
        .collect()
}

/// Joins a field path: `join("bom", "items[0]")` is `bom.items[0]`, `join("", "items")` is `items`.
pub fn join(parent: &str, child: &str) -> String {
    let mut out = String::with_capacity(parent.len() + 1 + child.len());
    join_into(parent, child, &mut out);
    out
}

/// [`join`] appended to `out`, for a writer that reuses one buffer.
pub(crate) fn join_into(parent: &str, child: &str, out: &mut String) {
    out.push_str(parent);
    if !parent.is_empty() {
        out.push('.');
    }
    out.push_str(child);
}

/// A field path a check names only if it finds a violation: validating a BOM of thousands of
/// items must not format thousands of paths that no error will carry. `&str` is a path
/// already written; [`Child`] joins one on demand.
pub(crate) trait Field: Copy {
    /// The path, written.
    fn path(self) -> String;
}

impl Field for &str {
    fn path(self) -> String {
        self.to_string()
    }
}

impl Field for &String {
    fn path(self) -> String {
        self.clone()
    }
}

/// `join(parent, child)`, written only when a violation names it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Child<'a>(pub &'a str, pub &'a str);

impl Field for Child<'_> {
    fn path(self) -> String {
        join(self.0, self.1)
    }
}

/// Allowed range of a decimal input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Range {
    /// Zero or more.
    NonNegative,
    /// Strictly positive.
    Positive,
    /// Between 0 and 1 inclusive (shares).
    Share,
}

/// Collects violations while converting one input.
#[derive(Debug, Default)]
pub(crate) struct Check {
    errors: Vec<InputError>,
}

impl Check {
    /// Records a violation.
    pub(crate) fn push(
        &mut self,
        field: impl Into<String>,
        reason: Reason,
        message: impl Into<String>,
    ) {
        self.errors
            .push(InputError::new(field.into(), reason, message));
    }

    /// `Ok(value)` if no violation was recorded, else every violation.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, Vec<InputError>> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.errors)
        }
    }

    /// Every violation recorded; never empty, so a caller that found a value missing can
    /// always return an error (a missing value without a recorded reason is reported as such).
    pub(crate) fn into_errors(mut self) -> Vec<InputError> {
        if self.errors.is_empty() {
            self.push("", Reason::InvalidValue, "input could not be converted");
        }
        self.errors
    }

    /// Parses a required decimal.
    pub(crate) fn decimal(&mut self, s: &str, field: impl Field, range: Range) -> Option<Decimal> {
        if s.is_empty() {
            self.push(
                field.path(),
                Reason::Required,
                "a decimal string is required",
            );
            return None;
        }
        self.optional_decimal(s, field, range)
    }

    /// Parses a decimal that may be empty (`None`).
    pub(crate) fn optional_decimal(
        &mut self,
        s: &str,
        field: impl Field,
        range: Range,
    ) -> Option<Decimal> {
        if s.is_empty() {
            return None;
        }
        let value = match parse_decimal(s) {
            Ok(v) => v,
            Err((reason, message)) => {
                self.push(field.path(), reason, message);
                return None;
            }
        };
        let ok = match range {
            Range::NonNegative => !value.is_sign_negative() || value.is_zero(),
            Range::Positive => value > Decimal::ZERO,
            Range::Share => value >= Decimal::ZERO && value <= Decimal::ONE,
        };
        if !ok {
            let want = match range {
                Range::NonNegative => "zero or more",
                Range::Positive => "greater than zero",
                Range::Share => "between 0 and 1",
            };
            self.push(
                field.path(),
                Reason::OutOfRange,
                format!("{s} is out of range: must be {want}"),
            );
            return None;
        }
        Some(value)
    }

    /// Parses a required `YYYY-MM-DD` date.
    pub(crate) fn date(&mut self, s: &str, field: impl Field) -> Option<Date> {
        if s.is_empty() {
            self.push(
                field.path(),
                Reason::Required,
                "a date YYYY-MM-DD is required",
            );
            return None;
        }
        self.optional_date(s, field)
    }

    /// Parses a date that may be empty.
    pub(crate) fn optional_date(&mut self, s: &str, field: impl Field) -> Option<Date> {
        if s.is_empty() {
            return None;
        }
        let d = Date::parse(s);
        if d.is_none() {
            self.push(
                field.path(),
                Reason::InvalidValue,
                format!("{s:?} is not a valid date YYYY-MM-DD"),
            );
        }
        d
    }

    /// Parses an effective window `[from, to)` from two optional dates under `parent`.
    pub(crate) fn window(&mut self, from: &str, to: &str, parent: &str) -> Window {
        let from_field = join(parent, "effective_from");
        let to_field = join(parent, "effective_to");
        let w = Window {
            from: self.optional_date(from, &from_field),
            to: self.optional_date(to, &to_field),
        };
        if let (Some(f), Some(t)) = (w.from, w.to)
            && t <= f
        {
            self.push(
                to_field,
                Reason::OutOfRange,
                format!("effective_to {t} must be after effective_from {f}"),
            );
        }
        w
    }

    /// Records an error at `field` when both bounds are set and `lo` exceeds `hi`.
    pub(crate) fn ordered(
        &mut self,
        lo: Option<Decimal>,
        hi: Option<Decimal>,
        field: &str,
        message: &str,
    ) {
        if let (Some(lo), Some(hi)) = (lo, hi)
            && lo > hi
        {
            self.push(field.path(), Reason::OutOfRange, message);
        }
    }

    /// Parses a supported ISO 4217 currency code.
    pub(crate) fn currency(&mut self, s: &str, field: impl Field) -> Option<Currency> {
        if s.is_empty() {
            self.push(
                field.path(),
                Reason::Required,
                "an ISO 4217 currency code is required",
            );
            return None;
        }
        let c = Currency::from_code(s);
        if c.is_none() {
            self.push(
                field.path(),
                Reason::InvalidValue,
                format!(
                    "{s:?} is not a supported currency (supported: {})",
                    Currency::supported()
                ),
            );
        }
        c
    }

    /// Checks an ISO 3166-1 alpha-2 country code.
    pub(crate) fn country(&mut self, s: &str, field: impl Field) -> Option<String> {
        if ISO_3166_ALPHA2.binary_search(&s).is_ok() {
            Some(s.to_string())
        } else {
            self.push(
                field.path(),
                Reason::InvalidValue,
                format!("{s:?} is not an ISO 3166-1 alpha-2 country code (e.g. \"CN\")"),
            );
            None
        }
    }

    /// Checks a list of country codes.
    pub(crate) fn countries(&mut self, list: &[String], field: &str) -> Vec<String> {
        list.iter()
            .enumerate()
            .filter_map(|(i, c)| self.country(c, &format!("{field}[{i}]")))
            .collect()
    }

    /// Parses an HTS code or prefix: digits with optional dots, `min..=10` digits. Returns the
    /// digits alone.
    pub(crate) fn hts(&mut self, s: &str, field: impl Field, min_digits: usize) -> Option<String> {
        let digits: String = s.chars().filter(|c| *c != '.').collect();
        let well_formed = s.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !s.starts_with('.')
            && !s.ends_with('.')
            && !s.contains("..")
            && digits.chars().all(|c| c.is_ascii_digit())
            && (min_digits..=10).contains(&digits.len());
        if well_formed {
            Some(digits)
        } else {
            self.push(
                field.path(),
                Reason::InvalidValue,
                format!("{s:?} is not an HTS code: {min_digits} to 10 digits, dots optional (e.g. \"8505.11\")"),
            );
            None
        }
    }

    /// Rejects an enum value that is unspecified or unknown to this server.
    pub(crate) fn enum_value<T>(
        &mut self,
        converted: Option<T>,
        raw: i32,
        field: impl Field,
        what: &str,
    ) -> Option<T> {
        if converted.is_none() {
            let message = if raw == 0 {
                format!("{what} is required")
            } else {
                format!("{raw} is not a known {what}")
            };
            let reason = if raw == 0 {
                Reason::Required
            } else {
                Reason::InvalidValue
            };
            self.push(field.path(), reason, message);
        }
        converted
    }
}

/// Parses a plain decimal string exactly: `-?digits[.digits]`, at most
/// [`MAX_INTEGER_DIGITS`] integer and [`MAX_FRACTION_DIGITS`] fractional digits. Exponents,
/// signs other than a leading minus, spaces, `NaN` and bare dots are rejected.
pub(crate) fn parse_decimal(s: &str) -> Result<Decimal, (Reason, String)> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err((
            Reason::MalformedDecimal,
            format!(
                "{s:?} is not a decimal number (expected digits with an optional '.' fraction, e.g. \"1.25\")"
            ),
        ));
    }
    let int_digits = int.trim_start_matches('0').len();
    let frac_digits = frac.map_or(0, str::len);
    if int_digits > MAX_INTEGER_DIGITS || frac_digits > MAX_FRACTION_DIGITS {
        return Err((
            Reason::ExcessPrecision,
            format!(
                "{s:?} has more than {MAX_INTEGER_DIGITS} integer or {MAX_FRACTION_DIGITS} fractional digits"
            ),
        ));
    }
    Decimal::from_str_exact(s).map_err(|e| (Reason::MalformedDecimal, format!("{s:?}: {e}")))
}

/// ISO 3166-1 alpha-2 codes (officially assigned), sorted for binary search.
const ISO_3166_ALPHA2: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly_or_are_rejected_with_a_reason() {
        assert_eq!(parse_decimal("1.8").unwrap().to_string(), "1.8");
        assert_eq!(parse_decimal("-0.125").unwrap().to_string(), "-0.125");
        assert_eq!(parse_decimal("000123").unwrap().to_string(), "123");
        for bad in [
            "", "1e5", "+1", " 1", "1.", ".5", "NaN", "1,5", "--1", "1.2.3", "inf",
        ] {
            assert_eq!(
                parse_decimal(bad).unwrap_err().0,
                Reason::MalformedDecimal,
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_decimal("0.1234567890123").unwrap_err().0,
            Reason::ExcessPrecision
        );
        assert_eq!(
            parse_decimal("12345678901234567").unwrap_err().0,
            Reason::ExcessPrecision
        );
        assert!(parse_decimal("9999999999999999.999999999999").is_ok());
    }

    #[test]
    fn country_list_is_sorted_and_complete() {
        assert!(ISO_3166_ALPHA2.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ISO_3166_ALPHA2.len(), 249);
        let mut c = Check::default();
        assert!(c.country("CN", "o").is_some());
        assert!(c.country("XX", "o").is_none());
        assert!(c.country("cn", "o").is_none());
    }

    #[test]
    fn hts_codes_keep_digits() {
        let mut c = Check::default();
        assert_eq!(c.hts("8505.11.0070", "h", 4).unwrap(), "8505110070");
        assert!(c.hts("85a5", "h", 4).is_none());
        assert!(c.hts("85", "h", 4).is_none());
        assert!(c.hts("8505..11", "h", 4).is_none());
        assert_eq!(c.hts("85", "h", 1).unwrap(), "85");
    }

    /// Each range at its edges: a positive value may not be zero, a share is within [0, 1]
    /// inclusive, a non-negative value may be zero.
    #[test]
    fn ranges_hold_at_their_edges() {
        let reason = |s: &str, range: Range| {
            let mut c = Check::default();
            let v = c.decimal(s, "f", range);
            match c.finish(()) {
                Err(e) => Err(e[0].reason),
                Ok(()) => Ok(v.unwrap()),
            }
        };
        assert_eq!(reason("0", Range::Positive), Err(Reason::OutOfRange));
        assert!(reason("0.000000000001", Range::Positive).is_ok());
        assert_eq!(reason("-1", Range::Positive), Err(Reason::OutOfRange));
        for ok in ["0", "1", "0.5"] {
            assert!(reason(ok, Range::Share).is_ok(), "{ok}");
        }
        for out in ["1.000000000001", "-0.1", "2"] {
            assert_eq!(reason(out, Range::Share), Err(Reason::OutOfRange), "{out}");
        }
        assert!(reason("0", Range::NonNegative).is_ok());
        assert_eq!(reason("-0.1", Range::NonNegative), Err(Reason::OutOfRange));
    }

    /// Bounds may be equal; a low above the high is refused at the field given.
    #[test]
    fn ordered_bounds_may_be_equal() {
        let errors = |lo: Option<&str>, hi: Option<&str>| {
            let mut c = Check::default();
            let d = |s: Option<&str>| s.map(|s| s.parse::<Decimal>().unwrap());
            c.ordered(d(lo), d(hi), "max", "max is below min");
            c.finish(())
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| (e.field.path().unwrap().to_string(), e.reason))
                .collect::<Vec<_>>()
        };
        assert_eq!(errors(Some("2"), Some("2")), []);
        assert_eq!(errors(Some("1"), Some("2")), []);
        assert_eq!(errors(Some("2"), None), []);
        assert_eq!(
            errors(Some("2.01"), Some("2")),
            [("max".to_string(), Reason::OutOfRange)]
        );
    }

    /// An enum left unspecified is required; a number this server does not know is invalid.
    #[test]
    fn enum_values_are_required_and_known() {
        let reason = |converted: Option<u8>, raw: i32| {
            let mut c = Check::default();
            let v = c.enum_value(converted, raw, "unit", "unit of measure");
            let e = c.finish(()).err().unwrap_or_default();
            (v, e.first().map(|e| (e.reason, e.message.clone())))
        };
        assert_eq!(reason(Some(1), 1), (Some(1), None));
        assert_eq!(
            reason(None, 0),
            (
                None,
                Some((Reason::Required, "unit of measure is required".into()))
            )
        );
        assert_eq!(
            reason(None, 99),
            (
                None,
                Some((
                    Reason::InvalidValue,
                    "99 is not a known unit of measure".into()
                ))
            )
        );
    }
}
