//! The three offline images of every library pose, under
//! `<PRESETS_DIR>/pose-generator/` (served at `/presets/pose-generator/`):
//!
//! | File | What | URL column |
//! |---|---|---|
//! | `<slug>.jpg` | 1024×1024 preview: a figure in the pose ([`render::figure`]) | `previewImageUrl`, `referenceImageUrl` |
//! | `<slug>_thumb.jpg` | the same preview at 400×400 | `thumbnailUrl` |
//! | `<slug>_pose.png` | 1024×1024 OpenPose map of the skeleton ([`skeleton`]) | `controlnetImageUrl` |
//!
//! Everything is deterministic (same pose name, same bytes), a file is written only
//! when it is missing, and the poses are rendered on a few threads.

use std::io;
use std::path::{Path, PathBuf};

use render::canvas::Canvas;
use render::color::parse_color;
use render::figure::{self, Headwear};

use super::poses::{IMAGE_DIR, LIBRARY_POSES, LibraryPose};
use super::preview::write_bytes_if_missing;
use super::skeleton::{self, Skeleton};

pub const PREVIEW_SIZE: u32 = 1024;
pub const THUMBNAIL_SIZE: u32 = 400;
pub const POSE_MAP_SIZE: u32 = 1024;

/// Where a pose's images live under `presets_dir`, matching its URLs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoseImagePaths {
    pub preview: PathBuf,
    pub thumbnail: PathBuf,
    pub pose_map: PathBuf,
}

impl PoseImagePaths {
    pub fn of(presets_dir: &Path, pose: &LibraryPose) -> PoseImagePaths {
        let (dir, slug) = (presets_dir.join(IMAGE_DIR), pose.slug());
        PoseImagePaths {
            preview: dir.join(format!("{slug}.jpg")),
            thumbnail: dir.join(format!("{slug}_thumb.jpg")),
            pose_map: dir.join(format!("{slug}_pose.png")),
        }
    }

    pub fn all(&self) -> [&Path; 3] {
        [&self.preview, &self.thumbnail, &self.pose_map]
    }
}

/// The preview of `pose` at `size` pixels (a multiple of 8): hijab poses get a hijab.
pub fn preview(pose: &LibraryPose, skeleton: &Skeleton, size: u32) -> Canvas {
    let headwear = if pose.root() == "hijab" {
        Headwear::Hijab
    } else {
        Headwear::Hair
    };
    figure::render(
        skeleton,
        pose.name,
        parse_color(pose.color()),
        headwear,
        size,
    )
}

/// Writes the missing images of one pose; returns (written, already present).
fn write_pose(presets_dir: &Path, pose: &LibraryPose) -> io::Result<(usize, usize)> {
    let paths = PoseImagePaths::of(presets_dir, pose);
    if paths.all().iter().all(|p| p.exists()) {
        return Ok((0, 3));
    }
    let skeleton = skeleton::skeleton_for(pose.name);
    let mut written = 0;
    type Render<'a> = &'a dyn Fn() -> Result<Vec<u8>, render::ImageError>;
    let files: [(&Path, Render); 3] = [
        (&paths.preview, &|| {
            preview(pose, &skeleton, PREVIEW_SIZE).jpeg()
        }),
        (&paths.thumbnail, &|| {
            preview(pose, &skeleton, THUMBNAIL_SIZE).jpeg()
        }),
        (&paths.pose_map, &|| skeleton.pose_map_png(POSE_MAP_SIZE)),
    ];
    for (path, render) in files {
        if write_bytes_if_missing(path, || render().map_err(io::Error::other))? {
            written += 1;
        }
    }
    Ok((written, 3 - written))
}

/// Writes every missing pose image under `presets_dir`; returns (written, already
/// present), counting files.
pub fn write_missing(presets_dir: &Path) -> io::Result<(usize, usize)> {
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(1, 8);
    let results: Vec<io::Result<(usize, usize)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    let (mut written, mut existing) = (0, 0);
                    for pose in LIBRARY_POSES.iter().skip(w).step_by(workers) {
                        let (wr, ex) = write_pose(presets_dir, pose).map_err(|e| {
                            io::Error::new(e.kind(), format!("pose {:?}: {e}", pose.name))
                        })?;
                        written += wr;
                        existing += ex;
                    }
                    Ok((written, existing))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("a rendering thread panicked")))
            })
            .collect()
    });
    let (mut written, mut existing) = (0, 0);
    for r in results {
        let (w, e) = r?;
        written += w;
        existing += e;
    }
    Ok((written, existing))
}
