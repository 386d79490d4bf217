//! Avatar upload (api.md §6.6, §8.12, §8.13): `POST /projects/:projectId/avatars/upload`.
//!
//! Order of checks: auth (401); the form is read with the size limits enforced while
//! streaming (413, [`crate::body_limit`]); form fields, including the presence of `image` (400); project
//! ownership (404); image content (415, then 400); the files are stored; then one
//! transaction charges the credits (402), inserts the avatar and the `app_usages` row.
//! If anything fails after the files were written, they are removed again, so a
//! refused upload leaves no file and no row.

use crate::{
    presence::Required,
    vocabulary::{AgeRange, Gender, Word},
};
use entity::{avatar_projects, avatars, users};
use std::sync::Arc;

use migration::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QuerySelect, sea_query::LockType,
};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi, param::Path, payload::Json, types::multipart::Upload,
};

use super::{persona, projects, views::AvatarWithProject};
use crate::{
    app::AppState,
    auth::BearerAuth,
    credits::ledger,
    error::{ApiError, Errors, FieldErrors},
    ids,
    images::{self, MAX_UPLOAD_BYTES},
    openapi::ApiTags,
    storage::{Storage, StorageKey},
    timestamp,
};

/// `app_usages.appId` and `action` of an upload (api.md §8.2.3).
pub const APP_ID: &str = "avatar-creator";
pub const ACTION: &str = "upload_avatar";

/// Whether `users.userTags` (JSON text, an array of strings) contains
/// `enterprise_unlimited`. Malformed JSON means no tags (api.md §8.2.4).
pub fn is_enterprise_unlimited(user_tags: Option<&str>) -> bool {
    user_tags
        .and_then(|text| serde_json::from_str::<Vec<serde_json::Value>>(text).ok())
        .is_some_and(|tags| tags.iter().any(|t| t == "enterprise_unlimited"))
}

/// The `multipart/form-data` body. Empty text parts count as absent; unknown parts
/// are ignored.
#[derive(Multipart, Debug)]
#[oai(rename_all = "camelCase")]
pub struct UploadAvatarForm {
    /// Required. One JPEG, PNG or WebP file, at most 10 MiB (10485760 bytes),
    /// 256..4096 pixels per side. The file name's extension must match the content
    /// (`.jpg`/`.jpeg`, `.png`, `.webp`); the name is used for nothing else.
    pub image: Required<Upload>,
    /// Required. 1..100 characters after trimming.
    pub name: Required<String>,
    /// At most 100 characters.
    pub persona_name: Option<String>,
    /// 1..120 (sent as decimal text, as every multipart value).
    pub persona_age: Option<Word<i32>>,
    /// Text holding a JSON array of strings, e.g. `["friendly","professional"]`: at
    /// most 10 items, each 1..50 characters.
    pub persona_personality: Option<String>,
    /// At most 500 characters.
    pub persona_background: Option<String>,
    pub gender: Option<Word<Gender>>,
    pub age_range: Option<Word<AgeRange>>,
    /// At most 50 characters.
    pub ethnicity: Option<String>,
    /// At most 50 characters.
    pub body_type: Option<String>,
    /// At most 50 characters.
    pub hair_style: Option<String>,
    /// At most 50 characters.
    pub hair_color: Option<String>,
    /// At most 50 characters.
    pub eye_color: Option<String>,
    /// At most 50 characters.
    pub skin_tone: Option<String>,
    /// At most 50 characters.
    pub style: Option<String>,
}

/// The validated text fields of an upload.
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

