//! Recording each variation in its own small transaction, and the one finalising
//! transaction: counts, status, the exact refund, the quota return and the avatar usage.

use entity::{avatar_usage_history, avatars, generated_poses, jobs, pose_generations, users};
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;

use super::{CONTROLNET_WEIGHT, OPEN, Outcome, REFUND_REFERENCE, Variation};
use crate::credits::ledger;
use crate::jobs::{JobError, queue};
use crate::pose_generator::generate::Payload;
use crate::providers::GenerateRequest;
use crate::vocabulary::{GeneratedPoseStatus, JobStatus, PoseGenerationStatus};
use crate::{ids, timestamp};

/// Upserts the variation's row and recomputes the generation's counts, in one small
/// transaction, only while this worker holds the job and the generation is open.
pub(super) async fn record(
    db: &DatabaseConnection,
    generation: &pose_generations::Model,
    variation: &Variation,
    request: &GenerateRequest,
    outcome: &Outcome,
    job_id: &str,
    worker: &str,
) -> Result<bool, JobError> {
    let txn = db.begin().await?;
    let held = jobs::Entity::find_by_id(job_id)
        .filter(jobs::Column::Status.eq(JobStatus::Running))
        .filter(jobs::Column::LeaseOwner.eq(worker))
        .count(&txn)
        .await?
        == 1;
    if !held {
        txn.rollback().await?;
        return Ok(false);
    }
    let existing = generated_poses::Entity::find()
        .filter(generated_poses::Column::GenerationId.eq(generation.id.as_str()))
        .filter(generated_poses::Column::VariationKey.eq(variation.key.as_str()))
        .one(&txn)
        .await?;
    let is_new = existing.is_none();
    let mut row = match existing {
        Some(row) => row.into(),
        None => generated_poses::ActiveModel {
            id: Set(ids::new_id()),
            generation_id: Set(generation.id.clone()),
            variation_key: Set(Some(variation.key.clone())),
            created_at: Set(timestamp::now()),
            is_favorite: Set(false),
            download_count: Set(0),
            controlnet_weight: Set(CONTROLNET_WEIGHT),
            ai_confidence_score: Set(None),
            ..Default::default()
        },
    };
    row.pose_library_id = Set(variation.pose_id.clone());
    row.prompt_used = Set(request.prompt.clone());
    row.seed_used = Set(Some(request.seed as i32));
    match outcome {
        Outcome::Completed {
            image,
            thumbnail,
            exports,
            background_changed,
            background_error,
            seconds,
        } => {
            row.status = Set(GeneratedPoseStatus::Completed.into());
            row.output_image_url = Set(image.url());
            row.thumbnail_url = Set(thumbnail.url());
            row.original_image_url = Set(Some(image.url()));
            row.export_formats = Set(serde_json::Value::Object(exports.clone()));
            row.background_changed = Set(*background_changed);
            row.background_prompt = Set(if *background_changed {
                generation.background_prompt.clone()
            } else {
                None
            });
            row.generation_time = Set(Some((seconds * 100.0).round() / 100.0));
            row.error_message = Set(background_error.clone());
        }
        Outcome::Failed(message) => {
            row.status = Set(GeneratedPoseStatus::Failed.into());
            row.output_image_url = Set(String::new());
            row.thumbnail_url = Set(String::new());
            row.original_image_url = Set(None);
            row.export_formats = Set(json!({}));
            row.background_changed = Set(false);
            row.background_prompt = Set(None);
            row.generation_time = Set(None);
            row.error_message = Set(Some(message.clone()));
        }
    }
    if is_new {
        row.insert(&txn).await?;
    } else {
        row.update(&txn).await?;
    }
    let (completed, failed) = counts(&txn, &generation.id).await?;
    let total = std::cmp::max(generation.total_expected_poses, 1);
    let progress = ((completed + failed) * 100 + total / 2) / total;
    let updated = pose_generations::Entity::update_many()
        .col_expr(
            pose_generations::Column::PosesCompleted,
            Expr::value(completed),
        )
        .col_expr(pose_generations::Column::PosesFailed, Expr::value(failed))
        .col_expr(
            pose_generations::Column::Progress,
            Expr::value(std::cmp::min(progress, 100)),
        )
        .filter(pose_generations::Column::Id.eq(generation.id.as_str()))
        .filter(pose_generations::Column::Status.eq(PoseGenerationStatus::Processing))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    txn.commit().await?;
    Ok(true)
}

