//! `pose_requests` (schema.md §6.7): user requests for new library poses.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pose_requests", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub user_id: String,
    #[sea_orm(column_type = "Text")]
    pub pose_name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reference_image_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub category_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub use_case: Option<String>,
    pub votes_count: i32,
    #[sea_orm(column_type = "Text")]
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub admin_notes: Option<String>,
    /// `pose_library.id` that fulfils the request: a plain column, no foreign key.
    #[sea_orm(column_type = "Text", nullable)]
    pub completed_pose_id: Option<String>,
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
        from = "category_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub category: BelongsTo<Option<super::pose_categories::Entity>>,
    #[sea_orm(has_many)]
    pub votes: HasMany<super::pose_request_votes::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
