//! `brief run`: one attributed briefing from the given articles.

use std::path::PathBuf;

use clap::Args;

use brief::briefing::pages::Pages;
use brief::briefing::render::{self, Format};
use brief::briefing::Style;
use brief::pipeline::{self, RunConfig};

use super::args::{BriefingArgs, GenArgs, Global, IngestArgs};
use super::choice::choice;
use super::defaults;
use super::progress::CliProgress;

#[derive(Args)]
pub struct RunArgs {
    /// Files, directories, or - for stdin.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    gen: GenArgs,
    #[command(flatten)]
    brief: BriefingArgs,
    /// How long each article's summary is.
    #[arg(long, value_parser = choice::<Style>(), default_value = defaults::STYLE.name())]
    style: Style,
    /// Show each point's supporting sentences in Markdown.
    #[arg(long)]
    evidence: bool,
    /// What to write: Markdown, or the briefing as JSON.
    #[arg(long, value_parser = choice::<Format>(), default_value = defaults::FORMAT.name())]
    format: Format,
    /// Write here (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    ingest: IngestArgs,
}

/// What `brief run` does, decided.
pub struct Run {
    pub config: RunConfig,
    pub format: Format,
    pub evidence: bool,
    pub output: Option<PathBuf>,
    pub quiet: bool,
}

impl RunArgs {
    pub fn resolve(self, global: &Global) -> Run {
        let mut config =
            self.gen
                .run_config(global, &self.brief, self.style, self.ingest.options());
        config.inputs = self.inputs;
        Run {
            config,
            format: self.format,
            evidence: self.evidence,
            output: self.output,
            quiet: global.quiet,
        }
    }
}

pub fn run(run: &Run) -> anyhow::Result<()> {
    if let Some(path) = &run.output {
        brief::atomic::check_destination(path, false, &run.config.inputs)?;
    }
    // The Markdown template is read and tried on a sample briefing before the model loads.
    let pages = Pages::locate(run.config.templates_dir.as_deref())?;
    render::check(&pages)?;
    let progress = CliProgress::new(run.quiet);
    let report = pipeline::run(&run.config, &progress)?;
    let text = render::render_with(&report, run.format, run.evidence, &pages)?;
    match &run.output {
        Some(path) => brief::atomic::write(path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}
