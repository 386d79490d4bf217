//! The two servers under test, each a child process on its own free port.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};

use super::load::{Target, fetch};

/// A running server process.
pub struct Process {
    pub addr: SocketAddr,
    child: Child,
    /// From spawn to the first 200 on the readiness path.
    pub startup: Duration,
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident set size so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// Spawns `command` (with `PORT` set to a free port) and waits until `ready_path`
/// answers 200 with `token` as bearer.
async fn spawn(
    name: &'static str,
    mut command: Command,
    ready_path: &str,
    token: &str,
) -> Result<Process, String> {
    let port = free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    let child = command
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the {name} server: {e}"))?;
    let mut process = Process {
        addr,
        child,
        startup: Duration::ZERO,
    };
    let probe = Target {
        addr,
        method: Method::GET,
        path: ready_path.to_owned(),
        token: token.to_owned(),
        body: None,
        expect: StatusCode::OK,
        headers: Vec::new(),
    };
    loop {
        if let Ok((StatusCode::OK, _)) = fetch(&probe).await {
            process.startup = started.elapsed();
            return Ok(process);
        }
        if let Ok(Some(status)) = process.child.try_wait() {
            return Err(format!(
                "the {name} server exited during start-up: {status}"
            ));
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!("the {name} server was not ready within 60 s"));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Our API: `api serve --workers 0`, rate limits off, no migrations at start-up.
pub async fn start_api(
    binary: &Path,
    database_url: &str,
    secret: &str,
    scratch: &Path,
) -> Result<Process, String> {
    start_api_with(binary, database_url, secret, scratch, 0, &[]).await
}

/// `api serve --workers <workers>` with `env` added to [`start_api`]'s environment.
pub async fn start_api_with(
    binary: &Path,
    database_url: &str,
    secret: &str,
    scratch: &Path,
    workers: u32,
    env: &[(&str, &str)],
) -> Result<Process, String> {
    let mut command = Command::new(binary);
    command
        .args(["serve", "--workers", &workers.to_string()])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("JWT_SECRET", secret)
        .env("RATE_LIMITS", "off")
        .env("AUTO_MIGRATE", "false")
        .env("UPLOAD_DIR", scratch.join("uploads"))
        .env("PRESETS_DIR", scratch.join("presets"))
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied());
    spawn("api", command, "/api/health/ready", "").await
}

/// The baseline: this binary's hidden `baseline` subcommand.
pub async fn start_baseline(
    database_url: &str,
    secret: &str,
    token: &str,
) -> Result<Process, String> {
    let mut command = Command::new(super::release_binary("bench"));
    command
        .arg("baseline")
        .env("DATABASE_URL", database_url)
        .env("JWT_SECRET", secret);
    spawn(
        "baseline",
        command,
        "/api/apps/avatar-creator/projects",
        token,
    )
    .await
}
