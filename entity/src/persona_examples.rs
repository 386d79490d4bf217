//! `persona_examples` (schema.md §5.4): global catalogue of ready-made personas.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persona_examples", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub category: String,
    #[sea_orm(column_type = "Text")]
    pub persona_name: String,
    pub persona_age: i32,
    /// JSON array of strings, as text.
    #[sea_orm(column_type = "Text")]
    pub persona_personality: String,
    #[sea_orm(column_type = "Text")]
    pub persona_background: String,
    /// JSON object, same shape as `avatar_presets.visualAttributes`, as text.
    #[sea_orm(column_type = "Text", nullable)]
    pub suggested_attributes: Option<String>,
    pub display_order: i32,
    pub is_active: bool,
    pub created_at: DateTime,
}

impl ActiveModelBehavior for ActiveModel {}
