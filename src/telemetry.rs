//! Logs: readable lines on standard error, or JSON with `PROCURA_LOG_FORMAT=json`.
//! The level comes from `RUST_LOG` (default `info`). Readable lines are coloured only when
//! standard error is a terminal and `NO_COLOR` is unset: a log file or journal gets plain text.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour_wanted());
    let result = if std::env::var("PROCURA_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A subscriber already set (tests) is fine.
    drop(result);
}

/// Colour codes in a file or a pipe are noise for whoever reads or searches it.
fn colour_wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
