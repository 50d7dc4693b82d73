//! The schema, as numbered steps. A store records the last step it took (SQLite in its
//! `user_version`, PostgreSQL in `schema_version`); opening it takes the steps it lacks, and a
//! store written by a newer brief is refused instead of misread. A step is never edited once
//! released: a change is a new step.

use super::{Backend, DbError, Dialect};

struct Step {
    version: i64,
    sqlite: &'static str,
    postgres: &'static str,
}

const STEPS: &[Step] = &[
    Step {
        version: 1,
        sqlite: "
CREATE TABLE IF NOT EXISTS articles (
    hash TEXT PRIMARY KEY, title TEXT, url TEXT, published TEXT, path TEXT NOT NULL,
    text TEXT NOT NULL, first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vectors (
    article TEXT NOT NULL, embedder TEXT NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (article, embedder)
);
CREATE TABLE IF NOT EXISTS summaries (
    article TEXT NOT NULL, model TEXT NOT NULL, prompt TEXT NOT NULL, params TEXT NOT NULL,
    summary TEXT NOT NULL, chunks INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL,
    generated_tokens INTEGER NOT NULL, created TEXT NOT NULL,
    PRIMARY KEY (article, model, prompt, params)
);
CREATE TABLE IF NOT EXISTS stories (key TEXT PRIMARY KEY, briefing TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, ended TEXT,
    status TEXT NOT NULL, params TEXT NOT NULL, articles INTEGER, stories INTEGER,
    model_calls INTEGER, report TEXT, error TEXT
);
CREATE TABLE IF NOT EXISTS reports (
    run INTEGER PRIMARY KEY REFERENCES runs(id), date TEXT NOT NULL, dir TEXT, json TEXT NOT NULL
);",
        postgres: "
CREATE TABLE articles (
    hash TEXT PRIMARY KEY, title TEXT, url TEXT, published TEXT, path TEXT NOT NULL,
    text TEXT NOT NULL, first_seen TEXT NOT NULL
);
CREATE TABLE vectors (
    article TEXT NOT NULL, embedder TEXT NOT NULL, vector BYTEA NOT NULL,
    PRIMARY KEY (article, embedder)
);
CREATE TABLE summaries (
    article TEXT NOT NULL, model TEXT NOT NULL, prompt TEXT NOT NULL, params TEXT NOT NULL,
    summary BYTEA NOT NULL, chunks BIGINT NOT NULL, prompt_tokens BIGINT NOT NULL,
    generated_tokens BIGINT NOT NULL, created TEXT NOT NULL,
    PRIMARY KEY (article, model, prompt, params)
);
CREATE TABLE stories (key TEXT PRIMARY KEY, briefing TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE runs (
    id BIGSERIAL PRIMARY KEY, started TEXT NOT NULL, ended TEXT,
    status TEXT NOT NULL, params TEXT NOT NULL, articles BIGINT, stories BIGINT,
    model_calls BIGINT, report TEXT, error TEXT
);
CREATE TABLE reports (
    run BIGINT PRIMARY KEY REFERENCES runs(id), date TEXT NOT NULL, dir TEXT, json TEXT NOT NULL
);",
    },
    // The work queue: one row per summary or vector a report needs and the store lacks.
    // `key` is what the result is keyed by besides the article (the embedder, or the model,
    // prompt and parameter hashes), so a worker claims only what it computes the same way.
    Step {
        version: 2,
        sqlite: "
CREATE TABLE queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, article TEXT NOT NULL,
    key TEXT NOT NULL, state TEXT NOT NULL, worker TEXT, lease_until INTEGER,
    claims INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, error TEXT,
    enqueued TEXT NOT NULL, finished TEXT,
    UNIQUE (kind, article, key)
);
CREATE INDEX queue_claim ON queue (kind, key, state, id);",
        postgres: "
CREATE TABLE queue (
    id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, article TEXT NOT NULL,
    key TEXT NOT NULL, state TEXT NOT NULL, worker TEXT, lease_until BIGINT,
    claims BIGINT NOT NULL DEFAULT 0, failures BIGINT NOT NULL DEFAULT 0, error TEXT,
    enqueued TEXT NOT NULL, finished TEXT,
    UNIQUE (kind, article, key)
);
CREATE INDEX queue_claim ON queue (kind, key, state, id);",
    },
    // The vectors of an article's index sentences, in order, as one blob of `count` rows;
    // `sentences` hashes their texts, so vectors of another split are never read as these.
    Step {
        version: 3,
        sqlite: "
CREATE TABLE sentence_vectors (
    article TEXT NOT NULL, embedder TEXT NOT NULL, sentences TEXT NOT NULL,
    count INTEGER NOT NULL, vectors BLOB NOT NULL,
    PRIMARY KEY (article, embedder)
);",
        postgres: "
CREATE TABLE sentence_vectors (
    article TEXT NOT NULL, embedder TEXT NOT NULL, sentences TEXT NOT NULL,
    count BIGINT NOT NULL, vectors BYTEA NOT NULL,
    PRIMARY KEY (article, embedder)
);",
    },
];

/// The newest schema this build knows.
pub const SCHEMA_VERSION: i64 = 3;

/// Serialises migrations across processes on one PostgreSQL database: workers starting
/// together must not race to create the same table.
const MIGRATION_LOCK: i64 = 0x62_72_69_65_67;

pub(super) fn apply(db: &mut dyn Backend) -> Result<(), DbError> {
    match db.dialect() {
        Dialect::Sqlite => {
            db.batch("BEGIN IMMEDIATE")?;
            let r = sqlite_steps(db);
            db.batch(if r.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
            r
        }
        Dialect::Postgres => {
            db.batch("BEGIN")?;
            let r = postgres_steps(db);
            db.batch(if r.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
            r
        }
    }
}

fn too_new(version: i64) -> DbError {
    DbError::Schema(format!(
        "written by a newer brief (schema {version}, this one knows {SCHEMA_VERSION})"
    ))
}

fn sqlite_steps(db: &mut dyn Backend) -> Result<(), DbError> {
    let version = db
        .query("PRAGMA user_version", &[])?
        .first()
        .and_then(|r| r.int(0))
        .unwrap_or(0);
    if version > SCHEMA_VERSION {
        return Err(too_new(version));
    }
    for step in STEPS.iter().filter(|s| s.version > version) {
        db.batch(step.sqlite)?;
        db.batch(&format!("PRAGMA user_version = {}", step.version))?;
    }
    Ok(())
}

fn postgres_steps(db: &mut dyn Backend) -> Result<(), DbError> {
    db.execute("SELECT pg_advisory_xact_lock($1)", &[MIGRATION_LOCK.into()])?;
    db.batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
    let version = db
        .query("SELECT MAX(version) FROM schema_version", &[])?
        .first()
        .and_then(|r| r.int(0))
        .unwrap_or(0);
    if version > SCHEMA_VERSION {
        return Err(too_new(version));
    }
    for step in STEPS.iter().filter(|s| s.version > version) {
        db.batch(step.postgres)?;
        db.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[step.version.into()],
        )?;
    }
    Ok(())
}
