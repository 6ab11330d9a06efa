//! `tariff-impact`: the command-line entry point. `serve` starts the gRPC server with the
//! built-in presets (plus any `--catalog DIR`); `calc` computes one request locally;
//! `presets` lists the presets.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tariff_impact::api::budget::Budgets;
use tariff_impact::api::capacity::CapacitySettings;
use tariff_impact::catalog::Catalog;
use tariff_impact::cli::{self, CalcArgs, CalcError, OptionFlags};
use tariff_impact::client;
use tariff_impact::convert::Limits;
use tariff_impact::pb;
use tariff_impact::server::connections::ConnectionSettings;
use tariff_impact::server::telemetry::subscriber::{self, LogSettings};
use tariff_impact::server::{ServerConfig, Storage, TlsFiles};

/// The allocator of every command: see `Cargo.toml` for why not the system's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    version,
    about = "Exact per-unit cost impact of material prices and tariffs on a bill of materials"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the gRPC server.
    Serve(ServeCli),
    /// Compute one calculation locally (no server) and print a table or JSON.
    Calc(CalcCli),
    /// List the presets (built-in plus --catalog) and exit; validates catalog files.
    Presets {
        /// Directory with more presets.
        #[arg(long, env = "TARIFF_CATALOG")]
        catalog: Option<PathBuf>,
    },
    /// Official US tariff data.
    Hts {
        #[command(subcommand)]
        command: HtsCommand,
    },
    /// Ask a server's gRPC health service whether it serves: exit 0 when SERVING (for a
    /// container's HEALTHCHECK and scripts).
    Health {
        /// The server, host:port or a URL.
        #[arg(long, default_value = "127.0.0.1:50051")]
        addr: String,
        /// The service to ask about ("" for the whole server).
        #[arg(long, default_value = "")]
        service: String,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3)]
        timeout_seconds: u64,
    },
    /// Spread a batch over several replicas (client-side load balancing): items of a replica
    /// that dies go to another; every item is answered exactly once; prints a JSON report
    /// with the fleet totals.
    Batch(BatchCli),
    /// The saved catalog: export it to, or import it from, a directory of JSON files (the
    /// layout --catalog reads).
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Write the latest version of every saved object to OUT/<kind>/<id>.json.
    Export {
        #[command(flatten)]
        db: DatabaseArgs,
        /// Directory to write into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Save every file under DIR as a new version (unchanged objects are skipped); every
    /// file is validated first and nothing is written if one is invalid.
    Import {
        /// Directory in the layout `catalog export` writes.
        dir: PathBuf,
        #[command(flatten)]
        db: DatabaseArgs,
        /// The server's --catalog directory: its preset ids are refused too.
        #[arg(long, env = "TARIFF_CATALOG")]
        catalog: Option<PathBuf>,
    },
}

