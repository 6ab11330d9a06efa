//! The live catalog over a real SQLite store: what a write, a delete, a foreign write (another
//! replica's, made straight to the store) and an `id@version` do to the snapshot.

use super::live::{Catalogs, SaveError};
use super::{Catalog, Kind, Object, Origin};
use crate::convert::Limits;
use crate::pb;
use crate::store::{CatalogStore, Expectation, SqliteStore, StoreError};
use std::sync::Arc;

fn deck(id: &str, price: &str) -> Object {
    Object::PriceDeck(pb::PriceDeck {
        id: id.to_string(),
        currency: "USD".to_string(),
        as_of_date: "2026-11-30".to_string(),
        prices: vec![pb::MaterialPrice {
            material_id: "nd-oxide".to_string(),
            price: price.to_string(),
            unit: pb::UnitOfMeasure::Kg as i32,
            ..Default::default()
        }],
        ..Default::default()
    })
}

fn price_of(c: &Catalog, id: &str) -> Option<String> {
    c.price_deck(id).map(|e| e.proto.prices[0].price.clone())
}

async fn open() -> (tempfile::TempDir, Arc<SqliteStore>, Arc<Catalogs>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    let presets = Catalog::builtin().unwrap();
    let live = Catalogs::open(presets, store.clone(), Limits::default())
        .await
        .unwrap();
    (dir, store, live)
}

#[tokio::test]
async fn a_write_is_in_the_snapshot_before_save_returns_and_versions_stay_reachable() {
    let (_dir, _store, live) = open().await;
    let before = live.snapshot();
    let r1 = live
        .save(&deck("team", "100"), Expectation::MustNotExist)
        .await
        .unwrap();
    assert_eq!(r1.version, 1);
    // The snapshot a call already holds does not change under it.
    assert_eq!(price_of(&before, "team"), None);
    let s = live.snapshot();
    assert_eq!(price_of(&s, "team").as_deref(), Some("100"));
    let e = s.price_deck("team").unwrap();
    assert_eq!(
        (e.origin, e.version, e.etag.as_str()),
        (Origin::Saved, 1, r1.etag.as_str())
    );
    assert_eq!(price_of(&s, "team@1").as_deref(), Some("100"));
    assert_eq!(price_of(&s, "team@2"), None);

    let r2 = live
        .save(&deck("team", "120"), Expectation::Etag(r1.etag.clone()))
        .await
        .unwrap();
    assert_eq!(r2.version, 2);
    let s = live.snapshot();
    assert_eq!(price_of(&s, "team").as_deref(), Some("120"));
    // Version 1 is no longer the latest: only a pinned snapshot has it.
    assert_eq!(price_of(&s, "team@1"), None);
    let pinned = live
        .pin(
            s.clone(),
            &[(Kind::PriceDeck, "team@1"), (Kind::PriceDeck, "team@9")],
        )
        .await
        .unwrap();
    assert_eq!(price_of(&pinned, "team@1").as_deref(), Some("100"));
    assert_eq!(price_of(&pinned, "team@9"), None);
    assert_eq!(price_of(&pinned, "team").as_deref(), Some("120"));
    // Nothing to pin: the same snapshot.
    let same = live
        .pin(
            s.clone(),
            &[(Kind::PriceDeck, "team@2"), (Kind::PriceDeck, "team")],
        )
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&same, &s));

    let stale = live
        .save(&deck("team", "130"), Expectation::Etag(r1.etag))
        .await;
    assert!(matches!(
        stale,
        Err(SaveError::Store(StoreError::Conflict { .. }))
    ));
    live.delete(Kind::PriceDeck, "team", Some(&r2.etag))
        .await
        .unwrap();
    let s = live.snapshot();
    assert_eq!(price_of(&s, "team"), None);
    let pinned = live.pin(s, &[(Kind::PriceDeck, "team@2")]).await.unwrap();
    assert_eq!(price_of(&pinned, "team@2").as_deref(), Some("120"));
}

