//! A language model's own judgement of support: the probability it gives "yes" against "no"
//! as the first word of its answer to "does the passage support the statement?" (the prompt
//! is `prompts/check.j2`, or `check.base.j2` for a base model). One forward pass over the
//! prompt, no generation.

use minijinja::context;

use crate::llm::generate::encode;
use crate::llm::model::{Model, ModelError};
use crate::llm::prompts::Prompts;
use crate::summarize::render_prompt;

/// A loaded model used as a judge, with the token ids that start a "yes" or a "no".
pub struct Judge<'m> {
    model: &'m mut Model,
    prompts: &'m Prompts,
    yes: Vec<u32>,
    no: Vec<u32>,
    /// The model's name, for the calibration that fits it.
    pub name: String,
    /// The last prompt's tokens, which the model's cache holds: claims checked against the
    /// same passage share everything up to the statement.
    cached: Vec<u32>,
}

/// The most characters of source a judge reads (about 1,000 tokens): a whole news article of
/// typical length, or the part around the window of a longer one ([`features::passage`]); a
/// run-on "sentence" from a scraper is cut to it too.
///
/// [`features::passage`]: crate::check::features::passage
pub const PASSAGE_CHARS: usize = 4_000;

impl<'m> Judge<'m> {
    pub fn new(model: &'m mut Model, prompts: &'m Prompts, name: &str) -> Result<Self, ModelError> {
        let ids = |words: &[&str], model: &Model| -> Result<Vec<u32>, ModelError> {
            let mut out = Vec::new();
            for w in words {
                let enc = model
                    .tokenizer
                    .encode_fast(*w, false)
                    .map_err(|e| ModelError::inference(e.to_string()))?;
                if let Some(&first) = enc.get_ids().first() {
                    if !out.contains(&first) {
                        out.push(first);
                    }
                }
            }
            Ok(out)
        };
        let yes = ids(&["Yes", "yes", " Yes", " yes", "YES"], model)?;
        let no = ids(&["No", "no", " No", " no", "NO"], model)?;
        Ok(Self {
            model,
            prompts,
            yes,
            no,
            name: name.to_string(),
            cached: Vec::new(),
        })
    }

    /// P(yes) / (P(yes) + P(no)) for the first token of the answer.
    pub fn probability(&mut self, passage: &str, statement: &str) -> Result<f32, ModelError> {
        let passage: String = passage.chars().take(PASSAGE_CHARS).collect();
        let prompt = render_prompt(
            self.model,
            self.prompts,
            "check",
            context! { passage => passage, statement => statement },
        )
        .map_err(|e| ModelError::inference(e.to_string()))?;
        let ids = encode(self.model, &prompt)?;
        // At least the last token is run again: its logits are the answer.
        let shared = if self.model.rewinds() {
            self.cached
                .iter()
                .zip(&ids)
                .take_while(|(a, b)| a == b)
                .count()
                .min(ids.len().saturating_sub(1))
        } else {
            0
        };
        if shared == 0 {
            self.model.reset();
        }
        self.cached.clear();
        let logits = self.model.forward(&ids[shared..], shared)?;
        self.cached = ids;
        let lse = |set: &[u32]| -> f32 {
            let vals: Vec<f32> = set
                .iter()
                .filter_map(|&i| logits.get(i as usize).copied())
                .collect();
            let m = vals.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            m + vals.iter().map(|v| (v - m).exp()).sum::<f32>().ln()
        };
        let (y, n) = (lse(&self.yes), lse(&self.no));
        Ok(1.0 / (1.0 + (n - y).exp()))
    }
}
