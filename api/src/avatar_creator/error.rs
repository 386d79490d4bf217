//! What can go wrong in the Avatar Creator services, said in the app's own words.
//!
//! The services know nothing of HTTP: `crate::error` maps each variant to the status,
//! code, message and details the client reads (api.md §1.6, §6). The `Display` text of
//! the app's own client-facing variants is that message; the wrapped errors (ledger,
//! database, token check, image) keep their own mappings.

use migration::sea_orm::DbErr;

use crate::{
    auth::service::AuthError, credits::ledger::LedgerError, error::FieldErrors, images::ImageError,
};

#[derive(Debug, thiserror::Error)]
pub enum AvatarCreatorError {
    /// No project of the caller's with this id (another user's counts as none, §8.1).
    #[error("Project not found")]
    ProjectNotFound,
    #[error("Avatar not found")]
    AvatarNotFound,
    /// No public preset with this id.
    #[error("Preset not found")]
    PresetNotFound,
    #[error("Generation not found")]
    GenerationNotFound,
    /// Deleting a project while `active` of its generations are pending or processing.
    #[error("Cannot delete project with active generations. Please wait for them to complete.")]
    ProjectHasActiveGenerations { active: u64 },
    /// Request fields that break the rules, one message per field.
    #[error("{}", .0.summary())]
    Invalid(FieldErrors),
    /// The uploaded image was refused.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The bearer token's check (`GET /projects` reads the page in the same statement).
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] DbErr),
    /// Serialisation, storage or another unexpected failure; never shown to the client.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl AvatarCreatorError {
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(source.into())
    }
}
