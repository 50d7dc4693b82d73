//! The `brief` command line: parses the flags, resolves them into the library's settings (see
//! `cli`), and hands those to the subcommand.

mod cli;

use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches};

use cli::args::{Cli, Command};
use cli::config::{ConfigCommand, FileConfig};
use cli::models::ModelsCommand;

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so a closed pipe (`brief history | head -1`) turns every print
    // into a panic. The default action ends the process quietly with the status shells
    // expect (141), as for any other Unix tool.
    #[cfg(unix)]
    // SAFETY: called first thing, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let file = match FileConfig::load(std::env::args_os()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("brief: {e}");
            return ExitCode::from(2);
        }
    };
    file.export();
    let parsed = file
        .apply(Cli::command())
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)));
    let (args, matches) = match parsed {
        Ok(p) => p,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    cli::logging::init(args.quiet, args.verbose);
    if let Some(n) = args.threads.filter(|n| *n > 0) {
        // candle and gemm size their pools from RAYON_NUM_THREADS when they first start, which
        // is after this point; worker processes inherit it.
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
    match dispatch(args, &file, &matches) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("brief: {}", cli::exit::one_line(&e));
            ExitCode::from(cli::exit::exit_code(&e))
        }
    }
}

/// Runs the subcommand; the status is 0 unless the command's own outcome says otherwise
/// (`brief check` found an unsupported sentence).
fn dispatch(args: Cli, file: &FileConfig, matches: &ArgMatches) -> anyhow::Result<u8> {
    let global = args.global();
    if let Command::Check(a) = args.command {
        return cli::check::check(a, &global);
    }
    match args.command {
        Command::Check(_) => unreachable!("handled above"),
        Command::Run(a) => cli::run::run(&a.resolve(&global)),
        Command::Eval(a) => cli::eval::eval(&a.resolve(&global)?),
        Command::Compare(a) => cli::compare::compare(&a.resolve(&global)?),
        Command::Bench(a) => cli::bench::bench(&a.resolve(&global)),
        Command::Report(a) => cli::report::report(&a.resolve(&global)),
        Command::History(a) => cli::report::history(&a.resolve()),
        Command::QueueWorker(a) => cli::worker::worker(&a.resolve(&global)?),
        Command::Queue(a) => cli::queue::queue(a),
        Command::Models(ModelsCommand::List) => cli::models::list(&global.models_dir),
        Command::Models(ModelsCommand::Fetch { name, force }) => {
            cli::models::fetch(&global.models_dir, &name, force, global.offline)
        }
        Command::Models(ModelsCommand::Verify { name }) => {
            cli::models::verify(&global.models_dir, name.as_deref())
        }
        Command::Config(ConfigCommand::Show) => {
            let leaf = matches
                .subcommand_matches("config")
                .and_then(|m| m.subcommand_matches("show"))
                .unwrap_or(matches);
            cli::config::show(file, leaf)
        }
        Command::Completions { shell } => cli::docs::completions(shell),
        Command::Man => cli::docs::man(),
        Command::Schema { output } => cli::schema::print(output),
        Command::Worker { kind } => brief::measure::worker::serve(kind),
    }
    .map(|()| 0)
}
