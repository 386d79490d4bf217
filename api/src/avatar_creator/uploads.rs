//! Avatar upload (api.md §6.6, §8.12, §8.13), after the form was read and checked
//! (`routes::uploads`).
//!
//! Order of checks: project ownership (404); image content (415, then 400); the files
//! are stored; then one transaction charges the credits (402), inserts the avatar and
//! the `app_usages` row. If anything fails after the files were written, they are
//! removed again, so a refused upload leaves no file and no row.

use std::sync::Arc;

use entity::{avatar_projects, avatars, users};
use migration::sea_orm::{ActiveModelTrait, DatabaseConnection};

use super::{APP_ID, avatars::AvatarFields, error::AvatarCreatorError, projects};
use crate::{
    credits::ledger,
    ids, images,
    storage::{Storage, StorageKey},
    timestamp,
};

/// The `app_usages.action` of an upload (api.md §8.2.3).
pub const ACTION: &str = "upload_avatar";

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
) -> Result<Uploaded, AvatarCreatorError> {
    projects::find_owned(db, &user.id, project_id).await?;

    let bytes: Arc<[u8]> = file.bytes.into();
    let image = images::validate_blocking(bytes.clone(), file.file_name)
        .await
        .map_err(AvatarCreatorError::internal)??;

    let original =
        StorageKey::avatar_original(&user.id, image.kind.extension()).ok_or_else(|| {
            AvatarCreatorError::internal(format!("user id {:?} is not a plain id", user.id))
        })?;
    let thumbnail = original.thumbnail_of();
    let stored = async {
        storage.put(&original, image.stored).await?;
        storage.put(&thumbnail, image.thumbnail_jpeg).await
    }
    .await;
    let cost = crate::credits::pricing::price_for(user, cost);
    let result = match stored {
        Ok(()) => {
            create(
                db, &user.id, project_id, fields, &original, &thumbnail, cost,
            )
            .await
        }
        Err(err) => Err(AvatarCreatorError::internal(err)),
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
) -> Result<Uploaded, AvatarCreatorError> {
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
    let project = projects::lock_for_avatar(&txn, user_id, project_id).await?;
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
