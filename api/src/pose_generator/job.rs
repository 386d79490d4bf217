//! The worker side of a pose generation (api.md §8.3.4): the ordered plan of
//! variations, one image per variation (skipping those a previous attempt completed),
//! each stored with its thumbnail and export renditions and recorded in a small
//! transaction, then one finalising transaction with the exact refund, the quota
//! return and the avatar usage.

use std::{collections::HashMap, time::Instant};

use entity::{
    avatar_usage_history, avatars, generated_poses, jobs, pose_generations, pose_library, users,
};
use image::DynamicImage;
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;

use super::generate::{Background, GALLERY, Payload};
use super::{formats, prompts, prompts::AvatarAttributes};
use crate::app::AppState;
use crate::credits::ledger;
use crate::images::{self, ImageKind};
use crate::jobs::{JobError, queue};
use crate::providers::{self, BackgroundRequest, BackgroundSpec, GenerateRequest, NEGATIVE_PROMPT};
use crate::storage::{LocalStorage, Storage, StorageKey};
use crate::vocabulary::{GeneratedPoseStatus, JobStatus, LEGACY_QUEUED, PoseGenerationStatus};
use crate::{ids, timestamp};

/// Statuses of a generation that is not finalised.
pub const OPEN: [&str; 3] = [
    PoseGenerationStatus::Pending.as_str(),
    PoseGenerationStatus::Processing.as_str(),
    LEGACY_QUEUED,
];
/// The `jobs.kind` of a generation's job.
pub const JOB_KIND: &str = "pose_generation";
/// Side of every generated pose image, and of its thumbnail.
pub const IMAGE_SIDE: u32 = 1024;
pub const THUMBNAIL_SIDE: u32 = 400;
pub const CONTROLNET_WEIGHT: f64 = 0.75;
pub const REFUND_REFERENCE: &str = "pose_generation";
const BACKGROUND_FAILED: &str = "Background change failed";

/// One planned image: its variation key and, in gallery mode, the library pose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variation {
    pub key: String,
    pub pose_id: Option<String>,
}

/// The ordered plan (§8.3.4 step 2): always `totalExpectedPoses` entries.
pub fn plan(generation: &pose_generations::Model, payload: &Payload) -> Vec<Variation> {
    if generation.generation_type == GALLERY {
        payload
            .pose_ids
            .iter()
            .flat_map(|pose| {
                (0..payload.variations).map(move |i| Variation {
                    key: format!("{pose}-v{i}"),
                    pose_id: Some(pose.clone()),
                })
            })
            .collect()
    } else {
        (0..payload.variations)
            .map(|i| Variation {
                key: format!("text-v{i}"),
                pose_id: None,
            })
            .collect()
    }
}

/// What became of one variation.
enum Outcome {
    Completed {
        image: StorageKey,
        thumbnail: StorageKey,
        exports: serde_json::Map<String, serde_json::Value>,
        background_changed: bool,
        background_error: Option<String>,
        seconds: f64,
    },
    Failed(String),
}

/// The queue's view of a pose generation (registered at start-up).
pub struct PoseGenerationJob;

