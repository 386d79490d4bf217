//! Accounts and sessions (`auth::service::AuthError`) as the client sees them.

use super::ApiError;

/// Internal causes keep their text for the log only.
impl From<crate::auth::service::AuthError> for ApiError {
    fn from(err: crate::auth::service::AuthError) -> Self {
        use crate::auth::service::AuthError as E;
        match err {
            E::EmailAlreadyRegistered | E::EmailInUse => Self::Conflict {
                message: err.to_string(),
                details: None,
            },
            E::InvalidCredentials
            | E::TokenExpired
            | E::InvalidToken
            | E::UserNotFound
            | E::SessionEnded => Self::Unauthorized(err.to_string()),
            E::CurrentPasswordIncorrect | E::CurrentPasswordRequired => {
                Self::invalid_field("currentPassword", err.to_string())
            }
            E::Ledger(err) => err.into(),
            E::Database(err) => err.into(),
            E::Hash(_) | E::TokenSigning(_) => Self::internal(err),
        }
    }
}
