//! The Pose Generator app (`/api/apps/pose-generator`, api.md §7).
//!
//! * [`library`]: the pose library and its category tree (shared reference data).
//! * [`projects`]: the caller's projects.
//! * [`requests`]: requests for new library poses, votes and their admin workflow.
//! * [`recovery`], [`health`]: what the job queue holds, and the app's health report.
//! * [`views`]: the JSON objects of api.md §2.8–§2.13.
//! * [`error`]: what the services fail with ([`error::PoseGeneratorError`]); the
//!   mapping to HTTP is in `crate::error`.
//! * `routes`: the operations.

pub mod background;
pub mod error;
pub mod events;
pub mod exports;
pub mod formats;
pub mod generate;
pub mod generations;
pub mod health;
pub mod job;
pub mod library;
pub mod projects;
pub mod prompts;
pub mod recovery;
pub mod requests;
mod routes;
pub mod stats;
pub mod views;

pub use routes::apis;

use crate::storage::Storage;

/// Removes a generation's `poses/<generationId>/` folder after a commit, best effort
/// (api.md §8.6): a failure is logged, never a failed request.
pub async fn remove_generation_files(storage: &Storage, generation_id: &str) {
    if let Err(err) = storage
        .delete_folder(&format!("poses/{generation_id}"))
        .await
    {
        tracing::warn!(generation = generation_id, error = %err, "could not remove generation files");
    }
}
