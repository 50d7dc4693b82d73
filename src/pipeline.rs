//! One briefing run: ingest → summarize → consolidate → attribute, with the run's record.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::attribute::evidence::Index;
use crate::attribute::{self, Dropped, Mode, Point, Stats};
use crate::consolidate;
use crate::disagree::{self, Disagreement};
use crate::ingest::sentences::Splitter;
use crate::ingest::{self, Article, IngestOptions, Skipped};
use crate::llm::embed::Embedder;
use crate::llm::generate::{GenParams, Usage};
use crate::llm::model::{DeviceChoice, WeightFormat};
use crate::llm::prompts::Prompts;
use crate::llm::registry::{self, LoadedModel, ModelInfo, ModelSpec};
use crate::summarize::{self, ArticleSummary, Style};

/// Everything a run depends on.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub inputs: Vec<PathBuf>,
    pub model: ModelSpec,
    pub models_dir: PathBuf,
    pub offline: bool,
    pub prompts_dir: Option<PathBuf>,
    pub summary_params: GenParams,
    pub briefing_params: GenParams,
    pub points: usize,
    /// Stop adding points past this many words.
    pub words: Option<usize>,
    pub mode: Mode,
    pub keep_unsupported: bool,
    /// Write each article's own summary (the model's slowest work). Off only for callers that
    /// need just the briefing points, in extractive mode.
    pub summaries: bool,
    pub style: Style,
    pub device: DeviceChoice,
    pub weights: WeightFormat,
    pub ingest: IngestOptions,
}

/// What the user sees while a run works.
/// Every method does nothing by default, and `&()` is the progress of a caller that reports on
/// its own.
pub trait Progress {
    fn stage(&self, _what: &str) {}
    fn articles(&self, _total: usize) {}
    fn article_done(&self, _article: &Article, _summary: &ArticleSummary) {}
    fn finish(&self) {}
}

impl Progress for () {}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub id: ingest::ArticleId,
    pub path: String,
    pub title: Option<String>,
    pub summary: String,
    pub chunks: usize,
    pub content_hash: String,
    /// From the article: see [`Article::url`], [`Article::published`], [`Article::teaser`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub teaser: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Briefing {
    pub headline: String,
    pub points: Vec<Point>,
    pub dropped: Vec<Dropped>,
    pub disagreements: Vec<Disagreement>,
    pub stats: Stats,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    pub load_secs: f64,
    pub ingest_secs: f64,
    pub summarize_secs: f64,
    pub briefing_secs: f64,
    pub total_secs: f64,
    pub prefill_tok_per_s: f64,
    pub decode_tok_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub version: &'static str,
    pub model: ModelInfo,
    pub prompts: PromptsInfo,
    pub params: Params,
    pub tokens: Usage,
    pub timings: Timings,
}

#[derive(Debug, Clone, Serialize)]
pub struct PromptsInfo {
    pub origin: String,
    pub hashes: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub summary: GenParams,
    pub briefing: GenParams,
    pub points: usize,
    pub words: Option<usize>,
    pub mode: Mode,
    pub style: Style,
}

/// A file found in a directory that could not be used (the run goes on without it).
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub path: String,
    pub reason: String,
}

/// The result of a run: what `render` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub sources: Vec<Source>,
    pub skipped: Vec<Skipped>,
    pub rejected: Vec<Rejected>,
    pub briefing: Briefing,
    pub run: RunRecord,
}

/// Keeps the sentences of an article's summary that the article itself supports; when none
/// is left (a model that invented, or obeyed an instruction inside the article), the article's
/// own first sentences stand in.
fn check_summary(
    summary: &str,
    id: ingest::ArticleId,
    index: &Index,
    embedder: &Embedder,
) -> anyhow::Result<String> {
    let own: Vec<&crate::attribute::evidence::Sentence> =
        index.sentences.iter().filter(|s| s.source == id).collect();
    let sentences: Vec<String> = Splitter::news().split(summary);
    let embeddings = embedder.embed(&sentences)?;
    let kept: Vec<String> = sentences
        .into_iter()
        .zip(embeddings)
        .filter(|(text, emb)| {
            let terms = crate::attribute::evidence::key_terms(text);
            let supported = own.iter().any(|s| {
                crate::attribute::evidence::score(emb, &terms, s)
                    >= crate::attribute::evidence::SUPPORT
            });
            let grounded = crate::attribute::evidence::ungrounded(
                text,
                &own.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(),
            )
            .is_empty();
            supported && grounded
        })
        .map(|(t, _)| t)
        .collect();
    if kept.is_empty() {
        return Ok(own
            .iter()
            .take(2)
            .map(|s| s.text.clone())
            .collect::<Vec<_>>()
            .join(" "));
    }
    Ok(kept.join(" "))
}

