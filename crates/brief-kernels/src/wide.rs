//! Prompt tiles on AVX-512 (VNNI, BW): several weight rows × several activation rows per inner
//! loop, on 512-bit registers, straight on the file's blocks. A prompt is compute-bound, so
//! what matters is arithmetic per instruction: each weight block is unpacked once for `C`
//! activation rows, each activation block loaded once for `R` weight rows, and the `R·C`
//! accumulators are independent chains. Only prompts use these: a decode batch keeps the
//! narrower kernels of `x86`, whose sums per row are exactly those of a step on its own.
//!
//! 32-element blocks go two to a register (their scales blended per half); every format is
//! made unsigned (Q8_0 by +128, Q5_0 and Q4_1 as stored) for `vpdpbusd`, the offsets folded
//! into one correction per block against the activation block's integer sum. K-quant
//! super-blocks go 64 elements to a register: bytes × bytes into 16-bit pairs (`vpmaddubsw`,
//! which cannot saturate at these magnitudes: at most 63·127·2), then × the sub-block scales
//! into 32-bit sums (`vpdpwssd`).

// Tile loops index parallel arrays (rows, accumulators) by position.
#![allow(clippy::needless_range_loop)]

use std::arch::x86_64::*;

use super::act::{Act256, Act256T, Act32, Act32T, GROUP};
use super::blocks::{q4k_scales_mins, Q4_1_BYTES, Q4_K_BYTES, Q5_0_BYTES, Q6_K_BYTES, Q8_0_BYTES};

#[inline(always)]
unsafe fn f16_at(p: *const u8) -> f32 {
    let bits = std::ptr::read_unaligned(p as *const u16);
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32)))
}

/// 16 floats: `a` in the low eight lanes, `b` in the high eight.
#[inline(always)]
unsafe fn halves(a: f32, b: f32) -> __m512 {
    _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(a), _mm512_set1_ps(b))
}

#[inline(always)]
unsafe fn join(lo: __m256i, hi: __m256i) -> __m512i {
    _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1)
}

/// A 32-element block format as unsigned bytes `u` with scale `d` and offset `c`: the block's
/// values are d·u + c.
trait Wide32 {
    const BYTES: usize;
    unsafe fn unpack(blk: *const u8) -> (__m256i, f32, f32);
    /// As `unpack`, with bytes that read the same as signed (the column tiles broadcast the
    /// weights as `vpdpbusd`'s signed operand): all but Q8_0 are already.
    #[inline(always)]
    unsafe fn unpack_signed(blk: *const u8) -> (__m256i, f32, f32) {
        Self::unpack(blk)
    }
    /// Whether the offset `c` is ever nonzero.
    const OFFSET: bool = true;
    /// Whether `unpack_signed`'s bytes can be negative (Q8_0): the column tiles then make
    /// the activations unsigned instead and take 128·Σw back off.
    const SIGNED: bool = false;
    /// Blocks `blk` and the next as one register, with both scales and offsets.
    #[inline(always)]
    unsafe fn unpack2(blk: *const u8) -> (__m512i, [f32; 2], [f32; 2]) {
        let (u0, d0, c0) = Self::unpack(blk);
        let (u1, d1, c1) = Self::unpack(blk.add(Self::BYTES));
        (join(u0, u1), [d0, d1], [c0, c1])
    }
}

/// Two blocks' 16 bytes of nibbles → 64 bytes: per block, low nibbles then high ones.
#[inline(always)]
unsafe fn nibbles64(p0: *const u8, p1: *const u8) -> __m512i {
    let t = join(
        _mm256_broadcastsi128_si256(_mm_loadu_si128(p0 as *const __m128i)),
        _mm256_broadcastsi128_si256(_mm_loadu_si128(p1 as *const __m128i)),
    );
    let shift = _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0);
    _mm512_and_si512(_mm512_srlv_epi64(t, shift), _mm512_set1_epi8(0x0F))
}

struct W8_0;
struct W4_1;
struct W5_0;

#[inline(always)]
unsafe fn nibbles32(p: *const u8) -> __m256i {
    let t = _mm_loadu_si128(p as *const __m128i);
    let both = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
    _mm256_and_si256(both, _mm256_set1_epi8(0x0F))
}

impl Wide32 for W8_0 {
    const BYTES: usize = Q8_0_BYTES;
    const OFFSET: bool = false;
    const SIGNED: bool = true;
    #[inline(always)]
    unsafe fn unpack_signed(blk: *const u8) -> (__m256i, f32, f32) {
        (
            _mm256_loadu_si256(blk.add(2) as *const __m256i),
            f16_at(blk),
            0.0,
        )
    }
    #[inline(always)]
    unsafe fn unpack(blk: *const u8) -> (__m256i, f32, f32) {
        // q + 128 as unsigned: the offset comes back as -128·d·Σy.
        let q = _mm256_loadu_si256(blk.add(2) as *const __m256i);
        let d = f16_at(blk);
        (
            _mm256_xor_si256(q, _mm256_set1_epi8(0x80u8 as i8)),
            d,
            -128.0 * d,
        )
    }
}

