//! Operations on one generated pose (api.md §7.15) and the app's figures (§7.17).

use crate::{
    http::presence::Required,
    vocabulary::{BackgroundChangeStatus, BackgroundMode, Word},
};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};

use crate::pose_generator::background;
use crate::pose_generator::stats::{self, PoseStats};
use crate::{
    app::AppState,
    auth::BearerAuth,
    error::{ApiError, Errors},
    openapi::ApiTags,
};
use crate::{http::json_body::JsonBody, http::text::Text};

pub struct PosesApi;

/// `POST /poses/:poseId/background` body.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase", example)]
pub struct ChangeBackgroundRequest {
    /// How to make the new background.
    pub background_mode: Required<Word<BackgroundMode>>,
    /// `ai_generate`: 1..300 characters.
    #[oai(nullable)]
    pub background_prompt: Option<Text>,
    /// `solid_color`: `#RRGGBB`.
    #[oai(nullable)]
    pub background_color: Option<Text>,
    /// `upload`: an absolute http(s) URL or an `/uploads/…` path (never fetched).
    #[oai(nullable)]
    pub background_image_url: Option<Text>,
}

impl poem_openapi::types::Example for ChangeBackgroundRequest {
    fn example() -> Self {
        Self {
            background_mode: Required(Some("solid_color".into())),
            background_prompt: None,
            background_color: Some("#F5F5DC".into()),
            background_image_url: None,
        }
    }
}

/// The 202 answer.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct BackgroundQueued {
    pub pose_id: String,
    pub job_id: String,
    /// The current image; a new one replaces it when the job succeeds.
    pub output_image_url: String,
    pub credit_charged: i32,
    pub credit_balance: i32,
    pub status: Word<BackgroundChangeStatus>,
    pub message: String,
}

#[derive(ApiResponse)]
pub enum ChangeBackgroundResponse {
    /// Queued; poll the generation until the pose gets a new `outputImageUrl` with
    /// `backgroundChanged: true`, or its `errorMessage` (then the credits were refunded).
    #[oai(status = 202)]
    Accepted(Json<BackgroundQueued>),
}

#[OpenApi(
    prefix_path = "/api/apps/pose-generator",
    tag = "ApiTags::PoseGenerator"
)]
impl PosesApi {
    /// Change a pose's background
    ///
    /// Charges 10 credits and queues the change; one change per pose at a time.
    #[oai(
        path = "/poses/:poseId/background",
        method = "post",
        operation_id = "poseGeneratorChangeBackground"
    )]
    async fn change_background(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "poseId")] pose_id: Path<String>,
        body: JsonBody<ChangeBackgroundRequest>,
    ) -> Result<ChangeBackgroundResponse, Errors<400, 401, 402, 404, 409, 415, 429>> {
        let queued = background::request(
            &state.db,
            &state.config.costs,
            &auth.0.id,
            &pose_id,
            body.background_mode.as_deref(),
            body.background_prompt.as_deref(),
            body.background_color.as_deref(),
            body.background_image_url.as_deref(),
        )
        .await?;
        state.job_signal.notify_waiters();
        Ok(ChangeBackgroundResponse::Accepted(Json(BackgroundQueued {
            pose_id: queued.pose_id,
            job_id: queued.job_id,
            output_image_url: queued.output_image_url,
            credit_charged: queued.credit_charged,
            credit_balance: queued.credit_balance,
            status: BackgroundChangeStatus::Queued.into(),
            message: "Background change queued".into(),
        })))
    }

    /// Pose Generator figures
    ///
    /// The caller's completed poses, active projects, recent generations, net credits
    /// spent and most used library poses.
    #[oai(
        path = "/stats",
        method = "get",
        operation_id = "poseGeneratorGetStats"
    )]
    async fn get_stats(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
    ) -> Result<Json<PoseStats>, Errors<401>> {
        Ok(Json(
            stats::stats(&state.db, &state.config.costs, &auth.0.id)
                .await
                .map_err(ApiError::from)?,
        ))
    }
}
