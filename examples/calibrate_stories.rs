//! How the story threshold was chosen: every article of the dev sets pooled (each multinews
//! example is one story of several outlets, each xsum article a story of its own, the seeds
//! one story), then for each threshold the pairwise precision and recall of the grouping, and
//! the similarity of article pairs within and across stories as percentiles.
//!
//! `cargo run --release --example calibrate_stories -- ../shared/eval seeds`
use brief::ingest::sentences::Splitter;
use brief::ingest::{self, IngestOptions};
use brief::llm::embed::{cosine, Embedder};
use brief::report::stories;

fn pct(v: &mut [f32], p: f32) -> f32 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f32 * p) as usize]
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let eval_dir = std::path::PathBuf::from(args.next().unwrap_or("../shared/eval".into()));
    let seeds = std::path::PathBuf::from(args.next().unwrap_or("seeds".into()));
    let mut articles = Vec::new();
    let mut truth = Vec::new();
    let mut story = 0usize;
    for file in ["multinews_dev.jsonl", "xsum_dev.jsonl"] {
        for ex in brief::measure::eval::read_examples(&eval_dir.join(file), None)? {
            for a in brief::measure::eval::articles_of(&ex) {
                articles.push(a);
                truth.push(story);
            }
            story += 1;
        }
    }
    for a in ingest::ingest(&[seeds], &IngestOptions::default())?.articles {
        articles.push(a);
        truth.push(story);
    }
    let dir = brief::llm::manifest::models_dir(None);
    let embedder = Embedder::load_default(&dir, true)?;
    let splitter = Splitter::news();
    let refs: Vec<&ingest::Article> = articles.iter().collect();
    // BRIEF_LEAD=N tries another lead length (the shipped one is stories::LEAD_SENTENCES).
    let t = std::time::Instant::now();
    let vectors = match std::env::var("BRIEF_LEAD")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(n) => {
            let texts: Vec<String> = refs
                .iter()
                .map(|a| {
                    let mut p: Vec<String> = a.title.iter().cloned().collect();
                    p.extend(splitter.split(&a.text).into_iter().take(n));
                    p.join(" ")
                })
                .collect();
            embedder.embed(&texts)?
        }
        None => stories::vectors(&refs, &splitter, &embedder)?,
    };
    println!(
        "{} articles, {} true stories; embedded in {:.1} s",
        articles.len(),
        story + 1,
        t.elapsed().as_secs_f64()
    );
    let (mut same, mut other) = (Vec::new(), Vec::new());
    for i in 0..vectors.len() {
        for j in (i + 1)..vectors.len() {
            let s = cosine(&vectors[i], &vectors[j]);
            if truth[i] == truth[j] {
                same.push(s)
            } else {
                other.push(s)
            }
        }
    }
    for (name, v) in [("same story", &mut same), ("other story", &mut other)] {
        println!(
            "{name:>12}: n={} p01={:.3} p10={:.3} p25={:.3} p50={:.3} p75={:.3} p90={:.3} p99={:.3} p999={:.3}",
            v.len(),
            pct(v, 0.01),
            pct(v, 0.10),
            pct(v, 0.25),
            pct(v, 0.5),
            pct(v, 0.75),
            pct(v, 0.90),
            pct(v, 0.99),
            pct(v, 0.999)
        );
    }
    println!("threshold  groups  pair-precision  pair-recall  F1");
    for t in (30..=80).step_by(5) {
        let t = t as f32 / 100.0;
        let groups = stories::cluster(&vectors, t);
        let (p, r) = stories::pair_scores(&groups, &truth);
        println!(
            "{t:>9.2}  {:>6}  {p:>14.3}  {r:>11.3}  {:.3}",
            groups.len(),
            2.0 * p * r / (p + r).max(1e-9)
        );
    }
    Ok(())
}
