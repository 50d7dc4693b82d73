//! What of a claim its evidence window holds, as numbers a calibrated model can weigh.
//!
//! Everything here is general English news text handling: tokens, stems, stop words, figures
//! (numbers, number words, months, weekdays), names, negation and hedge cues, speakers. No
//! list names a topic or an outlet.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::briefing::{Evidence, Reason};
use crate::check::evidence::Sentence;
use crate::ingest::porter;
use crate::llm::embed::cosine;

/// The numbers a calibration weighs, one claim against its window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// Best cosine of the claim with one sentence of the window.
    pub cosine: f32,
    /// Share of the claim's content words (stemmed) that the window uses.
    pub recall: f32,
    /// Share of the claim's content words that the window's whole source uses.
    pub recall_source: f32,
    /// Share of the claim's neighbouring content-word pairs found near each other in the
    /// window: true words recombined into a new statement fail here.
    pub pairs: f32,
    /// Content words of the claim that no sentence of the source uses (log scale).
    pub new_words: f32,
    /// Figures of the claim that the source does not contain.
    pub figures_missing: f32,
    /// Figures of the claim the source has, but not in the window.
    pub figures_misplaced: f32,
    /// Names of the claim the window does not mention.
    pub names_missing: f32,
    /// 1 when the claim is negated and its window is not, or the reverse.
    pub polarity: f32,
    /// 1 when one of claim and window hedges and the other does not.
    pub hedge: f32,
    /// 1 when the claim's speaker ("X said") is not named in the window.
    pub speaker_missing: f32,
    /// 1 when the claim's first content word (most often its subject) is not in the window.
    pub subject_missing: f32,
    /// Quotations of the claim not found verbatim in the source.
    pub quotes_missing: f32,
    /// The judge's probability of "yes", where one ran (weighed as log-odds).
    pub judge: Option<f32>,
}

/// Names of [`Features::vector`]'s entries, in order (the judge last, where present).
pub const NAMES: &[&str] = &[
    "cosine",
    "recall",
    "recall_source",
    "pairs",
    "new_words",
    "figures_missing",
    "figures_misplaced",
    "names_missing",
    "polarity",
    "hedge",
    "speaker_missing",
    "subject_missing",
    "quotes_missing",
    "judge",
];

impl Features {
    /// The features as one vector, in [`NAMES`] order; the judge only where it ran.
    pub fn vector(&self) -> Vec<f32> {
        let mut v = vec![
            self.cosine,
            self.recall,
            self.recall_source,
            self.pairs,
            self.new_words,
            self.figures_missing,
            self.figures_misplaced,
            self.names_missing,
            self.polarity,
            self.hedge,
            self.speaker_missing,
            self.subject_missing,
            self.quotes_missing,
        ];
        if let Some(j) = self.judge {
            // Log-odds: a judge's probabilities bunch up near 0 and 1, where a linear weight
            // on the probability itself cannot tell 0.9 from 0.999.
            let j = j.clamp(1e-4, 1.0 - 1e-4);
            v.push((j / (1.0 - j)).ln());
        }
        v
    }
}

/// The sentences a claim is held to: one sentence of a source, or two adjacent ones.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Indices into the sentences checked against.
    pub sentences: Vec<usize>,
    pub spans: Vec<Evidence>,
}

/// What failed, with the words a reason names.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub missing_quote: Option<String>,
    pub missing_figure: Option<String>,
    pub misplaced_figure: Option<String>,
    pub missing_entity: Option<String>,
    pub actor: Option<String>,
    pub polarity: bool,
    pub hedge: bool,
    pub new_words: Vec<String>,
    /// The claim's speaker is not named in or just before the window.
    pub speaker_missing: bool,
}

impl Findings {
    /// A failure that rules the claim out whatever the rest scores: a quotation that is not
    /// in the source, a figure that belongs to another sentence, a statement given to someone
    /// the evidence does not name. On `faith_dev` these cost 0.002 of balanced accuracy
    /// (docs/thresholds.md); they are what a reader must never see.
    pub fn vetoed(&self) -> bool {
        self.missing_quote.is_some() || self.misplaced_figure.is_some() || self.speaker_missing
    }
}

