//! Pose Generator projects (api.md §7.4–§7.8). Ownership is part of every query
//! (another user's project is "not found"); the totals are computed on read.

use std::collections::HashMap;

use entity::{avatars, pose_generations, pose_generator_projects as projects};
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait, LockType, Query},
};

use super::error::PoseGeneratorError;
use super::views::PoseGeneratorProject;
use crate::error::FieldErrors;
use crate::fields::{ProjectName, parse_description};
use crate::pagination::{PageRequest, Pagination, fetch_page};
use crate::vocabulary::{PoseProjectStatus, Vocabulary};
use crate::{ids, timestamp};

pub const SOURCE_AVATAR_CREATOR: &str = "AVATAR_CREATOR";
pub const SOURCE_UPLOAD: &str = "UPLOAD";
/// Generation statuses that block a project delete.
const MAX_URL_CHARS: usize = 2048;

/// An image reference a client may send: an absolute `http(s)` URL or one of our
/// `/uploads/…` paths, at most 2048 characters.
pub fn check_image_url(url: &str) -> Result<(), &'static str> {
    if url.chars().count() > MAX_URL_CHARS {
        return Err("URL must be at most 2048 characters");
    }
    let absolute = ["https://", "http://"].iter().any(|scheme| {
        url.strip_prefix(scheme)
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
    });
    if absolute || (url.starts_with("/uploads/") && !url.contains("..")) {
        Ok(())
    } else {
        Err("Must be an absolute http(s) URL or a path starting with /uploads/")
    }
}

/// The caller's Avatar Creator avatar, or 404 `"Avatar not found"`.
pub async fn owned_avatar(
    db: &impl ConnectionTrait,
    user_id: &str,
    avatar_id: &str,
) -> Result<avatars::Model, PoseGeneratorError> {
    if !ids::is_plausible(avatar_id) {
        return Err(PoseGeneratorError::AvatarNotFound);
    }
    avatars::Entity::find_by_id(avatar_id)
        .filter(avatars::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(PoseGeneratorError::AvatarNotFound)
}

/// The caller's project, or 404.
pub async fn find_owned(
    db: &impl ConnectionTrait,
    user_id: &str,
    id: &str,
) -> Result<projects::Model, PoseGeneratorError> {
    if !ids::is_plausible(id) {
        return Err(PoseGeneratorError::ProjectNotFound);
    }
    projects::Entity::find_by_id(id)
        .filter(projects::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(PoseGeneratorError::ProjectNotFound)
}

/// The caller's project, locked against a concurrent delete (`FOR SHARE` on
/// PostgreSQL; SQLite serialises writers), for transactions that add work to it.
pub async fn lock_shared(
    txn: &DatabaseTransaction,
    user_id: &str,
    id: &str,
) -> Result<projects::Model, PoseGeneratorError> {
    if !ids::is_plausible(id) {
        return Err(PoseGeneratorError::ProjectNotFound);
    }
    let mut query = projects::Entity::find_by_id(id).filter(projects::Column::UserId.eq(user_id));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock(LockType::Share);
    }
    query
        .one(txn)
        .await?
        .ok_or(PoseGeneratorError::ProjectNotFound)
}

/// Aliases of the totals selected beside each project of a page.
const TOTAL_GENERATIONS: &str = "total_generations";
const TOTAL_POSES: &str = "total_poses";

/// `(totalGenerations, totalPosesGenerated)` per project, in one statement.
async fn totals(
    db: &impl ConnectionTrait,
    project_ids: Vec<String>,
) -> Result<HashMap<String, (i64, i64)>, PoseGeneratorError> {
    if project_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, i64, Option<i64>)> = pose_generations::Entity::find()
        .select_only()
        .column(pose_generations::Column::ProjectId)
        .column_as(pose_generations::Column::Id.count(), "generations")
        .column_as(pose_generations::Column::PosesCompleted.sum(), "poses")
        .filter(pose_generations::Column::ProjectId.is_in(project_ids))
        .group_by(pose_generations::Column::ProjectId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, generations, poses)| (id, (generations, poses.unwrap_or(0))))
        .collect())
}

/// The project object with its computed totals.
pub async fn view(
    db: &impl ConnectionTrait,
    project: projects::Model,
) -> Result<PoseGeneratorProject, PoseGeneratorError> {
    let totals = totals(db, vec![project.id.clone()]).await?;
    let counted = totals.get(&project.id).copied().unwrap_or((0, 0));
    Ok(PoseGeneratorProject::new(project, counted))
}

