//! Named roles: the same person given different titles ("Defence Minister John Smith" against
//! "Foreign Minister John Smith"), or the same one-holder office given to different people ("the
//! group's leader, Maryam Rajavi" against "its leader Massoud Rajavi").
//!
//! Roles are read from two shapes news uses for a first mention: a title before the name, and
//! an appositive after it ("John Smith, the company's chief executive"). A role is a known head
//! word (minister, president, chief executive…) with the portfolio words that change what it is
//! (foreign, defence, deputy) kept apart from the words that only say whose it is (Albanian, the
//! group's). People hold several roles and offices change hands, so: a person's roles conflict
//! only when neither contains the other and neither source also gives the other role; an office
//! is disputed only when it has one holder, both mentions are definite and current, the
//! sentences share a name or number besides the people, and no source mentions both people.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    different_times, is_capitalised, is_word, mentions, possessive_base, title_case, tokens,
    Context, Found, Kind, MONTHS, WEEKDAYS,
};
use crate::check::evidence::Sentence;
use crate::ingest::ArticleId;

/// How many people hold an office at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holders {
    One,
    /// One per portfolio: "Foreign Minister" names one person, "a minister" does not.
    OnePerPortfolio,
    Many,
}

struct Head {
    words: &'static [&'static str],
    canon: &'static str,
    holders: Holders,
    /// Said of people alongside their office ("party leader and prime minister"), so it
    /// never contradicts another role.
    generic: bool,
}

const fn head(
    words: &'static [&'static str],
    canon: &'static str,
    holders: Holders,
    generic: bool,
) -> Head {
    Head {
        words,
        canon,
        holders,
        generic,
    }
}

/// Longer heads first, so "prime minister" wins over "minister".
const HEADS: &[Head] = &[
    head(
        &["chief", "executive", "officer"],
        "chief executive",
        Holders::One,
        false,
    ),
    head(
        &["prime", "minister"],
        "prime minister",
        Holders::One,
        false,
    ),
    head(
        &["vice", "president"],
        "vice president",
        Holders::One,
        false,
    ),
    head(
        &["secretary", "general"],
        "secretary-general",
        Holders::One,
        false,
    ),
    head(
        &["secretary-general"],
        "secretary-general",
        Holders::One,
        false,
    ),
    head(
        &["attorney", "general"],
        "attorney general",
        Holders::One,
        false,
    ),
    head(
        &["chief", "executive"],
        "chief executive",
        Holders::One,
        false,
    ),
    head(&["chief", "justice"], "chief justice", Holders::One, false),
    head(&["ceo"], "chief executive", Holders::One, false),
    head(&["president"], "president", Holders::One, false),
    head(&["chancellor"], "chancellor", Holders::One, false),
    head(&["premier"], "premier", Holders::One, false),
    head(&["minister"], "minister", Holders::OnePerPortfolio, false),
    head(&["secretary"], "secretary", Holders::OnePerPortfolio, false),
    head(&["chairman"], "chair", Holders::One, false),
    head(&["chairwoman"], "chair", Holders::One, false),
    head(&["chairperson"], "chair", Holders::One, false),
    head(&["governor"], "governor", Holders::One, false),
    head(&["mayor"], "mayor", Holders::One, false),
    head(&["speaker"], "speaker", Holders::One, false),
    head(&["king"], "king", Holders::One, false),
    head(&["queen"], "queen", Holders::One, false),
    head(&["pope"], "pope", Holders::One, false),
    head(&["leader"], "leader", Holders::One, true),
    head(&["founder"], "founder", Holders::Many, true),
    head(&["co-founder"], "founder", Holders::Many, true),
    head(&["spokesman"], "spokesperson", Holders::Many, false),
    head(&["spokeswoman"], "spokesperson", Holders::Many, false),
    head(&["spokesperson"], "spokesperson", Holders::Many, false),
    head(&["director"], "director", Holders::Many, false),
    head(&["senator"], "senator", Holders::Many, false),
    head(&["congressman"], "congressman", Holders::Many, false),
    head(&["congresswoman"], "congressman", Holders::Many, false),
    head(&["ambassador"], "ambassador", Holders::Many, false),
    head(&["envoy"], "envoy", Holders::Many, false),
    head(&["general"], "general", Holders::Many, false),
    head(&["colonel"], "colonel", Holders::Many, false),
    head(&["admiral"], "admiral", Holders::Many, false),
    head(&["commander"], "commander", Holders::Many, false),
    head(&["judge"], "judge", Holders::Many, false),
    head(&["prosecutor"], "prosecutor", Holders::Many, false),
    head(&["chief"], "chief", Holders::Many, false),
    head(&["coach"], "coach", Holders::Many, false),
    head(&["lawmaker"], "lawmaker", Holders::Many, false),
    head(&["commissioner"], "commissioner", Holders::Many, false),
];

