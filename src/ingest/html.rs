//! HTML: whole pages go through a Readability port (`dom_smoothie`) to find the article;
//! stray markup inside text files is stripped with regexes, which is enough for tags and
//! script/style blocks pasted into a `.txt` and needs no parse tree.

use std::sync::LazyLock;

use dom_smoothie::{Config, Readability, TextMode};
use regex::Regex;

/// The readable part of an HTML page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) title: Option<String>,
    /// Text with paragraphs on their own lines; still to be cleaned.
    pub(crate) text: String,
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in regex {pattern:?} is invalid: {e}"))
}

static DOCUMENT_START: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?is)\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>])",
    )
});

/// Tags that only occur as markup; a `<` in prose ("a < b") never matches.
static MARKUP: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)</?(?:p|div|span|br|a|img|script|style|noscript|iframe|h[1-6]|ul|ol|li|table|tr|td|th|section|article|header|footer|nav|aside|main|figure|figcaption|strong|em|b|i|u|blockquote|meta|link|button|form|input|svg|picture|source|time|small|sup|sub)(?:\s[^<>]*)?/?>",
    )
});

/// Elements whose content is never article text.
const DROPPED_ELEMENTS: &[&str] = &[
    "head",
    "script",
    "style",
    "noscript",
    "iframe",
    "svg",
    "template",
    "nav",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "figcaption",
    "figure",
];

static DROPPED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    DROPPED_ELEMENTS
        .iter()
        .map(|tag| regex(&format!(r"(?is)<{tag}\b[^>]*>.*?</{tag}\s*>")))
        .collect()
});

static COMMENT: LazyLock<Regex> = LazyLock::new(|| regex(r"(?s)<!--.*?-->"));
static BLOCK_TAG: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)</?(?:p|div|section|article|header|main|h[1-6]|ul|ol|li|table|tr|blockquote|pre|hr|dl|dt|dd|title|body|html)\b[^>]*>",
    )
});
static LINE_BREAK: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)<br\s*/?>"));
static CELL_END: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)</t[dh]\s*>"));
static ANY_TAG: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?s)</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<![^<>]*>"));

static TITLE_TAG: LazyLock<Regex> = LazyLock::new(|| regex(r"(?is)<title[^>]*>(.*?)</title\s*>"));
static H1_TAG: LazyLock<Regex> = LazyLock::new(|| regex(r"(?is)<h1[^>]*>(.*?)</h1\s*>"));
static OG_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r#"(?is)<meta\s[^>]*property\s*=\s*["']og:title["'][^>]*content\s*=\s*["']([^"']*)["']"#)
});

/// Whether the text is a whole HTML page rather than prose that happens to hold a tag.
pub(crate) fn is_document(text: &str) -> bool {
    DOCUMENT_START.is_match(text)
}

/// Whether the text carries HTML markup worth stripping.
pub(crate) fn has_markup(text: &str) -> bool {
    MARKUP.is_match(text) || text.contains("<!--")
}

/// Removes tags, comments and non-content elements, turning block boundaries into blank
/// lines so paragraphs survive. Entities are left for the caller to decode.
pub(crate) fn strip_tags(text: &str) -> String {
    let mut out = COMMENT.replace_all(text, "").into_owned();
    for element in DROPPED.iter() {
        out = element.replace_all(&out, "\n\n").into_owned();
    }
    let out = LINE_BREAK.replace_all(&out, "\n");
    let out = CELL_END.replace_all(&out, " ");
    let out = BLOCK_TAG.replace_all(&out, "\n\n");
    ANY_TAG.replace_all(&out, "").into_owned()
}

/// An HTML fragment's text with paragraph breaks kept. Newlines in the markup are only
/// source formatting, so they are folded into spaces before block tags and `<br>` put the
/// real breaks back; otherwise a hard-wrapped `<p>` would come out as one paragraph a line.
pub(crate) fn fragment_text(html: &str) -> String {
    let flat = html.split_whitespace().collect::<Vec<_>>().join(" ");
    strip_tags(&flat)
}

