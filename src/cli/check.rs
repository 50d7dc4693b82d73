//! `brief check`: the claim checker as a command, for any text (`--sources`), or scored on a
//! labelled set (`--data`).

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;

use brief::check::evidence::Index;
use brief::check::{judge::Judge, Checker, Verdict};
use brief::ingest::sentences::Splitter;
use brief::ingest::{self, ArticleId};
use brief::llm::embed::Embedder;
use brief::llm::model::{self, DeviceChoice, Model, WeightFormat};
use brief::llm::prompts::Prompts;
use brief::llm::registry::{resolve_model, ModelSpec};
use brief::measure::faith;
use brief::pipeline::UncalibratedJudge;

use super::args::{Global, IngestArgs};
use super::choice::choice;
use super::defaults;

#[derive(Args)]
pub struct CheckArgs {
    /// The text to check, one verdict per sentence (Markdown or plain text; - reads stdin).
    /// After `--sources A B …` the last path given is the text.
    #[arg(conflicts_with = "data")]
    text: Option<PathBuf>,
    /// The articles the text should rest on: files, directories, feeds, JSON Lines, as `brief run` reads them.
    #[arg(long, num_args = 1.., value_name = "PATH", required_unless_present = "data")]
    sources: Vec<PathBuf>,
    /// Score the checker on labelled claims instead (JSON Lines of {id, document, claim, label}).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// With --data: only the first N claims.
    #[arg(long, requires = "data")]
    limit: Option<usize>,
    /// With --data: write each claim's verdict and features here (JSON Lines), for calibration.
    #[arg(long, value_name = "FILE", requires = "data")]
    features: Option<PathBuf>,
    /// A chat model whose own yes/no answer joins the features ("none": the features alone).
    #[arg(long, value_name = "MODEL", default_value = defaults::JUDGE)]
    judge: String,
    /// Prompt templates directory (check.j2 is the judge's question).
    #[arg(long, value_name = "DIR", env = "BRIEF_PROMPTS")]
    prompts: Option<PathBuf>,
    /// Where the judge runs.
    #[arg(long, value_parser = choice::<DeviceChoice>(), default_value = defaults::DEVICE.name())]
    device: DeviceChoice,
    /// How the judge's weights are held.
    #[arg(long, value_parser = choice::<WeightFormat>(), default_value = defaults::WEIGHTS.name())]
    weights: WeightFormat,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    #[command(flatten)]
    ingest: IngestArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

/// Exit status when a sentence of the text is unsupported: distinct from usage (2) and
/// failure (1), so a script can tell "checked, and wrong" from "could not check".
pub const UNSUPPORTED_EXIT: u8 = 4;

/// `brief check` without a text to check.
#[derive(Debug, thiserror::Error)]
#[error("no text to check: give the sources and then the text (`brief check --sources DIR TEXT.md`), or --data FILE")]
pub struct CheckUsage;

/// One sentence of the checked text and what the checker found.
#[derive(Serialize)]
struct CheckedSentence {
    sentence: String,
    #[serde(flatten)]
    verdict: Verdict,
    /// The source the evidence is from: its path, and title where it has one.
    source_path: Option<String>,
    source_title: Option<String>,
}

pub fn check(args: CheckArgs, global: &Global) -> anyhow::Result<u8> {
    let embedder = Embedder::load_default(&global.models_dir, global.offline)?;
    let prompts = Prompts::locate(args.prompts.as_deref())?;
    let mut judge_model = load_judge(&args, global)?;
    let judge = match judge_model.as_mut() {
        Some((m, name)) => Some(Judge::new(m, &prompts, name)?),
        None => None,
    };
    let mut checker = Checker {
        embedder: &embedder,
        judge,
    };
    if let Some(data) = &args.data {
        let mut claims = faith::read(data)?;
        if let Some(n) = args.limit {
            claims.truncate(n);
        }
        let quiet = global.quiet;
        let (report, scored) = faith::score(
            &claims,
            &mut checker,
            &data.display().to_string(),
            |i, n| {
                if !quiet && (i % 25 == 0 || i == n) {
                    eprintln!("checked {i}/{n} claims");
                }
            },
        )?;
        if let Some(path) = &args.features {
            faith::write_features(path, &scored).with_context(|| path.display().to_string())?;
        }
        match args.format {
            CheckFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            CheckFormat::Text => print!("{}", table(&report)),
        }
        return Ok(0);
    }

    let mut sources = args.sources.clone();
    let text_path = match args.text.clone() {
        Some(t) => t,
        // `--sources` takes every path after it, so the text is the last of them.
        None if sources.len() >= 2 => sources.pop().expect("two or more"),
        None => anyhow::bail!(CheckUsage),
    };
    let text = read_text(&text_path)?;
    let ingested = ingest::ingest(&sources, &args.ingest.options())?;
    for r in &ingested.rejected {
        eprintln!("brief: {}", r.error);
    }
    let index = Index::build(&ingested.articles, &Splitter::news(), &embedder)?;
    let sentences: Vec<String> = Splitter::news()
        .split(&plain(&text))
        .into_iter()
        .filter(|s| s.split_whitespace().count() >= 3)
        .collect();
    let verdicts = checker.check_all(&sentences, &index.sentences)?;
    let source_of = |id: ArticleId| ingested.articles.iter().find(|a| a.id == id);
    let out: Vec<CheckedSentence> = sentences
        .into_iter()
        .zip(verdicts)
        .map(|(sentence, (verdict, _))| {
            let src = verdict.evidence.first().and_then(|e| source_of(e.source));
            CheckedSentence {
                sentence,
                source_path: src.map(|a| a.path.clone()),
                source_title: src.and_then(|a| a.title.clone()),
                verdict,
            }
        })
        .collect();
    match args.format {
        CheckFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "schema_version": brief::briefing::SCHEMA_VERSION,
                "text": text_path.display().to_string(),
                "judge": checker.judge.as_ref().map(|j| j.name.clone()),
                "sentences": out,
            }))?
        ),
        CheckFormat::Text => {
            for c in &out {
                let mark = if c.verdict.supported {
                    "supported  "
                } else {
                    "UNSUPPORTED"
                };
                println!("{mark} {:.2}  {}", c.verdict.score, c.sentence);
                if !c.verdict.supported {
                    println!("    why: {}", c.verdict.reason.describe());
                }
                if let Some(e) = c.verdict.evidence.first() {
                    let evidence: Vec<&str> = c
                        .verdict
                        .evidence
                        .iter()
                        .map(|e| e.sentence.as_str())
                        .collect();
                    println!(
                        "    evidence [{}] {}: {}",
                        e.source,
                        c.source_path.as_deref().unwrap_or(""),
                        evidence.join(" ")
                    );
                }
            }
        }
    }
    let unsupported = out.iter().filter(|c| !c.verdict.supported).count();
    if !global.quiet {
        eprintln!(
            "{} of {} sentences supported",
            out.len() - unsupported,
            out.len()
        );
    }
    Ok(if unsupported > 0 { UNSUPPORTED_EXIT } else { 0 })
}

