//! The whole pipeline through the real binary on a tiny random-weight GGUF that the test
//! writes itself: the JSON contract, atomic output, and one-line errors with exit 2 for bad
//! input. Fast: no real model is needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary. The tiny model is passed by path; the embedding model comes from the
/// normal models directory (fetched on first use), shared with the other tests.
fn brief(args: &[&str], _scratch: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brief"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run brief")
}

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

fn tiny_model(dir: &Path) -> PathBuf {
    let p = dir.join("tiny.gguf");
    brief::testing::write_tiny_llama(&p, 7).expect("write tiny gguf");
    p
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The last stderr line is the error: one line, naming what is wrong.
fn assert_bad_input(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    let err = stderr(o);
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with("brief: "), "{err}");
    assert!(last.contains(needle), "expected `{needle}` in: {last}");
}

#[test]
fn tiny_model_runs_the_whole_pipeline_and_honours_the_json_contract() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let out = dir.path().join("briefing.json");
    let o = brief(
        &[
            "run",
            seeds().to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--format",
            "json",
            "--max-tokens",
            "24",
            "-o",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let sources = v["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 5);
    let ids: Vec<&str> = sources.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["S1", "S2", "S3", "S4", "S5"]);
    for s in sources {
        assert!(s["path"].as_str().unwrap().ends_with(".txt"));
        assert!(s["summary"].is_string() && s.get("title").is_some());
    }
    assert!(v["briefing"]["headline"].is_string());
    for p in v["briefing"]["points"].as_array().unwrap() {
        let cited = p["sources"].as_array().unwrap();
        assert!(
            !cited.is_empty(),
            "a point without a source was printed: {p}"
        );
        for id in cited {
            assert!(ids.contains(&id.as_str().unwrap()), "unknown source {id}");
        }
    }
    let run = &v["run"];
    assert_eq!(run["model"]["architecture"], "llama");
    assert_eq!(run["model"]["sha256"].as_str().unwrap().len(), 64);
    assert!(run["prompts"]["hashes"]["article.j2"].is_string());
    assert_eq!(run["params"]["summary"]["max_tokens"], 24);
    assert!(run["tokens"]["prompt_tokens"].as_u64().unwrap() > 1000);
    assert!(run["timings"]["total_secs"].as_f64().unwrap() > 0.0);
    // Nothing but the output is left in the directory: no temp files.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
}

#[test]
fn markdown_is_the_default_and_lists_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let o = brief(
        &[
            "run",
            seeds().to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--max-tokens",
            "8",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(md.starts_with("# "), "{md}");
    assert!(md.contains("## Sources"));
    for id in 1..=5 {
        assert!(md.contains(&format!("**[S{id}]")), "S{id} missing:\n{md}");
    }
}

fn run_expecting_failure(dir: &Path, input: &Path, model: &str) -> (Output, PathBuf) {
    let out = dir.join("out.md");
    let o = brief(
        &[
            "run",
            input.to_str().unwrap(),
            "--model",
            model,
            "-o",
            out.to_str().unwrap(),
        ],
        dir,
    );
    (o, out)
}

#[test]
fn bad_inputs_give_one_line_errors_exit_2_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let m = model.to_str().unwrap();

    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let (o, out) = run_expecting_failure(dir.path(), &empty, m);
    assert_bad_input(&o, "empty.txt");
    assert!(!out.exists());

    let binary = dir.path().join("binary.txt");
    std::fs::write(&binary, [0u8, 159, 146, 150, 0, 1, 2, 3, 255, 254]).unwrap();
    let (o, out) = run_expecting_failure(dir.path(), &binary, m);
    assert_bad_input(&o, "binary.txt");
    assert!(!out.exists());

    let missing = dir.path().join("nope.txt");
    let (o, out) = run_expecting_failure(dir.path(), &missing, m);
    assert_bad_input(&o, "nope.txt");
    assert!(!out.exists());

    let feed = dir.path().join("broken.rss");
    std::fs::write(&feed, "<?xml version=\"1.0\"?><urlset></urlset>").unwrap();
    let (o, out) = run_expecting_failure(dir.path(), &feed, m);
    assert_bad_input(&o, "broken.rss: not a readable feed");
    assert!(!out.exists());

    // A feed that crashes its parser, named on the command line: the run stops, and the line
    // says so (it used to end "skipped", as it still does for a file found in a directory).
    let crash = dir.path().join("crash.atom");
    std::fs::write(
        &crash,
        concat!(
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?></title><entry><title>x</title>",
            "</entry></feed>"
        ),
    )
    .unwrap();
    let (o, out) = run_expecting_failure(dir.path(), &crash, m);
    assert_bad_input(&o, "crash.atom: the parser failed");
    let last = stderr(&o).lines().last().unwrap_or_default().to_string();
    assert!(last.ends_with("the run stopped"), "{last}");
    assert!(!last.contains("skipped"), "{last}");
    assert!(!out.exists());
}

#[test]
fn feed_entries_are_sources_with_links_dates_and_teaser_flags() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let feed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/feeds/world.rss");
    let o = brief(
        &[
            "run",
            feed.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--format",
            "json",
            "--max-tokens",
            "8",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sources = v["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    assert!(sources[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("world.rss#1"));
    assert_eq!(sources[0]["published"], "2024-03-05T16:42:00Z");
    assert!(sources[0].get("teaser").is_none(), "false is left out");
    assert_eq!(
        sources[1]["url"],
        "https://harbourgazette.example/business/2024/03/06/rates-held"
    );
    assert_eq!(sources[1]["teaser"], true);
}

#[test]
fn a_truncated_gguf_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let bytes = std::fs::read(&model).unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (o, out) = run_expecting_failure(dir.path(), &seeds(), cut.to_str().unwrap());
    assert_bad_input(&o, "cut.gguf");
    assert!(!out.exists());

    let not_gguf = dir.path().join("text.gguf");
    std::fs::write(&not_gguf, "this is not a model").unwrap();
    let (o, _) = run_expecting_failure(dir.path(), &seeds(), not_gguf.to_str().unwrap());
    assert_bad_input(&o, "text.gguf");
}

#[test]
fn a_model_whose_sha256_differs_from_its_manifest_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let size = std::fs::metadata(&model).unwrap().len();
    let model_dir = dir.path().join("tiny");
    std::fs::create_dir_all(&model_dir).unwrap();
    std::fs::rename(&model, model_dir.join("tiny.gguf")).unwrap();
    let manifest = format!(
        r#"name = "tiny"
description = "test"
architecture = "llama"
role = "chat"
license = "none"
upstream = "none"
hub_repo = "none/none"
[[files]]
name = "tiny.gguf"
size = {size}
sha256 = "{}"
hub_file = "tiny.gguf"
parts = []
"#,
        "0".repeat(64)
    );
    std::fs::write(dir.path().join("tiny.toml"), manifest).unwrap();
    let out = dir.path().join("out.md");
    let o = brief(
        &[
            "--models-dir",
            dir.path().to_str().unwrap(),
            "run",
            seeds().to_str().unwrap(),
            "--model",
            "tiny",
            "-o",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_bad_input(&o, "sha256");
    assert!(!out.exists());
}

#[test]
fn unknown_models_and_cuda_without_the_feature_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _) = run_expecting_failure(dir.path(), &seeds(), "no-such-model");
    assert_bad_input(&o, "no-such-model");
    if !cfg!(feature = "cuda") {
        let model = tiny_model(dir.path());
        let o = brief(
            &[
                "run",
                seeds().to_str().unwrap(),
                "--model",
                model.to_str().unwrap(),
                "--device",
                "cuda",
            ],
            dir.path(),
        );
        assert_bad_input(&o, "--features cuda");
    }
}

/// The shared evaluation data: `$BRIEF_SHARED/eval` (`scripts/test` sets it, also for a clone
/// whose origin has `shared/` beside it), else `shared/eval` beside the crate.
fn shared_eval() -> PathBuf {
    std::env::var_os("BRIEF_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join("eval")
}

/// A few examples of the shared dev sets, so eval cannot silently break.
fn dev_file(name: &str) -> PathBuf {
    let p = shared_eval().join(name);
    assert!(
        p.is_file(),
        "{} is missing: the eval smoke needs the shared eval data (../shared or $BRIEF_SHARED)",
        p.display()
    );
    p
}

#[test]
fn eval_smoke_scores_both_dev_sets_and_writes_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    for (file, style) in [
        ("xsum_dev.jsonl", "oneline"),
        ("multinews_dev.jsonl", "briefing"),
    ] {
        let preds = dir.path().join(format!("{file}.preds"));
        let json = dir.path().join(format!("{file}.scores"));
        let data = dev_file(file);
        let o = brief(
            &[
                "eval",
                "--data",
                data.to_str().unwrap(),
                "--limit",
                "2",
                "--model",
                model.to_str().unwrap(),
                "--max-tokens",
                "8",
                "--predictions",
                preds.to_str().unwrap(),
                "--json",
                json.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let table = String::from_utf8(o.stdout).unwrap();
        assert!(table.contains("R-Lsum"), "{table}");
        let lines = std::fs::read_to_string(&preds).unwrap();
        assert_eq!(lines.lines().count(), 2);
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        assert_eq!(v["examples"], 2);
        let r1 = v["rouge1"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&r1));
        if style == "briefing" {
            // Extractive points from the articles themselves overlap the references.
            assert!(r1 > 10.0, "{v}");
            assert!(v["attribution"]["points"].as_u64().unwrap() > 0);
        }
    }
}

/// BRIEF_NO_SIMD takes the fallback every CPU without AVX2 gets, through the whole pipeline.
/// That its numbers agree with the vectorised kernels is the logits test in
/// `llm::models::llama::cpu`; the greedy text of this random-weight model is no measure of
/// it, since its nearly flat logits let a last-place rounding flip a near-tie (one summary
/// out of five did on an AVX2-only CPU).
#[test]
fn the_portable_kernels_run_the_whole_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let mut runs = Vec::new();
    for no_simd in [false, true] {
        let out = dir.path().join(format!("b{no_simd}.json"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_brief"));
        cmd.args(["run", seeds().to_str().unwrap(), "--model"])
            .arg(&model)
            .args(["--format", "json", "--max-tokens", "16", "-o"])
            .arg(&out)
            .env_remove("RUST_LOG")
            .env("BRIEF_THREADS", "1");
        if no_simd {
            cmd.env("BRIEF_NO_SIMD", "1");
        }
        let o = cmd.output().expect("run brief");
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let sources = v["sources"].as_array().unwrap().clone();
        assert_eq!(sources.len(), 5);
        assert!(
            sources
                .iter()
                .any(|s| !s["summary"].as_str().unwrap().is_empty()),
            "{sources:?}"
        );
        let titles: Vec<String> = sources.iter().map(|s| s["title"].to_string()).collect();
        runs.push(titles);
    }
    assert_eq!(runs[0], runs[1]);
}

/// `-o` onto one of the inputs used to replace the article with the briefing (exit 0); an
/// unwritable `-o` was found only after the model had run. Both are refused first: the model
/// named here does not exist, so reaching it would be a different error.
#[test]
fn an_output_onto_an_input_or_an_unwritable_one_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    let b = dir.path().join("b.txt");
    std::fs::write(&a, "Talks resumed on Monday in Geneva.\n").unwrap();
    std::fs::write(&b, "Talks stalled on Tuesday.\n").unwrap();
    let missing_model = dir.path().join("no-such-model.gguf");
    let run = |out: &Path| {
        brief(
            &[
                "run",
                a.to_str().unwrap(),
                b.to_str().unwrap(),
                "--model",
                missing_model.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
            dir.path(),
        )
    };
    let o = run(&a);
    assert_bad_input(&o, "refusing to overwrite an input");
    assert_eq!(
        std::fs::read_to_string(&a).unwrap(),
        "Talks resumed on Monday in Geneva.\n"
    );
    let o = run(&dir.path().join("no/such/dir/out.md"));
    assert_bad_input(&o, "cannot be written");
    let o = brief(
        &[
            "run",
            dir.path().to_str().unwrap(),
            "--model",
            missing_model.to_str().unwrap(),
            "-o",
            dir.path().join("briefing.md").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_bad_input(&o, "inside the input directory");
}

/// `brief models list | head -1`: the reader goes away first, and the command must end
/// quietly (SIGPIPE, as shells expect, or 0), never with a panic and exit 101.
#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec![
            "models",
            "list",
            "--models-dir",
            dir.path().to_str().unwrap(),
        ],
        vec!["--help"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_brief"))
            .args(&args)
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(o.status.code(), Some(101), "{args:?}: {err}");
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert!(
                o.status.success() || o.status.signal() == Some(SIGPIPE),
                "{args:?}: {:?} {err}",
                o.status
            );
        }
    }
}

#[cfg(unix)]
const SIGPIPE: i32 = 13;

/// A template using a variable no run gives exited 1 after the model had loaded, without the
/// variable's name; it is exit 2 at start-up, naming it. The model named here does not exist,
/// so a late check would report the model instead.
#[test]
fn a_template_with_an_unknown_variable_is_exit_2_naming_it_before_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let prompts = dir.path().join("prompts");
    std::fs::create_dir(&prompts).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), prompts.join(e.file_name())).unwrap();
    }
    std::fs::write(
        prompts.join("briefing.j2"),
        "{{ points }} points from {{ sourcez }}",
    )
    .unwrap();
    let a = dir.path().join("a.txt");
    std::fs::write(&a, "Talks resumed on Monday in Geneva.\n").unwrap();
    let o = brief(
        &[
            "run",
            a.to_str().unwrap(),
            "--prompts",
            prompts.to_str().unwrap(),
            "--model",
            dir.path().join("no-such.gguf").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_bad_input(&o, "sourcez");
    assert_bad_input(&o, "briefing.j2");
    // A directory given as the model is named as such, not as a missing file.
    let o = brief(
        &[
            "run",
            a.to_str().unwrap(),
            "--model",
            dir.path().to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_bad_input(&o, "is a directory");
}

/// A judge the checker's weights were not fitted with would weigh answers on an unknown
/// scale: refused with exit 2 naming it, and nothing written.
#[test]
fn a_judge_without_a_calibration_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let out = dir.path().join("b.md");
    let o = brief(
        &[
            "run",
            seeds().to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--judge",
            model.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_bad_input(&o, "no calibration for the judge `tiny`");
    assert!(!out.exists());
}
