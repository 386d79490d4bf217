//! The preview of a library pose: a human figure drawn along the pose's skeleton
//! (thick limbs, torso, head with hair or a hijab, hands) standing on a soft
//! background tinted with the root category's colour, with the pose's initials in a
//! badge and its name along the bottom.
//!
//! Drawing is vector based (anti-aliased signed distances) and works on 8×8 tiles: a
//! tile that a shape covers entirely, or not at all, stays one flat colour, and only
//! the tiles along an edge are drawn pixel by pixel, which keeps the 84 × 2 previews
//! fast even in a debug build. [`Canvas::jpeg`] encodes the result with the `image`
//! crate's JPEG encoder. That encoder is generic over its writer, so it is compiled
//! with this crate's optimisation level, not the `image` crate's: in a debug build it
//! is most of the seed's time (about 0.2 s per 1024² preview).

use image::codecs::jpeg::JpegEncoder;

use super::preview::{glyph, initials};
use super::skeleton::{self as sk, Keypoint, Prop, Skeleton};

type Rgb = [f32; 3];
type Point = (f32, f32);

pub const JPEG_QUALITY: u8 = 88;
const SKIN: Rgb = [233.0, 190.0, 160.0];
const HAIR: Rgb = [62.0, 46.0, 40.0];
const WOOD: Rgb = [164.0, 124.0, 92.0];
const WHITE: Rgb = [255.0, 255.0, 255.0];
const BLACK: Rgb = [0.0, 0.0, 0.0];
/// Half the diagonal of a tile.
const TILE_REACH: f32 = 5.66;

fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

/// `#RRGGBB` → RGB; grey when unreadable.
pub fn parse_color(hex: &str) -> Rgb {
    let hex = hex.trim_start_matches('#');
    let channel = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map_or(128.0, f32::from)
    };
    if hex.len() == 6 {
        [channel(0), channel(2), channel(4)]
    } else {
        [128.0; 3]
    }
}

#[derive(Clone, Copy, Debug)]
enum Shape {
    /// A segment `a`–`b` thickened by `r` (a disc when `a == b`).
    Capsule {
        a: Point,
        b: Point,
        r: f32,
    },
    /// A convex quadrilateral with corners rounded by `r`.
    Quad {
        p: [Point; 4],
        r: f32,
    },
    Ellipse {
        c: Point,
        rx: f32,
        ry: f32,
    },
}

fn length(x: f32, y: f32) -> f32 {
    (x * x + y * y).sqrt()
}

fn segment_distance(p: Point, a: Point, b: Point) -> f32 {
    let (pax, pay) = (p.0 - a.0, p.1 - a.1);
    let (bax, bay) = (b.0 - a.0, b.1 - a.1);
    let bb = bax * bax + bay * bay;
    // Not `clamp`: this runs per pixel, and a debug build inlines nothing.
    #[allow(clippy::manual_clamp)]
    let h = if bb > 0.0 {
        let t = (pax * bax + pay * bay) / bb;
        if t < 0.0 {
            0.0
        } else if t > 1.0 {
            1.0
        } else {
            t
        }
    } else {
        0.0
    };
    length(pax - bax * h, pay - bay * h)
}

