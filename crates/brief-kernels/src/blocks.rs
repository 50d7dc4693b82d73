//! The GGUF block layouts we run (as ggml defines them), their dequantization, and portable
//! dot products against quantized activations. These are the reference the vectorised kernels
//! are tested against, and the fallback on CPUs without AVX2.

use half::f16;

use super::act::{Act256, Act32};

pub const Q8_0_BYTES: usize = 34; // d: f16, qs: [i8; 32]
pub const Q4_1_BYTES: usize = 20; // d: f16, m: f16, qs: [u8; 16]
pub const Q5_0_BYTES: usize = 22; // d: f16, qh: [u8; 4], qs: [u8; 16]
pub const Q4_K_BYTES: usize = 144; // d: f16, dmin: f16, scales: [u8; 12], qs: [u8; 128]
pub const Q6_K_BYTES: usize = 210; // ql: [u8; 128], qh: [u8; 64], scales: [i8; 16], d: f16

#[inline(always)]
pub fn f16_at(b: &[u8], at: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[at], b[at + 1]])).to_f32()
}

/// All eight of a Q4_K super-block's scales and minimums at once, a byte each (scale j in
/// byte j), by whole-word shifts and masks: what [`q4k_scale_min`] gives one at a time.
#[inline(always)]
pub fn q4k_scales_mins(s: &[u8; 12]) -> (u64, u64) {
    const LOW6: u32 = 0x3f3f_3f3f;
    const LOW4: u32 = 0x0f0f_0f0f;
    const LOW2: u32 = 0x0303_0303;
    let word = |i: usize| u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
    let (w0, w1, w2) = (word(0), word(4), word(8));
    let scales_lo = w0 & LOW6;
    let scales_hi = (w2 & LOW4) | (((w0 >> 6) & LOW2) << 4);
    let mins_lo = w1 & LOW6;
    let mins_hi = ((w2 >> 4) & LOW4) | (((w1 >> 6) & LOW2) << 4);
    (
        scales_lo as u64 | (scales_hi as u64) << 32,
        mins_lo as u64 | (mins_hi as u64) << 32,
    )
}

/// The 6-bit scale and min of sub-block `j` of a Q4_K super-block.
#[inline(always)]
pub fn q4k_scale_min(j: usize, s: &[u8]) -> (u8, u8) {
    if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        (
            (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4),
            (s[j + 4] >> 4) | ((s[j] >> 6) << 4),
        )
    }
}

pub fn dequant_q8_0(b: &[u8], out: &mut [f32]) {
    let d = f16_at(b, 0);
    for (o, &q) in out.iter_mut().zip(&b[2..34]) {
        *o = d * (q as i8) as f32;
    }
}

pub fn dequant_q4_1(b: &[u8], out: &mut [f32]) {
    let (d, m) = (f16_at(b, 0), f16_at(b, 2));
    for j in 0..16 {
        let q = b[4 + j];
        out[j] = (q & 0xF) as f32 * d + m;
        out[j + 16] = (q >> 4) as f32 * d + m;
    }
}

pub fn dequant_q5_0(b: &[u8], out: &mut [f32]) {
    let d = f16_at(b, 0);
    let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
    for j in 0..16 {
        let q = b[6 + j];
        let h0 = ((qh >> j) << 4) & 0x10;
        let h1 = (qh >> (j + 12)) & 0x10;
        out[j] = (((q & 0xF) as u32 | h0) as i32 - 16) as f32 * d;
        out[j + 16] = (((q >> 4) as u32 | h1) as i32 - 16) as f32 * d;
    }
}

pub fn dequant_q4_k(b: &[u8], out: &mut [f32]) {
    let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
    let scales = &b[4..16];
    let qs = &b[16..144];
    for i in 0..4 {
        let (sc1, m1) = q4k_scale_min(2 * i, scales);
        let (sc2, m2) = q4k_scale_min(2 * i + 1, scales);
        let (d1, m1) = (d * sc1 as f32, dmin * m1 as f32);
        let (d2, m2) = (d * sc2 as f32, dmin * m2 as f32);
        for l in 0..32 {
            let q = qs[32 * i + l];
            out[64 * i + l] = d1 * (q & 0xF) as f32 - m1;
            out[64 * i + 32 + l] = d2 * (q >> 4) as f32 - m2;
        }
    }
}

pub fn dequant_q6_k(b: &[u8], out: &mut [f32]) {
    let d = f16_at(b, 208);
    for half in 0..2 {
        let ql = &b[64 * half..];
        let qh = &b[128 + 32 * half..];
        let sc = &b[192 + 8 * half..];
        let o = &mut out[128 * half..];
        for l in 0..32 {
            let is = l / 16;
            let q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i32 - 32;
            let q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i32 - 32;
            let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32 - 32;
            let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32 - 32;
            o[l] = d * (sc[is] as i8) as f32 * q1 as f32;
            o[l + 32] = d * (sc[is + 2] as i8) as f32 * q2 as f32;
            o[l + 64] = d * (sc[is + 4] as i8) as f32 * q3 as f32;
            o[l + 96] = d * (sc[is + 6] as i8) as f32 * q4 as f32;
        }
    }
}

