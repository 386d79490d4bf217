//! Runs one step of a PostgreSQL deploy (a migration's statements, or an adoption's
//! repairs) the lock-safe way [`super::ddl_locks`] describes:
//!
//! 1. the statements that belong in the transaction run in one, under `lock_timeout`;
//!    when a statement cannot get its lock in time the whole transaction rolls back
//!    (nothing half-applied), the deploy pauses so the queries that queued behind it
//!    run, and tries again, a bounded number of times;
//! 2. indexes on tables with rows are then built `CONCURRENTLY` (an invalid index left
//!    by a failed build is dropped before the next try) and `NOT VALID` foreign keys
//!    validated, each retried the same way;
//! 3. the ledger row is written last: in the transaction when nothing follows it,
//!    otherwise only once every index is valid and every key validated.
//!
//! While a statement waits, a second session watches `pg_blocking_pids` of the deploy's
//! session, so a deploy that gives up can name who blocked it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
    TransactionTrait,
};

use super::ddl_locks::{self, Ddl, DdlLocks, Phase};
use super::ledger::{self, Origin, Run};
use super::{DeployError, sqlstate};

/// SQLSTATE `lock_not_available`: `lock_timeout` expired.
const LOCK_NOT_AVAILABLE: &str = "55P03";

pub fn is_lock_timeout(err: &DbErr) -> bool {
    sqlstate(err).as_deref() == Some(LOCK_NOT_AVAILABLE)
}

/// The ledger row a step writes once it is complete.
pub struct LedgerWrite {
    pub version: String,
    pub origin: Origin,
    pub checksum: Option<&'static str>,
    pub evidence: Option<String>,
}

/// A session that held a lock the deploy waited for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocker {
    pub pid: i32,
    pub application: String,
    pub state: String,
    pub query_start: String,
    pub query: String,
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} (application '{}', {}, query started {}: {})",
            self.pid, self.application, self.state, self.query_start, self.query
        )
    }
}

/// Polls `pg_blocking_pids` of the deploy's session from a session of its own.
struct Watch {
    stop: tokio::sync::oneshot::Sender<()>,
    seen: tokio::task::JoinHandle<Vec<Blocker>>,
}

const BLOCKERS: &str = r#"
    SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''),
           coalesce(to_char(a.query_start, 'YYYY-MM-DD"T"HH24:MI:SS.MSOF'), ''),
           coalesce(left(regexp_replace(a.query, '\s+', ' ', 'g'), 300), '')
    FROM pg_stat_activity a WHERE a.pid = ANY(pg_blocking_pids($1)) ORDER BY a.pid"#;

impl Watch {
    /// Starts watching after `delay`: most steps finish sooner and never open the
    /// watching session; one that waits for a lock is seen well before its timeout.
    fn start(url: &str, pid: i32, delay: Duration) -> Self {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let url = url.to_owned();
        let seen = tokio::spawn(async move {
            tokio::select! {
                _ = &mut stopped => return Vec::new(),
                _ = tokio::time::sleep(delay) => {}
            }
            let mut opts = ConnectOptions::new(url);
            opts.max_connections(1)
                .min_connections(1)
                .sqlx_logging(false)
                .map_sqlx_postgres_opts(|o| o.application_name("migration deploy (watch)"));
            let Ok(conn) = Database::connect(opts).await else {
                return Vec::new();
            };
            let mut last = Vec::new();
            loop {
                if let Ok(now) = blockers(&conn, pid).await
                    && !now.is_empty()
                {
                    last = now;
                }
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
            let _ = conn.close().await;
            last
        });
        Self { stop, seen }
    }

    async fn stop(self) -> Vec<Blocker> {
        let _ = self.stop.send(());
        self.seen.await.unwrap_or_default()
    }
}

async fn blockers(conn: &DatabaseConnection, pid: i32) -> Result<Vec<Blocker>, DbErr> {
    conn.query_all_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        BLOCKERS,
        [pid.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(Blocker {
            pid: r.try_get_by_index(0)?,
            application: r.try_get_by_index(1)?,
            state: r.try_get_by_index(2)?,
            query_start: r.try_get_by_index(3)?,
            query: r.try_get_by_index(4)?,
        })
    })
    .collect()
}

