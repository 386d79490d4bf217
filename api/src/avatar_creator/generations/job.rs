//! The worker side of an avatar generation: the provider's image stored with its
//! thumbnail and the avatar created, or the generation failed and its charge refunded
//! exactly once.

use entity::{avatar_generations, jobs};
use migration::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait, sea_query::Expr,
};

use super::{JOB_KIND, JobError, OPEN, Options, Payload, REFUND_REFERENCE, build_prompt};
use crate::vocabulary::{AvatarGenerationStatus, JobStatus};
use crate::{
    app::AppState,
    credits::ledger,
    ids, images,
    jobs::queue,
    providers::{GenerateRequest, NEGATIVE_PROMPT},
    storage::{Storage, StorageKey},
    timestamp,
};

/// The queue's view of an avatar generation (registered at start-up).
pub struct AvatarGenerationJob;

#[async_trait::async_trait]
impl crate::jobs::JobHandler for AvatarGenerationJob {
    fn kind(&self) -> &'static str {
        JOB_KIND
    }

    async fn run(&self, state: &AppState, job: &jobs::Model, worker: &str) -> Result<(), JobError> {
        run(state, job, worker).await
    }

    async fn reopen(
        &self,
        txn: &DatabaseTransaction,
        job: &jobs::Model,
        _count_recovery: bool,
    ) -> Result<(), DbErr> {
        avatar_generations::Entity::update_many()
            .col_expr(
                avatar_generations::Column::Status,
                Expr::value(AvatarGenerationStatus::Pending),
            )
            .filter(avatar_generations::Column::Id.eq(job.reference_id.as_str()))
            .filter(avatar_generations::Column::Status.eq(AvatarGenerationStatus::Processing))
            .exec(txn)
            .await?;
        Ok(())
    }

    async fn give_up(
        &self,
        db: &DatabaseConnection,
        job: &jobs::Model,
        message: &str,
    ) -> Result<bool, JobError> {
        let Some(generation) = avatar_generations::Entity::find_by_id(job.reference_id.as_str())
            .one(db)
            .await?
        else {
            return Ok(queue::finish_orphan(db, &job.id, None).await?);
        };
        // Without a readable payload nothing was charged that we know of.
        let charged = serde_json::from_str::<Payload>(&job.payload).map_or(0, |p| p.charged);
        fail(db, &generation, &job.id, None, message, None, charged).await
    }

    /// The generation row has no start time: the limit counts from its creation (queue
    /// time included), which can only end work earlier, never later.
    async fn started_before(
        &self,
        db: &DatabaseConnection,
        job: &jobs::Model,
        cutoff: chrono::NaiveDateTime,
    ) -> Result<bool, DbErr> {
        Ok(
            avatar_generations::Entity::find_by_id(job.reference_id.as_str())
                .filter(avatar_generations::Column::CreatedAt.lt(cutoff))
                .count(db)
                .await?
                > 0,
        )
    }
}

