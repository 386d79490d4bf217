//! The offline `local` provider (api.md §8.4): a synthetic figure on a patterned
//! background, derived only from (prompt, width, height, seed), so the same request
//! always gives byte-identical PNG output. No network, no model.

use std::{collections::HashSet, sync::Mutex, time::Duration};

use image::{Rgb, RgbImage, codecs::png::PngEncoder};
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
                        Backdrop::of(&Design::new(prompt, w, h, request.base.seed))
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
                        Backdrop::of(&Design::new(url, w, h, request.base.seed))
                    }
                };
                render(&request.base, Some(backdrop))
            })
            .await
            .map_err(|e| ProviderError::Fatal(format!("local provider: {e}")))?
        })
    }
}

/// What is behind the figure.
enum Backdrop {
    /// Diagonal stripes of two colours.
    Stripes([Rgb<u8>; 2], u32),
    Solid(Rgb<u8>),
    /// A picture already scaled to the output size.
    Image(RgbImage),
}

impl Backdrop {
    fn of(design: &Design) -> Self {
        Self::Stripes(design.background, design.stripe)
    }

    fn pixel(&self, x: u32, y: u32) -> Rgb<u8> {
        match self {
            Self::Stripes(colours, stripe) => colours[((x + y) / stripe % 2) as usize],
            Self::Solid(colour) => *colour,
            Self::Image(image) => *image.get_pixel(x, y),
        }
    }
}

/// A figure drawn along a pose map: the map's non-black pixels (its limbs and
/// joints), thickened into a body, on a coarse grid.
struct Silhouette {
    side: u32,
    /// 0 = outside, 1 = outline, 2 = body.
    cells: Vec<u8>,
    head: (f64, f64, f64),
}

impl Silhouette {
    const SIDE: u32 = 96;

    fn from_pose_map(png: &[u8]) -> Option<Self> {
        let side = Self::SIDE;
        let map = image::load_from_memory(png)
            .ok()?
            .resize_exact(side, side, image::imageops::FilterType::Triangle)
            .to_luma8();
        let lit: Vec<bool> = map.pixels().map(|p| p.0[0] > 24).collect();
        if !lit.iter().any(|l| *l) {
            return None;
        }
        let near = |x: i64, y: i64, r: i64| {
            (-r..=r).any(|dy| {
                (-r..=r).any(|dx| {
                    let (nx, ny) = (x + dx, y + dy);
                    dx * dx + dy * dy <= r * r
                        && (0..side as i64).contains(&nx)
                        && (0..side as i64).contains(&ny)
                        && lit[(ny * side as i64 + nx) as usize]
                })
            })
        };
        let mut cells = vec![0u8; (side * side) as usize];
        for y in 0..side as i64 {
            for x in 0..side as i64 {
                cells[(y * side as i64 + x) as usize] = if near(x, y, 3) {
                    2
                } else if near(x, y, 4) {
                    1
                } else {
                    0
                };
            }
        }
        // The head sits on the topmost lit rows (nose, eyes and ears of the map).
        let top = (0..side).find(|y| (0..side).any(|x| lit[(y * side + x) as usize]))?;
        let lit = &lit;
        let band: Vec<u32> = (top..(top + 6).min(side))
            .flat_map(|y| (0..side).filter(move |x| lit[(y * side + x) as usize]))
            .collect();
        let cx = f64::from(band.iter().sum::<u32>()) / band.len().max(1) as f64;
        Some(Self {
            side,
            cells,
            head: (cx + 0.5, f64::from(top) + 4.0, 6.5),
        })
    }

    /// The cell under output pixel (`x`, `y`) of a `w`×`h` image (the square map
    /// centred on it).
    fn at(&self, x: u32, y: u32, w: u32, h: u32) -> (u8, bool) {
        let unit = f64::from(w.min(h)) / f64::from(self.side);
        let gx = (f64::from(x) - f64::from(w.saturating_sub(w.min(h))) / 2.0) / unit;
        let gy = (f64::from(y) - f64::from(h.saturating_sub(w.min(h))) / 2.0) / unit;
        if gx < 0.0 || gy < 0.0 || gx >= f64::from(self.side) || gy >= f64::from(self.side) {
            return (0, false);
        }
        let (hx, hy, hr) = self.head;
        let in_head = (gx - hx).powi(2) + (gy - hy).powi(2) <= hr * hr;
        (
            self.cells[(gy as u32 * self.side + gx as u32) as usize],
            in_head,
        )
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

/// The picture of `request`: a figure (standing, or in the pose of its pose map) on
/// `backdrop`, by default the stripes of the request's own design.
fn render(request: &GenerateRequest, backdrop: Option<Backdrop>) -> Result<Vec<u8>, ProviderError> {
    let (width, height) = (request.width, request.height);
    if width == 0 || height == 0 || width > 8192 || height > 8192 {
        return Err(ProviderError::Fatal(format!(
            "local provider: unsupported size {width}x{height}"
        )));
    }
    let design = Design::new(&request.prompt, width, height, request.seed);
    let backdrop = backdrop.unwrap_or_else(|| Backdrop::of(&design));
    let silhouette = request
        .pose_map
        .as_deref()
        .and_then(Silhouette::from_pose_map);
    let image = match &silhouette {
        Some(silhouette) => RgbImage::from_fn(width, height, |x, y| {
            match silhouette.at(x, y, width, height) {
                (_, true) => design.skin,
                (2, _) => design.clothes,
                (1, _) => {
                    let Rgb([r, g, b]) = design.clothes;
                    Rgb([r / 2, g / 2, b / 2])
                }
                _ => backdrop.pixel(x, y),
            }
        }),
        None => standing_figure(&design, width, height, &backdrop),
    };
    let mut out = Vec::new();
    image
        .write_with_encoder(PngEncoder::new(&mut out))
        .map_err(|e| ProviderError::Fatal(format!("local provider: {e}")))?;
    Ok(out)
}

/// The default figure: head, hair, neck, torso and arms, facing the camera.
fn standing_figure(design: &Design, width: u32, height: u32, backdrop: &Backdrop) -> RgbImage {
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

    RgbImage::from_fn(width, height, |x, y| {
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
        backdrop.pixel(x, y)
    })
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
