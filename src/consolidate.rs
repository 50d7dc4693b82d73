//! The source summaries → one briefing: a headline and key points, as the model wrote them
//! (citations still inline; [`crate::attribute`] checks them).

use minijinja::context;
use serde::Serialize;

use crate::ingest::Article;
use crate::llm::generate::{self, GenParams, Usage};
use crate::llm::model::Model;
use crate::llm::prompts::Prompts;
use crate::summarize::{render_prompt, ArticleSummary, SummarizeError};

/// The model's briefing before its citations are checked.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Draft {
    pub headline: String,
    /// Each point's text with its inline citations, as written.
    pub points: Vec<String>,
    pub raw: String,
    pub usage: Usage,
}

#[derive(Serialize)]
struct SourceCtx<'a> {
    id: String,
    title: &'a str,
    summary: &'a str,
}

/// Most sources in one drafting prompt. A bigger story is drafted in groups of this many and
/// the groups' points pooled: [`crate::attribute`] then checks every pooled point against the
/// whole story, merges restatements and keeps the best, so the reduce step is the checked one
/// and no prompt outgrows the context.
pub const GROUP: usize = 8;

pub fn draft(
    model: &mut Model,
    prompts: &Prompts,
    articles: &[Article],
    summaries: &[ArticleSummary],
    points: usize,
    params: &GenParams,
) -> Result<Draft, SummarizeError> {
    let mut out = Draft::default();
    for (group, sums) in articles.chunks(GROUP).zip(summaries.chunks(GROUP)) {
        let d = draft_group(model, prompts, group, sums, points, params)?;
        if out.headline.is_empty() {
            out.headline = d.headline;
        }
        out.points.extend(d.points);
        if !out.raw.is_empty() {
            out.raw.push_str("\n\n");
        }
        out.raw.push_str(&d.raw);
        out.usage.merge(&d.usage);
    }
    Ok(out)
}

fn draft_group(
    model: &mut Model,
    prompts: &Prompts,
    articles: &[Article],
    summaries: &[ArticleSummary],
    points: usize,
    params: &GenParams,
) -> Result<Draft, SummarizeError> {
    let sources: Vec<SourceCtx> = articles
        .iter()
        .zip(summaries)
        .map(|(a, s)| SourceCtx {
            id: a.id.to_string(),
            title: a.title.as_deref().unwrap_or(""),
            summary: &s.summary,
        })
        .collect();
    let ctx = context! { sources => minijinja::Value::from(minijinja::value::Serde(&sources)), points => points };
    let prompt = render_prompt(model, prompts, "briefing", ctx)?;
    let g = generate::generate(model, &prompt, params)?;
    let mut usage = Usage::default();
    usage.add(&g);
    let (headline, points) = parse(&g.text);
    Ok(Draft {
        headline,
        points,
        raw: g.text,
        usage,
    })
}

/// Splits the model's text into a headline and bullet points. Tolerant of what small models do:
/// labels ("Headline:"), Markdown emphasis, numbered lists, or prose without bullets.
pub fn parse(raw: &str) -> (String, Vec<String>) {
    let mut headline = String::new();
    let mut points = Vec::new();
    for line in raw.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (is_bullet, body) = strip_bullet(line);
        let body = strip_label(&body.replace("**", "")).trim().to_string();
        if body.is_empty() {
            continue;
        }
        if headline.is_empty() && !is_bullet {
            headline = body.trim_matches(['#', '"', ' ']).to_string();
        } else if is_bullet || !headline.is_empty() {
            points.push(body);
        }
    }
    (headline, points)
}

fn strip_bullet(line: &str) -> (bool, String) {
    for marker in ["- ", "* ", "• ", "– "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return (true, rest.to_string());
        }
    }
    let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && digits < 3 {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return (true, rest.to_string());
        }
    }
    (false, line.trim_start_matches('#').trim().to_string())
}

fn strip_label(line: &str) -> &str {
    for label in ["headline:", "title:", "briefing:", "key points:", "point:"] {
        if let Some(head) = line.get(..label.len()) {
            if head.eq_ignore_ascii_case(label) {
                return line[label.len()..].trim_start();
            }
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_headline_and_bullets_in_the_forms_small_models_use() {
        let raw = "**Headline:** Albania cuts ties with Iran\n\n- Albania expelled diplomats [S1]\n* Iran denied it [S2][S3]\n2. Police searched the embassy (S4)\n";
        let (h, p) = parse(raw);
        assert_eq!(h, "Albania cuts ties with Iran");
        assert_eq!(
            p,
            [
                "Albania expelled diplomats [S1]",
                "Iran denied it [S2][S3]",
                "Police searched the embassy (S4)"
            ]
        );
    }

    #[test]
    fn multibyte_text_near_a_label_boundary_does_not_panic() {
        let (h, _) = parse("é€Y€bi x");
        assert_eq!(h, "é€Y€bi x");
    }

    #[test]
    fn key_points_label_line_is_not_a_point() {
        let (h, p) = parse("# Big news\nKey points:\n- one [S1]");
        assert_eq!(h, "Big news");
        assert_eq!(p, ["one [S1]"]);
    }
}
