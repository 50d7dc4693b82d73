//! `briefing.md`: the report as Markdown, one section per story, from `templates/report.md`
//! (see [`crate::briefing::pages`]); this module lays out what the template is given.

use serde::Serialize;

use super::{NightlyReport, RunFigures, Story};
use crate::briefing::pages::{PageError, Pages};
use crate::briefing::render::{sample_briefing, BodyView, SourceView};

#[derive(Serialize)]
struct ReportPage<'a> {
    date: &'a str,
    model: &'a str,
    /// The date of the report whose stories are not "new".
    since: Option<&'a str>,
    articles: usize,
    stories: Vec<StoryView<'a>>,
    rejected: Vec<&'a str>,
}

/// The names `report.md` may use.
const REPORT_PAGE: &[&str] = &["date", "model", "since", "articles", "stories", "rejected"];

#[derive(Serialize)]
struct StoryView<'a> {
    n: usize,
    headline: &'a str,
    new: bool,
    latest: Option<&'a str>,
    body: BodyView<'a>,
    sources: Vec<SourceView<'a>>,
}

fn page(r: &NightlyReport) -> ReportPage<'_> {
    ReportPage {
        date: &r.date,
        model: &r.model,
        since: r.since.as_deref(),
        articles: r.stories.iter().map(|s| s.briefing.sources.len()).sum(),
        stories: r
            .stories
            .iter()
            .enumerate()
            .map(|(i, s)| story(i + 1, s))
            .collect(),
        rejected: r.rejected.iter().map(|x| x.reason.as_str()).collect(),
    }
}

fn story(n: usize, s: &Story) -> StoryView<'_> {
    let b = &s.briefing;
    StoryView {
        n,
        headline: &b.headline,
        new: s.new,
        latest: s.latest.as_deref(),
        body: BodyView::of(b),
        sources: b.sources.iter().map(SourceView::of).collect(),
    }
}

/// The report with the built-in `report.md`.
pub fn render(r: &NightlyReport) -> String {
    render_with(r, &Pages::builtin()).expect("the built-in report.md renders")
}

/// The report with `pages`' `report.md`.
pub fn render_with(r: &NightlyReport, pages: &Pages) -> Result<String, PageError> {
    pages.render("report.md", page(r))
}

/// A report with every optional part present (`full`), or an empty one: what the start-up
/// check renders the report's templates with.
pub fn sample_report(full: bool) -> NightlyReport {
    NightlyReport {
        schema_version: crate::briefing::SCHEMA_VERSION,
        date: "2026-01-02".into(),
        generated: "2026-01-02T06:00:00Z".into(),
        model: "sample".into(),
        model_sha256: "0".repeat(64),
        since: full.then(|| "2026-01-01".into()),
        stories: if full {
            vec![Story {
                briefing: sample_briefing(true),
                new: true,
                latest: Some("2026-01-02T08:00:00Z".into()),
            }]
        } else {
            Vec::new()
        },
        rejected: if full {
            vec![crate::briefing::Rejected {
                path: "b.bin".into(),
                reason: "b.bin: binary".into(),
            }]
        } else {
            Vec::new()
        },
        run: RunFigures::default(),
    }
}

