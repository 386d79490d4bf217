//! `avatar_presets` (schema.md §5.3): global catalogue, not per user.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "avatar_presets", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub preview_image_url: String,
    #[sea_orm(column_type = "Text")]
    pub category: String,
    /// JSON object `{name, age, personality[], background}`, as text.
    #[sea_orm(column_type = "Text")]
    pub persona_template: String,
    /// JSON object of visual attributes, as text.
    #[sea_orm(column_type = "Text")]
    pub visual_attributes: String,
    #[sea_orm(column_type = "Text")]
    pub generation_prompt: String,
    pub is_public: bool,
    pub usage_count: i32,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

impl ActiveModelBehavior for ActiveModel {}
