//! The Avatar Creator app (`/api/apps/avatar-creator`, api.md §6).
//!
//! * [`projects`]: the project service (no HTTP): list, create, get, update, delete.
//! * [`views`]: the JSON objects of api.md §2.2–§2.3.
//! * `routes`: the operations.

pub mod projects;
mod routes;
pub mod views;

pub use routes::AvatarCreatorApi;
