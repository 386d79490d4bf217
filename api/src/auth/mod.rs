//! Authentication and accounts (api.md §1.8, §4).
//!
//! * [`BearerAuth`]: take it as a handler argument to require a valid token; it holds
//!   the caller's `users` row (loaded on every request).
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
use poem::{Request, endpoint::BoxEndpoint, http::Method};
use poem_openapi::{
    ApiExtractor, OpenApi, SecurityScheme,
    auth::Bearer,
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
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal("AppState is not attached to the route"))?;
    Ok(
        service::user_for_token(&state.db, &state.config, &bearer.token)
            .await
            .map_err(ApiError::from)?,
    )
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
