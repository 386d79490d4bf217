//! Project operations (api.md §7.4–§7.8).

use crate::{
    http::presence::Required,
    vocabulary::{AvatarSource, PoseProjectStatus, Word},
};
use entity::pose_generations;
use migration::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::MaybeUndefined,
};

use crate::pose_generator::projects::{self, NewProject, ProjectChanges};
use crate::pose_generator::views::{PoseGeneration, PoseGeneratorProject};
use crate::{
    app::AppState,
    auth::BearerAuth,
    error::{ApiError, Errors},
    openapi::ApiTags,
    pagination::{PageRequest, Pagination},
};
use crate::{http::json_body::JsonBody, http::text::Text};

pub struct ProjectsApi;

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseProjectList {
    pub projects: Vec<PoseGeneratorProject>,
    pub pagination: Pagination,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseProjectEnvelope {
    pub project: PoseGeneratorProject,
}

/// A project with its latest 10 generations (without poses).
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseProjectWithGenerations {
    #[oai(flatten)]
    pub project: PoseGeneratorProject,
    pub generations: Vec<PoseGeneration>,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseProjectDetail {
    pub project: PoseProjectWithGenerations,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseProjectDeleted {
    pub success: bool,
    pub message: String,
}

/// `POST /projects` body.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase", example)]
pub struct CreatePoseProjectRequest {
    /// 1..100 characters after trimming.
    pub project_name: Required<Text>,
    /// At most 500 characters; empty means none.
    #[oai(nullable)]
    pub description: Option<Text>,
    /// Default `UPLOAD`.
    pub avatar_source: Option<Word<AvatarSource>>,
    /// One of the caller's Avatar Creator avatars; required with `AVATAR_CREATOR`.
    pub avatar_id: Option<Text>,
    /// An absolute http(s) URL or an `/uploads/…` path, at most 2048 characters. With
    /// `AVATAR_CREATOR` and no URL, the avatar's image is used.
    #[oai(nullable)]
    pub avatar_image_url: Option<Text>,
}

impl poem_openapi::types::Example for CreatePoseProjectRequest {
    fn example() -> Self {
        Self {
            project_name: Required(Some("Ramadan Campaign".into())),
            description: None,
            avatar_source: Some("AVATAR_CREATOR".into()),
            avatar_id: Some("cm3ka1v0q0004qz8hc2b9d1ef".into()),
            avatar_image_url: None,
        }
    }
}

/// `PUT /projects/:projectId` body: only the fields present change.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct UpdatePoseProjectRequest {
    /// 1..100 characters after trimming; cannot be cleared.
    pub project_name: MaybeUndefined<Text>,
    /// `null` or `""` clears it.
    #[oai(nullable)]
    pub description: MaybeUndefined<Text>,
    /// Archive or reactivate the project.
    pub status: MaybeUndefined<Word<PoseProjectStatus>>,
}

fn present<T: AsRef<str>>(value: &MaybeUndefined<T>) -> Option<Option<&str>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v.as_ref())),
    }
}

#[derive(ApiResponse)]
pub enum CreateProjectResponse {
    /// The new project, `active`.
    #[oai(status = 201)]
    Created(Json<PoseProjectEnvelope>),
}

#[OpenApi(
    prefix_path = "/api/apps/pose-generator",
    tag = "ApiTags::PoseGenerator"
)]
impl ProjectsApi {
    /// List projects
    ///
    /// The caller's projects, most recently updated first, with computed totals.
    #[oai(
        path = "/projects",
        method = "get",
        operation_id = "poseGeneratorListProjects"
    )]
    async fn list_projects(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        /// ≥ 1, default 1.
        page: Query<Option<i64>>,
        /// 1..100, default 10.
        limit: Query<Option<i64>>,
        /// Only projects in this status.
        status: Query<Option<Word<PoseProjectStatus>>>,
    ) -> Result<Json<PoseProjectList>, Errors<400, 401>> {
        let page = PageRequest::new(page.0, limit.0, 10)?;
        let (projects, pagination) =
            projects::list(&state.db, &auth.0.id, status.as_deref(), page).await?;
        Ok(Json(PoseProjectList {
            projects,
            pagination,
        }))
    }

    /// Create a project
    ///
    /// A project of the caller's with its avatar: one of their Avatar Creator avatars
    /// (`AVATAR_CREATOR` and `avatarId`) or an image address (`UPLOAD`).
    #[oai(
        path = "/projects",
        method = "post",
        operation_id = "poseGeneratorCreateProject"
    )]
    async fn create_project(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        body: JsonBody<CreatePoseProjectRequest>,
    ) -> Result<CreateProjectResponse, Errors<400, 401, 404, 415, 429>> {
        let project = projects::create(
            &state.db,
            &auth.0.id,
            NewProject {
                project_name: body.project_name.as_deref(),
                description: body.description.as_deref(),
                avatar_source: body.avatar_source.as_deref(),
                avatar_id: body.avatar_id.as_deref(),
                avatar_image_url: body.avatar_image_url.as_deref(),
            },
        )
        .await?;
        Ok(CreateProjectResponse::Created(Json(PoseProjectEnvelope {
            project,
        })))
    }

    /// Get a project
    ///
    /// The project with its latest 10 generations (newest first, without poses).
    #[oai(
        path = "/projects/:projectId",
        method = "get",
        operation_id = "poseGeneratorGetProject"
    )]
    async fn get_project(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "projectId")] project_id: Path<String>,
    ) -> Result<Json<PoseProjectDetail>, Errors<401, 404>> {
        let project = projects::find_owned(&state.db, &auth.0.id, &project_id).await?;
        let generations = pose_generations::Entity::find()
            .filter(pose_generations::Column::ProjectId.eq(project.id.as_str()))
            .order_by_desc(pose_generations::Column::CreatedAt)
            .order_by_desc(pose_generations::Column::Id)
            .limit(10)
            .all(&state.db)
            .await
            .map_err(ApiError::from)?;
        let project = projects::view(&state.db, project).await?;
        Ok(Json(PoseProjectDetail {
            project: PoseProjectWithGenerations {
                project,
                generations: generations.into_iter().map(Into::into).collect(),
            },
        }))
    }

    /// Update a project
    ///
    /// Only the fields present change.
    #[oai(
        path = "/projects/:projectId",
        method = "put",
        operation_id = "poseGeneratorUpdateProject"
    )]
    async fn update_project(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "projectId")] project_id: Path<String>,
        body: JsonBody<UpdatePoseProjectRequest>,
    ) -> Result<Json<PoseProjectEnvelope>, Errors<400, 401, 404, 415>> {
        let changes = ProjectChanges {
            project_name: present(&body.project_name),
            description: present(&body.description),
            status: present(&body.status),
        };
        let project = projects::update(&state.db, &auth.0.id, &project_id, changes).await?;
        Ok(Json(PoseProjectEnvelope { project }))
    }

    /// Delete a project
    ///
    /// Deletes the project with its generations and generated poses; 409 while a
    /// generation is pending or processing. Image files are removed after the commit.
    #[oai(
        path = "/projects/:projectId",
        method = "delete",
        operation_id = "poseGeneratorDeleteProject"
    )]
    async fn delete_project(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "projectId")] project_id: Path<String>,
    ) -> Result<Json<PoseProjectDeleted>, Errors<401, 404, 409>> {
        let generations = projects::delete(&state.db, &auth.0.id, &project_id).await?;
        for generation in generations {
            crate::pose_generator::remove_generation_files(&state.storage, &generation).await;
        }
        Ok(Json(PoseProjectDeleted {
            success: true,
            message: "Project deleted successfully".into(),
        }))
    }
}
