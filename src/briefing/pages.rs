//! The page and Markdown templates: a report's `briefing.html` and `briefing.md`,
//! `index.html`, `compare.html` and `compare.md`, and `brief run`'s Markdown, all rendered from
//! the minijinja templates in `templates/`. The engine escapes every value by the template's
//! file name: `.html` for HTML, `.md` for Markdown ([`escape_markdown`]), so a title or a feed's
//! link cannot add markup; links pass the `web_url` filter (HTML) or `link` (Markdown), which
//! keep only http(s). Built-in copies are compiled in; `--templates DIR` replaces any of them
//! by a file of the same name, the way `--prompts` replaces the prompt templates.

use std::fmt::Write as _;
use std::path::Path;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

/// Every template a page or a Markdown output may use.
pub const NAMES: &[&str] = &[
    "report.html",
    "index.html",
    "compare.html",
    "report.css",
    "compare.css",
    "briefing.md",
    "report.md",
    "compare.md",
    "compare-tables.md",
    "parts.md",
];

/// Far above what a page of a hundred stories needs, low enough that a template looping
/// without end fails in about a second instead of holding the report lock.
const FUEL: u64 = 50_000_000;

/// The auto-escape format of `.md` templates, which the formatter below knows.
const MARKDOWN: &str = "markdown";

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $name)))),*]
    };
}

const BUILTIN: &[(&str, &str)] = builtin!(
    "report.html",
    "index.html",
    "compare.html",
    "report.css",
    "compare.css",
    "briefing.md",
    "report.md",
    "compare.md",
    "compare-tables.md",
    "parts.md",
);

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{path}: {why}")]
    Read { path: String, why: String },
    #[error("{path}: template error: {why}")]
    Template { path: String, why: String },
}

