//! The OpenPose-style pose map of a [`Skeleton`]: the ControlNet image of a pose.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use super::{COLORS, Keypoint, LIMBS, Skeleton};

impl Skeleton {
    /// The pose map as palette indices (row-major, `size`²) with its palette: black,
    /// then the 17 limb colours at 60 %, then the 18 keypoint colours.
    pub fn pose_map_indexed(&self, size: u32) -> (Vec<[u8; 3]>, Vec<u8>) {
        let mut palette = vec![[0u8; 3]];
        palette.extend(
            COLORS[..17]
                .iter()
                .map(|c| c.map(|v| (f32::from(v) * 0.6) as u8)),
        );
        palette.extend(COLORS);
        let mut indices = vec![0u8; (size * size) as usize];
        // OpenPose draws with a 4-pixel stick and dot at 512 pixels.
        let unit = size as f32 / 512.0;
        let px = |k: Keypoint| (k.x * size as f32, k.y * size as f32);
        for (i, &(a, b)) in LIMBS.iter().enumerate() {
            if let (Some(a), Some(b)) = (self.get(a), self.get(b)) {
                let (a, b) = (px(a), px(b));
                let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                let len = (dx * dx + dy * dy).sqrt();
                let (ux, uy) = if len > 0.0 {
                    (dx / len, dy / len)
                } else {
                    (1.0, 0.0)
                };
                let centre = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
                fill_ellipse(
                    &mut indices,
                    size,
                    centre,
                    (ux, uy),
                    (len / 2.0).max(1.0),
                    4.0 * unit,
                    1 + i as u8,
                );
            }
        }
        for k in 0..18 {
            if let Some(p) = self.get(k) {
                let r = 4.0 * unit;
                fill_ellipse(&mut indices, size, px(p), (1.0, 0.0), r, r, 18 + k as u8);
            }
        }
        (palette, indices)
    }

    /// The OpenPose-style pose map: a `size`×`size` PNG, black background, limbs as
    /// coloured sticks and keypoints as dots in the usual OpenPose colours. An RGB
    /// PNG from the `image` crate's encoder, unfiltered: the canvas is mostly black
    /// runs, which the default deflate level packs into about 9 kB (smaller, and in a
    /// debug build faster, than `CompressionType::Fast` or adaptive filtering).
    pub fn pose_map_png(&self, size: u32) -> Result<Vec<u8>, image::ImageError> {
        let (palette, indices) = self.pose_map_indexed(size);
        // Black stays zero; only the drawn pixels are looked up.
        let mut rgb = vec![0u8; indices.len() * 3];
        for (px, &i) in rgb.chunks_exact_mut(3).zip(&indices) {
            if i != 0 {
                px.copy_from_slice(&palette[usize::from(i)]);
            }
        }
        let mut out = Vec::new();
        PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::NoFilter)
            .write_image(&rgb, size, size, ExtendedColorType::Rgb8)?;
        Ok(out)
    }
}

/// Fills the ellipse with centre `c`, semi-axis `a` along the unit vector `u` and `b`
/// across it, with palette index `value` (hard edges, like OpenCV's `fillConvexPoly`).
fn fill_ellipse(
    buf: &mut [u8],
    size: u32,
    c: (f32, f32),
    u: (f32, f32),
    a: f32,
    b: f32,
    value: u8,
) {
    let (ux, uy) = u;
    let (ia, ib) = (1.0 / (a * a), 1.0 / (b * b));
    let qa = ux * ux * ia + uy * uy * ib;
    let half_h = (a * a * uy * uy + b * b * ux * ux).sqrt();
    let n = size as i64;
    let y0 = ((c.1 - half_h - 0.5).floor() as i64).max(0);
    let y1 = ((c.1 + half_h + 0.5).ceil() as i64).min(n - 1);
    for y in y0..=y1 {
        let dy = y as f32 + 0.5 - c.1;
        let qb = 2.0 * dy * ux * uy * (ia - ib);
        let qc = dy * dy * (uy * uy * ia + ux * ux * ib) - 1.0;
        let disc = qb * qb - 4.0 * qa * qc;
        if disc < 0.0 {
            continue;
        }
        let root = disc.sqrt();
        let (lo, hi) = ((-qb - root) / (2.0 * qa), (-qb + root) / (2.0 * qa));
        let x0 = ((c.0 + lo - 0.5).ceil() as i64).max(0);
        let x1 = ((c.0 + hi - 0.5).floor() as i64).min(n - 1);
        if x0 > x1 {
            continue;
        }
        let row = (y * n) as usize;
        buf[row + x0 as usize..=row + x1 as usize].fill(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skeleton::Archetype;

    #[test]
    fn the_pose_map_uses_the_openpose_colours() {
        let s = Skeleton::build(Archetype::TPose, "Fashion Model T-Pose");
        let (palette, indices) = s.pose_map_indexed(256);
        assert_eq!(palette.len(), 36);
        assert_eq!(palette[1], [153, 0, 0], "limb 0 at 60 %");
        assert_eq!(palette[18], [255, 0, 0], "the nose dot");
        let black = indices.iter().filter(|&&i| i == 0).count();
        assert!(black > indices.len() * 8 / 10, "mostly black");
        for colour in [1u8, 4, 18, 19] {
            assert!(indices.contains(&colour), "colour {colour} drawn");
        }
    }
}
