//! The caller's Avatar Creator statistics (api.md §6.18).

use entity::{avatar_projects, avatars};
use migration::sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::NullOrdering,
};

use super::error::AvatarCreatorError;
use crate::timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub total_avatars: u64,
    pub total_projects: u64,
    /// Avatars created in the last 7 × 24 hours, any source.
    pub recent_uploads: u64,
    pub total_usage: i64,
    /// `round(total_usage / total_avatars)`, 0 without avatars.
    pub average_usage: i64,
    /// Up to five, most used first.
    pub top_used: Vec<avatars::Model>,
}

pub async fn stats(db: &DatabaseConnection, user_id: &str) -> Result<Stats, AvatarCreatorError> {
    let mine = || avatars::Entity::find().filter(avatars::Column::UserId.eq(user_id));
    let total_avatars = mine().count(db).await?;
    let total_projects = avatar_projects::Entity::find()
        .filter(avatar_projects::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    let week_ago = timestamp::now() - chrono::Duration::days(7);
    let recent_uploads = mine()
        .filter(avatars::Column::CreatedAt.gte(week_ago))
        .count(db)
        .await?;
    let total_usage: Option<i64> = mine()
        .select_only()
        .column_as(avatars::Column::UsageCount.sum(), "total")
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    let total_usage = total_usage.unwrap_or(0);
    let average_usage = if total_avatars == 0 {
        0
    } else {
        (total_usage as f64 / total_avatars as f64).round() as i64
    };
    let top_used = mine()
        .order_by_desc(avatars::Column::UsageCount)
        .order_by_with_nulls(avatars::Column::LastUsedAt, Order::Desc, NullOrdering::Last)
        .order_by_desc(avatars::Column::CreatedAt)
        .order_by_asc(avatars::Column::Id)
        .limit(5)
        .all(db)
        .await?;
    Ok(Stats {
        total_avatars,
        total_projects,
        recent_uploads,
        total_usage,
        average_usage,
        top_used,
    })
}
