//! `GET /stats` (api.md §7.17): the caller's Pose Generator figures.

use chrono::Duration;
use entity::{
    credits, generated_poses, pose_generations, pose_generator_projects, pose_library,
    pose_selections,
};
use migration::sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};
use poem_openapi::Object;

use super::job::REFUND_REFERENCE;
use crate::timestamp;
use crate::vocabulary::{GeneratedPoseStatus, PoseProjectStatus};

#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct CreditUsage {
    /// Credits charged for pose generations minus their refunds, all time.
    pub total_spent: i64,
    /// The same over the last 30 days.
    pub last30_days: i64,
    /// `round(totalSpent / generations)`, 0 without generations.
    pub average_per_generation: i64,
}

#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct TopPose {
    pub pose_id: String,
    pub pose_name: String,
    /// Times the caller selected it.
    pub usage_count: i64,
    pub preview_url: String,
}

#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseStats {
    /// Completed generated poses.
    pub total_poses_generated: i64,
    /// Active projects.
    pub total_projects: i64,
    /// Generations of the last 7 days.
    pub recent_generations: i64,
    pub credit_usage: CreditUsage,
    /// Up to 5 library poses most often selected, ties by name.
    pub top_used_poses: Vec<TopPose>,
    /// The prices in force (`COST_POSE_*`), so a client can show a generation's price
    /// before it is confirmed.
    pub costs: PoseCosts,
}

/// The Pose Generator's price list, in credits.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseCosts {
    /// Per generated image.
    pub per_pose: i32,
    /// Added per image when the background changer is on.
    pub background_per_pose: i32,
    /// One background change of a generated image.
    pub background_change: i32,
}

impl From<&crate::config::Costs> for PoseCosts {
    fn from(costs: &crate::config::Costs) -> Self {
        Self {
            per_pose: costs.pose_per_pose,
            background_per_pose: costs.pose_background_per_pose,
            background_change: costs.pose_background_change,
        }
    }
}

/// Net credits spent on pose generations since `since` (all time for `None`).
async fn spent(
    db: &impl ConnectionTrait,
    user_id: &str,
    since: Option<chrono::NaiveDateTime>,
) -> Result<i64, DbErr> {
    let mut query = credits::Entity::find()
        .select_only()
        .column_as(credits::Column::Amount.sum(), "net")
        .filter(credits::Column::UserId.eq(user_id))
        .filter(credits::Column::ReferenceType.eq(REFUND_REFERENCE))
        .filter(credits::Column::Type.is_in(["usage", "refund"]));
    if let Some(since) = since {
        query = query.filter(credits::Column::CreatedAt.gte(since));
    }
    let net: Option<Option<i64>> = query.into_tuple().one(db).await?;
    // Charges are negative and refunds positive: spent is the opposite of their sum.
    Ok(-net.flatten().unwrap_or(0))
}

pub async fn stats(
    db: &impl ConnectionTrait,
    costs: &crate::config::Costs,
    user_id: &str,
) -> Result<PoseStats, DbErr> {
    let now = timestamp::now();
    let total_poses_generated = generated_poses::Entity::find()
        .join(
            JoinType::InnerJoin,
            generated_poses::Relation::PoseGenerations.def(),
        )
        .filter(pose_generations::Column::UserId.eq(user_id))
        .filter(generated_poses::Column::Status.eq(GeneratedPoseStatus::Completed))
        .count(db)
        .await?;
    let total_projects = pose_generator_projects::Entity::find()
        .filter(pose_generator_projects::Column::UserId.eq(user_id))
        .filter(pose_generator_projects::Column::Status.eq(PoseProjectStatus::Active))
        .count(db)
        .await?;
    let generations = pose_generations::Entity::find()
        .filter(pose_generations::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    let recent_generations = pose_generations::Entity::find()
        .filter(pose_generations::Column::UserId.eq(user_id))
        .filter(pose_generations::Column::CreatedAt.gte(now - Duration::days(7)))
        .count(db)
        .await?;
    let total_spent = spent(db, user_id, None).await?;
    let last30_days = spent(db, user_id, Some(now - Duration::days(30))).await?;
    let average_per_generation = if generations == 0 {
        0
    } else {
        (total_spent as f64 / generations as f64).round() as i64
    };
    let top: Vec<(String, String, String, i64)> = pose_selections::Entity::find()
        .select_only()
        .column(pose_library::Column::Id)
        .column(pose_library::Column::Name)
        .column(pose_library::Column::PreviewImageUrl)
        .column_as(pose_selections::Column::Id.count(), "uses")
        .join(
            JoinType::InnerJoin,
            pose_selections::Relation::PoseGenerations.def(),
        )
        .join(
            JoinType::InnerJoin,
            pose_selections::Relation::PoseLibrary.def(),
        )
        .filter(pose_generations::Column::UserId.eq(user_id))
        .group_by(pose_library::Column::Id)
        .group_by(pose_library::Column::Name)
        .group_by(pose_library::Column::PreviewImageUrl)
        .order_by_desc(pose_selections::Column::Id.count())
        .order_by_asc(pose_library::Column::Name)
        .limit(5)
        .into_tuple()
        .all(db)
        .await?;
    let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(PoseStats {
        costs: costs.into(),
        total_poses_generated: signed(total_poses_generated),
        total_projects: signed(total_projects),
        recent_generations: signed(recent_generations),
        credit_usage: CreditUsage {
            total_spent,
            last30_days,
            average_per_generation,
        },
        top_used_poses: top
            .into_iter()
            .map(|(pose_id, pose_name, preview_url, usage_count)| TopPose {
                pose_id,
                pose_name,
                usage_count,
                preview_url,
            })
            .collect(),
    })
}
