//! What the database records about its migrations (deploy-safety.md R1):
//! - `seaql_migrations (version, applied_at)`, the stock sea-orm-migration ledger, kept
//!   byte-compatible so the stock tool still reads it;
//! - `migration_ledger`, one row per version with how it got there (`applied` by us,
//!   `adopted` from an existing schema, `reverted`), the checksum of its source and
//!   the run that did it;
//! - `migration_runs`, an append-only journal with one row per command invocation,
//!   including failed and refused ones.
//!
//! A failed migration leaves no ledger row (its transaction rolled back) and one
//! journal row with the error, so it never blocks the next deploy.

use chrono::{NaiveDateTime, Timelike, Utc};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TryGetable};
use sea_orm_migration::seaql_migrations;

use crate::ddl;

pub const LEDGER: &str = "migration_ledger";
pub const RUNS: &str = "migration_runs";
pub const SETTINGS: &str = "migration_settings";
/// The backups the journal knows (see [`super::backup_journal`]).
pub const BACKUPS: &str = "migration_backups";
/// The tables this tool keeps for itself; never part of the application schema.
pub const TOOL_TABLES: [&str; 5] = ["seaql_migrations", LEDGER, RUNS, SETTINGS, BACKUPS];
/// The tables whose presence means the journal exists (a database journalled before
/// `migration_backups` existed gets it at its next deploy).
const JOURNAL_TABLES: [&str; 4] = ["seaql_migrations", LEDGER, RUNS, SETTINGS];

/// How a version came to be recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Applied,
    Adopted,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Applied => "applied",
            Origin::Adopted => "adopted",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub version: String,
    pub applied_at: i64,
    /// From `migration_ledger`; `None` when the version was recorded by another tool.
    pub state: Option<String>,
    pub src_sha256: Option<String>,
}

pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    // Millisecond precision, as every timestamp column here (schema.md §2.4).
    now.with_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(now)
}

/// Creates the tool tables if they are missing. Runs inside the deploy lock, so
/// two runners never race on the creation.
pub async fn install(db: &DatabaseConnection) -> Result<(), DbErr> {
    let b = db.get_database_backend();
    let schema = sea_orm_migration::sea_orm::Schema::new(b);
    let mut stock = schema.create_table_from_entity(seaql_migrations::Entity);
    db.execute(stock.if_not_exists()).await?;
    db.execute(
        Table::create()
            .table(LEDGER)
            .if_not_exists()
            .col(ColumnDef::new("version").text().not_null().primary_key())
            .col(ddl::text("state"))
            .col(ddl::text_null("src_sha256"))
            .col(ddl::ts(b, "recorded_at"))
            .col(ColumnDef::new("duration_ms").big_integer().null())
            .col(ddl::text_null("run_id"))
            .col(ddl::text_null("evidence")),
    )
    .await?;
    db.execute(
        Table::create()
            .table(RUNS)
            .if_not_exists()
            .col(ColumnDef::new("id").text().not_null().primary_key())
            .col(ddl::text("command"))
            .col(ddl::text("runner"))
            .col(ddl::text("status"))
            .col(ddl::ts(b, "started_at"))
            .col(ddl::ts_null(b, "finished_at"))
            .col(ColumnDef::new("lock_wait_ms").big_integer().null())
            .col(ddl::text_null("versions"))
            .col(ddl::text_null("failed_version"))
            .col(ddl::text_null("error"))
            .col(ddl::text_null("error_sqlstate"))
            .col(ddl::text_null("detail")),
    )
    .await?;
    db.execute(
        Table::create()
            .table(SETTINGS)
            .if_not_exists()
            .col(ColumnDef::new("key").text().not_null().primary_key())
            .col(ddl::text("value"))
            .col(ddl::ts(b, "updated_at"))
            .col(ddl::text_null("run_id")),
    )
    .await?;
    super::backup_journal::install(db).await
}

/// The environment the database is marked as (`production`, `development`), if any.
pub async fn environment(db: &DatabaseConnection) -> Result<Option<String>, DbErr> {
    if !has_table(db, SETTINGS).await? {
        return Ok(None);
    }
    let sql = r#"SELECT "value" FROM "migration_settings" WHERE "key" = 'environment'"#;
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .map(|r| r.try_get_by_index::<String>(0))
        .transpose()
}

