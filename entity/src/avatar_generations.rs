//! `avatar_generations` (schema.md §5.6): asynchronous AI avatar jobs.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "avatar_generations", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub user_id: String,
    /// NULL until the job completes.
    #[sea_orm(column_type = "Text", nullable)]
    pub avatar_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub project_id: String,
    #[sea_orm(column_type = "Text")]
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub prompt: String,
    /// JSON object of generation options, as text.
    #[sea_orm(column_type = "Text", nullable)]
    pub options: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    pub created_at: DateTime,
    pub completed_at: Option<DateTime>,

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
    #[sea_orm(
        belongs_to,
        from = "avatar_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub avatar: BelongsTo<Option<super::avatars::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
