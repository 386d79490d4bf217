//! The upserts of the four seed groups, each in one transaction and keyed by its
//! natural key: new rows get new ids and every column; existing rows get only the
//! descriptive fields the seed owns rewritten.

use std::collections::HashMap;
use std::hash::Hash;

use entity::{TextList, avatar_presets, persona_examples, pose_categories, pose_library};
use sea_orm_migration::sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ActiveValue::Unchanged,
    DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
};

use super::data::{PERSONA_EXAMPLES, PRESETS};
use super::poses::{CATEGORIES, LIBRARY_POSES};
use super::{GroupCounts, new_id};

pub(super) async fn seed_presets(db: &DatabaseConnection) -> Result<GroupCounts, DbErr> {
    let txn = db.begin().await?;
    let by_name = group_by(avatar_presets::Entity::find().all(&txn).await?, |row| {
        row.name.clone()
    });
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
        counts
            .rewrite_differing(
                rows,
                |row| {
                    row.preview_image_url == url
                        && row.category == p.category
                        && row.persona_template == template
                        && row.visual_attributes == attributes
                        && row.generation_prompt == p.generation_prompt
                        && row.is_public
                },
                async |row: &avatar_presets::Model| {
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
                    Ok(())
                },
            )
            .await?;
    }
    txn.commit().await?;
    Ok(counts)
}

pub(super) async fn seed_persona_examples(db: &DatabaseConnection) -> Result<GroupCounts, DbErr> {
    let txn = db.begin().await?;
    let by_name = group_by(persona_examples::Entity::find().all(&txn).await?, |row| {
        row.name.clone()
    });
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
        counts
            .rewrite_differing(
                rows,
                |row| {
                    row.category == p.category
                        && row.persona_name == p.persona
                        && row.persona_age == p.age
                        && row.persona_personality == personality
                        && row.persona_background == p.background
                        && row.suggested_attributes.as_deref() == Some(attributes.as_str())
                        && row.display_order == p.display_order
                        && row.is_active
                },
                async |row: &persona_examples::Model| {
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
                    Ok(())
                },
            )
            .await?;
    }
    txn.commit().await?;
    Ok(counts)
}

/// Upserts the 28 pose categories by `slug`, parents first so that every
/// sub-category's `parentId` is the id its parent has (or just got).
pub(super) async fn seed_pose_categories(db: &DatabaseConnection) -> Result<GroupCounts, DbErr> {
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
pub(super) async fn seed_library_poses(db: &DatabaseConnection) -> Result<GroupCounts, DbErr> {
    let txn = db.begin().await?;
    let category_ids: HashMap<String, String> = pose_categories::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.slug, c.id))
        .collect();
    let by_key = group_by(pose_library::Entity::find().all(&txn).await?, |row| {
        (row.category_id.clone(), row.name.clone())
    });
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
        counts
            .rewrite_differing(
                rows,
                |row| {
                    row.description == description
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
                        && row.is_premium == p.premium
                },
                async |row: &pose_library::Model| {
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
                    Ok(())
                },
            )
            .await?;
    }
    txn.commit().await?;
    Ok(counts)
}

/// Rows grouped by their natural key. A key may have several rows (the seed's tables
/// have no unique constraint on it): each of them is kept in step with the seed.
fn group_by<K: Eq + Hash, R>(rows: Vec<R>, key: impl Fn(&R) -> K) -> HashMap<K, Vec<R>> {
    let mut by_key: HashMap<K, Vec<R>> = HashMap::new();
    for row in rows {
        by_key.entry(key(&row)).or_default().push(row);
    }
    by_key
}

impl GroupCounts {
    /// Rewrites the rows of one seed item that differ from it (`same` is false), then
    /// counts the item as updated if any did, else as unchanged.
    async fn rewrite_differing<R>(
        &mut self,
        rows: &[R],
        same: impl Fn(&R) -> bool,
        mut rewrite: impl AsyncFnMut(&R) -> Result<(), DbErr>,
    ) -> Result<(), DbErr> {
        let mut changed = false;
        for row in rows {
            if same(row) {
                continue;
            }
            rewrite(row).await?;
            changed = true;
        }
        if changed {
            self.updated += 1;
        } else {
            self.unchanged += 1;
        }
        Ok(())
    }
}
