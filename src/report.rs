//! `brief report`: the nightly job. A day's articles are grouped into stories, each story gets
//! its own attributed briefing, and the report (Markdown, JSON, HTML) says what is new since
//! the previous one.
//!
//! Nothing is done twice: articles, story vectors, summaries and finished story briefings live
//! in the [`Store`], keyed by everything that shapes them, so a rerun over unchanged input
//! loads no model and calls none. One run at a time holds the store's [`lock`](crate::report::lock);
//! every output file is written to a temporary name and renamed.

pub mod html;
pub mod lock;
pub mod markdown;
pub mod queue;
pub mod store;
pub mod stories;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::briefing::pages::Pages;
use crate::briefing::{Briefing, Rejected, SCHEMA_VERSION};
use crate::ingest::sentences::Splitter;
use crate::ingest::{self, Article, ArticleId};
use crate::llm::embed::Embedder;
use crate::llm::manifest;
use crate::llm::prompts::Prompts;
use crate::llm::registry::{self, LoadedModel};
use crate::pipeline::{self, ArticleCache, Progress, RunConfig};
use crate::report::store::{
    AdvisoryLock, RunOutcome, RunStatus, Store, StoreLocation, StoredSummary, SummaryKey,
};
use crate::summarize::ArticleSummary;

/// Everything a report run depends on.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    /// Model, prompts, parameters and inputs, as for `brief run`.
    pub run: RunConfig,
    pub store: StoreLocation,
    /// Who computes the per-article work the store lacks.
    pub workers: Workers,
    /// Write `DIR/DATE/briefing.{md,json,html}` and `DIR/index.html`.
    pub out_dir: Option<PathBuf>,
    /// The report's date, `YYYY-MM-DD`.
    pub date: String,
    /// Wait for a running report instead of failing at once.
    pub wait: bool,
    pub same_story: f32,
    /// After a report, forget what is older than this and no longer needed: done queue items,
    /// and the sentence vectors of articles first seen this long ago that were not in this
    /// run's input (some 28 KB an article, so a busy store would otherwise grow by
    /// gigabytes a month). None keeps everything.
    pub keep: Option<Duration>,
}

/// Who computes a night's per-article vectors and summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    /// The report itself, as it briefs each story.
    InProcess,
    /// `brief worker`s: the report queues the work, checks every `poll` until the queue has
    /// drained (or `timeout` has passed: an error), then builds the stories (computing itself
    /// only what the workers parked).
    Queue {
        poll: Duration,
        timeout: Option<Duration>,
    },
}

/// The report as written to `briefing.json`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NightlyReport {
    #[serde(default)]
    pub schema_version: u32,
    pub date: String,
    pub generated: String,
    pub model: String,
    pub model_sha256: String,
    /// The date of the report that "new" is relative to, if there was one.
    pub since: Option<String>,
    pub stories: Vec<Story>,
    #[serde(default)]
    pub rejected: Vec<Rejected>,
    pub run: RunFigures,
}

/// One story of a report: its briefing, plus what marks it against the previous report (the
/// briefing's own sources and points carry their `new` marks).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Story {
    #[serde(flatten)]
    pub briefing: Briefing,
    /// None of its articles was in the previous report.
    #[serde(default)]
    pub new: bool,
    /// The newest publication date among its sources, when they have one.
    #[serde(default)]
    pub latest: Option<String>,
}

/// A story reads as its briefing (`story.points`, `story.sources`); the marks are its own.
impl std::ops::Deref for Story {
    type Target = Briefing;
    fn deref(&self) -> &Briefing {
        &self.briefing
    }
}

impl std::ops::DerefMut for Story {
    fn deref_mut(&mut self) -> &mut Briefing {
        &mut self.briefing
    }
}

/// What the run did, for the report footer, the log and `brief history`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunFigures {
    pub run_id: i64,
    pub articles: usize,
    pub duplicates: usize,
    pub stories: usize,
    /// Generations the model ran (0 on an unchanged rerun).
    pub model_calls: usize,
    pub summaries_written: usize,
    pub summaries_reused: usize,
    /// Articles whose sentence vectors (the evidence index) this run embedded, and those it
    /// found in the store (computed by a worker, or by an earlier run).
    #[serde(default)]
    pub sentences_embedded: usize,
    #[serde(default)]
    pub sentences_reused: usize,
    pub stories_reused: usize,
    pub model_loaded: bool,
    pub secs: f64,
}

