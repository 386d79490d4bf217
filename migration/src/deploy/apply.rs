//! `up` and `adopt`: the pending migrations of the plan run, adopted or repaired in
//! order under the deploy lock, each checked against its contract and its source
//! checksum first.

use std::time::Instant;

use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait,
};
use sea_orm_migration::{MigrationTrait, MigratorTrait, SchemaManager};

use super::ledger::{self, Origin, Recorded, Run};
use super::{
    DeployError, Options, backup, contract, ddl_locks, execute, journal_backup, locked, plan,
    preview, source_checksum, sqlstate,
};
use crate::{Migrator, catalog};

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
pub(super) fn failed_version<T>(result: &Result<T, DeployError>) -> Option<String> {
    match result {
        Err(DeployError::MigrationFailed { version, .. })
        | Err(DeployError::LockNotAvailable { version, .. }) => Some(version.clone()),
        _ => None,
    }
}

pub(super) fn uses_transaction(migration: &dyn MigrationTrait, backend: DbBackend) -> bool {
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
pub(super) fn verify_history(
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

pub(super) async fn apply_pending(
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
