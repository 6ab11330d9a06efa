//! The `calc` command: the same engine from a JSON request or a CSV BOM, a table or JSON out,
//! and errors that name the CSV row.

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
}

fn temp(name: &str, body: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("tariff-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, body).unwrap();
    path
}

const SEED_REQUEST: &str = r#"{
  "bom": {"id": "ev", "currency": "USD", "items": [
    {"id": "nd", "materialId": "nd-oxide", "quantity": "1.8", "unit": "UNIT_OF_MEASURE_KG"},
    {"id": "dy", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"}]},
  "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
  "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}
}"#;

/// The seed example from a JSON request file, JSON out: 315.00, as over gRPC.
#[test]
fn calc_reads_a_json_request_and_prints_the_json_response() {
    let path = temp("req.json", SEED_REQUEST);
    let out = bin()
        .args(["calc", "--format", "json", "--request"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: tariff_impact::pb::CalculateImpactResponse =
        serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r.delta.unwrap().amount, "315.00");
    std::fs::remove_file(path).unwrap();
}

/// The same request on standard input, table out.
#[test]
fn calc_reads_stdin_and_prints_a_table() {
    let mut child = bin()
        .args(["calc", "--request", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(SEED_REQUEST.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    let unit_cost = table.lines().find(|l| l.starts_with("unit cost")).unwrap();
    assert_eq!(
        unit_cost.split_whitespace().collect::<Vec<_>>(),
        ["unit", "cost", "187.00", "502.00", "315.00"]
    );
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["nd", "156.60", "405.00", "248.40"])
    );
}

const EV_CSV: &str =
    "path,description,material_id,quantity,unit,unit_price,hts_code,origin,transport_mode
motor,Traction motor,,1,,,,,
motor/magnets,Magnet set from China,,1,,,8505.11.0070,CN,ocean
motor/magnets/nd,Nd oxide,nd-oxide,1.8,kg,,,,
motor/magnets/dy,Dy oxide,dy-oxide,0.2,kg,,,,
motor/magnets/conversion,Sintering,,,,45.00,,,
";

/// A CSV BOM with the preset decks and the 2026 schedule, 500 vehicles per entry. By hand:
/// baseline 187 + 45 goods, duties 4.87 + 58.00 + 23.20, fees 0.80 + 0.29 = 319.16;
/// scenario 502 + 45, duties 11.49 + 136.75 + 54.70, fees 1.30 + 0.68 = 751.92; delta 432.76.
#[test]
fn calc_costs_a_csv_bom_with_presets() {
    let path = temp("ev.csv", EV_CSV);
    let out = bin()
        .args(["calc", "--format", "json", "--bom-csv"])
        .arg(&path)
        .args([
            "--baseline-prices",
            "ree-pre-restriction",
            "--scenario-prices",
            "ree-post-restriction",
            "--baseline-schedule",
            "us-2026",
            "--entry-date",
            "2026-03-02",
            "--units-per-entry",
            "500",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: tariff_impact::pb::CalculateImpactResponse =
        serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r.baseline_unit_cost.unwrap().amount, "319.16");
    assert_eq!(r.scenario_unit_cost.unwrap().amount, "751.92");
    assert_eq!(r.delta.unwrap().amount, "432.76");
    assert_eq!(r.lines[1].path, "motor/magnets");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn calc_names_the_csv_row_of_a_bad_field() {
    let path = temp("bad.csv", &EV_CSV.replace("nd-oxide,1.8", "nd-oxide,1.8x"));
    let out = bin()
        .args(["calc", "--bom-csv"])
        .arg(&path)
        .args([
            "--baseline-prices",
            "ree-pre-restriction",
            "--baseline-schedule",
            "us-2026",
            "--entry-date",
            "2026-03-02",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bom.items[0].children[0].children[0].quantity (CSV row 4)")
            && stderr.contains("MALFORMED_DECIMAL"),
        "{stderr}"
    );
    std::fs::write(&path, "path,colour\nx,red\n").unwrap();
    let out = bin()
        .args(["calc", "--bom-csv"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown CSV column \"colour\""));
    std::fs::remove_file(path).unwrap();
}

/// `calc --format json` with `args`: the response, or the exit code and standard error.
fn calc_json(args: &[&str]) -> Result<tariff_impact::pb::CalculateImpactResponse, (i32, String)> {
    let out = bin()
        .args(["calc", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap())
}

/// The amount of `measure` on line `path`'s baseline, if charged.
fn baseline_charge(
    r: &tariff_impact::pb::CalculateImpactResponse,
    path: &str,
    measure: &str,
) -> Option<String> {
    let line = r.lines.iter().find(|l| l.path == path).unwrap();
    line.baseline
        .as_ref()
        .unwrap()
        .charges
        .iter()
        .find(|c| c.measure_id == measure)
        .map(|c| c.amount.as_ref().unwrap().amount.clone())
}

/// A 100.00 magnet (8505.11.0070) and a 100.00 bearing (8482.10.5044, a Section 232 steel
/// derivative) from China under `us-hts-2026`, entered 2025-12-15, no units per entry.
const MAGNET_REQUEST: &str = r#"{"bom": {"id": "m", "currency": "USD", "items": [
  {"id": "magnet", "unitPrice": "100.00", "import": {"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}},
  {"id": "bearing", "unitPrice": "100.00", "import": {"htsCode": "8482.10.5044", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}}]},
 "baselinePrices": {"id": "p", "currency": "USD"}, "baselineScheduleId": "us-hts-2026",
 "options": {"entryDate": "2025-12-15"}}"#;

/// Every option flag given with `--request` overrides the file's option. By hand, from the
/// file alone (2025-12-15): no Section 301 on the magnet (heading 9903.91.06 starts
/// 2026-01-01), 50.00 of Section 232 on the bearing's full value, MPF at its 33.58 minimum
/// on one unit (0.3464% x 200.00 = 0.69 unclamped), shared 16.79 each. `--entry-date
/// 2026-03-02`: the magnet pays 25% = 25.00 under 9903.91.06. `--units-per-entry 500`: 500 x
/// 0.6928 = 346.40 per entry, inside the bounds, 0.35 per magnet. `--estimate-metal-content`:
/// the bearing's 232 duty on its estimated 9.81% metal, 4.91. `--scenario-entry-date`,
/// `--annual-volume`, `--rounding` show in the inputs used and the annual impact;
/// `--require-coverage` refuses the unacknowledged AD/CVD gap until `--acknowledge-gap`.
#[test]
fn option_flags_override_a_request_file() {
    let path = temp("magnet.json", MAGNET_REQUEST);
    let file = path.to_str().unwrap();
    let r = calc_json(&["--request", file]).unwrap();
    assert_eq!(baseline_charge(&r, "magnet", "9903.91.06"), None);
    assert_eq!(
        baseline_charge(&r, "bearing", "9903.81.91@2025-08-18").as_deref(),
        Some("50.00")
    );
    assert_eq!(
        baseline_charge(&r, "magnet", "us-mpf-fy2026").as_deref(),
        Some("16.79")
    );
    let r = calc_json(&["--request", file, "--entry-date", "2026-03-02"]).unwrap();
    assert_eq!(
        baseline_charge(&r, "magnet", "9903.91.06").as_deref(),
        Some("25.00")
    );
    assert_eq!(r.inputs.as_ref().unwrap().entry_date, "2026-03-02");
    let r = calc_json(&["--request", file, "--units-per-entry", "500"]).unwrap();
    assert_eq!(
        baseline_charge(&r, "magnet", "us-mpf-fy2026").as_deref(),
        Some("0.35")
    );
    assert_eq!(r.inputs.as_ref().unwrap().units_per_entry, "500");
    let r = calc_json(&["--request", file, "--estimate-metal-content"]).unwrap();
    assert_eq!(
        baseline_charge(&r, "bearing", "9903.81.91@2025-08-18").as_deref(),
        Some("4.91")
    );
    let r = calc_json(&[
        "--request",
        file,
        "--scenario-entry-date",
        "2026-03-02",
        "--annual-volume",
        "1000",
        "--rounding",
        "half-even",
    ])
    .unwrap();
    let inputs = r.inputs.as_ref().unwrap();
    assert_eq!(inputs.scenario_entry_date, "2026-03-02");
    assert_eq!(
        inputs.rounding_mode,
        tariff_impact::pb::RoundingMode::HalfEven as i32
    );
    assert_eq!(r.annual_impact.unwrap().amount, "25000.00");
    // The magnet alone (the bearing has no MFN rate in the extract: a gap no flag lifts).
    let magnet = temp(
        "magnet-only.json",
        &MAGNET_REQUEST.replace(
            r#"},
  {"id": "bearing", "unitPrice": "100.00", "import": {"htsCode": "8482.10.5044", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}}]}"#,
            "}]}",
        ),
    );
    let magnet_file = magnet.to_str().unwrap();
    let (code, stderr) = calc_json(&["--request", magnet_file, "--require-coverage"]).unwrap_err();
    assert!(code == 2 && stderr.contains("ad-cvd"), "{code} {stderr}");
    let args = [
        "--request",
        magnet_file,
        "--require-coverage",
        "--acknowledge-gap",
        "ad-cvd",
    ];
    calc_json(&args).unwrap();
    std::fs::remove_file(magnet).unwrap();
    std::fs::remove_file(path).unwrap();
}

/// Price deck and schedule flags replace the request file's sources: the seed request with
/// `--baseline-prices ree-post-restriction` has the scenario's prices on both sides (502.00,
/// no delta); `--scenario-schedule` with a `.json` file is read as a schedule.
#[test]
fn source_flags_override_a_request_file() {
    let path = temp("seed-sources.json", SEED_REQUEST);
    let file = path.to_str().unwrap();
    let r = calc_json(&[
        "--request",
        file,
        "--baseline-prices",
        "ree-post-restriction",
    ])
    .unwrap();
    assert_eq!(r.baseline_unit_cost.unwrap().amount, "502.00");
    assert_eq!(r.delta.unwrap().amount, "0.00");
    let schedule = temp(
        "sources-schedule.json",
        r#"{"id": "flat", "name": "flat", "currency": "USD", "asOfDate": "2026-01-01"}"#,
    );
    let r = calc_json(&[
        "--request",
        file,
        "--scenario-schedule",
        schedule.to_str().unwrap(),
        "--scenario-prices",
        "ree-pre-restriction",
    ])
    .unwrap();
    assert_eq!(
        r.inputs
            .as_ref()
            .unwrap()
            .scenario_schedule
            .as_ref()
            .unwrap()
            .id,
        "flat"
    );
    assert_eq!(r.delta.unwrap().amount, "0.00");
    std::fs::remove_file(path).unwrap();
    std::fs::remove_file(schedule).unwrap();
}

/// The flags that describe a CSV BOM are refused next to a request file (it has its own
/// BOM), naming the flag, with the exit code of other input errors.
#[test]
fn csv_bom_flags_are_refused_with_a_request_file() {
    let path = temp("seed-refused.json", SEED_REQUEST);
    let file = path.to_str().unwrap();
    for flag in [["--currency", "EUR"], ["--bom-id", "other"]] {
        let (code, stderr) = calc_json(&["--request", file, flag[0], flag[1]]).unwrap_err();
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!("{} describes a CSV BOM", flag[0])),
            "{stderr}"
        );
    }
    let (code, _) = calc_json(&["--request", file, "--bom-csv", file]).unwrap_err();
    assert_eq!(code, 2);
    std::fs::remove_file(path).unwrap();
}

/// The EV of `EV_CSV` with its magnets as a shared assembly used by two motors (the rear one
/// twice), and Nd from two sources: 70% imported from China, 30% recycled at home.
const SHARED_CSV: &str = "path,description,material_id,quantity,unit,unit_price,hts_code,origin,transport_mode,assembly_ref,shared,share
front,Front motor,,1,,,,,,magnets,,
rear,Rear motor,,2,,,,,,magnets,,
magnets,Magnet set,,,,,,,,,yes,
magnets/nd,Nd oxide,nd-oxide,1.8,kg,,,,,,,
magnets/nd/cn,,,,,,2846.90.8000,CN,ocean,,,0.7
magnets/nd/recycled,,,,,,,,,,,0.3
magnets/dy,Dy oxide,dy-oxide,0.2,kg,,,,,,no,
magnets/conversion,Sintering,,,,45.00,8505.11.0070,CN,ocean,,,
";

/// The same BOM in JSON.
const SHARED_JSON: &str = r#"{"id": "shared", "currency": "USD", "items": [
  {"id": "front", "description": "Front motor", "quantity": "1", "assemblyRef": "magnets"},
  {"id": "rear", "description": "Rear motor", "quantity": "2", "assemblyRef": "magnets"}],
 "sharedAssemblies": [{"id": "magnets", "description": "Magnet set", "children": [
  {"id": "nd", "description": "Nd oxide", "materialId": "nd-oxide", "quantity": "1.8", "unit": "UNIT_OF_MEASURE_KG",
   "sourcing": [
    {"id": "cn", "share": "0.7", "import": {"htsCode": "2846.90.8000", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}},
    {"id": "recycled", "share": "0.3"}]},
  {"id": "dy", "description": "Dy oxide", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"},
  {"id": "conversion", "description": "Sintering", "unitPrice": "45.00",
   "import": {"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}}]}]}"#;

/// A CSV BOM with a shared assembly and a sourcing mix costs exactly as the same BOM in
/// JSON: the two JSON responses are equal, and the mix's lines are there.
#[test]
fn a_csv_bom_with_shared_assemblies_and_sourcing_equals_its_json() {
    let csv = temp("shared.csv", SHARED_CSV);
    let request = temp(
        "shared.json",
        &format!(
            r#"{{"bom": {SHARED_JSON}, "baselinePricesId": "ree-pre-restriction",
                "scenarioPricesId": "ree-post-restriction", "baselineScheduleId": "us-hts-2026",
                "options": {{"entryDate": "2026-03-02", "unitsPerEntry": "100"}}}}"#
        ),
    );
    let sources = [
        "--baseline-prices",
        "ree-pre-restriction",
        "--scenario-prices",
        "ree-post-restriction",
        "--baseline-schedule",
        "us-hts-2026",
        "--entry-date",
        "2026-03-02",
        "--units-per-entry",
        "100",
    ];
    let mut args = vec!["--bom-csv", csv.to_str().unwrap(), "--bom-id", "shared"];
    args.extend(sources);
    let from_csv = calc_json(&args).unwrap();
    let from_json = calc_json(&["--request", request.to_str().unwrap()]).unwrap();
    assert_eq!(from_csv, from_json);
    let paths: Vec<&str> = from_csv.lines.iter().map(|l| l.path.as_str()).collect();
    assert!(
        paths.contains(&"rear/nd/cn") && paths.contains(&"front/nd/recycled"),
        "{paths:?}"
    );
    assert!(baseline_charge(&from_csv, "rear/conversion", "9903.91.06").is_some());
    std::fs::remove_file(csv).unwrap();
    std::fs::remove_file(request).unwrap();
}

/// The README's table of server flags says what `serve --help` says: every flag is listed,
/// with its environment variable and the default the server really uses (defaults live in
/// `ServerConfig::default()`, from which the flags take theirs; this keeps the README honest).
#[test]
fn the_readme_flag_table_matches_serve_help() {
    let out = bin().args(["serve", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    // (flag, env, default) per option of the help text.
    let mut options: Vec<(String, String, Option<String>)> = Vec::new();
    let mut lines = help.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(flag) = line.trim().strip_prefix("--") else {
            continue;
        };
        let flag = format!("--{}", flag.split_whitespace().next().unwrap());
        let text = lines.next().unwrap_or_default();
        let tag = |name: &str| {
            text.split(&format!("[{name}: ")).nth(1).map(|rest| {
                rest[..rest.find(']').unwrap()]
                    .trim_end_matches('=')
                    .to_string()
            })
        };
        options.push((flag, tag("env").unwrap_or_default(), tag("default")));
    }
    assert!(options.len() >= 25, "{options:?}");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows: Vec<Vec<String>> = readme
        .lines()
        .filter(|l| l.starts_with("| `--"))
        .map(|l| {
            l.split(" | ")
                .map(|c| c.trim_matches(['|', ' ']).to_string())
                .collect()
        })
        .collect();
    for (flag, env, default) in &options {
        let row = rows
            .iter()
            .find(|r| r[0].split(", ").any(|f| f.trim_matches('`') == flag))
            .unwrap_or_else(|| panic!("{flag} is not in the README's flag table"));
        assert!(
            row[1].split(", ").any(|e| e.trim_matches('`') == env),
            "{flag}: README says {}, the server reads {env}",
            row[1]
        );
        let documented = row[2].trim_matches('`');
        match default.as_deref() {
            // Machine-dependent: the help says how it is derived, and so must the README.
            Some(_) if text_of(&help, flag).contains("(default: twice the CPUs)") => {
                assert_eq!(documented, "twice the CPUs", "{flag}")
            }
            Some(d) => assert!(
                documented == d || documented.starts_with(&format!("{d} ")),
                "{flag}: README default {documented:?}, the server's {d:?}"
            ),
            None => assert!(
                !documented.starts_with(|c: char| c.is_ascii_digit()),
                "{flag}: README gives a default {documented:?} the server does not have"
            ),
        }
    }
}

/// The help text of `flag`.
fn text_of<'a>(help: &'a str, flag: &str) -> &'a str {
    let mut lines = help.lines();
    lines
        .find(|l| l.trim().starts_with(&format!("{flag} ")) || l.trim() == flag)
        .and_then(|_| lines.next())
        .unwrap_or_default()
}

/// `hts import` on the USITC extract writes a schedule that `calc --catalog` loads: a magnet
/// under 8505.11.00.70 from China at 100.00 pays the MFN rate printed on 8505.11.00, 2.1% =
/// 2.10, and the EV under 8703.80.00.20 at 30,000.00 pays 2.5% = 750.00.
#[test]
fn hts_import_writes_a_schedule_calc_uses() {
    let dir = std::env::temp_dir().join(format!("tariff-hts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let extract = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/us-tariff/usitc-hts-extract.json"
    );
    let out = bin()
        .args(["hts", "import", extract, "--id", "hts-test", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("233 rows"), "{report}");
    assert!(report.contains("0 lines skipped"), "{report}");
    let request = temp(
        "hts-req.json",
        r#"{"bom": {"id": "b", "currency": "USD", "items": [
            {"id": "magnet", "unitPrice": "100", "import": {"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}},
            {"id": "ev", "unitPrice": "30000", "import": {"htsCode": "8703.80.0020", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}}]},
          "baselinePrices": {"id": "p", "currency": "USD"}, "baselineScheduleId": "hts-test",
          "options": {"entryDate": "2026-03-02"}}"#,
    );
    let out = bin()
        .args(["calc", "--format", "json", "--catalog"])
        .arg(&dir)
        .arg("--request")
        .arg(&request)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: tariff_impact::pb::CalculateImpactResponse =
        serde_json::from_slice(&out.stdout).unwrap();
    let duty = |path: &str| {
        let line = r.lines.iter().find(|l| l.path == path).unwrap();
        let charges = &line.baseline.as_ref().unwrap().charges;
        charges
            .iter()
            .map(|c| {
                (
                    c.measure_id.clone(),
                    c.amount.as_ref().unwrap().amount.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        duty("magnet"),
        [("mfn-8505.11.00.70".to_string(), "2.10".to_string())]
    );
    assert_eq!(
        duty("ev"),
        [("mfn-8703.80.00.20".to_string(), "750.00".to_string())]
    );
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_file(request).unwrap();
}

/// The built-in `us-hts-2026` is exactly what `scripts/compile_us_hts.sh` writes from the
/// data in `data/us-tariff/`: the shipped preset cannot drift from its sources or from the
/// importer. The report names each Section 301 heading not charged and why.
#[test]
fn the_built_in_official_schedule_is_what_the_importer_writes() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = std::env::temp_dir().join(format!("tariff-hts-preset-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = bin()
        .current_dir(root)
        .args([
            "hts",
            "import",
            "data/us-tariff/usitc-hts-extract.json",
            "--id",
            "us-hts-2026",
            "--section-301",
            "data/us-tariff/s301_product_lists.csv",
            "--section-232-derivatives",
            "data/us-tariff/s232_derivative_products.csv",
            "--section-232-rates",
            "data/us-tariff/s232_derivative_rates.csv",
            "--measures",
            "data/us-tariff/chapter99_measures.json",
            "--metal-shares",
            "data/us-tariff/metal_content_shares_bea_hs10.csv",
            "--metal-shares-source",
            "estimated steel + aluminum share of value per HTS10 (BEA input-output based; Budget Lab at Yale, tariff-rate-tracker metal_content_shares_bea_hs10.csv, MIT), rounded to 0.01%",
            "--fees-from",
            "catalog/tariff_schedules/us-2026.json",
            "--preference-programs",
            "data/us-tariff/preference_programs.json",
            "--known-gaps",
            "data/us-tariff/known_gaps.json",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report.contains("Section 301: 12223 list rows under 15 headings: 13 measures"),
        "{report}"
    );
    assert!(
        report.contains(
            "not charged 9903.88.16 (1519 list rows): provision suspended (compiler's note)"
        ),
        "{report}"
    );
    assert!(
        report.contains(
            "not charged 9903.92.10 (1 list rows): the export has no row for this heading"
        ),
        "{report}"
    );
    assert!(
        report.contains("Section 232 derivatives: 568 product rows (94 undated: in force from their heading's first rate period), 8 measures on the metal content"),
        "{report}"
    );
    assert!(
        report.contains("  9903.03.01: rate agrees with the export's heading: \"The duty provided in the applicable subheading + 10%\""),
        "{report}"
    );
    let written = std::fs::read_to_string(dir.join("tariff_schedules/us-hts-2026.json")).unwrap();
    let shipped =
        std::fs::read_to_string(format!("{root}/catalog/tariff_schedules/us-hts-2026.json"))
            .unwrap();
    assert!(
        written == shipped,
        "catalog/tariff_schedules/us-hts-2026.json differs from what the importer writes: run scripts/compile_us_hts.sh"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server log written to a file or pipe is plain text: no ANSI colour codes (they are for a
/// terminal only). The first line, "serving tariff.v1", is read from the piped standard
/// output, then the server is stopped.
#[test]
fn a_piped_server_log_has_no_colour_codes() {
    use std::io::BufRead;
    let mut child = bin()
        // No catalog store: it is not what this test is about.
        .args(["serve", "--listen", "127.0.0.1:0", "--read-only-catalog"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("serving tariff.v1"), "{line:?}");
    assert!(!line.contains('\u{1b}'), "{line:?}");
}

/// `catalog import` saves each file of a catalog directory as a version (skipping unchanged
/// ones, refusing the whole directory when one file is invalid) and `catalog export` writes the
/// latest versions back in the same layout.
#[test]
fn catalog_import_and_export_round_trip_through_the_embedded_store() {
    let root = tempfile::tempdir().unwrap();
    let (src, data, out) = (
        root.path().join("src"),
        root.path().join("data"),
        root.path().join("out"),
    );
    std::fs::create_dir_all(src.join("price_decks")).unwrap();
    std::fs::create_dir_all(src.join("boms")).unwrap();
    let deck = |price: &str| {
        format!(
            r#"{{"id": "team-deck", "currency": "USD", "asOfDate": "2026-11-30",
                 "prices": [{{"materialId": "nd-oxide", "price": "{price}", "unit": "UNIT_OF_MEASURE_KG"}}]}}"#
        )
    };
    std::fs::write(src.join("price_decks/team-deck.json"), deck("100")).unwrap();
    std::fs::write(
        src.join("boms/team-bom.json"),
        r#"{"id": "team-bom", "currency": "USD", "items": [{"id": "nd", "materialId": "nd-oxide", "quantity": "2", "unit": "UNIT_OF_MEASURE_KG"}]}"#,
    )
    .unwrap();
    let run = |args: &[&str]| {
        let o = bin().args(args).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.success(), text)
    };
    let (d, s, o) = (
        data.to_str().unwrap(),
        src.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let (ok, text) = run(&["catalog", "import", s, "--data-dir", d]);
    assert!(ok, "{text}");
    assert!(text.contains("bom team-bom saved as version 1"), "{text}");
    assert!(
        text.contains("price_deck team-deck saved as version 1"),
        "{text}"
    );
    assert!(text.contains("imported 2 object(s); 0 unchanged"), "{text}");
    let (ok, text) = run(&["catalog", "import", s, "--data-dir", d]);
    assert!(
        ok && text.contains("imported 0 object(s); 2 unchanged"),
        "{text}"
    );

    // One invalid file: nothing is written, not even the changed valid one.
    std::fs::write(src.join("price_decks/team-deck.json"), deck("120")).unwrap();
    std::fs::write(
        src.join("price_decks/zz-bad.json"),
        deck("abc").replace("team-deck", "zz-bad"),
    )
    .unwrap();
    let (ok, text) = run(&["catalog", "import", s, "--data-dir", d]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("zz-bad.json: price_deck.prices[0].price"),
        "{text}"
    );
    std::fs::remove_file(src.join("price_decks/zz-bad.json")).unwrap();
    let (ok, text) = run(&["catalog", "import", s, "--data-dir", d]);
    assert!(
        ok && text.contains("price_deck team-deck saved as version 2"),
        "{text}"
    );

    let (ok, text) = run(&["catalog", "export", "--data-dir", d, "--out", o]);
    assert!(ok && text.contains("exported 2 object(s)"), "{text}");
    let exported = std::fs::read_to_string(out.join("price_decks/team-deck.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(v["prices"][0]["price"], "120");
    assert!(out.join("boms/team-bom.json").is_file());

    // A preset's id is refused.
    let presets = root.path().join("presets");
    std::fs::create_dir_all(presets.join("boms")).unwrap();
    std::fs::write(
        presets.join("boms/ev.json"),
        r#"{"id": "ev-high-ree", "currency": "USD", "items": [{"id": "nd", "materialId": "nd-oxide", "quantity": "2", "unit": "UNIT_OF_MEASURE_KG"}]}"#,
    )
    .unwrap();
    let (ok, text) = run(&[
        "catalog",
        "import",
        presets.to_str().unwrap(),
        "--data-dir",
        d,
    ]);
    assert!(!ok && text.contains("is a preset's id"), "{text}");
}
