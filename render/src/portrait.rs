//! Placeholder preview images for the avatar presets (api.md §9.1): a deterministic
//! 512×512 JPEG per preset name — a two-colour diagonal gradient, a stylised
//! head-and-shoulders silhouette and the name's initials on the chest — so the UI
//! shows something recognisable even offline.

use image::{Rgb, RgbImage};

use crate::color::{hsv, mix};
use crate::font::{glyph, initials};
use crate::{JPEG_QUALITY, fnv1a};

pub const SIZE: u32 = 512;

fn to_pixel(c: [f32; 3]) -> Rgb<u8> {
    Rgb(c.map(|v| v.round().clamp(0.0, 255.0) as u8))
}

/// Coverage (0..=1) of a shape at signed distance `d` from its edge (negative inside),
/// with a one-pixel soft edge.
fn coverage(d: f32) -> f32 {
    (0.5 - d).clamp(0.0, 1.0)
}

/// The preview of the preset called `name`: same name, same pixels.
pub fn render(name: &str) -> RgbImage {
    let h = fnv1a(name);
    let hue = (h % 360) as f32;
    let hue2 = hue + 40.0 + ((h >> 16) % 120) as f32;
    let top = hsv(hue, 0.45 + ((h >> 32) % 20) as f32 / 100.0, 0.92);
    let bottom = hsv(hue2, 0.65, 0.42 + ((h >> 40) % 15) as f32 / 100.0);
    let figure = mix([248.0, 244.0, 238.0], top, 0.15);
    let ink = mix(bottom, [0.0, 0.0, 0.0], 0.25);

    let s = SIZE as f32;
    let cx = s / 2.0;
    // Head, neck and shoulders, in a 512-pixel frame.
    let (head_y, head_r) = (205.0, 88.0);
    let (neck_half, neck_top, neck_bottom) = (30.0, 260.0, 400.0);
    let (body_y, body_rx, body_ry) = (585.0, 200.0, 215.0);

    let mut img = RgbImage::new(SIZE, SIZE);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let t = (fx + fy) / (2.0 * s);
        let mut c = mix(top, bottom, t);

        let head = ((fx - cx).powi(2) + (fy - head_y).powi(2)).sqrt() - head_r;
        let neck = ((fx - cx).abs() - neck_half)
            .max(neck_top - fy)
            .max(fy - neck_bottom);
        let body = ((((fx - cx) / body_rx).powi(2) + ((fy - body_y) / body_ry).powi(2)).sqrt()
            - 1.0)
            * body_rx.min(body_ry);
        let d = head.min(neck).min(body);
        // A soft shadow under the figure, then the figure itself.
        c = mix(c, [0.0, 0.0, 0.0], 0.18 * coverage((d - 6.0) / 6.0));
        c = mix(c, figure, 0.92 * coverage(d));
        *px = to_pixel(c);
    }

    // The initials on the chest, 8× scaled.
    let letters: Vec<[u8; 7]> = initials(name).chars().filter_map(glyph).collect();
    let scale = 8u32;
    let (gw, gap) = (5 * scale, 2 * scale);
    let n = letters.len() as u32;
    if n > 0 {
        let width = n * gw + (n - 1) * gap;
        let x0 = (SIZE - width) / 2;
        let y0 = 430;
        for (i, rows) in letters.iter().enumerate() {
            let gx = x0 + i as u32 * (gw + gap);
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..5u32 {
                    if bits & (0x10 >> col) == 0 {
                        continue;
                    }
                    for dy in 0..scale {
                        for dx in 0..scale {
                            let (x, y) = (gx + col * scale + dx, y0 + r as u32 * scale + dy);
                            if x < SIZE && y < SIZE {
                                img.put_pixel(x, y, to_pixel(ink));
                            }
                        }
                    }
                }
            }
        }
    }
    img
}

/// [`render`], encoded as JPEG.
pub fn jpeg(name: &str) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&render(name))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_gives_identical_bytes_and_names_differ() {
        let a = jpeg("Professional Business Woman").unwrap();
        assert_eq!(a, jpeg("Professional Business Woman").unwrap());
        let b = jpeg("Casual Retiree").unwrap();
        assert_ne!(a, b);
        assert_ne!(render("Fashion Model"), render("Street Fashion"));
    }

    #[test]
    fn decodes_to_a_512_square_that_is_not_blank() {
        let bytes = jpeg("Yoga Instructor").unwrap();
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
            .unwrap()
            .to_rgb8();
        assert_eq!(img.dimensions(), (512, 512));
        let corner = *img.get_pixel(5, 5);
        let head = *img.get_pixel(256, 205);
        let distinct = |a: Rgb<u8>, b: Rgb<u8>| {
            a.0.iter()
                .zip(b.0)
                .map(|(x, y)| i32::from(*x).abs_diff(i32::from(y)))
                .sum::<u32>()
                > 60
        };
        assert!(distinct(corner, head), "{corner:?} vs {head:?}");
    }
}
