//! Figure 6: generation throughput with the `local` image provider
//! (`LOCAL_PROVIDER_DELAY_MS=0`, so the time is the real work: rendering, encoding and
//! storing each image and recording it). For each worker count, on a fresh migrated and
//! seeded database: an API without workers takes [`GENERATIONS`] gallery generations
//! (the queue then holds every pose), it is stopped, and `api serve --workers N` works
//! the queue off. Poses per second = poses completed / (last `completedAt` − first
//! `startedAt`), checked exact: every generation completed, every pose stored.

use std::path::Path;
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

use crate::postgres_server::Server;

use super::load::{self, Target};

pub const WORKER_COUNTS: &[u32] = &[1, 2, 4];
/// Generations submitted per run.
pub const GENERATIONS: usize = 24;
/// Library poses per generation, and variations of each.
pub const POSES_PER_GENERATION: usize = 5;
pub const BATCH_SIZE: usize = 2;
/// Poses in the queue per run.
pub const POSES: usize = GENERATIONS * POSES_PER_GENERATION * BATCH_SIZE;
const PG: &str = "/api/apps/pose-generator";
/// Give up waiting for the queue after this long.
const TIMEOUT: Duration = Duration::from_secs(600);

/// One worker count's result.
#[derive(Debug, Clone)]
pub struct Run {
    pub workers: u32,
    /// Poses completed (stored with status `completed`).
    pub poses: u64,
    /// First `startedAt` to last `completedAt`.
    pub elapsed: Duration,
    /// Everything that was not exactly as expected (empty = exact).
    pub problems: Vec<String>,
}

impl Run {
    pub fn poses_per_second(&self) -> f64 {
        self.poses as f64 / self.elapsed.as_secs_f64()
    }
}

/// Everything figure 6 measured.
#[derive(Debug, Clone)]
pub struct Figure {
    pub runs: Vec<Result<Run, String>>,
}

async fn request(target: &Target) -> Result<Value, String> {
    let (status, body) = load::fetch(target).await?;
    if status != target.expect {
        return Err(format!(
            "{} {}: {status}: {}",
            target.method,
            target.path,
            String::from_utf8_lossy(&body[..body.len().min(300)])
        ));
    }
    serde_json::from_slice(&body).map_err(|e| format!("{}: {e}", target.path))
}

async fn scalar_row(
    db: &DatabaseConnection,
    sql: &str,
    user_id: &str,
) -> Result<migration::sea_orm::QueryResult, String> {
    db.query_one_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        vec![user_id.into()],
    ))
    .await
    .map_err(|e| e.to_string())?
    .ok_or_else(|| "no row".to_owned())
}

/// What the database says about the user's generations.
#[derive(Debug)]
struct State {
    total: i64,
    finished: i64,
    completed: i64,
    poses_completed: i64,
    poses_failed: i64,
    stored_poses: i64,
    seconds: Option<f64>,
}

async fn state(db: &DatabaseConnection, user_id: &str) -> Result<State, String> {
    let row = scalar_row(
        db,
        r#"SELECT count(*) AS total,
  count(*) FILTER (WHERE g."status" IN ('completed', 'failed', 'partial')) AS finished,
  count(*) FILTER (WHERE g."status" = 'completed') AS completed,
  COALESCE(sum(g."posesCompleted"), 0)::bigint AS poses_completed,
  COALESCE(sum(g."posesFailed"), 0)::bigint AS poses_failed,
  (SELECT count(*) FROM "generated_poses" p JOIN "pose_generations" x ON x."id" = p."generationId"
    WHERE x."userId" = $1 AND p."status" = 'completed') AS stored_poses,
  EXTRACT(EPOCH FROM max(g."completedAt") - min(g."startedAt"))::float8 AS seconds
FROM "pose_generations" g WHERE g."userId" = $1"#,
        user_id,
    )
    .await?;
    let get = |name: &str| -> Result<i64, String> {
        row.try_get::<i64>("", name)
            .map_err(|e| format!("{name}: {e}"))
    };
    Ok(State {
        total: get("total")?,
        finished: get("finished")?,
        completed: get("completed")?,
        poses_completed: get("poses_completed")?,
        poses_failed: get("poses_failed")?,
        stored_poses: get("stored_poses")?,
        seconds: row
            .try_get::<Option<f64>>("", "seconds")
            .map_err(|e| format!("seconds: {e}"))?,
    })
}

