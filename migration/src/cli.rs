//! The command line of the deploy tool. The stock sea-orm-migration commands, on the
//! stock `seaql_migrations` ledger, over a connection opened the way migrations need.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use sea_orm_migration::sea_orm::DbErr;

use crate::deploy::{self, DeployError, Options, exit};
use crate::{connect_for_migrations, database_url_from_env};

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

/// `adopted: m…` per version, or `nothing to adopt`.
fn print_versions(done: &str, to_do: &str, versions: &[String]) {
    if versions.is_empty() {
        println!("nothing to {to_do}");
    }
    for v in versions {
        println!("{done}: {v}");
    }
}

/// A step's statements as the deploy will run them, each after the lock it takes and
/// whether it scans or rewrites its table (PostgreSQL), so an operator sees the risk
/// before running it. Later steps see the tables earlier steps create as new.
async fn print_with_locks(
    db: &sea_orm_migration::sea_orm::DatabaseConnection,
    statements: &[String],
) {
    if db.get_database_backend() != sea_orm_migration::sea_orm::DbBackend::Postgres {
        println!("-- lock: SQLite's database write lock, for the step's transaction");
        statements.iter().for_each(|s| println!("{s};"));
        return;
    }
    match deploy::execute::prepare(db, statements, &deploy::ddl_locks::DdlLocks::default()).await {
        Ok(ddls) => ddls.iter().for_each(|d| println!("{d}\n{};", d.sql)),
        Err(e) => {
            println!("-- REFUSED: {e}");
            statements.iter().for_each(|s| println!("{s};"));
        }
    }
}

/// After `adopt`: what is left, and the one command that finishes it. `adopt` never
/// runs a migration, so a database whose adoption waits behind migrations to run is
/// finished by `up --adopt`, and says so instead of answering "nothing to adopt" again.
async fn advise_after_adopt(url: &str) -> Result<(), DeployError> {
    let db = connect_for_migrations(url).await?;
    let plan = deploy::plan::plan(&db).await;
    let _ = db.close().await;
    let plan = plan?;
    if let Some((runs, later)) = plan.adoption_behind_runs() {
        println!(
            "`migration adopt` records and repairs what exists but never runs a migration: {} \
             must run before {} can be adopted.",
            runs.join(", "),
            later.join(", ")
        );
    } else if plan.next_step() == deploy::plan::NextStep::Up {
        let pending: Vec<&str> = plan.steps.iter().map(|s| s.version.as_str()).collect();
        println!("migrations to run: {}", pending.join(", "));
    }
    if let Some(line) = plan.next_step().line() {
        println!("{line}");
    }
    Ok(())
}

fn print_check(report: &crate::check::Report) {
    let pending = report.pending();
    let unhealthy: Vec<_> = report
        .migrations
        .iter()
        .filter(|m| matches!(m.state, "checksum_mismatch" | "missing_in_code"))
        .collect();
    println!("database: {}", report.backend);
    println!(
        "migrations: {} known, {} pending{}",
        report.migrations.len(),
        pending.len(),
        if pending.is_empty() {
            String::new()
        } else {
            format!(" ({})", pending.join(", "))
        }
    );
    for m in unhealthy {
        println!("migration {}: {}", m.version, m.state);
    }
    if report.findings.is_empty() {
        println!("schema: matches the target");
    }
    for f in &report.findings {
        println!("{f}");
    }
}

fn print_backups(backups: &[deploy::backup_journal::Backup]) {
    if backups.is_empty() {
        println!("no backups in this database's journal (`migration backup DIR` takes one)");
    }
    for b in backups {
        let on_disk = match std::fs::metadata(&b.file) {
            Ok(m) if m.len() == b.size as u64 => "present",
            Ok(_) => "present, SIZE DIFFERS",
            Err(_) => "MISSING",
        };
        println!(
            "{}  {}  run {}  `{}`\n    {} ({} bytes, {on_disk})\n    sha256 {}\n    ledger: {}",
            b.taken_at,
            b.database,
            b.run_id,
            b.command,
            b.file,
            b.size,
            b.sha256,
            b.ledger_summary()
        );
    }
}

