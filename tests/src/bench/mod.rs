//! The benchmark runner behind `cargo run --release -p tests --bin bench` (BENCHMARKS.md):
//! our API against a minimal raw-SQL baseline serving the same JSON, measured side by
//! side on the same machine and database, alternating, several rounds.
//!
//! Nothing here runs under `cargo test`: the module only provides the binary's parts.

pub mod baseline;
pub mod bulk;
pub mod data;
pub mod delivery;
pub mod explain;
pub mod figures;
pub mod load;
pub mod report;
pub mod scale;
pub mod servers;
pub mod statements;
pub mod throughput;
pub mod wire;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::Value;

use crate::postgres_server::{self, Origin, Server};
use crate::util::{TempDir, with_database};
use load::Target;
use report::{Measurement, Scenario};

/// The PostgreSQL server the benchmark creates its databases on.
pub const BENCH_DATABASE_URL: &str = "BENCH_DATABASE_URL";
const DEFAULT_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The JWT secret both servers verify with (at least 32 characters, api.md §1.8).
const SECRET: &str = "benchmark-secret-benchmark-secret-0123456789";

pub const PROJECTS_PATH: &str = "/api/apps/avatar-creator/projects";

/// What to measure and how long.
#[derive(Debug, Clone)]
pub struct Options {
    pub warmup: Duration,
    pub duration: Duration,
    pub rounds: usize,
    pub connections: Vec<usize>,
    /// Build `api` and `bench` in release mode first (a no-op when up to date).
    pub build: bool,
    /// Figures 3 and 5 (statements per request, RSS, start-up, migrations).
    pub extras: bool,
    /// Figure 4 (the 1M-avatar database, its latencies and EXPLAIN).
    pub scale: bool,
    /// Figure 6 (generation throughput with 1, 2, 4 workers).
    pub generation: bool,
    /// Figure 7's A/B: a git revision to build `api` from, or the path of an `api`
    /// binary, run against the same database as this build.
    pub ab: Option<String>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// `cargo build --release -p tests -p api --bins`: the same feature set as
/// `cargo run --release -p tests`, so nothing is compiled twice.
///
/// Without the variables `cargo run` gives the program it runs (`CARGO_PKG_NAME`,
/// `CARGO_MANIFEST_DIR`, ...): build scripts that rerun when one of those changes (ring's
/// does) would otherwise run again, recompile the TLS stack and the API, and relink this
/// very binary while it runs.
fn build_release() -> Result<PathBuf, String> {
    let root = workspace_root();
    eprintln!("building api in release mode ...");
    let status = cargo_command()
        .current_dir(&root)
        .args(["build", "--release", "-p", "tests", "-p", "api", "--bins"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build failed: {status}"));
    }
    Ok(release_binary("api"))
}

/// The `api` binary of `rev` for the A/B: `rev` itself when it is a file; else the
/// revision's tree (`git archive`) built in release mode under `target/ab/` (its own
/// target directory, so this build's binaries are never replaced), kept as
/// `target/ab/api-<commit>` for later runs.
fn ab_binary(rev: &str) -> Result<(String, PathBuf), String> {
    let path = Path::new(rev);
    if path.is_file() {
        return Ok((rev.to_owned(), path.to_path_buf()));
    }
    let root = workspace_root();
    let output = Command::new("git")
        .current_dir(&root)
        .args(["rev-parse", "--short", &format!("{rev}^{{commit}}")])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!("--ab {rev}: not a file and not a git revision"));
    }
    let commit = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let ab = root.join("target/ab");
    let binary = ab.join(format!("api-{commit}"));
    if binary.is_file() {
        return Ok((commit, binary));
    }
    let source = ab.join(format!("src-{commit}"));
    std::fs::create_dir_all(&source).map_err(|e| e.to_string())?;
    eprintln!(
        "A/B: building api of {commit} in release mode under {} ...",
        ab.display()
    );
    let status = Command::new("sh")
        .arg("-c")
        .arg("git -C \"$1\" archive --format=tar \"$2\" | tar -x -C \"$3\"")
        .args([
            "sh",
            &root.to_string_lossy(),
            &commit,
            &source.to_string_lossy(),
        ])
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("git archive {commit} failed: {status}"));
    }
    let status = cargo_command()
        .current_dir(&source)
        .env("CARGO_TARGET_DIR", ab.join("target"))
        .args(["build", "--release", "-p", "api", "--bin", "api"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building {commit} failed: {status}"));
    }
    std::fs::copy(ab.join("target/release/api"), &binary).map_err(|e| e.to_string())?;
    Ok((commit, binary))
}

