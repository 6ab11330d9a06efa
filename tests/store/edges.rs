//! Edges of the saved catalog through the server (SQLite data dir): what a deleted object,
//! an unknown version, a preset and a racing writer get; ids per kind; saved schedules and
//! their as-of dates in listings.

use crate::common::{TestServer, calculate, calculate_err, deck, request};
use crate::service::{
    V1, V2, bom_obj, bom_ref, costs, create, deck_obj, ev_high_ree_as, get, list_all, list_req,
    readme, renamed, sqlite, update, versions, with_nd,
};
use serde_json::json;
use tariff_impact::pb;
use tonic::Code;

fn delete_req(kind: pb::CatalogKind, id: &str, etag: &str) -> pb::DeleteCatalogObjectRequest {
    pb::DeleteCatalogObjectRequest {
        kind: kind as i32,
        id: id.into(),
        etag: etag.into(),
    }
}

/// After a delete: the id may be created again (version 4, not 1: "id@1" keeps naming the
/// first version), an update without etag is NOT_FOUND, the tombstone's version is not an
/// object, and deletes of missing objects, of presets and under stale etags are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_objects_unknown_versions_and_presets() {
    use pb::CatalogKind as K;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(sqlite(dir.path())).await;
    let mut c = server.catalog().await;
    let bom = ev_high_ree_as(&mut c, "team-ev").await;
    let v1 = create(&mut c, bom_obj(bom.clone())).await.unwrap();

    // Delete under a stale etag, of a missing id, of a preset: refused, nothing written.
    let e = c
        .delete_catalog_object(delete_req(K::Bom, "team-ev", "0123456789abcdef"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Aborted, "{e:?}");
    assert!(e.message().contains(&v1.etag), "{e:?}");
    let e = c
        .delete_catalog_object(delete_req(K::Bom, "no-such-ev", ""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    let e = c
        .delete_catalog_object(delete_req(K::Bom, "ev-high-ree", ""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(e.message().contains("cannot be deleted"), "{e:?}");
    assert_eq!(costs(&calculate(&server, readme("ev-high-ree")).await), V1);
    assert_eq!(versions(&mut c, K::Bom, "team-ev").await.len(), 1);

    // Unknown versions and ids: NOT_FOUND, in Get and in a calculation.
    for id in ["team-ev@2", "team-ev@0", "ev-high-ree@1", "no-such-ev"] {
        let e = get(&mut c, K::Bom, id).await.unwrap_err();
        assert_eq!(e.code(), Code::NotFound, "{id}: {e:?}");
        let e = calculate_err(&server, request(readme(id))).await;
        assert_eq!(e.code(), Code::NotFound, "{id}: {e:?}");
        assert!(e.message().starts_with("bom_id: "), "{id}: {e:?}");
    }

    // Deleted (version 2), its tombstone is no object.
    let tomb = c
        .delete_catalog_object(delete_req(K::Bom, "team-ev", ""))
        .await
        .unwrap()
        .into_inner()
        .object
        .unwrap();
    assert_eq!((tomb.version, tomb.deleted), (2, true));
    let e = get(&mut c, K::Bom, "team-ev").await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    let e = get(&mut c, K::Bom, "team-ev@2").await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    let e = calculate_err(&server, request(readme("team-ev@2"))).await;
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    assert_eq!(
        get(&mut c, K::Bom, "team-ev@1").await.unwrap().etag,
        v1.etag
    );
    // Deleted again: nothing to delete.
    let e = c
        .delete_catalog_object(delete_req(K::Bom, "team-ev", ""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    // Update without etag of a deleted object: NOT_FOUND, as for one never saved.
    let e = update(&mut c, bom_obj(bom.clone()), "").await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    // Nor under the etag it had before the delete.
    let e = update(&mut c, bom_obj(bom.clone()), &v1.etag)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    // Not listed.
    let listed = list_all(&mut c, K::Bom, "", "", 1000).await;
    assert!(listed.iter().all(|o| o.id != "team-ev"));

    // Created again: version 3 (versions go on), costed; "team-ev@1" is still the first.
    let again = create(&mut c, bom_obj(with_nd(bom.clone(), "2.0")))
        .await
        .unwrap();
    assert_eq!((again.version, again.deleted), (3, false));
    let r = calculate(&server, readme("team-ev")).await;
    assert_eq!(costs(&r), V2);
    assert_eq!(bom_ref(&r).1, 3);
    assert_eq!(costs(&calculate(&server, readme("team-ev@1")).await), V1);
    let history: Vec<(i64, bool)> = versions(&mut c, K::Bom, "team-ev")
        .await
        .iter()
        .map(|v| (v.version, v.deleted))
        .collect();
    assert_eq!(history, [(1, false), (2, true), (3, false)]);

    // allow_missing: an update that creates.
    let created = c
        .update_catalog_object(pb::UpdateCatalogObjectRequest {
            object: Some(pb::update_catalog_object_request::Object::Bom(renamed(
                &bom,
                "team-ev-2",
            ))),
            etag: String::new(),
            allow_missing: true,
        })
        .await
        .unwrap()
        .into_inner()
        .object
        .unwrap();
    assert_eq!(created.version, 1);
    // ListCatalogObjectVersions of an id never saved: NOT_FOUND.
    let e = c
        .list_catalog_object_versions(pb::ListCatalogObjectVersionsRequest {
            kind: K::Bom as i32,
            id: "never-saved".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    server.stop().await;
}

/// Ids are unique per kind: a BOM may take a price deck preset's id. A saved schedule is
/// costed by id, shows in the typed list with its version, and its as-of date (changed by an
/// update) is what the date filters see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_per_kind_and_saved_schedules_in_listings() {
    use pb::CatalogKind as K;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(sqlite(dir.path())).await;
    let mut c = server.catalog().await;
    let bom = ev_high_ree_as(&mut c, "ree-pre-restriction").await;
    let b = create(&mut c, bom_obj(bom)).await.unwrap();
    assert_eq!(b.version, 1);
    let e = create(&mut c, deck_obj(deck("ree-pre-restriction", &[])))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists, "{e:?}");

    // us-2026 saved as "team-sched", dated 2026-03-01.
    let mut sched = c
        .get_tariff_schedule(pb::GetTariffScheduleRequest {
            id: "us-2026".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .tariff_schedule
        .unwrap();
    sched.id = "team-sched".into();
    let s1 = create(
        &mut c,
        pb::catalog_object::Object::TariffSchedule(sched.clone()),
    )
    .await
    .unwrap();
    assert_eq!((s1.version, s1.as_of_date.as_str()), (1, "2026-03-01"));
    let mut json = readme("ev-high-ree");
    json["scenarioScheduleId"] = json!("team-sched");
    let r = calculate(&server, json.clone()).await;
    assert_eq!(costs(&r), V1);
    let s = r
        .inputs
        .as_ref()
        .unwrap()
        .scenario_schedule
        .clone()
        .unwrap();
    assert_eq!(
        (s.id.as_str(), s.version, s.origin(), s.as_of_date.as_str()),
        ("team-sched", 1, pb::CatalogOrigin::Saved, "2026-03-01")
    );
    let typed = c
        .list_tariff_schedules(pb::ListTariffSchedulesRequest {})
        .await
        .unwrap()
        .into_inner()
        .tariff_schedules;
    let mine = typed.iter().find(|p| p.id == "team-sched").unwrap();
    assert_eq!((mine.version, mine.origin()), (1, pb::CatalogOrigin::Saved));

    // Re-dated 2027-01-01 by an update: the filters follow the latest version.
    let mut later = sched.clone();
    later.as_of_date = "2027-01-01".into();
    let s2 = update(
        &mut c,
        pb::catalog_object::Object::TariffSchedule(later),
        &s1.etag,
    )
    .await
    .unwrap();
    assert_eq!((s2.version, s2.as_of_date.as_str()), (2, "2027-01-01"));
    let ids = |v: Vec<pb::CatalogObject>| v.into_iter().map(|o| o.id).collect::<Vec<_>>();
    assert_eq!(
        ids(list_all(&mut c, K::TariffSchedule, "2026-12-01", "", 2).await),
        ["team-sched"]
    );
    assert!(
        !ids(list_all(&mut c, K::TariffSchedule, "2026-03-01", "2026-03-01", 2).await)
            .contains(&"team-sched".to_string())
    );
    // Negative page sizes are refused.
    let e = c
        .list_catalog_objects(list_req(K::Unspecified, "", "", -1, ""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    // A malformed date filter: INVALID_ARGUMENT.
    let e = c
        .list_catalog_objects(list_req(K::Unspecified, "2026-13-01", "", 10, ""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    server.stop().await;
}

/// Two updates racing under the same etag: exactly one wins, the other is ABORTED naming the
/// winner's etag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_updates_under_one_etag_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(sqlite(dir.path())).await;
    let mut c = server.catalog().await;
    let bom = ev_high_ree_as(&mut c, "team-ev").await;
    let v1 = create(&mut c, bom_obj(bom.clone())).await.unwrap();
    for round in 0..10 {
        let current = get(&mut c, pb::CatalogKind::Bom, "team-ev").await.unwrap();
        let (mut a, mut b) = (server.catalog().await, server.catalog().await);
        // Both change the object (an update that changes nothing is the latest version).
        let (qa, qb) = (format!("3.{round}1"), format!("3.{round}2"));
        let (ra, rb) = tokio::join!(
            update(&mut a, bom_obj(with_nd(bom.clone(), &qa)), &current.etag),
            update(&mut b, bom_obj(with_nd(bom.clone(), &qb)), &current.etag)
        );
        let (won, lost) = match (ra, rb) {
            (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
            other => panic!("round {round}: not one winner: {other:?}"),
        };
        assert_eq!(won.version, current.version + 1);
        assert_eq!(lost.code(), Code::Aborted, "{lost:?}");
        assert!(lost.message().contains(&won.etag), "{lost:?}");
    }
    let history = versions(&mut c, pb::CatalogKind::Bom, "team-ev").await;
    assert_eq!(history.len(), 11);
    // Sending the latest content again, with its etag or without one, writes nothing.
    let latest = get(&mut c, pb::CatalogKind::Bom, "team-ev").await.unwrap();
    let Some(pb::catalog_object::Object::Bom(same)) = latest.object.clone() else {
        panic!("{latest:?}");
    };
    for etag in [latest.etag.as_str(), ""] {
        let again = update(&mut c, bom_obj(same.clone()), etag).await.unwrap();
        assert_eq!((again.version, &again.etag), (latest.version, &latest.etag));
    }
    assert_eq!(
        versions(&mut c, pb::CatalogKind::Bom, "team-ev")
            .await
            .len(),
        11
    );
    assert_eq!(history[0].etag, v1.etag);
    server.stop().await;
}

/// A saved overlay that does not fit the schedule it is applied to is refused when a request
/// applies it (its own fields were checked when saved); an unknown overlay id is NOT_FOUND at
/// the id field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_overlay_is_checked_against_its_base_when_applied() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(sqlite(dir.path())).await;
    let mut c = server.catalog().await;
    let overlay: pb::ScheduleOverlay = serde_json::from_value(json!({
        "id": "no-such-measure", "source": "typo",
        "setRates": [{"measureId": "us-301-magnets-cn-2099", "rate": {"adValoremPercent": "50"}}]}))
    .unwrap();
    create(&mut c, pb::catalog_object::Object::ScheduleOverlay(overlay))
        .await
        .unwrap();
    let mut json = readme("ev-high-ree");
    json["scenarioScheduleOverlayId"] = json!("no-such-measure");
    let e = calculate_err(&server, request(json.clone())).await;
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    let fields = crate::common::bad_request_fields(&e);
    assert_eq!(fields.len(), 1, "{fields:?}");
    // Named at the field the request set, the message pointing into the saved version.
    assert_eq!(fields, ["scenario_schedule_overlay_id"]);
    assert!(
        e.message().contains(
            "scenario_schedule_overlay_id: saved overlay no-such-measure@1, at set_rates[0].measure_id: "
        ),
        "{e:?}"
    );
    json["scenarioScheduleOverlayId"] = json!("never-saved");
    let e = calculate_err(&server, request(json)).await;
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    assert!(
        e.message().starts_with("scenario_schedule_overlay_id: "),
        "{e:?}"
    );
    server.stop().await;
}
