//! Writes the tiny random-weight test model: `cargo run --example write_tiny -- OUT.gguf`.
fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tiny.gguf".into());
    brief::testing::write_tiny_llama(std::path::Path::new(&out), 7)?;
    println!("{out}");
    Ok(())
}
