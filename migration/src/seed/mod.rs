//! Reference data both apps need (api.md §9): the avatar presets (§9.1), the persona
//! examples (§9.2), the pose categories (§9.3) and the library poses (§9.4).
//!
//! Each group is upserted by its natural key (presets and examples by `name`,
//! categories by `slug`, poses by (category, `name`)) in one transaction: new rows get
//! new ids and every column; existing rows get only the descriptive fields the seed
//! owns rewritten (never a counter: `usageCount`, `favoriteCount`, `ratingAvg`,
//! `popularityScore`, `poseCount`; never the id); rows that are not in the seed are
//! left alone. Categories go parents first, so a sub-category's `parentId` is known.
//!
//! Images are drawn offline by the `render` crate, never fetched, and a file is
//! written only when it is missing:
//!
//! - the presets' placeholder previews, `<PRESETS_DIR>/avatar-creator/<slug>.jpg`
//!   ([`preview`]);
//! - per library pose, `<PRESETS_DIR>/pose-generator/<slug>.jpg` (1024² preview, also
//!   the reference image), `<slug>_thumb.jpg` (400²) and `<slug>_pose.png` (1024²
//!   OpenPose map, the ControlNet image), stored as `/presets/pose-generator/…` URLs
//!   ([`pose_images`]). A pose's skeleton is [`skeleton::skeleton_for`]`(name)`.
//!
//! [`seed_check`] validates all of the static data without a database.

mod check;
pub mod data;
pub mod pose_images;
pub mod poses;
pub mod preview;
pub mod skeleton;
mod upsert;

use std::fmt;
use std::path::{Path, PathBuf};

use sea_orm_migration::sea_orm::{DatabaseConnection, DbErr};

pub use check::seed_check;
use data::PRESETS;
pub use skeleton::{Keypoint, Skeleton, skeleton_for};
use upsert::{seed_library_poses, seed_persona_examples, seed_pose_categories, seed_presets};

/// What one group's upsert did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCounts {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl fmt::Display for GroupCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} inserted, {} updated, {} unchanged",
            self.inserted, self.updated, self.unchanged
        )
    }
}

/// What [`seed`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub avatar_presets: GroupCounts,
    pub persona_examples: GroupCounts,
    pub pose_categories: GroupCounts,
    pub library_poses: GroupCounts,
    /// Preset preview images rendered because their file was missing.
    pub previews_written: usize,
    /// Preset preview images left alone because their file already existed.
    pub previews_existing: usize,
    /// Library pose image files (preview, thumbnail, pose map) rendered because
    /// they were missing.
    pub pose_images_written: usize,
    /// Library pose image files left alone because they already existed.
    pub pose_images_existing: usize,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "avatar presets: {}", self.avatar_presets)?;
        writeln!(f, "persona examples: {}", self.persona_examples)?;
        writeln!(f, "pose categories: {}", self.pose_categories)?;
        writeln!(f, "library poses: {}", self.library_poses)?;
        writeln!(
            f,
            "preset preview images: {} written, {} already present",
            self.previews_written, self.previews_existing
        )?;
        write!(
            f,
            "pose images: {} written, {} already present",
            self.pose_images_written, self.pose_images_existing
        )
    }
}

/// Upserts the avatar presets, the persona examples, the pose categories and the
/// library poses (one transaction per group), then renders every missing image:
/// preset previews under `<presets_dir>/avatar-creator/`, pose images under
/// `<presets_dir>/pose-generator/`.
pub async fn seed(db: &DatabaseConnection, presets_dir: &Path) -> Result<SeedReport, DbErr> {
    seed_check()
        .map_err(|problems| DbErr::Custom(format!("invalid seed data: {}", problems.join("; "))))?;
    let avatar_presets = seed_presets(db).await?;
    let persona_examples = seed_persona_examples(db).await?;
    let pose_categories = seed_pose_categories(db).await?;
    let library_poses = seed_library_poses(db).await?;
    let (previews_written, previews_existing) = write_previews(presets_dir)?;
    let (pose_images_written, pose_images_existing) = pose_images::write_missing(presets_dir)
        .map_err(|e| {
            DbErr::Custom(format!(
                "cannot write the pose images under {}: {e}",
                presets_dir.display()
            ))
        })?;
    Ok(SeedReport {
        avatar_presets,
        persona_examples,
        pose_categories,
        library_poses,
        previews_written,
        previews_existing,
        pose_images_written,
        pose_images_existing,
    })
}

