//! Fault tests (issue #7 item 4) against the real API running as a separate process:
//!
//! * (a) PostgreSQL stopped under load: requests answer 503 `SERVICE_UNAVAILABLE` with
//!   the error body of api.md §1.6, quickly; the process stays up and serves 200s again
//!   by itself once PostgreSQL is back. It runs on a private cluster of its own
//!   ([`PrivateCluster`]), never on the shared server.
//! * (b) SIGTERM under load: requests already sent get full answers, the job a worker
//!   of the process was running is back in the queue at once (not leased until the
//!   lease expires, the attempt not counted), another process finishes it exactly once
//!   (no duplicate image, one charge), and the process exits 0 within the grace period.
//! * (c) a slow-loris attack (connections sending their headers a byte at a time, or
//!   nothing) and a request with 10 000 headers: normal requests are served promptly
//!   throughout, the flood gets a 431 (or a closed connection), slow header reads are
//!   cut off after a bounded time.
//! * (d) concurrent registrations of one email: covered on SQLite and PostgreSQL by
//!   `auth::concurrent_registrations_of_one_email_create_one_account` (50 at once:
//!   exactly one 201, 49 × 409), with the 409 body checked by
//!   `auth::a_registered_email_cannot_register_again` (code, status, message); not
//!   repeated here.

