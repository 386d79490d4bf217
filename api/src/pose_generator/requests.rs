//! Pose requests (api.md §7.18–§7.23, §8.10): users ask for poses the library lacks and
//! vote on each other's requests; admins move them through the state machine. No HTTP
//! here.
//!
//! Every state change is one conditional `UPDATE … WHERE id = ? AND status IN (…)`, so
//! two admins acting at once cannot both succeed, and a vote is counted in the same
//! transaction that inserts it, guarded by the unique `(requestId, userId)` pair.

use std::collections::{HashMap, HashSet};

use entity::{pose_categories, pose_library, pose_request_votes as votes, pose_requests, users};
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sea_query::{Expr, ExprTrait, LockType, Query},
};
use serde_json::Value;

use super::library::Catalogue;
use super::projects::check_image_url;
use super::views::{
    PoseRequest, PoseRequestStats, PoseRequestUser, PoseRequestWithUser, PoseRequestWithVote,
};
use crate::error::{ApiError, ErrorDetails, FieldErrors};
use crate::pagination::{PageRequest, Pagination, fetch_page};
use crate::{ids, timestamp};

use crate::vocabulary::{PoseRequestStatus, Vocabulary};
use pose_requests::Column;

/// A request in one of these blocks another one of the same name by the same user.
const OPEN: [PoseRequestStatus; 3] = [
    PoseRequestStatus::Pending,
    PoseRequestStatus::Approved,
    PoseRequestStatus::InProgress,
];
/// Voting is open in these.
const VOTABLE: [PoseRequestStatus; 2] = [PoseRequestStatus::Pending, PoseRequestStatus::Approved];
/// The alias of "the caller voted for it", selected beside each listed request.
const HAS_VOTED: &str = "has_voted";
/// `scope=all` shows these (rejected requests stay private).
const SHOWN_TO_ALL: [PoseRequestStatus; 4] = [
    PoseRequestStatus::Pending,
    PoseRequestStatus::Approved,
    PoseRequestStatus::InProgress,
    PoseRequestStatus::Completed,
];

const POSE_NAME_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 500;
const USE_CASE_MAX: usize = 100;
const ADMIN_NOTES_MAX: usize = 1000;
/// Default and bounds of `GET /admin/pose-requests/popular?limit=`.
const POPULAR_DEFAULT: i64 = 20;

fn not_found() -> ApiError {
    ApiError::NotFound("Pose request not found".into())
}

fn conflict(message: impl Into<String>, details: Option<ErrorDetails>) -> ApiError {
    ApiError::Conflict {
        message: message.into(),
        details,
    }
}

fn status_error(field: &str) -> String {
    format!(
        "{field} must be one of: {}",
        PoseRequestStatus::words().join(", ")
    )
}

/// Trimmed text of at most `max` characters; blank is `None`.
fn trimmed(value: Option<&str>, max: usize, too_long: &str) -> Result<Option<String>, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => Err(too_long.to_owned()),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// Like [`trimmed`], for a field that must be present: blank is `missing`.
fn required(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
    missing: &str,
    too_long: &str,
) -> Option<String> {
    match trimmed(value, max, too_long) {
        Ok(Some(v)) => Some(v),
        Ok(None) => {
            errors.add(field, missing);
            None
        }
        Err(message) => {
            errors.add(field, message);
            None
        }
    }
}

fn optional(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
    too_long: &str,
) -> Option<String> {
    trimmed(value, max, too_long).unwrap_or_else(|message| {
        errors.add(field, message);
        None
    })
}

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

