//! The six foreign keys from the Avatar Creator tables (schema.md §7.1).
//!
//! Orphan rows make the migration refuse before it changes anything, with a count for
//! every FK; data is never deleted or updated. PostgreSQL adds the constraints in the
//! migration's transaction. SQLite cannot add a constraint to an existing table, so
//! the four tables are rebuilt with SQLite's documented procedure (schema.md §3.3):
//! with `PRAGMA foreign_keys = OFF` (outside any transaction, on the migration run's
//! single connection) so that dropping the old tables fires no cascades, inside one
//! explicit transaction, checked with `PRAGMA foreign_key_check` before commit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::ddl::*;
use crate::m20251014_000001_avatar_creator::{self as avatar_creator, REBUILT_BY_INTEGRITY_FKS};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (child table, column, parent table, ON DELETE)
const FKS: [(&str, &str, &str, ForeignKeyAction); 6] = [
    (
        "avatar_projects",
        "userId",
        "users",
        ForeignKeyAction::Cascade,
    ),
    ("avatars", "userId", "users", ForeignKeyAction::Cascade),
    (
        "avatar_usage_history",
        "userId",
        "users",
        ForeignKeyAction::Cascade,
    ),
    (
        "avatar_generations",
        "userId",
        "users",
        ForeignKeyAction::Cascade,
    ),
    (
        "avatar_generations",
        "projectId",
        "avatar_projects",
        ForeignKeyAction::Cascade,
    ),
    (
        "avatar_generations",
        "avatarId",
        "avatars",
        ForeignKeyAction::SetNull,
    ),
];

/// Rows whose FK column is set but names no parent row.
fn orphan_count_query(
    child: &'static str,
    column: &'static str,
    parent: &'static str,
) -> SelectStatement {
    Query::select()
        .expr(Expr::col(("c", column)).count())
        .from_as(child, "c")
        .and_where(Expr::col(("c", column)).is_not_null())
        .and_where(
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from_as(parent, "p")
                    .and_where(Expr::col(("p", "id")).equals(("c", column)))
                    .take(),
            )
            .not(),
        )
        .take()
}

async fn refuse_on_orphans<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let mut report = Vec::new();
    let mut total = 0;
    for (child, column, parent, _) in FKS {
        let stmt = orphan_count_query(child, column, parent);
        let row = db.query_one(&stmt).await?.expect("COUNT returns a row");
        let count: i64 = row.try_get_by_index(0)?;
        total += count;
        report.push(format!("{child}_{column}_fkey: {count} orphan row(s)"));
    }
    if total > 0 {
        return Err(DbErr::Migration(format!(
            "refusing to add the integrity foreign keys: rows reference missing parents \
             ({}). Nothing was changed; decide what to do with those rows and run again.",
            report.join(", ")
        )));
    }
    Ok(())
}

async fn rebuild_sqlite_tables(
    manager: &SchemaManager<'_>,
    integrity_fks: bool,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    let result = rebuild_in_transaction(manager, integrity_fks).await;
    db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    result
}

async fn rebuild_in_transaction(
    manager: &SchemaManager<'_>,
    integrity_fks: bool,
) -> Result<(), DbErr> {
    let txn = manager.begin().await?;
    let conn = txn.get_connection();
    let enforced = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA foreign_keys",
        ))
        .await?
        .map(|row| row.try_get_by_index::<i32>(0))
        .transpose()?;
    if enforced != Some(0) {
        return Err(DbErr::Migration(
            "the SQLite table rebuild needs foreign-key enforcement off on its connection; \
             run migrations through this crate's migration runner (one connection)"
                .into(),
        ));
    }
    for name in REBUILT_BY_INTEGRITY_FKS {
        let temp = format!("{name}__new");
        let create = avatar_creator::table(DbBackend::Sqlite, name, &temp, integrity_fks);
        let columns: Vec<String> = create
            .get_columns()
            .iter()
            .map(|c| c.get_column_name())
            .collect();
        txn.create_table(create).await?;
        let copy = Query::insert()
            .into_table(temp.clone())
            .columns(columns.iter().cloned().map(Alias::new))
            .select_from(
                Query::select()
                    .columns(columns.iter().cloned().map(Alias::new))
                    .from(name)
                    .take(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .take();
        conn.execute(&copy).await?;
        txn.drop_table(drop_table(name)).await?;
        txn.rename_table(Table::rename().table(temp, name).take())
            .await?;
        for index in avatar_creator::indexes(name) {
            txn.create_index(index).await?;
        }
    }
    let violations = conn
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA foreign_key_check",
        ))
        .await?;
    if !violations.is_empty() {
        return Err(DbErr::Migration(format!(
            "foreign_key_check found {} violation(s) after the rebuild; rolled back",
            violations.len()
        )));
    }
    txn.commit().await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        refuse_on_orphans(manager.get_connection()).await?;
        match manager.get_database_backend() {
            DbBackend::Sqlite => rebuild_sqlite_tables(manager, true).await,
            _ => {
                for (child, column, parent, on_delete) in FKS {
                    manager
                        .create_foreign_key(fk(child, column, parent, on_delete))
                        .await?;
                }
                Ok(())
            }
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => rebuild_sqlite_tables(manager, false).await,
            _ => {
                for (child, column, _, _) in FKS.iter().rev() {
                    let mut stmt = ForeignKey::drop();
                    stmt.name(format!("{child}_{column}_fkey")).table(*child);
                    manager.drop_foreign_key(stmt).await?;
                }
                Ok(())
            }
        }
    }

    /// PostgreSQL: the usual wrapping transaction. SQLite: none, because
    /// `PRAGMA foreign_keys` is a no-op inside a transaction; the rebuild opens its own.
    fn use_transaction(&self) -> Option<bool> {
        None
    }
}
