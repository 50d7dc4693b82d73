//! Writes a tiny llama-architecture GGUF with random weights and a real byte-level BPE
//! tokenizer and chat template in its metadata, so tests and benches can run the whole pipeline
//! in well under a second, through exactly the code path a real checkpoint takes.

use std::path::Path;

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};

use gguf_file::Value;

const DIM: usize = 64;
const HEADS: u32 = 4;
const KV_HEADS: u32 = 2;
const FF: usize = 128;
const LAYERS: usize = 2;

const CHATML: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// GPT-2's reversible map from bytes to printable characters.
pub fn bytes_to_unicode() -> Vec<char> {
    let mut printable: Vec<u32> = (b'!' as u32..=b'~' as u32)
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut chars = vec!['\0'; 256];
    let mut extra = 0u32;
    for b in 0..256u32 {
        let c = if printable.contains(&b) {
            b
        } else {
            extra += 1;
            255 + extra
        };
        chars[b as usize] = char::from_u32(c).unwrap_or('?');
    }
    printable.clear();
    chars
}

/// The vocabulary: 256 byte tokens, a few merges, then the ChatML control tokens.
fn vocab() -> (Vec<String>, Vec<String>, Vec<i32>) {
    let mut tokens: Vec<String> = bytes_to_unicode().iter().map(|c| c.to_string()).collect();
    let mut types = vec![1i32; tokens.len()];
    let space = bytes_to_unicode()[b' ' as usize];
    let merges_raw = [
        ("t", "h"),
        ("th", "e"),
        (&*space.to_string(), "the"),
        ("i", "n"),
        ("a", "n"),
        ("o", "n"),
        ("e", "r"),
    ];
    let mut merges = Vec::new();
    for (a, b) in merges_raw {
        merges.push(format!("{a} {b}"));
        tokens.push(format!("{a}{b}"));
        types.push(1);
    }
    for special in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] {
        tokens.push(special.to_string());
        types.push(3);
    }
    (tokens, merges, types)
}

fn strings(v: Vec<String>) -> Value {
    Value::Array(v.into_iter().map(Value::String).collect())
}

/// Writes the tiny model to `path`. The weights come from `seed`, so two writes with the same
/// seed give the same file.
pub fn write_tiny_llama(path: &Path, seed: u64) -> candle_core::Result<()> {
    write_tiny_llama_with_context(path, seed, 2048)
}

/// The tiny model with a context of `context_length` positions: a short one makes the prompt
/// budgets small, so the paths a real model reaches only on very long articles (chunk
/// summaries combined in groups, a level at a time) run in a test in seconds.
pub fn write_tiny_llama_with_context(
    path: &Path,
    seed: u64,
    context_length: u32,
) -> candle_core::Result<()> {
    let (tokens, merges, types) = vocab();
    let n_vocab = tokens.len();
    let eos = (n_vocab - 1) as u32; // <|im_end|>
    let md: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("llama".into())),
        ("general.name", Value::String("tiny-random-llama".into())),
        ("llama.block_count", Value::U32(LAYERS as u32)),
        ("llama.context_length", Value::U32(context_length)),
        ("llama.embedding_length", Value::U32(DIM as u32)),
        ("llama.feed_forward_length", Value::U32(FF as u32)),
        ("llama.attention.head_count", Value::U32(HEADS)),
        ("llama.attention.head_count_kv", Value::U32(KV_HEADS)),
        ("llama.rope.dimension_count", Value::U32(DIM as u32 / HEADS)),
        ("llama.rope.freq_base", Value::F32(10000.0)),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        ("tokenizer.ggml.pre", Value::String("smollm".into())),
        ("tokenizer.ggml.tokens", strings(tokens)),
        ("tokenizer.ggml.merges", strings(merges)),
        (
            "tokenizer.ggml.token_type",
            Value::Array(types.into_iter().map(Value::I32).collect()),
        ),
        ("tokenizer.ggml.bos_token_id", Value::U32(eos - 1)),
        ("tokenizer.ggml.eos_token_id", Value::U32(eos)),
        ("tokenizer.ggml.add_bos_token", Value::Bool(false)),
        ("tokenizer.chat_template", Value::String(CHATML.into())),
    ];
    let dev = Device::Cpu;
    let mut rng = SplitMix(seed);
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    let mut add = |name: String, shape: (usize, usize), quantize: bool, rng: &mut SplitMix| {
        let data: Vec<f32> = (0..shape.0 * shape.1).map(|_| rng.normal() * 0.2).collect();
        let t = Tensor::from_vec(data, shape, &dev)?;
        let dtype = if quantize {
            GgmlDType::Q4_1
        } else {
            GgmlDType::F32
        };
        tensors.push((name, QTensor::quantize(&t, dtype)?));
        candle_core::Result::Ok(())
    };
    let kv_dim = DIM / HEADS as usize * KV_HEADS as usize;
    add("token_embd.weight".into(), (n_vocab, DIM), false, &mut rng)?;
    add("output.weight".into(), (n_vocab, DIM), false, &mut rng)?;
    for l in 0..LAYERS {
        let p = format!("blk.{l}");
        add(format!("{p}.attn_q.weight"), (DIM, DIM), true, &mut rng)?;
        add(format!("{p}.attn_k.weight"), (kv_dim, DIM), true, &mut rng)?;
        add(format!("{p}.attn_v.weight"), (kv_dim, DIM), true, &mut rng)?;
        add(
            format!("{p}.attn_output.weight"),
            (DIM, DIM),
            true,
            &mut rng,
        )?;
        add(format!("{p}.ffn_gate.weight"), (FF, DIM), true, &mut rng)?;
        add(format!("{p}.ffn_up.weight"), (FF, DIM), true, &mut rng)?;
        add(format!("{p}.ffn_down.weight"), (DIM, FF), true, &mut rng)?;
    }
    let ones = Tensor::ones(DIM, candle_core::DType::F32, &dev)?;
    for l in 0..LAYERS {
        for n in ["attn_norm", "ffn_norm"] {
            tensors.push((
                format!("blk.{l}.{n}.weight"),
                QTensor::quantize(&ones, GgmlDType::F32)?,
            ));
        }
    }
    tensors.push((
        "output_norm.weight".into(),
        QTensor::quantize(&ones, GgmlDType::F32)?,
    ));

    let md_refs: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (*k, v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut f = std::fs::File::create(path)?;
    gguf_file::write(&mut f, &md_refs, &t_refs)
}

/// A small deterministic generator, so the tiny model needs no `rand` dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Box-Muller.
    fn normal(&mut self) -> f32 {
        let u1 = self.uniform().max(1e-7);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
    }
}
