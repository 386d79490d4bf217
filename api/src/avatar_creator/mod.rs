//! The Avatar Creator app (`/api/apps/avatar-creator`, api.md §6).
//!
//! * [`projects`], [`avatars`], [`catalogue`]: the services (no HTTP).
//! * [`persona`]: the persona and visual field rules shared by every avatar write.
//! * [`views`]: the JSON objects of api.md §2.2–§2.3.
//! * `routes`: the operations.

pub mod avatars;
pub mod catalogue;
pub mod persona;
pub mod projects;
mod routes;
pub mod views;

pub use routes::apis;

use crate::app::AppState;

/// Removes stored image files after a commit, best effort: a file that cannot be
/// removed is logged and left behind, never a failed request (api.md §6.5, §6.13).
pub async fn remove_files(state: &AppState, urls: Vec<String>) {
    for url in urls {
        // Stored files live at `/uploads/<key>`; anything else is not ours to remove.
        let Some(key) = url.strip_prefix("/uploads/") else {
            continue;
        };
        if key.split('/').any(|part| part.is_empty() || part == "..") {
            continue;
        }
        let path = state.config.upload_dir.join(key);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not remove a stored file")
            }
        }
    }
}
