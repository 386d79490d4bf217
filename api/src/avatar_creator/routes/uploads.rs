//! `POST /projects/:projectId/avatars/upload` (api.md §6.6): the multipart form, its
//! rules, and the answer. The form is read with the size limits enforced while
//! streaming (413, [`crate::http::body_limit`]); every failing field is reported at once (400).

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi, param::Path, payload::Json, types::multipart::Upload,
};

use crate::avatar_creator::{
    avatars::{AvatarFields, AvatarName},
    persona,
    uploads::{UploadedFile, upload},
    views::AvatarWithProject,
};
use crate::{
    app::AppState,
    auth::BearerAuth,
    error::{ApiError, Errors, FieldErrors},
    http::presence::Required,
    images::{self, MAX_UPLOAD_BYTES},
    openapi::ApiTags,
    vocabulary::{AgeRange, Gender, Word},
};

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
        let name = AvatarName::check(&mut errors, "name", self.name.as_deref());
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
            name: name.map(AvatarName::into_inner).unwrap_or_default(),
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
}
