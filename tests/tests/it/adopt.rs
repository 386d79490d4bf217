//! Adopting existing databases (schema.md §1.2 shapes, Appendix C fixtures): the
//! runbook's production database, its variant with the pose flags, the legacy v1
//! shape (refused as a whole, catalog unchanged), the legacy shape moved aside, the
//! complete upstream shape with clean and dirty data, and a hand-repaired database.

use std::time::Duration;

use entity::{avatar_projects, avatars, users};
use migration::check::{self, Severity};
use migration::deploy::{self, DeployError, Mode, Options, exit, ledger, plan};
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, Statement,
};
use tests::{Backend, TestDb, dual_test, fixtures};

fn opts() -> Options {
    Options {
        lock_timeout: Duration::from_secs(5),
        ..Options::default()
    }
}

async fn postgres() -> Option<(TestDb, DatabaseConnection)> {
    let db = TestDb::new(Backend::Postgres).await?;
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    Some((db, conn))
}

/// A digest of a table's rows over the given columns, to prove rows unchanged.
async fn digest(conn: &DatabaseConnection, table: &str, columns: &[&str]) -> String {
    let cols: Vec<String> = columns
        .iter()
        .map(|c| format!("coalesce(CAST(\"{c}\" AS TEXT), '∅')"))
        .collect();
    let sql = format!(
        "SELECT count(*)::text || ':' || coalesce(md5(string_agg(concat_ws('|', {}), ',' ORDER BY \"id\")), '') FROM \"{table}\"",
        cols.join(", ")
    );
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap()
}

const USER_COLUMNS: &[&str] = &[
    "id",
    "email",
    "password",
    "name",
    "role",
    "storageQuota",
    "storageUsed",
    "accountType",
    "subscriptionTier",
    "userTags",
    "theme",
    "language",
    "settingsUpdatedAt",
    "createdAt",
    "updatedAt",
];
const CREDIT_COLUMNS: &[&str] = &[
    "id",
    "userId",
    "amount",
    "balance",
    "type",
    "description",
    "createdAt",
];

/// The schema is what this build needs: no blocking or warning finding, only extra
/// objects of other apps reported as info.
async fn assert_clean(conn: &DatabaseConnection) {
    let report = check::check(conn).await.unwrap();
    let problems: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(ToString::to_string)
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(report.exit_code(), exit::OK);
}

async fn ledger_state(conn: &DatabaseConnection, version: &str) -> String {
    let sql = format!(r#"SELECT "state" FROM "migration_ledger" WHERE "version" = '{version}'"#);
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .unwrap_or_default()
}

/// `pg_dump --schema-only` of the database: the catalog byte for byte.
fn schema_dump(db: &TestDb) -> String {
    let bindir = tests::postgres_server::find_bindir().expect("PostgreSQL binaries");
    let url = db.url.clone();
    let out = std::process::Command::new(bindir.join("pg_dump"))
        .args(["--schema-only", "--no-owner", "--dbname", &url])
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pg_dump brackets its output with `\restrict <random key>` lines; the rest is the
    // catalog.
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn refused_report(err: DeployError) -> String {
    assert_eq!(err.exit_code(), exit::REFUSED, "{err}");
    err.to_string()
}

/// F1, the runbook's production database: `up` refuses to create blindly; `adopt`
/// then `up` produce the full schema, leave every existing row and every other app's
/// table and column untouched, and the runbook's success criteria hold: a
/// pre-existing user can create a project and list it with its avatars.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runbook_production_is_adopted_and_completed() {
    let Some((db, conn)) = postgres().await else {
        return;
    };
    fixtures::runbook_production(&conn).await;
    let users_before = digest(&conn, "users", USER_COLUMNS).await;
    let credits_before = digest(&conn, "credits", CREDIT_COLUMNS).await;
    let devices_before = digest(&conn, "devices", &["id", "userId", "name"]).await;
    let prisma_before = digest(
        &conn,
        "_prisma_migrations",
        &["id", "checksum", "migration_name"],
    )
    .await;

    let report = refused_report(deploy::up(&db.url, None, &opts()).await.unwrap_err());
    assert!(
        report.contains("Next step: `migration up --adopt`"),
        "{report}"
    );
    assert!(report.contains("m20250930_000001_base_tables"), "{report}");

    let dry = plan::plan(&conn).await.unwrap();
    assert!(!dry.refused(), "{}", dry.render());
    let adopted = deploy::adopt(&db.url, Mode::AdoptOnly, &opts())
        .await
        .unwrap();
    assert_eq!(adopted, ["m20250930_000001_base_tables"]);
    let applied = deploy::up(&db.url, None, &opts()).await.unwrap();
    assert_eq!(applied.len(), 7);
    assert_clean(&conn).await;
    assert_eq!(
        ledger_state(&conn, "m20250930_000001_base_tables").await,
        "adopted"
    );
    assert_eq!(
        ledger_state(&conn, "m20251014_000001_avatar_creator").await,
        "applied"
    );

    assert_eq!(digest(&conn, "users", USER_COLUMNS).await, users_before);
    assert_eq!(
        digest(&conn, "credits", CREDIT_COLUMNS).await,
        credits_before
    );
    assert_eq!(
        digest(&conn, "devices", &["id", "userId", "name"]).await,
        devices_before
    );
    assert_eq!(
        digest(
            &conn,
            "_prisma_migrations",
            &["id", "checksum", "migration_name"]
        )
        .await,
        prisma_before
    );

    // The runbook's success criteria, through the entities (the HTTP routes come with
    // the Avatar Creator issue): the existing user reads back, creates a project, and
    // the project lists with its (empty) avatars.
    let user = users::Entity::find_by_id("cm0user000000000000000002")
        .one(&conn)
        .await
        .unwrap()
        .expect("a pre-existing user");
    assert!(user.password.starts_with("$2b$10$"));
    let now = chrono::Utc::now().naive_utc();
    avatar_projects::ActiveModel {
        id: Set("cm0proj000000000000000001".into()),
        user_id: Set(user.id.clone()),
        name: Set("Launch".into()),
        description: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&conn)
    .await
    .unwrap();
    let listed = avatar_projects::Entity::find()
        .find_with_related(avatars::Entity)
        .all(&conn)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].1.is_empty());

    // Adopting again changes nothing.
    assert!(
        deploy::adopt(&db.url, Mode::AdoptOnly, &opts())
            .await
            .unwrap()
            .is_empty()
    );
}

