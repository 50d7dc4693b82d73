//! Every statement checked. Drafted points (the model's) and extracted points (source
//! sentences) are matched against every source's sentences; a point cites exactly the sources
//! whose evidence clears the support threshold, its figures and quotations must appear in a
//! cited source, and a point no source supports is repaired (replaced by its best supporting
//! sentence) or dropped.

pub mod clean;

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::briefing::{
    Dropped, Evidence, Mode, Origin, Point, Reason, Stats, SummarySentence, Verdict,
};
use crate::check::evidence::{self, Index, SUPPORT};
use crate::check::features::content_stems;
use crate::check::{CheckError, Checker};
use crate::ingest::sentences::Splitter;
use crate::ingest::{Article, ArticleId};
use crate::llm::embed::cosine;

#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    pub points: usize,
    pub words: Option<usize>,
    pub keep_unsupported: bool,
}

static CITATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[\[(]\s*((?:S(?:ource)?\s*\d+\s*[,;&]?\s*(?:and\s*)?)+)[\])]")
        .expect("valid regex")
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

/// Two points this similar state the same fact: merge them.
const SAME_FACT: f32 = 0.80;
/// A candidate this close to a chosen point mostly restates it ("Albania cut ties with Iran"
/// / "Albania severed diplomatic ties"): it is left out rather than merged, since its sources
/// back its own wording, not the chosen point's. Chosen on multinews dev (extractive, 10
/// points): 0.72 gave R-1/R-2/R-Lsum 46.54/18.23/43.13 against 46.23/18.12/42.88 without it.
const REDUNDANT: f32 = 0.72;
/// The share of a candidate's content words that the chosen points must not already use: a
/// sentence that only recombines what earlier points said adds no fact.
const NEW_FACTS: f32 = 0.4;
/// The share of the points kept for facts that one source alone reports.
const SINGLE_SHARE: f32 = 0.3;

/// What [`attribute`] makes of a draft: the lede, the other points, what was dropped, and the
/// figures `eval` reports (counting the lede as a point: it is checked like one).
#[derive(Debug, Default)]
pub struct Attributed {
    pub lede: Option<Point>,
    pub points: Vec<Point>,
    pub dropped: Vec<Dropped>,
    pub stats: Stats,
}

/// Builds the briefing's lede and checked points from the model's draft and the sources.
pub fn attribute(
    draft_points: &[String],
    articles: &[Article],
    index: &Index,
    checker: &mut Checker,
    opts: &Options,
) -> Result<Attributed, CheckError> {
    let mut stats = Stats::default();
    let mut dropped = Vec::new();
    let mut candidates: Vec<Point> = Vec::new();
    if opts.mode != Mode::Extractive {
        let drafted: Vec<String> = draft_points
            .iter()
            .map(|p| strip_echoed_title(&parse_citations(p).0, articles))
            .filter(|t| t.split_whitespace().count() >= 4)
            .collect();
        stats.drafted = drafted.len();
        let embeddings = checker.embedder.embed(&drafted)?;
        for (text, emb) in drafted.into_iter().zip(embeddings) {
            match check_drafted(text, emb, articles, index, checker, opts.keep_unsupported)? {
                Checked::Kept(p) => {
                    if p.origin == Origin::Model {
                        stats.drafted_supported += 1;
                    } else {
                        stats.repaired += 1;
                    }
                    candidates.push(*p);
                }
                Checked::Dropped(d) => {
                    stats.dropped += 1;
                    dropped.push(d);
                }
            }
        }
    }
    if opts.mode != Mode::Abstractive {
        candidates.extend(extracted(index, articles));
    }
    let mut points = select(candidates, opts);
    // Checked before the speaker is named in full: the name and title come from the sentence
    // where the same article introduced the person, which the claim's evidence window (the
    // quoted sentence) does not hold, so checking the expanded text would count the article's
    // own words for the speaker as missing.
    stats.checked_supported = check_points(&mut points, index, checker)?;
    // Source sentences name a speaker by surname once the article has introduced them; out
    // of the article, the point must say who. A scraped page may have glued its headline to
    // the lede, which out of the article reads as furniture.
    for p in points.iter_mut().filter(|p| p.origin != Origin::Model) {
        let own = p.evidence.first().map(|e| e.source);
        if let Some(a) = articles.iter().find(|a| Some(a.id) == own) {
            let text = clean::without_title(&p.text, a.title.as_deref());
            p.text = clean::with_speaker(&text, &a.text);
        }
    }
    stats.redundant_pairs = redundant_pairs(&points, checker)?;
    stats.points = points.len();
    for p in &points {
        stats.citations += p.sources.len();
        if !p.evidence.is_empty() {
            stats.points_with_evidence += 1;
        }
        let cited: Vec<&str> = cited_texts(&p.sources, articles);
        let figs = evidence::figures(&p.text);
        stats.figures += figs.len();
        stats.figures_grounded += figs.len() - evidence::ungrounded(&figs.join(" "), &cited).len();
    }
    // The points are in reading order (most sources, then earliest), so the first one the
    // checker supports is what the story is about; an unsupported one (kept only when asked)
    // never leads.
    let lede = points
        .iter()
        .position(|p| p.verdict.as_ref().is_some_and(|v| v.supported))
        .map(|i| points.remove(i));
    Ok(Attributed {
        lede,
        points,
        dropped,
        stats,
    })
}

