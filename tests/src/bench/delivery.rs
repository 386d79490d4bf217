//! Figure 7, fewer bytes and fewer round trips (issue "Fewer bytes and fewer round
//! trips"): at 16 connections, each pair measured alternately in the same run, medians
//! of rounds and the median of the per-round ratios:
//!
//! * **A/B** (`--ab REV`): `GET /projects` on this build against the `api` binary of
//!   another revision, both on the same database (their JSON compared first);
//! * `GET /projects` with `Accept-Encoding: gzip, br` against identity;
//! * `GET /projects` from the page kept under its tag against the same build keeping
//!   none (`PAGE_CACHE_MB=0`: every 200 has the page written);
//! * `GET /projects` revalidated (`If-None-Match` with the current tag → 304) against
//!   the plain 200, from a kept page and with the page written;
//! * bytes on the wire of `GET /projects` and `GET /library` in each coding, and every
//!   encoder level we considered, timed in process on the same bodies (how the levels
//!   were chosen).

use std::fmt::Write;
use std::time::{Duration, Instant};

use async_compression::Level;
use hyper::{StatusCode, body::Bytes};
use tokio::io::AsyncReadExt;

use super::Options;
use super::load::{self, Target};
use super::report::{Measurement, median};

pub const CONNECTIONS: usize = 16;
pub const LIBRARY_PATH: &str = "/api/apps/pose-generator/library";

/// path, identity bytes, (coding, bytes on the wire).
pub type WireBytes = (&'static str, usize, Vec<(&'static str, usize)>);

/// What figure 7 measured.
pub struct Delivery {
    /// (this build, the other revision's), with the revision's name.
    pub ab: Option<(String, Measurement)>,
    /// (`gzip, br`, identity).
    pub encoded: Measurement,
    /// (200 from the kept page, 200 with the page written).
    pub kept: Measurement,
    /// (304, 200 from the kept page).
    pub not_modified: Measurement,
    /// (304, 200 with the page written).
    pub not_modified_unkept: Measurement,
    /// path, identity bytes, (coding, bytes on the wire) as the API sent them.
    pub bytes: Vec<WireBytes>,
    /// body, coding, level, bytes, median µs to compress.
    pub levels: Vec<(&'static str, &'static str, i32, usize, f64)>,
}

/// Runs `a` and `b` alternately, `options.rounds` times.
pub async fn pair(
    name: &'static str,
    labels: (&str, &str),
    a: &Target,
    b: &Target,
    options: &Options,
) -> Result<Measurement, String> {
    let mut rounds = Vec::new();
    for round in 0..options.rounds {
        let order = if round % 2 == 0 {
            [(a, true), (b, false)]
        } else {
            [(b, false), (a, true)]
        };
        let mut got = (None, None);
        for (target, first) in order {
            let sample = load::run(target, CONNECTIONS, options.warmup, options.duration).await?;
            eprintln!(
                "{name:<28} c={CONNECTIONS} round {} {:<10} {:>8.0} req/s  p99 {:>7.2} ms  errors {}",
                round + 1,
                if first { labels.0 } else { labels.1 },
                sample.rps(),
                sample.quantile_ms(0.99),
                sample.errors
            );
            if first {
                got.0 = Some(sample);
            } else {
                got.1 = Some(sample);
            }
        }
        if let (Some(x), Some(y)) = got {
            rounds.push((x.into(), y.into()));
        }
    }
    Ok(Measurement {
        scenario: name,
        connections: CONNECTIONS,
        rounds,
    })
}

