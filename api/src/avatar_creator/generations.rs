//! AI avatar generation (api.md §6.7–§6.9, §8.2.5, §8.2.6, §8.3.3, §8.5, §8.8).
//!
//! [`start`] is the API side: one transaction charges the credits, creates the
//! generation, its durable job and the app-usage row. [`run`] is the worker side:
//! it calls the image provider, stores the files and creates the avatar, or fails the
//! generation and refunds exactly what was charged, once.

use entity::{avatar_generations, avatar_presets, jobs, users};
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};

use super::{APP_ID, avatars::AvatarFields};
use crate::vocabulary::{AvatarGenerationStatus, JobStatus, LEGACY_QUEUED};
use crate::{
    app::AppState,
    credits::ledger,
    error::ApiError,
    ids, images,
    jobs::queue,
    providers::{GenerateRequest, NEGATIVE_PROMPT, QUALITY_SUFFIX},
    storage::{Storage, StorageKey},
    timestamp,
};

/// Statuses of a generation that is not finished.
pub const OPEN: [&str; 3] = [
    AvatarGenerationStatus::Pending.as_str(),
    AvatarGenerationStatus::Processing.as_str(),
    LEGACY_QUEUED,
];

/// The `referenceType` of a generation refund (api.md §8.2.6).
pub const REFUND_REFERENCE: &str = "avatar_generation";
/// The `jobs.kind` of a generation's job.
pub const JOB_KIND: &str = "avatar_generation";

/// Where the generation's prompt and persona come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `POST …/avatars/generate`: the user's prompt and fields.
    Prompt,
    /// `POST …/avatars/from-preset`: a public preset (already loaded).
    Preset(Box<avatar_presets::Model>),
}

/// A validated request to generate.
#[derive(Debug, Clone)]
pub struct NewGeneration {
    pub avatar: AvatarFields,
    /// Normalised prompt (user's) or the preset's `generationPrompt`.
    pub prompt: String,
    pub width: i32,
    pub height: i32,
    pub seed: i32,
    pub source: Source,
}

/// `avatar_generations.options` (api.md §2.4).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    pub width: i32,
    pub height: i32,
    pub seed: i32,
    pub model_key: String,
    pub model_name: String,
}

/// What the worker needs, stored in `jobs.payload`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    pub avatar: AvatarFields,
    /// `text_to_image` or `from_preset`.
    pub source_type: String,
    /// Credits charged, hence what a failure refunds.
    pub charged: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset_id: Option<String>,
}

/// What an accepted request produced.
#[derive(Debug, Clone)]
pub struct Started {
    pub generation: avatar_generations::Model,
    pub credit_used: i32,
    pub credit_balance: i32,
}

/// A random seed in 0..=i32::MAX.
pub fn random_seed() -> i32 {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        bytes = (timestamp::now().and_utc().timestamp_subsec_nanos()).to_le_bytes();
    }
    i32::from_le_bytes(bytes) & i32::MAX
}

/// The persona and visual attributes a preset gives its avatars (§8.8): missing keys
/// are null, unknown keys ignored, long values cut to the field limits, and
/// unparsable JSON leaves them empty (logged).
pub fn preset_fields(preset: &avatar_presets::Model, name: String) -> AvatarFields {
    let parse = |text: &str, what: &str| -> serde_json::Map<String, serde_json::Value> {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => {
                tracing::warn!(
                    preset = preset.id,
                    field = what,
                    "preset JSON cannot be parsed"
                );
                serde_json::Map::new()
            }
        }
    };
    let persona = parse(&preset.persona_template, "personaTemplate");
    let visual = parse(&preset.visual_attributes, "visualAttributes");
    let text = |map: &serde_json::Map<String, serde_json::Value>, key: &str, max: usize| {
        map.get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| v.chars().take(max).collect::<String>())
    };
    let one_of = |key: &str, allowed: &[&str]| {
        text(&visual, key, 50).filter(|v| allowed.contains(&v.as_str()))
    };
    AvatarFields {
        name,
        persona_name: text(&persona, "name", 100),
        persona_age: persona
            .get("age")
            .and_then(serde_json::Value::as_i64)
            .and_then(|a| i32::try_from(a).ok())
            .filter(|a| (1..=120).contains(a)),
        persona_personality: persona
            .get("personality")
            .filter(|p| !p.is_null())
            .map(ToString::to_string),
        persona_background: text(&persona, "background", 500),
        gender: one_of("gender", &super::persona::GENDERS),
        age_range: one_of("ageRange", &super::persona::AGE_RANGES),
        ethnicity: text(&visual, "ethnicity", 50),
        body_type: text(&visual, "bodyType", 50),
        hair_style: text(&visual, "hairStyle", 50),
        hair_color: text(&visual, "hairColor", 50),
        eye_color: text(&visual, "eyeColor", 50),
        skin_tone: text(&visual, "skinTone", 50),
        style: text(&visual, "style", 50),
    }
}

