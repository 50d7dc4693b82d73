//! Writes the tiny random-weight test model:
//! `cargo run --example write_tiny -- OUT.gguf [CONTEXT_LENGTH]` (2048 positions by default;
//! a short context makes every prompt budget small, as the long-input tests do).
fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "tiny.gguf".into());
    let context: u32 = match args.next() {
        Some(n) => n.parse()?,
        None => 2048,
    };
    brief::testing::write_tiny_llama_with_context(std::path::Path::new(&out), 7, context)?;
    println!("{out}");
    Ok(())
}
