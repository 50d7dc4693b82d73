//! Which paragraphs of a scraped page are page furniture rather than article.
//!
//! Every rule is about the shape of a line or about phrases any news site might use, never
//! about a particular outlet. In order:
//! 1. junk lines go: lines with no letters or digits (`×`, `* * *`), bare URLs, lists of
//!    links joined by `|` or `•`, lines that are only a date or time, bylines (with the
//!    outlet line after them), and short lines matching generic boilerplate phrases (share
//!    buttons, "Advertisement", ad-blocker notices, cookie banners, newsletter sign-ups,
//!    navigation, copyright, image credits, "this story was reformatted/originally
//!    published" notes); an "Image caption" label goes with the caption after it. A line
//!    opening with a quotation mark is reported speech and never judged by phrase;
//! 2. a section heading such as "Related Articles" or "More News", once the article has
//!    begun, goes with the run of headline-like lines after it, up to the next real
//!    paragraph;
//! 3. a paragraph repeating an earlier one goes (a standfirst repeated in the body);
//! 4. a caption goes: a sentence-like line without closing punctuation between two real
//!    paragraphs;
//! 5. section labels ("World", "Politics") above the headline go;
//! 6. runs of three or more headline-like lines in the second half go (related stories
//!    without a heading), and so does a trailing run of them (related stories, tags).
//!
//! "Headline-like" means at most 20 words with no closing punctuation; a "real
//! paragraph" is a sentence of 12 or more words, or any line of 30 or more.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::clean::{ends_sentence, is_list_item, is_title_case, word_count};

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in regex {pattern:?} is invalid: {e}"))
}

fn regex_set(patterns: &[&str]) -> RegexSet {
    RegexSet::new(patterns).unwrap_or_else(|e| panic!("built-in boilerplate regex is invalid: {e}"))
}

/// Boilerplate lines are short; a paragraph longer than this is never judged by phrase.
const MAX_JUNK_WORDS: usize = 40;
/// Cookie banners run longer than other notices.
const MAX_COOKIE_WORDS: usize = 90;
const MAX_BYLINE_WORDS: usize = 14;
const MAX_DATE_WORDS: usize = 12;
/// A headline-like line: no closing punctuation and at most this long.
const MAX_HEADLINE_WORDS: usize = 20;
const MAX_HEADLINE_CHARS: usize = 160;
/// A real paragraph: a sentence at least this long, or any line at least the second length.
const MIN_PARAGRAPH_WORDS: usize = 12;
const LONG_PARAGRAPH_WORDS: usize = 30;
/// Captions are sentence-like, so longer than a subheading, and shorter than a paragraph.
const MIN_CAPTION_WORDS: usize = 6;
const MAX_CAPTION_WORDS: usize = 40;
/// Below this, a caption needs a date in it to be told from a subheading.
const PLAIN_CAPTION_WORDS: usize = 10;
const MAX_KICKER_WORDS: usize = 2;
const MIN_LINK_LIST_ITEMS: usize = 3;
const MAX_LINK_ITEM_WORDS: usize = 12;

