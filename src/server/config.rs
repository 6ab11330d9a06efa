//! Server settings, each with a production default: request and BOM limits, the budgets every
//! call is measured against, the capacity lent to calls, connection limits, deadlines, HTTP/2
//! guards (set explicitly because the defaults leave several unbounded), the drain on
//! shutdown, TLS and authentication. `ServerConfig::default()` is the one source of every
//! default: the command line takes its defaults from it.

use super::connections::ConnectionSettings;
use crate::api::budget::Budgets;
use crate::api::capacity::CapacitySettings;
use crate::convert::Limits;
use std::path::PathBuf;
use std::time::Duration;

/// TLS files (PEM). With `client_ca`, clients must present a certificate it signed (mTLS).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Server certificate chain.
    pub cert: PathBuf,
    /// Server private key.
    pub key: PathBuf,
    /// CA that client certificates must chain to; `None` means no client certificates.
    pub client_ca: Option<PathBuf>,
}

/// Everything the server needs besides its listener, catalog and shutdown signal.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Request validation limits (BOM size and depth, scenarios, sensitivity inputs).
    pub limits: Limits,
    /// Work, memory and response budgets of one call.
    pub budgets: Budgets,
    /// Calls, batch streams, calculations and memory lent at once; beyond them calls are
    /// shed with RESOURCE_EXHAUSTED.
    pub capacity: CapacitySettings,
    /// Connection limit, handshake and idle timeouts.
    pub connections: ConnectionSettings,
    /// Largest encoded request message; larger ones get RESOURCE_EXHAUSTED.
    pub max_request_bytes: usize,
    /// Longest a calculation may run, whatever the client's deadline.
    pub max_call_duration: Duration,
    /// Longest a batch stream may wait for its next request, or for its client to take a
    /// response, before it is closed.
    pub batch_idle_timeout: Duration,
    /// HTTP/2 streams per connection (clients queue beyond it): with the connection limit,
    /// it bounds the calls the server holds at once, each with its state and buffered data.
    pub max_concurrent_streams: u32,
    /// Streams reset by the client but not yet accepted, per connection (rapid-reset guard).
    pub max_pending_accept_reset_streams: usize,
    /// Streams the server may reset for protocol errors before closing the connection.
    pub max_local_error_reset_streams: usize,
    /// Largest header list a client may send.
    pub max_header_list_size: u32,
    /// HTTP/2 keepalive ping interval.
    pub keepalive_interval: Duration,
    /// How long to wait for a keepalive ping's answer before closing the connection.
    pub keepalive_timeout: Duration,
    /// HTTP/2 flow-control window of one stream: how much a client may send ahead on a
    /// stream the server is not reading (a batch stream whose responses are not read). Small
    /// enough that a stalled stream of small requests (over 52 bytes each) stays within h2's
    /// budget for buffered small frames (half the connection window), so the connection is
    /// not torn down.
    pub stream_window_bytes: u32,
    /// HTTP/2 flow-control window of a connection: what one connection can make the server
    /// buffer, so with the connection limit it bounds the memory of unread request data.
    pub connection_window_bytes: u32,
    /// After a shutdown signal: how long health reports NOT_SERVING while calls are still
    /// accepted, so load balancers stop sending new ones.
    pub drain_grace: Duration,
    /// After the grace: how long in-flight calls may take to finish before they are cut.
    pub drain_timeout: Duration,
    /// Also serve the health service alone on this address, on a thread of its own, for
    /// liveness and readiness probes that must not wait behind a busy main listener.
    pub health_listen: Option<std::net::SocketAddr>,
    /// Serve server reflection (v1 and v1alpha).
    pub reflection: bool,
    /// TLS, if any.
    pub tls: Option<TlsFiles>,
    /// Bearer token required on the tariff services, if any (health and reflection stay open).
    pub auth_token: Option<String>,
    /// Also serve `tariff.bench.v1.EchoService`, the load benchmark's baseline.
    pub bench_echo: bool,
    /// Where saved catalog objects are kept.
    pub storage: Storage,
    /// Size and count limits of the saved catalog.
    pub store_limits: crate::store::StoreLimits,
    /// With a bearer token: calculations and catalog reads need none, catalog writes still do.
    pub open_reads: bool,
    /// Serve `/metrics`, `/livez` and `/readyz` over HTTP on this address (off by default: it
    /// takes no token, so bind it to loopback or a cluster-only port).
    pub admin_listen: Option<std::net::SocketAddr>,
    /// This replica's name in every response's `x-tariff-instance` header: which pod answered.
    pub instance_id: String,
}

/// Where the server keeps the catalog objects saved through `CatalogService`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Storage {
    /// Nowhere: presets only, writes answered FAILED_PRECONDITION.
    #[default]
    None,
    /// An SQLite file under this data directory: no setup, one server instance only.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL database at this URL, shared by any number of replicas.
    Postgres(String),
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            limits: Limits::default(),
            budgets: Budgets::default(),
            capacity: CapacitySettings::default(),
            connections: ConnectionSettings::default(),
            max_request_bytes: 4 * 1024 * 1024,
            max_call_duration: Duration::from_secs(30),
            batch_idle_timeout: Duration::from_secs(30),
            max_concurrent_streams: 32,
            max_pending_accept_reset_streams: 32,
            max_local_error_reset_streams: 256,
            max_header_list_size: 16 * 1024,
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(10),
            stream_window_bytes: 64 * 1024,
            connection_window_bytes: 512 * 1024,
            drain_grace: Duration::from_secs(2),
            drain_timeout: Duration::from_secs(20),
            health_listen: None,
            reflection: true,
            tls: None,
            auth_token: None,
            bench_echo: false,
            storage: Storage::None,
            store_limits: crate::store::StoreLimits::default(),
            open_reads: false,
            admin_listen: None,
            instance_id: default_instance_id(),
        }
    }
}

/// The host name (a pod's name in Kubernetes), else the process id.
pub fn default_instance_id() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| format!("pid-{}", std::process::id()))
}
