//! The errors of the engine: an input that cannot be costed ([`InputError`], placed by a
//! [`Locator`] so a caller can point at the exact input, also the error of input validation),
//! or work that was stopped before it finished ([`Stopped`]).
//!
//! The engine names inputs in its own terms (a BOM line by its position, an attribute of it,
//! an option, an input's role); only the API layer knows the request's field paths and turns
//! a locator into one, so every RPC renders the same engine error under its own prefix.

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

/// Where an invalid input is. Validation (which reads the request) names a field path; the
/// engine (which never sees the request) names the domain object, and the API turns that
/// into the field path of the request it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// A request field path, as input validation names it, e.g. `items[2].quantity`.
    Path(String),
    /// The BOM as a whole: a total, a delta, a share of its value.
    Bom,
    /// A BOM line by its depth-first position (the order of a costing's lines), or one of
    /// its attributes.
    Line(usize, Attribute),
    /// A calculation option.
    Setting(Setting),
    /// The currency of one of the four priced inputs.
    Currency(Role),
    /// The target of the `n`th uncertain input of a sensitivity analysis.
    Uncertain(usize, Aim),
    /// The uncertain inputs of a sensitivity analysis as a whole: a bound computed over the
    /// box of their ranges.
    Inputs,
}

/// An attribute of a BOM line that an engine error can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    /// The line itself.
    Item,
    /// Its quantity per parent.
    Quantity,
    /// Its unit.
    Unit,
    /// A component's unit price.
    UnitPrice,
    /// A material line's material id.
    MaterialId,
    /// A material line's content factor.
    ContentFactor,
    /// The declared customs value per unit of its import.
    CustomsValue,
    /// The metal content share of its import.
    MetalContentShare,
    /// The net mass per unit of its import.
    NetMassKg,
    /// The preference program its import claims.
    PreferenceProgram,
    /// A component's price currency.
    PriceCurrency,
    /// The currency of its import's declared value and logistics costs.
    ImportCurrency,
    /// The freight per unit of its import.
    Freight,
    /// The insurance per unit of its import.
    Insurance,
    /// The brokerage per unit of its import.
    Brokerage,
}

/// A calculation option an engine error can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// The annual volume.
    AnnualVolume,
    /// The stockpile.
    Stockpile,
}

/// The role of a priced input in a calculation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The baseline price deck.
    BaselinePrices,
    /// The scenario price deck.
    ScenarioPrices,
    /// The baseline tariff schedule.
    BaselineSchedule,
    /// The scenario tariff schedule.
    ScenarioSchedule,
}

/// What an uncertain input of a sensitivity analysis targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aim {
    /// The uncertain input itself.
    Input,
    /// The `n`th item path of a quantity target.
    ItemPath(usize),
    /// The material of a price target.
    Material,
    /// The measure of a rate target.
    Measure,
    /// The currency pair of an exchange-rate target.
    FxRate,
    /// The `n`th item path of a freight target.
    FreightPath(usize),
}

impl From<String> for Locator {
    fn from(path: String) -> Self {
        Locator::Path(path)
    }
}

impl From<&str> for Locator {
    fn from(path: &str) -> Self {
        Locator::Path(path.to_string())
    }
}

impl From<&String> for Locator {
    fn from(path: &String) -> Self {
        Locator::Path(path.clone())
    }
}

impl From<&Locator> for Locator {
    fn from(at: &Locator) -> Self {
        at.clone()
    }
}

impl Locator {
    /// The field path, for a locator validation made (`None` for the engine's own, which
    /// the API renders).
    pub fn path(&self) -> Option<&str> {
        match self {
            Locator::Path(p) => Some(p),
            _ => None,
        }
    }
}

/// A readable place for a locator nobody rendered (e.g. the engine used as a library).
impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Locator::Path(p) => f.write_str(p),
            Locator::Bom => f.write_str("the BOM"),
            Locator::Line(line, attribute) => write!(f, "BOM line {line} ({attribute:?})"),
            Locator::Setting(s) => write!(f, "option {s:?}"),
            Locator::Currency(role) => write!(f, "currency of {role:?}"),
            Locator::Uncertain(n, aim) => write!(f, "uncertain input {n} ({aim:?})"),
            Locator::Inputs => f.write_str("the uncertain inputs"),
        }
    }
}

/// One invalid input field: where it is, why, and a sentence for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Where: a request field path (validation) or a domain locator (the engine).
    pub field: Locator,
    /// Machine-readable reason.
    pub reason: Reason,
    /// Human-readable description.
    pub message: String,
}

impl InputError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<Locator>, reason: Reason, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason,
            message: message.into(),
        }
    }

    /// The error for arithmetic that left the decimal range while computing `what` at `field`.
    pub fn overflow(field: impl Into<Locator>, what: &str) -> Self {
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

/// Where an error is, built only when an error actually is, so checked arithmetic on the hot
/// path allocates nothing: a request path from validation (`"x.items[0]"`, or the pair
/// `("x.items[0]", "quantity")` for `x.items[0].quantity`), a [`Locator`] from the engine.
pub trait Field {
    /// The locator.
    fn locate(self) -> Locator;
}

impl Field for &str {
    fn locate(self) -> Locator {
        Locator::Path(self.to_string())
    }
}

impl Field for &String {
    fn locate(self) -> Locator {
        Locator::Path(self.clone())
    }
}

impl Field for (&str, &str) {
    fn locate(self) -> Locator {
        Locator::Path(format!("{}.{}", self.0, self.1))
    }
}

impl Field for Locator {
    fn locate(self) -> Locator {
        self
    }
}

impl Field for &Locator {
    fn locate(self) -> Locator {
        self.clone()
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
            .ok_or_else(|| InputError::overflow(field.locate(), what))
    }
    fn sub_at(self, rhs: Self, field: impl Field, what: &str) -> Result<Self, InputError> {
        self.checked_sub(rhs)
            .ok_or_else(|| InputError::overflow(field.locate(), what))
    }
    fn mul_at(self, rhs: Self, field: impl Field, what: &str) -> Result<Self, InputError> {
        self.checked_mul(rhs)
            .ok_or_else(|| InputError::overflow(field.locate(), what))
    }
    fn div_at(self, rhs: Self, field: impl Field, what: &str) -> Result<Self, InputError> {
        if rhs.is_zero() {
            return Err(InputError::new(
                field.locate(),
                Reason::OutOfRange,
                format!("{what} divides by zero"),
            ));
        }
        self.checked_div(rhs)
            .ok_or_else(|| InputError::overflow(field.locate(), what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Errors read as what went wrong where: a library caller logs them as they are.
    #[test]
    fn errors_say_where_and_why() {
        let e = Error::from(InputError::new(
            "bom.items[0].quantity",
            Reason::Overflow,
            "quantity exceeds the 28-digit decimal range",
        ));
        assert_eq!(
            e.to_string(),
            "bom.items[0].quantity: quantity exceeds the 28-digit decimal range (OVERFLOW)"
        );
        let at = InputError::overflow(Locator::Line(2, Attribute::Quantity), "goods cost");
        assert_eq!(
            at.to_string(),
            "BOM line 2 (Quantity): goods cost exceeds the 28-digit decimal range (OVERFLOW)"
        );
        assert!(
            Error::from(Stopped::Cancelled)
                .to_string()
                .starts_with("stopped: ")
        );
    }
}
