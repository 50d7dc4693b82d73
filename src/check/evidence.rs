//! Evidence: for a statement, the sentences in each source that support it, scored by meaning
//! (embedding cosine) and by the names and numbers they share; and grounding checks for the
//! figures and quotations a statement contains.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::briefing::Evidence;
use crate::ingest::sentences::Splitter;
use crate::ingest::{Article, ArticleId};
use crate::llm::embed::{cosine, EmbedError, Embedder};

/// The evidence score a sentence needs to support a statement. See docs/thresholds.md for
/// how it was chosen: articles on one story are all on one topic, so meaning
/// alone (cosine 0.55-0.75 between any two of their sentences) cannot tell support from
/// topicality; the statement's names and numbers must be there too.
pub const SUPPORT: f32 = 0.66;

/// One sentence of a source, with what matching needs.
#[derive(Debug, Clone)]
pub struct Sentence {
    pub source: ArticleId,
    /// Index of the sentence in its article, from 0.
    pub position: usize,
    pub text: String,
    pub embedding: Vec<f32>,
    pub terms: BTreeSet<String>,
}

/// Every sentence of every source, embedded once per run.
pub struct Index {
    pub sentences: Vec<Sentence>,
    pub sources: Vec<ArticleId>,
}

/// Sentences shorter than this many words carry no checkable statement.
const MIN_WORDS: usize = 5;

impl Index {
    pub fn build(
        articles: &[Article],
        splitter: &Splitter,
        embedder: &Embedder,
    ) -> Result<Self, EmbedError> {
        let mut sentences = Vec::new();
        for a in articles {
            sentences.extend(sentences_of(a.id, &a.text, splitter));
        }
        embed_all(&mut sentences, embedder)?;
        Ok(Self {
            sentences,
            sources: articles.iter().map(|a| a.id).collect(),
        })
    }

