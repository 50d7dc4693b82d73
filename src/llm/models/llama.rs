//! The llama family (llama, qwen2): one architecture, two backends.
//!
//! [`Config`] is read from the GGUF metadata once, and both backends run on it:
//! [`candle`] (candle's tensors: dense f32 for prefill and Q8_0 for decode, or dense only, the
//! reference) and [`cpu`] (brief's own kernels on the file's quantized blocks). Qwen2 differs
//! from llama only in two switches of the config: NEOX RoPE and biased q, k, v projections.

use candle_core::quantized::gguf_file;

use crate::llm::models::Architecture;

pub mod candle;
pub mod cpu;

/// A hyperparameter the file does not give (or gives in the wrong type).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("GGUF metadata has no {0}")]
    Missing(String),
    #[error("GGUF metadata has no {0} (a number)")]
    NotANumber(String),
}

/// The hyperparameters of a llama or qwen2 checkpoint, from the metadata under the
/// architecture's prefix (`llama.…`, `qwen2.…`).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Width of the residual stream (`embedding_length`).
    pub n_embd: usize,
    /// Query heads (`attention.head_count`).
    pub n_head: usize,
    /// Key/value heads (`attention.head_count_kv`); query heads share them in groups.
    pub n_kv_head: usize,
    /// Layers (`block_count`).
    pub n_layer: usize,
    /// `n_embd / n_head`.
    pub head_dim: usize,
    /// Dimensions of each head that RoPE rotates (`rope.dimension_count`, else `head_dim`).
    pub rope_dim: usize,
    /// RoPE base frequency (`rope.freq_base`, else 10 000).
    pub rope_base: f32,
    /// RMS norm epsilon (`attention.layer_norm_rms_epsilon`).
    pub eps: f32,
    /// RoPE rotates the two halves of a head (qwen2) rather than interleaved pairs (llama,
    /// whose GGUF conversion permutes q and k for it).
    pub neox: bool,
    /// The q, k and v projections have biases (qwen2).
    pub qkv_bias: bool,
}

impl Config {
    /// Reads the hyperparameters of `arch` (llama or qwen2) from `ct`'s metadata.
    pub fn from_gguf(ct: &gguf_file::Content, arch: Architecture) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            let key = arch.key(k);
            ct.metadata.get(&key).ok_or(ConfigError::Missing(key))
        };
        let num = |k: &str| -> Result<usize, ConfigError> {
            get(k)?
                .to_u32()
                .map(|v| v as usize)
                .map_err(|_| ConfigError::NotANumber(arch.key(k)))
        };
        let n_embd = num("embedding_length")?;
        let n_head = num("attention.head_count")?;
        let n_kv_head = num("attention.head_count_kv")?;
        let n_layer = num("block_count")?;
        let head_dim = n_embd / n_head;
        let rope_dim = num("rope.dimension_count").unwrap_or(head_dim);
        let rope_base = get("rope.freq_base")
            .ok()
            .and_then(|v| v.to_f32().ok())
            .unwrap_or(10_000.0);
        let eps_key = "attention.layer_norm_rms_epsilon";
        let eps = get(eps_key)?
            .to_f32()
            .map_err(|_| ConfigError::NotANumber(arch.key(eps_key)))?;
        let qwen2 = arch == Architecture::Qwen2;
        Ok(Self {
            n_embd,
            n_head,
            n_kv_head,
            n_layer,
            head_dim,
            rope_dim,
            rope_base,
            eps,
            neox: qwen2,
            qkv_bias: qwen2,
        })
    }

    /// Width of one position's keys (or values): every kv head.
    pub fn kv_dim(&self) -> usize {
        self.n_kv_head * self.head_dim
    }

    /// RoPE's rotation rate of each pair of dimensions, `rope_dim / 2` of them: both backends
    /// build their tables from these, so that they rotate identically.
    pub fn rope_freqs(&self) -> Vec<f32> {
        (0..self.rope_dim)
            .step_by(2)
            .map(|i| 1f32 / self.rope_base.powf(i as f32 / self.rope_dim as f32))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(md: &[(&str, gguf_file::Value)]) -> gguf_file::Content {
        gguf_file::Content {
            magic: gguf_file::VersionedMagic::GgufV3,
            metadata: md.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            tensor_infos: Default::default(),
            tensor_data_offset: 0,
        }
    }

    #[test]
    fn reads_the_keys_under_the_architectures_prefix() {
        use gguf_file::Value::{F32, U32};
        let ct = content(&[
            ("qwen2.embedding_length", U32(64)),
            ("qwen2.attention.head_count", U32(4)),
            ("qwen2.attention.head_count_kv", U32(2)),
            ("qwen2.block_count", U32(3)),
            ("qwen2.attention.layer_norm_rms_epsilon", F32(1e-6)),
        ]);
        let cfg = Config::from_gguf(&ct, Architecture::Qwen2).unwrap();
        assert_eq!(
            (cfg.head_dim, cfg.rope_dim, cfg.kv_dim(), cfg.rope_base),
            (16, 16, 32, 10_000.0)
        );
        assert!(cfg.neox && cfg.qkv_bias);
        let e = Config::from_gguf(&ct, Architecture::Llama).unwrap_err();
        assert_eq!(e.to_string(), "GGUF metadata has no llama.embedding_length");
    }
}
