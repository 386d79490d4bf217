//! `generate`: a new migration file from the template, registered after the last one.

use std::path::{Path, PathBuf};

use sea_orm_migration::sea_orm::DbErr;

/// Writes `m<YYYYMMDD>_<HHMMSS>_<name>.rs` from a template and registers it in
/// `lib.rs`, after the last registered migration.
pub fn generate(
    dir: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<PathBuf, DbErr> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(DbErr::Custom(format!(
            "migration name must be snake_case ([a-z0-9_]+), got {name:?}"
        )));
    }
    let module = format!("m{}_{name}", now.format("%Y%m%d_%H%M%S"));
    let src = dir.join("src");
    let lib_path = src.join("lib.rs");
    let lib = std::fs::read_to_string(&lib_path)
        .map_err(|e| DbErr::Custom(format!("cannot read {}: {e}", lib_path.display())))?;
    let lib = register(&lib, &module)?;
    let file = src.join(format!("{module}.rs"));
    std::fs::write(&file, TEMPLATE)
        .and_then(|()| std::fs::write(&lib_path, lib))
        .map_err(|e| DbErr::Custom(format!("cannot write {}: {e}", file.display())))?;
    Ok(file)
}

fn register(lib: &str, module: &str) -> Result<String, DbErr> {
    let missing = || DbErr::Custom("lib.rs has no registered migration to add after".into());
    let mut lines: Vec<String> = lib.lines().map(str::to_owned).collect();
    let last_mod = lines
        .iter()
        .rposition(|l| l.starts_with("mod m") && l.ends_with(';'))
        .ok_or_else(missing)?;
    lines.insert(last_mod + 1, format!("mod {module};"));
    let last_box = lines
        .iter()
        .rposition(|l| l.trim_start().starts_with("Box::new(m"))
        .ok_or_else(missing)?;
    let indent: String = lines[last_box]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    lines.insert(
        last_box + 1,
        format!("{indent}Box::new({module}::Migration),"),
    );
    Ok(lines.join("\n") + "\n")
}

const TEMPLATE: &str = r#"use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("write this migration's up".into()))
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("write this migration's down".into()))
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_registers_the_new_migration_after_the_last_one() {
        let lib = "mod ddl;\nmod m1_a;\nmod m2_b;\n\nfn migrations() {\n    vec![\n        Box::new(m1_a::Migration),\n        Box::new(m2_b::Migration),\n    ]\n}\n";
        let out = register(lib, "m3_c").unwrap();
        assert!(out.contains("mod m2_b;\nmod m3_c;\n"));
        assert!(
            out.contains("Box::new(m2_b::Migration),\n        Box::new(m3_c::Migration),\n    ]")
        );
    }

    #[test]
    fn generate_rejects_names_that_are_not_snake_case() {
        let dir = std::env::temp_dir();
        assert!(generate(&dir, "Add Tags", chrono::Utc::now()).is_err());
        assert!(generate(&dir, "", chrono::Utc::now()).is_err());
    }

    #[test]
    fn generate_writes_a_compilable_template_and_registers_it() {
        let dir = std::env::temp_dir().join(format!("gen-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("src/lib.rs"),
            "mod m1_a;\nfn m() { vec![\n    Box::new(m1_a::Migration),\n] }\n",
        )
        .unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let path = generate(&dir, "add_tags", now).unwrap();
        assert!(path.ends_with("src/m20260102_030405_add_tags.rs"));
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("impl MigrationTrait")
        );
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("mod m20260102_030405_add_tags;"));
        assert!(lib.contains("Box::new(m20260102_030405_add_tags::Migration),"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