/// Files a report run wrote.
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub report: Option<NightlyReport>,
    pub files: Vec<PathBuf>,
}

fn hex_sha(bytes: &[u8]) -> String {
    crate::llm::fetch::hex(&Sha256::digest(bytes))
}

/// What every summary depends on besides its article.
pub(crate) fn summary_key(cfg: &RunConfig, prompts: &Prompts, model_sha256: &str) -> SummaryKey {
    // The briefing templates do not shape per-article summaries; editing them must not
    // throw the summaries away.
    let prompt: Vec<(&String, &String)> = prompts
        .hashes
        .iter()
        .filter(|(name, _)| !name.starts_with("briefing"))
        .collect();
    // The weight format is the arithmetic (own kernels, candle, plain f32): its summaries
    // differ in the last digits, so one format's summaries do not stand in for another's.
    let params = serde_json::json!({
        "params": cfg.summary_params,
        "style": cfg.style,
        "weights": cfg.weights,
    });
    SummaryKey {
        model_sha256: model_sha256.to_string(),
        prompt_hash: hex_sha(
            serde_json::to_string(&prompt)
                .unwrap_or_default()
                .as_bytes(),
        ),
        params_hash: hex_sha(params.to_string().as_bytes()),
    }
}

/// What a story briefing depends on: its articles in order and everything about the run,
/// including the build (its commit, not only the version number), since changed code may
/// brief the same articles differently.
fn story_key(
    cfg: &RunConfig,
    prompts: &Prompts,
    model_sha256: &str,
    embedder: &str,
    articles: &[&Article],
) -> String {
    let key = serde_json::json!({
        "version": crate::BUILD,
        "articles": articles.iter().map(|a| &a.content_hash).collect::<Vec<_>>(),
        "model": model_sha256,
        "embedder": embedder,
        "prompts": prompts.hashes,
        "summary": cfg.summary_params,
        "briefing": cfg.briefing_params,
        "points": cfg.points,
        "words": cfg.words,
        "mode": cfg.mode,
        "style": cfg.style,
        "keep_unsupported": cfg.keep_unsupported,
        "judge": cfg.judge,
        "weights": cfg.weights,
    });
    hex_sha(key.to_string().as_bytes())
}

/// Summaries and sentence vectors from and to the store, counting what had to be computed.
struct StoreCache<'a> {
    store: &'a Store,
    key: SummaryKey,
    embedder_key: &'a str,
    written: usize,
    reused: usize,
    sentences_embedded: usize,
    sentences_reused: usize,
}

impl ArticleCache for StoreCache<'_> {
    fn sentences(&mut self, a: &Article, hash: &str) -> anyhow::Result<Option<Vec<Vec<f32>>>> {
        let found = self
            .store
            .sentence_vectors(&a.content_hash, self.embedder_key, hash)?;
        self.sentences_reused += found.is_some() as usize;
        Ok(found)
    }

    fn put_sentences(&mut self, a: &Article, hash: &str, v: &[Vec<f32>]) -> anyhow::Result<()> {
        self.sentences_embedded += 1;
        self.store
            .put_sentence_vectors(&a.content_hash, self.embedder_key, hash, v)?;
        Ok(())
    }

    fn summary(&mut self, a: &Article) -> anyhow::Result<Option<ArticleSummary>> {
        let found = self.store.summary(&a.content_hash, &self.key)?;
        Ok(found.map(|s| {
            self.reused += 1;
            ArticleSummary {
                id: a.id,
                summary: s.summary,
                chunks: s.chunks,
                usage: Default::default(),
            }
        }))
    }

    fn put_summary(&mut self, a: &Article, s: &ArticleSummary) -> anyhow::Result<()> {
        self.written += 1;
        self.store.put_summary(
            &a.content_hash,
            &self.key,
            &StoredSummary {
                summary: s.summary.clone(),
                chunks: s.chunks,
                prompt_tokens: s.usage.prompt_tokens,
                generated_tokens: s.usage.generated_tokens,
            },
        )?;
        Ok(())
    }
}

/// Progress of the inner pipeline runs: a line per article at debug level, so a nightly log
/// stays short.
struct Quiet;

impl Progress for Quiet {
    fn article_done(&self, a: &Article, s: &ArticleSummary) {
        tracing::debug!(
            "summarized {} ({} tokens out)",
            a.path,
            s.usage.generated_tokens
        );
    }
}

