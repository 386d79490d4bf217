//! The Avatar Creator app (`/api/apps/avatar-creator`, api.md §6).
//!
//! * [`projects`], [`avatars`], [`catalogue`]: the services (no HTTP); they fail with
//!   an [`error::AvatarCreatorError`], which `crate::error` maps to HTTP.
//! * [`persona`]: the persona and visual field rules shared by every avatar write.
//! * [`views`]: the JSON objects of api.md §2.2–§2.3.
//! * `routes`: the operations.

pub mod avatars;
pub mod catalogue;
pub mod error;
pub mod generations;
pub mod persona;
pub mod project_list;
pub mod projects;
mod routes;
pub mod stats;
pub mod uploads;
pub mod views;

pub use routes::apis;

use crate::storage::Storage;

/// `app_usages.appId` of the Avatar Creator's paid actions (api.md §8.2.3).
pub const APP_ID: &str = "avatar-creator";

/// Removes stored image files after a commit, best effort: a file that cannot be
/// removed is logged and left behind, never a failed request (api.md §6.5, §6.13).
pub async fn remove_files(storage: &Storage, urls: Vec<String>) {
    storage
        .delete_urls_best_effort(urls.iter().map(String::as_str))
        .await;
}