// Portable dot products: one weight row (`nb` blocks) against one quantized activation row.

pub fn dot_q8_0(w: &[u8], a: &Act32, row: usize) -> f32 {
    let mut acc = 0f32;
    for (b, blk) in w.chunks_exact(Q8_0_BYTES).enumerate() {
        let (ad, aq, _) = a.block(row, b);
        let s: i32 = blk[2..34]
            .iter()
            .zip(aq)
            .map(|(&w, &x)| (w as i8) as i32 * x as i32)
            .sum();
        acc += f16_at(blk, 0) * ad * s as f32;
    }
    acc
}

pub fn dot_q4_1(w: &[u8], a: &Act32, row: usize) -> f32 {
    let mut acc = 0f32;
    for (b, blk) in w.chunks_exact(Q4_1_BYTES).enumerate() {
        let (ad, aq, asum) = a.block(row, b);
        let mut s = 0i32;
        for j in 0..16 {
            let q = blk[4 + j];
            s += (q & 0xF) as i32 * aq[j] as i32 + (q >> 4) as i32 * aq[j + 16] as i32;
        }
        acc += f16_at(blk, 0) * ad * s as f32 + f16_at(blk, 2) * ad * asum as f32;
    }
    acc
}

pub fn dot_q5_0(w: &[u8], a: &Act32, row: usize) -> f32 {
    let mut acc = 0f32;
    for (b, blk) in w.chunks_exact(Q5_0_BYTES).enumerate() {
        let (ad, aq, asum) = a.block(row, b);
        let qh = u32::from_le_bytes([blk[2], blk[3], blk[4], blk[5]]);
        let mut s = 0i32;
        for j in 0..16 {
            let q = blk[6 + j];
            let h0 = ((qh >> j) << 4) & 0x10;
            let h1 = (qh >> (j + 12)) & 0x10;
            s += ((q & 0xF) as u32 | h0) as i32 * aq[j] as i32;
            s += ((q >> 4) as u32 | h1) as i32 * aq[j + 16] as i32;
        }
        acc += f16_at(blk, 0) * ad * (s - 16 * asum) as f32;
    }
    acc
}

pub fn dot_q4_k(w: &[u8], a: &Act256, row: usize) -> f32 {
    let mut acc = 0f32;
    for (b, blk) in w.chunks_exact(Q4_K_BYTES).enumerate() {
        let (ad, aq, bsums) = a.block(row, b);
        let (d, dmin) = (f16_at(blk, 0) * ad, f16_at(blk, 2) * ad);
        let scales = &blk[4..16];
        let qs = &blk[16..144];
        let (mut sumi, mut summ) = (0i32, 0i32);
        for j in 0..8 {
            let (sc, m) = q4k_scale_min(j, scales);
            let (chunk, high) = (j / 2, j % 2 == 1);
            let mut s = 0i32;
            for l in 0..32 {
                let q = qs[32 * chunk + l];
                let q = if high { q >> 4 } else { q & 0xF };
                s += q as i32 * aq[32 * j + l] as i32;
            }
            sumi += sc as i32 * s;
            summ += m as i32 * (bsums[2 * j] as i32 + bsums[2 * j + 1] as i32);
        }
        acc += d * sumi as f32 - dmin * summ as f32;
    }
    acc
}

pub fn dot_q6_k(w: &[u8], a: &Act256, row: usize) -> f32 {
    let mut acc = 0f32;
    for (b, blk) in w.chunks_exact(Q6_K_BYTES).enumerate() {
        let (ad, aq, bsums) = a.block(row, b);
        let d = f16_at(blk, 208) * ad;
        let mut sumi = 0i32;
        for half in 0..2 {
            let ql = &blk[64 * half..];
            let qh = &blk[128 + 32 * half..];
            let sc = &blk[192 + 8 * half..];
            let y = &aq[128 * half..];
            let mut s = [0i32; 8];
            for l in 0..32 {
                let is = l / 16;
                let q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i32;
                let q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i32;
                let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32;
                let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32;
                s[is] += q1 * y[l] as i32;
                s[is + 2] += q2 * y[l + 32] as i32;
                s[is + 4] += q3 * y[l + 64] as i32;
                s[is + 6] += q4 * y[l + 96] as i32;
            }
            for (k, &sk) in s.iter().enumerate() {
                sumi += (sc[k] as i8) as i32 * (sk - 32 * bsums[8 * half + k] as i32);
            }
        }
        acc += d * sumi as f32;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_and_minimums_unpack_as_the_one_at_a_time_reference() {
        let mut x = 0x9e37_79b9u32;
        for _ in 0..1000 {
            let mut bytes = [0u8; 12];
            for b in bytes.iter_mut() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = x as u8;
            }
            let (s8, m8) = q4k_scales_mins(&bytes);
            for j in 0..8 {
                let (s, m) = q4k_scale_min(j, &bytes);
                assert_eq!(((s8 >> (8 * j)) as u8, (m8 >> (8 * j)) as u8), (s, m));
            }
        }
    }
}
