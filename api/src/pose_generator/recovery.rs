//! What the job queue holds for the Pose Generator (api.md §7.24, §7.26): generation
//! counts for the recovery status and job counts by state, read from the `jobs` table.

use crate::http::presence::Nullable;
use chrono::{Duration, NaiveDateTime};
use entity::{jobs, pose_generations};
use migration::sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, Query},
};
use poem_openapi::Object;

use crate::timestamp::{self, Timestamp};
use crate::vocabulary::{JobStatus, LEGACY_QUEUED, PoseGenerationStatus};

/// Jobs of some kinds by state. Queued jobs are either waiting (due now) or delayed
/// (their `runAfter` is still ahead: a retry backoff), never both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Queued and due.
    pub waiting: i64,
    /// Queued with `runAfter` in the future.
    pub delayed: i64,
    /// Running under a worker's lease (expired leases included).
    pub active: i64,
    /// Succeeded in the last 24 hours.
    pub completed_24h: i64,
    /// Failed in the last 24 hours.
    pub failed_24h: i64,
}

/// Counts the jobs of `kinds` by state, as of `now`.
pub async fn job_counts(
    db: &impl ConnectionTrait,
    kinds: &[&str],
    now: NaiveDateTime,
) -> Result<JobCounts, DbErr> {
    let of_kinds = || jobs::Entity::find().filter(jobs::Column::Kind.is_in(kinds.iter().copied()));
    let day_ago = now - Duration::hours(24);
    let queued = || of_kinds().filter(jobs::Column::Status.eq(JobStatus::Queued));
    let finished = |status: JobStatus| {
        of_kinds()
            .filter(jobs::Column::Status.eq(status))
            .filter(jobs::Column::FinishedAt.gte(day_ago))
    };
    Ok(JobCounts {
        waiting: count(queued().filter(jobs::Column::RunAfter.lte(now)), db).await?,
        delayed: count(queued().filter(jobs::Column::RunAfter.gt(now)), db).await?,
        active: count(
            of_kinds().filter(jobs::Column::Status.eq(JobStatus::Running)),
            db,
        )
        .await?,
        completed_24h: count(finished(JobStatus::Succeeded), db).await?,
        failed_24h: count(finished(JobStatus::Failed), db).await?,
    })
}

async fn count(
    query: migration::sea_orm::Select<jobs::Entity>,
    db: &impl ConnectionTrait,
) -> Result<i64, DbErr> {
    Ok(i64::try_from(query.count(db).await?).unwrap_or(i64::MAX))
}

/// Pose generation jobs by state (`jobs` of `GET /recovery/status`).
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseRecoveryJobs {
    /// Queued and due now.
    pub queued: i64,
    /// Running under a lease.
    pub running: i64,
    /// Queued with a retry time in the future.
    pub delayed: i64,
    #[oai(rename = "failedLast24h")]
    pub failed_last_24h: i64,
}

/// `GET /recovery/status`.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseRecoveryStatus {
    /// Generations `processing` whose job's lease has expired: the next recovery sweep
    /// requeues or fails them.
    pub stalled_generations: i64,
    /// Generations `pending` (waiting for a worker).
    pub queued_generations: i64,
    pub processing_generations: i64,
    /// When this instance last ran the recovery sweep; null if it has not yet.
    #[oai(nullable)]
    pub last_recovery_run: Nullable<Timestamp>,
    pub jobs: PoseRecoveryJobs,
}

/// The recovery status; `last_run` is this instance's last sweep.
pub async fn status(
    db: &impl ConnectionTrait,
    last_run: Option<NaiveDateTime>,
) -> Result<PoseRecoveryStatus, DbErr> {
    let now = timestamp::now();
    let generations = |statuses: &[&str]| {
        pose_generations::Entity::find()
            .filter(pose_generations::Column::Status.is_in(statuses.iter().copied()))
    };
    let mut expired = Query::select();
    expired
        .column(jobs::Column::ReferenceId)
        .from(jobs::Entity)
        .and_where(Expr::col(jobs::Column::Kind).eq(super::job::JOB_KIND))
        .and_where(Expr::col(jobs::Column::Status).eq(JobStatus::Running))
        .and_where(Expr::col(jobs::Column::LeaseExpiresAt).lt(now));
    let stalled = generations(&[PoseGenerationStatus::Processing.as_str()])
        .filter(pose_generations::Column::Id.in_subquery(expired))
        .count(db)
        .await?;
    let queued = generations(&[PoseGenerationStatus::Pending.as_str(), LEGACY_QUEUED])
        .count(db)
        .await?;
    let processing = generations(&[PoseGenerationStatus::Processing.as_str()])
        .count(db)
        .await?;
    let jobs = job_counts(db, &[super::job::JOB_KIND], now).await?;
    let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(PoseRecoveryStatus {
        stalled_generations: int(stalled),
        queued_generations: int(queued),
        processing_generations: int(processing),
        last_recovery_run: last_run.map(Into::into).into(),
        jobs: PoseRecoveryJobs {
            queued: jobs.waiting,
            running: jobs.active,
            delayed: jobs.delayed,
            failed_last_24h: jobs.failed_24h,
        },
    })
}