impl Wide32 for W4_1 {
    const BYTES: usize = Q4_1_BYTES;
    #[inline(always)]
    unsafe fn unpack(blk: *const u8) -> (__m256i, f32, f32) {
        (nibbles32(blk.add(4)), f16_at(blk), f16_at(blk.add(2)))
    }
    #[inline(always)]
    unsafe fn unpack2(blk: *const u8) -> (__m512i, [f32; 2], [f32; 2]) {
        let next = blk.add(Self::BYTES);
        (
            nibbles64(blk.add(4), next.add(4)),
            [f16_at(blk), f16_at(next)],
            [f16_at(blk.add(2)), f16_at(next.add(2))],
        )
    }
}

impl Wide32 for W5_0 {
    const BYTES: usize = Q5_0_BYTES;
    #[inline(always)]
    unsafe fn unpack(blk: *const u8) -> (__m256i, f32, f32) {
        let n = nibbles32(blk.add(6));
        let k = std::ptr::read_unaligned(blk.add(2) as *const u32);
        let d = f16_at(blk);
        (
            _mm256_mask_add_epi8(n, k, n, _mm256_set1_epi8(0x10)),
            d,
            -16.0 * d,
        )
    }
    #[inline(always)]
    unsafe fn unpack2(blk: *const u8) -> (__m512i, [f32; 2], [f32; 2]) {
        let next = blk.add(Self::BYTES);
        let n = nibbles64(blk.add(6), next.add(6));
        let k = std::ptr::read_unaligned(blk.add(2) as *const u32) as u64
            | (std::ptr::read_unaligned(next.add(2) as *const u32) as u64) << 32;
        let (d0, d1) = (f16_at(blk), f16_at(next));
        (
            _mm512_mask_add_epi8(n, k, n, _mm512_set1_epi8(0x10)),
            [d0, d1],
            [-16.0 * d0, -16.0 * d1],
        )
    }
}

/// `R` weight rows (`stride` bytes apart, `nb` blocks each) × activation rows `row..row + C`.
#[inline(always)]
unsafe fn tile32<B: Wide32, const R: usize, const C: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act32,
    row: usize,
) -> [[f32; C]; R] {
    let mut acc = [[_mm512_setzero_ps(); C]; R];
    let mut b = 0;
    while b < nb {
        // Two blocks per register; an odd last block pairs with zeros.
        let two = b + 1 < nb;
        let mut u = [_mm512_setzero_si512(); R];
        let mut dk = [_mm512_setzero_ps(); R];
        let mut ck = [_mm_setzero_ps(); R];
        for k in 0..R {
            let p = w.add(k * stride + B::BYTES * b);
            let (uk, [d0, d1], [c0, c1]) = if two {
                B::unpack2(p)
            } else {
                let (u0, d0, c0) = B::unpack(p);
                (join(u0, _mm256_setzero_si256()), [d0, 0.0], [c0, 0.0])
            };
            u[k] = uk;
            dk[k] = halves(d0, d1);
            ck[k] = _mm_set_ps(0.0, 0.0, c1, c0);
        }
        for c in 0..C {
            let base = (row + c) * a.blocks + b;
            let yp = a.qs.as_ptr().add(32 * base);
            let y = if two {
                _mm512_loadu_si512(yp as *const __m512i)
            } else {
                _mm512_maskz_loadu_epi8(0xFFFF_FFFF, yp)
            };
            let dy0 = *a.d.get_unchecked(base);
            let dy1 = if two {
                *a.d.get_unchecked(base + 1)
            } else {
                0.0
            };
            let sy0 = dy0 * *a.sum.get_unchecked(base) as f32;
            let sy1 = if two {
                dy1 * *a.sum.get_unchecked(base + 1) as f32
            } else {
                0.0
            };
            let dy = halves(dy0, dy1);
            let sy = _mm512_zextps128_ps512(_mm_set_ps(0.0, 0.0, sy1, sy0));
            for k in 0..R {
                let q = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u[k], y));
                let s = _mm512_mul_ps(dk[k], dy);
                acc[k][c] = _mm512_fmadd_ps(q, s, acc[k][c]);
                acc[k][c] = _mm512_fmadd_ps(_mm512_zextps128_ps512(ck[k]), sy, acc[k][c]);
            }
        }
        b += 2;
    }
    let mut out = [[0f32; C]; R];
    for k in 0..R {
        for c in 0..C {
            out[k][c] = _mm512_reduce_add_ps(acc[k][c]);
        }
    }
    out
}

