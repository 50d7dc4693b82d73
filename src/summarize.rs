//! One article → one short summary. An article longer than the model's context is never cut:
//! it is split into token-bounded chunks at paragraph and sentence boundaries, each chunk is
//! summarized, and the chunk summaries are summarized together.

use minijinja::context;

use crate::briefing::Style;
use crate::ingest::{Article, ArticleId};
use crate::llm::chat_template::{self, Message};
use crate::llm::generate::{self, GenParams, Usage};
use crate::llm::manifest::Role;
use crate::llm::model::{Model, ModelError};
use crate::llm::prompts::{PromptError, Prompts};

#[derive(Debug, thiserror::Error)]
pub enum SummarizeError {
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("{0}")]
    ChatTemplate(#[from] chat_template::ChatTemplateError),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ArticleSummary {
    pub id: ArticleId,
    pub summary: String,
    /// How many chunks the article was split into (1: summarized whole).
    pub chunks: usize,
    pub usage: Usage,
}

/// The most article tokens put in one prompt. Far below the context on purpose: prefill cost
/// grows with length, and small models lose the thread of long inputs.
pub const CHUNK_TOKENS: usize = 1536;

/// Room for the instructions and chat markup around the article text.
const PROMPT_OVERHEAD_TOKENS: usize = 256;

/// Renders a prompt for the model: through its chat template for chat models, as a plain
/// completion for base models.
pub fn render_prompt(
    model: &Model,
    prompts: &Prompts,
    template: &str,
    ctx: minijinja::Value,
) -> Result<String, SummarizeError> {
    match (model.role, &model.chat_template) {
        (Role::Chat, Some(chat)) => {
            let system = prompts.render("system.j2", context! {})?;
            let user = prompts.render(&format!("{template}.j2"), &ctx)?;
            let bos = model.bos_text.clone().unwrap_or_default();
            Ok(chat_template::render(
                chat,
                &[Message::system(system), Message::user(user)],
                &bos,
                "",
            )?)
        }
        _ => {
            let text = prompts.render(&format!("{template}.base.j2"), &ctx)?;
            // The completion should start on a fresh line after the cue.
            Ok(format!("{text}\n"))
        }
    }
}

pub fn summarize(
    model: &mut Model,
    prompts: &Prompts,
    article: &Article,
    params: &GenParams,
    style: Style,
) -> Result<ArticleSummary, SummarizeError> {
    let budget = chunk_budget(model, params);
    let chunks = split_into_chunks(model, &article.text, budget)?;
    let mut usage = Usage::default();
    let title = article.title.clone().unwrap_or_default();
    let summary = if chunks.len() == 1 {
        one(
            model,
            prompts,
            &title,
            &chunks[0],
            (1, 1),
            params,
            style,
            &mut usage,
        )?
    } else {
        let mut parts = Vec::with_capacity(chunks.len());
        for (i, chunk) in chunks.iter().enumerate() {
            let s = one(
                model,
                prompts,
                &title,
                chunk,
                (i + 1, chunks.len()),
                params,
                Style::Briefing,
                &mut usage,
            )?;
            parts.push(s);
        }
        let joined = parts.join("\n\n");
        one(
            model,
            prompts,
            &title,
            &joined,
            (1, 1),
            params,
            style,
            &mut usage,
        )?
    };
    Ok(ArticleSummary {
        id: article.id,
        summary,
        chunks: chunks.len(),
        usage,
    })
}

/// Articles whose summaries are generated together (see `generate::generate_batch`). Decode
/// reads every weight once per step, so four sequences cost little more than one; more adds
/// compute and makes a killed run lose more.
pub const BATCH: usize = 4;

/// Summaries of `missing` (at most [`BATCH`] at a time is what pays), batched; if the batch
/// fails, one article at a time, so that the error names the article it came from.
pub fn summarize_window(
    model: &mut Model,
    prompts: &Prompts,
    missing: &[&Article],
    params: &GenParams,
    style: Style,
) -> anyhow::Result<Vec<ArticleSummary>> {
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    match summarize_many(model, prompts, missing, params, style) {
        Ok(s) => Ok(s),
        Err(_) => missing
            .iter()
            .map(|a| {
                summarize(model, prompts, a, params, style)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", a.path))
            })
            .collect(),
    }
}

