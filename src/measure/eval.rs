//! `brief eval`: runs the pipeline over a dev set with reference summaries and scores it with
//! ROUGE (computed here, in Rust, exactly as Google's rouge-score does).
//!
//! Multi-document examples get a briefing (its points joined, one per line, as the summary);
//! single-document examples get a one-line summary.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::briefing::Style;
use crate::briefing::{Briefing, Point, Stats};
use crate::ingest::sentences::Splitter;
use crate::ingest::{self, Article, ArticleId, Ingested};
use crate::llm::generate::Usage;
use crate::llm::prompts::Prompts;
use crate::llm::registry::LoadedModel;
use crate::measure::rouge::{self, punkt, CorpusScores};
use crate::pipeline::{self, NoCache, Progress, RunConfig};
use crate::summarize;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {why}")]
    Data { path: String, why: String },
    #[error("{path}: line {line}: {why}")]
    Line {
        path: String,
        line: usize,
        why: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
pub struct Document {
    pub text: String,
}

/// One line of the eval files (`../shared/eval/*.jsonl`).
#[derive(Debug, Clone, Deserialize)]
pub struct Example {
    pub id: String,
    pub documents: Vec<Document>,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prediction {
    pub id: String,
    pub summary: String,
}

/// What an eval run measured.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EvalReport {
    /// [`crate::briefing::SCHEMA_VERSION`]; files before it had none.
    #[serde(default)]
    pub schema_version: u32,
    pub data: String,
    pub model: String,
    pub examples: usize,
    pub rouge1: f64,
    pub rouge2: f64,
    pub rouge_lsum: f64,
    pub avg_words: f64,
    pub prefill_tok_per_s: f64,
    pub decode_tok_per_s: f64,
    pub wall_secs: f64,
    pub tokens: Usage,
    /// Attribution figures summed over the multi-document examples.
    pub attribution: Stats,
}

pub fn read_examples(path: &Path, limit: Option<usize>) -> Result<Vec<Example>, EvalError> {
    let shown = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| EvalError::Data {
        path: shown.clone(),
        why: e.to_string(),
    })?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| EvalError::Data {
            path: shown.clone(),
            why: e.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let ex: Example = serde_json::from_str(&line).map_err(|e| EvalError::Line {
            path: shown.clone(),
            line: i + 1,
            why: e.to_string(),
        })?;
        if ex.documents.is_empty() || ex.references.is_empty() {
            return Err(EvalError::Line {
                path: shown,
                line: i + 1,
                why: "needs at least one document and one reference".into(),
            });
        }
        out.push(ex);
        if limit.is_some_and(|n| out.len() >= n) {
            break;
        }
    }
    if out.is_empty() {
        return Err(EvalError::Data {
            path: shown,
            why: "no examples".into(),
        });
    }
    Ok(out)
}

/// The Punkt parameters score.py splits with: beside the data file, where the eval README puts
/// them.
pub fn default_punkt(data: &Path) -> PathBuf {
    data.parent()
        .unwrap_or(Path::new("."))
        .join("punkt_news_en.json")
}

/// The example's documents as articles, cleaned the way `brief run` cleans files.
pub fn articles_of(ex: &Example) -> Vec<Article> {
    ex.documents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let text = ingest::clean_text(&d.text);
            let (title, body) = ingest::detect_title(&text);
            let body = if body.trim().is_empty() {
                text.clone()
            } else {
                body
            };
            Article {
                id: ArticleId(i as u32 + 1),
                path: format!("{}#{}", ex.id, i + 1),
                title,
                content_hash: ingest::sha256_hex(&body),
                text: body,
                url: None,
                published: None,
                teaser: false,
            }
        })
        .filter(|a| !a.text.trim().is_empty())
        .collect()
}

/// One example's output: what `eval` scores (its points, one per line) and `compare` shows.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Output {
    /// The example's id ("briefing" for `compare` on files).
    pub id: String,
    #[serde(flatten)]
    pub briefing: Briefing,
}

/// Briefs one example: a one-line summary for a single document in one-line style (one point,
/// unchecked: it is the model's summary of the whole article), a checked briefing otherwise.
pub fn predict(
    cfg: &RunConfig,
    loaded: &mut LoadedModel,
    prompts: &Prompts,
    ex: &Example,
    progress: &dyn Progress,
) -> anyhow::Result<(Output, Usage)> {
    let articles = articles_of(ex);
    let output = |briefing| Output {
        id: ex.id.clone(),
        briefing,
    };
    if articles.is_empty() {
        return Ok((output(Briefing::default()), Usage::default()));
    }
    if articles.len() == 1 && cfg.style == Style::Oneline {
        let s = summarize::summarize(
            &mut loaded.model,
            prompts,
            &articles[0],
            &cfg.summary_params,
            Style::Oneline,
        )?;
        let points = if s.summary.trim().is_empty() {
            Vec::new()
        } else {
            vec![Point::unchecked(s.summary)]
        };
        let briefing = Briefing {
            points,
            ..Briefing::default()
        };
        return Ok((output(briefing), s.usage));
    }
    let ingested = Ingested {
        articles,
        ..Ingested::default()
    };
    let doc = pipeline::brief(cfg, loaded, prompts, ingested, progress, &mut NoCache)?;
    Ok((output(doc.briefing), doc.run.tokens))
}