/// `(completed, failed)` rows of a generation, recomputed from the rows themselves.
pub(super) async fn counts(
    db: &impl ConnectionTrait,
    generation_id: &str,
) -> Result<(i32, i32), migration::sea_orm::DbErr> {
    let rows: Vec<(String, i64)> = generated_poses::Entity::find()
        .select_only()
        .column(generated_poses::Column::Status)
        .column_as(generated_poses::Column::Id.count(), "n")
        .filter(generated_poses::Column::GenerationId.eq(generation_id))
        .group_by(generated_poses::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let of = |status: GeneratedPoseStatus| {
        rows.iter()
            .find(|(s, _)| s == status.as_str())
            .map_or(0, |(_, n)| *n as i32)
    };
    Ok((
        of(GeneratedPoseStatus::Completed),
        of(GeneratedPoseStatus::Failed),
    ))
}

/// Finalises the generation (§8.3.4 step 4, §8.3.6) in one transaction: the status
/// from the stored rows, progress 100, timings, the refund of what did not complete
/// (or the quota return), the avatar usage, and the job. `error` is set by recovery and
/// timeouts: images that were never attempted count as failed. `worker` is `None` for
/// recovery (the job then ends `failed`). `Ok(false)` when someone else finalised it.
pub async fn finalise(
    db: &DatabaseConnection,
    generation_id: &str,
    payload: Option<&Payload>,
    job_id: &str,
    worker: Option<&str>,
    error: Option<&str>,
) -> Result<bool, JobError> {
    let txn = ledger::begin(db).await?;
    let Some(generation) = pose_generations::Entity::find_by_id(generation_id)
        .one(&txn)
        .await?
    else {
        txn.rollback().await?;
        queue::finish_orphan(db, job_id, worker).await?;
        return Ok(false);
    };
    let now = timestamp::now();
    let (completed, _) = counts(&txn, generation_id).await?;
    let planned = generation.total_expected_poses;
    let failed = std::cmp::max(planned - completed, 0);
    let background_failures = if generation.use_background_changer {
        generated_poses::Entity::find()
            .filter(generated_poses::Column::GenerationId.eq(generation_id))
            .filter(generated_poses::Column::Status.eq(GeneratedPoseStatus::Completed))
            .filter(generated_poses::Column::BackgroundChanged.eq(false))
            .count(&txn)
            .await? as i32
    } else {
        0
    };
    let status = if completed == 0 {
        PoseGenerationStatus::Failed
    } else if failed > 0 {
        PoseGenerationStatus::Partial
    } else {
        PoseGenerationStatus::Completed
    };
    // The unit prices come from the job; without it the whole charge was for nothing.
    let refund = if generation.credit_charged == 0 {
        0
    } else {
        match payload {
            Some(p) => {
                let unit = p.per_pose.saturating_add(p.per_background);
                failed
                    .saturating_mul(unit)
                    .saturating_add(background_failures.saturating_mul(p.per_background))
            }
            None => generation.credit_charged,
        }
    };
    let refund = std::cmp::min(refund, generation.credit_charged);
    let (avg, total_seconds) = timings(&txn, &generation, now).await?;
    let message = match (error, status) {
        (Some(error), _) => Some(error.to_owned()),
        (None, PoseGenerationStatus::Failed) => Some("No pose could be generated".to_owned()),
        _ => None,
    };
    let updated = pose_generations::Entity::update_many()
        .col_expr(pose_generations::Column::Status, Expr::value(status))
        .col_expr(pose_generations::Column::Progress, Expr::value(100))
        .col_expr(
            pose_generations::Column::PosesCompleted,
            Expr::value(completed),
        )
        .col_expr(pose_generations::Column::PosesFailed, Expr::value(failed))
        .col_expr(pose_generations::Column::CompletedAt, Expr::value(now))
        .col_expr(
            pose_generations::Column::AvgGenerationTime,
            Expr::value(avg),
        )
        .col_expr(
            pose_generations::Column::TotalProcessingTime,
            Expr::value(total_seconds),
        )
        .col_expr(
            pose_generations::Column::CreditRefunded,
            Expr::value(refund),
        )
        .col_expr(pose_generations::Column::ErrorMessage, Expr::value(message))
        .filter(pose_generations::Column::Id.eq(generation_id))
        .filter(pose_generations::Column::Status.is_in(OPEN))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        queue::abandon_finalised(txn, db, job_id, worker, JobStatus::Succeeded).await?;
        return Ok(false);
    }
    ledger::refund_once(
        &txn,
        ledger::Refund {
            user_id: &generation.user_id,
            amount: refund,
            reference_type: REFUND_REFERENCE,
            reference_id: generation_id,
            description: format!("Refund: {failed} of {planned} poses failed"),
        },
    )
    .await?;
    if let Some(day) = payload.and_then(|p| p.quota_day)
        && failed > 0
    {
        // Quota units come back only on the day they were taken.
        users::Entity::update_many()
            .col_expr(
                users::Column::UnlimitedPoseQuotaUsed,
                Expr::case(
                    Expr::col(users::Column::UnlimitedPoseQuotaUsed).gt(failed),
                    Expr::col(users::Column::UnlimitedPoseQuotaUsed).sub(failed),
                )
                .finally(0)
                .into(),
            )
            .filter(users::Column::Id.eq(generation.user_id.as_str()))
            .filter(users::Column::UnlimitedPoseQuotaResetAt.eq(day))
            .exec(&txn)
            .await?;
    }
    if status != PoseGenerationStatus::Failed
        && let Some(avatar_id) = &generation.avatar_id
    {
        record_avatar_usage(&txn, &generation, avatar_id, completed, failed, now).await?;
    }
    let job_status = if worker.is_some() {
        JobStatus::Succeeded
    } else {
        JobStatus::Failed
    };
    if !queue::finish(&txn, job_id, worker, job_status, error).await? {
        txn.rollback().await?;
        return Ok(false);
    }
    txn.commit().await?;
    crate::metrics::generation_finished("pose_generation", status.as_str());
    Ok(true)
}

