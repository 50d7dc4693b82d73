//! The model layer: which models exist (`manifest`), how they are fetched (`fetch`) and which
//! one a run uses (`registry`); GGUF loading (`model`) into one architecture per module with a
//! backend per file (`models`); tokenizers and chat templates, our prompt templates, generation,
//! and the sentence embedder the evidence checks use.

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
