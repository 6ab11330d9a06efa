//! HTTP/JSON beside gRPC on the same port: the routes the protos annotate answer the proto3
//! JSON of the same calls, with the same errors (as JSON `google.rpc.Status`), limits and
//! authentication, against the real server on 127.0.0.1:0 with a plain HTTP/1.1 client.

mod common;

use common::{TestServer, deck};
use serde_json::{Value, json};
use std::net::SocketAddr;
use tariff_impact::server::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 exchange: (status, content type, body).
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let (status, content_type, body) =
        http_bytes(addr, method, path, headers, body.as_bytes()).await;
    (status, content_type, String::from_utf8(body).unwrap())
}

/// One HTTP/1.1 exchange with a binary answer: (status, content type, body).
async fn http_bytes(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let (head, body) = http_raw(addr, method, path, headers, body).await;
    let status = head[9..12].parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| l.strip_prefix("content-type: "))
        .unwrap_or_default()
        .to_string();
    (status, content_type, body)
}

/// One HTTP/1.1 exchange: the answer's status line and headers, and its body.
async fn http_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (String, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    s.write_all(format!("{head}\r\n").as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..end].to_vec()).unwrap();
    let body = raw[end + 4..].to_vec();
    let chunked = head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if chunked { dechunk(&body) } else { body };
    (head, body)
}

/// The data of a chunked HTTP/1.1 body.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// 1 kg of Nd oxide from China (HTS 8505.11, MFN 2%) at 100 -> 200 USD/kg: goods +100.00,
/// duty 2% x 200 - 2% x 100 = +2.00: delta 102.00.
fn magnet_request() -> Value {
    json!({
        "bom": {"id": "magnet", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG",
             "import": {"htsCode": "8505.11", "origin": "CN", "transportMode": "TRANSPORT_MODE_AIR"}}]},
        "baselinePrices": deck("p0", &[("nd-oxide", "100")]),
        "scenarioPrices": deck("p1", &[("nd-oxide", "200")]),
        "baselineSchedule": {"id": "s", "currency": "USD", "measures": [
            {"id": "mfn", "program": "PROGRAM_MFN", "rate": {"adValoremPercent": "2"}}]},
        "options": {"entryDate": "2026-03-02"}
    })
}

#[tokio::test]
async fn calculate_over_http_is_the_grpc_answer_in_json() {
    let server = TestServer::start().await;
    let (status, ct, body) = http(
        server.addr,
        "POST",
        "/v1/impact:calculate",
        &[("content-type", "application/json")],
        &magnet_request().to_string(),
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "application/json"), "{body}");
    let r = json_of(&body);
    assert_eq!(r["delta"]["amount"], "102.00");
    // The schedule is the same on both sides: all of it is price effect.
    assert_eq!(r["effects"]["priceEffect"]["amount"], "102.00");
    let grpc = common::calculate(&server, magnet_request()).await;
    assert_eq!(r, serde_json::to_value(&grpc).unwrap());

    // The CSV export of the same call: the line's row and the unit cost, 102.00 -> 204.00.
    let (status, ct, csv) = http(
        server.addr,
        "POST",
        "/v1/impact:calculate",
        &[("accept", "text/csv")],
        &magnet_request().to_string(),
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
    assert!(csv.starts_with("table,scenario_name,"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("line,,,USD,nd,bom.items[0],") && l.contains(",8505.11,CN,")),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("total,") && l.contains(",unit_cost,102.00,204.00,102.00,")),
        "{csv}"
    );
}

