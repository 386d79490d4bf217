//! What can go wrong in the Pose Generator's services, said in the app's own words.
//! No HTTP here: `crate::error` maps each variant to the status, code and details the
//! client reads. The `Display` text of every client-facing variant is the message the
//! client reads; internal causes keep their text for the log only.

use chrono::NaiveDateTime;
use migration::sea_orm::DbErr;

use crate::credits::ledger::LedgerError;
use crate::error::FieldErrors;
use crate::vocabulary::PoseRequestStatus;

#[derive(Debug, thiserror::Error)]
pub enum PoseGeneratorError {
    /// Not one of the caller's projects (or no such project).
    #[error("Project not found")]
    ProjectNotFound,
    /// Not one of the caller's Avatar Creator avatars.
    #[error("Avatar not found")]
    AvatarNotFound,
    /// Not one of the caller's generated poses, or not a public library pose.
    #[error("Pose not found")]
    PoseNotFound,
    /// Not one of the caller's generations.
    #[error("Generation not found")]
    GenerationNotFound,
    #[error("Pose request not found")]
    RequestNotFound,
    /// One or more request fields break their rules; one message per field.
    #[error("{}", .0.summary())]
    Invalid(FieldErrors),
    /// The unlimited tier's daily quota cannot cover `required` poses.
    #[error("Insufficient daily pose quota")]
    QuotaExhausted {
        required: i32,
        remaining: i32,
        daily_quota: i32,
        /// When the quota day ends (the next 00:00 UTC).
        reset_at: NaiveDateTime,
    },
    /// Only a `completed` pose can get a new background.
    #[error("Only completed poses can be edited")]
    PoseNotCompleted,
    /// A background change of the pose is queued or running.
    #[error("A background change is already in progress for this pose")]
    BackgroundChangeInProgress,
    /// The generation has no completed pose to put in the ZIP.
    #[error("No completed poses to export")]
    NothingToExport,
    /// The generation is neither `completed` nor `partial`; `status` is its public
    /// status.
    #[error("Generation is not completed yet. Please check status first.")]
    ResultsNotReady { status: String },
    /// A project is deleted only when none of its generations is pending or processing.
    #[error(
        "Cannot delete project with active generations. Please wait for them to complete or cancel them first."
    )]
    ProjectHasActiveGenerations { active_generations: usize },
    /// The caller has an open request (`status`) of the same name (`pose_name`, as
    /// stored, trimmed).
    #[error("You already have a {status} request for \"{pose_name}\"")]
    DuplicateRequest { status: String, pose_name: String },
    #[error("You cannot vote on your own request")]
    OwnRequestVote,
    #[error("You have already voted for this request")]
    AlreadyVoted,
    /// Votes are taken only while the request is pending or approved.
    #[error("Voting is closed for this request")]
    VotingClosed { status: String },
    /// The request's `status` is not one the transition (`action`, as in "Cannot
    /// approve …") may start from (`allowed_from`).
    #[error("Cannot {action} a request with status {status}")]
    TransitionNotAllowed {
        action: &'static str,
        status: String,
        allowed_from: &'static [PoseRequestStatus],
    },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] DbErr),
    /// Serialisation, storage, image or other unexpected failures.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl PoseGeneratorError {
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(source.into())
    }
}
