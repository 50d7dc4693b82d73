//! AVX2/FMA/F16C versions of the dot products in `blocks`, after ggml's own (`ggml-cpu/quants.c`):
//! weights stay packed, activations are 8-bit, products are summed in integers per block and
//! scaled once per block. Callers check `super::has_avx2()` first.

// Block loops index several parallel arrays (weights, activation scales, sums) by block.
#![allow(clippy::needless_range_loop)]

use std::arch::x86_64::*;

use half::f16;

use super::act::{Act256, Act32};
use super::blocks::{q4k_scale_min, Q4_1_BYTES, Q4_K_BYTES, Q5_0_BYTES, Q6_K_BYTES, Q8_0_BYTES};
use super::wide::Q6kChunks;

/// `for $k in 0..$r { $body }` written out for `$r` up to 4, so that per-row accumulators
/// indexed by `$k` live in registers: left as a loop, the compiler kept them on the stack and
/// each row's multiply-add waited on the last one's store.
macro_rules! unroll4 {
    ($r:expr, $k:ident, $body:block) => {{
        const { assert!($r <= 4) };
        if $r > 0 {
            let $k = 0;
            $body
        }
        if $r > 1 {
            let $k = 1;
            $body
        }
        if $r > 2 {
            let $k = 2;
            $body
        }
        if $r > 3 {
            let $k = 3;
            $body
        }
    }};
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn f16_at(p: *const u8) -> f32 {
    // SAFETY: callers pass pointers inside a block of at least two bytes.
    let bits = unsafe { std::ptr::read_unaligned(p as *const u16) };
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32)))
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn hsum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_movehdup_ps(s));
    _mm_cvtss_f32(s)
}

/// 32 unsigned bytes times 32 signed bytes, summed in pairs, then in fours, as 8 floats.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn mul_sum_us8(ux: __m256i, sy: __m256i) -> __m256 {
    let dot = _mm256_maddubs_epi16(ux, sy);
    _mm256_cvtepi32_ps(_mm256_madd_epi16(dot, _mm256_set1_epi16(1)))
}

/// 16 bytes of nibbles → 32 bytes: low nibbles first, then the high ones (Q4_1/Q5_0 order).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn nibbles32(p: *const u8) -> __m256i {
    let t = _mm_loadu_si128(p as *const __m128i);
    let both = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
    _mm256_and_si256(both, _mm256_set1_epi8(0x0F))
}

/// 32 bits → 32 bytes, 0xFF where the bit is set.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn bits32(p: *const u8) -> __m256i {
    let x = std::ptr::read_unaligned(p as *const u32);
    let shuf = _mm256_set_epi64x(
        0x0303030303030303,
        0x0202020202020202,
        0x0101010101010101,
        0x0000000000000000,
    );
    let bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(x as i32), shuf);
    let bytes = _mm256_or_si256(bytes, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
    _mm256_cmpeq_epi8(bytes, _mm256_set1_epi64x(-1))
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn load(p: *const i8) -> __m256i {
    _mm256_loadu_si256(p as *const __m256i)
}

/// # Safety
/// The CPU has AVX2, FMA and F16C; `w` is one row of whole Q4_K super-blocks, matching the
/// row length `a` was quantized with (256-element blocks).
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn dot_q4_k(w: &[u8], a: &Act256, row: usize) -> f32 {
    let nb = w.len() / Q4_K_BYTES;
    rows_q4_k::<1>(w.as_ptr(), w.len(), nb, a, row)[0]
}

/// `vpshufb` controls that fill the low 128 bits with 16-bit word `lo` of that half and the
/// high 128 bits with word `hi` of that half: `[lo][hi]` for words 0..8.
const WORDS: [[[i8; 32]; 8]; 8] = {
    let mut t = [[[0i8; 32]; 8]; 8];
    let mut lo = 0;
    while lo < 8 {
        let mut hi = 0;
        while hi < 8 {
            let mut b = 0;
            while b < 16 {
                t[lo][hi][b] = (2 * lo + b % 2) as i8;
                t[lo][hi][16 + b] = (2 * hi + b % 2) as i8;
                b += 1;
            }
            hi += 1;
        }
        lo += 1;
    }
    t
};

#[inline(always)]
unsafe fn word(lo: usize, hi: usize) -> __m256i {
    _mm256_loadu_si256(WORDS[lo][hi].as_ptr() as *const __m256i)
}

/// `R` Q4_K weight rows (`stride` bytes apart) against one input row on AVX2: per 32-element
/// sub-block, bytes × bytes into 16-bit pairs (`vpmaddubsw`), then × the sub-block's scale
/// into 32 bits (`vpmaddwd`); the scales and minimums unpacked by whole words and the
/// minimums' sum taken against the activations' sums per 32 in one `pmaddwd`. The
/// activation block is loaded once for all `R` rows, whose chains are independent. Each
/// row's integers land in the same eight lanes and take the same float steps as in the VNNI
/// rows and the batch tiles, so all give the same bits.
///
/// # Safety
/// As `dot_q4_k`; `w` starts `R` whole rows of `nb` super-blocks, `stride` bytes apart.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn rows_q4_k<const R: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [f32; R] {
    use super::blocks::q4k_scales_mins;
    let mut acc = [_mm256_setzero_ps(); R];
    let mut mins = [0f32; R];
    let low = _mm256_set1_epi8(0x0F);
    let (ahead, chunk, lines) = lookahead_rows(w, R * stride, nb);
    for b in 0..nb {
        prefetch_ahead_l2(ahead, chunk, lines, b);
        let (dy, yq, bsums) = a.block(row, b);
        let per32 = _mm_hadd_epi16(
            _mm_loadu_si128(bsums.as_ptr() as *const __m128i),
            _mm_loadu_si128(bsums.as_ptr().add(8) as *const __m128i),
        );
        let yp = yq.as_ptr();
        unroll4!(R, k, {
            let p = w.add(k * stride + Q4_K_BYTES * b);
            let d = f16_at(p) * dy;
            let dmin = f16_at(p.add(2)) * dy;
            let (s8, m8) = q4k_scales_mins(&*(p.add(4) as *const [u8; 12]));
            let mn = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(m8 as i64));
            let summ = _mm_madd_epi16(mn, per32);
            let summ = _mm_add_epi32(summ, _mm_shuffle_epi32(summ, 0b01_00_11_10));
            let summ = _mm_add_epi32(summ, _mm_shuffle_epi32(summ, 0b10_11_00_01));
            mins[k] += dmin * _mm_cvtsi128_si32(summ) as f32;
            // The eight scales as 16-bit words in both halves, spread by one shuffle each.
            let sc = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(s8 as i64)));
            let qs = p.add(16);
            let mut sumi = _mm256_setzero_si256();
            for i in 0..4 {
                let bits = _mm256_loadu_si256(qs.add(32 * i) as *const __m256i);
                let lo = _mm256_and_si256(bits, low);
                let hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low);
                let pl = _mm256_maddubs_epi16(lo, load(yp.add(64 * i)));
                let ph = _mm256_maddubs_epi16(hi, load(yp.add(64 * i + 32)));
                let pl = _mm256_madd_epi16(_mm256_shuffle_epi8(sc, word(2 * i, 2 * i)), pl);
                let ph = _mm256_madd_epi16(_mm256_shuffle_epi8(sc, word(2 * i + 1, 2 * i + 1)), ph);
                sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
            }
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc[k]);
        });
    }
    let mut out = [0f32; R];
    for k in 0..R {
        out[k] = hsum(acc[k]) - mins[k];
    }
    out
}

/// [`dot_q4_k`] on AVX-512 VNNI: a 64-element chunk a register, the scales and minimums
/// unpacked by whole words, `vpdpwssd` for multiply-by-scale-and-add. The same integers
/// land in the same eight float lanes (the two halves of a 512-bit sum are one 256-bit
/// lane's low and high parts there), so the result is bitwise `dot_q4_k`'s and a batch's tiles.
///
/// # Safety
/// As `dot_q4_k`, and the CPU has AVX-512 F, BW, VL and VNNI.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
pub unsafe fn dot_q4_k_vnni(w: &[u8], a: &Act256, row: usize) -> f32 {
    let nb = w.len() / Q4_K_BYTES;
    rows_q4_k_vnni::<1>(w.as_ptr(), w.len(), nb, a, row)[0]
}

/// A 256-element activation block as four 64-byte registers.
#[inline(always)]
unsafe fn act_block(yp: *const i8) -> [__m512i; 4] {
    [
        _mm512_loadu_si512(yp as *const __m512i),
        _mm512_loadu_si512(yp.add(64) as *const __m512i),
        _mm512_loadu_si512(yp.add(128) as *const __m512i),
        _mm512_loadu_si512(yp.add(192) as *const __m512i),
    ]
}

/// The four 64-element chunks of a super-block, each times its scales (`scales[j]`: chunk j's
/// spread from the super-block's by [`spread_scales`]) and its activations: `vpdpwssd` summing
/// into the eight lanes `dot_q4_k` and `dot_q6_k` use, so that the results are theirs bit for
/// bit.
#[inline(always)]
unsafe fn scaled_sum(chunks: &[__m512i; 4], y: &[__m512i; 4], scales: &[__m512i; 4]) -> __m256 {
    let mut sumi = _mm512_setzero_si512();
    for j in 0..4 {
        sumi = _mm512_dpwssd_epi32(sumi, _mm512_maddubs_epi16(chunks[j], y[j]), scales[j]);
    }
    let sumi = _mm256_add_epi32(
        _mm512_castsi512_si256(sumi),
        _mm512_extracti64x4_epi64(sumi, 1),
    );
    _mm256_cvtepi32_ps(sumi)
}

/// A super-block's 16-bit scales `sc` spread to its four chunks' lanes by `perm`.
#[inline(always)]
unsafe fn spread_scales(perm: &[__m512i; 4], sc: __m512i) -> [__m512i; 4] {
    // Written out: `array::from_fn`'s closure is not compiled with the caller's features.
    [
        _mm512_permutexvar_epi16(perm[0], sc),
        _mm512_permutexvar_epi16(perm[1], sc),
        _mm512_permutexvar_epi16(perm[2], sc),
        _mm512_permutexvar_epi16(perm[3], sc),
    ]
}

