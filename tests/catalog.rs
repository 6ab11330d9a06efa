//! The catalog: presets listed and fetched whole over gRPC, a fetched preset sent back inline
//! gives the same result, extra presets load from a directory, and a broken file stops the
//! start-up naming the file and the field.

mod common;

use common::{TestServer, amount, calculate, request};
use serde_json::{Value, json};
use std::process::Command;
use tariff_impact::pb;
use tonic::Code;

#[tokio::test]
async fn lists_and_fetches_every_preset() {
    let server = TestServer::start().await;
    let mut c = server.catalog().await;
    let boms = c
        .list_boms(pb::ListBomsRequest {})
        .await
        .unwrap()
        .into_inner()
        .boms;
    let ids: Vec<&str> = boms.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "defense-fighter",
            "defense-ree-subsystems",
            "ev-bev-midsize",
            "ev-bev-midsize-cn-cells",
            "ev-high-ree",
            "ev-jp-import",
            "ev-low-ree",
            "semiconductor-deposition-tool",
            "semiconductor-etch-tool"
        ]
    );
    assert!(
        boms.iter().all(|b| !b.source.is_empty()),
        "every preset names its source"
    );
    let decks = c
        .list_price_decks(pb::ListPriceDecksRequest {})
        .await
        .unwrap()
        .into_inner()
        .price_decks;
    assert_eq!(
        decks.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["ree-post-restriction", "ree-pre-restriction"]
    );
    let schedules = c
        .list_tariff_schedules(pb::ListTariffSchedulesRequest {})
        .await
        .unwrap()
        .into_inner()
        .tariff_schedules;
    assert_eq!(
        schedules.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["us-2025", "us-2026", "us-hts-2026"]
    );

    let deck = c
        .get_price_deck(pb::GetPriceDeckRequest {
            id: "ree-post-restriction".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .price_deck
        .unwrap();
    let dy = deck
        .prices
        .iter()
        .find(|p| p.material_id == "dy-oxide")
        .unwrap();
    assert_eq!(dy.price, "485");
    assert!(dy.source.contains("$152/kg to $485/kg"), "{}", dy.source);

    let status = c
        .get_bom(pb::GetBomRequest { id: "nope".into() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn a_fetched_preset_edited_and_sent_back_inline_is_costed_like_the_preset() {
    let server = TestServer::start().await;
    let mut c = server.catalog().await;
    let bom = c
        .get_bom(pb::GetBomRequest {
            id: "ev-low-ree".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .bom
        .unwrap();
    let schedule = c
        .get_tariff_schedule(pb::GetTariffScheduleRequest {
            id: "us-2026".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .tariff_schedule
        .unwrap();
    let options = json!({"entryDate": "2026-03-02", "unitsPerEntry": "500"});
    let by_id = calculate(
        &server,
        json!({"bomId": "ev-low-ree", "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
               "baselineScheduleId": "us-2026", "options": options}),
    )
    .await;
    let inline = calculate(
        &server,
        json!({"bom": serde_json::to_value(&bom).unwrap(), "baselinePricesId": "ree-pre-restriction",
               "scenarioPricesId": "ree-post-restriction",
               "baselineSchedule": serde_json::to_value(&schedule).unwrap(), "options": options}),
    )
    .await;
    assert_eq!(by_id.delta, inline.delta);
    assert_eq!(by_id.lines, inline.lines);
    assert!(
        !inline
            .inputs
            .as_ref()
            .unwrap()
            .baseline_schedule
            .as_ref()
            .unwrap()
            .preset
    );

    // Edit: source the magnets from Japan instead of China; the 301 and CN-only measures drop.
    let mut edited = bom.clone();
    let magnets = &mut edited.items[0].children[0];
    magnets.import.as_mut().unwrap().origin = "JP".into();
    let moved = calculate(
        &server,
        json!({"bom": serde_json::to_value(&edited).unwrap(), "baselinePricesId": "ree-pre-restriction",
               "scenarioPricesId": "ree-post-restriction", "baselineScheduleId": "us-2026", "options": options}),
    )
    .await;
    // Low-REE magnets: 0.9 x 87 + 0.1 x 152 + 45 = 138.50 -> 0.9 x 225 + 0.1 x 485 + 45 = 296.00.
    // From JP after 24 Feb 2026: MFN 2.1% + 122 10% = 12.1%: 16.76 (2.91 + 13.85) -> 35.82 (6.22 + 29.60).
    let line = common::line(&moved, "drive-unit/rotor-magnets");
    assert_eq!(amount(&line.baseline.as_ref().unwrap().duties), "16.76");
    assert_eq!(amount(&line.scenario.as_ref().unwrap().duties), "35.82");
}

fn write(dir: &std::path::Path, rel: &str, body: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tariff-catalog-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A newer official export dropped in at start: `serve --hts-export` compiles the bare array
/// users download (here the extract's rows with 8505.11.00 printed at 3.5% instead of 2.1%)
/// with the chapter 99 data shipped in the binary, and serves it as `us-hts` beside the
/// built-in `us-hts-2026`, which keeps its 2.1%. A bare export has no date: without
/// `--hts-export-as-of` the server refuses to start, saying so.
#[tokio::test]
async fn serve_loads_a_newer_export_at_start() {
    let dir = temp_dir("hts-export");
    let extract: Value =
        serde_json::from_str(include_str!("../data/us-tariff/usitc-hts-extract.json")).unwrap();
    let mut rows = extract["rows"].as_array().unwrap().clone();
    for r in rows.iter_mut() {
        if r["htsno"] == "8505.11.00" {
            r["general"] = json!("3.5%");
        }
    }
    let bare = dir.join("hts_export.json");
    std::fs::write(&bare, serde_json::to_string(&rows).unwrap()).unwrap();

    let refused = Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
        .env("TARIFF_READ_ONLY_CATALOG", "true")
        .args(["serve", "--listen", "127.0.0.1:0", "--hts-export"])
        .arg(&bare)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("the export has no fetched_at"), "{stderr}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
        .env("TARIFF_READ_ONLY_CATALOG", "true")
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--json-logs",
            "--hts-export",
        ])
        .arg(&bare)
        .args([
            "--hts-export-as-of",
            "2026-11-01",
            "--hts-export-source",
            "USITC HTS export of 2026-11-01 (test)",
        ])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let rx = common::json_logs(child.stdout.take().unwrap());
    let mut report = Vec::new();
    let addr = loop {
        let log = rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap();
        if let Some(addr) = log["fields"]["addr"].as_str() {
            break addr.to_string();
        }
        report.push(
            log["fields"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    };
    assert!(
        report
            .iter()
            .any(|l| l.starts_with("Section 301: 12223 list rows")),
        "{report:?}"
    );
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut c = pb::catalog_service_client::CatalogServiceClient::new(channel);
    let magnets = |schedule: &str| pb::LookupMeasuresRequest {
        schedule_id: schedule.into(),
        hts_code: "8505.11.0070".into(),
        origin: "CN".into(),
        entry_date: "2026-03-02".into(),
        transport_mode: 0,
        preference_program: String::new(),
    };
    let newer = c
        .lookup_measures(magnets("us-hts"))
        .await
        .unwrap()
        .into_inner();
    let rates: Vec<_> = newer
        .measures
        .iter()
        .map(|m| {
            let m = m.measure.as_ref().unwrap();
            (
                m.id.as_str(),
                m.rate.as_ref().unwrap().ad_valorem_percent.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rates,
        [
            ("mfn-8505.11.00", "3.5"),
            ("mfn-8505.11.00.70", "3.5"),
            ("9903.91.06", "25")
        ]
    );
    assert_eq!(
        (newer.as_of_date.as_str(), newer.source.as_str()),
        ("2026-11-01", "USITC HTS export of 2026-11-01 (test)")
    );
    let built_in = c
        .lookup_measures(magnets("us-hts-2026"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        built_in.measures[1]
            .measure
            .as_ref()
            .unwrap()
            .rate
            .as_ref()
            .unwrap()
            .ad_valorem_percent,
        "2.1"
    );
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn a_broken_catalog_file_stops_the_start_up_naming_file_and_field() {
    let dir = temp_dir("broken");
    write(
        &dir,
        "price_decks/bad.json",
        r#"{"id": "bad", "currency": "USD", "asOfDate": "2026-01-01", "source": "test",
            "prices": [{"materialId": "x", "price": "12,5", "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_FOB"}]}"#,
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
        .env("TARIFF_READ_ONLY_CATALOG", "true")
        .args(["serve", "--listen", "127.0.0.1:0", "--catalog"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("price_decks/bad.json"), "{stderr}");
    assert!(stderr.contains("field prices[0].price"), "{stderr}");
    assert!(stderr.contains("MALFORMED_DECIMAL"), "{stderr}");

    std::fs::remove_file(dir.join("price_decks/bad.json")).unwrap();
    write(
        &dir,
        "boms/bad.json",
        r#"{"id": "b", "currency": "USD", "source": "test", "items": [{"materialId": "x", "quantity": "-1", "unit": "UNIT_OF_MEASURE_KG"}]}"#,
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
        .env("TARIFF_READ_ONLY_CATALOG", "true")
        .args(["presets", "--catalog"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("boms/bad.json: field items[0].quantity")
            && stderr.contains("OUT_OF_RANGE"),
        "{stderr}"
    );
    std::fs::remove_file(dir.join("boms/bad.json")).unwrap();

    write(
        &dir,
        "price_decks/bad.json",
        r#"{"id": "bad", "prise": []}"#,
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
        .env("TARIFF_READ_ONLY_CATALOG", "true")
        .args(["presets", "--catalog"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("bad.json") && stderr.contains("unknown field `prise`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn extra_presets_load_from_a_directory_and_ids_must_be_unique() {
    let dir = temp_dir("extra");
    write(
        &dir,
        "price_decks/ree-2027.json",
        r#"{"id": "ree-2027", "name": "Hypothetical 2027", "currency": "USD", "asOfDate": "2027-01-01", "source": "scenario",
            "prices": [{"materialId": "nd-oxide", "price": "300", "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_MARKET"},
                       {"materialId": "dy-oxide", "price": "900", "unit": "UNIT_OF_MEASURE_KG", "basis": "PRICE_BASIS_MARKET"}]}"#,
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
        .env("TARIFF_READ_ONLY_CATALOG", "true")
        .args(["presets", "--catalog"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ree-2027"));

    write(
        &dir,
        "tariff_schedules/dup.json",
        r#"{"id": "us-2026", "currency": "USD", "asOfDate": "2026-01-01", "source": "x"}"#,
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
        .env("TARIFF_READ_ONLY_CATALOG", "true")
        .args(["presets", "--catalog"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("dup.json: field id")
            && stderr.contains("already defined by catalog/tariff_schedules/us-2026.json"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn preset_requests_parse_from_the_readme_json() {
    // The README's example request must stay valid proto3 JSON for this server, every field
    // read as written (a renamed field would be dropped silently by a lenient parser).
    let json = json!({"bomId": "ev-high-ree", "baselinePricesId": "ree-pre-restriction",
        "scenarioPricesId": "ree-post-restriction", "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "annualVolume": "100000"}});
    let r = request(json.clone());
    let options = r.options.as_ref().expect("options parsed");
    assert_eq!(
        (
            options.entry_date.as_str(),
            options.units_per_entry.as_str(),
            options.annual_volume.as_str()
        ),
        ("2026-03-02", "500", "100000")
    );
    assert_eq!(serde_json::to_value(&r).unwrap(), json);
}

/// The built-in `us-hts-2026` (compiled from the official export and the Section 301 lists),
/// checked by hand against the HTS. Each part from China, entered air, one unit per entry:
/// - magnets 8505.11.00.70 at 100.00: MFN 2.1% = 2.10 on both dates; Section 301 9903.91.06
///   (25% from 2026-01-01, note 31(g)) 0.00 on 2025-12-15 and 25.00 on 2026-03-02;
/// - an electric vehicle 8703.80.00.20 at 30,000.00: MFN 2.5% = 750.00, Section 301 9903.91.03
///   (100% since 2024-09-27, note 31(d)) = 30,000.00;
/// - an etch tool 8486.20.00.00 at 1,000,000.00: MFN Free = 0.00, Section 301 9903.88.02
///   (list 2, 25%) = 250,000.00; it is also on list 4B (9903.88.16), suspended, so not charged;
/// - a bearing 8482.10.50.44 at 100.00, which the extract has no MFN line for (below).
///
/// MPF (us-2026's fees: 0.3464%, FY2026 33.58-651.50 per entry) is charged per line's entry.
#[tokio::test]
async fn the_official_schedule_charges_mfn_and_section_301_by_the_hts() {
    let server = TestServer::start().await;
    let part = |id: &str, price: &str, hts: &str| {
        json!({"id": id, "unitPrice": price, "import": {"htsCode": hts, "origin": "CN",
               "transportMode": "TRANSPORT_MODE_AIR"}})
    };
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "parts", "currency": "USD", "items": [
                part("magnets", "100", "8505.11.0070"),
                part("ev", "30000", "8703.80.0020"),
                part("etch-tool", "1000000", "8486.20.0000"),
                part("bearing", "100", "8482.10.5044")]},
            "baselinePrices": common::deck("p", &[]),
            "baselineScheduleId": "us-hts-2026",
            "options": {"entryDate": "2025-12-15", "scenarioEntryDate": "2026-03-02"}
        }),
    )
    .await;
    let duties = |path: &str, scenario: bool| common::duties(&r, path, scenario);
    let pair = |id: &str, a: &str| (id.to_string(), a.to_string());
    assert_eq!(
        duties("magnets", false),
        [pair("mfn-8505.11.00.70", "2.10")]
    );
    assert_eq!(
        duties("magnets", true),
        [
            pair("mfn-8505.11.00.70", "2.10"),
            pair("9903.91.06", "25.00")
        ]
    );
    // The vehicle also pays Section 232 on passenger vehicles, 9903.94.01 (+25% from
    // 2025-04-03, U.S. note 33) = 7,500.00; from 2026-02-24 the Section 122 10% of 9903.03.01
    // is in force but pre-empted by it (note 2(aa)(v)(2)): 0.00, shown as pre-empted.
    assert_eq!(
        duties("ev", false),
        [
            pair("mfn-8703.80.00.20", "750.00"),
            pair("9903.91.03", "30000.00"),
            pair("9903.94.01", "7500.00")
        ]
    );
    assert_eq!(
        duties("ev", true),
        [
            pair("mfn-8703.80.00.20", "750.00"),
            pair("9903.91.03", "30000.00"),
            pair("9903.03.01", "0.00"),
            pair("9903.94.01", "7500.00")
        ]
    );
    // Magnets and the etch tool are among the subheadings note 2(aa)(ii) exempts from
    // 9903.03.01 (heading 9903.03.03): no Section 122 charge at all.
    for scenario in [false, true] {
        assert_eq!(
            duties("etch-tool", scenario),
            [
                pair("mfn-8486.20.00.00", "0.00"),
                pair("9903.88.02", "250000.00")
            ]
        );
    }
    // The bearing 8482.10.50 is on lists 1 and 3 (9903.88.01 and 9903.88.03, 25% each): one
    // 25.00, the first listed. It is a Section 232 steel derivative from 2025-08-18
    // (9903.81.91, 50% of the metal content; no share declared, so of the full value): 50.00,
    // which pre-empts Section 122 on that value: 0.00. The extract has no MFN line for 8482:
    // a coverage gap, not a silent zero. Known gaps of the schedule are reported too: AD/CVD
    // orders may concern any line, and 8482.10.5044 is an automobile part of note 33(g),
    // whose Section 232 duty (from 2025-05-03) is not compiled.
    assert_eq!(
        duties("bearing", false),
        [
            pair("9903.88.01", "25.00"),
            pair("9903.81.91@2025-08-18", "50.00")
        ]
    );
    assert_eq!(
        duties("bearing", true),
        [
            pair("9903.88.01", "25.00"),
            pair("9903.81.91@2025-08-18", "50.00"),
            pair("9903.03.01", "0.00")
        ]
    );
    let gaps: Vec<_> = r
        .coverage_gaps
        .iter()
        .map(|g| {
            (
                g.path.as_str(),
                g.field_path.as_str(),
                g.side,
                g.missing,
                g.known_gap_id.as_str(),
            )
        })
        .collect();
    let (both, mfn, program) = (
        pb::Side::Both as i32,
        pb::CoverageMissing::MfnRate as i32,
        pb::CoverageMissing::Program as i32,
    );
    assert_eq!(
        gaps,
        [
            ("magnets", "bom.items[0].import", both, program, "ad-cvd"),
            ("ev", "bom.items[1].import", both, program, "ad-cvd"),
            ("etch-tool", "bom.items[2].import", both, program, "ad-cvd"),
            ("bearing", "bom.items[3].import", both, mfn, ""),
            ("bearing", "bom.items[3].import", both, program, "ad-cvd"),
            (
                "bearing",
                "bom.items[3].import",
                both,
                program,
                "s232-auto-parts-note-33"
            ),
        ]
    );
    assert!(
        r.coverage_gaps[5]
            .known_gap_source
            .starts_with("HTSUS 2026 Rev. 6, chapter 99 subchapter III U.S. note 33(f)-(h)"),
        "{:?}",
        r.coverage_gaps[5]
    );
    // Duties: 2.10 + 38,250.00 + 250,000.00 + 75.00 = 288,327.10, then 25.00 more for the
    // magnets.
    assert_eq!(
        amount(&r.baseline_totals.as_ref().unwrap().duties),
        "288327.10"
    );
    assert_eq!(
        amount(&r.scenario_totals.as_ref().unwrap().duties),
        "288352.10"
    );
}

/// The chapter 99 measures compiled from the U.S. notes and the Section 232 derivative lists,
/// under `us-hts-2026`, per unit, entered 2025-05-01 (baseline) and 2026-03-02 (scenario):
/// - a vehicle 8703.80.00.20 of Japan at 30,000.00: MFN 2.5% = 750.00 on both dates; in 2025
///   9903.94.01 (+25%, note 33) = 7,500.00; from 2025-09-16 Japan's 15% all-in (headings
///   9903.94.40-.41, note 33(k),(m)): 15% x 30,000.00 = 4,500.00 less the 750.00 MFN =
///   3,750.00, which pre-empts Section 122 (9903.03.01, note 2(aa)(v)(2)): 0.00;
/// - a motor 8501.31.40.00 at 1,000.00 (MFN 4% = 40.00): from Germany, Section 122 10% =
///   100.00 in 2026; from Canada the same without a claim; from Canada claiming USMCA (S):
///   MFN Free and no Section 122 at all (note 2(aa)(vi));
/// - an aluminium housing 7616.99.51.90 of Mexico at 200.00 with 60% metal content: MFN 2.5%
///   = 5.00; an aluminum derivative (9903.85.07, undated: from 2025-03-12) on the 120.00
///   metal content at 25% = 30.00 in May 2025 and 50% = 60.00 in 2026; Section 122 on the
///   80.00 remainder only = 8.00.
///
/// Duties: 750 + 7,500 + 40 + 0 + 40 + 5 + 30 = 8,365.00 and 750 + 3,750 + 140 + 0 + 140 + 5
/// + 60 + 8 = 4,853.00.
#[tokio::test]
async fn chapter_99_measures_apply_by_origin_date_claim_and_metal_content() {
    let server = TestServer::start().await;
    let part = |id: &str, price: &str, hts: &str, origin: &str, extra: Value| {
        let mut import = json!({"htsCode": hts, "origin": origin,
            "transportMode": "TRANSPORT_MODE_AIR"});
        import
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"id": id, "unitPrice": price, "import": import})
    };
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "parts", "currency": "USD", "items": [
                part("ev-jp", "30000", "8703.80.0020", "JP", json!({})),
                part("motor-de", "1000", "8501.31.4000", "DE", json!({})),
                part("motor-ca-usmca", "1000", "8501.31.4000", "CA", json!({"preferenceProgram": "S"})),
                part("motor-ca", "1000", "8501.31.4000", "CA", json!({})),
                part("housing-mx", "200", "7616.99.5190", "MX", json!({"metalContentShare": "0.6"}))]},
            "baselinePrices": common::deck("p", &[]),
            "baselineScheduleId": "us-hts-2026",
            "options": {"entryDate": "2025-05-01", "scenarioEntryDate": "2026-03-02"}
        }),
    )
    .await;
    let duties = |path: &str, scenario: bool| common::duties(&r, path, scenario);
    let pair = |id: &str, a: &str| (id.to_string(), a.to_string());
    assert_eq!(
        duties("ev-jp", false),
        [
            pair("mfn-8703.80.00.20", "750.00"),
            pair("9903.94.01-jp", "7500.00")
        ]
    );
    assert_eq!(
        duties("ev-jp", true),
        [
            pair("mfn-8703.80.00.20", "750.00"),
            pair("9903.03.01", "0.00"),
            pair("9903.94.41", "3750.00")
        ]
    );
    let l = common::line(&r, "ev-jp");
    let floor = &l.scenario.as_ref().unwrap().charges[2];
    assert!(
        floor
            .formula
            .starts_with("all-in 15% x 30000.00 USD customs value")
            && floor
                .formula
                .ends_with("less the MFN duties charged on the line (750.00 USD) = 3750.00 USD"),
        "{}",
        floor.formula
    );
    for motor in ["motor-de", "motor-ca"] {
        assert_eq!(duties(motor, false), [pair("mfn-8501.31.40.00", "40.00")]);
        assert_eq!(
            duties(motor, true),
            [
                pair("mfn-8501.31.40.00", "40.00"),
                pair("9903.03.01", "100.00")
            ]
        );
    }
    for scenario in [false, true] {
        assert_eq!(
            duties("motor-ca-usmca", scenario),
            [pair("mfn-8501.31.40.00", "0.00")]
        );
    }
    assert_eq!(
        duties("housing-mx", false),
        [
            pair("mfn-7616.99.51.90", "5.00"),
            pair("9903.85.07@2025-03-12", "30.00")
        ]
    );
    assert_eq!(
        duties("housing-mx", true),
        [
            pair("mfn-7616.99.51.90", "5.00"),
            pair("9903.85.07@2025-06-04", "60.00"),
            pair("9903.03.01", "8.00")
        ]
    );
    assert_eq!(
        amount(&r.baseline_totals.as_ref().unwrap().duties),
        "8365.00"
    );
    assert_eq!(
        amount(&r.scenario_totals.as_ref().unwrap().duties),
        "4853.00"
    );
}

/// Estimated metal shares, only when asked: a bearing 8482.10.50.44 of China at 100.00
/// entered 2025-12-15 is a Section 232 steel derivative (9903.81.91, 50% of the metal
/// content). Declaring no share, the full value is metal content: 50.00. With
/// `estimateMetalContent`, the schedule's estimate for 8482.10.50.44 (steel 0.0894 +
/// aluminum 0.0086, rounded: 9.81%) gives 50% x 9.81 = 4.905, rounded half up 4.91, labelled
/// as an estimate in the formula and a note. A declared share (20%: 10.00) wins over it.
#[tokio::test]
async fn estimated_metal_shares_are_used_only_when_asked_and_say_so() {
    let server = TestServer::start().await;
    let run = |estimate: bool, share: Option<&str>| {
        let mut import = json!({"htsCode": "8482.10.5044", "origin": "CN",
            "transportMode": "TRANSPORT_MODE_AIR"});
        if let Some(s) = share {
            import["metalContentShare"] = json!(s);
        }
        json!({
            "bom": {"id": "parts", "currency": "USD", "items": [
                {"id": "bearing", "unitPrice": "100", "import": import}]},
            "baselinePrices": common::deck("p", &[]),
            "baselineScheduleId": "us-hts-2026",
            "options": {"entryDate": "2025-12-15", "estimateMetalContent": estimate}
        })
    };
    let s232 = |r: &pb::CalculateImpactResponse| -> (String, String) {
        let c = common::line(r, "bearing")
            .baseline
            .as_ref()
            .unwrap()
            .charges
            .iter()
            .find(|c| c.measure_id == "9903.81.91@2025-08-18")
            .unwrap()
            .clone();
        (amount(&c.amount).to_string(), c.formula)
    };
    let full = calculate(&server, run(false, None)).await;
    // The inputs used list the measures that applied to the import (both Section 301 lists,
    // though one is charged, and the derivative), not the schedule's 180 in force.
    assert_eq!(
        full.inputs.as_ref().unwrap().baseline_measures_in_force,
        ["9903.88.01", "9903.88.03", "9903.81.91@2025-08-18"]
    );
    let (a, formula) = s232(&full);
    assert_eq!(a, "50.00");
    assert!(
        formula.contains("share not declared: full customs value"),
        "{formula}"
    );
    assert!(!full.notes.iter().any(|n| n.contains("estimated")));

    let estimated = calculate(&server, run(true, None)).await;
    let (a, formula) = s232(&estimated);
    assert_eq!(a, "4.91");
    assert!(
        formula.contains("metal content (estimated 9.81% of 100.00 USD, no share declared; estimate: estimated steel + aluminum share of value per HTS10 (BEA"),
        "{formula}"
    );
    assert!(
        estimated.notes.iter().any(|n| n.starts_with(
            "HTS 8482.10.5044: no metal share declared; the metal-content duty uses the estimated share 0.0981 of schedule \"us-hts-2026\""
        )),
        "{:?}",
        estimated.notes
    );

    let declared = calculate(&server, run(true, Some("0.2"))).await;
    let (a, formula) = s232(&declared);
    assert_eq!(a, "10.00");
    assert!(
        formula.contains("metal content (20% of 100.00 USD)"),
        "{formula}"
    );
}

/// LookupMeasures, the spot check: magnets 8505.11.00.70 from China entered 2026-03-02 by
/// ocean under `us-hts-2026` are covered by the MFN rates of 8505.11.00 and of 8505.11.00.70
/// (2.1% each; only the more specific is charged) and by Section 301 9903.91.06 (25%, note
/// 31(g), its prefixes cut to 85051100); MPF and HMF are in force. By air, HMF is not. A
/// bearing 8482.10 has no MFN rate: `mfn_missing`; the known gaps that concern a line are
/// listed. Bad fields are named; an unknown
/// schedule is NOT_FOUND.
#[tokio::test]
async fn lookup_measures_shows_what_a_line_is_charged_and_why() {
    let server = TestServer::start().await;
    let mut c = server.catalog().await;
    let lookup = |hts: &str, mode: pb::TransportMode| pb::LookupMeasuresRequest {
        schedule_id: "us-hts-2026".into(),
        hts_code: hts.into(),
        origin: "CN".into(),
        entry_date: "2026-03-02".into(),
        transport_mode: mode as i32,
        preference_program: String::new(),
    };
    let r = c
        .lookup_measures(lookup("8505.11.0070", pb::TransportMode::Ocean))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (r.schedule_id.as_str(), r.as_of_date.as_str()),
        ("us-hts-2026", "2026-09-04")
    );
    let seen: Vec<_> = r
        .measures
        .iter()
        .map(|m| {
            let measure = m.measure.as_ref().unwrap();
            (
                measure.id.as_str(),
                measure.rate.as_ref().unwrap().ad_valorem_percent.as_str(),
                m.charged,
                measure.hts_prefixes.clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("mfn-8505.11.00", "2.1", false, vec!["85051100".to_string()]),
            (
                "mfn-8505.11.00.70",
                "2.1",
                true,
                vec!["8505110070".to_string()]
            ),
            ("9903.91.06", "25", true, vec!["85051100".to_string()]),
        ]
    );
    assert_eq!(
        r.measures[0].note,
        "not charged: mfn-8505.11.00.70 is the MFN rate of a more specific HTS line"
    );
    let s301 = r.measures[2].measure.as_ref().unwrap();
    assert!(s301.source.contains("U.S. note 31(g)"), "{}", s301.source);
    assert_eq!(
        r.measures[2].note,
        "alternatives group \"section-301\": of the group's measures that apply, only the one with the highest duty is charged"
    );
    assert_eq!(s301.effective_from, "2026-01-01");
    assert!(!r.mfn_missing);
    let fees: Vec<_> = r.fees.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(fees, ["us-mpf-fy2026", "us-hmf"]);

    let by_air = c
        .lookup_measures(lookup("8505.11.0070", pb::TransportMode::Air))
        .await
        .unwrap()
        .into_inner();
    let fees: Vec<_> = by_air.fees.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(fees, ["us-mpf-fy2026"]);

    let bearing = c
        .lookup_measures(lookup("8482.10.5044", pb::TransportMode::Air))
        .await
        .unwrap()
        .into_inner();
    assert!(bearing.mfn_missing);
    let ids: Vec<_> = bearing
        .measures
        .iter()
        .map(|m| m.measure.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "9903.88.01",
            "9903.88.03",
            "9903.81.91@2025-08-18",
            "9903.03.01"
        ]
    );
    // What the schedule knows it does not carry for the bearing: AD/CVD orders (every line)
    // and Section 232 on automobile parts (note 33(g) lists 8482.10.5044), its 130 listed
    // codes cut to the one that covers the line. The magnets: AD/CVD only.
    let known: Vec<_> = bearing
        .known_gaps
        .iter()
        .map(|g| (g.id.as_str(), g.hts_prefixes.clone()))
        .collect();
    assert_eq!(
        known,
        [
            ("ad-cvd", vec![]),
            ("s232-auto-parts-note-33", vec!["8482.10.5044".to_string()])
        ]
    );
    assert!(bearing.known_gaps[1].description.contains("9903.94.05"));
    let known: Vec<_> = r.known_gaps.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(known, ["ad-cvd"]);

    // A motor of Canada on 2026-03-02 pays Section 122 (9903.03.01) unless it claims USMCA
    // (note 2(aa)(vi)); the claim's special rate (Free) is named on the MFN match.
    let motor = |claim: &str| pb::LookupMeasuresRequest {
        origin: "CA".into(),
        preference_program: claim.into(),
        ..lookup("8501.31.4000", pb::TransportMode::Truck)
    };
    let ids = |r: &pb::LookupMeasuresResponse| -> Vec<String> {
        r.measures
            .iter()
            .map(|m| m.measure.as_ref().unwrap().id.clone())
            .collect()
    };
    let plain = c.lookup_measures(motor("")).await.unwrap().into_inner();
    assert_eq!(ids(&plain), ["mfn-8501.31.40.00", "9903.03.01"]);
    // Of 9903.03.01's six exemptions, the lookup shows the two that could apply to a motor
    // (USMCA goods of Canada and of Mexico, which have no HTS condition): the lists of
    // note 2(aa)(ii)-(iv) and the textile chapters do not cover 8501.31.
    let s122 = plain.measures[1].measure.as_ref().unwrap();
    let shown: Vec<_> = s122
        .exemptions
        .iter()
        .map(|e| (e.origins.clone(), e.hts_prefixes.len()))
        .collect();
    assert_eq!(
        shown,
        [(vec!["CA".to_string()], 0), (vec!["MX".to_string()], 0)]
    );
    // An aircraft part of France not claiming C pays Section 122; the civil-aircraft
    // exemption is shown cut to the provision that covers the line.
    let part = c
        .lookup_measures(pb::LookupMeasuresRequest {
            origin: "FR".into(),
            ..lookup("8807.30.0060", pb::TransportMode::Air)
        })
        .await
        .unwrap()
        .into_inner();
    let s122 = part
        .measures
        .iter()
        .find_map(|m| m.measure.as_ref().filter(|m| m.id == "9903.03.01"))
        .unwrap();
    let civil: Vec<_> = s122
        .exemptions
        .iter()
        .filter(|e| !e.hts_prefixes.is_empty())
        .map(|e| (e.hts_prefixes.clone(), e.claimed_programs.clone()))
        .collect();
    assert_eq!(
        civil,
        [(vec!["8807.30.00".to_string()], vec!["C".to_string()])]
    );
    assert_eq!(plain.measures[0].note, "");
    let claimed = c.lookup_measures(motor("S")).await.unwrap().into_inner();
    assert_eq!(ids(&claimed), ["mfn-8501.31.40.00"]);
    assert_eq!(
        claimed.measures[0].note,
        "claiming \"S\": the special rate listed for it in preference_rates replaces this rate (if the origin may claim it)"
    );
    let unlisted = c.lookup_measures(motor("JP")).await.unwrap().into_inner();
    assert_eq!(
        unlisted.measures[0].note,
        "claiming \"JP\": this line's rate does not list the program, so a costing refuses the claim"
    );

    // A vehicle of Japan: MFN (the 8-digit line's and the statistical line's, which is
    // charged), Section 122 (pre-empted in a costing) and the all-in rate.
    let ev = c
        .lookup_measures(pb::LookupMeasuresRequest {
            origin: "JP".into(),
            ..lookup("8703.80.0020", pb::TransportMode::Ocean)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        ids(&ev),
        [
            "mfn-8703.80.00",
            "mfn-8703.80.00.20",
            "9903.03.01",
            "9903.94.41"
        ]
    );
    assert_eq!(
        ev.measures[3].note,
        "all-in rate: charges what tops the duties of MFN on the line up to its rate"
    );

    let bad = pb::LookupMeasuresRequest {
        schedule_id: "us-hts-2026".into(),
        hts_code: "85x5".into(),
        origin: "ZZ".into(),
        entry_date: "2026-02-30".into(),
        transport_mode: 0,
        preference_program: String::new(),
    };
    let status = c.lookup_measures(bad).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<_> = tonic_types::StatusExt::get_details_bad_request(&status)
        .unwrap()
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(fields, ["hts_code", "origin", "entry_date"]);
    let status = c
        .lookup_measures(pb::LookupMeasuresRequest {
            schedule_id: "us-hts-2099".into(),
            ..lookup("8505.11.0070", pb::TransportMode::Air)
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

/// Preference claims under `us-hts-2026`. Magnets 8505.11.00.70 at 100.00 take the special
/// rates of 8505.11.00, "Free (A,AU,B,...,S,SG)": from Mexico claiming S (USMCA), MFN 0.00
/// instead of 2.1% = 2.10, and no Section 301 (China only). Refused, each at the claim's
/// field with its reason: China claiming S (not a member), GSP A (lapsed 2021-01-01), an
/// unknown program, and KR on the etch tool 8486.20.00.00, whose rate lists no special
/// program.
#[tokio::test]
async fn preference_claims_take_the_special_rate_or_are_refused_with_the_reason() {
    let server = TestServer::start().await;
    let calc = |origin: &str, hts: &str, program: &str| {
        json!({"bom": {"id": "b", "currency": "USD", "items": [
                  {"id": "part", "unitPrice": "100", "import": {"htsCode": hts, "origin": origin,
                   "transportMode": "TRANSPORT_MODE_AIR", "preferenceProgram": program}}]},
               "baselinePrices": common::deck("p", &[]),
               "baselineScheduleId": "us-hts-2026", "options": {"entryDate": "2026-03-02"}})
    };
    let r = calculate(&server, calc("MX", "8505.11.0070", "S")).await;
    let charges = &common::line(&r, "part").baseline.as_ref().unwrap().charges;
    let duties: Vec<_> = charges
        .iter()
        .filter(|c| c.program != 0)
        .map(|c| (c.measure_id.as_str(), amount(&c.amount)))
        .collect();
    assert_eq!(duties, [("mfn-8505.11.00.70", "0.00")]);
    let mfn = r
        .measures
        .iter()
        .find(|m| m.measure_id == "mfn-8505.11.00.70")
        .unwrap();
    assert_eq!(mfn.name, "MFN 8505.11.00.70 (special, S)");
    assert!(charges[0].formula.contains("0%"), "{}", charges[0].formula);
    let without = calculate(&server, calc("MX", "8505.11.0070", "")).await;
    assert_eq!(
        amount(&without.baseline_totals.as_ref().unwrap().duties),
        "2.10"
    );

    for (origin, hts, program, reason) in [
        (
            "CN",
            "8505.11.0070",
            "S",
            "origin CN may not claim program \"S\" (USMCA)",
        ),
        (
            "IN",
            "8505.11.0070",
            "A",
            "program \"A\" (Generalized System of Preferences) lapsed on 2021-01-01: claims entered on 2026-03-02 are refused",
        ),
        (
            "MX",
            "8505.11.0070",
            "ZZ",
            "program \"ZZ\" is not a preference program of schedule \"us-hts-2026\"",
        ),
        (
            "KR",
            "8486.20.0000",
            "KR",
            "the MFN rate of HTS 8486.20.0000 (mfn-8486.20.00.00) does not list program \"KR\" among its special rates",
        ),
    ] {
        let status =
            common::calculate_err(&server, common::request(calc(origin, hts, program))).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{program}");
        let v = &tonic_types::StatusExt::get_details_bad_request(&status)
            .unwrap()
            .field_violations;
        assert_eq!(v[0].field, "bom.items[0].import.preference_program");
        assert_eq!(v[0].description, reason);
    }
}

/// A CSV BOM, the columns of `calc --bom-csv`, read into the `Bom` message: an assembly (the
/// motor) with a material line sourced 70% from China (imported) and 30% from domestic supply,
/// and an imported component (the bearing); a shared assembly (the rotor kit, its row marked
/// `shared`) and an item that is one (`assembly_ref`). The id is the request's; the currency
/// defaults to USD; cells stay the strings they were (nothing is validated here).
#[tokio::test]
async fn parse_bom_csv_reads_assemblies_imports_shared_assemblies_and_sources() {
    let server = TestServer::start().await;
    let csv = "\
path,description,material_id,quantity,unit,unit_price,hts_code,origin,transport_mode,customs_value,assembly_ref,shared,share
motor,Drive motor,,1,piece,,,,,,,,
motor/magnet,NdFeB magnet,nd-oxide,0.5,kg,,,,,,,,
motor/magnet/cn,,,,,,8505.11.0070,CN,ocean,,,,0.7
motor/magnet/domestic,,,,,,,,,,,,0.3
motor/bearing,Bearing,,2,piece,4.5,8482.10.5044,JP,air,4.5,,,
rotor-kit,Rotor kit,,,,,,,,,,yes,
rotor-kit/dy,,dy-oxide,0.2,kg,,,,,,,,
front,,,1,piece,,,,,,rotor-kit,,
";
    let bom = server
        .catalog()
        .await
        .parse_bom_csv(pb::ParseBomCsvRequest {
            csv: csv.into(),
            bom_id: "motor-bom".into(),
            currency: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .bom
        .unwrap();
    let kg = pb::UnitOfMeasure::Kg as i32;
    let piece = pb::UnitOfMeasure::Piece as i32;
    let magnet = pb::BomItem {
        id: "magnet".into(),
        description: "NdFeB magnet".into(),
        material_id: "nd-oxide".into(),
        quantity: "0.5".into(),
        unit: kg,
        sourcing: vec![
            pb::SourcingShare {
                id: "cn".into(),
                share: "0.7".into(),
                material_id: String::new(),
                import: Some(pb::ImportDeclaration {
                    hts_code: "8505.11.0070".into(),
                    origin: "CN".into(),
                    transport_mode: pb::TransportMode::Ocean as i32,
                    ..Default::default()
                }),
            },
            pb::SourcingShare {
                id: "domestic".into(),
                share: "0.3".into(),
                material_id: String::new(),
                import: None,
            },
        ],
        ..Default::default()
    };
    let bearing = pb::BomItem {
        id: "bearing".into(),
        description: "Bearing".into(),
        quantity: "2".into(),
        unit: piece,
        unit_price: "4.5".into(),
        import: Some(Box::new(pb::ImportDeclaration {
            hts_code: "8482.10.5044".into(),
            origin: "JP".into(),
            transport_mode: pb::TransportMode::Air as i32,
            customs_value: "4.5".into(),
            ..Default::default()
        })),
        ..Default::default()
    };
    let want = pb::Bom {
        id: "motor-bom".into(),
        currency: "USD".into(),
        items: vec![
            pb::BomItem {
                id: "motor".into(),
                description: "Drive motor".into(),
                quantity: "1".into(),
                unit: piece,
                children: vec![magnet, bearing],
                ..Default::default()
            },
            pb::BomItem {
                id: "front".into(),
                quantity: "1".into(),
                unit: piece,
                assembly_ref: "rotor-kit".into(),
                ..Default::default()
            },
        ],
        shared_assemblies: vec![pb::SharedAssembly {
            id: "rotor-kit".into(),
            description: "Rotor kit".into(),
            children: vec![pb::BomItem {
                id: "dy".into(),
                material_id: "dy-oxide".into(),
                quantity: "0.2".into(),
                unit: kg,
                ..Default::default()
            }],
        }],
        ..Default::default()
    };
    assert_eq!(bom, want);
}

/// A CSV that cannot be read is INVALID_ARGUMENT with one BadRequest violation on `csv`
/// whose description is the parser's, naming the row (or the column): a unit that is none,
/// a column that is none, a row without its parent, a path deeper than the server's BOM
/// depth limit. Values are not validated: a quantity "abc" reads as it is.
#[tokio::test]
async fn parse_bom_csv_refuses_what_it_cannot_read_naming_the_row() {
    use tonic_types::StatusExt;
    let server = TestServer::start().await;
    let mut c = server.catalog().await;
    let deep: Vec<String> = (1..=33).map(|n| vec!["a"; n].join("/")).collect();
    let deep = format!("path\n{}\n", deep.join("\n"));
    for (csv, says) in [
        (
            "path,material_id,quantity,unit\nnd,nd-oxide,1.8,kg\ndy,dy-oxide,0.2,kgs\n",
            "CSV row 3: unit \"kgs\" is not kg, g, t, lb or piece",
        ),
        (
            "path,material_id,weight\nnd,nd-oxide,1.8\n",
            "unknown CSV column \"weight\"; columns are path, description, material_id,",
        ),
        (
            "path,quantity\nrotor/nd,1\n",
            "CSV row 2: parent \"rotor\" has no row",
        ),
        (
            deep.as_str(),
            "CSV row 34: nested deeper than 32 levels (path ",
        ),
    ] {
        let status = c
            .parse_bom_csv(pb::ParseBomCsvRequest {
                csv: csv.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(common::bad_request_fields(&status), ["csv"]);
        let v = &status.get_details_bad_request().unwrap().field_violations[0];
        assert!(v.description.starts_with(says), "{}", v.description);
        assert_eq!(v.reason, "INVALID_VALUE");
        assert!(status.message().starts_with("invalid request: csv: "));
    }
    let bom = c
        .parse_bom_csv(pb::ParseBomCsvRequest {
            csv: "path,quantity\nnd,abc\n".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .bom
        .unwrap();
    assert_eq!(
        (bom.id.as_str(), bom.items[0].quantity.as_str()),
        ("bom", "abc")
    );
}

/// Reading a CSV is held to the call budgets like a calculation, estimated before anything
/// is read: 5,000 rows of a few bytes (about 50 KB) would take several megabytes of memory,
/// over a budget of 4 MiB, so they are refused RESOURCE_EXHAUSTED naming the budget's flag;
/// 500 rows are read.
#[tokio::test]
async fn parse_bom_csv_is_held_to_the_memory_budget() {
    use tonic_types::StatusExt;
    let server = TestServer::start_with(tariff_impact::server::ServerConfig {
        budgets: tariff_impact::api::budget::Budgets {
            max_call_memory: 4 * 1024 * 1024,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let mut c = server.catalog().await;
    let rows = |n: usize| {
        let mut csv = String::from("path,quantity\n");
        for i in 0..n {
            csv.push_str(&format!("p{i},1\n"));
        }
        pb::ParseBomCsvRequest {
            csv,
            ..Default::default()
        }
    };
    let status = c.parse_bom_csv(rows(5_000)).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let info = status.get_details_error_info().unwrap();
    assert_eq!(info.reason, "MEMORY_BUDGET_EXCEEDED");
    assert_eq!(info.metadata["flag"], "--max-call-memory-mib");
    let bom = c.parse_bom_csv(rows(500)).await.unwrap().into_inner().bom;
    assert_eq!(bom.unwrap().items.len(), 500);
}
