//! `brief::measure::rouge` must agree with `shared/eval/score.py` (Google's rouge-score 0.1.2) to
//! within 0.01 (x100), per example and on corpus means. The expected numbers were produced
//! by `tests/data/gen_rouge_reference.py`; the Punkt parameters and, for the lead-3 check,
//! the dev sets are read from `../shared/eval/` and are never copied into the crate.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use brief::ingest::sentences::Splitter;
use brief::measure::rouge::{self, punkt, CorpusScores, Prf, Scores};
use serde::Deserialize;

const TOLERANCE: f64 = 0.01;
const METRICS: [&str; 3] = ["rouge1", "rouge2", "rougeLsum"];

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Line {
    Meta {},
    Refs {
        eval: String,
        id: String,
        references: Vec<String>,
    },
    Example {
        eval: String,
        id: String,
        variant: String,
        prediction: String,
        references: Option<Vec<String>>,
        scores: HashMap<String, Expected>,
    },
    Aggregate {
        set: String,
        eval: String,
        variant: String,
        n: usize,
        score_py: HashMap<String, f64>,
        mean: HashMap<String, f64>,
    },
    Lead3 {
        eval: String,
        id: String,
        scores: HashMap<String, f64>,
    },
}

/// Precision, recall and F1 x100.
#[derive(Deserialize)]
struct Expected {
    p: f64,
    r: f64,
    f: f64,
}

/// `$BRIEF_SHARED/eval` (`scripts/test` sets it, also for a clone whose origin has `shared/`
/// beside it), else `shared/eval` beside the crate.
fn eval_dir() -> PathBuf {
    std::env::var_os("BRIEF_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join("eval")
}

/// The eval data lives outside the crate on purpose; its absence is an error, not a skip.
fn eval_file(name: &str) -> PathBuf {
    let path = eval_dir().join(name);
    assert!(
        path.is_file(),
        "{} is missing: the ROUGE agreement tests need shared/eval/ beside the crate or in $BRIEF_SHARED \
         (the Punkt parameters and dev sets are not shipped in the crate)",
        path.display()
    );
    path
}

fn punkt() -> Result<Splitter> {
    Ok(punkt::splitter_from_json(eval_file("punkt_news_en.json"))?)
}

fn reference_lines() -> Result<Vec<Line>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rouge_reference.jsonl");
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("line {}", i + 1)))
        .collect()
}

fn metric<'a>(s: &'a Scores, name: &str) -> &'a Prf {
    match name {
        "rouge1" => &s.rouge1,
        "rouge2" => &s.rouge2,
        _ => &s.rouge_lsum,
    }
}

fn corpus_metric(c: &CorpusScores, name: &str) -> f64 {
    match name {
        "rouge1" => c.rouge1,
        "rouge2" => c.rouge2,
        _ => c.rouge_lsum,
    }
}

/// Collects every disagreement so one run shows them all, and the largest difference seen.
#[derive(Default)]
struct Checker {
    failures: Vec<String>,
    /// Largest difference per (what kind of number, metric).
    max_diff: std::collections::BTreeMap<(&'static str, &'static str), f64>,
}

impl Checker {
    fn check(
        &mut self,
        kind: &'static str,
        metric: &'static str,
        what: &str,
        got: f64,
        expected: f64,
    ) {
        let diff = (got - expected).abs();
        let max = self.max_diff.entry((kind, metric)).or_insert(0.0);
        *max = max.max(diff);
        if diff >= TOLERANCE {
            self.failures.push(format!(
                "{what} {metric}: got {got:.4}, score.py {expected:.4}"
            ));
        }
    }

    fn finish(self, label: &str) -> Result<()> {
        for ((kind, metric), diff) in &self.max_diff {
            eprintln!("{label}: {kind} {metric}: max |diff| x100 = {diff:.2e}");
        }
        if self.failures.is_empty() {
            Ok(())
        } else {
            Err(anyhow!(
                "{label}: {} disagreements with score.py:\n{}",
                self.failures.len(),
                self.failures.join("\n")
            ))
        }
    }
}

