//! Pose request operations for users (api.md §7.18–§7.20).

use crate::http::presence::Required;
use crate::vocabulary::{PoseRequestStatus, RequestScope, Word};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use crate::pose_generator::requests::{self, NewRequest};
use crate::pose_generator::views::{PoseRequest, PoseRequestWithVote};
use crate::{
    app::AppState,
    auth::BearerAuth,
    error::Errors,
    openapi::ApiTags,
    pagination::{PageRequest, Pagination},
};
use crate::{http::json_body::JsonBody, http::text::Text};

pub struct RequestsApi;

/// `POST /requests` body.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase", example)]
pub struct CreatePoseRequestRequest {
    /// 1..100 characters after trimming.
    pub pose_name: Required<Text>,
    /// 1..500 characters after trimming.
    pub description: Required<Text>,
    /// An existing pose category.
    #[oai(nullable)]
    pub category_id: Option<Text>,
    /// At most 100 characters, e.g. `e-commerce`, `professional`, `social`.
    #[oai(nullable)]
    pub use_case: Option<Text>,
    /// An absolute http(s) URL or an `/uploads/…` path, at most 2048 characters.
    #[oai(nullable)]
    pub reference_image_url: Option<Text>,
}

impl poem_openapi::types::Example for CreatePoseRequestRequest {
    fn example() -> Self {
        Self {
            pose_name: Required(Some("Hijab mirror selfie".into())),
            description: Required(Some(
                "Full-body mirror selfie holding the phone at chest height".into(),
            )),
            category_id: None,
            use_case: Some("social".into()),
            reference_image_url: None,
        }
    }
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseRequestCreated {
    pub request: PoseRequest,
    pub message: String,
}

#[derive(ApiResponse)]
pub enum CreatePoseRequestResponse {
    /// The new request, `pending` with no votes.
    #[oai(status = 201)]
    Created(Json<PoseRequestCreated>),
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseRequestList {
    pub requests: Vec<PoseRequestWithVote>,
    pub pagination: Pagination,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseRequestVoted {
    pub request: PoseRequestWithVote,
    pub message: String,
}

#[OpenApi(
    prefix_path = "/api/apps/pose-generator",
    tag = "ApiTags::PoseGenerator"
)]
impl RequestsApi {
    /// Request a new pose
    ///
    /// Asks the team to add a pose to the library. 409 while the caller has a
    /// `pending`, `approved` or `in_progress` request of the same name (compared
    /// case-insensitively).
    #[oai(
        path = "/requests",
        method = "post",
        operation_id = "poseGeneratorCreateRequest"
    )]
    async fn create_request(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        body: JsonBody<CreatePoseRequestRequest>,
    ) -> Result<CreatePoseRequestResponse, Errors<400, 401, 409, 415, 429>> {
        let request = requests::create(
            &state.db,
            &auth.0.id,
            NewRequest {
                pose_name: body.pose_name.as_deref(),
                description: body.description.as_deref(),
                category_id: body.category_id.as_deref(),
                use_case: body.use_case.as_deref(),
                reference_image_url: body.reference_image_url.as_deref(),
            },
        )
        .await?;
        Ok(CreatePoseRequestResponse::Created(Json(
            PoseRequestCreated {
                request,
                message: "Pose request submitted successfully. Our team will review it soon!"
                    .into(),
            },
        )))
    }

    /// List pose requests
    ///
    /// `scope=mine` (default): the caller's requests, newest first. `scope=all`: every
    /// user's requests except rejected ones, most voted first; other users' admin notes
    /// are hidden. Each has `hasVoted` for the caller.
    #[oai(
        path = "/requests",
        method = "get",
        operation_id = "poseGeneratorListRequests"
    )]
    async fn list_requests(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        /// Whose requests: the caller's (default) or everyone's.
        scope: Query<Option<Word<RequestScope>>>,
        /// Only requests in this status.
        status: Query<Option<Word<PoseRequestStatus>>>,
        /// ≥ 1, default 1.
        page: Query<Option<i64>>,
        /// 1..100, default 20.
        limit: Query<Option<i64>>,
    ) -> Result<Json<PoseRequestList>, Errors<400, 401>> {
        let (scope, status) = requests::parse_list_query(scope.as_deref(), status.as_deref())?;
        let page = PageRequest::new(page.0, limit.0, 20)?;
        let (requests, pagination) =
            requests::list(&state.db, &auth.0.id, scope, status.as_deref(), page).await?;
        Ok(Json(PoseRequestList {
            requests,
            pagination,
        }))
    }

    /// Vote for a pose request
    ///
    /// One vote per user, not on one's own request, only while `pending` or
    /// `approved`. No body.
    #[oai(
        path = "/requests/:id/vote",
        method = "post",
        operation_id = "poseGeneratorVoteRequest"
    )]
    async fn vote_request(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<Json<PoseRequestVoted>, Errors<401, 404, 409, 429>> {
        let request = requests::vote(&state.db, &auth.0.id, &id).await?;
        Ok(Json(PoseRequestVoted {
            request,
            message: "Vote recorded".into(),
        }))
    }
}
