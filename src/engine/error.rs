//! The errors of the engine: an input that cannot be costed ([`InputError`], named by its
//! field path so a caller can point at the exact field, also the error of input validation),
//! or work that was stopped before it finished ([`Stopped`]).

use super::work::Stopped;
use std::fmt;

/// Why a calculation did not produce a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An input cannot be costed.
    Input(InputError),
    /// The work was stopped (deadline, cancellation, shutdown, budget).
    Stopped(Stopped),
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(e)
    }
}

impl From<Stopped> for Error {
    fn from(s: Stopped) -> Self {
        Error::Stopped(s)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(e) => e.fmt(f),
            Error::Stopped(s) => write!(f, "stopped: {s}"),
        }
    }
}

impl std::error::Error for Error {}

/// Why an input was rejected. Each maps to an UPPER_SNAKE reason in `google.rpc.BadRequest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A required field is empty.
    Required,
    /// Not a plain decimal string (`-?digits[.digits]`).
    MalformedDecimal,
    /// More fractional or integer digits than the service accepts.
    ExcessPrecision,
    /// A value outside its allowed range (negative quantity, share above 1, ...).
    OutOfRange,
    /// An enum left unspecified or unknown, or a malformed code or date.
    InvalidValue,
    /// A material line names a material the price deck does not price.
    UnknownMaterial,
    /// A quantity's unit cannot be converted to the unit it is priced or dutied in.
    UnitMismatch,
    /// Arithmetic on the inputs exceeded the 28-digit decimal range.
    Overflow,
    /// Inputs in different currencies.
    CurrencyMismatch,
    /// The BOM tree is malformed: empty, a cycle, too deep, too large, ambiguous item kind.
    InvalidStructure,
    /// Two entries share an id that must be unique.
    Duplicate,
    /// A specific duty per kg or per piece needs a quantity the item does not declare.
    MissingQuantity,
}

impl Reason {
    /// The UPPER_SNAKE reason string carried in `google.rpc.BadRequest`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Required => "REQUIRED",
            Reason::MalformedDecimal => "MALFORMED_DECIMAL",
            Reason::ExcessPrecision => "EXCESS_PRECISION",
            Reason::OutOfRange => "OUT_OF_RANGE",
            Reason::InvalidValue => "INVALID_VALUE",
            Reason::UnknownMaterial => "UNKNOWN_MATERIAL",
            Reason::UnitMismatch => "UNIT_MISMATCH",
            Reason::Overflow => "OVERFLOW",
            Reason::CurrencyMismatch => "CURRENCY_MISMATCH",
            Reason::InvalidStructure => "INVALID_STRUCTURE",
            Reason::Duplicate => "DUPLICATE",
            Reason::MissingQuantity => "MISSING_QUANTITY",
        }
    }
}

/// One invalid input field: where it is, why, and a sentence for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Field path in the request, e.g. `bom.items[2].children[0].quantity`.
    pub field: String,
    /// Machine-readable reason.
    pub reason: Reason,
    /// Human-readable description.
    pub message: String,
}

impl InputError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, reason: Reason, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason,
            message: message.into(),
        }
    }

    /// The error for arithmetic that left the decimal range while computing `what` at `field`.
    pub fn overflow(field: impl Into<String>, what: &str) -> Self {
        Self::new(
            field,
            Reason::Overflow,
            format!("{what} exceeds the 28-digit decimal range"),
        )
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.field,
            self.message,
            self.reason.as_str()
        )
    }
}

impl std::error::Error for InputError {}

/// A field path for an error, rendered only when an error is actually built, so checked
/// arithmetic on the hot path allocates nothing: `"bom.items[0]"` or
/// `("bom.items[0]", "quantity")` for `bom.items[0].quantity`.
pub trait Field {
    /// The full field path.
    fn path(&self) -> String;
}

impl Field for &str {
    fn path(&self) -> String {
        (*self).to_string()
    }
}

impl Field for &String {
    fn path(&self) -> String {
        (*self).clone()
    }
}

impl Field for (&str, &str) {
    fn path(&self) -> String {
        format!("{}.{}", self.0, self.1)
    }
}

/// Checked arithmetic that names the field and quantity on overflow, so no computation on
/// request data can panic or wrap.
pub trait CheckedAt: Sized {
    /// `self + rhs`, or an overflow error at `field`.
    fn add_at(self, rhs: Self, field: impl Field, what: &str) -> Result<Self, InputError>;
    /// `self - rhs`, or an overflow error at `field`.
    fn sub_at(self, rhs: Self, field: impl Field, what: &str) -> Result<Self, InputError>;
    /// `self * rhs`, or an overflow error at `field`.
    fn mul_at(self, rhs: Self, field: impl Field, what: &str) -> Result<Self, InputError>;
    /// `self / rhs`, or an overflow (or division by zero) error at `field`.
    fn div_at(self, rhs: Self, field: impl Field, what: &str) -> Result<Self, InputError>;
}

impl CheckedAt for rust_decimal::Decimal {
    fn add_at(self, rhs: Self, field: impl Field, what: &str) -> Result<Self, InputError> {
        self.checked_add(rhs)
            .ok_or_else(|| InputError::overflow(field.path(), what))
    }
    fn sub_at(self, rhs: Self, field: impl Field, what: &str) -> Result<Self, InputError> {
        self.checked_sub(rhs)
            .ok_or_else(|| InputError::overflow(field.path(), what))
    }
    fn mul_at(self, rhs: Self, field: impl Field, what: &str) -> Result<Self, InputError> {
        self.checked_mul(rhs)
            .ok_or_else(|| InputError::overflow(field.path(), what))
    }
    fn div_at(self, rhs: Self, field: impl Field, what: &str) -> Result<Self, InputError> {
        if rhs.is_zero() {
            return Err(InputError::new(
                field.path(),
                Reason::OutOfRange,
                format!("{what} divides by zero"),
            ));
        }
        self.checked_div(rhs)
            .ok_or_else(|| InputError::overflow(field.path(), what))
    }
}
