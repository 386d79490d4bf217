//! The offline `local` provider (api.md §8.4): a synthetic figure on a patterned
//! background, derived only from (prompt, width, height, seed), so the same request
//! always gives byte-identical PNG output. No network, no model. The pictures are
//! drawn by [`render::picture`]; this module picks their palette and backdrop, and
//! injects the test faults.

use std::{collections::HashSet, sync::Mutex, time::Duration};

use image::{Rgb, codecs::png::PngEncoder};
use render::picture::{Backdrop, Palette, picture};
use sha2::{Digest, Sha256};

use super::{
    BackgroundRequest, BackgroundSpec, BoxFuture, GenerateRequest, ImageProvider, ProviderError,
};

pub struct LocalProvider {
    delay: Duration,
    faults: bool,
    /// `[flaky]` requests that already failed once.
    flaky_seen: Mutex<HashSet<(String, u32)>>,
}

impl LocalProvider {
    /// `delay_ms`: latency added per image (`LOCAL_PROVIDER_DELAY_MS`); `faults`:
    /// `[fail]` / `[flaky]` in a prompt inject failures (`LOCAL_PROVIDER_FAULTS`).
    pub fn new(delay_ms: u64, faults: bool) -> Self {
        Self {
            delay: Duration::from_millis(delay_ms),
            faults,
            flaky_seen: Mutex::new(HashSet::new()),
        }
    }

    fn injected_fault(&self, request: &GenerateRequest) -> Option<ProviderError> {
        if !self.faults {
            return None;
        }
        if request.prompt.contains("[fail]") {
            return Some(ProviderError::Fatal(
                "local provider: injected failure".into(),
            ));
        }
        if request.prompt.contains("[flaky]") {
            let key = (request.prompt.clone(), request.seed);
            let mut seen = self.flaky_seen.lock().unwrap_or_else(|e| e.into_inner());
            if seen.insert(key) {
                return Some(ProviderError::Retryable(
                    "local provider: injected transient failure".into(),
                ));
            }
        }
        None
    }
}

impl ImageProvider for LocalProvider {
    fn model_key(&self) -> String {
        "local:deterministic-v1".into()
    }

    fn model_name(&self) -> String {
        "Local deterministic renderer".into()
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
    ) -> BoxFuture<'a, Result<Vec<u8>, ProviderError>> {
        Box::pin(async move {
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            if let Some(fault) = self.injected_fault(request) {
                return Err(fault);
            }
            let request = request.clone();
            tokio::task::spawn_blocking(move || render(&request, None))
                .await
                .map_err(|e| ProviderError::Fatal(format!("local provider: {e}")))?
        })
    }

    fn change_background<'a>(
        &'a self,
        request: &'a BackgroundRequest,
    ) -> BoxFuture<'a, Result<Vec<u8>, ProviderError>> {
        Box::pin(async move {
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            if let Some(fault) = self.injected_fault(&request.base) {
                return Err(fault);
            }
            if let BackgroundSpec::Prompt(prompt) = &request.background
                && self.faults
                && prompt.contains("[fail]")
            {
                return Err(ProviderError::Fatal(
                    "local provider: injected background failure".into(),
                ));
            }
            let request = request.clone();
            tokio::task::spawn_blocking(move || {
                let (w, h) = (request.base.width, request.base.height);
                let backdrop = match &request.background {
                    BackgroundSpec::Color(rgb) => Backdrop::Solid(Rgb(*rgb)),
                    BackgroundSpec::Prompt(prompt) => {
                        Backdrop::of(&palette(prompt, w, h, request.base.seed))
                    }
                    BackgroundSpec::Image {
                        bytes: Some(bytes), ..
                    } => match image::load_from_memory(bytes) {
                        Ok(img) => Backdrop::Image(
                            img.resize_to_fill(w, h, image::imageops::FilterType::Triangle)
                                .to_rgb8(),
                        ),
                        Err(_) => {
                            return Err(ProviderError::Fatal(
                                "local provider: the background image cannot be decoded".into(),
                            ));
                        }
                    },
                    BackgroundSpec::Image { url, bytes: None } => {
                        Backdrop::of(&palette(url, w, h, request.base.seed))
                    }
                };
                render(&request.base, Some(backdrop))
            })
            .await
            .map_err(|e| ProviderError::Fatal(format!("local provider: {e}")))?
        })
    }
}

