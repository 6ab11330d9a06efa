//! The exactly-once ledger of a batch: which items have their final answer, the answers'
//! totals, and the report. Every answer passes here, under one lock: an item is counted the
//! first time it is answered and never again, so a retried item can neither be lost (it is
//! final only once answered) nor counted twice (a second answer is counted as a duplicate and
//! left out of the totals).

use super::Report;
use crate::pb;
use crate::pb::calculate_batch_response::Outcome;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;

/// Item error codes worth another replica: the replica was shedding or stopping, the item
/// itself is fine.
const RETRYABLE: [&str; 2] = ["UNAVAILABLE", "RESOURCE_EXHAUSTED"];

/// What became of one answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The item's final answer.
    Final,
    /// A retryable item error: send the item again.
    Retry,
    /// The item had its final answer already; this one is not counted.
    Duplicate,
}

/// See the module docs.
pub struct Ledger {
    index: HashMap<String, usize>,
    answered: Vec<bool>,
    attempts: Vec<u32>,
    max_attempts: u32,
    delta: BTreeMap<String, Decimal>,
    annual: BTreeMap<String, Decimal>,
    out: Option<Box<dyn Write + Send>>,
    /// The counts of the report so far.
    pub report: Report,
}

impl Ledger {
    /// A ledger of `items`, writing each final answer to `out` as a JSON line.
    pub fn new(
        items: &[pb::CalculateBatchRequest],
        max_attempts: u32,
        out: Option<Box<dyn Write + Send>>,
    ) -> Ledger {
        let index = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.request_id.clone(), i))
            .collect();
        Ledger {
            index,
            answered: vec![false; items.len()],
            attempts: vec![0; items.len()],
            max_attempts,
            delta: BTreeMap::new(),
            annual: BTreeMap::new(),
            out,
            report: Report {
                items: items.len() as u64,
                ..Report::default()
            },
        }
    }

    /// The item of `request_id`.
    pub fn item(&self, request_id: &str) -> Option<usize> {
        self.index.get(request_id).copied()
    }

    /// Items not answered yet.
    pub fn outstanding(&self) -> u64 {
        self.report.items - self.report.answered - self.report.gave_up
    }

    /// Records an answer to item `i` from `instance`.
    pub fn record(
        &mut self,
        i: usize,
        request_id: &str,
        instance: &str,
        outcome: Outcome,
    ) -> Result<Recorded, String> {
        if self.answered[i] {
            self.report.duplicates += 1;
            return Ok(Recorded::Duplicate);
        }
        match &outcome {
            // Sent again while it has attempts left ([`Ledger::attempted`] counts the send).
            Outcome::Error(e)
                if RETRYABLE.contains(&e.code.as_str())
                    && self.attempts[i] + 1 < self.max_attempts =>
            {
                return Ok(Recorded::Retry);
            }
            Outcome::Error(_) => self.report.failed += 1,
            Outcome::Result(r) => {
                add(&mut self.delta, r.delta.as_ref())?;
                add(&mut self.annual, r.annual_impact.as_ref())?;
                self.report.succeeded += 1;
            }
            Outcome::Summary(_) => return Err("a summary cannot answer an item".into()),
        }
        self.answered[i] = true;
        self.report.answered += 1;
        *self
            .report
            .by_instance
            .entry(instance.to_string())
            .or_default() += 1;
        if let Some(out) = &mut self.out {
            write_line(out, request_id, instance, outcome)?;
        }
        Ok(Recorded::Final)
    }

    /// Counts one more attempt at item `i`; false when it has had its last. An item that
    /// used them all without an answer is given up (and the run fails).
    pub fn attempted(&mut self, i: usize) -> bool {
        self.attempts[i] += 1;
        if self.attempts[i] < self.max_attempts {
            self.report.retried += 1;
            return true;
        }
        false
    }

    /// Gives up item `i` (its attempts are used up).
    pub fn give_up(&mut self, i: usize) {
        if !self.answered[i] {
            self.report.gave_up += 1;
        }
    }

    /// The report with its totals.
    pub fn finish(mut self) -> Result<Report, String> {
        if let Some(out) = &mut self.out {
            out.flush().map_err(|e| format!("--out: {e}"))?;
        }
        self.report.total_unit_delta = totals(&self.delta);
        self.report.total_annual_impact = totals(&self.annual);
        Ok(self.report)
    }
}

/// Adds an amount to its currency's total (the amounts as the server rounded them, as its
/// own batch summary adds them).
fn add(map: &mut BTreeMap<String, Decimal>, money: Option<&pb::Money>) -> Result<(), String> {
    let Some(m) = money else { return Ok(()) };
    let value: Decimal = m.amount.parse().map_err(|_| {
        format!(
            "the server sent an amount that is not a decimal: {:?}",
            m.amount
        )
    })?;
    let sum = map.entry(m.currency.clone()).or_default();
    *sum = sum
        .checked_add(value)
        .ok_or_else(|| format!("the {} total overflows", m.currency))?;
    Ok(())
}

