//! The stage runner: ingest → summarize → consolidate → attribute → a [`Document`], over a
//! loaded model and a summary cache. Each stage lives in its own module; this one only runs
//! them in order and keeps the run's record.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::attribute;
use crate::briefing::Mode;
use crate::briefing::Style;
use crate::briefing::{
    Briefing, Document, Params, PromptsRecord, RunRecord, Source, SummarySentence, Timings,
};
use crate::check::evidence::{self, Index};
use crate::check::judge::Judge;
use crate::check::Checker;
use crate::consolidate;
use crate::disagree;
use crate::ingest::sentences::Splitter;
use crate::ingest::{self, Article, IngestOptions, Ingested};
use crate::llm::embed::Embedder;
use crate::llm::generate::{GenParams, Usage};
use crate::llm::model::{DeviceChoice, WeightFormat};
use crate::llm::prompts::Prompts;
use crate::llm::registry::{self, JudgeModel, LoadedModel, ModelSpec};
use crate::summarize::{self, ArticleSummary};

/// Everything a run depends on.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RunConfig {
    pub inputs: Vec<PathBuf>,
    pub model: ModelSpec,
    pub models_dir: PathBuf,
    pub offline: bool,
    pub prompts_dir: Option<PathBuf>,
    /// Page templates (`--templates`); the built-in ones when unset.
    #[serde(default)]
    pub templates_dir: Option<PathBuf>,
    pub summary_params: GenParams,
    pub briefing_params: GenParams,
    pub points: usize,
    /// Stop adding points past this many words.
    pub words: Option<usize>,
    pub mode: Mode,
    pub keep_unsupported: bool,
    /// A model whose own answer joins the checker's features (`--judge`): slower, and the
    /// checker catches more false statements (docs/thresholds.md). It must be one the
    /// checker's weights were fitted with ([`crate::check::JUDGES`]).
    #[serde(default)]
    pub judge: Option<ModelSpec>,
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

/// The model, embedder and judge a run of `cfg` needs, fetched if missing.
pub fn load_model(cfg: &RunConfig) -> anyhow::Result<LoadedModel> {
    let mut loaded = registry::load_model(
        &cfg.model,
        &cfg.models_dir,
        cfg.offline,
        cfg.device,
        cfg.weights,
    )?;
    load_judge(cfg, &mut loaded)?;
    Ok(loaded)
}

/// A judge whose answers the checker's weights were never fitted on: its probability would be
/// on an unknown scale, so it is refused rather than silently weighed like another.
#[derive(Debug, thiserror::Error)]
#[error("no calibration for the judge `{0}`: the checker's weights were fitted with {fitted} (or give --judge none)", fitted = fitted_judges())]
pub struct UncalibratedJudge(pub String);

