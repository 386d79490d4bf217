//! The Pose Generator's domain errors ([`PoseGeneratorError`]) as the client sees them:
//! the one place that gives each its status, code and details.

use serde_json::Value;

use super::{ApiError, ErrorDetails};
use crate::pose_generator::error::PoseGeneratorError;
use crate::timestamp::Timestamp;
use crate::vocabulary::{PoseRequestStatus, Vocabulary};

fn details<const N: usize>(pairs: [(&str, Value); N]) -> ErrorDetails {
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

/// 409 `CONFLICT` with the error's message.
fn conflict(err: &PoseGeneratorError, details: Option<ErrorDetails>) -> ApiError {
    ApiError::Conflict {
        message: err.to_string(),
        details,
    }
}

impl From<PoseGeneratorError> for ApiError {
    fn from(err: PoseGeneratorError) -> Self {
        use PoseGeneratorError as E;
        match err {
            E::ProjectNotFound
            | E::AvatarNotFound
            | E::PoseNotFound
            | E::GenerationNotFound
            | E::RequestNotFound => Self::NotFound(err.to_string()),
            E::Invalid(fields) => Self::validation(fields),
            E::QuotaExhausted {
                required,
                remaining,
                daily_quota,
                reset_at,
            } => Self::InsufficientQuota(details([
                ("required", Value::from(required)),
                ("remaining", Value::from(remaining)),
                ("dailyQuota", Value::from(daily_quota)),
                (
                    "resetAt",
                    Value::from(Timestamp::from(reset_at).to_string()),
                ),
            ])),
            E::PoseNotCompleted
            | E::BackgroundChangeInProgress
            | E::NothingToExport
            | E::DuplicateRequest { .. }
            | E::OwnRequestVote
            | E::AlreadyVoted => conflict(&err, None),
            E::ResultsNotReady { ref status } | E::VotingClosed { ref status } => conflict(
                &err,
                Some(details([("status", Value::from(status.as_str()))])),
            ),
            E::ProjectHasActiveGenerations { active_generations } => conflict(
                &err,
                Some(details([(
                    "activeGenerations",
                    Value::from(active_generations),
                )])),
            ),
            E::TransitionNotAllowed {
                ref status,
                allowed_from,
                ..
            } => conflict(
                &err,
                Some(details([
                    ("status", Value::from(status.as_str())),
                    (
                        "allowedFrom",
                        Value::from(PoseRequestStatus::spellings(allowed_from)),
                    ),
                ])),
            ),
            E::Ledger(err) => err.into(),
            E::Database(err) => err.into(),
            E::Internal(source) => Self::Internal(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::json;

    use super::*;
    use crate::error::{ErrorCode, FieldErrors};

    use PoseGeneratorError as E;

    fn answer(err: PoseGeneratorError) -> (ErrorCode, String, Option<Value>) {
        let err = ApiError::from(err);
        (
            err.code(),
            err.message(),
            err.details().map(|d| serde_json::to_value(d).unwrap()),
        )
    }

    #[test]
    fn missing_things_are_404s_with_their_names() {
        for (err, message) in [
            (E::ProjectNotFound, "Project not found"),
            (E::AvatarNotFound, "Avatar not found"),
            (E::PoseNotFound, "Pose not found"),
            (E::GenerationNotFound, "Generation not found"),
            (E::RequestNotFound, "Pose request not found"),
        ] {
            assert_eq!(answer(err), (ErrorCode::NotFound, message.into(), None));
        }
    }

    #[test]
    fn invalid_fields_are_400s_with_their_messages() {
        let fields = FieldErrors::new().with("status", "Must be one of: active, archived");
        assert_eq!(
            E::Invalid(fields.clone()).to_string(),
            "status: Must be one of: active, archived"
        );
        assert_eq!(
            answer(E::Invalid(fields)),
            (
                ErrorCode::ValidationError,
                "status: Must be one of: active, archived".into(),
                Some(json!({ "status": ["Must be one of: active, archived"] }))
            )
        );
    }

    #[test]
    fn an_exhausted_quota_is_a_403_with_its_numbers() {
        let reset_at = NaiveDate::from_ymd_opt(2026, 3, 2)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(
            answer(E::QuotaExhausted {
                required: 8,
                remaining: 0,
                daily_quota: 100,
                reset_at,
            }),
            (
                ErrorCode::InsufficientQuota,
                "Insufficient daily pose quota".into(),
                Some(json!({
                    "required": 8,
                    "remaining": 0,
                    "dailyQuota": 100,
                    "resetAt": "2026-03-02T00:00:00.000Z",
                }))
            )
        );
    }

    #[test]
    fn conflicts_are_409s_with_their_details() {
        let conflict = |message: &str, details: Option<Value>| {
            (ErrorCode::Conflict, message.to_owned(), details)
        };
        assert_eq!(
            answer(E::BackgroundChangeInProgress),
            conflict(
                "A background change is already in progress for this pose",
                None
            )
        );
        assert_eq!(
            answer(E::DuplicateRequest {
                status: "pending".into(),
                pose_name: "Jumping".into(),
            }),
            conflict("You already have a pending request for \"Jumping\"", None)
        );
        assert_eq!(
            answer(E::ResultsNotReady {
                status: "pending".into()
            }),
            conflict(
                "Generation is not completed yet. Please check status first.",
                Some(json!({ "status": "pending" }))
            )
        );
        assert_eq!(
            answer(E::VotingClosed {
                status: "rejected".into()
            }),
            conflict(
                "Voting is closed for this request",
                Some(json!({ "status": "rejected" }))
            )
        );
        assert_eq!(
            answer(E::ProjectHasActiveGenerations {
                active_generations: 2
            }),
            conflict(
                "Cannot delete project with active generations. Please wait for them to complete or cancel them first.",
                Some(json!({ "activeGenerations": 2 }))
            )
        );
        assert_eq!(
            answer(E::TransitionNotAllowed {
                action: "mark in progress",
                status: "pending".into(),
                allowed_from: &[PoseRequestStatus::Approved],
            }),
            conflict(
                "Cannot mark in progress a request with status pending",
                Some(json!({ "status": "pending", "allowedFrom": ["approved"] }))
            )
        );
    }

    #[test]
    fn internal_causes_never_leak() {
        assert_eq!(
            answer(E::internal("bad export key")),
            (
                ErrorCode::InternalError,
                super::super::INTERNAL_MESSAGE.into(),
                None
            )
        );
    }
}
