//! Spotting an article that was already read.
//!
//! Two texts are the same article when their words agree after case, punctuation and
//! whitespace are ignored, or, for texts long enough to judge, when their word 4-grams
//! overlap by at least 90% (Jaccard): the same story scraped twice, once with a stray
//! boilerplate line or a corrected typo, is still one source.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use super::ArticleId;

const SHINGLE_WORDS: usize = 4;
/// Below this many words one changed sentence is a large share of the text, so only an
/// exact match counts.
const MIN_WORDS_FOR_NEAR: usize = 40;
const NEAR_JACCARD: f64 = 0.9;

/// What an article is compared by.
#[derive(Debug, Clone)]
pub(crate) struct Fingerprint {
    key: String,
    word_count: usize,
    shingles: HashSet<u64>,
}

impl Fingerprint {
    pub(crate) fn new(title: Option<&str>, text: &str) -> Self {
        let words: Vec<String> = title
            .into_iter()
            .chain(std::iter::once(text))
            .flat_map(|part| part.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        Self {
            key: words.join(" "),
            word_count: words.len(),
            shingles: shingles(&words),
        }
    }

    fn same_article(&self, other: &Self) -> bool {
        if self.key == other.key {
            return true;
        }
        if self.word_count < MIN_WORDS_FOR_NEAR || other.word_count < MIN_WORDS_FOR_NEAR {
            return false;
        }
        jaccard(&self.shingles, &other.shingles) >= NEAR_JACCARD
    }
}

fn shingles(words: &[String]) -> HashSet<u64> {
    words
        .windows(SHINGLE_WORDS.min(words.len()).max(1))
        .map(|window| {
            // DefaultHasher::new() uses fixed keys, so fingerprints are stable within a run.
            let mut hasher = DefaultHasher::new();
            window.hash(&mut hasher);
            hasher.finish()
        })
        .collect()
}

fn jaccard(a: &HashSet<u64>, b: &HashSet<u64>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// The articles accepted so far.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    entries: Vec<(ArticleId, Fingerprint)>,
}

impl Seen {
    /// The earliest accepted article that `fingerprint` repeats.
    pub(crate) fn find(&self, fingerprint: &Fingerprint) -> Option<ArticleId> {
        self.entries
            .iter()
            .find(|(_, seen)| seen.same_article(fingerprint))
            .map(|(id, _)| *id)
    }

    pub(crate) fn insert(&mut self, id: ArticleId, fingerprint: Fingerprint) {
        self.entries.push((id, fingerprint));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_text(extra: &str) -> String {
        let body = (0..60)
            .map(|i| format!("Sentence number {i} tells part of the story."))
            .collect::<Vec<_>>()
            .join(" ");
        format!("{body}{extra}")
    }

    #[test]
    fn whitespace_case_and_punctuation_do_not_matter() {
        let a = Fingerprint::new(Some("Title"), "One two,\n\nthree.");
        let b = Fingerprint::new(Some("TITLE"), "one   two three");
        assert!(a.same_article(&b));
    }

    #[test]
    fn near_identical_long_texts_match() {
        let a = Fingerprint::new(None, &long_text(""));
        let b = Fingerprint::new(None, &long_text(" Advertisement"));
        assert!(a.same_article(&b));
    }

    #[test]
    fn different_short_texts_do_not_match() {
        let a = Fingerprint::new(None, "Albania cut ties with Iran.");
        let b = Fingerprint::new(None, "Albania cut ties with Iran on Wednesday.");
        assert!(!a.same_article(&b));
    }

    #[test]
    fn different_articles_do_not_match() {
        let a = Fingerprint::new(None, &long_text(""));
        let other: String = (0..60)
            .map(|i| format!("Another report {i} covers a different event entirely."))
            .collect();
        assert!(!a.same_article(&Fingerprint::new(None, &other)));
    }

    #[test]
    fn seen_finds_the_earliest_match() {
        let mut seen = Seen::default();
        seen.insert(ArticleId(1), Fingerprint::new(None, "alpha beta"));
        seen.insert(ArticleId(2), Fingerprint::new(None, "gamma delta"));
        let probe = Fingerprint::new(None, "Gamma, delta!");
        assert_eq!(seen.find(&probe), Some(ArticleId(2)));
        assert_eq!(seen.find(&Fingerprint::new(None, "epsilon")), None);
    }
}
