//! A report → Markdown for people or JSON for programs.

use std::fmt::Write as _;

use crate::llm::manifest::Role;
use crate::pipeline::{Report, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Markdown, Format::Json];

    /// The name the command line takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Json => "json",
        }
    }
}

pub fn render(report: &Report, format: Format, evidence: bool) -> String {
    match format {
        Format::Markdown => markdown(report, evidence),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
                // Serialising plain data cannot fail; if it ever does, say so in the output.
                format!("{{\"error\": \"serialising the report failed: {e}\"}}")
            });
            s.push('\n');
            s
        }
    }
}

fn cites(ids: &[crate::ingest::ArticleId]) -> String {
    ids.iter().map(|id| format!("[{id}]")).collect()
}

/// One source in the list: its title (a link when it has a url), where it came from, when it
/// was published, and its summary, with a warning when only a teaser was read.
fn source_entry(s: &Source) -> String {
    let title = s.title.as_deref().unwrap_or("(untitled)");
    let url = s.url.as_deref().map(link_target);
    let heading = match &url {
        Some(url) => format!("[{}]({url})", escape_link_text(title)),
        None => title.to_string(),
    };
    let mut out = format!("**[{}] {}** — `{}`", s.id, heading, s.path);
    if let Some(published) = &s.published {
        let _ = write!(out, " · {published}");
    }
    out.push('\n');
    out.push_str(&s.summary);
    if s.chunks > 1 {
        let _ = write!(out, " _(long article: summarized in {} parts)_", s.chunks);
    }
    if s.teaser {
        match &url {
            Some(url) => {
                let _ = write!(out, " _(teaser only; full text at <{url}>)_");
            }
            None => out.push_str(" _(teaser only)_"),
        }
    }
    out.push_str("\n\n");
    out
}

/// A url usable both as `[text](url)` and `<url>`: the characters that would end either
/// early are percent-encoded, which browsers read the same.
fn link_target(url: &str) -> String {
    url.trim()
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '(' => "%28".to_string(),
            ')' => "%29".to_string(),
            '<' => "%3C".to_string(),
            '>' => "%3E".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn escape_link_text(text: &str) -> String {
    text.replace('[', "\\[").replace(']', "\\]")
}

pub fn markdown(report: &Report, evidence: bool) -> String {
    let mut out = String::new();
    let b = &report.briefing;
    let _ = writeln!(out, "# {}\n", b.headline);
    if report.run.model.role == Role::Base {
        let _ = writeln!(
            out,
            "> Written by `{}`, a base model (not instruction-tuned): expect rougher text.\n",
            report.run.model.name
        );
    }
    if b.points.is_empty() {
        let _ = writeln!(
            out,
            "_No point of the model's briefing could be traced to a source; see the summaries below._\n"
        );
    }
    for p in &b.points {
        let mark = match &p.unsupported {
            Some(why) => format!(" **(unsupported: {why})**"),
            None => String::new(),
        };
        let _ = writeln!(out, "- {} {}{}", p.text, cites(&p.sources), mark);
        if evidence {
            for e in &p.evidence {
                let _ = writeln!(out, "  - [{}] {:.2}: \"{}\"", e.source, e.score, e.sentence);
            }
        }
    }
    if !b.disagreements.is_empty() {
        let _ = writeln!(out, "\n## Where sources differ\n");
        for d in &b.disagreements {
            let sides: Vec<String> = d
                .sides
                .iter()
                .map(|s| format!("{} {}", s.value, cites(&s.sources)))
                .collect();
            let _ = writeln!(out, "- **{}**: {}", d.about, sides.join(" vs "));
            if evidence {
                for s in &d.sides {
                    let _ = writeln!(out, "  - {}: \"{}\"", cites(&s.sources), s.sentence);
                }
            }
        }
    }
    let _ = writeln!(out, "\n## Sources\n");
    for s in &report.sources {
        out.push_str(&source_entry(s));
    }
    for s in &report.skipped {
        let _ = writeln!(
            out,
            "_Skipped `{}`: same article as [{}]._",
            s.path, s.duplicate_of
        );
    }
    for r in &report.rejected {
        let _ = writeln!(out, "_Not used: {}._", r.reason);
    }
    let r = &report.run;
    let _ = writeln!(
        out,
        "\n---\n_{} · {} · {:.1} s · prefill {:.0} tok/s · decode {:.0} tok/s_",
        r.model.name,
        r.model.sha256.get(..12).unwrap_or(""),
        r.timings.total_secs,
        r.timings.prefill_tok_per_s,
        r.timings.decode_tok_per_s
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ArticleId;

    fn source() -> Source {
        Source {
            id: ArticleId(2),
            path: "news.rss#2".into(),
            title: Some("Talks [update] resume".into()),
            summary: "Talks resumed on Monday.".into(),
            chunks: 1,
            content_hash: String::new(),
            url: None,
            published: None,
            teaser: false,
        }
    }

    #[test]
    fn a_plain_source_is_listed_as_before() {
        assert_eq!(
            source_entry(&source()),
            "**[S2] Talks [update] resume** — `news.rss#2`\nTalks resumed on Monday.\n\n"
        );
    }

    #[test]
    fn a_source_with_a_url_links_its_title_and_shows_its_date() {
        let s = Source {
            url: Some("https://example.com/a (b)".into()),
            published: Some("2024-03-05T09:30:00Z".into()),
            ..source()
        };
        assert_eq!(
            source_entry(&s),
            "**[S2] [Talks \\[update\\] resume](https://example.com/a%20%28b%29)** — `news.rss#2` · 2024-03-05T09:30:00Z\nTalks resumed on Monday.\n\n"
        );
    }

    #[test]
    fn a_teaser_points_to_the_full_text() {
        let s = Source {
            url: Some("https://example.com/a".into()),
            teaser: true,
            ..source()
        };
        assert!(source_entry(&s).contains(
            "Talks resumed on Monday. _(teaser only; full text at <https://example.com/a>)_"
        ));
        let no_url = Source {
            teaser: true,
            ..source()
        };
        assert!(source_entry(&no_url).contains("Monday. _(teaser only)_"));
    }
}
