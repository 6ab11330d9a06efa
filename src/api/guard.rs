//! Runs each call under the server's guards, in this order:
//!
//! 1. **Prepare**: validate and resolve the request into a [`Plan`], which knows what it will
//!    cost ([`Cost`]) before it computes anything. A small request is prepared right on the
//!    async worker (microseconds); a large one on the worker pool.
//! 2. **Budgets**: a plan over a budget is refused (RESOURCE_EXHAUSTED, not retryable).
//! 3. **Capacity**: its memory is reserved from the server's pool, and a heavy plan takes a
//!    calculation slot; when either is fully in use the call is shed at once (retryable).
//!    A cheap plan (at most [`INLINE_WORK`] units) runs on the async worker, where moving it
//!    would cost more than running it; everything else runs on the worker pool, so health
//!    checks and small calls are answered while heavy ones run.
//! 4. **Run** under a [`Meter`]: the work stops within milliseconds of its deadline (the
//!    client's `grpc-timeout` less a margin, capped by the server's maximum), of its caller
//!    going away (dropping the call raises its stop signal), or of the end of the server's
//!    drain, and its slot and memory are given back when it stops. A panic answers INTERNAL
//!    for that call alone.
//! 5. **Response size**: an encoded response over the limit is refused rather than sent.

use super::budget::{Budgets, Cost};
use super::capacity::{Admission, Capacity, LARGE_REQUEST_BYTES, Reservation};
use super::error::ApiError;
use crate::engine::{Meter, StopSignal, Stopped};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::metadata::MetadataMap;

/// A validated request that knows its cost before it runs.
pub trait Plan: Send + 'static {
    /// The response message.
    type Response: prost::Message + Send + 'static;
    /// What running it will take at most.
    fn cost(&self) -> Cost;
    /// Whether the response is the full view (for the hint when it is too large).
    fn explain(&self) -> bool;
    /// Computes the response, counting the work on `meter`.
    fn run(self, meter: &Meter) -> Result<Self::Response, ApiError>;
}

/// How much preparing a request can take, for the guards to judge where to prepare it: its
/// encoded size, or more than any inline size when an inline BOM reuses shared assemblies
/// (a few kilobytes can expand to 100,000 items) or a schedule overlay rebuilds a schedule.
pub trait PrepareWeight: prost::Message {
    /// The BOMs the request carries inline.
    fn inline_boms(&self) -> Vec<&crate::pb::Bom>;

    /// Whether the request carries a schedule overlay: a few bytes that rebuild a whole base
    /// schedule, a preset of thousands of measures and codes.
    fn overlays_schedules(&self) -> bool;

    /// The request's weight in bytes.
    fn prepare_weight(&self) -> usize {
        if self.overlays_schedules()
            || self
                .inline_boms()
                .iter()
                .any(|b| !b.shared_assemblies.is_empty())
        {
            usize::MAX
        } else {
            self.encoded_len()
        }
    }
}

/// The parts of a unary request the guards need: its metadata, its [`PrepareWeight`], the
/// memory its message was lent while it was received, and the message.
pub(crate) fn parts<T: PrepareWeight>(
    request: tonic::Request<T>,
) -> (MetadataMap, usize, Reservation, T) {
    let (metadata, extensions, req) = request.into_parts();
    let decoded = extensions
        .get::<Admission>()
        .map(Admission::take_decoded)
        .unwrap_or_default();
    let size = req.prepare_weight();
    (metadata, size, decoded, req)
}

/// Maps a unary call's error, logging its message only under the details target: a message
/// names fields, ids and values of the request (the telemetry layer logs every call's code).
pub(crate) fn respond<T>(
    rpc: &str,
    r: Result<T, ApiError>,
) -> Result<tonic::Response<T>, tonic::Status> {
    match r {
        Ok(v) => Ok(tonic::Response::new(v)),
        Err(e) => {
            let status = tonic::Status::from(e);
            tracing::info!(target: crate::observe::DETAILS, rpc, code = ?status.code(), message = status.message(), "rejected");
            Err(status)
        }
    }
}

/// Most units of work run on the async worker itself: about a millisecond.
pub const INLINE_WORK: u64 = 10_000;

