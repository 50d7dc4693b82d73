//! `brief report` through the real binary: a tiny random-weight GGUF written by the test for
//! the summaries, the real MiniLM for story grouping and evidence. Covers the incremental
//! rerun, cache invalidation, the lock, kill -9 and SIGINT mid-run, feeds, and story grouping.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tiny_model(dir: &Path, seed: u64) -> PathBuf {
    let p = dir.join(format!("tiny{seed}.gguf"));
    brief::testing::write_tiny_llama(&p, seed).expect("write tiny gguf");
    p
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_brief"));
    c.args(args)
        .env_remove("RUST_LOG")
        .env_remove("BRIEF_STORE");
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `brief report … --format json` and returns the report.
fn report(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["report", "--format", "json", "--date", "2026-01-02"];
    all.extend_from_slice(args);
    let o = command(&all).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// `brief history --json` of a store.
fn history(store: &Path) -> serde_json::Value {
    let h = command(&["history", "--store", s(store), "--json"])
        .output()
        .unwrap();
    assert!(h.status.success(), "{}", stderr(&h));
    serde_json::from_slice(&h.stdout).unwrap()
}

fn figure(r: &serde_json::Value, name: &str) -> u64 {
    r["run"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("no run.{name} in {}", r["run"]))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn rerun_over_unchanged_input_calls_no_model_and_stories_group_the_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 7);
    let store = dir.path().join("store.sqlite");
    let seeds = root().join("seeds");
    let unrelated = root().join("tests/data/unrelated");
    let args = [
        s(&seeds),
        s(&unrelated),
        "--model",
        s(&model),
        "--max-tokens",
        "16",
        "--store",
        s(&store),
    ];
    let first = report(&args);
    let stories = first["stories"].as_array().unwrap();
    // The five seeds are one story; the three unrelated articles are three more.
    assert_eq!(stories.len(), 4, "{:#}", first["stories"]);
    let sizes: Vec<usize> = stories
        .iter()
        .map(|s| s["sources"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [5, 1, 1, 1]);
    assert!(stories[0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["path"].as_str().unwrap().contains("seeds")));
    assert_eq!(figure(&first, "articles"), 8);
    assert_eq!(figure(&first, "summaries_written"), 8);
    assert!(figure(&first, "model_calls") >= 8);
    for st in stories {
        for p in st["points"].as_array().unwrap() {
            assert!(!p["sources"].as_array().unwrap().is_empty(), "{p}");
        }
    }

    let t = Instant::now();
    let again = report(&args);
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(figure(&again, "model_calls"), 0);
    assert_eq!(figure(&again, "summaries_written"), 0);
    assert_eq!(figure(&again, "stories_reused"), 4);
    assert_eq!(again["run"]["model_loaded"], false);
    assert_eq!(again["stories"], first["stories"]);
    eprintln!("unchanged rerun: {secs:.2} s");
}

#[test]
fn changing_the_model_a_prompt_or_a_parameter_recomputes_exactly_what_depends_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 7);
    let other = tiny_model(dir.path(), 8);
    let store = dir.path().join("store.sqlite");
    let prompts = dir.path().join("prompts");
    std::fs::create_dir(&prompts).unwrap();
    for e in std::fs::read_dir(root().join("prompts")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), prompts.join(e.file_name())).unwrap();
    }
    let input = root().join("tests/data/unrelated");
    let run = |model: &Path, max_tokens: &str| {
        report(&[
            s(&input),
            "--model",
            s(model),
            "--max-tokens",
            max_tokens,
            "--prompts",
            s(&prompts),
            "--store",
            s(&store),
        ])
    };
    let base = run(&model, "16");
    assert_eq!(figure(&base, "summaries_written"), 3);
    assert_eq!(figure(&base, "sentences_embedded"), 3);

    // A generation parameter shapes every summary.
    let r = run(&model, "12");
    assert_eq!(figure(&r, "summaries_written"), 3);
    assert_eq!(figure(&r, "stories_reused"), 0);
    // The evidence index depends on the articles and the embedder alone: kept.
    assert_eq!(figure(&r, "sentences_embedded"), 0);
    assert_eq!(figure(&r, "sentences_reused"), 3);

    // The briefing template does not shape per-article summaries: they are reused, the
    // stories rebuilt.
    let briefing = prompts.join("briefing.j2");
    let text = std::fs::read_to_string(&briefing).unwrap();
    std::fs::write(&briefing, format!("{text}\n{{# edited #}}\n")).unwrap();
    let r = run(&model, "16");
    assert_eq!(figure(&r, "summaries_written"), 0);
    assert_eq!(figure(&r, "summaries_reused"), 3);
    assert_eq!(figure(&r, "stories_reused"), 0);
    assert_eq!(figure(&r, "model_calls"), 0);

    // The article template does.
    let article = prompts.join("article.j2");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, format!("{text}\n{{# edited #}}\n")).unwrap();
    let r = run(&model, "16");
    assert_eq!(figure(&r, "summaries_written"), 3);

    // So does the model; and going back finds everything cached again.
    let r = run(&other, "16");
    assert_eq!(figure(&r, "summaries_written"), 3);
    let r = run(&model, "16");
    assert_eq!(figure(&r, "model_calls"), 0);
    assert_eq!(figure(&r, "stories_reused"), 3);
}

