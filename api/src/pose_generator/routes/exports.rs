//! Export operations (api.md §7.14, §7.16).

use crate::http::presence::Required;
use poem::{Body, web::Data};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
};

use crate::pose_generator::exports::{self, ensure_renditions, find_owned_pose};
use crate::pose_generator::formats;
use crate::vocabulary::GeneratedPoseStatus;
use crate::{
    app::AppState,
    auth::BearerAuth,
    error::{ApiError, Errors},
    openapi::ApiTags,
};
use crate::{http::json_body::JsonBody, http::text::Text};

pub struct ExportsApi;

#[derive(ApiResponse)]
pub enum ZipResponse {
    /// The ZIP, streamed: one folder per format, `<format>/<NN>_<variationKey>.<ext>`.
    #[oai(status = 200, content_type = "application/zip")]
    Zip(
        Binary<Body>,
        /// `attachment; filename="poses-<generationId>.zip"`
        #[oai(header = "Content-Disposition")]
        String,
    ),
}

/// `POST /poses/:poseId/regenerate-export` body.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct RegenerateExportRequest {
    /// One format key (§8.11) or alias.
    pub format: Required<Text>,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct RegeneratedExport {
    pub success: bool,
    pub export_url: String,
    /// The canonical format key.
    pub format: String,
}

#[OpenApi(
    prefix_path = "/api/apps/pose-generator",
    tag = "ApiTags::PoseGenerator"
)]
impl ExportsApi {
    /// Download a generation as a ZIP
    ///
    /// Every completed pose in each requested format; missing renditions are rendered
    /// and kept. Each included pose's `downloadCount` goes up by one. A user may
    /// download `MAX_EXPORTS_PER_USER` (2) ZIPs at once (429 beyond), the server
    /// `MAX_EXPORTS` (503 beyond).
    #[oai(
        path = "/generations/:generationId/export-zip",
        method = "get",
        operation_id = "poseGeneratorExportZip"
    )]
    async fn export_zip(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "generationId")] generation_id: Path<String>,
        /// Comma-separated format keys (aliases accepted). Default: the generation's
        /// export formats, else those already rendered, else instagram_feed,
        /// instagram_story, tiktok, shopee_product.
        formats: Query<Option<String>>,
    ) -> Result<ZipResponse, Errors<400, 401, 404, 409, 429, 503>> {
        let slot = state.exports.acquire_or_refuse(&auth.0.id)?;
        let entries = exports::prepare_zip(
            &state.db,
            &state.storage,
            &auth.0.id,
            &generation_id,
            formats.as_deref(),
        )
        .await?;
        let stream = exports::stream_zip(state.storage.clone(), entries, slot);
        Ok(ZipResponse::Zip(
            Binary(Body::from_bytes_stream(stream)),
            format!("attachment; filename=\"poses-{}.zip\"", generation_id.0),
        ))
    }

    /// Render one export again
    ///
    /// Renders the format again from the pose's current image under a new name and
    /// records its URL; the other formats are kept.
    #[oai(
        path = "/poses/:poseId/regenerate-export",
        method = "post",
        operation_id = "poseGeneratorRegenerateExport"
    )]
    async fn regenerate_export(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "poseId")] pose_id: Path<String>,
        body: JsonBody<RegenerateExportRequest>,
    ) -> Result<Json<RegeneratedExport>, Errors<400, 401, 404, 409, 415, 429>> {
        let Some(key) = body
            .format
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        else {
            return Err(ApiError::invalid_field(
                "format",
                "format is required and must be a string",
            )
            .into());
        };
        let format = formats::lookup(key)
            .ok_or_else(|| ApiError::invalid_field("format", formats::unknown_message(key)))?;
        let pose = find_owned_pose(&state.db, &auth.0.id, &pose_id).await?;
        if pose.status != GeneratedPoseStatus::Completed.as_str() {
            return Err(ApiError::Conflict {
                message: "Only completed poses can be exported".into(),
                details: None,
            }
            .into());
        }
        let exports =
            ensure_renditions(&state.db, &state.storage, &pose, &[format.key], true).await?;
        let export_url = exports
            .get(format.key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        Ok(Json(RegeneratedExport {
            success: true,
            export_url,
            format: format.key.to_owned(),
        }))
    }
}
