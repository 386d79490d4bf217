//! Reference data both apps need (api.md §9): the avatar presets (§9.1) and the
//! persona examples (§9.2). Pose categories and library poses (§9.3+) are not seeded
//! yet.
//!
//! Each group is upserted by its natural key (`name`) in one transaction: new rows get
//! new ids and every column; existing rows get only the descriptive fields the seed
//! owns rewritten (never `usageCount`, never the id); rows that are not in the seed are
//! left alone. Missing preview images are rendered as deterministic placeholders.

pub mod data;
pub mod preview;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use entity::{avatar_presets, persona_examples};
use sea_orm_migration::sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ActiveValue::Unchanged,
    DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
};

use data::{
    EXPECTED_PERSONA_EXAMPLES, EXPECTED_PRESETS, PERSONA_CATEGORIES, PERSONA_EXAMPLES,
    PRESET_CATEGORIES, PRESETS,
};

/// What one group's upsert did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCounts {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl fmt::Display for GroupCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} inserted, {} updated, {} unchanged",
            self.inserted, self.updated, self.unchanged
        )
    }
}

/// What [`seed`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub avatar_presets: GroupCounts,
    pub persona_examples: GroupCounts,
    /// Preview images rendered because their file was missing.
    pub previews_written: usize,
    /// Preview images left alone because their file already existed.
    pub previews_existing: usize,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "avatar presets: {}", self.avatar_presets)?;
        writeln!(f, "persona examples: {}", self.persona_examples)?;
        write!(
            f,
            "preview images: {} written, {} already present",
            self.previews_written, self.previews_existing
        )
    }
}

