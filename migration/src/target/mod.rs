//! The target schema of `shared/docs/schema.md`, as data: every table, column (logical
//! type, nullability, default), index (keys with direction, uniqueness, method,
//! predicate) and foreign key. It is written from the document, independently of the
//! migrations, so that comparing a migrated database with it proves the migrations
//! right; the drift check compares live databases with it too.

mod tables;

pub use tables::tables;

/// Logical column types (schema.md §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    Text,
    Int,
    Double,
    Bool,
    Timestamp,
    Jsonb,
    TextList,
}

impl ColType {
    /// The type as PostgreSQL's `format_type()` prints it.
    pub fn postgres(self) -> &'static str {
        match self {
            ColType::Text => "text",
            ColType::Int => "integer",
            ColType::Double => "double precision",
            ColType::Bool => "boolean",
            ColType::Timestamp => "timestamp(3) without time zone",
            ColType::Jsonb => "jsonb",
            ColType::TextList => "text[]",
        }
    }

    /// The declared type on SQLite; every name has the documented affinity
    /// (`…text` → TEXT, `double` → REAL, `integer` → INTEGER, `boolean` → NUMERIC).
    pub fn sqlite(self) -> &'static str {
        match self {
            ColType::Text => "text",
            ColType::Int => "integer",
            ColType::Double => "double",
            ColType::Bool => "boolean",
            ColType::Timestamp => "timestamp_text",
            ColType::Jsonb | ColType::TextList => "json_text",
        }
    }
}

/// A column default, compared by value (so `0` and `0.0` are the same double).
#[derive(Clone, Debug, PartialEq)]
pub enum Default {
    Text(&'static str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Now,
}

impl std::fmt::Display for Default {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Default::Text(t) => write!(f, "'{t}'"),
            Default::Int(i) => write!(f, "{i}"),
            Default::Float(x) => write!(f, "{x:?}"),
            Default::Bool(b) => write!(f, "{b}"),
            Default::Now => f.write_str("CURRENT_TIMESTAMP"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColType,
    pub nullable: bool,
    pub default: Option<Default>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    BTree,
    /// PostgreSQL only; not created on other backends.
    Gin,
}

#[derive(Clone, Debug)]
pub struct Index {
    pub name: String,
    /// Key columns in order; `true` = DESC.
    pub keys: Vec<(&'static str, bool)>,
    pub unique: bool,
    pub method: Method,
    /// Partial-index predicate in normalized form (see [`normalize_predicate`]).
    pub predicate: Option<&'static str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Cascade,
    SetNull,
    Restrict,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::Cascade => "CASCADE",
            Action::SetNull => "SET NULL",
            Action::Restrict => "RESTRICT",
        })
    }
}

#[derive(Clone, Debug)]
pub struct ForeignKey {
    pub name: String,
    pub column: &'static str,
    pub target: &'static str,
    pub on_delete: Action,
    /// Every FK of this schema is ON UPDATE CASCADE (§8).
    pub on_update: Action,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The migration that creates `object` (a column name, index or constraint name) of
/// `table`, per schema.md §3.1; `object` = the table name asks for the table's own.
pub fn owner(table: &str, object: &str) -> &'static str {
    const BASE: &str = "m20250930_000001_base_tables";
    const AVATAR: &str = "m20251014_000001_avatar_creator";
    const POSE: &str = "m20251016_000001_pose_generator";
    const RECOVERY: &str = "m20251018_000001_pose_generator_recovery_and_variations";
    const FKS: &str = "m20251120_000001_integrity_foreign_keys";
    const REFUND: &str = "m20251120_000002_credits_refund_unique";
    const JOBS: &str = "m20251120_000003_jobs_and_votes";
    const SESSIONS: &str = "m20261206_000001_session_revocations";
    match (table, object) {
        ("users", c) if c.starts_with("unlimitedPose") => POSE,
        ("pose_generations", "recoveryAttempts" | "lastRecoveryAt")
        | ("generated_poses", "variationKey")
        | (
            _,
            "pose_generations_status_startedAt_idx"
            | "pose_generations_status_startedAt_queueJobId_idx"
            | "generated_poses_generationId_variationKey_key"
            | "generated_poses_generationId_variationKey_idx"
            | "pose_library_categoryId_name_key",
        ) => RECOVERY,
        (
            _,
            "avatar_projects_userId_fkey"
            | "avatars_userId_fkey"
            | "avatar_usage_history_userId_fkey"
            | "avatar_generations_userId_fkey"
            | "avatar_generations_projectId_fkey"
            | "avatar_generations_avatarId_fkey",
        ) => FKS,
        (_, "credits_refund_referenceId_referenceType_key") => REFUND,
        ("users" | "sessions" | "credits" | "app_usages", _) => BASE,
        (
            "avatar_projects"
            | "avatars"
            | "avatar_presets"
            | "persona_examples"
            | "avatar_usage_history"
            | "avatar_generations",
            _,
        ) => AVATAR,
        ("jobs" | "pose_request_votes", _) => JOBS,
        ("session_revocations", _) => SESSIONS,
        _ => POSE,
    }
}

