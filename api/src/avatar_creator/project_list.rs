//! `GET /projects` (api.md §6.1), the hot read path of BENCHMARKS.md: every project of
//! the caller with every avatar (≈110 KB of JSON for 20 projects × 5 avatars).
//!
//! One round trip does it all. The statement that checks the bearer token (the user
//! row with its session, `auth::service::user_for_token_with`) also reads:
//!
//! * the list's **validator**: the caller's id, counts, latest change times and sums of
//!   change times of the caller's projects and of their avatars (plus the avatars'
//!   usage counters, which the Pose Generator bumps without touching `updatedAt`). Any
//!   create, update or delete of a row the list shows changes it, from any replica,
//!   since it is read from the database on every request; it becomes the strong
//!   `ETag`, so a client that holds the current list gets a `304` after this one small
//!   statement and nothing else;
//! * the **page**, unless this process keeps the caller's page already
//!   ([`crate::http::page_cache`]): then the validator alone decides, and the same tag
//!   sends the kept bytes. On PostgreSQL the page is written as JSON by the database
//!   ([`PAGE_JSON_SQL`]): no row is decoded into a model, copied into a view and
//!   serialised again. SQLite reads the rows through the entities
//!   ([`super::projects::list`]) and serialises the same views; a test proves both
//!   give the same bytes.
//!
//! With `If-None-Match`, the first statement leaves the page out: a match costs only
//! the validator; a mismatch is served from the kept page or reads it in a second
//! statement.

use entity::users;
use hyper::body::Bytes;
use migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryResult, QuerySelect,
    QueryTrait, Select, Statement, TransactionTrait, sea_query::Expr,
};
use poem::http::HeaderMap;

use crate::{
    app::AppState,
    auth::{
        jwt::Claims,
        service::{AuthError, caller_select, user_for_token_with},
    },
    http::{
        conditional::{self, Validated, Validator},
        page_cache::PageCache,
    },
};

use super::{
    error::AvatarCreatorError,
    views::{AvatarProjectWithAvatars, ProjectList},
};

