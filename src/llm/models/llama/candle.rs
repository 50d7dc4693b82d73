//! Llama-family decoder (llama, qwen2) for GGUF checkpoints, adapted from candle-transformers
//! 0.11.1's `quantized_llama` and `quantized_qwen2` (Apache-2.0/MIT, © the candle authors).
//!
//! What differs, and why: every projection holds two forms of its weight and picks one per
//! call. Prefill (many rows at once) is compute-bound, so it runs as a dense f32 matmul through
//! candle's gemm; decode (one row) is memory-bound, so it runs on the Q8_0 quantized weight,
//! which reads 4x fewer bytes. Qwen2's attention biases and NEOX RoPE are switches of the shared
//! [`Config`], since the two architectures differ in nothing else that these checkpoints use.

use std::collections::HashMap;

use candle_core::quantized::{gguf_file, QMatMul, QTensor};
use candle_core::{DType, Device, IndexOp, Module, Result, Tensor, D};
use candle_nn::Embedding;
use candle_transformers::quantized_nn::RmsNorm;

use super::Config;
use crate::llm::model::{ModelError, WeightFormat};
use crate::llm::models::{last_logits, Decoder, MAX_CONTEXT};

/// Rows at or above which a projection uses its dense weight.
const DENSE_MIN_ROWS: usize = 8;

/// How the weights are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phases {
    /// Dense f32 for prefill, quantized for decode (fastest on CPU, more memory).
    DenseAndQuantized,
    /// Only the quantized weights.
    QuantizedOnly,
    /// Only dense f32 copies, every row count: dequantize-then-multiply in plain f32, slow but
    /// free of activation rounding. The reference that faster paths are tested against.
    DenseOnly,
}

impl Phases {
    /// `exact` is dense only; `q8` and `as-file` quantized only; the others (`candle`, and
    /// `fast` or `lean` where our kernels do not run) both.
    fn of(format: WeightFormat) -> Self {
        match format {
            WeightFormat::Fast | WeightFormat::Lean | WeightFormat::Candle => {
                Phases::DenseAndQuantized
            }
            WeightFormat::Exact => Phases::DenseOnly,
            WeightFormat::Q8 | WeightFormat::AsFile => Phases::QuantizedOnly,
        }
    }
}

#[derive(Debug, Clone)]
struct Linear {
    quantized: QMatMul,
    dense: Option<Tensor>,
    bias: Option<Tensor>,
    dense_min_rows: usize,
}

