//! Our own table `session_revocations` (README "Security"): tokens issued by the
//! previous backend carry no session claim, so ending them takes a per-user mark of
//! when. One row per user; the base tables never get new columns.

use sea_orm_migration::prelude::*;

use crate::ddl::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("session_revocations")
                    .col(id())
                    .col(text("userId"))
                    .col(ts(b, "revokedBefore"))
                    .col(ts(b, "updatedAt"))
                    .foreign_key(&mut fk(
                        "session_revocations",
                        "userId",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(unique("session_revocations", &[asc("userId")]))
            .await
    }

    /// One transaction on every backend: nothing half-created, no ledger row on failure.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(drop_table("session_revocations")).await
    }
}
