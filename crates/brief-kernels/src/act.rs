//! Activations quantized to 8 bits, the way ggml's integer dot products want them: blocks of 32
//! with one scale (and the block's integer sum, which Q4_1's minimum and Q5_0's offset need),
//! or super-blocks of 256 with sums per 16 (for the K-quants' per-sub-block minimums).

/// Rows of activations in blocks of 32: `d` and `sum` per block, `qs` per element.
#[derive(Debug, Default, Clone)]
pub struct Act32 {
    pub blocks: usize,
    pub d: Vec<f32>,
    pub sum: Vec<i32>,
    pub qs: Vec<i8>,
}

/// Rows of activations in super-blocks of 256, with integer sums per 16 elements.
#[derive(Debug, Default, Clone)]
pub struct Act256 {
    pub blocks: usize,
    pub d: Vec<f32>,
    pub bsums: Vec<i16>,
    pub qs: Vec<i8>,
}

use crate::pool::{Parts, Pool};

/// Rows of a prompt's [`Act256`] interleaved for the column tiles: sixteen rows to a group, one
/// row per 32-bit lane, so that one `vpdpbusd` multiplies four weights (broadcast) by four
/// elements of all sixteen rows and each lane's sum is one output. Per group and super-block:
/// `qs`, 64 quads × 16 rows × 4 bytes, stored + 128 (unsigned, as `vpdpbusd` wants its first
/// operand); `d`, the 16 rows' scales; `bsum`, per pair of 32-element sub-blocks × 16 rows,
/// the two sums as i16 halves of a 32-bit lane (Q4_K's sub-blocks); `bsum16` the same for the
/// eight pairs of 16-element sums (Q6_K's). Rows past the last are zero (scale 0).
#[derive(Debug, Default, Clone)]
pub struct Act256T {
    pub groups: usize,
    pub blocks: usize,
    pub qs: Vec<u8>,
    pub d: Vec<f32>,
    pub bsum: Vec<i16>,
    pub bsum16: Vec<i16>,
}

/// Rows of a prompt's [`Act32`] interleaved for the column tiles, as [`Act256T`] is: per
/// group of sixteen rows and block of 32, `qs` (8 quads × 16 rows × 4 bytes, + 128), `d` (the
/// rows' scales) and `sy` (scale × integer sum, what a format's offset multiplies).
#[derive(Debug, Default, Clone)]
pub struct Act32T {
    pub groups: usize,
    pub blocks: usize,
    pub qs: Vec<u8>,
    pub d: Vec<f32>,
    pub sy: Vec<f32>,
}

impl Act32T {
    /// Interleaves `a`'s `rows` rows, groups split across `pool`'s threads if given.
    pub fn build(&mut self, pool: Option<&Pool>, a: &Act32, rows: usize) {
        let blocks = a.blocks;
        let groups = rows.div_ceil(GROUP);
        self.groups = groups;
        self.blocks = blocks;
        let (qs_g, d_g) = (blocks * 32 * GROUP, blocks * GROUP);
        self.qs.clear();
        self.qs.resize(groups * qs_g, 0x80);
        self.d.clear();
        self.d.resize(groups * d_g, 0.0);
        self.sy.clear();
        self.sy.resize(groups * d_g, 0.0);
        let threads = pool.map_or(1, |p| p.threads());
        let per = groups.div_ceil(threads).max(1);
        let qs = Parts::new(self.qs.chunks_mut(per * qs_g));
        let d = Parts::new(self.d.chunks_mut(per * d_g));
        let sy = Parts::new(self.sy.chunks_mut(per * d_g));
        let parts = qs.len();
        let work = |part: usize, _: usize| {
            if part >= parts {
                return;
            }
            let (qs, d, sy) = (qs.take(part), d.take(part), sy.take(part));
            for g in 0..qs.len() / qs_g {
                for lane in 0..GROUP {
                    let row = (part * per + g) * GROUP + lane;
                    if row >= rows {
                        break;
                    }
                    for b in 0..blocks {
                        let (dy, q, sum) = a.block(row, b);
                        d[g * d_g + b * GROUP + lane] = dy;
                        sy[g * d_g + b * GROUP + lane] = dy * sum as f32;
                        let base = g * qs_g + b * 32 * GROUP + 4 * lane;
                        for quad in 0..8 {
                            for e in 0..4 {
                                qs[base + quad * 4 * GROUP + e] = (q[4 * quad + e] as u8) ^ 0x80;
                            }
                        }
                    }
                }
            }
        };
        match pool {
            Some(pool) => pool.run(&work),
            None => (0..parts).for_each(|part| work(part, parts)),
        }
    }
}