/// `cargo` without the variables `cargo run` gave this program (see [`build_release`]).
fn cargo_command() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "OUT_DIR",
            ]
            .contains(&name.as_ref())
        {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// The binary `name` (`api`, `bench`) in this binary's folder, target/release. By path,
/// not `current_exe()` itself: that names the running file, which is gone (`… (deleted)`)
/// once a build has replaced it.
pub(crate) fn release_binary(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
        .unwrap_or_else(|| workspace_root().join("target/release").join(name))
}

/// `BENCH_DATABASE_URL` (or the local default); when that is unset and unreachable,
/// the test harness's throwaway cluster.
async fn server() -> Result<Server, String> {
    let explicit = std::env::var(BENCH_DATABASE_URL).ok();
    let url = explicit
        .clone()
        .unwrap_or_else(|| DEFAULT_SERVER_URL.into());
    let candidate = Server {
        admin_url: url.clone(),
        origin: Origin::Env,
    };
    match migration::sea_orm::Database::connect(url.as_str()).await {
        Ok(db) => {
            db.close().await.ok();
            Ok(candidate)
        }
        Err(e) if explicit.is_some() => Err(format!("{BENCH_DATABASE_URL}={url}: {e}")),
        Err(_) => tokio::task::spawn_blocking(postgres_server::server)
            .await
            .map_err(|e| e.to_string())?
            .cloned()
            .ok_or_else(|| format!("no PostgreSQL at {url} and none could be started")),
    }
}

/// A database created for this run and dropped afterwards.
pub struct BenchDb {
    pub url: String,
    admin_url: String,
    name: String,
}

impl BenchDb {
    pub async fn create(server: &Server) -> Result<Self, String> {
        let name = postgres_server::create_database(server)
            .await
            .map_err(|e| format!("cannot create a database: {e}"))?;
        Ok(Self {
            url: with_database(&server.admin_url, &name),
            admin_url: server.admin_url.clone(),
            name,
        })
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let Err(e) = postgres_server::drop_database_blocking(&self.admin_url, &self.name) {
            eprintln!("warning: could not drop {}: {e}", self.name);
        }
    }
}

/// A database of its own, migrated with the deploy tool (`migration up`) and seeded
/// (`migration seed`: presets, persona examples, pose categories and library, their
/// images written under `presets`): the database handle, its URL and a connection.
pub async fn fresh_database(
    server: &Server,
    presets: &Path,
) -> Result<(BenchDb, String, DatabaseConnection), String> {
    let database = BenchDb::create(server).await?;
    migration::deploy::up(&database.url, None, &migration::deploy::Options::default())
        .await
        .map_err(|e| format!("migrating failed: {e}"))?;
    let db = migration::sea_orm::Database::connect(database.url.as_str())
        .await
        .map_err(|e| e.to_string())?;
    migration::seed::seed(&db, presets)
        .await
        .map_err(|e| format!("seeding failed: {e}"))?;
    let url = database.url.clone();
    Ok((database, url, db))
}

/// Parses JSON, failing loudly with the server's name.
fn parse(name: &str, status: StatusCode, body: &Bytes) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| {
        format!(
            "{name}: status {status}, body is not JSON ({e}): {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        )
    })
}

/// Removes the fields that differ between two freshly created projects.
fn without_new_row_fields(mut value: Value) -> Value {
    if let Some(project) = value.get_mut("project").and_then(Value::as_object_mut) {
        for key in ["id", "createdAt", "updatedAt"] {
            project.remove(key);
        }
    }
    value
}

/// Both servers answer the same JSON for the same data, else the run stops.
async fn verify_same_json(
    api: &Target,
    baseline: &Target,
    normalise: fn(Value) -> Value,
) -> Result<usize, String> {
    let (api_status, api_body) = load::fetch(api).await?;
    let (base_status, base_body) = load::fetch(baseline).await?;
    if api_status != api.expect || base_status != baseline.expect {
        return Err(format!(
            "{} {}: api answered {api_status}, baseline {base_status}: {}",
            api.method,
            api.path,
            String::from_utf8_lossy(&api_body[..api_body.len().min(300)])
        ));
    }
    let a = normalise(parse("api", api_status, &api_body)?);
    let b = normalise(parse("baseline", base_status, &base_body)?);
    if a != b {
        return Err(format!(
            "{} {}: the baseline's JSON differs from the API's\napi:      {}\nbaseline: {}",
            api.method,
            api.path,
            a.to_string().chars().take(1500).collect::<String>(),
            b.to_string().chars().take(1500).collect::<String>(),
        ));
    }
    Ok(api_body.len())
}

