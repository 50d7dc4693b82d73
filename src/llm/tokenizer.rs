//! Builds a `tokenizers::Tokenizer` from the metadata a GGUF file carries (`tokenizer.ggml.*`).
//!
//! gpt2-type vocabularies (SmolLM2, Qwen2) become byte-level BPE, with the pre-tokenizer chosen by
//! `tokenizer.ggml.pre` the way llama.cpp chooses it; SentencePiece-type vocabularies (gemma) are
//! handled in [`spm`].

pub mod spm;

use std::collections::HashMap;

use candle_core::quantized::gguf_file::Value;

/// Why a tokenizer could not be built from a GGUF file's metadata.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("GGUF metadata has no `{0}`")]
    Missing(&'static str),
    #[error("GGUF metadata key `{key}` is malformed: {why}")]
    Malformed { key: &'static str, why: String },
    #[error("unsupported tokenizer: {0}")]
    Unsupported(String),
    #[error("tokenizer construction failed: {0}")]
    Build(String),
}

pub type Metadata = HashMap<String, Value>;

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::{AddedToken, SplitDelimiterBehavior, Tokenizer};

/// llama.cpp's token types (`tokenizer.ggml.token_type`).
const TOKEN_TYPE_CONTROL: i32 = 3;
const TOKEN_TYPE_USER_DEFINED: i32 = 4;

/// The qwen2 split regex, as llama.cpp and Qwen's tokenizer.json use it.
const QWEN2_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Builds the tokenizer that the GGUF metadata describes.
pub fn from_gguf_metadata(md: &Metadata) -> Result<Tokenizer, TokenizerError> {
    let model = string(md, "tokenizer.ggml.model")?;
    match model.as_str() {
        "gpt2" => byte_level_bpe(md),
        "llama" => spm::build(md),
        other => Err(TokenizerError::Unsupported(format!(
            "tokenizer.ggml.model = `{other}` (supported: gpt2, llama)"
        ))),
    }
}

fn byte_level_bpe(md: &Metadata) -> Result<Tokenizer, TokenizerError> {
    let tokens = strings(md, "tokenizer.ggml.tokens")?;
    let merges = strings(md, "tokenizer.ggml.merges")?;
    let vocab: ahash::AHashMap<String, u32> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let merges = merges
        .iter()
        .map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| TokenizerError::Malformed {
                    key: "tokenizer.ggml.merges",
                    why: format!("merge `{m}` is not two tokens"),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| TokenizerError::Build(e.to_string()))?;
    let mut tok = Tokenizer::new(bpe);
    let pre = string(md, "tokenizer.ggml.pre").unwrap_or_else(|_| "default".into());
    match pre.as_str() {
        "qwen2" => {
            tok.with_normalizer(Some(NFC))
                .map_err(|e| TokenizerError::Build(e.to_string()))?;
            let split = Split::new(
                SplitPattern::Regex(QWEN2_PATTERN.into()),
                SplitDelimiterBehavior::Isolated,
                false,
            )
            .map_err(|e| TokenizerError::Build(e.to_string()))?;
            tok.with_pre_tokenizer(Some(Sequence::new(vec![
                PreTokenizerWrapper::Split(split),
                PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, false, false)),
            ])));
        }
        // SmolLM2 (and StarCoder-style vocabularies) split every digit apart before the
        // GPT-2 byte-level regex.
        "smollm" | "starcoder" | "refact" => {
            tok.with_pre_tokenizer(Some(Sequence::new(vec![
                PreTokenizerWrapper::Digits(Digits::new(true)),
                PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, true)),
            ])));
        }
        _ => {
            tracing::warn!(pre = %pre, "unknown tokenizer.ggml.pre; using the GPT-2 split");
            tok.with_pre_tokenizer(Some(ByteLevel::new(false, true, true)));
        }
    }
    tok.with_decoder(Some(ByteLevelDecoder::default()));
    add_special_tokens(&mut tok, md, &tokens)?;
    Ok(tok)
}

/// Registers control tokens (`<|im_start|>`, `<|endoftext|>` …) as special tokens and
/// user-defined tokens as plain added tokens, so that each encodes to one id.
pub(crate) fn add_special_tokens(
    tok: &mut Tokenizer,
    md: &Metadata,
    tokens: &[String],
) -> Result<(), TokenizerError> {
    let types = ints(md, "tokenizer.ggml.token_type")?;
    let mut special = Vec::new();
    let mut plain = Vec::new();
    for (t, ty) in tokens.iter().zip(types.iter()) {
        match *ty {
            TOKEN_TYPE_CONTROL => special.push(AddedToken::from(t.clone(), true)),
            TOKEN_TYPE_USER_DEFINED => plain.push(AddedToken::from(t.clone(), false)),
            _ => {}
        }
    }
    tok.add_special_tokens(special)
        .map_err(|e| TokenizerError::Build(e.to_string()))?;
    tok.add_tokens(plain)
        .map_err(|e| TokenizerError::Build(e.to_string()))?;
    Ok(())
}

pub(crate) fn string(md: &Metadata, key: &'static str) -> Result<String, TokenizerError> {
    match md.get(key) {
        None => Err(TokenizerError::Missing(key)),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(TokenizerError::Malformed {
            key,
            why: format!("expected a string, found {:?}", other.value_type()),
        }),
    }
}

pub(crate) fn strings(md: &Metadata, key: &'static str) -> Result<Vec<String>, TokenizerError> {
    let arr = array(md, key)?;
    arr.iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            other => Err(TokenizerError::Malformed {
                key,
                why: format!("expected strings, found {:?}", other.value_type()),
            }),
        })
        .collect()
}

pub(crate) fn ints(md: &Metadata, key: &'static str) -> Result<Vec<i32>, TokenizerError> {
    let arr = array(md, key)?;
    arr.iter()
        .map(|v| {
            v.to_i32().map_err(|e| TokenizerError::Malformed {
                key,
                why: e.to_string(),
            })
        })
        .collect()
}

#[allow(dead_code)]
pub(crate) fn floats(md: &Metadata, key: &'static str) -> Result<Vec<f32>, TokenizerError> {
    let arr = array(md, key)?;
    arr.iter()
        .map(|v| {
            v.to_f32().map_err(|e| TokenizerError::Malformed {
                key,
                why: e.to_string(),
            })
        })
        .collect()
}

fn array<'a>(md: &'a Metadata, key: &'static str) -> Result<&'a Vec<Value>, TokenizerError> {
    match md.get(key) {
        None => Err(TokenizerError::Missing(key)),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(TokenizerError::Malformed {
            key,
            why: format!("expected an array, found {:?}", other.value_type()),
        }),
    }
}
