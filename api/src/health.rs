//! Liveness, readiness and the schema report (api.md §3.1–§3.3).

use crate::http::presence::Nullable;
use crate::vocabulary::{DatabaseBackend, MigrationOrigin, Word};
use std::time::{Duration, Instant};

use migration::check;
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
/// The schema report reads the whole catalog; give it more time than a ping.
const SCHEMA_CHECK_TIMEOUT: Duration = Duration::from_secs(10);

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

    /// Schema report
    ///
    /// For operators: this build's migrations against the database's ledger, and every
    /// drift finding (blocking, warning, info) of the live schema against the schema
    /// this build needs. 200 whenever the report can be produced, drift included; 503
    /// `SERVICE_UNAVAILABLE` when the database is unreachable. Public unless
    /// `HEALTH_SCHEMA_REQUIRE_ADMIN=true`; then it needs the bearer token of a user
    /// whose role is `admin` (401 without a valid token, 403 for any other role).
    #[oai(
        path = "/api/health/schema",
        method = "get",
        operation_id = "healthSchema"
    )]
    async fn schema(
        &self,
        state: Data<&AppState>,
        req: &poem::Request,
    ) -> Result<Json<SchemaReportBody>, Errors<401, 403, 429, 503>> {
        if state.config.health_schema_require_admin {
            crate::auth::admin_from_request(req).await?;
        }
        Ok(Json(Self::schema_report(&state).await?))
    }
}