/// Rows to a group of [`Act256T`]: the 16 lanes of a 512-bit register.
pub const GROUP: usize = 16;

impl Act256T {
    /// Interleaves `a`'s `rows` rows, groups split across `pool`'s threads if given.
    pub fn build(&mut self, pool: Option<&Pool>, a: &Act256, rows: usize) {
        let blocks = a.blocks;
        let groups = rows.div_ceil(GROUP);
        self.groups = groups;
        self.blocks = blocks;
        let (qs_g, d_g, bs_g) = (blocks * 256 * GROUP, blocks * GROUP, blocks * 4 * GROUP * 2);
        self.qs.clear();
        self.qs.resize(groups * qs_g, 0x80);
        self.d.clear();
        self.d.resize(groups * d_g, 0.0);
        self.bsum.clear();
        self.bsum.resize(groups * bs_g, 0);
        self.bsum16.clear();
        self.bsum16.resize(groups * 2 * bs_g, 0);
        let threads = pool.map_or(1, |p| p.threads());
        let per = groups.div_ceil(threads).max(1);
        let qs = Parts::new(self.qs.chunks_mut(per * qs_g));
        let d = Parts::new(self.d.chunks_mut(per * d_g));
        let bs = Parts::new(self.bsum.chunks_mut(per * bs_g));
        let bs16 = Parts::new(self.bsum16.chunks_mut(per * 2 * bs_g));
        let parts = qs.len();
        let work = |part: usize, _: usize| {
            if part >= parts {
                return;
            }
            let (qs, d, bs, bs16) = (qs.take(part), d.take(part), bs.take(part), bs16.take(part));
            for g in 0..qs.len() / qs_g {
                let group = part * per + g;
                for lane in 0..GROUP {
                    let row = group * GROUP + lane;
                    if row >= rows {
                        break;
                    }
                    for b in 0..blocks {
                        let (dy, q, sums) = a.block(row, b);
                        d[g * d_g + b * GROUP + lane] = dy;
                        let base = g * qs_g + b * 256 * GROUP + 4 * lane;
                        for quad in 0..64 {
                            for e in 0..4 {
                                qs[base + quad * 4 * GROUP + e] = (q[4 * quad + e] as u8) ^ 0x80;
                            }
                        }
                        for p in 0..4 {
                            let at = g * bs_g + ((b * 4 + p) * GROUP + lane) * 2;
                            bs[at] = sums[4 * p] + sums[4 * p + 1];
                            bs[at + 1] = sums[4 * p + 2] + sums[4 * p + 3];
                        }
                        for p in 0..8 {
                            let at = g * 2 * bs_g + ((b * 8 + p) * GROUP + lane) * 2;
                            bs16[at] = sums[2 * p];
                            bs16[at + 1] = sums[2 * p + 1];
                        }
                    }
                }
            }
        };
        match pool {
            Some(pool) => pool.run(&work),
            None => (0..parts).for_each(|part| work(part, parts)),
        }
    }
}

/// Rows below which a decode step quantizes on its own thread: handing out the parts would
/// cost more than the few blocks of a row or two.
const SPLIT_ROWS: usize = 4;

fn worth_splitting(pool: &Pool, rows: usize) -> bool {
    pool.threads() > 1 && rows >= SPLIT_ROWS
}

/// Where each of `parts` contiguous runs of `rows` rows starts, and the end: `parts + 1` bounds.
fn row_bounds(rows: usize, parts: usize) -> Vec<usize> {
    (0..=parts).map(|p| rows * p / parts).collect()
}

