//! The caller's avatars (api.md §6.10–§6.14): list, get with project, update persona
//! and visual fields, delete, usage history.

use entity::{avatar_projects, avatar_usage_history, avatars};
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::error::AvatarCreatorError;
use super::persona;
use crate::error::FieldErrors;
use crate::ids;
use crate::timestamp;

/// The validated text fields of an avatar (upload, generation).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvatarFields {
    pub name: String,
    pub persona_name: Option<String>,
    pub persona_age: Option<i32>,
    /// Compact JSON text, e.g. `["a","b"]`.
    pub persona_personality: Option<String>,
    pub persona_background: Option<String>,
    pub gender: Option<String>,
    pub age_range: Option<String>,
    pub ethnicity: Option<String>,
    pub body_type: Option<String>,
    pub hair_style: Option<String>,
    pub hair_color: Option<String>,
    pub eye_color: Option<String>,
    pub skin_tone: Option<String>,
    pub style: Option<String>,
}

/// A validated avatar name: trimmed, 1..100 characters. Every avatar write (upload,
/// generation, update) takes its name through here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvatarName(String);

impl AvatarName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let name = raw.trim();
        match name.chars().count() {
            0 => Err("Avatar name is required"),
            n if n > Self::MAX_CHARS => Err("Avatar name must be at most 100 characters"),
            _ => Ok(Self(name.to_owned())),
        }
    }

    /// Parses `raw` (absent counts as empty), adding the failure to `errors` as `field`.
    pub fn check(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<Self> {
        Self::parse(raw.unwrap_or_default())
            .map_err(|message| errors.add(field, message))
            .ok()
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A new avatar row: who owns it, its validated fields, its stored image and where it
/// came from. Shared by upload and generation, so both write every column alike.
pub struct NewAvatar<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub project_id: &'a str,
    pub fields: AvatarFields,
    pub image: &'a crate::storage::StorageKey,
    pub thumbnail: &'a crate::storage::StorageKey,
    /// `uploaded`, `text_to_image` or `from_preset`.
    pub source_type: &'a str,
    pub generation_prompt: Option<String>,
    pub seed_used: Option<i32>,
    pub now: chrono::NaiveDateTime,
}

impl NewAvatar<'_> {
    pub fn into_active_model(self) -> avatars::ActiveModel {
        let f = self.fields;
        avatars::ActiveModel {
            id: Set(self.id.to_owned()),
            user_id: Set(self.user_id.to_owned()),
            project_id: Set(self.project_id.to_owned()),
            name: Set(f.name),
            base_image_url: Set(self.image.url()),
            thumbnail_url: Set(Some(self.thumbnail.url())),
            persona_name: Set(f.persona_name),
            persona_age: Set(f.persona_age),
            persona_personality: Set(f.persona_personality),
            persona_background: Set(f.persona_background),
            gender: Set(f.gender),
            age_range: Set(f.age_range),
            ethnicity: Set(f.ethnicity),
            body_type: Set(f.body_type),
            hair_style: Set(f.hair_style),
            hair_color: Set(f.hair_color),
            eye_color: Set(f.eye_color),
            skin_tone: Set(f.skin_tone),
            style: Set(f.style),
            source_type: Set(self.source_type.to_owned()),
            generation_prompt: Set(self.generation_prompt),
            seed_used: Set(self.seed_used),
            usage_count: Set(0),
            last_used_at: Set(None),
            created_at: Set(self.now),
            updated_at: Set(self.now),
        }
    }
}

