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

/// Room kept free beyond the measured prompt around the article text: joining the text into
/// the template can merge a token or two at the seams.
const PROMPT_SLACK_TOKENS: usize = 16;

/// The most tokens of a title put in a prompt; a longer one is cut at a word. It is taken
/// out of the chunk budget, so no title (a scraper once gave 10,000 characters) can push a
/// prompt past the context.
pub const TITLE_TOKENS: usize = 64;

/// Levels of combining chunk summaries before the rest is cut to fit: each level divides the
/// count by at least two, so this covers far more chunks than any article `--max-bytes` lets
/// in (2^8 times the 1,536-token chunk budget's worth of summaries).
const MAX_COMBINE_LEVELS: usize = 8;

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
    let budget = chunk_budget(model, prompts, params, style)?;
    let chunks = split_into_chunks(model, &article.text, budget)?;
    let mut usage = Usage::default();
    let title = fit_title(model, article.title.as_deref().unwrap_or_default())?;
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
            tracing::info!("{}: chunk {}/{} done", article.path, i + 1, chunks.len());
        }
        // Combined a level at a time until the summaries fit one prompt.
        let mut level = 0;
        let joined = loop {
            match combine_groups(model, &parts, budget, level)? {
                Combine::Fits(joined) => break joined,
                Combine::Groups(groups) => {
                    let n = groups.len();
                    let mut next = Vec::with_capacity(n);
                    for (i, g) in groups.iter().enumerate() {
                        next.push(one(
                            model,
                            prompts,
                            &title,
                            g,
                            (i + 1, n),
                            params,
                            Style::Briefing,
                            &mut usage,
                        )?);
                        tracing::info!(
                            "{}: combining chunk summaries, level {}: {}/{n} done",
                            article.path,
                            level + 1,
                            i + 1
                        );
                    }
                    parts = next;
                    level += 1;
                }
            }
        };
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

