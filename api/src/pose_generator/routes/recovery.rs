//! Job recovery for admins (api.md §7.24, §7.25).

use poem::web::Data;
use poem_openapi::{Object, OpenApi, payload::Json};

use crate::pose_generator::recovery::{self, PoseRecoveryStatus};
use crate::{
    app::AppState,
    auth::AdminAuth,
    error::{ApiError, Errors},
    jobs::worker,
    openapi::ApiTags,
};

pub struct RecoveryApi;

/// `POST /recovery/trigger`.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseRecoveryTriggered {
    pub success: bool,
    /// Jobs put back in the queue (expired leases with attempts left).
    pub recovered: i64,
    /// Work finalised as failed and refunded (attempts exhausted or past the time
    /// limit).
    pub failed: i64,
}

#[OpenApi(
    prefix_path = "/api/apps/pose-generator",
    tag = "ApiTags::PoseGeneratorAdmin"
)]
impl RecoveryApi {
    /// Recovery status (admin)
    ///
    /// Generations waiting, running and stalled (running under an expired lease), pose
    /// generation jobs by state, and when this instance last ran the recovery sweep.
    #[oai(
        path = "/recovery/status",
        method = "get",
        operation_id = "poseAdminRecoveryStatus"
    )]
    async fn status(
        &self,
        _admin: AdminAuth,
        state: Data<&AppState>,
    ) -> Result<Json<PoseRecoveryStatus>, Errors<401, 403>> {
        let status = recovery::status(&state.db, state.last_recovery.load())
            .await
            .map_err(ApiError::from)?;
        Ok(Json(status))
    }

    /// Run the recovery sweep (admin)
    ///
    /// Runs the sweep of every job kind now and waits for it: expired leases go back to
    /// the queue or, after their last attempt, are failed and refunded; generations
    /// past the time limit are failed and refunded.
    #[oai(
        path = "/recovery/trigger",
        method = "post",
        operation_id = "poseAdminRecoveryTrigger"
    )]
    async fn trigger(
        &self,
        _admin: AdminAuth,
        state: Data<&AppState>,
    ) -> Result<Json<PoseRecoveryTriggered>, Errors<401, 403>> {
        let done = worker::recover_report(&state)
            .await
            .map_err(ApiError::from)?;
        let int = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        Ok(Json(PoseRecoveryTriggered {
            success: true,
            recovered: int(done.recovered),
            failed: int(done.failed),
        }))
    }
}