/// Scores predictions against the examples' references.
pub fn score(
    examples: &[Example],
    predictions: &[Prediction],
    splitter: &Splitter,
) -> CorpusScores {
    let per: Vec<rouge::Scores> = examples
        .iter()
        .zip(predictions)
        .map(|(ex, p)| rouge::score(&p.summary, &ex.references, splitter))
        .collect();
    rouge::corpus_mean(&per)
}

pub fn avg_words(predictions: &[Prediction]) -> f64 {
    if predictions.is_empty() {
        return 0.0;
    }
    predictions
        .iter()
        .map(|p| p.summary.split_whitespace().count())
        .sum::<usize>() as f64
        / predictions.len() as f64
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "–".into()
    } else {
        format!("{:.0}%", 100.0 * n as f64 / d as f64)
    }
}

pub fn table(r: &EvalReport) -> String {
    let a = &r.attribution;
    let attribution = if a.points == 0 {
        String::new()
    } else {
        format!(
            "\n| points | with evidence | checker supports | figures grounded | citations/point | redundant pairs | drafted supported | repaired | dropped | summary sentences supported | replaced |\n\
             |---|---|---|---|---|---|---|---|---|---|---|\n\
             | {} | {} | {} | {} | {:.2} | {} | {} | {} | {} | {} | {} |\n",
            a.points,
            pct(a.points_with_evidence, a.points),
            pct(a.checked_supported, a.points),
            pct(a.figures_grounded, a.figures),
            a.citations as f64 / a.points as f64,
            a.redundant_pairs,
            pct(a.drafted_supported, a.drafted),
            a.repaired,
            a.dropped,
            pct(a.summary_supported, a.summary_sentences),
            a.summary_replaced
        )
    };
    format!(
        "| model | examples | R-1 | R-2 | R-Lsum | avg words | prefill tok/s | decode tok/s | wall s |\n\
         |---|---|---|---|---|---|---|---|---|\n\
         | {} | {} | {:.2} | {:.2} | {:.2} | {:.1} | {:.0} | {:.1} | {:.1} |\n",
        r.model,
        r.examples,
        r.rouge1,
        r.rouge2,
        r.rouge_lsum,
        r.avg_words,
        r.prefill_tok_per_s,
        r.decode_tok_per_s,
        r.wall_secs
    ) + &attribution
}

/// `brief eval`: the first `limit` examples of `data` through the model of `cfg`, scored with
/// ROUGE (Lsum split with the Punkt parameters at `punkt`). `log_examples` logs a line as each
/// example is done.
pub fn run(
    cfg: &RunConfig,
    data: &Path,
    limit: Option<usize>,
    punkt: &Path,
    log_examples: bool,
) -> anyhow::Result<(EvalReport, Vec<Prediction>)> {
    let examples = read_examples(data, limit)?;
    let splitter = punkt::splitter_from_json(punkt)?;
    let prompts = Prompts::locate(cfg.prompts_dir.as_deref())?;
    let mut loaded = pipeline::load_model(cfg)?;
    let start = Instant::now();
    let mut usage = Usage::default();
    let mut attribution = Stats::default();
    let mut predictions = Vec::with_capacity(examples.len());
    for (i, ex) in examples.iter().enumerate() {
        let (out, u) = predict(cfg, &mut loaded, &prompts, ex, &())?;
        let summary = out.briefing.text();
        usage.merge(&u);
        attribution.add(&out.briefing.stats);
        if log_examples {
            tracing::info!(
                "{}/{} {}: {} words",
                i + 1,
                examples.len(),
                ex.id,
                summary.split_whitespace().count()
            );
        }
        predictions.push(Prediction {
            id: ex.id.clone(),
            summary,
        });
    }
    let scores = score(&examples, &predictions, &splitter);
    let report = EvalReport {
        schema_version: crate::briefing::SCHEMA_VERSION,
        data: data.display().to_string(),
        model: loaded.info.name.clone(),
        examples: examples.len(),
        rouge1: scores.rouge1,
        rouge2: scores.rouge2,
        rouge_lsum: scores.rouge_lsum,
        avg_words: avg_words(&predictions),
        prefill_tok_per_s: usage.prefill_tok_per_s(),
        decode_tok_per_s: usage.decode_tok_per_s(),
        wall_secs: start.elapsed().as_secs_f64(),
        tokens: usage,
        attribution,
    };
    Ok((report, predictions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_examples_and_reports_bad_lines_with_their_number() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.jsonl");
        std::fs::write(
            &p,
            "{\"id\":\"a\",\"documents\":[{\"text\":\"One. Two.\"}],\"references\":[\"One.\"]}\n\n{\"id\":\"b\"}\n",
        )
        .unwrap();
        let err = read_examples(&p, None).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        let ok = read_examples(&p, Some(1)).unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(articles_of(&ok[0])[0].id, ArticleId(1));
    }
}
