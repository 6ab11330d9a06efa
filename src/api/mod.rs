//! The gRPC layer: each RPC is a plain function over a [`Context`] and its request, in its
//! own module (`calculate`, `compare`, `sensitivity`, `batch`, `bom_csv`), which validates the request
//! into a plan that knows its cost, then runs it; the tonic services are thin adapters that
//! run those plans under the server's [`guard`]. No costing rule lives here.

pub(crate) mod batch;
pub mod bom_csv;
pub mod budget;
pub mod calculate;
pub mod capacity;
pub(crate) mod catalog_service;
pub mod compare;
pub(crate) mod cost_impact_service;
pub(crate) mod coverage;
pub(crate) mod error;
pub mod guard;
pub(crate) mod lookup;
pub(crate) mod resolve;
pub(crate) mod response;
pub mod sensitivity;

pub use catalog_service::CatalogApi;
pub use cost_impact_service::CostImpactApi;
pub use error::ApiError;

use crate::catalog::Catalog;
use crate::convert::Limits;
use std::sync::Arc;

/// What every RPC needs besides its request: the presets and the request limits.
#[derive(Debug, Clone)]
pub struct Context {
    /// Presets.
    pub catalog: Arc<Catalog>,
    /// Request limits (BOM size and depth, scenarios, sensitivity inputs).
    pub limits: Limits,
}
