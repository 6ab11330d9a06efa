//! `calc --format csv` and `--format xlsx`: the flat exports from the command line, read back
//! as a spreadsheet would, adding up to the JSON response's totals; formula-like text escaped,
//! negative numbers left numbers; a workbook only to a file.

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::str::FromStr;

fn calc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tariff-impact"))
        .arg("calc")
        .args(args)
        .output()
        .unwrap()
}

fn temp(name: &str, body: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("tariff-export-{}-{name}", std::process::id()));
    std::fs::write(&path, body).unwrap();
    path
}

fn ok(out: &Output) -> &[u8] {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    &out.stdout
}

/// The CSV's rows as (header -> cell) maps.
fn records(csv: &[u8]) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(csv);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// The README's preset example (EV high-REE, us-2025 -> us-2026, 500 per entry).
const PRESET: &str = r#"{"bomId": "ev-high-ree", "baselinePricesId": "ree-pre-restriction",
  "scenarioPricesId": "ree-post-restriction", "baselineScheduleId": "us-2025",
  "scenarioScheduleId": "us-2026",
  "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "annualVolume": "100000"}}"#;

/// The CSV of the preset example adds up to the JSON response of the same request: the
/// charge rows to the unit cost (38,831.61 -> 39,296.77, +465.16 by hand in
/// tests/calculation_rules.rs), a line row for each of the 8 BOM lines.
#[test]
fn the_csv_adds_up_to_the_json_response() {
    let request = temp("preset.json", PRESET.as_bytes());
    let request = request.to_str().unwrap();
    let json = calc(&["--format", "json", "--request", request]);
    let r: tariff_impact::pb::CalculateImpactResponse = serde_json::from_slice(ok(&json)).unwrap();
    let csv = calc(&["--format", "csv", "--request", request]);
    let rows = records(ok(&csv));
    assert!(String::from_utf8_lossy(&csv.stdout).starts_with("table,scenario_name,"));
    let sum = |table: &str, column: &str| -> Decimal {
        rows.iter()
            .filter(|r| r["table"] == table)
            .map(|r| dec(&r[column]))
            .sum()
    };
    let amount = |m: &Option<tariff_impact::pb::Money>| dec(&m.as_ref().unwrap().amount);
    for table in ["line", "charge"] {
        assert_eq!(
            sum(table, "baseline"),
            amount(&r.baseline_unit_cost),
            "{table}"
        );
        assert_eq!(
            sum(table, "scenario"),
            amount(&r.scenario_unit_cost),
            "{table}"
        );
        assert_eq!(sum(table, "delta"), amount(&r.delta), "{table}");
    }
    assert_eq!(sum("charge", "delta"), dec("465.16"));
    assert_eq!(rows.iter().filter(|r| r["table"] == "line").count(), 8);
    assert_eq!(r.lines.len(), 8);
    let unit = rows
        .iter()
        .find(|r| r["table"] == "total" && r["name"] == "unit_cost")
        .unwrap();
    assert_eq!(unit["delta_exact"], "465.158102");
    std::fs::remove_file(request).unwrap();
}

/// The EV CSV BOM of tests/cli.rs with the prices reversed (post -> pre restriction), so
/// every delta falls: by hand 751.92 -> 319.16, -432.76; the magnets line 204.92 -> 87.16,
/// -117.76. A description that is a formula is escaped; the negative numbers are not.
const EV_CSV: &str =
    "path,description,material_id,quantity,unit,unit_price,hts_code,origin,transport_mode
motor,=SUM(A1:A9),,1,,,,,
motor/magnets,@magnets from China,,1,,,8505.11.0070,CN,ocean
motor/magnets/nd,Nd oxide,nd-oxide,1.8,kg,,,,
motor/magnets/dy,Dy oxide,dy-oxide,0.2,kg,,,,
motor/magnets/conversion,Sintering,,,,45.00,,,
";

