//! Arbitrary bytes as requests: decoded with prost (as tonic would), then validated, costed
//! and turned into a response exactly as the server does. The first byte picks the RPC. Any
//! panic, overflow or hang here is a finding: every input must end in a response or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tariff_impact::api::CostImpactApi;
use tariff_impact::api::guard::Guard;
use tariff_impact::catalog::Catalog;
use tariff_impact::convert::Limits;
use tariff_impact::pb;

fn api() -> &'static CostImpactApi {
    static API: OnceLock<CostImpactApi> = OnceLock::new();
    API.get_or_init(|| {
        // Small limits keep each input fast; the checks are the same at any size.
        let limits = Limits { max_depth: 32, max_items: 2_000, max_scenarios: 8, max_inputs: 4 };
        CostImpactApi::new(Arc::new(Catalog::builtin().unwrap()), limits, Guard::new(1, Duration::MAX))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    match selector % 3 {
        0 => {
            if let Ok(req) = pb::CalculateImpactRequest::decode(body) {
                let _ = api().calculate(&req);
            }
        }
        1 => {
            if let Ok(req) = pb::CompareScenariosRequest::decode(body) {
                let _ = api().compare(&req);
            }
        }
        _ => {
            if let Ok(req) = pb::AnalyzeSensitivityRequest::decode(body) {
                let _ = api().analyze(&req);
            }
        }
    }
});
