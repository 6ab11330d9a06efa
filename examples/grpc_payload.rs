//! Writes gRPC-framed request bodies for h2load (`scripts/bench_load.sh`): an EV-sized inline
//! CalculateImpact request (the ev-high-ree preset BOM inline, preset decks and schedules), the
//! same request asking for the summary view, and the calculation wrapped for the echo baseline.
//!
//! Usage: cargo run --release --example grpc_payload -- OUT_DIR

use prost::Message;
use tariff_impact::pb;

fn framed(message: &impl Message) -> Vec<u8> {
    let body = message.encode_to_vec();
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(0); // not compressed
    out.extend((body.len() as u32).to_be_bytes());
    out.extend(body);
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bench-load".into());
    std::fs::create_dir_all(&dir)?;
    let bom: serde_json::Value =
        serde_json::from_str(include_str!("../catalog/boms/ev-high-ree.json"))?;
    let calc: pb::CalculateImpactRequest = serde_json::from_value(serde_json::json!({
        "bom": bom,
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "annualVolume": "100000"}
    }))?;
    let echo = pb::bench::EchoRequest {
        calculation: Some(calc.clone()),
    };
    std::fs::write(format!("{dir}/calculate.bin"), framed(&calc))?;
    std::fs::write(format!("{dir}/echo.bin"), framed(&echo))?;
    let mut summary = calc.clone();
    if let Some(o) = summary.options.as_mut() {
        o.view = pb::ResultView::Summary as i32;
    }
    std::fs::write(format!("{dir}/calculate-summary.bin"), framed(&summary))?;
    println!("request {} bytes (protobuf)", calc.encoded_len());
    Ok(())
}
