//! Test harness: every test gets its own fresh database, on SQLite always and on
//! PostgreSQL whenever one is reachable.
//!
//! ```no_run
//! use tests::{TestDb, dual_test};
//!
//! dual_test!(a_new_project_has_no_avatars);
//! /// A new project starts with no avatars.
//! async fn a_new_project_has_no_avatars(db: TestDb) {
//!     let conn = db.connect_migrated().await;
//!     // ... insert a project, load it with its avatars, assert ...
//! }
//! # fn main() {}
//! ```
//!
//! expands to a module `a_new_project_has_no_avatars` with two tests, `sqlite` and
//! `postgres`, each running the body against its own empty database. See
//! [`postgres_server`] for how the PostgreSQL server is found (`TEST_DATABASE_URL`,
//! else a throwaway cluster, else a loud skip; `REQUIRE_POSTGRES=1` forbids skipping).

pub mod bench;
pub mod db;
pub mod fixtures;
pub mod postgres_server;
pub mod rows;
pub mod util;

pub use db::{Backend, TestDb, TestOutcome, run_on};

/// Defines one test per backend — `<name>::sqlite` and `<name>::postgres` — each
/// running the same body against its own fresh [`TestDb`]. The PostgreSQL case returns
/// early (passing) when PostgreSQL is unavailable and not required.
///
/// The body is an ordinary `async fn name(db: TestDb)` beside the invocation, so that
/// rustfmt and clippy see it like any other code; it may return a `Result` whose `Err`
/// fails the test, so `?` can be used. Attributes in the invocation (`#[ignore]`, ...)
/// go on both tests:
///
/// ```no_run
/// # use tests::{TestDb, dual_test};
/// # use migration::sea_orm::DbErr;
/// dual_test!(visitor_signs_up_then_logs_in);
/// /// A visitor signs up and can then log in.
/// async fn visitor_signs_up_then_logs_in(db: TestDb) -> Result<(), DbErr> {
///     let conn = db.connect_migrated().await;
///     // ...
///     Ok(())
/// }
///
/// dual_test!(#[ignore] a_slow_story);
/// async fn a_slow_story(db: TestDb) { /* ... */ }
/// # fn main() {}
/// ```
///
/// Or a name and a closure taking the [`TestDb`] (`|db: TestDb| async move { .. }` or
/// `async |db| { .. }`):
///
/// ```no_run
/// # use tests::{TestDb, dual_test};
/// dual_test!(empty_database_has_no_tables, |db: TestDb| async move {
///     let conn = db.connect().await;
///     // ...
/// });
/// # fn main() {}
/// ```
///
/// Tests run on a two-worker multi-threaded tokio runtime.
#[macro_export]
macro_rules! dual_test {
    ($(#[$meta:meta])* $name:ident $(,)?) => {
        $crate::dual_test!($(#[$meta])* $name, super::$name);
    };
    ($(#[$meta:meta])* $name:ident, $body:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run_on($crate::Backend::Sqlite, $body).await;
            }

            $(#[$meta])*
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::run_on($crate::Backend::Postgres, $body).await;
            }
        }
    };
}
