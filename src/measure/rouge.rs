//! ROUGE-1, ROUGE-2 and ROUGE-Lsum as Google's `rouge-score` 0.1.2 computes them with
//! `use_stemmer=True`, aggregated the way `shared/eval/score.py` does.
//!
//! Parity matters more than elegance here: dev numbers are compared with the eval harness
//! to within 0.01 (x100), so tokenization, stemming, the LCS backtracking order (which
//! decides *which* LCS enters the union) and the float operations all follow the Python
//! code step for step.

pub use crate::ingest::porter;
pub mod punkt;

use std::collections::HashMap;

use crate::ingest::sentences::Splitter;

/// Precision, recall and F1, each in 0..=1.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub fmeasure: f64,
}

impl Prf {
    fn new(precision: f64, recall: f64) -> Self {
        Prf {
            precision,
            recall,
            fmeasure: fmeasure(precision, recall),
        }
    }
}

/// Scores of one prediction. With several references each metric is taken from the
/// reference with the highest F1 (the first one on ties), as `score.py --multi-ref max` does.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    pub rouge1: Prf,
    pub rouge2: Prf,
    pub rouge_lsum: Prf,
}

/// Mean F1 over a corpus, scaled x100 like `score.py` prints it (which then rounds to two
/// decimals; these are unrounded).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CorpusScores {
    pub n: usize,
    pub rouge1: f64,
    pub rouge2: f64,
    pub rouge_lsum: f64,
}

/// Scores `pred` against `refs`, splitting sentences for ROUGE-Lsum with `splitter`.
///
/// For numbers comparable with `score.py`, pass [`punkt::splitter_from_json`] loaded from
/// `shared/eval/punkt_news_en.json`. No references score zero.
pub fn score(pred: &str, refs: &[String], splitter: &Splitter) -> Scores {
    let pred = Tokenized::new(pred, splitter);
    let mut best: Option<Scores> = None;
    for reference in refs {
        let s = score_pair(&Tokenized::new(reference, splitter), &pred);
        best = Some(match best {
            None => s,
            Some(b) => Scores {
                rouge1: better(b.rouge1, s.rouge1),
                rouge2: better(b.rouge2, s.rouge2),
                rouge_lsum: better(b.rouge_lsum, s.rouge_lsum),
            },
        });
    }
    best.unwrap_or_default()
}

/// Mean F1 x100 per metric, as `score.py` aggregates per-example scores.
pub fn corpus_mean(per_example: &[Scores]) -> CorpusScores {
    // Summed in order, one x100 term at a time, to reproduce Python's float results.
    let mean = |f: fn(&Scores) -> f64| {
        let total: f64 = per_example.iter().map(|s| f(s) * 100.0).sum();
        total / per_example.len().max(1) as f64
    };
    CorpusScores {
        n: per_example.len(),
        rouge1: mean(|s| s.rouge1.fmeasure),
        rouge2: mean(|s| s.rouge2.fmeasure),
        rouge_lsum: mean(|s| s.rouge_lsum.fmeasure),
    }
}

/// rouge-score's `DefaultTokenizer(use_stemmer=True)`: lowercase, every run of characters
/// other than `[a-z0-9]` is a separator, and tokens longer than three characters are
/// Porter-stemmed.
pub fn tokenize(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|t| !t.is_empty())
        .map(|t| {
            if t.len() > 3 {
                porter::stem(t)
            } else {
                t.to_string()
            }
        })
        // rouge-score drops anything the stemmer made empty or non-alphanumeric.
        .filter(|t| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        .collect()
}

/// Keeps the earlier score unless the later one has a strictly higher F1 (numpy's argmax
/// returns the first maximum).
fn better(current: Prf, candidate: Prf) -> Prf {
    if candidate.fmeasure > current.fmeasure {
        candidate
    } else {
        current
    }
}

fn fmeasure(precision: f64, recall: f64) -> f64 {
    if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    }
}