/// F1b: the pose flags exist nullable and with `timestamp(6)`: adopted, the flags
/// tightened to NOT NULL, the timestamps accepted as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runbook_production_with_pose_flags_is_tightened() {
    let Some((db, conn)) = postgres().await else {
        return;
    };
    fixtures::runbook_production_with_pose_flags(&conn).await;
    deploy::adopt(&db.url, Mode::UpAdopt, &opts())
        .await
        .unwrap();
    assert_clean(&conn).await;
    let live = migration::catalog::table(&conn, "users")
        .await
        .unwrap()
        .unwrap();
    let column = |name: &str| {
        live.columns
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .clone()
    };
    assert!(!column("unlimitedPoseActive").nullable);
    assert!(!column("unlimitedPoseQuotaUsed").nullable);
    assert_eq!(
        column("unlimitedPoseExpiresAt").data_type,
        "timestamp without time zone"
    );
    let report = check::check(&conn).await.unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.object == "users.unlimitedPoseExpiresAt" && f.severity == Severity::Info)
    );
}

/// F2, the legacy v1 shape: the deploy is refused as a whole with one report listing
/// every conflict, and the catalog is byte-for-byte unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_v1_is_refused_as_a_whole() {
    let Some((db, conn)) = postgres().await else {
        return;
    };
    fixtures::legacy_v1(&conn).await;
    let before = schema_dump(&db);

    let report = refused_report(
        deploy::adopt(&db.url, Mode::UpAdopt, &opts())
            .await
            .unwrap_err(),
    );
    assert_eq!(schema_dump(&db), before, "nothing may change");
    assert!(ledger::recorded(&conn).await.unwrap().is_empty());

    let line = |verdict: &str, object: &str| {
        report.lines().any(|l| {
            l.starts_with(verdict) && l.contains(&format!(" {object} "))
                || l.starts_with(verdict) && l.ends_with(&format!(" {object}"))
        })
    };
    for (verdict, object) in [
        ("CREATE", "users_role_idx"),
        ("CREATE", "credits_userId_createdAt_idx"),
        ("ADD", "avatars.personaName"),
        ("ADD", "avatars.seedUsed"),
        ("EXTRA", "avatars.brandKitId"),
        ("EXTRA", "avatars.faceEmbedding"),
        ("EXTRA", "avatars_brandKitId_idx"),
        ("EXTRA", "avatars_brandKitId_fkey"),
        ("CREATE", "avatar_presets"),
        ("CREATE", "persona_examples"),
        ("CREATE", "avatar_projects_userId_createdAt_idx"),
        ("CREATE", "avatar_usage_history_avatarId_createdAt_idx"),
        ("EXTRA", "avatar_usage_history_createdAt_idx"),
        ("REFUSE", "avatar_generations.poseTemplateId"),
        ("REFUSE", "avatar_generations.inputImageUrl"),
        ("REFUSE", "avatar_generations.projectId"),
        ("REFUSE", "avatar_generations.prompt"),
        ("REFUSE", "pose_generations.avatarId"),
        ("REFUSE", "pose_generations.totalPoses"),
        ("REFUSE", "pose_generations.selectedPoseIds"),
        ("REFUSE", "pose_generations.basePrompt"),
        ("REFUSE", "pose_generations.updatedAt"),
        ("REFUSE", "pose_generations_projectId_fkey"),
        ("REFUSE", "generated_poses.generationTime"),
        ("REFUSE", "generated_poses.userId"),
        ("REFUSE", "generated_poses.avatarId"),
        ("REFUSE", "generated_poses.poseTemplateId"),
        ("REFUSE", "generated_poses.prompt"),
        ("REFUSE", "generated_poses.outputUrl"),
        ("REFUSE", "generated_poses.provider"),
        ("REFUSE", "generated_poses_avatarId_fkey"),
        ("CREATE", "pose_categories"),
        ("CREATE", "pose_library"),
        ("CREATE", "pose_generator_projects"),
        ("ADD", "users.unlimitedPoseActive"),
        ("EXTRA", "brand_kits"),
        ("EXTRA", "pose_generation_projects"),
    ] {
        assert!(
            line(verdict, object),
            "missing `{verdict} … {object}` in:\n{report}"
        );
    }
    assert!(report.contains("REFUSED: nothing was applied"), "{report}");
    assert!(report.contains("next step:"), "{report}");
}

