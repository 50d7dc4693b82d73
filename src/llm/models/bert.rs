//! BERT encoders (the MiniLM sentence embedder) on brief's own CPU kernels and thread team.
//!
//! The sentences of a batch go back to back as rows, with no padding, so a short sentence
//! costs its own tokens only; each token's attention sees every token of its own sentence
//! (the prompt tiles of [`brief_kernels::attend_tile`], one item per sentence and head). The
//! file is f32 safetensors: the projections are quantized to Q8_0 once at load and run on the
//! same int8 tiles as the chat models, the embeddings and norms stay f32. candle's
//! `BertModel`, which ran this before, is the reference it is tested against
//! (`tests/real_models.rs`).

use std::cmp::Reverse;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use brief_kernels::pointwise::gelu_erf;
use brief_kernels::{attend_tile, f16, Bytes, Input, Parts, Pool, QMatrix, QType};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use serde::Deserialize;

use crate::llm::models::kernels::{project, Linear};

/// The fields of a BERT `config.json` the encoder uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    pub hidden_act: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BertError {
    #[error("tensor {0} is missing")]
    Missing(String),
    #[error("tensor {name} has shape {got:?}, expected {want:?}")]
    Shape {
        name: String,
        got: Vec<usize>,
        want: Vec<usize>,
    },
    #[error("unsupported configuration: {0}")]
    Unsupported(String),
    #[error("token id {0} is outside the vocabulary")]
    Token(u32),
    #[error("a sentence of {0} tokens is longer than the model's positions")]
    TooLong(usize),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Kernel(#[from] brief_kernels::KernelError),
}

/// Scale and shift after normalizing each row to zero mean and unit variance.
struct LayerNorm {
    w: Vec<f32>,
    b: Vec<f32>,
}

impl LayerNorm {
    fn apply(&self, x: &mut [f32], eps: f32) {
        let d = self.w.len();
        for row in x.chunks_exact_mut(d) {
            let mean = row.iter().sum::<f32>() / d as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
            let inv = 1.0 / (var + eps).sqrt();
            for ((v, w), b) in row.iter_mut().zip(&self.w).zip(&self.b) {
                *v = (*v - mean) * inv * w + b;
            }
        }
    }
}

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    attn_norm: LayerNorm,
    up: Linear,
    down: Linear,
    ffn_norm: LayerNorm,
}

pub struct Encoder {
    cfg: Config,
    words: Vec<f32>,
    positions: Vec<f32>,
    /// Token type 0's row: every sentence is one segment.
    segment: Vec<f32>,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
}

/// The safetensors file's tensors by name, read once.
struct Weights(HashMap<String, Tensor>);

impl Weights {
    fn get(&self, name: &str, want: &[usize]) -> Result<Tensor, BertError> {
        let t = self
            .0
            .get(name)
            .ok_or_else(|| BertError::Missing(name.into()))?;
        if t.dims() != want {
            return Err(BertError::Shape {
                name: name.into(),
                got: t.dims().to_vec(),
                want: want.to_vec(),
            });
        }
        Ok(t.to_dtype(candle_core::DType::F32)?)
    }

    fn vec(&self, name: &str, want: &[usize]) -> Result<Vec<f32>, BertError> {
        Ok(self.get(name, want)?.flatten_all()?.to_vec1()?)
    }

    /// `{prefix}.weight` (out × in) as Q8_0 rows and `{prefix}.bias`.
    fn linear(&self, prefix: &str, out: usize, inp: usize) -> Result<Linear, BertError> {
        let w = self.get(&format!("{prefix}.weight"), &[out, inp])?;
        let bytes = QTensor::quantize(&w, GgmlDType::Q8_0)?.data()?.into_owned();
        let w = QMatrix::new(QType::Q8_0, out, inp, Bytes::Owned(Arc::new(bytes)))?;
        let bias = Some(self.vec(&format!("{prefix}.bias"), &[out])?);
        Ok(Linear { w, bias })
    }

    fn norm(&self, prefix: &str, d: usize) -> Result<LayerNorm, BertError> {
        Ok(LayerNorm {
            w: self.vec(&format!("{prefix}.weight"), &[d])?,
            b: self.vec(&format!("{prefix}.bias"), &[d])?,
        })
    }
}

