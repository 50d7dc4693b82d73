//! Turning a scraped page's text into paragraphs of article prose.
//!
//! The pipeline, in order:
//! 1. front matter (`---` YAML at the top of Markdown) goes;
//! 2. HTML markup, if any, is stripped (scripts, styles, navigation, captions with it);
//! 3. HTML entities are decoded;
//! 4. characters are normalised: odd spaces become spaces, invisible and control
//!    characters go, every line ending becomes `\n`;
//! 5. Markdown images go, Markdown links keep only their text, lines of nothing but
//!    links go;
//! 6. lines become paragraphs: one per line, except that hard-wrapped text (every line
//!    broken near one width) is re-joined within its blank-line-separated blocks;
//! 7. boilerplate paragraphs are removed (see [`super::boilerplate`]);
//! 8. a dateline set on its own line ("TIRANA (Agency) —") rejoins its paragraph;
//! 9. paragraphs are joined with one blank line between them.

use std::sync::LazyLock;

use regex::Regex;

use super::html;

/// Cleans one article's raw text; see the module docs for what that means.
pub fn clean_text(raw: &str) -> String {
    let (_, body) = split_front_matter(raw);
    let text = body.replace("\r\n", "\n").replace('\r', "\n");
    let text = if html::has_markup(&text) {
        html::strip_tags(&text)
    } else {
        text
    };
    let text = html_escape::decode_html_entities(&text);
    let text = normalise_chars(&text);
    let text = simplify_markdown(&text);
    let paragraphs = paragraphs(&text);
    // Datelines are joined only now, so a button label ending in a dash
    // ("Share this —") is gone before it could be mistaken for one.
    join_datelines(super::boilerplate::remove(paragraphs)).join("\n\n")
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in regex {pattern:?} is invalid: {e}"))
}

static FRONT_MATTER_KEY: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z_][\w-]*\s*:(?:\s|$)"));

/// Splits YAML front matter off Markdown, returning its `title:` if it has one. Only a
/// block that opens the file with `---` and is made of `key: value` lines counts, so a
/// text that merely starts with a horizontal rule is left alone.
pub(crate) fn split_front_matter(raw: &str) -> (Option<String>, &str) {
    let trimmed = raw.trim_start_matches('\u{feff}');
    let Some(after_open) = trimmed
        .strip_prefix("---\n")
        .or_else(|| trimmed.strip_prefix("---\r\n"))
    else {
        return (None, raw);
    };
    let mut offset = 0;
    let mut title = None;
    let mut saw_key = false;
    for line in after_open.split_inclusive('\n') {
        let content = line.trim_end();
        offset += line.len();
        if content == "---" || content == "..." {
            return if saw_key {
                (title, &after_open[offset..])
            } else {
                (None, raw)
            };
        }
        if FRONT_MATTER_KEY.is_match(content) {
            saw_key = true;
            title = title.or_else(|| front_matter_title(content));
        }
    }
    (None, raw)
}

fn front_matter_title(line: &str) -> Option<String> {
    let (key, value) = line.split_once(':')?;
    if !key.trim().eq_ignore_ascii_case("title") {
        return None;
    }
    let value = value.trim().trim_matches(['"', '\'']).trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// Makes whitespace and invisible characters predictable for the line rules.
fn normalise_chars(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => Some('\n'),
            '\t'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}' => Some(' '),
            // Soft hyphens, zero-width and bidi controls, BOMs and replacement characters
            // are invisible or meaningless in prose but break word matching.
            '\u{ad}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
            | '\u{fffd}' => None,
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

static MD_IMAGE: LazyLock<Regex> = LazyLock::new(|| regex(r"!\[[^\]\n]*\]\([^)\n]*\)"));
static MD_LINK: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"\[([^\]\n]+)\]\((?:<[^>\n]*>|[^)\s]+)(?:\s+"[^"\n]*")?\)"#));
static MD_REFERENCE: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*\[[^\]\n]+\]:\s*\S+"));
static LIST_MARKER: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+"));

/// Drops Markdown images and link targets; a line made only of links (a menu, a list of
/// related stories) goes entirely, unless it is a single bare link, which may be a heading.
fn simplify_markdown(text: &str) -> String {
    let lines: Vec<String> = text
        .split('\n')
        .filter(|line| !MD_REFERENCE.is_match(line))
        .map(|line| MD_IMAGE.replace_all(line, "").into_owned())
        .filter(|line| !is_link_only(line))
        .map(|line| MD_LINK.replace_all(&line, "$1").into_owned())
        .collect();
    lines.join("\n")
}

fn is_link_only(line: &str) -> bool {
    let links = MD_LINK.find_iter(line).count();
    if links == 0 {
        return false;
    }
    let rest = MD_LINK.replace_all(line, "");
    let rest_has_words = rest.chars().any(char::is_alphanumeric);
    !rest_has_words && (links >= 2 || LIST_MARKER.is_match(line))
}

