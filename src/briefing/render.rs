//! Briefings → Markdown for people or JSON for programs. Every command's Markdown (`run`, the
//! nightly report, `compare`) is built from the pieces here, so citations, links and marks are
//! written (and escaped) one way.

use std::fmt::Write as _;

use super::{Briefing, Disagreement, Document, Point, Source};
use crate::ingest::ArticleId;
use crate::llm::manifest::Role;

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

pub fn render(doc: &Document, format: Format, evidence: bool) -> String {
    match format {
        Format::Markdown => markdown(doc, evidence),
        Format::Json => json(doc),
    }
}

/// Pretty JSON with a final newline.
pub fn json<T: serde::Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        // Serialising plain data cannot fail; if it ever does, say so in the output.
        format!("{{\"error\": \"serialising failed: {e}\"}}")
    });
    s.push('\n');
    s
}

/// Citation markers, `[S1][S2]`.
pub fn cites(ids: &[ArticleId]) -> String {
    ids.iter().map(|id| format!("[{id}]")).collect()
}

/// The one escape for text from a feed, a file or a model going into Markdown: on one line (a
/// newline could start a heading, a quote or a link definition), no raw HTML (`<` and `>` as
/// entities), and no `]` that could close a link text or start a definition. Brackets that
/// cannot make a link stay as they are, so `[update]` in a title reads as written.
pub fn escape(text: &str) -> String {
    markdown_escape(text, false)
}

/// [`escape`] for the text of a link, where any bracket would end it early.
pub fn escape_link_text(text: &str) -> String {
    markdown_escape(text, true)
}

fn markdown_escape(text: &str, in_link: bool) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(flat.len());
    let mut chars = flat.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '[' if in_link => out.push_str("\\["),
            ']' if in_link || matches!(chars.peek(), Some('(' | ':' | '[')) => out.push_str("\\]"),
            c => out.push(c),
        }
    }
    out
}

/// The one escape for text and (double- or single-quoted) attribute values in HTML.
pub fn escape_html(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

/// The url, trimmed, when it is one a reader may follow: http or https only, so a feed's
/// `javascript:` or `data:` link is never written as a link.
pub fn web_url(url: &str) -> Option<&str> {
    let u = url.trim();
    let scheme = u.split_once("://").map(|(s, _)| s)?;
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")).then_some(u)
}

/// Text inside a code span: the fence is one backtick longer than any run inside it, so a
/// path with backticks cannot end the span early and let the rest be read as Markdown.
pub fn code(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let longest = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{flat}{fence}")
    } else {
        format!("{fence} {flat} {fence}")
    }
}

/// A url usable both as `[text](url)` and `<url>`: the characters that would end either
/// early are percent-encoded, which browsers read the same.
pub fn link_target(url: &str) -> String {
    url.trim()
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '(' => "%28".to_string(),
            ')' => "%29".to_string(),
            '<' => "%3C".to_string(),
            '>' => "%3E".to_string(),
            c if c.is_whitespace() || c.is_control() => {
                let mut buf = [0; 4];
                c.encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect()
            }
            c => c.to_string(),
        })
        .collect()
}

/// A source's title, a link when it has a url a reader may follow.
pub fn title_link(s: &Source) -> String {
    let title = s.title.as_deref().unwrap_or("(untitled)");
    match s.url.as_deref().and_then(web_url).map(link_target) {
        Some(url) => format!("[{}]({url})", escape_link_text(title)),
        None => escape(title),
    }
}

/// One point as a list item: its "new" mark, text, citations and, when it failed its checks,
/// why; with `evidence`, each supporting sentence below it.
pub fn point(out: &mut String, p: &Point, evidence: bool) {
    statement(out, "- ", p, evidence);
}

/// The lede: a paragraph of its own, cited like a point.
pub fn lede(out: &mut String, p: &Point, evidence: bool) {
    statement(out, "", p, evidence);
    out.push('\n');
}

fn statement(out: &mut String, bullet: &str, p: &Point, evidence: bool) {
    let new = if p.new { "**new** " } else { "" };
    let unsupported = match &p.unsupported {
        Some(why) => format!(" **(unsupported: {})**", escape(why)),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "{bullet}{new}{} {}{unsupported}",
        escape(&p.text),
        cites(&p.sources)
    );
    if evidence {
        for e in &p.evidence {
            let _ = writeln!(
                out,
                "  - [{}] {:.2}: \"{}\"",
                e.source,
                e.score,
                escape(&e.sentence)
            );
        }
    }
}

