//! The work queue in the store: the per-article work of a night (a story vector, a summary)
//! as rows that `brief worker`s on any number of machines claim, compute and complete.
//!
//! A claim is a lease: the row is marked with the worker and a deadline by the store's clock,
//! and a worker's heartbeat pushes the deadline on while it computes. A worker killed at any
//! moment leaves its rows leased; once the deadline passes any worker claims them again. The
//! result is committed with the row's completion in one transaction, and only while the row
//! is still leased to that worker, so a result is stored once even when a lease ran out under
//! a slow worker. An item that fails [`MAX_FAILURES`] times is parked as `failed`, with its
//! error, for `brief queue` to show; the report computes it itself and fails as it always did.
//!
//! On PostgreSQL claims take `FOR UPDATE SKIP LOCKED`, so workers never queue behind one
//! another's claims; SQLite runs each claim as one write, which serialises them.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::check::evidence;
use crate::ingest::sentences::Splitter;
use crate::ingest::Article;
use crate::llm::prompts::Prompts;
use crate::pipeline::RunConfig;
use crate::report::store::{Dialect, Store, StoreError, StoreLocation, StoredSummary, SummaryKey};
use crate::report::{embedder_id, stories, summary_key, Lazy};
use crate::summarize;

/// Failures after which an item is parked instead of claimed again.
pub const MAX_FAILURES: i64 = 3;

/// Vectors claimed at once: embedding batches well and a vector takes milliseconds.
pub const VECTOR_CLAIM: usize = 16;

/// Articles' sentence vectors claimed at once: a few tenths of a second each, so a claim holds
/// a worker for about a second.
pub const SENTENCES_CLAIM: usize = 4;

/// What an item computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkKind {
    /// The article's story vector (MiniLM), keyed by the embedder.
    Vector,
    /// The article's summary, keyed by model, prompts and parameters.
    Summary,
    /// The vectors of the article's index sentences (MiniLM, what evidence is scored by),
    /// keyed by the embedder: the reduce's own per-article work, done by workers too.
    Sentences,
}

impl WorkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vector => "vector",
            Self::Summary => "summary",
            Self::Sentences => "sentences",
        }
    }
}

/// A claimed item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    pub id: i64,
    pub kind: WorkKind,
    pub article: String,
}

/// How many items are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    pub pending: usize,
    pub leased: usize,
    pub done: usize,
    pub failed: usize,
}

impl QueueCounts {
    /// Work still to finish: pending, or leased to a worker that may yet finish it.
    pub fn outstanding(&self) -> usize {
        self.pending + self.leased
    }
}

/// One row of `brief queue`: an item not yet done.
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub id: i64,
    pub kind: String,
    pub article: String,
    pub state: String,
    pub worker: Option<String>,
    /// Milliseconds left on the lease (negative: expired, waiting to be claimed again).
    pub lease_left_ms: Option<i64>,
    pub claims: i64,
    pub failures: i64,
    pub error: Option<String>,
}

/// The `key` column of a summary item.
pub fn summary_item_key(k: &SummaryKey) -> String {
    format!("{}/{}/{}", k.model_sha256, k.prompt_hash, k.params_hash)
}

impl Store {
    /// Records an item unless it is already queued (in any state); true when it is new.
    pub fn enqueue(&self, kind: WorkKind, article: &str, key: &str) -> Result<bool, StoreError> {
        let n = self.execute(
            "INSERT INTO queue (kind, article, key, state, enqueued) VALUES ($1, $2, $3, 'pending', $4)
             ON CONFLICT (kind, article, key) DO NOTHING",
            &[
                kind.as_str().into(),
                article.into(),
                key.into(),
                super::store::now().into(),
            ],
        )?;
        Ok(n > 0)
    }

