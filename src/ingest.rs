//! Reading articles from the command line's inputs into clean, identified articles.
//!
//! Inputs are files, directories (walked recursively) and `-` for standard input. Each
//! distinct article gets a stable id `S1`…`Sn` in input order; an article whose text is
//! identical or nearly identical to an earlier one is recorded in [`Ingested::skipped`]
//! instead of getting an id of its own.
//!
//! Policies worth knowing about:
//! - Inside a directory only `.txt`, `.md`, `.markdown`, `.html`, `.htm`, `.jsonl`,
//!   `.ndjson`, `.rss`, `.atom` and `.xml` files are read (case-insensitive), in path order;
//!   hidden entries (names starting with `.`) and symlinked directories are not followed. A
//!   named file of any other extension is read as text.
//! - One file can hold many articles: a JSON Lines file (`.jsonl`, `.ndjson`; see [`jsonl`])
//!   gives one per line, a feed (`.rss`, `.atom`, `.xml`, or any input whose content starts
//!   like an RSS, RDF or Atom document; see [`feed`]) one per entry. Their articles' paths are
//!   `FILE#N` (line or entry number, from 1), and they are deduplicated like files.
//! - A problem with a file that was named explicitly is an error. A problem with a file
//!   found while walking a directory only rejects that file (see [`Ingested::rejected`]),
//!   so one failed scrape does not sink a folder of fifty articles; a directory that yields
//!   no article at all is an error. Within a JSON Lines file or feed a bad line or entry is
//!   likewise only rejected, and a file none of whose lines or entries is usable is a
//!   problem with that file.
//! - The size limit applies to each file as a whole, a feed or JSON Lines file included.
//! - Text decoding: see [`decode`]'s module docs (UTF-8, UTF-16 with a BOM, and
//!   Windows-1252 for legacy single-byte files; anything else is called binary).

mod boilerplate;
mod clean;
mod decode;
mod dedupe;
mod feed;
mod html;
mod jsonl;
mod title;

pub mod porter;
pub mod sentences;

use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use clean::clean_text;
pub use title::detect_title;

/// Default cap on one input's size, set from the work it bounds: every stage is linear in an
/// input's length, and a 512 KiB article (some 80 chunks for the default model) is what
/// finishes within 10 minutes with the default model on 2 cores (`examples/long_article.rs`;
/// the figures are in the README's limits). Far above any news article, and a mistakenly
/// named log file or video is refused before it is read into memory. A feed or JSON Lines
/// file holds many articles, each held to this limit, and may itself be [`ENTRIES_FACTOR`]
/// times as large: its work is that of as many separate files, which a directory may hold
/// without any total limit, and a night's dump of 200 ordinary articles is already over 512 KB.
pub const DEFAULT_MAX_BYTES: u64 = 512 * 1024;

/// How many times the one-article limit a feed or JSON Lines file may be.
pub const ENTRIES_FACTOR: u64 = 64;

/// Extensions read when walking a directory.
pub const ARTICLE_EXTENSIONS: &[&str] = &[
    "txt", "md", "markdown", "html", "htm", "jsonl", "ndjson", "rss", "atom", "xml",
];

/// The path recorded for standard input.
pub const STDIN_PATH: &str = "-";

/// A source's stable id: `S1`, `S2`, … in input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ArticleId(pub u32);

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S{}", self.0)
    }
}

/// Why a string is not an [`ArticleId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a source id (expected S1, S2, …)")]
pub struct ParseArticleIdError(String);

impl FromStr for ArticleId {
    type Err = ParseArticleIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseArticleIdError(s.to_string());
        let digits = s
            .trim()
            .strip_prefix(['S', 's'])
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(bad)?;
        match digits.parse::<u32>() {
            Ok(n) if n > 0 => Ok(ArticleId(n)),
            _ => Err(bad()),
        }
    }
}

/// In JSON an id is its text (`S1`), so the schema says so rather than "an integer".
impl schemars::JsonSchema for ArticleId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ArticleId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^S[1-9][0-9]*$" })
    }
}

impl From<ArticleId> for String {
    fn from(id: ArticleId) -> Self {
        id.to_string()
    }
}

