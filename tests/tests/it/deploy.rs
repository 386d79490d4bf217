//! Safe deploys: the lock, the ledger and its journal, checksums and contracts, the
//! way operators and concurrent replicas meet them.

use std::time::Duration;

use migration::deploy::{self, DeployError, Options, exit, ledger, lock::DeployLock};
use migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use migration::{Migrator, MigratorTrait, catalog};
use tests::{TestDb, dual_test};

fn quick() -> Options {
    Options {
        lock_timeout: Duration::from_millis(500),
        ..Options::default()
    }
}

async fn conn(db: &TestDb) -> DatabaseConnection {
    migration::connect_for_migrations(&db.url).await.unwrap()
}

async fn exec(conn: &DatabaseConnection, sql: &str) {
    conn.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn scalar_i64(conn: &DatabaseConnection, sql: &str) -> i64 {
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap()
}

dual_test!(concurrent_ups_apply_each_migration_once);
/// Eight replicas start `up` at once on an empty database: all succeed and each
/// migration is applied exactly once.
async fn concurrent_ups_apply_each_migration_once(db: TestDb) {
    let runs = (0..8).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move { deploy::up(&url, None, &Options::default()).await })
    });
    let mut applied = Vec::new();
    for run in runs {
        applied.extend(run.await.unwrap().expect("every runner succeeds"));
    }
    let all: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    applied.sort();
    assert_eq!(applied, all, "each migration applied by exactly one runner");

    let c = conn(&db).await;
    assert_eq!(
        scalar_i64(&c, r#"SELECT count(*) FROM "seaql_migrations""#).await,
        all.len() as i64
    );
    let runs = ledger::runs(&c).await.unwrap();
    assert_eq!(runs.len(), 8);
    assert!(
        runs.iter().all(|r| r.0 == "up" && r.1 == "succeeded"),
        "{runs:?}"
    );
}

