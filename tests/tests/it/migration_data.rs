//! Migrations keep existing rows: the foreign-key migration rebuilds SQLite tables
//! without losing or cascading a single row, and refuses (changing nothing) when rows
//! would violate the new constraints.

use migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use migration::{Migrator, MigratorTrait};
use tests::{TestDb, dual_test};

/// Applies the first `n` migrations and returns the single migration connection.
async fn migrate_first(db: &TestDb, n: u32) -> DatabaseConnection {
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    Migrator::up(&conn, Some(n)).await.unwrap();
    conn
}

async fn exec(conn: &DatabaseConnection, sql: &str) {
    conn.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn count(conn: &DatabaseConnection, table: &str) -> i64 {
    let sql = format!(r#"SELECT count(*) FROM "{table}""#);
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap()
}

const TS: &str = "'2025-10-18 10:00:00.000'";

async fn seed_avatar_data(conn: &DatabaseConnection) {
    exec(conn, &format!(r#"INSERT INTO "users" ("id","email","password","createdAt","updatedAt") VALUES ('u1','a@b.c','x',{TS},{TS})"#)).await;
    exec(conn, &format!(r#"INSERT INTO "avatar_projects" ("id","userId","name","createdAt","updatedAt") VALUES ('p1','u1','P',{TS},{TS})"#)).await;
    for a in ["a1", "a2"] {
        exec(conn, &format!(r#"INSERT INTO "avatars" ("id","userId","projectId","name","baseImageUrl","sourceType","createdAt","updatedAt") VALUES ('{a}','u1','p1','A','/x.png','uploaded',{TS},{TS})"#)).await;
    }
    exec(conn, &format!(r#"INSERT INTO "avatar_usage_history" ("id","avatarId","userId","appId","appName","action","createdAt") VALUES ('h1','a1','u1','pose-generator','Pose Generator','generate_pose',{TS})"#)).await;
    exec(conn, &format!(r#"INSERT INTO "avatar_generations" ("id","userId","avatarId","projectId","prompt","createdAt") VALUES ('g1','u1','a2','p1','portrait',{TS})"#)).await;
}

const AVATAR_TABLES: [&str; 4] = [
    "avatar_projects",
    "avatars",
    "avatar_usage_history",
    "avatar_generations",
];

async fn counts(conn: &DatabaseConnection) -> Vec<i64> {
    let mut out = Vec::new();
    for t in AVATAR_TABLES {
        out.push(count(conn, t).await);
    }
    out
}

dual_test!(integrity_foreign_keys_keep_every_existing_row);
/// Rows written before the integrity foreign keys survive their migration, and the
/// new constraints then behave as documented (user delete cascades, avatar delete
/// sets `avatar_generations.avatarId` to NULL).
async fn integrity_foreign_keys_keep_every_existing_row(db: TestDb) {
    let conn = migrate_first(&db, 4).await;
    seed_avatar_data(&conn).await;
    let before = counts(&conn).await;
    assert_eq!(before, vec![1, 2, 1, 1]);

    Migrator::up(&conn, None).await.unwrap();
    assert_eq!(counts(&conn).await, before);

    exec(&conn, r#"DELETE FROM "avatars" WHERE "id" = 'a2'"#).await;
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            r#"SELECT "avatarId" FROM "avatar_generations" WHERE "id" = 'g1'"#,
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<Option<String>>(0).unwrap(), None);

    exec(&conn, r#"DELETE FROM "users" WHERE "id" = 'u1'"#).await;
    assert_eq!(counts(&conn).await, vec![0, 0, 0, 0]);

    // And back down: the rebuild without the constraints keeps rows too.
    seed_avatar_data(&conn).await;
    Migrator::down(&conn, Some(3)).await.unwrap();
    assert_eq!(counts(&conn).await, vec![1, 2, 1, 1]);
}

dual_test!(orphan_rows_refuse_the_integrity_foreign_keys);
/// An orphan row makes the migration refuse before changing anything: the error
/// names every foreign key with its count, the migration stays pending, and the
/// row is still there.
async fn orphan_rows_refuse_the_integrity_foreign_keys(db: TestDb) {
    let conn = migrate_first(&db, 4).await;
    seed_avatar_data(&conn).await;
    exec(&conn, &format!(r#"INSERT INTO "avatar_projects" ("id","userId","name","createdAt","updatedAt") VALUES ('p9','ghost','Orphan',{TS},{TS})"#)).await;

    let err = Migrator::up(&conn, None).await.unwrap_err().to_string();
    assert!(
        err.contains("avatar_projects_userId_fkey: 1 orphan row(s)"),
        "{err}"
    );
    assert!(
        err.contains("avatar_generations_avatarId_fkey: 0 orphan row(s)"),
        "{err}"
    );
    let pending = migration::pending_migrations(&conn).await.unwrap();
    assert_eq!(
        pending.first().map(String::as_str),
        Some("m20251120_000001_integrity_foreign_keys")
    );
    assert_eq!(counts(&conn).await, vec![2, 2, 1, 1]);

    // Once the operator removes the orphan, the same deploy succeeds.
    exec(&conn, r#"DELETE FROM "avatar_projects" WHERE "id" = 'p9'"#).await;
    Migrator::up(&conn, None).await.unwrap();
    assert!(
        migration::pending_migrations(&conn)
            .await
            .unwrap()
            .is_empty()
    );
}

dual_test!(duplicate_refunds_refuse_then_are_impossible);
/// Duplicate refunds make the refund-uniqueness migration refuse, naming the pair;
/// after that a second refund for the same operation is rejected by the database.
async fn duplicate_refunds_refuse_then_are_impossible(db: TestDb) {
    let conn = migrate_first(&db, 5).await;
    exec(&conn, &format!(r#"INSERT INTO "users" ("id","email","password","createdAt","updatedAt") VALUES ('u1','a@b.c','x',{TS},{TS})"#)).await;
    let refund = |id: &str| {
        format!(
            r#"INSERT INTO "credits" ("id","userId","amount","balance","type","referenceId","referenceType","createdAt") VALUES ('{id}','u1',30,30,'refund','gen1','pose_generation',{TS})"#
        )
    };
    exec(&conn, &refund("c1")).await;
    exec(&conn, &refund("c2")).await;

    let err = Migrator::up(&conn, None).await.unwrap_err().to_string();
    assert!(err.contains("(gen1, pose_generation)"), "{err}");
    assert_eq!(migration::pending_migrations(&conn).await.unwrap().len(), 3);

    exec(&conn, r#"DELETE FROM "credits" WHERE "id" = 'c2'"#).await;
    Migrator::up(&conn, None).await.unwrap();
    let again = conn.execute_unprepared(&refund("c3")).await;
    assert!(
        again.is_err(),
        "a second refund for one operation must be rejected"
    );
    // A usage row for the same operation is not a refund and is allowed.
    exec(&conn, &format!(r#"INSERT INTO "credits" ("id","userId","amount","balance","type","referenceId","referenceType","createdAt") VALUES ('c4','u1',-30,0,'usage','gen1','pose_generation',{TS})"#)).await;
}

dual_test!(a_failed_migration_leaves_nothing_behind);
/// A migration that fails half-way (here: a table of an older shape is in the way)
/// leaves none of its objects and no ledger row, and the next deploy succeeds once
/// the cause is removed.
async fn a_failed_migration_leaves_nothing_behind(db: TestDb) {
    let conn = migrate_first(&db, 1).await;
    exec(
        &conn,
        r#"CREATE TABLE "avatar_usage_history" ("id" text PRIMARY KEY)"#,
    )
    .await;

    let err = Migrator::up(&conn, None).await.unwrap_err().to_string();
    assert!(err.contains("avatar_usage_history"), "{err}");
    let tables = migration::catalog::table_names(&conn).await.unwrap();
    for created_before_the_failure in [
        "avatar_projects",
        "avatars",
        "avatar_presets",
        "persona_examples",
    ] {
        assert!(
            !tables.iter().any(|t| t == created_before_the_failure),
            "{created_before_the_failure} left behind: {tables:?}"
        );
    }
    assert_eq!(migration::pending_migrations(&conn).await.unwrap().len(), 7);

    exec(&conn, r#"DROP TABLE "avatar_usage_history""#).await;
    Migrator::up(&conn, None).await.unwrap();
    assert!(
        migration::pending_migrations(&conn)
            .await
            .unwrap()
            .is_empty()
    );
}
