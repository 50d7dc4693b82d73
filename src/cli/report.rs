//! `brief report` (the nightly job) and `brief history` (its past runs).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use brief::briefing::Style;
use brief::report::store::{self, Store, StoreLocation};
use brief::report::{self, ReportConfig, Workers};

use super::args::{BriefingArgs, GenArgs, Global, IngestArgs};
use super::defaults;

#[derive(Args)]
pub struct ReportArgs {
    /// Directories of .txt/.md/.html articles, JSON Lines files, RSS/Atom feed files, or -.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Write DIR/YYYY-MM-DD/briefing.{md,json,html} and DIR/index.html.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Without --out-dir: write the report here (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE", conflicts_with = "out_dir")]
    output: Option<PathBuf>,
    /// Without --out-dir: the format to print.
    #[arg(long, value_enum, default_value_t = defaults::REPORT_FORMAT)]
    format: ReportFormat,
    /// The store of articles, summaries, runs and reports: a SQLite file (default: the XDG
    /// data dir) or a PostgreSQL URL, postgres://user@host/db, that workers share.
    #[arg(long, value_name = "PATH|URL", env = "BRIEF_STORE", value_parser = parse_store)]
    store: Option<StoreLocation>,
    /// Leave the per-article summaries and vectors to `brief worker`s: queue what the store
    /// lacks, wait until the queue has drained, then build the stories and the report.
    #[arg(long)]
    workers_only: bool,
    /// With --workers-only: give up with exit status 4 when the queue has not drained after
    /// this many seconds (the work done so far is kept); 0 waits for ever.
    #[arg(long, value_name = "SECS", default_value_t = defaults::WAIT_TIMEOUT_SECS)]
    wait_timeout: u64,
    /// After the report, forget done queue items that finished more than DAYS ago (their
    /// results stay), and the sentence vectors of articles first seen more than DAYS ago that
    /// were not in this run's input (recomputed should one come back); 0 keeps everything.
    #[arg(long, value_name = "DAYS", default_value_t = defaults::KEEP_DAYS)]
    keep_days: u64,
    /// The report's date (default: today, local time).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    date: Option<String>,
    /// If another report is running on this store, wait for it instead of exiting with 75.
    #[arg(long)]
    wait: bool,
    /// Average similarity at which articles are one story (see docs/thresholds.md).
    #[arg(long, default_value_t = defaults::SAME_STORY)]
    same_story: f32,
    #[command(flatten)]
    gen: GenArgs,
    #[command(flatten)]
    brief: BriefingArgs,
    #[command(flatten)]
    ingest: IngestArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
    Html,
}

