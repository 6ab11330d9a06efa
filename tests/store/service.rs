//! CatalogService's saved objects through the real server (in-process, SQLite data dir): a
//! BOM saved, costed by id, updated under its etag, cited as "id@version", deleted; a saved
//! price deck and schedule overlay used by id; listing in pages and by filters; bearer-token
//! rules for writes and reads; a server without a store; and a restart on the same data dir.
//!
//! Numbers are the README's preset case (tests/calculation_rules.rs,
//! `preset_ev_under_price_shock_and_2026_tariffs_worked_by_hand`) and variations of it, each
//! worked by hand below.

use crate::common::{TestServer, amount, bad_request_fields, calculate, calculate_err, deck};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use tariff_impact::pb;
use tariff_impact::pb::catalog_service_client::CatalogServiceClient;
use tariff_impact::server::{ServerConfig, Storage};
use tonic::Code;
use tonic::transport::Channel;

pub(crate) type Client = CatalogServiceClient<Channel>;

/// A server keeping its catalog in `storage`, stopping quickly.
pub(crate) fn config(storage: Storage) -> ServerConfig {
    ServerConfig {
        storage,
        drain_grace: Duration::from_millis(10),
        ..ServerConfig::default()
    }
}

pub(crate) fn sqlite(dir: &Path) -> ServerConfig {
    config(Storage::Sqlite(dir.to_path_buf()))
}

/// A create request for `object`.
pub(crate) fn create_req(object: pb::catalog_object::Object) -> pb::CreateCatalogObjectRequest {
    use pb::catalog_object::Object as C;
    use pb::create_catalog_object_request::Object as O;
    pb::CreateCatalogObjectRequest {
        object: Some(match object {
            C::Bom(o) => O::Bom(o),
            C::PriceDeck(o) => O::PriceDeck(o),
            C::TariffSchedule(o) => O::TariffSchedule(o),
            C::ScheduleOverlay(o) => O::ScheduleOverlay(o),
            C::FxDeck(o) => O::FxDeck(o),
        }),
    }
}

pub(crate) async fn create(
    c: &mut Client,
    object: pb::catalog_object::Object,
) -> Result<pb::CatalogObject, tonic::Status> {
    c.create_catalog_object(create_req(object))
        .await
        .map(|r| r.into_inner().object.unwrap_or_default())
}

pub(crate) async fn update(
    c: &mut Client,
    object: pb::catalog_object::Object,
    etag: &str,
) -> Result<pb::CatalogObject, tonic::Status> {
    use pb::catalog_object::Object as C;
    use pb::update_catalog_object_request::Object as O;
    let object = match object {
        C::Bom(o) => O::Bom(o),
        C::PriceDeck(o) => O::PriceDeck(o),
        C::TariffSchedule(o) => O::TariffSchedule(o),
        C::ScheduleOverlay(o) => O::ScheduleOverlay(o),
        C::FxDeck(o) => O::FxDeck(o),
    };
    c.update_catalog_object(pb::UpdateCatalogObjectRequest {
        object: Some(object),
        etag: etag.to_string(),
        allow_missing: false,
    })
    .await
    .map(|r| r.into_inner().object.unwrap_or_default())
}

pub(crate) async fn get(
    c: &mut Client,
    kind: pb::CatalogKind,
    id: &str,
) -> Result<pb::CatalogObject, tonic::Status> {
    c.get_catalog_object(pb::GetCatalogObjectRequest {
        kind: kind as i32,
        id: id.to_string(),
    })
    .await
    .map(|r| r.into_inner().object.unwrap_or_default())
}