/// Which catalog database: the SQLite store under --data-dir, or PostgreSQL.
#[derive(clap::Args)]
struct DatabaseArgs {
    /// Data directory of the embedded catalog store (SQLite).
    #[arg(long, env = "TARIFF_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// PostgreSQL URL of the catalog (instead of --data-dir).
    #[arg(long, env = "TARIFF_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

impl DatabaseArgs {
    fn database(&self) -> cli::catalog::Database {
        match &self.database_url {
            Some(url) => cli::catalog::Database::Postgres(url.clone()),
            None => cli::catalog::Database::Sqlite(self.data_dir.clone()),
        }
    }
}

/// Where `serve` keeps saved catalog objects unless told otherwise: relative to the working
/// directory, so `cargo run -- serve` works with no setup.
const DEFAULT_DATA_DIR: &str = "tariff-impact-data";

#[derive(Subcommand)]
enum HtsCommand {
    /// Read a USITC HTS export (JSON, bare array or wrapped) and write its MFN rates (and,
    /// given product lists, their chapter 99 measures) as a catalog schedule
    /// (OUT/tariff_schedules/ID.json), reporting every line and heading not imported.
    Import {
        /// The export file.
        file: PathBuf,
        /// Catalog directory to write into (load it with --catalog).
        #[arg(long)]
        out: PathBuf,
        /// Schedule id.
        #[arg(long, default_value = "us-hts-mfn")]
        id: String,
        /// As-of date (YYYY-MM-DD); default: the export's fetched_at.
        #[arg(long)]
        as_of_date: Option<String>,
        /// Source of the data; default: the export's source.
        #[arg(long)]
        source: Option<String>,
        /// Section 301 product lists (CSV `hts8,list,ch99_code`): adds one Section 301
        /// measure per chapter 99 heading, rated and dated by the heading's row of the export.
        #[arg(long, value_name = "CSV")]
        section_301: Option<PathBuf>,
        /// A schedule file (JSON) whose fees (MPF, HMF) the schedule takes, with their
        /// sources: the HTS does not carry user fees.
        #[arg(long, value_name = "SCHEDULE")]
        fees_from: Option<PathBuf>,
        /// The special (preference) programs an import may claim (JSON array of
        /// PreferenceProgram: code, name, origins, lapsed_from, source).
        #[arg(long, value_name = "JSON")]
        preference_programs: Option<PathBuf>,
        /// Chapter 99 measures compiled from the U.S. notes (JSON array of Measure, e.g.
        /// data/us-tariff/chapter99_measures.json); each whose id is a heading of the export
        /// must agree with that heading's rate text.
        #[arg(long, value_name = "JSON")]
        measures: Option<PathBuf>,
        /// Programs the data does not carry and the imports they may concern (JSON array of
        /// KnownGap, e.g. data/us-tariff/known_gaps.json: antidumping orders, proclamations
        /// not compiled); a costing reports each as a coverage gap.
        #[arg(long, value_name = "JSON")]
        known_gaps: Option<PathBuf>,
        /// Section 232 derivative products (CSV hts_prefix,ch99_code,derivative_type,
        /// effective_date); needs --section-232-rates.
        #[arg(long, value_name = "CSV", requires = "section_232_rates")]
        section_232_derivatives: Option<PathBuf>,
        /// The derivative headings' rates over time (CSV ch99_heading,metal,rate_percent,
        /// effective_from,effective_to,excluded_origins,source).
        #[arg(long, value_name = "CSV", requires = "section_232_derivatives")]
        section_232_rates: Option<PathBuf>,
        /// Estimated metal shares per HTS10 (CSV with hs10, steel_share, aluminum_share), kept
        /// for the codes the schedule's metal-content measures cover; a request uses them only
        /// when it asks to (estimate_metal_content).
        #[arg(long, value_name = "CSV", requires = "metal_shares_source")]
        metal_shares: Option<PathBuf>,
        /// Where the metal-share estimates come from, named wherever one is used.
        #[arg(long, value_name = "TEXT", requires = "metal_shares")]
        metal_shares_source: Option<String>,
    },
}

/// The defaults of `serve`, all from [`ServerConfig::default`]: one source for every default.
fn d() -> ServerConfig {
    ServerConfig::default()
}

fn secs(d: Duration) -> u64 {
    d.as_secs()
}

fn mib(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}

/// `serve`: every setting has a flag and an environment variable, and a production default.
#[derive(clap::Args)]
struct ServeCli {
    /// Address to listen on.
    #[arg(long, env = "TARIFF_LISTEN", default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
    /// Directory with more presets (boms/, price_decks/, tariff_schedules/ of *.json).
    #[arg(long, env = "TARIFF_CATALOG")]
    catalog: Option<PathBuf>,
    /// A USITC HTS export (JSON: the bare array hts.usitc.gov serves, or a wrapped extract)
    /// to compile at start with the chapter 99 data shipped in the binary (the inputs of
    /// us-hts-2026) and serve as schedule --hts-export-id: a newer export without a rebuild.
    #[arg(long, env = "TARIFF_HTS_EXPORT")]
    hts_export: Option<PathBuf>,
    /// Schedule id of --hts-export.
    #[arg(long, env = "TARIFF_HTS_EXPORT_ID", default_value = "us-hts")]
    hts_export_id: String,
    /// As-of date of --hts-export (YYYY-MM-DD); required for a bare export, which has no
    /// fetched_at.
    #[arg(long, env = "TARIFF_HTS_EXPORT_AS_OF")]
    hts_export_as_of: Option<String>,
    /// Source of --hts-export; required for a bare export, which names none.
    #[arg(long, env = "TARIFF_HTS_EXPORT_SOURCE")]
    hts_export_source: Option<String>,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "TARIFF_JSON_LOGS")]
    json_logs: bool,
    /// Largest request message in bytes (larger: RESOURCE_EXHAUSTED).
    #[arg(long, env = "TARIFF_MAX_REQUEST_BYTES", default_value_t = d().max_request_bytes)]
    max_request_bytes: usize,
    /// Largest response message in bytes (larger: RESOURCE_EXHAUSTED before it is sent).
    #[arg(long, env = "TARIFF_MAX_RESPONSE_BYTES", default_value_t = d().budgets.max_response_bytes)]
    max_response_bytes: u64,
    /// Most units of work one call may take (estimated before it runs, counted while it runs).
    #[arg(long, env = "TARIFF_MAX_CALL_WORK", default_value_t = d().budgets.max_call_work)]
    max_call_work: u64,
    /// Most memory one call may hold, in MiB.
    #[arg(long, env = "TARIFF_MAX_CALL_MEMORY_MIB", default_value_t = mib(d().budgets.max_call_memory))]
    max_call_memory_mib: u64,
    /// Memory lent to requests and calculations at once, in MiB; beyond it calls are shed.
    #[arg(long, env = "TARIFF_MAX_MEMORY_MIB", default_value_t = mib(d().capacity.memory_bytes))]
    max_memory_mib: u64,
    /// Most BOM items after expanding shared assemblies.
    #[arg(long, env = "TARIFF_MAX_BOM_ITEMS", default_value_t = d().limits.max_items)]
    max_bom_items: usize,
    /// Deepest BOM nesting.
    #[arg(long, env = "TARIFF_MAX_BOM_DEPTH", default_value_t = d().limits.max_depth)]
    max_bom_depth: usize,
    /// Most scenarios per CompareScenarios call.
    #[arg(long, env = "TARIFF_MAX_SCENARIOS", default_value_t = d().limits.max_scenarios)]
    max_scenarios: usize,
    /// Most uncertain inputs per AnalyzeSensitivity call.
    #[arg(long, env = "TARIFF_MAX_SENSITIVITY_INPUTS", default_value_t = d().limits.max_inputs)]
    max_sensitivity_inputs: usize,
    /// Most changes in one schedule overlay.
    #[arg(long, env = "TARIFF_MAX_OVERLAY_CHANGES", default_value_t = d().limits.max_overlay_changes)]
    max_overlay_changes: usize,
    /// Most schedule entries (measures, fees, incentives, programs, special rates and the codes
    /// they list) the schedule overlays of one request may rebuild.
    #[arg(long, env = "TARIFF_MAX_OVERLAY_ENTRIES", default_value_t = d().limits.max_overlay_entries)]
    max_overlay_entries: usize,
    /// Calls in flight on the tariff services at once; more are shed when their headers arrive.
    #[arg(long, env = "TARIFF_MAX_CONCURRENT_CALLS", default_value_t = d().capacity.max_calls)]
    max_concurrent_calls: usize,
    /// Of those, calls with a message over 16 KiB; more are shed when their length arrives.
    #[arg(long, env = "TARIFF_MAX_LARGE_CALLS", default_value_t = d().capacity.max_large_calls)]
    max_large_calls: usize,
    /// Heavy calculations on the worker pool at once (default: twice the CPUs); more are shed.
    #[arg(long, env = "TARIFF_MAX_CONCURRENT_CALCULATIONS", default_value_t = d().capacity.max_calculations)]
    max_concurrent_calculations: usize,
    /// Open CalculateBatch streams at once; more are shed.
    #[arg(long, env = "TARIFF_MAX_BATCH_STREAMS", default_value_t = d().capacity.max_batch_streams)]
    max_batch_streams: usize,
    /// Seconds a batch stream may wait for a request, or for its client to read, before it
    /// is closed.
    #[arg(long, env = "TARIFF_BATCH_IDLE_SECONDS", default_value_t = secs(d().batch_idle_timeout))]
    batch_idle_seconds: u64,
    /// Longest a calculation may run, whatever the client's deadline (seconds).
    #[arg(long, env = "TARIFF_MAX_CALL_SECONDS", default_value_t = secs(d().max_call_duration))]
    max_call_seconds: u64,
    /// HTTP/2 streams per connection.
    #[arg(long, env = "TARIFF_MAX_CONCURRENT_STREAMS", default_value_t = d().max_concurrent_streams)]
    max_concurrent_streams: u32,
    /// Connections open at once; more are closed as they arrive.
    #[arg(long, env = "TARIFF_MAX_CONNECTIONS", default_value_t = d().connections.max_connections)]
    max_connections: usize,
    /// Seconds a new connection may take to send its first request.
    #[arg(long, env = "TARIFF_HANDSHAKE_TIMEOUT_SECONDS", default_value_t = secs(d().connections.handshake_timeout))]
    handshake_timeout_seconds: u64,
    /// Seconds a connection may stay open without a stream.
    #[arg(long, env = "TARIFF_IDLE_TIMEOUT_SECONDS", default_value_t = secs(d().connections.idle_timeout))]
    idle_timeout_seconds: u64,
    /// Seconds health reports NOT_SERVING before the listener closes on shutdown.
    #[arg(long, env = "TARIFF_DRAIN_GRACE_SECONDS", default_value_t = secs(d().drain_grace))]
    drain_grace_seconds: u64,
    /// Seconds in-flight calls get to finish after the listener closes; then they are stopped.
    #[arg(long, env = "TARIFF_DRAIN_TIMEOUT_SECONDS", default_value_t = secs(d().drain_timeout))]
    drain_timeout_seconds: u64,
    /// Also serve grpc.health.v1 alone on this address, on a thread of its own (for probes).
    #[arg(long, env = "TARIFF_HEALTH_LISTEN")]
    health_listen: Option<SocketAddr>,
    /// Serve Prometheus /metrics, /livez and /readyz over HTTP on this address (off by
    /// default; it takes no token: loopback or a cluster-only port).
    #[arg(long, env = "TARIFF_ADMIN_LISTEN")]
    admin_listen: Option<SocketAddr>,
    /// Export spans over OTLP/gRPC to this collector, e.g. http://127.0.0.1:4317.
    #[arg(long, env = "TARIFF_OTLP_ENDPOINT")]
    otlp_endpoint: Option<String>,
    /// Log request contents (error messages naming fields and values, catalog ids): off by
    /// default, since BOMs and prices are often confidential.
    #[arg(long, env = "TARIFF_LOG_REQUEST_DETAILS")]
    log_request_details: bool,
    /// This replica's name in the x-tariff-instance response header (default: $HOSTNAME,
    /// a pod's name, else pid-N).
    #[arg(long, env = "TARIFF_INSTANCE_ID")]
    instance_id: Option<String>,
    /// Turn server reflection off.
    #[arg(long, env = "TARIFF_NO_REFLECTION")]
    no_reflection: bool,
    /// TLS certificate chain (PEM); with --tls-key enables TLS.
    #[arg(long, env = "TARIFF_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "TARIFF_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// CA (PEM) that client certificates must chain to: enables mutual TLS.
    #[arg(long, env = "TARIFF_TLS_CLIENT_CA", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// Bearer token required on the tariff services (prefer the environment variable).
    #[arg(long, env = "TARIFF_AUTH_TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// Also serve the benchmark echo service (for scripts/bench_load.sh).
    #[arg(long, hide = true)]
    bench_echo: bool,
    /// Directory of the embedded catalog store (an SQLite file, created if missing): saved
    /// BOMs, decks, schedules and overlays. One server instance only: replicas sharing a
    /// catalog use --database-url.
    #[arg(long, env = "TARIFF_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// PostgreSQL URL of a catalog shared by several replicas (instead of --data-dir),
    /// e.g. postgres://user:password@host/db (prefer the environment variable).
    #[arg(long, env = "TARIFF_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Keep no catalog store: the presets only, catalog writes answered FAILED_PRECONDITION.
    #[arg(
        long,
        env = "TARIFF_READ_ONLY_CATALOG",
        conflicts_with = "database_url"
    )]
    read_only_catalog: bool,
    /// With a bearer token: calculations and catalog reads need none; catalog writes still do.
    #[arg(long, env = "TARIFF_OPEN_READS")]
    open_reads: bool,
    /// Most live saved objects in the catalog, all kinds together.
    #[arg(long, env = "TARIFF_MAX_CATALOG_OBJECTS", default_value_t = d().store_limits.max_objects)]
    max_catalog_objects: usize,
    /// Largest saved object (its proto3 JSON), in bytes.
    #[arg(long, env = "TARIFF_MAX_CATALOG_OBJECT_BYTES", default_value_t = d().store_limits.max_body_bytes)]
    max_catalog_object_bytes: usize,
}

