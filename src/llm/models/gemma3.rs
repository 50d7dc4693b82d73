//! Gemma 3 (text) on quantized GGUF weights.
//!
//! Adapted from candle-transformers 0.11.1, `src/models/quantized_gemma3.rs`
//! (Copyright The HuggingFace candle authors; dual-licensed under Apache-2.0 or MIT,
//! <https://github.com/huggingface/candle>).
//!
//! What was wrong upstream, and what this copy does instead:
//! - The MLP used SiLU. Gemma 3 is trained with `gelu_pytorch_tanh`, so the gate goes through
//!   the tanh approximation of GELU (`Tensor::gelu`, not `gelu_erf`). With SiLU the output is
//!   garbage.
//! - Single-token decode steps ran without any mask, so sliding-window layers attended to the
//!   whole cache once the context passed the window. Sliding layers now keep only the last
//!   `window - 1` keys (all a later query may see), and any step that attends over keys it must
//!   not see gets a mask built from absolute positions.
//! - Chunked prefill (`index_pos > 0`, `seq_len > 1`) concatenated an f32 block onto a u32 mask
//!   (dtype error) and that block also hid the whole cached prefix. The mask is now one additive
//!   f32 tensor computed from query and key positions.
//! - Each layer built its own 131,072-position RoPE table (about 2.3 GB, seconds at load). There
//!   are now two shared tables (local and global base frequency), sized to the context actually
//!   used and grown on demand up to the model's context length.
//! - The window admitted `window + 1` keys. Like HF and llama.cpp, a query at position `i` now
//!   sees key `j` only when `i - j < window`.
//!
//! Also unlike upstream: the (tied) token embedding stays quantized and rows are dequantized on
//! lookup, instead of keeping a 670 MB f32 copy of a 262k x 640 table; `forward` refuses an
//! `index_pos` that does not continue the KV cache instead of silently misplacing tokens; global
//! layers honour `rope.scaling.factor` (linear, as llama.cpp does) and the 27B size gets its
//! attention scale.

use std::io::{Read, Seek};
use std::sync::Arc;

use candle_core::quantized::{gguf_file, QMatMul, QTensor};
use candle_core::{bail, DType, Device, IndexOp, Module, Result, Tensor};
use candle_transformers::quantized_nn::RmsNorm;
use candle_transformers::utils::repeat_kv;

use crate::llm::model::ModelError;
use crate::llm::models::{last_logits, Decoder};

pub mod cpu;

/// RoPE positions computed at load time; longer contexts grow the tables on demand.
const INITIAL_ROPE_POSITIONS: usize = 8192;
/// Gemma 3 alternates five sliding-window layers with one global layer.
const DEFAULT_SLIDING_WINDOW_PATTERN: usize = 6;
const DEFAULT_ROPE_FREQ_BASE: f32 = 1_000_000.;
const DEFAULT_ROPE_FREQ_BASE_LOCAL: f32 = 10_000.;
/// Gemma 3 27B is the one size whose `query_pre_attn_scalar` is not `head_dim`
/// (llama.cpp special-cases it the same way).
const GEMMA3_27B_BLOCK_COUNT: usize = 62;

/// The hyper-parameters read from the GGUF metadata.
#[derive(Debug, Clone)]
pub struct Config {
    head_count: usize,
    head_count_kv: usize,
    block_count: usize,
    embedding_length: usize,
    head_dim: usize,
    rms_norm_eps: f64,
    sliding_window: usize,
    sliding_window_pattern: usize,
    rope_freq_base: f32,
    rope_freq_base_local: f32,
    /// Linear RoPE scaling of the global layers (`rope.scaling.factor`, 1 when absent).
    rope_scaling_factor: f32,
    context_length: usize,
}

