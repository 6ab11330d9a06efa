//! The pure calculation engine: domain types and the costing rules. It knows nothing of gRPC,
//! protobuf or the catalog, so it can be tested, benchmarked and reused (CLI, batch) on its own.
//!
//! Flow: [`calculate`] costs the BOM four times, at (baseline prices, baseline schedule),
//! (scenario, scenario) and the two crossings used by the exact effect split; each costing
//! (`costing`) walks the tree, prices goods, applies the measures and fees in force
//! (`duty`, `fees`) and rounds every atomic amount once ([`money`]). Results are assembled
//! in [`impact`].

pub(crate) mod costing;
#[cfg(test)]
mod cross_border_tests;
pub mod currency;
pub mod date;
pub(crate) mod duty;
pub mod error;
pub mod estimate;
pub(crate) mod fees;
pub mod fx;
pub mod impact;
pub(crate) mod incentive;
pub mod line;
pub mod model;
pub mod money;
pub(crate) mod monotone;
pub mod sensitivity;
pub(crate) mod text;
pub mod uncertain;
#[cfg(test)]
mod uncertain_fx_tests;
pub mod units;
pub mod work;

pub use error::{Error, InputError, Reason};
pub use impact::{Impact, calculate};
pub use work::{Meter, StopSignal, Stopped};
