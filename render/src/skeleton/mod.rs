//! Body skeletons for the library poses, in the 18-keypoint COCO layout that
//! OpenPose and ControlNet use, and the OpenPose-style pose map drawn from them.
//!
//! A pose's skeleton comes from an [`Archetype`] (standing, arms crossed, sitting on
//! a chair, tree pose, …) picked by keywords in the pose's name, description and tags
//! ([`archetype_for`]), built by forward kinematics from a few joint angles, given a
//! small deterministic variation derived from the pose name (so no two poses share a
//! map) and fitted into the frame. The seed's `skeleton_for` does all of that for a
//! library pose.
//!
//! Coordinates are normalised to the square frame: `x` to the right, `y` down, both in
//! `0.0..=1.0`. "Right" and "left" in keypoint names are the person's own sides, so in
//! a front view the right shoulder is on the image's left, as in OpenPose.

mod archetype;
mod pose_map;

pub use archetype::{Archetype, archetype_for};
use archetype::{Body, Limb};

use crate::fnv1a;

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
}
