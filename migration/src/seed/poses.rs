//! The Pose Generator's static seed data: the pose categories (api.md §9.3) and the
//! library poses (§9.4), with the URLs of their offline-rendered images.

use super::data::slug;

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

const fn root(
    slug: &'static str,
    display_name: &'static str,
    display_order: i32,
    icon: &'static str,
    description: &'static str,
) -> Category {
    Category {
        slug,
        display_name,
        parent: None,
        display_order,
        icon,
        description,
    }
}

const fn sub(
    parent: &'static str,
    slug: &'static str,
    display_name: &'static str,
    display_order: i32,
    icon: &'static str,
    description: &'static str,
) -> Category {
    Category {
        slug,
        display_name,
        parent: Some(parent),
        display_order,
        icon,
        description,
    }
}

/// The 6 top-level categories, then the 22 sub-categories (parents first).
pub const CATEGORIES: [Category; 28] = [
    root(
        "professional",
        "Professional",
        0,
        "briefcase",
        "Poses for business and professional imagery: portraits, headshots, speaking and workplace scenes.",
    ),
    root(
        "e-commerce",
        "E-Commerce",
        10,
        "shopping-bag",
        "Poses for selling online: product modelling, marketplace listings, before-and-after shots and live selling.",
    ),
    root(
        "fashion",
        "Fashion & Style",
        20,
        "sparkles",
        "Poses for fashion and style content, from editorial shoots to street style and the runway.",
    ),
    root(
        "hijab",
        "Hijab & Modest Fashion",
        30,
        "heart",
        "Poses for hijab and modest fashion, from everyday looks to professional, fashion and wedding imagery.",
    ),
    root(
        "casual",
        "Casual & Lifestyle",
        40,
        "smile",
        "Relaxed everyday and lifestyle poses for social media, outdoor scenes and casual portraits.",
    ),
    root(
        "sports",
        "Sports & Active",
        50,
        "zap",
        "Active poses for fitness, yoga, wellness and running content.",
    ),
    sub(
        "professional",
        "business-portraits",
        "Business Portraits",
        0,
        "user-circle",
        "Classic head-and-shoulders and half-body portraits for LinkedIn, company websites and professional profiles.",
    ),
    sub(
        "professional",
        "corporate-headshots",
        "Corporate Headshots",
        10,
        "building",
        "Polished, confident headshots for executives, teams and corporate directories.",
    ),
    sub(
        "professional",
        "conference-speaking",
        "Conference & Speaking",
        20,
        "mic",
        "Speaking, presenting and panel poses for conferences, talks and event promotion.",
    ),
    sub(
        "professional",
        "office-workspace",
        "Office & Workspace",
        30,
        "laptop",
        "Poses at the desk and around the office for workplace and remote-work imagery.",
    ),
    sub(
        "e-commerce",
        "product-modeling",
        "Product Modeling",
        0,
        "package",
        "Poses that show clothing and products clearly for catalogues and online stores.",
    ),
    sub(
        "e-commerce",
        "shopee-tiktok",
        "Shopee & TikTok Shop",
        10,
        "smartphone",
        "Energetic, attention-grabbing poses for Shopee and TikTok Shop listings and short videos.",
    ),
    sub(
        "e-commerce",
        "before-after",
        "Before & After",
        20,
        "refresh-cw",
        "Matching poses for before-and-after comparisons of products, makeovers and results.",
    ),
    sub(
        "e-commerce",
        "live-selling",
        "Live Selling",
        30,
        "video",
        "Welcoming, demonstrative poses for the hosts of live-selling streams.",
    ),
    sub(
        "fashion",
        "editorial",
        "Editorial",
        0,
        "book-open",
        "Bold, expressive poses for magazine editorials and high-fashion shoots.",
    ),
    sub(
        "fashion",
        "street-style",
        "Street Style",
        10,
        "map-pin",
        "Natural, on-the-move poses for street-style and outfit-of-the-day photos.",
    ),
    sub(
        "fashion",
        "runway-catwalk",
        "Runway & Catwalk",
        20,
        "trending-up",
        "Confident walking and turning poses inspired by the runway and the catwalk.",
    ),
    sub(
        "hijab",
        "casual-hijab",
        "Casual Hijab",
        0,
        "coffee",
        "Friendly, relaxed everyday poses for casual hijab looks.",
    ),
    sub(
        "hijab",
        "professional-hijab",
        "Professional Hijab",
        10,
        "briefcase",
        "Polished poses for hijab-wearing professionals in office and business settings.",
    ),
    sub(
        "hijab",
        "fashion-hijab",
        "Fashion Hijab",
        20,
        "sparkles",
        "Stylish poses that show off modest fashion outfits and hijab styling.",
    ),
    sub(
        "hijab",
        "wedding-hijab",
        "Wedding & Formal Hijab",
        30,
        "crown",
        "Elegant poses for bridal, engagement and formal hijab occasions.",
    ),
    sub(
        "casual",
        "everyday-casual",
        "Everyday Casual",
        0,
        "sun",
        "Easy, natural poses for everyday casual portraits.",
    ),
    sub(
        "casual",
        "social-media",
        "Social Media",
        10,
        "instagram",
        "Eye-catching poses made for Instagram, stories, reels and other social feeds.",
    ),
    sub(
        "casual",
        "outdoor-lifestyle",
        "Outdoor & Lifestyle",
        20,
        "tree-pine",
        "Poses for outdoor and travel lifestyle scenes in parks, streets and nature.",
    ),
    sub(
        "casual",
        "sitting-relaxed",
        "Sitting & Relaxed",
        30,
        "armchair",
        "Comfortable sitting and lounging poses for relaxed lifestyle imagery.",
    ),
    sub(
        "sports",
        "fitness-gym",
        "Fitness & Gym",
        0,
        "dumbbell",
        "Strong, dynamic poses for gym, workout and fitness-coaching content.",
    ),
    sub(
        "sports",
        "yoga-wellness",
        "Yoga & Wellness",
        10,
        "heart-pulse",
        "Calm, balanced yoga and meditation poses for wellness content.",
    ),
    sub(
        "sports",
        "running-cardio",
        "Running & Cardio",
        20,
        "activity",
        "Dynamic running, warm-up and finish-line poses for cardio and athletics.",
    ),
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

use Difficulty::{Advanced as A, Beginner as B, Intermediate as I};
use Gender::{Female as F, Male as M, Unisex as U};

#[allow(clippy::too_many_arguments)]
const fn pose(
    category: &'static str,
    name: &'static str,
    difficulty: Difficulty,
    gender: Gender,
    featured: bool,
    premium: bool,
    description: &'static str,
    tags: &'static [&'static str],
) -> LibraryPose {
    LibraryPose {
        category,
        name,
        description,
        difficulty,
        gender,
        featured,
        premium,
        tags,
    }
}

