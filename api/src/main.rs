use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // `.env` is read here rather than in the library so tests never pick it up, and
    // before any thread starts because it writes the process environment.
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("cannot read .env: {err}");
        return ExitCode::FAILURE;
    }
    api::cli::run(api::cli::Cli::parse())
}
