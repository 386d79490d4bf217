//! The worker side of a pose generation (api.md §8.3.4): the ordered plan of
//! variations, one image per variation (skipping those a previous attempt completed),
//! each stored with its thumbnail and export renditions and recorded in a small
//! transaction, then one finalising transaction with the exact refund, the quota
//! return and the avatar usage.

use std::collections::HashMap;

use entity::{generated_poses, jobs, pose_generations, pose_library};
use migration::sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait},
};

use super::generate::{GALLERY, Payload};
use super::{prompts, prompts::AvatarAttributes};
use crate::app::AppState;
use crate::jobs::{JobError, queue};
use crate::providers::{GenerateRequest, NEGATIVE_PROMPT};
use crate::storage::StorageKey;
use crate::timestamp;
use crate::vocabulary::{GeneratedPoseStatus, JobStatus, LEGACY_QUEUED, PoseGenerationStatus};

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
    // Only an open generation starts (conditionally, against a concurrent finalise);
    // one finalised already, or meanwhile, just finishes its job.
    let started = OPEN.contains(&generation.status.as_str())
        && pose_generations::Entity::update_many()
            .col_expr(
                pose_generations::Column::Status,
                Expr::value(PoseGenerationStatus::Processing),
            )
            .col_expr(
                pose_generations::Column::StartedAt,
                Expr::value(generation.started_at.unwrap_or_else(timestamp::now)),
            )
            .filter(pose_generations::Column::Id.eq(generation.id.as_str()))
            .filter(pose_generations::Column::Status.is_in(OPEN))
            .exec(db)
            .await?
            .rows_affected
            == 1;
    if !started {
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

mod record;
mod render;

pub use record::finalise;
use record::record;
use render::make_image;

pub use render::{Renditions, background_spec, read_reference, render_formats, store};
