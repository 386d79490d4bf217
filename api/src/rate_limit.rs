//! Rate limiting (api.md §1.9): fixed windows counted in process memory, keyed by the
//! limiter's name and the user (authenticated routes) or the client IP (public routes
//! and login/register). With several replicas each counts separately.
//!
//! One middleware applies the limits, so handlers stay free of it: it finds the
//! limiter of the route, identifies the caller (a valid bearer token's user, else the
//! IP), answers 429 with `Retry-After` when the window is full, and puts the
//! `X-RateLimit-*` headers on every answer of a limited route. Login counts only
//! failed attempts, per IP and per account; a success resets the account.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, Method, StatusCode},
    web::RemoteAddr,
};
use serde_json::Value;

use crate::{
    app::AppState,
    error::{self, ApiError, ErrorDetails},
    request_id::RequestId,
};

/// A limit: at most `max` requests (or failures) per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

const fn limit(max: u32, seconds: u64) -> Limit {
    Limit {
        max,
        window: Duration::from_secs(seconds),
    }
}

/// Every limiter with its default (api.md §1.9). `RATE_LIMIT_<NAME>` overrides one.
pub const DEFAULTS: [(&str, Limit); 16] = [
    ("auth-login-ip", limit(5, 15 * 60)),
    ("auth-login-account", limit(5, 15 * 60)),
    ("auth-login-account-hour", limit(10, 3600)),
    ("auth-register", limit(3, 3600)),
    ("auth-profile-update", limit(10, 3600)),
    ("ac-project-create", limit(20, 3600)),
    ("ac-upload", limit(10, 60)),
    ("ac-generate", limit(5, 60)),
    ("ac-preset", limit(8, 60)),
    ("pg-project-create", limit(20, 3600)),
    ("pg-generate", limit(5, 60)),
    ("pg-background", limit(10, 60)),
    ("pg-export", limit(10, 60)),
    ("pg-request-create", limit(10, 3600)),
    ("pg-request-vote", limit(60, 60)),
    ("health-schema", limit(30, 60)),
];

/// The configuration variable that overrides a limiter.
pub fn variable(name: &str) -> String {
    format!("RATE_LIMIT_{}", name.to_uppercase().replace('-', "_"))
}

/// Parses `<max>/<window>`, e.g. `5/60s`, `20/1h`, `5/15m`.
pub fn parse(text: &str) -> Option<Limit> {
    let (max, window) = text.trim().split_once('/')?;
    let max: u32 = max.trim().parse().ok().filter(|m| *m > 0)?;
    let window = window.trim();
    let (number, unit) = window.split_at(window.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = number.parse().ok().filter(|n| *n > 0)?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return None,
    };
    Some(limit(max, seconds))
}

/// The state of one key's window, as the headers describe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds when the window ends.
    pub reset: u64,
    pub window: Duration,
}

impl Quota {
    fn exceeded(&self) -> bool {
        self.remaining == 0
    }

    fn retry_after(&self, now: u64) -> u64 {
        self.reset.saturating_sub(now).max(1)
    }
}

#[derive(Clone, Copy, Debug)]
struct Window {
    start: u64,
    count: u32,
}

