//! Self-test of the database harness: every test database is fresh and isolated,
//! dropping one removes it, and PostgreSQL discovery follows the documented rules.

use std::path::Path;

use migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use tests::postgres_server::{self, Plan};
use tests::util::{random_lower_alnum, with_database};
use tests::{Backend, TestDb, dual_test};

/// Names of the user tables in `conn`, sorted.
async fn table_names(conn: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let sql = match conn.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        _ => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = 'public' ORDER BY table_name"
        }
    };
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await?
        .iter()
        .map(|row| row.try_get::<String>("", "name"))
        .collect()
}

dual_test!(a_new_test_database_is_empty);
/// A test starts with an empty database of the backend it asked for.
async fn a_new_test_database_is_empty(db: TestDb) -> Result<(), DbErr> {
    let conn = db.connect().await;
    assert_eq!(conn.get_database_backend(), db.db_backend());
    assert_eq!(table_names(&conn).await?, Vec::<String>::new());
    Ok(())
}

dual_test!(test_databases_are_isolated);
/// A table created in one test's database does not exist in another's.
async fn test_databases_are_isolated(first: TestDb) -> Result<(), DbErr> {
    let second = TestDb::new(first.backend)
        .await
        .expect("backend was available a moment ago");
    assert_ne!(first.url, second.url);

    let a = first.connect().await;
    let b = second.connect().await;
    a.execute_unprepared("CREATE TABLE only_in_first (id INTEGER PRIMARY KEY)")
        .await?;
    a.execute_unprepared("INSERT INTO only_in_first (id) VALUES (1)")
        .await?;

    assert_eq!(table_names(&a).await?, ["only_in_first"]);
    assert_eq!(table_names(&b).await?, Vec::<String>::new());
    assert!(
        b.execute_unprepared("SELECT id FROM only_in_first")
            .await
            .is_err()
    );
    Ok(())
}

dual_test!(dropping_a_test_database_removes_it);
/// Dropping a TestDb deletes its database, even while connections are still open.
async fn dropping_a_test_database_removes_it(db: TestDb) -> Result<(), DbErr> {
    let conn = db.connect().await;
    conn.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        .await?;
    match db.backend {
        Backend::Sqlite => {
            let file = db.sqlite_path().expect("SQLite TestDb has a file");
            let dir = db
                .scratch_dir()
                .expect("SQLite TestDb has a directory")
                .to_owned();
            assert!(
                file.is_file(),
                "{} should exist after connecting",
                file.display()
            );
            drop(db);
            assert!(
                !Path::new(&dir).exists(),
                "{} should be gone",
                dir.display()
            );
        }
        Backend::Postgres => {
            let name = db
                .postgres_database_name()
                .expect("PostgreSQL TestDb has a name")
                .to_owned();
            let admin = db
                .postgres_admin_url()
                .expect("PostgreSQL TestDb has a server")
                .to_owned();
            assert!(name.starts_with("t_"));
            assert!(postgres_server::database_exists(&admin, &name).await?);
            drop(db); // `conn` is still open: WITH (FORCE) must disconnect it.
            assert!(
                !postgres_server::database_exists(&admin, &name).await?,
                "{name} should be dropped"
            );
            assert!(conn.execute_unprepared("SELECT 1").await.is_err());
        }
    }
    Ok(())
}

dual_test!(concurrent_test_databases_are_distinct);
/// Many tests creating databases at once all get distinct, working ones.
async fn concurrent_test_databases_are_distinct(db: TestDb) {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let backend = db.backend;
        set.spawn(async move {
            let db = TestDb::new(backend)
                .await
                .expect("backend was available a moment ago");
            db.connect()
                .await
                .execute_unprepared("SELECT 1")
                .await
                .expect("query");
            db.url.clone()
        });
    }
    let mut urls = vec![db.url.clone()];
    while let Some(url) = set.join_next().await {
        urls.push(url.expect("task"));
    }
    let before = urls.len();
    urls.sort();
    urls.dedup();
    assert_eq!(
        urls.len(),
        before,
        "every TestDb must have its own database"
    );
}

