//! The gated activations of a feed-forward layer, `gate ← act(gate) · up`, vectorized and
//! split across the team. Run one element at a time through libm's `expf`/`tanhf` on one
//! thread, Gemma 3's GELU took a fifth of a 512-token prompt while the other core waited.
//!
//! Both activations are written as `x / (1 + e^(-z))`: SiLU with `z = x`, and the tanh form of
//! GELU with `z = 2·√(2/π)·(x + 0.044715·x³)`, since `½·(1 + tanh(y)) = 1 / (1 + e^(-2y))`. The
//! exponential is Cephes' `expf` (range reduction by ln 2, a degree-6 polynomial; relative
//! error about 1e-7), written without branches so that the compiler vectorizes the loop.

use crate::pool::{Parts, Pool};

/// Elements below which the work stays on the calling thread: a decode step's few thousand
/// take less than handing out the parts.
const SPLIT: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// `x · σ(x)` (llama, Qwen, SmolLM).
    Silu,
    /// `½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, PyTorch's `gelu(approximate="tanh")` (Gemma).
    GeluTanh,
}

/// `gate[i] ← act(gate[i]) · up[i]`, across `pool` when there is enough of it.
pub fn gate_mul(pool: &Pool, act: Gate, gate: &mut [f32], up: &[f32]) {
    assert_eq!(gate.len(), up.len(), "gate and up differ in length");
    let n = gate.len();
    let parts = pool.threads();
    if parts == 1 || n < SPLIT {
        return gate_mul_here(act, gate, up);
    }
    // Cut at multiples of 16 so every part but the last runs whole vectors.
    let per = n.div_ceil(parts).div_ceil(16) * 16;
    let gates = Parts::new(gate.chunks_mut(per));
    let count = gates.len();
    pool.run(&|part, _| {
        if part < count {
            let start = part * per;
            let g = gates.take(part);
            gate_mul_here(act, g, &up[start..start + g.len()]);
        }
    });
}