impl Findings {
    /// The first failed requirement, in the order a reader wants to hear them.
    pub fn reason(&self) -> Option<Reason> {
        if let Some(q) = &self.missing_quote {
            return Some(Reason::MissingQuote { quote: q.clone() });
        }
        if let Some(f) = &self.missing_figure {
            return Some(Reason::MissingFigure { figure: f.clone() });
        }
        if let Some(f) = &self.misplaced_figure {
            return Some(Reason::MisplacedFigure { figure: f.clone() });
        }
        if let Some(a) = &self.actor {
            return Some(Reason::WrongActor { actor: a.clone() });
        }
        if let Some(e) = &self.missing_entity {
            return Some(Reason::MissingEntity { entity: e.clone() });
        }
        if self.polarity {
            return Some(Reason::ReversedPolarity);
        }
        if self.hedge {
            return Some(Reason::LostHedge);
        }
        if !self.new_words.is_empty() {
            return Some(Reason::NewWords {
                words: self.new_words.clone(),
            });
        }
        None
    }
}

/// One word of a text, with what matching needs.
#[derive(Debug, Clone)]
struct Token {
    /// Lower-cased, possessive removed; numbers without separators.
    word: String,
    stem: String,
    content: bool,
    /// Capitalised where a sentence does not start.
    name: bool,
}

static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d[\d,.]*\d|\d|\p{L}[\p{L}\p{M}]*(?:['’]\p{L}+)*").expect("valid regex")
});
static QUOTE: LazyLock<Regex> = LazyLock::new(|| {
    // Typographic and straight double quotes, the treebank's `` and '' (lower-cased wire
    // copy), and single quotes around a phrase long enough not to be an apostrophe.
    Regex::new(
        r#"``\s*([^`']{3,}?)\s*''|["“]([^"”]{3,})["”]|(?:^|\s)[`‘']([^'’`]{12,})['’](?:\s|[,.;:]|$)"#,
    )
    .expect("valid regex")
});

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut start_of_sentence = true;
    let mut last_end = 0;
    for m in TOKEN.find_iter(text) {
        let between = &text[last_end..m.start()];
        if between.contains(['.', '!', '?', ':', '"', '“', '(', '—']) || out.is_empty() {
            start_of_sentence = true;
        }
        last_end = m.end();
        let raw = m.as_str();
        let lower = raw.to_lowercase();
        let word = if lower.starts_with(|c: char| c.is_ascii_digit()) {
            lower.trim_end_matches(['.', ',']).replace(',', "")
        } else {
            let w = lower
                .strip_suffix("'s")
                .or(lower.strip_suffix("’s"))
                .unwrap_or(&lower);
            w.replace('’', "'")
        };
        let word = number_word(&word).map(str::to_string).unwrap_or(word);
        let capital = raw.chars().next().is_some_and(char::is_uppercase);
        let content = !STOP.contains(&word.as_str());
        let name = capital && !start_of_sentence && content;
        let stem = if word.starts_with(|c: char| c.is_ascii_digit()) {
            word.clone()
        } else {
            porter::stem(&word)
        };
        out.push(Token {
            word,
            stem,
            content,
            name,
        });
        start_of_sentence = false;
    }
    out
}

/// The stems of a text's content words: what "the same facts" is measured in.
pub fn content_stems(text: &str) -> BTreeSet<String> {
    tokens(text)
        .into_iter()
        .filter(|t| t.content)
        .map(|t| t.stem)
        .collect()
}

/// Number words as digits, so "twelve" and "12" match.
fn number_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "one" => "1",
        "two" => "2",
        "three" => "3",
        "four" => "4",
        "five" => "5",
        "six" => "6",
        "seven" => "7",
        "eight" => "8",
        "nine" => "9",
        "ten" => "10",
        "eleven" => "11",
        "twelve" => "12",
        "thirteen" => "13",
        "fourteen" => "14",
        "fifteen" => "15",
        "sixteen" => "16",
        "seventeen" => "17",
        "eighteen" => "18",
        "nineteen" => "19",
        "twenty" => "20",
        "thirty" => "30",
        "forty" => "40",
        "fifty" => "50",
        "hundred" => "100",
        "thousand" => "1000",
        "first" => "1st",
        "second" => "2nd",
        "third" => "3rd",
        _ => return None,
    })
}