async fn scalar<T: sea_orm_migration::sea_orm::TryGetable>(
    db: &DatabaseConnection,
    sql: &str,
) -> Result<T, DbErr> {
    db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("no row from {sql}")))?
        .try_get_by_index(0)
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Rows of each existing table. Tables that do not exist are left out: the step
/// creates them.
pub async fn table_rows(
    db: &DatabaseConnection,
    tables: &[String],
) -> Result<HashMap<String, i64>, DbErr> {
    let mut out = HashMap::new();
    for t in tables {
        let exists: bool = scalar(
            db,
            &format!(
                "SELECT to_regclass('public.{}') IS NOT NULL",
                quote(t).replace('\'', "''")
            ),
        )
        .await?;
        if !exists {
            continue;
        }
        // Exact up to 100 000 rows (cheap), the planner's estimate above.
        let n: i64 = scalar(
            db,
            &format!(
                "SELECT CASE WHEN c < 100000 THEN c ELSE greatest(c, (SELECT reltuples::bigint \
                 FROM pg_class WHERE oid = '{r}'::regclass)) END \
                 FROM (SELECT count(*) AS c FROM (SELECT 1 FROM {q} LIMIT 100000) l) s",
                q = quote(t),
                r = quote(t).replace('\'', "''")
            ),
        )
        .await?;
        out.insert(t.clone(), n);
    }
    Ok(out)
}

/// Classifies `statements` against the live row counts.
pub async fn prepare(
    db: &DatabaseConnection,
    statements: &[String],
    locks: &DdlLocks,
) -> Result<Vec<Ddl>, DeployError> {
    let rows = table_rows(db, &ddl_locks::tables_touched(statements)).await?;
    ddl_locks::classify(statements, &rows, locks.enabled()).map_err(DeployError::Refused)
}

/// Whether an index of that name exists and is not valid (a failed concurrent build).
async fn invalid_index(db: &DatabaseConnection, name: &str) -> Result<bool, DbErr> {
    scalar(
        db,
        &format!(
            "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' \
             AND c.relname = '{}' AND NOT i.indisvalid)",
            name.replace('\'', "''")
        ),
    )
    .await
}

async fn drop_if_invalid(db: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
    if invalid_index(db, name).await? {
        tracing::warn!(
            index = name,
            "dropping the invalid index a failed build left"
        );
        db.execute_unprepared(&format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {}",
            quote(name)
        ))
        .await?;
    }
    Ok(())
}

async fn record<C: ConnectionTrait>(
    conn: &C,
    write: &LedgerWrite,
    started: Instant,
    run: &Run,
) -> Result<(), DbErr> {
    ledger::record(
        conn,
        &write.version,
        write.origin,
        write.checksum,
        started.elapsed().as_millis() as i64,
        &run.id,
        write.evidence.as_deref(),
    )
    .await
}

/// Why a step failed, for the error the operator reads.
struct Failure {
    err: DbErr,
    statement: String,
    blockers: Vec<Blocker>,
    attempts: u32,
}

/// One thing a step tries, and tries again after a `lock_timeout`.
enum Attempt<'a> {
    /// The step's transaction, with the ledger row when nothing follows it.
    Transaction {
        ddls: &'a [&'a Ddl],
        ledger: Option<&'a LedgerWrite>,
    },
    /// A concurrent index build or a validation, outside any transaction.
    After(&'a Ddl),
}