/// i16 lane → the scale index it takes (Q4_K: 32 lanes per sub-block, two sub-blocks per
/// register; Q6_K: 8 lanes per 16-element group, four groups per register).
const fn scale_index(q6: bool, reg: usize) -> [i16; 32] {
    let mut idx = [0i16; 32];
    let mut l = 0;
    while l < 32 {
        idx[l] = if q6 {
            (4 * reg + l / 8) as i16
        } else {
            (2 * reg + l / 16) as i16
        };
        l += 1;
    }
    idx
}

pub(crate) const Q4K_IDX: [[i16; 32]; 4] = [
    scale_index(false, 0),
    scale_index(false, 1),
    scale_index(false, 2),
    scale_index(false, 3),
];
pub(crate) const Q6K_IDX: [[i16; 32]; 4] = [
    scale_index(true, 0),
    scale_index(true, 1),
    scale_index(true, 2),
    scale_index(true, 3),
];

#[inline(always)]
pub(crate) unsafe fn idx(v: &[i16; 32]) -> __m512i {
    _mm512_loadu_si512(v.as_ptr() as *const __m512i)
}

/// Q4_K: `R` weight rows × activation rows `row..row + C` (see `tile32`).
#[inline(always)]
unsafe fn tile_q4k<const R: usize, const C: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [[f32; C]; R] {
    let low = _mm256_set1_epi8(0x0F);
    let mut acc = [[_mm512_setzero_ps(); C]; R];
    for b in 0..nb {
        let mut d = [0f32; R];
        let mut dmin = [0f32; R];
        let mut sc = [_mm512_setzero_si512(); R];
        let mut mn = [_mm_setzero_si128(); R];
        let mut qs = [std::ptr::null::<u8>(); R];
        for k in 0..R {
            let blk = w.add(k * stride + Q4_K_BYTES * b);
            d[k] = f16_at(blk);
            dmin[k] = f16_at(blk.add(2));
            let (s8, m8) = q4k_scales_mins(&*(blk.add(4) as *const [u8; 12]));
            sc[k] = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(s8 as i64)));
            mn[k] = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(m8 as i64));
            qs[k] = blk.add(16);
        }
        let mut dy = [0f32; C];
        let mut bp = [_mm_setzero_si128(); C];
        let mut yq = [std::ptr::null::<i8>(); C];
        for c in 0..C {
            let i = (row + c) * a.blocks + b;
            dy[c] = *a.d.get_unchecked(i);
            let bs = a.bsums.as_ptr().add(16 * i);
            // Sums per 32 (a sub-block) from the sums per 16.
            bp[c] = _mm_hadd_epi16(
                _mm_loadu_si128(bs as *const __m128i),
                _mm_loadu_si128(bs.add(8) as *const __m128i),
            );
            yq[c] = a.qs.as_ptr().add(256 * i);
        }
        let mut sumi = [[_mm512_setzero_si512(); C]; R];
        for i in 0..4 {
            let mut u = [_mm512_setzero_si512(); R];
            let mut s = [_mm512_setzero_si512(); R];
            for k in 0..R {
                let bits = _mm256_loadu_si256(qs[k].add(32 * i) as *const __m256i);
                u[k] = join(
                    _mm256_and_si256(bits, low),
                    _mm256_and_si256(_mm256_srli_epi16(bits, 4), low),
                );
                s[k] = _mm512_permutexvar_epi16(idx(&Q4K_IDX[i]), sc[k]);
            }
            for c in 0..C {
                let y = _mm512_loadu_si512(yq[c].add(64 * i) as *const __m512i);
                for k in 0..R {
                    let p = _mm512_maddubs_epi16(u[k], y);
                    sumi[k][c] = _mm512_dpwssd_epi32(sumi[k][c], p, s[k]);
                }
            }
        }
        for k in 0..R {
            for c in 0..C {
                let m = _mm512_zextps128_ps512(_mm_cvtepi32_ps(_mm_madd_epi16(mn[k], bp[c])));
                acc[k][c] = _mm512_fmadd_ps(
                    _mm512_cvtepi32_ps(sumi[k][c]),
                    _mm512_set1_ps(d[k] * dy[c]),
                    acc[k][c],
                );
                acc[k][c] = _mm512_fmadd_ps(m, _mm512_set1_ps(-dmin[k] * dy[c]), acc[k][c]);
            }
        }
    }
    let mut out = [[0f32; C]; R];
    for k in 0..R {
        for c in 0..C {
            out[k][c] = _mm512_reduce_add_ps(acc[k][c]);
        }
    }
    out
}

/// Q6_K's 64-element chunks as bytes 0..63: chunk `j` (0..4) of the super-block at `blk` is
/// elements 64j..64j + 64 in order, the low four bits from `ql` and the high two from `qh`
/// (per half of a register, which pair of `qh` bits and the shift). One unpacking for the row
/// tiles, the column tiles and the VNNI decode rows.
#[derive(Clone, Copy)]
pub(crate) struct Q6kChunks {
    low: __m512i,
    m0: __m512i,
    s0: __m512i,
    m1: __m512i,
    s1: __m512i,
}