const MONTHS_AND_DAYS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "yesterday",
    "today",
    "tomorrow",
    "last",
    "next",
];

/// A figure: a number, an ordinal, a month or a weekday ("may" is too often a verb).
fn is_figure(t: &Token) -> bool {
    t.word.starts_with(|c: char| c.is_ascii_digit())
        || (MONTHS_AND_DAYS.contains(&t.word.as_str())
            && !matches!(t.word.as_str(), "last" | "next"))
}

const NEGATION: &[&str] = &[
    "not",
    "no",
    "never",
    "none",
    "nobody",
    "nothing",
    "neither",
    "nor",
    "without",
    "deny",
    "denied",
    "denies",
    "denying",
    "refused",
    "refuses",
    "rejected",
    "rejects",
    "failed",
    "fails",
    "unable",
    "cannot",
    "against",
    "dismissed",
    "lack",
    "lacked",
];

const HEDGES: &[&str] = &[
    "may",
    "might",
    "could",
    "alleged",
    "allegedly",
    "reportedly",
    "suspected",
    "possible",
    "possibly",
    "likely",
    "unlikely",
    "plan",
    "plans",
    "planned",
    "expected",
    "proposed",
    "considering",
    "believed",
    "claimed",
    "claims",
    "accused",
    "potential",
    "would",
];

const SPEECH: &[&str] = &[
    "said",
    "says",
    "told",
    "added",
    "argued",
    "claimed",
    "insisted",
    "warned",
    "stated",
    "explained",
    "wrote",
    "announced",
    "admitted",
    "confirmed",
    "believes",
    "according",
];

fn negated(ts: &[&Token]) -> bool {
    ts.iter()
        .any(|t| t.word.ends_with("n't") || NEGATION.contains(&t.word.as_str()))
}

fn hedged(ts: &[&Token]) -> bool {
    ts.iter().any(|t| HEDGES.contains(&t.word.as_str()))
}

/// The speaker of a reported statement: the content words right before or after a speech verb
/// ("Watson said", "said Watson", "according to the ministry").
fn speaker(ts: &[Token]) -> Option<Vec<String>> {
    let i = ts.iter().position(|t| SPEECH.contains(&t.word.as_str()))?;
    // The word next to the verb names the speaker ("…, Rama said", "said Rama", "according
    // to the ministry"); the words further off belong to the statement.
    if let Some(t) = i.checked_sub(1).map(|p| &ts[p]).filter(|t| t.content) {
        return Some(vec![t.stem.clone()]);
    }
    ts[i + 1..]
        .iter()
        .find(|t| t.content)
        .map(|t| vec![t.stem.clone()])
}

/// Words that open a sentence leaning on the one before it ("He said…", "But the ministry…"):
/// only then is the pair one piece of evidence. Two unrelated adjacent sentences would let a
/// claim borrow a date or a name from the next event.
const CONTINUES: &[&str] = &[
    "he",
    "she",
    "they",
    "it",
    "this",
    "that",
    "these",
    "those",
    "his",
    "her",
    "their",
    "its",
    "but",
    "and",
    "also",
    "however",
    "both",
    "there",
    "such",
    "then",
    "meanwhile",
    "still",
];

fn continues(text: &str) -> bool {
    text.split_whitespace()
        .next()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .is_some_and(|w| CONTINUES.contains(&w.as_str()))
}

