//! The seven Pose Generator tables (schema.md §6) as the Node app first created them,
//! without the objects of `m20251018`; all their indexes (the GIN index on
//! `pose_library.tags` on PostgreSQL only) and their 13 foreign keys; then the five
//! `users.unlimitedPose*` columns.
//!
//! On PostgreSQL the three `unlimitedPose*` flags are added nullable, with their
//! defaults, as in production; `m20251018` tightens them to NOT NULL. SQLite cannot
//! alter a column later, so there they are created in their final NOT NULL form.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 7] = [
    "pose_categories",
    "pose_library",
    "pose_generator_projects",
    "pose_generations",
    "generated_poses",
    "pose_selections",
    "pose_requests",
];

/// The `users` flags this migration adds with a default; `m20251018` makes them NOT NULL.
pub(crate) const USER_FLAGS: [(&str, FlagDefault); 3] = [
    ("unlimitedPoseActive", FlagDefault::Bool(false)),
    ("unlimitedPoseDailyQuota", FlagDefault::Int(100)),
    ("unlimitedPoseQuotaUsed", FlagDefault::Int(0)),
];

#[derive(Clone, Copy)]
pub(crate) enum FlagDefault {
    Bool(bool),
    Int(i32),
}

const USER_TIMESTAMPS: [&str; 2] = ["unlimitedPoseQuotaResetAt", "unlimitedPoseExpiresAt"];

fn user_flag(backend: DbBackend, name: &'static str, default: FlagDefault) -> ColumnDef {
    let mut col = match default {
        FlagDefault::Bool(v) => bool_default(name, v),
        FlagDefault::Int(v) => int_default(name, v),
    };
    if backend == DbBackend::Postgres {
        col.null();
    }
    col
}

