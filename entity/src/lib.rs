//! SeaORM entities: one module per table of `shared/docs/schema.md`.
//!
//! Entities are plain data. Table and column names are the production names
//! (snake_case tables, camelCase columns); every string column is declared `Text`
//! and every integer `i32`, so the entities describe exactly the production types.
//! An entity maps exactly the documented columns, no more (schema.md §2.4): extra
//! production columns (such as the user-settings columns of `users`) stay unmapped.

pub mod text_list;

pub mod app_usages;
pub mod avatar_generations;
pub mod avatar_presets;
pub mod avatar_projects;
pub mod avatar_usage_history;
pub mod avatars;
pub mod credits;
pub mod generated_poses;
pub mod jobs;
pub mod persona_examples;
pub mod pose_categories;
pub mod pose_generations;
pub mod pose_generator_projects;
pub mod pose_library;
pub mod pose_request_votes;
pub mod pose_requests;
pub mod pose_selections;
pub mod sessions;
pub mod users;

pub mod prelude;

pub use text_list::TextList;
