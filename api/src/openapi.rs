//! The OpenAPI document: one service definition shared by the server, `api openapi`
//! and the checked-in `openapi.yaml`.

use std::collections::HashMap;

use poem::{endpoint::BoxEndpoint, http::Method};
use poem_openapi::{
    ExtraHeader, OpenApi, OpenApiService, Tags,
    registry::{MetaApi, Registry},
};

use crate::{
    auth::{AuthApi, SecuritySchemes},
    credits::CreditsApi,
    health::HealthApi,
    http::conditional::ConditionalGets,
    http::request_id,
};

/// One tag per operation (api.md §1.2).
#[derive(Tags)]
pub enum ApiTags {
    /// Liveness, readiness and schema report
    Health,
    /// Register, login and profile
    Auth,
    /// Credit balance and ledger history
    Credits,
    /// Avatar Creator: projects of avatars with personas
    AvatarCreator,
    /// Pose Generator: a library of poses; images of an avatar in chosen poses
    PoseGenerator,
    /// Pose Generator administration: pose requests and job recovery (role `admin`)
    PoseGeneratorAdmin,
    /// Stored images (uploads and generations) and seeded reference images
    Files,
}

pub const TITLE: &str = "Creator Platform API";

/// Every API of the service, in the order they appear in the document.
pub fn apis() -> impl OpenApi {
    (
        HealthApi,
        AuthApi,
        CreditsApi,
        crate::avatar_creator::apis(),
        crate::pose_generator::apis(),
        crate::storage::StoredFilesApi,
        SecuritySchemes,
    )
}

pub fn service() -> OpenApiService<impl OpenApi, ()> {
    OpenApiService::new(
        ConditionalGets(BodyLimitErrors(apis())),
        TITLE,
        env!("CARGO_PKG_VERSION"),
    )
    // Relative: a generated client talks to the server that served the document;
    // point it elsewhere with the client's base URL (README "Clients").
    .server("/")
    .description(
        "Backend of the Avatar Creator and Pose Generator apps. Every error uses the \
             `ErrorResponse` body; every response carries `X-Request-Id`.",
    )
    .extra_response_header::<String, _>(
        ExtraHeader::new(request_id::HEADER.as_str())
            .description("Request id, echoed from the request when valid, else generated"),
    )
}

/// Every operation that reads a request body can answer 408 (the body did not arrive
/// in time) and 413 (it is too large): the body limits apply in one middleware
/// ([`crate::http::body_limit`]), so they are declared here in one place too.
pub struct BodyLimitErrors<T>(pub T);

impl<T: OpenApi> OpenApi for BodyLimitErrors<T> {
    fn meta() -> Vec<MetaApi> {
        let mut apis = T::meta();
        for api in &mut apis {
            for path in &mut api.paths {
                for operation in &mut path.operations {
                    if operation.request.is_none() {
                        continue;
                    }
                    let responses = &mut operation.responses.responses;
                    for status in [408, 413] {
                        if !responses.iter().any(|r| r.status == Some(status)) {
                            responses.push(crate::error::error_response_meta(status));
                        }
                    }
                    responses.sort_by_key(|r| r.status.unwrap_or(u16::MAX));
                }
            }
        }
        apis
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn add_routes(self, routes: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {
        self.0.add_routes(routes);
    }
}

/// The document as YAML: what `api openapi` prints and `openapi.yaml` contains.
pub fn openapi_yaml() -> String {
    service().spec_yaml()
}

/// The document as JSON, as served at `/openapi.json`.
pub fn openapi_json() -> String {
    service().spec()
}
