//! The nightly job's memory: the articles seen (by content hash), their story vectors, the
//! model's summaries, finished story briefings, runs, reports and the work queue that
//! `brief worker`s share (see [`queue`](crate::report::queue)).
//!
//! Two backends behind one set of methods: an embedded SQLite file (the default) and a
//! PostgreSQL server (`postgres://…`), so that workers on many machines share one store. Both
//! hold the same tables under the same versioned migrations (`migrations`), and every
//! statement is written once for both: `$1…` parameters and the SQL the two agree on.
//!
//! Every write commits on its own (SQLite in WAL mode): a run killed at any moment keeps
//! everything it finished, and the rerun picks up from there. Summaries are keyed by everything
//! that shapes them (article, model sha256, prompt hash, generation parameters and weight
//! format), so changing one of those recomputes exactly what depends on it.

mod migrations;
mod postgres;
mod sqlite;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;

use crate::ingest::Article;

pub use self::postgres::AdvisoryLock;

/// Where a store lives: a SQLite file, or a PostgreSQL server by its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl StoreLocation {
    /// `postgres://…` or `postgresql://…` is a server; anything else a SQLite file's path.
    pub fn parse(s: &str) -> Self {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Self::Postgres(s.to_string())
        } else {
            Self::Sqlite(PathBuf::from(s))
        }
    }
}