const STAR: bool = true;
const PREMIUM: bool = true;
const NO: bool = false;

/// The 84 poses of the roster (api.md §9.4), in roster order.
pub const LIBRARY_POSES: [LibraryPose; 84] = [
    // business-portraits (7)
    pose(
        "business-portraits",
        "Classic Business Headshot",
        B,
        U,
        STAR,
        NO,
        "A head-and-shoulders pose with arms crossed and a confident expression, facing the camera.",
        &[
            "headshot",
            "professional",
            "business",
            "arms crossed",
            "confident",
            "formal",
        ],
    ),
    pose(
        "business-portraits",
        "Friendly Professional Smile",
        B,
        U,
        NO,
        NO,
        "An upright, front-facing stance with relaxed arms at the sides and a warm, approachable smile.",
        &[
            "smile",
            "friendly",
            "professional",
            "approachable",
            "business",
        ],
    ),
    pose(
        "business-portraits",
        "Executive Power Stance",
        B,
        U,
        NO,
        NO,
        "A wide, grounded stance with hands on hips, shoulders back and the head held level.",
        &[
            "power stance",
            "executive",
            "confident",
            "leadership",
            "business",
        ],
    ),
    pose(
        "business-portraits",
        "Relaxed Professional Lean",
        I,
        U,
        NO,
        NO,
        "A relaxed pose leaning one shoulder against a wall with the legs loosely crossed at the ankles.",
        &[
            "lean",
            "relaxed",
            "professional",
            "business casual",
            "approachable",
        ],
    ),
    pose(
        "business-portraits",
        "Hand in Pocket Confidence",
        B,
        U,
        NO,
        NO,
        "A standing pose with one hand in the trouser pocket and the other arm relaxed at the side.",
        &[
            "hand in pocket",
            "confident",
            "business",
            "relaxed",
            "standing",
        ],
    ),
    pose(
        "business-portraits",
        "Business Professional Male",
        B,
        M,
        NO,
        NO,
        "A front-facing standing pose with squared shoulders and both arms relaxed at the sides.",
        &["male", "business", "professional", "formal", "suit"],
    ),
    pose(
        "business-portraits",
        "Male Business Handshake",
        I,
        M,
        NO,
        NO,
        "A standing pose reaching one arm forward at waist height as if offering a handshake.",
        &["male", "handshake", "business", "greeting", "partnership"],
    ),
    // corporate-headshots (6)
    pose(
        "corporate-headshots",
        "CEO Executive Portrait",
        I,
        U,
        NO,
        NO,
        "A composed executive pose with arms folded across the chest and a steady, direct gaze.",
        &["ceo", "executive", "leadership", "arms crossed", "portrait"],
    ),
    pose(
        "corporate-headshots",
        "Team Leader Pose",
        B,
        U,
        NO,
        NO,
        "An open, welcoming stance with both hands held out at waist height, palms up, as if inviting the team in.",
        &[
            "team leader",
            "approachable",
            "leadership",
            "corporate",
            "open arms",
        ],
    ),
    pose(
        "corporate-headshots",
        "Corporate Confidence",
        I,
        U,
        NO,
        NO,
        "A slightly angled stance with one hand in a jacket pocket and the head held high.",
        &[
            "corporate",
            "confident",
            "headshot",
            "professional",
            "pocket",
        ],
    ),
    pose(
        "corporate-headshots",
        "Male Executive Portrait",
        I,
        M,
        NO,
        NO,
        "A front-facing executive pose with arms crossed, shoulders squared and a calm expression.",
        &["male", "executive", "arms crossed", "portrait", "corporate"],
    ),
    pose(
        "corporate-headshots",
        "Male Tech Professional",
        B,
        M,
        NO,
        NO,
        "A relaxed standing pose holding a laptop at chest height with both hands.",
        &["male", "tech", "laptop", "professional", "startup"],
    ),
    pose(
        "corporate-headshots",
        "Male Office Professional",
        B,
        M,
        NO,
        NO,
        "An upright office pose with hands on hips and the jacket pushed back.",
        &["male", "office", "professional", "corporate", "confident"],
    ),
    // conference-speaking (5)
    pose(
        "conference-speaking",
        "Keynote Speaker Gesture",
        I,
        U,
        NO,
        NO,
        "A standing speaker pose with one hand raised in an open, explaining gesture toward the audience.",
        &[
            "keynote",
            "speaker",
            "gesture",
            "presentation",
            "conference",
        ],
    ),
    pose(
        "conference-speaking",
        "Panel Discussion Pose",
        B,
        U,
        NO,
        NO,
        "A seated panel pose, upright on a chair with the hands resting on the knees.",
        &[
            "panel",
            "discussion",
            "seated",
            "conference",
            "professional",
        ],
    ),
    pose(
        "conference-speaking",
        "TED Talk Stance",
        I,
        U,
        NO,
        PREMIUM,
        "A grounded stage stance with both hands held out at waist height in an open gesture.",
        &["ted talk", "speaker", "stage", "gesture", "presentation"],
    ),
    pose(
        "conference-speaking",
        "Microphone Presenter",
        B,
        U,
        NO,
        NO,
        "A standing presenter pose holding a microphone near the chin with the other arm relaxed.",
        &["microphone", "presenter", "host", "speaking", "event"],
    ),
    pose(
        "conference-speaking",
        "Male Conference Speaker",
        I,
        M,
        NO,
        NO,
        "A standing speaker pose pointing toward the audience with one arm extended.",
        &["male", "speaker", "conference", "pointing", "presentation"],
    ),
    // product-modeling (7)
    pose(
        "product-modeling",
        "Fashion Model T-Pose",
        B,
        U,
        STAR,
        NO,
        "A symmetrical standing pose with both arms extended straight out to the sides at shoulder height.",
        &["t-pose", "fashion", "model", "full body", "outfit"],
    ),
    pose(
        "product-modeling",
        "Side Profile Showcase",
        B,
        U,
        NO,
        NO,
        "A side profile stance that shows the silhouette of the outfit, with the arms relaxed and the posture tall.",
        &[
            "side profile",
            "showcase",
            "outfit",
            "silhouette",
            "fashion",
        ],
    ),
    pose(
        "product-modeling",
        "Product Hold at Chest",
        B,
        U,
        NO,
        NO,
        "A front-facing pose holding a product with both hands at chest height, facing the camera.",
        &["product", "holding", "chest", "showcase", "e-commerce"],
    ),
    pose(
        "product-modeling",
        "Natural Product Use",
        I,
        U,
        NO,
        NO,
        "A relaxed pose using a product in one hand at face height, as when applying or tasting it.",
        &["product", "natural", "lifestyle", "demonstration", "candid"],
    ),
    pose(
        "product-modeling",
        "Full Body Outfit Display",
        B,
        U,
        NO,
        NO,
        "A full-body standing pose with the weight on one leg and the arms slightly away from the body to show the outfit.",
        &["full body", "outfit", "ootd", "fashion", "display"],
    ),
    pose(
        "product-modeling",
        "Male Product Presenter",
        B,
        M,
        NO,
        NO,
        "A standing pose presenting a product held out in one hand toward the camera.",
        &["male", "product", "presenter", "showcase", "e-commerce"],
    ),
    pose(
        "product-modeling",
        "Male Fashion Model Standing",
        I,
        M,
        NO,
        NO,
        "A tall standing model pose with one hand in a pocket and the weight shifted onto the back leg.",
        &["male", "fashion", "model", "standing", "full body"],
    ),
    // shopee-tiktok (5)
    pose(
        "shopee-tiktok",
        "Excited Product Reveal",
        B,
        U,
        STAR,
        NO,
        "An energetic pose with both arms raised high in excitement after revealing a product.",
        &["excited", "reveal", "product", "energetic", "tiktok"],
    ),
    pose(
        "shopee-tiktok",
        "Thumbs Up Recommendation",
        B,
        U,
        NO,
        NO,
        "A cheerful standing pose giving a thumbs up at shoulder height to recommend a product.",
        &[
            "thumbs up",
            "recommendation",
            "review",
            "cheerful",
            "shopee",
        ],
    ),
    pose(
        "shopee-tiktok",
        "Product Comparison Pose",
        I,
        U,
        NO,
        NO,
        "A balanced pose with both hands held out at waist height, one product in each, to compare them.",
        &[
            "comparison",
            "product",
            "review",
            "both hands",
            "e-commerce",
        ],
    ),
    pose(
        "shopee-tiktok",
        "Unboxing Excitement",
        I,
        U,
        NO,
        NO,
        "An excited pose holding an open box at chest height with both hands.",
        &["unboxing", "excitement", "product", "haul", "tiktok"],
    ),
    pose(
        "shopee-tiktok",
        "Price Point Gesture",
        B,
        U,
        NO,
        NO,
        "A lively pose pointing up and to the side with one arm, as if at an on-screen price.",
        &["price", "pointing", "promo", "sale", "shopee"],
    ),
    // live-selling (4)
    pose(
        "live-selling",
        "Live Host Welcome",
        B,
        U,
        NO,
        NO,
        "A friendly host pose waving one raised hand to greet the viewers.",
        &["live", "host", "welcome", "waving", "greeting"],
    ),
    pose(
        "live-selling",
        "Product Demo Action",
        I,
        U,
        NO,
        NO,
        "An active demonstration pose with one hand raised to explain a product feature.",
        &["demo", "product", "live selling", "action", "tutorial"],
    ),
    pose(
        "live-selling",
        "Flash Sale Energy",
        I,
        U,
        NO,
        NO,
        "A high-energy pose jumping with both arms up to celebrate a flash sale.",
        &["flash sale", "energy", "jumping", "promo", "live selling"],
    ),
    pose(
        "live-selling",
        "Male Live Seller Host",
        I,
        M,
        NO,
        NO,
        "A host pose pointing to the product table with one hand, the other hand on the hip.",
        &["male", "live selling", "host", "presenting", "streaming"],
    ),
    // editorial (3)
    pose(
        "editorial",
        "High Fashion Attitude",
        A,
        U,
        NO,
        PREMIUM,
        "A dramatic pose with one hand on the hip, the other raised to the head and the chin lifted.",
        &["high fashion", "attitude", "editorial", "dramatic", "vogue"],
    ),
    pose(
        "editorial",
        "Magazine Cover Pose",
        I,
        U,
        NO,
        PREMIUM,
        "A bold cover pose with hands on hips, the shoulders angled and a strong gaze into the lens.",
        &["magazine", "cover", "editorial", "bold", "fashion"],
    ),
    pose(
        "editorial",
        "Fashion Forward Lean",
        A,
        U,
        NO,
        PREMIUM,
        "An angular editorial pose leaning the upper body to one side with one leg extended.",
        &[
            "fashion forward",
            "lean",
            "editorial",
            "angular",
            "avant-garde",
        ],
    ),
    // street-style (6)
    pose(
        "street-style",
        "Casual Walk OOTD",
        B,
        U,
        STAR,
        NO,
        "A natural mid-step walking pose with the arms swinging loosely, as if caught strolling down the street.",
        &["walking", "ootd", "street style", "casual", "candid"],
    ),
    pose(
        "street-style",
        "Urban Lean Against Wall",
        B,
        U,
        NO,
        NO,
        "A relaxed pose leaning back against a wall with the ankles crossed and one hand in a pocket.",
        &["urban", "lean", "wall", "street style", "cool"],
    ),
    pose(
        "street-style",
        "Looking Back Over Shoulder",
        I,
        U,
        NO,
        NO,
        "A pose turned away from the camera, looking back over the shoulder.",
        &[
            "looking back",
            "over shoulder",
            "street style",
            "candid",
            "fashion",
        ],
    ),
    pose(
        "street-style",
        "Coffee Shop Casual",
        B,
        U,
        NO,
        NO,
        "A casual standing pose holding a coffee cup at chest height with one hand.",
        &["coffee", "cafe", "casual", "street style", "lifestyle"],
    ),
    pose(
        "street-style",
        "Male Street Style Cool",
        B,
        M,
        NO,
        NO,
        "A laid-back standing pose with a hand in the pocket and the weight on one leg.",
        &["male", "street style", "cool", "pockets", "urban"],
    ),
    pose(
        "street-style",
        "Male Outdoor Casual",
        B,
        M,
        NO,
        NO,
        "A relaxed outdoor pose walking forward with the arms swinging naturally.",
        &["male", "outdoor", "casual", "walking", "weekend"],
    ),
    // casual-hijab (4)
    pose(
        "casual-hijab",
        "Casual Hijab Smile",
        B,
        F,
        STAR,
        NO,
        "A friendly pose with a warm smile, relaxed hands and an approachable stance.",
        &[
            "hijab",
            "casual",
            "smile",
            "friendly",
            "approachable",
            "modest",
        ],
    ),
    pose(
        "casual-hijab",
        "Hijab Adjusting Pose",
        B,
        F,
        NO,
        NO,
        "A candid pose with both hands raised to the sides of the head, adjusting the hijab.",
        &["hijab", "adjusting", "candid", "modest", "natural"],
    ),
    pose(
        "casual-hijab",
        "Book Reading Hijab",
        B,
        F,
        NO,
        NO,
        "A calm pose holding an open book at chest height with the head tilted down to read.",
        &["hijab", "book", "reading", "calm", "modest"],
    ),
    pose(
        "casual-hijab",
        "Outdoor Hijab Casual",
        B,
        F,
        NO,
        NO,
        "A relaxed outdoor walking pose with a light, natural step.",
        &["hijab", "outdoor", "casual", "walking", "modest"],
    ),
    // professional-hijab (4)
    pose(
        "professional-hijab",
        "Professional Hijab Headshot",
        B,
        F,
        STAR,
        NO,
        "A front-facing head-and-shoulders pose with arms crossed and a confident, friendly expression.",
        &[
            "hijab",
            "headshot",
            "professional",
            "arms crossed",
            "confident",
            "modest",
        ],
    ),
    pose(
        "professional-hijab",
        "Hijab Business Standing",
        B,
        F,
        NO,
        NO,
        "An upright business pose with the hands loosely clasped in front at waist height.",
        &["hijab", "business", "standing", "professional", "modest"],
    ),
    pose(
        "professional-hijab",
        "Executive Hijab Seated",
        I,
        F,
        NO,
        NO,
        "A seated executive pose, upright on a chair with the hands resting on the knees.",
        &["hijab", "executive", "seated", "professional", "modest"],
    ),
    pose(
        "professional-hijab",
        "Hijab Presentation Pose",
        I,
        F,
        NO,
        NO,
        "A presenting pose with one arm raised toward a screen in an explaining gesture.",
        &["hijab", "presentation", "speaker", "professional", "modest"],
    ),
    // fashion-hijab (3)
    pose(
        "fashion-hijab",
        "Fashion Hijab Editorial",
        I,
        F,
        NO,
        PREMIUM,
        "An editorial pose in side profile with the head held high and the arms relaxed along the body.",
        &[
            "hijab",
            "editorial",
            "fashion",
            "profile",
            "modest",
            "elegant",
        ],
    ),
    pose(
        "fashion-hijab",
        "Modest Fashion OOTD",
        B,
        F,
        NO,
        NO,
        "A full-body outfit pose with one hand on the hip and the other relaxed, showing the whole look.",
        &["hijab", "ootd", "modest fashion", "full body", "outfit"],
    ),
    pose(
        "fashion-hijab",
        "Hijab with Abaya Flow",
        A,
        F,
        NO,
        PREMIUM,
        "A graceful twirl with the arms held out low so that the abaya flows around the body.",
        &["hijab", "abaya", "flow", "elegant", "modest"],
    ),
    // wedding-hijab (2)
    pose(
        "wedding-hijab",
        "Bridal Hijab Elegance",
        A,
        F,
        NO,
        PREMIUM,
        "An elegant bridal pose holding a bouquet at waist height with both hands and the head gently tilted.",
        &["hijab", "bridal", "wedding", "elegant", "bouquet", "modest"],
    ),
    pose(
        "wedding-hijab",
        "Engagement Hijab Pose",
        I,
        F,
        NO,
        PREMIUM,
        "A graceful pose with one hand raised to the chest to show the engagement ring.",
        &[
            "hijab",
            "engagement",
            "ring",
            "graceful",
            "formal",
            "modest",
        ],
    ),
    // everyday-casual (5)
    pose(
        "everyday-casual",
        "Relaxed Standing Natural",
        B,
        U,
        NO,
        NO,
        "A natural standing pose with the weight on one leg and the arms hanging loosely.",
        &["relaxed", "standing", "natural", "everyday", "casual"],
    ),
    pose(
        "everyday-casual",
        "Laughing Candid",
        B,
        U,
        NO,
        NO,
        "A candid pose laughing with the head tilted back and one hand on the stomach.",
        &["laughing", "candid", "joyful", "natural", "casual"],
    ),
    pose(
        "everyday-casual",
        "Hand Through Hair Casual",
        B,
        U,
        NO,
        NO,
        "A casual pose sweeping one hand through the hair with the other hand on the hip.",
        &["hair", "casual", "candid", "relaxed", "lifestyle"],
    ),
    pose(
        "everyday-casual",
        "Casual Male Confident",
        B,
        M,
        NO,
        NO,
        "A confident casual stance with the arms crossed loosely and the feet apart.",
        &["male", "casual", "confident", "arms crossed", "everyday"],
    ),
    pose(
        "everyday-casual",
        "Male Smart Casual",
        B,
        M,
        NO,
        NO,
        "A smart-casual standing pose with one hand in a pocket and a relaxed, slightly turned torso.",
        &["male", "smart casual", "pocket", "relaxed", "everyday"],
    ),
    // social-media (5)
    pose(
        "social-media",
        "Instagram Story Pose",
        B,
        U,
        STAR,
        NO,
        "A playful selfie pose holding a phone up at arm's length.",
        &["instagram", "story", "selfie", "playful", "phone"],
    ),
    pose(
        "social-media",
        "Mirror Selfie Pose",
        B,
        U,
        NO,
        NO,
        "A standing pose holding a phone in front of the face for a mirror selfie, the other hand on the hip.",
        &["mirror", "selfie", "phone", "outfit", "instagram"],
    ),
    pose(
        "social-media",
        "Feed-Worthy Portrait",
        B,
        U,
        NO,
        NO,
        "A flattering three-quarter portrait pose with the shoulders angled and one hand touching the chin.",
        &["portrait", "instagram", "feed", "flattering", "aesthetic"],
    ),
    pose(
        "social-media",
        "Reels Action Pose",
        I,
        U,
        NO,
        NO,
        "A dynamic jumping pose with the arms and legs spread wide, caught at the top of the jump.",
        &["reels", "action", "jumping", "dynamic", "energetic"],
    ),
    pose(
        "social-media",
        "Male Social Media Creator",
        B,
        M,
        NO,
        NO,
        "A creator pose pointing straight at the camera with one arm extended.",
        &["male", "creator", "influencer", "social media", "content"],
    ),
    // sitting-relaxed (4)
    pose(
        "sitting-relaxed",
        "Comfortable Sitting Cross-Legged",
        B,
        U,
        NO,
        NO,
        "A relaxed pose sitting cross-legged on the floor with the hands resting in the lap.",
        &["sitting", "cross-legged", "floor", "relaxed", "comfortable"],
    ),
    pose(
        "sitting-relaxed",
        "Seated Leaning Back",
        B,
        U,
        NO,
        NO,
        "A relaxed seated pose leaning back with the legs out in front and the hands behind for support.",
        &["seated", "leaning back", "relaxed", "lounge", "casual"],
    ),
    pose(
        "sitting-relaxed",
        "Floor Sitting Lifestyle",
        B,
        U,
        NO,
        NO,
        "A lifestyle pose sitting on the floor with the knees drawn up and the arms wrapped around them.",
        &["floor", "sitting", "lifestyle", "cozy", "relaxed"],
    ),
    pose(
        "sitting-relaxed",
        "Male Casual Sitting",
        B,
        M,
        NO,
        NO,
        "A casual pose sitting on a chair with the knees apart and the hands resting on the knees.",
        &["male", "sitting", "chair", "casual", "relaxed"],
    ),
    // fitness-gym (6)
    pose(
        "fitness-gym",
        "Bicep Flex Fitness",
        B,
        U,
        NO,
        NO,
        "A strong pose flexing both biceps with the elbows at shoulder height and the fists up.",
        &["bicep", "flex", "fitness", "strong", "gym"],
    ),
    pose(
        "fitness-gym",
        "Plank Position Strong",
        I,
        U,
        NO,
        NO,
        "A high plank with straight arms under the shoulders and the body in one straight line.",
        &["plank", "core", "strength", "workout", "fitness"],
    ),
    pose(
        "fitness-gym",
        "Dumbbell Workout Pose",
        B,
        U,
        NO,
        NO,
        "A workout pose curling a pair of dumbbells up to the shoulders with the knees slightly bent.",
        &["dumbbell", "workout", "strength", "gym", "fitness"],
    ),
    pose(
        "fitness-gym",
        "Male Fitness Pose",
        I,
        M,
        NO,
        NO,
        "A lunge with the front knee bent, the back leg extended and the hands on the hips.",
        &["male", "fitness", "lunge", "legs", "training"],
    ),
    pose(
        "fitness-gym",
        "Male Workout Intensity",
        I,
        M,
        NO,
        NO,
        "An intense pose in a low squat with the fists held up in front of the chest.",
        &["male", "workout", "intensity", "squat", "gym"],
    ),
    pose(
        "fitness-gym",
        "Male Gym Trainer Pose",
        I,
        M,
        NO,
        NO,
        "A coach pose with the arms crossed over the chest and the feet planted wide.",
        &["male", "trainer", "coach", "gym", "arms crossed"],
    ),
    // yoga-wellness (4)
    pose(
        "yoga-wellness",
        "Tree Pose Yoga",
        I,
        U,
        NO,
        NO,
        "A balanced tree pose standing on one leg with the other foot against the standing leg and the palms together overhead.",
        &["yoga", "tree pose", "balance", "wellness", "mindful"],
    ),
    pose(
        "yoga-wellness",
        "Meditation Seated",
        B,
        U,
        NO,
        NO,
        "A calm meditation pose seated cross-legged on the floor with the hands resting on the knees.",
        &["meditation", "yoga", "calm", "mindfulness", "wellness"],
    ),
    pose(
        "yoga-wellness",
        "Warrior Pose Strong",
        I,
        U,
        NO,
        NO,
        "A warrior II pose with the front knee bent, the legs wide and the arms held out level with the shoulders.",
        &["yoga", "warrior", "strength", "balance", "wellness"],
    ),
    pose(
        "yoga-wellness",
        "Male Yoga Warrior",
        I,
        M,
        NO,
        NO,
        "A warrior pose with the front knee bent and both arms reaching straight overhead.",
        &["male", "yoga", "warrior", "strength", "wellness"],
    ),
    // running-cardio (4)
    pose(
        "running-cardio",
        "Running Mid-Stride",
        A,
        U,
        NO,
        PREMIUM,
        "A dynamic running pose caught in mid-stride.",
        &[
            "running", "cardio", "athletic", "movement", "dynamic", "sports",
        ],
    ),
    pose(
        "running-cardio",
        "Stretching Warmup",
        B,
        U,
        NO,
        NO,
        "A warm-up pose in a standing side stretch with both arms overhead and the torso bent to one side.",
        &["stretching", "warmup", "flexibility", "cardio", "sports"],
    ),
    pose(
        "running-cardio",
        "Victory Finish Line",
        B,
        U,
        NO,
        NO,
        "A triumphant pose crossing the finish line with both arms raised in a V.",
        &[
            "victory",
            "finish line",
            "celebration",
            "achievement",
            "sports",
        ],
    ),
    pose(
        "running-cardio",
        "Male Athletic Running",
        A,
        M,
        NO,
        NO,
        "A powerful sprinting pose with the body tilted forward, one knee driven high and the arms pumping.",
        &["male", "running", "athletic", "sprint", "cardio"],
    ),
];
