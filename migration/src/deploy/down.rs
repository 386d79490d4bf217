//! The commands that remove schema: `down` (revert the last migrations), `reset` and
//! `fresh`, all refused against a database not marked disposable.

use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait,
};
use sea_orm_migration::{MigratorTrait, SchemaManager};

use super::apply::{Mode, apply_pending, failed_version, uses_transaction, verify_history};
use super::ledger::{self, Origin, Recorded, Run};
use super::{DeployError, Options, guard_destructive, locked, sqlstate};
use crate::{Migrator, catalog};

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