fn load_judge(args: &CheckArgs, global: &Global) -> anyhow::Result<Option<(Model, String)>> {
    if args.judge == "none" {
        return Ok(None);
    }
    let resolved = resolve_model(
        &ModelSpec::parse(&args.judge),
        &global.models_dir,
        global.offline,
    )?;
    let fitting = args.data.is_some() && args.features.is_some();
    if !fitting && brief::check::judge_calibration(&resolved.name).is_none() {
        anyhow::bail!(UncalibratedJudge(resolved.name));
    }
    let on = model::device(args.device)?;
    let m = Model::load(&resolved.path, resolved.role, &on, args.weights)?;
    Ok(Some((m, resolved.name)))
}

fn read_text(path: &PathBuf) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok(s);
    }
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    String::from_utf8(bytes).map_err(|_| {
        anyhow::Error::new(ingest::IngestError::BadEntry {
            path: path.display().to_string(),
            entry: 0,
            reason: "not UTF-8 text".into(),
        })
    })
}

/// The prose of a Markdown text: headings, list markers, emphasis, links and citation marks
/// removed, one paragraph per line.
fn plain(markdown: &str) -> String {
    let mut out = Vec::new();
    for line in markdown.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with("---") || l.starts_with('|') {
            continue;
        }
        let l = l
            .trim_start_matches(['-', '*', '+', '>'])
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start_matches(['.', ')'])
            .trim();
        let (l, _) = brief::attribute::parse_citations(l);
        let l = l.replace(['*', '_'], "");
        let mut s = l.trim().to_string();
        if !s.ends_with(['.', '!', '?', '"', '”']) {
            s.push('.');
        }
        out.push(s);
    }
    out.join("\n")
}

fn table(r: &faith::FaithReport) -> String {
    let mut s = format!(
        "{} — judge: {}\n\n| set | claims | supported | balanced accuracy | ROC AUC |\n|---|---:|---:|---:|---:|\n",
        r.data,
        r.judge.as_deref().unwrap_or("none")
    );
    for (name, c) in r
        .corpora
        .iter()
        .chain(std::iter::once((&"pooled".to_string(), &r.pooled)))
    {
        s.push_str(&format!(
            "| {name} | {} | {} | {:.3} | {:.3} |\n",
            c.claims, c.supported, c.balanced_accuracy, c.auc
        ));
    }
    s.push_str(&format!("\n{:.0} s\n", r.secs));
    s
}
