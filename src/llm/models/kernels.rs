//! What every architecture on brief's own CPU kernels ([`brief_kernels`]) shares: reading
//! tensors out of the memory-mapped GGUF, the per-sequence KV caches and the [`Decoder`]
//! plumbing around them ([`OnKernels`]), and the row operations a transformer layer is made of
//! (RMS norm, RoPE, projections on the quantized blocks, attention over a cache).
//!
//! Each architecture (`llama::cpu`, `gemma3::cpu`) keeps only its own forward pass, as a
//! [`Forward`]; the rules that make a text the same alone or in a batch (a lone step on the
//! decode kernels, one row per sequence per batch, rewinding by position) live here once.

use std::path::Path;
use std::sync::Arc;

use candle_core::quantized::{gguf_file, GgmlDType};

use brief_kernels::{f16, Bytes, Input, MatMul, Parts, Pool, QMatrix, QType};

use crate::llm::model::ModelError;
use crate::llm::models::Decoder;

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

pub struct Linear {
    pub w: QMatrix,
    pub bias: Option<Vec<f32>>,
}

/// The shape of a model's KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheShape {
    pub layers: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
}

/// One sequence's keys and values: per layer, `[kv head][position][head dim]` in f16 (see
/// [`brief_kernels::attend`]), with room for `cap` positions a head. Head-major, so that the
/// keys a decode step's head reads are one contiguous run: position-major, a head's rows lay
/// a whole position apart, and with the weights streaming through the caches between layers
/// its attention ran at half the speed (`kv_layout` example: 2.6 against 1.3 ms a step for
/// smollm2's 30 layers at 700 positions).
#[derive(Default)]
pub struct Cache {
    k: Vec<Vec<f16>>,
    v: Vec<Vec<f16>>,
    /// Positions each layer holds (a run appends layer by layer).
    filled: Vec<usize>,
    /// Positions of room a head has, per layer.
    cap: Vec<usize>,
    shape: Option<CacheShape>,
    pub len: usize,
}

/// One layer of one sequence's cache as the attention reads it: kv head `h`'s position `p`
/// starts at `h * head_stride + p * head_dim` in `k` and `v`.
#[derive(Clone, Copy)]
pub struct KvView<'a> {
    pub k: &'a [f16],
    pub v: &'a [f16],
    pub head_stride: usize,
}

impl Cache {
    /// Keeps the first `pos` positions of every layer (`pos` <= `len`), shaped as `shape`.
    fn truncate(&mut self, shape: CacheShape, pos: usize) {
        if self.shape != Some(shape) {
            *self = Self {
                shape: Some(shape),
                ..Self::default()
            };
        }
        let layers = shape.layers;
        self.k.resize_with(layers, Vec::new);
        self.v.resize_with(layers, Vec::new);
        self.cap.resize(layers, 0);
        self.filled.resize(layers, 0);
        for f in &mut self.filled {
            *f = (*f).min(pos);
        }
        self.len = pos;
    }

    /// Appends one position's keys and values (`[kv head][head dim]`) to layer `l`.
    pub fn push(&mut self, l: usize, k: &[f32], v: &[f32]) {
        let shape = self.shape.expect("a cache is shaped before its first push");
        let (heads, hd) = (shape.kv_heads, shape.head_dim);
        assert!(k.len() == heads * hd && v.len() == heads * hd);
        let at = self.filled[l];
        if at == self.cap[l] {
            // Twice the room (at least 256 positions), each head's run moved to its new start.
            let cap = (2 * self.cap[l]).max(256);
            for store in [&mut self.k[l], &mut self.v[l]] {
                let mut grown = vec![f16::ZERO; heads * cap * hd];
                for h in 0..heads {
                    let old = &store[h * self.cap[l] * hd..][..at * hd];
                    grown[h * cap * hd..][..at * hd].copy_from_slice(old);
                }
                *store = grown;
            }
            self.cap[l] = cap;
        }
        let cap = self.cap[l];
        for (store, x) in [(&mut self.k[l], k), (&mut self.v[l], v)] {
            for h in 0..heads {
                let dst = &mut store[(h * cap + at) * hd..][..hd];
                for (d, &s) in dst.iter_mut().zip(&x[h * hd..(h + 1) * hd]) {
                    *d = f16::from_f32(s);
                }
            }
        }
        self.filled[l] = at + 1;
    }

