//! The config file through the real binary: where it is found, what it sets, what beats it
//! (flag > environment > file > default), how a bad one is reported, and `brief config show`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch config home; the binary sees no `BRIEF_*` variable but those a test sets.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the default config file, `$XDG_CONFIG_HOME/brief/config.toml`.
    fn config(&self, text: &str) -> PathBuf {
        let p = self.path().join("config").join("brief").join("config.toml");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn brief(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_brief"));
        c.args(args)
            .env_remove("RUST_LOG")
            .env("XDG_CONFIG_HOME", self.path().join("config"));
        for (k, _) in std::env::vars() {
            if k.starts_with("BRIEF_") {
                c.env_remove(k);
            }
        }
        c.envs(env.iter().copied()).output().expect("run brief")
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn last_error(o: &Output) -> String {
    stderr(o).lines().last().unwrap_or_default().to_string()
}

fn seeds() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .display()
        .to_string()
}

#[test]
fn the_default_config_file_sets_the_model_and_a_flag_beats_it() {
    let home = Home::new();
    home.config("model = \"model-from-file\"\n");
    let o = home.brief(&["run", &seeds()], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(last_error(&o).contains("model-from-file"), "{}", stderr(&o));

    let o = home.brief(&["run", &seeds(), "--model", "model-from-flag"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = last_error(&o);
    assert!(err.contains("model-from-flag"), "{err}");
    assert!(!err.contains("model-from-file"), "{err}");
}

#[test]
fn the_file_runs_the_tiny_model_with_its_generation_settings() {
    let home = Home::new();
    let model = home.path().join("tiny.gguf");
    brief::testing::write_tiny_llama(&model, 7).unwrap();
    let out = home.path().join("b.json");
    home.config(&format!(
        "model = {}\nmax_tokens = 9\npoints = 2\n",
        toml::Value::String(model.display().to_string())
    ));
    let o = home.brief(
        &[
            "run",
            &seeds(),
            "--format",
            "json",
            "-o",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["run"]["params"]["summary"]["max_tokens"], 9);
    assert_eq!(v["run"]["model"]["architecture"], "llama");
}

#[test]
fn environment_beats_the_file_and_a_flag_beats_the_environment() {
    let home = Home::new();
    let from = |name: &str| home.path().join(name).display().to_string();
    home.config(&format!(
        "store = {}\n",
        toml::Value::String(from("file.sqlite"))
    ));
    // `history` names the store it looked for: which one shows which setting won.
    let o = home.brief(&["history"], &[]);
    assert!(last_error(&o).contains("file.sqlite"), "{}", stderr(&o));
    let env = from("env.sqlite");
    let o = home.brief(&["history"], &[("BRIEF_STORE", &env)]);
    assert!(last_error(&o).contains("env.sqlite"), "{}", stderr(&o));
    let flag = from("flag.sqlite");
    let o = home.brief(&["history", "--store", &flag], &[("BRIEF_STORE", &env)]);
    assert!(last_error(&o).contains("flag.sqlite"), "{}", stderr(&o));
}

#[test]
fn config_flag_and_env_name_the_file_and_the_flag_wins() {
    let home = Home::new();
    home.config("model = \"from-default-file\"\n");
    let named = home.path().join("named.toml");
    std::fs::write(&named, "model = \"from-named-file\"\n").unwrap();
    let other = home.path().join("other.toml");
    std::fs::write(&other, "model = \"from-env-file\"\n").unwrap();
    let other = other.to_str().unwrap();

    let o = home.brief(&["run", &seeds()], &[("BRIEF_CONFIG", other)]);
    assert!(last_error(&o).contains("from-env-file"), "{}", stderr(&o));
    let o = home.brief(
        &["run", &seeds(), "--config", named.to_str().unwrap()],
        &[("BRIEF_CONFIG", other)],
    );
    assert!(last_error(&o).contains("from-named-file"), "{}", stderr(&o));

    // A file that was asked for must exist; the default one may not.
    let missing = home.path().join("missing.toml");
    let o = home.brief(
        &["--config", missing.to_str().unwrap(), "config", "show"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(last_error(&o).starts_with(&format!("brief: {}: ", missing.display())));
    let o = Home::new().brief(&["config", "show"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_bad_key_or_value_is_one_line_naming_the_file_and_line_with_exit_2() {
    let home = Home::new();
    let p = home.config("model = \"m\"\n# a comment\nmax_token = 5\n");
    let o = home.brief(&["run", &seeds()], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("brief: {}:3: ", p.display())),
        "{err}"
    );
    assert!(err.contains("max_token"), "{err}");

    home.config("points = 4\nweights = \"heavy\"\n");
    let o = home.brief(&["config", "show"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("brief: {}:2: ", p.display())),
        "{err}"
    );
    assert!(err.contains("heavy") && err.contains("lean"), "{err}");

    home.config("points = \"many\"\n");
    let o = home.brief(&["config", "show"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(":1: "), "{}", stderr(&o));
}

#[test]
fn config_show_prints_each_setting_and_where_it_came_from() {
    let home = Home::new();
    let p = home.config("model = \"qwen-from-file\"\ntemperature = 0.5\nmode = \"hybrid\"\n");
    let models = home.path().join("m").display().to_string();
    let o = home.brief(
        &["--models-dir", &models, "config", "show"],
        &[("BRIEF_THREADS", "3"), ("BRIEF_PYTHON", "/opt/py")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let line = |key: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} in:\n{out}"))
            .to_string()
    };
    assert!(out.contains(&p.display().to_string()), "{out}");
    let model = line("model");
    assert!(
        model.contains("\"qwen-from-file\"") && model.ends_with("# file"),
        "{model}"
    );
    assert!(line("temperature").contains("0.5"), "{out}");
    assert!(line("mode").contains("\"hybrid\""), "{out}");
    let threads = line("threads");
    assert!(
        threads.contains(" 3 ") && threads.ends_with("# env BRIEF_THREADS"),
        "{threads}"
    );
    assert!(line("python").ends_with("# env BRIEF_PYTHON"), "{out}");
    let dir = line("models_dir");
    assert!(dir.contains(&models) && dir.ends_with("# flag"), "{dir}");
    let points = line("points");
    assert!(
        points.contains(" 6 ") && points.ends_with("# default"),
        "{points}"
    );
    assert!(line("weights").contains("\"fast\""), "{out}");
}

#[test]
fn help_shows_the_file_values_as_defaults() {
    let home = Home::new();
    home.config("max_tokens = 77\n");
    let o = home.brief(&["run", "--help"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("[default: 77]"), "{}", stdout(&o));
}

#[test]
fn completions_for_every_shell_complete_the_subcommands() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = home.brief(&["completions", shell], &[]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(script.len() > 500, "{shell}: {script}");
        assert!(script.contains("brief"), "{shell}");
        // `run` and its flags, as each shell spells them.
        assert!(script.contains("run"), "{shell}");
        assert!(script.contains("max-tokens"), "{shell}");
    }
    let o = home.brief(&["completions", "tcsh"], &[]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let o = Home::new().brief(&["man"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH brief 1"), "{page}");
    for sub in [
        "run", "models", "eval", "compare", "bench", "report", "history", "worker", "queue",
        "config",
    ] {
        assert!(
            page.contains(&format!("brief\\-{sub}(1)")),
            "{sub} missing:\n{page}"
        );
    }
    assert!(
        !page.contains("brief\\-model\\-worker"),
        "the hidden model worker is listed"
    );
}

#[test]
fn version_names_the_crate_version_and_the_commit() {
    let o = Home::new().brief(&["--version"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = stdout(&o);
    let rest = v
        .trim()
        .strip_prefix(&format!("brief {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{v}"));
    let commit = rest.split([',', ')']).next().unwrap();
    assert!(
        commit == "commit unknown"
            || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{v}"
    );
}