impl Q6kChunks {
    #[inline(always)]
    pub(crate) unsafe fn new() -> Self {
        Self {
            low: _mm512_set1_epi8(0x0F),
            m0: join(_mm256_set1_epi8(0x03), _mm256_set1_epi8(0x0C)),
            s0: join(_mm256_set1_epi16(4), _mm256_set1_epi16(2)),
            m1: join(_mm256_set1_epi8(0x30), _mm256_set1_epi8(0xC0u8 as i8)),
            s1: join(_mm256_set1_epi16(0), _mm256_set1_epi16(2)),
        }
    }

    #[inline(always)]
    pub(crate) unsafe fn chunk(&self, blk: *const u8, j: usize) -> __m512i {
        let (h, m) = (j / 2, j % 2);
        let ql = _mm512_loadu_si512(blk.add(64 * h) as *const __m512i);
        let qh =
            _mm512_broadcast_i64x4(_mm256_loadu_si256(blk.add(128 + 32 * h) as *const __m256i));
        if m == 0 {
            _mm512_or_si512(
                _mm512_and_si512(ql, self.low),
                _mm512_sllv_epi16(_mm512_and_si512(qh, self.m0), self.s0),
            )
        } else {
            _mm512_or_si512(
                _mm512_and_si512(_mm512_srli_epi16(ql, 4), self.low),
                _mm512_srlv_epi16(_mm512_and_si512(qh, self.m1), self.s1),
            )
        }
    }
}

/// Weight rows to a column tile.
pub const COL_R: usize = 4;

/// Q4_K, `COL_R` weight rows × the sixteen rows of group `group` of `a`, one input row per lane
/// (see [`Act256T`]): four weights at a time broadcast to every lane (`vpdpbusd` with a memory
/// operand), so the float work per super-block is one vector per weight row for all sixteen
/// rows, where the row-major tiles spend it per (weight row, input row) pair and reduce a
/// register to one number at the end.
///
/// The weights (0..15) are `vpdpbusd`'s unsigned operand, the activations (stored + 128) its
/// signed one after flipping their top bit back; the minimums go through the sums per 32
/// (`vpdpwssd`).
///
/// `NG` groups at once (`group`, `group + 1`, …) share each chunk's unpacking, scales and
/// broadcasts.
///
/// # Safety
/// The CPU has AVX-512 F, BW, VL and VNNI (and F16C); `w` starts `COL_R` whole Q4_K rows
/// `stride` bytes apart with `nb` super-blocks each; `a` was interleaved from rows of `nb`
/// super-blocks and has groups `group..group + NG`.
#[inline(always)]
unsafe fn q4k_cols<const NG: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256T,
    group: usize,
) -> [[[f32; GROUP]; COL_R]; NG] {
    const R: usize = COL_R;
    debug_assert!(group + NG <= a.groups && nb == a.blocks);
    let low = _mm256_set1_epi8(0x0F);
    let flip = _mm512_set1_epi8(0x80u8 as i8);
    let mut acc = [[_mm512_setzero_ps(); NG]; R];
    // The nibbles of one 64-element chunk of each row, as bytes, for the broadcasts to read.
    let mut buf = [[0u8; 64]; R];
    // One group: both 32-element halves of a chunk in one pass (eight chains); two: a half
    // a pass, the groups' chains being the eight.
    let passes = if NG == 1 { 1 } else { 2 };
    for b in 0..nb {
        let mut d = [0f32; R];
        let mut dmin = [0f32; R];
        let mut sc = [[0u8; 8]; R];
        let mut mn = [0u64; R];
        let mut qs = [std::ptr::null::<u8>(); R];
        for k in 0..R {
            let blk = w.add(k * stride + Q4_K_BYTES * b);
            d[k] = f16_at(blk);
            dmin[k] = f16_at(blk.add(2));
            let (s8, m8) = q4k_scales_mins(&*(blk.add(4) as *const [u8; 12]));
            sc[k] = s8.to_le_bytes();
            mn[k] = m8;
            qs[k] = blk.add(16);
        }
        let yb = |g: usize| a.qs.as_ptr().add(((group + g) * nb + b) * 256 * GROUP);
        let mut sumi = [[_mm512_setzero_si512(); NG]; R];
        for i in 0..4 {
            for k in 0..R {
                let bits = _mm256_loadu_si256(qs[k].add(32 * i) as *const __m256i);
                let lo = _mm256_and_si256(bits, low);
                let hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low);
                _mm256_storeu_si256(buf[k].as_mut_ptr() as *mut __m256i, lo);
                _mm256_storeu_si256(buf[k].as_mut_ptr().add(32) as *mut __m256i, hi);
            }
            for pass in 0..passes {
                let mine = |h: usize| NG == 1 || h == pass;
                let mut dot = [[[_mm512_setzero_si512(); NG]; R]; 2];
                for q in 0..8 {
                    for h in 0..2 {
                        if !mine(h) {
                            continue;
                        }
                        let quad = 16 * i + 8 * h + q;
                        let mut y = [_mm512_setzero_si512(); NG];
                        for (g, yg) in y.iter_mut().enumerate() {
                            let at = yb(g).add(quad * 4 * GROUP);
                            *yg = _mm512_xor_si512(_mm512_loadu_si512(at as *const __m512i), flip);
                        }
                        for k in 0..R {
                            let wq = std::ptr::read_unaligned(
                                buf[k].as_ptr().add(32 * h + 4 * q) as *const i32
                            );
                            let wq = _mm512_set1_epi32(wq);
                            for g in 0..NG {
                                dot[h][k][g] = _mm512_dpbusd_epi32(dot[h][k][g], wq, y[g]);
                            }
                        }
                    }
                }
                for h in 0..2 {
                    if !mine(h) {
                        continue;
                    }
                    for k in 0..R {
                        let scale = _mm512_set1_epi32(sc[k][2 * i + h] as i32);
                        for g in 0..NG {
                            let t = _mm512_mullo_epi32(dot[h][k][g], scale);
                            sumi[k][g] = _mm512_add_epi32(sumi[k][g], t);
                        }
                    }
                }
            }
        }
        for g in 0..NG {
            let at = (group + g) * nb + b;
            let dy = _mm512_loadu_ps(a.d.as_ptr().add(at * GROUP));
            let bs = a.bsum.as_ptr().add(at * 4 * GROUP * 2);
            for k in 0..R {
                let mut summ = _mm512_setzero_si512();
                for p in 0..4 {
                    let pair = (mn[k] >> (16 * p)) as u32;
                    // The two minimums of the pair as the i16 halves of a 32-bit lane.
                    let m2 = (pair & 0xFF) | ((pair >> 8) & 0xFF) << 16;
                    let sums = _mm512_loadu_si512(bs.add(p * GROUP * 2) as *const __m512i);
                    summ = _mm512_dpwssd_epi32(summ, sums, _mm512_set1_epi32(m2 as i32));
                }
                acc[k][g] = _mm512_fmadd_ps(
                    _mm512_cvtepi32_ps(sumi[k][g]),
                    _mm512_mul_ps(_mm512_set1_ps(d[k]), dy),
                    acc[k][g],
                );
                acc[k][g] = _mm512_fmadd_ps(
                    _mm512_cvtepi32_ps(summ),
                    _mm512_mul_ps(_mm512_set1_ps(-dmin[k]), dy),
                    acc[k][g],
                );
            }
        }
    }
    let mut out = [[[0f32; GROUP]; R]; NG];
    for g in 0..NG {
        for k in 0..R {
            _mm512_storeu_ps(out[g][k].as_mut_ptr(), acc[k][g]);
        }
    }
    out
}