/// The page and Markdown templates of a run.
pub struct Pages {
    /// `.html` and `.css`: HTML auto-escaping, whitespace as written.
    html: Environment<'static>,
    /// `.md`: Markdown auto-escaping, and block tags on lines of their own vanish with
    /// their line, so a template reads like the Markdown it writes.
    md: Environment<'static>,
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
        let mut html = Environment::new();
        // Escaping follows the file name: `.html` is HTML-escaped, `.css` is not touched.
        html.set_auto_escape_callback(minijinja::default_auto_escape_callback);
        html.add_filter("web_url", |url: Option<String>| {
            url.as_deref().and_then(web_url).map(str::to_string)
        });
        let mut md = Environment::new();
        md.set_auto_escape_callback(|name| {
            if name.ends_with(".md") {
                AutoEscape::Custom(MARKDOWN.into())
            } else {
                AutoEscape::None
            }
        });
        md.set_formatter(|out, state, value| match state.auto_escape() {
            AutoEscape::Custom(name) if name == MARKDOWN && !value.is_safe() => {
                out.write_str(&escape_markdown(&value.to_string()))?;
                Ok(())
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        md.set_syntax(
            SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("the Markdown syntax settings are valid"),
        );
        md.add_filter("web_url", |url: Option<String>| {
            url.as_deref().and_then(web_url).map(str::to_string)
        });
        md.add_filter("link", |text: String, url: Option<String>| {
            Value::from_safe_string(markdown_link(&text, url.as_deref()))
        });
        md.add_filter("autolink", |url: String| {
            Value::from_safe_string(match web_url(&url) {
                Some(u) => format!("<{}>", link_target(u)),
                None => escape_markdown(&url),
            })
        });
        md.add_filter("code", |text: String| {
            Value::from_safe_string(markdown_code(&text))
        });
        md.add_filter("cell", |text: String| {
            Value::from_safe_string(escape_markdown(&text).replace('|', "\\|"))
        });
        for env in [&mut html, &mut md] {
            // Spans in errors even in a release build, so an error can quote what failed.
            env.set_debug(true);
            env.set_undefined_behavior(UndefinedBehavior::Strict);
            env.set_fuel(Some(FUEL));
        }
        let mut origins = Vec::new();
        for (name, text) in BUILTIN {
            let env = if name.ends_with(".md") {
                &mut md
            } else {
                &mut html
            };
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
        Ok(Pages { html, md, origins })
    }

    /// Where template `name` came from, as an error names it.
    fn path(&self, name: &str) -> String {
        match self.origins.iter().find(|(n, _)| n == name) {
            Some((_, o)) if o == "built-in" => format!("built-in {name}"),
            Some((_, o)) => o.clone(),
            None => name.to_string(),
        }
    }

    /// Renders template `name` (one of [`NAMES`]) with `ctx`.
    pub fn render<S: serde::Serialize>(&self, name: &str, ctx: S) -> Result<String, PageError> {
        let path = self.path(name);
        let env = if name.ends_with(".md") {
            &self.md
        } else {
            &self.html
        };
        let t = env.get_template(name).map_err(|e| PageError::Template {
            path: path.clone(),
            why: describe(&e),
        })?;
        let mut page = t
            .render(minijinja::Value::from(minijinja::value::Serde(&ctx)))
            .map_err(|e| PageError::Template {
                path,
                why: describe(&e),
            })?;
        // minijinja drops an HTML template's last newline; a page ends with one.
        if !page.ends_with('\n') {
            page.push('\n');
        }
        Ok(page)
    }

    /// Renders template `name` against each of `samples` (contexts shaped like the real one:
    /// one with every optional part present, one with none), before any model work, so a
    /// misspelt variable in a `--templates` file is a usage error naming the file and the
    /// variable, not a failure after an hour of model time. Top-level names the template uses
    /// are checked against `given` too, so one inside a branch no sample takes is caught.
    pub fn check<S: serde::Serialize>(
        &self,
        name: &str,
        given: &[&str],
        samples: &[S],
    ) -> Result<(), PageError> {
        let path = self.path(name);
        let env = if name.ends_with(".md") {
            &self.md
        } else {
            &self.html
        };
        let t = env.get_template(name).map_err(|e| PageError::Template {
            path: path.clone(),
            why: describe(&e),
        })?;
        let globals: Vec<&str> = env.globals().map(|(n, _)| n).collect();
        let unknown = crate::llm::prompts::unknown_variables(&t, given, &globals);
        if !unknown.is_empty() {
            return Err(PageError::Template {
                path,
                why: format!(
                    "uses the undefined variable(s) {} (this page is given: {})",
                    unknown.join(", "),
                    given.join(", ")
                ),
            });
        }
        for sample in samples {
            let ctx = minijinja::Value::from(minijinja::value::Serde(sample));
            if let Err(e) = t.render(ctx) {
                let mut why = describe(&e);
                // Name what was undefined, from the template's own text, when the engine
                // has not (an attribute of a loop variable, say).
                if e.kind() == minijinja::ErrorKind::UndefinedError && !why.contains("is undefined")
                {
                    if let Some(expr) = e.range().and_then(|r| t.source().get(r)) {
                        why.push_str(&format!(": `{expr}` is undefined"));
                    }
                }
                return Err(PageError::Template { path, why });
            }
        }
        Ok(())
    }
}

/// The one escape for text from a feed, a file or a model going into Markdown, which the
/// engine applies to every value a `.md` template prints: on one line (a newline could start a
/// heading, a quote or a link definition), no raw HTML (`<` and `>` as entities), no backtick
/// that could open a code span, and no `]` that could close a link text or start a
/// definition. Brackets that cannot make a link stay as they are, so `[update]` in a title
/// reads as written; a `javascript:` url printed as a value is text, since only `<…>` or
/// `[…](…)` make a link and neither can be formed.
pub fn escape_markdown(text: &str) -> String {
    markdown_escape(text, false)
}

fn markdown_escape(text: &str, in_link: bool) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(flat.len());
    let mut chars = flat.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' => out.push_str("\\`"),
            '[' if in_link => out.push_str("\\["),
            ']' if in_link || matches!(chars.peek(), Some('(' | ':' | '[')) => out.push_str("\\]"),
            c => out.push(c),
        }
    }
    out
}

/// The url, trimmed, when it is one a reader may follow: http or https only, so a feed's
/// `javascript:` or `data:` link is never written as a link.
pub fn web_url(url: &str) -> Option<&str> {
    let u = url.trim();
    let scheme = u.split_once("://").map(|(s, _)| s)?;
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")).then_some(u)
}

