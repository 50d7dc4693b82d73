//! Citations: parsing the model's `[S2]` markers, dropping ids that do not exist, and never
//! letting a point through without a source.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::ingest::{Article, ArticleId};

/// How a point's sources were decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CitationOrigin {
    /// The model cited them and they exist.
    Model,
    /// The model cited nothing valid; the sources that share the point's names and numbers.
    Overlap,
}

#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub text: String,
    pub sources: Vec<ArticleId>,
    pub origin: CitationOrigin,
}

/// A point the tool would not print, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    pub text: String,
    pub reason: String,
}

static CITATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[\[(]\s*((?:S(?:ource)?\s*\d+\s*[,;&]?\s*(?:and\s*)?)+)[\])]").expect("valid regex")
});
static ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)S(?:ource)?\s*(\d+)").expect("valid regex"));

/// Splits a point into its text (markers removed) and the ids it cites, in order, deduplicated.
pub fn parse_citations(point: &str) -> (String, Vec<u32>) {
    let mut ids: Vec<u32> = Vec::new();
    for cap in CITATION.captures_iter(point) {
        for id in ID.captures_iter(&cap[1]) {
            if let Ok(n) = id[1].parse::<u32>() {
                if !ids.contains(&n) {
                    ids.push(n);
                }
            }
        }
    }
    let text = CITATION.replace_all(point, "");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text
        .replace(" .", ".")
        .replace(" ,", ",")
        .trim_end_matches([',', ';', ' '])
        .to_string();
    (text, ids)
}

/// Checks every drafted point's citations against the articles that exist.
pub fn attribute(draft_points: &[String], articles: &[Article]) -> (Vec<Point>, Vec<Dropped>) {
    let known: BTreeSet<u32> = articles.iter().map(|a| a.id.0).collect();
    let mut points = Vec::new();
    let mut dropped = Vec::new();
    let mut seen = BTreeSet::new();
    for raw in draft_points {
        let (text, ids) = parse_citations(raw);
        if text.split_whitespace().count() < 3 {
            continue;
        }
        if !seen.insert(text.to_lowercase()) {
            continue;
        }
        let valid: Vec<ArticleId> = ids
            .iter()
            .filter(|n| known.contains(n))
            .map(|&n| ArticleId(n))
            .collect();
        if !valid.is_empty() {
            points.push(Point {
                text,
                sources: valid,
                origin: CitationOrigin::Model,
            });
            continue;
        }
        let overlap = overlap_sources(&text, articles);
        if overlap.is_empty() {
            let reason = if ids.is_empty() {
                "no citation, and no source shares its names and numbers".to_string()
            } else {
                format!("cites sources that do not exist: {ids:?}")
            };
            dropped.push(Dropped { text, reason });
        } else {
            points.push(Point {
                text,
                sources: overlap,
                origin: CitationOrigin::Overlap,
            });
        }
    }
    (points, dropped)
}

const STOPWORDS: &[&str] = &[
    "the", "and", "that", "with", "from", "this", "have", "has", "had", "were", "was", "which",
    "their", "they", "them", "said", "says", "will", "would", "been", "after", "about", "over",
    "into", "also", "than", "other", "more", "some", "such", "its", "his", "her", "for", "are",
    "not", "but", "who", "what", "when", "where",
];

/// Content words and numbers, lowercased: what a supported point shares with its source.
pub fn content_terms(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| {
            (w.len() > 3 || w.chars().any(|c| c.is_ascii_digit()))
                && !STOPWORDS.contains(&w.as_str())
        })
        .collect()
}

/// The sources that share most of a point's content terms: at least half of them, and within
/// 80% of the best source's share.
fn overlap_sources(point: &str, articles: &[Article]) -> Vec<ArticleId> {
    let terms = content_terms(point);
    if terms.is_empty() {
        return Vec::new();
    }
    let shares: Vec<(ArticleId, f64)> = articles
        .iter()
        .map(|a| {
            let source = content_terms(&a.text);
            let hit = terms.iter().filter(|t| source.contains(*t)).count();
            (a.id, hit as f64 / terms.len() as f64)
        })
        .collect();
    let best = shares.iter().map(|s| s.1).fold(0.0, f64::max);
    if best < 0.5 {
        return Vec::new();
    }
    shares
        .into_iter()
        .filter(|(_, s)| *s >= 0.5 && *s >= 0.8 * best)
        .map(|(id, _)| id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(id: u32, text: &str) -> Article {
        Article {
            id: ArticleId(id),
            path: format!("a{id}.txt"),
            title: None,
            text: text.to_string(),
            content_hash: String::new(),
        }
    }

    #[test]
    fn parses_the_citation_forms_models_write() {
        assert_eq!(parse_citations("Iran denied it [S2]."), ("Iran denied it.".into(), vec![2]));
        assert_eq!(parse_citations("A b c [S1][S3]").1, vec![1, 3]);
        assert_eq!(parse_citations("A b c [S1, S3]").1, vec![1, 3]);
        assert_eq!(parse_citations("A b c (S4)").1, vec![4]);
        assert_eq!(parse_citations("A b c [Source 2; S5]").1, vec![2, 5]);
        assert_eq!(parse_citations("A b c [S2] and [S2]").1, vec![2]);
        assert_eq!(parse_citations("In 2022 [see above]").1, Vec::<u32>::new());
    }

    #[test]
    fn ids_that_do_not_exist_are_dropped_and_uncited_points_never_pass() {
        let arts = [
            article(1, "Albania cut diplomatic ties with Iran on Wednesday."),
            article(2, "Iran denied responsibility for the cyberattack."),
        ];
        let draft = vec![
            "Albania cut diplomatic ties with Iran [S1][S9]".to_string(),
            "Something entirely unrelated happened in Peru [S7]".to_string(),
            "Iran denied responsibility for the cyberattack".to_string(),
        ];
        let (points, dropped) = attribute(&draft, &arts);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].sources, vec![ArticleId(1)]);
        assert_eq!(points[0].origin, CitationOrigin::Model);
        assert_eq!(points[1].sources, vec![ArticleId(2)]);
        assert_eq!(points[1].origin, CitationOrigin::Overlap);
        assert_eq!(dropped.len(), 1);
        assert!(dropped[0].reason.contains("[7]"), "{}", dropped[0].reason);
        assert!(points.iter().all(|p| !p.sources.is_empty()));
    }
}