/// The embedding model's identity, for cached vectors.
pub(crate) fn embedder_id(models_dir: &Path) -> anyhow::Result<String> {
    let m = manifest::find(models_dir, manifest::EMBEDDING_MODEL)?;
    Ok(format!("{}:{}", m.name, m.main_file().sha256))
}

/// One report at a time per store: a file lock beside a SQLite store, an advisory lock on a
/// PostgreSQL one (reports on different machines share it).
enum RunLock {
    File(#[allow(dead_code)] lock::RunLock),
    Server(#[allow(dead_code)] Box<AdvisoryLock>),
}

impl RunLock {
    fn acquire(at: &StoreLocation, wait: bool) -> Result<Self, lock::LockError> {
        Ok(match at {
            StoreLocation::Sqlite(path) => Self::File(lock::acquire(&lock::path_for(path), wait)?),
            StoreLocation::Postgres(url) => {
                Self::Server(Box::new(AdvisoryLock::acquire(url, &at.to_string(), wait)?))
            }
        })
    }
}

/// Runs the whole report under the store's lock and records the run.
pub fn run(cfg: &ReportConfig) -> anyhow::Result<Written> {
    let _lock = RunLock::acquire(&cfg.store, cfg.wait)?;
    let store = Store::connect(&cfg.store)?;
    let dead = store.close_dead_runs()?;
    if dead > 0 {
        tracing::warn!(
            "{dead} earlier run(s) died before finishing; carrying on from what they stored"
        );
    }
    let params = serde_json::json!({
        "inputs": cfg.run.inputs,
        "model": format!("{:?}", cfg.run.model),
        "date": cfg.date,
        "out_dir": cfg.out_dir,
        "summary": cfg.run.summary_params,
        "points": cfg.run.points,
        "mode": cfg.run.mode,
    });
    let run_id = store.begin_run(&params.to_string())?;
    // A panic would leave the run "running" until the next run calls it killed; record it
    // as the failure it is, then let it go on as an error.
    let built =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| build(cfg, &store, run_id)))
            .unwrap_or_else(|panic| {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown failure".into());
                Err(anyhow::anyhow!("internal error (panic): {why}"))
            });
    match built {
        Ok(written) => {
            let figures = written.report.as_ref().map(|r| r.run.clone());
            let f = figures.unwrap_or_default();
            store.end_run(
                run_id,
                RunStatus::Ok,
                &RunOutcome {
                    articles: f.articles,
                    stories: f.stories,
                    model_calls: f.model_calls,
                    report: written.files.first().map(|p| p.display().to_string()),
                    error: None,
                },
            )?;
            Ok(written)
        }
        Err(e) => {
            let outcome = RunOutcome {
                error: Some(format!("{e:#}")),
                ..Default::default()
            };
            // The run's own error is what the user needs; a failure to record it only warns.
            if let Err(rec) = store.end_run(run_id, RunStatus::Failed, &outcome) {
                tracing::warn!("could not record the failed run: {rec}");
            }
            Err(e)
        }
    }
}

/// The models a report needs, loaded the first time something is not in the store.
pub(crate) struct Lazy<'a> {
    pub(crate) cfg: &'a RunConfig,
    pub(crate) embedder: Option<Embedder>,
    pub(crate) loaded: Option<LoadedModel>,
}

impl Lazy<'_> {
    pub(crate) fn embedder(&mut self) -> anyhow::Result<&Embedder> {
        if let Some(m) = &self.loaded {
            return Ok(&m.embedder);
        }
        if self.embedder.is_none() {
            self.embedder = Some(Embedder::load_default(
                &self.cfg.models_dir,
                self.cfg.offline,
            )?);
        }
        Ok(self.embedder.as_ref().expect("just loaded"))
    }

    pub(crate) fn model(&mut self) -> anyhow::Result<&mut LoadedModel> {
        if self.loaded.is_none() {
            let e = match self.embedder.take() {
                Some(e) => e,
                None => Embedder::load_default(&self.cfg.models_dir, self.cfg.offline)?,
            };
            tracing::info!("loading {:?}", self.cfg.model);
            let mut loaded = registry::load_model_with(
                &self.cfg.model,
                &self.cfg.models_dir,
                self.cfg.offline,
                self.cfg.device,
                self.cfg.weights,
                e,
            )?;
            crate::pipeline::load_judge(self.cfg, &mut loaded)?;
            self.loaded = Some(loaded);
        }
        Ok(self.loaded.as_mut().expect("just loaded"))
    }
}

