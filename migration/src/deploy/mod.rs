//! Our executor for the migrations (deploy-safety.md §4): sea-orm-migration's own is
//! private and has no lock, no checksums, no preconditions and no journal. It runs the
//! same `MigrationTrait` migrations and keeps `seaql_migrations` compatible.
//!
//! Every command that changes the schema takes the deploy lock, re-reads the ledger
//! under it, checks source checksums and each migration's contract before running it,
//! runs each migration in its own transaction with its ledger rows, and journals the
//! invocation (success, failure with SQLSTATE, refusal or lock timeout).

pub mod backup;
pub mod backup_journal;
pub mod contract;
pub mod ddl_locks;
pub mod execute;
pub mod ledger;
pub mod lock;
pub mod plan;
pub mod preview;
pub mod restore;
#[cfg(test)]
mod source_digest;

mod apply;
mod down;
mod status;

pub use apply::{Mode, adopt, up};
pub use down::{down, fresh, reset};
pub use status::{StatusRow, rebless, set_environment, status, status_exit_code};

use std::time::Duration;

use sea_orm_migration::sea_orm::{DatabaseConnection, DbBackend, DbErr, RuntimeErr};

use ledger::{Recorded, Run};
use lock::DeployLock;

include!(concat!(env!("OUT_DIR"), "/checksums.rs"));

/// SHA-256 of the normalised source of `version`, computed at build time.
pub fn source_checksum(version: &str) -> Option<&'static str> {
    SOURCE_CHECKSUMS
        .iter()
        .find(|(v, _)| *v == version)
        .map(|(_, sum)| *sum)
}

/// Stable process exit codes of the `migration` binary (README, "Operations").
pub mod exit {
    /// Success; for `status` and `check`: nothing pending, nothing wrong.
    pub const OK: u8 = 0;
    /// An unexpected error: connection, SQL, I/O.
    pub const ERROR: u8 = 1;
    /// The command line was wrong.
    pub const USAGE: u8 = 2;
    /// `status`/`check`: migrations are pending.
    pub const PENDING: u8 = 10;
    /// Drift: an applied migration's source changed, the database records migrations
    /// this build does not know, or the live schema differs from the target.
    pub const DRIFT: u8 = 20;
    /// Refused before any SQL ran: a migration's preconditions do not hold, or the
    /// command is not allowed on this database.
    pub const REFUSED: u8 = 30;
    /// Another runner held the deploy lock for the whole `--lock-timeout`.
    pub const LOCK_TIMEOUT: u8 = 75;
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(
        "timed out after {}s waiting for the deploy lock, held by {holder}. \
         Wait for that deploy to finish, or raise --lock-timeout",
        waited.as_secs_f32()
    )]
    LockTimeout { waited: Duration, holder: String },
    #[error("{0}")]
    Drift(String),
    #[error("{0}")]
    Refused(String),
    #[error(
        "migration {version} failed and was rolled back{}: {error}. Nothing of it was \
         recorded; fix the cause and run `migration up` again",
        sqlstate.as_ref().map(|s| format!(" (SQLSTATE {s})")).unwrap_or_default()
    )]
    MigrationFailed {
        version: String,
        error: String,
        sqlstate: Option<String>,
    },
    /// A DDL statement did not get its lock within `lock_timeout`, every attempt.
    #[error("{message}")]
    LockNotAvailable { version: String, message: String },
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("{0}")]
    Failed(String),
}

impl DeployError {
    pub fn exit_code(&self) -> u8 {
        match self {
            DeployError::LockTimeout { .. } | DeployError::LockNotAvailable { .. } => {
                exit::LOCK_TIMEOUT
            }
            DeployError::Drift(_) => exit::DRIFT,
            DeployError::Refused(_) => exit::REFUSED,
            _ => exit::ERROR,
        }
    }

    fn journal_status(&self) -> &'static str {
        match self {
            DeployError::Drift(_) | DeployError::Refused(_) => "refused",
            _ => "failed",
        }
    }
}

