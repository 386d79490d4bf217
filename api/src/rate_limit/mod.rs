//! Rate limiting (api.md §1.9): fixed windows counted in process memory, keyed by the
//! limiter's name and the user (authenticated routes) or the client address (public
//! routes and login/register). With several replicas each counts separately.
//!
//! One middleware applies the limits, so handlers stay free of it: it finds the
//! limiter of the route, identifies the caller (a valid bearer token's user, else the
//! client address), answers 429 with `Retry-After` when the window is full, and puts
//! the `X-RateLimit-*` headers on every answer of a limited route.
//!
//! Login counts failed attempts only, per client address and per (account, address):
//! strangers failing from many addresses cannot lock the owner out. Across addresses an
//! account only gets slower: past [`SLOWDOWN_AFTER`] recent failures each attempt waits
//! a doubling delay capped at [`SLOWDOWN_CAP`].
//!
//! The client address is the socket peer, or, behind `TRUST_PROXY`, read from the
//! **right** of `X-Forwarded-For` so that a client cannot pick its own key; IPv6
//! clients are keyed by their /64. The counters live in a sharded map of bounded size
//! (`RATE_LIMIT_MAX_KEYS`) whose eviction is O(1): a flood of new keys costs bounded
//! memory and takes no global lock.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, Method, StatusCode},
};
use quick_cache::sync::{Cache, EntryAction, EntryResult};
use serde_json::Value;

use crate::{
    app::AppState,
    error::{self, ApiError, ErrorDetails},
    http::request_id::RequestId,
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
pub const DEFAULTS: [(&str, Limit); 15] = [
    ("auth-login-ip", limit(5, 15 * 60)),
    ("auth-login-account", limit(5, 15 * 60)),
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

/// Failed logins of one account, from any address, after which each attempt waits.
pub const SLOWDOWN_AFTER: u32 = 5;
/// The first wait; it doubles with each further failure.
pub const SLOWDOWN_BASE: Duration = Duration::from_millis(200);
/// The longest wait: an owner's correct password always gets through after it.
pub const SLOWDOWN_CAP: Duration = Duration::from_secs(3);
/// The failures of an account count over this window.
const SLOWDOWN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The counter of an account's failures from any address: not a limit, so not in
/// [`DEFAULTS`] nor configurable.
const ACCOUNT_FAILURES: &str = "auth-login-account-any";

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

/// The wait before a login attempt for an account with `failures` recent failures.
pub fn slowdown(failures: u32) -> Duration {
    if failures < SLOWDOWN_AFTER {
        return Duration::ZERO;
    }
    let doublings = (failures - SLOWDOWN_AFTER).min(16);
    SLOWDOWN_BASE
        .saturating_mul(1 << doublings)
        .min(SLOWDOWN_CAP)
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

/// A counter's key: the limiter's index and the caller.
type CounterKey = (u8, Box<str>);

/// The in-memory counters of every limiter.
pub struct Limiters {
    enabled: bool,
    /// Each limiter's index (part of the counter key) and limit.
    limits: HashMap<&'static str, (u8, Limit)>,
    counters: Cache<CounterKey, Window>,
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Limiters {
    /// Limiters with at most `max_keys` counters in memory.
    pub fn new(enabled: bool, overrides: &HashMap<String, Limit>, max_keys: usize) -> Self {
        let mut limits: HashMap<&'static str, (u8, Limit)> = DEFAULTS
            .iter()
            .enumerate()
            .map(|(index, (name, default))| {
                let limit = overrides.get(*name).copied().unwrap_or(*default);
                (*name, (index as u8, limit))
            })
            .collect();
        limits.insert(
            ACCOUNT_FAILURES,
            (
                DEFAULTS.len() as u8,
                Limit {
                    max: u32::MAX,
                    window: SLOWDOWN_WINDOW,
                },
            ),
        );
        Self {
            enabled,
            limits,
            counters: Cache::new(max_keys.max(1)),
        }
    }

    /// Counters held now; never much more than the configured maximum.
    pub fn len(&self) -> usize {
        self.counters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
    }

    /// The window of `key` under `name`, counting `add` more events in it. Only the
    /// shard of the key is locked, for the few instructions of the update.
    fn apply(&self, name: &'static str, key: &str, add: u32, now: u64) -> Option<Quota> {
        if !self.enabled {
            return None;
        }
        let (index, limit) = *self.limits.get(name)?;
        let window = limit.window.as_secs().max(1);
        let update = |w: &mut Window| {
            if w.start + window <= now {
                *w = Window {
                    start: now,
                    count: 0,
                };
            }
            w.count = w.count.saturating_add(add);
            *w
        };
        let counter_key: CounterKey = (index, key.into());
        let current = match self
            .counters
            .entry(&counter_key, None, |_, w| EntryAction::Retain(update(w)))
        {
            EntryResult::Retained(w) => w,
            EntryResult::Vacant(guard) => {
                let mut fresh = Window {
                    start: now,
                    count: 0,
                };
                let w = update(&mut fresh);
                // A window that counted nothing is not worth a slot.
                if add > 0 {
                    let _ = guard.insert(w);
                }
                w
            }
            // No timeout was given, and the callback never removes or replaces.
            _ => return None,
        };
        Some(Quota {
            limit: limit.max,
            remaining: limit.max.saturating_sub(current.count),
            reset: current.start + window,
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
        if let Some((index, _)) = self.limits.get(name) {
            self.counters.remove(&(*index, Box::<str>::from(key)));
        }
    }

    /// Recent failed logins of `account` from any address.
    fn account_failures(&self, account: &str) -> u32 {
        self.peek(ACCOUNT_FAILURES, account)
            .map_or(0, |q| q.limit - q.remaining)
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

fn too_many(req: &Request, limiter: &str, quota: &Quota) -> Response {
    crate::metrics::rate_limited(limiter);
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
        let ip = client_key(&req, &state.config.trust_proxy);
        let limiters = &self.limiters;
        match key {
            Key::Login => {
                if let Some(full) = limiters.peek("auth-login-ip", &ip).filter(Quota::exceeded) {
                    return Ok(too_many(&req, "auth-login-ip", &full));
                }
                // The email decides the account counters; the body (at most 1 MiB,
                // `body_limit`) is read once and put back for the handler.
                let body = req.take_body().into_bytes().await?;
                let account = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| {
                        v.get("email")
                            .and_then(Value::as_str)
                            .map(crate::auth::email::normalise)
                    })
                    .unwrap_or_default();
                req.set_body(body);
                let pair = format!("{account}|{ip}");
                if let Some(full) = limiters
                    .peek("auth-login-account", &pair)
                    .filter(Quota::exceeded)
                {
                    return Ok(too_many(&req, "auth-login-account", &full));
                }
                let wait = slowdown(limiters.account_failures(&account));
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                let mut resp = respond(&self.inner, req).await;
                let after: Vec<Quota> = if resp.status() == StatusCode::UNAUTHORIZED {
                    limiters.fail(ACCOUNT_FAILURES, &account);
                    [
                        limiters.fail("auth-login-ip", &ip),
                        limiters.fail("auth-login-account", &pair),
                    ]
                    .into_iter()
                    .flatten()
                    .collect()
                } else {
                    if resp.status().is_success() {
                        limiters.reset("auth-login-account", &pair);
                        limiters.reset(ACCOUNT_FAILURES, &account);
                    }
                    [
                        limiters.peek("auth-login-ip", &ip),
                        limiters.peek("auth-login-account", &pair),
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
                    Some(Err(full)) => Ok(too_many(&req, name, &full)),
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

mod client;
#[cfg(test)]
mod tests;

pub use client::{client_address, client_key};
