//! The pictures of the offline `local` image provider (api.md §8.4): a figure on a
//! backdrop, standing and facing the camera, or drawn along a generation's pose map
//! so that an image shows its pose. The provider picks the [`Palette`] from the
//! request; the same palette, backdrop, map and size always give the same pixels.

use image::{Rgb, RgbImage};

/// The colours (and stripe width) of one picture.
pub struct Palette {
    /// The two colours of the default striped backdrop.
    pub background: [Rgb<u8>; 2],
    pub skin: Rgb<u8>,
    pub clothes: Rgb<u8>,
    pub hair: Rgb<u8>,
    /// The width of a backdrop stripe, in pixels.
    pub stripe: u32,
}

/// A `width`×`height` picture: a figure in the pose of `pose_map` (a PNG pose map)
/// when it has one that shows a body, else a standing figure, on `backdrop`.
pub fn picture(
    palette: &Palette,
    backdrop: &Backdrop,
    pose_map: Option<&[u8]>,
    width: u32,
    height: u32,
) -> RgbImage {
    let silhouette = pose_map.and_then(Silhouette::from_pose_map);
    match &silhouette {
        Some(silhouette) => RgbImage::from_fn(width, height, |x, y| {
            match silhouette.at(x, y, width, height) {
                (_, true) => palette.skin,
                (2, _) => palette.clothes,
                (1, _) => {
                    let Rgb([r, g, b]) = palette.clothes;
                    Rgb([r / 2, g / 2, b / 2])
                }
                _ => backdrop.pixel(x, y),
            }
        }),
        None => standing_figure(palette, width, height, backdrop),
    }
}

/// What is behind the figure.
pub enum Backdrop {
    /// Diagonal stripes of two colours.
    Stripes([Rgb<u8>; 2], u32),
    Solid(Rgb<u8>),
    /// A picture already scaled to the output size.
    Image(RgbImage),
}

impl Backdrop {
    /// The stripes of `palette`.
    pub fn of(palette: &Palette) -> Self {
        Self::Stripes(palette.background, palette.stripe)
    }

    pub fn pixel(&self, x: u32, y: u32) -> Rgb<u8> {
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

/// The default figure: head, hair, neck, torso and arms, facing the camera.
fn standing_figure(palette: &Palette, width: u32, height: u32, backdrop: &Backdrop) -> RgbImage {
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
                return palette.hair;
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
            return palette.skin;
        }
        // Neck.
        if (px - cx).abs() <= head_r * 0.35 && py > head_cy && py <= neck_bottom + 2.0 {
            return palette.skin;
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
                return palette.clothes;
            }
            // Arms hang beside the torso.
            let arm_outer = half + unit * 0.07;
            if (px - cx).abs() <= arm_outer - rounding && t < 0.85 {
                let shade = |c: u8| c.saturating_sub(25);
                let Rgb([r, g, b]) = palette.clothes;
                return Rgb([shade(r), shade(g), shade(b)]);
            }
        }
        backdrop.pixel(x, y)
    })
}
