//! `pose_selections` (schema.md §6.6): library poses chosen for a gallery generation.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pose_selections", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub generation_id: String,
    #[sea_orm(column_type = "Text")]
    pub pose_library_id: String,
    pub created_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "generation_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub generation: BelongsTo<super::pose_generations::Entity>,
    #[sea_orm(
        belongs_to,
        from = "pose_library_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub pose: BelongsTo<super::pose_library::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
