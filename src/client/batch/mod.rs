//! The scale-out batch client: a large batch spread over several replicas, with nothing lost
//! and nothing counted twice when a replica dies.
//!
//! The items are cut into chunks; each chunk is one `CalculateBatch` stream on the balanced
//! channel of [`fleet`], and several streams run at once, so the replicas share the work by
//! their load. A stream keeps at most `window` items unanswered (it sends the next item as an
//! answer arrives): a replica that dies holds at most that many, and the rest of its chunk was
//! never sent. When a stream fails (the replica died, was drained, or shed the stream), the
//! chunk's unanswered items go back to the queue for another replica, and the fleet is
//! probed. Items whose answer is a retryable error (UNAVAILABLE, RESOURCE_EXHAUSTED) are sent
//! again too, up to `max_attempts`. Answers are reconciled by request id in the [`ledger`]:
//! every item is answered exactly once, and the fleet totals (per currency, of the amounts as
//! the server rounded them, as its own batch summary adds them) are computed here, from the
//! answers counted, so they equal a single replica's totals.

pub mod fleet;
pub mod input;
pub mod ledger;

use crate::pb;
use crate::pb::calculate_batch_response::Outcome;
use crate::pb::cost_impact_service_client::CostImpactServiceClient;
use fleet::Fleet;
use ledger::{Ledger, Recorded};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tonic::transport::Channel;

/// How long a stream may wait for a replica to take it: the balanced channel waits for a
/// ready replica, and one that just died may be the only one it still knows.
const OPEN_TIMEOUT: Duration = Duration::from_secs(20);

/// How a batch is spread.
#[derive(Debug, Clone)]
pub struct Options {
    /// The replicas, `host:port` or URLs.
    pub servers: Vec<String>,
    /// Streams at once (default: two per replica, so each replica's cores stay busy while
    /// an answer travels).
    pub streams: usize,
    /// Items per stream.
    pub chunk: usize,
    /// Unanswered items a stream holds at most.
    pub window: usize,
    /// Sends of one item before the client gives it up.
    pub max_attempts: u32,
    /// Bearer token, if the servers want one.
    pub token: Option<String>,
}

impl Options {
    /// The defaults for `servers`.
    pub fn new(servers: Vec<String>) -> Options {
        Options {
            streams: servers.len().max(1) * 2,
            servers,
            chunk: 500,
            window: 64,
            max_attempts: 5,
            token: None,
        }
    }
}

/// A fleet total in one currency.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Total {
    /// The sum, e.g. "31500.00".
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
}

/// What a batch run did (printed as JSON by `tariff-impact batch`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Items in the file.
    pub items: u64,
    /// Items with their final answer (a result or an item error), each counted once.
    pub answered: u64,
    /// Items answered with a result.
    pub succeeded: u64,
    /// Items answered with an error (the item's own, not the replica's).
    pub failed: u64,
    /// Items given up after `max_attempts` sends without an answer (the run fails).
    pub gave_up: u64,
    /// Sends of an item after its first.
    pub retried: u64,
    /// Answers to an item already answered: not counted in the totals.
    pub duplicates: u64,
    /// Streams opened.
    pub streams: u64,
    /// Streams that ended without their summary (a replica died, drained or shed them).
    pub streams_failed: u64,
    /// Replicas taken out of the channel after a failed health probe.
    pub removed_servers: Vec<String>,
    /// Final answers by the replica that gave them (its `x-tariff-instance`).
    pub by_instance: BTreeMap<String, u64>,
    /// Sum of the per-unit deltas of the results, per currency.
    pub total_unit_delta: Vec<Total>,
    /// Sum of the annual impacts of the results that gave a volume, per currency.
    pub total_annual_impact: Vec<Total>,
    /// Wall time of the run.
    pub seconds: f64,
}

/// Where the run stands when an item gets its final answer: what an observer (a test that
/// kills a replica at a chosen moment, a progress bar) sees.
#[derive(Debug)]
pub struct Progress<'a> {
    /// Items answered so far, this one included.
    pub answered: u64,
    /// The replica that answered.
    pub instance: &'a str,
    /// Items of this stream's chunk not answered yet (sent or not).
    pub chunk_unanswered: usize,
    /// Items of this stream's chunk not sent yet.
    pub chunk_unsent: usize,
}

