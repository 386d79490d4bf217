//! Medians over rounds, the table and the goals of issue 6.

use std::fmt::Write;

use super::Options;
use super::figures::Extras;
use super::load::{Sample, Target};

/// The same request against both servers.
pub struct Scenario {
    pub name: &'static str,
    pub api: Target,
    pub baseline: Target,
}

/// One server's numbers in one round.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
}

impl From<Sample> for Stats {
    fn from(s: Sample) -> Self {
        Self {
            rps: s.rps(),
            p50_ms: s.quantile_ms(0.50),
            p99_ms: s.quantile_ms(0.99),
            errors: s.errors,
        }
    }
}

/// One scenario at one connection count: (api, baseline) per round.
pub struct Measurement {
    pub scenario: &'static str,
    pub connections: usize,
    pub rounds: Vec<(Stats, Stats)>,
}

/// The median (mean of the middle two for an even count); NaN for no values.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

impl Measurement {
    fn med(&self, f: impl Fn(&(Stats, Stats)) -> f64) -> f64 {
        median(self.rounds.iter().map(f).collect())
    }
    /// Median over rounds of API rps / baseline rps.
    pub fn rps_ratio(&self) -> f64 {
        self.med(|(a, b)| a.rps / b.rps)
    }
    /// Median over rounds of API p99 / baseline p99.
    pub fn p99_ratio(&self) -> f64 {
        self.med(|(a, b)| a.p99_ms / b.p99_ms)
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

fn find<'a>(m: &'a [Measurement], scenario: &str, c: usize) -> Option<&'a Measurement> {
    m.iter()
        .find(|x| x.scenario == scenario && x.connections == c)
}

/// The table (Markdown) and the goals.
pub fn render(
    options: &Options,
    get_body_bytes: usize,
    m: &[Measurement],
    extras: &Extras,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nwarm-up {:?}, window {:?}, {} round(s), API and baseline alternating; medians over rounds; GET body {} bytes\n",
        options.warmup, options.duration, options.rounds, get_body_bytes
    );
    let _ = writeln!(
        out,
        "| Request | Conns | API req/s | Baseline req/s | API/Baseline req/s | API p50 ms | Baseline p50 ms | API p99 ms | Baseline p99 ms | API/Baseline p99 | Errors (api/base) |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for x in m {
        let errors_api: u64 = x.rounds.iter().map(|r| r.0.errors).sum();
        let errors_base: u64 = x.rounds.iter().map(|r| r.1.errors).sum();
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {}/{} |",
            x.scenario,
            x.connections,
            x.med(|r| r.0.rps),
            x.med(|r| r.1.rps),
            x.rps_ratio(),
            x.med(|r| r.0.p50_ms),
            x.med(|r| r.1.p50_ms),
            x.med(|r| r.0.p99_ms),
            x.med(|r| r.1.p99_ms),
            x.p99_ratio(),
            errors_api,
            errors_base,
        );
    }

    let _ = writeln!(out, "\nGoals (issue 6):\n");
    for c in [16, 64] {
        match find(m, "GET /projects", c) {
            Some(x) => {
                let _ = writeln!(
                    out,
                    "- GET /projects, {c} connections: throughput ≥ 80% of the baseline: {:.0}% → {}",
                    x.rps_ratio() * 100.0,
                    verdict(x.rps_ratio() >= 0.8)
                );
                let _ = writeln!(
                    out,
                    "- GET /projects, {c} connections: p99 ≤ 1.25× the baseline's: {:.2}× → {}",
                    x.p99_ratio(),
                    verdict(x.p99_ratio() <= 1.25)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "- GET /projects, {c} connections: not measured in this run"
                );
            }
        }
    }
    for x in m.iter().filter(|x| x.scenario == "POST /projects") {
        let _ = writeln!(
            out,
            "- POST /projects, {} connections: throughput ≥ 70% of the baseline: {:.0}% → {}",
            x.connections,
            x.rps_ratio() * 100.0,
            verdict(x.rps_ratio() >= 0.7)
        );
    }
    out.push_str(&super::scale::goals(&extras.scale));
    out.push_str(&extras.render(options.connections.contains(&64)));
    out.push_str(&super::scale::tables(&extras.scale));
    out.push_str(&super::throughput::render(&extras.generation));
    out
}
