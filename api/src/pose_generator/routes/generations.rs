//! Generation operations (api.md §7.9–§7.12).

use crate::vocabulary::PoseGenerationStatus;
use crate::{
    http::presence::Required,
    vocabulary::{BackgroundMode, GenerationType, Word},
};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use crate::pose_generator::generate::{self, GenerateInput, SECONDS_PER_POSE};
use crate::pose_generator::generations::{self, Progress, ResultsSummary};
use crate::pose_generator::projects;
use crate::pose_generator::views::{GeneratedPose, PoseGeneration, PoseGeneratorProject};
use crate::{
    app::AppState,
    auth::BearerAuth,
    error::Errors,
    openapi::ApiTags,
    pagination::{PageRequest, Pagination},
};
use crate::{http::json_body::JsonBody, http::text::Text};

pub struct GenerationsApi;

/// `POST /generate` body.
#[derive(Object, Debug, Default)]
#[oai(rename_all = "camelCase", example)]
pub struct PoseGenerateRequest {
    /// One of the caller's projects.
    pub project_id: Required<Text>,
    /// Poses from the library, or one described in text.
    pub generation_type: Required<Word<GenerationType>>,
    /// Gallery: 1..200 distinct public library pose ids.
    #[oai(nullable)]
    pub selected_pose_ids: Option<Vec<Text>>,
    /// Gallery: variations per pose, 1..10, default 4.
    #[oai(nullable)]
    pub batch_size: Option<i64>,
    /// Text: 3..500 characters describing a pose. Gallery: an optional prefix, ≤ 500.
    #[oai(nullable)]
    pub text_prompt: Option<Text>,
    /// Text: images to make, 1..20, default 4.
    #[oai(nullable)]
    pub variation_count: Option<i64>,
    /// One of the caller's Avatar Creator avatars; default: the project's.
    #[oai(nullable)]
    pub avatar_id: Option<Text>,
    /// Default false; +10 credits per pose.
    #[oai(nullable)]
    pub use_background_changer: Option<bool>,
    /// Required with `useBackgroundChanger`.
    #[oai(skip_serializing_if_is_none)]
    pub background_mode: Option<Word<BackgroundMode>>,
    /// `ai_generate`: 1..300 characters.
    #[oai(nullable)]
    pub background_prompt: Option<Text>,
    /// `solid_color`: `#RRGGBB`.
    #[oai(nullable)]
    pub background_color: Option<Text>,
    /// `upload`: an absolute http(s) URL or an `/uploads/…` path.
    #[oai(nullable)]
    pub background_image_url: Option<Text>,
    /// ≤ 10 export format keys (aliases accepted).
    #[oai(nullable)]
    pub export_formats: Option<Vec<Text>>,
    /// Older name of `exportFormats`; the union of both is used.
    #[oai(nullable)]
    pub output_formats: Option<Vec<Text>>,
}

impl poem_openapi::types::Example for PoseGenerateRequest {
    fn example() -> Self {
        Self {
            project_id: Required(Some("cm3kc0prj0001qz8h9a8b7c6d".into())),
            generation_type: Required(Some("GALLERY_REFERENCE".into())),
            selected_pose_ids: Some(vec!["cm3k8l0000011qz8hpose0001".into()]),
            batch_size: Some(2),
            export_formats: Some(vec!["instagram_story".into(), "tiktok".into()]),
            ..Default::default()
        }
    }
}

/// The 202 answer.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseGenerationAccepted {
    pub generation_id: String,
    pub status: Word<PoseGenerationStatus>,
    pub total_poses_expected: i32,
    pub credit_charged: i32,
    /// `poses × 30` seconds.
    pub estimated_completion_time: i64,
    pub message: String,
}

