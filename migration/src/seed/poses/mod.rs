//! The Pose Generator's static seed data: the pose categories (api.md §9.3) and the
//! library poses (§9.4), with the URLs of their offline-rendered images.

use super::data::slug;

mod categories;
mod library;

pub use categories::CATEGORIES;
pub use library::LIBRARY_POSES;

pub const EXPECTED_ROOT_CATEGORIES: usize = 6;
pub const EXPECTED_SUB_CATEGORIES: usize = 22;
pub const EXPECTED_LIBRARY_POSES: usize = 84;

/// (difficulty, count) of api.md §9.4.
pub const EXPECTED_DIFFICULTY: [(&str, usize); 3] =
    [("beginner", 49), ("intermediate", 29), ("advanced", 6)];
/// (genderSuitability, count) of api.md §9.4.
pub const EXPECTED_GENDER: [(&str, usize); 3] = [("unisex", 51), ("male", 20), ("female", 13)];
pub const EXPECTED_FEATURED: usize = 7;
pub const EXPECTED_PREMIUM: usize = 9;
/// (top-level slug, poses in its sub-categories) of api.md §9.4.
pub const EXPECTED_PER_ROOT: [(&str, usize); 6] = [
    ("professional", 18),
    ("e-commerce", 16),
    ("fashion", 9),
    ("hijab", 13),
    ("casual", 14),
    ("sports", 14),
];

/// Where the seed's pose images live under `PRESETS_DIR`, and their URL prefix.
pub const IMAGE_DIR: &str = "pose-generator";

/// One pose category (api.md §2.8, §9.3). `name` is the slug.
#[derive(Clone, Copy, Debug)]
pub struct Category {
    pub slug: &'static str,
    pub display_name: &'static str,
    /// `None` for a top-level category.
    pub parent: Option<&'static str>,
    pub display_order: i32,
    pub icon: &'static str,
    pub description: &'static str,
}

impl Category {
    /// The colour: a top-level category's own, a sub-category's parent's.
    pub fn color(&self) -> &'static str {
        let root = self.parent.unwrap_or(self.slug);
        ROOT_COLORS
            .iter()
            .find(|(slug, _)| *slug == root)
            .map_or("#6B7280", |(_, c)| c)
    }

    pub fn root(&self) -> &'static str {
        self.parent.unwrap_or(self.slug)
    }
}

const ROOT_COLORS: [(&str, &str); 6] = [
    ("professional", "#3B82F6"),
    ("e-commerce", "#EF4444"),
    ("fashion", "#8B5CF6"),
    ("hijab", "#EC4899"),
    ("casual", "#10B981"),
    ("sports", "#F59E0B"),
];

pub fn category(slug: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.slug == slug)
}

/// Difficulty markers of the roster: no marker, (I), (A).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Difficulty {
    Beginner,
    Intermediate,
    Advanced,
}

impl Difficulty {
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Beginner => "beginner",
            Difficulty::Intermediate => "intermediate",
            Difficulty::Advanced => "advanced",
        }
    }
}

/// Gender markers of the roster: no marker, (M), (F).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Unisex,
    Male,
    Female,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Unisex => "unisex",
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
}

/// One library pose (api.md §2.9, §9.4).
#[derive(Clone, Copy, Debug)]
pub struct LibraryPose {
    /// The sub-category's slug.
    pub category: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub difficulty: Difficulty,
    pub gender: Gender,
    pub featured: bool,
    pub premium: bool,
    pub tags: &'static [&'static str],
}

impl LibraryPose {
    /// The file-name stem of the pose's images: the lowercased name, every run of
    /// other characters one `-`.
    pub fn slug(&self) -> String {
        slug(self.name)
    }

    /// `/presets/pose-generator/<slug>.jpg`: `previewImageUrl` and
    /// `referenceImageUrl`.
    pub fn preview_url(&self) -> String {
        format!("/presets/{IMAGE_DIR}/{}.jpg", self.slug())
    }

    /// `/presets/pose-generator/<slug>_thumb.jpg`: `thumbnailUrl`.
    pub fn thumbnail_url(&self) -> String {
        format!("/presets/{IMAGE_DIR}/{}_thumb.jpg", self.slug())
    }

    /// `/presets/pose-generator/<slug>_pose.png`: `controlnetImageUrl`.
    pub fn controlnet_url(&self) -> String {
        format!("/presets/{IMAGE_DIR}/{}_pose.png", self.slug())
    }

    /// The top-level category's slug.
    pub fn root(&self) -> &'static str {
        category(self.category).map_or(self.category, Category::root)
    }

    /// The root category's `#RRGGBB` colour.
    pub fn color(&self) -> &'static str {
        category(self.category).map_or("#6B7280", Category::color)
    }

    /// Name, description and tags, lowercased: what the skeleton archetype is picked
    /// from.
    pub fn keyword_text(&self) -> String {
        format!(
            "{} | {} | {}",
            self.name,
            self.description,
            self.tags.join(", ")
        )
        .to_lowercase()
    }
}
