//! `cargo run -p migration -- <command>`: the deploy tool. With no `DATABASE_URL` it
//! works on the same embedded SQLite file the API uses by default.

use std::process::ExitCode;

use clap::Parser;

use migration::cli::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_target(false)
        .init();
    match run(Cli::parse()).await {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