impl Encoder {
    /// Reads `weights` (f32 safetensors, names as Hugging Face's `BertModel` writes them, with
    /// or without a `bert.` prefix) for `cfg`.
    pub fn load(cfg: &Config, weights: &Path) -> Result<Self, BertError> {
        if cfg.hidden_act != "gelu" {
            return Err(BertError::Unsupported(format!(
                "hidden_act {}",
                cfg.hidden_act
            )));
        }
        let (d, heads) = (cfg.hidden_size, cfg.num_attention_heads);
        if heads == 0
            || !d.is_multiple_of(heads)
            || !d.is_multiple_of(32)
            || !cfg.intermediate_size.is_multiple_of(32)
        {
            return Err(BertError::Unsupported(format!(
                "{d} wide in {heads} heads, {} intermediate",
                cfg.intermediate_size
            )));
        }
        let mut tensors = candle_core::safetensors::load(weights, &Device::Cpu)?;
        if !tensors.keys().any(|k| k.starts_with("embeddings.")) {
            tensors = tensors
                .into_iter()
                .map(|(k, v)| (k.strip_prefix("bert.").unwrap_or(&k).to_string(), v))
                .collect();
        }
        let w = Weights(tensors);
        let types = w.vec(
            "embeddings.token_type_embeddings.weight",
            &[cfg.type_vocab_size, d],
        )?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for l in 0..cfg.num_hidden_layers {
            let p = format!("encoder.layer.{l}");
            let i = cfg.intermediate_size;
            layers.push(Layer {
                q: w.linear(&format!("{p}.attention.self.query"), d, d)?,
                k: w.linear(&format!("{p}.attention.self.key"), d, d)?,
                v: w.linear(&format!("{p}.attention.self.value"), d, d)?,
                out: w.linear(&format!("{p}.attention.output.dense"), d, d)?,
                attn_norm: w.norm(&format!("{p}.attention.output.LayerNorm"), d)?,
                up: w.linear(&format!("{p}.intermediate.dense"), i, d)?,
                down: w.linear(&format!("{p}.output.dense"), d, i)?,
                ffn_norm: w.norm(&format!("{p}.output.LayerNorm"), d)?,
            });
        }
        Ok(Self {
            cfg: cfg.clone(),
            words: w.vec("embeddings.word_embeddings.weight", &[cfg.vocab_size, d])?,
            positions: w.vec(
                "embeddings.position_embeddings.weight",
                &[cfg.max_position_embeddings, d],
            )?,
            segment: types[..d].to_vec(),
            embed_norm: w.norm("embeddings.LayerNorm", d)?,
            layers,
        })
    }

