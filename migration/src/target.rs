//! The target schema of `shared/docs/schema.md`, as data: every table, column (logical
//! type, nullability, default), index (keys with direction, uniqueness, method,
//! predicate) and foreign key. It is written from the document, independently of the
//! migrations, so that comparing a migrated database with it proves the migrations
//! right; the drift check compares live databases with it too.

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

use ColType::*;

const N: bool = true; // nullable
const R: bool = false; // required (NOT NULL)

fn col(name: &'static str, ty: ColType, nullable: bool, default: Option<Default>) -> Column {
    Column {
        name,
        ty,
        nullable,
        default,
    }
}

fn keys_name(table: &str, keys: &[(&'static str, bool)], suffix: &str) -> String {
    let cols: Vec<&str> = keys.iter().map(|k| k.0).collect();
    format!("{table}_{}_{suffix}", cols.join("_"))
}

fn idx(table: &str, keys: &[(&'static str, bool)]) -> Index {
    Index {
        name: keys_name(table, keys, "idx"),
        keys: keys.to_vec(),
        unique: false,
        method: Method::BTree,
        predicate: None,
    }
}

fn uniq(table: &str, keys: &[(&'static str, bool)]) -> Index {
    Index {
        name: keys_name(table, keys, "key"),
        unique: true,
        ..idx(table, keys)
    }
}

fn fk(table: &str, column: &'static str, target: &'static str, on_delete: Action) -> ForeignKey {
    ForeignKey {
        name: format!("{table}_{column}_fkey"),
        column,
        target,
        on_delete,
        on_update: Action::Cascade,
    }
}

const A: bool = false; // ascending key
const D: bool = true; // descending key

fn text(v: &'static str) -> Option<Default> {
    Some(Default::Text(v))
}
fn int(v: i64) -> Option<Default> {
    Some(Default::Int(v))
}
fn boolean(v: bool) -> Option<Default> {
    Some(Default::Bool(v))
}
fn now() -> Option<Default> {
    Some(Default::Now)
}

/// Every table of schema.md, in creation order.
pub fn tables() -> Vec<Table> {
    use Action::*;
    vec![
        Table {
            name: "users",
            columns: vec![
                col("id", Text, R, None),
                col("email", Text, R, None),
                col("password", Text, R, None),
                col("name", Text, N, None),
                col("role", Text, R, text("user")),
                col("storageQuota", Int, R, int(1_073_741_824)),
                col("storageUsed", Int, R, int(0)),
                col("accountType", Text, R, text("payg")),
                col("subscriptionTier", Text, R, text("free")),
                col("userTags", Text, N, None),
                col("unlimitedPoseActive", Bool, R, boolean(false)),
                col("unlimitedPoseDailyQuota", Int, R, int(100)),
                col("unlimitedPoseQuotaUsed", Int, R, int(0)),
                col("unlimitedPoseQuotaResetAt", Timestamp, N, None),
                col("unlimitedPoseExpiresAt", Timestamp, N, None),
                col("createdAt", Timestamp, R, now()),
                col("updatedAt", Timestamp, R, None),
            ],
            indexes: vec![
                uniq("users", &[("email", A)]),
                idx("users", &[("role", A)]),
                idx("users", &[("accountType", A)]),
                idx("users", &[("subscriptionTier", A)]),
                idx("users", &[("createdAt", A)]),
            ],
            foreign_keys: vec![],
        },
        Table {
            name: "sessions",
            columns: vec![
                col("id", Text, R, None),
                col("userId", Text, R, None),
                col("token", Text, R, None),
                col("expiresAt", Timestamp, R, None),
                col("createdAt", Timestamp, R, now()),
            ],
            indexes: vec![
                uniq("sessions", &[("token", A)]),
                idx("sessions", &[("userId", A)]),
                idx("sessions", &[("expiresAt", A)]),
                idx("sessions", &[("userId", A), ("expiresAt", A)]),
            ],
            foreign_keys: vec![fk("sessions", "userId", "users", Cascade)],
        },
        Table {
            name: "credits",
            columns: vec![
                col("id", Text, R, None),
                col("userId", Text, R, None),
                col("amount", Int, R, None),
                col("balance", Int, R, None),
                col("type", Text, R, None),
                col("description", Text, N, None),
                col("referenceId", Text, N, None),
                col("referenceType", Text, N, None),
                col("paymentId", Text, N, None),
                col("createdAt", Timestamp, R, now()),
            ],
            indexes: vec![
                idx("credits", &[("userId", A)]),
                idx("credits", &[("userId", A), ("createdAt", D)]),
                idx("credits", &[("type", A)]),
                idx("credits", &[("referenceId", A), ("referenceType", A)]),
                idx("credits", &[("paymentId", A)]),
                idx("credits", &[("createdAt", A)]),
                Index {
                    name: "credits_refund_referenceId_referenceType_key".into(),
                    predicate: Some("type='refund'"),
                    ..uniq("credits", &[("referenceId", A), ("referenceType", A)])
                },
            ],
            foreign_keys: vec![fk("credits", "userId", "users", Cascade)],
        },
        Table {
            name: "app_usages",
            columns: vec![
                col("id", Text, R, None),
                col("userId", Text, R, None),
                col("appId", Text, R, None),
                col("action", Text, R, None),
                col("creditUsed", Int, R, None),
                col("metadata", Text, N, None),
                col("createdAt", Timestamp, R, now()),
            ],
            indexes: vec![
                idx("app_usages", &[("userId", A)]),
                idx("app_usages", &[("appId", A)]),
                idx("app_usages", &[("createdAt", A)]),
                idx("app_usages", &[("userId", A), ("appId", A)]),
                idx("app_usages", &[("userId", A), ("createdAt", D)]),
                idx("app_usages", &[("appId", A), ("createdAt", A)]),
            ],
            foreign_keys: vec![fk("app_usages", "userId", "users", Cascade)],
        },
        Table {
            name: "avatar_projects",
            columns: vec![
                col("id", Text, R, None),
                col("userId", Text, R, None),
                col("name", Text, R, None),
                col("description", Text, N, None),
                col("createdAt", Timestamp, R, now()),
                col("updatedAt", Timestamp, R, None),
            ],
            indexes: vec![
                idx("avatar_projects", &[("userId", A)]),
                idx("avatar_projects", &[("userId", A), ("createdAt", D)]),
                idx("avatar_projects", &[("userId", A), ("updatedAt", D)]),
            ],
            foreign_keys: vec![fk("avatar_projects", "userId", "users", Cascade)],
        },
        Table {
            name: "avatars",
            columns: vec![
                col("id", Text, R, None),
                col("userId", Text, R, None),
                col("projectId", Text, R, None),
                col("name", Text, R, None),
                col("baseImageUrl", Text, R, None),
                col("thumbnailUrl", Text, N, None),
                col("personaName", Text, N, None),
                col("personaAge", Int, N, None),
                col("personaPersonality", Text, N, None),
                col("personaBackground", Text, N, None),
                col("gender", Text, N, None),
                col("ageRange", Text, N, None),
                col("ethnicity", Text, N, None),
                col("bodyType", Text, N, None),
                col("hairStyle", Text, N, None),
                col("hairColor", Text, N, None),
                col("eyeColor", Text, N, None),
                col("skinTone", Text, N, None),
                col("style", Text, N, None),
                col("sourceType", Text, R, None),
                col("generationPrompt", Text, N, None),
                col("seedUsed", Int, N, None),
                col("usageCount", Int, R, int(0)),
                col("lastUsedAt", Timestamp, N, None),
                col("createdAt", Timestamp, R, now()),
                col("updatedAt", Timestamp, R, None),
            ],
            indexes: vec![
                idx("avatars", &[("userId", A)]),
                idx("avatars", &[("projectId", A)]),
                idx("avatars", &[("sourceType", A)]),
                idx("avatars", &[("userId", A), ("usageCount", D)]),
                idx("avatars", &[("userId", A), ("lastUsedAt", D)]),
                idx("avatars", &[("userId", A), ("createdAt", D)]),
            ],
            foreign_keys: vec![
                fk("avatars", "projectId", "avatar_projects", Cascade),
                fk("avatars", "userId", "users", Cascade),
            ],
        },
        Table {
            name: "avatar_presets",
            columns: vec![
                col("id", Text, R, None),
                col("name", Text, R, None),
                col("previewImageUrl", Text, R, None),
                col("category", Text, R, None),
                col("personaTemplate", Text, R, None),
                col("visualAttributes", Text, R, None),
                col("generationPrompt", Text, R, None),
                col("isPublic", Bool, R, boolean(true)),
                col("usageCount", Int, R, int(0)),
                col("createdAt", Timestamp, R, now()),
                col("updatedAt", Timestamp, R, None),
            ],
            indexes: vec![
                idx("avatar_presets", &[("category", A)]),
                idx("avatar_presets", &[("isPublic", A)]),
                idx("avatar_presets", &[("category", A), ("isPublic", A)]),
                idx("avatar_presets", &[("usageCount", D)]),
            ],
            foreign_keys: vec![],
        },
        Table {
            name: "persona_examples",
            columns: vec![
                col("id", Text, R, None),
                col("name", Text, R, None),
                col("category", Text, R, None),
                col("personaName", Text, R, None),
                col("personaAge", Int, R, None),
                col("personaPersonality", Text, R, None),
                col("personaBackground", Text, R, None),
                col("suggestedAttributes", Text, N, None),
                col("displayOrder", Int, R, int(0)),
                col("isActive", Bool, R, boolean(true)),
                col("createdAt", Timestamp, R, now()),
            ],
            indexes: vec![
                idx("persona_examples", &[("category", A)]),
                idx("persona_examples", &[("isActive", A)]),
                idx(
                    "persona_examples",
                    &[("category", A), ("isActive", A), ("displayOrder", A)],
                ),
            ],
            foreign_keys: vec![],
        },
        Table {
            name: "avatar_usage_history",
            columns: vec![
                col("id", Text, R, None),
                col("avatarId", Text, R, None),
                col("userId", Text, R, None),
                col("appId", Text, R, None),
                col("appName", Text, R, None),
                col("action", Text, R, None),
                col("referenceId", Text, N, None),
                col("referenceType", Text, N, None),
                col("metadata", Text, N, None),
                col("createdAt", Timestamp, R, now()),
            ],
            indexes: vec![
                idx("avatar_usage_history", &[("avatarId", A)]),
                idx("avatar_usage_history", &[("userId", A)]),
                idx("avatar_usage_history", &[("appId", A)]),
                idx("avatar_usage_history", &[("avatarId", A), ("createdAt", D)]),
                idx("avatar_usage_history", &[("userId", A), ("createdAt", D)]),
                idx("avatar_usage_history", &[("appId", A), ("createdAt", A)]),
                idx(
                    "avatar_usage_history",
                    &[("referenceId", A), ("referenceType", A)],
                ),
            ],
            foreign_keys: vec![
                fk("avatar_usage_history", "avatarId", "avatars", Cascade),
                fk("avatar_usage_history", "userId", "users", Cascade),
            ],
        },
        Table {
            name: "avatar_generations",
            columns: vec![
                col("id", Text, R, None),
                col("userId", Text, R, None),
                col("avatarId", Text, N, None),
                col("projectId", Text, R, None),
                col("status", Text, R, text("pending")),
                col("prompt", Text, R, None),
                col("options", Text, N, None),
                col("errorMessage", Text, N, None),
                col("createdAt", Timestamp, R, now()),
                col("completedAt", Timestamp, N, None),
            ],
            indexes: vec![
                idx("avatar_generations", &[("userId", A)]),
                idx("avatar_generations", &[("status", A)]),
                idx("avatar_generations", &[("projectId", A)]),
                idx("avatar_generations", &[("avatarId", A)]),
                idx("avatar_generations", &[("userId", A), ("status", A)]),
                idx("avatar_generations", &[("userId", A), ("createdAt", D)]),
                idx("avatar_generations", &[("status", A), ("createdAt", A)]),
                idx("avatar_generations", &[("projectId", A), ("createdAt", D)]),
            ],
            foreign_keys: vec![
                fk("avatar_generations", "userId", "users", Cascade),
                fk(
                    "avatar_generations",
                    "projectId",
                    "avatar_projects",
                    Cascade,
                ),
                fk("avatar_generations", "avatarId", "avatars", SetNull),
            ],
        },
        Table {
            name: "pose_categories",
            columns: vec![
                col("id", Text, R, None),
                col("name", Text, R, None),
                col("displayName", Text, R, None),
                col("description", Text, N, None),
                col("slug", Text, R, None),
                col("parentId", Text, N, None),
                col("icon", Text, R, text("folder")),
                col("displayOrder", Int, R, int(0)),
                col("color", Text, R, text("#3b82f6")),
                col("poseCount", Int, R, int(0)),
                col("isActive", Bool, R, boolean(true)),
                col("createdAt", Timestamp, R, now()),
                col("updatedAt", Timestamp, R, None),
            ],
            indexes: vec![
                uniq("pose_categories", &[("slug", A)]),
                idx("pose_categories", &[("parentId", A)]),
                idx("pose_categories", &[("isActive", A), ("displayOrder", A)]),
                idx("pose_categories", &[("slug", A)]),
            ],
            foreign_keys: vec![fk(
                "pose_categories",
                "parentId",
                "pose_categories",
                Cascade,
            )],
        },
        Table {
            name: "pose_library",
            columns: vec![
                col("id", Text, R, None),
                col("name", Text, R, None),
                col("description", Text, N, None),
                col("categoryId", Text, R, None),
                col("previewImageUrl", Text, R, None),
                col("referenceImageUrl", Text, R, None),
                col("controlnetImageUrl", Text, R, None),
                col("thumbnailUrl", Text, N, None),
                col("difficulty", Text, R, text("medium")),
                col("genderSuitability", Text, R, text("unisex")),
                col("tags", TextList, N, None),
                col("sourceType", Text, R, text("curated")),
                col("sourceCredit", Text, N, None),
                col("licenseType", Text, R, text("platform")),
                col("usageCount", Int, R, int(0)),
                col("favoriteCount", Int, R, int(0)),
                col("ratingAvg", Double, R, Some(Default::Float(0.0))),
                col("popularityScore", Int, R, int(0)),
                col("isPublic", Bool, R, boolean(true)),
                col("isFeatured", Bool, R, boolean(false)),
                col("isPremium", Bool, R, boolean(false)),
                col("createdAt", Timestamp, R, now()),
                col("updatedAt", Timestamp, R, None),
            ],
            indexes: vec![
                idx("pose_library", &[("categoryId", A)]),
                idx("pose_library", &[("difficulty", A)]),
                idx("pose_library", &[("isPublic", A), ("popularityScore", A)]),
                idx("pose_library", &[("isFeatured", A), ("usageCount", D)]),
                Index {
                    method: Method::Gin,
                    ..idx("pose_library", &[("tags", A)])
                },
                uniq("pose_library", &[("categoryId", A), ("name", A)]),
            ],
            foreign_keys: vec![fk(
                "pose_library",
                "categoryId",
                "pose_categories",
                Restrict,
            )],
        },
        Table {
            name: "pose_generator_projects",
            columns: vec![
                col("id", Text, R, None),
                col("userId", Text, R, None),
                col("projectName", Text, R, None),
                col("description", Text, N, None),
                col("avatarImageUrl", Text, N, None),
                col("avatarSource", Text, R, text("upload")),
                col("avatarId", Text, N, None),
                col("totalGenerations", Int, R, int(0)),
                col("totalPosesGenerated", Int, R, int(0)),
                col("status", Text, R, text("active")),
                col("createdAt", Timestamp, R, now()),
                col("updatedAt", Timestamp, R, None),
            ],
            indexes: vec![
                idx("pose_generator_projects", &[("userId", A)]),
                idx(
                    "pose_generator_projects",
                    &[("userId", A), ("updatedAt", D)],
                ),
                idx("pose_generator_projects", &[("avatarId", A)]),
                idx("pose_generator_projects", &[("status", A)]),
            ],
            foreign_keys: vec![
                fk("pose_generator_projects", "userId", "users", Cascade),
                fk("pose_generator_projects", "avatarId", "avatars", SetNull),
            ],
        },
        Table {
            name: "pose_generations",
            columns: vec![
                col("id", Text, R, None),
                col("projectId", Text, R, None),
                col("userId", Text, R, None),
                col("generationType", Text, R, None),
                col("textPrompt", Text, N, None),
                col("generatedPoseStructure", Text, N, None),
                col("avatarId", Text, N, None),
                col("avatarAttributes", Text, N, None),
                col("batchSize", Int, R, None),
                col("totalExpectedPoses", Int, R, None),
                col("useBackgroundChanger", Bool, R, boolean(false)),
                col("backgroundPrompt", Text, N, None),
                col("backgroundMode", Text, N, None),
                col("exportFormats", TextList, N, None),
                col("status", Text, R, text("pending")),
                col("progress", Int, R, int(0)),
                col("posesCompleted", Int, R, int(0)),
                col("posesFailed", Int, R, int(0)),
                col("creditCharged", Int, R, None),
                col("creditRefunded", Int, R, int(0)),
                col("queueJobId", Text, N, None),
                col("errorMessage", Text, N, None),
                col("createdAt", Timestamp, R, now()),
                col("startedAt", Timestamp, N, None),
                col("completedAt", Timestamp, N, None),
                col("avgGenerationTime", Double, N, None),
                col("totalProcessingTime", Double, N, None),
                col("recoveryAttempts", Int, R, int(0)),
                col("lastRecoveryAt", Timestamp, N, None),
            ],
            indexes: vec![
                idx("pose_generations", &[("projectId", A)]),
                idx("pose_generations", &[("userId", A)]),
                idx("pose_generations", &[("userId", A), ("createdAt", D)]),
                idx("pose_generations", &[("status", A), ("createdAt", A)]),
                idx(
                    "pose_generations",
                    &[("status", A), ("createdAt", A), ("queueJobId", A)],
                ),
                idx("pose_generations", &[("queueJobId", A)]),
                idx("pose_generations", &[("status", A), ("startedAt", A)]),
                idx(
                    "pose_generations",
                    &[("status", A), ("startedAt", A), ("queueJobId", A)],
                ),
            ],
            foreign_keys: vec![
                fk(
                    "pose_generations",
                    "projectId",
                    "pose_generator_projects",
                    Cascade,
                ),
                fk("pose_generations", "userId", "users", Cascade),
                fk("pose_generations", "avatarId", "avatars", SetNull),
            ],
        },
        Table {
            name: "generated_poses",
            columns: vec![
                col("id", Text, R, None),
                col("generationId", Text, R, None),
                col("poseLibraryId", Text, N, None),
                col("outputImageUrl", Text, R, None),
                col("thumbnailUrl", Text, R, None),
                col("originalImageUrl", Text, N, None),
                col("exportFormats", Jsonb, R, None),
                col("backgroundChanged", Bool, R, boolean(false)),
                col("backgroundPrompt", Text, N, None),
                col("promptUsed", Text, R, None),
                col("seedUsed", Int, N, None),
                col("controlnetWeight", Double, R, Some(Default::Float(0.75))),
                col("generationTime", Double, N, None),
                col("aiConfidenceScore", Double, N, None),
                col("isFavorite", Bool, R, boolean(false)),
                col("downloadCount", Int, R, int(0)),
                col("status", Text, R, text("completed")),
                col("errorMessage", Text, N, None),
                col("createdAt", Timestamp, R, now()),
                col("variationKey", Text, N, None),
            ],
            indexes: vec![
                idx("generated_poses", &[("generationId", A)]),
                idx("generated_poses", &[("poseLibraryId", A)]),
                idx("generated_poses", &[("status", A)]),
                idx("generated_poses", &[("isFavorite", A)]),
                uniq(
                    "generated_poses",
                    &[("generationId", A), ("variationKey", A)],
                ),
                idx(
                    "generated_poses",
                    &[("generationId", A), ("variationKey", A)],
                ),
            ],
            foreign_keys: vec![
                fk(
                    "generated_poses",
                    "generationId",
                    "pose_generations",
                    Cascade,
                ),
                fk("generated_poses", "poseLibraryId", "pose_library", SetNull),
            ],
        },
        Table {
            name: "pose_selections",
            columns: vec![
                col("id", Text, R, None),
                col("generationId", Text, R, None),
                col("poseLibraryId", Text, R, None),
                col("createdAt", Timestamp, R, now()),
            ],
            indexes: vec![
                uniq(
                    "pose_selections",
                    &[("generationId", A), ("poseLibraryId", A)],
                ),
                idx("pose_selections", &[("generationId", A)]),
                idx("pose_selections", &[("poseLibraryId", A)]),
            ],
            foreign_keys: vec![
                fk(
                    "pose_selections",
                    "generationId",
                    "pose_generations",
                    Cascade,
                ),
                fk("pose_selections", "poseLibraryId", "pose_library", Cascade),
            ],
        },
        Table {
            name: "pose_requests",
            columns: vec![
                col("id", Text, R, None),
                col("userId", Text, R, None),
                col("poseName", Text, R, None),
                col("description", Text, R, None),
                col("referenceImageUrl", Text, N, None),
                col("categoryId", Text, N, None),
                col("useCase", Text, N, None),
                col("votesCount", Int, R, int(0)),
                col("status", Text, R, text("pending")),
                col("adminNotes", Text, N, None),
                col("completedPoseId", Text, N, None),
                col("createdAt", Timestamp, R, now()),
                col("updatedAt", Timestamp, R, None),
            ],
            indexes: vec![
                idx("pose_requests", &[("userId", A)]),
                idx("pose_requests", &[("status", A)]),
                idx("pose_requests", &[("votesCount", D)]),
                idx("pose_requests", &[("status", A), ("votesCount", D)]),
            ],
            foreign_keys: vec![
                fk("pose_requests", "userId", "users", Cascade),
                fk("pose_requests", "categoryId", "pose_categories", SetNull),
            ],
        },
        Table {
            name: "jobs",
            columns: vec![
                col("id", Text, R, None),
                col("kind", Text, R, None),
                col("referenceId", Text, R, None),
                col("payload", Text, R, text("{}")),
                col("status", Text, R, text("queued")),
                col("priority", Int, R, int(0)),
                col("attempts", Int, R, int(0)),
                col("maxAttempts", Int, R, int(3)),
                col("runAfter", Timestamp, R, now()),
                col("leaseOwner", Text, N, None),
                col("leaseExpiresAt", Timestamp, N, None),
                col("lastError", Text, N, None),
                col("createdAt", Timestamp, R, now()),
                col("updatedAt", Timestamp, R, None),
                col("finishedAt", Timestamp, N, None),
            ],
            indexes: vec![
                idx("jobs", &[("status", A), ("priority", D), ("runAfter", A)]),
                idx("jobs", &[("status", A), ("leaseExpiresAt", A)]),
                Index {
                    name: "jobs_kind_referenceId_active_key".into(),
                    predicate: Some("statusin('queued','running')"),
                    ..uniq("jobs", &[("kind", A), ("referenceId", A)])
                },
            ],
            foreign_keys: vec![],
        },
        Table {
            name: "pose_request_votes",
            columns: vec![
                col("id", Text, R, None),
                col("requestId", Text, R, None),
                col("userId", Text, R, None),
                col("createdAt", Timestamp, R, now()),
            ],
            indexes: vec![
                uniq("pose_request_votes", &[("requestId", A), ("userId", A)]),
                idx("pose_request_votes", &[("userId", A)]),
            ],
            foreign_keys: vec![
                fk("pose_request_votes", "requestId", "pose_requests", Cascade),
                fk("pose_request_votes", "userId", "users", Cascade),
            ],
        },
        Table {
            name: "session_revocations",
            columns: vec![
                col("id", Text, R, None),
                col("userId", Text, R, None),
                col("revokedBefore", Timestamp, R, None),
                col("updatedAt", Timestamp, R, None),
            ],
            indexes: vec![uniq("session_revocations", &[("userId", A)])],
            foreign_keys: vec![fk("session_revocations", "userId", "users", Cascade)],
        },
    ]
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
