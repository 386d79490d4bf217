//! `credits` (schema.md §4.3): the credit ledger. A user's balance is the `balance` of
//! their latest row. No `metadata`, no `updatedAt`.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credits", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub user_id: String,
    /// Signed change: positive adds credits, negative spends them.
    pub amount: i32,
    /// Running balance after this row.
    pub balance: i32,
    #[sea_orm(column_name = "type", column_type = "Text")]
    pub r#type: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reference_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reference_type: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub payment_id: Option<String>,
    pub created_at: DateTime,

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
