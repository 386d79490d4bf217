//! `cargo run --release -p tests --bin bench`: our API against a raw-SQL baseline
//! (BENCHMARKS.md). Not part of `cargo test`.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tests::bench::{self, Options};

#[derive(Debug, Parser)]
#[command(name = "bench", about = "Benchmark the API against a raw-SQL baseline")]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    /// Measuring window per run, e.g. `5s` or `1500ms`.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    duration: Duration,
    /// Warm-up before each window; its requests are not counted.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    warmup: Duration,
    /// Rounds; API and baseline alternate within each.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Concurrent keep-alive connections, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    connections: Vec<usize>,
    /// A smoke run: 1 s windows, 0.5 s warm-up, 1 round, 1 and 16 connections.
    #[arg(long)]
    quick: bool,
    /// Do not run `cargo build --release` first (target/release/api must exist).
    #[arg(long)]
    no_build: bool,
    /// Skip the statement counts, start-up and migration timings (figures 3 and 5).
    #[arg(long)]
    no_extras: bool,
    /// Skip figure 4 (the 1M-avatar database, its latencies and EXPLAIN).
    #[arg(long)]
    no_scale: bool,
    /// Skip figure 6 (generation throughput with 1, 2 and 4 workers).
    #[arg(long)]
    no_generation: bool,
    /// Figure 7's A/B: also run the `api` of this git revision (built under target/ab/)
    /// or at this path, on the same database, alternating with this build.
    #[arg(long, value_name = "REV")]
    ab: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// The baseline server (started by the runner): PORT, DATABASE_URL, JWT_SECRET.
    #[command(hide = true)]
    Baseline,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else {
        (text, 1.0)
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| Duration::from_secs_f64(v * scale))
        .ok_or_else(|| format!("not a duration: {text:?} (e.g. 5s, 500ms)"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Sub::Baseline) => runtime.block_on(baseline()),
        None => {
            let mut options = Options {
                warmup: cli.warmup,
                duration: cli.duration,
                rounds: cli.rounds.max(1),
                connections: cli.connections,
                build: !cli.no_build,
                extras: !cli.no_extras,
                scale: !cli.no_scale,
                generation: !cli.no_generation,
                ab: cli.ab,
            };
            if cli.quick {
                options.warmup = Duration::from_millis(500);
                options.duration = Duration::from_secs(1);
                options.rounds = 1;
                options.connections = vec![1, 16];
            }
            runtime.block_on(bench::run(options))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn baseline() -> Result<(), String> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let port: u16 = var("PORT")?.parse().map_err(|e| format!("PORT: {e}"))?;
    bench::baseline::serve(port, &var("DATABASE_URL")?, var("JWT_SECRET")?)
        .await
        .map_err(|e| e.to_string())
}
