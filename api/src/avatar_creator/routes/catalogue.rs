//! Public catalogue operations (api.md §6.15–§6.17) and the app's health (§6.19).

use crate::vocabulary::{AppStatus, PersonaCategory, PresetCategory, Word};
use std::collections::BTreeMap;

use poem::web::Data;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use crate::avatar_creator::catalogue;
use crate::avatar_creator::views::{AvatarPreset, PersonaExample};
use crate::{app::AppState, error::Errors, openapi::ApiTags};

pub struct CatalogueApi;

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PresetList {
    pub presets: Vec<AvatarPreset>,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PresetEnvelope {
    pub preset: AvatarPreset,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PersonaExampleList {
    pub persona_examples: Vec<PersonaExample>,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct AppHealth {
    pub status: Word<AppStatus>,
    pub app: String,
    pub message: String,
    /// Route summaries by name.
    pub endpoints: BTreeMap<String, String>,
}

#[OpenApi(
    prefix_path = "/api/apps/avatar-creator",
    tag = "ApiTags::AvatarCreator"
)]
impl CatalogueApi {
    /// List presets
    ///
    /// Public presets, most used first. No token needed.
    #[oai(
        path = "/presets",
        method = "get",
        operation_id = "avatarCreatorListPresets"
    )]
    async fn list_presets(
        &self,
        state: Data<&AppState>,
        /// Only presets of this category.
        category: Query<Option<Word<PresetCategory>>>,
    ) -> Result<Json<PresetList>, Errors<400>> {
        let presets = catalogue::presets(&state.db, category.as_deref()).await?;
        Ok(Json(PresetList {
            presets: presets.into_iter().map(AvatarPreset::from).collect(),
        }))
    }

    /// Get a preset
    ///
    /// One public preset, with its persona template. No token needed.
    #[oai(
        path = "/presets/:id",
        method = "get",
        operation_id = "avatarCreatorGetPreset"
    )]
    async fn get_preset(
        &self,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<Json<PresetEnvelope>, Errors<404>> {
        let preset = catalogue::preset(&state.db, &id).await?;
        Ok(Json(PresetEnvelope {
            preset: preset.into(),
        }))
    }

    /// List persona examples
    ///
    /// Ready-made personas to pre-fill the persona fields, in display order.
    #[oai(
        path = "/persona-examples",
        method = "get",
        operation_id = "avatarCreatorListPersonaExamples"
    )]
    async fn list_persona_examples(
        &self,
        state: Data<&AppState>,
        /// Only examples of this category.
        category: Query<Option<Word<PersonaCategory>>>,
    ) -> Result<Json<PersonaExampleList>, Errors<400>> {
        let examples = catalogue::persona_examples(&state.db, category.as_deref()).await?;
        Ok(Json(PersonaExampleList {
            persona_examples: examples.into_iter().map(PersonaExample::from).collect(),
        }))
    }

    /// Avatar Creator health
    ///
    /// Static; touches no database.
    #[oai(path = "/health", method = "get", operation_id = "avatarCreatorHealth")]
    async fn health(&self) -> Json<AppHealth> {
        let endpoints = [
            ("projects", "GET, POST /projects"),
            ("project", "GET, PUT, DELETE /projects/:id"),
            ("upload", "POST /projects/:projectId/avatars/upload"),
            ("generate", "POST /projects/:projectId/avatars/generate"),
            (
                "fromPreset",
                "POST /projects/:projectId/avatars/from-preset",
            ),
            ("generation", "GET /generations/:id"),
            ("avatars", "GET /avatars"),
            ("avatar", "GET, PUT, DELETE /avatars/:id"),
            ("usage", "GET /avatars/:id/usage-history"),
            ("presets", "GET /presets (optional ?category=)"),
            ("preset", "GET /presets/:id"),
            (
                "personaExamples",
                "GET /persona-examples (optional ?category=)",
            ),
            ("stats", "GET /stats"),
        ];
        Json(AppHealth {
            status: AppStatus::Ok.into(),
            app: "avatar-creator".into(),
            message: "Avatar Creator API is running".into(),
            endpoints: endpoints
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        })
    }
}