/// Marks the database as `environment`; the destructive commands refuse on
/// `production` without a confirmation naming the database.
pub async fn set_environment<C: ConnectionTrait>(
    db: &C,
    environment: &str,
    run_id: &str,
) -> Result<(), DbErr> {
    db.execute(
        &Query::delete()
            .from_table(SETTINGS)
            .and_where(Expr::col("key").eq("environment"))
            .take(),
    )
    .await?;
    db.execute(
        &Query::insert()
            .into_table(SETTINGS)
            .columns(["key", "value", "updated_at", "run_id"])
            .values_panic([
                "environment".into(),
                environment.into(),
                now().into(),
                run_id.into(),
            ])
            .take(),
    )
    .await?;
    Ok(())
}

/// The database's own name: what `--confirm` must repeat.
pub async fn database_name(db: &DatabaseConnection, url: &str) -> Result<String, DbErr> {
    if db.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
        let row = db
            .query_one_raw(Statement::from_string(
                sea_orm_migration::sea_orm::DbBackend::Postgres,
                "SELECT current_database()",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("current_database() returned no row".into()))?;
        return row.try_get_by_index(0);
    }
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    Ok(std::path::Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
        .to_owned())
}

/// Whether the journal exists.
pub async fn installed(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let tables = crate::catalog::table_names(db).await?;
    Ok(JOURNAL_TABLES.iter().all(|t| tables.iter().any(|x| x == t)))
}

async fn has_table(db: &DatabaseConnection, table: &str) -> Result<bool, DbErr> {
    Ok(crate::catalog::table_names(db)
        .await?
        .iter()
        .any(|t| t == table))
}

/// Every version the database records as applied, oldest first, with what our own
/// ledger knows of it. Read-only: works before `install` and for a SELECT-only role.
pub async fn recorded(db: &DatabaseConnection) -> Result<Vec<Recorded>, DbErr> {
    if !has_table(db, "seaql_migrations").await? {
        return Ok(Vec::new());
    }
    let with_ledger = has_table(db, LEDGER).await?;
    let sql = if with_ledger {
        r#"SELECT s."version", s."applied_at", l."state", l."src_sha256"
           FROM "seaql_migrations" s LEFT JOIN "migration_ledger" l ON l."version" = s."version"
           ORDER BY s."version""#
    } else {
        r#"SELECT "version", "applied_at", NULL, NULL FROM "seaql_migrations" ORDER BY "version""#
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .iter()
        .map(|r| {
            Ok(Recorded {
                version: r.try_get_by_index(0)?,
                applied_at: r.try_get_by_index(1)?,
                state: opt(r, 2)?,
                src_sha256: opt(r, 3)?,
            })
        })
        .collect()
}

fn opt<T: TryGetable>(
    r: &sea_orm_migration::sea_orm::QueryResult,
    i: usize,
) -> Result<Option<T>, DbErr> {
    r.try_get_by_index::<Option<T>>(i)
}

/// Records a version in both ledgers; called inside the migration's transaction.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    version: &str,
    origin: Origin,
    src_sha256: Option<&str>,
    duration_ms: i64,
    run_id: &str,
    evidence: Option<&str>,
) -> Result<(), DbErr> {
    let stock = Query::insert()
        .into_table("seaql_migrations")
        .columns(["version", "applied_at"])
        .values_panic([version.into(), Utc::now().timestamp().into()])
        .take();
    db.execute(&stock).await?;
    let delete = Query::delete()
        .from_table(LEDGER)
        .and_where(Expr::col("version").eq(version))
        .take();
    db.execute(&delete).await?;
    let row = Query::insert()
        .into_table(LEDGER)
        .columns([
            "version",
            "state",
            "src_sha256",
            "recorded_at",
            "duration_ms",
            "run_id",
            "evidence",
        ])
        .values_panic([
            version.into(),
            origin.as_str().into(),
            src_sha256.map(str::to_owned).into(),
            now().into(),
            duration_ms.into(),
            run_id.into(),
            evidence.map(str::to_owned).into(),
        ])
        .take();
    db.execute(&row).await?;
    Ok(())
}

/// Replaces the recorded source checksum of `version` (`rebless`).
pub async fn set_checksum<C: ConnectionTrait>(
    db: &C,
    version: &str,
    sha256: &str,
) -> Result<(), DbErr> {
    db.execute(
        &Query::update()
            .table(LEDGER)
            .values([
                ("src_sha256", Expr::val(sha256)),
                ("recorded_at", Expr::val(now())),
            ])
            .and_where(Expr::col("version").eq(version))
            .take(),
    )
    .await?;
    Ok(())
}

