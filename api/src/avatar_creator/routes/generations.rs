//! Generation operations (api.md §6.7–§6.9): start from a prompt or a preset (202),
//! then poll the generation.

use crate::http::presence::{Nullable, Required};
use crate::vocabulary::{AgeRange, Gender, Word};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};

use crate::avatar_creator::avatars::AvatarName;
use crate::avatar_creator::{
    avatars::AvatarFields,
    catalogue,
    generations::{self, NewGeneration, Source},
    persona, projects,
    views::AvatarGeneration,
};
use crate::error::{ApiError, FieldErrors};
use crate::{app::AppState, auth::BearerAuth, error::Errors, openapi::ApiTags};
use crate::{http::json_body::JsonBody, http::text::Text};

pub struct GenerationsApi;

const NOTE: &str = "Generation is processing in background. Check status using generation ID. Credits will be refunded if generation fails.";

/// `POST /projects/:projectId/avatars/generate` body.
#[derive(Object, Debug, Default)]
#[oai(rename_all = "camelCase", example)]
pub struct GenerateAvatarRequest {
    /// 1..100 characters after trimming.
    pub name: Required<Text>,
    /// 10..2000 characters after trimming; runs of whitespace become one space.
    pub prompt: Required<Text>,
    /// At most 100 characters.
    #[oai(nullable)]
    pub persona_name: Option<Text>,
    /// 1..120.
    #[oai(nullable)]
    pub persona_age: Option<i32>,
    /// At most 10 traits, each 1..50 characters.
    #[oai(nullable)]
    pub persona_personality: Option<Vec<Text>>,
    /// At most 500 characters.
    #[oai(nullable)]
    pub persona_background: Option<Text>,
    #[oai(skip_serializing_if_is_none)]
    pub gender: Option<Word<Gender>>,
    #[oai(skip_serializing_if_is_none)]
    pub age_range: Option<Word<AgeRange>>,
    #[oai(nullable)]
    pub ethnicity: Option<Text>,
    #[oai(nullable)]
    pub body_type: Option<Text>,
    #[oai(nullable)]
    pub hair_style: Option<Text>,
    #[oai(nullable)]
    pub hair_color: Option<Text>,
    #[oai(nullable)]
    pub eye_color: Option<Text>,
    #[oai(nullable)]
    pub skin_tone: Option<Text>,
    #[oai(nullable)]
    pub style: Option<Text>,
    /// 512..2048, default 1024.
    #[oai(nullable)]
    pub width: Option<i32>,
    /// 512..2048, default 1024.
    #[oai(nullable)]
    pub height: Option<i32>,
    /// 0..2147483647; drawn at random when absent.
    #[oai(nullable)]
    pub seed: Option<i64>,
}

impl GenerateAvatarRequest {
    fn validate(self) -> Result<NewGeneration, ApiError> {
        let mut errors = FieldErrors::new();
        let name = AvatarName::check(&mut errors, "name", self.name.as_deref());
        let raw_prompt = self.prompt.as_deref().unwrap_or_default();
        let prompt = raw_prompt.split_whitespace().collect::<Vec<_>>().join(" ");
        let prompt_chars = raw_prompt.trim().chars().count();
        if !(10..=2000).contains(&prompt_chars) {
            errors.add("prompt", "Must be between 10 and 2000 characters");
        }
        let mut side = |field: &str, value: Option<i32>| match value {
            None => 1024,
            Some(v) if (512..=2048).contains(&v) => v,
            Some(_) => {
                errors.add(field, "Must be an integer between 512 and 2048");
                1024
            }
        };
        let width = side("width", self.width);
        let height = side("height", self.height);
        let seed = match self.seed {
            None => generations::random_seed(),
            Some(s) => i32::try_from(s)
                .ok()
                .filter(|s| *s >= 0)
                .unwrap_or_else(|| {
                    errors.add("seed", "Must be an integer between 0 and 2147483647");
                    0
                }),
        };
        let avatar = AvatarFields {
            name: name.map(AvatarName::into_inner).unwrap_or_default(),
            persona_age: persona::age(&mut errors, self.persona_age),
            persona_personality: persona::personality(
                &mut errors,
                self.persona_personality.map(Text::into_strings).as_deref(),
            ),
            ..persona::texts(
                &mut errors,
                persona::Texts {
                    persona_name: self.persona_name.as_deref(),
                    persona_background: self.persona_background.as_deref(),
                    gender: self.gender.as_deref(),
                    age_range: self.age_range.as_deref(),
                    ethnicity: self.ethnicity.as_deref(),
                    body_type: self.body_type.as_deref(),
                    hair_style: self.hair_style.as_deref(),
                    hair_color: self.hair_color.as_deref(),
                    eye_color: self.eye_color.as_deref(),
                    skin_tone: self.skin_tone.as_deref(),
                    style: self.style.as_deref(),
                },
            )
        };
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(NewGeneration {
            avatar,
            prompt,
            width,
            height,
            seed,
            source: Source::Prompt,
        })
    }
}