/// `R` Q4_K weight rows (`stride` bytes apart) against one input row, as `R` calls of
/// [`dot_q4_k_vnni`] would give them bit for bit: each row's float steps are the same, but
/// the activation block, its sums per 32 and the scale shuffles are loaded once for all `R`,
/// and the `R` independent chains keep the multipliers busy where one row's chain left them
/// waiting (a decode step of the 1.5B model is these rows).
///
/// # Safety
/// As `dot_q4_k_vnni`; `w` starts `R` whole rows of `nb` super-blocks, `stride` bytes apart.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
pub unsafe fn rows_q4_k_vnni<const R: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [f32; R] {
    kquant_vnni::<_, R, 1>(&Q4kVnni::new(), w, stride, nb, a, row).map(|r| r[0])
}

/// Two Q4_K weight rows × four activation rows on AVX-512 VNNI: a batch of decode steps,
/// each pair bitwise what [`rows_q4_k_vnni`] gives it alone (see [`kquant_vnni`]).
///
/// # Safety
/// As `rows_q4_k_vnni`, with two weight rows and four activation rows from `row`.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
pub unsafe fn dot2x4_q4_k_vnni(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [[f32; 4]; 2] {
    kquant_vnni::<_, 2, 4>(&Q4kVnni::new(), w, stride, nb, a, row)
}

/// [`rows_q4_k_vnni`] for Q6_K: `R` rows as `R` calls of [`dot_q6_k_vnni`] would give them.
///
/// # Safety
/// As `dot_q6_k_vnni`; `w` starts `R` whole rows of `nb` super-blocks, `stride` bytes apart.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
pub unsafe fn rows_q6_k_vnni<const R: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [f32; R] {
    kquant_vnni::<_, R, 1>(&Q6kChunks::new(), w, stride, nb, a, row).map(|r| r[0])
}

/// [`dot2x4_q4_k_vnni`] for Q6_K.
///
/// # Safety
/// As `rows_q6_k_vnni`, with two weight rows and four activation rows from `row`.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
pub unsafe fn dot2x4_q6_k_vnni(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [[f32; 4]; 2] {
    kquant_vnni::<_, 2, 4>(&Q6kChunks::new(), w, stride, nb, a, row)
}

/// One weight row's super-block as the VNNI rows take it: a pair's product is
/// d·dy·Σ(chunks · y · scales) − c·dy·(the correction's integer).
struct SuperBlock<T> {
    d: f32,
    c: f32,
    chunks: [__m512i; 4],
    /// The sixteen-bit scales, before [`spread_scales`].
    scales: __m512i,
    /// What [`KQuantVnni::correction`] needs of the weights.
    corr: T,
}

/// A K-quant format on the VNNI rows ([`kquant_vnni`]).
trait KQuantVnni {
    const BYTES: usize;
    /// The `vpermw` controls that spread the scales to each chunk's lanes.
    const IDX: [[i16; 32]; 4];
    /// What the correction needs of an activation block's sums per 16.
    type Sums: Copy;
    type Corr: Copy;
    unsafe fn sums(bsums: &[i16]) -> Self::Sums;
    unsafe fn unpack(&self, p: *const u8) -> SuperBlock<Self::Corr>;
    /// The correction's integer (exact) for one weight row and one activation block.
    unsafe fn correction(corr: Self::Corr, sums: Self::Sums) -> i32;
}

/// Q4_K: the minimums against the activations' sums per 32.
struct Q4kVnni {
    low: __m256i,
}

impl Q4kVnni {
    #[inline(always)]
    unsafe fn new() -> Self {
        Self {
            low: _mm256_set1_epi8(0x0F),
        }
    }
}

impl KQuantVnni for Q4kVnni {
    const BYTES: usize = Q4_K_BYTES;
    const IDX: [[i16; 32]; 4] = super::wide::Q4K_IDX;
    type Sums = __m128i;
    type Corr = __m128i;

    #[inline(always)]
    unsafe fn sums(bsums: &[i16]) -> __m128i {
        _mm_hadd_epi16(
            _mm_loadu_si128(bsums.as_ptr() as *const __m128i),
            _mm_loadu_si128(bsums.as_ptr().add(8) as *const __m128i),
        )
    }

    #[inline(always)]
    unsafe fn unpack(&self, p: *const u8) -> SuperBlock<__m128i> {
        let (s8, m8) = super::blocks::q4k_scales_mins(&*(p.add(4) as *const [u8; 12]));
        let qs = p.add(16);
        let nibble = |i: usize| {
            let bits = _mm256_loadu_si256(qs.add(32 * i) as *const __m256i);
            _mm512_inserti64x4(
                _mm512_castsi256_si512(_mm256_and_si256(bits, self.low)),
                _mm256_and_si256(_mm256_srli_epi16(bits, 4), self.low),
                1,
            )
        };
        SuperBlock {
            d: f16_at(p),
            c: f16_at(p.add(2)),
            chunks: [nibble(0), nibble(1), nibble(2), nibble(3)],
            scales: _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(s8 as i64))),
            corr: _mm_cvtepu8_epi16(_mm_cvtsi64_si128(m8 as i64)),
        }
    }

    #[inline(always)]
    unsafe fn correction(mins: __m128i, per32: __m128i) -> i32 {
        let summ = _mm_madd_epi16(mins, per32);
        let summ = _mm_add_epi32(summ, _mm_shuffle_epi32(summ, 0b01_00_11_10));
        let summ = _mm_add_epi32(summ, _mm_shuffle_epi32(summ, 0b10_11_00_01));
        _mm_cvtsi128_si32(summ)
    }
}

/// Q6_K: the offset of 32, through the scales against the activations' sums per 16.
impl KQuantVnni for Q6kChunks {
    const BYTES: usize = Q6_K_BYTES;
    const IDX: [[i16; 32]; 4] = super::wide::Q6K_IDX;
    type Sums = __m256i;
    type Corr = __m256i;

    #[inline(always)]
    unsafe fn sums(bsums: &[i16]) -> __m256i {
        _mm256_loadu_si256(bsums.as_ptr() as *const __m256i)
    }

    #[inline(always)]
    unsafe fn unpack(&self, p: *const u8) -> SuperBlock<__m256i> {
        let d = f16_at(p.add(208));
        let sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(p.add(192) as *const __m128i));
        SuperBlock {
            d,
            c: d,
            chunks: [
                self.chunk(p, 0),
                self.chunk(p, 1),
                self.chunk(p, 2),
                self.chunk(p, 3),
            ],
            scales: _mm512_castsi256_si512(sc16),
            corr: sc16,
        }
    }

    #[inline(always)]
    unsafe fn correction(sc16: __m256i, sums: __m256i) -> i32 {
        32 * hsum_i32(_mm256_madd_epi16(sc16, sums))
    }
}

/// `R` K-quant weight rows × `C` activation rows from `row`, each pair's float steps those of
/// [`dot_q4_k`] (or [`dot_q6_k`]): a super-block's chunks and spread scales are unpacked once
/// for all `C` inputs (a batch of four decode steps of the 1.5B model unpacked them once each
/// on the AVX2 tiles before), the activation block's sums once for all `R` rows.
#[inline(always)]
unsafe fn kquant_vnni<K: KQuantVnni, const R: usize, const C: usize>(
    kq: &K,
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [[f32; C]; R] {
    use super::wide::idx;
    let mut acc = [[_mm256_setzero_ps(); C]; R];
    let mut corr = [[0f32; C]; R];
    let perm = [
        idx(&K::IDX[0]),
        idx(&K::IDX[1]),
        idx(&K::IDX[2]),
        idx(&K::IDX[3]),
    ];
    let (ahead, chunk, lines) = lookahead_rows(w, R * stride, nb);
    for b in 0..nb {
        prefetch_ahead_l2(ahead, chunk, lines, b);
        let mut dy = [0f32; C];
        let mut yp = [std::ptr::null::<i8>(); C];
        let mut sums = [K::sums(&[0; 16]); C];
        for c in 0..C {
            let (d, yq, bsums) = a.block(row + c, b);
            dy[c] = d;
            yp[c] = yq.as_ptr();
            sums[c] = K::sums(bsums);
        }
        unroll4!(R, k, {
            let sb = kq.unpack(w.add(k * stride + K::BYTES * b));
            let scales = spread_scales(&perm, sb.scales);
            for c in 0..C {
                corr[k][c] += sb.c * dy[c] * K::correction(sb.corr, sums[c]) as f32;
                let sum = scaled_sum(&sb.chunks, &act_block(yp[c]), &scales);
                acc[k][c] = _mm256_fmadd_ps(_mm256_set1_ps(sb.d * dy[c]), sum, acc[k][c]);
            }
        });
    }
    let mut out = [[0f32; C]; R];
    for k in 0..R {
        for c in 0..C {
            out[k][c] = hsum(acc[k][c]) - corr[k][c];
        }
    }
    out
}

/// # Safety
/// As `dot_q4_k`, for Q6_K super-blocks.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn dot_q6_k(w: &[u8], a: &Act256, row: usize) -> f32 {
    let nb = w.len() / Q6_K_BYTES;
    rows_q6_k::<1>(w.as_ptr(), w.len(), nb, a, row)[0]
}

