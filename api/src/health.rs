//! Liveness and readiness (api.md §3.1, §3.2).

use std::time::{Duration, Instant};

use poem::web::Data;
use poem_openapi::{Enum, Object, OpenApi, payload::Json, types::ToJSON};

use crate::{
    app::AppState,
    error::{ApiError, ErrorDetails, Errors},
    openapi::ApiTags,
    schema_gate::SchemaReport,
    timestamp::Timestamp,
};

/// The database must answer a trivial query within this time to count as up.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

pub struct HealthApi;

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Liveness
    ///
    /// Answers whenever the process can serve HTTP; touches neither the database nor
    /// the disk.
    #[oai(path = "/health", method = "get", operation_id = "healthLiveness")]
    async fn liveness(&self, state: Data<&AppState>) -> Json<Liveness> {
        Json(Liveness::now(&state.config.service_name))
    }

    /// Liveness (under /api)
    ///
    /// Same as `GET /health`.
    #[oai(
        path = "/api/health",
        method = "get",
        operation_id = "apiHealthLiveness"
    )]
    async fn api_liveness(&self, state: Data<&AppState>) -> Json<Liveness> {
        Json(Liveness::now(&state.config.service_name))
    }

    /// Readiness
    ///
    /// Ready when the database answers within 2 seconds and its schema matches this
    /// build (checked at most every 30 seconds). Otherwise 503 with `SCHEMA_NOT_READY`
    /// (details list what is missing) or `SERVICE_UNAVAILABLE`.
    #[oai(
        path = "/api/health/ready",
        method = "get",
        operation_id = "healthReady"
    )]
    async fn ready(&self, state: Data<&AppState>) -> Result<Json<Readiness>, Errors<503>> {
        let started = Instant::now();
        match tokio::time::timeout(PING_TIMEOUT, state.db.ping()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "readiness: database ping failed");
                return Err(database_unreachable().into());
            }
            Err(_) => {
                tracing::warn!("readiness: database ping timed out");
                return Err(database_unreachable().into());
            }
        }
        let database = DatabaseCheck {
            status: DatabaseStatus::Up,
            latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        };

        let report = state.schema.report().await.map_err(|err| {
            tracing::warn!(error = %err, "readiness: schema check failed");
            database_unreachable()
        })?;
        let checks = ReadinessChecks {
            database,
            schema: SchemaCheck::from(report),
        };
        if checks.schema.status == SchemaStatus::Ok {
            return Ok(Json(Readiness {
                status: ReadinessStatus::Ready,
                checks,
                timestamp: Timestamp::now(),
            }));
        }
        let mut details = ErrorDetails::new();
        details.insert("status".into(), "not_ready".into());
        details.insert("checks".into(), checks.to_json().unwrap_or_default());
        Err(ApiError::SchemaNotReady {
            message: "Database schema does not match this build".into(),
            details: Some(details),
        }
        .into())
    }
}

fn database_unreachable() -> ApiError {
    ApiError::ServiceUnavailable("Database unavailable".into())
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum LivenessStatus {
    Ok,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct Liveness {
    pub status: LivenessStatus,
    /// `SERVICE_NAME`
    pub service: String,
    /// The version of this build.
    pub version: String,
    pub timestamp: Timestamp,
}

impl Liveness {
    fn now(service: &str) -> Self {
        Self {
            status: LivenessStatus::Ok,
            service: service.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            timestamp: Timestamp::now(),
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum ReadinessStatus {
    Ready,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct Readiness {
    pub status: ReadinessStatus,
    pub checks: ReadinessChecks,
    pub timestamp: Timestamp,
}

/// Also the `details.checks` of a `SCHEMA_NOT_READY` error from readiness.
#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct ReadinessChecks {
    pub database: DatabaseCheck,
    pub schema: SchemaCheck,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum DatabaseStatus {
    Up,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct DatabaseCheck {
    pub status: DatabaseStatus,
    /// Time taken by the trivial query.
    pub latency_ms: i64,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum SchemaStatus {
    Ok,
    Mismatch,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct SchemaCheck {
    pub status: SchemaStatus,
    /// Migrations known to this build that the database has not applied.
    pub pending_migrations: Vec<String>,
    pub missing_tables: Vec<String>,
    /// As `table.column`.
    pub missing_columns: Vec<String>,
}

impl From<SchemaReport> for SchemaCheck {
    fn from(report: SchemaReport) -> Self {
        Self {
            status: if report.is_ready() {
                SchemaStatus::Ok
            } else {
                SchemaStatus::Mismatch
            },
            pending_migrations: report.pending_migrations,
            missing_tables: report.missing_tables,
            missing_columns: report.missing_columns,
        }
    }
}
