//! The `api` command line (`api serve`, `api worker`, …) as a binary of this package, so
//! the integration tests can spawn real server and worker processes: cargo builds a
//! package's binaries before its integration tests and names them in
//! `CARGO_BIN_EXE_api_process`, which it does not do for another package's binary. It
//! reads no `.env`: the tests set each process's environment themselves.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    api::cli::run(api::cli::Cli::parse())
}