/// The page of `GET /projects` as PostgreSQL writes it: the same bytes as serde writes
/// [`ProjectList`] (keys in the views' order, compact, timestamps with three fractional
/// digits and `Z`, JSON-in-text fields as strings), in the entity path's order
/// (projects by `updatedAt`, `createdAt` descending, then `id`; avatars newest first,
/// then `id`). `row_to_json` writes compact objects whose keys are the column aliases;
/// `string_agg` joins them with bare commas (`json_agg` would add spaces). It is a
/// sub-select of the auth statement, so `"users"."id"` is the caller.
pub const PAGE_JSON_SQL: &str = r#"(SELECT '{"projects":[' || COALESCE(string_agg(p."json", ',' ORDER BY p."updatedAt" DESC, p."createdAt" DESC, p."id"), '') || ']}'
  FROM (SELECT ap."id", ap."createdAt", ap."updatedAt", row_to_json(v)::text AS "json"
    FROM "avatar_projects" ap
    CROSS JOIN LATERAL (SELECT ap."id", ap."userId", ap."name", ap."description",
        to_char(ap."createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
        to_char(ap."updatedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "updatedAt",
        COALESCE((SELECT '[' || string_agg(row_to_json(w)::text, ',' ORDER BY a."createdAt" DESC, a."id") || ']'
          FROM "avatars" a
          CROSS JOIN LATERAL (SELECT a."id", a."userId", a."projectId", a."name", a."baseImageUrl",
              a."thumbnailUrl", a."personaName", a."personaAge", a."personaPersonality",
              a."personaBackground", a."gender", a."ageRange", a."ethnicity", a."bodyType",
              a."hairStyle", a."hairColor", a."eyeColor", a."skinTone", a."style", a."sourceType",
              a."generationPrompt", a."seedUsed", a."usageCount",
              to_char(a."lastUsedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastUsedAt",
              to_char(a."createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
              to_char(a."updatedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "updatedAt") w
          WHERE a."projectId" = ap."id"), '[]')::json AS "avatars") v
    WHERE ap."userId" = "users"."id") p)"#;

const PAGE: &str = "projectListPage";

/// The parts of the validator, each one sub-select of the caller's rows whose
/// aggregates are joined into one text (`||` and `CAST … AS TEXT` read the same on
/// PostgreSQL and SQLite): the projects' count, latest `updatedAt` and the sum of their
/// `updatedAt`s; the avatars' (in those projects, as the list selects them) count,
/// latest `updatedAt`, sum of `updatedAt`s, total `usageCount` and latest `lastUsedAt`.
/// Every write of a row the list shows moves one of them: a create or delete the
/// count, an update the sum (it sets `updatedAt` to now; the sum moves even when now is
/// not after the latest, as with two writes in one millisecond or a replica whose clock
/// is behind), a use the counter. With the caller's id (see [`read_validator`]) they
/// make the tag.
const VALIDATOR_PARTS: [&str; 2] = ["plProjects", "plAvatars"];

/// The SQL of each of [`VALIDATOR_PARTS`], in that order.
fn validator_parts(backend: DbBackend) -> [(&'static str, String); 2] {
    // A timestamp as a number, exact to the millisecond or better.
    let epoch = |column: &str| match backend {
        DbBackend::Postgres => format!("EXTRACT(EPOCH FROM {column})"),
        _ => format!("CAST(ROUND((julianday({column}) - 2440587.5) * 86400000.0) AS INTEGER)"),
    };
    [
        (
            VALIDATOR_PARTS[0],
            format!(
                r#"(SELECT CAST(COUNT(*) AS TEXT) || '/' || COALESCE(CAST(MAX(p."updatedAt") AS TEXT), '')
    || '/' || COALESCE(CAST(SUM({}) AS TEXT), '')
  FROM "avatar_projects" p WHERE p."userId" = "users"."id")"#,
                epoch(r#"p."updatedAt""#)
            ),
        ),
        (
            VALIDATOR_PARTS[1],
            format!(
                r#"(SELECT CAST(COUNT(*) AS TEXT) || '/' || COALESCE(CAST(MAX(a."updatedAt") AS TEXT), '')
    || '/' || COALESCE(CAST(SUM({}) AS TEXT), '')
    || '/' || COALESCE(CAST(SUM(a."usageCount") AS TEXT), '')
    || '/' || COALESCE(CAST(MAX(a."lastUsedAt") AS TEXT), '')
  FROM "avatars" a
  WHERE a."projectId" IN (SELECT p."id" FROM "avatar_projects" p WHERE p."userId" = "users"."id"))"#,
                epoch(r#"a."updatedAt""#)
            ),
        ),
    ]
}

fn with_validator(
    mut select: Select<users::Entity>,
    backend: DbBackend,
    page: bool,
) -> Select<users::Entity> {
    for (alias, sql) in validator_parts(backend) {
        select = select.expr_as(Expr::cust(sql), alias);
    }
    if page {
        select = select.expr_as(Expr::cust(PAGE_JSON_SQL), PAGE);
    }
    select
}

/// The validator of a row of [`with_validator`]: the caller's id and the parts, so two
/// users whose rows happen to have the same counts and times never share a tag (nor,
/// through it, a kept or compressed page). With the page, when the row has it.
fn read_validator(row: &QueryResult) -> Result<(Validator, Option<String>), DbErr> {
    let mut parts = vec![row.try_get::<String>("", "id")?];
    for alias in VALIDATOR_PARTS {
        parts.push(
            row.try_get::<Option<String>>("", alias)?
                .unwrap_or_default(),
        );
    }
    let parts: Vec<&dyn std::fmt::Display> = parts.iter().map(|p| p as _).collect();
    let validator = Validator::new("pl", &parts);
    // Absent when the statement left the page out.
    let page = page_of(row).ok().flatten();
    Ok((validator, page))
}

/// The answer to `GET /projects` for the bearer `token`.
///
/// The caller's page is kept ([`AppState::pages`]) under the tag it was read with. When
/// one is kept, the first statement leaves the page out: the same tag serves the kept
/// bytes, a new one reads the page again with its validator. Without a kept page (and
/// without `If-None-Match`), PostgreSQL reads everything in the first statement.
pub async fn answer(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
) -> Result<Validated<ProjectList>, AvatarCreatorError> {
    let db = &state.db;
    let backend = db.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
    let revalidating = headers.contains_key(poem::http::header::IF_NONE_MATCH);
    let pages = &state.pages;
    let (user, (validator, page)) = user_for_token_with(
        db,
        &state.config,
        token,
        |claims, select| {
            let page = postgres && !revalidating && !pages.holds(&claims.user_id);
            with_validator(select, backend, page)
        },
        read_validator,
    )
    .await?;
    if revalidating && conditional::matches(headers, validator.tag()) {
        return Ok(Validated::not_modified(&validator));
    }
    if let Some(page) = page {
        return Ok(keep(pages, &user.id, validator, page.into()));
    }
    if let Some(kept) = pages.get(&user.id, validator.tag()) {
        return Ok(Validated::fresh(&validator, kept));
    }
    let (validator, page) = read_page(db, &user.id).await?;
    Ok(keep(pages, &user.id, validator, page))
}

fn keep(
    pages: &PageCache,
    user_id: &str,
    validator: Validator,
    page: Bytes,
) -> Validated<ProjectList> {
    pages.put(user_id, validator.tag(), page.clone());
    Validated::fresh(&validator, page)
}

/// The page and its validator, from one snapshot: PostgreSQL in one statement (the page
/// written by the database), SQLite in one read transaction through the entities.
async fn read_page(
    db: &DatabaseConnection,
    user_id: &str,
) -> Result<(Validator, Bytes), AvatarCreatorError> {
    let backend = db.get_database_backend();
    let select = user_row(user_id);
    if backend == DbBackend::Postgres {
        let statement = with_validator(select, backend, true).build(backend);
        let row = db.query_one_raw(statement).await?.ok_or_else(gone)?;
        let (validator, page) = read_validator(&row)?;
        return Ok((validator, page.unwrap_or_default().into()));
    }
    let txn = db.begin().await?;
    let statement = with_validator(select, backend, false).build(backend);
    let row = txn.query_one_raw(statement).await?.ok_or_else(gone)?;
    let (validator, _) = read_validator(&row)?;
    let page = serde_json::to_vec(&entity_page(&txn, user_id).await?)
        .map_err(AvatarCreatorError::internal)?;
    txn.commit().await?;
    Ok((validator, page.into()))
}

/// The user's id alone: what the page and the validator's sub-selects hang on once the
/// token has been checked.
fn user_row(user_id: &str) -> Select<users::Entity> {
    users::Entity::find_by_id(user_id)
        .select_only()
        .column(users::Column::Id)
}

/// The caller's row went away between two statements (the account was deleted).
fn gone() -> AvatarCreatorError {
    AvatarCreatorError::Auth(AuthError::UserNotFound)
}

/// The page through the entities: what SQLite serves, and what the PostgreSQL JSON
/// must equal.
pub async fn entity_page(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<ProjectList, AvatarCreatorError> {
    let projects = super::projects::list(db, user_id).await?;
    Ok(ProjectList {
        projects: projects
            .into_iter()
            .map(|(p, a)| AvatarProjectWithAvatars::new(p, a))
            .collect(),
    })
}

/// The one statement of `GET /projects` for a token with these claims: the caller's
/// user row and session, the validator and (with `page`) the page. Public for the
/// benchmark's baseline, which runs exactly this statement.
pub fn statement(backend: DbBackend, claims: &Claims, page: bool) -> Statement {
    with_validator(caller_select(claims), backend, page).build(backend)
}

/// The tag of the validator in a row of [`statement`].
pub fn tag_of(row: &QueryResult) -> Result<String, DbErr> {
    Ok(read_validator(row)?.0.tag().to_owned())
}

/// The JSON page of a row of [`statement`] (PostgreSQL, with `page`).
pub fn page_of(row: &QueryResult) -> Result<Option<String>, DbErr> {
    row.try_get::<Option<String>>("", PAGE)
}

/// The page PostgreSQL writes for `user_id`, without the token check or the validator:
/// for the test that compares it with [`entity_page`].
pub async fn database_page(
    db: &migration::sea_orm::DatabaseConnection,
    user_id: &str,
) -> Result<Option<String>, DbErr> {
    let statement = user_row(user_id)
        .expr_as(Expr::cust(PAGE_JSON_SQL), PAGE)
        .build(db.get_database_backend());
    match db.query_one_raw(statement).await? {
        Some(row) => page_of(&row),
        None => Ok(None),
    }
}