/// One vector per article: from the store, else embedded now and stored.
fn story_vectors(
    store: &Store,
    articles: &[Article],
    embedder_key: &str,
    models: &mut Lazy,
) -> anyhow::Result<Vec<Vec<f32>>> {
    let mut vectors: Vec<Option<Vec<f32>>> = articles
        .iter()
        .map(|a| store.vector(&a.content_hash, embedder_key))
        .collect::<Result<_, _>>()?;
    let missing: Vec<usize> = (0..articles.len())
        .filter(|&i| vectors[i].is_none())
        .collect();
    if !missing.is_empty() {
        let refs: Vec<&Article> = missing.iter().map(|&i| &articles[i]).collect();
        let fresh = stories::vectors(&refs, &Splitter::news(), models.embedder()?)?;
        for (&i, v) in missing.iter().zip(fresh) {
            store.put_vector(&articles[i].content_hash, embedder_key, &v)?;
            vectors[i] = Some(v);
        }
    }
    Ok(vectors.into_iter().map(Option::unwrap_or_default).collect())
}

/// What one run needs to brief a story.
struct StoryJob<'a> {
    cfg: &'a RunConfig,
    prompts: &'a Prompts,
    store: &'a Store,
    summary_key: SummaryKey,
    model_sha: &'a str,
    embedder_key: &'a str,
}

impl StoryJob<'_> {
    /// The story's briefing from the store, else made now (summaries from the store where
    /// they are) and stored.
    fn brief(
        &self,
        members: &[&Article],
        models: &mut Lazy,
        figures: &mut RunFigures,
    ) -> anyhow::Result<Briefing> {
        let key = story_key(
            self.cfg,
            self.prompts,
            self.model_sha,
            self.embedder_key,
            members,
        );
        if let Some(c) = self
            .store
            .story(&key)?
            .and_then(|json| serde_json::from_str::<Briefing>(&json).ok())
        {
            figures.stories_reused += 1;
            return Ok(c);
        }
        figures.model_loaded |= models.loaded.is_none();
        let model = models.model()?;
        // Ids are the story's own, S1… in input order, so a stored briefing reads the same
        // whatever else came in that night.
        let local: Vec<Article> = members
            .iter()
            .enumerate()
            .map(|(i, a)| Article {
                id: ArticleId(i as u32 + 1),
                ..(*a).clone()
            })
            .collect();
        let mut cache = StoreCache {
            store: self.store,
            key: self.summary_key.clone(),
            embedder_key: self.embedder_key,
            written: 0,
            reused: 0,
            sentences_embedded: 0,
            sentences_reused: 0,
        };
        let doc = pipeline::brief(
            self.cfg,
            model,
            self.prompts,
            ingest::Ingested {
                articles: local,
                ..Default::default()
            },
            &Quiet,
            &mut cache,
        )?;
        figures.model_calls += doc.run.tokens.calls;
        figures.summaries_written += cache.written;
        figures.summaries_reused += cache.reused;
        figures.sentences_embedded += cache.sentences_embedded;
        figures.sentences_reused += cache.sentences_reused;
        self.store
            .put_story(&key, &serde_json::to_string(&doc.briefing)?)?;
        Ok(doc.briefing)
    }
}

