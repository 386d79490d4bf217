//! `status` (every migration's state in the ledger) and the audited ledger edits:
//! `rebless` an edited migration's checksum, mark the database's environment.

use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::DatabaseConnection;

use super::ledger::{self, Origin};
use super::{DeployError, Options, exit, locked, source_checksum};
use crate::Migrator;

/// Every migration's state, as `status` reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StatusRow {
    pub version: String,
    /// `applied`, `adopted`, `pending`, `checksum_mismatch`, `unverified` (recorded by
    /// another tool, so no checksum to compare) or `missing_in_code` (recorded by the
    /// database, unknown to this build).
    pub state: &'static str,
    /// When it was recorded (Unix seconds, from `seaql_migrations`).
    pub applied_at: Option<i64>,
}

/// The exit code `status` ends with for these rows (see [`exit`]).
pub fn status_exit_code(rows: &[StatusRow]) -> u8 {
    if rows
        .iter()
        .any(|r| matches!(r.state, "checksum_mismatch" | "missing_in_code"))
    {
        exit::DRIFT
    } else if rows.iter().any(|r| r.state == "pending") {
        exit::PENDING
    } else {
        exit::OK
    }
}

/// Read-only: takes no lock and creates nothing, so it works for a SELECT-only role.
pub async fn status(db: &DatabaseConnection) -> Result<Vec<StatusRow>, DeployError> {
    let recorded = ledger::recorded(db).await?;
    let mut rows: Vec<StatusRow> = Migrator::migrations()
        .iter()
        .map(|m| {
            let version = m.name().to_owned();
            let record = recorded.iter().find(|r| r.version == version);
            let state = match record {
                None => "pending",
                Some(r) => match (r.src_sha256.as_deref(), source_checksum(&version)) {
                    (Some(stored), Some(current)) if stored != current => "checksum_mismatch",
                    (None, _) => "unverified",
                    _ if r.state.as_deref() == Some(Origin::Adopted.as_str()) => "adopted",
                    _ => "applied",
                },
            };
            StatusRow {
                version,
                state,
                applied_at: record.map(|r| r.applied_at),
            }
        })
        .collect();
    for r in &recorded {
        if !rows.iter().any(|row| row.version == r.version) {
            rows.push(StatusRow {
                version: r.version.clone(),
                state: "missing_in_code",
                applied_at: Some(r.applied_at),
            });
        }
    }
    Ok(rows)
}

/// Records the current source checksum of an applied, edited migration, with the
/// operator's reason in the journal (an audited Flyway `repair`).
pub async fn rebless(
    url: &str,
    version: &str,
    reason: &str,
    opts: &Options,
) -> Result<(), DeployError> {
    let Some(current) = source_checksum(version) else {
        return Err(DeployError::Refused(format!(
            "{version} is not a migration of this build"
        )));
    };
    locked(url, "rebless", opts, async |db, run| {
        let result = async {
            let recorded = ledger::recorded(db).await?;
            if !recorded.iter().any(|r| r.version == version) {
                return Err(DeployError::Refused(format!(
                    "{version} is not applied: nothing to rebless"
                )));
            }
            ledger::install(db).await?;
            ledger::set_checksum(db, version, current).await?;
            run.note(format!("{version} reblessed to {current}: {reason}"));
            Ok(())
        }
        .await;
        (result, vec![version.to_owned()], None)
    })
    .await
}

/// Marks the database's environment (journalled, under the lock).
pub async fn set_environment(
    url: &str,
    environment: &str,
    opts: &Options,
) -> Result<(), DeployError> {
    locked(url, "environment", opts, async |db, run| {
        let result = async {
            ledger::install(db).await?;
            ledger::set_environment(db, environment, &run.id).await?;
            Ok(())
        }
        .await;
        (result, vec![environment.to_owned()], None)
    })
    .await
}
