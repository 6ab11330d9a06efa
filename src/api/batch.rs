//! `CalculateBatch`: a bidirectional stream of calculations. Requests are read one at a time
//! and each response is sent into a small bounded channel before the next request is read, so
//! a client that stops reading stops the server reading (HTTP/2 flow control then stops the
//! client sending): memory stays flat however long the stream runs. A bad item gets its own
//! error and the stream goes on; the summary comes last, after the client closes its side.

use super::cost_impact_service::CostImpactApi;
use super::error::ApiError;
use crate::engine::{InputError, Reason};
use crate::pb;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

/// Responses buffered per stream before the server stops reading requests.
pub const CHANNEL_CAPACITY: usize = 16;

fn batch_error(e: &ApiError) -> pb::BatchError {
    pb::BatchError {
        code: e.code_name().to_string(),
        message: e.message(),
        field_violations: e
            .violations()
            .iter()
            .map(|v| pb::FieldViolation {
                field: v.field.clone(),
                reason: v.reason.as_str().to_string(),
                description: v.message.clone(),
            })
            .collect(),
    }
}

/// Why one batch item failed.
enum Failure {
    Api(ApiError),
    Panic,
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

fn add(map: &mut BTreeMap<String, Decimal>, money: Option<&pb::Money>) -> Result<(), Status> {
    let Some(m) = money else { return Ok(()) };
    let value: Decimal = m
        .amount
        .parse()
        .map_err(|_| Status::internal("a computed amount did not parse"))?;
    let sum = map.entry(m.currency.clone()).or_default();
    *sum = sum.checked_add(value).ok_or_else(|| {
        Status::resource_exhausted("the batch's fleet total exceeds the 28-digit decimal range")
    })?;
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

/// Answers every request of `inbound` on `tx`, then the summary.
pub async fn run(
    api: CostImpactApi,
    mut inbound: Streaming<pb::CalculateBatchRequest>,
    tx: mpsc::Sender<Result<pb::CalculateBatchResponse, Status>>,
) {
    let mut t = Totals::default();
    loop {
        let req = match inbound.message().await {
            Ok(Some(req)) => req,
            Ok(None) => break,
            Err(status) => {
                tracing::info!(code = ?status.code(), "batch stream ended with an error");
                let _ = tx.send(Err(super::error::canonical_status(status))).await;
                return;
            }
        };
        t.requests += 1;
        let outcome = match req.calculation.as_ref() {
            None => Err(Failure::Api(ApiError::from(InputError::new(
                "calculation",
                Reason::Required,
                "each batch request needs a calculation",
            )))),
            // A panic stays inside its item: INTERNAL for it, the stream goes on.
            Some(calc) => {
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| api.calculate(calc)))
                {
                    Ok(r) => r.map_err(Failure::Api),
                    Err(_) => {
                        tracing::error!(request_id = %req.request_id, "a batch item panicked; answered INTERNAL");
                        Err(Failure::Panic)
                    }
                }
            }
        };
        let outcome = match outcome {
            Ok(result) => {
                t.succeeded += 1;
                if let Err(status) = add(&mut t.unit_delta, result.delta.as_ref())
                    .and_then(|()| add(&mut t.annual, result.annual_impact.as_ref()))
                {
                    let _ = tx.send(Err(status)).await;
                    return;
                }
                pb::calculate_batch_response::Outcome::Result(result)
            }
            Err(Failure::Api(e)) => {
                t.failed += 1;
                pb::calculate_batch_response::Outcome::Error(batch_error(&e))
            }
            Err(Failure::Panic) => {
                t.failed += 1;
                pb::calculate_batch_response::Outcome::Error(pb::BatchError {
                    code: "INTERNAL".to_string(),
                    message: "internal error: the calculation failed unexpectedly".to_string(),
                    field_violations: Vec::new(),
                })
            }
        };
        let response = pb::CalculateBatchResponse {
            request_id: req.request_id,
            outcome: Some(outcome),
        };
        if tx.send(Ok(response)).await.is_err() {
            tracing::info!(requests = t.requests, "batch client went away");
            return;
        }
    }
    tracing::info!(
        requests = t.requests,
        succeeded = t.succeeded,
        failed = t.failed,
        "batch finished"
    );
    let summary = pb::BatchSummary {
        requests: t.requests,
        succeeded: t.succeeded,
        failed: t.failed,
        total_unit_delta: money_list(&t.unit_delta),
        total_annual_impact: money_list(&t.annual),
    };
    let _ = tx
        .send(Ok(pb::CalculateBatchResponse {
            request_id: String::new(),
            outcome: Some(pb::calculate_batch_response::Outcome::Summary(summary)),
        }))
        .await;
}