impl TryFrom<String> for ArticleId {
    type Error = ParseArticleIdError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// One cleaned article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub id: ArticleId,
    /// The path as given (or as found under a given directory); `-` for standard input.
    pub path: String,
    /// The headline, when the source has one; it is not repeated in `text`.
    pub title: Option<String>,
    /// The article body: paragraphs separated by one blank line, no boilerplate.
    pub text: String,
    /// SHA-256 (lowercase hex) of `text`.
    pub content_hash: String,
    /// Where the article lives on the web, when the source says (feeds, JSON Lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When it was published (or last updated, if that is all the source gives): RFC 3339
    /// when the source's date could be read, else the date exactly as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The source gave only a teaser or summary, so `text` is not the whole article; a
    /// briefing built on it should send readers to `url` for the rest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub teaser: bool,
}

/// An input that repeated an earlier article and so was not used again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Skipped {
    pub path: String,
    pub duplicate_of: ArticleId,
}

/// An input ingest could not use, with the typed cause (the briefing keeps it as a
/// [`crate::briefing::Rejected`]).
#[derive(Debug)]
pub struct Refused {
    pub path: String,
    pub error: IngestError,
}

/// Everything read from the inputs.
#[derive(Debug, Default)]
pub struct Ingested {
    pub articles: Vec<Article>,
    pub skipped: Vec<Skipped>,
    pub rejected: Vec<Refused>,
}

/// Tunables for [`ingest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestOptions {
    /// Largest input accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// Everything that can go wrong reading the inputs; each message names the path.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("no inputs given")]
    NoInputs,
    #[error("{path}: no such file or directory")]
    Missing { path: String },
    #[error("{path}: cannot read: {cause}")]
    Unreadable { path: String, cause: io::Error },
    #[error("{path}: file is empty")]
    Empty { path: String },
    #[error("{path}: no article text left after removing boilerplate")]
    NoText { path: String },
    #[error("{path}: looks like a binary file, not text ({reason})")]
    Binary { path: String, reason: &'static str },
    #[error("{path}: cannot tell its text encoding: {reason}")]
    Undecodable { path: String, reason: String },
    #[error("{path}: {} is over the {} limit on one article", human_size(*.size), human_size(*.limit))]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("{path}: {} is over the {} limit on one feed or JSON Lines file", human_size(*.size), human_size(*.limit))]
    TooLargeFile { path: String, size: u64, limit: u64 },
    #[error("{path}: directory holds no usable articles ({detail})")]
    NoArticlesInDir { path: String, detail: String },
    #[error("{path}:{line}: {reason}")]
    BadLine {
        path: String,
        line: usize,
        reason: String,
    },
    #[error("{path}#{entry}: {reason}")]
    BadEntry {
        path: String,
        entry: usize,
        reason: String,
    },
    #[error("{path}: not a readable feed: {reason}")]
    BadFeed { path: String, reason: String },
    #[error("{path}: no usable article in the file ({detail})")]
    NoArticlesInFile { path: String, detail: String },
    /// A file found in a directory is skipped and the run goes on; a file named on the
    /// command line (or `-`) stops the run, and the message must not say "skipped" then.
    #[error("{path}: the parser failed on this file ({reason}); {}", if *.named { "the run stopped" } else { "skipped" })]
    ParserCrashed {
        path: String,
        reason: String,
        named: bool,
    },
    #[error("{path}: a link to a directory (or a link loop); not followed")]
    LinkNotFollowed { path: String },
}

impl IngestError {
    /// The input the error is about, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::NoInputs => None,
            Self::Missing { path }
            | Self::Unreadable { path, .. }
            | Self::Empty { path }
            | Self::NoText { path }
            | Self::Binary { path, .. }
            | Self::Undecodable { path, .. }
            | Self::TooLarge { path, .. }
            | Self::TooLargeFile { path, .. }
            | Self::NoArticlesInDir { path, .. }
            | Self::BadLine { path, .. }
            | Self::BadEntry { path, .. }
            | Self::BadFeed { path, .. }
            | Self::NoArticlesInFile { path, .. }
            | Self::ParserCrashed { path, .. }
            | Self::LinkNotFollowed { path } => Some(path),
        }
    }
}

fn human_size(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / MB)
    } else if bytes >= 10 * 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads every input (`-` reads standard input, once) into articles.
pub fn ingest(inputs: &[PathBuf], opts: &IngestOptions) -> Result<Ingested, IngestError> {
    let stdin = io::stdin();
    let mut lock = stdin.lock();
    ingest_from(inputs, opts, &mut lock)
}

/// [`ingest`] with the reader that stands for `-`, so tests need no real stdin.
pub fn ingest_from(
    inputs: &[PathBuf],
    opts: &IngestOptions,
    stdin: &mut dyn Read,
) -> Result<Ingested, IngestError> {
    if inputs.is_empty() {
        return Err(IngestError::NoInputs);
    }
    let mut run = Run::new(opts);
    for input in inputs {
        if input.as_os_str() == STDIN_PATH {
            run.add_stdin(stdin)?;
        } else {
            run.add_path(input)?;
        }
    }
    Ok(run.finish())
}

