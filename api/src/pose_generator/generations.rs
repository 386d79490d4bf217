//! Reading generations (api.md §7.10–§7.12): the caller's list, one generation with
//! its poses, project and progress, and the results of a finished one.

use crate::http::presence::Nullable;
use crate::ids;
use crate::vocabulary::{LEGACY_QUEUED, PoseGenerationStatus, Vocabulary, Word};
use entity::{generated_poses, pose_generations};
use migration::sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use poem_openapi::Object;

use super::error::PoseGeneratorError;
use super::generate::SECONDS_PER_POSE;
use super::job::OPEN;
use super::views::{GeneratedPose, PoseGeneration, public_status};
use crate::error::FieldErrors;
use crate::pagination::{PageRequest, Pagination};

/// The caller's generation, or 404.
pub async fn find_owned(
    db: &impl ConnectionTrait,
    user_id: &str,
    id: &str,
) -> Result<pose_generations::Model, PoseGeneratorError> {
    if !ids::is_plausible(id) {
        return Err(PoseGeneratorError::GenerationNotFound);
    }
    pose_generations::Entity::find_by_id(id)
        .filter(pose_generations::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(PoseGeneratorError::GenerationNotFound)
}

/// The `progress` object of §7.11.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct Progress {
    /// `round(100 × (completed + failed) / total)`; 100 once finished.
    pub percentage: i64,
    pub poses_completed: i64,
    pub poses_failed: i64,
    pub poses_total: i64,
    pub current_status: Word<PoseGenerationStatus>,
    /// Seconds, only while `processing`.
    #[oai(nullable)]
    pub estimated_time_remaining: Nullable<i64>,
}

impl Progress {
    pub fn of(generation: &pose_generations::Model) -> Self {
        let (done, failed, total) = (
            i64::from(generation.poses_completed),
            i64::from(generation.poses_failed),
            i64::from(generation.total_expected_poses),
        );
        let open = OPEN.contains(&generation.status.as_str());
        let percentage = if !open {
            100
        } else if total > 0 {
            ((done + failed) * 100 + total / 2) / total
        } else {
            0
        };
        let estimated_time_remaining =
            (generation.status == PoseGenerationStatus::Processing.as_str()).then(|| {
                let remaining = (total - done - failed).max(0);
                match generation.avg_generation_time {
                    Some(avg) => (remaining as f64 * avg).round() as i64,
                    None => remaining * SECONDS_PER_POSE,
                }
            });
        Self {
            percentage: percentage.min(100),
            poses_completed: done,
            poses_failed: failed,
            poses_total: total,
            current_status: Word::stored(&public_status(&generation.status)),
            estimated_time_remaining: estimated_time_remaining.into(),
        }
    }
}

/// One page of the caller's generations, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: &str,
    project_id: Option<&str>,
    status: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<PoseGeneration>, Pagination), PoseGeneratorError> {
    if let Some(status) = status
        && PoseGenerationStatus::parse(status).is_none()
    {
        return Err(PoseGeneratorError::Invalid(FieldErrors::new().with(
            "status",
            format!(
                "Must be one of: {}",
                PoseGenerationStatus::words().join(", ")
            ),
        )));
    }
    let mut query =
        pose_generations::Entity::find().filter(pose_generations::Column::UserId.eq(user_id));
    if let Some(project_id) = project_id {
        query = query.filter(pose_generations::Column::ProjectId.eq(project_id));
    }
    match status {
        Some(status) if status == PoseGenerationStatus::Pending.as_str() => {
            query = query.filter(
                pose_generations::Column::Status
                    .is_in([PoseGenerationStatus::Pending.as_str(), LEGACY_QUEUED]),
            )
        }
        Some(status) => query = query.filter(pose_generations::Column::Status.eq(status)),
        None => {}
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(pose_generations::Column::CreatedAt)
        .order_by_desc(pose_generations::Column::Id)
        .offset(page.offset())
        .limit(page.limit)
        .all(db)
        .await?;
    Ok((rows.into_iter().map(Into::into).collect(), page.of(total)))
}

/// Every pose of a generation, oldest first (then id).
pub async fn poses(
    db: &impl ConnectionTrait,
    generation_id: &str,
) -> Result<Vec<generated_poses::Model>, PoseGeneratorError> {
    Ok(generated_poses::Entity::find()
        .filter(generated_poses::Column::GenerationId.eq(generation_id))
        .order_by_asc(generated_poses::Column::CreatedAt)
        .order_by_asc(generated_poses::Column::Id)
        .all(db)
        .await?)
}

/// The `generation` summary of §7.12.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct ResultsSummary {
    pub id: String,
    pub status: Word<PoseGenerationStatus>,
    pub total_poses: i32,
    pub success_count: i32,
    pub failed_count: i32,
    pub credit_charged: i32,
    pub credit_refunded: i32,
}

/// The results of a `completed` or `partial` generation; 409 otherwise.
pub async fn results(
    db: &impl ConnectionTrait,
    user_id: &str,
    id: &str,
) -> Result<(Vec<GeneratedPose>, ResultsSummary), PoseGeneratorError> {
    let generation = find_owned(db, user_id, id).await?;
    if generation.status != PoseGenerationStatus::Completed.as_str()
        && generation.status != PoseGenerationStatus::Partial.as_str()
    {
        return Err(PoseGeneratorError::ResultsNotReady {
            status: public_status(&generation.status),
        });
    }
    let poses = poses(db, &generation.id).await?;
    Ok((
        poses.into_iter().map(Into::into).collect(),
        ResultsSummary {
            id: generation.id,
            status: Word::stored(&generation.status),
            total_poses: generation.total_expected_poses,
            success_count: generation.poses_completed,
            failed_count: generation.poses_failed,
            credit_charged: generation.credit_charged,
            credit_refunded: generation.credit_refunded,
        },
    ))
}
