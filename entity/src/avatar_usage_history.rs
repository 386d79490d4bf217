//! `avatar_usage_history` (schema.md §5.5): an avatar being used by another app.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "avatar_usage_history", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub avatar_id: String,
    #[sea_orm(column_type = "Text")]
    pub user_id: String,
    #[sea_orm(column_type = "Text")]
    pub app_id: String,
    #[sea_orm(column_type = "Text")]
    pub app_name: String,
    #[sea_orm(column_type = "Text")]
    pub action: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reference_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reference_type: Option<String>,
    /// JSON object, as text.
    #[sea_orm(column_type = "Text", nullable)]
    pub metadata: Option<String>,
    pub created_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "avatar_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub avatar: BelongsTo<super::avatars::Entity>,
    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub user: BelongsTo<super::users::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
