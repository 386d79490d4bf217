//! The baseline: the same two endpoints as our API (api.md §6.1, §6.2) written as the
//! fastest honest implementation of the same work — bearer JWT (HS256) verified with
//! the same function, the caller's row and session read with the API's own statement,
//! the API's statements through the same driver and pool size, rows serialised with
//! serde. No OpenAPI layer, no middleware. `POST` sends the API's two statements (the
//! caller, `INSERT … RETURNING`). `GET` runs the
//! API's own one statement (user, session, validator and the page as JSON written by
//! PostgreSQL), and keeps each caller's page under its validator's tag as the API does
//! (`api::http::page_cache`), so the ratio keeps meaning "our overhead" for the same
//! statements.

use std::sync::Arc;
use std::time::Duration;

use api::{avatar_creator::project_list, http::page_cache::PageCache};
use chrono::{NaiveDateTime, SubsecRound, Utc};
use migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, QueryTrait,
    Statement, Value,
};
use poem::{
    Body, EndpointExt, Request, Response, Route, Server, get, handler, http::StatusCode,
    listener::TcpListener, web::Data,
};
use serde::{Deserialize, Serialize};

/// The API's PostgreSQL pool size (api/src/startup.rs), so both sides get as many
/// database connections.
pub const POOL_SIZE: u32 = 10;

#[derive(Clone)]
struct State {
    db: DatabaseConnection,
    secret: Arc<str>,
    pages: Arc<PageCache>,
}

/// Serves `GET` and `POST /api/apps/avatar-creator/projects` on 127.0.0.1:`port`
/// until the process is killed.
pub async fn serve(port: u16, database_url: &str, secret: String) -> std::io::Result<()> {
    let mut options = ConnectOptions::new(database_url);
    options
        .sqlx_logging(false)
        .max_connections(POOL_SIZE)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    let db = Database::connect(options)
        .await
        .map_err(std::io::Error::other)?;
    let state = State {
        db,
        secret: secret.into(),
        // The API's default `PAGE_CACHE_MB`.
        pages: Arc::new(PageCache::new(
            api::config::Limits::for_this_machine().page_cache_bytes,
        )),
    };
    let app = Route::new()
        .at(
            "/api/apps/avatar-creator/projects",
            get(list_projects).post(create_project),
        )
        .data(state);
    Server::new(TcpListener::bind(("127.0.0.1", port)))
        .run(app)
        .await
}

const DATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

