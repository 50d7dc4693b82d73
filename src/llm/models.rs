//! The architectures brief runs, one module each, with a backend per way of running it:
//! `llama` (llama and qwen2) through candle (`llama::candle`) or on brief's own kernels
//! (`llama::cpu`), and `gemma3` through candle.

pub mod gemma3;
pub mod llama;
