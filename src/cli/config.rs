//! The config file (`$XDG_CONFIG_HOME/brief/config.toml`, `--config FILE`, `$BRIEF_CONFIG`):
//! every option that has an environment variable or a shared default, written once instead of
//! on every command line.
//!
//! The file does not add a second resolution: its values become clap's defaults before the
//! command line is parsed, so clap's own order (flag, then environment, then default) gives
//! flag > environment > file > built-in default, the built-ins stay in `defaults`, and
//! `--help` shows what a run would actually use.

use std::ffi::OsString;
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, Subcommand};
use serde::de::{self, Deserializer};
use serde::Deserialize;

use brief::briefing::Mode;
use brief::llm::model::{DeviceChoice, WeightFormat};
use brief::llm::{fetch, manifest};

use super::choice::Choice;
use super::defaults;

pub const ENV: &str = "BRIEF_CONFIG";

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the effective settings and where each came from (flag, env, file or default).
    Show,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {why}")]
    Read { path: String, why: String },
    #[error("{path}:{line}: {why}")]
    Invalid {
        path: String,
        line: usize,
        why: String,
    },
}

/// How a key reaches the flags it stands for.
#[derive(Clone, Copy)]
enum Fill {
    /// Every flag with this name: the flag has no built-in value to replace (its default is
    /// "not given", resolved later, as for `--store`).
    Always,
    /// Only flags that already have a built-in default. A flag without one chooses its value
    /// from the input (compare's `--points`), which a general preference must not override.
    Defaulted,
}

/// One setting of the file: its key, the clap argument it fills, the environment variable
/// that beats it, and the built-in default as `config show` prints it.
pub struct Key {
    pub name: &'static str,
    /// None where no flag takes it: the library reads its environment variable itself.
    arg: Option<&'static str>,
    env: Option<&'static str>,
    fill: Fill,
    quoted: bool,
    default: fn() -> Shown,
}

