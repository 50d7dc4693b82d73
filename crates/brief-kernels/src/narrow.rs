//! Prompt column tiles for CPUs with AVX2 but not AVX-512 VNNI (Zen 2/3, most laptops): the
//! layout of `wide`'s column tiles (the same interleaved activations, [`Act256T`] and
//! [`Act32T`], sixteen input rows to a group), each group taken as two 256-bit halves of
//! eight rows. Four weights are broadcast to every lane and multiplied by four elements of
//! eight rows at once (`vpmaddubsw`, weights as the unsigned operand), the 16-bit pair sums
//! added up over a sub-block while they cannot overflow, then times the sub-block's scale
//! into 32 bits in one `vpmaddwd`. Without VNNI the row tiles spent most of a prompt
//! unpacking blocks and reducing registers per (weight row, input row) pair; here a block is
//! unpacked once for all the input rows of the groups and nothing is reduced across lanes.
//!
//! The integer sums are those of every other kernel; only the float steps' order differs, as
//! on the wide tiles, so a prompt row may differ from a decode step's in the last bits.

// Tile loops index parallel arrays (rows, accumulators) by position.
#![allow(clippy::needless_range_loop)]

use std::arch::x86_64::*;

use super::act::{Act256T, Act32T, GROUP};
use super::blocks::{q4k_scales_mins, Q4_K_BYTES, Q6_K_BYTES};
use super::wide::COL_R;
use super::x86::{Avx2, Block32, BQ4_1, BQ5_0, BQ8_0};

/// Input rows to a 256-bit half of a group.
const HALF: usize = GROUP / 2;

#[inline(always)]
unsafe fn f16_at(p: *const u8) -> f32 {
    let bits = std::ptr::read_unaligned(p as *const u16);
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32)))
}

/// Four weights (bytes `at..at + 4`) in every 32-bit lane.
#[inline(always)]
unsafe fn quad(at: *const u8) -> __m256i {
    _mm256_set1_epi32(std::ptr::read_unaligned(at as *const i32))
}

/// Eight input rows' four activations of one quad, back to signed (they are stored + 128).
#[inline(always)]
unsafe fn acts(at: *const u8, flip: __m256i) -> __m256i {
    _mm256_xor_si256(_mm256_loadu_si256(at as *const __m256i), flip)
}

/// A Q4_K super-block's 256 weights (0..15) in element order.
#[inline(always)]
unsafe fn unpack_q4k(qs: *const u8, out: &mut [u8; 256]) {
    let low = _mm256_set1_epi8(0x0F);
    for i in 0..4 {
        let bits = _mm256_loadu_si256(qs.add(32 * i) as *const __m256i);
        let o = out.as_mut_ptr().add(64 * i) as *mut __m256i;
        _mm256_storeu_si256(o, _mm256_and_si256(bits, low));
        _mm256_storeu_si256(o.add(1), _mm256_and_si256(_mm256_srli_epi16(bits, 4), low));
    }
}

/// A Q6_K super-block's 256 weights (0..63, the offset of 32 not yet taken off) in element
/// order: per 128, the low four bits of elements l and l + 64 from `ql[l]` (l + 32 and l + 96
/// from `ql[l + 32]`), the high two from `qh[l]`'s four bit pairs.
#[inline(always)]
unsafe fn unpack_q6k(blk: *const u8, out: &mut [u8; 256]) {
    let (m4, m30) = (_mm256_set1_epi8(0x0F), _mm256_set1_epi8(0x30));
    for n in 0..2 {
        let ql0 = _mm256_loadu_si256(blk.add(64 * n) as *const __m256i);
        let ql1 = _mm256_loadu_si256(blk.add(64 * n + 32) as *const __m256i);
        let qh = _mm256_loadu_si256(blk.add(128 + 32 * n) as *const __m256i);
        let e = [
            (_mm256_and_si256(ql0, m4), _mm256_slli_epi16(qh, 4)),
            (_mm256_and_si256(ql1, m4), _mm256_slli_epi16(qh, 2)),
            (_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), qh),
            (
                _mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                _mm256_srli_epi16(qh, 2),
            ),
        ];
        for (j, (lo, hi)) in e.into_iter().enumerate() {
            let v = _mm256_or_si256(lo, _mm256_and_si256(hi, m30));
            let o = out.as_mut_ptr().add(128 * n + 32 * j) as *mut __m256i;
            _mm256_storeu_si256(o, v);
        }
    }
}

