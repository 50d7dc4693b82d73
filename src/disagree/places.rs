//! Places: the same event put in different places ("the explosion in Kabul" against "the blast
//! in Kandahar").
//!
//! Only a capitalised name right after a locative preposition counts, and two of them conflict
//! only when they are the same sort of place (two countries, two towns, two venues: a town is
//! not wrong for lying inside a country), neither source names the other's place anywhere (an
//! article that mentions both knows of both), neither source puts the same event in a second
//! place itself (then it tells of two events), and the sentences share what happened there and
//! a name or number besides (or are very close in meaning). Without a gazetteer that is the line between a contradiction and
//! two ways of narrowing down one location; it misses some, on purpose.

use std::collections::{BTreeMap, BTreeSet};

use crate::check::evidence::Sentence;
use crate::ingest::ArticleId;

use super::{
    different_times, is_all_caps, is_capitalised, is_word, mentions, possessive_base, title_case,
    tokens, Context, Found, Kind, MONTHS, WEEKDAYS,
};

/// Sentences on the same topic that share no name or number besides the places must be this
/// close in meaning before their places are compared: without a shared name, "what happened"
/// is all that ties them to one event.
const CLOSE: f32 = 0.7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Continents, seas, blocs: they contain too much to contradict anything.
    Wide,
    Country,
    /// States, provinces and the nations of the UK.
    Province,
    /// Anything else with a name: towns, cities, districts.
    Locality,
    /// A named building or site: an airport, a stadium, a camp.
    Venue,
}

#[derive(Debug, Clone)]
struct Place {
    /// As written, with a ", Country" tail if there was one.
    name: String,
    /// Spellings that name this place, to check whether a text mentions it.
    spellings: Vec<String>,
    /// Lower-case words of the name, aliases folded, for containment ("Paris" in "Paris,
    /// France").
    words: BTreeSet<String>,
    class: Class,
    /// What happened there: (folded, as written) content words around the preposition.
    anchors: Vec<(String, String)>,
    /// Every content word of the sentence, folded: what may have happened there.
    context: BTreeSet<String>,
}

const LOCATIVE: &[&str] = &["in", "at", "near", "outside", "inside"];

/// Lower-case words allowed straight after a place name. Any other lower-case word (a common
/// noun) means the capitalised words were an adjective ("in Iranian waters").
#[rustfmt::skip]
const FOLLOW_OK: &[&str] = &[
    "and", "or", "but", "on", "in", "at", "near", "outside", "inside", "to", "for", "from", "with",
    "by", "as", "that", "which", "where", "when", "while", "after", "before", "during", "since",
    "last", "this", "earlier", "later", "overnight", "early", "late", "yesterday", "today",
    "tonight", "was", "were", "is", "are", "has", "have", "had", "will", "would", "could", "can",
    "said", "says", "province", "city", "state", "county", "district", "region", "area", "village",
    "town", "neighbourhood", "neighborhood", "suburb", "borough", "prefecture", "governorate",
    "municipality", "township",
];

/// Kinds of place that follow a place's name ("Kandahar province") or introduce it ("the city
/// of Vancouver").
#[rustfmt::skip]
const PLACE_NOUNS: &[&str] = &[
    "province", "city", "state", "county", "district", "region", "area", "village", "town",
    "neighbourhood", "neighborhood", "suburb", "borough", "prefecture", "governorate",
    "municipality", "township", "capital", "island", "port",
];

/// Capitalised words that are not places, or that make the phrase an organisation, an event,
/// a language or a person.
#[rustfmt::skip]
const NOT_PLACE: &[&str] = &[
    "the", "a", "an", "this", "that", "these", "those", "his", "her", "their", "its", "our", "my",
    "your", "council", "committee", "commission", "ministry", "department", "agency", "office",
    "bureau", "company", "corporation", "corp", "inc", "ltd", "llc", "group", "party", "parliament",
    "congress", "senate", "assembly", "court", "police", "army", "forces", "force", "navy", "bank",
    "fund", "association", "union", "organisation", "organization", "foundation", "network",
    "times", "post", "news", "journal", "guardian", "telegraph", "reuters", "press", "television",
    "tv", "radio", "media", "daily", "treasury", "cabinet", "government", "administration",
    "service", "services", "war", "revolution", "operation", "olympics", "games", "cup", "election",
    "elections", "summit", "conference", "convention", "festival", "championship", "league",
    "english", "french", "arabic", "farsi", "persian", "spanish", "russian", "chinese", "mandarin",
    "hebrew", "german", "italian", "portuguese", "japanese", "korean", "turkish", "urdu", "hindi",
    "god", "islam", "christianity", "twitter", "facebook", "instagram", "youtube", "tiktok",
    "telegram", "google", "internet", "christmas", "easter", "ramadan", "holocaust", "mr", "mrs",
    "ms", "dr", "president", "minister", "secretary", "senator", "governor", "mayor", "king",
    "queen", "prince", "general", "judge", "north", "south", "east", "west", "northern", "southern",
    "eastern", "western", "central",
];

