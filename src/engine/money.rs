//! Rounding to the currency's minor unit and the display of exact decimals.
//!
//! The policy: every atomic amount (a line's goods cost, one measure's duty on one line, one
//! fee's share on one line) is computed exactly and rounded once, with the requested mode, to
//! the currency's minor unit. Every subtotal and total is the sum of those rounded atoms, so
//! every displayed list adds up to its displayed total exactly.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimals kept from a division (a fee per unit, a line's share of an entry's fee, a unit
/// conversion). A quotient may not terminate; fixing its scale keeps sums of exact atoms
/// exact, so totals do not depend on the order lines are added in. 10^-16 is far below any
/// minor unit.
pub const DIVISION_DECIMALS: u32 = 16;

/// `d` with at most [`DIVISION_DECIMALS`] decimals. Every exact atom (a line's goods, a duty,
/// a fee) is quantized so: a product of a converted quantity, a content factor and a price can
/// carry more decimals than a 28-digit decimal holds beside its integer part, and a sum of such
/// atoms would then be rounded where it lands, making its last digit depend on the order of
/// the lines. Atoms of at most 16 decimals below 10^12 add up exactly in any order.
pub fn quantize(d: Decimal) -> Decimal {
    d.round_dp(DIVISION_DECIMALS)
}

/// How exact amounts are rounded to the minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoundingMode {
    /// Half away from zero: 0.125 -> 0.13, -0.125 -> -0.13.
    #[default]
    HalfUp,
    /// Half to even (banker's): 0.125 -> 0.12, 0.135 -> 0.14.
    HalfEven,
}

impl RoundingMode {
    /// Rounds `value` to `dp` decimals and pins the scale, so "405" displays as "405.00".
    pub fn round(self, value: Decimal, dp: u32) -> Decimal {
        let strategy = match self {
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        };
        let mut r = value.round_dp_with_strategy(dp, strategy);
        r.rescale(dp);
        r
    }
}

/// `value` as `Decimal`'s `Display` prints it (every decimal of its scale, "-" when
/// negative), written straight from its integer mantissa: a full response prints thousands of
/// amounts, and the formatting machinery with its intermediate buffers was about a tenth of
/// the request path. A test checks it against `Display`.
pub fn decimal_text(value: Decimal) -> String {
    String::from(DecimalText::new(value).as_str())
}

/// The text of one decimal in a buffer on the stack, for a writer that copies it on (the
/// response encoder, which needs its length before its bytes and no `String` per amount).
pub struct DecimalText {
    buf: [u8; 48],
    at: usize,
}

impl DecimalText {
    /// Prints `value` as [`decimal_text`] does.
    pub fn new(value: Decimal) -> Self {
        // The text is built right to left: digits, the point, the sign.
        let mut text = DecimalText {
            buf: [0u8; 48],
            at: 48,
        };
        let scale = value.scale() as usize;
        let mut written = 0;
        let mut wide = value.mantissa().unsigned_abs();
        // 128-bit division is a library call: only the digits above 64 bits take it.
        while wide > u128::from(u64::MAX) {
            if written == scale && scale > 0 {
                text.push(b'.');
            }
            text.push(b'0' + (wide % 10) as u8);
            wide /= 10;
            written += 1;
        }
        let mut n = wide as u64;
        // At least scale + 1 digits: "0.05" for 5 at scale 2.
        while n > 0 || written <= scale {
            if written == scale && scale > 0 {
                text.push(b'.');
            }
            text.push(b'0' + (n % 10) as u8);
            n /= 10;
            written += 1;
        }
        if value.is_sign_negative() {
            text.push(b'-');
        }
        text
    }

    fn push(&mut self, b: u8) {
        self.at -= 1;
        self.buf[self.at] = b;
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, '.' and '-' were written.
        std::str::from_utf8(&self.buf[self.at..]).unwrap_or_default()
    }

    /// A rounded amount as a response shows it: `value` at the currency's `minor_units`, a
    /// zero without its sign.
    pub fn amount(value: Decimal, minor_units: u32) -> Self {
        let mut d = value;
        d.rescale(minor_units);
        DecimalText::new(unsigned_zero(d))
    }

    /// An exact amount: never fewer decimals than the minor unit, no trailing zeros beyond
    /// them ([`amount_text`]).
    pub fn exact_amount(value: Decimal, minor_units: u32) -> Self {
        let mut v = unsigned_zero(value).normalize();
        v.rescale(v.scale().max(minor_units));
        DecimalText::new(v)
    }

    /// An exact decimal without trailing zeros ([`plain`]).
    pub fn plain(value: Decimal) -> Self {
        DecimalText::new(value.normalize())
    }

    /// An amount as a formula shows it ([`shown_amount`]).
    pub fn shown_amount(value: Decimal, minor_units: u32) -> Self {
        let mut v = value.round_dp_with_strategy(
            minor_units,
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        );
        v.rescale(minor_units);
        DecimalText::new(unsigned_zero(v))
    }

    /// A rate, share or quantity as a formula shows it ([`shown_number`]).
    pub fn shown_number(value: Decimal) -> Self {
        DecimalText::new(
            value
                .round_dp_with_strategy(
                    SHOWN_DECIMALS,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                )
                .normalize(),
        )
    }
}