/// Runs one command; the `Ok` value is the process exit code.
pub async fn run(cli: Cli) -> Result<u8, DeployError> {
    let command = cli.command.unwrap_or(Command::Up {
        num: None,
        adopt: false,
        backup: None,
        lock: LockArgs::default(),
    });
    if let Command::Generate { name, dir } = &command {
        let path = generate(dir, name, chrono::Utc::now())?;
        println!("created {}", path.display());
        return Ok(exit::OK);
    }
    if let Command::Seed { check: true, .. } = &command {
        return Ok(match crate::seed::seed_check() {
            Ok(()) => {
                println!(
                    "seed data ok: {} avatar presets, {} persona examples, {} pose categories, \
                     {} library poses",
                    crate::seed::data::PRESETS.len(),
                    crate::seed::data::PERSONA_EXAMPLES.len(),
                    crate::seed::poses::CATEGORIES.len(),
                    crate::seed::poses::LIBRARY_POSES.len()
                );
                exit::OK
            }
            Err(problems) => {
                problems.iter().for_each(|p| eprintln!("seed: {p}"));
                exit::REFUSED
            }
        });
    }
    let url = cli.database_url.unwrap_or_else(database_url_from_env);
    match command {
        Command::Up {
            adopt: true,
            lock,
            backup,
            ..
        } => {
            let opts = Options {
                backup,
                ..options(&lock)
            };
            print_versions(
                "recorded",
                "record",
                &deploy::adopt(&url, deploy::Mode::UpAdopt, &opts).await?,
            )
        }
        Command::Up {
            num, lock, backup, ..
        } => {
            let opts = Options {
                backup,
                ..options(&lock)
            };
            print_versions("applied", "apply", &deploy::up(&url, num, &opts).await?)
        }
        Command::Adopt {
            dry_run: true,
            json,
            ..
        } => {
            let db = connect_for_migrations(&url).await?;
            let plan = deploy::plan::plan(&db).await;
            deploy::ledger::journal_read_only(&db, "adopt --dry-run", "succeeded").await;
            let _ = db.close().await;
            let plan = plan?;
            if json {
                let out = serde_json::json!({
                    "refused": plan.refused(),
                    "steps": plan.steps.iter().map(|s| serde_json::json!({
                        "version": s.version, "kind": s.kind, "recorded": s.recorded,
                        "repairs": s.repairs.len(),
                    })).collect::<Vec<_>>(),
                    "items": plan.items,
                });
                println!("{out:#}");
            } else {
                print!("{}", plan.render());
            }
            return Ok(if plan.refused() {
                exit::REFUSED
            } else {
                exit::OK
            });
        }
        Command::Adopt { lock, .. } => {
            print_versions(
                "adopted",
                "adopt",
                &deploy::adopt(&url, deploy::Mode::AdoptOnly, &options(&lock)).await?,
            );
            advise_after_adopt(&url).await?;
        }
        Command::Down { num, destructive } => print_versions(
            "reverted",
            "revert",
            &deploy::down(&url, num, &destructive_options(&destructive)).await?,
        ),
        Command::Reset { destructive } => print_versions(
            "reverted",
            "revert",
            &deploy::reset(&url, &destructive_options(&destructive)).await?,
        ),
        Command::Refresh { destructive } => {
            let opts = destructive_options(&destructive);
            print_versions("reverted", "revert", &deploy::reset(&url, &opts).await?);
            print_versions("applied", "apply", &deploy::up(&url, None, &opts).await?);
        }
        Command::Fresh { destructive } => print_versions(
            "applied",
            "apply",
            &deploy::fresh(&url, &destructive_options(&destructive)).await?,
        ),
        Command::Environment { name: None } => {
            let db = connect_for_migrations(&url).await?;
            let environment = deploy::ledger::environment(&db).await;
            let _ = db.close().await;
            println!("{}", environment?.unwrap_or_else(|| "unmarked".into()));
        }
        Command::Environment { name: Some(name) } => {
            deploy::set_environment(&url, name.as_str(), &Options::default()).await?;
            println!("marked {}", name.as_str());
        }
        Command::Status { json } => {
            let db = connect_for_migrations(&url).await?;
            let rows = deploy::status(&db).await;
            let last = deploy::ledger::runs(&db)
                .await
                .map(|runs| runs.into_iter().next());
            let environment = deploy::ledger::environment(&db).await;
            deploy::ledger::journal_read_only(&db, "status", "succeeded").await;
            let _ = db.close().await;
            let (rows, last, environment) = (rows?, last?, environment?);
            let last_run = last.map(|(command, status, failed_version, error)| {
                serde_json::json!({
                    "command": command, "status": status,
                    "failedVersion": failed_version, "error": error,
                })
            });
            if json {
                let out = serde_json::json!({
                    "migrations": rows,
                    "environment": environment,
                    "lastRun": last_run,
                    "exitCode": deploy::status_exit_code(&rows),
                });
                println!("{out:#}");
            } else {
                for row in &rows {
                    println!("{:<18} {}", row.state, row.version);
                }
                println!(
                    "environment: {}",
                    environment.as_deref().unwrap_or("unmarked")
                );
                if let Some(run) = last_run {
                    // A run still "running" with no lock held was interrupted (killed).
                    println!(
                        "last run: {} {}",
                        run["command"].as_str().unwrap_or(""),
                        run["status"].as_str().unwrap_or("")
                    );
                    if let Some(error) = run["error"].as_str() {
                        println!("  error: {error}");
                    }
                }
            }
            return Ok(deploy::status_exit_code(&rows));
        }
        Command::Backup { dir, lock } => {
            deploy::take_backup(&url, &dir, &options(&lock)).await?;
        }
        Command::Backups { json } => {
            let db = connect_for_migrations(&url).await?;
            let backups = deploy::backup_journal::list(&db).await;
            let _ = db.close().await;
            let backups = backups?;
            if json {
                println!("{:#}", serde_json::json!({ "backups": backups }));
            } else {
                print_backups(&backups);
            }
        }
        Command::Restore { file, destructive } => {
            let started = std::time::Instant::now();
            let restored =
                deploy::restore_backup(&url, &file, &destructive_options(&destructive)).await?;
            println!(
                "restored {} (taken {} by `{}`, run {}; {}) in {:.1} s",
                restored.backup.file,
                restored.backup.taken_at,
                restored.backup.command,
                restored.backup.run_id,
                restored.backup.ledger_summary(),
                started.elapsed().as_secs_f32()
            );
            println!(
                "safety backup of the state before: {} (sha256 {}); `migration restore` it to undo",
                restored.safety.file, restored.safety.sha256
            );
            let db = connect_for_migrations(&url).await?;
            let report = crate::check::check(&db).await;
            let _ = db.close().await;
            let report = report?;
            println!("check after the restore:");
            print_check(&report);
            if !report.pending().is_empty() {
                println!(
                    "(pending is expected when the backup predates this build's migrations: \
                     run the build that matches it, or `migration up` to migrate again)"
                );
            }
        }
        Command::Rebless {
            version,
            reason,
            lock,
        } => {
            deploy::rebless(&url, &version, &reason, &options(&lock)).await?;
            println!("reblessed {version}");
        }
        Command::Plan => {
            let db = connect_for_migrations(&url).await?;
            let result = async {
                let plan = deploy::plan::plan(&db).await?;
                let users: Vec<String> = crate::catalog::columns_by_table(&db)
                    .await?
                    .into_iter()
                    .filter(|(t, _)| t == "users")
                    .map(|(_, c)| c)
                    .collect();
                Ok::<_, DbErr>((plan, users))
            }
            .await;
            let backend = db.get_database_backend();
            let (plan, users) = match result {
                Ok(found) => found,
                Err(e) => {
                    let _ = db.close().await;
                    return Err(e.into());
                }
            };
            print!("{}", plan.render());
            for (version, what, sql) in deploy::preview::plan_sql(backend, &plan, &users).await {
                println!("\n-- {what} {version}");
                match sql {
                    Ok(statements) if statements.is_empty() => {
                        println!("-- (no SQL: recorded in the ledger only)")
                    }
                    Ok(statements) => print_with_locks(&db, &statements).await,
                    Err(e) => println!("-- {e}"),
                }
            }
            deploy::ledger::journal_read_only(&db, "plan", "succeeded").await;
            let _ = db.close().await;
            return Ok(if plan.refused() {
                exit::REFUSED
            } else {
                exit::OK
            });
        }
        Command::Check { json } => {
            let db = connect_for_migrations(&url).await?;
            let report = crate::check::check(&db).await;
            // Not clean: the plan says which one command fixes it (read-only).
            let next = match &report {
                Ok(r) if r.exit_code() != exit::OK && !json => deploy::plan::plan(&db)
                    .await
                    .ok()
                    .and_then(|p| p.next_step().line()),
                _ => None,
            };
            deploy::ledger::journal_read_only(&db, "check", "succeeded").await;
            let _ = db.close().await;
            let report = report?;
            if json {
                println!("{:#}", serde_json::to_value(&report).unwrap_or_default());
            } else {
                print_check(&report);
                if let Some(line) = next {
                    println!("{line}");
                }
            }
            return Ok(report.exit_code());
        }
        Command::Seed { presets_dir, .. } => {
            let db = connect_for_migrations(&url).await?;
            let report = crate::seed::seed(&db, &presets_dir).await;
            let outcome = if report.is_ok() {
                "succeeded"
            } else {
                "failed"
            };
            deploy::ledger::journal_read_only(&db, "seed", outcome).await;
            let _ = db.close().await;
            println!("{}", report?);
        }
        Command::Generate { .. } => unreachable!("handled above"),
    }
    Ok(exit::OK)
}

