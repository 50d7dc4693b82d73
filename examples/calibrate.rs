//! How the evidence threshold was chosen: for every reference sentence of a dev set, the best
//! evidence score in its own example's articles (what support looks like) and in the next
//! example's articles (what an unrelated story looks like), as percentiles.
//!
//! `cargo run --release --example calibrate -- ../shared/eval/multinews_dev.jsonl`
use brief::check::evidence::Index;
use brief::ingest::sentences::Splitter;
use brief::llm::embed::Embedder;

fn pct(v: &mut [f32], p: f32) -> f32 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f32 * p) as usize]
}

fn main() -> anyhow::Result<()> {
    let data = std::env::args()
        .nth(1)
        .unwrap_or("../shared/eval/multinews_dev.jsonl".into());
    let examples = brief::measure::eval::read_examples(std::path::Path::new(&data), None)?;
    let dir = brief::llm::manifest::models_dir(None);
    let embedder = Embedder::load_default(&dir, true)?;
    let splitter = Splitter::news();
    let indexes: Vec<Index> = examples
        .iter()
        .map(|ex| Index::build(&brief::measure::eval::articles_of(ex), &splitter, &embedder))
        .collect::<Result<_, _>>()?;
    let (mut own, mut other) = (Vec::new(), Vec::new());
    for (i, ex) in examples.iter().enumerate() {
        let refs: Vec<String> = ex
            .references
            .iter()
            .flat_map(|r| splitter.split(r))
            .collect();
        let embs = embedder.embed(&refs)?;
        for (r, e) in refs.iter().zip(&embs) {
            let best = |ix: &Index| ix.evidence(r, e).first().map_or(0.0, |x| x.score);
            own.push(best(&indexes[i]));
            other.push(best(&indexes[(i + 1) % indexes.len()]));
        }
    }
    for (name, v) in [("own story", &mut own), ("unrelated story", &mut other)] {
        println!(
            "{name:>16}: n={} p10={:.3} p25={:.3} p50={:.3} p75={:.3} p90={:.3} p95={:.3} p99={:.3}",
            v.len(),
            pct(v, 0.10),
            pct(v, 0.25),
            pct(v, 0.5),
            pct(v, 0.75),
            pct(v, 0.90),
            pct(v, 0.95),
            pct(v, 0.99)
        );
    }
    Ok(())
}
