//! Scenario analysis, each rule with hand-checked numbers through the real server, one file
//! per capability: comparing scenarios, sensitivity bounds and tornado, sourcing mixes,
//! stockpile cover, incentive credits, and batch streaming.

#[path = "../common/mod.rs"]
mod common;

mod batch;
mod compare;
mod incentives;
mod overlay;
mod sensitivity;
mod sourcing;
mod stockpile;

use serde_json::{Value, json};

pub(crate) fn schedule(id: &str, measures: Value) -> Value {
    json!({"id": id, "currency": "USD", "asOfDate": "2026-01-01", "measures": measures})
}

pub(crate) fn seed_ev(extra_options: Value) -> Value {
    let mut options = json!({"entryDate": "2026-03-02"});
    for (k, v) in extra_options.as_object().unwrap() {
        options[k] = v.clone();
    }
    json!({
        "bom": {"id": "ev", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd-oxide", "quantity": "1.8", "unit": "UNIT_OF_MEASURE_KG"},
            {"id": "dy", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"}]},
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2026", "options": options
    })
}