impl Shape {
    /// Signed distance in pixels (negative inside); never more than the true
    /// distance to the edge, so tile classification is conservative.
    fn sdf(&self, p: Point) -> f32 {
        match *self {
            Shape::Capsule { a, b, r } => segment_distance(p, a, b) - r,
            Shape::Quad { p: q, r } => {
                let mut d = f32::INFINITY;
                let (mut pos, mut neg) = (false, false);
                for i in 0..4 {
                    let (a, b) = (q[i], q[(i + 1) % 4]);
                    d = d.min(segment_distance(p, a, b));
                    let cross = (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
                    if cross > 0.0 {
                        pos = true;
                    } else if cross < 0.0 {
                        neg = true;
                    }
                }
                let inside = !(pos && neg);
                (if inside { -d } else { d }) - r
            }
            Shape::Ellipse { c, rx, ry } => {
                (length((p.0 - c.0) / rx, (p.1 - c.1) / ry) - 1.0) * rx.min(ry)
            }
        }
    }

    /// `[x0, y0, x1, y1]`.
    fn bbox(&self) -> [f32; 4] {
        match *self {
            Shape::Capsule { a, b, r } => [
                a.0.min(b.0) - r,
                a.1.min(b.1) - r,
                a.0.max(b.0) + r,
                a.1.max(b.1) + r,
            ],
            Shape::Quad { p, r } => {
                let xs = p.map(|q| q.0);
                let ys = p.map(|q| q.1);
                let min = |v: [f32; 4]| v.into_iter().fold(f32::INFINITY, f32::min);
                let max = |v: [f32; 4]| v.into_iter().fold(f32::NEG_INFINITY, f32::max);
                [min(xs) - r, min(ys) - r, max(xs) + r, max(ys) + r]
            }
            Shape::Ellipse { c, rx, ry } => [c.0 - rx, c.1 - ry, c.0 + rx, c.1 + ry],
        }
    }

    fn grown(&self, by: f32) -> Shape {
        match *self {
            Shape::Capsule { a, b, r } => Shape::Capsule { a, b, r: r + by },
            Shape::Quad { p, r } => Shape::Quad { p, r: r + by },
            Shape::Ellipse { c, rx, ry } => Shape::Ellipse {
                c,
                rx: rx + by,
                ry: ry + by,
            },
        }
    }
}

/// An 8×8 block of a [`Canvas`], colours as `f32` RGB in `0.0..=255.0`.
#[derive(Clone, Debug, PartialEq)]
pub enum Tile {
    /// Every pixel has this colour.
    Flat(Rgb),
    /// Row-major pixels.
    Pixels(Box<[Rgb; 64]>),
}

impl Tile {
    /// The colour of pixel (`x`, `y`) of the tile.
    pub fn pixel(&self, x: usize, y: usize) -> Rgb {
        match self {
            Tile::Flat(c) => *c,
            Tile::Pixels(p) => p[y * 8 + x],
        }
    }
}

fn tile_pixels(tile: &mut Tile) -> &mut [[f32; 3]; 64] {
    if let Tile::Flat(c) = *tile {
        *tile = Tile::Pixels(Box::new([c; 64]));
    }
    match tile {
        Tile::Pixels(p) => p,
        Tile::Flat(_) => unreachable!("converted above"),
    }
}

/// A square image as a grid of 8×8 tiles.
pub struct Canvas {
    /// Tiles across (and down).
    pub n: usize,
    pub tiles: Vec<Tile>,
}

impl Canvas {
    /// A canvas of `size` pixels (a multiple of 8) whose tile at normalised centre
    /// (`u`, `v`) has the flat colour `background(u, v)`.
    fn new(size: u32, background: impl Fn(f32, f32) -> Rgb) -> Canvas {
        let n = (size / 8) as usize;
        let mut tiles = Vec::with_capacity(n * n);
        for ty in 0..n {
            for tx in 0..n {
                let (u, v) = ((tx as f32 + 0.5) / n as f32, (ty as f32 + 0.5) / n as f32);
                tiles.push(Tile::Flat(background(u, v)));
            }
        }
        Canvas { n, tiles }
    }

