//! The claim checker through the binary (`brief check`), and the properties it gives a
//! briefing: no two points state one fact, no dateline, a quotation names its speaker, facts
//! one outlet alone reports still appear with their one citation, and every sentence of every
//! per-article summary carries a verdict and its evidence. The articles are written here; the
//! summaries come from a tiny random-weight model (so nearly all of them are nonsense the
//! checker must replace), the evidence from the real MiniLM.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn brief(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brief"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run brief")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Three reports of one invented story: one fact all three give (differently worded), and
/// facts only one gives; the first report opens with a dateline and quotes a spokeswoman by
/// surname after naming her in full.
fn story(dir: &Path) -> Vec<PathBuf> {
    let texts = [
        "KARVIA - The Karvian government closed the Dornel border crossing on Tuesday after floods washed away the main bridge, officials said. \
         Interior ministry spokeswoman Lena Marsh said the crossing would stay shut for at least two weeks. \
         Engineers from the state rail company began inspecting three other bridges on the river. \
         “We will not reopen the crossing until the engineers say it is safe,” Marsh said. \
         About 400 trucks were waiting on the Ostrian side of the border by Tuesday evening, according to the customs agency.",
        "Karvia shut its Dornel border crossing on Tuesday because floodwater destroyed the bridge that carries most of the traffic. \
         The regional governor, Pavel Ruzek, asked the army to help evacuate two villages downstream of the bridge. \
         Rainfall in the valley reached 180 millimetres in two days, the national weather service reported. \
         Schools in the district will remain closed until Friday.",
        "The Dornel crossing between Karvia and Ostria was closed on Tuesday after the flooded river swept away the main bridge. \
         Ostrian hauliers said the closure would cost them millions in lost deliveries each week. \
         An insurance group estimated the damage to the bridge alone at 35 million euros. \
         The European Commission offered emergency funds to both countries on Wednesday.",
    ];
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let p = dir.join(format!("{i}.txt"));
            std::fs::write(&p, t).unwrap();
            p
        })
        .collect()
}

fn run_json(args: &[&str]) -> Value {
    let o = brief(args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

#[test]
fn a_briefing_covers_the_story_once_and_every_summary_sentence_has_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    brief::testing::write_tiny_llama(&model, 11).unwrap();
    let files = story(dir.path());
    let mut args = vec![
        "run",
        "--model",
        model.to_str().unwrap(),
        "--format",
        "json",
        "--max-tokens",
        "24",
        "--points",
        "8",
    ];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let doc = run_json(&args);
    let b = &doc["briefing"];
    // The lede is a statement like the points: one checked sentence, read first.
    let lede = &b["lede"];
    assert!(lede["text"].is_string(), "no lede: {b}");
    let points: Vec<&Value> = std::iter::once(lede)
        .chain(b["points"].as_array().unwrap())
        .collect();
    assert!(points.len() >= 4, "{points:?}");
    let texts: Vec<&str> = points.iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert!(!b["points"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["text"] == lede["text"]));

    // The shared fact leads, citing every source; no other point restates it.
    assert!(lede["sources"].as_array().unwrap().len() >= 2, "{texts:?}");
    assert_eq!(b["stats"]["redundant_pairs"], 0, "{texts:?}");
    let about_closure = texts
        .iter()
        .filter(|t| {
            let t = t.to_lowercase();
            (t.contains("closed") || t.contains("shut")) && t.contains("tuesday")
        })
        .count();
    assert_eq!(about_closure, 1, "{texts:?}");

    // Facts only one outlet reports appear, each citing that one outlet.
    let single: Vec<&&Value> = points
        .iter()
        .filter(|p| p["sources"].as_array().unwrap().len() == 1)
        .collect();
    assert!(single.len() >= 2, "{texts:?}");

    // No dateline, and a quotation names its speaker in full.
    for t in &texts {
        assert!(!t.starts_with("KARVIA"), "{t}");
        if t.contains("“We will not reopen") {
            assert!(t.contains("Lena Marsh said"), "{t}");
        }
    }
    for p in &points {
        assert_eq!(p["verdict"]["supported"], true, "{p}");
    }

    // Every summary sentence carries a verdict and evidence from its own article; what is
    // printed is supported or is the article's own sentence.
    for s in doc["sources"].as_array().unwrap() {
        let sentences = s["sentences"].as_array().unwrap();
        assert!(!sentences.is_empty(), "{s}");
        for x in sentences {
            let ev = x["verdict"]["evidence"].as_array().unwrap();
            assert!(!ev.is_empty(), "{x}");
            for e in ev {
                assert_eq!(e["source"], s["id"], "{x}");
            }
            let printed_supported =
                x["verdict"]["supported"] == true || x.get("replaced").is_some();
            assert!(printed_supported, "{x}");
        }
    }
    let stats = &b["stats"];
    assert_eq!(
        stats["summary_sentences"].as_u64().unwrap(),
        doc["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["sentences"].as_array().unwrap().len() as u64)
            .sum::<u64>()
    );
}

#[test]
fn check_marks_a_true_date_on_the_wrong_event_and_the_wrong_speaker() {
    let dir = tempfile::tempdir().unwrap();
    let files = story(dir.path());
    let text = dir.path().join("claims.md");
    std::fs::write(
        &text,
        "# What happened\n\n\
         - The Karvian government closed the Dornel border crossing on Tuesday after floods washed away the main bridge.\n\
         - Schools in the district will remain closed until Tuesday.\n\
         - Governor Pavel Ruzek said the crossing would stay shut for at least two weeks.\n",
    )
    .unwrap();
    let mut args = vec!["check", "--format", "json", "--sources"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    args.push(text.to_str().unwrap());
    let o = brief(&args);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = v["sentences"].as_array().unwrap();
    assert_eq!(s.len(), 3, "{v}");
    assert_eq!(s[0]["supported"], true, "{}", s[0]);
    assert_eq!(s[1]["supported"], false, "{}", s[1]);
    assert_eq!(s[1]["reason"]["kind"], "misplaced_figure", "{}", s[1]);
    assert_eq!(s[2]["supported"], false, "{}", s[2]);
    assert!(s[0]["evidence"][0]["sentence"]
        .as_str()
        .unwrap()
        .contains("Dornel"));

    // All supported: exit 0. And a text without sources is a usage error.
    std::fs::write(&text, "Karvia shut its Dornel border crossing on Tuesday because floodwater destroyed the bridge.\n").unwrap();
    let o = brief(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = brief(&["check", "--sources", text.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn check_scores_a_labelled_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("claims.jsonl");
    let doc = "The council approved the new budget on Monday by nine votes to four. The mayor said the budget would fund two new schools.";
    let mut lines = String::new();
    for (i, (claim, label)) in [
        ("The council approved the budget on Monday.", 1),
        ("The mayor said the budget would fund two new schools.", 1),
        (
            "The council rejected the budget on Friday by four votes.",
            0,
        ),
        (
            "The governor said the budget would close three hospitals.",
            0,
        ),
    ]
    .iter()
    .enumerate()
    {
        lines.push_str(
            &serde_json::json!({"id": format!("c{i}"), "document": doc, "claim": claim, "label": label, "meta": {"corpus": "test"}})
                .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(&data, lines).unwrap();
    let o = brief(&[
        "check",
        "--data",
        data.to_str().unwrap(),
        "--format",
        "json",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["pooled"]["claims"], 4);
    assert_eq!(r["pooled"]["auc"], 1.0, "{r}");
    assert_eq!(r["pooled"]["balanced_accuracy"], 1.0, "{r}");
}
