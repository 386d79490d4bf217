//! `users` (schema.md §4.1): shared with other apps; production may have more columns.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text", unique)]
    pub email: String,
    /// bcrypt hash; never returned by the API.
    #[sea_orm(column_type = "Text")]
    pub password: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub role: String,
    pub storage_quota: i32,
    pub storage_used: i32,
    #[sea_orm(column_type = "Text")]
    pub account_type: String,
    #[sea_orm(column_type = "Text")]
    pub subscription_tier: String,
    /// JSON array of strings, as text.
    #[sea_orm(column_type = "Text", nullable)]
    pub user_tags: Option<String>,
    pub unlimited_pose_active: bool,
    pub unlimited_pose_daily_quota: i32,
    pub unlimited_pose_quota_used: i32,
    pub unlimited_pose_quota_reset_at: Option<DateTime>,
    pub unlimited_pose_expires_at: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    #[sea_orm(has_many)]
    pub sessions: HasMany<super::sessions::Entity>,
    #[sea_orm(has_many)]
    pub credits: HasMany<super::credits::Entity>,
    #[sea_orm(has_many)]
    pub app_usages: HasMany<super::app_usages::Entity>,
    #[sea_orm(has_many)]
    pub avatar_projects: HasMany<super::avatar_projects::Entity>,
    #[sea_orm(has_many)]
    pub avatars: HasMany<super::avatars::Entity>,
    #[sea_orm(has_many)]
    pub avatar_usage_history: HasMany<super::avatar_usage_history::Entity>,
    #[sea_orm(has_many)]
    pub avatar_generations: HasMany<super::avatar_generations::Entity>,
    #[sea_orm(has_many)]
    pub pose_generator_projects: HasMany<super::pose_generator_projects::Entity>,
    #[sea_orm(has_many)]
    pub pose_generations: HasMany<super::pose_generations::Entity>,
    #[sea_orm(has_many)]
    pub pose_requests: HasMany<super::pose_requests::Entity>,
    #[sea_orm(has_many)]
    pub pose_request_votes: HasMany<super::pose_request_votes::Entity>,
    #[sea_orm(has_many)]
    pub session_revocations: HasMany<super::session_revocations::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
