//! The figures a comparison reports, which way is better for each, and which got worse than
//! in an earlier `compare.json` beyond a relative tolerance.

use serde::{Deserialize, Serialize};

use super::{CompareReport, ModelResult};

/// Quality regressions fail `--fail-on-regression`; speed ones only `--fail-on-speed`, since
/// timings on a shared machine are noisy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Quality,
    Speed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// One column of the metrics tables.
pub struct Figure {
    pub key: &'static str,
    pub title: &'static str,
    pub kind: Kind,
    /// `None` for figures that are neither better nor worse when they move (length).
    pub better: Option<Better>,
    pub decimals: usize,
    pub value: fn(&ModelResult) -> Option<f64>,
}

impl Figure {
    pub fn format(&self, m: &ModelResult) -> String {
        match (self.value)(m) {
            Some(v) => format!("{v:.*}", self.decimals),
            None => "–".to_string(),
        }
    }
}

pub const QUALITY: &[Figure] = &[
    Figure {
        key: "rouge1",
        title: "R-1",
        kind: Kind::Quality,
        better: Some(Better::Higher),
        decimals: 2,
        value: |m| m.quality.rouge1,
    },
    Figure {
        key: "rouge2",
        title: "R-2",
        kind: Kind::Quality,
        better: Some(Better::Higher),
        decimals: 2,
        value: |m| m.quality.rouge2,
    },
    Figure {
        key: "rouge_lsum",
        title: "R-Lsum",
        kind: Kind::Quality,
        better: Some(Better::Higher),
        decimals: 2,
        value: |m| m.quality.rouge_lsum,
    },
    Figure {
        key: "words",
        title: "words",
        kind: Kind::Quality,
        better: None,
        decimals: 1,
        value: |m| Some(m.quality.words),
    },
    Figure {
        key: "points",
        title: "points",
        kind: Kind::Quality,
        better: Some(Better::Higher),
        decimals: 0,
        value: |m| Some(m.quality.points as f64),
    },
    Figure {
        key: "citations_per_point",
        title: "citations/point",
        kind: Kind::Quality,
        better: None,
        decimals: 2,
        value: |m| Some(m.quality.citations_per_point),
    },
    Figure {
        key: "dropped",
        title: "dropped (unsupported)",
        kind: Kind::Quality,
        better: Some(Better::Lower),
        decimals: 0,
        value: |m| Some(m.quality.dropped as f64),
    },
];

pub const SPEED: &[Figure] = &[
    Figure {
        key: "prefill_tok_per_s",
        title: "prefill tok/s",
        kind: Kind::Speed,
        better: Some(Better::Higher),
        decimals: 1,
        value: |m| Some(m.speed.prefill_tok_per_s),
    },
    Figure {
        key: "decode_tok_per_s",
        title: "decode tok/s",
        kind: Kind::Speed,
        better: Some(Better::Higher),
        decimals: 1,
        value: |m| Some(m.speed.decode_tok_per_s),
    },
    Figure {
        key: "load_secs",
        title: "load s",
        kind: Kind::Speed,
        better: Some(Better::Lower),
        decimals: 2,
        value: |m| Some(m.speed.load_secs),
    },
    Figure {
        key: "wall_secs",
        title: "wall s",
        kind: Kind::Speed,
        better: Some(Better::Lower),
        decimals: 1,
        value: |m| Some(m.speed.wall_secs),
    },
    Figure {
        key: "peak_rss_mib",
        title: "peak RSS MiB",
        kind: Kind::Speed,
        better: Some(Better::Lower),
        decimals: 0,
        value: |m| m.speed.peak_rss_mib,
    },
    Figure {
        key: "prompt_tokens",
        title: "tokens in",
        kind: Kind::Speed,
        better: None,
        decimals: 0,
        value: |m| Some(m.speed.prompt_tokens as f64),
    },
    Figure {
        key: "generated_tokens",
        title: "tokens out",
        kind: Kind::Speed,
        better: None,
        decimals: 0,
        value: |m| Some(m.speed.generated_tokens as f64),
    },
];