/// Validates the static seed data without a database: the expected counts, no
/// duplicate names, every category allowed, every JSON text parses with the
/// documented shape. `Err` lists every problem found.
pub fn seed_check() -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if PRESETS.len() != EXPECTED_PRESETS {
        problems.push(format!(
            "avatar presets: {} rows, expected {EXPECTED_PRESETS}",
            PRESETS.len()
        ));
    }
    if PERSONA_EXAMPLES.len() != EXPECTED_PERSONA_EXAMPLES {
        problems.push(format!(
            "persona examples: {} rows, expected {EXPECTED_PERSONA_EXAMPLES}",
            PERSONA_EXAMPLES.len()
        ));
    }
    duplicates(
        "avatar preset",
        PRESETS.iter().map(|p| p.name),
        &mut problems,
    );
    duplicates(
        "avatar preset preview slug",
        PRESETS.iter().map(|p| p.slug()),
        &mut problems,
    );
    duplicates(
        "persona example",
        PERSONA_EXAMPLES.iter().map(|p| p.name),
        &mut problems,
    );
    for p in &PRESETS {
        if !PRESET_CATEGORIES.contains(&p.category) {
            problems.push(format!(
                "avatar preset {:?}: unknown category {:?}",
                p.name, p.category
            ));
        }
        json_object(
            &format!("avatar preset {:?} personaTemplate", p.name),
            &p.persona_template(),
            &["name", "age", "personality", "background"],
            &mut problems,
        );
        json_object(
            &format!("avatar preset {:?} visualAttributes", p.name),
            &p.visual_attributes(),
            &[],
            &mut problems,
        );
        if p.personality.iter().any(|t| t.trim().is_empty())
            || p.background.trim().is_empty()
            || p.generation_prompt.trim().is_empty()
        {
            problems.push(format!("avatar preset {:?}: an empty text", p.name));
        }
    }
    let mut orders: HashMap<&str, Vec<i32>> = HashMap::new();
    for p in &PERSONA_EXAMPLES {
        if !PERSONA_CATEGORIES.contains(&p.category) {
            problems.push(format!(
                "persona example {:?}: unknown category {:?}",
                p.name, p.category
            ));
        }
        match serde_json::from_str::<Vec<String>>(&p.personality_json()) {
            Ok(traits) if traits.len() == 3 => {}
            Ok(_) => problems.push(format!(
                "persona example {:?}: personaPersonality needs three traits",
                p.name
            )),
            Err(e) => problems.push(format!(
                "persona example {:?} personaPersonality: {e}",
                p.name
            )),
        }
        json_object(
            &format!("persona example {:?} suggestedAttributes", p.name),
            &p.suggested_attributes(),
            &["gender", "ageRange", "ethnicity", "style"],
            &mut problems,
        );
        orders.entry(p.category).or_default().push(p.display_order);
    }
    for (category, order) in orders {
        if order != [0, 10, 20] {
            problems.push(format!(
                "persona examples in {category:?}: displayOrder {order:?}, expected [0, 10, 20]"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn duplicates<S: AsRef<str>>(
    what: &str,
    names: impl Iterator<Item = S>,
    problems: &mut Vec<String>,
) {
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name.as_ref().to_owned()) {
            problems.push(format!("duplicate {what} {:?}", name.as_ref()));
        }
    }
}

fn json_object(what: &str, text: &str, required: &[&str], problems: &mut Vec<String>) {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => {
            for key in required {
                if !map.contains_key(*key) {
                    problems.push(format!("{what}: missing {key:?}"));
                }
            }
        }
        Ok(_) => problems.push(format!("{what}: not a JSON object")),
        Err(e) => problems.push(format!("{what}: {e}")),
    }
}

/// Upserts the avatar presets and the persona examples (one transaction per group),
/// then renders every missing preview image under `<presets_dir>/avatar-creator/`.
pub async fn seed(db: &DatabaseConnection, presets_dir: &Path) -> Result<SeedReport, DbErr> {
    seed_check()
        .map_err(|problems| DbErr::Custom(format!("invalid seed data: {}", problems.join("; "))))?;
    let avatar_presets = seed_presets(db).await?;
    let persona_examples = seed_persona_examples(db).await?;
    let (previews_written, previews_existing) = write_previews(presets_dir)?;
    Ok(SeedReport {
        avatar_presets,
        persona_examples,
        previews_written,
        previews_existing,
    })
}

/// Where the preview of a preset lives under `presets_dir`, matching its
/// `previewImageUrl` (`/presets/avatar-creator/<slug>.jpg`).
pub fn preview_path(presets_dir: &Path, preset: &data::Preset) -> PathBuf {
    presets_dir
        .join("avatar-creator")
        .join(format!("{}.jpg", preset.slug()))
}

fn write_previews(presets_dir: &Path) -> Result<(usize, usize), DbErr> {
    let (mut written, mut existing) = (0, 0);
    for preset in &PRESETS {
        let path = preview_path(presets_dir, preset);
        match preview::write_if_missing(&path, preset.name) {
            Ok(true) => written += 1,
            Ok(false) => existing += 1,
            Err(e) => {
                return Err(DbErr::Custom(format!(
                    "cannot write the preview {}: {e}",
                    path.display()
                )));
            }
        }
    }
    Ok((written, existing))
}

async fn seed_presets(db: &DatabaseConnection) -> Result<GroupCounts, DbErr> {
    let txn = db.begin().await?;
    let mut by_name: HashMap<String, Vec<avatar_presets::Model>> = HashMap::new();
    for row in avatar_presets::Entity::find().all(&txn).await? {
        by_name.entry(row.name.clone()).or_default().push(row);
    }
    let now = crate::deploy::ledger::now();
    let mut counts = GroupCounts::default();
    for p in &PRESETS {
        let (url, template, attributes) = (
            p.preview_image_url(),
            p.persona_template(),
            p.visual_attributes(),
        );
        let Some(rows) = by_name.get(p.name) else {
            avatar_presets::ActiveModel {
                id: Set(new_id()),
                name: Set(p.name.to_owned()),
                preview_image_url: Set(url),
                category: Set(p.category.to_owned()),
                persona_template: Set(template),
                visual_attributes: Set(attributes),
                generation_prompt: Set(p.generation_prompt.to_owned()),
                is_public: Set(true),
                usage_count: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            counts.inserted += 1;
            continue;
        };
        let mut changed = false;
        for row in rows {
            let same = row.preview_image_url == url
                && row.category == p.category
                && row.persona_template == template
                && row.visual_attributes == attributes
                && row.generation_prompt == p.generation_prompt
                && row.is_public;
            if same {
                continue;
            }
            // Only the descriptive fields; usageCount, id and createdAt are kept.
            avatar_presets::ActiveModel {
                id: Unchanged(row.id.clone()),
                name: NotSet,
                preview_image_url: Set(url.clone()),
                category: Set(p.category.to_owned()),
                persona_template: Set(template.clone()),
                visual_attributes: Set(attributes.clone()),
                generation_prompt: Set(p.generation_prompt.to_owned()),
                is_public: Set(true),
                usage_count: NotSet,
                created_at: NotSet,
                updated_at: Set(now),
            }
            .update(&txn)
            .await?;
            changed = true;
        }
        if changed {
            counts.updated += 1;
        } else {
            counts.unchanged += 1;
        }
    }
    txn.commit().await?;
    Ok(counts)
}

async fn seed_persona_examples(db: &DatabaseConnection) -> Result<GroupCounts, DbErr> {
    let txn = db.begin().await?;
    let mut by_name: HashMap<String, Vec<persona_examples::Model>> = HashMap::new();
    for row in persona_examples::Entity::find().all(&txn).await? {
        by_name.entry(row.name.clone()).or_default().push(row);
    }
    let now = crate::deploy::ledger::now();
    let mut counts = GroupCounts::default();
    for p in &PERSONA_EXAMPLES {
        let (personality, attributes) = (p.personality_json(), p.suggested_attributes());
        let Some(rows) = by_name.get(p.name) else {
            persona_examples::ActiveModel {
                id: Set(new_id()),
                name: Set(p.name.to_owned()),
                category: Set(p.category.to_owned()),
                persona_name: Set(p.persona.to_owned()),
                persona_age: Set(p.age),
                persona_personality: Set(personality),
                persona_background: Set(p.background.to_owned()),
                suggested_attributes: Set(Some(attributes)),
                display_order: Set(p.display_order),
                is_active: Set(true),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            counts.inserted += 1;
            continue;
        };
        let mut changed = false;
        for row in rows {
            let same = row.category == p.category
                && row.persona_name == p.persona
                && row.persona_age == p.age
                && row.persona_personality == personality
                && row.persona_background == p.background
                && row.suggested_attributes.as_deref() == Some(attributes.as_str())
                && row.display_order == p.display_order
                && row.is_active;
            if same {
                continue;
            }
            persona_examples::ActiveModel {
                id: Unchanged(row.id.clone()),
                name: NotSet,
                category: Set(p.category.to_owned()),
                persona_name: Set(p.persona.to_owned()),
                persona_age: Set(p.age),
                persona_personality: Set(personality.clone()),
                persona_background: Set(p.background.to_owned()),
                suggested_attributes: Set(Some(attributes.clone())),
                display_order: Set(p.display_order),
                is_active: Set(true),
                created_at: NotSet,
            }
            .update(&txn)
            .await?;
            changed = true;
        }
        if changed {
            counts.updated += 1;
        } else {
            counts.unchanged += 1;
        }
    }
    txn.commit().await?;
    Ok(counts)
}

pub use crate::ids::new_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_static_data_is_valid() {
        assert_eq!(seed_check(), Ok(()));
    }

    #[test]
    fn ids_have_the_api_shape_and_do_not_repeat() {
        let ids: HashSet<String> = (0..10_000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(100) {
            assert_eq!(id.len(), 25, "{id}");
            assert!(id.starts_with('c'), "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            );
        }
    }

    #[test]
    fn preview_paths_match_the_urls() {
        let p = &PRESETS[0];
        assert_eq!(
            preview_path(Path::new("/srv/presets"), p),
            PathBuf::from("/srv/presets/avatar-creator/professional-business-woman.jpg")
        );
        assert!(
            p.preview_image_url()
                .ends_with("/avatar-creator/professional-business-woman.jpg")
        );
    }
}