fn fitted_judges() -> String {
    crate::check::JUDGES
        .iter()
        .map(|(n, _)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Gives `loaded` the judge `cfg` asks for, if any and not already there.
pub fn load_judge(cfg: &RunConfig, loaded: &mut LoadedModel) -> anyhow::Result<()> {
    let Some(spec) = &cfg.judge else {
        return Ok(());
    };
    if loaded.judge.is_none() {
        registry::load_judge(loaded, spec, &cfg.models_dir, cfg.offline)?;
    }
    let name = loaded.judge.as_ref().map(|j| j.name().to_string());
    match name {
        Some(n) if crate::check::judge_calibration(&n).is_none() => {
            loaded.judge = None;
            Err(UncalibratedJudge(n).into())
        }
        _ => Ok(()),
    }
}

/// Runs the whole pipeline over the configured inputs.
pub fn run(cfg: &RunConfig, progress: &dyn Progress) -> anyhow::Result<Document> {
    let total = Instant::now();
    let prompts = Prompts::locate(cfg.prompts_dir.as_deref())?;
    let t = Instant::now();
    let ingested = ingest::ingest(&cfg.inputs, &cfg.ingest)?;
    let ingest_secs = t.elapsed().as_secs_f64();
    progress.stage("loading model");
    let mut loaded = load_model(cfg)?;
    let mut doc = brief(cfg, &mut loaded, &prompts, ingested, progress, &mut NoCache)?;
    doc.run.timings.ingest_secs = ingest_secs;
    doc.run.timings.total_secs = total.elapsed().as_secs_f64();
    Ok(doc)
}

/// Where per-article summaries may already be: the report store keeps them across runs.
pub trait ArticleCache {
    fn summary(&mut self, article: &Article) -> anyhow::Result<Option<ArticleSummary>>;
    fn put_summary(&mut self, article: &Article, summary: &ArticleSummary) -> anyhow::Result<()>;
    /// The vectors of the article's index sentences, one per sentence, when kept for exactly
    /// these sentences (`hash`: [`evidence::sentences_hash`]).
    fn sentences(&mut self, article: &Article, hash: &str)
        -> anyhow::Result<Option<Vec<Vec<f32>>>>;
    fn put_sentences(
        &mut self,
        article: &Article,
        hash: &str,
        vectors: &[Vec<f32>],
    ) -> anyhow::Result<()>;
}

/// No cache: every summary is written by the model, every sentence embedded.
pub struct NoCache;

impl ArticleCache for NoCache {
    fn summary(&mut self, _: &Article) -> anyhow::Result<Option<ArticleSummary>> {
        Ok(None)
    }
    fn put_summary(&mut self, _: &Article, _: &ArticleSummary) -> anyhow::Result<()> {
        Ok(())
    }
    fn sentences(&mut self, _: &Article, _: &str) -> anyhow::Result<Option<Vec<Vec<f32>>>> {
        Ok(None)
    }
    fn put_sentences(&mut self, _: &Article, _: &str, _: &[Vec<f32>]) -> anyhow::Result<()> {
        Ok(())
    }
}

/// The index sentences of `articles`, their vectors from `cache` where it has them for
/// exactly these sentences, else embedded now and given to it.
pub fn sentence_index(
    articles: &[Article],
    embedder: &Embedder,
    cache: &mut dyn ArticleCache,
) -> anyhow::Result<Index> {
    Index::build_with(articles, &Splitter::news(), |a, sentences| {
        let hash = evidence::sentences_hash(sentences);
        if let Some(vectors) = cache.sentences(a, &hash)? {
            if vectors.len() == sentences.len() {
                for (s, v) in sentences.iter_mut().zip(vectors) {
                    s.embedding = v;
                }
                return Ok(());
            }
        }
        evidence::embed_all(sentences, embedder)?;
        let vectors: Vec<Vec<f32>> = sentences.iter().map(|s| s.embedding.clone()).collect();
        cache.put_sentences(a, &hash, &vectors)
    })
}

/// The stages after ingest, over a model already loaded (callers that brief many article sets
/// — eval, compare, bench, the nightly report — load it once). Summaries come from `cache`
/// where it has them, and each new one goes to it as soon as it is written, so an interrupted
/// run loses at most one batch.
pub fn brief(
    cfg: &RunConfig,
    loaded: &mut LoadedModel,
    prompts: &Prompts,
    ingested: Ingested,
    progress: &dyn Progress,
    cache: &mut dyn ArticleCache,
) -> anyhow::Result<Document> {
    let total = Instant::now();
    let Ingested {
        articles,
        skipped,
        rejected,
    } = ingested;
    for r in &rejected {
        tracing::warn!("skipping {}", r.error);
    }
    let rejected = rejected.iter().map(Into::into).collect();
    progress.articles(articles.len());
    let t = Instant::now();
    let need_summaries = cfg.summaries || cfg.mode != Mode::Extractive;
    let mut usage = Usage::default();
    let mut summaries = summarize_all(
        cfg,
        loaded,
        prompts,
        &articles,
        need_summaries,
        cache,
        progress,
    )?;
    for s in &summaries {
        usage.merge(&s.usage);
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
    let index = sentence_index(&articles, &loaded.embedder, cache)?;
    let opts = attribute::Options {
        mode: cfg.mode,
        points: cfg.points,
        words: cfg.words,
        keep_unsupported: cfg.keep_unsupported,
    };
    let judge = match &mut loaded.judge {
        None => None,
        Some(JudgeModel::Main { name }) => Some(Judge::new(&mut loaded.model, prompts, name)?),
        Some(JudgeModel::Other { model, name }) => Some(Judge::new(model, prompts, name)?),
    };
    let mut checker = Checker {
        embedder: &loaded.embedder,
        judge,
    };
    let attribute::Attributed {
        lede,
        points,
        dropped,
        mut stats,
    } = attribute::attribute(&draft.points, &articles, &index, &mut checker, &opts)?;
    let disagreements = disagree::find(&index);
    let mut checked: Vec<Vec<SummarySentence>> = vec![Vec::new(); summaries.len()];
    if need_summaries {
        for (s, c) in summaries.iter_mut().zip(&mut checked) {
            let Some(article) = articles.iter().find(|a| a.id == s.id) else {
                continue;
            };
            let (printed, sentences) = attribute::check_summary(
                &s.summary,
                article,
                &index,
                &mut checker,
                cfg.keep_unsupported,
            )?;
            s.summary = printed;
            stats.summary_sentences += sentences.len();
            stats.summary_supported += sentences.iter().filter(|s| s.verdict.supported).count();
            stats.summary_replaced += sentences.iter().filter(|s| s.replaced.is_some()).count();
            *c = sentences;
        }
    }
    let briefing_secs = t.elapsed().as_secs_f64();
    progress.finish();

    let headline = attribute::headline(&draft.headline, lede.iter().chain(&points), &articles);
    let sources = articles
        .iter()
        .zip(summaries.into_iter().zip(checked))
        .map(|(a, (s, sentences))| Source {
            id: a.id,
            path: a.path.clone(),
            title: a.title.clone(),
            summary: s.summary,
            sentences,
            chunks: s.chunks,
            content_hash: a.content_hash.clone(),
            url: a.url.clone(),
            published: a.published.clone(),
            teaser: a.teaser,
            new: false,
        })
        .collect();
    let timings = Timings {
        load_secs: loaded.info.load_secs,
        ingest_secs: 0.0,
        summarize_secs,
        briefing_secs,
        total_secs: total.elapsed().as_secs_f64(),
        prefill_tok_per_s: usage.prefill_tok_per_s(),
        decode_tok_per_s: usage.decode_tok_per_s(),
    };
    Ok(Document {
        briefing: Briefing {
            headline,
            sources,
            lede,
            points,
            dropped,
            disagreements,
            stats,
        },
        skipped,
        rejected,
        run: RunRecord {
            version: env!("CARGO_PKG_VERSION").to_string(),
            model: loaded.info.clone(),
            prompts: PromptsRecord {
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
                judge: loaded.judge.as_ref().map(|j| j.name().to_string()),
            },
            tokens: usage,
            timings,
        },
    })
}

/// Every article's summary, from the cache or the model, in windows: the missing summaries of
/// a window are generated as one batch (one decode pass serves them all), then stored before
/// the next window starts.
fn summarize_all(
    cfg: &RunConfig,
    loaded: &mut LoadedModel,
    prompts: &Prompts,
    articles: &[Article],
    need_summaries: bool,
    cache: &mut dyn ArticleCache,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<ArticleSummary>> {
    let mut summaries = Vec::with_capacity(articles.len());
    for window in articles.chunks(summarize::BATCH) {
        let mut got: Vec<Option<ArticleSummary>> = Vec::with_capacity(window.len());
        for a in window {
            got.push(if need_summaries {
                cache.summary(a)?
            } else {
                None
            });
        }
        let missing: Vec<&Article> = window
            .iter()
            .zip(&got)
            .filter(|(_, s)| need_summaries && s.is_none())
            .map(|(a, _)| a)
            .collect();
        let mut fresh = summarize::summarize_window(
            &mut loaded.model,
            prompts,
            &missing,
            &cfg.summary_params,
            cfg.style,
        )?
        .into_iter();
        for (a, s) in window.iter().zip(got) {
            let s = match s {
                Some(s) => s,
                None if need_summaries => {
                    let s = fresh.next().expect("one fresh summary per missing article");
                    cache.put_summary(a, &s)?;
                    s
                }
                None => ArticleSummary {
                    id: a.id,
                    summary: String::new(),
                    chunks: 0,
                    usage: Usage::default(),
                },
            };
            progress.article_done(a, &s);
            summaries.push(s);
        }
    }
    Ok(summaries)
}
