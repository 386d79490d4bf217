//! Our own tables (schema.md §7.3): the durable job queue `jobs` and
//! `pose_request_votes`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const LIVE_JOB_KEY: &str = "jobs_kind_referenceId_active_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        if b == DbBackend::MySql {
            return Err(DbErr::Migration(format!(
                "{LIVE_JOB_KEY}: partial unique indexes need the MySQL variant of schema.md §7.2, not implemented yet"
            )));
        }
        manager
            .create_table(
                Table::create()
                    .table("jobs")
                    .col(id())
                    .col(text("kind"))
                    .col(text("referenceId"))
                    .col(text_default("payload", "{}"))
                    .col(text_default("status", "queued"))
                    .col(int_default("priority", 0))
                    .col(int_default("attempts", 0))
                    .col(int_default("maxAttempts", 3))
                    .col(ts_now(b, "runAfter"))
                    .col(text_null("leaseOwner"))
                    .col(ts_null(b, "leaseExpiresAt"))
                    .col(text_null("lastError"))
                    .col(ts_now(b, "createdAt"))
                    .col(ts(b, "updatedAt"))
                    .col(ts_null(b, "finishedAt"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "jobs",
                &[asc("status"), desc("priority"), asc("runAfter")],
            ))
            .await?;
        manager
            .create_index(index("jobs", &[asc("status"), asc("leaseExpiresAt")]))
            .await?;
        let mut live = unique("jobs", &[asc("kind"), asc("referenceId")]);
        live.name(LIVE_JOB_KEY)
            .and_where(Expr::col("status").is_in(["queued", "running"]));
        manager.create_index(live).await?;

        manager
            .create_table(
                Table::create()
                    .table("pose_request_votes")
                    .col(id())
                    .col(text("requestId"))
                    .col(text("userId"))
                    .col(ts_now(b, "createdAt"))
                    .foreign_key(&mut fk(
                        "pose_request_votes",
                        "requestId",
                        "pose_requests",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "pose_request_votes",
                        "userId",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(unique(
                "pose_request_votes",
                &[asc("requestId"), asc("userId")],
            ))
            .await?;
        manager
            .create_index(index("pose_request_votes", &[asc("userId")]))
            .await
    }

    /// One transaction on every backend, SQLite included, so a failure leaves nothing
    /// half-created and no ledger row.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(drop_table("pose_request_votes")).await?;
        manager.drop_table(drop_table("jobs")).await
    }
}