/// Q6_K on the column tiles (see [`q4k_cols`]): values 0..63 (unsigned, against the signed
/// activations) broadcast four at a time, one integer sum per 16-element sub-block times its
/// signed scale. Taken off once per super-block and weight row: the format's offset of 32
/// (32·Σ scale·(the row's sum per 16), through `vpdpwssd`).
///
/// # Safety
/// As [`q4k_cols`], for Q6_K rows.
#[inline(always)]
unsafe fn q6k_cols<const NG: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256T,
    group: usize,
) -> [[[f32; GROUP]; COL_R]; NG] {
    const R: usize = COL_R;
    debug_assert!(group + NG <= a.groups && nb == a.blocks);
    let q6 = Q6kChunks::new();
    let flip = _mm512_set1_epi8(0x80u8 as i8);
    let mut acc = [[_mm512_setzero_ps(); NG]; R];
    let mut buf = [[0u8; 64]; R];
    for b in 0..nb {
        let yb = |g: usize| a.qs.as_ptr().add(((group + g) * nb + b) * 256 * GROUP);
        let mut d = [0f32; R];
        let mut blk = [std::ptr::null::<u8>(); R];
        let mut sc = [[0i8; 16]; R];
        for k in 0..R {
            blk[k] = w.add(k * stride + Q6_K_BYTES * b);
            d[k] = f16_at(blk[k].add(208));
            sc[k] = std::ptr::read_unaligned(blk[k].add(192) as *const [i8; 16]);
        }
        let mut sumi = [[_mm512_setzero_si512(); NG]; R];
        for j in 0..4 {
            for k in 0..R {
                let u = q6.chunk(blk[k], j);
                _mm512_storeu_si512(buf[k].as_mut_ptr() as *mut __m512i, u);
            }
            for s in 0..4 {
                let mut dsub = [[_mm512_setzero_si512(); NG]; R];
                for q in 0..4 {
                    let quad = 16 * j + 4 * s + q;
                    let mut y = [_mm512_setzero_si512(); NG];
                    for (g, yg) in y.iter_mut().enumerate() {
                        let at = yb(g).add(quad * 4 * GROUP);
                        *yg = _mm512_xor_si512(_mm512_loadu_si512(at as *const __m512i), flip);
                    }
                    for k in 0..R {
                        let wq = std::ptr::read_unaligned(
                            buf[k].as_ptr().add(16 * s + 4 * q) as *const i32
                        );
                        let wq = _mm512_set1_epi32(wq);
                        for g in 0..NG {
                            dsub[k][g] = _mm512_dpbusd_epi32(dsub[k][g], wq, y[g]);
                        }
                    }
                }
                for k in 0..R {
                    let scale = _mm512_set1_epi32(sc[k][4 * j + s] as i32);
                    for g in 0..NG {
                        let t = _mm512_mullo_epi32(dsub[k][g], scale);
                        sumi[k][g] = _mm512_add_epi32(sumi[k][g], t);
                    }
                }
            }
        }
        for g in 0..NG {
            let at = (group + g) * nb + b;
            let dy = _mm512_loadu_ps(a.d.as_ptr().add(at * GROUP));
            let bs = a.bsum16.as_ptr().add(at * 8 * GROUP * 2);
            for k in 0..R {
                let mut offs = _mm512_setzero_si512();
                for p in 0..8 {
                    let pair = (sc[k][2 * p] as i16 as u16 as u32)
                        | ((sc[k][2 * p + 1] as i16 as u16 as u32) << 16);
                    let sums = _mm512_loadu_si512(bs.add(p * GROUP * 2) as *const __m512i);
                    offs = _mm512_dpwssd_epi32(offs, sums, _mm512_set1_epi32(pair as i32));
                }
                let t = _mm512_sub_epi32(sumi[k][g], _mm512_slli_epi32(offs, 5));
                acc[k][g] = _mm512_fmadd_ps(
                    _mm512_cvtepi32_ps(t),
                    _mm512_mul_ps(_mm512_set1_ps(d[k]), dy),
                    acc[k][g],
                );
            }
        }
    }
    let mut out = [[[0f32; GROUP]; R]; NG];
    for g in 0..NG {
        for k in 0..R {
            _mm512_storeu_ps(out[g][k].as_mut_ptr(), acc[k][g]);
        }
    }
    out
}