/// Summaries of several articles, every generation of one level (chunks, or whole articles;
/// then the combining of chunk summaries) run as one batch (`generate::generate_batch`): the
/// same text `summarize` gives for each article alone, in less time where the model batches.
pub fn summarize_many(
    model: &mut Model,
    prompts: &Prompts,
    articles: &[&Article],
    params: &GenParams,
    style: Style,
) -> Result<Vec<ArticleSummary>, SummarizeError> {
    let budget = chunk_budget(model, params);
    let mut chunks = Vec::with_capacity(articles.len());
    for a in articles {
        chunks.push(split_into_chunks(model, &a.text, budget)?);
    }
    let mut usage = vec![Usage::default(); articles.len()];
    // First level: whole articles in their final style, or each chunk as a briefing.
    let mut jobs = Vec::new();
    for (ai, (a, cs)) in articles.iter().zip(&chunks).enumerate() {
        let title = a.title.clone().unwrap_or_default();
        for (i, c) in cs.iter().enumerate() {
            let (part, st) = if cs.len() == 1 {
                ((1, 1), style)
            } else {
                ((i + 1, cs.len()), Style::Briefing)
            };
            jobs.push((ai, st, article_prompt(model, prompts, &title, c, part, st)?));
        }
    }
    let texts: Vec<String> = jobs.iter().map(|j| j.2.clone()).collect();
    let gens = generate::generate_batch(model, &texts, params)?;
    let mut parts: Vec<Vec<String>> = vec![Vec::new(); articles.len()];
    for ((ai, st, _), g) in jobs.iter().zip(&gens) {
        usage[*ai].add(g);
        parts[*ai].push(clean_summary(&g.text, st.sentences()));
    }
    // Second level: the chunk summaries of long articles, combined.
    let mut combine = Vec::new();
    for (ai, a) in articles.iter().enumerate() {
        if chunks[ai].len() > 1 {
            let title = a.title.clone().unwrap_or_default();
            let joined = parts[ai].join("\n\n");
            combine.push((
                ai,
                article_prompt(model, prompts, &title, &joined, (1, 1), style)?,
            ));
        }
    }
    let texts: Vec<String> = combine.iter().map(|c| c.1.clone()).collect();
    let gens = generate::generate_batch(model, &texts, params)?;
    for ((ai, _), g) in combine.iter().zip(&gens) {
        usage[*ai].add(g);
        parts[*ai] = vec![clean_summary(&g.text, style.sentences())];
    }
    Ok(articles
        .iter()
        .zip(parts)
        .zip(usage)
        .zip(&chunks)
        .map(|(((a, p), usage), cs)| ArticleSummary {
            id: a.id,
            summary: p.into_iter().next().unwrap_or_default(),
            chunks: cs.len(),
            usage,
        })
        .collect())
}

fn article_prompt(
    model: &Model,
    prompts: &Prompts,
    title: &str,
    text: &str,
    (part, parts): (usize, usize),
    style: Style,
) -> Result<String, SummarizeError> {
    let ctx = context! {
        title => title,
        text => text,
        sentences => style.sentences(),
        part => part,
        parts => parts,
    };
    render_prompt(model, prompts, "article", ctx)
}

#[allow(clippy::too_many_arguments)]
fn one(
    model: &mut Model,
    prompts: &Prompts,
    title: &str,
    text: &str,
    (part, parts): (usize, usize),
    params: &GenParams,
    style: Style,
    usage: &mut Usage,
) -> Result<String, SummarizeError> {
    let prompt = article_prompt(model, prompts, title, text, (part, parts), style)?;
    let g = generate::generate(model, &prompt, params)?;
    usage.add(&g);
    Ok(clean_summary(&g.text, style.sentences()))
}

fn chunk_budget(model: &Model, params: &GenParams) -> usize {
    model
        .context_length
        .saturating_sub(params.max_tokens + PROMPT_OVERHEAD_TOKENS)
        .clamp(64, CHUNK_TOKENS)
}

/// Splits text into pieces of at most `budget` tokens, at paragraph boundaries where possible,
/// else at sentence ends, else at word boundaries.
pub fn split_into_chunks(
    model: &Model,
    text: &str,
    budget: usize,
) -> Result<Vec<String>, ModelError> {
    let count = |s: &str| generate::count_tokens(model, s);
    if count(text)? <= budget {
        return Ok(vec![text.to_string()]);
    }
    let mut pieces: Vec<String> = Vec::new();
    for para in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
        if count(para)? <= budget {
            pieces.push(para.to_string());
            continue;
        }
        for sentence in rough_sentences(para) {
            if count(&sentence)? <= budget {
                pieces.push(sentence);
            } else {
                pieces.extend(split_words(&sentence, budget, &count)?);
            }
        }
    }
    let mut chunks: Vec<String> = Vec::new();
    let mut current = String::new();
    for piece in pieces {
        let candidate = if current.is_empty() {
            piece.clone()
        } else {
            format!("{current}\n\n{piece}")
        };
        if count(&candidate)? <= budget {
            current = candidate;
        } else {
            if !current.is_empty() {
                chunks.push(std::mem::take(&mut current));
            }
            current = piece;
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    Ok(chunks)
}

fn rough_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(pos, c)) in bytes.iter().enumerate() {
        let next_is_space = bytes.get(i + 1).is_some_and(|(_, n)| n.is_whitespace());
        if matches!(c, '.' | '!' | '?') && next_is_space {
            let end = pos + c.len_utf8();
            out.push(text[start..end].trim().to_string());
            start = end;
        }
    }
    if start < text.len() && !text[start..].trim().is_empty() {
        out.push(text[start..].trim().to_string());
    }
    out
}

