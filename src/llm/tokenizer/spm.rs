//! SentencePiece-style vocabularies (`tokenizer.ggml.model = "llama"`, e.g. gemma 3).
//!
//! Such a GGUF stores pieces, scores and token types but no merges. SentencePiece BPE merges, at
//! every step, the adjacent pair whose concatenation is the best-scoring piece; a `tokenizers`
//! BPE reproduces that when its merge list is every `(left, right)` split of every piece, ranked
//! by the score of the piece they form. This is how llama.cpp's SPM tokenizer and HF's slow->fast
//! conversion (`generate_merges`) see the vocabulary.
//!
//! Only normal pieces take part in merges, as in SentencePiece: byte pieces (`<0xNN>`) are only
//! reached through byte fallback, control pieces (`<bos>`, `<start_of_turn>`) are special added
//! tokens, and user-defined pieces (gemma's runs of `\n`, spaces and tabs, HTML tags) are plain
//! added tokens matched whole, longest first, before BPE.
//!
//! On gemma 3 this gives the ids of transformers' GGUF tokenizer except on runs of 32 or more
//! spaces, which transformers cuts by BPE (e.g. 16 + 24) while SentencePiece and llama.cpp take
//! the longest piece first (31 + 9), as here.
//!
//! Spaces become `▁`; a `▁` is prepended only when `tokenizer.ggml.add_space_prefix` says so
//! (gemma 3 says no; llama.cpp's default, when the key is missing, is yes). No BOS is added here:
//! callers add it themselves.

use candle_core::quantized::gguf_file::Value;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::bpe::{Vocab as BpeVocab, BPE};
use tokenizers::normalizers::{Prepend, Replace, Sequence as NormalizerSequence};
use tokenizers::{AddedToken, NormalizerWrapper, Tokenizer};

use super::{floats, ints, strings, Metadata, TokenizerError};

/// llama.cpp's token types (`tokenizer.ggml.token_type`).
const TYPE_UNDEFINED: i32 = 0;
const TYPE_NORMAL: i32 = 1;
const TYPE_CONTROL: i32 = 3;
const TYPE_USER_DEFINED: i32 = 4;

/// SentencePiece's whitespace marker.
const SPACE: &str = "\u{2581}";

/// Builds the tokenizer a SentencePiece-style GGUF vocabulary describes.
pub fn build(md: &Metadata) -> Result<Tokenizer, TokenizerError> {
    let vocab = Vocab::from_metadata(md)?;
    let add_space_prefix = flag(md, "tokenizer.ggml.add_space_prefix", true)?;
    let mut tok = Tokenizer::new(bpe(md, &vocab)?);
    tok.with_normalizer(Some(normalizer(add_space_prefix)?))
        .map_err(build_err)?;
    tok.with_decoder(Some(decoder(add_space_prefix)?));
    add_tokens_matched_whole(&mut tok, &vocab, add_space_prefix)?;
    Ok(tok)
}

/// The pieces of a SentencePiece vocabulary, as the GGUF lists them.
struct Vocab {
    tokens: Vec<String>,
    scores: Vec<f32>,
    types: Vec<i32>,
}

impl Vocab {
    fn from_metadata(md: &Metadata) -> Result<Self, TokenizerError> {
        let tokens = strings(md, "tokenizer.ggml.tokens")?;
        // Both are optional in llama.cpp: missing scores rank pieces by id, missing types make
        // every piece normal.
        let scores = match floats(md, "tokenizer.ggml.scores") {
            Err(TokenizerError::Missing(_)) => (0..tokens.len()).map(|i| -(i as f32)).collect(),
            other => other?,
        };
        let types = match ints(md, "tokenizer.ggml.token_type") {
            Err(TokenizerError::Missing(_)) => vec![TYPE_NORMAL; tokens.len()],
            other => other?,
        };
        for (key, len) in [
            ("tokenizer.ggml.scores", scores.len()),
            ("tokenizer.ggml.token_type", types.len()),
        ] {
            if len != tokens.len() {
                return Err(TokenizerError::Malformed {
                    key,
                    why: format!("{len} entries for {} tokens", tokens.len()),
                });
            }
        }
        Ok(Self {
            tokens,
            scores,
            types,
        })
    }

    fn ids(&self) -> BpeVocab {
        // On a duplicate piece the first id wins, as in llama.cpp.
        let mut ids = BpeVocab::with_capacity(self.tokens.len());
        for (i, t) in self.tokens.iter().enumerate().rev() {
            ids.insert(t.clone(), i as u32);
        }
        ids
    }

    fn is_mergeable(&self, id: usize) -> bool {
        matches!(self.types[id], TYPE_NORMAL | TYPE_UNDEFINED)
    }

