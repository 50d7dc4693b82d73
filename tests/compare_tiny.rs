//! `brief compare` and `brief bench` through the real binary on tiny random-weight GGUFs: the
//! three report files, a self-contained HTML page, baseline regressions failing the command,
//! and sane bench figures. No real model is needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn brief(args: &[&str], models_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brief"))
        .args(args)
        .env("BRIEF_MODELS", models_dir)
        .env("BRIEF_OFFLINE", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("run brief")
}

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

/// One seed article, for the runs whose content does not matter.
fn one_seed() -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(seeds())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.remove(0)
}

fn tiny(dir: &Path, name: &str, seed: u64) -> String {
    let p = dir.join(name);
    brief::testing::write_tiny_llama(&p, seed).expect("write tiny gguf");
    p.to_str().unwrap().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn compare_writes_three_reports_and_fails_on_a_worse_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let m1 = tiny(dir.path(), "tiny1.gguf", 1);
    let m2 = tiny(dir.path(), "tiny2.gguf", 2);
    let out = dir.path().join("cmp");
    let models = format!("{m1},{m2}");
    let o = brief(
        &[
            "compare",
            "--models",
            &models,
            seeds().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--max-tokens",
            "8",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));

    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("compare.json")).unwrap()).unwrap();
    for name in ["tiny1", "tiny2"] {
        assert!(md.contains(&format!("### {name}")), "{md}");
        assert!(html.contains(name), "model {name} missing from the HTML");
    }
    // Self-contained: nothing is fetched when the page opens.
    for needle in [
        "src=\"http",
        "href=\"http",
        "<link",
        "<script",
        "@import",
        "url(",
    ] {
        assert!(
            !html.contains(needle),
            "HTML refers to an outside asset: {needle}"
        );
    }
    assert!(html.contains("<style>") && html.contains("class=\"grid\""));
    // The briefings come before the timings, so diffs of the briefings stay clean.
    assert!(md.find("## Briefings").unwrap() < md.find("## Speed").unwrap());

    let models = json["models"].as_array().unwrap();
    let labels: Vec<&str> = models
        .iter()
        .map(|m| m["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["tiny1", "tiny2"]);
    assert_eq!(json["input"]["sources"].as_array().unwrap().len(), 5);
    for m in models {
        assert!(m["speed"]["wall_secs"].as_f64().unwrap() > 0.0);
        assert!(m["speed"]["prompt_tokens"].as_u64().unwrap() > 0);
        assert!(m["quality"]["rouge1"].is_null(), "no references, no ROUGE");
        assert_eq!(m["outputs"].as_array().unwrap().len(), 1);
    }
    // Each worker reports its own peak memory.
    if cfg!(target_os = "linux") {
        assert!(models[0]["speed"]["peak_rss_mib"].as_f64().unwrap() > 1.0);
    }

    // A baseline where tiny1 printed more points than it can now (at most --points): a quality
    // regression.
    let mut old = json.clone();
    old["models"][0]["quality"]["points"] = serde_json::json!(50);
    old["models"][0]["speed"]["decode_tok_per_s"] = serde_json::json!(1e9);
    let old_path = dir.path().join("old.json");
    std::fs::write(&old_path, serde_json::to_vec(&old).unwrap()).unwrap();
    let out2 = dir.path().join("cmp2");
    let o = brief(
        &[
            "compare",
            "--models",
            &m1,
            one_seed().to_str().unwrap(),
            "--out",
            out2.to_str().unwrap(),
            "--max-tokens",
            "8",
            "--baseline",
            old_path.to_str().unwrap(),
            "--fail-on-regression",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let last = stderr(&o).lines().last().unwrap_or_default().to_string();
    assert!(last.contains("tiny1 points 50 → "), "{last}");
    assert!(
        !last.contains("decode"),
        "speed must not fail without --fail-on-speed: {last}"
    );
    // The reports are still written, with the regressions marked.
    let md = std::fs::read_to_string(out2.join("compare.md")).unwrap();
    assert!(md.contains("▼ "), "{md}");
    let html = std::fs::read_to_string(out2.join("compare.html")).unwrap();
    assert!(html.contains("class=\"reg\""));
    let json2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out2.join("compare.json")).unwrap()).unwrap();
    let regs = json2["baseline"]["regressions"].as_array().unwrap();
    assert!(regs
        .iter()
        .any(|r| r["figure"] == "decode_tok_per_s" && r["kind"] == "speed"));
}

#[test]
fn compare_refuses_an_unknown_model_before_running_any() {
    let dir = tempfile::tempdir().unwrap();
    let m1 = tiny(dir.path(), "tiny1.gguf", 1);
    let models = format!("{m1},no-such-model");
    let out = dir.path().join("cmp");
    let o = brief(
        &[
            "compare",
            "--models",
            &models,
            seeds().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("unknown model `no-such-model`"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing should be written");
}

#[test]
fn a_worker_that_fails_on_bad_input_makes_compare_exit_2_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.gguf");
    std::fs::write(&bad, b"this is not a model").unwrap();
    let out = dir.path().join("cmp");
    let o = brief(
        &[
            "compare",
            "--models",
            bad.to_str().unwrap(),
            one_seed().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with("brief: bad: "), "{err}");
    assert!(last.contains("not a valid GGUF"), "{err}");
    assert_eq!(
        err.matches("not a valid GGUF").count(),
        1,
        "printed once: {err}"
    );
}

#[test]
fn bench_gives_positive_figures_for_a_tiny_model() {
    let dir = tempfile::tempdir().unwrap();
    let m = tiny(dir.path(), "tiny.gguf", 5);
    let json = dir.path().join("bench.json");
    let o = brief(
        &[
            "bench",
            "--models",
            &m,
            "--runs",
            "1",
            "--json",
            json.to_str().unwrap(),
            "--seeds",
            one_seed().to_str().unwrap(),
            "--max-tokens",
            "8",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("| tiny |"), "{table}");
    assert!(table.contains("cores"), "the machine is printed: {table}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["prompt_tokens"], 512);
    assert_eq!(v["decode_tokens"], 128);
    assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
    let m = &v["models"][0];
    for key in [
        "load_secs",
        "prefill_tok_per_s",
        "decode_tok_per_s",
        "e2e_secs",
    ] {
        let median = m[key]["median"].as_f64().unwrap_or(-1.0);
        assert!(median > 0.0 && median.is_finite(), "{key}: {}", m[key]);
    }
    assert_eq!(m["runs"].as_array().unwrap().len(), 1);
}

#[test]
fn bench_refuses_a_missing_or_non_executable_llama_bench_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let m = tiny(dir.path(), "tiny.gguf", 5);
    let missing = dir.path().join("no-such-llama-bench");
    let plain = dir.path().join("llama-bench");
    std::fs::write(&plain, "not a program\n").unwrap();
    for (path, why) in [
        (&missing, "no such file"),
        (&plain, "not executable"),
        (&dir.path().to_path_buf(), "not a file"),
    ] {
        let o = brief(
            &[
                "bench",
                "--no-e2e",
                "--models",
                &m,
                "--llama-bench",
                path.to_str().unwrap(),
            ],
            dir.path(),
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert_eq!(
            err.trim_end(),
            format!("brief: {}: {why}", path.display()),
            "{err}"
        );
        assert!(o.stdout.is_empty(), "nothing is benched before the refusal");
    }
}
