//! The architectures brief runs, one module each, with a backend per way of running it:
//! `llama` (llama and qwen2) through candle (`llama::candle`) or on brief's own kernels
//! (`llama::cpu`), and `gemma3` through candle. Each architecture module has a `Config` read
//! from the GGUF metadata once, which its backends are built from.

use std::fmt;

use candle_core::quantized::gguf_file;

pub mod gemma3;
pub mod llama;

/// What a GGUF's `general.architecture` says, for the architectures brief runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    Llama,
    Qwen2,
    Gemma3,
}

impl Architecture {
    /// Reads `general.architecture` (the one place it is read). An architecture brief does not
    /// run is `Err` with the name the file gives (empty when it gives none).
    pub fn from_gguf(ct: &gguf_file::Content) -> Result<Self, String> {
        let name = ct
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        match name.as_str() {
            "llama" => Ok(Self::Llama),
            "qwen2" => Ok(Self::Qwen2),
            "gemma3" => Ok(Self::Gemma3),
            _ => Err(name),
        }
    }

    /// The GGUF name, which is also the prefix of the architecture's metadata keys.
    pub fn name(self) -> &'static str {
        match self {
            Self::Llama => "llama",
            Self::Qwen2 => "qwen2",
            Self::Gemma3 => "gemma3",
        }
    }

    /// The metadata key `KEY` of this architecture: `{name}.{KEY}`.
    pub fn key(self, key: &str) -> String {
        format!("{}.{key}", self.name())
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
