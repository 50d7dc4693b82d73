//! What `brief run` shows while it works.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use brief::ingest::Article;
use brief::pipeline::Progress;
use brief::summarize::ArticleSummary;

/// A progress bar on a terminal; plain log lines otherwise (cron, CI, pipes).
pub struct CliProgress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl CliProgress {
    pub fn new(quiet: bool) -> Self {
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
