//! What the queue needs from each kind of job. The queue and its workers know jobs
//! only (claim, lease, release, expire, give up); what a job's work is, and how it is
//! reopened, failed and refunded, belongs to the feature that enqueues it. Each feature
//! implements [`JobHandler`] for its kinds, and start-up registers them
//! ([`JobHandlers::register`]): adding a kind touches its feature and one line.

use std::{collections::HashMap, sync::Arc};

use chrono::NaiveDateTime;
use entity::jobs;
use migration::sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::JobError;
use crate::app::AppState;

/// One kind of job (`jobs.kind`).
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// The `jobs.kind` this handler runs.
    fn kind(&self) -> &'static str;

    /// Does the work of a job this worker claimed (its lease is renewed meanwhile) and
    /// finishes the job; an error releases the job for another attempt.
    async fn run(&self, state: &AppState, job: &jobs::Model, worker: &str) -> Result<(), JobError>;

    /// The job went back to the queue (an expired lease, `count_recovery`, or a
    /// shutdown hand-back): its work returns to `pending`, in the same transaction.
    async fn reopen(
        &self,
        _txn: &DatabaseTransaction,
        _job: &jobs::Model,
        _count_recovery: bool,
    ) -> Result<(), DbErr> {
        Ok(())
    }

    /// No attempt is left, or the work ran past its time limit: finalises the work as
    /// failed with `message` and refunds it. `true` if this call did it.
    async fn give_up(
        &self,
        db: &DatabaseConnection,
        job: &jobs::Model,
        message: &str,
    ) -> Result<bool, JobError>;

    /// Whether the running job's work began before `cutoff`
    /// (`GENERATION_TIMEOUT_SECONDS`); such work is given up. None by default.
    async fn started_before(
        &self,
        _db: &DatabaseConnection,
        _job: &jobs::Model,
        _cutoff: NaiveDateTime,
    ) -> Result<bool, DbErr> {
        Ok(false)
    }
}

/// The handlers of every kind, by `jobs.kind`.
#[derive(Clone, Default)]
pub struct JobHandlers(HashMap<&'static str, Arc<dyn JobHandler>>);

impl JobHandlers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `handler` for its kind.
    #[must_use]
    pub fn register(mut self, handler: impl JobHandler) -> Self {
        self.0.insert(handler.kind(), Arc::new(handler));
        self
    }

    pub fn get(&self, kind: &str) -> Option<&dyn JobHandler> {
        self.0.get(kind).map(AsRef::as_ref)
    }

    /// Every registered kind.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.keys().copied()
    }
}
