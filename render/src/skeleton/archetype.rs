//! The body positions the library poses are built from: each [`Archetype`] is a set
//! of joint angles ([`Body`]), picked for a pose by keywords in its text
//! ([`archetype_for`]).

use super::Prop;

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
    pub(super) fn body(self) -> Body {
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

#[derive(Clone, Copy, Debug)]
pub(super) struct Limb {
    /// Direction of the upper segment, degrees: 0 = straight down, 90 = towards the
    /// image's right, 180 = up, −90 = towards the image's left.
    pub(super) upper: f32,
    pub(super) lower: f32,
    pub(super) upper_len: f32,
    pub(super) lower_len: f32,
}

pub(super) const fn limb(upper: f32, lower: f32) -> Limb {
    limb_scaled(upper, lower, 1.0, 1.0)
}

/// A limb whose segments look shorter (foreshortened towards the camera).
pub(super) const fn limb_scaled(upper: f32, lower: f32, upper_len: f32, lower_len: f32) -> Limb {
    Limb {
        upper,
        lower,
        upper_len,
        lower_len,
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Body {
    /// Direction from the neck to the hips (0 = upright).
    pub(super) torso: f32,
    /// How far the body is turned from the camera (0 = facing it, 90 = profile facing
    /// the image's right, negative = towards the left).
    pub(super) turn: f32,
    pub(super) head_turn: f32,
    /// Chin up (positive) or down.
    pub(super) head_tilt: f32,
    pub(super) right_arm: Limb,
    pub(super) left_arm: Limb,
    pub(super) right_leg: Limb,
    pub(super) left_leg: Limb,
}

impl Body {
    pub(super) const STANDING: Body = Body {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_pick_archetypes() {
        assert_eq!(archetype_for("Tree Pose Yoga"), Archetype::YogaTree);
        assert_eq!(
            archetype_for("a pose with ARMS CROSSED"),
            Archetype::ArmsCrossed
        );
        assert_eq!(archetype_for("something else"), Archetype::Standing);
    }
}
