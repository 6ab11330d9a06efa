//! What every engine must do, one function per rule, each on its own ids so they can share a
//! store. The engine-specific tests in `main.rs` call them in turn.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tariff_impact::store::{
    CatalogStore, Change, ConflictReason, Expectation, Kind, StoreError, StoreLimits,
};

pub(crate) type Store = Arc<dyn CatalogStore>;

/// Limits small enough to reach in a test; a store opened with them must start empty.
pub(crate) const SMALL: StoreLimits = StoreLimits {
    max_body_bytes: 64,
    max_objects: 3,
    max_id_bytes: 16,
};

fn body(n: i64) -> String {
    format!(r#"{{"id":"x","source":"test","n":{n}}}"#)
}

/// Every rule on `store`, and the limits on `small` (opened empty with [`SMALL`]).
pub(crate) async fn all(store: &Store, small: &Store) {
    create_then_get(store).await;
    update_with_the_right_etag_keeps_version_1(store).await;
    stale_etag_is_a_conflict_naming_the_current_etag(store).await;
    create_of_an_existing_id_is_a_conflict(store).await;
    delete_writes_a_tombstone(store).await;
    pages_of_2_return_5_objects_once_in_order(store).await;
    fifty_concurrent_puts_get_versions_1_to_50(store).await;
    changes_since_replays_writes_in_order(store).await;
    limits_refuse_large_bodies_and_extra_objects(small).await;
}

async fn create_then_get(store: &Store) {
    let r = store
        .put(
            Kind::Bom,
            "create-get",
            &body(1),
            "2026-01-01",
            Expectation::MustNotExist,
        )
        .await
        .unwrap();
    assert_eq!((r.version, r.deleted), (1, false));
    let got = store.get(Kind::Bom, "create-get", None).await.unwrap();
    assert_eq!(got, r);
    assert_eq!((got.body, got.as_of_date.as_str()), (body(1), "2026-01-01"));
    let missing = store.get(Kind::Bom, "never-written", None).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

async fn update_with_the_right_etag_keeps_version_1(store: &Store) {
    let v1 = store
        .put(
            Kind::PriceDeck,
            "upd",
            &body(1),
            "",
            Expectation::MustNotExist,
        )
        .await
        .unwrap();
    let v2 = store
        .put(
            Kind::PriceDeck,
            "upd",
            &body(2),
            "",
            Expectation::Etag(v1.etag.clone()),
        )
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_ne!(v2.etag, v1.etag);
    assert_eq!(
        store.get(Kind::PriceDeck, "upd", None).await.unwrap().body,
        body(2)
    );
    assert_eq!(
        store
            .get(Kind::PriceDeck, "upd", Some(1))
            .await
            .unwrap()
            .body,
        body(1)
    );
}

async fn stale_etag_is_a_conflict_naming_the_current_etag(store: &Store) {
    let v1 = store
        .put(
            Kind::TariffSchedule,
            "stale",
            &body(1),
            "",
            Expectation::Any,
        )
        .await
        .unwrap();
    let v2 = store
        .put(
            Kind::TariffSchedule,
            "stale",
            &body(2),
            "",
            Expectation::Etag(v1.etag.clone()),
        )
        .await
        .unwrap();
    let err = store
        .put(
            Kind::TariffSchedule,
            "stale",
            &body(3),
            "",
            Expectation::Etag(v1.etag),
        )
        .await
        .unwrap_err();
    match err {
        StoreError::Conflict {
            current_etag,
            reason,
            ..
        } => {
            assert_eq!(current_etag, v2.etag);
            assert_eq!(reason, ConflictReason::EtagMismatch);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let latest = store
        .get(Kind::TariffSchedule, "stale", None)
        .await
        .unwrap();
    assert_eq!(
        latest.version, 2,
        "a refused write leaves no version behind"
    );
}

async fn create_of_an_existing_id_is_a_conflict(store: &Store) {
    let v1 = store
        .put(Kind::Bom, "dup", &body(1), "", Expectation::MustNotExist)
        .await
        .unwrap();
    let err = store
        .put(Kind::Bom, "dup", &body(2), "", Expectation::MustNotExist)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { current_etag, reason: ConflictReason::AlreadyExists, .. }
            if *current_etag == v1.etag),
        "{err:?}"
    );
}

async fn delete_writes_a_tombstone(store: &Store) {
    let k = Kind::ScheduleOverlay;
    let v1 = store
        .put(k, "gone", &body(1), "", Expectation::Any)
        .await
        .unwrap();
    store
        .put(k, "kept", &body(1), "", Expectation::Any)
        .await
        .unwrap();
    let stale = store.delete(k, "gone", Some("not-the-etag")).await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    let tomb = store.delete(k, "gone", Some(&v1.etag)).await.unwrap();
    assert_eq!((tomb.version, tomb.deleted), (2, true));
    let latest = store.get(k, "gone", None).await;
    assert!(
        matches!(latest, Err(StoreError::NotFound { .. })),
        "{latest:?}"
    );
    assert_eq!(store.get(k, "gone", Some(1)).await.unwrap().body, body(1));
    let again = store.delete(k, "gone", None).await;
    assert!(
        matches!(again, Err(StoreError::NotFound { .. })),
        "{again:?}"
    );
    let ids: Vec<String> = (store.list_latest(Some(k), 0, "").await.unwrap().revisions)
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["kept"]);
    let history = store.versions(k, "gone").await.unwrap();
    let flags: Vec<(i64, bool)> = history.iter().map(|r| (r.version, r.deleted)).collect();
    assert_eq!(flags, [(1, false), (2, true)]);
    // Recreated after a delete, the numbering goes on: `gone@1` still means the first body.
    let back = store
        .put(k, "gone", &body(3), "", Expectation::MustNotExist)
        .await
        .unwrap();
    assert_eq!(back.version, 3);
}

async fn pages_of_2_return_5_objects_once_in_order(store: &Store) {
    // Written out of order; FX decks are this rule's alone.
    for id in ["fx-c", "fx-a", "fx-e", "fx-b", "fx-d"] {
        store
            .put(Kind::FxDeck, id, &body(1), "", Expectation::Any)
            .await
            .unwrap();
    }
    let (mut seen, mut token, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let page = store
            .list_latest(Some(Kind::FxDeck), 2, &token)
            .await
            .unwrap();
        assert!(page.revisions.len() <= 2);
        seen.extend(page.revisions.into_iter().map(|r| r.id));
        pages += 1;
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, ["fx-a", "fx-b", "fx-c", "fx-d", "fx-e"]);
    assert_eq!(pages, 3);
    let all = store.list_latest(None, 0, "").await.unwrap();
    let keys: Vec<(Kind, String)> = all
        .revisions
        .iter()
        .map(|r| (r.kind, r.id.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| (a.0.as_str(), &a.1).cmp(&(b.0.as_str(), &b.1)));
    assert_eq!(keys, sorted, "ordered by (kind name, id)");
    // Paging across kinds (no filter) visits the same objects as one page.
    let (mut paged, mut token) = (Vec::new(), String::new());
    loop {
        let page = store.list_latest(None, 2, &token).await.unwrap();
        paged.extend(page.revisions.into_iter().map(|r| (r.kind, r.id)));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(paged, keys);
    let bad = store.list_latest(None, 2, "garbage").await;
    assert!(matches!(bad, Err(StoreError::InvalidPageToken)), "{bad:?}");
}

async fn fifty_concurrent_puts_get_versions_1_to_50(store: &Store) {
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let store = Arc::clone(store);
            tokio::spawn(async move {
                store
                    .put(Kind::Bom, "hot", &body(n), "", Expectation::Any)
                    .await
                    .map(|r| r.version)
            })
        })
        .collect();
    let mut versions = BTreeSet::new();
    for t in tasks {
        let v = t.await.unwrap().unwrap();
        assert!(versions.insert(v), "version {v} given twice");
    }
    assert_eq!(versions, (1..=50).collect::<BTreeSet<i64>>());
    let history = store.versions(Kind::Bom, "hot").await.unwrap();
    let numbers: Vec<i64> = history.iter().map(|r| r.version).collect();
    assert_eq!(numbers, (1..=50).collect::<Vec<i64>>());
}

/// Two stores on one database (two replicas on PostgreSQL; a server and a CLI import on one
/// SQLite file), 25 concurrent puts each to one id: versions 1..50, no gap, no duplicate.
pub(crate) async fn two_handles_writing_one_id_get_versions_1_to_50(a: &Store, b: &Store) {
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let store = Arc::clone(if n % 2 == 0 { a } else { b });
            tokio::spawn(async move {
                store
                    .put(
                        Kind::PriceDeck,
                        "shared-hot",
                        &body(n),
                        "",
                        Expectation::Any,
                    )
                    .await
                    .map(|r| r.version)
            })
        })
        .collect();
    let mut versions = BTreeSet::new();
    for t in tasks {
        let v = t.await.unwrap().unwrap();
        assert!(versions.insert(v), "version {v} given twice");
    }
    assert_eq!(versions, (1..=50).collect::<BTreeSet<i64>>());
}

