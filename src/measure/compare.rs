//! `brief compare`: several checkpoints on the same input with the same prompts and
//! parameters, side by side, as Markdown, one self-contained HTML page, and JSON.
//!
//! Each model runs in its own worker process (`brief worker compare`, see [`crate::measure::worker`])
//! so that its peak memory is its own and its weights are gone before the next model loads. The
//! parent ingests once and hands every worker the same articles.

pub mod baseline;
pub mod html;
pub mod markdown;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::briefing::pages::Pages;
use crate::briefing::Style;
use crate::briefing::{Source, SCHEMA_VERSION};
use crate::ingest::{self, Article, Ingested};
use crate::llm::generate::{GenParams, Usage};
use crate::llm::manifest::{self, Role};
use crate::llm::prompts::Prompts;
use crate::llm::registry::{ModelSpec, ResolveError};
use crate::measure::eval::{self, Output};
use crate::measure::machine::{self, Machine};
use crate::measure::rouge::punkt;
use crate::measure::worker::{self, LogFlags};
use crate::pipeline::{self, NoCache, Progress, RunConfig};
use crate::summarize::ArticleSummary;

pub use baseline::Regression;

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{0}: cannot read the baseline: {1}")]
    Baseline(String, String),
    #[error("{}", regressed_message(.0))]
    Regressed(Vec<Regression>),
}

impl CompareError {
    /// 3 for regressions, so CI tells "worse than before" from "could not run" (1) and "bad
    /// input" (2).
    pub fn exit_code(&self) -> u8 {
        match self {
            CompareError::Baseline(..) => 2,
            CompareError::Regressed(_) => 3,
        }
    }
}

fn regressed_message(r: &[Regression]) -> String {
    let list: Vec<String> = r.iter().map(Regression::describe).collect();
    format!("{} figure(s) regressed: {}", r.len(), list.join("; "))
}

/// What every model is run on.
#[derive(Debug, Clone)]
pub enum Input {
    /// Files, directories or `-`: one briefing per model.
    Files(Vec<PathBuf>),
    /// A dev set with references: every example per model, scored with ROUGE.
    Data {
        path: PathBuf,
        limit: Option<usize>,
        punkt: PathBuf,
    },
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Manifest names or GGUF paths, in the order the report shows them.
    pub models: Vec<String>,
    pub input: Input,
    /// Parameters shared by every model (its `inputs` and `model` are ignored).
    pub config: RunConfig,
    pub out: PathBuf,
    pub baseline: Option<PathBuf>,
    /// Relative change beyond which a worse figure counts as a regression.
    pub tolerance: f64,
    pub fail_on_regression: bool,
    pub fail_on_speed: bool,
    pub log: LogFlags,
}