/// Small models often start a point with a source's title or "The article is:" before the
/// claim; the claim is what gets checked and printed.
fn strip_echoed_title(text: &str, articles: &[Article]) -> String {
    if let Some((head, rest)) = text.split_once(": ") {
        let head_l = head.trim().to_lowercase();
        let about_the_article =
            head_l.starts_with("the article") || head_l.starts_with("this article");
        if about_the_article && rest.split_whitespace().count() >= 4 {
            return rest.trim().to_string();
        }
    }
    articles
        .iter()
        .map(|a| clean::without_title(text, a.title.as_deref()))
        .find(|t| t != text)
        .unwrap_or_else(|| text.to_string())
}

enum Checked {
    Kept(Box<Point>),
    Dropped(Dropped),
}

fn cited_texts<'a>(ids: &[ArticleId], articles: &'a [Article]) -> Vec<&'a str> {
    articles
        .iter()
        .filter(|a| ids.contains(&a.id))
        .map(|a| a.text.as_str())
        .collect()
}

/// A drafted point is kept as written only when some source's evidence clears the support
/// score, its figures and quotations are in the cited sources, and the claim checker finds
/// it supported by a window of those sources.
fn check_drafted(
    text: String,
    emb: Vec<f32>,
    articles: &[Article],
    index: &Index,
    checker: &mut Checker,
    keep_unsupported: bool,
) -> Result<Checked, CheckError> {
    let ev = index.evidence(&text, &emb);
    let supported: Vec<Evidence> = ev.iter().filter(|e| e.score >= SUPPORT).cloned().collect();
    let sources: Vec<ArticleId> = supported.iter().map(|e| e.source).collect();
    let missing = evidence::ungrounded(&text, &cited_texts(&sources, articles));
    let cited: Vec<evidence::Sentence> = index
        .sentences
        .iter()
        .filter(|s| sources.contains(&s.source))
        .cloned()
        .collect();
    let verdict = if cited.is_empty() {
        None
    } else {
        Some(checker.check_embedded(&text, &emb, &cited)?.0)
    };
    let checked = verdict.as_ref().is_some_and(|v| v.supported);
    if !supported.is_empty() && missing.is_empty() && checked {
        return Ok(Checked::Kept(Box::new(Point {
            position: position_of(&supported[0], index),
            sources,
            origin: Origin::Model,
            evidence: supported,
            grounded: true,
            unsupported: None,
            verdict,
            new: false,
            embedding: emb,
            text,
        })));
    }
    let reason = if supported.is_empty() {
        format!(
            "no source supports it (best evidence {:.2} < {SUPPORT})",
            ev.first().map_or(0.0, |e| e.score)
        )
    } else if !missing.is_empty() {
        format!("not in its sources: {}", missing.join(", "))
    } else {
        verdict
            .as_ref()
            .map_or("no checkable evidence".to_string(), |v| v.reason.describe())
    };
    if keep_unsupported {
        return Ok(Checked::Kept(Box::new(Point {
            position: usize::MAX,
            sources: sources.clone(),
            origin: Origin::Model,
            evidence: supported,
            grounded: missing.is_empty(),
            unsupported: Some(reason),
            verdict,
            new: false,
            embedding: emb,
            text,
        })));
    }
    // Repair: the source sentence that best supports what the model meant, if it really is
    // close; it is verbatim, so its figures are grounded by construction.
    if let Some(best) = ev.first().filter(|e| e.score >= SUPPORT - 0.07) {
        if let Some(s) = index
            .sentences
            .iter()
            .find(|s| s.source == best.source && s.text == best.sentence)
        {
            let mut p = extracted_point(s, index);
            p.origin = Origin::Repaired;
            return Ok(Checked::Kept(Box::new(p)));
        }
    }
    Ok(Checked::Dropped(Dropped { text, reason }))
}

