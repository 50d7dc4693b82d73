//! Log lines on stderr, so stdout carries only the briefing or the table.

use std::ffi::OsStr;
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
    let no_color = std::env::var_os("NO_COLOR");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour(tty, no_color.as_deref()))
        .with_target(false);
    // A terminal user watches the run live; cron and CI logs need the time of each line.
    if tty {
        builder.without_time().init();
    } else {
        builder.init();
    }
}

/// Colour only on a terminal, and not there either when `NO_COLOR` is set to anything but
/// the empty string (https://no-color.org).
pub fn colour(terminal: bool, no_color: Option<&OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_with_any_value_turns_colour_off_on_a_terminal() {
        assert!(colour(true, None));
        assert!(colour(true, Some(OsStr::new(""))));
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(!colour(true, Some(OsStr::new("0"))));
        assert!(!colour(false, None));
        assert!(!colour(false, Some(OsStr::new(""))));
    }
}
