//! The HTML pages as a browser sees them, and as a user restyles them: `brief report` and
//! `brief compare` on a tiny random-weight GGUF over an input full of hostile strings (script
//! in a title, `javascript:` links), each page loaded in headless Chromium and its DOM
//! checked, and the Markdown of `run`, `report` and `compare` over the same input; then a
//! `--templates` directory that replaces one page, one that is broken, and templates that use
//! a variable no page is given.
//!
//! Chromium: `chromium`, `chromium-browser` or `google-chrome` on PATH. Without one the DOM
//! test says so and passes, except under CI (`CI` set), where it fails: `scripts/test`
//! installs Chromium there.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn brief(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brief"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("BRIEF_STORE")
        .env_remove("BRIEF_TEMPLATES")
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

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn tiny_model(dir: &Path) -> PathBuf {
    let p = dir.join("tiny.gguf");
    brief::testing::write_tiny_llama(&p, 7).expect("write tiny gguf");
    p
}

const SCRIPT_TITLE: &str =
    "<script>alert(1)</script> Storm hits the coast [more](javascript:alert(6)) `code`";
const IMG_TITLE: &str = "Floods <img src=x onerror=alert(2)> \"quoted\" & more";

/// Two articles with hostile titles and links, as JSON Lines, and one plain file whose first
/// line (its title) is markup.
fn hostile_inputs(dir: &Path) -> Vec<PathBuf> {
    let body = "The storm reached the coast on Monday night, officials said. Twelve people were \
                hurt and 300 homes lost power. Crews worked through Tuesday to clear the roads.";
    let lines = [
        serde_json::json!({"title": SCRIPT_TITLE, "url": "javascript:alert(3)", "text": body}),
        serde_json::json!({"title": IMG_TITLE, "url": " JavaScript:alert(4)", "text": body.replace("Twelve", "15")}),
    ];
    let jsonl = dir.join("feed.jsonl");
    std::fs::write(
        &jsonl,
        lines
            .iter()
            .map(|l| l.to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();
    let txt = dir.join("third.txt");
    std::fs::write(
        &txt,
        format!("<iframe src=\"javascript:alert(5)\"></iframe> Power back\n\n{body}\n"),
    )
    .unwrap();
    vec![jsonl, txt]
}

fn chromium() -> Option<String> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return Some(name.to_string());
        }
    }
    None
}

/// The page's DOM after Chromium has parsed it (and run whatever script it would run). A page
/// that opens an `alert` never finishes loading, so a browser still busy after a minute is a
/// failure, not a hang.
fn dom(browser: &str, page: &Path) -> String {
    use std::io::Read;
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).map(|_| out)
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{}: Chromium still loading after 60 s (a script on the page, e.g. an alert?)",
                page.display()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(status.success(), "chromium: {status}");
    reader.join().unwrap().unwrap()
}

/// No element or attribute the inputs tried to add made it into the parsed page (the
/// serialised DOM writes an element as `<img` and an attribute as `name="`; text has them
/// escaped), and the hostile text is there as text.
fn assert_inert(page: &Path, dom: &str, texts: &[&str]) {
    let lower = dom.to_lowercase();
    for bad in [
        "<script",
        "<img",
        "<iframe",
        " onerror=\"",
        "href=\"javascript",
        "href=\" javascript",
    ] {
        assert!(
            !lower.contains(bad),
            "{}: `{bad}` in the DOM:\n{dom}",
            page.display()
        );
    }
    for t in texts {
        let escaped = t
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(
            dom.contains(&escaped),
            "{}: `{t}` is not in the DOM as text:\n{dom}",
            page.display()
        );
    }
}

#[test]
fn hostile_strings_stay_text_in_the_pages_chromium_renders() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but no Chromium was found: scripts/test installs it"
        );
        eprintln!(
            "SKIPPED: no chromium on PATH (apt-get install chromium); the DOM is not checked"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let inputs = hostile_inputs(dir.path());
    let out = dir.path().join("out");
    let store = dir.path().join("store.sqlite");
    let mut args = vec!["report"];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend([
        "--model",
        s(&model),
        "--max-tokens",
        "12",
        "--store",
        s(&store),
        "--out-dir",
        s(&out),
        "--date",
        "2026-01-02",
    ]);
    ok(&args);
    let report = out.join("2026-01-02/briefing.html");
    let titles = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>"];
    assert_inert(&report, &dom(&browser, &report), &titles);
    let index = out.join("index.html");
    let index_dom = dom(&browser, &index);
    assert_inert(&index, &index_dom, &[]);
    assert!(
        index_dom.contains("2026-01-02/briefing.html"),
        "{index_dom}"
    );

    let cmp = dir.path().join("cmp");
    let mut args = vec!["compare", "--models", s(&model)];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["--out", s(&cmp), "--max-tokens", "8"]);
    ok(&args);
    let page = cmp.join("compare.html");
    assert_inert(&page, &dom(&browser, &page), &titles);
}