/// One article's content after decoding and cleaning, before it gets an id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Document {
    title: Option<String>,
    text: String,
    url: Option<String>,
    published: Option<String>,
    teaser: bool,
}

/// What one input yields: a plain file is one document; a feed or JSON Lines file is a
/// document per entry or line, plus the entries or lines that could not be used.
#[derive(Debug, Default)]
struct Loaded {
    /// Each document with the path its article goes by.
    docs: Vec<(String, Document)>,
    rejected: Vec<Refused>,
}

impl Loaded {
    fn one(path: &str, doc: Document) -> Self {
        Self {
            docs: vec![(path.to_string(), doc)],
            rejected: Vec::new(),
        }
    }
}

/// How a source's bytes should be interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    /// Plain text or Markdown; sniffed for whole HTML documents and feeds too.
    Text,
    /// RSS, RDF or Atom, unless the content turns out to be an HTML page (`.xml` is a
    /// common extension for other things too).
    Feed,
    JsonLines,
}

impl Format {
    fn of(path: &Path) -> Self {
        match extension(path).as_deref() {
            Some("html" | "htm") => Self::Html,
            Some("rss" | "atom" | "xml") => Self::Feed,
            Some("jsonl" | "ndjson") => Self::JsonLines,
            _ => Self::Text,
        }
    }
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// State of one [`ingest_from`] call.
struct Run<'a> {
    opts: &'a IngestOptions,
    out: Ingested,
    seen: dedupe::Seen,
    /// What `-` resolved to the first time (its first article, if it held a feed), so a
    /// repeated `-` (stdin is gone by then) points at the same article.
    stdin_was: Option<ArticleId>,
}

impl<'a> Run<'a> {
    fn new(opts: &'a IngestOptions) -> Self {
        Self {
            opts,
            out: Ingested::default(),
            seen: dedupe::Seen::default(),
            stdin_was: None,
        }
    }

    fn finish(self) -> Ingested {
        self.out
    }

    fn add_stdin(&mut self, stdin: &mut dyn Read) -> Result<(), IngestError> {
        if let Some(first) = self.stdin_was {
            self.out.skipped.push(Skipped {
                path: STDIN_PATH.to_string(),
                duplicate_of: first,
            });
            return Ok(());
        }
        let bytes = read_limited(stdin, STDIN_PATH, None, self.opts.max_bytes)?;
        let loaded = parse_input(&bytes, STDIN_PATH, Format::Text).map_err(named)?;
        self.stdin_was = self.take(loaded);
        Ok(())
    }

    fn add_path(&mut self, input: &Path) -> Result<(), IngestError> {
        let shown = input.display().to_string();
        let meta = fs::metadata(input).map_err(|e| open_error(&shown, e))?;
        if meta.is_dir() {
            self.add_dir(input, &shown)
        } else {
            let loaded = load_file(input, &shown, self.opts).map_err(named)?;
            self.take(loaded);
            Ok(())
        }
    }

    fn add_dir(&mut self, dir: &Path, shown: &str) -> Result<(), IngestError> {
        let mut links = Vec::new();
        let files = list_articles(dir, &mut links).map_err(|e| open_error(shown, e))?;
        // Said, not silently dropped: a linked folder of articles would otherwise just vanish.
        self.out.rejected.extend(links.into_iter().map(|l| Refused {
            path: l.display().to_string(),
            error: IngestError::LinkNotFollowed {
                path: l.display().to_string(),
            },
        }));
        if files.is_empty() {
            return Err(IngestError::NoArticlesInDir {
                path: shown.to_string(),
                detail: format!("no .{} files", ARTICLE_EXTENSIONS.join("/.")),
            });
        }
        let before = self.out.rejected.len();
        let mut used = 0usize;
        for file in &files {
            let file_shown = file.display().to_string();
            match load_file(file, &file_shown, self.opts) {
                Ok(loaded) => {
                    self.take(loaded);
                    used += 1;
                }
                Err(error) => self.out.rejected.push(Refused {
                    path: file_shown,
                    error,
                }),
            }
        }
        if used == 0 {
            let first = self.out.rejected.get(before).map(|r| r.error.to_string());
            return Err(IngestError::NoArticlesInDir {
                path: shown.to_string(),
                detail: format!(
                    "all {} candidate files were rejected; first: {}",
                    files.len(),
                    first.unwrap_or_default()
                ),
            });
        }
        Ok(())
    }

