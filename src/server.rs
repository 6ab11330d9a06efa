//! Server wiring: the two services, health, reflection (v1 and v1alpha, with the health and
//! `google.rpc` descriptors so grpcurl can list everything and decode error details), and a
//! graceful shutdown. [`run`] takes its listener and shutdown signal so tests can bind
//! `127.0.0.1:0` and stop the real server in-process.

use crate::api::{CatalogApi, CostImpactApi};
use crate::catalog::Catalog;
use crate::convert::Limits;
use crate::pb;
use crate::pb::catalog_service_server::CatalogServiceServer;
use crate::pb::cost_impact_service_server::CostImpactServiceServer;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

/// Start-up or serving failure.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Serves the API on `listener` until `shutdown` completes, then finishes in-flight calls.
pub async fn run(
    listener: TcpListener,
    catalog: Arc<Catalog>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<CostImpactServiceServer<CostImpactApi>>()
        .await;
    health
        .set_serving::<CatalogServiceServer<CatalogApi>>()
        .await;

    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    // Each builder describes its own reflection version; the other is registered so that
    // `list` over either protocol shows both.
    let reflection_v1 = reflection()
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = reflection()
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving tariff.v1");
    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(CostImpactServiceServer::new(CostImpactApi::new(
            catalog.clone(),
            limits,
        )))
        .add_service(CatalogServiceServer::new(CatalogApi::new(catalog)))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
            shutdown.await;
            tracing::info!("shutdown signal received: finishing in-flight calls");
        })
        .await?;
    tracing::info!("server stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
