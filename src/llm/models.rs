//! The architectures brief runs, one module each, with a backend per way of running it:
//! `llama` (llama and qwen2) through candle (`llama::candle`) or on brief's own kernels
//! (`llama::cpu`), and `gemma3` through candle (`gemma3`) or on the kernels (`gemma3::cpu`);
//! what the kernel backends share is in `kernels`. `bert` is the sentence encoder (MiniLM), on
//! the kernels only: an encoder, not a [`Decoder`]. Each decoder module has a `Config` read
//! from the GGUF metadata once; each backend is built from it by its own `load` and runs as a
//! [`Decoder`], which is all [`Model`](crate::llm::model::Model) knows of it.

use std::fmt;

use candle_core::quantized::gguf_file;
use candle_core::{DType, Tensor};

use crate::llm::model::ModelError;

pub mod bert;
pub mod gemma3;
pub mod kernels;
pub mod llama;

/// The most positions a sequence may hold, for every architecture: the llama backends build
/// their RoPE tables for this many, and a model's context length is capped here, so that
/// chunking decisions do not depend on the model.
pub const MAX_CONTEXT: usize = 4096;

/// What every backend implements: a decoder-only transformer over token ids with a KV cache.
/// Positions count from the start of a sequence; the logits are of the vocabulary.
pub trait Decoder: Send {
    /// Runs the model over `tokens` placed at `pos` of sequence 0 and returns the logits of
    /// the last of them. Earlier positions come from the cache; `pos` 0 starts a new sequence.
    fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>, ModelError>;

    /// Whether the backend holds several sequences at once ([`Decoder::forward_seq`] for any
    /// sequence, [`Decoder::forward_batch`]). Only brief's own kernels do.
    fn batches(&self) -> bool {
        false
    }

    /// Whether a forward pass at a position inside the cache drops what follows it and goes on
    /// from there (rather than failing), so a prompt that opens like the last one can start
    /// where they part. Only brief's own kernels do.
    fn rewinds(&self) -> bool {
        false
    }

    /// As [`Decoder::forward`], for sequence `seq` of several held at once (only 0 where the
    /// backend does not [batch](Decoder::batches)).
    fn forward_seq(
        &mut self,
        seq: usize,
        tokens: &[u32],
        pos: usize,
    ) -> Result<Vec<f32>, ModelError> {
        if seq == 0 {
            self.forward(tokens, pos)
        } else {
            Err(ModelError::inference(
                "this model holds one sequence at a time",
            ))
        }
    }

    /// One decode step of several sequences together: (sequence, token) each, the token going
    /// at the end of that sequence. Logits per step, in order.
    fn forward_batch(&mut self, _steps: &[(usize, u32)]) -> Result<Vec<Vec<f32>>, ModelError> {
        Err(ModelError::inference(
            "this model decodes one sequence at a time",
        ))
    }

    /// Forgets every cached key and value, so the next pass starts a new sequence at 0.
    fn reset(&mut self);
}

/// A candle backend's output, shape `(1, vocab)`, as the logits [`Decoder::forward`] returns.
fn last_logits(logits: &Tensor) -> Result<Vec<f32>, ModelError> {
    Ok(logits.squeeze(0)?.to_dtype(DType::F32)?.to_vec1::<f32>()?)
}

/// What a GGUF's `general.architecture` says, for the architectures brief runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    Llama,
    Qwen2,
    Gemma3,
}

impl Architecture {
    /// Reads `general.architecture` (the one place it is read). An architecture brief does not
    /// run is `Err` with the name the file gives (empty when it gives none).
    pub fn from_gguf(ct: &gguf_file::Content) -> Result<Self, String> {
        let name = ct
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        match name.as_str() {
            "llama" => Ok(Self::Llama),
            "qwen2" => Ok(Self::Qwen2),
            "gemma3" => Ok(Self::Gemma3),
            _ => Err(name),
        }
    }

    /// The GGUF name, which is also the prefix of the architecture's metadata keys.
    pub fn name(self) -> &'static str {
        match self {
            Self::Llama => "llama",
            Self::Qwen2 => "qwen2",
            Self::Gemma3 => "gemma3",
        }
    }

    /// The metadata key `KEY` of this architecture: `{name}.{KEY}`.
    pub fn key(self, key: &str) -> String {
        format!("{}.{key}", self.name())
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