    /// One unit vector per sentence (token ids with their special tokens): the mean of the
    /// last layer over the sentence's tokens, L2-normalized.
    pub fn sentence_vectors(&self, sentences: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, BertError> {
        let d = self.cfg.hidden_size;
        let hidden = self.forward(sentences)?;
        let mut start = 0;
        let mut out = Vec::with_capacity(sentences.len());
        for s in sentences {
            let rows = &hidden[start * d..(start + s.len()) * d];
            start += s.len();
            let mut mean = vec![0f32; d];
            for row in rows.chunks_exact(d) {
                for (m, x) in mean.iter_mut().zip(row) {
                    *m += x;
                }
            }
            let n = s.len().max(1) as f32;
            mean.iter_mut().for_each(|m| *m /= n);
            let norm = mean.iter().map(|m| m * m).sum::<f32>().sqrt();
            if norm > 0.0 {
                mean.iter_mut().for_each(|m| *m /= norm);
            }
            out.push(mean);
        }
        Ok(out)
    }

    /// The last layer's rows for every token of every sentence, back to back.
    fn forward(&self, sentences: &[Vec<u32>]) -> Result<Vec<f32>, BertError> {
        let cfg = &self.cfg;
        let (d, heads) = (cfg.hidden_size, cfg.num_attention_heads);
        let eps = cfg.layer_norm_eps as f32;
        let rows: usize = sentences.iter().map(Vec::len).sum();
        let mut spans: Vec<Range<usize>> = Vec::with_capacity(sentences.len());
        let mut x = vec![0f32; rows * d];
        let mut r = 0;
        for s in sentences {
            if s.len() > cfg.max_position_embeddings {
                return Err(BertError::TooLong(s.len()));
            }
            spans.push(r..r + s.len());
            for (p, &token) in s.iter().enumerate() {
                let id = token as usize;
                if id >= cfg.vocab_size {
                    return Err(BertError::Token(token));
                }
                let word = &self.words[id * d..(id + 1) * d];
                let pos = &self.positions[p * d..(p + 1) * d];
                for (i, o) in x[r * d..(r + 1) * d].iter_mut().enumerate() {
                    *o = word[i] + pos[i] + self.segment[i];
                }
                r += 1;
            }
        }
        self.embed_norm.apply(&mut x, eps);
        if rows == 0 {
            return Ok(x);
        }
        let guard = brief_kernels::pool::global()
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let pool: &Pool = &guard;
        let mut input = Input::default();
        let (mut q, mut k, mut v) = (
            vec![0f32; rows * d],
            vec![0f32; rows * d],
            vec![0f32; rows * d],
        );
        let mut att = vec![0f32; rows * d];
        let mut proj = vec![0f32; rows * d];
        let mut up = vec![0f32; rows * cfg.intermediate_size];
        for layer in &self.layers {
            input.set(&x, rows, d);
            project(
                pool,
                true,
                &mut input,
                &mut [
                    (&layer.q, &mut q[..]),
                    (&layer.k, &mut k[..]),
                    (&layer.v, &mut v[..]),
                ],
            );
            let k16: Vec<f16> = k.iter().map(|&a| f16::from_f32(a)).collect();
            let v16: Vec<f16> = v.iter().map(|&a| f16::from_f32(a)).collect();
            attention(pool, heads, d, &q, &k16, &v16, &spans, &mut att);
            input.set(&att, rows, d);
            project(pool, true, &mut input, &mut [(&layer.out, &mut proj[..])]);
            for (a, b) in x.iter_mut().zip(&proj) {
                *a += b;
            }
            layer.attn_norm.apply(&mut x, eps);
            input.set(&x, rows, d);
            project(pool, true, &mut input, &mut [(&layer.up, &mut up[..])]);
            gelu_erf(pool, &mut up);
            input.set(&up, rows, cfg.intermediate_size);
            project(pool, true, &mut input, &mut [(&layer.down, &mut proj[..])]);
            for (a, b) in x.iter_mut().zip(&proj) {
                *a += b;
            }
            layer.ffn_norm.apply(&mut x, eps);
        }
        Ok(x)
    }
}

/// Each sentence's tokens attend to all of its tokens (`spans`: each sentence's rows): one
/// work item per (sentence, head), the longest sentences first, claimed by whichever thread is
/// free. The keys and values are f16, as the chat models' caches.
#[allow(clippy::too_many_arguments)]
fn attention(
    pool: &Pool,
    heads: usize,
    d: usize,
    q: &[f32],
    k: &[f16],
    v: &[f16],
    spans: &[Range<usize>],
    out: &mut [f32],
) {
    let hd = d / heads;
    let scale = 1.0 / (hd as f32).sqrt();
    let mut items: Vec<(usize, usize)> = (0..spans.len())
        .flat_map(|s| (0..heads).map(move |h| (s, h)))
        .collect();
    items.sort_by_key(|&(s, _)| Reverse(spans[s].len()));
    // Part r · heads + h: row r's head h.
    let parts = Parts::new(out.chunks_exact_mut(hd));
    pool.claim(items.len(), &|item, scratch| {
        let (s, h) = items[item];
        let rows = spans[s].clone();
        if rows.is_empty() {
            return;
        }
        let qs: Vec<&[f32]> = rows
            .clone()
            .map(|r| &q[r * d + h * hd..r * d + (h + 1) * hd])
            .collect();
        let seen = vec![rows.clone(); rows.len()];
        let mut outs: Vec<&mut [f32]> = rows.map(|r| parts.take(r * heads + h)).collect();
        let at = h * hd;
        attend_tile(&qs, &seen, &k[at..], &v[at..], d, scale, scratch, &mut outs);
    });
}