/// Words that make a place a site inside a town rather than the town.
#[rustfmt::skip]
const VENUE: &[&str] = &[
    "airport", "stadium", "arena", "hotel", "hall", "house", "palace", "square", "street", "avenue",
    "road", "park", "hospital", "church", "cathedral", "mosque", "temple", "synagogue", "embassy",
    "consulate", "station", "port", "harbour", "harbor", "bridge", "building", "tower", "camp",
    "base", "prison", "jail", "centre", "center", "university", "school", "college", "museum",
    "theatre", "theater", "club", "restaurant", "mall", "market", "courthouse", "plaza", "field",
    "beach", "mountain", "mount", "lake", "river",
];

/// Words that say nothing about which event a place belongs to: function words, saying, being
/// and living, and the people and bodies that are in places rather than happen there.
#[rustfmt::skip]
const NOT_ANCHOR: &[&str] = &[
    "the", "and", "but", "for", "with", "from", "that", "which", "who", "whom", "whose", "this",
    "these", "those", "there", "here", "its", "his", "her", "their", "them", "they", "was", "were",
    "are", "been", "being", "has", "have", "had", "will", "would", "could", "should", "may",
    "might", "can", "not", "also", "said", "says", "say", "told", "tells", "added", "according",
    "stated", "reported", "reports", "announced", "wrote", "tweeted", "spoke", "speaking", "quoted",
    "live", "lives", "living", "lived", "based", "located", "people", "members", "member",
    "officials", "official", "residents", "authorities", "police", "government", "forces", "troops",
    "staff", "citizens", "country", "city", "capital", "area", "region", "state", "time", "year",
    "years", "day", "days", "week", "weeks", "month", "months", "now", "currently", "still", "just",
    "only", "all", "some", "many", "more", "most", "other", "another", "one", "two", "three",
    "first", "last", "new", "after", "before", "during", "since", "while", "when", "where", "into",
    "over", "under", "about", "than", "then", "such", "very", "well", "out", "off", "held", "took",
    "take", "place", "came", "come", "went", "made", "make", "did", "does", "get", "got", "set",
    "home", "house", "office", "embassy", "headquarters", "based", "man", "woman", "men", "women",
    "family", "families", "group",
    "least", "next", "later", "earlier", "previous", "recent", "latest", "local", "several",
];

/// Event words that news writes several ways; each folds to its first word.
#[rustfmt::skip]
const SAME_EVENT: &[&[&str]] = &[
    &[
        "explosion", "explosions", "blast", "blasts", "bombing", "bombings", "bomb", "bombs",
        "exploded", "detonation", "blew", "bomber", "bombers",
    ],
    &["attack", "attacks", "attacked", "assault", "raid", "raids", "ambush"],
    &["talks", "meeting", "meetings", "met", "meet", "summit", "negotiations", "conference"],
    &["crash", "crashed", "collision", "collided", "accident"],
    &["fire", "fires", "blaze", "wildfire"],
    &["shooting", "shootings", "gunfire", "shootout", "gunman", "gunmen"],
    &[
        "protest", "protests", "protesters", "protestors", "demonstration", "demonstrations",
        "demonstrators", "rally", "rallies", "march",
    ],
    &["killing", "killed", "died", "dead", "death", "deaths", "killings"],
    &["arrest", "arrested", "arrests", "detained", "detention", "captured"],
    &["earthquake", "quake", "tremor"],
    &["flood", "floods", "flooding", "flooded"],
    &["trial", "trials", "hearing", "hearings"],
    &["funeral", "funerals", "burial", "buried", "memorial"],
];

