//! Authentication (api.md §1.8).
//!
//! Only the bearer scheme is declared so far, so that the OpenAPI document (and the
//! client generated from it) has it from the start; operations opt in by taking a
//! `BearerAuth` argument.

use std::collections::HashMap;

use poem::{endpoint::BoxEndpoint, http::Method};
use poem_openapi::{
    ApiExtractor, OpenApi, SecurityScheme,
    auth::Bearer,
    registry::{MetaApi, Registry},
};

/// `Authorization: Bearer <JWT>` (HS256).
#[derive(SecurityScheme)]
#[oai(rename = "bearerAuth", ty = "bearer", bearer_format = "JWT")]
pub struct BearerAuth(pub Bearer);

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