dual_test!(lock_timeout_names_the_holder);
/// While another runner holds the deploy lock, `up` waits `--lock-timeout`, then
/// fails with exit code 75 naming the holder; once released, `up` proceeds.
async fn lock_timeout_names_the_holder(db: TestDb) {
    let backend = db.db_backend();
    let (held, _) = DeployLock::acquire(&db.url, backend, Duration::from_secs(5))
        .await
        .unwrap();
    let err = deploy::up(&db.url, None, &quick()).await.unwrap_err();
    assert!(matches!(err, DeployError::LockTimeout { .. }), "{err}");
    assert_eq!(err.exit_code(), exit::LOCK_TIMEOUT);
    let message = err.to_string();
    assert!(
        message.contains(&format!("pid={}", std::process::id())),
        "{message}"
    );
    assert!(message.contains("--lock-timeout"), "{message}");
    held.release().await.unwrap();

    deploy::up(&db.url, None, &quick()).await.unwrap();
    if backend == migration::sea_orm::DbBackend::Postgres {
        // The lock is gone from the server, not just from this process.
        let c = conn(&db).await;
        assert_eq!(scalar_i64(&c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").await, 0);
    }
}

dual_test!(an_edited_applied_migration_is_refused);
/// An applied migration whose source changed is reported by `status` and refused
/// by `up`, naming the version; nothing is applied.
async fn an_edited_applied_migration_is_refused(db: TestDb) {
    deploy::up(&db.url, Some(3), &quick()).await.unwrap();
    let c = conn(&db).await;
    exec(&c, r#"UPDATE "migration_ledger" SET "src_sha256" = 'f00d' WHERE "version" = 'm20251014_000001_avatar_creator'"#).await;

    let rows = deploy::status(&c).await.unwrap();
    let row = rows
        .iter()
        .find(|r| r.version == "m20251014_000001_avatar_creator")
        .unwrap();
    assert_eq!(row.state, "checksum_mismatch");
    assert_eq!(deploy::status_exit_code(&rows), exit::DRIFT);

    let err = deploy::up(&db.url, None, &quick()).await.unwrap_err();
    assert_eq!(err.exit_code(), exit::DRIFT, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("m20251014_000001_avatar_creator was edited after it was applied"),
        "{message}"
    );
    assert!(
        message.contains("git log -p -- migration/src/m20251014_000001_avatar_creator.rs"),
        "{message}"
    );
    assert_eq!(migration::pending_migrations(&c).await.unwrap().len(), 5);
    let runs = ledger::runs(&c).await.unwrap();
    assert_eq!(runs[0].1, "refused");

    // An operator who reviewed the edit accepts it, with a reason in the journal.
    deploy::rebless(
        &db.url,
        "m20251014_000001_avatar_creator",
        "comment-only edit",
        &quick(),
    )
    .await
    .unwrap();
    deploy::up(&db.url, None, &quick()).await.unwrap();
    assert!(migration::pending_migrations(&c).await.unwrap().is_empty());
    let detail: String = c
        .query_one_raw(Statement::from_string(
            c.get_database_backend(),
            r#"SELECT "detail" FROM "migration_runs" WHERE "command" = 'rebless'"#,
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert!(detail.contains("comment-only edit"), "{detail}");
}

dual_test!(up_refuses_to_create_over_unrecorded_tables);
/// The runbook's failure: tables exist that no ledger records. `up` does not run
/// blind CREATEs: it refuses before any SQL, names the table and points at `adopt`.
async fn up_refuses_to_create_over_unrecorded_tables(db: TestDb) {
    let c = conn(&db).await;
    exec(
        &c,
        r#"CREATE TABLE "users" ("id" text PRIMARY KEY, "email" text NOT NULL)"#,
    )
    .await;
    drop(c);

    let err = deploy::up(&db.url, None, &quick()).await.unwrap_err();
    assert_eq!(err.exit_code(), exit::REFUSED, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("nothing was applied") && message.contains("Next step:"),
        "{message}"
    );
    assert!(message.contains("users.password"), "{message}");

    let c = conn(&db).await;
    let tables = catalog::table_names(&c).await.unwrap();
    assert_eq!(
        tables,
        ["users"],
        "nothing was created, not even the ledger tables"
    );
}

dual_test!(a_dropped_table_is_refused_by_up_and_recreated_by_adopt);
/// A table of an applied migration was dropped by hand: `up` will not run the
/// later migration that ALTERs it; it names the table and points at `adopt`, which
/// recreates it; then `up` proceeds and the schema is clean.
async fn a_dropped_table_is_refused_by_up_and_recreated_by_adopt(db: TestDb) {
    deploy::up(&db.url, Some(3), &quick()).await.unwrap();
    let c = conn(&db).await;
    exec(&c, r#"DROP TABLE "generated_poses""#).await;

    let err = deploy::up(&db.url, None, &quick()).await.unwrap_err();
    assert_eq!(err.exit_code(), exit::REFUSED, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("CREATE  m20251016_000001_pose_generator"),
        "{message}"
    );
    assert!(message.contains("generated_poses"), "{message}");
    assert!(
        message.contains("Next step: `migration up --adopt`"),
        "{message}"
    );
    assert_eq!(migration::pending_migrations(&c).await.unwrap().len(), 5);

    deploy::adopt(&db.url, deploy::Mode::AdoptOnly, &quick())
        .await
        .unwrap();
    deploy::up(&db.url, None, &quick()).await.unwrap();
    let report = migration::check::check(&c).await.unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.exit_code(), exit::OK);
}

dual_test!(a_failed_migration_is_journalled_and_does_not_block);
/// A migration that fails half-way leaves no ledger row and one journal row with
/// the error (and, on PostgreSQL, its SQLSTATE); once the cause is fixed the next
/// deploy succeeds. Here an index name the migration needs is taken by another
/// table's index, which no precondition looks for.
async fn a_failed_migration_is_journalled_and_does_not_block(db: TestDb) {
    deploy::up(&db.url, Some(6), &quick()).await.unwrap();
    let c = conn(&db).await;
    exec(
        &c,
        r#"CREATE INDEX "jobs_status_leaseExpiresAt_idx" ON "credits" ("type")"#,
    )
    .await;

    let err = deploy::up(&db.url, None, &quick()).await.unwrap_err();
    assert!(
        matches!(&err, DeployError::MigrationFailed { version, .. } if version == "m20251120_000003_jobs_and_votes"),
        "{err}"
    );
    assert_eq!(err.exit_code(), exit::ERROR);
    let runs = ledger::runs(&c).await.unwrap();
    assert_eq!(runs[0].1, "failed");
    assert_eq!(
        runs[0].2.as_deref(),
        Some("m20251120_000003_jobs_and_votes")
    );
    assert!(
        runs[0]
            .3
            .as_deref()
            .unwrap_or_default()
            .contains("jobs_status_leaseExpiresAt_idx"),
        "{runs:?}"
    );
    assert!(
        !catalog::table_names(&c)
            .await
            .unwrap()
            .contains(&"jobs".to_owned()),
        "rolled back as a whole"
    );
    if db.db_backend() == migration::sea_orm::DbBackend::Postgres {
        let row = c
            .query_one_raw(Statement::from_string(
                c.get_database_backend(),
                r#"SELECT "error_sqlstate" FROM "migration_runs" WHERE "status" = 'failed'"#,
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "42P07");
    }

    exec(&c, r#"DROP INDEX "jobs_status_leaseExpiresAt_idx""#).await;
    deploy::up(&db.url, None, &quick()).await.unwrap();
    assert!(migration::pending_migrations(&c).await.unwrap().is_empty());
}

dual_test!(down_refuses_adopted_migrations);
/// Migrations adopted from an existing schema are never rolled back.
async fn down_refuses_adopted_migrations(db: TestDb) {
    deploy::up(&db.url, None, &quick()).await.unwrap();
    let c = conn(&db).await;
    exec(&c, r#"UPDATE "migration_ledger" SET "state" = 'adopted' WHERE "version" = 'm20261206_000001_session_revocations'"#).await;
    let err = deploy::down(&db.url, 1, &quick()).await.unwrap_err();
    assert_eq!(err.exit_code(), exit::REFUSED, "{err}");
    assert!(err.to_string().contains("adopted"), "{err}");
    assert!(
        catalog::table_names(&c)
            .await
            .unwrap()
            .contains(&"session_revocations".to_owned())
    );
}

/// PostgreSQL: a NULL in a `users.unlimitedPose*` flag makes the deploy refuse as a
/// whole before any SQL (m20251018 would fail half-way), naming the column, the count
/// and the user ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_null_flags_refuse_the_deploy_with_counts() {
    let Some(db) = TestDb::new(tests::Backend::Postgres).await else {
        return;
    };
    deploy::up(&db.url, Some(3), &quick()).await.unwrap();
    let c = conn(&db).await;
    exec(&c, r#"INSERT INTO "users" ("id","email","password","createdAt","updatedAt","unlimitedPoseActive") VALUES ('u1','a@b.c','x','2025-10-18 10:00:00.000','2025-10-18 10:00:00.000',NULL)"#).await;
    let err = deploy::up(&db.url, None, &quick()).await.unwrap_err();
    assert_eq!(err.exit_code(), exit::REFUSED, "{err}");
    let message = err.to_string();
    assert!(message.contains("users.unlimitedPoseActive | expected NOT NULL (0 NULL rows) | found 1 NULL row(s) | rows 1 | e.g. u1"), "{message}");
    assert_eq!(
        migration::pending_migrations(&c).await.unwrap().len(),
        5,
        "nothing applied"
    );
}

/// The `migration` binary next to this test binary (`cargo test --workspace` builds
/// it, for the migration crate's own CLI tests).
pub(crate) fn migration_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let bin = dir.join("migration");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo test --workspace` (or `cargo build -p migration`)",
        bin.display()
    );
    bin
}

async fn count_where(c: &DatabaseConnection, sql: &str) -> i64 {
    scalar_i64(c, sql).await
}

/// `kill -9` of `up` in the middle of a migration (a test-only migration blocked on
/// an advisory lock this test holds): no partial DDL, no ledger row, no advisory lock
/// left behind, a journal row that shows the run never finished, and the next `up`
/// succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill_9_in_the_middle_of_a_migration_leaves_nothing() {
    let Some(db) = TestDb::new(tests::Backend::Postgres).await else {
        return;
    };
    deploy::up(&db.url, None, &quick()).await.unwrap();
    let barrier_key = 0x7e57_0001_i64;
    // One session: advisory locks belong to the session that took them.
    let mut one = migration::sea_orm::ConnectOptions::new(db.url.clone());
    one.max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    let holder = migration::sea_orm::Database::connect(one).await.unwrap();
    exec(&holder, &format!("SELECT pg_advisory_lock({barrier_key})")).await;

    let mut child = std::process::Command::new(migration_binary())
        .args(["--database-url", &db.url, "up"])
        .env("MIGRATION_TEST_BARRIER_KEY", barrier_key.to_string())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    // Wait until the runner is blocked inside the barrier migration.
    let waiting = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND wait_event_type = 'Lock' AND query LIKE '%pg_advisory_lock({barrier_key})%'"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while count_where(&holder, &waiting).await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the runner never reached the barrier"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the runner exited early"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The probe table exists inside the runner's open transaction only.
    child.kill().unwrap();
    child.wait().unwrap();
    exec(
        &holder,
        &format!("SELECT pg_advisory_unlock({barrier_key})"),
    )
    .await;

    // The server notices the dead client once the barrier lets its backend go on.
    let others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while count_where(&holder, others).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the killed runner's sessions never ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let tables = catalog::table_names(&holder).await.unwrap();
    assert!(
        !tables.contains(&"test_barrier_probe".to_owned()),
        "no partial DDL"
    );
    assert_eq!(
        count_where(
            &holder,
            r#"SELECT count(*) FROM "seaql_migrations" WHERE "version" LIKE 'm9999%'"#
        )
        .await,
        0,
        "no ledger row"
    );
    assert_eq!(
        count_where(&holder, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").await,
        0,
        "no advisory lock left"
    );
    let runs = ledger::runs(&holder).await.unwrap();
    assert_eq!(
        (runs[0].0.as_str(), runs[0].1.as_str()),
        ("up", "running"),
        "the journal shows the run never finished"
    );

    // The next deploy takes the lock at once and succeeds.
    deploy::up(&db.url, None, &quick()).await.unwrap();
    let status = deploy::status(&holder).await.unwrap();
    assert_eq!(deploy::status_exit_code(&status), exit::OK);
}

/// Eight `migration up` processes started at once on a fresh PostgreSQL database all
/// exit 0 and apply each migration exactly once; with the lock held by another
/// session, `up --lock-timeout 2s` exits 75 and names the holder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_eight_processes_and_a_lock_timeout() {
    let Some(db) = TestDb::new(tests::Backend::Postgres).await else {
        return;
    };
    let children: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(migration_binary())
                .args(["--database-url", &db.url, "up"])
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let c = conn(&db).await;
    assert_eq!(
        scalar_i64(&c, r#"SELECT count(*) FROM "seaql_migrations""#).await,
        Migrator::migrations().len() as i64
    );
    let runs = ledger::runs(&c).await.unwrap();
    assert_eq!(runs.len(), 8);
    let applied: usize = runs
        .iter()
        .map(|r| r.1.as_str())
        .filter(|s| *s == "succeeded")
        .count();
    assert_eq!(applied, 8);

    let (held, _) = DeployLock::acquire(&db.url, db.db_backend(), Duration::from_secs(5))
        .await
        .unwrap();
    let out = std::process::Command::new(migration_binary())
        .args(["--database-url", &db.url, "up", "--lock-timeout", "2s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(75));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("waiting for the deploy lock, held by pid"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("pid={}", std::process::id())),
        "{stderr}"
    );
    held.release().await.unwrap();
}

/// Half-migrated: the ledger records the base tables only, two Avatar Creator tables
/// were created by hand, the rest is missing. `up` refuses; `adopt` verifies what is
/// there and creates what is missing; `check` is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_half_migrated_database_is_completed() {
    let Some(db) = TestDb::new(tests::Backend::Postgres).await else {
        return;
    };
    deploy::up(&db.url, Some(1), &quick()).await.unwrap();
    let c = conn(&db).await;
    exec(&c, r#"
CREATE TABLE "avatar_projects" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "name" TEXT NOT NULL, "description" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL, CONSTRAINT "avatar_projects_pkey" PRIMARY KEY ("id"));
CREATE INDEX "avatar_projects_userId_idx" ON "avatar_projects"("userId");
CREATE TABLE "avatar_presets" ("id" TEXT NOT NULL, "name" TEXT NOT NULL, "previewImageUrl" TEXT NOT NULL, "category" TEXT NOT NULL,
    "personaTemplate" TEXT NOT NULL, "visualAttributes" TEXT NOT NULL, "generationPrompt" TEXT NOT NULL,
    "isPublic" BOOLEAN NOT NULL DEFAULT true, "usageCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL, CONSTRAINT "avatar_presets_pkey" PRIMARY KEY ("id"));
"#).await;
    let err = deploy::up(&db.url, None, &quick()).await.unwrap_err();
    assert_eq!(err.exit_code(), exit::REFUSED, "{err}");
    deploy::adopt(&db.url, deploy::Mode::UpAdopt, &quick())
        .await
        .unwrap();
    let report = migration::check::check(&c).await.unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.exit_code(), exit::OK);
}

/// The start-up gate's reads need no write privilege: `status` and `check` work for
/// a role that may only SELECT, and create nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_status_and_check_work_for_a_select_only_role() {
    let Some(db) = TestDb::new(tests::Backend::Postgres).await else {
        return;
    };
    if !db.url.starts_with("postgres://postgres@") {
        eprintln!("select-only role test needs a postgres://postgres@… server URL; skipped");
        return;
    }
    deploy::up(&db.url, None, &quick()).await.unwrap();
    let admin = conn(&db).await;
    let role = format!("ro_{}", tests::util::random_lower_alnum(10));
    let database = db.postgres_database_name().unwrap().to_owned();
    exec(&admin, &format!(
        r#"CREATE ROLE "{role}" LOGIN; GRANT CONNECT ON DATABASE "{database}" TO "{role}";
           GRANT USAGE ON SCHEMA public TO "{role}"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}";"#
    ))
    .await;
    let readonly_url = db
        .url
        .replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
    let outcome = async {
        let ro = migration::connect_for_migrations(&readonly_url)
            .await
            .unwrap();
        let rows = deploy::status(&ro).await.unwrap();
        assert_eq!(deploy::status_exit_code(&rows), exit::OK);
        let report = migration::check::check(&ro).await.unwrap();
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
        // And it really cannot write.
        assert!(
            ro.execute_unprepared(r#"CREATE TABLE "probe" ("id" int)"#)
                .await
                .is_err()
        );
        ro.close().await.unwrap();
    };
    outcome.await;
    exec(
        &admin,
        &format!(
            r#"DROP OWNED BY "{role}"; REVOKE CONNECT ON DATABASE "{database}" FROM "{role}";"#
        ),
    )
    .await;
    admin.close().await.unwrap();
    let server = tests::postgres_server::server().unwrap();
    let cluster = migration::sea_orm::Database::connect(server.admin_url.clone())
        .await
        .unwrap();
    let _ = cluster
        .execute_unprepared(&format!(r#"DROP ROLE IF EXISTS "{role}""#))
        .await;
}
