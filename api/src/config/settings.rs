//! The plain settings: prices, limits, the schema gate, proxies and CORS, with the
//! rules their variables are parsed by.

use std::time::Duration;

use super::env::Env;

/// Credits charged per action; every value is a non-negative integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Costs {
    /// `COST_AVATAR_UPLOAD` (2)
    pub avatar_upload: i32,
    /// `COST_AVATAR_GENERATE` (10)
    pub avatar_generate: i32,
    /// `COST_AVATAR_FROM_PRESET` (8)
    pub avatar_from_preset: i32,
    /// `COST_AVATAR_FROM_REFERENCE` (12), shown only: no route uses it.
    pub avatar_from_reference: i32,
    /// `COST_POSE_PER_POSE` (30)
    pub pose_per_pose: i32,
    /// `COST_POSE_BACKGROUND_PER_POSE` (10)
    pub pose_background_per_pose: i32,
    /// `COST_POSE_BACKGROUND_CHANGE` (10)
    pub pose_background_change: i32,
}

/// What start-up does when the database schema does not match this build (api.md §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaGateMode {
    /// Refuse to start.
    Strict,
    /// Start, answer health routes normally and every other route with 503.
    Degraded,
    /// Do not check.
    Off,
}

/// `TRUST_PROXY` (api.md §1.9): whom to believe about the client's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustProxy {
    /// `false` (the default): the socket peer is the client.
    Off,
    /// `N` (`true` = 1): N proxies in front append to `X-Forwarded-For`; the client is
    /// the N-th address from its right.
    Hops(usize),
    /// Addresses and CIDRs of the trusted proxies: the client is the first address,
    /// from the right, that is not one of them.
    Proxies(Vec<ipnet::IpNet>),
}

/// Bounds on what requests can make the server hold (api.md §1.3, README "Security").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `BODY_READ_TIMEOUT` (30 s): a whole request body must arrive within this.
    pub body_read_timeout: Duration,
    /// `MAX_CONNECTIONS` (128 per CPU, at least 64): connections served at once; more
    /// wait in the listen backlog.
    pub max_connections: usize,
    /// `MAX_CONCURRENT_UPLOADS` (2 per CPU, at least 4): avatar uploads read and
    /// decoded at once; more wait up to 10 s, then answer 503.
    pub max_concurrent_uploads: usize,
    /// `MAX_EXPORTS_PER_USER` (2): export ZIPs one user may download at once (429
    /// beyond).
    pub max_exports_per_user: usize,
    /// `MAX_EXPORTS` (16): export ZIPs streamed at once by this process (503 beyond).
    pub max_exports: usize,
    /// `SEND_TIMEOUT` (30 s): a client that reads nothing of a streamed answer (ZIP,
    /// progress events) for this long is dropped.
    pub send_timeout: Duration,
    /// `MAX_STREAMS_PER_USER` (5): progress streams one user may hold open (429 beyond).
    pub max_streams_per_user: usize,
    /// `RATE_LIMIT_MAX_KEYS` (100000): rate-limit counters kept in memory; the least
    /// recently useful are evicted first.
    pub rate_limit_max_keys: usize,
    /// `PAGE_CACHE_MB` (32): pages of `GET /projects` kept under their validator's tag,
    /// in bytes; 0 keeps none (every request writes its page).
    pub page_cache_bytes: u64,
}

impl Limits {
    fn cpus() -> usize {
        std::thread::available_parallelism().map_or(2, usize::from)
    }

