//! The deploy tool's commands, driven through the same entry point as
//! `cargo run -p migration -- <command>`, against a real database: what they change
//! and the exit codes they end with.

use clap::Parser;
use migration::cli::{Cli, run};
use migration::deploy::{exit, ledger};
use migration::{Migrator, MigratorTrait, catalog};
use tests::{TestDb, dual_test};

/// Runs `migration <args>` against the test database; returns the exit code and
/// prints the error, as the binary does.
async fn migration_cli(db: &TestDb, args: &[&str]) -> u8 {
    let mut argv = vec!["migration", "--database-url", db.url.as_str()];
    argv.extend_from_slice(args);
    match run(Cli::parse_from(argv)).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    }
}

async fn applied(db: &TestDb) -> usize {
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    Migrator::get_applied_migrations(&conn).await.unwrap().len()
}

async fn application_tables(db: &TestDb) -> Vec<String> {
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    catalog::table_names(&conn)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| !ledger::TOOL_TABLES.contains(&t.as_str()))
        .collect()
}

dual_test!(commands_work_against_the_database_url);
/// up, status, down -n, refresh, reset, fresh: each leaves the ledger and the
/// tables where an operator expects them, with the documented exit codes.
async fn commands_work_against_the_database_url(db: TestDb) {
    let all = Migrator::migrations().len();

    assert_eq!(migration_cli(&db, &["status"]).await, exit::PENDING);
    assert_eq!(migration_cli(&db, &["up", "-n", "2"]).await, exit::OK);
    assert_eq!(applied(&db).await, 2);
    assert_eq!(
        migration_cli(&db, &["status", "--json"]).await,
        exit::PENDING
    );
    assert_eq!(migration_cli(&db, &["up"]).await, exit::OK);
    assert_eq!(applied(&db).await, all);
    assert_eq!(migration_cli(&db, &["status"]).await, exit::OK);
    assert_eq!(
        migration_cli(&db, &["up"]).await,
        exit::OK,
        "up twice is a no-op"
    );

    assert_eq!(migration_cli(&db, &["down", "-n", "3"]).await, exit::OK);
    assert_eq!(applied(&db).await, all - 3);
    assert!(!application_tables(&db).await.contains(&"jobs".to_owned()));

    assert_eq!(migration_cli(&db, &["refresh"]).await, exit::OK);
    assert_eq!(applied(&db).await, all);

    assert_eq!(migration_cli(&db, &["reset"]).await, exit::OK);
    assert_eq!(application_tables(&db).await, Vec::<String>::new());
    assert_eq!(applied(&db).await, 0);

    assert_eq!(migration_cli(&db, &["fresh"]).await, exit::OK);
    assert_eq!(applied(&db).await, all);
    assert_eq!(application_tables(&db).await.len(), 20);

    // Every invocation is in the journal, newest first: the read-only `status` too,
    // once the journal exists (the first one, on an empty database, creates nothing).
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    let runs = ledger::runs(&conn).await.unwrap();
    let commands: Vec<&str> = runs.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        commands,
        [
            "fresh", "down", "up", "down", "down", "up", "status", "up", "status", "up"
        ]
    );
    assert!(runs.iter().all(|r| r.1 == "succeeded"), "{runs:?}");
}

dual_test!(destructive_commands_need_confirmation_on_production);
/// A database marked production refuses the destructive commands unless
/// `--confirm` repeats its name; nothing is dropped by a refusal.
async fn destructive_commands_need_confirmation_on_production(db: TestDb) {
    assert_eq!(migration_cli(&db, &["up"]).await, exit::OK);
    assert_eq!(
        migration_cli(&db, &["environment", "production"]).await,
        exit::OK
    );
    let tables_before = application_tables(&db).await;

    for args in [
        &["fresh"][..],
        &["reset"],
        &["refresh"],
        &["down"],
        &["fresh", "--confirm", "not-this-one"],
    ] {
        assert_eq!(migration_cli(&db, args).await, exit::REFUSED, "{args:?}");
        assert_eq!(
            application_tables(&db).await,
            tables_before,
            "{args:?} changed nothing"
        );
    }

    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    let name = ledger::database_name(&conn, &db.url).await.unwrap();
    assert_eq!(
        migration_cli(&db, &["down", "--confirm", &name]).await,
        exit::OK
    );
    assert_eq!(applied(&db).await, Migrator::migrations().len() - 1);
    assert_eq!(
        migration_cli(&db, &["environment", "development"]).await,
        exit::OK
    );
    assert_eq!(migration_cli(&db, &["reset"]).await, exit::OK);
}

