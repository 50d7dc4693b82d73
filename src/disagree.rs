//! Where sources differ: the same kind of quantity (members, hours, kilometres, a day of a
//! month…) given different values, the same event put in different places, or the same person
//! given different roles (and the same role different people), by sources writing about the
//! same thing.

mod places;
mod roles;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::briefing::{Disagreement, DisagreementKind as Kind, Side};
use crate::check::evidence::{Index, Sentence};
use crate::ingest::ArticleId;
use crate::llm::embed::cosine;

/// Sentences at least this similar talk about the same thing.
const SAME_TOPIC: f32 = 0.5;

static MEASURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d[\d,]*(?:\.\d+)?)(?:\s+|-)?([a-z]{2,})\b").expect("valid regex")
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\s+(\d{1,2})\b")
        .expect("valid regex")
});
/// Day before month, as British and European outlets write dates ("15 July").
static DATE_DM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,2})\s+(January|February|March|April|May|June|July|August|September|October|November|December)\b")
        .expect("valid regex")
});
static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:1[89]|20)\d\d\b").expect("valid regex"));
/// Words (with inner apostrophes, hyphens and dots, so "Iran’s", "al-Assad", "U.S" stay whole)
/// and single punctuation marks.
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}\p{N}]+(?:['’.\-][\p{L}\p{N}]+)*(?:['’]s?)?|\S").expect("valid regex")
});

/// Text ending where the upper bound of a numeric range begins.
static RANGE_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\d\s*(?:to|-|–|and|or)\s*$").expect("valid regex"));

/// Short unit spellings that mean the same as the long ones.
fn canonical_unit(u: &str) -> &str {
    match u {
        "km" | "kms" | "kilometre" | "kilometer" => "kilometer",
        "mi" | "mile" => "mile",
        "metre" | "meter" => "meter",
        "hr" | "hrs" | "hour" => "hour",
        "pc" | "percent" => "percent",
        other => other,
    }
}

const DISTANCE_UNITS: &[&str] = &["kilometer", "mile", "meter", "feet", "foot", "yard"];

/// Words after a number that are not units of anything.
const NOT_UNITS: &[&str] = &[
    "and", "the", "for", "from", "with", "that", "was", "were", "when", "after", "before", "into",
    "over", "per", "have", "has", "had", "are", "but", "who", "to", "in", "of", "at", "on", "by",
    "as", "or", "is", "an", "st", "nd", "rd", "th", "am", "pm",
];

/// (what, value) pairs a sentence states.
fn measures(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in MEASURE.captures_iter(s) {
        let unit = c[2].to_lowercase();
        if NOT_UNITS.contains(&unit.as_str()) || is_month(&unit) {
            continue;
        }
        // The top of a range ("ages 18 to 34 rack up…") counts nothing by itself.
        let before = &s[..c.get(0).map_or(0, |m| m.start())];
        if RANGE_END.is_match(before) {
            continue;
        }
        let unit = unit.strip_suffix('s').unwrap_or(&unit);
        out.push((canonical_unit(unit).to_string(), c[1].replace(',', "")));
    }
    out.extend(word_measures(s));
    for c in DATE.captures_iter(s) {
        out.push((c[1].to_string(), c[2].to_string()));
    }
    for c in DATE_DM.captures_iter(s) {
        out.push((c[2].to_string(), c[1].to_string()));
    }
    out
}

/// A word of a spelled-out number, as [`number_words`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberWord {
    Ones(u64),
    Teen(u64),
    Tens(u64),
    Hundred,
    Scale(u64),
    And,
}

