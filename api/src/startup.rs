//! From configuration to a listening server: migrate (when configured), connect, gate
//! on the schema, bind, serve until a shutdown signal.

use std::{future::Future, io, net::SocketAddr, sync::Arc, time::Duration};

use migration::{
    deploy,
    sea_orm::{
        ConnectOptions, Database, DatabaseConnection, DbErr, sqlx::sqlite::SqliteJournalMode,
    },
};
use poem::{
    Addr, Endpoint, EndpointExt, Response,
    http::uri::Scheme,
    web::{LocalAddr, RemoteAddr},
};
use tokio::{net::TcpListener, sync::watch, task::JoinSet};

use crate::{
    app::{AppState, routes},
    config::{Config, DatabaseUrl, ImageProviderConfig, Limits, SchemaGateMode},
    http::slots::Slots,
    jobs::JobHandlers,
    pose_generator::events::EventsHub,
    providers::{ImageProvider, http::HttpProvider, local::LocalProvider},
    schema_gate::{SchemaMonitor, SchemaReport},
    storage::Storage,
};

/// In-flight requests get this long to finish after SIGINT/SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// SQLite allows one writer at a time; a few connections let reads proceed beside it
/// (WAL) while writers wait on the busy timeout instead of failing.
const SQLITE_POOL_SIZE: u32 = 4;
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const POSTGRES_POOL_SIZE: u32 = 10;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request waits for a pool connection. When the database is down every
/// attempt to open one fails, and the request answers 503 `SERVICE_UNAVAILABLE` after
/// at most this long instead of hanging (api.md §1.6).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// Slow-loris defence: a client has this long to send a request's head once the server
/// waits for one (a new connection, or an idle keep-alive one); then the connection is
/// closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Header lines per request; a request with more is answered 431.
const MAX_HEADERS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot apply migrations: {0}")]
    Migrate(#[source] deploy::DeployError),
    #[error("cannot connect to the database {url}: {source}")]
    Connect { url: String, source: DbErr },
    #[error("cannot check the database schema: {0}")]
    SchemaCheck(#[source] DbErr),
    #[error(
        "database schema does not match this build ({}); apply the migrations with \
         `cargo run -p migration -- up`, or start with SCHEMA_GATE=degraded",
        .0.describe()
    )]
    SchemaNotReady(SchemaReport),
    #[error("cannot set up the image provider: {0}")]
    Provider(String),
    #[error("cannot set up file storage: {0}")]
    Storage(#[source] io::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: io::Error },
}

/// Everything [`build`] does except binding the port: migrate if `AUTO_MIGRATE`, open
/// the connection pool and apply the start-up schema gate. Useful with
/// `poem::test::TestClient` and [`routes`].
pub async fn prepare(config: Config) -> Result<AppState, StartupError> {
    tracing::info!(database = %config.database_url, "starting");
    if config.jwt_secret_generated {
        tracing::warn!(
            "JWT_SECRET is not set: using a random secret; issued tokens stop working at restart"
        );
    }
    if config.auto_migrate {
        migrate(&config.database_url).await?;
    }
    let db = connect(&config.database_url).await?;

    let initial_report = match config.schema_gate {
        SchemaGateMode::Off => None,
        mode => {
            let report = SchemaReport::inspect(&db)
                .await
                .map_err(StartupError::SchemaCheck)?;
            if !report.is_ready() {
                if mode == SchemaGateMode::Strict {
                    return Err(StartupError::SchemaNotReady(report));
                }
                tracing::error!(
                    pending_migrations = ?report.pending_migrations,
                    missing_tables = ?report.missing_tables,
                    missing_columns = ?report.missing_columns,
                    "database schema does not match this build; degraded mode: only health routes are served"
                );
            }
            Some(report)
        }
    };

    let provider: Arc<dyn ImageProvider> = match &config.image_provider {
        ImageProviderConfig::Local => Arc::new(LocalProvider::new(
            config.local_provider_delay_ms,
            config.local_provider_faults,
        )),
        ImageProviderConfig::Http(http) => Arc::new(
            HttpProvider::new(http.clone()).map_err(|e| StartupError::Provider(e.to_string()))?,
        ),
    };
    tracing::info!(model = provider.model_key(), "image provider");
    let storage = Storage::from_config(&config).map_err(StartupError::Storage)?;
    let limits = config.limits;
    Ok(AppState {
        exports: Slots::new(
            "exports",
            limits.max_exports_per_user,
            Some(limits.max_exports),
        ),
        streams: Slots::new("progress streams", limits.max_streams_per_user, None),
        events: Arc::new(EventsHub::new(db.clone(), config.sse_poll)),
        storage_probe: Arc::default(),
        pages: Arc::new(crate::http::page_cache::PageCache::new(
            limits.page_cache_bytes,
        )),
        // Every kind of background job, with the feature that owns it.
        job_handlers: Arc::new(
            JobHandlers::new()
                .register(crate::avatar_creator::generations::AvatarGenerationJob)
                .register(crate::pose_generator::job::PoseGenerationJob)
                .register(crate::pose_generator::background::BackgroundChangeJob),
        ),
        storage,
        schema: Arc::new(SchemaMonitor::new(db.clone(), initial_report)),
        provider,
        job_signal: Arc::new(tokio::sync::Notify::new()),
        last_recovery: Arc::default(),
        config: Arc::new(config),
        db,
    })
}

