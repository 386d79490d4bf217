//! Colours as `f32` RGB in `0.0..=255.0`, the form every drawing here works in.

/// An RGB colour, channels in `0.0..=255.0`.
pub type Rgb = [f32; 3];

pub const WHITE: Rgb = [255.0, 255.0, 255.0];
pub const BLACK: Rgb = [0.0, 0.0, 0.0];

/// `a` blended towards `b` by `t` (0 = `a`, 1 = `b`).
pub fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
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

/// HSV (h in degrees, s and v in 0..=1) to RGB.
pub fn hsv(h: f32, s: f32, v: f32) -> [f32; 3] {
    let c = v * s;
    let hp = (h.rem_euclid(360.0)) / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [(r + m) * 255.0, (g + m) * 255.0, (b + m) * 255.0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_colours() {
        assert_eq!(parse_color("#3B82F6"), [59.0, 130.0, 246.0]);
        assert_eq!(parse_color("nope"), [128.0; 3]);
    }
}