/// Shown in messages and logs without the password a URL may carry.
impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "{}", p.display()),
            Self::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user@host/db`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((auth, host)) => {
            let user = auth.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

/// What went wrong underneath, from either backend.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", postgres::describe(.0))]
    Postgres(#[from] ::postgres::Error),
    #[error("{0}")]
    Schema(String),
}

#[derive(Debug, thiserror::Error)]
#[error("store {path}: {source}")]
pub struct StoreError {
    pub path: String,
    #[source]
    pub source: DbError,
}

/// A parameter or a column value; the two backends agree on these three types.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(Some(s.to_string()))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(Some(s))
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Self::Text(Some(s.clone()))
    }
}
impl From<Option<&str>> for Value {
    fn from(s: Option<&str>) -> Self {
        Self::Text(s.map(str::to_string))
    }
}
impl From<&Option<String>> for Value {
    fn from(s: &Option<String>) -> Self {
        Self::Text(s.clone())
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Self::Int(Some(n))
    }
}
impl From<usize> for Value {
    fn from(n: usize) -> Self {
        Self::Int(Some(n as i64))
    }
}
impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Self::Blob(Some(b))
    }
}

/// One result row.
#[derive(Debug, Clone)]
pub(crate) struct Row(pub Vec<Value>);

impl Row {
    pub fn text(&self, i: usize) -> Option<String> {
        match &self.0[i] {
            Value::Text(t) => t.clone(),
            Value::Int(n) => n.map(|n| n.to_string()),
            // Text that PostgreSQL keeps as bytes (see `postgres::coerce`).
            Value::Blob(b) => b
                .as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
        }
    }
    pub fn int(&self, i: usize) -> Option<i64> {
        match &self.0[i] {
            Value::Int(n) => *n,
            Value::Text(t) => t.as_deref().and_then(|t| t.parse().ok()),
            Value::Blob(_) => None,
        }
    }
    pub fn blob(&self, i: usize) -> Option<Vec<u8>> {
        match &self.0[i] {
            Value::Blob(b) => b.clone(),
            _ => None,
        }
    }
}

/// Which SQL dialect a statement is for, where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Milliseconds since the epoch by the store's clock: leases compare against one clock,
    /// the server's, not each worker machine's.
    pub fn now_ms(self) -> &'static str {
        match self {
            Self::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
            Self::Postgres => "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)",
        }
    }
}

/// A connection to one backend.
pub(crate) trait Backend: Send {
    fn dialect(&self) -> Dialect;
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;
    /// Several statements without parameters (schema, BEGIN, COMMIT).
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
}

/// What a summary depends on besides the article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryKey {
    pub model_sha256: String,
    pub prompt_hash: String,
    pub params_hash: String,
}

/// A summary as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSummary {
    pub summary: String,
    pub chunks: usize,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
}

/// One row of `brief history`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RunRow {
    pub id: i64,
    pub started: String,
    pub ended: Option<String>,
    pub status: String,
    pub articles: Option<i64>,
    pub stories: Option<i64>,
    pub model_calls: Option<i64>,
    pub report: Option<String>,
    pub error: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Ok,
    Failed,
    /// Found still "running" by a later run that holds the lock: its process died.
    Killed,
}

impl RunStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Killed => "killed",
        }
    }
}

/// What a finished run produced.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    pub articles: usize,
    pub stories: usize,
    pub model_calls: usize,
    pub report: Option<String>,
    pub error: Option<String>,
}

pub struct Store {
    db: Mutex<Box<dyn Backend>>,
    location: StoreLocation,
}

/// The default store: `$XDG_DATA_HOME/brief/store.sqlite`.
pub fn default_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("brief")
        .join("store.sqlite")
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    /// A SQLite store.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::connect(&StoreLocation::Sqlite(path.to_path_buf()))
    }

    /// Opens (creating where needed) and migrates the store at `location`.
    pub fn connect(location: &StoreLocation) -> Result<Self, StoreError> {
        let err = |source| StoreError {
            path: location.to_string(),
            source,
        };
        let mut db: Box<dyn Backend> = match location {
            StoreLocation::Sqlite(path) => Box::new(sqlite::Sqlite::open(path).map_err(err)?),
            StoreLocation::Postgres(url) => {
                Box::new(postgres::Postgres::connect(url).map_err(err)?)
            }
        };
        migrations::apply(db.as_mut()).map_err(err)?;
        Ok(Self {
            db: Mutex::new(db),
            location: location.clone(),
        })
    }

    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    pub(crate) fn dialect(&self) -> Dialect {
        self.db().dialect()
    }

    fn db(&self) -> MutexGuard<'_, Box<dyn Backend>> {
        // A panic while holding it leaves the connection as usable as before.
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn err(&self, source: DbError) -> StoreError {
        StoreError {
            path: self.location.to_string(),
            source,
        }
    }

    pub(crate) fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        self.db().execute(sql, params).map_err(|e| self.err(e))
    }

    pub(crate) fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        self.db().query(sql, params).map_err(|e| self.err(e))
    }

    fn query_one(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs `f` in one transaction: all of its writes commit together, or none does.
    pub(crate) fn transaction<T>(
        &self,
        f: impl FnOnce(&Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let begin = match self.dialect() {
            // Take the write lock up front, so two writers never deadlock upgrading.
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        self.db().batch(begin).map_err(|e| self.err(e))?;
        match f(self) {
            Ok(v) => {
                self.db().batch("COMMIT").map_err(|e| self.err(e))?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.db().batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Records an article the first time it is seen; later sightings change nothing.
    pub fn put_article(&self, a: &Article) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO articles (hash, title, url, published, path, text, first_seen)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hash) DO NOTHING",
            &[
                (&a.content_hash).into(),
                (&a.title).into(),
                (&a.url).into(),
                (&a.published).into(),
                (&a.path).into(),
                (&a.text).into(),
                now().into(),
            ],
        )?;
        Ok(())
    }

    /// An article as first stored, for a worker that never saw the input files.
    pub fn article(&self, hash: &str) -> Result<Option<Article>, StoreError> {
        let row = self.query_one(
            "SELECT title, url, published, path, text FROM articles WHERE hash = $1",
            &[hash.into()],
        )?;
        Ok(row.map(|r| Article {
            id: crate::ingest::ArticleId(1),
            path: r.text(3).unwrap_or_default(),
            title: r.text(0),
            text: r.text(4).unwrap_or_default(),
            content_hash: hash.to_string(),
            url: r.text(1),
            published: r.text(2),
            teaser: false,
        }))
    }

    /// When the article was first seen, if ever.
    pub fn first_seen(&self, hash: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .query_one(
                "SELECT first_seen FROM articles WHERE hash = $1",
                &[hash.into()],
            )?
            .and_then(|r| r.text(0)))
    }

    pub fn vector(&self, article: &str, embedder: &str) -> Result<Option<Vec<f32>>, StoreError> {
        let blob = self
            .query_one(
                "SELECT vector FROM vectors WHERE article = $1 AND embedder = $2",
                &[article.into(), embedder.into()],
            )?
            .and_then(|r| r.blob(0));
        Ok(blob.map(|b| {
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        }))
    }

    pub fn put_vector(&self, article: &str, embedder: &str, v: &[f32]) -> Result<(), StoreError> {
        let blob: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.execute(
            "INSERT INTO vectors (article, embedder, vector) VALUES ($1, $2, $3)
             ON CONFLICT (article, embedder) DO UPDATE SET vector = excluded.vector",
            &[article.into(), embedder.into(), blob.into()],
        )?;
        Ok(())
    }

    /// The vectors of an article's index sentences, when stored for the sentences `hash`
    /// names (another split or bound is another set of sentences: None).
    pub fn sentence_vectors(
        &self,
        article: &str,
        embedder: &str,
        hash: &str,
    ) -> Result<Option<Vec<Vec<f32>>>, StoreError> {
        let Some(row) = self.query_one(
            "SELECT count, vectors FROM sentence_vectors
             WHERE article = $1 AND embedder = $2 AND sentences = $3",
            &[article.into(), embedder.into(), hash.into()],
        )?
        else {
            return Ok(None);
        };
        let (Some(count), Some(blob)) = (row.int(0), row.blob(1)) else {
            return Ok(None);
        };
        let floats: Vec<f32> = blob
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let count = count.max(0) as usize;
        if count == 0 {
            return Ok(Some(Vec::new()));
        }
        if !floats.len().is_multiple_of(count) {
            return Ok(None);
        }
        Ok(Some(
            floats
                .chunks_exact(floats.len() / count)
                .map(<[f32]>::to_vec)
                .collect(),
        ))
    }

    pub fn put_sentence_vectors(
        &self,
        article: &str,
        embedder: &str,
        hash: &str,
        vectors: &[Vec<f32>],
    ) -> Result<(), StoreError> {
        let blob: Vec<u8> = vectors
            .iter()
            .flatten()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        self.execute(
            "INSERT INTO sentence_vectors (article, embedder, sentences, count, vectors)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (article, embedder) DO UPDATE
             SET sentences = excluded.sentences, count = excluded.count, vectors = excluded.vectors",
            &[
                article.into(),
                embedder.into(),
                hash.into(),
                (vectors.len() as i64).into(),
                blob.into(),
            ],
        )?;
        Ok(())
    }

    /// Forgets the sentence vectors of articles first seen before `before` (RFC 3339) that
    /// are not in `keep` (tonight's input): an article that still comes in every night keeps
    /// them, one that comes back after a while is embedded again. Returns how many articles.
    pub fn prune_sentence_vectors(
        &self,
        before: &str,
        keep: &std::collections::HashSet<&str>,
    ) -> Result<usize, StoreError> {
        let old: Vec<String> = self
            .query(
                "SELECT DISTINCT v.article FROM sentence_vectors v
                 JOIN articles a ON a.hash = v.article WHERE a.first_seen < $1",
                &[before.into()],
            )?
            .into_iter()
            .filter_map(|r| r.text(0))
            .filter(|h| !keep.contains(h.as_str()))
            .collect();
        self.transaction(|st| {
            for h in &old {
                st.execute(
                    "DELETE FROM sentence_vectors WHERE article = $1",
                    &[h.into()],
                )?;
            }
            Ok(())
        })?;
        Ok(old.len())
    }

    /// Whether an article has sentence vectors under this embedder, for whatever sentences:
    /// what the queue asks before it hands the work to a worker.
    pub fn has_sentence_vectors(&self, article: &str, embedder: &str) -> Result<bool, StoreError> {
        Ok(self
            .query_one(
                "SELECT 1 FROM sentence_vectors WHERE article = $1 AND embedder = $2",
                &[article.into(), embedder.into()],
            )?
            .is_some())
    }

    pub fn summary(
        &self,
        article: &str,
        key: &SummaryKey,
    ) -> Result<Option<StoredSummary>, StoreError> {
        let row = self.query_one(
            "SELECT summary, chunks, prompt_tokens, generated_tokens FROM summaries
             WHERE article = $1 AND model = $2 AND prompt = $3 AND params = $4",
            &[
                article.into(),
                (&key.model_sha256).into(),
                (&key.prompt_hash).into(),
                (&key.params_hash).into(),
            ],
        )?;
        Ok(row.map(|r| StoredSummary {
            summary: r.text(0).unwrap_or_default(),
            chunks: r.int(1).unwrap_or(0) as usize,
            prompt_tokens: r.int(2).unwrap_or(0) as usize,
            generated_tokens: r.int(3).unwrap_or(0) as usize,
        }))
    }

    pub fn put_summary(
        &self,
        article: &str,
        key: &SummaryKey,
        s: &StoredSummary,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO summaries
             (article, model, prompt, params, summary, chunks, prompt_tokens, generated_tokens, created)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (article, model, prompt, params) DO UPDATE SET
             summary = excluded.summary, chunks = excluded.chunks,
             prompt_tokens = excluded.prompt_tokens, generated_tokens = excluded.generated_tokens,
             created = excluded.created",
            &[
                article.into(),
                (&key.model_sha256).into(),
                (&key.prompt_hash).into(),
                (&key.params_hash).into(),
                (&s.summary).into(),
                s.chunks.into(),
                s.prompt_tokens.into(),
                s.generated_tokens.into(),
                now().into(),
            ],
        )?;
        Ok(())
    }

    /// How many summaries the store holds (all models and prompts).
    pub fn summaries_count(&self) -> Result<usize, StoreError> {
        Ok(self
            .query_one("SELECT COUNT(*) FROM summaries", &[])?
            .and_then(|r| r.int(0))
            .unwrap_or(0) as usize)
    }

    /// A finished story briefing (JSON), by the key of everything it was made from.
    pub fn story(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .query_one("SELECT briefing FROM stories WHERE key = $1", &[key.into()])?
            .and_then(|r| r.text(0)))
    }

    pub fn put_story(&self, key: &str, briefing_json: &str) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO stories (key, briefing, created) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET briefing = excluded.briefing, created = excluded.created",
            &[key.into(), briefing_json.into(), now().into()],
        )?;
        Ok(())
    }

    /// Marks runs left "running" by a process that died. Call only while holding the run lock:
    /// then no other run can be alive.
    pub fn close_dead_runs(&self) -> Result<usize, StoreError> {
        Ok(self.execute(
            "UPDATE runs SET status = $1, ended = $2, error = 'the process died before finishing'
             WHERE status = $3",
            &[
                RunStatus::Killed.as_str().into(),
                now().into(),
                RunStatus::Running.as_str().into(),
            ],
        )? as usize)
    }

    pub fn begin_run(&self, params_json: &str) -> Result<i64, StoreError> {
        let row = self.query_one(
            "INSERT INTO runs (started, status, params) VALUES ($1, $2, $3) RETURNING id",
            &[
                now().into(),
                RunStatus::Running.as_str().into(),
                params_json.into(),
            ],
        )?;
        row.and_then(|r| r.int(0))
            .ok_or_else(|| self.err(DbError::Schema("no id for the new run".into())))
    }

    pub fn end_run(&self, id: i64, status: RunStatus, o: &RunOutcome) -> Result<(), StoreError> {
        self.execute(
            "UPDATE runs SET ended = $1, status = $2, articles = $3, stories = $4,
             model_calls = $5, report = $6, error = $7 WHERE id = $8",
            &[
                now().into(),
                status.as_str().into(),
                o.articles.into(),
                o.stories.into(),
                o.model_calls.into(),
                (&o.report).into(),
                (&o.error).into(),
                id.into(),
            ],
        )?;
        Ok(())
    }

    pub fn put_report(
        &self,
        run: i64,
        date: &str,
        dir: Option<&str>,
        json: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO reports (run, date, dir, json) VALUES ($1, $2, $3, $4)
             ON CONFLICT (run) DO UPDATE SET date = excluded.date, dir = excluded.dir,
             json = excluded.json",
            &[run.into(), date.into(), dir.into(), json.into()],
        )?;
        Ok(())
    }

    /// The newest report of a finished run dated before `date` (the one "new since" compares
    /// with), as (date, JSON).
    pub fn previous_report(&self, date: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .query_one(
                "SELECT reports.date, reports.json FROM reports JOIN runs ON runs.id = reports.run
                 WHERE runs.status = 'ok' AND reports.date < $1
                 ORDER BY reports.date DESC, reports.run DESC LIMIT 1",
                &[date.into()],
            )?
            .map(|r| (r.text(0).unwrap_or_default(), r.text(1).unwrap_or_default())))
    }

    /// Past runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRow>, StoreError> {
        let rows = self.query(
            "SELECT id, started, ended, status, articles, stories, model_calls, report, error
             FROM runs ORDER BY id DESC LIMIT $1",
            &[limit.into()],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| RunRow {
                id: r.int(0).unwrap_or(0),
                started: r.text(1).unwrap_or_default(),
                ended: r.text(2),
                status: r.text(3).unwrap_or_default(),
                articles: r.int(4),
                stories: r.int(5),
                model_calls: r.int(6),
                report: r.text(7),
                error: r.text(8),
            })
            .collect())
    }

    /// Dated reports of finished runs, newest first, for the index page: (date, dir, JSON).
    pub fn reports(&self) -> Result<Vec<(String, Option<String>, String)>, StoreError> {
        let rows = self.query(
            "SELECT reports.date, reports.dir, reports.json FROM reports
             JOIN runs ON runs.id = reports.run WHERE runs.status = 'ok'
             ORDER BY reports.date DESC, reports.run DESC",
            &[],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.text(0).unwrap_or_default(),
                    r.text(1),
                    r.text(2).unwrap_or_default(),
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(model: &str) -> SummaryKey {
        SummaryKey {
            model_sha256: model.into(),
            prompt_hash: "p".into(),
            params_hash: "q".into(),
        }
    }

    #[test]
    fn summaries_are_found_only_under_their_whole_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        let s = StoredSummary {
            summary: "A thing happened.".into(),
            chunks: 1,
            prompt_tokens: 10,
            generated_tokens: 5,
        };
        store.put_summary("h1", &key("m1"), &s).unwrap();
        assert_eq!(store.summary("h1", &key("m1")).unwrap(), Some(s));
        assert_eq!(store.summary("h1", &key("m2")).unwrap(), None);
        assert_eq!(store.summary("h2", &key("m1")).unwrap(), None);
    }

    #[test]
    fn vectors_round_trip_and_reopening_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/s.sqlite");
        {
            let store = Store::open(&path).unwrap();
            store.put_vector("h", "e", &[0.5, -1.25, 3.0]).unwrap();
            store.put_story("k", "{}").unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.vector("h", "e").unwrap(), Some(vec![0.5, -1.25, 3.0]));
        assert_eq!(store.story("k").unwrap().as_deref(), Some("{}"));
    }

    #[test]
    fn sentence_vectors_are_found_only_for_the_sentences_they_were_made_from() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        let v = vec![vec![0.5, -1.0], vec![2.0, 0.25], vec![-3.0, 1.5]];
        assert!(!store.has_sentence_vectors("h", "e").unwrap());
        store.put_sentence_vectors("h", "e", "split1", &v).unwrap();
        assert!(store.has_sentence_vectors("h", "e").unwrap());
        assert_eq!(store.sentence_vectors("h", "e", "split1").unwrap(), Some(v));
        // Another split of the article, or another embedder: not these vectors.
        assert_eq!(store.sentence_vectors("h", "e", "split2").unwrap(), None);
        assert_eq!(store.sentence_vectors("h", "e2", "split1").unwrap(), None);
        // An article with no checkable sentence keeps that answer too.
        store.put_sentence_vectors("g", "e", "none", &[]).unwrap();
        assert_eq!(
            store.sentence_vectors("g", "e", "none").unwrap(),
            Some(vec![])
        );
        // A new split replaces the old one.
        store
            .put_sentence_vectors("h", "e", "split2", &[vec![1.0]])
            .unwrap();
        assert_eq!(store.sentence_vectors("h", "e", "split1").unwrap(), None);
        assert_eq!(
            store.sentence_vectors("h", "e", "split2").unwrap(),
            Some(vec![vec![1.0]])
        );
    }

    #[test]
    fn pruning_forgets_the_sentence_vectors_of_old_articles_not_in_tonights_input() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        for h in ["gone", "still"] {
            store
                .put_article(&Article {
                    id: crate::ingest::ArticleId(1),
                    path: format!("{h}.txt"),
                    title: None,
                    text: "text".into(),
                    content_hash: h.into(),
                    url: None,
                    published: None,
                    teaser: false,
                })
                .unwrap();
            store
                .put_sentence_vectors(h, "e", "split", &[vec![1.0]])
                .unwrap();
        }
        let tonight: std::collections::HashSet<&str> = ["still"].into_iter().collect();
        // Nothing is old yet.
        assert_eq!(
            store
                .prune_sentence_vectors("2000-01-01T00:00:00.000Z", &tonight)
                .unwrap(),
            0
        );
        // Both are old; the one in tonight's input stays.
        assert_eq!(
            store
                .prune_sentence_vectors("9999-01-01T00:00:00.000Z", &tonight)
                .unwrap(),
            1
        );
        assert!(!store.has_sentence_vectors("gone", "e").unwrap());
        assert!(store.has_sentence_vectors("still", "e").unwrap());
        assert!(store.article("gone").unwrap().is_some());
    }

    #[test]
    fn a_run_left_running_is_marked_killed_and_its_report_is_not_previous() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        let ok = store.begin_run("{}").unwrap();
        store.put_report(ok, "2026-01-01", None, "old").unwrap();
        store
            .end_run(ok, RunStatus::Ok, &RunOutcome::default())
            .unwrap();
        let dead = store.begin_run("{}").unwrap();
        store.put_report(dead, "2026-01-02", None, "torn").unwrap();
        assert_eq!(store.close_dead_runs().unwrap(), 1);
        let runs = store.runs(10).unwrap();
        assert_eq!(runs[0].id, dead);
        assert_eq!(runs[0].status, "killed");
        let prev = store.previous_report("2026-01-03").unwrap().unwrap();
        assert_eq!(prev, ("2026-01-01".to_string(), "old".to_string()));
        assert_eq!(store.previous_report("2026-01-01").unwrap(), None);
    }
}
