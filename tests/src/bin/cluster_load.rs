//! The load and the invariant checks of `verify/cluster/run` (README "Running more than
//! one process"). Several users do the whole workflow through the proxy for a bounded
//! time while the script breaks processes; then this tool waits for the work to settle
//! and checks, from outside, what must hold whatever broke:
//!
//! - 5xx answers and connection errors only inside fault windows (the script writes
//!   them to `--faults`), and no unexpected 4xx;
//! - every generation finished exactly once: terminal, its images once per
//!   `variationKey`, no job left running or queued;
//! - per user, the credits ledger balances (bonus − charges + refunds = balance) with at
//!   most one refund per charge and never more than was charged;
//! - every file the database references is in the bucket; objects no row references
//!   are listed, and fail the run unless written inside a fault window;
//! - the metrics every process exposed agree with what this client saw;
//! - p99 latency outside the fault windows.
//!
//! Prints a table (markdown) and exits 1 if anything failed.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use clap::Parser;
use futures_util::TryStreamExt;
use migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use object_store::{ObjectStore, aws::AmazonS3Builder};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Opt {
    /// The proxy's base URL.
    #[arg(long)]
    base_url: String,
    #[arg(long, default_value_t = 6)]
    users: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// The cluster's database (read-only checks).
    #[arg(long)]
    database_url: String,
    #[arg(long)]
    s3_endpoint: String,
    #[arg(long)]
    s3_bucket: String,
    #[arg(long)]
    s3_access_key: String,
    #[arg(long)]
    s3_secret_key: String,
    /// Fault windows, one per line: `name start_ms end_ms` (Unix milliseconds).
    #[arg(long)]
    faults: PathBuf,
    /// Final metrics scrapes (`name=URL`), one per running process.
    #[arg(long = "metrics")]
    metrics: Vec<String>,
    /// Scrapes the script saved just before killing a process (files).
    #[arg(long = "metrics-file")]
    metrics_files: Vec<PathBuf>,
    /// Milliseconds after a fault window's end during which errors still count as in it
    /// (the time a client needs to notice the process is back).
    #[arg(long, default_value_t = 5000)]
    grace_ms: u64,
    /// p99 latency limit outside the fault windows, milliseconds.
    #[arg(long, default_value_t = 2500)]
    p99_limit_ms: u64,
    /// Write the table here too.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// One request as the client saw it.
#[derive(Debug, Clone)]
struct Call {
    op: &'static str,
    start_ms: u64,
    end_ms: u64,
    /// 0: connection error, timeout or a stream cut short.
    status: u16,
    /// The status line the client received, even for a stream cut short later.
    answered: u16,
    /// An answer the API made (it carries `X-Request-Id`), not the proxy.
    from_api: bool,
    /// A 4xx this request was meant to get.
    expected_4xx: bool,
    streaming: bool,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

struct Reply {
    status: u16,
    body: Value,
}

impl Client {
    async fn call(
        &self,
        op: &'static str,
        req: reqwest::RequestBuilder,
        expected_4xx: bool,
    ) -> Option<Reply> {
        let start_ms = now_ms();
        let outcome = async {
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            let from_api = resp.headers().contains_key("x-request-id");
            let bytes = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, from_api, bytes))
        }
        .await;
        let (status, from_api, body) = match outcome {
            Ok((status, from_api, bytes)) => (
                status,
                from_api,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            ),
            Err(_) => (0, false, Value::Null),
        };
        self.calls.lock().unwrap().push(Call {
            op,
            start_ms,
            end_ms: now_ms(),
            status,
            answered: status,
            from_api,
            expected_4xx,
            streaming: false,
        });
        (status != 0).then_some(Reply { status, body })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(token)
    }

    fn post(&self, path: &str, token: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    fn delete(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http.delete(self.url(path)).bearer_auth(token)
    }

    /// Follows a generation's progress stream to its terminal event. A stream cut short
    /// (its replica killed) counts as a connection error and is opened again, as an
    /// `EventSource` would. Returns the terminal event's type.
    async fn follow(&self, generation: &str, token: &str, deadline: Instant) -> Option<String> {
        let path = format!("/api/apps/pose-generator/generations/{generation}/events");
        while Instant::now() < deadline {
            let start_ms = now_ms();
            let mut status = 0;
            let mut answered = 0;
            let mut from_api = false;
            let mut terminal = None;
            if let Ok(mut resp) = self
                .get(&path, token)
                .header("accept", "text/event-stream")
                .send()
                .await
            {
                status = resp.status().as_u16();
                answered = status;
                from_api = resp.headers().contains_key("x-request-id");
                let mut buffer = String::new();
                // The server ends a stream after its terminal event only: an end
                // before it is a cut stream.
                while status == 200
                    && terminal.is_none()
                    && let Ok(Some(chunk)) = resp.chunk().await
                {
                    buffer.push_str(&String::from_utf8_lossy(&chunk));
                    terminal = ["completed", "partial", "failed"]
                        .into_iter()
                        .find(|kind| buffer.contains(&format!("event: {kind}\n")))
                        .map(str::to_owned);
                }
                if status == 200 && terminal.is_none() {
                    status = 0;
                }
            }
            self.calls.lock().unwrap().push(Call {
                op: "GET events (SSE)",
                start_ms,
                end_ms: now_ms(),
                status,
                answered,
                from_api,
                expected_4xx: false,
                streaming: true,
            });
            if terminal.is_some() {
                return terminal;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        None
    }
}

/// A user's run: what it created, for the checks.
#[derive(Default)]
struct UserRun {
    email: String,
    pose_generations: Vec<String>,
    avatar_generations: Vec<String>,
    /// Final statuses the client saw: (kind, status).
    outcomes: Vec<(&'static str, String)>,
    iterations: u32,
}

fn png(seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(256, 320, |x, y| {
        image::Rgb([(x + seed) as u8, (y * 2) as u8, (seed * 7) as u8])
    });
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        .unwrap();
    out
}

fn multipart(bytes: &[u8], name: &str) -> (String, Vec<u8>) {
    let boundary = format!("cluster{}", now_ms());
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n{name}\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

const AC: &str = "/api/apps/avatar-creator";
const PG: &str = "/api/apps/pose-generator";

async fn user(client: Client, n: usize, until: Instant, run: Arc<Mutex<UserRun>>) {
    // Users arrive half a second apart, as they would, rather than six password
    // hashes (bcrypt, deliberately slow) at the same instant.
    tokio::time::sleep(Duration::from_millis(500 * n as u64)).await;
    let email = format!("cluster-{n}-{}@example.com", now_ms());
    run.lock().unwrap().email = email.clone();
    let password = "Cluster-Passw0rd-2026";
    // Register, retried through faults (a 201 lost in a fault window leaves the account,
    // so a retry may meet 409 and logs in instead).
    let mut token = None;
    while token.is_none() && Instant::now() < until {
        let body = json!({ "email": email, "password": password, "name": format!("Cluster {n}") });
        match client
            .call(
                "POST register",
                client
                    .http
                    .post(client.url("/api/auth/register"))
                    .header("content-type", "application/json")
                    .body(body.to_string()),
                true,
            )
            .await
        {
            Some(r) if r.status == 201 => {
                token = r.body["data"]["token"].as_str().map(str::to_owned)
            }
            _ => {
                let login = json!({ "email": email, "password": password });
                if let Some(r) = client
                    .call(
                        "POST login",
                        client
                            .http
                            .post(client.url("/api/auth/login"))
                            .header("content-type", "application/json")
                            .body(login.to_string()),
                        false,
                    )
                    .await
                    && r.status == 200
                {
                    token = r.body["data"]["token"].as_str().map(str::to_owned);
                }
            }
        }
        if token.is_none() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let Some(token) = token else { return };
    let poses: Vec<String> = client
        .call(
            "GET library",
            client.get(&format!("{PG}/library?limit=20&page=1"), &token),
            false,
        )
        .await
        .and_then(|r| {
            r.body["poses"].as_array().map(|a| {
                a.iter()
                    .filter_map(|p| p["id"].as_str().map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default();

    let mut i = 0u32;
    while Instant::now() < until {
        i += 1;
        let t = &token;
        // A deliberate 400: an empty project name.
        client
            .call(
                "POST project (invalid)",
                client.post(&format!("{AC}/projects"), t, &json!({ "name": "" })),
                true,
            )
            .await;
        let Some(project) = client
            .call(
                "POST avatar project",
                client.post(
                    &format!("{AC}/projects"),
                    t,
                    &json!({ "name": format!("Cluster {n}.{i}") }),
                ),
                false,
            )
            .await
            .filter(|r| r.status == 201)
            .and_then(|r| r.body["project"]["id"].as_str().map(str::to_owned))
        else {
            tokio::time::sleep(Duration::from_millis(300)).await;
            continue;
        };
        let (content_type, form) = multipart(&png(n as u32 * 100 + i), "Uploaded");
        let uploaded = client
            .call(
                "POST upload",
                client
                    .http
                    .post(client.url(&format!("{AC}/projects/{project}/avatars/upload")))
                    .bearer_auth(t)
                    .header("content-type", content_type)
                    .body(form),
                false,
            )
            .await
            .filter(|r| r.status == 201)
            .and_then(|r| r.body["avatar"]["id"].as_str().map(str::to_owned));
        let mut avatar_generation = None;
        // Every third avatar generation fails on purpose: its credits come back.
        let prompt = if i.is_multiple_of(3) {
            "[fail] portrait"
        } else {
            "portrait of a climber"
        };
        if let Some(r) = client
            .call(
                "POST avatar generate",
                client.post(
                    &format!("{AC}/projects/{project}/avatars/generate"),
                    t,
                    &json!({ "name": "Generated", "prompt": prompt }),
                ),
                false,
            )
            .await
            && r.status == 202
            && let Some(id) = r.body["generation"]["id"].as_str()
        {
            run.lock().unwrap().avatar_generations.push(id.to_owned());
            avatar_generation = Some(id.to_owned());
        }
        let pose_project = client
            .call(
                "POST pose project",
                client.post(
                    &format!("{PG}/projects"),
                    t,
                    &json!({ "projectName": format!("Poses {n}.{i}") }),
                ),
                false,
            )
            .await
            .filter(|r| r.status == 201)
            .and_then(|r| r.body["project"]["id"].as_str().map(str::to_owned));
        if let Some(pose_project) = &pose_project {
            let selected: Vec<&String> = poses
                .iter()
                .cycle()
                .skip((n + i as usize) % poses.len().max(1))
                .take(2)
                .collect();
            let body = if i.is_multiple_of(4) {
                json!({ "projectId": pose_project, "generationType": "TEXT_DESCRIPTION", "textPrompt": "[flaky] standing with arms crossed", "variationCount": 2 })
            } else {
                json!({ "projectId": pose_project, "generationType": "GALLERY_REFERENCE", "selectedPoseIds": selected, "batchSize": 1, "exportFormats": ["instagram_post"] })
            };
            if let Some(r) = client
                .call(
                    "POST pose generate",
                    client.post(&format!("{PG}/generate"), t, &body),
                    false,
                )
                .await
                && r.status == 202
                && let Some(id) = r.body["generationId"].as_str().map(str::to_owned)
            {
                run.lock().unwrap().pose_generations.push(id.clone());
                let deadline = Instant::now() + Duration::from_secs(60);
                let terminal = client.follow(&id, t, deadline).await;
                if let Some(status) = &terminal {
                    run.lock()
                        .unwrap()
                        .outcomes
                        .push(("pose_generation", status.clone()));
                }
                if terminal.is_some() {
                    client
                        .call(
                            "GET results",
                            client.get(&format!("{PG}/generations/{id}/results"), t),
                            true,
                        )
                        .await;
                    client
                        .call(
                            "GET export-zip",
                            client.get(
                                &format!("{PG}/generations/{id}/export-zip?formats=original"),
                                t,
                            ),
                            true,
                        )
                        .await;
                }
            }
        }
        // The avatar generation's end, before its project may be deleted.
        if let Some(id) = avatar_generation {
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                let status = client
                    .call(
                        "GET avatar generation",
                        client.get(&format!("{AC}/generations/{id}"), t),
                        false,
                    )
                    .await
                    .and_then(|r| r.body["generation"]["status"].as_str().map(str::to_owned));
                if let Some(status) = status.filter(|s| s == "completed" || s == "failed") {
                    run.lock()
                        .unwrap()
                        .outcomes
                        .push(("avatar_generation", status));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        client
            .call("GET balance", client.get("/api/credits/balance", t), false)
            .await;
        // Deletes: the uploaded avatar every iteration, the projects every other one
        // (their files must leave the bucket).
        if let Some(avatar) = uploaded {
            client
                .call(
                    "DELETE avatar",
                    client.delete(&format!("{AC}/avatars/{avatar}"), t),
                    true,
                )
                .await;
        }
        if i.is_multiple_of(2) {
            client
                .call(
                    "DELETE avatar project",
                    client.delete(&format!("{AC}/projects/{project}"), t),
                    true,
                )
                .await;
            if let Some(pose_project) = &pose_project {
                client
                    .call(
                        "DELETE pose project",
                        client.delete(&format!("{PG}/projects/{pose_project}"), t),
                        true,
                    )
                    .await;
            }
        }
        run.lock().unwrap().iterations = i;
    }
}

struct Window {
    name: String,
    start: u64,
    end: u64,
}

fn read_windows(path: &PathBuf) -> Vec<Window> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            Some(Window {
                name: parts.next()?.to_owned(),
                start: parts.next()?.parse().ok()?,
                end: parts.next()?.parse().ok()?,
            })
        })
        .collect()
}

/// Prometheus text: `(name, labels, value)` of every sample.
fn parse_metrics(text: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, value) = match line.rsplit_once(' ') {
            Some(pair) => pair,
            None => continue,
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let mut labels = BTreeMap::new();
                for pair in rest.trim_end_matches('}').split("\",") {
                    if let Some((k, v)) = pair.split_once("=\"") {
                        labels.insert(k.to_owned(), v.trim_end_matches('"').to_owned());
                    }
                }
                (name.to_owned(), labels)
            }
            None => (series.to_owned(), BTreeMap::new()),
        };
        out.push((name, labels, value));
    }
    out
}

struct Check {
    name: String,
    ok: bool,
    detail: String,
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<migration::sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|err| panic!("{sql}: {err}"))
}

#[tokio::main]
async fn main() {
    let opt = Opt::parse();
    let client = Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        base: opt.base_url.trim_end_matches('/').to_owned(),
        calls: Arc::default(),
    };
    let load_start = now_ms();
    let until = Instant::now() + Duration::from_secs(opt.duration);
    let runs: Vec<Arc<Mutex<UserRun>>> = (0..opt.users).map(|_| Arc::default()).collect();
    let tasks: Vec<_> = runs
        .iter()
        .enumerate()
        .map(|(n, run)| tokio::spawn(user(client.clone(), n, until, run.clone())))
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    let load_end = now_ms();
    eprintln!(
        "load finished after {} s; settling",
        (load_end - load_start) / 1000
    );

    let db = Database::connect(&opt.database_url).await.expect("connect");
    // Settle: every generation terminal (the killed worker's job comes back after its
    // lease), within 120 s.
    let settle_deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let open = rows(
            &db,
            r#"SELECT COUNT(*) AS n FROM jobs WHERE status IN ('queued','running')"#,
        )
        .await;
        let n: i64 = open[0].try_get("", "n").unwrap();
        if n == 0 || Instant::now() > settle_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let windows = read_windows(&opt.faults);
    let calls = client.calls.lock().unwrap().clone();
    let in_window = |c: &Call| {
        windows
            .iter()
            .any(|w| c.end_ms >= w.start && c.start_ms <= w.end + opt.grace_ms)
    };
    // A failure belongs to the window in which it happened: when the request failed
    // (a refused connection at once, a stream when it was cut).
    let window_of = |c: &Call| {
        windows
            .iter()
            .find(|w| c.end_ms >= w.start && c.end_ms <= w.end + opt.grace_ms)
    };
    let mut checks = Vec::new();

    // --- HTTP -------------------------------------------------------------------
    let sent = calls.len();
    let ok2xx = calls
        .iter()
        .filter(|c| (200..300).contains(&c.status))
        .count();
    let expected4xx = calls
        .iter()
        .filter(|c| (400..500).contains(&c.status) && c.expected_4xx)
        .count();
    let unexpected4xx: Vec<&Call> = calls
        .iter()
        .filter(|c| (400..500).contains(&c.status) && !c.expected_4xx)
        .collect();
    let failures: Vec<&Call> = calls
        .iter()
        .filter(|c| c.status == 0 || c.status >= 500)
        .collect();
    // A request fails in the window in which it failed; a progress stream is in flight for
    // its whole life, so a cut stream that was open during a fault window (a stream held by
    // the replica that was killed, cut when its socket closed) belongs to that window.
    let outside: Vec<&&Call> = failures
        .iter()
        .filter(|c| {
            if c.streaming {
                !in_window(c)
            } else {
                window_of(c).is_none()
            }
        })
        .collect();
    checks.push(Check {
        name: "no 5xx or connection error outside fault windows".into(),
        ok: outside.is_empty(),
        detail: if outside.is_empty() {
            format!("{} inside windows", failures.len())
        } else {
            outside
                .iter()
                .take(5)
                .map(|c| format!("{} {} from {} to {}", c.op, c.status, c.start_ms, c.end_ms))
                .collect::<Vec<_>>()
                .join("; ")
        },
    });
    // Inside windows: only connection errors and 502/503/504.
    let odd: Vec<&&Call> = failures
        .iter()
        .filter(|c| ![0, 502, 503, 504].contains(&c.status))
        .collect();
    checks.push(Check {
        name: "inside windows only 502/503/504 or connection errors".into(),
        ok: odd.is_empty(),
        detail: odd
            .iter()
            .take(5)
            .map(|c| format!("{} {}", c.op, c.status))
            .collect::<Vec<_>>()
            .join("; "),
    });
    checks.push(Check {
        name: "no unexpected 4xx".into(),
        ok: unexpected4xx.is_empty(),
        detail: unexpected4xx
            .iter()
            .take(5)
            .map(|c| format!("{} {}", c.op, c.status))
            .collect::<Vec<_>>()
            .join("; "),
    });
    // p99 outside windows, of the workflow's requests: streams last as long as their
    // generation and ZIPs as long as the client reads; registration and login hash a
    // password with bcrypt, slow on purpose (BCRYPT_COST), and are reported apart.
    let password_ops = ["POST register", "POST login"];
    let timed = |c: &Call| {
        !c.streaming && c.status != 0 && c.op != "GET export-zip" && !password_ops.contains(&c.op)
    };
    let slowest_password = calls
        .iter()
        .filter(|c| password_ops.contains(&c.op) && c.status != 0)
        .map(|c| c.end_ms - c.start_ms)
        .max()
        .unwrap_or(0);
    let mut latencies: Vec<u64> = calls
        .iter()
        .filter(|c| timed(c) && !in_window(c))
        .map(|c| c.end_ms - c.start_ms)
        .collect();
    latencies.sort_unstable();
    let p = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0)
    };
    let (p50, p99) = (p(0.50), p(0.99));
    // The slowest operations outside the windows, to say what the p99 is made of.
    let mut slowest: Vec<&Call> = calls.iter().filter(|c| timed(c) && !in_window(c)).collect();
    slowest.sort_by_key(|c| std::cmp::Reverse(c.end_ms - c.start_ms));
    let slowest: Vec<String> = slowest
        .iter()
        .take(4)
        .map(|c| format!("{} {} ms", c.op, c.end_ms - c.start_ms))
        .collect();
    checks.push(Check {
        name: format!("p99 outside fault windows ≤ {} ms", opt.p99_limit_ms),
        ok: p99 <= opt.p99_limit_ms && !latencies.is_empty(),
        detail: format!(
            "p50 {p50} ms, p99 {p99} ms over {} requests; slowest: {}",
            latencies.len(),
            slowest.join(", ")
        ),
    });

    // --- Generations -------------------------------------------------------------
    let created_pose: Vec<String> = runs
        .iter()
        .flat_map(|r| r.lock().unwrap().pose_generations.clone())
        .collect();
    let created_avatar: Vec<String> = runs
        .iter()
        .flat_map(|r| r.lock().unwrap().avatar_generations.clone())
        .collect();
    let pose_rows = rows(&db, r#"SELECT id, status, "totalExpectedPoses" AS total, "posesCompleted" AS done, "posesFailed" AS failed, "creditCharged" AS charged, "creditRefunded" AS refunded FROM pose_generations"#).await;
    let mut pose_status: HashMap<String, String> = HashMap::new();
    let mut bad_counts = Vec::new();
    for r in &pose_rows {
        let id: String = r.try_get("", "id").unwrap();
        let status: String = r.try_get("", "status").unwrap();
        let total: i32 = r.try_get("", "total").unwrap();
        let done: i32 = r.try_get("", "done").unwrap();
        let failed: i32 = r.try_get("", "failed").unwrap();
        if ["completed", "partial", "failed"].contains(&status.as_str()) && done + failed != total {
            bad_counts.push(format!("{id}: {done}+{failed}≠{total}"));
        }
        pose_status.insert(id, status);
    }
    let avatar_rows = rows(&db, "SELECT id, status FROM avatar_generations").await;
    let avatar_status: HashMap<String, String> = avatar_rows
        .iter()
        .map(|r| {
            (
                r.try_get("", "id").unwrap(),
                r.try_get("", "status").unwrap(),
            )
        })
        .collect();
    let not_terminal: Vec<String> = created_pose
        .iter()
        .filter(|id| {
            pose_status
                .get(*id)
                .is_some_and(|s| !["completed", "partial", "failed"].contains(&s.as_str()))
        })
        .chain(created_avatar.iter().filter(|id| {
            avatar_status
                .get(*id)
                .is_some_and(|s| !["completed", "failed"].contains(&s.as_str()))
        }))
        .cloned()
        .collect();
    checks.push(Check {
        name: "every generation finished".into(),
        ok: not_terminal.is_empty() && bad_counts.is_empty(),
        detail: format!(
            "{} pose + {} avatar generations; not finished: {:?}; counts: {:?}",
            created_pose.len(),
            created_avatar.len(),
            not_terminal.iter().take(5).collect::<Vec<_>>(),
            bad_counts.iter().take(5).collect::<Vec<_>>()
        ),
    });
    let dup = rows(&db, r#"SELECT "generationId" AS g, "variationKey" AS k, COUNT(*) AS n FROM generated_poses GROUP BY 1, 2 HAVING COUNT(*) > 1"#).await;
    let per_generation = rows(&db, r#"SELECT g.id AS id FROM pose_generations g WHERE g.status IN ('completed','partial','failed') AND (SELECT COUNT(*) FROM generated_poses p WHERE p."generationId" = g.id) > g."totalExpectedPoses""#).await;
    checks.push(Check {
        name: "each image once (no duplicate variationKey)".into(),
        ok: dup.is_empty() && per_generation.is_empty(),
        detail: format!(
            "{} duplicate keys, {} generations with extra images",
            dup.len(),
            per_generation.len()
        ),
    });
    let stuck = rows(
        &db,
        r#"SELECT id, kind, status FROM jobs WHERE status IN ('queued','running')"#,
    )
    .await;
    checks.push(Check {
        name: "no job left running or queued".into(),
        ok: stuck.is_empty(),
        detail: format!("{} open jobs", stuck.len()),
    });

    // --- Ledger -------------------------------------------------------------------
    let emails: Vec<String> = runs
        .iter()
        .map(|r| r.lock().unwrap().email.clone())
        .collect();
    let mut ledger_problems = Vec::new();
    for email in &emails {
        let sums = rows(&db, &format!(
            r#"SELECT COALESCE(SUM(CASE WHEN c.type = 'usage' THEN -c.amount ELSE 0 END), 0) AS charged,
                      COALESCE(SUM(CASE WHEN c.type = 'refund' THEN c.amount ELSE 0 END), 0) AS refunded,
                      COALESCE(SUM(CASE WHEN c.type NOT IN ('usage','refund') THEN c.amount ELSE 0 END), 0) AS granted,
                      (SELECT c2.balance FROM credits c2 WHERE c2."userId" = u.id ORDER BY c2."createdAt" DESC LIMIT 1) AS balance
               FROM users u LEFT JOIN credits c ON c."userId" = u.id WHERE u.email = '{}' GROUP BY u.id"#,
            email.replace('\'', "''")
        ))
        .await;
        let Some(r) = sums.first() else { continue };
        let charged: i64 = r.try_get("", "charged").unwrap();
        let refunded: i64 = r.try_get("", "refunded").unwrap();
        let granted: i64 = r.try_get("", "granted").unwrap();
        let balance: Option<i32> = r.try_get("", "balance").unwrap();
        if granted - charged + refunded != i64::from(balance.unwrap_or(0)) {
            ledger_problems.push(format!(
                "{email}: {granted} − {charged} + {refunded} ≠ {balance:?}"
            ));
        }
    }
    let double = rows(&db, r#"SELECT "referenceType" AS t, "referenceId" AS r, COUNT(*) AS n FROM credits WHERE type = 'refund' GROUP BY 1, 2 HAVING COUNT(*) > 1"#).await;
    let over = rows(&db, r#"SELECT id FROM pose_generations g WHERE "creditRefunded" > "creditCharged" OR "creditRefunded" <> COALESCE((SELECT SUM(amount) FROM credits c WHERE c.type = 'refund' AND c."referenceId" = g.id), 0)"#).await;
    checks.push(Check {
        name: "ledger balances per user, one refund per charge".into(),
        ok: ledger_problems.is_empty() && double.is_empty() && over.is_empty(),
        detail: format!(
            "{} users; unbalanced: {:?}; double refunds: {}; refund ≠ recorded: {}",
            emails.len(),
            ledger_problems.iter().take(3).collect::<Vec<_>>(),
            double.len(),
            over.len()
        ),
    });
    let ledger_totals = rows(&db, r#"SELECT COALESCE(SUM(CASE WHEN type = 'usage' THEN -amount ELSE 0 END), 0) AS charged, COALESCE(SUM(CASE WHEN type = 'refund' THEN amount ELSE 0 END), 0) AS refunded FROM credits"#).await;
    let db_charged: i64 = ledger_totals[0].try_get("", "charged").unwrap();
    let db_refunded: i64 = ledger_totals[0].try_get("", "refunded").unwrap();

    // --- Bucket ------------------------------------------------------------------
    let store = AmazonS3Builder::new()
        .with_bucket_name(&opt.s3_bucket)
        .with_endpoint(&opt.s3_endpoint)
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_access_key_id(&opt.s3_access_key)
        .with_secret_access_key(&opt.s3_secret_key)
        .build()
        .unwrap();
    let objects: Vec<object_store::ObjectMeta> =
        store.list(None).try_collect().await.unwrap_or_default();
    let in_bucket: HashSet<String> = objects.iter().map(|o| o.location.to_string()).collect();
    let tables = rows(&db, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'").await;
    let mut referenced = HashSet::new();
    for t in &tables {
        let table: String = t.try_get("", "t").unwrap();
        for r in rows(&db, &format!(r#"SELECT row_to_json(x)::text AS j FROM "{table}" x WHERE row_to_json(x)::text LIKE '%/uploads/%'"#)).await {
            let text: String = r.try_get("", "j").unwrap();
            for piece in text.split("/uploads/").skip(1) {
                let key: String = piece.chars().take_while(|c| c.is_ascii_alphanumeric() || "/._-".contains(*c)).collect();
                referenced.insert(key);
            }
        }
    }
    let missing: Vec<&String> = referenced
        .iter()
        .filter(|k| !in_bucket.contains(*k))
        .collect();
    checks.push(Check {
        name: "every referenced file is in the bucket".into(),
        ok: missing.is_empty(),
        detail: format!(
            "{} referenced, {} objects; missing: {:?}",
            referenced.len(),
            objects.len(),
            missing.iter().take(5).collect::<Vec<_>>()
        ),
    });
    let mut explained = Vec::new();
    let mut unexplained = Vec::new();
    for o in objects
        .iter()
        .filter(|o| !referenced.contains(&o.location.to_string()))
    {
        let at = o.last_modified.timestamp_millis() as u64;
        // Explained only by a fault that can leave one: a killed process writes no more
        // after its kill, so its orphans were written in the seconds before it (a file
        // stored, the row's transaction never committed); a restarted database or bucket
        // fails the writes in flight while it is down.
        let explains = |w: &&Window| {
            if w.name.starts_with("kill-") {
                at + 5000 >= w.start && at <= w.start + 1000
            } else {
                at + 1000 >= w.start && at <= w.end + 1000
            }
        };
        match windows.iter().find(explains) {
            Some(w) => explained.push(format!("{} (written during {})", o.location, w.name)),
            None => unexplained.push(format!("{} (written at {at})", o.location)),
        }
    }
    checks.push(Check {
        name: "no unreferenced object outside fault windows".into(),
        ok: unexplained.is_empty(),
        detail: format!(
            "explained orphans: {explained:?}; unexplained: {:?}",
            unexplained.iter().take(10).collect::<Vec<_>>()
        ),
    });

    // --- Metrics -------------------------------------------------------------------
    let mut scrapes = Vec::new();
    for spec in &opt.metrics {
        let (name, url) = spec.split_once('=').unwrap_or(("process", spec));
        match reqwest::get(url).await {
            Ok(resp) if resp.status().is_success() => {
                scrapes.push((name.to_owned(), resp.text().await.unwrap_or_default()))
            }
            _ => scrapes.push((name.to_owned(), String::new())),
        }
    }
    for file in &opt.metrics_files {
        scrapes.push((
            file.display().to_string(),
            std::fs::read_to_string(file).unwrap_or_default(),
        ));
    }
    let unscraped: Vec<&String> = scrapes
        .iter()
        .filter(|(_, t)| t.is_empty())
        .map(|(n, _)| n)
        .collect();
    let samples: Vec<_> = scrapes.iter().flat_map(|(_, t)| parse_metrics(t)).collect();
    let sum = |name: &str, filter: &dyn Fn(&BTreeMap<String, String>) -> bool| -> f64 {
        samples
            .iter()
            .filter(|(n, l, _)| n == name && filter(l))
            .map(|(_, _, v)| v)
            .sum()
    };
    // Generations by outcome: each finalisation is counted once, after its commit, by
    // the process that made it (a killed process's count comes from its scrape just
    // before the kill). Their sum by kind and status must be what the client saw (it
    // waits for every generation's end before deleting its project, which deletes the
    // generation's row); a generation finalised twice, or never, breaks the equality.
    let mut metric_problems = Vec::new();
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for run in &runs {
        for (kind, status) in &run.lock().unwrap().outcomes {
            *seen
                .entry(((*kind).to_owned(), status.clone()))
                .or_default() += 1;
        }
    }
    let observed: usize = seen.values().sum();
    if observed != created_pose.len() + created_avatar.len() {
        metric_problems.push(format!(
            "the client saw the end of {observed} of {} generations",
            created_pose.len() + created_avatar.len()
        ));
    }
    let mut keys: Vec<(String, String)> = seen.keys().cloned().collect();
    for (name, labels, _) in &samples {
        if name == "generations_finished_total"
            && let (Some(kind), Some(status)) = (labels.get("kind"), labels.get("status"))
            && !keys.contains(&(kind.clone(), status.clone()))
        {
            keys.push((kind.clone(), status.clone()));
        }
    }
    let mut outcome_rows = Vec::new();
    for (kind, status) in &keys {
        let n = seen
            .get(&(kind.clone(), status.clone()))
            .copied()
            .unwrap_or(0);
        let m = sum("generations_finished_total", &|l| {
            l.get("kind") == Some(kind) && l.get("status") == Some(status)
        });
        outcome_rows.push(format!("{kind} {status}: client {n}, metrics {m}"));
        if m as usize != n {
            metric_problems.push(format!("{kind} {status}: client {n} ≠ metrics {m}"));
        }
    }
    // Requests by status: the API's counters (routes the load used) against what this
    // client got from the API itself (answers carrying X-Request-Id). Answers lost with
    // a killed replica (counted there but not scraped before the kill, or cut in flight)
    // are the allowed difference: at most the calls in that window.
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for c in calls.iter().filter(|c| c.from_api) {
        *by_status.entry(c.answered).or_default() += 1;
    }
    let kill_window_calls = calls
        .iter()
        .filter(|c| {
            windows.iter().any(|w| {
                w.name.starts_with("kill-api")
                    && c.end_ms + 1000 >= w.start
                    && c.start_ms <= w.start + 1000
            })
        })
        .count();
    let mut status_rows = Vec::new();
    for (status, n) in &by_status {
        let m = sum("http_requests_total", &|l| {
            l.get("status").map(String::as_str) == Some(status.to_string().as_str())
                && l.get("route")
                    .is_some_and(|r| r.starts_with("/api/") && !r.contains("health"))
        });
        status_rows.push(format!("{status}: client {n}, metrics {m}"));
        if (m - *n as f64).abs() > kill_window_calls as f64 {
            metric_problems.push(format!(
                "HTTP {status}: client {n} vs metrics {m} (allowed ±{kill_window_calls})"
            ));
        }
    }
    let m_charged = sum("credits_charged_total", &|_| true);
    let m_refunded = sum("credits_refunded_total", &|_| true);
    // Counted when the ledger row is written: never fewer than the database holds
    // (more only if a transaction rolled back after its write).
    if (m_charged as i64) < db_charged {
        metric_problems.push(format!(
            "credits charged: db {db_charged} > metrics {m_charged}"
        ));
    }
    if m_refunded as i64 != db_refunded {
        metric_problems.push(format!(
            "credits refunded: db {db_refunded} ≠ metrics {m_refunded}"
        ));
    }
    checks.push(Check {
        name: "metrics agree with the client and the database".into(),
        ok: metric_problems.is_empty() && unscraped.is_empty(),
        detail: format!(
            "{} scrapes (unreachable: {unscraped:?}); {}; problems: {metric_problems:?}",
            scrapes.len(),
            outcome_rows.join(", ")
        ),
    });

    // --- Table --------------------------------------------------------------------
    let mut table = String::new();
    let mut line = |s: String| {
        println!("{s}");
        table.push_str(&s);
        table.push('\n');
    };
    line(format!(
        "Load: {} users for {} s through the proxy; {} iterations of the workflow",
        opt.users,
        (load_end - load_start) / 1000,
        runs.iter()
            .map(|r| r.lock().unwrap().iterations)
            .sum::<u32>()
    ));
    line(String::new());
    line("| Requests | Count |".into());
    line("|---|---|".into());
    line(format!("| sent | {sent} |"));
    line(format!("| 2xx | {ok2xx} |"));
    line(format!("| expected 4xx | {expected4xx} |"));
    line(format!("| unexpected 4xx | {} |", unexpected4xx.len()));
    line(format!(
        "| 5xx / connection errors outside fault windows | {} |",
        outside.len()
    ));
    line(format!(
        "| latency outside fault windows (workflow requests) | p50 {p50} ms, p99 {p99} ms |"
    ));
    line(format!(
        "| slowest registration or login (bcrypt, apart) | {slowest_password} ms |"
    ));
    line(String::new());
    line(
        "| Fault window (+5 s) | Duration | 5xx | connection errors / cut streams | requests ended in it, by status (0: failed) |"
            .into(),
    );
    line("|---|---|---|---|---|".into());
    for w in &windows {
        let inside: Vec<&Call> = calls
            .iter()
            .filter(|c| window_of(c).is_some_and(|found| found.name == w.name))
            .collect();
        let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
        for c in &inside {
            *statuses.entry(c.status).or_default() += 1;
        }
        line(format!(
            "| {} | {:.1} s | {} | {} | {} |",
            w.name,
            (w.end - w.start) as f64 / 1000.0,
            inside.iter().filter(|c| c.status >= 500).count(),
            {
                let mut ops: BTreeMap<&str, usize> = BTreeMap::new();
                for c in inside.iter().filter(|c| c.status == 0) {
                    *ops.entry(c.op).or_default() += 1;
                }
                let total: usize = ops.values().sum();
                let ops: Vec<String> = ops.iter().map(|(op, n)| format!("{op} ×{n}")).collect();
                if total == 0 {
                    "0".to_owned()
                } else {
                    format!("{total}: {}", ops.join(", "))
                }
            },
            statuses
                .iter()
                .map(|(s, n)| format!("{s}×{n}"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    line(String::new());
    line(format!(
        "Generations (seen finished by the client / metrics): {}",
        outcome_rows.join(", ")
    ));
    line(format!(
        "Credits (database): charged {db_charged}, refunded {db_refunded}; metrics: charged {m_charged} (counted when written, also in rolled-back transactions), refunded {m_refunded}"
    ));
    line(format!(
        "Bucket: {} objects, {} referenced by rows, {} explained orphans",
        objects.len(),
        referenced.len(),
        explained.len()
    ));
    line(format!(
        "HTTP by status (client, from the API / metrics summed over processes): {}",
        status_rows.join(", ")
    ));
    line(String::new());
    line("| Invariant | Result | Detail |".into());
    line("|---|---|---|".into());
    for c in &checks {
        line(format!(
            "| {} | {} | {} |",
            c.name,
            if c.ok { "ok" } else { "FAILED" },
            c.detail.replace('|', "/")
        ));
    }
    if let Some(path) = &opt.report {
        std::fs::write(path, &table).unwrap();
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed > 0 {
        eprintln!("{failed} invariant(s) FAILED");
        std::process::exit(1);
    }
    eprintln!("every invariant holds");
}
