//! brief: local, attributed news briefings with small open models through candle.
//!
//! Data flows one way, and the modules follow it:
//! [`ingest`] → [`summarize`] → [`consolidate`] → [`check`] + [`attribute`] (with [`disagree`]) → [`briefing`]
//! (the one data model of a briefing and its renderers). [`pipeline`] runs those stages over a
//! loaded runtime; [`report`] (the nightly job) and [`measure`] (eval, compare, bench) sit on top;
//! [`llm`] (models, tokenizers, generation, embeddings) sits below, on the `brief-kernels` crate.

/// This build: the crate version and the git commit it was built from, marked dirty (with a
/// hash of the changes) when the tree had uncommitted edits; "commit unknown" outside git.
/// Caches key on it, so changed code never reuses what older code wrote.
pub const BUILD: &str = env!("BRIEF_BUILD");

pub mod atomic;
pub mod attribute;
pub mod briefing;
pub mod check;
pub mod consolidate;
pub mod disagree;
pub mod ingest;
pub mod llm;
pub mod measure;
pub mod pipeline;
pub mod report;
pub mod summarize;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