impl HealthApi {
    /// The full report behind `GET /api/health/schema`, from a fresh drift check.
    async fn schema_report(state: &AppState) -> Result<SchemaReportBody, ApiError> {
        let report = tokio::time::timeout(SCHEMA_CHECK_TIMEOUT, check::check(&state.db))
            .await
            .map_err(|_| database_unreachable())?
            .map_err(|err| {
                tracing::warn!(error = %err, "schema report: check failed");
                database_unreachable()
            })?;
        Ok(SchemaReportBody::from(&report))
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

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum SchemaReportStatus {
    /// Blocking findings: this build's queries would fail.
    Drift,
    /// Migrations of this build are not applied.
    Pending,
    /// The database records migrations this build does not know, and nothing blocks it.
    Ahead,
    Ok,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct BuildInfo {
    pub version: String,
    /// The last migration this build knows.
    pub migration_head: String,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct DatabaseInfo {
    pub backend: Word<DatabaseBackend>,
    /// The last migration the database records; null when it records none.
    #[oai(nullable)]
    pub migration_head: Nullable<String>,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct AppliedMigration {
    pub name: String,
    pub applied_at: Timestamp,
    pub origin: Word<MigrationOrigin>,
    /// False when the migration's source changed after it was applied; null when no
    /// checksum was recorded.
    #[oai(nullable)]
    pub checksum_ok: Nullable<bool>,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct MigrationsInfo {
    pub applied: Vec<AppliedMigration>,
    /// Known to this build, not applied.
    pub pending: Vec<String>,
    /// Recorded by the database, unknown to this build.
    pub unknown: Vec<String>,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum FindingSeverity {
    Blocking,
    Warning,
    Info,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum FindingKind {
    MissingTable,
    MissingColumn,
    TypeMismatch,
    NullabilityMismatch,
    DefaultMismatch,
    MissingIndex,
    MissingUnique,
    MissingForeignKey,
    ExtraTable,
    ExtraColumn,
    ExtraIndex,
    ExtraForeignKey,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct DriftFinding {
    pub severity: FindingSeverity,
    pub kind: FindingKind,
    /// `table`, `table.column`, or an index or constraint name.
    pub object: String,
    #[oai(nullable)]
    pub expected: Nullable<String>,
    #[oai(nullable)]
    pub actual: Nullable<String>,
    /// The migration that creates the expected object; null for extra objects.
    #[oai(nullable)]
    pub migration: Nullable<String>,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct DriftInfo {
    pub findings: Vec<DriftFinding>,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct SchemaReportBody {
    pub status: SchemaReportStatus,
    pub build: BuildInfo,
    pub database: DatabaseInfo,
    pub migrations: MigrationsInfo,
    pub drift: DriftInfo,
    pub checked_at: Timestamp,
}

impl From<&check::Report> for SchemaReportBody {
    fn from(report: &check::Report) -> Self {
        let rows = &report.migrations;
        let names = |state: &str| -> Vec<String> {
            rows.iter()
                .filter(|r| r.state == state)
                .map(|r| r.version.clone())
                .collect()
        };
        let pending = names("pending");
        let unknown = names("missing_in_code");
        let applied: Vec<AppliedMigration> = rows
            .iter()
            .filter(|r| !matches!(r.state, "pending" | "missing_in_code"))
            .map(|r| AppliedMigration {
                name: r.version.clone(),
                applied_at: chrono::DateTime::from_timestamp(r.applied_at.unwrap_or_default(), 0)
                    .unwrap_or_default()
                    .into(),
                origin: match r.state {
                    "adopted" => MigrationOrigin::Adopted,
                    "unverified" => MigrationOrigin::Unverified,
                    _ => MigrationOrigin::Applied,
                }
                .into(),
                checksum_ok: match r.state {
                    "unverified" => None,
                    state => Some(state != "checksum_mismatch"),
                }
                .into(),
            })
            .collect();
        let status = if report.blocking().next().is_some() {
            SchemaReportStatus::Drift
        } else if !pending.is_empty() {
            SchemaReportStatus::Pending
        } else if !unknown.is_empty() {
            SchemaReportStatus::Ahead
        } else {
            SchemaReportStatus::Ok
        };
        let findings = report
            .findings
            .iter()
            .map(|f| DriftFinding {
                severity: match f.severity {
                    check::Severity::Blocking => FindingSeverity::Blocking,
                    check::Severity::Warning => FindingSeverity::Warning,
                    check::Severity::Info => FindingSeverity::Info,
                },
                kind: match f.kind {
                    check::Kind::MissingTable => FindingKind::MissingTable,
                    check::Kind::MissingColumn => FindingKind::MissingColumn,
                    check::Kind::TypeMismatch => FindingKind::TypeMismatch,
                    check::Kind::NullabilityMismatch => FindingKind::NullabilityMismatch,
                    check::Kind::DefaultMismatch => FindingKind::DefaultMismatch,
                    check::Kind::MissingIndex => FindingKind::MissingIndex,
                    check::Kind::MissingUnique => FindingKind::MissingUnique,
                    check::Kind::MissingForeignKey => FindingKind::MissingForeignKey,
                    check::Kind::ExtraTable => FindingKind::ExtraTable,
                    check::Kind::ExtraColumn => FindingKind::ExtraColumn,
                    check::Kind::ExtraIndex => FindingKind::ExtraIndex,
                    check::Kind::ExtraForeignKey => FindingKind::ExtraForeignKey,
                },
                object: f.object.clone(),
                expected: f.expected.clone().into(),
                actual: f.actual.clone().into(),
                migration: f.migration.map(str::to_owned).into(),
            })
            .collect();
        let database_head = rows
            .iter()
            .filter(|r| r.state != "pending")
            .map(|r| r.version.clone())
            .max();
        Self {
            status,
            build: BuildInfo {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                migration_head: rows
                    .iter()
                    .filter(|r| r.state != "missing_in_code")
                    .map(|r| r.version.clone())
                    .max()
                    .unwrap_or_default(),
            },
            database: DatabaseInfo {
                backend: Word::stored(report.backend),
                migration_head: database_head.into(),
            },
            migrations: MigrationsInfo {
                applied,
                pending,
                unknown,
            },
            drift: DriftInfo { findings },
            checked_at: Timestamp::now(),
        }
    }
}
