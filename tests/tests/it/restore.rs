//! Rolling back in one command (issue 17, part 3): `migration backup`, `backups` and
//! `restore FILE --confirm NAME`. A restore puts back exactly the catalog and the rows
//! of the backup, keeps the journal's history, and refuses, changing nothing, a file
//! this database did not write or one changed since.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use migration::cli::{Cli, run};
use migration::deploy::{self, backup_journal, exit, ledger};
use migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tests::util::TempDir;
use tests::{Backend, TestDb, dual_test};

async fn cli(db: &TestDb, args: &[&str]) -> u8 {
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

async fn conn(db: &TestDb) -> DatabaseConnection {
    migration::connect_for_migrations(&db.url).await.unwrap()
}

async fn exec(db: &TestDb, sql: &str) {
    let c = conn(db).await;
    c.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    c.close().await.unwrap();
}

/// The catalog: `pg_dump --schema-only` on PostgreSQL, `sqlite_master` on SQLite.
async fn catalog(db: &TestDb) -> String {
    match db.backend {
        Backend::Postgres => {
            let bindir = tests::postgres_server::find_bindir().expect("PostgreSQL binaries");
            let out = std::process::Command::new(bindir.join("pg_dump"))
                .args(["--schema-only", "--dbname", &db.url])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
                .collect::<Vec<_>>()
                .join("\n")
        }
        Backend::Sqlite => rows(
            db,
            "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') FROM \
             sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .await
        .join("\n"),
    }
}

async fn rows(db: &TestDb, sql: &str) -> Vec<String> {
    let c = conn(db).await;
    let out = c
        .query_all_raw(Statement::from_string(c.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    c.close().await.unwrap();
    out
}

/// The rows a restore must put back: the application's and the ledger's (the journal
/// is history and is kept across a restore on purpose).
async fn data(db: &TestDb) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        r#"SELECT "id" || '|' || "email" || '|' || coalesce("name", '') FROM "users" ORDER BY "id""#,
        r#"SELECT "id" || '|' || CAST("amount" AS TEXT) || '|' || "type" FROM "credits" ORDER BY "id""#,
        r#"SELECT "version" FROM "seaql_migrations" ORDER BY "version""#,
        r#"SELECT "version" || '|' || "state" FROM "migration_ledger" ORDER BY "version""#,
    ] {
        out.extend(rows(db, sql).await);
    }
    out
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

const TS: &str = "'2025-10-18 10:00:00.000'";

dual_test!(restore_puts_back_the_backup_and_refuses_foreign_or_changed_files);
/// backup → up → more rows → restore: the catalog and the rows are those of the
/// backup; the journal knows the backup, the safety backup and the restore. A
/// changed copy of the backup, a backup of another database, and a restore of a
/// database marked production without `--confirm` are refused, changing nothing.
async fn restore_puts_back_the_backup_and_refuses_foreign_or_changed_files(db: TestDb) {
    let dir = TempDir::new("backups").unwrap();
    let dir_arg = dir.path().to_string_lossy().into_owned();
    assert_eq!(cli(&db, &["up", "-n", "3"]).await, exit::OK);
    exec(&db, &format!(r#"INSERT INTO "users" ("id","email","password","name","createdAt","updatedAt") VALUES ('u1','a@b.c','x','Ann',{TS},{TS}), ('u2','b@b.c','x',NULL,{TS},{TS});
        INSERT INTO "credits" ("id","userId","amount","balance","type","createdAt") VALUES ('c1','u1',100,100,'bonus',{TS})"#)).await;

    let started = Instant::now();
    assert_eq!(cli(&db, &["backup", &dir_arg]).await, exit::OK);
    let backup_took = started.elapsed();
    let taken = files(dir.path());
    assert_eq!(taken.len(), 1, "{taken:?}");
    let backup = taken[0].clone();
    let (catalog_then, data_then) = (catalog(&db).await, data(&db).await);

    // The deploy, then the application writes.
    assert_eq!(cli(&db, &["up"]).await, exit::OK);
    exec(&db, &format!(r#"INSERT INTO "users" ("id","email","password","createdAt","updatedAt") VALUES ('u3','c@b.c','x',{TS},{TS});
        UPDATE "users" SET "name" = 'Renamed' WHERE "id" = 'u1';
        INSERT INTO "credits" ("id","userId","amount","balance","type","createdAt") VALUES ('c2','u3',-5,95,'usage',{TS})"#)).await;
    let (catalog_now, data_now) = (catalog(&db).await, data(&db).await);
    assert_ne!(catalog_now, catalog_then);
    assert_ne!(data_now, data_then);
    let unchanged = async || {
        assert_eq!(catalog(&db).await, catalog_now, "the catalog is unchanged");
        assert_eq!(data(&db).await, data_now, "the rows are unchanged");
    };

    // A copy of the backup changed by one byte.
    let tampered = dir.path().join("tampered");
    let mut bytes = std::fs::read(&backup).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&tampered, bytes).unwrap();
    assert_eq!(
        cli(&db, &["restore", &tampered.to_string_lossy()]).await,
        exit::REFUSED
    );
    unchanged().await;
    // The backup itself, changed in place.
    let original = std::fs::read(&backup).unwrap();
    std::fs::write(&backup, [&original[..], b"x"].concat()).unwrap();
    let c = conn(&db).await;
    let err = deploy::restore_backup(&db.url, &backup, &deploy::Options::default())
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), exit::REFUSED);
    assert!(
        err.to_string().contains("changed since it was written"),
        "{err}"
    );
    std::fs::write(&backup, &original).unwrap();
    unchanged().await;

    // A backup of another database.
    let other = TestDb::new(db.backend).await.unwrap();
    let other_dir = TempDir::new("other-backups").unwrap();
    deploy::up(&other.url, Some(3), &deploy::Options::default())
        .await
        .unwrap();
    deploy::take_backup(&other.url, other_dir.path(), &deploy::Options::default())
        .await
        .unwrap();
    let foreign = files(other_dir.path()).remove(0);
    let err = deploy::restore_backup(&db.url, &foreign, &deploy::Options::default())
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), exit::REFUSED);
    assert!(
        err.to_string().contains("is not a backup of this database"),
        "{err}"
    );
    unchanged().await;

    // Marked production: only with its name.
    assert_eq!(cli(&db, &["environment", "production"]).await, exit::OK);
    let backup_arg = backup.to_string_lossy().into_owned();
    assert_eq!(cli(&db, &["restore", &backup_arg]).await, exit::REFUSED);
    assert_eq!(
        cli(&db, &["restore", &backup_arg, "--confirm", "another"]).await,
        exit::REFUSED
    );
    unchanged().await;

    let name = ledger::database_name(&c, &db.url).await.unwrap();
    let started = Instant::now();
    assert_eq!(
        cli(&db, &["restore", &backup_arg, "--confirm", &name]).await,
        exit::OK
    );
    let restore_took = started.elapsed();
    eprintln!(
        "{}: backup {} ms, restore (safety backup, restore, journal, check) {} ms",
        db.backend,
        backup_took.as_millis(),
        restore_took.as_millis()
    );
    assert_eq!(
        catalog(&db).await,
        catalog_then,
        "the catalog of the backup"
    );
    assert_eq!(data(&db).await, data_then, "the rows of the backup");

    // The journal kept its history: the backup, the safety backup of the state the
    // restore replaced, and the restore itself.
    let known = backup_journal::list(&c).await.unwrap();
    assert_eq!(known.len(), 2, "{known:#?}");
    assert_eq!(
        (known[0].command.as_str(), known[1].command.as_str()),
        ("restore", "backup")
    );
    assert_eq!(
        known[1].ledger.split(',').count(),
        3,
        "the backup holds 3 migrations"
    );
    assert_eq!(
        known[0].ledger.split(',').count(),
        <migration::Migrator as migration::MigratorTrait>::migrations().len()
    );
    let journal = ledger::runs(&c).await.unwrap();
    assert_eq!(
        (journal[0].0.as_str(), journal[0].1.as_str()),
        ("restore", "succeeded")
    );
    assert!(
        journal.iter().any(|r| r.0 == "up" && r.1 == "succeeded"),
        "{journal:?}"
    );

    assert_eq!(cli(&db, &["backups"]).await, exit::OK);
    assert_eq!(cli(&db, &["backups", "--json"]).await, exit::OK);

    // The safety backup undoes the restore.
    let safety = PathBuf::from(&known[0].file);
    assert_eq!(cli(&db, &["environment", "development"]).await, exit::OK);
    assert_eq!(
        cli(&db, &["restore", &safety.to_string_lossy()]).await,
        exit::OK
    );
    assert_eq!(data(&db).await, data_now);
    c.close().await.unwrap();
}
