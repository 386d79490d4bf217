//! The API as a separate process (`api_process`, tests/src/bin/api_process.rs, built by
//! cargo before these tests on a fresh checkout), for the tests that kill, signal or
//! share a database between several of them.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use tests::util::TempDir;

use crate::api_client::SECRET;

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