/// A text tokenized as rouge-score sees it after `score.py`'s `lsum_format`: the whole
/// text (sentences joined by newlines) for n-grams, and each sentence on its own for Lsum.
struct Tokenized {
    joined: Vec<String>,
    sentences: Vec<Vec<String>>,
}

impl Tokenized {
    fn new(text: &str, splitter: &Splitter) -> Self {
        let sentences = splitter.split(text);
        Tokenized {
            joined: tokenize(&sentences.join("\n")),
            sentences: sentences.iter().map(|s| tokenize(s)).collect(),
        }
    }
}

/// `Tokenized` with tokens replaced by ids, so the LCS tables compare integers.
struct Encoded {
    tokens: Vec<u32>,
    sentences: Vec<Vec<u32>>,
}

/// Token ids shared by the two texts of one comparison.
#[derive(Default)]
struct Vocab(HashMap<String, u32>);

impl Vocab {
    fn ids(&mut self, tokens: &[String]) -> Vec<u32> {
        tokens
            .iter()
            .map(|t| {
                let next = self.0.len() as u32;
                *self.0.entry(t.clone()).or_insert(next)
            })
            .collect()
    }

    fn encode(&mut self, text: &Tokenized) -> Encoded {
        Encoded {
            tokens: self.ids(&text.joined),
            sentences: text.sentences.iter().map(|s| self.ids(s)).collect(),
        }
    }
}

/// rouge-score's `RougeScorer.score(target, prediction)` for our three metrics.
fn score_pair(target: &Tokenized, prediction: &Tokenized) -> Scores {
    let mut vocab = Vocab::default();
    let target = vocab.encode(target);
    let prediction = vocab.encode(prediction);
    Scores {
        rouge1: score_ngrams(&target.tokens, &prediction.tokens, 1),
        rouge2: score_ngrams(&target.tokens, &prediction.tokens, 2),
        rouge_lsum: summary_level_lcs(&target.sentences, &prediction.sentences),
    }
}

fn ngram_counts(tokens: &[u32], n: usize) -> HashMap<&[u32], usize> {
    let mut counts = HashMap::new();
    for gram in tokens.windows(n) {
        *counts.entry(gram).or_insert(0) += 1;
    }
    counts
}

fn score_ngrams(target: &[u32], prediction: &[u32], n: usize) -> Prf {
    let target_counts = ngram_counts(target, n);
    let prediction_counts = ngram_counts(prediction, n);
    let overlap: usize = target_counts
        .iter()
        .map(|(gram, &c)| c.min(prediction_counts.get(gram).copied().unwrap_or(0)))
        .sum();
    let target_total: usize = target_counts.values().sum();
    let prediction_total: usize = prediction_counts.values().sum();
    Prf::new(
        overlap as f64 / prediction_total.max(1) as f64,
        overlap as f64 / target_total.max(1) as f64,
    )
}

/// Summary-level LCS (ROUGE paper 3.2) with ROUGE-1.5.5's guard against counting a token
/// more often than it occurs on either side.
fn summary_level_lcs(reference: &[Vec<u32>], candidate: &[Vec<u32>]) -> Prf {
    let m: usize = reference.iter().map(Vec::len).sum();
    let n: usize = candidate.iter().map(Vec::len).sum();
    if reference.is_empty() || candidate.is_empty() || m == 0 || n == 0 {
        return Prf::default();
    }
    let mut ref_left = token_counts(reference);
    let mut cand_left = token_counts(candidate);
    let mut hits = 0usize;
    for sentence in reference {
        for token in union_lcs(sentence, candidate) {
            let (Some(r), Some(c)) = (ref_left.get_mut(&token), cand_left.get_mut(&token)) else {
                continue;
            };
            if *r > 0 && *c > 0 {
                *r -= 1;
                *c -= 1;
                hits += 1;
            }
        }
    }
    Prf::new(hits as f64 / n as f64, hits as f64 / m as f64)
}

