//! The Avatar Creator's JSON objects (api.md §2.2 AvatarProject, §2.3 Avatar).

use crate::http::presence::Nullable;
use entity::{avatar_projects, avatars};
use poem_openapi::Object;
use serde::Serialize;

use crate::{
    timestamp::Timestamp,
    vocabulary::{AgeRange, AvatarGenerationStatus, Gender, PersonaCategory, PresetCategory, Word},
};

/// An avatar (api.md §2.3). `personaPersonality` is JSON text (an array of traits),
/// returned as the string it is stored as (§1.5).
#[derive(Object, Serialize, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct Avatar {
    pub id: String,
    pub user_id: String,
    pub project_id: String,
    pub name: String,
    pub base_image_url: String,
    #[oai(nullable)]
    pub thumbnail_url: Nullable<String>,
    #[oai(nullable)]
    pub persona_name: Nullable<String>,
    #[oai(nullable)]
    pub persona_age: Nullable<i32>,
    /// JSON text: an array of personality traits, e.g. `["professional","confident"]`.
    #[oai(nullable)]
    pub persona_personality: Nullable<String>,
    #[oai(nullable)]
    pub persona_background: Nullable<String>,
    #[oai(nullable)]
    pub gender: Nullable<Word<Gender>>,
    #[oai(nullable)]
    pub age_range: Nullable<Word<AgeRange>>,
    #[oai(nullable)]
    pub ethnicity: Nullable<String>,
    #[oai(nullable)]
    pub body_type: Nullable<String>,
    #[oai(nullable)]
    pub hair_style: Nullable<String>,
    #[oai(nullable)]
    pub hair_color: Nullable<String>,
    #[oai(nullable)]
    pub eye_color: Nullable<String>,
    #[oai(nullable)]
    pub skin_tone: Nullable<String>,
    #[oai(nullable)]
    pub style: Nullable<String>,
    /// How the avatar was made: this service writes for example `uploaded` or
    /// `text_to_image`; rows of the previous backend may hold other words.
    pub source_type: String,
    #[oai(nullable)]
    pub generation_prompt: Nullable<String>,
    #[oai(nullable)]
    pub seed_used: Nullable<i32>,
    pub usage_count: i32,
    #[oai(nullable)]
    pub last_used_at: Nullable<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<avatars::Model> for Avatar {
    fn from(m: avatars::Model) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            project_id: m.project_id,
            name: m.name,
            base_image_url: m.base_image_url,
            thumbnail_url: m.thumbnail_url.into(),
            persona_name: m.persona_name.into(),
            persona_age: m.persona_age.into(),
            persona_personality: m.persona_personality.into(),
            persona_background: m.persona_background.into(),
            gender: m.gender.as_deref().map(Word::stored).into(),
            age_range: m.age_range.as_deref().map(Word::stored).into(),
            ethnicity: m.ethnicity.into(),
            body_type: m.body_type.into(),
            hair_style: m.hair_style.into(),
            hair_color: m.hair_color.into(),
            eye_color: m.eye_color.into(),
            skin_tone: m.skin_tone.into(),
            style: m.style.into(),
            source_type: m.source_type,
            generation_prompt: m.generation_prompt.into(),
            seed_used: m.seed_used.into(),
            usage_count: m.usage_count,
            last_used_at: m.last_used_at.map(Into::into).into(),
            created_at: m.created_at.into(),
            updated_at: m.updated_at.into(),
        }
    }
}

/// A project without its avatars (api.md §2.2).
#[derive(Object, Serialize, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct AvatarProject {
    pub id: String,
    pub user_id: String,
    /// 1..100 characters.
    pub name: String,
    /// At most 500 characters.
    #[oai(nullable)]
    pub description: Nullable<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<avatar_projects::Model> for AvatarProject {
    fn from(m: avatar_projects::Model) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            name: m.name,
            description: m.description.into(),
            created_at: m.created_at.into(),
            updated_at: m.updated_at.into(),
        }
    }
}

