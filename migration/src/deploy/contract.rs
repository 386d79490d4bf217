//! What each migration expects to find and what it creates (deploy-safety.md R4),
//! checked against the live catalog before the migration runs any SQL. This is what
//! turns the runbook's failures into refusals with a precise message: a migration that
//! ALTERs a missing table, and a `CREATE TABLE` over a table that already exists in
//! another shape (which `IF NOT EXISTS` would have silently skipped).
//!
//! Beside the tables, a contract names the rows a migration cannot run over
//! ([`data_checks`]) and the findings it tolerates ([`tolerates`]).

use crate::check::{Finding, Kind};

/// The contract of one migration version.
pub struct Contract {
    /// Tables that must exist before the migration runs.
    pub expects_tables: &'static [&'static str],
    /// Tables the migration creates: they must not exist yet.
    pub creates_tables: &'static [&'static str],
    /// `table.column`s the migration adds unconditionally: they must not exist yet.
    pub adds_columns: &'static [(&'static str, &'static str)],
}

const AVATAR_CREATOR: &[&str] = &[
    "avatar_projects",
    "avatars",
    "avatar_presets",
    "persona_examples",
    "avatar_usage_history",
    "avatar_generations",
];

const POSE_GENERATOR: &[&str] = &[
    "pose_categories",
    "pose_library",
    "pose_generator_projects",
    "pose_generations",
    "generated_poses",
    "pose_selections",
    "pose_requests",
];

/// The contract of `version`; every migration of [`crate::Migrator`] has one (a test
/// enforces it).
pub fn of(version: &str) -> Option<Contract> {
    let c = |expects_tables, creates_tables, adds_columns| Contract {
        expects_tables,
        creates_tables,
        adds_columns,
    };
    Some(match version {
        "m20250930_000001_base_tables" => {
            c(&[], &["users", "sessions", "credits", "app_usages"], &[])
        }
        "m20251014_000001_avatar_creator" => c(&["users"], AVATAR_CREATOR, &[]),
        "m20251016_000001_pose_generator" => c(&["users", "avatars"], POSE_GENERATOR, &[]),
        "m20251018_000001_pose_generator_recovery_and_variations" => c(
            &[
                "users",
                "pose_library",
                "pose_generations",
                "generated_poses",
            ],
            &[],
            &[
                ("pose_generations", "recoveryAttempts"),
                ("pose_generations", "lastRecoveryAt"),
                ("generated_poses", "variationKey"),
            ],
        ),
        "m20251120_000001_integrity_foreign_keys" => c(
            &[
                "users",
                "avatar_projects",
                "avatars",
                "avatar_usage_history",
                "avatar_generations",
            ],
            &[],
            &[],
        ),
        "m20251120_000002_credits_refund_unique" => c(&["credits"], &[], &[]),
        "m20251120_000003_jobs_and_votes" => c(
            &["users", "pose_requests"],
            &["jobs", "pose_request_votes"],
            &[],
        ),
        "m20261206_000001_session_revocations" => c(&["users"], &["session_revocations"], &[]),
        "m99991231_000001_test_barrier" => c(&["users"], &["test_barrier_probe"], &[]),
        _ => return None,
    })
}

/// Every way the live catalog breaks the contract, as readable findings.
pub fn violations(
    contract: &Contract,
    tables: &[String],
    columns: &[(String, String)],
) -> Vec<String> {
    let has = |t: &str| tables.iter().any(|x| x == t);
    let mut out = Vec::new();
    for t in contract.expects_tables {
        if !has(t) {
            out.push(format!("expects table `{t}`, which does not exist"));
        }
    }
    for t in contract.creates_tables {
        if has(t) {
            out.push(format!("creates table `{t}`, which already exists"));
        }
    }
    for (t, col) in contract.adds_columns {
        if columns.iter().any(|(ct, cc)| ct == t && cc == col) {
            out.push(format!("adds column `{t}.{col}`, which already exists"));
        }
    }
    out
}

/// A condition on the rows that a migration's own SQL would otherwise fail on half-way
/// through a multi-migration deploy: the plan checks it before anything runs and
/// refuses with the rows that break it.
pub enum DataCheck {
    /// On PostgreSQL, each of `columns` of `table` that is still nullable holds no
    /// NULL: the migration sets them NOT NULL. `rows` names the rows in the advice.
    NoNulls {
        table: &'static str,
        columns: &'static [&'static str],
        rows: &'static str,
    },
    /// No two rows of `table` share `keys` (where the normalized target `predicate`
    /// holds): the migration creates the unique index `index`. Checked only when
    /// `table` exists with every column of `requires`.
    Unique {
        table: &'static str,
        keys: &'static [&'static str],
        predicate: Option<&'static str>,
        requires: &'static [&'static str],
        index: &'static str,
        expected: &'static str,
        action: &'static str,
    },
    /// No row breaks a foreign key the migration adds (every key it owns in the
    /// target); the report lists every key with its count, zeros included (§7.1).
    NoOrphans,
}

/// The three `users` flags `m20251018` tightens (schema.md §3.1 #4).
const USER_FLAGS: [&str; 3] = [
    "unlimitedPoseActive",
    "unlimitedPoseDailyQuota",
    "unlimitedPoseQuotaUsed",
];

/// The data checks of `version`, in the order they are reported.
pub fn data_checks(version: &str) -> &'static [DataCheck] {
    match version {
        "m20251018_000001_pose_generator_recovery_and_variations" => &[
            DataCheck::NoNulls {
                table: "users",
                columns: &USER_FLAGS,
                rows: "users",
            },
            DataCheck::Unique {
                table: "pose_library",
                keys: &["categoryId", "name"],
                predicate: None,
                requires: &[],
                index: "pose_library_categoryId_name_key",
                expected: "unique (categoryId, name)",
                action: "rename or merge the duplicate poses of each group",
            },
        ],
        "m20251120_000001_integrity_foreign_keys" => &[DataCheck::NoOrphans],
        "m20251120_000002_credits_refund_unique" => &[DataCheck::Unique {
            table: "credits",
            keys: &["referenceId", "referenceType"],
            predicate: Some("type='refund'"),
            requires: &["type", "referenceId", "referenceType"],
            index: "credits_refund_referenceId_referenceType_key",
            expected: "at most one refund per (referenceId, referenceType)",
            action: "review the duplicate refunds; the balance they added may need a correcting entry",
        }],
        _ => &[],
    }
}

/// Findings a migration's contract accepts as warnings: what `m20251016` does not
/// vouch for on the `users` columns it adds, their nullability and timestamp precision
/// (the S3 variant satisfies it; `m20251018` tightens the flags).
pub fn tolerates(f: &Finding) -> bool {
    let column = f.object.strip_prefix("users.").unwrap_or_default();
    column.starts_with("unlimitedPose")
        && matches!(f.kind, Kind::NullabilityMismatch | Kind::TypeMismatch)
        && f.migration == Some("m20251016_000001_pose_generator")
}