/// [`rows_q4_k`] for Q6_K: `R` rows against one input row, the activation block loaded once
/// for all, the offset of 32 taken off through the sums per 16 in one `vpmaddwd`.
///
/// # Safety
/// As `dot_q6_k`; `w` starts `R` whole rows of `nb` super-blocks, `stride` bytes apart.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn rows_q6_k<const R: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [f32; R] {
    let mut acc = [_mm256_setzero_ps(); R];
    let mut offset = [0f32; R];
    let low = _mm256_set1_epi8(0x0F);
    let (ahead, chunk, lines) = lookahead_rows(w, R * stride, nb);
    for b in 0..nb {
        prefetch_ahead_l2(ahead, chunk, lines, b);
        let (dy, yq, bsums) = a.block(row, b);
        let sums = _mm256_loadu_si256(bsums.as_ptr() as *const __m256i);
        unroll4!(R, k, {
            let blk = w.add(k * stride + Q6_K_BYTES * b);
            let d = f16_at(blk.add(208)) * dy;
            let sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(blk.add(192) as *const __m128i));
            let corr = _mm256_madd_epi16(sc16, sums);
            offset[k] += d * (32 * hsum_i32(corr)) as f32;
            // Scales 0..7 in both 128-bit halves, and 8..15: a piece's two scales (one per
            // half) are then one in-lane shuffle away.
            let dup = [
                _mm256_permute2x128_si256(sc16, sc16, 0x00),
                _mm256_permute2x128_si256(sc16, sc16, 0x11),
            ];
            let mut sumi = _mm256_setzero_si256();
            for half in 0..2 {
                let ql = blk.add(64 * half);
                let qh = _mm256_loadu_si256(blk.add(128 + 32 * half) as *const __m256i);
                let b1 = _mm256_loadu_si256(ql as *const __m256i);
                let b2 = _mm256_loadu_si256(ql.add(32) as *const __m256i);
                let h0 = _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x03)), 4);
                let h1 = _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x0C)), 2);
                let h2 = _mm256_and_si256(qh, _mm256_set1_epi8(0x30));
                let h3 = _mm256_srli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0xC0u8 as i8)), 2);
                let q = [
                    _mm256_or_si256(_mm256_and_si256(b1, low), h0),
                    _mm256_or_si256(_mm256_and_si256(b2, low), h1),
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b1, 4), low), h2),
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b2, 4), low), h3),
                ];
                let yp = yq.as_ptr().add(128 * half);
                for (j, &qj) in q.iter().enumerate() {
                    let p = _mm256_maddubs_epi16(qj, load(yp.add(32 * j)));
                    let scale = _mm256_shuffle_epi8(dup[half], word(2 * j, 2 * j + 1));
                    sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, scale));
                }
            }
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc[k]);
        });
    }
    let mut out = [0f32; R];
    for k in 0..R {
        out[k] = hsum(acc[k]) - offset[k];
    }
    out
}

/// [`dot_q6_k`] on AVX-512 VNNI: two of its 32-element pieces a register, `vpdpwssd` with the
/// sixteen scales spread per 16 lanes. Bitwise `dot_q6_k`'s result, as with `dot_q4_k_vnni`.
///
/// # Safety
/// As `dot_q6_k`, and the CPU has AVX-512 F, BW, VL and VNNI.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
pub unsafe fn dot_q6_k_vnni(w: &[u8], a: &Act256, row: usize) -> f32 {
    let nb = w.len() / Q6_K_BYTES;
    rows_q6_k_vnni::<1>(w.as_ptr(), w.len(), nb, a, row)[0]
}

/// The sum of eight 32-bit lanes (exact: integers).
#[inline(always)]
unsafe fn hsum_i32(v: __m256i) -> i32 {
    let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
    let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
    _mm_cvtsi128_si32(s)
}

/// `R` Q4_K weight rows (`stride` bytes apart, `nb` super-blocks each) × `C` activation rows
/// from `row`: each super-block's nibbles and scales are unpacked once for all `C` rows, where
/// the one-row product unpacks them again for every row of a prompt. Each (weight row, input
/// row) pair takes exactly `dot_q4_k`'s steps in its order, so a product is bitwise the one
/// `dot_q4_k` gives (a batch of decode steps must say what each step alone says).
#[inline(always)]
unsafe fn tile_q4_k<const R: usize, const C: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [[f32; C]; R] {
    let low = _mm256_set1_epi8(0x0F);
    let mut acc = [[_mm256_setzero_ps(); C]; R];
    let mut mins = [[0f32; C]; R];
    let (ahead, chunk, lines) = lookahead_rows(w, R * stride, nb);
    for b in 0..nb {
        prefetch_ahead_l2(ahead, chunk, lines, b);
        for k in 0..R {
            let blk = w.add(k * stride + Q4_K_BYTES * b);
            let (d0, dmin0) = (f16_at(blk), f16_at(blk.add(2)));
            let scales = std::slice::from_raw_parts(blk.add(4), 12);
            let mut sc = [0i16; 8];
            let mut mn = [0i32; 8];
            for j in 0..8 {
                let (scale, min) = q4k_scale_min(j, scales);
                sc[j] = scale as i16;
                mn[j] = min as i32;
            }
            let qs = blk.add(16);
            let mut q = [_mm256_setzero_si256(); 8];
            let mut scv = [_mm256_setzero_si256(); 8];
            for i in 0..4 {
                let bits = _mm256_loadu_si256(qs.add(32 * i) as *const __m256i);
                q[2 * i] = _mm256_and_si256(bits, low);
                q[2 * i + 1] = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low);
            }
            for j in 0..8 {
                scv[j] = _mm256_set1_epi16(sc[j]);
            }
            // The mins against the sums per 16 activations, as one 16-lane multiply-add:
            // lane 2j and 2j+1 both carry min j.
            let mut mins16 = [0i16; 16];
            for j in 0..16 {
                mins16[j] = mn[j / 2] as i16;
            }
            let minv = _mm256_loadu_si256(mins16.as_ptr() as *const __m256i);
            for c in 0..C {
                let (dy, yq, bsums) = a.block(row + c, b);
                let (d, dmin) = (d0 * dy, dmin0 * dy);
                let bs = _mm256_loadu_si256(bsums.as_ptr() as *const __m256i);
                let summ = hsum_i32(_mm256_madd_epi16(bs, minv));
                mins[k][c] += dmin * summ as f32;
                let yp = yq.as_ptr();
                let mut sumi = _mm256_setzero_si256();
                for i in 0..4 {
                    let pl = _mm256_maddubs_epi16(q[2 * i], load(yp.add(64 * i)));
                    let ph = _mm256_maddubs_epi16(q[2 * i + 1], load(yp.add(64 * i + 32)));
                    let pl = _mm256_madd_epi16(scv[2 * i], pl);
                    let ph = _mm256_madd_epi16(scv[2 * i + 1], ph);
                    sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
                }
                acc[k][c] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc[k][c]);
            }
        }
    }
    let mut out = [[0f32; C]; R];
    for k in 0..R {
        for c in 0..C {
            out[k][c] = hsum(acc[k][c]) - mins[k][c];
        }
    }
    out
}

/// As `tile_q4_k`, for Q6_K super-blocks, bitwise the products of `dot_q6_k`.
#[inline(always)]
unsafe fn tile_q6_k<const R: usize, const C: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [[f32; C]; R] {
    let low = _mm256_set1_epi8(0x0F);
    let mut acc = [[_mm256_setzero_ps(); C]; R];
    let mut offset = [[0f32; C]; R];
    let (ahead, chunk, lines) = lookahead_rows(w, R * stride, nb);
    for b in 0..nb {
        prefetch_ahead_l2(ahead, chunk, lines, b);
        for k in 0..R {
            let blk = w.add(k * stride + Q6_K_BYTES * b);
            let d0 = f16_at(blk.add(208));
            let sc = std::slice::from_raw_parts(blk.add(192), 16);
            let mut q = [_mm256_setzero_si256(); 8];
            let mut scale = [_mm256_setzero_si256(); 8];
            for half in 0..2 {
                let ql = blk.add(64 * half);
                let qh = _mm256_loadu_si256(blk.add(128 + 32 * half) as *const __m256i);
                let b1 = _mm256_loadu_si256(ql as *const __m256i);
                let b2 = _mm256_loadu_si256(ql.add(32) as *const __m256i);
                let h0 = _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x03)), 4);
                let h1 = _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x0C)), 2);
                let h2 = _mm256_and_si256(qh, _mm256_set1_epi8(0x30));
                let h3 = _mm256_srli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0xC0u8 as i8)), 2);
                q[4 * half] = _mm256_or_si256(_mm256_and_si256(b1, low), h0);
                q[4 * half + 1] = _mm256_or_si256(_mm256_and_si256(b2, low), h1);
                q[4 * half + 2] =
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b1, 4), low), h2);
                q[4 * half + 3] =
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b2, 4), low), h3);
                let s = &sc[8 * half..];
                for j in 0..4 {
                    scale[4 * half + j] = _mm256_set_m128i(
                        _mm_set1_epi16((s[2 * j + 1] as i8) as i16),
                        _mm_set1_epi16((s[2 * j] as i8) as i16),
                    );
                }
            }
            let mut sc16 = [0i16; 16];
            for j in 0..16 {
                sc16[j] = (sc[j] as i8) as i16;
            }
            let scw = _mm256_loadu_si256(sc16.as_ptr() as *const __m256i);
            for c in 0..C {
                let (dy, yq, bsums) = a.block(row + c, b);
                let d = d0 * dy;
                let bs = _mm256_loadu_si256(bsums.as_ptr() as *const __m256i);
                let corr = hsum_i32(_mm256_madd_epi16(bs, scw));
                offset[k][c] += d * (32 * corr) as f32;
                let yp = yq.as_ptr();
                let mut sumi = _mm256_setzero_si256();
                for j in 0..8 {
                    let p = _mm256_maddubs_epi16(q[j], load(yp.add(32 * j)));
                    sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, scale[j]));
                }
                acc[k][c] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc[k][c]);
            }
        }
    }
    let mut out = [[0f32; C]; R];
    for k in 0..R {
        for c in 0..C {
            out[k][c] = hsum(acc[k][c]) - offset[k][c];
        }
    }
    out
}

/// Two Q4_K weight rows × four activation rows (see `tile_q4_k`).
///
/// # Safety
/// The CPU has AVX2, FMA and F16C; `w` starts two whole rows of `nb` Q4_K super-blocks laid
/// `stride` bytes apart; `a` has four rows from `row`, quantized with `nb` blocks per row.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn dot2x4_q4_k(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [[f32; 4]; 2] {
    tile_q4_k::<2, 4>(w, stride, nb, a, row)
}

