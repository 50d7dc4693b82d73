//! What `disagree` reports on stories it was not written for: every example of a dev set (or
//! every directory given), one block each, so false disagreements can be read and counted.
//!
//! `cargo run --release --example disagreements -- ../shared/eval/multinews_dev.jsonl seeds/`
use std::path::{Path, PathBuf};

use brief::check::evidence::Index;
use brief::ingest::sentences::Splitter;
use brief::ingest::Article;
use brief::llm::embed::Embedder;

fn main() -> anyhow::Result<()> {
    let dir = brief::llm::manifest::models_dir(None);
    let embedder = Embedder::load_default(&dir, true)?;
    let splitter = Splitter::news();
    let mut stories: Vec<(String, Vec<Article>)> = Vec::new();
    for arg in std::env::args().skip(1) {
        let path = Path::new(&arg);
        if path.is_dir() {
            let ingested = brief::ingest::ingest(&[PathBuf::from(path)], &Default::default())?;
            stories.push((arg.clone(), ingested.articles));
        } else {
            for ex in brief::measure::eval::read_examples(path, None)? {
                stories.push((ex.id.clone(), brief::measure::eval::articles_of(&ex)));
            }
        }
    }
    for (name, articles) in &stories {
        let index = Index::build(articles, &splitter, &embedder)?;
        let found = brief::disagree::find(&index);
        println!(
            "== {name} ({} sources, {} disagreements)",
            articles.len(),
            found.len()
        );
        for d in &found {
            println!("  [{:?}] {}", d.kind, d.about);
            for s in &d.sides {
                let ids: Vec<String> = s.sources.iter().map(|i| i.to_string()).collect();
                println!("    {} [{}]: {}", s.value, ids.join(","), s.sentence);
            }
        }
    }
    Ok(())
}
