//! Avatar projects (api.md §6.1–§6.5): the caller's projects with their avatars.
//! Ownership is part of every query: another user's project is "not found" (§8.1).

use std::collections::HashMap;

use entity::{avatar_generations, avatar_projects, avatars};
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, TransactionTrait,
    sea_query::{LockType, Query},
};

use super::error::AvatarCreatorError;
use crate::error::FieldErrors;
use crate::fields::{ProjectName, parse_description};
use crate::{ids, timestamp};

/// The caller's project, or 404.
pub async fn find_owned<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    id: &str,
) -> Result<avatar_projects::Model, AvatarCreatorError> {
    if !ids::is_plausible(id) {
        return Err(AvatarCreatorError::ProjectNotFound);
    }
    avatar_projects::Entity::find_by_id(id)
        .filter(avatar_projects::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(AvatarCreatorError::ProjectNotFound)
}

/// Avatars newest first (the order of every avatar list of a project).
fn newest_first(query: Select<avatars::Entity>) -> Select<avatars::Entity> {
    query
        .order_by_desc(avatars::Column::CreatedAt)
        .order_by_asc(avatars::Column::Id)
}

/// Every project of the user with its avatars: two statements whatever the counts.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<(avatar_projects::Model, Vec<avatars::Model>)>, AvatarCreatorError> {
    let projects = avatar_projects::Entity::find()
        .filter(avatar_projects::Column::UserId.eq(user_id))
        .order_by_desc(avatar_projects::Column::UpdatedAt)
        .order_by_desc(avatar_projects::Column::CreatedAt)
        .order_by_asc(avatar_projects::Column::Id)
        .all(db)
        .await?;
    // The avatars of the same projects, selected by owner in the database: one
    // statement text whatever the number of projects.
    let owned_projects = Query::select()
        .column(avatar_projects::Column::Id)
        .from(avatar_projects::Entity)
        .and_where(avatar_projects::Column::UserId.eq(user_id))
        .to_owned();
    let avatars = newest_first(
        avatars::Entity::find().filter(avatars::Column::ProjectId.in_subquery(owned_projects)),
    )
    .all(db)
    .await?;
    // One pass, keeping the query's order within each project.
    let mut by_project: HashMap<String, Vec<avatars::Model>> = HashMap::new();
    for avatar in avatars {
        by_project
            .entry(avatar.project_id.clone())
            .or_default()
            .push(avatar);
    }
    Ok(projects
        .into_iter()
        .map(|p| {
            let mine = by_project.remove(&p.id).unwrap_or_default();
            (p, mine)
        })
        .collect())
}

/// One project with its avatars.
pub async fn get(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
) -> Result<(avatar_projects::Model, Vec<avatars::Model>), AvatarCreatorError> {
    let project = find_owned(db, user_id, id).await?;
    let avatars = newest_first(
        avatars::Entity::find().filter(avatars::Column::ProjectId.eq(project.id.as_str())),
    )
    .all(db)
    .await?;
    Ok((project, avatars))
}

pub async fn create(
    db: &DatabaseConnection,
    user_id: &str,
    name: ProjectName,
    description: Option<String>,
) -> Result<avatar_projects::Model, AvatarCreatorError> {
    let now = timestamp::now();
    Ok(avatar_projects::ActiveModel {
        id: Set(ids::new_id()),
        user_id: Set(user_id.to_owned()),
        name: Set(name.into_inner()),
        description: Set(description),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// What an update changes: `None` leaves a field as it is; for the description,
/// `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct ProjectChanges {
    pub name: Option<ProjectName>,
    pub description: Option<Option<String>>,
}

pub async fn update(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
    changes: ProjectChanges,
) -> Result<avatar_projects::Model, AvatarCreatorError> {
    let project = find_owned(db, user_id, id).await?;
    let name_changes = changes
        .name
        .as_ref()
        .is_some_and(|n| n.as_str() != project.name);
    let description_changes = changes
        .description
        .as_ref()
        .is_some_and(|d| *d != project.description);
    if !name_changes && !description_changes {
        return Ok(project);
    }
    let mut active: avatar_projects::ActiveModel = project.into();
    if let Some(name) = changes.name {
        active.name = Set(name.into_inner());
    }
    if let Some(description) = changes.description {
        active.description = Set(description);
    }
    active.updated_at = Set(timestamp::now());
    Ok(active.update(db).await?)
}

/// Deletes the project; the database cascades to its avatars, their usage history and
/// its generations, and sets Pose Generator references to NULL (§8.6). Refused while a
/// generation of the project is pending or processing. Returns the image URLs of the
/// deleted avatars, for the caller to remove after the commit.
pub async fn delete(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
) -> Result<Vec<String>, AvatarCreatorError> {
    if !ids::is_plausible(id) {
        return Err(AvatarCreatorError::ProjectNotFound);
    }
    let txn = db.begin().await?;
    // Lock the project row: generation requests lock it too, so none is accepted
    // between the check and the delete (PostgreSQL; SQLite serialises writers).
    let mut query =
        avatar_projects::Entity::find_by_id(id).filter(avatar_projects::Column::UserId.eq(user_id));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock(LockType::Update);
    }
    let project = query
        .one(&txn)
        .await?
        .ok_or(AvatarCreatorError::ProjectNotFound)?;
    let active = avatar_generations::Entity::find()
        .filter(avatar_generations::Column::ProjectId.eq(project.id.as_str()))
        .filter(avatar_generations::Column::Status.is_in(super::generations::OPEN))
        .count(&txn)
        .await?;
    if active > 0 {
        return Err(AvatarCreatorError::ProjectHasActiveGenerations { active });
    }
    let files: Vec<String> = avatars::Entity::find()
        .filter(avatars::Column::ProjectId.eq(project.id.as_str()))
        .all(&txn)
        .await?
        .into_iter()
        .flat_map(|a| std::iter::once(a.base_image_url).chain(a.thumbnail_url))
        .collect();
    avatar_projects::Entity::delete_by_id(project.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(files)
}

/// Field errors for a project body, in request field names.
pub fn validate(
    name: Option<&str>,
    description: Option<Option<&str>>,
    name_required: bool,
) -> Result<(Option<ProjectName>, Option<Option<String>>), AvatarCreatorError> {
    let mut errors = FieldErrors::new();
    let name = match name {
        Some(raw) => match ProjectName::parse(raw) {
            Ok(n) => Some(n),
            Err(message) => {
                errors.add("name", message);
                None
            }
        },
        None if name_required => {
            errors.add("name", "Project name is required");
            None
        }
        None => None,
    };
    let description = match description {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => match parse_description(raw) {
            Ok(d) => Some(d),
            Err(message) => {
                errors.add("description", message);
                None
            }
        },
    };
    if errors.is_empty() {
        Ok((name, description))
    } else {
        Err(AvatarCreatorError::Invalid(errors))
    }
}

/// The project row, locked `FOR SHARE` on PostgreSQL so it cannot be deleted while the
/// avatar is being added (api.md §8.2.5); gone meanwhile → 404.
pub async fn lock_for_avatar(
    txn: &DatabaseTransaction,
    user_id: &str,
    project_id: &str,
) -> Result<avatar_projects::Model, AvatarCreatorError> {
    let mut query = avatar_projects::Entity::find_by_id(project_id)
        .filter(avatar_projects::Column::UserId.eq(user_id));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock(LockType::Share);
    }
    query
        .one(txn)
        .await?
        .ok_or(AvatarCreatorError::ProjectNotFound)
}
