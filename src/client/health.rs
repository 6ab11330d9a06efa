//! `tariff-impact health`: asks a server's `grpc.health.v1` service whether it serves, for a
//! container's HEALTHCHECK (the runtime image has no shell, curl or grpcurl) and for scripts.

use std::time::Duration;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The serving status of `service` ("" for the whole server) at `server`, within `timeout`.
pub async fn check(
    server: &str,
    service: &str,
    timeout: Duration,
) -> Result<ServingStatus, String> {
    let url = super::endpoint_url(server);
    let endpoint = tonic::transport::Endpoint::from_shared(url.clone())
        .map_err(|e| format!("{url}: {e}"))?
        .connect_timeout(timeout)
        .timeout(timeout);
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| format!("{url}: cannot connect: {e}"))?;
    let answer = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_string(),
        })
        .await
        .map_err(|s| format!("{url}: {:?}: {}", s.code(), s.message()))?;
    Ok(answer.into_inner().status())
}
