//! The credit ledger's errors (`credits::ledger::LedgerError`) as the client sees them.

use super::ApiError;

impl From<crate::credits::ledger::LedgerError> for ApiError {
    fn from(err: crate::credits::ledger::LedgerError) -> Self {
        use crate::credits::ledger::LedgerError as E;
        match err {
            E::InsufficientCredits {
                required,
                available,
            } => Self::InsufficientCredits {
                required,
                available,
            },
            E::Database(err) => err.into(),
            E::UnknownUser(_) | E::Overflow(_) => Self::internal(err),
        }
    }
}
