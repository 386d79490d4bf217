//! Figure 5 of issue 6: peak RSS, start-up time, `migration up` against `psql`; the
//! holder of the figures beside the throughput table (3 to 6).

use std::fmt::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::postgres_server::Server;

use super::BenchDb;
use super::{servers, statements};

/// The numbers beside the throughput table.
#[derive(Debug, Default)]
pub struct Extras {
    /// `VmHWM` of the API process after all load runs (64 connections included).
    pub api_peak_rss_kib: Option<u64>,
    pub baseline_peak_rss_kib: Option<u64>,
    /// Spawn to first 200 on /api/health/ready, one per start.
    pub startups: Vec<Duration>,
    /// (`migration up` on an empty database, `psql` applying its schema dump) medians.
    pub migrations: Option<Result<(Duration, Duration), String>>,
    /// Figure 3: statements per request of each list endpoint.
    pub statements: Option<Result<Vec<statements::Row>, String>>,
    /// Figure 4: the 1M-avatar database.
    pub scale: Option<Result<super::scale::Figure, String>>,
    /// Figure 6: generation throughput.
    pub generation: Option<super::throughput::Figure>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

impl Extras {
    pub fn render(&self, ran_64: bool) -> String {
        let mut out = String::new();
        match &self.statements {
            None => {
                let _ = writeln!(
                    out,
                    "- SQL statements per list request constant and ≤ 3: not measured in this run"
                );
            }
            Some(Err(e)) => {
                let _ = writeln!(
                    out,
                    "- SQL statements per list request: measurement failed: {e}"
                );
            }
            Some(Ok(rows)) => {
                let all = rows.iter().all(statements::Row::meets_goal);
                let _ = writeln!(
                    out,
                    "- SQL statements per list request constant and ≤ 3 (table below) → {}",
                    verdict(all)
                );
            }
        }
        match (self.api_peak_rss_kib, ran_64) {
            (Some(kib), true) => {
                let mb = kib as f64 / 1024.0;
                let _ = writeln!(
                    out,
                    "- Peak RSS of the API under 64 connections < 100 MB: {mb:.1} MiB (baseline {:.1} MiB) → {}",
                    self.baseline_peak_rss_kib.unwrap_or(0) as f64 / 1024.0,
                    verdict(mb < 100.0)
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "- Peak RSS under 64 connections: not measured in this run"
                );
            }
        }
        if self.startups.is_empty() {
            let _ = writeln!(out, "- Start to ready < 300 ms: not measured in this run");
        } else {
            let m = median(self.startups.clone());
            let all: Vec<String> = self
                .startups
                .iter()
                .map(|d| format!("{:.0}", ms(*d)))
                .collect();
            let _ = writeln!(
                out,
                "- Start to ready < 300 ms: median {:.0} ms over {} starts ({} ms) → {}",
                ms(m),
                self.startups.len(),
                all.join(", "),
                verdict(m < Duration::from_millis(300))
            );
        }
        match &self.migrations {
            None => {
                let _ = writeln!(out, "- migration up ≤ 2× psql: not measured in this run");
            }
            Some(Err(e)) => {
                let _ = writeln!(out, "- migration up ≤ 2× psql: measurement failed: {e}");
            }
            Some(Ok((up, psql))) => {
                let ratio = up.as_secs_f64() / psql.as_secs_f64();
                let _ = writeln!(
                    out,
                    "- migration up ≤ 2× psql: migration up {:.0} ms, psql {:.0} ms, {ratio:.2}× → {}",
                    ms(*up),
                    ms(*psql),
                    verdict(ratio <= 2.0)
                );
            }
        }
        if let Some(Ok(rows)) = &self.statements {
            let shown = |r: &Result<f64, String>| match r {
                Ok(v) => format!("{v:.2}"),
                Err(e) => format!("failed: {e}"),
            };
            let _ = writeln!(
                out,
                "\nSQL statements per request (Execute + Query messages on the wire, auth included):\n"
            );
            let _ = writeln!(
                out,
                "| GET | reader: 20 projects × 5 avatars, 3 pose projects, 10 generations, 2 requests | user with 1 of each | constant, ≤ 3 |"
            );
            let _ = writeln!(out, "|---|---:|---:|---|");
            for row in rows {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    row.path,
                    shown(&row.large),
                    shown(&row.small),
                    if row.meets_goal() { "yes" } else { "NO" }
                );
            }
        }
        out
    }
}

/// Starts the API a few more times on the migrated database; `first` is the start
/// the load runs used.
pub async fn startups(
    binary: &Path,
    database_url: &str,
    secret: &str,
    scratch: &Path,
    first: Duration,
) -> Vec<Duration> {
    let mut all = vec![first];
    for _ in 0..4 {
        match servers::start_api(binary, database_url, secret, scratch).await {
            Ok(process) => all.push(process.startup),
            Err(e) => eprintln!("start-up measurement: {e}"),
        }
    }
    all
}

/// Medians over three tries of: `migration up` (the deploy tool, in process) on an
/// empty database, and `psql -f` of `pg_dump --schema-only` of such a database on
/// another empty database.
pub async fn migrations(server: &Server) -> Option<Result<(Duration, Duration), String>> {
    Some(migrations_inner(server).await)
}

async fn migrations_inner(server: &Server) -> Result<(Duration, Duration), String> {
    let mut ups = Vec::new();
    let mut psqls = Vec::new();
    let dump_file = std::env::temp_dir().join(format!("bench-schema-{}.sql", std::process::id()));
    for _ in 0..3 {
        let migrated = BenchDb::create(server).await?;
        let started = Instant::now();
        migration::deploy::up(&migrated.url, None, &migration::deploy::Options::default())
            .await
            .map_err(|e| format!("migration up: {e}"))?;
        ups.push(started.elapsed());

        let dump = Command::new("pg_dump")
            .args(["--schema-only", "--no-owner", "--no-privileges", "-f"])
            .arg(&dump_file)
            .arg(&migrated.url)
            .status()
            .map_err(|e| format!("pg_dump: {e}"))?;
        if !dump.success() {
            return Err(format!("pg_dump failed: {dump}"));
        }
        let empty = BenchDb::create(server).await?;
        let started = Instant::now();
        let output = Command::new("psql")
            .args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(&dump_file)
            .arg(&empty.url)
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        psqls.push(started.elapsed());
        if !output.status.success() {
            return Err(format!(
                "psql failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    std::fs::remove_file(&dump_file).ok();
    Ok((median(ups), median(psqls)))
}