fn split_words(
    text: &str,
    budget: usize,
    count: &dyn Fn(&str) -> Result<usize, ModelError>,
) -> Result<Vec<String>, ModelError> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if count(&candidate)? <= budget || current.is_empty() {
            current = candidate;
        } else {
            out.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}

/// Tidies what the model wrote: drops a leading label ("Summary:"), list markers and markup,
/// joins lines, keeps at most `max_sentences` sentences and never ends mid-sentence when a
/// complete sentence exists.
pub fn clean_summary(raw: &str, max_sentences: usize) -> String {
    let mut text = raw.trim().to_string();
    for label in [
        "summary:",
        "here is a summary:",
        "in summary,",
        "answer:",
        "the article is:",
        "the article says:",
    ] {
        if text.to_lowercase().starts_with(label) {
            text = text[label.len()..].trim_start().to_string();
        }
    }
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches(['-', '*', '•', '#'])
                .trim()
                .replace("**", "")
        })
        .filter(|l| !l.is_empty())
        .collect();
    let joined = lines.join(" ");
    let sentences = rough_sentences(&joined);
    let complete: Vec<&String> = sentences
        .iter()
        .filter(|s| s.ends_with(['.', '!', '?', '"', '”', '\'']))
        .collect();
    let chosen: Vec<&String> = if complete.is_empty() {
        sentences.iter().collect()
    } else {
        complete
    };
    chosen
        .into_iter()
        .take(max_sentences.max(1))
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_made_together_equal_summaries_made_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        crate::testing::write_tiny_llama(&path, 4).unwrap();
        let mut model = Model::load(
            &path,
            None,
            &candle_core::Device::Cpu,
            crate::llm::model::WeightFormat::Fast,
        )
        .unwrap();
        let prompts =
            Prompts::from_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts"))
                .unwrap();
        let para = "The council met on Tuesday and voted on the budget. ".repeat(12);
        let texts = [
            "A short report about a bridge.".to_string(),
            // Long enough to be split into chunks and combined.
            vec![para; 40].join("\n\n"),
            "Another short report, about rain.".to_string(),
        ];
        let articles: Vec<Article> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Article {
                id: format!("S{}", i + 1).parse().unwrap(),
                path: format!("a{i}.txt"),
                title: Some(format!("Title {i}")),
                text: t.clone(),
                content_hash: String::new(),
                url: None,
                published: None,
                teaser: false,
            })
            .collect();
        let params = GenParams {
            max_tokens: 8,
            ..GenParams::default()
        };
        let refs: Vec<&Article> = articles.iter().collect();
        let together =
            summarize_many(&mut model, &prompts, &refs, &params, Style::Briefing).unwrap();
        assert!(together[1].chunks > 1, "the long article was not split");
        for (a, t) in articles.iter().zip(&together) {
            let alone = summarize(&mut model, &prompts, a, &params, Style::Briefing).unwrap();
            assert_eq!(alone.summary, t.summary);
            assert_eq!(alone.chunks, t.chunks);
            assert_eq!(alone.usage.calls, t.usage.calls);
            assert_eq!(alone.usage.generated_tokens, t.usage.generated_tokens);
        }
    }

    #[test]
    fn clean_summary_drops_labels_markup_and_a_cut_off_tail() {
        let raw = "Summary:\n- **Albania** cut ties with Iran.\n- It blamed a July cyberattack. The third one is cut";
        assert_eq!(
            clean_summary(raw, 3),
            "Albania cut ties with Iran. It blamed a July cyberattack."
        );
        assert_eq!(clean_summary("One. Two. Three.", 1), "One.");
        assert_eq!(clean_summary("no full stop", 2), "no full stop");
    }

    #[test]
    fn rough_sentences_keeps_every_character_of_content() {
        let s = rough_sentences("A b. C d! E f? G");
        assert_eq!(s, ["A b.", "C d!", "E f?", "G"]);
    }
}