/// Modifiers that change which office it is.
#[rustfmt::skip]
const PORTFOLIO: &[&str] = &[
    "foreign", "defence", "defense", "finance", "interior", "home", "health", "justice",
    "education", "economy", "economic", "trade", "energy", "environment", "agriculture",
    "transport", "labour", "labor", "culture", "tourism", "industry", "commerce", "state",
    "security", "intelligence", "treasury", "affairs", "deputy", "vice", "assistant", "junior",
    "operating", "financial", "technology", "communications", "information", "development",
    "immigration", "housing", "digital", "war", "navy", "army", "police", "military", "supreme",
    "executive", "managing", "press", "opposition",
];

/// Portfolio words that make a different, lesser office of the same name.
const RANKS: &[&str] = &["deputy", "vice", "assistant", "junior"];

/// Lower-case modifiers that only say whose office it is.
#[rustfmt::skip]
const OWNER: &[&str] = &[
    "ministry", "department", "government", "party", "group", "company", "firm", "club", "team",
    "national", "senior", "top", "council", "committee", "agency", "federal", "regional", "city",
    "district", "county", "provincial", "union", "bank", "organisation", "organization",
];

/// Modifiers that put the office in the past or future of the person.
#[rustfmt::skip]
const NOT_NOW: &[&str] = &[
    "former", "ex", "late", "then", "incoming", "outgoing", "acting", "interim", "designate",
    "elect", "retired", "previous", "past", "future", "ousted", "deposed", "founding", "onetime",
    "one-time",
];

/// Titles that belong to the name, not to an office.
#[rustfmt::skip]
const HONORIFICS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Sir", "Dame", "Lord", "Lady", "Ayatollah", "Sheikh", "Rev",
    "Reverend",
];

/// Capitalised words that cannot be part of a person's name.
#[rustfmt::skip]
const NOT_NAME: &[&str] = &[
    "the", "a", "an", "he", "she", "it", "they", "we", "i", "this", "that", "his", "her", "their",
    "its", "our", "on", "in", "at", "and", "but", "for", "council", "committee", "commission",
    "ministry", "department", "agency", "office", "company", "corporation", "group", "party",
    "parliament", "congress", "senate", "assembly", "court", "police", "army", "bank", "union",
    "administration", "government", "house", "state", "states", "republic", "affairs", "security",
    "foreign", "defence", "defense", "minister", "president", "secretary", "general", "office",
    "force", "forces", "university", "times", "post", "news", "international", "national",
];

/// Name particles written in lower case inside a name ("Osama bin Laden").
#[rustfmt::skip]
const PARTICLES: &[&str] = &[
    "bin", "ibn", "al", "de", "van", "von", "da", "di", "del", "la", "le",
];

const SAYS: &[&str] = &["said", "says", "told", "added", "wrote", "tweeted"];

/// Capitalised only because they start a sentence.
#[rustfmt::skip]
const STARTERS: &[&str] = &[
    "the", "a", "an", "but", "and", "in", "on", "at", "after", "before", "when", "while", "as",
    "then", "meanwhile", "earlier", "later", "also", "since", "during", "according", "it", "he",
    "she", "they", "we", "this", "that", "former",
];

/// Words that may follow a one-word name; any other lower-case word makes it an adjective.
#[rustfmt::skip]
const AFTER_LONE_NAME: &[&str] = &[
    "said", "says", "told", "added", "and", "or", "who", "whose", "has", "had", "have", "was", "is",
    "will", "would", "could", "on", "in", "at", "to", "of", "for", "with", "as", "also", "later",
    "last", "after", "before", "during", "met", "called",
];

fn lone_name_ends(next: Option<&str>) -> bool {
    match next {
        None => true,
        Some(t) if !is_word(t) || is_capitalised(t) => true,
        Some(t) => AFTER_LONE_NAME.contains(&t) || (t.ends_with("ed") && t.len() > 4),
    }
}

#[derive(Debug, Clone)]
struct Person {
    first: Option<String>,
    surname: String,
    display: String,
}