/// Gives each point the checker's verdict against the sentences of the sources it cites;
/// returns how many it supports. A judge weighs in only on what the model wrote: a source's
/// own sentence needs no model to say its source holds it, and asking would cost a read of a
/// whole source per point (seconds each for the 1.5B).
fn check_points(
    points: &mut [Point],
    index: &Index,
    checker: &mut Checker,
) -> Result<usize, CheckError> {
    let mut supported = 0;
    for p in points.iter_mut() {
        let verdict = match p.origin {
            Origin::Model => check_point(p, index, checker),
            Origin::Extracted | Origin::Repaired => {
                checker.features_only(|c| check_point(p, index, c))
            }
        };
        supported += usize::from(verdict?);
    }
    Ok(supported)
}

/// [`check_points`] for one point: whether the checker supports it.
fn check_point(p: &mut Point, index: &Index, checker: &mut Checker) -> Result<bool, CheckError> {
    let cited: Vec<evidence::Sentence> = index
        .sentences
        .iter()
        .filter(|s| p.sources.contains(&s.source))
        .cloned()
        .collect();
    if cited.is_empty() {
        return Ok(false);
    }
    let (v, _) = checker.check_embedded(&p.text, &p.embedding, &cited)?;
    let supported = v.supported;
    p.verdict = Some(v);
    Ok(supported)
}

/// Pairs of points that state the same fact: their meanings nearly coincide, or the checker
/// finds one supported by the other alone. The features alone decide here, judge or not: the
/// figure is then comparable between runs, and a judge would ask twice for every pair.
pub fn redundant_pairs(points: &[Point], checker: &mut Checker) -> Result<usize, CheckError> {
    checker.features_only(|c| count_redundant(points, c))
}

fn count_redundant(points: &[Point], checker: &mut Checker) -> Result<usize, CheckError> {
    let as_source = |p: &Point| evidence::Sentence {
        source: ArticleId(0),
        position: 0,
        text: p.text.clone(),
        embedding: p.embedding.clone(),
        terms: evidence::key_terms(&p.text),
    };
    let mut n = 0;
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            if cosine(&a.embedding, &b.embedding) >= SAME_FACT
                || checker
                    .check_embedded(&a.text, &a.embedding, &[as_source(b)])?
                    .0
                    .supported
                || checker
                    .check_embedded(&b.text, &b.embedding, &[as_source(a)])?
                    .0
                    .supported
            {
                n += 1;
            }
        }
    }
    Ok(n)
}

fn position_of(e: &Evidence, index: &Index) -> usize {
    index
        .sentences
        .iter()
        .find(|s| s.source == e.source && s.text == e.sentence)
        .map_or(usize::MAX, |s| s.position)
}

/// A source sentence as a point: its own source, plus every other source whose best sentence
/// supports it.
fn extracted_point(s: &evidence::Sentence, index: &Index) -> Point {
    let mut evidence = vec![Evidence {
        source: s.source,
        sentence: s.text.clone(),
        score: 1.0,
    }];
    for e in index.evidence(&s.text, &s.embedding) {
        if e.source != s.source && e.score >= SUPPORT {
            evidence.push(e);
        }
    }
    Point {
        text: clean::recase(&clean::without_dateline(&s.text)),
        sources: evidence.iter().map(|e| e.source).collect(),
        origin: Origin::Extracted,
        evidence,
        grounded: true,
        unsupported: None,
        verdict: None,
        new: false,
        position: s.position,
        embedding: s.embedding.clone(),
    }
}

/// Stories with more sources than this are ranked in groups first: ranking compares every
/// sentence with every other, which grows with the square of the story's size. The same group
/// size as the model's drafting, so both levels of the reduce see the same groups.
const GROUP: usize = crate::consolidate::GROUP;
/// Candidates each group passes up to the whole-story ranking.
const GROUP_KEEP: usize = 24;

