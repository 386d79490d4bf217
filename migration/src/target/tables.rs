//! The tables of the target schema, one entry per table of schema.md §3, with the
//! shorthands they are written in.

use super::{Action, ColType, ColType::*, Column, Default, ForeignKey, Index, Method, Table};

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
