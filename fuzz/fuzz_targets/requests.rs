//! Arbitrary bytes as requests: scanned and decoded as the server's codec does, then
//! validated, estimated, checked against budgets and costed under a meter exactly as the
//! server does. The first byte picks the RPC. Any panic, overflow or hang here is a finding:
//! every input must end in a response or an error. A plan whose meter counts more work than
//! its estimate is a finding too (the cost model must bound the work), and so is a CSV BOM
//! whose response is larger than the upper bound its memory is reserved for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::{Message, Name};
use std::sync::{Arc, OnceLock};
use tariff_impact::api::budget::Budgets;
use tariff_impact::api::guard::Plan;
use tariff_impact::api::{ApiError, Context, bom_csv, calculate, compare, sensitivity};
use tariff_impact::catalog::Catalog;
use tariff_impact::convert::Limits;
use tariff_impact::engine::{Meter, Stopped};
use tariff_impact::pb;
use tariff_impact::wire::{self, codec};

fn ctx() -> &'static Context {
    static CTX: OnceLock<Context> = OnceLock::new();
    CTX.get_or_init(|| Context {
        catalog: Arc::new(Catalog::builtin().unwrap()),
        // Small limits keep each input fast; the checks are the same at any size.
        limits: Limits {
            max_depth: 32,
            max_items: 2_000,
            max_scenarios: 8,
            max_inputs: 4,
            max_overlay_changes: 64,
            max_overlay_entries: 40_000,
        },
        live: None,
    })
}

/// Runs a plan as the server would, with a work budget small enough to keep each input fast;
/// a plan within its budget must never be stopped by its meter.
fn run<P: Plan>(plan: Result<P, ApiError>) -> Option<(P::Response, u64)> {
    let Ok(plan) = plan else { return None };
    let budgets = Budgets { max_call_work: 2_000_000, ..Budgets::default() };
    let cost = plan.cost();
    if budgets.check(&cost, plan.explain()).is_err() {
        return None;
    }
    // A deadline ends the debug builds' test hook that runs until it is stopped.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let meter = Meter::new(None, Some(deadline), cost.work);
    match plan.run(&meter) {
        Err(ApiError::Stopped(Stopped::OverBudget { limit })) => {
            panic!("the estimate of {limit} units was exceeded")
        }
        Ok(response) => Some((response, cost.response_bytes)),
        Err(_) => None,
    }
}

/// Decodes `body` as the server's codec does: the scan first; what it accepts, prost must
/// decode (the scan accepts exactly what prost accepts, or the codec would answer a client
/// fault as a server fault).
fn decode<M: Message + Name + Default>(body: &[u8]) -> Option<M> {
    match codec::check(wire::api_schema(), &M::full_name(), body) {
        Ok(_) => Some(M::decode(body).expect("the scan accepted what prost rejects")),
        Err(ApiError::Malformed(_)) => {
            assert!(M::decode(body).is_err(), "the scan rejected what prost accepts");
            None
        }
        // Well-formed but too large once decoded.
        Err(_) => {
            assert!(M::decode(body).is_ok(), "an oversized message is well-formed");
            None
        }
    }
}

/// Whether `data` names one of the debug builds' fault-injection presets (a panic on purpose,
/// a calculation that runs until stopped): the fuzzer can find their ids by comparing bytes,
/// and they prove nothing here.
fn names_a_test_hook(data: &[u8]) -> bool {
    use tariff_impact::api::calculate::{BLOCKING_BOM_ID, FAULT_INJECTION_BOM_ID};
    [BLOCKING_BOM_ID, FAULT_INJECTION_BOM_ID]
        .iter()
        .any(|id| data.windows(id.len()).any(|w| w == id.as_bytes()))
}

fuzz_target!(|data: &[u8]| {
    if names_a_test_hook(data) {
        return;
    }
    let Some((&selector, body)) = data.split_first() else { return };
    match selector % 4 {
        0 => {
            if let Some(req) = decode::<pb::CalculateImpactRequest>(body) {
                run(calculate::prepare(ctx(), &req));
            }
        }
        1 => {
            if let Some(req) = decode::<pb::CompareScenariosRequest>(body) {
                run(compare::prepare(ctx(), &req));
            }
        }
        2 => {
            if let Some(req) = decode::<pb::AnalyzeSensitivityRequest>(body) {
                run(sensitivity::prepare(ctx(), &req));
            }
        }
        _ => {
            // Any text as a CSV BOM: read or refused, never a panic, and the response within
            // the upper bound its memory was reserved for.
            if let Some(req) = decode::<pb::ParseBomCsvRequest>(body) {
                if let Some((response, bound)) = run(bom_csv::prepare(ctx(), req)) {
                    let bytes = response.encoded_len() as u64;
                    assert!(bytes <= bound, "a CSV BOM's response of {bytes} bytes is over its bound of {bound}");
                }
            }
        }
    }
});
