//! `brief eval`: a dev set through the model, scored with ROUGE.

use std::path::PathBuf;

use clap::Args;

use brief::briefing::Style;
use brief::measure::compare::{self, Input};
use brief::measure::eval;
use brief::pipeline::RunConfig;

use super::args::{BriefingArgs, GenArgs, Global};
use super::choice::choice;
use super::defaults;

#[derive(Args)]
pub struct EvalArgs {
    /// JSON Lines of {id, documents: [{text}], references: [..]}.
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Only the first N examples.
    #[arg(long)]
    limit: Option<usize>,
    #[command(flatten)]
    gen: GenArgs,
    /// Summary style; by default one line for single-document examples, a briefing otherwise.
    #[arg(long, value_parser = choice::<Style>())]
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

/// What `brief eval` does, decided.
pub struct Eval {
    pub config: RunConfig,
    pub data: PathBuf,
    pub limit: Option<usize>,
    pub punkt: PathBuf,
    pub predictions: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub quiet: bool,
}

impl EvalArgs {
    pub fn resolve(self, global: &Global) -> anyhow::Result<Eval> {
        let punkt = self
            .punkt
            .unwrap_or_else(|| eval::default_punkt(&self.data));
        let style = match self.style {
            Some(style) => style,
            // Chosen as compare chooses it for the same data, so the two score alike.
            None => {
                let data = Input::Data {
                    path: self.data.clone(),
                    limit: self.limit,
                    punkt: punkt.clone(),
                };
                compare::default_style_and_points(&data)?.0
            }
        };
        // Eval's articles come from the data file, not through ingest: the limit goes unused.
        let mut config = self
            .gen
            .run_config(global, &self.brief, style, defaults::ingest());
        // Only the points are scored: the per-article summaries are not needed unless the model
        // drafts the points from them.
        config.summaries = false;
        Ok(Eval {
            config,
            data: self.data,
            limit: self.limit,
            punkt,
            predictions: self.predictions,
            json: self.json,
            quiet: global.quiet,
        })
    }
}

pub fn eval(args: &Eval) -> anyhow::Result<()> {
    let (report, predictions) = eval::run(
        &args.config,
        &args.data,
        args.limit,
        &args.punkt,
        !args.quiet,
    )?;
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