/// The in-memory counters of every limiter.
pub struct Limiters {
    enabled: bool,
    limits: HashMap<&'static str, Limit>,
    counters: Mutex<HashMap<(&'static str, String), Window>>,
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Limiters {
    pub fn new(enabled: bool, overrides: &HashMap<String, Limit>) -> Self {
        let limits = DEFAULTS
            .iter()
            .map(|(name, default)| (*name, overrides.get(*name).copied().unwrap_or(*default)))
            .collect();
        Self {
            enabled,
            limits,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// The window of `key` under `name`, counting `add` more events in it.
    fn apply(&self, name: &'static str, key: &str, add: u32, now: u64) -> Option<Quota> {
        if !self.enabled {
            return None;
        }
        let limit = *self.limits.get(name)?;
        let window = limit.window.as_secs().max(1);
        // A poisoned lock means another request panicked mid-update: fail open.
        let mut counters = self.counters.lock().ok()?;
        if counters.len() > 100_000 {
            counters.retain(|_, w| w.start + window > now);
        }
        let entry = counters.entry((name, key.to_owned())).or_insert(Window {
            start: now,
            count: 0,
        });
        if entry.start + window <= now {
            *entry = Window {
                start: now,
                count: 0,
            };
        }
        entry.count = entry.count.saturating_add(add);
        Some(Quota {
            limit: limit.max,
            remaining: limit.max.saturating_sub(entry.count),
            reset: entry.start + window,
            window: limit.window,
        })
    }

    /// Counts one request; `Err` when the window was already full.
    pub fn hit(&self, name: &'static str, key: &str) -> Option<std::result::Result<Quota, Quota>> {
        let now = now_seconds();
        let before = self.apply(name, key, 0, now)?;
        if before.exceeded() {
            return Some(Err(before));
        }
        self.apply(name, key, 1, now).map(Ok)
    }

    /// The window without counting.
    pub fn peek(&self, name: &'static str, key: &str) -> Option<Quota> {
        self.apply(name, key, 0, now_seconds())
    }

    /// Counts one failure (login).
    pub fn fail(&self, name: &'static str, key: &str) -> Option<Quota> {
        self.apply(name, key, 1, now_seconds())
    }

    /// Forgets `key` (a successful login resets its account counters).
    pub fn reset(&self, name: &'static str, key: &str) {
        if let Ok(mut counters) = self.counters.lock() {
            counters.remove(&(name, key.to_owned()));
        }
    }
}

/// How a limited route identifies its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    User,
    Ip,
    Login,
}

/// The limiter of a route, if any. Paths are matched exactly (§1.1).
fn route_limiter(method: &Method, path: &str) -> Option<(&'static str, Key)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    Some(match (method.as_str(), segments.as_slice()) {
        ("POST", ["api", "auth", "login"]) => ("auth-login-ip", Key::Login),
        ("POST", ["api", "auth", "register"]) => ("auth-register", Key::Ip),
        ("PUT", ["api", "auth", "profile"]) => ("auth-profile-update", Key::User),
        ("GET", ["api", "health", "schema"]) => ("health-schema", Key::Ip),
        ("POST", ["api", "apps", "avatar-creator", "projects"]) => ("ac-project-create", Key::User),
        (
            "POST",
            [
                "api",
                "apps",
                "avatar-creator",
                "projects",
                _,
                "avatars",
                "upload",
            ],
        ) => ("ac-upload", Key::User),
        (
            "POST",
            [
                "api",
                "apps",
                "avatar-creator",
                "projects",
                _,
                "avatars",
                "generate",
            ],
        ) => ("ac-generate", Key::User),
        (
            "POST",
            [
                "api",
                "apps",
                "avatar-creator",
                "projects",
                _,
                "avatars",
                "from-preset",
            ],
        ) => ("ac-preset", Key::User),
        (method, ["api", "apps", "pose-generator", rest @ ..]) => match (method, rest) {
            ("POST", ["projects"]) => ("pg-project-create", Key::User),
            ("POST", ["generate"]) => ("pg-generate", Key::User),
            ("POST", ["poses", _, "background"]) => ("pg-background", Key::User),
            ("GET", ["generations", _, "export-zip"])
            | ("POST", ["poses", _, "regenerate-export"]) => ("pg-export", Key::User),
            ("POST", ["requests"]) => ("pg-request-create", Key::User),
            ("POST", ["requests", _, "vote"]) => ("pg-request-vote", Key::User),
            _ => return None,
        },
        _ => return None,
    })
}

/// The client's IP: the socket peer, or the first `X-Forwarded-For` entry behind a
/// trusted proxy.
fn client_ip(req: &Request, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(first) = req
            .header("x-forwarded-for")
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<IpAddr>().is_ok())
    {
        return first.to_owned();
    }
    match req.remote_addr() {
        RemoteAddr(poem::Addr::SocketAddr(addr)) => addr.ip().to_string(),
        other => other.to_string(),
    }
}

fn bearer_user(req: &Request, secret: &str) -> Option<String> {
    let header = req.header("authorization")?;
    let (scheme, token) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    crate::auth::jwt::verify(secret, token)
        .ok()
        .map(|c| c.user_id)
}

fn set_headers(resp: &mut Response, quota: &Quota) {
    let headers = resp.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", quota.limit.to_string()),
        ("x-ratelimit-remaining", quota.remaining.to_string()),
        ("x-ratelimit-reset", quota.reset.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

/// The handler's answer as a response, errors rendered with the one error body, so
/// the rate-limit headers can be added to every answer.
async fn respond<E: Endpoint>(inner: &E, req: Request) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate);
    match inner.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => error::render(&err, &request_id),
    }
}

fn too_many(req: &Request, quota: &Quota) -> Response {
    let retry_after = quota.retry_after(now_seconds());
    let mut details = ErrorDetails::new();
    details.insert("retryAfter".into(), retry_after.into());
    details.insert("limit".into(), quota.limit.into());
    details.insert("windowSeconds".into(), quota.window.as_secs().into());
    let err: poem::Error = ApiError::RateLimited {
        message: "Too many requests, please try again later".into(),
        details: Some(details),
    }
    .into();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate);
    let mut resp = error::render(&err, &request_id);
    set_headers(&mut resp, quota);
    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
        resp.headers_mut().insert("retry-after", value);
    }
    resp
}

/// The middleware; add it inside the request-id context.
pub struct RateLimit(pub Arc<Limiters>);

impl<E: Endpoint> Middleware<E> for RateLimit {
    type Output = RateLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RateLimitEndpoint {
            inner: ep,
            limiters: self.0.clone(),
        }
    }
}

pub struct RateLimitEndpoint<E> {
    inner: E,
    limiters: Arc<Limiters>,
}