impl Config {
    /// Reads the hyper-parameters from `ct`'s metadata.
    pub fn from_gguf(ct: &gguf_file::Content) -> Result<Self> {
        // Several Gemma generations share this layout; probe which prefix the file uses.
        let prefix = ["gemma3", "gemma2", "gemma", "gemma-embedding"]
            .into_iter()
            .find(|p| {
                ct.metadata
                    .contains_key(&format!("{p}.attention.head_count"))
            })
            .unwrap_or("gemma3");
        let get = |key: &str| {
            let key = format!("{prefix}.{key}");
            ct.metadata
                .get(&key)
                .ok_or_else(|| candle_core::Error::Msg(format!("cannot find {key} in metadata")))
        };
        let get_usize = |key: &str| get(key).and_then(|v| v.to_u32()).map(|v| v as usize);
        let get_f32_or =
            |key: &str, default: f32| get(key).and_then(|v| v.to_f32()).unwrap_or(default);

        let head_count = get_usize("attention.head_count")?;
        let head_count_kv = get_usize("attention.head_count_kv")?;
        if head_count_kv == 0 || !head_count.is_multiple_of(head_count_kv) {
            bail!("head_count {head_count} is not a multiple of head_count_kv {head_count_kv}")
        }
        let sliding_window = get_usize("attention.sliding_window")?;
        let sliding_window_pattern =
            get_usize("attention.sliding_window_type").unwrap_or(DEFAULT_SLIDING_WINDOW_PATTERN);
        if sliding_window == 0 || sliding_window_pattern == 0 {
            bail!("sliding window {sliding_window} / pattern {sliding_window_pattern} must be > 0")
        }
        let rope_scaling_factor = get_f32_or("rope.scaling.factor", 1.0);
        Ok(Self {
            head_count,
            head_count_kv,
            block_count: get_usize("block_count")?,
            embedding_length: get_usize("embedding_length")?,
            head_dim: get_usize("attention.key_length")?,
            rms_norm_eps: get("attention.layer_norm_rms_epsilon")?.to_f32()? as f64,
            sliding_window,
            sliding_window_pattern,
            rope_freq_base: get_f32_or("rope.freq_base", DEFAULT_ROPE_FREQ_BASE),
            rope_freq_base_local: get_f32_or("rope.local_freq_base", DEFAULT_ROPE_FREQ_BASE_LOCAL),
            rope_scaling_factor: if rope_scaling_factor > 0.0 {
                rope_scaling_factor
            } else {
                1.0
            },
            context_length: get_usize("context_length").unwrap_or(INITIAL_ROPE_POSITIONS),
        })
    }

    fn is_sliding(&self, layer_idx: usize) -> bool {
        !(layer_idx + 1).is_multiple_of(self.sliding_window_pattern)
    }

    fn attention_scale(&self) -> f64 {
        let scalar = if self.block_count == GEMMA3_27B_BLOCK_COUNT {
            self.embedding_length / self.head_count
        } else {
            self.head_dim
        };
        1.0 / (scalar as f64).sqrt()
    }
}

/// cos/sin tables for one RoPE base frequency, shape `(positions, head_dim / 2)`.
#[derive(Debug, Clone)]
struct RopeTable {
    inv_freq: Vec<f32>,
    cos: Tensor,
    sin: Tensor,
}

impl RopeTable {
    fn new(
        head_dim: usize,
        base: f32,
        scaling: f32,
        positions: usize,
        dev: &Device,
    ) -> Result<Self> {
        // Linear scaling divides positions by the factor, i.e. the frequencies.
        let inv_freq: Vec<f32> = (0..head_dim)
            .step_by(2)
            .map(|i| 1f32 / base.powf(i as f32 / head_dim as f32) / scaling)
            .collect();
        let (cos, sin) = Self::tables(&inv_freq, positions, dev)?;
        Ok(Self { inv_freq, cos, sin })
    }

    fn tables(inv_freq: &[f32], positions: usize, dev: &Device) -> Result<(Tensor, Tensor)> {
        let inv_freq = Tensor::new(inv_freq, dev)?.reshape((1, inv_freq.len()))?;
        let angles = Tensor::arange(0u32, positions as u32, dev)?
            .to_dtype(DType::F32)?
            .reshape((positions, 1))?
            .matmul(&inv_freq)?;
        Ok((angles.cos()?, angles.sin()?))
    }

    fn positions(&self) -> usize {
        self.cos.dims()[0]
    }

    fn grow(&mut self, positions: usize) -> Result<()> {
        let (cos, sin) = Self::tables(&self.inv_freq, positions, self.cos.device())?;
        self.cos = cos;
        self.sin = sin;
        Ok(())
    }