/// A value as `config show` prints it: a TOML value, or a description where the built-in is
/// decided later (all cores, the built-in prompts).
pub enum Shown {
    Value(String),
    Note(&'static str),
}

fn value(v: impl ToString) -> Shown {
    Shown::Value(v.to_string())
}

pub const KEYS: &[Key] = &[
    Key {
        name: "model",
        arg: Some("model"),
        env: None,
        fill: Fill::Defaulted,
        quoted: true,
        default: || value(defaults::MODEL),
    },
    Key {
        name: "models_dir",
        arg: Some("models_dir"),
        env: Some("BRIEF_MODELS"),
        fill: Fill::Always,
        quoted: true,
        // Shown only when $BRIEF_MODELS is unset, so this is the data dir.
        default: || value(manifest::models_dir(None).display()),
    },
    Key {
        name: "offline",
        arg: Some("offline"),
        env: Some("BRIEF_OFFLINE"),
        fill: Fill::Always,
        quoted: false,
        default: || value(false),
    },
    Key {
        name: "threads",
        arg: Some("threads"),
        env: Some("BRIEF_THREADS"),
        fill: Fill::Always,
        quoted: false,
        default: || Shown::Note("all cores"),
    },
    Key {
        name: "prompts",
        arg: Some("prompts"),
        env: Some("BRIEF_PROMPTS"),
        fill: Fill::Always,
        quoted: true,
        default: || Shown::Note("./prompts when it holds the templates, else built in"),
    },
    Key {
        name: "templates",
        arg: Some("templates"),
        env: Some("BRIEF_TEMPLATES"),
        fill: Fill::Always,
        quoted: true,
        default: || Shown::Note("built in"),
    },
    Key {
        name: "store",
        arg: Some("store"),
        env: Some("BRIEF_STORE"),
        fill: Fill::Always,
        quoted: true,
        default: || value(brief::report::store::default_path().display()),
    },
    Key {
        name: "python",
        arg: None,
        env: Some(fetch::PYTHON_ENV),
        fill: Fill::Always,
        quoted: true,
        default: || value(fetch::DEFAULT_PYTHON),
    },
    Key {
        name: "max_tokens",
        arg: Some("max_tokens"),
        env: None,
        fill: Fill::Defaulted,
        quoted: false,
        default: || value(defaults::MAX_TOKENS),
    },
    Key {
        name: "temperature",
        arg: Some("temperature"),
        env: None,
        fill: Fill::Defaulted,
        quoted: false,
        default: || value(defaults::sampling().temperature),
    },
    Key {
        name: "seed",
        arg: Some("seed"),
        env: None,
        fill: Fill::Defaulted,
        quoted: false,
        default: || value(defaults::sampling().seed),
    },
    Key {
        name: "repeat_penalty",
        arg: Some("repeat_penalty"),
        env: None,
        fill: Fill::Defaulted,
        quoted: false,
        default: || value(defaults::sampling().repeat_penalty),
    },
    Key {
        name: "points",
        arg: Some("points"),
        env: None,
        fill: Fill::Defaulted,
        quoted: false,
        default: || value(defaults::POINTS),
    },
    Key {
        name: "mode",
        arg: Some("mode"),
        env: None,
        fill: Fill::Defaulted,
        quoted: true,
        default: || value(defaults::MODE.name()),
    },
    Key {
        name: "judge",
        arg: Some("judge"),
        env: None,
        fill: Fill::Defaulted,
        quoted: true,
        default: || value(defaults::JUDGE),
    },
    Key {
        name: "weights",
        arg: Some("weights"),
        env: None,
        fill: Fill::Defaulted,
        quoted: true,
        default: || value(defaults::WEIGHTS.name()),
    },
    Key {
        name: "device",
        arg: Some("device"),
        env: None,
        fill: Fill::Defaulted,
        quoted: true,
        default: || value(defaults::DEVICE.name()),
    },
    Key {
        name: "wait_timeout",
        arg: Some("wait_timeout"),
        env: None,
        fill: Fill::Defaulted,
        quoted: false,
        default: || value(defaults::WAIT_TIMEOUT_SECS),
    },
    Key {
        name: "keep_days",
        arg: Some("keep_days"),
        env: None,
        fill: Fill::Defaulted,
        quoted: false,
        default: || value(defaults::KEEP_DAYS),
    },
    Key {
        name: "idle_exit",
        arg: Some("idle_exit"),
        env: Some("BRIEF_IDLE_EXIT"),
        fill: Fill::Always,
        quoted: false,
        default: || Shown::Note("wait for work for ever"),
    },
];

/// The file as written. Every key of [`KEYS`], checked here so that a typo or a bad value is
/// reported with its line rather than as a flag the user never typed.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileValues {
    model: Option<String>,
    models_dir: Option<PathBuf>,
    offline: Option<bool>,
    threads: Option<usize>,
    prompts: Option<PathBuf>,
    templates: Option<PathBuf>,
    store: Option<PathBuf>,
    python: Option<PathBuf>,
    max_tokens: Option<usize>,
    temperature: Option<f64>,
    seed: Option<u64>,
    repeat_penalty: Option<f32>,
    points: Option<usize>,
    mode: Option<Named<Mode>>,
    judge: Option<String>,
    weights: Option<Named<WeightFormat>>,
    device: Option<Named<DeviceChoice>>,
    wait_timeout: Option<u64>,
    keep_days: Option<u64>,
    idle_exit: Option<f64>,
}

/// A library enum by its command-line name, so the file takes exactly what the flag takes.
struct Named<T>(T);