/// Splits text into paragraphs, one string each with its whitespace collapsed.
fn paragraphs(text: &str) -> Vec<String> {
    let lines: Vec<String> = text.split('\n').map(collapse_spaces).collect();
    let blocks: Vec<&[String]> = lines
        .split(|line| line.is_empty())
        .filter(|block| !block.is_empty())
        .collect();
    match wrap_width(&blocks) {
        Some(width) => blocks.iter().flat_map(|b| unwrap_block(b, width)).collect(),
        None => blocks.concat(),
    }
}

/// A dateline longer than this is a sentence that happens to end in a dash.
const MAX_DATELINE_WORDS: usize = 8;

/// Re-attaches a dateline that the page set apart ("TIRANA, Albania (CNN) —") to the
/// paragraph it introduces.
fn join_datelines(paragraphs: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(paragraphs.len());
    for paragraph in paragraphs {
        match out.last_mut() {
            Some(last) if is_dateline(last) => {
                last.push(' ');
                last.push_str(&paragraph);
            }
            _ => out.push(paragraph),
        }
    }
    out
}

fn is_dateline(line: &str) -> bool {
    (line.ends_with(['—', '–']) || line.ends_with(" -")) && word_count(line) <= MAX_DATELINE_WORDS
}

fn collapse_spaces(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lines of a hard-wrapped file: those that are not the last of their block.
const MIN_WRAPPED_LINES: usize = 3;
const MIN_WRAP_WIDTH: usize = 30;
const MAX_WRAP_WIDTH: usize = 120;

/// The width text was hard-wrapped at, if it was: most lines that continue into the next
/// line of their block run close to the widest line and stop mid-sentence.
fn wrap_width(blocks: &[&[String]]) -> Option<usize> {
    let width = blocks
        .iter()
        .flat_map(|b| b.iter())
        .map(|l| l.chars().count())
        .max()?;
    if !(MIN_WRAP_WIDTH..=MAX_WRAP_WIDTH).contains(&width) {
        return None;
    }
    let continued: Vec<&String> = blocks
        .iter()
        .flat_map(|b| b.split_last().map(|(_, rest)| rest).unwrap_or_default())
        .collect();
    if continued.len() < MIN_WRAPPED_LINES {
        return None;
    }
    let near_width = continued
        .iter()
        .filter(|l| l.chars().count() * 10 >= width * 6)
        .count();
    let mid_sentence = continued.iter().filter(|l| !ends_sentence(l)).count();
    let wrapped = near_width * 10 >= continued.len() * 7 && mid_sentence * 2 >= continued.len();
    wrapped.then_some(width)
}

/// Re-joins a wrapped block; list items, headings, quotes and lines after a short line
/// (a deliberate break) start paragraphs of their own.
fn unwrap_block(block: &[String], width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut previous_short = true;
    for line in block {
        let starts_own = previous_short || is_marked(line);
        match out.last_mut() {
            Some(last) if !starts_own => {
                last.push(' ');
                last.push_str(line);
            }
            _ => out.push(line.clone()),
        }
        previous_short = line.chars().count() * 2 < width;
    }
    out
}

fn is_marked(line: &str) -> bool {
    LIST_MARKER.is_match(line) || line.starts_with('#') || line.starts_with('>')
}

/// Whether the line is a Markdown or plain-text list item.
pub(crate) fn is_list_item(line: &str) -> bool {
    LIST_MARKER.is_match(line)
}

/// Number of words (tokens with a letter or digit).
pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// Whether the text ends like a sentence, looking through closing quotes and brackets.
pub(crate) fn ends_sentence(text: &str) -> bool {
    text.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '"' | '\'' | '”' | '’' | '»' | ')' | ']' | '*' | '_')
    })
    .chars()
    .last()
    .is_some_and(|c| matches!(c, '.' | '!' | '?' | '…'))
}

/// Words left lower-case in title-cased headlines.
const MINOR_WORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "by", "with",
    "from", "as", "vs", "via", "over", "into", "onto", "per", "up", "off", "out", "than", "after",
    "amid", "about", "is", "are", "de", "la", "le", "von", "van",
];

/// At least this share of a line's major words must be capitalised for it to be Title Case.
const TITLE_CASE_SHARE: f64 = 0.75;