async fn changes_since_replays_writes_in_order(store: &Store) {
    let mut rx = store.subscribe();
    let first = store
        .put(Kind::Bom, "replay-1", &body(1), "", Expectation::Any)
        .await
        .unwrap();
    store
        .put(Kind::Bom, "replay-2", &body(1), "", Expectation::Any)
        .await
        .unwrap();
    let after = store.changes_since(first.seq - 1, 10).await.unwrap();
    let ids: Vec<&str> = after.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["replay-1", "replay-2"]);
    let expected = Change {
        kind: Kind::Bom,
        id: "replay-1".into(),
        version: 1,
    };
    assert_eq!(next_notice_for(&mut rx, "replay-1").await, expected);
}

async fn limits_refuse_large_bodies_and_extra_objects(small: &Store) {
    let big = "x".repeat(SMALL.max_body_bytes + 1);
    let err = small
        .put(Kind::Bom, "big", &big, "", Expectation::Any)
        .await;
    assert!(
        matches!(
            err,
            Err(StoreError::TooLarge {
                size: 65,
                limit: 64
            })
        ),
        "{err:?}"
    );
    let long = "i".repeat(SMALL.max_id_bytes + 1);
    let err = small
        .put(Kind::Bom, &long, "{}", "", Expectation::Any)
        .await;
    assert!(matches!(err, Err(StoreError::InvalidId { .. })), "{err:?}");
    let err = small
        .put(Kind::Bom, "a@2", "{}", "", Expectation::Any)
        .await;
    assert!(matches!(err, Err(StoreError::InvalidId { .. })), "{err:?}");
    for id in ["l1", "l2", "l3"] {
        small
            .put(Kind::Bom, id, "{}", "", Expectation::Any)
            .await
            .unwrap();
    }
    let err = small
        .put(Kind::PriceDeck, "l4", "{}", "", Expectation::Any)
        .await;
    assert!(
        matches!(err, Err(StoreError::TooMany { limit: 3 })),
        "{err:?}"
    );
    // Updating an existing object is still allowed at the limit; a delete frees a place.
    small
        .put(Kind::Bom, "l1", "{}", "", Expectation::Any)
        .await
        .unwrap();
    small.delete(Kind::Bom, "l2", None).await.unwrap();
    small
        .put(Kind::PriceDeck, "l4", "{}", "", Expectation::Any)
        .await
        .unwrap();
}

/// The first notice about `id`, skipping notices of earlier rules' writes still on their way.
/// Bounded at 5 s only to fail a hang: a notice normally arrives in milliseconds.
pub(crate) async fn next_notice_for(
    rx: &mut tokio::sync::broadcast::Receiver<Change>,
    id: &str,
) -> Change {
    let wait = async {
        loop {
            let notice = rx.recv().await.expect("subscription open");
            if notice.id == id {
                return notice;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .unwrap_or_else(|_| panic!("no notice for {id} within 5 s"))
}