impl<E: Endpoint> Endpoint for RateLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let Some((name, key)) = route_limiter(req.method(), req.uri().path()) else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        let Some(state) = req.data::<AppState>().cloned() else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        let ip = client_ip(&req, state.config.trust_proxy);
        let limiters = &self.limiters;
        match key {
            Key::Login => {
                // The email decides the account counters; the body is read once and put
                // back for the handler (JSON bodies are at most 1 MiB, §1.3).
                let body = req.take_body().into_bytes().await.unwrap_or_default();
                let account = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| {
                        v.get("email")
                            .and_then(Value::as_str)
                            .map(crate::auth::email::normalise)
                    })
                    .unwrap_or_default();
                req.set_body(body);
                let quotas: Vec<Quota> = [
                    limiters.peek("auth-login-ip", &ip),
                    limiters.peek("auth-login-account", &account),
                    limiters.peek("auth-login-account-hour", &account),
                ]
                .into_iter()
                .flatten()
                .collect();
                if let Some(full) = quotas
                    .iter()
                    .filter(|q| q.exceeded())
                    .max_by_key(|q| q.reset)
                {
                    return Ok(too_many(&req, full));
                }
                let mut resp = respond(&self.inner, req).await;
                let after: Vec<Quota> = if resp.status() == StatusCode::UNAUTHORIZED {
                    [
                        limiters.fail("auth-login-ip", &ip),
                        limiters.fail("auth-login-account", &account),
                        limiters.fail("auth-login-account-hour", &account),
                    ]
                    .into_iter()
                    .flatten()
                    .collect()
                } else {
                    if resp.status().is_success() {
                        limiters.reset("auth-login-account", &account);
                        limiters.reset("auth-login-account-hour", &account);
                    }
                    [
                        limiters.peek("auth-login-ip", &ip),
                        limiters.peek("auth-login-account", &account),
                    ]
                    .into_iter()
                    .flatten()
                    .collect()
                };
                // The headers describe the limiter with the fewest remaining attempts.
                if let Some(tightest) = after.iter().min_by_key(|q| q.remaining) {
                    set_headers(&mut resp, tightest);
                }
                Ok(resp)
            }
            Key::User | Key::Ip => {
                let caller = match key {
                    Key::User => match bearer_user(&req, state.config.jwt_secret.expose()) {
                        Some(user) => user,
                        // Not authenticated: the handler answers 401, which comes first.
                        None => return self.inner.call(req).await.map(IntoResponse::into_response),
                    },
                    _ => ip,
                };
                match limiters.hit(name, &caller) {
                    None => self.inner.call(req).await.map(IntoResponse::into_response),
                    Some(Err(full)) => Ok(too_many(&req, &full)),
                    Some(Ok(quota)) => {
                        let mut resp = respond(&self.inner, req).await;
                        set_headers(&mut resp, &quota);
                        Ok(resp)
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_from_configuration() {
        assert_eq!(parse("5/60s"), Some(limit(5, 60)));
        assert_eq!(parse("20/1h"), Some(limit(20, 3600)));
        assert_eq!(parse("5/15m"), Some(limit(5, 900)));
        for bad in ["", "5", "0/60s", "5/0s", "5/60", "5/60d", "x/60s"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(variable("ac-generate"), "RATE_LIMIT_AC_GENERATE");
    }

    #[test]
    fn a_fixed_window_counts_then_refuses_then_resets() {
        let overrides = HashMap::from([("ac-upload".to_owned(), limit(2, 60))]);
        let l = Limiters::new(true, &overrides);
        let now = 1_000;
        assert_eq!(l.apply("ac-upload", "u1", 1, now).unwrap().remaining, 1);
        assert_eq!(l.apply("ac-upload", "u1", 1, now).unwrap().remaining, 0);
        assert!(l.apply("ac-upload", "u1", 0, now).unwrap().exceeded());
        assert_eq!(
            l.apply("ac-upload", "u2", 0, now).unwrap().remaining,
            2,
            "per key"
        );
        let next = l.apply("ac-upload", "u1", 0, now + 60).unwrap();
        assert_eq!((next.remaining, next.reset), (2, now + 120), "a new window");
        assert_eq!(next.retry_after(now + 60), 60);
    }

    #[test]
    fn switched_off_limiters_never_refuse() {
        let l = Limiters::new(false, &HashMap::new());
        assert!(l.hit("ac-upload", "u1").is_none());
    }

    #[test]
    fn routes_map_to_their_limiters() {
        assert_eq!(
            route_limiter(&Method::POST, "/api/auth/login"),
            Some(("auth-login-ip", Key::Login))
        );
        assert_eq!(
            route_limiter(
                &Method::POST,
                "/api/apps/avatar-creator/projects/p1/avatars/upload"
            ),
            Some(("ac-upload", Key::User))
        );
        assert_eq!(
            route_limiter(&Method::GET, "/api/apps/avatar-creator/projects"),
            None
        );
        assert_eq!(
            route_limiter(&Method::POST, "/api/apps/avatar-creator/projects/"),
            None
        );
    }
}