/// Every source sentence that could be a point, best first: facts several outlets report,
/// early in their articles, near the centre of the story. A big story is reduced in two levels
/// (groups of [`GROUP`] sources, then their best candidates against the whole story), so time
/// and memory stay linear in its size.
fn extracted(index: &Index, articles: &[Article]) -> Vec<Point> {
    let n_sources = articles.len().max(1);
    if index.sources.len() <= GROUP {
        let all: Vec<&evidence::Sentence> = index.sentences.iter().collect();
        return rank(index, &all, n_sources);
    }
    let mut keep: std::collections::HashSet<(ArticleId, usize)> = Default::default();
    for group in index.sources.chunks(GROUP) {
        let sub = index.subset(group);
        let all: Vec<&evidence::Sentence> = sub.sentences.iter().collect();
        for p in rank(&sub, &all, group.len()).into_iter().take(GROUP_KEEP) {
            keep.insert((p.sources[0], p.position));
        }
    }
    let candidates: Vec<&evidence::Sentence> = index
        .sentences
        .iter()
        .filter(|s| keep.contains(&(s.source, s.position)))
        .collect();
    rank(index, &candidates, n_sources)
}

/// The candidates that could stand alone as statements, as points scored against `index`,
/// best first.
fn rank(index: &Index, candidates: &[&evidence::Sentence], n_sources: usize) -> Vec<Point> {
    let n_sources = n_sources as f32;
    let mut scored: Vec<(f32, Point)> = candidates
        .iter()
        .filter(|s| looks_like_a_statement(&s.text))
        .map(|s| {
            let p = extracted_point(s, index);
            let centrality = index
                .sentences
                .iter()
                .filter(|o| o.source != s.source)
                .map(|o| cosine(&s.embedding, &o.embedding))
                .fold(0.0f32, f32::max);
            let support = (p.sources.len() as f32 - 1.0) / n_sources;
            let lead = 1.0 / (1.0 + s.position as f32).sqrt();
            (support + 0.6 * lead + 0.5 * centrality, p)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().map(|(_, p)| p).collect()
}

/// Questions, fragments and datelines make poor points, and so do sentences that lean on the
/// one before them ("He also said…"): out of context the reader cannot tell who is meant.
fn looks_like_a_statement(s: &str) -> bool {
    let words = s.split_whitespace().count();
    let first = s
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphabetic())
        .to_lowercase();
    const LEANS_ON_CONTEXT: &[&str] = &[
        "he",
        "she",
        "they",
        "it",
        "this",
        "that",
        "these",
        "those",
        "his",
        "her",
        "their",
        "its",
        "but",
        "and",
        "also",
        "however",
        "meanwhile",
        "still",
    ];
    (8..=60).contains(&words)
        && !s.ends_with('?')
        && !s.ends_with(':')
        && !LEANS_ON_CONTEXT.contains(&first.as_str())
}

/// Picks points in candidate order, merging a candidate that restates a chosen point into it
/// (its sources join) and passing over one that adds no fact of its own, until the point or
/// word budget is spent; then orders them by how many sources carry them and how early they
/// appear. Facts that several sources report come first, but a share of the points is kept
/// for facts one outlet alone reports ([`SINGLE_SHARE`]): otherwise consensus crowds out
/// everything only one outlet found out.
fn select(candidates: Vec<Point>, opts: &Options) -> Vec<Point> {
    let single_quota = if opts.points >= 3 {
        (opts.points as f32 * SINGLE_SHARE).round() as usize
    } else {
        0
    };
    let mut chosen: Vec<Point> = Vec::new();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let mut words = 0;
    let mut rest: Vec<Point> = Vec::new();
    // First the consensus facts, up to the points left after the single-source share; then
    // the best single-source facts; then whatever is left, in rank order.
    for (pass, limit) in [
        (0, opts.points.saturating_sub(single_quota)),
        (1, opts.points),
        (2, opts.points),
    ] {
        let pool: Vec<Point> = if pass == 0 {
            candidates.clone()
        } else {
            std::mem::take(&mut rest)
        };
        for c in pool {
            let eligible = match pass {
                0 => c.sources.len() >= 2,
                1 => c.sources.len() == 1,
                _ => true,
            };
            if !eligible || chosen.len() >= limit {
                rest.push(c);
                continue;
            }
            if let Some(same) = chosen
                .iter_mut()
                .find(|p| cosine(&p.embedding, &c.embedding) >= SAME_FACT)
            {
                let mut ids: BTreeSet<ArticleId> = same.sources.iter().copied().collect();
                for e in c.evidence {
                    if ids.insert(e.source) {
                        same.sources.push(e.source);
                        same.evidence.push(e);
                    }
                }
                continue;
            }
            if chosen
                .iter()
                .any(|p| cosine(&p.embedding, &c.embedding) >= REDUNDANT)
            {
                continue;
            }
            let stems = content_stems(&c.text);
            let new_stems = stems.iter().filter(|w| !covered.contains(*w)).count();
            if !stems.is_empty() && (new_stems as f32) < NEW_FACTS * stems.len() as f32 {
                continue;
            }
            let w = c.text.split_whitespace().count();
            if opts
                .words
                .is_some_and(|max| words + w > max && !chosen.is_empty())
            {
                continue;
            }
            words += w;
            covered.extend(stems);
            chosen.push(c);
        }
    }
    chosen.sort_by(|a, b| {
        b.sources
            .len()
            .cmp(&a.sources.len())
            .then(a.position.cmp(&b.position))
    });
    chosen
}

/// Checks every sentence of an article's summary against the article. A supported sentence
/// stays, cleaned as points are (no dateline or credit, capitals repaired, a quotation's
/// speaker named in full); an unsupported one is replaced by the article sentence the checker
/// found closest, cleaned the same way, unless the summary already says that; with
/// `keep_unsupported` it stays instead, marked in the printed summary. When nothing is left,
/// the article's first sentences stand in (a model that invented, or obeyed an instruction
/// inside the article).
/// Returns the summary as printed and each sentence with its verdict.
pub fn check_summary(
    summary: &str,
    of: &Article,
    index: &Index,
    checker: &mut Checker,
    keep_unsupported: bool,
) -> Result<(String, Vec<SummarySentence>), CheckError> {
    let id = of.id;
    let own: Vec<evidence::Sentence> = index
        .sentences
        .iter()
        .filter(|s| s.source == id)
        .cloned()
        .collect();
    let sentences: Vec<String> = Splitter::news().split(summary);
    let verdicts = checker.check_all(&sentences, &own)?;
    let article: String = own
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    // A small model often copies the lede with its furniture ("TIRANA: As Washington…", a
    // headline glued before it): a sentence it keeps is cleaned as a point is, after the
    // check, which saw it as written.
    let cleaned = |s: &str| {
        let s = clean::without_title(&clean::without_dateline(s), of.title.as_deref());
        clean::with_speaker(&clean::recase(&s), &article)
    };
    let mut out: Vec<SummarySentence> = Vec::new();
    let mut printed: Vec<String> = Vec::new();
    for (text, (verdict, _)) in sentences.into_iter().zip(verdicts) {
        if verdict.supported {
            let text = cleaned(&text);
            printed.push(text.clone());
            out.push(SummarySentence {
                text,
                verdict,
                replaced: None,
            });
        } else if keep_unsupported {
            printed.push(format!(
                "{text} [unsupported: {}]",
                verdict.reason.describe()
            ));
            out.push(SummarySentence {
                text,
                verdict,
                replaced: None,
            });
        } else if let Some(best) = verdict
            .evidence
            .iter()
            .max_by(|a, b| a.score.total_cmp(&b.score))
        {
            let replacement = cleaned(&best.sentence);
            if out.iter().any(|s| s.text == replacement) {
                continue;
            }
            printed.push(replacement.clone());
            out.push(SummarySentence {
                text: replacement,
                verdict,
                replaced: Some(text),
            });
        }
    }
    if out.is_empty() {
        for s in own.iter().take(2) {
            let text = cleaned(&s.text);
            printed.push(text.clone());
            out.push(SummarySentence {
                text,
                verdict: Verdict {
                    supported: true,
                    score: 1.0,
                    reason: Reason::Supported,
                    evidence: vec![Evidence {
                        source: id,
                        sentence: s.text.clone(),
                        score: 1.0,
                    }],
                },
                replaced: None,
            });
        }
    }
    Ok((printed.join(" "), out))
}

/// The briefing's headline: the model's, without citation markers (a headline is not a claim
/// that needs a source); else the title of the article behind the best-supported point, else
/// the first title; else the best point's opening words. `points` are in reading order, the
/// lede first.
pub fn headline<'a>(
    drafted: &str,
    points: impl IntoIterator<Item = &'a Point>,
    articles: &[Article],
) -> String {
    if !drafted.is_empty() {
        return parse_citations(drafted).0;
    }
    let first = points.into_iter().next();
    let lead = first.and_then(|p| p.sources.first()).copied();
    articles
        .iter()
        .filter(|a| Some(a.id) == lead)
        .chain(articles.iter())
        .find_map(|a| a.title.clone())
        .or_else(|| first.map(|p| headline_from(&p.text)))
        .unwrap_or_else(|| "Briefing".to_string())
}