/// Two Q6_K weight rows × four activation rows (see `tile_q6_k`).
///
/// # Safety
/// As `dot2x4_q4_k`, for Q6_K super-blocks.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn dot2x4_q6_k(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [[f32; 4]; 2] {
    tile_q6_k::<2, 4>(w, stride, nb, a, row)
}

/// # Safety
/// The CPU has AVX2 and FMA; `w` holds `x.len()` little-endian f32 values (any alignment).
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn dot_f32_bytes(w: &[u8], x: &[f32]) -> f32 {
    dot_ptr(w.as_ptr() as *const f32, x.as_ptr(), x.len())
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn dot_ptr(a: *const f32, b: *const f32, n: usize) -> f32 {
    let (mut s0, mut s1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
    let mut i = 0;
    while i + 16 <= n {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a.add(i)), _mm256_loadu_ps(b.add(i)), s0);
        s1 = _mm256_fmadd_ps(
            _mm256_loadu_ps(a.add(i + 8)),
            _mm256_loadu_ps(b.add(i + 8)),
            s1,
        );
        i += 16;
    }
    let mut s = hsum(_mm256_add_ps(s0, s1));
    while i < n {
        s += std::ptr::read_unaligned(a.add(i)) * *b.add(i);
        i += 1;
    }
    s
}

/// e^x for 8 lanes (Cephes-style: x = n·ln2 + r, a degree-6 polynomial for e^r, 2^n through
/// the exponent bits); relative error about 2e-7, and 0 for x below -87.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn exp8(x: __m256) -> __m256 {
    let x = _mm256_max_ps(x, _mm256_set1_ps(-87.0));
    let x = _mm256_min_ps(x, _mm256_set1_ps(88.0));
    let n = _mm256_round_ps(
        _mm256_mul_ps(x, _mm256_set1_ps(std::f32::consts::LOG2_E)),
        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC,
    );
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693_359_4), x);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.121_944_4e-4), r);
    let mut p = _mm256_set1_ps(1.987_569_1e-4);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.398_199_9e-3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.333_452e-3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.166_579_6e-2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.666_666_5e-1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5));
    p = _mm256_fmadd_ps(
        p,
        _mm256_mul_ps(r, r),
        _mm256_add_ps(r, _mm256_set1_ps(1.0)),
    );
    let pow2n = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)),
        23,
    );
    let e = _mm256_mul_ps(p, _mm256_castsi256_ps(pow2n));
    // Below the clamp the true value is under f32's normal range: call it 0.
    let tiny = _mm256_cmp_ps(x, _mm256_set1_ps(-87.0), _CMP_LE_OQ);
    _mm256_andnot_ps(tiny, e)
}

/// `scores[..len]` (whose largest is `max`; capacity `len + 8`) → e^(s - max) in place, and
/// 1 / their sum. 8 at a time; the tail is padded with -inf (e^-inf = 0).
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn softmax(scores: &mut Vec<f32>, len: usize, max: f32) -> f32 {
    // The padding is written through the pointer before the length covers it (the capacity is
    // at least len + 8: the caller's contract), so no slice ever spans unwritten floats.
    let padded = len.div_ceil(8) * 8;
    let sp = scores.as_mut_ptr();
    for j in len..padded {
        *sp.add(j) = f32::NEG_INFINITY;
    }
    scores.set_len(padded);
    softmax_slice(scores, len, max)
}

/// [`softmax`] on a slice of `len.div_ceil(8) * 8` scores (the tail is overwritten with -inf).
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn softmax_slice(scores: &mut [f32], len: usize, max: f32) -> f32 {
    let padded = len.div_ceil(8) * 8;
    let scores = &mut scores[..padded];
    scores[len..].fill(f32::NEG_INFINITY);
    let mv = _mm256_set1_ps(max);
    let mut sum = _mm256_setzero_ps();
    for c in scores.chunks_exact_mut(8) {
        let e = exp8(_mm256_sub_ps(_mm256_loadu_ps(c.as_ptr()), mv));
        sum = _mm256_add_ps(sum, e);
        _mm256_storeu_ps(c.as_mut_ptr(), e);
    }
    1.0 / hsum(sum)
}

/// Sixteen cached keys or values (f16, the cache's format) as floats.
#[inline(always)]
unsafe fn ld16(p: *const f16) -> __m512 {
    _mm512_cvtph_ps(_mm256_loadu_si256(p as *const __m256i))
}

/// Eight cached keys or values as floats.
#[inline(always)]
unsafe fn ld8(p: *const f16) -> __m256 {
    _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i))
}

/// Sixteen sums at once: lane t of the result is the sum of the sixteen lanes of `a[t]`.
/// A tree of 128-bit and in-lane shuffles, three operations a pair at each of four levels
/// (45 for sixteen sums), where one `_mm512_reduce_add_ps` a sum spent eight.
#[inline(always)]
unsafe fn sum16(a: &[__m512; 16]) -> __m512 {
    // Level 1: x, y → [x.q0+x.q2, x.q1+x.q3, y.q0+y.q2, y.q1+y.q3] (quarters of 4 floats).
    let mut b = [_mm512_setzero_ps(); 8];
    for i in 0..8 {
        let (x, y) = (a[2 * i], a[2 * i + 1]);
        b[i] = _mm512_add_ps(
            _mm512_shuffle_f32x4(x, y, 0b01_00_01_00),
            _mm512_shuffle_f32x4(x, y, 0b11_10_11_10),
        );
    }
    // Level 2: each quarter now holds four partial sums of one of the sixteen.
    let mut c = [_mm512_setzero_ps(); 4];
    for i in 0..4 {
        let (x, y) = (b[2 * i], b[2 * i + 1]);
        c[i] = _mm512_add_ps(
            _mm512_shuffle_f32x4(x, y, 0b10_00_10_00),
            _mm512_shuffle_f32x4(x, y, 0b11_01_11_01),
        );
    }
    // Levels 3 and 4: pairs of floats within each quarter.
    let mut d = [_mm512_setzero_ps(); 2];
    for i in 0..2 {
        let (x, y) = (c[2 * i], c[2 * i + 1]);
        d[i] = _mm512_add_ps(
            _mm512_shuffle_ps(x, y, 0b10_00_10_00),
            _mm512_shuffle_ps(x, y, 0b11_01_11_01),
        );
    }
    let e = _mm512_add_ps(
        _mm512_shuffle_ps(d[0], d[1], 0b10_00_10_00),
        _mm512_shuffle_ps(d[0], d[1], 0b11_01_11_01),
    );
    _mm512_permutexvar_ps(
        _mm512_loadu_si512(SUM16_ORDER.as_ptr() as *const __m512i),
        e,
    )
}

/// Where `sum16`'s tree leaves each of the sixteen sums (lane of the tree's result for sum t).
const SUM16_ORDER: [i32; 16] = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];

/// The scores of sixteen keys (rows `stride` halves apart from `k`) against one query head
/// (`q`, already scaled), lane t for key t.
#[inline(always)]
unsafe fn scores16<const N: usize>(q: &[__m512; N], k: *const f16, stride: usize) -> __m512 {
    let mut acc = [_mm512_setzero_ps(); 16];
    for (t, a) in acc.iter_mut().enumerate() {
        let kt = k.add(t * stride);
        for (i, qi) in q.iter().enumerate() {
            *a = _mm512_fmadd_ps(*qi, ld16(kt.add(16 * i)), *a);
        }
    }
    sum16(&acc)
}

#[cfg(test)]
#[test]
fn sum16_puts_each_sum_in_its_lane() {
    if !super::has_avx512f() {
        return;
    }
    let vals: Vec<f32> = (0..256)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 8.0)
        .collect();
    // SAFETY: AVX-512 F was checked.
    unsafe {
        let mut a = [_mm512_setzero_ps(); 16];
        for (t, v) in a.iter_mut().enumerate() {
            *v = _mm512_loadu_ps(vals.as_ptr().add(16 * t));
        }
        let mut out = [0f32; 16];
        _mm512_storeu_ps(out.as_mut_ptr(), sum16(&a));
        for (t, o) in out.iter().enumerate() {
            let want: f32 = vals[16 * t..16 * t + 16].iter().sum();
            assert!((o - want).abs() < 1e-4, "lane {t}: {o} vs {want}");
        }
    }
}

/// [`attend`] on 512-bit registers (head dimension 16·N): a 256-wide head's query and output
/// fit the 32 registers, where on AVX2 they spill.
///
/// # Safety
/// As [`attend`], and the CPU has AVX-512 F.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma,f16c,avx512f")]
pub unsafe fn attend512<const N: usize>(
    q: &[f32],
    k: *const f16,
    v: *const f16,
    stride: usize,
    len: usize,
    scale: f32,
    scores: &mut Vec<f32>,
    out: &mut [f32],
) {
    let mut qv = [_mm512_setzero_ps(); N];
    for (i, r) in qv.iter_mut().enumerate() {
        *r = _mm512_mul_ps(
            _mm512_loadu_ps(q.as_ptr().add(16 * i)),
            _mm512_set1_ps(scale),
        );
    }
    scores.clear();
    scores.reserve(len + 8);
    let sp = scores.as_mut_ptr();
    // Sixteen keys at a time, each its own chain of N FMAs, their sums in one tree.
    let mut maxv = _mm512_set1_ps(f32::NEG_INFINITY);
    let mut j = 0;
    while j + 16 <= len {
        let s16 = scores16::<N>(&qv, k.add(j * stride), stride);
        _mm512_storeu_ps(sp.add(j), s16);
        maxv = _mm512_max_ps(maxv, s16);
        j += 16;
    }
    let mut max = _mm512_reduce_max_ps(maxv);
    while j < len {
        let kj = k.add(j * stride);
        let mut a = _mm512_setzero_ps();
        for (i, qi) in qv.iter().enumerate() {
            a = _mm512_fmadd_ps(*qi, ld16(kj.add(16 * i)), a);
        }
        let s = _mm512_reduce_add_ps(a);
        max = max.max(s);
        *sp.add(j) = s;
        j += 1;
    }
    let inv = softmax(scores, len, max);
    let sp = scores.as_ptr();
    let mut acc = [_mm512_setzero_ps(); N];
    for j in 0..len {
        let w = _mm512_set1_ps(*sp.add(j));
        let vj = v.add(j * stride);
        for (i, a) in acc.iter_mut().enumerate() {
            *a = _mm512_fmadd_ps(w, ld16(vj.add(16 * i)), *a);
        }
    }
    let iv = _mm512_set1_ps(inv);
    for (i, a) in acc.iter().enumerate() {
        _mm512_storeu_ps(out.as_mut_ptr().add(16 * i), _mm512_mul_ps(*a, iv));
    }
}