    /// Paints the union of `shapes` in `color` at `opacity`, edges softened over
    /// `soft` pixels.
    fn fill(&mut self, shapes: &[Shape], color: Rgb, opacity: f32, soft: f32) {
        if shapes.is_empty() {
            return;
        }
        let n = self.n as i64;
        let pad = soft + 2.0;
        let boxes: Vec<[f32; 4]> = shapes
            .iter()
            .map(|s| {
                let b = s.bbox();
                [b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad]
            })
            .collect();
        let tile_range = |lo: f32, hi: f32| {
            let a = ((lo / 8.0).floor() as i64).clamp(0, n - 1);
            let b = ((hi / 8.0).floor() as i64).clamp(0, n - 1);
            (a as usize, b as usize)
        };
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for b in &boxes {
            x0 = x0.min(b[0]);
            y0 = y0.min(b[1]);
            x1 = x1.max(b[2]);
            y1 = y1.max(b[3]);
        }
        if x1 < 0.0 || y1 < 0.0 || x0 >= n as f32 * 8.0 || y0 >= n as f32 * 8.0 {
            return;
        }
        let (tx0, tx1) = tile_range(x0, x1);
        let (ty0, ty1) = tile_range(y0, y1);
        let w = tx1 - tx0 + 1;
        // The layer's distance at every tile centre its shapes come near.
        let mut dist = vec![f32::INFINITY; w * (ty1 - ty0 + 1)];
        for (shape, b) in shapes.iter().zip(&boxes) {
            let (sx0, sx1) = tile_range(b[0], b[2]);
            let (sy0, sy1) = tile_range(b[1], b[3]);
            for ty in sy0..=sy1 {
                for tx in sx0..=sx1 {
                    let centre = (tx as f32 * 8.0 + 4.0, ty as f32 * 8.0 + 4.0);
                    let slot = &mut dist[(ty - ty0) * w + tx - tx0];
                    *slot = slot.min(shape.sdf(centre));
                }
            }
        }
        let half = soft / 2.0;
        let mut near: Vec<&Shape> = Vec::with_capacity(shapes.len());
        for ty in ty0..=ty1 {
            for tx in tx0..=tx1 {
                let d = dist[(ty - ty0) * w + tx - tx0];
                if d - TILE_REACH >= half {
                    continue;
                }
                let tile = &mut self.tiles[ty * self.n + tx];
                if d + TILE_REACH <= -half {
                    match tile {
                        Tile::Flat(c) => *c = mix(*c, color, opacity),
                        Tile::Pixels(p) => p.iter_mut().for_each(|c| *c = mix(*c, color, opacity)),
                    }
                    continue;
                }
                let (left, top) = (tx as f32 * 8.0, ty as f32 * 8.0);
                near.clear();
                near.extend(
                    shapes
                        .iter()
                        .zip(&boxes)
                        .filter(|(_, b)| {
                            b[0] <= left + 8.0 && b[2] >= left && b[1] <= top + 8.0 && b[3] >= top
                        })
                        .map(|(s, _)| s),
                );
                // Plain loops: this is the per-pixel path, and a debug build
                // inlines nothing.
                let mut coverage = [0f32; 64];
                let mut any = false;
                for (i, slot) in coverage.iter_mut().enumerate() {
                    let p = (left + (i % 8) as f32 + 0.5, top + (i / 8) as f32 + 0.5);
                    let mut d = f32::INFINITY;
                    for shape in &near {
                        let ds = shape.sdf(p);
                        if ds < d {
                            d = ds;
                        }
                    }
                    let cov = 0.5 - d / soft;
                    if cov > 0.0 {
                        *slot = if cov >= 1.0 { opacity } else { cov * opacity };
                        any = true;
                    }
                }
                if any {
                    let pixels = tile_pixels(tile);
                    for i in 0..64 {
                        let a = coverage[i];
                        if a > 0.0 {
                            pixels[i] = mix(pixels[i], color, a);
                        }
                    }
                }
            }
        }
    }

    /// Paints axis-aligned rectangles (`[x0, y0, x1, y1]`, not overlapping) with
    /// exact area coverage: for bitmap text, whose cells must not show seams.
    fn fill_rects(&mut self, rects: &[[f32; 4]], color: Rgb, opacity: f32) {
        if rects.is_empty() {
            return;
        }
        let size = (self.n * 8) as i64;
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for r in rects {
            x0 = x0.min(r[0]);
            y0 = y0.min(r[1]);
            x1 = x1.max(r[2]);
            y1 = y1.max(r[3]);
        }
        let (px0, py0) = ((x0.floor() as i64).max(0), (y0.floor() as i64).max(0));
        let (px1, py1) = ((x1.ceil() as i64).min(size), (y1.ceil() as i64).min(size));
        if px0 >= px1 || py0 >= py1 {
            return;
        }
        let w = (px1 - px0) as usize;
        let mut coverage = vec![0f32; w * (py1 - py0) as usize];
        for r in rects {
            let (rx0, ry0) = (
                (r[0].floor() as i64).max(px0),
                (r[1].floor() as i64).max(py0),
            );
            let (rx1, ry1) = ((r[2].ceil() as i64).min(px1), (r[3].ceil() as i64).min(py1));
            for y in ry0..ry1 {
                let oy = (r[3].min(y as f32 + 1.0) - r[1].max(y as f32)).max(0.0);
                for x in rx0..rx1 {
                    let ox = (r[2].min(x as f32 + 1.0) - r[0].max(x as f32)).max(0.0);
                    coverage[(y - py0) as usize * w + (x - px0) as usize] += ox * oy;
                }
            }
        }
        for y in py0..py1 {
            for x in px0..px1 {
                let a = coverage[(y - py0) as usize * w + (x - px0) as usize].min(1.0) * opacity;
                if a <= 0.0 {
                    continue;
                }
                let (x, y) = (x as usize, y as usize);
                let tile = &mut self.tiles[(y / 8) * self.n + x / 8];
                let c = &mut tile_pixels(tile)[(y % 8) * 8 + x % 8];
                *c = mix(*c, color, a);
            }
        }
    }

