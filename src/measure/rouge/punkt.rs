//! The eval harness's sentence splitter: a port of nltk's `PunktSentenceTokenizer.tokenize`
//! run with parameters learned offline, wrapped exactly like `shared/eval/sentsplit.py`.
//! ROUGE-Lsum is only comparable with the harness when summaries are split this way. The
//! parameters are eval data and must not ship in release artifacts, so they are only ever read
//! from a path at run time.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ingest::sentences::{Segmenter, Splitter};

/// Abbreviations `sentsplit.py` adds to the learned ones (`_EXTRA_ABBREV`).
const EXTRA_ABBREV: &[&str] = &[
    "e.g", "i.e", "al", "mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gen", "gov", "sen",
    "rep", "lt", "col", "sgt", "capt", "u.s", "u.k", "u.n", "inc", "corp", "co", "ltd", "vs", "no",
    "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec",
];

#[derive(Debug, thiserror::Error)]
pub enum PunktError {
    #[error("cannot read Punkt parameters from {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid Punkt parameters in {}", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// Learned Punkt parameters, in the JSON layout of `sentsplit.params_to_json`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PunktParams {
    #[serde(default)]
    pub abbrev_types: HashSet<String>,
    #[serde(default)]
    pub collocations: HashSet<(String, String)>,
    #[serde(default)]
    pub sent_starters: HashSet<String>,
    #[serde(default)]
    pub ortho_context: HashMap<String, u32>,
}