/// Heads that one kv head serves at most, for [`attend512_group`]'s per-head state.
pub const GROUP_MAX: usize = 16;

/// [`attend512`] for `g` query heads that share one kv head (`q` and `out`: `g` heads of 16·N
/// floats one after another): each block of sixteen keys, then of sixteen values, is converted
/// from f16 once for all `g` heads, where a head on its own spent as long converting as
/// multiplying. Every head's floats go through the same operations in the same order as in
/// [`attend512`], so its output is bitwise that head's alone.
///
/// # Safety
/// As [`attend512`]; `q` and `out` hold `g`·16·N floats, 1 <= `g` <= [`GROUP_MAX`], N <= 8.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
pub unsafe fn attend512_group<const N: usize>(
    q: &[f32],
    g: usize,
    k: *const f16,
    v: *const f16,
    stride: usize,
    len: usize,
    scale: f32,
    scores: &mut Vec<f32>,
    out: &mut [f32],
) {
    let hd = 16 * N;
    assert!(N <= 8 && (1..=GROUP_MAX).contains(&g) && q.len() >= g * hd && out.len() >= g * hd);
    // Each head's scores, padded to whole vectors for the softmax, then its scaled query.
    let lanes = len.div_ceil(16) * 16;
    scores.clear();
    scores.resize(g * (lanes + hd), 0.0);
    let (sc, qs) = scores.split_at_mut(g * lanes);
    for (d, x) in qs.iter_mut().zip(&q[..g * hd]) {
        *d = x * scale;
    }
    // Sixteen keys (or values) as floats: the converted block every head reads.
    let mut block = [_mm512_setzero_ps(); 16 * 8];
    let mut maxv = [_mm512_set1_ps(f32::NEG_INFINITY); GROUP_MAX];
    let mut j = 0;
    while j + 16 <= len {
        for t in 0..16 {
            let kt = k.add((j + t) * stride);
            for i in 0..N {
                block[t * N + i] = ld16(kt.add(16 * i));
            }
        }
        for (h, m) in maxv.iter_mut().enumerate().take(g) {
            let mut qv = [_mm512_setzero_ps(); N];
            for (i, r) in qv.iter_mut().enumerate() {
                *r = _mm512_loadu_ps(qs.as_ptr().add(h * hd + 16 * i));
            }
            let mut acc = [_mm512_setzero_ps(); 16];
            for (t, a) in acc.iter_mut().enumerate() {
                for (i, qi) in qv.iter().enumerate() {
                    *a = _mm512_fmadd_ps(*qi, block[t * N + i], *a);
                }
            }
            let s16 = sum16(&acc);
            _mm512_storeu_ps(sc.as_mut_ptr().add(h * lanes + j), s16);
            *m = _mm512_max_ps(*m, s16);
        }
        j += 16;
    }
    let mut inv = [0f32; GROUP_MAX];
    for h in 0..g {
        let qh = qs.as_ptr().add(h * hd);
        let mut max = _mm512_reduce_max_ps(maxv[h]);
        for jj in j..len {
            let kj = k.add(jj * stride);
            let mut a = _mm512_setzero_ps();
            for i in 0..N {
                a = _mm512_fmadd_ps(_mm512_loadu_ps(qh.add(16 * i)), ld16(kj.add(16 * i)), a);
            }
            let s = _mm512_reduce_add_ps(a);
            max = max.max(s);
            sc[h * lanes + jj] = s;
        }
        inv[h] = softmax_slice(&mut sc[h * lanes..(h + 1) * lanes], len, max);
    }
    out[..g * hd].fill(0.0);
    let mut j = 0;
    while j < len {
        let n = (len - j).min(16);
        for t in 0..n {
            let vt = v.add((j + t) * stride);
            for i in 0..N {
                block[t * N + i] = ld16(vt.add(16 * i));
            }
        }
        // Several heads at a time where their sums fit the registers: as many more
        // independent chains of FMAs, each head's own order unchanged.
        let mut h = 0;
        if N <= 4 {
            while h + 4 <= g {
                value_heads::<N, 4>(&block, sc, lanes, j, n, out.as_mut_ptr().add(h * hd), h);
                h += 4;
            }
        }
        if N <= 8 {
            while h + 2 <= g {
                value_heads::<N, 2>(&block, sc, lanes, j, n, out.as_mut_ptr().add(h * hd), h);
                h += 2;
            }
        }
        while h < g {
            value_heads::<N, 1>(&block, sc, lanes, j, n, out.as_mut_ptr().add(h * hd), h);
            h += 1;
        }
        j += n;
    }
    for h in 0..g {
        let iv = _mm512_set1_ps(inv[h]);
        let o = out.as_mut_ptr().add(h * hd);
        for i in 0..N {
            _mm512_storeu_ps(
                o.add(16 * i),
                _mm512_mul_ps(_mm512_loadu_ps(o.add(16 * i)), iv),
            );
        }
    }
}

/// Adds `n` converted values of `block` (key positions `j`..) weighted by their scores into
/// the outputs of heads `h..h + P` (`out`, heads of 16·N floats one after another).
#[inline(always)]
unsafe fn value_heads<const N: usize, const P: usize>(
    block: &[__m512; 128],
    sc: &[f32],
    lanes: usize,
    j: usize,
    n: usize,
    out: *mut f32,
    h: usize,
) {
    let hd = 16 * N;
    let mut acc = [[_mm512_setzero_ps(); N]; P];
    for (p, a) in acc.iter_mut().enumerate() {
        for (i, x) in a.iter_mut().enumerate() {
            *x = _mm512_loadu_ps(out.add(p * hd + 16 * i));
        }
    }
    for t in 0..n {
        for (p, a) in acc.iter_mut().enumerate() {
            let w = _mm512_set1_ps(*sc.get_unchecked((h + p) * lanes + j + t));
            for (i, x) in a.iter_mut().enumerate() {
                *x = _mm512_fmadd_ps(w, block[t * N + i], *x);
            }
        }
    }
    for (p, a) in acc.iter().enumerate() {
        for (i, x) in a.iter().enumerate() {
            _mm512_storeu_ps(out.add(p * hd + 16 * i), *x);
        }
    }
}

/// One query head against `len` cached positions (keys and values `stride` halves apart):
/// out = softmax(q·kⱼ · scale) · vⱼ, with the query and the output held in `N` registers
/// (head dimension 8·N) for the whole pass.
///
/// # Safety
/// The CPU has AVX2, FMA and F16C; `k` and `v` point at `len` rows of at least 8·N halves
/// each, `stride` halves apart; `q` and `out` hold 8·N floats.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn attend<const N: usize>(
    q: &[f32],
    k: *const f16,
    v: *const f16,
    stride: usize,
    len: usize,
    scale: f32,
    scores: &mut Vec<f32>,
    out: &mut [f32],
) {
    let mut qv = [_mm256_setzero_ps(); N];
    for (i, r) in qv.iter_mut().enumerate() {
        *r = _mm256_mul_ps(
            _mm256_loadu_ps(q.as_ptr().add(8 * i)),
            _mm256_set1_ps(scale),
        );
    }
    scores.clear();
    scores.reserve(len + 8);
    let sp = scores.as_mut_ptr();
    let mut max = f32::NEG_INFINITY;
    // Four keys at a time, each in two chains: one chain of N dependent FMAs per key waited
    // on the FMA's latency, at a quarter of its throughput.
    let mut j = 0;
    while j + 4 <= len {
        let kj = k.add(j * stride);
        let (mut even, mut odd) = ([_mm256_setzero_ps(); 4], [_mm256_setzero_ps(); 4]);
        // Even and odd vectors of the head in fixed registers (N is even).
        let mut i = 0;
        while i < N {
            for t in 0..4 {
                let kt = kj.add(t * stride + 8 * i);
                even[t] = _mm256_fmadd_ps(qv[i], ld8(kt), even[t]);
                odd[t] = _mm256_fmadd_ps(qv[i + 1], ld8(kt.add(8)), odd[t]);
            }
            i += 2;
        }
        let acc = [
            [even[0], odd[0]],
            [even[1], odd[1]],
            [even[2], odd[2]],
            [even[3], odd[3]],
        ];
        for (t, a) in acc.iter().enumerate() {
            let s = hsum(_mm256_add_ps(a[0], a[1]));
            max = max.max(s);
            *sp.add(j + t) = s;
        }
        j += 4;
    }
    while j < len {
        let kj = k.add(j * stride);
        let (mut even, mut odd) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut i = 0;
        while i < N {
            even = _mm256_fmadd_ps(qv[i], ld8(kj.add(8 * i)), even);
            odd = _mm256_fmadd_ps(qv[i + 1], ld8(kj.add(8 * i + 8)), odd);
            i += 2;
        }
        let s = hsum(_mm256_add_ps(even, odd));
        max = max.max(s);
        *sp.add(j) = s;
        j += 1;
    }
    let inv = softmax(scores, len, max);
    let sp = scores.as_ptr();
    let mut acc = [_mm256_setzero_ps(); N];
    for j in 0..len {
        let w = _mm256_set1_ps(*sp.add(j));
        let vj = v.add(j * stride);
        for (i, a) in acc.iter_mut().enumerate() {
            *a = _mm256_fmadd_ps(w, ld8(vj.add(8 * i)), *a);
        }
    }
    let iv = _mm256_set1_ps(inv);
    for (i, a) in acc.iter().enumerate() {
        _mm256_storeu_ps(out.as_mut_ptr().add(8 * i), _mm256_mul_ps(*a, iv));
    }
}

