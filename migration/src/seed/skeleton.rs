//! Body skeletons for the library poses, in the 18-keypoint COCO layout that
//! OpenPose and ControlNet use, and the OpenPose-style pose map drawn from them.
//!
//! A pose's skeleton comes from an [`Archetype`] (standing, arms crossed, sitting on
//! a chair, tree pose, …) picked by keywords in the pose's name, description and tags
//! ([`archetype_for`]), built by forward kinematics from a few joint angles, given a
//! small deterministic variation derived from the pose name (so no two poses share a
//! map) and fitted into the frame. [`skeleton_for`] does all of that for a pose name.
//!
//! Coordinates are normalised to the square frame: `x` to the right, `y` down, both in
//! `0.0..=1.0`. "Right" and "left" in keypoint names are the person's own sides, so in
//! a front view the right shoulder is on the image's left, as in OpenPose.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

/// The 18 keypoints, in OpenPose (COCO-18) order.
pub const KEYPOINT_NAMES: [&str; 18] = [
    "nose",
    "neck",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "right_eye",
    "left_eye",
    "right_ear",
    "left_ear",
];

pub const NOSE: usize = 0;
pub const NECK: usize = 1;
pub const RIGHT_SHOULDER: usize = 2;
pub const RIGHT_ELBOW: usize = 3;
pub const RIGHT_WRIST: usize = 4;
pub const LEFT_SHOULDER: usize = 5;
pub const LEFT_ELBOW: usize = 6;
pub const LEFT_WRIST: usize = 7;
pub const RIGHT_HIP: usize = 8;
pub const RIGHT_KNEE: usize = 9;
pub const RIGHT_ANKLE: usize = 10;
pub const LEFT_HIP: usize = 11;
pub const LEFT_KNEE: usize = 12;
pub const LEFT_ANKLE: usize = 13;
pub const RIGHT_EYE: usize = 14;
pub const LEFT_EYE: usize = 15;
pub const RIGHT_EAR: usize = 16;
pub const LEFT_EAR: usize = 17;

/// The limbs an OpenPose body map draws, as keypoint index pairs, in drawing order
/// (limb `i` has colour [`COLORS`]`[i]`).
pub const LIMBS: [(usize, usize); 17] = [
    (NECK, RIGHT_SHOULDER),
    (NECK, LEFT_SHOULDER),
    (RIGHT_SHOULDER, RIGHT_ELBOW),
    (RIGHT_ELBOW, RIGHT_WRIST),
    (LEFT_SHOULDER, LEFT_ELBOW),
    (LEFT_ELBOW, LEFT_WRIST),
    (NECK, RIGHT_HIP),
    (RIGHT_HIP, RIGHT_KNEE),
    (RIGHT_KNEE, RIGHT_ANKLE),
    (NECK, LEFT_HIP),
    (LEFT_HIP, LEFT_KNEE),
    (LEFT_KNEE, LEFT_ANKLE),
    (NECK, NOSE),
    (NOSE, RIGHT_EYE),
    (RIGHT_EYE, RIGHT_EAR),
    (NOSE, LEFT_EYE),
    (LEFT_EYE, LEFT_EAR),
];

/// The OpenPose palette: limb `i` and keypoint `i` use `COLORS[i]` (limbs at 60 %).
pub const COLORS: [[u8; 3]; 18] = [
    [255, 0, 0],
    [255, 85, 0],
    [255, 170, 0],
    [255, 255, 0],
    [170, 255, 0],
    [85, 255, 0],
    [0, 255, 0],
    [0, 255, 85],
    [0, 255, 170],
    [0, 255, 255],
    [0, 170, 255],
    [0, 85, 255],
    [0, 0, 255],
    [85, 0, 255],
    [170, 0, 255],
    [255, 0, 255],
    [255, 0, 170],
    [255, 0, 85],
];

/// A keypoint in normalised frame coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Keypoint {
    pub x: f32,
    pub y: f32,
}

/// Something the preview draws with the figure (the pose map never does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prop {
    None,
    /// A chair or stool under the hips.
    Chair,
    /// An exercise mat on the floor.
    Mat,
}

/// A body position the library poses are built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Archetype {
    Standing,
    ArmsCrossed,
    HandsOnHips,
    OneHandOnHip,
    HandInPocket,
    HandsClasped,
    Waving,
    Pointing,
    Gesturing,
    PresentingBothHands,
    ReachingForward,
    HoldingAtChest,
    OneHandAtChest,
    Reading,
    HandToFace,
    ThumbsUp,
    Selfie,
    MirrorSelfie,
    HandThroughHair,
    HandsToHead,
    Laughing,
    Leaning,
    Walking,
    Twirl,
    Running,
    ArmsUp,
    Jumping,
    TPose,
    SideProfile,
    LookingBack,
    SittingOnChair,
    SeatedLeaningBack,
    SittingCrossLegged,
    SittingKneesUp,
    Meditation,
    YogaTree,
    Warrior,
    WarriorOne,
    Plank,
    BicepFlex,
    Dumbbell,
    Squat,
    Lunge,
    SideStretch,
}