/// Whole-line phrases (matched against the lower-cased line stripped of surrounding
/// punctuation and symbols).
static JUNK_LINES: LazyLock<RegexSet> = LazyLock::new(|| {
    regex_set(&[
        // Share and social buttons.
        r"^(share|shares|share this|share (this|the) (article|story|page|post|video|link)|share (on|via|to|with) .{1,30}|tweet( this)?|e-?mail( this)?( (article|story|page|link))?|print( this)?( (article|story|page))?|copy( the)?( article)? link|link copied|copied|save( (article|story|for later|to read later))?|saved|bookmark|gift (this )?article|\d+ shares?|facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|telegram|flipboard|messenger|instagram|threads|bluesky)$",
        r"^((share|facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|telegram|flipboard|messenger|email|e-mail|print|copy link|comments?)[\s,|/•·]*){2,}$",
        // Comments and reading aids.
        r"^(comments?|\d+ comments?|comments? \(?\d+|view comments|show comments|leave a (comment|reply)|join the (conversation|discussion)|listen( to (this )?(article|story))?( .{0,30})?|\d+:\d{2}|\d+ min(ute)?s? (read|listen)|reading time:? .{0,20}|text size|font size|a ?a|a\+|a-|(show|hide|toggle) caption|enlarge (this )?image|view image in full ?screen|(open|view) (image )?(in )?gallery|this article is more than \d+ (years?|months?) old)$",
        // Advertising.
        r"^advertisement\s*[-:|•·–—]\s*.{0,40}$",
        r"^(advertisement )?continue reading the main story$",
        // Broadcasters' player and picture furniture, flattened into the text by scrapers.
        r"^media playback is (not supported|unsupported) on (this|your) device$",
        r"^image (copyright|caption|source)\b.{0,300}$",
        r"^((hide|show) transcript ?){1,2}$",
        r"^(advertisement|advertisements|advert|ad|ads|sponsored( content| post| links?| stories)?|paid (content|post|partner content)|promoted( content| stories)?|partner content|story continues below( this)?( advertisement| ad)?|article continues (below|after (this )?(advertisement|ad))|continue reading (below|the main story)|scroll to continue( with content)?|skip (ad|advert(isement)?)|remove ads|ad feedback|report (this )?ad)$",
        // Navigation and page chrome.
        r"^(skip to (the )?(main )?(content|navigation|search|footer)|skip navigation|jump to( main)? content|main menu|menu|navigation|toggle navigation|search|home|homepage|close|open|back to (top|home|homepage)|go to top|top|next( (article|story|page|post))?|previous( (article|story|page|post))?|prev|show more|load more|see more|view (all|more)|expand|collapse|loading|please wait|watch( (live|now|video|more))?|play( video)?|video|photos?|gallery|listen now|download (the|our) app|get the app|open in app|contact us|about us|report (an error|a typo|a correction)( or (an error|typo|correction))?|submit a (tip|correction)|corrections?|print edition|subscribers? only|premium|exclusive|breaking( news)?|live( updates)?|opinion|analysis|explainer|advertise( with us)?|terms( of (use|service))?|terms (and|&) conditions|privacy|accessibility|site ?map|rss|careers|newsletters?|podcasts?|more|close (this )?(dialog|window|modal)|dismiss|got it|continue|published|updated|posted|accept( all)?( cookies)?|reject all|i agree|agree and close|manage (settings|options)|continue reading|read (the )?full (article|story)|reuse this content|(purchase |acquire )?licensing rights|reprints?( (&|and) permissions)?|our standards.{0,80})$",
        r"^(follow us( on .{1,40})?|follow .{1,40} on (twitter|x|facebook|instagram|linkedin|threads|bluesky|tiktok|youtube|google news)|like us on facebook|(click|tap) here( .{0,60})?|(read|see|watch|listen) (more|also|next|the (full|original) (story|article))\s*:.{0,160}|(related|also read|more|recommended|watch|listen)\s*:.{0,160})$",
        // Sign-up walls and newsletters.
        r"^(sign ?up( now| here| today| for free)?|subscribe( now| today| here| for free)?|log ?in|sign ?in|log ?out|register( now| for free)?|create (a |your )?(free )?account|already (a subscriber|have an account|registered).{0,40}|not a subscriber.{0,40}|enter your e-?mail( address)?.{0,40}|your e-?mail( address)?|e-?mail address|thank(s| you) for (signing up|subscribing|registering).{0,80}|you('re| are)( now)? (subscribed|signed up|registered).{0,80}|by (signing up|subscribing|clicking|registering).{0,200}|this (site|form) is protected by recaptcha.{0,200}|invalid e-?mail.{0,40})$",
        r"^(sign ?up|subscribe|register)\b.{0,100}\b(newsletters?|inbox|e-?mails?|alerts|briefings?|digest|updates)\b.{0,60}$",
        r"^(get|receive|join|want)\b.{0,100}\b(newsletters?|inbox|briefings?|digest)\b.{0,60}$",
        r"^(our|the|a) .{0,40}newsletter\b.{0,80}\b(sign ?up|subscribe|inbox|delivered|every (morning|day|week|weekday))\b",
        r"\b(sign ?up|subscribe|free|daily|weekly)\b.{0,40}\bnewsletters?\b",
        r"^support (our|independent|quality|local) (journalism|content|reporting|newsroom).{0,120}$",
        // Privacy links and notices: the bare link text, or the notice after a colon.
        r"^(privacy (policy|notice|settings|preferences|center|centre)|cookie (settings|preferences|policy|consent|notice)|your privacy (choices|settings|options|rights)|do not sell( or share)? my personal information|manage (cookies|preferences|consent))(\s*:.{0,300})?$",
        // Copyright and legal lines.
        r"^(©|\(c\)\s*\d{4}|copyright\s*(©|\(c\))?\s*\d{4})",
        r"all rights reserved",
        r"^(tags|topics|filed under|categories|keywords)\s*:.{0,200}$",
    ])
});

