//! The durable job table (api.md §8.3.1, schema.md §7.3): enqueue inside the caller's
//! transaction, claim with a lease, renew, finish, and recover expired leases.
//!
//! Claiming is one statement, `UPDATE jobs … WHERE id = (SELECT … LIMIT 1) RETURNING *`:
//! on PostgreSQL the sub-select takes `FOR UPDATE SKIP LOCKED`, so concurrent workers
//! never wait for or take the same row; on SQLite the statement runs under the
//! database's single write lock, which gives the same guarantee.

use std::time::Duration;

use chrono::NaiveDateTime;
use entity::jobs::{self, Column};
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query},
};

use crate::vocabulary::JobStatus;
use crate::{ids, timestamp};

/// Claims per job before it is given up (api.md §8.3.1).
pub const MAX_ATTEMPTS: i32 = 3;

/// Finished jobs are kept this long, then deleted by the recovery sweep (§8.3.6).
pub const RETENTION: chrono::Duration = chrono::Duration::days(7);

fn lease_end(now: NaiveDateTime, lease: Duration) -> NaiveDateTime {
    now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60))
}

/// Adds a queued job for `reference_id`, inside the caller's transaction, so the job
/// exists exactly when the work item and its charge do.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: &str,
    reference_id: &str,
    payload: &serde_json::Value,
    priority: i32,
) -> Result<jobs::Model, DbErr> {
    let now = timestamp::now();
    jobs::ActiveModel {
        id: Set(ids::new_id()),
        kind: Set(kind.to_owned()),
        reference_id: Set(reference_id.to_owned()),
        payload: Set(payload.to_string()),
        status: Set(JobStatus::Queued.into()),
        priority: Set(priority),
        attempts: Set(0),
        max_attempts: Set(MAX_ATTEMPTS),
        run_after: Set(now),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(db)
    .await
}

/// Takes the next due job for `worker`: highest `priority`, then oldest `runAfter`,
/// then oldest `createdAt`. Sets it `running`, counts the attempt and grants a lease.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    lease: Duration,
) -> Result<Option<jobs::Model>, DbErr> {
    let now = timestamp::now();
    let mut next = Query::select();
    next.column(Column::Id)
        .from(jobs::Entity)
        .and_where(Expr::col(Column::Status).eq(JobStatus::Queued))
        .and_where(Expr::col(Column::RunAfter).lte(now))
        .order_by(Column::Priority, migration::sea_orm::sea_query::Order::Desc)
        .order_by(Column::RunAfter, migration::sea_orm::sea_query::Order::Asc)
        .order_by(Column::CreatedAt, migration::sea_orm::sea_query::Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    let mut update = Query::update();
    update
        .table(jobs::Entity)
        .value(Column::Status, JobStatus::Running)
        .value(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .value(Column::LeaseOwner, worker)
        .value(Column::LeaseExpiresAt, lease_end(now, lease))
        .value(Column::UpdatedAt, now)
        // `= (SELECT …)`, not `IN (SELECT …)`: PostgreSQL runs an uncorrelated scalar
        // sub-select once, whereas it may rescan an `IN` semi-join and lock, and so
        // claim, one more row per rescan.
        .and_where(Expr::col(Column::Id).eq(Expr::SubQuery(None, Box::new(next.into()))))
        // Guards SQLite, whose sub-select takes no row lock.
        .and_where(Expr::col(Column::Status).eq(JobStatus::Queued))
        .returning_all();
    let statement = db.get_database_backend().build(&update);
    jobs::Entity::find().from_raw_sql(statement).one(db).await
}

/// Extends the lease, only while `worker` still holds the job. `false` means someone
/// else owns it now (or it was finished by recovery): the worker must stop at once.
pub async fn renew(
    db: &impl ConnectionTrait,
    job_id: &str,
    worker: &str,
    lease: Duration,
) -> Result<bool, DbErr> {
    let now = timestamp::now();
    let result = jobs::Entity::update_many()
        .col_expr(Column::LeaseExpiresAt, Expr::value(lease_end(now, lease)))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(job_id))
        .filter(Column::Status.eq(JobStatus::Running))
        .filter(Column::LeaseOwner.eq(worker))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends a running job held by `worker` as `succeeded` or `failed`. `false` if the
/// worker no longer holds it (then the caller's transaction must roll back).
pub async fn finish(
    db: &impl ConnectionTrait,
    job_id: &str,
    worker: Option<&str>,
    status: JobStatus,
    error: Option<&str>,
) -> Result<bool, DbErr> {
    let now = timestamp::now();
    let mut update = without_lease(status, now)
        .col_expr(Column::FinishedAt, Expr::value(now))
        .filter(Column::Id.eq(job_id))
        .filter(Column::Status.is_in([JobStatus::Queued, JobStatus::Running]));
    if let Some(error) = error {
        update = update.col_expr(Column::LastError, Expr::value(truncate(error, 2000)));
    }
    if let Some(worker) = worker {
        update = update.filter(Column::LeaseOwner.eq(worker));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// The work's own row was finalised meanwhile (another attempt, a give-up): this
/// attempt's transaction is rolled back and the job closed with `status`.
pub async fn abandon_finalised(
    txn: DatabaseTransaction,
    db: &impl ConnectionTrait,
    job_id: &str,
    worker: Option<&str>,
    status: JobStatus,
) -> Result<(), DbErr> {
    txn.rollback().await?;
    finish(db, job_id, worker, status, Some("generation finalised")).await?;
    Ok(())
}

/// Ends a job whose work item (a generation or a pose) was deleted under it, with its
/// project or user: `succeeded` with `lastError "reference deleted"` and no other write
/// (api.md §8.3.4 point 5; jobs reference their work without a foreign key, §8.6).
/// `false` if `worker` no longer holds the job.
pub async fn finish_orphan(
    db: &impl ConnectionTrait,
    job_id: &str,
    worker: Option<&str>,
) -> Result<bool, DbErr> {
    finish(
        db,
        job_id,
        worker,
        JobStatus::Succeeded,
        Some("reference deleted"),
    )
    .await
}

/// Puts a running job held by `worker` back in the queue after an unexpected internal
/// error (§8.3.6 point 3): the attempt counts, and it runs again after a backoff.
pub async fn release(
    db: &impl ConnectionTrait,
    job: &jobs::Model,
    worker: &str,
    error: &str,
) -> Result<bool, DbErr> {
    requeue(db, job, Some(worker), false, error).await
}

/// Hands a running job held by `worker` back at shutdown: `queued`, due now, lease
/// dropped, and the claim's attempt not counted (an interrupted run is not a failure,
/// so shutdowns never use up a job's attempts). `false` if the worker no longer holds
/// it (finished, or recovered by someone else).
pub async fn release_at_shutdown(
    db: &impl ConnectionTrait,
    job: &jobs::Model,
    worker: &str,
) -> Result<bool, DbErr> {
    let now = timestamp::now();
    let update = without_lease(JobStatus::Queued, now)
        .col_expr(Column::RunAfter, Expr::value(now))
        // A claim counted it; the `attempts > 0` guard keeps the column non-negative.
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).sub(1))
        .filter(Column::Id.eq(job.id.as_str()))
        .filter(Column::Status.eq(JobStatus::Running))
        .filter(Column::Attempts.gt(0))
        .filter(Column::LeaseOwner.eq(worker));
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// An update of one job to `status` that drops its lease.
fn without_lease(
    status: JobStatus,
    now: NaiveDateTime,
) -> migration::sea_orm::UpdateMany<jobs::Entity> {
    jobs::Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(
            Column::LeaseExpiresAt,
            Expr::value(Option::<NaiveDateTime>::None),
        )
        .col_expr(Column::UpdatedAt, Expr::value(now))
}

/// Back to `queued` after a backoff, only while still running under `owner` (and, with
/// `only_if_expired`, while its lease is still over).
async fn requeue(
    db: &impl ConnectionTrait,
    job: &jobs::Model,
    owner: Option<&str>,
    only_if_expired: bool,
    error: &str,
) -> Result<bool, DbErr> {
    let now = timestamp::now();
    let mut update = without_lease(JobStatus::Queued, now)
        .col_expr(Column::RunAfter, Expr::value(now + backoff(job.attempts)))
        .col_expr(Column::LastError, Expr::value(truncate(error, 2000)))
        .filter(Column::Id.eq(job.id.as_str()))
        .filter(Column::Status.eq(JobStatus::Running));
    if let Some(owner) = owner {
        update = update.filter(Column::LeaseOwner.eq(owner));
    }
    if only_if_expired {
        update = update.filter(Column::LeaseExpiresAt.lt(now));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// `10 s × 2^(attempts − 1)` (§8.3.6).
pub fn backoff(attempts: i32) -> chrono::Duration {
    let exponent = std::cmp::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 10);
    chrono::Duration::seconds(10 * (1_i64 << exponent))
}

/// Running jobs whose lease ended before now, oldest first.
pub async fn expired(db: &impl ConnectionTrait) -> Result<Vec<jobs::Model>, DbErr> {
    jobs::Entity::find()
        .filter(Column::Status.eq(JobStatus::Running))
        .filter(Column::LeaseExpiresAt.lt(timestamp::now()))
        .order_by_asc(Column::LeaseExpiresAt)
        .all(db)
        .await
}

/// Requeues an expired job (conditional on it still being the same expired lease).
pub async fn requeue_expired(db: &impl ConnectionTrait, job: &jobs::Model) -> Result<bool, DbErr> {
    requeue(db, job, job.lease_owner.as_deref(), true, "lease expired").await
}

/// Deletes jobs that finished more than [`RETENTION`] ago; returns how many.
pub async fn purge_finished(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let cutoff = timestamp::now() - RETENTION;
    let result = jobs::Entity::delete_many()
        .filter(Column::Status.is_in([JobStatus::Succeeded, JobStatus::Failed]))
        .filter(Column::FinishedAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds() {
        assert_eq!(backoff(1), chrono::Duration::seconds(10));
        assert_eq!(backoff(2), chrono::Duration::seconds(20));
        assert_eq!(backoff(3), chrono::Duration::seconds(40));
        assert_eq!(backoff(0), chrono::Duration::seconds(10));
    }
}