/// Sources without titles still need a line that says what the story is: the best point's
/// opening words.
fn headline_from(point: &str) -> String {
    const WORDS: usize = 14;
    let words: Vec<&str> = point.split_whitespace().collect();
    if words.len() <= WORDS {
        return point.trim_end_matches('.').to_string();
    }
    let cut = words[..WORDS].join(" ");
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
}

/// Runs the whole pipeline over the configured inputs.
pub fn run(cfg: &RunConfig, progress: &dyn Progress) -> anyhow::Result<Report> {
    let total = Instant::now();
    let prompts = Prompts::locate(cfg.prompts_dir.as_deref())?;
    let t = Instant::now();
    let ingested = ingest::ingest(&cfg.inputs, &cfg.ingest)?;
    let ingest_secs = t.elapsed().as_secs_f64();
    progress.stage("loading model");
    let mut loaded = registry::load_model(
        &cfg.model,
        &cfg.models_dir,
        cfg.offline,
        cfg.device,
        cfg.weights,
    )?;
    run_loaded(
        cfg,
        &mut loaded,
        &prompts,
        ingested,
        ingest_secs,
        total,
        progress,
    )
}

/// Where per-article summaries may already be: the report store keeps them across runs.
pub trait SummaryCache {
    fn get(&mut self, article: &Article) -> anyhow::Result<Option<ArticleSummary>>;
    fn put(&mut self, article: &Article, summary: &ArticleSummary) -> anyhow::Result<()>;
}

/// No cache: every summary is written by the model.
pub struct NoCache;

