//! The Prometheus recorder every `metrics::` call of the process reports to, with the help
//! texts and histogram buckets of the names in [`crate::observe`]. The code that counts (the
//! telemetry layer, the guards, the batch stream) uses the `metrics` macros with those names;
//! without a recorder (no `--admin-listen`) they cost next to nothing.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

use crate::observe::{
    BATCH_ITEMS, BUILD_INFO, CATALOG_SAVED, CATALOG_VERSION, DURATION, IN_FLIGHT, REFUSED,
    REQUESTS, SHED,
};

/// Latency buckets, seconds: from a cached small call (0.5 ms) to the longest call (30 s).
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

/// The process's recorder, installed on first use. A process has one global recorder; a
/// second server in the same process (tests) shares it.
pub fn handle() -> Result<&'static PrometheusHandle, String> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.into()), &LATENCY_BUCKETS)
                .map_err(|e| e.to_string())?
                .install_recorder()
                .map_err(|e| format!("installing the metrics recorder: {e}"))?;
            describe();
            metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            Ok(handle)
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        REQUESTS,
        "Calls by method (rpc) and final gRPC status code (code)."
    );
    describe_histogram!(
        DURATION,
        Unit::Seconds,
        "Call latency by method, to the end of the response (a stream's whole life)."
    );
    describe_gauge!(IN_FLIGHT, "Calls in flight by method.");
    describe_counter!(
        SHED,
        "Calls shed (RESOURCE_EXHAUSTED, retryable) because a shared resource was fully in use."
    );
    describe_counter!(
        REFUSED,
        "Calls refused (RESOURCE_EXHAUSTED, not retryable) because they would exceed a budget."
    );
    describe_counter!(BATCH_ITEMS, "CalculateBatch items answered, by outcome.");
    describe_gauge!(
        CATALOG_VERSION,
        "Change sequence of the saved catalog this replica serves (0: none saved)."
    );
    describe_gauge!(CATALOG_SAVED, "Saved catalog objects this replica serves.");
    describe_gauge!(BUILD_INFO, "Always 1; the version label names the build.");
}
