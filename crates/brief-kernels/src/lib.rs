//! Our own CPU kernels for GGUF weights: matrix × activations products straight on the file's
//! quantized blocks (Q4_1, Q5_0, Q8_0, Q4_K, Q6_K, and f32), with AVX2/FMA versions picked at
//! run time and a portable fallback. candle's CPU path dequantizes or falls back to a generic
//! dot product for most of these types; these follow ggml's approach instead (8-bit activations,
//! integer sums per block), which is what decoding, a memory-bound matrix-vector product per
//! token, needs.

pub mod act;
pub mod blocks;
#[cfg(target_arch = "x86_64")]
mod narrow;
pub mod pointwise;
pub mod pool;
#[cfg(target_arch = "x86_64")]
mod wide;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::ops::Range;
use std::sync::Arc;

use candle_core::quantized::GgmlDType;

pub use act::{Act256, Act256T, Act32, Act32T};
pub use half::f16;
pub use pool::{Parts, Pool};

#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("tensor type {0:?} has no kernel (supported: F32, F16, Q8_0, Q4_1, Q5_0, Q4_K, Q6_K)")]
    Unsupported(GgmlDType),
    #[error("a {rows}x{cols} {qtype:?} matrix needs {want} bytes, got {got}")]
    Size {
        qtype: QType,
        rows: usize,
        cols: usize,
        want: usize,
        got: usize,
    },
}

/// The block formats we have kernels for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QType {
    F32,
    Q8_0,
    Q4_1,
    Q5_0,
    Q4K,
    Q6K,
}

impl QType {
    /// F16 is not listed: such matrices are widened to F32 when loaded.
    pub fn from_ggml(t: GgmlDType) -> Result<Self, KernelError> {
        Ok(match t {
            GgmlDType::F32 => Self::F32,
            GgmlDType::Q8_0 => Self::Q8_0,
            GgmlDType::Q4_1 => Self::Q4_1,
            GgmlDType::Q5_0 => Self::Q5_0,
            GgmlDType::Q4K => Self::Q4K,
            GgmlDType::Q6K => Self::Q6K,
            other => return Err(KernelError::Unsupported(other)),
        })
    }

    /// Elements per block.
    pub fn block_len(self) -> usize {
        match self {
            Self::F32 => 1,
            Self::Q8_0 | Self::Q4_1 | Self::Q5_0 => 32,
            Self::Q4K | Self::Q6K => 256,
        }
    }

    pub fn block_bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::Q8_0 => blocks::Q8_0_BYTES,
            Self::Q4_1 => blocks::Q4_1_BYTES,
            Self::Q5_0 => blocks::Q5_0_BYTES,
            Self::Q4K => blocks::Q4_K_BYTES,
            Self::Q6K => blocks::Q6_K_BYTES,
        }
    }
}

/// Where a matrix's bytes live: in the memory-mapped GGUF file (the usual case: nothing is
/// copied and the page cache shares them between processes), or in memory we own.
#[derive(Clone)]
pub enum Bytes {
    Owned(Arc<Vec<u8>>),
    Mapped(Arc<memmap2::Mmap>, Range<usize>),
}

impl Bytes {
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Self::Owned(v) => v,
            Self::Mapped(m, r) => &m[r.clone()],
        }
    }
}

/// A weight matrix of `rows` output features by `cols` input features, row-major, each row a
/// run of whole blocks, exactly as GGUF stores it.
#[derive(Clone)]
pub struct QMatrix {
    pub qtype: QType,
    pub rows: usize,
    pub cols: usize,
    bytes: Bytes,
}

impl std::fmt::Debug for QMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QMatrix({:?}, {}x{})", self.qtype, self.rows, self.cols)
    }
}

impl QMatrix {
    pub fn new(qtype: QType, rows: usize, cols: usize, bytes: Bytes) -> Result<Self, KernelError> {
        let want = rows * cols / qtype.block_len() * qtype.block_bytes();
        let got = bytes.as_slice().len();
        if !cols.is_multiple_of(qtype.block_len()) || want != got {
            return Err(KernelError::Size {
                qtype,
                rows,
                cols,
                want,
                got,
            });
        }
        Ok(Self {
            qtype,
            rows,
            cols,
            bytes,
        })
    }

    pub fn from_f32(rows: usize, cols: usize, values: &[f32]) -> Result<Self, KernelError> {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        Self::new(QType::F32, rows, cols, Bytes::Owned(Arc::new(bytes)))
    }

    fn row_bytes(&self) -> usize {
        self.cols / self.qtype.block_len() * self.qtype.block_bytes()
    }

    pub fn row(&self, r: usize) -> &[u8] {
        let n = self.row_bytes();
        &self.bytes.as_slice()[r * n..(r + 1) * n]
    }

    /// Row `r` as f32: an embedding lookup reads one row, never the whole table.
    pub fn dequantize_row(&self, r: usize, out: &mut [f32]) {
        let row = self.row(r);
        let (len, bytes) = (self.qtype.block_len(), self.qtype.block_bytes());
        let f: fn(&[u8], &mut [f32]) = match self.qtype {
            QType::F32 => |b, o| o[0] = f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            QType::Q8_0 => blocks::dequant_q8_0,
            QType::Q4_1 => blocks::dequant_q4_1,
            QType::Q5_0 => blocks::dequant_q5_0,
            QType::Q4K => blocks::dequant_q4_k,
            QType::Q6K => blocks::dequant_q6_k,
        };
        for (b, o) in row.chunks_exact(bytes).zip(out.chunks_exact_mut(len)) {
            f(b, o);
        }
    }

