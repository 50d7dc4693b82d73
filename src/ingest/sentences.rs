//! Sentence splitting for news text: [`Splitter::news`], the product's splitter, the
//! `sentencex` segmenter (maintained, with English abbreviation, initial, decimal and quotation
//! rules built in), applied to each paragraph separately because a line break always ends a
//! sentence in article text.
//!
//! The plumbing around a segmenter (paragraphs, whitespace, spans back into the text) is shared
//! through [`Segmenter`], so ROUGE's Punkt port (`measure::rouge::punkt`, which must split
//! exactly as the eval harness does) reuses it without living here. Every splitter trims
//! sentences and never returns empty ones. [`Splitter::split`] returns sentences with
//! whitespace runs collapsed to one space (what `sentsplit.py` returns);
//! [`Splitter::split_spans`] returns the same sentences as byte ranges into the original text,
//! for evidence matching.

use std::ops::Range;
use std::sync::Arc;

/// How one paragraph (whitespace already collapsed) is cut into sentences.
pub trait Segmenter: std::fmt::Debug + Send + Sync {
    /// Sentence spans into `paragraph`; they may carry surrounding whitespace.
    fn spans(&self, paragraph: &str) -> Vec<Range<usize>>;
    /// Whether `c` always ends a paragraph.
    fn is_hard_break(&self, c: char) -> bool;
}

/// `sentencex`, per paragraph.
#[derive(Debug)]
struct News;

impl Segmenter for News {
    fn spans(&self, paragraph: &str) -> Vec<Range<usize>> {
        sentencex::get_sentence_boundaries("en", paragraph)
            .into_iter()
            .map(|b| b.start_byte..b.end_byte)
            .collect()
    }

    fn is_hard_break(&self, c: char) -> bool {
        matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
    }
}

/// A sentence splitter: a [`Segmenter`] with the shared paragraph and span handling.
#[derive(Debug, Clone)]
pub struct Splitter {
    segmenter: Arc<dyn Segmenter>,
}

impl Splitter {
    /// The product's splitter: needs no data files.
    pub fn news() -> Self {
        Self::with(News)
    }

    pub fn with(segmenter: impl Segmenter + 'static) -> Self {
        Splitter {
            segmenter: Arc::new(segmenter),
        }
    }

    /// Sentences, trimmed, with each whitespace run collapsed to a single space. For a Punkt
    /// splitter this is exactly what `sentsplit.split_sentences` returns.
    pub fn split(&self, text: &str) -> Vec<String> {
        self.paragraph_sentences(text)
            .into_iter()
            .flat_map(|(para, spans)| spans.into_iter().map(move |s| para.text[s].to_string()))
            .collect()
    }

    /// The sentences of [`split`](Self::split) as byte ranges into `text`; each starts and
    /// ends on a non-whitespace character.
    pub fn split_spans(&self, text: &str) -> Vec<Range<usize>> {
        self.paragraph_sentences(text)
            .into_iter()
            .flat_map(|(para, spans)| {
                spans
                    .into_iter()
                    .map(move |s| para.origin[s.start]..para.origin[s.end - 1] + 1)
            })
            .collect()
    }

    /// Each paragraph with its trimmed, non-empty sentence spans (into the paragraph).
    fn paragraph_sentences(&self, text: &str) -> Vec<(Paragraph, Vec<Range<usize>>)> {
        let seg = &*self.segmenter;
        paragraphs(text, |c| seg.is_hard_break(c))
            .into_iter()
            .map(|para| {
                let spans = seg.spans(&para.text);
                let spans = spans
                    .into_iter()
                    .filter_map(|s| trim_span(&para.text, s))
                    .collect();
                (para, spans)
            })
            .collect()
    }
}

/// Python's `str.isspace` (and so `re`'s `\s` and `str.strip`), which `sentsplit.py` uses to
/// normalize; it adds the four ASCII separators to Unicode White_Space.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `span` without surrounding whitespace, or `None` when nothing is left.
fn trim_span(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let inner = text.get(span.clone())?;
    let lead = inner.len() - inner.trim_start_matches(is_py_space).len();
    let trimmed = inner.trim_matches(is_py_space);
    (!trimmed.is_empty()).then(|| span.start + lead..span.start + lead + trimmed.len())
}

/// A paragraph with whitespace runs collapsed to one space and trimmed, and for each of its
/// bytes the offset of the byte it came from in the original text.
#[derive(Debug)]
struct Paragraph {
    text: String,
    origin: Vec<usize>,
}

/// `sentsplit.py`'s `re.split(r"\s*\n\s*", text)` + `re.sub(r"\s+", " ", para).strip()`,
/// keeping track of where each byte came from.
fn paragraphs(text: &str, hard_break: impl Fn(char) -> bool) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices().filter(|&(_, c)| hard_break(c)) {
        out.extend(normalize(&text[start..i], start));
        start = i + c.len_utf8();
    }
    out.extend(normalize(&text[start..], start));
    out
}

fn normalize(line: &str, offset: usize) -> Option<Paragraph> {
    let mut para = Paragraph {
        text: String::new(),
        origin: Vec::new(),
    };
    let mut pending_space: Option<usize> = None;
    for (i, c) in line.char_indices() {
        if is_py_space(c) {
            pending_space.get_or_insert(offset + i);
            continue;
        }
        if let Some(at) = pending_space.take() {
            // Leading whitespace is dropped rather than collapsed.
            if !para.text.is_empty() {
                para.text.push(' ');
                para.origin.push(at);
            }
        }
        para.text.push(c);
        para.origin
            .extend((0..c.len_utf8()).map(|k| offset + i + k));
    }
    (!para.text.is_empty()).then_some(para)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_handles_abbreviations_initials_and_decimals() {
        let s = Splitter::news();
        assert_eq!(
            s.split("The U.S. Army said Gen. Smith arrived on Sept. 5. He left."),
            [
                "The U.S. Army said Gen. Smith arrived on Sept. 5.",
                "He left."
            ]
        );
        assert_eq!(
            s.split("Mr. J. R. Smith paid $3.5 million. It rose 2.5%."),
            ["Mr. J. R. Smith paid $3.5 million.", "It rose 2.5%."]
        );
        assert_eq!(
            s.split("They met at 9 a.m. on Monday. Talks ended."),
            ["They met at 9 a.m. on Monday.", "Talks ended."]
        );
    }

    #[test]
    fn news_ends_sentences_inside_closing_quotes() {
        let s = Splitter::news();
        assert_eq!(
            s.split("He said \"It is over.\" Then he left."),
            ["He said \"It is over.\"", "Then he left."]
        );
        assert_eq!(
            s.split("He said “It is over.” Then he left."),
            ["He said “It is over.”", "Then he left."]
        );
    }
}