#[async_trait::async_trait]
impl crate::jobs::JobHandler for PoseGenerationJob {
    fn kind(&self) -> &'static str {
        JOB_KIND
    }

    async fn run(&self, state: &AppState, job: &jobs::Model, worker: &str) -> Result<(), JobError> {
        run(state, job, worker).await
    }

    /// Back to `pending`; a requeue after an expired lease also counts as a recovery
    /// (a shutdown hand-back is no failure).
    async fn reopen(
        &self,
        txn: &DatabaseTransaction,
        job: &jobs::Model,
        count_recovery: bool,
    ) -> Result<(), DbErr> {
        let mut update = pose_generations::Entity::update_many().col_expr(
            pose_generations::Column::Status,
            Expr::value(PoseGenerationStatus::Pending),
        );
        if count_recovery {
            update = update
                .col_expr(
                    pose_generations::Column::RecoveryAttempts,
                    Expr::col(pose_generations::Column::RecoveryAttempts).add(1),
                )
                .col_expr(
                    pose_generations::Column::LastRecoveryAt,
                    Expr::value(timestamp::now()),
                );
        }
        update
            .filter(pose_generations::Column::Id.eq(job.reference_id.as_str()))
            .filter(pose_generations::Column::Status.eq(PoseGenerationStatus::Processing))
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
        let payload = serde_json::from_str::<Payload>(&job.payload).ok();
        finalise(
            db,
            &job.reference_id,
            payload.as_ref(),
            &job.id,
            None,
            Some(message),
        )
        .await
    }

    /// Counts from `startedAt`.
    async fn started_before(
        &self,
        db: &DatabaseConnection,
        job: &jobs::Model,
        cutoff: chrono::NaiveDateTime,
    ) -> Result<bool, DbErr> {
        Ok(
            pose_generations::Entity::find_by_id(job.reference_id.as_str())
                .filter(pose_generations::Column::Status.eq(PoseGenerationStatus::Processing))
                .filter(pose_generations::Column::StartedAt.lt(cutoff))
                .count(db)
                .await?
                > 0,
        )
    }
}

