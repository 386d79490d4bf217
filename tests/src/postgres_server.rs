//! Finding (or starting) the PostgreSQL server that PostgreSQL test cases use.
//!
//! Discovery happens once per test process ([`server`]):
//!
//! 1. `TEST_DATABASE_URL`, if set, names a server (e.g.
//!    `postgres://postgres@127.0.0.1:5432/postgres`). The harness connects to it to
//!    create and drop one `t_<random>` database per test. If it cannot be reached,
//!    every PostgreSQL test fails: an explicit setting that does not work is an error.
//! 2. Otherwise, if PostgreSQL server binaries are installed (`/usr/lib/postgresql/*/bin`
//!    or `pg_config --bindir`), a throwaway cluster is created with `initdb` in a
//!    temporary directory and started with `pg_ctl` on a free 127.0.0.1 port, with
//!    durability switched off for speed. When running as root (initdb refuses to), the
//!    cluster is created and run as the `postgres` OS user. A detached watcher stops
//!    the cluster and deletes its directory once the test process has exited.
//! 3. Otherwise PostgreSQL is unavailable: the PostgreSQL cases return early after a
//!    loud notice on stderr — unless `REQUIRE_POSTGRES=1`, in which case they fail.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use migration::sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

use crate::util::{TempDir, block_on_fresh, loud, random_lower_alnum};

/// Environment variable naming a PostgreSQL server URL to create test databases on.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";
/// Environment variable that, when truthy, turns "PostgreSQL unavailable" into a failure.
pub const REQUIRE_POSTGRES: &str = "REQUIRE_POSTGRES";

/// A reachable PostgreSQL server on which the harness may create databases.
#[derive(Debug, Clone)]
pub struct Server {
    /// URL of a maintenance database on the server, used with superuser-ish rights to
    /// `CREATE DATABASE` / `DROP DATABASE`.
    pub admin_url: String,
    pub origin: Origin,
}

/// Where the server came from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// `TEST_DATABASE_URL`.
    Env,
    /// A cluster this process started; stopped and deleted after the process exits.
    Throwaway {
        bindir: PathBuf,
        dir: PathBuf,
        port: u16,
        /// Wall time from `initdb` to the first successful connection.
        startup: Duration,
    },
}

/// What discovery decided to do, before doing it. Pure, so it can be unit-tested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Use the server named by `TEST_DATABASE_URL`.
    UseUrl(String),
    /// Start a throwaway cluster with the binaries in this directory.
    StartCluster(PathBuf),
    /// No PostgreSQL: skip the PostgreSQL cases (`fail == false`) or fail them.
    Unavailable { reason: String, fail: bool },
}

/// Whether a `REQUIRE_POSTGRES` value asks for PostgreSQL to be mandatory.
/// `1`, `true`, `yes` and `on` (any case, surrounding blanks ignored) do; anything
/// else, including unset and empty, does not.
pub fn require_postgres(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// The discovery decision: `TEST_DATABASE_URL` (blank counts as unset) wins, then
/// installed binaries, else unavailable — fatal when PostgreSQL is required.
pub fn plan(test_database_url: Option<&str>, bindir: Option<&Path>, require: bool) -> Plan {
    if let Some(url) = test_database_url.map(str::trim).filter(|u| !u.is_empty()) {
        return Plan::UseUrl(url.to_owned());
    }
    if let Some(dir) = bindir {
        return Plan::StartCluster(dir.to_owned());
    }
    unavailable(
        format!("no {TEST_DATABASE_URL} and no PostgreSQL binaries"),
        require,
    )
}

/// "PostgreSQL is unavailable because `reason`": skip, or fail when required.
pub fn unavailable(reason: String, require: bool) -> Plan {
    Plan::Unavailable {
        reason,
        fail: require,
    }
}

/// The outcome of discovery, computed once per process.
#[derive(Debug)]
enum Discovery {
    Available(Server),
    Skip,
    Fail(String),
}

static DISCOVERY: OnceLock<Discovery> = OnceLock::new();

/// The PostgreSQL server for this process, discovering (and possibly starting) it on
/// first use. `None` means PostgreSQL tests must be skipped (a notice has been
/// printed). Panics when PostgreSQL is required or `TEST_DATABASE_URL` is unusable.
///
/// Blocks the calling thread during discovery (seconds when a cluster is started);
/// callers on other threads wait for the same result.
pub fn server() -> Option<&'static Server> {
    match DISCOVERY.get_or_init(discover) {
        Discovery::Available(server) => Some(server),
        Discovery::Skip => None,
        Discovery::Fail(message) => panic!("{message}"),
    }
}