    /// Layer `l`'s keys and values, empty for a sequence that has none yet.
    pub fn layer(&self, l: usize) -> KvView<'_> {
        match (self.k.get(l), self.v.get(l), self.shape) {
            (Some(k), Some(v), Some(s)) => KvView {
                k,
                v,
                head_stride: self.cap[l] * s.head_dim,
            },
            _ => KvView {
                k: &[],
                v: &[],
                head_stride: 0,
            },
        }
    }
}

/// An architecture's forward pass on the kernels: the part [`OnKernels`] does not share.
pub trait Forward: Send {
    /// The shape of one sequence's KV cache.
    fn cache_shape(&self) -> CacheShape;

    /// The forward pass over `tokens`, row i at (sequence, position) `rows[i]`, each row's
    /// cache already holding exactly the positions before it (or before the first row of its
    /// sequence in this call); appends every row's keys and values to its cache. Returns the
    /// logits of rows `first_logits..`. A `prompt` runs on the prompt tiles; a decode step,
    /// alone or in a batch, never does, so that each row computes exactly what it would alone.
    fn run(
        &mut self,
        caches: &mut [Cache],
        rows: &[(usize, usize)],
        tokens: &[u32],
        first_logits: usize,
        prompt: bool,
    ) -> Result<Vec<Vec<f32>>, String>;
}

/// An architecture on the kernels with its sequences: every sequence has its own KV cache,
/// and a `pos` before the end of a sequence's cache rewinds it.
pub struct OnKernels<F> {
    model: F,
    caches: Vec<Cache>,
}

impl<F: Forward> OnKernels<F> {
    pub fn new(model: F) -> Self {
        Self {
            model,
            caches: Vec::new(),
        }
    }

    fn cache(&mut self, seq: usize) -> &mut Cache {
        if self.caches.len() <= seq {
            self.caches.resize_with(seq + 1, Cache::default);
        }
        &mut self.caches[seq]
    }

    fn run(
        &mut self,
        rows: &[(usize, usize)],
        tokens: &[u32],
        first_logits: usize,
        prompt: bool,
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        let out = self
            .model
            .run(&mut self.caches, rows, tokens, first_logits, prompt)
            .map_err(ModelError::inference);
        for &(seq, _) in rows {
            let c = &mut self.caches[seq];
            c.len = c.filled.first().copied().unwrap_or(0);
        }
        out
    }
}

impl<F: Forward> Decoder for OnKernels<F> {
    fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>, ModelError> {
        self.forward_seq(0, tokens, pos)
    }

    fn batches(&self) -> bool {
        true
    }

    fn rewinds(&self) -> bool {
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
        let shape = self.model.cache_shape();
        let cache = self.cache(seq);
        let have = cache.len;
        if pos > have {
            return Err(ModelError::inference(format!(
                "position {pos} is past the {have} cached positions"
            )));
        }
        cache.truncate(shape, pos);
        let rows: Vec<(usize, usize)> = (0..tokens.len()).map(|i| (seq, pos + i)).collect();
        // One token is a decode step: on the decode kernels, as in a batch of steps, so that a
        // text is the same whether it was generated alone or beside others (the prompt tiles
        // add the same integers in another order, which moves near-tied logits).
        let prompt = tokens.len() > 1;
        let mut logits = self.run(&rows, tokens, tokens.len() - 1, prompt)?;
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
        let shape = self.model.cache_shape();
        let mut rows = Vec::with_capacity(steps.len());
        for (i, &(seq, _)) in steps.iter().enumerate() {
            if steps[..i].iter().any(|&(s, _)| s == seq) {
                return Err(ModelError::inference(format!(
                    "sequence {seq} appears twice in one batch"
                )));
            }
            let cache = self.cache(seq);
            let len = cache.len;
            cache.truncate(shape, len);
            rows.push((seq, len));
        }
        let tokens: Vec<u32> = steps.iter().map(|s| s.1).collect();
        self.run(&rows, &tokens, 0, false)
    }

    fn reset(&mut self) {
        self.caches.clear();
    }
}

/// Refuses rows past `max_seq` and tokens outside the vocabulary before any work starts.
pub fn check_rows(
    rows: &[(usize, usize)],
    tokens: &[u32],
    max_seq: usize,
    vocab: usize,
) -> Result<(), String> {
    if let Some(&(_, p)) = rows.iter().find(|r| r.1 >= max_seq) {
        return Err(format!(
            "{} positions exceed the context of {max_seq}",
            p + 1
        ));
    }
    if let Some(bad) = tokens.iter().find(|&&t| t as usize >= vocab) {
        return Err(format!(
            "token id {bad} is outside the vocabulary of {vocab}"
        ));
    }
    Ok(())
}