#[test]
fn a_templates_directory_replaces_a_page_and_a_broken_one_is_refused_before_work() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let seed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    std::fs::write(
        templates.join("report.html"),
        "<!doctype html><title>Mine</title><h1>My desk, {{ date }}</h1>\n\
         {% for s in stories %}<h2>{{ s.headline }}</h2>{% endfor %}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let store = dir.path().join("store.sqlite");
    let run = |templates: &Path, out: &Path| {
        brief(&[
            "report",
            s(&seed),
            "--model",
            s(&model),
            "--max-tokens",
            "12",
            "--store",
            s(&store),
            "--out-dir",
            s(out),
            "--date",
            "2026-01-02",
            "--templates",
            s(templates),
        ])
    };
    let o = run(&templates, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(out.join("2026-01-02/briefing.html")).unwrap();
    assert!(
        page.starts_with("<!doctype html><title>Mine</title><h1>My desk, 2026-01-02</h1>"),
        "{page}"
    );
    assert!(page.contains("<h2>"), "{page}");
    // The index was not overridden: the built-in one is written.
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("Every report in this directory"), "{index}");

    // A syntax error: exit 2, the file named, and no report written.
    std::fs::write(templates.join("index.html"), "{% for x in %}").unwrap();
    let out2 = dir.path().join("out2");
    let o = run(&templates, &out2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains("index.html") && last.contains("template error"),
        "{last}"
    );
    assert!(!out2.join("2026-01-02").exists());

    // A directory that is not there is a usage error too, not the default look.
    let o = run(&dir.path().join("nope"), &out2);
    assert_eq!(o.status.code(), Some(2));
}

/// What the inputs tried to add is not live in a Markdown output: no raw HTML, no link to a
/// `javascript:` url, no code span opened by a title; the titles are there, escaped.
fn assert_inert_markdown(what: &str, md: &str) {
    for bad in ["<script", "<img", "<iframe", "<javascript", " `code`"] {
        assert!(!md.contains(bad), "{what}: `{bad}` in the Markdown:\n{md}");
    }
    // A link text may end before `(javascript:` only when its `]` is escaped.
    let lower = md.to_lowercase();
    for (at, _) in lower.match_indices("](") {
        let target = lower[at + 2..].trim_start();
        assert!(
            !target.starts_with("javascript") || lower[..at].ends_with('\\'),
            "{what}: a javascript: link in the Markdown:\n{md}"
        );
    }
    for escaped in [
        "&lt;script&gt;alert(1)&lt;/script&gt; Storm hits the coast [more\\](javascript:alert(6)) \\`code\\`",
        "Floods &lt;img src=x onerror=alert(2)&gt;",
    ] {
        assert!(
            md.contains(escaped),
            "{what}: `{escaped}` is not in the Markdown:\n{md}"
        );
    }
}

#[test]
fn hostile_strings_stay_text_in_the_markdown_of_run_report_and_compare() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let inputs = hostile_inputs(dir.path());
    let mut args = vec!["run"];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["--model", s(&model), "--max-tokens", "8", "--evidence"]);
    let o = ok(&args);
    assert_inert_markdown("run", &String::from_utf8_lossy(&o.stdout));

    let out = dir.path().join("out");
    let store = dir.path().join("store.sqlite");
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
        "2026-01-02",
    ]);
    ok(&args);
    let md = std::fs::read_to_string(out.join("2026-01-02/briefing.md")).unwrap();
    assert_inert_markdown("report", &md);

    let cmp = dir.path().join("cmp");
    let mut args = vec!["compare", "--models", s(&model)];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["--out", s(&cmp), "--max-tokens", "8"]);
    ok(&args);
    let md = std::fs::read_to_string(cmp.join("compare.md")).unwrap();
    assert_inert_markdown("compare", &md);
}

/// The last line of a failed command, after asserting it is a usage error (exit 2).
fn usage_error(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    err.trim_end()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

/// A variable no page is given, in a page template and in a Markdown one, even inside a loop
/// or a branch: exit 2 naming the file and the variable before any model work (the model
/// given does not exist, so reaching it would fail differently).
#[test]
fn a_template_with_an_unknown_variable_is_exit_2_naming_it_before_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let seed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let no_model = dir.path().join("no-such.gguf");
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    let page = templates.join("report.html");
    std::fs::write(
        &page,
        "<h1>{{ date }}</h1>{% for s in stories %}<h2>{{ s.headlinez }}</h2>{% endfor %}\n",
    )
    .unwrap();
    let report = |templates: &Path| {
        brief(&[
            "report",
            s(&seed),
            "--model",
            s(&no_model),
            "--store",
            s(&dir.path().join("store.sqlite")),
            "--out-dir",
            s(&dir.path().join("out")),
            "--templates",
            s(templates),
        ])
    };
    let last = usage_error(&report(&templates));
    assert!(
        last.contains(s(&page)) && last.contains("s.headlinez"),
        "{last}"
    );
    assert!(!dir.path().join("out").exists());

    // A Markdown template: the report's, then the run's, with the variable in a branch that
    // no sample takes.
    std::fs::remove_file(&page).unwrap();
    let md = templates.join("report.md");
    std::fs::write(
        &md,
        "# {{ date }}\n{% if false %}{{ storiez }}{% endif %}\n",
    )
    .unwrap();
    let last = usage_error(&report(&templates));
    assert!(last.contains(s(&md)) && last.contains("storiez"), "{last}");
    std::fs::remove_file(&md).unwrap();
    let md = templates.join("briefing.md");
    std::fs::write(
        &md,
        "# {{ headline }}\n{% for p in body.points %}{{ p.textz }}{% endfor %}\n",
    )
    .unwrap();
    let last = usage_error(&brief(&[
        "run",
        s(&seed),
        "--model",
        s(&no_model),
        "--templates",
        s(&templates),
    ]));
    assert!(last.contains(s(&md)) && last.contains("p.textz"), "{last}");
}