/// [`prepare`], then bind `HOST:PORT` (port 0 picks a free port).
pub async fn build(config: Config) -> Result<Application, StartupError> {
    let (host, port) = (config.host.clone(), config.port);
    let state = prepare(config).await?;
    let bind_error = |source| StartupError::Bind {
        addr: format!("{host}:{port}"),
        source,
    };
    let listener = TcpListener::bind((host.as_str(), port))
        .await
        .map_err(bind_error)?;
    let local_addr = listener.local_addr().map_err(bind_error)?;
    Ok(Application {
        local_addr,
        listener,
        state,
    })
}

/// A server bound to its port, not yet serving.
pub struct Application {
    local_addr: SocketAddr,
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish (up to 30
    /// seconds) and closes the database pool. The workers stop as soon as `shutdown`
    /// completes: a running job is handed back to the queue at once, for another
    /// process to resume.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let db = self.state.db.clone();
        let workers =
            crate::jobs::Workers::start(&self.state, self.state.config.worker_concurrency);
        let stop_workers = workers.stop_handle();
        let shutdown = async move {
            shutdown.await;
            stop_workers.stop();
        };
        let limits = self.state.config.limits;
        let served = serve(
            self.listener,
            routes(self.state),
            shutdown,
            SHUTDOWN_GRACE,
            limits,
        )
        .await;
        workers.stop().await;
        if let Err(err) = db.close().await {
            tracing::warn!(error = %err, "closing the database pool failed");
        }
        tracing::info!("stopped");
        served
    }
}

