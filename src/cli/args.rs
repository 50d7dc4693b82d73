//! The command line as clap parses it, and the flag groups several subcommands share.
//! Each subcommand's own flags live in its file, with the function that resolves them into
//! the library's configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use brief::briefing::Mode;
use brief::briefing::Style;
use brief::ingest::IngestOptions;
use brief::llm::generate::GenParams;
use brief::llm::manifest;
use brief::llm::model::{DeviceChoice, WeightFormat};
use brief::llm::registry::ModelSpec;
use brief::measure::worker::{self, Kind, LogFlags};
use brief::pipeline::RunConfig;

use super::choice::choice;
use super::{
    bench, check, compare, config, defaults, eval, models, queue, report, run, worker as work,
};

#[derive(Parser)]
#[command(
    name = "brief",
    version = brief::BUILD,
    about = "Local, attributed news briefings with small open models"
)]
pub struct Cli {
    /// Only print errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Settings file (default: $XDG_CONFIG_HOME/brief/config.toml); flags and the
    /// environment beat it. `brief config show` prints what is in effect.
    #[arg(long, global = true, value_name = "FILE", env = config::ENV)]
    pub config: Option<PathBuf>,
    /// Where model weights live (default: the XDG data dir).
    #[arg(long, global = true, value_name = "DIR", env = "BRIEF_MODELS")]
    pub models_dir: Option<PathBuf>,
    /// Never try the Hugging Face Hub; use the offline wheels.
    #[arg(long, global = true, env = "BRIEF_OFFLINE", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::FalseyValueParser::new())]
    pub offline: bool,
    /// CPU threads for inference (default: all cores). On a busy machine 1 is often faster:
    /// the kernel threads spin briefly between the small jobs of a decode step.
    #[arg(long, global = true, env = "BRIEF_THREADS")]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Summarize articles and write one attributed briefing.
    Run(run::RunArgs),
    /// List or fetch models.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Check each sentence of a text against its sources (exit 4: one is unsupported), or score
    /// the checker on labelled claims (--data).
    Check(check::CheckArgs),
    /// Score summaries against a dev set with references (ROUGE, computed in Rust).
    Eval(eval::EvalArgs),
    /// Run several models on the same input; write compare.md, compare.html and compare.json.
    Compare(compare::CompareArgs),
    /// Time each model: load, prefill, decode, the seeds end to end, and peak memory.
    Bench(bench::BenchArgs),
    /// The nightly job: group articles into stories, brief each, write a dated report.
    /// Incremental (a SQLite or PostgreSQL store), atomic, one run at a time. Exit 75: another run
    /// holds the lock.
    Report(report::ReportArgs),
    /// Past report runs from the store, newest first.
    History(report::HistoryArgs),
    /// Compute the summaries and vectors `brief report --workers-only` queued in a shared store.
    #[command(name = "worker")]
    QueueWorker(work::WorkerArgs),
    /// The shared store's work queue: pending, leased, done and failed items.
    Queue(queue::QueueArgs),
    /// The settings in effect: flags, environment, config file and defaults.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Print a shell completion script: `brief completions bash > /etc/bash_completion.d/brief`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the JSON Schema of a JSON output: `brief schema run > run.schema.json`.
    Schema {
        /// The output to describe.
        #[arg(value_enum)]
        output: super::schema::SchemaKind,
    },
    /// Print the man page (roff): `brief man > ~/.local/share/man/man1/brief.1`.
    Man,
    /// Worker for `compare` and `bench`: one model, JSON job on stdin, JSON answer on stdout.
    #[command(name = worker::SUBCOMMAND, hide = true)]
    Worker {
        #[arg(value_parser = choice::<Kind>())]
        kind: Kind,
    },
}

/// The global flags, resolved: what every subcommand may need besides its own flags.
pub struct Global {
    pub quiet: bool,
    pub verbose: u8,
    pub models_dir: PathBuf,
    pub offline: bool,
}

impl Cli {
    pub fn global(&self) -> Global {
        Global {
            quiet: self.quiet,
            verbose: self.verbose,
            models_dir: manifest::models_dir(self.models_dir.as_deref()),
            offline: self.offline,
        }
    }
}

impl Global {
    /// What a worker process is told of the log level, so its lines match ours.
    pub fn log(&self) -> LogFlags {
        LogFlags {
            quiet: self.quiet,
            verbose: self.verbose,
        }
    }
}

