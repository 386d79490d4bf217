//! The API as a separate process (`api_process`, tests/src/bin/api_process.rs, built by
//! cargo before these tests on a fresh checkout), for the tests that kill, signal or
//! share a database between several of them.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tests::util::TempDir;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::api_client::{PASSWORD, SECRET};

/// An API process, killed (SIGKILL) when dropped.
pub struct Process {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// What the process wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn sigterm(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -TERM failed");
    }

    /// Waits (polling) for the process to exit, at most `timeout`.
    pub async fn exited(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `api <args>` on a free port with the tests' secret, rate limits off, files under
/// `files`, and `vars` on top; its output goes to `files/api-<random>.log`.
pub fn spawn(files: &TempDir, args: &[&str], vars: &[(&str, &str)]) -> Process {
    let log = files
        .path()
        .join(format!("api-{}.log", tests::util::random_lower_alnum(6)));
    let file = std::fs::File::create(&log).unwrap();
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_api_process"));
    cmd.args(args)
        .env("JWT_SECRET", SECRET)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("UPLOAD_DIR", files.path().join("uploads"))
        .env("PRESETS_DIR", files.path().join("presets"))
        .env("RATE_LIMITS", "off")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file));
    for (k, v) in vars {
        cmd.env(k, v);
    }
    Process {
        child: cmd.spawn().unwrap(),
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        log,
    }
}

/// Everything the processes spawned under `files` logged, for failure messages.
pub fn logs(files: &Path) -> String {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(files)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            format!("--- {} ---\n{text}", p.display())
        })
        .collect()
}

impl Process {
    /// Polls `GET /health` until it answers 200 (at most 120 s: a loaded machine).
    pub async fn ready(mut self) -> Self {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(reply) = http(self.addr, "GET", "/health", &[], None).await
                && reply.status == 200
            {
                return self;
            }
            assert!(
                self.alive(),
                "the API process exited at start-up:\n{}",
                self.log()
            );
            assert!(
                Instant::now() < deadline,
                "the API did not become ready:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A reply read off the wire.
#[derive(Debug, Clone)]
pub struct Wire {
    pub status: u16,
    pub body: Value,
}

/// One HTTP/1.1 request on a new connection (`Connection: close`), the whole reply read
/// until the server closes. Errors are transport errors (refused, reset, truncated).
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<Wire, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .write_all(&request_bytes(method, path, headers, body))
        .await
        .map_err(|e| format!("write: {e}"))?;
    read_reply(&mut stream).await
}

pub fn request_bytes(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Vec<u8> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

pub async fn read_reply(stream: &mut TcpStream) -> Result<Wire, String> {
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("truncated reply: {text:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line: {head:?}"))?;
    let length = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())?
    });
    if let Some(length) = length
        && body.len() != length
    {
        return Err(format!("body of {} bytes, announced {length}", body.len()));
    }
    Ok(Wire {
        status,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    })
}

/// Registers `email` through the wire and returns its token.
pub async fn register(addr: SocketAddr, email: &str) -> String {
    let reply = http(
        addr,
        "POST",
        "/api/auth/register",
        &[],
        Some(&json!({ "email": email, "password": PASSWORD })),
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body["data"]["token"].as_str().unwrap().to_owned()
}
