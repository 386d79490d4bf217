//! Workers (api.md §8.3.1, §8.3.6): each loops claiming the next due job, runs it
//! while renewing its lease, and sleeps until the API signals a new job or a second
//! passes. One more task sweeps expired leases at start and every minute.

use std::time::Duration;

use entity::{avatar_generations, jobs, pose_generations};
use migration::sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use tokio::{sync::watch, task::JoinHandle};

use super::queue;
use crate::pose_generator::{generate::Payload as PosePayload, job as pose_job};
use crate::{app::AppState, avatar_creator::generations, ids};

/// How often an idle worker looks for due jobs without being woken.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Running worker tasks; [`Workers::stop`] ends them.
pub struct Workers {
    stop: StopHandle,
    tasks: Vec<JoinHandle<()>>,
}

/// Tells the workers to stop, without waiting for them (the server calls it as soon as
/// a shutdown signal arrives, while it still drains in-flight requests).
#[derive(Debug, Clone)]
pub struct StopHandle(std::sync::Arc<watch::Sender<bool>>);

impl StopHandle {
    /// Workers stop claiming; a running job is interrupted and handed back to the queue
    /// at once ([`queue::release_at_shutdown`]), so another process can resume it
    /// without waiting for the lease to expire.
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

impl Workers {
    /// Starts `count` workers and the recovery sweep. `count == 0` starts nothing
    /// (an API-only replica).
    pub fn start(state: &AppState, count: u32) -> Self {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        if count > 0 {
            let process = ids::new_id();
            for n in 0..count {
                let name = format!("{}-{process}-{n}", std::process::id());
                tasks.push(tokio::spawn(work(state.clone(), name, stopped.clone())));
            }
            tasks.push(tokio::spawn(sweep(state.clone(), stopped)));
            tracing::info!(workers = count, "background workers started");
        }
        Self {
            stop: StopHandle(std::sync::Arc::new(stop)),
            tasks,
        }
    }

    /// A handle that stops the workers from elsewhere.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Stops every task (a running job is released, see [`StopHandle::stop`]) and waits
    /// for them.
    pub async fn stop(self) {
        self.stop.stop();
        for task in self.tasks {
            if let Err(err) = task.await {
                tracing::warn!(error = %err, "a worker task ended abnormally");
            }
        }
    }
}

async fn work(state: AppState, name: String, mut stopped: watch::Receiver<bool>) {
    let lease = state.config.job_lease;
    while !*stopped.borrow() {
        match queue::claim(&state.db, &name, lease).await {
            Ok(Some(job)) => execute(&state, job, &name, stopped.clone()).await,
            Ok(None) => {
                tokio::select! {
                    () = state.job_signal.notified() => {}
                    () = tokio::time::sleep(POLL_INTERVAL) => {}
                    _ = stopped.changed() => {}
                }
            }
            Err(err) => {
                tracing::warn!(worker = name, error = %err, "claiming a job failed");
                tokio::time::sleep(POLL_INTERVAL).await;
            }
        }
    }
}

/// Runs one claimed job in its own task (a panic is caught), renewing the lease every
/// quarter of its length. A lost lease stops the job at once; an internal error or a
/// panic releases it for another attempt (§8.3.6 point 3); a shutdown interrupts it and
/// hands it back to the queue, due at once and without counting the attempt (the plan's
/// variation keys make resuming it elsewhere safe, §8.3.4).
async fn execute(
    state: &AppState,
    job: jobs::Model,
    worker: &str,
    mut stopped: watch::Receiver<bool>,
) {
    let lease = state.config.job_lease;
    let mut task = {
        let (state, job, worker) = (state.clone(), job.clone(), worker.to_owned());
        tokio::spawn(async move { dispatch(&state, &job, &worker).await })
    };
    let abort = task.abort_handle();
    let renewals = async {
        loop {
            tokio::time::sleep(lease / 4).await;
            match queue::renew(&state.db, &job.id, worker, lease).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(err) => tracing::warn!(job = job.id, error = %err, "lease renewal failed"),
            }
        }
    };
    let stopping = async {
        if stopped.wait_for(|stop| *stop).await.is_err() {
            // The `Workers` were dropped without a stop: nothing will ask any more.
            std::future::pending::<()>().await;
        }
    };
    let outcome = tokio::select! {
        joined = &mut task => joined,
        () = renewals => {
            abort.abort();
            tracing::warn!(job = job.id, worker, "lease lost: the job was stopped");
            return;
        }
        () = stopping => {
            abort.abort();
            // Nothing of the job runs any more once its task has ended.
            let finished = matches!(task.await, Ok(Ok(())));
            if !finished {
                hand_back(state, &job, worker).await;
            }
            return;
        }
    };
    let error = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(err)) => err.to_string(),
        Err(join) => format!("worker task failed: {join}"),
    };
    if job.attempts >= job.max_attempts {
        // The last attempt: like an expired lease after the last attempt, the work is
        // finalised as failed and refunded.
        tracing::error!(
            job = job.id,
            kind = job.kind,
            error,
            "job failed after its last attempt"
        );
        if let Err(err) = give_up(&state.db, &job, "Generation could not be processed").await {
            tracing::warn!(job = job.id, error = %err, "failing the job failed");
        }
        return;
    }
    tracing::error!(
        job = job.id,
        kind = job.kind,
        error,
        "job released after an internal error"
    );
    if let Err(err) = queue::release(&state.db, &job, worker, &error).await {
        tracing::warn!(job = job.id, error = %err, "releasing the job failed");
    }
}

