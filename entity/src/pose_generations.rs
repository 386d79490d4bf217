//! `pose_generations` (schema.md §6.4): one batch job.

use sea_orm::entity::prelude::*;

use crate::TextList;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pose_generations", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub project_id: String,
    #[sea_orm(column_type = "Text")]
    pub user_id: String,
    /// `GALLERY_REFERENCE` or `TEXT_DESCRIPTION`.
    #[sea_orm(column_type = "Text")]
    pub generation_type: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub text_prompt: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub generated_pose_structure: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub avatar_id: Option<String>,
    /// JSON object, as text.
    #[sea_orm(column_type = "Text", nullable)]
    pub avatar_attributes: Option<String>,
    pub batch_size: i32,
    pub total_expected_poses: i32,
    pub use_background_changer: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub background_prompt: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub background_mode: Option<String>,
    /// `text[]` on PostgreSQL, JSON text elsewhere; NULL reads as an empty list.
    #[sea_orm(nullable)]
    pub export_formats: TextList,
    #[sea_orm(column_type = "Text")]
    pub status: String,
    pub progress: i32,
    pub poses_completed: i32,
    pub poses_failed: i32,
    pub credit_charged: i32,
    pub credit_refunded: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub queue_job_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    pub created_at: DateTime,
    pub started_at: Option<DateTime>,
    pub completed_at: Option<DateTime>,
    pub avg_generation_time: Option<f64>,
    pub total_processing_time: Option<f64>,
    pub recovery_attempts: i32,
    pub last_recovery_at: Option<DateTime>,

    #[sea_orm(
        belongs_to,
        from = "project_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub project: BelongsTo<super::pose_generator_projects::Entity>,
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
        self.export_formats =
            TextList::encode_active(self.export_formats, db.get_database_backend());
        Ok(self)
    }
}
