//! The HTTP application: shared state and the route tree with its middleware.

use std::sync::Arc;

use migration::sea_orm::DatabaseConnection;
use poem::{Endpoint, EndpointExt, IntoEndpoint, Response, Route};

use crate::{
    config::{Config, SchemaGateMode},
    dashboard::WithDashboard,
    http::body_limit::BodyLimit,
    http::cors::CorsPolicy,
    http::nul_guard::reject_nul,
    http::request_id::RequestContext,
    http::{cache_policy::CachePolicy, compression::Compression, conditional::Conditional},
    openapi,
    rate_limit::{Limiters, RateLimit},
    schema_gate::{DegradedGate, SchemaMonitor},
    storage::{LocalStorage, REFERENCE_FILES_CACHE, Storage, USER_FILES_CACHE, files_endpoint},
};

/// What every handler can reach, through `Data<&AppState>`. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub schema: Arc<SchemaMonitor>,
    /// The image provider chosen by `IMAGE_PROVIDER` (api.md §8.4).
    pub provider: Arc<dyn crate::providers::ImageProvider>,
    /// Uploaded and generated files, on the backend `STORAGE` selects (api.md §8.12).
    pub storage: Storage,
    /// Wakes idle workers when the API commits a job (api.md §8.3.1).
    pub job_signal: Arc<tokio::sync::Notify>,
    /// What each kind of job does (registered at start-up).
    pub job_handlers: Arc<crate::jobs::JobHandlers>,
    /// When this process last ran the recovery sweep.
    pub last_recovery: Arc<crate::jobs::worker::LastRun>,
    /// Export ZIPs streaming now (`MAX_EXPORTS_PER_USER`, `MAX_EXPORTS`).
    pub exports: Arc<crate::http::slots::Slots>,
    /// Progress streams open now (`MAX_STREAMS_PER_USER`).
    pub streams: Arc<crate::http::slots::Slots>,
    /// One database poller per followed generation, shared by its streams.
    pub events: Arc<crate::pose_generator::events::EventsHub>,
    /// The storage write probe of the health check, run at most every 10 s.
    pub storage_probe: Arc<crate::storage::ProbeCache>,
    /// Pages of validated lists, kept under their validator's tag (`GET /projects`).
    pub pages: Arc<crate::http::page_cache::PageCache>,
}

/// The whole HTTP surface, ready for `poem::Server` or `poem::test::TestClient`.
pub fn routes(state: AppState) -> impl Endpoint<Output = Response> + 'static {
    let service = openapi::service();
    let docs = service.swagger_ui();
    let spec_json = service.spec_endpoint();
    let spec_yaml = service.spec_endpoint_yaml();

    let cors_origin = state.config.cors_origin.clone();
    let degraded = state.config.schema_gate == SchemaGateMode::Degraded;
    let gate = DegradedGate(state.schema.clone());

    Route::new()
        .nest("/", WithDashboard(service.into_endpoint()))
        .nest("/docs", docs)
        .at("/openapi.json", spec_json)
        .at("/openapi.yaml", spec_yaml)
        .nest(
            "/uploads",
            files_endpoint(state.storage.clone(), USER_FILES_CACHE),
        )
        .nest(
            "/presets",
            files_endpoint(
                Storage::Local(LocalStorage::new(state.config.presets_dir.clone())),
                REFERENCE_FILES_CACHE,
            ),
        )
        .with_if(degraded, gate)
        .with(RateLimit(Arc::new(Limiters::new(
            state.config.rate_limits,
            &state.config.rate_limit_overrides,
            state.config.limits.rate_limit_max_keys,
        ))))
        .with(BodyLimit::new(
            state.config.limits.body_read_timeout,
            state.config.limits.max_concurrent_uploads,
        ))
        .data(state)
        .before(reject_nul)
        .with(RequestContext)
        // Validators inside the cache policy, which reads their ETag; all of it
        // outside the request context, so error bodies get these headers too.
        .with(Conditional)
        .with(CachePolicy)
        // Outermost but CORS: it sees the final bytes of every answer.
        .with(Compression::default())
        .with(CorsPolicy(cors_origin))
}

#[cfg(test)]
mod tests {
    use poem::{http::StatusCode, test::TestClient};
    use serde_json::Value;

    use super::*;
    use crate::startup::{StartupError, prepare};

    /// A configuration over a fresh SQLite file that is never migrated.
    fn unmigrated(gate: &str) -> (Config, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("api-app-test-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/app.db?mode=rwc", dir.display());
        let config = Config::from_vars([
            ("DATABASE_URL", url.as_str()),
            ("AUTO_MIGRATE", "false"),
            ("SCHEMA_GATE", gate),
        ])
        .unwrap();
        (config, dir)
    }

    #[tokio::test]
    async fn strict_gate_refuses_to_start_naming_every_pending_migration() {
        let (config, dir) = unmigrated("strict");
        let err = prepare(config).await.err().expect("must refuse");
        let StartupError::SchemaNotReady(report) = &err else {
            panic!("unexpected error: {err}");
        };
        let expected: Vec<String> = {
            use migration::MigratorTrait;
            migration::Migrator::migrations()
                .iter()
                .map(|m| m.name().to_owned())
                .collect()
        };
        assert!(!expected.is_empty());
        assert_eq!(report.pending_migrations, expected);
        for name in &expected {
            assert!(err.to_string().contains(name.as_str()), "{err}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn degraded_gate_serves_only_health() {
        let (config, dir) = unmigrated("degraded");
        let state = prepare(config).await.unwrap();
        let client = TestClient::new(routes(state.clone()));

        client.get("/health").send().await.assert_status_is_ok();
        let resp = client.get("/api/health").send().await;
        resp.assert_status_is_ok();
        resp.assert_header("Cache-Control", "no-cache, no-store, must-revalidate");
        resp.assert_header("Pragma", "no-cache");
        resp.assert_header("Expires", "0");
        client.get("/docs").send().await.assert_status_is_ok();

        let resp = client.get("/api/credits").send().await;
        resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        resp.assert_header("Cache-Control", "no-cache, no-store, must-revalidate");
        let body: Value = resp.json().await.value().deserialize();
        assert_eq!(body["error"]["code"], "SCHEMA_NOT_READY");
        assert!(body["error"].get("details").is_none());

        let resp = client.get("/api/health/ready").send().await;
        resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        let body: Value = resp.json().await.value().deserialize();
        let details = &body["error"]["details"];
        assert_eq!(details["status"], "not_ready");
        assert_eq!(details["checks"]["database"]["status"], "up");
        assert_eq!(details["checks"]["schema"]["status"], "mismatch");
        assert!(
            !details["checks"]["schema"]["pendingMigrations"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        state.db.close().await.unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn auto_migrated_database_is_ready() {
        let (mut config, dir) = unmigrated("strict");
        config.auto_migrate = true;
        let state = prepare(config).await.unwrap();
        let client = TestClient::new(routes(state.clone()));

        let resp = client.get("/api/health/ready").send().await;
        resp.assert_status_is_ok();
        let body: Value = resp.json().await.value().deserialize();
        assert_eq!(body["status"], "ready");
        assert_eq!(
            body["checks"]["schema"]["pendingMigrations"],
            serde_json::json!([])
        );

        // Outside /api there is no cache policy to impose.
        let resp = client.get("/health").send().await;
        resp.assert_header_is_not_exist("Cache-Control");
        let body: Value = resp.json().await.value().deserialize();
        assert_eq!(body["service"], "creator-api");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));

        state.db.close().await.unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }
}
