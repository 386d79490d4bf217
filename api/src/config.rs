//! Settings read from environment variables (api.md §10).
//!
//! [`Config::from_vars`] takes the variables as an iterator so tests can build a
//! configuration without touching the process environment. Every problem found is
//! reported at once, each naming its variable, so an operator fixes them in one pass.

use std::{collections::HashMap, fmt, path::PathBuf, time::Duration};

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
}

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

/// The image provider (api.md §8.4).
#[derive(Debug, Clone, PartialEq)]
pub enum ImageProviderConfig {
    /// The offline deterministic renderer.
    Local,
    /// A hosted text-to-image API in the Hugging Face Inference style.
    Http(HttpProviderConfig),
}

/// `IMAGE_HTTP_*`.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpProviderConfig {
    /// `IMAGE_HTTP_URL`: the model endpoint (http or https).
    pub url: String,
    /// `IMAGE_HTTP_TOKEN`: sent as a bearer token when set.
    pub token: Option<Secret<String>>,
    /// `IMAGE_HTTP_TIMEOUT_SECONDS` (180)
    pub timeout: Duration,
    /// `IMAGE_HTTP_STEPS` (28): `num_inference_steps`.
    pub steps: u32,
    /// `IMAGE_HTTP_GUIDANCE` (3.5): `guidance_scale`.
    pub guidance: f64,
}

/// Where stored files live (api.md §8.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// Files under `UPLOAD_DIR`.
    Local,
    /// An S3-compatible bucket (`STORAGE=s3`), for several replicas.
    S3(S3Config),
}

/// `S3_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// `S3_BUCKET` (required).
    pub bucket: String,
    /// `S3_REGION` (`us-east-1`).
    pub region: String,
    /// `S3_ENDPOINT`: an S3-compatible server (MinIO, R2, Ceph…), addressed path-style.
    pub endpoint: Option<String>,
    /// `S3_ACCESS_KEY_ID` and `S3_SECRET_ACCESS_KEY`, both or neither; without them the
    /// standard AWS credential chain applies (web identity, task role, instance profile).
    pub keys: Option<S3Keys>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Keys {
    pub access_key_id: String,
    pub secret_access_key: Secret<String>,
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
        }
    }
}

/// Origins allowed by CORS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigin {
    Any,
    List(Vec<String>),
}

/// The configuration could not be read; each problem names its variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {}", .problems.join("; "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

/// A value that must never reach a log: `Debug` prints `[redacted]` and there is no
/// `Display`. Call [`Secret::expose`] where the real value is needed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `DATABASE_URL`. It may carry a password, so `Debug` and `Display` mask it; use
/// [`DatabaseUrl::expose`] only to connect.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }

    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }

    /// The URL with its passwords (`user:password@`, `?password=`) replaced.
    pub fn redacted(&self) -> String {
        migration::db_url::redacted(&self.0)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

const MIN_JWT_SECRET_CHARS: usize = 32;
const GENERATED_JWT_SECRET_CHARS: usize = 48;
const MAX_WORKER_CONCURRENCY: u32 = 1024;
/// The largest price of one action (`COST_*`): a request's total (at most 500 images
/// × two prices) then always fits the ledger's 32-bit integers.
pub const MAX_COST: i32 = 1_000_000;

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
        })
    }
}

/// The variables being read, and the problems found so far.
struct Env {
    vars: HashMap<String, String>,
    problems: Vec<String>,
}