#[derive(ApiResponse)]
pub enum PoseGenerateResponse {
    /// Queued; poll `GET /generations/:generationId` or follow its events.
    #[oai(status = 202)]
    Accepted(Json<PoseGenerationAccepted>),
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseGenerationList {
    pub generations: Vec<PoseGeneration>,
    pub pagination: Pagination,
}

/// A generation with all its poses and its project.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseGenerationDetail {
    #[oai(flatten)]
    pub generation: PoseGeneration,
    pub poses: Vec<GeneratedPose>,
    pub project: PoseGeneratorProject,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseGenerationEnvelope {
    pub generation: PoseGenerationDetail,
    pub progress: Progress,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseGenerationResults {
    pub results: Vec<GeneratedPose>,
    pub generation: ResultsSummary,
}

#[OpenApi(
    prefix_path = "/api/apps/pose-generator",
    tag = "ApiTags::PoseGenerator"
)]
impl GenerationsApi {
    /// Start a pose generation
    ///
    /// Charges `poses × 30` credits (+10 per pose with the background changer), or the
    /// daily quota of the unlimited tier, and queues the work in one transaction.
    #[oai(
        path = "/generate",
        method = "post",
        operation_id = "poseGeneratorGenerate"
    )]
    async fn generate(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        body: JsonBody<PoseGenerateRequest>,
    ) -> Result<PoseGenerateResponse, Errors<400, 401, 402, 403, 404, 415, 429>> {
        let body = body.0;
        let selected_pose_ids = body.selected_pose_ids.map(Text::into_strings);
        let export_formats = body.export_formats.map(Text::into_strings);
        let output_formats = body.output_formats.map(Text::into_strings);
        let accepted = generate::start(
            &state.db,
            &state.config.costs,
            &auth.0.id,
            GenerateInput {
                project_id: body.project_id.as_deref(),
                generation_type: body.generation_type.as_deref(),
                selected_pose_ids: selected_pose_ids.as_deref(),
                batch_size: body.batch_size,
                text_prompt: body.text_prompt.as_deref(),
                variation_count: body.variation_count,
                avatar_id: body.avatar_id.as_deref(),
                use_background_changer: body.use_background_changer,
                background_mode: body.background_mode.as_deref(),
                background_prompt: body.background_prompt.as_deref(),
                background_color: body.background_color.as_deref(),
                background_image_url: body.background_image_url.as_deref(),
                export_formats: export_formats.as_deref(),
                output_formats: output_formats.as_deref(),
            },
        )
        .await?;
        state.job_signal.notify_waiters();
        Ok(PoseGenerateResponse::Accepted(Json(
            PoseGenerationAccepted {
                generation_id: accepted.generation_id,
                status: PoseGenerationStatus::Pending.into(),
                total_poses_expected: accepted.total_poses,
                credit_charged: accepted.credit_charged,
                estimated_completion_time: i64::from(accepted.total_poses) * SECONDS_PER_POSE,
                message: "Generation queued successfully. Processing will begin shortly.".into(),
            },
        )))
    }

    /// List generations
    ///
    /// The caller's generations (without poses), newest first.
    #[oai(
        path = "/generations",
        method = "get",
        operation_id = "poseGeneratorListGenerations"
    )]
    async fn list_generations(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        /// Only this project's (an unknown or foreign project gives an empty list).
        #[oai(name = "projectId")]
        project_id: Query<Option<String>>,
        /// Only generations in this status.
        status: Query<Option<Word<PoseGenerationStatus>>>,
        /// ≥ 1, default 1.
        page: Query<Option<i64>>,
        /// 1..100, default 20.
        limit: Query<Option<i64>>,
    ) -> Result<Json<PoseGenerationList>, Errors<400, 401>> {
        let page = PageRequest::new(page.0, limit.0, 20)?;
        let (generations, pagination) = generations::list(
            &state.db,
            &auth.0.id,
            project_id.as_deref(),
            status.as_deref(),
            page,
        )
        .await?;
        Ok(Json(PoseGenerationList {
            generations,
            pagination,
        }))
    }

    /// Get a generation
    ///
    /// The generation with all its poses (oldest first), its project and progress.
    #[oai(
        path = "/generations/:generationId",
        method = "get",
        operation_id = "poseGeneratorGetGeneration"
    )]
    async fn get_generation(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "generationId")] generation_id: Path<String>,
    ) -> Result<Json<PoseGenerationEnvelope>, Errors<401, 404>> {
        let generation = generations::find_owned(&state.db, &auth.0.id, &generation_id).await?;
        let poses = generations::poses(&state.db, &generation.id).await?;
        let project = projects::find_owned(&state.db, &auth.0.id, &generation.project_id).await?;
        let project = projects::view(&state.db, project).await?;
        let progress = Progress::of(&generation);
        Ok(Json(PoseGenerationEnvelope {
            generation: PoseGenerationDetail {
                generation: generation.into(),
                poses: poses.into_iter().map(Into::into).collect(),
                project,
            },
            progress,
        }))
    }

    /// Get generation results
    ///
    /// Every pose of a `completed` or `partial` generation; 409 before that.
    #[oai(
        path = "/generations/:generationId/results",
        method = "get",
        operation_id = "poseGeneratorGetResults"
    )]
    async fn get_results(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "generationId")] generation_id: Path<String>,
    ) -> Result<Json<PoseGenerationResults>, Errors<401, 404, 409>> {
        let (results, generation) =
            generations::results(&state.db, &auth.0.id, &generation_id).await?;
        Ok(Json(PoseGenerationResults {
            results,
            generation,
        }))
    }
}
