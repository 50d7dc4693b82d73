//! `brief worker`: computes the per-article work (story vectors, summaries) that `brief report
//! --workers-only` queued in a shared store. Run as many as there are machines or cores.

use std::time::Duration;

use clap::Args;

use brief::briefing::Style;
use brief::report::queue::{self, WorkerConfig};
use brief::report::store::StoreLocation;

use super::args::{BriefingArgs, GenArgs, Global};
use super::defaults;
use super::report::parse_store;

#[derive(Args)]
pub struct WorkerArgs {
    /// The shared store: a PostgreSQL URL (postgres://user@host/db), or a SQLite file for
    /// workers on one machine.
    #[arg(long, value_name = "URL|PATH", env = "BRIEF_STORE", value_parser = parse_store)]
    store: Option<StoreLocation>,
    /// Seconds a claim holds without a heartbeat; a killed worker's items are claimed again
    /// after this.
    #[arg(long, value_name = "SECS", default_value_t = defaults::WORKER_LEASE_SECS)]
    lease: u64,
    /// Exit after the queue has had no work for this many seconds (batch jobs: Slurm, an
    /// Indexed Job); without it, wait for work forever (a Deployment).
    #[arg(long, value_name = "SECS", env = "BRIEF_IDLE_EXIT")]
    idle_exit: Option<f64>,
    /// This worker's name in `brief queue` (default: host:pid).
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    gen: GenArgs,
    #[command(flatten)]
    brief: BriefingArgs,
}

impl WorkerArgs {
    pub fn resolve(self, global: &Global) -> anyhow::Result<WorkerConfig> {
        if self.lease == 0 {
            anyhow::bail!("--lease must be at least 1 second");
        }
        // The report's own settings (style, ingest limits) so that the worker's keys are the
        // report's: a worker with other flags computes other items, not wrong ones.
        let run = self
            .gen
            .run_config(global, &self.brief, Style::Briefing, defaults::ingest());
        Ok(WorkerConfig {
            run,
            store: super::report::store_or_default(self.store),
            lease: Duration::from_secs(self.lease),
            poll: defaults::QUEUE_POLL,
            idle_exit: self
                .idle_exit
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64),
            name: self.name.unwrap_or_else(queue::default_worker_name),
        })
    }
}

pub fn worker(cfg: &WorkerConfig) -> anyhow::Result<()> {
    tracing::info!("worker {} on {}", cfg.name, cfg.store);
    let f = queue::work(cfg)?;
    tracing::info!(
        "worker {}: {} vectors, {} summaries, {} articles' sentences, {} failed, {} lost leases in {:.1} s",
        cfg.name,
        f.vectors,
        f.summaries,
        f.sentences,
        f.failures,
        f.lost_leases,
        f.secs
    );
    Ok(())
}
