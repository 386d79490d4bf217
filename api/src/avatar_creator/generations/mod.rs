//! AI avatar generation (api.md §6.7–§6.9, §8.2.5, §8.2.6, §8.3.3, §8.5, §8.8).
//!
//! [`start`] is the API side: one transaction charges the credits, creates the
//! generation, its durable job and the app-usage row. [`run`] is the worker side:
//! it calls the image provider, stores the files and creates the avatar, or fails the
//! generation and refunds exactly what was charged, once.

use entity::{avatar_generations, avatar_presets, users};
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};

use super::{APP_ID, avatars::AvatarFields, error::AvatarCreatorError};
use crate::vocabulary::{AvatarGenerationStatus, LEGACY_QUEUED};
use crate::{
    config::Costs,
    credits::ledger,
    ids,
    jobs::queue,
    providers::{ImageProvider, QUALITY_SUFFIX},
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
/// row. The caller wakes the workers after it returns.
pub async fn start(
    db: &DatabaseConnection,
    provider: &dyn ImageProvider,
    costs: &Costs,
    user: &users::Model,
    project_id: &str,
    new: NewGeneration,
) -> Result<Started, AvatarCreatorError> {
    let (price, action, source_type) = match &new.source {
        Source::Prompt => (costs.avatar_generate, "generate_avatar", "text_to_image"),
        Source::Preset(_) => (costs.avatar_from_preset, "from_preset", "from_preset"),
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
            return Err(AvatarCreatorError::PresetNotFound);
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
            serde_json::to_string(&options).map_err(AvatarCreatorError::internal)?,
        )),
        error_message: Set(None),
        created_at: Set(now),
        completed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let payload = serde_json::to_value(&payload).map_err(AvatarCreatorError::internal)?;
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
) -> Result<avatar_generations::Model, AvatarCreatorError> {
    if !ids::is_plausible(id) {
        return Err(AvatarCreatorError::GenerationNotFound);
    }
    avatar_generations::Entity::find_by_id(id)
        .filter(avatar_generations::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(AvatarCreatorError::GenerationNotFound)
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

mod job;

pub use job::{AvatarGenerationJob, fail, run};

#[cfg(test)]
mod tests;
