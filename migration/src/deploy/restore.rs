//! `migration restore FILE` (the runbook's rollback, deploy-safety.md R10): put the
//! database back to a backup its journal knows, in one transaction.
//!
//! - PostgreSQL: `pg_restore` turns the dump into SQL and `psql --single-transaction`
//!   runs it after a prelude that drops every object of the database first, so tables
//!   created after the backup (a later migration's) go too. `pg_restore --clean
//!   --if-exists` alone drops only the objects the dump holds and would leave those.
//!   The password travels in `PGPASSWORD`, never on a command line.
//! - SQLite: the backup file is attached and its tables, rows, indexes and triggers
//!   replace the database's in one transaction on the deploy's connection, so the WAL
//!   and any open reader stay consistent (no file is swapped under them).
//!
//! The journal (`migration_runs`, `migration_backups`) is the database's history, not
//! its state: it is carried across the restore, so the restore itself, and the backups
//! taken after the restored one, stay on record.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::NaiveDateTime;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value,
};

use super::backup::pg_program;
use super::backup_journal::{self, Backup};
use super::ddl_locks::DdlLocks;
use super::{DeployError, ledger};

/// What a restore did.
#[derive(Clone, Debug)]
pub struct Restored {
    pub backup: Backup,
    /// The backup of the state just before the restore (to undo it).
    pub safety: Backup,
}

/// The journal entry of `file`: its checksum must be one this database recorded, which
/// proves it was taken from this database and is unchanged since. Refuses otherwise,
/// saying which.
pub async fn known_backup(db: &DatabaseConnection, file: &Path) -> Result<Backup, DeployError> {
    let sha256 = backup_journal::sha256_file(file).map_err(|e| {
        DeployError::Refused(format!(
            "cannot read {}: {e}; nothing was changed",
            file.display()
        ))
    })?;
    let known = backup_journal::list(db).await?;
    let path = std::fs::canonicalize(file)
        .unwrap_or_else(|_| file.to_path_buf())
        .to_string_lossy()
        .into_owned();
    if let Some(found) = known.iter().find(|b| b.sha256 == sha256) {
        return Ok(Backup {
            file: path,
            ..found.clone()
        });
    }
    let listing = "`migration backups` lists the backups this database knows";
    if let Some(same_path) = known.iter().find(|b| b.file == path) {
        return Err(DeployError::Refused(format!(
            "{path} changed since it was written: the journal recorded sha256 {} (run {}, {}), \
             the file now has {sha256}. Refusing to restore it; nothing was changed. {listing}",
            same_path.sha256, same_path.run_id, same_path.taken_at
        )));
    }
    Err(DeployError::Refused(format!(
        "{path} is not a backup of this database: no backup in its journal has sha256 {sha256} \
         (a backup of another database, or a changed file). Refusing to restore it; nothing was \
         changed. {listing}"
    )))
}

/// The kinds of the journal's columns, to carry its rows across a restore.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Ts,
    Big,
}

const RUN_COLUMNS: [(&str, Kind); 12] = [
    ("id", Kind::Text),
    ("command", Kind::Text),
    ("runner", Kind::Text),
    ("status", Kind::Text),
    ("started_at", Kind::Ts),
    ("finished_at", Kind::Ts),
    ("lock_wait_ms", Kind::Big),
    ("versions", Kind::Text),
    ("failed_version", Kind::Text),
    ("error", Kind::Text),
    ("error_sqlstate", Kind::Text),
    ("detail", Kind::Text),
];

const BACKUP_COLUMNS: [(&str, Kind); 9] = [
    ("id", Kind::Text),
    ("run_id", Kind::Text),
    ("command", Kind::Text),
    ("taken_at", Kind::Ts),
    ("file", Kind::Text),
    ("size", Kind::Big),
    ("sha256", Kind::Text),
    ("ledger", Kind::Text),
    ("database", Kind::Text),
];

type Rows = Vec<Vec<Value>>;

