//! Load client for the batch benchmark: streams N products (an inline EV-sized BOM whose
//! magnet mass varies per SKU, with the preset decks and schedules) through one
//! `CalculateBatch` stream, generating requests lazily so the client holds no backlog, checks
//! every answer, and prints products per second. Used by `scripts/bench_batch.sh`.
//!
//! Usage: cargo run --release --example batch_load -- ADDR N

use std::time::Instant;
use tariff_impact::pb;
use tariff_impact::pb::cost_impact_service_client::CostImpactServiceClient;

/// The request for SKU 0; SKU i differs in its id and its Nd oxide quantity.
fn template() -> pb::CalculateImpactRequest {
    let calc = serde_json::json!({
                "bom": {"id": "sku-0", "currency": "USD", "items": [
            {"id": "drive-unit", "children": [
                {"id": "rotor-magnets", "import": {"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"},
                 "children": [
                                        {"id": "nd-oxide", "materialId": "nd-oxide", "quantity": "1.0", "unit": "UNIT_OF_MEASURE_KG"},
                    {"id": "dy-oxide", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"},
                    {"id": "conversion", "unitPrice": "45.00"}]},
                {"id": "stator", "unitPrice": "380.00"}]},
            {"id": "brackets", "unitPrice": "120.00",
             "import": {"htsCode": "7326.90.8688", "origin": "KR", "transportMode": "TRANSPORT_MODE_OCEAN", "metalContentShare": "0.6"}},
            {"id": "rest", "unitPrice": "38000.00"}]},
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "annualVolume": "1000"}
    });
    serde_json::from_value(calc).expect("valid request")
}

fn product(template: &pb::CalculateImpactRequest, i: usize) -> pb::CalculateBatchRequest {
    let mut calc = template.clone();
    if let Some(pb::calculate_impact_request::BomSource::Bom(bom)) = &mut calc.bom_source {
        bom.id = format!("sku-{i}");
        bom.items[0].children[0].children[0].quantity = format!("{}.{}", 1 + i % 2, i % 10);
    }
    pb::CalculateBatchRequest {
        request_id: i.to_string(),
        calculation: Some(calc),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:50051".into());
    let n: usize = args.next().map_or(Ok(100_000), |s| s.parse())?;
    let mut client = CostImpactServiceClient::connect(addr).await?;
    let template = template();
    let start = Instant::now();
    let mut responses = client
        .calculate_batch(tokio_stream::iter(
            (0..n).map(move |i| product(&template, i)),
        ))
        .await?
        .into_inner();
    let (mut ok, mut failed) = (0usize, 0usize);
    let mut summary = None;
    while let Some(r) = responses.message().await? {
        match r.outcome {
            Some(pb::calculate_batch_response::Outcome::Result(_)) => ok += 1,
            Some(pb::calculate_batch_response::Outcome::Error(e)) => {
                failed += 1;
                eprintln!("item {} failed: {}", r.request_id, e.message);
            }
            Some(pb::calculate_batch_response::Outcome::Summary(s)) => summary = Some(s),
            None => {}
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let s = summary.ok_or("no summary")?;
    println!(
        "products={n} ok={ok} failed={failed} seconds={secs:.2} products_per_second={:.0} fleet_unit_delta={}",
        n as f64 / secs,
        s.total_unit_delta.first().map_or("", |m| m.amount.as_str())
    );
    if ok != n || s.requests as usize != n {
        return Err("not every product was answered".into());
    }
    Ok(())
}