fn squash(s: &str) -> String {
    s.replace("``", "\"")
        .replace("''", "\"")
        .replace(['“', '”', '`'], "\"")
        .replace(['‘', '’'], "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_string()
}

fn quotes(text: &str) -> Vec<String> {
    QUOTE
        .captures_iter(text)
        .filter_map(|c| c.get(1).or(c.get(2)).or(c.get(3)))
        .map(|m| m.as_str().trim().to_string())
        .collect()
}

/// How near two words must be in the window for a pair of the claim to count as found there.
const PAIR_SPAN: usize = 4;

/// The features of `claim` (embedded as `embedding`) against `sentences`, and the window
/// chosen as its evidence.
pub fn extract(
    claim: &str,
    embedding: &[f32],
    sentences: &[Sentence],
) -> (Features, Window, Findings) {
    let mut f = Features::default();
    let mut findings = Findings::default();
    if sentences.is_empty() {
        return (f, Window::default(), findings);
    }
    let ct = tokens(claim);
    let content: Vec<&Token> = ct.iter().filter(|t| t.content).collect();
    let claim_stems: BTreeSet<&str> = content.iter().map(|t| t.stem.as_str()).collect();
    let toks: Vec<Vec<Token>> = sentences.iter().map(|s| tokens(&s.text)).collect();
    let stems: Vec<BTreeSet<&str>> = toks
        .iter()
        .map(|ts| {
            ts.iter()
                .filter(|t| t.content)
                .map(|t| t.stem.as_str())
                .collect()
        })
        .collect();
    let cos: Vec<f32> = sentences
        .iter()
        .map(|s| cosine(embedding, &s.embedding))
        .collect();
    let recall_of = |idx: &[usize]| -> f32 {
        if claim_stems.is_empty() {
            return 1.0;
        }
        let found = claim_stems
            .iter()
            .filter(|w| idx.iter().any(|&i| stems[i].contains(*w)))
            .count();
        found as f32 / claim_stems.len() as f32
    };

    // The window: the best sentence, or two adjacent ones of one source when the second adds
    // enough of the claim to be worth the extra text.
    let mut best: (f32, Vec<usize>) = (f32::MIN, vec![0]);
    for i in 0..sentences.len() {
        let single = 0.5 * cos[i] + 0.5 * recall_of(&[i]);
        if single > best.0 {
            best = (single, vec![i]);
        }
        if let Some(j) = (i + 1 < sentences.len()).then_some(i + 1) {
            let adjacent = sentences[j].source == sentences[i].source
                && sentences[j].position == sentences[i].position + 1
                && continues(&sentences[j].text);
            if adjacent {
                let pair = 0.5 * cos[i].max(cos[j]) + 0.5 * recall_of(&[i, j]) - 0.05;
                if pair > best.0 {
                    best = (pair, vec![i, j]);
                }
            }
        }
    }
    let idx = best.1;
    let source = sentences[idx[0]].source;
    let own: Vec<usize> = (0..sentences.len())
        .filter(|&i| sentences[i].source == source)
        .collect();
    let window = Window {
        spans: idx
            .iter()
            .map(|&i| Evidence {
                source,
                sentence: sentences[i].text.clone(),
                score: cos[i],
            })
            .collect(),
        sentences: idx.clone(),
    };
    let wtoks: Vec<&Token> = idx.iter().flat_map(|&i| toks[i].iter()).collect();
    let wwords: BTreeSet<&str> = wtoks.iter().map(|t| t.word.as_str()).collect();
    let wstems: BTreeSet<&str> = wtoks.iter().map(|t| t.stem.as_str()).collect();
    let source_words: BTreeSet<&str> = own
        .iter()
        .flat_map(|&i| toks[i].iter().map(|t| t.word.as_str()))
        .collect();
    let source_stems: BTreeSet<&str> = own.iter().flat_map(|&i| stems[i].iter().copied()).collect();

    f.cosine = idx.iter().map(|&i| cos[i]).fold(f32::MIN, f32::max);
    f.recall = recall_of(&idx);
    f.recall_source = if claim_stems.is_empty() {
        1.0
    } else {
        claim_stems
            .iter()
            .filter(|w| source_stems.contains(*w))
            .count() as f32
            / claim_stems.len() as f32
    };

    // Pairs: neighbouring content words of the claim, near each other (either order) in the
    // window's content words.
    let wcontent: Vec<&str> = wtoks
        .iter()
        .filter(|t| t.content)
        .map(|t| t.stem.as_str())
        .collect();
    let pairs: Vec<(&str, &str)> = content
        .windows(2)
        .map(|w| (w[0].stem.as_str(), w[1].stem.as_str()))
        .collect();
    f.pairs = if pairs.is_empty() {
        1.0
    } else {
        let near = |a: &str, b: &str| {
            wcontent.iter().enumerate().any(|(p, w)| {
                *w == a
                    && wcontent
                        [p.saturating_sub(PAIR_SPAN)..(p + PAIR_SPAN + 1).min(wcontent.len())]
                        .contains(&b)
            })
        };
        pairs.iter().filter(|(a, b)| near(a, b)).count() as f32 / pairs.len() as f32
    };

    let new: Vec<String> = content
        .iter()
        .filter(|t| {
            !source_stems.contains(t.stem.as_str()) && !source_words.contains(t.word.as_str())
        })
        .map(|t| t.word.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    f.new_words = (1.0 + new.len() as f32).ln();
    findings.new_words = new;

    for t in ct.iter().filter(|t| is_figure(t)) {
        if wwords.contains(t.word.as_str()) {
            continue;
        }
        if source_words.contains(t.word.as_str()) {
            f.figures_misplaced += 1.0;
            findings.misplaced_figure.get_or_insert(t.word.clone());
        } else {
            f.figures_missing += 1.0;
            findings.missing_figure.get_or_insert(t.word.clone());
        }
    }
    for t in ct.iter().filter(|t| t.name && !is_figure(t)) {
        if !wstems.contains(t.stem.as_str()) {
            f.names_missing += 1.0;
            findings.missing_entity.get_or_insert(t.word.clone());
        }
    }

    // Negation and hedges are compared with the window sentence that carries most of the
    // claim, so a negation elsewhere in a two-sentence window does not count.
    let main = *idx
        .iter()
        .max_by(|&&a, &&b| recall_of(&[a]).total_cmp(&recall_of(&[b])))
        .unwrap_or(&idx[0]);
    let ctoks: Vec<&Token> = ct.iter().collect();
    let mtoks: Vec<&Token> = toks[main].iter().collect();
    if negated(&ctoks) != negated(&mtoks) {
        f.polarity = 1.0;
        findings.polarity = true;
    }
    if hedged(&ctoks) != hedged(&mtoks) {
        f.hedge = 1.0;
        findings.hedge = true;
    }

    if let Some(who) = speaker(&ct) {
        // The speaker may be named in the sentence before a quotation or a "she added":
        // look one back too, but only when the window leans on it.
        let mut around: BTreeSet<&str> = wstems.clone();
        let leans_back = |t: &str| continues(t) || t.starts_with(['"', '“', '‘', '`', '\'']);
        if let Some(prev) = idx.first().and_then(|&i| i.checked_sub(1)) {
            if sentences[prev].source == source && leans_back(&sentences[idx[0]].text) {
                around.extend(toks[prev].iter().map(|t| t.stem.as_str()));
            }
        }
        if !who.iter().any(|w| around.contains(w.as_str())) {
            f.speaker_missing = 1.0;
            findings.speaker_missing = true;
            findings.actor = Some(who.into_iter().rev().collect::<Vec<_>>().join(" "));
        }
    }
    if let Some(first) = content.first() {
        if !wstems.contains(first.stem.as_str()) {
            f.subject_missing = 1.0;
            if findings.actor.is_none() && first.name {
                findings.actor = Some(first.word.clone());
            }
        }
    }

    let source_text: Vec<String> = own.iter().map(|&i| squash(&sentences[i].text)).collect();
    let joined = source_text.join(" ");
    for q in quotes(claim) {
        if !joined.contains(&squash(&q)) {
            f.quotes_missing += 1.0;
            findings.missing_quote.get_or_insert(q);
        }
    }
    (f, window, findings)
}

/// The text a judge reads for a window: the window's whole source when it fits in `max_chars`,
/// else the window widened a sentence at a time on both sides until it would not. A summary
/// sentence leans on more than its best sentence (who "he" is, which event a date belongs to),
/// and on faith_dev the whole source let the judge rank XSum's claims far better than the
/// window and one neighbour did (docs/thresholds.md). A short source gives every claim the
/// same passage, so the judge's prompts share their opening.
pub fn passage(window: &Window, sentences: &[Sentence], max_chars: usize) -> String {
    let (Some(&first), Some(&last)) = (window.sentences.first(), window.sentences.last()) else {
        return String::new();
    };
    let source = sentences[first].source;
    let same = |i: usize| sentences[i].source == source;
    let (mut from, mut to) = (first, last);
    let mut chars: usize = (from..=to).map(|i| sentences[i].text.len() + 1).sum();
    loop {
        let before = from.checked_sub(1).filter(|&p| same(p));
        let after = Some(to + 1).filter(|&n| n < sentences.len() && same(n));
        // Both sides each round, the earlier first: what a sentence leans on is more often
        // before it.
        let mut grew = false;
        for i in [before, after].into_iter().flatten() {
            let len = sentences[i].text.len() + 1;
            if chars + len <= max_chars {
                chars += len;
                if i < from {
                    from = i;
                } else {
                    to = i;
                }
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    sentences[from..=to]
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words that carry no claim of their own.
const STOP: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "if",
    "then",
    "than",
    "so",
    "as",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "only",
    "own",
    "same",
    "too",
    "very",
    "can",
    "will",
    "just",
    "should",
    "now",
    "i",
    "me",
    "my",
    "we",
    "our",
    "you",
    "your",
    "he",
    "him",
    "his",
    "she",
    "her",
    "it",
    "its",
    "they",
    "them",
    "their",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "would",
    "could",
    "also",
    "said",
    "says",
    "say",
    "told",
    "mr",
    "mrs",
    "ms",
    "dr",
    "while",
    "because",
    "until",
    "which",
    "its",
    "been",
    "per",
    "via",
    "yet",
    "ago",
    "one",
    "s",
    "t",
    "new",
    "year",
    "years",
    "time",
    "people",
    "according",
    "like",
    "get",
    "got",
    "made",
    "make",
    "many",
    "much",
    "well",
    "still",
    "even",
    "back",
    "way",
    "last",
    "next",
    "since",
    "around",
    "another",
    "being",
    "may",
    "might",
    "must",
    "shall",
    "not",
    "no",
    "nor",
    "who",
    "whose",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::evidence::key_terms;
    use crate::ingest::ArticleId;

    fn sentence(i: usize, text: &str, emb: Vec<f32>) -> Sentence {
        Sentence {
            source: ArticleId(1),
            position: i,
            text: text.into(),
            embedding: emb,
            terms: key_terms(text),
        }
    }

    fn doc() -> Vec<Sentence> {
        vec![
            sentence(
                0,
                "Hackers attacked Albania's government systems on July 15.",
                vec![1.0, 0.0, 0.0],
            ),
            sentence(
                1,
                "Albania cut diplomatic ties with Iran on September 7, Prime Minister Rama said.",
                vec![0.0, 1.0, 0.0],
            ),
            sentence(
                2,
                "Iran's foreign ministry spokesman Nasser Kanaani denied any involvement.",
                vec![0.0, 0.0, 1.0],
            ),
        ]
    }

    #[test]
    fn a_true_date_on_the_wrong_event_is_misplaced_not_missing() {
        let (f, w, found) = extract(
            "Albania cut ties with Iran on July 15.",
            &[0.0, 1.0, 0.0],
            &doc(),
        );
        assert_eq!(w.sentences, vec![1]);
        assert_eq!(f.figures_missing, 0.0);
        assert_eq!(f.figures_misplaced, 2.0, "{f:?}");
        assert_eq!(
            found.reason(),
            Some(Reason::MisplacedFigure {
                figure: "july".into()
            })
        );
        let (f, _, found) = extract(
            "Albania cut ties with Iran on September 7.",
            &[0.0, 1.0, 0.0],
            &doc(),
        );
        assert_eq!(f.figures_missing + f.figures_misplaced, 0.0);
        assert!(found.reason().is_none(), "{:?}", found.reason());
    }

    #[test]
    fn a_claim_given_to_the_wrong_speaker_is_caught() {
        let (f, _, found) = extract(
            "Iran denied any involvement, Rama said.",
            &[0.0, 0.0, 1.0],
            &doc(),
        );
        assert_eq!(f.speaker_missing, 1.0, "{f:?}");
        assert_eq!(
            found.reason(),
            Some(Reason::WrongActor {
                actor: "rama".into()
            })
        );
        let (f, _, _) = extract(
            "Iran denied any involvement, Kanaani said.",
            &[0.0, 0.0, 1.0],
            &doc(),
        );
        assert_eq!(f.speaker_missing, 0.0, "{f:?}");
    }

    #[test]
    fn a_reversed_statement_flips_polarity() {
        let (f, _, found) = extract(
            "Iran's foreign ministry confirmed its involvement.",
            &[0.0, 0.0, 1.0],
            &doc(),
        );
        assert_eq!(f.polarity, 1.0, "{f:?}");
        assert!(found.polarity);
        let (f, _, _) = extract(
            "Iran's foreign ministry denied involvement.",
            &[0.0, 0.0, 1.0],
            &doc(),
        );
        assert_eq!(f.polarity, 0.0, "{f:?}");
    }

    #[test]
    fn number_words_match_digits_and_new_words_are_named() {
        let s = vec![sentence(
            0,
            "Twelve people were hurt in the blast in Kabul.",
            vec![1.0],
        )];
        let (f, _, found) = extract("12 people were hurt in a blast in Kabul.", &[1.0], &s);
        assert_eq!(f.figures_missing, 0.0, "{f:?}");
        assert!(found.new_words.is_empty(), "{:?}", found.new_words);
        let (_, _, found) = extract("12 soldiers were hurt in Kabul.", &[1.0], &s);
        assert_eq!(found.new_words, vec!["soldiers".to_string()]);
    }

    #[test]
    fn quotations_must_be_verbatim() {
        let s = vec![sentence(
            0,
            "“We will not be intimidated,” the minister said on Friday.",
            vec![1.0],
        )];
        let (f, _, _) = extract(
            "The minister said “we will not be intimidated”.",
            &[1.0],
            &s,
        );
        assert_eq!(f.quotes_missing, 0.0);
        let (f, _, found) = extract("The minister said “we will retaliate”.", &[1.0], &s);
        assert_eq!(f.quotes_missing, 1.0);
        assert!(matches!(found.reason(), Some(Reason::MissingQuote { .. })));
    }

    #[test]
    fn a_judge_reads_the_whole_source_when_it_fits_else_the_window_widened_both_ways() {
        let mut sentences: Vec<Sentence> = (0..10)
            .map(|i| sentence(i, &format!("Sentence number {i} of the first."), vec![1.0]))
            .collect();
        let mut other = sentence(0, "Another source entirely.", vec![1.0]);
        other.source = ArticleId(2);
        sentences.push(other);
        let window = Window {
            sentences: vec![6],
            spans: Vec::new(),
        };
        let whole = passage(&window, &sentences, 10_000);
        assert!(whole.starts_with("Sentence number 0 "), "{whole}");
        assert!(whole.ends_with("number 9 of the first."), "{whole}");
        assert!(!whole.contains("Another"), "{whole}");
        // Each sentence is 32 characters with its space: room for five of them.
        let five = passage(&window, &sentences, 160);
        assert_eq!(
            five,
            (4..=8)
                .map(|i| format!("Sentence number {i} of the first."))
                .collect::<Vec<_>>()
                .join(" ")
        );
        // At the source's end it widens on the side that has room.
        let last = Window {
            sentences: vec![9],
            spans: Vec::new(),
        };
        assert!(passage(&last, &sentences, 160).starts_with("Sentence number 5 "));
        // A window longer than the limit is still given whole.
        assert_eq!(
            passage(&window, &sentences, 5),
            "Sentence number 6 of the first."
        );
    }
}
