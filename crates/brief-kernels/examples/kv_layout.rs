//! A decode step's attention over a KV cache laid out position-major (`[position][kv head]
//! [head dim]`: a head's rows a whole position apart) against head-major (`[kv head][position]
//! [head dim]`: a head's rows one run), smollm2's shape (30 layers, 3 kv heads of 64, 3 query
//! heads each) at 700 positions, one thread; with 96 MiB streamed between steps as a step's
//! weights would be, and without. Prints the attention's time a step.
//!
//! `cargo run --release -p brief-kernels --example kv_layout`
use brief_kernels::{attend_group, f16};
use std::time::Instant;
fn main() {
    let (len, hd, kvh, group, layers) = (700usize, 64usize, 3usize, 3usize, 30usize);
    let kv = kvh * hd;
    let mk = |n: usize, s: u32| -> Vec<f16> {
        (0..n)
            .map(|i| {
                f16::from_f32(
                    ((i as u32).wrapping_mul(2654435761).wrapping_add(s) >> 20) as f32 / 4096.0
                        - 0.5,
                )
            })
            .collect()
    };
    let pos_k: Vec<Vec<f16>> = (0..layers).map(|l| mk(len * kv, l as u32)).collect();
    let pos_v: Vec<Vec<f16>> = (0..layers).map(|l| mk(len * kv, 99 + l as u32)).collect();
    // The same keys and values, head-major.
    let hm = |src: &Vec<f16>| -> Vec<f16> {
        let mut d = vec![f16::ZERO; len * kv];
        for p in 0..len {
            for h in 0..kvh {
                for i in 0..hd {
                    d[(h * len + p) * hd + i] = src[p * kv + h * hd + i];
                }
            }
        }
        d
    };
    let head_k: Vec<Vec<f16>> = pos_k.iter().map(hm).collect();
    let head_v: Vec<Vec<f16>> = pos_v.iter().map(hm).collect();
    let q: Vec<f32> = (0..group * hd).map(|i| (i as f32 * 0.37).sin()).collect();
    let weights: Vec<u8> = vec![1u8; 96 << 20];
    let mut scores = Vec::new();
    let mut out = vec![0f32; group * hd];
    let mut sink = 0u64;
    for round in 0..4 {
        for way in [
            "position-major",
            "head-major",
            "no stream pos",
            "no stream head",
        ] {
            let mut t_att = 0.0;
            for _step in 0..20 {
                if !way.starts_with("no") {
                    // What the weights do to the caches between two steps.
                    let mut acc = 0u64;
                    for c in weights.chunks(64) {
                        acc = acc.wrapping_add(c[0] as u64);
                    }
                    sink = sink.wrapping_add(acc);
                }
                let t = Instant::now();
                for l in 0..layers {
                    for h in 0..kvh {
                        if way.ends_with("pos") || way == "position-major" {
                            attend_group(
                                &q,
                                group,
                                &pos_k[l][h * hd..],
                                &pos_v[l][h * hd..],
                                kv,
                                len,
                                0.125,
                                &mut scores,
                                &mut out,
                            );
                        } else {
                            attend_group(
                                &q,
                                group,
                                &head_k[l][h * len * hd..],
                                &head_v[l][h * len * hd..],
                                hd,
                                len,
                                0.125,
                                &mut scores,
                                &mut out,
                            );
                        }
                    }
                }
                t_att += t.elapsed().as_secs_f64();
            }
            println!(
                "round {round} {way:>15}: {:.3} ms attention a step",
                t_att / 20.0 * 1e3
            );
        }
    }
    println!("{sink}");
}
