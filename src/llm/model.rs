//! Loading a GGUF checkpoint into one of the supported architectures, with its tokenizer and
//! chat template, on the chosen device and in the chosen weight format. Which backend runs it
//! (`llm::models`) is decided once, at load; from then on a [`Model`] drives it as a
//! [`Decoder`].

use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::Device;
use tokenizers::Tokenizer;

use crate::llm::manifest::Role;
use crate::llm::models::llama::{self, candle as llama_candle, cpu as llama_cpu};
use crate::llm::models::{gemma3, Architecture, Decoder, MAX_CONTEXT};
use crate::llm::tokenizer::{self, TokenizerError};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {why}")]
    Open { path: String, why: String },
    #[error("{path}: not a valid GGUF file ({why}); is it truncated or another format?")]
    NotGguf { path: String, why: String },
    #[error("{path}: unsupported architecture `{arch}` (supported: llama, qwen2, gemma3)")]
    Architecture { path: String, arch: String },
    #[error("{path}: {source}")]
    Tokenizer {
        path: String,
        source: TokenizerError,
    },
    #[error("{path}: loading weights failed: {why}")]
    Weights { path: String, why: String },
    #[error("--device cuda needs a build with `--features cuda`")]
    NoCuda,
    #[error("CUDA device unavailable: {0}")]
    Cuda(String),
    #[error("inference failed: {0}")]
    Inference(#[from] candle_core::Error),
}

/// Where the model runs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    Cpu,
    Cuda,
}

impl DeviceChoice {
    pub const ALL: [DeviceChoice; 2] = [DeviceChoice::Cpu, DeviceChoice::Cuda];

    /// The name the command line takes and JSON holds.
    pub fn name(self) -> &'static str {
        match self {
            DeviceChoice::Cpu => "cpu",
            DeviceChoice::Cuda => "cuda",
        }
    }
}

pub fn device(choice: DeviceChoice) -> Result<Device, ModelError> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Cuda if cfg!(feature = "cuda") => {
            Device::new_cuda(0).map_err(|e| ModelError::Cuda(e.to_string()))
        }
        DeviceChoice::Cuda => Err(ModelError::NoCuda),
    }
}

/// How the weights are held in memory.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum WeightFormat {
    /// brief's own kernels on the file's quantized blocks (memory-mapped, nothing copied) for
    /// decode and prefill alike: the fastest on CPU and the leanest, and the default. Every
    /// architecture on CPU; CUDA uses `candle`.
    Fast,
    /// The same as `fast` since prefill stopped keeping f32 copies; kept so that settings
    /// naming it still work.
    Lean,
    /// candle's tensors: Q8_0 weights for decode plus dense f32 for prefill. The reference the
    /// kernels are tested against.
    Candle,
    /// Dequantize the file's weights to f32 and multiply in plain f32 throughout: no rounding
    /// of activations, slow. The reference for checking the faster formats.
    Exact,
    /// Re-quantize every matrix to Q8_0 at load (candle's vectorised kernel), nothing more.
    Q8,
    /// Keep the file's own quantization (candle's kernels for Q4_1/Q5_0 are slow on CPU).
    AsFile,
}

impl WeightFormat {
    pub const ALL: [WeightFormat; 6] = [
        WeightFormat::Fast,
        WeightFormat::Lean,
        WeightFormat::Candle,
        WeightFormat::Exact,
        WeightFormat::Q8,
        WeightFormat::AsFile,
    ];

    /// The name the command line takes and JSON holds.
    pub fn name(self) -> &'static str {
        match self {
            WeightFormat::Fast => "fast",
            WeightFormat::Lean => "lean",
            WeightFormat::Candle => "candle",
            WeightFormat::Exact => "exact",
            WeightFormat::Q8 => "q8",
            WeightFormat::AsFile => "as-file",
        }
    }
}

impl ModelError {
    /// An inference failure the backend reports as text (our kernels' path).
    pub(crate) fn inference(why: impl Into<String>) -> Self {
        ModelError::Inference(candle_core::Error::Msg(why.into()))
    }
}

/// A loaded checkpoint: weights, tokenizer and prompt format.
pub struct Model {
    /// The architecture's backend chosen for the device and weight format.
    decoder: Box<dyn Decoder>,
    pub tokenizer: Tokenizer,
    pub architecture: Architecture,
    pub role: Role,
    /// `tokenizer.chat_template` from the GGUF, if any.
    pub chat_template: Option<String>,
    pub bos: Option<u32>,
    pub bos_text: Option<String>,
    /// Tokens that end a turn: EOS plus end-of-turn markers the vocabulary has.
    pub stop_ids: Vec<u32>,
    /// The most tokens (prompt plus output) a forward pass may see.
    pub context_length: usize,
    pub device: Device,
    pub path: PathBuf,
}