/// A project with its avatars, newest first.
#[derive(Object, Serialize, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct AvatarProjectWithAvatars {
    pub id: String,
    pub user_id: String,
    pub name: String,
    #[oai(nullable)]
    pub description: Nullable<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub avatars: Vec<Avatar>,
}

impl AvatarProjectWithAvatars {
    pub fn new(project: avatar_projects::Model, avatars: Vec<avatars::Model>) -> Self {
        let p = AvatarProject::from(project);
        Self {
            id: p.id,
            user_id: p.user_id,
            name: p.name,
            description: p.description,
            created_at: p.created_at,
            updated_at: p.updated_at,
            avatars: avatars.into_iter().map(Avatar::from).collect(),
        }
    }
}

/// `GET /projects` (api.md §6.1): every project of the caller with its avatars.
#[derive(Object, Serialize, Debug)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct ProjectList {
    pub projects: Vec<AvatarProjectWithAvatars>,
}

/// An avatar with its project (api.md §6.11).
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct AvatarWithProject {
    #[oai(flatten)]
    pub avatar: Avatar,
    pub project: AvatarProject,
}

/// An avatar preset (api.md §2.5). `personaTemplate` and `visualAttributes` are JSON
/// text, returned as stored.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct AvatarPreset {
    pub id: String,
    pub name: String,
    pub preview_image_url: String,
    pub category: Word<PresetCategory>,
    /// JSON text: `{name, age, personality[], background}`.
    pub persona_template: String,
    /// JSON text: the visual attributes (gender, ageRange, ethnicity, style, …).
    pub visual_attributes: String,
    pub generation_prompt: String,
    pub is_public: bool,
    pub usage_count: i32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<entity::avatar_presets::Model> for AvatarPreset {
    fn from(m: entity::avatar_presets::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            preview_image_url: m.preview_image_url,
            category: Word::stored(&m.category),
            persona_template: m.persona_template,
            visual_attributes: m.visual_attributes,
            generation_prompt: m.generation_prompt,
            is_public: m.is_public,
            usage_count: m.usage_count,
            created_at: m.created_at.into(),
            updated_at: m.updated_at.into(),
        }
    }
}

/// A ready-made persona (api.md §2.6). `personaPersonality` and `suggestedAttributes`
/// are JSON text.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct PersonaExample {
    pub id: String,
    pub name: String,
    pub category: Word<PersonaCategory>,
    pub persona_name: String,
    pub persona_age: i32,
    /// JSON text: an array of traits.
    pub persona_personality: String,
    pub persona_background: String,
    /// JSON text: suggested visual attributes.
    #[oai(nullable)]
    pub suggested_attributes: Nullable<String>,
    pub display_order: i32,
    pub is_active: bool,
    pub created_at: Timestamp,
}

impl From<entity::persona_examples::Model> for PersonaExample {
    fn from(m: entity::persona_examples::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            category: Word::stored(&m.category),
            persona_name: m.persona_name,
            persona_age: m.persona_age,
            persona_personality: m.persona_personality,
            persona_background: m.persona_background,
            suggested_attributes: m.suggested_attributes.into(),
            display_order: m.display_order,
            is_active: m.is_active,
            created_at: m.created_at.into(),
        }
    }
}

/// One use of an avatar by another app (api.md §2.7). `metadata` is JSON text.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct AvatarUsage {
    pub id: String,
    pub avatar_id: String,
    pub user_id: String,
    pub app_id: String,
    pub app_name: String,
    pub action: String,
    #[oai(nullable)]
    pub reference_id: Nullable<String>,
    #[oai(nullable)]
    pub reference_type: Nullable<String>,
    /// JSON text: a free-form object.
    #[oai(nullable)]
    pub metadata: Nullable<String>,
    pub created_at: Timestamp,
}

impl From<entity::avatar_usage_history::Model> for AvatarUsage {
    fn from(m: entity::avatar_usage_history::Model) -> Self {
        Self {
            id: m.id,
            avatar_id: m.avatar_id,
            user_id: m.user_id,
            app_id: m.app_id,
            app_name: m.app_name,
            action: m.action,
            reference_id: m.reference_id.into(),
            reference_type: m.reference_type.into(),
            metadata: m.metadata.into(),
            created_at: m.created_at.into(),
        }
    }
}

