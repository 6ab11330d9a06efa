//! Engine benchmarks: one full calculation (baseline, scenario and the two crossed costings
//! for the effect split) on BOMs of 10, 1,000 and 100,000 lines with tariffs on every other
//! line, reported per BOM line; plus the whole request path without the network (validation,
//! engine, response) for 1,000 lines, also under the official `us-hts-2026` with the 2025
//! overlay. Run: `cargo bench --bench engine`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tariff_impact::api::{Context, calculate};
use tariff_impact::catalog::Catalog;
use tariff_impact::convert::{self, Limits};
use tariff_impact::engine::{self, Meter, model::Scenario};
use tariff_impact::pb;

/// The server's allocator (src/main.rs), so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `n` lines in assemblies of 10: even lines Nd or Dy oxide, odd lines components; every
/// other assembly imported (from CN by sea, or from KR with a metal share).
fn bom(n: usize) -> Value {
    let groups: Vec<Value> = (0..n.div_ceil(10))
        .map(|g| {
            let children: Vec<Value> = (0..10.min(n - g * 10))
                .map(|i| {
                    if i % 2 == 0 {
                        json!({"id": format!("l{i}"), "materialId": if i % 4 == 0 { "nd-oxide" } else { "dy-oxide" },
                               "quantity": format!("0.{}", i + 1), "unit": "UNIT_OF_MEASURE_KG"})
                    } else {
                        json!({"id": format!("l{i}"), "unitPrice": format!("{}.25", 10 + i)})
                    }
                })
                .collect();
            let mut a = json!({"id": format!("g{g}"), "children": children});
            if g % 2 == 0 {
                a["import"] = if g % 4 == 0 {
                    json!({"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"})
                } else {
                    json!({"htsCode": "7326.90.8688", "origin": "KR", "transportMode": "TRANSPORT_MODE_OCEAN", "metalContentShare": "0.6"})
                };
            }
            a
        })
        .collect();
    json!({"id": format!("bench-{n}"), "currency": "USD", "items": groups})
}

fn request(n: usize) -> pb::CalculateImpactRequest {
    serde_json::from_value(json!({
        "bom": bom(n),
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500"}
    }))
    .unwrap()
}

/// The same BOM under the schedule compiled from the official data (its measures indexed by
/// HTS prefix) and the 2025 overlay: before the 2025 measures against 2025-09-02.
fn request_hts(n: usize) -> pb::CalculateImpactRequest {
    serde_json::from_value(json!({
        "bom": bom(n),
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-hts-2026", "scenarioScheduleOverlayId": "us-2025-ieepa-auto-parts",
        "options": {"entryDate": "2025-01-15", "scenarioEntryDate": "2025-09-02", "unitsPerEntry": "500",
                    "acknowledgedGaps": ["s232-auto-parts-note-33"]}
    }))
    .unwrap()
}

fn engine_per_line(c: &mut Criterion) {
    let catalog = Catalog::builtin().unwrap();
    // 100,000 lines in assemblies of 10 are 110,000 items: above the default request limit.
    let limits = Limits {
        max_items: 200_000,
        ..Limits::default()
    };
    let mut group = c.benchmark_group("engine_calculate");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for n in [10usize, 1_000, 100_000] {
        let pb_bom: pb::Bom = serde_json::from_value(bom(n)).unwrap();
        let bom = convert::bom::bom(&pb_bom, "bom", &limits).unwrap().bom;
        let p0 = catalog
            .price_deck("ree-pre-restriction")
            .unwrap()
            .domain
            .clone();
        let p1 = catalog
            .price_deck("ree-post-restriction")
            .unwrap()
            .domain
            .clone();
        let s0 = catalog.tariff_schedule("us-2025").unwrap().domain.clone();
        let s1 = catalog.tariff_schedule("us-2026").unwrap().domain.clone();
        let req = request(1);
        let options = convert::options::options(req.options.as_ref(), "options").unwrap();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                engine::calculate(
                    &Scenario {
                        bom: &bom,
                        baseline_prices: &p0,
                        scenario_prices: &p1,
                        baseline_schedule: &s0,
                        scenario_schedule: &s1,
                        baseline_fx: None,
                        scenario_fx: None,
                        options: &options,
                    },
                    &Meter::unlimited(),
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

/// What a unary `CalculateImpact` runs once decoded: validation, the engine and the answer
/// encoded to its bytes (no network).
fn request_path(c: &mut Criterion) {
    let ctx = Context {
        catalog: Arc::new(Catalog::builtin().unwrap()),
        limits: Limits::default(),
        live: None,
    };
    let mut group = c.benchmark_group("request_path");
    group.sample_size(20);
    for n in [10usize, 1_000] {
        let req = request(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| calculate::calculate_encoded(&ctx, &req, &Meter::unlimited()).unwrap())
        });
    }
    let n = 1_000;
    let req = request_hts(n);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_with_input(BenchmarkId::new("us-hts-2026", n), &n, |b, _| {
        b.iter(|| calculate::calculate_encoded(&ctx, &req, &Meter::unlimited()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, engine_per_line, request_path);
criterion_main!(benches);
