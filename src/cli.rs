//! The command line: clap's flags (`args` and one file per subcommand), what they resolve to,
//! and how a run ends (`exit`). The library never sees clap.

pub mod args;
pub mod bench;
pub mod check;
pub mod choice;
pub mod compare;
pub mod config;
pub mod defaults;
pub mod docs;
pub mod eval;
pub mod exit;
pub mod logging;
pub mod models;
pub mod progress;
pub mod queue;
pub mod report;
pub mod run;
pub mod schema;
pub mod worker;
