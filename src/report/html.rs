//! `briefing.html` and `index.html`: self-contained pages (inline CSS and SVG, no scripts, no
//! external assets), readable offline and safe to mail around. Evidence is on hover (the
//! citation's title) and on expand (`<details>`), so the page needs no JavaScript.
//!
//! The pages are `templates/report.html` and `templates/index.html` (see
//! [`crate::briefing::pages`]); this module only lays out what they show, with every figure
//! formatted, so a template holds no arithmetic.

use serde::Serialize;

use super::{NightlyReport, PastReport, Story};
use crate::briefing::pages::{PageError, Pages};
use crate::briefing::Point;
use crate::ingest::ArticleId;

#[derive(Serialize)]
struct ReportPage<'a> {
    date: &'a str,
    generated: &'a str,
    model: &'a str,
    since: Option<&'a str>,
    new_stories: usize,
    articles: usize,
    chart: Option<Chart>,
    stories: Vec<StoryView<'a>>,
    rejected: Vec<&'a str>,
    run: RunView,
}

#[derive(Serialize)]
struct RunView {
    run_id: i64,
    model_calls: usize,
    summaries_reused: usize,
    stories_reused: usize,
    secs: String,
}

/// Sources per story as horizontal bars, each linking to its story; coordinates are strings
/// so the SVG reads as it always has (`3`, not `3.0`).
#[derive(Serialize)]
struct Chart {
    width: String,
    height: String,
    label_x: String,
    bar_x: String,
    bar_h: String,
    rows: Vec<ChartRow>,
}

#[derive(Serialize)]
struct ChartRow {
    n: usize,
    label: String,
    y: String,
    text_y: String,
    w: String,
    n_x: String,
    new: bool,
    sources: usize,
}

#[derive(Serialize)]
struct StoryView<'a> {
    n: usize,
    headline: &'a str,
    new: bool,
    latest: Option<&'a str>,
    /// The lede, a paragraph before the numbered points.
    lede: Option<PointView<'a>>,
    points: Vec<PointView<'a>>,
    disagreements: Vec<DisagreementView<'a>>,
    sources: Vec<SourceView<'a>>,
}

#[derive(Serialize)]
struct Cite<'a> {
    id: ArticleId,
    anchor: String,
    sentence: &'a str,
}

#[derive(Serialize)]
struct PointView<'a> {
    text: &'a str,
    new: bool,
    cites: Vec<Cite<'a>>,
    evidence: Vec<EvidenceView<'a>>,
}

#[derive(Serialize)]
struct EvidenceView<'a> {
    source: ArticleId,
    sentence: &'a str,
    score: String,
}

#[derive(Serialize)]
struct DisagreementView<'a> {
    about: &'a str,
    sides: Vec<SideView<'a>>,
}

#[derive(Serialize)]
struct SideView<'a> {
    value: &'a str,
    sentence: &'a str,
    cites: Vec<Cite<'a>>,
}

#[derive(Serialize)]
struct SourceView<'a> {
    id: ArticleId,
    anchor: String,
    title: &'a str,
    /// As the source gives it; the template's `web_url` filter keeps only http(s).
    url: Option<&'a str>,
    path: &'a str,
    published: Option<&'a str>,
    summary: &'a str,
    new: bool,
    teaser: bool,
}

fn anchor(story: usize, id: ArticleId) -> String {
    format!("st{story}-{id}")
}

/// The report page with the built-in templates.
pub fn render(r: &NightlyReport) -> String {
    render_with(r, &Pages::builtin()).expect("the built-in report template renders")
}

/// The report page with `pages`' `report.html`.
pub fn render_with(r: &NightlyReport, pages: &Pages) -> Result<String, PageError> {
    pages.render("report.html", page(r))
}

/// The names `report.html` may use.
const REPORT_PAGE: &[&str] = &[
    "date",
    "generated",
    "model",
    "since",
    "new_stories",
    "articles",
    "chart",
    "stories",
    "rejected",
    "run",
];

/// `report.html` and `index.html` rendered against sample reports (one with every optional
/// part, one with none), before any model work (see [`Pages::check`]).
pub fn check(pages: &Pages) -> Result<(), PageError> {
    let (full, empty) = (
        super::markdown::sample_report(true),
        super::markdown::sample_report(false),
    );
    pages.check("report.html", REPORT_PAGE, &[page(&full), page(&empty)])?;
    let past = vec![
        PastReport {
            date: "2026-01-02".into(),
            stories: 1,
            articles: 2,
            new_stories: Some(1),
            headlines: vec!["A headline".into()],
        },
        PastReport {
            date: "2026-01-01".into(),
            stories: 0,
            articles: 0,
            new_stories: None,
            headlines: Vec::new(),
        },
    ];
    pages.check(
        "index.html",
        INDEX_PAGE,
        &[IndexPage { reports: &past }, IndexPage { reports: &[] }],
    )
}

