//! The page with charts in a real browser: headless Chromium (Debian's `chromium`) loads `/`
//! from the real server on 127.0.0.1:0, runs the examples through the page's own buttons, and
//! the numbers the charts show must be the API's (asked for separately over gRPC) and, for the
//! seed example, the hand-checked ones; a pasted BOM with a JPY-priced import and the two FX
//! presets chosen in their selects shows the FX step and the freight and insurance, the API's
//! and the hand-checked ones; the Japanese EV example (yen-priced drive unit, two FX presets,
//! metal content estimated, the AD/CVD gap acknowledged) shows the API's FX effect, comparison,
//! tornado and bounds, and the hand-known ones; the CSV and XLSX its download buttons save carry
//! the API's totals; a refused request shows the field it names. The test saves a screenshot of the page
//! (`target/tmp/page.png`, or the path in `TARIFF_SCREENSHOT`; the README's is
//! `docs/page.png`).
//!
//! Without Chromium the test is skipped with a printed reason, unless `TARIFF_REQUIRE_BROWSER`
//! is set (CI sets it, so there it cannot be skipped). Every wait is for a state the page
//! reaches, bounded only to fail a hang; nothing depends on the machine's speed.

mod common;

use common::TestServer;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tariff_impact::pb;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// Chromium's path: `CHROMIUM` or Debian's.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("CHROMIUM").map_or("/usr/bin/chromium".into(), PathBuf::from);
    path.exists().then_some(path)
}

/// Chromium, or `None` after printing why `test` is skipped; with `TARIFF_REQUIRE_BROWSER`
/// set (CI) a missing Chromium fails the test instead. The reason goes straight to stderr,
/// past the test harness's capture, so a plain `cargo test` shows it.
fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    use std::io::Write;
    let exe = chromium();
    if exe.is_none() {
        assert!(
            std::env::var_os("TARIFF_REQUIRE_BROWSER").is_none(),
            "TARIFF_REQUIRE_BROWSER is set but Chromium is missing (apt-get install chromium)"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: no Chromium (apt-get install chromium, or set CHROMIUM)"
        );
    }
    exe
}

/// A headless Chromium and a DevTools session on one page.
struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    /// Events read while waiting for an answer, for [`Browser::wait_event`].
    events: Vec<Value>,
    /// This browser's number in the process (names its profile and download folders).
    id: usize,
    _profile: TempDir,
}

/// A directory removed on drop (Chromium's profile).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A hang fails the test after this long; no step waits for time to pass.
const HANG: Duration = Duration::from_secs(180);