/// Phrases that mark a line as furniture wherever they occur in it.
static JUNK_PHRASES: LazyLock<RegexSet> = LazyLock::new(|| {
    regex_set(&[
        // Ad-blocker walls.
        r"\bad[ -]?block(er|ers|ing)?\b",
        r"^please (disable|turn off|deactivate|pause|whitelist|allowlist)\b",
        // Paywall prompts.
        r"\b(subscribe|sign ?up|log ?in|register|subscriber|member|account|free)\b.{0,40}\bto (continue|keep) reading\b",
        // Notes from sites that republish or machine-edit other outlets' stories.
        r"\b(reformatted|rewritten|repackaged|republished|condensed|summari[sz]ed|adapted|curated) (this|the) (story|article|piece)\b",
        r"^this (story|article|piece|content) (was|has been|is) (originally |first )?(published|posted|appeared|produced|reformatted|rewritten|republished)\b",
        r"^(a version of this (story|article) (first |originally )?(appeared|was published)|originally (published|appeared|posted) (on|in|at|by))\b",
        r"\bread the original (article|story|post)\b",
        r"\bthis (article|story|content|summary|piece) (was|has been|is) (partly |partially |fully )?(generated|written|produced|created|assisted|summari[sz]ed) (with|by|using) (the help of )?(ai|artificial intelligence|an ai tool|automated tools)\b",
        r"^catch up with .{1,80} on today'?s\b",
        r"\b(reformatted|condensed|edited|rewritten|adapted|summari[sz]ed|shortened)\b.{0,40}\bfor (clarity|brevity|length|speed|readability)\b",
        r"\bcontributed (reporting )?to this (report|story|article)\b",
        // Social widgets' link texts.
        r"\bopens in (a )?new (window|tab)\b",
        r"^click to (share|email|print|tweet)\b",
        // Photo and video credits.
        r"^(photo|photos|image|images|picture|photograph|video|illustration|graphic|file photo|credit|credits|photo credit|image credit|image source|picture credit|caption|top image|main image|header image|featured image|lead image)s?\s*:",
        r"\b(photo|photograph|picture|image|photo credit|image credit|credit)s?\s*:\s*\p{L}",
        r"^(image|video|media|picture) (source|caption|credit)s?\b",
        r"\b(getty images|ap photo|via getty|shutterstock|istock(photo)?|alamy( stock photo)?|epa-efe|(photo|image|picture)s? (courtesy( of)?|credit))\b",
    ])
});

/// Furniture phrases that also occur in reporting ("a Reuters/Ipsos poll", "research by
/// the university"), so they only count on a line that is not a sentence.
static FURNITURE_PHRASES: LazyLock<RegexSet> = LazyLock::new(|| {
    regex_set(&[
        r"\b(reuters|afp|epa|anadolu|xinhua|pa)\s*/\s*\p{L}+",
        r"\b(photo|image|picture)s? by\b",
        r"^(reporting|additional reporting|writing|editing|edited|compiled|produced|research|graphics|design) by\b",
        r"\bnewsletters?\b",
    ])
});

/// Cookie banners and consent prompts, at the start of a line.
static COOKIE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(we (and our (partners|vendors) )?use cookies|we value your privacy|we care about your privacy|this (web)?site uses cookies|by (continuing to (use|browse)|using|browsing) (this|our) (web)?site|(accept|reject|allow|manage|customi[sz]e) (all )?(cookies|preferences|choices)\b)",
    )
});

/// Headings that introduce a list of other stories rather than more of this one.
static SECTION_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(related( (articles?|stories|news|content|coverage|posts|topics|reading|links|videos?|items))?|more (news|stories|headlines|articles|videos|coverage|from .{1,40}|on (this|that|these) (story|stories|topics?)|to (read|explore)|in .{1,30}|top stories)|explore more( on (this|these) (story|stories|topics?))?|read (more|next|also)|see (also|more)|also (read|see|on .{1,30})|recommended( (for you|stories|articles|reading|videos))?|most (read|popular|viewed|shared|commented)( (stories|articles|news|now|today))?|trending( (now|stories|news|topics|today))?|top (stories|news|headlines)|latest (news|stories|headlines|articles|updates)|(you|we think you) (may|might|will|could) (also )?(like|enjoy|be interested in)|don'?t miss( this)?|further reading|what to read next|popular( (now|today|stories|articles))?|editor'?s? (picks?|choice)|in case you missed it|elsewhere on .{1,30}|around the web|from (our|the) (network|partners)|tags?|topics?|filed under|keywords|categories|paid (content|partner content)|sponsored( content| stories| links)?|promoted( content| stories)?)$",
    )
});