fn number_word(w: &str) -> Option<NumberWord> {
    use NumberWord::*;
    const ONES: [&str; 9] = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    const TEENS: [&str; 10] = [
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let w = w.to_ascii_lowercase();
    let at = |list: &[&str]| list.iter().position(|x| *x == w).map(|i| i as u64);
    if let Some(i) = at(&ONES) {
        return Some(Ones(i + 1));
    }
    if let Some(i) = at(&TEENS) {
        return Some(Teen(i + 10));
    }
    if let Some(i) = at(&TENS) {
        return Some(Tens((i + 2) * 10));
    }
    match w.as_str() {
        "hundred" => Some(Hundred),
        "thousand" => Some(Scale(1_000)),
        "million" => Some(Scale(1_000_000)),
        "billion" => Some(Scale(1_000_000_000)),
        "and" => Some(And),
        _ => None,
    }
}

/// The value of a run of number words ("twelve", "twenty-five", "two hundred and fifty",
/// "three thousand four hundred"), or `None` when the words do not make one number
/// ("ten twelve", "five and").
fn number_words(words: &[&str]) -> Option<u64> {
    use NumberWord::*;
    let (mut total, mut current) = (0u64, 0u64);
    let mut prev: Option<NumberWord> = None;
    for w in words {
        let word = number_word(w)?;
        let after_digit = matches!(prev, Some(Ones(_) | Teen(_)));
        match word {
            Ones(n) => {
                if after_digit {
                    return None;
                }
                current += n;
            }
            Teen(n) | Tens(n) => {
                if after_digit || matches!(prev, Some(Tens(_))) {
                    return None;
                }
                current += n;
            }
            Hundred => {
                if !(1..=9).contains(&current) {
                    return None;
                }
                current *= 100;
            }
            Scale(k) => {
                if current == 0 {
                    return None;
                }
                total += current * k;
                current = 0;
            }
            And => {
                if !matches!(prev, Some(Hundred | Scale(_))) {
                    return None;
                }
            }
        }
        prev = Some(word);
    }
    if matches!(prev, None | Some(And)) {
        return None;
    }
    Some(total + current)
}

static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z]+").expect("valid regex"));

/// (what, value) pairs spelled in words: "twelve people" is ("people", "12"), so it is
/// compared with "12 people". "One" alone is left out: "one official said" counts nothing.
fn word_measures(s: &str) -> Vec<(String, String)> {
    let words: Vec<regex::Match> = WORD.find_iter(s).collect();
    // Words of one number are apart only by spaces or a hyphen ("twenty-five").
    let joined = |a: &regex::Match, b: &regex::Match| {
        s[a.end()..b.start()].chars().all(|c| c == ' ' || c == '-')
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let starts = number_word(words[i].as_str()).is_some_and(|w| w != NumberWord::And);
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < words.len()
            && joined(&words[end - 1], &words[end])
            && number_word(words[end].as_str()).is_some()
        {
            end += 1;
        }
        // A trailing "and" belongs to the sentence, not the number.
        while end > i + 1 && number_word(words[end - 1].as_str()) == Some(NumberWord::And) {
            end -= 1;
        }
        let run: Vec<&str> = words[i..end].iter().map(|m| m.as_str()).collect();
        let value = number_words(&run);
        let unit = words
            .get(end)
            .filter(|u| joined(&words[end - 1], u) && u.as_str().len() >= 2)
            .map(|u| u.as_str().to_lowercase());
        // The top of a range ("ten to twelve people", "8 or nine people") counts nothing.
        let before = s[..words[i].start()].trim_end();
        let range_top = ["to", "or", "and", "-", "–"].iter().any(|sep| {
            before.strip_suffix(sep).is_some_and(|rest| {
                let rest = rest.trim_end();
                rest.ends_with(|c: char| c.is_ascii_digit())
                    || WORD
                        .find_iter(rest)
                        .last()
                        .is_some_and(|w| w.end() == rest.len() && number_word(w.as_str()).is_some())
            })
        });
        if let (Some(value), Some(unit)) = (value, unit) {
            if value >= 2
                && !range_top
                && !NOT_UNITS.contains(&unit.as_str())
                && !is_month(&unit)
                && number_word(&unit).is_none()
            {
                let unit = unit.strip_suffix('s').unwrap_or(&unit);
                out.push((canonical_unit(unit).to_string(), value.to_string()));
            }
        }
        i = end;
    }
    out
}

fn measure_kind(unit: &str) -> Kind {
    if is_month(&unit.to_lowercase()) {
        Kind::Date
    } else if DISTANCE_UNITS.contains(&unit) {
        Kind::Distance
    } else {
        Kind::Count
    }
}

fn is_month(w: &str) -> bool {
    MONTHS.contains(&w)
}

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The sources that gave a value, and the first sentence that did.
type Backers = (BTreeSet<ArticleId>, String);

/// For each (kind, what), every value given and who gave it.
#[derive(Default)]
struct Found(BTreeMap<(Kind, String), BTreeMap<String, Backers>>);

impl Found {
    fn add(&mut self, kind: Kind, about: &str, sides: [(&str, &Sentence); 2]) {
        let entry = self.0.entry((kind, about.to_string())).or_default();
        for (value, s) in sides {
            entry
                .entry(value.to_string())
                .or_insert_with(|| (BTreeSet::new(), s.text.clone()))
                .0
                .insert(s.source);
        }
    }