fn create_table(b: DbBackend, name: &'static str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name);
    let mut fks = Vec::new();
    match name {
        "pose_categories" => {
            t.col(id())
                .col(text("name"))
                .col(text("displayName"))
                .col(text_null("description"))
                .col(text("slug"))
                .col(text_null("parentId"))
                .col(text_default("icon", "folder"))
                .col(int_default("displayOrder", 0))
                .col(text_default("color", "#3b82f6"))
                .col(int_default("poseCount", 0))
                .col(bool_default("isActive", true))
                .col(ts_now(b, "createdAt"))
                .col(ts(b, "updatedAt"));
            fks.push(fk(
                name,
                "parentId",
                "pose_categories",
                ForeignKeyAction::Cascade,
            ));
        }
        "pose_library" => {
            t.col(id())
                .col(text("name"))
                .col(text_null("description"))
                .col(text("categoryId"))
                .col(text("previewImageUrl"))
                .col(text("referenceImageUrl"))
                .col(text("controlnetImageUrl"))
                .col(text_null("thumbnailUrl"))
                .col(text_default("difficulty", "medium"))
                .col(text_default("genderSuitability", "unisex"))
                .col(text_list(b, "tags"))
                .col(text_default("sourceType", "curated"))
                .col(text_null("sourceCredit"))
                .col(text_default("licenseType", "platform"))
                .col(int_default("usageCount", 0))
                .col(int_default("favoriteCount", 0))
                .col(double_default("ratingAvg", 0.0))
                .col(int_default("popularityScore", 0))
                .col(bool_default("isPublic", true))
                .col(bool_default("isFeatured", false))
                .col(bool_default("isPremium", false))
                .col(ts_now(b, "createdAt"))
                .col(ts(b, "updatedAt"));
            fks.push(fk(
                name,
                "categoryId",
                "pose_categories",
                ForeignKeyAction::Restrict,
            ));
        }
        "pose_generator_projects" => {
            t.col(id())
                .col(text("userId"))
                .col(text("projectName"))
                .col(text_null("description"))
                .col(text_null("avatarImageUrl"))
                .col(text_default("avatarSource", "upload"))
                .col(text_null("avatarId"))
                .col(int_default("totalGenerations", 0))
                .col(int_default("totalPosesGenerated", 0))
                .col(text_default("status", "active"))
                .col(ts_now(b, "createdAt"))
                .col(ts(b, "updatedAt"));
            fks.push(fk(name, "userId", "users", ForeignKeyAction::Cascade));
            fks.push(fk(name, "avatarId", "avatars", ForeignKeyAction::SetNull));
        }
        "pose_generations" => {
            t.col(id())
                .col(text("projectId"))
                .col(text("userId"))
                .col(text("generationType"))
                .col(text_null("textPrompt"))
                .col(text_null("generatedPoseStructure"))
                .col(text_null("avatarId"))
                .col(text_null("avatarAttributes"))
                .col(int("batchSize"))
                .col(int("totalExpectedPoses"))
                .col(bool_default("useBackgroundChanger", false))
                .col(text_null("backgroundPrompt"))
                .col(text_null("backgroundMode"))
                .col(text_list(b, "exportFormats"))
                .col(text_default("status", "pending"))
                .col(int_default("progress", 0))
                .col(int_default("posesCompleted", 0))
                .col(int_default("posesFailed", 0))
                .col(int("creditCharged"))
                .col(int_default("creditRefunded", 0))
                .col(text_null("queueJobId"))
                .col(text_null("errorMessage"))
                .col(ts_now(b, "createdAt"))
                .col(ts_null(b, "startedAt"))
                .col(ts_null(b, "completedAt"))
                .col(double_null("avgGenerationTime"))
                .col(double_null("totalProcessingTime"));
            fks.push(fk(
                name,
                "projectId",
                "pose_generator_projects",
                ForeignKeyAction::Cascade,
            ));
            fks.push(fk(name, "userId", "users", ForeignKeyAction::Cascade));
            fks.push(fk(name, "avatarId", "avatars", ForeignKeyAction::SetNull));
        }
        "generated_poses" => {
            t.col(id())
                .col(text("generationId"))
                .col(text_null("poseLibraryId"))
                .col(text("outputImageUrl"))
                .col(text("thumbnailUrl"))
                .col(text_null("originalImageUrl"))
                .col(jsonb(b, "exportFormats"))
                .col(bool_default("backgroundChanged", false))
                .col(text_null("backgroundPrompt"))
                .col(text("promptUsed"))
                .col(int_null("seedUsed"))
                .col(double_default("controlnetWeight", 0.75))
                .col(double_null("generationTime"))
                .col(double_null("aiConfidenceScore"))
                .col(bool_default("isFavorite", false))
                .col(int_default("downloadCount", 0))
                .col(text_default("status", "completed"))
                .col(text_null("errorMessage"))
                .col(ts_now(b, "createdAt"));
            fks.push(fk(
                name,
                "generationId",
                "pose_generations",
                ForeignKeyAction::Cascade,
            ));
            fks.push(fk(
                name,
                "poseLibraryId",
                "pose_library",
                ForeignKeyAction::SetNull,
            ));
        }
        "pose_selections" => {
            t.col(id())
                .col(text("generationId"))
                .col(text("poseLibraryId"))
                .col(ts_now(b, "createdAt"));
            fks.push(fk(
                name,
                "generationId",
                "pose_generations",
                ForeignKeyAction::Cascade,
            ));
            fks.push(fk(
                name,
                "poseLibraryId",
                "pose_library",
                ForeignKeyAction::Cascade,
            ));
        }
        "pose_requests" => {
            t.col(id())
                .col(text("userId"))
                .col(text("poseName"))
                .col(text("description"))
                .col(text_null("referenceImageUrl"))
                .col(text_null("categoryId"))
                .col(text_null("useCase"))
                .col(int_default("votesCount", 0))
                .col(text_default("status", "pending"))
                .col(text_null("adminNotes"))
                .col(text_null("completedPoseId"))
                .col(ts_now(b, "createdAt"))
                .col(ts(b, "updatedAt"));
            fks.push(fk(name, "userId", "users", ForeignKeyAction::Cascade));
            fks.push(fk(
                name,
                "categoryId",
                "pose_categories",
                ForeignKeyAction::SetNull,
            ));
        }
        other => unreachable!("{other} is not a Pose Generator table"),
    }
    for mut fk in fks {
        t.foreign_key(&mut fk);
    }
    t
}

