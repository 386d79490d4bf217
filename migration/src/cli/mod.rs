//! The command line of the deploy tool. The stock sea-orm-migration commands, on the
//! stock `seaql_migrations` ledger, over a connection opened the way migrations need.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::deploy::{self, Options};

mod generate;
mod run;

pub use generate::generate;
pub use run::run;

#[derive(Debug, Parser)]
#[command(
    name = "migration",
    about = "Schema migrations and safe deploys for the creator API",
    after_help = "Exit codes: 0 ok, 1 error, 2 usage, 10 pending (status, check), 20 drift or \
                  edited applied migration, 30 refused before any SQL, 75 lock timeout (the \
                  deploy lock, or a table lock on every retry: nothing of that step applied)."
)]
pub struct Cli {
    /// Database URL; defaults to `DATABASE_URL`, else the embedded SQLite file.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct LockArgs {
    /// How long to wait for another runner's deploy lock: `500ms`, `2s`, `1m`.
    #[arg(long, default_value = "60s", value_parser = deploy::parse_duration)]
    pub lock_timeout: Duration,
    /// PostgreSQL: how long one DDL statement may wait for its table lock
    /// (`lock_timeout`) before the step rolls back and is tried again; the app's
    /// queries on that table wait behind it at most this long.
    #[arg(long, env = "DEPLOY_LOCK_TIMEOUT", default_value = "2s", value_parser = deploy::parse_duration)]
    pub ddl_lock_timeout: Duration,
    /// PostgreSQL: how many times a step that hit `lock_timeout` is tried again, with
    /// a growing pause (250 ms, 500 ms, 1 s, …) in between.
    #[arg(long, env = "DEPLOY_LOCK_RETRIES", default_value_t = 3)]
    pub ddl_lock_retries: u32,
}

/// For commands that destroy data.
#[derive(Debug, Clone, Args)]
pub struct DestructiveArgs {
    #[command(flatten)]
    pub lock: LockArgs,
    /// On a database marked production: its name, to confirm you mean it.
    #[arg(long, value_name = "DATABASE_NAME")]
    pub confirm: Option<String>,
}

impl Default for LockArgs {
    /// `migration` with no command: `up` with these, the environment still applying.
    fn default() -> Self {
        let defaults = Options::default();
        let env = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            lock_timeout: defaults.lock_timeout,
            ddl_lock_timeout: env("DEPLOY_LOCK_TIMEOUT")
                .and_then(|v| deploy::parse_duration(&v).ok())
                .unwrap_or(defaults.ddl.timeout),
            ddl_lock_retries: env("DEPLOY_LOCK_RETRIES")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(defaults.ddl.retries),
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum EnvironmentName {
    Production,
    Development,
}

impl EnvironmentName {
    fn as_str(self) -> &'static str {
        match self {
            EnvironmentName::Production => "production",
            EnvironmentName::Development => "development",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations (all, or the next N), under the deploy lock. Refuses,
    /// before any SQL, a database that holds objects its ledger does not record.
    Up {
        #[arg(short = 'n', long)]
        num: Option<u32>,
        /// Adopt and repair first, as `adopt` would, then apply the rest.
        #[arg(long, conflicts_with = "num")]
        adopt: bool,
        /// Before changing anything, and only if something is pending, write a
        /// verified backup into this directory (`pg_dump -Fc`; SQLite: a file copy).
        #[arg(long, value_name = "DIR")]
        backup: Option<PathBuf>,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Adopt an existing database: record the migrations whose objects verifiably exist,
    /// apply safe additive repairs (missing tables, nullable or defaulted columns,
    /// indexes, foreign keys without orphans), refuse everything else with a report.
    Adopt {
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run: the plan as JSON.
        #[arg(long, requires = "dry_run")]
        json: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Write a verified backup of the database into DIR (`pg_dump -Fc`, checked with
    /// `pg_restore --list`; SQLite: `VACUUM INTO`), recorded in the journal with its
    /// SHA-256 and the ledger it holds.
    Backup {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// The backups this database's journal knows: when, which run, file, size,
    /// checksum and the ledger state they hold.
    Backups {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Put the database back to a backup its journal knows (the runbook's rollback), in
    /// one transaction, after a safety backup of the current state; then `check`.
    /// Refuses a file whose checksum this database did not record, and, on a database
    /// marked production, runs only with `--confirm` naming it.
    Restore {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        destructive: DestructiveArgs,
    },
    /// Roll back the last N migrations this tool applied (never adopted ones).
    Down {
        #[arg(short = 'n', long, default_value_t = 1)]
        num: u32,
        #[command(flatten)]
        destructive: DestructiveArgs,
    },
    /// Accept the current source of an applied migration that was edited (a comment,
    /// formatting): records its new checksum, with the reason, in the journal.
    Rebless {
        version: String,
        /// Why the edit is harmless; kept in the run journal.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Print what `up --adopt` would do and the SQL of every step, changing nothing
    /// (no lock, no writes). Exits 30 when the deploy would be refused.
    Plan,
    /// Every migration's state; exits 10 when some are pending, 20 on drift.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Compare the live database with the target schema and the ledger. Exits 0 when
    /// clean (extra objects are only reported), 10 when migrations are pending, 20 on
    /// drift.
    Check {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Drop every application table, then apply all migrations.
    Fresh {
        #[command(flatten)]
        destructive: DestructiveArgs,
    },
    /// Roll back every migration this tool applied, then apply all again.
    Refresh {
        #[command(flatten)]
        destructive: DestructiveArgs,
    },
    /// Roll back every migration this tool applied.
    Reset {
        #[command(flatten)]
        destructive: DestructiveArgs,
    },
    /// Show, or set, the environment the database is marked as. `adopt` marks an
    /// adopted database `production`; destructive commands then need `--confirm`.
    Environment {
        #[arg(value_enum)]
        name: Option<EnvironmentName>,
    },
    /// Load the reference data (avatar presets, persona examples, pose categories,
    /// library poses) by natural key, never touching counters or deleting rows, and
    /// render missing preview and pose images.
    Seed {
        /// Validate the static seed data only, without a database; exits 30 on a
        /// problem.
        #[arg(long)]
        check: bool,
        /// Where the preset images live (`<DIR>/avatar-creator/<slug>.jpg`,
        /// `<DIR>/pose-generator/<slug>{.jpg,_thumb.jpg,_pose.png}`).
        #[arg(
            long,
            value_name = "DIR",
            env = "PRESETS_DIR",
            default_value = "./presets"
        )]
        presets_dir: PathBuf,
    },
    /// Create a new migration file and register it in `src/lib.rs`.
    Generate {
        /// Snake-case description, e.g. `add_avatar_tags`.
        name: String,
        /// The migration crate's directory.
        #[arg(long, default_value = "migration")]
        dir: PathBuf,
    },
}

fn options(lock: &LockArgs) -> Options {
    Options {
        lock_timeout: lock.lock_timeout,
        confirm: None,
        backup: None,
        ddl: deploy::ddl_locks::DdlLocks {
            timeout: lock.ddl_lock_timeout,
            retries: lock.ddl_lock_retries,
            lock_safe: true,
        },
    }
}

fn destructive_options(args: &DestructiveArgs) -> Options {
    Options {
        confirm: args.confirm.clone(),
        ..options(&args.lock)
    }
}