#[derive(Debug, Clone)]
struct Role {
    /// The role as written, without determiners and possessors ("Foreign Minister").
    display: String,
    /// The head word(s), lower case ("chairwoman", "prime minister").
    head: &'static [&'static str],
    holders: Holders,
    generic: bool,
    /// The head and the modifiers that change which office it is.
    core: BTreeSet<String>,
    /// Whose office it is, lower case ("albanian", "nato").
    owner: BTreeSet<String>,
    /// "its leader" (Some("")), "the group's leader" (Some("group")): whose it is was said
    /// just before.
    anaphor: Option<String>,
    /// "a spokesman": one of several.
    indefinite: bool,
    not_now: bool,
}

impl Role {
    /// Same office, one possibly more specific ("spokesman" and "foreign ministry
    /// spokesman"), or one of them a role people hold beside any office. A deputy is not the
    /// office itself, however specific.
    fn fits(&self, other: &Role) -> bool {
        let rank = |r: &Role| -> BTreeSet<String> {
            r.core
                .iter()
                .filter(|w| RANKS.contains(&w.as_str()))
                .cloned()
                .collect()
        };
        self.generic
            || other.generic
            || (rank(self) == rank(other)
                && (self.core.is_subset(&other.core) || other.core.is_subset(&self.core)))
    }

    fn sole_holder(&self) -> bool {
        !self.indefinite
            && !self.not_now
            && match self.holders {
                Holders::One => true,
                Holders::OnePerPortfolio => self.core.len() > 1,
                Holders::Many => false,
            }
    }
}

#[derive(Debug, Clone)]
struct Mention {
    person: Person,
    role: Role,
}

pub(super) fn find(cx: &Context, found: &mut Found) {
    let sents = cx.sentences;
    let mentions_of: Vec<Vec<Mention>> = sents.iter().map(|s| role_mentions(&s.text)).collect();
    let mut by_source: BTreeMap<ArticleId, Vec<&Mention>> = BTreeMap::new();
    for (s, ms) in sents.iter().zip(&mentions_of) {
        by_source.entry(s.source).or_default().extend(ms);
    }
    let first_names: BTreeMap<ArticleId, BTreeMap<String, BTreeSet<String>>> = cx
        .texts
        .iter()
        .map(|(id, text)| (*id, full_names(text)))
        .collect();
    let resolve = |p: &Person, source: ArticleId| -> Option<Option<String>> {
        // A bare surname stands for the one person of that surname the article names in full;
        // if it names two, we cannot tell which (None).
        if p.first.is_some() {
            return Some(p.first.clone());
        }
        let firsts = first_names.get(&source).and_then(|m| m.get(&p.surname));
        match firsts.map(BTreeSet::len) {
            None | Some(0) => Some(None),
            Some(1) => Some(firsts.and_then(|f| f.iter().next().cloned())),
            Some(_) => None,
        }
    };
    for &(i, j, _) in &cx.pairs {
        let (a, b) = (&sents[i], &sents[j]);
        if mentions_of[i].is_empty()
            || mentions_of[j].is_empty()
            || different_times(&a.text, &b.text)
        {
            continue;
        }
        for ma in &mentions_of[i] {
            for mb in &mentions_of[j] {
                let (Some(fa), Some(fb)) =
                    (resolve(&ma.person, a.source), resolve(&mb.person, b.source))
                else {
                    continue;
                };
                let same_surname = ma.person.surname == mb.person.surname;
                let same_person = same_surname && (fa.is_none() || fb.is_none() || fa == fb);
                if same_person {
                    if role_conflict(ma, a, mb, b, &by_source) {
                        let name = if ma.person.first.is_some() {
                            &ma.person.display
                        } else {
                            &mb.person.display
                        };
                        found.add(
                            Kind::Role,
                            &format!("role of {name}"),
                            [(&ma.role.display, a), (&mb.role.display, b)],
                        );
                    }
                } else if (!same_surname || (fa.is_some() && fb.is_some()))
                    && holder_conflict(cx, ma, a, mb, b)
                {
                    found.add(
                        Kind::Role,
                        &format!("who is the {}", ma.role.display),
                        [(&ma.person.display, a), (&mb.person.display, b)],
                    );
                }
            }
        }
    }
}