/// [`generate::generate_batch`] at most [`BATCH`] prompts at a time. A long article's chunks
/// all went into one batch: a 1 MB article made a batch of some 200 sequences, whose memory
/// and attention grew with it; the results are the same either way.
///
/// `step` names the level for the progress lines, one per batch, that a level with chunks
/// of a long article writes: without them a long article showed nothing for many minutes
/// after "summarizing 1 articles". `None` (whole short articles) writes none; each article's
/// own line says it is done.
fn generate_in_batches(
    model: &mut Model,
    texts: &[String],
    params: &GenParams,
    step: Option<&str>,
) -> Result<Vec<generate::Generation>, ModelError> {
    let mut out = Vec::with_capacity(texts.len());
    for batch in texts.chunks(BATCH) {
        out.extend(generate::generate_batch(model, batch, params)?);
        if let Some(step) = step {
            tracing::info!("{step}: {}/{} done", out.len(), texts.len());
        }
    }
    Ok(out)
}

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
    let budget = chunk_budget(model, prompts, params, style)?;
    let mut chunks = Vec::with_capacity(articles.len());
    for a in articles {
        chunks.push(split_into_chunks(model, &a.text, budget)?);
    }
    let mut usage = vec![Usage::default(); articles.len()];
    // First level: whole articles in their final style, or each chunk as a briefing.
    let mut jobs = Vec::new();
    for (ai, (a, cs)) in articles.iter().zip(&chunks).enumerate() {
        let title = fit_title(model, a.title.as_deref().unwrap_or_default())?;
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
    let chunked = chunks.iter().any(|c| c.len() > 1);
    let gens = generate_in_batches(model, &texts, params, chunked.then_some("chunks"))?;
    let mut parts: Vec<Vec<String>> = vec![Vec::new(); articles.len()];
    for ((ai, st, _), g) in jobs.iter().zip(&gens) {
        usage[*ai].add(g);
        parts[*ai].push(clean_summary(&g.text, st.sentences()));
    }
    let titles: Vec<String> = articles
        .iter()
        .map(|a| fit_title(model, a.title.as_deref().unwrap_or_default()))
        .collect::<Result<_, _>>()?;
    // Then the chunk summaries of long articles, combined a level at a time (one batch per
    // level) until each article's fit one prompt: the same steps `summarize` takes alone.
    let mut joined: Vec<Option<String>> = vec![None; articles.len()];
    let mut level = 0;
    loop {
        let mut jobs = Vec::new();
        for ai in 0..articles.len() {
            if chunks[ai].len() <= 1 || joined[ai].is_some() {
                continue;
            }
            match combine_groups(model, &parts[ai], budget, level)? {
                Combine::Fits(j) => joined[ai] = Some(j),
                Combine::Groups(groups) => {
                    let n = groups.len();
                    for (i, g) in groups.iter().enumerate() {
                        let prompt = article_prompt(
                            model,
                            prompts,
                            &titles[ai],
                            g,
                            (i + 1, n),
                            Style::Briefing,
                        )?;
                        jobs.push((ai, prompt));
                    }
                }
            }
        }
        if jobs.is_empty() {
            break;
        }
        let texts: Vec<String> = jobs.iter().map(|j| j.1.clone()).collect();
        let step = format!("combining chunk summaries, level {}", level + 1);
        let gens = generate_in_batches(model, &texts, params, Some(&step))?;
        let mut next: Vec<Vec<String>> = vec![Vec::new(); articles.len()];
        for ((ai, _), g) in jobs.iter().zip(&gens) {
            usage[*ai].add(g);
            next[*ai].push(clean_summary(&g.text, Style::Briefing.sentences()));
        }
        for (ai, n) in next.into_iter().enumerate() {
            if !n.is_empty() {
                parts[ai] = n;
            }
        }
        level += 1;
    }
    let mut combine = Vec::new();
    for (ai, j) in joined.iter().enumerate() {
        if let Some(j) = j {
            combine.push((
                ai,
                article_prompt(model, prompts, &titles[ai], j, (1, 1), style)?,
            ));
        }
    }
    let texts: Vec<String> = combine.iter().map(|c| c.1.clone()).collect();
    let gens = generate_in_batches(model, &texts, params, chunked.then_some("final summaries"))?;
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

/// The most article tokens one prompt can take: the context less the reply, the title and the
/// prompt itself, measured by rendering it around an empty text. Measured, not assumed, because
/// the templates are edited at run time and a tokenizer can spend several times more tokens on
/// the same instructions than another (a fixed allowance once let a prompt fill the whole
/// context, leaving no room for a word of summary).
fn chunk_budget(
    model: &Model,
    prompts: &Prompts,
    params: &GenParams,
    style: Style,
) -> Result<usize, SummarizeError> {
    let mut overhead = 0;
    for (part, st) in [((1, 1), style), ((2, 3), Style::Briefing)] {
        let prompt = article_prompt(model, prompts, "", "", part, st)?;
        overhead = overhead.max(generate::encode(model, &prompt)?.len());
    }
    Ok(model
        .context_length
        .saturating_sub(params.max_tokens + overhead + TITLE_TOKENS + PROMPT_SLACK_TOKENS)
        .clamp(64, CHUNK_TOKENS))
}

/// The title, cut at a word (or, for one endless word, a character) to at most
/// [`TITLE_TOKENS`]; a binary search, so a huge title costs a few tokenizations, not one
/// per word.
fn fit_title(model: &Model, title: &str) -> Result<String, ModelError> {
    cut_to_tokens(model, title, TITLE_TOKENS)
}

/// The longest prefix of `text` (at a word where there is one) of at most `limit` tokens.
fn cut_to_tokens(model: &Model, text: &str, limit: usize) -> Result<String, ModelError> {
    if generate::count_tokens(model, text)? <= limit {
        return Ok(text.to_string());
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let fits = |s: &str| generate::count_tokens(model, s).map(|n| n <= limit);
    let (mut lo, mut hi) = (0, words.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(&words[..mid].join(" "))? {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo > 0 {
        return Ok(words[..lo].join(" "));
    }
    let chars: Vec<char> = text.trim().chars().collect();
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(&chars[..mid].iter().collect::<String>())? {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(chars[..lo].iter().collect())
}

/// What to do with the chunk summaries of one article at a level of combining.
enum Combine {
    /// They fit one prompt together: the final summary is made from this.
    Fits(String),
    /// Too long together: summarize each of these groups (each fits a prompt) first.
    Groups(Vec<String>),
}

/// Groups the summaries into token-bounded prompts; joining them all into one, as before,
/// overflowed the context for a long enough article. Gives up combining (and cuts what is
/// joined to fit) when a level would not shrink the count or too many levels have run, so
/// the work stays bounded whatever the model writes.
fn combine_groups(
    model: &Model,
    parts: &[String],
    budget: usize,
    level: usize,
) -> Result<Combine, ModelError> {
    // An empty summary (a model that stopped at once) adds nothing but separators.
    let parts: Vec<&String> = parts.iter().filter(|p| !p.trim().is_empty()).collect();
    let joined = parts
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let together = generate::count_tokens(model, &joined)?;
    if together <= budget {
        return Ok(Combine::Fits(joined));
    }
    let mut groups: Vec<String> = Vec::new();
    let mut current = String::new();
    for p in &parts {
        let p = cut_to_tokens(model, p, budget)?;
        let candidate = if current.is_empty() {
            p.clone()
        } else {
            format!("{current}\n\n{p}")
        };
        if current.is_empty() || generate::count_tokens(model, &candidate)? <= budget {
            current = candidate;
        } else {
            groups.push(std::mem::replace(&mut current, p));
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    if groups.len() * 2 > parts.len() + 1 || level >= MAX_COMBINE_LEVELS {
        tracing::info!(
            "{} chunk summaries, {together} tokens together, over the {budget}-token budget: \
             cut to fit",
            parts.len()
        );
        return Ok(Combine::Fits(cut_to_tokens(model, &joined, budget)?));
    }
    tracing::info!(
        "{} chunk summaries, {together} tokens together, over the {budget}-token budget: \
         combining them in {} groups",
        parts.len(),
        groups.len()
    );
    Ok(Combine::Groups(groups))
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

    fn tiny_model(seed: u64) -> (tempfile::TempDir, Model) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        crate::testing::write_tiny_llama(&path, seed).unwrap();
        let model = Model::load(
            &path,
            None,
            &candle_core::Device::Cpu,
            crate::llm::model::WeightFormat::Fast,
        )
        .unwrap();
        (dir, model)
    }

    /// A 10,000-character title used to abort the run ("4097 positions exceed the context"):
    /// titles were outside the chunk budget.
    #[test]
    fn an_over_long_title_is_cut_to_fit_the_prompt() {
        let (_dir, mut model) = tiny_model(5);
        let prompts =
            Prompts::from_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts"))
                .unwrap();
        let article = Article {
            id: "S1".parse().unwrap(),
            path: "a.jsonl#1".into(),
            title: Some("Title words go on ".repeat(560)),
            text: "The council met on Tuesday and voted on the budget. ".repeat(150),
            content_hash: String::new(),
            url: None,
            published: None,
            teaser: false,
        };
        assert!(article.title.as_ref().unwrap().len() > 10_000);
        let params = GenParams {
            max_tokens: 4,
            ..GenParams::default()
        };
        let s = summarize(&mut model, &prompts, &article, &params, Style::Briefing).unwrap();
        assert!(s.usage.calls >= 1);
        let cut = fit_title(&model, article.title.as_deref().unwrap()).unwrap();
        assert!(generate::count_tokens(&model, &cut).unwrap() <= TITLE_TOKENS);
        assert!(cut.starts_with("Title words go on"));
    }

    /// The chunk summaries were joined into one prompt whatever their length; now they are
    /// grouped into prompts that each fit, and a level that would not shrink them is cut.
    #[test]
    fn chunk_summaries_are_combined_in_token_bounded_groups() {
        let (_dir, model) = tiny_model(5);
        let count = |s: &str| generate::count_tokens(&model, s).unwrap();
        let part = "The council met on Tuesday and voted on the budget. ".repeat(30);
        let per = count(&part);
        let budget = per * 3 + 20;
        let parts = vec![part.clone(); 12];
        match combine_groups(&model, &parts, budget, 0).unwrap() {
            Combine::Groups(groups) => {
                assert!(groups.len() <= 6, "{}", groups.len());
                for g in &groups {
                    assert!(count(g) <= budget);
                }
            }
            Combine::Fits(_) => panic!("12 parts cannot fit {budget} tokens"),
        }
        // Parts too big to pair up: the joined text is cut to the budget instead.
        let big = vec![part.repeat(3); 4];
        match combine_groups(&model, &big, budget, 0).unwrap() {
            Combine::Fits(j) => assert!(count(&j) <= budget),
            Combine::Groups(_) => panic!("grouping one part per group never ends"),
        }
        match combine_groups(&model, &parts, budget, MAX_COMBINE_LEVELS).unwrap() {
            Combine::Fits(j) => assert!(count(&j) <= budget),
            Combine::Groups(_) => panic!("levels are bounded"),
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