fn page(r: &NightlyReport) -> ReportPage<'_> {
    ReportPage {
        date: &r.date,
        generated: &r.generated,
        model: &r.model,
        since: r.since.as_deref(),
        new_stories: r.stories.iter().filter(|s| s.new).count(),
        articles: r.stories.iter().map(|s| s.briefing.sources.len()).sum(),
        chart: chart(&r.stories),
        stories: r
            .stories
            .iter()
            .enumerate()
            .map(|(i, s)| story(i + 1, s))
            .collect(),
        rejected: r.rejected.iter().map(|x| x.reason.as_str()).collect(),
        run: RunView {
            run_id: r.run.run_id,
            model_calls: r.run.model_calls,
            summaries_reused: r.run.summaries_reused,
            stories_reused: r.run.stories_reused,
            secs: format!("{:.1}", r.run.secs),
        },
    }
}

fn chart(stories: &[Story]) -> Option<Chart> {
    if stories.is_empty() {
        return None;
    }
    let shown = &stories[..stories.len().min(20)];
    let max = shown
        .iter()
        .map(|s| s.briefing.sources.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, row) = (330.0, 560.0, 22.0);
    let rows = shown
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let y = i as f64 * row + 3.0;
            let w = (bar_w * s.briefing.sources.len() as f64 / max as f64).max(3.0);
            let label = if s.briefing.headline.chars().count() > 48 {
                format!(
                    "{}…",
                    s.briefing.headline.chars().take(47).collect::<String>()
                )
            } else {
                s.briefing.headline.clone()
            };
            ChartRow {
                n: i + 1,
                label,
                y: y.to_string(),
                text_y: (y + 14.0).to_string(),
                w: format!("{w:.1}"),
                n_x: format!("{:.1}", label_w + w + 6.0),
                new: s.new,
                sources: s.briefing.sources.len(),
            }
        })
        .collect();
    Some(Chart {
        width: (label_w + bar_w + 40.0).to_string(),
        height: (row * shown.len() as f64 + 6.0).to_string(),
        label_x: (label_w - 8.0).to_string(),
        bar_x: label_w.to_string(),
        bar_h: (row - 6.0).to_string(),
        rows,
    })
}

fn story(n: usize, s: &Story) -> StoryView<'_> {
    let b = &s.briefing;
    StoryView {
        n,
        headline: &b.headline,
        new: s.new,
        latest: s.latest.as_deref(),
        lede: b.lede.as_ref().map(|p| point(n, p)),
        points: b.points.iter().map(|p| point(n, p)).collect(),
        disagreements: b
            .disagreements
            .iter()
            .map(|d| DisagreementView {
                about: &d.about,
                sides: d
                    .sides
                    .iter()
                    .map(|x| SideView {
                        value: &x.value,
                        sentence: &x.sentence,
                        cites: x
                            .sources
                            .iter()
                            .map(|id| Cite {
                                id: *id,
                                anchor: anchor(n, *id),
                                sentence: &x.sentence,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        sources: b
            .sources
            .iter()
            .map(|src| SourceView {
                id: src.id,
                anchor: anchor(n, src.id),
                title: src.title.as_deref().unwrap_or("(untitled)"),
                url: src.url.as_deref(),
                path: &src.path,
                published: src.published.as_deref(),
                summary: &src.summary,
                new: src.new,
                teaser: src.teaser,
            })
            .collect(),
    }
}

fn point(story: usize, p: &Point) -> PointView<'_> {
    PointView {
        text: &p.text,
        new: p.new,
        cites: p
            .sources
            .iter()
            .map(|id| Cite {
                id: *id,
                anchor: anchor(story, *id),
                sentence: p
                    .evidence
                    .iter()
                    .find(|e| e.source == *id)
                    .map(|e| e.sentence.as_str())
                    .unwrap_or(""),
            })
            .collect(),
        evidence: p
            .evidence
            .iter()
            .map(|e| EvidenceView {
                source: e.source,
                sentence: &e.sentence,
                score: format!("{:.2}", e.score),
            })
            .collect(),
    }
}

/// `index.html` with the built-in templates.
pub fn index(reports: &[PastReport]) -> String {
    index_with(reports, &Pages::builtin()).expect("the built-in index template renders")
}

#[derive(Serialize)]
struct IndexPage<'a> {
    reports: &'a [PastReport],
}

/// The names `index.html` may use.
const INDEX_PAGE: &[&str] = &["reports"];

/// `index.html`: every dated report in the output directory, newest first.
pub fn index_with(reports: &[PastReport], pages: &Pages) -> Result<String, PageError> {
    pages.render("index.html", IndexPage { reports })
}
