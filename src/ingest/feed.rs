//! RSS, RDF and Atom feeds: each entry is an article.
//!
//! An entry's text is its full content (`content:encoded` in RSS, `<content>` in Atom) when
//! it has one, else its summary (`<description>`, `<summary>`). Many feeds carry only a
//! teaser there, so an entry without full content is marked a teaser when its text is
//! short or trails off ("…", "Read more"): the briefing can then send readers to its link
//! instead of passing the teaser off as the story.

use std::fmt::Display;
use std::sync::LazyLock;

use chrono::SecondsFormat;
use feed_rs::model::{Entry, Link, Text};
use regex::Regex;

use super::clean::word_count;
use super::{
    clean_text, html, html_fragment_document, titled, Document, IngestError, Loaded, Refused,
};

/// Summaries shorter than this are excerpts, not articles; full news stories run to
/// hundreds of words, while feed excerpts stop at a paragraph or two.
const TEASER_MAX_WORDS: usize = 80;

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in regex {pattern:?} is invalid: {e}"))
}

/// Processing instructions (the XML declaration, stylesheets), comments and a doctype may
/// come before the root element.
static FEED_START: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?s)\A\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<(?:rss|feed|rdf:RDF)[\s>]",
    )
});

static DECLARED_ENCODING: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"(?i)\A\s*<\?xml\s[^>]*?encoding\s*=\s*["']\s*([^"'\s]+)\s*["']"#));

/// How an excerpt signals that the story goes on elsewhere.
static TRAILS_OFF: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:…|\.\.\.|\[\s*(?:…|\.\.\.)\s*\])\s*$|\b(?:read more|continue reading|keep reading|read the (?:full|rest of the|whole) (?:article|story|post))\b[^.!?]{0,120}[.!?]?\s*$",
    )
});

/// A "Read more →" / "Continue reading <title>" link closing the text, kept only up to the
/// sentence or ellipsis before it so a sentence merely containing the words is left alone.
static READ_MORE_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?i)(^|[.!?…\]"”])\s*(?:read more|continue reading|keep reading|read the (?:full|rest of the|whole) (?:article|story|post))\b[^.!?\n]{0,120}[.!?]?\s*\z"#,
    )
});

/// WordPress appends this to every entry of its feeds.
static APPEARED_FIRST: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\A(?:the post .{1,300} appeared first on .{1,200})\z"));

/// Whether the text is a feed document, whatever its file is called.
pub(super) fn sniff(text: &str) -> bool {
    FEED_START.is_match(text)
}

/// Every usable entry of a feed; an error when the feed cannot be parsed or has none.
///
/// `bytes` are the file as read and `raw` the same decoded by [`super::decode`].
pub(super) fn parse(bytes: &[u8], raw: &str, shown: &str) -> Result<Loaded, IngestError> {
    // feed-rs decodes by the XML declaration, so a declared legacy or UTF-16 encoding is read
    // from the original bytes. Otherwise the document should be UTF-8 and our decoded text
    // is that, also for the Windows-1252 files that break the rule without saying so.
    let declared = DECLARED_ENCODING
        .captures(raw)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_ascii_lowercase());
    let input = match declared.as_deref() {
        Some(enc) if enc != "utf-8" && enc != "utf8" => bytes,
        _ => raw.as_bytes(),
    };
    let feed = feed_rs::parser::parse(input).map_err(|e| IngestError::BadFeed {
        path: shown.to_string(),
        reason: one_line(&e.to_string()).unwrap_or_else(|| "unknown error".into()),
    })?;
    if feed.entries.is_empty() {
        return Err(IngestError::NoArticlesInFile {
            path: shown.to_string(),
            detail: "the feed has no entries".into(),
        });
    }
    let total = feed.entries.len();
    let mut loaded = Loaded::default();
    let mut first_problem: Option<(usize, String)> = None;
    for (index, entry) in feed.entries.iter().enumerate() {
        let number = index + 1;
        let path = format!("{shown}#{number}");
        match document(entry) {
            Ok(doc) => loaded.docs.push((path, doc)),
            Err(reason) => {
                first_problem.get_or_insert_with(|| (number, reason.clone()));
                loaded.rejected.push(Refused {
                    path,
                    error: IngestError::BadEntry {
                        path: shown.to_string(),
                        entry: number,
                        reason,
                    },
                });
            }
        }
    }
    if loaded.docs.is_empty() {
        let (entry, reason) = first_problem.unwrap_or_default();
        return Err(IngestError::NoArticlesInFile {
            path: shown.to_string(),
            detail: format!("all {total} entries were rejected; first: entry {entry}: {reason}"),
        });
    }
    Ok(loaded)
}

