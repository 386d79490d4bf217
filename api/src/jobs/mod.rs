//! Background work (api.md §8.3): the durable queue in the database ([`queue`]) and
//! the workers that run it inside the server process or on their own ([`worker`]).

pub mod queue;
pub mod worker;

pub use worker::Workers;

/// Why a job could not be carried to an end by this worker; the queue releases it.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Database(#[from] migration::sea_orm::DbErr),
    #[error("{0}")]
    Internal(String),
}
