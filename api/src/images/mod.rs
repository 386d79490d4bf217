//! Upload validation and thumbnails (api.md §8.13), with the `image` crate built for
//! JPEG, PNG and WebP only.
//!
//! [`validate`] runs the content checks in the documented order: non-empty, real type
//! from the magic bytes (415), extension matches the type, dimensions from the header
//! **before** any decoding (256..4096 per side), then a bounded decode (width, height
//! and allocation limits) that produces the 300×300 cover JPEG thumbnail. A
//! decompression bomb therefore fails at the header check, and anything that slips
//! past it fails the decoder limits; neither can exhaust memory. It is CPU-bound: call
//! [`validate_blocking`] from async code.

use std::io::Cursor;

use image::{
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage,
    codecs::jpeg::JpegEncoder, imageops::FilterType,
};
use serde_json::Value;

use crate::error::{ApiError, ErrorDetails, FieldErrors};

/// The largest accepted file: 10 MiB.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// Smallest and largest accepted width and height, in pixels.
pub const MIN_SIDE: u32 = 256;
pub const MAX_SIDE: u32 = 4096;
/// The decoder may allocate at most this much (256 MiB).
pub const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;
/// Avatar thumbnails are this many pixels square.
pub const THUMBNAIL_SIDE: u32 = 300;
/// JPEG quality of thumbnails (api.md §8.12).
pub const THUMBNAIL_QUALITY: u8 = 85;

/// The accepted image types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    pub const ALLOWED_MIME: [&'static str; 3] = ["image/jpeg", "image/png", "image/webp"];

    /// The real type, from the first bytes; the declared content type is ignored.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    /// The canonical stored extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::Webp => ImageFormat::WebP,
        }
    }

    /// Whether a file name's extension (case-insensitive) names this type. Only the
    /// last path component counts; the name is used for nothing else.
    pub fn matches_file_name(self, file_name: &str) -> bool {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
        let Some((_, ext)) = base.rsplit_once('.') else {
            return false;
        };
        let ext = ext.to_ascii_lowercase();
        match self {
            Self::Jpeg => ext == "jpg" || ext == "jpeg",
            Self::Png => ext == "png",
            Self::Webp => ext == "webp",
        }
    }
}

/// A best-effort media type for a rejected file, for `details.detected`.
pub fn detect_mime(bytes: &[u8]) -> &'static str {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"BM", "image/bmp"),
        (b"II*\0", "image/tiff"),
        (b"MM\0*", "image/tiff"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1f\x8b", "application/gzip"),
        (b"\0\0\x01\0", "image/x-icon"),
        (b"<svg", "image/svg+xml"),
        (b"<?xml", "application/xml"),
    ];
    if let Some(kind) = ImageKind::sniff(bytes) {
        return kind.mime();
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return match &bytes[8..12] {
            b"avif" | b"avis" => "image/avif",
            b"heic" | b"heix" | b"mif1" => "image/heic",
            _ => "video/mp4",
        };
    }
    if let Some((_, mime)) = SIGNATURES.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        return mime;
    }
    let head = &bytes[..bytes.len().min(512)];
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the sample is still text.
        Err(e) => e.error_len().is_none(),
    };
    if text && !head.contains(&0) {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// Why an image was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("Image file is larger than {MAX_UPLOAD_BYTES} bytes")]
    TooLarge,
    #[error("Image file is empty")]
    Empty,
    #[error(
        "Invalid image format. Only image/jpeg, image/png, image/webp are allowed. Detected: {detected}"
    )]
    UnsupportedType { detected: &'static str },
    #[error("File extension does not match the image type")]
    ExtensionMismatch,
    #[error("Image dimensions must be between {MIN_SIDE} and {MAX_SIDE} pixels")]
    Dimensions { width: u32, height: u32 },
    #[error("Image could not be decoded")]
    Undecodable,
}

/// The 413 of an oversized file or request (api.md §1.6).
pub fn payload_too_large() -> ApiError {
    let details = ErrorDetails::from([("maxBytes".to_owned(), Value::from(MAX_UPLOAD_BYTES))]);
    ApiError::PayloadTooLarge {
        message: format!("Image file must be at most {MAX_UPLOAD_BYTES} bytes (10 MiB)"),
        details: Some(details),
    }
}

impl From<ImageError> for ApiError {
    fn from(err: ImageError) -> Self {
        match err {
            ImageError::TooLarge => payload_too_large(),
            ImageError::UnsupportedType { detected } => {
                let details = ErrorDetails::from([
                    ("detected".to_owned(), Value::from(detected)),
                    (
                        "allowed".to_owned(),
                        Value::from(ImageKind::ALLOWED_MIME.to_vec()),
                    ),
                ]);
                ApiError::UnsupportedMediaType {
                    message: err.to_string(),
                    details: Some(details),
                }
            }
            ImageError::Empty
            | ImageError::ExtensionMismatch
            | ImageError::Dimensions { .. }
            | ImageError::Undecodable => {
                ApiError::validation(FieldErrors::new().with("image", err.to_string()))
            }
        }
    }
}

