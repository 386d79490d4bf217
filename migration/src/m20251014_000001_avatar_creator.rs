//! The six Avatar Creator tables (schema.md §5) with their indexes and the two
//! production foreign keys `avatars_projectId_fkey` and
//! `avatar_usage_history_avatarId_fkey`. The six further FKs of §7.1 belong to
//! `m20251120_000001`; the table builders take `integrity_fks` so that migration can
//! rebuild the SQLite tables with their full target definition.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables of this migration whose definition `m20251120_000001` extends.
pub(crate) const REBUILT_BY_INTEGRITY_FKS: [&str; 4] = [
    "avatar_projects",
    "avatars",
    "avatar_usage_history",
    "avatar_generations",
];

/// The CREATE TABLE of one of this migration's tables, under the name `as_name`.
pub(crate) fn table(
    backend: DbBackend,
    name: &'static str,
    as_name: &str,
    integrity_fks: bool,
) -> TableCreateStatement {
    let b = backend;
    let mut t = Table::create();
    t.table(as_name.to_owned());
    let mut fks = Vec::new();
    match name {
        "avatar_projects" => {
            t.col(id())
                .col(text("userId"))
                .col(text("name"))
                .col(text_null("description"))
                .col(ts_now(b, "createdAt"))
                .col(ts(b, "updatedAt"));
            if integrity_fks {
                fks.push(fk(name, "userId", "users", ForeignKeyAction::Cascade));
            }
        }
        "avatars" => {
            t.col(id())
                .col(text("userId"))
                .col(text("projectId"))
                .col(text("name"))
                .col(text("baseImageUrl"))
                .col(text_null("thumbnailUrl"))
                .col(text_null("personaName"))
                .col(int_null("personaAge"))
                .col(text_null("personaPersonality"))
                .col(text_null("personaBackground"))
                .col(text_null("gender"))
                .col(text_null("ageRange"))
                .col(text_null("ethnicity"))
                .col(text_null("bodyType"))
                .col(text_null("hairStyle"))
                .col(text_null("hairColor"))
                .col(text_null("eyeColor"))
                .col(text_null("skinTone"))
                .col(text_null("style"))
                .col(text("sourceType"))
                .col(text_null("generationPrompt"))
                .col(int_null("seedUsed"))
                .col(int_default("usageCount", 0))
                .col(ts_null(b, "lastUsedAt"))
                .col(ts_now(b, "createdAt"))
                .col(ts(b, "updatedAt"));
            fks.push(fk(
                name,
                "projectId",
                "avatar_projects",
                ForeignKeyAction::Cascade,
            ));
            if integrity_fks {
                fks.push(fk(name, "userId", "users", ForeignKeyAction::Cascade));
            }
        }
        "avatar_presets" => {
            t.col(id())
                .col(text("name"))
                .col(text("previewImageUrl"))
                .col(text("category"))
                .col(text("personaTemplate"))
                .col(text("visualAttributes"))
                .col(text("generationPrompt"))
                .col(bool_default("isPublic", true))
                .col(int_default("usageCount", 0))
                .col(ts_now(b, "createdAt"))
                .col(ts(b, "updatedAt"));
        }
        "persona_examples" => {
            t.col(id())
                .col(text("name"))
                .col(text("category"))
                .col(text("personaName"))
                .col(int("personaAge"))
                .col(text("personaPersonality"))
                .col(text("personaBackground"))
                .col(text_null("suggestedAttributes"))
                .col(int_default("displayOrder", 0))
                .col(bool_default("isActive", true))
                .col(ts_now(b, "createdAt"));
        }
        "avatar_usage_history" => {
            t.col(id())
                .col(text("avatarId"))
                .col(text("userId"))
                .col(text("appId"))
                .col(text("appName"))
                .col(text("action"))
                .col(text_null("referenceId"))
                .col(text_null("referenceType"))
                .col(text_null("metadata"))
                .col(ts_now(b, "createdAt"));
            fks.push(fk(name, "avatarId", "avatars", ForeignKeyAction::Cascade));
            if integrity_fks {
                fks.push(fk(name, "userId", "users", ForeignKeyAction::Cascade));
            }
        }
        "avatar_generations" => {
            t.col(id())
                .col(text("userId"))
                .col(text_null("avatarId"))
                .col(text("projectId"))
                .col(text_default("status", "pending"))
                .col(text("prompt"))
                .col(text_null("options"))
                .col(text_null("errorMessage"))
                .col(ts_now(b, "createdAt"))
                .col(ts_null(b, "completedAt"));
            if integrity_fks {
                fks.push(fk(name, "userId", "users", ForeignKeyAction::Cascade));
                fks.push(fk(
                    name,
                    "projectId",
                    "avatar_projects",
                    ForeignKeyAction::Cascade,
                ));
                fks.push(fk(name, "avatarId", "avatars", ForeignKeyAction::SetNull));
            }
        }
        other => unreachable!("{other} is not an Avatar Creator table"),
    }
    for mut fk in fks {
        t.foreign_key(&mut fk);
    }
    t
}

/// The indexes of one of this migration's tables.
pub(crate) fn indexes(name: &'static str) -> Vec<IndexCreateStatement> {
    let t = name;
    match name {
        "avatar_projects" => vec![
            index(t, &[asc("userId")]),
            index(t, &[asc("userId"), desc("createdAt")]),
            index(t, &[asc("userId"), desc("updatedAt")]),
        ],
        "avatars" => vec![
            index(t, &[asc("userId")]),
            index(t, &[asc("projectId")]),
            index(t, &[asc("sourceType")]),
            index(t, &[asc("userId"), desc("usageCount")]),
            index(t, &[asc("userId"), desc("lastUsedAt")]),
            index(t, &[asc("userId"), desc("createdAt")]),
        ],
        "avatar_presets" => vec![
            index(t, &[asc("category")]),
            index(t, &[asc("isPublic")]),
            index(t, &[asc("category"), asc("isPublic")]),
            index(t, &[desc("usageCount")]),
        ],
        "persona_examples" => vec![
            index(t, &[asc("category")]),
            index(t, &[asc("isActive")]),
            index(t, &[asc("category"), asc("isActive"), asc("displayOrder")]),
        ],
        "avatar_usage_history" => vec![
            index(t, &[asc("avatarId")]),
            index(t, &[asc("userId")]),
            index(t, &[asc("appId")]),
            index(t, &[asc("avatarId"), desc("createdAt")]),
            index(t, &[asc("userId"), desc("createdAt")]),
            index(t, &[asc("appId"), asc("createdAt")]),
            index(t, &[asc("referenceId"), asc("referenceType")]),
        ],
        "avatar_generations" => vec![
            index(t, &[asc("userId")]),
            index(t, &[asc("status")]),
            index(t, &[asc("projectId")]),
            index(t, &[asc("avatarId")]),
            index(t, &[asc("userId"), asc("status")]),
            index(t, &[asc("userId"), desc("createdAt")]),
            index(t, &[asc("status"), asc("createdAt")]),
            index(t, &[asc("projectId"), desc("createdAt")]),
        ],
        other => unreachable!("{other} is not an Avatar Creator table"),
    }
}

/// In creation order; parents before children.
const TABLES: [&str; 6] = [
    "avatar_projects",
    "avatars",
    "avatar_presets",
    "persona_examples",
    "avatar_usage_history",
    "avatar_generations",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        for name in TABLES {
            manager
                .create_table(table(backend, name, name, false))
                .await?;
            for index in indexes(name) {
                manager.create_index(index).await?;
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
        for name in TABLES.iter().rev() {
            manager.drop_table(drop_table(name)).await?;
        }
        Ok(())
    }
}
