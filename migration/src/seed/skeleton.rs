//! The skeleton of each library pose. Skeletons, archetypes and pose maps are drawn by
//! the `render` crate ([`render::skeleton`], re-exported here); what the seed adds is
//! which archetype a library pose gets: the one its name, description and tags name.

pub use render::skeleton::*;

use super::poses::LIBRARY_POSES;

/// The skeleton of the library pose called `pose_name` (case-insensitive): its
/// archetype from its name, description and tags, with the variation of its name. A
/// name that is not in the seed gets an archetype from the name alone.
pub fn skeleton_for(pose_name: &str) -> Skeleton {
    let text = LIBRARY_POSES
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(pose_name.trim()))
        .map_or_else(|| pose_name.to_owned(), |p| p.keyword_text());
    Skeleton::build(archetype_for(&text), pose_name.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_poses_pick_archetypes_by_their_text() {
        assert_eq!(
            skeleton_for("classic business headshot").archetype,
            Archetype::ArmsCrossed
        );
        assert_eq!(
            skeleton_for("Running Mid-Stride").archetype,
            Archetype::Running
        );
        assert_eq!(
            skeleton_for("Not In The Seed: Plank").archetype,
            Archetype::Plank
        );
    }
}