/// Q4_K: `COL_R` weight rows × groups `group..group + NG` of `a` (see `wide::q4k_cols`).
/// A sub-block's eight quads sum in 16 bits (at most 8 · 2 · 15 · 127 = 30,480).
///
/// # Safety
/// The CPU has AVX2, FMA and F16C; `w` starts `COL_R` whole Q4_K rows `stride` bytes apart
/// with `nb` super-blocks each; `a` was interleaved from rows of `nb` super-blocks and has
/// groups `group..group + NG`.
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
    let flip = _mm256_set1_epi8(0x80u8 as i8);
    let mut acc = [[[_mm256_setzero_ps(); 2]; R]; NG];
    let mut wb = [[0u8; 256]; R];
    for b in 0..nb {
        let mut d = [0f32; R];
        let mut dmin = [0f32; R];
        let mut sc = [[0u8; 8]; R];
        let mut mn = [0u64; R];
        for k in 0..R {
            let blk = w.add(k * stride + Q4_K_BYTES * b);
            d[k] = f16_at(blk);
            dmin[k] = f16_at(blk.add(2));
            let (s8, m8) = q4k_scales_mins(&*(blk.add(4) as *const [u8; 12]));
            sc[k] = s8.to_le_bytes();
            mn[k] = m8;
            unpack_q4k(blk.add(16), &mut wb[k]);
        }
        for g in 0..NG {
            let at = (group + g) * nb + b;
            for h in 0..2 {
                let yb = a.qs.as_ptr().add(at * 256 * GROUP + 4 * HALF * h);
                let mut sumi = [_mm256_setzero_si256(); R];
                for s in 0..8 {
                    let mut s16 = [_mm256_setzero_si256(); R];
                    for q in 0..8 {
                        let y = acts(yb.add((8 * s + q) * 4 * GROUP), flip);
                        for k in 0..R {
                            let p =
                                _mm256_maddubs_epi16(quad(wb[k].as_ptr().add(32 * s + 4 * q)), y);
                            s16[k] = _mm256_add_epi16(s16[k], p);
                        }
                    }
                    for k in 0..R {
                        let scale = _mm256_set1_epi16(sc[k][s] as i16);
                        sumi[k] = _mm256_add_epi32(sumi[k], _mm256_madd_epi16(s16[k], scale));
                    }
                }
                let dy = _mm256_loadu_ps(a.d.as_ptr().add(at * GROUP + HALF * h));
                let bs = a.bsum.as_ptr().add(at * 4 * GROUP * 2 + 2 * HALF * h);
                for k in 0..R {
                    let mut summ = _mm256_setzero_si256();
                    for p in 0..4 {
                        let pair = (mn[k] >> (16 * p)) as u32;
                        // The two minimums of the pair as the i16 halves of a 32-bit lane.
                        let m2 = (pair & 0xFF) | ((pair >> 8) & 0xFF) << 16;
                        let sums = _mm256_loadu_si256(bs.add(p * GROUP * 2) as *const __m256i);
                        let t = _mm256_madd_epi16(sums, _mm256_set1_epi32(m2 as i32));
                        summ = _mm256_add_epi32(summ, t);
                    }
                    let f = &mut acc[g][k][h];
                    *f = _mm256_fmadd_ps(
                        _mm256_cvtepi32_ps(sumi[k]),
                        _mm256_mul_ps(_mm256_set1_ps(d[k]), dy),
                        *f,
                    );
                    *f = _mm256_fmadd_ps(
                        _mm256_cvtepi32_ps(summ),
                        _mm256_mul_ps(_mm256_set1_ps(-dmin[k]), dy),
                        *f,
                    );
                }
            }
        }
    }
    store(&acc)
}