/// Normalizes an index predicate so PostgreSQL's `pg_get_expr` output and SQLite's
/// `CREATE INDEX … WHERE` text compare equal: no casts, quotes, spaces or outer
/// parentheses, lowercase, `= ANY (ARRAY[…])` written as `in(…)`.
pub fn normalize_predicate(raw: &str) -> String {
    let mut s: String = raw
        .replace("::text[]", "")
        .replace("::text", "")
        .replace('"', "")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    s = s.replace("=any(array[", "in(").replace("])", ")");
    while s.starts_with('(') && s.ends_with(')') && balanced(&s[1..s.len() - 1]) {
        s = s[1..s.len() - 1].to_owned();
    }
    s
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_normalize_across_backends() {
        assert_eq!(
            normalize_predicate("(type = 'refund'::text)"),
            "type='refund'"
        );
        assert_eq!(normalize_predicate("\"type\" = 'refund'"), "type='refund'");
        assert_eq!(
            normalize_predicate("(status = ANY (ARRAY['queued'::text, 'running'::text]))"),
            "statusin('queued','running')"
        );
        assert_eq!(
            normalize_predicate("\"status\" IN ('queued', 'running')"),
            "statusin('queued','running')"
        );
    }

    #[test]
    fn every_object_belongs_to_a_known_migration() {
        use crate::{Migrator, MigratorTrait};
        let versions: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        for t in tables() {
            let mut objects: Vec<&str> = vec![t.name];
            objects.extend(t.columns.iter().map(|c| c.name));
            let names: Vec<String> = t
                .indexes
                .iter()
                .map(|i| i.name.clone())
                .chain(t.foreign_keys.iter().map(|f| f.name.clone()))
                .collect();
            objects.extend(names.iter().map(String::as_str));
            for object in objects {
                let owner = owner(t.name, object);
                assert!(
                    versions.iter().any(|v| v == owner),
                    "{}.{object}: {owner}",
                    t.name
                );
            }
        }
        assert_eq!(
            owner("users", "unlimitedPoseActive"),
            "m20251016_000001_pose_generator"
        );
        assert_eq!(
            owner("credits", "credits_userId_idx"),
            "m20250930_000001_base_tables"
        );
        assert_eq!(
            owner("avatars", "avatars_userId_fkey"),
            "m20251120_000001_integrity_foreign_keys"
        );
        assert_eq!(
            owner("pose_library", "pose_library_categoryId_name_key"),
            "m20251018_000001_pose_generator_recovery_and_variations"
        );
        assert_eq!(owner("jobs", "jobs"), "m20251120_000003_jobs_and_votes");
        assert_eq!(
            owner("session_revocations", "session_revocations_userId_key"),
            "m20261206_000001_session_revocations"
        );
    }

    #[test]
    fn the_target_has_every_documented_table_once() {
        // schema.md's 19 tables and ours added since (README "Security").
        let names: Vec<&str> = tables().iter().map(|t| t.name).collect();
        assert_eq!(names.len(), 20);
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 20);
    }

    #[test]
    fn documented_names_fit_postgres_identifiers() {
        for t in tables() {
            for i in &t.indexes {
                assert!(i.name.len() <= 63, "{}", i.name);
            }
            for f in &t.foreign_keys {
                assert!(f.name.len() <= 63, "{}", f.name);
            }
        }
    }
}