/// How 32 unsigned × 32 signed bytes become 8 float sums: `maddubs` + `madd` on AVX2, one
/// `vpdpbusd` where AVX-512 VNNI is available (and no 16-bit intermediate to saturate).
pub(crate) trait MulSum {
    unsafe fn mul_sum(ux: __m256i, sy: __m256i) -> __m256;
    /// Q5_0's fifth bits (32 of them at `qh`) added to its nibbles as 16s.
    unsafe fn fifth_bits(nibbles: __m256i, qh: *const u8) -> __m256i;
}

pub(crate) struct Avx2;
struct Vnni;

impl MulSum for Avx2 {
    #[inline(always)]
    unsafe fn mul_sum(ux: __m256i, sy: __m256i) -> __m256 {
        mul_sum_us8(ux, sy)
    }
    #[inline(always)]
    unsafe fn fifth_bits(nibbles: __m256i, qh: *const u8) -> __m256i {
        _mm256_or_si256(
            nibbles,
            _mm256_and_si256(bits32(qh), _mm256_set1_epi8(0x10)),
        )
    }
}

impl MulSum for Vnni {
    #[inline(always)]
    unsafe fn mul_sum(ux: __m256i, sy: __m256i) -> __m256 {
        _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ux, sy))
    }
    #[inline(always)]
    unsafe fn fifth_bits(nibbles: __m256i, qh: *const u8) -> __m256i {
        // The 32 bits are an AVX-512 mask as they stand: one masked add.
        let k = std::ptr::read_unaligned(qh as *const u32);
        _mm256_mask_add_epi8(nibbles, k, nibbles, _mm256_set1_epi8(0x10))
    }
}

/// How far ahead of the work the prefetches run, in groups of rows (a group is the rows one
/// call works on; rows are contiguous, so that is simply further on), spread evenly over the
/// blocks so that requests trickle out instead of arriving in bursts that overflow the miss
/// queue. Measured on qwen2.5's decode: 33 tok/s with no software prefetch or with prefetches
/// issued a tile at a time, 58-70 with these.
const LEAD: usize = 2;

#[inline(always)]
unsafe fn prefetch_ahead(ahead: *const u8, chunk: usize, lines: usize, b: usize) {
    let at = ahead.wrapping_add(b * chunk);
    for l in 0..lines {
        // A prefetch is a hint: it never faults, even past the end of the matrix.
        _mm_prefetch(at.wrapping_add(64 * l) as *const i8, _MM_HINT_T0);
    }
}

/// [`prefetch_ahead`] into L2, for the K-quants: `LEAD` groups of a 1.5B model's 8,960-wide
/// rows (40 KB) are more than L1 holds, and on a Zen 4 those rows streamed a fifth faster
/// this way (`kernel_speed`, 1536 x 8960, 2 threads: Q4_K 361-381 → 271-311 µs, Q6_K
/// 460-538 → 363-388 µs), where the 32-element formats' short rows lost 5%.
#[inline(always)]
unsafe fn prefetch_ahead_l2(ahead: *const u8, chunk: usize, lines: usize, b: usize) {
    let at = ahead.wrapping_add(b * chunk);
    for l in 0..lines {
        _mm_prefetch(at.wrapping_add(64 * l) as *const i8, _MM_HINT_T1);
    }
}

/// A column tile's products (`v[k][c]`: weight row k, input c of sixteen) into the input-major
/// `out`, where input c's four products are adjacent (`out.add(c * rows)` onwards): a 4 × 8
/// transpose per half in registers and one 16-byte store per input, where building each
/// input's four from the tile one float at a time was most of the stores' cost.
///
/// # Safety
/// The CPU has AVX2; `out.add(c * rows)` is valid for four floats for every c in 0..16.
#[target_feature(enable = "avx2")]
pub unsafe fn store_cols(out: *mut f32, rows: usize, v: &[[f32; 16]; 4]) {
    for h in 0..2 {
        let at = |k: usize| v[k].as_ptr().add(8 * h);
        let (a, b) = (_mm256_loadu_ps(at(0)), _mm256_loadu_ps(at(1)));
        let (c, d) = (_mm256_loadu_ps(at(2)), _mm256_loadu_ps(at(3)));
        // Per 128-bit lane: (a0 b0 a1 b1), (a2 b2 a3 b3), (c0 d0 c1 d1), (c2 d2 c3 d3).
        let (ab0, ab1) = (_mm256_unpacklo_ps(a, b), _mm256_unpackhi_ps(a, b));
        let (cd0, cd1) = (_mm256_unpacklo_ps(c, d), _mm256_unpackhi_ps(c, d));
        // Input j of each lane's four: (a_j b_j c_j d_j).
        let inputs = [
            _mm256_shuffle_ps::<0b01_00_01_00>(ab0, cd0),
            _mm256_shuffle_ps::<0b11_10_11_10>(ab0, cd0),
            _mm256_shuffle_ps::<0b01_00_01_00>(ab1, cd1),
            _mm256_shuffle_ps::<0b11_10_11_10>(ab1, cd1),
        ];
        for (j, x) in inputs.iter().enumerate() {
            let c = 8 * h + j;
            _mm_storeu_ps(out.add(c * rows), _mm256_castps256_ps128(*x));
            _mm_storeu_ps(out.add((c + 4) * rows), _mm256_extractf128_ps::<1>(*x));
        }
    }
}

/// A 32-element block format: where its quants are, and how they unpack to bytes that
/// `MulSum` multiplies (unsigned, or signed with `SIGNED`), with the block's scale `d` and a
/// correction `c` such that the block's dot product is d·Σ(q·y)·dy + c·Σy·dy.
pub(crate) trait Block32 {
    const BYTES: usize;
    const SIGNED: bool;
    unsafe fn unpack<M: MulSum>(blk: *const u8) -> (__m256i, f32, f32);
    /// `c` of eight blocks from their `d` and the f16 values after it (Q4_1's minimum).
    unsafe fn corr8(d: __m256, next: __m256) -> __m256;
    /// Whether `corr8` reads `next`.
    const NEXT: bool = false;
}

/// Byte offsets of eight consecutive `B` blocks.
#[inline(always)]
unsafe fn block_offsets<B: Block32>() -> __m256i {
    let b = B::BYTES as i32;
    _mm256_setr_epi32(0, b, 2 * b, 3 * b, 4 * b, 5 * b, 6 * b, 7 * b)
}

/// Lanes `..n` of eight set (all ones), the rest clear.
#[inline(always)]
unsafe fn first_lanes(n: usize) -> __m256i {
    _mm256_cmpgt_epi32(
        _mm256_set1_epi32(n as i32),
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
    )
}

/// `d` and `c` (see [`Block32`]) of the blocks in `mask`'s lanes (the first n of eight) from
/// `blk` as float lanes, the rest 0, converted eight at a time: converting each block's scales
/// on its own cost as much as its dot product (`kernel_speed q4_1`, one thread, in cache:
/// 12.9 GB/s, 22 with the scales left out). Eight whole blocks are read as sixteen-bit loads
/// into one register; a shorter last group by a masked gather of the blocks' first four
/// bytes, which never reads past them (a gather for every group lost a quarter on Q8_0).
#[inline(always)]
unsafe fn scales8<B: Block32>(blk: *const u8, mask: __m256i) -> (__m256, __m256) {
    if _mm256_movemask_ps(_mm256_castsi256_ps(mask)) == 0xFF {
        let h = |j: usize, at: usize| {
            std::ptr::read_unaligned(blk.add(B::BYTES * j + at) as *const i16)
        };
        let d = _mm256_cvtph_ps(_mm_setr_epi16(
            h(0, 0),
            h(1, 0),
            h(2, 0),
            h(3, 0),
            h(4, 0),
            h(5, 0),
            h(6, 0),
            h(7, 0),
        ));
        let next = if B::NEXT {
            _mm256_cvtph_ps(_mm_setr_epi16(
                h(0, 2),
                h(1, 2),
                h(2, 2),
                h(3, 2),
                h(4, 2),
                h(5, 2),
                h(6, 2),
                h(7, 2),
            ))
        } else {
            _mm256_setzero_ps()
        };
        return (d, B::corr8(d, next));
    }
    let words = _mm256_mask_i32gather_epi32::<1>(
        _mm256_setzero_si256(),
        blk as *const i32,
        block_offsets::<B>(),
        mask,
    );
    // Per 128-bit half: the four low f16 halves, then the four high ones; then the halves'
    // low quadwords together (d of all eight) and their high ones (what follows d).
    let split = _mm256_shuffle_epi8(
        words,
        _mm256_setr_epi8(
            0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15, 0, 1, 4, 5, 8, 9, 12, 13, 2, 3,
            6, 7, 10, 11, 14, 15,
        ),
    );
    let split = _mm256_permute4x64_epi64::<0b11_01_10_00>(split);
    let d = _mm256_cvtph_ps(_mm256_castsi256_si128(split));
    let next = _mm256_cvtph_ps(_mm256_extracti128_si256::<1>(split));
    (d, B::corr8(d, next))
}

pub(crate) struct BQ8_0;
pub(crate) struct BQ4_1;
pub(crate) struct BQ5_0;

impl Block32 for BQ8_0 {
    const BYTES: usize = Q8_0_BYTES;
    const SIGNED: bool = true;
    #[inline(always)]
    unsafe fn unpack<M: MulSum>(blk: *const u8) -> (__m256i, f32, f32) {
        (load(blk.add(2) as *const i8), f16_at(blk), 0.0)
    }
    #[inline(always)]
    unsafe fn corr8(_d: __m256, _next: __m256) -> __m256 {
        _mm256_setzero_ps()
    }
}

