//! Settings read from environment variables (api.md §10).
//!
//! [`Config::from_vars`] takes the variables as an iterator so tests can build a
//! configuration without touching the process environment. Every problem found is
//! reported at once, each naming its variable, so an operator fixes them in one pass.
//!
//! * [`settings`]: the plain settings (prices, limits, the schema gate, proxies, CORS)
//!   and how each is parsed.
//! * [`secrets`]: values that must never reach a log (`JWT_SECRET`, `DATABASE_URL`).
//! * [`services`]: the image provider and the file storage.
//! * `env`: reading the variables and collecting the problems.

mod env;
pub mod secrets;
pub mod services;
pub mod settings;
#[cfg(test)]
mod tests;

use std::{path::PathBuf, time::Duration};

pub use env::ConfigError;
use env::{Env, parse_bool, parse_duration};
pub use secrets::{DatabaseUrl, Secret};
pub use services::{HttpProviderConfig, ImageProviderConfig, S3Config, S3Keys, StorageConfig};
pub use settings::{CorsOrigin, Costs, Limits, MAX_COST, SchemaGateMode, TrustProxy};
use settings::{parse_cors_origin, parse_trust_proxy};

/// Everything the server needs to know from its environment.
///
/// `Debug` is safe to log: secrets print as `[redacted]` and the database password is
/// masked.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub host: String,
    pub port: u16,
    pub jwt_secret: Secret<String>,
    /// `true` when `JWT_SECRET` was unset and a random one was generated (SQLite only);
    /// tokens then stop working at restart, so start-up logs a warning.
    pub jwt_secret_generated: bool,
    pub jwt_expires_in: Duration,
    pub bcrypt_cost: u32,
    pub cors_origin: CorsOrigin,
    /// `TRUST_PROXY` (off): which proxies' `X-Forwarded-For` entries to believe.
    pub trust_proxy: TrustProxy,
    /// What one client can make the server hold (README "Security").
    pub limits: Limits,
    pub service_name: String,
    pub upload_dir: PathBuf,
    pub presets_dir: PathBuf,
    /// `STORAGE` (`local`): where uploaded and generated files live (api.md §8.12).
    pub storage: StorageConfig,
    pub auto_migrate: bool,
    pub schema_gate: SchemaGateMode,
    pub health_schema_require_admin: bool,
    /// In-process worker slots; 0 means API only. `api serve --workers N` overrides it.
    pub worker_concurrency: u32,
    pub rate_limits: bool,
    /// The price list (`COST_*`, api.md §8.2.3, §10).
    pub costs: Costs,
    /// `RATE_LIMIT_<NAME>=<max>/<window>` overrides, by limiter name (api.md §1.9).
    pub rate_limit_overrides: std::collections::HashMap<String, crate::rate_limit::Limit>,
    /// `JOB_LEASE_SECONDS` (60): how long a claimed job stays with its worker unless
    /// renewed (api.md §8.3.1).
    pub job_lease: Duration,
    /// `RECOVERY_INTERVAL_SECONDS` (60): period of the recovery sweep (api.md §8.3.6).
    pub recovery_interval: Duration,
    /// `GENERATION_TIMEOUT_SECONDS` (7200): hard limit of a generation's work.
    pub generation_timeout: Duration,
    /// `SSE_POLL_MS` (1000): how often a progress stream reads the generation.
    pub sse_poll: Duration,
    /// `SSE_MAX_SECONDS` (1800): the longest life of one progress stream.
    pub sse_max: Duration,
    /// `IMAGE_PROVIDER` (`local`) and, for `http`, its `IMAGE_HTTP_*` settings.
    pub image_provider: ImageProviderConfig,
    /// `LOCAL_PROVIDER_DELAY_MS` (0): added latency per image of the `local` provider.
    pub local_provider_delay_ms: u64,
    /// `LOCAL_PROVIDER_FAULTS` (false): `[fail]` / `[flaky]` in a prompt inject failures.
    pub local_provider_faults: bool,
    /// `METRICS_ADDR` (unset: no metrics): the private listener of `GET /metrics`
    /// (Prometheus text), apart from the public port.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

const MAX_WORKER_CONCURRENCY: u32 = 1024;

