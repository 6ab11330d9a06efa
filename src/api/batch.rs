//! `CalculateBatch`: a bidirectional stream of calculations. Up to [`PIPELINE`] requests are
//! read ahead, each calculated on its own task (so one stream can use every core) under the
//! same guards as a unary call (budgets, memory, a calculation slot for heavy items), waiting
//! for its turn instead of being shed. Answers go out in request order into a small bounded
//! channel, and no request is read while [`PIPELINE`] items wait for theirs. A client that
//! stops reading therefore stops the server reading, and HTTP/2 flow control then stops the
//! client sending: memory stays flat however long the stream runs. A bad item gets its own
//! error and the stream goes on; the summary comes last, after the client closes its side
//! (a stream that fails is answered up to the failure, then ends with its status).
//!
//! A stream is not held open for nothing: if no request arrives, or no response can be
//! delivered, for the idle timeout, the stream ends with DEADLINE_EXCEEDED and its slot is
//! given back.

use super::Context;
use super::calculate;
use super::capacity::{Admission, Reservation};
use super::error::{ApiError, canonical_status};
use super::guard::{Guard, PrepareWeight};
use crate::engine::{InputError, Reason};
use crate::pb;
use crate::wire::codec::take_item_failure as item_failure;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

/// Responses buffered per stream before the server stops reading requests.
pub(crate) const CHANNEL_CAPACITY: usize = 4;

/// Items of one stream calculated at once: enough to keep both cores of a standard machine
/// busy with one stream while the next request is read, few enough that a stream's memory
/// stays a handful of items.
pub(crate) const PIPELINE: usize = 4;

/// One response on its way to the client, with the memory it holds until tonic takes it.
pub(crate) type Outgoing = (Result<pb::CalculateBatchResponse, Status>, Reservation);

fn batch_error(e: &ApiError) -> pb::BatchError {
    e.count();
    metrics::counter!(crate::observe::BATCH_ITEMS, "outcome" => e.code_name()).increment(1);
    pb::BatchError {
        code: e.code_name().to_string(),
        message: e.message(),
        field_violations: e
            .violations()
            .into_iter()
            .map(|v| pb::FieldViolation {
                field: v.field,
                reason: v.reason.to_string(),
                description: v.description,
            })
            .collect(),
    }
}

/// Running fleet totals, per currency.
#[derive(Default)]
struct Totals {
    requests: i64,
    succeeded: i64,
    failed: i64,
    unit_delta: BTreeMap<String, Decimal>,
    annual: BTreeMap<String, Decimal>,
}

fn add(map: &mut BTreeMap<String, Decimal>, money: Option<&pb::Money>) -> Result<(), ApiError> {
    let Some(m) = money else { return Ok(()) };
    // Amounts were printed by this server from decimals: one that does not parse is a bug.
    let value: Decimal = m.amount.parse().map_err(|_| ApiError::Internal)?;
    let sum = map.entry(m.currency.clone()).or_default();
    *sum = sum.checked_add(value).ok_or(ApiError::TotalOverflow)?;
    Ok(())
}

fn money_list(map: &BTreeMap<String, Decimal>) -> Vec<pb::Money> {
    map.iter()
        .map(|(currency, amount)| pb::Money {
            amount: amount.to_string(),
            currency: currency.clone(),
            exact: String::new(),
        })
        .collect()
}

/// The stream's settings.
#[derive(Debug, Clone)]
pub struct BatchSettings {
    /// Longest wait for the next request, or for the client to take a response.
    pub idle_timeout: Duration,
}

/// What ends a stream early.
enum End {
    /// The client went away or stopped reading: nothing more can be said.
    Gone,
    /// Ends the stream with this status.
    Status(Status),
}

/// Sends `response` unless the client has not made room for it within the idle timeout.
async fn send(
    tx: &mpsc::Sender<Outgoing>,
    response: Result<pb::CalculateBatchResponse, Status>,
    memory: Reservation,
    idle: Duration,
) -> Result<(), End> {
    match tokio::time::timeout(idle, tx.send((response, memory))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::Gone),
        Err(_) => {
            tracing::info!("batch client stopped reading responses; stream closed");
            Err(End::Gone)
        }
    }
}

/// Answers every request of `inbound` on `tx`, then the summary. `admission` holds the
/// memory each request's message was lent while it was received.
pub(crate) async fn run(
    ctx: Context,
    guard: Guard,
    settings: BatchSettings,
    inbound: Streaming<pb::CalculateBatchRequest>,
    admission: Admission,
    tx: mpsc::Sender<Outgoing>,
) {
    let idle = settings.idle_timeout;
    match items(&ctx, &guard, idle, inbound, &admission, &tx).await {
        Ok(()) | Err(End::Gone) => {}
        Err(End::Status(status)) => {
            tracing::info!(code = ?status.code(), "batch stream ended with an error");
            let _ = send(&tx, Err(status), Reservation::default(), idle).await;
        }
    }
}