use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use entity::{credits, generated_poses, jobs, pose_generations};
use migration::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use poem::http::StatusCode;
use serde_json::json;
use tests::{
    Backend, TestDb,
    postgres_server::{self, PrivateCluster},
    util::{TempDir, loud},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::api_client::PASSWORD;
use crate::api_processes::{Wire, http, register, request_bytes, spawn};
use crate::pose_generation::{library, setup};

/// Asserts the §1.6 body of a 503 `SERVICE_UNAVAILABLE`.
fn assert_unavailable_body(reply: &Wire) {
    let b = &reply.body;
    assert_eq!(b["success"], json!(false), "{b}");
    assert_eq!(b["error"]["code"], json!("SERVICE_UNAVAILABLE"), "{b}");
    assert_eq!(b["error"]["statusCode"], json!(503), "{b}");
    assert_eq!(
        b["error"]["message"],
        json!("Service temporarily unavailable"),
        "{b}"
    );
    assert!(b["error"].get("details").is_none(), "{b}");
    assert!(
        b["requestId"].as_str().is_some_and(|s| !s.is_empty()),
        "{b}"
    );
    assert!(b["timestamp"].as_str().is_some(), "{b}");
}

/// One request of the load: when it started and ended, and what came back.
#[derive(Debug, Clone)]
struct Sample {
    start: Instant,
    end: Instant,
    reply: Result<Wire, String>,
}

/// (a) PostgreSQL stopped under load → 503 with the error body within a few seconds,
/// the process stays up, and serves 200s again by itself when PostgreSQL is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_load_answers_503_and_recovers() {
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start)
        .await
        .unwrap();
    let cluster = match cluster {
        Ok(Some(cluster)) => Arc::new(cluster),
        Ok(None) | Err(_) => {
            let why = cluster
                .err()
                .unwrap_or_else(|| "no PostgreSQL binaries".into());
            let required = postgres_server::require_postgres(
                std::env::var(postgres_server::REQUIRE_POSTGRES)
                    .ok()
                    .as_deref(),
            );
            assert!(!required, "a private PostgreSQL cluster is required: {why}");
            loud(&format!("=== POSTGRES FAULT TEST SKIPPED: {why} ==="));
            return;
        }
    };
    let files = TempDir::new("faults-pg-").unwrap();
    let mut api = spawn(
        &files,
        &["serve", "--workers", "1"],
        &[
            ("DATABASE_URL", cluster.admin_url.as_str()),
            ("AUTO_MIGRATE", "true"),
            ("RECOVERY_INTERVAL_SECONDS", "1"),
        ],
    )
    .ready()
    .await;
    let pid = api.child.id();
    let log_path = api.log.clone();
    let token = register(api.addr, "outage@example.com").await;
    let auth = format!("Bearer {token}");

    // The load: 6 clients in a loop reading the profile (a database read per request).
    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let mut clients = Vec::new();
    for _ in 0..6 {
        let (stop, samples, auth, addr) = (stop.clone(), samples.clone(), auth.clone(), api.addr);
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                let reply = http(
                    addr,
                    "GET",
                    "/api/auth/profile",
                    &[("Authorization", &auth)],
                    None,
                )
                .await;
                samples.lock().unwrap().push(Sample {
                    start,
                    end: Instant::now(),
                    reply,
                });
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    let count = |from: Instant, status: u16| {
        samples
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.start >= from && s.reply.as_ref().is_ok_and(|r| r.status == status))
            .count()
    };
    let wait_for = async |what: &str, from: Instant, status: u16, n: usize, secs: u64| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while count(from, status) < n {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; samples: {:?}\nlog:\n{}",
                samples
                    .lock()
                    .unwrap()
                    .iter()
                    .rev()
                    .take(10)
                    .collect::<Vec<_>>(),
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let began = Instant::now();
    wait_for("200s before the outage", began, 200, 20, 60).await;

    let stopping = Instant::now();
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.stop_fast())
        .await
        .unwrap()
        .unwrap();
    let stopped = Instant::now();
    wait_for("503s during the outage", stopped, 503, 20, 60).await;
    // A few more seconds of outage, so requests that wait on the pool show up too.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        api.alive(),
        "the API died without its database:\n{}",
        api.log()
    );

    let restarting = Instant::now();
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.start_again())
        .await
        .unwrap()
        .unwrap();
    let restarted = Instant::now();
    wait_for("200s after PostgreSQL is back", restarted, 200, 20, 60).await;
    let recovered = {
        let all = samples.lock().unwrap();
        all.iter()
            .filter(|s| s.start >= restarted && s.reply.as_ref().is_ok_and(|r| r.status == 200))
            .map(|s| s.end)
            .min()
            .unwrap()
    };
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    assert!(api.alive(), "{}", api.log());
    assert_eq!(api.child.id(), pid, "same process, no restart");

    let all = samples.lock().unwrap().clone();
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    let mut slowest_outage = Duration::ZERO;
    for s in &all {
        let key = match &s.reply {
            Ok(r) => r.status.to_string(),
            Err(e) => format!("transport error: {e}"),
        };
        *statuses.entry(key).or_default() += 1;
        // Nothing but 200 or a structured 503, during the whole run, not even while
        // PostgreSQL was going down or coming back; never a 500 or a dropped connection.
        let reply = s.reply.as_ref().unwrap_or_else(|e| {
            panic!(
                "a request failed at the transport level: {e}\n{}",
                api.log()
            )
        });
        match reply.status {
            200 => assert_eq!(reply.body["email"], json!("outage@example.com")),
            503 => assert_unavailable_body(reply),
            other => panic!("unexpected {other}: {}", reply.body),
        }
        // Requests made while PostgreSQL was down answer within a bounded time.
        if s.start >= stopped && s.end <= restarting {
            slowest_outage = slowest_outage.max(s.end - s.start);
        }
    }
    eprintln!(
        "faults(a): {} requests {statuses:?}; pg_ctl stop took {} ms; slowest reply during \
         the outage {} ms; first 200 {} ms after PostgreSQL was back",
        all.len(),
        (stopped - stopping).as_millis(),
        slowest_outage.as_millis(),
        (recovered - restarted).as_millis()
    );
    assert!(
        slowest_outage <= Duration::from_secs(6),
        "a request hung for {} ms while PostgreSQL was down",
        slowest_outage.as_millis()
    );
    drop(api);
}