fn indexes(b: DbBackend, name: &'static str) -> Vec<IndexCreateStatement> {
    let t = name;
    match name {
        "pose_categories" => vec![
            unique(t, &[asc("slug")]),
            index(t, &[asc("parentId")]),
            index(t, &[asc("isActive"), asc("displayOrder")]),
            index(t, &[asc("slug")]),
        ],
        "pose_library" => {
            let mut v = vec![
                index(t, &[asc("categoryId")]),
                index(t, &[asc("difficulty")]),
                index(t, &[asc("isPublic"), asc("popularityScore")]),
                index(t, &[asc("isFeatured"), desc("usageCount")]),
            ];
            // Tag search uses array containment, which only a GIN index serves;
            // the other backends store the tags as JSON text and get no index.
            if b == DbBackend::Postgres {
                v.push(index(t, &[asc("tags")]).full_text().take());
            }
            v
        }
        "pose_generator_projects" => vec![
            index(t, &[asc("userId")]),
            index(t, &[asc("userId"), desc("updatedAt")]),
            index(t, &[asc("avatarId")]),
            index(t, &[asc("status")]),
        ],
        "pose_generations" => vec![
            index(t, &[asc("projectId")]),
            index(t, &[asc("userId")]),
            index(t, &[asc("userId"), desc("createdAt")]),
            index(t, &[asc("status"), asc("createdAt")]),
            index(t, &[asc("status"), asc("createdAt"), asc("queueJobId")]),
            index(t, &[asc("queueJobId")]),
        ],
        "generated_poses" => vec![
            index(t, &[asc("generationId")]),
            index(t, &[asc("poseLibraryId")]),
            index(t, &[asc("status")]),
            index(t, &[asc("isFavorite")]),
        ],
        "pose_selections" => vec![
            unique(t, &[asc("generationId"), asc("poseLibraryId")]),
            index(t, &[asc("generationId")]),
            index(t, &[asc("poseLibraryId")]),
        ],
        "pose_requests" => vec![
            index(t, &[asc("userId")]),
            index(t, &[asc("status")]),
            index(t, &[desc("votesCount")]),
            index(t, &[asc("status"), desc("votesCount")]),
        ],
        other => unreachable!("{other} is not a Pose Generator table"),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        for name in TABLES {
            manager.create_table(create_table(b, name)).await?;
            for index in indexes(b, name) {
                manager.create_index(index).await?;
            }
        }
        // One column per statement: SQLite's ALTER TABLE adds one column at a time.
        for (name, default) in USER_FLAGS {
            if !manager.has_column("users", name).await? {
                let stmt = Table::alter()
                    .table("users")
                    .add_column(user_flag(b, name, default))
                    .take();
                manager.alter_table(stmt).await?;
            }
        }
        for name in USER_TIMESTAMPS {
            if !manager.has_column("users", name).await? {
                let stmt = Table::alter()
                    .table("users")
                    .add_column(ts_null(b, name))
                    .take();
                manager.alter_table(stmt).await?;
            }
        }
        Ok(())
    }

    /// One transaction on every backend, SQLite included, so a failure leaves nothing
    /// half-created and no ledger row.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in USER_TIMESTAMPS
            .iter()
            .rev()
            .chain(USER_FLAGS.iter().rev().map(|(name, _)| name))
        {
            let stmt = Table::alter().table("users").drop_column(*name).take();
            manager.alter_table(stmt).await?;
        }
        for name in TABLES.iter().rev() {
            manager.drop_table(drop_table(name)).await?;
        }
        Ok(())
    }
}