impl PunktParams {
    pub fn from_json_str(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// Punkt with its parameters, as a [`Segmenter`].
#[derive(Debug)]
struct Punkt(PunktParams);

impl Segmenter for Punkt {
    fn spans(&self, paragraph: &str) -> Vec<Range<usize>> {
        nltk::span_tokenize(&self.0, paragraph)
    }

    /// `sentsplit.py` breaks paragraphs at '\n' only.
    fn is_hard_break(&self, c: char) -> bool {
        c == '\n'
    }
}

/// The eval harness's splitter, from `punkt_news_en.json` (plus `sentsplit.py`'s extra
/// abbreviations).
pub fn splitter_from_json(path: impl AsRef<Path>) -> Result<Splitter, PunktError> {
    let path = path.as_ref();
    let json = std::fs::read_to_string(path).map_err(|source| PunktError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let params = PunktParams::from_json_str(&json).map_err(|source| PunktError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(splitter(params))
}

/// A Punkt splitter from parameters; `sentsplit.py`'s extra abbreviations are added.
pub fn splitter(mut params: PunktParams) -> Splitter {
    params
        .abbrev_types
        .extend(EXTRA_ABBREV.iter().map(|a| a.to_string()));
    Splitter::with(Punkt(params))
}

/// nltk's Punkt sentence tokenizer (`nltk/tokenize/punkt.py` in nltk 3.10.4), the parts that
/// tokenize with given parameters: `span_tokenize` with boundary realignment. Training is
/// not ported. Regex behaviour is reproduced by hand because Punkt's patterns rely on
/// lookahead, which the `regex` crate does not support.
mod nltk {
    use std::ops::Range;
    use std::sync::LazyLock;

    use regex::Regex;

    use super::PunktParams;
    use crate::ingest::sentences::is_py_space;

    const ORTHO_BEG_UC: u32 = 1 << 1;
    const ORTHO_MID_UC: u32 = 1 << 2;
    const ORTHO_UNK_UC: u32 = 1 << 3;
    const ORTHO_BEG_LC: u32 = 1 << 4;
    const ORTHO_MID_LC: u32 = 1 << 5;
    const ORTHO_UNK_LC: u32 = 1 << 6;
    const ORTHO_UC: u32 = ORTHO_BEG_UC | ORTHO_MID_UC | ORTHO_UNK_UC;
    const ORTHO_LC: u32 = ORTHO_BEG_LC | ORTHO_MID_LC | ORTHO_UNK_LC;

    const NUMBER_TYPE: &str = "##number##";

    // These patterns have no lookaround, so the regex crate runs them with the same Unicode
    // classes (\d = Nd, \w per UTS#18) as the `regex` module nltk uses.
    static RE_NUMERIC: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^-?[.,]?\d[\d,.\-]*\.?$").expect("constant regex"));
    static RE_INITIAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[^\W\d]\.$").expect("constant regex"));

    /// `\s` of the `regex` module: Unicode White_Space, unlike Python's `str.isspace`.
    fn is_re_space(c: char) -> bool {
        c.is_whitespace()
    }

    /// `PunktLanguageVars._re_non_word_chars`.
    fn is_non_word(c: char) -> bool {
        matches!(
            c,
            ')' | '"'
                | ';'
                | '}'
                | ']'
                | '*'
                | ':'
                | '@'
                | '\''
                | '('
                | '{'
                | '['
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201c}'
                | '\u{201d}'
                | '\u{ab}'
                | '\u{bb}'
                | '?'
                | '!'
        )
    }

    /// `PunktLanguageVars._re_word_start`.
    fn is_word_start(c: char) -> bool {
        !matches!(
            c,
            '(' | '"'
                | '`'
                | '{'
                | '['
                | ':'
                | ';'
                | '&'
                | '#'
                | '*'
                | '@'
                | ')'
                | '}'
                | ']'
                | '-'
                | ','
        )
    }

    /// Closing punctuation that `re_boundary_realignment` moves onto the previous sentence.
    fn is_closing(c: char) -> bool {
        matches!(
            c,
            '"' | '\''
                | ')'
                | ']'
                | '}'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201c}'
                | '\u{201d}'
                | '\u{ab}'
                | '\u{bb}'
        )
    }

    fn char_at(s: &str, i: usize) -> Option<char> {
        s.get(i..).and_then(|rest| rest.chars().next())
    }

    /// Length of `_re_multi_char_punct` (`-{2,}|\.{2,}|(?:\.\s){2,}\.`) matched at `i`.
    fn multi_char_len(s: &str, i: usize) -> Option<usize> {
        let rest = s.get(i..)?;
        let run = |ch: char| rest.len() - rest.trim_start_matches(ch).len();
        match rest.chars().next()? {
            '-' => Some(run('-')).filter(|&n| n >= 2),
            '.' if run('.') >= 2 => Some(run('.')),
            '.' => spaced_ellipsis_len(rest),
            _ => None,
        }
    }

    /// `(?:\.\s){2,}\.` at the start of `s`, with the regex's backtracking over the repeat.
    fn spaced_ellipsis_len(s: &str) -> Option<usize> {
        let mut pair_ends = Vec::new();
        let mut pos = 0;
        loop {
            let mut chars = s[pos..].chars();
            match (chars.next(), chars.next()) {
                (Some('.'), Some(w)) if is_re_space(w) => {
                    pos += 1 + w.len_utf8();
                    pair_ends.push(pos);
                }
                _ => break,
            }
        }
        (2..=pair_ends.len())
            .rev()
            .map(|k| pair_ends[k - 1])
            .find(|&end| s[end..].starts_with('.'))
            .map(|end| end + 1)
    }

    /// The lookahead that ends a word token in `_word_tokenize_fmt`.
    fn ends_word_at(s: &str, j: usize) -> bool {
        let Some(c) = char_at(s, j) else {
            return true;
        };
        if is_re_space(c) || is_non_word(c) || multi_char_len(s, j).is_some() {
            return true;
        }
        if c != ',' {
            return false;
        }
        match char_at(s, j + 1) {
            None => true,
            Some(d) => is_re_space(d) || is_non_word(d) || multi_char_len(s, j + 1).is_some(),
        }
    }

    /// `PunktLanguageVars.word_tokenize` (a `findall` over `_word_tokenize_fmt`), as byte
    /// ranges into `line`. Periods stay attached to words; other punctuation is split off.
    fn word_tokenize(line: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(c) = char_at(line, i) {
            let end = if let Some(n) = multi_char_len(line, i) {
                i + n
            } else if is_re_space(c) {
                i += c.len_utf8();
                continue;
            } else if is_word_start(c) {
                // `\S+?` up to the first position where the word may end.
                let mut j = i + c.len_utf8();
                while !ends_word_at(line, j) {
                    j += char_at(line, j).map_or(1, char::len_utf8);
                }
                j
            } else {
                i + c.len_utf8()
            };
            out.push(i..end);
            i = end;
        }
        out
    }

    /// A `PunktToken` with its annotations.
    struct Token<'a> {
        tok: &'a str,
        typ: String,
        sentbreak: bool,
        abbr: bool,
        ellipsis: bool,
    }

    impl<'a> Token<'a> {
        fn new(tok: &'a str) -> Self {
            let lower = tok.to_lowercase();
            let typ = if RE_NUMERIC.is_match(&lower) {
                NUMBER_TYPE.to_string()
            } else {
                lower
            };
            Token {
                tok,
                typ,
                sentbreak: false,
                abbr: false,
                ellipsis: false,
            }
        }

        fn period_final(&self) -> bool {
            self.tok.ends_with('.')
        }

        fn type_no_period(&self) -> &str {
            match self.typ.strip_suffix('.') {
                Some(t) if !t.is_empty() => t,
                _ => &self.typ,
            }
        }

        fn type_no_sentperiod(&self) -> &str {
            if self.sentbreak {
                self.type_no_period()
            } else {
                &self.typ
            }
        }

        fn first_upper(&self) -> bool {
            self.tok.chars().next().is_some_and(char::is_uppercase)
        }

        fn first_lower(&self) -> bool {
            self.tok.chars().next().is_some_and(char::is_lowercase)
        }

        fn is_ellipsis(&self) -> bool {
            self.tok.len() >= 2 && self.tok.bytes().all(|b| b == b'.')
        }

        fn is_initial(&self) -> bool {
            RE_INITIAL.is_match(self.tok)
        }
    }

    /// What the orthographic heuristic concludes about a token starting a sentence.
    #[derive(PartialEq)]
    enum Ortho {
        Starter,
        NotStarter,
        Unknown,
    }

    /// `_first_pass_annotation`: decisions from the token type alone.
    fn first_pass(params: &PunktParams, t: &mut Token<'_>) {
        if matches!(t.tok, "." | "?" | "!") {
            t.sentbreak = true;
        } else if t.is_ellipsis() {
            t.ellipsis = true;
        } else if t.period_final() && !t.tok.ends_with("..") {
            let base = t.tok[..t.tok.len() - 1].to_lowercase();
            let last_part = base.rsplit('-').next().unwrap_or(&base);
            if params.abbrev_types.contains(&base) || params.abbrev_types.contains(last_part) {
                t.abbr = true;
            } else {
                t.sentbreak = true;
            }
        }
    }

    /// `_ortho_heuristic`: does `t` look like the first word of a sentence?
    fn ortho_heuristic(params: &PunktParams, t: &Token<'_>) -> Ortho {
        if matches!(t.tok, ";" | ":" | "," | "." | "!" | "?") {
            return Ortho::NotStarter;
        }
        let context = ortho_context(params, t.type_no_sentperiod());
        if t.first_upper() && context & ORTHO_LC != 0 && context & ORTHO_MID_UC == 0 {
            return Ortho::Starter;
        }
        if t.first_lower() && (context & ORTHO_UC != 0 || context & ORTHO_BEG_LC == 0) {
            return Ortho::NotStarter;
        }
        Ortho::Unknown
    }

    fn ortho_context(params: &PunktParams, typ: &str) -> u32 {
        params.ortho_context.get(typ).copied().unwrap_or(0)
    }

    /// `_second_pass_annotation`: revise a period-final token's decision using the next one
    /// (which has had only its first pass).
    fn second_pass(params: &PunktParams, t1: &mut Token<'_>, t2: &Token<'_>) {
        if !t1.period_final() {
            return;
        }
        let typ = t1.type_no_period().to_string();
        let next_typ = t2.type_no_sentperiod();
        let initial = t1.is_initial();

        if params
            .collocations
            .contains(&(typ.clone(), next_typ.to_string()))
        {
            t1.sentbreak = false;
            t1.abbr = true;
            return;
        }
        if (t1.abbr || t1.ellipsis) && !initial {
            if ortho_heuristic(params, t2) == Ortho::Starter {
                t1.sentbreak = true;
                return;
            }
            if t2.first_upper() && params.sent_starters.contains(next_typ) {
                t1.sentbreak = true;
                return;
            }
        }
        if initial || typ == NUMBER_TYPE {
            let ortho = ortho_heuristic(params, t2);
            let always_upper = t2.first_upper() && ortho_context(params, next_typ) & ORTHO_LC == 0;
            if ortho == Ortho::NotStarter || (ortho == Ortho::Unknown && initial && always_upper) {
                t1.sentbreak = false;
                t1.abbr = true;
            }
        }
    }

    /// `text_contains_sentbreak`: is any token but the last a sentence break?
    fn text_contains_sentbreak(params: &PunktParams, text: &str) -> bool {
        let mut tokens: Vec<Token<'_>> = text
            .split('\n')
            .filter(|line| !line.trim_matches(is_py_space).is_empty())
            .flat_map(|line| {
                word_tokenize(line)
                    .into_iter()
                    .map(move |r| Token::new(&line[r]))
            })
            .collect();
        for t in &mut tokens {
            first_pass(params, t);
        }
        for i in 1..tokens.len() {
            let (head, tail) = tokens.split_at_mut(i);
            second_pass(params, &mut head[i - 1], &tail[0]);
        }
        let Some((_, all_but_last)) = tokens.split_last() else {
            return false;
        };
        all_but_last.iter().any(|t| t.sentbreak)
    }

    /// A match of `period_context_re`: a sentence-ending character and what follows it.
    struct Candidate {
        start: usize,
        /// End of the `after_tok` group.
        after_end: usize,
        /// Start of the `next_tok` group, when the end character is followed by whitespace.
        next_tok: Option<usize>,
    }

    impl Candidate {
        fn end(&self) -> usize {
            self.start + 1
        }
    }

    /// All matches of `[.?!](?=(?P<after_tok>NonWord|\s+(?P<next_tok>\S+)))`.
    fn candidates(text: &str) -> Vec<Candidate> {
        let mut out = Vec::new();
        for (i, c) in text.char_indices() {
            if !matches!(c, '.' | '?' | '!') {
                continue;
            }
            let after = &text[i + 1..];
            match after.chars().next() {
                Some(d) if is_non_word(d) => out.push(Candidate {
                    start: i,
                    after_end: i + 1 + d.len_utf8(),
                    next_tok: None,
                }),
                Some(d) if is_re_space(d) => {
                    let Some(ws) = after.find(|c: char| !is_re_space(c)) else {
                        continue;
                    };
                    let tok_start = i + 1 + ws;
                    let tok_len = text[tok_start..]
                        .find(is_re_space)
                        .unwrap_or(text.len() - tok_start);
                    out.push(Candidate {
                        start: i,
                        after_end: tok_start + tok_len,
                        next_tok: Some(tok_start),
                    });
                }
                _ => {}
            }
        }
        out
    }

    /// Python's `_get_last_whitespace_index`: 0 both when there is none and when it is at 0.
    fn last_whitespace_index(s: &str) -> usize {
        s.rfind([' ', '\t', '\n', '\r', '\u{b}', '\u{c}'])
            .unwrap_or(0)
    }

    /// `_match_potential_end_contexts`: each candidate with the text that decides it (the word
    /// before, the end character, and what follows). Of a run of end characters within one
    /// word ("acting!!!"), only the last is kept.
    fn end_contexts(text: &str) -> Vec<(Candidate, Range<usize>)> {
        let mut out = Vec::new();
        let mut previous: Option<(Candidate, Range<usize>)> = None;
        let mut previous_slice = 0..0;
        for m in candidates(text) {
            let before = &text[previous_slice.end..m.start];
            let ws = last_whitespace_index(before);
            let word_start = if ws != 0 {
                ws + previous_slice.end + 1
            } else {
                previous_slice.start
            };
            let word = word_start..m.start;
            if let Some(prev) = previous.take() {
                if previous_slice.end <= word.start {
                    out.push(prev);
                }
            }
            let context = word.start..m.after_end;
            previous = Some((m, context));
            previous_slice = word;
        }
        out.extend(previous);
        out
    }

    fn slice_of(text: &str, r: Range<usize>) -> &str {
        text.get(r).unwrap_or("")
    }

    /// `_slices_from_text`.
    fn slices(params: &PunktParams, text: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut last_break = 0;
        for (m, context) in end_contexts(text) {
            if text_contains_sentbreak(params, &text[context]) {
                out.push(last_break..m.end());
                last_break = m.next_tok.unwrap_or(m.end());
            }
        }
        out.push(last_break..text.trim_end_matches(is_py_space).len());
        out
    }

    /// `re_boundary_realignment` at the start of `s`: closing quotes/brackets followed by
    /// whitespace, "--" or the end of a line. Returns (length of the closing run, match end).
    fn realignment(s: &str) -> Option<(usize, usize)> {
        let run = s.len() - s.trim_start_matches(is_closing).len();
        if run == 0 {
            return None;
        }
        let rest = &s[run..];
        let ws = rest.len() - rest.trim_start_matches(is_re_space).len();
        if ws > 0 {
            Some((run, run + ws))
        } else if rest.is_empty() || rest.starts_with("--") {
            Some((run, run))
        } else {
            None
        }
    }

    /// `_realign_boundaries`: closing punctuation after a sentence end joins that sentence.
    fn realign(text: &str, slices: &[Range<usize>]) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut shift = 0;
        for (k, s) in slices.iter().enumerate() {
            let s1 = s.start + shift..s.end;
            let Some(s2) = slices.get(k + 1) else {
                if !slice_of(text, s1.clone()).is_empty() {
                    out.push(s1);
                }
                continue;
            };
            if let Some((run, end)) = realignment(slice_of(text, s2.clone())) {
                out.push(s1.start..s2.start + run);
                shift = end;
            } else {
                shift = 0;
                if !slice_of(text, s1.clone()).is_empty() {
                    out.push(s1);
                }
            }
        }
        out
    }

