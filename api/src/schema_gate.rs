//! Is the database schema the one this build needs? (api.md §3.2, §3.4)
//!
//! Ready means no migration known to this build is pending and the drift check
//! (`migration::check`) finds nothing blocking: every table and column the service's
//! queries name exists with a compatible type and nullability. A database that has
//! migrations this build does not know ("ahead", during a rolling deploy) is ready
//! as long as nothing blocks this build.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use migration::check;
use migration::sea_orm::{ConnAcquireErr, DatabaseConnection, DbErr};
use poem::{Endpoint, Middleware, Request, Result};
use tokio::sync::Mutex;

use crate::error::ApiError;

/// How long a schema report is reused (§3.2: at most 30 seconds).
const CACHE_FOR: Duration = Duration::from_secs(30);
/// Readiness must answer within its 2-second database budget even if the check hangs.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// What the database lacks for this build. Empty lists mean ready.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaReport {
    pub pending_migrations: Vec<String>,
    pub missing_tables: Vec<String>,
    pub missing_columns: Vec<String>,
    /// Other blocking findings (an incompatible type or nullability, a column our
    /// inserts cannot fill), one line each.
    pub other_blocking: Vec<String>,
}

impl SchemaReport {
    pub async fn inspect(db: &DatabaseConnection) -> Result<Self, DbErr> {
        Ok(Self::from(&check::check(db).await?))
    }

    pub fn is_ready(&self) -> bool {
        self.pending_migrations.is_empty()
            && self.missing_tables.is_empty()
            && self.missing_columns.is_empty()
            && self.other_blocking.is_empty()
    }

    /// One line naming everything that is missing, for the start-up error.
    pub fn describe(&self) -> String {
        [
            ("pending migrations", &self.pending_migrations),
            ("missing tables", &self.missing_tables),
            ("missing columns", &self.missing_columns),
            ("incompatible", &self.other_blocking),
        ]
        .into_iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(what, names)| format!("{what}: {}", names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
    }
}

impl From<&check::Report> for SchemaReport {
    fn from(report: &check::Report) -> Self {
        let blocking = |kind: check::Kind| -> Vec<String> {
            report
                .blocking()
                .filter(|f| f.kind == kind)
                .map(|f| f.object.clone())
                .collect()
        };
        Self {
            pending_migrations: report.pending().into_iter().map(str::to_owned).collect(),
            missing_tables: blocking(check::Kind::MissingTable),
            missing_columns: blocking(check::Kind::MissingColumn),
            other_blocking: report
                .blocking()
                .filter(|f| {
                    !matches!(
                        f.kind,
                        check::Kind::MissingTable | check::Kind::MissingColumn
                    )
                })
                .map(ToString::to_string)
                .collect(),
        }
    }
}

/// The schema report, refreshed at most every 30 seconds and shared by the readiness
/// endpoint and the degraded-mode gate.
pub struct SchemaMonitor {
    db: DatabaseConnection,
    // An async mutex held across the refresh, so concurrent requests share one query
    // instead of each running their own.
    cached: Mutex<Option<(Instant, SchemaReport)>>,
}

impl SchemaMonitor {
    /// `initial` is the report computed at start-up, reused until it expires.
    pub fn new(db: DatabaseConnection, initial: Option<SchemaReport>) -> Self {
        Self {
            db,
            cached: Mutex::new(initial.map(|report| (Instant::now(), report))),
        }
    }

    /// The cached report, or a fresh one when it is older than 30 seconds. Failures are
    /// not cached, so the next request tries again.
    pub async fn report(&self) -> Result<SchemaReport, DbErr> {
        let mut cached = self.cached.lock().await;
        if let Some((at, report)) = cached.as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return Ok(report.clone());
        }
        let report = tokio::time::timeout(CHECK_TIMEOUT, SchemaReport::inspect(&self.db))
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))??;
        *cached = Some((Instant::now(), report.clone()));
        Ok(report)
    }
}

/// Paths that keep working in degraded mode: health, and the documentation, which
/// touches no database.
fn is_exempt(path: &str) -> bool {
    matches!(
        path,
        "/health" | "/api/health" | "/openapi.json" | "/openapi.yaml" | "/docs"
    ) || path.starts_with("/api/health/")
        || path.starts_with("/docs/")
}

/// `SCHEMA_GATE=degraded`: every non-exempt route answers 503 `SCHEMA_NOT_READY` while
/// the schema is not ready. It lets requests through again once the schema is fixed
/// (within the cache period), without a restart.
pub struct DegradedGate(pub Arc<SchemaMonitor>);

impl<E: Endpoint> Middleware<E> for DegradedGate {
    type Output = DegradedGateEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        DegradedGateEndpoint {
            inner: ep,
            monitor: self.0.clone(),
        }
    }
}

pub struct DegradedGateEndpoint<E> {
    inner: E,
    monitor: Arc<SchemaMonitor>,
}

impl<E: Endpoint> Endpoint for DegradedGateEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        // If the check itself fails the database is unreachable; the route will report
        // that better than a guess here.
        if !is_exempt(req.uri().path())
            && let Ok(report) = self.monitor.report().await
            && !report.is_ready()
        {
            return Err(ApiError::SchemaNotReady {
                message: "Database schema does not match this build".into(),
                details: None,
            }
            .into());
        }
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_names_everything_missing() {
        let report = SchemaReport {
            pending_migrations: vec!["m1".into(), "m2".into()],
            missing_tables: vec![],
            missing_columns: vec!["avatars.personaName".into()],
            other_blocking: vec![],
        };
        assert!(!report.is_ready());
        assert_eq!(
            report.describe(),
            "pending migrations: m1, m2; missing columns: avatars.personaName"
        );
        assert!(SchemaReport::default().is_ready());
    }

    #[test]
    fn health_and_docs_stay_open_in_degraded_mode() {
        for path in [
            "/health",
            "/api/health",
            "/api/health/ready",
            "/api/health/schema",
            "/docs",
            "/openapi.json",
        ] {
            assert!(is_exempt(path), "{path}");
        }
        for path in [
            "/api/credits",
            "/api/apps/avatar-creator/projects",
            "/healthz",
            "/api/healthy",
        ] {
            assert!(!is_exempt(path), "{path}");
        }
    }
}
