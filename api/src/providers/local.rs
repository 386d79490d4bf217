//! The offline `local` provider (api.md §8.4): a synthetic figure on a patterned
//! background, derived only from (prompt, width, height, seed), so the same request
//! always gives byte-identical PNG output. No network, no model.

use std::{collections::HashSet, sync::Mutex, time::Duration};

use image::{Rgb, RgbImage, codecs::png::PngEncoder};
use sha2::{Digest, Sha256};

use super::{BoxFuture, GenerateRequest, ImageProvider, ProviderError};

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
            let (prompt, width, height, seed) = (
                request.prompt.clone(),
                request.width,
                request.height,
                request.seed,
            );
            tokio::task::spawn_blocking(move || render(&prompt, width, height, seed))
                .await
                .map_err(|e| ProviderError::Fatal(format!("local provider: {e}")))?
        })
    }
}

/// The palette and geometry, from SHA-256 of `prompt`, the size and `seed`.
struct Design {
    background: [Rgb<u8>; 2],
    skin: Rgb<u8>,
    clothes: Rgb<u8>,
    hair: Rgb<u8>,
    stripe: u32,
}

impl Design {
    fn new(prompt: &str, width: u32, height: u32, seed: u32) -> Self {
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
        Self {
            background: [pastel(0), pastel(3)],
            skin: skin_tones[usize::from(b(6)) % skin_tones.len()],
            clothes: Rgb([b(7) / 2, b(8) / 2, b(9) / 2 + 40]),
            hair: Rgb([b(10) / 3, b(11) / 4, b(12) / 5]),
            stripe: 16 + u32::from(b(13)) % 48,
        }
    }
}

fn render(prompt: &str, width: u32, height: u32, seed: u32) -> Result<Vec<u8>, ProviderError> {
    if width == 0 || height == 0 || width > 8192 || height > 8192 {
        return Err(ProviderError::Fatal(format!(
            "local provider: unsupported size {width}x{height}"
        )));
    }
    let design = Design::new(prompt, width, height, seed);
    let (w, h) = (f64::from(width), f64::from(height));
    let unit = w.min(h);
    let cx = w / 2.0;
    let head_cy = h * 0.30;
    let head_r = unit * 0.12;
    let neck_bottom = head_cy + head_r * 1.35;
    let shoulders_y = neck_bottom;
    let torso_bottom = h * 0.92;
    let shoulder_half = unit * 0.25;
    let waist_half = unit * 0.17;

    let image = RgbImage::from_fn(width, height, |x, y| {
        let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        // Hair: a slightly larger disc behind and above the head.
        let dxh = px - cx;
        let dyh = py - (head_cy - head_r * 0.15);
        if (dxh / (head_r * 1.12)).powi(2) + (dyh / (head_r * 1.1)).powi(2) <= 1.0
            && py < head_cy + head_r * 0.2
        {
            let (dx, dy) = (px - cx, py - head_cy);
            if dx * dx + dy * dy > head_r * head_r || py < head_cy - head_r * 0.45 {
                return design.hair;
            }
        }
        // Head.
        let (dx, dy) = (px - cx, py - head_cy);
        if dx * dx + (dy * 0.92).powi(2) <= head_r * head_r {
            // Eyes.
            let eye_y = head_cy - head_r * 0.05;
            for side in [-1.0, 1.0] {
                let ex = cx + side * head_r * 0.38;
                if (px - ex).powi(2) + (py - eye_y).powi(2) <= (head_r * 0.09).powi(2) {
                    return Rgb([30, 30, 40]);
                }
            }
            return design.skin;
        }
        // Neck.
        if (px - cx).abs() <= head_r * 0.35 && py > head_cy && py <= neck_bottom + 2.0 {
            return design.skin;
        }
        // Torso: a trapezoid with rounded shoulders.
        if py >= shoulders_y && py <= torso_bottom {
            let t = (py - shoulders_y) / (torso_bottom - shoulders_y);
            let half = shoulder_half + (waist_half - shoulder_half) * t;
            let rounding = if t < 0.08 {
                (0.08 - t) * unit * 0.9
            } else {
                0.0
            };
            if (px - cx).abs() <= half - rounding {
                return design.clothes;
            }
            // Arms hang beside the torso.
            let arm_outer = half + unit * 0.07;
            if (px - cx).abs() <= arm_outer - rounding && t < 0.85 {
                let shade = |c: u8| c.saturating_sub(25);
                let Rgb([r, g, b]) = design.clothes;
                return Rgb([shade(r), shade(g), shade(b)]);
            }
        }
        // Background: diagonal stripes of two colours.
        let band = (x + y) / design.stripe;
        design.background[(band % 2) as usize]
    });

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