    fn into_disagreements(self) -> Vec<Disagreement> {
        self.0
            .into_iter()
            .map(|((kind, about), values)| Disagreement {
                kind,
                about,
                sides: values
                    .into_iter()
                    .map(|(value, (sources, sentence))| Side {
                        value,
                        sources: sources.into_iter().collect(),
                        sentence,
                    })
                    .collect(),
            })
            .collect()
    }
}

/// What the detectors share: the sentence pairs worth comparing and each source's whole text.
struct Context<'a> {
    sentences: &'a [Sentence],
    /// (i, j, cosine), i < j, different sources, at least [`SAME_TOPIC`].
    pairs: Vec<(usize, usize, f32)>,
    texts: BTreeMap<ArticleId, String>,
}

impl<'a> Context<'a> {
    fn new(index: &'a Index) -> Self {
        let sents = &index.sentences;
        let mut pairs = Vec::new();
        for i in 0..sents.len() {
            for j in (i + 1)..sents.len() {
                if sents[i].source == sents[j].source {
                    continue;
                }
                let cos = cosine(&sents[i].embedding, &sents[j].embedding);
                if cos >= SAME_TOPIC {
                    pairs.push((i, j, cos));
                }
            }
        }
        let mut texts: BTreeMap<ArticleId, String> = BTreeMap::new();
        for s in sents {
            let t = texts.entry(s.source).or_default();
            t.push_str(&s.text);
            t.push('\n');
        }
        Self {
            sentences: sents,
            pairs,
            texts,
        }
    }

    fn text_of(&self, source: ArticleId) -> &str {
        self.texts.get(&source).map_or("", String::as_str)
    }
}

pub fn find(index: &Index) -> Vec<Disagreement> {
    let cx = Context::new(index);
    let mut found = Found::default();
    quantities(&cx, &mut found);
    places::find(&cx, &mut found);
    roles::find(&cx, &mut found);
    found
        .into_disagreements()
        .into_iter()
        // Four or more values of one unit are several quantities (poll shares, age bands),
        // not outlets contradicting each other.
        .filter(|d| d.kind != Kind::Count || d.sides.len() <= MAX_COUNT_SIDES)
        .collect()
}

/// See [`find`]: more values than this for one counted thing are a list, not a dispute.
const MAX_COUNT_SIDES: usize = 3;

fn quantities(cx: &Context, found: &mut Found) {
    let sents = cx.sentences;
    let facts: Vec<Vec<(String, String)>> = sents.iter().map(|s| measures(&s.text)).collect();
    // Everything each source states anywhere: a source that gives both values somewhere is
    // describing two quantities, whatever its sentences look like side by side.
    let mut stated: BTreeMap<ArticleId, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for (s, f) in sents.iter().zip(&facts) {
        let set = stated.entry(s.source).or_default();
        for (u, v) in f {
            set.insert((u.as_str(), v.as_str()));
        }
    }
    let knows = |k: usize, unit: &str, value: &str| {
        stated
            .get(&sents[k].source)
            .is_some_and(|set| set.contains(&(unit, value)))
    };
    for &(i, j, _) in &cx.pairs {
        for (unit_a, val_a) in &facts[i] {
            for (unit_b, val_b) in &facts[j] {
                if unit_a != unit_b || val_a == val_b {
                    continue;
                }
                // The other sentence must not also state this side's value: then the
                // two are listing several quantities, not disagreeing.
                if facts[j].iter().any(|(u, v)| u == unit_a && v == val_a)
                    || facts[i].iter().any(|(u, v)| u == unit_b && v == val_b)
                    || knows(i, unit_a, val_b)
                    || knows(j, unit_a, val_a)
                {
                    continue;
                }
                found.add(
                    measure_kind(unit_a),
                    unit_a,
                    [(val_a, &sents[i]), (val_b, &sents[j])],
                );
            }
        }
    }
}

/// Both sentences name years and no year is shared: they are about different times, so a
/// different place or office holder is history, not disagreement.
fn different_times(a: &str, b: &str) -> bool {
    let (ya, yb) = (years(a), years(b));
    !ya.is_empty() && !yb.is_empty() && ya.is_disjoint(&yb)
}

fn years(s: &str) -> BTreeSet<&str> {
    YEAR.find_iter(s).map(|m| m.as_str()).collect()
}

fn tokens(s: &str) -> Vec<&str> {
    TOKEN.find_iter(s).map(|m| m.as_str()).collect()
}

fn is_word(t: &str) -> bool {
    t.chars().next().is_some_and(char::is_alphanumeric)
}