/// Writes `m<YYYYMMDD>_<HHMMSS>_<name>.rs` from a template and registers it in
/// `lib.rs`, after the last registered migration.
pub fn generate(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<PathBuf, DbErr> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(DbErr::Custom(format!(
            "migration name must be snake_case ([a-z0-9_]+), got {name:?}"
        )));
    }
    let module = format!("m{}_{name}", now.format("%Y%m%d_%H%M%S"));
    let src = dir.join("src");
    let lib_path = src.join("lib.rs");
    let lib = std::fs::read_to_string(&lib_path)
        .map_err(|e| DbErr::Custom(format!("cannot read {}: {e}", lib_path.display())))?;
    let lib = register(&lib, &module)?;
    let file = src.join(format!("{module}.rs"));
    std::fs::write(&file, TEMPLATE)
        .and_then(|()| std::fs::write(&lib_path, lib))
        .map_err(|e| DbErr::Custom(format!("cannot write {}: {e}", file.display())))?;
    Ok(file)
}

fn register(lib: &str, module: &str) -> Result<String, DbErr> {
    let missing = || DbErr::Custom("lib.rs has no registered migration to add after".into());
    let mut lines: Vec<String> = lib.lines().map(str::to_owned).collect();
    let last_mod = lines
        .iter()
        .rposition(|l| l.starts_with("mod m") && l.ends_with(';'))
        .ok_or_else(missing)?;
    lines.insert(last_mod + 1, format!("mod {module};"));
    let last_box = lines
        .iter()
        .rposition(|l| l.trim_start().starts_with("Box::new(m"))
        .ok_or_else(missing)?;
    let indent: String = lines[last_box]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    lines.insert(
        last_box + 1,
        format!("{indent}Box::new({module}::Migration),"),
    );
    Ok(lines.join("\n") + "\n")
}