impl Config {
    /// Reads the process environment. `.env` is loaded by the binary, not here.
    pub fn from_env() -> Result<Self, ConfigError> {
        // Lossy conversion keeps a non-UTF-8 value visible, so it fails parsing with the
        // variable's name instead of silently falling back to the default.
        Self::from_vars(std::env::vars_os().map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        }))
    }

    /// Builds the configuration from `(name, value)` pairs. Empty values count as unset.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut env = Env::new(vars);

        let database_url = env.database_url();
        let is_sqlite = database_url.is_sqlite();
        let host = env.text("HOST", "127.0.0.1");
        let port = env.port();
        let (jwt_secret, jwt_secret_generated) = env.jwt_secret(is_sqlite);
        let jwt_expires_in = env.parse("JWT_EXPIRES_IN", Duration::from_secs(7 * 86_400), |v| {
            parse_duration(v).ok_or("must be <n>d, <n>h, <n>m or a number of seconds, n ≥ 1")
        });
        let bcrypt_cost = env.parse("BCRYPT_COST", 10, |v| {
            v.parse::<u32>()
                .ok()
                .filter(|c| (10..=14).contains(c))
                .ok_or("must be an integer 10..14")
        });
        let cors_origin = env.parse("CORS_ORIGIN", CorsOrigin::Any, parse_cors_origin);
        let trust_proxy = env.parse("TRUST_PROXY", TrustProxy::Off, parse_trust_proxy);
        let limits = env.limits();
        let service_name = env.text("SERVICE_NAME", "creator-api");
        let upload_dir = PathBuf::from(env.text("UPLOAD_DIR", "./uploads"));
        let presets_dir = PathBuf::from(env.text("PRESETS_DIR", "./presets"));
        // Only the embedded database migrates itself; production schemas change through
        // the deploy tool.
        let auto_migrate = env.parse("AUTO_MIGRATE", is_sqlite, parse_bool);
        let schema_gate = env.parse("SCHEMA_GATE", SchemaGateMode::Strict, |v| {
            match v.to_ascii_lowercase().as_str() {
                "strict" => Ok(SchemaGateMode::Strict),
                "degraded" => Ok(SchemaGateMode::Degraded),
                "off" => Ok(SchemaGateMode::Off),
                _ => Err("must be strict, degraded or off"),
            }
        });
        let health_schema_require_admin =
            env.parse("HEALTH_SCHEMA_REQUIRE_ADMIN", false, parse_bool);
        let worker_concurrency = env.parse("WORKER_CONCURRENCY", 4, |v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| *n <= MAX_WORKER_CONCURRENCY)
                .ok_or("must be an integer 0..1024")
        });
        let rate_limits = env.parse("RATE_LIMITS", true, |v| {
            match v.to_ascii_lowercase().as_str() {
                "on" => Ok(true),
                "off" => Ok(false),
                _ => Err("must be on or off"),
            }
        });

        let mut cost = |name: &str, default: i32| {
            env.parse(name, default, |v| {
                v.parse::<i32>()
                    .ok()
                    .filter(|n| (0..=MAX_COST).contains(n))
                    .ok_or("must be a non-negative integer, at most 1000000")
            })
        };
        let costs = Costs {
            avatar_upload: cost("COST_AVATAR_UPLOAD", 2),
            avatar_generate: cost("COST_AVATAR_GENERATE", 10),
            avatar_from_preset: cost("COST_AVATAR_FROM_PRESET", 8),
            avatar_from_reference: cost("COST_AVATAR_FROM_REFERENCE", 12),
            pose_per_pose: cost("COST_POSE_PER_POSE", 30),
            pose_background_per_pose: cost("COST_POSE_BACKGROUND_PER_POSE", 10),
            pose_background_change: cost("COST_POSE_BACKGROUND_CHANGE", 10),
        };

        let image_provider = env.image_provider();
        let storage = env.storage();
        let job_lease = env.parse("JOB_LEASE_SECONDS", Duration::from_secs(60), |v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| (4..=86_400).contains(n))
                .map(Duration::from_secs)
                .ok_or("must be an integer 4..86400")
        });
        let mut seconds = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| {
            env.parse(name, Duration::from_secs(default), |v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .map(Duration::from_secs)
                    .ok_or("must be a whole number of seconds in range")
            })
        };
        let recovery_interval = seconds("RECOVERY_INTERVAL_SECONDS", 60, 1..=86_400);
        let generation_timeout = seconds("GENERATION_TIMEOUT_SECONDS", 7200, 1..=604_800);
        let sse_max = seconds("SSE_MAX_SECONDS", 1800, 1..=86_400);
        let sse_poll = env.parse("SSE_POLL_MS", Duration::from_millis(1000), |v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| (50..=60_000).contains(n))
                .map(Duration::from_millis)
                .ok_or("must be an integer 50..60000")
        });
        let local_provider_delay_ms = env.parse("LOCAL_PROVIDER_DELAY_MS", 0, |v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n <= 600_000)
                .ok_or("must be an integer 0..600000")
        });
        let local_provider_faults = env.parse("LOCAL_PROVIDER_FAULTS", false, parse_bool);
        let metrics_addr = env.parse("METRICS_ADDR", None, |v| {
            v.parse::<std::net::SocketAddr>()
                .map(Some)
                .map_err(|_| "must be an address and port, such as 127.0.0.1:9100")
        });

        let mut rate_limit_overrides = std::collections::HashMap::new();
        for (name, default) in crate::rate_limit::DEFAULTS {
            let variable = crate::rate_limit::variable(name);
            let limit = env.parse(&variable, default, |v| {
                crate::rate_limit::parse(v).ok_or("must look like 5/60s, 20/1h or 5/15m")
            });
            if limit != default {
                rate_limit_overrides.insert(name.to_owned(), limit);
            }
        }

        if !env.problems.is_empty() {
            return Err(ConfigError {
                problems: env.problems,
            });
        }
        Ok(Self {
            database_url,
            host,
            port,
            jwt_secret,
            jwt_secret_generated,
            jwt_expires_in,
            bcrypt_cost,
            cors_origin,
            trust_proxy,
            limits,
            service_name,
            upload_dir,
            presets_dir,
            storage,
            auto_migrate,
            schema_gate,
            health_schema_require_admin,
            worker_concurrency,
            rate_limits,
            costs,
            rate_limit_overrides,
            job_lease,
            recovery_interval,
            generation_timeout,
            sse_poll,
            sse_max,
            image_provider,
            local_provider_delay_ms,
            local_provider_faults,
            metrics_addr,
        })
    }
}
