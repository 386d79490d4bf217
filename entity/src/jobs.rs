//! `jobs` (schema.md §7.3): the durable background-work queue. No foreign keys: a job
//! references its work item by id.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// `avatar_generation`, `pose_generation`, `background_change`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub reference_id: String,
    /// JSON text with what the worker needs.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// `queued`, `running`, `succeeded`, `failed`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    pub priority: i32,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_after: DateTime,
    #[sea_orm(column_type = "Text", nullable)]
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime>,
    /// Internal error text, never shown to users.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub finished_at: Option<DateTime>,
}

impl ActiveModelBehavior for ActiveModel {}