pub(super) fn find(cx: &Context, found: &mut Found) {
    let sents = cx.sentences;
    let places: Vec<Vec<Place>> = sents.iter().map(|s| places(&s.text)).collect();
    let mut by_source: BTreeMap<ArticleId, Vec<&Place>> = BTreeMap::new();
    for (s, ps) in sents.iter().zip(&places) {
        by_source.entry(s.source).or_default().extend(ps);
    }
    for &(i, j, cos) in &cx.pairs {
        if places[i].is_empty() || places[j].is_empty() {
            continue;
        }
        let (a, b) = (&sents[i], &sents[j]);
        if different_times(&a.text, &b.text) {
            continue;
        }
        let place_words: BTreeSet<&String> = places[i]
            .iter()
            .chain(&places[j])
            .flat_map(|p| &p.words)
            .collect();
        let shares_more = a
            .terms
            .intersection(&b.terms)
            .any(|t| !place_words.contains(t));
        if !shares_more && cos < CLOSE {
            continue;
        }
        for pa in &places[i] {
            for pb in &places[j] {
                if !comparable(cx, pa, a, pb, b) {
                    continue;
                }
                // A source that puts the event in two places itself is telling of two
                // events (a first signing and a second, two rounds of talks): which of its
                // places the other source contradicts cannot be told.
                let clear = |source: ArticleId, p: &Place, key: &str| {
                    !by_source[&source]
                        .iter()
                        .any(|q| q.context.contains(key) && !same_place(p, q))
                };
                let shared = pa.anchors.iter().filter(|(k, _)| {
                    pb.anchors.iter().any(|(k2, _)| k2 == k)
                        && clear(a.source, pa, k)
                        && clear(b.source, pb, k)
                });
                // Several shared words: name the event by the most specific one (an explosion
                // rather than the killing it caused).
                let rank = |k: &str| {
                    SAME_EVENT
                        .iter()
                        .position(|g| g[0] == k)
                        .unwrap_or(SAME_EVENT.len())
                };
                if let Some((key, word)) = shared.min_by_key(|(k, _)| rank(k)) {
                    found.add(
                        Kind::Place,
                        &about(key, word),
                        [(pa.name.as_str(), a), (pb.name.as_str(), b)],
                    );
                }
            }
        }
    }
}

/// One place contains the other, or they are one place ("Paris" and "Paris, France").
fn same_place(p: &Place, q: &Place) -> bool {
    p.words.is_subset(&q.words) || q.words.is_subset(&p.words)
}

/// Whether `pa` in `a` and `pb` in `b` could contradict each other at all: places of one sort
/// that are not one inside the other, each unknown to the other's source.
fn comparable(cx: &Context, pa: &Place, a: &Sentence, pb: &Place, b: &Sentence) -> bool {
    if pa.class != pb.class || pa.class == Class::Wide || same_place(pa, pb) {
        return false;
    }
    let names = |text: &str, p: &Place| p.spellings.iter().any(|s| mentions(text, s));
    !names(cx.text_of(a.source), pb) && !names(cx.text_of(b.source), pa)
}

fn about(key: &str, word: &str) -> String {
    if SAME_EVENT.iter().any(|g| g[0] == key) {
        format!("place of the {key}")
    } else if word.ends_with("ed") {
        format!("where {word}")
    } else {
        format!("place of the {word}")
    }
}

#[cfg(test)]
pub(super) fn places_in(text: &str) -> Vec<String> {
    places(text).into_iter().map(|p| p.name).collect()
}