/// End-of-turn markers of common chat formats, looked up in the vocabulary.
const TURN_END_MARKERS: &[&str] = &["<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<|eot_id|>"];

impl Model {
    pub fn load(
        path: &Path,
        role: Option<Role>,
        device: &Device,
        format: WeightFormat,
    ) -> Result<Self, ModelError> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| ModelError::Open {
            path: shown.clone(),
            why: e.to_string(),
        })?;
        let mut reader = BufReader::new(file);
        let ct = gguf_file::Content::read(&mut reader).map_err(|e| ModelError::NotGguf {
            path: shown.clone(),
            why: first_line(&e.to_string()),
        })?;
        check_tensor_extent(&ct, path)?;
        let md = &ct.metadata;
        let tokenizer =
            tokenizer::from_gguf_metadata(md).map_err(|source| ModelError::Tokenizer {
                path: shown.clone(),
                source,
            })?;
        let architecture =
            Architecture::from_gguf(&ct).map_err(|arch| ModelError::Architecture {
                path: shown.clone(),
                arch,
            })?;
        let chat_template = md
            .get("tokenizer.chat_template")
            .and_then(|v| v.to_string().ok())
            .cloned();
        let bos = md
            .get("tokenizer.ggml.bos_token_id")
            .and_then(|v| v.to_u32().ok());
        let add_bos = md
            .get("tokenizer.ggml.add_bos_token")
            .and_then(|v| v.to_bool().ok())
            .unwrap_or(architecture == Architecture::Gemma3);
        let eos = md
            .get("tokenizer.ggml.eos_token_id")
            .and_then(|v| v.to_u32().ok());
        let mut stop_ids: Vec<u32> = eos.into_iter().collect();
        for marker in TURN_END_MARKERS {
            if let Some(id) = tokenizer.token_to_id(marker) {
                if !stop_ids.contains(&id) {
                    stop_ids.push(id);
                }
            }
        }
        let context_length = md
            .get(&architecture.key("context_length"))
            .and_then(|v| v.to_u32().ok())
            .map_or(MAX_CONTEXT, |c| (c as usize).min(MAX_CONTEXT));
        let bos_text = bos.and_then(|b| tokenizer.id_to_token(b));
        let role = role.unwrap_or(if chat_template.is_some() {
            Role::Chat
        } else {
            Role::Base
        });
        let decoder = load_decoder(ct, &mut reader, path, architecture, device, format)?;
        Ok(Self {
            decoder,
            tokenizer,
            architecture,
            role,
            chat_template,
            bos: if add_bos { bos } else { None },
            bos_text: if add_bos { bos_text } else { None },
            stop_ids,
            context_length,
            device: device.clone(),
            path: path.to_path_buf(),
        })
    }

    /// Runs the model over `tokens` placed at `pos` in the sequence and returns the logits of
    /// the last position.
    pub fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>, ModelError> {
        self.decoder.forward(tokens, pos)
    }

    /// Whether `forward_seq` and `forward_batch` can hold several sequences at once (brief's
    /// own kernels); other paths hold one.
    pub fn batches(&self) -> bool {
        self.decoder.batches()
    }

    /// Whether `forward` at a position inside the cache goes on from there, dropping what
    /// followed (brief's own kernels); elsewhere a new sequence must start at 0.
    pub fn rewinds(&self) -> bool {
        self.decoder.rewinds()
    }

    /// As `forward`, for sequence `seq` of several held at once (only 0 where the model does
    /// not `batch`).
    pub fn forward_seq(
        &mut self,
        seq: usize,
        tokens: &[u32],
        pos: usize,
    ) -> Result<Vec<f32>, ModelError> {
        self.decoder.forward_seq(seq, tokens, pos)
    }

    /// One decode step of several sequences together: (sequence, token) each, the token going
    /// at the end of that sequence. Logits per step, in order.
    pub fn forward_batch(&mut self, steps: &[(usize, u32)]) -> Result<Vec<Vec<f32>>, ModelError> {
        self.decoder.forward_batch(steps)
    }

    /// Forgets the KV cache, so the next forward pass starts a new sequence at position 0.
    pub fn reset(&mut self) {
        self.decoder.reset();
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

/// A truncated file parses its header fine and fails much later, deep in a tensor read: check
/// up front that every tensor lies inside the file.
fn check_tensor_extent(ct: &gguf_file::Content, path: &Path) -> Result<(), ModelError> {
    let len = std::fs::metadata(path)
        .map_err(|e| ModelError::Open {
            path: path.display().to_string(),
            why: e.to_string(),
        })?
        .len();
    let end = ct
        .tensor_infos
        .values()
        .map(|t| {
            let elems = t.shape.elem_count();
            let bytes = elems / t.ggml_dtype.block_size() * t.ggml_dtype.type_size();
            ct.tensor_data_offset + t.offset + bytes as u64
        })
        .max()
        .unwrap_or(0);
    if ct.tensor_infos.is_empty() || end > len {
        return Err(ModelError::NotGguf {
            path: path.display().to_string(),
            why: format!("tensor data needs {end} bytes but the file has {len}"),
        });
    }
    Ok(())
}

/// The architecture's config, read from the metadata once and handed to its backend.
enum Config {
    Llama(llama::Config),
    Gemma3(gemma3::Config),
}

/// Reads the architecture's config and builds the backend for the device and format: our
/// kernels for every architecture in `fast` and `lean` on CPU, else candle, on the file's own
/// tensors (`as-file`, `exact`) or on a copy re-quantized to Q8_0 (the other formats).
fn load_decoder<R: std::io::Read + std::io::Seek>(
    ct: gguf_file::Content,
    reader: &mut R,
    path: &Path,
    arch: Architecture,
    device: &Device,
    format: WeightFormat,
) -> Result<Box<dyn Decoder>, ModelError> {
    let shown = &path.display().to_string();
    let werr = |e: candle_core::Error| ModelError::Weights {
        path: shown.to_string(),
        why: first_line(&e.to_string()),
    };
    let cfg = match arch {
        Architecture::Llama | Architecture::Qwen2 => Config::Llama(
            llama::Config::from_gguf(&ct, arch).map_err(|e| ModelError::Weights {
                path: shown.to_string(),
                why: e.to_string(),
            })?,
        ),
        Architecture::Gemma3 => Config::Gemma3(gemma3::Config::from_gguf(&ct).map_err(werr)?),
    };
    let own_kernels = matches!(format, WeightFormat::Fast | WeightFormat::Lean) && device.is_cpu();
    if own_kernels {
        let kerr = |e: crate::llm::models::kernels::LoadError| ModelError::Weights {
            path: shown.to_string(),
            why: e.to_string(),
        };
        return Ok(match &cfg {
            Config::Llama(cfg) => {
                Box::new(llama_cpu::ModelWeights::load(cfg, &ct, path, format).map_err(kerr)?)
            }
            Config::Gemma3(cfg) => {
                Box::new(gemma3::cpu::ModelWeights::load(cfg, &ct, path).map_err(kerr)?)
            }
        });
    }
    match format {
        WeightFormat::AsFile | WeightFormat::Exact => {
            candle_decoder(&cfg, &ct, reader, device, format).map_err(werr)
        }
        _ => {
            let bytes = requantize(&ct, reader, device).map_err(werr)?;
            let mut cursor = Cursor::new(bytes);
            let ct = gguf_file::Content::read(&mut cursor).map_err(werr)?;
            candle_decoder(&cfg, &ct, &mut cursor, device, format).map_err(werr)
        }
    }
}

/// The candle backend of `cfg`'s architecture, its tensors read from `ct` through `reader`.
fn candle_decoder<R: std::io::Read + std::io::Seek>(
    cfg: &Config,
    ct: &gguf_file::Content,
    reader: &mut R,
    device: &Device,
    format: WeightFormat,
) -> candle_core::Result<Box<dyn Decoder>> {
    Ok(match cfg {
        Config::Llama(cfg) => Box::new(llama_candle::ModelWeights::load(
            cfg, ct, reader, device, format,
        )?),
        Config::Gemma3(cfg) => Box::new(gemma3::ModelWeights::load(
            cfg,
            ct,
            reader,
            device,
            format == WeightFormat::Exact,
        )?),
    })
}

/// Rewrites the checkpoint in memory with every quantized matrix as Q8_0. candle's CPU kernels
/// for Q4_1 and Q5_0 (which most of these files are) fall back to a slow generic dot product;
/// its Q8_0 kernel is vectorised, and the extra precision costs nothing in quality.
fn requantize<R: std::io::Read + std::io::Seek>(
    ct: &gguf_file::Content,
    reader: &mut R,
    device: &Device,
) -> candle_core::Result<Vec<u8>> {
    let mut names: Vec<&String> = ct.tensor_infos.keys().collect();
    names.sort();
    let mut tensors: Vec<(String, QTensor)> = Vec::with_capacity(names.len());
    for name in names {
        let q = ct.tensor(reader, name, device)?;
        let convert = !matches!(
            q.dtype(),
            GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16 | GgmlDType::Q8_0
        ) && q.shape().dims().last().is_some_and(|d| d % 32 == 0);
        let q = if convert {
            QTensor::quantize(&q.dequantize(device)?, GgmlDType::Q8_0)?
        } else {
            q
        };
        tensors.push((name.clone(), q));
    }
    let metadata: Vec<(&str, &gguf_file::Value)> =
        ct.metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut out = Cursor::new(Vec::new());
    gguf_file::write(&mut out, &metadata, &tensor_refs)?;
    Ok(out.into_inner())
}