    /// The defaults for this machine.
    pub fn for_this_machine() -> Self {
        Self {
            body_read_timeout: Duration::from_secs(30),
            max_connections: (128 * Self::cpus()).clamp(64, 4096),
            max_concurrent_uploads: (2 * Self::cpus()).max(4),
            max_exports_per_user: 2,
            max_exports: 16,
            send_timeout: Duration::from_secs(30),
            max_streams_per_user: 5,
            rate_limit_max_keys: 100_000,
            page_cache_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Origins allowed by CORS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigin {
    Any,
    List(Vec<String>),
}

/// The largest price of one action (`COST_*`): a request's total (at most 500 images
/// × two prices) then always fits the ledger's 32-bit integers.
pub const MAX_COST: i32 = 1_000_000;

impl Env {
    pub(super) fn limits(&mut self) -> Limits {
        let defaults = Limits::for_this_machine();
        let mut count = |name: &str, default: usize, max: usize| {
            self.parse(name, default, |v| {
                v.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or("must be a positive integer in range")
            })
        };
        let max_connections = count("MAX_CONNECTIONS", defaults.max_connections, 100_000);
        let max_concurrent_uploads = count(
            "MAX_CONCURRENT_UPLOADS",
            defaults.max_concurrent_uploads,
            1024,
        );
        let max_exports_per_user =
            count("MAX_EXPORTS_PER_USER", defaults.max_exports_per_user, 1024);
        let max_exports = count("MAX_EXPORTS", defaults.max_exports, 10_000);
        let max_streams_per_user =
            count("MAX_STREAMS_PER_USER", defaults.max_streams_per_user, 1024);
        let rate_limit_max_keys = count(
            "RATE_LIMIT_MAX_KEYS",
            defaults.rate_limit_max_keys,
            100_000_000,
        );
        let page_cache_bytes = self.parse("PAGE_CACHE_MB", defaults.page_cache_bytes, |v| {
            v.parse::<u64>()
                .ok()
                .filter(|mb| *mb <= 65_536)
                .map(|mb| mb * 1024 * 1024)
                .ok_or("must be a whole number of MiB 0..65536")
        });
        let mut seconds = |name: &str, default: Duration| {
            self.parse(name, default, |v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (1..=3600).contains(n))
                    .map(Duration::from_secs)
                    .ok_or("must be a whole number of seconds 1..3600")
            })
        };
        Limits {
            body_read_timeout: seconds("BODY_READ_TIMEOUT", defaults.body_read_timeout),
            send_timeout: seconds("SEND_TIMEOUT", defaults.send_timeout),
            max_connections,
            max_concurrent_uploads,
            max_exports_per_user,
            max_exports,
            max_streams_per_user,
            rate_limit_max_keys,
            page_cache_bytes,
        }
    }
}

/// `false`/`true` (1 hop), a number of hops, or a comma-separated list of proxy
/// addresses and CIDRs.
pub(super) fn parse_trust_proxy(value: &str) -> Result<TrustProxy, &'static str> {
    const RULE: &str = "must be false, true, a number of proxy hops 1..10, or a comma-separated list of proxy addresses/CIDRs";
    match value.to_ascii_lowercase().as_str() {
        "false" | "no" | "0" => return Ok(TrustProxy::Off),
        "true" | "yes" => return Ok(TrustProxy::Hops(1)),
        _ => {}
    }
    if let Ok(hops) = value.parse::<usize>() {
        return (1..=10)
            .contains(&hops)
            .then_some(TrustProxy::Hops(hops))
            .ok_or(RULE);
    }
    value
        .split(',')
        .map(|part| {
            let part = part.trim();
            part.parse::<ipnet::IpNet>()
                .or_else(|_| part.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| RULE)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(TrustProxy::Proxies)
}

pub(super) fn parse_cors_origin(value: &str) -> Result<CorsOrigin, &'static str> {
    if value == "*" {
        return Ok(CorsOrigin::Any);
    }
    let origins: Vec<String> = value
        .split(',')
        .map(|origin| origin.trim().trim_end_matches('/').to_owned())
        .collect();
    let valid = |origin: &String| {
        let host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        host.is_some_and(|h| !h.is_empty() && !h.contains(['/', ' ', '*']))
    };
    if origins.iter().all(valid) {
        Ok(CorsOrigin::List(origins))
    } else {
        Err("must be * or a comma-separated list of http(s)://host[:port] origins")
    }
}