dual_test!(up_with_backup_writes_a_restorable_copy_first);
/// `up --backup DIR` writes a verified backup before changing anything, only when
/// something is pending; the backup restores to the pre-migration database.
async fn up_with_backup_writes_a_restorable_copy_first(db: TestDb) {
    use migration::sea_orm::ConnectionTrait;
    assert_eq!(migration_cli(&db, &["up", "-n", "3"]).await, exit::OK);
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    conn.execute_unprepared(r#"INSERT INTO "users" ("id","email","password","createdAt","updatedAt") VALUES ('u1','a@b.c','x','2025-10-18 10:00:00.000','2025-10-18 10:00:00.000')"#)
        .await
        .unwrap();
    let tables_before = catalog::table_names(&conn).await.unwrap();
    drop(conn);

    // A folder the tool has to create (a `TempDir` is made 0700 already, so backing
    // up into one would prove nothing about the tool).
    let dir = tests::util::TempDir::new("backup").unwrap();
    let backups = dir.path().join("backups");
    assert!(!backups.exists());
    let backups_arg = backups.to_string_lossy().into_owned();
    assert_eq!(
        migration_cli(&db, &["up", "--backup", &backups_arg]).await,
        exit::OK
    );
    let files: Vec<_> = std::fs::read_dir(&backups)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    // The whole database, hashes included: readable by its owner only.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&backups), 0o700, "the backup folder the tool created");
    assert_eq!(mode(&files[0]), 0o600, "backup file");
    // The journal knows it: file, size, checksum, and the 3 migrations it holds.
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    let known = migration::deploy::backup_journal::list(&conn)
        .await
        .unwrap();
    assert_eq!(known.len(), 1, "{known:#?}");
    assert_eq!(known[0].command, "up");
    assert_eq!(
        known[0].size as u64,
        std::fs::metadata(&files[0]).unwrap().len()
    );
    assert_eq!(
        known[0].sha256,
        migration::deploy::backup_journal::sha256_file(&files[0]).unwrap()
    );
    assert_eq!(
        known[0].ledger_summary(),
        "3 recorded, last m20251016_000001_pose_generator"
    );
    drop(conn);

    // Restore into a fresh database of the same kind and look inside.
    let restored = TestDb::new(db.backend).await.unwrap();
    let restored_url = match db.backend {
        tests::Backend::Postgres => {
            let bindir = tests::postgres_server::find_bindir().unwrap();
            let out = std::process::Command::new(bindir.join("pg_restore"))
                .args(["--no-owner", "--dbname", &restored.url])
                .arg(&files[0])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            restored.url.clone()
        }
        tests::Backend::Sqlite => format!("sqlite://{}?mode=rw", files[0].display()),
    };
    let copy = migration::connect_for_migrations(&restored_url)
        .await
        .unwrap();
    let mut restored_tables = catalog::table_names(&copy).await.unwrap();
    restored_tables.sort();
    let mut expected = tables_before.clone();
    expected.sort();
    assert_eq!(restored_tables, expected, "the pre-migration schema");
    assert_eq!(
        Migrator::get_applied_migrations(&copy).await.unwrap().len(),
        3
    );
    let users: i64 = copy
        .query_one_raw(migration::sea_orm::Statement::from_string(
            copy.get_database_backend(),
            r#"SELECT count(*) FROM "users""#,
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(users, 1);

    // Nothing pending: no backup.
    let again = tests::util::TempDir::new("backup-again").unwrap();
    let again_arg = again.path().to_string_lossy().into_owned();
    assert_eq!(
        migration_cli(&db, &["up", "--backup", &again_arg]).await,
        exit::OK
    );
    assert_eq!(
        std::fs::read_dir(again.path())
            .map(|d| d.count())
            .unwrap_or(0),
        0
    );

    // An existing folder others can read is tightened to 0700 before the backup
    // is written into it.
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(migration_cli(&db, &["down", "-n", "1"]).await, exit::OK);
    let shared_arg = shared.to_string_lossy().into_owned();
    assert_eq!(
        migration_cli(&db, &["up", "--backup", &shared_arg]).await,
        exit::OK
    );
    assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 1);
    assert_eq!(mode(&shared), 0o700, "an existing backup folder, tightened");
}
