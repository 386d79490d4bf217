//! The backups a database's journal knows (`migration_backups`, part of the run
//! journal): one row per backup the tool took of this database, with the run that took
//! it, the file, its size and SHA-256, and the ledger state it holds. `migration
//! backups` lists them; `migration restore` restores only a file whose checksum is one
//! of them, which is how it knows the file was taken from this database and not
//! changed since.

use std::io::Read;
use std::path::Path;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::Serialize;

use super::ledger::{self, BACKUPS, Run};
use crate::ddl;

/// Creates `migration_backups` if it is missing (from [`ledger::install`]).
pub async fn install(db: &DatabaseConnection) -> Result<(), DbErr> {
    let b = db.get_database_backend();
    db.execute(
        Table::create()
            .table(BACKUPS)
            .if_not_exists()
            .col(ColumnDef::new("id").text().not_null().primary_key())
            .col(ddl::text("run_id"))
            .col(ddl::text("command"))
            .col(ddl::ts(b, "taken_at"))
            .col(ddl::text("file"))
            .col(ColumnDef::new("size").big_integer().not_null())
            .col(ddl::text("sha256"))
            .col(ddl::text("ledger"))
            .col(ddl::text("database")),
    )
    .await?;
    Ok(())
}

/// One backup as the journal records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backup {
    pub id: String,
    pub run_id: String,
    /// The command whose run took it (`up --backup`, `backup`, `restore`).
    pub command: String,
    /// UTC, `YYYY-MM-DD HH:MM:SS.mmm`.
    pub taken_at: String,
    pub file: String,
    pub size: i64,
    pub sha256: String,
    /// The versions the ledger recorded when it was taken, comma-separated.
    pub ledger: String,
    pub database: String,
}

impl Backup {
    /// `8 recorded, last m20261206_000001_session_revocations`, or `empty ledger`.
    pub fn ledger_summary(&self) -> String {
        let versions: Vec<&str> = self.ledger.split(',').filter(|v| !v.is_empty()).collect();
        match versions.last() {
            None => "empty ledger".into(),
            Some(last) => format!("{} recorded, last {last}", versions.len()),
        }
    }
}

/// SHA-256 of a file, in hex, read in chunks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Records a backup just taken by `run`; `recorded` is the ledger it holds.
pub async fn record(
    db: &DatabaseConnection,
    url: &str,
    run: &Run,
    path: &Path,
    size: u64,
    recorded: &[ledger::Recorded],
) -> Result<Backup, DbErr> {
    let sha256 = sha256_file(path)
        .map_err(|e| DbErr::Custom(format!("cannot read {}: {e}", path.display())))?;
    let file = std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned();
    let taken = ledger::now();
    let backup = Backup {
        id: format!("{}-{}", run.id, &sha256[..12]),
        run_id: run.id.clone(),
        command: run.command.clone(),
        taken_at: taken.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        file,
        size: size as i64,
        sha256,
        ledger: recorded
            .iter()
            .map(|r| r.version.as_str())
            .collect::<Vec<_>>()
            .join(","),
        database: ledger::database_name(db, url).await?,
    };
    db.execute(
        &Query::insert()
            .into_table(BACKUPS)
            .columns([
                "id", "run_id", "command", "taken_at", "file", "size", "sha256", "ledger",
                "database",
            ])
            .values_panic([
                backup.id.clone().into(),
                backup.run_id.clone().into(),
                backup.command.clone().into(),
                taken.into(),
                backup.file.clone().into(),
                backup.size.into(),
                backup.sha256.clone().into(),
                backup.ledger.clone().into(),
                backup.database.clone().into(),
            ])
            .take(),
    )
    .await?;
    Ok(backup)
}

/// Every backup the journal knows, newest first; none before the journal exists.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<Backup>, DbErr> {
    let tables = crate::catalog::table_names(db).await?;
    if !tables.iter().any(|t| t == BACKUPS) {
        return Ok(Vec::new());
    }
    let sql = r#"SELECT "id", "run_id", "command", CAST("taken_at" AS TEXT), "file", "size",
                        "sha256", "ledger", "database"
                 FROM "migration_backups" ORDER BY "taken_at" DESC, "id" DESC"#;
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .iter()
        .map(|r| {
            Ok(Backup {
                id: r.try_get_by_index(0)?,
                run_id: r.try_get_by_index(1)?,
                command: r.try_get_by_index(2)?,
                taken_at: r.try_get_by_index(3)?,
                file: r.try_get_by_index(4)?,
                size: r.try_get_by_index(5)?,
                sha256: r.try_get_by_index(6)?,
                ledger: r.try_get_by_index(7)?,
                database: r.try_get_by_index(8)?,
            })
        })
        .collect()
}
