//! Prompt attention on one thread: a causal prompt of LEN positions (default 1024), head
//! dimension HD (64), GROUP query heads to a kv head (3: smollm2's shape), row by row
//! (`attend`, each head of each row against every key it sees, as a decode step does) against tiles of sixteen rows
//! (`attend_tile`), alternating, five rounds; prints each round's time and GFLOP/s.
//!
//! `cargo run --release -p brief-kernels --example attention_speed`

use std::time::Instant;

use brief_kernels::{attend, attend_group, attend_tile, f16};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (len, hd, group) = (env("LEN", 1024), env("HD", 64), env("GROUP", 3));
    let stride = hd;
    let mut seed = 7u64;
    let mut rnd = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let q: Vec<f32> = (0..len * group * hd).map(|_| rnd()).collect();
    let k: Vec<f16> = (0..len * stride).map(|_| f16::from_f32(rnd())).collect();
    let v: Vec<f16> = (0..len * stride).map(|_| f16::from_f32(rnd())).collect();
    let scale = 1.0 / (hd as f32).sqrt();
    let mut out = vec![0f32; len * group * hd];
    let mut scratch = Vec::new();
    // Two FMAs (scores, values) per query head, key seen and dimension.
    let flops = 4.0 * (group * hd) as f64 * (len * (len + 1) / 2) as f64;
    for round in 0..5 {
        for way in ["row by row", "grouped", "tiles"] {
            let tiled = way == "tiles";
            let t0 = Instant::now();
            if way == "grouped" {
                for r in 0..len {
                    let at = r * group * hd..(r + 1) * group * hd;
                    let (qh, oh) = (&q[at.clone()], &mut out[at]);
                    attend_group(qh, group, &k, &v, stride, r + 1, scale, &mut scratch, oh);
                }
            } else if tiled {
                for r0 in (0..len).step_by(16) {
                    let rows = r0..(r0 + 16).min(len);
                    let qs: Vec<&[f32]> = q[r0 * group * hd..rows.end * group * hd]
                        .chunks_exact(hd)
                        .collect();
                    let spans: Vec<_> = rows.clone().flat_map(|r| vec![0..r + 1; group]).collect();
                    let mut outs: Vec<&mut [f32]> = out[r0 * group * hd..rows.end * group * hd]
                        .chunks_exact_mut(hd)
                        .collect();
                    attend_tile(&qs, &spans, &k, &v, stride, scale, &mut scratch, &mut outs);
                }
            } else {
                for r in 0..len {
                    for g in 0..group {
                        let at = (r * group + g) * hd..(r * group + g + 1) * hd;
                        let (qh, oh) = (&q[at.clone()], &mut out[at]);
                        attend(qh, &k, &v, stride, r + 1, scale, &mut scratch, oh);
                    }
                }
            }
            let s = t0.elapsed().as_secs_f64();
            println!(
                "round {round} {:>9}: {:7.1} ms  {:5.1} GFLOP/s",
                way,
                s * 1e3,
                flops / s / 1e9
            );
        }
    }
}
