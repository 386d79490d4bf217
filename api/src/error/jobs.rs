//! The job queue's errors (`jobs::JobError`) as the client sees them.

use super::ApiError;

impl From<crate::jobs::JobError> for ApiError {
    fn from(err: crate::jobs::JobError) -> Self {
        use crate::jobs::JobError as E;
        match err {
            E::Database(err) => err.into(),
            E::Ledger(err) => err.into(),
            E::Internal(_) => Self::internal(err),
        }
    }
}
