//! `POST /generate` (api.md §7.9, §8.2): validation, then one transaction that takes
//! the charge (credits or the unlimited tier's daily quota), writes the generation, its
//! pose selections and the library counters, and queues the durable job. Nothing is
//! kept when any step fails.

use chrono::{Duration, NaiveDateTime, NaiveTime};
use entity::{pose_generations, pose_library, pose_selections, users};
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};

use super::error::PoseGeneratorError;
use super::{formats, projects, prompts, prompts::AvatarAttributes};
use crate::credits::ledger::{self, EntryType, NewEntry};
use crate::error::FieldErrors;
use crate::jobs::queue;
use crate::vocabulary::PoseGenerationStatus;
use crate::{config::Costs, ids, timestamp};

pub const GALLERY: &str = "GALLERY_REFERENCE";
pub const TEXT: &str = "TEXT_DESCRIPTION";
pub const BACKGROUND_MODES: [&str; 3] = ["ai_generate", "solid_color", "upload"];
/// Seconds per pose in `estimatedCompletionTime`, and before the first pose finished.
pub const SECONDS_PER_POSE: i64 = 30;
const MAX_SELECTED: usize = 200;
const MAX_TOTAL: usize = 500;
const MAX_EXPORT_FORMATS: usize = 10;
/// Job priority: the unlimited tier first.
const PRIORITY_QUOTA: i32 = 10;
const PRIORITY_CREDITS: i32 = 5;

/// The body as received (every field optional, so each rule has its own message).
#[derive(Debug, Default)]
pub struct GenerateInput<'a> {
    pub project_id: Option<&'a str>,
    pub generation_type: Option<&'a str>,
    pub selected_pose_ids: Option<&'a [String]>,
    pub batch_size: Option<i64>,
    pub text_prompt: Option<&'a str>,
    pub variation_count: Option<i64>,
    pub avatar_id: Option<&'a str>,
    pub use_background_changer: Option<bool>,
    pub background_mode: Option<&'a str>,
    pub background_prompt: Option<&'a str>,
    pub background_color: Option<&'a str>,
    pub background_image_url: Option<&'a str>,
    pub export_formats: Option<&'a [String]>,
    pub output_formats: Option<&'a [String]>,
}

/// The background step requested for every pose (and for one pose by
/// `POST /poses/:poseId/background`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Background {
    AiGenerate { prompt: String },
    SolidColor { color: String },
    Upload { url: String },
}

impl Background {
    pub fn mode(&self) -> &'static str {
        match self {
            Self::AiGenerate { .. } => "ai_generate",
            Self::SolidColor { .. } => "solid_color",
            Self::Upload { .. } => "upload",
        }
    }

    /// What `backgroundPrompt` stores: the prompt, the colour or the URL.
    pub fn value(&self) -> &str {
        match self {
            Self::AiGenerate { prompt } => prompt,
            Self::SolidColor { color } => color,
            Self::Upload { url } => url,
        }
    }

    /// Validates the three background fields for `mode`; problems go to `errors`.
    pub fn parse(
        mode: Option<&str>,
        prompt: Option<&str>,
        color: Option<&str>,
        image_url: Option<&str>,
        errors: &mut FieldErrors,
    ) -> Option<Self> {
        match mode {
            None => {
                errors.add("backgroundMode", "Background mode is required");
                None
            }
            Some("ai_generate") => {
                let prompt = prompt.map(str::trim).unwrap_or("");
                if prompt.is_empty() {
                    errors.add("backgroundPrompt", "Background prompt is required");
                } else if prompt.chars().count() > 300 {
                    errors.add(
                        "backgroundPrompt",
                        "Background prompt must be at most 300 characters",
                    );
                } else if prompts::has_forbidden_term(prompt) {
                    errors.add("backgroundPrompt", prompts::RESTRICTED);
                } else {
                    return Some(Self::AiGenerate {
                        prompt: prompt.to_owned(),
                    });
                }
                None
            }
            Some("solid_color") => {
                let color = color.unwrap_or("");
                let valid = color.len() == 7
                    && color.starts_with('#')
                    && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
                if valid {
                    Some(Self::SolidColor {
                        color: color.to_uppercase(),
                    })
                } else {
                    errors.add("backgroundColor", "Background color must look like #RRGGBB");
                    None
                }
            }
            Some("upload") => match image_url.map(str::trim) {
                None | Some("") => {
                    errors.add("backgroundImageUrl", "Background image URL is required");
                    None
                }
                Some(url) => match projects::check_image_url(url) {
                    Ok(()) => Some(Self::Upload {
                        url: url.to_owned(),
                    }),
                    Err(message) => {
                        errors.add("backgroundImageUrl", message);
                        None
                    }
                },
            },
            Some(_) => {
                errors.add(
                    "backgroundMode",
                    "Must be one of: ai_generate, solid_color, upload",
                );
                None
            }
        }
    }
}

