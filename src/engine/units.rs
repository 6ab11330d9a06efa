//! Units of measure and their exact conversions. Mass converts through the kilogram using
//! exact definitions (1 lb = 0.45359237 kg); pieces convert only to pieces.

use rust_decimal::Decimal;
use std::fmt;

/// A unit a quantity or a price is expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Kilogram.
    Kg,
    /// Gram.
    G,
    /// Metric tonne.
    T,
    /// Avoirdupois pound.
    Lb,
    /// One item.
    Piece,
}

impl Unit {
    /// Kilograms in one of this unit, or `None` for pieces.
    pub fn kg_per_unit(self) -> Option<Decimal> {
        match self {
            Unit::Kg => Some(Decimal::ONE),
            Unit::G => Some(Decimal::new(1, 3)),
            Unit::T => Some(Decimal::new(1000, 0)),
            Unit::Lb => Some(Decimal::new(45_359_237, 8)),
            Unit::Piece => None,
        }
    }

    /// The short symbol shown in formulas ("kg", "lb", "piece").
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Kg => "kg",
            Unit::G => "g",
            Unit::T => "t",
            Unit::Lb => "lb",
            Unit::Piece => "piece",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// Why a conversion failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvertError {
    /// Mass and pieces do not convert into each other.
    Incompatible,
    /// The result left the decimal range.
    Overflow,
}

/// Converts `qty` from unit `from` to unit `to`. Same unit returns `qty` unchanged; mass units
/// multiply by the source's kilograms first and divide by the target's last, so conversions
/// into kg, g or t are exact and only conversions into lb, which may not terminate, are
/// carried to 16 decimal places.
pub fn convert(qty: Decimal, from: Unit, to: Unit) -> Result<Decimal, ConvertError> {
    if from == to {
        return Ok(qty);
    }
    let (Some(kf), Some(kt)) = (from.kg_per_unit(), to.kg_per_unit()) else {
        return Err(ConvertError::Incompatible);
    };
    qty.checked_mul(kf)
        .and_then(|kg| kg.checked_div(kt))
        .map(|q| q.round_dp(super::money::DIVISION_DECIMALS))
        .ok_or(ConvertError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn mass_units_convert_exactly() {
        assert_eq!(convert(d("1800"), Unit::G, Unit::Kg).unwrap(), d("1.8"));
        assert_eq!(convert(d("2"), Unit::T, Unit::Kg).unwrap(), d("2000"));
        assert_eq!(
            convert(d("10"), Unit::Lb, Unit::Kg).unwrap(),
            d("4.5359237")
        );
        assert_eq!(
            convert(d("4.5359237"), Unit::Kg, Unit::Lb).unwrap(),
            d("10")
        );
        assert_eq!(convert(d("3"), Unit::Piece, Unit::Piece).unwrap(), d("3"));
    }

    #[test]
    fn pieces_do_not_convert_to_mass() {
        assert_eq!(
            convert(d("1"), Unit::Piece, Unit::Kg),
            Err(ConvertError::Incompatible)
        );
        assert_eq!(
            convert(d("1"), Unit::Kg, Unit::Piece),
            Err(ConvertError::Incompatible)
        );
    }

    #[test]
    fn overflow_is_reported_not_wrapped() {
        assert_eq!(
            convert(Decimal::MAX, Unit::T, Unit::Kg),
            Err(ConvertError::Overflow)
        );
    }
}
