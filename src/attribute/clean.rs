//! Source sentences made fit to stand alone as points: the wire and broadcaster furniture that
//! opens a story's first sentence (datelines, agency credits) comes off, and the sentence is
//! capitalised again. The evidence keeps the sentence as the source wrote it.

use std::sync::LazyLock;

use regex::Regex;

/// A dateline: a place in capitals ("TIRANA", "NEW YORK", "ERBIL, Kurdistan Region"), maybe a
/// date or an agency in brackets, then the dash or colon that ends it. Capitals are what mark
/// it as furniture ("Paris - based firms" or "Officials: ..." are not datelines), and one word
/// of four letters or more, or several words, keeps acronyms ("US - China talks") out.
static DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\p{Lu}[\p{Lu}.'’]{3,}|\p{Lu}[\p{Lu}.'’]+(?:[ -]\p{Lu}[\p{Lu}.'’]+){1,3})(?:,\s*\p{Lu}[\p{L}.'’]*(?:\s+\p{Lu}[\p{L}.'’]*){0,3}){0,2}\s*(?:\([^()]{1,40}\))?\s*(?::|-{1,2}|–|—)\s+",
    )
    .expect("valid regex")
});

/// An agency or broadcaster credit alone: "(Reuters) - ", "(CNN) — ".
static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\(\p{Lu}[\p{L}. ]{1,30}\)\s*(?::|-{1,2}|–|—)\s+").expect("valid regex")
});

/// `sentence` without an opening dateline or credit, its first letter capitalised; unchanged
/// when nothing of the kind opens it, or when too little would be left to be a statement.
pub fn without_dateline(sentence: &str) -> String {
    let rest = DATELINE
        .find(sentence)
        .or_else(|| CREDIT.find(sentence))
        .map_or(sentence, |m| &sentence[m.end()..]);
    if rest.len() == sentence.len() || rest.split_whitespace().count() < 5 {
        return sentence.to_string();
    }
    let mut chars = rest.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => sentence.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datelines_and_credits_come_off() {
        for (with, without) in [
            (
                "TIRANA: As Washington promised to act, Albania severed ties on Wednesday.",
                "As Washington promised to act, Albania severed ties on Wednesday.",
            ),
            (
                "ERBIL, Kurdistan Region - Iran on Monday struck targets across the border.",
                "Iran on Monday struck targets across the border.",
            ),
            (
                "NEW YORK (Reuters) - Stocks fell sharply on Tuesday after the report.",
                "Stocks fell sharply on Tuesday after the report.",
            ),
            (
                "WASHINGTON — the Senate passed the bill late on Friday night.",
                "The Senate passed the bill late on Friday night.",
            ),
            (
                "(CNN) — A powerful storm hit the coast of Florida overnight.",
                "A powerful storm hit the coast of Florida overnight.",
            ),
        ] {
            assert_eq!(without_dateline(with), without);
        }
    }

    #[test]
    fn ordinary_openings_stay() {
        for s in [
            "Officials: the dam held through the night, they said on Monday.",
            "Paris - based firms reported higher sales in the last quarter.",
            "The UN said 3,000 people had fled the town by Sunday.",
            "NATO: a short one.",
            "US - China talks resumed in Geneva on Monday after a pause.",
        ] {
            assert_eq!(without_dateline(s), s, "{s}");
        }
    }
}