/// Sources without titles still need a line that says what the story is: the best point's
/// opening words.
fn headline_from(point: &str) -> String {
    const WORDS: usize = 14;
    let words: Vec<&str> = point.split_whitespace().collect();
    if words.len() <= WORDS {
        return point.trim_end_matches('.').to_string();
    }
    let cut = words[..WORDS].join(" ");
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_citation_forms_models_write() {
        assert_eq!(
            parse_citations("Iran denied it [S2]."),
            ("Iran denied it.".into(), vec![2])
        );
        assert_eq!(parse_citations("A b c [S1][S3]").1, vec![1, 3]);
        assert_eq!(parse_citations("A b c [S1, S3]").1, vec![1, 3]);
        assert_eq!(parse_citations("A b c (S4)").1, vec![4]);
        assert_eq!(parse_citations("A b c [Source 2; S5]").1, vec![2, 5]);
        assert_eq!(parse_citations("A b c [S2] and [S2]").1, vec![2]);
        assert_eq!(parse_citations("In 2022 [see above]").1, Vec::<u32>::new());
    }

    fn point(text: &str, sources: &[u32], position: usize, emb: Vec<f32>) -> Point {
        Point {
            text: text.into(),
            sources: sources.iter().map(|&n| ArticleId(n)).collect(),
            origin: Origin::Extracted,
            evidence: sources
                .iter()
                .map(|&n| Evidence {
                    source: ArticleId(n),
                    sentence: text.into(),
                    score: 1.0,
                })
                .collect(),
            grounded: true,
            unsupported: None,
            verdict: None,
            new: false,
            position,
            embedding: emb,
        }
    }

    #[test]
    fn restated_facts_merge_their_sources_and_order_follows_support() {
        let opts = Options {
            mode: Mode::Extractive,
            points: 2,
            words: None,
            keep_unsupported: false,
        };
        let c = vec![
            point("Albania cut ties with Iran.", &[1], 0, vec![1.0, 0.0]),
            point(
                "Albania severed relations with Iran.",
                &[2],
                0,
                vec![0.99, 0.14],
            ),
            point("Police searched the embassy.", &[3], 2, vec![0.0, 1.0]),
            point("A fourth, unrelated point.", &[4], 1, vec![0.7, -0.7]),
        ];
        let chosen = select(c, &opts);
        assert_eq!(chosen.len(), 2);
        assert_eq!(chosen[0].sources, vec![ArticleId(1), ArticleId(2)]);
        assert_eq!(chosen[1].text, "Police searched the embassy.");
    }

    /// Twelve sources, so extraction goes through the groups; the one fact that sources in
    /// different groups share must still come first and cite both.
    #[test]
    fn a_big_story_is_reduced_in_groups_and_keeps_cross_group_support() {
        let n = 12u32;
        let dim = n as usize + 1;
        let mut sentences = Vec::new();
        let shared = "The river dam near Kariba burst on Monday, flooding three villages.";
        for src in 1..=n {
            let mut own = vec![0.0f32; dim];
            own[src as usize] = 1.0;
            let text = format!("Local officials in district {src} said roads there were closed for repairs this week.");
            sentences.push(evidence::Sentence {
                source: ArticleId(src),
                position: 0,
                terms: evidence::key_terms(&text),
                text,
                embedding: own,
            });
            if src == 1 || src == n {
                let mut e = vec![0.0f32; dim];
                e[0] = 1.0;
                sentences.push(evidence::Sentence {
                    source: ArticleId(src),
                    position: 1,
                    terms: evidence::key_terms(shared),
                    text: shared.to_string(),
                    embedding: e,
                });
            }
        }
        let index = Index {
            sentences,
            sources: (1..=n).map(ArticleId).collect(),
        };
        let articles: Vec<Article> = (1..=n)
            .map(|i| Article {
                id: ArticleId(i),
                path: format!("{i}.txt"),
                title: None,
                text: String::new(),
                content_hash: String::new(),
                url: None,
                published: None,
                teaser: false,
            })
            .collect();
        let ranked = extracted(&index, &articles);
        assert_eq!(ranked[0].text, shared);
        let mut cited = ranked[0].sources.clone();
        cited.sort();
        assert_eq!(cited, vec![ArticleId(1), ArticleId(n)]);
        assert!(ranked.len() <= GROUP_KEEP * 2 + 2, "{}", ranked.len());
    }
}