impl Archetype {
    pub const ALL: [Archetype; 44] = [
        Archetype::Standing,
        Archetype::ArmsCrossed,
        Archetype::HandsOnHips,
        Archetype::OneHandOnHip,
        Archetype::HandInPocket,
        Archetype::HandsClasped,
        Archetype::Waving,
        Archetype::Pointing,
        Archetype::Gesturing,
        Archetype::PresentingBothHands,
        Archetype::ReachingForward,
        Archetype::HoldingAtChest,
        Archetype::OneHandAtChest,
        Archetype::Reading,
        Archetype::HandToFace,
        Archetype::ThumbsUp,
        Archetype::Selfie,
        Archetype::MirrorSelfie,
        Archetype::HandThroughHair,
        Archetype::HandsToHead,
        Archetype::Laughing,
        Archetype::Leaning,
        Archetype::Walking,
        Archetype::Twirl,
        Archetype::Running,
        Archetype::ArmsUp,
        Archetype::Jumping,
        Archetype::TPose,
        Archetype::SideProfile,
        Archetype::LookingBack,
        Archetype::SittingOnChair,
        Archetype::SeatedLeaningBack,
        Archetype::SittingCrossLegged,
        Archetype::SittingKneesUp,
        Archetype::Meditation,
        Archetype::YogaTree,
        Archetype::Warrior,
        Archetype::WarriorOne,
        Archetype::Plank,
        Archetype::BicepFlex,
        Archetype::Dumbbell,
        Archetype::Squat,
        Archetype::Lunge,
        Archetype::SideStretch,
    ];

    pub fn prop(self) -> Prop {
        match self {
            Archetype::SittingOnChair | Archetype::SeatedLeaningBack => Prop::Chair,
            Archetype::Meditation
            | Archetype::YogaTree
            | Archetype::Warrior
            | Archetype::WarriorOne
            | Archetype::Plank => Prop::Mat,
            _ => Prop::None,
        }
    }

