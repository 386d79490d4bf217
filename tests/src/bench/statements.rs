//! Figure 3: SQL statements per request, counted on the wire. A small TCP proxy sits
//! between a second API process and PostgreSQL and counts the frontend messages that
//! run a statement: `Execute` (extended protocol, what sqlx uses for every query) and
//! `Query` (simple protocol: `BEGIN`, `COMMIT`, unprepared SQL). `Sync` (sqlx's ping
//! before a pooled connection is handed out) and `Parse` (once per statement and
//! connection, cached afterwards) are not statements and are not counted.
//!
//! For figure 4 the proxy can also record each executed statement: its SQL text (from
//! the `Parse` of the statement it runs) and its bound values (from the `Bind`), see
//! [`Recorder`] and [`super::wire`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::wire::{self, Param};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One statement executed while a [`Recorder`] was on.
#[derive(Debug, Clone)]
pub struct Executed {
    /// The SQL text (`Parse`, or a simple `Query`).
    pub sql: String,
    /// The bound values decoded by their type OIDs; `None` for a simple `Query`.
    pub params: Option<Result<Vec<Param>, String>>,
}

/// Records every executed statement while switched on (shared by all connections).
#[derive(Debug, Default)]
pub struct Recorder {
    on: AtomicBool,
    executed: Mutex<Vec<Executed>>,
}

impl Recorder {
    /// Forgets what was recorded and starts recording.
    pub fn start(&self) {
        self.lock().clear();
        self.on.store(true, Ordering::SeqCst);
    }

    /// Stops recording and returns the statements in the order they were executed.
    pub fn stop(&self) -> Vec<Executed> {
        self.on.store(false, Ordering::SeqCst);
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Executed>> {
        self.executed.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, executed: Executed) {
        if self.on.load(Ordering::SeqCst) {
            self.lock().push(executed);
        }
    }
}

/// A running proxy; the counter only grows.
pub struct Proxy {
    pub port: u16,
    statements: Arc<AtomicU64>,
    pub recorder: Arc<Recorder>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free 127.0.0.1 port and forwards to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let statements = Arc::new(AtomicU64::new(0));
        let recorder = Arc::new(Recorder::default());
        let counter = Arc::clone(&statements);
        let shared_recorder = Arc::clone(&recorder);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let counter = Arc::clone(&counter);
                let recorder = Arc::clone(&shared_recorder);
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        relay(client, server, counter, recorder).await;
                    }
                });
            }
        });
        Ok(Self {
            port,
            statements,
            recorder,
            task,
        })
    }

    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    counter: Arc<AtomicU64>,
    recorder: Arc<Recorder>,
) {
    client.set_nodelay(true).ok();
    server.set_nodelay(true).ok();
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let down = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    });
    let mut parser = Parser {
        recorder: Some(recorder),
        ..Parser::default()
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match client_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let counted = parser.feed(&buf[..n]);
        counter.fetch_add(counted, Ordering::SeqCst);
        if server_write.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    down.abort();
}

/// The frontend side of the PostgreSQL protocol, split into messages.
#[derive(Default)]
struct Parser {
    pending: Vec<u8>,
    /// After the startup message, every message starts with a type byte.
    typed: bool,
    recorder: Option<Arc<Recorder>>,
    /// This connection's prepared statements: name → (SQL, parameter type OIDs).
    prepared: HashMap<String, (String, Vec<u32>)>,
    /// The statement the last `Bind` bound, with its decoded values.
    bound: Option<Executed>,
}

const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

impl Parser {
    /// Consumes bytes; returns how many statement-running messages completed.
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        self.pending.extend_from_slice(bytes);
        let mut count = 0;
        let mut at = 0;
        loop {
            let rest = &self.pending[at..];
            if self.typed {
                if rest.len() < 5 {
                    break;
                }
                let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
                if rest.len() < 1 + len {
                    break;
                }
                if matches!(rest[0], b'E' | b'Q') {
                    count += 1;
                }
                if self.recorder.is_some() {
                    let (tag, body) = (rest[0], rest[5..1 + len].to_vec());
                    self.record(tag, &body);
                }
                at += 1 + len;
            } else {
                if rest.len() < 8 {
                    break;
                }
                let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
                if rest.len() < len {
                    break;
                }
                let code = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]);
                if code != SSL_REQUEST && code != GSSENC_REQUEST {
                    self.typed = true;
                }
                at += len.max(8);
            }
        }
        self.pending.drain(..at);
        count
    }

    /// Follows `Parse`, `Bind`, `Execute` and `Query` for the recorder.
    fn record(&mut self, tag: u8, body: &[u8]) {
        let Some(recorder) = self.recorder.clone() else {
            return;
        };
        match tag {
            b'P' => {
                if let Ok(parsed) = wire::parse(body) {
                    self.prepared
                        .insert(parsed.name, (parsed.sql, parsed.types));
                }
            }
            b'B' => {
                self.bound = Some(match wire::bind(body) {
                    Ok(bound) => match self.prepared.get(&bound.statement) {
                        Some((sql, types)) => Executed {
                            sql: sql.clone(),
                            params: Some(wire::decode(types, &bound)),
                        },
                        None => Executed {
                            sql: String::new(),
                            params: Some(Err(format!(
                                "Bind of unknown statement {:?}",
                                bound.statement
                            ))),
                        },
                    },
                    Err(e) => Executed {
                        sql: String::new(),
                        params: Some(Err(format!("unreadable Bind: {e}"))),
                    },
                });
            }
            b'E' => {
                if let Some(executed) = self.bound.clone() {
                    recorder.push(executed);
                }
            }
            b'Q' => {
                let sql = String::from_utf8_lossy(body.strip_suffix(&[0]).unwrap_or(body));
                recorder.push(Executed {
                    sql: sql.into_owned(),
                    params: None,
                });
            }
            _ => {}
        }
    }
}