/// The worker side of §8.3.3 for one claimed job.
pub async fn run(state: &AppState, job: &jobs::Model, worker: &str) -> Result<(), JobError> {
    let db = &state.db;
    let Some(generation) = avatar_generations::Entity::find_by_id(job.reference_id.as_str())
        .one(db)
        .await?
    else {
        queue::finish_orphan(db, &job.id, Some(worker)).await?;
        return Ok(());
    };
    if generation.status == AvatarGenerationStatus::Completed.as_str()
        || generation.status == AvatarGenerationStatus::Failed.as_str()
    {
        let status = if generation.status == AvatarGenerationStatus::Completed.as_str() {
            JobStatus::Succeeded
        } else {
            JobStatus::Failed
        };
        queue::finish(db, &job.id, Some(worker), status, None).await?;
        return Ok(());
    }
    let payload: Payload = match serde_json::from_str(&job.payload) {
        Ok(payload) => payload,
        Err(err) => {
            tracing::error!(job = job.id, error = %err, "unreadable avatar generation payload");
            // Without the payload nothing was charged that we know of: refund nothing.
            fail(
                db,
                &generation,
                &job.id,
                Some(worker),
                "Generation could not be processed",
                Some(&format!("unreadable payload: {err}")),
                0,
            )
            .await?;
            return Ok(());
        }
    };
    let processing = avatar_generations::Entity::update_many()
        .col_expr(
            avatar_generations::Column::Status,
            Expr::value(AvatarGenerationStatus::Processing),
        )
        .filter(avatar_generations::Column::Id.eq(generation.id.as_str()))
        .filter(avatar_generations::Column::Status.is_in(OPEN))
        .exec(db)
        .await?;
    if processing.rows_affected != 1 {
        queue::finish(
            db,
            &job.id,
            Some(worker),
            JobStatus::Failed,
            Some("generation finalised"),
        )
        .await?;
        return Ok(());
    }
    if let Some(avatar_id) = &generation.avatar_id {
        // A previous attempt created the avatar and died before finishing.
        if complete(db, &generation.id, avatar_id, &job.id, worker, None).await? {
            crate::metrics::generation_finished("avatar_generation", "completed");
        }
        return Ok(());
    }

    let options: Options = generation
        .options
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| JobError::Internal("generation options unreadable".into()))?;
    let request = GenerateRequest {
        prompt: build_prompt(&payload.avatar, &generation.prompt),
        negative_prompt: NEGATIVE_PROMPT.to_owned(),
        width: u32::try_from(options.width).unwrap_or(1024),
        height: u32::try_from(options.height).unwrap_or(1024),
        seed: u32::try_from(options.seed).unwrap_or(0),
        pose_map: None,
    };
    let bytes = match crate::providers::with_retries(|| state.provider.generate(&request)).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::warn!(generation = generation.id, error = %err, "avatar generation failed");
            fail(
                db,
                &generation,
                &job.id,
                Some(worker),
                &err.user_message(),
                Some(&err.to_string()),
                payload.charged,
            )
            .await?;
            return Ok(());
        }
    };

    let storage = &state.storage;
    let (original, thumbnail) = store(storage, &generation.user_id, bytes)
        .await
        .map_err(JobError::Internal)?;
    let avatar_id = ids::new_id();
    let result = create_avatar(
        db,
        &generation,
        &payload,
        options.seed,
        &avatar_id,
        (&original, &thumbnail),
        &job.id,
        worker,
    )
    .await;
    if !matches!(result, Ok(true)) {
        for key in [&original, &thumbnail] {
            if let Err(err) = storage.delete(key).await {
                tracing::warn!(key = key.as_str(), error = %err, "could not remove a generated file");
            }
        }
    }
    result.map(|_| ())
}

/// The original (PNG or JPEG, by its real type) and its 300×300 JPEG thumbnail under
/// `avatar-creator/<userId>/`.
async fn store(
    storage: &Storage,
    user_id: &str,
    bytes: Vec<u8>,
) -> Result<(StorageKey, StorageKey), String> {
    let kind = images::ImageKind::sniff(&bytes)
        .ok_or_else(|| "the provider returned something that is not an image".to_owned())?;
    let original = StorageKey::avatar_original(user_id, kind.extension())
        .ok_or_else(|| format!("user id {user_id:?} is not a plain id"))?;
    let thumbnail = original.thumbnail_of();
    let (bytes, thumb) = tokio::task::spawn_blocking(move || {
        let image = image::load_from_memory(&bytes).map_err(|e| e.to_string())?;
        let thumb = images::cover_thumbnail_jpeg(&image, 300).map_err(|e| e.to_string())?;
        Ok::<_, String>((bytes, thumb))
    })
    .await
    .map_err(|e| e.to_string())??;
    storage
        .put(&original, bytes)
        .await
        .map_err(|e| e.to_string())?;
    if let Err(err) = storage.put(&thumbnail, thumb).await {
        let _ = storage.delete(&original).await;
        return Err(err.to_string());
    }
    Ok((original, thumbnail))
}