    /// The joint angles of the archetype (before the per-pose variation).
    fn body(self) -> Body {
        use Archetype as A;
        let b = Body::STANDING;
        match self {
            A::Standing => b,
            A::ArmsCrossed => Body {
                right_arm: limb(-12.0, 97.0),
                left_arm: limb(12.0, -93.0),
                ..b
            },
            A::HandsOnHips => Body {
                right_arm: limb(-40.0, 48.0),
                left_arm: limb(40.0, -48.0),
                right_leg: limb(-7.0, -3.0),
                left_leg: limb(7.0, 3.0),
                ..b
            },
            A::OneHandOnHip => Body {
                right_arm: limb(-40.0, 48.0),
                right_leg: limb(-2.0, 2.0),
                left_leg: limb(6.0, 2.0),
                torso: 3.0,
                ..b
            },
            A::HandInPocket => Body {
                right_arm: limb(-15.0, 25.0),
                left_leg: limb(5.0, 4.0),
                turn: 15.0,
                ..b
            },
            A::HandsClasped => Body {
                right_arm: limb(-6.0, 55.0),
                left_arm: limb(6.0, -55.0),
                ..b
            },
            A::Waving => Body {
                left_arm: limb(100.0, 165.0),
                head_tilt: 5.0,
                ..b
            },
            A::Pointing => Body {
                left_arm: limb(80.0, 86.0),
                head_turn: 25.0,
                ..b
            },
            A::Gesturing => Body {
                right_arm: limb(-20.0, -62.0),
                left_arm: limb(25.0, 120.0),
                ..b
            },
            A::PresentingBothHands => Body {
                right_arm: limb(-18.0, -80.0),
                left_arm: limb(18.0, 80.0),
                ..b
            },
            A::ReachingForward => Body {
                left_arm: limb(30.0, 75.0),
                turn: 20.0,
                ..b
            },
            A::HoldingAtChest => Body {
                right_arm: limb(-10.0, 150.0),
                left_arm: limb(10.0, -150.0),
                ..b
            },
            A::OneHandAtChest => Body {
                left_arm: limb(8.0, -150.0),
                ..b
            },
            A::Reading => Body {
                right_arm: limb(-14.0, 128.0),
                left_arm: limb(14.0, -128.0),
                head_tilt: -18.0,
                ..b
            },
            A::HandToFace => Body {
                right_arm: limb(0.0, 155.0),
                head_tilt: 6.0,
                turn: 20.0,
                ..b
            },
            A::ThumbsUp => Body {
                left_arm: limb(15.0, 170.0),
                ..b
            },
            A::Selfie => Body {
                right_arm: limb(-40.0, 48.0),
                left_arm: limb(120.0, 150.0),
                head_tilt: 8.0,
                head_turn: 20.0,
                ..b
            },
            A::MirrorSelfie => Body {
                right_arm: limb(-40.0, 48.0),
                left_arm: limb(12.0, -162.0),
                left_leg: limb(-4.0, 8.0),
                ..b
            },
            A::HandThroughHair => Body {
                right_arm: limb(-40.0, 48.0),
                left_arm: limb(140.0, -105.0),
                head_tilt: -6.0,
                ..b
            },
            A::HandsToHead => Body {
                right_arm: limb(-140.0, 100.0),
                left_arm: limb(140.0, -100.0),
                ..b
            },
            A::Laughing => Body {
                right_arm: limb(-15.0, 62.0),
                torso: -4.0,
                head_tilt: 14.0,
                ..b
            },
            A::Leaning => Body {
                torso: -9.0,
                turn: 20.0,
                right_arm: limb(-15.0, 25.0),
                left_arm: limb(14.0, 6.0),
                right_leg: limb(6.0, 12.0),
                left_leg: limb(-6.0, -14.0),
                ..b
            },
            A::Walking => Body {
                turn: 70.0,
                head_turn: 60.0,
                right_arm: limb(-18.0, -10.0),
                left_arm: limb(20.0, 38.0),
                right_leg: limb(20.0, 8.0),
                left_leg: limb(-18.0, -32.0),
                ..b
            },
            A::Twirl => Body {
                turn: 30.0,
                right_arm: limb(-45.0, -55.0),
                left_arm: limb(45.0, 58.0),
                right_leg: limb(6.0, -2.0),
                left_leg: limb(-3.0, 10.0),
                head_tilt: 6.0,
                ..b
            },
            A::Running => Body {
                turn: 80.0,
                head_turn: 80.0,
                torso: -12.0,
                right_arm: limb(-45.0, 30.0),
                left_arm: limb(45.0, 140.0),
                right_leg: limb(65.0, -5.0),
                left_leg: limb(-30.0, -95.0),
                ..b
            },
            A::ArmsUp => Body {
                right_arm: limb(-155.0, -170.0),
                left_arm: limb(155.0, 170.0),
                head_tilt: 10.0,
                right_leg: limb(-6.0, -2.0),
                left_leg: limb(6.0, 2.0),
                ..b
            },
            A::Jumping => Body {
                right_arm: limb(-140.0, -150.0),
                left_arm: limb(140.0, 150.0),
                right_leg: limb(-30.0, -40.0),
                left_leg: limb(30.0, 40.0),
                head_tilt: 8.0,
                ..b
            },
            A::TPose => Body {
                right_arm: limb(-90.0, -90.0),
                left_arm: limb(90.0, 90.0),
                right_leg: limb(-5.0, -3.0),
                left_leg: limb(5.0, 3.0),
                ..b
            },
            A::SideProfile => Body {
                turn: 85.0,
                head_turn: 85.0,
                right_arm: limb(4.0, 10.0),
                left_arm: limb(-4.0, 4.0),
                right_leg: limb(2.0, 0.0),
                left_leg: limb(-2.0, 0.0),
                ..b
            },
            A::LookingBack => Body {
                turn: 55.0,
                head_turn: -65.0,
                torso: 3.0,
                right_leg: limb(8.0, 4.0),
                left_leg: limb(-10.0, -18.0),
                ..b
            },
            A::SittingOnChair => Body {
                right_arm: limb(-10.0, 18.0),
                left_arm: limb(10.0, -18.0),
                right_leg: limb_scaled(-14.0, -2.0, 0.42, 1.0),
                left_leg: limb_scaled(14.0, 2.0, 0.42, 1.0),
                ..b
            },
            A::SeatedLeaningBack => Body {
                turn: 80.0,
                head_turn: 70.0,
                torso: 22.0,
                right_arm: limb(-30.0, -12.0),
                left_arm: limb(-24.0, -6.0),
                right_leg: limb(86.0, 14.0),
                left_leg: limb(82.0, 8.0),
                ..b
            },
            A::SittingCrossLegged => Body {
                right_arm: limb(-10.0, 70.0),
                left_arm: limb(12.0, -72.0),
                right_leg: limb_scaled(-78.0, 95.0, 0.9, 0.85),
                left_leg: limb_scaled(78.0, -95.0, 0.9, 0.85),
                ..b
            },
            A::SittingKneesUp => Body {
                turn: 70.0,
                head_turn: 60.0,
                torso: 10.0,
                right_arm: limb(55.0, 100.0),
                left_arm: limb(62.0, 104.0),
                right_leg: limb(135.0, 45.0),
                left_leg: limb(128.0, 40.0),
                ..b
            },
            A::Meditation => Body {
                right_arm: limb(-25.0, -25.0),
                left_arm: limb(25.0, 25.0),
                right_leg: limb_scaled(-78.0, 95.0, 0.9, 0.85),
                left_leg: limb_scaled(78.0, -95.0, 0.9, 0.85),
                head_tilt: -4.0,
                ..b
            },
            A::YogaTree => Body {
                right_arm: limb(-165.0, 140.0),
                left_arm: limb(165.0, -140.0),
                right_leg: limb(-60.0, 80.0),
                left_leg: limb(0.0, 0.0),
                ..b
            },
            A::Warrior => Body {
                head_turn: -70.0,
                right_arm: limb(-90.0, -90.0),
                left_arm: limb(90.0, 90.0),
                right_leg: limb(-50.0, 0.0),
                left_leg: limb(37.0, 37.0),
                ..b
            },
            A::WarriorOne => Body {
                turn: 60.0,
                head_turn: 60.0,
                right_arm: limb(-178.0, 178.0),
                left_arm: limb(176.0, -176.0),
                right_leg: limb(60.0, 0.0),
                left_leg: limb(-37.0, -37.0),
                ..b
            },
            A::Plank => Body {
                turn: 80.0,
                torso: -65.0,
                head_tilt: -15.0,
                head_turn: 80.0,
                right_arm: limb(2.0, 0.0),
                left_arm: limb(-2.0, 2.0),
                right_leg: limb(-65.0, -66.0),
                left_leg: limb(-66.0, -68.0),
            },
            A::BicepFlex => Body {
                right_arm: limb(-95.0, -170.0),
                left_arm: limb(95.0, 170.0),
                right_leg: limb(-7.0, -3.0),
                left_leg: limb(7.0, 3.0),
                ..b
            },
            A::Dumbbell => Body {
                right_arm: limb(-5.0, 165.0),
                left_arm: limb(5.0, -165.0),
                right_leg: limb(-15.0, 5.0),
                left_leg: limb(15.0, -5.0),
                ..b
            },
            A::Squat => Body {
                right_arm: limb(-10.0, 150.0),
                left_arm: limb(10.0, -150.0),
                right_leg: limb_scaled(-55.0, -5.0, 0.8, 1.0),
                left_leg: limb_scaled(55.0, 5.0, 0.8, 1.0),
                ..b
            },
            A::Lunge => Body {
                turn: 70.0,
                head_turn: 70.0,
                right_arm: limb(-40.0, 48.0),
                left_arm: limb(40.0, -48.0),
                right_leg: limb(82.0, 0.0),
                left_leg: limb(-30.0, -80.0),
                ..b
            },
            A::SideStretch => Body {
                torso: 12.0,
                right_arm: limb(-150.0, -125.0),
                left_arm: limb(-175.0, -150.0),
                right_leg: limb(-9.0, -4.0),
                left_leg: limb(9.0, 4.0),
                head_tilt: 4.0,
                ..b
            },
        }
    }
}

