//! JSON Lines: one article per line, the way scrapers and dataset tools dump them.
//!
//! A line is an object with `text` (or `html`, for a page or fragment that still needs
//! extracting; `text` wins when both are there) and optionally `title`, `url` and
//! `published`. Other fields are ignored, so a dump that also carries authors or tags is
//! read as it is. Blank lines are skipped; a line that is not such an object, or that has
//! no text, is rejected on its own so one bad record does not cost the rest.

use chrono::{DateTime, SecondsFormat};
use serde::Deserialize;
use serde_json::Value;

use super::{clean_text, html_fragment_document, titled, Document, IngestError, Loaded, Refused};

#[derive(Deserialize)]
struct Line {
    title: Option<String>,
    url: Option<String>,
    /// A value rather than a string: dumps often store Unix times, and a date in an
    /// unexpected shape should not cost the article.
    published: Option<Value>,
    text: Option<String>,
    html: Option<String>,
}

/// Every usable line of a JSON Lines file; an error when there is none.
pub(super) fn parse(raw: &str, shown: &str) -> Result<Loaded, IngestError> {
    let mut loaded = Loaded::default();
    let mut lines = 0usize;
    let mut first_problem: Option<(usize, String)> = None;
    for (index, line) in raw.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        lines += 1;
        let number = index + 1;
        let path = format!("{shown}#{number}");
        match article(line) {
            Ok(doc) => loaded.docs.push((path, doc)),
            Err(reason) => {
                first_problem.get_or_insert_with(|| (number, reason.clone()));
                loaded.rejected.push(Refused {
                    path,
                    error: IngestError::BadLine {
                        path: shown.to_string(),
                        line: number,
                        reason,
                    },
                });
            }
        }
    }
    if loaded.docs.is_empty() {
        let (line, reason) = first_problem.unwrap_or_default();
        return Err(IngestError::NoArticlesInFile {
            path: shown.to_string(),
            detail: format!("all {lines} lines were rejected; first: line {line}: {reason}"),
        });
    }
    Ok(loaded)
}

/// One line's article, or why it has none.
fn article(line: &str) -> Result<Document, String> {
    // serde would also read a struct from a JSON array, by position; a record is an object.
    if !line.trim_start().starts_with('{') {
        return Err(match serde_json::from_str::<Value>(line) {
            Ok(_) => "not an article: expected a JSON object".into(),
            Err(e) => json_problem(&e),
        });
    }
    let parsed: Line = serde_json::from_str(line).map_err(|e| json_problem(&e))?;
    let title = parsed.title.as_deref().and_then(one_line);
    let mut doc = match (non_blank(parsed.text), non_blank(parsed.html)) {
        (Some(text), _) => titled(clean_text(&text), title),
        (None, Some(html)) => html_fragment_document(&html, title),
        (None, None) => {
            return Err("no article text (needs a non-empty \"text\" or \"html\")".into())
        }
    };
    if doc.text.is_empty() {
        return Err("no article text left after removing boilerplate".into());
    }
    doc.url = parsed.url.as_deref().and_then(one_line);
    doc.published = parsed.published.and_then(published_of);
    Ok(doc)
}

/// serde_json's message without its "at line 1 column N": the line is already named, and
/// within one line only the column says anything.
fn json_problem(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m);
    let kind = if e.is_data() {
        "not an article"
    } else {
        "not valid JSON"
    };
    format!("{kind}: {message} (column {})", e.column())
}

fn non_blank(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn one_line(s: &str) -> Option<String> {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

fn published_of(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => normalise_date(&s),
        Value::Number(n) => Some(
            n.as_i64()
                .and_then(unix_time)
                .unwrap_or_else(|| n.to_string()),
        ),
        other => Some(other.to_string()),
    }
}

/// A Unix time in seconds, or milliseconds (JavaScript's `Date.now()`) when it is too large
/// to be seconds of any plausible publication date.
fn unix_time(n: i64) -> Option<String> {
    const MILLIS_FROM: i64 = 100_000_000_000;
    let dt = if n.abs() >= MILLIS_FROM {
        DateTime::from_timestamp_millis(n)?
    } else {
        DateTime::from_timestamp(n, 0)?
    };
    Some(dt.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// RFC 3339 for a date in RFC 3339 or RFC 2822 (the RSS format), keeping its offset; any
/// other date is kept as given, since a wrong guess at its time zone would be worse.
pub(super) fn normalise_date(given: &str) -> Option<String> {
    let given = given.trim();
    if given.is_empty() {
        return None;
    }
    let parsed =
        DateTime::parse_from_rfc3339(given).or_else(|_| DateTime::parse_from_rfc2822(given));
    Some(match parsed {
        Ok(dt) => dt.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        Err(_) => given.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_rfc3339_when_readable() {
        let cases = [
            ("2024-03-05T09:30:00+01:00", "2024-03-05T09:30:00+01:00"),
            ("2024-03-05T09:30:00.250Z", "2024-03-05T09:30:00.250Z"),
            ("Tue, 05 Mar 2024 09:30:00 GMT", "2024-03-05T09:30:00Z"),
            (
                "Tue, 05 Mar 2024 09:30:00 -0500",
                "2024-03-05T09:30:00-05:00",
            ),
            ("2024-03-05", "2024-03-05"),
            ("last Tuesday", "last Tuesday"),
        ];
        for (given, want) in cases {
            assert_eq!(normalise_date(given).as_deref(), Some(want), "{given}");
        }
        assert_eq!(normalise_date("  "), None);
    }

    #[test]
    fn unix_times_in_seconds_or_milliseconds_are_dates() {
        let secs = published_of(Value::from(1_709_631_000));
        let millis = published_of(Value::from(1_709_631_000_000i64));
        assert_eq!(secs.as_deref(), Some("2024-03-05T09:30:00Z"));
        assert_eq!(millis, secs);
        assert_eq!(published_of(Value::Null), None);
    }

    fn problem(line: &str) -> String {
        article(line).err().unwrap_or_default()
    }

    #[test]
    fn json_problems_name_the_column_not_line_one() {
        let e = problem(r#"{"text": "a" "url": 1}"#);
        assert_eq!(e, "not valid JSON: expected `,` or `}` (column 14)");
        let e = problem(r#"{"text": "Some text.", "title": 7}"#);
        assert_eq!(
            e,
            "not an article: invalid type: integer `7`, expected a string (column 33)"
        );
        assert_eq!(
            problem(r#"["a title", null, null, "text"]"#),
            "not an article: expected a JSON object"
        );
        assert!(problem("[1, ").starts_with("not valid JSON: "));
    }
}