impl Linear {
    fn new(q: QTensor, bias: Option<Tensor>, phases: Phases, device: &Device) -> Result<Self> {
        let dense = match phases {
            Phases::DenseAndQuantized | Phases::DenseOnly => {
                Some(q.dequantize(device)?.t()?.contiguous()?)
            }
            Phases::QuantizedOnly => None,
        };
        Ok(Self {
            quantized: QMatMul::from_qtensor(q)?,
            dense,
            bias,
            dense_min_rows: if phases == Phases::DenseOnly {
                1
            } else {
                DENSE_MIN_ROWS
            },
        })
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let rows = x.elem_count() / x.dim(D::Minus1)?;
        let y = match &self.dense {
            Some(w) if rows >= self.dense_min_rows => x.broadcast_matmul(w)?,
            _ => self.quantized.forward(x)?,
        };
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

#[derive(Debug, Clone)]
struct Layer {
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    w_gate: Linear,
    w_up: Linear,
    w_down: Linear,
    attn_norm: RmsNorm,
    ffn_norm: RmsNorm,
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    kv_cache: Option<(Tensor, Tensor)>,
}

#[derive(Debug, Clone)]
pub struct ModelWeights {
    embeddings: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    output: Linear,
    cos: Tensor,
    sin: Tensor,
    neox: bool,
    masks: HashMap<(usize, usize), Tensor>,
    device: Device,
}

/// cos and sin of position × frequency, `(max_seq, rope_dim / 2)`.
fn rope_tables(cfg: &Config, max_seq: usize, device: &Device) -> Result<(Tensor, Tensor)> {
    let theta = cfg.rope_freqs();
    let theta = Tensor::new(theta.as_slice(), device)?;
    let idx = Tensor::arange(0, max_seq as u32, device)?
        .to_dtype(DType::F32)?
        .reshape((max_seq, 1))?
        .matmul(&theta.reshape((1, theta.elem_count()))?)?;
    Ok((idx.cos()?, idx.sin()?))
}

impl ModelWeights {
    /// Builds the model of `cfg` from the tensors of `ct`, read through `reader`, onto
    /// `device`, holding the weights as `format` asks (dense f32 for `exact`, quantized for
    /// `q8` and `as-file`, both otherwise).
    pub fn load<R: std::io::Seek + std::io::Read>(
        cfg: &Config,
        ct: &gguf_file::Content,
        reader: &mut R,
        device: &Device,
        format: WeightFormat,
    ) -> Result<Self> {
        let phases = Phases::of(format);
        let eps = f64::from(cfg.eps);
        let (cos, sin) = rope_tables(cfg, MAX_CONTEXT, device)?;
        let mut tensor = |name: &str| ct.tensor(reader, name, device);
        let embd_q = tensor("token_embd.weight")?;
        let embeddings = Embedding::new(embd_q.dequantize(device)?, cfg.n_embd);
        let norm = RmsNorm::from_qtensor(tensor("output_norm.weight")?, eps)?;
        let output_q = match tensor("output.weight") {
            Ok(t) => t,
            Err(_) => embd_q,
        };
        // The output projection runs on one row even in prefill (only the last position's
        // logits are needed), so only the dense-only reference has a dense copy of it.
        let output_phases = match phases {
            Phases::DenseOnly => Phases::DenseOnly,
            _ => Phases::QuantizedOnly,
        };
        let output = Linear::new(output_q, None, output_phases, device)?;
        let mut layers = Vec::with_capacity(cfg.n_layer);
        for i in 0..cfg.n_layer {
            let p = format!("blk.{i}");
            let mut lin = |name: &str, bias: bool| -> Result<Linear> {
                let w = tensor(&format!("{p}.{name}.weight"))?;
                let b = if bias {
                    Some(tensor(&format!("{p}.{name}.bias"))?.dequantize(device)?)
                } else {
                    None
                };
                Linear::new(w, b, phases, device)
            };
            let wq = lin("attn_q", cfg.qkv_bias)?;
            let wk = lin("attn_k", cfg.qkv_bias)?;
            let wv = lin("attn_v", cfg.qkv_bias)?;
            let wo = lin("attn_output", false)?;
            let w_gate = lin("ffn_gate", false)?;
            let w_up = lin("ffn_up", false)?;
            let w_down = lin("ffn_down", false)?;
            let attn_norm = RmsNorm::from_qtensor(tensor(&format!("{p}.attn_norm.weight"))?, eps)?;
            let ffn_norm = RmsNorm::from_qtensor(tensor(&format!("{p}.ffn_norm.weight"))?, eps)?;
            layers.push(Layer {
                wq,
                wk,
                wv,
                wo,
                w_gate,
                w_up,
                w_down,
                attn_norm,
                ffn_norm,
                n_head: cfg.n_head,
                n_kv_head: cfg.n_kv_head,
                head_dim: cfg.head_dim,
                kv_cache: None,
            });
        }
        Ok(Self {
            embeddings,
            layers,
            norm,
            output,
            cos,
            sin,
            neox: cfg.neox,
            masks: HashMap::new(),
            device: device.clone(),
        })
    }

    pub fn clear_kv_cache(&mut self) {
        for l in &mut self.layers {
            l.kv_cache = None;
        }
    }

    fn mask(&mut self, seq_len: usize, index_pos: usize, device: &Device) -> Result<Tensor> {
        let key = (seq_len, index_pos);
        if let Some(m) = self.masks.get(&key) {
            return Ok(m.clone());
        }
        let kv_len = index_pos + seq_len;
        let data: Vec<f32> = (0..seq_len)
            .flat_map(|i| {
                (0..kv_len).map(move |j| {
                    if j > index_pos + i {
                        f32::NEG_INFINITY
                    } else {
                        0.0
                    }
                })
            })
            .collect();
        let m = Tensor::from_slice(&data, (seq_len, kv_len), device)?;
        self.masks.insert(key, m.clone());
        Ok(m)
    }

    /// Logits of the last position of `x` (token ids, shape (batch, seq)) placed at
    /// `index_pos`, shape (batch, vocab).
    pub fn forward(&mut self, x: &Tensor, index_pos: usize) -> Result<Tensor> {
        let (_b, seq_len) = x.dims2()?;
        let mask = if seq_len == 1 {
            None
        } else {
            Some(self.mask(seq_len, index_pos, x.device())?)
        };
        let cos = self.cos.narrow(0, index_pos, seq_len)?;
        let sin = self.sin.narrow(0, index_pos, seq_len)?;
        let mut h = self.embeddings.forward(x)?;
        for layer in &mut self.layers {
            let residual = &h;
            let x = layer.attn_norm.forward(&h)?;
            let attn = layer.attention(&x, mask.as_ref(), &cos, &sin, self.neox, index_pos)?;
            let x = (attn + residual)?;
            let residual = &x;
            let y = layer.ffn_norm.forward(&x)?;
            let gate = candle_nn::ops::silu(&layer.w_gate.forward(&y)?)?;
            let y = layer.w_down.forward(&(gate * layer.w_up.forward(&y)?)?)?;
            h = (y + residual)?;
        }
        let h = self.norm.forward(&h.i((.., seq_len - 1.., ..))?)?;
        self.output.forward(&h)?.squeeze(1)
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

impl Layer {
    fn attention(
        &mut self,
        x: &Tensor,
        mask: Option<&Tensor>,
        cos: &Tensor,
        sin: &Tensor,
        neox: bool,
        index_pos: usize,
    ) -> Result<Tensor> {
        let (b, seq_len, n_embd) = x.dims3()?;
        let shape = |t: Tensor, heads: usize| {
            t.reshape((b, seq_len, heads, self.head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = shape(self.wq.forward(x)?, self.n_head)?;
        let k = shape(self.wk.forward(x)?, self.n_kv_head)?;
        let v = shape(self.wv.forward(x)?, self.n_kv_head)?;
        let rope = |t: &Tensor| {
            if neox {
                candle_nn::rotary_emb::rope(t, cos, sin)
            } else {
                candle_nn::rotary_emb::rope_i(t, cos, sin)
            }
        };
        let q = rope(&q)?;
        let k = rope(&k)?;
        let (k, v) = match &self.kv_cache {
            Some((kc, vc)) if index_pos > 0 => {
                (Tensor::cat(&[kc, &k], 2)?, Tensor::cat(&[vc, &v], 2)?)
            }
            _ => (k, v),
        };
        self.kv_cache = Some((k.clone(), v.clone()));
        let groups = self.n_head / self.n_kv_head;
        let k = candle_transformers::utils::repeat_kv(k, groups)?;
        let v = candle_transformers::utils::repeat_kv(v, groups)?;
        let att = (q.matmul(&k.t()?)? / (self.head_dim as f64).sqrt())?;
        let att = match mask {
            Some(m) => att.broadcast_add(m)?,
            None => att,
        };
        let att = candle_nn::ops::softmax_last_dim(&att)?;
        let y = att.matmul(&v.contiguous()?)?;
        let y = y.transpose(1, 2)?.reshape((b, seq_len, n_embd))?;
        self.wo.forward(&y)
    }
}
