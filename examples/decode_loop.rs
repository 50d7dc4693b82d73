//! Decode speed in isolation, for profiling (`perf record`): loads a model, prefills a prompt of
//! `PROMPT` tokens, then times `STEPS` greedy decode steps.
//!
//! `cargo run --release --example decode_loop -- MODEL.gguf [fast|lean|candle] [PROMPT] [STEPS] [BATCH]`
//!
//! With BATCH > 1 (brief's own kernels only), BATCH copies of the prompt are decoded together
//! and the figure is tokens of all of them per second.

use std::time::Instant;

use brief::llm::model::{Model, WeightFormat};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::PathBuf::from(&args[1]);
    let name = args.get(2).map_or("fast", |s| s);
    let format = WeightFormat::ALL
        .into_iter()
        .find(|w| w.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| anyhow::anyhow!("unknown weight format `{name}`"))?;
    let prompt: usize = args.get(3).map_or(Ok(512), |s| s.parse())?;
    let steps: usize = args.get(4).map_or(Ok(256), |s| s.parse())?;
    let batch: usize = args.get(5).map_or(Ok(1), |s| s.parse())?;
    let mut m = Model::load(&path, None, &candle_core::Device::Cpu, format)?;
    let text = include_str!("../benches/prompt.txt").repeat(8);
    let mut ids = brief::llm::generate::encode(&m, &text)?;
    ids.truncate(prompt);
    if batch > 1 {
        for seq in 0..batch {
            m.forward_seq(seq, &ids, 0)?;
        }
        let t = Instant::now();
        for _ in 0..steps {
            let step: Vec<(usize, u32)> = (0..batch).map(|s| (s, 17 + s as u32)).collect();
            m.forward_batch(&step)?;
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "batch of {batch}: decode {:.1} tok/s in all ({:.2} ms/step)",
            (batch * steps) as f64 / secs,
            1000.0 * secs / steps as f64
        );
        return Ok(());
    }
    let t = Instant::now();
    let mut logits = m.forward(&ids, 0)?;
    let prefill = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for i in 0..steps {
        let next = logits
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i as u32)
            .unwrap_or(0);
        logits = m.forward(&[next], ids.len() + i)?;
    }
    let decode = t.elapsed().as_secs_f64();
    println!(
        "prefill {:.1} tok/s, decode {:.1} tok/s ({:.2} ms/token)",
        prompt as f64 / prefill,
        steps as f64 / decode,
        1000.0 * decode / steps as f64
    );
    Ok(())
}