fn discover() -> Discovery {
    let url = std::env::var(TEST_DATABASE_URL).ok();
    let require = require_postgres(std::env::var(REQUIRE_POSTGRES).ok().as_deref());
    // Only look for binaries when they would be used.
    let bindir = match url.as_deref().map(str::trim) {
        Some(u) if !u.is_empty() => None,
        _ => find_bindir(),
    };
    let plan = match plan(url.as_deref(), bindir.as_deref(), require) {
        Plan::StartCluster(bindir) => match start_cluster(&bindir) {
            Ok(server) => {
                if let Origin::Throwaway { port, startup, .. } = &server.origin {
                    loud(&format!(
                        "=== harness: started a throwaway PostgreSQL cluster ({}) on 127.0.0.1:{port} in {} ms ===",
                        bindir.display(),
                        startup.as_millis()
                    ));
                }
                return Discovery::Available(server);
            }
            Err(e) => unavailable(
                format!(
                    "no {TEST_DATABASE_URL}, and starting a throwaway cluster with {} failed: {e}",
                    bindir.display()
                ),
                require,
            ),
        },
        other => other,
    };
    match plan {
        Plan::UseUrl(admin_url) => match block_on_fresh(check_connect(&admin_url)) {
            Ok(()) => Discovery::Available(Server {
                admin_url,
                origin: Origin::Env,
            }),
            Err(e) => Discovery::Fail(format!(
                "{TEST_DATABASE_URL}={admin_url} is set but the server cannot be used: {e}"
            )),
        },
        Plan::Unavailable {
            reason,
            fail: false,
        } => {
            loud(&format!(
                "\n=== POSTGRES TESTS SKIPPED: {reason} ===\n\
                 === set {TEST_DATABASE_URL}=postgres://USER@HOST:PORT/postgres, or install PostgreSQL; \
                 {REQUIRE_POSTGRES}=1 makes this a failure ===\n"
            ));
            Discovery::Skip
        }
        Plan::Unavailable { reason, fail: true } => Discovery::Fail(format!(
            "PostgreSQL is required ({REQUIRE_POSTGRES} is set) but unavailable: {reason}"
        )),
        Plan::StartCluster(_) => unreachable!("handled above"),
    }
}

/// Opens a one-connection pool to `url` without SQL logging, giving up after `timeout`.
pub async fn connect_admin(url: &str, timeout: Duration) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .max_connections(1)
        .min_connections(0)
        .connect_timeout(timeout)
        .acquire_timeout(timeout);
    Database::connect(opts).await
}

/// How long administrative statements may wait for a connection.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

