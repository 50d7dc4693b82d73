//! Which model a run uses, from the user's words to a loaded model: a manifest name or a GGUF
//! path ([`ModelSpec`]) is resolved to a checked local file ([`resolve_model`], fetching a named
//! model that is missing), then loaded with the sentence embedder beside it ([`load_model`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::llm::embed::Embedder;
use crate::llm::fetch::{self, FetchError, FileState};
use crate::llm::manifest::{self, Manifest, Role};
use crate::llm::model::{self, DeviceChoice, Model, WeightFormat};

/// A model the user asked for that cannot be run, as opposed to a failure while running it.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("{0}: no such model file")]
    NoModelFile(String),
    #[error(
        "{0}: is a directory; give the .gguf file inside it, or a name from `brief models list`"
    )]
    ModelIsDir(String),
    #[error("model `{0}` is an embedding model and cannot write summaries")]
    NotGenerative(String),
    #[error("{0}; `brief models fetch {1} --force` replaces it")]
    CorruptModel(String, String),
}

/// Which model to run: a manifest name or a path to a GGUF file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum ModelSpec {
    Named(String),
    Path(PathBuf),
}

impl ModelSpec {
    pub fn parse(s: &str) -> Self {
        let p = Path::new(s);
        if s.ends_with(".gguf") || p.is_file() || p.is_dir() {
            ModelSpec::Path(p.to_path_buf())
        } else {
            ModelSpec::Named(s.to_string())
        }
    }
}

/// A model spec made concrete: the local file and what identifies it in a run's record.
#[derive(Debug, Clone)]
pub struct ResolvedModel {
    /// The GGUF file, present and (for a named model) checked against its manifest.
    pub path: PathBuf,
    /// The manifest name, or the file stem of a path given directly.
    pub name: String,
    /// The file's sha256 in hex: the manifest's for a named model, computed for a path.
    pub sha256: String,
    /// The manifest's role; `None` for a path given directly (the file's chat template
    /// decides, see [`Model::load`]).
    pub role: Option<Role>,
}

/// Resolves the model to a local file, fetching a named model when it is missing. A present
/// file whose checksum is wrong is an error, not silently replaced.
pub fn resolve_model(
    spec: &ModelSpec,
    models_dir: &Path,
    offline: bool,
) -> anyhow::Result<ResolvedModel> {
    match spec {
        ModelSpec::Path(p) => {
            if p.is_dir() {
                return Err(ResolveError::ModelIsDir(p.display().to_string()).into());
            }
            if !p.is_file() {
                return Err(ResolveError::NoModelFile(p.display().to_string()).into());
            }
            let sha256 = fetch::sha256_file(p)?;
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(ResolvedModel {
                path: p.clone(),
                name,
                sha256,
                role: None,
            })
        }
        ModelSpec::Named(name) => {
            let m: Manifest = manifest::find(models_dir, name)?;
            if m.role == Role::Embedding {
                return Err(ResolveError::NotGenerative(name.clone()).into());
            }
            let file = m.main_file();
            let path = m.dir(models_dir).join(&file.name);
            match fetch::file_state(&path, file) {
                FileState::Verified => {}
                FileState::Present => fetch::verify(&path, file).map_err(|e| match e {
                    FetchError::Checksum { .. } | FetchError::Size { .. } => {
                        anyhow::Error::from(ResolveError::CorruptModel(e.to_string(), name.clone()))
                    }
                    other => other.into(),
                })?,
                FileState::Missing => {
                    tracing::info!(model = %name, "model not present; fetching it");
                    fetch::ensure(&m, models_dir, offline)?;
                }
            }
            Ok(ResolvedModel {
                path,
                name: m.name.clone(),
                sha256: file.sha256.clone(),
                role: Some(m.role),
            })
        }
    }
}

/// A model ready to run, and what identifies it in the run record, with the sentence tools
/// the pipeline's evidence checks use beside it.
pub struct LoadedModel {
    pub model: Model,
    pub info: ModelInfo,
    /// Sentence embeddings, for evidence.
    pub embedder: Embedder,
    /// The model that judges support as well as the checker's features, when one was asked
    /// for ([`load_judge`]).
    pub judge: Option<JudgeModel>,
}

/// The model whose yes/no answer to "does the passage support the statement?" joins the claim
/// checker's features.
pub enum JudgeModel {
    /// The model that writes is the judge too: no second copy in memory.
    Main { name: String },
    /// Another model, loaded beside the writer.
    Other { model: Box<Model>, name: String },
}

impl JudgeModel {
    pub fn name(&self) -> &str {
        match self {
            JudgeModel::Main { name } | JudgeModel::Other { name, .. } => name,
        }
    }
}

/// Gives `loaded` the judge `spec` names: the loaded model itself when it is the same file,
/// else that model, loaded beside it with the same device and weight format.
pub fn load_judge(
    loaded: &mut LoadedModel,
    spec: &ModelSpec,
    models_dir: &Path,
    offline: bool,
) -> anyhow::Result<()> {
    let resolved = resolve_model(spec, models_dir, offline)?;
    loaded.judge = Some(if resolved.sha256 == loaded.info.sha256 {
        JudgeModel::Main {
            name: resolved.name,
        }
    } else {
        let on = model::device(loaded.info.device)?;
        JudgeModel::Other {
            model: Box::new(Model::load(
                &resolved.path,
                resolved.role,
                &on,
                loaded.info.weights,
            )?),
            name: resolved.name,
        }
    });
    Ok(())
}

/// What identifies a loaded model in a run's record.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ModelInfo {
    pub name: String,
    pub path: String,
    pub sha256: String,
    pub architecture: String,
    pub role: Role,
    pub weights: WeightFormat,
    pub device: DeviceChoice,
    pub load_secs: f64,
}

/// Resolves `spec` (see [`resolve_model`]) and loads it on `device` in the `weights` format,
/// with the default embedder from `models_dir`.
pub fn load_model(
    spec: &ModelSpec,
    models_dir: &Path,
    offline: bool,
    device: DeviceChoice,
    weights: WeightFormat,
) -> anyhow::Result<LoadedModel> {
    let embedder = Embedder::load_default(models_dir, offline)?;
    load_model_with(spec, models_dir, offline, device, weights, embedder)
}

/// [`load_model`] for a caller that already holds the embedding model.
pub fn load_model_with(
    spec: &ModelSpec,
    models_dir: &Path,
    offline: bool,
    device: DeviceChoice,
    weights: WeightFormat,
    embedder: Embedder,
) -> anyhow::Result<LoadedModel> {
    let resolved = resolve_model(spec, models_dir, offline)?;
    let on = model::device(device)?;
    let start = Instant::now();
    let model = Model::load(&resolved.path, resolved.role, &on, weights)?;
    let info = ModelInfo {
        name: resolved.name,
        path: resolved.path.display().to_string(),
        sha256: resolved.sha256,
        architecture: model.architecture.to_string(),
        role: model.role,
        weights,
        device,
        load_secs: start.elapsed().as_secs_f64(),
    };
    Ok(LoadedModel {
        model,
        info,
        embedder,
        judge: None,
    })
}