impl Block32 for BQ4_1 {
    const BYTES: usize = Q4_1_BYTES;
    const SIGNED: bool = false;
    const NEXT: bool = true;
    #[inline(always)]
    unsafe fn unpack<M: MulSum>(blk: *const u8) -> (__m256i, f32, f32) {
        // x = d·q + m: the minimum contributes m·Σy.
        (nibbles32(blk.add(4)), f16_at(blk), f16_at(blk.add(2)))
    }
    #[inline(always)]
    unsafe fn corr8(_d: __m256, m: __m256) -> __m256 {
        m
    }
}

impl Block32 for BQ5_0 {
    const BYTES: usize = Q5_0_BYTES;
    const SIGNED: bool = false;
    #[inline(always)]
    unsafe fn unpack<M: MulSum>(blk: *const u8) -> (__m256i, f32, f32) {
        // Stored as 0..31 with an offset of 16: x = d·q - 16d.
        let d = f16_at(blk);
        (
            M::fifth_bits(nibbles32(blk.add(6)), blk.add(2)),
            d,
            -16.0 * d,
        )
    }
    #[inline(always)]
    unsafe fn corr8(d: __m256, _next: __m256) -> __m256 {
        _mm256_mul_ps(_mm256_set1_ps(-16.0), d)
    }
}

/// `R` weight rows (`stride` bytes apart) against `C` activation rows (`row..row + C`): each
/// weight block is unpacked once for all `C` rows and each activation block loaded once for all
/// `R`, and the R·C accumulators are independent, so no one chain of multiply-adds holds the
/// loop up. (R, C) = (4, 1) is a decode step; (2, 4) a batch of them. The scales of eight
/// blocks at a time are converted together ([`scales8`]) and block j of the eight takes its
/// `d · dy` as a broadcast load from lane j of their store (a load port's work, where a lane
/// shuffle took a shuffle unit's: SmolLM2's batch of 4 decoded 337-357 → 393-399 tok/s); its
/// correction `c · Σy · dy` starts lane j's sum for the eight (one accumulator a pair, so
/// that a 2 × 4 tile fits AVX2's sixteen registers).
#[inline(always)]
unsafe fn tile<B: Block32, M: MulSum, const R: usize, const C: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act32,
    row: usize,
) -> [[f32; C]; R] {
    let mut yp = [std::ptr::null::<i8>(); C];
    let mut yd = [std::ptr::null::<f32>(); C];
    let mut ys = [std::ptr::null::<i32>(); C];
    for i in 0..C {
        let base = (row + i) * a.blocks;
        yp[i] = a.qs.as_ptr().add(32 * base);
        yd[i] = a.d.as_ptr().add(base);
        ys[i] = a.sum.as_ptr().add(base);
    }
    let mut acc = [[_mm256_setzero_ps(); C]; R];
    let (ahead, chunk, lines) = lookahead_rows(w, R * stride, nb);
    for g in (0..nb).step_by(8) {
        let n = (nb - g).min(8);
        let mask = first_lanes(n);
        let mut dy = [_mm256_setzero_ps(); C];
        let mut sy = [_mm256_setzero_ps(); C];
        for i in 0..C {
            dy[i] = _mm256_maskload_ps(yd[i].add(g), mask);
            let sums = _mm256_cvtepi32_ps(_mm256_maskload_epi32(ys[i].add(g), mask));
            sy[i] = _mm256_mul_ps(dy[i], sums);
        }
        let mut dd = [[[0f32; 8]; C]; R];
        for k in 0..R {
            let (d, c) = scales8::<B>(w.add(k * stride + B::BYTES * g), mask);
            for i in 0..C {
                _mm256_storeu_ps(dd[k][i].as_mut_ptr(), _mm256_mul_ps(d, dy[i]));
                acc[k][i] = _mm256_fmadd_ps(c, sy[i], acc[k][i]);
            }
        }
        for j in 0..n {
            let b = g + j;
            prefetch_ahead(ahead, chunk, lines, b);
            let mut y = [_mm256_setzero_si256(); C];
            for i in 0..C {
                y[i] = load(yp[i].add(32 * b));
            }
            for k in 0..R {
                let (x, _, _) = B::unpack::<M>(w.add(k * stride + B::BYTES * b));
                let ux = if B::SIGNED { _mm256_sign_epi8(x, x) } else { x };
                for i in 0..C {
                    let sy8 = if B::SIGNED {
                        _mm256_sign_epi8(y[i], x)
                    } else {
                        y[i]
                    };
                    let q = M::mul_sum(ux, sy8);
                    let scale = _mm256_set1_ps(dd[k][i][j]);
                    acc[k][i] = _mm256_fmadd_ps(scale, q, acc[k][i]);
                }
            }
        }
    }
    let mut out = [[0f32; C]; R];
    for k in 0..R {
        for i in 0..C {
            out[k][i] = hsum(acc[k][i]);
        }
    }
    out
}

/// Where to prefetch from while a group of rows (`group` bytes) computes: `LEAD` groups
/// ahead, spread over the blocks.
#[inline(always)]
fn lookahead_rows(w: *const u8, group: usize, nb: usize) -> (*const u8, usize, usize) {
    // Block b's lines start at ahead + b·chunk, 64 bytes apart: the next block's start at
    // most `chunk` on, so every line of the run is fetched with no extra line a block.
    let chunk = group / nb.max(1);
    (w.wrapping_add(LEAD * group), chunk, chunk.div_ceil(64))
}

macro_rules! tiles {
    ($($name:ident, $vnni:ident => $block:ty, $r:literal x $c:literal;)*) => {$(
        /// A tile of weight rows × activation rows (see `tile`).
        ///
        /// # Safety
        /// The CPU has AVX2, FMA and F16C; `w` starts whole rows of this type's blocks laid
        /// `stride` bytes apart, as many as the tile has; `a` has the tile's rows from `row`,
        /// quantized with `nb` blocks per row.
        #[target_feature(enable = "avx2,fma,f16c")]
        pub unsafe fn $name(w: *const u8, stride: usize, nb: usize, a: &Act32, row: usize) -> [[f32; $c]; $r] {
            tile::<$block, Avx2, $r, $c>(w, stride, nb, a, row)
        }

        /// As the AVX2 version, with AVX-512 VNNI's byte dot product and BW's byte masks.
        ///
        /// # Safety
        /// As the AVX2 version, and the CPU has AVX-512 VNNI, VL and BW.
        #[target_feature(enable = "avx2,fma,f16c,avx512vnni,avx512vl,avx512bw")]
        pub unsafe fn $vnni(w: *const u8, stride: usize, nb: usize, a: &Act32, row: usize) -> [[f32; $c]; $r] {
            tile::<$block, Vnni, $r, $c>(w, stride, nb, a, row)
        }
    )*};
}

tiles! {
    dot1_q8_0, dot1_q8_0_vnni => BQ8_0, 1 x 1;
    dot1_q4_1, dot1_q4_1_vnni => BQ4_1, 1 x 1;
    dot1_q5_0, dot1_q5_0_vnni => BQ5_0, 1 x 1;
    dot4_q8_0, dot4_q8_0_vnni => BQ8_0, 4 x 1;
    dot4_q4_1, dot4_q4_1_vnni => BQ4_1, 4 x 1;
    dot4_q5_0, dot4_q5_0_vnni => BQ5_0, 4 x 1;
    dot2x4_q8_0, dot2x4_q8_0_vnni => BQ8_0, 2 x 4;
    dot2x4_q4_1, dot2x4_q4_1_vnni => BQ4_1, 2 x 4;
    dot2x4_q5_0, dot2x4_q5_0_vnni => BQ5_0, 2 x 4;
}

/// [`exp8`] on sixteen lanes: e^x, relative error about 2e-7, and 0 for x at or below -87
/// (so e^-inf = 0, which the masked scores of [`attend_tile512`] rely on).
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f")]
fn exp16(x: __m512) -> __m512 {
    let tiny = _mm512_cmp_ps_mask::<_CMP_LE_OQ>(x, _mm512_set1_ps(-87.0));
    let x = _mm512_max_ps(x, _mm512_set1_ps(-87.0));
    let x = _mm512_min_ps(x, _mm512_set1_ps(88.0));
    let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
        _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)),
    );
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693_359_4), x);
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.121_944_4e-4), r);
    let mut p = _mm512_set1_ps(1.987_569_1e-4);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.398_199_9e-3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.333_452e-3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.166_579_6e-2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.666_666_5e-1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5));
    p = _mm512_fmadd_ps(
        p,
        _mm512_mul_ps(r, r),
        _mm512_add_ps(r, _mm512_set1_ps(1.0)),
    );
    let pow2n = _mm512_slli_epi32::<23>(_mm512_add_epi32(
        _mm512_cvtps_epi32(n),
        _mm512_set1_epi32(127),
    ));
    _mm512_maskz_mov_ps(!tiny, _mm512_mul_ps(p, _mm512_castsi512_ps(pow2n)))
}

/// The vector operations the attention tiles need, at one register width: `L` f32 lanes.
trait Lanes: Copy {
    /// Scores against `first[m] <= j < end[m]`, one lane a query: which lanes see key j.
    type Seen: Copy;
    unsafe fn splat(x: f32) -> Self;
    unsafe fn load(p: *const f32) -> Self;
    unsafe fn store(self, p: *mut f32);
    /// `L` cached halves as floats.
    unsafe fn halves(p: *const f16) -> Self;
    unsafe fn mul_add(self, b: Self, c: Self) -> Self;
    unsafe fn mul(self, b: Self) -> Self;
    unsafe fn add(self, b: Self) -> Self;
    unsafe fn sub(self, b: Self) -> Self;
    unsafe fn max(self, b: Self) -> Self;
    /// e^x, 0 at -inf.
    unsafe fn exp(self) -> Self;
    /// The lanes whose span holds key `j` (`first`, `end`: `L` values each).
    unsafe fn seen(j: i32, first: *const i32, end: *const i32) -> Self::Seen;
    /// These values where `seen`, -inf elsewhere.
    unsafe fn only(self, seen: Self::Seen) -> Self;
}