/// Whether most of the line's major words start with a capital letter.
pub(crate) fn is_title_case(line: &str) -> bool {
    let major: Vec<&str> = line
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().next().is_some_and(char::is_alphabetic))
        .filter(|w| !MINOR_WORDS.contains(&w.to_lowercase().as_str()))
        .collect();
    if major.is_empty() {
        return false;
    }
    let capitalised = major
        .iter()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .count();
    capitalised as f64 >= major.len() as f64 * TITLE_CASE_SHARE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paras(text: &str) -> Vec<String> {
        clean_text(text).split("\n\n").map(str::to_string).collect()
    }

    #[test]
    fn keeps_paragraph_breaks_and_collapses_spaces() {
        let text = "First   paragraph\tof the story.\r\n\r\n\r\nSecond paragraph.\nThird line.";
        assert_eq!(
            paras(text),
            [
                "First paragraph of the story.",
                "Second paragraph.",
                "Third line."
            ]
        );
    }

    #[test]
    fn removes_control_and_invisible_characters() {
        let text = "Iran\u{0007}’s soft\u{ad}ware\u{200b} was hit\u{a0}hard.\u{feff}";
        assert_eq!(clean_text(text), "Iran’s software was hit hard.");
    }

    #[test]
    fn decodes_html_entities() {
        let text = "AT&amp;T said &ldquo;no&rdquo; &#8212; R&D &#x263A; and AT&T.";
        assert_eq!(clean_text(text), "AT&T said “no” — R&D ☺ and AT&T.");
    }

    #[test]
    fn strips_html_junk_from_text() {
        let text = "<div class=\"story\"><p>Officials met on Monday to discuss the attack.</p>\
                    <script>track('x')</script><style>.a{}</style>\
                    <p>They <b>agreed</b> on new measures.</p></div>";
        assert_eq!(
            paras(text),
            [
                "Officials met on Monday to discuss the attack.",
                "They agreed on new measures."
            ]
        );
    }

    #[test]
    fn leaves_angle_brackets_in_prose() {
        let text = "Growth was < 2% while inflation was > 5% this year.";
        assert_eq!(clean_text(text), text);
    }

    #[test]
    fn front_matter_is_split_off_with_its_title() {
        let text = "---\ntitle: \"Iran Denies Attack\"\ndate: 2022-09-08\n---\nBody text here.";
        let (title, body) = split_front_matter(text);
        assert_eq!(title.as_deref(), Some("Iran Denies Attack"));
        assert_eq!(body, "Body text here.");
        assert_eq!(clean_text(text), "Body text here.");
    }

    #[test]
    fn a_leading_rule_is_not_front_matter() {
        let text = "---\nJust a rule above prose.\n---\nMore prose.";
        assert_eq!(split_front_matter(text), (None, text));
    }

    #[test]
    fn markdown_links_keep_their_text_and_images_go() {
        let text = "![Smoke over the embassy](img.jpg)\n\nThe [ministry](https://example.org/m \"M\") said it would respond.";
        assert_eq!(clean_text(text), "The ministry said it would respond.");
    }

    #[test]
    fn markdown_link_menus_go() {
        let text = "[Home](/) | [World](/world) | [Politics](/politics)\n\nThe article starts here and says something.\n\n- [Another story](/x)";
        assert_eq!(
            clean_text(text),
            "The article starts here and says something."
        );
    }

    #[test]
    fn hard_wrapped_paragraphs_are_rejoined() {
        let text = "Albania severed diplomatic ties with Iran on Wednesday and\n\
                    ordered its diplomats to leave within twenty-four hours after\n\
                    a cyberattack in July.\n\n\
                    The United States said it would hold Iran accountable for\n\
                    actions that threaten the security of an ally and set a\n\
                    troubling precedent.";
        assert_eq!(
            paras(text),
            [
                "Albania severed diplomatic ties with Iran on Wednesday and ordered its diplomats to leave within twenty-four hours after a cyberattack in July.",
                "The United States said it would hold Iran accountable for actions that threaten the security of an ally and set a troubling precedent.",
            ]
        );
    }

    #[test]
    fn one_paragraph_per_line_is_not_mistaken_for_wrapping() {
        let text = "Short headline here\nFirst paragraph is a full sentence.\nSecond paragraph is too.\nThird one ends here.";
        assert_eq!(paras(text).len(), 4);
    }

    #[test]
    fn datelines_rejoin_their_paragraph() {
        let text = "TIRANA, Albania (Agency) —\nAlbania cut ties with Iran on Wednesday.";
        assert_eq!(
            clean_text(text),
            "TIRANA, Albania (Agency) — Albania cut ties with Iran on Wednesday."
        );
    }

    #[test]
    fn text_predicates() {
        assert_eq!(word_count("Iran — and Albania, 2022"), 4);
        assert!(ends_sentence("He said “no.”"));
        assert!(!ends_sentence("Photo taken Sept. 8, 2022"));
        assert!(is_title_case("Iran Denies Albanian Cyberattack"));
        assert!(is_title_case("War of the Worlds Returns to the Stage"));
        assert!(!is_title_case("Albania cuts diplomatic ties with Iran"));
        assert!(is_list_item("- item") && is_list_item("2. item") && !is_list_item("2022 was"));
    }
}