    /// The whole matrix as f32, row-major.
    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.rows * self.cols];
        for (r, o) in out.chunks_exact_mut(self.cols).enumerate() {
            self.dequantize_row(r, o);
        }
        out
    }
}

/// Rows of input activations with their quantized forms, made once per input and shared by
/// every matrix that reads it (q, k and v read the same normalised hidden state).
#[derive(Debug, Default)]
pub struct Input {
    pub rows: usize,
    pub cols: usize,
    pub x: Vec<f32>,
    q32: Act32,
    q256: Act256,
    /// `q256` interleaved for the column tiles, made for prompts (rows ≥ a group) where the
    /// format has them.
    q256t: Act256T,
    /// `q32` interleaved likewise.
    q32t: Act32T,
    fresh32: bool,
    fresh256: bool,
    fresh256t: bool,
    fresh32t: bool,
}

impl Input {
    /// Takes new values (`rows` × `cols`), invalidating the quantized forms.
    pub fn set(&mut self, x: &[f32], rows: usize, cols: usize) {
        self.x.clear();
        self.x.extend_from_slice(&x[..rows * cols]);
        self.rows = rows;
        self.cols = cols;
        self.fresh32 = false;
        self.fresh256 = false;
        self.fresh256t = false;
        self.fresh32t = false;
    }

    /// Takes ownership of new values (`rows` × `cols`), invalidating the quantized forms.
    pub fn set_owned(&mut self, x: Vec<f32>, rows: usize, cols: usize) {
        self.x = x;
        self.rows = rows;
        self.cols = cols;
        self.fresh32 = false;
        self.fresh256 = false;
        self.fresh256t = false;
        self.fresh32t = false;
    }

    /// Makes the quantized form `qtype`'s kernel reads.
    pub fn prepare(&mut self, qtype: QType) {
        self.prepare_with(None, qtype);
    }

    /// [`Self::prepare`] with many rows (a prompt) split across `pool`'s threads.
    pub fn prepare_on(&mut self, pool: &Pool, qtype: QType) {
        self.prepare_with(Some(pool), qtype);
    }

    fn prepare_with(&mut self, pool: Option<&Pool>, qtype: QType) {
        let (x, rows, cols) = (&self.x, self.rows, self.cols);
        match qtype.block_len() {
            32 if !self.fresh32 => {
                match pool {
                    Some(pool) => self.q32.quantize_on(pool, x, rows, cols),
                    None => self.q32.quantize(x, rows, cols),
                }
                self.fresh32 = true;
            }
            256 if !self.fresh256 => {
                match pool {
                    Some(pool) => self.q256.quantize_on(pool, x, rows, cols),
                    None => self.q256.quantize(x, rows, cols),
                }
                self.fresh256 = true;
            }
            _ => {}
        }
        if rows < act::GROUP || !has_columns(qtype) {
            return;
        }
        if qtype.block_len() == 256 && !self.fresh256t {
            self.q256t.build(pool, &self.q256, rows);
            self.fresh256t = true;
        }
        if qtype.block_len() == 32 && !self.fresh32t {
            self.q32t.build(pool, &self.q32, rows);
            self.fresh32t = true;
        }
    }
}

/// Whether prompts take the column tiles (AVX-512 VNNI, else AVX2; `BRIEF_NO_COLUMNS` turns
/// them off, for comparing).
fn columns_run_here() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        cfg!(target_arch = "x86_64")
            && has_avx2()
            && std::env::var_os("BRIEF_NO_COLUMNS").is_none()
            && std::env::var_os("BRIEF_NO_WIDE").is_none()
    })
}

/// Whether a prompt's products with `qtype` weights take the column tiles here, so that its
/// input is worth interleaving.
fn has_columns(qtype: QType) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        Cols::of(qtype).is_some()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = qtype;
        false
    }
}

