//! The admin side of pose requests (api.md §7.21–§7.23): the review list with each
//! requester, stats, the popular list, and the state machine's transitions and notes.

use std::collections::HashMap;

use entity::{pose_library, pose_requests, users};
use migration::sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use crate::error::FieldErrors;
use crate::pagination::{PageRequest, Pagination};
use crate::pose_generator::error::PoseGeneratorError;
use crate::pose_generator::views::{PoseRequestStats, PoseRequestUser, PoseRequestWithUser};
use crate::{ids, timestamp};

use crate::vocabulary::PoseRequestStatus;
use pose_requests::Column;

use super::{VOTABLE, optional, parse_status, required, views};

const ADMIN_NOTES_MAX: usize = 1000;
/// Default and bounds of `GET /admin/pose-requests/popular?limit=`.
const POPULAR_DEFAULT: i64 = 20;

fn admin_notes(
    errors: &mut FieldErrors,
    value: Option<&str>,
    required_here: bool,
) -> Option<String> {
    const TOO_LONG: &str = "Admin notes must be at most 1000 characters";
    if required_here {
        required(
            errors,
            "adminNotes",
            value,
            ADMIN_NOTES_MAX,
            "Admin notes are required",
            TOO_LONG,
        )
    } else {
        optional(errors, "adminNotes", value, ADMIN_NOTES_MAX, TOO_LONG)
    }
}

/// The admin objects of `rows`: each request with its requester.
async fn admin_views(
    db: &impl ConnectionTrait,
    rows: Vec<pose_requests::Model>,
) -> Result<Vec<PoseRequestWithUser>, DbErr> {
    let user_ids: Vec<String> = rows.iter().map(|r| r.user_id.clone()).collect();
    let users: HashMap<String, users::Model> = if user_ids.is_empty() {
        HashMap::new()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(user_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect()
    };
    Ok(views(db, rows)
        .await?
        .into_iter()
        .map(|request| PoseRequestWithUser {
            user: users
                .get(&request.user_id)
                .cloned()
                .map(PoseRequestUser::from)
                .into(),
            request,
        })
        .collect())
}

/// The filters of `GET /admin/pose-requests`.
#[derive(Debug, Default)]
pub struct AdminFilter<'a> {
    pub status: Option<&'a str>,
    pub category_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
}

/// Validates the admin list filters (400 on `status`).
fn check_admin_filter(filter: &AdminFilter<'_>) -> Result<(), PoseGeneratorError> {
    let mut errors = FieldErrors::new();
    parse_status(&mut errors, filter.status);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(PoseGeneratorError::Invalid(errors))
    }
}

/// One page of every request matching `filter`, newest first, with requesters.
pub async fn admin_list(
    db: &DatabaseConnection,
    filter: &AdminFilter<'_>,
    page: PageRequest,
) -> Result<(Vec<PoseRequestWithUser>, Pagination), PoseGeneratorError> {
    check_admin_filter(filter)?;
    let mut query = pose_requests::Entity::find();
    if let Some(status) = filter.status {
        query = query.filter(Column::Status.eq(status));
    }
    if let Some(category_id) = filter.category_id {
        query = query.filter(Column::CategoryId.eq(category_id));
    }
    if let Some(user_id) = filter.user_id {
        query = query.filter(Column::UserId.eq(user_id));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .offset(page.offset())
        .limit(page.limit)
        .all(db)
        .await?;
    Ok((admin_views(db, rows).await?, page.of(total)))
}

/// Requests per status, in one statement.
pub async fn stats(db: &DatabaseConnection) -> Result<PoseRequestStats, PoseGeneratorError> {
    let rows: Vec<(String, i64)> = pose_requests::Entity::find()
        .select_only()
        .column(Column::Status)
        .column_as(Column::Id.count(), "requests")
        .group_by(Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let count = |status: PoseRequestStatus| {
        rows.iter()
            .find(|(s, _)| s == status.as_str())
            .map_or(0, |(_, n)| *n)
    };
    Ok(PoseRequestStats {
        total: rows.iter().map(|(_, n)| n).sum(),
        pending: count(PoseRequestStatus::Pending),
        approved: count(PoseRequestStatus::Approved),
        in_progress: count(PoseRequestStatus::InProgress),
        completed: count(PoseRequestStatus::Completed),
        rejected: count(PoseRequestStatus::Rejected),
    })
}

/// The most voted requests still open for voting: `votesCount` DESC, then oldest
/// first. `limit` is 1..100, default 20.
pub async fn popular(
    db: &DatabaseConnection,
    limit: Option<i64>,
) -> Result<Vec<PoseRequestWithUser>, PoseGeneratorError> {
    let limit = limit.unwrap_or(POPULAR_DEFAULT);
    if !(1..=crate::pagination::MAX_LIMIT as i64).contains(&limit) {
        return Err(PoseGeneratorError::Invalid(
            FieldErrors::new().with("limit", "Limit must be an integer between 1 and 100"),
        ));
    }
    let rows = pose_requests::Entity::find()
        .filter(Column::Status.is_in(VOTABLE))
        .order_by_desc(Column::VotesCount)
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .limit(limit as u64)
        .all(db)
        .await?;
    Ok(admin_views(db, rows).await?)
}

/// One request with its requester, or 404 `"Pose request not found"`.
pub async fn admin_get(
    db: &DatabaseConnection,
    id: &str,
) -> Result<PoseRequestWithUser, PoseGeneratorError> {
    if !ids::is_plausible(id) {
        return Err(PoseGeneratorError::RequestNotFound);
    }
    let request = pose_requests::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(PoseGeneratorError::RequestNotFound)?;
    Ok(admin_views(db, vec![request]).await?.remove(0))
}

/// The admin transitions of the state machine (api.md §8.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Approve,
    Reject,
    MarkInProgress,
    MarkCompleted,
}

impl Transition {
    /// The statuses it may start from.
    pub fn allowed_from(self) -> &'static [PoseRequestStatus] {
        match self {
            Self::Approve | Self::Reject => &[PoseRequestStatus::Pending],
            Self::MarkInProgress => &[PoseRequestStatus::Approved],
            Self::MarkCompleted => &[PoseRequestStatus::InProgress],
        }
    }

    pub fn target(self) -> PoseRequestStatus {
        match self {
            Self::Approve => PoseRequestStatus::Approved,
            Self::Reject => PoseRequestStatus::Rejected,
            Self::MarkInProgress => PoseRequestStatus::InProgress,
            Self::MarkCompleted => PoseRequestStatus::Completed,
        }
    }

    /// `<action>` in "Cannot <action> a request with status <status>".
    fn action(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::MarkInProgress => "mark in progress",
            Self::MarkCompleted => "mark completed",
        }
    }

    /// The success message.
    pub fn message(self) -> &'static str {
        match self {
            Self::Approve => "Pose request approved",
            Self::Reject => "Pose request rejected",
            Self::MarkInProgress => "Pose request marked as in progress",
            Self::MarkCompleted => "Pose request marked as completed",
        }
    }
}

