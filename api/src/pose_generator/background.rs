//! Changing the background of one generated pose (api.md §7.15, §8.3.5): the request
//! charges 10 credits and queues a `background_change` job in one transaction; the job
//! re-renders the pose with the new background, stores it under a new name with its
//! thumbnail and every rendition it had, or on failure notes the error on the pose and
//! refunds the 10 credits once.

use entity::{generated_poses, jobs, pose_generations, pose_library};
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::PoseGeneratorError;
use super::exports::find_owned_pose;
use super::generate::Background;
use super::job::{self, IMAGE_SIDE};
use crate::app::AppState;
use crate::constraint::{OnConstraint, Violation};
use crate::credits::ledger;
use crate::error::FieldErrors;
use crate::jobs::{JobError, queue};
use crate::providers::{self, BackgroundRequest, GenerateRequest, NEGATIVE_PROMPT};
use crate::storage::StorageKey;
use crate::vocabulary::{GeneratedPoseStatus, JobStatus};
use crate::{config::Costs, timestamp};

pub const ACTION: &str = "change_background";
pub const REFUND_REFERENCE: &str = "background_change";
/// The `jobs.kind` of a background change.
pub const JOB_KIND: &str = "background_change";
const APP_ID: &str = "pose-generator";

/// What the job needs: the new background and what was charged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    pub background: Background,
    pub charged: i32,
    pub generation_id: String,
}

/// The 202 answer's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub pose_id: String,
    pub job_id: String,
    pub output_image_url: String,
    pub credit_charged: i32,
    pub credit_balance: i32,
}

