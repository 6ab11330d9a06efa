//! Two replicas (in-process servers) sharing one PostgreSQL database: a BOM saved on one is
//! costed by id on the other once its snapshot follows (NOTIFY, or the 1 s poll); an update
//! made on the second reaches the first the same way; "id@1" costs the same before and after
//! later updates. The time each write took to be seen is printed, not asserted (the issue
//! asks for "within a second"; a loaded machine must not fail the test).

use crate::common::{TestServer, calculate};
use crate::pg_server::PgServer;
use crate::service::{
    V1, V2, bom_obj, bom_ref, config, costs, create, ev_high_ree_as, readme, update, with_nd,
};
use std::time::{Duration, Instant};
use tariff_impact::pb;
use tariff_impact::server::Storage;

/// Calls CalculateImpact on `server` with `json` every 20 ms until it answers with the BOM at
/// `version`; fails after 10 s. Returns the answer and how long it took.
async fn poll_until_costed(
    server: &TestServer,
    json: serde_json::Value,
    version: i64,
) -> (pb::CalculateImpactResponse, Duration) {
    let mut client = server.costs().await;
    let start = Instant::now();
    let give_up = start + Duration::from_secs(10);
    loop {
        let outcome = client
            .calculate_impact(crate::common::request(json.clone()))
            .await;
        match outcome {
            Ok(r) => {
                let r = r.into_inner();
                if bom_ref(&r).1 == version {
                    return (r, start.elapsed());
                }
            }
            Err(s) => assert_eq!(s.code(), tonic::Code::NotFound, "{s:?}"),
        }
        assert!(
            Instant::now() < give_up,
            "the other replica did not see version {version} within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Calls CalculateImpact on `server` every 20 ms until it answers NOT_FOUND; fails after 10 s.
async fn poll_until_gone(server: &TestServer, json: serde_json::Value) -> Duration {
    let mut client = server.costs().await;
    let start = Instant::now();
    loop {
        match client
            .calculate_impact(crate::common::request(json.clone()))
            .await
        {
            Err(s) if s.code() == tonic::Code::NotFound => return start.elapsed(),
            Err(s) => panic!("{s:?}"),
            Ok(_) => {}
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the other replica still costs a deleted BOM after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_one_replica_is_costed_on_the_other() {
    let Some(pg) = PgServer::start_or_skip("a_write_on_one_replica_is_costed_on_the_other") else {
        return;
    };
    let url = pg.create_db("replicas").await;
    {
        let a = TestServer::start_with(config(Storage::Postgres(url.clone()))).await;
        let b = TestServer::start_with(config(Storage::Postgres(url.clone()))).await;
        let mut ca = a.catalog().await;
        let mut cb = b.catalog().await;
        let bom = ev_high_ree_as(&mut ca, "team-ev").await;

        let v1 = create(&mut ca, bom_obj(bom.clone())).await.unwrap();
        assert_eq!(v1.version, 1);
        let (r, seen) = poll_until_costed(&b, readme("team-ev"), 1).await;
        eprintln!("replica B costed team-ev@1 written on A after {seen:?}");
        assert_eq!(costs(&r), V1);
        let pinned_before = calculate(&b, readme("team-ev@1")).await;
        assert_eq!(costs(&pinned_before), V1);

        // Updated on B under A's etag: A sees version 2.
        let v2 = update(&mut cb, bom_obj(with_nd(bom.clone(), "2.0")), &v1.etag)
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        let (r, seen) = poll_until_costed(&a, readme("team-ev"), 2).await;
        eprintln!("replica A costed team-ev@2 written on B after {seen:?}");
        assert_eq!(costs(&r), V2);

        // A's etag is stale on either replica now.
        let stale = update(&mut ca, bom_obj(bom.clone()), &v1.etag)
            .await
            .unwrap_err();
        assert_eq!(stale.code(), tonic::Code::Aborted, "{stale:?}");
        assert!(stale.message().contains(&v2.etag), "{stale:?}");

        // Version 1 on B, after the update: the same result, to the last field.
        let pinned_after = calculate(&b, readme("team-ev@1")).await;
        assert_eq!(pinned_after, pinned_before);
        // And on A too.
        assert_eq!(calculate(&a, readme("team-ev@1")).await, pinned_before);

        // Deleted on A: B stops costing the id (polled the same way), still costs "@1".
        let tomb = ca
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
        let seen = poll_until_gone(&b, readme("team-ev")).await;
        eprintln!("replica B stopped costing team-ev deleted on A after {seen:?}");
        assert_eq!(calculate(&b, readme("team-ev@1")).await, pinned_before);

        a.stop().await;
        b.stop().await;
    }
    pg.drop_db("replicas").await;
}