/// Keyword rules, first match wins: each rule lists alternatives, an alternative
/// matches when all of its words occur in the lowercased text.
const RULES: &[(Archetype, &[&[&str]])] = &[
    (Archetype::Plank, &[&["plank"]]),
    (Archetype::YogaTree, &[&["tree pose"]]),
    (Archetype::WarriorOne, &[&["warrior", "overhead"]]),
    (Archetype::Warrior, &[&["warrior"]]),
    (Archetype::Meditation, &[&["meditation"]]),
    (Archetype::SittingKneesUp, &[&["knees drawn up"]]),
    (Archetype::SittingCrossLegged, &[&["cross-legged"]]),
    (Archetype::SeatedLeaningBack, &[&["seated", "leaning back"]]),
    (
        Archetype::SittingOnChair,
        &[&["seated"], &["sitting"], &["chair"]],
    ),
    (Archetype::Lunge, &[&["lunge"]]),
    (Archetype::Squat, &[&["squat"]]),
    (
        Archetype::Running,
        &[&["running"], &["sprint"], &["mid-stride"]],
    ),
    (Archetype::Jumping, &[&["jump"]]),
    (Archetype::BicepFlex, &[&["flexing"], &["biceps"]]),
    (Archetype::Dumbbell, &[&["dumbbell"]]),
    (Archetype::SideStretch, &[&["stretch"]]),
    (Archetype::TPose, &[&["t-pose"]]),
    (Archetype::ArmsUp, &[&["arms raised"], &["victory"]]),
    (Archetype::HandsToHead, &[&["adjusting"]]),
    (
        Archetype::HandThroughHair,
        &[&["through the hair"], &["raised to the head"]],
    ),
    (
        Archetype::LookingBack,
        &[&["over the shoulder"], &["looking back"]],
    ),
    (Archetype::Reading, &[&["reading"], &["book"]]),
    (Archetype::MirrorSelfie, &[&["mirror"]]),
    (Archetype::Selfie, &[&["selfie"], &["phone up"]]),
    (Archetype::ThumbsUp, &[&["thumbs up"]]),
    (
        Archetype::ReachingForward,
        &[&["handshake"], &["held out in one hand"]],
    ),
    (
        Archetype::HandToFace,
        &[&["microphone"], &["the chin"], &["face height"]],
    ),
    (Archetype::Laughing, &[&["laughing"]]),
    (Archetype::Pointing, &[&["pointing"]]),
    (
        Archetype::PresentingBothHands,
        &[&["both hands held out"], &["palms up"]],
    ),
    (Archetype::Waving, &[&["waving"], &["wave"]]),
    (Archetype::Gesturing, &[&["gesture"], &["explain"]]),
    (Archetype::OneHandAtChest, &[&["coffee"], &["to the chest"]]),
    (Archetype::HandsClasped, &[&["clasped"], &["bouquet"]]),
    (Archetype::HoldingAtChest, &[&["holding"]]),
    (Archetype::SideProfile, &[&["profile"]]),
    (Archetype::Twirl, &[&["twirl"], &["flow"]]),
    (Archetype::Walking, &[&["walking"], &["mid-step"]]),
    (Archetype::Leaning, &[&["lean"]]),
    (
        Archetype::ArmsCrossed,
        &[&["arms crossed"], &["arms folded"]],
    ),
    (Archetype::HandsOnHips, &[&["hands on hips"]]),
    (Archetype::OneHandOnHip, &[&["hand on the hip"]]),
    (Archetype::HandInPocket, &[&["pocket"]]),
];