/// `v` (`per_row` values a row) cut at the row `bounds`, one slice per part.
fn split_rows<'a, T>(mut v: &'a mut [T], per_row: usize, bounds: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(bounds.len().saturating_sub(1));
    for w in bounds.windows(2) {
        let (head, tail) = std::mem::take(&mut v).split_at_mut((w[1] - w[0]) * per_row);
        out.push(head);
        v = tail;
    }
    out
}

/// Compiles `$body` a second time with AVX2/FMA (or AVX-512) enabled and picks the copy at run
/// time: only then does the compiler turn `round` into a vector instruction rather than a
/// libm call per element. The same operations either way, so the same bits.
macro_rules! multiversion {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) $body:block)*) => {$(
        fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx2,fma")]
                unsafe fn wide($($arg: $ty),*) $body
                #[target_feature(enable = "avx2,fma")]
                unsafe fn narrow($($arg: $ty),*) $body
                if crate::has_avx512f() && is_x86_feature_detected!("avx512bw") {
                    // SAFETY: the features were detected.
                    return unsafe { wide($($arg),*) };
                }
                if crate::has_avx2() {
                    // SAFETY: the features were detected.
                    return unsafe { narrow($($arg),*) };
                }
            }
            $body
        }
    )*};
}

multiversion! {
    fn quantize32_auto(x: &[f32], d: &mut [f32], sum: &mut [i32], qs: &mut [i8]) {
        quantize32_body(x, d, sum, qs)
    }
    fn quantize256_auto(x: &[f32], d: &mut [f32], bsums: &mut [i16], qs: &mut [i8]) {
        quantize256_body(x, d, bsums, qs)
    }
}

/// Blocks of 32 → scales, int8, sums: written out for AVX-512 (the same bits), else the
/// compiler's vectorisation of [`quantize32_body`].
fn quantize32(x: &[f32], d: &mut [f32], sum: &mut [i32], qs: &mut [i8]) {
    #[cfg(target_arch = "x86_64")]
    if crate::has_avx512f() {
        assert!(x.len() == 32 * d.len() && d.len() == sum.len() && qs.len() == x.len());
        // SAFETY: the feature was detected; the lengths just checked.
        return unsafe { avx512::quantize32(x, d, sum, qs) };
    }
    quantize32_auto(x, d, sum, qs)
}

/// Super-blocks of 256 → scales, int8, sums of sixteen, as [`quantize32`].
fn quantize256(x: &[f32], d: &mut [f32], bsums: &mut [i16], qs: &mut [i8]) {
    #[cfg(target_arch = "x86_64")]
    if crate::has_avx512f() {
        assert!(x.len() == 256 * d.len() && bsums.len() == 16 * d.len() && qs.len() == x.len());
        // SAFETY: the feature was detected; the lengths just checked.
        return unsafe { avx512::quantize256(x, d, bsums, qs) };
    }
    quantize256_auto(x, d, bsums, qs)
}

/// Blocks of 32 of `x` into `d`, `sum` and `qs`, which hold exactly as many.
#[inline(always)]
fn quantize32_body(x: &[f32], d: &mut [f32], sum: &mut [i32], qs: &mut [i8]) {
    for (((xb, qb), d), s) in x
        .chunks_exact(32)
        .zip(qs.chunks_exact_mut(32))
        .zip(d.iter_mut())
        .zip(sum.iter_mut())
    {
        *d = quantize_block(xb, qb);
        *s = qb.iter().map(|&q| q as i32).sum();
    }
}

/// Super-blocks of 256 of `x` into `d`, `bsums` (16 a block) and `qs`.
#[inline(always)]
fn quantize256_body(x: &[f32], d: &mut [f32], bsums: &mut [i16], qs: &mut [i8]) {
    for (((xb, qb), d), sums) in x
        .chunks_exact(256)
        .zip(qs.chunks_exact_mut(256))
        .zip(d.iter_mut())
        .zip(bsums.chunks_exact_mut(16))
    {
        *d = quantize_block(xb, qb);
        for (s, q16) in sums.iter_mut().zip(qb.chunks_exact(16)) {
            *s = q16.iter().map(|&q| q as i16).sum();
        }
    }
}

