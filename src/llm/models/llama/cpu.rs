//! The llama family (llama, qwen2) on brief's own CPU kernels ([`brief_kernels`]), without
//! candle tensors in the loop.
//!
//! Why a second backend beside [`super::candle`]: a decode step of a small model is a few hundred
//! tiny operations, and per-operation overhead (allocation, dispatch, waking a thread pool)
//! costs as much as the arithmetic. Here a step is one pass over preallocated buffers, every
//! product runs on the file's own quantized blocks (memory-mapped, never copied), and the
//! thread team is handed work by spinning rather than by waking. Prefill (many rows at once)
//! is compute-bound: it runs the kernels' prompt tiles (several weight rows × several tokens
//! per inner loop, still on the file's blocks), so no f32 copy of any weight is ever made.
//! Both run on the one [`Config`]; the candle backend stays as the reference these results are
//! tested against.

use std::path::Path;
use std::sync::Arc;

use candle_core::quantized::{gguf_file, GgmlDType};

use brief_kernels::{Bytes, Input, MatMul, Parts, Pool, QMatrix, QType};

use super::Config;
use crate::llm::model::{ModelError, WeightFormat};
use crate::llm::models::{Decoder, MAX_CONTEXT};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("tensor {0} is missing")]
    Missing(String),
    #[error("tensor {name}: {source}")]
    Kernel {
        name: String,
        source: brief_kernels::KernelError,
    },
    #[error("tensor {name} has {got} values, expected {want}")]
    Shape {
        name: String,
        got: usize,
        want: usize,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

struct Linear {
    w: QMatrix,
    bias: Option<Vec<f32>>,
}

struct Layer {
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    gate: Linear,
    up: Linear,
    down: Linear,
    attn_norm: Vec<f32>,
    ffn_norm: Vec<f32>,
}

/// One sequence's keys and values: per layer, `[position][kv head][head dim]`.
#[derive(Default)]
struct Cache {
    k: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    len: usize,
}

impl Cache {
    fn truncate(&mut self, layers: usize, pos: usize, kv: usize) {
        self.k.resize_with(layers, Vec::new);
        self.v.resize_with(layers, Vec::new);
        for (k, v) in self.k.iter_mut().zip(&mut self.v) {
            k.truncate(pos * kv);
            v.truncate(pos * kv);
        }
        self.len = pos;
    }
}

/// Buffers reused across forward passes, so a decode step allocates nothing large.
#[derive(Default)]
struct Scratch {
    x: Vec<f32>,
    normed: Input,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    attn: Input,
    proj: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    act: Input,
    last: Input,
}

pub struct ModelWeights {
    cfg: Config,
    /// Positions the RoPE tables cover: the most a sequence may hold.
    max_seq: usize,
    embeddings: QMatrix,
    output: QMatrix,
    norm: Vec<f32>,
    layers: Vec<Layer>,
    /// cos and sin of position × frequency, `[position][rope_dim / 2]`.
    cos: Vec<f32>,
    sin: Vec<f32>,
    rope_half: usize,
    /// KV caches of the sequences in flight (sequence 0 is the one `forward` uses).
    caches: Vec<Cache>,
    scratch: Scratch,
}

/// Reads tensors out of the memory-mapped file.
struct Tensors<'a> {
    ct: &'a gguf_file::Content,
    map: Arc<memmap2::Mmap>,
}

