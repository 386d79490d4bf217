//! The Avatar Creator's domain errors as the client sees them (api.md §6).

use serde_json::Value;

use super::{ApiError, ErrorDetails};
use crate::avatar_creator::error::AvatarCreatorError;

impl From<AvatarCreatorError> for ApiError {
    fn from(err: AvatarCreatorError) -> Self {
        use AvatarCreatorError as E;
        match err {
            E::ProjectNotFound | E::AvatarNotFound | E::PresetNotFound | E::GenerationNotFound => {
                Self::NotFound(err.to_string())
            }
            E::ProjectHasActiveGenerations { active } => Self::Conflict {
                message: err.to_string(),
                details: Some(ErrorDetails::from([(
                    "activeGenerations".to_owned(),
                    Value::from(active),
                )])),
            },
            E::Invalid(fields) => Self::validation(fields),
            E::Image(err) => err.into(),
            E::Auth(err) => err.into(),
            E::Ledger(err) => err.into(),
            E::Database(err) => err.into(),
            E::Internal(source) => Self::Internal(source),
        }
    }
}