/// The archetype whose keywords `text` (a pose's name, description and tags) mentions
/// first in the rule order; [`Archetype::Standing`] when none does.
pub fn archetype_for(text: &str) -> Archetype {
    let text = text.to_lowercase();
    RULES
        .iter()
        .find(|(_, alternatives)| {
            alternatives
                .iter()
                .any(|words| words.iter().all(|w| text.contains(w)))
        })
        .map_or(Archetype::Standing, |(a, _)| *a)
}

/// The skeleton of the library pose called `pose_name` (case-insensitive): its
/// archetype from its name, description and tags, with the variation of its name. A
/// name that is not in the seed gets an archetype from the name alone.
pub fn skeleton_for(pose_name: &str) -> Skeleton {
    let text = super::poses::LIBRARY_POSES
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(pose_name.trim()))
        .map_or_else(|| pose_name.to_owned(), |p| p.keyword_text());
    Skeleton::build(archetype_for(&text), pose_name.trim())
}

/// A posed body: the 18 keypoints (`None` = not visible, like a hidden ear in a
/// profile view) plus what the preview needs to draw a figure around them.
#[derive(Clone, Debug, PartialEq)]
pub struct Skeleton {
    pub archetype: Archetype,
    /// Indexed as [`KEYPOINT_NAMES`].
    pub keypoints: [Option<Keypoint>; 18],
    /// The centre of the head (between the eyes and the ears).
    pub head_center: Keypoint,
    /// The body's size relative to a standing figure filling the frame's height: a
    /// limb's thickness scales with it.
    pub scale: f32,
}

#[derive(Clone, Copy, Debug)]
struct Limb {
    /// Direction of the upper segment, degrees: 0 = straight down, 90 = towards the
    /// image's right, 180 = up, −90 = towards the image's left.
    upper: f32,
    lower: f32,
    upper_len: f32,
    lower_len: f32,
}

const fn limb(upper: f32, lower: f32) -> Limb {
    limb_scaled(upper, lower, 1.0, 1.0)
}

/// A limb whose segments look shorter (foreshortened towards the camera).
const fn limb_scaled(upper: f32, lower: f32, upper_len: f32, lower_len: f32) -> Limb {
    Limb {
        upper,
        lower,
        upper_len,
        lower_len,
    }
}