impl ServeCli {
    fn config(&self) -> ServerConfig {
        let d = ServerConfig::default();
        let mib = |n: u64| n.saturating_mul(1024 * 1024);
        ServerConfig {
            limits: Limits {
                max_depth: self.max_bom_depth,
                max_items: self.max_bom_items,
                max_scenarios: self.max_scenarios,
                max_inputs: self.max_sensitivity_inputs,
                max_overlay_changes: self.max_overlay_changes,
                max_overlay_entries: self.max_overlay_entries,
            },
            budgets: Budgets {
                max_call_work: self.max_call_work,
                max_call_memory: mib(self.max_call_memory_mib),
                max_response_bytes: self.max_response_bytes,
            },
            capacity: CapacitySettings {
                max_calls: self.max_concurrent_calls.max(1),
                max_large_calls: self.max_large_calls.max(1),
                max_batch_streams: self.max_batch_streams.max(1),
                max_calculations: self.max_concurrent_calculations.max(1),
                memory_bytes: mib(self.max_memory_mib),
            },
            connections: ConnectionSettings {
                max_connections: self.max_connections.max(1),
                handshake_timeout: Duration::from_secs(self.handshake_timeout_seconds),
                idle_timeout: Duration::from_secs(self.idle_timeout_seconds),
                ..d.connections
            },
            max_request_bytes: self.max_request_bytes,
            max_call_duration: Duration::from_secs(self.max_call_seconds),
            batch_idle_timeout: Duration::from_secs(self.batch_idle_seconds),
            max_concurrent_streams: self.max_concurrent_streams,
            drain_grace: Duration::from_secs(self.drain_grace_seconds),
            drain_timeout: Duration::from_secs(self.drain_timeout_seconds),
            health_listen: self.health_listen,
            reflection: !self.no_reflection,
            tls: match (&self.tls_cert, &self.tls_key) {
                (Some(cert), Some(key)) => Some(TlsFiles {
                    cert: cert.clone(),
                    key: key.clone(),
                    client_ca: self.tls_client_ca.clone(),
                }),
                _ => None,
            },
            auth_token: self.auth_token.clone(),
            bench_echo: self.bench_echo,
            storage: match (&self.database_url, self.read_only_catalog) {
                (Some(url), _) => Storage::Postgres(url.clone()),
                (None, true) => Storage::None,
                (None, false) => Storage::Sqlite(self.data_dir.clone()),
            },
            open_reads: self.open_reads,
            admin_listen: self.admin_listen,
            instance_id: self.instance_id.clone().unwrap_or(d.instance_id.clone()),
            store_limits: tariff_impact::store::StoreLimits {
                max_objects: self.max_catalog_objects,
                max_body_bytes: self.max_catalog_object_bytes,
                ..d.store_limits
            },
            ..d
        }
    }
}