pub(crate) async fn versions(
    c: &mut Client,
    kind: pb::CatalogKind,
    id: &str,
) -> Vec<pb::CatalogObject> {
    // Walked in pages of two, so every history here also checks the paging.
    let (mut all, mut token) = (Vec::new(), String::new());
    loop {
        let page = c
            .list_catalog_object_versions(pb::ListCatalogObjectVersionsRequest {
                kind: kind as i32,
                id: id.to_string(),
                page_size: 2,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.versions.len() <= 2);
        all.extend(page.versions);
        if page.next_page_token.is_empty() {
            return all;
        }
        token = page.next_page_token;
    }
}

/// A list request (kind, from, to, page size, token).
pub(crate) fn list_req(
    kind: pb::CatalogKind,
    from: &str,
    to: &str,
    page_size: i32,
    token: &str,
) -> pb::ListCatalogObjectsRequest {
    pb::ListCatalogObjectsRequest {
        kind: kind as i32,
        as_of_date_from: from.into(),
        as_of_date_to: to.into(),
        page_size,
        page_token: token.into(),
    }
}

/// Every object of a listing, walking its pages of `page_size`.
pub(crate) async fn list_all(
    c: &mut Client,
    kind: pb::CatalogKind,
    from: &str,
    to: &str,
    page_size: i32,
) -> Vec<pb::CatalogObject> {
    let mut all = Vec::new();
    let mut token = String::new();
    for _ in 0..10_000 {
        let page = c
            .list_catalog_objects(list_req(kind, from, to, page_size, &token))
            .await
            .unwrap()
            .into_inner();
        assert!(
            page.objects.len() <= page_size as usize,
            "a page of {} objects for page_size {page_size}",
            page.objects.len()
        );
        all.extend(page.objects);
        if page.next_page_token.is_empty() {
            return all;
        }
        token = page.next_page_token;
    }
    panic!("the listing never ended");
}

/// (kind, id, version, origin) of each listed object.
fn keys(objects: &[pb::CatalogObject]) -> Vec<(i32, String, i64, i32)> {
    objects
        .iter()
        .map(|o| (o.kind, o.id.clone(), o.version, o.origin))
        .collect()
}

pub(crate) fn bom_obj(b: pb::Bom) -> pb::catalog_object::Object {
    pb::catalog_object::Object::Bom(b)
}

pub(crate) fn deck_obj(json: Value) -> pb::catalog_object::Object {
    pb::catalog_object::Object::PriceDeck(serde_json::from_value(json).unwrap())
}

fn overlay_obj(json: Value) -> pb::catalog_object::Object {
    pb::catalog_object::Object::ScheduleOverlay(serde_json::from_value(json).unwrap())
}

/// The built-in `ev-high-ree` BOM under id `id`.
pub(crate) async fn ev_high_ree_as(c: &mut Client, id: &str) -> pb::Bom {
    let mut bom = c
        .get_bom(pb::GetBomRequest {
            id: "ev-high-ree".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .bom
        .unwrap();
    bom.id = id.into();
    bom
}

/// The README's preset request with BOM `bom_id`: ree-pre -> ree-post prices, us-2025 ->
/// us-2026, entered 2026-03-02, 500 vehicles per entry.
pub(crate) fn readme(bom_id: &str) -> Value {
    json!({
        "bomId": bom_id,
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500"}
    })
}

/// (baseline unit cost, scenario unit cost, delta).
pub(crate) fn costs(r: &pb::CalculateImpactResponse) -> (&str, &str, &str) {
    (
        amount(&r.baseline_unit_cost),
        amount(&r.scenario_unit_cost),
        amount(&r.delta),
    )
}

/// (id, version, origin) of the BOM a result cites.
pub(crate) fn bom_ref(r: &pb::CalculateImpactResponse) -> (String, i64, pb::CatalogOrigin) {
    let b = r.inputs.as_ref().unwrap().bom.as_ref().unwrap();
    (b.id.clone(), b.version, b.origin())
}

/// The README's numbers (ev-high-ree as built in, nd-oxide 1.8 kg).
pub(crate) const V1: (&str, &str, &str) = ("38831.61", "39296.77", "465.16");

/// The same with nd-oxide raised from 1.8 kg to 2.0 kg, by hand. Magnets' value: baseline
/// 2.0 x 87 + 0.2 x 152 + 45 = 249.40, scenario 2.0 x 225 + 0.2 x 485 + 45 = 592.00.
/// - Baseline (us-2025): MFN 2.1% x 249.40 = 5.2374 -> 5.24, fentanyl 10% 24.94, reciprocal
///   10% 24.94: 55.12; brackets unchanged 46.68. Fees: MPF 0.3464% x 249.40 = 0.8639 -> 0.86
///   (500 per entry: 431.96, inside 33.58..651.50), HMF 0.125% x 249.40 = 0.3118 -> 0.31,
///   brackets 0.42 + 0.15: 1.74. Materials 174 + 30.40 = 204.40.
///   38,545 + 204.40 + 55.12 + 46.68 + 1.74 = 38,852.94.
/// - Scenario (us-2026): MFN 2.1% x 592 = 12.432 -> 12.43, 301 25% 148.00, 122 10% 59.20:
///   219.63; brackets 44.28. Fees: MPF 500 x 0.3464% x 592 = 1,025.34 > 651.50 -> 1.303 ->
///   1.30, HMF 0.74, brackets 0.57: 2.61. Materials 450 + 97 = 547.
///   38,545 + 547 + 219.63 + 44.28 + 2.61 = 39,358.52.
/// - Delta 505.58.
pub(crate) const V2: (&str, &str, &str) = ("38852.94", "39358.52", "505.58");

/// `bom` under id `id`.
pub(crate) fn renamed(bom: &pb::Bom, id: &str) -> pb::Bom {
    pb::Bom {
        id: id.into(),
        ..bom.clone()
    }
}

/// ev-high-ree's nd-oxide line set to `kg`.
pub(crate) fn with_nd(mut bom: pb::Bom, kg: &str) -> pb::Bom {
    let nd = &mut bom.items[0].children[0].children[0];
    assert_eq!(nd.id, "nd-oxide");
    nd.quantity = kg.into();
    bom
}

fn origin(o: &pb::CatalogObject) -> pb::CatalogOrigin {
    o.origin()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_bom_is_costed_by_id_updated_under_its_etag_and_reproducible_by_version() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(sqlite(dir.path())).await;
    let mut c = server.catalog().await;
    let bom = ev_high_ree_as(&mut c, "team-ev").await;

    let v1 = create(&mut c, bom_obj(bom.clone())).await.unwrap();
    assert_eq!(
        (
            v1.version,
            origin(&v1),
            v1.deleted,
            v1.versioned_id.as_str()
        ),
        (1, pb::CatalogOrigin::Saved, false, "team-ev@1")
    );
    assert!(!v1.etag.is_empty());
    assert!(v1.create_time.ends_with('Z'), "{}", v1.create_time);
    let r1 = calculate(&server, readme("team-ev")).await;
    assert_eq!(costs(&r1), V1);
    assert_eq!(
        bom_ref(&r1),
        ("team-ev".into(), 1, pb::CatalogOrigin::Saved)
    );

    // Version 2: 2.0 kg of Nd oxide.
    let v2 = update(&mut c, bom_obj(with_nd(bom.clone(), "2.0")), &v1.etag)
        .await
        .unwrap();
    assert_eq!((v2.version, v2.versioned_id.as_str()), (2, "team-ev@2"));
    assert_ne!(v2.etag, v1.etag);
    let r2 = calculate(&server, readme("team-ev")).await;
    assert_eq!(costs(&r2), V2);
    assert_eq!(
        bom_ref(&r2),
        ("team-ev".into(), 2, pb::CatalogOrigin::Saved)
    );
    // Version 1 cited after the update: exactly the first result.
    let again = calculate(&server, readme("team-ev@1")).await;
    assert_eq!(costs(&again), V1);
    assert_eq!(bom_ref(&again).1, 1);
    let strip = |r: &pb::CalculateImpactResponse| pb::CalculateImpactResponse {
        inputs: None,
        ..r.clone()
    };
    assert_eq!(strip(&again), strip(&r1));
    let (i1, ia) = (r1.inputs.as_ref().unwrap(), again.inputs.as_ref().unwrap());
    assert_eq!(
        (
            &ia.baseline_prices,
            &ia.scenario_prices,
            &ia.baseline_schedule,
            &ia.scenario_schedule
        ),
        (
            &i1.baseline_prices,
            &i1.scenario_prices,
            &i1.baseline_schedule,
            &i1.scenario_schedule
        )
    );

    // A stale etag: ABORTED, naming the current etag; nothing written.
    let stale = update(&mut c, bom_obj(with_nd(bom.clone(), "3")), &v1.etag)
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");
    assert!(
        stale.message().contains(&v2.etag),
        "{:?} should name {}",
        stale.message(),
        v2.etag
    );
    // The id again, and a preset's id: ALREADY_EXISTS.
    let again = create(&mut c, bom_obj(bom.clone())).await.unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");
    let preset = create(&mut c, bom_obj(renamed(&bom, "ev-high-ree")))
        .await
        .unwrap_err();
    assert_eq!(preset.code(), Code::AlreadyExists, "{preset:?}");
    // No etag, no such object: NOT_FOUND (allow_missing unset).
    let missing = update(&mut c, bom_obj(renamed(&bom, "no-such-ev")), "")
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    // An invalid BOM, named from the object's field.
    let bad = with_nd(renamed(&bom, "bad-ev"), "abc");
    let invalid = create(&mut c, bom_obj(bad)).await.unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument, "{invalid:?}");
    assert_eq!(
        bad_request_fields(&invalid),
        ["bom.items[0].children[0].children[0].quantity"]
    );
    // '@' is the version separator: not in an id.
    let at = create(&mut c, bom_obj(renamed(&bom, "team@ev")))
        .await
        .unwrap_err();
    assert_eq!(at.code(), Code::InvalidArgument, "{at:?}");
    assert_eq!(bad_request_fields(&at), ["bom.id"]);
    // None of the refused writes left a version.
    assert_eq!(
        get(&mut c, pb::CatalogKind::Bom, "team-ev")
            .await
            .unwrap()
            .version,
        2
    );
    for id in ["no-such-ev", "bad-ev", "team@ev"] {
        let e = get(&mut c, pb::CatalogKind::Bom, id).await.unwrap_err();
        assert_eq!(e.code(), Code::NotFound, "{id}: {e:?}");
    }

    // Delete under the etag: a tombstone, version 3; the id no longer costs, version 2 does.
    let tomb = c
        .delete_catalog_object(pb::DeleteCatalogObjectRequest {
            kind: pb::CatalogKind::Bom as i32,
            id: "team-ev".into(),
            etag: v2.etag.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .object
        .unwrap();
    assert_eq!((tomb.version, tomb.deleted), (3, true));
    let gone = calculate_err(&server, crate::common::request(readme("team-ev"))).await;
    assert_eq!(gone.code(), Code::NotFound, "{gone:?}");
    let pinned = calculate(&server, readme("team-ev@2")).await;
    assert_eq!(costs(&pinned), V2);
    assert_eq!(
        bom_ref(&pinned),
        ("team-ev".into(), 2, pb::CatalogOrigin::Saved)
    );

    let history = versions(&mut c, pb::CatalogKind::Bom, "team-ev").await;
    let seen: Vec<(i64, bool, &str)> = history
        .iter()
        .map(|v| (v.version, v.deleted, v.etag.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (1, false, v1.etag.as_str()),
            (2, false, v2.etag.as_str()),
            (3, true, tomb.etag.as_str())
        ]
    );
    assert!(history.iter().all(|v| v.object.is_none()));
    server.stop().await;
}

/// "Section 301 on Chinese magnets at 50%" as a saved overlay of `us-2026`.
fn s301_at(percent: &str) -> Value {
    json!({"id": "s301-magnets", "description": format!("Section 301 on Chinese magnets at {percent}%"),
           "source": "hypothetical proposal",
           "setRates": [{"measureId": "us-301-magnets-cn-2026", "rate": {"adValoremPercent": percent}}]})
}

/// `(baseline, scenario, delta)` of measure `id`.
fn measure<'a>(r: &'a pb::CalculateImpactResponse, id: &str) -> (&'a str, &'a str, &'a str) {
    let m = r
        .measures
        .iter()
        .find(|m| m.measure_id == id)
        .unwrap_or_else(|| panic!("no measure {id}"));
    (
        amount(&m.baseline_amount),
        amount(&m.scenario_amount),
        amount(&m.delta),
    )
}

/// A saved price deck and a saved overlay, by id, in CalculateImpact and CompareScenarios.
///
/// ev-high-ree with the saved deck (Nd oxide 90, Dy oxide 160 per kg) under `us-2026` on
/// 2026-03-02, 500 per entry. Magnets: 1.8 x 90 + 0.2 x 160 + 45 = 239.00; MFN 2.1% 5.019 ->
/// 5.02, 301 25% 59.75, 122 10% 23.90 = 88.67; brackets 44.28 (README, scenario side); fees
/// MPF 0.3464% x 239 = 0.8279 -> 0.83, HMF 0.125% x 239 = 0.29875 -> 0.30, brackets 0.57:
/// 1.70; materials 162 + 32 = 194. Baseline 38,545 + 194 + 88.67 + 44.28 + 1.70 = 38,873.65.
/// The overlay sets 301 to 50%: 119.50, scenario 38,933.40, delta 59.75 (all tariff effect);
/// its version 2 sets 75%: 179.25, delta 119.50.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_deck_and_a_saved_overlay_are_used_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(sqlite(dir.path())).await;
    let mut c = server.catalog().await;
    let d = create(
        &mut c,
        deck_obj(deck(
            "team-prices",
            &[("nd-oxide", "90"), ("dy-oxide", "160")],
        )),
    )
    .await
    .unwrap();
    assert_eq!((d.version, d.as_of_date.as_str()), (1, "2026-01-01"));
    let o1 = create(&mut c, overlay_obj(s301_at("50"))).await.unwrap();
    assert_eq!(o1.version, 1);

    let request = |overlay_id: &str| {
        json!({"bomId": "ev-high-ree", "baselinePricesId": "team-prices",
               "baselineScheduleId": "us-2026", "scenarioScheduleOverlayId": overlay_id,
               "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500"}})
    };
    const S301: &str = "us-301-magnets-cn-2026";
    let r = calculate(&server, request("s301-magnets")).await;
    assert_eq!(costs(&r), ("38873.65", "38933.40", "59.75"));
    assert_eq!(measure(&r, S301), ("59.75", "119.50", "59.75"));
    let e = r.effects.as_ref().unwrap();
    assert_eq!(
        (amount(&e.price_effect), amount(&e.tariff_effect)),
        ("0.00", "59.75")
    );
    let inputs = r.inputs.as_ref().unwrap();
    let prices = inputs.baseline_prices.as_ref().unwrap();
    assert_eq!(
        (
            prices.id.as_str(),
            prices.version,
            prices.origin(),
            prices.preset
        ),
        ("team-prices", 1, pb::CatalogOrigin::Saved, true)
    );
    let sched = inputs.scenario_schedule.as_ref().unwrap();
    assert_eq!(
        (
            sched.id.as_str(),
            sched.base_id.as_str(),
            sched.overlay_id.as_str(),
            sched.overlay_version,
            sched.overlay_source.as_str()
        ),
        (
            "us-2026+s301-magnets",
            "us-2026",
            "s301-magnets",
            1,
            "hypothetical proposal"
        )
    );
    let base = inputs.baseline_schedule.as_ref().unwrap();
    assert_eq!(
        (
            base.id.as_str(),
            base.overlay_id.as_str(),
            base.overlay_version
        ),
        ("us-2026", "", 0)
    );

    // Version 2 at 75%; "s301-magnets@1" still gives the 50% result.
    let o2 = update(&mut c, overlay_obj(s301_at("75")), &o1.etag)
        .await
        .unwrap();
    assert_eq!(o2.version, 2);
    let r2 = calculate(&server, request("s301-magnets")).await;
    assert_eq!(costs(&r2), ("38873.65", "38993.15", "119.50"));
    assert_eq!(measure(&r2, S301), ("59.75", "179.25", "119.50"));
    assert_eq!(
        r2.inputs
            .as_ref()
            .unwrap()
            .scenario_schedule
            .as_ref()
            .unwrap()
            .overlay_version,
        2
    );
    let pinned = calculate(&server, request("s301-magnets@1")).await;
    assert_eq!(costs(&pinned), costs(&r));
    assert_eq!(
        pinned
            .inputs
            .as_ref()
            .unwrap()
            .scenario_schedule
            .as_ref()
            .unwrap()
            .overlay_version,
        1
    );

    // CompareScenarios: the overlay by id in a scenario, and as the baseline's overlay.
    let cmp: pb::CompareScenariosRequest = serde_json::from_value(json!({
        "bomId": "ev-high-ree", "baselinePricesId": "team-prices", "baselineScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500"},
        "scenarios": [
            {"name": "301 at 50%", "pricesId": "team-prices", "entryDate": "2026-03-02",
             "scheduleOverlayId": "s301-magnets@1"},
            {"name": "301 at 75%", "pricesId": "team-prices", "entryDate": "2026-03-02",
             "scheduleOverlayId": "s301-magnets"}]
    }))
    .unwrap();
    let mut costs_client = server.costs().await;
    let out = costs_client
        .compare_scenarios(cmp.clone())
        .await
        .unwrap()
        .into_inner();
    let got: Vec<(String, (String, String, String), i64)> = out
        .scenarios
        .iter()
        .map(|s| {
            let r = s.result.as_ref().unwrap();
            let (b, sc, d) = costs(r);
            let ov = r
                .inputs
                .as_ref()
                .unwrap()
                .scenario_schedule
                .as_ref()
                .unwrap();
            assert_eq!(ov.overlay_id, "s301-magnets");
            (
                s.name.clone(),
                (b.into(), sc.into(), d.into()),
                ov.overlay_version,
            )
        })
        .collect();
    let row =
        |n: &str, b: &str, s: &str, d: &str, v| (n.to_string(), (b.into(), s.into(), d.into()), v);
    assert_eq!(
        got,
        [
            row("301 at 50%", "38873.65", "38933.40", "59.75", 1),
            row("301 at 75%", "38873.65", "38993.15", "119.50", 2)
        ]
    );
    // The baseline overlaid at 50% (v1), a scenario at 75% (latest): delta 179.25 - 119.50.
    let mut based = cmp.clone();
    based.baseline_schedule_overlay_id = "s301-magnets@1".into();
    based.scenarios.truncate(1);
    based.scenarios[0].schedule_overlay_id = "s301-magnets".into();
    let out = costs_client
        .compare_scenarios(based)
        .await
        .unwrap()
        .into_inner();
    let r = out.scenarios[0].result.as_ref().unwrap();
    assert_eq!(costs(r), ("38933.40", "38993.15", "59.75"));
    let b = r
        .inputs
        .as_ref()
        .unwrap()
        .baseline_schedule
        .as_ref()
        .unwrap();
    assert_eq!(
        (b.overlay_id.as_str(), b.overlay_version),
        ("s301-magnets", 1)
    );

    // Inline and by id at once: refused at the id field.
    let mut both = crate::common::request(request("s301-magnets"));
    both.scenario_schedule_overlay = Some(serde_json::from_value(s301_at("60")).unwrap());
    let e = calculate_err(&server, both).await;
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert_eq!(bad_request_fields(&e), ["scenario_schedule_overlay_id"]);
    server.stop().await;
}