#[derive(Clone, Copy)]
struct W512(__m512);
#[derive(Clone, Copy)]
struct W256(__m256);

impl Lanes for W512 {
    type Seen = __mmask16;
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        Self(_mm512_set1_ps(x))
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        Self(_mm512_loadu_ps(p))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        _mm512_storeu_ps(p, self.0)
    }
    #[inline(always)]
    unsafe fn halves(p: *const f16) -> Self {
        Self(ld16(p))
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        Self(_mm512_fmadd_ps(self.0, b.0, c.0))
    }
    #[inline(always)]
    unsafe fn mul(self, b: Self) -> Self {
        Self(_mm512_mul_ps(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        Self(_mm512_add_ps(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        Self(_mm512_sub_ps(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        Self(_mm512_max_ps(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn exp(self) -> Self {
        Self(exp16(self.0))
    }
    #[inline(always)]
    unsafe fn seen(j: i32, first: *const i32, end: *const i32) -> __mmask16 {
        let j = _mm512_set1_epi32(j);
        let (f, e) = (
            _mm512_loadu_si512(first as *const _),
            _mm512_loadu_si512(end as *const _),
        );
        _mm512_cmpge_epi32_mask(j, f) & _mm512_cmplt_epi32_mask(j, e)
    }
    #[inline(always)]
    unsafe fn only(self, seen: __mmask16) -> Self {
        Self(_mm512_mask_mov_ps(
            _mm512_set1_ps(f32::NEG_INFINITY),
            seen,
            self.0,
        ))
    }
}

impl Lanes for W256 {
    type Seen = __m256;
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        Self(_mm256_set1_ps(x))
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        Self(_mm256_loadu_ps(p))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        _mm256_storeu_ps(p, self.0)
    }
    #[inline(always)]
    unsafe fn halves(p: *const f16) -> Self {
        Self(ld8(p))
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        Self(_mm256_fmadd_ps(self.0, b.0, c.0))
    }
    #[inline(always)]
    unsafe fn mul(self, b: Self) -> Self {
        Self(_mm256_mul_ps(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        Self(_mm256_add_ps(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        Self(_mm256_sub_ps(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        Self(_mm256_max_ps(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn exp(self) -> Self {
        Self(exp8(self.0))
    }
    #[inline(always)]
    unsafe fn seen(j: i32, first: *const i32, end: *const i32) -> __m256 {
        let j = _mm256_set1_epi32(j);
        let (f, e) = (
            _mm256_loadu_si256(first as *const __m256i),
            _mm256_loadu_si256(end as *const __m256i),
        );
        // first <= j < end: not (first > j), and end > j.
        _mm256_castsi256_ps(_mm256_andnot_si256(
            _mm256_cmpgt_epi32(f, j),
            _mm256_cmpgt_epi32(e, j),
        ))
    }
    #[inline(always)]
    unsafe fn only(self, seen: __m256) -> Self {
        Self(_mm256_blendv_ps(
            _mm256_set1_ps(f32::NEG_INFINITY),
            self.0,
            seen,
        ))
    }
}

/// Prompt attention in tiles, flash-attention style: many query heads that share one kv head
/// (query m sees cached positions `first[m]..end[m]`), `L` queries to a register (one lane
/// each) against `L` keys at a time, with a running max and sum per lane. Every product is a
/// broadcast FMA: no horizontal sums, and each block of keys and values is converted from
/// f16 once for all the queries, where one query at a time converted it and summed each
/// score across its lanes. A head is `N` registers wide; the output is updated `OD`
/// dimensions at a time beside the `L` weights in registers.
///
/// # Safety
/// The CPU has what `V` needs; `q[m]` holds L·N floats and `out[m]` room for them; `k` and
/// `v` point at rows of at least L·N halves `stride` apart, valid for every position below
/// the largest `end`; `first[m] <= end[m] < 2³¹`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn attend_tiles<V: Lanes, const L: usize, const N: usize, const OD: usize>(
    q: &[*const f32],
    first: &[usize],
    end: &[usize],
    k: *const f16,
    v: *const f16,
    stride: usize,
    scale: f32,
    scratch: &mut Vec<f32>,
    out: &[*mut f32],
) {
    let hd = L * N;
    let count = q.len();
    let chunks = count.div_ceil(L);
    // Per chunk: the queries transposed (dimension-major, lane = query, pre-scaled) and the
    // output likewise; then one block of keys and one of values as floats.
    let per = hd * L;
    scratch.clear();
    scratch.resize(2 * chunks * per + 2 * per, 0.0);
    let (qt, rest) = scratch.split_at_mut(chunks * per);
    let (ot, rest) = rest.split_at_mut(chunks * per);
    let (kf, vf) = rest.split_at_mut(per);
    for (m, qm) in q.iter().enumerate() {
        let base = (m / L) * per + m % L;
        for d in 0..hd {
            qt[base + d * L] = *qm.add(d) * scale;
        }
    }
    // Each chunk's spans, `L` lanes a chunk; padding lanes see nothing (their end is 0).
    let lanes = |xs: &[usize]| {
        let mut a = vec![0i32; chunks * L];
        for (m, x) in xs.iter().enumerate() {
            a[m] = *x as i32;
        }
        a
    };
    let (firsts, ends) = (lanes(first), lanes(end));
    let mut maxes = vec![V::splat(-1e30); chunks];
    let mut sums = vec![V::splat(0.0); chunks];
    let lo = first.iter().copied().min().unwrap_or(0);
    let hi = end.iter().copied().max().unwrap_or(0);
    let (kfp, vfp) = (kf.as_mut_ptr(), vf.as_mut_ptr());
    let mut j0 = lo;
    while j0 < hi {
        let nk = (hi - j0).min(L);
        for t in 0..L {
            for i in 0..N {
                let (kx, vx) = if t < nk {
                    let at = (j0 + t) * stride + L * i;
                    (V::halves(k.add(at)), V::halves(v.add(at)))
                } else {
                    (V::splat(0.0), V::splat(0.0))
                };
                kx.store(kfp.add(t * hd + L * i));
                vx.store(vfp.add(t * hd + L * i));
            }
        }
        for c in 0..chunks {
            let (fc, ec) = (&firsts[c * L..][..L], &ends[c * L..][..L]);
            // Nothing in this block is visible to any query of the chunk.
            if ec.iter().all(|&e| e as usize <= j0) || fc.iter().all(|&f| f as usize >= j0 + nk) {
                continue;
            }
            let qc = qt.as_ptr().add(c * per);
            let mut s = [V::splat(0.0); L];
            for d in 0..hd {
                let qd = V::load(qc.add(d * L));
                for (t, st) in s.iter_mut().enumerate() {
                    *st = V::splat(*kfp.add(t * hd + d)).mul_add(qd, *st);
                }
            }
            let mut top = maxes[c];
            for (t, st) in s.iter_mut().enumerate() {
                let seen = V::seen((j0 + t) as i32, fc.as_ptr(), ec.as_ptr());
                *st = st.only(seen);
                top = top.max(*st);
            }
            let alpha = maxes[c].sub(top).exp();
            maxes[c] = top;
            let mut total = V::splat(0.0);
            for st in s.iter_mut() {
                *st = st.sub(top).exp();
                total = total.add(*st);
            }
            sums[c] = sums[c].mul_add(alpha, total);
            // out = out·alpha + Σₜ pₜ·vₜ.
            let oc = ot.as_mut_ptr().add(c * per);
            let mut d0 = 0;
            while d0 < hd {
                let mut o = [V::splat(0.0); OD];
                for (i, oi) in o.iter_mut().enumerate() {
                    *oi = V::load(oc.add((d0 + i) * L)).mul(alpha);
                }
                for (t, pt) in s.iter().enumerate() {
                    let vt = vfp.add(t * hd + d0);
                    for (i, oi) in o.iter_mut().enumerate() {
                        *oi = V::splat(*vt.add(i)).mul_add(*pt, *oi);
                    }
                }
                for (i, oi) in o.iter().enumerate() {
                    oi.store(oc.add((d0 + i) * L));
                }
                d0 += OD;
            }
        }
        j0 += nk;
    }
    let mut inv = [0f32; L];
    for c in 0..chunks {
        sums[c].store(inv.as_mut_ptr());
        let oc = ot.as_ptr().add(c * per);
        for l in 0..(count - L * c).min(L) {
            let (o, iv) = (out[L * c + l], 1.0 / inv[l]);
            for d in 0..hd {
                *o.add(d) = *oc.add(d * L + l) * iv;
            }
        }
    }
}

/// [`attend_tiles`] on AVX-512: sixteen queries to a register against sixteen keys at a
/// time, heads of 16·N.
///
/// # Safety
/// The CPU has AVX-512 F (and AVX2, FMA, F16C); otherwise as [`attend_tiles`] with L = 16.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma,f16c,avx512f")]
pub unsafe fn attend_tile512<const N: usize>(
    q: &[*const f32],
    first: &[usize],
    end: &[usize],
    k: *const f16,
    v: *const f16,
    stride: usize,
    scale: f32,
    scratch: &mut Vec<f32>,
    out: &[*mut f32],
) {
    attend_tiles::<W512, 16, N, 8>(q, first, end, k, v, stride, scale, scratch, out)
}

/// [`attend_tiles`] on AVX2: eight queries to a register against eight keys at a time, heads
/// of 8·N, for CPUs without AVX-512.
///
/// # Safety
/// The CPU has AVX2, FMA and F16C; otherwise as [`attend_tiles`] with L = 8.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn attend_tile256<const N: usize>(
    q: &[*const f32],
    first: &[usize],
    end: &[usize],
    k: *const f16,
    v: *const f16,
    stride: usize,
    scale: f32,
    scratch: &mut Vec<f32>,
    out: &[*mut f32],
) {
    attend_tiles::<W256, 8, N, 4>(q, first, end, k, v, stride, scale, scratch, out)
}