async fn check_connect(url: &str) -> Result<(), DbErr> {
    let db = connect_admin(url, Duration::from_secs(5)).await?;
    db.execute_unprepared("SELECT 1").await?;
    db.close().await
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`, if installed: the newest
/// `/usr/lib/postgresql/<version>/bin`, else `pg_config --bindir`.
pub fn find_bindir() -> Option<PathBuf> {
    let has_server = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .collect();
    versioned.sort();
    if let Some((_, bin)) = versioned.pop() {
        return Some(bin);
    }
    let out = Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let bin = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    (out.status.success() && has_server(&bin)).then_some(bin)
}

/// The effective uid of this process (owner of `/proc/self`), falling back to `id -u`.
fn current_uid() -> Option<u32> {
    if let Ok(meta) = std::fs::metadata("/proc/self") {
        return Some(meta.uid());
    }
    id_of(&["-u"])
}

fn id_of(args: &[&str]) -> Option<u32> {
    let out = Command::new("id")
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

/// How to run the PostgreSQL binaries: directly, or as the `postgres` OS user.
#[derive(Debug, Clone)]
enum RunAs {
    Me,
    Postgres { runuser: Option<PathBuf> },
}

impl RunAs {
    /// As root the server binaries run as the `postgres` user (initdb refuses root).
    fn for_this_user() -> Self {
        if current_uid() == Some(0) {
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file());
            RunAs::Postgres { runuser }
        } else {
            RunAs::Me
        }
    }

    fn command(&self, program: &Path) -> Command {
        match self {
            RunAs::Me => Command::new(program),
            RunAs::Postgres {
                runuser: Some(runuser),
            } => {
                let mut cmd = Command::new(runuser);
                cmd.args(["-u", "postgres", "--"]).arg(program);
                cmd
            }
            RunAs::Postgres { runuser: None } => {
                // su -c 'exec "$0" "$@"' program args...
                let mut cmd = Command::new("su");
                cmd.args(["postgres", "-s", "/bin/sh", "-c", "exec \"$0\" \"$@\""])
                    .arg(program);
                cmd
            }
        }
    }

    /// argv prefix for a shell script running a command the same way.
    fn argv(&self, program: &Path) -> Vec<String> {
        let program = program.display().to_string();
        match self {
            RunAs::Me => vec![program],
            RunAs::Postgres {
                runuser: Some(runuser),
            } => vec![
                runuser.display().to_string(),
                "-u".into(),
                "postgres".into(),
                "--".into(),
                program,
            ],
            RunAs::Postgres { runuser: None } => vec![
                "su".into(),
                "postgres".into(),
                "-s".into(),
                "/bin/sh".into(),
                "-c".into(),
                "exec \"$0\" \"$@\"".into(),
                program,
            ],
        }
    }
}

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: cannot run {:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A port that was free on 127.0.0.1 a moment ago.
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// A new cluster directory (`<prefix>…` under /tmp as root, world-traversable whatever
/// TMPDIR says, handed over to the postgres user) with `initdb` run in `data/`, then
/// given to a watcher that removes it once this process is gone. Returns (dir, data).
fn init_cluster(run_as: &RunAs, bindir: &Path, prefix: &str) -> Result<(PathBuf, PathBuf), String> {
    let base = match run_as {
        RunAs::Me => std::env::temp_dir(),
        RunAs::Postgres { .. } => PathBuf::from("/tmp"),
    };
    let dir =
        TempDir::new_in(&base, prefix).map_err(|e| format!("cannot create a temp dir: {e}"))?;
    if let RunAs::Postgres { .. } = run_as {
        let uid =
            id_of(&["-u", "postgres"]).ok_or("running as root and there is no `postgres` user")?;
        let gid = id_of(&["-g", "postgres"]).ok_or("cannot find the `postgres` user's group")?;
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).map_err(|e| {
            format!(
                "cannot hand {} to the postgres user: {e}",
                dir.path().display()
            )
        })?;
    }
    let data = dir.path().join("data");
    let mut initdb = run_as.command(&bindir.join("initdb"));
    initdb.current_dir(dir.path()).arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        "--no-sync",
        "--no-instructions",
    ]);
    run(initdb, "initdb")?;
    // From here on the directory belongs to the watcher, which outlives this process.
    let dir = keep(dir);
    spawn_watcher(run_as, bindir, &dir, &data)?;
    Ok((dir, data))
}

fn start_cluster(bindir: &Path) -> Result<Server, String> {
    let started = Instant::now();
    let run_as = RunAs::for_this_user();
    let (dir, data) = init_cluster(&run_as, bindir, "pgtest-")?;
    let log = dir.join("postgres.log");

    let mut last_error = String::new();
    for _attempt in 0..3 {
        let port = free_port()?;
        let options = format!(
            "-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{}' \
             -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200",
            dir.display()
        );
        let mut pg_ctl = run_as.command(&bindir.join("pg_ctl"));
        pg_ctl
            .current_dir(&dir)
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-s", "-o", &options, "start"])
            .stdout(Stdio::null());
        match run(pg_ctl, "pg_ctl start") {
            Ok(()) => {
                let admin_url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
                wait_until_connectable(&admin_url)?;
                return Ok(Server {
                    admin_url,
                    origin: Origin::Throwaway {
                        bindir: bindir.to_owned(),
                        dir,
                        port,
                        startup: started.elapsed(),
                    },
                });
            }
            Err(e) => {
                let tail = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(5).collect();
                last_error = format!(
                    "{e}; log: {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                );
            }
        }
    }
    Err(last_error)
}

/// Gives up ownership of a [`TempDir`] without deleting it.
fn keep(dir: TempDir) -> PathBuf {
    let path = dir.path().to_owned();
    std::mem::forget(dir);
    path
}

/// Starts a detached shell (own session, so Ctrl-C on the test run does not kill it)
/// that waits for this process to exit, then stops the cluster and deletes `dir`.
fn spawn_watcher(run_as: &RunAs, bindir: &Path, dir: &Path, data: &Path) -> Result<(), String> {
    const SCRIPT: &str = r#"pid=$1; dir=$2; shift 2
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
"$@" >/dev/null 2>&1
rm -rf "$dir""#;
    let mut args: Vec<String> = vec![
        "sh".into(),
        "-c".into(),
        SCRIPT.into(),
        "pgtest-watcher".into(),
        std::process::id().to_string(),
        dir.display().to_string(),
    ];
    args.extend(run_as.argv(&bindir.join("pg_ctl")));
    args.extend([
        "-D".into(),
        data.display().to_string(),
        "stop".into(),
        "-m".into(),
        "immediate".into(),
    ]);
    let setsid = Path::new("/usr/bin/setsid");
    let mut cmd = if setsid.is_file() {
        let mut cmd = Command::new(setsid);
        cmd.args(&args);
        cmd
    } else {
        let mut cmd = Command::new(&args[0]);
        cmd.args(&args[1..]);
        cmd
    };
    cmd.current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("cannot start the cleanup watcher: {e}"))
}

fn wait_until_connectable(url: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match block_on_fresh(check_connect(url)) {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!(
                    "the cluster started but {url} does not accept connections: {e}"
                ));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// A new database name `t_<16 random lowercase letters/digits>`.
pub fn random_database_name() -> String {
    format!("t_{}", random_lower_alnum(16))
}

/// Creates an empty database with a fresh random name on `server` and returns it.
pub async fn create_database(server: &Server) -> Result<String, DbErr> {
    let admin = connect_admin(&server.admin_url, ADMIN_TIMEOUT).await?;
    let mut result = Err(DbErr::Custom("no attempt made".into()));
    for _ in 0..3 {
        let name = random_database_name();
        result = admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .map(|_| name);
        match &result {
            Err(e) if e.to_string().contains("already exists") => continue,
            _ => break,
        }
    }
    let _ = admin.close().await;
    result
}

/// Drops `name` from the server at `admin_url`, disconnecting anyone still using it.
/// Synchronous: runs on its own thread and runtime, so it can be called from `Drop`.
pub fn drop_database_blocking(admin_url: &str, name: &str) -> Result<(), DbErr> {
    block_on_fresh(async {
        let admin = connect_admin(admin_url, ADMIN_TIMEOUT).await?;
        let result = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
        let _ = admin.close().await;
        result.map(drop)
    })
}

/// Whether a database called `name` exists on the server at `admin_url`.
pub async fn database_exists(admin_url: &str, name: &str) -> Result<bool, DbErr> {
    use migration::sea_orm::{DbBackend, Statement};
    let admin = connect_admin(admin_url, ADMIN_TIMEOUT).await?;
    let row = admin
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await;
    let _ = admin.close().await;
    let n: i64 = row?
        .ok_or_else(|| DbErr::Custom("COUNT(*) returned no row".into()))?
        .try_get("", "n")?;
    Ok(n > 0)
}

/// A PostgreSQL cluster of one test's own (fault tests): started with `initdb`/`pg_ctl`
/// like the throwaway cluster (as the `postgres` OS user when running as root), on a
/// free 127.0.0.1 port, and which the test may stop (`pg_ctl stop -m fast`) and start
/// again on the same port without touching the shared server. Stopped and deleted on
/// drop, and by a detached watcher should the test process die first.
///
/// The methods block (they run `pg_ctl`): call them from `spawn_blocking` in async code.
#[derive(Debug)]
pub struct PrivateCluster {
    run_as: RunAs,
    bindir: PathBuf,
    dir: PathBuf,
    data: PathBuf,
    /// The port it listens on, the same after a restart.
    pub port: u16,
    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub admin_url: String,
}

impl PrivateCluster {
    /// A new running cluster, or `Ok(None)` when no PostgreSQL binaries are installed.
    pub fn start() -> Result<Option<PrivateCluster>, String> {
        let Some(bindir) = find_bindir() else {
            return Ok(None);
        };
        let run_as = RunAs::for_this_user();
        let (dir, data) = init_cluster(&run_as, &bindir, "pgfault-")?;
        let mut cluster = PrivateCluster {
            run_as,
            bindir,
            dir,
            data,
            port: 0,
            admin_url: String::new(),
        };
        let mut last_error = String::new();
        for _attempt in 0..3 {
            cluster.port = free_port()?;
            cluster.admin_url = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port);
            match cluster.start_again() {
                Ok(()) => return Ok(Some(cluster)),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// `pg_ctl start` on the same port, waiting until it accepts connections.
    pub fn start_again(&self) -> Result<(), String> {
        let options = format!(
            "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{}' \
             -c fsync=off -c full_page_writes=off -c synchronous_commit=off",
            self.port,
            self.dir.display()
        );
        let mut pg_ctl = self.run_as.command(&self.bindir.join("pg_ctl"));
        pg_ctl
            .current_dir(&self.dir)
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.dir.join("postgres.log"))
            .args(["-w", "-t", "60", "-s", "-o", &options, "start"])
            .stdout(Stdio::null());
        run(pg_ctl, "pg_ctl start")?;
        wait_until_connectable(&self.admin_url)
    }

    /// `pg_ctl stop -m fast`: open sessions are terminated, the port closes.
    pub fn stop_fast(&self) -> Result<(), String> {
        self.stop("fast")
    }

    fn stop(&self, mode: &str) -> Result<(), String> {
        let mut pg_ctl = self.run_as.command(&self.bindir.join("pg_ctl"));
        pg_ctl
            .current_dir(&self.dir)
            .arg("-D")
            .arg(&self.data)
            .args(["-w", "-t", "60", "-s", "-m", mode, "stop"])
            .stdout(Stdio::null());
        run(pg_ctl, "pg_ctl stop")
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.stop("immediate");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