/// A caption's label on a line of its own, as some sites render it.
static CAPTION_LABEL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^((image|photo|picture|video|media) )?caption$"));

/// "By Jane Doe", "From: Jane Doe", "By JANE DOE, Agency": a line of capitalised names.
static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:(?i:by|written by|words by|posted by|reported by|authors?|reporter)\s*:?|(?i:from)\s*:)\s*(\p{Lu}[\p{L}'’.-]*)(?:\s+(?:\p{Lu}[\p{L}'’.-]*|de|da|del|der|van|von|al|bin|el|la|le|and|&))*(?:\s*(?:,|\||—|–|-|/|\bfor\b|\bin\b)\s*[^.!?]{0,60})?$",
    )
});

/// Capitalised words that start sentences and headlines, not names.
const NOT_A_NAME: &[&str] = &[
    "The", "A", "An", "This", "That", "These", "Those", "Its", "It", "Their", "His", "Her", "Our",
    "Your", "Some", "All", "Any", "What", "How", "Why", "When",
];

static BARE_URL: LazyLock<Regex> = LazyLock::new(|| regex(r"^(https?://|www\.)\S+$"));

static LINK_SEPARATOR: LazyLock<Regex> = LazyLock::new(|| regex(r"\s*(?:[|•·»›]|\s/\s|\s>\s)\s*"));

#[rustfmt::skip]
const MONTHS: &[&str] = &[
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
];
#[rustfmt::skip]
const WEEKDAYS: &[&str] = &[
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue",
    "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
];
#[rustfmt::skip]
const TIME_WORDS: &[&str] = &[
    "am", "pm", "a", "m", "p", "at", "on", "ago", "hours", "hour", "hrs", "hr", "h", "minutes",
    "minute", "mins", "min", "days", "day", "updated", "published", "posted", "last", "first",
    "modified", "edited", "created", "date", "gmt", "utc", "et", "edt", "est", "pt", "pdt",
    "pst", "ct", "cdt", "cst", "mt", "mdt", "mst", "bst", "cet", "cest", "eet", "eest", "ist",
    "jst", "msk", "aest", "aedt", "sast", "hkt", "sgt", "wib", "z",
];

/// A line, prepared for matching.
struct Probe<'a> {
    line: &'a str,
    /// Lower case, Markdown markers and surrounding punctuation gone, ’ as '.
    key: String,
    words: usize,
}

impl<'a> Probe<'a> {
    fn new(line: &'a str) -> Self {
        let unmarked = strip_markers(line);
        let key = unmarked
            .to_lowercase()
            .replace('’', "'")
            .trim_matches(|c: char| !c.is_alphanumeric() && c != '©')
            .to_string();
        Self {
            line,
            key,
            words: word_count(line),
        }
    }
}

fn strip_markers(line: &str) -> String {
    let line = line.trim_start_matches(['#', '>', ' ']);
    let line = line
        .strip_prefix(['-', '*', '+', '•'])
        .filter(|rest| rest.starts_with(' '))
        .unwrap_or(line);
    line.replace("**", "").replace("__", "").trim().to_string()
}

/// Removes boilerplate paragraphs; see the module docs for the rules.
pub(crate) fn remove(paragraphs: Vec<String>) -> Vec<String> {
    let paragraphs = drop_junk(paragraphs);
    let paragraphs = drop_repeats(paragraphs);
    let paragraphs = drop_captions(paragraphs);
    let paragraphs = drop_leading_kickers(paragraphs);
    let paragraphs = drop_late_headline_runs(paragraphs);
    drop_trailing_headlines(paragraphs)
}

/// What a dropped line says about the line after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Nothing,
    /// After an "Image caption" label comes the caption itself.
    Caption,
    /// After a byline may come the writer's outlet ("BBC News", "Reuters").
    Affiliation,
}

