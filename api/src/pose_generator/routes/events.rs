//! The progress stream (api.md §7.13).

use entity::users;
use poem::{Request, web::Data};
use poem_openapi::{ApiResponse, OpenApi, SecurityScheme, auth::ApiKey, param::Path};

use crate::pose_generator::events::{self, EventStreamBody};
use crate::pose_generator::generations;
use crate::{
    app::AppState,
    auth::{BearerAuth, service},
    error::{ApiError, Errors},
    openapi::ApiTags,
};

pub struct EventsApi;

/// `?access_token=<JWT>`, for native `EventSource`, which cannot send headers. Only
/// the progress stream accepts it; the query string is never logged.
#[derive(SecurityScheme)]
#[oai(
    rename = "accessTokenQuery",
    ty = "api_key",
    key_name = "access_token",
    key_in = "query",
    checker = "query_user"
)]
pub struct QueryTokenAuth(pub users::Model);

async fn query_user(req: &Request, key: ApiKey) -> poem::Result<users::Model> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal("AppState is not attached to the route"))?;
    Ok(service::user_for_token(&state.db, &state.config, &key.key)
        .await
        .map_err(ApiError::from)?)
}

/// The `access_token` query parameter, or the bearer header. The header is tried
/// last, so its failure ("Invalid token", "Token expired") is the one reported.
#[derive(SecurityScheme)]
pub enum StreamAuth {
    Query(QueryTokenAuth),
    Bearer(BearerAuth),
}

impl StreamAuth {
    fn user(&self) -> &users::Model {
        match self {
            Self::Bearer(BearerAuth(user)) | Self::Query(QueryTokenAuth(user)) => user,
        }
    }
}

#[derive(ApiResponse)]
pub enum EventsResponse {
    /// `retry: 3000`, a `snapshot` event, then one event per change until
    /// `completed` or `failed`; `: ping` every 15 s.
    #[oai(status = 200)]
    Stream(EventStreamBody),
}

#[OpenApi(
    prefix_path = "/api/apps/pose-generator",
    tag = "ApiTags::PoseGenerator"
)]
impl EventsApi {
    /// Follow a generation's progress
    ///
    /// Server-Sent Events. Authenticate with the bearer header, or with
    /// `?access_token=` from a native `EventSource`.
    #[oai(
        path = "/generations/:generationId/events",
        method = "get",
        operation_id = "poseGeneratorGenerationEvents"
    )]
    async fn generation_events(
        &self,
        auth: StreamAuth,
        state: Data<&AppState>,
        #[oai(name = "generationId")] generation_id: Path<String>,
    ) -> Result<EventsResponse, Errors<401, 404, 429>> {
        let slot = state.streams.acquire_or_refuse(&auth.user().id)?;
        let generation =
            generations::find_owned(&state.db, &auth.user().id, &generation_id).await?;
        let poses = generations::poses(&state.db, &generation.id).await?;
        Ok(EventsResponse::Stream(EventStreamBody(events::stream(
            &state.events,
            generation,
            poses,
            state.config.sse_max,
            slot,
        ))))
    }
}