/// Formulas are written with `write!` into one `String` per charge: the text goes straight
/// from the stack into it, with no `String` per number.
impl std::fmt::Display for DecimalText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// An exact decimal without trailing zeros, for formulas and exact totals ("0.3464", "120").
pub fn plain(value: Decimal) -> String {
    String::from(DecimalText::plain(value).as_str())
}

/// `value`, a zero without its sign: a difference of equal amounts, or a tiny negative amount
/// rounded to zero, can carry one, and "-0.00" would read as a loss.
pub fn unsigned_zero(mut value: Decimal) -> Decimal {
    if value.is_zero() {
        value.set_sign_positive(true);
    }
    value
}

/// An amount for a formula: exact, but never fewer decimals than the minor unit ("120.00").
pub fn amount_text(value: Decimal, minor_units: u32) -> String {
    String::from(DecimalText::exact_amount(value, minor_units).as_str())
}

/// An amount as a formula shows it: at the currency's minor unit, rounded half away from
/// zero ("26436.11" for 26436.11114303748), so an analyst can read it; the exact value is in
/// the result's `exact` fields, and the charge's amount is computed from the exact one.
pub fn shown_amount(value: Decimal, minor_units: u32) -> String {
    String::from(DecimalText::shown_amount(value, minor_units).as_str())
}

/// Decimals a formula shows of a rate, share or quantity.
pub const SHOWN_DECIMALS: u32 = 4;

/// A rate, share or quantity as a formula shows it: at most [`SHOWN_DECIMALS`] decimals,
/// rounded half away from zero, trailing zeros dropped ("2.1", "0.3464", "0.3333" for a
/// third).
pub fn shown_number(value: Decimal) -> String {
    String::from(DecimalText::shown_number(value).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The fast text is `Display`'s, for any mantissa, scale and sign.
        #[test]
        fn decimal_text_is_displays(lo: u32, mid: u32, hi: u32, negative: bool, scale in 0u32..=28) {
            let d = Decimal::from_parts(lo, mid, hi, negative, scale);
            prop_assert_eq!(decimal_text(d), d.to_string());
        }
    }

    #[test]
    fn decimal_text_of_edges() {
        for s in [
            "0",
            "0.00",
            "-0.05",
            "0.05",
            "120",
            "-120.50",
            "79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "-7.9228162514264337593543950335",
        ] {
            let d: Decimal = s.parse().unwrap();
            assert_eq!(decimal_text(d), d.to_string(), "{s}");
        }
        assert_eq!(
            decimal_text(Decimal::new(-0, 2)),
            Decimal::new(-0, 2).to_string()
        );
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn half_up_and_half_even_differ_only_on_ties() {
        let up = RoundingMode::HalfUp;
        let even = RoundingMode::HalfEven;
        assert_eq!(up.round(d("0.125"), 2).to_string(), "0.13");
        assert_eq!(even.round(d("0.125"), 2).to_string(), "0.12");
        assert_eq!(even.round(d("0.135"), 2).to_string(), "0.14");
        assert_eq!(up.round(d("-0.125"), 2).to_string(), "-0.13");
        assert_eq!(up.round(d("0.1251"), 2).to_string(), "0.13");
        assert_eq!(even.round(d("0.1251"), 2).to_string(), "0.13");
        assert_eq!(up.round(d("405"), 2).to_string(), "405.00");
        assert_eq!(up.round(d("2.5"), 0).to_string(), "3");
        assert_eq!(even.round(d("2.5"), 0).to_string(), "2");
    }

    #[test]
    fn formulas_show_amounts_at_the_minor_unit_and_numbers_at_four_decimals() {
        assert_eq!(shown_amount(d("26436.11114303748"), 2), "26436.11");
        assert_eq!(shown_amount(d("0.125"), 2), "0.13");
        assert_eq!(shown_amount(d("-0.125"), 2), "-0.13");
        assert_eq!(shown_amount(d("120"), 2), "120.00");
        assert_eq!(shown_amount(d("1234.5"), 0), "1235");
        assert_eq!(shown_number(d("2.1000")), "2.1");
        assert_eq!(shown_number(d("0.34645")), "0.3465");
        assert_eq!(shown_number(d("0.333333333333")), "0.3333");
        assert_eq!(shown_number(d("25")), "25");
    }

    #[test]
    fn a_zero_is_shown_without_a_sign() {
        // A zero negated keeps its sign flag, and prints as "-0.00".
        let negative_zero = -Decimal::new(0, 2);
        assert_eq!(negative_zero.to_string(), "-0.00");
        assert!(negative_zero.is_zero() && negative_zero.is_sign_negative());
        assert_eq!(unsigned_zero(negative_zero).to_string(), "0.00");
        assert_eq!(amount_text(negative_zero, 2), "0.00");
        assert_eq!(shown_amount(Decimal::new(-1, 3), 2), "0.00");
        assert_eq!(unsigned_zero(Decimal::new(-1, 2)).to_string(), "-0.01");
    }

    #[test]
    fn amount_text_keeps_exact_digits_and_pads_to_minor_units() {
        assert_eq!(amount_text(d("120"), 2), "120.00");
        assert_eq!(amount_text(d("0.41568"), 2), "0.41568");
        assert_eq!(plain(d("25.000")), "25");
    }
}
