//! The offline images of the product, drawn deterministically (same input, same bytes)
//! with no network and no model:
//!
//! - [`skeleton`]: a body in the 18-keypoint OpenPose layout, and its pose map (the
//!   ControlNet image of a library pose);
//! - [`figure`]: a library pose's preview, a figure drawn along its skeleton on a
//!   [`canvas`];
//! - [`portrait`]: an avatar preset's placeholder preview;
//! - [`picture`]: what the `local` image provider returns for a generation, a figure
//!   standing or following a pose map.
//!
//! The seed (`migration::seed`) writes the first three under `PRESETS_DIR`; the API's
//! `local` provider (`api::providers::local`) draws the last. Colours ([`color`]) and
//! lettering ([`font`]) are shared by all of them. Depends on `image` only.

pub mod canvas;
pub mod color;
pub mod figure;
pub mod font;
pub mod picture;
pub mod portrait;
pub mod skeleton;

pub use image::ImageError;

/// The quality of every JPEG drawn here.
pub const JPEG_QUALITY: u8 = 88;

/// FNV-1a, 64 bits: stable across runs and platforms (unlike `std`'s hasher), so a
/// name always gives the same colours and the same variation.
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