/// The caller's avatar, or 404.
pub async fn find_owned(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
) -> Result<avatars::Model, AvatarCreatorError> {
    if !ids::is_plausible(id) {
        return Err(AvatarCreatorError::AvatarNotFound);
    }
    avatars::Entity::find_by_id(id)
        .filter(avatars::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(AvatarCreatorError::AvatarNotFound)
}

/// The caller's avatars, newest first; only one project's when `project_id` is given
/// (a foreign or unknown project simply yields nothing).
pub async fn list(
    db: &DatabaseConnection,
    user_id: &str,
    project_id: Option<&str>,
) -> Result<Vec<avatars::Model>, AvatarCreatorError> {
    let mut query = avatars::Entity::find().filter(avatars::Column::UserId.eq(user_id));
    if let Some(project_id) = project_id {
        query = query.filter(avatars::Column::ProjectId.eq(project_id));
    }
    Ok(query
        .order_by_desc(avatars::Column::CreatedAt)
        .order_by_asc(avatars::Column::Id)
        .all(db)
        .await?)
}

/// The avatar with its project.
pub async fn get(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
) -> Result<(avatars::Model, avatar_projects::Model), AvatarCreatorError> {
    let avatar = find_owned(db, user_id, id).await?;
    let project = avatar_projects::Entity::find_by_id(avatar.project_id.as_str())
        .one(db)
        .await?
        .ok_or(AvatarCreatorError::AvatarNotFound)?;
    Ok((avatar, project))
}

/// A change to one nullable field: `None` = absent (unchanged), `Some(None)` = clear.
pub type Change<T> = Option<Option<T>>;

/// An avatar update as sent: the name and the shared persona and visual fields.
#[derive(Debug, Default)]
pub struct AvatarUpdate {
    /// `Some(None)` (a `null`) is refused: the name cannot be cleared.
    pub name: Change<String>,
    pub persona_name: Change<String>,
    pub persona_age: Change<i32>,
    pub persona_personality: Change<Vec<String>>,
    pub persona_background: Change<String>,
    pub gender: Change<String>,
    pub age_range: Change<String>,
    /// The free-text visual fields, by request field name (see [`persona::FREE_TEXT`]).
    pub visual: Vec<(&'static str, Change<String>)>,
}

fn text_change(
    errors: &mut FieldErrors,
    field: &str,
    change: &Change<String>,
    max: usize,
) -> Change<String> {
    change
        .as_ref()
        .map(|value| persona::text(errors, field, value.as_deref(), max))
}

/// Validates and applies an update; returns the avatar unchanged when nothing changes.
pub async fn update(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
    update: AvatarUpdate,
) -> Result<avatars::Model, AvatarCreatorError> {
    let mut errors = FieldErrors::new();
    let name = match &update.name {
        None => None,
        Some(None) => {
            errors.add("name", "Avatar name cannot be cleared");
            None
        }
        Some(Some(raw)) => AvatarName::check(&mut errors, "name", Some(raw.as_str())),
    };
    let persona_name = text_change(&mut errors, "personaName", &update.persona_name, 100);
    let persona_background = text_change(
        &mut errors,
        "personaBackground",
        &update.persona_background,
        500,
    );
    let persona_age = update.persona_age.map(|age| persona::age(&mut errors, age));
    let persona_personality = update
        .persona_personality
        .as_ref()
        .map(|traits| persona::personality(&mut errors, traits.as_deref()));
    let gender = update
        .gender
        .as_ref()
        .map(|g| persona::one_of(&mut errors, "gender", g.as_deref(), &persona::GENDERS));
    let age_range = update
        .age_range
        .as_ref()
        .map(|a| persona::one_of(&mut errors, "ageRange", a.as_deref(), &persona::AGE_RANGES));
    let visual: Vec<(&str, Change<String>)> = update
        .visual
        .iter()
        .map(|(field, change)| (*field, text_change(&mut errors, field, change, 50)))
        .collect();
    if !errors.is_empty() {
        return Err(AvatarCreatorError::Invalid(errors));
    }

    let avatar = find_owned(db, user_id, id).await?;
    let mut active: avatars::ActiveModel = avatar.clone().into();
    if let Some(name) = name {
        active.name = Set(name.into_inner());
    }
    if let Some(v) = persona_name {
        active.persona_name = Set(v);
    }
    if let Some(v) = persona_age {
        active.persona_age = Set(v);
    }
    if let Some(v) = persona_personality {
        active.persona_personality = Set(v);
    }
    if let Some(v) = persona_background {
        active.persona_background = Set(v);
    }
    if let Some(v) = gender {
        active.gender = Set(v);
    }
    if let Some(v) = age_range {
        active.age_range = Set(v);
    }
    for (field, change) in visual {
        let Some(value) = change else { continue };
        match field {
            "ethnicity" => active.ethnicity = Set(value),
            "bodyType" => active.body_type = Set(value),
            "hairStyle" => active.hair_style = Set(value),
            "hairColor" => active.hair_color = Set(value),
            "eyeColor" => active.eye_color = Set(value),
            "skinTone" => active.skin_tone = Set(value),
            "style" => active.style = Set(value),
            other => unreachable!("{other} is not a visual field"),
        }
    }
    if !active.is_changed() {
        return Ok(avatar);
    }
    active.updated_at = Set(timestamp::now());
    // Setting a field to its current value still counts as a change for SeaORM; that is
    // only an `updatedAt` bump, which api.md allows for a field that was sent.
    Ok(active.update(db).await?)
}

/// Deletes the avatar; the database deletes its usage history and unlinks generations
/// and Pose Generator projects (§8.6). Returns its image URLs for removal after commit.
pub async fn delete(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
) -> Result<Vec<String>, AvatarCreatorError> {
    let avatar = find_owned(db, user_id, id).await?;
    let files = std::iter::once(avatar.base_image_url.clone())
        .chain(avatar.thumbnail_url.clone())
        .collect();
    avatars::Entity::delete_by_id(avatar.id).exec(db).await?;
    Ok(files)
}

/// One app's use of an avatar, over all of its history.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageSummary {
    pub app_id: String,
    pub app_name: String,
    pub count: i64,
    pub last_used: chrono::NaiveDateTime,
}

/// The latest `limit` usage rows and a per-app summary over all rows.
/// (avatar id, app id, app name, uses, last use) of the usage summary; the app
/// columns are NULL for an avatar never used.
type SummaryRow = (
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<chrono::NaiveDateTime>,
);

pub async fn usage_history(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
    limit: u64,
) -> Result<(Vec<avatar_usage_history::Model>, Vec<UsageSummary>), AvatarCreatorError> {
    if !ids::is_plausible(id) {
        return Err(AvatarCreatorError::AvatarNotFound);
    }
    // One statement checks ownership and summarises: the caller's avatar left-joined
    // with its uses, grouped by app. No row: not the caller's avatar (404); one row
    // with no app: an avatar never used.
    use avatar_usage_history as uses;
    use migration::sea_orm::sea_query::{Expr, ExprTrait, Query};
    let summary_query = Query::select()
        .column((avatars::Entity, avatars::Column::Id))
        .column((uses::Entity, uses::Column::AppId))
        .column((uses::Entity, uses::Column::AppName))
        .expr(Expr::col((uses::Entity, uses::Column::Id)).count())
        .expr(Expr::col((uses::Entity, uses::Column::CreatedAt)).max())
        .from(avatars::Entity)
        .left_join(
            uses::Entity,
            Expr::col((uses::Entity, uses::Column::AvatarId))
                .equals((avatars::Entity, avatars::Column::Id)),
        )
        .and_where(Expr::col((avatars::Entity, avatars::Column::Id)).eq(id))
        .and_where(Expr::col((avatars::Entity, avatars::Column::UserId)).eq(user_id))
        .group_by_col((avatars::Entity, avatars::Column::Id))
        .group_by_col((uses::Entity, uses::Column::AppId))
        .group_by_col((uses::Entity, uses::Column::AppName))
        .to_owned();
    let grouped = db.query_all(&summary_query).await?;
    if grouped.is_empty() {
        return Err(AvatarCreatorError::AvatarNotFound);
    }
    let mut rows = Vec::with_capacity(grouped.len());
    for row in grouped {
        let (_, app_id, app_name, count, last_used): SummaryRow = row.try_get_many_by_index()?;
        if let (Some(app_id), Some(app_name), Some(last_used)) = (app_id, app_name, last_used) {
            rows.push((app_id, app_name, count, last_used));
        }
    }
    let history = uses::Entity::find()
        .filter(uses::Column::AvatarId.eq(id))
        .order_by_desc(uses::Column::CreatedAt)
        .order_by_desc(uses::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut summary: Vec<UsageSummary> = rows
        .into_iter()
        .map(|(app_id, app_name, count, last_used)| UsageSummary {
            app_id,
            app_name,
            count,
            last_used,
        })
        .collect();
    summary.sort_by(|a, b| b.last_used.cmp(&a.last_used).then(a.app_id.cmp(&b.app_id)));
    Ok((history, summary))
}
