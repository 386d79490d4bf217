//! Project operations (api.md §6.1–§6.5).

use crate::http::presence::Required;
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi, param::Path, payload::Json, types::MaybeUndefined,
};

use super::Message;
use crate::auth::BearerToken;
use crate::avatar_creator::project_list;
use crate::avatar_creator::projects::{self, ProjectChanges};
use crate::avatar_creator::views::{AvatarProject, AvatarProjectWithAvatars, ProjectList};
use crate::error::{ApiError, FieldErrors};
use crate::http::conditional::Validated;
use crate::{app::AppState, auth::BearerAuth, error::Errors, openapi::ApiTags};
use crate::{http::json_body::JsonBody, http::json_reply::JsonReply, http::text::Text};
use poem::http::HeaderMap;
use serde::Serialize;

pub struct ProjectsApi;

#[derive(Object, Serialize, Debug)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct ProjectEnvelope {
    pub project: AvatarProjectWithAvatars,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct CreatedProject {
    pub message: String,
    pub project: AvatarProjectWithAvatars,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct UpdatedProject {
    pub message: String,
    pub project: AvatarProject,
}

/// `POST /projects` body.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase", example)]
pub struct CreateProjectRequest {
    /// Trimmed, runs of whitespace collapsed, then 1..100 characters.
    pub name: Required<Text>,
    /// Trimmed, at most 500 characters; empty or null means none.
    #[oai(nullable)]
    pub description: Option<Text>,
}

/// `PUT /projects/:id` body: only the fields present change.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct UpdateProjectRequest {
    /// Trimmed, whitespace collapsed, 1..100 characters; cannot be cleared (`null` is a
    /// 400).
    pub name: MaybeUndefined<Text>,
    /// `null` or `""` clears the description.
    #[oai(nullable)]
    pub description: MaybeUndefined<Text>,
}

#[derive(ApiResponse)]
pub enum CreateProjectResponse {
    /// The project, with an empty `avatars` list.
    #[oai(status = 201)]
    Created(Json<CreatedProject>),
}

#[OpenApi(
    prefix_path = "/api/apps/avatar-creator",
    tag = "ApiTags::AvatarCreator"
)]
impl ProjectsApi {
    /// List projects
    ///
    /// All of the caller's projects with their avatars (newest first), most recently
    /// updated first.
    #[oai(
        path = "/projects",
        method = "get",
        operation_id = "avatarCreatorListProjects"
    )]
    async fn list_projects(
        &self,
        auth: BearerToken,
        state: Data<&AppState>,
        headers: &HeaderMap,
    ) -> Result<Validated<ProjectList>, Errors<401>> {
        Ok(project_list::answer(&state, &auth.0, headers).await?)
    }

    /// Create a project
    ///
    /// An empty project of the caller's; its avatars are added by upload, generation or
    /// preset.
    #[oai(
        path = "/projects",
        method = "post",
        operation_id = "avatarCreatorCreateProject"
    )]
    async fn create_project(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        body: JsonBody<CreateProjectRequest>,
    ) -> Result<CreateProjectResponse, Errors<400, 401, 415, 429>> {
        let (name, description) = projects::validate(
            body.name.as_deref(),
            Some(body.description.as_deref()),
            true,
        )?;
        let name = name.expect("validated as required");
        let project = projects::create(&state.db, &auth.0.id, name, description.flatten()).await?;
        Ok(CreateProjectResponse::Created(Json(CreatedProject {
            message: "Project created successfully".into(),
            project: AvatarProjectWithAvatars::new(project, Vec::new()),
        })))
    }

    /// Get a project
    ///
    /// The project with its avatars, newest first.
    #[oai(
        path = "/projects/:id",
        method = "get",
        operation_id = "avatarCreatorGetProject"
    )]
    async fn get_project(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<JsonReply<ProjectEnvelope>, Errors<401, 404>> {
        let (project, avatars) = projects::get(&state.db, &auth.0.id, &id).await?;
        Ok(JsonReply(ProjectEnvelope {
            project: AvatarProjectWithAvatars::new(project, avatars),
        }))
    }

    /// Update a project
    ///
    /// Only the fields present change; an empty body returns the project unchanged.
    #[oai(
        path = "/projects/:id",
        method = "put",
        operation_id = "avatarCreatorUpdateProject"
    )]
    async fn update_project(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        id: Path<String>,
        body: JsonBody<UpdateProjectRequest>,
    ) -> Result<Json<UpdatedProject>, Errors<400, 401, 404, 415>> {
        let description = match &body.description {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(text) => Some(Some(text.as_str())),
        };
        let name = match &body.name {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Value(name) => Some(name.as_str()),
            MaybeUndefined::Null => {
                return Err(ApiError::validation(
                    FieldErrors::new().with("name", "Project name cannot be cleared"),
                )
                .into());
            }
        };
        let (name, description) = projects::validate(name, description, false)?;
        let changes = ProjectChanges { name, description };
        let project = projects::update(&state.db, &auth.0.id, &id, changes).await?;
        Ok(Json(UpdatedProject {
            message: "Project updated successfully".into(),
            project: project.into(),
        }))
    }

    /// Delete a project
    ///
    /// Deletes the project, its avatars and their generations; Pose Generator projects
    /// that used those avatars are kept. 409 while a generation is pending or
    /// processing.
    #[oai(
        path = "/projects/:id",
        method = "delete",
        operation_id = "avatarCreatorDeleteProject"
    )]
    async fn delete_project(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<Json<Message>, Errors<401, 404, 409>> {
        let files = projects::delete(&state.db, &auth.0.id, &id).await?;
        crate::avatar_creator::remove_files(&state.storage, files).await;
        Ok(Json(Message {
            message: "Project deleted successfully".into(),
        }))
    }
}

impl poem_openapi::types::Example for CreateProjectRequest {
    fn example() -> Self {
        Self {
            name: "Brand Ambassadors".into(),
            description: Some("Faces for the Q4 campaign".into()),
        }
    }
}
