//! `brief compare`: several models on the same input, side by side.

use std::path::PathBuf;

use clap::Args;

use brief::briefing::Style;
use brief::measure::compare::{self, Input};

use super::args::{BriefingArgs, GenArgs, Global, IngestArgs};
use super::choice::choice;
use super::defaults;

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
    #[arg(long, default_value_t = defaults::TOLERANCE, value_parser = non_negative)]
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
    #[arg(long, value_parser = choice::<Style>())]
    style: Option<Style>,
    #[command(flatten)]
    ingest: IngestArgs,
    #[command(flatten)]
    gen: GenArgs,
}

fn non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x >= 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("`{s}` is not a non-negative number")),
    }
}

impl CompareArgs {
    pub fn resolve(self, global: &Global) -> anyhow::Result<compare::Options> {
        let input = match self.data {
            Some(path) => Input::Data {
                limit: self.limit,
                punkt: self
                    .punkt
                    .unwrap_or_else(|| brief::measure::eval::default_punkt(&path)),
                path,
            },
            None => Input::Files(self.inputs),
        };
        let (style, points) = compare::default_style_and_points(&input)?;
        let points = self.points.unwrap_or(points);
        let style = self.style.unwrap_or(style);
        // Checkpoints are compared on what they write: the model's own checked points (hybrid),
        // since extractive points would be the same for every model.
        let briefing = BriefingArgs {
            points,
            words: None,
            mode: brief::briefing::Mode::Hybrid,
            keep_unsupported: false,
            judge: defaults::JUDGE.to_string(),
        };
        let config = self
            .gen
            .run_config(global, &briefing, style, self.ingest.options());
        Ok(compare::Options {
            models: self.models,
            input,
            config,
            out: self.out,
            baseline: self.baseline,
            tolerance: self.tolerance,
            fail_on_regression: self.fail_on_regression,
            fail_on_speed: self.fail_on_speed,
            log: global.log(),
        })
    }
}

pub fn compare(opts: &compare::Options) -> anyhow::Result<()> {
    let outcome = compare::run(opts)?;
    let pages = brief::briefing::pages::Pages::locate(opts.config.templates_dir.as_deref())?;
    print!("{}", compare::markdown::tables(&outcome.report, &pages)?);
    for p in &outcome.written {
        println!("wrote {}", p.display());
    }
    Ok(outcome.verdict(opts)?)
}
