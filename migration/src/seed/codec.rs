//! Small, fast image encoders for the seed's generated pose images.
//!
//! The seed renders 84 × 3 images, and `cargo run` builds dependencies without
//! optimisation: the `image` crate's encoders then need about a quarter of a second
//! per 1024×1024 picture. These two encoders exploit what the seed's pictures look
//! like instead:
//!
//! - [`jpeg`]: a baseline JFIF encoder (4:4:4, the standard tables of ITU T.81
//!   Annex K) fed with 8×8 tiles. A flat tile (one colour) is coded as its DC term
//!   without a DCT, and most tiles of a preview are flat.
//! - [`png_indexed`]: an 8-bit palette PNG whose deflate stream is run-length coded
//!   with the fixed Huffman codes. A pose map is a black canvas with a few dozen
//!   flat colours, so each scanline is a handful of runs.
//!
//! Both produce standard files that any decoder reads (the tests decode them with the
//! `image` crate).

/// An 8×8 block of an image, colours as `f32` RGB in `0.0..=255.0`.
#[derive(Clone, Debug, PartialEq)]
pub enum Tile {
    /// Every pixel has this colour.
    Flat([f32; 3]),
    /// Row-major pixels.
    Pixels(Box<[[f32; 3]; 64]>),
}

impl Tile {
    /// The colour of pixel (`x`, `y`) of the tile.
    pub fn pixel(&self, x: usize, y: usize) -> [f32; 3] {
        match self {
            Tile::Flat(c) => *c,
            Tile::Pixels(p) => p[y * 8 + x],
        }
    }
}

// ---------------------------------------------------------------------------------
// JPEG

#[rustfmt::skip]
const LUMA_QTABLE: [u8; 64] = [
    16, 11, 10, 16,  24,  40,  51,  61,
    12, 12, 14, 19,  26,  58,  60,  55,
    14, 13, 16, 24,  40,  57,  69,  56,
    14, 17, 22, 29,  51,  87,  80,  62,
    18, 22, 37, 56,  68, 109, 103,  77,
    24, 35, 55, 64,  81, 104, 113,  92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103,  99,
];

#[rustfmt::skip]
const CHROMA_QTABLE: [u8; 64] = [
    17, 18, 24, 47, 99, 99, 99, 99,
    18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
];

/// Zig-zag position → natural (row-major) index.
#[rustfmt::skip]
const ZIGZAG: [usize; 64] = [
     0,  1,  8, 16,  9,  2,  3, 10,
    17, 24, 32, 25, 18, 11,  4,  5,
    12, 19, 26, 33, 40, 48, 41, 34,
    27, 20, 13,  6,  7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36,
    29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46,
    53, 60, 61, 54, 47, 55, 62, 63,
];

const LUMA_DC_BITS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const CHROMA_DC_BITS: [u8; 16] = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const DC_VALUES: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

const LUMA_AC_BITS: [u8; 16] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D];
#[rustfmt::skip]
const LUMA_AC_VALUES: [u8; 162] = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
    0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
    0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
    0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA,
];

const CHROMA_AC_BITS: [u8; 16] = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
#[rustfmt::skip]
const CHROMA_AC_VALUES: [u8; 162] = [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
    0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0,
    0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26,
    0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
    0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5,
    0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3,
    0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA,
    0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA,
];

/// (code, length) per symbol, from a JPEG `BITS`/`HUFFVAL` pair (T.81 Annex C).
fn huffman_codes(bits: &[u8; 16], values: &[u8]) -> [(u16, u8); 256] {
    let mut table = [(0u16, 0u8); 256];
    let (mut code, mut k) = (0u16, 0usize);
    for (len, &count) in bits.iter().enumerate() {
        for _ in 0..count {
            table[usize::from(values[k])] = (code, len as u8 + 1);
            code += 1;
            k += 1;
        }
        code <<= 1;
    }
    table
}

