//! `brief completions` and `brief man`: generated from the same clap tree that parses the
//! command line, so they cannot fall behind the flags.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::Cli;

/// The built-in tree, not the one with the config file's defaults: a packaged script or page
/// must not carry one user's settings.
fn command() -> clap::Command {
    Cli::command()
}

pub fn completions(shell: Shell) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command(), "brief", &mut out);
    out.flush()?;
    Ok(())
}

/// The top-level page: synopsis, global flags, and each subcommand with its summary (each
/// subcommand's own flags are in `brief SUBCOMMAND --help`).
pub fn man() -> anyhow::Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command()).render(&mut page)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&page)?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag and positional a user can see explains itself in `--help`, the man page
    /// and the completions' descriptions.
    #[test]
    fn every_visible_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path} {}", a.get_id()));
                }
            }
            for s in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                if s.get_about().is_none() {
                    missing.push(format!("{path} {} (subcommand)", s.get_name()));
                }
                walk(s, &format!("{path} {}", s.get_name()), missing);
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        let mut missing = Vec::new();
        walk(&cmd, "brief", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }
}
