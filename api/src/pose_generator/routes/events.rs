//! The progress stream (api.md §7.13).

use entity::users;
use poem::{Request, RequestBody, http::header, web::Data};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, OpenApi, SecurityScheme,
    auth::ApiKey, param::Path, registry::Registry,
};

use crate::pose_generator::events::{self, EventStreamBody};
use crate::pose_generator::generations;
use crate::{
    app::AppState,
    auth::{BearerAuth, service},
    error::{ApiError, Errors},
    openapi::ApiTags,
};

pub struct EventsApi;

/// `?access_token=<JWT>`: a fallback for native `EventSource` only, which cannot send
/// headers. Every other client sends the bearer header. Only the progress stream
/// accepts it; the query string is never logged.
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

/// The bearer header, or, when there is none, the `access_token` query parameter. The
/// document lists the header first, so a generated client uses it; the token goes in
/// a URL only when a native `EventSource` has no other way.
pub struct StreamAuth(users::Model);

impl StreamAuth {
    fn user(&self) -> &users::Model {
        &self.0
    }
}

impl<'a> ApiExtractor<'a> for StreamAuth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <BearerAuth as ApiExtractor>::register(registry);
        <QueryTokenAuth as ApiExtractor>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        let mut schemes = <BearerAuth as ApiExtractor>::security_schemes();
        schemes.extend(<QueryTokenAuth as ApiExtractor>::security_schemes());
        schemes
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        if req.headers().contains_key(header::AUTHORIZATION) {
            let BearerAuth(user) =
                <BearerAuth as ApiExtractor>::from_request(req, body, param_opts).await?;
            return Ok(Self(user));
        }
        let QueryTokenAuth(user) =
            <QueryTokenAuth as ApiExtractor>::from_request(req, body, param_opts)
                .await
                .map_err(|err| {
                    // Neither the header nor the parameter: the usual 401.
                    if err.is::<poem_openapi::error::AuthorizationError>() {
                        ApiError::Unauthorized("No token provided".into()).into()
                    } else {
                        err
                    }
                })?;
        Ok(Self(user))
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