fn with_headers(target: &Target, headers: &[(&'static str, &str)], expect: StatusCode) -> Target {
    let mut t = target.clone();
    t.headers = headers.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
    t.expect = expect;
    t
}

/// Figure 7 on the running API (`get` is the reader's `GET /projects` on it), `unkept`
/// (the same request on this build keeping no pages) and `previous` (a second API on
/// the same database) for the A/B.
pub async fn measure(
    get: &Target,
    unkept: &Target,
    previous: Option<(String, &Target)>,
    options: &Options,
) -> Result<Delivery, String> {
    let ab = match previous {
        Some((rev, old)) => {
            let (s1, new_body) = load::fetch(get).await?;
            let (s2, old_body) = load::fetch(old).await?;
            let parse = |b: &Bytes| serde_json::from_slice::<serde_json::Value>(b).ok();
            if s1 != StatusCode::OK || s2 != StatusCode::OK || parse(&new_body) != parse(&old_body)
            {
                return Err(format!(
                    "A/B: {rev} answers GET /projects differently ({s2}, {} bytes) from this build ({s1}, {} bytes)",
                    old_body.len(),
                    new_body.len()
                ));
            }
            eprintln!("A/B: same JSON from this build and {rev}");
            Some((
                rev.clone(),
                pair("A/B GET /projects", ("this", "previous"), get, old, options).await?,
            ))
        }
        None => None,
    };

    let library = Target {
        path: LIBRARY_PATH.into(),
        ..get.clone()
    };
    let mut bytes = Vec::new();
    let mut bodies = Vec::new();
    for (name, target) in [("GET /projects", get), ("GET /library", &library)] {
        let (_, _, identity) = load::fetch_with_headers(target).await?;
        let mut codings = Vec::new();
        for coding in ["gzip, br", "br", "zstd", "gzip"] {
            let (status, headers, body) = load::fetch_with_headers(&with_headers(
                target,
                &[("accept-encoding", coding)],
                StatusCode::OK,
            ))
            .await?;
            let sent = headers
                .get("content-encoding")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("identity");
            if status != StatusCode::OK || (coding != "gzip, br" && sent != coding) {
                return Err(format!(
                    "{name} with Accept-Encoding {coding}: {status}, sent as {sent}"
                ));
            }
            codings.push((coding, body.len()));
        }
        bytes.push((name, identity.len(), codings));
        bodies.push((name, identity));
    }

    let encoded = pair(
        "GET /projects gzip,br/identity",
        ("gzip, br", "identity"),
        &with_headers(get, &[("accept-encoding", "gzip, br")], StatusCode::OK),
        get,
        options,
    )
    .await?;

    let (_, headers, _) = load::fetch_with_headers(get).await?;
    let etag = headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .ok_or("GET /projects has no ETag")?
        .to_owned();
    let revalidate = with_headers(get, &[("if-none-match", &etag)], StatusCode::NOT_MODIFIED);
    let not_modified = pair(
        "GET /projects 304/200",
        ("304", "200"),
        &revalidate,
        get,
        options,
    )
    .await?;
    let kept = pair(
        "GET /projects kept/written",
        ("kept", "written"),
        get,
        unkept,
        options,
    )
    .await?;
    let not_modified_unkept = pair(
        "GET /projects 304/written",
        ("304", "written"),
        &revalidate,
        unkept,
        options,
    )
    .await?;

    let mut levels = Vec::new();
    for (name, body) in &bodies {
        for (coding, choices) in [
            ("gzip", &[1, 4, 6, 9][..]),
            ("br", &[1, 3, 4, 5, 6, 9, 11][..]),
            ("zstd", &[1, 3, 6, 9, 19][..]),
        ] {
            for &level in choices {
                let (size, us) = time_encoder(coding, level, body).await;
                levels.push((*name, coding, level, size, us));
            }
        }
    }
    Ok(Delivery {
        ab,
        encoded,
        kept,
        not_modified,
        not_modified_unkept,
        bytes,
        levels,
    })
}

async fn encode(coding: &str, level: i32, body: &[u8]) -> Vec<u8> {
    use async_compression::tokio::bufread::{BrotliEncoder, GzipEncoder, ZstdEncoder};
    let mut out = Vec::new();
    let level = Level::Precise(level);
    match coding {
        "gzip" => {
            GzipEncoder::with_quality(body, level)
                .read_to_end(&mut out)
                .await
        }
        "br" => {
            BrotliEncoder::with_quality(body, level)
                .read_to_end(&mut out)
                .await
        }
        _ => {
            ZstdEncoder::with_quality(body, level)
                .read_to_end(&mut out)
                .await
        }
    }
    .expect("in-memory compression");
    out
}

/// Compressed size and the median time of up to 15 runs (at most ~1 s in all).
async fn time_encoder(coding: &str, level: i32, body: &[u8]) -> (usize, f64) {
    let size = encode(coding, level, body).await.len();
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < 15 && started.elapsed() < Duration::from_secs(1) {
        let t = Instant::now();
        std::hint::black_box(encode(coding, level, body).await);
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    (size, median(times))
}

fn med(m: &Measurement, f: impl Fn(&(super::report::Stats, super::report::Stats)) -> f64) -> f64 {
    median(m.rounds.iter().map(f).collect())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// Figure 7 as Markdown, with the issue's goals.
pub fn render(d: &Delivery) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nFigure 7: fewer bytes and fewer round trips, {CONNECTIONS} connections, each pair alternating; medians over rounds, ratio = median of per-round ratios:\n"
    );
    let _ = writeln!(
        out,
        "| Pair | A req/s | B req/s | A/B req/s | A p99 ms | B p99 ms | Errors (A/B) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    let mut rows: Vec<(String, &Measurement)> = Vec::new();
    if let Some((rev, m)) = &d.ab {
        rows.push((format!("GET /projects: this build (A) vs {rev} (B)"), m));
    }
    rows.push((
        "GET /projects: `Accept-Encoding: gzip, br` (A) vs identity (B)".into(),
        &d.encoded,
    ));
    rows.push((
        "GET /projects: 200 from the kept page (A) vs `PAGE_CACHE_MB=0`, page written (B)".into(),
        &d.kept,
    ));
    rows.push((
        "GET /projects: 304 with `If-None-Match` (A) vs 200 from the kept page (B)".into(),
        &d.not_modified,
    ));
    rows.push((
        "GET /projects: 304 with `If-None-Match` (A) vs 200 with the page written (B)".into(),
        &d.not_modified_unkept,
    ));
    for (name, m) in &rows {
        let _ = writeln!(
            out,
            "| {name} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {}/{} |",
            med(m, |(a, _)| a.rps),
            med(m, |(_, b)| b.rps),
            med(m, |(a, b)| a.rps / b.rps),
            med(m, |(a, _)| a.p99_ms),
            med(m, |(_, b)| b.p99_ms),
            m.rounds.iter().map(|(a, _)| a.errors).sum::<u64>(),
            m.rounds.iter().map(|(_, b)| b.errors).sum::<u64>(),
        );
    }
    let _ = writeln!(out, "\nBytes on the wire (body) as the API sends them:\n");
    let _ = writeln!(
        out,
        "| GET | identity | `gzip, br` (→ br) | br | zstd | gzip |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for (name, identity, codings) in &d.bytes {
        let cells: Vec<String> = codings
            .iter()
            .map(|(_, n)| format!("{n} ({:.1}%)", 100.0 * *n as f64 / *identity as f64))
            .collect();
        let _ = writeln!(out, "| {name} | {identity} | {} |", cells.join(" | "));
    }
    let _ = writeln!(
        out,
        "\nEncoder levels on the same bodies (in process, median of up to 15 runs):\n"
    );
    let _ = writeln!(
        out,
        "| Body | Coding | Level | Bytes | % of identity | µs |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|");
    for (name, coding, level, size, us) in &d.levels {
        let identity = d.bytes.iter().find(|b| b.0 == *name).map_or(1, |b| b.1);
        let _ = writeln!(
            out,
            "| {name} | {coding} | {level} | {size} | {:.1}% | {us:.0} |",
            100.0 * *size as f64 / identity as f64
        );
    }
    let _ = writeln!(
        out,
        "\nGoals (issue \"Fewer bytes and fewer round trips\"):\n"
    );
    if let Some((rev, m)) = &d.ab {
        let r = med(m, |(a, b)| a.rps / b.rps);
        let _ = writeln!(
            out,
            "- GET /projects, {CONNECTIONS} connections, this build vs {rev}: ≥ 1.5× req/s: {r:.2}× → {}",
            verdict(r >= 1.5)
        );
    }
    for (name, identity, codings) in &d.bytes {
        let sent = codings[0].1;
        let share = sent as f64 / *identity as f64;
        let _ = writeln!(
            out,
            "- {name} bytes with `gzip, br` ≤ 15% of identity: {:.1}% → {}",
            100.0 * share,
            verdict(share <= 0.15)
        );
    }
    let r = med(&d.encoded, |(a, b)| a.rps / b.rps);
    let _ = writeln!(
        out,
        "- req/s with `Accept-Encoding: gzip, br` ≥ 85% of identity: {:.0}% → {}",
        100.0 * r,
        verdict(r >= 0.85)
    );
    let r = med(&d.not_modified_unkept, |(a, b)| a.rps / b.rps);
    let kept = med(&d.not_modified, |(a, b)| a.rps / b.rps);
    let _ = writeln!(
        out,
        "- 304 path ≥ 3× the 200 path's req/s (the 200 writing the page): {r:.2}× → {} (against a 200 from the kept page, which skips the same work: {kept:.2}×)",
        verdict(r >= 3.0)
    );
    out
}