#[tokio::test]
async fn presets_are_read_only_and_a_foreign_write_arrives_on_catch_up() {
    let (_dir, store, live) = open().await;
    let refused = live
        .save(&deck("ree-pre-restriction", "1"), Expectation::Any)
        .await;
    assert!(matches!(
        refused,
        Err(SaveError::Preset {
            kind: Kind::PriceDeck,
            ..
        })
    ));
    let refused = live
        .delete(Kind::PriceDeck, "ree-pre-restriction", None)
        .await;
    assert!(matches!(refused, Err(SaveError::Preset { .. })));

    // Another replica's write reaches the store only: the snapshot has it after a catch-up.
    let other = deck("other", "7");
    store
        .put(
            Kind::PriceDeck,
            "other",
            &other.to_json(),
            "2026-11-30",
            Expectation::Any,
        )
        .await
        .unwrap();
    live.catch_up().await.unwrap();
    assert_eq!(price_of(&live.snapshot(), "other").as_deref(), Some("7"));

    // A body that no longer validates is not served under the object's name.
    store
        .put(
            Kind::PriceDeck,
            "other",
            &deck("other", "x7").to_json(),
            "",
            Expectation::Any,
        )
        .await
        .unwrap();
    live.catch_up().await.unwrap();
    assert_eq!(price_of(&live.snapshot(), "other"), None);
    // A saved object with a preset's id (written past the API) leaves the preset served.
    store
        .put(
            Kind::PriceDeck,
            "ree-pre-restriction",
            &deck("ree-pre-restriction", "1").to_json(),
            "",
            Expectation::Any,
        )
        .await
        .unwrap();
    live.catch_up().await.unwrap();
    let s = live.snapshot();
    assert_eq!(price_of(&s, "ree-pre-restriction").as_deref(), Some("87"));
    assert_eq!(
        s.price_deck("ree-pre-restriction").unwrap().origin,
        Origin::BuiltIn
    );
}

#[tokio::test]
async fn a_restart_loads_the_latest_live_versions() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
        for (id, price) in [("a", "1"), ("b", "2"), ("a", "3"), ("c", "4")] {
            store
                .put(
                    Kind::PriceDeck,
                    id,
                    &deck(id, price).to_json(),
                    "",
                    Expectation::Any,
                )
                .await
                .unwrap();
        }
        store.delete(Kind::PriceDeck, "c", None).await.unwrap();
    }
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    let live = Catalogs::open(Catalog::builtin().unwrap(), store, Limits::default())
        .await
        .unwrap();
    let s = live.snapshot();
    assert_eq!(price_of(&s, "a").as_deref(), Some("3"));
    assert_eq!(s.price_deck("a").unwrap().version, 2);
    assert_eq!(price_of(&s, "b").as_deref(), Some("2"));
    assert_eq!(price_of(&s, "c"), None);
    assert_eq!(s.saved_len(), 2);
    let ids: Vec<String> = s
        .headers(Kind::PriceDeck)
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(
        ids,
        ["a", "b", "ree-post-restriction", "ree-pre-restriction"]
    );
}

#[tokio::test]
async fn a_fixed_catalog_refuses_writes() {
    let live = Catalogs::fixed(Catalog::builtin().unwrap());
    assert!(matches!(
        live.save(&deck("x", "1"), Expectation::Any).await,
        Err(SaveError::NoStore)
    ));
    assert!(matches!(
        live.delete(Kind::PriceDeck, "x", None).await,
        Err(SaveError::NoStore)
    ));
    assert!(live.store().is_none());
    live.catch_up().await.unwrap();
    assert_eq!(live.snapshot().saved_len(), 0);
}

#[test]
fn a_preset_file_may_not_use_an_at_in_its_id() {
    let mut c = Catalog::builtin().unwrap();
    let mut preset = deck("team@2", "1");
    if let Object::PriceDeck(d) = &mut preset {
        d.source = "a supplier quote".into();
        d.prices[0].basis = pb::PriceBasis::Market as i32;
    }
    let json = preset.to_json();
    let e = c.add(Kind::PriceDeck, "dir/team.json", &json).unwrap_err();
    assert_eq!((e.file.as_str(), e.field.as_str()), ("dir/team.json", "id"));
    // The same file with a plain id loads, and is a directory preset.
    c.add(
        Kind::PriceDeck,
        "dir/team.json",
        &json.replace("team@2", "team"),
    )
    .unwrap();
    let e = c.price_deck("team").unwrap();
    assert_eq!((e.origin, e.version), (Origin::Directory, 0));
    assert!(c.is_preset(Kind::PriceDeck, "team"));
    assert!(c.contains(Kind::PriceDeck, "team"));
    assert!(!c.contains(Kind::PriceDeck, "team@1"));
}