/// F2b: once the incompatible legacy tables are moved aside, the same deploy succeeds;
/// `avatars` gains its nine missing columns and keeps its rows and extras.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_v1_moved_aside_is_adopted() {
    let Some((db, conn)) = postgres().await else {
        return;
    };
    fixtures::legacy_v1_moved_aside(&conn).await;
    deploy::adopt(&db.url, Mode::UpAdopt, &opts())
        .await
        .unwrap();
    assert_clean(&conn).await;
    let avatar = avatars::Entity::find_by_id("av1")
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(avatar.source_type, "upload");
    assert_eq!(avatar.body_type.as_deref(), Some("half_body"));
    assert_eq!(avatar.persona_name, None);
    let live = migration::catalog::table(&conn, "avatars")
        .await
        .unwrap()
        .unwrap();
    for extra in ["brandKitId", "faceEmbedding"] {
        assert!(live.columns.iter().any(|c| c.name == extra), "{extra} kept");
    }
    assert_eq!(
        ledger_state(&conn, "m20251014_000001_avatar_creator").await,
        "adopted"
    );
}

/// F3, the complete upstream shape: three migrations adopted, the rest applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_upstream_is_adopted_and_completed() {
    let Some((db, conn)) = postgres().await else {
        return;
    };
    fixtures::complete_upstream(&conn).await;
    let planned = plan::plan(&conn).await.unwrap();
    let kinds: Vec<(String, plan::StepKind)> = planned
        .steps
        .iter()
        .map(|s| (s.version.clone(), s.kind))
        .collect();
    assert_eq!(
        kinds[1],
        (
            "m20251014_000001_avatar_creator".into(),
            plan::StepKind::Adopt
        )
    );
    assert_eq!(
        kinds[2],
        (
            "m20251016_000001_pose_generator".into(),
            plan::StepKind::Adopt
        )
    );
    assert!(
        kinds[3..].iter().all(|(_, k)| *k == plan::StepKind::Run),
        "{kinds:?}"
    );

    deploy::adopt(&db.url, Mode::UpAdopt, &opts())
        .await
        .unwrap();
    assert_clean(&conn).await;
    for version in [
        "m20250930_000001_base_tables",
        "m20251014_000001_avatar_creator",
        "m20251016_000001_pose_generator",
    ] {
        assert_eq!(ledger_state(&conn, version).await, "adopted", "{version}");
    }
}

async fn refused_upstream(setup: &str) -> (String, DatabaseConnection, TestDb) {
    let (db, conn) = postgres().await.expect("checked by the caller");
    fixtures::complete_upstream(&conn).await;
    conn.execute_unprepared(setup).await.unwrap();
    let before = schema_dump(&db);
    let report = refused_report(
        deploy::adopt(&db.url, Mode::UpAdopt, &opts())
            .await
            .unwrap_err(),
    );
    assert_eq!(schema_dump(&db), before, "nothing may change");
    assert!(ledger::recorded(&conn).await.unwrap().is_empty());
    (report, conn, db)
}