/// The palette of `prompt` at this size and `seed`, from SHA-256 of all four.
fn palette(prompt: &str, width: u32, height: u32, seed: u32) -> Palette {
    let digest = Sha256::new()
        .chain_update(prompt.as_bytes())
        .chain_update(width.to_le_bytes())
        .chain_update(height.to_le_bytes())
        .chain_update(seed.to_le_bytes())
        .finalize();
    let b = |i: usize| digest[i];
    let pastel = |i: usize| Rgb([128 + b(i) / 2, 128 + b(i + 1) / 2, 128 + b(i + 2) / 2]);
    let skin_tones = [
        Rgb([255, 224, 189]),
        Rgb([234, 192, 134]),
        Rgb([198, 134, 66]),
        Rgb([141, 85, 36]),
        Rgb([94, 58, 30]),
    ];
    Palette {
        background: [pastel(0), pastel(3)],
        skin: skin_tones[usize::from(b(6)) % skin_tones.len()],
        clothes: Rgb([b(7) / 2, b(8) / 2, b(9) / 2 + 40]),
        hair: Rgb([b(10) / 3, b(11) / 4, b(12) / 5]),
        stripe: 16 + u32::from(b(13)) % 48,
    }
}

/// The picture of `request` as a PNG: a figure (standing, or in the pose of its pose
/// map) on `backdrop`, by default the stripes of the request's own palette.
fn render(request: &GenerateRequest, backdrop: Option<Backdrop>) -> Result<Vec<u8>, ProviderError> {
    let (width, height) = (request.width, request.height);
    if width == 0 || height == 0 || width > 8192 || height > 8192 {
        return Err(ProviderError::Fatal(format!(
            "local provider: unsupported size {width}x{height}"
        )));
    }
    let palette = palette(&request.prompt, width, height, request.seed);
    let backdrop = backdrop.unwrap_or_else(|| Backdrop::of(&palette));
    let image = picture(
        &palette,
        &backdrop,
        request.pose_map.as_deref(),
        width,
        height,
    );
    let mut out = Vec::new();
    image
        .write_with_encoder(PngEncoder::new(&mut out))
        .map_err(|e| ProviderError::Fatal(format!("local provider: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(prompt: &str, seed: u32) -> GenerateRequest {
        GenerateRequest {
            prompt: prompt.into(),
            negative_prompt: String::new(),
            width: 512,
            height: 640,
            seed,
            pose_map: None,
        }
    }

    #[tokio::test]
    async fn same_input_same_bytes_and_a_real_picture() {
        let provider = LocalProvider::new(0, false);
        let a = provider.generate(&request("a portrait", 7)).await.unwrap();
        let b = provider.generate(&request("a portrait", 7)).await.unwrap();
        let c = provider.generate(&request("a portrait", 8)).await.unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let decoded = image::load_from_memory(&a).unwrap().to_rgb8();
        assert_eq!(decoded.dimensions(), (512, 640));
        let colours: HashSet<_> = decoded.pixels().map(|p| p.0).collect();
        assert!(colours.len() >= 5, "{} colours", colours.len());
        assert_ne!(decoded.get_pixel(256, 192), decoded.get_pixel(2, 2));
    }

    #[tokio::test]
    async fn injected_faults_only_when_enabled() {
        let off = LocalProvider::new(0, false);
        assert!(off.generate(&request("[fail] x", 1)).await.is_ok());
        let on = LocalProvider::new(0, true);
        assert!(matches!(
            on.generate(&request("[fail] x", 1)).await,
            Err(ProviderError::Fatal(_))
        ));
        assert!(matches!(
            on.generate(&request("[flaky] x", 1)).await,
            Err(ProviderError::Retryable(_))
        ));
        assert!(on.generate(&request("[flaky] x", 1)).await.is_ok());
    }
}