/// An accepted image: its type, size, the bytes to store and its thumbnail.
#[derive(Debug, Clone)]
pub struct ValidatedImage {
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
    /// The upload without its metadata ([`without_metadata`]), upright.
    pub stored: Vec<u8>,
    /// A 300×300 JPEG, cover-resized and centred, EXIF orientation applied.
    pub thumbnail_jpeg: Vec<u8>,
}

/// Every content check of api.md §8.13, in order, then the thumbnail. Blocking.
pub fn validate(bytes: &[u8], file_name: Option<&str>) -> Result<ValidatedImage, ImageError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(ImageError::TooLarge);
    }
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    let kind = ImageKind::sniff(bytes).ok_or(ImageError::UnsupportedType {
        detected: detect_mime(bytes),
    })?;
    if !file_name.is_some_and(|name| kind.matches_file_name(name)) {
        return Err(ImageError::ExtensionMismatch);
    }
    let (width, height) = header_dimensions(bytes, kind)?;
    if !(MIN_SIDE..=MAX_SIDE).contains(&width) || !(MIN_SIDE..=MAX_SIDE).contains(&height) {
        return Err(ImageError::Dimensions { width, height });
    }
    let decoded = decode_upright(bytes, kind)?;
    let stored = if decoded.was_rotated {
        // The pixels must turn; the metadata goes with the re-encoding.
        encode(&decoded.image, kind, decoded.icc_profile)?
    } else {
        without_metadata(bytes, kind)?
    };
    Ok(ValidatedImage {
        kind,
        width: decoded.image.width(),
        height: decoded.image.height(),
        stored,
        thumbnail_jpeg: cover_thumbnail_jpeg(&decoded.image, THUMBNAIL_SIDE)?,
    })
}

/// `bytes` without the metadata a photo carries (api.md §8.13): EXIF (camera, GPS
/// position, time), XMP, IPTC, comments and PNG text chunks. What decides how the
/// image looks stays: the pixels untouched (no re-encoding), the ICC colour profile,
/// JFIF/Adobe colour markers, PNG gamma and chromaticities. Unchanged bytes when
/// there was nothing to remove.
pub fn without_metadata(bytes: &[u8], kind: ImageKind) -> Result<Vec<u8>, ImageError> {
    use img_parts::{Bytes, ImageEXIF};
    let input = Bytes::copy_from_slice(bytes);
    let cleaned = match kind {
        ImageKind::Jpeg => {
            let mut jpeg =
                img_parts::jpeg::Jpeg::from_bytes(input).map_err(|_| ImageError::Undecodable)?;
            let before = jpeg.segments().len();
            jpeg.segments_mut()
                .retain(|segment| match segment.marker() {
                    // APP0 (JFIF) and APP14 (Adobe colour transform) describe the pixels.
                    0xE0 | 0xEE => true,
                    // APP2 holds the ICC profile, or a multi-picture index (dropped).
                    0xE2 => segment.contents().starts_with(b"ICC_PROFILE\0"),
                    // EXIF/XMP (APP1), other application data, comments (COM).
                    0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
                    _ => true,
                });
            if jpeg.segments().len() == before {
                return Ok(bytes.to_vec());
            }
            jpeg.encoder().bytes()
        }
        ImageKind::Png => {
            let mut png =
                img_parts::png::Png::from_bytes(input).map_err(|_| ImageError::Undecodable)?;
            let before = png.chunks().len();
            png.chunks_mut().retain(|chunk| {
                !matches!(
                    &chunk.kind(),
                    b"tEXt" | b"zTXt" | b"iTXt" | b"eXIf" | b"tIME"
                )
            });
            if png.chunks().len() == before {
                return Ok(bytes.to_vec());
            }
            png.encoder().bytes()
        }
        ImageKind::Webp => {
            let mut webp =
                img_parts::webp::WebP::from_bytes(input).map_err(|_| ImageError::Undecodable)?;
            if !webp.has_chunk(*b"EXIF") && !webp.has_chunk(*b"XMP ") {
                return Ok(bytes.to_vec());
            }
            webp.remove_chunks_by_id(*b"XMP ");
            // Also clears the EXIF and XMP flags of the VP8X header.
            webp.set_exif(None);
            webp.encoder().bytes()
        }
    };
    Ok(cleaned.to_vec())
}