/// What the job needs to do the work and to refund it exactly (api.md §8.2.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    /// Gallery mode: the selected library poses, in request order; empty in text mode.
    pub pose_ids: Vec<String>,
    /// Variations per pose (gallery) or the variation count (text).
    pub variations: i32,
    /// Unit prices charged (0 on quota).
    pub per_pose: i32,
    pub per_background: i32,
    /// The quota day used (its reset instant), when the unlimited tier paid.
    pub quota_day: Option<NaiveDateTime>,
    pub background: Option<Background>,
}

/// A validated request.
#[derive(Debug, Clone)]
struct Plan {
    project_id: String,
    generation_type: &'static str,
    pose_ids: Vec<String>,
    variations: i32,
    text_prompt: Option<String>,
    avatar_id: Option<String>,
    background: Option<Background>,
    export_formats: Vec<&'static str>,
}

impl Plan {
    fn pose_count(&self) -> i32 {
        if self.generation_type == GALLERY {
            self.pose_ids.len() as i32 * self.variations
        } else {
            self.variations
        }
    }
}

fn validate(input: &GenerateInput<'_>) -> Result<Plan, PoseGeneratorError> {
    let mut errors = FieldErrors::new();
    let project_id = input.project_id.map(str::trim).filter(|id| !id.is_empty());
    if project_id.is_none() {
        errors.add("projectId", "Project ID is required");
    }
    let generation_type = match input.generation_type {
        Some(GALLERY) => Some(GALLERY),
        Some(TEXT) => Some(TEXT),
        _ => {
            errors.add(
                "generationType",
                "Generation type must be GALLERY_REFERENCE or TEXT_DESCRIPTION",
            );
            None
        }
    };
    let mut pose_ids = Vec::new();
    let mut variations = 0;
    let mut text_prompt = input
        .text_prompt
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    match generation_type {
        Some(GALLERY) => {
            let selected = input.selected_pose_ids.unwrap_or_default();
            if selected.is_empty() {
                errors.add("selectedPoseIds", "No poses selected for gallery mode");
            } else if selected.len() > MAX_SELECTED {
                errors.add(
                    "selectedPoseIds",
                    "Too many poses selected. Maximum 200 poses allowed per generation",
                );
            } else {
                for (i, id) in selected.iter().enumerate() {
                    if selected[..i].contains(id) {
                        errors.add(format!("selectedPoseIds[{i}]"), "Duplicate pose id");
                    }
                }
                pose_ids = selected.to_vec();
            }
            match input.batch_size.unwrap_or(4) {
                n @ 1..=10 => variations = n as i32,
                _ => errors.add("batchSize", "Batch size must be between 1 and 10"),
            }
            if variations > 0 && pose_ids.len() * variations as usize > MAX_TOTAL {
                errors.add(
                    "batchSize",
                    format!(
                        "Total poses would be {}. Maximum 500 poses allowed per generation. Please reduce selected poses or batch size.",
                        pose_ids.len() * variations as usize
                    ),
                );
            }
            if let Some(prompt) = &text_prompt {
                if prompt.chars().count() > 500 {
                    errors.add(
                        "textPrompt",
                        "Prompt too long. Maximum 500 characters allowed",
                    );
                } else if prompts::has_forbidden_term(prompt) {
                    errors.add("textPrompt", prompts::RESTRICTED);
                }
            }
        }
        Some(_) => {
            match text_prompt.as_deref() {
                None => errors.add(
                    "textPrompt",
                    "Prompt too short. Minimum 3 characters required",
                ),
                Some(p) if p.chars().count() < 3 => errors.add(
                    "textPrompt",
                    "Prompt too short. Minimum 3 characters required",
                ),
                Some(p) if p.chars().count() > 500 => errors.add(
                    "textPrompt",
                    "Prompt too long. Maximum 500 characters allowed",
                ),
                Some(p) if prompts::has_forbidden_term(p) => {
                    errors.add("textPrompt", prompts::RESTRICTED)
                }
                Some(p) if !prompts::describes_pose(p) => {
                    errors.add("textPrompt", prompts::NOT_A_POSE)
                }
                Some(_) => {}
            }
            match input.variation_count.unwrap_or(4) {
                n @ 1..=20 => variations = n as i32,
                _ => errors.add("variationCount", "Variation count must be between 1 and 20"),
            }
        }
        None => text_prompt = None,
    }
    let background = if input.use_background_changer.unwrap_or(false) {
        Background::parse(
            input.background_mode,
            input.background_prompt,
            input.background_color,
            input.background_image_url,
            &mut errors,
        )
    } else {
        None
    };
    let requested: Vec<&str> = input
        .export_formats
        .unwrap_or_default()
        .iter()
        .chain(input.output_formats.unwrap_or_default())
        .map(String::as_str)
        .collect();
    let export_formats = match formats::normalise(requested) {
        Ok(keys) if keys.len() > MAX_EXPORT_FORMATS => {
            errors.add("exportFormats", "At most 10 export formats");
            Vec::new()
        }
        Ok(keys) => keys,
        Err(unknown) => {
            for (_, message) in unknown {
                errors.add("exportFormats", message);
            }
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return Err(PoseGeneratorError::Invalid(errors));
    }
    Ok(Plan {
        project_id: project_id.expect("validated").to_owned(),
        generation_type: generation_type.expect("validated"),
        pose_ids,
        variations,
        text_prompt,
        avatar_id: input
            .avatar_id
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned),
        background,
        export_formats,
    })
}

