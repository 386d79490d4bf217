//! Recovery bookkeeping on `pose_generations`, exactly-once variations on
//! `generated_poses`, unique pose names per category, and NOT NULL for the three
//! `users.unlimitedPose*` flags (schema.md §3.1 #4).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::*;
use crate::m20251016_000001_pose_generator::USER_FLAGS;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn new_indexes() -> Vec<(&'static str, IndexCreateStatement)> {
    vec![
        (
            "pose_generations",
            index("pose_generations", &[asc("status"), asc("startedAt")]),
        ),
        (
            "pose_generations",
            index(
                "pose_generations",
                &[asc("status"), asc("startedAt"), asc("queueJobId")],
            ),
        ),
        (
            "generated_poses",
            unique(
                "generated_poses",
                &[asc("generationId"), asc("variationKey")],
            ),
        ),
        (
            "generated_poses",
            index(
                "generated_poses",
                &[asc("generationId"), asc("variationKey")],
            ),
        ),
        (
            "pose_library",
            unique("pose_library", &[asc("categoryId"), asc("name")]),
        ),
    ]
}

fn add_column(table: &'static str, col: ColumnDef) -> TableAlterStatement {
    Table::alter().table(table).add_column(col).take()
}

fn drop_column(table: &'static str, col: &'static str) -> TableAlterStatement {
    Table::alter().table(table).drop_column(col).take()
}

/// `ALTER COLUMN … SET NOT NULL` (or `DROP NOT NULL`) without touching type or default.
fn set_not_null(name: &'static str, not_null: bool) -> TableAlterStatement {
    let mut col = ColumnDef::new(name);
    if not_null {
        col.not_null();
    } else {
        col.null();
    }
    Table::alter().table("users").modify_column(col).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .alter_table(add_column(
                "pose_generations",
                int_default("recoveryAttempts", 0),
            ))
            .await?;
        manager
            .alter_table(add_column("pose_generations", ts_null(b, "lastRecoveryAt")))
            .await?;
        manager
            .alter_table(add_column("generated_poses", text_null("variationKey")))
            .await?;
        for (_, index) in new_indexes() {
            manager.create_index(index).await?;
        }
        // SQLite created the flags NOT NULL already (m20251016); elsewhere tighten them.
        // A NULL row makes this fail, which is the documented REFUSE (schema.md D3).
        if b != DbBackend::Sqlite {
            for (name, _) in USER_FLAGS {
                manager.alter_table(set_not_null(name, true)).await?;
            }
        }
        Ok(())
    }

    /// One transaction on every backend, SQLite included, so a failure leaves nothing
    /// half-created and no ledger row.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        if b != DbBackend::Sqlite {
            for (name, _) in USER_FLAGS {
                manager.alter_table(set_not_null(name, false)).await?;
            }
        }
        for (table, index) in new_indexes().iter().rev() {
            let name = index
                .get_index_spec()
                .get_name()
                .expect("every index is named");
            manager.drop_index(drop_index(table, name)).await?;
        }
        manager
            .alter_table(drop_column("generated_poses", "variationKey"))
            .await?;
        manager
            .alter_table(drop_column("pose_generations", "lastRecoveryAt"))
            .await?;
        manager
            .alter_table(drop_column("pose_generations", "recoveryAttempts"))
            .await?;
        Ok(())
    }
}
