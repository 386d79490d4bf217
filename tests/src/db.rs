//! [`TestDb`]: one fresh, empty database per test, on SQLite or PostgreSQL.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use migration::sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

use crate::postgres_server::{self, Server};
use crate::util::{TempDir, loud, with_database};

/// The database engines every data-layer test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

    /// `"sqlite"` or `"postgres"`, as in the generated test names.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The matching sea-orm backend.
    pub fn db_backend(self) -> DbBackend {
        match self {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fresh, empty database that exists for as long as this value does.
///
/// * SQLite: a file `db.sqlite` in a new temporary directory (created on first connect);
///   dropping the `TestDb` deletes the directory.
/// * PostgreSQL: a new database `t_<random>` on the server found by
///   [`postgres_server::server`]; dropping the `TestDb` runs
///   `DROP DATABASE ... WITH (FORCE)`, which also closes connections still open to it.
pub struct TestDb {
    /// Connection URL of this test's database.
    pub url: String,
    pub backend: Backend,
    sqlite_dir: Option<TempDir>,
    postgres: Option<PostgresDb>,
}

struct PostgresDb {
    server: &'static Server,
    name: String,
}

impl fmt::Debug for TestDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDb")
            .field("backend", &self.backend)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl TestDb {
    /// A fresh empty database on `backend`.
    ///
    /// Returns `None` only for PostgreSQL when no server is available and
    /// `REQUIRE_POSTGRES` is not set (a notice has been printed once): the test should
    /// return without doing anything. Panics if the database cannot be created.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new("testdb-").expect("cannot create a temporary directory");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("db.sqlite").display()
                );
                Some(TestDb {
                    url,
                    backend,
                    sqlite_dir: Some(dir),
                    postgres: None,
                })
            }
            Backend::Postgres => {
                // Discovery blocks (it may start a cluster), so keep it off the runtime's
                // worker threads.
                let server = tokio::task::spawn_blocking(postgres_server::server)
                    .await
                    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
                let name = postgres_server::create_database(server)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("cannot create a test database on {}: {e}", server.admin_url)
                    });
                Some(TestDb {
                    url: with_database(&server.admin_url, &name),
                    backend,
                    sqlite_dir: None,
                    postgres: Some(PostgresDb { server, name }),
                })
            }
        }
    }

    /// A new connection pool to this database (SQLite: 4 connections, with foreign
    /// keys enforced; PostgreSQL: 5). Panics on failure.
    pub async fn connect(&self) -> DatabaseConnection {
        let mut opts = ConnectOptions::new(self.url.clone());
        opts.sqlx_logging(false)
            .max_connections(match self.backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 5,
            })
            .min_connections(0)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        Database::connect(opts).await.unwrap_or_else(|e| {
            panic!(
                "cannot connect to the {} test database {}: {e}",
                self.backend, self.url
            )
        })
    }

    /// Applies every migration through the deploy tool (`migration::deploy::up`, the
    /// same path as `cargo run -p migration -- up`). Panics on failure.
    pub async fn migrate(&self) {
        migration::deploy::up(&self.url, None, &migration::deploy::Options::default())
            .await
            .unwrap_or_else(|e| panic!("migrating the {} test database failed: {e}", self.backend));
    }

    /// [`migrate`](Self::migrate), then [`connect`](Self::connect): a database with
    /// the complete schema, ready for a test story.
    pub async fn connect_migrated(&self) -> DatabaseConnection {
        self.migrate().await;
        self.connect().await
    }

    /// The sea-orm backend of this database.
    pub fn db_backend(&self) -> DbBackend {
        self.backend.db_backend()
    }

    /// PostgreSQL: the `t_<random>` database name.
    pub fn postgres_database_name(&self) -> Option<&str> {
        self.postgres.as_ref().map(|p| p.name.as_str())
    }

    /// PostgreSQL: URL of the server's maintenance database (for catalog checks
    /// from outside the test database).
    pub fn postgres_admin_url(&self) -> Option<&str> {
        self.postgres.as_ref().map(|p| p.server.admin_url.as_str())
    }

    /// SQLite: path of the database file (which exists once something connected).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.sqlite_dir.as_ref().map(|d| d.path().join("db.sqlite"))
    }

    /// SQLite: the temporary directory holding the database file, deleted on drop.
    /// Tests may put other scratch files (uploads, ...) here.
    pub fn scratch_dir(&self) -> Option<&Path> {
        self.sqlite_dir.as_ref().map(TempDir::path)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(pg) = self.postgres.take()
            && let Err(e) = postgres_server::drop_database_blocking(&pg.server.admin_url, &pg.name)
        {
            loud(&format!(
                "warning: could not drop test database {}: {e}",
                pg.name
            ));
        }
        // `sqlite_dir` removes itself.
    }
}

/// What a test body may return: nothing, or a `Result` whose `Err` fails the test.
pub trait TestOutcome {
    fn check(self);
}

impl TestOutcome for () {
    fn check(self) {}
}

impl<E: fmt::Debug> TestOutcome for Result<(), E> {
    fn check(self) {
        if let Err(e) = self {
            panic!("test returned an error: {e:?}");
        }
    }
}

/// Runs `body` with a fresh database on `backend`; does nothing when the backend is
/// unavailable (see [`TestDb::new`]). The database is dropped afterwards, also when
/// the body panics. This is what [`dual_test!`](crate::dual_test) expands to.
pub async fn run_on<F, R>(backend: Backend, body: F)
where
    F: AsyncFnOnce(TestDb) -> R,
    R: TestOutcome,
{
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    body(db).await.check();
}
