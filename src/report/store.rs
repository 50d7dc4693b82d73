//! The nightly job's memory: one SQLite file with the articles seen (by content hash), their
//! story vectors, the model's summaries, finished story briefings, runs and reports.
//!
//! Every write commits on its own, in WAL mode: a run killed at any moment keeps everything it
//! finished, and the rerun picks up from there. Summaries are keyed by everything that shapes
//! them (article, model sha256, prompt hash, generation parameters), so changing one of those
//! recomputes exactly what depends on it.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::ingest::Article;

#[derive(Debug, thiserror::Error)]
#[error("store {path}: {source}")]
pub struct StoreError {
    pub path: String,
    #[source]
    pub source: rusqlite::Error,
}

/// The schema's version, in SQLite's `user_version`; a store written by a newer brief is
/// refused instead of misread.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS articles (
    hash TEXT PRIMARY KEY,
    title TEXT,
    url TEXT,
    published TEXT,
    path TEXT NOT NULL,
    text TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vectors (
    article TEXT NOT NULL,
    embedder TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (article, embedder)
);
CREATE TABLE IF NOT EXISTS summaries (
    article TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    params TEXT NOT NULL,
    summary TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    generated_tokens INTEGER NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (article, model, prompt, params)
);
CREATE TABLE IF NOT EXISTS stories (
    key TEXT PRIMARY KEY,
    briefing TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    ended TEXT,
    status TEXT NOT NULL,
    params TEXT NOT NULL,
    articles INTEGER,
    stories INTEGER,
    model_calls INTEGER,
    report TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS reports (
    run INTEGER PRIMARY KEY REFERENCES runs(id),
    date TEXT NOT NULL,
    dir TEXT,
    json TEXT NOT NULL
);
";

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
    conn: Connection,
    path: PathBuf,
}

/// The default store: `$XDG_DATA_HOME/brief/store.sqlite`.
pub fn default_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("brief")
        .join("store.sqlite")
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let err = |source| StoreError {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // A missing directory surfaces as SQLite's "unable to open" below, with the path.
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(err)?;
        // Another process (a second run waiting for the lock, `brief history`) may read while
        // a run writes; WAL keeps both safe and a crash leaves the last commit intact.
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        if version > SCHEMA_VERSION {
            return Err(err(rusqlite::Error::InvalidParameterName(format!(
                "written by a newer brief (schema {version}, this one knows {SCHEMA_VERSION})"
            ))));
        }
        conn.execute_batch(SCHEMA).map_err(err)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(err)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Records an article the first time it is seen; later sightings change nothing.
    pub fn put_article(&self, a: &Article) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO articles (hash, title, url, published, path, text, first_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![a.content_hash, a.title, a.url, a.published, a.path, a.text, now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// When the article was first seen, if ever.
    pub fn first_seen(&self, hash: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT first_seen FROM articles WHERE hash = ?1",
                [hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn vector(&self, article: &str, embedder: &str) -> Result<Option<Vec<f32>>, StoreError> {
        let blob: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT vector FROM vectors WHERE article = ?1 AND embedder = ?2",
                [article, embedder],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(blob.map(|b| {
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        }))
    }

    pub fn put_vector(&self, article: &str, embedder: &str, v: &[f32]) -> Result<(), StoreError> {
        let blob: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.conn
            .execute(
                "INSERT OR REPLACE INTO vectors (article, embedder, vector) VALUES (?1, ?2, ?3)",
                params![article, embedder, blob],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn summary(
        &self,
        article: &str,
        key: &SummaryKey,
    ) -> Result<Option<StoredSummary>, StoreError> {
        self.conn
            .query_row(
                "SELECT summary, chunks, prompt_tokens, generated_tokens FROM summaries
                 WHERE article = ?1 AND model = ?2 AND prompt = ?3 AND params = ?4",
                [
                    article,
                    &key.model_sha256,
                    &key.prompt_hash,
                    &key.params_hash,
                ],
                |r| {
                    Ok(StoredSummary {
                        summary: r.get(0)?,
                        chunks: r.get::<_, i64>(1)? as usize,
                        prompt_tokens: r.get::<_, i64>(2)? as usize,
                        generated_tokens: r.get::<_, i64>(3)? as usize,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn put_summary(
        &self,
        article: &str,
        key: &SummaryKey,
        s: &StoredSummary,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO summaries
                 (article, model, prompt, params, summary, chunks, prompt_tokens, generated_tokens, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    article,
                    key.model_sha256,
                    key.prompt_hash,
                    key.params_hash,
                    s.summary,
                    s.chunks as i64,
                    s.prompt_tokens as i64,
                    s.generated_tokens as i64,
                    now()
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// How many summaries the store holds (all models and prompts).
    pub fn summaries_count(&self) -> Result<usize, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM summaries", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|e| self.err(e))
    }

    /// A finished story briefing (JSON), by the key of everything it was made from.
    pub fn story(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT briefing FROM stories WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn put_story(&self, key: &str, briefing_json: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO stories (key, briefing, created) VALUES (?1, ?2, ?3)",
                params![key, briefing_json, now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Marks runs left "running" by a process that died. Call only while holding the run lock:
    /// then no other run can be alive.
    pub fn close_dead_runs(&self) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE runs SET status = ?1, ended = ?2, error = 'the process died before finishing'
                 WHERE status = ?3",
                params![
                    RunStatus::Killed.as_str(),
                    now(),
                    RunStatus::Running.as_str()
                ],
            )
            .map_err(|e| self.err(e))
    }

    pub fn begin_run(&self, params_json: &str) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO runs (started, status, params) VALUES (?1, ?2, ?3)",
                params![now(), RunStatus::Running.as_str(), params_json],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn end_run(&self, id: i64, status: RunStatus, o: &RunOutcome) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE runs SET ended = ?1, status = ?2, articles = ?3, stories = ?4,
                 model_calls = ?5, report = ?6, error = ?7 WHERE id = ?8",
                params![
                    now(),
                    status.as_str(),
                    o.articles as i64,
                    o.stories as i64,
                    o.model_calls as i64,
                    o.report,
                    o.error,
                    id
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn put_report(
        &self,
        run: i64,
        date: &str,
        dir: Option<&str>,
        json: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO reports (run, date, dir, json) VALUES (?1, ?2, ?3, ?4)",
                params![run, date, dir, json],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The newest report of a finished run dated before `date` (the one "new since" compares
    /// with), as (date, JSON).
    pub fn previous_report(&self, date: &str) -> Result<Option<(String, String)>, StoreError> {
        self.conn
            .query_row(
                "SELECT reports.date, reports.json FROM reports JOIN runs ON runs.id = reports.run
                 WHERE runs.status = 'ok' AND reports.date < ?1
                 ORDER BY reports.date DESC, reports.run DESC LIMIT 1",
                [date],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Past runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, started, ended, status, articles, stories, model_calls, report, error
                 FROM runs ORDER BY id DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    started: r.get(1)?,
                    ended: r.get(2)?,
                    status: r.get(3)?,
                    articles: r.get(4)?,
                    stories: r.get(5)?,
                    model_calls: r.get(6)?,
                    report: r.get(7)?,
                    error: r.get(8)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Dated reports of finished runs, newest first, for the index page: (date, dir, JSON).
    pub fn reports(&self) -> Result<Vec<(String, Option<String>, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT reports.date, reports.dir, reports.json FROM reports
                 JOIN runs ON runs.id = reports.run WHERE runs.status = 'ok'
                 ORDER BY reports.date DESC, reports.run DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
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