/// Whether the AVX2/FMA/F16C kernels run here (checked once).
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *HAS.get_or_init(|| {
            std::env::var_os("BRIEF_NO_SIMD").is_none()
                && is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma")
                && is_x86_feature_detected!("f16c")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether AVX-512 F runs here (with AVX2/FMA; checked once), for the vectorized pointwise
/// loops. `BRIEF_NO_SIMD` turns it off with the rest, `BRIEF_NO_AVX512` alone (with VNNI),
/// which makes this CPU run what one with AVX2 only would.
pub fn has_avx512f() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *HAS.get_or_init(|| {
            has_avx2()
                && std::env::var_os("BRIEF_NO_AVX512").is_none()
                && is_x86_feature_detected!("avx512f")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether AVX-512 VNNI's byte dot product (and BW's byte masks) run here too (checked once; `BRIEF_NO_VNNI` turns
/// it off, for comparing).
pub fn has_vnni() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *HAS.get_or_init(|| {
            has_avx512f()
                && std::env::var_os("BRIEF_NO_VNNI").is_none()
                && is_x86_feature_detected!("avx512vnni")
                && is_x86_feature_detected!("avx512vl")
                && is_x86_feature_detected!("avx512bw")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// One weight row against one input row. `input` must have been `prepare`d for `w.qtype`.
#[inline]
pub fn dot(w: &QMatrix, r: usize, input: &Input, row: usize) -> f32 {
    if let Some(t) = Tiles::of(w.qtype) {
        return t.one(w, r, input, row);
    }
    let wr = w.row(r);
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU features were checked; `wr` is one whole row of `w.qtype` blocks and
        // the input was quantized for that type with the same row length.
        unsafe {
            match w.qtype {
                QType::F32 => {
                    return x86::dot_f32_bytes(wr, &input.x[row * input.cols..][..w.cols])
                }
                QType::Q4K if has_vnni() => return x86::dot_q4_k_vnni(wr, &input.q256, row),
                QType::Q4K => return x86::dot_q4_k(wr, &input.q256, row),
                QType::Q6K if has_vnni() => return x86::dot_q6_k_vnni(wr, &input.q256, row),
                QType::Q6K => return x86::dot_q6_k(wr, &input.q256, row),
                // The 32-element types have tiles (above).
                QType::Q8_0 | QType::Q4_1 | QType::Q5_0 => {}
            }
        }
    }
    match w.qtype {
        QType::F32 => wr
            .chunks_exact(4)
            .zip(&input.x[row * input.cols..][..w.cols])
            .map(|(b, x)| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * x)
            .sum(),
        QType::Q8_0 => blocks::dot_q8_0(wr, &input.q32, row),
        QType::Q4_1 => blocks::dot_q4_1(wr, &input.q32, row),
        QType::Q5_0 => blocks::dot_q5_0(wr, &input.q32, row),
        QType::Q4K => blocks::dot_q4_k(wr, &input.q256, row),
        QType::Q6K => blocks::dot_q6_k(wr, &input.q256, row),
    }
}

/// A tile kernel: `R` weight rows (`stride` bytes apart, `nb` blocks each) against input rows
/// `row..row + C` of the quantized input.
type Tile<const R: usize, const C: usize> =
    unsafe fn(*const u8, usize, usize, &Act32, usize) -> [[f32; C]; R];

/// The tile kernels of one 32-element block type on this CPU, chosen once per matrix: one
/// row (1×1), a decode step (4 weight rows × 1 input row) and a batch (2 × 4).
#[derive(Clone, Copy)]
struct Tiles {
    single: Tile<1, 1>,
    step: Tile<4, 1>,
    batch: Tile<2, 4>,
}

impl Tiles {
    fn of(qtype: QType) -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            macro_rules! pick {
                ($single:ident, $step:ident, $batch:ident) => {
                    Tiles {
                        single: x86::$single,
                        step: x86::$step,
                        batch: x86::$batch,
                    }
                };
            }
            return match (qtype, has_vnni()) {
                (QType::Q8_0, false) => Some(pick!(dot1_q8_0, dot4_q8_0, dot2x4_q8_0)),
                (QType::Q4_1, false) => Some(pick!(dot1_q4_1, dot4_q4_1, dot2x4_q4_1)),
                (QType::Q5_0, false) => Some(pick!(dot1_q5_0, dot4_q5_0, dot2x4_q5_0)),
                (QType::Q8_0, true) => {
                    Some(pick!(dot1_q8_0_vnni, dot4_q8_0_vnni, dot2x4_q8_0_vnni))
                }
                (QType::Q4_1, true) => {
                    Some(pick!(dot1_q4_1_vnni, dot4_q4_1_vnni, dot2x4_q4_1_vnni))
                }
                (QType::Q5_0, true) => {
                    Some(pick!(dot1_q5_0_vnni, dot4_q5_0_vnni, dot2x4_q5_0_vnni))
                }
                _ => None,
            };
        }
        let _ = qtype;
        None
    }

    /// Runs `kernel` on weight rows `r..r + R` and input rows `row..row + C`.
    fn run<const R: usize, const C: usize>(
        kernel: Tile<R, C>,
        w: &QMatrix,
        r: usize,
        input: &Input,
        row: usize,
    ) -> [[f32; C]; R] {
        assert!(r + R <= w.rows && row + C <= input.rows && w.cols == input.cols);
        // SAFETY: `Tiles::of` chose the kernel for this type by the CPU's features; rows
        // r..r+R of w and row..row+C of the input exist (just checked), and the input was
        // quantized (`Input::prepare`) for this type with the same row length.
        unsafe {
            kernel(
                w.row(r).as_ptr(),
                w.row_bytes(),
                w.cols / 32,
                &input.q32,
                row,
            )
        }
    }

    fn one(&self, w: &QMatrix, r: usize, input: &Input, row: usize) -> f32 {
        Self::run(self.single, w, r, input, row)[0][0]
    }
}

/// Prompt attention for many query heads that share one kv head: query `m` (`q[m]`, head
/// dimension `q[m].len()`) sees the cached positions `spans[m]` (keys and values `stride` halves
/// apart, position 0 at `k[0]`, `v[0]`) and writes `out[m]`. Where AVX-512 runs, in
/// flash-attention tiles: sixteen queries against sixteen keys at a time, each block of keys
/// and values converted once for all the queries; elsewhere one query at a time ([`attend`]).
/// `scratch` is reused between calls.
#[allow(clippy::too_many_arguments)]
pub fn attend_tile(
    q: &[&[f32]],
    spans: &[std::ops::Range<usize>],
    k: &[f16],
    v: &[f16],
    stride: usize,
    scale: f32,
    scratch: &mut Vec<f32>,
    out: &mut [&mut [f32]],
) {
    let Some(hd) = q.first().map(|x| x.len()) else {
        return;
    };
    assert!(q.len() == spans.len() && q.len() == out.len());
    for ((qm, span), om) in q.iter().zip(spans).zip(out.iter()) {
        assert!(qm.len() == hd && om.len() >= hd && span.start < span.end);
        assert!(k.len() >= (span.end - 1) * stride + hd && v.len() >= (span.end - 1) * stride + hd);
        assert!(span.end <= i32::MAX as usize);
    }
    attend_tile_on(has_avx512f(), q, spans, k, v, stride, scale, scratch, out);
}

/// [`attend_tile`] past its checks, on the 512-bit tiles (`wide`, where the CPU has AVX-512)
/// or the 256-bit ones (AVX2), else one query at a time.
#[allow(clippy::too_many_arguments)]
fn attend_tile_on(
    wide: bool,
    q: &[&[f32]],
    spans: &[std::ops::Range<usize>],
    k: &[f16],
    v: &[f16],
    stride: usize,
    scale: f32,
    scratch: &mut Vec<f32>,
    out: &mut [&mut [f32]],
) {
    let hd = q.first().map_or(0, |x| x.len());
    #[cfg(target_arch = "x86_64")]
    if has_avx2() && matches!(hd, 32 | 64 | 128 | 256) {
        let qp: Vec<*const f32> = q.iter().map(|x| x.as_ptr()).collect();
        let op: Vec<*mut f32> = out.iter_mut().map(|x| x.as_mut_ptr()).collect();
        let first: Vec<usize> = spans.iter().map(|s| s.start).collect();
        let end: Vec<usize> = spans.iter().map(|s| s.end).collect();
        let (k, v) = (k.as_ptr(), v.as_ptr());
        let (f, e) = (&first, &end);
        // SAFETY: the CPU features were checked (AVX-512 F only where `wide` says so, which
        // callers take from `has_avx512f`), and every bound by `attend_tile`; the outputs are
        // distinct `&mut` slices.
        unsafe {
            match (wide, hd) {
                // MiniLM's heads.
                (true, 32) => {
                    x86::attend_tile512::<2>(&qp, f, e, k, v, stride, scale, scratch, &op)
                }
                (true, 64) => {
                    x86::attend_tile512::<4>(&qp, f, e, k, v, stride, scale, scratch, &op)
                }
                (true, 128) => {
                    x86::attend_tile512::<8>(&qp, f, e, k, v, stride, scale, scratch, &op)
                }
                (true, _) => {
                    x86::attend_tile512::<16>(&qp, f, e, k, v, stride, scale, scratch, &op)
                }
                (false, 32) => {
                    x86::attend_tile256::<4>(&qp, f, e, k, v, stride, scale, scratch, &op)
                }
                (false, 64) => {
                    x86::attend_tile256::<8>(&qp, f, e, k, v, stride, scale, scratch, &op)
                }
                (false, 128) => {
                    x86::attend_tile256::<16>(&qp, f, e, k, v, stride, scale, scratch, &op)
                }
                (false, _) => {
                    x86::attend_tile256::<32>(&qp, f, e, k, v, stride, scale, scratch, &op)
                }
            }
        }
        return;
    }
    let _ = wide;
    for ((qm, span), om) in q.iter().zip(spans).zip(out.iter_mut()) {
        let at = span.start * stride;
        let len = span.end - span.start;
        attend(qm, &k[at..], &v[at..], stride, len, scale, scratch, om);
    }
}

/// Causal attention of one query head over `len` cached positions (keys and values `stride`
/// halves apart, starting at `k[0]`, `v[0]`): out = softmax(q·kⱼ·scale)·vⱼ. `scores` is scratch.
/// The cache is f16, as llama.cpp's is by default: half the memory and half the bytes each
/// step reads, for a rounding (11 significant bits) far below the weights' own.
#[allow(clippy::too_many_arguments)]
pub fn attend(
    q: &[f32],
    k: &[f16],
    v: &[f16],
    stride: usize,
    len: usize,
    scale: f32,
    scores: &mut Vec<f32>,
    out: &mut [f32],
) {
    let hd = q.len();
    assert!(out.len() >= hd && len > 0);
    assert!(k.len() >= (len - 1) * stride + hd && v.len() >= (len - 1) * stride + hd);
    #[cfg(target_arch = "x86_64")]
    if has_avx512f() && matches!(hd, 64 | 128 | 256) {
        let (k, v) = (k.as_ptr(), v.as_ptr());
        // SAFETY: the CPU features were checked, and the bounds just above.
        unsafe {
            match hd {
                64 => x86::attend512::<4>(q, k, v, stride, len, scale, scores, out),
                128 => x86::attend512::<8>(q, k, v, stride, len, scale, scores, out),
                _ => x86::attend512::<16>(q, k, v, stride, len, scale, scores, out),
            }
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx2() && matches!(hd, 64 | 128 | 256) {
        // SAFETY: the CPU features were checked, and the bounds just above.
        unsafe {
            match hd {
                64 => x86::attend::<8>(q, k.as_ptr(), v.as_ptr(), stride, len, scale, scores, out),
                128 => {
                    x86::attend::<16>(q, k.as_ptr(), v.as_ptr(), stride, len, scale, scores, out)
                }
                // gemma3's heads; more registers than AVX2 has, so the query spills to L1,
                // still far ahead of the scalar loop.
                _ => x86::attend::<32>(q, k.as_ptr(), v.as_ptr(), stride, len, scale, scores, out),
            }
        }
        return;
    }
    scores.clear();
    let mut max = f32::NEG_INFINITY;
    for j in 0..len {
        let kj = &k[j * stride..j * stride + hd];
        let s = q.iter().zip(kj).map(|(a, b)| a * b.to_f32()).sum::<f32>() * scale;
        max = max.max(s);
        scores.push(s);
    }
    let mut sum = 0f32;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    let out = &mut out[..hd];
    out.fill(0.0);
    for (j, s) in scores.iter().enumerate() {
        let w = s / sum;
        for (o, x) in out.iter_mut().zip(&v[j * stride..j * stride + hd]) {
            *o += w * x.to_f32();
        }
    }
}

/// [`attend`] for `group` query heads that share one kv head: `q` and `out` hold the heads'
/// `group`·`head_dim` floats one after another (`head_dim` = `q.len() / group`). Each head's
/// output is bitwise what [`attend`] gives it alone. With AVX-512 and heads of 64 or 128, the
/// keys and values are converted from f16 once for the whole group and the values added to
/// several heads at once (`attention_speed`, one thread, in cache: 48 → 53 GFLOP/s for
/// smollm2's 3 heads of 64, 52 → 61 for the 1.5B's 6 of 128, 48 → 65 for 7 of 64); gemma3's
/// heads of 256 fill the registers with one head's query and sums, and gained nothing.
#[allow(clippy::too_many_arguments)]
pub fn attend_group(
    q: &[f32],
    group: usize,
    k: &[f16],
    v: &[f16],
    stride: usize,
    len: usize,
    scale: f32,
    scores: &mut Vec<f32>,
    out: &mut [f32],
) {
    assert!(group > 0 && q.len().is_multiple_of(group) && out.len() >= q.len());
    let hd = q.len() / group;
    #[cfg(target_arch = "x86_64")]
    if has_avx512f() && matches!(hd, 64 | 128) && group > 1 && group <= x86::GROUP_MAX && len > 0 {
        assert!(k.len() >= (len - 1) * stride + hd && v.len() >= (len - 1) * stride + hd);
        let (k, v) = (k.as_ptr(), v.as_ptr());
        // SAFETY: the CPU features were checked, and the bounds just above.
        unsafe {
            match hd {
                64 => x86::attend512_group::<4>(q, group, k, v, stride, len, scale, scores, out),
                _ => x86::attend512_group::<8>(q, group, k, v, stride, len, scale, scores, out),
            }
        }
        return;
    }
    for (qh, oh) in q.chunks_exact(hd).zip(out.chunks_exact_mut(hd)) {
        attend(qh, k, v, stride, len, scale, scores, oh);
    }
}

/// One product of a batch: `out` (input rows × `w.rows`, row-major) = input · wᵀ.
pub struct MatMul<'a> {
    pub w: &'a QMatrix,
    pub input: &'a Input,
    pub out: &'a mut [f32],
}

/// A raw pointer that may cross threads, for parallel writes into one buffer: each thread
/// writes only its own part (rows, columns or heads), never another's.
#[derive(Clone, Copy)]
pub struct SendPtr(pub *mut f32);
// SAFETY: a raw pointer is only an address; sharing or sending it is harmless, and every
// dereference is an `unsafe` of its own whose user must show that the threads write disjoint
// parts (see each use).
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    /// Through a method, so closures capture the whole (`Sync`) wrapper, not its raw field.
    pub fn get(self) -> *mut f32 {
        self.0
    }
}

/// Weight rows a thread takes at a time, so its slice of a small matrix stays in L1 while
/// every input row passes over it.
const TILE: usize = 16;

/// Runs several products as one parallel job (q, k, v together; gate and up together), split by
/// weight rows so that each weight byte is read once per call whatever the number of input rows.
pub fn matmul(pool: &Pool, jobs: &mut [MatMul<'_>]) {
    let plan: Vec<(&QMatrix, &Input, SendPtr, usize)> = jobs
        .iter_mut()
        .map(|j| {
            assert_eq!(j.w.cols, j.input.cols, "matmul: inner dimensions");
            assert!(
                j.out.len() >= j.input.rows * j.w.rows,
                "matmul: output size"
            );
            (j.w, j.input, SendPtr(j.out.as_mut_ptr()), j.w.rows)
        })
        .collect();
    let total: usize = plan.iter().map(|p| p.3).sum();
    pool.run(&|t, n| {
        let (lo, hi) = (total * t / n, total * (t + 1) / n);
        let mut base = 0;
        for &(w, input, out, rows) in &plan {
            let (a, b) = (
                lo.max(base) - base,
                hi.min(base + rows).saturating_sub(base),
            );
            base += rows;
            let tiles = Tiles::of(w.qtype);
            let mut r0 = a;
            while r0 < b {
                let r1 = (r0 + TILE).min(b);
                let mut i = 0;
                while i < input.rows {
                    // Four input rows at a time (a batch of decode steps) where there are
                    // four, two weight rows per tile; else one input row, four weight rows.
                    let batch = input.rows - i >= 4;
                    let mut r = r0;
                    while r < r1 {
                        // SAFETY (each write below): (i.., r..) lies inside `out` (checked
                        // above) and only this thread owns these weight rows.
                        if let Some(t) = tiles {
                            if batch && r + 2 <= r1 {
                                let v = Tiles::run(t.batch, w, r, input, i);
                                for (k, vk) in v.iter().enumerate() {
                                    for (c, x) in vk.iter().enumerate() {
                                        unsafe { *out.get().add((i + c) * rows + r + k) = *x };
                                    }
                                }
                                r += 2;
                                continue;
                            }
                            if !batch && r + 4 <= r1 {
                                let v = Tiles::run(t.step, w, r, input, i);
                                for (k, vk) in v.iter().enumerate() {
                                    unsafe { *out.get().add(i * rows + r + k) = vk[0] };
                                }
                                r += 4;
                                continue;
                            }
                        }
                        if !batch && r + K_STEP <= r1 {
                            if let Some(v) = k_step(w, r, input, i) {
                                for (k, x) in v.iter().enumerate() {
                                    unsafe { *out.get().add(i * rows + r + k) = *x };
                                }
                                r += K_STEP;
                                continue;
                            }
                        }
                        if batch && r + 2 <= r1 {
                            if let Some(v) = k_batch(w, r, input, i) {
                                for (k, vk) in v.iter().enumerate() {
                                    for (c, x) in vk.iter().enumerate() {
                                        unsafe { *out.get().add((i + c) * rows + r + k) = *x };
                                    }
                                }
                                r += 2;
                                continue;
                            }
                        }
                        let span = if batch { 4 } else { 1 };
                        for c in 0..span {
                            unsafe { *out.get().add((i + c) * rows + r) = dot(w, r, input, i + c) };
                        }
                        r += 1;
                    }
                    i += if batch { 4 } else { 1 };
                }
                r0 = r1;
            }
        }
    });
}

/// K-quant weight rows a decode step's kernel takes at a time.
const K_STEP: usize = 4;

/// `K_STEP` K-quant weight rows from `r` against input row `row` (AVX-512 VNNI, else AVX2):
/// bitwise the one-row products, several rows sharing each activation block.
fn k_step(w: &QMatrix, r: usize, input: &Input, row: usize) -> Option<[f32; K_STEP]> {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() && matches!(w.qtype, QType::Q4K | QType::Q6K) {
        assert!(r + K_STEP <= w.rows && row < input.rows && w.cols == input.cols);
        let (p, stride, nb) = (w.row(r).as_ptr(), w.row_bytes(), w.cols / 256);
        // SAFETY: the CPU features were checked (VNNI's kernels only where `has_vnni`); rows
        // r..r+K_STEP of `w` and input row `row` exist (just checked), and the input was
        // quantized (`Input::prepare`) for this type with the same row length.
        return Some(unsafe {
            match (w.qtype == QType::Q4K, has_vnni()) {
                (true, true) => x86::rows_q4_k_vnni::<K_STEP>(p, stride, nb, &input.q256, row),
                (true, false) => x86::rows_q4_k::<K_STEP>(p, stride, nb, &input.q256, row),
                (false, true) => x86::rows_q6_k_vnni::<K_STEP>(p, stride, nb, &input.q256, row),
                (false, false) => x86::rows_q6_k::<K_STEP>(p, stride, nb, &input.q256, row),
            }
        });
    }
    let _ = (w, r, input, row);
    None
}

/// Two K-quant weight rows from `r` against four input rows from `row`, where this CPU has a
/// tile for the type (AVX-512 VNNI, else AVX2): the prompt path on CPUs without the column
/// tiles, and batches of decode steps everywhere (bitwise the one-row products, so a batch
/// says what each step says).
fn k_batch(w: &QMatrix, r: usize, input: &Input, row: usize) -> Option<[[f32; 4]; 2]> {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() && matches!(w.qtype, QType::Q4K | QType::Q6K) {
        assert!(r + 2 <= w.rows && row + 4 <= input.rows && w.cols == input.cols);
        let (p, stride, nb) = (w.row(r).as_ptr(), w.row_bytes(), w.cols / 256);
        // SAFETY: the CPU features were checked (VNNI's tiles only where `has_vnni`); rows
        // r, r+1 of `w` and row..row+4 of the input exist (just checked), and the input was
        // quantized (`Input::prepare`) for this type with the same row length.
        return Some(unsafe {
            match (w.qtype == QType::Q4K, has_vnni()) {
                (true, true) => x86::dot2x4_q4_k_vnni(p, stride, nb, &input.q256, row),
                (true, false) => x86::dot2x4_q4_k(p, stride, nb, &input.q256, row),
                (false, true) => x86::dot2x4_q6_k_vnni(p, stride, nb, &input.q256, row),
                (false, false) => x86::dot2x4_q6_k(p, stride, nb, &input.q256, row),
            }
        });
    }
    let _ = (w, r, input, row);
    None
}

/// A prompt tile: `wide::R` weight rows against `C` activation rows.
#[cfg(target_arch = "x86_64")]
type WideTile<const C: usize> =
    unsafe fn(*const u8, usize, usize, &wide::Acts<'_>, usize) -> [[f32; C]; wide::R];

/// The prompt tiles of one format on this CPU: a full tile and one for leftover input rows.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Wide {
    full: WideTile<{ wide::C }>,
    one: WideTile<1>,
}

#[cfg(target_arch = "x86_64")]
impl Wide {
    fn of(qtype: QType) -> Option<Self> {
        if !has_vnni() || std::env::var_os("BRIEF_NO_WIDE").is_some() {
            return None;
        }
        let (full, one): (WideTile<{ wide::C }>, WideTile<1>) = match qtype {
            QType::Q8_0 => (wide::q8_0, wide::q8_0_one),
            QType::Q4_1 => (wide::q4_1, wide::q4_1_one),
            QType::Q5_0 => (wide::q5_0, wide::q5_0_one),
            QType::Q4K => (wide::q4_k, wide::q4_k_one),
            QType::Q6K => (wide::q6_k, wide::q6_k_one),
            QType::F32 => return None,
        };
        Some(Self { full, one })
    }

    /// Runs `kernel` on weight rows `r..r + R` and input rows `row..row + C`.
    fn run<const C: usize>(
        kernel: WideTile<C>,
        w: &QMatrix,
        r: usize,
        input: &Input,
        row: usize,
    ) -> [[f32; C]; wide::R] {
        assert!(r + wide::R <= w.rows && row + C <= input.rows && w.cols == input.cols);
        let acts = match w.qtype.block_len() {
            256 => wide::Acts::A256(&input.q256),
            _ => wide::Acts::A32(&input.q32),
        };
        // SAFETY: `Wide::of` chose the kernel for this type by the CPU's features; rows
        // r..r+R of w and row..row+C of the input exist (just checked), and the input was
        // quantized (`Input::prepare`) for this type's block length with the same row length.
        unsafe {
            kernel(
                w.row(r).as_ptr(),
                w.row_bytes(),
                w.cols / w.qtype.block_len(),
                &acts,
                row,
            )
        }
    }
}

/// A column tile over one group of sixteen input rows, and over two groups at once.
#[cfg(target_arch = "x86_64")]
type ColTile<A> = unsafe fn(*const u8, usize, usize, &A, usize) -> [[f32; act::GROUP]; wide::COL_R];
#[cfg(target_arch = "x86_64")]
type ColPair<A> =
    unsafe fn(*const u8, usize, usize, &A, usize) -> [[[f32; act::GROUP]; wide::COL_R]; 2];

/// The column tiles of one format on this CPU (AVX-512 VNNI's in `wide`, else AVX2's in
/// `narrow`), over the super-block or the 32-element interleaved activations.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
enum Cols {
    Super(ColTile<Act256T>, ColPair<Act256T>),
    Small(ColTile<Act32T>, ColPair<Act32T>),
}

#[cfg(target_arch = "x86_64")]
impl Cols {
    fn of(qtype: QType) -> Option<Self> {
        use Cols::{Small, Super};
        if !columns_run_here() {
            return None;
        }
        if has_vnni() {
            return Some(match qtype {
                QType::Q4K => Super(wide::q4_k_cols, wide::q4_k_cols2),
                QType::Q6K => Super(wide::q6_k_cols, wide::q6_k_cols2),
                QType::Q8_0 => Small(wide::q8_0_cols, wide::q8_0_cols2),
                QType::Q4_1 => Small(wide::q4_1_cols, wide::q4_1_cols2),
                QType::Q5_0 => Small(wide::q5_0_cols, wide::q5_0_cols2),
                QType::F32 => return None,
            });
        }
        match qtype {
            QType::Q4K => Some(Super(narrow::q4_k_cols, narrow::q4_k_cols2)),
            QType::Q6K => Some(Super(narrow::q6_k_cols, narrow::q6_k_cols2)),
            QType::Q8_0 => Some(Small(narrow::q8_0_cols, narrow::q8_0_cols2)),
            QType::Q4_1 => Some(Small(narrow::q4_1_cols, narrow::q4_1_cols2)),
            QType::Q5_0 => Some(Small(narrow::q5_0_cols, narrow::q5_0_cols2)),
            QType::F32 => None,
        }
    }
}

/// As [`matmul`], for a prompt: many input rows, on the column tiles where the CPU has them
/// (AVX-512 VNNI, else AVX2), so that each weight block is unpacked once per
/// several input rows. The
/// sums are the same integers as `matmul`'s, added in another order, so a row's result may
/// differ from a decode step's in the last bits; decode batches therefore keep `matmul`.
pub fn matmul_prompt(pool: &Pool, jobs: &mut [MatMul<'_>]) {
    #[cfg(target_arch = "x86_64")]
    if jobs.iter().all(|j| {
        Wide::of(j.w.qtype).is_some()
            || (Cols::of(j.w.qtype).is_some() && j.input.rows >= act::GROUP)
    }) {
        return wide_matmul(pool, jobs);
    }
    matmul(pool, jobs)
}

/// Weight rows `band` of `w` against every input row on the column tiles `one` and `two`
/// over `acts`, the input's interleaved form (`two(r, g)`: weight rows r..r + COL_R × the 32
/// input rows of groups g and g + 1, see `wide::q4_k_cols2`; `one(r, g)` the same for group g
/// alone, for an odd last group), into `out` (input rows × `rows`). Rows past a whole tile at
/// the end of the band take the one-row product. The caller has checked that `acts` was made
/// from this input, fresh, with `w`'s blocks a row, and that the tiles are this CPU's.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
fn columns<A>(
    w: &QMatrix,
    input: &Input,
    out: SendPtr,
    rows: usize,
    band: Range<usize>,
    acts: &A,
    groups: usize,
    (one, two): (ColTile<A>, ColPair<A>),
) {
    const R: usize = wide::COL_R;
    const G: usize = act::GROUP;
    assert!(groups * G >= input.rows && band.end <= w.rows);
    let (p, stride, nb) = (
        w.bytes.as_slice().as_ptr(),
        w.row_bytes(),
        w.cols / w.qtype.block_len(),
    );
    // SAFETY (both): the caller checked the tiles and `acts` (above); the loop below asks only
    // for whole tiles of rows inside the band and groups that exist (a pair only where
    // g + 1 < groups).
    let tile = |r: usize, g: usize| unsafe { one(p.wrapping_add(r * stride), stride, nb, acts, g) };
    let pair = |r: usize, g: usize| unsafe { two(p.wrapping_add(r * stride), stride, nb, acts, g) };
    // As in `wide_matmul`: a band of weight rows small enough to stay in L2 per pass.
    let step = (64 * 1024 / w.row_bytes().max(1)).clamp(R, 128) / R * R;
    let mut r0 = band.start;
    while r0 < band.end {
        let r1 = (r0 + step).min(band.end);
        let mut g = 0;
        while g < groups {
            let two = g + 1 < groups;
            let span = if two { 2 } else { 1 };
            let live = (input.rows - g * G).min(span * G);
            let mut r = r0;
            while r < r1 {
                // An input row's R products are adjacent in `out`: one R-wide store each, not
                // R scattered ones (those stores were a tenth of SmolLM2's prefill).
                // SAFETY (each write): row g·G + c < input.rows and weight rows r..r + R <=
                // rows lie inside `out` (checked by the caller), and this thread alone owns
                // the band's weight rows.
                let put = |first: usize, v: &[[f32; G]; R]| {
                    let base = (g * G + first) * rows + r;
                    if live >= first + G {
                        // SAFETY: as below, for the group's sixteen inputs; the CPU has AVX2
                        // (the column tiles run only where it does).
                        unsafe { x86::store_cols(out.get().add(base), rows, v) };
                        return;
                    }
                    (0..live.saturating_sub(first).min(G)).for_each(|c| {
                        let four: [f32; R] = std::array::from_fn(|k| v[k][c]);
                        let at = (g * G + first + c) * rows + r;
                        unsafe {
                            std::ptr::copy_nonoverlapping(four.as_ptr(), out.get().add(at), R)
                        };
                    });
                };
                if r + R <= r1 {
                    if two {
                        let [v0, v1] = pair(r, g);
                        put(0, &v0);
                        put(G, &v1);
                    } else {
                        put(0, &tile(r, g));
                    }
                    r += R;
                } else {
                    for c in 0..live {
                        let i = g * G + c;
                        unsafe { *out.get().add(i * rows + r) = dot(w, r, input, i) };
                    }
                    r += 1;
                }
            }
            g += span;
        }
        r0 = r1;
    }
}

#[cfg(target_arch = "x86_64")]
fn wide_matmul(pool: &Pool, jobs: &mut [MatMul<'_>]) {
    let plan: Vec<(&QMatrix, &Input, SendPtr, usize)> = jobs
        .iter_mut()
        .map(|j| {
            assert_eq!(j.w.cols, j.input.cols, "matmul: inner dimensions");
            assert!(
                j.out.len() >= j.input.rows * j.w.rows,
                "matmul: output size"
            );
            (j.w, j.input, SendPtr(j.out.as_mut_ptr()), j.w.rows)
        })
        .collect();
    let total: usize = plan.iter().map(|p| p.3).sum();
    const R: usize = wide::R;
    const C: usize = wide::C;
    pool.run(&|t, n| {
        // Bands in whole tiles of weight rows.
        let cut = |i: usize| (total * i / n).div_ceil(R) * R;
        let (lo, hi) = (cut(t).min(total), cut(t + 1).min(total));
        let mut base = 0;
        for &(w, input, out, rows) in &plan {
            let (a, b) = (
                lo.max(base) - base,
                hi.min(base + rows).saturating_sub(base),
            );
            base += rows;
            let (t256, t32) = (&input.q256t, &input.q32t);
            let nb = w.cols / w.qtype.block_len();
            // `Cols::of` chose the tiles by this CPU's features; the interleaved form must be
            // this input's, fresh, with nb blocks a row.
            match Cols::of(w.qtype) {
                Some(Cols::Super(one, two)) if input.fresh256t && t256.blocks == nb => {
                    columns(w, input, out, rows, a..b, t256, t256.groups, (one, two));
                    continue;
                }
                Some(Cols::Small(one, two)) if input.fresh32t && t32.blocks == nb => {
                    columns(w, input, out, rows, a..b, t32, t32.groups, (one, two));
                    continue;
                }
                _ => {}
            }
            // Fewer input rows than a group: the row tiles (VNNI), else one product at a time.
            let tiles = Wide::of(w.qtype);
            // Weight rows per pass over the input rows: about 32 KiB of blocks, so they stay
            // in L1/L2 while every input row goes by.
            let step = (32 * 1024 / w.row_bytes().max(1)).clamp(R, 64) / R * R;
            let mut r0 = a;
            while r0 < b {
                let r1 = (r0 + step).min(b);
                let mut i = 0;
                while i < input.rows {
                    let full = input.rows - i >= C;
                    let mut r = r0;
                    while r < r1 {
                        // SAFETY (each write below): (i.., r..) lies inside `out` (checked
                        // above) and only this thread owns these weight rows.
                        if let (Some(tiles), true) = (tiles, r + R <= r1) {
                            if full {
                                let v = Wide::run(tiles.full, w, r, input, i);
                                for (k, vk) in v.iter().enumerate() {
                                    for (c, x) in vk.iter().enumerate() {
                                        unsafe { *out.get().add((i + c) * rows + r + k) = *x };
                                    }
                                }
                            } else {
                                let v = Wide::run(tiles.one, w, r, input, i);
                                for (k, vk) in v.iter().enumerate() {
                                    unsafe { *out.get().add(i * rows + r + k) = vk[0] };
                                }
                            }
                            r += R;
                        } else {
                            let span = if full { C } else { 1 };
                            for c in 0..span {
                                unsafe {
                                    *out.get().add((i + c) * rows + r) = dot(w, r, input, i + c)
                                };
                            }
                            r += 1;
                        }
                    }
                    i += if full { C } else { 1 };
                }
                r0 = r1;
            }
        }
    });
}

#[cfg(test)]
mod tests;