/// A write transaction that serialises with other writers: `BEGIN IMMEDIATE` on SQLite
/// (a deferred one would fail with `SQLITE_BUSY` when it upgrades to write after a
/// concurrent commit); a plain one on PostgreSQL, where callers lock rows instead.
async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// The request objects of `rows`, in order: each with its category (and computed
/// `poseCount`) and its completed pose, in at most three statements.
async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<pose_requests::Model>,
) -> Result<Vec<PoseRequest>, DbErr> {
    let catalogue = if rows.iter().any(|r| r.category_id.is_some()) {
        Some(Catalogue::load(db).await?)
    } else {
        None
    };
    let pose_ids: Vec<String> = rows
        .iter()
        .filter_map(|r| r.completed_pose_id.clone())
        .collect();
    let poses: HashMap<String, pose_library::Model> = if pose_ids.is_empty() {
        HashMap::new()
    } else {
        pose_library::Entity::find()
            .filter(pose_library::Column::Id.is_in(pose_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let category = r
                .category_id
                .as_deref()
                .and_then(|id| catalogue.as_ref()?.view(id));
            let completed = r
                .completed_pose_id
                .as_deref()
                .and_then(|id| poses.get(id).cloned())
                .map(Into::into);
            PoseRequest::new(r, category, completed)
        })
        .collect())
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

/// A `POST /requests` body as received.
#[derive(Debug, Default)]
pub struct NewRequest<'a> {
    pub pose_name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub category_id: Option<&'a str>,
    pub use_case: Option<&'a str>,
    pub reference_image_url: Option<&'a str>,
}

/// Validates (400, including an unknown category), applies the duplicate guard (409)
/// and creates the request, `pending` with no votes.
pub async fn create(
    db: &DatabaseConnection,
    user_id: &str,
    input: NewRequest<'_>,
) -> Result<PoseRequest, ApiError> {
    let mut errors = FieldErrors::new();
    let pose_name = required(
        &mut errors,
        "poseName",
        input.pose_name,
        POSE_NAME_MAX,
        "Pose name is required",
        "Pose name must be at most 100 characters",
    );
    let description = required(
        &mut errors,
        "description",
        input.description,
        DESCRIPTION_MAX,
        "Description is required",
        "Description must be at most 500 characters",
    );
    let use_case = optional(
        &mut errors,
        "useCase",
        input.use_case,
        USE_CASE_MAX,
        "Use case must be at most 100 characters",
    );
    let reference_image_url = input
        .reference_image_url
        .map(str::trim)
        .filter(|url| !url.is_empty());
    if let Some(Err(message)) = reference_image_url.map(check_image_url) {
        errors.add("referenceImageUrl", message);
    }
    let category_id = input.category_id.map(str::trim).filter(|id| !id.is_empty());
    if let Some(id) = category_id {
        let exists =
            ids::is_plausible(id) && pose_categories::Entity::find_by_id(id).count(db).await? > 0;
        if !exists {
            errors.add("categoryId", format!("Category {id} not found"));
        }
    }
    let (Some(pose_name), Some(description)) = (pose_name, description) else {
        return Err(ApiError::validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }

    let txn = begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Serialises one user's creates, so two at once cannot both pass the guard.
        users::Entity::find_by_id(user_id)
            .lock(LockType::Update)
            .one(&txn)
            .await?;
    }
    let wanted = pose_name.to_lowercase();
    let open: Vec<(String, String)> = pose_requests::Entity::find()
        .select_only()
        .column(Column::PoseName)
        .column(Column::Status)
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Status.is_in(OPEN))
        .order_by_asc(Column::CreatedAt)
        .into_tuple()
        .all(&txn)
        .await?;
    if let Some((name, status)) = open
        .into_iter()
        .find(|(name, _)| name.trim().to_lowercase() == wanted)
    {
        return Err(conflict(
            format!(
                "You already have a {status} request for \"{}\"",
                name.trim()
            ),
            None,
        ));
    }
    let now = timestamp::now();
    let request = pose_requests::ActiveModel {
        id: Set(ids::new_id()),
        user_id: Set(user_id.to_owned()),
        pose_name: Set(pose_name),
        description: Set(description),
        reference_image_url: Set(reference_image_url.map(str::to_owned)),
        category_id: Set(category_id.map(str::to_owned)),
        use_case: Set(use_case),
        votes_count: Set(0),
        status: Set(PoseRequestStatus::Pending.into()),
        admin_notes: Set(None),
        completed_pose_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(views(db, vec![request]).await?.remove(0))
}

