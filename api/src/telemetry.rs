//! Logging set-up: `tracing` to stdout, filtered by `RUST_LOG` (default `info`), as
//! text or, with `LOG_FORMAT=json`, one JSON object per line for log collectors. A
//! request's lines carry its `request_id` (the span of `request_id::RequestContext`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls do nothing, so every test in a
/// binary may call it. `default_filter` applies when `RUST_LOG` is unset.
pub fn init(default_filter: &str) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => EnvFilter::try_new(&value).unwrap_or_else(|err| {
            eprintln!("ignoring invalid RUST_LOG {value:?}: {err}");
            EnvFilter::new(default_filter)
        }),
        _ => EnvFilter::new(default_filter),
    };
    let json = match std::env::var("LOG_FORMAT") {
        Ok(value) => match value.trim().to_ascii_lowercase().as_str() {
            "json" => true,
            "" | "text" => false,
            other => {
                eprintln!("ignoring invalid LOG_FORMAT {other:?}: must be text or json");
                false
            }
        },
        Err(_) => false,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        // The current span's fields (request_id, method, path) on every line, flattened
        // so a collector reads `request_id` at the top level of the event's span.
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        // Colours only for a person watching; log collectors get plain text.
        builder
            .with_ansi(std::io::stdout().is_terminal())
            .try_init()
    };
}