/// One entry's article, or why it has none.
fn document(entry: &Entry) -> Result<Document, String> {
    let title = entry.title.as_ref().and_then(title_of);
    let full = entry
        .content
        .as_ref()
        .and_then(|c| Some((c.body.as_deref()?, is_markup(&c.content_type))))
        .filter(|(body, _)| !body.trim().is_empty());
    let summary = entry
        .summary
        .as_ref()
        .map(|s| (s.content.as_str(), is_markup(&s.content_type)))
        .filter(|(body, _)| !body.trim().is_empty());
    let has_full_content = full.is_some();
    let Some((body, markup)) = full.or(summary) else {
        return Err("no text: the entry has neither content nor a summary".into());
    };
    let mut doc = if markup {
        html_fragment_document(body, title)
    } else {
        titled(clean_text(body), title)
    };
    doc.text = drop_feed_furniture(&doc.text);
    if doc.text.is_empty() {
        return Err("no article text left after removing boilerplate".into());
    }
    if !has_full_content {
        let plain = if markup {
            html_escape::decode_html_entities(&html::fragment_text(body)).into_owned()
        } else {
            body.to_string()
        };
        // Judged before cleaning: the boilerplate rules may already have removed the
        // "Read more" line that gives a teaser away.
        let trails_off = TRAILS_OFF.is_match(plain.trim_end());
        doc.teaser = trails_off || word_count(&doc.text) < TEASER_MAX_WORDS;
    }
    doc.url = link_of(&entry.links);
    doc.published = entry
        .published
        .or(entry.updated)
        .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true));
    Ok(doc)
}

/// Removes what feeds add around an entry's text: WordPress's "The post … appeared first
/// on …" and a closing "Read more" link, neither of which is part of the story.
fn drop_feed_furniture(text: &str) -> String {
    let mut paragraphs: Vec<&str> = text.split("\n\n").collect();
    if paragraphs
        .last()
        .is_some_and(|p| APPEARED_FIRST.is_match(p.trim()))
    {
        paragraphs.pop();
    }
    let joined = paragraphs.join("\n\n");
    READ_MORE_TAIL.replace(&joined, "$1").trim_end().to_string()
}

fn title_of(title: &Text) -> Option<String> {
    let text = if is_markup(&title.content_type) {
        html::fragment_text(&title.content)
    } else {
        title.content.clone()
    };
    one_line(&html_escape::decode_html_entities(&text))
}

/// The entry's own page: an `alternate` link (or one with no `rel`, as in RSS) before any
/// other (`enclosure`, `replies`, …).
fn link_of(links: &[Link]) -> Option<String> {
    links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| links.first())
        .and_then(|l| one_line(&l.href))
}

/// HTML and XHTML need their tags stripped; plain text is used as it is.
fn is_markup(mime: &impl Display) -> bool {
    let mime = mime.to_string().to_ascii_lowercase();
    mime.contains("html") || mime.contains("xml")
}

fn one_line(s: &str) -> Option<String> {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_feeds_but_not_pages_or_prose() {
        assert!(sniff(
            "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>"
        ));
        assert!(sniff(
            "<?xml version=\"1.0\"?><?xml-stylesheet href=\"a.xsl\"?>\n<!-- hi -->\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
        ));
        assert!(sniff("  <rdf:RDF xmlns:rdf=\"x\">"));
        assert!(!sniff("<!DOCTYPE html><html><body>rss</body></html>"));
        assert!(!sniff("<feedback>not a feed</feedback>"));
        assert!(!sniff("A story about <rss> feeds."));
    }

    #[test]
    fn trailing_off_is_recognised() {
        for text in [
            "The minister said talks would resume […]",
            "The minister said talks would resume...",
            "The minister said talks would resume. Continue reading Talks resume →",
            "The minister said talks would resume. Read more »",
        ] {
            assert!(TRAILS_OFF.is_match(text), "{text}");
        }
        assert!(!TRAILS_OFF.is_match("The minister said talks would resume."));
    }

    #[test]
    fn feed_furniture_is_dropped_but_prose_kept() {
        let text = "The minister said talks would resume. Continue reading Talks resume →\n\nThe post Talks resume appeared first on Example News.";
        assert_eq!(
            drop_feed_furniture(text),
            "The minister said talks would resume."
        );
        let prose = "Readers who continue reading past the headline learn more.";
        assert_eq!(drop_feed_furniture(prose), prose);
    }
}