    /// A done item whose result is gone again (a store pruned by hand) is pending once more.
    pub fn requeue_done(&self, kind: WorkKind, article: &str, key: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE queue SET state = 'pending', worker = NULL, lease_until = NULL
             WHERE kind = $1 AND article = $2 AND key = $3 AND state = 'done'",
            &[kind.as_str().into(), article.into(), key.into()],
        )?;
        Ok(())
    }

    /// Leases up to `limit` items of `kind` under `key` to `worker`: pending ones, and leased
    /// ones whose lease ran out.
    pub fn claim(
        &self,
        kind: WorkKind,
        key: &str,
        worker: &str,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<WorkItem>, StoreError> {
        let dialect = self.dialect();
        let now = dialect.now_ms();
        let skip = match dialect {
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE queue SET state = 'leased', worker = $1, lease_until = {now} + $2,
                 claims = claims + 1
             WHERE id IN (SELECT id FROM queue WHERE kind = $3 AND key = $4
                 AND (state = 'pending' OR (state = 'leased' AND lease_until < {now}))
                 ORDER BY id LIMIT $5 {skip})
             RETURNING id, article"
        );
        let rows = self.query(
            &sql,
            &[
                worker.into(),
                (lease.as_millis() as i64).into(),
                kind.as_str().into(),
                key.into(),
                limit.into(),
            ],
        )?;
        let mut items: Vec<WorkItem> = rows
            .into_iter()
            .map(|r| WorkItem {
                id: r.int(0).unwrap_or(0),
                kind,
                article: r.text(1).unwrap_or_default(),
            })
            .collect();
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    /// Pushes the lease of `worker`'s items on; returns how many it still holds.
    pub fn heartbeat(
        &self,
        ids: &[i64],
        worker: &str,
        lease: Duration,
    ) -> Result<usize, StoreError> {
        let now = self.dialect().now_ms();
        let mut held = 0;
        for &id in ids {
            held += self.execute(
                &format!(
                    "UPDATE queue SET lease_until = {now} + $1
                     WHERE id = $2 AND worker = $3 AND state = 'leased'"
                ),
                &[(lease.as_millis() as i64).into(), id.into(), worker.into()],
            )? as usize;
        }
        Ok(held)
    }

    /// Marks the item done, in the caller's transaction; false when it is no longer leased
    /// to `worker` (its lease ran out and another claimed it), and the caller rolls back.
    fn mark_done(&self, item: &WorkItem, worker: &str) -> Result<bool, StoreError> {
        let n = self.execute(
            "UPDATE queue SET state = 'done', lease_until = NULL, error = NULL, finished = $1
             WHERE id = $2 AND worker = $3 AND state = 'leased'",
            &[super::store::now().into(), item.id.into(), worker.into()],
        )?;
        Ok(n == 1)
    }

    /// Stores a summary and completes its item together; false (nothing stored) when the
    /// item was no longer this worker's.
    pub fn complete_summary(
        &self,
        item: &WorkItem,
        worker: &str,
        key: &SummaryKey,
        s: &StoredSummary,
    ) -> Result<bool, StoreError> {
        self.complete(item, worker, |st| st.put_summary(&item.article, key, s))
    }

    /// Stores a vector and completes its item together, as [`Store::complete_summary`].
    pub fn complete_vector(
        &self,
        item: &WorkItem,
        worker: &str,
        embedder: &str,
        v: &[f32],
    ) -> Result<bool, StoreError> {
        self.complete(item, worker, |st| st.put_vector(&item.article, embedder, v))
    }

    /// Stores an article's sentence vectors and completes its item together.
    pub fn complete_sentences(
        &self,
        item: &WorkItem,
        worker: &str,
        embedder: &str,
        hash: &str,
        vectors: &[Vec<f32>],
    ) -> Result<bool, StoreError> {
        self.complete(item, worker, |st| {
            st.put_sentence_vectors(&item.article, embedder, hash, vectors)
        })
    }

    fn complete(
        &self,
        item: &WorkItem,
        worker: &str,
        put: impl FnOnce(&Store) -> Result<(), StoreError>,
    ) -> Result<bool, StoreError> {
        self.transaction(|st| {
            // Nothing written yet when the item is gone: the empty transaction commits.
            if !st.mark_done(item, worker)? {
                return Ok(false);
            }
            put(st)?;
            Ok(true)
        })
    }

    /// Records a failure; the item goes back to pending, or is parked after [`MAX_FAILURES`].
    pub fn fail(&self, item: &WorkItem, worker: &str, error: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE queue SET failures = failures + 1, error = $1, worker = NULL, lease_until = NULL,
                 state = CASE WHEN failures + 1 >= $2 THEN 'failed' ELSE 'pending' END,
                 finished = CASE WHEN failures + 1 >= $2 THEN $3 ELSE NULL END
             WHERE id = $4 AND worker = $5 AND state = 'leased'",
            &[
                error.into(),
                MAX_FAILURES.into(),
                super::store::now().into(),
                item.id.into(),
                worker.into(),
            ],
        )?;
        Ok(())
    }

    /// Items by state; with `keys`, only items under those keys (one night's work).
    pub fn queue_counts(&self, keys: Option<&[String]>) -> Result<QueueCounts, StoreError> {
        let rows = match keys {
            None => self.query("SELECT state, COUNT(*) FROM queue GROUP BY state", &[])?,
            Some(keys) => {
                let marks: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT state, COUNT(*) FROM queue WHERE key IN ({}) GROUP BY state",
                    marks.join(", ")
                );
                let params: Vec<_> = keys.iter().map(Into::into).collect();
                self.query(&sql, &params)?
            }
        };
        let mut c = QueueCounts::default();
        for r in rows {
            let n = r.int(1).unwrap_or(0) as usize;
            match r.text(0).as_deref() {
                Some("pending") => c.pending += n,
                Some("leased") => c.leased += n,
                Some("done") => c.done += n,
                Some("failed") => c.failed += n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// Items not done, oldest first: what is leased to whom, and what failed with what.
    pub fn queue_rows(&self, limit: usize) -> Result<Vec<QueueRow>, StoreError> {
        let now = self.dialect().now_ms();
        let rows = self.query(
            &format!(
                "SELECT id, kind, article, state, worker, lease_until - {now}, claims, failures, error
                 FROM queue WHERE state <> 'done' ORDER BY id LIMIT $1"
            ),
            &[limit.into()],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| QueueRow {
                id: r.int(0).unwrap_or(0),
                kind: r.text(1).unwrap_or_default(),
                article: r.text(2).unwrap_or_default(),
                state: r.text(3).unwrap_or_default(),
                worker: r.text(4),
                lease_left_ms: r.int(5),
                claims: r.int(6).unwrap_or(0),
                failures: r.int(7).unwrap_or(0),
                error: r.text(8),
            })
            .collect())
    }

    /// Forgets done items finished before `before` (RFC 3339): their results stay in the
    /// store; only the bookkeeping goes, so a year of nights does not grow the queue table
    /// that every claim scans.
    pub fn prune_done(&self, before: &str) -> Result<usize, StoreError> {
        Ok(self.execute(
            "DELETE FROM queue WHERE state = 'done' AND finished < $1",
            &[before.into()],
        )? as usize)
    }
}

/// `age` ago, as the store writes times (RFC 3339, UTC, milliseconds), so the two compare
/// as text.
pub fn cutoff(age: Duration) -> String {
    let before = chrono::Duration::from_std(age)
        .ok()
        .and_then(|d| chrono::Utc::now().checked_sub_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Forgets the done items that finished more than `age` ago; returns how many.
pub fn prune_older_than(store: &Store, age: Duration) -> Result<usize, StoreError> {
    store.prune_done(&cutoff(age))
}

/// What one night's report needs done, queued: the items the store lacks, under the keys
/// they are computed with. Returns the keys, to wait on.
pub struct Queued {
    pub keys: Vec<String>,
    pub new_items: usize,
}

/// Queues a story vector, the sentence vectors and (when the run needs them) a summary for
/// every article the store lacks them for.
pub fn enqueue_missing(
    store: &Store,
    articles: &[Article],
    embedder_key: &str,
    summaries: Option<&SummaryKey>,
) -> Result<Queued, StoreError> {
    let mut new_items = 0;
    let summary_key = summaries.map(summary_item_key);
    for a in articles {
        if store.vector(&a.content_hash, embedder_key)?.is_none() {
            store.requeue_done(WorkKind::Vector, &a.content_hash, embedder_key)?;
            new_items += store.enqueue(WorkKind::Vector, &a.content_hash, embedder_key)? as usize;
        }
        if !store.has_sentence_vectors(&a.content_hash, embedder_key)? {
            store.requeue_done(WorkKind::Sentences, &a.content_hash, embedder_key)?;
            new_items +=
                store.enqueue(WorkKind::Sentences, &a.content_hash, embedder_key)? as usize;
        }
        if let (Some(k), Some(item_key)) = (summaries, &summary_key) {
            if store.summary(&a.content_hash, k)?.is_none() {
                store.requeue_done(WorkKind::Summary, &a.content_hash, item_key)?;
                new_items += store.enqueue(WorkKind::Summary, &a.content_hash, item_key)? as usize;
            }
        }
    }
    let mut keys = vec![embedder_key.to_string()];
    keys.extend(summary_key);
    Ok(Queued { keys, new_items })
}

/// Why the report stopped waiting for the workers.
#[derive(Debug, thiserror::Error)]
pub enum DrainError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the queue did not drain within {waited_secs} s (--wait-timeout): {pending} item(s) \
         pending, {leased} leased; is a `brief worker` running on this store? The work done \
         so far is kept, and the next run carries on from it"
    )]
    TimedOut {
        waited_secs: u64,
        pending: usize,
        leased: usize,
    },
}