#[test]
fn a_second_run_exits_75_while_the_lock_is_held_and_wait_waits_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 7);
    let store = dir.path().join("store.sqlite");
    let input = root().join("tests/data/unrelated");
    let held = brief::report::lock::acquire(&brief::report::lock::path_for(&store), false).unwrap();
    let args = [
        "report",
        s(&input),
        "--model",
        s(&model),
        "--max-tokens",
        "8",
        "--store",
        s(&store),
    ];
    let o = command(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    let err = stderr(&o);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("brief: ") && last.contains("another brief report is running"),
        "{err}"
    );
    assert!(o.stdout.is_empty());

    let mut args = args.to_vec();
    args.push("--wait");
    let mut child = command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "did not wait");
    drop(held);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!o.stdout.is_empty());
}

/// The shared evaluation data: `$BRIEF_SHARED/eval` (`scripts/test` sets it, also for a clone
/// whose origin has `shared/` beside it), else `shared/eval` beside the crate.
fn shared_eval() -> PathBuf {
    std::env::var_os("BRIEF_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join("eval")
}

/// Thirty xsum dev articles as one JSON Lines input: enough work to kill a run in the middle.
fn many_articles(dir: &Path) -> PathBuf {
    let data = shared_eval().join("xsum_dev.jsonl");
    let text = std::fs::read_to_string(&data).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the test needs the shared eval data: ../shared or $BRIEF_SHARED)",
            data.display()
        )
    });
    let mut out = String::new();
    for line in text.lines().take(30) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let body = v["documents"][0]["text"].as_str().unwrap();
        out.push_str(&serde_json::json!({"title": v["id"], "text": body}).to_string());
        out.push('\n');
    }
    let p = dir.join("articles.jsonl");
    std::fs::write(&p, out).unwrap();
    p
}

#[test]
fn kill_9_mid_run_leaves_no_torn_files_and_a_rerun_finishes_the_job() {
    interrupted_mid_run(libc::SIGKILL);
}

/// Ctrl-C (and a scheduler's SIGINT) must leave what kill -9 leaves: whole files or none, the
/// stored work kept, the dead run `killed` in the history.
#[test]
fn sigint_mid_run_leaves_no_torn_files_and_a_rerun_finishes_the_job() {
    interrupted_mid_run(libc::SIGINT);
}

