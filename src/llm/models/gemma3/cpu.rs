//! Gemma 3 on brief's own CPU kernels, on the file's quantized blocks, beside the candle
//! backend in [`super`] (the reference it is tested against).
//!
//! Where Gemma 3 differs from the llama family, each step as the candle backend does it: the
//! embedding scaled by √width; q and k RMS-normed per head before RoPE (halves, "neox");
//! RMS norms after attention and after the MLP as well as before them; a GELU (tanh) gate;
//! heads wider than width / heads; five sliding-window layers (local RoPE base) to one global
//! layer (global base, linear scaling). The output projection is the tied embedding.

use std::path::Path;

use candle_core::quantized::gguf_file;

use brief_kernels::pointwise::{gate_mul, Gate};
use brief_kernels::{Pool, QMatrix};

use super::Config;
use crate::llm::models::kernels::{
    attention, check_rows, logits, project, rms_norm_in_place, rms_norm_into, Cache, CacheShape,
    Forward, Heads, KvView, Linear, LoadError, OnKernels, RopeTable, Scratch, Tensors,
};
use crate::llm::models::MAX_CONTEXT;

struct Layer {
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    gate: Linear,
    up: Linear,
    down: Linear,
    attn_norm: Vec<f32>,
    q_norm: Vec<f32>,
    k_norm: Vec<f32>,
    post_attn_norm: Vec<f32>,
    ffn_norm: Vec<f32>,
    post_ffn_norm: Vec<f32>,
    /// Sliding-window layer (local RoPE, windowed attention) rather than global.
    sliding: bool,
}

pub struct ModelWeights {
    cfg: Config,
    max_seq: usize,
    embeddings: QMatrix,
    output: QMatrix,
    norm: Vec<f32>,
    layers: Vec<Layer>,
    local: RopeTable,
    global: RopeTable,
    scratch: Scratch,
}

impl ModelWeights {
    /// Maps `path` (the GGUF `ct` was read from) and builds the model of `cfg` on it, with its
    /// sequences.
    pub fn load(
        cfg: &Config,
        ct: &gguf_file::Content,
        path: &Path,
    ) -> Result<OnKernels<Self>, LoadError> {
        let max_seq = MAX_CONTEXT.min(cfg.context_length.max(1));
        let t = Tensors::map(ct, path)?;
        // The candle backend's frequencies: linear scaling divides them by the factor.
        let freqs = |base: f32, scaling: f32| -> Vec<f32> {
            (0..cfg.head_dim)
                .step_by(2)
                .map(|i| 1f32 / base.powf(i as f32 / cfg.head_dim as f32) / scaling)
                .collect()
        };
        let local = RopeTable::new(&freqs(cfg.rope_freq_base_local, 1.0), max_seq);
        let global = RopeTable::new(&freqs(cfg.rope_freq_base, cfg.rope_scaling_factor), max_seq);
        let embeddings = t.matrix("token_embd.weight")?;
        let output = if t.has("output.weight") {
            t.matrix("output.weight")?
        } else {
            embeddings.clone()
        };
        let (d, hd) = (cfg.embedding_length, cfg.head_dim);
        let mut layers = Vec::with_capacity(cfg.block_count);
        for i in 0..cfg.block_count {
            let p = format!("blk.{i}");
            let norm = |name: &str, len: usize| t.vector(&format!("{p}.{name}.weight"), len);
            layers.push(Layer {
                wq: t.linear(&format!("{p}.attn_q"), false)?,
                wk: t.linear(&format!("{p}.attn_k"), false)?,
                wv: t.linear(&format!("{p}.attn_v"), false)?,
                wo: t.linear(&format!("{p}.attn_output"), false)?,
                gate: t.linear(&format!("{p}.ffn_gate"), false)?,
                up: t.linear(&format!("{p}.ffn_up"), false)?,
                down: t.linear(&format!("{p}.ffn_down"), false)?,
                attn_norm: norm("attn_norm", d)?,
                q_norm: norm("attn_q_norm", hd)?,
                k_norm: norm("attn_k_norm", hd)?,
                post_attn_norm: norm("post_attention_norm", d)?,
                ffn_norm: norm("ffn_norm", d)?,
                post_ffn_norm: norm("post_ffw_norm", d)?,
                sliding: cfg.is_sliding(i),
            });
        }
        Ok(OnKernels::new(Self {
            norm: t.vector("output_norm.weight", d)?,
            cfg: cfg.clone(),
            max_seq,
            embeddings,
            output,
            layers,
            local,
            global,
            scratch: Scratch::default(),
        }))
    }
}

