//! Binary side of `brief compare` and `brief bench`: their arguments, turned into the
//! library's options. Kept out of main.rs so the measuring commands add only variants and
//! dispatch arms there.

use std::path::PathBuf;

use clap::Args;

use brief::ingest::IngestOptions;
use brief::llm::manifest;
use brief::measure::bench;
use brief::measure::child::LogFlags;
use brief::measure::compare::{self, Input};
use brief::summarize::Style;

use super::{run_config, BriefingArgs, Cli, GenArgs};

#[derive(Args)]
// `--models` names the checkpoints; the shared `--model` would only be ignored.
#[command(mut_arg("model", |a| a.hide(true)))]
pub struct CompareArgs {
    /// Models to compare, comma-separated: names from `brief models list` or GGUF paths.
    #[arg(long, required = true, value_delimiter = ',')]
    models: Vec<String>,
    /// Files, directories, or - for stdin: one briefing per model.
    #[arg(required_unless_present = "data", conflicts_with = "data")]
    inputs: Vec<PathBuf>,
    /// A dev set (JSON Lines of {id, documents: [{text}], references}) to score with ROUGE.
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Only the first N examples of --data.
    #[arg(long, requires = "data")]
    limit: Option<usize>,
    /// Punkt parameters for ROUGE-Lsum (default: beside the data file).
    #[arg(long, value_name = "FILE", requires = "data")]
    punkt: Option<PathBuf>,
    /// Directory for compare.md, compare.html and compare.json.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// An earlier compare.json: mark every figure that got worse.
    #[arg(long, value_name = "OLD.json")]
    baseline: Option<PathBuf>,
    /// Relative change that counts as worse (0.05 = 5%).
    #[arg(long, default_value_t = 0.05, value_parser = non_negative)]
    tolerance: f64,
    /// Exit with status 3 when a quality figure (ROUGE, points, dropped points) got worse.
    #[arg(long, requires = "baseline")]
    fail_on_regression: bool,
    /// Exit with status 3 when a speed or memory figure got worse, too.
    #[arg(long, requires = "baseline")]
    fail_on_speed: bool,
    /// Key points per briefing (default: 5, or 8 with --data as `brief eval`).
    #[arg(long)]
    points: Option<usize>,
    /// Summary style (default: briefing; with --data as `brief eval` chooses).
    #[arg(long, value_enum)]
    style: Option<Style>,
    /// Articles larger than this many bytes are refused.
    #[arg(long, default_value_t = 5_000_000)]
    max_bytes: u64,
    #[command(flatten)]
    gen: GenArgs,
}

#[derive(Args)]
#[command(mut_arg("model", |a| a.hide(true)))]
pub struct BenchArgs {
    /// Models to bench, comma-separated: names or GGUF paths.
    #[arg(long, value_delimiter = ',', default_value = manifest::DEFAULT_MODEL)]
    models: Vec<String>,
    /// Runs per model; the table shows the median and the range.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Also write the figures as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Articles for the end-to-end figure (`brief run` with default settings).
    #[arg(long, value_name = "DIR", default_value = "seeds")]
    seeds: PathBuf,
    /// Skip the end-to-end figure.
    #[arg(long)]
    no_e2e: bool,
    /// Also run llama.cpp through this Python (which needs `pip install llama-cpp-python`) on
    /// the same GGUF, prompt and threads, alternating with ours, and print the ratios.
    #[arg(long, value_name = "PYTHON")]
    llamacpp: Option<PathBuf>,
    #[command(flatten)]
    gen: GenArgs,
}

fn non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x >= 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("`{s}` is not a non-negative number")),
    }
}

fn log_flags(cli: &Cli) -> LogFlags {
    LogFlags {
        quiet: cli.quiet,
        verbose: cli.verbose,
    }
}

pub fn compare(cli: &Cli, args: &CompareArgs, models_dir: PathBuf) -> anyhow::Result<()> {
    let input = match &args.data {
        Some(path) => Input::Data {
            path: path.clone(),
            limit: args.limit,
            punkt: args
                .punkt
                .clone()
                .unwrap_or_else(|| brief::measure::eval::default_punkt(path)),
        },
        None => Input::Files(args.inputs.clone()),
    };
    let (style, points) = compare::default_style_and_points(&input)?;
    let points = args.points.unwrap_or(points);
    let style = args.style.unwrap_or(style);
    // Checkpoints are compared on what they write: the model's own checked points (hybrid),
    // since extractive points would be the same for every model.
    let briefing = BriefingArgs {
        points,
        words: None,
        mode: brief::attribute::Mode::Hybrid,
        keep_unsupported: false,
    };
    let mut config = run_config(cli, &args.gen, models_dir, &briefing, style);
    config.ingest = IngestOptions {
        max_bytes: args.max_bytes,
    };
    let opts = compare::Options {
        models: args.models.clone(),
        input,
        config,
        out: args.out.clone(),
        baseline: args.baseline.clone(),
        tolerance: args.tolerance,
        fail_on_regression: args.fail_on_regression,
        fail_on_speed: args.fail_on_speed,
        log: log_flags(cli),
    };
    let outcome = compare::run(&opts)?;
    print!("{}", compare::markdown::tables(&outcome.report));
    for p in &outcome.written {
        println!("wrote {}", p.display());
    }
    Ok(outcome.verdict(&opts)?)
}

pub fn bench(cli: &Cli, args: &BenchArgs, models_dir: PathBuf) -> anyhow::Result<()> {
    // The end-to-end figure is a plain `brief run`: its default points and style.
    let briefing = BriefingArgs {
        points: 6,
        words: None,
        mode: brief::attribute::Mode::Extractive,
        keep_unsupported: false,
    };
    let config = run_config(cli, &args.gen, models_dir, &briefing, Style::Briefing);
    let opts = bench::Options {
        models: args.models.clone(),
        runs: args.runs as usize,
        config,
        seeds: (!args.no_e2e).then(|| args.seeds.clone()),
        log: log_flags(cli),
        llamacpp: args.llamacpp.clone(),
    };
    let report = bench::run(&opts)?;
    print!("{}", bench::table(&report));
    if let Some(path) = &args.json {
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        brief::atomic::write(path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    Ok(())
}