/// The SQLSTATE (PostgreSQL) or extended result code (SQLite) of a database error.
pub fn sqlstate(err: &DbErr) -> Option<String> {
    let runtime = match err {
        DbErr::Exec(e) | DbErr::Query(e) | DbErr::Conn(e) => e,
        _ => return None,
    };
    match runtime {
        RuntimeErr::SqlxError(e) => e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned()),
        _ => None,
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    /// How long to wait for another runner's deploy lock.
    pub lock_timeout: Duration,
    /// For destructive commands on a database marked production: its name, repeated.
    pub confirm: Option<String>,
    /// `up --backup DIR`: back the database up here before changing anything.
    pub backup: Option<std::path::PathBuf>,
    /// How DDL waits for table locks (PostgreSQL): `lock_timeout`, retries.
    pub ddl: ddl_locks::DdlLocks,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            lock_timeout: Duration::from_secs(60),
            confirm: None,
            backup: None,
            ddl: ddl_locks::DdlLocks::default(),
        }
    }
}

/// Destructive commands (`down`, `reset`, `refresh`, `fresh`) refuse on a database
/// marked production unless `--confirm` repeats its name (deploy-safety.md R13).
async fn guard_destructive(
    db: &DatabaseConnection,
    url: &str,
    command: &str,
    opts: &Options,
) -> Result<(), DeployError> {
    if ledger::environment(db).await?.as_deref() != Some("production") {
        return Ok(());
    }
    let name = ledger::database_name(db, url).await?;
    if opts.confirm.as_deref() == Some(name.as_str()) {
        tracing::warn!(database = %name, command, "destructive command confirmed on a production database");
        return Ok(());
    }
    Err(DeployError::Refused(format!(
        "`{command}` destroys data and the database `{name}` is marked production; nothing was \
         done. If you really mean it, take a backup and repeat its name: --confirm {name}"
    )))
}

/// Opens the migration connection, takes the deploy lock, runs `body`, journals it
/// as `command`, then releases the lock and closes everything, on every path.
async fn locked<F, T>(url: &str, command: &str, opts: &Options, body: F) -> Result<T, DeployError>
where
    F: AsyncFnOnce(
        &DatabaseConnection,
        &Run,
    ) -> (Result<T, DeployError>, Vec<String>, Option<String>),
{
    let db = if DbBackend::Postgres.is_prefix_of(url) {
        execute::connect(url, &opts.ddl).await?
    } else {
        crate::connect_for_migrations(url).await?
    };
    let backend = db.get_database_backend();
    let (lock, waited) = match DeployLock::acquire(url, backend, opts.lock_timeout).await {
        Ok(taken) => taken,
        Err(e) => {
            let _ = db.close().await;
            return Err(e);
        }
    };
    let result = async {
        // The ledger tables are created inside the lock (two runners never race on
        // them), but only once the command changes something: a refused deploy of a
        // database that has never had them leaves its catalog byte for byte as it was.
        let journalled = ledger::installed(&db).await?;
        let run = Run::new(command);
        let lock_wait_ms = waited.as_millis() as i64;
        if journalled {
            ledger::install(&db).await?;
            run.start(&db, lock_wait_ms).await?;
        }
        let (result, versions, failed_version) = body(&db, &run).await;
        if !journalled {
            if !ledger::installed(&db).await.unwrap_or(false) {
                return result;
            }
            run.start(&db, lock_wait_ms).await?;
        }
        let journal = match &result {
            Ok(_) => run.finish(&db, "succeeded", &versions, None).await,
            Err(e) => {
                let message = e.to_string();
                let state = match e {
                    DeployError::MigrationFailed { sqlstate, .. } => sqlstate.clone(),
                    DeployError::LockNotAvailable { .. } => Some("55P03".to_owned()),
                    _ => None,
                };
                let version = failed_version.as_deref().unwrap_or("");
                run.finish(
                    &db,
                    e.journal_status(),
                    &versions,
                    Some((version, &message, state.as_deref())),
                )
                .await
            }
        };
        if let Err(e) = journal {
            tracing::warn!(error = %e, "could not write the run journal");
        }
        result
    }
    .await;
    let released = lock.release().await;
    let _ = db.close().await;
    let value = result?;
    released?;
    Ok(value)
}

