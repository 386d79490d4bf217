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
    EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sea_query::{Expr, ExprTrait, LockType, Query},
};

use super::error::PoseGeneratorError;
use super::library::Catalogue;
use super::projects::check_image_url;
use super::views::{PoseRequest, PoseRequestWithVote};
use crate::constraint::{OnConstraint, Violation};
use crate::error::FieldErrors;
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
) -> Result<PoseRequest, PoseGeneratorError> {
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
        return Err(PoseGeneratorError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(PoseGeneratorError::Invalid(errors));
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
        return Err(PoseGeneratorError::DuplicateRequest {
            status,
            pose_name: name.trim().to_owned(),
        });
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
) -> Result<(Scope, Option<String>), PoseGeneratorError> {
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
        Err(PoseGeneratorError::Invalid(errors))
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
) -> Result<(Vec<PoseRequestWithVote>, Pagination), PoseGeneratorError> {
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
) -> Result<PoseRequestWithVote, PoseGeneratorError> {
    if !ids::is_plausible(request_id) {
        return Err(PoseGeneratorError::RequestNotFound);
    }
    let request = pose_requests::Entity::find_by_id(request_id)
        .one(db)
        .await?
        .ok_or(PoseGeneratorError::RequestNotFound)?;
    if request.user_id == user_id {
        return Err(PoseGeneratorError::OwnRequestVote);
    }
    if !VOTABLE.iter().any(|s| s.as_str() == request.status) {
        return Err(PoseGeneratorError::VotingClosed {
            status: request.status,
        });
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
    inserted.on_constraint(|violation| {
        Some(match violation {
            Violation::Unique => PoseGeneratorError::AlreadyVoted,
            // The request was deleted since it was read.
            Violation::ForeignKey => PoseGeneratorError::RequestNotFound,
        })
    })?;
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
            .ok_or(PoseGeneratorError::RequestNotFound)?;
        return Err(PoseGeneratorError::VotingClosed {
            status: current.status,
        });
    }
    txn.commit().await?;
    let request = pose_requests::Entity::find_by_id(request_id)
        .one(db)
        .await?
        .ok_or(PoseGeneratorError::RequestNotFound)?;
    let request = views(db, vec![request]).await?.remove(0);
    Ok(PoseRequestWithVote {
        request,
        has_voted: true,
    })
}

mod admin;

pub use admin::{
    AdminFilter, Transition, TransitionInput, admin_get, admin_list, popular, stats, transition,
    update_notes,
};