/// A quantisation table in natural order, scaled for `quality` like libjpeg.
fn scaled_qtable(base: &[u8; 64], quality: u8) -> [u16; 64] {
    let q = u32::from(quality.clamp(1, 100));
    let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
    base.map(|b| ((u32::from(b) * scale + 50) / 100).clamp(1, 255) as u16)
}

struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter {
    fn put(&mut self, code: u16, len: u8) {
        let len = u32::from(len);
        if len == 0 {
            return;
        }
        self.acc = (self.acc << len) | (u32::from(code) & ((1 << len) - 1));
        self.n += len;
        while self.n >= 8 {
            self.n -= 8;
            let byte = (self.acc >> self.n) as u8;
            self.out.push(byte);
            if byte == 0xFF {
                self.out.push(0);
            }
        }
        self.acc &= (1 << self.n) - 1;
    }

    fn flush(&mut self) {
        if self.n > 0 {
            let pad = 8 - self.n;
            self.put((1 << pad) - 1, pad as u8);
        }
    }
}

/// Magnitude category and the value bits of a coefficient (T.81 F.1.2.1).
fn category(v: i32) -> (u8, u16) {
    let magnitude = v.unsigned_abs();
    let cat = (32 - magnitude.leading_zeros()) as u8;
    let bits = if v < 0 { v - 1 } else { v };
    (cat, (bits as u32 & ((1u32 << cat) - 1)) as u16)
}

struct Component {
    qtable: [u16; 64],
    /// 0 for luma, 1 for chroma.
    table: usize,
    dc: [(u16, u8); 256],
    ac: [(u16, u8); 256],
    previous_dc: i32,
}

impl Component {
    fn put_dc(&mut self, w: &mut BitWriter, dc: i32) {
        let (cat, bits) = category(dc - self.previous_dc);
        self.previous_dc = dc;
        let (code, len) = self.dc[usize::from(cat)];
        w.put(code, len);
        w.put(bits, cat);
    }

    /// Codes one block given its level-shifted samples (`None`: flat, all equal to
    /// `flat`).
    fn encode(&mut self, w: &mut BitWriter, block: Option<&[f32; 64]>, flat: f32, cos: &Cos) {
        let Some(samples) = block else {
            // A flat block: its DC term (the DCT of a constant is 8 × the value) and
            // an end-of-block.
            let dc = (flat * 8.0 / f32::from(self.qtable[0])).round() as i32;
            self.put_dc(w, dc);
            let (code, len) = self.ac[0x00];
            w.put(code, len);
            return;
        };
        let coefficients = cos.quantised(samples, self.table);
        self.put_dc(w, coefficients[0]);
        let mut run = 0u8;
        for &natural in &ZIGZAG[1..] {
            let v = coefficients[natural];
            if v == 0 {
                run += 1;
                continue;
            }
            while run >= 16 {
                let (code, len) = self.ac[0xF0];
                w.put(code, len);
                run -= 16;
            }
            let (cat, bits) = category(v);
            let (code, len) = self.ac[usize::from((run << 4) | cat)];
            w.put(code, len);
            w.put(bits, cat);
            run = 0;
        }
        if run > 0 {
            let (code, len) = self.ac[0x00];
            w.put(code, len);
        }
    }
}

/// The forward DCT: the scaled float AAN algorithm (Arai, Agui, Nakajima; libjpeg's
/// `jfdctflt`), whose per-coefficient scale is folded into the quantisation
/// reciprocals.
struct Cos {
    /// Per component table: `1 / (q[k] · aan[u] · aan[v] · 8)`.
    reciprocals: [[f32; 64]; 2],
}

const AAN_SCALE: [f32; 8] = [
    1.0,
    1.387_039_8,
    1.306_563,
    1.175_875_6,
    1.0,
    0.785_694_96,
    0.541_196_1,
    0.275_899_38,
];

