use image::{ImageEncoder, Rgb, RgbaImage, codecs::png::PngEncoder, codecs::webp::WebPEncoder};

use super::*;

fn gradient(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]))
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    gradient(w, h)
        .write_with_encoder(PngEncoder::new(&mut out))
        .unwrap();
    out
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    gradient(w, h)
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
        .unwrap();
    out
}

fn webp(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let img = RgbaImage::from_fn(w, h, |x, _| image::Rgba([x as u8, 0, 0, 255]));
    WebPEncoder::new_lossless(&mut out)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgba8)
        .unwrap();
    out
}

/// A tiny, well-formed PNG whose IHDR claims `w`×`h` but whose IDAT holds an empty
/// zlib stream: a few dozen bytes that would decode to `w`×`h` pixels.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, no interlace
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    for (kind, data) in [
        (b"IHDR", ihdr.as_slice()),
        (
            b"IDAT",
            &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01][..],
        ),
        (b"IEND", &[][..]),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn thumb_size(v: &ValidatedImage) -> (u32, u32) {
    let img = image::load_from_memory_with_format(&v.thumbnail_jpeg, ImageFormat::Jpeg)
        .expect("thumbnail decodes");
    (img.width(), img.height())
}

#[test]
fn accepts_the_three_formats_and_makes_a_square_thumbnail() {
    for (bytes, name, kind) in [
        (png(400, 300), "me.png", ImageKind::Png),
        (jpeg(256, 512), "ME.JPEG", ImageKind::Jpeg),
        (jpeg(300, 300), "me.jpg", ImageKind::Jpeg),
        (webp(320, 640), "me.webp", ImageKind::Webp),
    ] {
        let v = validate(&bytes, Some(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.kind, kind);
        assert_eq!(thumb_size(&v), (THUMBNAIL_SIDE, THUMBNAIL_SIDE), "{name}");
        assert!(v.thumbnail_jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
    }
}

#[test]
fn refuses_what_is_not_an_image_with_the_detected_type() {
    let err = validate(b"hello, I am text", Some("x.png")).unwrap_err();
    assert_eq!(
        err,
        ImageError::UnsupportedType {
            detected: "text/plain"
        }
    );
    let api = ApiError::from(err);
    assert_eq!(api.status().as_u16(), 415);
    let details = api.details().unwrap();
    assert_eq!(details["detected"], "text/plain");
    assert_eq!(
        details["allowed"],
        serde_json::json!(["image/jpeg", "image/png", "image/webp"])
    );
    assert_eq!(
        validate(b"GIF89a\x01\x00\x01\x00", Some("x.gif")).unwrap_err(),
        ImageError::UnsupportedType {
            detected: "image/gif"
        }
    );
    assert_eq!(detect_mime(&[0, 1, 2, 0xFE]), "application/octet-stream");
}

#[test]
fn extension_must_match_the_real_type() {
    let bytes = png(300, 300);
    for name in ["x.jpg", "x", "png", "x.png.exe", "dir.png/x"] {
        assert_eq!(
            validate(&bytes, Some(name)).unwrap_err(),
            ImageError::ExtensionMismatch,
            "{name}"
        );
    }
    assert_eq!(
        validate(&bytes, None).unwrap_err(),
        ImageError::ExtensionMismatch
    );
    // Path parts are ignored: only the extension of the last component counts.
    assert!(validate(&bytes, Some("../../x.PNG")).is_ok());
    assert!(validate(&bytes, Some("C:\\tmp\\x.png")).is_ok());
}

#[test]
fn dimensions_are_bounded() {
    for (w, h) in [(255, 300), (300, 255), (4097, 300)] {
        assert_eq!(
            validate(&png(w, h), Some("x.png")).unwrap_err(),
            ImageError::Dimensions {
                width: w,
                height: h
            }
        );
    }
    assert!(validate(&png(4096, 256), Some("x.png")).is_ok());
}

#[test]
fn decompression_bombs_are_refused_from_the_header() {
    let bomb = png_header_only(100_000, 100_000);
    assert_eq!(
        header_dimensions(&bomb, ImageKind::Png),
        Ok((100_000, 100_000))
    );
    assert_eq!(
        validate(&bomb, Some("bomb.png")).unwrap_err(),
        ImageError::Dimensions {
            width: 100_000,
            height: 100_000
        }
    );
    // In range, but no pixel data behind the header: a decode error, not a panic.
    assert_eq!(
        validate(&png_header_only(4096, 4096), Some("bomb.png")).unwrap_err(),
        ImageError::Undecodable
    );
}

#[test]
fn truncated_and_empty_files_are_refused() {
    let bytes = jpeg(400, 400);
    assert_eq!(
        validate(&bytes[..200], Some("x.jpg")).unwrap_err(),
        ImageError::Undecodable
    );
    assert_eq!(validate(&[], Some("x.jpg")).unwrap_err(), ImageError::Empty);
    assert_eq!(
        validate(b"\xFF\xD8\xFF", Some("x.jpg")).unwrap_err(),
        ImageError::Undecodable
    );
}

#[test]
fn oversized_files_are_a_413_with_max_bytes() {
    let big = vec![0u8; MAX_UPLOAD_BYTES + 1];
    let err = ApiError::from(validate(&big, Some("x.png")).unwrap_err());
    assert_eq!(err.status().as_u16(), 413);
    assert_eq!(err.details().unwrap()["maxBytes"], 10_485_760);
}

#[test]
fn thumbnails_are_centred_cover_crops_flattened_on_white() {
    // Left half red, right half blue, 600×300: the centred square crop keeps both.
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(600, 300, |x, _| {
        if x < 300 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    }));
    let jpeg = cover_thumbnail_jpeg(&img, 300).unwrap();
    let thumb = image::load_from_memory(&jpeg).unwrap().to_rgb8();
    assert_eq!(thumb.dimensions(), (300, 300));
    assert!(thumb.get_pixel(10, 150).0[0] > 200, "left is red");
    assert!(thumb.get_pixel(290, 150).0[2] > 200, "right is blue");

    let clear = DynamicImage::ImageRgba8(RgbaImage::from_pixel(10, 10, image::Rgba([0, 0, 0, 0])));
    let thumb = image::load_from_memory(&cover_thumbnail_jpeg(&clear, 300).unwrap())
        .unwrap()
        .to_rgb8();
    assert!(thumb.get_pixel(150, 150).0.iter().all(|c| *c > 240));
}
