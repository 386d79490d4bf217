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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorCode, FieldErrors};

    #[test]
    fn each_kind_keeps_its_status_message_and_details() {
        let missing = ApiError::from(AvatarCreatorError::AvatarNotFound);
        assert_eq!(missing.code(), ErrorCode::NotFound);
        assert_eq!(missing.message(), "Avatar not found");

        let busy = ApiError::from(AvatarCreatorError::ProjectHasActiveGenerations { active: 2 });
        assert_eq!(busy.code(), ErrorCode::Conflict);
        assert_eq!(
            busy.message(),
            "Cannot delete project with active generations. Please wait for them to complete."
        );
        assert_eq!(busy.details().unwrap()["activeGenerations"], Value::from(2));

        let fields = FieldErrors::new().with("category", "Invalid enum value");
        let invalid = AvatarCreatorError::Invalid(fields.clone());
        assert_eq!(invalid.to_string(), "category: Invalid enum value");
        let invalid = ApiError::from(invalid);
        assert_eq!(invalid.code(), ErrorCode::ValidationError);
        assert_eq!(invalid.details(), ApiError::validation(fields).details());

        let internal = ApiError::from(AvatarCreatorError::internal("disk full"));
        assert_eq!(internal.code(), ErrorCode::InternalError);
        assert_eq!(internal.to_string(), "internal error: disk full");
    }
}