impl Attempt<'_> {
    async fn once(
        &self,
        db: &DatabaseConnection,
        started: Instant,
        run: &Run,
    ) -> Result<(), (DbErr, String)> {
        match self {
            Attempt::Transaction { ddls, ledger } => {
                let txn = db.begin().await.map_err(|e| (e, String::new()))?;
                for d in ddls.iter() {
                    txn.execute_unprepared(&d.sql)
                        .await
                        .map_err(|e| (e, d.sql.clone()))?;
                }
                if let Some(write) = ledger {
                    record(&txn, write, started, run)
                        .await
                        .map_err(|e| (e, "the ledger row".to_owned()))?;
                }
                txn.commit().await.map_err(|e| (e, "COMMIT".to_owned()))
            }
            Attempt::After(d) => {
                let fail = |e| (e, d.sql.clone());
                if let Some(name) = &d.index {
                    drop_if_invalid(db, name).await.map_err(fail)?;
                }
                db.execute_unprepared(&d.sql).await.map_err(fail)?;
                if let Some(name) = &d.index
                    && invalid_index(db, name).await.map_err(fail)?
                {
                    return Err(fail(DbErr::Custom(format!(
                        "index {name} was built but is not valid"
                    ))));
                }
                Ok(())
            }
        }
    }

    /// After a failed try: a concurrent build leaves an invalid index behind.
    async fn clean_up(&self, db: &DatabaseConnection) {
        if let Attempt::After(Ddl {
            index: Some(name), ..
        }) = self
        {
            let _ = drop_if_invalid(db, name).await;
        }
    }
}

/// Tries `attempt` until it succeeds, fails otherwise than on `lock_timeout`, or has
/// been tried `retries + 1` times, pausing with a growing backoff in between.
async fn with_retries(
    db: &DatabaseConnection,
    url: &str,
    locks: &DdlLocks,
    attempt: Attempt<'_>,
    started: Instant,
    run: &Run,
) -> Result<(), Failure> {
    let mut tries = 0;
    loop {
        tries += 1;
        let pid: i32 = match scalar(db, "SELECT pg_backend_pid()").await {
            Ok(pid) => pid,
            Err(err) => {
                return Err(Failure {
                    err,
                    statement: String::new(),
                    blockers: Vec::new(),
                    attempts: tries,
                });
            }
        };
        let watch = Watch::start(
            url,
            pid,
            (locks.timeout / 4).min(Duration::from_millis(200)),
        );
        let outcome = attempt.once(db, started, run).await;
        let blockers = watch.stop().await;
        let Err((err, statement)) = outcome else {
            return Ok(());
        };
        attempt.clean_up(db).await;
        if !is_lock_timeout(&err) || tries > locks.retries {
            return Err(Failure {
                err,
                statement,
                blockers,
                attempts: tries,
            });
        }
        let pause = locks.backoff(tries);
        tracing::warn!(
            statement = %statement,
            blockers = %blockers.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            attempt = tries,
            pause_ms = pause.as_millis() as u64,
            "lock_timeout: rolled back, retrying after a pause"
        );
        tokio::time::sleep(pause).await;
    }
}