fn drop_junk(paragraphs: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(paragraphs.len());
    let mut article_started = false;
    let mut in_related = false;
    let mut expect = Expect::Nothing;
    for paragraph in paragraphs {
        let probe = Probe::new(&paragraph);
        let expected = std::mem::replace(&mut expect, Expect::Nothing);
        if expected == Expect::Caption && probe.words <= MAX_CAPTION_WORDS {
            continue;
        }
        if expected == Expect::Affiliation && is_affiliation(&paragraph) {
            continue;
        }
        if CAPTION_LABEL.is_match(&probe.key) {
            expect = Expect::Caption;
            continue;
        }
        if is_byline(&probe) {
            expect = Expect::Affiliation;
            continue;
        }
        if is_section_marker(&probe) {
            // Before the article starts such a word is navigation, and what follows it
            // is still the headline.
            in_related = article_started;
            continue;
        }
        if in_related {
            if !is_real_paragraph(&paragraph) {
                continue;
            }
            in_related = false;
        }
        if is_junk(&probe) {
            continue;
        }
        article_started |= is_real_paragraph(&paragraph);
        out.push(paragraph);
    }
    out
}

fn is_affiliation(line: &str) -> bool {
    word_count(line) <= MAX_KICKER_WORDS + 1 && is_title_case(line) && !ends_sentence(line)
}

fn is_section_marker(probe: &Probe) -> bool {
    probe.words <= 6 && SECTION_MARKER.is_match(&probe.key)
}

fn is_junk(probe: &Probe) -> bool {
    // Structural checks first: a strip of related links can be as long as a paragraph.
    if probe.key.is_empty() || BARE_URL.is_match(probe.line.trim()) || is_link_list(probe.line) {
        return true;
    }
    // Page furniture never opens with a quotation mark; reported speech often does
    // ("Please turn off your phones," the judge said).
    if starts_with_quote(probe.line) {
        return false;
    }
    if probe.words <= MAX_COOKIE_WORDS && COOKIE.is_match(&probe.key) {
        return true;
    }
    if probe.words > MAX_JUNK_WORDS {
        return false;
    }
    JUNK_LINES.is_match(&probe.key)
        || JUNK_PHRASES.is_match(&probe.key)
        || (!ends_sentence(probe.line) && FURNITURE_PHRASES.is_match(&probe.key))
        || is_byline(probe)
        || is_date_line(probe)
}

fn starts_with_quote(line: &str) -> bool {
    strip_markers(line).starts_with(['"', '“', '‘', '«', '„', '\''])
}

fn is_byline(probe: &Probe) -> bool {
    if probe.words > MAX_BYLINE_WORDS || ends_sentence(probe.line) {
        return false;
    }
    let unmarked = strip_markers(probe.line);
    BYLINE
        .captures(&unmarked)
        .and_then(|caps| caps.get(1))
        .is_some_and(|first_name| !NOT_A_NAME.contains(&first_name.as_str()))
}

/// A line that is only a date and/or time ("Sept. 8, 2022 10:30 AM ET", "3 hours ago").
fn is_date_line(probe: &Probe) -> bool {
    let has_number = probe.key.chars().any(|c| c.is_ascii_digit());
    if probe.words > MAX_DATE_WORDS || !(has_number || probe.key.ends_with("ago")) {
        return false;
    }
    date_tokens(&probe.key).all(is_date_token)
}

fn date_tokens(key: &str) -> impl Iterator<Item = &str> {
    key.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
}

fn is_date_token(token: &str) -> bool {
    let digits_then_suffix = token.trim_start_matches(|c: char| c.is_ascii_digit());
    let numeric = digits_then_suffix.len() < token.len()
        && matches!(
            digits_then_suffix,
            "" | "st" | "nd" | "rd" | "th" | "am" | "pm" | "h" | "z"
        );
    numeric || MONTHS.contains(&token) || WEEKDAYS.contains(&token) || TIME_WORDS.contains(&token)
}

fn has_date(line: &str) -> bool {
    let key = line.to_lowercase();
    let found = date_tokens(&key).any(|t| {
        MONTHS.contains(&t)
            || WEEKDAYS.contains(&t)
            || (t.len() == 4 && t.starts_with(['1', '2']) && t.chars().all(|c| c.is_ascii_digit()))
    });
    found
}

/// Several short items joined by `|`, `•`, `»` and the like: menus, breadcrumbs, tag
/// clouds and related-story strips.
fn is_link_list(line: &str) -> bool {
    let items: Vec<&str> = LINK_SEPARATOR
        .split(line)
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect();
    items.len() >= MIN_LINK_LIST_ITEMS
        && items
            .iter()
            .all(|item| word_count(item) <= MAX_LINK_ITEM_WORDS)
        && items.iter().filter(|item| ends_sentence(item)).count() <= 1
}

