//! `pose_request_votes` (schema.md §7.3): one vote per user per pose request.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pose_request_votes", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub request_id: String,
    #[sea_orm(column_type = "Text")]
    pub user_id: String,
    pub created_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "request_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub request: BelongsTo<super::pose_requests::Entity>,
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