/// One person, two roles that cannot both be theirs as far as the two sources let on.
fn role_conflict(
    ma: &Mention,
    a: &Sentence,
    mb: &Mention,
    b: &Sentence,
    by_source: &BTreeMap<ArticleId, Vec<&Mention>>,
) -> bool {
    let (ra, rb) = (&ma.role, &mb.role);
    if ra.not_now || rb.not_now || ra.fits(rb) {
        return false;
    }
    // A sentence that also uses the other title ("chairman and chief executive") is listing
    // roles, whatever our reading of it attached to the name.
    let uses = |text: &str, r: &Role, own: &Role| {
        let text = text.to_lowercase();
        text.contains(&r.display.to_lowercase())
            || (r.head != own.head && text.contains(&r.head.join(" ")))
    };
    if uses(&a.text, rb, ra) || uses(&b.text, ra, rb) {
        return false;
    }
    let also_says = |source: ArticleId, person: &Person, role: &Role| {
        by_source.get(&source).is_some_and(|ms| {
            ms.iter()
                .any(|m| m.person.surname == person.surname && m.role.fits(role))
        })
    };
    !also_says(a.source, &ma.person, rb) && !also_says(b.source, &mb.person, ra)
}

/// One office, two people, where the office has one holder at a time.
fn holder_conflict(cx: &Context, ma: &Mention, a: &Sentence, mb: &Mention, b: &Sentence) -> bool {
    let (ra, rb) = (&ma.role, &mb.role);
    // A bare title ("Foreign Minister X") is some country's or company's, and a story may
    // quote two of them; only an office both pin to one owner, by name or by "its", is one
    // office.
    let one_owner = ra.owner == rb.owner
        && (!ra.owner.is_empty()
            || match (&ra.anaphor, &rb.anaphor) {
                // "its leader" may be the party's; the party's leader is not the union's.
                (Some(x), Some(y)) => x.is_empty() || y.is_empty() || x == y,
                _ => false,
            });
    if !ra.sole_holder() || !rb.sole_holder() || ra.core != rb.core || !one_owner {
        return false;
    }
    let (pa, pb) = (&ma.person, &mb.person);
    let names_a: BTreeSet<String> = pa.display.split(' ').map(str::to_lowercase).collect();
    let names_b: BTreeSet<String> = pb.display.split(' ').map(str::to_lowercase).collect();
    // Whose office it is has to be pinned down by a name both sentences use (a weekday or a
    // number pins down nothing).
    let shared = a.terms.intersection(&b.terms).any(|t| {
        !names_a.contains(t)
            && !names_b.contains(t)
            && !ra.core.contains(t)
            && t.chars().all(char::is_alphabetic)
            && !WEEKDAYS.contains(&t.as_str())
            && !MONTHS.contains(&t.as_str())
    });
    if !shared {
        return false;
    }
    let spelling = |p: &Person| {
        if pa.surname == pb.surname {
            p.display.clone()
        } else {
            p.surname.clone()
        }
    };
    let (sa, sb) = (spelling(pa), spelling(pb));
    // An article that names both people knows they are two (a predecessor, a rival), so the
    // two sources may simply be describing different moments.
    !cx.texts
        .values()
        .any(|t| mentions(t, &sa) && mentions(t, &sb))
}

/// Surname → first names, from every run of two or more capitalised words in a text.
fn full_names(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines() {
        let toks = tokens(line);
        let mut k = 0;
        while k < toks.len() {
            if let Some((p, len)) = name_at(&toks, k) {
                if let Some(first) = p.first {
                    out.entry(p.surname).or_default().insert(first);
                }
                k += len.max(1);
            } else {
                k += 1;
            }
        }
    }
    out
}

/// Every (person, role) a sentence states.
fn role_mentions(text: &str) -> Vec<Mention> {
    let toks = tokens(text);
    if title_case(&toks) {
        return Vec::new();
    }
    let lower: Vec<String> = toks.iter().map(|t| t.to_lowercase()).collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < toks.len() {
        let Some(h) = head_at(&lower, k) else {
            k += 1;
            continue;
        };
        let end = k + h.words.len();
        if let Some(m) = title_before_name(&toks, &lower, k, end, h) {
            out.push(m);
        }
        k = end;
    }
    for (c, t) in toks.iter().enumerate() {
        if *t == "," {
            if let Some(m) = appositive(&toks, &lower, c) {
                out.push(m);
            }
        }
    }
    out
}

fn head_at(lower: &[String], k: usize) -> Option<&'static Head> {
    HEADS.iter().find(|h| {
        h.words.len() + k <= lower.len() && h.words.iter().zip(&lower[k..]).all(|(w, t)| w == t)
    })
}