#[inline(always)]
fn quantize_block(x: &[f32], q: &mut [i8]) -> f32 {
    let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = if d > 0.0 { 1.0 / d } else { 0.0 };
    for (q, &v) in q.iter_mut().zip(x) {
        *q = (v * id).round() as i8;
    }
    d
}

impl Act32 {
    /// Quantizes `rows` rows of `cols` values (`cols` a multiple of 32), reusing the buffers.
    pub fn quantize(&mut self, x: &[f32], rows: usize, cols: usize) {
        self.resize(rows, cols);
        quantize32(&x[..rows * cols], &mut self.d, &mut self.sum, &mut self.qs);
    }

    /// [`Self::quantize`] with the rows split across `pool`'s threads: for a prompt it is a
    /// tenth of the work that a single thread would otherwise do while the others wait. Every
    /// block is quantized by the same code either way, so the result is identical.
    pub fn quantize_on(&mut self, pool: &Pool, x: &[f32], rows: usize, cols: usize) {
        if !worth_splitting(pool, rows) {
            return self.quantize(x, rows, cols);
        }
        self.resize(rows, cols);
        let blocks = self.blocks;
        let bounds = row_bounds(rows, pool.threads());
        let d = Parts::new(split_rows(&mut self.d, blocks, &bounds));
        let sum = Parts::new(split_rows(&mut self.sum, blocks, &bounds));
        let qs = Parts::new(split_rows(&mut self.qs, cols, &bounds));
        pool.run(&|part, _| {
            let x = &x[bounds[part] * cols..bounds[part + 1] * cols];
            quantize32(x, d.take(part), sum.take(part), qs.take(part));
        });
    }

    fn resize(&mut self, rows: usize, cols: usize) {
        let blocks = cols / 32;
        self.blocks = blocks;
        self.d.resize(rows * blocks, 0.0);
        self.sum.resize(rows * blocks, 0);
        self.qs.resize(rows * cols, 0);
    }

    /// Block `b` of row `row`: scale, quants, integer sum.
    #[inline(always)]
    pub fn block(&self, row: usize, b: usize) -> (f32, &[i8], i32) {
        let i = row * self.blocks + b;
        (self.d[i], &self.qs[32 * i..32 * i + 32], self.sum[i])
    }
}

impl Act256 {
    /// Quantizes `rows` rows of `cols` values (`cols` a multiple of 256), reusing the buffers.
    pub fn quantize(&mut self, x: &[f32], rows: usize, cols: usize) {
        self.resize(rows, cols);
        quantize256(
            &x[..rows * cols],
            &mut self.d,
            &mut self.bsums,
            &mut self.qs,
        );
    }

    /// [`Self::quantize`] with the rows split across `pool`'s threads (see
    /// [`Act32::quantize_on`]); the same result.
    pub fn quantize_on(&mut self, pool: &Pool, x: &[f32], rows: usize, cols: usize) {
        if !worth_splitting(pool, rows) {
            return self.quantize(x, rows, cols);
        }
        self.resize(rows, cols);
        let blocks = self.blocks;
        let bounds = row_bounds(rows, pool.threads());
        let d = Parts::new(split_rows(&mut self.d, blocks, &bounds));
        let bsums = Parts::new(split_rows(&mut self.bsums, blocks * 16, &bounds));
        let qs = Parts::new(split_rows(&mut self.qs, cols, &bounds));
        pool.run(&|part, _| {
            let x = &x[bounds[part] * cols..bounds[part + 1] * cols];
            quantize256(x, d.take(part), bsums.take(part), qs.take(part));
        });
    }

    fn resize(&mut self, rows: usize, cols: usize) {
        let blocks = cols / 256;
        self.blocks = blocks;
        self.d.resize(rows * blocks, 0.0);
        self.bsums.resize(rows * blocks * 16, 0);
        self.qs.resize(rows * cols, 0);
    }

