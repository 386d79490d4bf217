//! Reference data both apps need (api.md §9): the avatar presets (§9.1), the persona
//! examples (§9.2), the pose categories (§9.3) and the library poses (§9.4).
//!
//! Each group is upserted by its natural key (presets and examples by `name`,
//! categories by `slug`, poses by (category, `name`)) in one transaction: new rows get
//! new ids and every column; existing rows get only the descriptive fields the seed
//! owns rewritten (never a counter: `usageCount`, `favoriteCount`, `ratingAvg`,
//! `popularityScore`, `poseCount`; never the id); rows that are not in the seed are
//! left alone. Categories go parents first, so a sub-category's `parentId` is known.
//!
//! Images are drawn offline by the `render` crate, never fetched, and a file is
//! written only when it is missing:
//!
//! - the presets' placeholder previews, `<PRESETS_DIR>/avatar-creator/<slug>.jpg`
//!   ([`preview`]);
//! - per library pose, `<PRESETS_DIR>/pose-generator/<slug>.jpg` (1024² preview, also
//!   the reference image), `<slug>_thumb.jpg` (400²) and `<slug>_pose.png` (1024²
//!   OpenPose map, the ControlNet image), stored as `/presets/pose-generator/…` URLs
//!   ([`pose_images`]). A pose's skeleton is [`skeleton::skeleton_for`]`(name)`.
//!
//! [`seed_check`] validates all of the static data without a database.

pub mod data;
pub mod pose_images;
pub mod poses;
pub mod preview;
pub mod skeleton;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use entity::{TextList, avatar_presets, persona_examples, pose_categories, pose_library};
use sea_orm_migration::sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ActiveValue::Unchanged,
    DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
};

