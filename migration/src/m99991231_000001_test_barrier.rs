//! A fault-injection migration for the deploy tool's own tests, present only when
//! `MIGRATION_TEST_BARRIER_KEY` is set: it creates a probe table, then waits on the
//! PostgreSQL advisory lock of that key, which the test holds, so the test can kill the
//! runner in the middle of a migration and check that nothing of it remains.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub const ENV: &str = "MIGRATION_TEST_BARRIER_KEY";

pub struct Migration {
    pub key: i64,
}

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m99991231_000001_test_barrier"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("test_barrier_probe")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .take(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            // Waits as long as the test holds the key, whatever the deploy's lock_timeout.
            db.execute_unprepared("SET LOCAL lock_timeout = 0").await?;
            db.execute_unprepared(&format!("SELECT pg_advisory_lock({})", self.key))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("test_barrier_probe").take())
            .await
    }
}
