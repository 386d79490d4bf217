//! Following the deploy tool's advice literally always ends clean (issue 17, part 1):
//! from every database shape, the operator runs `migration up` (or `migration adopt`),
//! then, if the output names one, exactly the `Next step` command it prints, and
//! `migration check` is then clean: at most two commands, never a loop.

use migration::sea_orm::{ConnectionTrait, DatabaseConnection};
use tests::{Backend, TestDb, dual_test, fixtures};

use crate::deploy::migration_binary;

/// `migration <args>` with the real binary; (exit code, stdout and stderr).
fn cli(url: &str, args: &[String]) -> (i32, String) {
    let out = std::process::Command::new(migration_binary())
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The command of the output's `Next step: `migration …`` line, as arguments.
fn next_step(output: &str) -> Option<Vec<String>> {
    let after = output.split("Next step: ").nth(1)?;
    let command = after.split('`').nth(1)?;
    let mut words = command.split_whitespace();
    assert_eq!(words.next(), Some("migration"), "{output}");
    Some(words.map(str::to_owned).collect())
}

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// Runs `first`, then the printed next step if there is one; asserts that the second
/// command needs no other, and that `check` is then clean. Returns the commands run
/// and the outputs, for the caller's own assertions.
fn follow(url: &str, first: &str) -> Vec<(String, String)> {
    let mut command = args(first);
    let mut ran = Vec::new();
    loop {
        let (code, output) = cli(url, &command);
        ran.push((command.join(" "), output.clone()));
        match next_step(&output) {
            Some(next) => {
                assert!(
                    ran.len() < 2,
                    "the advice did not end after two commands: {ran:#?}"
                );
                assert!(
                    !output.contains("resolve every REFUSE"),
                    "a refusal that needs a decision: {output}"
                );
                command = next;
            }
            None => {
                assert_eq!(
                    code,
                    0,
                    "`{}` failed with no next step:\n{output}",
                    command.join(" ")
                );
                break;
            }
        }
    }
    let (code, output) = cli(url, &args("check"));
    assert_eq!(code, 0, "check after {ran:#?}:\n{output}");
    ran
}

async fn postgres_with(setup: impl AsyncFnOnce(&DatabaseConnection)) -> Option<TestDb> {
    let db = TestDb::new(Backend::Postgres).await?;
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    setup(&conn).await;
    conn.close().await.unwrap();
    Some(db)
}

/// The issue's chain: the base and Avatar Creator migrations adoptable with repairs,
/// the Pose Generator ones to run, then the integrity-FK migration adoptable with
/// repairs (one of its keys already exists).
async fn adoption_behind_runs(conn: &DatabaseConnection) {
    fixtures::hand_repaired(conn).await;
    conn.execute_unprepared(
        r#"ALTER TABLE "avatar_projects" ADD CONSTRAINT "avatar_projects_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE"#,
    )
    .await
    .unwrap();
}

/// The issue's exact chain: `adopt` adopts what it can and says that `up --adopt`
/// finishes (an `adopt` run again says so too, instead of "nothing to adopted"); that
/// one command then ends clean. From `up`, the refusal names `up --adopt` directly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issue_chain_ends_clean_from_adopt_and_from_up() {
    let Some(db) = postgres_with(adoption_behind_runs).await else {
        return;
    };
    let (code, first) = cli(&db.url, &args("adopt"));
    assert_eq!(code, 0, "{first}");
    assert!(
        first.contains("adopted: m20250930_000001_base_tables"),
        "{first}"
    );
    assert!(
        first.contains("adopted: m20251014_000001_avatar_creator"),
        "{first}"
    );
    assert!(
        first.contains(
            "m20251016_000001_pose_generator, m20251018_000001_pose_generator_recovery_and_variations \
             must run before m20251120_000001_integrity_foreign_keys can be adopted"
        ),
        "{first}"
    );
    assert_eq!(next_step(&first), Some(args("up --adopt")), "{first}");

    // The operator tries `adopt` again: no loop, no bad grammar, the same advice.
    let (code, again) = cli(&db.url, &args("adopt"));
    assert_eq!(code, 0, "{again}");
    assert!(again.contains("nothing to adopt\n"), "{again}");
    assert!(!again.contains("nothing to adopted"), "{again}");
    assert_eq!(next_step(&again), Some(args("up --adopt")), "{again}");
    // And plain `up` points at the same command.
    let (code, refused) = cli(&db.url, &args("up"));
    assert_eq!(code, 30, "{refused}");
    assert_eq!(next_step(&refused), Some(args("up --adopt")), "{refused}");

    let ran = follow(&db.url, "up --adopt");
    assert_eq!(ran.len(), 1, "{ran:#?}");

    let Some(fresh) = postgres_with(adoption_behind_runs).await else {
        return;
    };
    let ran = follow(&fresh.url, "up");
    assert_eq!(
        ran.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["up", "up --adopt"]
    );
    let ran = follow(&fresh.url, "adopt");
    assert_eq!(ran.len(), 1, "already at the target: {ran:#?}");
    assert!(ran[0].1.contains("nothing to adopt"), "{ran:#?}");
}

