//! Placeholder preview images for the avatar presets (api.md §9.1): a deterministic
//! 512×512 JPEG per preset name — a two-colour diagonal gradient, a stylised
//! head-and-shoulders silhouette and the name's initials on the chest — so the UI
//! shows something recognisable even offline.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use image::{Rgb, RgbImage};

pub const SIZE: u32 = 512;
const JPEG_QUALITY: u8 = 88;

/// FNV-1a, 64 bits: stable across runs and platforms (unlike `std`'s hasher).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// HSV (h in degrees, s and v in 0..=1) to RGB, as floats in 0..=255.
fn hsv(h: f32, s: f32, v: f32) -> [f32; 3] {
    let c = v * s;
    let hp = (h.rem_euclid(360.0)) / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [(r + m) * 255.0, (g + m) * 255.0, (b + m) * 255.0]
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn to_pixel(c: [f32; 3]) -> Rgb<u8> {
    Rgb(c.map(|v| v.round().clamp(0.0, 255.0) as u8))
}

/// Coverage (0..=1) of a shape at signed distance `d` from its edge (negative inside),
/// with a one-pixel soft edge.
fn coverage(d: f32) -> f32 {
    (0.5 - d).clamp(0.0, 1.0)
}

/// Up to two initials: the first letter of the first two words that start with one.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_uppercase())
        .take(2)
        .collect()
}

/// 5×7 bitmap capitals (and `-`, `&`), one row per byte, the low five bits left to
/// right.
pub(super) fn glyph(c: char) -> Option<[u8; 7]> {
    let rows = match c {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '&' => [0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D],
        _ => return None,
    };
    Some(rows)
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

/// Writes the preview of `name` to `path` unless a file is already there. Atomic: the
/// bytes go to a temporary file in the same directory, which is then hard-linked into
/// place (this fails rather than replace a file that appeared meanwhile) and removed.
/// Returns whether a file was written.
pub fn write_if_missing(path: &Path, name: &str) -> io::Result<bool> {
    write_bytes_if_missing(path, || jpeg(name).map_err(io::Error::other))
}

/// Writes the bytes `render` makes to `path` unless a file is already there (then
/// `render` is not called), atomically like [`write_if_missing`]. Returns whether a
/// file was written.
pub fn write_bytes_if_missing(
    path: &Path,
    render: impl FnOnce() -> io::Result<Vec<u8>>,
) -> io::Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let bytes = render()?;
    let tmp = temp_path(dir, path);
    let written = (|| {
        let mut file = std::fs::File::create_new(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            // No hard links here (some network or FAT file systems): rename instead.
            Err(_) if !path.exists() => std::fs::rename(&tmp, path).map(|()| true),
            Err(_) => Ok(false),
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    written
}

fn temp_path(dir: &Path, path: &Path) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(
        ".{file}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
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

    #[test]
    fn initials_take_the_first_two_words() {
        assert_eq!(initials("Professional Business Woman"), "PB");
        assert_eq!(initials("Dr. Sofia Martinez"), "DS");
        assert_eq!(initials("Fashion"), "F");
    }

    #[test]
    fn write_if_missing_never_overwrites() {
        let dir = std::env::temp_dir().join(format!("seed-preview-{}", std::process::id()));
        let path = dir.join("avatar-creator/x.jpg");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(write_if_missing(&path, "X").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), jpeg("X").unwrap());
        std::fs::write(&path, b"mine").unwrap();
        assert!(!write_if_missing(&path, "X").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"mine");
        let leftovers = std::fs::read_dir(dir.join("avatar-creator"))
            .unwrap()
            .count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
