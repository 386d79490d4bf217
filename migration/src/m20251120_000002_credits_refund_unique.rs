//! At most one refund per charged operation (schema.md §7.2): a partial unique index
//! on `credits (referenceId, referenceType) WHERE type = 'refund'`. Existing duplicate
//! refunds make the migration refuse, listing the groups.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "credits_refund_referenceId_referenceType_key";

fn refund_rows() -> Expr {
    Expr::col("type").eq("refund")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::MySql {
            return Err(DbErr::Migration(format!(
                "{NAME}: partial unique indexes need the MySQL variant of schema.md §7.2, not implemented yet"
            )));
        }
        let duplicates = Query::select()
            .column("referenceId")
            .column("referenceType")
            .expr(Expr::col("id").count())
            .from("credits")
            .and_where(refund_rows())
            .and_where(Expr::col("referenceId").is_not_null())
            .and_where(Expr::col("referenceType").is_not_null())
            .group_by_col("referenceId")
            .group_by_col("referenceType")
            .and_having(Expr::col("id").count().gt(1))
            .limit(10)
            .take();
        let groups = manager.get_connection().query_all(&duplicates).await?;
        if !groups.is_empty() {
            let listed: Vec<String> = groups
                .iter()
                .map(|row| {
                    let id: String = row.try_get_by_index(0).unwrap_or_default();
                    let kind: String = row.try_get_by_index(1).unwrap_or_default();
                    format!("({id}, {kind})")
                })
                .collect();
            return Err(DbErr::Migration(format!(
                "refusing to create {NAME}: duplicate refunds exist for {}. Nothing was changed.",
                listed.join(", ")
            )));
        }
        let mut index = unique("credits", &[asc("referenceId"), asc("referenceType")]);
        index.name(NAME).and_where(refund_rows());
        manager.create_index(index).await
    }

    /// One transaction on every backend, SQLite included, so a failure leaves nothing
    /// half-created and no ledger row.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(drop_index("credits", NAME)).await
    }
}
