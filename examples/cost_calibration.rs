//! Calibrates the cost model: for request shapes that stress each loop of the engine, the
//! units of work estimated before the run, the units the meter counted, the wall time, and
//! the nanoseconds per unit; and the response size estimated (upper bound and floor) against
//! the real encoding. The default work budget is set from these figures (RELIABILITY.md).
//!
//! Run: `cargo run --release --example cost_calibration` (`-- --rebuild-only` or
//! `-- --csv-only` for the overlay rebuild, or it and the CSV BOMs of `ParseBomCsv`, alone)

use prost::Message;
use serde_json::{Value, json};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tariff_impact::api::budget::Budgets;
use tariff_impact::api::guard::Plan;
use tariff_impact::api::{Context, bom_csv, calculate, compare, sensitivity};
use tariff_impact::catalog::Catalog;
use tariff_impact::convert::Limits;
use tariff_impact::engine::Meter;
use tariff_impact::pb;

/// Counts the bytes allocated now and the peak since the last reset, to hold the memory
/// estimate against what a calculation really allocates.
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn deck() -> Value {
    json!({"id": "p", "currency": "USD", "prices": [
        {"materialId": "nd-oxide", "price": "87", "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_MARKET"}]})
}

fn schedule(measures: usize) -> Value {
    let measures: Vec<Value> = (0..measures)
        .map(|i| {
            json!({"id": format!("m{i}"), "program": "PROGRAM_SECTION_301", "htsPrefixes": ["8505"],
                        "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "1"}})
        })
        .collect();
    json!({"id": "s", "currency": "USD", "measures": measures,
           "fees": [{"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464",
                     "minimumPerEntry": "33.58", "maximumPerEntry": "651.50"}]})
}

fn lines(n: usize, imported: bool) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut v = json!({"id": format!("l{i}"), "materialId": "nd-oxide", "quantity": "1.5", "unit": "UNIT_OF_MEASURE_KG"});
            if imported {
                v["import"] = json!({"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"});
            }
            v
        })
        .collect()
}

fn calc(items: Vec<Value>, measures: usize, view: &str) -> Value {
    json!({
        "bom": {"id": "b", "currency": "USD", "items": items},
        "baselinePrices": deck(), "baselineSchedule": schedule(measures),
        "scenarioSchedule": schedule(measures),
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "100", "view": view}
    })
}

fn measure<P: Plan>(name: &str, plan: P) {
    let cost = plan.cost();
    let budgets = Budgets::default();
    let memory = budgets.memory(&cost);
    let verdict = match budgets.check(&cost, plan.explain()) {
        Ok(()) => "within budgets".to_string(),
        Err(e) => format!("refused: {}", e.message()),
    };
    let meter = Meter::unlimited();
    let before = NOW.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let start = Instant::now();
    let response = plan.run(&meter);
    let took = start.elapsed();
    let bytes = response.as_ref().map(|r| r.encoded_len()).unwrap_or(0);
    // The response as it is sent: encoded once more.
    let encoded = response.as_ref().map(|r| r.encode_to_vec());
    let peak = PEAK.load(Ordering::Relaxed) - before;
    drop(encoded);
    println!(
        "| {name} | {} | {} | {:.1} ms | {:.0} | {} / {} / {} | {:.1} / {:.1} | {verdict} |",
        cost.work,
        meter.used(),
        took.as_secs_f64() * 1e3,
        took.as_nanos() as f64 / meter.used().max(1) as f64,
        cost.response_floor,
        bytes,
        cost.response_bytes,
        peak as f64 / (1024.0 * 1024.0),
        memory as f64 / (1024.0 * 1024.0),
    );
}

