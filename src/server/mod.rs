//! Server wiring: the two services behind the guards of [`ServerConfig`], health, reflection
//! (v1 and v1alpha, with the health and `google.rpc` descriptors so grpcurl can list everything
//! and decode error details), TLS and bearer authentication, and a graceful drain.
//! [`run`] takes its listener and shutdown signal so tests can bind `127.0.0.1:0` and stop
//! the real server in-process.
//!
//! Drain: on the shutdown signal, health turns NOT_SERVING at once while calls are still
//! accepted for `drain_grace` (load balancers move away); then the listener closes and
//! in-flight calls get `drain_timeout` to finish; then every calculation still running is
//! told to stop (it answers UNAVAILABLE within milliseconds) and the connections are cut.
//!
//! In front of the services: admission before decoding (`admission`) and guarded
//! connections ([`connections`]).

pub(crate) mod admission;
pub(crate) mod auth;
pub(crate) mod bench_echo;
pub mod config;
pub mod connections;
mod encoded_answers;
pub mod gateway;
pub(crate) mod status_codes;
pub mod telemetry;

pub use config::{ServerConfig, Storage, TlsFiles};

use crate::api::batch::BatchSettings;
use crate::api::capacity::Capacity;
use crate::api::guard::Guard;
use crate::api::{CatalogApi, Context, CostImpactApi, WriteCheck};
use crate::catalog::{Catalog, Catalogs};
use crate::engine::Stopped;
use crate::pb;
use crate::pb::catalog_service_server::CatalogServiceServer;
use crate::pb::cost_impact_service_server::CostImpactServiceServer;
use auth::BearerAuth;
use encoded_answers::CostImpactRoutes;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tonic_health::ServingStatus;

/// Start-up or serving failure.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

fn tls_config(tls: &TlsFiles) -> Result<ServerTlsConfig, Error> {
    let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut config =
        ServerTlsConfig::new().identity(Identity::from_pem(read(&tls.cert)?, read(&tls.key)?));
    if let Some(ca) = &tls.client_ca {
        config = config.client_ca_root(Certificate::from_pem(read(ca)?));
    }
    Ok(config)
}

/// A TLS set-up failure with the files it came from and every cause: tonic alone says only
/// "transport error", which leaves an operator guessing which file is wrong.
fn tls_error(tls: &TlsFiles, e: &(dyn std::error::Error + 'static)) -> Error {
    let mut causes = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        causes.push_str(": ");
        causes.push_str(&s.to_string());
        source = s.source();
    }
    let ca = tls
        .client_ca
        .as_ref()
        .map(|p| format!(", client CA {}", p.display()))
        .unwrap_or_default();
    format!(
        "TLS set-up from certificate {}, key {}{ca} failed: {causes}",
        tls.cert.display(),
        tls.key.display()
    )
    .into()
}

/// The live catalog: the presets, plus the objects saved in the configured store (opened,
/// its migrations applied, and followed from here on).
async fn open_catalog(presets: &Catalog, config: &ServerConfig) -> Result<Arc<Catalogs>, Error> {
    use crate::store::{CatalogStore, PgStore, SqliteStore};
    let store: Arc<dyn CatalogStore> = match &config.storage {
        Storage::None => return Ok(Catalogs::fixed(presets.clone())),
        Storage::Sqlite(dir) => Arc::new(
            SqliteStore::open_with(dir, config.store_limits)
                .await
                .map_err(|e| format!("catalog store under {}: {e}", dir.display()))?,
        ),
        Storage::Postgres(url) => Arc::new(
            PgStore::connect_with(url, config.store_limits)
                .await
                .map_err(|e| format!("catalog database: {e}"))?,
        ),
    };
    let live = Catalogs::open(presets.clone(), store, config.limits)
        .await
        .map_err(|e| format!("loading the saved catalog: {e}"))?;
    tracing::info!(saved = live.snapshot().saved_len(), "catalog store open");
    Ok(live)
}

