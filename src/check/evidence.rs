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

/// Every sentence of every source, embedded once per run; of a very long source, at most
/// [`MAX_SENTENCES_PER_SOURCE`] of them (see [`bounded`]).
pub struct Index {
    pub sentences: Vec<Sentence>,
    pub sources: Vec<ArticleId>,
}

/// Sentences shorter than this many words carry no checkable statement.
const MIN_WORDS: usize = 5;

/// The most sentences of one source the index holds. Embedding is linear in the sentences,
/// but ranking and evidence compare each sentence of a source with every other, so without a
/// cap a 5 MB article (some 40,000 sentences) meant over a billion comparisons here. 1,000 sentences is a
/// 25,000-word long read, whole: only an article longer than any a newsroom publishes is cut,
/// and its work here is then bounded by the cap, not by its length.
pub const MAX_SENTENCES_PER_SOURCE: usize = 1000;

/// The sentences of one source the index keeps, at most `max`, in article order and with
/// their positions in the article. Half by position: news is written lede first, and the
/// points are drawn mostly from there. The other half spread over the rest: the richest in
/// names and figures (what a statement can be checked by) of each of `max / 2` equal stretches,
/// so a summary of any part of the article, written from its chunks, still finds evidence
/// there. Linear in the source's sentences.
pub fn bounded(sentences: Vec<Sentence>, max: usize) -> Vec<Sentence> {
    if sentences.len() <= max {
        return sentences;
    }
    let head = max / 2;
    let stretches = max - head;
    let rest = sentences.len() - head;
    let mut keep = vec![false; sentences.len()];
    keep[..head].iter_mut().for_each(|k| *k = true);
    for i in 0..stretches {
        let (from, to) = (
            head + rest * i / stretches,
            head + rest * (i + 1) / stretches,
        );
        let richest = (from..to).max_by_key(|&j| (sentences[j].terms.len(), usize::MAX - j));
        if let Some(j) = richest {
            keep[j] = true;
        }
    }
    sentences
        .into_iter()
        .zip(keep)
        .filter_map(|(s, k)| k.then_some(s))
        .collect()
}

impl Index {
    /// Every article's sentences, embedded now.
    pub fn build(
        articles: &[Article],
        splitter: &Splitter,
        embedder: &Embedder,
    ) -> Result<Self, EmbedError> {
        Self::build_with(articles, splitter, |_, sentences| {
            embed_all(sentences, embedder)
        })
    }

    /// Every article's sentences, embedded by `embed` one article at a time: a caller that
    /// keeps vectors (the nightly store, where workers compute them) fills them from there.
    /// One article per call on every path, so a sentence's vector never depends on which
    /// other sentences shared its batch.
    pub fn build_with<E>(
        articles: &[Article],
        splitter: &Splitter,
        mut embed: impl FnMut(&Article, &mut [Sentence]) -> Result<(), E>,
    ) -> Result<Self, E> {
        let mut sentences = Vec::new();
        for a in articles {
            let mut own = article_sentences(a, splitter);
            embed(a, &mut own)?;
            sentences.extend(own);
        }
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

/// The sentences of one article the index keeps ([`bounded`]), not yet embedded.
pub fn article_sentences(a: &Article, splitter: &Splitter) -> Vec<Sentence> {
    bounded(
        sentences_of(a.id, &a.text, splitter),
        MAX_SENTENCES_PER_SOURCE,
    )
}

/// What an article's sentence vectors were computed from, for a store to keep beside them:
/// another splitter or bound gives other sentences, whose vectors the stored ones are not.
pub fn sentences_hash(sentences: &[Sentence]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for s in sentences {
        h.update(s.text.as_bytes());
        h.update([0u8]);
    }
    crate::llm::fetch::hex(&h.finalize())
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
    fn a_long_source_is_indexed_by_its_lede_and_the_richest_sentence_of_each_stretch() {
        let text: String = (0..5000)
            .map(|i| {
                if i % 10 == 3 {
                    format!("Mayor Rama of Tirana signed deal number {i} with Iran. ")
                } else {
                    format!("The council met again that week to talk about item {i}. ")
                }
            })
            .collect();
        let all = sentences_of(ArticleId(1), &text, &Splitter::news());
        assert_eq!(all.len(), 5000);
        let kept = bounded(all, 100);
        assert_eq!(kept.len(), 100);
        let positions: Vec<usize> = kept.iter().map(|s| s.position).collect();
        assert_eq!(positions[..50], (0..50).collect::<Vec<_>>()[..]);
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "article order");
        // Spread over the whole rest, and the name-rich sentences chosen in each stretch.
        assert!(*positions.last().unwrap() > 4900, "{positions:?}");
        assert!(kept[50..].iter().all(|s| s.text.starts_with("Mayor Rama")));
        let short = sentences_of(
            ArticleId(1),
            "One two three four five six. Seven eight nine ten eleven.",
            &Splitter::news(),
        );
        assert_eq!(bounded(short.clone(), 100).len(), short.len());
    }

    #[test]
    fn key_terms_keep_names_and_numbers_not_sentence_starters() {
        let t = key_terms("The Albanian government expelled Iran’s diplomats on July 15, 2022.");
        assert!(t.contains("albanian") && t.contains("iran") && t.contains("july"));
        assert!(t.contains("15") && t.contains("2022"));
        assert!(!t.contains("the"));
    }
}