/// Q6_K on the AVX2 column tiles (see [`q4k_cols`]): values 0..63, so two quads at most sum
/// in 16 bits (2 · 2 · 63 · 127 = 32,004) before the signed scale of their 16-element
/// sub-block takes them to 32; the offset of 32 comes off once per super-block through the
/// rows' sums per 16 (as `wide::q6k_cols`).
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
    let flip = _mm256_set1_epi8(0x80u8 as i8);
    let mut acc = [[[_mm256_setzero_ps(); 2]; R]; NG];
    let mut wb = [[0u8; 256]; R];
    for b in 0..nb {
        let mut d = [0f32; R];
        let mut sc = [[0i8; 16]; R];
        for k in 0..R {
            let blk = w.add(k * stride + Q6_K_BYTES * b);
            d[k] = f16_at(blk.add(208));
            sc[k] = std::ptr::read_unaligned(blk.add(192) as *const [i8; 16]);
            unpack_q6k(blk, &mut wb[k]);
        }
        for g in 0..NG {
            let at = (group + g) * nb + b;
            for h in 0..2 {
                let yb = a.qs.as_ptr().add(at * 256 * GROUP + 4 * HALF * h);
                let mut sumi = [_mm256_setzero_si256(); R];
                for s in 0..16 {
                    let mut scale = [_mm256_setzero_si256(); R];
                    for k in 0..R {
                        scale[k] = _mm256_set1_epi16(sc[k][s] as i16);
                    }
                    for two in 0..2 {
                        let q0 = 4 * s + 2 * two;
                        let y0 = acts(yb.add(q0 * 4 * GROUP), flip);
                        let y1 = acts(yb.add((q0 + 1) * 4 * GROUP), flip);
                        for k in 0..R {
                            let wq = wb[k].as_ptr().add(4 * q0);
                            let s16 = _mm256_add_epi16(
                                _mm256_maddubs_epi16(quad(wq), y0),
                                _mm256_maddubs_epi16(quad(wq.add(4)), y1),
                            );
                            sumi[k] = _mm256_add_epi32(sumi[k], _mm256_madd_epi16(s16, scale[k]));
                        }
                    }
                }
                let dy = _mm256_loadu_ps(a.d.as_ptr().add(at * GROUP + HALF * h));
                let bs = a.bsum16.as_ptr().add(at * 8 * GROUP * 2 + 2 * HALF * h);
                for k in 0..R {
                    let mut offs = _mm256_setzero_si256();
                    for p in 0..8 {
                        let pair = (sc[k][2 * p] as i16 as u16 as u32)
                            | ((sc[k][2 * p + 1] as i16 as u16 as u32) << 16);
                        let sums = _mm256_loadu_si256(bs.add(p * GROUP * 2) as *const __m256i);
                        let t = _mm256_madd_epi16(sums, _mm256_set1_epi32(pair as i32));
                        offs = _mm256_add_epi32(offs, t);
                    }
                    let t = _mm256_sub_epi32(sumi[k], _mm256_slli_epi32(offs, 5));
                    let f = &mut acc[g][k][h];
                    *f = _mm256_fmadd_ps(
                        _mm256_cvtepi32_ps(t),
                        _mm256_mul_ps(_mm256_set1_ps(d[k]), dy),
                        *f,
                    );
                }
            }
        }
    }
    store(&acc)
}