/// What the 202 answer reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub generation_id: String,
    pub total_poses: i32,
    pub credit_charged: i32,
}

/// Whether the unlimited tier applies to `user` now.
pub fn unlimited_tier_active(user: &users::Model, now: NaiveDateTime) -> bool {
    user.unlimited_pose_active
        && user
            .unlimited_pose_expires_at
            .is_none_or(|expires| expires > now)
}

/// The next 00:00:00.000 UTC after `now`.
pub fn next_midnight(now: NaiveDateTime) -> NaiveDateTime {
    (now.date() + Duration::days(1)).and_time(NaiveTime::MIN)
}

/// Consumes `n` units of the locked user's daily quota (§8.2.7), or answers 403
/// `INSUFFICIENT_QUOTA` writing nothing. Returns the quota day (its reset instant).
async fn take_quota(
    txn: &DatabaseTransaction,
    user: &users::Model,
    n: i32,
    now: NaiveDateTime,
) -> Result<NaiveDateTime, PoseGeneratorError> {
    let (used, reset_at) = match user.unlimited_pose_quota_reset_at {
        Some(reset) if reset > now => (user.unlimited_pose_quota_used, reset),
        _ => (0, next_midnight(now)),
    };
    let quota = user.unlimited_pose_daily_quota;
    if used + n > quota {
        return Err(PoseGeneratorError::QuotaExhausted {
            required: n,
            remaining: std::cmp::max(quota - used, 0),
            daily_quota: quota,
            reset_at,
        });
    }
    users::Entity::update_many()
        .col_expr(users::Column::UnlimitedPoseQuotaUsed, Expr::value(used + n))
        .col_expr(
            users::Column::UnlimitedPoseQuotaResetAt,
            Expr::value(reset_at),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user.id.as_str()))
        .exec(txn)
        .await?;
    Ok(reset_at)
}

