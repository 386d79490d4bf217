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
pub mod session_revocations;
pub mod sessions;
pub mod users;

pub mod prelude;

pub use text_list::TextList;

use sea_orm::{EntityTrait, IdenStatic, Iterable};

/// One table as the entities map it: its name and its columns, in declaration order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedTable {
    pub name: &'static str,
    pub columns: Vec<&'static str>,
}

fn mapped<E: EntityTrait>() -> MappedTable {
    MappedTable {
        name: E::default().table_name(),
        columns: E::Column::iter().map(|c| c.as_str()).collect(),
    }
}

/// Every table the service reads or writes, with the columns its queries name. The
/// start-up gate checks that each exists before the API serves a request.
pub fn mapped_tables() -> Vec<MappedTable> {
    vec![
        mapped::<users::Entity>(),
        mapped::<sessions::Entity>(),
        mapped::<credits::Entity>(),
        mapped::<app_usages::Entity>(),
        mapped::<avatar_projects::Entity>(),
        mapped::<avatars::Entity>(),
        mapped::<avatar_presets::Entity>(),
        mapped::<persona_examples::Entity>(),
        mapped::<avatar_usage_history::Entity>(),
        mapped::<avatar_generations::Entity>(),
        mapped::<pose_categories::Entity>(),
        mapped::<pose_library::Entity>(),
        mapped::<pose_generator_projects::Entity>(),
        mapped::<pose_generations::Entity>(),
        mapped::<generated_poses::Entity>(),
        mapped::<pose_selections::Entity>(),
        mapped::<pose_requests::Entity>(),
        mapped::<jobs::Entity>(),
        mapped::<pose_request_votes::Entity>(),
        mapped::<session_revocations::Entity>(),
    ]
}