/// The places a sentence locates something in.
fn places(text: &str) -> Vec<Place> {
    let toks = tokens(text);
    if title_case(&toks) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        if !LOCATIVE.contains(t) {
            continue;
        }
        let mut p = k + 1;
        if *t == "outside" && toks.get(p) == Some(&"of") {
            p += 1;
        }
        let the = toks.get(p) == Some(&"the");
        if the {
            p += 1;
        }
        let Some(mut main) = capitalised_run(&toks, p) else {
            continue;
        };
        let mut end = p + main.len();
        let noun = toks.get(end).is_some_and(|t| PLACE_NOUNS.contains(t));
        if noun && toks.get(end + 1) == Some(&"of") {
            // "in the Canadian city of Vancouver": the place is after "of".
            let Some(named) = capitalised_run(&toks, end + 2) else {
                continue;
            };
            end += 2 + named.len();
            main = named;
        } else if noun && the {
            // "in the Iranian capital": an adjective, not a name.
            continue;
        }
        let mut name_words = main.clone();
        let main_name = main.join(" ");
        let class = class_of(&main_name, &main);
        // "Paris, France": a bigger place after a comma narrows the place down, it is not a
        // second place ("Iraq, Syria and Lebanon" is a list).
        if toks.get(end) == Some(&",") {
            if let Some(tail) = capitalised_run(&toks, end + 1) {
                let tail_class = class_of(&tail.join(" "), &tail);
                if matches!(tail_class, Class::Country | Class::Province)
                    && size(tail_class) > size(class)
                {
                    end += 1 + tail.len();
                    name_words.push(",");
                    name_words.extend(tail);
                }
            }
        }
        if !plausible(&main) || !follows_ok(toks.get(end).copied()) {
            continue;
        }
        if *t == "at" && class != Class::Venue {
            // People are looked, shouted and aimed "at" as often as places are.
            continue;
        }
        let mut spellings = vec![main_name.clone()];
        let mut words = BTreeSet::new();
        for w in &name_words {
            if is_word(w) {
                words.insert(fold_alias(w).to_lowercase());
            }
        }
        if let Some(group) = alias_group(&main_name) {
            spellings.extend(group.iter().map(|s| s.to_string()));
            words.insert(group[0].to_lowercase());
        }
        let name = name_words.iter().fold(String::new(), |mut acc, w| {
            if !acc.is_empty() && *w != "," {
                acc.push(' ');
            }
            acc.push_str(w);
            acc
        });
        out.push(Place {
            name,
            spellings,
            words,
            class,
            anchors: anchors(&toks, k, end),
            context: BTreeSet::new(),
        });
    }
    let context: BTreeSet<String> = toks
        .iter()
        .filter(|t| t.chars().all(char::is_alphabetic) && t.len() > 2)
        .filter_map(|t| anchor(t))
        .map(|(k, _)| k)
        .collect();
    for p in &mut out {
        p.context.clone_from(&context);
    }
    if let [only] = out.as_mut_slice() {
        // With one place in the sentence, whatever event it names happened there, however
        // far from the preposition it is written ("talks between … were held in Qatar").
        for t in &toks {
            let lower = t.to_lowercase();
            if let Some(e) = event_of(&lower) {
                if !only.anchors.iter().any(|(k, _)| k == e) {
                    only.anchors.push((e.to_string(), lower));
                }
            }
        }
    }
    out
}

/// The capitalised words from `p`, with the small words that join place names ("Gulf of
/// Aden", "Rio de Janeiro") when a capitalised word follows them. A run longer than four words
/// is a title or a list, not a place.
fn capitalised_run<'a>(toks: &[&'a str], mut p: usize) -> Option<Vec<&'a str>> {
    let mut out = Vec::new();
    while let Some(&t) = toks.get(p) {
        let joiner = ["of", "de", "del", "da", "upon", "el", "al"].contains(&t)
            && !out.is_empty()
            && toks.get(p + 1).is_some_and(|n| is_capitalised(n));
        if !(joiner || (is_word(t) && is_capitalised(t))) || out.len() > 4 {
            break;
        }
        out.push(t);
        p += 1;
    }
    (!out.is_empty() && out.len() <= 4).then_some(out)
}

fn plausible(words: &[&str]) -> bool {
    is_region(&words.join(" "))
        || words.iter().all(|w| {
            let lower = w.to_lowercase();
            possessive_base(w).is_none()
            && !NOT_PLACE.contains(&lower.as_str())
            && !MONTHS.contains(&lower.as_str())
            && !WEEKDAYS.contains(&lower.as_str())
            // Acronyms are mostly organisations (NATO, FBI); the countries among them are
            // listed.
            && (!is_all_caps(w) || region_class(w).is_some())
            && !w.chars().next().is_some_and(|c| c.is_ascii_digit())
        })
}

