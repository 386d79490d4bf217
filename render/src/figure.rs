//! The preview of a library pose: a human figure drawn along the pose's skeleton
//! (thick limbs, torso, head with hair or a hijab, hands) standing on a soft
//! background tinted with the root category's colour, with the pose's initials in a
//! badge and its name along the bottom, on a [`Canvas`].

use crate::canvas::{Canvas, Point, Shape, length};
use crate::color::{BLACK, Rgb, WHITE, mix};
use crate::font::{initials, text_rects};
use crate::skeleton::{self as sk, Keypoint, Prop, Skeleton};

const SKIN: Rgb = [233.0, 190.0, 160.0];
const HAIR: Rgb = [62.0, 46.0, 40.0];
const WOOD: Rgb = [164.0, 124.0, 92.0];

fn lerp(a: Point, b: Point, t: f32) -> Point {
    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
}

fn unit_vector(from: Point, to: Point) -> Point {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let len = length(dx, dy);
    if len > 1e-3 {
        (dx / len, dy / len)
    } else {
        (0.0, 0.0)
    }
}

/// How the head is covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Headwear {
    Hair,
    Hijab,
}

/// Draws the preview of the pose called `name` at `size` pixels (a multiple of 8).
pub fn render(
    skeleton: &Skeleton,
    name: &str,
    color: Rgb,
    headwear: Headwear,
    size: u32,
) -> Canvas {
    let s = size as f32;
    let top = mix(WHITE, color, 0.10);
    let bottom = mix(WHITE, color, 0.30);
    let mut canvas = Canvas::new(size, |u, v| {
        let glow = ((u - 0.5).powi(2) + (v - 0.45).powi(2)).min(0.5);
        mix(mix(top, bottom, v), color, glow * 0.18)
    });

    let px = |k: Keypoint| (k.x * s, k.y * s);
    let pt = |i: usize| skeleton.get(i).map(px);
    let body = skeleton.scale * s;
    let dark = mix(color, BLACK, 0.55);
    let ow = (0.0055 * s).max(1.5);

    // The floor: under the lowest point.
    let points: Vec<Point> = skeleton
        .keypoints
        .iter()
        .flatten()
        .map(|&k| px(k))
        .collect();
    let floor = points.iter().map(|p| p.1).fold(0.0, f32::max) + 0.03 * body;
    let (min_x, max_x) = points
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    canvas.fill(
        &[Shape::Ellipse {
            c: ((min_x + max_x) / 2.0, floor),
            rx: (max_x - min_x) / 2.0 + 0.06 * body,
            ry: 0.022 * s,
        }],
        mix(color, BLACK, 0.6),
        0.22,
        0.012 * s,
    );

    let neck = pt(sk::NECK).unwrap_or((0.5 * s, 0.3 * s));
    let r_hip = pt(sk::RIGHT_HIP).unwrap_or(neck);
    let l_hip = pt(sk::LEFT_HIP).unwrap_or(neck);
    let hips = lerp(r_hip, l_hip, 0.5);
    match skeleton.archetype.prop() {
        Prop::None => {}
        Prop::Mat => {
            let y = floor - 0.012 * body;
            canvas.outlined(
                &[Shape::Capsule {
                    a: (min_x - 0.08 * body, y),
                    b: (max_x + 0.08 * body, y),
                    r: 0.012 * body,
                }],
                mix(color, WHITE, 0.4),
                dark,
                ow,
            );
        }
        Prop::Chair => {
            let y = hips.1 + 0.05 * body;
            let (a, b) = ((hips.0 - 0.13 * body, y), (hips.0 + 0.13 * body, y));
            let leg_r = 0.012 * body;
            let chair = [
                Shape::Capsule {
                    a: (a.0 + leg_r, y),
                    b: (a.0 + leg_r, floor),
                    r: leg_r,
                },
                Shape::Capsule {
                    a: (b.0 - leg_r, y),
                    b: (b.0 - leg_r, floor),
                    r: leg_r,
                },
                Shape::Capsule {
                    a,
                    b,
                    r: 0.022 * body,
                },
            ];
            canvas.outlined(&chair, WOOD, mix(WOOD, BLACK, 0.5), ow);
        }
    }

    // Legs and torso.
    let mut legs = Vec::new();
    for (hip, knee, ankle) in [
        (sk::RIGHT_HIP, sk::RIGHT_KNEE, sk::RIGHT_ANKLE),
        (sk::LEFT_HIP, sk::LEFT_KNEE, sk::LEFT_ANKLE),
    ] {
        if let (Some(h), Some(k)) = (pt(hip), pt(knee)) {
            legs.push(Shape::Capsule {
                a: h,
                b: k,
                r: 0.046 * body,
            });
            if let Some(a) = pt(ankle) {
                legs.push(Shape::Capsule {
                    a: k,
                    b: a,
                    r: 0.037 * body,
                });
            }
        }
    }
    let r_sh = pt(sk::RIGHT_SHOULDER).unwrap_or(neck);
    let l_sh = pt(sk::LEFT_SHOULDER).unwrap_or(neck);
    let torso = [
        Shape::Quad {
            p: [r_sh, l_sh, l_hip, r_hip],
            r: 0.035 * body,
        },
        Shape::Capsule {
            a: lerp(neck, hips, 0.12),
            b: hips,
            r: 0.058 * body,
        },
    ];
    let lower: Vec<Shape> = legs.iter().chain(&torso).map(|s| s.grown(ow)).collect();
    canvas.fill(&lower, dark, 1.0, 1.0);
    canvas.fill(&legs, mix(color, [40.0, 40.0, 55.0], 0.55), 1.0, 1.0);
    canvas.fill(&torso, color, 1.0, 1.0);

    // Neck and head.
    let head = px(skeleton.head_center);
    let head_r = sk::HEAD_RADIUS * body;
    let up = unit_vector(neck, head);
    let face = pt(sk::NOSE).map_or((0.0, 0.0), |nose| {
        let (dx, dy) = (nose.0 - head.0, nose.1 - head.1);
        // Sideways only: the nose sits below the head centre in every view.
        let along = dx * -up.1 + dy * up.0;
        let k = (along / (0.04 * body)).clamp(-1.0, 1.0);
        (-up.1 * k, up.0 * k)
    });
    let at = |from: Point, d: Point, k: f32| (from.0 + d.0 * k, from.1 + d.1 * k);
    let neck_shape = [Shape::Capsule {
        a: lerp(neck, head, 0.1),
        b: head,
        r: 0.026 * body,
    }];
    canvas.outlined(&neck_shape, mix(SKIN, BLACK, 0.08), dark, ow);
    match headwear {
        Headwear::Hair => {
            let hair = Shape::Capsule {
                a: at(at(head, up, 0.012 * body), face, -0.012 * body),
                b: at(at(head, up, 0.012 * body), face, -0.012 * body),
                r: head_r * 1.02,
            };
            canvas.fill(&[hair.grown(ow)], dark, 1.0, 1.0);
            canvas.fill(&[hair], HAIR, 1.0, 1.0);
            let f = at(at(head, up, -0.008 * body), face, 0.012 * body);
            canvas.fill(
                &[Shape::Capsule {
                    a: f,
                    b: f,
                    r: head_r * 0.86,
                }],
                SKIN,
                1.0,
                1.0,
            );
        }
        Headwear::Hijab => {
            let scarf = mix(color, WHITE, 0.3);
            let drape = [
                Shape::Capsule {
                    a: head,
                    b: at(neck, up, -0.035 * body),
                    r: head_r * 1.18,
                },
                Shape::Capsule {
                    a: head,
                    b: head,
                    r: head_r * 1.12,
                },
            ];
            canvas.outlined(&drape, scarf, dark, ow);
            let f = at(at(head, up, -0.012 * body), face, 0.02 * body);
            canvas.fill(
                &[Shape::Capsule {
                    a: f,
                    b: f,
                    r: head_r * 0.72,
                }],
                SKIN,
                1.0,
                1.0,
            );
        }
    }

    // Arms over the body, hands last.
    let mut arms = Vec::new();
    let mut hands = Vec::new();
    for (shoulder, elbow, wrist) in [
        (sk::RIGHT_SHOULDER, sk::RIGHT_ELBOW, sk::RIGHT_WRIST),
        (sk::LEFT_SHOULDER, sk::LEFT_ELBOW, sk::LEFT_WRIST),
    ] {
        if let (Some(sh), Some(el)) = (pt(shoulder), pt(elbow)) {
            arms.push(Shape::Capsule {
                a: sh,
                b: el,
                r: 0.034 * body,
            });
            if let Some(wr) = pt(wrist) {
                arms.push(Shape::Capsule {
                    a: el,
                    b: wr,
                    r: 0.029 * body,
                });
                let hand = at(wr, unit_vector(el, wr), 0.022 * body);
                hands.push(Shape::Capsule {
                    a: hand,
                    b: hand,
                    r: 0.03 * body,
                });
            }
        }
    }
    let outline: Vec<Shape> = arms.iter().chain(&hands).map(|s| s.grown(ow)).collect();
    canvas.fill(&outline, dark, 1.0, 1.0);
    canvas.fill(&arms, mix(color, WHITE, 0.18), 1.0, 1.0);
    canvas.fill(&hands, SKIN, 1.0, 1.0);

    // The initials badge and the name.
    let badge = (0.085 * s, 0.085 * s);
    canvas.fill(
        &[Shape::Capsule {
            a: badge,
            b: badge,
            r: 0.056 * s,
        }],
        color,
        1.0,
        1.0,
    );
    let unit = 0.0072 * s;
    canvas.fill_rects(
        &text_rects(&initials(name), badge.0, badge.1 - 3.5 * unit, unit),
        WHITE,
        1.0,
    );
    let letters = name.chars().count().max(1) as f32;
    let unit = (0.0042 * s).min(0.9 * s / (6.0 * letters - 1.0));
    canvas.fill_rects(
        &text_rects(name, s / 2.0, 0.972 * s - 7.0 * unit, unit),
        mix(color, BLACK, 0.5),
        1.0,
    );
    canvas
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::Tile;
    use crate::color::parse_color;
    use crate::skeleton::Archetype;

    #[test]
    fn the_figure_is_visible_on_a_tinted_background() {
        let sk = Skeleton::build(Archetype::ArmsCrossed, "Classic Business Headshot");
        let blue = parse_color("#3B82F6");
        let canvas = render(&sk, "Classic Business Headshot", blue, Headwear::Hair, 256);
        let img = canvas.to_image();
        let corner = img.get_pixel(250, 5).0;
        // Light, and bluer than it is red.
        assert!(corner.iter().all(|&c| c > 180), "{corner:?}");
        assert!(corner[2] > corner[0], "{corner:?}");
        let torso = {
            let n = sk.get(sk::NECK).unwrap();
            let h = sk.get(sk::RIGHT_HIP).unwrap();
            img.get_pixel((n.x * 256.0) as u32, (((n.y + h.y) / 2.0) * 256.0) as u32)
                .0
        };
        let distance: u32 = corner
            .iter()
            .zip(torso)
            .map(|(a, b)| u32::from(a.abs_diff(b)))
            .sum();
        assert!(distance > 150, "torso {torso:?} vs background {corner:?}");
        // The JPEG decodes close to the drawing.
        let decoded = image::load_from_memory(&canvas.jpeg().unwrap())
            .unwrap()
            .to_rgb8();
        let error: u64 = decoded
            .as_raw()
            .iter()
            .zip(img.as_raw())
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        let mean = error as f64 / img.as_raw().len() as f64;
        assert!(mean < 2.0, "mean channel error {mean}");
        // Most tiles stay flat: that is what keeps the drawing fast.
        let flat = canvas
            .tiles
            .iter()
            .filter(|t| matches!(t, Tile::Flat(_)))
            .count();
        assert!(
            flat * 10 > canvas.tiles.len() * 6,
            "{flat} of {}",
            canvas.tiles.len()
        );
    }
}
