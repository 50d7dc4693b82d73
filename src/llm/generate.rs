//! Text generation: prefill the prompt in one forward pass, then decode token by token with the
//! KV cache until an end-of-turn token or the token budget.

use std::time::Instant;

use candle_transformers::generation::{LogitsProcessor, Sampling};

use crate::llm::model::{Model, ModelError};

/// Sampling and length settings; part of what a cached summary is keyed by.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct GenParams {
    pub max_tokens: usize,
    /// 0 means greedy decoding.
    pub temperature: f64,
    pub top_p: Option<f64>,
    pub seed: u64,
    /// Penalty on tokens seen in the last `repeat_last_n`; small models loop without it.
    pub repeat_penalty: f32,
    pub repeat_last_n: usize,
    /// Stop once the output holds this many complete sentences: summaries are trimmed to a
    /// sentence count anyway, and small models rarely stop on their own.
    #[serde(default)]
    pub max_sentences: Option<usize>,
}

impl Default for GenParams {
    fn default() -> Self {
        Self {
            max_tokens: 160,
            temperature: 0.0,
            top_p: None,
            seed: 299_792_458,
            repeat_penalty: 1.1,
            repeat_last_n: 64,
            max_sentences: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndOfTurn,
    Sentences,
    MaxTokens,
    ContextFull,
}

/// What one generation produced and what it cost.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    pub prefill_secs: f64,
    pub decode_secs: f64,
    pub stop: StopReason,
}

/// Token counts and timings summed over several generations.
#[derive(
    Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq, schemars::JsonSchema,
)]
pub struct Usage {
    pub calls: usize,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    pub prefill_secs: f64,
    pub decode_secs: f64,
}

impl Usage {
    pub fn add(&mut self, g: &Generation) {
        self.calls += 1;
        self.prompt_tokens += g.prompt_tokens;
        self.generated_tokens += g.generated_tokens;
        self.prefill_secs += g.prefill_secs;
        self.decode_secs += g.decode_secs;
    }

    pub fn merge(&mut self, other: &Usage) {
        self.calls += other.calls;
        self.prompt_tokens += other.prompt_tokens;
        self.generated_tokens += other.generated_tokens;
        self.prefill_secs += other.prefill_secs;
        self.decode_secs += other.decode_secs;
    }

    pub fn prefill_tok_per_s(&self) -> f64 {
        rate(self.prompt_tokens, self.prefill_secs)
    }

    pub fn decode_tok_per_s(&self) -> f64 {
        rate(self.generated_tokens, self.decode_secs)
    }
}

fn rate(n: usize, secs: f64) -> f64 {
    if secs > 0.0 {
        n as f64 / secs
    } else {
        0.0
    }
}

/// Tokenizes a rendered prompt; special-token text such as `<|im_start|>` becomes its single id.
pub fn encode(model: &Model, prompt: &str) -> Result<Vec<u32>, ModelError> {
    let enc = model
        .tokenizer
        .encode_fast(prompt, false)
        .map_err(|e| ModelError::Inference(candle_core::Error::Msg(e.to_string())))?;
    let mut ids = Vec::with_capacity(enc.len() + 1);
    if let Some(bos) = model.bos {
        if enc.get_ids().first() != Some(&bos) {
            ids.push(bos);
        }
    }
    ids.extend_from_slice(enc.get_ids());
    Ok(ids)
}

pub fn count_tokens(model: &Model, text: &str) -> Result<usize, ModelError> {
    model
        .tokenizer
        .encode_fast(text, false)
        .map(|e| e.len())
        .map_err(|e| ModelError::Inference(candle_core::Error::Msg(e.to_string())))
}

pub fn decode(model: &Model, ids: &[u32]) -> Result<String, ModelError> {
    model
        .tokenizer
        .decode(ids, true)
        .map_err(|e| ModelError::Inference(candle_core::Error::Msg(e.to_string())))
}

