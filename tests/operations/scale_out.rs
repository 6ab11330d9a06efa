//! Scale-out: 10,000 EV-sized products spread over three replicas by the batch client; one
//! replica is SIGKILLed mid-run. Every product is answered exactly once, and the fleet totals
//! equal those of the same batch run on a single replica.
//!
//! The kill is placed deterministically, not by time: the observer kills the replica that
//! answers the first item after 2,000 answers whose stream still has at least 200 items not
//! sent. Those items cannot have been answered by the dead replica, so the run must send them
//! again elsewhere, whatever the speed of the machine.

use crate::replica::Replica;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tariff_impact::client::batch::{self, Observer, Options, Progress, Report};
use tariff_impact::pb;

const PRODUCTS: usize = 10_000;

/// Product `i`: an EV drive unit whose Nd oxide mass varies with `i` (1.0 to 2.9 kg), with
/// the preset decks and schedules.
fn product(i: usize) -> pb::CalculateBatchRequest {
    let calc = serde_json::json!({
        "bom": {"id": format!("sku-{i}"), "currency": "USD", "items": [
            {"id": "drive-unit", "children": [
                {"id": "rotor-magnets", "import": {"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"},
                 "children": [
                    {"id": "nd-oxide", "materialId": "nd-oxide", "quantity": format!("{}.{}", 1 + i % 2, i % 10), "unit": "UNIT_OF_MEASURE_KG"},
                    {"id": "dy-oxide", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"},
                    {"id": "conversion", "unitPrice": "45.00"}]},
                {"id": "stator", "unitPrice": "380.00"}]},
            {"id": "rest", "unitPrice": "38000.00"}]},
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "annualVolume": "1000",
                    "view": "RESULT_VIEW_SUMMARY"}
    });
    pb::CalculateBatchRequest {
        request_id: format!("p{i}"),
        calculation: Some(serde_json::from_value(calc).expect("a valid request")),
    }
}

/// The answers written to `--out`, shared with the test.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn start(name: &str) -> Replica {
    Replica::start(&["--instance-id", name])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_batch_loses_nothing_and_counts_nothing_twice() {
    let items: Vec<_> = (0..PRODUCTS).map(product).collect();
    let replicas: BTreeMap<String, Replica> = ["r1", "r2", "r3"]
        .into_iter()
        .map(|n| (n.to_string(), start(n)))
        .collect();
    let pids: BTreeMap<String, u32> = replicas.iter().map(|(n, r)| (n.clone(), r.pid())).collect();
    let killed: Arc<Mutex<Option<String>>> = Arc::default();
    let once = Arc::new(AtomicBool::new(false));
    let observer: Observer = {
        let killed = killed.clone();
        Arc::new(move |p: &Progress<'_>| {
            if p.answered >= 2_000 && p.chunk_unsent >= 200 && !once.swap(true, Ordering::SeqCst) {
                let pid = pids[p.instance];
                let status = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status()
                    .unwrap();
                assert!(status.success());
                *killed.lock().unwrap() = Some(p.instance.to_string());
            }
        })
    };
    let servers: Vec<String> = replicas.values().map(|r| r.addr.clone()).collect();
    let lines = Lines::default();
    let fleet = batch::run(
        items.clone(),
        Options::new(servers),
        Some(Box::new(lines.clone())),
        Some(observer),
    )
    .await
    .expect("the batch completes on the two replicas left");
    let victim = killed
        .lock()
        .unwrap()
        .clone()
        .expect("a replica was killed");

    // Every product answered exactly once: by the report, and by the answers written.
    assert_eq!(fleet.items, PRODUCTS as u64);
    assert_eq!(fleet.answered, PRODUCTS as u64);
    assert_eq!(fleet.succeeded, PRODUCTS as u64, "{fleet:?}");
    assert_eq!((fleet.failed, fleet.gave_up, fleet.duplicates), (0, 0, 0));
    let written = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let ids: Vec<String> = written
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["requestId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), PRODUCTS);
    let unique: HashSet<&String> = ids.iter().collect();
    let expected: Vec<String> = items.iter().map(|i| i.request_id.clone()).collect();
    assert_eq!(unique, expected.iter().collect::<HashSet<_>>());

    // The kill cost a stream at least, and the 200+ items it never sent went elsewhere.
    assert!(fleet.streams_failed >= 1, "{fleet:?}");
    assert!(fleet.retried >= 200, "{fleet:?}");
    let victim_url = format!("http://{}", replicas[&victim].addr);
    assert_eq!(fleet.removed_servers, [victim_url]);
    assert_eq!(fleet.by_instance.values().sum::<u64>(), PRODUCTS as u64);
    assert!(
        fleet.by_instance[&victim] >= 1,
        "the killed replica had answered: {fleet:?}"
    );

    // The same batch on one surviving replica: the same totals, to the cent.
    let survivor = replicas.keys().find(|n| **n != victim).unwrap();
    let single: Report = batch::run(
        items,
        Options::new(vec![replicas[survivor].addr.clone()]),
        None,
        None,
    )
    .await
    .expect("the batch on one replica");
    assert_eq!(single.answered, PRODUCTS as u64);
    assert_eq!((single.streams_failed, single.retried), (0, 0));
    assert_eq!(single.by_instance.keys().collect::<Vec<_>>(), [survivor]);
    assert_eq!(fleet.total_unit_delta, single.total_unit_delta);
    assert_eq!(fleet.total_annual_impact, single.total_annual_impact);
    assert_eq!(fleet.total_unit_delta.len(), 1);
    assert_eq!(fleet.total_unit_delta[0].currency, "USD");
}
