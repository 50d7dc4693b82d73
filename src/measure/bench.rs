//! `brief bench`: how fast each model loads, prefills a 512-token prompt, decodes 128 tokens,
//! and runs the whole pipeline on the seed articles; median and spread over several runs, and
//! the peak memory of a worker process per model (see [`crate::measure::worker`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::llm::generate;
use crate::llm::model::Model;
use crate::llm::registry::{self, ModelSpec};
use crate::measure::machine::{self, Machine};
use crate::measure::worker::{self, LogFlags};
use crate::pipeline::{self, RunConfig};

/// Prompt length for the prefill figure: a typical article chunk.
pub const PROMPT_TOKENS: usize = 512;
/// Tokens decoded for the decode figure, end-of-turn ignored so every model decodes as many.
pub const DECODE_TOKENS: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}: context of {1} tokens is too short for the {2}-token bench")]
    Context(String, usize, usize),
    #[error("--runs must be at least 1")]
    NoRuns,
    #[error("llama.cpp reference ({python}): {why}")]
    LlamaCpp { python: String, why: String },
    /// The `--llama-bench` path, refused before any model is loaded.
    #[error("{path}: {why}")]
    LlamaBenchPath { path: String, why: &'static str },
    #[error("llama-bench ({path}): {why}")]
    LlamaBench { path: String, why: String },
}

/// The prefill prompt: fixed, news-like, and built into the binary so every run and every
/// machine measures the same text whatever the working directory. It lives in a file so that
/// `scripts/bench-llamacpp` gives llama.cpp exactly the same text.
const PROMPT_TEXT: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/prompt.txt"));

/// What to bench.
#[derive(Debug, Clone)]
pub struct Options {
    pub models: Vec<String>,
    pub runs: usize,
    /// Pipeline settings for the end-to-end figure.
    pub config: RunConfig,
    /// Articles for the end-to-end figure; `None` skips it.
    pub seeds: Option<PathBuf>,
    pub log: LogFlags,
    /// Run llama.cpp on the same GGUF and thread count, alternating with our runs, and report
    /// the ratios.
    pub llamacpp: Option<LlamaCpp>,
}

/// Where the llama.cpp side of a comparison comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LlamaCpp {
    /// A Python with `llama_cpp` (llama-cpp-python), given our prompt text.
    Python(PathBuf),
    /// llama.cpp's own C++ benchmark: prefill `-p 512 -n 0`, decode `-p 0 -n 128 -d 512`, its
    /// own synthetic tokens (the figures do not depend on which tokens they are).
    Bench(PathBuf),
}

impl LlamaCpp {
    /// What the table and the JSON call this reference.
    fn tool(&self) -> &'static str {
        match self {
            LlamaCpp::Python(_) => "llama-cpp-python",
            LlamaCpp::Bench(_) => "llama-bench",
        }
    }
}

/// The llama.cpp side of a comparison, run with `python -c`.
const LLAMACPP_ONCE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scripts/llamacpp_once.py"
));

/// A worker's job: all of one model's runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub label: String,
    pub config: RunConfig,
    pub runs: usize,
    pub seeds: Option<PathBuf>,
}

impl worker::Job for Job {
    const KIND: worker::Kind = worker::Kind::Bench;
    type Answer = WorkerResult;

    fn run(&self) -> anyhow::Result<WorkerResult> {
        run_one(self)
    }
}

/// One run's figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BenchRun {
    pub load_secs: f64,
    pub prefill_tok_per_s: f64,
    pub decode_tok_per_s: f64,
    pub e2e_secs: Option<f64>,
}