/// Reads tensors out of the memory-mapped file.
pub struct Tensors<'a> {
    ct: &'a gguf_file::Content,
    map: Arc<memmap2::Mmap>,
}

impl<'a> Tensors<'a> {
    /// Maps `path`, the GGUF `ct` was read from.
    pub fn map(ct: &'a gguf_file::Content, path: &Path) -> Result<Self, LoadError> {
        let file = std::fs::File::open(path)?;
        // SAFETY: the map is read-only and only ever read through (`Bytes::Mapped`); it stays
        // sound as long as the file is not changed under us, which no code can promise: the
        // file is a model the user gave us to read, and if another process truncates it while
        // we run we may fault, as every memory-mapping inference engine may. (Copying the
        // weights into huge-page anonymous memory instead was measured: no faster.)
        let map = Arc::new(unsafe { memmap2::Mmap::map(&file)? });
        Ok(Self { ct, map })
    }

    pub fn has(&self, name: &str) -> bool {
        self.ct.tensor_infos.contains_key(name)
    }

    pub fn matrix(&self, name: &str) -> Result<QMatrix, LoadError> {
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

    pub fn vector(&self, name: &str, want: usize) -> Result<Vec<f32>, LoadError> {
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

    pub fn linear(&self, name: &str, bias: bool) -> Result<Linear, LoadError> {
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

/// cos and sin of position × frequency for positions `0..positions`, `[position][freqs]`.
pub struct RopeTable {
    pub cos: Vec<f32>,
    pub sin: Vec<f32>,
    pub half: usize,
}

impl RopeTable {
    pub fn new(freqs: &[f32], positions: usize) -> Self {
        let half = freqs.len();
        let mut cos = Vec::with_capacity(positions * half);
        let mut sin = Vec::with_capacity(positions * half);
        for p in 0..positions {
            for th in freqs {
                let a = p as f32 * th;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        Self { cos, sin, half }
    }

    /// Rotates every head (`head_dim` floats each) of one position `p`.
    pub fn rotate(&self, v: &mut [f32], head_dim: usize, p: usize, neox: bool) {
        let r = p * self.half..(p + 1) * self.half;
        rope(v, head_dim, &self.cos[r.clone()], &self.sin[r], neox);
    }
}

/// Buffers reused across forward passes, so a decode step allocates nothing
/// large; the same buffers serve every architecture on the kernels.
#[derive(Default)]
pub struct Scratch {
    pub x: Vec<f32>,
    pub normed: Input,
    pub q: Vec<f32>,
    pub k: Vec<f32>,
    pub v: Vec<f32>,
    pub attn: Input,
    pub proj: Vec<f32>,
    pub gate: Vec<f32>,
    pub up: Vec<f32>,
    pub act: Input,
    pub last: Input,
}

/// RMS norm of each `d`-wide row of `x` into `out`, scaled by `w`.
pub fn rms_norm_into(x: &[f32], w: &[f32], eps: f32, rows: usize, d: usize, out: &mut Input) {
    let mut y = std::mem::take(&mut out.x);
    y.resize(rows * d, 0.0);
    for (xr, yr) in x.chunks_exact(d).zip(y.chunks_exact_mut(d)).take(rows) {
        let scale = rms_scale(xr, eps);
        for ((y, x), w) in yr.iter_mut().zip(xr).zip(w) {
            *y = x * scale * w;
        }
    }
    out.set_owned(y, rows, d);
}

/// RMS norm of each `w.len()`-wide piece of `x`, in place (gemma's per-head and post norms).
pub fn rms_norm_in_place(x: &mut [f32], w: &[f32], eps: f32) {
    for r in x.chunks_exact_mut(w.len()) {
        let scale = rms_scale(r, eps);
        for (x, w) in r.iter_mut().zip(w) {
            *x = *x * scale * w;
        }
    }
}

fn rms_scale(x: &[f32], eps: f32) -> f32 {
    let ms = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    1.0 / (ms + eps).sqrt()
}

/// Rotates each head of one position: interleaved pairs for llama (whose GGUF conversion
/// permutes q and k for it), halves for qwen2 and gemma ("neox").
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
pub fn project(pool: &Pool, prompt: bool, input: &mut Input, outs: &mut [(&Linear, &mut [f32])]) {
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

/// The logits of the rows of `x` (already normed into `last`) through `output`.
pub fn logits(pool: &Pool, output: &QMatrix, last: &mut Input, rows: usize) -> Vec<Vec<f32>> {
    last.prepare_on(pool, output.qtype);
    let vocab = output.rows;
    let mut out = vec![0f32; rows * vocab];
    brief_kernels::matmul(
        pool,
        &mut [MatMul {
            w: output,
            input: last,
            out: &mut out,
        }],
    );
    out.chunks_exact(vocab).map(<[f32]>::to_vec).collect()
}

/// The shape of one layer's attention.
#[derive(Debug, Clone, Copy)]
pub struct Heads {
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
    /// Multiplies q·k before the softmax.
    pub scale: f32,
    /// A query at position i sees key j only when `i - j < window` (sliding-window layers).
    pub window: Option<usize>,
}

/// Causal attention of each row (queries `q`, `[row][n_head][head_dim]`) over its own
/// sequence's cache (`caches[seq]` = keys, values), `rows[i]` = (sequence, position): row i
/// sees positions `..=position`, the last `window` of them on a sliding layer. A decode step's
/// work items are single heads; a prompt's are tiles of up to sixteen rows of one sequence and
/// the heads of one kv head ([`brief_kernels::attend_tile`]).
pub fn attention(
    pool: &Pool,
    h: Heads,
    q: &[f32],
    caches: &[KvView<'_>],
    rows: &[(usize, usize)],
    out: &mut Input,
) {
    let (hd, heads) = (h.head_dim, h.n_head);
    let width = heads * hd;
    let n = rows.len();
    let mut y = std::mem::take(&mut out.x);
    y.clear();
    y.resize(n * width, 0.0);
    if n > 4 {
        prompt_attention(pool, h, q, caches, rows, &mut y);
    } else {
        step_attention(pool, h, q, caches, rows, &mut y);
    }
    out.set_owned(y, n, width);
}

/// The positions row `(_, pos)` sees.
fn span(h: Heads, pos: usize) -> std::ops::Range<usize> {
    h.window.map_or(0, |w| (pos + 1).saturating_sub(w))..pos + 1
}

/// A decode step's attention: each thread takes a contiguous run of the step's heads (rows ×
/// heads), as the heads sharing a kv head are contiguous, and attends each run of heads that
/// share one (`attend_group`), so that their keys and values are read and converted once. The
/// runs are cut the same for any thread count, up to where the threads' shares meet, and a
/// head's output does not depend on its company, so the step says the same thing either way.
fn step_attention(
    pool: &Pool,
    h: Heads,
    q: &[f32],
    caches: &[KvView<'_>],
    rows: &[(usize, usize)],
    y: &mut [f32],
) {
    let (hd, heads) = (h.head_dim, h.n_head);
    let group = heads / h.n_kv_head;
    let items = rows.len() * heads;
    let threads = pool.threads();
    // Runs of items (first, count): cut where a kv head or a row ends and where a thread's
    // share ends.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for t in 0..threads {
        let (lo, hi) = (items * t / threads, items * (t + 1) / threads);
        let mut a = lo;
        while a < hi {
            let b = ((a / group + 1) * group).min(hi);
            runs.push((a, b - a));
            a = b;
        }
    }
    let mut rest = &mut y[..items * hd];
    let parts = Parts::new(runs.iter().map(|&(_, count)| {
        let (run, tail) = std::mem::take(&mut rest).split_at_mut(count * hd);
        rest = tail;
        run
    }));
    let longest = rows.iter().map(|r| r.1 + 1).max().unwrap_or(1);
    pool.run(&|t, threads| {
        let mut scores: Vec<f32> = Vec::with_capacity(group * (longest + 16 + hd));
        let (lo, hi) = (items * t / threads, items * (t + 1) / threads);
        for (r, &(first, count)) in runs.iter().enumerate() {
            if first < lo || first >= hi {
                continue;
            }
            let (i, head) = (first / heads, first % heads);
            let (seq, pos) = rows[i];
            let c = caches[seq];
            let seen = span(h, pos);
            let kh = (head / group) * c.head_stride + seen.start * hd;
            let qh = &q[first * hd..(first + count) * hd];
            brief_kernels::attend_group(
                qh,
                count,
                &c.k[kh..],
                &c.v[kh..],
                hd,
                seen.len(),
                h.scale,
                &mut scores,
                parts.take(r),
            );
        }
    });
}

/// A prompt's attention: items are (tile of up to sixteen consecutive rows of one sequence,
/// kv head), each the tile's query heads of that kv head against the keys they see, claimed
/// by whichever thread is free, the longest first, so the threads finish together even when
/// one of them is slowed by another process.
fn prompt_attention(
    pool: &Pool,
    h: Heads,
    q: &[f32],
    caches: &[KvView<'_>],
    rows: &[(usize, usize)],
    y: &mut [f32],
) {
    let hd = h.head_dim;
    let kvh = h.n_kv_head;
    let group = h.n_head / kvh;
    let mut tiles: Vec<std::ops::Range<usize>> = Vec::new();
    for i in 0..rows.len() {
        match tiles.last_mut() {
            Some(t) if t.len() < 16 && rows[t.start].0 == rows[i].0 => t.end = i + 1,
            _ => tiles.push(i..i + 1),
        }
    }
    let mut items: Vec<(usize, usize)> = (0..tiles.len())
        .flat_map(|t| (0..kvh).map(move |g| (t, g)))
        .collect();
    let work = |&(t, _): &(usize, usize)| {
        let last: &std::ops::Range<usize> = &tiles[t];
        std::cmp::Reverse(rows[last.end - 1].1 * last.len())
    };
    items.sort_by_key(work);
    // Part r · kvh + g: row r's heads of kv head g.
    let parts = Parts::new(y.chunks_exact_mut(group * hd));
    pool.claim(items.len(), &|item, scratch| {
        let (t, g) = items[item];
        let tile = tiles[t].clone();
        let c = caches[rows[tile.start].0];
        let (k, v) = (&c.k[g * c.head_stride..], &c.v[g * c.head_stride..]);
        let mut qs: Vec<&[f32]> = Vec::with_capacity(tile.len() * group);
        let mut spans = Vec::with_capacity(tile.len() * group);
        let mut outs: Vec<&mut [f32]> = Vec::with_capacity(tile.len() * group);
        for i in tile {
            let at = i * h.n_head * hd + g * group * hd;
            qs.extend(q[at..at + group * hd].chunks_exact(hd));
            spans.extend(std::iter::repeat_n(span(h, rows[i].1), group));
            outs.extend(parts.take(i * kvh + g).chunks_exact_mut(hd));
        }
        brief_kernels::attend_tile(&qs, &spans, k, v, hd, h.scale, scratch, &mut outs);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key and value stays where the attention looks for it (head h, position p at
    /// `h * head_stride + p * head_dim`) across the cache's growth and a rewind.
    #[test]
    fn the_cache_keeps_each_heads_positions_through_growth_and_rewind() {
        let shape = CacheShape {
            layers: 2,
            kv_heads: 3,
            head_dim: 4,
        };
        // Integers below 2,048 are exact in f16; a prime modulus keeps neighbours apart.
        let value = |l: usize, p: usize, h: usize, i: usize, round: usize| {
            ((round * 13 + l * 7 + p * 12 + h * 4 + i) % 2039) as f32
        };
        let row = |l: usize, p: usize, round: usize| -> Vec<f32> {
            (0..12).map(|x| value(l, p, x / 4, x % 4, round)).collect()
        };
        let mut c = Cache::default();
        c.truncate(shape, 0);
        let check = |c: &Cache, upto: usize, round_from: usize, round: usize| {
            for l in 0..2 {
                let view = c.layer(l);
                for p in 0..upto {
                    let r = if p >= round_from { round } else { 0 };
                    for h in 0..3 {
                        for i in 0..4 {
                            let at = h * view.head_stride + p * 4 + i;
                            let want = f16::from_f32(value(l, p, h, i, r));
                            assert_eq!(view.k[at], want, "k layer {l} pos {p} head {h} [{i}]");
                            assert_eq!(view.v[at], want, "v layer {l} pos {p} head {h} [{i}]");
                        }
                    }
                }
            }
        };
        for p in 0..600 {
            for l in 0..2 {
                c.push(l, &row(l, p, 0), &row(l, p, 0));
            }
        }
        check(&c, 600, 600, 0);
        c.truncate(shape, 300);
        assert_eq!(c.len, 300);
        for p in 300..700 {
            for l in 0..2 {
                c.push(l, &row(l, p, 1), &row(l, p, 1));
            }
        }
        check(&c, 700, 300, 1);
        // Another shape starts afresh.
        c.truncate(
            CacheShape {
                kv_heads: 1,
                ..shape
            },
            0,
        );
        assert_eq!(c.layer(0).k.len(), 0);
    }
}
