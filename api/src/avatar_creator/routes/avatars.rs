//! Avatar operations (api.md §6.10–§6.14).

use crate::vocabulary::{AgeRange, Gender, Word};
use poem::web::Data;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::MaybeUndefined,
};

use super::Message;
use crate::avatar_creator::avatars::{self, AvatarUpdate, Change};
use crate::avatar_creator::persona::FREE_TEXT;
use crate::avatar_creator::views::{
    Avatar, AvatarProject, AvatarUsage, AvatarUsageSummary, AvatarWithProject,
};
use crate::error::{ApiError, FieldErrors};
use crate::{app::AppState, auth::BearerAuth, error::Errors, openapi::ApiTags};
use crate::{http::json_body::JsonBody, http::json_reply::JsonReply, http::text::Text};
use serde::Serialize;

pub struct AvatarsApi;

#[derive(Object, Serialize, Debug)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct AvatarList {
    pub avatars: Vec<Avatar>,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct AvatarEnvelope {
    pub avatar: AvatarWithProject,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct UpdatedAvatar {
    pub message: String,
    pub avatar: Avatar,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct UsageHistory {
    /// The latest uses, newest first.
    pub history: Vec<AvatarUsage>,
    /// One entry per app over all uses, most recently used first.
    pub summary: Vec<AvatarUsageSummary>,
}

/// `PUT /avatars/:id`: only the fields present change; `null` or `""` clears a
/// persona or visual field.
#[derive(Object, Debug, Default)]
#[oai(rename_all = "camelCase")]
pub struct UpdateAvatarRequest {
    /// 1..100 characters; cannot be cleared (`null` is a 400).
    pub name: MaybeUndefined<Text>,
    /// At most 100 characters.
    #[oai(nullable)]
    pub persona_name: MaybeUndefined<Text>,
    /// 1..120.
    #[oai(nullable)]
    pub persona_age: MaybeUndefined<i32>,
    /// At most 10 traits, each 1..50 characters.
    #[oai(nullable)]
    pub persona_personality: MaybeUndefined<Vec<Text>>,
    /// At most 500 characters.
    #[oai(nullable)]
    pub persona_background: MaybeUndefined<Text>,
    /// `null` or `""` clears it.
    #[oai(nullable)]
    pub gender: MaybeUndefined<Word<Gender>>,
    /// `null` or `""` clears it.
    #[oai(nullable)]
    pub age_range: MaybeUndefined<Word<AgeRange>>,
    #[oai(nullable)]
    pub ethnicity: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub body_type: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub hair_style: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub hair_color: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub eye_color: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub skin_tone: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub style: MaybeUndefined<Text>,
}

fn change<T: Clone + Into<U>, U>(value: &MaybeUndefined<T>) -> Change<U> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v.clone().into())),
    }
}

impl UpdateAvatarRequest {
    fn into_update(self) -> AvatarUpdate {
        let visual_values = [
            &self.ethnicity,
            &self.body_type,
            &self.hair_style,
            &self.hair_color,
            &self.eye_color,
            &self.skin_tone,
            &self.style,
        ];
        AvatarUpdate {
            name: change(&self.name),
            persona_name: change(&self.persona_name),
            persona_age: change(&self.persona_age),
            persona_personality: change(
                &self
                    .persona_personality
                    .clone()
                    .map_value(Text::into_strings),
            ),
            persona_background: change(&self.persona_background),
            gender: change(&self.gender),
            age_range: change(&self.age_range),
            visual: FREE_TEXT
                .iter()
                .zip(visual_values)
                .map(|(field, value)| (*field, change(value)))
                .collect(),
        }
    }
}

#[OpenApi(
    prefix_path = "/api/apps/avatar-creator",
    tag = "ApiTags::AvatarCreator"
)]
impl AvatarsApi {
    /// List avatars
    ///
    /// All of the caller's avatars, newest first; `projectId` narrows them to one of
    /// the caller's projects (any other id gives an empty list).
    #[oai(
        path = "/avatars",
        method = "get",
        operation_id = "avatarCreatorListAvatars"
    )]
    async fn list_avatars(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "projectId")] project_id: Query<Option<String>>,
    ) -> Result<JsonReply<AvatarList>, Errors<400, 401>> {
        let avatars = avatars::list(&state.db, &auth.0.id, project_id.as_deref()).await?;
        Ok(JsonReply(AvatarList {
            avatars: avatars.into_iter().map(Avatar::from).collect(),
        }))
    }

    /// Get an avatar
    ///
    /// The avatar with its project.
    #[oai(
        path = "/avatars/:id",
        method = "get",
        operation_id = "avatarCreatorGetAvatar"
    )]
    async fn get_avatar(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<Json<AvatarEnvelope>, Errors<401, 404>> {
        let (avatar, project) = avatars::get(&state.db, &auth.0.id, &id).await?;
        Ok(Json(AvatarEnvelope {
            avatar: AvatarWithProject {
                avatar: avatar.into(),
                project: AvatarProject::from(project),
            },
        }))
    }

    /// Update an avatar
    ///
    /// Name, persona and visual fields; free of charge.
    #[oai(
        path = "/avatars/:id",
        method = "put",
        operation_id = "avatarCreatorUpdateAvatar"
    )]
    async fn update_avatar(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        id: Path<String>,
        body: JsonBody<UpdateAvatarRequest>,
    ) -> Result<Json<UpdatedAvatar>, Errors<400, 401, 404, 415>> {
        let avatar = avatars::update(&state.db, &auth.0.id, &id, body.0.into_update()).await?;
        Ok(Json(UpdatedAvatar {
            message: "Avatar updated successfully".into(),
            avatar: avatar.into(),
        }))
    }

    /// Delete an avatar
    ///
    /// Its usage history goes with it; generations and Pose Generator projects that
    /// used it are kept, unlinked.
    #[oai(
        path = "/avatars/:id",
        method = "delete",
        operation_id = "avatarCreatorDeleteAvatar"
    )]
    async fn delete_avatar(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<Json<Message>, Errors<401, 404>> {
        let files = avatars::delete(&state.db, &auth.0.id, &id).await?;
        crate::avatar_creator::remove_files(&state.storage, files).await;
        Ok(Json(Message {
            message: "Avatar deleted successfully".into(),
        }))
    }

    /// Avatar usage history
    ///
    /// The latest uses by other apps and a per-app summary.
    #[oai(
        path = "/avatars/:id/usage-history",
        method = "get",
        operation_id = "avatarCreatorGetUsageHistory"
    )]
    async fn usage_history(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        id: Path<String>,
        /// 1..100, default 50.
        limit: Query<Option<i64>>,
    ) -> Result<Json<UsageHistory>, Errors<400, 401, 404>> {
        let limit = limit.0.unwrap_or(50);
        if !(1..=100).contains(&limit) {
            return Err(ApiError::validation(
                FieldErrors::new().with("limit", "Must be an integer between 1 and 100"),
            )
            .into());
        }
        let (history, summary) =
            avatars::usage_history(&state.db, &auth.0.id, &id, limit as u64).await?;
        Ok(Json(UsageHistory {
            history: history.into_iter().map(AvatarUsage::from).collect(),
            summary: summary
                .into_iter()
                .map(|s| AvatarUsageSummary {
                    app_id: s.app_id,
                    app_name: s.app_name,
                    count: s.count,
                    last_used: s.last_used.into(),
                })
                .collect(),
        }))
    }
}