/// Pages of 2 walk the whole catalog once, in the order of one page of 1000; kind and date
/// filters; a token is refused under other filters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_filters_and_tokens() {
    use pb::CatalogKind as K;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(sqlite(dir.path())).await;
    let mut c = server.catalog().await;
    for (id, date) in [
        ("deck-2024", "2024-06-01"),
        ("deck-2025", "2025-06-01"),
        ("deck-2026", "2026-06-01"),
    ] {
        let mut d = deck(id, &[("nd-oxide", "90")]);
        d["asOfDate"] = json!(date);
        create(&mut c, deck_obj(d)).await.unwrap();
    }
    for id in ["team-ev", "team-ev-2"] {
        let b = ev_high_ree_as(&mut c, id).await;
        create(&mut c, bom_obj(b)).await.unwrap();
    }
    create(&mut c, overlay_obj(s301_at("50"))).await.unwrap();

    let one = c
        .list_catalog_objects(list_req(K::Unspecified, "", "", 1000, ""))
        .await
        .unwrap()
        .into_inner();
    assert!(one.next_page_token.is_empty());
    // 18 presets (9 BOMs, 2 FX decks, 2 price decks, 2 overlays, 3 schedules) and 6 saved
    // objects.
    assert_eq!(one.objects.len(), 24, "{:?}", keys(&one.objects));
    let by_two = list_all(&mut c, K::Unspecified, "", "", 2).await;
    assert_eq!(keys(&by_two), keys(&one.objects));
    // Sorted by kind then id, each once.
    let order: Vec<(String, String)> = one
        .objects
        .iter()
        .map(|o| (format!("{:?}", o.kind()), o.id.clone()))
        .collect();
    let mut dedup = order.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), order.len());
    assert!(one.objects.iter().all(|o| o.object.is_none()));
    let saved: Vec<(&str, i64)> = one
        .objects
        .iter()
        .filter(|o| o.origin() == pb::CatalogOrigin::Saved)
        .map(|o| (o.id.as_str(), o.version))
        .collect();
    assert_eq!(
        saved,
        [
            ("team-ev", 1),
            ("team-ev-2", 1),
            ("deck-2024", 1),
            ("deck-2025", 1),
            ("deck-2026", 1),
            ("s301-magnets", 1)
        ]
    );
    assert!(
        one.objects
            .iter()
            .filter(|o| o.origin() != pb::CatalogOrigin::Saved)
            .all(|o| o.origin() == pb::CatalogOrigin::BuiltIn && o.version == 0)
    );

    let ids = |v: &[pb::CatalogObject]| v.iter().map(|o| o.id.clone()).collect::<Vec<_>>();
    let decks = list_all(&mut c, K::PriceDeck, "", "", 2).await;
    assert_eq!(
        ids(&decks),
        [
            "deck-2024",
            "deck-2025",
            "deck-2026",
            "ree-post-restriction",
            "ree-pre-restriction"
        ]
    );
    assert!(decks.iter().all(|o| o.kind() == K::PriceDeck));
    let boms = list_all(&mut c, K::Bom, "", "", 1000).await;
    assert_eq!(
        ids(&boms),
        [
            "defense-fighter",
            "defense-ree-subsystems",
            "ev-bev-midsize",
            "ev-bev-midsize-cn-cells",
            "ev-high-ree",
            "ev-jp-import",
            "ev-low-ree",
            "semiconductor-deposition-tool",
            "semiconductor-etch-tool",
            "team-ev",
            "team-ev-2"
        ]
    );
    // 2025 only: ree-pre (2025-04-01), deck-2025 (2025-06-01), ree-post (2025-10-31).
    let in_2025 = list_all(&mut c, K::PriceDeck, "2025-01-01", "2025-12-31", 2).await;
    assert_eq!(
        ids(&in_2025),
        ["deck-2025", "ree-post-restriction", "ree-pre-restriction"]
    );
    // Bounds are inclusive; a date filter leaves out undated kinds (BOMs, overlays).
    let from = list_all(&mut c, K::Unspecified, "2025-10-31", "", 2).await;
    assert!(
        from.iter()
            .all(|o| !o.as_of_date.is_empty() && o.as_of_date.as_str() >= "2025-10-31")
    );
    assert!(ids(&from).contains(&"ree-post-restriction".to_string()));
    assert!(ids(&from).contains(&"deck-2026".to_string()));
    assert!(!ids(&from).contains(&"deck-2025".to_string()));
    assert!(
        from.iter()
            .all(|o| o.kind() != K::Bom && o.kind() != K::ScheduleOverlay)
    );
    let to = list_all(&mut c, K::PriceDeck, "", "2024-12-31", 2).await;
    assert_eq!(ids(&to), ["deck-2024"]);

    // A token from one listing under other filters: refused at page_token.
    let first = c
        .list_catalog_objects(list_req(K::Unspecified, "", "", 2, ""))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    for req in [
        list_req(K::PriceDeck, "", "", 2, &first.next_page_token),
        list_req(K::Unspecified, "2025-01-01", "", 2, &first.next_page_token),
        list_req(K::Unspecified, "", "", 2, "not-a-token"),
    ] {
        let e = c.list_catalog_objects(req).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        assert_eq!(bad_request_fields(&e), ["page_token"]);
    }
    server.stop().await;
}