/// "Albanian Prime Minister Edi Rama", "the group's leader, Maryam Rajavi".
fn title_before_name(
    toks: &[&str],
    lower: &[String],
    k: usize,
    end: usize,
    h: &'static Head,
) -> Option<Mention> {
    let (end, extra) = of_portfolio(toks, end);
    let comma = toks.get(end) == Some(&",");
    let at = if comma { end + 1 } else { end };
    let (person, len) = name_at(toks, at)?;
    if person.first.is_none() && !lone_name_ends(lower.get(at + len).map(String::as_str)) {
        // "the general Iranian public": a capitalised adjective, not a name.
        return None;
    }
    if comma {
        // "…the president, Smith said": a comma before a lone name or a speaker is a new
        // clause, not an appositive.
        if person.first.is_none()
            || lower
                .get(at + len)
                .is_some_and(|t| SAYS.contains(&t.as_str()))
        {
            return None;
        }
    }
    let mods = modifiers_before(toks, lower, k);
    if comma && mods.governed {
        // "the spokesperson of the Foreign Minister, X": X may be either.
        return None;
    }
    let mut role = build_role(toks, k, end, h, mods);
    role.core.extend(extra);
    Some(Mention { person, role })
}

/// "John Smith, the company's chief executive", "Adrienne Watson, a spokeswoman for …".
fn appositive(toks: &[&str], lower: &[String], comma: usize) -> Option<Mention> {
    // The name: the longest capitalised run that ends right at the comma, two words or more.
    let mut start = comma;
    while start > 0
        && is_word(toks[start - 1])
        && (is_capitalised(toks[start - 1]) || PARTICLES.contains(&toks[start - 1]))
    {
        start -= 1;
    }
    let (start, person) = (start..comma.saturating_sub(1)).find_map(|s| {
        name_at(toks, s)
            .filter(|(p, len)| s + len == comma && p.first.is_some())
            .map(|(p, _)| (s, p))
    })?;
    if start > 0 && ["in", "at", "near", "of"].contains(&lower[start - 1].as_str()) {
        return None;
    }
    // The role: a determiner, up to four modifiers, a head.
    let mut p = comma + 1;
    let det = lower.get(p)?;
    let mut indefinite = false;
    let mut anaphor = None;
    let mut owner = BTreeSet::new();
    match det.as_str() {
        "the" => p += 1,
        "its" | "his" | "her" | "their" => {
            anaphor = Some(String::new());
            p += 1;
        }
        "a" | "an" => {
            indefinite = true;
            p += 1;
        }
        _ => {
            let base = possessive_base(toks[p])?;
            if is_capitalised(base) {
                owner.insert(base.to_lowercase());
            } else {
                anaphor = Some(base.to_string());
            }
            p += 1;
        }
    }
    let first_mod = p;
    let mut core = BTreeSet::new();
    let mut not_now = false;
    while p < toks.len() && p - first_mod <= 4 {
        if let Some(h) = head_at(lower, p) {
            let end = p + h.words.len();
            let (end, extra) = of_portfolio(toks, end);
            let mods = Modifiers {
                core,
                owner,
                not_now,
                indefinite,
                anaphor,
                ..Default::default()
            };
            let mut role = build_role(toks, first_mod, end, h, mods);
            role.core.extend(extra);
            return Some(Mention { person, role });
        }
        let t = lower[p].as_str();
        if let Some(base) = possessive_base(toks[p]) {
            if is_capitalised(base) {
                owner.insert(base.to_lowercase());
            } else {
                anaphor = Some(base.to_string());
            }
        } else if NOT_NOW.contains(&t) {
            not_now = true;
        } else if PORTFOLIO.contains(&t) {
            core.insert(portfolio_word(t));
        } else if OWNER.contains(&t) || (is_capitalised(toks[p]) && is_word(toks[p])) {
            owner.insert(t.to_string());
        } else {
            return None;
        }
        p += 1;
    }
    None
}

/// "Minister of Foreign Affairs", "Secretary of State": the portfolio words after the head.
fn of_portfolio(toks: &[&str], end: usize) -> (usize, Vec<String>) {
    if toks.get(end) != Some(&"of") {
        return (end, Vec::new());
    }
    let mut p = end + 1;
    let mut words = Vec::new();
    while let Some(t) = toks.get(p) {
        let l = t.to_lowercase();
        if is_capitalised(t) && PORTFOLIO.contains(&l.as_str()) {
            words.push(portfolio_word(&l));
            p += 1;
        } else if l == "and" && !words.is_empty() {
            p += 1;
        } else {
            break;
        }
    }
    if words.is_empty() {
        (end, words)
    } else {
        (p, words)
    }
}

