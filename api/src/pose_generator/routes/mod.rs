//! The Pose Generator operations (api.md §7), one file per area. Handlers validate the
//! HTTP shape, call a service and shape the answer; the rules live in the services.

mod admin;
mod events;
mod exports;
mod generations;
mod health;
mod library;
mod poses;
mod projects;
mod recovery;
mod requests;

use poem_openapi::OpenApi;

/// Every Pose Generator operation.
pub fn apis() -> impl OpenApi {
    (
        library::LibraryApi,
        projects::ProjectsApi,
        generations::GenerationsApi,
        exports::ExportsApi,
        events::EventsApi,
        poses::PosesApi,
        requests::RequestsApi,
        admin::AdminApi,
        recovery::RecoveryApi,
        health::HealthApi,
    )
}