/// Whether a call that finds the server busy is shed at once (unary calls) or waits for its
/// turn (batch items, bounded by their deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WhenBusy {
    Shed,
    Wait,
}

/// The guards shared by every call of a server.
#[derive(Debug, Clone)]
pub struct Guard {
    capacity: Arc<Capacity>,
    budgets: Budgets,
    max_duration: Duration,
}

/// Raises a call's stop signal if the call is dropped before it finished: the client went
/// away (or the server cut the connection), and the work on the worker pool must stop too.
struct CancelOnDrop(Option<Arc<StopSignal>>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            s.raise(Stopped::Cancelled);
        }
    }
}

impl CancelOnDrop {
    fn finished(mut self) {
        self.0 = None;
    }
}

impl Guard {
    /// Guards lending from `capacity`, measuring calls against `budgets`, each at most
    /// `max_duration` long.
    pub fn new(capacity: Arc<Capacity>, budgets: Budgets, max_duration: Duration) -> Self {
        Guard {
            capacity,
            budgets,
            max_duration,
        }
    }

    /// The capacity lent by these guards.
    pub fn capacity(&self) -> &Arc<Capacity> {
        &self.capacity
    }

    /// The budgets.
    pub fn budgets(&self) -> &Budgets {
        &self.budgets
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

    /// Runs one unary call: `prepare` on a request of `request_bytes` (its
    /// [`PrepareWeight`]), whose message was lent `decoded` while it was received (given
    /// back once it is prepared).
    pub async fn run<P, F>(
        &self,
        metadata: &MetadataMap,
        request_bytes: usize,
        decoded: Reservation,
        prepare: F,
    ) -> Result<P::Response, ApiError>
    where
        P: Plan,
        F: FnOnce() -> Result<P, ApiError> + Send + 'static,
    {
        let deadline = self.deadline(metadata);
        self.execute(deadline, request_bytes, decoded, prepare, WhenBusy::Shed)
            .await
    }

    /// Runs one batch item: like [`Guard::run`], but waits for a calculation slot and
    /// memory instead of being shed, within the server's maximum duration.
    pub async fn run_item<P, F>(
        &self,
        request_bytes: usize,
        decoded: Reservation,
        prepare: F,
    ) -> Result<P::Response, ApiError>
    where
        P: Plan,
        F: FnOnce() -> Result<P, ApiError> + Send + 'static,
    {
        self.execute(
            self.max_duration,
            request_bytes,
            decoded,
            prepare,
            WhenBusy::Wait,
        )
        .await
    }

    async fn execute<P, F>(
        &self,
        deadline: Duration,
        request_bytes: usize,
        decoded: Reservation,
        prepare: F,
        busy: WhenBusy,
    ) -> Result<P::Response, ApiError>
    where
        P: Plan,
        F: FnOnce() -> Result<P, ApiError> + Send + 'static,
    {
        let started = Instant::now();
        let until = started.checked_add(deadline);
        let signal = StopSignal::child(&self.capacity.stop);
        let cancel = CancelOnDrop(Some(signal.clone()));
        let meter = move || Meter::new(Some(signal), until, self.budgets.max_call_work);
        let result = if request_bytes <= LARGE_REQUEST_BYTES {
            let plan = prepared(prepare)?;
            drop(decoded);
            let cost = plan.cost();
            self.budgets.check(&cost, plan.explain())?;
            let memory = self.budgets.memory(&cost);
            if cost.work <= INLINE_WORK {
                let _memory = self.reserve(memory, busy).await?;
                let m = meter();
                isolate(move || self.finish(plan, &m))
            } else {
                let slot = self.slot(busy).await?;
                let memory = self.reserve(memory, busy).await?;
                let (budgets, m) = (self.budgets, meter());
                self.offload(deadline, started, move || {
                    let _held = (slot, memory);
                    finish(&budgets, plan, &m)
                })
                .await
            }
        } else {
            let slot = self.slot(busy).await?;
            let capacity = self.capacity.clone();
            let (budgets, m) = (self.budgets, meter());
            self.offload(deadline, started, move || {
                let _slot = slot;
                let plan = prepared(prepare)?;
                drop(decoded);
                let cost = plan.cost();
                budgets.check(&cost, plan.explain())?;
                // On the worker pool nothing can wait: a full pool sheds even batch items,
                // which are then answered RESOURCE_EXHAUSTED for the client to retry.
                let _memory = capacity.reserve(budgets.memory(&cost))?;
                finish(&budgets, plan, &m)
            })
            .await
        };
        cancel.finished();
        result.map_err(|e| match e {
            ApiError::Stopped(Stopped::Deadline) => ApiError::DeadlineExceeded { deadline },
            e => e,
        })
    }

    fn finish<P: Plan>(&self, plan: P, meter: &Meter) -> Result<P::Response, ApiError> {
        finish(&self.budgets, plan, meter)
    }

    async fn slot(&self, busy: WhenBusy) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        match busy {
            WhenBusy::Shed => self.capacity.calculation(),
            WhenBusy::Wait => self.capacity.calculation_waiting().await,
        }
    }

