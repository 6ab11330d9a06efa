//! Writes a seed corpus for `fuzz/`: the README's requests, protobuf-encoded with the
//! fuzz target's selector byte in front, so fuzzing starts from valid shapes.
//!
//! Usage: cargo run --example fuzz_seeds -- fuzz/corpus/requests

use prost::Message;
use tariff_impact::pb;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fuzz/corpus/requests".into());
    std::fs::create_dir_all(&dir)?;
    let calc = serde_json::json!({
        "bomId": "ev-high-ree", "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "annualVolume": "100000"}
    });
    let inline = serde_json::json!({
        "bom": {"id": "mix", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd-oxide", "quantity": "2", "unit": "UNIT_OF_MEASURE_KG", "sourcing": [
                {"id": "cn", "share": "0.5", "import": {"htsCode": "8505.11", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}},
                {"id": "us", "share": "0.5"}]},
            {"id": "asm", "quantity": "2", "import": {"htsCode": "7326.90", "origin": "KR", "transportMode": "TRANSPORT_MODE_AIR", "metalContentShare": "0.4"},
             "children": [{"id": "c", "unitPrice": "10.5", "scenarioUnitPrice": "12"}]}]},
        "baselinePricesId": "ree-pre-restriction",
        "baselineSchedule": {"id": "s", "currency": "USD", "deMinimisThreshold": "800",
            "measures": [{"id": "m", "program": "PROGRAM_SECTION_232", "basis": "DUTY_BASIS_METAL_CONTENT",
                          "rate": {"adValoremPercent": "25", "specificAmount": "1", "specificUnit": "UNIT_OF_MEASURE_KG",
                                   "minimumAmount": "1", "maximumAmount": "50", "limitUnit": "UNIT_OF_MEASURE_PIECE"},
                          "preempts": ["PROGRAM_IEEPA"]}],
            "fees": [{"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "0.3464", "minimumPerEntry": "33.58", "maximumPerEntry": "651.50"}],
            "incentives": [{"id": "cv", "creditAmount": "7500", "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5"}]},
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "3", "stockpile": {"coverMonths": "6", "horizonMonths": "12"}}
    });
    let overlaid = serde_json::json!({
        "bomId": "ev-high-ree", "baselinePricesId": "ree-pre-restriction", "baselineScheduleId": "us-2026",
        "scenarioScheduleOverlay": {"id": "o", "description": "301 at 50%, IEEPA gone, 122 extended",
            "setRates": [{"measureId": "us-301-magnets-cn-2026", "rate": {"adValoremPercent": "50"}}],
            "removeMeasureIds": ["us-ieepa-fentanyl-cn-20"],
            "shiftDates": [{"measureId": "us-122-surcharge-2026", "effectiveFrom": "2026-01-01", "clearEffectiveTo": true}],
            "addMeasures": [{"id": "x", "program": "PROGRAM_SAFEGUARD", "htsPrefixes": ["8505"], "origins": ["CN"],
                             "basis": "DUTY_BASIS_FULL_VALUE", "rate": {"adValoremPercent": "5"}}]},
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500"}
    });
    let mut n = 0;
    let mut write = |selector: u8, bytes: Vec<u8>| -> std::io::Result<()> {
        let mut data = vec![selector];
        data.extend(bytes);
        n += 1;
        std::fs::write(format!("{dir}/seed-{n}"), data)
    };
    for c in [&calc, &inline, &overlaid] {
        let req: pb::CalculateImpactRequest = serde_json::from_value(c.clone())?;
        write(0, req.encode_to_vec())?;
    }
    let cmp: pb::CompareScenariosRequest = serde_json::from_value(serde_json::json!({
        "bomId": "ev-low-ree", "baselinePricesId": "ree-pre-restriction", "baselineScheduleId": "us-2025",
        "options": {"entryDate": "2026-03-02"},
        "scenarios": [{"name": "a", "pricesId": "ree-post-restriction"}, {"name": "b", "scheduleId": "us-2026", "entryDate": "2026-01-02"},
                      {"name": "c", "scheduleOverlay": {"id": "c", "removeMeasureIds": ["us-mfn-magnets"]}}]}))?;
    write(1, cmp.encode_to_vec())?;
    let sens: pb::AnalyzeSensitivityRequest = serde_json::from_value(serde_json::json!({
        "calculation": inline,
        "inputs": [{"name": "q", "quantity": {"itemPaths": ["nd"]}, "low": "0.5", "base": "1", "high": "2"},
                   {"name": "r", "rate": {"measureId": "m", "side": "SIDE_SCENARIO"}, "low": "0", "base": "25", "high": "50"}]}))?;
    write(2, sens.encode_to_vec())?;
    let csv = pb::ParseBomCsvRequest {
        csv: "path,description,material_id,quantity,unit,unit_price,hts_code,origin,transport_mode,assembly_ref,shared,share\n\
              motor,Motor,,1,piece,,,,,,,\n\
              motor/nd,,nd-oxide,1.8,kg,,,,,,,\n\
              motor/nd/cn,,,,,,8505.11,CN,ocean,,,0.7\n\
              motor/nd/us,,,,,,,,,,,0.3\n\
              motor/bearing,,,2,piece,4.5,8482.10,JP,air,,,\n\
              kit,Kit,,,,,,,,,yes,\n\
              kit/dy,,dy-oxide,0.2,kg,,,,,,,\n\
              front,,,1,piece,,,,,kit,,\n"
            .into(),
        bom_id: "seed".into(),
        currency: "USD".into(),
    };
    write(3, csv.encode_to_vec())?;
    println!("wrote {n} seeds to {dir}");
    Ok(())
}