dual_test!(migrations_apply_to_a_test_database);
/// `connect_migrated` applies the migrations (the ledger table appears).
async fn migrations_apply_to_a_test_database(db: TestDb) -> Result<(), DbErr> {
    let conn = db.connect_migrated().await;
    assert!(
        table_names(&conn)
            .await?
            .contains(&"seaql_migrations".to_owned())
    );
    Ok(())
}

// The closure forms of the macro.
dual_test!(closure_form_gets_a_database, |db: TestDb| async move {
    let conn = db.connect().await;
    conn.execute_unprepared("SELECT 1").await.expect("query");
});

dual_test!(async_closure_form_gets_a_database, async |db| {
    let conn = db.connect().await;
    conn.execute_unprepared("SELECT 1").await.expect("query");
});

#[test]
fn postgres_databases_are_named_t_random() {
    let name = postgres_server::random_database_name();
    assert_eq!(name.len(), 18);
    assert!(name.starts_with("t_"));
    assert!(
        name[2..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    assert_ne!(name, postgres_server::random_database_name());
    let many: std::collections::HashSet<String> =
        (0..10_000).map(|_| random_lower_alnum(16)).collect();
    assert_eq!(many.len(), 10_000);
}

#[test]
fn test_database_urls_replace_only_the_database() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t_x"),
        "postgres://postgres@127.0.0.1:5432/t_x"
    );
    assert_eq!(
        with_database("postgres://u:p@h:1", "t_x"),
        "postgres://u:p@h:1/t_x"
    );
    assert_eq!(
        with_database("postgres://u:p@h:1/", "t_x"),
        "postgres://u:p@h:1/t_x"
    );
    assert_eq!(
        with_database("postgresql://u:p%2F@h/db?sslmode=disable", "t_x"),
        "postgresql://u:p%2F@h/t_x?sslmode=disable"
    );
}

#[test]
fn require_postgres_accepts_the_usual_truthy_values() {
    for yes in ["1", "true", "TRUE", "yes", "on", " 1 "] {
        assert!(postgres_server::require_postgres(Some(yes)), "{yes:?}");
    }
    for no in [
        None,
        Some(""),
        Some("0"),
        Some("false"),
        Some("no"),
        Some("off"),
    ] {
        assert!(!postgres_server::require_postgres(no), "{no:?}");
    }
}

#[test]
fn discovery_prefers_the_url_then_binaries_then_skips_or_fails() {
    let bin = Path::new("/usr/lib/postgresql/15/bin");
    let url = "postgres://postgres@127.0.0.1:5432/postgres";

    assert_eq!(
        postgres_server::plan(Some(url), Some(bin), false),
        Plan::UseUrl(url.into())
    );
    assert_eq!(
        postgres_server::plan(Some(url), None, true),
        Plan::UseUrl(url.into())
    );
    assert_eq!(
        postgres_server::plan(None, Some(bin), true),
        Plan::StartCluster(bin.into())
    );
    assert_eq!(
        postgres_server::plan(Some("  "), Some(bin), false),
        Plan::StartCluster(bin.into())
    );

    // Nothing available: skip, unless PostgreSQL is required.
    assert!(matches!(
        postgres_server::plan(None, None, false),
        Plan::Unavailable { fail: false, ref reason } if reason.contains("TEST_DATABASE_URL")
    ));
    assert!(matches!(
        postgres_server::plan(Some(""), None, true),
        Plan::Unavailable { fail: true, .. }
    ));
    // A failed cluster start is "unavailable" too, with the same rule.
    assert!(matches!(
        postgres_server::unavailable("initdb failed".into(), false),
        Plan::Unavailable { fail: false, .. }
    ));
    assert!(matches!(
        postgres_server::unavailable("initdb failed".into(), true),
        Plan::Unavailable { fail: true, .. }
    ));
}
