//! Telling a headline from the first paragraph.

use std::sync::LazyLock;

use regex::Regex;

use super::clean::{is_title_case, word_count};

/// Longest first line still read as a headline.
const MAX_TITLE_CHARS: usize = 200;
const MAX_TITLE_WORDS: usize = 25;
/// A sentence-case first line is a headline only when a paragraph soon after it (a
/// standfirst may come first) is clearly longer, by this many quarters; a short first
/// paragraph would otherwise pass for one.
const BODY_TO_TITLE_QUARTERS: usize = 5;
const LOOKAHEAD_PARAGRAPHS: usize = 3;

static MARKDOWN_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^#{1,6}\s+(.+?)(?:\s+#+)?\s*$")
        .unwrap_or_else(|e| panic!("built-in heading regex is invalid: {e}"))
});

/// Splits a leading headline off cleaned text: a Markdown `#` heading, or a first line that
/// reads as a headline (short, no closing period or comma, and either title-cased or much
/// shorter than the paragraph after it). Returns the text unchanged when there is none, or
/// when nothing would be left after it.
pub fn detect_title(text: &str) -> (Option<String>, String) {
    let text = text.trim();
    let Some((first, rest)) = text.split_once('\n') else {
        return (None, text.to_string());
    };
    let rest = rest.trim();
    let following: Vec<&str> = rest
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(LOOKAHEAD_PARAGRAPHS)
        .collect();
    let Some(longest_next) = following.iter().map(|l| l.chars().count()).max() else {
        return (None, text.to_string());
    };
    let first = first.trim();
    if let Some(heading) = markdown_heading(first) {
        return (Some(heading), rest.to_string());
    }
    if reads_as_headline(first, longest_next) {
        return (Some(strip_emphasis(first)), rest.to_string());
    }
    (None, text.to_string())
}

/// Removes the title from the start of `text` when the page repeats it there (an `<h1>`
/// inside the article, or a Markdown heading under front matter).
pub(crate) fn drop_leading_title(text: &str, title: &str) -> String {
    let Some((first, rest)) = text.split_once('\n') else {
        return text.to_string();
    };
    let first = markdown_heading(first).unwrap_or_else(|| strip_emphasis(first));
    if same_words(&first, title) {
        rest.trim().to_string()
    } else {
        text.to_string()
    }
}

fn markdown_heading(line: &str) -> Option<String> {
    let caps = MARKDOWN_HEADING.captures(line.trim())?;
    let heading = strip_emphasis(caps.get(1)?.as_str());
    (!heading.is_empty()).then_some(heading)
}

fn reads_as_headline(first: &str, longest_next: usize) -> bool {
    let words = word_count(first);
    let starts_upper = first
        .chars()
        .find(|c| c.is_alphanumeric())
        .is_some_and(|c| !c.is_lowercase());
    let shape_ok = (2..=MAX_TITLE_WORDS).contains(&words)
        && first.chars().count() <= MAX_TITLE_CHARS
        && starts_upper
        && !ends_with_any(first, &['.', ',', ';', ':', '…']);
    let much_shorter = longest_next * 4 >= BODY_TO_TITLE_QUARTERS * first.chars().count();
    shape_ok && (is_title_case(first) || much_shorter)
}

fn ends_with_any(line: &str, marks: &[char]) -> bool {
    let trimmed = line.trim_end_matches(['"', '\'', '”', '’', '»', ')', ']', '*', '_', ' ']);
    trimmed.chars().last().is_some_and(|c| marks.contains(&c))
}

fn strip_emphasis(line: &str) -> String {
    line.replace("**", "")
        .replace("__", "")
        .trim()
        .trim_matches(|c| c == '*' || c == '_')
        .trim()
        .to_string()
}

fn same_words(a: &str, b: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    !a.is_empty() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "Albania cut diplomatic ties with Iran on Wednesday and expelled its embassy staff over a cyberattack in July.";

    #[test]
    fn sentence_case_headline_before_a_longer_paragraph() {
        let text =
            format!("Albania cuts diplomatic ties with Iran over July cyberattack\n\n{BODY}");
        let (title, body) = detect_title(&text);
        assert_eq!(
            title.as_deref(),
            Some("Albania cuts diplomatic ties with Iran over July cyberattack")
        );
        assert_eq!(body, BODY);
    }

    #[test]
    fn title_case_headline() {
        let (title, _) = detect_title(&format!("Iran Denies Albanian Cyberattack\n\n{BODY}"));
        assert_eq!(title.as_deref(), Some("Iran Denies Albanian Cyberattack"));
    }

    #[test]
    fn headline_followed_by_a_standfirst() {
        let text = format!("Fighting intensifies near Kharkiv as Russia launches new offensive\n\nUkrainian officials say thousands evacuated from border villages\n\n{BODY}");
        let (title, body) = detect_title(&text);
        assert_eq!(
            title.as_deref(),
            Some("Fighting intensifies near Kharkiv as Russia launches new offensive")
        );
        assert!(body.starts_with("Ukrainian officials"));
    }

    #[test]
    fn question_headline() {
        let (title, _) = detect_title(&format!("Is Iran behind the attack?\n\n{BODY}"));
        assert_eq!(title.as_deref(), Some("Is Iran behind the attack?"));
    }

    #[test]
    fn markdown_heading_is_the_title() {
        let (title, body) = detect_title(&format!(
            "# Albania expels **Iranian** diplomats #\n\n{BODY}"
        ));
        assert_eq!(title.as_deref(), Some("Albania expels Iranian diplomats"));
        assert_eq!(body, BODY);
    }

    #[test]
    fn a_first_sentence_is_not_a_title() {
        let text = format!("{BODY}\n\nA second paragraph follows here.");
        assert_eq!(detect_title(&text), (None, text.clone()));
    }

    #[test]
    fn a_dateline_paragraph_is_not_a_title() {
        let text = format!("TIRANA: As Washington promised to hold Tehran responsible, Albania severed ties.\n\n{BODY}");
        assert_eq!(detect_title(&text).0, None);
    }

    #[test]
    fn a_short_sentence_case_line_before_a_short_paragraph_is_not_a_title() {
        let text = "The talks resumed on Monday\n\nOfficials met again briefly.";
        assert_eq!(detect_title(text).0, None);
    }

    #[test]
    fn a_lone_line_is_not_a_title() {
        assert_eq!(
            detect_title("Just A Headline"),
            (None, "Just A Headline".to_string())
        );
    }

    #[test]
    fn leading_title_repeat_is_dropped() {
        let text = format!("# Albania Cuts Ties\n\n{BODY}");
        assert_eq!(drop_leading_title(&text, "Albania cuts ties"), BODY);
        let other = format!("Something else\n\n{BODY}");
        assert_eq!(drop_leading_title(&other, "Albania cuts ties"), other);
    }
}