impl Browser {
    /// Starts Chromium (as root only with `--no-sandbox`; without the background-networking
    /// flags it keeps trying to reach Google's hosts) and opens `url` in a new page.
    fn open(exe: &Path, url: &str) -> Browser {
        static BROWSERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = BROWSERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let profile = std::env::temp_dir().join(format!("tariff-page-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let mut child = Command::new(exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--window-size=1280,1000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
        let ws_url = devtools_url(&mut child);
        let (ws, _) = tungstenite::connect(ws_url.as_str()).expect("DevTools websocket");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(HANG)).unwrap();
        }
        let mut b = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
            id: n,
            _profile: TempDir(profile),
        };
        let target = b.call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = b.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": false}),
        );
        b.call("Page.enable", json!({}));
        b.call("Page.navigate", json!({"url": url}));
        b.wait_event("Page.loadEventFired");
        b
    }

    /// Waits for DevTools event `method` of this page.
    fn wait_event(&mut self, method: &str) -> Value {
        loop {
            if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
                return self.events.swap_remove(i);
            }
            let event = self.read();
            self.events.push(event);
        }
    }

    /// The next DevTools message.
    fn read(&mut self) -> Value {
        loop {
            if let Message::Text(t) = self.ws.read().expect("DevTools message") {
                return serde_json::from_str(&t).unwrap();
            }
        }
    }

    /// One DevTools command's result, in the page's session (events read meanwhile are kept
    /// for [`Browser::wait_event`]).
    fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, &session)
    }

    /// One DevTools command to the browser itself (no session).
    fn call_browser(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, "")
    }

    fn send(&mut self, method: &str, params: Value, session: &str) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !session.is_empty() {
            msg["sessionId"] = json!(session);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap();
        loop {
            let v = self.read();
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none(), "{method}: {}", v["error"]);
                return v["result"].clone();
            }
            if v.get("method").is_some() && self.events.len() < 10_000 {
                self.events.push(v);
            }
        }
    }

    /// The value of a JavaScript expression in the page (awaited when it is a promise); an
    /// exception fails the test with its text.
    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expression}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until `<body data-{key}>` is one of `states` and returns it. Polls inside the
    /// page, so one command answers when the state is reached.
    fn wait_state(&mut self, key: &str, states: &[&str]) -> String {
        let expression = format!(
            "new Promise((resolve) => {{ const ok = {states:?}; \
               const check = () => {{ const s = document.body && document.body.dataset['{key}']; \
                 if (ok.includes(s)) resolve(s); else setTimeout(check, 25); }}; check(); }})"
        );
        let v = self.eval(&expression);
        v.as_str().unwrap_or_default().to_string()
    }

    /// Clicks button `id` and waits for the action it starts (`<body data-{key}>`) to end:
    /// the state is cleared first, so an earlier run's "done" is not taken for this one's.
    fn run(&mut self, id: &str, key: &str) -> String {
        self.eval(&format!(
            "delete document.body.dataset['{key}']; document.getElementById('{id}').click()"
        ));
        self.wait_state(key, &["done", "error"])
    }

    fn text(&mut self, id: &str) -> String {
        let v = self.eval(&format!("document.getElementById('{id}').textContent"));
        v.as_str().unwrap_or_default().to_string()
    }

    /// [(key attribute, shown text, data-amount)] of the chart texts matching `selector`.
    fn chart_texts(&mut self, selector: &str, key: &str) -> Vec<(String, String, String)> {
        let v = self.eval(&format!(
            "[...document.querySelectorAll({selector:?})].map(t => \
               [t.dataset.{key} || '', t.textContent, t.dataset.amount || ''])"
        ));
        serde_json::from_value(v).unwrap()
    }

    /// Clicks download button `selector` and returns the file the browser saved (downloads go
    /// to `dir`, set up by [`Browser::allow_downloads`]).
    fn download(&mut self, selector: &str, dir: &Path) -> Vec<u8> {
        self.eval(&format!("document.querySelector({selector:?}).click()"));
        let begin = self.wait_event("Browser.downloadWillBegin");
        let guid = begin["params"]["guid"].clone();
        loop {
            let p = self.wait_event("Browser.downloadProgress");
            if p["params"]["guid"] == guid && p["params"]["state"] != "inProgress" {
                assert_eq!(p["params"]["state"], "completed", "{p}");
                break;
            }
        }
        std::fs::read(dir.join(guid.as_str().unwrap())).unwrap()
    }

    /// Downloads are saved to `dir` under their guid, with progress events.
    fn allow_downloads(&mut self, dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        self.call_browser(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allowAndName", "downloadPath": dir, "eventsEnabled": true}),
        );
    }

    /// A PNG of the whole page.
    fn screenshot(&mut self) -> Vec<u8> {
        use base64::Engine;
        let metrics = self.call("Page.getLayoutMetrics", json!({}));
        let height = metrics["cssContentSize"]["height"].as_f64().unwrap().ceil();
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap()
    }
}

/// Chromium's DevTools address, from its "DevTools listening on ws://..." line on stderr; a
/// thread reads (and then drains) stderr so the pipe never fills, and a Chromium that neither
/// says it nor exits fails the test after [`HANG`].
fn devtools_url(child: &mut Child) -> String {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(HANG) {
            Ok(line) => match line.strip_prefix("DevTools listening on ") {
                Some(url) => return url.trim().to_string(),
                None => seen.push(line),
            },
            Err(e) => panic!(
                "Chromium gave no DevTools address ({e:?}):\n{}",
                seen.join("\n")
            ),
        }
    }
}

/// A shown amount as the API writes it: "+1,234.50" -> "1234.50".
fn plain(shown: &str) -> String {
    shown.replace([',', '+'], "")
}

fn amount(m: &Option<pb::Money>) -> String {
    m.as_ref().map(|m| m.amount.clone()).unwrap_or_default()
}

/// The waterfall as shown: step -> amount.
fn waterfall(b: &mut Browser) -> Vec<(String, String)> {
    b.chart_texts("#waterfall text[data-step]", "step")
        .into_iter()
        .map(|(step, shown, attr)| {
            assert_eq!(
                plain(&shown),
                attr,
                "{step}: shown text and data-amount differ"
            );
            (step, plain(&shown))
        })
        .collect()
}

/// The tornado as shown: (input name, series, amount).
fn tornado(b: &mut Browser) -> Vec<(String, String, String)> {
    b.chart_texts("#tornado text[data-row]", "row")
        .into_iter()
        .zip(b.chart_texts("#tornado text[data-row]", "series"))
        .map(|((row, shown, attr), (series, _, _))| {
            assert_eq!(plain(&shown), attr);
            (row, series, attr)
        })
        .collect()
}

