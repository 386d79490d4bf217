//! `pose_generator_projects` (schema.md §6.3).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pose_generator_projects", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub user_id: String,
    #[sea_orm(column_type = "Text")]
    pub project_name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub avatar_image_url: Option<String>,
    /// `AVATAR_CREATOR` or `UPLOAD` (compare case-insensitively; legacy rows: `upload`).
    #[sea_orm(column_type = "Text")]
    pub avatar_source: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub avatar_id: Option<String>,
    pub total_generations: i32,
    pub total_poses_generated: i32,
    #[sea_orm(column_type = "Text")]
    pub status: String,
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
        from = "avatar_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub avatar: BelongsTo<Option<super::avatars::Entity>>,
    #[sea_orm(has_many)]
    pub generations: HasMany<super::pose_generations::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
