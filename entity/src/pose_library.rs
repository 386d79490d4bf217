//! `pose_library` (schema.md §6.2): curated poses.

use sea_orm::entity::prelude::*;

use crate::TextList;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pose_library", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub category_id: String,
    #[sea_orm(column_type = "Text")]
    pub preview_image_url: String,
    #[sea_orm(column_type = "Text")]
    pub reference_image_url: String,
    #[sea_orm(column_type = "Text")]
    pub controlnet_image_url: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub thumbnail_url: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub difficulty: String,
    #[sea_orm(column_type = "Text")]
    pub gender_suitability: String,
    /// `text[]` on PostgreSQL, JSON text elsewhere; NULL reads as an empty list.
    #[sea_orm(nullable)]
    pub tags: TextList,
    #[sea_orm(column_type = "Text")]
    pub source_type: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub source_credit: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub license_type: String,
    pub usage_count: i32,
    pub favorite_count: i32,
    pub rating_avg: f64,
    pub popularity_score: i32,
    pub is_public: bool,
    pub is_featured: bool,
    pub is_premium: bool,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "category_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    pub category: BelongsTo<super::pose_categories::Entity>,
    #[sea_orm(has_many)]
    pub generated_poses: HasMany<super::generated_poses::Entity>,
    #[sea_orm(has_many)]
    pub selections: HasMany<super::pose_selections::Entity>,
}

#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    async fn before_save<C>(mut self, db: &C, _insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        self.tags = TextList::encode_active(self.tags, db.get_database_backend());
        Ok(self)
    }
}
