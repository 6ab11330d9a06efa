//! The admin listener (`--admin-listen`): plain HTTP/1.1 for orchestrators and scrapers, on a
//! thread and runtime of its own so a saturated API listener does not delay a scrape or a
//! probe.
//!
//! - `GET /metrics`: Prometheus text format (the names in [`crate::observe`]).
//! - `GET /livez`: 200 while the process runs.
//! - `GET /readyz`: 200 while the server accepts calls, 503 once it drains (the same moment
//!   the gRPC health service turns NOT_SERVING).
//!
//! It serves no request contents and takes no token: bind it to loopback or a port only the
//! cluster can reach.

use crate::catalog::Catalogs;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use metrics_exporter_prometheus::PrometheusHandle;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Whether the server accepts calls: false before it serves and once it drains.
#[derive(Debug, Default)]
pub struct Readiness(AtomicBool);

impl Readiness {
    /// Marks the server ready or not.
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }
    /// Whether it is ready.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What the admin listener reads.
#[derive(Clone)]
pub struct AdminState {
    /// The metrics recorder.
    pub metrics: &'static PrometheusHandle,
    /// Ready or draining.
    pub ready: Arc<Readiness>,
    /// The live catalog, for its version and size at scrape time.
    pub catalog: Arc<Catalogs>,
}

/// How often the recorder's histograms are compacted.
const UPKEEP: Duration = Duration::from_secs(5);

/// Binds `addr` now (so a taken port fails the start) and serves on a thread of its own that
/// ends with the process. Returns the bound address (`:0` picks a port).
pub fn serve(addr: SocketAddr, state: AdminState) -> Result<SocketAddr, super::super::Error> {
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| format!("cannot listen for admin requests on {addr}: {e}"))?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    tracing::info!(addr = %bound, "serving /metrics, /livez, /readyz");
    std::thread::Builder::new()
        .name("admin".into())
        .spawn(move || runtime.block_on(accept(listener, state)))?;
    Ok(bound)
}

async fn accept(listener: std::net::TcpListener, state: AdminState) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let metrics = state.metrics;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP);
        loop {
            tick.tick().await;
            metrics.run_upkeep();
        }
    });
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(answer(&state, &req)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn answer<B>(state: &AdminState, req: &Request<B>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "GET only\n".into());
    }
    match req.uri().path() {
        "/metrics" => {
            refresh_catalog(&state.catalog);
            let mut r = text(StatusCode::OK, state.metrics.render());
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        "/livez" => text(StatusCode::OK, "ok\n".into()),
        "/readyz" if state.ready.get() => text(StatusCode::OK, "ready\n".into()),
        "/readyz" => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: draining or starting\n".into(),
        ),
        _ => text(
            StatusCode::NOT_FOUND,
            "not found: /metrics, /livez, /readyz\n".into(),
        ),
    }
}

/// The catalog's gauges, read when scraped rather than pushed on every change.
fn refresh_catalog(catalog: &Catalogs) {
    metrics::gauge!(crate::observe::CATALOG_VERSION).set(catalog.version() as f64);
    metrics::gauge!(crate::observe::CATALOG_SAVED).set(catalog.snapshot().saved_len() as f64);
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