/// Uses of an avatar by one app, over all of its history.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct AvatarUsageSummary {
    pub app_id: String,
    pub app_name: String,
    pub count: i64,
    pub last_used: Timestamp,
}

/// An asynchronous avatar generation (api.md §2.4).
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct AvatarGeneration {
    pub id: String,
    pub user_id: String,
    /// Set when the generation completes; null again if that avatar is deleted.
    #[oai(nullable)]
    pub avatar_id: Nullable<String>,
    pub project_id: String,
    pub status: Word<AvatarGenerationStatus>,
    pub prompt: String,
    /// JSON text: `{width, height, seed, modelKey, modelName}`.
    #[oai(nullable)]
    pub options: Nullable<String>,
    /// Safe, user-facing failure reason (at most 500 characters).
    #[oai(nullable)]
    pub error_message: Nullable<String>,
    pub created_at: Timestamp,
    /// Set on `completed` and `failed`.
    #[oai(nullable)]
    pub completed_at: Nullable<Timestamp>,
}

impl From<entity::avatar_generations::Model> for AvatarGeneration {
    fn from(m: entity::avatar_generations::Model) -> Self {
        Self {
            status: Word::stored(crate::avatar_creator::generations::visible_status(
                &m.status,
            )),
            id: m.id,
            user_id: m.user_id,
            avatar_id: m.avatar_id.into(),
            project_id: m.project_id,
            prompt: m.prompt,
            options: m.options.into(),
            error_message: m.error_message.into(),
            created_at: m.created_at.into(),
            completed_at: m.completed_at.map(Into::into).into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::http::json_reply::both_ways;

    fn at(millis: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 10, 18)
            .and_then(|d| d.and_hms_milli_opt(10, 0, 0, millis))
            .unwrap()
    }

    fn avatar(full: bool) -> avatars::Model {
        let some = |v: &str| full.then(|| v.to_owned());
        avatars::Model {
            id: "a1".into(),
            user_id: "u1".into(),
            project_id: "p1".into(),
            name: "Sarah \"Quotes\" Chen \u{1F600}".into(),
            base_image_url: "/uploads/avatar-creator/u1/a.jpg".into(),
            thumbnail_url: some("/uploads/avatar-creator/u1/a_thumb.jpg"),
            persona_name: some("Sarah"),
            persona_age: full.then_some(29),
            persona_personality: some(r#"["professional","confident"]"#),
            persona_background: some("Line one\nline two\ttab"),
            gender: some("female"),
            age_range: some("adult"),
            ethnicity: some("east-asian"),
            body_type: some("athletic"),
            hair_style: some("bob"),
            hair_color: some("black"),
            eye_color: some("brown"),
            skin_tone: some("medium"),
            style: some("professional"),
            source_type: "uploaded".into(),
            generation_prompt: some("a portrait"),
            seed_used: full.then_some(-7),
            usage_count: 3,
            last_used_at: full.then(|| at(0)),
            created_at: at(5),
            updated_at: at(999),
        }
    }

    /// `JsonReply` writes these with serde; the spec describes their `ToJSON`. The two
    /// must be the same JSON, field for field, with every optional field set or not.
    #[test]
    fn serde_and_openapi_write_the_same_json() {
        for full in [true, false] {
            let project = avatar_projects::Model {
                id: "p1".into(),
                user_id: "u1".into(),
                name: "Campaign".into(),
                description: full.then(|| "Q4".into()),
                created_at: at(1),
                updated_at: at(2),
            };
            let view =
                AvatarProjectWithAvatars::new(project.clone(), vec![avatar(full), avatar(!full)]);
            let (serde, openapi) = both_ways(&view);
            assert_eq!(serde, openapi);
            assert_eq!(serde["avatars"][0]["createdAt"], "2025-10-18T10:00:00.005Z");
            let (serde, openapi) = both_ways(&AvatarProject::from(project));
            assert_eq!(serde, openapi);
        }
    }
}