/// Blocks until none of the items under `keys` is pending or leased, or until `timeout` has
/// passed: a nightly job with no worker running must end with an error a scheduler sees, not
/// hang until the next night's job finds the lock held.
pub fn wait_for_drain(
    store: &Store,
    keys: &[String],
    poll: Duration,
    timeout: Option<Duration>,
) -> Result<QueueCounts, DrainError> {
    let start = Instant::now();
    let mut last_log = Instant::now();
    loop {
        let c = store.queue_counts(Some(keys))?;
        if c.outstanding() == 0 {
            return Ok(c);
        }
        if let Some(t) = timeout.filter(|t| start.elapsed() >= *t) {
            return Err(DrainError::TimedOut {
                waited_secs: t.as_secs(),
                pending: c.pending,
                leased: c.leased,
            });
        }
        if last_log.elapsed() >= Duration::from_secs(10) {
            tracing::info!(
                "waiting for workers: {} pending, {} leased, {} done, {} failed",
                c.pending,
                c.leased,
                c.done,
                c.failed
            );
            last_log = Instant::now();
        }
        std::thread::sleep(poll);
    }
}

/// Everything `brief worker` runs with.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Model, prompts and parameters: the same as the report's, or the worker's items (keyed
    /// by them) are not the report's.
    pub run: RunConfig,
    pub store: StoreLocation,
    /// How long a claim holds without a heartbeat.
    pub lease: Duration,
    /// How often an idle worker looks for work.
    pub poll: Duration,
    /// Exit once the queue has had nothing for this long; None: wait for work forever.
    pub idle_exit: Option<Duration>,
    /// This worker's name in the queue (host and pid by default).
    pub name: String,
}

