//! A long article through the real binary on the tiny test model: split into dozens of
//! chunks, it finishes with exit 0 and a briefing, and says how far it has got after every
//! batch of chunks (it used to show nothing for minutes after "summarizing 1 articles").
//! Chunk summaries too long together for one prompt are combined in token-bounded groups, a
//! level at a time, each level with its own progress lines: the second test gives the tiny
//! model a short context, so its prompt budget is small enough for its summaries to get there.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// Many distinct sentences (names and figures vary), so chunking and the checker see a real
/// article's work, not one sentence repeated that deduplication would fold away.
fn long_article(bytes: usize) -> String {
    const WHO: &[&str] = &[
        "Maria Okafor",
        "Tomas Lindqvist",
        "Aiko Tanaka",
        "Ravi Mensah",
    ];
    const WHERE: &[&str] = &["Harbour Street", "Riverside", "Kingsbridge", "Marston"];
    let mut out = String::from("Council budget row deepens as districts wait\n\n");
    let mut i: u64 = 0;
    while out.len() < bytes {
        for _ in 0..4 {
            i += 1;
            let (who, at) = (WHO[(i % 4) as usize], WHERE[(i / 4 % 4) as usize]);
            let n = (i * 7919) % 9000 + 10;
            let _ = write!(
                out,
                "{who} said {n} households in {at} had waited {} weeks for repairs. ",
                i % 50 + 2
            );
        }
        out.push_str("\n\n");
    }
    out
}

/// The numbers in "N chunk summaries, T tokens together, over the B-token budget".
fn combine_lines(log: &str) -> Vec<(usize, usize)> {
    log.lines()
        .filter_map(|l| {
            let rest = &l[l.find(" chunk summaries, ")?..];
            let parts = l[..l.len() - rest.len()].rsplit(' ').next()?.parse().ok()?;
            let tokens = rest
                .strip_prefix(" chunk summaries, ")?
                .split(' ')
                .next()?
                .parse()
                .ok()?;
            Some((parts, tokens))
        })
        .collect()
}

#[test]
fn a_long_article_finishes_in_chunks_with_a_progress_line_per_batch() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    brief::testing::write_tiny_llama(&model, 7).unwrap();
    let article = dir.path().join("long.txt");
    std::fs::write(&article, long_article(48 * 1024)).unwrap();
    let out = dir.path().join("briefing.json");
    let o = Command::new(env!("CARGO_BIN_EXE_brief"))
        .args(["-v", "run"])
        .arg(&article)
        .arg("--model")
        .arg(&model)
        .args(["--format", "json", "-o"])
        .arg(&out)
        .env_remove("RUST_LOG")
        .output()
        .expect("run brief");
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{log}");

    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let chunks = v["sources"][0]["chunks"].as_u64().unwrap() as usize;
    assert!(chunks > 8, "{chunks} chunks");
    assert!(v["sources"][0]["summary"].is_string());
    assert!(
        !v["briefing"]["points"].as_array().unwrap().is_empty(),
        "{v}"
    );

    // Where the chunk summaries are too long together for one prompt, the combine step says
    // so and how many tokens they came to, and a level of grouping follows. The tiny model
    // stops after a few tokens a summary, so here they fit and no level is logged; the
    // grouping itself is `summarize::tests::chunk_summaries_are_combined_in_token_bounded_groups`.
    for (parts, tokens) in combine_lines(&log) {
        assert_eq!(parts, chunks, "{log}");
        assert!(tokens > 0, "{log}");
        assert!(
            log.contains("combining chunk summaries, level 1: ") || log.contains("cut to fit"),
            "{log}"
        );
    }

    // A progress line per batch of chunks, then per level of combining, up to all of them.
    assert!(
        log.contains(&format!("chunks: {chunks}/{chunks} done")),
        "{log}"
    );
    assert!(log.contains("final summaries: 1/1 done"), "{log}");
    let chunk_lines = log.lines().filter(|l| l.contains(" chunks: ")).count();
    assert_eq!(
        chunk_lines,
        chunks.div_ceil(brief::summarize::BATCH),
        "{log}"
    );
    assert!(Path::new(&out).exists());
}

/// The combine path end to end: with a 1,024-position context and the tiny model's byte-level
/// tokenizer the chunk budget is a few hundred tokens, so two dozen chunk summaries are far
/// too long for one prompt. Joining them all, as the pipeline once did, overflowed the context;
/// now they are combined in groups, a level at a time, and the run ends with one summary.
/// Sampled (`--temperature 1`): greedy, the random model repeats a control token that decodes
/// to nothing, and empty summaries never need combining.
#[test]
fn chunk_summaries_too_long_for_one_prompt_are_combined_in_levels() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny-1024.gguf");
    brief::testing::write_tiny_llama_with_context(&model, 7, 1024).unwrap();
    let article = dir.path().join("long.txt");
    std::fs::write(&article, long_article(8 * 1024)).unwrap();
    let out = dir.path().join("briefing.json");
    let o = Command::new(env!("CARGO_BIN_EXE_brief"))
        .args(["-v", "run"])
        .arg(&article)
        .arg("--model")
        .arg(&model)
        .args([
            "--max-tokens",
            "48",
            "--temperature",
            "1.0",
            "--format",
            "json",
            "-o",
        ])
        .arg(&out)
        .env_remove("RUST_LOG")
        .output()
        .expect("run brief");
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{log}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let chunks = v["sources"][0]["chunks"].as_u64().unwrap() as usize;
    assert!(chunks > 20, "{chunks} chunks");
    assert!(v["sources"][0]["summary"].is_string(), "{v}");

    let levels = combine_lines(&log);
    assert!(!levels.is_empty(), "no combine step was logged:\n{log}");
    // The first level starts from every chunk summary, each later one from fewer than half
    // of the one before, and all of them were over the budget together.
    assert_eq!(levels[0].0, chunks, "{log}");
    for pair in levels.windows(2) {
        assert!(pair[1].0 * 2 <= pair[0].0 + 1, "{levels:?}\n{log}");
    }
    assert!(
        log.contains("combining chunk summaries, level 1: "),
        "{log}"
    );
    assert!(log.contains("final summaries: 1/1 done"), "{log}");
}
