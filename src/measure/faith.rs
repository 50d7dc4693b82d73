//! `brief check --data`: the claim checker scored on human-labelled claims (one article, one
//! summary sentence, supported or not), by balanced accuracy and ROC AUC, per corpus and
//! pooled; and each claim's features written out for calibration.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::check::evidence::{embed_all, sentences_of};
use crate::check::features::Features;
use crate::check::{CheckError, Checker, Verdict};
use crate::ingest::sentences::Splitter;
use crate::ingest::ArticleId;
use crate::measure::eval::EvalError;

/// One labelled claim (`faith_dev.jsonl`'s line format).
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledClaim {
    pub id: String,
    pub document: String,
    pub claim: String,
    /// 1 supported, 0 not.
    pub label: u8,
    #[serde(default)]
    pub meta: serde_json::Value,
    #[serde(default)]
    pub origin: String,
}

impl LabelledClaim {
    /// The corpus a claim comes from, for per-corpus figures.
    pub fn corpus(&self) -> String {
        self.meta
            .get("corpus")
            .and_then(|c| c.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| "all".to_string())
    }
}

pub fn read(path: &Path) -> Result<Vec<LabelledClaim>, EvalError> {
    let f = std::fs::File::open(path).map_err(|e| EvalError::Data {
        path: path.display().to_string(),
        why: e.to_string(),
    })?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| EvalError::Data {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).map_err(|e| EvalError::Line {
            path: path.display().to_string(),
            line: i + 1,
            why: e.to_string(),
        })?);
    }
    if out.is_empty() {
        return Err(EvalError::Data {
            path: path.display().to_string(),
            why: "no labelled claims".into(),
        });
    }
    Ok(out)
}

/// Balanced accuracy and ROC AUC of one set of claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scores {
    pub claims: usize,
    pub supported: usize,
    pub balanced_accuracy: f64,
    pub auc: f64,
}

/// What a scoring run measured: per corpus and pooled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaithReport {
    pub data: String,
    /// The judge model, where one ran.
    pub judge: Option<String>,
    pub corpora: BTreeMap<String, Scores>,
    pub pooled: Scores,
    pub secs: f64,
}

/// One claim's result, for `--features`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scored {
    pub id: String,
    pub corpus: String,
    pub label: u8,
    pub verdict: Verdict,
    pub features: Features,
}

/// Checks every claim against its own document and scores the verdicts.
pub fn score(
    claims: &[LabelledClaim],
    checker: &mut Checker,
    data: &str,
    mut on_claim: impl FnMut(usize, usize),
) -> Result<(FaithReport, Vec<Scored>), CheckError> {
    let start = std::time::Instant::now();
    let splitter = Splitter::news();
    // Claims share documents; embed each document once.
    let mut docs: BTreeMap<&str, Vec<crate::check::evidence::Sentence>> = BTreeMap::new();
    let mut scored = Vec::with_capacity(claims.len());
    for (i, c) in claims.iter().enumerate() {
        if !docs.contains_key(c.document.as_str()) {
            let mut s = sentences_of(ArticleId(1), &c.document, &splitter);
            embed_all(&mut s, checker.embedder)?;
            docs.insert(&c.document, s);
        }
        let sentences = &docs[c.document.as_str()];
        let (verdict, features) = checker
            .check_all(std::slice::from_ref(&c.claim), sentences)?
            .remove(0);
        scored.push(Scored {
            id: c.id.clone(),
            corpus: c.corpus(),
            label: c.label,
            verdict,
            features,
        });
        on_claim(i + 1, claims.len());
    }
    let mut corpora = BTreeMap::new();
    let names: std::collections::BTreeSet<&str> =
        scored.iter().map(|s| s.corpus.as_str()).collect();
    for name in names {
        let part: Vec<&Scored> = scored.iter().filter(|s| s.corpus == name).collect();
        corpora.insert(name.to_string(), scores(&part));
    }
    let all: Vec<&Scored> = scored.iter().collect();
    let report = FaithReport {
        data: data.to_string(),
        judge: checker.judge.as_ref().map(|j| j.name.clone()),
        corpora,
        pooled: scores(&all),
        secs: start.elapsed().as_secs_f64(),
    };
    Ok((report, scored))
}

fn scores(part: &[&Scored]) -> Scores {
    let pos: Vec<&&Scored> = part.iter().filter(|s| s.label == 1).collect();
    let neg: Vec<&&Scored> = part.iter().filter(|s| s.label == 0).collect();
    let recall = |set: &[&&Scored], want: bool| {
        if set.is_empty() {
            return 0.0;
        }
        set.iter().filter(|s| s.verdict.supported == want).count() as f64 / set.len() as f64
    };
    let balanced = (recall(&pos, true) + recall(&neg, false)) / 2.0;
    let labels: Vec<bool> = part.iter().map(|s| s.label == 1).collect();
    let values: Vec<f64> = part.iter().map(|s| s.verdict.score as f64).collect();
    Scores {
        claims: part.len(),
        supported: pos.len(),
        balanced_accuracy: balanced,
        auc: auc(&values, &labels),
    }
}

/// ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half.
pub fn auc(values: &[f64], positive: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            ranks[order[k]] = r;
        }
        i = j + 1;
    }
    let n_pos = positive.iter().filter(|p| **p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return 0.5;
    }
    let sum: f64 = ranks
        .iter()
        .zip(positive)
        .filter(|(_, p)| **p)
        .map(|(r, _)| r)
        .sum();
    (sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// Writes one JSON line per claim.
pub fn write_features(path: &Path, scored: &[Scored]) -> std::io::Result<()> {
    let mut out = Vec::new();
    for s in scored {
        serde_json::to_writer(&mut out, s).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
    }
    crate::atomic::write(path, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_half_and_orders_right() {
        assert_eq!(auc(&[0.1, 0.9], &[false, true]), 1.0);
        assert_eq!(auc(&[0.9, 0.1], &[false, true]), 0.0);
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), 0.5);
        let a = auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]);
        assert!((a - 0.75).abs() < 1e-9, "{a}");
    }
}
