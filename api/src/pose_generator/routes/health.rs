//! The Pose Generator's public health check (api.md §7.26).

use poem::web::Data;
use poem_openapi::{OpenApi, payload::Json, types::ToJSON};

use crate::pose_generator::health::{self, PoseHealth, PoseHealthStatus};
use crate::{
    app::AppState,
    error::{ApiError, ErrorDetails, Errors},
    openapi::ApiTags,
};

pub struct HealthApi;

#[OpenApi(
    prefix_path = "/api/apps/pose-generator",
    tag = "ApiTags::PoseGenerator"
)]
impl HealthApi {
    /// Pose Generator health
    ///
    /// Database (`SELECT 1`), job queue, image provider and storage writability. 200
    /// when `healthy` or `degraded` (over 100 failed jobs in 24 hours, or due jobs
    /// waiting while no worker was active for 2 minutes); 503 `SERVICE_UNAVAILABLE`
    /// with the same report in `error.details` when a check fails.
    #[oai(path = "/health", method = "get", operation_id = "poseGeneratorHealth")]
    async fn health(&self, state: Data<&AppState>) -> Result<Json<PoseHealth>, Errors<503>> {
        let report = health::check(&state).await;
        if report.status != PoseHealthStatus::Unhealthy {
            return Ok(Json(report));
        }
        let details: ErrorDetails = match report.to_json() {
            Some(serde_json::Value::Object(fields)) => fields.into_iter().collect(),
            _ => ErrorDetails::new(),
        };
        Err(ApiError::Unhealthy {
            message: "Pose Generator is unhealthy".into(),
            details,
        }
        .into())
    }
}