/// The API side of §6.7 / §6.8, after the caller checked project ownership (404): one
/// transaction with the charge (402), the project lock (404 if it went meanwhile), the preset's `usageCount`, the generation, its job and the app-usage
/// row. Wakes the workers after the commit.
pub async fn start(
    state: &AppState,
    user: &users::Model,
    project_id: &str,
    new: NewGeneration,
) -> Result<Started, ApiError> {
    let db = &state.db;
    let provider = &state.provider;
    let (price, action, source_type) = match &new.source {
        Source::Prompt => (
            state.config.costs.avatar_generate,
            "generate_avatar",
            "text_to_image",
        ),
        Source::Preset(_) => (
            state.config.costs.avatar_from_preset,
            "from_preset",
            "from_preset",
        ),
    };
    let cost = crate::credits::pricing::price_for(user, price);
    let generation_id = ids::new_id();
    let options = Options {
        width: new.width,
        height: new.height,
        seed: new.seed,
        model_key: provider.model_key(),
        model_name: provider.model_name(),
    };
    let preset_id = match &new.source {
        Source::Preset(preset) => Some(preset.id.clone()),
        Source::Prompt => None,
    };
    let payload = Payload {
        avatar: new.avatar,
        source_type: source_type.to_owned(),
        charged: cost,
        preset_id: preset_id.clone(),
    };

    let txn = ledger::begin(db).await?;
    let credit_balance = ledger::charge(
        &txn,
        &user.id,
        cost,
        format!("{APP_ID}: {action}"),
        &generation_id,
    )
    .await?;
    let project = super::projects::lock_for_avatar(&txn, &user.id, project_id).await?;
    if let Some(preset_id) = &preset_id {
        let bumped = avatar_presets::Entity::update_many()
            .col_expr(
                avatar_presets::Column::UsageCount,
                Expr::col(avatar_presets::Column::UsageCount).add(1),
            )
            .filter(avatar_presets::Column::Id.eq(preset_id.as_str()))
            .filter(avatar_presets::Column::IsPublic.eq(true))
            .exec(&txn)
            .await?;
        if bumped.rows_affected != 1 {
            return Err(ApiError::NotFound("Preset not found".into()));
        }
    }
    let now = timestamp::now();
    let generation = avatar_generations::ActiveModel {
        id: Set(generation_id.clone()),
        user_id: Set(user.id.clone()),
        avatar_id: Set(None),
        project_id: Set(project.id.clone()),
        status: Set(AvatarGenerationStatus::Pending.into()),
        prompt: Set(new.prompt.clone()),
        options: Set(Some(
            serde_json::to_string(&options).map_err(ApiError::internal)?,
        )),
        error_message: Set(None),
        created_at: Set(now),
        completed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let payload = serde_json::to_value(&payload).map_err(ApiError::internal)?;
    queue::enqueue(&txn, JOB_KIND, &generation_id, &payload, 5).await?;
    let metadata = match &preset_id {
        Some(preset_id) => serde_json::json!({
            "generationId": generation_id, "projectId": project.id,
            "presetId": preset_id, "type": "from_preset",
        }),
        None => serde_json::json!({
            "generationId": generation_id, "projectId": project.id,
            "prompt": new.prompt, "type": "text_to_image",
        }),
    };
    crate::credits::record_usage(&txn, &user.id, super::APP_ID, action, cost, metadata, now)
        .await?;
    txn.commit().await?;
    state.job_signal.notify_waiters();
    Ok(Started {
        generation,
        credit_used: cost,
        credit_balance,
    })
}

/// The caller's generation; anyone else's, or none, is 404.
pub async fn find_owned(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
) -> Result<avatar_generations::Model, ApiError> {
    let not_found = || ApiError::NotFound("Generation not found".into());
    if !ids::is_plausible(id) {
        return Err(not_found());
    }
    avatar_generations::Entity::find_by_id(id)
        .filter(avatar_generations::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// How clients see a stored status: the legacy `queued` reads as `pending`.
pub fn visible_status(status: &str) -> &str {
    if status == LEGACY_QUEUED {
        AvatarGenerationStatus::Pending.as_str()
    } else {
        status
    }
}

/// The avatar prompt of api.md §8.5.
pub fn build_prompt(avatar: &AvatarFields, prompt: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut push = |part: Option<String>| {
        if let Some(part) = part.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()) {
            parts.push(part);
        }
    };
    push(avatar.persona_name.clone());
    push(avatar.persona_age.map(|age| format!("{age} years old")));
    let traits = avatar
        .persona_personality
        .as_deref()
        .and_then(|text| serde_json::from_str::<Vec<String>>(text).ok())
        .filter(|traits| !traits.is_empty());
    push(traits.map(|traits| format!("{} personality", traits.join(", "))));
    push(avatar.gender.clone());
    push(avatar.age_range.as_deref().map(|range| {
        match range {
            "young" => "young adult (20-30 years old)",
            "adult" => "adult (30-50 years old)",
            "mature" => "mature adult (50+ years old)",
            other => other,
        }
        .to_owned()
    }));
    let with =
        |value: &Option<String>, suffix: &str| value.as_ref().map(|v| format!("{v} {suffix}"));
    push(with(&avatar.ethnicity, "ethnicity"));
    push(with(&avatar.body_type, "body type"));
    if avatar.hair_style.is_some() || avatar.hair_color.is_some() {
        let hair = [avatar.hair_style.as_deref(), avatar.hair_color.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        push(Some(format!("{hair} hair")));
    }
    push(with(&avatar.eye_color, "eyes"));
    push(with(&avatar.skin_tone, "skin tone"));
    push(avatar.style.as_ref().map(|s| format!("wearing {s} attire")));
    push(Some(prompt.to_owned()));
    push(Some(QUALITY_SUFFIX.to_owned()));
    parts.join(", ")
}

pub use crate::jobs::JobError;

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
    super::avatars::NewAvatar {
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
        txn.rollback().await?;
        queue::finish(
            db,
            job_id,
            worker,
            JobStatus::Failed,
            Some("generation finalised"),
        )
        .await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_joins_persona_attributes_prompt_and_suffix() {
        let avatar = AvatarFields {
            name: "Sarah".into(),
            persona_name: Some("Sarah".into()),
            persona_age: Some(32),
            persona_personality: Some(r#"["friendly","sharp"]"#.into()),
            gender: Some("female".into()),
            age_range: Some("adult".into()),
            hair_color: Some("brown".into()),
            style: Some("business".into()),
            ..AvatarFields::default()
        };
        assert_eq!(
            build_prompt(&avatar, "a portrait"),
            format!(
                "Sarah, 32 years old, friendly, sharp personality, female, adult (30-50 years old), brown hair, wearing business attire, a portrait, {QUALITY_SUFFIX}"
            )
        );
        assert_eq!(
            build_prompt(&AvatarFields::default(), "x"),
            format!("x, {QUALITY_SUFFIX}")
        );
    }

    #[test]
    fn seeds_are_non_negative() {
        for _ in 0..100 {
            assert!(random_seed() >= 0);
        }
    }
}