fn build(cfg: &ReportConfig, store: &Store, run_id: i64) -> anyhow::Result<Written> {
    let start = Instant::now();
    let run_cfg = &cfg.run;
    let prompts = Prompts::locate(run_cfg.prompts_dir.as_deref())?;
    // Read, compiled and rendered against sample reports before any work, so a broken
    // template costs no model time.
    let pages = Pages::locate(run_cfg.templates_dir.as_deref())?;
    markdown::check(&pages)?;
    html::check(&pages)?;
    let ingested = ingest::ingest(&run_cfg.inputs, &run_cfg.ingest)?;
    let rejected: Vec<Rejected> = ingested
        .rejected
        .iter()
        .map(|r| {
            tracing::warn!("skipping {}", r.error);
            r.into()
        })
        .collect();
    let articles = ingested.articles;
    for a in &articles {
        store.put_article(a)?;
    }
    let resolved = registry::resolve_model(&run_cfg.model, &run_cfg.models_dir, run_cfg.offline)?;
    let (model_name, model_sha) = (resolved.name, resolved.sha256);
    let embedder_key = embedder_id(&run_cfg.models_dir)?;
    let skey = summary_key(run_cfg, &prompts, &model_sha);
    if let Workers::Queue { poll, timeout } = cfg.workers {
        let need_summaries = run_cfg.summaries || run_cfg.mode != crate::briefing::Mode::Extractive;
        let queued = queue::enqueue_missing(
            store,
            &articles,
            &embedder_key,
            need_summaries.then_some(&skey),
        )?;
        tracing::info!("queued {} new item(s) for the workers", queued.new_items);
        let c = queue::wait_for_drain(store, &queued.keys, poll, timeout)?;
        if c.failed > 0 {
            tracing::warn!(
                "{} item(s) failed {} times in the workers (see `brief queue`); computing them here",
                c.failed,
                queue::MAX_FAILURES
            );
        }
    }
    let mut models = Lazy {
        cfg: run_cfg,
        embedder: None,
        loaded: None,
    };
    let vectors = story_vectors(store, &articles, &embedder_key, &mut models)?;
    let groups = stories::cluster(&vectors, cfg.same_story);
    tracing::info!(
        "{} articles ({} duplicates skipped) in {} stories",
        articles.len(),
        ingested.skipped.len(),
        groups.len()
    );

    let mut figures = RunFigures {
        run_id,
        articles: articles.len(),
        duplicates: ingested.skipped.len(),
        stories: groups.len(),
        ..Default::default()
    };
    let job = StoryJob {
        cfg: run_cfg,
        prompts: &prompts,
        store,
        summary_key: skey,
        model_sha: &model_sha,
        embedder_key: &embedder_key,
    };
    let mut built = Vec::with_capacity(groups.len());
    for (n, group) in groups.iter().enumerate() {
        let members: Vec<&Article> = group.iter().map(|&i| &articles[i]).collect();
        let c = job.brief(&members, &mut models, &mut figures)?;
        tracing::info!(
            "story {}/{}: {} article(s), {} point(s)",
            n + 1,
            groups.len(),
            members.len(),
            c.statements().count()
        );
        built.push(c);
    }
    drop(models);

    let previous: Option<NightlyReport> = store
        .previous_report(&cfg.date)?
        .and_then(|(_, json)| serde_json::from_str(&json).ok());
    let mut stories: Vec<Story> = built
        .into_iter()
        .map(|b| Story {
            latest: b.sources.iter().filter_map(|s| s.published.clone()).max(),
            new: false,
            briefing: b,
        })
        .collect();
    mark_new(&mut stories, previous.as_ref());
    order(&mut stories);
    figures.secs = start.elapsed().as_secs_f64();
    let report = NightlyReport {
        schema_version: SCHEMA_VERSION,
        date: cfg.date.clone(),
        generated: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        model: model_name,
        model_sha256: model_sha,
        since: previous.map(|p| p.date),
        stories,
        rejected,
        run: figures,
    };
    let json = serde_json::to_string_pretty(&report)?;
    let files = match &cfg.out_dir {
        Some(out) => write_dated(out, &report, &json, &pages)?,
        None => Vec::new(),
    };
    store.put_report(
        run_id,
        &cfg.date,
        cfg.out_dir
            .as_ref()
            .map(|d| d.join(&cfg.date).display().to_string())
            .as_deref(),
        &json,
    )?;
    if let Some(age) = cfg.keep {
        let tonight: std::collections::HashSet<&str> =
            articles.iter().map(|a| a.content_hash.as_str()).collect();
        let items = queue::prune_older_than(store, age)?;
        let vectors = store.prune_sentence_vectors(&queue::cutoff(age), &tonight)?;
        if items + vectors > 0 {
            tracing::info!(
                "forgot {items} done queue item(s) and {vectors} article(s)' sentence vectors older than --keep-days"
            );
        }
    }
    Ok(Written {
        report: Some(report),
        files,
    })
}

/// `OUT/DATE/briefing.{json,md,html}` and `OUT/index.html`, each written whole or not at all.
fn write_dated(
    out: &Path,
    report: &NightlyReport,
    json: &str,
    pages: &Pages,
) -> anyhow::Result<Vec<PathBuf>> {
    let day = out.join(&report.date);
    let fresh = !day.exists();
    std::fs::create_dir_all(&day).map_err(|e| anyhow::anyhow!("{}: {e}", day.display()))?;
    let written = write_day(out, &day, report, json, pages);
    if written.is_err() && fresh {
        // A dated directory with nothing (or half a report) in it would be listed in the
        // index as a report of that day; a full disk must not leave one behind.
        let _ = std::fs::remove_dir_all(&day);
    }
    written
}

