//! `pose_categories` (schema.md §6.1): a two-level category tree.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pose_categories", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub display_name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// NULL = top level.
    #[sea_orm(column_type = "Text", nullable)]
    pub parent_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub icon: String,
    pub display_order: i32,
    #[sea_orm(column_type = "Text")]
    pub color: String,
    /// Denormalised and never maintained by the legacy app: compute counts on read.
    pub pose_count: i32,
    pub is_active: bool,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    #[sea_orm(
        self_ref,
        relation_enum = "Parent",
        relation_reverse = "Children",
        from = "parent_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub parent: BelongsTo<Option<Entity>>,
    #[sea_orm(self_ref, relation_enum = "Children", relation_reverse = "Parent")]
    pub children: HasMany<Entity>,
    #[sea_orm(has_many)]
    pub poses: HasMany<super::pose_library::Entity>,
    #[sea_orm(has_many)]
    pub pose_requests: HasMany<super::pose_requests::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