impl Tensors<'_> {
    fn has(&self, name: &str) -> bool {
        self.ct.tensor_infos.contains_key(name)
    }

    fn matrix(&self, name: &str) -> Result<QMatrix, LoadError> {
        let info = self
            .ct
            .tensor_infos
            .get(name)
            .ok_or_else(|| LoadError::Missing(name.into()))?;
        let dims = info.shape.dims();
        let (rows, cols) = match dims {
            [r, c] => (*r, *c),
            _ => (1, info.shape.elem_count()),
        };
        let kerr = |source| LoadError::Kernel {
            name: name.into(),
            source,
        };
        let start = (self.ct.tensor_data_offset + info.offset) as usize;
        let t = info.ggml_dtype;
        let len = rows * cols / t.block_size() * t.type_size();
        if start + len > self.map.len() {
            return Err(LoadError::Shape {
                name: name.into(),
                got: self.map.len().saturating_sub(start) / t.type_size() * t.block_size(),
                want: rows * cols,
            });
        }
        let bytes = &self.map[start..start + len];
        match t {
            GgmlDType::F16 | GgmlDType::BF16 => {
                let wide: Vec<f32> = bytes
                    .chunks_exact(2)
                    .map(|b| {
                        let bits = u16::from_le_bytes([b[0], b[1]]);
                        if t == GgmlDType::F16 {
                            half::f16::from_bits(bits).to_f32()
                        } else {
                            half::bf16::from_bits(bits).to_f32()
                        }
                    })
                    .collect();
                QMatrix::from_f32(rows, cols, &wide).map_err(kerr)
            }
            _ => {
                let qtype = QType::from_ggml(t).map_err(kerr)?;
                QMatrix::new(
                    qtype,
                    rows,
                    cols,
                    Bytes::Mapped(self.map.clone(), start..start + len),
                )
                .map_err(kerr)
            }
        }
    }

    fn vector(&self, name: &str, want: usize) -> Result<Vec<f32>, LoadError> {
        let m = self.matrix(name)?;
        let v = m.dequantize();
        if v.len() != want {
            return Err(LoadError::Shape {
                name: name.into(),
                got: v.len(),
                want,
            });
        }
        Ok(v)
    }

    fn linear(&self, name: &str, bias: bool) -> Result<Linear, LoadError> {
        let w = self.matrix(&format!("{name}.weight"))?;
        let bias_name = format!("{name}.bias");
        let bias = if bias && self.has(&bias_name) {
            Some(self.vector(&bias_name, w.rows)?)
        } else {
            None
        };
        Ok(Linear { w, bias })
    }
}