fn overlay(id: &str, percent: &str) -> Object {
    Object::ScheduleOverlay(pb::ScheduleOverlay {
        id: id.to_string(),
        source: "what-if".to_string(),
        set_rates: vec![pb::RateChange {
            measure_id: "m".to_string(),
            rate: Some(pb::Rate {
                ad_valorem_percent: percent.to_string(),
                ..Default::default()
            }),
        }],
        ..Default::default()
    })
}

#[tokio::test]
async fn every_kind_is_counted_versioned_and_cached() {
    let (_dir, store, live) = open().await;
    let bom = Object::Bom(pb::Bom {
        id: "team-bom".into(),
        currency: "USD".into(),
        items: vec![pb::BomItem {
            id: "nd".into(),
            material_id: "nd-oxide".into(),
            quantity: "2".into(),
            unit: pb::UnitOfMeasure::Kg as i32,
            ..Default::default()
        }],
        ..Default::default()
    });
    let fx = Object::FxDeck(pb::FxDeck {
        id: "team-fx".into(),
        as_of_date: "2026-11-30".into(),
        rates: vec![pb::FxRate {
            base_currency: "USD".into(),
            quote_currency: "JPY".into(),
            rate: "150".into(),
            ..Default::default()
        }],
        ..Default::default()
    });
    let schedule = Object::TariffSchedule(pb::TariffSchedule {
        id: "team-schedule".into(),
        currency: "USD".into(),
        as_of_date: "2026-11-30".into(),
        ..Default::default()
    });
    for o in [
        &bom,
        &fx,
        &schedule,
        &deck("team", "1"),
        &overlay("o", "25"),
    ] {
        live.save(o, Expectation::MustNotExist).await.unwrap();
    }
    assert_eq!(live.snapshot().saved_len(), 5);
    let o2 = live
        .save(&overlay("o", "50"), Expectation::Any)
        .await
        .unwrap();
    assert_eq!(o2.version, 2);
    let s = live.snapshot();
    let percent = |c: &Catalog, id: &str| {
        c.schedule_overlay(id).map(|e| {
            e.proto.set_rates[0]
                .rate
                .as_ref()
                .unwrap()
                .ad_valorem_percent
                .clone()
        })
    };
    assert_eq!(percent(&s, "o").as_deref(), Some("50"));
    assert_eq!(percent(&s, "o@2").as_deref(), Some("50"));
    assert!(s.contains(Kind::ScheduleOverlay, "o@2"));
    assert!(!s.contains(Kind::ScheduleOverlay, "o@1"));
    assert_eq!(s.object(Kind::ScheduleOverlay, "o@2").unwrap().0.version, 2);
    let pinned = live
        .pin(s.clone(), &[(Kind::ScheduleOverlay, "o@1")])
        .await
        .unwrap();
    assert_eq!(percent(&pinned, "o@1").as_deref(), Some("25"));
    assert_eq!(s.object(Kind::Bom, "team-bom").unwrap().0.as_of_date, "");
    assert_eq!(
        s.object(Kind::FxDeck, "team-fx").unwrap().0.as_of_date,
        "2026-11-30"
    );

    // Once pinned, a version is served from the cache: the database is not asked again.
    store.close().await;
    let again = live
        .pin(s.clone(), &[(Kind::ScheduleOverlay, "o@1")])
        .await
        .unwrap();
    assert_eq!(percent(&again, "o@1").as_deref(), Some("25"));
    assert!(matches!(
        live.pin(s, &[(Kind::PriceDeck, "team@7")]).await,
        Err(super::live::PinError::Store(_))
    ));
}

