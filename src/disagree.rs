//! Where sources differ: the same kind of quantity (members, hours, kilometres, a day of a
//! month…) given different values by sources writing about the same thing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::embed::cosine;
use crate::evidence::Index;
use crate::ingest::ArticleId;

#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub value: String,
    pub sources: Vec<ArticleId>,
    pub sentence: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    /// What the values measure: the word after the number, or the month for dates.
    pub about: String,
    pub sides: Vec<Side>,
}

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

/// Short unit spellings that mean the same as the long ones.
fn canonical_unit(u: &str) -> &str {
    match u {
        "km" | "kms" | "kilometre" | "kilometer" => "kilometer",
        "mi" | "mile" => "mile",
        "hr" | "hrs" | "hour" => "hour",
        "pc" | "percent" => "percent",
        other => other,
    }
}

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
        let unit = unit.strip_suffix('s').unwrap_or(&unit);
        out.push((canonical_unit(unit).to_string(), c[1].replace(',', "")));
    }
    for c in DATE.captures_iter(s) {
        out.push((c[1].to_string(), c[2].to_string()));
    }
    for c in DATE_DM.captures_iter(s) {
        out.push((c[2].to_string(), c[1].to_string()));
    }
    out
}

fn is_month(w: &str) -> bool {
    [
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
    ]
    .contains(&w)
}

pub fn find(index: &Index) -> Vec<Disagreement> {
    // (what) -> value -> (sources, first sentence)
    let mut found: BTreeMap<String, BTreeMap<String, (BTreeSet<ArticleId>, String)>> =
        BTreeMap::new();
    let sents = &index.sentences;
    let facts: Vec<Vec<(String, String)>> = sents.iter().map(|s| measures(&s.text)).collect();
    for i in 0..sents.len() {
        for j in (i + 1)..sents.len() {
            if sents[i].source == sents[j].source
                || facts[i].is_empty()
                || facts[j].is_empty()
                || cosine(&sents[i].embedding, &sents[j].embedding) < SAME_TOPIC
            {
                continue;
            }
            for (unit_a, val_a) in &facts[i] {
                for (unit_b, val_b) in &facts[j] {
                    if unit_a != unit_b || val_a == val_b {
                        continue;
                    }
                    // The other sentence must not also state this side's value: then the
                    // two are listing several quantities, not disagreeing.
                    if facts[j].iter().any(|(u, v)| u == unit_a && v == val_a)
                        || facts[i].iter().any(|(u, v)| u == unit_b && v == val_b)
                    {
                        continue;
                    }
                    let entry = found.entry(unit_a.clone()).or_default();
                    for (k, v) in [(i, val_a), (j, val_b)] {
                        let side = entry
                            .entry(v.clone())
                            .or_insert_with(|| (BTreeSet::new(), sents[k].text.clone()));
                        side.0.insert(sents[k].source);
                    }
                }
            }
        }
    }
    found
        .into_iter()
        .map(|(about, values)| Disagreement {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Sentence;

    fn sentence(source: u32, text: &str, emb: Vec<f32>) -> Sentence {
        Sentence {
            source: ArticleId(source),
            position: 0,
            text: text.into(),
            embedding: emb,
            terms: Default::default(),
        }
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
        assert_eq!(d[0].about, "member");
        let values: Vec<&str> = d[0].sides.iter().map(|s| s.value.as_str()).collect();
        assert_eq!(values, ["1000", "3000"]);
        assert_eq!(d[0].sides[1].sources, vec![ArticleId(1)]);
    }

    #[test]
    fn dates_in_the_same_month_that_differ_are_found() {
        let m = measures("The attack began on July 15 and ended July 18.");
        assert!(m.contains(&("July".into(), "15".into())));
        assert!(m.contains(&("July".into(), "18".into())));
        let m = measures("the 15 July cyber-attack");
        assert!(m.contains(&("July".into(), "15".into())), "{m:?}");
    }

    #[test]
    fn distances_compare_across_spellings() {
        let a = measures("a compound 40km outside of Tirana");
        let b = measures("a camp 30 kilometers (19 miles) from the capital");
        assert!(a.contains(&("kilometer".into(), "40".into())), "{a:?}");
        assert!(b.contains(&("kilometer".into(), "30".into())), "{b:?}");
        assert!(b.contains(&("mile".into(), "19".into())), "{b:?}");
    }
}
