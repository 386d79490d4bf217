//! `generated_poses` (schema.md §6.5): one output image.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "generated_poses", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub generation_id: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub pose_library_id: Option<String>,
    /// `''` for failed rows.
    #[sea_orm(column_type = "Text")]
    pub output_image_url: String,
    #[sea_orm(column_type = "Text")]
    pub thumbnail_url: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub original_image_url: Option<String>,
    /// Object: export format name → URL (`{}` when none). `jsonb` on PostgreSQL.
    #[sea_orm(column_type = "JsonBinary")]
    pub export_formats: Json,
    pub background_changed: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub background_prompt: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub prompt_used: String,
    pub seed_used: Option<i32>,
    pub controlnet_weight: f64,
    pub generation_time: Option<f64>,
    pub ai_confidence_score: Option<f64>,
    pub is_favorite: bool,
    pub download_count: i32,
    #[sea_orm(column_type = "Text")]
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    pub created_at: DateTime,
    /// `<poseLibraryId>-v<n>` or `text-v<n>`: one row per variation.
    #[sea_orm(column_type = "Text", nullable)]
    pub variation_key: Option<String>,

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
        on_delete = "SetNull"
    )]
    pub pose: BelongsTo<Option<super::pose_library::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