fn failed(
    version: &str,
    command: &str,
    locks: &DdlLocks,
    failure: Failure,
    waited: Duration,
    state: &str,
) -> DeployError {
    if !is_lock_timeout(&failure.err) {
        return DeployError::MigrationFailed {
            sqlstate: sqlstate(&failure.err),
            error: format!("{} ({state})", failure.err),
            version: version.to_owned(),
        };
    }
    let blockers = if failure.blockers.is_empty() {
        "a session that was gone by the time it was looked up".to_owned()
    } else {
        failure
            .blockers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    DeployError::LockNotAvailable {
        version: version.to_owned(),
        message: format!(
            "{version}: `{}` did not get its lock within lock_timeout {} ms, {} time(s) in \
             {:.1} s; blocked by {blockers}. {state}\nNext step: end that session or wait for \
             it, then run `migration {command}` again (DEPLOY_LOCK_TIMEOUT and \
             DEPLOY_LOCK_RETRIES set how long a deploy waits; the app's queries wait behind \
             each attempt for as long)",
            failure.statement,
            locks.timeout.as_millis(),
            failure.attempts,
            waited.as_secs_f32(),
        ),
    }
}

/// Runs one step's statements lock-safely and writes its ledger row.
pub async fn run_step(
    db: &DatabaseConnection,
    url: &str,
    locks: &DdlLocks,
    statements: &[String],
    ledger_write: Option<LedgerWrite>,
    version: &str,
    run: &Run,
) -> Result<(), DeployError> {
    let started = Instant::now();
    let ddls = prepare(db, statements, locks).await?;
    let in_txn: Vec<&Ddl> = ddls
        .iter()
        .filter(|d| d.phase == Phase::Transaction)
        .collect();
    let after: Vec<&Ddl> = ddls
        .iter()
        .filter(|d| d.phase != Phase::Transaction)
        .collect();
    let command = run.command.clone();

    if !in_txn.is_empty() || after.is_empty() {
        let attempt = Attempt::Transaction {
            ddls: &in_txn,
            ledger: if after.is_empty() {
                ledger_write.as_ref()
            } else {
                None
            },
        };
        if let Err(failure) = with_retries(db, url, locks, attempt, started, run).await {
            return Err(failed(
                version,
                &command,
                locks,
                failure,
                started.elapsed(),
                "It was rolled back: nothing of it was applied or recorded.",
            ));
        }
    }

    let mut validated: Vec<&Ddl> = Vec::new();
    for d in &after {
        let outcome = with_retries(db, url, locks, Attempt::After(d), started, run).await;
        if let Err(failure) = outcome {
            let undone = undo_not_valid_keys(db, &ddls, &validated).await;
            let state = format!(
                "Its transactional part was committed{undone}; {version} is not recorded in \
                 the ledger. `migration up --adopt` completes the missing objects the same \
                 lock-safe way and records it."
            );
            return Err(failed(
                version,
                &command,
                locks,
                failure,
                started.elapsed(),
                &state,
            ));
        }
        validated.push(d);
    }

    if !after.is_empty()
        && let Some(write) = &ledger_write
    {
        let txn = db.begin().await?;
        record(&txn, write, started, run).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// After a failed concurrent phase: foreign keys the transaction added `NOT VALID` and
/// that were not validated yet are dropped again (best effort), so a re-inspection
/// sees them missing and adds them properly. Says what it did.
async fn undo_not_valid_keys(db: &DatabaseConnection, all: &[Ddl], done: &[&Ddl]) -> String {
    let mut dropped = Vec::new();
    for d in all.iter().filter(|d| d.phase == Phase::Validate) {
        if done.iter().any(|v| v.sql == d.sql) {
            continue;
        }
        let Some(table) = &d.table else { continue };
        let Some(name) = d
            .sql
            .split("VALIDATE CONSTRAINT ")
            .nth(1)
            .map(|n| n.trim_matches('"').replace("\"\"", "\""))
        else {
            continue;
        };
        let sql = format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
            quote(table),
            quote(&name)
        );
        if db.execute_unprepared(&sql).await.is_ok() {
            dropped.push(name);
        }
    }
    if dropped.is_empty() {
        String::new()
    } else {
        format!(
            " (the unvalidated keys {} were dropped again)",
            dropped.join(", ")
        )
    }
}

/// The deploy's own PostgreSQL session: one connection (so `pg_backend_pid` names it)
/// whose every statement runs under the deploy's `lock_timeout`.
pub async fn connect(url: &str, locks: &DdlLocks) -> Result<DatabaseConnection, DbErr> {
    let setting = Arc::new(locks.setting());
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .max_connections(1)
        .min_connections(1)
        .map_sqlx_postgres_opts(move |o| {
            o.options([("lock_timeout", setting.as_str())])
                .application_name("migration deploy")
        });
    Database::connect(opts).await
}
