//! Talking to the API in-process: a client over a fresh database, JSON replies, users
//! registered through the API, and hand-made tokens for the authentication tests.

use api::AppState;
use base64::Engine;
use hmac::{KeyInit, Mac};
use poem::{
    Endpoint,
    http::{HeaderMap, StatusCode},
    test::{TestClient, TestRequestBuilder},
};
use serde_json::{Value, json};
use tests::TestDb;

pub const SECRET: &str = "test-secret-that-is-at-least-32-characters-long";
pub const PASSWORD: &str = "Correct-Horse-42";

/// The API over `db`, migrated at start-up, with extra configuration variables.
pub async fn start(
    db: &TestDb,
    extra: &[(&str, &str)],
) -> (TestClient<impl Endpoint + use<>>, AppState) {
    let mut vars = vec![
        ("DATABASE_URL", db.url.as_str()),
        ("JWT_SECRET", SECRET),
        ("AUTO_MIGRATE", "true"),
        ("RATE_LIMITS", "off"),
    ];
    vars.extend_from_slice(extra);
    let config = api::Config::from_vars(vars).expect("valid test configuration");
    let state = api::prepare(config).await.expect("the API starts");
    (TestClient::new(api::routes(state.clone())), state)
}

/// A reply as the client sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// `error.message` of an error body.
    pub fn error_message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

/// Sends the request; panics on a 500 (see below).
pub async fn send<E: Endpoint>(req: TestRequestBuilder<'_, E>) -> Reply {
    let resp = req.send().await.0;
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp
        .into_body()
        .into_string()
        .await
        .expect("a readable body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    // No request of the suite may end in a 500 (issue 4's acceptance): bad input is a
    // 4xx, and an internal error is a bug to fix, never an expected answer.
    assert_ne!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "a request produced a 500: {text}"
    );
    // Every error body of the suite fits the variant the OpenAPI document gives its
    // `code` (issue 15: typed details a client can narrow by `code`).
    if let Some(error) = body.get("error").filter(|_| !status.is_success())
        && let Err(why) = api::error::documented::check(error)
    {
        panic!("an error body does not fit its documented shape: {error} ({why})");
    }
    Reply {
        status,
        headers,
        body,
    }
}

/// `GET path` with `Authorization: Bearer <token>`.
pub async fn get_as<E: Endpoint>(cli: &TestClient<E>, path: &str, token: &str) -> Reply {
    send(
        cli.get(path)
            .header("Authorization", format!("Bearer {token}")),
    )
    .await
}

/// Registers `email` with [`PASSWORD`] and returns `(user id, token)`.
pub async fn register<E: Endpoint>(cli: &TestClient<E>, email: &str) -> (String, String) {
    let reply = send(cli.post("/api/auth/register").body_json(&json!({
        "email": email,
        "password": PASSWORD,
        "name": "Dewi",
    })))
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let data = &reply.body["data"];
    (
        data["user"]["id"].as_str().unwrap().to_owned(),
        data["token"].as_str().unwrap().to_owned(),
    )
}

/// A token with the given header and payload, signed with HS256 and `secret` the way
/// any JWT library would.
pub fn signed_token(header: &Value, payload: &Value, secret: &str) -> String {
    let message = format!("{}.{}", b64(header.to_string()), b64(payload.to_string()));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    format!("{message}.{}", b64(mac.finalize().into_bytes()))
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn now_seconds() -> i64 {
    chrono::Utc::now().timestamp()
}
