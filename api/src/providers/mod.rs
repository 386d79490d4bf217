//! Image providers (api.md §8.4): every generated image comes through
//! [`ImageProvider`]. The built-in [`local::LocalProvider`] is offline and
//! deterministic; [`http::HttpProvider`] calls a hosted model.

pub mod http;
pub mod local;

use std::{future::Future, pin::Pin};

/// A boxed future, so the trait stays object-safe (`Arc<dyn ImageProvider>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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
}