    /// Accepts every document of one input and records its rejected parts; returns the id
    /// its first document goes by.
    fn take(&mut self, loaded: Loaded) -> Option<ArticleId> {
        self.out.rejected.extend(loaded.rejected);
        let mut first = None;
        for (path, doc) in loaded.docs {
            let id = self.accept(path, doc);
            first = first.or(Some(id));
        }
        first
    }

    /// Gives the document an id, or records it as a repeat; returns the id it goes by.
    fn accept(&mut self, path: String, doc: Document) -> ArticleId {
        let fingerprint = dedupe::Fingerprint::new(doc.title.as_deref(), &doc.text);
        if let Some(original) = self.seen.find(&fingerprint) {
            self.out.skipped.push(Skipped {
                path,
                duplicate_of: original,
            });
            return original;
        }
        let id = ArticleId(next_id(self.out.articles.len()));
        self.seen.insert(id, fingerprint);
        self.out.articles.push(Article {
            id,
            path,
            content_hash: sha256_hex(&doc.text),
            title: doc.title,
            text: doc.text,
            url: doc.url,
            published: doc.published,
            teaser: doc.teaser,
        });
        id
    }
}

/// The error of an input named on the command line, which stops the run.
fn named(e: IngestError) -> IngestError {
    match e {
        IngestError::ParserCrashed { path, reason, .. } => IngestError::ParserCrashed {
            path,
            reason,
            named: true,
        },
        other => other,
    }
}

fn next_id(count: usize) -> u32 {
    // More than four billion articles cannot fit in memory anyway.
    u32::try_from(count + 1).unwrap_or(u32::MAX)
}

fn open_error(path: &str, e: io::Error) -> IngestError {
    if e.kind() == io::ErrorKind::NotFound {
        IngestError::Missing {
            path: path.to_string(),
        }
    } else {
        IngestError::Unreadable {
            path: path.to_string(),
            cause: e,
        }
    }
}

/// All article files under `dir`, sorted by path so runs are reproducible.
fn list_articles(dir: &Path, links: &mut Vec<PathBuf>) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    walk(dir, &mut found, links)?;
    found.sort();
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, links: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if is_hidden(&path) {
            continue;
        }
        // `file_type` does not follow symlinks, so a link to a directory is never walked
        // (no cycles); a link to a file is still read through `metadata` below.
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, found, links)?;
        } else if kind.is_symlink() && fs::metadata(&path).map_or(true, |m| m.is_dir()) {
            // A link to a directory, or one that cannot be resolved (a loop, or dangling).
            links.push(path);
        } else if is_article_file(&path) && fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            found.push(path);
        }
    }
    Ok(())
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

fn is_article_file(path: &Path) -> bool {
    extension(path).is_some_and(|e| ARTICLE_EXTENSIONS.contains(&e.as_str()))
}

fn load_file(path: &Path, shown: &str, opts: &IngestOptions) -> Result<Loaded, IngestError> {
    let mut file = fs::File::open(path).map_err(|e| open_error(shown, e))?;
    // Regular files can be refused by size before reading; pipes (`<(cmd)`) have no size
    // and are capped while reading instead.
    let known = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let format = Format::of(path);
    let entries = matches!(format, Format::Feed | Format::JsonLines);
    let limit = if entries {
        opts.max_bytes.saturating_mul(ENTRIES_FACTOR)
    } else {
        opts.max_bytes
    };
    let too_large = |size| {
        let path = shown.to_string();
        if entries {
            IngestError::TooLargeFile { path, size, limit }
        } else {
            IngestError::TooLarge { path, size, limit }
        }
    };
    if let Some(size) = known.filter(|&s| s > limit) {
        return Err(too_large(size));
    }
    let bytes = match read_limited(&mut file, shown, known, limit) {
        Err(IngestError::TooLarge { size, .. }) => return Err(too_large(size)),
        other => other?,
    };
    let mut loaded = parse_input(&bytes, shown, format)?;
    if entries {
        // Each entry is one article and held to the one-article limit.
        let (kept, over): (Vec<_>, Vec<_>) = std::mem::take(&mut loaded.docs)
            .into_iter()
            .partition(|(_, d)| d.text.len() as u64 <= opts.max_bytes);
        loaded.docs = kept;
        if loaded.docs.is_empty() {
            return Err(IngestError::NoArticlesInFile {
                path: shown.to_string(),
                detail: format!(
                    "every article in it is over the {} limit on one article",
                    human_size(opts.max_bytes)
                ),
            });
        }
        loaded
            .rejected
            .extend(over.into_iter().map(|(path, d)| Refused {
                path: path.clone(),
                error: IngestError::TooLarge {
                    path,
                    size: d.text.len() as u64,
                    limit: opts.max_bytes,
                },
            }));
    }
    Ok(loaded)
}