impl SummaryCache for NoCache {
    fn get(&mut self, _: &Article) -> anyhow::Result<Option<ArticleSummary>> {
        Ok(None)
    }
    fn put(&mut self, _: &Article, _: &ArticleSummary) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Runs the pipeline over articles already in hand (the examples of eval and compare).
pub fn run_articles(
    cfg: &RunConfig,
    loaded: &mut LoadedModel,
    prompts: &Prompts,
    articles: Vec<Article>,
    progress: &dyn Progress,
) -> anyhow::Result<Report> {
    let ingested = ingest::Ingested {
        articles,
        ..Default::default()
    };
    run_loaded(
        cfg,
        loaded,
        prompts,
        ingested,
        0.0,
        Instant::now(),
        progress,
    )
}

/// The pipeline after ingest and model load, so callers that hold a model (compare, eval,
/// bench) reuse it.
pub fn run_loaded(
    cfg: &RunConfig,
    loaded: &mut LoadedModel,
    prompts: &Prompts,
    ingested: ingest::Ingested,
    ingest_secs: f64,
    total: Instant,
    progress: &dyn Progress,
) -> anyhow::Result<Report> {
    run_cached(
        cfg,
        loaded,
        prompts,
        ingested,
        (ingest_secs, total),
        progress,
        &mut NoCache,
    )
}

/// [`run_loaded`] taking summaries from `cache` where it has them and giving it new ones as
/// soon as each is written, so an interrupted run loses at most the article in progress.
/// Articles whose summaries are generated together (see `generate::generate_batch`). Decode
/// reads every weight once per step, so four sequences cost little more than one; more adds
/// compute and makes a killed run lose more.
const SUMMARY_BATCH: usize = 4;

/// Summaries of `missing`, batched; if the batch fails, one article at a time, so that the
/// error names the article it came from.
fn summarize_window(
    loaded: &mut LoadedModel,
    prompts: &Prompts,
    missing: &[&Article],
    cfg: &RunConfig,
) -> anyhow::Result<Vec<ArticleSummary>> {
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let batch = summarize::summarize_many(
        &mut loaded.model,
        prompts,
        missing,
        &cfg.summary_params,
        cfg.style,
    );
    match batch {
        Ok(s) => Ok(s),
        Err(_) => missing
            .iter()
            .map(|a| {
                summarize::summarize(
                    &mut loaded.model,
                    prompts,
                    a,
                    &cfg.summary_params,
                    cfg.style,
                )
                .map_err(|e| anyhow::anyhow!("{}: {e}", a.path))
            })
            .collect(),
    }
}

pub fn run_cached(
    cfg: &RunConfig,
    loaded: &mut LoadedModel,
    prompts: &Prompts,
    ingested: ingest::Ingested,
    (ingest_secs, total): (f64, Instant),
    progress: &dyn Progress,
    cache: &mut dyn SummaryCache,
) -> anyhow::Result<Report> {
    let articles = ingested.articles;
    let rejected: Vec<Rejected> = ingested
        .rejected
        .iter()
        .map(|r| {
            tracing::warn!("skipping {}", r.error);
            Rejected {
                path: r.path.clone(),
                reason: r.error.to_string(),
            }
        })
        .collect();
    let mut usage = Usage::default();
    progress.articles(articles.len());
    let t = Instant::now();
    let mut summaries = Vec::with_capacity(articles.len());
    let need_summaries = cfg.summaries || cfg.mode != Mode::Extractive;
    // Articles go through in windows: the missing summaries of a window are generated as one
    // batch (one decode pass serves them all), then stored before the next window starts, so a
    // killed run loses at most one window's work.
    for window in articles.chunks(SUMMARY_BATCH) {
        let mut got: Vec<Option<ArticleSummary>> = Vec::with_capacity(window.len());
        for a in window {
            got.push(if need_summaries { cache.get(a)? } else { None });
        }
        let missing: Vec<&Article> = window
            .iter()
            .zip(&got)
            .filter(|(_, s)| need_summaries && s.is_none())
            .map(|(a, _)| a)
            .collect();
        let mut fresh = summarize_window(loaded, prompts, &missing, cfg)?.into_iter();
        for (a, s) in window.iter().zip(got) {
            let s = match s {
                Some(s) => s,
                None if need_summaries => {
                    let s = fresh.next().expect("one fresh summary per missing article");
                    cache.put(a, &s)?;
                    s
                }
                None => ArticleSummary {
                    id: a.id,
                    summary: String::new(),
                    chunks: 0,
                    usage: Usage::default(),
                },
            };
            usage.merge(&s.usage);
            progress.article_done(a, &s);
            summaries.push(s);
        }
    }
    let summarize_secs = t.elapsed().as_secs_f64();

    progress.stage("writing the briefing");
    let t = Instant::now();
    let draft = if cfg.mode == Mode::Extractive {
        consolidate::Draft::default()
    } else {
        consolidate::draft(
            &mut loaded.model,
            prompts,
            &articles,
            &summaries,
            cfg.points,
            &cfg.briefing_params,
        )?
    };
    usage.merge(&draft.usage);
    progress.stage("checking evidence");
    let index = Index::build(&articles, &loaded.splitter, &loaded.embedder)?;
    let opts = attribute::Options {
        mode: cfg.mode,
        points: cfg.points,
        words: cfg.words,
        keep_unsupported: cfg.keep_unsupported,
    };
    let (points, dropped, stats) =
        attribute::attribute(&draft.points, &articles, &index, &loaded.embedder, &opts)?;
    let disagreements = disagree::find(&index);
    if need_summaries {
        for s in &mut summaries {
            s.summary = check_summary(&s.summary, s.id, &index, &loaded.embedder)?;
        }
    }
    let briefing_secs = t.elapsed().as_secs_f64();
    progress.finish();

    let headline = if draft.headline.is_empty() {
        // The title of the article behind the best-supported point, else the first title.
        let lead = points.first().and_then(|p| p.sources.first()).copied();
        articles
            .iter()
            .filter(|a| Some(a.id) == lead)
            .chain(articles.iter())
            .find_map(|a| a.title.clone())
            .or_else(|| points.first().map(|p| headline_from(&p.text)))
            .unwrap_or_else(|| "Briefing".to_string())
    } else {
        // A headline is not a claim that needs a source; citation markers there are noise.
        attribute::parse_citations(&draft.headline).0
    };
    let sources = articles
        .iter()
        .zip(summaries)
        .map(|(a, s)| Source {
            id: a.id,
            path: a.path.clone(),
            title: a.title.clone(),
            summary: s.summary,
            chunks: s.chunks,
            content_hash: a.content_hash.clone(),
            url: a.url.clone(),
            published: a.published.clone(),
            teaser: a.teaser,
        })
        .collect();
    let timings = Timings {
        load_secs: loaded.info.load_secs,
        ingest_secs,
        summarize_secs,
        briefing_secs,
        total_secs: total.elapsed().as_secs_f64(),
        prefill_tok_per_s: usage.prefill_tok_per_s(),
        decode_tok_per_s: usage.decode_tok_per_s(),
    };
    Ok(Report {
        sources,
        skipped: ingested.skipped,
        rejected,
        briefing: Briefing {
            headline,
            points,
            dropped,
            disagreements,
            stats,
        },
        run: RunRecord {
            version: env!("CARGO_PKG_VERSION"),
            model: loaded.info.clone(),
            prompts: PromptsInfo {
                origin: prompts.origin.clone(),
                hashes: prompts.hashes.clone(),
            },
            params: Params {
                summary: cfg.summary_params.clone(),
                briefing: cfg.briefing_params.clone(),
                points: cfg.points,
                words: cfg.words,
                mode: cfg.mode,
                style: cfg.style,
            },
            tokens: usage,
            timings,
        },
    })
}