/// What a worker did, for its last log line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WorkerFigures {
    pub vectors: usize,
    pub summaries: usize,
    /// Articles whose sentence vectors this worker stored.
    pub sentences: usize,
    pub failures: usize,
    /// Results thrown away because the item's lease ran out and another worker took it.
    pub lost_leases: usize,
    pub secs: f64,
}

/// This machine and process, as a worker name.
pub fn default_worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}

/// Claims, computes and completes items until the queue stays empty for `idle_exit`.
pub fn work(cfg: &WorkerConfig) -> anyhow::Result<WorkerFigures> {
    let start = Instant::now();
    let store = Store::connect(&cfg.store)?;
    let run = &cfg.run;
    let prompts = Prompts::locate(run.prompts_dir.as_deref())?;
    let resolved = crate::llm::registry::resolve_model(&run.model, &run.models_dir, run.offline)?;
    let skey = summary_key(run, &prompts, &resolved.sha256);
    let skey_item = summary_item_key(&skey);
    let ekey = embedder_id(&run.models_dir)?;
    let mut models = Lazy {
        cfg: run,
        embedder: None,
        loaded: None,
    };
    let mut figures = WorkerFigures::default();
    let mut idle_since: Option<Instant> = None;
    let splitter = Splitter::news();
    loop {
        // Story vectors first (grouping waits on all of them), then the long items before
        // the short ones, so that the short ones fill the gaps at the end of the night and
        // workers finish together.
        let order = [
            (WorkKind::Vector, ekey.as_str(), VECTOR_CLAIM),
            (WorkKind::Summary, skey_item.as_str(), summarize::BATCH),
            (WorkKind::Sentences, ekey.as_str(), SENTENCES_CLAIM),
        ];
        let mut items = Vec::new();
        for (kind, key, n) in order {
            items = store.claim(kind, key, &cfg.name, cfg.lease, n)?;
            if !items.is_empty() {
                break;
            }
        }
        if items.is_empty() {
            let since = *idle_since.get_or_insert_with(Instant::now);
            if cfg.idle_exit.is_some_and(|limit| since.elapsed() >= limit) {
                break;
            }
            std::thread::sleep(cfg.poll);
            continue;
        }
        idle_since = None;
        tracing::debug!("claimed {} {} item(s)", items.len(), items[0].kind.as_str());
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        // The heartbeat keeps the lease while the model works; its own connection, so a
        // slow statement of ours never delays it.
        let beat = Store::connect(&cfg.store)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let outcome = std::thread::scope(|scope| {
            let (beat, ids) = (&beat, &ids);
            scope.spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(cfg.lease / 3)
                {
                    match beat.heartbeat(ids, &cfg.name, cfg.lease) {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(e) => tracing::warn!("heartbeat: {e}"),
                    }
                }
            });
            let r = compute(
                &store,
                &items,
                &mut models,
                &prompts,
                &splitter,
                &skey,
                &ekey,
                cfg,
                &mut figures,
            );
            let _ = stop.send(());
            r
        });
        outcome?;
    }
    figures.secs = start.elapsed().as_secs_f64();
    Ok(figures)
}

