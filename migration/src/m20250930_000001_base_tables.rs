//! The four base tables shared with other apps (schema.md §4): `users` (without the
//! five `unlimitedPose*` columns, which `m20251016` adds), `sessions`, `credits`,
//! `app_usages`, their indexes (except the refund index of `m20251120_000002`) and
//! their foreign keys to `users`.

use sea_orm_migration::prelude::*;

use crate::ddl::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub(crate) fn users(backend: sea_orm_migration::sea_orm::DbBackend) -> TableCreateStatement {
    Table::create()
        .table("users")
        .col(id())
        .col(text("email"))
        .col(text("password"))
        .col(text_null("name"))
        .col(text_default("role", "user"))
        .col(int_default("storageQuota", 1_073_741_824))
        .col(int_default("storageUsed", 0))
        .col(text_default("accountType", "payg"))
        .col(text_default("subscriptionTier", "free"))
        .col(text_null("userTags"))
        .col(ts_now(backend, "createdAt"))
        .col(ts(backend, "updatedAt"))
        .take()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        unique("users", &[asc("email")]),
        index("users", &[asc("role")]),
        index("users", &[asc("accountType")]),
        index("users", &[asc("subscriptionTier")]),
        index("users", &[asc("createdAt")]),
        unique("sessions", &[asc("token")]),
        index("sessions", &[asc("userId")]),
        index("sessions", &[asc("expiresAt")]),
        index("sessions", &[asc("userId"), asc("expiresAt")]),
        index("credits", &[asc("userId")]),
        index("credits", &[asc("userId"), desc("createdAt")]),
        index("credits", &[asc("type")]),
        index("credits", &[asc("referenceId"), asc("referenceType")]),
        index("credits", &[asc("paymentId")]),
        index("credits", &[asc("createdAt")]),
        index("app_usages", &[asc("userId")]),
        index("app_usages", &[asc("appId")]),
        index("app_usages", &[asc("createdAt")]),
        index("app_usages", &[asc("userId"), asc("appId")]),
        index("app_usages", &[asc("userId"), desc("createdAt")]),
        index("app_usages", &[asc("appId"), asc("createdAt")]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager.create_table(users(b)).await?;
        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(id())
                    .col(text("userId"))
                    .col(text("token"))
                    .col(ts(b, "expiresAt"))
                    .col(ts_now(b, "createdAt"))
                    .foreign_key(&mut fk(
                        "sessions",
                        "userId",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("credits")
                    .col(id())
                    .col(text("userId"))
                    .col(int("amount"))
                    .col(int("balance"))
                    .col(text("type"))
                    .col(text_null("description"))
                    .col(text_null("referenceId"))
                    .col(text_null("referenceType"))
                    .col(text_null("paymentId"))
                    .col(ts_now(b, "createdAt"))
                    .foreign_key(&mut fk(
                        "credits",
                        "userId",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("app_usages")
                    .col(id())
                    .col(text("userId"))
                    .col(text("appId"))
                    .col(text("action"))
                    .col(int("creditUsed"))
                    .col(text_null("metadata"))
                    .col(ts_now(b, "createdAt"))
                    .foreign_key(&mut fk(
                        "app_usages",
                        "userId",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    /// One transaction on every backend, SQLite included, so a failure leaves nothing
    /// half-created and no ledger row.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes and foreign keys with it.
        for table in ["app_usages", "credits", "sessions", "users"] {
            manager.drop_table(drop_table(table)).await?;
        }
        Ok(())
    }
}