impl<'de, T: Choice> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: Choice> de::Visitor<'_> for V<T> {
            type Value = Named<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("one of ")?;
                f.write_str(&names::<T>())
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Named<T>, E> {
                T::ALL
                    .iter()
                    .find(|v| v.name() == s)
                    .map(|&v| Named(v))
                    .ok_or_else(|| E::custom(format!("`{s}` is not one of {}", names::<T>())))
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

fn names<T: Choice>() -> String {
    T::ALL
        .iter()
        .map(|v| v.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The config file in effect, if any, and the values it sets, by key.
#[derive(Default)]
pub struct FileConfig {
    pub path: Option<PathBuf>,
    values: Vec<(&'static str, String)>,
}

impl FileConfig {
    /// The file named by `--config` (anywhere before `--`), else `$BRIEF_CONFIG`, else the
    /// default one when it exists. A file that was named but cannot be read is an error.
    pub fn load(args: impl IntoIterator<Item = OsString>) -> Result<Self, ConfigError> {
        let named = flag_value(args).or_else(|| std::env::var_os(ENV).filter(|v| !v.is_empty()));
        let (path, named) = match named {
            Some(p) => (PathBuf::from(p), true),
            None => match default_path() {
                Some(p) => (p, false),
                None => return Ok(Self::default()),
            },
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if !named && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default())
            }
            Err(e) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    why: e.to_string(),
                })
            }
        };
        Self::parse(&path, &text)
    }

    fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let v: FileValues = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.display().to_string(),
            line: e
                .span()
                .map_or(1, |s| text[..s.start].matches('\n').count() + 1),
            why: e.message().replace('\n', " ").trim().to_string(),
        })?;
        let p = |p: PathBuf| p.display().to_string();
        let values = [
            ("model", v.model),
            ("models_dir", v.models_dir.map(p)),
            ("offline", v.offline.map(|b| b.to_string())),
            ("threads", v.threads.map(|n| n.to_string())),
            ("prompts", v.prompts.map(p)),
            ("templates", v.templates.map(p)),
            ("store", v.store.map(p)),
            ("python", v.python.map(p)),
            ("max_tokens", v.max_tokens.map(|n| n.to_string())),
            ("temperature", v.temperature.map(|x| x.to_string())),
            ("seed", v.seed.map(|n| n.to_string())),
            ("repeat_penalty", v.repeat_penalty.map(|x| x.to_string())),
            ("points", v.points.map(|n| n.to_string())),
            ("mode", v.mode.map(|m| m.0.name().to_string())),
            ("judge", v.judge),
            ("weights", v.weights.map(|m| m.0.name().to_string())),
            ("device", v.device.map(|m| m.0.name().to_string())),
            ("wait_timeout", v.wait_timeout.map(|n| n.to_string())),
            ("keep_days", v.keep_days.map(|n| n.to_string())),
            ("idle_exit", v.idle_exit.map(|x| x.to_string())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        Ok(FileConfig {
            path: Some(path.to_path_buf()),
            values,
        })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The command line with the file's values as its defaults, in every subcommand.
    pub fn apply(&self, cmd: clap::Command) -> clap::Command {
        let cmd = cmd.mut_args(|a| self.fill(a));
        cmd.mut_subcommands(|s| self.apply(s))
    }

    fn fill(&self, arg: clap::Arg) -> clap::Arg {
        let Some(key) = KEYS.iter().find(|k| k.arg == Some(arg.get_id().as_str())) else {
            return arg;
        };
        let Some(v) = self.get(key.name) else {
            return arg;
        };
        match key.fill {
            Fill::Defaulted if arg.get_default_values().is_empty() => arg,
            _ => arg.default_value(v.to_string()),
        }
    }

    /// What the library reads from the environment itself rather than through a flag:
    /// the file fills it in where the environment leaves it unset.
    pub fn export(&self) {
        if let Some(v) = self.get("python") {
            if std::env::var_os(fetch::PYTHON_ENV).is_none_or(|e| e.is_empty()) {
                std::env::set_var(fetch::PYTHON_ENV, v);
            }
        }
    }
}

/// `$XDG_CONFIG_HOME/brief/config.toml` (`~/.config` when unset) and the platform's
/// equivalent elsewhere.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("brief").join("config.toml"))
}

/// `--config FILE` or `--config=FILE`, read before clap parses: the file decides the defaults
/// clap parses with.
fn flag_value(args: impl IntoIterator<Item = OsString>) -> Option<OsString> {
    let mut args = args.into_iter().skip(1);
    let mut found = None;
    while let Some(a) = args.next() {
        if a == "--" {
            break;
        }
        if a == "--config" {
            found = args.next();
        } else if let Some(v) = a.to_str().and_then(|s| s.strip_prefix("--config=")) {
            found = Some(v.into());
        }
    }
    found
}