/// A schedule overlay's rebuild, measured: preparing a calculation whose scenario overlays
/// `us-hts-2026` (one rate changed) against the same calculation without the overlay, best of
/// 20 runs each, and the peak memory the overlaid preparation allocates, next to what the
/// overlay adds to the estimate.
fn rebuild(ctx: &Context) {
    let plain = json!({"bom": {"id": "b", "currency": "USD", "items": [
            {"id": "magnets", "unitPrice": "100", "import": {"htsCode": "8505.11.0070",
             "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"}}]},
        "baselinePrices": deck(), "baselineScheduleId": "us-hts-2026",
        "options": {"entryDate": "2026-03-02"}});
    let mut overlaid = plain.clone();
    overlaid["scenarioScheduleOverlay"] = json!({"id": "s301-magnets-50",
        "setRates": [{"measureId": "9903.91.06", "rate": {"adValoremPercent": "50"}}]});
    let (plain, overlaid): (pb::CalculateImpactRequest, pb::CalculateImpactRequest) = (
        serde_json::from_value(plain).unwrap(),
        serde_json::from_value(overlaid).unwrap(),
    );
    let best = |req: &pb::CalculateImpactRequest| {
        (0..20)
            .map(|_| {
                let start = Instant::now();
                let plan = calculate::prepare(ctx, req).unwrap();
                (start.elapsed(), plan.cost())
            })
            .min_by_key(|(t, _)| *t)
            .unwrap()
    };
    let (t0, c0) = best(&plain);
    let before = NOW.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let (t1, c1) = best(&overlaid);
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let (units, memory) = (c1.work - c0.work, c1.memory - c0.memory);
    let took = t1.saturating_sub(t0);
    println!(
        "| rebuild of us-hts-2026 by an overlay (prepare) | {units} | - | {:.2} ms | {:.0} | - | {:.1} / {:.1} | - |",
        took.as_secs_f64() * 1e3,
        took.as_nanos() as f64 / units.max(1) as f64,
        peak as f64 / (1024.0 * 1024.0),
        memory as f64 / (1024.0 * 1024.0),
    );
}

/// CSV BOMs for `ParseBomCsv`: rows of one short cell (the most rows a size allows), rows of
/// sixteen short cells (the most cells), assemblies of nine imported parts with their
/// descriptions (a real BOM), and a request at the 4 MiB size limit of one-cell rows.
fn csv_shapes() -> Vec<(&'static str, String)> {
    let rows = |n: usize, header: &str, row: &dyn Fn(usize) -> String| {
        let mut csv = format!("{header}\n");
        for i in 0..n {
            csv.push_str(&row(i));
            csv.push('\n');
        }
        csv
    };
    let at_limit = {
        let mut csv = String::from("path\n");
        let mut i = 0;
        while csv.len() < 4 * 1024 * 1024 - 16 {
            csv.push_str(&format!("{i}\n"));
            i += 1;
        }
        csv
    };
    vec![
        (
            "CSV BOM of 20,000 one-cell rows",
            rows(20_000, "path", &|i| format!("p{i}")),
        ),
        (
            "CSV BOM of 20,000 rows of 16 cells",
            rows(
                20_000,
                "path,description,material_id,quantity,unit,content_factor,unit_price,\
                 scenario_unit_price,hts_code,origin,transport_mode,customs_value,\
                 metal_content_share,net_mass_kg,preference_program,assembly_ref",
                &|i| format!("p{i},d,m,1,kg,1,1,1,1,C,air,1,1,1,S,a"),
            ),
        ),
        (
            "CSV BOM of 2,000 assemblies of 9 imported parts",
            rows(
                20_000,
                "path,description,quantity,unit,unit_price,hts_code,origin,transport_mode",
                &|i| match i % 10 {
                    0 => format!("asm-{},Assembly {},1,piece,,,,", i / 10, i / 10),
                    p => format!(
                        "asm-{}/part-{p},Part {p} of the assembly,2,piece,12.50,8482.10.5044,JP,ocean",
                        i / 10
                    ),
                },
            ),
        ),
        ("CSV BOM of one-cell rows at the 4 MiB limit", at_limit),
    ]
}