const TEMPLATE: &str = r#"use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("write this migration's up".into()))
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("write this migration's down".into()))
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_registers_the_new_migration_after_the_last_one() {
        let lib = "mod ddl;\nmod m1_a;\nmod m2_b;\n\nfn migrations() {\n    vec![\n        Box::new(m1_a::Migration),\n        Box::new(m2_b::Migration),\n    ]\n}\n";
        let out = register(lib, "m3_c").unwrap();
        assert!(out.contains("mod m2_b;\nmod m3_c;\n"));
        assert!(
            out.contains("Box::new(m2_b::Migration),\n        Box::new(m3_c::Migration),\n    ]")
        );
    }

    #[test]
    fn generate_rejects_names_that_are_not_snake_case() {
        let dir = std::env::temp_dir();
        assert!(generate(&dir, "Add Tags", chrono::Utc::now()).is_err());
        assert!(generate(&dir, "", chrono::Utc::now()).is_err());
    }

    #[test]
    fn generate_writes_a_compilable_template_and_registers_it() {
        let dir = std::env::temp_dir().join(format!("gen-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("src/lib.rs"),
            "mod m1_a;\nfn m() { vec![\n    Box::new(m1_a::Migration),\n] }\n",
        )
        .unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let path = generate(&dir, "add_tags", now).unwrap();
        assert!(path.ends_with("src/m20260102_030405_add_tags.rs"));
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("impl MigrationTrait")
        );
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("mod m20260102_030405_add_tags;"));
        assert!(lib.contains("Box::new(m20260102_030405_add_tags::Migration),"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