#[tokio::test]
async fn catalog_routes_take_their_fields_from_the_path_and_query() {
    let server = TestServer::start().await;
    let (status, _, body) = http(server.addr, "GET", "/v1/boms", &[], "").await;
    assert_eq!(status, 200);
    let ids: Vec<_> = json_of(&body)["boms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&"ev-high-ree".to_string()), "{ids:?}");
    let (status, _, body) = http(server.addr, "GET", "/v1/boms/ev-high-ree", &[], "").await;
    assert_eq!(
        (status, json_of(&body)["bom"]["id"].clone()),
        (200, json!("ev-high-ree"))
    );

    // Magnets 8505.11.0070 from China on 2026-03-02: MFN 2.1% and Section 301 25%.
    let (status, _, body) = http(
        server.addr,
        "GET",
        "/v1/tariffSchedules/us-hts-2026:lookupMeasures?htsCode=8505.11.0070&origin=CN&entryDate=2026-03-02&transportMode=TRANSPORT_MODE_AIR",
        &[],
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let charged: Vec<_> = json_of(&body)["measures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["charged"] == json!(true))
        .map(|m| {
            (
                m["measure"]["id"].as_str().unwrap().to_string(),
                m["measure"]["rate"]["adValoremPercent"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        charged,
        [
            ("mfn-8505.11.00.70".to_string(), "2.1".to_string()),
            ("9903.91.06".to_string(), "25".to_string())
        ]
    );
}

#[tokio::test]
async fn errors_are_json_statuses_with_their_details_and_http_codes() {
    let server = TestServer::start().await;
    let post = |body: String| {
        let addr = server.addr;
        async move { http(addr, "POST", "/v1/impact:calculate", &[], &body).await }
    };
    // A bad field: 400 with the same BadRequest field path gRPC gives.
    let mut bad = magnet_request();
    bad["bom"]["items"][0]["quantity"] = json!("abc");
    let (status, _, body) = post(bad.to_string()).await;
    let e = json_of(&body);
    assert_eq!((status, e["code"].clone()), (400, json!(3)), "{body}");
    let details = e["details"].as_array().unwrap();
    let bad_request = details
        .iter()
        .find(|d| d["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        .unwrap();
    assert_eq!(
        bad_request["fieldViolations"][0]["field"],
        "bom.items[0].quantity"
    );
    // An unknown preset: 404 NOT_FOUND with its ResourceInfo.
    let (status, _, body) = post(json!({"bomId": "nope"}).to_string()).await;
    let e = json_of(&body);
    assert_eq!((status, e["code"].clone()), (404, json!(5)), "{body}");
    assert_eq!(e["details"][0]["resourceName"], "nope");
    // JSON that is not the request's: 400 INVALID_ARGUMENT naming the message.
    for (body, says) in [
        ("{\"bomId\": 5}", "invalid tariff.v1.CalculateImpactRequest"),
        ("{", "the body is not valid JSON"),
        ("[]", "the body must be a JSON object"),
    ] {
        let (status, _, answer) = post(body.to_string()).await;
        let e = json_of(&answer);
        assert_eq!((status, e["code"].clone()), (400, json!(3)), "{answer}");
        assert!(e["message"].as_str().unwrap().starts_with(says), "{answer}");
    }
    // A field given in the path and the query: refused.
    let (status, _, body) = http(server.addr, "GET", "/v1/boms/a?id=b", &[], "").await;
    assert_eq!(status, 400, "{body}");
}

/// The gateway sends a JSON call down the gRPC stack: the bearer token and the request size
/// limit apply to it as to a gRPC call.
#[tokio::test]
async fn authentication_and_limits_are_the_grpc_ones() {
    let server = TestServer::start_with(ServerConfig {
        auth_token: Some("s3cret".into()),
        max_request_bytes: 2_000,
        ..ServerConfig::default()
    })
    .await;
    let (status, _, body) = http(server.addr, "GET", "/v1/boms", &[], "").await;
    assert_eq!((status, json_of(&body)["code"].clone()), (401, json!(16)));
    let auth = [("authorization", "Bearer s3cret")];
    let (status, _, _) = http(server.addr, "GET", "/v1/boms", &auth, "").await;
    assert_eq!(status, 200);
    // A request whose protobuf is over 2,000 bytes (a long description): RESOURCE_EXHAUSTED.
    let mut big = magnet_request();
    big["bom"]["items"][0]["description"] = json!("x".repeat(3_000));
    let (status, _, body) = http(
        server.addr,
        "POST",
        "/v1/impact:calculate",
        &auth,
        &big.to_string(),
    )
    .await;
    assert_eq!(
        (status, json_of(&body)["code"].clone()),
        (429, json!(8)),
        "{body}"
    );
    // A body over 8 x the limit is not even read.
    let mut huge = magnet_request();
    huge["bom"]["items"][0]["description"] = json!("x".repeat(20_000));
    let (status, _, body) = http(
        server.addr,
        "POST",
        "/v1/impact:calculate",
        &auth,
        &huge.to_string(),
    )
    .await;
    assert_eq!(
        (status, json_of(&body)["code"].clone()),
        (429, json!(8)),
        "{body}"
    );
}

/// A CompareScenarios result as a workbook (`Accept` the XLSX type): a sheet per table, and per
/// scenario its `total` row `unit_cost` is the JSON answer's, as a number. Hand-checked: the
/// magnet at 100 -> 200 USD/kg with a 2% duty costs 102.00 -> 204.00 ("dearer") and
/// 102.00 -> 153.00 at 150 USD/kg ("middle").
#[tokio::test]
async fn a_comparison_downloads_as_a_workbook() {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let server = TestServer::start().await;
    let mut req = magnet_request();
    let scenario = req
        .as_object_mut()
        .unwrap()
        .remove("scenarioPrices")
        .unwrap();
    req["scenarios"] = json!([
        {"name": "dearer", "prices": scenario},
        {"name": "middle", "prices": deck("p2", &[("nd-oxide", "150")])}
    ]);
    let (status, _, body) = http(
        server.addr,
        "POST",
        "/v1/scenarios:compare",
        &[],
        &req.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answer = json_of(&body);
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let (status, ct, bytes) = http_bytes(
        server.addr,
        "POST",
        "/v1/scenarios:compare",
        &[("accept", xlsx)],
        req.to_string().as_bytes(),
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, xlsx));
    let book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(&bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["line", "charge", "measure", "material", "total"]
    );
    let unit_costs = common::workbook_unit_costs(&bytes, "scenario");
    assert_eq!(
        unit_costs,
        [("dearer".to_string(), 204.0), ("middle".to_string(), 153.0)]
    );
    for s in answer["scenarios"].as_array().unwrap() {
        let shown = unit_costs.iter().find(|(n, _)| *n == s["name"]).unwrap().1;
        let api: f64 = s["result"]["scenarioUnitCost"]["amount"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(shown, api);
    }
}

/// The page and its files: served at `/` with a policy that lets it load nothing from
/// elsewhere; other methods on them are not the page.
#[tokio::test]
async fn the_page_is_served_with_its_policy() {
    let server = TestServer::start().await;
    let (status, ct, body) = http(server.addr, "GET", "/", &[], "").await;
    assert_eq!((status, ct.as_str()), (200, "text/html; charset=utf-8"));
    assert!(body.contains("<script src=\"/page/app.js\""), "{body}");
    for (path, ct_want) in [
        ("/page/app.js", "text/javascript; charset=utf-8"),
        ("/page/charts.js", "text/javascript; charset=utf-8"),
        ("/page/style.css", "text/css; charset=utf-8"),
    ] {
        let (status, ct, body) = http(server.addr, "GET", path, &[], "").await;
        assert_eq!((status, ct.as_str()), (200, ct_want), "{path}");
        assert!(!body.is_empty());
    }
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    assert!(
        raw.contains("content-security-policy: default-src 'none'; script-src 'self';"),
        "{raw}"
    );
    // An HTTP request no route takes: 404, or 405 naming the method the path takes.
    let (status, _, body) = http(server.addr, "GET", "/page/missing.js", &[], "").await;
    assert_eq!((status, json_of(&body)["code"].clone()), (404, json!(5)));
    let (head, body) = http_raw(server.addr, "GET", "/v1/impact:calculate", &[], b"").await;
    assert!(head.starts_with("HTTP/1.1 405"), "{head}");
    assert!(head.contains("\r\nallow: POST\r\n"), "{head}");
    assert_eq!(
        json_of(std::str::from_utf8(&body).unwrap())["message"],
        "GET /v1/impact:calculate: this route takes POST"
    );
    let (head, _) = http_raw(server.addr, "POST", "/", &[], b"").await;
    assert!(head.starts_with("HTTP/1.1 405"), "{head}");
    assert!(head.contains("\r\nallow: GET, HEAD\r\n"), "{head}");
    // HEAD: the GET's headers and length, no body.
    let (_, _, page) = http(server.addr, "GET", "/page/app.js", &[], "").await;
    let (head, body) = http_raw(server.addr, "HEAD", "/page/app.js", &[], b"").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains(&format!("\r\ncontent-length: {}\r\n", page.len())),
        "{head}"
    );
    assert!(body.is_empty());
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    server.stop().await;
}

/// gRPC-Web beside gRPC and JSON (tonic-web): a browser's `application/grpc-web+proto` call
/// over HTTP/1.1 answers the protobuf message and its status in a trailer frame, through the
/// same authentication as gRPC.
#[tokio::test]
async fn grpc_web_calls_answer_with_trailer_frames_and_the_same_auth() {
    use prost::Message;
    let server = TestServer::start_with(ServerConfig {
        auth_token: Some("s3cret".into()),
        ..ServerConfig::default()
    })
    .await;
    let frame = |m: &[u8]| {
        let mut f = vec![0u8];
        f.extend_from_slice(&u32::try_from(m.len()).unwrap().to_be_bytes());
        f.extend_from_slice(m);
        f
    };
    let request = tariff_impact::pb::GetBomRequest {
        id: "ev-high-ree".into(),
    }
    .encode_to_vec();
    let call = |token: &'static str| {
        let body = frame(&request);
        async move {
            let mut headers = vec![("content-type", "application/grpc-web+proto")];
            if !token.is_empty() {
                headers.push(("authorization", token));
            }
            http_raw(
                server.addr,
                "POST",
                "/tariff.v1.CatalogService/GetBom",
                &headers,
                &body,
            )
            .await
        }
    };
    let (head, body) = call("Bearer s3cret").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains("content-type: application/grpc-web+proto"),
        "{head}"
    );
    assert_eq!(body[0], 0, "a data frame first");
    let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
    let bom = tariff_impact::pb::GetBomResponse::decode(&body[5..5 + len])
        .unwrap()
        .bom
        .unwrap();
    assert_eq!(bom.id, "ev-high-ree");
    let trailers = &body[5 + len..];
    assert_eq!(trailers[0], 0x80, "then the trailer frame");
    assert!(
        String::from_utf8_lossy(&trailers[5..]).contains("grpc-status:0"),
        "{:?}",
        String::from_utf8_lossy(trailers)
    );

    // Without the token: UNAUTHENTICATED (16), as for gRPC.
    let (head, body) = call("").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains("grpc-status: 16"),
        "a trailers-only answer: {head}"
    );
    assert!(body.is_empty());
    server.stop().await;
}

/// The upload page's round trip: `POST /v1/boms:parseCsv` turns the CSV into the BOM's proto3
/// JSON (the id from `bomId`, the currency defaulted to USD), and that BOM sent inline to
/// `POST /v1/impact:calculate` costs as the seed example: 1.8 x (225 - 87) + 0.2 x (485 - 152)
/// = 248.40 + 66.60 = 315.00 USD. A CSV it cannot read is a 400 naming the row.
#[tokio::test]
async fn a_csv_bom_parsed_over_http_costs_when_sent_back() {
    let server = TestServer::start().await;
    let csv = "path,description,material_id,quantity,unit\nnd,Nd oxide,nd-oxide,1.8,kg\ndy,,dy-oxide,0.2,kg\n";
    let (status, ct, body) = http(
        server.addr,
        "POST",
        "/v1/boms:parseCsv",
        &[("content-type", "application/json")],
        &json!({"csv": csv, "bomId": "x"}).to_string(),
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "application/json"), "{body}");
    let bom = json_of(&body)["bom"].clone();
    assert_eq!(
        bom,
        json!({"id": "x", "currency": "USD", "items": [
            {"id": "nd", "description": "Nd oxide", "materialId": "nd-oxide", "quantity": "1.8",
             "unit": "UNIT_OF_MEASURE_KG"},
            {"id": "dy", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"}]})
    );
    let (status, _, body) = http(
        server.addr,
        "POST",
        "/v1/impact:calculate",
        &[],
        &json!({"bom": bom, "baselinePricesId": "ree-pre-restriction",
                "scenarioPricesId": "ree-post-restriction", "baselineScheduleId": "us-2026",
                "options": {"entryDate": "2026-03-02"}})
        .to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let r = json_of(&body);
    assert_eq!(r["delta"]["amount"], "315.00");
    assert_eq!(r["effects"]["priceEffect"]["amount"], "315.00");

    let (status, _, body) = http(
        server.addr,
        "POST",
        "/v1/boms:parseCsv",
        &[],
        &json!({"csv": "path,unit\nnd,kgs\n"}).to_string(),
    )
    .await;
    let e = json_of(&body);
    assert_eq!((status, e["code"].clone()), (400, json!(3)), "{body}");
    assert_eq!(e["details"][0]["fieldViolations"][0]["field"], "csv");
    assert_eq!(
        e["details"][0]["fieldViolations"][0]["description"],
        "CSV row 2: unit \"kgs\" is not kg, g, t, lb or piece"
    );
}