/// `POST /projects/:projectId/avatars/from-preset` body.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase", example)]
pub struct FromPresetRequest {
    /// Any id string, 1..64 characters.
    pub preset_id: Required<Text>,
    /// 1..100 characters after trimming; empty means the preset's name.
    pub custom_name: Option<Text>,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase", example)]
pub struct GenerationStarted {
    pub message: String,
    pub generation: AvatarGeneration,
    pub credit_used: i32,
    pub credit_balance: i32,
    pub note: String,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct GenerationEnvelope {
    pub generation: AvatarGeneration,
}

#[derive(ApiResponse)]
pub enum StartGenerationResponse {
    /// Accepted: the generation is pending; poll `GET /generations/:id`.
    #[oai(status = 202)]
    Accepted(Json<GenerationStarted>),
}

fn accepted(message: &str, started: generations::Started) -> StartGenerationResponse {
    StartGenerationResponse::Accepted(Json(GenerationStarted {
        message: message.to_owned(),
        generation: started.generation.into(),
        credit_used: started.credit_used,
        credit_balance: started.credit_balance,
        note: NOTE.to_owned(),
    }))
}

#[OpenApi(
    prefix_path = "/api/apps/avatar-creator",
    tag = "ApiTags::AvatarCreator"
)]
impl GenerationsApi {
    /// Generate an avatar from a prompt
    ///
    /// Charges `COST_AVATAR_GENERATE` credits (default 10; 0 for
    /// `enterprise_unlimited`) and starts a background generation. A failed generation
    /// is refunded exactly what it was charged.
    #[oai(
        path = "/projects/:projectId/avatars/generate",
        method = "post",
        operation_id = "avatarCreatorGenerateAvatar"
    )]
    async fn generate_avatar(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "projectId")] project_id: Path<String>,
        body: JsonBody<GenerateAvatarRequest>,
    ) -> Result<StartGenerationResponse, Errors<400, 401, 402, 404, 415, 429>> {
        let new = body.0.validate()?;
        projects::find_owned(&state.db, &auth.0.id, &project_id).await?;
        let started = generations::start(
            &state.db,
            state.provider.as_ref(),
            &state.config.costs,
            &auth.0,
            &project_id,
            new,
        )
        .await?;
        state.job_signal.notify_waiters();
        Ok(accepted("Avatar generation started", started))
    }

    /// Generate an avatar from a preset
    ///
    /// Charges `COST_AVATAR_FROM_PRESET` credits (default 8; 0 for
    /// `enterprise_unlimited`). The avatar gets the preset's persona and visual
    /// attributes and is generated from its prompt.
    #[oai(
        path = "/projects/:projectId/avatars/from-preset",
        method = "post",
        operation_id = "avatarCreatorCreateFromPreset"
    )]
    async fn create_from_preset(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "projectId")] project_id: Path<String>,
        body: JsonBody<FromPresetRequest>,
    ) -> Result<StartGenerationResponse, Errors<400, 401, 402, 404, 415, 429>> {
        let mut errors = FieldErrors::new();
        let preset_id = body.preset_id.as_deref().unwrap_or_default().trim();
        if body.preset_id.is_none() {
            errors.add("presetId", "Preset id is required");
        } else if preset_id.is_empty() || preset_id.chars().count() > 64 {
            errors.add("presetId", "Must be between 1 and 64 characters");
        }
        let custom_name =
            persona::text(&mut errors, "customName", body.custom_name.as_deref(), 100);
        if !errors.is_empty() {
            return Err(ApiError::validation(errors).into());
        }
        projects::find_owned(&state.db, &auth.0.id, &project_id).await?;
        let preset = catalogue::preset(&state.db, preset_id).await?;
        let name = custom_name.unwrap_or_else(|| preset.name.chars().take(100).collect());
        let new = NewGeneration {
            avatar: generations::preset_fields(&preset, name),
            prompt: preset.generation_prompt.clone(),
            width: 1024,
            height: 1024,
            seed: generations::random_seed(),
            source: Source::Preset(Box::new(preset)),
        };
        let started = generations::start(
            &state.db,
            state.provider.as_ref(),
            &state.config.costs,
            &auth.0,
            &project_id,
            new,
        )
        .await?;
        state.job_signal.notify_waiters();
        Ok(accepted("Avatar generation from preset started", started))
    }

    /// Get a generation
    ///
    /// Poll about every 5 seconds. `completed`: load `GET /avatars/:avatarId`.
    /// `failed`: `errorMessage` says why; the credits were refunded.
    #[oai(
        path = "/generations/:id",
        method = "get",
        operation_id = "avatarCreatorGetGeneration"
    )]
    async fn get_generation(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<Json<GenerationEnvelope>, Errors<401, 404>> {
        let generation = generations::find_owned(&state.db, &auth.0.id, &id).await?;
        Ok(Json(GenerationEnvelope {
            generation: generation.into(),
        }))
    }
}

