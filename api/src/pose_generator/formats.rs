//! The one list of export formats (api.md §8.11), used by generate, export-zip and
//! regenerate-export, and the rendering of a rendition: the image scaled to fit inside
//! the target size (no cropping), centred on white, JPEG quality 90. `original` is the
//! stored image itself.

use image::{DynamicImage, RgbImage, codecs::jpeg::JpegEncoder, imageops::FilterType};

/// A canonical format key with its pixel size (`None` for `original`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportFormat {
    pub key: &'static str,
    pub size: Option<(u32, u32)>,
}

pub const FORMATS: [ExportFormat; 14] = [
    ExportFormat {
        key: "original",
        size: None,
    },
    ExportFormat {
        key: "instagram_feed",
        size: Some((1080, 1080)),
    },
    ExportFormat {
        key: "instagram_portrait",
        size: Some((1080, 1350)),
    },
    ExportFormat {
        key: "instagram_story",
        size: Some((1080, 1920)),
    },
    ExportFormat {
        key: "instagram_reel",
        size: Some((1080, 1920)),
    },
    ExportFormat {
        key: "tiktok",
        size: Some((1080, 1920)),
    },
    ExportFormat {
        key: "shopee_product",
        size: Some((1000, 1000)),
    },
    ExportFormat {
        key: "tokopedia_product",
        size: Some((1200, 1200)),
    },
    ExportFormat {
        key: "lazada_product",
        size: Some((1000, 1000)),
    },
    ExportFormat {
        key: "facebook_post",
        size: Some((1200, 630)),
    },
    ExportFormat {
        key: "twitter_post",
        size: Some((1200, 675)),
    },
    ExportFormat {
        key: "linkedin_post",
        size: Some((1200, 627)),
    },
    ExportFormat {
        key: "print_a4",
        size: Some((2480, 3508)),
    },
    ExportFormat {
        key: "print_4x6",
        size: Some((1800, 1200)),
    },
];

/// Legacy names accepted on input.
const ALIASES: [(&str, &str); 3] = [
    ("instagram_post", "instagram_feed"),
    ("print_standard", "print_4x6"),
    ("print_large", "print_a4"),
];

/// Formats exported by default when nothing else says which.
pub const DEFAULT_ZIP_FORMATS: [&str; 4] = [
    "instagram_feed",
    "instagram_story",
    "tiktok",
    "shopee_product",
];

/// The format of a key or alias.
pub fn lookup(key: &str) -> Option<ExportFormat> {
    let key = ALIASES
        .iter()
        .find(|(alias, _)| *alias == key)
        .map_or(key, |(_, canonical)| canonical);
    FORMATS.iter().copied().find(|f| f.key == key)
}

/// The message for an unknown key, listing the allowed ones.
pub fn unknown_message(key: &str) -> String {
    let allowed: Vec<&str> = FORMATS.iter().map(|f| f.key).collect();
    format!(
        "Unknown export format \"{key}\". Allowed: {}",
        allowed.join(", ")
    )
}

/// Canonical keys of `keys`, duplicates removed in first-seen order; `Err` holds the
/// index and message of each unknown key.
pub fn normalise<'a>(
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<&'static str>, Vec<(usize, String)>> {
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    for (i, key) in keys.into_iter().enumerate() {
        match lookup(key.trim()) {
            Some(format) if !out.contains(&format.key) => out.push(format.key),
            Some(_) => {}
            None => unknown.push((i, unknown_message(key))),
        }
    }
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(unknown)
    }
}

/// File extension of a rendition.
pub fn extension(format: ExportFormat) -> &'static str {
    if format.size.is_none() { "png" } else { "jpg" }
}

/// The image fitted inside `width`×`height`, centred on white, as JPEG (quality 90).
pub fn render(image: &DynamicImage, width: u32, height: u32) -> Result<Vec<u8>, image::ImageError> {
    let fitted = image.resize(width, height, FilterType::Triangle).to_rgb8();
    let mut canvas = RgbImage::from_pixel(width, height, image::Rgb([255, 255, 255]));
    let x = i64::from((width - fitted.width()) / 2);
    let y = i64::from((height - fitted.height()) / 2);
    image::imageops::overlay(&mut canvas, &fitted, x, y);
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90).encode_image(&canvas)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_normalise_and_duplicates_go() {
        assert_eq!(
            normalise([
                "instagram_post",
                "instagram_feed",
                "print_large",
                "original"
            ])
            .unwrap(),
            vec!["instagram_feed", "print_a4", "original"]
        );
        let err = normalise(["tiktok", "myspace"]).unwrap_err();
        assert_eq!(err[0].0, 1);
        assert!(err[0].1.contains("Allowed: original, instagram_feed"));
    }

    #[test]
    fn renditions_fit_inside_and_pad_with_white() {
        let square =
            DynamicImage::ImageRgb8(RgbImage::from_pixel(100, 100, image::Rgb([10, 20, 30])));
        let jpeg = render(&square, 120, 60).unwrap();
        let out = image::load_from_memory(&jpeg).unwrap().to_rgb8();
        assert_eq!(out.dimensions(), (120, 60));
        let corner = out.get_pixel(2, 30).0;
        assert!(
            corner.iter().all(|c| *c > 240),
            "padding is white: {corner:?}"
        );
        let centre = out.get_pixel(60, 30).0;
        assert!(centre[2] < 60, "the image is centred: {centre:?}");
    }
}