macro_rules! cols256 {
    ($($one:ident, $pair:ident => $body:ident;)*) => {$(
        /// A column tile of this K-quant format for group `group` (see `q4k_cols`).
        ///
        /// # Safety
        /// The CPU has AVX-512 F, BW, VL and VNNI (and F16C); `w` starts `COL_R` whole rows of
        /// this format `stride` bytes apart with `nb` super-blocks each; `a` was interleaved
        /// from rows of `nb` super-blocks and has group `group`.
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        pub unsafe fn $one(w: *const u8, stride: usize, nb: usize, a: &Act256T, group: usize) -> [[f32; GROUP]; COL_R] {
            $body::<1>(w, stride, nb, a, group)[0]
        }

        /// The same for groups `group` and `group + 1` at once.
        ///
        /// # Safety
        /// As the one-group tile, and `group + 1` is a group of `a`.
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        pub unsafe fn $pair(w: *const u8, stride: usize, nb: usize, a: &Act256T, group: usize) -> [[[f32; GROUP]; COL_R]; 2] {
            $body::<2>(w, stride, nb, a, group)
        }
    )*};
}

cols256! {
    q4_k_cols, q4_k_cols2 => q4k_cols;
    q6_k_cols, q6_k_cols2 => q6k_cols;
}

/// A 32-element format on the column tiles (see [`q4k_cols`]), for `NG` groups of sixteen
/// input rows at once (`group`, `group + 1`, …): per block and weight row, the 32 weights
/// unpacked once and broadcast four at a time against every group, then one float step per
/// group: dy·d·Σw·y + c·Σy. Two groups share each weight's unpacking and scales, where the
/// 32-element blocks otherwise spend more instructions on those than on the products.
/// Unsigned weights (Q4_1, Q5_0) are `vpdpbusd`'s unsigned operand against the signed
/// activations; signed ones (Q8_0) its signed operand against y + 128, less 128·Σw.
#[inline(always)]
unsafe fn cols32<B: Wide32, const NG: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act32T,
    group: usize,
) -> [[[f32; GROUP]; COL_R]; NG] {
    const R: usize = COL_R;
    debug_assert!(group + NG <= a.groups && nb == a.blocks);
    let mut acc = [[_mm512_setzero_ps(); NG]; R];
    let mut buf = [[0u8; 32]; R];
    let flip = _mm512_set1_epi8(0x80u8 as i8);
    for b in 0..nb {
        let mut dk = [0f32; R];
        let mut ck = [0f32; R];
        let mut wsum = [0i32; R];
        for k in 0..R {
            let (s, d, c) = B::unpack_signed(w.add(k * stride + B::BYTES * b));
            _mm256_storeu_si256(buf[k].as_mut_ptr() as *mut __m256i, s);
            if B::SIGNED {
                // Σw from the sums of w + 128 in four 8-byte runs.
                let t = _mm256_sad_epu8(
                    _mm256_xor_si256(s, _mm256_set1_epi8(0x80u8 as i8)),
                    _mm256_setzero_si256(),
                );
                let t = _mm_add_epi64(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
                let t = _mm_add_epi64(t, _mm_unpackhi_epi64(t, t));
                wsum[k] = _mm_cvtsi128_si32(t) - 128 * 32;
            }
            dk[k] = d;
            ck[k] = c;
        }
        // With one group, two chains a row (even and odd quads), so that eight sums are in
        // flight; with two, the groups' chains are the eight.
        let mut sums = [[[_mm512_setzero_si512(); 2]; NG]; R];
        for q in 0..8 {
            let par = if NG == 1 { q & 1 } else { 0 };
            let mut y = [_mm512_setzero_si512(); NG];
            for (g, yg) in y.iter_mut().enumerate() {
                let at = ((group + g) * nb + b) * 32 * GROUP + q * 4 * GROUP;
                *yg = _mm512_loadu_si512(a.qs.as_ptr().add(at) as *const __m512i);
                if !B::SIGNED {
                    *yg = _mm512_xor_si512(*yg, flip);
                }
            }
            for k in 0..R {
                let wq = std::ptr::read_unaligned(buf[k].as_ptr().add(4 * q) as *const i32);
                let wq = _mm512_set1_epi32(wq);
                for g in 0..NG {
                    let s = &mut sums[k][g][par];
                    *s = if B::SIGNED {
                        _mm512_dpbusd_epi32(*s, y[g], wq)
                    } else {
                        _mm512_dpbusd_epi32(*s, wq, y[g])
                    };
                }
            }
        }
        for g in 0..NG {
            let at = (group + g) * nb + b;
            let dy = _mm512_loadu_ps(a.d.as_ptr().add(at * GROUP));
            let sy = _mm512_loadu_ps(a.sy.as_ptr().add(at * GROUP));
            for k in 0..R {
                let mut t = _mm512_add_epi32(sums[k][g][0], sums[k][g][1]);
                if B::SIGNED {
                    t = _mm512_sub_epi32(t, _mm512_set1_epi32(128 * wsum[k]));
                }
                acc[k][g] = _mm512_fmadd_ps(
                    _mm512_cvtepi32_ps(t),
                    _mm512_mul_ps(_mm512_set1_ps(dk[k]), dy),
                    acc[k][g],
                );
                if B::OFFSET {
                    acc[k][g] = _mm512_fmadd_ps(sy, _mm512_set1_ps(ck[k]), acc[k][g]);
                }
            }
        }
    }
    let mut out = [[[0f32; GROUP]; R]; NG];
    for g in 0..NG {
        for k in 0..R {
            _mm512_storeu_ps(out[g][k].as_mut_ptr(), acc[k][g]);
        }
    }
    out
}

macro_rules! cols32 {
    ($($name:ident, $pair:ident => $fmt:ty;)*) => {$(
        /// A column tile of this 32-element format (see `cols32`).
        ///
        /// # Safety
        /// As [`q4_k_cols`], for rows of this format and `a` interleaved from 32-blocks.
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        pub unsafe fn $name(w: *const u8, stride: usize, nb: usize, a: &Act32T, group: usize) -> [[f32; GROUP]; COL_R] {
            cols32::<$fmt, 1>(w, stride, nb, a, group)[0]
        }

        /// Column tiles of this format for groups `group` and `group + 1` at once.
        ///
        /// # Safety
        /// As the one-group tile, and `group + 1` is a group of `a`.
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        pub unsafe fn $pair(w: *const u8, stride: usize, nb: usize, a: &Act32T, group: usize) -> [[[f32; GROUP]; COL_R]; 2] {
            cols32::<$fmt, 2>(w, stride, nb, a, group)
        }
    )*};
}

cols32! {
    q8_0_cols, q8_0_cols2 => W8_0;
    q4_1_cols, q4_1_cols2 => W4_1;
    q5_0_cols, q5_0_cols2 => W5_0;
}

/// Q6_K: `R` weight rows × activation rows `row..row + C` (see `tile32`). Stored as 0..63
/// with an offset of 32, taken off as 32·Σ scale·(sum per 16).
#[inline(always)]
unsafe fn tile_q6k<const R: usize, const C: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act256,
    row: usize,
) -> [[f32; C]; R] {
    let q6 = Q6kChunks::new();
    let mut acc = [[_mm512_setzero_ps(); C]; R];
    for b in 0..nb {
        let mut d = [0f32; R];
        let mut sc16 = [_mm256_setzero_si256(); R];
        let mut blk = [std::ptr::null::<u8>(); R];
        for k in 0..R {
            blk[k] = w.add(k * stride + Q6_K_BYTES * b);
            d[k] = f16_at(blk[k].add(208));
            sc16[k] = _mm256_cvtepi8_epi16(_mm_loadu_si128(blk[k].add(192) as *const __m128i));
        }
        let mut dy = [0f32; C];
        let mut bs = [_mm256_setzero_si256(); C];
        let mut yq = [std::ptr::null::<i8>(); C];
        for c in 0..C {
            let i = (row + c) * a.blocks + b;
            dy[c] = *a.d.get_unchecked(i);
            bs[c] = _mm256_loadu_si256(a.bsums.as_ptr().add(16 * i) as *const __m256i);
            yq[c] = a.qs.as_ptr().add(256 * i);
        }
        let mut sumi = [[_mm512_setzero_si512(); C]; R];
        for j in 0..4 {
            let mut u = [_mm512_setzero_si512(); R];
            let mut s = [_mm512_setzero_si512(); R];
            for k in 0..R {
                u[k] = q6.chunk(blk[k], j);
                s[k] = _mm512_permutexvar_epi16(idx(&Q6K_IDX[j]), _mm512_castsi256_si512(sc16[k]));
            }
            for c in 0..C {
                let y = _mm512_loadu_si512(yq[c].add(64 * j) as *const __m512i);
                for k in 0..R {
                    let p = _mm512_maddubs_epi16(u[k], y);
                    sumi[k][c] = _mm512_dpwssd_epi32(sumi[k][c], p, s[k]);
                }
            }
        }
        for k in 0..R {
            for c in 0..C {
                let off = _mm256_slli_epi32(_mm256_madd_epi16(sc16[k], bs[c]), 5);
                let t = _mm512_sub_epi32(sumi[k][c], _mm512_zextsi256_si512(off));
                acc[k][c] = _mm512_fmadd_ps(
                    _mm512_cvtepi32_ps(t),
                    _mm512_set1_ps(d[k] * dy[c]),
                    acc[k][c],
                );
            }
        }
    }
    let mut out = [[0f32; C]; R];
    for k in 0..R {
        for c in 0..C {
            out[k][c] = _mm512_reduce_add_ps(acc[k][c]);
        }
    }
    out
}

