//! Workers (api.md §8.3.1, §8.3.6): each loops claiming the next due job, runs it
//! through its kind's [`super::JobHandler`] while renewing its lease, and sleeps until
//! the API signals a new job or a second passes. One more task sweeps expired leases at
//! start and every minute.

use std::time::Duration;

use entity::jobs;
use migration::sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, TransactionTrait};
use tokio::{sync::watch, task::JoinHandle};

use super::{JobError, queue};
use crate::vocabulary::JobStatus;
use crate::{app::AppState, ids};

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
            Ok(Some(job)) => {
                crate::metrics::job_claimed(&job.kind);
                execute(&state, job, &name, stopped.clone()).await
            }
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
    let started = std::time::Instant::now();
    let ran = |outcome| crate::metrics::job_ran(&job.kind, outcome, started.elapsed());
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
            ran("lease_lost");
            return;
        }
        () = stopping => {
            abort.abort();
            // Nothing of the job runs any more once its task has ended.
            let finished = matches!(task.await, Ok(Ok(())));
            if !finished {
                hand_back(state, &job, worker).await;
            }
            ran(if finished { "ok" } else { "interrupted" });
            return;
        }
    };
    let error = match outcome {
        Ok(Ok(())) => {
            ran("ok");
            return;
        }
        Ok(Err(err)) => {
            ran("error");
            err.to_string()
        }
        Err(join) => {
            ran("panic");
            format!("worker task failed: {join}")
        }
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
        if let Err(err) = give_up(state, &job, "Generation could not be processed").await {
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

async fn dispatch(state: &AppState, job: &jobs::Model, worker: &str) -> Result<(), JobError> {
    match state.job_handlers.get(&job.kind) {
        Some(handler) => handler.run(state, job, worker).await,
        None => {
            tracing::error!(
                job = job.id,
                kind = job.kind,
                "no worker handles this job kind"
            );
            queue::finish(
                &state.db,
                &job.id,
                Some(worker),
                JobStatus::Failed,
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
pub async fn recover(state: &AppState) -> Result<usize, JobError> {
    let done = recover_report(state).await?;
    Ok(done.recovered + done.failed)
}

/// [`recover`], reporting requeued and failed work apart (`POST /recovery/trigger`).
pub async fn recover_report(state: &AppState) -> Result<Recovery, JobError> {
    let db = &state.db;
    let mut done = Recovery {
        failed: time_out(state).await?,
        ..Recovery::default()
    };
    for job in queue::expired(db).await? {
        if job.attempts < job.max_attempts {
            if requeue(state, &job).await? {
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
        if give_up(state, &job, "Maximum recovery attempts exceeded").await? {
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
        if released && let Some(handler) = state.job_handlers.get(&job.kind) {
            handler.reopen(&txn, job, false).await?;
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

/// An expired job back in the queue, and its work back to `pending` (counting the
/// recovery), in one transaction; `false` if another process got there first.
async fn requeue(state: &AppState, job: &jobs::Model) -> Result<bool, DbErr> {
    let txn = state.db.begin().await?;
    let requeued = queue::requeue_expired(&txn, job).await?;
    if requeued && let Some(handler) = state.job_handlers.get(&job.kind) {
        handler.reopen(&txn, job, true).await?;
    }
    txn.commit().await?;
    Ok(requeued)
}

/// Finalises a job's work as failed with `message` and its refund, through its
/// kind's handler; `true` if this call did it.
async fn give_up(state: &AppState, job: &jobs::Model, message: &str) -> Result<bool, JobError> {
    let gave_up = match state.job_handlers.get(&job.kind) {
        Some(handler) => handler.give_up(&state.db, job, message).await?,
        None => queue::finish(&state.db, &job.id, None, JobStatus::Failed, Some(message)).await?,
    };
    if gave_up {
        crate::metrics::job_given_up(&job.kind);
    }
    Ok(gave_up)
}

/// Gives up the running work that began longer ago than the hard limit
/// (`GENERATION_TIMEOUT_SECONDS`), even while its worker still renews its lease (the
/// worker notices at its next renewal and stops).
async fn time_out(state: &AppState) -> Result<usize, JobError> {
    let limit = chrono::Duration::from_std(state.config.generation_timeout)
        .unwrap_or(chrono::Duration::hours(2));
    let cutoff = crate::timestamp::now() - limit;
    let running = jobs::Entity::find()
        .filter(jobs::Column::Status.eq(JobStatus::Running))
        .all(&state.db)
        .await?;
    let mut finalised = 0;
    for job in running {
        let Some(handler) = state.job_handlers.get(&job.kind) else {
            continue;
        };
        if handler.started_before(&state.db, &job, cutoff).await?
            && handler
                .give_up(&state.db, &job, &timeout_message(state))
                .await?
        {
            tracing::warn!(
                job = job.id,
                kind = job.kind,
                work = job.reference_id,
                "generation timed out"
            );
            crate::metrics::job_given_up(&job.kind);
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
