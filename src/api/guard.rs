//! Runs each calculation under the server's guards: a global concurrency gate that sheds
//! excess calls at once (RESOURCE_EXHAUSTED) instead of queueing them, the call's deadline
//! (the client's `grpc-timeout`, capped by the server's maximum; DEADLINE_EXCEEDED), the CPU
//! work on the blocking pool so the async workers keep serving, and a panic turned into
//! INTERNAL for that call alone.

use super::error::ApiError;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::Status;
use tonic::metadata::MetadataMap;

/// The gate and deadline shared by every call of a server.
#[derive(Debug, Clone)]
pub struct Guard {
    gate: Arc<Semaphore>,
    max_concurrent: usize,
    max_duration: Duration,
}

impl Guard {
    /// At most `max_concurrent` calculations at once, each at most `max_duration`.
    pub fn new(max_concurrent: usize, max_duration: Duration) -> Self {
        Guard {
            gate: Arc::new(Semaphore::new(max_concurrent)),
            max_concurrent,
            max_duration,
        }
    }

    /// A permit, or RESOURCE_EXHAUSTED at once when every slot is taken.
    pub fn admit(&self) -> Result<OwnedSemaphorePermit, Status> {
        self.gate.clone().try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(format!(
                "the server is running its limit of {} concurrent calculations; retry with backoff",
                self.max_concurrent
            ))
        })
    }

    /// The deadline of a call: its `grpc-timeout`, less a margin so the answer reaches the
    /// client before its own timer fires (a fifth of the budget, at most 50 ms), capped by the
    /// server's maximum.
    pub fn deadline(&self, metadata: &MetadataMap) -> Duration {
        metadata
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout)
            .map_or(self.max_duration, |d| {
                let margin = (d / 5).min(Duration::from_millis(50));
                (d - margin).min(self.max_duration)
            })
    }

    /// Runs small `work` (a request of at most [`INLINE_REQUEST_BYTES`]) right here under a
    /// permit, with panics caught: it takes microseconds, less than moving it to another
    /// thread would. Larger work goes to the blocking pool under the call's deadline.
    pub async fn run_sized<T, F>(
        &self,
        metadata: &MetadataMap,
        request_bytes: usize,
        work: F,
    ) -> Result<T, Status>
    where
        F: FnOnce() -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        if request_bytes > INLINE_REQUEST_BYTES {
            return self.run(metadata, work).await;
        }
        let _permit = self.admit()?;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
            Ok(result) => result.map_err(Status::from),
            Err(_) => {
                tracing::error!(
                    "a calculation panicked; answered INTERNAL, the server goes on serving"
                );
                Err(Status::internal(
                    "internal error: the calculation failed unexpectedly",
                ))
            }
        }
    }

    /// Runs `work` on the blocking pool under a permit and the call's deadline.
    pub async fn run<T, F>(&self, metadata: &MetadataMap, work: F) -> Result<T, Status>
    where
        F: FnOnce() -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.admit()?;
        let deadline = self.deadline(metadata);
        // The permit moves into the task: a call past its deadline keeps its slot until its
        // work really stops, so the gate counts the CPU actually in use.
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        });
        match tokio::time::timeout(deadline, task).await {
            Err(_) => Err(Status::deadline_exceeded(format!(
                "the calculation did not finish within its deadline of {} ms",
                deadline.as_millis()
            ))),
            Ok(Err(join)) if join.is_panic() => {
                tracing::error!(
                    "a calculation panicked; answered INTERNAL, the server goes on serving"
                );
                Err(Status::internal(
                    "internal error: the calculation failed unexpectedly",
                ))
            }
            Ok(Err(_)) => Err(Status::internal(
                "internal error: the calculation was cancelled",
            )),
            Ok(Ok(result)) => result.map_err(Status::from),
        }
    }
}

/// Largest encoded request computed inline on the async worker rather than on the blocking
/// pool: an EV-sized request is about 1.6 KiB and takes well under a millisecond.
pub const INLINE_REQUEST_BYTES: usize = 16 * 1024;

/// Parses a `grpc-timeout` header value: up to 8 digits and a unit (H, M, S, m, u, n).
pub fn parse_grpc_timeout(v: &str) -> Option<Duration> {
    let (digits, unit) = v.split_at(v.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_values_parse_per_the_spec() {
        assert_eq!(parse_grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("5n"), Some(Duration::from_nanos(5)));
        for bad in ["", "m", "123456789S", "1x", "-1S", "1.5S"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_panic_becomes_internal_and_a_slow_call_deadline_exceeded() {
        let md = MetadataMap::new();
        let roomy = Guard::new(2, Duration::from_secs(60));
        let panicked = roomy
            .run(&md, || -> Result<(), ApiError> {
                panic!("fault injection")
            })
            .await;
        assert_eq!(panicked.unwrap_err().code(), tonic::Code::Internal);
        let guard = Guard::new(2, Duration::from_millis(50));
        let slow = guard
            .run(&md, || -> Result<(), ApiError> {
                std::thread::sleep(Duration::from_millis(300));
                Ok(())
            })
            .await;
        assert_eq!(slow.unwrap_err().code(), tonic::Code::DeadlineExceeded);
        assert_eq!(guard.run(&md, || Ok::<_, ApiError>(7)).await.unwrap(), 7);
    }
}
