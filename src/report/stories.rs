//! Grouping a day's articles into stories: each article becomes one MiniLM vector (its title
//! and lead), and articles join by average-linkage clustering while the average similarity
//! between two groups stays above [`SAME_STORY`].
//!
//! Average linkage, not single linkage: one article that mentions two events must not chain
//! two stories into one.

use crate::ingest::sentences::Splitter;
use crate::ingest::Article;
use crate::llm::embed::{cosine, EmbedError, Embedder};

/// Average cosine between two groups' article vectors above which they are one story. Chosen
/// on the pooled articles of `../shared/eval` (see docs/thresholds.md, and
/// `examples/calibrate_stories.rs`).
pub const SAME_STORY: f32 = 0.55;

/// Sentences of the lead that go into an article's vector; MiniLM reads at most 256 word
/// pieces, so in practice this is "the top of the article". On the pooled dev articles longer
/// leads grouped better (pairwise F1 at 0.55: 3 sentences 0.75, 8 0.82, 15 0.84).
const LEAD_SENTENCES: usize = 15;

/// The text that stands for an article when grouping: its title and the first sentences.
pub fn lead_text(article: &Article, splitter: &Splitter) -> String {
    let mut parts: Vec<String> = article.title.iter().cloned().collect();
    parts.extend(
        splitter
            .split(&article.text)
            .into_iter()
            .take(LEAD_SENTENCES),
    );
    parts.join(" ")
}

/// One vector per article, in order.
pub fn vectors(
    articles: &[&Article],
    splitter: &Splitter,
    embedder: &Embedder,
) -> Result<Vec<Vec<f32>>, EmbedError> {
    let texts: Vec<String> = articles.iter().map(|a| lead_text(a, splitter)).collect();
    embedder.embed(&texts)
}

/// Groups of article indexes, each group in input order, groups in order of their first
/// article. Deterministic: ties break towards the earliest pair.
pub fn cluster(vectors: &[Vec<f32>], threshold: f32) -> Vec<Vec<usize>> {
    let n = vectors.len();
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut alive = vec![true; n];
    // sum[i][j]: sum of pairwise similarities between groups i and j, so the average after a
    // merge is exact (Lance-Williams for average linkage) without revisiting the vectors.
    let mut sum = vec![vec![0f32; n]; n];
    for i in 0..n {
        for j in (i + 1)..n {
            let s = cosine(&vectors[i], &vectors[j]);
            sum[i][j] = s;
            sum[j][i] = s;
        }
    }
    loop {
        let mut best: Option<(f32, usize, usize)> = None;
        for i in (0..n).filter(|&i| alive[i]) {
            for j in ((i + 1)..n).filter(|&j| alive[j]) {
                let avg = sum[i][j] / (members[i].len() * members[j].len()) as f32;
                if avg >= threshold && best.is_none_or(|(b, _, _)| avg > b) {
                    best = Some((avg, i, j));
                }
            }
        }
        let Some((_, i, j)) = best else { break };
        let moved = std::mem::take(&mut members[j]);
        members[i].extend(moved);
        members[i].sort_unstable();
        alive[j] = false;
        for k in 0..n {
            if k != i && alive[k] {
                let s = sum[i][k] + sum[j][k];
                sum[i][k] = s;
                sum[k][i] = s;
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = members.into_iter().filter(|m| !m.is_empty()).collect();
    groups.sort_by_key(|g| g[0]);
    groups
}

/// Pairwise precision and recall of a grouping against the true one: of the article pairs put
/// together, how many belong together, and of those that belong together, how many were put
/// together.
pub fn pair_scores(predicted: &[Vec<usize>], truth: &[usize]) -> (f64, f64) {
    let mut label = vec![usize::MAX; truth.len()];
    for (g, members) in predicted.iter().enumerate() {
        for &m in members {
            label[m] = g;
        }
    }
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    for i in 0..truth.len() {
        for j in (i + 1)..truth.len() {
            match (label[i] == label[j], truth[i] == truth[j]) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fneg += 1,
                (false, false) => {}
            }
        }
    }
    let p = if tp + fp == 0 {
        1.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let r = if tp + fneg == 0 {
        1.0
    } else {
        tp as f64 / (tp + fneg) as f64
    };
    (p, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn near_vectors_group_and_far_ones_stay_apart() {
        let v = vec![
            unit(&[1.0, 0.1, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.95, 0.2, 0.0]),
            unit(&[0.0, 0.0, 1.0]),
            unit(&[0.1, 0.9, 0.1]),
        ];
        assert_eq!(cluster(&v, 0.8), vec![vec![0, 2], vec![1, 4], vec![3]]);
        let all = cluster(&v, -1.0);
        assert_eq!(all, vec![vec![0, 1, 2, 3, 4]]);
    }

    #[test]
    fn a_bridging_article_does_not_chain_two_stories() {
        // 0,1 one story, 3,4 another; 2 sits between them. Single linkage would chain all five.
        let v = vec![
            unit(&[1.0, 0.0]),
            unit(&[0.99, 0.14]),
            unit(&[0.71, 0.71]),
            unit(&[0.14, 0.99]),
            unit(&[0.0, 1.0]),
        ];
        let g = cluster(&v, 0.8);
        assert!(g.len() >= 2, "{g:?}");
        assert!(!g.iter().any(|m| m.contains(&0) && m.contains(&4)), "{g:?}");
    }

    #[test]
    fn pair_scores_count_pairs() {
        let truth = [0, 0, 1, 1];
        assert_eq!(pair_scores(&[vec![0, 1], vec![2, 3]], &truth), (1.0, 1.0));
        let (p, r) = pair_scores(&[vec![0, 1, 2, 3]], &truth);
        assert!((p - 2.0 / 6.0).abs() < 1e-9 && r == 1.0);
        let (p, r) = pair_scores(&[vec![0], vec![1], vec![2], vec![3]], &truth);
        assert!(p == 1.0 && r == 0.0);
    }
}
