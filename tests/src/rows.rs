//! Minimal rows for tests that need data in place without going through the API.

use chrono::NaiveDateTime;
use entity::avatars;
use migration::sea_orm::ActiveValue::Set;

/// An uploaded avatar with only the required fields: every persona and attribute field
/// empty, never used.
pub fn uploaded_avatar(
    id: &str,
    user_id: &str,
    project_id: &str,
    name: &str,
    base_image_url: &str,
    at: NaiveDateTime,
) -> avatars::ActiveModel {
    avatars::ActiveModel {
        id: Set(id.into()),
        user_id: Set(user_id.into()),
        project_id: Set(project_id.into()),
        name: Set(name.into()),
        base_image_url: Set(base_image_url.into()),
        thumbnail_url: Set(None),
        persona_name: Set(None),
        persona_age: Set(None),
        persona_personality: Set(None),
        persona_background: Set(None),
        gender: Set(None),
        age_range: Set(None),
        ethnicity: Set(None),
        body_type: Set(None),
        hair_style: Set(None),
        hair_color: Set(None),
        eye_color: Set(None),
        skin_tone: Set(None),
        style: Set(None),
        source_type: Set("uploaded".into()),
        generation_prompt: Set(None),
        seed_used: Set(None),
        usage_count: Set(0),
        last_used_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
}
