//! Sentence embeddings with all-MiniLM-L6-v2 through candle's BERT: mean pooling over real
//! tokens, L2-normalised, batched by length.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::llm::fetch;
use crate::llm::manifest;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("{path}: {why}")]
    Load { path: String, why: String },
    #[error("embedding failed: {0}")]
    Run(String),
}

/// Sentences longer than this many word pieces are truncated: a sentence, not a document.
const MAX_TOKENS: usize = 256;
const BATCH: usize = 32;

pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

fn run_err(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Run(e.to_string())
}

impl Embedder {
    /// Loads the embedding model from the models directory, fetching it when missing.
    pub fn load_default(models_dir: &Path, offline: bool) -> anyhow::Result<Self> {
        let m = manifest::find(models_dir, manifest::EMBEDDING_MODEL)?;
        fetch::ensure(&m, models_dir, offline)?;
        Ok(Self::load(&m.dir(models_dir), &Device::Cpu)?)
    }

    pub fn load(dir: &Path, device: &Device) -> Result<Self, EmbedError> {
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
        // The snapshot pads and truncates every input to 128 tokens; pad to the longest in the
        // batch instead (much less work) and allow longer sentences.
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| load_err(&tok_path, &e))?;
        let weights = dir.join("model.safetensors");
        // SAFETY: sound as long as the file is not modified while mapped: it is the models
        // directory's copy (sha256-checked by `load_default`), and the map is read only while
        // `BertModel::load` copies every tensor out of it, then dropped with `vb`.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, device) }
            .map_err(|e| load_err(&weights, &e))?;
        let model = BertModel::load(vb, &config).map_err(|e| load_err(&weights, &e))?;
        Ok(Self {
            model,
            tokenizer,
            device: device.clone(),
        })
    }

    /// One unit vector per text, in order.
    pub fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        // Similar lengths together, so padding wastes little.
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
        let mask: Vec<Vec<u32>> = enc
            .iter()
            .map(|e| e.get_attention_mask().to_vec())
            .collect();
        let ids = Tensor::new(ids, &self.device).map_err(run_err)?;
        let mask = Tensor::new(mask, &self.device).map_err(run_err)?;
        let types = ids.zeros_like().map_err(run_err)?;
        let hidden = self
            .model
            .forward(&ids, &types, Some(&mask))
            .map_err(run_err)?;
        let pooled = (|| {
            let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&m)?.sum(1)?;
            let counts = m.sum(1)?;
            let mean = summed.broadcast_div(&counts)?;
            let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?;
            mean.broadcast_div(&norm)?.to_vec2::<f32>()
        })()
        .map_err(run_err)?;
        Ok(pooled)
    }
}

/// Cosine similarity of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