fn read_limited(
    reader: &mut dyn Read,
    shown: &str,
    known: Option<u64>,
    max_bytes: u64,
) -> Result<Vec<u8>, IngestError> {
    let mut bytes = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|cause| IngestError::Unreadable {
            path: shown.to_string(),
            cause,
        })?;
    let read = bytes.len() as u64;
    if read > max_bytes {
        return Err(IngestError::TooLarge {
            path: shown.to_string(),
            size: known.unwrap_or(read).max(read),
            limit: max_bytes,
        });
    }
    Ok(bytes)
}

thread_local! {
    /// Set while a guarded parse runs, so the panic hook keeps its report off stderr: the
    /// panic becomes the file's one-line rejection instead.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Decodes one source's bytes and turns them into documents. The third-party parsers (feed-rs
/// and quick-xml, the HTML readers) have panicked on malformed files; a panic here is that
/// one file's failure, never the run's.
fn parse_input(bytes: &[u8], shown: &str, format: Format) -> Result<Loaded, IngestError> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(|g| g.get()) {
                previous(info);
            }
        }));
    });
    let was = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(|| parse_input_unguarded(bytes, shown, format));
    GUARDED.with(|g| g.set(was));
    result.unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
        Err(IngestError::ParserCrashed {
            path: shown.to_string(),
            reason: format!("panic: {}", reason.chars().take(200).collect::<String>()),
            named: false,
        })
    })
}

fn parse_input_unguarded(bytes: &[u8], shown: &str, format: Format) -> Result<Loaded, IngestError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty {
            path: shown.to_string(),
        });
    }
    let raw = decode::decode(bytes, shown).map_err(|e| match e {
        decode::DecodeError::Binary(reason) => IngestError::Binary {
            path: shown.to_string(),
            reason,
        },
        decode::DecodeError::Encoding(reason) => IngestError::Undecodable {
            path: shown.to_string(),
            reason,
        },
    })?;
    if raw.trim().is_empty() {
        return Err(IngestError::Empty {
            path: shown.to_string(),
        });
    }
    if format == Format::JsonLines {
        return jsonl::parse(&raw, shown);
    }
    let html_page = html::is_document(&raw);
    if feed::sniff(&raw) || (format == Format::Feed && !html_page) {
        return feed::parse(bytes, &raw, shown);
    }
    let doc = if format == Format::Html || html_page {
        html_document(&raw)
    } else {
        text_document(&raw)
    };
    if doc.text.is_empty() {
        return Err(IngestError::NoText {
            path: shown.to_string(),
        });
    }
    Ok(Loaded::one(shown, doc))
}

fn text_document(raw: &str) -> Document {
    let (front_title, rest) = clean::split_front_matter(raw);
    titled(clean_text(rest), front_title)
}

fn html_document(raw: &str) -> Document {
    let page = html::extract(raw);
    titled(clean_text(&page.text), page.title)
}

/// HTML that is part of something else (a feed entry's content, a JSON field): a whole page
/// still goes through Readability, but a fragment is only stripped of tags, since
/// Readability judges a few paragraphs too short to be an article and may drop them.
fn html_fragment_document(raw: &str, known_title: Option<String>) -> Document {
    if html::is_document(raw) {
        let mut doc = html_document(raw);
        if let Some(title) = known_title {
            doc.text = title::drop_leading_title(&doc.text, &title);
            doc.title = Some(title);
        }
        return doc;
    }
    titled(clean_text(&html::fragment_text(raw)), known_title)
}

/// A known title is removed from the top of the text; without one, the text's first line may
/// be the headline.
fn titled(cleaned: String, known: Option<String>) -> Document {
    match known {
        Some(title) => Document {
            text: title::drop_leading_title(&cleaned, &title),
            title: Some(title),
            ..Document::default()
        },
        None => {
            let (title, text) = detect_title(&cleaned);
            Document {
                title,
                text,
                ..Document::default()
            }
        }
    }
}

/// The content hash an [`Article`] carries: SHA-256 of its text, lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    crate::llm::fetch::hex(&Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests;