/// `batch`: a file of CalculateBatchRequest lines over `--servers`.
#[derive(clap::Args)]
struct BatchCli {
    /// The replicas, comma-separated host:port or URLs (e.g. the pods behind a headless
    /// Service).
    #[arg(long, value_delimiter = ',', required = true)]
    servers: Vec<String>,
    /// One CalculateBatchRequest per line in proto3 JSON; a missing requestId becomes line-N.
    file: PathBuf,
    /// Write every answer here, one JSON line each ({"requestId", "instance", "result" or
    /// "error"}), in the order they arrive.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Streams at once (default: two per replica).
    #[arg(long)]
    streams: Option<usize>,
    /// Items per stream.
    #[arg(long, default_value_t = 500)]
    chunk: usize,
    /// Unanswered items one stream holds at most: what a replica that dies can take with it.
    #[arg(long, default_value_t = 64)]
    window: usize,
    /// Sends of one item before it is given up.
    #[arg(long, default_value_t = 5)]
    max_attempts: u32,
    /// Bearer token of the servers (prefer the environment variable).
    #[arg(long, env = "TARIFF_AUTH_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// `calc`: a request in JSON, or a BOM in CSV with presets and options from flags. With
/// `--request`, the source and option flags override the file's values (none is ignored)
/// and the CSV BOM's own flags (`--bom-id`, `--currency`) are refused.
#[derive(clap::Args)]
struct CalcCli {
    /// A CalculateImpactRequest in proto3 JSON, as sent with grpcurl (`-` reads stdin); the
    /// source and option flags below override its values.
    #[arg(long, conflicts_with = "bom_csv")]
    request: Option<String>,
    /// A BOM in CSV (columns in the README).
    #[arg(long)]
    bom_csv: Option<String>,
    /// Id of the CSV BOM (default: the file name without extension); not with --request.
    #[arg(long)]
    bom_id: Option<String>,
    /// Currency of the CSV BOM (default: USD); not with --request.
    #[arg(long)]
    currency: Option<String>,
    /// Baseline prices: a preset id or a price deck .json file.
    #[arg(long)]
    baseline_prices: Option<String>,
    /// Scenario prices: a preset id or a .json file (default: the baseline prices).
    #[arg(long)]
    scenario_prices: Option<String>,
    /// Baseline tariff schedule: a preset id or a .json file.
    #[arg(long)]
    baseline_schedule: Option<String>,
    /// Scenario tariff schedule: a preset id or a .json file (default: the baseline's).
    #[arg(long)]
    scenario_schedule: Option<String>,
    /// Entry date YYYY-MM-DD.
    #[arg(long)]
    entry_date: Option<String>,
    /// Scenario entry date YYYY-MM-DD.
    #[arg(long)]
    scenario_entry_date: Option<String>,
    /// Units of product per customs entry (default: 1, which lets a per-entry fee minimum
    /// weigh on one unit alone).
    #[arg(long)]
    units_per_entry: Option<String>,
    /// Units per year.
    #[arg(long)]
    annual_volume: Option<String>,
    /// Rounding mode (default: the request's, else half-up).
    #[arg(long, value_parser = ["half-up", "half-even"])]
    rounding: Option<String>,
    /// Fail when a schedule does not cover a dutied import (no MFN rate or no duty at all)
    /// instead of answering with the gaps listed.
    #[arg(long)]
    require_coverage: bool,
    /// Where an import under a metal-content measure declares no metal share, use the
    /// schedule's estimated share (labelled as an estimate) instead of the full value.
    #[arg(long)]
    estimate_metal_content: bool,
    /// A known gap of the schedules (e.g. ad-cvd) checked for this product: still listed,
    /// marked acknowledged, and not refused by --require-coverage. Repeatable; added to a
    /// request's own.
    #[arg(long = "acknowledge-gap", value_name = "ID")]
    acknowledged_gaps: Vec<String>,
    /// Output format: a table, the JSON response, or a flat export for spreadsheets (one CSV
    /// with a `table` column, or an XLSX workbook with a sheet per table; see the README).
    #[arg(long, value_parser = ["table", "json", "csv", "xlsx"], default_value = "table")]
    format: String,
    /// Write the output to FILE instead of standard output; required for xlsx (`-` for
    /// standard output).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Directory with more presets.
    #[arg(long, env = "TARIFF_CATALOG")]
    catalog: Option<PathBuf>,
}

fn run_serve(serve: ServeCli) -> ExitCode {
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    // The span exporter's connection lives on the server's runtime.
    let logging = LogSettings {
        json: serve.json_logs,
        request_details: serve.log_request_details,
        otlp_endpoint: serve.otlp_endpoint.clone(),
    };
    let exporting = match runtime.block_on(async { subscriber::init(&logging) }) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let catalog = match load_catalog(serve.catalog.as_ref()).and_then(|c| with_export(c, &serve)) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = serve.config();
    let listen = serve.listen;
    let result = runtime.block_on(async move {
        // Before anything is announced: a SIGTERM from here on drains.
        let shutdown = tariff_impact::server::shutdown_signal();
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        tariff_impact::server::run(listener, catalog, config, shutdown)
            .await
            .map_err(|e| e.to_string())
    });
    // The last spans, while the exporter's runtime still runs.
    exporting.shutdown(Duration::from_secs(5));
    // Blocking work still running was told to stop at the end of the drain; do not wait
    // for a straggler longer than this.
    runtime.shutdown_timeout(Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_calc(c: CalcCli) -> ExitCode {
    if c.format == "xlsx" && c.output.is_none() {
        eprintln!(
            "error: --format xlsx writes a binary workbook: give --output FILE (or - for standard output)"
        );
        return ExitCode::from(2);
    }
    let catalog = match load_catalog(c.catalog.as_ref()) {
        Ok(cat) => Arc::new(cat),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args = CalcArgs {
        request: c.request,
        bom_csv: c.bom_csv,
        bom_id: c.bom_id,
        currency: c.currency,
        baseline_prices: c.baseline_prices,
        scenario_prices: c.scenario_prices,
        baseline_schedule: c.baseline_schedule,
        scenario_schedule: c.scenario_schedule,
        options: OptionFlags {
            entry_date: c.entry_date,
            scenario_entry_date: c.scenario_entry_date,
            units_per_entry: c.units_per_entry,
            annual_volume: c.annual_volume,
            rounding: c.rounding.map(|r| {
                if r == "half-even" {
                    pb::RoundingMode::HalfEven
                } else {
                    pb::RoundingMode::HalfUp
                }
            }),
            require_coverage: c.require_coverage,
            estimate_metal_content: c.estimate_metal_content,
            acknowledged_gaps: c.acknowledged_gaps,
        },
    };
    match cli::calc_output(catalog, &args, &c.format) {
        Ok(bytes) => match write_output(c.output.as_ref(), &bytes) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Err(CalcError::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(CalcError::Rejected(lines)) => {
            for l in lines {
                eprintln!("{l}");
            }
            ExitCode::from(2)
        }
        Err(CalcError::Output(e)) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes `bytes` to `path`, or to standard output when none is given or it is `-`.
fn write_output(path: Option<&PathBuf>, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    match path {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::write(p, bytes).map_err(|e| format!("{}: {e}", p.display()))
        }
        _ => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .map_err(|e| format!("standard output: {e}"))
        }
    }
}

/// `catalog` with the schedule compiled from `serve --hts-export`, if given; its report is
/// logged, every line and heading left out with its reason.
fn with_export(mut catalog: Catalog, serve: &ServeCli) -> Result<Catalog, String> {
    let Some(path) = &serve.hts_export else {
        return Ok(catalog);
    };
    let json = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let report = catalog
        .add_hts_export(
            &path.display().to_string(),
            &json,
            &serve.hts_export_id,
            serve.hts_export_as_of.clone(),
            serve.hts_export_source.clone(),
        )
        .map_err(|e| e.to_string())?;
    for line in report.lines() {
        tracing::info!(schedule = %serve.hts_export_id, "{line}");
    }
    Ok(catalog)
}

/// The tokio runtime of a command, or the exit code after saying why there is none.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Runtime::new().map_err(|e| {
        eprintln!("error: cannot start the runtime: {e}");
        ExitCode::FAILURE
    })
}

fn run_health(addr: &str, service: &str, timeout: Duration) -> ExitCode {
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match runtime.block_on(client::health::check(addr, service, timeout)) {
        Ok(status) => {
            println!("{}", status.as_str_name());
            if status == tonic_health::pb::health_check_response::ServingStatus::Serving {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_batch(b: BatchCli) -> ExitCode {
    // Replicas leaving and streams retried are told on standard error; the report is stdout.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(tracing::Level::WARN)
        .try_init();
    let file = match std::fs::File::open(&b.file) {
        Ok(f) => std::io::BufReader::new(f),
        Err(e) => {
            eprintln!("error: {}: {e}", b.file.display());
            return ExitCode::FAILURE;
        }
    };
    let items = match client::batch::input::read(file) {
        Ok(items) => items,
        Err(e) => {
            eprintln!("error: {}: {e}", b.file.display());
            return ExitCode::FAILURE;
        }
    };
    let out: Option<Box<dyn std::io::Write + Send>> = match &b.out {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Some(Box::new(std::io::BufWriter::new(f))),
            Err(e) => {
                eprintln!("error: --out {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let mut options = client::batch::Options::new(b.servers);
    options.streams = b.streams.unwrap_or(options.streams);
    options.chunk = b.chunk;
    options.window = b.window;
    options.max_attempts = b.max_attempts;
    options.token = b.token;
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match runtime.block_on(client::batch::run(items, options, out, None)) {
        Ok(report) => {
            match serde_json::to_string_pretty(&report) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("error: {e}"),
            }
            if report.gave_up == 0 {
                ExitCode::SUCCESS
            } else {
                eprintln!("error: {} items were given up unanswered", report.gave_up);
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_catalog(command: CatalogCommand) -> ExitCode {
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let result = runtime.block_on(async move {
        match command {
            CatalogCommand::Export { db, out } => cli::catalog::export(&db.database(), &out).await,
            CatalogCommand::Import { dir, db, catalog } => {
                cli::catalog::import(&db.database(), &dir, catalog.as_deref()).await
            }
        }
    });
    match result {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_catalog(dir: Option<&PathBuf>) -> Result<Catalog, String> {
    let mut catalog = Catalog::builtin().map_err(|e| format!("built-in {e}"))?;
    if let Some(dir) = dir {
        catalog.load_dir(dir).map_err(|e| e.to_string())?;
    }
    Ok(catalog)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(serve) => run_serve(serve),
        Command::Calc(c) => run_calc(c),
        Command::Hts {
            command:
                HtsCommand::Import {
                    file,
                    out,
                    id,
                    as_of_date,
                    source,
                    section_301,
                    fees_from,
                    preference_programs,
                    measures,
                    known_gaps,
                    section_232_derivatives,
                    section_232_rates,
                    metal_shares,
                    metal_shares_source,
                },
        } => match cli::hts::import(&cli::hts::ImportArgs {
            file,
            out,
            id,
            as_of_date,
            source,
            section_301,
            fees_from,
            preference_programs,
            measures,
            section_232: section_232_derivatives.zip(section_232_rates),
            metal_shares: metal_shares.zip(metal_shares_source),
            known_gaps,
        }) {
            Ok(report) => {
                print!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Catalog { command } => run_catalog(command),
        Command::Health {
            addr,
            service,
            timeout_seconds,
        } => run_health(&addr, &service, Duration::from_secs(timeout_seconds)),
        Command::Batch(b) => run_batch(b),
        Command::Presets { catalog } => match load_catalog(catalog.as_ref()) {
            Ok(c) => {
                for b in c.boms() {
                    println!("{:<16} {:<30} {}", "bom", b.proto.id, b.proto.name);
                }
                for d in c.price_decks() {
                    println!(
                        "price_deck       {:<30} {} (as of {})",
                        d.proto.id, d.proto.name, d.proto.as_of_date
                    );
                }
                for s in c.tariff_schedules() {
                    println!(
                        "tariff_schedule  {:<30} {} (as of {})",
                        s.proto.id, s.proto.name, s.proto.as_of_date
                    );
                }
                for d in c.fx_decks() {
                    println!(
                        "fx_deck          {:<30} {} (as of {})",
                        d.proto.id, d.proto.name, d.proto.as_of_date
                    );
                }
                for h in c.headers(tariff_impact::catalog::Kind::ScheduleOverlay) {
                    // An overlay has no name: its description's first sentence says what it adds.
                    let first = h.description.split([':', '(']).next().unwrap_or_default();
                    println!(
                        "{:<16} {:<30} {}",
                        "schedule_overlay",
                        h.id,
                        first.trim_end()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
