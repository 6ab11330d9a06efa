//! Conversion of protobuf messages into validated domain values. Used for inline request data
//! and for catalog files alike, so a preset is held to the same rules as a request and a bad
//! field is named the same way in both.

pub mod bom;
pub mod check;
pub mod compare;
pub mod enums;
pub mod options;
pub mod price_deck;
pub mod schedule;
pub mod sensitivity;

pub use check::{Limits, join};