/// Paths and secrets the runs need.
pub struct Context<'a> {
    pub server: &'a Server,
    pub api_bin: &'a Path,
    pub secret: &'a str,
    pub scratch: &'a Path,
}

async fn grant(db: &DatabaseConnection, user_id: &str, amount: i32) -> Result<(), String> {
    use api::credits::ledger::{self, EntryType, NewEntry};
    let txn = ledger::begin(db).await.map_err(|e| e.to_string())?;
    ledger::append(
        &txn,
        user_id,
        NewEntry::new(amount, EntryType::AdminGrant, "benchmark grant"),
    )
    .await
    .map_err(|e| format!("granting credits: {e:?}"))?;
    txn.commit().await.map_err(|e| e.to_string())
}

/// One worker count on a fresh database.
pub async fn run_one(context: &Context<'_>, workers: u32) -> Result<Run, String> {
    let presets = context.scratch.join("presets");
    let (_database, url, db) = super::fresh_database(context.server, &presets).await?;
    let user = super::data::user_with_projects(&db, "generator", 0, 0)
        .await
        .map_err(|e| e.to_string())?;
    grant(&db, &user.id, 1_000_000).await?;
    let token = api::auth::jwt::issue(
        context.secret,
        &user.id,
        &user.email,
        Duration::from_secs(86_400),
    )
    .map_err(|e| e.to_string())?;
    let pose_ids: Vec<String> = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                r#"SELECT "id" FROM "pose_library" WHERE "isPublic" AND NOT "isPremium" ORDER BY "id" LIMIT {POSES_PER_GENERATION}"#
            ),
        ))
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .map(|row| row.try_get::<String>("", "id"))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    if pose_ids.len() != POSES_PER_GENERATION {
        return Err(format!(
            "the seeded library has only {} public poses",
            pose_ids.len()
        ));
    }
    let env = [
        ("IMAGE_PROVIDER", "local"),
        ("LOCAL_PROVIDER_DELAY_MS", "0"),
    ];

    // Fill the queue with an API that runs no workers.
    let api = super::servers::start_api_with(
        context.api_bin,
        &url,
        context.secret,
        context.scratch,
        0,
        &env,
    )
    .await?;
    let post = |path: &str, body: Value, expect| Target {
        addr: api.addr,
        method: Method::POST,
        path: format!("{PG}{path}"),
        token: token.clone(),
        body: Some(Bytes::from(body.to_string())),
        expect,
        headers: Vec::new(),
    };
    let project = request(&post(
        "/projects",
        json!({ "projectName": "Throughput" }),
        StatusCode::CREATED,
    ))
    .await?;
    let project_id = project["project"]["id"]
        .as_str()
        .ok_or("no project id")?
        .to_owned();
    for _ in 0..GENERATIONS {
        let reply = request(&post(
            "/generate",
            json!({ "projectId": project_id, "generationType": "GALLERY_REFERENCE",
                    "selectedPoseIds": pose_ids, "batchSize": BATCH_SIZE }),
            StatusCode::ACCEPTED,
        ))
        .await?;
        if reply["totalPosesExpected"] != json!(POSES_PER_GENERATION * BATCH_SIZE) {
            return Err(format!("unexpected answer to POST /generate: {reply}"));
        }
    }
    drop(api);
    let queued = state(&db, &user.id).await?;
    if queued.total != GENERATIONS as i64 || queued.finished != 0 {
        return Err(format!("the queue is not as submitted: {queued:?}"));
    }

    // Work it off.
    let api = super::servers::start_api_with(
        context.api_bin,
        &url,
        context.secret,
        context.scratch,
        workers,
        &env,
    )
    .await?;
    let started = Instant::now();
    let done = loop {
        let now = state(&db, &user.id).await?;
        if now.finished == now.total {
            break now;
        }
        if started.elapsed() > TIMEOUT {
            return Err(format!(
                "{workers} worker(s): the queue was not done after {TIMEOUT:?}: {now:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    drop(api);
    db.close().await.ok();

    let expected = POSES as i64;
    let mut problems = Vec::new();
    if done.completed != GENERATIONS as i64 {
        problems.push(format!(
            "{} of {GENERATIONS} generations completed",
            done.completed
        ));
    }
    if done.poses_completed != expected || done.poses_failed != 0 {
        problems.push(format!(
            "posesCompleted {} / posesFailed {} (expected {expected} / 0)",
            done.poses_completed, done.poses_failed
        ));
    }
    if done.stored_poses != expected {
        problems.push(format!(
            "{} completed generated_poses rows (expected {expected})",
            done.stored_poses
        ));
    }
    let seconds = done.seconds.ok_or("no startedAt / completedAt recorded")?;
    Ok(Run {
        workers,
        poses: done.stored_poses.max(0) as u64,
        elapsed: Duration::from_secs_f64(seconds.max(0.001)),
        problems,
    })
}

/// Every worker count in turn.
pub async fn measure(context: &Context<'_>) -> Figure {
    let mut runs = Vec::new();
    for &workers in WORKER_COUNTS {
        let run = run_one(context, workers).await;
        match &run {
            Ok(r) => eprintln!(
                "generation: {workers} worker(s): {} poses in {:.2} s = {:.1} poses/s{}",
                r.poses,
                r.elapsed.as_secs_f64(),
                r.poses_per_second(),
                if r.problems.is_empty() {
                    String::new()
                } else {
                    format!(" PROBLEMS: {}", r.problems.join("; "))
                }
            ),
            Err(e) => eprintln!("generation: {workers} worker(s): failed: {e}"),
        }
        runs.push(run);
    }
    Figure { runs }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// Figure 6's lines: a table and the exactness check (issue 6 sets no number for it).
pub fn render(figure: &Option<Figure>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let Some(f) = figure else {
        let _ = writeln!(
            out,
            "\nFigure 6 (generation throughput): not measured in this run"
        );
        return out;
    };
    let _ = writeln!(
        out,
        "\nFigure 6: generation throughput, `local` provider with LOCAL_PROVIDER_DELAY_MS=0; {GENERATIONS} gallery generations × {POSES_PER_GENERATION} library poses × batch {BATCH_SIZE} = {POSES} poses queued, then `api serve --workers N`; first startedAt → last completedAt:\n"
    );
    let _ = writeln!(
        out,
        "| Workers | Poses completed | Seconds | Poses/s | vs 1 worker | Exact (all completed, every pose stored) |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---|");
    let one = f
        .runs
        .iter()
        .find_map(|r| r.as_ref().ok().filter(|r| r.workers == 1))
        .map(Run::poses_per_second);
    for run in &f.runs {
        match run {
            Ok(r) => {
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.2} | {:.1} | {} | {} |",
                    r.workers,
                    r.poses,
                    r.elapsed.as_secs_f64(),
                    r.poses_per_second(),
                    one.map_or("—".into(), |o| format!(
                        "{:.2}×",
                        r.poses_per_second() / o
                    )),
                    if r.problems.is_empty() {
                        "yes".to_owned()
                    } else {
                        format!("NO: {}", r.problems.join("; "))
                    }
                );
            }
            Err(e) => {
                let _ = writeln!(out, "| ? | | | | | failed: {e} |");
            }
        }
    }
    let exact = f
        .runs
        .iter()
        .all(|r| r.as_ref().is_ok_and(|r| r.problems.is_empty()));
    let _ = writeln!(
        out,
        "\n- Every generation completed and every pose stored, for every worker count → {}",
        verdict(exact)
    );
    out
}
