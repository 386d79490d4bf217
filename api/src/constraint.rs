//! Database constraint violations turned into the caller's own errors, in one place
//! (realworld's `on_constraint`). A unique index or a foreign key is often the only
//! race-free check ("this email is free", "one open job per pose", "one vote per user"):
//! the write is tried and the violation, whatever the backend's wording, becomes a 409 or
//! a 404 of the feature, while every other database error stays what it was.

use migration::sea_orm::{DbErr, SqlErr};

/// The kind of constraint a failed write violated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    Unique,
    ForeignKey,
}

impl Violation {
    /// The constraint `err` violated, if it is a constraint violation we map.
    pub fn of(err: &DbErr) -> Option<Self> {
        match err.sql_err()? {
            SqlErr::UniqueConstraintViolation(_) => Some(Self::Unique),
            SqlErr::ForeignKeyConstraintViolation(_) => Some(Self::ForeignKey),
            _ => None,
        }
    }
}

/// `result.on_constraint(|violation| …)`: the closure names the error a violation
/// means (or `None` to keep it a database error); other errors convert with `From`.
pub trait OnConstraint<T> {
    fn on_constraint<E: From<DbErr>>(
        self,
        map: impl FnOnce(Violation) -> Option<E>,
    ) -> Result<T, E>;
}

impl<T> OnConstraint<T> for Result<T, DbErr> {
    fn on_constraint<E: From<DbErr>>(
        self,
        map: impl FnOnce(Violation) -> Option<E>,
    ) -> Result<T, E> {
        self.map_err(|err| match Violation::of(&err).and_then(map) {
            Some(mapped) => mapped,
            None => E::from(err),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The violations themselves come from the drivers: the integration tests race real
    // writes on SQLite and PostgreSQL (concurrent registrations, double votes, a second
    // background change) and see the 409s this maps them to.
    #[test]
    fn other_errors_keep_their_kind() {
        let err: Result<(), DbErr> = Err(DbErr::RecordNotFound("x".into()));
        let mapped: Result<(), DbErr> = err.on_constraint(|_| Some(DbErr::Custom("mapped".into())));
        assert!(matches!(mapped, Err(DbErr::RecordNotFound(_))));
    }
}
