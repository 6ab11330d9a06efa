//! The names of what the server reports about itself, shared by the code that reports (the
//! guards, the batch stream, the telemetry layer) and the server's telemetry, which installs
//! the recorder and the log subscriber that receive it.
//!
//! **Privacy.** Logs, metric labels and spans carry request ids, sizes, durations and status
//! codes only. BOM contents, prices, catalog ids and status messages (which name fields, ids
//! and values) are logged only under the [`DETAILS`] target, which is off unless the operator
//! opts in (`serve --log-request-details`): a cost model is often confidential, an operator's
//! log pipeline often is not. Metric label values are fixed names (methods the server serves,
//! code names, resource and budget names), never taken from a request.

/// The log target of events that carry request contents.
pub const DETAILS: &str = "tariff_impact::details";

/// Calls by method (`rpc`) and final status code (`code`).
pub const REQUESTS: &str = "tariff_rpc_requests_total";
/// Call latency by method, to the end of the response (a stream's whole life).
pub const DURATION: &str = "tariff_rpc_duration_seconds";
/// Calls in flight by method.
pub const IN_FLIGHT: &str = "tariff_rpc_in_flight";
/// Calls shed because a shared resource was fully in use, by `resource`.
pub const SHED: &str = "tariff_calls_shed_total";
/// Calls refused because they would exceed a budget, by `budget`.
pub const REFUSED: &str = "tariff_calls_refused_total";
/// Batch items answered, by `outcome` (`OK` or the item's error code).
pub const BATCH_ITEMS: &str = "tariff_batch_items_total";
/// The saved catalog's change sequence this replica serves.
pub const CATALOG_VERSION: &str = "tariff_catalog_version";
/// Saved objects this replica serves (latest versions; presets not counted).
pub const CATALOG_SAVED: &str = "tariff_catalog_saved_objects";
/// Always 1, labelled with the build's version.
pub const BUILD_INFO: &str = "tariff_build_info";