fn portfolio_word(l: &str) -> String {
    match l {
        "defense" => "defence".into(),
        "labor" => "labour".into(),
        other => other.into(),
    }
}

#[derive(Default)]
struct Modifiers {
    core: BTreeSet<String>,
    owner: BTreeSet<String>,
    /// Index of the first modifier word.
    start: Option<usize>,
    anaphor: Option<String>,
    indefinite: bool,
    not_now: bool,
    /// The role is the object of "of", "to" or "for": someone else's role, maybe.
    governed: bool,
}

/// Walks back from the head over the words that modify it.
fn modifiers_before(toks: &[&str], lower: &[String], k: usize) -> Modifiers {
    let mut m = Modifiers::default();
    let mut p = k;
    while p > 0 && k - p < 6 {
        let t = toks[p - 1];
        let l = lower[p - 1].as_str();
        if !is_word(t) {
            break;
        }
        if let Some(base) = possessive_base(t) {
            if is_capitalised(base) {
                m.owner.insert(base.to_lowercase());
            } else {
                m.anaphor = Some(base.to_string());
            }
            break;
        }
        if ["the", "its", "his", "her", "their", "our"].contains(&l) {
            m.anaphor = (l != "the").then(String::new);
            m.governed = p > 1 && ["of", "to", "for"].contains(&lower[p - 2].as_str());
            break;
        }
        if ["a", "an", "another", "one"].contains(&l) {
            m.indefinite = true;
            break;
        }
        if NOT_NOW.contains(&l) {
            m.not_now = true;
        } else if PORTFOLIO.contains(&l) {
            m.core.insert(portfolio_word(l));
            m.start = Some(p - 1);
        } else if OWNER.contains(&l)
            || (is_capitalised(t)
                && !MONTHS.contains(&l)
                && !WEEKDAYS.contains(&l)
                && !STARTERS.contains(&l))
        {
            m.owner.insert(l.to_string());
            m.start = Some(p - 1);
        } else {
            m.governed = ["of", "to", "for"].contains(&l);
            break;
        }
        p -= 1;
    }
    m
}

fn build_role(toks: &[&str], first: usize, end: usize, h: &'static Head, m: Modifiers) -> Role {
    let from = m.start.unwrap_or(first).min(first);
    let display: Vec<&str> = toks[from..end]
        .iter()
        .copied()
        .filter(|t| {
            let l = t.to_lowercase();
            possessive_base(t).is_none() && !NOT_NOW.contains(&l.as_str())
        })
        .collect();
    let mut core = m.core;
    core.insert(h.canon.to_string());
    Role {
        display: display.join(" "),
        head: h.words,
        holders: h.holders,
        generic: h.generic,
        core,
        owner: m.owner,
        anaphor: m.anaphor,
        indefinite: m.indefinite,
        not_now: m.not_now,
    }
}

/// A person's name starting at `p` (after any honorific): up to four capitalised words, with
/// the number of tokens it took.
fn name_at(toks: &[&str], p: usize) -> Option<(Person, usize)> {
    let mut q = p;
    while toks
        .get(q)
        .is_some_and(|t| HONORIFICS.contains(&t.trim_end_matches('.')))
    {
        q += 1;
    }
    let mut words: Vec<&str> = Vec::new();
    while let Some(&t) = toks.get(q) {
        let bare = possessive_base(t).unwrap_or(t);
        let l = bare.to_lowercase();
        let ok = is_word(t)
            && is_capitalised(t)
            && bare.chars().count() >= 2
            && bare.chars().all(|c| c.is_alphabetic() || "'’-".contains(c))
            && !NOT_NAME.contains(&l.as_str())
            && !MONTHS.contains(&l.as_str())
            && !WEEKDAYS.contains(&l.as_str())
            && !super::places::is_region(bare)
            && head_at(std::slice::from_ref(&l), 0).is_none();
        if ok && words.len() < 4 {
            words.push(bare);
            q += 1;
            if bare != t {
                break;
            }
        } else if PARTICLES.contains(&t)
            && !words.is_empty()
            && toks.get(q + 1).is_some_and(|n| is_capitalised(n))
        {
            words.push(t);
            q += 1;
        } else {
            break;
        }
    }
    let surname = (*words.last()?).to_string();
    if PARTICLES.contains(&surname.as_str()) {
        return None;
    }
    let first = (words.len() >= 2).then(|| words[0].to_string());
    Some((
        Person {
            first,
            surname,
            display: words.join(" "),
        },
        q - p,
    ))
}
