//! How fast this machine streams memory that no cache holds, per thread count: the ceiling
//! for a decode step, which reads every weight once (a 1.5B Q4_K_M model reads 1.1 GB a
//! token, so at 30 GB/s it cannot decode faster than about 27 tokens a second).
//!
//!     cargo run --release -p brief-kernels --example read_bandwidth [GIB] [ROUNDS]
//!
//! Each thread sums its contiguous share of a buffer of GIB GiB (default 1), ROUNDS times
//! (default 5) for 1 thread and for 2; the figure is bytes read per second of wall time.

use std::hint::black_box;
use std::time::Instant;

fn sum(words: &[u64]) -> u64 {
    // Eight independent sums, so the loop waits on memory rather than on an add chain.
    let mut acc = [0u64; 8];
    for c in words.chunks_exact(8) {
        for (a, w) in acc.iter_mut().zip(c) {
            *a = a.wrapping_add(*w);
        }
    }
    acc.iter().fold(0, |s, a| s.wrapping_add(*a))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let gib: usize = args
        .get(1)
        .map_or(1, |s| s.parse().expect("GIB: a whole number"));
    let rounds: usize = args
        .get(2)
        .map_or(5, |s| s.parse().expect("ROUNDS: a whole number"));
    let words = gib << 27;
    // Written once, so that every page is really there before timing.
    let buf: Vec<u64> = (0..words as u64).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [1, 2.min(cores).max(1)] {
        let mut rates = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            std::thread::scope(|s| {
                for part in buf.chunks(words.div_ceil(threads)) {
                    s.spawn(move || black_box(sum(part)));
                }
            });
            rates.push((words * 8) as f64 / t.elapsed().as_secs_f64() / 1e9);
        }
        rates.sort_by(f64::total_cmp);
        println!(
            "{threads} thread(s): median {:.1} GB/s ({:.1}–{:.1}) over {rounds} reads of {gib} GiB",
            rates[rates.len() / 2],
            rates[0],
            rates[rates.len() - 1]
        );
    }
}
