//! Log lines on stderr, so stdout carries only the briefing or the table.

use std::io::IsTerminal;

/// `--quiet` and `--verbose` pick the level; RUST_LOG, when set, wins.
pub fn init(quiet: bool, verbose: u8) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn,brief=info",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let tty = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(tty)
        .with_target(false);
    // A terminal user watches the run live; cron and CI logs need the time of each line.
    if tty {
        builder.without_time().init();
    } else {
        builder.init();
    }
}