/// Where a setting's value came from.
#[derive(Debug, PartialEq)]
pub enum Source {
    Flag,
    Env(&'static str),
    File,
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("flag"),
            Source::Env(name) => write!(f, "env {name}"),
            Source::File => f.write_str("file"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// Each setting's value and source, in the order flag > environment > file > default. Only
/// the global flags can be given to `config show` itself; the others show what a subcommand
/// without those flags would use.
pub fn effective(file: &FileConfig, matches: &ArgMatches) -> Vec<(&'static Key, Shown, Source)> {
    KEYS.iter()
        .map(|k| {
            let flag = k.arg.and_then(|arg| {
                matches
                    .try_get_raw(arg)
                    .ok()
                    .flatten()
                    .filter(|_| matches.value_source(arg) == Some(ValueSource::CommandLine))
            });
            if let Some(mut raw) = flag {
                let v = raw.next().map(|v| v.to_string_lossy().into_owned());
                return (k, value(v.unwrap_or_default()), Source::Flag);
            }
            if let Some(name) = k.env {
                if let Some(v) = std::env::var_os(name).filter(|v| !v.is_empty()) {
                    return (k, value(v.to_string_lossy()), Source::Env(name));
                }
            }
            match file.get(k.name) {
                Some(v) => (k, value(v), Source::File),
                None => (k, (k.default)(), Source::Default),
            }
        })
        .collect()
}

pub fn show(file: &FileConfig, matches: &ArgMatches) -> anyhow::Result<()> {
    match &file.path {
        Some(p) => println!("# config file: {}", p.display()),
        None => match default_path() {
            Some(p) => println!("# config file: none ({} does not exist)", p.display()),
            None => println!("# config file: none"),
        },
    }
    for (key, shown, source) in effective(file, matches) {
        let v = match shown {
            Shown::Value(v) if key.quoted => toml::Value::String(v).to_string(),
            Shown::Value(v) => v,
            Shown::Note(n) => format!("({n})"),
        };
        println!("{:<15} = {:<40} # {source}", key.name, v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_config_flag_is_found_before_clap_parses_in_either_spelling() {
        assert_eq!(flag_value(args(&["brief", "run", "x"])), None);
        assert_eq!(
            flag_value(args(&["brief", "--config", "a.toml", "run"])),
            Some("a.toml".into())
        );
        assert_eq!(
            flag_value(args(&["brief", "run", "--config=b.toml", "x"])),
            Some("b.toml".into())
        );
        // After `--` it is an input file's name, not the flag.
        assert_eq!(flag_value(args(&["brief", "run", "--", "--config"])), None);
    }

    #[test]
    fn bad_values_name_their_line() {
        let p = Path::new("c.toml");
        let e = FileConfig::parse(p, "model = \"x\"\n\nmode = \"fancy\"\n")
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("c.toml:3: "), "{e}");
        assert!(e.contains("fancy") && e.contains("extractive"), "{e}");
        let e = FileConfig::parse(p, "threads = -1\n")
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("c.toml:1: "), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn every_key_is_read_from_the_file() {
        let text = "model = \"m\"\nmodels_dir = \"d\"\noffline = true\nthreads = 2\n\
                    prompts = \"p\"\ntemplates = \"t\"\nstore = \"s\"\npython = \"py\"\nmax_tokens = 9\n\
                    temperature = 0\nseed = 3\nrepeat_penalty = 1.5\npoints = 4\n\
                    mode = \"hybrid\"\njudge = \"j\"\nweights = \"lean\"\ndevice = \"cuda\"\n\
                    wait_timeout = 60\nkeep_days = 0\nidle_exit = 2.5\n";
        let f = FileConfig::parse(Path::new("c.toml"), text).unwrap();
        for k in KEYS {
            assert!(f.get(k.name).is_some(), "{} not read", k.name);
        }
        assert_eq!(f.get("temperature"), Some("0"));
        assert_eq!(f.get("weights"), Some("lean"));
        assert_eq!(f.get("idle_exit"), Some("2.5"));
    }
}
