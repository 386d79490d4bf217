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

use std::time::{Duration, Instant};

use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, RuntimeErr, TransactionTrait,
};
use sea_orm_migration::{MigrationTrait, MigratorTrait, SchemaManager};

use crate::{Migrator, catalog};
use ledger::{Origin, Recorded, Run};
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

/// Applies pending migrations (all, or the next `steps`) and returns their versions.
pub async fn up(url: &str, steps: Option<u32>, opts: &Options) -> Result<Vec<String>, DeployError> {
    deploy(url, "up", steps, opts, Mode::Up).await
}

/// Adopts what exists (repairing what is safely addable), then, for
/// [`Mode::UpAdopt`], runs the rest. Returns the versions recorded.
pub async fn adopt(url: &str, mode: Mode, opts: &Options) -> Result<Vec<String>, DeployError> {
    let command = if mode == Mode::AdoptOnly {
        "adopt"
    } else {
        "up --adopt"
    };
    deploy(url, command, None, opts, mode).await
}

async fn deploy(
    url: &str,
    command: &str,
    steps: Option<u32>,
    opts: &Options,
    mode: Mode,
) -> Result<Vec<String>, DeployError> {
    locked(url, command, opts, async |db, run| {
        let mut applied = Vec::new();
        let result = apply_pending(db, url, steps, run, &mut applied, mode, opts).await;
        let failed = failed_version(&result);
        (result.map(|()| applied.clone()), applied, failed)
    })
    .await
}

/// The version a failed deploy stopped at, for the journal.
fn failed_version<T>(result: &Result<T, DeployError>) -> Option<String> {
    match result {
        Err(DeployError::MigrationFailed { version, .. })
        | Err(DeployError::LockNotAvailable { version, .. }) => Some(version.clone()),
        _ => None,
    }
}

/// Rolls back the last `steps` migrations that this tool applied and returns them.
pub async fn down(url: &str, steps: u32, opts: &Options) -> Result<Vec<String>, DeployError> {
    locked(url, "down", opts, async |db, run| {
        let mut reverted = Vec::new();
        let result = match guard_destructive(db, url, "down", opts).await {
            Ok(()) => revert(db, steps, run, &mut reverted).await,
            Err(e) => Err(e),
        };
        let failed = match &result {
            Err(DeployError::MigrationFailed { version, .. }) => Some(version.clone()),
            _ => None,
        };
        (result.map(|()| reverted.clone()), reverted, failed)
    })
    .await
}

fn uses_transaction(migration: &dyn MigrationTrait, backend: DbBackend) -> bool {
    migration
        .use_transaction()
        .unwrap_or(backend == DbBackend::Postgres)
}

/// Applied versions whose source changed since they were applied, as report lines.
fn checksum_mismatches(recorded: &[Recorded]) -> Vec<String> {
    recorded
        .iter()
        .filter_map(|r| {
            let stored = r.src_sha256.as_deref()?;
            let current = source_checksum(&r.version)?;
            (stored != current).then(|| {
                format!(
                    "{} was edited after it was applied (recorded sha256 {stored}, source now {current}); \
                     see `git log -p -- migration/src/{}.rs` and restore it, or write a new migration",
                    r.version, r.version
                )
            })
        })
        .collect()
}