#[tokio::test]
async fn a_request_pins_at_most_the_limit_of_distinct_versions() {
    let (_dir, _store, live) = open().await;
    let refs: Vec<String> = (1..=40).map(|v| format!("team@{v}")).collect();
    let many: Vec<(Kind, &str)> = refs.iter().map(|r| (Kind::PriceDeck, r.as_str())).collect();
    let max = super::live::MAX_PINNED;
    // The same version named many times counts once; versions that do not exist are left
    // for resolution to report.
    let same = vec![(Kind::PriceDeck, "team@1"); 100];
    assert!(live.pin(live.snapshot(), &same).await.is_ok());
    assert!(live.pin(live.snapshot(), &many[..max]).await.is_ok());
    match live.pin(live.snapshot(), &many[..=max]).await {
        Err(super::live::PinError::TooMany { named }) => assert_eq!(named, max + 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_version_cache_drops_the_oldest_beyond_its_count_or_bytes() {
    use super::live::{CACHED_BYTES, CACHED_VERSIONS, VersionCache};
    let v = || {
        deck("x", "1")
            .validate("price_deck", &Limits::default(), Default::default())
            .unwrap()
    };
    let mut cache = VersionCache::default();
    for i in 0..CACHED_VERSIONS {
        cache.insert((Kind::PriceDeck, format!("x@{i}")), v(), 10);
    }
    assert_eq!(
        (cache.map.len(), cache.bytes),
        (CACHED_VERSIONS, 10 * CACHED_VERSIONS)
    );
    cache.insert((Kind::PriceDeck, "x@new".into()), v(), 10);
    assert_eq!(cache.map.len(), CACHED_VERSIONS);
    assert!(!cache.map.contains_key(&(Kind::PriceDeck, "x@0".into())));
    assert!(cache.map.contains_key(&(Kind::PriceDeck, "x@new".into())));
    // Too large to cache at all; then one that fills the bytes drops all the others.
    cache.insert((Kind::PriceDeck, "huge".into()), v(), CACHED_BYTES + 1);
    assert!(!cache.map.contains_key(&(Kind::PriceDeck, "huge".into())));
    cache.insert((Kind::PriceDeck, "big".into()), v(), CACHED_BYTES);
    assert_eq!(cache.map.len(), 1);
    assert_eq!(cache.bytes, CACHED_BYTES);
    // The same key again is not counted twice.
    cache.insert((Kind::PriceDeck, "big".into()), v(), CACHED_BYTES);
    assert_eq!((cache.map.len(), cache.bytes), (1, CACHED_BYTES));
}

#[tokio::test]
async fn a_foreign_write_arrives_without_a_call_and_versions_are_listed() {
    let (_dir, store, live) = open().await;
    store
        .put(
            Kind::PriceDeck,
            "other",
            &deck("other", "7").to_json(),
            "",
            Expectation::Any,
        )
        .await
        .unwrap();
    // The follower polls every second; give it up to a minute (not a timing assertion).
    let mut seen = false;
    for _ in 0..600 {
        if price_of(&live.snapshot(), "other").is_some() {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "the follower never caught up");
    let history = live.versions(Kind::PriceDeck, "other").await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].version, 1);
    assert!(live.store().is_some());
    assert_eq!(live.limits().max_items, Limits::default().max_items);
}

#[test]
fn a_saved_revision_shows_its_object_s_name_and_source() {
    let r = crate::store::Revision {
        kind: Kind::Bom,
        id: "b".into(),
        version: 3,
        etag: "e".into(),
        body: String::new(),
        as_of_date: String::new(),
        created_at_ms: 5,
        deleted: false,
        seq: 9,
    };
    let bom = Object::Bom(pb::Bom {
        id: "b".into(),
        name: "n".into(),
        description: "d".into(),
        source: "s".into(),
        ..Default::default()
    });
    let h = super::live::header_of(&r, Some(&bom));
    assert_eq!(
        (h.name.as_str(), h.description.as_str(), h.source.as_str()),
        ("n", "d", "s")
    );
    assert_eq!(
        (h.version, h.origin, h.created_at_ms),
        (3, Origin::Saved, 5)
    );
    let o = overlay("o", "1");
    let h = super::live::header_of(&r, Some(&o));
    assert_eq!((h.name.as_str(), h.source.as_str()), ("", "what-if"));
    assert_eq!(o.as_of_date(), "");
    assert_eq!(deck("d", "1").as_of_date(), "2026-11-30");
    assert_eq!(Object::field(Kind::ScheduleOverlay), "schedule_overlay");
    assert_eq!(Object::field(Kind::FxDeck), "fx_deck");
    assert_eq!(Object::field(Kind::TariffSchedule), "tariff_schedule");
}

#[tokio::test]
async fn one_catch_up_applies_more_than_one_batch_of_changes() {
    // Written before the catalog opens, so only its first catch-up can apply them (a
    // current-thread test runtime runs the follower only while the test awaits).
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    for i in 0..150 {
        let id = format!("d{i:03}");
        store
            .put(
                Kind::PriceDeck,
                &id,
                &deck(&id, "1").to_json(),
                "",
                Expectation::Any,
            )
            .await
            .unwrap();
    }
    let live = Catalogs::open(Catalog::builtin().unwrap(), store, Limits::default())
        .await
        .unwrap();
    assert_eq!(live.snapshot().saved_len(), 150);
}

#[tokio::test]
async fn writing_the_latest_content_again_writes_no_version() {
    let (_dir, _store, live) = open().await;
    let v1 = live
        .save(&deck("team", "100"), Expectation::MustNotExist)
        .await
        .unwrap();
    let same = live
        .save(&deck("team", "100"), Expectation::Any)
        .await
        .unwrap();
    assert_eq!((same.version, &same.etag), (1, &v1.etag));
    let same = live
        .save(&deck("team", "100"), Expectation::Etag(v1.etag.clone()))
        .await
        .unwrap();
    assert_eq!(same.version, 1);
    let v2 = live
        .save(&deck("team", "101"), Expectation::Any)
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    // The same content under a stale etag is still a conflict, not the latest version.
    let stale = live
        .save(&deck("team", "101"), Expectation::Etag(v1.etag))
        .await;
    assert!(matches!(
        stale,
        Err(SaveError::Store(StoreError::Conflict { .. }))
    ));
    assert_eq!(
        live.versions(Kind::PriceDeck, "team").await.unwrap().len(),
        2
    );
}

#[tokio::test]
async fn saved_objects_load_under_at_least_the_default_limits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    let item = |id: &str| pb::BomItem {
        id: id.into(),
        material_id: "nd-oxide".into(),
        quantity: "1".into(),
        unit: pb::UnitOfMeasure::Kg as i32,
        ..Default::default()
    };
    let bom = Object::Bom(pb::Bom {
        id: "two".into(),
        currency: "USD".into(),
        items: vec![item("a"), item("b")],
        ..Default::default()
    });
    store
        .put(Kind::Bom, "two", &bom.to_json(), "", Expectation::Any)
        .await
        .unwrap();
    // A server whose requests may hold one item still serves the two-item BOM saved before.
    let strict = Limits {
        max_items: 1,
        ..Limits::default()
    };
    let live = Catalogs::open(Catalog::builtin().unwrap(), store, strict)
        .await
        .unwrap();
    assert!(live.snapshot().bom("two").is_some());
    assert_eq!(live.limits().max_items, 1);

    // And a server with looser limits than the defaults loads what they allowed: a BOM
    // nested one level deeper than the default depth.
    let mut deep = item("leaf");
    for level in 0..Limits::default().max_depth {
        deep = pb::BomItem {
            id: format!("level-{level}"),
            children: vec![deep],
            ..Default::default()
        };
    }
    let deep = Object::Bom(pb::Bom {
        id: "deep".into(),
        currency: "USD".into(),
        items: vec![deep],
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    store
        .put(Kind::Bom, "deep", &deep.to_json(), "", Expectation::Any)
        .await
        .unwrap();
    let loose = Limits {
        max_depth: Limits::default().max_depth + 1,
        ..Limits::default()
    };
    let live = Catalogs::open(Catalog::builtin().unwrap(), store.clone(), loose)
        .await
        .unwrap();
    assert!(live.snapshot().bom("deep").is_some());
    let default = Catalogs::open(Catalog::builtin().unwrap(), store, Limits::default())
        .await
        .unwrap();
    assert!(default.snapshot().bom("deep").is_none());
}
