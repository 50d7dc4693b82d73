//! The shared store on a real PostgreSQL server (started by the test, see `pg/`): three
//! `brief worker`s and a `brief report --workers-only` through the real binary on a tiny
//! random-weight model, one worker killed with SIGKILL in the middle of an item; the report
//! must equal the single-process SQLite report of the same input, every item done once (twice
//! only for the killed worker's), and the lock must still admit one report at a time.

mod pg;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use brief::report::queue::{WorkKind, MAX_FAILURES};
use brief::report::store::{Store, StoreLocation};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `$BRIEF_SHARED/eval`, else `shared/eval` beside the crate (as in report_tiny).
fn shared_eval() -> PathBuf {
    std::env::var_os("BRIEF_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"))
        .join("eval")
}

/// Sixteen xsum dev articles, plus the seeds (one story of five): singletons and a story.
fn articles(dir: &Path) -> PathBuf {
    let data = shared_eval().join("xsum_dev.jsonl");
    let text = std::fs::read_to_string(&data).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the test needs ../shared or $BRIEF_SHARED)",
            data.display()
        )
    });
    let mut out = String::new();
    for line in text.lines().take(16) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let body = v["documents"][0]["text"].as_str().unwrap();
        out.push_str(&serde_json::json!({"title": v["id"], "text": body}).to_string());
        out.push('\n');
    }
    let p = dir.join("articles.jsonl");
    std::fs::write(&p, out).unwrap();
    p
}

/// A background `brief`, its stdout and stderr in files (a pipe nobody reads would stall it).
fn spawn(args: &[&str], logs: &Path, name: &str) -> Child {
    let file = |ext: &str| std::fs::File::create(logs.join(format!("{name}.{ext}"))).unwrap();
    command(args)
        .stdout(file("out"))
        .stderr(file("err"))
        .spawn()
        .unwrap()
}

fn log(logs: &Path, name: &str, ext: &str) -> String {
    std::fs::read_to_string(logs.join(format!("{name}.{ext}"))).unwrap_or_default()
}

/// Waits for `child`, failing the test (with the logs) after `limit`.
fn finish(child: &mut Child, limit: Duration, logs: &Path, name: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{name} did not finish: {}", log(logs, name, "err"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What a report is made of, without the run's own figures and timestamps.
fn content(report: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "stories": report["stories"],
        "rejected": report["rejected"],
        "model_sha256": report["model_sha256"],
    })
}