/// Checks the ledger against this build: edited applied migrations and versions this
/// build does not know are drift.
fn verify_history(
    recorded: &[Recorded],
    known: &[Box<dyn MigrationTrait>],
) -> Result<(), DeployError> {
    let mut problems = checksum_mismatches(recorded);
    for r in recorded {
        if !known.iter().any(|m| m.name() == r.version) {
            problems.push(format!(
                "the database records {} but this build does not know it: deploy a build that \
                 contains it, or check which build migrated this database",
                r.version
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(DeployError::Drift(problems.join("\n")))
    }
}

/// What a deploy may do besides running migrations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Run pending migrations; refuse when the database needs adopting or repairing.
    Up,
    /// Adopt and repair what the plan says, then run the pending migrations.
    UpAdopt,
    /// Adopt and repair, and stop before the first migration that would run.
    AdoptOnly,
}

async fn apply_pending(
    db: &DatabaseConnection,
    url: &str,
    steps: Option<u32>,
    run: &Run,
    applied: &mut Vec<String>,
    mode: Mode,
    opts: &Options,
) -> Result<(), DeployError> {
    let backup_dir = opts.backup.as_deref();
    // Re-read under the lock: what was pending before it was taken may be applied now.
    let recorded = ledger::recorded(db).await?;
    let known = Migrator::migrations();
    verify_history(&recorded, &known)?;
    let is_recorded = |name: &str| recorded.iter().any(|r| r.version == name);
    let last_recorded = recorded.iter().map(|r| r.version.as_str()).max();
    let first_pending = known.iter().find(|m| !is_recorded(m.name()));
    if let (Some(first), Some(last)) = (first_pending, last_recorded)
        && first.name() < last
    {
        return Err(DeployError::Refused(format!(
            "{} is pending but the later {last} is already applied: applying it out of order \
             could break assumptions of the later one. Review it and move it after {last}",
            first.name()
        )));
    }
    // Inspect, plan every step, and refuse as a whole before any DDL.
    let plan = plan::plan(db).await?;
    if plan.refused() {
        return Err(DeployError::Refused(format!(
            "refusing the deploy; nothing was applied.\n{}",
            plan.render()
        )));
    }
    if mode == Mode::Up && plan.steps.iter().any(|s| s.kind != plan::StepKind::Run) {
        return Err(DeployError::Refused(format!(
            "this database holds objects its ledger does not record, or objects of applied \
             migrations are missing: `up` does not create over them blindly; nothing was \
             applied.\n{}",
            plan.render()
        )));
    }
    let lock_safe = db.get_database_backend() == DbBackend::Postgres && opts.ddl.enabled();
    if lock_safe {
        refuse_rewrites(db, &plan, mode).await?;
    }
    let taken = match &backup_dir {
        Some(dir) if !plan.steps.is_empty() => Some(backup::backup(db, url, dir).await?),
        _ => None,
    };
    ledger::install(db).await?;
    if let Some((path, size)) = taken {
        journal_backup(db, url, run, &path, size, &recorded).await?;
    }
    let adopting = plan
        .steps
        .iter()
        .any(|s| s.kind != plan::StepKind::Run && !s.recorded);
    if adopting && ledger::environment(db).await?.is_none() {
        // A database this tool did not create is someone's real data: guard it.
        ledger::set_environment(db, "production", &run.id).await?;
    }
    let limit = steps.map_or(usize::MAX, |s| s as usize);
    for step in plan.steps.iter().take(limit) {
        match step.kind {
            plan::StepKind::Run if mode == Mode::AdoptOnly => break,
            plan::StepKind::Run => {
                let migration = known
                    .iter()
                    .find(|m| m.name() == step.version)
                    .expect("planned from the known migrations");
                check_contract(db, migration.name(), &recorded).await?;
                if lock_safe {
                    apply_lock_safe(db, url, migration.as_ref(), run, opts).await?;
                } else {
                    apply_one(db, migration.as_ref(), run).await?;
                }
            }
            plan::StepKind::Adopt | plan::StepKind::Repair if lock_safe => {
                let statements = step_sql(db.get_database_backend(), step);
                let write = (!step.recorded).then(|| execute::LedgerWrite {
                    version: step.version.clone(),
                    origin: Origin::Adopted,
                    checksum: source_checksum(&step.version),
                    evidence: Some(evidence(step, &plan)),
                });
                execute::run_step(db, url, &opts.ddl, &statements, write, &step.version, run)
                    .await?;
                tracing::info!(version = %step.version, repairs = step.repairs.len(), "adopted");
            }
            plan::StepKind::Adopt | plan::StepKind::Repair => {
                adopt_one(db, step, &plan, run).await?;
            }
        }
        if !step.recorded {
            applied.push(step.version.clone());
        }
    }
    Ok(())
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

/// The repairs of an adoption step as SQL.
fn step_sql(backend: DbBackend, step: &plan::Step) -> Vec<String> {
    step.repairs
        .iter()
        .flat_map(|r| plan::repair_statements(backend, &step.version, r))
        .map(|s| s.to_string())
        .collect()
}

/// The `users` columns as they are now: what `m20251016` reads before it adds the
/// `unlimitedPose*` columns.
async fn user_columns(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(catalog::columns_by_table(db)
        .await?
        .into_iter()
        .filter(|(t, _)| t == "users")
        .map(|(_, c)| c)
        .collect())
}

/// PostgreSQL: a migration runs as the statements `migration plan` shows (rendered on
/// a recording connection against the live catalog), the lock-safe way. One that
/// cannot be rendered runs as written, in one transaction, still under
/// `lock_timeout` and retried as a whole.
async fn apply_lock_safe(
    db: &DatabaseConnection,
    url: &str,
    migration: &dyn MigrationTrait,
    run: &Run,
    opts: &Options,
) -> Result<(), DeployError> {
    let version = migration.name().to_owned();
    let users = user_columns(db).await?;
    let write = execute::LedgerWrite {
        version: version.clone(),
        origin: Origin::Applied,
        checksum: source_checksum(&version),
        evidence: None,
    };
    match preview::migration_sql(DbBackend::Postgres, migration, &users).await {
        Ok(statements) => {
            execute::run_step(db, url, &opts.ddl, &statements, Some(write), &version, run).await?
        }
        Err(reason) => {
            tracing::warn!(%version, %reason, "not rendered: running it as written");
            let mut tries = 0;
            loop {
                tries += 1;
                match apply_one(db, migration, run).await {
                    Err(DeployError::MigrationFailed {
                        sqlstate: Some(s), ..
                    }) if s == "55P03" && tries <= opts.ddl.retries => {
                        tokio::time::sleep(opts.ddl.backoff(tries)).await;
                    }
                    other => return other,
                }
            }
        }
    }
    tracing::info!(%version, "applied");
    Ok(())
}

/// Before any SQL: a step that would rewrite a table holding rows is refused
/// ([`ddl_locks::classify`]), with the plan.
async fn refuse_rewrites(
    db: &DatabaseConnection,
    plan: &plan::Plan,
    mode: Mode,
) -> Result<(), DeployError> {
    let users = user_columns(db).await?;
    let migrations = Migrator::migrations();
    let mut problems = Vec::new();
    for step in &plan.steps {
        let statements = match step.kind {
            plan::StepKind::Run if mode == Mode::AdoptOnly => break,
            plan::StepKind::Run => {
                let Some(m) = migrations.iter().find(|m| m.name() == step.version) else {
                    continue;
                };
                match preview::migration_sql(DbBackend::Postgres, m.as_ref(), &users).await {
                    Ok(sql) => sql,
                    Err(_) => continue,
                }
            }
            _ => step_sql(DbBackend::Postgres, step),
        };
        if let Err(DeployError::Refused(why)) =
            execute::prepare(db, &statements, &ddl_locks::DdlLocks::default()).await
        {
            problems.push(format!("{}: {why}", step.version));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(DeployError::Refused(format!(
            "refusing the deploy before any SQL: {}",
            problems.join("\n")
        )))
    }
}

fn evidence(step: &plan::Step, plan: &plan::Plan) -> String {
    let lines: Vec<String> = plan
        .items
        .iter()
        .filter(|i| i.migration.as_deref() == Some(step.version.as_str()))
        .map(ToString::to_string)
        .collect();
    if lines.is_empty() {
        "every object present as the target defines it".to_owned()
    } else {
        lines.join("\n")
    }
}

async fn apply_one(
    db: &DatabaseConnection,
    migration: &dyn MigrationTrait,
    run: &Run,
) -> Result<(), DeployError> {
    let backend = db.get_database_backend();
    let version = migration.name().to_owned();
    let started = Instant::now();
    let checksum = source_checksum(&version);
    let outcome: Result<(), DbErr> = async {
        if uses_transaction(migration, backend) {
            let txn = db.begin().await?;
            migration.up(&SchemaManager::new(&txn)).await?;
            let ms = started.elapsed().as_millis() as i64;
            ledger::record(&txn, &version, Origin::Applied, checksum, ms, &run.id, None).await?;
            txn.commit().await
        } else {
            migration.up(&SchemaManager::new(db)).await?;
            let ms = started.elapsed().as_millis() as i64;
            ledger::record(db, &version, Origin::Applied, checksum, ms, &run.id, None).await
        }
    }
    .await;
    if let Err(err) = outcome {
        return Err(DeployError::MigrationFailed {
            sqlstate: sqlstate(&err),
            error: err.to_string(),
            version,
        });
    }
    tracing::info!(%version, ms = started.elapsed().as_millis() as u64, "applied");
    Ok(())
}

/// Applies a step's repairs and records the version as adopted, with the plan's
/// findings for it as evidence, in one transaction.
async fn adopt_one(
    db: &DatabaseConnection,
    step: &plan::Step,
    plan: &plan::Plan,
    run: &Run,
) -> Result<(), DeployError> {
    let backend = db.get_database_backend();
    let started = Instant::now();
    let evidence = evidence(step, plan);
    let outcome: Result<(), DbErr> = async {
        let txn = db.begin().await?;
        for repair in &step.repairs {
            for statement in plan::repair_statements(backend, &step.version, repair) {
                txn.execute_raw(statement).await?;
            }
        }
        if !step.recorded {
            let ms = started.elapsed().as_millis() as i64;
            let checksum = source_checksum(&step.version);
            ledger::record(
                &txn,
                &step.version,
                Origin::Adopted,
                checksum,
                ms,
                &run.id,
                Some(&evidence),
            )
            .await?;
        }
        txn.commit().await
    }
    .await;
    if let Err(err) = outcome {
        return Err(DeployError::MigrationFailed {
            sqlstate: sqlstate(&err),
            error: err.to_string(),
            version: step.version.clone(),
        });
    }
    tracing::info!(version = %step.version, repairs = step.repairs.len(), "adopted");
    Ok(())
}

async fn check_contract(
    db: &DatabaseConnection,
    version: &str,
    recorded: &[Recorded],
) -> Result<(), DeployError> {
    let Some(contract) = contract::of(version) else {
        return Err(DeployError::Failed(format!(
            "{version} has no contract in deploy/contract.rs"
        )));
    };
    let tables = catalog::table_names(db).await?;
    let columns = catalog::columns_by_table(db).await?;
    let violations = contract::violations(&contract, &tables, &columns);
    if violations.is_empty() {
        return Ok(());
    }
    let creates_existing = violations.iter().any(|v| v.contains("already exists"));
    let next_step = if creates_existing {
        "this database holds objects that its ledger does not record (built by another tool, or by \
         hand): `migration up --adopt` verifies and records them (`migration plan` shows how)"
    } else if recorded.is_empty() {
        "the migrations it depends on have not run: check DATABASE_URL points at the right database"
    } else {
        "the ledger says earlier migrations are applied but their objects are missing: the schema \
         drifted; run `migration check` for the full report"
    };
    Err(DeployError::Refused(format!(
        "refusing to run {version} before any of its SQL: it {}.\nNext step: {next_step}",
        violations.join("; it ")
    )))
}

async fn revert(
    db: &DatabaseConnection,
    steps: u32,
    run: &Run,
    reverted: &mut Vec<String>,
) -> Result<(), DeployError> {
    let backend = db.get_database_backend();
    let recorded = ledger::recorded(db).await?;
    let known = Migrator::migrations();
    verify_history(&recorded, &known)?;
    let to_revert: Vec<&Recorded> = recorded.iter().rev().take(steps as usize).collect();
    // All or nothing: refuse before reverting anything.
    if let Some(r) = to_revert
        .iter()
        .find(|r| r.state.as_deref() == Some(Origin::Adopted.as_str()))
    {
        return Err(DeployError::Refused(format!(
            "{} was adopted from an existing schema, not applied by this tool: its objects \
             may be shared with other apps, so it is never rolled back; nothing was reverted",
            r.version
        )));
    }
    if !recorded.is_empty() {
        ledger::install(db).await?;
    }
    for r in to_revert {
        let migration = known
            .iter()
            .find(|m| m.name() == r.version)
            .expect("verify_history checked every recorded version is known");
        let outcome: Result<(), DbErr> = async {
            if uses_transaction(migration.as_ref(), backend) {
                let txn = db.begin().await?;
                migration.down(&SchemaManager::new(&txn)).await?;
                ledger::unrecord(&txn, &r.version, &run.id).await?;
                txn.commit().await
            } else {
                migration.down(&SchemaManager::new(db)).await?;
                ledger::unrecord(db, &r.version, &run.id).await
            }
        }
        .await;
        if let Err(err) = outcome {
            return Err(DeployError::MigrationFailed {
                sqlstate: sqlstate(&err),
                error: err.to_string(),
                version: r.version.clone(),
            });
        }
        reverted.push(r.version.clone());
    }
    Ok(())
}

/// Every migration's state, as `status` reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StatusRow {
    pub version: String,
    /// `applied`, `adopted`, `pending`, `checksum_mismatch`, `unverified` (recorded by
    /// another tool, so no checksum to compare) or `missing_in_code` (recorded by the
    /// database, unknown to this build).
    pub state: &'static str,
    /// When it was recorded (Unix seconds, from `seaql_migrations`).
    pub applied_at: Option<i64>,
}

/// The exit code `status` ends with for these rows (see [`exit`]).
pub fn status_exit_code(rows: &[StatusRow]) -> u8 {
    if rows
        .iter()
        .any(|r| matches!(r.state, "checksum_mismatch" | "missing_in_code"))
    {
        exit::DRIFT
    } else if rows.iter().any(|r| r.state == "pending") {
        exit::PENDING
    } else {
        exit::OK
    }
}

/// Read-only: takes no lock and creates nothing, so it works for a SELECT-only role.
pub async fn status(db: &DatabaseConnection) -> Result<Vec<StatusRow>, DeployError> {
    let recorded = ledger::recorded(db).await?;
    let mut rows: Vec<StatusRow> = Migrator::migrations()
        .iter()
        .map(|m| {
            let version = m.name().to_owned();
            let record = recorded.iter().find(|r| r.version == version);
            let state = match record {
                None => "pending",
                Some(r) => match (r.src_sha256.as_deref(), source_checksum(&version)) {
                    (Some(stored), Some(current)) if stored != current => "checksum_mismatch",
                    (None, _) => "unverified",
                    _ if r.state.as_deref() == Some(Origin::Adopted.as_str()) => "adopted",
                    _ => "applied",
                },
            };
            StatusRow {
                version,
                state,
                applied_at: record.map(|r| r.applied_at),
            }
        })
        .collect();
    for r in &recorded {
        if !rows.iter().any(|row| row.version == r.version) {
            rows.push(StatusRow {
                version: r.version.clone(),
                state: "missing_in_code",
                applied_at: Some(r.applied_at),
            });
        }
    }
    Ok(rows)
}

/// Rolls back every migration this tool applied, newest first.
pub async fn reset(url: &str, opts: &Options) -> Result<Vec<String>, DeployError> {
    down(url, u32::MAX, opts).await
}

/// Drops every application table (the ledger's journal is kept, its records of
/// applied versions are cleared), then applies every migration.
pub async fn fresh(url: &str, opts: &Options) -> Result<Vec<String>, DeployError> {
    locked(url, "fresh", opts, async |db, run| {
        let mut applied = Vec::new();
        let result = async {
            guard_destructive(db, url, "fresh", opts).await?;
            ledger::install(db).await?;
            drop_application_tables(db).await?;
            apply_pending(db, url, None, run, &mut applied, Mode::Up, opts).await
        }
        .await;
        let failed = failed_version(&result);
        (result.map(|()| applied.clone()), applied, failed)
    })
    .await
}

async fn drop_application_tables(db: &DatabaseConnection) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let tables: Vec<String> = catalog::table_names(db)
        .await?
        .into_iter()
        .filter(|t| !ledger::TOOL_TABLES.contains(&t.as_str()))
        .collect();
    if backend == DbBackend::Sqlite {
        // Dropping a parent with enforcement on would cascade into tables not yet dropped.
        db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    }
    let mut result = Ok(());
    for table in &tables {
        let mut drop = sea_orm_migration::prelude::Table::drop();
        drop.table(table.clone()).if_exists();
        if backend == DbBackend::Postgres {
            drop.cascade();
        }
        if let Err(e) = db.execute(&drop).await {
            result = Err(e);
            break;
        }
    }
    if backend == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    }
    result?;
    db.execute_unprepared(r#"DELETE FROM "seaql_migrations""#)
        .await?;
    db.execute_unprepared(r#"DELETE FROM "migration_ledger""#)
        .await?;
    Ok(())
}

/// Records the current source checksum of an applied, edited migration, with the
/// operator's reason in the journal (an audited Flyway `repair`).
pub async fn rebless(
    url: &str,
    version: &str,
    reason: &str,
    opts: &Options,
) -> Result<(), DeployError> {
    let Some(current) = source_checksum(version) else {
        return Err(DeployError::Refused(format!(
            "{version} is not a migration of this build"
        )));
    };
    locked(url, "rebless", opts, async |db, run| {
        let result = async {
            let recorded = ledger::recorded(db).await?;
            if !recorded.iter().any(|r| r.version == version) {
                return Err(DeployError::Refused(format!(
                    "{version} is not applied: nothing to rebless"
                )));
            }
            ledger::install(db).await?;
            ledger::set_checksum(db, version, current).await?;
            run.note(format!("{version} reblessed to {current}: {reason}"));
            Ok(())
        }
        .await;
        (result, vec![version.to_owned()], None)
    })
    .await
}

/// Marks the database's environment (journalled, under the lock).
pub async fn set_environment(
    url: &str,
    environment: &str,
    opts: &Options,
) -> Result<(), DeployError> {
    locked(url, "environment", opts, async |db, run| {
        let result = async {
            ledger::install(db).await?;
            ledger::set_environment(db, environment, &run.id).await?;
            Ok(())
        }
        .await;
        (result, vec![environment.to_owned()], None)
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
    use super::*;

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
