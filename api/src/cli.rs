//! The `api` command line: `api [serve [--workers N]]`, `api worker [--workers N]` and
//! `api openapi`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{config::Config, openapi, startup, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "api",
    version,
    about = "Avatar Creator and Pose Generator API server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default). Configuration comes from the environment.
    Serve {
        /// In-process worker slots, 0 for API only; overrides WORKER_CONCURRENCY.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=1024))]
        workers: Option<u32>,
    },
    /// Run background workers only, no HTTP (a worker-only replica against the same
    /// database).
    Worker {
        /// Worker slots (at least 1); overrides WORKER_CONCURRENCY.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
        workers: Option<u32>,
    },
    /// Print the OpenAPI document as YAML (the content of `openapi.yaml`).
    Openapi,
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command.unwrap_or(Command::Serve { workers: None }) {
        Command::Openapi => {
            print!("{}", openapi::openapi_yaml());
            ExitCode::SUCCESS
        }
        Command::Serve { workers } => serve(workers, false),
        Command::Worker { workers } => serve(workers, true),
    }
}

fn serve(workers: Option<u32>, worker_only: bool) -> ExitCode {
    telemetry::init("info");
    let mut config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(workers) = workers {
        config.worker_concurrency = workers;
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        if worker_only {
            let state = match startup::prepare(config).await {
                Ok(state) => state,
                Err(err) => {
                    tracing::error!(error = %err, "start-up failed");
                    return ExitCode::FAILURE;
                }
            };
            start_metrics(&state);
            let count = state.config.worker_concurrency.max(1);
            let workers = crate::jobs::Workers::start(&state, count);
            startup::shutdown_signal().await;
            workers.stop().await;
            state.db.close().await.ok();
            return ExitCode::SUCCESS;
        }
        let app = match startup::build(config).await {
            Ok(app) => app,
            Err(err) => {
                tracing::error!(error = %err, "start-up failed");
                return ExitCode::FAILURE;
            }
        };
        let state = app.state();
        start_metrics(state);
        // The embedded default is a development database: the server loads the
        // reference data (presets, persona examples, preview images) itself,
        // idempotently. Production runs `cargo run -p migration -- seed` on deploy.
        if state.config.auto_migrate && state.config.database_url.is_sqlite() {
            match migration::seed::seed(&state.db, &state.config.presets_dir).await {
                Ok(report) => tracing::info!(%report, "reference data seeded"),
                Err(err) => tracing::warn!(error = %err, "cannot seed reference data"),
            }
        }
        tracing::info!(address = %app.local_addr(), "serving");
        match app.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                tracing::error!(error = %err, "server failed");
                ExitCode::FAILURE
            }
        }
    })
}

/// `METRICS_ADDR`: installs the Prometheus recorder and serves `GET /metrics` on that
/// private address beside the process's work. A listener that cannot bind is logged and
/// the process goes on without metrics rather than refusing to serve.
fn start_metrics(state: &crate::app::AppState) {
    let Some(addr) = state.config.metrics_addr else {
        return;
    };
    let Some(handle) = crate::metrics::install() else {
        return;
    };
    let db = state.db.clone();
    tokio::spawn(async move {
        if let Err(err) = crate::metrics::serve(addr, handle, db).await {
            tracing::error!(%addr, error = %err, "the metrics listener failed");
        }
    });
}