/// `compare.json`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CompareReport {
    /// [`SCHEMA_VERSION`]; files before it had the same number under `format`.
    #[serde(alias = "format")]
    pub schema_version: u32,
    pub input: InputInfo,
    pub params: ParamsInfo,
    pub machine: Machine,
    pub models: Vec<ModelResult>,
    /// Filled when a baseline was given.
    #[serde(default)]
    pub baseline: Option<BaselineInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineInfo {
    pub path: String,
    pub tolerance: f64,
    pub regressions: Vec<Regression>,
    /// Models with no counterpart in the baseline, so nothing to compare.
    pub unmatched: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InputInfo {
    /// "files" or "data".
    pub kind: String,
    pub paths: Vec<String>,
    /// The input articles (no summaries: each output has its own).
    pub sources: Vec<Source>,
    /// Dev-set examples (data input only), with their references.
    pub examples: Vec<ExampleInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExampleInfo {
    pub id: String,
    pub documents: usize,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ParamsInfo {
    pub summary: GenParams,
    pub briefing: GenParams,
    pub points: usize,
    pub style: Style,
    pub weights: String,
    pub device: String,
}

/// One model's outputs and figures.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModelResult {
    /// The column heading: the model's name, unless two models share it.
    pub label: String,
    /// As given on the command line.
    pub spec: String,
    pub name: String,
    pub sha256: String,
    pub architecture: String,
    pub role: String,
    pub quality: Quality,
    pub speed: Speed,
    pub outputs: Vec<Output>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Quality {
    /// Mean ROUGE F1 x100 against the references (data input only).
    pub rouge1: Option<f64>,
    pub rouge2: Option<f64>,
    pub rouge_lsum: Option<f64>,
    /// Mean words per output (its points, one per line, as eval scores them).
    pub words: f64,
    /// Points printed, over all outputs.
    pub points: usize,
    pub citations_per_point: f64,
    /// Points the tool refused to print because no source supports them.
    pub dropped: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Speed {
    pub load_secs: f64,
    pub prefill_tok_per_s: f64,
    pub decode_tok_per_s: f64,
    /// From loading the model to the last output.
    pub wall_secs: f64,
    /// The worker's own high-water mark, where the OS reports one.
    pub peak_rss_mib: Option<f64>,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
}

/// A worker's job: one model on the given input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub label: String,
    /// The model as given on the command line.
    pub model: String,
    pub config: RunConfig,
    pub input: JobInput,
}

impl worker::Job for Job {
    const KIND: worker::Kind = worker::Kind::Compare;
    type Answer = ModelResult;

    fn run(&self) -> anyhow::Result<ModelResult> {
        run_one(self)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum JobInput {
    Articles(Vec<Article>),
    Data {
        path: PathBuf,
        limit: Option<usize>,
        punkt: PathBuf,
    },
}

/// What `run` wrote.
pub struct Outcome {
    pub report: CompareReport,
    pub written: Vec<PathBuf>,
}

impl Outcome {
    /// The regressions that should fail the command under the given options.
    pub fn failing(&self, opts: &Options) -> Vec<Regression> {
        let Some(b) = &self.report.baseline else {
            return Vec::new();
        };
        b.regressions
            .iter()
            .filter(|r| match r.kind {
                baseline::Kind::Quality => opts.fail_on_regression,
                baseline::Kind::Speed => opts.fail_on_speed,
            })
            .cloned()
            .collect()
    }

    /// An error (exit status 3) when a regression should fail the command.
    pub fn verdict(&self, opts: &Options) -> Result<(), CompareError> {
        let failing = self.failing(opts);
        if failing.is_empty() {
            Ok(())
        } else {
            Err(CompareError::Regressed(failing))
        }
    }
}

/// Runs every model, writes `compare.{md,html,json}` into `opts.out`.
pub fn run(opts: &Options) -> anyhow::Result<Outcome> {
    // Everything the user could have got wrong is checked before the first model spends
    // minutes: models, input, baseline.
    for m in &opts.models {
        check_model(m, &opts.config.models_dir)?;
    }
    let old = opts.baseline.as_deref().map(read_baseline).transpose()?;
    let pages = Pages::locate(opts.config.templates_dir.as_deref())?;
    markdown::check(&pages)?;
    let (info, job_input) = prepare_input(&opts.input, &opts.config)?;
    let labels = labels(&opts.models);

    let mut models = Vec::with_capacity(opts.models.len());
    for (spec, label) in opts.models.iter().zip(&labels) {
        tracing::info!("comparing: {label}");
        let job = Job {
            label: label.clone(),
            model: spec.clone(),
            config: worker::config_for(&opts.config, spec),
            input: job_input.clone(),
        };
        let mut result = worker::run(label, &job, opts.log)?;
        result.label = label.clone();
        models.push(result);
    }

    let baseline = match (&opts.baseline, &old) {
        (Some(path), Some(old)) => Some(baseline::compare(
            &path.display().to_string(),
            old,
            &models,
            opts.tolerance,
        )),
        _ => None,
    };
    let report = CompareReport {
        schema_version: SCHEMA_VERSION,
        input: info,
        params: ParamsInfo {
            summary: opts.config.summary_params.clone(),
            briefing: opts.config.briefing_params.clone(),
            points: opts.config.points,
            style: opts.config.style,
            weights: opts.config.weights.name().to_string(),
            device: opts.config.device.name().to_string(),
        },
        machine: Machine::detect(),
        models,
        baseline,
    };
    let written = write(&report, &opts.out, &pages)?;
    Ok(Outcome { report, written })
}

/// "`seeds/` · 5 articles": what the models were run on, in words.
pub fn describe_input(i: &InputInfo) -> String {
    let paths: Vec<String> = i.paths.iter().map(|p| format!("`{p}`")).collect();
    format!("{} · {}", paths.join(", "), input_size(i))
}

/// "5 articles", "2 examples".
pub fn input_size(i: &InputInfo) -> String {
    if i.kind == "data" {
        format!("{} examples", i.examples.len())
    } else {
        format!("{} articles", i.sources.len())
    }
}

/// A comparison for the start-up check of the templates: `full` is a dev set with every
/// optional part (a baseline with a regression and an unmatched model, a reference, a model
/// with no output for an example); otherwise files, one empty briefing, no baseline.
pub fn sample_report(full: bool) -> CompareReport {
    use crate::briefing::render::sample_briefing;
    let briefing = sample_briefing(full);
    let model = |label: &str| ModelResult {
        label: label.into(),
        spec: label.into(),
        name: label.into(),
        sha256: "0".repeat(64),
        architecture: "llama".into(),
        role: "chat".into(),
        quality: Quality {
            rouge1: full.then_some(30.0),
            rouge2: full.then_some(10.0),
            rouge_lsum: full.then_some(25.0),
            ..Quality::default()
        },
        speed: Speed {
            peak_rss_mib: full.then_some(100.0),
            ..Speed::default()
        },
        outputs: vec![Output {
            id: "e1".into(),
            briefing: briefing.clone(),
        }],
    };
    let mut models = vec![model("a")];
    if full {
        models.push(ModelResult {
            outputs: Vec::new(),
            ..model("b")
        });
    }
    CompareReport {
        schema_version: SCHEMA_VERSION,
        input: InputInfo {
            kind: if full { "data" } else { "files" }.into(),
            paths: vec!["input".into()],
            sources: sample_briefing(true).sources,
            examples: if full {
                vec![ExampleInfo {
                    id: "e1".into(),
                    documents: 2,
                    references: vec!["A reference.".into()],
                }]
            } else {
                Vec::new()
            },
        },
        params: ParamsInfo {
            summary: GenParams::default(),
            briefing: GenParams::default(),
            points: 5,
            style: Style::Briefing,
            weights: "fast".into(),
            device: "cpu".into(),
        },
        machine: Machine {
            cpu: String::new(),
            cores: 1,
            threads: 1,
        },
        models,
        baseline: full.then(|| BaselineInfo {
            path: "old.json".into(),
            tolerance: 0.05,
            regressions: vec![Regression {
                model: "a".into(),
                figure: "rouge1".into(),
                kind: baseline::Kind::Quality,
                old: 2.0,
                new: 1.0,
                change: Some(0.5),
            }],
            unmatched: vec!["b".into()],
        }),
    }
}

/// "1 document", "3 documents".
pub fn documents(n: usize) -> String {
    if n == 1 {
        "1 document".to_string()
    } else {
        format!("{n} documents")
    }
}

/// The shared parameters in one line.
pub fn describe_params(p: &ParamsInfo) -> String {
    let s = &p.summary;
    let sampling = if s.temperature <= 0.0 {
        "greedy".to_string()
    } else {
        let top_p = s.top_p.map(|t| format!(", top-p {t}")).unwrap_or_default();
        format!("temperature {}{top_p}, seed {}", s.temperature, s.seed)
    };
    format!(
        "{} style · {} points · {sampling} · summary ≤ {} tokens · briefing ≤ {} tokens · repeat penalty {} · weights {} · {}",
        p.style.name(),
        p.points,
        s.max_tokens,
        p.briefing.max_tokens,
        s.repeat_penalty,
        p.weights,
        p.device
    )
}

/// Defaults that depend on the input, as `brief eval` and `brief run` choose them: a one-line
/// summary for single-document dev sets, 8 points for dev sets, 5 for files.
pub fn default_style_and_points(input: &Input) -> Result<(Style, usize), eval::EvalError> {
    match input {
        Input::Files(_) => Ok((Style::Briefing, 5)),
        Input::Data { path, limit, .. } => {
            let examples = eval::read_examples(path, *limit)?;
            let multi = examples.iter().any(|e| e.documents.len() > 1);
            Ok((
                if multi {
                    Style::Briefing
                } else {
                    Style::Oneline
                },
                8,
            ))
        }
    }
}

/// Fails early, with the same errors `brief run` gives, for a model that cannot be run.
pub(crate) fn check_model(spec: &str, models_dir: &Path) -> anyhow::Result<()> {
    match ModelSpec::parse(spec) {
        ModelSpec::Path(p) if !p.is_file() => {
            Err(ResolveError::NoModelFile(p.display().to_string()).into())
        }
        ModelSpec::Path(_) => Ok(()),
        ModelSpec::Named(name) => {
            if manifest::find(models_dir, &name)?.role == Role::Embedding {
                return Err(ResolveError::NotGenerative(name).into());
            }
            Ok(())
        }
    }
}

/// Column headings: the file stem or manifest name, or the whole spec where two would clash.
pub(crate) fn labels(specs: &[String]) -> Vec<String> {
    let short: Vec<String> = specs
        .iter()
        .map(|s| match ModelSpec::parse(s) {
            ModelSpec::Path(p) => p
                .file_stem()
                .map_or_else(|| s.clone(), |f| f.to_string_lossy().into_owned()),
            ModelSpec::Named(n) => n,
        })
        .collect();
    let mut out: Vec<String> = short
        .iter()
        .zip(specs)
        .map(|(l, s)| {
            if short.iter().filter(|o| *o == l).count() > 1 {
                s.clone()
            } else {
                l.clone()
            }
        })
        .collect();
    // The same spec given twice still needs two distinct columns.
    for i in 0..out.len() {
        let n = out[..i].iter().filter(|o| **o == out[i]).count();
        if n > 0 {
            out[i] = format!("{} #{}", out[i], n + 1);
        }
    }
    out
}

fn read_baseline(path: &Path) -> anyhow::Result<CompareReport> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CompareError::Baseline(shown.clone(), e.to_string()))?;
    Ok(serde_json::from_str(&text).map_err(|e| CompareError::Baseline(shown, e.to_string()))?)
}

fn prepare_input(input: &Input, cfg: &RunConfig) -> anyhow::Result<(InputInfo, JobInput)> {
    match input {
        Input::Files(paths) => {
            let ingested = ingest::ingest(paths, &cfg.ingest)?;
            for r in &ingested.rejected {
                tracing::warn!("skipping {}", r.error);
            }
            let sources = ingested
                .articles
                .iter()
                .map(|a| Source {
                    id: a.id,
                    path: a.path.clone(),
                    title: a.title.clone(),
                    summary: String::new(),
                    sentences: Vec::new(),
                    chunks: 0,
                    content_hash: a.content_hash.clone(),
                    url: a.url.clone(),
                    published: a.published.clone(),
                    teaser: a.teaser,
                    new: false,
                })
                .collect();
            let info = InputInfo {
                kind: "files".into(),
                paths: paths.iter().map(|p| p.display().to_string()).collect(),
                sources,
                examples: Vec::new(),
            };
            Ok((info, JobInput::Articles(ingested.articles)))
        }
        Input::Data { path, limit, punkt } => {
            let examples = eval::read_examples(path, *limit)?;
            punkt::splitter_from_json(punkt)?;
            let info = InputInfo {
                kind: "data".into(),
                paths: vec![path.display().to_string()],
                sources: Vec::new(),
                examples: examples
                    .iter()
                    .map(|e| ExampleInfo {
                        id: e.id.clone(),
                        documents: e.documents.len(),
                        references: e.references.clone(),
                    })
                    .collect(),
            };
            let job = JobInput::Data {
                path: path.clone(),
                limit: *limit,
                punkt: punkt.clone(),
            };
            Ok((info, job))
        }
    }
}

fn write(report: &CompareReport, dir: &Path, pages: &Pages) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let mut json = serde_json::to_string_pretty(report)?;
    json.push('\n');
    let files = [
        ("compare.md", markdown::render_with(report, pages)?),
        ("compare.html", html::render_with(report, pages)?),
        ("compare.json", json),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        crate::atomic::write(&path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// One model on the job's input, in this process.
pub fn run_one(job: &Job) -> anyhow::Result<ModelResult> {
    let cfg = job.config.clone();
    let prompts = Prompts::locate(cfg.prompts_dir.as_deref())?;
    let progress = LogProgress(job.label.clone());
    let start = Instant::now();
    let mut loaded = pipeline::load_model(&cfg)?;
    let (outputs, usage, quality_rouge) = match &job.input {
        JobInput::Articles(articles) => {
            let ingested = Ingested {
                articles: articles.clone(),
                ..Default::default()
            };
            let doc = pipeline::brief(
                &cfg,
                &mut loaded,
                &prompts,
                ingested,
                &progress,
                &mut NoCache,
            )?;
            let out = Output {
                id: "briefing".into(),
                briefing: doc.briefing,
            };
            (vec![out], doc.run.tokens, None)
        }
        JobInput::Data { path, limit, punkt } => {
            let examples = eval::read_examples(path, *limit)?;
            let splitter = punkt::splitter_from_json(punkt)?;
            let mut usage = Usage::default();
            let mut outputs = Vec::with_capacity(examples.len());
            for (i, ex) in examples.iter().enumerate() {
                let (out, u) = eval::predict(&cfg, &mut loaded, &prompts, ex, &progress)?;
                tracing::info!("{}: {}/{} {}", job.label, i + 1, examples.len(), ex.id);
                usage.merge(&u);
                outputs.push(out);
            }
            let predictions: Vec<eval::Prediction> = outputs
                .iter()
                .map(|o| eval::Prediction {
                    id: o.id.clone(),
                    summary: o.briefing.text(),
                })
                .collect();
            let scores = eval::score(&examples, &predictions, &splitter);
            (outputs, usage, Some(scores))
        }
    };
    let wall_secs = start.elapsed().as_secs_f64();
    let mut quality = quality_of(&outputs);
    if let Some(s) = quality_rouge {
        quality.rouge1 = Some(round(s.rouge1, 4));
        quality.rouge2 = Some(round(s.rouge2, 4));
        quality.rouge_lsum = Some(round(s.rouge_lsum, 4));
    }
    let info = &loaded.info;
    Ok(ModelResult {
        label: job.label.clone(),
        spec: job.model.clone(),
        name: info.name.clone(),
        sha256: info.sha256.clone(),
        architecture: info.architecture.clone(),
        role: format!("{:?}", info.role).to_lowercase(),
        quality,
        speed: Speed {
            load_secs: round(info.load_secs, 3),
            prefill_tok_per_s: round(usage.prefill_tok_per_s(), 3),
            decode_tok_per_s: round(usage.decode_tok_per_s(), 3),
            wall_secs: round(wall_secs, 3),
            peak_rss_mib: machine::peak_rss_mib().map(|m| round(m, 1)),
            prompt_tokens: usage.prompt_tokens,
            generated_tokens: usage.generated_tokens,
        },
        outputs,
    })
}

fn quality_of(outputs: &[Output]) -> Quality {
    let points: usize = outputs
        .iter()
        .map(|o| o.briefing.statements().count())
        .sum();
    let citations: usize = outputs
        .iter()
        .flat_map(|o| o.briefing.statements())
        .map(|p| p.sources.len())
        .sum();
    let words: usize = outputs
        .iter()
        .map(|o| o.briefing.text().split_whitespace().count())
        .sum();
    Quality {
        rouge1: None,
        rouge2: None,
        rouge_lsum: None,
        words: round(ratio(words, outputs.len()), 4),
        points,
        citations_per_point: round(ratio(citations, points), 4),
        dropped: outputs.iter().map(|o| o.briefing.dropped.len()).sum(),
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// Fixed precision in the JSON, so reruns with equal results give equal files.
fn round(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// Progress as log lines naming the model; the parent relays them.
struct LogProgress(String);

impl Progress for LogProgress {
    fn stage(&self, what: &str) {
        tracing::info!("{}: {what}", self.0);
    }
    fn articles(&self, total: usize) {
        tracing::info!("{}: summarizing {total} articles", self.0);
    }
    fn article_done(&self, article: &Article, summary: &ArticleSummary) {
        tracing::info!(
            "{}: summarized {} ({} tokens in, {} out)",
            self.0,
            article.id,
            summary.usage.prompt_tokens,
            summary.usage.generated_tokens
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::briefing::{Briefing, Dropped, Point};
    use crate::ingest::ArticleId;

    #[test]
    fn labels_are_short_and_unique() {
        let specs = [
            "a/tiny.gguf".to_string(),
            "b/tiny.gguf".to_string(),
            "smollm2-135m".to_string(),
            "smollm2-135m".to_string(),
        ];
        assert_eq!(
            labels(&specs),
            [
                "a/tiny.gguf",
                "b/tiny.gguf",
                "smollm2-135m",
                "smollm2-135m #2"
            ]
        );
        assert_eq!(labels(&["x/one.gguf".to_string()]), ["one"]);
    }

    #[test]
    fn quality_counts_points_citations_and_dropped_over_outputs() {
        let cited = |text: &str, ids: &[u32]| Point {
            sources: ids.iter().map(|&i| ArticleId(i)).collect(),
            ..Point::unchecked(text.into())
        };
        let out = Output {
            id: "briefing".into(),
            briefing: Briefing {
                headline: "H".into(),
                points: vec![cited("one two three", &[1, 2]), cited("four five", &[1])],
                dropped: vec![Dropped {
                    text: "x".into(),
                    reason: "y".into(),
                }],
                ..Briefing::default()
            },
        };
        let q = quality_of(&[out]);
        assert_eq!((q.points, q.dropped), (2, 1));
        assert_eq!(q.citations_per_point, 1.5);
        assert_eq!(q.words, 5.0);
        assert_eq!(quality_of(&[]).citations_per_point, 0.0);
    }
}