fn write_day(
    out: &Path,
    day: &Path,
    report: &NightlyReport,
    json: &str,
    pages: &Pages,
) -> anyhow::Result<Vec<PathBuf>> {
    // A run killed while writing leaves its temp file (never a torn report); we hold the
    // lock, so any such file is litter.
    for dir in [out, day] {
        crate::atomic::remove_stale_temps(dir);
    }
    let mut files = Vec::new();
    for (name, text) in [
        ("briefing.json", json.to_string()),
        ("briefing.md", markdown::render_with(report, pages)?),
        ("briefing.html", html::render_with(report, pages)?),
    ] {
        let p = day.join(name);
        crate::atomic::write(&p, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        files.push(p);
    }
    // The index is made from the dated reports on disk, so it lists exactly what is there.
    let index = out.join("index.html");
    let page = html::index_with(&past_reports(out)?, pages)?;
    crate::atomic::write(&index, page.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: {e}", index.display()))?;
    files.push(index);
    Ok(files)
}

/// Marks stories, sources and points the previous report did not have. The first report
/// marks nothing: "new" against nothing would flag every line.
fn mark_new(stories: &mut [Story], previous: Option<&NightlyReport>) {
    let (seen_articles, seen_points): (BTreeSet<&str>, BTreeSet<String>) = match previous {
        None => return,
        Some(p) => (
            p.stories
                .iter()
                .flat_map(|s| s.briefing.sources.iter().map(|x| x.content_hash.as_str()))
                .collect(),
            p.stories
                .iter()
                .flat_map(|s| s.briefing.statements().map(|x| normalise(&x.text)))
                .collect(),
        ),
    };
    for s in stories {
        let b = &mut s.briefing;
        for src in &mut b.sources {
            src.new = !seen_articles.contains(src.content_hash.as_str());
        }
        s.new = b.sources.iter().all(|x| x.new);
        for p in b.lede.iter_mut().chain(&mut b.points) {
            p.new = !seen_points.contains(&normalise(&p.text));
        }
    }
}

fn normalise(text: &str) -> String {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Most sources first, then the most recent, then as found.
fn order(stories: &mut [Story]) {
    stories.sort_by(|a, b| {
        b.briefing
            .sources
            .len()
            .cmp(&a.briefing.sources.len())
            .then_with(|| b.latest.cmp(&a.latest))
    });
}

/// One line per dated report under the output directory, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct PastReport {
    pub date: String,
    pub stories: usize,
    pub articles: usize,
    /// None for a first report: nothing to be new against.
    pub new_stories: Option<usize>,
    pub headlines: Vec<String>,
}

fn past_reports(out: &Path) -> anyhow::Result<Vec<PastReport>> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(out) {
        Ok(e) => e,
        Err(_) => return Ok(found),
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !is_date(&name) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path().join("briefing.json")) else {
            continue;
        };
        let Ok(r) = serde_json::from_str::<NightlyReport>(&text) else {
            continue;
        };
        found.push(PastReport {
            date: name,
            stories: r.stories.len(),
            articles: r.stories.iter().map(|s| s.briefing.sources.len()).sum(),
            new_stories: r
                .since
                .as_ref()
                .map(|_| r.stories.iter().filter(|s| s.new).count()),
            headlines: r
                .stories
                .iter()
                .take(3)
                .map(|s| s.briefing.headline.clone())
                .collect(),
        });
    }
    found.sort_by(|a, b| b.date.cmp(&a.date));
    Ok(found)
}