#[derive(Clone, Copy, Debug)]
struct Body {
    /// Direction from the neck to the hips (0 = upright).
    torso: f32,
    /// How far the body is turned from the camera (0 = facing it, 90 = profile facing
    /// the image's right, negative = towards the left).
    turn: f32,
    head_turn: f32,
    /// Chin up (positive) or down.
    head_tilt: f32,
    right_arm: Limb,
    left_arm: Limb,
    right_leg: Limb,
    left_leg: Limb,
}

impl Body {
    const STANDING: Body = Body {
        torso: 0.0,
        turn: 0.0,
        head_turn: 0.0,
        head_tilt: 0.0,
        right_arm: limb(-8.0, -4.0),
        left_arm: limb(8.0, 4.0),
        right_leg: limb(-3.0, -1.0),
        left_leg: limb(3.0, 1.0),
    };
}

// Segment lengths of a standing body about 0.85 of the frame tall.
const TORSO: f32 = 0.28;
const SHOULDER_HALF: f32 = 0.095;
const HIP_HALF: f32 = 0.058;
const UPPER_ARM: f32 = 0.15;
const FOREARM: f32 = 0.14;
const THIGH: f32 = 0.2;
const SHIN: f32 = 0.2;
const NECK_TO_HEAD: f32 = 0.085;
/// The head's radius, for fitting the frame and for the preview figure.
pub const HEAD_RADIUS: f32 = 0.062;

/// FNV-1a, 64 bits: stable across runs and platforms.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A SplitMix64 stream giving numbers in `-1.0..1.0`.
struct Jitter(u64);

impl Jitter {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    fn limb(&mut self, l: Limb, degrees: f32) -> Limb {
        Limb {
            upper: l.upper + self.next() * degrees,
            lower: l.lower + self.next() * degrees,
            ..l
        }
    }
}

fn dir(degrees: f32) -> (f32, f32) {
    let r = degrees.to_radians();
    (r.sin(), r.cos())
}

fn add(p: (f32, f32), d: (f32, f32), k: f32) -> (f32, f32) {
    (p.0 + d.0 * k, p.1 + d.1 * k)
}

impl Skeleton {
    /// The skeleton of `archetype`, varied deterministically by `variation` (a pose
    /// name; the empty string gives the archetype's own angles).
    pub fn build(archetype: Archetype, variation: &str) -> Skeleton {
        let mut body = archetype.body();
        if !variation.is_empty() {
            let mut j = Jitter(fnv1a(variation));
            body.torso += j.next() * 2.0;
            body.turn += j.next() * 4.0;
            body.head_turn += j.next() * 6.0;
            body.head_tilt += j.next() * 4.0;
            body.right_arm = j.limb(body.right_arm, 5.0);
            body.left_arm = j.limb(body.left_arm, 5.0);
            body.right_leg = j.limb(body.right_leg, 3.0);
            body.left_leg = j.limb(body.left_leg, 3.0);
        }
        Self::from_body(archetype, &body)
    }

