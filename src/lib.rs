//! # tariff-impact
//!
//! A gRPC service that computes exactly how much one unit of a product's cost moves when
//! material prices and tariff schedules change, and explains every amount.
//!
//! Components and how data flows between them:
//!
//! - [`pb`]: the `tariff.v1` contract generated from `proto/` (prost messages, tonic services,
//!   proto3-JSON serde impls).
//! - [`convert`]: protobuf -> validated domain values; every violation carries its field path.
//!   Also the CSV BOM reader (`calc --bom-csv` and `CatalogService/ParseBomCsv`).
//! - [`engine`]: the pure calculation: BOM walk, duty stacking, fees, rounding, effect split.
//!   Knows nothing of gRPC.
//! - [`catalog`]: the built-in presets (JSON data files compiled in) and `--catalog DIR`
//!   extras, validated with [`convert`] at start-up.
//! - [`api`]: the tonic services; they resolve presets, convert, call the engine and map
//!   results and errors to protobuf.
//! - [`cli`]: the `calc` command: the same resolution and engine, from JSON or CSV files.
//! - [`export`]: a result flattened into rows for spreadsheets (CSV and XLSX), which add up to
//!   its totals.
//! - [`server`]: wiring: services, reflection (v1 and v1alpha), health, graceful shutdown,
//!   admission before decoding, guarded connections.
//! - [`wire`]: a schema-driven check of protobuf bytes before prost decodes them, and the
//!   codec the services use, which turns malformed messages into INVALID_ARGUMENT with a field
//!   path and refuses messages that would decode to too much memory.
//!
//! A request flows `api` -> `catalog`/`convert` -> `engine` -> `api`.

pub mod api;
pub mod catalog;
pub mod cli;
pub mod client;
pub mod convert;
pub mod engine;
pub mod export;
pub mod hts;
pub mod observe;
pub mod server;
pub mod store;
pub mod wire;

/// Where the generated `tariff.bench.v1` code looks for `tariff.v1` (as `super::super::v1`
/// from `pb::bench`).
mod v1 {
    pub(crate) use crate::pb::*;
}

/// The generated `tariff.v1` protobuf types and services.
pub mod pb {
    #![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
    tonic::include_proto!("tariff.v1");
    include!(concat!(env!("OUT_DIR"), "/tariff.v1.serde.rs"));

    /// Encoded descriptor set of `tariff.v1`, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("tariff_descriptor");

    /// The benchmark-only echo service (`tariff.bench.v1`), served with `serve --bench-echo`.
    pub mod bench {
        #![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]

        /// Encoded descriptor of the echo service, for reflection when it is served.
        pub const FILE_DESCRIPTOR_SET: &[u8] =
            tonic::include_file_descriptor_set!("tariff_bench_descriptor");

        tonic::include_proto!("tariff.bench.v1");
        include!(concat!(env!("OUT_DIR"), "/tariff.bench.v1.serde.rs"));
    }
}
