//! What story grouping costs as the day grows: `n` synthetic article vectors (384 dimensions,
//! like MiniLM's) in stories of Zipf-distributed sizes within 40 topics, so that articles of one
//! story sit near 0.7 cosine, different stories of one topic near 0.35 (with the tail that
//! chains some of them at the story threshold), and different topics near 0. Prints the time
//! and peak memory of `stories::cluster`, and with `--rescan` of the reference that rescans
//! every pair after every merge, checking that both make the same stories.
//!
//! `cargo run --release --example reduce_scale -- 20000`
//! `cargo run --release --example reduce_scale -- 2000 --rescan [--threshold 0.2]`
use brief::report::stories;
use std::time::Instant;

struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Box-Muller.
    fn normal(&mut self) -> f32 {
        let (u, v) = (self.uniform(), self.uniform());
        ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
    }
    fn unit(&mut self, dim: usize) -> Vec<f32> {
        normalised((0..dim).map(|_| self.normal()).collect())
    }
}

fn normalised(v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / n).collect()
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let rescan = args.iter().any(|a| a == "--rescan");
    // A lower threshold than the product's chains more: the worst case for the components.
    let threshold: f32 = args
        .iter()
        .position(|a| a == "--threshold")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(stories::SAME_STORY);
    const DIM: usize = 384;
    const TOPICS: usize = 40;
    let mut rng = Lcg(0x5eed);
    let topics: Vec<Vec<f32>> = (0..TOPICS).map(|_| rng.unit(DIM)).collect();
    // Story sizes: Zipf over rank, so a few stories have many outlets and most have one.
    let mut vectors = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    let mut story = 0usize;
    while vectors.len() < n {
        let size = ((1.0 / rng.uniform()).floor() as usize)
            .clamp(1, 200)
            .min(n - vectors.len());
        let topic = &topics[story % TOPICS];
        let centre = rng.unit(DIM);
        for _ in 0..size {
            let noise = rng.unit(DIM);
            let v = (0..DIM)
                .map(|d| {
                    0.35f32.sqrt() * topic[d]
                        + 0.35f32.sqrt() * centre[d]
                        + 0.30f32.sqrt() * noise[d]
                })
                .collect();
            vectors.push(normalised(v));
            truth.push(story);
        }
        story += 1;
    }
    let before = peak_rss_mb();
    let t = Instant::now();
    let groups = stories::cluster(&vectors, threshold);
    let seconds = t.elapsed().as_secs_f64();
    let (p, r) = stories::pair_scores(&groups, &truth);
    let largest = groups.iter().map(Vec::len).max().unwrap_or(0);
    println!(
        "n {n}, threshold {threshold}: {story} true stories; cluster {seconds:.2} s, {} stories (largest {largest}), pairwise P {p:.3} R {r:.3}, peak RSS {:.0} MB (vectors alone {before:.0} MB)",
        groups.len(),
        peak_rss_mb()
    );
    if rescan {
        let t = Instant::now();
        let reference = stories::cluster_by_rescan(&vectors, threshold);
        println!(
            "n {n}: rescan {:.2} s, peak RSS {:.0} MB, same stories: {}",
            t.elapsed().as_secs_f64(),
            peak_rss_mb(),
            reference == groups
        );
        if reference != groups {
            std::process::exit(1);
        }
    }
}
