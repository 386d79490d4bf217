//! The OpenAPI document: one service definition shared by the server, `api openapi`
//! and the checked-in `openapi.yaml`.

use poem_openapi::{ExtraHeader, OpenApi, OpenApiService, Tags};

use crate::{
    auth::{AuthApi, SecuritySchemes},
    credits::CreditsApi,
    health::HealthApi,
    request_id,
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
}

pub const TITLE: &str = "Creator Platform API";

/// Every API of the service, in the order they appear in the document.
pub fn apis() -> impl OpenApi {
    (
        HealthApi,
        AuthApi,
        CreditsApi,
        crate::avatar_creator::apis(),
        crate::avatar_creator::uploads::AvatarUploadApi,
        crate::pose_generator::apis(),
        SecuritySchemes,
    )
}

pub fn service() -> OpenApiService<impl OpenApi, ()> {
    OpenApiService::new(apis(), TITLE, env!("CARGO_PKG_VERSION"))
        .description(
            "Backend of the Avatar Creator and Pose Generator apps. Every error uses the \
             `ErrorResponse` body; every response carries `X-Request-Id`.",
        )
        .extra_response_header::<String, _>(
            ExtraHeader::new(request_id::HEADER.as_str())
                .description("Request id, echoed from the request when valid, else generated"),
        )
}

/// The document as YAML: what `api openapi` prints and `openapi.yaml` contains.
pub fn openapi_yaml() -> String {
    service().spec_yaml()
}

/// The document as JSON, as served at `/openapi.json`.
pub fn openapi_json() -> String {
    service().spec()
}
