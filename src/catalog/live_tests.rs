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
