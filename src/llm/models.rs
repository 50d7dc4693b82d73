pub mod gemma3;
pub mod llama;
pub mod llama_cpu;