impl Env {
    fn new<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into().trim().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        Self {
            vars,
            problems: Vec::new(),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    fn text(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_owned()
    }

    /// Parses `name` with `parse`, or returns `default` when unset. A failure is recorded
    /// as `NAME <rule>, got "<value>"` and yields the default so parsing can go on.
    fn parse<T>(
        &mut self,
        name: &str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> T {
        let Some(value) = self.get(name) else {
            return default;
        };
        match parse(value) {
            Ok(parsed) => parsed,
            Err(rule) => {
                let problem = format!("{name} {rule}, got {value:?}");
                self.problems.push(problem);
                default
            }
        }
    }

    fn port(&mut self) -> u16 {
        self.parse("PORT", 3000, |v| {
            v.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or("must be an integer 1..65535")
        })
    }

    fn database_url(&mut self) -> DatabaseUrl {
        let url = DatabaseUrl::new(self.text("DATABASE_URL", migration::DEFAULT_DATABASE_URL));
        if !url.is_sqlite() && !url.is_postgres() {
            // The value is not echoed in full: it may hold a password.
            self.problems.push(format!(
                "DATABASE_URL must start with sqlite:, postgres:// or postgresql://, got {:?}",
                url.redacted()
            ));
        }
        url
    }

    fn jwt_secret(&mut self, is_sqlite: bool) -> (Secret<String>, bool) {
        match self.get("JWT_SECRET").map(str::to_owned) {
            Some(secret) => {
                let chars = secret.chars().count();
                if chars < MIN_JWT_SECRET_CHARS {
                    // Never echo a secret, not even a bad one.
                    self.problems.push(format!(
                        "JWT_SECRET must be at least {MIN_JWT_SECRET_CHARS} characters, got {chars}"
                    ));
                }
                (Secret::new(secret), false)
            }
            None if is_sqlite => (Secret::new(random_secret()), true),
            None => {
                self.problems.push(
                    "JWT_SECRET is required when DATABASE_URL is not SQLite (at least 32 characters)"
                        .to_owned(),
                );
                (Secret::new(String::new()), false)
            }
        }
    }
}

impl Env {
    fn limits(&mut self) -> Limits {
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
        }
    }

    fn image_provider(&mut self) -> ImageProviderConfig {
        let http = self.parse("IMAGE_PROVIDER", false, |v| match v {
            "local" => Ok(false),
            "http" => Ok(true),
            _ => Err("must be local or http"),
        });
        if !http {
            return ImageProviderConfig::Local;
        }
        let url = match self.get("IMAGE_HTTP_URL") {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                url.to_owned()
            }
            Some(_) => {
                // Not echoed: a URL may carry credentials.
                self.problems
                    .push("IMAGE_HTTP_URL must be an http:// or https:// URL".to_owned());
                String::new()
            }
            None => {
                self.problems
                    .push("IMAGE_HTTP_URL is required when IMAGE_PROVIDER is http".to_owned());
                String::new()
            }
        };
        let token = self
            .get("IMAGE_HTTP_TOKEN")
            .map(|t| Secret::new(t.to_owned()));
        let timeout = self.parse(
            "IMAGE_HTTP_TIMEOUT_SECONDS",
            Duration::from_secs(180),
            |v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (1..=3600).contains(n))
                    .map(Duration::from_secs)
                    .ok_or("must be an integer 1..3600")
            },
        );
        let steps = self.parse("IMAGE_HTTP_STEPS", 28, |v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or("must be an integer 1..500")
        });
        let guidance = self.parse("IMAGE_HTTP_GUIDANCE", 3.5, |v| {
            v.parse::<f64>()
                .ok()
                .filter(|g| g.is_finite() && (0.0..=50.0).contains(g))
                .ok_or("must be a number 0..50")
        });
        ImageProviderConfig::Http(HttpProviderConfig {
            url,
            token,
            timeout,
            steps,
            guidance,
        })
    }

    fn storage(&mut self) -> StorageConfig {
        let s3 = self.parse("STORAGE", false, |v| match v {
            "local" => Ok(false),
            "s3" => Ok(true),
            _ => Err("must be local or s3"),
        });
        if !s3 {
            return StorageConfig::Local;
        }
        let bucket = self.get("S3_BUCKET").map(str::to_owned).unwrap_or_else(|| {
            self.problems
                .push("S3_BUCKET is required when STORAGE is s3".to_owned());
            String::new()
        });
        let region = self.text("S3_REGION", "us-east-1");
        let endpoint = self.get("S3_ENDPOINT").map(str::to_owned);
        if endpoint
            .as_deref()
            .is_some_and(|e| !e.starts_with("https://") && !e.starts_with("http://"))
        {
            self.problems
                .push("S3_ENDPOINT must be an http:// or https:// URL".to_owned());
        }
        let keys = match (
            self.get("S3_ACCESS_KEY_ID"),
            self.get("S3_SECRET_ACCESS_KEY"),
        ) {
            (Some(id), Some(secret)) => Some(S3Keys {
                access_key_id: id.to_owned(),
                secret_access_key: Secret::new(secret.to_owned()),
            }),
            (None, None) => None,
            _ => {
                self.problems.push(
                    "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together".to_owned(),
                );
                None
            }
        };
        StorageConfig::S3(S3Config {
            bucket,
            region,
            endpoint,
            keys,
        })
    }
}