fn ev_csv_args(bom: &str) -> Vec<String> {
    [
        "--bom-csv",
        bom,
        "--baseline-prices",
        "ree-post-restriction",
        "--scenario-prices",
        "ree-pre-restriction",
        "--baseline-schedule",
        "us-2026",
        "--entry-date",
        "2026-03-02",
        "--units-per-entry",
        "500",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn the_csv_escapes_formula_text_and_keeps_negative_numbers() {
    let bom = temp("ev.csv", EV_CSV.as_bytes());
    let mut args = ev_csv_args(bom.to_str().unwrap());
    args.extend(["--format", "csv"].map(String::from));
    let out = calc(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let rows = records(ok(&out));
    let line = |path: &str| {
        rows.iter()
            .find(|r| r["table"] == "line" && r["path"] == path)
            .unwrap()
    };
    assert_eq!(line("motor")["description"], "'=SUM(A1:A9)");
    let magnets = line("motor/magnets");
    assert_eq!(magnets["description"], "'@magnets from China");
    assert_eq!(
        [
            &magnets["hts_code"],
            &magnets["origin"],
            &magnets["baseline"],
            &magnets["delta"]
        ],
        ["8505.11.0070", "CN", "204.92", "-117.76"]
    );
    assert_eq!(line("motor/magnets/nd")["delta"], "-248.40");
    let unit = rows
        .iter()
        .find(|r| r["table"] == "total" && r["name"] == "unit_cost")
        .unwrap();
    assert_eq!([&unit["baseline"], &unit["delta"]], ["751.92", "-432.76"]);
    let charges: Decimal = rows
        .iter()
        .filter(|r| r["table"] == "charge")
        .map(|r| dec(&r["delta"]))
        .sum();
    assert_eq!(charges, dec("-432.76"));
    std::fs::remove_file(bom).unwrap();
}

/// A workbook goes to a file (or `-` on purpose), never unasked to a terminal; it reads back
/// with a sheet per table, amounts as numbers that sum to the unit cost.
#[test]
fn the_workbook_needs_an_output_and_reads_back() {
    let bom = temp("ev2.csv", EV_CSV.as_bytes());
    let mut args = ev_csv_args(bom.to_str().unwrap());
    args.extend(["--format", "xlsx"].map(String::from));
    let refused = calc(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--output FILE"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let file = std::env::temp_dir().join(format!("tariff-export-{}.xlsx", std::process::id()));
    args.extend(["--output".to_string(), file.display().to_string()]);
    let out = calc(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok(&out).is_empty(), "the workbook went to the file");
    let bytes = std::fs::read(&file).unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["line", "charge", "measure", "material", "total"]
    );
    let charge = book.worksheet_range("charge").unwrap();
    let header: Vec<String> = charge
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect();
    let delta = header.iter().position(|h| h == "delta").unwrap();
    let cents: i64 = charge
        .rows()
        .skip(1)
        .map(|r| match &r[delta] {
            Data::Float(f) => (f * 100.0).round() as i64,
            other => panic!("delta not a number: {other:?}"),
        })
        .sum();
    assert_eq!(cents, -43276);

    let last = args.len() - 1;
    args[last] = "-".to_string();
    let out = calc(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        ok(&out).starts_with(b"PK"),
        "a zip on standard output when asked"
    );
    std::fs::remove_file(file).unwrap();
    std::fs::remove_file(bom).unwrap();
}

/// A summary has no lines, so it cannot make the export's line and charge rows: refused, not
/// exported short.
#[test]
fn a_summary_request_is_refused_not_exported_short() {
    let summary = PRESET.replace(
        r#""unitsPerEntry": "500","#,
        r#""unitsPerEntry": "500", "view": "RESULT_VIEW_SUMMARY","#,
    );
    assert_ne!(summary, PRESET);
    let request = temp("summary.json", summary.as_bytes());
    let out = calc(&["--format", "csv", "--request", request.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RESULT_VIEW_SUMMARY"));
    std::fs::remove_file(request).unwrap();
}