/// Removes a version from the stock ledger and marks it `reverted` in ours.
pub async fn unrecord<C: ConnectionTrait>(
    db: &C,
    version: &str,
    run_id: &str,
) -> Result<(), DbErr> {
    db.execute(
        &Query::delete()
            .from_table("seaql_migrations")
            .and_where(Expr::col("version").eq(version))
            .take(),
    )
    .await?;
    db.execute(
        &Query::update()
            .table(LEDGER)
            .values([
                ("state", Expr::val("reverted")),
                ("recorded_at", Expr::val(now())),
                ("run_id", Expr::val(run_id)),
            ])
            .and_where(Expr::col("version").eq(version))
            .take(),
    )
    .await?;
    Ok(())
}

/// One command invocation in `migration_runs`.
pub struct Run {
    pub id: String,
    pub command: String,
    /// Notes for the journal's `detail`, e.g. the pre-migration backup.
    detail: std::sync::Mutex<Vec<String>>,
}

impl Run {
    pub fn new(command: &str) -> Self {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        Self {
            id: format!("run-{nanos:x}-{:x}", std::process::id()),
            command: command.to_owned(),
            detail: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Adds a note to the journal row's `detail`.
    pub fn note(&self, note: String) {
        if let Ok(mut notes) = self.detail.lock() {
            notes.push(note);
        }
    }

    fn detail(&self) -> Option<String> {
        let notes = self.detail.lock().ok()?;
        (!notes.is_empty()).then(|| notes.join("\n"))
    }

    pub async fn start(&self, db: &DatabaseConnection, lock_wait_ms: i64) -> Result<(), DbErr> {
        let stmt = Query::insert()
            .into_table(RUNS)
            .columns([
                "id",
                "command",
                "runner",
                "status",
                "started_at",
                "lock_wait_ms",
            ])
            .values_panic([
                self.id.clone().into(),
                self.command.clone().into(),
                super::lock::runner().into(),
                "running".into(),
                now().into(),
                lock_wait_ms.into(),
            ])
            .take();
        db.execute(&stmt).await?;
        Ok(())
    }

    /// Closes the journal row. `failed` carries (version, error, SQLSTATE).
    pub async fn finish(
        &self,
        db: &DatabaseConnection,
        status: &str,
        versions: &[String],
        failed: Option<(&str, &str, Option<&str>)>,
    ) -> Result<(), DbErr> {
        let (version, error, sqlstate) = match failed {
            Some((v, e, s)) => (Some(v.to_owned()), Some(e.to_owned()), s.map(str::to_owned)),
            None => (None, None, None),
        };
        let stmt = Query::update()
            .table(RUNS)
            .values([
                ("status", Expr::val(status)),
                ("finished_at", Expr::val(now())),
                ("versions", Expr::val(versions.join(","))),
                ("failed_version", Expr::val(version)),
                ("error", Expr::val(error)),
                ("error_sqlstate", Expr::val(sqlstate)),
                ("detail", Expr::val(self.detail())),
            ])
            .and_where(Expr::col("id").eq(self.id.clone()))
            .take();
        db.execute(&stmt).await?;
        Ok(())
    }
}

/// Journals a read-only command (`status`, `check`, `plan`, `adopt --dry-run`) when
/// the journal exists and the role may write to it; never creates anything, and a
/// SELECT-only role simply leaves no row.
pub async fn journal_read_only(db: &DatabaseConnection, command: &str, outcome: &str) {
    if !installed(db).await.unwrap_or(false) {
        return;
    }
    let run = Run::new(command);
    if run.start(db, 0).await.is_ok() {
        let _ = run.finish(db, outcome, &[], None).await;
    }
}

/// The journal, newest first (for `status` and tests).
pub async fn runs(
    db: &DatabaseConnection,
) -> Result<Vec<(String, String, Option<String>, Option<String>)>, DbErr> {
    if !has_table(db, RUNS).await? {
        return Ok(Vec::new());
    }
    let sql = r#"SELECT "command", "status", "failed_version", "error" FROM "migration_runs" ORDER BY "started_at" DESC, "id" DESC"#;
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get_by_index(0)?,
                r.try_get_by_index(1)?,
                opt(r, 2)?,
                opt(r, 3)?,
            ))
        })
        .collect()
}
