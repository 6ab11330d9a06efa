//! Conversion of protobuf messages into validated domain values. Used for inline request data
//! and for catalog files alike, so a preset is held to the same rules as a request and a bad
//! field is named the same way in both.

pub mod bom;
pub(crate) mod bom_csv;
pub(crate) mod check;
pub(crate) mod compare;
pub(crate) mod enums;
pub(crate) mod fx_deck;
mod known_gaps;
pub mod options;
pub(crate) mod overlay;
pub(crate) mod price_deck;
pub(crate) mod schedule;
pub(crate) mod sensitivity;

pub use check::{Limits, join};