/// One prompt's generation in progress: the decisions of a decode step, shared by `generate`
/// and `generate_batch` so that both give the same tokens.
struct Stream {
    prompt_len: usize,
    max_new: usize,
    sampler: LogitsProcessor,
    out: Vec<u32>,
    stop: StopReason,
    done: bool,
    prefill_secs: f64,
    decode_secs: f64,
}

impl Stream {
    fn new(model: &Model, prompt_ids: &[u32], params: &GenParams) -> Self {
        let budget = model.context_length.saturating_sub(prompt_ids.len());
        let max_new = params.max_tokens.min(budget);
        let sampling = if params.temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            match params.top_p {
                Some(p) => Sampling::TopP {
                    p,
                    temperature: params.temperature,
                },
                None => Sampling::All {
                    temperature: params.temperature,
                },
            }
        };
        Self {
            prompt_len: prompt_ids.len(),
            max_new,
            sampler: LogitsProcessor::from_sampling(params.seed, sampling),
            out: Vec::new(),
            stop: if max_new < params.max_tokens {
                StopReason::ContextFull
            } else {
                StopReason::MaxTokens
            },
            done: max_new == 0,
            prefill_secs: 0.0,
            decode_secs: 0.0,
        }
    }

    /// Picks the next token from `logits`; returns the token to feed back (at the position
    /// `prompt_len + out.len() - 1`), or None once the stream has finished.
    fn step(
        &mut self,
        model: &Model,
        logits: &[f32],
        params: &GenParams,
    ) -> Result<Option<u32>, ModelError> {
        let next = pick(&mut self.sampler, logits, &self.out, params, &model.device)?;
        if model.stop_ids.contains(&next) {
            self.stop = StopReason::EndOfTurn;
            self.done = true;
            return Ok(None);
        }
        self.out.push(next);
        if self.out.len() == self.max_new {
            self.done = true;
            return Ok(None);
        }
        if let Some(n) = params.max_sentences {
            if complete_sentences(&decode(model, &self.out)?) >= n {
                self.stop = StopReason::Sentences;
                self.done = true;
                return Ok(None);
            }
        }
        Ok(Some(next))
    }

    fn finish(self, model: &Model) -> Result<Generation, ModelError> {
        Ok(Generation {
            text: decode(model, &self.out)?,
            prompt_tokens: self.prompt_len,
            generated_tokens: self.out.len(),
            prefill_secs: self.prefill_secs,
            decode_secs: self.decode_secs,
            stop: self.stop,
        })
    }
}

/// Generates a continuation of `prompt` (already rendered through the chat template, if any).
pub fn generate(
    model: &mut Model,
    prompt: &str,
    params: &GenParams,
) -> Result<Generation, ModelError> {
    let prompt_ids = encode(model, prompt)?;
    let mut stream = Stream::new(model, &prompt_ids, params);
    model.reset();

    let start = Instant::now();
    let mut logits = model.forward(&prompt_ids, 0)?;
    stream.prefill_secs = start.elapsed().as_secs_f64();

    let decode_start = Instant::now();
    while !stream.done {
        if let Some(next) = stream.step(model, &logits, params)? {
            logits = model.forward(&[next], stream.prompt_len + stream.out.len() - 1)?;
        }
    }
    stream.decode_secs = decode_start.elapsed().as_secs_f64();
    stream.finish(model)
}

