//! The Pose Generator's health report (api.md §7.26): database, job queue, image
//! provider and storage.
//!
//! * `unhealthy` (the route answers 503): the database does not answer `SELECT 1`
//!   within 2 seconds, the job table cannot be read, or storage refuses a write.
//! * `degraded` (still 200): more than [`FAILED_JOBS_LIMIT`] Pose Generator jobs failed
//!   in the last 24 hours, or the workers look stalled (see [`workers_stalled`]).
//! * `healthy` otherwise.

use crate::http::presence::Nullable;
use crate::vocabulary::{ProviderName, Word};
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime};
use entity::jobs;
use migration::sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Statement,
};
use poem_openapi::{Enum, Object};

use super::recovery::{self, JobCounts};
use crate::app::AppState;
use crate::timestamp::{self, Timestamp};
use crate::vocabulary::JobStatus;

/// The job kinds of the Pose Generator: generations and background changes.
pub const POSE_JOB_KINDS: [&str; 2] = [super::job::JOB_KIND, super::background::JOB_KIND];
/// More failed Pose Generator jobs than this in 24 hours is `degraded`.
pub const FAILED_JOBS_LIMIT: i64 = 100;
/// How long due work may wait while no worker shows activity.
pub const STALL_WINDOW: Duration = Duration::minutes(2);
/// The database must answer `SELECT 1` within this time.
const PING_TIMEOUT: StdDuration = StdDuration::from_secs(2);
/// Storage must accept and remove the probe object within this time.
const STORAGE_TIMEOUT: StdDuration = StdDuration::from_secs(5);

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum PoseHealthStatus {
    Healthy,
    Degraded,
    Unhealthy,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum PoseDatabaseState {
    Connected,
    Disconnected,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum PoseQueueState {
    Operational,
    /// Too many failures, or stalled workers.
    Degraded,
    /// The job table could not be read.
    Unavailable,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum PoseProviderState {
    Configured,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum PoseStorageState {
    Writable,
    Unwritable,
}

#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseDatabaseCheck {
    pub status: PoseDatabaseState,
}

/// Pose Generator jobs by state.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseQueueCounts {
    /// Queued and due.
    pub waiting: i64,
    /// Running.
    pub active: i64,
    /// Succeeded in the last 24 hours.
    pub completed: i64,
    /// Failed in the last 24 hours.
    pub failed: i64,
    /// Queued with a retry time in the future.
    pub delayed: i64,
}

impl From<JobCounts> for PoseQueueCounts {
    fn from(c: JobCounts) -> Self {
        Self {
            waiting: c.waiting,
            active: c.active,
            completed: c.completed_24h,
            failed: c.failed_24h,
            delayed: c.delayed,
        }
    }
}

#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseQueueCheck {
    pub status: PoseQueueState,
    /// Null when the job table could not be read.
    #[oai(nullable)]
    pub counts: Nullable<PoseQueueCounts>,
    /// Why the queue is not operational; null when it is.
    #[oai(nullable)]
    pub reason: Nullable<String>,
}

#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseProviderCheck {
    pub status: PoseProviderState,
    /// `IMAGE_PROVIDER`.
    pub name: Word<ProviderName>,
}

#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseStorageCheck {
    pub status: PoseStorageState,
}

#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseHealthChecks {
    pub database: PoseDatabaseCheck,
    pub queue: PoseQueueCheck,
    pub provider: PoseProviderCheck,
    pub storage: PoseStorageCheck,
}

/// The Pose Generator health report; also `error.details` of its 503.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseHealth {
    pub status: PoseHealthStatus,
    pub timestamp: Timestamp,
    /// `pose-generator`
    pub app: String,
    /// The version of this build.
    pub version: String,
    pub checks: PoseHealthChecks,
}