/// Validates (400), checks the pose (404, 409 not completed, 409 one change at a
/// time), then charges and queues in one transaction (402 writes nothing).
#[allow(clippy::too_many_arguments)]
pub async fn request(
    db: &DatabaseConnection,
    costs: &Costs,
    user_id: &str,
    pose_id: &str,
    mode: Option<&str>,
    prompt: Option<&str>,
    color: Option<&str>,
    image_url: Option<&str>,
) -> Result<Queued, PoseGeneratorError> {
    let mut errors = FieldErrors::new();
    let background = Background::parse(mode, prompt, color, image_url, &mut errors);
    if !errors.is_empty() {
        return Err(PoseGeneratorError::Invalid(errors));
    }
    let background = background.expect("validated");
    let pose = find_owned_pose(db, user_id, pose_id).await?;
    if pose.status != GeneratedPoseStatus::Completed.as_str() {
        return Err(PoseGeneratorError::PoseNotCompleted);
    }
    let open = jobs::Entity::find()
        .filter(jobs::Column::Kind.eq(JOB_KIND))
        .filter(jobs::Column::ReferenceId.eq(pose.id.as_str()))
        .filter(jobs::Column::Status.is_in([JobStatus::Queued, JobStatus::Running]))
        .count(db)
        .await?;
    if open > 0 {
        return Err(PoseGeneratorError::BackgroundChangeInProgress);
    }
    let cost = costs.pose_background_change;
    let txn = ledger::begin(db).await?;
    let now = timestamp::now();
    let payload = Payload {
        background: background.clone(),
        charged: cost,
        generation_id: pose.generation_id.clone(),
    };
    let job = queue::enqueue(
        &txn,
        JOB_KIND,
        &pose.id,
        &serde_json::to_value(&payload).map_err(PoseGeneratorError::internal)?,
        5,
    )
    .await
    // The one-open-job-per-reference index: a concurrent request won.
    .on_constraint(|v| {
        (v == Violation::Unique).then_some(PoseGeneratorError::BackgroundChangeInProgress)
    })?;
    let balance =
        ledger::charge(&txn, user_id, cost, format!("{APP_ID}: {ACTION}"), &job.id).await?;
    generated_poses::Entity::update_many()
        .col_expr(
            generated_poses::Column::ErrorMessage,
            migration::sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(generated_poses::Column::Id.eq(pose.id.as_str()))
        .exec(&txn)
        .await?;
    crate::credits::record_usage(
        &txn,
        user_id,
        APP_ID,
        ACTION,
        cost,
        json!({ "poseId": pose.id, "generationId": pose.generation_id, "backgroundMode": background.mode() }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Queued {
        pose_id: pose.id,
        job_id: job.id,
        output_image_url: pose.output_image_url,
        credit_charged: cost,
        credit_balance: balance,
    })
}

/// The queue's view of a background change (registered at start-up).
pub struct BackgroundChangeJob;

#[async_trait::async_trait]
impl crate::jobs::JobHandler for BackgroundChangeJob {
    fn kind(&self) -> &'static str {
        JOB_KIND
    }

    async fn run(&self, state: &AppState, job: &jobs::Model, worker: &str) -> Result<(), JobError> {
        run(state, job, worker).await
    }

    async fn give_up(
        &self,
        db: &DatabaseConnection,
        job: &jobs::Model,
        message: &str,
    ) -> Result<bool, JobError> {
        let Some(pose) = generated_poses::Entity::find_by_id(job.reference_id.as_str())
            .one(db)
            .await?
        else {
            return Ok(queue::finish_orphan(db, &job.id, None).await?);
        };
        let charged = serde_json::from_str::<Payload>(&job.payload).map_or(0, |p| p.charged);
        fail(db, job, None, &pose, charged, message).await
    }
}

/// Runs a claimed `background_change` job (§8.3.5).
pub async fn run(state: &AppState, job: &jobs::Model, worker: &str) -> Result<(), JobError> {
    let db = &state.db;
    let payload: Option<Payload> = serde_json::from_str(&job.payload).ok();
    let pose = generated_poses::Entity::find_by_id(job.reference_id.as_str())
        .one(db)
        .await?;
    let (Some(payload), Some(pose)) = (payload, pose) else {
        queue::finish_orphan(db, &job.id, Some(worker)).await?;
        return Ok(());
    };
    if pose.status != GeneratedPoseStatus::Completed.as_str() {
        fail(
            db,
            job,
            Some(worker),
            &pose,
            payload.charged,
            "the pose is no longer completed",
        )
        .await?;
        return Ok(());
    }
    let pose_map = match &pose.pose_library_id {
        Some(id) => match pose_library::Entity::find_by_id(id.as_str())
            .one(db)
            .await?
        {
            Some(library_pose) => {
                job::read_reference(state, &library_pose.controlnet_image_url).await
            }
            None => None,
        },
        None => None,
    };
    let current = match StorageKey::from_url(&pose.output_image_url) {
        Some(key) => state.storage.get(&key).await.ok().flatten(),
        None => None,
    };
    let Some(current) = current else {
        fail(
            db,
            job,
            Some(worker),
            &pose,
            payload.charged,
            "the current image is missing",
        )
        .await?;
        return Ok(());
    };
    let change = BackgroundRequest {
        base: GenerateRequest {
            prompt: pose.prompt_used.clone(),
            negative_prompt: NEGATIVE_PROMPT.into(),
            width: IMAGE_SIDE,
            height: IMAGE_SIDE,
            seed: pose.seed_used.unwrap_or(0) as u32,
            pose_map,
        },
        image: current,
        background: job::background_spec(state, &payload.background).await,
    };
    let provider = state.provider.as_ref();
    let bytes = match providers::with_retries(|| provider.change_background(&change)).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::warn!(job = job.id, error = %err, "background change failed");
            fail(
                db,
                job,
                Some(worker),
                &pose,
                payload.charged,
                &err.user_message(),
            )
            .await?;
            return Ok(());
        }
    };
    let formats: Vec<String> = pose
        .export_formats
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let (image, thumbnail, exports) =
        job::store(&state.storage, &payload.generation_id, bytes, &formats)
            .await
            .map_err(JobError::Internal)?;
    let txn = db.begin().await?;
    let mut active: generated_poses::ActiveModel = pose.clone().into();
    active.original_image_url = Set(pose
        .original_image_url
        .clone()
        .or(Some(pose.output_image_url.clone())));
    active.output_image_url = Set(image.url());
    active.thumbnail_url = Set(thumbnail.url());
    active.export_formats = Set(serde_json::Value::Object(exports.clone()));
    active.background_changed = Set(true);
    active.background_prompt = Set(Some(payload.background.value().to_owned()));
    active.error_message = Set(None);
    active.update(&txn).await?;
    if !queue::finish(&txn, &job.id, Some(worker), JobStatus::Succeeded, None).await? {
        txn.rollback().await?;
        let mut urls = vec![image.url(), thumbnail.url()];
        urls.extend(
            exports
                .values()
                .filter_map(|v| v.as_str().map(str::to_owned)),
        );
        state
            .storage
            .delete_urls_best_effort(urls.iter().map(String::as_str))
            .await;
        return Ok(());
    }
    txn.commit().await?;
    // The replaced files, except the kept original.
    let kept = pose
        .original_image_url
        .clone()
        .unwrap_or(pose.output_image_url.clone());
    let mut old: Vec<String> = vec![pose.output_image_url.clone(), pose.thumbnail_url.clone()];
    if let Some(map) = pose.export_formats.as_object() {
        old.extend(map.values().filter_map(|v| v.as_str().map(str::to_owned)));
    }
    old.retain(|url| *url != kept);
    state
        .storage
        .delete_urls_best_effort(old.iter().map(String::as_str))
        .await;
    Ok(())
}

/// The failure transaction: the pose's error, the keyed refund, the job `failed`.
pub async fn fail(
    db: &DatabaseConnection,
    job: &jobs::Model,
    worker: Option<&str>,
    pose: &generated_poses::Model,
    charged: i32,
    reason: &str,
) -> Result<bool, JobError> {
    let txn = ledger::begin(db).await?;
    let message = format!("Background change failed: {reason}");
    let user_id = pose_generations::Entity::find_by_id(pose.generation_id.as_str())
        .one(&txn)
        .await?
        .map(|g| g.user_id);
    if !queue::finish(&txn, &job.id, worker, JobStatus::Failed, Some(&message)).await? {
        txn.rollback().await?;
        return Ok(false);
    }
    generated_poses::Entity::update_many()
        .col_expr(
            generated_poses::Column::ErrorMessage,
            migration::sea_orm::sea_query::Expr::value(message.as_str()),
        )
        .filter(generated_poses::Column::Id.eq(pose.id.as_str()))
        .exec(&txn)
        .await?;
    if let Some(user_id) = user_id {
        ledger::refund_once(
            &txn,
            ledger::Refund {
                user_id: &user_id,
                amount: charged,
                reference_type: REFUND_REFERENCE,
                reference_id: &job.id,
                description: "Refund: background change failed".into(),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}