async fn read_rows(
    db: &DatabaseConnection,
    table: &str,
    columns: &[(&str, Kind)],
) -> Result<Rows, DbErr> {
    let list: Vec<String> = columns.iter().map(|(c, _)| format!("\"{c}\"")).collect();
    let sql = format!("SELECT {} FROM \"{table}\"", list.join(", "));
    let mut out = Vec::new();
    for row in db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
    {
        let mut values = Vec::new();
        for (i, (_, kind)) in columns.iter().enumerate() {
            values.push(match kind {
                Kind::Text => row.try_get_by_index::<Option<String>>(i)?.into(),
                Kind::Ts => row.try_get_by_index::<Option<NaiveDateTime>>(i)?.into(),
                Kind::Big => row.try_get_by_index::<Option<i64>>(i)?.into(),
            });
        }
        out.push(values);
    }
    Ok(out)
}

async fn write_rows<C: ConnectionTrait>(
    db: &C,
    table: &str,
    columns: &[(&str, Kind)],
    rows: Rows,
) -> Result<(), DbErr> {
    db.execute(&Query::delete().from_table(table.to_owned()).take())
        .await?;
    for values in rows {
        let mut insert = Query::insert();
        insert
            .into_table(table.to_owned())
            .columns(columns.iter().map(|(c, _)| (*c).to_owned()))
            .values_panic(values.into_iter().map(Expr::val));
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Restores `backup` (already checked by [`known_backup`]) into the database.
pub async fn restore(
    db: &DatabaseConnection,
    url: &str,
    backup: &Backup,
    locks: &DdlLocks,
) -> Result<(), DeployError> {
    let runs = read_rows(db, ledger::RUNS, &RUN_COLUMNS).await?;
    let backups = read_rows(db, ledger::BACKUPS, &BACKUP_COLUMNS).await?;
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let (url, file, locks) = (url.to_owned(), backup.file.clone(), locks.clone());
            tokio::task::spawn_blocking(move || restore_postgres(&url, Path::new(&file), &locks))
                .await
                .map_err(|e| DeployError::Failed(format!("the restore task failed: {e}")))??;
        }
        DbBackend::Sqlite => restore_sqlite(db, Path::new(&backup.file)).await?,
        other => {
            return Err(DeployError::Failed(format!(
                "no restore method for {other:?}"
            )));
        }
    }
    // The backup may predate the journal: put its tables back, then its history.
    ledger::install(db).await?;
    let txn = db.begin().await?;
    write_rows(&txn, ledger::RUNS, &RUN_COLUMNS, runs).await?;
    write_rows(&txn, ledger::BACKUPS, &BACKUP_COLUMNS, backups).await?;
    txn.commit().await?;
    Ok(())
}