async fn dispatch(
    state: &AppState,
    job: &jobs::Model,
    worker: &str,
) -> Result<(), crate::jobs::RunError> {
    match job.kind.as_str() {
        queue::AVATAR_GENERATION => generations::run(state, job, worker).await,
        queue::POSE_GENERATION => crate::pose_generator::job::run(state, job, worker).await,
        queue::BACKGROUND_CHANGE => {
            crate::pose_generator::background::run(state, job, worker).await
        }
        other => {
            tracing::error!(
                job = job.id,
                kind = other,
                "no worker handles this job kind"
            );
            queue::finish(
                &state.db,
                &job.id,
                Some(worker),
                queue::FAILED,
                Some("unknown kind"),
            )
            .await?;
            Ok(())
        }
    }
}

async fn sweep(state: AppState, mut stopped: watch::Receiver<bool>) {
    while !*stopped.borrow() {
        if let Err(err) = recover(&state).await {
            tracing::warn!(error = %err, "the recovery sweep failed");
        }
        tokio::select! {
            () = tokio::time::sleep(state.config.recovery_interval) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// When this process last ran the recovery sweep (`GET /recovery/status`).
#[derive(Debug, Default)]
pub struct LastRun(std::sync::Mutex<Option<chrono::NaiveDateTime>>);

impl LastRun {
    pub fn store(&self, at: Option<chrono::NaiveDateTime>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn load(&self) -> Option<chrono::NaiveDateTime> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What one recovery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Jobs put back in the queue.
    pub recovered: usize,
    /// Work finalised as failed (attempts exhausted or past the hard time limit), with
    /// its refund.
    pub failed: usize,
}

/// One recovery pass (§8.3.6): expired leases go back to the queue with a backoff, or
/// after the last attempt are finalised as failed with their refund; generations past
/// `GENERATION_TIMEOUT_SECONDS` are failed and refunded even while their worker still
/// renews its lease (the worker notices at its next renewal and stops); finished jobs
/// older than the retention are deleted. Returns how many jobs it finalised or requeued.
pub async fn recover(state: &AppState) -> Result<usize, DbErr> {
    let done = recover_report(state).await?;
    Ok(done.recovered + done.failed)
}

/// [`recover`], reporting requeued and failed work apart (`POST /recovery/trigger`).
pub async fn recover_report(state: &AppState) -> Result<Recovery, DbErr> {
    let db = &state.db;
    let mut done = Recovery {
        failed: time_out(state).await?,
        ..Recovery::default()
    };
    for job in queue::expired(db).await? {
        if job.attempts < job.max_attempts {
            if queue::requeue_expired(db, &job).await? {
                reopen(db, &job).await?;
                tracing::warn!(
                    job = job.id,
                    attempts = job.attempts,
                    "expired lease: job requeued"
                );
                done.recovered += 1;
            }
            continue;
        }
        tracing::warn!(
            job = job.id,
            "expired lease after the last attempt: job failed"
        );
        if give_up(db, &job, "Maximum recovery attempts exceeded").await? {
            done.failed += 1;
        }
    }
    let purged = queue::purge_finished(db).await?;
    if purged > 0 {
        tracing::info!(purged, "finished jobs older than the retention deleted");
    }
    state.last_recovery.store(Some(crate::timestamp::now()));
    Ok(done)
}

/// Shutdown: the interrupted job goes back to the queue at once, and its work to
/// `pending`, in one transaction.
async fn hand_back(state: &AppState, job: &jobs::Model, worker: &str) {
    let result = async {
        let txn = state.db.begin().await?;
        let released = queue::release_at_shutdown(&txn, job, worker).await?;
        if released {
            set_pending(&txn, job, false).await?;
        }
        txn.commit().await?;
        Ok::<_, DbErr>(released)
    }
    .await;
    match result {
        Ok(true) => tracing::info!(
            job = job.id,
            kind = job.kind,
            worker,
            "shutting down: job handed back to the queue"
        ),
        Ok(false) => {}
        Err(err) => tracing::warn!(
            job = job.id,
            error = %err,
            "shutting down: handing the job back failed; it is recovered when its lease expires"
        ),
    }
}

/// A requeued job's work goes back to `pending`; a pose generation also counts the
/// recovery.
async fn reopen(db: &DatabaseConnection, job: &jobs::Model) -> Result<(), DbErr> {
    set_pending(db, job, true).await
}

/// The work of a job back to `pending` (from `processing` only); `count_recovery` adds
/// one to a pose generation's `recoveryAttempts` (not done for a shutdown hand-back,
/// which is no failure).
async fn set_pending(
    db: &impl ConnectionTrait,
    job: &jobs::Model,
    count_recovery: bool,
) -> Result<(), DbErr> {
    let reference = job.reference_id.as_str();
    match job.kind.as_str() {
        queue::AVATAR_GENERATION => {
            avatar_generations::Entity::update_many()
                .col_expr(
                    avatar_generations::Column::Status,
                    Expr::value(generations::PENDING),
                )
                .filter(avatar_generations::Column::Id.eq(reference))
                .filter(avatar_generations::Column::Status.eq(generations::PROCESSING))
                .exec(db)
                .await?;
        }
        queue::POSE_GENERATION => {
            let mut update = pose_generations::Entity::update_many().col_expr(
                pose_generations::Column::Status,
                Expr::value(pose_job::PENDING),
            );
            if count_recovery {
                update = update
                    .col_expr(
                        pose_generations::Column::RecoveryAttempts,
                        Expr::col(pose_generations::Column::RecoveryAttempts).add(1),
                    )
                    .col_expr(
                        pose_generations::Column::LastRecoveryAt,
                        Expr::value(crate::timestamp::now()),
                    );
            }
            update
                .filter(pose_generations::Column::Id.eq(reference))
                .filter(pose_generations::Column::Status.eq(pose_job::PROCESSING))
                .exec(db)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Finalises a job's work as failed with `message` and its refund; `true` if this call
/// did it.
async fn give_up(db: &DatabaseConnection, job: &jobs::Model, message: &str) -> Result<bool, DbErr> {
    match job.kind.as_str() {
        queue::AVATAR_GENERATION => {
            let Some(generation) =
                avatar_generations::Entity::find_by_id(job.reference_id.as_str())
                    .one(db)
                    .await?
            else {
                return queue::finish_orphan(db, &job.id, None).await;
            };
            let charged =
                serde_json::from_str::<generations::Payload>(&job.payload).map_or(0, |p| p.charged);
            generations::fail(db, &generation, &job.id, None, message, None, charged).await
        }
        queue::POSE_GENERATION => {
            let payload = serde_json::from_str::<PosePayload>(&job.payload).ok();
            pose_job::finalise(
                db,
                &job.reference_id,
                payload.as_ref(),
                &job.id,
                None,
                Some(message),
            )
            .await
        }
        queue::BACKGROUND_CHANGE => {
            let pose = entity::generated_poses::Entity::find_by_id(job.reference_id.as_str())
                .one(db)
                .await?;
            let charged =
                serde_json::from_str::<crate::pose_generator::background::Payload>(&job.payload)
                    .map_or(0, |p| p.charged);
            match pose {
                Some(pose) => {
                    crate::pose_generator::background::fail(db, job, None, &pose, charged, message)
                        .await
                }
                None => queue::finish_orphan(db, &job.id, None).await,
            }
        }
        _ => queue::finish(db, &job.id, None, queue::FAILED, Some(message)).await,
    }
}

/// Fails running avatar generations created longer ago than the hard limit. The
/// generation row has no start time, so the limit counts from its creation (queue
/// time included), which can only end work earlier, never later.
async fn time_out(state: &AppState) -> Result<usize, DbErr> {
    let db = &state.db;
    let limit = chrono::Duration::from_std(state.config.generation_timeout)
        .unwrap_or(chrono::Duration::hours(2));
    let cutoff = crate::timestamp::now() - limit;
    let running = jobs::Entity::find()
        .filter(jobs::Column::Status.eq(queue::RUNNING))
        .filter(jobs::Column::Kind.eq(queue::AVATAR_GENERATION))
        .all(db)
        .await?;
    let mut finalised = 0;
    for job in running {
        let Some(generation) = avatar_generations::Entity::find_by_id(job.reference_id.as_str())
            .filter(avatar_generations::Column::CreatedAt.lt(cutoff))
            .one(db)
            .await?
        else {
            continue;
        };
        let charged =
            serde_json::from_str::<generations::Payload>(&job.payload).map_or(0, |p| p.charged);
        let message = timeout_message(state);
        tracing::warn!(
            job = job.id,
            generation = generation.id,
            "generation timed out"
        );
        if generations::fail(db, &generation, &job.id, None, &message, None, charged).await? {
            finalised += 1;
        }
    }
    // Pose generations count from `startedAt`.
    let running = jobs::Entity::find()
        .filter(jobs::Column::Status.eq(queue::RUNNING))
        .filter(jobs::Column::Kind.eq(queue::POSE_GENERATION))
        .all(db)
        .await?;
    for job in running {
        let overdue = pose_generations::Entity::find_by_id(job.reference_id.as_str())
            .filter(pose_generations::Column::Status.eq(pose_job::PROCESSING))
            .filter(pose_generations::Column::StartedAt.lt(cutoff))
            .count(db)
            .await?
            > 0;
        if overdue && give_up(db, &job, &timeout_message(state)).await? {
            tracing::warn!(
                job = job.id,
                generation = job.reference_id,
                "pose generation timed out"
            );
            finalised += 1;
        }
    }
    Ok(finalised)
}

fn timeout_message(state: &AppState) -> String {
    let seconds = state.config.generation_timeout.as_secs();
    if seconds >= 3600 {
        format!(
            "Generation timeout - exceeded {} hour limit",
            seconds / 3600
        )
    } else {
        format!("Generation timeout - exceeded {seconds} second limit")
    }
}