/// 48 random hex characters from two v4 UUIDs (244 random bits in all).
fn random_secret() -> String {
    let mut secret = String::with_capacity(64);
    for _ in 0..2 {
        secret.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    secret.truncate(GENERATED_JWT_SECRET_CHARS);
    secret
}

/// `<n>d`, `<n>h`, `<n>m` or plain seconds, as the previous backend accepted.
fn parse_duration(value: &str) -> Option<Duration> {
    let (digits, unit_secs) = match value.as_bytes().last()? {
        b'd' => (&value[..value.len() - 1], 86_400),
        b'h' => (&value[..value.len() - 1], 3_600),
        b'm' => (&value[..value.len() - 1], 60),
        _ => (value, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = digits.parse::<u64>().ok()?.checked_mul(unit_secs)?;
    // Token `exp` is an i64 of seconds; anything that cannot be added to "now" is a typo.
    (secs >= 1 && secs <= i64::MAX as u64 / 2).then(|| Duration::from_secs(secs))
}

fn parse_bool(value: &str) -> Result<bool, &'static str> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("must be true or false"),
    }
}

/// `false`/`true` (1 hop), a number of hops, or a comma-separated list of proxy
/// addresses and CIDRs.
fn parse_trust_proxy(value: &str) -> Result<TrustProxy, &'static str> {
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

fn parse_cors_origin(value: &str) -> Result<CorsOrigin, &'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(vars.iter().copied())
    }

    fn problem(vars: &[(&str, &str)]) -> String {
        config(vars).expect_err("should be rejected").to_string()
    }

    #[test]
    fn defaults_serve_the_embedded_database() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url.expose(), migration::DEFAULT_DATABASE_URL);
        assert_eq!(c.host, "127.0.0.1");
        assert_eq!(c.port, 3000);
        assert!(c.jwt_secret_generated);
        assert_eq!(c.jwt_secret.expose().len(), 48);
        assert_eq!(c.jwt_expires_in, Duration::from_secs(7 * 86_400));
        assert_eq!(c.bcrypt_cost, 10);
        assert_eq!(c.cors_origin, CorsOrigin::Any);
        assert_eq!(c.trust_proxy, TrustProxy::Off);
        assert_eq!(c.limits, Limits::for_this_machine());
        assert_eq!(c.limits.body_read_timeout, Duration::from_secs(30));
        assert_eq!(c.service_name, "creator-api");
        assert_eq!(c.upload_dir, PathBuf::from("./uploads"));
        assert_eq!(c.presets_dir, PathBuf::from("./presets"));
        assert!(c.auto_migrate);
        assert_eq!(c.schema_gate, SchemaGateMode::Strict);
        assert!(!c.health_schema_require_admin);
        assert_eq!(c.worker_concurrency, 4);
        assert!(c.rate_limits);
    }

    #[test]
    fn generated_secrets_differ_between_starts() {
        let a = config(&[]).unwrap().jwt_secret;
        let b = config(&[]).unwrap().jwt_secret;
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn empty_values_count_as_unset() {
        let c = config(&[("PORT", ""), ("HOST", "  ")]).unwrap();
        assert_eq!(c.port, 3000);
        assert_eq!(c.host, "127.0.0.1");
    }

    #[test]
    fn port() {
        assert_eq!(config(&[("PORT", "8080")]).unwrap().port, 8080);
        assert_eq!(config(&[("PORT", "65535")]).unwrap().port, 65535);
        assert_eq!(
            problem(&[("PORT", "abc")]),
            r#"invalid configuration: PORT must be an integer 1..65535, got "abc""#
        );
        for bad in ["0", "65536", "-1", "80.5"] {
            assert!(problem(&[("PORT", bad)]).contains("PORT"), "{bad}");
        }
    }

    #[test]
    fn host() {
        assert_eq!(config(&[("HOST", "0.0.0.0")]).unwrap().host, "0.0.0.0");
    }

    #[test]
    fn database_url_picks_the_backend() {
        let pg = [
            ("DATABASE_URL", "postgres://app:hunter2@db:5432/app"),
            ("JWT_SECRET", SECRET),
        ];
        let c = config(&pg).unwrap();
        assert!(c.database_url.is_postgres());
        assert!(!c.auto_migrate, "PostgreSQL is migrated by the deploy tool");
        assert!(!c.jwt_secret_generated);

        let c = config(&[("DATABASE_URL", "sqlite://./tmp/x.db?mode=rwc")]).unwrap();
        assert!(c.database_url.is_sqlite());
        assert!(c.auto_migrate);

        let msg = problem(&[("DATABASE_URL", "mysql://root:hunter2@db/app")]);
        assert!(msg.contains("DATABASE_URL must start with"), "{msg}");
        assert!(!msg.contains("hunter2"), "password leaked: {msg}");
    }

    #[test]
    fn database_password_never_prints() {
        let url = DatabaseUrl::new("postgresql://app:hunter2@db:5432/app?sslmode=require");
        assert_eq!(
            url.to_string(),
            "postgresql://app:[redacted]@db:5432/app?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("hunter2"));
        let no_password = DatabaseUrl::new("postgres://app@db/app");
        assert_eq!(no_password.to_string(), "postgres://app@db/app");
        let sqlite = DatabaseUrl::new("sqlite://./data/app.db?mode=rwc");
        assert_eq!(sqlite.to_string(), "sqlite://./data/app.db?mode=rwc");
        let in_query = DatabaseUrl::new("postgres://app@db/app?password=hunter2&sslmode=require");
        assert_eq!(
            in_query.to_string(),
            "postgres://app@db/app?password=[redacted]&sslmode=require"
        );
    }

    #[test]
    fn jwt_secret() {
        let c = config(&[("JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(c.jwt_secret.expose(), SECRET);
        assert!(!c.jwt_secret_generated);

        let msg = problem(&[("JWT_SECRET", "short-secret")]);
        assert_eq!(
            msg,
            "invalid configuration: JWT_SECRET must be at least 32 characters, got 12"
        );

        let msg = problem(&[("DATABASE_URL", "postgres://db/app")]);
        assert!(msg.contains("JWT_SECRET is required"), "{msg}");
    }

    #[test]
    fn secrets_never_print() {
        let c = config(&[
            ("JWT_SECRET", SECRET),
            ("DATABASE_URL", "postgres://app:hunter2@db/app"),
        ])
        .unwrap();
        let printed = format!("{c:?}");
        assert!(!printed.contains(SECRET), "{printed}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn jwt_expires_in() {
        let secs = |v: &str| {
            config(&[("JWT_EXPIRES_IN", v)])
                .unwrap()
                .jwt_expires_in
                .as_secs()
        };
        assert_eq!(secs("7d"), 604_800);
        assert_eq!(secs("12h"), 43_200);
        assert_eq!(secs("15m"), 900);
        assert_eq!(secs("3600"), 3_600);
        for bad in [
            "0",
            "0d",
            "d",
            "7 d",
            "1.5h",
            "7w",
            "-1",
            "99999999999999999999d",
        ] {
            assert!(
                problem(&[("JWT_EXPIRES_IN", bad)]).contains("JWT_EXPIRES_IN"),
                "{bad}"
            );
        }
    }

    #[test]
    fn bcrypt_cost() {
        assert_eq!(config(&[("BCRYPT_COST", "14")]).unwrap().bcrypt_cost, 14);
        for bad in ["9", "15", "ten"] {
            assert!(
                problem(&[("BCRYPT_COST", bad)]).contains("BCRYPT_COST must be an integer 10..14")
            );
        }
    }

    #[test]
    fn cors_origin() {
        let c = config(&[(
            "CORS_ORIGIN",
            "https://app.example.com, http://localhost:5173/",
        )])
        .unwrap();
        assert_eq!(
            c.cors_origin,
            CorsOrigin::List(vec![
                "https://app.example.com".into(),
                "http://localhost:5173".into()
            ])
        );
        assert_eq!(
            config(&[("CORS_ORIGIN", "*")]).unwrap().cors_origin,
            CorsOrigin::Any
        );
        for bad in [
            "example.com",
            "https://a.com,,https://b.com",
            "https://a.com/path",
            "*,https://a.com",
        ] {
            assert!(
                problem(&[("CORS_ORIGIN", bad)]).contains("CORS_ORIGIN"),
                "{bad}"
            );
        }
    }

    #[test]
    fn booleans() {
        for name in ["AUTO_MIGRATE", "HEALTH_SCHEMA_REQUIRE_ADMIN"] {
            let read = |v: &str| {
                let c = config(&[(name, v)]).unwrap();
                match name {
                    "AUTO_MIGRATE" => c.auto_migrate,
                    _ => c.health_schema_require_admin,
                }
            };
            assert!(read("true") && read("TRUE") && read("1"), "{name}");
            assert!(!read("false") && !read("0"), "{name}");
            assert!(problem(&[(name, "maybe")]).contains(&format!("{name} must be true or false")));
        }
    }

    #[test]
    fn trust_proxy_is_off_a_hop_count_or_a_proxy_list() {
        let read = |v: &str| config(&[("TRUST_PROXY", v)]).unwrap().trust_proxy;
        assert_eq!(read("false"), TrustProxy::Off);
        assert_eq!(read("0"), TrustProxy::Off);
        assert_eq!(read("true"), TrustProxy::Hops(1));
        assert_eq!(read("2"), TrustProxy::Hops(2));
        assert_eq!(
            read("10.0.0.0/8, 192.168.1.7, ::1"),
            TrustProxy::Proxies(vec![
                "10.0.0.0/8".parse().unwrap(),
                "192.168.1.7/32".parse().unwrap(),
                "::1/128".parse().unwrap(),
            ])
        );
        for bad in ["maybe", "11", "10.0.0.0/33", "10.0.0.1,,"] {
            assert!(
                problem(&[("TRUST_PROXY", bad)]).contains("TRUST_PROXY must be"),
                "{bad}"
            );
        }
    }

    #[test]
    fn limits_are_bounded_positive_numbers() {
        let c = config(&[
            ("MAX_CONNECTIONS", "10"),
            ("BODY_READ_TIMEOUT", "5"),
            ("MAX_EXPORTS_PER_USER", "1"),
        ])
        .unwrap();
        assert_eq!(c.limits.max_connections, 10);
        assert_eq!(c.limits.body_read_timeout, Duration::from_secs(5));
        assert_eq!(c.limits.max_exports_per_user, 1);
        for (name, bad) in [
            ("MAX_CONNECTIONS", "0"),
            ("BODY_READ_TIMEOUT", "0"),
            ("SEND_TIMEOUT", "3601"),
            ("MAX_STREAMS_PER_USER", "x"),
        ] {
            assert!(problem(&[(name, bad)]).contains(name), "{name}={bad}");
        }
    }

    #[test]
    fn directories_and_service_name() {
        let c = config(&[
            ("UPLOAD_DIR", "/var/lib/creator/uploads"),
            ("PRESETS_DIR", "/srv/presets"),
            ("SERVICE_NAME", "creator-api-eu"),
        ])
        .unwrap();
        assert_eq!(c.upload_dir, PathBuf::from("/var/lib/creator/uploads"));
        assert_eq!(c.presets_dir, PathBuf::from("/srv/presets"));
        assert_eq!(c.service_name, "creator-api-eu");
    }

    #[test]
    fn schema_gate() {
        let gate = |v: &str| config(&[("SCHEMA_GATE", v)]).unwrap().schema_gate;
        assert_eq!(gate("strict"), SchemaGateMode::Strict);
        assert_eq!(gate("degraded"), SchemaGateMode::Degraded);
        assert_eq!(gate("OFF"), SchemaGateMode::Off);
        assert!(
            problem(&[("SCHEMA_GATE", "lenient")])
                .contains("SCHEMA_GATE must be strict, degraded or off")
        );
    }

    #[test]
    fn worker_concurrency() {
        let n = |v: &str| {
            config(&[("WORKER_CONCURRENCY", v)])
                .unwrap()
                .worker_concurrency
        };
        assert_eq!(n("0"), 0);
        assert_eq!(n("16"), 16);
        for bad in ["-1", "many", "1025"] {
            assert!(
                problem(&[("WORKER_CONCURRENCY", bad)]).contains("WORKER_CONCURRENCY"),
                "{bad}"
            );
        }
    }

    #[test]
    fn rate_limits() {
        assert!(!config(&[("RATE_LIMITS", "off")]).unwrap().rate_limits);
        assert!(config(&[("RATE_LIMITS", "on")]).unwrap().rate_limits);
        assert!(problem(&[("RATE_LIMITS", "false")]).contains("RATE_LIMITS must be on or off"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = config(&[("PORT", "abc"), ("BCRYPT_COST", "3")]).unwrap_err();
        assert_eq!(err.problems.len(), 2);
        let msg = err.to_string();
        assert!(msg.contains("PORT") && msg.contains("BCRYPT_COST"), "{msg}");
    }

    #[test]
    fn costs_default_to_the_price_list_and_reject_negatives() {
        let c = config(&[]).unwrap().costs;
        assert_eq!(
            (
                c.avatar_upload,
                c.avatar_generate,
                c.avatar_from_preset,
                c.avatar_from_reference
            ),
            (2, 10, 8, 12)
        );
        assert_eq!(
            (
                c.pose_per_pose,
                c.pose_background_per_pose,
                c.pose_background_change
            ),
            (30, 10, 10)
        );
        assert_eq!(
            config(&[("COST_AVATAR_GENERATE", "0")])
                .unwrap()
                .costs
                .avatar_generate,
            0
        );
        let msg = problem(&[("COST_POSE_PER_POSE", "-1")]);
        assert!(
            msg.contains("COST_POSE_PER_POSE must be a non-negative integer"),
            "{msg}"
        );
        // A price that could wrap a request's total around (and grant credits) is
        // refused at start-up.
        for huge in ["1000001", "2147483647"] {
            let msg = problem(&[("COST_POSE_PER_POSE", huge)]);
            assert!(msg.contains("at most 1000000"), "{msg}");
        }
        assert_eq!(
            config(&[("COST_POSE_PER_POSE", "1000000")])
                .unwrap()
                .costs
                .pose_per_pose,
            MAX_COST
        );
    }

    #[test]
    fn sse_settings() {
        let c = config(&[]).unwrap();
        assert_eq!(
            (c.sse_poll, c.sse_max),
            (Duration::from_millis(1000), Duration::from_secs(1800))
        );
        let c = config(&[("SSE_POLL_MS", "100"), ("SSE_MAX_SECONDS", "60")]).unwrap();
        assert_eq!(
            (c.sse_poll, c.sse_max),
            (Duration::from_millis(100), Duration::from_secs(60))
        );
        assert!(problem(&[("SSE_POLL_MS", "5")]).contains("SSE_POLL_MS"));
    }

    #[test]
    fn image_provider() {
        assert_eq!(
            config(&[]).unwrap().image_provider,
            ImageProviderConfig::Local
        );
        let c = config(&[
            ("IMAGE_PROVIDER", "http"),
            (
                "IMAGE_HTTP_URL",
                "https://api.example.com/models/org/flux-dev",
            ),
            ("IMAGE_HTTP_TOKEN", "hf_secret"),
            ("IMAGE_HTTP_STEPS", "20"),
            ("IMAGE_HTTP_GUIDANCE", "7"),
            ("IMAGE_HTTP_TIMEOUT_SECONDS", "30"),
        ])
        .unwrap();
        let ImageProviderConfig::Http(http) = c.image_provider else {
            panic!("http expected");
        };
        assert_eq!(http.url, "https://api.example.com/models/org/flux-dev");
        assert_eq!(
            http.token.as_ref().map(|t| t.expose().as_str()),
            Some("hf_secret")
        );
        assert_eq!((http.steps, http.guidance), (20, 7.0));
        assert_eq!(http.timeout, Duration::from_secs(30));
        assert!(!format!("{http:?}").contains("hf_secret"));

        let defaults = config(&[
            ("IMAGE_PROVIDER", "http"),
            ("IMAGE_HTTP_URL", "http://127.0.0.1:9/m"),
        ])
        .unwrap()
        .image_provider;
        let ImageProviderConfig::Http(http) = defaults else {
            panic!("http expected");
        };
        assert_eq!(
            (http.steps, http.guidance, http.timeout),
            (28, 3.5, Duration::from_secs(180))
        );
        assert!(http.token.is_none());

        assert!(problem(&[("IMAGE_PROVIDER", "http")]).contains("IMAGE_HTTP_URL is required"));
        assert!(
            problem(&[("IMAGE_PROVIDER", "dalle")])
                .contains("IMAGE_PROVIDER must be local or http")
        );
        let msg = problem(&[
            ("IMAGE_PROVIDER", "http"),
            ("IMAGE_HTTP_URL", "ftp://x"),
            ("IMAGE_HTTP_STEPS", "0"),
            ("IMAGE_HTTP_GUIDANCE", "NaN"),
        ]);
        assert!(
            msg.contains("IMAGE_HTTP_URL must be")
                && msg.contains("IMAGE_HTTP_STEPS")
                && msg.contains("IMAGE_HTTP_GUIDANCE"),
            "{msg}"
        );
    }

    #[test]
    fn storage() {
        assert_eq!(config(&[]).unwrap().storage, StorageConfig::Local);
        let c = config(&[
            ("STORAGE", "s3"),
            ("S3_BUCKET", "creator-uploads"),
            ("S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("S3_ACCESS_KEY_ID", "AKIA123"),
            ("S3_SECRET_ACCESS_KEY", "very-secret"),
        ])
        .unwrap();
        let StorageConfig::S3(s3) = c.storage else {
            panic!("s3 expected");
        };
        assert_eq!(s3.bucket, "creator-uploads");
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s3.keys.as_ref().unwrap().access_key_id, "AKIA123");
        assert!(!format!("{s3:?}").contains("very-secret"));

        assert!(problem(&[("STORAGE", "s3")]).contains("S3_BUCKET is required"));
        assert!(problem(&[("STORAGE", "gcs")]).contains("STORAGE must be local or s3"));
        let msg = problem(&[
            ("STORAGE", "s3"),
            ("S3_BUCKET", "b"),
            ("S3_ENDPOINT", "minio:9000"),
            ("S3_ACCESS_KEY_ID", "AKIA123"),
        ]);
        assert!(
            msg.contains("S3_ENDPOINT must be") && msg.contains("must be set together"),
            "{msg}"
        );
    }

    #[test]
    fn rate_limits_can_be_overridden_one_by_one() {
        let c = config(&[("RATE_LIMIT_AC_GENERATE", "7/2m")]).unwrap();
        assert_eq!(
            c.rate_limit_overrides.get("ac-generate"),
            Some(&crate::rate_limit::Limit {
                max: 7,
                window: Duration::from_secs(120)
            })
        );
        let msg = problem(&[("RATE_LIMIT_AUTH_REGISTER", "lots")]);
        assert!(
            msg.contains("RATE_LIMIT_AUTH_REGISTER must look like"),
            "{msg}"
        );
    }
}