use data::{
    EXPECTED_PERSONA_EXAMPLES, EXPECTED_PRESETS, PERSONA_CATEGORIES, PERSONA_EXAMPLES,
    PRESET_CATEGORIES, PRESETS,
};
use poses::{CATEGORIES, LIBRARY_POSES};
pub use skeleton::{Keypoint, Skeleton, skeleton_for};

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
    pub pose_categories: GroupCounts,
    pub library_poses: GroupCounts,
    /// Preset preview images rendered because their file was missing.
    pub previews_written: usize,
    /// Preset preview images left alone because their file already existed.
    pub previews_existing: usize,
    /// Library pose image files (preview, thumbnail, pose map) rendered because
    /// they were missing.
    pub pose_images_written: usize,
    /// Library pose image files left alone because they already existed.
    pub pose_images_existing: usize,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "avatar presets: {}", self.avatar_presets)?;
        writeln!(f, "persona examples: {}", self.persona_examples)?;
        writeln!(f, "pose categories: {}", self.pose_categories)?;
        writeln!(f, "library poses: {}", self.library_poses)?;
        writeln!(
            f,
            "preset preview images: {} written, {} already present",
            self.previews_written, self.previews_existing
        )?;
        write!(
            f,
            "pose images: {} written, {} already present",
            self.pose_images_written, self.pose_images_existing
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
    check_pose_data(&mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// One sentence: not empty, a capital first, a full stop last and nowhere else.
fn one_sentence(text: &str) -> bool {
    let t = text.trim();
    t.len() > 10
        && t.starts_with(|c: char| c.is_ascii_uppercase())
        && t.ends_with('.')
        && !t[..t.len() - 1].contains(". ")
}

/// The pose categories (api.md §9.3) and library poses (§9.4).
fn check_pose_data(problems: &mut Vec<String>) {
    use data::slug;
    use poses::*;
    let roots = CATEGORIES.iter().filter(|c| c.parent.is_none()).count();
    if (roots, CATEGORIES.len() - roots) != (EXPECTED_ROOT_CATEGORIES, EXPECTED_SUB_CATEGORIES) {
        problems.push(format!(
            "pose categories: {roots} top-level + {} sub-categories, expected \
             {EXPECTED_ROOT_CATEGORIES} + {EXPECTED_SUB_CATEGORIES}",
            CATEGORIES.len() - roots
        ));
    }
    duplicates(
        "pose category slug",
        CATEGORIES.iter().map(|c| c.slug),
        problems,
    );
    for (i, c) in CATEGORIES.iter().enumerate() {
        if let Some(parent) = c.parent {
            // Parents first, and only two levels.
            match CATEGORIES[..i].iter().find(|p| p.slug == parent) {
                Some(p) if p.parent.is_none() => {}
                Some(_) => problems.push(format!(
                    "pose category {:?}: parent {parent:?} is not top-level",
                    c.slug
                )),
                None => problems.push(format!(
                    "pose category {:?}: parent {parent:?} is not listed before it",
                    c.slug
                )),
            }
        }
        if slug(c.slug) != c.slug || c.display_name.trim().is_empty() || c.icon.is_empty() {
            problems.push(format!(
                "pose category {:?}: bad slug, name or icon",
                c.slug
            ));
        }
        let color = c.color();
        if color.len() != 7
            || !color.starts_with('#')
            || !color[1..].bytes().all(|b| b.is_ascii_hexdigit())
        {
            problems.push(format!("pose category {:?}: bad colour {color:?}", c.slug));
        }
        if !one_sentence(c.description) {
            problems.push(format!(
                "pose category {:?}: the description must be one sentence",
                c.slug
            ));
        }
    }

    if LIBRARY_POSES.len() != EXPECTED_LIBRARY_POSES {
        problems.push(format!(
            "library poses: {} rows, expected {EXPECTED_LIBRARY_POSES}",
            LIBRARY_POSES.len()
        ));
    }
    duplicates(
        "library pose (category, name)",
        LIBRARY_POSES
            .iter()
            .map(|p| format!("{}/{}", p.category, p.name)),
        problems,
    );
    duplicates(
        "library pose image slug",
        LIBRARY_POSES.iter().map(|p| p.slug()),
        problems,
    );
    let mut difficulty: HashMap<&str, usize> = HashMap::new();
    let mut gender: HashMap<&str, usize> = HashMap::new();
    let mut per_root: HashMap<&str, usize> = HashMap::new();
    for p in &LIBRARY_POSES {
        let what = format!("library pose {:?}", p.name);
        match category(p.category) {
            None => problems.push(format!("{what}: unknown category {:?}", p.category)),
            Some(c) if c.parent.is_none() => problems.push(format!(
                "{what}: category {:?} is top-level, not a sub-category",
                p.category
            )),
            Some(_) => {}
        }
        let slug = p.slug();
        if slug.is_empty()
            || !slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            problems.push(format!("{what}: image slug {slug:?} is not [a-z0-9-]+"));
        }
        if !one_sentence(p.description) {
            problems.push(format!("{what}: the description must be one sentence"));
        }
        if !(5..=6).contains(&p.tags.len()) {
            problems.push(format!("{what}: {} tags, expected 5 or 6", p.tags.len()));
        }
        for tag in p.tags {
            if tag.trim().is_empty() || *tag != tag.to_lowercase() || tag.trim() != *tag {
                problems.push(format!(
                    "{what}: tag {tag:?} is not a trimmed lowercase word"
                ));
            }
        }
        duplicates(&format!("tag of {what}"), p.tags.iter(), problems);
        let male_name = p.name.contains("Male");
        let hijab = p.root() == "hijab";
        let expected_gender = if male_name {
            Gender::Male
        } else if hijab {
            Gender::Female
        } else {
            Gender::Unisex
        };
        if p.gender != expected_gender {
            problems.push(format!(
                "{what}: genderSuitability {}, expected {} by the gender rule",
                p.gender.as_str(),
                expected_gender.as_str()
            ));
        }
        if male_name && !p.tags.contains(&"male") {
            problems.push(format!("{what}: a \"Male\" pose needs the tag \"male\""));
        }
        if hijab && !p.tags.contains(&"hijab") {
            problems.push(format!("{what}: a hijab pose needs the tag \"hijab\""));
        }
        *difficulty.entry(p.difficulty.as_str()).or_default() += 1;
        *gender.entry(p.gender.as_str()).or_default() += 1;
        *per_root.entry(p.root()).or_default() += 1;
    }
    let mut distribution =
        |what: &str, counts: &HashMap<&str, usize>, expected: &[(&str, usize)]| {
            for (key, n) in expected {
                let got = counts.get(key).copied().unwrap_or(0);
                if got != *n {
                    problems.push(format!(
                        "library poses: {what} {key:?} has {got}, expected {n}"
                    ));
                }
            }
            for key in counts.keys() {
                if !expected.iter().any(|(k, _)| k == key) {
                    problems.push(format!("library poses: unexpected {what} {key:?}"));
                }
            }
        };
    distribution("difficulty", &difficulty, &EXPECTED_DIFFICULTY);
    distribution("genderSuitability", &gender, &EXPECTED_GENDER);
    distribution("top-level category", &per_root, &EXPECTED_PER_ROOT);
    let featured = LIBRARY_POSES.iter().filter(|p| p.featured).count();
    let premium = LIBRARY_POSES.iter().filter(|p| p.premium).count();
    if (featured, premium) != (EXPECTED_FEATURED, EXPECTED_PREMIUM) {
        problems.push(format!(
            "library poses: {featured} featured and {premium} premium, expected \
             {EXPECTED_FEATURED} and {EXPECTED_PREMIUM}"
        ));
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

/// Upserts the avatar presets, the persona examples, the pose categories and the
/// library poses (one transaction per group), then renders every missing image:
/// preset previews under `<presets_dir>/avatar-creator/`, pose images under
/// `<presets_dir>/pose-generator/`.
pub async fn seed(db: &DatabaseConnection, presets_dir: &Path) -> Result<SeedReport, DbErr> {
    seed_check()
        .map_err(|problems| DbErr::Custom(format!("invalid seed data: {}", problems.join("; "))))?;
    let avatar_presets = seed_presets(db).await?;
    let persona_examples = seed_persona_examples(db).await?;
    let pose_categories = seed_pose_categories(db).await?;
    let library_poses = seed_library_poses(db).await?;
    let (previews_written, previews_existing) = write_previews(presets_dir)?;
    let (pose_images_written, pose_images_existing) = pose_images::write_missing(presets_dir)
        .map_err(|e| {
            DbErr::Custom(format!(
                "cannot write the pose images under {}: {e}",
                presets_dir.display()
            ))
        })?;
    Ok(SeedReport {
        avatar_presets,
        persona_examples,
        pose_categories,
        library_poses,
        previews_written,
        previews_existing,
        pose_images_written,
        pose_images_existing,
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

/// Upserts the 28 pose categories by `slug`, parents first so that every
/// sub-category's `parentId` is the id its parent has (or just got).
async fn seed_pose_categories(db: &DatabaseConnection) -> Result<GroupCounts, DbErr> {
    let txn = db.begin().await?;
    let mut by_slug: HashMap<String, pose_categories::Model> = pose_categories::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| (row.slug.clone(), row))
        .collect();
    let now = crate::deploy::ledger::now();
    let mut counts = GroupCounts::default();
    for c in &CATEGORIES {
        let parent_id = match c.parent {
            None => None,
            Some(parent) => Some(
                by_slug
                    .get(parent)
                    .map(|p| p.id.clone())
                    .ok_or_else(|| DbErr::Custom(format!("pose category {parent:?} is missing")))?,
            ),
        };
        let (color, description) = (c.color().to_owned(), Some(c.description.to_owned()));
        let Some(row) = by_slug.get(c.slug) else {
            let row = pose_categories::ActiveModel {
                id: Set(new_id()),
                name: Set(c.slug.to_owned()),
                display_name: Set(c.display_name.to_owned()),
                description: Set(description),
                slug: Set(c.slug.to_owned()),
                parent_id: Set(parent_id),
                icon: Set(c.icon.to_owned()),
                display_order: Set(c.display_order),
                color: Set(color),
                // Computed on read by the API; the stored column is not trusted.
                pose_count: Set(0),
                is_active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            by_slug.insert(row.slug.clone(), row);
            counts.inserted += 1;
            continue;
        };
        let same = row.name == c.slug
            && row.display_name == c.display_name
            && row.description == description
            && row.parent_id == parent_id
            && row.icon == c.icon
            && row.display_order == c.display_order
            && row.color == color
            && row.is_active;
        if same {
            counts.unchanged += 1;
            continue;
        }
        // Only the descriptive fields; the id, poseCount and createdAt are kept.
        pose_categories::ActiveModel {
            id: Unchanged(row.id.clone()),
            name: Set(c.slug.to_owned()),
            display_name: Set(c.display_name.to_owned()),
            description: Set(description),
            slug: NotSet,
            parent_id: Set(parent_id),
            icon: Set(c.icon.to_owned()),
            display_order: Set(c.display_order),
            color: Set(color),
            pose_count: NotSet,
            is_active: Set(true),
            created_at: NotSet,
            updated_at: Set(now),
        }
        .update(&txn)
        .await?;
        counts.updated += 1;
    }
    txn.commit().await?;
    Ok(counts)
}

/// Upserts the 84 library poses by (category, `name`). Counters (`usageCount`,
/// `favoriteCount`, `ratingAvg`, `popularityScore`) are set only on insert.
async fn seed_library_poses(db: &DatabaseConnection) -> Result<GroupCounts, DbErr> {
    let txn = db.begin().await?;
    let category_ids: HashMap<String, String> = pose_categories::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.slug, c.id))
        .collect();
    let mut by_key: HashMap<(String, String), Vec<pose_library::Model>> = HashMap::new();
    for row in pose_library::Entity::find().all(&txn).await? {
        by_key
            .entry((row.category_id.clone(), row.name.clone()))
            .or_default()
            .push(row);
    }
    let now = crate::deploy::ledger::now();
    let mut counts = GroupCounts::default();
    for p in &LIBRARY_POSES {
        let category_id = category_ids
            .get(p.category)
            .cloned()
            .ok_or_else(|| DbErr::Custom(format!("pose category {:?} is missing", p.category)))?;
        let (preview, thumbnail, controlnet) =
            (p.preview_url(), Some(p.thumbnail_url()), p.controlnet_url());
        let description = Some(p.description.to_owned());
        let tags = TextList::new(p.tags.iter().copied());
        let key = (category_id.clone(), p.name.to_owned());
        let Some(rows) = by_key.get(&key) else {
            pose_library::ActiveModel {
                id: Set(new_id()),
                name: Set(p.name.to_owned()),
                description: Set(description),
                category_id: Set(category_id),
                preview_image_url: Set(preview.clone()),
                reference_image_url: Set(preview),
                controlnet_image_url: Set(controlnet),
                thumbnail_url: Set(thumbnail),
                difficulty: Set(p.difficulty.as_str().to_owned()),
                gender_suitability: Set(p.gender.as_str().to_owned()),
                tags: Set(tags),
                source_type: Set("curated".to_owned()),
                source_credit: Set(None),
                license_type: Set("platform".to_owned()),
                usage_count: Set(0),
                favorite_count: Set(0),
                rating_avg: Set(0.0),
                popularity_score: Set(0),
                is_public: Set(true),
                is_featured: Set(p.featured),
                is_premium: Set(p.premium),
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
            let same = row.description == description
                && row.preview_image_url == preview
                && row.reference_image_url == preview
                && row.controlnet_image_url == controlnet
                && row.thumbnail_url == thumbnail
                && row.difficulty == p.difficulty.as_str()
                && row.gender_suitability == p.gender.as_str()
                && row.tags == tags
                && row.source_type == "curated"
                && row.source_credit.is_none()
                && row.license_type == "platform"
                && row.is_public
                && row.is_featured == p.featured
                && row.is_premium == p.premium;
            if same {
                continue;
            }
            pose_library::ActiveModel {
                id: Unchanged(row.id.clone()),
                name: NotSet,
                description: Set(description.clone()),
                category_id: NotSet,
                preview_image_url: Set(preview.clone()),
                reference_image_url: Set(preview.clone()),
                controlnet_image_url: Set(controlnet.clone()),
                thumbnail_url: Set(thumbnail.clone()),
                difficulty: Set(p.difficulty.as_str().to_owned()),
                gender_suitability: Set(p.gender.as_str().to_owned()),
                tags: Set(tags.clone()),
                source_type: Set("curated".to_owned()),
                source_credit: Set(None),
                license_type: Set("platform".to_owned()),
                usage_count: NotSet,
                favorite_count: NotSet,
                rating_avg: NotSet,
                popularity_score: NotSet,
                is_public: Set(true),
                is_featured: Set(p.featured),
                is_premium: Set(p.premium),
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

pub use crate::ids::new_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pose_has_its_own_skeleton_and_the_archetypes_vary() {
        let skeletons: Vec<Skeleton> = LIBRARY_POSES.iter().map(|p| skeleton_for(p.name)).collect();
        for (i, a) in skeletons.iter().enumerate() {
            for (j, b) in skeletons.iter().enumerate().skip(i + 1) {
                assert_ne!(
                    a.keypoints, b.keypoints,
                    "{} and {}",
                    LIBRARY_POSES[i].name, LIBRARY_POSES[j].name
                );
            }
        }
        let archetypes: HashSet<_> = skeletons.iter().map(|s| s.archetype).collect();
        assert!(
            archetypes.len() >= 35,
            "{} archetypes in use",
            archetypes.len()
        );
        // The documented sample rows get the body position their description names.
        use skeleton::Archetype as A;
        for (name, archetype) in [
            ("Classic Business Headshot", A::ArmsCrossed),
            ("Running Mid-Stride", A::Running),
            ("Tree Pose Yoga", A::YogaTree),
            ("Plank Position Strong", A::Plank),
            ("Meditation Seated", A::Meditation),
            ("Fashion Model T-Pose", A::TPose),
            ("Bicep Flex Fitness", A::BicepFlex),
            ("Comfortable Sitting Cross-Legged", A::SittingCrossLegged),
        ] {
            assert_eq!(skeleton_for(name).archetype, archetype, "{name}");
        }
    }

    #[test]
    fn pose_urls_and_paths_agree() {
        let pose = &LIBRARY_POSES[0];
        assert_eq!(pose.slug(), "classic-business-headshot");
        assert_eq!(
            pose.preview_url(),
            "/presets/pose-generator/classic-business-headshot.jpg"
        );
        assert_eq!(
            pose.thumbnail_url(),
            "/presets/pose-generator/classic-business-headshot_thumb.jpg"
        );
        assert_eq!(
            pose.controlnet_url(),
            "/presets/pose-generator/classic-business-headshot_pose.png"
        );
        let paths = pose_images::PoseImagePaths::of(Path::new("/srv/presets"), pose);
        for (path, url) in paths.all().into_iter().zip([
            pose.preview_url(),
            pose.thumbnail_url(),
            pose.controlnet_url(),
        ]) {
            assert_eq!(
                path,
                Path::new("/srv").join(url.trim_start_matches('/')),
                "{url}"
            );
        }
        assert_eq!(poses::category("fitness-gym").unwrap().color(), "#F59E0B");
    }

    #[test]
    fn descriptions_must_be_one_sentence() {
        assert!(one_sentence("A pose with arms crossed."));
        assert!(!one_sentence("a pose."));
        assert!(!one_sentence("A pose. Another one."));
        assert!(!one_sentence("A pose without a full stop"));
    }

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
