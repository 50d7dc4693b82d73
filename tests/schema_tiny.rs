//! `brief schema` against what the commands really write: `run`, `report`, `history`, `eval` and
//! `compare` on a tiny random-weight GGUF, each output validated against the printed schema,
//! and a broken copy of each refused by it (so the schema says something).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn brief(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brief"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("BRIEF_STORE")
        .output()
        .expect("run brief")
}

fn ok(args: &[&str]) -> Output {
    let o = brief(args);
    assert!(
        o.status.success(),
        "brief {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// Validates `doc` against `brief schema kind`, then checks that `break_it`'s copy fails.
fn check(kind: &str, doc: &Value, break_it: impl FnOnce(&mut Value)) {
    let schema: Value = serde_json::from_slice(&ok(&["schema", kind]).stdout).unwrap();
    let v = jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema");
    let errors: Vec<String> = v.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{kind}: {errors:#?}");
    let mut bad = doc.clone();
    break_it(&mut bad);
    assert!(
        !v.is_valid(&bad),
        "{kind}: the schema accepted a broken copy"
    );
}

fn tiny_model(dir: &Path) -> PathBuf {
    let p = dir.join("tiny.gguf");
    brief::testing::write_tiny_llama(&p, 7).expect("write tiny gguf");
    p
}

#[test]
fn run_output_matches_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let out = dir.path().join("b.json");
    let seeds = root().join("seeds");
    ok(&[
        "run",
        s(&seeds),
        "--model",
        s(&model),
        "--format",
        "json",
        "--max-tokens",
        "16",
        "-o",
        s(&out),
    ]);
    let doc = read_json(&out);
    assert_eq!(doc["schema_version"], 1);
    check("run", &doc, |d| d["sources"][0]["id"] = Value::from(1));
}

#[test]
fn report_and_history_match_their_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let store = dir.path().join("store.sqlite");
    let out = dir.path().join("out");
    let seeds = root().join("seeds");
    ok(&[
        "report",
        s(&seeds),
        "--model",
        s(&model),
        "--max-tokens",
        "16",
        "--store",
        s(&store),
        "--out-dir",
        s(&out),
        "--date",
        "2026-01-02",
    ]);
    let doc = read_json(&out.join("2026-01-02/briefing.json"));
    assert!(!doc["stories"].as_array().unwrap().is_empty());
    check("report", &doc, |d| {
        d["stories"][0]["points"] = Value::from("none")
    });
    let o = ok(&["history", "--store", s(&store), "--json"]);
    let history: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(history["schema_version"], 1);
    assert_eq!(history["runs"].as_array().unwrap().len(), 1);
    check("history", &history, |d| {
        d["runs"][0]["id"] = Value::from("one")
    });
    check("history", &history, |d| {
        d.as_object_mut().unwrap().remove("schema_version");
    });
}

#[test]
fn eval_output_matches_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let data = std::env::var_os("BRIEF_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"))
        .join("eval/multinews_dev.jsonl");
    assert!(data.is_file(), "{} is missing", data.display());
    let json = dir.path().join("scores.json");
    ok(&[
        "eval",
        "--data",
        s(&data),
        "--limit",
        "1",
        "--model",
        s(&model),
        "--max-tokens",
        "8",
        "--json",
        s(&json),
    ]);
    let doc = read_json(&json);
    assert_eq!(doc["schema_version"], 1);
    check("eval", &doc, |d| {
        d.as_object_mut().unwrap().remove("rouge1");
    });
}

#[test]
fn compare_output_matches_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let out = dir.path().join("cmp");
    let seeds = root().join("seeds");
    ok(&[
        "compare",
        "--models",
        s(&model),
        s(&seeds),
        "--out",
        s(&out),
        "--max-tokens",
        "8",
    ]);
    let doc = read_json(&out.join("compare.json"));
    assert_eq!(doc["schema_version"], 1);
    check("compare", &doc, |d| {
        d["models"][0]["quality"]["points"] = Value::from("many")
    });
}