const SEED_PROJECT: &str = r#"
INSERT INTO "avatar_projects" ("id","userId","name","updatedAt") VALUES ('p1','cm0user000000000000000001','P','2025-10-01 00:00:00');
INSERT INTO "avatars" ("id","userId","projectId","name","baseImageUrl","sourceType","updatedAt") VALUES ('a1','cm0user000000000000000001','p1','A','/x.png','uploaded','2025-10-01 00:00:00');
"#;

/// F3-orphans: rows that would violate the new foreign keys refuse the deploy, with
/// a count for each of the six keys (zeros included); no data changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_upstream_with_orphans_is_refused_with_counts() {
    if TestDb::new(Backend::Postgres).await.is_none() {
        return;
    }
    let (report, conn, _db) = refused_upstream(&format!(
        r#"{SEED_PROJECT}
INSERT INTO "avatars" ("id","userId","projectId","name","baseImageUrl","sourceType","updatedAt") VALUES ('a2','ghost-user','p1','B','/y.png','uploaded','2025-10-01 00:00:00');
INSERT INTO "avatar_generations" ("id","userId","avatarId","projectId","prompt") VALUES ('g1','cm0user000000000000000001','deleted-avatar','p1','x');"#
    ))
    .await;
    for (fk, n) in [
        ("avatar_projects_userId_fkey", 0),
        ("avatars_userId_fkey", 1),
        ("avatar_usage_history_userId_fkey", 0),
        ("avatar_generations_userId_fkey", 0),
        ("avatar_generations_projectId_fkey", 0),
        ("avatar_generations_avatarId_fkey", 1),
    ] {
        assert!(
            report.contains(&format!("{fk} | expected")),
            "{fk} in:\n{report}"
        );
        assert!(
            report
                .lines()
                .any(|l| l.contains(fk) && l.contains(&format!("found {n} orphan row(s)"))),
            "{fk}: {n} in:\n{report}"
        );
    }
    assert!(report.contains("e.g. a2"), "{report}");
    assert!(report.contains("e.g. g1"), "{report}");
    let kept: i64 = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            r#"SELECT count(*) FROM "avatars""#,
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(kept, 2);
}

/// F3-dupes: two library poses with one name in one category refuse at m20251018.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_upstream_with_duplicate_pose_names_is_refused() {
    if TestDb::new(Backend::Postgres).await.is_none() {
        return;
    }
    let (report, _conn, _db) = refused_upstream(
        r#"
INSERT INTO "pose_categories" ("id","name","displayName","slug","updatedAt") VALUES ('c1','business','Business','business','2025-10-01 00:00:00');
INSERT INTO "pose_library" ("id","name","categoryId","previewImageUrl","referenceImageUrl","controlnetImageUrl","updatedAt") VALUES
 ('l1','Arms crossed','c1','/p','/r','/c','2025-10-01 00:00:00'), ('l2','Arms crossed','c1','/p','/r','/c','2025-10-01 00:00:00');"#,
    )
    .await;
    assert!(
        report.contains("REFUSE  m20251018_000001_pose_generator_recovery_and_variations"),
        "{report}"
    );
    assert!(
        report.contains("pose_library_categoryId_name_key"),
        "{report}"
    );
    assert!(report.contains("(c1, Arms crossed)"), "{report}");
}

/// F3-nulls: a NULL pose flag refuses at m20251018 with the count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_upstream_with_null_flags_is_refused() {
    if TestDb::new(Backend::Postgres).await.is_none() {
        return;
    }
    let (report, _conn, _db) = refused_upstream(
        r#"UPDATE "users" SET "unlimitedPoseActive" = NULL WHERE "id" = 'cm0user000000000000000003'"#,
    )
    .await;
    assert!(report.contains("users.unlimitedPoseActive | expected NOT NULL (0 NULL rows) | found 1 NULL row(s) | rows 1 | e.g. cm0user000000000000000003"), "{report}");
}

/// F3-refunds: two refunds for one operation refuse at m20251120_000002.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_upstream_with_duplicate_refunds_is_refused() {
    if TestDb::new(Backend::Postgres).await.is_none() {
        return;
    }
    let (report, _conn, _db) = refused_upstream(
        r#"INSERT INTO "credits" ("id","userId","amount","balance","type","referenceId","referenceType") VALUES
 ('r1','cm0user000000000000000001',30,130,'refund','gen-9','pose_generation'), ('r2','cm0user000000000000000001',30,160,'refund','gen-9','pose_generation');"#,
    )
    .await;
    assert!(
        report.contains("REFUSE  m20251120_000002_credits_refund_unique"),
        "{report}"
    );
    assert!(report.contains("(gen-9, pose_generation)"), "{report}");
}

