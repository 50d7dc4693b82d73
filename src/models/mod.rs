pub mod gemma3;
pub mod llama;