fn follows_ok(next: Option<&str>) -> bool {
    match next {
        None => true,
        Some(t) if !is_word(t) => true,
        Some(t) if t.chars().next().is_some_and(|c| c.is_ascii_digit()) => false,
        Some(t) if is_capitalised(t) => true,
        Some(t) => FOLLOW_OK.contains(&t) || (t.ends_with("ed") && t.len() > 4),
    }
}

fn size(c: Class) -> u8 {
    match c {
        Class::Venue => 0,
        Class::Locality => 1,
        Class::Province => 2,
        Class::Country => 3,
        Class::Wide => 4,
    }
}

fn class_of(name: &str, words: &[&str]) -> Class {
    if let Some(c) = region_class(name) {
        c
    } else if words
        .iter()
        .any(|w| VENUE.contains(&w.to_lowercase().as_str()))
    {
        Class::Venue
    } else {
        Class::Locality
    }
}

/// The content words a few words before the preposition and just after the place, folded.
fn anchors(toks: &[&str], prep: usize, end: usize) -> Vec<(String, String)> {
    let before = toks[..prep]
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, t)| is_word(t))
        .take(8)
        .map(|(i, t)| (i, *t));
    let after = toks[end..]
        .iter()
        .take_while(|t| is_word(t))
        .take(3)
        .enumerate()
        .map(|(i, t)| (end + i, *t));
    before
        .chain(after)
        .filter(|&(i, t)| {
            // A capital inside a sentence is a name, not what happened.
            (i == 0 || !is_capitalised(t)) && t.chars().all(char::is_alphabetic) && t.len() > 2
        })
        .filter_map(|(_, t)| anchor(t))
        .collect()
}

/// A content word folded to what it says happened, or None for words that say nothing.
fn anchor(t: &str) -> Option<(String, String)> {
    let lower = t.to_lowercase();
    if NOT_ANCHOR.contains(&lower.as_str()) {
        return None;
    }
    let key = match event_of(&lower) {
        Some(e) => e.to_string(),
        None => lower.strip_suffix('s').unwrap_or(&lower).to_string(),
    };
    Some((key, lower))
}

fn event_of(lower: &str) -> Option<&'static str> {
    SAME_EVENT.iter().find(|g| g.contains(&lower)).map(|g| g[0])
}

/// Other names of the same country.
#[rustfmt::skip]
const ALIASES: &[&[&str]] = &[
    &["United States", "US", "U.S", "USA", "United States of America", "America"],
    &["United Kingdom", "UK", "U.K", "Britain", "Great Britain"],
    &["United Arab Emirates", "UAE"],
    &["Netherlands", "Holland"],
    &["Myanmar", "Burma"],
    &["Czech Republic", "Czechia"],
    &["Ivory Coast", "Côte d'Ivoire"],
    &["Democratic Republic of Congo", "DRC", "DR Congo"],
];

fn alias_group(name: &str) -> Option<&'static [&'static str]> {
    ALIASES.iter().copied().find(|g| g.contains(&name))
}

fn fold_alias(w: &str) -> &str {
    alias_group(w).map_or(w, |g| g[0])
}

pub(super) fn is_region(name: &str) -> bool {
    region_class(name).is_some()
}

fn region_class(name: &str) -> Option<Class> {
    if alias_group(name).is_some() || COUNTRIES.contains(&name) {
        Some(Class::Country)
    } else if PROVINCES.contains(&name) {
        Some(Class::Province)
    } else if WIDE.contains(&name) {
        Some(Class::Wide)
    } else {
        None
    }
}

#[rustfmt::skip]
const WIDE: &[&str] = &[
    "Africa", "Asia", "Europe", "Americas", "North America", "South America", "Latin America",
    "Central America", "Middle East", "Near East", "Far East", "Balkans", "Caribbean", "Caucasus",
    "Gulf", "Persian Gulf", "Mediterranean", "Scandinavia", "Sahel", "Pacific", "Atlantic",
    "Arctic", "Antarctica", "Antarctic", "Oceania", "Southeast Asia", "Central Asia", "East Asia",
    "South Asia", "Eastern Europe", "Western Europe", "Horn of Africa", "Indian Ocean", "Red Sea",
    "Black Sea", "Baltic", "Baltics", "European Union", "EU", "West",
];