/// Runs a claimed `pose_generation` job.
pub async fn run(state: &AppState, job: &jobs::Model, worker: &str) -> Result<(), JobError> {
    let db = &state.db;
    let Some(generation) = pose_generations::Entity::find_by_id(job.reference_id.as_str())
        .one(db)
        .await?
    else {
        queue::finish_orphan(db, &job.id, Some(worker)).await?;
        return Ok(());
    };
    let payload: Payload = match serde_json::from_str(&job.payload) {
        Ok(payload) => payload,
        Err(err) => {
            tracing::error!(job = job.id, error = %err, "unreadable pose generation payload");
            finalise(
                db,
                &generation.id,
                None,
                &job.id,
                Some(worker),
                Some("Generation could not be processed"),
            )
            .await?;
            return Ok(());
        }
    };
    if !OPEN.contains(&generation.status.as_str()) {
        queue::finish(
            db,
            &job.id,
            Some(worker),
            JobStatus::Succeeded,
            Some("generation finalised"),
        )
        .await?;
        return Ok(());
    }
    let now = timestamp::now();
    let started = pose_generations::Entity::update_many()
        .col_expr(
            pose_generations::Column::Status,
            Expr::value(PoseGenerationStatus::Processing),
        )
        .col_expr(
            pose_generations::Column::StartedAt,
            Expr::value(generation.started_at.unwrap_or(now)),
        )
        .filter(pose_generations::Column::Id.eq(generation.id.as_str()))
        .filter(pose_generations::Column::Status.is_in(OPEN))
        .exec(db)
        .await?;
    if started.rows_affected != 1 {
        queue::finish(
            db,
            &job.id,
            Some(worker),
            JobStatus::Succeeded,
            Some("generation finalised"),
        )
        .await?;
        return Ok(());
    }

    let attributes: AvatarAttributes = generation
        .avatar_attributes
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let done: Vec<String> = generated_poses::Entity::find()
        .select_only()
        .column(generated_poses::Column::VariationKey)
        .filter(generated_poses::Column::GenerationId.eq(generation.id.as_str()))
        .filter(generated_poses::Column::Status.eq(GeneratedPoseStatus::Completed))
        .into_tuple::<Option<String>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let library: HashMap<String, pose_library::Model> = pose_library::Entity::find()
        .filter(pose_library::Column::Id.is_in(payload.pose_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let mut pose_maps: HashMap<String, Option<Vec<u8>>> = HashMap::new();
    let formats: Vec<String> = generation.export_formats.items().to_vec();

    for variation in plan(&generation, &payload) {
        if done.contains(&variation.key) {
            continue;
        }
        let pose = variation.pose_id.as_ref().and_then(|id| library.get(id));
        let prompt = match pose {
            Some(pose) => prompts::gallery_prompt(
                generation.text_prompt.as_deref(),
                &pose.name,
                pose.description.as_deref(),
                &attributes,
            ),
            None if variation.pose_id.is_some() => {
                // The library pose was removed meanwhile: its name is unknown.
                prompts::gallery_prompt(generation.text_prompt.as_deref(), "", None, &attributes)
            }
            None => prompts::text_prompt(
                generation.text_prompt.as_deref().unwrap_or_default(),
                &attributes,
            ),
        };
        let pose_map = match pose {
            Some(pose) => match pose_maps.get(&pose.id) {
                Some(map) => map.clone(),
                None => {
                    let map = read_reference(state, &pose.controlnet_image_url).await;
                    pose_maps.insert(pose.id.clone(), map.clone());
                    map
                }
            },
            None => None,
        };
        let request = GenerateRequest {
            prompt: prompt.clone(),
            negative_prompt: NEGATIVE_PROMPT.into(),
            width: IMAGE_SIDE,
            height: IMAGE_SIDE,
            seed: prompts::variation_seed(&generation.id, &variation.key),
            pose_map,
        };
        let outcome = make_image(
            state,
            &generation,
            &request,
            payload.background.as_ref(),
            &formats,
        )
        .await;
        let written = record(
            db,
            &generation,
            &variation,
            &request,
            &outcome,
            &job.id,
            worker,
        )
        .await;
        if !matches!(written, Ok(true)) {
            // Lost the lease, the generation was finalised or deleted, or the write
            // failed: the files are nobody's.
            if let Outcome::Completed {
                image,
                thumbnail,
                exports,
                ..
            } = &outcome
            {
                let mut urls: Vec<String> = vec![image.url(), thumbnail.url()];
                urls.extend(
                    exports
                        .values()
                        .filter_map(|v| v.as_str().map(str::to_owned)),
                );
                state
                    .storage
                    .delete_urls_best_effort(urls.iter().map(String::as_str))
                    .await;
            }
            return written.map(|_| ());
        }
    }
    finalise(
        db,
        &generation.id,
        Some(&payload),
        &job.id,
        Some(worker),
        None,
    )
    .await?;
    Ok(())
}

/// The bytes behind one of our URLs (`/presets/…` or `/uploads/…`); `None` for
/// anything else — the server never fetches absolute URLs.
pub async fn read_reference(state: &AppState, url: &str) -> Option<Vec<u8>> {
    if let Some(rest) = url.strip_prefix("/presets/") {
        let key = StorageKey::from_relative(rest)?;
        LocalStorage::new(state.config.presets_dir.clone())
            .get(&key)
            .await
            .ok()
            .flatten()
    } else {
        let key = StorageKey::from_url(url)?;
        state.storage.get(&key).await.ok().flatten()
    }
}

/// The provider's answer for one variation, with the background step, stored with its
/// thumbnail and renditions.
async fn make_image(
    state: &AppState,
    generation: &pose_generations::Model,
    request: &GenerateRequest,
    background: Option<&Background>,
    formats: &[String],
) -> Outcome {
    let started = Instant::now();
    let provider = state.provider.as_ref();
    let mut bytes = match providers::with_retries(|| provider.generate(request)).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::warn!(generation = generation.id, error = %err, "pose image failed");
            return Outcome::Failed(err.user_message());
        }
    };
    let mut background_changed = false;
    let mut background_error = None;
    if let Some(background) = background {
        let spec = background_spec(state, background).await;
        let change = BackgroundRequest {
            base: request.clone(),
            image: bytes.clone(),
            background: spec,
        };
        match providers::with_retries(|| provider.change_background(&change)).await {
            Ok(changed) => {
                bytes = changed;
                background_changed = true;
            }
            Err(err) => {
                tracing::warn!(generation = generation.id, error = %err, "background step failed");
                background_error = Some(format!("{BACKGROUND_FAILED}: {}", err.user_message()));
            }
        }
    }
    match store(&state.storage, &generation.id, bytes, formats).await {
        Ok((image, thumbnail, exports)) => Outcome::Completed {
            image,
            thumbnail,
            exports,
            background_changed,
            background_error,
            seconds: started.elapsed().as_secs_f64(),
        },
        Err(err) => {
            tracing::error!(
                generation = generation.id,
                error = err,
                "storing a pose image failed"
            );
            Outcome::Failed("The generated image could not be stored".into())
        }
    }
}

