//! `briefing.md`: the report as Markdown, one section per story.

use std::fmt::Write as _;

use super::{NightlyReport, Story};
use crate::briefing::render;

pub fn render(r: &NightlyReport) -> String {
    let mut out = String::new();
    let articles: usize = r.stories.iter().map(|s| s.briefing.sources.len()).sum();
    let _ = writeln!(out, "# Briefing — {}\n", r.date);
    let _ = writeln!(
        out,
        "{} from {} · model {} · {}",
        plural(r.stories.len(), "story", "stories"),
        plural(articles, "article", "articles"),
        render::escape(&r.model),
        match &r.since {
            Some(d) => format!("**new** marks what was not in the report of {d}"),
            None => "first report".to_string(),
        }
    );
    for (i, s) in r.stories.iter().enumerate() {
        story(&mut out, i + 1, s);
    }
    if !r.rejected.is_empty() {
        let _ = writeln!(out, "\n## Inputs not used\n");
        for x in &r.rejected {
            let _ = writeln!(out, "- {}", render::escape(&x.reason));
        }
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn story(out: &mut String, n: usize, s: &Story) {
    let b = &s.briefing;
    let new = if s.new { " (new)" } else { "" };
    let _ = writeln!(out, "\n## {n}. {}{new}\n", render::escape(&b.headline));
    let _ = writeln!(
        out,
        "{}{}\n",
        plural(b.sources.len(), "source", "sources"),
        s.latest
            .as_ref()
            .map(|d| format!(" · latest {}", render::escape(d)))
            .unwrap_or_default()
    );
    render::body(out, b, 3, false);
    let _ = writeln!(out, "\nSources:\n");
    for src in &b.sources {
        let mut extra = Vec::new();
        if let Some(p) = &src.published {
            extra.push(render::escape(p));
        }
        if src.teaser {
            extra.push("teaser only; full text at the link".into());
        }
        if src.new {
            extra.push("new".into());
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!(" ({})", extra.join(", "))
        };
        let _ = writeln!(
            out,
            "- {} {} — {}{extra}",
            src.id,
            render::title_link(src),
            render::code(&src.path)
        );
    }
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
        // The run's Markdown goes through the same pieces.
        let entry = crate::briefing::render::source_entry(&r.stories[0].briefing.sources[0]);
        assert!(
            !entry.to_lowercase().contains("javascript:alert(1)"),
            "{entry}"
        );
        assert!(!entry.contains("<script"), "{entry}");
    }
}
