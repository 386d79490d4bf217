//! Background work (api.md §8.3): the durable queue in the database ([`queue`]) and
//! the workers that run it inside the server process or on their own ([`worker`]).

pub mod handler;
pub mod queue;
pub mod worker;

pub use handler::{JobHandler, JobHandlers};
pub use worker::Workers;

/// Why a job's work could not be carried to an end (the queue then releases it for
/// another attempt) or finalised.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Database(#[from] migration::sea_orm::DbErr),
    #[error(transparent)]
    Ledger(#[from] crate::credits::ledger::LedgerError),
    #[error("{0}")]
    Internal(String),
}