/// `GET /requests?scope=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The caller's own requests, any status.
    Mine,
    /// Everyone's requests except rejected ones.
    All,
}

/// `scope` and `status` of `GET /requests`, validated together (400 per field).
pub fn parse_list_query(
    scope: Option<&str>,
    status: Option<&str>,
) -> Result<(Scope, Option<String>), ApiError> {
    let mut errors = FieldErrors::new();
    let scope = match scope.unwrap_or("mine") {
        "mine" => Scope::Mine,
        "all" => Scope::All,
        _ => {
            errors.add("scope", "Scope must be one of: mine, all");
            Scope::Mine
        }
    };
    let status = parse_status(&mut errors, status);
    if errors.is_empty() {
        Ok((scope, status))
    } else {
        Err(ApiError::validation(errors))
    }
}

fn parse_status(errors: &mut FieldErrors, status: Option<&str>) -> Option<String> {
    let status = status?;
    if PoseRequestStatus::parse(status).is_some() {
        Some(status.to_owned())
    } else {
        errors.add("status", status_error("Status"));
        None
    }
}

/// One page of requests for `user_id` (api.md §7.19), each with `hasVoted`. With
/// [`Scope::All`], other users' admin notes are hidden.
pub async fn list(
    db: &DatabaseConnection,
    user_id: &str,
    scope: Scope,
    status: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<PoseRequestWithVote>, Pagination), ApiError> {
    let mut query = pose_requests::Entity::find();
    query = match scope {
        Scope::Mine => query.filter(Column::UserId.eq(user_id)),
        Scope::All => query.filter(Column::Status.is_in(SHOWN_TO_ALL)),
    };
    if let Some(status) = status {
        query = query.filter(Column::Status.eq(status));
    }
    if scope == Scope::All {
        query = query.order_by_desc(Column::VotesCount);
    }
    // Whether the caller voted is selected beside each row, like the total.
    let my_vote = Query::select()
        .expr(Expr::val(1))
        .from(votes::Entity)
        .and_where(
            Expr::col((votes::Entity, votes::Column::RequestId))
                .equals((pose_requests::Entity, Column::Id)),
        )
        .and_where(Expr::col((votes::Entity, votes::Column::UserId)).eq(user_id))
        .to_owned();
    let query = query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .expr_as(Expr::exists(my_vote), HAS_VOTED);
    let (page_rows, total) = fetch_page(db, query, page).await?;
    let mut rows = Vec::with_capacity(page_rows.len());
    let mut voted = HashSet::new();
    for row in &page_rows {
        let request = pose_requests::Model::from_query_result(row, "")?;
        if row.try_get::<bool>("", HAS_VOTED)? {
            voted.insert(request.id.clone());
        }
        rows.push(request);
    }
    if scope == Scope::All {
        for row in rows.iter_mut().filter(|r| r.user_id != user_id) {
            row.admin_notes = None;
        }
    }
    let list = views(db, rows)
        .await?
        .into_iter()
        .map(|request| PoseRequestWithVote {
            has_voted: voted.contains(&request.id),
            request,
        })
        .collect();
    Ok((list, page.of(total)))
}