/// One 8-point AAN pass over `d[o], d[o+s], …, d[o+7s]`, in place.
fn aan_pass(d: &mut [f32; 64], o: usize, s: usize) {
    let (d0, d1, d2, d3) = (d[o], d[o + s], d[o + 2 * s], d[o + 3 * s]);
    let (d4, d5, d6, d7) = (d[o + 4 * s], d[o + 5 * s], d[o + 6 * s], d[o + 7 * s]);
    let (tmp0, tmp7) = (d0 + d7, d0 - d7);
    let (tmp1, tmp6) = (d1 + d6, d1 - d6);
    let (tmp2, tmp5) = (d2 + d5, d2 - d5);
    let (tmp3, tmp4) = (d3 + d4, d3 - d4);
    // Even part.
    let (tmp10, tmp13) = (tmp0 + tmp3, tmp0 - tmp3);
    let (tmp11, tmp12) = (tmp1 + tmp2, tmp1 - tmp2);
    d[o] = tmp10 + tmp11;
    d[o + 4 * s] = tmp10 - tmp11;
    let z1 = (tmp12 + tmp13) * 0.707_106_77;
    d[o + 2 * s] = tmp13 + z1;
    d[o + 6 * s] = tmp13 - z1;
    // Odd part.
    let (tmp10, tmp11, tmp12) = (tmp4 + tmp5, tmp5 + tmp6, tmp6 + tmp7);
    let z5 = (tmp10 - tmp12) * 0.382_683_43;
    let z2 = 0.541_196_1 * tmp10 + z5;
    let z4 = 1.306_563 * tmp12 + z5;
    let z3 = tmp11 * 0.707_106_77;
    let (z11, z13) = (tmp7 + z3, tmp7 - z3);
    d[o + 5 * s] = z13 + z2;
    d[o + 3 * s] = z13 - z2;
    d[o + s] = z11 + z4;
    d[o + 7 * s] = z11 - z4;
}

impl Cos {
    fn new(tables: [&[u16; 64]; 2]) -> Self {
        let mut reciprocals = [[0f32; 64]; 2];
        for (r, q) in reciprocals.iter_mut().zip(tables) {
            for (k, v) in r.iter_mut().enumerate() {
                let (row, col) = (k / 8, k % 8);
                *v = 1.0 / (f32::from(q[k]) * AAN_SCALE[row] * AAN_SCALE[col] * 8.0);
            }
        }
        Cos { reciprocals }
    }

    /// The quantised 2-D DCT of a block (row-major, level-shifted samples), with the
    /// luma (`table` 0) or chroma (1) quantisation.
    fn quantised(&self, samples: &[f32; 64], table: usize) -> [i32; 64] {
        let mut d = *samples;
        for row in 0..8 {
            aan_pass(&mut d, row * 8, 1);
        }
        for col in 0..8 {
            aan_pass(&mut d, col, 8);
        }
        let r = &self.reciprocals[table];
        let mut out = [0i32; 64];
        for k in 0..64 {
            let v = d[k] * r[k];
            out[k] = if v >= 0.0 {
                (v + 0.5) as i32
            } else {
                (v - 0.5) as i32
            };
        }
        out
    }
}

/// JFIF YCbCr of an RGB colour, level-shifted by −128.
fn ycbcr(c: [f32; 3]) -> [f32; 3] {
    // Plain arithmetic: this runs per pixel, and a debug build inlines nothing.
    #[allow(clippy::manual_clamp)]
    let clamp = |v: f32| {
        if v < 0.0 {
            0.0
        } else if v > 255.0 {
            255.0
        } else {
            v
        }
    };
    let (r, g, b) = (clamp(c[0]), clamp(c[1]), clamp(c[2]));
    [
        0.299 * r + 0.587 * g + 0.114 * b - 128.0,
        -0.168_736 * r - 0.331_264 * g + 0.5 * b,
        0.5 * r - 0.418_688 * g - 0.081_312 * b,
    ]
}

fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// Encodes a `tiles_across` × `tiles_down` grid of 8×8 tiles (row-major) as a
/// baseline JPEG of `8·tiles_across` × `8·tiles_down` pixels.
pub fn jpeg(tiles_across: usize, tiles_down: usize, tiles: &[Tile], quality: u8) -> Vec<u8> {
    assert_eq!(tiles.len(), tiles_across * tiles_down, "tile count");
    let (width, height) = ((tiles_across * 8) as u16, (tiles_down * 8) as u16);
    let luma_q = scaled_qtable(&LUMA_QTABLE, quality);
    let chroma_q = scaled_qtable(&CHROMA_QTABLE, quality);

    let mut out = Vec::with_capacity(64 * 1024);
    out.extend_from_slice(&[0xFF, 0xD8]);
    segment(
        &mut out,
        0xE0,
        b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00",
    );
    for (id, table) in [(0u8, &luma_q), (1, &chroma_q)] {
        let mut body = vec![id];
        body.extend(ZIGZAG.iter().map(|&i| table[i] as u8));
        segment(&mut out, 0xDB, &body);
    }
    let mut sof = vec![8];
    sof.extend_from_slice(&height.to_be_bytes());
    sof.extend_from_slice(&width.to_be_bytes());
    sof.extend_from_slice(&[3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]);
    segment(&mut out, 0xC0, &sof);
    for (class_id, bits, values) in [
        (0x00u8, &LUMA_DC_BITS, &DC_VALUES[..]),
        (0x10, &LUMA_AC_BITS, &LUMA_AC_VALUES[..]),
        (0x01, &CHROMA_DC_BITS, &DC_VALUES[..]),
        (0x11, &CHROMA_AC_BITS, &CHROMA_AC_VALUES[..]),
    ] {
        let mut body = vec![class_id];
        body.extend_from_slice(bits);
        body.extend_from_slice(values);
        segment(&mut out, 0xC4, &body);
    }
    segment(&mut out, 0xDA, &[3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);

    let luma = (
        huffman_codes(&LUMA_DC_BITS, &DC_VALUES),
        huffman_codes(&LUMA_AC_BITS, &LUMA_AC_VALUES),
    );
    let chroma = (
        huffman_codes(&CHROMA_DC_BITS, &DC_VALUES),
        huffman_codes(&CHROMA_AC_BITS, &CHROMA_AC_VALUES),
    );
    let mut components = [
        Component {
            qtable: luma_q,
            table: 0,
            dc: luma.0,
            ac: luma.1,
            previous_dc: 0,
        },
        Component {
            qtable: chroma_q,
            table: 1,
            dc: chroma.0,
            ac: chroma.1,
            previous_dc: 0,
        },
        Component {
            qtable: chroma_q,
            table: 1,
            dc: chroma.0,
            ac: chroma.1,
            previous_dc: 0,
        },
    ];
    let cos = Cos::new([&luma_q, &chroma_q]);
    let mut w = BitWriter { out, acc: 0, n: 0 };
    let mut planes = [[0f32; 64]; 3];
    for tile in tiles {
        match tile {
            Tile::Flat(c) => {
                let ycc = ycbcr(*c);
                for (k, component) in components.iter_mut().enumerate() {
                    component.encode(&mut w, None, ycc[k], &cos);
                }
            }
            Tile::Pixels(pixels) => {
                for (i, p) in pixels.iter().enumerate() {
                    let [y, cb, cr] = ycbcr(*p);
                    planes[0][i] = y;
                    planes[1][i] = cb;
                    planes[2][i] = cr;
                }
                for (k, component) in components.iter_mut().enumerate() {
                    component.encode(&mut w, Some(&planes[k]), 0.0, &cos);
                }
            }
        }
    }
    w.flush();
    let mut out = w.out;
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

// ---------------------------------------------------------------------------------
// PNG

fn crc32(chunks: &[&[u8]]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (n, entry) in t.iter_mut().enumerate() {
            let mut c = n as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *entry = c;
        }
        t
    });
    let mut crc = 0xFFFF_FFFFu32;
    for chunk in chunks {
        for &b in *chunk {
            crc = table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
        }
    }
    crc ^ 0xFFFF_FFFF
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// Deflate bit writer: least significant bit first.
struct DeflateBits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl DeflateBits {
    fn put(&mut self, value: u32, len: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A fixed-Huffman code (RFC 1951 §3.2.6), sent most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = code.reverse_bits() >> (32 - len);
        self.put(reversed, len);
    }

    fn literal(&mut self, byte: u8) {
        let b = u32::from(byte);
        if b < 144 {
            self.code(0x30 + b, 8);
        } else {
            self.code(0x190 + b - 144, 9);
        }
    }

    /// A match of `len` (3..=258) bytes at distance 1.
    fn repeat(&mut self, len: usize) {
        const BASE: [u16; 29] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
            115, 131, 163, 195, 227, 258,
        ];
        const EXTRA: [u32; 29] = [
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
        ];
        let len = len as u16;
        let i = BASE.iter().rposition(|&b| b <= len).expect("len >= 3");
        let symbol = 257 + i as u32;
        if symbol < 280 {
            self.code(symbol - 256, 7);
        } else {
            self.code(0xC0 + symbol - 280, 8);
        }
        self.put(u32::from(len - BASE[i]), EXTRA[i]);
        // Distance 1: distance code 0, five bits, no extra bits.
        self.code(0, 5);
    }
}

