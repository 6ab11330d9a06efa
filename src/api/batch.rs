//! `CalculateBatch`: a bidirectional stream of calculations. Requests are read one at a time;
//! each item runs under the same guards as a unary call (budgets, memory, a calculation slot
//! for heavy items) but waits for its turn instead of being shed, and each response is sent
//! into a small bounded channel before the next request is read. A client that stops reading
//! therefore stops the server reading, and HTTP/2 flow control then stops the client sending:
//! memory stays flat however long the stream runs. A bad item gets its own error and the
//! stream goes on; the summary comes last, after the client closes its side.
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
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

/// Responses buffered per stream before the server stops reading requests.
pub(crate) const CHANNEL_CAPACITY: usize = 4;

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
    loop {
        // A malformed item is answered as an empty request and its failure left for this
        // loop (see `wire::codec`); nothing stale may linger from before.
        let _ = item_failure();
        let req = match tokio::time::timeout(idle, inbound.message()).await {
            Ok(Ok(Some(req))) => req,
            Ok(Ok(None)) => break,
            Ok(Err(status)) => return Err(End::Status(canonical_status(status))),
            Err(_) => {
                return Err(End::Status(Status::from(ApiError::StreamIdle {
                    timeout: idle,
                })));
            }
        };
        let failure = item_failure();
        t.requests += 1;
        let memory = admission.take_decoded();
        let pb::CalculateBatchRequest {
            request_id,
            calculation,
        } = req;
        let outcome = match calculation {
            _ if failure.is_some() => Err(failure.unwrap_or(ApiError::Internal)),
            None => Err(ApiError::from(InputError::new(
                "calculation",
                Reason::Required,
                "each batch request needs a calculation",
            ))),
            Some(calc) => match ctx.for_request(&super::refs::calculate(&calc)).await {
                Err(e) => Err(e),
                Ok(ctx) => {
                    let size = calc.prepare_weight();
                    guard
                        .run_item(size, memory, move || calculate::prepare(&ctx, &calc))
                        .await
                }
            },
        };
        let response = pb::CalculateBatchResponse {
            outcome: Some(t.count(outcome, &request_id).map_err(End::Status)?),
            request_id,
        };
        // The response is held until tonic takes it: its memory is lent from the pool.
        let bytes = prost::Message::encoded_len(&response) as u64;
        let held = match guard.capacity().reserve_waiting(bytes).await {
            Ok(r) => r,
            Err(e) => return Err(End::Status(Status::from(e))),
        };
        send(tx, Ok(response), held, idle).await?;
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