fn date(value: NaiveDateTime) -> String {
    value.format(DATE_FORMAT).to_string()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Avatar {
    id: String,
    user_id: String,
    project_id: String,
    name: String,
    base_image_url: String,
    thumbnail_url: Option<String>,
    persona_name: Option<String>,
    persona_age: Option<i32>,
    persona_personality: Option<String>,
    persona_background: Option<String>,
    gender: Option<String>,
    age_range: Option<String>,
    ethnicity: Option<String>,
    body_type: Option<String>,
    hair_style: Option<String>,
    hair_color: Option<String>,
    eye_color: Option<String>,
    skin_tone: Option<String>,
    style: Option<String>,
    source_type: String,
    generation_prompt: Option<String>,
    seed_used: Option<i32>,
    usage_count: i32,
    last_used_at: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Project {
    id: String,
    user_id: String,
    name: String,
    description: Option<String>,
    created_at: String,
    updated_at: String,
    avatars: Vec<Avatar>,
}

#[derive(Serialize)]
struct Created {
    message: &'static str,
    project: Project,
}

#[derive(Deserialize)]
struct CreateBody {
    name: Option<String>,
    description: Option<String>,
}

fn json(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => Response::builder()
            .status(status)
            .content_type("application/json; charset=utf-8")
            .body(bytes),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into(),
    }
}

fn failure(status: StatusCode, message: &str) -> Response {
    json(
        status,
        &serde_json::json!({ "success": false, "error": { "message": message } }),
    )
}

fn statement(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// The claims of a valid HS256 bearer token, or the 401's message.
fn claims(req: &Request, state: &State) -> Result<api::auth::jwt::Claims, &'static str> {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .ok_or("No token provided")?;
    api::auth::jwt::verify(&state.secret, token).map_err(|_| "Invalid token")
}

/// The caller's user id: a valid HS256 token whose user exists and whose session is
/// live, read with the API's own statement (`api::auth::service::caller_select`: the
/// user row with its session's existence as a sub-select).
async fn authenticate(req: &Request, state: &State) -> Result<String, Response> {
    let unauthorized = |m: &str| failure(StatusCode::UNAUTHORIZED, m);
    let database_error = |_| failure(StatusCode::INTERNAL_SERVER_ERROR, "database error");
    let claims = claims(req, state).map_err(unauthorized)?;
    let statement = api::auth::service::caller_select(&claims).build(DbBackend::Postgres);
    let row = state
        .db
        .query_one_raw(statement)
        .await
        .map_err(database_error)?
        .ok_or_else(|| unauthorized("User not found"))?;
    if claims.sid.is_some() && row.try_get::<Option<bool>>("", "sessionLive") != Ok(Some(true)) {
        return Err(unauthorized("Session ended"));
    }
    row.try_get::<String>("", "id").map_err(database_error)
}

/// The API's own statements (`api::avatar_creator::project_list::statement`): the user
/// row with its session and the list's validator, and the page written as JSON by
/// PostgreSQL in the same statement when no page is kept for the caller or the kept
/// one has another tag. The baseline sends the page as it comes.
#[handler]
async fn list_projects(req: &Request, Data(state): Data<&State>) -> Response {
    let claims = match claims(req, state) {
        Ok(claims) => claims,
        Err(message) => return failure(StatusCode::UNAUTHORIZED, message),
    };
    let read = async |page: bool| {
        let statement = project_list::statement(DbBackend::Postgres, &claims, page);
        match state.db.query_one_raw(statement).await {
            Ok(Some(row)) => match (project_list::tag_of(&row), project_list::page_of(&row)) {
                (Ok(tag), Ok(page)) => Ok((tag, page)),
                _ => Err(failure(StatusCode::INTERNAL_SERVER_ERROR, "database error")),
            },
            Ok(None) => Err(failure(StatusCode::UNAUTHORIZED, "User not found")),
            Err(_) => Err(failure(StatusCode::INTERNAL_SERVER_ERROR, "database error")),
        }
    };
    let send = |page: hyper::body::Bytes| {
        Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(page)
    };
    let kept = state.pages.holds(&claims.user_id);
    let (tag, page) = match read(!kept).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    if let Some(page) = state.pages.get(&claims.user_id, &tag) {
        return send(page);
    }
    let (tag, page) = match page {
        Some(page) => (tag, page),
        None => match read(true).await {
            Ok((tag, Some(page))) => (tag, page),
            Ok(_) => return failure(StatusCode::INTERNAL_SERVER_ERROR, "database error"),
            Err(response) => return response,
        },
    };
    let page = hyper::body::Bytes::from(page);
    state.pages.put(&claims.user_id, &tag, page.clone());
    send(page)
}

#[handler]
async fn create_project(req: &Request, body: Body, Data(state): Data<&State>) -> Response {
    let user_id = match authenticate(req, state).await {
        Ok(id) => id,
        Err(response) => return response,
    };
    let bad_request = |m: &str| failure(StatusCode::BAD_REQUEST, m);
    let Ok(bytes) = body.into_bytes().await else {
        return bad_request("Malformed JSON");
    };
    let Ok(input) = serde_json::from_slice::<CreateBody>(&bytes) else {
        return bad_request("Malformed JSON");
    };
    let name = input
        .name
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !(1..=100).contains(&name.chars().count()) {
        return bad_request("name: Project name is required or too long");
    }
    let description = input
        .description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        return bad_request("description: Description must be at most 500 characters");
    }
    let id = api::ids::new_id();
    let now = Utc::now().naive_utc().trunc_subsecs(3);
    // The statement the API's insert sends (sea-orm's `INSERT … RETURNING`).
    let insert = statement(
        r#"INSERT INTO "avatar_projects" ("id", "userId", "name", "description", "createdAt", "updatedAt")
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING "id", "userId", "name", "description", "createdAt", "updatedAt""#,
        vec![
            id.into(),
            user_id.into(),
            name.into(),
            description.into(),
            now.into(),
            now.into(),
        ],
    );
    let row = match state.db.query_one_raw(insert).await {
        Ok(Some(row)) => row,
        _ => return failure(StatusCode::INTERNAL_SERVER_ERROR, "database error"),
    };
    let project = (|| -> Result<Project, migration::sea_orm::DbErr> {
        Ok(Project {
            id: row.try_get("", "id")?,
            user_id: row.try_get("", "userId")?,
            name: row.try_get("", "name")?,
            description: row.try_get("", "description")?,
            created_at: date(row.try_get("", "createdAt")?),
            updated_at: date(row.try_get("", "updatedAt")?),
            avatars: Vec::new(),
        })
    })();
    match project {
        Ok(project) => json(
            StatusCode::CREATED,
            &Created {
                message: "Project created successfully",
                project,
            },
        ),
        Err(_) => failure(StatusCode::INTERNAL_SERVER_ERROR, "database error"),
    }
}