/// `(avgGenerationTime, totalProcessingTime)` in seconds.
pub(super) async fn timings(
    db: &impl ConnectionTrait,
    generation: &pose_generations::Model,
    now: chrono::NaiveDateTime,
) -> Result<(Option<f64>, Option<f64>), migration::sea_orm::DbErr> {
    let times: Vec<Option<f64>> = generated_poses::Entity::find()
        .select_only()
        .column(generated_poses::Column::GenerationTime)
        .filter(generated_poses::Column::GenerationId.eq(generation.id.as_str()))
        .filter(generated_poses::Column::Status.eq(GeneratedPoseStatus::Completed))
        .into_tuple()
        .all(db)
        .await?;
    let times: Vec<f64> = times.into_iter().flatten().collect();
    let avg = (!times.is_empty()).then(|| {
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        (mean * 100.0).round() / 100.0
    });
    let total = generation
        .started_at
        .map(|start| ((now - start).num_milliseconds() as f64 / 1000.0).max(0.0));
    Ok((avg, total))
}

/// One `avatar_usage_history` row per (avatar, generation), and the avatar's counters
/// (§8.7); nothing if the avatar is gone.
pub(super) async fn record_avatar_usage(
    txn: &impl ConnectionTrait,
    generation: &pose_generations::Model,
    avatar_id: &str,
    completed: i32,
    failed: i32,
    now: chrono::NaiveDateTime,
) -> Result<(), migration::sea_orm::DbErr> {
    if avatars::Entity::find_by_id(avatar_id).count(txn).await? == 0 {
        return Ok(());
    }
    let recorded = avatar_usage_history::Entity::find()
        .filter(avatar_usage_history::Column::AvatarId.eq(avatar_id))
        .filter(avatar_usage_history::Column::ReferenceType.eq(REFUND_REFERENCE))
        .filter(avatar_usage_history::Column::ReferenceId.eq(generation.id.as_str()))
        .count(txn)
        .await?;
    if recorded > 0 {
        return Ok(());
    }
    avatar_usage_history::ActiveModel {
        id: Set(ids::new_id()),
        avatar_id: Set(avatar_id.to_owned()),
        user_id: Set(generation.user_id.clone()),
        app_id: Set("pose-generator".into()),
        app_name: Set("Pose Generator".into()),
        action: Set("generate_pose".into()),
        reference_id: Set(Some(generation.id.clone())),
        reference_type: Set(Some(REFUND_REFERENCE.into())),
        metadata: Set(Some(
            json!({
                "projectId": generation.project_id,
                "generationType": generation.generation_type,
                "posesCompleted": completed,
                "posesFailed": failed,
            })
            .to_string(),
        )),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    avatars::Entity::update_many()
        .col_expr(
            avatars::Column::UsageCount,
            Expr::col(avatars::Column::UsageCount).add(1),
        )
        .col_expr(avatars::Column::LastUsedAt, Expr::value(now))
        .filter(avatars::Column::Id.eq(avatar_id))
        .exec(txn)
        .await?;
    Ok(())
}