/// The figures at least one model has (no ROUGE columns without references).
pub fn present<'a>(figures: &'a [Figure], models: &[ModelResult]) -> Vec<&'a Figure> {
    figures
        .iter()
        .filter(|f| models.iter().any(|m| (f.value)(m).is_some()))
        .collect()
}

/// A figure that got worse than in the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Regression {
    pub model: String,
    pub figure: String,
    pub kind: Kind,
    pub old: f64,
    pub new: f64,
    /// How much worse, as a fraction of the old value; `None` when the old value was 0.
    pub change: Option<f64>,
}

impl Regression {
    /// The mark shown beside the figure: "▼ 12%".
    pub fn mark(&self) -> String {
        match self.change {
            Some(c) => format!("▼ {:.0}%", c * 100.0),
            None => "▼ (was 0)".to_string(),
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} {} {} → {} {}",
            self.model,
            self.figure,
            trim(self.old),
            trim(self.new),
            self.mark()
        )
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Compares every model with its namesake (by label) in `old`.
pub fn compare(
    path: &str,
    old: &CompareReport,
    new: &[ModelResult],
    tolerance: f64,
) -> super::BaselineInfo {
    let mut regressions = Vec::new();
    let mut unmatched = Vec::new();
    for m in new {
        let Some(o) = old.models.iter().find(|o| o.label == m.label) else {
            unmatched.push(m.label.clone());
            continue;
        };
        for f in QUALITY.iter().chain(SPEED) {
            let (Some(better), Some(was), Some(now)) = (f.better, (f.value)(o), (f.value)(m))
            else {
                continue;
            };
            if let Some(change) = worse(better, was, now, tolerance) {
                regressions.push(Regression {
                    model: m.label.clone(),
                    figure: f.key.to_string(),
                    kind: f.kind,
                    old: was,
                    new: now,
                    change,
                });
            }
        }
    }
    super::BaselineInfo {
        path: path.to_string(),
        tolerance,
        regressions,
        unmatched,
    }
}

/// `Some(relative worsening)` when `now` is worse than `was` by more than `tolerance`
/// (relative to `was`); the inner `None` when `was` is 0 and any worsening is infinite.
fn worse(better: Better, was: f64, now: f64, tolerance: f64) -> Option<Option<f64>> {
    let loss = match better {
        Better::Higher => was - now,
        Better::Lower => now - was,
    };
    if loss <= 0.0 {
        return None;
    }
    if was.abs() < f64::EPSILON {
        return Some(None);
    }
    let rel = loss / was.abs();
    (rel > tolerance).then_some(Some(rel))
}

/// The regression, if any, for one model's figure: what the tables mark.
pub fn find<'a>(
    regressions: &'a [Regression],
    model: &str,
    figure: &str,
) -> Option<&'a Regression> {
    regressions
        .iter()
        .find(|r| r.model == model && r.figure == figure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worse_is_relative_and_directional() {
        assert_eq!(worse(Better::Higher, 40.0, 39.0, 0.05), None);
        assert_eq!(worse(Better::Higher, 40.0, 30.0, 0.05), Some(Some(0.25)));
        assert_eq!(worse(Better::Higher, 40.0, 50.0, 0.05), None);
        assert_eq!(worse(Better::Lower, 10.0, 12.0, 0.05), Some(Some(0.2)));
        assert_eq!(worse(Better::Lower, 10.0, 8.0, 0.05), None);
        assert_eq!(worse(Better::Lower, 0.0, 1.0, 0.05), Some(None));
        assert_eq!(worse(Better::Lower, 0.0, 0.0, 0.05), None);
    }

    #[test]
    fn marks_read_as_percentages() {
        let r = Regression {
            model: "m".into(),
            figure: "rouge1".into(),
            kind: Kind::Quality,
            old: 40.0,
            new: 35.2,
            change: Some(0.12),
        };
        assert_eq!(r.mark(), "▼ 12%");
        assert_eq!(r.describe(), "m rouge1 40 → 35.2 ▼ 12%");
    }
}
