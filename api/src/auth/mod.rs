//! Authentication and accounts (api.md §1.8, §4).
//!
//! * [`BearerAuth`]: take it as a handler argument to require a valid token; it holds
//!   the caller's `users` row (loaded on every request).
//! * [`AdminAuth`]: the same, for operations that also require the role `admin`;
//!   [`admin_from_request`] for an operation that needs an admin only sometimes.
//! * [`service`]: register, login, token → user, profile changes (no HTTP).
//! * [`jwt`], [`password`], [`email`]: tokens, bcrypt and the password rules, emails.
//! * `routes`: the four `/api/auth` operations.

pub mod email;
pub mod jwt;
pub mod password;
mod routes;
pub mod service;

use std::collections::HashMap;

use entity::users;
use poem::{Request, RequestBody, endpoint::BoxEndpoint, http::Method};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions, OpenApi, SecurityScheme,
    auth::{Bearer, BearerAuthorization},
    registry::{MetaApi, Registry},
};
pub use routes::AuthApi;

use crate::{app::AppState, error::ApiError};

/// `Authorization: Bearer <JWT>` (HS256), resolved to the caller's user row. Any
/// failure is a 401 with `WWW-Authenticate: Bearer`: "No token provided" (no or
/// malformed header), "Invalid token", "Token expired" or "User not found".
#[derive(SecurityScheme)]
#[oai(
    rename = "bearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "current_user"
)]
pub struct BearerAuth(pub users::Model);

async fn current_user(req: &Request, bearer: Bearer) -> poem::Result<users::Model> {
    Ok(user_for_bearer(req, &bearer.token).await?)
}

async fn user_for_bearer(req: &Request, token: &str) -> Result<users::Model, ApiError> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal("AppState is not attached to the route"))?;
    Ok(service::user_for_token(&state.db, &state.config, token).await?)
}

/// `users.role` of an administrator (api.md §1.8: exactly this, lowercase).
pub const ADMIN_ROLE: &str = "admin";

/// The one admin check: the user's role is exactly `admin`, else 403 `FORBIDDEN`
/// "Admin access required".
pub fn require_admin(user: users::Model) -> Result<users::Model, ApiError> {
    if user.role == ADMIN_ROLE {
        Ok(user)
    } else {
        Err(ApiError::Forbidden("Admin access required".into()))
    }
}

/// A [`BearerAuth`] whose user is an administrator (api.md §7.0 "admin"). Token
/// failures are the same 401s as [`BearerAuth`]'s; a valid token of any other role is
/// 403 `FORBIDDEN` "Admin access required". The document shows the same `bearerAuth`
/// scheme: the role is not part of the OpenAPI security model.
pub struct AdminAuth(pub users::Model);

impl<'a> ApiExtractor<'a> for AdminAuth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <BearerAuth as ApiExtractor>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        <BearerAuth as ApiExtractor>::security_schemes()
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let BearerAuth(user) =
            <BearerAuth as ApiExtractor>::from_request(req, body, param_opts).await?;
        Ok(Self(require_admin(user)?))
    }
}

/// The bearer token of the request, not yet resolved to a user: for a read whose one
/// statement checks the token's user and session together with reading the data
/// (`service::user_for_token_with`). Documented exactly as [`BearerAuth`]; no header,
/// or not a `Bearer` one, is the same 401 "No token provided".
pub struct BearerToken(pub String);

impl<'a> ApiExtractor<'a> for BearerToken {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <BearerAuth as ApiExtractor>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        <BearerAuth as ApiExtractor>::security_schemes()
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bearer = <Bearer as BearerAuthorization>::from_request(req)
            .map_err(|_| ApiError::Unauthorized("No token provided".into()))?;
        Ok(Self(bearer.token))
    }
}

/// [`AdminAuth`] for an operation whose admin requirement depends on configuration
/// (the schema report): the same header parsing, the same 401s and the same 403.
pub async fn admin_from_request(req: &Request) -> Result<users::Model, ApiError> {
    let bearer = <Bearer as BearerAuthorization>::from_request(req)
        .map_err(|_| ApiError::Unauthorized("No token provided".into()))?;
    require_admin(user_for_bearer(req, &bearer.token).await?)
}

/// Adds the security schemes to the document even while no operation uses them.
/// poem-openapi otherwise only registers a scheme through an operation argument.
pub struct SecuritySchemes;

impl OpenApi for SecuritySchemes {
    fn meta() -> Vec<MetaApi> {
        Vec::new()
    }

    fn register(registry: &mut Registry) {
        <BearerAuth as ApiExtractor>::register(registry);
    }

    fn add_routes(self, _: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {}
}