/// Prose: a sentence of some length, or any long line that is not a strip of links.
fn is_real_paragraph(line: &str) -> bool {
    let words = word_count(line);
    let prose =
        words >= LONG_PARAGRAPH_WORDS || (words >= MIN_PARAGRAPH_WORDS && ends_sentence(line));
    prose && !is_link_list(line)
}

/// Short, with no closing punctuation: a headline, a label or a link's text.
fn is_headline_like(line: &str) -> bool {
    let words = word_count(line);
    (1..=MAX_HEADLINE_WORDS).contains(&words)
        && line.chars().count() <= MAX_HEADLINE_CHARS
        && !ends_sentence(line)
        && !line.trim_end().ends_with(':')
        && !is_list_item(line)
}

fn drop_repeats(paragraphs: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    paragraphs
        .into_iter()
        .filter(|p| {
            let key: String = p
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect();
            key.is_empty() || seen.insert(key)
        })
        .collect()
}

fn drop_captions(paragraphs: Vec<String>) -> Vec<String> {
    let keep: Vec<bool> = (0..paragraphs.len())
        .map(|i| !is_caption_at(&paragraphs, i))
        .collect();
    paragraphs
        .into_iter()
        .zip(keep)
        .filter_map(|(p, keep)| keep.then_some(p))
        .collect()
}

fn is_caption_at(paragraphs: &[String], i: usize) -> bool {
    let (Some(before), Some(line), Some(after)) = (
        i.checked_sub(1).and_then(|b| paragraphs.get(b)),
        paragraphs.get(i),
        paragraphs.get(i + 1),
    ) else {
        return false;
    };
    is_caption(line) && is_real_paragraph(before) && is_real_paragraph(after)
}

fn is_caption(line: &str) -> bool {
    let words = word_count(line);
    let ends_bare = line
        .trim_end()
        .chars()
        .last()
        .is_some_and(|c| c.is_alphanumeric() || c == ')');
    (MIN_CAPTION_WORDS..=MAX_CAPTION_WORDS).contains(&words)
        && ends_bare
        && !is_title_case(line)
        && !is_list_item(line)
        && !line.starts_with('#')
        && (words >= PLAIN_CAPTION_WORDS || has_date(line))
}

/// Drops one- and two-word labels (site sections, menus) that sit above the headline,
/// that is above the first longer headline-like line before the article starts.
fn drop_leading_kickers(paragraphs: Vec<String>) -> Vec<String> {
    let header_end = paragraphs
        .iter()
        .position(|p| is_real_paragraph(p))
        .unwrap_or(0);
    let headline = paragraphs[..header_end]
        .iter()
        .position(|p| is_headline_like(p) && !is_kicker(p));
    let Some(headline) = headline else {
        return paragraphs;
    };
    paragraphs
        .into_iter()
        .enumerate()
        .filter(|(i, p)| *i >= headline || !is_kicker(p))
        .map(|(_, p)| p)
        .collect()
}

fn is_kicker(line: &str) -> bool {
    word_count(line) <= MAX_KICKER_WORDS && is_headline_like(line)
}

/// Related-story strips without a heading: this many headline-like lines in a row in the
/// second half of the page. Subheadings never come three in a row.
const MIN_HEADLINE_RUN: usize = 3;

fn drop_late_headline_runs(paragraphs: Vec<String>) -> Vec<String> {
    let mut keep = vec![true; paragraphs.len()];
    let mut i = (paragraphs.len() / 2).max(1);
    while i < paragraphs.len() {
        let run = paragraphs[i..]
            .iter()
            .take_while(|p| is_headline_like(p))
            .count();
        if run >= MIN_HEADLINE_RUN {
            keep[i..i + run].fill(false);
        }
        i += run.max(1);
    }
    paragraphs
        .into_iter()
        .zip(keep)
        .filter_map(|(p, keep)| keep.then_some(p))
        .collect()
}