impl UploadAvatarForm {
    /// The form rules of api.md §6.6 (every failing field reported at once), and the
    /// image part. A file over the limit is a 413, before any field rule.
    pub fn validate(self) -> Result<(AvatarFields, Upload), ApiError> {
        if self
            .image
            .as_ref()
            .is_some_and(|i| i.size() > MAX_UPLOAD_BYTES)
        {
            return Err(images::payload_too_large());
        }
        let mut errors = FieldErrors::new();
        let image = self.image.into_option();
        if image.is_none() {
            errors.add("image", "Image file is required");
        }
        let name = match self.name.as_deref().map(str::trim).unwrap_or_default() {
            "" => {
                errors.add("name", "Avatar name is required");
                None
            }
            n if n.chars().count() > 100 => {
                errors.add("name", "Must be at most 100 characters");
                None
            }
            n => Some(n.to_owned()),
        };
        let persona_age = match self.persona_age.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => match text.parse::<i32>() {
                Ok(age) => persona::age(&mut errors, Some(age)),
                Err(_) => {
                    errors.add("personaAge", "Must be an integer between 1 and 120");
                    None
                }
            },
        };
        let persona_personality = match self.persona_personality.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => match serde_json::from_str::<Vec<String>>(text) {
                Ok(traits) => persona::personality(&mut errors, Some(&traits)),
                Err(_) => {
                    errors.add("personaPersonality", "Must be a JSON array of strings");
                    None
                }
            },
        };
        let fields = AvatarFields {
            name: name.unwrap_or_default(),
            persona_age,
            persona_personality,
            ..persona::texts(
                &mut errors,
                persona::Texts {
                    persona_name: self.persona_name.as_deref(),
                    persona_background: self.persona_background.as_deref(),
                    gender: self.gender.as_deref(),
                    age_range: self.age_range.as_deref(),
                    ethnicity: self.ethnicity.as_deref(),
                    body_type: self.body_type.as_deref(),
                    hair_style: self.hair_style.as_deref(),
                    hair_color: self.hair_color.as_deref(),
                    eye_color: self.eye_color.as_deref(),
                    skin_tone: self.skin_tone.as_deref(),
                    style: self.style.as_deref(),
                },
            )
        };
        match image {
            Some(image) if errors.is_empty() => Ok((fields, image)),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

/// The `image` part as received.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub bytes: Vec<u8>,
    /// The client's file name: only its extension is checked, it is never stored.
    pub file_name: Option<String>,
}

/// What an accepted upload produced.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub avatar: avatars::Model,
    pub project: avatar_projects::Model,
    pub credit_used: i32,
    pub credit_balance: i32,
}

/// The service behind the route, after the form was validated: ownership (404),
/// content (415/400), files, then the charge transaction (402). `cost` is the
/// configured price; users tagged `enterprise_unlimited` pay 0.
pub async fn upload(
    db: &DatabaseConnection,
    storage: &Storage,
    cost: i32,
    user: &users::Model,
    project_id: &str,
    fields: AvatarFields,
    file: UploadedFile,
) -> Result<Uploaded, ApiError> {
    projects::find_owned(db, &user.id, project_id).await?;

    let bytes: Arc<[u8]> = file.bytes.into();
    let image = images::validate_blocking(bytes.clone(), file.file_name).await?;

    let original = StorageKey::avatar_original(&user.id, image.kind.extension())
        .ok_or_else(|| ApiError::internal(format!("user id {:?} is not a plain id", user.id)))?;
    let thumbnail = original.thumbnail_of();
    let stored = async {
        storage.put(&original, image.stored).await?;
        storage.put(&thumbnail, image.thumbnail_jpeg).await
    }
    .await;
    let cost = super::price_for(user, cost);
    let result = match stored {
        Ok(()) => {
            create(
                db, &user.id, project_id, fields, &original, &thumbnail, cost,
            )
            .await
        }
        Err(err) => Err(ApiError::internal(err)),
    };
    if result.is_err() {
        for key in [&original, &thumbnail] {
            if let Err(err) = storage.delete(key).await {
                tracing::warn!(key = key.as_str(), error = %err, "could not remove an uploaded file");
            }
        }
    }
    result
}

/// One transaction: the charge (locking the user's balance), the project lock, the
/// avatar and the app-usage row. Dropped without commit on any error.
async fn create(
    db: &DatabaseConnection,
    user_id: &str,
    project_id: &str,
    fields: AvatarFields,
    original: &StorageKey,
    thumbnail: &StorageKey,
    cost: i32,
) -> Result<Uploaded, ApiError> {
    let avatar_id = ids::new_id();
    let txn = ledger::begin(db).await?;
    let credit_balance = ledger::charge(
        &txn,
        user_id,
        cost,
        format!("{APP_ID}: {ACTION}"),
        &avatar_id,
    )
    .await?;
    let project = lock_project(&txn, user_id, project_id).await?;
    let now = timestamp::now();
    let avatar = super::avatars::NewAvatar {
        id: &avatar_id,
        user_id,
        project_id: &project.id,
        fields,
        image: original,
        thumbnail,
        source_type: "uploaded",
        generation_prompt: None,
        seed_used: None,
        now,
    }
    .into_active_model()
    .insert(&txn)
    .await?;
    let metadata = serde_json::json!({ "avatarId": avatar_id, "projectId": project.id });
    crate::credits::record_usage(&txn, user_id, APP_ID, ACTION, cost, metadata, now).await?;
    txn.commit().await?;
    Ok(Uploaded {
        avatar,
        project,
        credit_used: cost,
        credit_balance,
    })
}