fn is_capitalised(t: &str) -> bool {
    t.chars().next().is_some_and(char::is_uppercase)
}

fn is_all_caps(t: &str) -> bool {
    t.chars().filter(|c| c.is_alphabetic()).count() >= 2 && !t.chars().any(char::is_lowercase)
}

/// The word without a possessive ending, if it had one ("Iran’s" → "Iran").
fn possessive_base(t: &str) -> Option<&str> {
    ["'s", "’s", "'", "’"]
        .iter()
        .find_map(|suffix| t.strip_suffix(suffix))
        .filter(|b| !b.is_empty())
}

/// `needle` occurs in `hay` as whole words, case as written.
fn mentions(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    hay.match_indices(needle).any(|(at, _)| {
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Headlines and bylines in title case capitalise every word but the small ones, so capitals
/// there say nothing about names.
fn title_case(toks: &[&str]) -> bool {
    let long: Vec<&&str> = toks
        .iter()
        .filter(|t| is_word(t) && t.chars().count() >= 4)
        .collect();
    long.len() >= 3
        && long
            .iter()
            .all(|t| !t.chars().next().is_some_and(char::is_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::evidence::key_terms;

    fn sentence(source: u32, text: &str, emb: Vec<f32>) -> Sentence {
        Sentence {
            source: ArticleId(source),
            position: 0,
            text: text.into(),
            embedding: emb,
            terms: key_terms(text),
        }
    }

    /// Sources 1, 2, 3… each giving one sentence, all on one topic (cosine 0.9 with the
    /// first).
    fn same_topic(texts: &[&str]) -> Index {
        let sentences: Vec<Sentence> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let emb = if i == 0 {
                    vec![1.0, 0.0]
                } else {
                    vec![0.9, 0.44]
                };
                sentence(i as u32 + 1, t, emb)
            })
            .collect();
        let sources = sentences.iter().map(|s| s.source).collect();
        Index { sentences, sources }
    }

    fn values(d: &Disagreement) -> Vec<&str> {
        d.sides.iter().map(|s| s.value.as_str()).collect()
    }

    #[test]
    fn different_counts_of_the_same_thing_are_reported_with_their_sources() {
        let index = Index {
            sentences: vec![
                sentence(
                    1,
                    "About 3,000 members of the group live in the camp.",
                    vec![1.0, 0.0],
                ),
                sentence(
                    2,
                    "The camp houses some 1000 members of the group.",
                    vec![0.9, 0.44],
                ),
                sentence(
                    3,
                    "Weather was mild on Tuesday with 20 degrees.",
                    vec![0.0, 1.0],
                ),
            ],
            sources: vec![ArticleId(1), ArticleId(2), ArticleId(3)],
        };
        let d = find(&index);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, Kind::Count);
        assert_eq!(d[0].about, "member");
        assert_eq!(values(&d[0]), ["1000", "3000"]);
        assert_eq!(d[0].sides[1].sources, vec![ArticleId(1)]);
    }

    #[test]
    fn a_source_that_gives_both_values_somewhere_is_not_disagreeing() {
        let index = Index {
            sentences: vec![
                sentence(
                    1,
                    "The survey asked 1200 voters about the plan.",
                    vec![1.0, 0.0],
                ),
                sentence(
                    2,
                    "Pollsters reached 800 voters in the state.",
                    vec![0.95, 0.3],
                ),
                sentence(
                    2,
                    "A second wave reached 1200 voters a week later.",
                    vec![0.0, 1.0],
                ),
            ],
            sources: vec![ArticleId(1), ArticleId(2)],
        };
        assert!(find(&index).is_empty(), "{:?}", find(&index));
    }

    #[test]
    fn the_top_of_a_range_is_not_a_count() {
        assert!(
            measures("Employees ages 18 to 34 rack up 70 minutes a day.")
                .iter()
                .all(|(u, _)| u != "rack")
        );
        assert_eq!(
            measures("Some 3,000 members live there."),
            [("member".to_string(), "3000".to_string())]
        );
    }

    #[test]
    fn many_values_of_one_unit_are_a_list_not_a_dispute() {
        let texts = [
            "Support for the plan stood at 41 percent among all adults.",
            "The plan had 38 percent support in the latest poll.",
            "Among young adults the plan drew 52 percent support.",
            "Older voters gave the plan 33 percent support.",
        ];
        let index = Index {
            sentences: texts
                .iter()
                .enumerate()
                .map(|(i, t)| sentence(i as u32 + 1, t, vec![1.0, 0.05 * i as f32]))
                .collect(),
            sources: (1..=4).map(ArticleId).collect(),
        };
        assert!(find(&index).iter().all(|d| d.about != "percent"));
    }

    #[test]
    fn dates_in_the_same_month_that_differ_are_found() {
        let m = measures("The attack began on July 15 and ended July 18.");
        assert!(m.contains(&("July".into(), "15".into())));
        assert!(m.contains(&("July".into(), "18".into())));
        let m = measures("the 15 July cyber-attack");
        assert!(m.contains(&("July".into(), "15".into())), "{m:?}");
        assert_eq!(measure_kind("July"), Kind::Date);
    }

    #[test]
    fn distances_compare_across_spellings() {
        let a = measures("a compound 40km outside of Tirana");
        let b = measures("a camp 30 kilometers (19 miles) from the capital");
        assert!(a.contains(&("kilometer".into(), "40".into())), "{a:?}");
        assert!(b.contains(&("kilometer".into(), "30".into())), "{b:?}");
        assert!(b.contains(&("mile".into(), "19".into())), "{b:?}");
        assert_eq!(measure_kind("kilometer"), Kind::Distance);
    }

    #[test]
    fn an_event_placed_in_two_towns_is_a_place_disagreement() {
        let d = find(&same_topic(&[
            "A car bomb explosion killed 12 people in Kabul on Tuesday, police said.",
            "Tuesday's bomb blast in Kandahar killed 12 people, officials said.",
        ]));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, Kind::Place);
        assert_eq!(d[0].about, "place of the explosion");
        assert_eq!(values(&d[0]), ["Kabul", "Kandahar"]);
        assert_eq!(d[0].sides[1].sources, vec![ArticleId(2)]);
    }

    #[test]
    fn two_places_named_together_are_not_a_disagreement() {
        // One source names both places, in one sentence or another: it knows of both.
        let d = find(&same_topic(&[
            "The talks between the two ministers were held in Paris, near Versailles, on Monday.",
            "Monday's talks between the two ministers in Versailles ended without a deal.",
        ]));
        assert!(d.is_empty(), "{d:?}");
        let mut index = same_topic(&[
            "The talks between the two ministers took place in Lyon on Monday.",
            "Monday's talks between the two ministers in Geneva ended without a deal.",
        ]);
        let mut elsewhere = sentence(
            1,
            "A second round is planned in Geneva next month.",
            vec![0.0, 1.0],
        );
        elsewhere.position = 1;
        index.sentences.push(elsewhere);
        let d = find(&index);
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn a_place_and_the_place_narrowed_down_are_not_a_disagreement() {
        let d = find(&same_topic(&[
            "The talks on Monday between the two ministers were held in Paris, France.",
            "Monday's talks between the two ministers in Paris ended without a deal.",
            "The talks between the two ministers in France on Monday ended without a deal.",
        ]));
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn capitalised_words_after_in_that_are_not_places_are_ignored() {
        for text in [
            "The tanker was seized in Iranian waters on Friday.",
            "The cyberattack happened in July, officials said.",
            "Protesters gathered in Iran's capital on Friday.",
            "The deal was discussed at NATO on Friday.",
            "The report was published in The New York Times on Friday.",
            "She would often lash out at Julia in public.",
            "Two ships collided in the Iranian capital on Friday.",
        ] {
            let p = places::places_in(text);
            assert!(p.is_empty(), "{text}: {p:?}");
        }
        assert_eq!(
            places::places_in("Three people died in a fire in Kandahar province on Friday."),
            ["Kandahar"]
        );
        assert_eq!(
            places::places_in("Ministers met in the Canadian city of Vancouver on Tuesday."),
            ["Vancouver"]
        );
        assert_eq!(
            places::places_in("The plane landed at Heathrow Airport near London."),
            ["Heathrow Airport", "London"]
        );
    }

    #[test]
    fn one_person_given_two_offices_is_a_role_disagreement() {
        let d = find(&same_topic(&[
            "Defence Minister John Smith said on Monday that the talks would resume.",
            "Foreign Minister John Smith said on Monday the talks would resume in the spring.",
        ]));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, Kind::Role);
        assert_eq!(d[0].about, "role of John Smith");
        assert_eq!(values(&d[0]), ["Defence Minister", "Foreign Minister"]);

        let d = find(&same_topic(&[
            "Jane Doe, the company's chief executive, said the merger would close in March.",
            "Jane Doe, its chairman, said the merger with Acme would close in March.",
        ]));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].about, "role of Jane Doe");
        assert_eq!(values(&d[0]), ["chairman", "chief executive"]);
    }

    #[test]
    fn one_office_given_to_two_people_is_a_role_disagreement() {
        let d = find(&same_topic(&[
            "The party's leader, Maria Lopez, addressed the rally in Madrid on Sunday.",
            "Its leader Carlos Lopez told the Madrid rally on Sunday that the party would win.",
        ]));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, Kind::Role);
        assert_eq!(d[0].about, "who is the leader");
        assert_eq!(values(&d[0]), ["Carlos Lopez", "Maria Lopez"]);

        // Two organisations' leaders at one rally.
        let d = find(&same_topic(&[
            "The party's leader, Maria Lopez, addressed the rally in Madrid on Sunday.",
            "The union's leader, Carlos Ruiz, told the Madrid rally on Sunday that the party would win.",
        ]));
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn the_same_office_written_two_ways_is_not_a_disagreement() {
        let d = find(&same_topic(&[
            "Prime Minister Anna Berg said on Friday that the border would reopen.",
            "Norwegian Prime Minister Anna Berg said the border would reopen on Friday.",
            "Berg, the prime minister, said on Friday the border would reopen.",
            "Government spokesman Lars Holm said on Friday the border would reopen.",
            "Lars Holm, a spokesperson for the Norwegian government, said on Friday the border would reopen.",
        ]));
        assert!(d.is_empty(), "{d:?}");
        // One source gives both titles.
        let d = find(&same_topic(&[
            "Jane Doe, the company's chairman and chief executive, said the merger would close in March.",
            "Jane Doe, its chief executive, said the merger with Acme would close in March.",
        ]));
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn offices_that_change_hands_or_have_many_holders_are_not_disputed() {
        let d = find(&same_topic(&[
            "Former President Tom Hall signed the treaty with Norway on Friday.",
            "President Ann Lee signed the treaty with Norway on Friday.",
            "A spokesman, Peter Nagy, said the treaty with Norway was signed on Friday.",
            "Government spokesman Eva Kiss said the treaty with Norway was signed on Friday.",
        ]));
        assert!(d.is_empty(), "{d:?}");
        // Two countries' foreign ministers, each quoted by one source.
        let d = find(&same_topic(&[
            "Foreign Minister Ana Silva said on Tuesday the sanctions on Norway would stay.",
            "Foreign Minister Piotr Nowak said on Tuesday the sanctions on Norway would stay.",
        ]));
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn sentences_on_different_topics_are_not_compared() {
        let index = Index {
            sentences: vec![
                sentence(
                    1,
                    "Defence Minister John Smith opened a hospital in Leeds on Monday.",
                    vec![1.0, 0.0],
                ),
                sentence(
                    2,
                    "Foreign Minister John Smith watched the football match in York on Monday.",
                    vec![0.0, 1.0],
                ),
            ],
            sources: vec![ArticleId(1), ArticleId(2)],
        };
        assert!(find(&index).is_empty());
    }

    #[test]
    fn number_words_read_as_numbers() {
        for (words, want) in [
            ("twelve", Some(12)),
            ("twenty five", Some(25)),
            ("two hundred and fifty", Some(250)),
            ("three thousand four hundred", Some(3400)),
            ("one million", Some(1_000_000)),
            ("ten twelve", None),
            ("twenty thirty", None),
            ("five and", None),
            ("hundred", None),
        ] {
            let run: Vec<&str> = words.split(' ').collect();
            assert_eq!(number_words(&run), want, "{words}");
        }
        assert_eq!(
            word_measures("Twenty-five people and one official were hurt."),
            [("people".to_string(), "25".to_string())]
        );
        assert!(word_measures("between ten and twelve people").len() <= 1);
        assert!(word_measures("ten to twelve people")
            .iter()
            .all(|(_, v)| v != "12"));
    }

    #[test]
    fn a_count_in_words_is_compared_with_one_in_digits() {
        let d = find(&same_topic(&[
            "Twelve people were injured in the blast, police said.",
            "The blast injured 15 people, according to police.",
        ]));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, Kind::Count);
        assert_eq!(d[0].about, "people");
        assert_eq!(values(&d[0]), ["12", "15"]);
        let same = find(&same_topic(&[
            "Twelve people were injured in the blast, police said.",
            "The blast injured 12 people, according to police.",
        ]));
        assert!(same.is_empty(), "{same:?}");
    }
}
