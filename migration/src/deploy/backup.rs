//! `up --backup DIR` (deploy-safety.md R10): before the first change, and only when
//! there is something to change, a restorable copy of the database. PostgreSQL:
//! `pg_dump -Fc`, verified readable with `pg_restore --list`. SQLite: `VACUUM INTO`,
//! a consistent copy of the file. A backup that cannot be made or verified stops the
//! deploy before any DDL.
//!
//! A backup holds the whole database, password hashes included: its folder is made
//! (or tightened to) `0700` and the file `0600`, and `pg_dump` gets the password
//! through `PGPASSWORD`, never on its command line.

use std::path::{Path, PathBuf};
use std::process::Command;

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

use super::DeployError;

/// A PostgreSQL client program: on `PATH`, else in the newest installed server's bin.
pub(crate) fn pg_program(name: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    if let Some(found) = on_path {
        return found;
    }
    let mut installed: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .collect();
    installed.sort();
    installed.pop().unwrap_or_else(|| PathBuf::from(name))
}

/// `pg_dump` of `url` into `file`: the password, if the URL has one, goes in the
/// environment, not in the arguments.
fn pg_dump_command(url: &str, file: &str) -> Command {
    let (url, password) = crate::db_url::split_password(url);
    let mut command = Command::new(pg_program("pg_dump"));
    command.args(["--format=custom", "--file", file, "--dbname", &url]);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    command
}

fn run(mut command: Command) -> Result<(), DeployError> {
    let program = PathBuf::from(command.get_program());
    let program = program.as_path();
    let out = command.output().map_err(|e| {
        DeployError::Failed(format!(
            "cannot run {}: {e}; nothing was applied",
            program.display()
        ))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(DeployError::Failed(format!(
            "{} failed: {}; nothing was applied",
            program.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), DeployError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| {
        DeployError::Failed(format!(
            "cannot restrict {} to mode {mode:o}: {e}; nothing was applied",
            path.display()
        ))
    })
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<(), DeployError> {
    Ok(())
}

/// `dir`, created if missing, readable by its owner only.
fn private_dir(dir: &Path) -> Result<(), DeployError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| DeployError::Failed(format!("cannot create {}: {e}", dir.display())))?;
    set_mode(dir, 0o700)
}

/// An empty file at `path` that only its owner can read, for a client to write into.
fn private_file(path: &Path) -> Result<(), DeployError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| {
        DeployError::Failed(format!(
            "cannot create {}: {e}; nothing was applied",
            path.display()
        ))
    })?;
    set_mode(path, 0o600)
}

/// Writes the backup into `dir` and returns its path and size.
pub async fn backup(
    db: &DatabaseConnection,
    url: &str,
    dir: &Path,
) -> Result<(PathBuf, u64), DeployError> {
    private_dir(dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ");
    let path = match db.get_database_backend() {
        DbBackend::Postgres => {
            let path = dir.join(format!("pre-migration-{stamp}.dump"));
            private_file(&path)?;
            let file = path.to_string_lossy().into_owned();
            run(pg_dump_command(url, &file))?;
            let mut list = Command::new(pg_program("pg_restore"));
            list.args(["--list", &file]);
            run(list)?;
            path
        }
        DbBackend::Sqlite => {
            let path = dir.join(format!("pre-migration-{stamp}.sqlite"));
            let quoted = path.to_string_lossy().replace('\'', "''");
            db.execute_unprepared(&format!("VACUUM INTO '{quoted}'"))
                .await?;
            // Written with the umask inside the private folder; then owner-only.
            set_mode(&path, 0o600)?;
            path
        }
        other => {
            return Err(DeployError::Failed(format!(
                "no backup method for {other:?}"
            )));
        }
    };
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        return Err(DeployError::Failed(format!(
            "the backup {} is empty; nothing was applied",
            path.display()
        )));
    }
    Ok((path, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_dump_gets_the_password_in_its_environment_only() {
        let command = pg_dump_command(
            "postgres://app:hunter2@db:5432/app?sslmode=require",
            "/backups/x.dump",
        );
        let args: Vec<String> = command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.iter().all(|a| !a.contains("hunter2")), "{args:?}");
        assert!(args.contains(&"postgres://app@db:5432/app?sslmode=require".to_owned()));
        let env: Vec<_> = command.get_envs().collect();
        assert_eq!(
            env,
            [(
                std::ffi::OsStr::new("PGPASSWORD"),
                Some(std::ffi::OsStr::new("hunter2"))
            )]
        );
        let without = pg_dump_command("postgres://app@db/app", "/backups/x.dump");
        assert_eq!(without.get_envs().count(), 0);
    }
}