    /// Rotates `x` of shape `(batch, heads, seq, head_dim)` for positions `start..start + seq`.
    fn apply(&self, x: &Tensor, start: usize) -> Result<Tensor> {
        let seq_len = x.dim(2)?;
        let cos = self.cos.narrow(0, start, seq_len)?;
        let sin = self.sin.narrow(0, start, seq_len)?;
        candle_nn::rotary_emb::rope(&x.contiguous()?, &cos, &sin)
    }
}

/// The two RoPE tables every layer shares: sliding layers use the local base frequency,
/// global layers the (possibly scaled) global one.
#[derive(Debug, Clone)]
struct Rope {
    local: RopeTable,
    global: RopeTable,
    max_positions: usize,
}

impl Rope {
    fn new(cfg: &Config, dev: &Device) -> Result<Self> {
        let max_positions = cfg.context_length.max(1);
        let positions = max_positions.min(INITIAL_ROPE_POSITIONS);
        let local = RopeTable::new(cfg.head_dim, cfg.rope_freq_base_local, 1.0, positions, dev)?;
        let global = RopeTable::new(
            cfg.head_dim,
            cfg.rope_freq_base,
            cfg.rope_scaling_factor,
            positions,
            dev,
        )?;
        Ok(Self {
            local,
            global,
            max_positions,
        })
    }

    /// Makes sure positions `0..end` are tabulated, doubling to keep regrowth rare.
    fn ensure(&mut self, end: usize) -> Result<()> {
        if end > self.max_positions {
            bail!(
                "sequence of {end} tokens exceeds the model's context length of {}",
                self.max_positions
            )
        }
        let have = self.local.positions();
        if end <= have {
            return Ok(());
        }
        let positions = end.max(have * 2).min(self.max_positions);
        self.local.grow(positions)?;
        self.global.grow(positions)
    }

    fn table(&self, sliding: bool) -> &RopeTable {
        if sliding {
            &self.local
        } else {
            &self.global
        }
    }
}

/// The token embedding, kept quantized when its rows can be dequantized one by one.
#[derive(Debug, Clone)]
enum TokenEmbedding {
    Quantized(Arc<QTensor>),
    Dense(candle_nn::Embedding),
}

impl TokenEmbedding {
    fn new(weights: Arc<QTensor>, hidden: usize, dev: &Device) -> Result<Self> {
        if hidden.is_multiple_of(weights.dtype().block_size()) {
            Ok(Self::Quantized(weights))
        } else {
            let dense = weights.dequantize(dev)?;
            Ok(Self::Dense(candle_nn::Embedding::new(dense, hidden)))
        }
    }

    fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        match self {
            Self::Quantized(w) => w.embedding(ids),
            Self::Dense(e) => e.forward(ids),
        }
    }
}

#[derive(Debug, Clone)]
struct Mlp {
    gate: QMatMul,
    up: QMatMul,
    down: QMatMul,
}

impl Module for Mlp {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        // Gemma's `gelu_pytorch_tanh`: candle's `gelu` is the tanh approximation.
        let gate = self.gate.forward(xs)?.gelu()?;
        let up = self.up.forward(xs)?;
        self.down.forward(&(gate * up)?)
    }
}

/// Keys and values already computed, for absolute positions `start..start + len`.
#[derive(Debug, Clone)]
struct KvCache {
    k: Tensor,
    v: Tensor,
    start: usize,
}

#[derive(Debug, Clone)]
struct Attention {
    wq: QMatMul,
    wk: QMatMul,
    wv: QMatMul,
    wo: QMatMul,
    q_norm: RmsNorm,
    k_norm: RmsNorm,
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    scale: f64,
    /// `Some(window)` on sliding-window layers.
    window: Option<usize>,
    cache: Option<KvCache>,
}