/// The article in an HTML page: Readability's pick, or the whole page's text when
/// Readability finds nothing article-like (short pages, unusual markup).
pub(crate) fn extract(html: &str) -> Page {
    let config = Config {
        text_mode: TextMode::Formatted,
        ..Config::default()
    };
    let readable = Readability::new(html, None, Some(config)).and_then(|mut r| r.parse());
    match readable {
        Ok(article) if !article.text_content.trim().is_empty() => Page {
            title: non_empty(&article.title).or_else(|| fallback_title(html)),
            text: article.text_content.to_string(),
        },
        _ => Page {
            title: fallback_title(html),
            text: strip_tags(html),
        },
    }
}

fn fallback_title(html: &str) -> Option<String> {
    [&*OG_TITLE, &*H1_TAG, &*TITLE_TAG]
        .iter()
        .filter_map(|re| re.captures(html))
        .filter_map(|caps| caps.get(1))
        .map(|m| {
            let text = strip_tags(m.as_str());
            html_escape::decode_html_entities(&text).into_owned()
        })
        .find_map(|t| non_empty(&t))
}

fn non_empty(text: &str) -> Option<String> {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html>
<html><head>
<title>Albania cuts ties with Iran | Example News</title>
<meta property="og:title" content="Albania cuts ties with Iran">
<style>body { color: red }</style>
<script>var tracking = "should never appear";</script>
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article>
<h1>Albania cuts ties with Iran</h1>
<p>Albania severed diplomatic relations with Iran on Wednesday, ordering embassy staff to leave the country within twenty-four hours after a cyberattack that shut down government services in July.</p>
<p>Prime Minister Edi Rama said an investigation had found &ldquo;undeniable evidence&rdquo; that the attack was orchestrated by the state, and not by independent groups acting alone.</p>
<p>The United States said it would take further action to hold Iran accountable for actions that threaten the security of an ally and set a troubling precedent for cyberspace.</p>
</article>
<footer>Copyright 2022 Example News. All rights reserved.</footer>
</body></html>"#;

    #[test]
    fn recognises_whole_documents() {
        assert!(is_document(PAGE));
        assert!(is_document("  <html lang=\"en\"><body>x</body></html>"));
        assert!(!is_document("A story about <p> tags."));
    }

    #[test]
    fn recognises_markup_but_not_comparisons() {
        assert!(has_markup("Hello<br>world"));
        assert!(has_markup("<p class=\"x\">Hi</p>"));
        assert!(!has_markup("Inflation < 3% and growth > 2% were reported."));
    }

    #[test]
    fn strip_tags_keeps_paragraphs_and_drops_scripts() {
        let text = strip_tags("<p>One &amp; two</p><script>evil()</script><p>Three<br>four</p>");
        assert!(!text.contains("evil"));
        assert!(!text.contains('<'));
        let paragraphs: Vec<&str> = text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        assert_eq!(paragraphs, ["One &amp; two", "Three\nfour"]);
    }

    #[test]
    fn fragment_text_keeps_paragraphs_but_not_source_line_breaks() {
        let text = fragment_text(
            "<p>A paragraph wrapped\n  across two source lines.</p>\n<p>Second<br/>line</p>",
        );
        let paragraphs: Vec<&str> = text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        assert_eq!(
            paragraphs,
            [
                "A paragraph wrapped across two source lines.",
                "Second\nline"
            ]
        );
    }

    #[test]
    fn extracts_title_and_paragraphs() {
        let page = extract(PAGE);
        assert_eq!(page.title.as_deref(), Some("Albania cuts ties with Iran"));
        assert!(page.text.contains("Albania severed diplomatic relations"));
        assert!(page.text.contains("“undeniable evidence”"));
        assert!(page.text.contains("troubling precedent for cyberspace."));
        assert!(!page.text.contains("should never appear"));
        assert!(!page.text.contains("color: red"));
        let severed = page.text.find("Albania severed").unwrap_or(0);
        let rama = page.text.find("Prime Minister").unwrap_or(0);
        assert!(
            page.text[severed..rama].contains('\n'),
            "paragraphs must stay apart"
        );
    }

    #[test]
    fn tiny_pages_fall_back_to_their_text() {
        let page = extract(
            "<html><head><title>Short</title></head><body><p>Just one line.</p></body></html>",
        );
        assert_eq!(page.title.as_deref(), Some("Short"));
        assert!(page.text.contains("Just one line."));
    }
}