    /// A shape layer with an outline of `width` pixels in `outline`.
    fn outlined(&mut self, shapes: &[Shape], color: Rgb, outline: Rgb, width: f32) {
        let grown: Vec<Shape> = shapes.iter().map(|s| s.grown(width)).collect();
        self.fill(&grown, outline, 1.0, 1.0);
        self.fill(shapes, color, 1.0, 1.0);
    }

    /// The canvas as an RGB image, channels rounded to the nearest integer. Written
    /// row by row of tiles rather than per pixel through `RgbImage::from_fn`: this
    /// runs twice per pose in an unoptimised build.
    pub fn to_image(&self) -> image::RgbImage {
        let size = self.n * 8;
        let mut buf = vec![0u8; size * size * 3];
        // `as` saturates, so adding a half and truncating rounds into 0..=255.
        let to_u8 = |c: Rgb| [(c[0] + 0.5) as u8, (c[1] + 0.5) as u8, (c[2] + 0.5) as u8];
        let mut row = [0u8; 24];
        for (i, tile) in self.tiles.iter().enumerate() {
            let (tx, ty) = (i % self.n, i / self.n);
            if let Tile::Flat(c) = tile {
                let c = to_u8(*c);
                for px in row.chunks_exact_mut(3) {
                    px.copy_from_slice(&c);
                }
            }
            for y in 0..8 {
                if let Tile::Pixels(p) = tile {
                    for (x, px) in row.chunks_exact_mut(3).enumerate() {
                        px.copy_from_slice(&to_u8(p[y * 8 + x]));
                    }
                }
                let start = ((ty * 8 + y) * size + tx * 8) * 3;
                buf[start..start + 24].copy_from_slice(&row);
            }
        }
        image::RgbImage::from_raw(size as u32, size as u32, buf).expect("sized to the canvas")
    }

    /// The canvas as a JPEG at [`JPEG_QUALITY`].
    pub fn jpeg(&self) -> Result<Vec<u8>, image::ImageError> {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode_image(&self.to_image())?;
        Ok(out)
    }
}

/// Rectangles of `text` in the 5×7 bitmap font, `unit` pixels per font pixel, centred
/// on `centre_x`, top at `top`. Unknown characters are left blank.
fn text_rects(text: &str, centre_x: f32, top: f32, unit: f32) -> Vec<[f32; 4]> {
    let chars: Vec<char> = text.chars().map(|c| c.to_ascii_uppercase()).collect();
    let width = (chars.len() as f32 * 6.0 - 1.0) * unit;
    let left = centre_x - width / 2.0;
    let mut rects = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        let Some(rows) = glyph(*c) else { continue };
        let gx = left + i as f32 * 6.0 * unit;
        for (r, bits) in rows.iter().enumerate() {
            // One rectangle per horizontal run of set bits.
            let mut col = 0;
            while col < 5 {
                if bits & (0x10 >> col) == 0 {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < 5 && bits & (0x10 >> col) != 0 {
                    col += 1;
                }
                let y = top + r as f32 * unit;
                rects.push([
                    gx + start as f32 * unit,
                    y,
                    gx + col as f32 * unit,
                    y + unit,
                ]);
            }
        }
    }
    rects
}

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
    use crate::seed::skeleton::skeleton_for;

    #[test]
    fn parses_colours() {
        assert_eq!(parse_color("#3B82F6"), [59.0, 130.0, 246.0]);
        assert_eq!(parse_color("nope"), [128.0; 3]);
    }

    #[test]
    fn the_figure_is_visible_on_a_tinted_background() {
        let sk = skeleton_for("Classic Business Headshot");
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