impl Attention {
    /// `x` holds positions `index_pos..index_pos + seq_len`; the cache must end at `index_pos`.
    fn forward(&mut self, x: &Tensor, index_pos: usize, rope: &RopeTable) -> Result<Tensor> {
        let (b_sz, seq_len, _) = x.dims3()?;
        let q = self.project(&self.wq, &self.q_norm, x, self.n_head)?;
        let k = self.project(&self.wk, &self.k_norm, x, self.n_kv_head)?;
        let v = self
            .wv
            .forward(x)?
            .reshape((b_sz, seq_len, self.n_kv_head, self.head_dim))?
            .transpose(1, 2)?;
        let q = rope.apply(&q, index_pos)?;
        let k = rope.apply(&k, index_pos)?;

        let (k, v, k_start) = self.append_to_cache(k, v, index_pos)?;
        let mask = attention_mask(
            index_pos,
            seq_len,
            k_start,
            k.dim(2)?,
            self.window,
            x.device(),
        )?;

        let n_rep = self.n_head / self.n_kv_head;
        let k = repeat_kv(k, n_rep)?.contiguous()?;
        let v = repeat_kv(v, n_rep)?.contiguous()?;
        let scores = (q.matmul(&k.t()?)? * self.scale)?;
        let scores = match mask {
            Some(mask) => scores.broadcast_add(&mask)?,
            None => scores,
        };
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = probs.matmul(&v)?.transpose(1, 2)?.reshape((
            b_sz,
            seq_len,
            self.n_head * self.head_dim,
        ))?;
        self.wo.forward(&out)
    }

    /// Projects, splits into heads and applies the per-head RMS norm; returns
    /// `(batch, heads, seq, head_dim)`.
    fn project(&self, w: &QMatMul, norm: &RmsNorm, x: &Tensor, heads: usize) -> Result<Tensor> {
        let (b_sz, seq_len, _) = x.dims3()?;
        let y = w
            .forward(x)?
            .reshape((b_sz, seq_len, heads, self.head_dim))?;
        // Norm while the head dimension is still contiguous, then move heads forward.
        norm.forward(&y)?.transpose(1, 2)
    }

    /// Appends the new keys/values and returns everything this step attends over, with the
    /// absolute position of its first key. Sliding layers then drop what no later query can see.
    fn append_to_cache(
        &mut self,
        k: Tensor,
        v: Tensor,
        index_pos: usize,
    ) -> Result<(Tensor, Tensor, usize)> {
        let (k, v, start) = match self.cache.take() {
            Some(c) if index_pos > 0 => {
                let end = c.start + c.k.dim(2)?;
                if end != index_pos {
                    bail!("forward at position {index_pos}, but the KV cache ends at {end}")
                }
                let k = Tensor::cat(&[&c.k, &k], 2)?;
                let v = Tensor::cat(&[&c.v, &v], 2)?;
                (k, v, c.start)
            }
            _ if index_pos > 0 => bail!("forward at position {index_pos} with an empty KV cache"),
            _ => (k.contiguous()?, v.contiguous()?, 0),
        };
        self.cache = Some(self.trimmed(&k, &v, start)?);
        Ok((k, v, start))
    }

    /// The next query sits at `end`; a sliding layer only needs keys `end - window + 1 ..end`.
    fn trimmed(&self, k: &Tensor, v: &Tensor, start: usize) -> Result<KvCache> {
        let len = k.dim(2)?;
        let keep = match self.window {
            Some(window) => len.min(window - 1),
            None => len,
        };
        let drop = len - keep;
        // `narrow` is a view; the next `cat` copies it compactly anyway.
        Ok(KvCache {
            k: k.narrow(2, drop, keep)?,
            v: v.narrow(2, drop, keep)?,
            start: start + drop,
        })
    }
}

/// Additive mask `(q_len, k_len)` (0 or -inf) for queries at `q_start..` over keys at
/// `k_start..`: causal, and within `window` positions when given. `None` when nothing is masked.
fn attention_mask(
    q_start: usize,
    q_len: usize,
    k_start: usize,
    k_len: usize,
    window: Option<usize>,
    dev: &Device,
) -> Result<Option<Tensor>> {
    let visible = |q: usize, k: usize| k <= q && window.is_none_or(|w| q - k < w);
    let first_q = q_start;
    let last_q = q_start + q_len - 1;
    let last_k = k_start + k_len - 1;
    // The extreme corners decide it: the earliest query must see the newest key, the latest
    // query the oldest one.
    if visible(first_q, last_k) && visible(last_q, k_start) {
        return Ok(None);
    }
    let mask: Vec<f32> = (q_start..=last_q)
        .flat_map(|q| {
            (k_start..=last_k).map(move |k| {
                if visible(q, k) {
                    0.0
                } else {
                    f32::NEG_INFINITY
                }
            })
        })
        .collect();
    Tensor::from_vec(mask, (q_len, k_len), dev).map(Some)
}

