//! Running a parsed command: what each command does and prints, and its exit code.

use sea_orm_migration::sea_orm::DbErr;

use super::{Cli, Command, LockArgs, destructive_options, generate, options};
use crate::deploy::{self, DeployError, Options, exit};
use crate::{connect_for_migrations, database_url_from_env};

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