    async fn reserve(&self, bytes: u64, busy: WhenBusy) -> Result<Reservation, ApiError> {
        match busy {
            WhenBusy::Shed => self.capacity.reserve(bytes),
            WhenBusy::Wait => self.capacity.reserve_waiting(bytes).await,
        }
    }

    /// Runs `work` on the worker pool and waits for it, at most until the deadline: then the
    /// call is answered DEADLINE_EXCEEDED while its meter stops the work at its next step.
    async fn offload<T, W>(
        &self,
        deadline: Duration,
        started: Instant,
        work: W,
    ) -> Result<T, ApiError>
    where
        W: FnOnce() -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        // The work's spans are children of the call's, on whichever thread it runs.
        let span = tracing::Span::current();
        let task = tokio::task::spawn_blocking(move || span.in_scope(|| isolate(work)));
        // A little after the meter's own deadline, so the work normally reports it itself.
        let wait = deadline.saturating_sub(started.elapsed()) + Duration::from_millis(20);
        match tokio::time::timeout(wait, task).await {
            Err(_) => Err(ApiError::DeadlineExceeded { deadline }),
            Ok(Err(_)) => Err(ApiError::Internal),
            Ok(Ok(result)) => result,
        }
    }
}

/// Decodes and validates a request into its plan, in a span of its own (a trace shows where
/// a call's time went: validation, or the calculation).
fn prepared<P, F>(prepare: F) -> Result<P, ApiError>
where
    F: FnOnce() -> Result<P, ApiError>,
{
    tracing::info_span!("validate").in_scope(|| isolate(prepare))
}

/// Runs a plan and checks its response's size.
fn finish<P: Plan>(budgets: &Budgets, plan: P, meter: &Meter) -> Result<P::Response, ApiError> {
    let _span = tracing::info_span!("calculate").entered();
    let explain = plan.explain();
    let response = plan.run(meter)?;
    let bytes = prost::Message::encoded_len(&response) as u64;
    if bytes > budgets.max_response_bytes {
        return Err(budgets.response_too_large(bytes, explain));
    }
    Ok(response)
}