#[test]
fn examples_and_their_means_match_score_py() -> Result<()> {
    let splitter = punkt()?;
    let lines = reference_lines()?;
    let mut refs: HashMap<(String, String), Vec<String>> = HashMap::new();
    let mut per_set: HashMap<(String, String), Vec<Scores>> = HashMap::new();
    let mut checker = Checker::default();
    let mut examples = 0;
    for line in &lines {
        match line {
            Line::Refs {
                eval,
                id,
                references,
            } => {
                refs.insert((eval.clone(), id.clone()), references.clone());
            }
            Line::Example {
                eval,
                id,
                variant,
                prediction,
                references,
                scores,
            } => {
                let references = match references {
                    Some(r) => r,
                    None => refs
                        .get(&(eval.clone(), id.clone()))
                        .ok_or_else(|| anyhow!("no refs line for {eval} {id}"))?,
                };
                let got = rouge::score(prediction, references, &splitter);
                let what = format!("{eval} {id} {variant}");
                for m in METRICS {
                    let (g, e) = (metric(&got, m), &scores[m]);
                    checker.check("example P", m, &what, g.precision * 100.0, e.p);
                    checker.check("example R", m, &what, g.recall * 100.0, e.r);
                    checker.check("example F", m, &what, g.fmeasure * 100.0, e.f);
                }
                per_set
                    .entry((eval.clone(), variant.clone()))
                    .or_default()
                    .push(got);
                examples += 1;
            }
            Line::Aggregate {
                set,
                eval,
                variant,
                n,
                score_py,
                mean,
            } if set == "variants" => {
                let scores = per_set
                    .get(&(eval.clone(), variant.clone()))
                    .ok_or_else(|| anyhow!("no examples for {eval} {variant}"))?;
                assert_eq!(scores.len(), *n, "{eval} {variant}");
                let corpus = rouge::corpus_mean(scores);
                for m in METRICS {
                    let what = format!("mean of {eval} {variant}");
                    let got = corpus_metric(&corpus, m);
                    checker.check("mean", m, &what, got, mean[m]);
                    checker.check("printed mean", m, &what, got, score_py[m]);
                }
            }
            _ => {}
        }
    }
    assert!(examples > 100, "only {examples} example vectors");
    checker.finish("reference vectors")
}

#[derive(Deserialize)]
struct EvalRow {
    id: String,
    documents: Vec<Document>,
    references: Vec<String>,
}

#[derive(Deserialize)]
struct Document {
    text: String,
}

/// The README's lead-3 baseline: the first document's first three sentences, one per line.
fn lead3(row: &EvalRow, splitter: &Splitter) -> String {
    let first = row.documents.first().map_or("", |d| d.text.as_str());
    let sentences = splitter.split(first);
    sentences[..sentences.len().min(3)].join("\n")
}

#[test]
fn lead3_baseline_over_both_dev_sets_matches_score_py() -> Result<()> {
    let splitter = punkt()?;
    let lines = reference_lines()?;
    let mut checker = Checker::default();
    for eval in ["xsum_dev", "multinews_dev"] {
        let path = eval_file(&format!("{eval}.jsonl"));
        let text = std::fs::read_to_string(&path)?;
        let rows: Vec<EvalRow> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .with_context(|| format!("{}", path.display()))?;
        let scored: HashMap<&str, Scores> = rows
            .iter()
            .map(|r| {
                let pred = lead3(r, &splitter);
                (r.id.as_str(), rouge::score(&pred, &r.references, &splitter))
            })
            .collect();
        let mut expected_n = 0;
        for line in &lines {
            match line {
                Line::Lead3 {
                    eval: e,
                    id,
                    scores,
                } if e == eval => {
                    let got = scored
                        .get(id.as_str())
                        .ok_or_else(|| anyhow!("{eval} has no example {id}"))?;
                    for m in METRICS {
                        let f = metric(got, m).fmeasure * 100.0;
                        checker.check("example F", m, &format!("{eval} {id}"), f, scores[m]);
                    }
                    expected_n += 1;
                }
                Line::Aggregate {
                    set,
                    eval: e,
                    score_py,
                    mean,
                    ..
                } if set == "lead3" && e == eval => {
                    let all: Vec<Scores> = rows.iter().map(|r| scored[r.id.as_str()]).collect();
                    let corpus = rouge::corpus_mean(&all);
                    for m in METRICS {
                        let got = corpus_metric(&corpus, m);
                        let what = format!("{eval} lead-3 mean");
                        checker.check("mean", m, &what, got, mean[m]);
                        checker.check("printed mean", m, &what, got, score_py[m]);
                    }
                }
                _ => {}
            }
        }
        assert_eq!(expected_n, rows.len(), "{eval}: lead-3 vectors vs rows");
    }
    checker.finish("lead-3 over both dev sets")
}
