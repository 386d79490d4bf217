//! The public catalogues (api.md §6.15–§6.17): avatar presets and persona examples.

use entity::{avatar_presets, persona_examples};
use migration::sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::error::AvatarCreatorError;
use crate::error::FieldErrors;
use crate::ids;

pub const PRESET_CATEGORIES: [&str; 5] =
    ["professional", "casual", "sports", "fashion", "traditional"];
pub const PERSONA_CATEGORIES: [&str; 4] = ["business", "creative", "lifestyle", "healthcare"];

fn category(raw: Option<&str>, allowed: &[&str]) -> Result<Option<String>, AvatarCreatorError> {
    let mut errors = FieldErrors::new();
    let value = super::persona::one_of(&mut errors, "category", raw, allowed);
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(AvatarCreatorError::Invalid(errors))
    }
}

/// Public presets, most used first.
pub async fn presets(
    db: &DatabaseConnection,
    raw_category: Option<&str>,
) -> Result<Vec<avatar_presets::Model>, AvatarCreatorError> {
    let category = category(raw_category, &PRESET_CATEGORIES)?;
    let mut query =
        avatar_presets::Entity::find().filter(avatar_presets::Column::IsPublic.eq(true));
    if let Some(category) = category {
        query = query.filter(avatar_presets::Column::Category.eq(category));
    }
    Ok(query
        .order_by_desc(avatar_presets::Column::UsageCount)
        .order_by_desc(avatar_presets::Column::CreatedAt)
        .order_by_asc(avatar_presets::Column::Id)
        .all(db)
        .await?)
}

/// One public preset; a missing or non-public one is 404.
pub async fn preset(
    db: &DatabaseConnection,
    id: &str,
) -> Result<avatar_presets::Model, AvatarCreatorError> {
    if !ids::is_plausible(id) {
        return Err(AvatarCreatorError::PresetNotFound);
    }
    avatar_presets::Entity::find_by_id(id)
        .filter(avatar_presets::Column::IsPublic.eq(true))
        .one(db)
        .await?
        .ok_or(AvatarCreatorError::PresetNotFound)
}

/// Active persona examples in display order.
pub async fn persona_examples(
    db: &DatabaseConnection,
    raw_category: Option<&str>,
) -> Result<Vec<persona_examples::Model>, AvatarCreatorError> {
    let category = category(raw_category, &PERSONA_CATEGORIES)?;
    let mut query =
        persona_examples::Entity::find().filter(persona_examples::Column::IsActive.eq(true));
    if let Some(category) = category {
        query = query.filter(persona_examples::Column::Category.eq(category));
    }
    Ok(query
        .order_by_asc(persona_examples::Column::DisplayOrder)
        .order_by_asc(persona_examples::Column::Name)
        .order_by_asc(persona_examples::Column::Id)
        .all(db)
        .await?)
}