/// Computes the claimed items and completes (or fails) each; an error here is the store's.
#[allow(clippy::too_many_arguments)]
fn compute(
    store: &Store,
    items: &[WorkItem],
    models: &mut Lazy,
    prompts: &Prompts,
    splitter: &Splitter,
    skey: &SummaryKey,
    ekey: &str,
    cfg: &WorkerConfig,
    figures: &mut WorkerFigures,
) -> anyhow::Result<()> {
    let mut articles = Vec::with_capacity(items.len());
    let mut present = Vec::with_capacity(items.len());
    for item in items {
        match store.article(&item.article)? {
            Some(a) => {
                articles.push(a);
                present.push(item);
            }
            None => {
                figures.failures += 1;
                store.fail(item, &cfg.name, "the article is not in the store")?;
            }
        }
    }
    if present.is_empty() {
        return Ok(());
    }
    let refs: Vec<&Article> = articles.iter().collect();
    let kind = present[0].kind;
    // A batch that fails is redone one item at a time, so the failure lands on the item that
    // caused it and the others complete.
    let results: Vec<anyhow::Result<Output>> = match kind {
        WorkKind::Vector => {
            let embed = |refs: &[&Article], m: &mut Lazy| -> anyhow::Result<Vec<Vec<f32>>> {
                Ok(stories::vectors(refs, splitter, m.embedder()?)?)
            };
            match embed(&refs, models) {
                Ok(vs) => vs.into_iter().map(|v| Ok(Output::Vector(v))).collect(),
                Err(_) => refs
                    .iter()
                    .map(|a| {
                        embed(std::slice::from_ref(a), models)
                            .map(|mut v| Output::Vector(v.remove(0)))
                    })
                    .collect(),
            }
        }
        WorkKind::Sentences => {
            // One article per call, as the report embeds them (`pipeline::sentence_index`).
            let embedder = models.embedder()?;
            refs.iter()
                .map(|a| {
                    let mut sentences = evidence::article_sentences(a, splitter);
                    evidence::embed_all(&mut sentences, embedder)?;
                    Ok(Output::Sentences {
                        hash: evidence::sentences_hash(&sentences),
                        vectors: sentences.into_iter().map(|s| s.embedding).collect(),
                    })
                })
                .collect()
        }
        WorkKind::Summary => {
            let run = &cfg.run;
            let model = models.model()?;
            match summarize::summarize_many(
                &mut model.model,
                prompts,
                &refs,
                &run.summary_params,
                run.style,
            ) {
                Ok(ss) => ss.into_iter().map(|s| Ok(Output::Summary(s))).collect(),
                Err(_) => refs
                    .iter()
                    .map(|a| {
                        summarize::summarize(
                            &mut model.model,
                            prompts,
                            a,
                            &run.summary_params,
                            run.style,
                        )
                        .map(Output::Summary)
                        .map_err(anyhow::Error::from)
                    })
                    .collect(),
            }
        }
    };
    for ((item, a), r) in present.iter().zip(&articles).zip(results) {
        let kept = match r {
            Ok(Output::Vector(v)) => {
                let kept = store.complete_vector(item, &cfg.name, ekey, &v)?;
                figures.vectors += kept as usize;
                kept
            }
            Ok(Output::Sentences { hash, vectors }) => {
                let kept = store.complete_sentences(item, &cfg.name, ekey, &hash, &vectors)?;
                figures.sentences += kept as usize;
                kept
            }
            Ok(Output::Summary(s)) => {
                let stored = StoredSummary {
                    summary: s.summary,
                    chunks: s.chunks,
                    prompt_tokens: s.usage.prompt_tokens,
                    generated_tokens: s.usage.generated_tokens,
                };
                let kept = store.complete_summary(item, &cfg.name, skey, &stored)?;
                figures.summaries += kept as usize;
                kept
            }
            Err(e) => {
                figures.failures += 1;
                let why = format!("{}: {e:#}", a.path);
                tracing::warn!(
                    "item {} ({} {}): {why}",
                    item.id,
                    item.kind.as_str(),
                    a.content_hash
                );
                store.fail(item, &cfg.name, &why)?;
                continue;
            }
        };
        if kept {
            tracing::info!(
                "done item {} ({} {})",
                item.id,
                item.kind.as_str(),
                item.article
            );
        } else {
            figures.lost_leases += 1;
            tracing::warn!(
                "item {} was claimed again after its lease ran out; dropping this result",
                item.id
            );
        }
    }
    Ok(())
}