/// Generates continuations of several prompts; where the model can (`Model::batches`), their
/// decode steps run together, one forward pass for all, so every weight is read once per step
/// instead of once per prompt. Each result is exactly what `generate` gives for its prompt
/// alone (tested); decode time is shared out equally among the prompts in each step.
pub fn generate_batch(
    model: &mut Model,
    prompts: &[String],
    params: &GenParams,
) -> Result<Vec<Generation>, ModelError> {
    if prompts.len() < 2 || !model.batches() {
        return prompts.iter().map(|p| generate(model, p, params)).collect();
    }
    model.reset();
    let mut streams = Vec::with_capacity(prompts.len());
    let mut logits = Vec::with_capacity(prompts.len());
    for (seq, prompt) in prompts.iter().enumerate() {
        let ids = encode(model, prompt)?;
        let mut stream = Stream::new(model, &ids, params);
        let start = Instant::now();
        logits.push(model.forward_seq(seq, &ids, 0)?);
        stream.prefill_secs = start.elapsed().as_secs_f64();
        streams.push(stream);
    }
    loop {
        let start = Instant::now();
        let mut steps = Vec::new();
        for (seq, stream) in streams.iter_mut().enumerate() {
            if !stream.done {
                if let Some(next) = stream.step(model, &logits[seq], params)? {
                    steps.push((seq, next));
                }
            }
        }
        let outs = model.forward_batch(&steps)?;
        let share = start.elapsed().as_secs_f64() / steps.len().max(1) as f64;
        for (&(seq, _), l) in steps.iter().zip(outs) {
            logits[seq] = l;
            streams[seq].decode_secs += share;
        }
        if steps.is_empty() {
            break;
        }
    }
    model.reset();
    streams.into_iter().map(|s| s.finish(model)).collect()
}

/// Sentence ends followed by more text; the last sentence counts once the next one begins, so
/// an abbreviation at the very end does not stop generation early.
fn complete_sentences(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    let mut n = 0;
    for w in chars.windows(3) {
        let closes = matches!(w[1], '"' | '”' | '’' | ')');
        if matches!(w[0], '.' | '!' | '?')
            && (w[1].is_whitespace() || (closes && w[2].is_whitespace()))
        {
            n += 1;
        }
    }
    n
}

fn pick(
    sampler: &mut LogitsProcessor,
    logits: &[f32],
    out: &[u32],
    params: &GenParams,
    device: &candle_core::Device,
) -> Result<u32, ModelError> {
    let mut logits = candle_core::Tensor::new(logits, device)?;
    if params.repeat_penalty != 1.0 {
        // Only the output is penalised: copying the article's own words is what a faithful
        // summary should do.
        let recent: Vec<u32> = out
            .iter()
            .rev()
            .take(params.repeat_last_n)
            .copied()
            .collect();
        logits = candle_transformers::utils::apply_repeat_penalty(
            &logits,
            params.repeat_penalty,
            &recent,
        )?;
    }
    Ok(sampler.sample(&logits)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::model::WeightFormat;

    #[test]
    fn a_batch_generates_exactly_what_each_prompt_generates_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        crate::testing::write_tiny_llama(&path, 9).unwrap();
        let mut m =
            Model::load(&path, None, &candle_core::Device::Cpu, WeightFormat::Fast).unwrap();
        assert!(m.batches());
        // More prompts than the dense path's threshold, so a decode batch is a tall input.
        let prompts: Vec<String> = (0..10)
            .map(|i| {
                ["a b c", "the the a b c d e f g", "x", "c b a c b a"][i % 4].repeat(1 + i / 4)
            })
            .collect();
        for params in [
            GenParams {
                max_tokens: 12,
                ..GenParams::default()
            },
            GenParams {
                max_tokens: 9,
                temperature: 0.9,
                top_p: Some(0.9),
                ..GenParams::default()
            },
        ] {
            let alone: Vec<Generation> = prompts
                .iter()
                .map(|p| generate(&mut m, p, &params).unwrap())
                .collect();
            let together = generate_batch(&mut m, &prompts, &params).unwrap();
            for (a, b) in alone.iter().zip(&together) {
                assert_eq!(a.text, b.text);
                assert_eq!(a.generated_tokens, b.generated_tokens);
                assert_eq!(a.stop, b.stop);
            }
            assert!(together.iter().any(|g| g.generated_tokens > 0));
        }
    }
    #[test]
    fn counts_sentences_that_are_followed_by_more_text() {
        assert_eq!(super::complete_sentences("One. Two."), 1);
        assert_eq!(super::complete_sentences("One. Two. Th"), 2);
        assert_eq!(super::complete_sentences("He said “no.” Then"), 1);
    }
}
