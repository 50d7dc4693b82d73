//! `brief bench`: how fast each model loads, prefills and decodes, and how much memory it takes.

use std::path::PathBuf;

use clap::Args;

use brief::measure::bench;

use super::args::{BriefingArgs, GenArgs, Global};
use super::defaults;

#[derive(Args)]
#[command(mut_arg("model", |a| a.hide(true)))]
pub struct BenchArgs {
    /// Models to bench, comma-separated: names or GGUF paths.
    #[arg(long, value_delimiter = ',', default_value = defaults::MODEL)]
    models: Vec<String>,
    /// Runs per model; the table shows the median and the range.
    #[arg(long, default_value_t = defaults::BENCH_RUNS, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Also write the figures as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Articles for the end-to-end figure (`brief run` with default settings).
    #[arg(long, value_name = "DIR", default_value = defaults::BENCH_SEEDS)]
    seeds: PathBuf,
    /// Skip the end-to-end figure.
    #[arg(long)]
    no_e2e: bool,
    /// Also run llama.cpp through this Python (which needs `pip install llama-cpp-python`) on
    /// the same GGUF, prompt and threads, alternating with ours, and print the ratios. Bare:
    /// the configured Python ($BRIEF_PYTHON, the config file's `python`, else python3).
    #[arg(long, value_name = "PYTHON", num_args = 0..=1)]
    llamacpp: Option<Option<PathBuf>>,
    /// Also run llama.cpp's own C++ benchmark, this `llama-bench` binary, on the same GGUF and
    /// threads, alternating with ours: prefill `-p 512 -n 0`, decode `-p 0 -n 128 -d 512`.
    #[arg(long, value_name = "PATH", conflicts_with = "llamacpp")]
    llama_bench: Option<PathBuf>,
    #[command(flatten)]
    gen: GenArgs,
}

/// What `brief bench` does, decided.
pub struct Bench {
    pub options: bench::Options,
    pub json: Option<PathBuf>,
}

impl BenchArgs {
    pub fn resolve(self, global: &Global) -> Bench {
        // The end-to-end figure is a plain `brief run`: its default briefing, style and limits.
        let config = self.gen.run_config(
            global,
            &BriefingArgs::defaults(),
            defaults::STYLE,
            defaults::ingest(),
        );
        let llamacpp = match (self.llama_bench, self.llamacpp) {
            (Some(path), _) => Some(bench::LlamaCpp::Bench(path)),
            (None, Some(python)) => Some(bench::LlamaCpp::Python(
                python.unwrap_or_else(|| brief::llm::fetch::python().into()),
            )),
            (None, None) => None,
        };
        if llamacpp.is_some() && std::env::var_os("RAYON_NUM_THREADS").is_none() {
            // Both sides must get the same thread count; unpinned, our team would size itself
            // from the cores idle when each worker starts, which llama.cpp does not.
            std::env::set_var(
                "RAYON_NUM_THREADS",
                candle_core::utils::get_num_threads().to_string(),
            );
        }
        let options = bench::Options {
            models: self.models,
            runs: self.runs as usize,
            config,
            seeds: (!self.no_e2e).then_some(self.seeds),
            log: global.log(),
            llamacpp,
        };
        Bench {
            options,
            json: self.json,
        }
    }
}

pub fn bench(b: &Bench) -> anyhow::Result<()> {
    let report = bench::run(&b.options)?;
    print!("{}", bench::table(&report));
    if let Some(path) = &b.json {
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        brief::atomic::write(path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    Ok(())
}