impl Forward for ModelWeights {
    fn cache_shape(&self) -> CacheShape {
        CacheShape {
            layers: self.layers.len(),
            kv_heads: self.cfg.head_count_kv,
            head_dim: self.cfg.head_dim,
        }
    }

    fn run(
        &mut self,
        caches: &mut [Cache],
        rows: &[(usize, usize)],
        tokens: &[u32],
        first_logits: usize,
        prompt: bool,
    ) -> Result<Vec<Vec<f32>>, String> {
        let cfg = &self.cfg;
        let n = tokens.len();
        check_rows(rows, tokens, self.max_seq, self.embeddings.rows)?;
        let (d, hd) = (cfg.embedding_length, cfg.head_dim);
        let (qd, kv) = (cfg.head_count * hd, cfg.head_count_kv * hd);
        let eps = cfg.rms_norm_eps as f32;
        let guard = brief_kernels::pool::global()
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let pool: &Pool = &guard;
        let s = &mut self.scratch;
        s.x.resize(n * d, 0.0);
        let embed_scale = (d as f64).sqrt() as f32;
        for (i, &tok) in tokens.iter().enumerate() {
            let row = &mut s.x[i * d..(i + 1) * d];
            self.embeddings.dequantize_row(tok as usize, row);
            for x in row {
                *x *= embed_scale;
            }
        }
        for (l, layer) in self.layers.iter().enumerate() {
            rms_norm_into(&s.x, &layer.attn_norm, eps, n, d, &mut s.normed);
            s.q.resize(n * qd, 0.0);
            s.k.resize(n * kv, 0.0);
            s.v.resize(n * kv, 0.0);
            project(
                pool,
                prompt,
                &mut s.normed,
                &mut [
                    (&layer.wq, &mut s.q[..]),
                    (&layer.wk, &mut s.k[..]),
                    (&layer.wv, &mut s.v[..]),
                ],
            );
            rms_norm_in_place(&mut s.q, &layer.q_norm, eps);
            rms_norm_in_place(&mut s.k, &layer.k_norm, eps);
            let rope = if layer.sliding {
                &self.local
            } else {
                &self.global
            };
            for (i, &(seq, p)) in rows.iter().enumerate() {
                rope.rotate(&mut s.q[i * qd..(i + 1) * qd], hd, p, true);
                rope.rotate(&mut s.k[i * kv..(i + 1) * kv], hd, p, true);
                let cache = &mut caches[seq];
                cache.push(l, &s.k[i * kv..(i + 1) * kv], &s.v[i * kv..(i + 1) * kv]);
            }
            let heads = Heads {
                n_head: cfg.head_count,
                n_kv_head: cfg.head_count_kv,
                head_dim: hd,
                scale: cfg.attention_scale() as f32,
                window: layer.sliding.then_some(cfg.sliding_window),
            };
            let views: Vec<KvView<'_>> = caches.iter().map(|c| c.layer(l)).collect();
            attention(pool, heads, &s.q, &views, rows, &mut s.attn);
            s.proj.resize(n * d, 0.0);
            project(
                pool,
                prompt,
                &mut s.attn,
                &mut [(&layer.wo, &mut s.proj[..])],
            );
            rms_norm_in_place(&mut s.proj, &layer.post_attn_norm, eps);
            for (x, p) in s.x.iter_mut().zip(&s.proj) {
                *x += p;
            }
            rms_norm_into(&s.x, &layer.ffn_norm, eps, n, d, &mut s.normed);
            let ff = layer.gate.w.rows;
            s.gate.resize(n * ff, 0.0);
            s.up.resize(n * ff, 0.0);
            project(
                pool,
                prompt,
                &mut s.normed,
                &mut [(&layer.gate, &mut s.gate[..]), (&layer.up, &mut s.up[..])],
            );
            // Gemma's `gelu_pytorch_tanh`, the formula candle's `gelu` uses.
            gate_mul(pool, Gate::GeluTanh, &mut s.gate, &s.up);
            s.act.set(&s.gate, n, ff);
            project(
                pool,
                prompt,
                &mut s.act,
                &mut [(&layer.down, &mut s.proj[..])],
            );
            rms_norm_in_place(&mut s.proj, &layer.post_ffn_norm, eps);
            for (x, p) in s.x.iter_mut().zip(&s.proj) {
                *x += p;
            }
        }
        let out_rows = n - first_logits;
        rms_norm_into(
            &s.x[first_logits * d..n * d],
            &self.norm,
            eps,
            out_rows,
            d,
            &mut s.last,
        );
        Ok(logits(pool, &self.output, &mut s.last, out_rows))
    }
}