    /// Every split of every normal piece into two normal pieces, best resulting piece first
    /// (ties by id); a piece's own splits longer-left-half first, as HF's `generate_merges`.
    fn merges(&self, ids: &BpeVocab) -> Vec<(String, String)> {
        let mergeable = |s: &str| ids.get(s).is_some_and(|&i| self.is_mergeable(i as usize));
        let mut pieces: Vec<usize> = (0..self.tokens.len())
            .filter(|&id| self.is_mergeable(id))
            .collect();
        pieces.sort_by(|&a, &b| self.scores[b].total_cmp(&self.scores[a]).then(a.cmp(&b)));
        let mut merges = Vec::new();
        for id in pieces {
            let piece = &self.tokens[id];
            for (split, _) in piece.char_indices().rev().filter(|&(split, _)| split > 0) {
                let (left, right) = piece.split_at(split);
                if mergeable(left) && mergeable(right) {
                    merges.push((left.to_string(), right.to_string()));
                }
            }
        }
        merges
    }
}

fn bpe(md: &Metadata, vocab: &Vocab) -> Result<BPE, TokenizerError> {
    let ids = vocab.ids();
    let merges = vocab.merges(&ids);
    let mut builder = BPE::builder()
        .vocab_and_merges(ids, merges)
        .byte_fallback(true)
        .fuse_unk(true);
    if let Some(unk) = unknown_token(md, vocab)? {
        builder = builder.unk_token(unk);
    }
    builder.build().map_err(build_err)
}

fn unknown_token(md: &Metadata, vocab: &Vocab) -> Result<Option<String>, TokenizerError> {
    const KEY: &str = "tokenizer.ggml.unknown_token_id";
    let Some(value) = md.get(KEY) else {
        return Ok(None);
    };
    let id = value.to_u32().map_err(|e| TokenizerError::Malformed {
        key: KEY,
        why: e.to_string(),
    })?;
    match vocab.tokens.get(id as usize) {
        Some(t) => Ok(Some(t.clone())),
        None => Err(TokenizerError::Malformed {
            key: KEY,
            why: format!("id {id} is outside the vocabulary"),
        }),
    }
}

fn normalizer(add_space_prefix: bool) -> Result<NormalizerWrapper, TokenizerError> {
    let spaces = Replace::new(" ", SPACE).map_err(build_err)?;
    if !add_space_prefix {
        return Ok(spaces.into());
    }
    Ok(NormalizerSequence::new(vec![Prepend::new(SPACE.into()).into(), spaces.into()]).into())
}

fn decoder(add_space_prefix: bool) -> Result<DecoderWrapper, TokenizerError> {
    let mut steps: Vec<DecoderWrapper> = vec![
        Replace::new(SPACE, " ").map_err(build_err)?.into(),
        ByteFallback::new().into(),
        Fuse::new().into(),
    ];
    if add_space_prefix {
        // Undo the prepended space.
        steps.push(Strip::new(' ', 1, 0).into());
    }
    Ok(DecoderSequence::new(steps).into())
}

/// Control pieces become special tokens and user-defined pieces plain added tokens, each
/// matched whole (longest first) before BPE.
///
/// SentencePiece matches user-defined pieces in the normalized text, so gemma's run-of-spaces
/// pieces (stored by llama.cpp with real spaces) must match after spaces became `▁`:
/// `normalized(true)` compares the normalized form of both. A prepended `▁` would leak into
/// that form, so with a space prefix they match the raw text instead.
fn add_tokens_matched_whole(
    tok: &mut Tokenizer,
    vocab: &Vocab,
    add_space_prefix: bool,
) -> Result<(), TokenizerError> {
    let mut special = Vec::new();
    let mut plain = Vec::new();
    for (t, &ty) in vocab.tokens.iter().zip(&vocab.types) {
        match ty {
            TYPE_CONTROL => special.push(AddedToken::from(t.clone(), true).normalized(false)),
            TYPE_USER_DEFINED => {
                plain.push(AddedToken::from(t.clone(), false).normalized(!add_space_prefix))
            }
            _ => {}
        }
    }
    tok.add_special_tokens(special).map_err(build_err)?;
    tok.add_tokens(plain).map_err(build_err)?;
    Ok(())
}

fn flag(md: &Metadata, key: &'static str, default: bool) -> Result<bool, TokenizerError> {
    match md.get(key) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(TokenizerError::Malformed {
            key,
            why: format!("expected a bool, found {:?}", other.value_type()),
        }),
    }
}

