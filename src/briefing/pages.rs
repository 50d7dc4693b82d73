//! The HTML pages (a report's `briefing.html`, `index.html`, `compare.html`), rendered from the
//! minijinja templates in `templates/`. The engine escapes every value in a `.html` template,
//! so a title or a feed's link cannot add markup; links pass the `web_url` filter, which keeps
//! only http(s). Built-in copies are compiled in; `--templates DIR` replaces any of them by a
//! file of the same name, the way `--prompts` replaces the prompt templates.

use std::path::Path;

use minijinja::{Environment, UndefinedBehavior};

use super::render::web_url;

/// Every template a page may use.
pub const NAMES: &[&str] = &[
    "report.html",
    "index.html",
    "compare.html",
    "report.css",
    "compare.css",
];

/// Far above what a page of a hundred stories needs, low enough that a template looping
/// without end fails in about a second instead of holding the report lock.
const FUEL: u64 = 50_000_000;

const BUILTIN: &[(&str, &str)] = &[
    (
        "report.html",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates/report.html"
        )),
    ),
    (
        "index.html",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/index.html")),
    ),
    (
        "compare.html",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates/compare.html"
        )),
    ),
    (
        "report.css",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/report.css")),
    ),
    (
        "compare.css",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates/compare.css"
        )),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{path}: {why}")]
    Read { path: String, why: String },
    #[error("{path}: template error: {why}")]
    Template { path: String, why: String },
}

/// The page templates of a run.
pub struct Pages {
    env: Environment<'static>,
    /// Where each template came from: its file, or "built-in".
    origins: Vec<(String, String)>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("origins", &self.origins)
            .finish()
    }
}

impl Pages {
    /// The compiled-in templates.
    pub fn builtin() -> Self {
        Self::build(Vec::new()).expect("the built-in page templates compile")
    }

    /// `dir`'s templates over the built-in ones; the built-in ones alone without a directory.
    /// A directory that does not exist, or holds none of [`NAMES`], is an error: a typo in
    /// `--templates` should not silently give the default look.
    pub fn locate(dir: Option<&Path>) -> Result<Self, PageError> {
        let Some(dir) = dir else {
            return Ok(Self::builtin());
        };
        let shown = dir.display().to_string();
        if !dir.is_dir() {
            return Err(PageError::Read {
                path: shown,
                why: "not a directory of page templates".into(),
            });
        }
        let mut own = Vec::new();
        for name in NAMES {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => own.push((name.to_string(), path.display().to_string(), text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(PageError::Read {
                        path: path.display().to_string(),
                        why: e.to_string(),
                    })
                }
            }
        }
        if own.is_empty() {
            return Err(PageError::Read {
                path: shown,
                why: format!("holds none of the page templates ({})", NAMES.join(", ")),
            });
        }
        Self::build(own)
    }

    fn build(own: Vec<(String, String, String)>) -> Result<Self, PageError> {
        let mut env = Environment::new();
        // Escaping follows the file name: `.html` is HTML-escaped, `.css` is not touched.
        env.set_auto_escape_callback(minijinja::default_auto_escape_callback);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.add_filter("web_url", |url: Option<String>| {
            url.as_deref().and_then(web_url).map(str::to_string)
        });
        let mut origins = Vec::new();
        for (name, text) in BUILTIN {
            if let Some((_, path, text)) = own.iter().find(|(n, _, _)| n == name) {
                env.add_template_owned(name.to_string(), text.clone())
                    .map_err(|e| PageError::Template {
                        path: path.clone(),
                        why: describe(&e),
                    })?;
                origins.push((name.to_string(), path.clone()));
            } else {
                env.add_template(name, text)
                    .map_err(|e| PageError::Template {
                        path: format!("built-in {name}"),
                        why: describe(&e),
                    })?;
                origins.push((name.to_string(), "built-in".to_string()));
            }
        }
        Ok(Pages { env, origins })
    }

    /// Renders template `name` (one of [`NAMES`]) with `ctx`.
    pub fn render<S: serde::Serialize>(&self, name: &str, ctx: S) -> Result<String, PageError> {
        let origin = self
            .origins
            .iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| name.to_string(), |(_, o)| o.clone());
        let path = if origin == "built-in" {
            format!("built-in {name}")
        } else {
            origin
        };
        let t = self
            .env
            .get_template(name)
            .map_err(|e| PageError::Template {
                path: path.clone(),
                why: describe(&e),
            })?;
        let mut page = t
            .render(minijinja::Value::from(minijinja::value::Serde(&ctx)))
            .map_err(|e| PageError::Template {
                path,
                why: describe(&e),
            })?;
        // minijinja drops a template's last newline; a page ends with one.
        if !page.ends_with('\n') {
            page.push('\n');
        }
        Ok(page)
    }
}

/// The error with its line, and the cause minijinja chains under it.
fn describe(e: &minijinja::Error) -> String {
    let mut s = e.to_string();
    if let Some(line) = e.line() {
        if !s.contains("line") {
            s.push_str(&format!(" (line {line})"));
        }
    }
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        s.push_str(&format!(": {c}"));
        cause = c.source();
    }
    s
}