/// The project row, locked `FOR SHARE` on PostgreSQL so it cannot be deleted while the
/// avatar is being added (api.md §8.2.5); gone meanwhile → 404.
pub(super) async fn lock_project(
    txn: &DatabaseTransaction,
    user_id: &str,
    project_id: &str,
) -> Result<avatar_projects::Model, ApiError> {
    let mut query = avatar_projects::Entity::find_by_id(project_id)
        .filter(avatar_projects::Column::UserId.eq(user_id));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock(LockType::Share);
    }
    query
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound("Project not found".into()))
}

pub struct AvatarUploadApi;

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct AvatarUploaded {
    pub message: String,
    pub avatar: AvatarWithProject,
    pub credit_used: i32,
    pub credit_balance: i32,
}

#[derive(ApiResponse)]
pub enum UploadAvatarResponse {
    /// The new avatar, with its project, and the credits charged.
    #[oai(status = 201)]
    Created(Json<AvatarUploaded>),
}

#[OpenApi(
    prefix_path = "/api/apps/avatar-creator",
    tag = "ApiTags::AvatarCreator"
)]
impl AvatarUploadApi {
    /// Upload an avatar
    ///
    /// Creates an avatar from an uploaded image (JPEG, PNG or WebP, at most 10 MiB,
    /// 256..4096 pixels per side) and stores it with a 300×300 JPEG thumbnail. Costs
    /// `COST_AVATAR_UPLOAD` credits (default 2; 0 for `enterprise_unlimited`). The
    /// image content is checked after project ownership: 404 comes before 415/400.
    #[oai(
        path = "/projects/:projectId/avatars/upload",
        method = "post",
        operation_id = "avatarCreatorUploadAvatar"
    )]
    async fn upload_avatar(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "projectId")] project_id: Path<String>,
        form: UploadAvatarForm,
    ) -> Result<UploadAvatarResponse, Errors<400, 401, 402, 404, 413, 415, 429>> {
        let (fields, image) = form.validate()?;
        let file_name = image.file_name().map(ToOwned::to_owned);
        let bytes = image.into_vec().await.map_err(ApiError::internal)?;
        let uploaded = upload(
            &state.db,
            &state.storage,
            state.config.costs.avatar_upload,
            &auth.0,
            &project_id,
            fields,
            UploadedFile { bytes, file_name },
        )
        .await?;
        Ok(UploadAvatarResponse::Created(Json(AvatarUploaded {
            message: "Avatar uploaded successfully".into(),
            avatar: AvatarWithProject {
                avatar: uploaded.avatar.into(),
                project: uploaded.project.into(),
            },
            credit_used: uploaded.credit_used,
            credit_balance: uploaded.credit_balance,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> UploadAvatarForm {
        UploadAvatarForm {
            image: Required(None),
            name: Required(Some("  Sarah ".into())),
            persona_name: None,
            persona_age: None,
            persona_personality: None,
            persona_background: None,
            gender: None,
            age_range: None,
            ethnicity: None,
            body_type: None,
            hair_style: None,
            hair_color: None,
            eye_color: None,
            skin_tone: None,
            style: None,
        }
    }

    fn details(err: ApiError) -> serde_json::Value {
        serde_json::to_value(err.details().unwrap()).unwrap()
    }

    #[test]
    fn the_image_and_a_name_are_required() {
        let mut f = form();
        f.name = Required(Some("   ".into()));
        let d = details(f.validate().unwrap_err());
        assert_eq!(d["image"][0], "Image file is required");
        assert_eq!(d["name"][0], "Avatar name is required");
    }

    #[test]
    fn text_fields_follow_the_shared_rules() {
        let mut f = form();
        f.persona_age = Some("abc".into());
        f.persona_personality = Some("friendly".into());
        f.gender = Some("robot".into());
        f.style = Some("x".repeat(51));
        let d = details(f.validate().unwrap_err());
        assert_eq!(d["personaAge"][0], "Must be an integer between 1 and 120");
        assert_eq!(
            d["personaPersonality"][0],
            "Must be a JSON array of strings"
        );
        assert_eq!(
            d["gender"][0],
            "Invalid enum value. Expected 'male' | 'female' | 'unisex'"
        );
        assert!(d.get("style").is_some());

        let mut f = form();
        f.persona_age = Some("121".into());
        assert!(
            details(f.validate().unwrap_err())
                .get("personaAge")
                .is_some()
        );
    }

    #[test]
    fn enterprise_tag_is_read_from_json_text() {
        assert!(is_enterprise_unlimited(Some(
            r#"["beta","enterprise_unlimited"]"#
        )));
        assert!(!is_enterprise_unlimited(Some(r#"["beta"]"#)));
        assert!(!is_enterprise_unlimited(Some("enterprise_unlimited")));
        assert!(!is_enterprise_unlimited(Some(
            r#"{"enterprise_unlimited":true}"#
        )));
        assert!(!is_enterprise_unlimited(None));
    }
}