const ADLER_MOD: u64 = 65_521;

/// Deflate (fixed Huffman, runs as distance-1 matches) of `data` with its Adler-32
/// kept by runs.
struct RunCoder {
    bits: DeflateBits,
    a: u64,
    b: u64,
}

impl RunCoder {
    /// `count` (≥ 1) copies of `byte`.
    fn run(&mut self, byte: u8, count: usize) {
        let (v, n) = (u64::from(byte), count as u64);
        self.b = (self.b + n * self.a + v * (n * (n + 1) / 2)) % ADLER_MOD;
        self.a = (self.a + n * v) % ADLER_MOD;
        self.bits.literal(byte);
        let mut rest = count - 1;
        while rest >= 3 {
            let len = rest.min(258);
            // Never leave 1 or 2 bytes that a match cannot take after a 258-byte one.
            let len = if rest - len > 0 && rest - len < 3 {
                len - 3
            } else {
                len
            };
            self.bits.repeat(len);
            rest -= len;
        }
        for _ in 0..rest {
            self.bits.literal(byte);
        }
    }
}

/// The length of the run of `data[start]` starting at `start`.
fn run_length(data: &[u8], start: usize) -> usize {
    let v = data[start];
    let pattern = [v; 64];
    let mut end = start + 1;
    while end + 64 <= data.len() && data[end..end + 64] == pattern {
        end += 64;
    }
    while end < data.len() && data[end] == v {
        end += 1;
    }
    end - start
}