const SHAPES: [&str; 6] = [
    "S0 empty",
    "S1 runbook production",
    "S1 with pose flags",
    "S2 moved aside",
    "S3 complete upstream",
    "S4 hand repaired",
];

async fn build(shape: &str, c: &DatabaseConnection) {
    match shape {
        "S0 empty" => {}
        "S1 runbook production" => fixtures::runbook_production(c).await,
        "S1 with pose flags" => fixtures::runbook_production_with_pose_flags(c).await,
        "S2 moved aside" => fixtures::legacy_v1_moved_aside(c).await,
        "S3 complete upstream" => fixtures::complete_upstream(c).await,
        "S4 hand repaired" => fixtures::hand_repaired(c).await,
        other => panic!("unknown shape {other}"),
    }
}

/// S0–S4 (schema.md §1.2), each from `up` and from `adopt`: the advice ends clean in
/// at most two commands. S2 first needs the operator's decision (the refusal says
/// so); once the incompatible tables are moved aside, the advice ends clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shape_ends_clean_following_the_advice() {
    if TestDb::new(Backend::Postgres).await.is_none() {
        return;
    }
    for name in SHAPES {
        for first in ["up", "adopt"] {
            let db = postgres_with(async |c| build(name, c).await).await.unwrap();
            let ran = follow(&db.url, first);
            eprintln!(
                "{name}, from `{first}`: {}",
                ran.iter()
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(" → ")
            );
        }
    }

    // S2 as found: refused as a whole, and the advice says a decision comes first.
    let db = postgres_with(async |c| fixtures::legacy_v1(c).await)
        .await
        .unwrap();
    let (code, output) = cli(&db.url, &args("up"));
    assert_eq!(code, 30, "{output}");
    assert!(
        output.contains(
            "Next step: resolve every REFUSE above (this tool never changes rows or drops \
             objects), then `migration up --adopt`"
        ),
        "{output}"
    );
}

dual_test!(drift_ends_clean_following_the_advice);
/// Drift after a complete deploy (a column and a table dropped by hand): `up`
/// refuses and names `up --adopt`, which repairs both; `check` is clean.
async fn drift_ends_clean_following_the_advice(db: TestDb) {
    db.migrate().await;
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    conn.execute_unprepared(r#"ALTER TABLE "avatars" DROP COLUMN "personaName""#)
        .await
        .unwrap();
    conn.execute_unprepared(r#"DROP TABLE "pose_request_votes""#)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (code, output) = cli(&db.url, &args("check"));
    assert_eq!(code, 20, "{output}");
    assert_eq!(next_step(&output), Some(args("up --adopt")), "{output}");
    let ran = follow(&db.url, "up");
    assert_eq!(
        ran.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["up", "up --adopt"]
    );
}

dual_test!(pending_migrations_end_clean_following_the_advice);
/// An empty database, and one with only migrations to run: `up` alone, and
/// `adopt` says `up` is next.
async fn pending_migrations_end_clean_following_the_advice(db: TestDb) {
    let (code, output) = cli(&db.url, &args("up -n 2"));
    assert_eq!(code, 0, "{output}");
    let ran = follow(&db.url, "adopt");
    assert_eq!(
        ran.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["adopt", "up"]
    );
    assert!(ran[0].1.contains("nothing to adopt\n"), "{ran:#?}");
}