fn interrupted_mid_run(signal: libc::c_int) {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 7);
    let store = dir.path().join("store.sqlite");
    let out = dir.path().join("reports");
    let input = many_articles(dir.path());
    let args = [
        "report",
        s(&input),
        "--model",
        s(&model),
        "--max-tokens",
        "48",
        "--store",
        s(&store),
        "--out-dir",
        s(&out),
        "--date",
        "2026-01-02",
    ];
    let mut child = command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it as soon as a few summaries are stored.
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut stored = 0;
    while Instant::now() < deadline {
        if let Ok(st) = brief::report::store::Store::open(&store) {
            stored = st.summaries_count().unwrap_or(0);
        }
        if stored >= 3 || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if child.try_wait().unwrap().is_none() {
        // SAFETY: kill(2) on our own child, not yet reaped (just checked), so the pid is its.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
    }
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the run finished before it could be killed"
    );
    assert!(stored >= 3, "no summaries stored before the deadline");
    // Nothing half-written: either no report yet, or whole files.
    for day in std::fs::read_dir(&out).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(day.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = f.file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".json") && !name.ends_with(".md"), "{name}");
        }
    }

    let o = command(&args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("2026-01-02/briefing.json")).unwrap())
            .unwrap();
    // Each article is a story of its own here: what the killed run finished comes back as
    // stored stories or stored summaries, and only the rest is written.
    let articles = figure(&written, "articles");
    let new = figure(&written, "summaries_written");
    let reused = figure(&written, "summaries_reused") + figure(&written, "stories_reused");
    assert!(
        new <= articles - 3,
        "the rerun redid work the killed run stored"
    );
    assert_eq!(reused + new, articles);
    for name in ["briefing.md", "briefing.html"] {
        assert!(out.join("2026-01-02").join(name).is_file());
    }
    assert!(out.join("index.html").is_file());
    let leftovers: Vec<String> = std::fs::read_dir(out.join("2026-01-02"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let history = history(&store);
    let statuses: Vec<&str> = history["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ok", "killed"]);
}

#[test]
fn feeds_and_dated_outputs_with_new_since_the_previous_report() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 7);
    let store = dir.path().join("store.sqlite");
    let out = dir.path().join("reports");
    let feeds = root().join("tests/data/feeds");
    let unrelated = root().join("tests/data/unrelated");
    let run = |date: &str, inputs: &[&Path]| {
        let mut args = vec!["report"];
        args.extend(inputs.iter().map(|p| s(p)));
        args.extend([
            "--model",
            s(&model),
            "--max-tokens",
            "8",
            "--store",
            s(&store),
            "--out-dir",
            s(&out),
            "--date",
            date,
        ]);
        let o = command(&args).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        // Quiet when not on a terminal: timestamped lines, no escape codes.
        assert!(!stderr(&o).contains('\u{1b}'), "{}", stderr(&o));
        let p = out.join(date).join("briefing.json");
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(p).unwrap()).unwrap()
    };
    let day1 = run("2026-01-01", &[&unrelated]);
    assert!(day1["since"].is_null());
    let day2 = run("2026-01-02", &[&unrelated, &feeds]);
    assert_eq!(day2["since"], "2026-01-01");
    let stories = day2["stories"].as_array().unwrap();
    let mut old = 0;
    for st in stories {
        let paths: Vec<&str> = st["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["path"].as_str().unwrap())
            .collect();
        let from_day1 = paths.iter().all(|p| p.contains("unrelated"));
        assert_eq!(st["new"], !from_day1, "{paths:?}");
        old += from_day1 as usize;
    }
    assert_eq!(old, 3);
    let sources: Vec<&serde_json::Value> = stories
        .iter()
        .flat_map(|st| st["sources"].as_array().unwrap())
        .collect();
    assert!(sources
        .iter()
        .any(|x| x["url"].as_str().is_some_and(|u| u.starts_with("http"))));
    assert!(sources.iter().any(|x| x["teaser"] == true));
    let html = std::fs::read_to_string(out.join("2026-01-02/briefing.html")).unwrap();
    assert!(html.contains("class=\"badge teaser\"") && html.contains("<svg"));
    assert!(!html.contains("<script") && !html.contains("src=\"http"));
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains("2026-01-01/briefing.html") && index.contains("2026-01-02/briefing.html")
    );
}