/// An 8-bit palette PNG of `width` × `height` pixels; `indices` is row-major and
/// every index is below `palette.len()` (at most 256 colours).
pub fn png_indexed(width: u32, height: u32, palette: &[[u8; 3]], indices: &[u8]) -> Vec<u8> {
    assert_eq!(indices.len(), (width * height) as usize, "pixel count");
    assert!(!palette.is_empty() && palette.len() <= 256, "palette size");
    let mut out = Vec::with_capacity(16 * 1024);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 3, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    let plte: Vec<u8> = palette.iter().flatten().copied().collect();
    png_chunk(&mut out, b"PLTE", &plte);

    let mut coder = RunCoder {
        bits: DeflateBits {
            out: vec![0x78, 0x01],
            acc: 0,
            n: 0,
        },
        a: 1,
        b: 0,
    };
    // One final block with the fixed codes.
    coder.bits.put(1, 1);
    coder.bits.put(1, 2);
    for row in indices.chunks_exact(width as usize) {
        coder.run(0, 1); // filter type: none
        let mut x = 0;
        while x < row.len() {
            let n = run_length(row, x);
            coder.run(row[x], n);
            x += n;
        }
    }
    coder.bits.code(0, 7); // end of block
    if coder.bits.n > 0 {
        let pad = 8 - coder.bits.n;
        coder.bits.put(0, pad);
    }
    let adler = ((coder.b << 16) | coder.a) as u32;
    let mut idat = coder.bits.out;
    idat.extend_from_slice(&adler.to_be_bytes());
    png_chunk(&mut out, b"IDAT", &idat);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> image::RgbImage {
        image::load_from_memory(bytes).unwrap().to_rgb8()
    }

    #[test]
    fn jpeg_round_trips_flat_and_detailed_tiles() {
        // 4 × 3 tiles: flat colours, a gradient tile and a sharp edge.
        let mut tiles = Vec::new();
        for i in 0..12 {
            tiles.push(match i {
                5 => {
                    let mut p = Box::new([[0f32; 3]; 64]);
                    for (k, px) in p.iter_mut().enumerate() {
                        let (x, y) = ((k % 8) as f32, (k / 8) as f32);
                        *px = [x * 30.0, y * 30.0, 200.0 - x * 10.0];
                    }
                    Tile::Pixels(p)
                }
                6 => {
                    let mut p = Box::new([[250f32, 250.0, 240.0]; 64]);
                    for (k, px) in p.iter_mut().enumerate() {
                        if k % 8 >= 4 {
                            *px = [20.0, 60.0, 160.0];
                        }
                    }
                    Tile::Pixels(p)
                }
                _ => Tile::Flat([i as f32 * 20.0, 255.0 - i as f32 * 15.0, 128.0]),
            });
        }
        let img = decode(&jpeg(4, 3, &tiles, 90));
        assert_eq!(img.dimensions(), (32, 24));
        let mut worst = 0i32;
        for y in 0..24u32 {
            for x in 0..32u32 {
                let tile = &tiles[(y / 8 * 4 + x / 8) as usize];
                let want = tile.pixel((x % 8) as usize, (y % 8) as usize);
                let got = img.get_pixel(x, y).0;
                for c in 0..3 {
                    worst = worst.max((i32::from(got[c]) - want[c].round() as i32).abs());
                }
            }
        }
        // Flat tiles are exact to rounding; the sharp edge rings a little.
        assert!(worst <= 40, "worst channel error {worst}");
        let flat = img.get_pixel(4, 4).0;
        assert!(
            flat.iter()
                .zip([0u8, 255, 128])
                .all(|(a, b)| a.abs_diff(b) <= 3),
            "{flat:?}"
        );
    }

    #[test]
    fn png_round_trips_runs_and_literals() {
        let (w, h) = (300u32, 7u32);
        let palette = [[0, 0, 0], [255, 0, 0], [0, 255, 85], [10, 20, 30]];
        let mut indices = vec![0u8; (w * h) as usize];
        for (i, v) in indices.iter_mut().enumerate() {
            let (x, y) = (i as u32 % w, i as u32 / w);
            *v = match y {
                0 => 0,
                1 => (x % 4) as u8,
                2 => u8::from(x > 260),
                3 => 3,
                4 => {
                    if x < 259 {
                        1
                    } else {
                        2
                    }
                }
                5 => {
                    if x < 260 {
                        2
                    } else {
                        0
                    }
                }
                _ => ((x / 3) % 4) as u8,
            };
        }
        let img = decode(&png_indexed(w, h, &palette, &indices));
        assert_eq!(img.dimensions(), (w, h));
        for (i, &v) in indices.iter().enumerate() {
            let (x, y) = (i as u32 % w, i as u32 / w);
            assert_eq!(img.get_pixel(x, y).0, palette[v as usize], "({x}, {y})");
        }
    }
}
