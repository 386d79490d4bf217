//! Values that must never reach a log: [`Secret`] and the [`DatabaseUrl`], whose
//! password is masked wherever it is printed.

use std::fmt;

const GENERATED_JWT_SECRET_CHARS: usize = 48;

/// A value that must never reach a log: `Debug` prints `[redacted]` and there is no
/// `Display`. Call [`Secret::expose`] where the real value is needed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `DATABASE_URL`. It may carry a password, so `Debug` and `Display` mask it; use
/// [`DatabaseUrl::expose`] only to connect.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }

    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }

    /// The URL with its passwords (`user:password@`, `?password=`) replaced.
    pub fn redacted(&self) -> String {
        migration::db_url::redacted(&self.0)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// 48 random hex characters from two v4 UUIDs (244 random bits in all).
pub(super) fn random_secret() -> String {
    let mut secret = String::with_capacity(64);
    for _ in 0..2 {
        secret.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    secret.truncate(GENERATED_JWT_SECRET_CHARS);
    secret
}
