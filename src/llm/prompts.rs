//! The prompt templates in `prompts/`, read at run time so they can be edited without
//! recompiling. A variable a template uses but the caller does not give is an error, never an
//! empty string.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior};
use sha2::{Digest, Sha256};

use crate::llm::fetch::hex;

/// The templates a run needs.
pub const NAMES: &[&str] = &[
    "system.j2",
    "article.j2",
    "briefing.j2",
    "article.base.j2",
    "briefing.base.j2",
    "check.j2",
    "check.base.j2",
];

/// Templates added after the first release: a prompts directory made before them may lack
/// them, and then the built-in copy stands in rather than the run failing.
const ADDED_LATER: &[&str] = &["check.j2", "check.base.j2"];

/// Instructions one render may run. The built-in templates need a few hundred per source;
/// this is far above any real prompt yet stops `{% for a in range(10000) %}` nested three deep
/// in well under a second instead of never.
const FUEL: u64 = 2_000_000;

/// Copies compiled in, used only when no prompts directory is found, so that an installed
/// binary still works.
const BUILTIN: &[(&str, &str)] = &[
    (
        "system.j2",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.j2")),
    ),
    (
        "article.j2",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/article.j2")),
    ),
    (
        "briefing.j2",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/briefing.j2")),
    ),
    (
        "article.base.j2",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/prompts/article.base.j2"
        )),
    ),
    (
        "briefing.base.j2",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/prompts/briefing.base.j2"
        )),
    ),
    (
        "check.j2",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/check.j2")),
    ),
    (
        "check.base.j2",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/prompts/check.base.j2"
        )),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("{path}: {why}")]
    Read { path: String, why: String },
    #[error("{path}: template error: {why}")]
    Template { path: String, why: String },
}

pub struct Prompts {
    env: Environment<'static>,
    /// Where the templates came from: a directory, or "built-in".
    pub origin: String,
    /// sha256 of each template's text, for the run record and cache keys.
    pub hashes: BTreeMap<String, String>,
}

impl Prompts {
    /// `--prompts DIR`, else `$BRIEF_PROMPTS`, else `./prompts` when it holds the templates,
    /// else the built-in copies.
    pub fn locate(flag: Option<&Path>) -> Result<Self, PromptError> {
        let from_env = std::env::var_os("BRIEF_PROMPTS").map(PathBuf::from);
        if let Some(dir) = flag.map(Path::to_path_buf).or(from_env) {
            return Self::from_dir(&dir);
        }
        let cwd = PathBuf::from("prompts");
        if NAMES
            .iter()
            .filter(|n| !ADDED_LATER.contains(n))
            .all(|n| cwd.join(n).is_file())
        {
            return Self::from_dir(&cwd);
        }
        Self::from_sources(
            "built-in".into(),
            BUILTIN
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
        )
    }

    pub fn from_dir(dir: &Path) -> Result<Self, PromptError> {
        let mut sources = Vec::new();
        for name in NAMES {
            let path = dir.join(name);
            if ADDED_LATER.contains(name) && !path.exists() {
                if let Some((_, builtin)) = BUILTIN.iter().find(|(n, _)| n == name) {
                    sources.push((name.to_string(), builtin.to_string()));
                    continue;
                }
            }
            let text = std::fs::read_to_string(&path).map_err(|e| PromptError::Read {
                path: path.display().to_string(),
                why: e.to_string(),
            })?;
            sources.push((name.to_string(), text));
        }
        Self::from_sources(dir.display().to_string(), sources)
    }

    fn from_sources(origin: String, sources: Vec<(String, String)>) -> Result<Self, PromptError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        let mut hashes = BTreeMap::new();
        for (name, text) in sources {
            hashes.insert(name.clone(), hex(&Sha256::digest(text.as_bytes())));
            let path = format!("{origin}/{name}");
            env.add_template_owned(name, text)
                .map_err(|e| PromptError::Template {
                    path,
                    why: describe(&e),
                })?;
        }
        let prompts = Self {
            env,
            origin,
            hashes,
        };
        prompts.check()?;
        Ok(prompts)
    }

    /// Renders every template once against a context like the ones the run will give, so a
    /// misspelt variable or a runaway loop is a usage error at start-up, not after the model
    /// has loaded (or after the first hour of a report).
    fn check(&self) -> Result<(), PromptError> {
        let sources = serde_json::json!([
            {"id": "S1", "title": "A title", "summary": "A summary."},
            {"id": "S2", "title": "", "summary": "Another summary."},
        ]);
        let sources = minijinja::Value::from(minijinja::value::Serde(&sources));
        let globals: Vec<&str> = self.env.globals().map(|(n, _)| n).collect();
        for name in NAMES {
            let given: &[&str] = match *name {
                "system.j2" => &[],
                n if n.starts_with("article") => &["title", "text", "sentences", "part", "parts"],
                n if n.starts_with("check") => &["passage", "statement"],
                _ => &["sources", "points"],
            };
            let tmpl = self
                .env
                .get_template(name)
                .map_err(|e| PromptError::Template {
                    path: format!("{}/{name}", self.origin),
                    why: describe(&e),
                })?;
            let unknown = unknown_variables(&tmpl, given, &globals);
            if !unknown.is_empty() {
                return Err(PromptError::Template {
                    path: format!("{}/{name}", self.origin),
                    why: format!(
                        "uses the undefined variable(s) {} (a run gives: {})",
                        unknown.join(", "),
                        if given.is_empty() {
                            "none".to_string()
                        } else {
                            given.join(", ")
                        }
                    ),
                });
            }
            for parts in [1, 2] {
                let ctx = match *name {
                    "system.j2" => minijinja::context! {},
                    n if n.starts_with("article") => minijinja::context! {
                        title => "A title", text => "Some text.", sentences => 3,
                        part => 1, parts => parts,
                    },
                    n if n.starts_with("check") => minijinja::context! {
                        passage => "A passage.", statement => "A statement.",
                    },
                    _ => minijinja::context! { sources => sources.clone(), points => 4 },
                };
                self.render(name, ctx)?;
            }
        }
        Ok(())
    }

    /// Renders one template; the result is trimmed of surrounding whitespace.
    pub fn render<S: serde::Serialize>(&self, name: &str, ctx: S) -> Result<String, PromptError> {
        let path = format!("{}/{name}", self.origin);
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| PromptError::Template {
                path: path.clone(),
                why: describe(&e),
            })?;
        tmpl.render(minijinja::Value::from(minijinja::value::Serde(&ctx)))
            .map(|s| s.trim().to_string())
            .map_err(|e| PromptError::Template {
                path,
                why: describe(&e),
            })
    }

    /// One hash over all templates: what a cached result depends on.
    pub fn combined_hash(&self) -> String {
        let mut h = Sha256::new();
        for (name, hash) in &self.hashes {
            h.update(name.as_bytes());
            h.update(hash.as_bytes());
        }
        hex(&h.finalize())
    }
}