/// Called on every final answer, on the stream's task: it should return quickly.
pub type Observer = Arc<dyn Fn(&Progress<'_>) + Send + Sync>;

/// What the streams share.
struct Shared {
    items: Vec<pb::CalculateBatchRequest>,
    options: Options,
    fleet: Fleet,
    queue: Mutex<VecDeque<Vec<usize>>>,
    ledger: Mutex<Ledger>,
    wake: Notify,
    observer: Option<Observer>,
}

/// Runs `items` over the fleet of `options`, writing each final answer to `out` (JSON lines).
pub async fn run(
    items: Vec<pb::CalculateBatchRequest>,
    options: Options,
    out: Option<Box<dyn std::io::Write + Send>>,
    observer: Option<Observer>,
) -> Result<Report, String> {
    if options.servers.is_empty() {
        return Err("--servers names no replica".into());
    }
    let started = Instant::now();
    let fleet = Fleet::new(&options.servers).await?;
    let chunk = options.chunk.max(1);
    let queue = (0..items.len())
        .collect::<Vec<_>>()
        .chunks(chunk)
        .map(<[usize]>::to_vec)
        .collect();
    let ledger = Ledger::new(&items, options.max_attempts.max(1), out);
    let shared = Arc::new(Shared {
        items,
        fleet,
        queue: Mutex::new(queue),
        ledger: Mutex::new(ledger),
        wake: Notify::new(),
        observer,
        options,
    });
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..shared.options.streams.max(1) {
        tasks.spawn(worker(shared.clone()));
    }
    let mut failure = None;
    while let Some(done) = tasks.join_next().await {
        let r = done
            .map_err(|e| format!("a stream task failed: {e}"))
            .and_then(|r| r);
        if let Err(e) = r {
            failure.get_or_insert(e);
            // Give up the rest: the other streams end at their next chunk.
            lock(&shared.queue).clear();
            shared.wake.notify_waiters();
        }
    }
    let removed = shared.fleet.removed();
    let Ok(shared) = Arc::try_unwrap(shared) else {
        return Err("a stream task outlived the run".into());
    };
    let ledger = shared
        .ledger
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut report = ledger.finish()?;
    report.removed_servers = removed;
    report.seconds = started.elapsed().as_secs_f64();
    match failure {
        Some(e) => Err(format!(
            "{e} ({} of {} items answered)",
            report.answered, report.items
        )),
        None => Ok(report),
    }
}

/// One stream slot: takes chunks until every item is answered or given up.
async fn worker(shared: Arc<Shared>) -> Result<(), String> {
    let mut client = CostImpactServiceClient::new(shared.fleet.channel())
        .max_decoding_message_size(64 * 1024 * 1024);
    loop {
        // Registered before looking, so a chunk put back meanwhile is not missed.
        let woken = shared.wake.notified();
        if shared.fleet.live().is_empty() {
            return Err("no replica is left serving".into());
        }
        let next = lock(&shared.queue).pop_front();
        let Some(chunk) = next else {
            if lock(&shared.ledger).outstanding() == 0 {
                shared.wake.notify_waiters();
                return Ok(());
            }
            // Another stream still holds items that may come back.
            let _ = tokio::time::timeout(Duration::from_millis(200), woken).await;
            continue;
        };
        lock(&shared.ledger).report.streams += 1;
        let ended = stream_chunk(&shared, &mut client, &chunk).await;
        let again = back_to_queue(&shared, ended.unanswered);
        if let Some(failure) = ended.failure {
            lock(&shared.ledger).report.streams_failed += 1;
            tracing::warn!(
                error = %failure,
                requeued = again,
                "a batch stream failed; its unanswered items go to another replica"
            );
            shared.fleet.check().await?;
            // A moment for the channel to take the change in.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if lock(&shared.ledger).outstanding() == 0 {
            shared.wake.notify_waiters();
        }
    }
}

/// Puts `items` back for another stream, each counted as an attempt; those out of attempts
/// are given up. Returns how many went back.
fn back_to_queue(shared: &Shared, items: Vec<usize>) -> usize {
    if items.is_empty() {
        return 0;
    }
    let mut again = Vec::with_capacity(items.len());
    {
        let mut ledger = lock(&shared.ledger);
        for i in items {
            if ledger.attempted(i) {
                again.push(i);
            } else {
                ledger.give_up(i);
            }
        }
    }
    let n = again.len();
    if n > 0 {
        lock(&shared.queue).push_front(again);
        shared.wake.notify_waiters();
    }
    n
}

/// How a chunk's stream ended.
struct Ended {
    /// Items to send again: unanswered when the stream failed, or answered with a retryable
    /// error.
    unanswered: Vec<usize>,
    /// Why the stream failed, if it did.
    failure: Option<String>,
}

/// Sends `chunk` on one stream, `window` items ahead of the answers.
async fn stream_chunk(
    shared: &Shared,
    client: &mut CostImpactServiceClient<Channel>,
    chunk: &[usize],
) -> Ended {
    let window = shared.options.window.max(1);
    let (tx, rx) = tokio::sync::mpsc::channel(window);
    let mut sender = Some(tx);
    let mut sent = 0;
    let mut send_next = |sender: &mut Option<tokio::sync::mpsc::Sender<_>>| {
        if let Some(&i) = chunk.get(sent)
            && let Some(tx) = sender
        {
            // Never full: the channel holds `window` and at most `window` are unanswered.
            let _ = tx.try_send(shared.items[i].clone());
            sent += 1;
        }
        if sent == chunk.len() {
            // All sent: closing our side asks the server for its summary.
            *sender = None;
        }
        sent
    };
    for _ in 0..window.min(chunk.len()) {
        send_next(&mut sender);
    }
    let mut request = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    if let Some(token) = &shared.options.token
        && let Ok(v) = format!("Bearer {token}").parse()
    {
        request.metadata_mut().insert("authorization", v);
    }
    let mut pending: HashSet<usize> = chunk.iter().copied().collect();
    let mut retry = Vec::new();
    let failed = |pending: HashSet<usize>, retry: Vec<usize>, why: String| {
        let mut unanswered: Vec<usize> = pending.into_iter().chain(retry).collect();
        unanswered.sort_unstable();
        Ended {
            unanswered,
            failure: Some(why),
        }
    };
    let opened = tokio::select! {
        r = tokio::time::timeout(OPEN_TIMEOUT, client.calculate_batch(request)) => r,
        () = shared.fleet.emptied() => return failed(pending, retry, "no replica is left".into()),
    };
    let response = match opened {
        Ok(Ok(r)) => r,
        Ok(Err(s)) => return failed(pending, retry, status_text(&s)),
        Err(_) => {
            let why = format!("no replica took the stream within {OPEN_TIMEOUT:?}");
            return failed(pending, retry, why);
        }
    };
    let instance = response
        .metadata()
        .get("x-tariff-instance")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unnamed")
        .to_string();
    let mut stream = response.into_inner();
    let mut summary = false;
    loop {
        let message = match stream.message().await {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(s) => return failed(pending, retry, status_text(&s)),
        };
        let Some(outcome) = message.outcome else {
            continue;
        };
        if matches!(outcome, Outcome::Summary(_)) {
            summary = true;
            continue;
        }
        let index = lock(&shared.ledger).item(&message.request_id);
        let Some(i) = index.filter(|i| pending.remove(i)) else {
            // Not an item of this stream: the server's echo is wrong; count it, trust nothing.
            lock(&shared.ledger).report.duplicates += 1;
            continue;
        };
        let (recorded, answered) = {
            let mut ledger = lock(&shared.ledger);
            let r = ledger.record(i, &message.request_id, &instance, outcome);
            (r, ledger.report.answered)
        };
        match recorded {
            Ok(Recorded::Final) => {}
            Ok(Recorded::Retry) => retry.push(i),
            Ok(Recorded::Duplicate) => {}
            Err(e) => return failed(pending, retry, e),
        }
        let sent_now = send_next(&mut sender);
        if let Some(observe) = &shared.observer {
            observe(&Progress {
                answered,
                instance: &instance,
                chunk_unanswered: pending.len(),
                chunk_unsent: chunk.len() - sent_now,
            });
        }
    }
    if !summary || !pending.is_empty() {
        let why = format!(
            "the stream of {instance} ended without {}",
            if summary {
                "answering every item"
            } else {
                "its summary"
            }
        );
        return failed(pending, retry, why);
    }
    Ended {
        unanswered: retry,
        failure: None,
    }
}

fn status_text(s: &tonic::Status) -> String {
    format!("{:?}: {}", s.code(), s.message())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
