//! Sentence embeddings with all-MiniLM-L6-v2 on brief's own kernels (`models::bert`): mean
//! pooling over each sentence's tokens, L2-normalised, sentences of similar length batched
//! together, back to back without padding.

use std::path::Path;

use tokenizers::{Tokenizer, TruncationParams};

use crate::llm::fetch;
use crate::llm::manifest;
use crate::llm::models::bert::{Config, Encoder};

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("{path}: {why}")]
    Load { path: String, why: String },
    #[error("embedding failed: {0}")]
    Run(String),
}

/// Sentences longer than this many word pieces are truncated: a sentence, not a document.
const MAX_TOKENS: usize = 256;
/// Sentences a forward pass: the rows of one are every token of these, so the projections
/// get the many-row tiles.
const BATCH: usize = 32;

pub struct Embedder {
    encoder: Encoder,
    tokenizer: Tokenizer,
}

fn run_err(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Run(e.to_string())
}

impl Embedder {
    /// Loads the embedding model from the models directory, fetching it when missing.
    pub fn load_default(models_dir: &Path, offline: bool) -> anyhow::Result<Self> {
        let m = manifest::find(models_dir, manifest::EMBEDDING_MODEL)?;
        fetch::ensure(&m, models_dir, offline)?;
        Ok(Self::load(&m.dir(models_dir))?)
    }

    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let load_err = |p: &Path, e: &dyn std::fmt::Display| EmbedError::Load {
            path: p.display().to_string(),
            why: e.to_string(),
        };
        let cfg_path = dir.join("config.json");
        let cfg_text = std::fs::read_to_string(&cfg_path).map_err(|e| load_err(&cfg_path, &e))?;
        let config: Config =
            serde_json::from_str(&cfg_text).map_err(|e| load_err(&cfg_path, &e))?;
        let tok_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tok_path).map_err(|e| load_err(&tok_path, &e))?;
        // The snapshot pads every input to 128 tokens; the encoder takes each sentence at its
        // own length, and longer sentences than the snapshot's limit.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| load_err(&tok_path, &e))?;
        let weights = dir.join("model.safetensors");
        let encoder = Encoder::load(&config, &weights).map_err(|e| load_err(&weights, &e))?;
        Ok(Self { encoder, tokenizer })
    }

    /// One unit vector per text, in order.
    pub fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        // Similar lengths together, so that the attention items of a batch are alike.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
            let vecs = self.embed_batch(&batch)?;
            for (&i, v) in chunk.iter().zip(vecs) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn embed_batch(&self, batch: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let enc = self
            .tokenizer
            .encode_batch(batch.to_vec(), true)
            .map_err(run_err)?;
        let ids: Vec<Vec<u32>> = enc.iter().map(|e| e.get_ids().to_vec()).collect();
        self.encoder.sentence_vectors(&ids).map_err(run_err)
    }
}

/// Cosine similarity of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