/// `[text](url)` when the url is one a reader may follow, else the text alone.
fn markdown_link(text: &str, url: Option<&str>) -> String {
    match url.and_then(web_url).map(link_target) {
        Some(url) => format!("[{}]({url})", markdown_escape(text, true)),
        None => escape_markdown(text),
    }
}

/// Text inside a code span: the fence is one backtick longer than any run inside it, so a
/// path with backticks cannot end the span early and let the rest be read as Markdown.
fn markdown_code(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let longest = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{flat}{fence}")
    } else {
        format!("{fence} {flat} {fence}")
    }
}

/// A url usable both as `[text](url)` and `<url>`: the characters that would end either
/// early are percent-encoded, which browsers read the same.
fn link_target(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.trim().chars() {
        match c {
            '(' | ')' | '<' | '>' => {
                let _ = write!(out, "%{:02X}", c as u32);
            }
            c if c.is_whitespace() || c.is_control() => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "%{b:02X}");
                }
            }
            c => out.push(c),
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_are_links() {
        assert_eq!(
            web_url(" https://a.example/x "),
            Some("https://a.example/x")
        );
        assert_eq!(web_url("HTTP://a.example"), Some("HTTP://a.example"));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "java\tscript://x",
            "//x",
            "x",
        ] {
            assert_eq!(web_url(bad), None, "{bad}");
        }
        assert_eq!(
            markdown_link("A [b](javascript:c) <i>", Some("javascript:alert(1)")),
            "A [b\\](javascript:c) &lt;i&gt;"
        );
        assert_eq!(
            markdown_link("A [b]", Some("https://x.example/a b")),
            "[A \\[b\\]](https://x.example/a%20b)"
        );
    }

    #[test]
    fn markdown_escaping_keeps_text_text() {
        assert_eq!(
            escape_markdown("Talks [update] resume"),
            "Talks [update] resume"
        );
        assert_eq!(
            escape_markdown("a\n[r]: x `c` <b> \\"),
            "a [r\\]: x \\`c\\` &lt;b&gt; \\\\"
        );
    }

    #[test]
    fn a_path_with_backticks_stays_inside_its_code_span() {
        assert_eq!(markdown_code("a`<b>`c"), "`` a`<b>`c ``");
        assert_eq!(markdown_code("plain"), "`plain`");
    }

    /// The engine escapes what a `.md` template prints, leaves what the filters built, and
    /// leaves `.html` to HTML escaping.
    #[test]
    fn each_template_is_escaped_for_its_format() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("briefing.md"),
            "{{ t }} {{ t|link(u) }} {{ t|code }} {{ 'https://a.example'|autolink }} {{ u|autolink }}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("index.html"), "{{ t }}").unwrap();
        let pages = Pages::locate(Some(dir.path())).unwrap();
        let ctx = minijinja::context! { t => "<b>[x](y)</b>", u => "javascript:z" };
        assert_eq!(
            pages.render("briefing.md", &ctx).unwrap(),
            "&lt;b&gt;[x\\](y)&lt;/b&gt; &lt;b&gt;[x\\](y)&lt;/b&gt; `<b>[x](y)</b>` <https://a.example> javascript:z\n"
        );
        assert_eq!(
            pages.render("index.html", &ctx).unwrap(),
            "&lt;b&gt;[x](y)&lt;&#x2f;b&gt;\n"
        );
    }

    #[test]
    fn an_unknown_variable_is_named_with_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        std::fs::write(
            &path,
            "{% for s in stories %}{{ s.headlinez }}{% endfor %}\n",
        )
        .unwrap();
        let pages = Pages::locate(Some(dir.path())).unwrap();
        let full = minijinja::context! { stories => vec![minijinja::context! { headline => "h" }] };
        let e = pages
            .check("report.md", &["stories"], &[full])
            .unwrap_err()
            .to_string();
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(e.contains("s.headlinez"), "{e}");
        std::fs::write(&path, "{% if false %}{{ sourcez }}{% endif %}\n").unwrap();
        let pages = Pages::locate(Some(dir.path())).unwrap();
        let e = pages
            .check("report.md", &["stories"], &[minijinja::context! {}])
            .unwrap_err()
            .to_string();
        assert!(e.contains("sourcez"), "{e}");
    }
}