impl poem_openapi::types::Example for GenerateAvatarRequest {
    fn example() -> Self {
        Self {
            name: "Sarah".into(),
            prompt: "professional portrait of a confident woman in a navy blazer".into(),
            persona_name: Some("Sarah Chen".into()),
            persona_age: Some(32),
            persona_personality: Some(vec!["confident".into(), "approachable".into()]),
            gender: Some("female".into()),
            age_range: Some("adult".into()),
            style: Some("professional".into()),
            width: Some(1024),
            height: Some(1024),
            ..Self::default()
        }
    }
}

impl poem_openapi::types::Example for FromPresetRequest {
    fn example() -> Self {
        Self {
            preset_id: "cm3k9p0re0002qz8h1x2y3z4a".into(),
            custom_name: Some("Sarah for the launch".into()),
        }
    }
}

impl poem_openapi::types::Example for GenerationStarted {
    fn example() -> Self {
        let at = chrono::DateTime::from_timestamp_millis(1_760_781_900_000)
            .unwrap_or_default()
            .naive_utc();
        Self {
            message: "Avatar generation started".into(),
            generation: AvatarGeneration {
                id: "cm3kb0gen0007qz8h1a2b3c4d".into(),
                user_id: "cm3k9u1xz0000qz8h7f3a2b1c".into(),
                avatar_id: None.into(),
                project_id: "cm3k9x2ab0001qz8h4v6t7r2s".into(),
                status: "pending".into(),
                prompt: "professional portrait of a confident woman in a navy blazer".into(),
                options: Nullable(Some(
                    r#"{"width":1024,"height":1024,"seed":1837465,"modelKey":"local:deterministic-v1","modelName":"Local deterministic renderer"}"#
                        .into(),
                )),
                error_message: None.into(),
                created_at: at.into(),
                completed_at: None.into(),
            },
            credit_used: 10,
            credit_balance: 90,
            note: NOTE.into(),
        }
    }
}