async fn items(
    ctx: &Context,
    guard: &Guard,
    idle: Duration,
    mut inbound: Streaming<pb::CalculateBatchRequest>,
    admission: &Admission,
    tx: &mpsc::Sender<Outgoing>,
) -> Result<(), End> {
    let mut t = Totals::default();
    let mut pending: VecDeque<Pending> = VecDeque::with_capacity(PIPELINE);
    // Why reading stopped: the client closed its side (None) or the stream failed.
    let mut ended: Option<Option<Status>> = None;
    while ended.is_none() || !pending.is_empty() {
        // A malformed item is answered as an empty request and its failure left for this
        // loop (see `wire::codec`); nothing stale may linger from before.
        let _ = item_failure();
        let read = ended.is_none() && pending.len() < PIPELINE;
        tokio::select! {
            // Answers go out in request order, the oldest as soon as it is done.
            biased;
            outcome = oldest(&mut pending), if !pending.is_empty() => {
                let request_id = pending
                    .pop_front()
                    .map(|mut p| std::mem::take(&mut p.request_id))
                    .unwrap_or_default();
                answer(&mut t, guard, tx, idle, request_id, outcome).await?;
            }
            next = tokio::time::timeout(idle, inbound.message()), if read => match next {
                Ok(Ok(Some(req))) => {
                    let failure = item_failure();
                    t.requests += 1;
                    let memory = admission.take_decoded();
                    pending.push_back(Pending::start(ctx, guard, req, memory, failure));
                }
                Ok(Ok(None)) => ended = Some(None),
                Ok(Err(status)) => ended = Some(Some(canonical_status(status))),
                Err(_) => {
                    let idle = ApiError::StreamIdle { timeout: idle };
                    ended = Some(Some(Status::from(idle)));
                }
            },
        }
    }
    // The items read before a failure were answered; then the failure ends the stream.
    if let Some(Some(status)) = ended {
        return Err(End::Status(status));
    }
    tracing::info!(
        requests = t.requests,
        succeeded = t.succeeded,
        failed = t.failed,
        "batch finished"
    );
    let response = pb::CalculateBatchResponse {
        request_id: String::new(),
        outcome: Some(pb::calculate_batch_response::Outcome::Summary(t.summary())),
    };
    send(tx, Ok(response), Reservation::default(), idle).await
}

/// Counts one item's outcome and sends its answer, holding the answer's memory from the pool
/// until tonic takes it.
async fn answer(
    t: &mut Totals,
    guard: &Guard,
    tx: &mpsc::Sender<Outgoing>,
    idle: Duration,
    request_id: String,
    outcome: Result<pb::CalculateImpactResponse, ApiError>,
) -> Result<(), End> {
    let response = pb::CalculateBatchResponse {
        outcome: Some(t.count(outcome, &request_id).map_err(End::Status)?),
        request_id,
    };
    let bytes = prost::Message::encoded_len(&response) as u64;
    let held = match guard.capacity().reserve_waiting(bytes).await {
        Ok(r) => r,
        Err(e) => return Err(End::Status(Status::from(e))),
    };
    send(tx, Ok(response), held, idle).await
}

/// One item being calculated on its own task, so the items of one stream run on every core;
/// a stream that ends early aborts it (its calculation then stops at its next checkpoint).
struct Pending {
    request_id: String,
    task: tokio::task::JoinHandle<Result<pb::CalculateImpactResponse, ApiError>>,
}

impl Pending {
    /// Starts the item `req`, whose message was lent `memory` and whose decoding may have
    /// failed with `failure`.
    fn start(
        ctx: &Context,
        guard: &Guard,
        req: pb::CalculateBatchRequest,
        memory: Reservation,
        failure: Option<ApiError>,
    ) -> Pending {
        let (ctx, guard) = (ctx.clone(), guard.clone());
        let pb::CalculateBatchRequest {
            request_id,
            calculation,
        } = req;
        let task = tokio::spawn(async move {
            match calculation {
                _ if failure.is_some() => Err(failure.unwrap_or(ApiError::Internal)),
                None => Err(ApiError::from(InputError::new(
                    "calculation",
                    Reason::Required,
                    "each batch request needs a calculation",
                ))),
                Some(calc) => {
                    let ctx = ctx.for_request(&super::refs::calculate(&calc)).await?;
                    let size = calc.prepare_weight();
                    guard
                        .run_item(size, memory, move || calculate::prepare(&ctx, &calc))
                        .await
                }
            }
        });
        Pending { request_id, task }
    }
}

/// The oldest pending item's outcome once it is done (a task that panicked outside the
/// guards is INTERNAL, as a panic inside them is); never, when none is pending.
async fn oldest(pending: &mut VecDeque<Pending>) -> Result<pb::CalculateImpactResponse, ApiError> {
    match pending.front_mut() {
        Some(p) => (&mut p.task).await.unwrap_or(Err(ApiError::Internal)),
        None => std::future::pending().await,
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Totals {
    /// Counts one item's outcome into the totals and turns it into the item's answer; a total
    /// that overflows ends the stream.
    fn count(
        &mut self,
        outcome: Result<pb::CalculateImpactResponse, ApiError>,
        request_id: &str,
    ) -> Result<pb::calculate_batch_response::Outcome, Status> {
        match outcome {
            Ok(result) => {
                metrics::counter!(crate::observe::BATCH_ITEMS, "outcome" => "OK").increment(1);
                self.succeeded += 1;
                add(&mut self.unit_delta, result.delta.as_ref())
                    .and_then(|()| add(&mut self.annual, result.annual_impact.as_ref()))
                    .map_err(Status::from)?;
                Ok(pb::calculate_batch_response::Outcome::Result(result))
            }
            Err(e) => {
                if matches!(e, ApiError::Internal) {
                    tracing::error!("a batch item panicked; answered INTERNAL");
                    tracing::error!(target: crate::observe::DETAILS, %request_id, "the batch item that panicked");
                }
                self.failed += 1;
                Ok(pb::calculate_batch_response::Outcome::Error(batch_error(
                    &e,
                )))
            }
        }
    }

    fn summary(&self) -> pb::BatchSummary {
        pb::BatchSummary {
            requests: self.requests,
            succeeded: self.succeeded,
            failed: self.failed,
            total_unit_delta: money_list(&self.unit_delta),
            total_annual_impact: money_list(&self.annual),
        }
    }
}
