//! The gRPC layer: thin services that resolve presets, convert protobuf into domain values,
//! call the engine and convert results and errors back. No costing rule lives here.

pub mod batch;
pub mod catalog_service;
pub mod compare;
pub mod cost_impact_service;
pub mod error;
pub mod guard;
pub mod resolve;
pub mod response;
pub mod sensitivity;

pub use catalog_service::CatalogApi;
pub use cost_impact_service::CostImpactApi;
pub use error::ApiError;