/// The model and how it generates: every subcommand that runs a model takes these.
#[derive(Args, Clone)]
pub struct GenArgs {
    /// A model name from `brief models list`, or a path to a GGUF file.
    #[arg(long, default_value = defaults::MODEL)]
    pub model: String,
    /// Prompt templates directory (default: ./prompts when it holds them, else built in).
    #[arg(long, value_name = "DIR", env = "BRIEF_PROMPTS")]
    pub prompts: Option<PathBuf>,
    /// Page templates directory: any of report.html, index.html, compare.html, their .css,
    /// and the Markdown briefing.md, report.md, compare.md, compare-tables.md, parts.md found
    /// there replace the built-in ones (default: built in; see `templates/`).
    #[arg(long, value_name = "DIR", env = "BRIEF_TEMPLATES")]
    pub templates: Option<PathBuf>,
    /// Sampling temperature; 0 is greedy.
    #[arg(long, default_value_t = defaults::sampling().temperature)]
    pub temperature: f64,
    /// Nucleus sampling threshold (with --temperature > 0).
    #[arg(long)]
    pub top_p: Option<f64>,
    /// Random seed for sampling (with --temperature > 0): the same seed, the same text.
    #[arg(long, default_value_t = defaults::sampling().seed)]
    pub seed: u64,
    /// Most tokens per article summary.
    #[arg(long, default_value_t = defaults::MAX_TOKENS)]
    pub max_tokens: usize,
    /// Penalty for repeating recent output tokens (1 disables).
    #[arg(long, default_value_t = defaults::sampling().repeat_penalty)]
    pub repeat_penalty: f32,
    /// Where the model runs (cuda needs a build with `--features cuda`).
    #[arg(long, value_parser = choice::<DeviceChoice>(), default_value = defaults::DEVICE.name())]
    pub device: DeviceChoice,
    /// How weights are held: fast (own kernels on the file's blocks), lean (the same, kept for old settings), candle (the reference), q8, or as-file.
    #[arg(long, value_parser = choice::<WeightFormat>(), default_value = defaults::WEIGHTS.name())]
    pub weights: WeightFormat,
}

/// How the briefing's points are chosen.
#[derive(Args, Clone)]
pub struct BriefingArgs {
    /// Most key points in the briefing.
    #[arg(long, default_value_t = defaults::POINTS)]
    pub points: usize,
    /// Stop adding points past this many words.
    #[arg(long)]
    pub words: Option<usize>,
    /// How points are made: source sentences that the most outlets support (extractive, the
    /// default: best on dev data), the model's checked points topped up with those (hybrid), or
    /// the model's checked points only (abstractive).
    #[arg(long, value_parser = choice::<Mode>(), default_value = defaults::MODE.name())]
    pub mode: Mode,
    /// Show points no source supports (marked) instead of dropping them.
    #[arg(long)]
    pub keep_unsupported: bool,
    /// A model that also judges every checked sentence (its yes/no to "does the passage
    /// support it?" joins the checker's features); "none": the features alone. Catches more
    /// false statements, at about 1.7 s a sentence for qwen2.5-coder-1.5b on 2 cores.
    #[arg(long, value_name = "MODEL", default_value = defaults::JUDGE)]
    pub judge: String,
}

impl BriefingArgs {
    /// The briefing a plain `brief run` writes.
    pub fn defaults() -> Self {
        BriefingArgs {
            points: defaults::POINTS,
            words: None,
            mode: defaults::MODE,
            keep_unsupported: false,
            judge: defaults::JUDGE.to_string(),
        }
    }
}

/// How inputs are read.
#[derive(Args, Clone)]
pub struct IngestArgs {
    /// Articles larger than this many bytes are refused (a file, or one entry of a feed or
    /// JSON Lines file, which may itself be 64 times as large). The default is what finishes
    /// within 10 minutes with the default model on 2 cores (work grows linearly with the size).
    #[arg(long, default_value_t = defaults::MAX_BYTES)]
    pub max_bytes: u64,
}

impl IngestArgs {
    pub fn options(&self) -> IngestOptions {
        IngestOptions {
            max_bytes: self.max_bytes,
        }
    }
}

impl GenArgs {
    fn params(&self, max_tokens: usize) -> GenParams {
        GenParams {
            max_tokens,
            temperature: self.temperature,
            top_p: self.top_p,
            seed: self.seed,
            repeat_penalty: self.repeat_penalty,
            ..GenParams::default()
        }
    }

    /// The run configuration of these flags with the briefing's, and no inputs yet.
    pub fn run_config(
        &self,
        global: &Global,
        b: &BriefingArgs,
        style: Style,
        ingest: IngestOptions,
    ) -> RunConfig {
        let points = b.points;
        RunConfig {
            inputs: Vec::new(),
            model: ModelSpec::parse(&self.model),
            models_dir: global.models_dir.clone(),
            offline: global.offline,
            prompts_dir: self.prompts.clone(),
            templates_dir: self
                .templates
                .clone()
                .or_else(|| defaults::TEMPLATES.map(PathBuf::from)),
            summary_params: GenParams {
                max_sentences: Some(style.sentences()),
                ..self.params(self.max_tokens)
            },
            briefing_params: self.params(
                (points * defaults::BRIEFING_TOKENS_PER_POINT).max(defaults::BRIEFING_MIN_TOKENS),
            ),
            points,
            words: b.words,
            mode: b.mode,
            keep_unsupported: b.keep_unsupported,
            judge: (b.judge != "none").then(|| ModelSpec::parse(&b.judge)),
            summaries: true,
            style,
            device: self.device,
            weights: self.weights,
            ingest,
        }
    }
}