    /// The best supporting sentence in each source, best first, for a statement already
    /// embedded.
    pub fn evidence(&self, text: &str, embedding: &[f32]) -> Vec<Evidence> {
        let terms = key_terms(text);
        // One pass over the sentences, best per source: a story of hundreds of articles has
        // thousands of sentences, and this runs once per candidate point.
        let mut best: std::collections::BTreeMap<ArticleId, (f32, &Sentence)> =
            std::collections::BTreeMap::new();
        for s in &self.sentences {
            let sc = score(embedding, &terms, s);
            match best.get(&s.source) {
                Some((b, _)) if *b > sc => {}
                _ => {
                    best.insert(s.source, (sc, s));
                }
            }
        }
        let mut out: Vec<Evidence> = self
            .sources
            .iter()
            .filter_map(|id| best.get(id))
            .map(|(sc, s)| Evidence {
                source: s.source,
                sentence: s.text.clone(),
                score: *sc,
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out
    }

    /// The part of the index that belongs to some sources: for ranking within a group of
    /// articles without embedding anything again.
    pub fn subset(&self, sources: &[ArticleId]) -> Index {
        Index {
            sentences: self
                .sentences
                .iter()
                .filter(|s| sources.contains(&s.source))
                .cloned()
                .collect(),
            sources: sources.to_vec(),
        }
    }
}

/// The checkable sentences of one text, not yet embedded ([`embed_all`]).
pub fn sentences_of(source: ArticleId, text: &str, splitter: &Splitter) -> Vec<Sentence> {
    let mut out = Vec::new();
    for s in splitter.split(text) {
        if s.split_whitespace().count() < MIN_WORDS {
            continue;
        }
        out.push(Sentence {
            source,
            position: out.len(),
            terms: key_terms(&s),
            text: s,
            embedding: Vec::new(),
        });
    }
    out
}

/// Embeds every sentence, in batches.
pub fn embed_all(sentences: &mut [Sentence], embedder: &Embedder) -> Result<(), EmbedError> {
    let texts: Vec<String> = sentences.iter().map(|s| s.text.clone()).collect();
    for (s, e) in sentences.iter_mut().zip(embedder.embed(&texts)?) {
        s.embedding = e;
    }
    Ok(())
}

/// Meaning first, names and numbers second: a paraphrase with the same figures scores high, a
/// sentence on the same topic with other figures lower.
pub fn score(embedding: &[f32], terms: &BTreeSet<String>, s: &Sentence) -> f32 {
    let cos = cosine(embedding, &s.embedding);
    if terms.is_empty() {
        return cos;
    }
    let shared = terms.iter().filter(|t| s.terms.contains(*t)).count() as f32;
    // A statement with one or two names proves little by sharing them: below three, meaning
    // has to carry the rest.
    0.6 * cos + 0.4 * shared / terms.len().max(3) as f32
}

static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d[\d,]*(?:\.\d+)?").expect("valid regex"));
static QUOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"["“]([^"”]{3,})["”]"#).expect("valid regex"));
static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z][\p{L}'’-]+").expect("valid regex"));

/// Names (capitalised words) and numbers, normalised: what a supporting sentence should share.
pub fn key_terms(text: &str) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = NUMBER
        .find_iter(text)
        .map(|m| normalise_number(m.as_str()))
        .collect();
    for m in NAME.find_iter(text) {
        let w = m.as_str().trim_end_matches(['’', '\'']).to_lowercase();
        let w = w
            .strip_suffix("’s")
            .or(w.strip_suffix("'s"))
            .unwrap_or(&w)
            .to_string();
        if w.len() > 2 && !COMMON_CAPITALISED.contains(&w.as_str()) {
            out.insert(w);
        }
    }
    out
}

/// Words capitalised only because they start a sentence.
const COMMON_CAPITALISED: &[&str] = &[
    "the",
    "this",
    "that",
    "these",
    "those",
    "they",
    "there",
    "then",
    "but",
    "and",
    "for",
    "with",
    "after",
    "before",
    "when",
    "while",
    "its",
    "his",
    "her",
    "their",
    "our",
    "what",
    "which",
    "who",
    "why",
    "how",
    "some",
    "many",
    "most",
    "more",
    "one",
    "two",
    "three",
    "also",
    "however",
    "according",
    "in",
    "on",
    "at",
    "as",
    "it",
    "he",
    "she",
    "we",
    "you",
    "a",
    "an",
    "of",
];

fn normalise_number(s: &str) -> String {
    s.trim_end_matches([',', '.']).replace(',', "")
}

/// The figures (numbers) a statement contains, normalised.
pub fn figures(text: &str) -> Vec<String> {
    let mut out: Vec<String> = NUMBER
        .find_iter(text)
        .map(|m| normalise_number(m.as_str()))
        .collect();
    out.dedup();
    out
}

/// The quoted phrases a statement contains.
pub fn quotes(text: &str) -> Vec<String> {
    QUOTE
        .captures_iter(text)
        .map(|c| c[1].trim().to_string())
        .collect()
}

fn squash(s: &str) -> String {
    s.replace(['“', '”'], "\"")
        .replace(['‘', '’'], "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// What a statement asserts that none of the given source texts contains: figures not found
/// among the sources' numbers, quotations not found verbatim. Empty means grounded.
pub fn ungrounded(text: &str, sources: &[&str]) -> Vec<String> {
    let source_numbers: BTreeSet<String> = sources.iter().flat_map(|s| figures(s)).collect();
    let squashed: Vec<String> = sources.iter().map(|s| squash(s)).collect();
    let mut missing: Vec<String> = figures(text)
        .into_iter()
        .filter(|n| !source_numbers.contains(n))
        .collect();
    for q in quotes(text) {
        let q2 = squash(&q);
        if !squashed.iter().any(|s| s.contains(&q2)) {
            missing.push(format!("\"{q}\""));
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_and_quotes_are_checked_against_the_sources() {
        let src = "Albania gave diplomats 24 hours to leave. Rama said it was “an unprecedented attack” on 3,000 systems.";
        assert!(ungrounded("Diplomats had 24 hours to leave.", &[src]).is_empty());
        assert!(ungrounded("Rama called it \"an unprecedented attack\".", &[src]).is_empty());
        assert!(ungrounded("3000 systems were hit.", &[src]).is_empty());
        assert_eq!(ungrounded("Diplomats had 48 hours.", &[src]), ["48"]);
        assert_eq!(
            ungrounded("Rama said “a cowardly attack”.", &[src]),
            ["\"a cowardly attack\""]
        );
    }

    #[test]
    fn key_terms_keep_names_and_numbers_not_sentence_starters() {
        let t = key_terms("The Albanian government expelled Iran’s diplomats on July 15, 2022.");
        assert!(t.contains("albanian") && t.contains("iran") && t.contains("july"));
        assert!(t.contains("15") && t.contains("2022"));
        assert!(!t.contains("the"));
    }
}