/// The HTTP/1.1 server: poem's own `Server` offers no header read timeout nor header
/// limit, so connections are served here with hyper directly, with
/// [`HEADER_READ_TIMEOUT`] and [`MAX_HEADERS`]. On `shutdown` it stops accepting, lets
/// each connection finish the request in progress (idle ones close at once), and
/// after `grace` closes whatever is still open.
///
/// At most `MAX_CONNECTIONS` connections are served at once (`MAX_CONNECTIONS`): with
/// every slot taken the server stops accepting, and new connections wait in the
/// kernel's listen backlog until one closes. What each connection can hold is bounded
/// (headers, body size and read time), so this bounds the memory clients can take.
async fn serve(
    listener: TcpListener,
    endpoint: impl Endpoint + 'static,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
    limits: Limits,
) -> io::Result<()> {
    let endpoint = Arc::new(endpoint.map_to_response().boxed());
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let local = LocalAddr(Addr::SocketAddr(listener.local_addr()?));
    let (closing, closing_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    tracing::info!(addr = %listener.local_addr()?, "listening");
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let connection = connection(
                        stream,
                        local.clone(),
                        RemoteAddr(Addr::SocketAddr(remote)),
                        endpoint.clone(),
                        closing_rx.clone(),
                        limits.send_timeout,
                    );
                    connections.spawn(async move {
                        connection.await;
                        drop(slot);
                    });
                }
                Err(err) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = closing.send(true);
    tracing::info!(
        connections = connections.len(),
        "stopped accepting; finishing in-flight requests"
    );
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "grace period over: closing the connections still open"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// One HTTP/1.1 connection, until it closes or the server shuts down (then the request
/// in progress, if any, is completed and the connection closed).
async fn connection(
    stream: tokio::net::TcpStream,
    local: LocalAddr,
    remote: RemoteAddr,
    endpoint: Arc<poem::endpoint::BoxEndpoint<'static, Response>>,
    mut closing: watch::Receiver<bool>,
    send_timeout: Duration,
) {
    let _ = stream.set_nodelay(true);
    // A client that reads nothing of an answer for `send_timeout` is dropped: its
    // connection, the streamed body behind it and what that holds are freed.
    let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
    stream.set_write_timeout(Some(send_timeout));
    let stream = Box::pin(stream);
    let service = hyper::service::service_fn(move |req| {
        let (endpoint, local, remote) = (endpoint.clone(), local.clone(), remote.clone());
        async move {
            let request = poem::Request::from((req, local, remote, Scheme::HTTP));
            let response = endpoint.get_response(request).await;
            Ok::<_, std::convert::Infallible>(hyper::Response::from(response))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_headers(MAX_HEADERS);
    let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(error = %err, "connection ended with an error");
            }
            return;
        }
        _ = closing.wait_for(|closing| *closing) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// Migrations run on their own connection, closed afterwards: see
/// `migration::connect_for_migrations` for why they must not share the API pool.
/// `AUTO_MIGRATE`: applies pending migrations through the deploy tool, so under the
/// same lock, checks and journal as `cargo run -p migration -- up`.
async fn migrate(url: &DatabaseUrl) -> Result<(), StartupError> {
    let db = migration::connect_for_migrations(url.expose())
        .await
        .map_err(|e| StartupError::Migrate(e.into()))?;
    let pending = migration::pending_migrations(&db).await;
    if let Err(err) = db.close().await {
        tracing::warn!(error = %err, "closing the migration connection failed");
    }
    if pending
        .map_err(|e| StartupError::Migrate(e.into()))?
        .is_empty()
    {
        return Ok(());
    }
    let applied = deploy::up(url.expose(), None, &deploy::Options::default())
        .await
        .map_err(StartupError::Migrate)?;
    tracing::info!(migrations = ?applied, "applied migrations");
    Ok(())
}

async fn connect(url: &DatabaseUrl) -> Result<DatabaseConnection, StartupError> {
    let connect_error = |source| StartupError::Connect {
        url: url.redacted(),
        source,
    };
    migration::ensure_sqlite_dir(url.expose()).map_err(connect_error)?;
    let mut options = ConnectOptions::new(url.expose());
    // sea-orm logs each statement itself at debug level; sqlx would repeat it at info.
    options
        .sqlx_logging(false)
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(ACQUIRE_TIMEOUT);
    if url.is_sqlite() {
        options
            .max_connections(SQLITE_POOL_SIZE)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
            });
    } else {
        options.max_connections(POSTGRES_POOL_SIZE);
    }
    Database::connect(options).await.map_err(connect_error)
}

pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without a handler there is no signal to wait for; never complete.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn serves_on_a_free_port_until_told_to_stop() {
        let dir = std::env::temp_dir().join(format!("api-startup-test-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/app.db?mode=rwc", dir.display());
        let mut config = Config::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
        config.port = 0;

        let app = build(config).await.unwrap();
        let addr = app.local_addr();
        assert_ne!(app.port(), 0);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));

        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains("\"status\":\"ok\""), "{response}");

        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "still listening"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A connection error names the database, never its password, wherever the URL
    /// holds it.
    #[tokio::test]
    async fn a_connection_error_never_prints_the_password() {
        for url in [
            "postgres://app:hunter2@127.0.0.1:1/app",
            "postgres://app@127.0.0.1:1/app?password=hunter2&connect_timeout=1",
        ] {
            let config = Config::from_vars([
                ("DATABASE_URL", url),
                ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ])
            .unwrap();
            let err = prepare(config)
                .await
                .err()
                .expect("nothing listens on port 1");
            let printed = format!("{err} {err:?}");
            assert!(printed.contains("127.0.0.1:1"), "{printed}");
            assert!(!printed.contains("hunter2"), "{printed}");
        }
    }

    #[tokio::test]
    async fn a_taken_port_is_a_clear_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("api-startup-test-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/app.db?mode=rwc", dir.display());
        let mut config = Config::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
        config.port = port;

        let err = build(config).await.err().expect("port is taken");
        assert!(
            err.to_string()
                .starts_with(&format!("cannot listen on 127.0.0.1:{port}")),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