/// Drops every object of the database that is not part of an extension; the dump's
/// SQL then recreates the database as it was. Runs in the restore's transaction, under
/// the deploy's `lock_timeout`.
const DROP_EVERYTHING: &str = r#"
DO $restore$
DECLARE r record;
BEGIN
  FOR r IN SELECT n.nspname FROM pg_namespace n
           WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = n.oid AND d.deptype = 'e') LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
  FOR r IN SELECT c.oid::regclass::text AS name, c.relkind FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('e', 'a', 'i')) LOOP
    EXECUTE format('DROP %s IF EXISTS %s CASCADE',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
        WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.name);
  END LOOP;
  FOR r IN SELECT t.oid::regtype::text AS name FROM pg_type t
           JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e') LOOP
    EXECUTE format('DROP TYPE IF EXISTS %s CASCADE', r.name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure::text AS name, p.prokind FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public'
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('DROP %s IF EXISTS %s CASCADE',
      CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, r.name);
  END LOOP;
END
$restore$;
"#;

fn restore_postgres(url: &str, file: &Path, locks: &DdlLocks) -> Result<(), DeployError> {
    let (url, password) = crate::db_url::split_password(url);
    let mut tries = 0;
    loop {
        tries += 1;
        let mut script = Command::new(pg_program("pg_restore"))
            .arg("--file=-")
            .arg(file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| DeployError::Failed(format!("cannot run pg_restore: {e}")))?;
        let mut psql = Command::new(pg_program("psql"));
        psql.args([
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set",
            "ON_ERROR_STOP=1",
            "--file=-",
            "--dbname",
            &url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        if let Some(password) = &password {
            psql.env("PGPASSWORD", password);
        }
        let mut psql = psql
            .spawn()
            .map_err(|e| DeployError::Failed(format!("cannot run psql: {e}")))?;
        let fed = (|| {
            let mut input = psql.stdin.take().expect("piped");
            writeln!(input, "SET lock_timeout = '{}';", locks.setting())?;
            input.write_all(DROP_EVERYTHING.as_bytes())?;
            std::io::copy(script.stdout.as_mut().expect("piped"), &mut input)?;
            Ok::<_, std::io::Error>(())
        })();
        let dumped = script
            .wait_with_output()
            .map_err(|e| DeployError::Failed(format!("pg_restore: {e}")))?;
        let applied = psql
            .wait_with_output()
            .map_err(|e| DeployError::Failed(format!("psql: {e}")))?;
        if !dumped.status.success() {
            return Err(DeployError::Failed(format!(
                "pg_restore could not read {}: {}; nothing was changed",
                file.display(),
                String::from_utf8_lossy(&dumped.stderr).trim()
            )));
        }
        let stderr = String::from_utf8_lossy(&applied.stderr).trim().to_owned();
        if applied.status.success() && fed.is_ok() {
            return Ok(());
        }
        if stderr.contains("lock timeout") && tries <= locks.retries {
            tracing::warn!(
                attempt = tries,
                "restore: lock_timeout, rolled back; retrying"
            );
            std::thread::sleep(locks.backoff(tries));
            continue;
        }
        return Err(DeployError::Failed(format!(
            "the restore of {} failed and was rolled back (one transaction): {}{}",
            file.display(),
            stderr,
            fed.err().map(|e| format!(" ({e})")).unwrap_or_default()
        )));
    }
}

fn q(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

async fn restore_sqlite(db: &DatabaseConnection, file: &Path) -> Result<(), DeployError> {
    let path = file.to_string_lossy().replace('\'', "''");
    // Both pragmas and ATTACH only take effect outside a transaction; the deploy's
    // SQLite connection is a single one, so they hold for the transaction below.
    db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    db.execute_unprepared(&format!("ATTACH DATABASE '{path}' AS restore_src"))
        .await?;
    let outcome = copy_attached(db).await;
    let _ = db.execute_unprepared("DETACH DATABASE restore_src").await;
    db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    outcome.map_err(|e| {
        DeployError::Failed(format!(
            "the restore of {} failed and was rolled back (one transaction): {e}",
            file.display()
        ))
    })
}

async fn names(
    db: &impl ConnectionTrait,
    schema: &str,
    kind: &str,
) -> Result<Vec<(String, Option<String>)>, DbErr> {
    let sql = format!(
        "SELECT name, sql FROM {schema}.sqlite_master WHERE type = '{kind}' \
         AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    );
    db.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await?
        .iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

async fn copy_attached(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    for (view, _) in names(&txn, "main", "view").await? {
        txn.execute_unprepared(&format!("DROP VIEW main.{}", q(&view)))
            .await?;
    }
    for (table, _) in names(&txn, "main", "table").await? {
        txn.execute_unprepared(&format!("DROP TABLE main.{}", q(&table)))
            .await?;
    }
    for (table, sql) in names(&txn, "restore_src", "table").await? {
        let Some(sql) = sql else { continue };
        txn.execute_unprepared(&sql).await?;
        txn.execute_unprepared(&format!(
            "INSERT INTO main.{t} SELECT * FROM restore_src.{t}",
            t = q(&table)
        ))
        .await?;
    }
    for kind in ["index", "trigger", "view"] {
        for (_, sql) in names(&txn, "restore_src", kind).await? {
            if let Some(sql) = sql {
                txn.execute_unprepared(&sql).await?;
            }
        }
    }
    let check = txn
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA foreign_key_check",
        ))
        .await?;
    if !check.is_empty() {
        return Err(DbErr::Custom(format!(
            "{} foreign-key violation(s) in the restored rows",
            check.len()
        )));
    }
    txn.commit().await
}