/// The body of a transition as received.
#[derive(Debug, Default)]
pub struct TransitionInput<'a> {
    pub admin_notes: Option<&'a str>,
    pub completed_pose_id: Option<&'a str>,
}

/// Validates the body (400; for completion the library pose must exist), then moves
/// the request in one conditional update. 404 if it does not exist; 409 with
/// `{ status, allowedFrom }` if its status does not allow the transition.
pub async fn transition(
    db: &DatabaseConnection,
    id: &str,
    transition: Transition,
    input: TransitionInput<'_>,
) -> Result<PoseRequestWithUser, PoseGeneratorError> {
    let mut errors = FieldErrors::new();
    let notes = admin_notes(
        &mut errors,
        input.admin_notes,
        transition == Transition::Reject,
    );
    let completed_pose_id = if transition == Transition::MarkCompleted {
        match input
            .completed_pose_id
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => {
                errors.add("completedPoseId", "Completed pose id is required");
                None
            }
            Some(pose_id) => {
                let exists = ids::is_plausible(pose_id)
                    && pose_library::Entity::find_by_id(pose_id).count(db).await? > 0;
                if !exists {
                    errors.add("completedPoseId", "Pose not found");
                }
                Some(pose_id.to_owned())
            }
        }
    } else {
        None
    };
    if !errors.is_empty() {
        return Err(PoseGeneratorError::Invalid(errors));
    }
    if !ids::is_plausible(id) {
        return Err(PoseGeneratorError::RequestNotFound);
    }

    let mut update = pose_requests::Entity::update_many()
        .col_expr(Column::Status, Expr::value(transition.target()))
        .col_expr(Column::UpdatedAt, Expr::value(timestamp::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in(transition.allowed_from().iter().copied()));
    // Approval and rejection replace the notes (absent clears them); the later steps
    // keep them unless new ones are given.
    if matches!(transition, Transition::Approve | Transition::Reject) || notes.is_some() {
        update = update.col_expr(Column::AdminNotes, Expr::value(notes));
    }
    if let Some(pose_id) = completed_pose_id {
        update = update.col_expr(Column::CompletedPoseId, Expr::value(pose_id));
    }
    if update.exec(db).await?.rows_affected == 0 {
        let current = pose_requests::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(PoseGeneratorError::RequestNotFound)?;
        return Err(PoseGeneratorError::TransitionNotAllowed {
            action: transition.action(),
            status: current.status,
            allowed_from: transition.allowed_from(),
        });
    }
    admin_get(db, id).await
}

/// Replaces the admin notes in any status (api.md §7.23); 1..1000 characters.
pub async fn update_notes(
    db: &DatabaseConnection,
    id: &str,
    notes: Option<&str>,
) -> Result<PoseRequestWithUser, PoseGeneratorError> {
    let mut errors = FieldErrors::new();
    let notes = admin_notes(&mut errors, notes, true);
    if !errors.is_empty() {
        return Err(PoseGeneratorError::Invalid(errors));
    }
    if !ids::is_plausible(id) {
        return Err(PoseGeneratorError::RequestNotFound);
    }
    let updated = pose_requests::Entity::update_many()
        .col_expr(Column::AdminNotes, Expr::value(notes))
        .col_expr(Column::UpdatedAt, Expr::value(timestamp::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(PoseGeneratorError::RequestNotFound);
    }
    admin_get(db, id).await
}
