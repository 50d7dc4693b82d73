//! The llama family (llama, qwen2): one architecture, two backends.

pub mod candle;
pub mod cpu;