    fn from_body(archetype: Archetype, b: &Body) -> Skeleton {
        let width = b.turn.to_radians().cos().abs().max(0.12);
        let down = dir(b.torso);
        let across = dir(b.torso + 90.0);
        let neck = (0.0f32, 0.0f32);
        let r_sh = add(add(neck, across, -SHOULDER_HALF * width), down, 0.012);
        let l_sh = add(add(neck, across, SHOULDER_HALF * width), down, 0.012);
        let hips = add(neck, down, TORSO);
        let r_hip = add(hips, across, -HIP_HALF * width);
        let l_hip = add(hips, across, HIP_HALF * width);
        let arm = |shoulder, l: Limb| {
            let elbow = add(shoulder, dir(l.upper), UPPER_ARM * l.upper_len);
            (elbow, add(elbow, dir(l.lower), FOREARM * l.lower_len))
        };
        let leg = |hip, l: Limb| {
            let knee = add(hip, dir(l.upper), THIGH * l.upper_len);
            (knee, add(knee, dir(l.lower), SHIN * l.lower_len))
        };
        let (r_elbow, r_wrist) = arm(r_sh, b.right_arm);
        let (l_elbow, l_wrist) = arm(l_sh, b.left_arm);
        let (r_knee, r_ankle) = leg(r_hip, b.right_leg);
        let (l_knee, l_ankle) = leg(l_hip, b.left_leg);

        let up = dir(b.torso + 180.0 + b.head_tilt);
        let side = dir(b.torso + 90.0 + b.head_tilt);
        let head = add(neck, up, NECK_TO_HEAD);
        let turn = b.head_turn.to_radians();
        let (face, spread) = (turn.sin() * 0.04, turn.cos().abs());
        let nose = add(add(head, side, face), up, -0.012);
        let eye = |sign: f32| {
            add(
                add(head, side, face * 0.8 + sign * 0.022 * spread),
                up,
                0.012,
            )
        };
        let ear = |sign: f32| {
            add(
                add(head, side, -face * 0.5 + sign * 0.05 * spread),
                up,
                0.004,
            )
        };

        let mut points: [Option<(f32, f32)>; 18] = [
            Some(nose),
            Some(neck),
            Some(r_sh),
            Some(r_elbow),
            Some(r_wrist),
            Some(l_sh),
            Some(l_elbow),
            Some(l_wrist),
            Some(r_hip),
            Some(r_knee),
            Some(r_ankle),
            Some(l_hip),
            Some(l_knee),
            Some(l_ankle),
            Some(eye(-1.0)),
            Some(eye(1.0)),
            Some(ear(-1.0)),
            Some(ear(1.0)),
        ];
        // Turned towards the image's right, the left side of the face is hidden.
        if b.head_turn > 40.0 {
            points[LEFT_EAR] = None;
        }
        if b.head_turn > 70.0 {
            points[LEFT_EYE] = None;
        }
        if b.head_turn < -40.0 {
            points[RIGHT_EAR] = None;
        }
        if b.head_turn < -70.0 {
            points[RIGHT_EYE] = None;
        }

        // Fit into the frame: centred horizontally, standing on a floor line.
        let (mut x0, mut y0, mut x1, mut y1) = (
            head.0 - HEAD_RADIUS,
            head.1 - HEAD_RADIUS,
            head.0 + HEAD_RADIUS,
            head.1 + HEAD_RADIUS,
        );
        for p in points.iter().flatten() {
            x0 = x0.min(p.0);
            y0 = y0.min(p.1);
            x1 = x1.max(p.0);
            y1 = y1.max(p.1);
        }
        let (frame_w, frame_h, floor) = (0.76, 0.80, 0.885);
        let s = (frame_w / (x1 - x0)).min(frame_h / (y1 - y0)).min(1.3);
        let cx = (x0 + x1) / 2.0;
        let place = |p: (f32, f32)| Keypoint {
            x: 0.5 + (p.0 - cx) * s,
            y: floor - (y1 - p.1) * s,
        };
        Skeleton {
            archetype,
            keypoints: points.map(|p| p.map(place)),
            head_center: place(head),
            scale: s,
        }
    }

    pub fn get(&self, index: usize) -> Option<Keypoint> {
        self.keypoints.get(index).copied().flatten()
    }

    /// The pose map as palette indices (row-major, `size`²) with its palette: black,
    /// then the 17 limb colours at 60 %, then the 18 keypoint colours.
    pub fn pose_map_indexed(&self, size: u32) -> (Vec<[u8; 3]>, Vec<u8>) {
        let mut palette = vec![[0u8; 3]];
        palette.extend(
            COLORS[..17]
                .iter()
                .map(|c| c.map(|v| (f32::from(v) * 0.6) as u8)),
        );
        palette.extend(COLORS);
        let mut indices = vec![0u8; (size * size) as usize];
        // OpenPose draws with a 4-pixel stick and dot at 512 pixels.
        let unit = size as f32 / 512.0;
        let px = |k: Keypoint| (k.x * size as f32, k.y * size as f32);
        for (i, &(a, b)) in LIMBS.iter().enumerate() {
            if let (Some(a), Some(b)) = (self.get(a), self.get(b)) {
                let (a, b) = (px(a), px(b));
                let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                let len = (dx * dx + dy * dy).sqrt();
                let (ux, uy) = if len > 0.0 {
                    (dx / len, dy / len)
                } else {
                    (1.0, 0.0)
                };
                let centre = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
                fill_ellipse(
                    &mut indices,
                    size,
                    centre,
                    (ux, uy),
                    (len / 2.0).max(1.0),
                    4.0 * unit,
                    1 + i as u8,
                );
            }
        }
        for k in 0..18 {
            if let Some(p) = self.get(k) {
                let r = 4.0 * unit;
                fill_ellipse(&mut indices, size, px(p), (1.0, 0.0), r, r, 18 + k as u8);
            }
        }
        (palette, indices)
    }

    /// The OpenPose-style pose map: a `size`×`size` PNG, black background, limbs as
    /// coloured sticks and keypoints as dots in the usual OpenPose colours. An RGB
    /// PNG from the `image` crate's encoder, unfiltered: the canvas is mostly black
    /// runs, which the default deflate level packs into about 9 kB (smaller, and in a
    /// debug build faster, than `CompressionType::Fast` or adaptive filtering).
    pub fn pose_map_png(&self, size: u32) -> Result<Vec<u8>, image::ImageError> {
        let (palette, indices) = self.pose_map_indexed(size);
        // Black stays zero; only the drawn pixels are looked up.
        let mut rgb = vec![0u8; indices.len() * 3];
        for (px, &i) in rgb.chunks_exact_mut(3).zip(&indices) {
            if i != 0 {
                px.copy_from_slice(&palette[usize::from(i)]);
            }
        }
        let mut out = Vec::new();
        PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::NoFilter)
            .write_image(&rgb, size, size, ExtendedColorType::Rgb8)?;
        Ok(out)
    }
}

