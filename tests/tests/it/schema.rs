//! The migrated schema equals `shared/docs/schema.md`, and the migration lifecycle
//! (up, up again, down to nothing, up again) behaves on both backends.

use migration::sea_orm::{ConnectionTrait, DatabaseConnection};
use migration::{Migrator, MigratorTrait, catalog, check, target};
use tests::{TestDb, dual_test};

/// Every finding of the drift check, of any severity, as report lines.
async fn schema_problems(conn: &DatabaseConnection) -> Vec<String> {
    let report = check::check(conn).await.unwrap();
    report.findings.iter().map(ToString::to_string).collect()
}

async fn snapshot(conn: &DatabaseConnection) -> Vec<catalog::LiveTable> {
    let mut tables = Vec::new();
    for name in catalog::table_names(conn).await.unwrap() {
        tables.push(catalog::table(conn, &name).await.unwrap().unwrap());
    }
    tables
}

async fn statuses(db: &TestDb) -> Vec<(String, String)> {
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    Migrator::get_migration_with_status(&conn)
        .await
        .unwrap()
        .iter()
        .map(|m| (m.name().to_owned(), m.status().to_string()))
        .collect()
}

/// The entities map exactly the columns schema.md lists, in its order: no column the
/// database lacks, none it has that the service would ignore (schema.md §2.4).
#[test]
fn entities_map_exactly_the_documented_columns() {
    let mapped = entity::mapped_tables();
    let targets = target::tables();
    assert_eq!(mapped.len(), targets.len());
    for table in targets {
        let entity = mapped
            .iter()
            .find(|m| m.name == table.name)
            .unwrap_or_else(|| panic!("no entity for {}", table.name));
        let documented: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        assert_eq!(entity.columns, documented, "{}", table.name);
    }
}

dual_test!(migrated_schema_equals_the_specification);
/// After `up` on an empty database every table, column (type, nullability,
/// default), index (keys, order, uniqueness, method, predicate) and foreign key
/// (target, ON DELETE, ON UPDATE) is exactly as schema.md says, and nothing else
/// exists but the migration ledger.
async fn migrated_schema_equals_the_specification(db: TestDb) {
    let conn = db.connect_migrated().await;
    let problems = schema_problems(&conn).await;
    assert!(
        problems.is_empty(),
        "schema differs from schema.md:\n{}",
        problems.join("\n")
    );
}

dual_test!(the_whole_schema_read_at_once_equals_each_table_read_alone);
/// Reading the whole schema at once (what the check and the planner do) gives, table
/// for table, what reading each table on its own gives, on a schema with every kind
/// of column, index and foreign key.
async fn the_whole_schema_read_at_once_equals_each_table_read_alone(db: TestDb) {
    let conn = db.connect_migrated().await;
    let at_once = catalog::tables(&conn).await.unwrap();
    let alone = snapshot(&conn).await;
    for table in target::tables() {
        assert!(
            at_once.iter().any(|t| t.name == table.name),
            "{} is read",
            table.name
        );
    }
    assert!(
        at_once
            .iter()
            .any(|t| !t.foreign_keys.is_empty() && !t.indexes.is_empty())
    );
    assert_eq!(at_once, alone);
}

dual_test!(schema_comparison_reports_hand_made_drift);
/// The comparison is not vacuous: a column dropped by hand (the production
/// incident) and a changed index are reported.
async fn schema_comparison_reports_hand_made_drift(db: TestDb) {
    db.migrate().await;
    // One connection: an SQLite connection parses DDL against the schema it last
    // loaded, so DDL spread over a pool can see a stale schema.
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    conn.execute_unprepared(r#"ALTER TABLE "avatars" DROP COLUMN "personaName""#)
        .await
        .unwrap();
    conn.execute_unprepared(r#"DROP INDEX "credits_userId_createdAt_idx""#)
        .await
        .unwrap();
    conn.execute_unprepared(
        r#"CREATE INDEX "credits_userId_createdAt_idx" ON "credits" ("userId", "createdAt")"#,
    )
    .await
    .unwrap();
    let report = check::check(&conn).await.unwrap();
    let problems: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert_eq!(report.findings.len(), 2, "{problems:#?}");
    let column = &report.findings[0];
    assert_eq!(
        (column.severity, column.kind),
        (check::Severity::Blocking, check::Kind::MissingColumn)
    );
    assert_eq!(column.object, "avatars.personaName");
    let index = &report.findings[1];
    assert_eq!(
        (index.severity, index.kind),
        (check::Severity::Warning, check::Kind::MissingIndex)
    );
    assert_eq!(index.object, "credits_userId_createdAt_idx");
    assert_eq!(
        index.expected.as_deref(),
        Some("btree (userId, createdAt DESC)")
    );
    assert_eq!(index.actual.as_deref(), Some("btree (userId, createdAt)"));
    assert_eq!(report.exit_code(), migration::deploy::exit::DRIFT);
}

dual_test!(up_twice_is_a_no_op);
/// `up` on an up-to-date database changes nothing, and `status` lists every
/// migration as applied.
async fn up_twice_is_a_no_op(db: TestDb) {
    let conn = db.connect_migrated().await;
    let before = snapshot(&conn).await;
    db.migrate().await;
    assert_eq!(snapshot(&conn).await, before);
    let statuses = statuses(&db).await;
    assert_eq!(statuses.len(), Migrator::migrations().len());
    assert!(statuses.iter().all(|(_, s)| s == "Applied"), "{statuses:?}");
}

dual_test!(down_to_nothing_then_up_again);
/// `down` all the way leaves only the ledger tables; `up` again restores the full
/// schema.
async fn down_to_nothing_then_up_again(db: TestDb) {
    db.migrate().await;
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    Migrator::down(&conn, None).await.unwrap();
    let mut ledger_tables = migration::deploy::ledger::TOOL_TABLES.to_vec();
    ledger_tables.sort();
    assert_eq!(catalog::table_names(&conn).await.unwrap(), ledger_tables);
    assert!(statuses(&db).await.iter().all(|(_, s)| s == "Pending"));
    Migrator::up(&conn, None).await.unwrap();
    let problems = schema_problems(&conn).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

dual_test!(each_down_reverses_its_up);
/// Each migration's `down` reverses exactly its own `up`: stepping down one
/// migration at a time and up again yields the same catalog.
async fn each_down_reverses_its_up(db: TestDb) {
    db.migrate().await;
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    let full = snapshot(&conn).await;
    let count = Migrator::migrations().len() as u32;
    for _ in 0..count {
        let before = snapshot(&conn).await;
        Migrator::down(&conn, Some(1)).await.unwrap();
        Migrator::up(&conn, Some(1)).await.unwrap();
        assert_eq!(snapshot(&conn).await, before);
        Migrator::down(&conn, Some(1)).await.unwrap();
    }
    Migrator::up(&conn, None).await.unwrap();
    assert_eq!(snapshot(&conn).await, full);
}
