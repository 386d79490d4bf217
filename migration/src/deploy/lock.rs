//! The deploy lock (deploy-safety.md R2): only one runner changes the schema at a
//! time; every other runner waits, polling, up to `--lock-timeout`, and on timeout is
//! told who holds the lock.
//!
//! PostgreSQL: a session advisory lock on a dedicated connection that is never shared
//! with a pool, taken with `pg_try_advisory_lock` (a blocked `pg_advisory_lock` waiter
//! can deadlock with `CREATE INDEX CONCURRENTLY` in the holder) and released with
//! `pg_advisory_unlock` and a close of that connection on every path; if the process
//! dies, the server ends the session and the lock with it.
//!
//! SQLite: an exclusive OS file lock on `<database file>.migration-lock`, released by
//! the kernel when the process exits, with the holder written into the file.

use std::{
    fs::{File, OpenOptions},
    io::{Read, Seek, SeekFrom, Write},
    path::PathBuf,
    time::{Duration, Instant},
};

use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
};

use super::DeployError;

/// The advisory-lock key of this tool ("creator-m" in ASCII). Advisory locks are
/// scoped to one database, so one constant serves every database on a server.
const ADVISORY_KEY: i64 = 0x6372_6561_746f_722d;

/// Who is running: shown to other runners waiting for the lock.
pub fn runner() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into());
    format!(
        "migration {} host={host} pid={}",
        env!("CARGO_PKG_VERSION"),
        std::process::id()
    )
}

pub enum DeployLock {
    Postgres {
        conn: DatabaseConnection,
    },
    SqliteFile {
        file: File,
        path: PathBuf,
    },
    /// In-memory SQLite: nothing else can see the database.
    None,
}

impl DeployLock {
    /// Takes the lock, polling until `timeout`. Returns the lock and how long it waited.
    pub async fn acquire(
        url: &str,
        backend: DbBackend,
        timeout: Duration,
    ) -> Result<(Self, Duration), DeployError> {
        let started = Instant::now();
        let lock = match backend {
            DbBackend::Postgres => Self::acquire_postgres(url, timeout).await?,
            DbBackend::Sqlite => match sqlite_lock_path(url) {
                Some(path) => Self::acquire_file(path, timeout).await?,
                None => DeployLock::None,
            },
            other => {
                return Err(DeployError::Failed(format!(
                    "the deploy lock is not implemented for {other:?}"
                )));
            }
        };
        Ok((lock, started.elapsed()))
    }

    async fn acquire_postgres(url: &str, timeout: Duration) -> Result<Self, DeployError> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(1)
            .min_connections(1)
            .sqlx_logging(false);
        let conn = Database::connect(opts).await?;
        // Name this session so a runner that times out can say who holds the lock.
        let name = runner().replace('\'', "");
        conn.execute_unprepared(&format!("SET application_name = '{name}'"))
            .await?;
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(25);
        loop {
            let taken: bool =
                query_scalar(&conn, "SELECT pg_try_advisory_lock($1)", ADVISORY_KEY).await?;
            if taken {
                return Ok(DeployLock::Postgres { conn });
            }
            if Instant::now() >= deadline {
                let holder = postgres_holder(&conn)
                    .await
                    .unwrap_or_else(|e| format!("unknown ({e})"));
                let _ = conn.close().await;
                return Err(DeployError::LockTimeout {
                    waited: timeout,
                    holder,
                });
            }
            tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }

    async fn acquire_file(path: PathBuf, timeout: Duration) -> Result<Self, DeployError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| {
                DeployError::Failed(format!("cannot open the lock file {}: {e}", path.display()))
            })?;
        let deadline = Instant::now() + timeout;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    return Err(DeployError::LockTimeout {
                        waited: timeout,
                        holder: format!("{} (lock file {})", holder.trim(), path.display()),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(DeployError::Failed(format!(
                        "cannot lock {}: {e}",
                        path.display()
                    )));
                }
            }
        }
        // Best effort: the holder's name helps whoever waits; the lock is what counts.
        let _ = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(runner().as_bytes()));
        Ok(DeployLock::SqliteFile { file, path })
    }

    /// Releases the lock. Errors are reported but the lock cannot outlive the
    /// connection (PostgreSQL) or the open file (SQLite), both closed here.
    pub async fn release(self) -> Result<(), DeployError> {
        match self {
            DeployLock::Postgres { conn } => {
                let released: Result<bool, DbErr> =
                    query_scalar(&conn, "SELECT pg_advisory_unlock($1)", ADVISORY_KEY).await;
                let _ = conn.close().await;
                match released {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(DeployError::Failed(
                        "the deploy lock was not held at release (the session was lost?)".into(),
                    )),
                    Err(e) => Err(e.into()),
                }
            }
            DeployLock::SqliteFile { file, path } => {
                let _ = file.set_len(0);
                file.unlock().map_err(|e| {
                    DeployError::Failed(format!("cannot unlock {}: {e}", path.display()))
                })
            }
            DeployLock::None => Ok(()),
        }
    }
}

async fn query_scalar<T: sea_orm_migration::sea_orm::TryGetable>(
    conn: &DatabaseConnection,
    sql: &str,
    key: i64,
) -> Result<T, DbErr> {
    conn.query_one_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [key.into()],
    ))
    .await?
    .ok_or_else(|| DbErr::Custom(format!("{sql} returned no row")))?
    .try_get_by_index(0)
}

/// The session holding the advisory lock: pid, application name, client address and
/// how long it has been running its current statement.
async fn postgres_holder(conn: &DatabaseConnection) -> Result<String, DbErr> {
    let sql = r#"
        SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'),
               coalesce(to_char(a.backend_start, 'YYYY-MM-DD"T"HH24:MI:SSOF'), ''),
               coalesce(a.state, '')
        FROM pg_locks l
        JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = ($1 >> 32)::oid AND l.objid = ($1 & 4294967295)::oid AND l.objsubid = 1"#;
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [ADVISORY_KEY.into()],
        ))
        .await?;
    Ok(match row {
        None => "a session that has just released it".into(),
        Some(r) => format!(
            "pid {} ({}) from {}, connected since {}, {}",
            r.try_get_by_index::<i32>(0)?,
            r.try_get_by_index::<String>(1)?,
            r.try_get_by_index::<String>(2)?,
            r.try_get_by_index::<String>(3)?,
            r.try_get_by_index::<String>(4)?,
        ),
    })
}

/// `<file>.migration-lock` beside a SQLite database file; `None` for in-memory.
fn sqlite_lock_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") || rest.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(format!("{path}.migration-lock")))
}