    /// `PunktSentenceTokenizer.span_tokenize(text)` (with realignment). Spans may carry
    /// surrounding whitespace, as nltk's do.
    pub(super) fn span_tokenize(params: &PunktParams, text: &str) -> Vec<Range<usize>> {
        realign(text, &slices(params, text))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn words(s: &str) -> Vec<&str> {
            word_tokenize(s).into_iter().map(|r| &s[r]).collect()
        }

        #[test]
        fn word_tokenizer_keeps_periods_and_splits_punctuation() {
            assert_eq!(
                words("He said (\"U.S.\") costs $3.5bn, up 2%... -- ok . . . end."),
                [
                    "He", "said", "(", "\"", "U.S.", "\"", ")", "costs", "$3.5bn", ",", "up", "2%",
                    "...", "--", "ok", ". . .", "end."
                ]
            );
            assert_eq!(words("a,b c, d"), ["a,b", "c", ",", "d"]);
        }

        #[test]
        fn end_contexts_keep_last_of_a_run() {
            let text = "Very bad acting!!! I promise.";
            let ctx: Vec<&str> = end_contexts(text)
                .into_iter()
                .map(|(_, r)| &text[r])
                .collect();
            assert_eq!(ctx, ["acting!!! I"]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn punkt() -> Splitter {
        splitter(PunktParams::default())
    }

    fn spans_text(text: &str, splitter: &Splitter) -> Vec<String> {
        splitter
            .split_spans(text)
            .into_iter()
            .map(|r| text[r].to_string())
            .collect()
    }

    #[test]
    fn line_breaks_are_hard_boundaries() {
        let text = "A headline without a period\n\nFirst  para. Second\tone.\r\nLast line";
        let expected = [
            "A headline without a period",
            "First para.",
            "Second one.",
            "Last line",
        ];
        assert_eq!(Splitter::news().split(text), expected);
        assert_eq!(punkt().split(text), expected);
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let text = "  First  sentence.\n\n  Café “quoted.”   Third one.  ";
        for s in [Splitter::news(), punkt()] {
            assert_eq!(
                spans_text(text, &s),
                ["First  sentence.", "Café “quoted.”", "Third one."]
            );
            assert_eq!(s.split(text)[0], "First sentence.");
        }
        assert!(Splitter::news().split_spans(" \n\t ").is_empty());
    }

    #[test]
    fn punkt_uses_extra_abbreviations_and_realigns_quotes() {
        let s = punkt();
        assert_eq!(
            s.split("Mr. Smith met Gen. Jones in the U.S. capital. They talked."),
            [
                "Mr. Smith met Gen. Jones in the U.S. capital.",
                "They talked."
            ]
        );
        assert_eq!(
            s.split("He said \"it is over.\" Then he left. (Really.) Yes."),
            [
                "He said \"it is over.\"",
                "Then he left.",
                "(Really.)",
                "Yes."
            ]
        );
        assert_eq!(
            s.split("Growth was 3.5 percent. Is it? Yes! OK."),
            ["Growth was 3.5 percent.", "Is it?", "Yes!", "OK."]
        );
    }

    #[test]
    fn punkt_initials_follow_ortho_context() {
        let text = "J. Smith won. It was close.";
        // Never seen in lower case: "J." is taken for an initial.
        assert_eq!(punkt().split(text), ["J. Smith won.", "It was close."]);
        // Seen in lower case but never capitalised mid-sentence: "Smith" starts a sentence.
        let mut params = PunktParams::default();
        params.ortho_context.insert("smith".into(), 1 << 5);
        assert_eq!(
            splitter(params).split(text),
            ["J.", "Smith won.", "It was close."]
        );
    }

    #[test]
    fn missing_params_file_is_a_clear_error() {
        let err = splitter_from_json("/nonexistent/punkt.json").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/punkt.json"), "{err}");
    }
}
