//! `up --backup DIR` (deploy-safety.md R10): before the first change, and only when
//! there is something to change, a restorable copy of the database. PostgreSQL:
//! `pg_dump -Fc`, verified readable with `pg_restore --list`. SQLite: `VACUUM INTO`,
//! a consistent copy of the file. A backup that cannot be made or verified stops the
//! deploy before any DDL.

use std::path::{Path, PathBuf};
use std::process::Command;

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

use super::DeployError;

/// A PostgreSQL client program: on `PATH`, else in the newest installed server's bin.
fn pg_program(name: &str) -> PathBuf {
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

fn run(program: &Path, args: &[&str]) -> Result<(), DeployError> {
    let out = Command::new(program).args(args).output().map_err(|e| {
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

/// Writes the backup into `dir` and returns its path and size.
pub async fn backup(
    db: &DatabaseConnection,
    url: &str,
    dir: &Path,
) -> Result<(PathBuf, u64), DeployError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| DeployError::Failed(format!("cannot create {}: {e}", dir.display())))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ");
    let path = match db.get_database_backend() {
        DbBackend::Postgres => {
            let path = dir.join(format!("pre-migration-{stamp}.dump"));
            let file = path.to_string_lossy().into_owned();
            run(
                &pg_program("pg_dump"),
                &["--format=custom", "--file", &file, "--dbname", url],
            )?;
            run(&pg_program("pg_restore"), &["--list", &file])?;
            path
        }
        DbBackend::Sqlite => {
            let path = dir.join(format!("pre-migration-{stamp}.sqlite"));
            let quoted = path.to_string_lossy().replace('\'', "''");
            db.execute_unprepared(&format!("VACUUM INTO '{quoted}'"))
                .await?;
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