/// One transaction: the avatar, the generation `completed`, the job `succeeded`.
/// `Ok(false)` when the generation was finalised meanwhile or the lease was lost:
/// nothing is written.
#[allow(clippy::too_many_arguments)]
async fn create_avatar(
    db: &DatabaseConnection,
    generation: &avatar_generations::Model,
    payload: &Payload,
    seed: i32,
    avatar_id: &str,
    (original, thumbnail): (&StorageKey, &StorageKey),
    job_id: &str,
    worker: &str,
) -> Result<bool, JobError> {
    let txn = db.begin().await?;
    let now = timestamp::now();
    crate::avatar_creator::avatars::NewAvatar {
        id: avatar_id,
        user_id: &generation.user_id,
        project_id: &generation.project_id,
        fields: payload.avatar.clone(),
        image: original,
        thumbnail,
        source_type: &payload.source_type,
        generation_prompt: Some(generation.prompt.clone()),
        seed_used: Some(seed),
        now,
    }
    .into_active_model()
    .insert(&txn)
    .await?;
    if complete(&txn, &generation.id, avatar_id, job_id, worker, Some(now)).await? {
        txn.commit().await?;
        crate::metrics::generation_finished("avatar_generation", "completed");
        Ok(true)
    } else {
        txn.rollback().await?;
        Ok(false)
    }
}

/// Generation `completed` (only from `processing`) and job `succeeded` (only while
/// this worker holds it); `false` if either no longer matches.
async fn complete(
    db: &impl ConnectionTrait,
    generation_id: &str,
    avatar_id: &str,
    job_id: &str,
    worker: &str,
    now: Option<chrono::NaiveDateTime>,
) -> Result<bool, JobError> {
    let now = now.unwrap_or_else(timestamp::now);
    let updated = avatar_generations::Entity::update_many()
        .col_expr(
            avatar_generations::Column::Status,
            Expr::value(AvatarGenerationStatus::Completed),
        )
        .col_expr(avatar_generations::Column::AvatarId, Expr::value(avatar_id))
        .col_expr(avatar_generations::Column::CompletedAt, Expr::value(now))
        .filter(avatar_generations::Column::Id.eq(generation_id))
        .filter(avatar_generations::Column::Status.eq(AvatarGenerationStatus::Processing))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(false);
    }
    Ok(queue::finish(db, job_id, Some(worker), JobStatus::Succeeded, None).await?)
}

/// Finalises a generation as `failed` (§8.3.3 step 7, §8.2.6), in one transaction:
/// the conditional status change, the refund of `charged` unless one already exists
/// for this generation, and the job `failed`. Returns whether this call finalised it;
/// a generation already finalised by someone else is left alone, and refunded never.
pub async fn fail(
    db: &DatabaseConnection,
    generation: &avatar_generations::Model,
    job_id: &str,
    worker: Option<&str>,
    message: &str,
    detail: Option<&str>,
    charged: i32,
) -> Result<bool, JobError> {
    let message: String = message.chars().take(500).collect();
    let txn = ledger::begin(db).await?;
    let now = timestamp::now();
    let updated = avatar_generations::Entity::update_many()
        .col_expr(
            avatar_generations::Column::Status,
            Expr::value(AvatarGenerationStatus::Failed),
        )
        .col_expr(
            avatar_generations::Column::ErrorMessage,
            Expr::value(message.as_str()),
        )
        .col_expr(avatar_generations::Column::CompletedAt, Expr::value(now))
        .filter(avatar_generations::Column::Id.eq(generation.id.as_str()))
        .filter(avatar_generations::Column::Status.is_in(OPEN))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        queue::abandon_finalised(txn, db, job_id, worker, JobStatus::Failed).await?;
        return Ok(false);
    }
    ledger::refund_once(
        &txn,
        ledger::Refund {
            user_id: &generation.user_id,
            amount: charged,
            reference_type: REFUND_REFERENCE,
            reference_id: &generation.id,
            description: "Refund: avatar generation failed".into(),
        },
    )
    .await?;
    let job_error = detail.unwrap_or(&message);
    if !queue::finish(&txn, job_id, worker, JobStatus::Failed, Some(job_error)).await? {
        // The lease moved to another worker, which will finalise it.
        txn.rollback().await?;
        return Ok(false);
    }
    txn.commit().await?;
    crate::metrics::generation_finished("avatar_generation", "failed");
    Ok(true)
}