/// One disagreement as a list item: each side's value and sources.
pub fn disagreement(out: &mut String, d: &Disagreement, evidence: bool) {
    let sides: Vec<String> = d
        .sides
        .iter()
        .map(|s| format!("{} {}", escape(&s.value), cites(&s.sources)))
        .collect();
    let _ = writeln!(out, "- **{}**: {}", escape(&d.about), sides.join(" vs "));
    if evidence {
        for s in &d.sides {
            let _ = writeln!(
                out,
                "  - {}: \"{}\"",
                cites(&s.sources),
                escape(&s.sentence)
            );
        }
    }
}

/// One source in the list: its title (a link when it has a url), where it came from, when it
/// was published, and its summary, with a warning when only a teaser was read.
pub fn source_entry(s: &Source) -> String {
    let mut out = format!("**[{}] {}** — {}", s.id, title_link(s), code(&s.path));
    if let Some(published) = &s.published {
        let _ = write!(out, " · {}", escape(published));
    }
    if s.new {
        out.push_str(" · **new**");
    }
    out.push('\n');
    out.push_str(&escape(&s.summary));
    if s.chunks > 1 {
        let _ = write!(out, " _(long article: summarized in {} parts)_", s.chunks);
    }
    if s.teaser {
        match s.url.as_deref().and_then(web_url).map(link_target) {
            Some(url) => {
                let _ = write!(out, " _(teaser only; full text at <{url}>)_");
            }
            None => out.push_str(" _(teaser only)_"),
        }
    }
    out.push_str("\n\n");
    out
}

/// A briefing's points and disagreements (under a heading of `level`), without its headline
/// or sources.
pub fn body(out: &mut String, b: &Briefing, level: usize, evidence: bool) {
    if let Some(p) = &b.lede {
        lede(out, p, evidence);
    }
    for p in &b.points {
        point(out, p, evidence);
    }
    if !b.disagreements.is_empty() {
        let _ = writeln!(out, "\n{} Where sources differ\n", "#".repeat(level));
        for d in &b.disagreements {
            disagreement(out, d, evidence);
        }
    }
}

/// `brief run`'s Markdown.
pub fn markdown(doc: &Document, evidence: bool) -> String {
    let mut out = String::new();
    let b = &doc.briefing;
    let _ = writeln!(out, "# {}\n", escape(&b.headline));
    if doc.run.model.role == Role::Base {
        let _ = writeln!(
            out,
            "> Written by {}, a base model (not instruction-tuned): expect rougher text.\n",
            code(&doc.run.model.name)
        );
    }
    if b.statements().next().is_none() {
        let _ = writeln!(
            out,
            "_No point of the model's briefing could be traced to a source; see the summaries below._\n"
        );
    }
    body(&mut out, b, 2, evidence);
    let _ = writeln!(out, "\n## Sources\n");
    for s in &b.sources {
        out.push_str(&source_entry(s));
    }
    for s in &doc.skipped {
        let _ = writeln!(
            out,
            "_Skipped {}: same article as [{}]._",
            code(&s.path),
            s.duplicate_of
        );
    }
    for r in &doc.rejected {
        let _ = writeln!(out, "_Not used: {}._", escape(&r.reason));
    }
    let r = &doc.run;
    let _ = writeln!(
        out,
        "\n---\n_{} · {} · {:.1} s · prefill {:.0} tok/s · decode {:.0} tok/s_",
        escape(&r.model.name),
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

    fn source() -> Source {
        Source {
            id: ArticleId(2),
            path: "news.rss#2".into(),
            title: Some("Talks [update] resume".into()),
            summary: "Talks resumed on Monday.".into(),
            sentences: Vec::new(),
            chunks: 1,
            content_hash: String::new(),
            url: None,
            published: None,
            teaser: false,
            new: false,
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

    #[test]
    fn only_http_and_https_urls_are_links() {
        assert_eq!(
            web_url(" https://a.example/x "),
            Some("https://a.example/x")
        );
        assert_eq!(web_url("HTTP://a.example"), Some("HTTP://a.example"));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "java\tscript://x",
            "//x",
            "x",
        ] {
            assert_eq!(web_url(bad), None, "{bad}");
        }
        let s = Source {
            url: Some("javascript:alert(1)".into()),
            title: Some("A [b](javascript:c) <i>".into()),
            ..source()
        };
        assert_eq!(title_link(&s), "A [b\\](javascript:c) &lt;i&gt;");
    }

    #[test]
    fn a_path_with_backticks_stays_inside_its_code_span() {
        assert_eq!(code("a`<b>`c"), "`` a`<b>`c ``");
        assert_eq!(code("plain"), "`plain`");
    }
}