fn build_err(e: impl std::fmt::Display) -> TokenizerError {
    TokenizerError::Build(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE_UNKNOWN: i32 = 2;
    const TYPE_BYTE: i32 = 6;

    /// A toy gemma-like vocabulary: controls, one user-defined token, all 256 byte pieces, then
    /// normal pieces best-first.
    fn toy_metadata(add_space_prefix: bool) -> Metadata {
        let mut pieces: Vec<(String, f32, i32)> = vec![
            ("<pad>".into(), 0.0, TYPE_CONTROL),
            ("<eos>".into(), 0.0, TYPE_CONTROL),
            ("<bos>".into(), 0.0, TYPE_CONTROL),
            ("<unk>".into(), 0.0, TYPE_UNKNOWN),
            ("<start_of_turn>".into(), 0.0, TYPE_CONTROL),
            ("\n".into(), 0.0, TYPE_USER_DEFINED),
            // llama.cpp stores gemma's run-of-spaces pieces with real spaces.
            ("  ".into(), 0.0, TYPE_USER_DEFINED),
            ("   ".into(), 0.0, TYPE_USER_DEFINED),
        ];
        pieces.extend((0..=255u8).map(|b| (format!("<0x{b:02X}>"), 0.0, TYPE_BYTE)));
        let normal = [
            "▁", "h", "e", "l", "o", "w", "r", "d", "he", "ll", "llo", "hello", "▁hello", "▁w",
            "or", "▁wor", "ld", "▁world",
        ];
        pieces.extend(
            normal
                .iter()
                .enumerate()
                .map(|(i, p)| (p.to_string(), -(i as f32), TYPE_NORMAL)),
        );
        let array =
            |f: &dyn Fn(&(String, f32, i32)) -> Value| Value::Array(pieces.iter().map(f).collect());
        let mut md = Metadata::new();
        md.insert("tokenizer.ggml.model".into(), Value::String("llama".into()));
        md.insert(
            "tokenizer.ggml.tokens".into(),
            array(&|p| Value::String(p.0.clone())),
        );
        md.insert("tokenizer.ggml.scores".into(), array(&|p| Value::F32(p.1)));
        md.insert(
            "tokenizer.ggml.token_type".into(),
            array(&|p| Value::I32(p.2)),
        );
        md.insert("tokenizer.ggml.unknown_token_id".into(), Value::U32(3));
        md.insert(
            "tokenizer.ggml.add_space_prefix".into(),
            Value::Bool(add_space_prefix),
        );
        md
    }

    fn tokens(tok: &Tokenizer, text: &str) -> Vec<String> {
        let enc = tok.encode(text, false).expect("encode");
        enc.get_tokens().to_vec()
    }

    #[test]
    fn round_trips_and_merges_by_score() {
        let tok = build(&toy_metadata(false)).expect("build");
        assert_eq!(tokens(&tok, "hello world"), ["hello", "▁world"]);
        let ids = tok
            .encode("hello world", false)
            .expect("encode")
            .get_ids()
            .to_vec();
        assert_eq!(tok.decode(&ids, false).expect("decode"), "hello world");
    }

    #[test]
    fn unknown_character_falls_back_to_bytes() {
        let tok = build(&toy_metadata(false)).expect("build");
        // "é" is not a piece: its two UTF-8 bytes are.
        assert_eq!(tokens(&tok, "hé"), ["h", "<0xC3>", "<0xA9>"]);
        let ids = tok.encode("hé", false).expect("encode").get_ids().to_vec();
        assert_eq!(tok.decode(&ids, false).expect("decode"), "hé");
    }

    #[test]
    fn control_and_user_defined_tokens_stay_whole() {
        let tok = build(&toy_metadata(false)).expect("build");
        let enc = tok
            .encode("<start_of_turn>hello\nworld", false)
            .expect("encode");
        assert_eq!(enc.get_ids()[0], 4);
        assert_eq!(
            enc.get_tokens(),
            ["<start_of_turn>", "hello", "\n", "w", "or", "ld"]
        );
        // Special tokens are dropped when asked to.
        assert_eq!(
            tok.decode(enc.get_ids(), true).expect("decode"),
            "hello\nworld"
        );
    }

    #[test]
    fn space_runs_match_longest_first() {
        let tok = build(&toy_metadata(false)).expect("build");
        let ids = |text: &str| tok.encode(text, false).expect("encode").get_ids().to_vec();
        let world = ids("world");
        // Five spaces: the three-space piece, then the two-space piece, as SentencePiece does.
        let expected: Vec<u32> = [ids("hello"), vec![7, 6], world].concat();
        assert_eq!(ids("hello     world"), expected);
        let back = tok.decode(&expected, false).expect("decode");
        assert_eq!(back, "hello     world");
    }

    #[test]
    fn no_bos_is_added() {
        let tok = build(&toy_metadata(false)).expect("build");
        let enc = tok.encode("hello", true).expect("encode");
        assert_eq!(enc.get_tokens(), ["hello"]);
    }

    #[test]
    fn space_prefix_when_the_vocabulary_asks_for_it() {
        let tok = build(&toy_metadata(true)).expect("build");
        assert_eq!(tokens(&tok, "hello world"), ["▁hello", "▁world"]);
        let ids = tok
            .encode("hello world", false)
            .expect("encode")
            .get_ids()
            .to_vec();
        assert_eq!(tok.decode(&ids, false).expect("decode"), "hello world");
    }
}