/// F4, hand-repaired: tables made by hand with single-column indexes and no keys get
/// their missing indexes and keys; the missing tables are created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_repaired_database_is_completed() {
    let Some((db, conn)) = postgres().await else {
        return;
    };
    fixtures::hand_repaired(&conn).await;
    let planned = plan::plan(&conn).await.unwrap();
    let report = planned.render();
    assert!(
        report.contains("CREATE  m20251014_000001_avatar_creator                          avatars"),
        "{report}"
    );
    assert!(
        report.contains("avatar_projects_userId_createdAt_idx"),
        "{report}"
    );
    assert!(report.contains("ADD     m20251014_000001_avatar_creator                          avatar_usage_history_avatarId_fkey"), "{report}");
    deploy::adopt(&db.url, Mode::UpAdopt, &opts())
        .await
        .unwrap();
    assert_clean(&conn).await;
    let project = avatar_projects::Entity::find_by_id("ap1")
        .one(&conn)
        .await
        .unwrap();
    assert!(project.is_some(), "the hand-made row is kept");
}

dual_test!(adopt_repairs_a_column_dropped_by_hand);
/// Drift after a complete migration (a column dropped by hand): `check` names it
/// and exits 20; `adopt` re-inspects applied migrations and adds it back.
async fn adopt_repairs_a_column_dropped_by_hand(db: TestDb) {
    db.migrate().await;
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    conn.execute_unprepared(r#"ALTER TABLE "avatars" DROP COLUMN "personaName""#)
        .await
        .unwrap();
    let report = check::check(&conn).await.unwrap();
    assert_eq!(report.exit_code(), exit::DRIFT);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.object == "avatars.personaName")
    );

    // `up` does not paper over drift either: it names the column and points at adopt.
    let report = refused_report(deploy::up(&db.url, None, &opts()).await.unwrap_err());
    assert!(
        report.contains("ADD     m20251014_000001_avatar_creator"),
        "{report}"
    );
    assert!(report.contains("avatars.personaName"), "{report}");
    deploy::adopt(&db.url, Mode::AdoptOnly, &opts())
        .await
        .unwrap();
    let report = check::check(&conn).await.unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

/// `plan` on the runbook's production database prints the adoption repairs and the
/// SQL of each migration to run, and leaves the catalog byte for byte unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_prints_the_sql_and_changes_nothing() {
    let Some((db, conn)) = postgres().await else {
        return;
    };
    fixtures::runbook_production(&conn).await;
    let before = schema_dump(&db);
    let out = std::process::Command::new(
        std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("migration"),
    )
    .args(["--database-url", &db.url, "plan"])
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("-- adopt m20250930_000001_base_tables"),
        "{text}"
    );
    // `users` holds rows: its missing indexes are built without blocking writes, and
    // the plan says which lock each statement takes and what it costs.
    assert!(
        text.contains(
            "-- lock: SHARE UPDATE EXCLUSIVE on \"users\" (≈3 rows): reads and writes go on | \
             scans the table, no rewrite | after the step's transaction, checked valid\n\
             CREATE INDEX CONCURRENTLY \"users_role_idx\" ON \"users\" (\"role\");"
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"CREATE INDEX CONCURRENTLY "credits_type_idx" ON "credits" ("type");"#),
        "{text}"
    );
    // A migration's own index on a table with rows too, not only the repairs.
    assert!(
        text.contains(r#"CREATE UNIQUE INDEX CONCURRENTLY "credits_refund_referenceId_referenceType_key" ON "credits""#),
        "{text}"
    );
    // A new table's indexes are built in its transaction: nobody uses it yet.
    assert!(
        text.contains("-- lock: SHARE on \"avatars\" (new): blocks writes until the step commits | no scan, no rewrite\nCREATE INDEX \"avatars_userId_idx\""),
        "{text}"
    );
    assert!(
        text.contains("-- run m20251014_000001_avatar_creator"),
        "{text}"
    );
    assert!(text.contains(r#"CREATE TABLE "avatars""#), "{text}");
    assert!(text.contains(r#""personaName" text NULL"#), "{text}");
    assert_eq!(schema_dump(&db), before, "plan changes nothing");
}
