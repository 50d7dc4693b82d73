//! The model layer: which models exist and how they are fetched, GGUF loading into one
//! architecture per file, tokenizers and chat templates, our prompt templates, generation, and
//! the sentence embedder the evidence checks use.

pub mod chat_template;
pub mod embed;
pub mod fetch;
pub mod generate;
pub mod manifest;
pub mod model;
pub mod models;
pub mod prompts;
pub mod registry;
pub mod tokenizer;