enum Output {
    Vector(Vec<f32>),
    Summary(summarize::ArticleSummary),
    Sentences {
        hash: String,
        vectors: Vec<Vec<f32>>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("s.sqlite")).unwrap();
        (dir, s)
    }

    #[test]
    fn an_item_is_leased_once_and_claimed_again_only_after_its_lease() {
        let (_d, st) = store();
        assert!(st.enqueue(WorkKind::Vector, "a", "e").unwrap());
        assert!(!st.enqueue(WorkKind::Vector, "a", "e").unwrap());
        let lease = Duration::from_millis(300);
        let got = st.claim(WorkKind::Vector, "e", "w1", lease, 4).unwrap();
        assert_eq!(got.len(), 1);
        assert!(st
            .claim(WorkKind::Vector, "e", "w2", lease, 4)
            .unwrap()
            .is_empty());
        // Other keys and kinds are not this worker's.
        assert!(st
            .claim(WorkKind::Summary, "e", "w2", lease, 4)
            .unwrap()
            .is_empty());
        std::thread::sleep(Duration::from_millis(400));
        let again = st.claim(WorkKind::Vector, "e", "w2", lease, 4).unwrap();
        assert_eq!(again, got);
        // w1's late result is refused and stores nothing; w2's counts.
        assert!(!st.complete_vector(&got[0], "w1", "e", &[1.0]).unwrap());
        assert_eq!(st.vector("a", "e").unwrap(), None);
        assert!(st.complete_vector(&again[0], "w2", "e", &[2.0]).unwrap());
        assert_eq!(st.vector("a", "e").unwrap(), Some(vec![2.0]));
        let c = st.queue_counts(None).unwrap();
        assert_eq!((c.pending, c.leased, c.done, c.failed), (0, 0, 1, 0));
        assert_eq!(st.queue_rows(10).unwrap().len(), 0);
    }

    #[test]
    fn a_heartbeat_keeps_the_lease() {
        let (_d, st) = store();
        st.enqueue(WorkKind::Vector, "a", "e").unwrap();
        let lease = Duration::from_millis(300);
        let got = st.claim(WorkKind::Vector, "e", "w1", lease, 4).unwrap();
        for _ in 0..4 {
            std::thread::sleep(Duration::from_millis(150));
            assert_eq!(st.heartbeat(&[got[0].id], "w1", lease).unwrap(), 1);
        }
        assert!(st
            .claim(WorkKind::Vector, "e", "w2", lease, 4)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn three_failures_park_an_item_with_its_error() {
        let (_d, st) = store();
        st.enqueue(WorkKind::Summary, "a", "k").unwrap();
        let lease = Duration::from_secs(60);
        for n in 1..=MAX_FAILURES {
            let got = st.claim(WorkKind::Summary, "k", "w", lease, 4).unwrap();
            assert_eq!(got.len(), 1, "claim {n}");
            st.fail(&got[0], "w", &format!("boom {n}")).unwrap();
        }
        assert!(st
            .claim(WorkKind::Summary, "k", "w", lease, 4)
            .unwrap()
            .is_empty());
        let c = st.queue_counts(Some(&["k".to_string()])).unwrap();
        assert_eq!((c.pending, c.failed), (0, 1));
        let rows = st.queue_rows(10).unwrap();
        assert_eq!(rows[0].state, "failed");
        assert_eq!(rows[0].failures, MAX_FAILURES);
        assert_eq!(rows[0].error.as_deref(), Some("boom 3"));
    }

    #[test]
    fn pruning_forgets_only_old_done_items_and_keeps_their_results() {
        let (_d, st) = store();
        for a in ["a", "b", "c"] {
            st.enqueue(WorkKind::Vector, a, "e").unwrap();
        }
        let lease = Duration::from_secs(60);
        let got = st.claim(WorkKind::Vector, "e", "w", lease, 2).unwrap();
        for item in &got {
            assert!(st.complete_vector(item, "w", "e", &[1.0]).unwrap());
        }
        // A week's margin forgets nothing that finished a moment ago.
        assert_eq!(
            prune_older_than(&st, Duration::from_secs(7 * 86_400)).unwrap(),
            0
        );
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(prune_older_than(&st, Duration::ZERO).unwrap(), 2);
        let c = st.queue_counts(None).unwrap();
        assert_eq!((c.pending, c.leased, c.done), (1, 0, 0));
        assert_eq!(st.vector(&got[0].article, "e").unwrap(), Some(vec![1.0]));
    }

    #[test]
    fn waiting_on_a_queue_nobody_works_gives_up_at_the_timeout() {
        let (_d, st) = store();
        st.enqueue(WorkKind::Vector, "a", "e").unwrap();
        let keys = ["e".to_string()];
        let start = Instant::now();
        let err = wait_for_drain(
            &st,
            &keys,
            Duration::from_millis(20),
            Some(Duration::from_millis(200)),
        )
        .unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(200));
        match err {
            DrainError::TimedOut {
                pending, leased, ..
            } => assert_eq!((pending, leased), (1, 0)),
            other => panic!("{other}"),
        }
        // Drained: returns at once, timeout or not.
        let got = st
            .claim(WorkKind::Vector, "e", "w", Duration::from_secs(60), 1)
            .unwrap();
        st.complete_vector(&got[0], "w", "e", &[1.0]).unwrap();
        let c =
            wait_for_drain(&st, &keys, Duration::from_millis(20), Some(Duration::ZERO)).unwrap();
        assert_eq!(c.done, 1);
    }
}
