//! Image providers (api.md §8.4): every generated image comes through
//! [`ImageProvider`]. The built-in [`local::LocalProvider`] is offline and
//! deterministic; [`http::HttpProvider`] calls a hosted model.

pub mod http;
pub mod local;

use std::{future::Future, pin::Pin};

/// A boxed future, so the trait stays object-safe (`Arc<dyn ImageProvider>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The quality suffix that ends every avatar and pose prompt (api.md §8.5).
pub const QUALITY_SUFFIX: &str = "professional studio portrait photo, ultra realistic, high detail, DSLR, 85mm lens, soft studio lighting, shallow depth of field, photorealistic, 8k";

/// The fixed negative prompt (api.md §8.5).
pub const NEGATIVE_PROMPT: &str = "ugly, blurry, low quality, distorted, deformed, bad anatomy, disfigured, poorly drawn face, mutation, extra limbs, bad proportions, cartoon, anime, 3d render, painting, illustration, sketch, plastic, wax figure, mannequin";

/// One text-to-image request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateRequest {
    pub prompt: String,
    pub negative_prompt: String,
    pub width: u32,
    pub height: u32,
    pub seed: u32,
    /// A ControlNet-style pose map (PNG) the figure should follow. Pose guidance is
    /// textual for hosted models in this version (api.md §8.4): only `local` uses it.
    pub pose_map: Option<Vec<u8>>,
}

/// The new background of [`BackgroundRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackgroundSpec {
    /// `ai_generate`: a background described by a prompt.
    Prompt(String),
    /// `solid_color`: `[r, g, b]`.
    Color([u8; 3]),
    /// `upload`: the referenced image if it is one of ours and exists (never fetched
    /// from elsewhere), else only its URL.
    Image { url: String, bytes: Option<Vec<u8>> },
}

impl BackgroundSpec {
    /// The clause the `http` provider appends to the pose prompt (api.md §8.4).
    pub fn prompt_clause(&self) -> String {
        match self {
            Self::Prompt(prompt) => format!(", background: {prompt}"),
            Self::Color([r, g, b]) => format!(", plain #{r:02X}{g:02X}{b:02X} studio background"),
            Self::Image { .. } => ", background matching the provided reference".to_owned(),
        }
    }
}

/// Re-render `base` (the request that produced `image`) with another background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackgroundRequest {
    pub base: GenerateRequest,
    pub image: Vec<u8>,
    pub background: BackgroundSpec,
}

/// Why a provider produced no image. The text is internal (logs, `jobs.lastError`);
/// users see [`ProviderError::user_message`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Worth another try: a timeout, HTTP 429 or 5xx, a model still loading.
    #[error("retryable provider error: {0}")]
    Retryable(String),
    /// Will not succeed on retry.
    #[error("provider error: {0}")]
    Fatal(String),
}

impl ProviderError {
    /// A safe, user-facing reason (no provider bodies, no secrets).
    pub fn user_message(&self) -> String {
        match self {
            Self::Retryable(_) => {
                "The image provider is temporarily unavailable; please try again later".into()
            }
            Self::Fatal(_) => "The image provider could not generate this image".into(),
        }
    }
}

/// A text-to-image backend.
pub trait ImageProvider: Send + Sync {
    /// e.g. `local:deterministic-v1`, recorded in `avatar_generations.options`.
    fn model_key(&self) -> String;
    /// Human-readable model name.
    fn model_name(&self) -> String;
    /// PNG or JPEG bytes of exactly `width`×`height`.
    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
    ) -> BoxFuture<'a, Result<Vec<u8>, ProviderError>>;
    /// The same image with another background, PNG or JPEG of the same size.
    fn change_background<'a>(
        &'a self,
        request: &'a BackgroundRequest,
    ) -> BoxFuture<'a, Result<Vec<u8>, ProviderError>>;
}

/// Tries per image before a retryable error counts as a failure (api.md §8.3.3).
pub const PROVIDER_TRIES: u32 = 3;
/// Pause between those tries.
pub const PROVIDER_RETRY_DELAY: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs `call` until it succeeds, fails for good, or has failed retryably
/// [`PROVIDER_TRIES`] times.
pub async fn with_retries<'a, F>(mut call: F) -> Result<Vec<u8>, ProviderError>
where
    F: FnMut() -> BoxFuture<'a, Result<Vec<u8>, ProviderError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match call().await {
            Err(ProviderError::Retryable(reason)) if tries < PROVIDER_TRIES => {
                tracing::info!(try_number = tries, reason, "retrying the image provider");
                tokio::time::sleep(PROVIDER_RETRY_DELAY).await;
            }
            other => return other,
        }
    }
}
