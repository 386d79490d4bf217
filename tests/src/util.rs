//! Small helpers shared by the harness: random names, temporary directories,
//! running a future to completion outside the caller's runtime, URL surgery and
//! writing to the real stderr.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `len` random lowercase ASCII letters and digits.
///
/// Seeded from the standard library's per-process random hash keys, the clock,
/// the process id and a process-wide counter, so two calls never repeat within a
/// process and collisions between processes are vanishingly unlikely (callers that
/// create server-side objects still treat "already exists" as a reason to retry).
pub fn random_lower_alnum(len: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(len);
    let mut round = 0u64;
    while out.len() < len {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut x = RandomState::new().hash_one((n, nanos, std::process::id(), round));
        // 12 base-36 digits use 62 of the 64 bits.
        for _ in 0..12 {
            if out.len() == len {
                break;
            }
            out.push(ALPHABET[(x % 36) as usize] as char);
            x /= 36;
        }
        round += 1;
    }
    out
}

/// A directory that is removed, with everything in it, when dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<base>/<prefix><random>` (mode 0700).
    pub fn new_in(base: &Path, prefix: &str) -> std::io::Result<TempDir> {
        use std::os::unix::fs::DirBuilderExt;
        for _ in 0..16 {
            let path = base.join(format!("{prefix}{}", random_lower_alnum(12)));
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other(format!(
            "could not create a unique directory in {}",
            base.display()
        )))
    }

    /// Creates `$TMPDIR/<prefix><random>`.
    pub fn new(prefix: &str) -> std::io::Result<TempDir> {
        TempDir::new_in(&std::env::temp_dir(), prefix)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Runs `fut` to completion on a new single-threaded tokio runtime in a new OS
/// thread and returns its output.
///
/// Used where async work must happen from synchronous code that may itself be
/// running inside a tokio runtime (`Drop`, one-time discovery): a runtime cannot be
/// started from within another one on the same thread, and a connection pool created
/// on one runtime must not outlive it, so each such job gets its own short-lived one.
pub fn block_on_fresh<F>(fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cannot build a tokio runtime")
                .block_on(fut)
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Replaces the database (path) part of a server URL such as
/// `postgres://user:pw@host:5432/postgres?sslmode=disable`, keeping the scheme,
/// credentials, host, port and query string.
///
/// ```
/// assert_eq!(
///     tests::util::with_database("postgres://postgres@127.0.0.1:5432/postgres", "t_abc"),
///     "postgres://postgres@127.0.0.1:5432/t_abc"
/// );
/// ```
pub fn with_database(server_url: &str, database: &str) -> String {
    let (scheme, rest) = match server_url.find("://") {
        Some(i) => (&server_url[..i + 3], &server_url[i + 3..]),
        None => ("", server_url),
    };
    let (before_query, query) = match rest.find('?') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    // The authority ends at the first '/' after the last '@' (a password may contain '/').
    let authority_start = before_query.rfind('@').map_or(0, |i| i + 1);
    let authority_end = before_query[authority_start..]
        .find('/')
        .map_or(before_query.len(), |i| authority_start + i);
    let authority = &before_query[..authority_end];
    format!("{scheme}{authority}/{database}{query}")
}

/// Writes straight to the process's stderr, bypassing libtest's output capture
/// (which only intercepts the `print!`/`eprint!` family), so harness notices are
/// seen even when the test passes.
pub fn loud(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{message}");
    let _ = err.flush();
}
