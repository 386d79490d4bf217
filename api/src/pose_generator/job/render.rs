//! One variation's image: the provider's answer, the background step, and the stored
//! original with its thumbnail and export renditions.

use std::time::Instant;

use entity::pose_generations;
use image::DynamicImage;

use super::{BACKGROUND_FAILED, Outcome, THUMBNAIL_SIDE};
use crate::app::AppState;
use crate::images::{self, ImageKind};
use crate::pose_generator::formats;
use crate::pose_generator::generate::Background;
use crate::providers::{self, BackgroundRequest, BackgroundSpec, GenerateRequest};
use crate::storage::{LocalStorage, Storage, StorageKey};

/// The bytes behind one of our URLs (`/presets/…` or `/uploads/…`); `None` for
/// anything else — the server never fetches absolute URLs.
pub async fn read_reference(state: &AppState, url: &str) -> Option<Vec<u8>> {
    if let Some(rest) = url.strip_prefix("/presets/") {
        let key = StorageKey::from_relative(rest)?;
        LocalStorage::new(state.config.presets_dir.clone())
            .get(&key)
            .await
            .ok()
            .flatten()
    } else {
        let key = StorageKey::from_url(url)?;
        state.storage.get(&key).await.ok().flatten()
    }
}

/// The provider's answer for one variation, with the background step, stored with its
/// thumbnail and renditions.
pub(super) async fn make_image(
    state: &AppState,
    generation: &pose_generations::Model,
    request: &GenerateRequest,
    background: Option<&Background>,
    formats: &[String],
) -> Outcome {
    let started = Instant::now();
    let provider = state.provider.as_ref();
    let mut bytes = match providers::with_retries(|| provider.generate(request)).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::warn!(generation = generation.id, error = %err, "pose image failed");
            return Outcome::Failed(err.user_message());
        }
    };
    let mut background_changed = false;
    let mut background_error = None;
    if let Some(background) = background {
        let spec = background_spec(state, background).await;
        let change = BackgroundRequest {
            base: request.clone(),
            image: bytes.clone(),
            background: spec,
        };
        match providers::with_retries(|| provider.change_background(&change)).await {
            Ok(changed) => {
                bytes = changed;
                background_changed = true;
            }
            Err(err) => {
                tracing::warn!(generation = generation.id, error = %err, "background step failed");
                background_error = Some(format!("{BACKGROUND_FAILED}: {}", err.user_message()));
            }
        }
    }
    match store(&state.storage, &generation.id, bytes, formats).await {
        Ok((image, thumbnail, exports)) => Outcome::Completed {
            image,
            thumbnail,
            exports,
            background_changed,
            background_error,
            seconds: started.elapsed().as_secs_f64(),
        },
        Err(err) => {
            tracing::error!(
                generation = generation.id,
                error = err,
                "storing a pose image failed"
            );
            Outcome::Failed("The generated image could not be stored".into())
        }
    }
}

/// The provider-level description of a background setting.
pub async fn background_spec(state: &AppState, background: &Background) -> BackgroundSpec {
    match background {
        Background::AiGenerate { prompt } => BackgroundSpec::Prompt(prompt.clone()),
        Background::SolidColor { color } => {
            let hex =
                |i: usize| u8::from_str_radix(color.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
            BackgroundSpec::Color([hex(1), hex(3), hex(5)])
        }
        Background::Upload { url } => BackgroundSpec::Image {
            url: url.clone(),
            bytes: read_reference(state, url).await,
        },
    }
}

/// Stores the image (by its real type), a 400×400 cover thumbnail and one rendition
/// per export format under `poses/<generationId>/`.
pub async fn store(
    storage: &Storage,
    generation_id: &str,
    bytes: Vec<u8>,
    formats: &[String],
) -> Result<
    (
        StorageKey,
        StorageKey,
        serde_json::Map<String, serde_json::Value>,
    ),
    String,
> {
    let kind =
        ImageKind::sniff(&bytes).ok_or("the provider answered something that is not an image")?;
    let image_key =
        StorageKey::pose_image(generation_id, kind.extension()).ok_or("bad generation id")?;
    let thumb_key = image_key.thumbnail_of();
    let formats = formats.to_vec();
    let (bytes, thumbnail, renditions) = tokio::task::spawn_blocking(move || {
        let image = images::decode(&bytes, kind).map_err(|e| e.to_string())?;
        let thumbnail =
            images::cover_thumbnail_jpeg(&image, THUMBNAIL_SIDE).map_err(|e| e.to_string())?;
        let renditions = render_formats(&image, &formats)?;
        Ok::<_, String>((bytes, thumbnail, renditions))
    })
    .await
    .map_err(|e| e.to_string())??;
    let mut written = vec![image_key.clone(), thumb_key.clone()];
    let result = async {
        storage.put(&image_key, bytes).await?;
        storage.put(&thumb_key, thumbnail).await?;
        let mut exports = serde_json::Map::new();
        for (format, data) in renditions {
            match data {
                None => {
                    exports.insert(format, image_key.url().into());
                }
                Some(jpeg) => {
                    let key = image_key
                        .export_of(&format, "jpg")
                        .ok_or_else(|| std::io::Error::other("bad format"))?;
                    storage.put(&key, jpeg).await?;
                    exports.insert(format, key.url().into());
                    written.push(key);
                }
            }
        }
        Ok::<_, std::io::Error>(exports)
    }
    .await;
    match result {
        Ok(exports) => Ok((image_key, thumb_key, exports)),
        Err(err) => {
            for key in &written {
                let _ = storage.delete(key).await;
            }
            Err(err.to_string())
        }
    }
}

/// `(format key, JPEG bytes)`; `None` bytes for `original`.
pub type Renditions = Vec<(String, Option<Vec<u8>>)>;

/// JPEG renditions of `image` for each format key (`None` for `original`, which is
/// the stored image itself).
pub fn render_formats(image: &DynamicImage, keys: &[String]) -> Result<Renditions, String> {
    keys.iter()
        .filter_map(|key| formats::lookup(key))
        .map(|format| match format.size {
            None => Ok((format.key.to_owned(), None)),
            Some((w, h)) => formats::render(image, w, h)
                .map(|jpeg| (format.key.to_owned(), Some(jpeg)))
                .map_err(|e| e.to_string()),
        })
        .collect()
}