/// Serves the API on `listener` until `shutdown` completes, then drains (see the module docs).
pub async fn run(
    listener: TcpListener,
    catalog: Arc<Catalog>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let (health, health_service) = tonic_health::server::health_reporter();
    if let Some(addr) = config.health_listen {
        serve_health_apart(addr, health_service.clone())?;
    }
    health
        .set_serving::<CostImpactServiceServer<CostImpactApi>>()
        .await;
    health
        .set_serving::<CatalogServiceServer<CatalogApi>>()
        .await;

    let capacity = Capacity::new(config.capacity);
    let guard = Guard::new(capacity.clone(), config.budgets, config.max_call_duration);
    let auth = BearerAuth::new(config.auth_token.as_deref());
    let live = open_catalog(&catalog, &config).await?;
    let ready = Arc::new(telemetry::admin::Readiness::default());
    if let Some(addr) = config.admin_listen {
        let state = telemetry::admin::AdminState {
            metrics: telemetry::recorder::handle()?,
            ready: ready.clone(),
            catalog: live.clone(),
        };
        telemetry::admin::serve(addr, state)?;
    }
    let ctx = Context {
        catalog: live.snapshot(),
        limits: config.limits,
        live: Some(live.clone()),
    };
    let writes = auth.clone();
    let may_write: WriteCheck = Arc::new(move |metadata| writes.check(metadata));
    // Open reads: only the catalog's writes ask for the token (in the service itself).
    let reads = if config.open_reads {
        BearerAuth::new(None)
    } else {
        auth.clone()
    };
    let batch = BatchSettings {
        idle_timeout: config.batch_idle_timeout,
    };
    let max_response = usize::try_from(config.budgets.max_response_bytes).unwrap_or(usize::MAX);
    let catalog_service =
        CatalogServiceServer::new(CatalogApi::new(ctx.clone(), guard.clone(), may_write))
            .max_decoding_message_size(config.max_request_bytes)
            .max_encoding_message_size(max_response);
    let costs = CostImpactApi::new(ctx, guard, batch);
    let cost = CostImpactRoutes::new(costs.clone(), config.max_request_bytes, max_response);

    let mut builder = tonic::transport::Server::builder()
        // HTTP/1.1 too, for the JSON gateway's curl and browser clients; gRPC stays HTTP/2.
        .accept_http1(true)
        .max_concurrent_streams(config.max_concurrent_streams)
        .http2_max_pending_accept_reset_streams(Some(config.max_pending_accept_reset_streams))
        .http2_max_local_error_reset_streams(Some(config.max_local_error_reset_streams))
        .http2_max_header_list_size(config.max_header_list_size)
        .http2_keepalive_interval(Some(config.keepalive_interval))
        .http2_keepalive_timeout(Some(config.keepalive_timeout))
        .initial_stream_window_size(config.stream_window_bytes)
        .initial_connection_window_size(config.connection_window_bytes);
    if let Some(tls) = &config.tls {
        builder = builder
            .tls_config(tls_config(tls)?)
            .map_err(|e| tls_error(tls, &e))?;
    }
    let mut builder = builder
        // Outermost: a JSON call becomes the gRPC call it stands for and goes through every
        // layer and interceptor below, as a gRPC client's would.
        .layer(gateway::GatewayLayer::new(
            live.clone(),
            config.max_request_bytes,
        ))
        // gRPC-Web (HTTP/1.1 or HTTP/2, `application/grpc-web*`) becomes gRPC here, below
        // the JSON gateway and above admission, authentication and limits.
        .layer(tonic_web::GrpcWebLayer::new())
        // Spans, the call log line and metrics, of every call whatever its protocol, seen
        // with the status code a client gets.
        .layer(telemetry::TelemetryLayer::new(&config.instance_id))
        .layer(tower::util::MapResponseLayer::new(
            status_codes::remap::<tonic::body::Body> as fn(_) -> _,
        ))
        .layer(admission::AdmissionLayer::new(
            capacity.clone(),
            config.max_request_bytes,
        ));
    let mut router = builder
        .add_service(health_service)
        .add_service(InterceptedService::new(cost, reads.clone()))
        .add_service(InterceptedService::new(catalog_service, reads));
    if config.bench_echo {
        let echo =
            pb::bench::echo_service_server::EchoServiceServer::new(bench_echo::Echo::new(costs))
                .max_decoding_message_size(config.max_request_bytes);
        router = router.add_service(InterceptedService::new(echo, auth.clone()));
    }
    if config.reflection {
        let bench_echo = config.bench_echo;
        let reflection = || {
            let b = tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET);
            if bench_echo {
                b.register_encoded_file_descriptor_set(pb::bench::FILE_DESCRIPTOR_SET)
            } else {
                b
            }
        };
        // Each builder describes its own reflection version; the other is registered so that
        // `list` over either protocol shows both. With a token, reflection needs it too (the
        // schema is part of what the token guards; grpcurl's -H reaches reflection as well).
        router = router
            .add_service(InterceptedService::new(
                reflection()
                    .register_encoded_file_descriptor_set(
                        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
                    )
                    .build_v1()?,
                auth.clone(),
            ))
            .add_service(InterceptedService::new(
                reflection()
                    .register_encoded_file_descriptor_set(
                        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
                    )
                    .build_v1alpha()?,
                auth,
            ));
    }

    let addr = listener.local_addr()?;
    // Ready from here: the listener is bound and queues connections until the router takes
    // them. Set before the line that announces the address, which tests and scripts wait for.
    ready.set(true);
    tracing::info!(%addr, tls = config.tls.is_some(), auth = config.auth_token.is_some(), "serving tariff.v1");
    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    let grace = config.drain_grace;
    let stop_accepting = async move {
        shutdown.await;
        ready.set(false);
        tracing::info!(
            grace_ms = grace.as_millis() as u64,
            "shutdown signal: health NOT_SERVING, draining"
        );
        health
            .set_service_status("", ServingStatus::NotServing)
            .await;
        health
            .set_not_serving::<CostImpactServiceServer<CostImpactApi>>()
            .await;
        health
            .set_not_serving::<CatalogServiceServer<CatalogApi>>()
            .await;
        tokio::time::sleep(grace).await;
        tracing::info!("closing the listener; finishing in-flight calls");
        let _ = drained_tx.send(());
    };
    let incoming = connections::incoming(listener, config.connections);
    let serve = router.serve_with_incoming_shutdown(incoming, stop_accepting);
    let stop = capacity.stop.clone();
    let deadline = async move {
        if drained_rx.await.is_ok() {
            tokio::time::sleep(config.drain_timeout).await;
            tracing::warn!("drain timeout passed: stopping the calculations still running");
            stop.raise(Stopped::ShuttingDown);
            // Long enough for stopped calls to answer UNAVAILABLE before connections are cut.
            tokio::time::sleep(STOP_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        r = serve => r?,
        () = deadline => tracing::warn!("drain deadline passed: cutting the remaining calls"),
    }
    tracing::info!("server stopped");
    Ok(())
}

/// Serves `health` alone on `addr`, on a thread and runtime of its own: however busy the
/// main listener is, a liveness probe there is answered in milliseconds, and a busy server
/// is not mistaken for a dead one. The thread ends with the process.
fn serve_health_apart(
    addr: std::net::SocketAddr,
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
) -> Result<(), Error> {
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| format!("cannot listen for health checks on {addr}: {e}"))?;
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    tracing::info!(%addr, "serving grpc.health.v1 apart");
    std::thread::Builder::new()
        .name("health".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = TcpListener::from_std(listener) else {
                    return;
                };
                let incoming =
                    tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
                if let Err(e) = tonic::transport::Server::builder()
                    .add_service(health)
                    .serve_with_incoming(incoming)
                    .await
                {
                    tracing::error!(error = %e, "the health listener stopped");
                }
            });
        })?;
    Ok(())
}

/// After the drain timeout, how long calculations told to stop get to answer before the
/// connections are cut: a meter notices within a millisecond.
const STOP_GRACE: Duration = Duration::from_millis(200);

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is called,
/// not when the future is first polled: a SIGTERM that arrives once the server has announced
/// its address (an orchestrator, a test) must start the drain, not end the process by the
/// signal's default action. Call it inside the runtime, before [`run`].
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let installed = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        );
        async move {
            match installed {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => {},
                        _ = term.recv() => {},
                    }
                }
                (int, term) => {
                    for e in [int.err(), term.err()].into_iter().flatten() {
                        tracing::error!(error = %e, "cannot listen for SIGINT or SIGTERM");
                    }
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}