#[derive(Args)]
pub struct HistoryArgs {
    /// The store `brief report` wrote: a SQLite file (default: the XDG data dir) or a
    /// PostgreSQL URL.
    #[arg(long, value_name = "PATH|URL", env = "BRIEF_STORE", value_parser = parse_store)]
    store: Option<StoreLocation>,
    /// How many runs, newest first.
    #[arg(long, default_value_t = defaults::HISTORY_LIMIT)]
    limit: usize,
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// A SQLite path or a `postgres://` URL.
pub fn parse_store(s: &str) -> Result<StoreLocation, String> {
    if s.is_empty() {
        return Err("the store is empty: give a file path or a postgres:// URL".into());
    }
    Ok(StoreLocation::parse(s))
}

/// The store a subcommand was given, else the default SQLite file.
pub fn store_or_default(given: Option<StoreLocation>) -> StoreLocation {
    given.unwrap_or_else(|| StoreLocation::Sqlite(store::default_path()))
}

fn parse_date(s: &str) -> Result<String, String> {
    if report::is_date(s) {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not a date like 2026-11-23"))
    }
}

/// What `brief report` does, decided.
pub struct Report {
    pub config: ReportConfig,
    /// Without an output directory: where the report goes, and as what.
    pub output: Option<PathBuf>,
    pub format: ReportFormat,
}

impl ReportArgs {
    pub fn resolve(self, global: &Global) -> Report {
        let mut run =
            self.gen
                .run_config(global, &self.brief, Style::Briefing, self.ingest.options());
        run.inputs = self.inputs;
        let config = ReportConfig {
            run,
            store: store_or_default(self.store),
            workers: if self.workers_only {
                Workers::Queue {
                    poll: defaults::QUEUE_POLL,
                    timeout: (self.wait_timeout > 0)
                        .then(|| std::time::Duration::from_secs(self.wait_timeout)),
                }
            } else {
                Workers::InProcess
            },
            out_dir: self.out_dir,
            date: self
                .date
                .unwrap_or_else(|| chrono::Local::now().format("%Y-%m-%d").to_string()),
            wait: self.wait,
            same_story: self.same_story,
            keep: (self.keep_days > 0)
                .then(|| std::time::Duration::from_secs(self.keep_days.saturating_mul(86_400))),
        };
        Report {
            config,
            output: self.output,
            format: self.format,
        }
    }
}

pub fn report(args: &Report) -> anyhow::Result<()> {
    let cfg = &args.config;
    match (&cfg.out_dir, &args.output) {
        (Some(dir), _) => brief::atomic::check_destination(dir, true, &cfg.run.inputs)?,
        (None, Some(file)) => brief::atomic::check_destination(file, false, &cfg.run.inputs)?,
        (None, None) => {}
    }
    let written = report::run(cfg)?;
    let Some(r) = &written.report else {
        return Ok(());
    };
    let f = &r.run;
    tracing::info!(
        "report {}: {} stories, {} articles, {} model calls ({} summaries reused, {} stories reused) in {:.1} s",
        r.date,
        f.stories,
        f.articles,
        f.model_calls,
        f.summaries_reused,
        f.stories_reused,
        f.secs
    );
    if cfg.out_dir.is_some() {
        for p in &written.files {
            tracing::info!("wrote {}", p.display());
        }
        return Ok(());
    }
    let pages = brief::briefing::pages::Pages::locate(cfg.run.templates_dir.as_deref())?;
    let text = match args.format {
        ReportFormat::Markdown => report::markdown::render_with(r, &pages)?,
        ReportFormat::Json => serde_json::to_string_pretty(r)? + "\n",
        ReportFormat::Html => report::html::render_with(r, &pages)?,
    };
    match &args.output {
        Some(path) => brief::atomic::write(path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

/// What `brief history` shows, decided.
pub struct History {
    pub store: StoreLocation,
    pub limit: usize,
    pub json: bool,
}

impl HistoryArgs {
    pub fn resolve(self) -> History {
        History {
            store: store_or_default(self.store),
            limit: self.limit,
            json: self.json,
        }
    }
}

/// `brief history --json`: the runs, newest first, under the schema version every JSON
/// output carries (a bare list could not carry it).
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct HistoryDoc {
    pub schema_version: u32,
    pub runs: Vec<brief::report::store::RunRow>,
}

pub fn history(args: &History) -> anyhow::Result<()> {
    let runs = open_existing(&args.store)?.runs(args.limit)?;
    if args.json {
        let doc = HistoryDoc {
            schema_version: brief::briefing::SCHEMA_VERSION,
            runs,
        };
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!(
        "{:>5}  {:<24}  {:<8}  {:>8}  {:>7}  {:>11}  report / error",
        "run", "started", "status", "articles", "stories", "model calls"
    );
    let n = |v: Option<i64>| v.map_or("-".to_string(), |x| x.to_string());
    for r in runs {
        println!(
            "{:>5}  {:<24}  {:<8}  {:>8}  {:>7}  {:>11}  {}",
            r.id,
            r.started,
            r.status,
            n(r.articles),
            n(r.stories),
            n(r.model_calls),
            r.error.or(r.report).unwrap_or_default()
        );
    }
    Ok(())
}

/// A store that a report has written; a SQLite file that is not there is an error, not a
/// fresh empty store.
pub fn open_existing(at: &StoreLocation) -> anyhow::Result<Store> {
    if let StoreLocation::Sqlite(path) = at {
        if !path.is_file() {
            anyhow::bail!(
                "{}: no store yet (run `brief report` first)",
                path.display()
            );
        }
    }
    Ok(Store::connect(at)?)
}
