//! The Avatar Creator operations (api.md §6), one file per area. Handlers validate the
//! HTTP shape, call a service and shape the answer; the rules live in the services.

mod avatars;
mod catalogue;
mod generations;
mod projects;
mod stats;
mod uploads;

use poem_openapi::{Object, OpenApi};

/// `{ "message": "…" }`, the answer of deletes.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct Message {
    pub message: String,
}

/// Every Avatar Creator operation.
pub fn apis() -> impl OpenApi {
    (
        projects::ProjectsApi,
        avatars::AvatarsApi,
        catalogue::CatalogueApi,
        generations::GenerationsApi,
        stats::StatsApi,
        uploads::AvatarUploadApi,
    )
}