fn main() {
    let ctx = Context {
        catalog: Arc::new(Catalog::builtin().unwrap()),
        limits: Limits::default(),
        live: None,
    };
    println!(
        "| shape | estimated units | counted units | time | ns per counted unit | response floor / real / upper bytes | memory MiB: peak allocated by the run / estimate (with the inputs) | verdict |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    rebuild(&ctx);
    if std::env::args().any(|a| a == "--rebuild-only") {
        return;
    }
    for (name, csv) in csv_shapes() {
        let req = pb::ParseBomCsvRequest {
            csv,
            ..Default::default()
        };
        measure(name, bom_csv::prepare(&ctx, req).unwrap());
    }
    if std::env::args().any(|a| a == "--csv-only") {
        return;
    }
    eprintln!(
        "sizes: LineCost {} Charge {} Item {}",
        std::mem::size_of::<tariff_impact::engine::line::LineCost>(),
        std::mem::size_of::<tariff_impact::engine::line::Charge>(),
        std::mem::size_of::<tariff_impact::engine::model::Item>()
    );
    let req = |v: Value| -> pb::CalculateImpactRequest { serde_json::from_value(v).unwrap() };
    for (name, v) in [
        (
            "10,000 domestic lines, full",
            calc(lines(10_000, false), 0, "RESULT_VIEW_FULL"),
        ),
        (
            "100,000 domestic lines, summary",
            calc(lines(100_000, false), 0, "RESULT_VIEW_SUMMARY"),
        ),
        (
            "10,000 imported lines x 10 measures, summary",
            calc(lines(10_000, true), 10, "RESULT_VIEW_SUMMARY"),
        ),
        (
            "2,000 imported lines x 100 measures, summary",
            calc(lines(2_000, true), 100, "RESULT_VIEW_SUMMARY"),
        ),
        (
            "1,000 imported lines x 10 measures, full",
            calc(lines(1_000, true), 10, "RESULT_VIEW_FULL"),
        ),
    ] {
        measure(name, calculate::prepare(&ctx, &req(v)).unwrap());
    }
    let ev = json!({"bomId": "ev-high-ree", "baselinePricesId": "ree-pre-restriction",
        "scenarioPricesId": "ree-post-restriction", "baselineScheduleId": "us-2025",
        "scenarioScheduleId": "us-2026", "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500"}});
    measure(
        "EV preset",
        calculate::prepare(&ctx, &req(ev.clone())).unwrap(),
    );
    let scenarios: Vec<Value> = (0..64)
        .map(|i| json!({"name": format!("s{i}"), "pricesId": "ree-post-restriction", "scheduleId": "us-2026"}))
        .collect();
    let cmp: pb::CompareScenariosRequest = serde_json::from_value(json!({
        "bomId": "ev-high-ree", "baselinePricesId": "ree-pre-restriction", "baselineScheduleId": "us-2025",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500"}, "scenarios": scenarios}))
    .unwrap();
    measure(
        "EV preset, 64 scenarios",
        compare::prepare(&ctx, &cmp).unwrap(),
    );
    let sens: pb::AnalyzeSensitivityRequest = serde_json::from_value(json!({
        "calculation": ev,
        "inputs": [
            {"name": "REE mass", "quantity": {"itemPaths": ["drive-unit/rotor-magnets/nd-oxide", "drive-unit/rotor-magnets/dy-oxide"]}, "low": "0.5", "base": "1", "high": "1"},
            {"name": "Dy price", "price": {"materialId": "dy-oxide", "side": "SIDE_SCENARIO"}, "low": "300", "base": "485", "high": "700"},
            {"name": "301 rate", "rate": {"measureId": "us-301-magnets-cn-2026", "side": "SIDE_SCENARIO"}, "low": "25", "base": "25", "high": "50"}]}))
    .unwrap();
    measure(
        "EV preset, sensitivity of 3 inputs",
        sensitivity::prepare(&ctx, &sens).unwrap(),
    );
    let quantity: Vec<Value> = (0..20)
        .map(|i| json!({"name": format!("q{i}"), "quantity": {"itemPaths": [format!("l{i}")]}, "low": "0", "base": "1", "high": "2"}))
        .collect();
    let sens: pb::AnalyzeSensitivityRequest = serde_json::from_value(json!({
        "calculation": calc(lines(3_000, true), 5, "RESULT_VIEW_SUMMARY"), "inputs": quantity}))
    .unwrap();
    measure(
        "3,000 imported lines, sensitivity of 20 inputs",
        sensitivity::prepare(&ctx, &sens).unwrap(),
    );
}
