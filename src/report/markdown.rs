//! `briefing.md`: the report as Markdown, one section per story.

use std::fmt::Write as _;

use super::{NightlyReport, Story};
use crate::ingest::ArticleId;

fn cites(ids: &[ArticleId]) -> String {
    let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    format!("[{}]", ids.join(", "))
}

pub fn render(r: &NightlyReport) -> String {
    let mut out = String::new();
    let articles: usize = r.stories.iter().map(|s| s.sources.len()).sum();
    let _ = writeln!(out, "# Briefing — {}\n", r.date);
    let _ = writeln!(
        out,
        "{} from {} · model {} · {}",
        plural(r.stories.len(), "story", "stories"),
        plural(articles, "article", "articles"),
        r.model,
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
            let _ = writeln!(out, "- {}", x.reason);
        }
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn story(out: &mut String, n: usize, s: &Story) {
    let new = if s.new { " (new)" } else { "" };
    let _ = writeln!(out, "\n## {n}. {}{new}\n", s.headline);
    let _ = writeln!(
        out,
        "{}{}\n",
        plural(s.sources.len(), "source", "sources"),
        s.latest
            .as_ref()
            .map(|d| format!(" · latest {d}"))
            .unwrap_or_default()
    );
    for p in &s.points {
        let mark = if p.new { "**new** " } else { "" };
        let _ = writeln!(out, "- {mark}{} {}", p.text, cites(&p.sources));
    }
    if !s.disagreements.is_empty() {
        let _ = writeln!(out, "\n**Where sources differ**\n");
        for d in &s.disagreements {
            let sides: Vec<String> = d
                .sides
                .iter()
                .map(|x| format!("{} {}", x.value, cites(&x.sources)))
                .collect();
            let _ = writeln!(out, "- {}: {}", d.about, sides.join(" vs "));
        }
    }
    let _ = writeln!(out, "\nSources:\n");
    for src in &s.sources {
        let title = src.title.as_deref().unwrap_or("(untitled)");
        let link = match &src.url {
            Some(u) => format!("[{title}]({u})"),
            None => title.to_string(),
        };
        let mut extra = Vec::new();
        if let Some(p) = &src.published {
            extra.push(p.clone());
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
        let _ = writeln!(out, "- {} {link} — `{}`{extra}", src.id, src.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{DisagreementSide, RunFigures, StoryDisagreement, StoryPoint, StorySource};

    #[test]
    fn stories_show_new_marks_citations_differences_and_teaser_links() {
        let source = |n: u32, teaser: bool| StorySource {
            id: ArticleId(n),
            path: format!("feed.xml#{n}"),
            title: Some(format!("Title {n}")),
            url: Some(format!("https://example.org/{n}")),
            published: Some("2026-01-02T08:00:00Z".into()),
            teaser,
            summary: "A summary.".into(),
            content_hash: format!("h{n}"),
            new: n == 2,
        };
        let r = NightlyReport {
            date: "2026-01-02".into(),
            generated: String::new(),
            model: "m".into(),
            model_sha256: String::new(),
            since: Some("2026-01-01".into()),
            stories: vec![Story {
                headline: "Dam bursts".into(),
                new: true,
                latest: Some("2026-01-02T08:00:00Z".into()),
                sources: vec![source(1, false), source(2, true)],
                points: vec![StoryPoint {
                    text: "The dam burst on Monday.".into(),
                    sources: vec![ArticleId(1), ArticleId(2)],
                    evidence: vec![],
                    grounded: true,
                    new: true,
                }],
                disagreements: vec![StoryDisagreement {
                    about: "village".into(),
                    kind: Some("count".into()),
                    sides: vec![
                        DisagreementSide {
                            value: "3".into(),
                            sources: vec![ArticleId(1)],
                            sentence: String::new(),
                        },
                        DisagreementSide {
                            value: "4".into(),
                            sources: vec![ArticleId(2)],
                            sentence: String::new(),
                        },
                    ],
                }],
            }],
            rejected: vec![],
            run: RunFigures::default(),
        };
        let md = render(&r);
        assert!(md.contains("1 story from 2 articles"), "{md}");
        assert!(md.contains("## 1. Dam bursts (new)"), "{md}");
        assert!(
            md.contains("- **new** The dam burst on Monday. [S1, S2]"),
            "{md}"
        );
        assert!(md.contains("- village: 3 [S1] vs 4 [S2]"), "{md}");
        assert!(md.contains("[Title 2](https://example.org/2)"), "{md}");
        assert!(md.contains("teaser only; full text at the link"), "{md}");
    }
}