impl ModelWeights {
    /// Maps `path` (the GGUF `ct` was read from) and builds the model of `cfg` on it. Every
    /// format that reaches here (`fast`, `lean`) multiplies on the file's blocks alone.
    pub fn load(
        cfg: &Config,
        ct: &gguf_file::Content,
        path: &Path,
        _format: WeightFormat,
    ) -> Result<Self, LoadError> {
        let max_seq = MAX_CONTEXT;
        let file = std::fs::File::open(path)?;
        // SAFETY: the map is read-only and only ever read through (`Bytes::Mapped`); it stays
        // sound as long as the file is not changed under us, which no code can promise: the
        // file is a model the user gave us to read, and if another process truncates it while
        // we run we may fault, as every memory-mapping inference engine may. (Copying the
        // weights into huge-page anonymous memory instead was measured: no faster.)
        let map = Arc::new(unsafe { memmap2::Mmap::map(&file)? });
        let t = Tensors { ct, map };
        // The same frequencies as the candle backend's tables, so both paths rotate identically.
        let theta = cfg.rope_freqs();
        let rope_half = theta.len();
        let mut cos = Vec::with_capacity(max_seq * rope_half);
        let mut sin = Vec::with_capacity(max_seq * rope_half);
        for p in 0..max_seq {
            for th in &theta {
                let a = p as f32 * th;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        let embeddings = t.matrix("token_embd.weight")?;
        let output = if t.has("output.weight") {
            t.matrix("output.weight")?
        } else {
            embeddings.clone()
        };
        let (biased, n_embd) = (cfg.qkv_bias, cfg.n_embd);
        let mut layers = Vec::with_capacity(cfg.n_layer);
        for i in 0..cfg.n_layer {
            let p = format!("blk.{i}");
            layers.push(Layer {
                wq: t.linear(&format!("{p}.attn_q"), biased)?,
                wk: t.linear(&format!("{p}.attn_k"), biased)?,
                wv: t.linear(&format!("{p}.attn_v"), biased)?,
                wo: t.linear(&format!("{p}.attn_output"), false)?,
                gate: t.linear(&format!("{p}.ffn_gate"), false)?,
                up: t.linear(&format!("{p}.ffn_up"), false)?,
                down: t.linear(&format!("{p}.ffn_down"), false)?,
                attn_norm: t.vector(&format!("{p}.attn_norm.weight"), n_embd)?,
                ffn_norm: t.vector(&format!("{p}.ffn_norm.weight"), n_embd)?,
            });
        }
        Ok(Self {
            norm: t.vector("output_norm.weight", n_embd)?,
            cfg: cfg.clone(),
            max_seq,
            embeddings,
            output,
            layers,
            cos,
            sin,
            rope_half,
            caches: Vec::new(),
            scratch: Scratch::default(),
        })
    }
}

/// Every sequence has its own KV cache, and a `pos` before the end of a sequence's cache
/// rewinds it.
impl Decoder for ModelWeights {
    fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>, ModelError> {
        self.forward_seq(0, tokens, pos)
    }

    fn batches(&self) -> bool {
        true
    }

    fn forward_seq(
        &mut self,
        seq: usize,
        tokens: &[u32],
        pos: usize,
    ) -> Result<Vec<f32>, ModelError> {
        if tokens.is_empty() {
            return Err(ModelError::inference("forward pass over no tokens"));
        }
        if self.caches.len() <= seq {
            self.caches.resize_with(seq + 1, Cache::default);
        }
        let have = self.caches[seq].len;
        if pos > have {
            return Err(ModelError::inference(format!(
                "position {pos} is past the {have} cached positions"
            )));
        }
        let (layers, kv) = (self.layers.len(), self.cfg.kv_dim());
        self.caches[seq].truncate(layers, pos, kv);
        let rows: Vec<(usize, usize)> = (0..tokens.len()).map(|i| (seq, pos + i)).collect();
        // One token is a decode step: on the decode kernels, as in a batch of steps, so that a
        // text is the same whether it was generated alone or beside others (the prompt tiles
        // add the same integers in another order, which moves near-tied logits).
        let prompt = tokens.len() > 1;
        let mut logits = self
            .run(&rows, tokens, tokens.len() - 1, prompt)
            .map_err(ModelError::inference)?;
        Ok(logits.pop().unwrap_or_default())
    }

    /// One decode step for several sequences at once: `steps` holds (sequence, token), each
    /// token going at the end of its sequence's cache. Every weight is read once for the whole
    /// batch, which is what a memory-bound decode step is short of; each row's arithmetic is
    /// exactly that of a step on its own, so the logits (one vector per step) are the same.
    fn forward_batch(&mut self, steps: &[(usize, u32)]) -> Result<Vec<Vec<f32>>, ModelError> {
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        let (layers, kv) = (self.layers.len(), self.cfg.kv_dim());
        let mut rows = Vec::with_capacity(steps.len());
        for (i, &(seq, _)) in steps.iter().enumerate() {
            if steps[..i].iter().any(|&(s, _)| s == seq) {
                return Err(ModelError::inference(format!(
                    "sequence {seq} appears twice in one batch"
                )));
            }
            if self.caches.len() <= seq {
                self.caches.resize_with(seq + 1, Cache::default);
            }
            let len = self.caches[seq].len;
            self.caches[seq].truncate(layers, len, kv);
            rows.push((seq, len));
        }
        let tokens: Vec<u32> = steps.iter().map(|s| s.1).collect();
        self.run(&rows, &tokens, 0, false)
            .map_err(ModelError::inference)
    }

    fn reset(&mut self) {
        self.caches.clear();
    }
}

impl ModelWeights {
    /// The forward pass over `tokens`, row i at (sequence, position) `rows[i]`, each row's
    /// cache already holding exactly the positions before it (or before the first row of its
    /// sequence in this call). Returns the logits of rows `first_logits..`. A `prompt` runs on
    /// the prompt tiles; a decode step, alone or in a batch, never does, so that each row computes
    /// exactly what it would alone.
    fn run(
        &mut self,
        rows: &[(usize, usize)],
        tokens: &[u32],
        first_logits: usize,
        prompt: bool,
    ) -> Result<Vec<Vec<f32>>, String> {
        let cfg = self.cfg.clone();
        let n = tokens.len();
        if let Some(&(_, p)) = rows.iter().find(|r| r.1 >= self.max_seq) {
            return Err(format!(
                "{} positions exceed the context of {}",
                p + 1,
                self.max_seq
            ));
        }
        let vocab = self.embeddings.rows;
        if let Some(bad) = tokens.iter().find(|&&t| t as usize >= vocab) {
            return Err(format!(
                "token id {bad} is outside the vocabulary of {vocab}"
            ));
        }
        let kv = cfg.kv_dim();
        let guard = brief_kernels::pool::global()
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let pool: &Pool = &guard;
        let d = cfg.n_embd;
        let s = &mut self.scratch;
        s.x.resize(n * d, 0.0);
        for (i, &tok) in tokens.iter().enumerate() {
            self.embeddings
                .dequantize_row(tok as usize, &mut s.x[i * d..(i + 1) * d]);
        }
        for (l, layer) in self.layers.iter().enumerate() {
            rms_norm_into(&s.x, &layer.attn_norm, cfg.eps, n, d, &mut s.normed);
            s.q.resize(n * d, 0.0);
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
            for (i, &(seq, p)) in rows.iter().enumerate() {
                let (c, sn) = (
                    &self.cos[p * self.rope_half..(p + 1) * self.rope_half],
                    &self.sin[p * self.rope_half..(p + 1) * self.rope_half],
                );
                rope(&mut s.q[i * d..(i + 1) * d], cfg.head_dim, c, sn, cfg.neox);
                rope(
                    &mut s.k[i * kv..(i + 1) * kv],
                    cfg.head_dim,
                    c,
                    sn,
                    cfg.neox,
                );
                let cache = &mut self.caches[seq];
                cache.k[l].extend_from_slice(&s.k[i * kv..(i + 1) * kv]);
                cache.v[l].extend_from_slice(&s.v[i * kv..(i + 1) * kv]);
            }
            let views: Vec<(&[f32], &[f32])> = self
                .caches
                .iter()
                .map(|c| match (c.k.get(l), c.v.get(l)) {
                    (Some(k), Some(v)) => (&k[..], &v[..]),
                    _ => (&[][..], &[][..]),
                })
                .collect();
            attention(pool, &cfg, &s.q, &views, rows, &mut s.attn);
            s.proj.resize(n * d, 0.0);
            project(
                pool,
                prompt,
                &mut s.attn,
                &mut [(&layer.wo, &mut s.proj[..])],
            );
            for (x, p) in s.x.iter_mut().zip(&s.proj) {
                *x += p;
            }
            rms_norm_into(&s.x, &layer.ffn_norm, cfg.eps, n, d, &mut s.normed);
            let ff = layer.gate.w.rows;
            s.gate.resize(n * ff, 0.0);
            s.up.resize(n * ff, 0.0);
            project(
                pool,
                prompt,
                &mut s.normed,
                &mut [(&layer.gate, &mut s.gate[..]), (&layer.up, &mut s.up[..])],
            );
            for (g, u) in s.gate.iter_mut().zip(&s.up) {
                *g = *g / (1.0 + (-*g).exp()) * u;
            }
            s.act.set(&s.gate, n, ff);
            project(
                pool,
                prompt,
                &mut s.act,
                &mut [(&layer.down, &mut s.proj[..])],
            );
            for (x, p) in s.x.iter_mut().zip(&s.proj) {
                *x += p;
            }
        }
        for &(seq, _) in rows {
            let c = &mut self.caches[seq];
            c.len = c.k.first().map_or(0, |k| k.len() / kv);
        }
        let out_rows = n - first_logits;
        rms_norm_into(
            &s.x[first_logits * d..n * d],
            &self.norm,
            cfg.eps,
            out_rows,
            d,
            &mut s.last,
        );
        s.last.prepare_on(pool, self.output.qtype);
        let vocab_out = self.output.rows;
        let mut logits = vec![0f32; out_rows * vocab_out];
        brief_kernels::matmul(
            pool,
            &mut [MatMul {
                w: &self.output,
                input: &s.last,
                out: &mut logits,
            }],
        );
        Ok(logits
            .chunks_exact(vocab_out)
            .map(<[f32]>::to_vec)
            .collect())
    }
}

fn rms_norm_into(x: &[f32], w: &[f32], eps: f32, rows: usize, d: usize, out: &mut Input) {
    let mut y = std::mem::take(&mut out.x);
    y.resize(rows * d, 0.0);
    for (xr, yr) in x.chunks_exact(d).zip(y.chunks_exact_mut(d)).take(rows) {
        let ms = xr.iter().map(|v| v * v).sum::<f32>() / d as f32;
        let scale = 1.0 / (ms + eps).sqrt();
        for ((y, x), w) in yr.iter_mut().zip(xr).zip(w) {
            *y = x * scale * w;
        }
    }
    out.set_owned(y, rows, d);
}

/// Rotates each head of one position: interleaved pairs for llama (whose GGUF conversion
/// permutes q and k for it), halves for qwen2 ("neox").
fn rope(v: &mut [f32], head_dim: usize, cos: &[f32], sin: &[f32], neox: bool) {
    let half = cos.len();
    for h in v.chunks_exact_mut(head_dim) {
        for i in 0..half {
            let (a, b) = if neox {
                (i, i + half)
            } else {
                (2 * i, 2 * i + 1)
            };
            let (x0, x1) = (h[a], h[b]);
            h[a] = x0 * cos[i] - x1 * sin[i];
            h[b] = x0 * sin[i] + x1 * cos[i];
        }
    }
}

/// Several projections of one input in one parallel job on the quantized blocks (a prompt on
/// the prompt tiles), biases added.
fn project(pool: &Pool, prompt: bool, input: &mut Input, outs: &mut [(&Linear, &mut [f32])]) {
    for (l, _) in outs.iter() {
        input.prepare_on(pool, l.w.qtype);
    }
    {
        let input = &*input;
        let mut jobs: Vec<MatMul<'_>> = outs
            .iter_mut()
            .map(|(l, out)| MatMul {
                w: &l.w,
                input,
                out: &mut out[..],
            })
            .collect();
        if prompt {
            brief_kernels::matmul_prompt(pool, &mut jobs);
        } else {
            brief_kernels::matmul(pool, &mut jobs);
        }
    }
    for (l, out) in outs.iter_mut() {
        if let Some(b) = &l.bias {
            for row in out.chunks_exact_mut(b.len()) {
                for (o, b) in row.iter_mut().zip(b) {
                    *o += b;
                }
            }
        }
    }
}

/// Causal attention of each row (queries `q`, `[row][n_head][head_dim]`) over its own
/// sequence's cache, `rows[i]` = (sequence, position): row i sees positions `..=position`.
/// Grouped-query heads share their kv head. One (row, head) pair per work item.
fn attention(
    pool: &Pool,
    cfg: &Config,
    q: &[f32],
    caches: &[(&[f32], &[f32])],
    rows: &[(usize, usize)],
    out: &mut Input,
) {
    let (hd, heads, kv) = (cfg.head_dim, cfg.n_head, cfg.kv_dim());
    let group = cfg.n_head / cfg.n_kv_head;
    let d = cfg.n_embd;
    let n = rows.len();
    let mut y = std::mem::take(&mut out.x);
    y.clear();
    y.resize(n * d, 0.0);
    // Item i · heads + h writes y[i][h] only (hd = d / heads, so every row has its heads).
    let parts = Parts::new(
        y.chunks_exact_mut(d)
            .flat_map(|row| row.chunks_exact_mut(hd).take(heads)),
    );
    let scale = 1.0 / (hd as f32).sqrt();
    let longest = rows.iter().map(|r| r.1 + 1).max().unwrap_or(1);
    pool.run(&|t, threads| {
        let mut scores: Vec<f32> = Vec::with_capacity(longest + 8);
        let items = n * heads;
        // Few rows (decode): contiguous runs of heads, so that the heads sharing a kv head
        // mostly share a thread and read its keys and values from that core's cache. Many
        // rows (prefill): round-robin, so that long (late) and short rows even out.
        let (mut item, step, end) = if n <= 4 {
            (items * t / threads, 1, items * (t + 1) / threads)
        } else {
            (t, threads, items)
        };
        while item < end {
            let (i, h) = (item / heads, item % heads);
            let (seq, pos) = rows[i];
            let (k, v) = caches[seq];
            let qh = &q[i * d + h * hd..i * d + (h + 1) * hd];
            let kh = (h / group) * hd;
            let yh = parts.take(item);
            brief_kernels::attend(qh, &k[kh..], &v[kh..], kv, pos + 1, scale, &mut scores, yh);
            item += step;
        }
    });
    out.set_owned(y, n, d);
}

#[cfg(test)]
mod tests {
    use crate::llm::model::{Model, WeightFormat};
    use candle_core::Device;

    fn models() -> (tempfile::TempDir, Model, Model) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        crate::testing::write_tiny_llama(&path, 5).unwrap();
        let exact = Model::load(&path, None, &Device::Cpu, WeightFormat::Exact).unwrap();
        let fast = Model::load(&path, None, &Device::Cpu, WeightFormat::Fast).unwrap();
        (dir, exact, fast)
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    /// The largest logit difference in spreads (standard deviations) of the reference's.
    fn spreads(r: &[f32], f: &[f32]) -> f32 {
        let mean = r.iter().sum::<f32>() / r.len() as f32;
        let spread =
            (r.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / r.len() as f32).sqrt();
        max_diff(r, f) / spread
    }

    #[test]
    fn prefill_and_decode_stay_close_to_the_f32_reference() {
        let (_dir, mut exact, mut fast) = models();
        let prompt: Vec<u32> = (0..40).map(|i| (i * 7 % 50) as u32).collect();
        // Both round activations to 8 bits: close, not equal (see tests/real_models.rs). A
        // difference of exactly 0 would mean the prompt never reached the integer tiles.
        let (r, f) = (
            exact.forward(&prompt, 0).unwrap(),
            fast.forward(&prompt, 0).unwrap(),
        );
        let d = spreads(&r, &f);
        assert!(d > 0.0 && d < 0.35, "prefill differs by {d} spreads");
        for (i, tok) in [3u32, 9, 27, 1].iter().enumerate() {
            let pos = prompt.len() + i;
            let (r, f) = (
                exact.forward(&[*tok], pos).unwrap(),
                fast.forward(&[*tok], pos).unwrap(),
            );
            let d = spreads(&r, &f);
            assert!(
                d > 0.0 && d < 0.35,
                "decode step {i} differs by {d} spreads"
            );
        }
    }

    /// Where the child run of the test below writes its logits.
    const LOGITS_OUT: &str = "BRIEF_TEST_LOGITS_OUT";

    /// The portable kernels (every CPU without AVX2) against the vectorised ones through the
    /// whole model. The choice of kernels is made once per process, so each side runs in a
    /// child of this test binary. A greedy text from the random-weight model cannot be the
    /// measure: its logits are nearly flat, so a rounding difference in the last place flips
    /// a near-tie; the logits themselves must agree far inside what moves a trained model.
    #[test]
    fn the_portable_kernels_give_the_vectorised_logits() {
        let prompt: Vec<u32> = (0..40).map(|i| (i * 11 % 50) as u32).collect();
        if let Some(out) = std::env::var_os(LOGITS_OUT) {
            let (_dir, _exact, mut fast) = models();
            let mut all = fast.forward(&prompt, 0).unwrap();
            for (i, tok) in [3u32, 9, 27, 1].iter().enumerate() {
                all.extend(fast.forward(&[*tok], prompt.len() + i).unwrap());
            }
            let bytes: Vec<u8> = all.iter().flat_map(|x| x.to_le_bytes()).collect();
            std::fs::write(out, bytes).unwrap();
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let run = |portable: bool| {
            let out = dir.path().join(format!("logits-{portable}"));
            let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
            cmd.args([
                "--exact",
                "llm::models::llama::cpu::tests::the_portable_kernels_give_the_vectorised_logits",
                "--test-threads=1",
            ])
            .env(LOGITS_OUT, &out)
            .env("BRIEF_THREADS", "1")
            .env_remove("BRIEF_NO_SIMD");
            if portable {
                cmd.env("BRIEF_NO_SIMD", "1");
            }
            let o = cmd.output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
            let bytes = std::fs::read(&out).unwrap();
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect::<Vec<f32>>()
        };
        let (simd, portable) = (run(false), run(true));
        assert!(!simd.is_empty());
        let vocab = simd.len() / 5;
        for (i, (s, p)) in simd.chunks(vocab).zip(portable.chunks(vocab)).enumerate() {
            let d = spreads(p, s);
            // Prefill then four decode steps; 8-bit activations on both sides, so the only
            // differences are the order of float sums and the vector exp in attention.
            assert!(
                d < 1e-3,
                "step {i}: portable and vectorised differ by {d} spreads"
            );
        }
    }

    #[test]
    fn a_position_inside_the_cache_rewinds_it() {
        let (_dir, _exact, mut fast) = models();
        let a = fast.forward(&[1, 2, 3, 4], 0).unwrap();
        fast.forward(&[5, 6], 4).unwrap();
        // Back to position 2 with the same tokens as before: the same logits as the first pass.
        fast.forward(&[3], 2).unwrap();
        let again = fast.forward(&[4], 3).unwrap();
        // Fresh, position 2 again a decode step: a prompt row runs on other kernels (the
        // prompt tiles), so its cache entry would differ in the last bits.
        let fresh = {
            fast.reset();
            fast.forward(&[1, 2], 0).unwrap();
            fast.forward(&[3], 2).unwrap();
            fast.forward(&[4], 3).unwrap()
        };
        assert!(max_diff(&again, &fresh) == 0.0);
        assert_eq!(a.len(), again.len());
    }

    /// A decode step computes the same logits, to the bit, alone or in a batch beside other
    /// sequences: that is what makes a summary the same text whether a worker wrote it in a
    /// batch or the report wrote it alone. (On AVX-512 VNNI a lone step once ran on the
    /// prompt tiles, which add in another order, and real models then wrote other words.)
    #[test]
    fn a_decode_step_alone_and_in_a_batch_give_the_same_logits() {
        let prompts: [Vec<u32>; 3] = [
            (0..37).map(|i| (i * 7 % 50) as u32).collect(),
            (0..12).map(|i| (i * 3 % 50) as u32).collect(),
            (0..25).map(|i| (i * 11 % 50) as u32).collect(),
        ];
        let steps = [9u32, 27, 4, 33];
        let (_dir, _exact, mut alone) = models();
        alone.forward_seq(0, &prompts[0], 0).unwrap();
        let mut lone = Vec::new();
        for (i, &t) in steps.iter().enumerate() {
            lone.push(alone.forward(&[t], prompts[0].len() + i).unwrap());
        }
        let (_dir2, _exact2, mut batched) = models();
        for (seq, p) in prompts.iter().enumerate() {
            batched.forward_seq(seq, p, 0).unwrap();
        }
        for (i, &t) in steps.iter().enumerate() {
            let outs = batched
                .forward_batch(&[(0, t), (1, t ^ 1), (2, t ^ 2)])
                .unwrap();
            assert!(
                outs[0] == lone[i],
                "step {i}: max difference {}",
                max_diff(&outs[0], &lone[i])
            );
        }
    }

    #[test]
    fn bad_positions_and_tokens_are_errors_not_panics() {
        let (_dir, _exact, mut fast) = models();
        let e = fast.forward(&[1], 5).unwrap_err().to_string();
        assert!(e.contains("past the 0 cached positions"), "{e}");
        let e = fast.forward(&[1_000_000], 0).unwrap_err().to_string();
        assert!(e.contains("outside the vocabulary"), "{e}");
        assert!(fast.forward(&[], 0).is_err());
    }
}
