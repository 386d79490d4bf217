//! Pose request administration (api.md §7.21–§7.23): list, statistics, popular,
//! detail, the state transitions of §8.10 and the admin notes. Every operation needs
//! an admin ([`AdminAuth`]).
//!
//! `stats` and `popular` are static segments: the router always prefers them to the
//! `:id` parameter, so they are never read as request ids.

use crate::http::presence::Required;
use crate::vocabulary::{PoseRequestStatus, Word};
use poem::{Request, RequestBody, web::Data};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions, Object, OpenApi,
    error::ContentTypeError,
    param::{Path, Query},
    payload::Json,
    registry::{MetaRequest, Registry},
    types::ParseFromJSON,
};

use crate::pose_generator::requests::{self, AdminFilter, Transition, TransitionInput};
use crate::pose_generator::views::{PoseRequestStats, PoseRequestWithUser};
use crate::{
    app::AppState,
    auth::AdminAuth,
    error::{ApiError, Errors},
    openapi::ApiTags,
    pagination::{PageRequest, Pagination},
};
use crate::{http::json_body::JsonBody, http::text::Text};

pub struct AdminApi;

/// Body of approve and mark-in-progress: every field is optional.
#[derive(Object, Debug, Default)]
#[oai(rename_all = "camelCase")]
pub struct PoseAdminNotesRequest {
    /// At most 1000 characters after trimming.
    #[oai(nullable)]
    pub admin_notes: Option<Text>,
}

/// Body of reject and of the notes update: the notes are required.
#[derive(Object, Debug, Default)]
#[oai(rename_all = "camelCase")]
pub struct PoseAdminRequiredNotesRequest {
    /// 1..1000 characters after trimming.
    pub admin_notes: Required<Text>,
}

