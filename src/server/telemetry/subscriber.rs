//! The process's log subscriber and, with an OTLP endpoint, its span exporter: where the
//! events and spans of [`super`] and the handlers go.
//!
//! Logs are plain text (or JSON with `--json-logs`) at `info` unless `RUST_LOG` says
//! otherwise. Events under [`crate::observe::DETAILS`] (request contents) are off unless the
//! operator opts in, and stay off when `RUST_LOG` is set without naming that target: opting in
//! to contents is always explicit.
//!
//! Spans go to an OTLP/gRPC collector (`--otlp-endpoint`, e.g. `http://collector:4317`) in
//! batches, from a thread of the OpenTelemetry SDK; the exporter's connection lives on the
//! server's runtime, so [`init`] must be called inside it. The standard `OTEL_BSP_*` variables
//! tune the batches (`OTEL_BSP_SCHEDULE_DELAY`, in ms, defaults to 5000).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::time::Duration;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How the process reports.
#[derive(Debug, Clone, Default)]
pub struct LogSettings {
    /// One JSON object per line instead of text.
    pub json: bool,
    /// Log request contents (status messages, catalog ids) under the details target.
    pub request_details: bool,
    /// Export spans over OTLP/gRPC to this endpoint.
    pub otlp_endpoint: Option<String>,
}

/// Flushes the exported spans when the server stops.
#[must_use = "dropping the guard without `shutdown` may lose the last spans"]
pub struct Exporting(Option<SdkTracerProvider>);

impl Exporting {
    /// Sends the spans still buffered, waiting at most `timeout`.
    pub fn shutdown(self, timeout: Duration) {
        if let Some(provider) = self.0
            && let Err(e) = provider.shutdown_with_timeout(timeout)
        {
            tracing::warn!(error = %e, "flushing the last spans failed");
        }
    }
}

/// The filter: `RUST_LOG` or `info`, with the details target off unless opted in.
fn filter(request_details: bool) -> EnvFilter {
    let base = std::env::var(EnvFilter::DEFAULT_ENV).unwrap_or_else(|_| "info".into());
    let details = if request_details { "info" } else { "off" };
    // A later directive for the same target wins, so the operator's flag has the last word.
    EnvFilter::try_new(format!("{base},{}={details}", crate::observe::DETAILS))
        .unwrap_or_else(|_| EnvFilter::new(format!("info,{}={details}", crate::observe::DETAILS)))
}

/// Installs the subscriber (and the exporter). Call once, inside the server's runtime.
pub fn init(settings: &LogSettings) -> Result<Exporting, super::super::Error> {
    let provider = match &settings.otlp_endpoint {
        Some(endpoint) => Some(provider(endpoint)?),
        None => None,
    };
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("tariff-impact"))
            .with_tracked_inactivity(false)
    });
    let filter = filter(settings.request_details);
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let result = if settings.json {
        registry
            .with(tracing_subscriber::fmt::layer().json())
            .try_init()
    } else {
        // Colour codes only for a terminal: a log redirected to a file or a collector must
        // stay plain text.
        use std::io::IsTerminal;
        registry
            .with(tracing_subscriber::fmt::layer().with_ansi(std::io::stdout().is_terminal()))
            .try_init()
    };
    result.map_err(|e| format!("installing the log subscriber: {e}"))?;
    Ok(Exporting(provider))
}

fn provider(endpoint: &str) -> Result<SdkTracerProvider, super::super::Error> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("--otlp-endpoint {endpoint}: {e}"))?;
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_service_name("tariff-impact")
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// What a subscriber with `filter(request_details)` writes for one plain event and one
    /// under the details target.
    fn logged(request_details: bool) -> String {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter(request_details))
            .with_writer(move || Sink(writer.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("call finished");
            tracing::info!(target: crate::observe::DETAILS, "bom_id: no BOM has id secret-bom");
        });
        String::from_utf8(buffer.lock().unwrap().clone()).unwrap()
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn details_stay_off_unless_opted_in() {
        let off = logged(false);
        assert!(off.contains("call finished"), "{off}");
        assert!(!off.contains("secret-bom"), "{off}");
        let on = logged(true);
        assert!(
            on.contains("call finished") && on.contains("secret-bom"),
            "{on}"
        );
    }
}