/// Records `user_id`'s vote (api.md §7.20): the vote row and `votesCount + 1` in one
/// transaction. A second vote, even a concurrent one, hits the unique
/// `(requestId, userId)` pair and answers 409.
pub async fn vote(
    db: &DatabaseConnection,
    user_id: &str,
    request_id: &str,
) -> Result<PoseRequestWithVote, ApiError> {
    if !ids::is_plausible(request_id) {
        return Err(not_found());
    }
    let request = pose_requests::Entity::find_by_id(request_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if request.user_id == user_id {
        return Err(conflict("You cannot vote on your own request", None));
    }
    if !VOTABLE.iter().any(|s| s.as_str() == request.status) {
        return Err(voting_closed(&request.status));
    }

    let txn = begin_write(db).await?;
    let now = timestamp::now();
    let inserted = votes::ActiveModel {
        id: Set(ids::new_id()),
        request_id: Set(request_id.to_owned()),
        user_id: Set(user_id.to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(err) => {
            return Err(match err.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => {
                    conflict("You have already voted for this request", None)
                }
                // The request was deleted since it was read.
                Some(SqlErr::ForeignKeyConstraintViolation(_)) => not_found(),
                _ => err.into(),
            });
        }
    }
    let counted = pose_requests::Entity::update_many()
        .col_expr(Column::VotesCount, Expr::col(Column::VotesCount).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(request_id))
        .filter(Column::Status.is_in(VOTABLE))
        .exec(&txn)
        .await?;
    if counted.rows_affected == 0 {
        // Closed (or deleted) between the read and the vote: nothing is kept.
        txn.rollback().await?;
        let current = pose_requests::Entity::find_by_id(request_id)
            .one(db)
            .await?
            .ok_or_else(not_found)?;
        return Err(voting_closed(&current.status));
    }
    txn.commit().await?;
    let request = pose_requests::Entity::find_by_id(request_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let request = views(db, vec![request]).await?.remove(0);
    Ok(PoseRequestWithVote {
        request,
        has_voted: true,
    })
}

fn voting_closed(status: &str) -> ApiError {
    conflict(
        "Voting is closed for this request",
        Some(ErrorDetails::from([(
            "status".to_owned(),
            Value::from(status),
        )])),
    )
}

/// The filters of `GET /admin/pose-requests`.
#[derive(Debug, Default)]
pub struct AdminFilter<'a> {
    pub status: Option<&'a str>,
    pub category_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
}

/// Validates the admin list filters (400 on `status`).
fn check_admin_filter(filter: &AdminFilter<'_>) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    parse_status(&mut errors, filter.status);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// One page of every request matching `filter`, newest first, with requesters.
pub async fn admin_list(
    db: &DatabaseConnection,
    filter: &AdminFilter<'_>,
    page: PageRequest,
) -> Result<(Vec<PoseRequestWithUser>, Pagination), ApiError> {
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
pub async fn stats(db: &DatabaseConnection) -> Result<PoseRequestStats, ApiError> {
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
) -> Result<Vec<PoseRequestWithUser>, ApiError> {
    let limit = limit.unwrap_or(POPULAR_DEFAULT);
    if !(1..=crate::pagination::MAX_LIMIT as i64).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "Limit must be an integer between 1 and 100",
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
pub async fn admin_get(db: &DatabaseConnection, id: &str) -> Result<PoseRequestWithUser, ApiError> {
    if !ids::is_plausible(id) {
        return Err(not_found());
    }
    let request = pose_requests::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
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
) -> Result<PoseRequestWithUser, ApiError> {
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
        return Err(ApiError::validation(errors));
    }
    if !ids::is_plausible(id) {
        return Err(not_found());
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
            .ok_or_else(not_found)?;
        let details = ErrorDetails::from([
            ("status".to_owned(), Value::from(current.status.as_str())),
            (
                "allowedFrom".to_owned(),
                Value::from(PoseRequestStatus::spellings(transition.allowed_from())),
            ),
        ]);
        return Err(conflict(
            format!(
                "Cannot {} a request with status {}",
                transition.action(),
                current.status
            ),
            Some(details),
        ));
    }
    admin_get(db, id).await
}

/// Replaces the admin notes in any status (api.md §7.23); 1..1000 characters.
pub async fn update_notes(
    db: &DatabaseConnection,
    id: &str,
    notes: Option<&str>,
) -> Result<PoseRequestWithUser, ApiError> {
    let mut errors = FieldErrors::new();
    let notes = admin_notes(&mut errors, notes, true);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if !ids::is_plausible(id) {
        return Err(not_found());
    }
    let updated = pose_requests::Entity::update_many()
        .col_expr(Column::AdminNotes, Expr::value(notes))
        .col_expr(Column::UpdatedAt, Expr::value(timestamp::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(not_found());
    }
    admin_get(db, id).await
}