/// Body of mark-completed.
#[derive(Object, Debug, Default)]
#[oai(rename_all = "camelCase")]
pub struct PoseAdminCompleteRequest {
    /// The library pose that fulfils the request.
    pub completed_pose_id: Required<Text>,
    /// At most 1000 characters; the current notes are kept when absent.
    #[oai(nullable)]
    pub admin_notes: Option<Text>,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseAdminRequestList {
    pub requests: Vec<PoseRequestWithUser>,
    pub pagination: Pagination,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseAdminRequestStats {
    pub stats: PoseRequestStats,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseAdminPopularRequests {
    pub requests: Vec<PoseRequestWithUser>,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseAdminRequestEnvelope {
    pub request: PoseRequestWithUser,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseAdminRequestChanged {
    pub request: PoseRequestWithUser,
    pub message: String,
}

/// A JSON body the client may leave out entirely: a request without `Content-Type`
/// and without a body reads as `{}`. Anything else is parsed exactly like
/// [`JsonBody<T>`].
pub struct OptionalJson<T>(pub T);

impl<'a, T: ParseFromJSON> ApiExtractor<'a> for OptionalJson<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <JsonBody<T> as ApiExtractor>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        <JsonBody<T> as ApiExtractor>::request_meta().map(|meta| MetaRequest {
            required: false,
            ..meta
        })
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        if req.content_type().is_none() {
            let bytes = body.take()?.into_bytes().await?;
            if !bytes.is_empty() {
                return Err(ContentTypeError::ExpectContentType.into());
            }
            let empty = serde_json::Value::Object(serde_json::Map::new());
            return T::parse_from_json(Some(empty))
                .map(Self)
                .map_err(|err| ApiError::invalid_field("body", err.into_message()).into());
        }
        let JsonBody(value) =
            <JsonBody<T> as ApiExtractor>::from_request(req, body, param_opts).await?;
        Ok(Self(value))
    }
}

#[OpenApi(
    prefix_path = "/api/apps/pose-generator",
    tag = "ApiTags::PoseGeneratorAdmin"
)]
impl AdminApi {
    /// List pose requests (admin)
    ///
    /// Every request matching the filters, newest first, with its requester.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/admin/pose-requests",
        method = "get",
        operation_id = "poseAdminListRequests"
    )]
    async fn list(
        &self,
        _admin: AdminAuth,
        state: Data<&AppState>,
        /// ≥ 1, default 1.
        page: Query<Option<i64>>,
        /// 1..100, default 20.
        limit: Query<Option<i64>>,
        /// Only requests in this status.
        status: Query<Option<Word<PoseRequestStatus>>>,
        /// Exact category id.
        #[oai(name = "categoryId")]
        category_id: Query<Option<String>>,
        /// Exact requester id.
        #[oai(name = "userId")]
        user_id: Query<Option<String>>,
    ) -> Result<Json<PoseAdminRequestList>, Errors<400, 401, 403>> {
        let page = PageRequest::new(page.0, limit.0, 20)?;
        let filter = AdminFilter {
            status: status.as_deref(),
            category_id: category_id.as_deref(),
            user_id: user_id.as_deref(),
        };
        let (requests, pagination) = requests::admin_list(&state.db, &filter, page).await?;
        Ok(Json(PoseAdminRequestList {
            requests,
            pagination,
        }))
    }

    /// Pose request statistics (admin)
    ///
    /// The number of requests in each status.
    #[oai(
        path = "/admin/pose-requests/stats",
        method = "get",
        operation_id = "poseAdminRequestStats"
    )]
    async fn stats(
        &self,
        _admin: AdminAuth,
        state: Data<&AppState>,
    ) -> Result<Json<PoseAdminRequestStats>, Errors<401, 403>> {
        Ok(Json(PoseAdminRequestStats {
            stats: requests::stats(&state.db).await?,
        }))
    }

    /// Popular pose requests (admin)
    ///
    /// Requests still open for voting (`pending`, `approved`), most voted first, then
    /// oldest first.
    #[oai(
        path = "/admin/pose-requests/popular",
        method = "get",
        operation_id = "poseAdminPopularRequests"
    )]
    async fn popular(
        &self,
        _admin: AdminAuth,
        state: Data<&AppState>,
        /// 1..100, default 20.
        limit: Query<Option<i64>>,
    ) -> Result<Json<PoseAdminPopularRequests>, Errors<400, 401, 403>> {
        Ok(Json(PoseAdminPopularRequests {
            requests: requests::popular(&state.db, limit.0).await?,
        }))
    }

    /// Get a pose request (admin)
    ///
    /// One request with its author, category and the pose that fulfilled it.
    #[oai(
        path = "/admin/pose-requests/:id",
        method = "get",
        operation_id = "poseAdminGetRequest"
    )]
    async fn get(
        &self,
        _admin: AdminAuth,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<Json<PoseAdminRequestEnvelope>, Errors<401, 403, 404>> {
        Ok(Json(PoseAdminRequestEnvelope {
            request: requests::admin_get(&state.db, &id).await?,
        }))
    }

    /// Approve a pose request (admin)
    ///
    /// `pending` → `approved`. The notes become the given ones, or null. The body may
    /// be omitted.
    #[oai(
        path = "/admin/pose-requests/:id/approve",
        method = "post",
        operation_id = "poseAdminApproveRequest"
    )]
    async fn approve(
        &self,
        _admin: AdminAuth,
        state: Data<&AppState>,
        id: Path<String>,
        body: OptionalJson<PoseAdminNotesRequest>,
    ) -> Result<Json<PoseAdminRequestChanged>, Errors<400, 401, 403, 404, 409, 415>> {
        let input = TransitionInput {
            admin_notes: body.0.admin_notes.as_deref(),
            completed_pose_id: None,
        };
        changed(&state, &id, Transition::Approve, input).await
    }

    /// Reject a pose request (admin)
    ///
    /// `pending` → `rejected`; `adminNotes` is required.
    #[oai(
        path = "/admin/pose-requests/:id/reject",
        method = "post",
        operation_id = "poseAdminRejectRequest"
    )]
    async fn reject(
        &self,
        _admin: AdminAuth,
        state: Data<&AppState>,
        id: Path<String>,
        body: JsonBody<PoseAdminRequiredNotesRequest>,
    ) -> Result<Json<PoseAdminRequestChanged>, Errors<400, 401, 403, 404, 409, 415>> {
        let input = TransitionInput {
            admin_notes: body.admin_notes.as_deref(),
            completed_pose_id: None,
        };
        changed(&state, &id, Transition::Reject, input).await
    }

    /// Mark a pose request in progress (admin)
    ///
    /// `approved` → `in_progress`. The notes are kept unless new ones are given. The
    /// body may be omitted.
    #[oai(
        path = "/admin/pose-requests/:id/mark-in-progress",
        method = "post",
        operation_id = "poseAdminMarkInProgress"
    )]
    async fn mark_in_progress(
        &self,
        _admin: AdminAuth,
        state: Data<&AppState>,
        id: Path<String>,
        body: OptionalJson<PoseAdminNotesRequest>,
    ) -> Result<Json<PoseAdminRequestChanged>, Errors<400, 401, 403, 404, 409, 415>> {
        let input = TransitionInput {
            admin_notes: body.0.admin_notes.as_deref(),
            completed_pose_id: None,
        };
        changed(&state, &id, Transition::MarkInProgress, input).await
    }

    /// Mark a pose request completed (admin)
    ///
    /// `in_progress` → `completed`, linked to the library pose that fulfils it (400 on
    /// `completedPoseId` if that pose does not exist). The notes are kept unless new
    /// ones are given.
    #[oai(
        path = "/admin/pose-requests/:id/mark-completed",
        method = "post",
        operation_id = "poseAdminMarkCompleted"
    )]
    async fn mark_completed(
        &self,
        _admin: AdminAuth,
        state: Data<&AppState>,
        id: Path<String>,
        body: JsonBody<PoseAdminCompleteRequest>,
    ) -> Result<Json<PoseAdminRequestChanged>, Errors<400, 401, 403, 404, 409, 415>> {
        let input = TransitionInput {
            admin_notes: body.admin_notes.as_deref(),
            completed_pose_id: body.completed_pose_id.as_deref(),
        };
        changed(&state, &id, Transition::MarkCompleted, input).await
    }

    /// Update admin notes (admin)
    ///
    /// Allowed in every status; only `adminNotes` (1..1000 characters) changes.
    #[oai(
        path = "/admin/pose-requests/:id/notes",
        method = "put",
        operation_id = "poseAdminUpdateNotes"
    )]
    async fn update_notes(
        &self,
        _admin: AdminAuth,
        state: Data<&AppState>,
        id: Path<String>,
        body: JsonBody<PoseAdminRequiredNotesRequest>,
    ) -> Result<Json<PoseAdminRequestChanged>, Errors<400, 401, 403, 404, 415>> {
        let request = requests::update_notes(&state.db, &id, body.admin_notes.as_deref()).await?;
        Ok(Json(PoseAdminRequestChanged {
            request,
            message: "Admin notes updated".into(),
        }))
    }
}

async fn changed<E: From<ApiError>>(
    state: &AppState,
    id: &str,
    transition: Transition,
    input: TransitionInput<'_>,
) -> Result<Json<PoseAdminRequestChanged>, E> {
    let request = requests::transition(&state.db, id, transition, input)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(PoseAdminRequestChanged {
        request,
        message: transition.message().into(),
    }))
}
