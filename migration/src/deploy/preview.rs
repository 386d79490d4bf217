//! `plan` (deploy-safety.md R9): the SQL a deploy would run, computed without changing
//! anything. Repairs are rendered from the target definition. A migration that runs is
//! executed against a recording mock connection; the few reads migrations make to
//! decide what to do are answered from the live catalog, as the plan inspected it.

use sea_orm::{DatabaseConnection, DbBackend, MockDatabase, MockExecResult, Value};
use sea_orm_migration::{MigrationTrait, SchemaManager};
use std::collections::BTreeMap;

use super::plan::{self, StepKind};

fn row(column: &str, value: impl Into<Value>) -> BTreeMap<String, Value> {
    BTreeMap::from([(column.to_owned(), value.into())])
}

/// The answers to the reads `version` makes, in the order it makes them.
fn answers(
    backend: DbBackend,
    version: &str,
    user_columns: &[String],
) -> Vec<Vec<BTreeMap<String, Value>>> {
    match version {
        "m20251016_000001_pose_generator" => [
            "unlimitedPoseActive",
            "unlimitedPoseDailyQuota",
            "unlimitedPoseQuotaUsed",
            "unlimitedPoseQuotaResetAt",
            "unlimitedPoseExpiresAt",
        ]
        .iter()
        .map(|c| vec![row("has_column", user_columns.iter().any(|u| u == c))])
        .collect(),
        "m20251120_000001_integrity_foreign_keys" => {
            // Six orphan counts (the plan refused already if any was above zero).
            let mut reads: Vec<_> = (0..6).map(|_| vec![row("count", 0i64)]).collect();
            if backend == DbBackend::Sqlite {
                reads.push(vec![row("foreign_keys", 0i32)]);
                reads.push(Vec::new());
            }
            reads
        }
        "m20251120_000002_credits_refund_unique" => vec![Vec::new()],
        _ => Vec::new(),
    }
}

/// The statements `migration.up` issues, recorded on a mock connection.
pub async fn migration_sql(
    backend: DbBackend,
    migration: &dyn MigrationTrait,
    user_columns: &[String],
) -> Result<Vec<String>, String> {
    let reads = answers(backend, migration.name(), user_columns);
    let answered = reads.len();
    let mock = MockDatabase::new(backend)
        .append_query_results(reads)
        .append_exec_results((0..512).map(|_| MockExecResult {
            last_insert_id: 0,
            rows_affected: 0,
        }));
    let conn: DatabaseConnection = mock.into_connection();
    migration
        .up(&SchemaManager::new(&conn))
        .await
        .map_err(|e| format!("cannot render {}: {e}", migration.name()))?;
    let log: Vec<String> = conn
        .into_transaction_log()
        .iter()
        .flat_map(|t| {
            t.statements()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    // Every SELECT must be one of the reads answered above; one more is a statement
    // run for its effect (`SELECT pg_advisory_lock(…)`, `SELECT setval(…)`), which a
    // rendering would lose: such a migration is not rendered, it runs as written.
    let selects = log
        .iter()
        .filter(|sql| sql.trim_start().to_ascii_uppercase().starts_with("SELECT"))
        .count();
    if selects > answered {
        return Err(format!(
            "{} runs a SELECT for its effect; it is not rendered",
            migration.name()
        ));
    }
    Ok(log
        .into_iter()
        .filter(|sql| {
            !sql.trim_start().to_ascii_uppercase().starts_with("SELECT")
                && !sql
                    .trim_start()
                    .to_ascii_uppercase()
                    .starts_with("PRAGMA FOREIGN_KEY_CHECK")
        })
        .collect())
}

/// The SQL of every step of the plan, as `(version, what, statements)`.
pub async fn plan_sql(
    backend: DbBackend,
    plan: &plan::Plan,
    user_columns: &[String],
) -> Vec<(String, String, Result<Vec<String>, String>)> {
    use sea_orm_migration::MigratorTrait;
    let migrations = crate::Migrator::migrations();
    let mut out = Vec::new();
    for step in &plan.steps {
        let (what, sql) = match step.kind {
            StepKind::Run => {
                let migration = migrations
                    .iter()
                    .find(|m| m.name() == step.version)
                    .expect("planned from the known migrations");
                (
                    "run",
                    migration_sql(backend, migration.as_ref(), user_columns).await,
                )
            }
            StepKind::Adopt | StepKind::Repair => {
                let sql = step
                    .repairs
                    .iter()
                    .flat_map(|r| plan::repair_statements(backend, &step.version, r))
                    .map(|s| s.to_string())
                    .collect();
                (if step.recorded { "repair" } else { "adopt" }, Ok(sql))
            }
        };
        out.push((step.version.clone(), what.to_owned(), sql));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm_migration::MigratorTrait;

    /// Every migration renders on both backends: a new migration that makes a read
    /// `answers` does not know fails here, not in an operator's `plan`.
    #[tokio::test]
    async fn every_migration_renders_its_sql() {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for m in crate::Migrator::migrations() {
                let sql = migration_sql(backend, m.as_ref(), &[])
                    .await
                    .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
                assert!(!sql.is_empty(), "{backend:?} {}", m.name());
            }
        }
    }

    #[tokio::test]
    async fn rendered_sql_is_what_the_migration_runs() {
        let m = &crate::Migrator::migrations()[3];
        let sql = migration_sql(DbBackend::Postgres, m.as_ref(), &[])
            .await
            .unwrap();
        assert!(
            sql.iter()
                .any(|s| s.contains(r#"ADD COLUMN "recoveryAttempts" integer NOT NULL DEFAULT 0"#)),
            "{sql:#?}"
        );
        assert!(
            sql.iter()
                .any(|s| s.contains(r#"ALTER COLUMN "unlimitedPoseActive" SET NOT NULL"#)),
            "{sql:#?}"
        );
    }
}