/// (b) SIGTERM while requests are in flight and a worker runs a pose generation: the
/// requests get full answers, the process exits 0 within the grace period, the job is
/// back in the queue at once (lease cleared, attempt not counted), and another process
/// finishes it: every image once, one charge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sigterm_drains_requests_and_releases_the_running_job() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let s = setup(&db, &[("WORKER_CONCURRENCY", "0")]).await;
    let poses = library(&s.state, false).await;
    s.grant(1000).await;
    let project = s.project(json!({ "projectName": "Drain" })).await;
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                     "selectedPoseIds": poses, "batchSize": 2 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    let conn = s.state.db.clone();
    let files = TempDir::new("faults-term-").unwrap();
    let vars = [
        ("DATABASE_URL", db.url.as_str()),
        ("AUTO_MIGRATE", "false"),
        // Long enough that only a release, not an expired lease, frees the job.
        ("JOB_LEASE_SECONDS", "120"),
        ("RECOVERY_INTERVAL_SECONDS", "1"),
        ("LOCAL_PROVIDER_DELAY_MS", "1500"),
        // Registrations slow enough to be still running when SIGTERM arrives.
        ("BCRYPT_COST", "11"),
    ];
    let mut first = spawn(&files, &["serve", "--workers", "1"], &vars)
        .ready()
        .await;

    // Mid-generation: at least one image stored, the job running under a lease.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let g = pose_generations::Entity::find_by_id(id.as_str())
            .one(&conn)
            .await
            .unwrap()
            .unwrap();
        if g.poses_completed >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no image from the first process: {g:?}\n{}",
            first.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let job = job_of(&conn, &id).await;
    assert_eq!((job.status.as_str(), job.attempts), ("running", 1));
    assert!(job.lease_owner.is_some());

    // Requests in flight at SIGTERM: registrations (bcrypt makes them take a while),
    // each on a connection that has already been served once, so it is accepted.
    let mut in_flight = Vec::new();
    for i in 0..4 {
        let mut stream = TcpStream::connect(first.addr).await.unwrap();
        let body = json!({ "email": format!("drain{i}@example.com"), "password": PASSWORD });
        let mut bytes = request_bytes("GET", "/health", &[], None);
        // Keep-alive for the first request, then the registration.
        bytes = String::from_utf8(bytes)
            .unwrap()
            .replace("Connection: close\r\n", "")
            .into_bytes();
        stream.write_all(&bytes).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        stream
            .write_all(&request_bytes(
                "POST",
                "/api/auth/register",
                &[],
                Some(&body),
            ))
            .await
            .unwrap();
        in_flight.push(stream);
    }
    // Let the server read them (each connection is already being served).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stored_before = generated_poses::Entity::find()
        .filter(generated_poses::Column::GenerationId.eq(id.as_str()))
        .all(&conn)
        .await
        .unwrap()
        .len();
    let terminated = Instant::now();
    first.sigterm();

    let replies = futures_util::future::join_all(in_flight.iter_mut().map(async |stream| {
        // The first reply (the /health answer) was consumed above, only partially perhaps;
        // read everything left and take the last reply.
        let mut raw = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw)).await;
        (
            read.map(|r| r.map(|_| ())),
            String::from_utf8_lossy(&raw).into_owned(),
        )
    }))
    .await;
    let status = first.exited(Duration::from_secs(40)).await;
    let exit_after = terminated.elapsed();
    for (read, raw) in &replies {
        assert!(
            matches!(read, Ok(Ok(()))),
            "reading an in-flight reply failed: {read:?}\n{}",
            first.log()
        );
        let last = raw.rfind("HTTP/1.1 ").map(|at| &raw[at..]).unwrap_or(raw);
        assert!(
            last.starts_with("HTTP/1.1 201"),
            "an in-flight request did not get its full answer: {raw:?}\n{}",
            first.log()
        );
        assert!(last.contains("\"token\""), "{raw:?}");
    }
    let status =
        status.unwrap_or_else(|| panic!("still running 40 s after SIGTERM:\n{}", first.log()));
    assert!(status.success(), "exit status {status:?}:\n{}", first.log());
    assert!(
        exit_after < Duration::from_secs(30),
        "exit took {} ms, past the 30 s grace period",
        exit_after.as_millis()
    );
    // They were in flight: the server finished them after the signal.
    let log = first.log();
    let signal = log
        .find("shutdown signal received")
        .expect("the server logged the signal");
    let after = log[signal..]
        .lines()
        .filter(|l| l.contains("path=/api/auth/register") && l.contains("status=201"))
        .count();
    assert_eq!(after, 4, "registrations finished after SIGTERM:\n{log}");

    // The job is claimable at once: queued, no lease, the interrupted attempt not
    // counted, due now; the generation is pending again.
    let job = job_of(&conn, &id).await;
    let now = chrono::Utc::now().naive_utc();
    assert_eq!(job.status, "queued", "{job:?}\n{}", first.log());
    assert_eq!(
        (job.lease_owner.as_deref(), job.lease_expires_at),
        (None, None),
        "{job:?}"
    );
    assert_eq!(
        job.attempts, 0,
        "a shutdown is not a failed attempt: {job:?}"
    );
    assert!(
        job.run_after <= now + chrono::Duration::seconds(1),
        "{job:?}"
    );
    let g = pose_generations::Entity::find_by_id(id.as_str())
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(g.status, "pending", "{g:?}");
    assert!(g.poses_completed < 6, "interrupted in the middle: {g:?}");
    drop(first);

    let second = spawn(
        &files,
        &["worker", "--workers", "1"],
        &[
            ("DATABASE_URL", db.url.as_str()),
            ("AUTO_MIGRATE", "false"),
            ("JOB_LEASE_SECONDS", "120"),
            ("RECOVERY_INTERVAL_SECONDS", "1"),
            ("LOCAL_PROVIDER_DELAY_MS", "0"),
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    let done = loop {
        let g = pose_generations::Entity::find_by_id(id.as_str())
            .one(&conn)
            .await
            .unwrap()
            .unwrap();
        if g.status == "completed" {
            break g;
        }
        assert!(
            Instant::now() < deadline,
            "the second process did not finish: {g:?}\n{}",
            second.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((done.poses_completed, done.poses_failed), (6, 0));
    let rows = generated_poses::Entity::find()
        .filter(generated_poses::Column::GenerationId.eq(id.as_str()))
        .all(&conn)
        .await
        .unwrap();
    let keys: HashSet<_> = rows.iter().map(|r| r.variation_key.clone()).collect();
    assert_eq!((rows.len(), keys.len()), (6, 6), "every image exactly once");
    let ledger = credits::Entity::find()
        .filter(credits::Column::ReferenceId.eq(id.as_str()))
        .all(&conn)
        .await
        .unwrap();
    assert_eq!(ledger.len(), 1, "one charge, no refund: {ledger:?}");
    assert_eq!(ledger[0].amount, -180);
    let job = job_of(&conn, &id).await;
    assert_eq!((job.status.as_str(), job.attempts), ("succeeded", 1));
    eprintln!(
        "faults(b): {stored_before} of 6 images stored at SIGTERM; exit 0 after {} ms; \
         4 registrations in flight at SIGTERM answered 201",
        exit_after.as_millis()
    );
}

async fn job_of(conn: &migration::sea_orm::DatabaseConnection, id: &str) -> jobs::Model {
    jobs::Entity::find()
        .filter(jobs::Column::ReferenceId.eq(id))
        .one(conn)
        .await
        .unwrap()
        .unwrap()
}

/// (c) Slow-loris connections and a 10 000-header request do not take the server down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_and_header_floods_do_not_take_the_server_down() {
    let files = TempDir::new("faults-loris-").unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        files.path().join("db.sqlite").display()
    );
    let mut api = spawn(
        &files,
        &["serve", "--workers", "0"],
        &[("DATABASE_URL", url.as_str()), ("AUTO_MIGRATE", "true")],
    )
    .ready()
    .await;
    let addr = api.addr;

    // 100 connections sending a request's headers one byte every 300 ms, and 20 that
    // send nothing at all; each records when the server closed it.
    const SLOW: usize = 100;
    const SILENT: usize = 20;
    let attack_start = Instant::now();
    let mut attackers = Vec::new();
    for i in 0..SLOW + SILENT {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        attackers.push(tokio::spawn(async move {
            let head = format!("GET /health HTTP/1.1\r\nHost: test\r\nX-Slow-{i}: ");
            let mut bytes = head.into_bytes().into_iter().chain(std::iter::repeat(b'a'));
            let mut buf = [0u8; 1024];
            loop {
                if i < SLOW {
                    let byte = [bytes.next().unwrap()];
                    if stream.write_all(&byte).await.is_err() {
                        return Instant::now();
                    }
                }
                // Closed by the server: read gives EOF or an error.
                match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await
                {
                    Ok(Ok(0) | Err(_)) => return Instant::now(),
                    Ok(Ok(_)) => return Instant::now(), // an error reply, then the close
                    Err(_) => {}
                }
            }
        }));
    }

    // Normal requests keep being served promptly during the attack.
    let mut slowest = Duration::ZERO;
    let mut served = 0;
    while attack_start.elapsed() < Duration::from_secs(5) {
        let t = Instant::now();
        let reply = tokio::time::timeout(
            Duration::from_secs(5),
            http(addr, "GET", "/api/health", &[], None),
        )
        .await
        .expect("a normal request hung during the attack")
        .unwrap();
        assert_eq!(reply.status, 200, "{reply:?}");
        slowest = slowest.max(t.elapsed());
        served += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        slowest < Duration::from_secs(2),
        "normal requests slowed to {} ms",
        slowest.as_millis()
    );

    // 10 000 headers: a 431 or a closed connection, never a crash.
    let mut flood = b"GET /api/health HTTP/1.1\r\nHost: test\r\n".to_vec();
    for i in 0..10_000 {
        flood.extend_from_slice(format!("X-Flood-{i}: {i}\r\n").as_bytes());
    }
    flood.extend_from_slice(b"Connection: close\r\n\r\n");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let _ = stream.write_all(&flood).await; // the server may close before reading it all
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("the 10 000-header request hung");
    let flood_reply = String::from_utf8_lossy(&raw).into_owned();
    let flood_status = flood_reply.split(' ').nth(1).unwrap_or("closed").to_owned();
    assert!(
        flood_reply.is_empty()
            || flood_reply.starts_with("HTTP/1.1 431")
            || flood_reply.starts_with("HTTP/1.1 4"),
        "{flood_reply:?}"
    );
    assert!(api.alive(), "the server died:\n{}", api.log());
    let reply = http(addr, "GET", "/api/health", &[], None).await.unwrap();
    assert_eq!(reply.status, 200);

    // Every slow connection is cut off after a bounded time.
    let mut latest = Duration::ZERO;
    for attacker in attackers {
        let closed =
            tokio::time::timeout_at((attack_start + Duration::from_secs(40)).into(), attacker)
                .await
                .expect("a slow-loris connection was still open after 40 s")
                .unwrap();
        latest = latest.max(closed - attack_start);
    }
    assert!(api.alive(), "{}", api.log());
    let reply = http(addr, "GET", "/api/health", &[], None).await.unwrap();
    assert_eq!(reply.status, 200);
    eprintln!(
        "faults(c): {served} normal requests during the attack, slowest {} ms; \
         10 000 headers -> {flood_status}; {SLOW} slow + {SILENT} silent connections all \
         closed by {} ms",
        slowest.as_millis(),
        latest.as_millis()
    );
}