/// Sub-national units big enough to hold towns that could be confused with them, and places
/// named after one ("New York", "Washington") that are safer treated as the bigger unit.
#[rustfmt::skip]
const PROVINCES: &[&str] = &[
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware",
    "Florida", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana",
    "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri",
    "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York",
    "North Carolina", "North Dakota", "Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island",
    "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah", "Vermont", "Virginia",
    "Washington", "West Virginia", "Wisconsin", "Wyoming", "Ontario", "Quebec", "British Columbia",
    "Alberta", "Manitoba", "Saskatchewan", "Nova Scotia", "New Brunswick", "Newfoundland",
    "Queensland", "Victoria", "Tasmania", "New South Wales", "Western Australia", "South Australia",
    "England", "Scotland", "Wales", "Northern Ireland", "Gaza", "Gaza Strip", "West Bank", "Crimea",
    "Kurdistan", "Tibet", "Chechnya", "Hong Kong", "Puerto Rico", "Greenland", "Catalonia",
    "Bavaria", "Donbas", "Kashmir", "Punjab", "Darfur",
];

#[rustfmt::skip]
const COUNTRIES: &[&str] = &[
    "Afghanistan", "Albania", "Algeria", "Andorra", "Angola", "Antigua", "Argentina", "Armenia",
    "Australia", "Austria", "Azerbaijan", "Bahamas", "Bahrain", "Bangladesh", "Barbados", "Belarus",
    "Belgium", "Belize", "Benin", "Bhutan", "Bolivia", "Bosnia", "Bosnia and Herzegovina",
    "Botswana", "Brazil", "Brunei", "Bulgaria", "Burkina Faso", "Burundi", "Cambodia", "Cameroon",
    "Canada", "Cape Verde", "Central African Republic", "Chad", "Chile", "China", "Colombia",
    "Comoros", "Congo", "Costa Rica", "Croatia", "Cuba", "Cyprus", "Denmark", "Djibouti",
    "Dominica", "Dominican Republic", "Ecuador", "Egypt", "El Salvador", "Equatorial Guinea",
    "Eritrea", "Estonia", "Eswatini", "Ethiopia", "Fiji", "Finland", "France", "Gabon", "Gambia",
    "Georgia", "Germany", "Ghana", "Greece", "Grenada", "Guatemala", "Guinea", "Guinea-Bissau",
    "Guyana", "Haiti", "Honduras", "Hungary", "Iceland", "India", "Indonesia", "Iran", "Iraq",
    "Ireland", "Israel", "Italy", "Jamaica", "Japan", "Jordan", "Kazakhstan", "Kenya", "Kiribati",
    "Korea", "Kosovo", "Kuwait", "Kyrgyzstan", "Laos", "Latvia", "Lebanon", "Lesotho", "Liberia",
    "Libya", "Liechtenstein", "Lithuania", "Luxembourg", "Madagascar", "Malawi", "Malaysia",
    "Maldives", "Mali", "Malta", "Mauritania", "Mauritius", "Mexico", "Micronesia", "Moldova",
    "Monaco", "Mongolia", "Montenegro", "Morocco", "Mozambique", "Namibia", "Nauru", "Nepal",
    "New Zealand", "Nicaragua", "Niger", "Nigeria", "North Korea", "North Macedonia", "Macedonia",
    "Norway", "Oman", "Pakistan", "Palau", "Palestine", "Panama", "Papua New Guinea", "Paraguay",
    "Peru", "Philippines", "Poland", "Portugal", "Qatar", "Romania", "Russia", "Rwanda", "Samoa",
    "San Marino", "Saudi Arabia", "Senegal", "Serbia", "Seychelles", "Sierra Leone", "Singapore",
    "Slovakia", "Slovenia", "Somalia", "South Africa", "South Korea", "South Sudan", "Spain",
    "Sri Lanka", "Sudan", "Suriname", "Sweden", "Switzerland", "Syria", "Taiwan", "Tajikistan",
    "Tanzania", "Thailand", "Timor-Leste", "Togo", "Tonga", "Trinidad", "Tunisia", "Turkey",
    "Turkmenistan", "Tuvalu", "Uganda", "Ukraine", "Uruguay", "Uzbekistan", "Vanuatu", "Vatican",
    "Venezuela", "Vietnam", "Yemen", "Zambia", "Zimbabwe",
];