fn with_token<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// With a token and open reads, calculations and reads need no token, writes do; without
/// open reads, calculations need it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_need_the_token_and_reads_only_without_open_reads() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(ServerConfig {
        auth_token: Some("s3cret".into()),
        open_reads: true,
        ..sqlite(dir.path())
    })
    .await;
    let r = calculate(&server, readme("ev-high-ree")).await;
    assert_eq!(costs(&r), V1);
    let mut c = server.catalog().await;
    let bom = ev_high_ree_as(&mut c, "team-ev").await;
    let e = create(&mut c, bom_obj(bom.clone())).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    let e = c
        .create_catalog_object(with_token(create_req(bom_obj(bom.clone())), "wrong"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    let saved = c
        .create_catalog_object(with_token(create_req(bom_obj(bom.clone())), "s3cret"))
        .await
        .unwrap()
        .into_inner()
        .object
        .unwrap();
    assert_eq!(saved.version, 1);
    // Reads of it, without a token.
    assert_eq!(
        get(&mut c, pb::CatalogKind::Bom, "team-ev@1")
            .await
            .unwrap()
            .etag,
        saved.etag
    );
    assert_eq!(costs(&calculate(&server, readme("team-ev")).await), V1);
    // A delete without a token is a write too.
    let e = c
        .delete_catalog_object(pb::DeleteCatalogObjectRequest {
            kind: pb::CatalogKind::Bom as i32,
            id: "team-ev".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    server.stop().await;

    let closed = TestServer::start_with(ServerConfig {
        auth_token: Some("s3cret".into()),
        open_reads: false,
        ..sqlite(dir.path())
    })
    .await;
    let req = crate::common::request(readme("team-ev"));
    let e = calculate_err(&closed, req.clone()).await;
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    let mut costs_client = closed.costs().await;
    let r = costs_client
        .calculate_impact(with_token(req, "s3cret"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(costs(&r), V1);
    let mut c = closed.catalog().await;
    let e = c
        .list_catalog_objects(list_req(pb::CatalogKind::Bom, "", "", 10, ""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    closed.stop().await;
}

/// Without a store (the default), writes are FAILED_PRECONDITION and the presets still list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_a_store_refuses_writes_and_lists_presets() {
    let server = TestServer::start().await;
    let mut c = server.catalog().await;
    let bom = ev_high_ree_as(&mut c, "team-ev").await;
    let e = create(&mut c, bom_obj(bom.clone())).await.unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    let e = update(&mut c, bom_obj(bom), "").await.unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    let all = list_all(&mut c, pb::CatalogKind::Unspecified, "", "", 5).await;
    assert_eq!(all.len(), 18, "{:?}", keys(&all));
    assert!(
        all.iter().all(|o| o.origin() == pb::CatalogOrigin::BuiltIn
            && o.version == 0
            && o.etag.is_empty())
    );
    let ids: Vec<&str> = all.iter().map(|o| o.id.as_str()).collect();
    for id in ["ev-high-ree", "ree-pre-restriction", "us-2025", "us-2026"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    let got = get(&mut c, pb::CatalogKind::TariffSchedule, "us-2026")
        .await
        .unwrap();
    assert_eq!(
        (
            got.origin(),
            got.versioned_id.as_str(),
            got.as_of_date.as_str()
        ),
        (pb::CatalogOrigin::BuiltIn, "us-2026", "2026-03-01")
    );
    server.stop().await;
}

/// Stopped and started again on the same data dir: every saved version is there, unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_objects_survive_a_restart_on_the_same_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(sqlite(dir.path())).await;
    let mut c = server.catalog().await;
    let bom = ev_high_ree_as(&mut c, "team-ev").await;
    let b1 = create(&mut c, bom_obj(bom.clone())).await.unwrap();
    let b2 = update(&mut c, bom_obj(with_nd(bom.clone(), "2.0")), &b1.etag)
        .await
        .unwrap();
    let d1 = create(&mut c, deck_obj(deck("team-prices", &[("nd-oxide", "90")])))
        .await
        .unwrap();
    let before = [
        get(&mut c, pb::CatalogKind::Bom, "team-ev@1")
            .await
            .unwrap(),
        get(&mut c, pb::CatalogKind::Bom, "team-ev").await.unwrap(),
        get(&mut c, pb::CatalogKind::PriceDeck, "team-prices")
            .await
            .unwrap(),
    ];
    assert_eq!(
        before.iter().map(|o| o.etag.as_str()).collect::<Vec<_>>(),
        [b1.etag.as_str(), b2.etag.as_str(), d1.etag.as_str()]
    );
    let history = versions(&mut c, pb::CatalogKind::Bom, "team-ev").await;
    drop(c);
    server.stop().await;

    let server = TestServer::start_with(sqlite(dir.path())).await;
    let mut c = server.catalog().await;
    let after = [
        get(&mut c, pb::CatalogKind::Bom, "team-ev@1")
            .await
            .unwrap(),
        get(&mut c, pb::CatalogKind::Bom, "team-ev").await.unwrap(),
        get(&mut c, pb::CatalogKind::PriceDeck, "team-prices")
            .await
            .unwrap(),
    ];
    assert_eq!(after, before);
    assert_eq!(
        versions(&mut c, pb::CatalogKind::Bom, "team-ev").await,
        history
    );
    assert_eq!(costs(&calculate(&server, readme("team-ev")).await), V2);
    assert_eq!(costs(&calculate(&server, readme("team-ev@1")).await), V1);
    // The etag still guards writes after the restart.
    let e = update(&mut c, bom_obj(renamed(&bom, "team-ev")), &b1.etag)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Aborted, "{e:?}");
    server.stop().await;
}