async fn delete_projects_of(db: &DatabaseConnection, user_id: &str) -> Result<(), String> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        r#"DELETE FROM "avatar_projects" WHERE "userId" = $1"#,
        vec![user_id.into()],
    ))
    .await
    .map(drop)
    .map_err(|e| e.to_string())
}

/// The whole benchmark; prints the table to stdout, progress to stderr.
pub async fn run(options: Options) -> Result<(), String> {
    let api_bin = if options.build {
        build_release()?
    } else {
        release_binary("api")
    };
    if !api_bin.exists() {
        return Err(format!(
            "{} is missing: run `cargo build --release -p api -p tests` first",
            api_bin.display()
        ));
    }
    let ab = options.ab.as_deref().map(ab_binary).transpose()?;
    let server = server().await?;
    eprintln!("PostgreSQL: {}", server.admin_url);

    let scratch = TempDir::new("bench-").map_err(|e| e.to_string())?;
    let presets = scratch.path().join("presets");
    let started = std::time::Instant::now();
    let (database, _, db) = fresh_database(&server, &presets).await?;
    eprintln!(
        "migrated and seeded in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let users = data::load(&db)
        .await
        .map_err(|e| format!("loading data: {e}"))?;
    let week = Duration::from_secs(7 * 86_400);
    let reader_token = api::auth::jwt::issue(SECRET, &users.reader.id, &users.reader.email, week)
        .map_err(|e| e.to_string())?;
    let writer_token = api::auth::jwt::issue(SECRET, &users.writer.id, &users.writer.email, week)
        .map_err(|e| e.to_string())?;

    let api = servers::start_api(&api_bin, &database.url, SECRET, scratch.path()).await?;
    let baseline = servers::start_baseline(&database.url, SECRET, &reader_token).await?;
    eprintln!(
        "api ready in {:.0} ms (pid {}), baseline in {:.0} ms (pid {})",
        api.startup.as_secs_f64() * 1000.0,
        api.pid(),
        baseline.startup.as_secs_f64() * 1000.0,
        baseline.pid()
    );

    let get = |addr| Target {
        addr,
        method: Method::GET,
        path: PROJECTS_PATH.into(),
        token: reader_token.clone(),
        body: None,
        expect: StatusCode::OK,
        headers: Vec::new(),
    };
    let post = |addr| Target {
        addr,
        method: Method::POST,
        path: PROJECTS_PATH.into(),
        token: writer_token.clone(),
        body: Some(Bytes::from_static(
            br#"{"name":"  Brand   Ambassadors ","description":"Q4 campaign"}"#,
        )),
        expect: StatusCode::CREATED,
        headers: Vec::new(),
    };
    let scenarios = [
        Scenario {
            name: "GET /projects",
            api: get(api.addr),
            baseline: get(baseline.addr),
        },
        Scenario {
            name: "POST /projects",
            api: post(api.addr),
            baseline: post(baseline.addr),
        },
    ];
    let size = verify_same_json(&scenarios[0].api, &scenarios[0].baseline, |v| v).await?;
    verify_same_json(
        &scenarios[1].api,
        &scenarios[1].baseline,
        without_new_row_fields,
    )
    .await?;
    eprintln!("same JSON from both servers (GET body {size} bytes)");

    let mut measurements = Vec::new();
    for scenario in &scenarios {
        for &connections in &options.connections {
            let mut rounds = Vec::new();
            for round in 0..options.rounds {
                // Alternate who goes first, so drift on a shared machine evens out.
                let order: [(&Target, bool); 2] = if round % 2 == 0 {
                    [(&scenario.api, true), (&scenario.baseline, false)]
                } else {
                    [(&scenario.baseline, false), (&scenario.api, true)]
                };
                let mut pair = (None, None);
                for (target, is_api) in order {
                    if target.method == Method::POST {
                        delete_projects_of(&db, &users.writer.id).await?;
                    }
                    let sample =
                        load::run(target, connections, options.warmup, options.duration).await?;
                    eprintln!(
                        "{:<15} c={connections:<3} round {} {:<8} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}",
                        scenario.name,
                        round + 1,
                        if is_api { "api" } else { "baseline" },
                        sample.rps(),
                        sample.quantile_ms(0.50),
                        sample.quantile_ms(0.99),
                        sample.errors
                    );
                    if is_api {
                        pair.0 = Some(sample);
                    } else {
                        pair.1 = Some(sample);
                    }
                }
                if let (Some(a), Some(b)) = pair {
                    rounds.push((a.into(), b.into()));
                }
            }
            measurements.push(Measurement {
                scenario: scenario.name,
                connections,
                rounds,
            });
        }
    }
    delete_projects_of(&db, &users.writer.id).await?;

    // Figure 7, with the other revision's API (if any) on the same database.
    let previous = match &ab {
        Some((rev, binary)) => {
            let process = servers::start_api(binary, &database.url, SECRET, scratch.path()).await?;
            Some((rev.clone(), process))
        }
        None => None,
    };
    let previous_get = previous.as_ref().map(|(rev, p)| (rev.clone(), get(p.addr)));
    // The same build keeping no pages: what a 200 costs when the page is written.
    let unkept = servers::start_api_with(
        &api_bin,
        &database.url,
        SECRET,
        scratch.path(),
        0,
        &[("PAGE_CACHE_MB", "0")],
    )
    .await?;
    let delivery = delivery::measure(
        &scenarios[0].api,
        &get(unkept.addr),
        previous_get.as_ref().map(|(rev, t)| (rev.clone(), t)),
        &options,
    )
    .await;
    drop(previous);
    drop(unkept);

    let api_peak_rss = api.peak_rss_kib();
    let baseline_peak_rss = baseline.peak_rss_kib();
    let api_startup = api.startup;
    drop(api);
    drop(baseline);

    let mut extras = figures::Extras {
        api_peak_rss_kib: api_peak_rss,
        baseline_peak_rss_kib: baseline_peak_rss,
        ..figures::Extras::default()
    };
    if options.extras {
        extras.startups =
            figures::startups(&api_bin, &database.url, SECRET, scratch.path(), api_startup).await;
        extras.migrations = figures::migrations(&server).await;
        let small = data::user_with_projects(&db, "small", 1, 1)
            .await
            .map_err(|e| format!("loading data: {e}"))?;
        // One row of each kind, so every list has something to show (constancy is
        // checked against the reader's many rows, never against none).
        data::pose_data(&db, "small", 1, 1, 1, 1)
            .await
            .map_err(|e| format!("loading data: {e}"))?;
        let small_token = api::auth::jwt::issue(SECRET, &small.id, &small.email, week)
            .map_err(|e| e.to_string())?;
        extras.statements = Some(
            statements::per_request(
                &api_bin,
                &database.url,
                SECRET,
                scratch.path(),
                statements::Callers {
                    large: ("reader", reader_token.as_str()),
                    small: ("small", small_token.as_str()),
                },
            )
            .await,
        );
    }
    if options.scale {
        extras.scale = Some(
            scale_figure(
                &server,
                &scale::Context {
                    api_bin: &api_bin,
                    secret: SECRET,
                    scratch: scratch.path(),
                    token: &reader_token,
                },
                &database.url,
                &options,
            )
            .await,
        );
    }
    db.close().await.ok();
    if options.generation {
        extras.generation = Some(
            throughput::measure(&throughput::Context {
                server: &server,
                api_bin: &api_bin,
                secret: SECRET,
                scratch: scratch.path(),
            })
            .await,
        );
    }

    println!("{}", report::render(&options, size, &measurements, &extras));
    match delivery {
        Ok(delivery) => println!("{}", delivery::render(&delivery)),
        Err(e) => println!("\nFigure 7 failed: {e}"),
    }
    Ok(())
}

/// Figure 4: builds the big database (seed, the same measured user, the bulk rows),
/// measures it against the small one, and drops it.
async fn scale_figure(
    server: &Server,
    context: &scale::Context<'_>,
    small_url: &str,
    options: &Options,
) -> Result<scale::Figure, String> {
    let presets = context.scratch.join("presets");
    let (big, big_url, big_db) = fresh_database(server, &presets).await?;
    data::load(&big_db)
        .await
        .map_err(|e| format!("loading the measured user: {e}"))?;
    eprintln!("scale: loading the big database ...");
    let loaded = scale::load_big(&big_db).await?;
    eprintln!(
        "scale: loaded in {:.1} s (ANALYZE included)",
        loaded.total.as_secs_f64()
    );
    let figure = scale::measure(context, small_url, &big_url, &big_db, loaded, options).await;
    big_db.close().await.ok();
    drop(big);
    figure
}
