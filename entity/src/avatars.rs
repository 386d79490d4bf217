//! `avatars` (schema.md §5.2).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "avatars", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub user_id: String,
    #[sea_orm(column_type = "Text")]
    pub project_id: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub base_image_url: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub thumbnail_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub persona_name: Option<String>,
    pub persona_age: Option<i32>,
    /// JSON array of strings, as text.
    #[sea_orm(column_type = "Text", nullable)]
    pub persona_personality: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub persona_background: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub gender: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub age_range: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub ethnicity: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub body_type: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub hair_style: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub hair_color: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub eye_color: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub skin_tone: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub style: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub source_type: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub generation_prompt: Option<String>,
    pub seed_used: Option<i32>,
    pub usage_count: i32,
    pub last_used_at: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub user: BelongsTo<super::users::Entity>,
    #[sea_orm(
        belongs_to,
        from = "project_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub project: BelongsTo<super::avatar_projects::Entity>,
    #[sea_orm(has_many)]
    pub usage_history: HasMany<super::avatar_usage_history::Entity>,
    #[sea_orm(has_many)]
    pub avatar_generations: HasMany<super::avatar_generations::Entity>,
    #[sea_orm(has_many)]
    pub pose_generator_projects: HasMany<super::pose_generator_projects::Entity>,
    #[sea_orm(has_many)]
    pub pose_generations: HasMany<super::pose_generations::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