/// [`gate_mul`] on this thread alone.
pub fn gate_mul_here(act: Gate, gate: &mut [f32], up: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::has_avx512f() {
            // SAFETY: AVX-512 F was detected.
            return unsafe { avx512(act, gate, up) };
        }
        if crate::has_avx2() {
            // SAFETY: AVX2 and FMA were detected.
            return unsafe { avx2(act, gate, up) };
        }
    }
    portable(act, gate, up)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn avx512(act: Gate, gate: &mut [f32], up: &[f32]) {
    portable(act, gate, up)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(act: Gate, gate: &mut [f32], up: &[f32]) {
    portable(act, gate, up)
}

#[inline(always)]
fn portable(act: Gate, gate: &mut [f32], up: &[f32]) {
    match act {
        Gate::Silu => {
            for (g, &u) in gate.iter_mut().zip(up) {
                *g = *g / (1.0 + exp(-*g)) * u;
            }
        }
        Gate::GeluTanh => {
            const TWO_SQRT_TWO_OVER_PI: f32 = 2.0 * 0.797_884_6;
            for (g, &u) in gate.iter_mut().zip(up) {
                let x = *g;
                let z = TWO_SQRT_TWO_OVER_PI * (x + 0.044_715 * x * x * x);
                *g = x / (1.0 + exp(-z)) * u;
            }
        }
    }
}

/// `x ← ½·x·(1 + erf(x/√2))`, the exact GELU of BERT (MiniLM), across `pool` when there is
/// enough of it.
pub fn gelu_erf(pool: &Pool, x: &mut [f32]) {
    let n = x.len();
    let parts = pool.threads();
    if parts == 1 || n < SPLIT {
        return gelu_erf_here(x);
    }
    let per = n.div_ceil(parts).div_ceil(16) * 16;
    let xs = Parts::new(x.chunks_mut(per));
    let count = xs.len();
    pool.run(&|part, _| {
        if part < count {
            gelu_erf_here(xs.take(part));
        }
    });
}

/// [`gelu_erf`] on this thread alone.
pub fn gelu_erf_here(x: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::has_avx512f() {
            // SAFETY: AVX-512 F was detected.
            return unsafe { gelu_avx512(x) };
        }
        if crate::has_avx2() {
            // SAFETY: AVX2 and FMA were detected.
            return unsafe { gelu_avx2(x) };
        }
    }
    gelu_portable(x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn gelu_avx512(x: &mut [f32]) {
    gelu_portable(x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gelu_avx2(x: &mut [f32]) {
    gelu_portable(x)
}

/// 1 + erf(z) by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), branch-free so
/// that the loop vectorizes, and without the cancellation of 1 - (1 - small) for z < 0.
#[inline(always)]
fn gelu_portable(xs: &mut [f32]) {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [
        0.254_829_6,
        -0.284_496_74,
        1.421_413_8,
        -1.453_152,
        1.061_405_4,
    ];
    for x in xs.iter_mut() {
        let z = *x * std::f32::consts::FRAC_1_SQRT_2;
        let a = z.abs();
        let t = 1.0 / (1.0 + P * a);
        let poly = ((((A[4] * t + A[3]) * t + A[2]) * t + A[1]) * t + A[0]) * t;
        let tail = poly * exp(-a * a);
        let one_plus_erf = if z < 0.0 { tail } else { 2.0 - tail };
        *x = 0.5 * *x * one_plus_erf;
    }
}

/// `e^x` for any finite `x` (saturating to 2^±127 outside ±88), branch-free.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 in two parts, so that x - n·ln 2 loses nothing.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    // Plain multiplies and adds, not `mul_add`: the same bits with or without FMA, and no
    // libm call where it is missing.
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let y = p * (r * r) + r + 1.0;
    y * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(act: Gate, x: f64) -> f64 {
        match act {
            Gate::Silu => x / (1.0 + (-x).exp()),
            Gate::GeluTanh => {
                let y = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
                0.5 * x * (1.0 + y.tanh())
            }
        }
    }

    #[test]
    fn gelu_erf_matches_the_f64_formula_on_every_path_and_thread_split() {
        let n = 40_000 + 7;
        let xs: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 9.0).collect();
        let mut here = xs.clone();
        gelu_portable(&mut here);
        for (&x, &got) in xs.iter().zip(&here) {
            let x = x as f64;
            let want = 0.5 * x * (1.0 + erf64(x / std::f64::consts::SQRT_2));
            assert!(
                (got as f64 - want).abs() <= 2e-7 * (1.0 + x.abs()),
                "gelu({x}) = {got}, want {want}"
            );
        }
        let mut fast = xs.clone();
        gelu_erf_here(&mut fast);
        let mut team = xs.clone();
        gelu_erf(&Pool::new(3), &mut team);
        for ((a, b), c) in here.iter().zip(&fast).zip(&team) {
            assert_eq!(a.to_bits(), b.to_bits());
            assert_eq!(b.to_bits(), c.to_bits());
        }
    }

    /// erf to f64 accuracy: the Maclaurin series where it converges fast, else the
    /// continued fraction of erfc.
    fn erf64(x: f64) -> f64 {
        let a = x.abs();
        let r = if a < 2.5 {
            let (mut term, mut sum, mut k) = (a, a, 0.0f64);
            while term.abs() > 1e-17 * sum.abs() {
                k += 1.0;
                term *= -a * a / k;
                sum += term / (2.0 * k + 1.0);
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc(a) = e^{-a²}/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + 2/(a + …)))))
            let mut f = a;
            for k in (1..60).rev() {
                f = a + (k as f64 / 2.0) / f;
            }
            1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / f
        };
        r.copysign(x)
    }

    #[test]
    fn exp_is_within_two_ulps_of_f64_over_the_whole_range() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let want = (x as f64).exp();
            let got = exp(x) as f64;
            worst = worst.max(((got - want) / want).abs());
            x += 0.0137;
        }
        assert!(worst < 2.5e-7, "worst relative error {worst}");
        assert_eq!(exp(0.0), 1.0);
        // Far outside the range it saturates instead of giving inf, 0 or NaN.
        assert!(exp(-1e30) > 0.0 && exp(-1e30) < 1e-37);
        assert!(exp(1e30).is_finite());
    }

    #[test]
    fn both_gates_match_their_f64_formulas_on_every_path_and_thread_split() {
        let n = 40_000 + 7; // not a multiple of 16, over the split threshold
        let xs: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 12.0).collect();
        let up: Vec<f32> = (0..n).map(|i| 1.0 + (i % 5) as f32 * 0.25).collect();
        for act in [Gate::Silu, Gate::GeluTanh] {
            let mut here = xs.clone();
            portable(act, &mut here, &up);
            for (i, (&x, &got)) in xs.iter().zip(&here).enumerate() {
                let want = reference(act, x as f64) * up[i] as f64;
                let err = (got as f64 - want).abs();
                // f32 rounding of z (|z| up to ~2,500) is what is left; the tanh form in f32
                // loses far more in the negative tail, where 1 + tanh(y) cancels.
                assert!(
                    err <= 4e-6 * want.abs() + 1e-9,
                    "{act:?}({x}) = {got}, want {want}"
                );
            }
            // The vector paths and the team compute the same operations, so the same bits.
            let mut fast = xs.clone();
            gate_mul_here(act, &mut fast, &up);
            let mut team = xs.clone();
            gate_mul(&Pool::new(3), act, &mut team, &up);
            for ((a, b), c) in here.iter().zip(&fast).zip(&team) {
                assert_eq!(a.to_bits(), b.to_bits());
                assert_eq!(b.to_bits(), c.to_bits());
            }
        }
    }
}