/// Runs every check. Failures are part of the report, never an error.
pub async fn check(state: &AppState) -> PoseHealth {
    let db = &state.db;
    let ping = db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT 1",
    ));
    let connected = match tokio::time::timeout(PING_TIMEOUT, ping).await {
        Ok(Ok(_)) => true,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "pose generator health: database ping failed");
            false
        }
        Err(_) => {
            tracing::warn!("pose generator health: database ping timed out");
            false
        }
    };
    let queue = if connected {
        queue_check(db).await
    } else {
        PoseQueueCheck {
            status: PoseQueueState::Unavailable,
            counts: None.into(),
            reason: Nullable(Some("Database unavailable".into())),
        }
    };
    let probe = state.storage_probe.writable(&state.storage);
    let storage = match tokio::time::timeout(STORAGE_TIMEOUT, probe).await {
        Ok(Ok(())) => PoseStorageState::Writable,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "pose generator health: storage is not writable");
            PoseStorageState::Unwritable
        }
        Err(_) => {
            tracing::warn!("pose generator health: the storage probe timed out");
            PoseStorageState::Unwritable
        }
    };
    let model_key = state.provider.model_key();
    let provider = model_key
        .split_once(':')
        .map_or(model_key.as_str(), |(name, _)| name)
        .to_owned();

    let status = if !connected
        || queue.status == PoseQueueState::Unavailable
        || storage == PoseStorageState::Unwritable
    {
        PoseHealthStatus::Unhealthy
    } else if queue.status == PoseQueueState::Degraded {
        PoseHealthStatus::Degraded
    } else {
        PoseHealthStatus::Healthy
    };
    PoseHealth {
        status,
        timestamp: Timestamp::now(),
        app: "pose-generator".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        checks: PoseHealthChecks {
            database: PoseDatabaseCheck {
                status: if connected {
                    PoseDatabaseState::Connected
                } else {
                    PoseDatabaseState::Disconnected
                },
            },
            queue,
            provider: PoseProviderCheck {
                status: PoseProviderState::Configured,
                name: Word::stored(&provider),
            },
            storage: PoseStorageCheck { status: storage },
        },
    }
}

async fn queue_check(db: &impl ConnectionTrait) -> PoseQueueCheck {
    let now = timestamp::now();
    let read = async {
        let counts = recovery::job_counts(db, &POSE_JOB_KINDS, now).await?;
        let stalled = workers_stalled(db, now).await?;
        Ok::<_, DbErr>((counts, stalled))
    };
    match read.await {
        Ok((counts, stalled)) => {
            let reason = if counts.failed_24h > FAILED_JOBS_LIMIT {
                Some(format!(
                    "{} jobs failed in the last 24 hours",
                    counts.failed_24h
                ))
            } else if stalled {
                Some("Jobs are waiting but no worker has been active for 2 minutes".to_owned())
            } else {
                None
            };
            PoseQueueCheck {
                status: if reason.is_some() {
                    PoseQueueState::Degraded
                } else {
                    PoseQueueState::Operational
                },
                counts: Nullable(Some(counts.into())),
                reason: reason.into(),
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, "pose generator health: the job table cannot be read");
            PoseQueueCheck {
                status: PoseQueueState::Unavailable,
                counts: None.into(),
                reason: Nullable(Some("Job table unavailable".into())),
            }
        }
    }
}

/// The "no worker heartbeat" rule of api.md §7.26, on the `jobs` table (there is no
/// heartbeat table): a Pose Generator job has been queued and due for more than
/// [`STALL_WINDOW`], and no job of any kind was claimed, renewed or finished within
/// it. Claiming, renewing and finishing all stamp `jobs.updatedAt` on a row that is
/// then `running`, `succeeded` or `failed`, so such a recent row is a worker's
/// heartbeat; workers take every kind, so any kind counts. Enqueueing and recovery's
/// requeue leave rows `queued`, so they are not mistaken for worker activity.
pub async fn workers_stalled(db: &impl ConnectionTrait, now: NaiveDateTime) -> Result<bool, DbErr> {
    let cutoff = now - STALL_WINDOW;
    let overdue = jobs::Entity::find()
        .filter(jobs::Column::Kind.is_in(POSE_JOB_KINDS))
        .filter(jobs::Column::Status.eq(JobStatus::Queued))
        .filter(jobs::Column::RunAfter.lt(cutoff))
        .count(db)
        .await?
        > 0;
    if !overdue {
        return Ok(false);
    }
    let active = jobs::Entity::find()
        .filter(jobs::Column::Status.is_in([
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
        ]))
        .filter(jobs::Column::UpdatedAt.gte(cutoff))
        .count(db)
        .await?
        > 0;
    Ok(!active)
}