/// `report.md` rendered against both sample reports, before any model work.
pub fn check(pages: &Pages) -> Result<(), PageError> {
    let (full, empty) = (sample_report(true), sample_report(false));
    pages.check("report.md", REPORT_PAGE, &[page(&full), page(&empty)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::briefing::{Briefing, Disagreement, DisagreementKind, Point, Side, Source};
    use crate::ingest::ArticleId;
    use crate::report::RunFigures;

    #[test]
    fn stories_show_new_marks_citations_differences_and_teaser_links() {
        let source = |n: u32, teaser: bool| Source {
            id: ArticleId(n),
            path: format!("feed.xml#{n}"),
            title: Some(format!("Title {n}")),
            url: Some(format!("https://example.org/{n}")),
            published: Some("2026-01-02T08:00:00Z".into()),
            teaser,
            summary: "A summary.".into(),
            sentences: Vec::new(),
            chunks: 1,
            content_hash: format!("h{n}"),
            new: n == 2,
        };
        let side = |value: &str, id: u32| Side {
            value: value.into(),
            sources: vec![ArticleId(id)],
            sentence: String::new(),
        };
        let r = NightlyReport {
            schema_version: crate::briefing::SCHEMA_VERSION,
            date: "2026-01-02".into(),
            generated: String::new(),
            model: "m".into(),
            model_sha256: String::new(),
            since: Some("2026-01-01".into()),
            stories: vec![Story {
                briefing: Briefing {
                    headline: "Dam bursts".into(),
                    sources: vec![source(1, false), source(2, true)],
                    points: vec![Point {
                        sources: vec![ArticleId(1), ArticleId(2)],
                        grounded: true,
                        new: true,
                        ..Point::unchecked("The dam burst on Monday.".into())
                    }],
                    disagreements: vec![Disagreement {
                        about: "village".into(),
                        kind: DisagreementKind::Count,
                        sides: vec![side("3", 1), side("4", 2)],
                    }],
                    ..Briefing::default()
                },
                new: true,
                latest: Some("2026-01-02T08:00:00Z".into()),
            }],
            rejected: vec![],
            run: RunFigures::default(),
        };
        let md = render(&r);
        assert!(md.contains("1 story from 2 articles"), "{md}");
        assert!(md.contains("## 1. Dam bursts (new)"), "{md}");
        // Citations and disagreements are written by the one renderer every command shares.
        assert!(
            md.contains("- **new** The dam burst on Monday. [S1][S2]"),
            "{md}"
        );
        assert!(md.contains("- **village**: 3 [S1] vs 4 [S2]"), "{md}");
        assert!(md.contains("[Title 2](https://example.org/2)"), "{md}");
        assert!(md.contains("teaser only; full text at the link"), "{md}");
    }

    /// A hostile feed entry: a `javascript:` link, and a title and summary with raw HTML and a
    /// link of their own. Neither the Markdown nor the HTML report may carry any of it live.
    #[test]
    fn hostile_titles_and_links_reach_neither_markdown_nor_html_live() {
        let source = Source {
            id: ArticleId(1),
            path: "feed`1`.xml#1".into(),
            title: Some(
                "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:x)".into(),
            ),
            url: Some("  JavaScript:alert(1)".into()),
            published: None,
            teaser: true,
            summary: "Line one.\n[r]: javascript:alert(3)\n<iframe src=x>".into(),
            sentences: Vec::new(),
            chunks: 1,
            content_hash: "h".into(),
            new: false,
        };
        let r = NightlyReport {
            schema_version: crate::briefing::SCHEMA_VERSION,
            date: "2026-01-02".into(),
            generated: String::new(),
            model: "m".into(),
            model_sha256: String::new(),
            since: None,
            stories: vec![Story {
                briefing: Briefing {
                    headline: "<script>alert(4)</script>".into(),
                    sources: vec![source],
                    points: vec![Point {
                        sources: vec![ArticleId(1)],
                        grounded: true,
                        ..Point::unchecked("See [here](javascript:alert(5)) <b>now</b>".into())
                    }],
                    ..Briefing::default()
                },
                new: false,
                latest: None,
            }],
            rejected: vec![],
            run: RunFigures::default(),
        };
        let md = render(&r);
        for bad in [
            "<script",
            "<img",
            "<iframe",
            "<b>",
            "x](javascript",
            "here](javascript",
            "\n[r]:",
        ] {
            assert!(!md.contains(bad), "{bad} in {md}");
        }
        assert!(md.contains("&lt;script&gt;alert(4)&lt;/script&gt;"), "{md}");
        let html = crate::report::html::render(&r);
        let lower = html.to_lowercase();
        assert!(!lower.contains("href=\"javascript"), "{html}");
        assert!(!lower.contains("href=\"  javascript"), "{html}");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
    }
}
