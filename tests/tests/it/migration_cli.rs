//! The deploy tool's stock commands, driven through the same entry point as
//! `cargo run -p migration -- <command>`, against a real database.

use migration::cli::{Cli, Command, run};
use migration::{Migrator, MigratorTrait, catalog};
use tests::{TestDb, dual_test};

async fn migration_cli(db: &TestDb, command: Command) {
    run(Cli {
        database_url: Some(db.url.clone()),
        command: Some(command),
    })
    .await
    .unwrap_or_else(|e| panic!("migration command failed: {e}"));
}

async fn applied(db: &TestDb) -> usize {
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    Migrator::get_applied_migrations(&conn).await.unwrap().len()
}

async fn tables(db: &TestDb) -> Vec<String> {
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    catalog::table_names(&conn).await.unwrap()
}

dual_test! {
    /// up, status, down -n, refresh, reset, fresh: each leaves the ledger and the
    /// tables where an operator expects them.
    async fn stock_commands_work_against_the_database_url(db: TestDb) {
        let all = Migrator::migrations().len();

        migration_cli(&db, Command::Up { num: Some(2) }).await;
        assert_eq!(applied(&db).await, 2);
        migration_cli(&db, Command::Up { num: None }).await;
        assert_eq!(applied(&db).await, all);
        migration_cli(&db, Command::Status).await;

        migration_cli(&db, Command::Down { num: 3 }).await;
        assert_eq!(applied(&db).await, all - 3);
        assert!(!tables(&db).await.contains(&"jobs".to_owned()));

        migration_cli(&db, Command::Refresh).await;
        assert_eq!(applied(&db).await, all);

        migration_cli(&db, Command::Reset).await;
        assert_eq!(tables(&db).await, Vec::<String>::new());

        migration_cli(&db, Command::Fresh).await;
        assert_eq!(applied(&db).await, all);
        assert_eq!(tables(&db).await.len(), 20);
    }
}