/// The sensitivity bounds as shown: (key, text).
fn bounds(b: &mut Browser) -> Vec<(String, String)> {
    serde_json::from_value(b.eval(
        "[...document.querySelectorAll('#bounds dd[data-key]')].map(d => [d.dataset.key, d.textContent])",
    ))
    .unwrap()
}

/// The comparison chart as shown: (row label, amount).
fn compare_chart(b: &mut Browser) -> Vec<(String, String)> {
    b.chart_texts("#compare-chart text[data-series=delta]", "row")
        .into_iter()
        .map(|(row, shown, attr)| {
            assert_eq!(plain(&shown), attr);
            (row, attr)
        })
        .collect()
}

fn api_waterfall(r: &pb::CalculateImpactResponse) -> Vec<(String, String)> {
    let e = r.effects.clone().unwrap_or_default();
    [
        ("baseline", amount(&r.baseline_unit_cost)),
        ("price", amount(&e.price_effect)),
        ("tariff", amount(&e.tariff_effect)),
        ("interaction", amount(&e.interaction)),
        ("scenario", amount(&r.scenario_unit_cost)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The seed example as the page's button sends it (and the README shows it).
fn seed_request() -> Value {
    json!({
        "bom": {"id": "ev-seed-example", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd-oxide", "quantity": "1.8", "unit": "UNIT_OF_MEASURE_KG"},
            {"id": "dy", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"}]},
        "baselinePricesId": "ree-pre-restriction",
        "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02"}
    })
}

fn ev_request() -> Value {
    json!({
        "bomId": "ev-high-ree",
        "baselinePricesId": "ree-pre-restriction",
        "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2025",
        "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "annualVolume": "100000"}
    })
}

/// The seed BOM plus a sensor priced 15,000 JPY, imported from Japan with freight 50 and
/// insurance 5 USD per piece (FOB): pasted on the page as JSON.
fn fx_bom() -> Value {
    json!({"id": "ev-seed-jpy", "currency": "USD", "items": [
        {"id": "nd", "materialId": "nd-oxide", "quantity": "1.8", "unit": "UNIT_OF_MEASURE_KG"},
        {"id": "dy", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"},
        {"id": "sensor", "unitPrice": "15000", "priceCurrency": "JPY",
         "import": {"htsCode": "9026.10.2000", "origin": "JP", "transportMode": "TRANSPORT_MODE_OCEAN",
                    "incoterm": "INCOTERM_FOB", "freight": "50", "insurance": "5"}}]})
}

/// The seed example with [`fx_bom`] and the two H.10 presets, as the page sends it.
fn fx_request() -> Value {
    let mut req = seed_request();
    req["bom"] = fx_bom();
    req["baselineFxId"] = json!("fx-h10-2024-01-12");
    req["scenarioFxId"] = json!("fx-h10-2024-02-02");
    req
}

/// The Japanese EV example as the page's button sends it: the yen-priced drive unit under the
/// HTS-based 2026 schedule, the same prices on both sides and the yen moved between the two
/// H.10 releases; metal content estimated and the AD/CVD gap acknowledged.
fn jp_request() -> Value {
    json!({
        "bomId": "ev-jp-import",
        "baselinePricesId": "ree-pre-restriction",
        "baselineScheduleId": "us-hts-2026",
        "baselineFxId": "fx-h10-2024-01-12",
        "scenarioFxId": "fx-h10-2024-02-02",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "40",
                    "estimateMetalContent": true, "acknowledgedGaps": ["ad-cvd"]}
    })
}

/// The Japanese EV example's uncertain inputs, as the page's button fills them in.
fn jp_inputs() -> Value {
    json!([
        {"name": "yen per dollar at exportation", "fxRate": {"baseCurrency": "USD", "quoteCurrency": "JPY", "side": "SIDE_SCENARIO"}, "low": "140", "base": "148.54", "high": "160"},
        {"name": "drive unit ocean freight", "freight": {"itemPaths": ["drive-unit"]}, "low": "50", "base": "75", "high": "150"}
    ])
}

/// The waterfall with its FX step, as the API gives it.
fn api_fx_waterfall(r: &pb::CalculateImpactResponse) -> Vec<(String, String)> {
    let mut steps = api_waterfall(r);
    let fx = amount(&r.effects.clone().unwrap_or_default().fx_effect);
    steps.insert(2, ("fx".to_string(), fx));
    steps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_the_apis_numbers() {
    let Some(exe) = chromium_or_skip("the_page_shows_the_apis_numbers") else {
        return;
    };
    let server = TestServer::start().await;
    let url = format!("http://{}/", server.addr);
    let shown = tokio::task::spawn_blocking(move || drive_page(&exe, &url))
        .await
        .unwrap();

    // The seed example, hand-checked: Nd oxide 1.8 kg x 87 -> 225 USD/kg, Dy oxide 0.2 kg x
    // 152 -> 485: baseline 156.60 + 30.40 = 187.00, scenario 405.00 + 97.00 = 502.00, all
    // price effect (no import: no duty).
    let mut costs = server.costs().await;
    let seed = costs
        .calculate_impact(common::request(seed_request()))
        .await
        .unwrap()
        .into_inner();
    let hand = [
        ("baseline", "187.00"),
        ("price", "315.00"),
        ("tariff", "0.00"),
        ("interaction", "0.00"),
        ("scenario", "502.00"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    assert_eq!(api_waterfall(&seed), hand);
    assert_eq!(shown.seed_waterfall, hand.to_vec());
    assert_eq!(shown.csv_waterfall, hand.to_vec());
    assert_eq!(shown.csv_note, "CSV read by the server: 2 top-level items");
    shown.check_fx(&mut costs).await;

    // The EV example: the page shows exactly what the API answers.
    let ev = costs
        .calculate_impact(common::request(ev_request()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(shown.ev_waterfall, api_waterfall(&ev));
    assert_eq!(amount(&ev.delta), "465.16");
    // The CSV download is the flat export: its unit_cost row is the API's.
    let csv = String::from_utf8(shown.impact_csv.clone()).unwrap();
    let unit_cost = csv
        .lines()
        .find(|l| l.starts_with("total,") && l.contains(",unit_cost,"))
        .unwrap_or_else(|| panic!("{csv}"));
    let want = format!(
        ",unit_cost,{},{},{},",
        amount(&ev.baseline_unit_cost),
        amount(&ev.scenario_unit_cost),
        amount(&ev.delta)
    );
    assert!(unit_cost.contains(&want), "{unit_cost} lacks {want}");
    shown.check_compare(&mut costs).await;
    shown.check_sensitivity(&mut costs).await;
    shown.check_jp(&mut costs).await;
    assert!(
        shown.error.contains("options.entry_date"),
        "the page shows the field of a refused request: {}",
        shown.error
    );
    assert!(shown.screenshot.starts_with(b"\x89PNG"));
    server.stop().await;
}

/// With authentication on, the page itself loads but its calls need the token: the presets
/// fail with UNAUTHENTICATED until the user types it, then load, and a calculation runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_asks_for_the_token_when_the_server_needs_one() {
    let Some(exe) = chromium_or_skip("the_page_asks_for_the_token_when_the_server_needs_one")
    else {
        return;
    };
    let server = TestServer::start_with(tariff_impact::server::ServerConfig {
        auth_token: Some("s3cret".into()),
        ..Default::default()
    })
    .await;
    let url = format!("http://{}/", server.addr);
    let (before, after, seed) = tokio::task::spawn_blocking(move || {
        let mut b = Browser::open(&exe, &url);
        assert_eq!(b.wait_state("state", &["ready", "error"]), "error");
        let before = b.text("status");
        b.eval(
            "delete document.body.dataset.state; const t = document.getElementById('token'); \
             t.value = 's3cret'; t.dispatchEvent(new Event('change'))",
        );
        assert_eq!(b.wait_state("state", &["ready", "error"]), "ready");
        let after = b.text("status");
        let state = b.run("example-seed", "impact");
        assert_eq!(state, "done", "{}", b.text("status"));
        (before, after, waterfall(&mut b))
    })
    .await
    .unwrap();
    assert!(
        before.starts_with("Could not load the presets: UNAUTHENTICATED"),
        "{before}"
    );
    assert!(before.contains("Type the bearer token"), "{before}");
    assert_eq!(after, "");
    assert_eq!(seed[4], ("scenario".to_string(), "502.00".to_string()));
    server.stop().await;
}

/// What the browser showed.
struct Shown {
    seed_waterfall: Vec<(String, String)>,
    ev_waterfall: Vec<(String, String)>,
    /// The seed BOM's waterfall when it is given as CSV.
    csv_waterfall: Vec<(String, String)>,
    /// What the page says of the CSV it sent.
    csv_note: String,
    /// The waterfall of [`fx_request`], chosen on the page (pasted BOM, two FX presets).
    fx_waterfall: Vec<(String, String)>,
    /// (key, text) of the summary's landed-cost rows for [`fx_request`].
    fx_summary: Vec<(String, String)>,
    /// The FX deck selects' options (value) after the presets loaded.
    fx_options: Vec<String>,
    /// The EV result's CSV download.
    impact_csv: Vec<u8>,
    /// The comparison's XLSX download.
    compare_xlsx: Vec<u8>,
    /// (row label, amount) of the comparison chart.
    compare: Vec<(String, String)>,
    /// (input name, series, amount) of the tornado.
    tornado: Vec<(String, String, String)>,
    bounds: Vec<(String, String)>,
    error: String,
    screenshot: Vec<u8>,
    /// The Japanese EV example, run through its button.
    jp: JpShown,
}

/// What the browser showed for the Japanese EV example ([`jp_request`], [`jp_inputs`]).
struct JpShown {
    waterfall: Vec<(String, String)>,
    /// (key, text) of the result's summary.
    summary: Vec<(String, String)>,
    /// Whether the example checked "Estimate metal content", and the acknowledged gaps field.
    estimate_metal: bool,
    acknowledged: String,
    /// The coverage list's text.
    gaps: String,
    compare: Vec<(String, String)>,
    tornado: Vec<(String, String, String)>,
    bounds: Vec<(String, String)>,
    /// After it, the EV example's button: (estimate metal checked, acknowledged gaps field,
    /// waterfall), which must be the EV example's own.
    ev_after: (bool, String, Vec<(String, String)>),
}

/// Runs the Japanese EV example through its button: its result, comparison and sensitivity;
/// then the EV example again, which must not keep its metal estimate or acknowledged gap.
fn drive_jp(b: &mut Browser) -> JpShown {
    let state = b.run("example-jp", "impact");
    assert_eq!(state, "done", "{}", b.text("status"));
    let waterfall = waterfall(b);
    let summary = summary(b);
    let estimate_metal = checked(b);
    let acknowledged = b.eval("document.getElementById('acknowledged-gaps').value");
    let gaps = b.text("gaps");
    let state = b.run("run-compare", "compare");
    assert_eq!(state, "done", "{}", b.text("compare-status"));
    let compare = compare_chart(b);
    let state = b.run("run-sensitivity", "sensitivity");
    assert_eq!(state, "done", "{}", b.text("sensitivity-status"));
    let tornado = tornado(b);
    let bounds = bounds(b);

    let state = b.run("example-ev", "impact");
    assert_eq!(state, "done", "{}", b.text("status"));
    let ev_acknowledged = b.eval("document.getElementById('acknowledged-gaps').value");
    let ev_after = (
        checked(b),
        ev_acknowledged.as_str().unwrap().to_string(),
        crate::waterfall(b),
    );
    JpShown {
        waterfall,
        summary,
        estimate_metal,
        acknowledged: acknowledged.as_str().unwrap().to_string(),
        gaps,
        compare,
        tornado,
        bounds,
        ev_after,
    }
}

/// Whether "Estimate metal content" is checked.
fn checked(b: &mut Browser) -> bool {
    let v = b.eval("document.getElementById('estimate-metal').checked");
    v.as_bool().unwrap()
}

/// The result's summary as shown: (key, text).
fn summary(b: &mut Browser) -> Vec<(String, String)> {
    serde_json::from_value(b.eval(
        "[...document.querySelectorAll('#summary dd[data-key]')].map(d => [d.dataset.key, d.textContent])",
    ))
    .unwrap()
}

/// Saves a screenshot of the page (to `TARIFF_SCREENSHOT`, or `page.png` in the target's tmp
/// folder) and returns it.
fn save_screenshot(b: &mut Browser) -> Vec<u8> {
    let screenshot = b.screenshot();
    let path = std::env::var_os("TARIFF_SCREENSHOT").map_or_else(
        || Path::new(env!("CARGO_TARGET_TMPDIR")).join("page.png"),
        PathBuf::from,
    );
    std::fs::write(&path, &screenshot).unwrap();
    eprintln!("screenshot: {}", path.display());
    screenshot
}

/// (key, text) pairs read from the page: waterfall steps, summary rows.
type Pairs = Vec<(String, String)>;

/// A BOM with a JPY-priced, imported component pasted as JSON ([`fx_bom`]), and the two FX
/// presets chosen in their selects: the waterfall gains its FX step. Returns the waterfall and
/// the summary shown.
fn drive_fx(b: &mut Browser) -> (Pairs, Pairs) {
    assert_eq!(b.run("example-seed", "impact"), "done");
    b.eval(&format!(
        "document.getElementById('bom-text').value = {:?}; \
         document.getElementById('baseline-fx').value = 'fx-h10-2024-01-12'; \
         document.getElementById('scenario-fx').value = 'fx-h10-2024-02-02'",
        fx_bom().to_string()
    ));
    let state = b.run("calculate", "impact");
    assert_eq!(state, "done", "{}", b.text("status"));
    (waterfall(b), summary(b))
}

/// Runs the examples through the page's buttons and reads back what it shows.
fn drive_page(exe: &Path, url: &str) -> Shown {
    let mut b = Browser::open(exe, url);
    assert_eq!(b.wait_state("state", &["ready", "error"]), "ready");
    let fx_options = serde_json::from_value(b.eval(
        "[...document.querySelectorAll('#baseline-fx option, #scenario-fx option')].map(o => o.value)",
    ))
    .unwrap();
    let state = b.run("example-seed", "impact");
    assert_eq!(state, "done", "{}", b.text("status"));
    let seed_waterfall = waterfall(&mut b);

    let state = b.run("example-ev", "impact");
    assert_eq!(state, "done", "{}", b.text("status"));
    let ev_waterfall = waterfall(&mut b);

    // The result's download buttons: the CSV export and the comparison's workbook.
    let downloads = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "page-downloads-{}-{}",
        std::process::id(),
        b.id
    ));
    b.allow_downloads(&downloads);
    let impact_csv = b.download("[data-download=impact][data-format=csv]", &downloads);

    let state = b.run("run-compare", "compare");
    assert_eq!(state, "done", "{}", b.text("compare-status"));
    let compare = compare_chart(&mut b);

    let compare_xlsx = b.download("[data-download=compare][data-format=xlsx]", &downloads);
    let _ = std::fs::remove_dir_all(&downloads);

    let state = b.run("run-sensitivity", "sensitivity");
    assert_eq!(state, "done", "{}", b.text("sensitivity-status"));
    let tornado = tornado(&mut b);
    let bounds = bounds(&mut b);

    let screenshot = save_screenshot(&mut b);

    // A refused request: the page names the field, as the API's BadRequest does.
    b.eval("document.getElementById('entry-date').value = ''");
    assert_eq!(b.run("calculate", "impact"), "error");
    let error = b.text("status");

    // The seed BOM uploaded as CSV instead: the server reads it (ParseBomCsv) and the
    // waterfall is the seed's again.
    assert_eq!(b.run("example-seed", "impact"), "done");
    let csv = "path,material_id,quantity,unit\nnd,nd-oxide,1.8,kg\ndy,dy-oxide,0.2,kg\n";
    b.eval(&format!(
        "document.getElementById('bom-text').value = {csv:?}"
    ));
    let state = b.run("calculate", "impact");
    assert_eq!(state, "done", "{}", b.text("status"));
    let csv_waterfall = waterfall(&mut b);
    let csv_note = b.text("bom-note");

    let (fx_waterfall, fx_summary) = drive_fx(&mut b);
    let jp = drive_jp(&mut b);
    Shown {
        jp,
        csv_waterfall,
        csv_note,
        fx_waterfall,
        fx_summary,
        fx_options,
        seed_waterfall,
        ev_waterfall,
        impact_csv,
        compare_xlsx,
        compare,
        tornado,
        bounds,
        error,
        screenshot,
    }
}

impl Shown {
    /// The FX example: the page's waterfall (with its FX step) and landed costs are the API's
    /// for the same request, and the hand-checked ones. Nd and Dy oxide as in the seed
    /// example: 187.00 -> 502.00, price effect 315.00. The sensor, 15,000 JPY: 15,000 / 144.86
    /// = 103.5483 -> 103.55 USD, 15,000 / 148.54 = 100.9829 -> 100.98; under us-2026 on
    /// 2026-03-02 (no MFN rate for 9026: a coverage gap) Section 122 10% of the unrounded
    /// value, 10.3548 -> 10.35 and 10.0983 -> 10.10; HMF 0.125%, 0.1294 and 0.1262, 0.13 on
    /// both sides; MPF its 33.58 minimum on both; freight 50.00 and insurance 5.00 USD on both.
    /// Baseline 187.00 + 103.55 + 50.00 + 5.00 + 10.35 + 33.71 = 389.61; scenario 502.00 +
    /// 100.98 + 55.00 + 10.10 + 33.71 = 701.79; delta 312.18 = 315.00 price effect + FX effect
    /// (100.98 + 10.10) - (103.55 + 10.35) = -2.82.
    async fn check_fx(
        &self,
        costs: &mut pb::cost_impact_service_client::CostImpactServiceClient<
            tonic::transport::Channel,
        >,
    ) {
        for id in ["fx-h10-2024-01-12", "fx-h10-2024-02-02"] {
            let n = self.fx_options.iter().filter(|o| *o == id).count();
            assert_eq!(n, 2, "{id} in both selects: {:?}", self.fx_options);
        }
        assert_eq!(
            self.fx_options.iter().filter(|o| o.is_empty()).count(),
            2,
            "an empty choice (no deck) in each select"
        );
        let r = costs
            .calculate_impact(common::request(fx_request()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(self.fx_waterfall, api_fx_waterfall(&r));
        let hand = [
            ("baseline", "389.61"),
            ("price", "315.00"),
            ("fx", "-2.82"),
            ("tariff", "0.00"),
            ("interaction", "0.00"),
            ("scenario", "701.79"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        assert_eq!(self.fx_waterfall, hand.to_vec());
        let sensor = r.lines.iter().find(|l| l.path == "sensor").unwrap();
        let goods = |s: &Option<pb::LineSide>| amount(&s.as_ref().unwrap().goods);
        assert_eq!(
            (goods(&sensor.baseline), goods(&sensor.scenario)),
            ("103.55".to_string(), "100.98".to_string())
        );
        let landed = |k: &str| {
            let (_, text) = self
                .fx_summary
                .iter()
                .find(|(key, _)| key == k)
                .unwrap_or_else(|| panic!("no {k} in {:?}", self.fx_summary));
            text.clone()
        };
        assert_eq!(landed("freight"), "50.00 USD \u{2192} 50.00 USD");
        assert_eq!(landed("insurance"), "5.00 USD \u{2192} 5.00 USD");
        let totals = r.baseline_totals.clone().unwrap();
        assert_eq!(
            (amount(&totals.freight), amount(&totals.insurance)),
            ("50.00".to_string(), "5.00".to_string())
        );
        assert!(
            self.fx_summary.iter().all(|(k, _)| k != "brokerage"),
            "no brokerage row when there is none: {:?}",
            self.fx_summary
        );
    }

    /// The comparison chart's bars are the API's deltas for the EV example's scenarios.
    async fn check_compare(
        &self,
        costs: &mut pb::cost_impact_service_client::CostImpactServiceClient<
            tonic::transport::Channel,
        >,
    ) {
        let mut req = ev_request();
        let base = req.as_object_mut().unwrap();
        base.remove("scenarioPricesId");
        base.remove("scenarioScheduleId");
        req["scenarios"] = json!([
            {"name": "2026 tariffs, prices after restrictions", "pricesId": "ree-post-restriction", "scheduleId": "us-2026"},
            {"name": "2026 tariffs, prices before restrictions", "pricesId": "ree-pre-restriction", "scheduleId": "us-2026"},
            {"name": "2025 tariffs, prices after restrictions", "pricesId": "ree-post-restriction", "scheduleId": "us-2025"}
        ]);
        let req: pb::CompareScenariosRequest = serde_json::from_value(req).unwrap();
        let r = costs.compare_scenarios(req).await.unwrap().into_inner();
        let mut api: Vec<_> = r
            .scenarios
            .iter()
            .map(|s| {
                (
                    s.rank,
                    s.name.clone(),
                    amount(&s.result.as_ref().unwrap().delta),
                )
            })
            .collect();
        api.sort();
        let api: Vec<_> = api
            .into_iter()
            .map(|(rank, name, delta)| (format!("#{rank} {name}"), delta))
            .collect();
        assert_eq!(self.compare, api);
        assert_eq!(api.len(), 3);
        // The workbook download: per scenario, its unit_cost row's delta is the API's.
        let deltas: Vec<(String, String)> =
            common::workbook_unit_costs(&self.compare_xlsx, "delta")
                .into_iter()
                .map(|(name, f)| (name, format!("{f:.2}")))
                .collect();
        let mut want: Vec<_> = r
            .scenarios
            .iter()
            .map(|s| (s.name.clone(), amount(&s.result.as_ref().unwrap().delta)))
            .collect();
        want.sort();
        assert_eq!(deltas, want);
    }

    /// The tornado's and the bounds' numbers are the API's for the EV example's inputs.
    async fn check_sensitivity(
        &self,
        costs: &mut pb::cost_impact_service_client::CostImpactServiceClient<
            tonic::transport::Channel,
        >,
    ) {
        let req = json!({"calculation": ev_request(), "inputs": [
            {"name": "REE mass per EV, 1-2 kg", "quantity": {"itemPaths": ["drive-unit/rotor-magnets/nd-oxide", "drive-unit/rotor-magnets/dy-oxide"]}, "low": "0.5", "base": "1", "high": "1"},
            {"name": "Dy oxide price after restrictions", "price": {"materialId": "dy-oxide", "side": "SIDE_SCENARIO"}, "low": "300", "base": "485", "high": "700"},
            {"name": "Section 301 rate on magnets", "rate": {"measureId": "us-301-magnets-cn-2026", "side": "SIDE_SCENARIO"}, "low": "25", "base": "25", "high": "50"}
        ]});
        sensitivity_as_shown(costs, req, &self.tornado, &self.bounds).await;
        assert_eq!(bound(&self.bounds, "lower"), "209.60");
        assert_eq!(bound(&self.bounds, "upper"), "671.67");
    }

    /// The Japanese EV example, run through its button: the page's waterfall (with its FX
    /// step) and change are the API's for the same request, -33.88 USD all FX effect (the yen
    /// from 144.86 to 148.54 per dollar makes the yen-priced drive unit cheaper; prices and
    /// schedule are the same on both sides); the comparison's one scenario is that same
    /// change; the tornado and bounds are the API's and the hand-known ones; and the EV
    /// example run after it keeps neither its metal estimate nor its acknowledged gap.
    async fn check_jp(
        &self,
        costs: &mut pb::cost_impact_service_client::CostImpactServiceClient<
            tonic::transport::Channel,
        >,
    ) {
        let jp = &self.jp;
        assert!(
            jp.estimate_metal,
            "the example checks Estimate metal content"
        );
        assert_eq!(jp.acknowledged, "ad-cvd");
        assert!(jp.gaps.contains("(acknowledged)"), "{}", jp.gaps);
        let r = costs
            .calculate_impact(common::request(jp_request()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(jp.waterfall, api_fx_waterfall(&r));
        let fx = amount(&r.effects.clone().unwrap_or_default().fx_effect);
        assert_eq!((amount(&r.delta), fx), ("-33.88".into(), "-33.88".into()));
        assert!(jp.waterfall.contains(&("fx".into(), "-33.88".into())));
        let (_, delta) = jp.summary.iter().find(|(k, _)| k == "delta").unwrap();
        let percent = if r.delta_percent.is_empty() {
            String::new()
        } else {
            format!(" ({}%)", r.delta_percent)
        };
        assert_eq!(delta, &format!("-33.88 USD{percent}"));
        assert_eq!(
            jp.compare,
            [("#1 H.10 of 2024-02-02".into(), "-33.88".into())]
        );
        let req = json!({"calculation": jp_request(), "inputs": jp_inputs()});
        let s = sensitivity_as_shown(costs, req, &jp.tornado, &jp.bounds).await;
        assert!(s.converged);
        assert_eq!(bound(&jp.bounds, "lower"), "-128.87");
        assert_eq!(bound(&jp.bounds, "upper"), "47.00");
        let bar = |name: &str, series: &str| {
            let found = jp.tornado.iter().find(|(n, s, _)| n == name && s == series);
            found
                .unwrap_or_else(|| panic!("no {name} {series}"))
                .2
                .clone()
        };
        let yen = "yen per dollar at exportation";
        assert_eq!(
            (bar(yen, "low"), bar(yen, "high")),
            ("47.00".into(), "-128.86".into())
        );
        let freight = "drive unit ocean freight";
        assert_eq!(bar(freight, "low"), bar(freight, "high"), "no swing");
        assert_eq!(bar(freight, "low"), "-33.88");
        let (metal, acknowledged, ev) = &jp.ev_after;
        assert!(!metal && acknowledged.is_empty(), "{:?}", jp.ev_after);
        assert_eq!(ev, &self.ev_waterfall);
    }
}

/// The sensitivity analysis `req` asked of the API; the tornado and bounds shown must be its.
async fn sensitivity_as_shown(
    costs: &mut pb::cost_impact_service_client::CostImpactServiceClient<tonic::transport::Channel>,
    req: Value,
    tornado: &[(String, String, String)],
    bounds: &[(String, String)],
) -> pb::AnalyzeSensitivityResponse {
    let req: pb::AnalyzeSensitivityRequest = serde_json::from_value(req).unwrap();
    let r = costs.analyze_sensitivity(req).await.unwrap().into_inner();
    let mut api = Vec::new();
    for bar in &r.tornado {
        api.push((bar.name.clone(), "low".into(), amount(&bar.delta_at_low)));
        api.push((bar.name.clone(), "high".into(), amount(&bar.delta_at_high)));
    }
    let mut shown = tornado.to_vec();
    shown.sort();
    api.sort();
    assert_eq!(shown, api);
    assert_eq!(bound(bounds, "lower"), amount(&r.delta_lower_bound));
    assert_eq!(bound(bounds, "upper"), amount(&r.delta_upper_bound));
    r
}

/// A bound as shown ("lower", "upper"), as the API writes it.
fn bound(bounds: &[(String, String)], key: &str) -> String {
    let (_, text) = bounds
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key} in {bounds:?}"));
    plain(text.trim_end_matches(" USD"))
}