/// Runs `f`, turning a panic into INTERNAL: a bug in one calculation fails that call alone.
fn isolate<T>(f: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => {
            tracing::error!(
                "a calculation panicked; answered INTERNAL, the server goes on serving"
            );
            Err(ApiError::Internal)
        }
    }
}

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
    use crate::api::capacity::CapacitySettings;

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

    /// A plan that runs until its meter stops it, checking the meter every millisecond:
    /// deterministic, whatever the machine's speed.
    struct UntilStopped {
        heavy: bool,
    }

    impl Plan for UntilStopped {
        type Response = ();
        fn cost(&self) -> Cost {
            Cost {
                work: if self.heavy { INLINE_WORK + 1 } else { 1 },
                ..Cost::default()
            }
        }
        fn explain(&self) -> bool {
            false
        }
        fn run(self, meter: &Meter) -> Result<(), ApiError> {
            loop {
                meter.checkpoint()?;
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    struct Panics;

    impl Plan for Panics {
        type Response = ();
        fn cost(&self) -> Cost {
            Cost::default()
        }
        fn explain(&self) -> bool {
            false
        }
        fn run(self, _: &Meter) -> Result<(), ApiError> {
            panic!("fault injection")
        }
    }

    fn guard(max: Duration) -> Guard {
        Guard::new(
            Capacity::new(CapacitySettings {
                max_calculations: 1,
                ..CapacitySettings::default()
            }),
            Budgets::default(),
            max,
        )
    }

    /// A call's deadline is its `grpc-timeout` less a fifth of it, at most 50 ms, so the
    /// server's DEADLINE_EXCEEDED leaves before the client's own timer fires; capped by the
    /// server's maximum; the maximum alone when the client sets none.
    #[test]
    fn a_deadline_leaves_the_client_a_margin_within_the_servers_maximum() {
        let g = guard(Duration::from_secs(5));
        let with = |t: &str| {
            let mut md = MetadataMap::new();
            md.insert("grpc-timeout", t.parse().unwrap());
            g.deadline(&md)
        };
        assert_eq!(with("100m"), Duration::from_millis(80));
        assert_eq!(with("300m"), Duration::from_millis(250));
        assert_eq!(with("2S"), Duration::from_millis(1950));
        assert_eq!(with("10S"), Duration::from_secs(5));
        assert_eq!(with("bad"), Duration::from_secs(5));
        assert_eq!(g.deadline(&MetadataMap::new()), Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_panic_becomes_internal_for_that_call_alone() {
        let g = guard(Duration::from_secs(60));
        let md = MetadataMap::new();
        let r = g.run(&md, 10, Reservation::default(), || Ok(Panics)).await;
        assert!(matches!(r, Err(ApiError::Internal)), "{r:?}");
    }

    #[tokio::test]
    async fn a_deadline_stops_the_work_and_frees_its_slot() {
        let g = guard(Duration::from_millis(100));
        let md = MetadataMap::new();
        let r = g
            .run(&md, 10, Reservation::default(), || {
                Ok(UntilStopped { heavy: true })
            })
            .await;
        assert!(matches!(r, Err(ApiError::DeadlineExceeded { .. })), "{r:?}");
        // The work notices within a millisecond; its slot comes back.
        let start = Instant::now();
        while g.capacity().calculations_running() > 0 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "slot never freed"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn a_dropped_call_stops_its_work() {
        let g = guard(Duration::from_secs(3600));
        let md = MetadataMap::new();
        let call = g.run(&md, 10, Reservation::default(), || {
            Ok(UntilStopped { heavy: true })
        });
        // Poll the call until its work runs, then drop it as a disconnecting client would.
        let mut call = Box::pin(call);
        let start = Instant::now();
        while g.capacity().calculations_running() == 0 {
            assert!(
                tokio::time::timeout(Duration::from_millis(5), &mut call)
                    .await
                    .is_err()
            );
            assert!(start.elapsed() < Duration::from_secs(30));
        }
        drop(call);
        while g.capacity().calculations_running() > 0 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "work never stopped"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn the_server_stop_signal_ends_running_work_as_unavailable() {
        let g = guard(Duration::from_secs(3600));
        let stopper = g.capacity().stop.clone();
        let md = MetadataMap::new();
        let call = tokio::spawn({
            let g = g.clone();
            async move {
                g.run(&md, 10, Reservation::default(), || {
                    Ok(UntilStopped { heavy: true })
                })
                .await
            }
        });
        let start = Instant::now();
        while g.capacity().calculations_running() == 0 {
            assert!(start.elapsed() < Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stopper.raise(Stopped::ShuttingDown);
        let r = call.await.unwrap();
        assert!(
            matches!(r, Err(ApiError::Stopped(Stopped::ShuttingDown))),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn a_heavy_call_is_shed_when_every_calculation_slot_is_taken() {
        let g = guard(Duration::from_secs(3600));
        let held = g.capacity().calculation().unwrap();
        let md = MetadataMap::new();
        let r = g
            .run(&md, 10, Reservation::default(), || {
                Ok(UntilStopped { heavy: true })
            })
            .await;
        assert!(matches!(r, Err(ApiError::Overloaded { .. })), "{r:?}");
        drop(held);
    }
}
