//! Pose generation across real worker processes on one PostgreSQL database (api.md
//! §8.3): a worker killed mid-generation is replaced by another that finishes the work
//! after the lease expires, and three server processes share 30 generations with
//! every variation generated exactly once.

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use entity::{credits, generated_poses, jobs, pose_generations};
use migration::sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use poem::http::StatusCode;
use serde_json::json;
use tests::{Backend, TestDb, util::TempDir};

use crate::api_processes::{self, Process};
use crate::pose_generation::{library, setup};

/// `api <args>` against `db`, with a short lease and a quick recovery sweep.
fn spawn(db: &TestDb, files: &TempDir, args: &[&str], delay_ms: u32) -> Process {
    let delay_ms = delay_ms.to_string();
    api_processes::spawn(
        files,
        args,
        &[
            ("DATABASE_URL", db.url.as_str()),
            ("AUTO_MIGRATE", "false"),
            ("JOB_LEASE_SECONDS", "4"),
            ("RECOVERY_INTERVAL_SECONDS", "1"),
            ("LOCAL_PROVIDER_DELAY_MS", delay_ms.as_str()),
        ],
    )
}

async fn generation(db: &DatabaseConnection, id: &str) -> pose_generations::Model {
    pose_generations::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

/// Polls `done` until it holds; on timeout panics with the processes' log.
async fn wait_until<F, Fut>(what: &str, timeout: Duration, files: &TempDir, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !done().await {
        if Instant::now() >= deadline {
            let log = api_processes::logs(files.path());
            panic!("timed out waiting for {what}; the processes logged:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `kill -9` of the worker process in the middle of a generation: after its lease
/// expires another process requeues and finishes the work, skipping the variations
/// already stored; one charge, no refund, no duplicate pose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_killed_worker_process_is_replaced() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let s = setup(&db, &[("WORKER_CONCURRENCY", "0")]).await;
    let poses = library(&s.state, false).await;
    s.grant(100).await;
    let project = s.project(json!({ "projectName": "Crash" })).await;
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": poses, "batchSize": 2 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    let files = TempDir::new("pose-workers-").unwrap();

    let first = spawn(&db, &files, &["worker", "--workers", "1"], 700);
    let conn = s.state.db.clone();
    wait_until(
        "two poses from the first worker",
        Duration::from_secs(60),
        &files,
        || {
            let conn = conn.clone();
            let id = id.clone();
            async move { generation(&conn, &id).await.poses_completed >= 2 }
        },
    )
    .await;
    drop(first); // SIGKILL: no cleanup, the lease stays until it expires.
    let stored = generated_poses::Entity::find().count(&conn).await.unwrap();
    assert!(stored < 6, "killed in the middle ({stored} stored)");

    let _second = spawn(&db, &files, &["worker", "--workers", "1"], 0);
    wait_until(
        "the second worker to finish",
        Duration::from_secs(90),
        &files,
        || {
            let conn = conn.clone();
            let id = id.clone();
            async move { generation(&conn, &id).await.status == "completed" }
        },
    )
    .await;
    let done = generation(&conn, &id).await;
    assert_eq!(
        (
            done.poses_completed,
            done.poses_failed,
            done.recovery_attempts
        ),
        (6, 0, 1)
    );
    let rows = generated_poses::Entity::find().all(&conn).await.unwrap();
    assert_eq!(rows.len(), 6);
    let keys: HashSet<_> = rows
        .iter()
        .map(|r| r.variation_key.clone().unwrap())
        .collect();
    assert_eq!(keys.len(), 6);
    let ledger = credits::Entity::find()
        .filter(credits::Column::ReferenceId.eq(id.as_str()))
        .all(&conn)
        .await
        .unwrap();
    assert_eq!(ledger.len(), 1, "one charge, no refund: {ledger:?}");
    assert_eq!(ledger[0].amount, -180);
    let job = jobs::Entity::find()
        .filter(jobs::Column::ReferenceId.eq(id.as_str()))
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("succeeded", 2));
}

/// Three server processes with two workers each on one database, 30 generations of
/// 2 images: every generation finishes and every variation exists exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_three_servers_share_thirty_generations() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let s = setup(&db, &[("WORKER_CONCURRENCY", "0")]).await;
    s.grant(2000).await;
    let project = s.project(json!({ "projectName": "Crowd" })).await;
    let files = TempDir::new("pose-servers-").unwrap();
    let _servers: Vec<Process> = (0..3)
        .map(|_| spawn(&db, &files, &["serve", "--workers", "2"], 20))
        .collect();
    let mut ids = Vec::new();
    for _ in 0..30 {
        let reply = s
            .post(
                "/generate",
                &json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION",
                                        "textPrompt": "standing pose", "variationCount": 2 }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
        ids.push(reply.body["generationId"].as_str().unwrap().to_owned());
    }
    let conn = s.state.db.clone();
    wait_until("30 generations", Duration::from_secs(180), &files, || {
        let conn = conn.clone();
        async move {
            let all = pose_generations::Entity::find().all(&conn).await.unwrap();
            all.iter().filter(|g| g.status == "completed").count() == 30
        }
    })
    .await;
    let rows = generated_poses::Entity::find().all(&conn).await.unwrap();
    assert_eq!(rows.len(), 60);
    let pairs: HashSet<_> = rows
        .iter()
        .map(|r| (r.generation_id.clone(), r.variation_key.clone()))
        .collect();
    assert_eq!(pairs.len(), 60, "every variation exactly once");
    assert!(rows.iter().all(|r| r.status == "completed"));
    let succeeded = jobs::Entity::find()
        .filter(jobs::Column::Status.eq("succeeded"))
        .count(&conn)
        .await
        .unwrap();
    assert_eq!(succeeded, 30);
    let attempts: i32 = jobs::Entity::find()
        .all(&conn)
        .await
        .unwrap()
        .iter()
        .map(|j| j.attempts)
        .sum();
    assert_eq!(attempts, 30, "no job was claimed twice");
    for id in &ids {
        assert_eq!(generation(&conn, id).await.poses_completed, 2);
    }
}

tests::dual_test!(a_claim_takes_exactly_one_job);
/// A claim takes exactly one job however many are due. (PostgreSQL may rescan an
/// `IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)` semi-join and mark one row per
/// rescan running: jobs nobody works on, whose leases then burn their attempts.)
async fn a_claim_takes_exactly_one_job(db: TestDb) {
    let conn = db.connect_migrated().await;
    for i in 0..40 {
        api::jobs::queue::enqueue(
            &conn,
            api::pose_generator::job::JOB_KIND,
            &format!("ref-{i}"),
            &json!({}),
            0,
        )
        .await
        .unwrap();
    }
    for round in 1..=3 {
        let claimed = api::jobs::queue::claim(&conn, "w", Duration::from_secs(60))
            .await
            .unwrap();
        assert!(claimed.is_some());
        let running = jobs::Entity::find()
            .filter(jobs::Column::Status.eq("running"))
            .count(&conn)
            .await
            .unwrap();
        assert_eq!(running, round, "one more running job per claim");
    }
}