/// The activations a tile reads: blocks of 32 or super-blocks of 256.
pub enum Acts<'a> {
    A32(&'a Act32),
    A256(&'a Act256),
}

/// Weight rows per tile and activation rows per tile.
pub const R: usize = 2;
pub const C: usize = 8;

/// The K-quant tiles hold twice the accumulators (integer sums per super-block as well as
/// the float totals), so they run a full tile as two of half the height.
#[inline(always)]
unsafe fn halves_of<const H: usize>(
    f: impl Fn(usize) -> [[f32; H]; R],
    row: usize,
) -> [[f32; C]; R] {
    let mut out = [[0f32; C]; R];
    for part in 0..C / H {
        let v = f(row + part * H);
        for k in 0..R {
            out[k][part * H..(part + 1) * H].copy_from_slice(&v[k]);
        }
    }
    out
}

macro_rules! wide {
    ($($name:ident, $one:ident => $act:ident, $full:expr, $single:expr;)*) => {$(
        /// An `R` × `C` prompt tile (see the module's note).
        ///
        /// # Safety
        /// The CPU has AVX-512 F, BW, VL and VNNI (and F16C); `w` starts `R` whole rows of
        /// this type's blocks laid `stride` bytes apart; `a` is the matching activation form
        /// with rows `row..row + C`, quantized with `nb` blocks per row.
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        pub unsafe fn $name(w: *const u8, stride: usize, nb: usize, a: &Acts<'_>, row: usize) -> [[f32; C]; R] {
            let Acts::$act(a) = a else { unreachable!("activation form checked by the caller") };
            $full(w, stride, nb, a, row)
        }

        /// An `R` × 1 tile, for the activation rows left over after the last whole tile.
        ///
        /// # Safety
        /// As the full tile, with one activation row.
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        pub unsafe fn $one(w: *const u8, stride: usize, nb: usize, a: &Acts<'_>, row: usize) -> [[f32; 1]; R] {
            let Acts::$act(a) = a else { unreachable!("activation form checked by the caller") };
            $single(w, stride, nb, a, row)
        }
    )*};
}

wide! {
    q8_0, q8_0_one => A32, tile32::<W8_0, R, C>, tile32::<W8_0, R, 1>;
    q4_1, q4_1_one => A32, tile32::<W4_1, R, C>, tile32::<W4_1, R, 1>;
    q5_0, q5_0_one => A32, tile32::<W5_0, R, C>, tile32::<W5_0, R, 1>;
    q4_k, q4_k_one => A256,
        |w, stride, nb, a, row| halves_of::<4>(|r| tile_q4k::<R, 4>(w, stride, nb, a, r), row),
        tile_q4k::<R, 1>;
    q6_k, q6_k_one => A256,
        |w, stride, nb, a, row| halves_of::<4>(|r| tile_q6k::<R, 4>(w, stride, nb, a, r), row),
        tile_q6k::<R, 1>;
}