/// minijinja's Display spans lines; keep the one-line cause with its location.
fn describe(e: &minijinja::Error) -> String {
    let mut s = e.kind().to_string();
    if let Some(detail) = e.detail() {
        s.push_str(": ");
        s.push_str(detail);
    }
    if let Some(line) = e.line() {
        s.push_str(&format!(" (line {line})"));
    }
    s
}

/// The top-level names a template uses that neither its context (`given`) nor the
/// environment's globals define, sorted. Read from the template, not from a rendering, so a
/// typo inside a branch no sample takes is caught too.
pub fn unknown_variables(t: &minijinja::Template, given: &[&str], globals: &[&str]) -> Vec<String> {
    let mut unknown: Vec<String> = t
        .undeclared_variables(false)
        .into_iter()
        .filter(|v| !given.contains(&v.as_str()) && !globals.contains(&v.as_str()))
        .collect();
    unknown.sort();
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    fn write_all(dir: &Path) {
        for (name, text) in BUILTIN {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }

    #[test]
    fn builtin_templates_render_with_all_variables() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path());
        let p = Prompts::from_dir(dir.path()).unwrap();
        let out = p
            .render(
                "article.j2",
                context! { title => "T", text => "Body.", sentences => 3, part => 1, parts => 1 },
            )
            .unwrap();
        assert!(
            out.contains("Body.") && out.contains("3 short sentences"),
            "{out}"
        );
        let sources = vec![
            serde_json::json!({"id": "S1", "title": "A", "summary": "One."}),
            serde_json::json!({"id": "S2", "title": "", "summary": "Two."}),
        ];
        let out = p
            .render(
                "briefing.j2",
                context! { sources => minijinja::Value::from(minijinja::value::Serde(&sources)), points => 4 },
            )
            .unwrap();
        assert!(
            out.contains("[S1] A: One.") && out.contains("[S2] Two."),
            "{out}"
        );
    }

    #[test]
    fn a_missing_variable_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path());
        let p = Prompts::from_dir(dir.path()).unwrap();
        let err = p
            .render("article.j2", context! { text => "x", sentences => 3 })
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("article.j2") && err.contains("undefined"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1);
    }

    #[test]
    fn a_broken_or_missing_template_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path());
        std::fs::write(dir.path().join("briefing.j2"), "{% for x in %}").unwrap();
        let err = Prompts::from_dir(dir.path()).err().unwrap().to_string();
        assert!(err.contains("briefing.j2"), "{err}");
        std::fs::remove_file(dir.path().join("system.j2")).unwrap();
        let err = Prompts::from_dir(dir.path()).err().unwrap().to_string();
        assert!(err.contains("system.j2"), "{err}");
    }

    /// A missing variable used to surface only when the first prompt was rendered, after the
    /// model had loaded, and did not say which variable.
    #[test]
    fn a_template_with_an_unknown_variable_is_refused_when_located_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path());
        std::fs::write(
            dir.path().join("article.j2"),
            "Summarize {{ text }} for {{ audience }}.",
        )
        .unwrap();
        let err = Prompts::from_dir(dir.path()).err().unwrap().to_string();
        assert!(
            err.contains("article.j2") && err.contains("audience"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }

    #[test]
    fn a_runaway_template_runs_out_of_fuel_quickly() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path());
        std::fs::write(
            dir.path().join("system.j2"),
            "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}x{% endfor %}{% endfor %}{% endfor %}",
        )
        .unwrap();
        let started = std::time::Instant::now();
        let err = Prompts::from_dir(dir.path()).err().unwrap().to_string();
        assert!(err.contains("system.j2") && err.contains("fuel"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn editing_a_template_changes_the_hash() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path());
        let a = Prompts::from_dir(dir.path()).unwrap().combined_hash();
        std::fs::write(dir.path().join("system.j2"), "Be terse.").unwrap();
        let b = Prompts::from_dir(dir.path()).unwrap().combined_hash();
        assert_ne!(a, b);
    }
}