fn totals(map: &BTreeMap<String, Decimal>) -> Vec<super::Total> {
    map.iter()
        .map(|(currency, amount)| super::Total {
            amount: amount.to_string(),
            currency: currency.clone(),
        })
        .collect()
}

fn write_line(
    out: &mut Box<dyn Write + Send>,
    request_id: &str,
    instance: &str,
    outcome: Outcome,
) -> Result<(), String> {
    let (key, value) = match outcome {
        Outcome::Result(r) => ("result", serde_json::to_value(r)),
        Outcome::Error(e) => ("error", serde_json::to_value(e)),
        Outcome::Summary(_) => return Ok(()),
    };
    let value = value.map_err(|e| format!("--out: {e}"))?;
    let line = serde_json::json!({"requestId": request_id, "instance": instance, key: value});
    serde_json::to_writer(&mut *out, &line).map_err(|e| format!("--out: {e}"))?;
    out.write_all(b"\n").map_err(|e| format!("--out: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str) -> pb::CalculateBatchRequest {
        pb::CalculateBatchRequest {
            request_id: id.into(),
            calculation: None,
        }
    }

    fn result(delta: &str) -> Outcome {
        Outcome::Result(pb::CalculateImpactResponse {
            delta: Some(pb::Money {
                amount: delta.into(),
                currency: "USD".into(),
                exact: String::new(),
            }),
            ..Default::default()
        })
    }

    fn error(code: &str) -> Outcome {
        Outcome::Error(pb::BatchError {
            code: code.into(),
            ..Default::default()
        })
    }

    #[test]
    fn an_item_counts_once_and_retryable_errors_are_sent_again() {
        let items = [item("a"), item("b"), item("c")];
        let mut l = Ledger::new(&items, 3, None);
        assert_eq!(l.record(0, "a", "r1", result("1.25")), Ok(Recorded::Final));
        assert_eq!(
            l.record(0, "a", "r2", result("1.25")),
            Ok(Recorded::Duplicate)
        );
        assert_eq!(
            l.record(1, "b", "r1", error("UNAVAILABLE")),
            Ok(Recorded::Retry)
        );
        assert!(l.attempted(1));
        assert_eq!(l.record(1, "b", "r2", result("0.10")), Ok(Recorded::Final));
        assert_eq!(
            l.record(2, "c", "r2", error("INVALID_ARGUMENT")),
            Ok(Recorded::Final)
        );
        assert_eq!(l.outstanding(), 0);
        let r = l.finish().unwrap();
        assert_eq!((r.answered, r.succeeded, r.failed), (3, 2, 1));
        assert_eq!((r.duplicates, r.retried, r.gave_up), (1, 1, 0));
        assert_eq!(r.by_instance["r1"], 1);
        assert_eq!(r.by_instance["r2"], 2);
        assert_eq!(r.total_unit_delta.len(), 1);
        assert_eq!(r.total_unit_delta[0].amount, "1.35");
    }

    #[test]
    fn a_retryable_error_on_the_last_attempt_is_the_answer() {
        let mut l = Ledger::new(&[item("a")], 2, None);
        assert_eq!(
            l.record(0, "a", "r1", error("RESOURCE_EXHAUSTED")),
            Ok(Recorded::Retry)
        );
        assert!(l.attempted(0));
        assert_eq!(
            l.record(0, "a", "r1", error("RESOURCE_EXHAUSTED")),
            Ok(Recorded::Final)
        );
        let r = l.finish().unwrap();
        assert_eq!((r.answered, r.failed, r.retried), (1, 1, 1));
    }

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn answers_are_found_by_request_id_and_written_once_each() {
        let out = Shared::default();
        let mut l = Ledger::new(&[item("a"), item("b")], 3, Some(Box::new(out.clone())));
        assert_eq!(
            (l.item("a"), l.item("b"), l.item("c")),
            (Some(0), Some(1), None)
        );
        l.record(1, "b", "r2", result("0.50")).unwrap();
        l.record(1, "b", "r3", result("0.50")).unwrap();
        l.record(0, "a", "r1", error("NOT_FOUND")).unwrap();
        l.finish().unwrap();
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["requestId"], "b");
        assert_eq!(lines[0]["instance"], "r2");
        assert_eq!(lines[0]["result"]["delta"]["amount"], "0.50");
        assert_eq!(lines[1]["requestId"], "a");
        assert_eq!(lines[1]["error"]["code"], "NOT_FOUND");
    }

    #[test]
    fn an_item_out_of_attempts_is_given_up_once() {
        let mut l = Ledger::new(&[item("a"), item("b")], 2, None);
        assert!(l.attempted(0));
        assert!(!l.attempted(0));
        l.give_up(0);
        assert_eq!(l.outstanding(), 1);
        l.record(1, "b", "r1", result("2")).unwrap();
        l.give_up(1);
        let r = l.finish().unwrap();
        assert_eq!((r.gave_up, r.answered), (1, 1));
    }
}