/// `YYYY-MM-DD`.
pub fn is_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(hashes: &[&str], points: &[&str], latest: Option<&str>) -> Story {
        let briefing = Briefing {
            headline: "h".into(),
            sources: hashes
                .iter()
                .enumerate()
                .map(|(i, h)| crate::briefing::Source {
                    id: ArticleId(i as u32 + 1),
                    path: format!("{h}.txt"),
                    title: None,
                    url: None,
                    published: None,
                    teaser: false,
                    summary: String::new(),
                    sentences: Vec::new(),
                    chunks: 1,
                    content_hash: h.to_string(),
                    new: false,
                })
                .collect(),
            points: points
                .iter()
                .map(|t| crate::briefing::Point {
                    sources: vec![ArticleId(1)],
                    grounded: true,
                    ..crate::briefing::Point::unchecked(t.to_string())
                })
                .collect(),
            ..Briefing::default()
        };
        Story {
            briefing,
            new: false,
            latest: latest.map(str::to_string),
        }
    }

    #[test]
    fn new_marks_follow_the_previous_report() {
        let prev = NightlyReport {
            schema_version: SCHEMA_VERSION,
            date: "2026-01-01".into(),
            generated: String::new(),
            model: String::new(),
            model_sha256: String::new(),
            since: None,
            stories: vec![story(&["a", "b"], &["The dam held, officials said."], None)],
            rejected: vec![],
            run: RunFigures::default(),
        };
        let mut now = vec![
            story(
                &["a", "c"],
                &["The dam  held, officials said", "Rain fell."],
                None,
            ),
            story(&["d"], &["A new thing."], None),
        ];
        mark_new(&mut now, Some(&prev));
        assert!(!now[0].new && now[1].new);
        assert!(!now[0].sources[0].new && now[0].sources[1].new);
        assert!(!now[0].points[0].new && now[0].points[1].new);
        let mut first = vec![story(&["a"], &["x"], None)];
        mark_new(&mut first, None);
        assert!(!first[0].new && !first[0].points[0].new && !first[0].sources[0].new);
    }

    #[test]
    fn stories_order_by_sources_then_recency() {
        let mut s = vec![
            story(&["a"], &[], Some("2026-01-03")),
            story(&["b", "c"], &[], Some("2026-01-01")),
            story(&["d"], &[], Some("2026-01-04")),
            story(&["e"], &[], None),
        ];
        order(&mut s);
        let firsts: Vec<&str> = s
            .iter()
            .map(|x| x.sources[0].content_hash.as_str())
            .collect();
        assert_eq!(firsts, ["b", "d", "a", "e"]);
    }

    #[test]
    fn dates_are_checked() {
        assert!(is_date("2026-11-23"));
        assert!(!is_date("2026-13-01") && !is_date("latest") && !is_date("2026-1-1"));
    }

    /// Where the child run of the test below writes its report; the file-size limit it sets
    /// must not reach the other tests of this process.
    const FULL_DISK_OUT: &str = "BRIEF_TEST_FULL_DISK_OUT";

    /// A disk that fills while the day's report is written: the write fails with a clear
    /// error, no dated directory is left for the index to list, and the earlier reports and
    /// index are untouched. The full disk is a file-size limit (RLIMIT_FSIZE, SIGXFSZ
    /// ignored so the write fails with EFBIG instead of killing the process), set in a child
    /// of this test binary.
    #[cfg(unix)]
    #[test]
    fn a_full_disk_leaves_no_dated_directory_and_the_earlier_reports_intact() {
        let pages = Pages::locate(None).unwrap();
        let mut report = markdown::sample_report(true);
        report.date = "2026-03-04".into();
        if let Some(out) = std::env::var_os(FULL_DISK_OUT) {
            // SAFETY: plain libc calls on this process, before any file is written.
            unsafe {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit {
                    rlim_cur: 1024,
                    rlim_max: 1024,
                };
                assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
            }
            let json = serde_json::to_string_pretty(&report).unwrap();
            let err = write_dated(Path::new(&out), &report, &json, &pages).unwrap_err();
            println!("WRITE FAILED: {err:#}");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let old_day = out.join("2026-03-03");
        std::fs::create_dir(&old_day).unwrap();
        std::fs::write(old_day.join("briefing.md"), "yesterday").unwrap();
        std::fs::write(out.join("index.html"), "old index").unwrap();
        let o = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "report::tests::a_full_disk_leaves_no_dated_directory_and_the_earlier_reports_intact",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(FULL_DISK_OUT, out)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let line = text
            .lines()
            .find(|l| l.contains("WRITE FAILED"))
            .unwrap_or_else(|| panic!("the write did not fail: {text}"));
        assert!(
            line.contains("2026-03-04") && line.contains("too large"),
            "{line}"
        );
        assert!(!out.join("2026-03-04").exists());
        assert_eq!(
            std::fs::read_to_string(old_day.join("briefing.md")).unwrap(),
            "yesterday"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "old index"
        );
        let names: Vec<_> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "litter left: {names:?}");
    }
}
