//! Credits: the ledger service every paid action uses, and the two read routes
//! (api.md §5, §8.2).

pub mod ledger;
pub mod pricing;
mod routes;

pub use routes::{CreditEntry, CreditsApi};

/// The `app_usages` row of a paid action (api.md §8.2.3), in the caller's transaction.
pub async fn record_usage(
    db: &impl migration::sea_orm::ConnectionTrait,
    user_id: &str,
    app_id: &str,
    action: &str,
    credit_used: i32,
    metadata: serde_json::Value,
    now: chrono::NaiveDateTime,
) -> Result<(), migration::sea_orm::DbErr> {
    use migration::sea_orm::{ActiveModelTrait, ActiveValue::Set};
    entity::app_usages::ActiveModel {
        id: Set(crate::ids::new_id()),
        user_id: Set(user_id.to_owned()),
        app_id: Set(app_id.to_owned()),
        action: Set(action.to_owned()),
        credit_used: Set(credit_used),
        metadata: Set(Some(metadata.to_string())),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}