/// A matrix on candle's quantized kernels (which round activations to 8 bits), or `dense`:
/// dequantized once and multiplied in f32.
fn matmul(w: QTensor, dense: bool) -> Result<QMatMul> {
    if dense {
        Ok(QMatMul::Tensor(w.dequantize(&w.device())?))
    } else {
        QMatMul::from_qtensor(w)
    }
}

#[derive(Debug, Clone)]
struct Layer {
    attn_norm: RmsNorm,
    attn: Attention,
    post_attn_norm: RmsNorm,
    ffn_norm: RmsNorm,
    mlp: Mlp,
    post_ffn_norm: RmsNorm,
}

impl Layer {
    fn load<R: Read + Seek>(
        ct: &gguf_file::Content,
        reader: &mut R,
        dev: &Device,
        cfg: &Config,
        idx: usize,
        dense: bool,
    ) -> Result<Self> {
        let mut qt = |name: &str| ct.tensor(reader, &format!("blk.{idx}.{name}.weight"), dev);
        let mut mm = |name: &str| matmul(qt(name)?, dense);
        let attn_q = mm("attn_q")?;
        let attn_k = mm("attn_k")?;
        let attn_v = mm("attn_v")?;
        let attn_output = mm("attn_output")?;
        let mlp = Mlp {
            gate: mm("ffn_gate")?,
            up: mm("ffn_up")?,
            down: mm("ffn_down")?,
        };
        let eps = cfg.rms_norm_eps;
        let mut norm = |name: &str| {
            RmsNorm::from_qtensor(
                ct.tensor(reader, &format!("blk.{idx}.{name}.weight"), dev)?,
                eps,
            )
        };
        let attn = Attention {
            wq: attn_q,
            wk: attn_k,
            wv: attn_v,
            wo: attn_output,
            q_norm: norm("attn_q_norm")?,
            k_norm: norm("attn_k_norm")?,
            n_head: cfg.head_count,
            n_kv_head: cfg.head_count_kv,
            head_dim: cfg.head_dim,
            scale: cfg.attention_scale(),
            window: cfg.is_sliding(idx).then_some(cfg.sliding_window),
            cache: None,
        };
        Ok(Self {
            attn_norm: norm("attn_norm")?,
            attn,
            post_attn_norm: norm("post_attention_norm")?,
            ffn_norm: norm("ffn_norm")?,
            mlp,
            post_ffn_norm: norm("post_ffw_norm")?,
        })
    }

    fn forward(&mut self, x: &Tensor, index_pos: usize, rope: &Rope) -> Result<Tensor> {
        let table = rope.table(self.attn.window.is_some());
        let h = self
            .attn
            .forward(&self.attn_norm.forward(x)?, index_pos, table)?;
        let x = (self.post_attn_norm.forward(&h)? + x)?;
        let h = self.mlp.forward(&self.ffn_norm.forward(&x)?)?;
        self.post_ffn_norm.forward(&h)? + x
    }
}

/// Gemma 3 text model with quantized weights and a KV cache.
#[derive(Debug, Clone)]
pub struct ModelWeights {
    embed: TokenEmbedding,
    embed_scale: f64,
    layers: Vec<Layer>,
    norm: RmsNorm,
    output: QMatMul,
    rope: Rope,
    device: Device,
}