fn drop_trailing_headlines(mut paragraphs: Vec<String>) -> Vec<String> {
    let mut end = paragraphs.len();
    // The first paragraph is the headline or the article itself: never part of the tail.
    while end > 1 && is_headline_like(&paragraphs[end - 1]) {
        end -= 1;
    }
    let run = &paragraphs[end..];
    let drop = match run {
        [] => false,
        [single] => is_title_case(single) || word_count(single) <= MAX_KICKER_WORDS + 1,
        _ => true,
    };
    if drop {
        paragraphs.truncate(end);
    }
    paragraphs
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: &str = "Albania cut diplomatic ties with Iran on Wednesday over a cyberattack that shut down government services in July.";
    const P2: &str = "The United States said it would take further action to hold Iran accountable for the attack on its ally.";

    fn run(lines: &[&str]) -> Vec<String> {
        remove(lines.iter().map(|l| l.to_string()).collect())
    }

    fn assert_all_junk(lines: &[&str]) {
        for line in lines {
            assert!(is_junk(&Probe::new(line)), "should be junk: {line:?}");
        }
    }

    fn assert_none_junk(lines: &[&str]) {
        for line in lines {
            assert!(!is_junk(&Probe::new(line)), "should be kept: {line:?}");
        }
    }

    #[test]
    fn share_buttons_and_symbols() {
        assert_all_junk(&[
            "SHARE THIS —",
            "Share on Facebook",
            "Facebook Twitter Email",
            "×",
            "* * *",
            "Copy link",
            "Tweet",
        ]);
    }

    #[test]
    fn ads_and_adblock_notices() {
        assert_all_junk(&[
            "Advertisement",
            "ADVERTISEMENT",
            "Story continues below advertisement",
            "AdBlock Detected!",
            "Please disable it to support our content.",
            "We noticed you are using an ad blocker.",
        ]);
    }

    #[test]
    fn cookie_banners() {
        assert_all_junk(&[
            "We use cookies to improve your experience on our site. By continuing to browse you agree to our use of cookies.",
            "Accept all cookies",
            "This website uses cookies to ensure you get the best experience.",
        ]);
    }

    #[test]
    fn newsletter_signups() {
        assert_all_junk(&[
            "Sign up for our daily newsletter",
            "Get the latest news delivered straight to your inbox.",
            "Subscribe now",
            "Enter your email address",
            "Thank you for signing up!",
        ]);
    }

    #[test]
    fn bylines_and_dates() {
        assert_all_junk(&[
            "From: Alice Taylor",
            "By John Smith",
            "By JOHN SMITH and Jane Doe, Associated Press",
            "Published 3 hours ago",
            "Updated: Sept. 8, 2022, 10:30 AM ET",
            "Thursday, September 8, 2022",
        ]);
        assert_none_junk(&[
            "By the Numbers: how the attack unfolded",
            "By Wednesday evening the embassy was empty",
            "From Tehran, the view was very different.",
        ]);
    }

    #[test]
    fn notes_credits_and_navigation() {
        assert_all_junk(&[
            "Catch up with Example News on today's hot topic: Breaking News. Our editorial team reformatted this story for clarity and speed.",
            "This article was originally published on The Example. Read the original article.",
            "Photo: Jane Doe/Reuters",
            "Smoke rises over the embassy (Photo by John Doe/Getty Images)",
            "Reporting by Jane Doe; Editing by John Smith",
            "Skip to main content",
            "Home | World | Europe | Politics",
            "https://example.com/story/123",
            "© 2022 Example Media. All rights reserved.",
            "Read more: Iran denies role in cyberattack",
            "Fallen trees on Main Street. Photo: Jimmy Olsen",
            "Image source, Getty Images",
            "after newsletter promotion",
            "Subscribe to continue reading",
            "Click to share on X (Opens in new window)",
            "Tags: Iran, Albania, cyberattack",
            "Listen to this article · 5 min",
            "Privacy Notice: Newsletters may contain info about charities and online ads.",
            "Sign up for email updates",
            "Our free daily newsletter delivers the top stories every morning.",
            "Last modified on Fri 10 May 2024 15.00 BST",
            "Reuters/Florion Goga",
            "Copyright 2024 The Associated Press. All Rights Reserved.",
            "By: Jane Doe",
            "ADVERTISEMENT - SCROLL TO CONTINUE",
            "Advertisement Continue reading the main story",
            "Media playback is not supported on this device",
            "Image copyright Reuters Image caption Migrants are crossing into Croatia",
            "Hide Transcript Show Transcript",
            "This interview has been edited for length and clarity.",
            "Accept all",
        ]);
    }

    #[test]
    fn real_sentences_are_kept() {
        assert_none_junk(&[
            P1,
            P2,
            "Updated figures show that inflation rose to 3% in May.",
            "“Please turn off your phones,” the judge said.",
            "Research by the university found the attack used known malware.",
            "A Reuters/Ipsos poll found 40% of Americans approve.",
            "The report, originally published in 2019, was revised.",
            "The images were generated by AI, experts said.",
            "Copyright lawsuits against AI firms have multiplied this year.",
            "Privacy policy experts say the rule is flawed.",
            "The company's newsletter reported that sales fell.",
            "He urged people to keep reading the labels.",
            "Get this: officials said the emails were never deleted.",
            "Share prices fell sharply on Monday.",
            "More than half of voters backed the plan.",
            "Iran’s foreign ministry rejected the accusations, calling them baseless.",
            "The ministry said it would share its findings with allies.",
            "Albanian police searched the embassy on Thursday.",
            "More than 3,000 members of the group live in Albania.",
        ]);
    }

    #[test]
    fn related_headline_runs_after_a_marker_go() {
        let out = run(&[
            P1,
            "Related Articles",
            "Iran denies hacking claims",
            "NATO ally condemns attack",
            P2,
        ]);
        assert_eq!(out, [P1, P2]);
    }

    #[test]
    fn a_marker_before_the_article_does_not_eat_the_headline() {
        let out = run(&["Trending", "Albania Expels Iranian Diplomats", P1]);
        assert_eq!(out, ["Albania Expels Iranian Diplomats", P1]);
    }

    #[test]
    fn trailing_headline_runs_go() {
        let out = run(&[
            P1,
            P2,
            "Iran denies hacking claims",
            "NATO ally condemns attack on Albania",
        ]);
        assert_eq!(out, [P1, P2]);
        let out = run(&[P1, P2, "More News"]);
        assert_eq!(out, [P1, P2]);
    }

    #[test]
    fn late_headline_runs_go_even_before_a_footer_paragraph() {
        let footer = "Example News is an independent newsroom covering the region since 2001, funded by readers.";
        let out = run(&[
            P1,
            P2,
            P1.replace("Albania", "Kosovo").as_str(),
            "Iran denies hacking claims",
            "NATO ally condemns attack",
            "Cyber experts weigh in",
            footer,
        ]);
        assert_eq!(out.len(), 4);
        assert_eq!(out[3], footer);
        let early = run(&[
            "Headline Words Here",
            "Kicker one two",
            "Another line here",
            P1,
            P2,
            P2.replace("ally", "friend").as_str(),
        ]);
        assert_eq!(
            early.len(),
            6,
            "runs in the first half are the header: {early:?}"
        );
    }

    #[test]
    fn a_final_sentence_and_final_list_survive() {
        let out = run(&[P1, P2, "- first point", "- second point"]);
        assert_eq!(out.len(), 4);
        let out = run(&[P1, "Will Albania be next?"]);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn repeated_paragraphs_go() {
        let out = run(&[
            "Headline Here",
            "A standfirst sentence.",
            P1,
            "A standfirst sentence.",
            P2,
        ]);
        assert_eq!(out, ["Headline Here", "A standfirst sentence.", P1, P2]);
    }

    #[test]
    fn captions_between_paragraphs_go_but_subheadings_stay() {
        let caption = "Personnel leave the embassy compound on Thursday, Sept. 8, 2022";
        assert_eq!(run(&[P1, caption, P2]), [P1, P2]);
        let subhead = "What happens next";
        assert_eq!(run(&[P1, subhead, P2]), [P1, subhead, P2]);
    }

    #[test]
    fn caption_labels_take_their_caption_and_bylines_their_outlet() {
        let out = run(&[
            "Image caption,",
            "Albania's prime minister said Iran hired four groups",
            "By Paul Kirby",
            "Example News",
            P1,
        ]);
        assert_eq!(out, [P1]);
    }

    #[test]
    fn section_labels_before_the_headline_go() {
        let out = run(&["World", "Albania cuts ties with Iran", P1]);
        assert_eq!(out, ["Albania cuts ties with Iran", P1]);
        let menu = [
            "World",
            "Europe",
            "US news",
            "Climate crisis",
            "Middle East",
            "Ukraine war",
        ];
        let mut lines = menu.to_vec();
        lines.extend([
            "Fighting intensifies near Kharkiv",
            "Officials say thousands evacuated",
            P1,
            "Short Label",
            P2,
        ]);
        let out = run(&lines);
        assert_eq!(
            out,
            [
                "Fighting intensifies near Kharkiv",
                "Officials say thousands evacuated",
                P1,
                "Short Label",
                P2
            ]
        );
    }

    #[test]
    fn a_short_title_is_not_a_label() {
        let out = run(&["Iran Denies Attack", P1, P2]);
        assert_eq!(out, ["Iran Denies Attack", P1, P2]);
    }
}
