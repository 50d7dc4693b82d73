//! A [`RunConfig`] without its inputs and model, as JSON, so a worker process runs with exactly
//! the parameters its parent was given.

use std::path::PathBuf;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::ingest::IngestOptions;
use crate::llm::generate::GenParams;
use crate::llm::registry::ModelSpec;
use crate::pipeline::RunConfig;
use crate::summarize::Style;

#[derive(Debug, thiserror::Error)]
#[error("unknown {what} `{value}` in a worker job")]
pub struct JobError {
    what: &'static str,
    value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub models_dir: PathBuf,
    pub offline: bool,
    pub prompts_dir: Option<PathBuf>,
    pub summary_params: GenParams,
    pub briefing_params: GenParams,
    pub points: usize,
    pub words: Option<usize>,
    pub mode: crate::attribute::Mode,
    pub keep_unsupported: bool,
    pub summaries: bool,
    pub style: Style,
    /// `DeviceChoice` and `WeightFormat` by their command-line names (they are not
    /// `Deserialize`).
    pub device: String,
    pub weights: String,
    pub max_bytes: u64,
}

impl Settings {
    pub fn of(cfg: &RunConfig) -> Self {
        Self {
            models_dir: cfg.models_dir.clone(),
            offline: cfg.offline,
            prompts_dir: cfg.prompts_dir.clone(),
            summary_params: cfg.summary_params.clone(),
            briefing_params: cfg.briefing_params.clone(),
            points: cfg.points,
            words: cfg.words,
            mode: cfg.mode,
            keep_unsupported: cfg.keep_unsupported,
            summaries: cfg.summaries,
            style: cfg.style,
            device: value_name(cfg.device),
            weights: value_name(cfg.weights),
            max_bytes: cfg.ingest.max_bytes,
        }
    }

    /// The run configuration for `model`, with no inputs (workers are handed their articles).
    pub fn config(&self, model: &str) -> Result<RunConfig, JobError> {
        Ok(RunConfig {
            inputs: Vec::new(),
            model: ModelSpec::parse(model),
            models_dir: self.models_dir.clone(),
            offline: self.offline,
            prompts_dir: self.prompts_dir.clone(),
            summary_params: self.summary_params.clone(),
            briefing_params: self.briefing_params.clone(),
            points: self.points,
            words: self.words,
            mode: self.mode,
            keep_unsupported: self.keep_unsupported,
            summaries: self.summaries,
            style: self.style,
            device: parse_value("device", &self.device)?,
            weights: parse_value("weight format", &self.weights)?,
            ingest: IngestOptions {
                max_bytes: self.max_bytes,
            },
        })
    }
}

pub fn value_name<T: ValueEnum>(v: T) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

fn parse_value<T: ValueEnum>(what: &'static str, s: &str) -> Result<T, JobError> {
    T::from_str(s, false).map_err(|_| JobError {
        what,
        value: s.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::model::{DeviceChoice, WeightFormat};

    #[test]
    fn settings_survive_a_round_trip_through_json() {
        let cfg = RunConfig {
            inputs: Vec::new(),
            model: ModelSpec::parse("m"),
            models_dir: "/m".into(),
            offline: true,
            prompts_dir: None,
            summary_params: GenParams::default(),
            briefing_params: GenParams {
                max_tokens: 240,
                ..GenParams::default()
            },
            points: 5,
            words: Some(120),
            mode: crate::attribute::Mode::Hybrid,
            keep_unsupported: true,
            summaries: false,
            style: Style::Oneline,
            device: DeviceChoice::Cpu,
            weights: WeightFormat::AsFile,
            ingest: IngestOptions::default(),
        };
        let s = Settings::of(&cfg);
        let back: Settings = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        let cfg2 = back.config("m").unwrap();
        assert_eq!(cfg2.weights, WeightFormat::AsFile);
        assert_eq!(cfg2.briefing_params.max_tokens, 240);
        assert_eq!(cfg2.style, Style::Oneline);
    }
}