/// The worker's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerResult {
    pub name: String,
    pub sha256: String,
    pub architecture: String,
    pub runs: Vec<BenchRun>,
    pub peak_rss_mib: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Stat {
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Stat {
            median,
            min: v[0],
            max: v[n - 1],
        })
    }

    fn cell(s: Option<Stat>, decimals: usize) -> String {
        match s {
            Some(s) if s.min == s.max => format!("{:.*}", decimals, s.median),
            Some(s) => format!(
                "{:.*} ({:.*}–{:.*})",
                decimals, s.median, decimals, s.min, decimals, s.max
            ),
            None => "–".to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelBench {
    pub label: String,
    pub name: String,
    pub sha256: String,
    pub architecture: String,
    pub load_secs: Option<Stat>,
    pub prefill_tok_per_s: Option<Stat>,
    pub decode_tok_per_s: Option<Stat>,
    pub e2e_secs: Option<Stat>,
    pub peak_rss_mib: Option<f64>,
    pub runs: Vec<BenchRun>,
    /// llama.cpp on the same file, prompt and threads, runs alternating with ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llamacpp: Option<Reference>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reference {
    /// `llama-cpp-python` or `llama-bench`.
    pub tool: String,
    /// llama.cpp's commit, where the tool reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// Tokens already in the cache when llama.cpp's decode figure starts; ours decodes after
    /// [`PROMPT_TOKENS`]. 0 where a `llama-bench` has no `-d`.
    pub decode_depth: usize,
    pub prefill_tok_per_s: Option<Stat>,
    pub decode_tok_per_s: Option<Stat>,
    /// Our median over llama.cpp's.
    pub prefill_ratio: Option<f64>,
    pub decode_ratio: Option<f64>,
    pub runs: Vec<ReferenceRun>,
}

/// One llama.cpp measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReferenceRun {
    pub prefill_tok_per_s: f64,
    pub decode_tok_per_s: f64,
}

#[derive(Deserialize)]
struct LlamaFigures {
    prefill: f64,
    decode: f64,
}

/// One llama.cpp measurement through `python -c LLAMACPP_ONCE`.
fn llamacpp_once(python: &Path, gguf: &Path, threads: usize) -> Result<ReferenceRun, BenchError> {
    use std::io::Write;
    let err = |why: String| BenchError::LlamaCpp {
        python: python.display().to_string(),
        why,
    };
    let mut child = std::process::Command::new(python)
        .arg("-c")
        .arg(LLAMACPP_ONCE)
        .arg(gguf)
        .arg(threads.to_string())
        .arg(PROMPT_TOKENS.to_string())
        .arg(DECODE_TOKENS.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| err(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(PROMPT_TEXT.as_bytes())
            .map_err(|e| err(e.to_string()))?;
    }
    let out = child.wait_with_output().map_err(|e| err(e.to_string()))?;
    if !out.status.success() {
        return Err(err(format!(
            "exited with {}: {}",
            out.status,
            last_line(&out.stderr)
        )));
    }
    let f: LlamaFigures =
        serde_json::from_slice(&out.stdout).map_err(|e| err(format!("unexpected output ({e})")))?;
    Ok(ReferenceRun {
        prefill_tok_per_s: f.prefill,
        decode_tok_per_s: f.decode,
    })
}

/// The last non-blank line of a child's stderr: where tools put the reason they failed.
fn last_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// One test of `llama-bench -o json` (the fields we read; it prints many more).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LlamaBenchTest {
    pub build_commit: String,
    pub model_filename: String,
    pub n_threads: usize,
    pub n_prompt: usize,
    pub n_gen: usize,
    /// Absent from builds older than `-d`.
    #[serde(default)]
    pub n_depth: usize,
    /// Tokens per second, the mean over its repetitions.
    pub avg_ts: f64,
    #[serde(default)]
    pub samples_ts: Vec<f64>,
}

/// `llama-bench -o json`'s output: an array of tests.
pub fn parse_llama_bench(json: &str) -> Result<Vec<LlamaBenchTest>, serde_json::Error> {
    serde_json::from_str(json)
}

/// One round of `llama-bench`: the figures and the llama.cpp commit it was built from.
struct LlamaBenchRound {
    run: ReferenceRun,
    build_commit: String,
}

/// A `llama-bench` binary, checked, and whether it can start its decode test at a depth.
#[derive(Debug, Clone)]
struct LlamaBenchTool {
    path: PathBuf,
    has_depth: bool,
}

/// Refuses a `--llama-bench` path that is missing, not a file or not executable, before any
/// model is loaded.
pub fn check_llama_bench(path: &Path) -> Result<(), BenchError> {
    use std::os::unix::fs::PermissionsExt;
    let refuse = |why| BenchError::LlamaBenchPath {
        path: path.display().to_string(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(|_| refuse("no such file"))?;
    if !meta.is_file() {
        return Err(refuse("not a file"));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(refuse("not executable"));
    }
    Ok(())
}

impl LlamaBenchTool {
    fn probe(path: &Path) -> Result<Self, BenchError> {
        check_llama_bench(path)?;
        // `--help` lists `-d, --n-depth` in the builds that have it; old ones exit non-zero on
        // `--help` but still print the list.
        let out = std::process::Command::new(path)
            .arg("--help")
            .output()
            .map_err(|e| BenchError::LlamaBench {
                path: path.display().to_string(),
                why: e.to_string(),
            })?;
        let help = String::from_utf8_lossy(&out.stdout);
        Ok(LlamaBenchTool {
            path: path.to_path_buf(),
            has_depth: help.contains("--n-depth"),
        })
    }

    fn decode_depth(&self) -> usize {
        if self.has_depth {
            PROMPT_TOKENS
        } else {
            0
        }
    }

    /// One invocation, one repetition; the test it ran.
    fn test(
        &self,
        gguf: &Path,
        threads: usize,
        prompt: usize,
        gen: usize,
        depth: usize,
    ) -> Result<LlamaBenchTest, BenchError> {
        let err = |why: String| BenchError::LlamaBench {
            path: self.path.display().to_string(),
            why,
        };
        let mut cmd = std::process::Command::new(&self.path);
        cmd.arg("-m")
            .arg(gguf)
            .args(["-t", &threads.to_string()])
            .args(["-p", &prompt.to_string(), "-n", &gen.to_string()])
            .args(["-r", "1", "-o", "json"]);
        if depth > 0 {
            cmd.args(["-d", &depth.to_string()]);
        }
        let out = cmd.output().map_err(|e| err(e.to_string()))?;
        if !out.status.success() {
            return Err(err(format!(
                "exited with {}: {}",
                out.status,
                last_line(&out.stderr)
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let tests =
            parse_llama_bench(&text).map_err(|e| err(format!("unexpected output ({e})")))?;
        tests
            .into_iter()
            .find(|t| t.n_prompt == prompt && t.n_gen == gen && t.n_depth == depth)
            .ok_or_else(|| {
                err(format!(
                    "no test with -p {prompt} -n {gen} -d {depth} in its output"
                ))
            })
    }

    /// Prefill of [`PROMPT_TOKENS`] from an empty cache, then [`DECODE_TOKENS`] decoded at
    /// [`Self::decode_depth`]: two invocations, since `-d` applies to every test of one.
    fn once(&self, gguf: &Path, threads: usize) -> Result<LlamaBenchRound, BenchError> {
        let prefill = self.test(gguf, threads, PROMPT_TOKENS, 0, 0)?;
        let decode = self.test(gguf, threads, 0, DECODE_TOKENS, self.decode_depth())?;
        Ok(LlamaBenchRound {
            run: ReferenceRun {
                prefill_tok_per_s: prefill.avg_ts,
                decode_tok_per_s: decode.avg_ts,
            },
            build_commit: prefill.build_commit,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    pub machine: Machine,
    pub weights: String,
    pub runs: usize,
    pub prompt_tokens: usize,
    pub decode_tokens: usize,
    pub seeds: Option<String>,
    pub models: Vec<ModelBench>,
}

/// Benches every model, each in its own worker process.
pub fn run(opts: &Options) -> anyhow::Result<BenchReport> {
    if opts.runs == 0 {
        return Err(BenchError::NoRuns.into());
    }
    let mut models = Vec::with_capacity(opts.models.len());
    // Checked first: a missing llama-bench should fail now, not after a model's runs.
    let llama_bench = match &opts.llamacpp {
        Some(LlamaCpp::Bench(path)) => Some(LlamaBenchTool::probe(path)?),
        _ => None,
    };
    for spec in &opts.models {
        crate::measure::compare::check_model(spec, &opts.config.models_dir)?;
    }
    if let Some(seeds) = &opts.seeds {
        // A missing seeds directory should fail now, not after the first model's runs.
        crate::ingest::ingest(std::slice::from_ref(seeds), &opts.config.ingest)?;
    }
    // The thread count both sides get; the CLI pins ours to it through RAYON_NUM_THREADS.
    let threads = candle_core::utils::get_num_threads();
    let labels = crate::measure::compare::labels(&opts.models);
    for (spec, label) in opts.models.iter().zip(labels) {
        let job = |runs: usize| Job {
            label: label.clone(),
            config: worker::config_for(&opts.config, spec),
            runs,
            seeds: opts.seeds.clone(),
        };
        tracing::info!("bench: {label}");
        let (w, reference) = match &opts.llamacpp {
            None => {
                let w = worker::run(&label, &job(opts.runs), opts.log)?;
                (w, None)
            }
            Some(route) => {
                let gguf = registry::resolve_model(
                    &ModelSpec::parse(spec),
                    &opts.config.models_dir,
                    opts.config.offline,
                )?
                .path;
                // Rounds alternate who goes first, so that drift in the machine's speed falls
                // on both sides.
                let mut ours: Option<WorkerResult> = None;
                let mut theirs = Vec::with_capacity(opts.runs);
                let mut build = None;
                for round in 0..opts.runs {
                    for side in [round % 2, 1 - round % 2] {
                        if side == 0 {
                            let w = worker::run(&label, &job(1), opts.log)?;
                            match &mut ours {
                                Some(o) => {
                                    o.runs.extend(w.runs);
                                    o.peak_rss_mib = match (o.peak_rss_mib, w.peak_rss_mib) {
                                        (Some(a), Some(b)) => Some(a.max(b)),
                                        (a, b) => a.or(b),
                                    };
                                }
                                None => ours = Some(w),
                            }
                        } else {
                            let run = match (route, &llama_bench) {
                                (LlamaCpp::Bench(_), Some(tool)) => {
                                    let round = tool.once(&gguf, threads)?;
                                    build = Some(round.build_commit);
                                    round.run
                                }
                                (LlamaCpp::Python(python), _) => {
                                    llamacpp_once(python, &gguf, threads)?
                                }
                                (LlamaCpp::Bench(_), None) => unreachable!("probed above"),
                            };
                            tracing::info!(
                                "{label}: {}: prefill {:.1} tok/s, decode {:.1} tok/s",
                                route.tool(),
                                run.prefill_tok_per_s,
                                run.decode_tok_per_s
                            );
                            theirs.push(run);
                        }
                    }
                }
                let decode_depth = llama_bench
                    .as_ref()
                    .map_or(PROMPT_TOKENS, LlamaBenchTool::decode_depth);
                let stat = |f: fn(&ReferenceRun) -> f64| {
                    Stat::of(&theirs.iter().map(f).collect::<Vec<_>>())
                };
                let reference = Reference {
                    tool: route.tool().to_string(),
                    build,
                    decode_depth,
                    prefill_tok_per_s: stat(|r| r.prefill_tok_per_s),
                    decode_tok_per_s: stat(|r| r.decode_tok_per_s),
                    // Filled in below, against our medians.
                    prefill_ratio: None,
                    decode_ratio: None,
                    runs: theirs,
                };
                (ours.expect("at least one run"), Some(reference))
            }
        };
        let column = |f: fn(&BenchRun) -> Option<f64>| {
            Stat::of(&w.runs.iter().filter_map(f).collect::<Vec<_>>())
        };
        let prefill = column(|r| Some(r.prefill_tok_per_s));
        let decode = column(|r| Some(r.decode_tok_per_s));
        let llamacpp = reference.map(|r| {
            let ratio = |a: Option<Stat>, b: Option<Stat>| match (a, b) {
                (Some(a), Some(b)) if b.median > 0.0 => Some(a.median / b.median),
                _ => None,
            };
            Reference {
                prefill_ratio: ratio(prefill, r.prefill_tok_per_s),
                decode_ratio: ratio(decode, r.decode_tok_per_s),
                ..r
            }
        });
        models.push(ModelBench {
            label: label.clone(),
            load_secs: column(|r| Some(r.load_secs)),
            prefill_tok_per_s: prefill,
            decode_tok_per_s: decode,
            e2e_secs: column(|r| r.e2e_secs),
            name: w.name,
            sha256: w.sha256,
            architecture: w.architecture,
            peak_rss_mib: w.peak_rss_mib,
            runs: w.runs,
            llamacpp,
        });
    }
    Ok(BenchReport {
        machine: Machine::detect(),
        weights: opts.config.weights.name().to_string(),
        runs: opts.runs,
        prompt_tokens: PROMPT_TOKENS,
        decode_tokens: DECODE_TOKENS,
        seeds: opts.seeds.as_ref().map(|p| p.display().to_string()),
        models,
    })
}

/// All of one model's runs, in this process.
pub fn run_one(job: &Job) -> anyhow::Result<WorkerResult> {
    let mut cfg = job.config.clone();
    cfg.inputs = job.seeds.iter().cloned().collect();
    let mut runs = Vec::with_capacity(job.runs);
    let mut identity = None;
    for i in 0..job.runs.max(1) {
        let t = Instant::now();
        let mut loaded = pipeline::load_model(&cfg)?;
        let load_secs = t.elapsed().as_secs_f64();
        let (prefill, decode) = prefill_and_decode(&mut loaded.model, &job.label)?;
        identity.get_or_insert_with(|| {
            let m = &loaded.info;
            (m.name.clone(), m.sha256.clone(), m.architecture.clone())
        });
        // The pipeline loads its own copy: free this one first, or the peak memory would count
        // two models.
        drop(loaded);
        let e2e_secs = match &job.seeds {
            Some(_) => {
                let t = Instant::now();
                pipeline::run(&cfg, &())?;
                Some(t.elapsed().as_secs_f64())
            }
            None => None,
        };
        tracing::info!(
            "{}: run {}/{}: load {load_secs:.2} s, prefill {prefill:.1} tok/s, decode {decode:.1} tok/s{}",
            job.label,
            i + 1,
            job.runs,
            e2e_secs.map(|s| format!(", seeds {s:.1} s")).unwrap_or_default()
        );
        runs.push(BenchRun {
            load_secs,
            prefill_tok_per_s: prefill,
            decode_tok_per_s: decode,
            e2e_secs,
        });
    }
    let (name, sha256, architecture) = identity.unwrap_or_default();
    Ok(WorkerResult {
        name,
        sha256,
        architecture,
        runs,
        peak_rss_mib: machine::peak_rss_mib(),
    })
}

/// Prefill tokens/s over [`PROMPT_TOKENS`] and greedy decode tokens/s over [`DECODE_TOKENS`].
/// A bench-local loop rather than `generate`, which stops at end-of-turn.
pub fn prefill_and_decode(model: &mut Model, label: &str) -> anyhow::Result<(f64, f64)> {
    let needed = PROMPT_TOKENS + DECODE_TOKENS;
    if model.context_length < needed {
        return Err(BenchError::Context(label.to_string(), model.context_length, needed).into());
    }
    let prompt = prompt_ids(model)?;
    model.reset();
    let t = Instant::now();
    let mut logits = model.forward(&prompt, 0)?;
    let prefill = rate(PROMPT_TOKENS, t.elapsed().as_secs_f64());
    let t = Instant::now();
    for i in 0..DECODE_TOKENS {
        let next = argmax(&logits);
        logits = model.forward(&[next], PROMPT_TOKENS + i)?;
    }
    let decode = rate(DECODE_TOKENS, t.elapsed().as_secs_f64());
    model.reset();
    Ok((prefill, decode))
}

/// Exactly [`PROMPT_TOKENS`] tokens of the fixed text (repeated as needed), BOS included where
/// the model wants one.
pub fn prompt_ids(model: &Model) -> anyhow::Result<Vec<u32>> {
    let mut text = String::from(PROMPT_TEXT);
    loop {
        let ids = generate::encode(model, &text)?;
        if ids.len() >= PROMPT_TOKENS {
            return Ok(ids[..PROMPT_TOKENS].to_vec());
        }
        text.push_str(PROMPT_TEXT);
    }
}

/// Tokens per second; 0 rather than infinity for an unmeasurably short time, since JSON has
/// no infinity.
fn rate(tokens: usize, secs: f64) -> f64 {
    if secs > 0.0 {
        tokens as f64 / secs
    } else {
        0.0
    }
}

fn argmax(logits: &[f32]) -> u32 {
    logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i as u32)
}

/// The Markdown table `brief bench` prints.
pub fn table(r: &BenchReport) -> String {
    let mut out = format!(
        "Machine: {}. Weights: {}. Median of {} run(s) (min–max).\n\n\
         | model | load s | prefill tok/s ({}) | decode tok/s ({}) | seeds end-to-end s | peak RSS MiB |\n\
         |---|---:|---:|---:|---:|---:|\n",
        r.machine.line(),
        r.weights,
        r.runs,
        r.prompt_tokens,
        r.decode_tokens
    );
    let compared: Vec<&ModelBench> = r.models.iter().filter(|m| m.llamacpp.is_some()).collect();
    for m in &r.models {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            m.label,
            Stat::cell(m.load_secs, 2),
            Stat::cell(m.prefill_tok_per_s, 1),
            Stat::cell(m.decode_tok_per_s, 1),
            Stat::cell(m.e2e_secs, 1),
            m.peak_rss_mib
                .map_or("–".to_string(), |x| format!("{x:.0}"))
        ));
    }
    if let Some(first) = compared.first().and_then(|m| m.llamacpp.as_ref()) {
        let what = match first.tool.as_str() {
            "llama-bench" => format!(
                "llama-bench{}: prefill `-p {} -n 0`, decode `-p 0 -n {}{}`; its own tokens",
                first
                    .build
                    .as_ref()
                    .map(|b| format!(" {b}"))
                    .unwrap_or_default(),
                r.prompt_tokens,
                r.decode_tokens,
                if first.decode_depth > 0 {
                    format!(" -d {}", first.decode_depth)
                } else {
                    " (this build has no -d: decode from an empty cache, ours after the prompt)"
                        .to_string()
                }
            ),
            tool => format!("{tool}, the same prompt"),
        };
        out.push_str(&format!(
            "\nAgainst llama.cpp ({what}) on the same GGUF and {} thread(s), runs alternating; \
             ratio = brief / llama.cpp, medians:\n\n\
             | model | brief prefill | llama.cpp prefill | ratio | brief decode | llama.cpp decode | ratio |\n\
             |---|---:|---:|---:|---:|---:|---:|\n",
            r.machine.threads
        ));
        let ratio = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:.2}×"));
        for m in compared {
            let l = m.llamacpp.as_ref().expect("filtered");
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                m.label,
                Stat::cell(m.prefill_tok_per_s, 1),
                Stat::cell(l.prefill_tok_per_s, 1),
                ratio(l.prefill_ratio),
                Stat::cell(m.decode_tok_per_s, 1),
                Stat::cell(l.decode_tok_per_s, 1),
                ratio(l.decode_ratio),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_are_median_and_range() {
        let s = Stat::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(Stat::of(&[4.0, 1.0]).unwrap().median, 2.5);
        assert_eq!(Stat::of(&[]), None);
        assert_eq!(Stat::cell(Stat::of(&[2.0]), 1), "2.0");
        assert_eq!(Stat::cell(Stat::of(&[1.0, 3.0, 2.0]), 1), "2.0 (1.0–3.0)");
    }

    #[test]
    fn the_tiny_model_decodes_exactly_the_bench_lengths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        crate::testing::write_tiny_llama(&path, 3).unwrap();
        let mut m = Model::load(
            &path,
            None,
            &candle_core::Device::Cpu,
            crate::llm::model::WeightFormat::Fast,
        )
        .unwrap();
        assert_eq!(prompt_ids(&m).unwrap().len(), PROMPT_TOKENS);
        let (p, d) = prefill_and_decode(&mut m, "tiny").unwrap();
        assert!(p > 0.0 && d > 0.0);
    }

    #[test]
    fn a_missing_or_failing_llamacpp_python_is_a_one_line_error() {
        let e = llamacpp_once(Path::new("/nonexistent/python3"), Path::new("m.gguf"), 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("llama.cpp reference (/nonexistent/python3):"),
            "{e}"
        );
        // A Python without llama_cpp fails inside the script: its last error line is shown.
        if let Ok(python) = which_python() {
            let e = llamacpp_once(&python, Path::new("m.gguf"), 1)
                .unwrap_err()
                .to_string();
            assert!(e.contains("exited with"), "{e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }

    #[test]
    fn a_missing_or_plain_llama_bench_path_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("llama-bench");
        std::fs::write(&plain, "#!/bin/sh\n").unwrap();
        let e = check_llama_bench(&plain).unwrap_err().to_string();
        assert_eq!(e, format!("{}: not executable", plain.display()));
        let e = check_llama_bench(&dir.path().join("none")).unwrap_err();
        assert!(e.to_string().ends_with("none: no such file"), "{e}");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(check_llama_bench(&plain).is_ok());
    }

    #[test]
    fn the_table_names_llama_bench_and_what_it_measured() {
        let stat = |x| Stat::of(&[x]);
        let reference = Reference {
            tool: "llama-bench".into(),
            build: Some("0c1e570".into()),
            decode_depth: PROMPT_TOKENS,
            prefill_tok_per_s: stat(200.0),
            decode_tok_per_s: stat(50.0),
            prefill_ratio: Some(1.5),
            decode_ratio: Some(0.8),
            runs: vec![ReferenceRun {
                prefill_tok_per_s: 200.0,
                decode_tok_per_s: 50.0,
            }],
        };
        let report = BenchReport {
            machine: Machine::detect(),
            weights: "fast".into(),
            runs: 1,
            prompt_tokens: PROMPT_TOKENS,
            decode_tokens: DECODE_TOKENS,
            seeds: None,
            models: vec![ModelBench {
                label: "m".into(),
                name: "m".into(),
                sha256: String::new(),
                architecture: "llama".into(),
                load_secs: stat(0.1),
                prefill_tok_per_s: stat(300.0),
                decode_tok_per_s: stat(40.0),
                e2e_secs: None,
                peak_rss_mib: None,
                runs: Vec::new(),
                llamacpp: Some(reference),
            }],
        };
        let t = table(&report);
        assert!(t.contains("llama-bench 0c1e570"), "{t}");
        assert!(t.contains("`-p 0 -n 128 -d 512`"), "{t}");
        assert!(
            t.contains("| m | 300.0 | 200.0 | 1.50× | 40.0 | 50.0 | 0.80× |"),
            "{t}"
        );
    }

    fn which_python() -> Result<PathBuf, ()> {
        let ok = std::process::Command::new("python3")
            .args(["-c", "import importlib.util,sys; sys.exit(importlib.util.find_spec('llama_cpp') is not None)"])
            .status()
            .map_err(|_| ())?
            .success();
        if ok {
            Ok(PathBuf::from("python3"))
        } else {
            Err(())
        }
    }
}
