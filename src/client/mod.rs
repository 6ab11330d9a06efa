//! Clients of a running server, over gRPC: the probe an orchestrator or a container's
//! HEALTHCHECK runs (`tariff-impact health`), and the scale-out batch client that spreads a
//! large batch over several replicas (`tariff-impact batch --servers A,B,C`). They know the
//! wire contract (`pb`) only, never the server's insides: what they do, any gRPC client can.

pub mod batch;
pub mod health;

/// `http://host:port` for a bare `host:port`; a URL with a scheme is kept.
pub fn endpoint_url(server: &str) -> String {
    if server.contains("://") {
        server.to_string()
    } else {
        format!("http://{server}")
    }
}