/// Where the preview of a preset lives under `presets_dir`, matching its
/// `previewImageUrl` (`/presets/avatar-creator/<slug>.jpg`).
pub fn preview_path(presets_dir: &Path, preset: &data::Preset) -> PathBuf {
    presets_dir
        .join("avatar-creator")
        .join(format!("{}.jpg", preset.slug()))
}

fn write_previews(presets_dir: &Path) -> Result<(usize, usize), DbErr> {
    let (mut written, mut existing) = (0, 0);
    for preset in &PRESETS {
        let path = preview_path(presets_dir, preset);
        match preview::write_if_missing(&path, preset.name) {
            Ok(true) => written += 1,
            Ok(false) => existing += 1,
            Err(e) => {
                return Err(DbErr::Custom(format!(
                    "cannot write the preview {}: {e}",
                    path.display()
                )));
            }
        }
    }
    Ok((written, existing))
}

pub use crate::ids::new_id;

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use check::one_sentence;
    use poses::LIBRARY_POSES;

    #[test]
    fn every_pose_has_its_own_skeleton_and_the_archetypes_vary() {
        let skeletons: Vec<Skeleton> = LIBRARY_POSES.iter().map(|p| skeleton_for(p.name)).collect();
        for (i, a) in skeletons.iter().enumerate() {
            for (j, b) in skeletons.iter().enumerate().skip(i + 1) {
                assert_ne!(
                    a.keypoints, b.keypoints,
                    "{} and {}",
                    LIBRARY_POSES[i].name, LIBRARY_POSES[j].name
                );
            }
        }
        let archetypes: HashSet<_> = skeletons.iter().map(|s| s.archetype).collect();
        assert!(
            archetypes.len() >= 35,
            "{} archetypes in use",
            archetypes.len()
        );
        // The documented sample rows get the body position their description names.
        use skeleton::Archetype as A;
        for (name, archetype) in [
            ("Classic Business Headshot", A::ArmsCrossed),
            ("Running Mid-Stride", A::Running),
            ("Tree Pose Yoga", A::YogaTree),
            ("Plank Position Strong", A::Plank),
            ("Meditation Seated", A::Meditation),
            ("Fashion Model T-Pose", A::TPose),
            ("Bicep Flex Fitness", A::BicepFlex),
            ("Comfortable Sitting Cross-Legged", A::SittingCrossLegged),
        ] {
            assert_eq!(skeleton_for(name).archetype, archetype, "{name}");
        }
    }

    #[test]
    fn pose_urls_and_paths_agree() {
        let pose = &LIBRARY_POSES[0];
        assert_eq!(pose.slug(), "classic-business-headshot");
        assert_eq!(
            pose.preview_url(),
            "/presets/pose-generator/classic-business-headshot.jpg"
        );
        assert_eq!(
            pose.thumbnail_url(),
            "/presets/pose-generator/classic-business-headshot_thumb.jpg"
        );
        assert_eq!(
            pose.controlnet_url(),
            "/presets/pose-generator/classic-business-headshot_pose.png"
        );
        let paths = pose_images::PoseImagePaths::of(Path::new("/srv/presets"), pose);
        for (path, url) in paths.all().into_iter().zip([
            pose.preview_url(),
            pose.thumbnail_url(),
            pose.controlnet_url(),
        ]) {
            assert_eq!(
                path,
                Path::new("/srv").join(url.trim_start_matches('/')),
                "{url}"
            );
        }
        assert_eq!(poses::category("fitness-gym").unwrap().color(), "#F59E0B");
    }

    #[test]
    fn descriptions_must_be_one_sentence() {
        assert!(one_sentence("A pose with arms crossed."));
        assert!(!one_sentence("a pose."));
        assert!(!one_sentence("A pose. Another one."));
        assert!(!one_sentence("A pose without a full stop"));
    }

    #[test]
    fn the_static_data_is_valid() {
        assert_eq!(seed_check(), Ok(()));
    }

    #[test]
    fn ids_have_the_api_shape_and_do_not_repeat() {
        let ids: HashSet<String> = (0..10_000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(100) {
            assert_eq!(id.len(), 25, "{id}");
            assert!(id.starts_with('c'), "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            );
        }
    }

    #[test]
    fn preview_paths_match_the_urls() {
        let p = &PRESETS[0];
        assert_eq!(
            preview_path(Path::new("/srv/presets"), p),
            PathBuf::from("/srv/presets/avatar-creator/professional-business-woman.jpg")
        );
        assert!(
            p.preview_image_url()
                .ends_with("/avatar-creator/professional-business-woman.jpg")
        );
    }
}