/// A malformed Atom file (a second XML declaration inside an element) made feed-rs panic: exit
/// 101, and the run stayed `running` in the history. It is now a one-line error, the run is
/// recorded as failed, and an output directory inside an input directory is refused.
#[test]
fn a_feed_that_crashes_its_parser_fails_the_run_cleanly_and_history_says_failed() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 3);
    let bad = dir.path().join("bad.atom");
    std::fs::write(
        &bad,
        concat!(
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?></title><entry><title>x</title>",
            "</entry></feed>"
        ),
    )
    .unwrap();
    let store = dir.path().join("store.db");
    let o = command(&[
        "report",
        s(&bad),
        "--store",
        s(&store),
        "--model",
        s(&model),
        "--date",
        "2026-01-02",
    ])
    .output()
    .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("the parser failed"), "{err}");
    assert!(
        err.trim_end().lines().last().unwrap().contains("bad.atom"),
        "{err}"
    );
    let h = history(&store);
    assert_eq!(h["runs"][0]["status"], "failed", "{h}");

    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    let o = command(&[
        "report",
        s(&inputs),
        "--store",
        s(&store),
        "--model",
        s(&model),
        "--out-dir",
        s(&inputs.join("reports")),
    ])
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("inside the input directory"),
        "{}",
        stderr(&o)
    );
    assert!(!inputs.join("reports").exists());
}

#[test]
fn workers_only_with_no_worker_gives_up_at_the_wait_timeout_and_a_worker_then_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 5);
    let store = dir.path().join("store.db");
    let seeds = root().join("seeds");
    let base = [
        "--store",
        s(&store),
        "--model",
        s(&model),
        "--max-tokens",
        "8",
    ];
    let mut args = vec!["report", s(&seeds), "--workers-only", "--wait-timeout", "1"];
    args.extend_from_slice(&base);
    let start = Instant::now();
    let o = command(&args).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(start.elapsed() < Duration::from_secs(60), "{err}");
    let last = err.trim_end().lines().last().unwrap();
    assert!(
        last.contains("--wait-timeout") && last.contains("pending"),
        "{err}"
    );
    let h = history(&store);
    assert_eq!(h["runs"][0]["status"], "failed", "{h}");

    // The queued work waits in the store; a worker that exits when idle does it all, and the
    // report then computes nothing itself.
    let mut w = vec!["worker", "--idle-exit", "1"];
    w.extend_from_slice(&base[..6]);
    let o = command(&w).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let q = command(&["queue", "--store", s(&store), "--json"])
        .output()
        .unwrap();
    let queue: serde_json::Value = serde_json::from_slice(&q.stdout).unwrap();
    assert_eq!(queue["counts"]["pending"], 0, "{queue}");
    assert!(queue["counts"]["done"].as_u64().unwrap() >= 10, "{queue}");
    let mut all = vec!["--workers-only", "--wait-timeout", "5"];
    all.extend_from_slice(&base);
    all.push(s(&seeds));
    let r = report(&all);
    assert_eq!(figure(&r, "model_calls"), 0, "{}", r["run"]);
    assert_eq!(figure(&r, "sentences_embedded"), 0, "{}", r["run"]);
    assert_eq!(figure(&r, "sentences_reused"), 5, "{}", r["run"]);

    // Pruning forgets the done items, not their results.
    let q = command(&["queue", "--store", s(&store), "--prune-days", "0", "--json"])
        .output()
        .unwrap();
    assert!(q.status.success(), "{}", stderr(&q));
    let queue: serde_json::Value = serde_json::from_slice(&q.stdout).unwrap();
    assert_eq!(queue["counts"]["done"], 0, "{queue}");
    let r = report(&all);
    assert_eq!(figure(&r, "model_calls"), 0, "{}", r["run"]);
}