/// `url` with its host and port replaced by 127.0.0.1:`port` and TLS off (the proxy
/// reads the protocol); also returns the original `host:port`.
pub fn through_proxy(url: &str, port: u16) -> Result<(String, String), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("no scheme in the database URL")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (&authority[..=i], &authority[i + 1..]),
        None => ("", authority),
    };
    let upstream = if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:5432")
    };
    let separator = if path.contains('?') { '&' } else { '?' };
    Ok((
        format!("{scheme}://{userinfo}127.0.0.1:{port}{path}{separator}sslmode=disable"),
        upstream,
    ))
}

/// Statements per request of one list endpoint, for a user with many rows and for a
/// user with one project and one avatar.
#[derive(Debug, Clone)]
pub struct Row {
    pub path: String,
    pub large: Result<f64, String>,
    pub small: Result<f64, String>,
}

impl Row {
    /// Constant (the same for both users) and at most 3.
    pub fn meets_goal(&self) -> bool {
        match (&self.large, &self.small) {
            (Ok(l), Ok(s)) => (l - s).abs() < 0.05 && *l <= 3.05,
            _ => false,
        }
    }
}

/// The list endpoints (paths with `{avatar}` replaced by one of the user's avatars).
pub const LIST_ENDPOINTS: &[&str] = &[
    "/api/apps/avatar-creator/projects",
    "/api/apps/avatar-creator/avatars",
    "/api/apps/avatar-creator/avatars/{avatar}/usage-history",
    "/api/apps/avatar-creator/presets",
    "/api/apps/avatar-creator/persona-examples",
    "/api/apps/pose-generator/projects",
    "/api/apps/pose-generator/generations",
    "/api/apps/pose-generator/library",
    "/api/apps/pose-generator/categories",
    "/api/apps/pose-generator/requests",
];

const REQUESTS: u64 = 20;

/// Sends `REQUESTS` sequential GETs and divides the statements the proxy saw.
async fn count(
    proxy: &Proxy,
    addr: std::net::SocketAddr,
    path: &str,
    token: &str,
) -> Result<f64, String> {
    let target = super::load::Target {
        addr,
        method: hyper::Method::GET,
        path: path.to_owned(),
        token: token.to_owned(),
        body: None,
        expect: hyper::StatusCode::OK,
        headers: Vec::new(),
    };
    // Warm the pool's statement caches first.
    for _ in 0..3 {
        super::load::fetch(&target).await?;
    }
    let before = proxy.statements();
    for _ in 0..REQUESTS {
        let (status, _) = super::load::fetch(&target).await?;
        if status != hyper::StatusCode::OK {
            return Err(format!("status {status}"));
        }
    }
    Ok((proxy.statements() - before) as f64 / REQUESTS as f64)
}

/// (tag, token) of the user with many rows and of the user with one of each.
pub struct Callers<'a> {
    pub large: (&'a str, &'a str),
    pub small: (&'a str, &'a str),
}

pub async fn per_request(
    api_bin: &std::path::Path,
    database_url: &str,
    secret: &str,
    scratch: &std::path::Path,
    callers: Callers<'_>,
) -> Result<Vec<Row>, String> {
    let (_, upstream) = through_proxy(database_url, 0)?;
    let proxy = Proxy::start(upstream).await?;
    let (url, _) = through_proxy(database_url, proxy.port)?;
    let api = super::servers::start_api(api_bin, &url, secret, scratch).await?;
    let mut rows = Vec::new();
    for template in LIST_ENDPOINTS {
        let path_for = |tag: &str| template.replace("{avatar}", &super::data::avatar_id(tag, 0));
        let large = count(
            &proxy,
            api.addr,
            &path_for(callers.large.0),
            callers.large.1,
        )
        .await;
        let small = count(
            &proxy,
            api.addr,
            &path_for(callers.small.0),
            callers.small.1,
        )
        .await;
        rows.push(Row {
            path: template.to_string(),
            large,
            small,
        });
    }
    Ok(rows)
}