/// Validates and accepts a generation: 400, 404 (project, avatar), 400 (unknown pose
/// ids), then 403 quota / 402 credits, then everything written in one transaction.
pub async fn start(
    db: &DatabaseConnection,
    costs: &Costs,
    user_id: &str,
    input: GenerateInput<'_>,
) -> Result<Accepted, PoseGeneratorError> {
    let plan = validate(&input)?;
    let project = projects::find_owned(db, user_id, &plan.project_id).await?;
    // The effective avatar: the one asked for (must be the caller's), else the
    // project's if it still exists.
    let avatar = match &plan.avatar_id {
        Some(id) => Some(projects::owned_avatar(db, user_id, id).await?),
        None => match &project.avatar_id {
            Some(id) => projects::owned_avatar(db, user_id, id).await.ok(),
            None => None,
        },
    };
    if plan.generation_type == GALLERY {
        let found: Vec<String> = pose_library::Entity::find()
            .filter(pose_library::Column::Id.is_in(plan.pose_ids.clone()))
            .filter(pose_library::Column::IsPublic.eq(true))
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let mut errors = FieldErrors::new();
        for (i, id) in plan.pose_ids.iter().enumerate() {
            if !found.contains(id) {
                errors.add(format!("selectedPoseIds[{i}]"), "Pose not found");
            }
        }
        if !errors.is_empty() {
            return Err(PoseGeneratorError::Invalid(errors));
        }
    }
    let attributes = avatar.as_ref().map(|a| AvatarAttributes {
        gender: a.gender.clone(),
        age_range: a.age_range.clone(),
        ethnicity: a.ethnicity.clone(),
        style: a.style.clone(),
    });

    let count = plan.pose_count();
    let per_background = if plan.background.is_some() {
        costs.pose_background_per_pose
    } else {
        0
    };
    let generation_id = ids::new_id();

    let txn = ledger::begin(db).await?;
    let now = timestamp::now();
    // 1–2: lock the user, take quota or credits.
    let user = ledger::lock_user(&txn, user_id).await?;
    let (per_pose, per_background, quota_day, charged) = if unlimited_tier_active(&user, now) {
        let day = take_quota(&txn, &user, count, now).await?;
        (0, 0, Some(day), 0)
    } else {
        // Bounded prices (config::MAX_COST) and counts keep this far from overflow;
        // checked anyway, since a wrapped price would grant credits.
        let cost = costs
            .pose_per_pose
            .checked_add(per_background)
            .and_then(|unit| unit.checked_mul(count))
            .ok_or_else(|| PoseGeneratorError::internal("pose generation price overflows"))?;
        if cost > 0 {
            let entry = NewEntry::new(
                -cost,
                EntryType::Usage,
                format!(
                    "Pose generation: {count} {}",
                    if count == 1 { "pose" } else { "poses" }
                ),
            )
            .reference(generation_id.as_str(), "pose_generation");
            ledger::append(&txn, user_id, entry).await?;
        }
        (costs.pose_per_pose, per_background, None, cost)
    };
    // The project cannot be deleted while this transaction is open.
    projects::lock_shared(&txn, user_id, &project.id).await?;
    // 3: the generation.
    pose_generations::ActiveModel {
        id: Set(generation_id.clone()),
        project_id: Set(project.id.clone()),
        user_id: Set(user_id.to_owned()),
        generation_type: Set(plan.generation_type.to_owned()),
        text_prompt: Set(plan.text_prompt.clone()),
        generated_pose_structure: Set(None),
        avatar_id: Set(avatar.as_ref().map(|a| a.id.clone())),
        avatar_attributes: Set(attributes
            .as_ref()
            .map(|a| serde_json::to_string(a).unwrap_or_default())),
        batch_size: Set(plan.variations),
        total_expected_poses: Set(count),
        use_background_changer: Set(plan.background.is_some()),
        background_prompt: Set(plan.background.as_ref().map(|b| b.value().to_owned())),
        background_mode: Set(plan.background.as_ref().map(|b| b.mode().to_owned())),
        export_formats: Set(entity::TextList::new(plan.export_formats.iter().copied())),
        status: Set(PoseGenerationStatus::Pending.into()),
        progress: Set(0),
        poses_completed: Set(0),
        poses_failed: Set(0),
        credit_charged: Set(charged),
        credit_refunded: Set(0),
        queue_job_id: Set(None),
        error_message: Set(None),
        created_at: Set(now),
        started_at: Set(None),
        completed_at: Set(None),
        avg_generation_time: Set(None),
        total_processing_time: Set(None),
        recovery_attempts: Set(0),
        last_recovery_at: Set(None),
    }
    .insert(&txn)
    .await?;
    // 4: selections, in request order, and the library counters.
    if !plan.pose_ids.is_empty() {
        let selections =
            plan.pose_ids
                .iter()
                .enumerate()
                .map(|(i, pose_id)| pose_selections::ActiveModel {
                    id: Set(ids::new_id()),
                    generation_id: Set(generation_id.clone()),
                    pose_library_id: Set(pose_id.clone()),
                    // Request order survives in `createdAt` order.
                    created_at: Set(now + Duration::milliseconds(i as i64)),
                });
        pose_selections::Entity::insert_many(selections)
            .exec(&txn)
            .await?;
        pose_library::Entity::update_many()
            .col_expr(
                pose_library::Column::UsageCount,
                Expr::col(pose_library::Column::UsageCount).add(1),
            )
            .col_expr(
                pose_library::Column::PopularityScore,
                Expr::col(pose_library::Column::UsageCount)
                    .add(1)
                    .add(Expr::col(pose_library::Column::FavoriteCount)),
            )
            .col_expr(pose_library::Column::UpdatedAt, Expr::value(now))
            .filter(pose_library::Column::Id.is_in(plan.pose_ids.clone()))
            .exec(&txn)
            .await?;
    }
    // 5–6: the job, and its id on the generation.
    let payload = Payload {
        pose_ids: plan.pose_ids.clone(),
        variations: plan.variations,
        per_pose,
        per_background,
        quota_day,
        background: plan.background.clone(),
    };
    let priority = if quota_day.is_some() {
        PRIORITY_QUOTA
    } else {
        PRIORITY_CREDITS
    };
    let job = queue::enqueue(
        &txn,
        super::job::JOB_KIND,
        &generation_id,
        &serde_json::to_value(&payload).map_err(PoseGeneratorError::internal)?,
        priority,
    )
    .await?;
    pose_generations::Entity::update_many()
        .col_expr(pose_generations::Column::QueueJobId, Expr::value(job.id))
        .filter(pose_generations::Column::Id.eq(generation_id.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Accepted {
        generation_id,
        total_poses: count,
        credit_charged: charged,
    })
}