impl ModelWeights {
    /// Builds the model of `cfg` from the tensors of `ct`, read through `reader`, onto `device`;
    /// `dense`: every matrix dequantized to f32 (`exact`, the reference the kernels are tested
    /// against), else candle's kernels on the file's blocks.
    pub fn load<R: Read + Seek>(
        cfg: &Config,
        ct: &gguf_file::Content,
        reader: &mut R,
        device: &Device,
        dense: bool,
    ) -> Result<Self> {
        let embd = Arc::new(ct.tensor(reader, "token_embd.weight", device)?);
        // Gemma ties the output projection to the embedding unless the file says otherwise.
        let output = match ct.tensor(reader, "output.weight", device) {
            Ok(w) => matmul(w, dense)?,
            Err(_) if dense => QMatMul::Tensor(embd.dequantize(device)?),
            Err(_) => QMatMul::from_arc(embd.clone())?,
        };
        let norm = RmsNorm::from_qtensor(
            ct.tensor(reader, "output_norm.weight", device)?,
            cfg.rms_norm_eps,
        )?;
        let layers = (0..cfg.block_count)
            .map(|idx| Layer::load(ct, reader, device, cfg, idx, dense))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            embed: TokenEmbedding::new(embd, cfg.embedding_length, device)?,
            embed_scale: (cfg.embedding_length as f64).sqrt(),
            layers,
            norm,
            output,
            rope: Rope::new(cfg, device)?,
            device: device.clone(),
        })
    }

    /// Runs tokens `x` of shape `(batch, seq_len)` sitting at positions
    /// `index_pos..index_pos + seq_len` and returns the logits of the last one, `(batch, vocab)`.
    ///
    /// `index_pos == 0` starts a new sequence; otherwise it must equal the number of positions
    /// already processed, so a prompt can be fed in chunks.
    pub fn forward(&mut self, x: &Tensor, index_pos: usize) -> Result<Tensor> {
        let (_b_sz, seq_len) = x.dims2()?;
        if seq_len == 0 {
            bail!("forward needs at least one token")
        }
        if index_pos == 0 {
            self.clear_kv_cache();
        }
        self.rope.ensure(index_pos + seq_len)?;
        let mut h = (self.embed.forward(x)? * self.embed_scale)?;
        for layer in self.layers.iter_mut() {
            h = layer.forward(&h, index_pos, &self.rope)?;
        }
        let last = h.i((.., seq_len - 1, ..))?;
        self.output.forward(&self.norm.forward(&last)?)
    }

    /// Forgets every cached key and value.
    pub fn clear_kv_cache(&mut self) {
        for layer in self.layers.iter_mut() {
            layer.attn.cache = None;
        }
    }
}

impl Decoder for ModelWeights {
    fn forward(&mut self, tokens: &[u32], pos: usize) -> std::result::Result<Vec<f32>, ModelError> {
        let input = Tensor::new(tokens, &self.device)?.unsqueeze(0)?;
        // The tensor-level `forward` above (inherent methods come first).
        last_logits(&ModelWeights::forward(self, &input, pos)?)
    }

    fn reset(&mut self) {
        self.clear_kv_cache();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visible_count(mask: &Option<Tensor>) -> Result<usize> {
        match mask {
            None => Ok(usize::MAX),
            Some(m) => Ok(m
                .flatten_all()?
                .to_vec1::<f32>()?
                .iter()
                .filter(|v| v.is_finite())
                .count()),
        }
    }

    #[test]
    fn window_admits_exactly_window_keys() -> Result<()> {
        let dev = Device::Cpu;
        // Query 600 over keys 0..=600 with a window of 512 sees keys 89..=600.
        let mask = attention_mask(600, 1, 0, 601, Some(512), &dev)?;
        assert_eq!(visible_count(&mask)?, 512);
        let m = mask.ok_or_else(|| candle_core::Error::Msg("expected a mask".into()))?;
        let row = m.flatten_all()?.to_vec1::<f32>()?;
        assert!(row[88].is_infinite() && row[89].is_finite());
        Ok(())
    }

    #[test]
    fn no_mask_when_everything_is_visible() -> Result<()> {
        let dev = Device::Cpu;
        assert!(attention_mask(10, 1, 0, 11, None, &dev)?.is_none());
        assert!(attention_mask(600, 1, 89, 512, Some(512), &dev)?.is_none());
        Ok(())
    }

    #[test]
    fn chunked_prefill_mask_sees_the_cached_prefix() -> Result<()> {
        let dev = Device::Cpu;
        // Two new queries at 3 and 4 over keys 0..=4: 4 + 5 visible.
        let mask = attention_mask(3, 2, 0, 5, None, &dev)?;
        assert_eq!(visible_count(&mask)?, 9);
        Ok(())
    }
}
