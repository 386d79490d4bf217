//! The canvas the pose figures are drawn on: vector shapes (anti-aliased signed
//! distances) painted onto a grid of 8×8 tiles. A tile that a shape covers entirely,
//! or not at all, stays one flat colour, and only the tiles along an edge are drawn
//! pixel by pixel, which keeps the seed's 84 × 2 previews fast even in a debug build.
//! [`Canvas::jpeg`] encodes the result with the `image` crate's JPEG encoder.

use image::codecs::jpeg::JpegEncoder;

use crate::JPEG_QUALITY;
use crate::color::{Rgb, mix};

/// A point in pixels.
pub type Point = (f32, f32);

/// Half the diagonal of a tile.
const TILE_REACH: f32 = 5.66;

/// A shape of a figure, in pixels.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
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

pub fn length(x: f32, y: f32) -> f32 {
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
    pub fn sdf(&self, p: Point) -> f32 {
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
    pub fn bbox(&self) -> [f32; 4] {
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

    pub fn grown(&self, by: f32) -> Shape {
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
    pub fn new(size: u32, background: impl Fn(f32, f32) -> Rgb) -> Canvas {
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
    pub fn fill(&mut self, shapes: &[Shape], color: Rgb, opacity: f32, soft: f32) {
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
    pub fn fill_rects(&mut self, rects: &[[f32; 4]], color: Rgb, opacity: f32) {
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
    pub fn outlined(&mut self, shapes: &[Shape], color: Rgb, outline: Rgb, width: f32) {
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
