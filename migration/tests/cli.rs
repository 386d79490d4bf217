//! The `migration` binary as an operator runs it: exit codes and usage. (Building this
//! test also builds the binary that the workspace's process-level deploy tests spawn.)

use std::process::Command;

fn migration() -> Command {
    Command::new(env!("CARGO_BIN_EXE_migration"))
}

#[test]
fn help_lists_the_commands_and_the_exit_codes() {
    let out = migration().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for command in [
        "up", "down", "status", "check", "adopt", "fresh", "refresh", "reset", "generate",
    ] {
        assert!(help.contains(command), "{command} in:\n{help}");
    }
    assert!(help.contains("75 lock timeout"), "{help}");
}

#[test]
fn an_unknown_command_is_a_usage_error() {
    let out = migration().arg("migrate-everything").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn status_of_a_fresh_database_exits_pending_and_creates_nothing() {
    let dir = std::env::temp_dir().join(format!("migration-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/fresh.db?mode=rwc", dir.display());
    let out = migration()
        .args(["--database-url", &url, "status"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(10),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("pending"));
    let out = migration()
        .args(["--database-url", &url, "up"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = migration()
        .args(["--database-url", &url, "check"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::remove_dir_all(dir).unwrap();
}
