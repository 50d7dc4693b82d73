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
///
/// Two groups can only merge when some pair across them is at least `threshold` similar (an
/// average is never above its largest term), so every story lies inside one connected
/// component of the "similar enough" graph, and clustering each component alone gives the
/// same merges in the same order as clustering the whole day. That keeps the similarity
/// matrix to the size of the largest component instead of the day (20,000 articles: 1.6 GB).
pub fn cluster(vectors: &[Vec<f32>], threshold: f32) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for component in components(vectors, threshold) {
        let sub: Vec<&[f32]> = component.iter().map(|&i| vectors[i].as_slice()).collect();
        for members in average_linkage(&sub, threshold) {
            groups.push(members.into_iter().map(|m| component[m]).collect());
        }
    }
    groups.sort_by_key(|g| g[0]);
    groups
}

/// Connected components of the graph whose edges are the pairs at least `threshold` similar,
/// each in input order. No matrix: a pair's similarity is computed once and forgotten.
fn components(vectors: &[Vec<f32>], threshold: f32) -> Vec<Vec<usize>> {
    let n = vectors.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..n {
        for j in (i + 1)..n {
            let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
            if ri != rj && cosine(&vectors[i], &vectors[j]) >= threshold {
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut by_root: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..n {
        by_root.entry(root(&mut parent, i)).or_default().push(i);
    }
    by_root.into_values().collect()
}

/// Average linkage within one component. Each live group keeps its best partner among the
/// later groups, so a merge rescans only the rows it touched instead of every pair; picking
/// the best row (earliest on a tie) is the same choice as scanning every pair in order.
fn average_linkage(vectors: &[&[f32]], threshold: f32) -> Vec<Vec<usize>> {
    let n = vectors.len();
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut alive = vec![true; n];
    // sum[i * n + j]: the sum of pairwise similarities between groups i and j, so the average
    // after a merge is exact (Lance-Williams for average linkage) without revisiting vectors.
    let mut sum = vec![0f32; n * n];
    for i in 0..n {
        for j in (i + 1)..n {
            let s = cosine(vectors[i], vectors[j]);
            sum[i * n + j] = s;
            sum[j * n + i] = s;
        }
    }
    let average = |sum: &[f32], members: &[Vec<usize>], i: usize, j: usize| {
        sum[i * n + j] / (members[i].len() * members[j].len()) as f32
    };
    // best[i]: the later live group with the highest average to i (earliest on a tie).
    let best_of = |sum: &[f32], members: &[Vec<usize>], alive: &[bool], i: usize| {
        let mut best: Option<(f32, usize)> = None;
        for j in ((i + 1)..n).filter(|&j| alive[j]) {
            let avg = average(sum, members, i, j);
            if !avg.is_nan() && best.is_none_or(|(b, _)| avg > b) {
                best = Some((avg, j));
            }
        }
        best
    };
    let mut best: Vec<Option<(f32, usize)>> =
        (0..n).map(|i| best_of(&sum, &members, &alive, i)).collect();
    loop {
        let mut pick: Option<(f32, usize, usize)> = None;
        for i in (0..n).filter(|&i| alive[i]) {
            if let Some((avg, j)) = best[i] {
                if avg >= threshold && pick.is_none_or(|(b, _, _)| avg > b) {
                    pick = Some((avg, i, j));
                }
            }
        }
        let Some((_, i, j)) = pick else { break };
        let moved = std::mem::take(&mut members[j]);
        members[i].extend(moved);
        members[i].sort_unstable();
        alive[j] = false;
        best[j] = None;
        for k in 0..n {
            if k != i && alive[k] {
                let s = sum[i * n + k] + sum[j * n + k];
                sum[i * n + k] = s;
                sum[k * n + i] = s;
            }
        }
        best[i] = best_of(&sum, &members, &alive, i);
        for k in (0..i).filter(|&k| alive[k]) {
            match best[k] {
                // Its partner changed size or died: its average to everything else did not.
                Some((_, b)) if b == i || b == j => best[k] = best_of(&sum, &members, &alive, k),
                Some((b_avg, b)) => {
                    let avg = average(&sum, &members, k, i);
                    if avg > b_avg || (avg == b_avg && i < b) {
                        best[k] = Some((avg, i));
                    }
                }
                None => best[k] = best_of(&sum, &members, &alive, k),
            }
        }
        for k in ((i + 1)..j).filter(|&k| alive[k]) {
            if best[k].is_some_and(|(_, b)| b == j) {
                best[k] = best_of(&sum, &members, &alive, k);
            }
        }
    }
    members.into_iter().filter(|m| !m.is_empty()).collect()
}

/// The clustering as it was first written: every pair rescanned after every merge, one
/// matrix for the whole day. Kept as the reference the faster one must agree with.
#[cfg(any(test, feature = "testing"))]
pub fn cluster_by_rescan(vectors: &[Vec<f32>], threshold: f32) -> Vec<Vec<usize>> {
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

    /// Unit vectors around `stories` random centres, with coordinates rounded to a coarse grid
    /// when `coarse` so that many pairs tie exactly.
    fn clustered(
        n: usize,
        stories: usize,
        dim: usize,
        spread: f32,
        coarse: bool,
        seed: u64,
    ) -> Vec<Vec<f32>> {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
        };
        let centres: Vec<Vec<f32>> = (0..stories)
            .map(|_| (0..dim).map(|_| next()).collect())
            .collect();
        (0..n)
            .map(|i| {
                let c = &centres[(i * 7 + (next().abs() * 3.0) as usize) % stories];
                let v: Vec<f32> = c
                    .iter()
                    .map(|x| {
                        let y = x + spread * next();
                        if coarse {
                            y.round()
                        } else {
                            y
                        }
                    })
                    .collect();
                if v.iter().all(|x| *x == 0.0) {
                    v
                } else {
                    unit(&v)
                }
            })
            .collect()
    }

    #[test]
    fn the_component_clustering_makes_the_same_stories_as_rescanning_every_pair() {
        let mut merged = 0;
        for seed in 0..40u64 {
            let coarse = seed % 2 == 0;
            let n = 20 + (seed as usize * 13) % 140;
            let v = clustered(
                n,
                1 + n / 8,
                6,
                0.2 + (seed % 5) as f32 * 0.25,
                coarse,
                seed,
            );
            for threshold in [0.3f32, 0.55, 0.8] {
                let fast = cluster(&v, threshold);
                assert_eq!(
                    fast,
                    cluster_by_rescan(&v, threshold),
                    "seed {seed}, n {n}, threshold {threshold}"
                );
                merged += n - fast.len();
            }
        }
        // The cases must exercise merging, not only singletons.
        assert!(merged > 1000, "{merged} merges");
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