/// The provider-level description of a background setting.
pub async fn background_spec(state: &AppState, background: &Background) -> BackgroundSpec {
    match background {
        Background::AiGenerate { prompt } => BackgroundSpec::Prompt(prompt.clone()),
        Background::SolidColor { color } => {
            let hex =
                |i: usize| u8::from_str_radix(color.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
            BackgroundSpec::Color([hex(1), hex(3), hex(5)])
        }
        Background::Upload { url } => BackgroundSpec::Image {
            url: url.clone(),
            bytes: read_reference(state, url).await,
        },
    }
}

/// Stores the image (by its real type), a 400×400 cover thumbnail and one rendition
/// per export format under `poses/<generationId>/`.
pub async fn store(
    storage: &Storage,
    generation_id: &str,
    bytes: Vec<u8>,
    formats: &[String],
) -> Result<
    (
        StorageKey,
        StorageKey,
        serde_json::Map<String, serde_json::Value>,
    ),
    String,
> {
    let kind =
        ImageKind::sniff(&bytes).ok_or("the provider answered something that is not an image")?;
    let image_key =
        StorageKey::pose_image(generation_id, kind.extension()).ok_or("bad generation id")?;
    let thumb_key = image_key.thumbnail_of();
    let formats = formats.to_vec();
    let (bytes, thumbnail, renditions) = tokio::task::spawn_blocking(move || {
        let image = images::decode(&bytes, kind).map_err(|e| e.to_string())?;
        let thumbnail =
            images::cover_thumbnail_jpeg(&image, THUMBNAIL_SIDE).map_err(|e| e.to_string())?;
        let renditions = render_formats(&image, &formats)?;
        Ok::<_, String>((bytes, thumbnail, renditions))
    })
    .await
    .map_err(|e| e.to_string())??;
    let mut written = vec![image_key.clone(), thumb_key.clone()];
    let result = async {
        storage.put(&image_key, bytes).await?;
        storage.put(&thumb_key, thumbnail).await?;
        let mut exports = serde_json::Map::new();
        for (format, data) in renditions {
            match data {
                None => {
                    exports.insert(format, image_key.url().into());
                }
                Some(jpeg) => {
                    let key = image_key
                        .export_of(&format, "jpg")
                        .ok_or_else(|| std::io::Error::other("bad format"))?;
                    storage.put(&key, jpeg).await?;
                    exports.insert(format, key.url().into());
                    written.push(key);
                }
            }
        }
        Ok::<_, std::io::Error>(exports)
    }
    .await;
    match result {
        Ok(exports) => Ok((image_key, thumb_key, exports)),
        Err(err) => {
            for key in &written {
                let _ = storage.delete(key).await;
            }
            Err(err.to_string())
        }
    }
}

/// `(format key, JPEG bytes)`; `None` bytes for `original`.
pub type Renditions = Vec<(String, Option<Vec<u8>>)>;

/// JPEG renditions of `image` for each format key (`None` for `original`, which is
/// the stored image itself).
pub fn render_formats(image: &DynamicImage, keys: &[String]) -> Result<Renditions, String> {
    keys.iter()
        .filter_map(|key| formats::lookup(key))
        .map(|format| match format.size {
            None => Ok((format.key.to_owned(), None)),
            Some((w, h)) => formats::render(image, w, h)
                .map(|jpeg| (format.key.to_owned(), Some(jpeg)))
                .map_err(|e| e.to_string()),
        })
        .collect()
}

/// Upserts the variation's row and recomputes the generation's counts, in one small
/// transaction, only while this worker holds the job and the generation is open.
async fn record(
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
async fn counts(
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
        txn.rollback().await?;
        queue::finish(
            db,
            job_id,
            worker,
            JobStatus::Succeeded,
            Some("generation finalised"),
        )
        .await?;
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
async fn timings(
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
async fn record_avatar_usage(
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
