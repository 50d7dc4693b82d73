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

/// A reported statement whose speaker is a surname alone: "…,” Watson said." or "said Watson."
static BARE_SPEAKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:[,”\x22]\s*|\b(?:said|says|added|told|stated|wrote|explained)\s+)(\p{Lu}[\p{Ll}'’-]+)(?:\s+(?:said|says|added|told|stated|wrote|explained)\b|\s*[.,;])",
    )
    .expect("valid regex")
});

/// Lower-case words that may sit inside a speaker's title ("Secretary of State", "foreign
/// ministry spokesman"): roles, not names.
const ROLE_WORDS: &[&str] = &[
    "spokeswoman",
    "spokesman",
    "spokesperson",
    "minister",
    "secretary",
    "president",
    "director",
    "chief",
    "official",
    "adviser",
    "advisor",
    "analyst",
    "professor",
    "researcher",
    "envoy",
    "ambassador",
    "senator",
    "governor",
    "mayor",
    "commander",
    "general",
    "leader",
    "head",
    "chairman",
    "chairwoman",
    "founder",
    "executive",
    "of",
    "for",
    "foreign",
    "ministry",
    "prime",
    "deputy",
    "security",
    "state",
    "national",
    "council",
    "police",
    "army",
    "party",
    "company",
    "agency",
    "expert",
    "lawyer",
    "attorney",
    "judge",
    "economist",
    "manager",
    "coach",
    "captain",
    "the",
];

/// The speaker as the article first names them: given name and surname, with the title in
/// front of them ("National Security Council spokeswoman Adrienne Watson").
fn full_speaker(surname: &str, article: &str) -> Option<String> {
    let words: Vec<&str> = article.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let bare = w.trim_end_matches(|c: char| !c.is_alphanumeric());
        if bare != surname || i == 0 {
            continue;
        }
        let given = words[i - 1];
        let is_name = |w: &str| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars().all(|c| c.is_alphabetic() || "'’.-".contains(c))
        };
        if !is_name(given) {
            continue;
        }
        let mut start = i - 1;
        while start > 0 && i - start < 8 {
            let prev = words[start - 1];
            if prev.ends_with(|c: char| !c.is_alphanumeric()) {
                break;
            }
            if is_name(prev) || ROLE_WORDS.contains(&prev.to_lowercase().as_str()) {
                start -= 1;
            } else {
                break;
            }
        }
        // A sentence-initial article or a trailing "of" is not part of the title.
        while start < i - 1
            && matches!(
                words[start].to_lowercase().as_str(),
                "the" | "a" | "an" | "of" | "for"
            )
        {
            start += 1;
        }
        let mut name: Vec<&str> = words[start..i].to_vec();
        name.push(bare);
        return Some(name.join(" "));
    }
    None
}

/// `sentence` with a quotation's bare-surname speaker given the name and title the article
/// first gave them; unchanged when the speaker is already named in full or the article never
/// names them more fully.
pub fn with_speaker(sentence: &str, article: &str) -> String {
    let Some(c) = BARE_SPEAKER.captures(sentence) else {
        return sentence.to_string();
    };
    let m = c.get(1).expect("group 1");
    let surname = m.as_str();
    let before = sentence[..m.start()].trim_end();
    let named_already = before.split_whitespace().last().is_some_and(|w| {
        w.chars().next().is_some_and(char::is_uppercase) && !w.ends_with(['”', '"', ','])
    });
    if named_already {
        return sentence.to_string();
    }
    match full_speaker(surname, article) {
        Some(full) if full != surname => {
            format!("{}{}{}", &sentence[..m.start()], full, &sentence[m.end()..])
        }
        _ => sentence.to_string(),
    }
}

/// `sentence` without its article's title glued before it ("Iran Denies Cyberattack: The
/// Iranian government denied…", as scrapers join a headline to the lede), the rest capitalised;
/// unchanged when it does not open with the title and a colon or dash, or when too little
/// would be left to be a statement.
pub fn without_title(sentence: &str, title: Option<&str>) -> String {
    let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) else {
        return sentence.to_string();
    };
    let Some(head) = sentence.get(..title.len()) else {
        return sentence.to_string();
    };
    if head.to_lowercase() != title.to_lowercase() {
        return sentence.to_string();
    }
    let rest = sentence[title.len()..].trim_start();
    // A separator stands apart: "Title-based firms" goes on the title's words.
    let Some(rest) = [":", "-", "–", "—", "|"]
        .iter()
        .filter_map(|sep| rest.strip_prefix(sep))
        .find(|r| r.starts_with(char::is_whitespace))
        .map(str::trim_start)
    else {
        return sentence.to_string();
    };
    if rest.split_whitespace().count() < 5 {
        return sentence.to_string();
    }
    let mut chars = rest.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => sentence.to_string(),
    }
}

/// A capitalised "The" inside a sentence, after a lower-case word: text spliced from two
/// fragments ("between The two countries").
static MID_THE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\p{Ll}[,;]?\s+)The(\s+\p{Ll})").expect("valid regex"));

/// Repairs capitals that splicing broke.
pub fn recase(sentence: &str) -> String {
    MID_THE.replace_all(sentence, "${1}the${2}").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_surname_speaker_gets_the_name_and_title_from_the_article() {
        let article = "WASHINGTON - The United States condemned the attack. National Security Council spokeswoman Adrienne Watson said the US would respond. Later she spoke again.";
        assert_eq!(
            with_speaker("“We will act,” Watson said.", article),
            "“We will act,” National Security Council spokeswoman Adrienne Watson said."
        );
        assert_eq!(
            with_speaker("“We will act,” said Watson.", article),
            "“We will act,” said National Security Council spokeswoman Adrienne Watson."
        );
        // Already named in full, or never named more fully: unchanged.
        let full = "“We will act,” Adrienne Watson said.";
        assert_eq!(with_speaker(full, article), full);
        let other = "“We will act,” Smith said.";
        assert_eq!(with_speaker(other, article), other);
    }

    #[test]
    fn a_headline_glued_to_the_lede_comes_off() {
        let title = Some("Port Strike Ends After Nine Days");
        assert_eq!(
            without_title(
                "Port Strike Ends After Nine Days: the dockworkers' union voted on Monday to return.",
                title
            ),
            "The dockworkers' union voted on Monday to return."
        );
        assert_eq!(
            without_title(
                "PORT STRIKE ENDS AFTER NINE DAYS - The union voted on Monday to return to work.",
                title
            ),
            "The union voted on Monday to return to work."
        );
        // Not the title, no separator, too little left, or no title: unchanged.
        for s in [
            "Port strikes end: the union voted on Monday to return to work.",
            "Port Strike Ends After Nine Days and the union voted on Monday to return.",
            "Port Strike Ends After Nine Days: union votes.",
            "Port Strike Ends After Nine Days-long talks, the union said on Monday.",
        ] {
            assert_eq!(without_title(s, title), s);
        }
        assert_eq!(
            without_title("Anything: at all here now then.", None),
            "Anything: at all here now then."
        );
    }

    #[test]
    fn a_spliced_capital_is_repaired() {
        assert_eq!(
            recase("Albania severed ties between The two countries on Wednesday."),
            "Albania severed ties between the two countries on Wednesday."
        );
        assert_eq!(recase("The talks ended."), "The talks ended.");
        assert_eq!(
            recase("He read The Times daily."),
            "He read The Times daily."
        );
    }

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