    /// Super-block `b` of row `row`: scale, quants, sums per 16.
    #[inline(always)]
    pub fn block(&self, row: usize, b: usize) -> (f32, &[i8], &[i16]) {
        let i = row * self.blocks + b;
        (
            self.d[i],
            &self.qs[256 * i..256 * i + 256],
            &self.bsums[16 * i..16 * i + 16],
        )
    }
}

/// The quantizers written out for AVX-512: `quantize32_body` and `quantize256_body` bit for
/// bit. The compiler's own vectorisation of those loops gathered and shuffled; this is a tenth
/// of the instructions.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// `round(v)` (half away from zero, as `f32::round`) of sixteen floats of magnitude below 2²³,
    /// as integers: truncation after adding just under one half with v's sign.
    #[inline(always)]
    unsafe fn round_away(v: __m512) -> __m512i {
        let sign = _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(i32::MIN));
        let half = _mm512_or_si512(_mm512_castps_si512(_mm512_set1_ps(0.499_999_97)), sign);
        _mm512_cvttps_epi32(_mm512_add_ps(v, _mm512_castsi512_ps(half)))
    }

    /// One block's scale (largest magnitude / 127) and its reciprocal (0 for an all-zero block),
    /// from the blocks' largest magnitudes lane by lane.
    #[inline(always)]
    unsafe fn block_scale(amax: __m512) -> (f32, __m512) {
        let d = _mm512_reduce_max_ps(amax) / 127.0;
        let id = if d > 0.0 { 1.0 / d } else { 0.0 };
        (d, _mm512_set1_ps(id))
    }

    /// [`super::quantize32_body`] on 512-bit registers: blocks of 32 floats → a scale, 32 int8
    /// and their sum.
    ///
    /// # Safety
    /// The CPU has AVX-512 F; `x` holds 32 values for each entry of `d` and `sum`, `qs` as many
    /// bytes as `x` values.
    #[target_feature(enable = "avx2,fma,avx512f")]
    pub unsafe fn quantize32(x: &[f32], d: &mut [f32], sum: &mut [i32], qs: &mut [i8]) {
        let abs = _mm512_set1_epi32(i32::MAX);
        let mag = |v: __m512| _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), abs));
        let blocks = d.len().min(sum.len()).min(x.len() / 32).min(qs.len() / 32);
        for b in 0..blocks {
            let (xp, qp) = (x.as_ptr().add(32 * b), qs.as_mut_ptr().add(32 * b));
            let (lo, hi) = (_mm512_loadu_ps(xp), _mm512_loadu_ps(xp.add(16)));
            let (db, id) = block_scale(_mm512_max_ps(mag(lo), mag(hi)));
            let (ql, qh) = (
                round_away(_mm512_mul_ps(lo, id)),
                round_away(_mm512_mul_ps(hi, id)),
            );
            _mm_storeu_si128(qp as *mut __m128i, _mm512_cvtsepi32_epi8(ql));
            _mm_storeu_si128(qp.add(16) as *mut __m128i, _mm512_cvtsepi32_epi8(qh));
            d[b] = db;
            sum[b] = _mm512_reduce_add_epi32(_mm512_add_epi32(ql, qh));
        }
    }

    /// [`super::quantize256_body`] on 512-bit registers: super-blocks of 256 floats → a
    /// scale, 256 int8 and sixteen sums of sixteen.
    ///
    /// # Safety
    /// The CPU has AVX-512 F; `x` holds 256 values for each entry of `d` (and 16 of `bsums`),
    /// `qs` as many bytes as `x` values.
    #[target_feature(enable = "avx2,fma,avx512f")]
    pub unsafe fn quantize256(x: &[f32], d: &mut [f32], bsums: &mut [i16], qs: &mut [i8]) {
        let abs = _mm512_set1_epi32(i32::MAX);
        let mag = |v: __m512| _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), abs));
        let blocks = d
            .len()
            .min(bsums.len() / 16)
            .min(x.len() / 256)
            .min(qs.len() / 256);
        for b in 0..blocks {
            let (xp, qp) = (x.as_ptr().add(256 * b), qs.as_mut_ptr().add(256 * b));
            let mut amax = _mm512_setzero_ps();
            for i in 0..16 {
                amax = _mm512_max_ps(amax, mag(_mm512_loadu_ps(xp.add(16 * i))));
            }
            let (db, id) = block_scale(amax);
            for i in 0..16 {
                let q = round_away(_mm512_mul_ps(_mm512_loadu_ps(xp.add(16 * i)), id));
                _mm_storeu_si128(qp.add(16 * i) as *mut __m128i, _mm512_cvtsepi32_epi8(q));
                bsums[16 * b + i] = _mm512_reduce_add_epi32(q) as i16;
            }
            d[b] = db;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize) -> Vec<f32> {
        // Rows of very different ranges, so that a block given another block's scale shows.
        (0..n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * (1.0 + (i / 256) as f32))
            .collect()
    }

    #[test]
    fn quantizing_on_the_team_gives_exactly_the_single_thread_result() {
        let pool = Pool::new(3);
        for rows in [1, 4, 5, 17, 64] {
            let cols = 512;
            let x = values(rows * cols);
            let (mut one, mut team) = (Act32::default(), Act32::default());
            one.quantize(&x, rows, cols);
            team.quantize_on(&pool, &x, rows, cols);
            assert_eq!(
                (one.d, one.sum, one.qs),
                (team.d, team.sum, team.qs),
                "{rows} rows"
            );
            let (mut one, mut team) = (Act256::default(), Act256::default());
            one.quantize(&x, rows, cols);
            // A buffer left from a longer input must not leak into a shorter one.
            team.quantize_on(&pool, &values(80 * cols), 80, cols);
            team.quantize_on(&pool, &x, rows, cols);
            assert_eq!(
                (one.d, one.bsums, one.qs),
                (team.d, team.bsums, team.qs),
                "{rows} rows"
            );
        }
    }

    #[test]
    fn rows_are_cut_into_contiguous_runs_covering_all() {
        assert_eq!(row_bounds(5, 2), vec![0, 2, 5]);
        assert_eq!(row_bounds(1, 3), vec![0, 0, 0, 1]);
        let mut v: Vec<u8> = (0..10).collect();
        let parts = split_rows(&mut v, 2, &[0, 2, 5]);
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            vec![4, 6]
        );
    }

    /// Values with exact halves after scaling (ties), zero blocks, tiny and large magnitudes.
    fn awkward(n: usize) -> Vec<f32> {
        let mut seed = 5u64;
        (0..n)
            .map(|i| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = ((seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
                match (i / 256) % 5 {
                    0 => r,
                    // Multiples of a half against a block maximum of 127: ties everywhere.
                    1 if i % 32 == 0 => 127.0,
                    1 => (r * 254.0).round() / 2.0,
                    2 => 0.0,
                    3 => r * 1e-30,
                    _ => r * 3e4,
                }
            })
            .collect()
    }

    #[test]
    fn written_out_quantizers_match_the_loop_bit_for_bit() {
        let x = awkward(256 * 20);
        let (mut d, mut s, mut q) = (vec![0.0; 160], vec![0; 160], vec![0i8; x.len()]);
        let (mut d2, mut s2, mut q2) = (d.clone(), s.clone(), q.clone());
        quantize32(&x, &mut d, &mut s, &mut q);
        quantize32_body(&x, &mut d2, &mut s2, &mut q2);
        assert_eq!(q, q2);
        assert_eq!(s, s2);
        assert_eq!(
            d.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            d2.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        let (mut d, mut s, mut q) = (vec![0.0; 20], vec![0i16; 320], vec![0i8; x.len()]);
        let (mut d2, mut s2, mut q2) = (d.clone(), s.clone(), q.clone());
        quantize256(&x, &mut d, &mut s, &mut q);
        quantize256_body(&x, &mut d2, &mut s2, &mut q2);
        assert_eq!(q, q2);
        assert_eq!(s, s2);
        assert_eq!(
            d.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            d2.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}