/// One page of the caller's projects, most recently updated first.
pub async fn list(
    db: &DatabaseConnection,
    user_id: &str,
    status: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<PoseGeneratorProject>, Pagination), PoseGeneratorError> {
    if let Some(status) = status
        && PoseProjectStatus::parse(status).is_none()
    {
        return Err(PoseGeneratorError::Invalid(
            FieldErrors::new().with("status", "Must be one of: active, archived"),
        ));
    }
    let mut query = projects::Entity::find().filter(projects::Column::UserId.eq(user_id));
    if let Some(status) = status {
        query = query.filter(projects::Column::Status.eq(status));
    }
    let query = query
        .order_by_desc(projects::Column::UpdatedAt)
        .order_by_asc(projects::Column::Id);
    // Each project's totals are counted in sub-selects of the page's own statement.
    let of_project = |aggregate: Expr| {
        let generations = (
            pose_generations::Entity,
            pose_generations::Column::ProjectId,
        );
        Expr::SubQuery(
            None,
            Box::new(
                Query::select()
                    .expr(aggregate)
                    .from(pose_generations::Entity)
                    .and_where(
                        Expr::col(generations).equals((projects::Entity, projects::Column::Id)),
                    )
                    .to_owned()
                    .into(),
            ),
        )
    };
    let query = query
        .expr_as(
            of_project(Expr::col((pose_generations::Entity, pose_generations::Column::Id)).count()),
            TOTAL_GENERATIONS,
        )
        .expr_as(
            of_project(
                Expr::col((
                    pose_generations::Entity,
                    pose_generations::Column::PosesCompleted,
                ))
                .sum()
                .if_null(0),
            ),
            TOTAL_POSES,
        );
    let (rows, total) = fetch_page(db, query, page).await?;
    let list = rows
        .iter()
        .map(|row| {
            Ok(PoseGeneratorProject::new(
                projects::Model::from_query_result(row, "")?,
                (
                    row.try_get::<i64>("", TOTAL_GENERATIONS)?,
                    row.try_get::<i64>("", TOTAL_POSES)?,
                ),
            ))
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok((list, page.of(total)))
}

/// A `POST /projects` body as received.
#[derive(Debug, Default)]
pub struct NewProject<'a> {
    pub project_name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub avatar_source: Option<&'a str>,
    pub avatar_id: Option<&'a str>,
    pub avatar_image_url: Option<&'a str>,
}

/// Validates (400), checks the avatar (404) and creates the project, `active`.
pub async fn create(
    db: &DatabaseConnection,
    user_id: &str,
    input: NewProject<'_>,
) -> Result<PoseGeneratorProject, PoseGeneratorError> {
    let mut errors = FieldErrors::new();
    let name = match input.project_name.map(ProjectName::parse) {
        None => {
            errors.add("projectName", "Project name is required");
            None
        }
        Some(Err(message)) => {
            errors.add("projectName", message);
            None
        }
        Some(Ok(name)) => Some(name),
    };
    let description = match input.description.map(parse_description) {
        Some(Err(message)) => {
            errors.add("description", message);
            None
        }
        Some(Ok(text)) => text,
        None => None,
    };
    let source = input.avatar_source.unwrap_or(SOURCE_UPLOAD);
    if ![SOURCE_AVATAR_CREATOR, SOURCE_UPLOAD].contains(&source) {
        errors.add("avatarSource", "Must be AVATAR_CREATOR or UPLOAD");
    }
    let avatar_id = input.avatar_id.map(str::trim).filter(|id| !id.is_empty());
    if source == SOURCE_AVATAR_CREATOR && avatar_id.is_none() {
        errors.add(
            "avatarId",
            "Avatar ID is required when the avatar source is AVATAR_CREATOR",
        );
    }
    let mut image_url = input
        .avatar_image_url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    if let Some(url) = &image_url
        && let Err(message) = check_image_url(url)
    {
        errors.add("avatarImageUrl", message);
    }
    if !errors.is_empty() {
        return Err(PoseGeneratorError::Invalid(errors));
    }
    if let Some(avatar_id) = avatar_id {
        let avatar = owned_avatar(db, user_id, avatar_id).await?;
        if source == SOURCE_AVATAR_CREATOR && image_url.is_none() {
            image_url = Some(avatar.base_image_url);
        }
    }
    let now = timestamp::now();
    let project = projects::ActiveModel {
        id: Set(ids::new_id()),
        user_id: Set(user_id.to_owned()),
        project_name: Set(name.expect("validated").into_inner()),
        description: Set(description),
        avatar_image_url: Set(image_url),
        avatar_source: Set(source.to_owned()),
        avatar_id: Set(avatar_id.map(str::to_owned)),
        total_generations: Set(0),
        total_poses_generated: Set(0),
        status: Set(PoseProjectStatus::Active.into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(PoseGeneratorProject::new(project, (0, 0)))
}

/// A `PUT /projects/:id` body: `None` = absent; `Some(None)` = null.
#[derive(Debug, Default)]
pub struct ProjectChanges<'a> {
    pub project_name: Option<Option<&'a str>>,
    pub description: Option<Option<&'a str>>,
    pub status: Option<Option<&'a str>>,
}

/// Changes only the fields present.
pub async fn update(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
    changes: ProjectChanges<'_>,
) -> Result<PoseGeneratorProject, PoseGeneratorError> {
    let mut errors = FieldErrors::new();
    let name = match changes.project_name {
        None => None,
        Some(None) => {
            errors.add("projectName", "Project name cannot be cleared");
            None
        }
        Some(Some(raw)) => match ProjectName::parse(raw) {
            Ok(name) => Some(name.into_inner()),
            Err(message) => {
                errors.add("projectName", message);
                None
            }
        },
    };
    let description = match changes.description {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => match parse_description(raw) {
            Ok(text) => Some(text),
            Err(message) => {
                errors.add("description", message);
                None
            }
        },
    };
    let status = match changes.status {
        None => None,
        Some(Some(status)) if PoseProjectStatus::parse(status).is_some() => Some(status.to_owned()),
        Some(_) => {
            errors.add("status", "Must be one of: active, archived");
            None
        }
    };
    if !errors.is_empty() {
        return Err(PoseGeneratorError::Invalid(errors));
    }
    let project = find_owned(db, user_id, id).await?;
    let mut active: projects::ActiveModel = project.clone().into();
    let changed = name.is_some() || description.is_some() || status.is_some();
    if let Some(name) = name {
        active.project_name = Set(name);
    }
    if let Some(description) = description {
        active.description = Set(description);
    }
    if let Some(status) = status {
        active.status = Set(status);
    }
    let project = if changed {
        active.updated_at = Set(timestamp::now());
        active.update(db).await?
    } else {
        project
    };
    view(db, project).await
}

/// Deletes the project (the database cascades to its generations, poses and
/// selections), refused with 409 while a generation is pending or processing. The
/// check and the delete share one transaction holding the project row lock. Returns
/// the deleted generation ids, whose files the caller removes after the commit.
pub async fn delete(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
) -> Result<Vec<String>, PoseGeneratorError> {
    if !ids::is_plausible(id) {
        return Err(PoseGeneratorError::ProjectNotFound);
    }
    let txn = db.begin().await?;
    let mut query = projects::Entity::find_by_id(id).filter(projects::Column::UserId.eq(user_id));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock(LockType::Update);
    }
    let project = query
        .one(&txn)
        .await?
        .ok_or(PoseGeneratorError::ProjectNotFound)?;
    let generations: Vec<(String, String)> = pose_generations::Entity::find()
        .select_only()
        .column(pose_generations::Column::Id)
        .column(pose_generations::Column::Status)
        .filter(pose_generations::Column::ProjectId.eq(project.id.as_str()))
        .into_tuple()
        .all(&txn)
        .await?;
    let active = generations
        .iter()
        .filter(|(_, status)| super::job::OPEN.contains(&status.as_str()))
        .count();
    if active > 0 {
        return Err(PoseGeneratorError::ProjectHasActiveGenerations {
            active_generations: active,
        });
    }
    projects::Entity::delete_by_id(project.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(generations.into_iter().map(|(id, _)| id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_urls_are_absolute_or_ours() {
        for ok in [
            "https://cdn.example.com/a.png",
            "http://x.io/a",
            "/uploads/avatar-creator/u/a.png",
        ] {
            assert!(check_image_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://x/a.png",
            "javascript:alert(1)",
            "/etc/passwd",
            "https://",
            "https:///x",
            "/uploads/../x.png",
        ] {
            assert!(check_image_url(bad).is_err(), "{bad}");
        }
        assert!(check_image_url(&format!("https://x.io/{}", "a".repeat(2048))).is_err());
    }
}
