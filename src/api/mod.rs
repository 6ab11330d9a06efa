//! The gRPC layer: each RPC is a plain function over a [`Context`] and its request, in its
//! own module (`calculate`, `compare`, `sensitivity`, `batch`, `bom_csv`), which validates the request
//! into a plan that knows its cost, then runs it; the tonic services are thin adapters that
//! run those plans under the server's [`guard`]. No costing rule lives here.

pub(crate) mod batch;
pub mod bom_csv;
pub mod budget;
pub mod calculate;
pub mod capacity;
pub(crate) mod catalog_objects;
pub(crate) mod catalog_service;
pub mod compare;
pub(crate) mod cost_impact_service;
pub(crate) mod coverage;
pub(crate) mod error;
pub mod guard;
pub(crate) mod lookup;
pub(crate) mod overlaid;
pub(crate) mod refs;
pub(crate) mod resolve;
pub(crate) mod response;
pub(crate) mod response_wire;
pub mod sensitivity;

pub use catalog_service::{CatalogApi, WriteCheck};
pub use cost_impact_service::CostImpactApi;
pub use error::ApiError;

use crate::catalog::live::{MAX_PINNED, PinError};
use crate::catalog::{Catalog, Catalogs};
use crate::convert::Limits;
use std::sync::Arc;

/// What every RPC needs besides its request: the catalog and the request limits.
#[derive(Debug, Clone)]
pub struct Context {
    /// The catalog snapshot the call resolves ids in.
    pub catalog: Arc<Catalog>,
    /// Request limits (BOM size and depth, scenarios, sensitivity inputs).
    pub limits: Limits,
    /// The server's live catalog, when it keeps saved objects: each call takes its own
    /// snapshot of it ([`Context::for_request`]). `None`: `catalog` is all there is.
    pub live: Option<Arc<Catalogs>>,
}

impl Context {
    /// A context over presets only.
    pub fn fixed(catalog: Arc<Catalog>, limits: Limits) -> Context {
        Context {
            catalog,
            limits,
            live: None,
        }
    }

    /// The context of one call: the live catalog's current snapshot, with the older
    /// versions `refs` name loaded (the one wait on the database a calculation may have: a
    /// version is cached once loaded).
    pub(crate) async fn for_request(&self, refs: &refs::Refs<'_>) -> Result<Context, ApiError> {
        let Some(live) = &self.live else {
            return Ok(self.clone());
        };
        let catalog = live.pin(live.snapshot(), refs).await.map_err(|e| match e {
            PinError::TooMany { named } => ApiError::from(crate::engine::InputError::new(
                "",
                crate::engine::Reason::OutOfRange,
                format!(
                    "the request names {named} older catalog versions (id@version); at \
                         most {MAX_PINNED} per request"
                ),
            )),
            PinError::Store(e) => {
                tracing::warn!("loading a saved version failed: {e}");
                ApiError::StoreUnavailable
            }
        })?;
        Ok(Context {
            catalog,
            limits: self.limits,
            live: self.live.clone(),
        })
    }
}