fn token_counts(sentences: &[Vec<u32>]) -> HashMap<u32, usize> {
    let mut counts = HashMap::new();
    for &t in sentences.iter().flatten() {
        *counts.entry(t).or_insert(0) += 1;
    }
    counts
}

/// Tokens of `reference` covered by the union of its LCS with each candidate sentence, in
/// reference order.
fn union_lcs(reference: &[u32], candidates: &[Vec<u32>]) -> Vec<u32> {
    let mut covered = vec![false; reference.len()];
    for candidate in candidates {
        for i in lcs_indices(reference, candidate) {
            covered[i] = true;
        }
    }
    reference
        .iter()
        .zip(covered)
        .filter_map(|(&t, c)| c.then_some(t))
        .collect()
}

/// Indices into `reference` of one LCS: the one rouge-score's `_backtrack_norec` picks,
/// which moves left only when that is strictly better than moving up.
fn lcs_indices(reference: &[u32], candidate: &[u32]) -> Vec<usize> {
    let cols = candidate.len() + 1;
    let mut table = vec![0u32; (reference.len() + 1) * cols];
    for i in 1..=reference.len() {
        for j in 1..=candidate.len() {
            table[i * cols + j] = if reference[i - 1] == candidate[j - 1] {
                table[(i - 1) * cols + j - 1] + 1
            } else {
                table[(i - 1) * cols + j].max(table[i * cols + j - 1])
            };
        }
    }
    let (mut i, mut j) = (reference.len(), candidate.len());
    let mut out = Vec::new();
    while i > 0 && j > 0 {
        if reference[i - 1] == candidate[j - 1] {
            out.push(i - 1);
            i -= 1;
            j -= 1;
        } else if table[i * cols + j - 1] > table[(i - 1) * cols + j] {
            j -= 1;
        } else {
            i -= 1;
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_lowercases_splits_and_stems() {
        assert_eq!(
            tokenize("The U.S. economy's GROWTH slowed, 3.5% in 2019!"),
            ["the", "u", "s", "economi", "s", "growth", "slow", "3", "5", "in", "2019"]
        );
        // Non-ASCII letters separate tokens, as rouge-score's [^a-z0-9] does.
        assert_eq!(tokenize("café naïve"), ["caf", "na", "ve"]);
        assert!(tokenize("— … “”").is_empty());
    }

    #[test]
    fn ngram_scores_clip_counts() {
        let p = score_ngrams(&[1, 1, 2], &[1, 1, 1, 3], 1);
        assert_eq!(p.precision, 0.5);
        assert_eq!(p.recall, 2.0 / 3.0);
        assert_eq!(score_ngrams(&[1], &[1], 2), Prf::default());
    }

    #[test]
    fn backtracking_prefers_moving_up_on_ties() {
        // Two LCS of length 1 exist; rouge-score's backtrack (checked in Python) keeps the
        // first reference token.
        assert_eq!(lcs_indices(&[1, 2], &[2, 1]), vec![0]);
        assert_eq!(lcs_indices(&[1, 2, 3, 4], &[1, 3, 4]), vec![0, 2, 3]);
    }

    #[test]
    fn summary_lcs_matches_paper_example() {
        // ROUGE paper: r = w1 w2 w3 w4 w5; c1 = w1 w2 w6 w7 w8; c2 = w1 w3 w8 w9 w5.
        let reference = vec![vec![1, 2, 3, 4, 5]];
        let candidate = vec![vec![1, 2, 6, 7, 8], vec![1, 3, 8, 9, 5]];
        let s = summary_level_lcs(&reference, &candidate);
        assert_eq!(s.recall, 4.0 / 5.0);
        assert_eq!(s.precision, 4.0 / 10.0);
        assert_eq!(summary_level_lcs(&reference, &[]), Prf::default());
    }
}
