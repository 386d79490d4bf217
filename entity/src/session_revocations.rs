//! `session_revocations` (ours, README "Security"): per user, the moment before which
//! tokens without a session claim (issued by the previous backend) no longer count.
//! Set when the password or email changes and by "log out everywhere".

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_revocations", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text", unique)]
    pub user_id: String,
    /// Tokens without a session claim issued before this are ended.
    pub revoked_before: DateTime,
    pub updated_at: DateTime,

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