#[test]
fn three_workers_one_killed_and_a_report_equal_the_single_process_report() {
    let Some(server) = pg::PgServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    brief::testing::write_tiny_llama(&model, 7).unwrap();
    let input = articles(dir.path());
    let seeds = root().join("seeds");
    let gen = ["--model", s(&model), "--max-tokens", "48"];
    let mut report_args = vec![
        "report",
        s(&input),
        s(&seeds),
        "--format",
        "json",
        "--date",
        "2026-01-02",
    ];
    report_args.extend(gen);

    // The reference: one process, the embedded store.
    let sqlite = dir.path().join("store.sqlite");
    let mut args = report_args.clone();
    args.extend(["--store", s(&sqlite)]);
    let o = command(&args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let single: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();

    // The report queues the work and waits for the workers.
    let url = server.url.as_str();
    let mut args = report_args.clone();
    args.extend(["--store", url, "--workers-only", "-v"]);
    let logs = dir.path();
    let mut report = spawn(&args, logs, "report");
    let store = Store::connect(&StoreLocation::Postgres(url.to_string())).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while store.queue_counts(None).map(|c| c.pending).unwrap_or(0) == 0 {
        assert!(Instant::now() < deadline, "the report queued nothing");
        std::thread::sleep(Duration::from_millis(20));
    }

    // While it waits it holds the lock: a second report is refused with 75.
    let mut args = report_args.clone();
    args.extend(["--store", url]);
    let o = command(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("another brief report is running"),
        "{}",
        stderr(&o)
    );

    let worker = |name: &str| {
        let mut args = vec![
            "worker",
            "--store",
            url,
            "--lease",
            "3",
            "--idle-exit",
            "4",
            "--name",
            name,
            "-v",
        ];
        args.extend(gen);
        spawn(&args, logs, name)
    };
    // w1 starts alone so that it is sure to claim a summary (with three racing, the other two
    // sometimes took every summary and w1 went idle); the other two start the moment it holds
    // one, and w1 is killed with all three running.
    let mut victim = worker("w1");

    // Kill w1 while it holds a summary: mid-generation, its result not committed.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let rows = store.queue_rows(1000).unwrap();
        if rows.iter().any(|r| {
            r.state == "leased" && r.kind == "summary" && r.worker.as_deref() == Some("w1")
        }) {
            break;
        }
        assert!(Instant::now() < deadline, "w1 never claimed a summary");
        assert!(
            victim.try_wait().unwrap().is_none(),
            "w1 ended early: {}",
            log(logs, "w1", "err")
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut others = [worker("w2"), worker("w3")];
    victim.kill().unwrap(); // SIGKILL
    assert!(!victim.wait().unwrap().success());
    let orphans: BTreeSet<i64> = store
        .queue_rows(1000)
        .unwrap()
        .into_iter()
        .filter(|r| r.state == "leased" && r.worker.as_deref() == Some("w1"))
        .map(|r| r.id)
        .collect();
    assert!(!orphans.is_empty(), "w1 was killed holding nothing");

    let limit = Duration::from_secs(600);
    for (w, name) in others.iter_mut().zip(["w2", "w3"]) {
        let status = finish(w, limit, logs, name);
        assert!(status.success(), "{name}: {}", log(logs, name, "err"));
    }
    let status = finish(&mut report, limit, logs, "report");
    assert!(status.success(), "{}", log(logs, "report", "err"));
    let shared: serde_json::Value = serde_json::from_str(&log(logs, "report", "out")).unwrap();
    let worker_logs: Vec<String> = ["w1", "w2", "w3"]
        .iter()
        .map(|w| log(logs, w, "err"))
        .collect();

    // Same stories, summaries, points and evidence as the single process.
    assert_eq!(content(&shared), content(&single));
    assert!(shared["stories"].as_array().unwrap().len() >= 2);
    // The report itself generated nothing per article: the workers did it all.
    assert_eq!(shared["run"]["summaries_written"], 0, "{}", shared["run"]);
    assert_eq!(shared["run"]["sentences_embedded"], 0, "{}", shared["run"]);
    assert!(
        shared["run"]["sentences_reused"].as_u64().unwrap() >= 2,
        "{}",
        shared["run"]
    );

    // Every item done, each completed exactly once; a second claim only for w1's orphans.
    let rows = store.queue_rows(1000).unwrap();
    assert!(rows.is_empty(), "items not done: {rows:?}");
    let c = store.queue_counts(None).unwrap();
    let articles = shared["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sources"].as_array().unwrap().len())
        .sum::<usize>();
    // A story vector, a summary and the sentence vectors per article.
    assert_eq!((c.done, c.failed), (3 * articles, 0), "{c:?}");
    let mut done: BTreeMap<i64, usize> = BTreeMap::new();
    for line in worker_logs.iter().flat_map(|l| l.lines()) {
        if let Some(rest) = line.split("done item ").nth(1) {
            let id: i64 = rest.split_whitespace().next().unwrap().parse().unwrap();
            *done.entry(id).or_default() += 1;
        }
    }
    assert_eq!(done.len(), 3 * articles, "{done:?}");
    assert!(done.values().all(|&n| n == 1), "{done:?}");
    for id in &orphans {
        assert!(done.contains_key(id), "orphan {id} never done");
    }
    let claims = claims_by_item(url);
    for (id, n) in &claims {
        let expected = if orphans.contains(id) { 2 } else { 1 };
        assert_eq!(
            *n, expected,
            "item {id} claimed {n} times (orphans {orphans:?})"
        );
    }

    // `brief queue` reads the same store.
    let o = command(&["queue", "--store", url]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.starts_with(&format!(
            "pending 0  leased 0  done {}  failed 0",
            3 * articles
        )),
        "{text}"
    );
}

/// How many times each item was claimed, straight from the server.
fn claims_by_item(url: &str) -> BTreeMap<i64, i64> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query("SELECT id, claims FROM queue", &[])
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[test]
fn the_store_api_on_postgres_keys_leases_parks_and_refuses_a_newer_schema() {
    let Some(server) = pg::PgServer::start() else {
        return;
    };
    let at = StoreLocation::Postgres(server.url.clone());
    let st = Store::connect(&at).unwrap();
    // Opening again (a second worker) takes no step twice.
    let again = Store::connect(&at).unwrap();
    again.put_vector("h", "e", &[0.5, -1.25]).unwrap();
    assert_eq!(st.vector("h", "e").unwrap(), Some(vec![0.5, -1.25]));
    let sv = vec![vec![0.5, -1.25], vec![2.0, 3.5]];
    again.put_sentence_vectors("h", "e", "split", &sv).unwrap();
    assert_eq!(st.sentence_vectors("h", "e", "split").unwrap(), Some(sv));
    assert_eq!(st.sentence_vectors("h", "e", "other").unwrap(), None);
    let run = st.begin_run("{}").unwrap();
    st.put_report(run, "2026-01-01", None, "old").unwrap();
    st.end_run(
        run,
        brief::report::store::RunStatus::Ok,
        &Default::default(),
    )
    .unwrap();
    assert_eq!(
        st.previous_report("2026-01-02").unwrap(),
        Some(("2026-01-01".to_string(), "old".to_string()))
    );

    // Two workers claim at once: SKIP LOCKED hands each its own items.
    for i in 0..6 {
        st.enqueue(WorkKind::Vector, &format!("a{i}"), "e").unwrap();
    }
    let lease = Duration::from_secs(60);
    let a = st.claim(WorkKind::Vector, "e", "wa", lease, 3).unwrap();
    let b = again.claim(WorkKind::Vector, "e", "wb", lease, 16).unwrap();
    assert_eq!((a.len(), b.len()), (3, 3));
    let ids: BTreeSet<i64> = a.iter().chain(&b).map(|i| i.id).collect();
    assert_eq!(ids.len(), 6);
    assert!(!st.complete_vector(&a[0], "wb", "e", &[1.0]).unwrap());
    assert!(st.complete_vector(&a[0], "wa", "e", &[1.0]).unwrap());
    for n in 1..=MAX_FAILURES {
        let item = if n == 1 {
            b[0].clone()
        } else {
            st.claim(WorkKind::Vector, "e", "wb", lease, 1)
                .unwrap()
                .remove(0)
        };
        assert_eq!(item.id, b[0].id);
        st.fail(&item, "wb", "boom").unwrap();
    }
    let c = st.queue_counts(None).unwrap();
    assert_eq!(
        (c.pending, c.leased, c.done, c.failed),
        (0, 4, 1, 1),
        "{c:?}"
    );

    let mut raw = postgres::Client::connect(&server.url, postgres::NoTls).unwrap();
    raw.execute("INSERT INTO schema_version (version) VALUES (99)", &[])
        .unwrap();
    let err = Store::connect(&at)
        .err()
        .expect("a newer schema is refused");
    assert!(err.to_string().contains("newer brief"), "{err}");
    // The message never shows a password.
    let secret = StoreLocation::parse("postgres://brief:hunter2@127.0.0.1:1/x");
    assert_eq!(secret.to_string(), "postgres://brief@127.0.0.1:1/x");
}