/// Fills the ellipse with centre `c`, semi-axis `a` along the unit vector `u` and `b`
/// across it, with palette index `value` (hard edges, like OpenCV's `fillConvexPoly`).
fn fill_ellipse(
    buf: &mut [u8],
    size: u32,
    c: (f32, f32),
    u: (f32, f32),
    a: f32,
    b: f32,
    value: u8,
) {
    let (ux, uy) = u;
    let (ia, ib) = (1.0 / (a * a), 1.0 / (b * b));
    let qa = ux * ux * ia + uy * uy * ib;
    let half_h = (a * a * uy * uy + b * b * ux * ux).sqrt();
    let n = size as i64;
    let y0 = ((c.1 - half_h - 0.5).floor() as i64).max(0);
    let y1 = ((c.1 + half_h + 0.5).ceil() as i64).min(n - 1);
    for y in y0..=y1 {
        let dy = y as f32 + 0.5 - c.1;
        let qb = 2.0 * dy * ux * uy * (ia - ib);
        let qc = dy * dy * (uy * uy * ia + ux * ux * ib) - 1.0;
        let disc = qb * qb - 4.0 * qa * qc;
        if disc < 0.0 {
            continue;
        }
        let root = disc.sqrt();
        let (lo, hi) = ((-qb - root) / (2.0 * qa), (-qb + root) / (2.0 * qa));
        let x0 = ((c.0 + lo - 0.5).ceil() as i64).max(0);
        let x1 = ((c.0 + hi - 0.5).floor() as i64).min(n - 1);
        if x0 > x1 {
            continue;
        }
        let row = (y * n) as usize;
        buf[row + x0 as usize..=row + x1 as usize].fill(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_archetype_fits_the_frame_with_every_point() {
        for a in Archetype::ALL {
            let s = Skeleton::build(a, "");
            for (i, p) in s.keypoints.iter().enumerate() {
                let hidden_face_point = i >= RIGHT_EYE;
                let Some(p) = p else {
                    assert!(hidden_face_point, "{a:?}: {} missing", KEYPOINT_NAMES[i]);
                    continue;
                };
                assert!(
                    (0.05..=0.95).contains(&p.x),
                    "{a:?} {}: {p:?}",
                    KEYPOINT_NAMES[i]
                );
                assert!(
                    (0.05..=0.95).contains(&p.y),
                    "{a:?} {}: {p:?}",
                    KEYPOINT_NAMES[i]
                );
            }
        }
    }

    #[test]
    fn archetypes_differ_and_variations_are_deterministic() {
        let all: Vec<Skeleton> = Archetype::ALL
            .iter()
            .map(|&a| Skeleton::build(a, ""))
            .collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(
                    a.keypoints, b.keypoints,
                    "{:?} = {:?}",
                    a.archetype, b.archetype
                );
            }
        }
        let one = Skeleton::build(Archetype::Waving, "Live Host Welcome");
        assert_eq!(one, Skeleton::build(Archetype::Waving, "Live Host Welcome"));
        assert_ne!(
            one,
            Skeleton::build(Archetype::Waving, "Live Host Welcome!")
        );
    }

    #[test]
    fn keywords_pick_archetypes() {
        assert_eq!(archetype_for("Tree Pose Yoga"), Archetype::YogaTree);
        assert_eq!(
            archetype_for("a pose with ARMS CROSSED"),
            Archetype::ArmsCrossed
        );
        assert_eq!(archetype_for("something else"), Archetype::Standing);
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

    #[test]
    fn the_pose_map_uses_the_openpose_colours() {
        let s = skeleton_for("Fashion Model T-Pose");
        let (palette, indices) = s.pose_map_indexed(256);
        assert_eq!(palette.len(), 36);
        assert_eq!(palette[1], [153, 0, 0], "limb 0 at 60 %");
        assert_eq!(palette[18], [255, 0, 0], "the nose dot");
        let black = indices.iter().filter(|&&i| i == 0).count();
        assert!(black > indices.len() * 8 / 10, "mostly black");
        for colour in [1u8, 4, 18, 19] {
            assert!(indices.contains(&colour), "colour {colour} drawn");
        }
    }
}
