//! Schema migrations for the Avatar Creator / Pose Generator database, and the
//! connection rules every migration run must follow.

pub use sea_orm_migration::prelude::*;
pub use sea_orm_migration::sea_orm;
use sea_orm_migration::sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

pub mod catalog;
pub mod check;
pub mod cli;
pub mod db_url;
mod ddl;
pub mod deploy;
pub mod ids;
mod m20250930_000001_base_tables;
mod m20251014_000001_avatar_creator;
mod m20251016_000001_pose_generator;
mod m20251018_000001_pose_generator_recovery_and_variations;
mod m20251120_000001_integrity_foreign_keys;
mod m20251120_000002_credits_refund_unique;
mod m20251120_000003_jobs_and_votes;
mod m20261206_000001_session_revocations;
#[cfg(feature = "test-hooks")]
mod m99991231_000001_test_barrier;
pub mod seed;
pub mod target;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    /// In order (schema.md §3.1).
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let ordered: Vec<Box<dyn MigrationTrait>> = vec![
            Box::new(m20250930_000001_base_tables::Migration),
            Box::new(m20251014_000001_avatar_creator::Migration),
            Box::new(m20251016_000001_pose_generator::Migration),
            Box::new(m20251018_000001_pose_generator_recovery_and_variations::Migration),
            Box::new(m20251120_000001_integrity_foreign_keys::Migration),
            Box::new(m20251120_000002_credits_refund_unique::Migration),
            Box::new(m20251120_000003_jobs_and_votes::Migration),
            Box::new(m20261206_000001_session_revocations::Migration),
        ];
        ordered.into_iter().chain(test_barrier()).collect()
    }
}

/// The fault-injection migration, only in a build for the workspace's tests (the
/// `test-hooks` feature) and only when its environment variable names a key.
#[cfg(feature = "test-hooks")]
fn test_barrier() -> Option<Box<dyn MigrationTrait>> {
    let key = std::env::var(m99991231_000001_test_barrier::ENV)
        .ok()?
        .parse()
        .ok()?;
    Some(Box::new(m99991231_000001_test_barrier::Migration { key }))
}

#[cfg(not(feature = "test-hooks"))]
fn test_barrier() -> Option<Box<dyn MigrationTrait>> {
    None
}

/// The embedded SQLite database used when `DATABASE_URL` is not set, shared by the
/// API and the migration CLI. `mode=rwc` creates the file on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/app.db?mode=rwc";

/// `DATABASE_URL` from the environment, or the embedded SQLite default.
pub fn database_url_from_env() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
}

/// Opens a connection suitable for running migrations.
///
/// SQLite gets exactly one pooled connection: `PRAGMA foreign_keys` is per connection,
/// and the table rebuild in `m20251120_000001` must switch it off and on again on the
/// same connection that runs the rebuild. The parent directory of a SQLite file is
/// created if missing.
pub async fn connect_for_migrations(url: &str) -> Result<DatabaseConnection, DbErr> {
    ensure_sqlite_dir(url)?;
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false);
    if DbBackend::Sqlite.is_prefix_of(url) {
        opts.max_connections(1).min_connections(1);
    } else {
        opts.max_connections(2);
    }
    Database::connect(opts).await
}

/// Creates the directory that will hold a SQLite database file, so that
/// `sqlite://./data/app.db?mode=rwc` works on a fresh checkout.
pub fn ensure_sqlite_dir(url: &str) -> Result<(), DbErr> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(());
    };
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            DbErr::Custom(format!("cannot create directory {}: {e}", dir.display()))
        })?;
    }
    Ok(())
}

/// Names of the migrations known to this build that the database has not applied.
/// Read-only; a database that records migrations this build does not know is not an
/// error here (the drift check reports it).
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let rows = deploy::status(db).await.map_err(|e| match e {
        deploy::DeployError::Db(e) => e,
        other => DbErr::Custom(other.to_string()),
    })?;
    Ok(rows
        .into_iter()
        .filter(|r| r.state == "pending")
        .map(|r| r.version)
        .collect())
}