/// Records a backup just written in the journal, and tells the operator where it is.
async fn journal_backup(
    db: &DatabaseConnection,
    url: &str,
    run: &Run,
    path: &std::path::Path,
    size: u64,
    recorded: &[Recorded],
) -> Result<backup_journal::Backup, DeployError> {
    let entry = backup_journal::record(db, url, run, path, size, recorded).await?;
    tracing::info!(path = %path.display(), size, "backup written and verified");
    run.note(format!(
        "backup {} ({size} bytes, sha256 {})",
        path.display(),
        entry.sha256
    ));
    println!(
        "backup: {} ({size} bytes, sha256 {})",
        entry.file, entry.sha256
    );
    Ok(entry)
}

/// `migration backup DIR`: a verified backup of the database as it is, journalled
/// (the runbook's first phase), under the deploy lock so no deploy runs meanwhile.
pub async fn take_backup(
    url: &str,
    dir: &std::path::Path,
    opts: &Options,
) -> Result<backup_journal::Backup, DeployError> {
    locked(url, "backup", opts, async |db, run| {
        let result = async {
            ledger::install(db).await?;
            let recorded = ledger::recorded(db).await?;
            let (path, size) = backup::backup(db, url, dir).await?;
            journal_backup(db, url, run, &path, size, &recorded).await
        }
        .await;
        (result, Vec::new(), None)
    })
    .await
}

/// `migration restore FILE`: see [`restore`].
pub async fn restore_backup(
    url: &str,
    file: &std::path::Path,
    opts: &Options,
) -> Result<restore::Restored, DeployError> {
    locked(url, "restore", opts, async |db, run| {
        let result = async {
            let backup = restore::known_backup(db, file).await?;
            guard_destructive(db, url, "restore", opts).await?;
            let recorded = ledger::recorded(db).await?;
            let dir = file.parent().unwrap_or(std::path::Path::new("."));
            let (path, size) = backup::backup(db, url, dir).await?;
            let safety = journal_backup(db, url, run, &path, size, &recorded).await?;
            restore::restore(db, url, &backup, &opts.ddl).await?;
            run.note(format!(
                "restored {} (taken {} by run {}); safety backup {}",
                backup.file, backup.taken_at, backup.run_id, safety.file
            ));
            Ok(restore::Restored { backup, safety })
        }
        .await;
        (result, Vec::new(), None)
    })
    .await
}

/// Parses `--lock-timeout`: `500ms`, `2s`, `1m`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => t.split_at(at),
        None => (t, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("expected a duration like 500ms, 2s or 1m, got {text:?}"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!(
            "expected a duration like 500ms, 2s or 1m, got {text:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;

    use super::*;
    use crate::Migrator;

    #[test]
    fn every_migration_has_a_contract_and_a_checksum() {
        for m in Migrator::migrations() {
            assert!(
                contract::of(m.name()).is_some(),
                "{} has no contract",
                m.name()
            );
            assert!(
                source_checksum(m.name()).is_some(),
                "{} has no checksum",
                m.name()
            );
        }
    }

    /// The embedded checksums are those of the sources, and a CRLF checkout of a
    /// migration has the same checksum (R5: strict but not brittle).
    #[test]
    fn checksums_match_the_sources_whatever_the_line_endings() {
        for m in Migrator::migrations() {
            let path = format!("{}/src/{}.rs", env!("CARGO_MANIFEST_DIR"), m.name());
            let text = std::fs::read_to_string(&path).unwrap();
            let lf = source_digest::source_digest(text.as_bytes());
            let crlf = source_digest::source_digest(text.replace('\n', "\r\n").as_bytes());
            assert_eq!(Some(lf.as_str()), source_checksum(m.name()), "{path}");
            assert_eq!(lf, crlf, "{path}");
            let edited = source_digest::source_digest(format!("{text}// edited\n").as_bytes());
            assert_ne!(lf, edited, "{path}");
        }
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("2h").is_err());
    }

    #[test]
    fn status_exit_codes_rank_drift_over_pending() {
        let row = |state| StatusRow {
            version: "m".into(),
            state,
            applied_at: None,
        };
        assert_eq!(status_exit_code(&[row("applied")]), exit::OK);
        assert_eq!(
            status_exit_code(&[row("applied"), row("pending")]),
            exit::PENDING
        );
        assert_eq!(
            status_exit_code(&[row("pending"), row("checksum_mismatch")]),
            exit::DRIFT
        );
        assert_eq!(status_exit_code(&[row("missing_in_code")]), exit::DRIFT);
    }
}