/// A 32-element format on the AVX2 column tiles: per block and weight row, the 32 weights
/// unpacked once for every group, then one float step per half: dy·d·Σw·y + c·Σy·dy.
/// Unsigned weights (Q4_1, Q5_0) sum four quads at a time in 16 bits (at most 4 · 2 · 31 ·
/// 127 = 31,496). Q8_0's are signed, so each quad multiplies |w| (the unsigned operand) by
/// the activations given w's signs (`vpsignb`), and its pair sums (up to 2 · 128 · 127 =
/// 32,512) go to 32 bits at once.
///
/// # Safety
/// As [`q4k_cols`], for rows of `B` blocks and activations interleaved from 32-element blocks.
#[inline(always)]
unsafe fn cols32<B: Block32, const NG: usize>(
    w: *const u8,
    stride: usize,
    nb: usize,
    a: &Act32T,
    group: usize,
) -> [[[f32; GROUP]; COL_R]; NG] {
    const R: usize = COL_R;
    debug_assert!(group + NG <= a.groups && nb == a.blocks);
    let flip = _mm256_set1_epi8(0x80u8 as i8);
    let ones = _mm256_set1_epi16(1);
    let mut acc = [[[_mm256_setzero_ps(); 2]; R]; NG];
    // The unsigned operand (the weights, or |w|), and a signed format's weights for their signs.
    let mut wb = [[0u8; 32]; R];
    let mut signs = [[0u8; 32]; R];
    for b in 0..nb {
        let mut d = [0f32; R];
        let mut c = [0f32; R];
        for k in 0..R {
            let (u, dk, ck) = B::unpack::<Avx2>(w.add(k * stride + B::BYTES * b));
            if B::SIGNED {
                _mm256_storeu_si256(signs[k].as_mut_ptr() as *mut __m256i, u);
                _mm256_storeu_si256(wb[k].as_mut_ptr() as *mut __m256i, _mm256_abs_epi8(u));
            } else {
                _mm256_storeu_si256(wb[k].as_mut_ptr() as *mut __m256i, u);
            }
            d[k] = dk;
            c[k] = ck;
        }
        for g in 0..NG {
            let at = (group + g) * nb + b;
            for h in 0..2 {
                let yb = a.qs.as_ptr().add(at * 32 * GROUP + 4 * HALF * h);
                let mut sumi = [_mm256_setzero_si256(); R];
                if B::SIGNED {
                    for q in 0..8 {
                        let y = acts(yb.add(q * 4 * GROUP), flip);
                        for k in 0..R {
                            let ys = _mm256_sign_epi8(y, quad(signs[k].as_ptr().add(4 * q)));
                            let p = _mm256_maddubs_epi16(quad(wb[k].as_ptr().add(4 * q)), ys);
                            sumi[k] = _mm256_add_epi32(sumi[k], _mm256_madd_epi16(p, ones));
                        }
                    }
                } else {
                    for four in 0..2 {
                        let mut s16 = [_mm256_setzero_si256(); R];
                        for q in 4 * four..4 * four + 4 {
                            let y = acts(yb.add(q * 4 * GROUP), flip);
                            for k in 0..R {
                                let p = _mm256_maddubs_epi16(quad(wb[k].as_ptr().add(4 * q)), y);
                                s16[k] = _mm256_add_epi16(s16[k], p);
                            }
                        }
                        for k in 0..R {
                            sumi[k] = _mm256_add_epi32(sumi[k], _mm256_madd_epi16(s16[k], ones));
                        }
                    }
                }
                let dy = _mm256_loadu_ps(a.d.as_ptr().add(at * GROUP + HALF * h));
                let sy = _mm256_loadu_ps(a.sy.as_ptr().add(at * GROUP + HALF * h));
                for k in 0..R {
                    let f = &mut acc[g][k][h];
                    *f = _mm256_fmadd_ps(
                        _mm256_cvtepi32_ps(sumi[k]),
                        _mm256_mul_ps(_mm256_set1_ps(d[k]), dy),
                        *f,
                    );
                    // Q8_0 has no offset (c = 0).
                    if !B::SIGNED {
                        *f = _mm256_fmadd_ps(_mm256_set1_ps(c[k]), sy, *f);
                    }
                }
            }
        }
    }
    store(&acc)
}

/// The accumulators (group, weight row, half) as sixteen outputs per weight row and group.
#[inline(always)]
unsafe fn store<const NG: usize>(acc: &[[[__m256; 2]; COL_R]; NG]) -> [[[f32; GROUP]; COL_R]; NG] {
    let mut out = [[[0f32; GROUP]; COL_R]; NG];
    for g in 0..NG {
        for k in 0..COL_R {
            for h in 0..2 {
                _mm256_storeu_ps(out[g][k].as_mut_ptr().add(HALF * h), acc[g][k][h]);
            }
        }
    }
    out
}

macro_rules! cols {
    ($($one:ident, $pair:ident => $body:ident $(<$b:ty>)?, $act:ty;)*) => {$(
        /// An AVX2 column tile of this format for group `group` (see `q4k_cols`).
        ///
        /// # Safety
        /// The CPU has AVX2, FMA and F16C; `w` starts `COL_R` whole rows of this format
        /// `stride` bytes apart with `nb` blocks each; `a` was interleaved from rows of `nb`
        /// blocks and has group `group`.
        #[target_feature(enable = "avx2,fma,f16c")]
        pub unsafe fn $one(w: *const u8, stride: usize, nb: usize, a: &$act, group: usize) -> [[f32; GROUP]; COL_R] {
            $body::<$($b,)? 1>(w, stride, nb, a, group)[0]
        }

        /// The same for groups `group` and `group + 1` at once.
        ///
        /// # Safety
        /// As the one-group tile, and `group + 1` is a group of `a`.
        #[target_feature(enable = "avx2,fma,f16c")]
        pub unsafe fn $pair(w: *const u8, stride: usize, nb: usize, a: &$act, group: usize) -> [[[f32; GROUP]; COL_R]; 2] {
            $body::<$($b,)? 2>(w, stride, nb, a, group)
        }
    )*};
}

cols! {
    q4_k_cols, q4_k_cols2 => q4k_cols, Act256T;
    q6_k_cols, q6_k_cols2 => q6k_cols, Act256T;
    q4_1_cols, q4_1_cols2 => cols32<BQ4_1>, Act32T;
    q5_0_cols, q5_0_cols2 => cols32<BQ5_0>, Act32T;
    q8_0_cols, q8_0_cols2 => cols32<BQ8_0>, Act32T;
}