/// `image` encoded as `kind` (JPEG at quality 92, lossless PNG and WebP), with its
/// colour profile when it had one.
fn encode(
    image: &DynamicImage,
    kind: ImageKind,
    icc_profile: Option<Vec<u8>>,
) -> Result<Vec<u8>, ImageError> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    let written = match kind {
        ImageKind::Jpeg => {
            let rgb = flatten_on_white(image);
            let mut encoder = JpegEncoder::new_with_quality(&mut out, 92);
            if let Some(icc) = icc_profile {
                let _ = encoder.set_icc_profile(icc);
            }
            encoder.write_image(
                rgb.as_raw(),
                rgb.width(),
                rgb.height(),
                image::ExtendedColorType::Rgb8,
            )
        }
        ImageKind::Png => {
            let mut encoder = image::codecs::png::PngEncoder::new(&mut out);
            if let Some(icc) = icc_profile {
                let _ = encoder.set_icc_profile(icc);
            }
            let rgba = image.to_rgba8();
            encoder.write_image(
                rgba.as_raw(),
                rgba.width(),
                rgba.height(),
                image::ExtendedColorType::Rgba8,
            )
        }
        ImageKind::Webp => {
            let rgba = image.to_rgba8();
            image::codecs::webp::WebPEncoder::new_lossless(&mut out).write_image(
                rgba.as_raw(),
                rgba.width(),
                rgba.height(),
                image::ExtendedColorType::Rgba8,
            )
        }
    };
    written.map_err(|_| ImageError::Undecodable)?;
    Ok(out)
}

/// [`validate`] on the blocking thread pool, so decoding never stalls the runtime. The
/// outer error is the task's own failure (it panicked), the inner one the image's.
pub async fn validate_blocking(
    bytes: std::sync::Arc<[u8]>,
    file_name: Option<String>,
) -> Result<Result<ValidatedImage, ImageError>, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || validate(&bytes, file_name.as_deref())).await
}

fn reader(bytes: &[u8], kind: ImageKind) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(kind.format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    reader
}

/// Width and height from the header alone; no pixel data is read.
pub fn header_dimensions(bytes: &[u8], kind: ImageKind) -> Result<(u32, u32), ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(kind.format());
    reader
        .into_dimensions()
        .map_err(|_| ImageError::Undecodable)
}

/// The first frame, decoded within the limits, with its EXIF orientation applied.
pub fn decode(bytes: &[u8], kind: ImageKind) -> Result<DynamicImage, ImageError> {
    decode_upright(bytes, kind).map(|decoded| decoded.image)
}

/// A decoded image, upright, and what the decoding found on the way.
struct Decoded {
    image: DynamicImage,
    /// The EXIF orientation asked for a rotation or a flip (now applied).
    was_rotated: bool,
    icc_profile: Option<Vec<u8>>,
}

fn decode_upright(bytes: &[u8], kind: ImageKind) -> Result<Decoded, ImageError> {
    let mut decoder = reader(bytes, kind)
        .into_decoder()
        .map_err(|_| ImageError::Undecodable)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let icc_profile = decoder.icc_profile().ok().flatten();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| ImageError::Undecodable)?;
    image.apply_orientation(orientation);
    Ok(Decoded {
        image,
        was_rotated: orientation != image::metadata::Orientation::NoTransforms,
        icc_profile,
    })
}

/// `bytes` as an image of exactly `width`×`height`: unchanged when the header already
/// says so, else decoded within the limits, cover-scaled (centred crop) and
/// re-encoded as PNG.
pub fn fit_exactly(
    bytes: Vec<u8>,
    kind: ImageKind,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ImageError> {
    if header_dimensions(&bytes, kind)? == (width, height) {
        return Ok(bytes);
    }
    let image = decode(&bytes, kind)?.resize_to_fill(width, height, FilterType::Lanczos3);
    let mut out = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|_| ImageError::Undecodable)?;
    Ok(out)
}

/// `side`×`side` cover crop (scaled to fill, centred), flattened on white, as JPEG.
pub fn cover_thumbnail_jpeg(image: &DynamicImage, side: u32) -> Result<Vec<u8>, ImageError> {
    let thumb = image.resize_to_fill(side, side, FilterType::Lanczos3);
    let rgb = flatten_on_white(&thumb);
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, THUMBNAIL_QUALITY)
        .encode_image(&rgb)
        .map_err(|_| ImageError::Undecodable)?;
    Ok(out)
}

/// JPEG has no alpha: transparent pixels become white instead of their hidden colour.
fn flatten_on_white(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| {
            let c = u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a));
            u8::try_from(c / 255).unwrap_or(u8::MAX)
        };
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

#[cfg(test)]
mod tests;
