//! The llama family (llama, qwen2) on brief's own CPU kernels ([`brief_kernels`]), without
//! candle tensors in the loop.
//!
//! Why a second backend beside [`super::candle`]: a decode step of a small model is a few hundred
//! tiny operations, and per-operation overhead (allocation, dispatch, waking a thread pool)
//! costs as much as the arithmetic. Here a step is one pass over preallocated buffers, every
//! product runs on the file's own quantized blocks (memory-mapped, never copied), and the
//! thread team is handed work by spinning rather than by waking. Prefill (many rows at once)
//! is compute-bound: it runs the kernels' prompt tiles (several weight rows × several tokens
//! per inner loop, still on the file's blocks), so no f32 copy of any weight is ever made.
//! Both run on the one [`Config`]; the candle backend stays as the reference these results are
//! tested against. What every architecture on the kernels shares is in
//! [`crate::llm::models::kernels`].

use std::path::Path;

use candle_core::quantized::gguf_file;

use brief_kernels::pointwise::{gate_mul, Gate};
use brief_kernels::{Pool, QMatrix};

use super::Config;
use crate::llm::model::WeightFormat;
use crate::llm::models::kernels::{
    attention, check_rows, logits, project, rms_norm_into, Cache, CacheShape, Forward, Heads,
    KvView, Linear, LoadError, OnKernels, RopeTable, Scratch, Tensors,
};
use crate::llm::models::MAX_CONTEXT;

struct Layer {
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    gate: Linear,
    up: Linear,
    down: Linear,
    attn_norm: Vec<f32>,
    ffn_norm: Vec<f32>,
}

pub struct ModelWeights {
    cfg: Config,
    /// Positions the RoPE table covers: the most a sequence may hold.
    max_seq: usize,
    embeddings: QMatrix,
    output: QMatrix,
    norm: Vec<f32>,
    layers: Vec<Layer>,
    rope: RopeTable,
    scratch: Scratch,
}

impl ModelWeights {
    /// Maps `path` (the GGUF `ct` was read from) and builds the model of `cfg` on it, with its
    /// sequences. Every format that reaches here (`fast`, `lean`) multiplies on the file's
    /// blocks alone.
    pub fn load(
        cfg: &Config,
        ct: &gguf_file::Content,
        path: &Path,
        _format: WeightFormat,
    ) -> Result<OnKernels<Self>, LoadError> {
        let max_seq = MAX_CONTEXT;
        let t = Tensors::map(ct, path)?;
        // The same frequencies as the candle backend's tables, so both paths rotate identically.
        let rope = RopeTable::new(&cfg.rope_freqs(), max_seq);
        let embeddings = t.matrix("token_embd.weight")?;
        let output = if t.has("output.weight") {
            t.matrix("output.weight")?
        } else {
            embeddings.clone()
        };
        let (biased, n_embd) = (cfg.qkv_bias, cfg.n_embd);
        let mut layers = Vec::with_capacity(cfg.n_layer);
        for i in 0..cfg.n_layer {
            let p = format!("blk.{i}");
            layers.push(Layer {
                wq: t.linear(&format!("{p}.attn_q"), biased)?,
                wk: t.linear(&format!("{p}.attn_k"), biased)?,
                wv: t.linear(&format!("{p}.attn_v"), biased)?,
                wo: t.linear(&format!("{p}.attn_output"), false)?,
                gate: t.linear(&format!("{p}.ffn_gate"), false)?,
                up: t.linear(&format!("{p}.ffn_up"), false)?,
                down: t.linear(&format!("{p}.ffn_down"), false)?,
                attn_norm: t.vector(&format!("{p}.attn_norm.weight"), n_embd)?,
                ffn_norm: t.vector(&format!("{p}.ffn_norm.weight"), n_embd)?,
            });
        }
        Ok(OnKernels::new(Self {
            norm: t.vector("output_norm.weight", n_embd)?,
            cfg: cfg.clone(),
            max_seq,
            embeddings,
            output,
            layers,
            rope,
            scratch: Scratch::default(),
        }))
    }
}

impl Forward for ModelWeights {
    fn cache_shape(&self) -> CacheShape {
        CacheShape {
            layers: self.layers.len(),
            kv_heads: self.cfg.n_kv_head,
            head_dim: self.cfg.head_dim,
        }
    }

    fn run(
        &mut self,
        caches: &mut [Cache],
        rows: &[(usize, usize)],
        tokens: &[u32],
        first_logits: usize,
        prompt: bool,
    ) -> Result<Vec<Vec<f32>>, String> {
        let cfg = &self.cfg;
        let n = tokens.len();
        check_rows(rows, tokens, self.max_seq, self.embeddings.rows)?;
        let kv = cfg.kv_dim();
        let heads = Heads {
            n_head: cfg.n_head,
            n_kv_head: cfg.n_kv_head,
            head_dim: cfg.head_dim,
            scale: 1.0 / (cfg.head_dim as f32).sqrt(),
            window: None,
        };
        let guard = brief_kernels::pool::global()
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let pool: &Pool = &guard;
        let d = cfg.n_embd;
        let s = &mut self.scratch;
        s.x.resize(n * d, 0.0);
        for (i, &tok) in tokens.iter().enumerate() {
            self.embeddings
                .dequantize_row(tok as usize, &mut s.x[i * d..(i + 1) * d]);
        }
        for (l, layer) in self.layers.iter().enumerate() {
            rms_norm_into(&s.x, &layer.attn_norm, cfg.eps, n, d, &mut s.normed);
            s.q.resize(n * d, 0.0);
            s.k.resize(n * kv, 0.0);
            s.v.resize(n * kv, 0.0);
            project(
                pool,
                prompt,
                &mut s.normed,
                &mut [
                    (&layer.wq, &mut s.q[..]),
                    (&layer.wk, &mut s.k[..]),
                    (&layer.wv, &mut s.v[..]),
                ],
            );
            for (i, &(seq, p)) in rows.iter().enumerate() {
                self.rope
                    .rotate(&mut s.q[i * d..(i + 1) * d], cfg.head_dim, p, cfg.neox);
                self.rope
                    .rotate(&mut s.k[i * kv..(i + 1) * kv], cfg.head_dim, p, cfg.neox);
                let cache = &mut caches[seq];
                cache.push(l, &s.k[i * kv..(i + 1) * kv], &s.v[i * kv..(i + 1) * kv]);
            }
            let views: Vec<KvView<'_>> = caches.iter().map(|c| c.layer(l)).collect();
            attention(pool, heads, &s.q, &views, rows, &mut s.attn);
            s.proj.resize(n * d, 0.0);
            project(
                pool,
                prompt,
                &mut s.attn,
                &mut [(&layer.wo, &mut s.proj[..])],
            );
            for (x, p) in s.x.iter_mut().zip(&s.proj) {
                *x += p;
            }
            rms_norm_into(&s.x, &layer.ffn_norm, cfg.eps, n, d, &mut s.normed);
            let ff = layer.gate.w.rows;
            s.gate.resize(n * ff, 0.0);
            s.up.resize(n * ff, 0.0);
            project(
                pool,
                prompt,
                &mut s.normed,
                &mut [(&layer.gate, &mut s.gate[..]), (&layer.up, &mut s.up[..])],
            );
            gate_mul(pool, Gate::Silu, &mut s.gate, &s.up);
            s.act.set(&s.gate, n, ff);
            project(
                pool,
                prompt,
                &mut s.act,
                &mut [(&layer.down, &mut s.proj[..])],
            );
            for (x, p) in s.x.iter_mut().zip(&s.proj) {
                *x += p;
            }
        }
        let out_rows = n - first_logits;
        rms_norm_into(
            &s.x[first_logits * d..n * d],
            &self.norm,
            cfg.eps,
            out_rows,
            d,
            &mut s.last,
        );
        Ok(logits(pool, &self.output, &mut s.last, out_rows))
    }
}

#[cfg(test)]
mod tests {
    use crate::llm::model::{Model, WeightFormat};
    use candle_core::Device;

    fn models() -> (tempfile::TempDir, Model, Model) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        crate::testing::write_tiny_llama(&path, 5).unwrap();
        let exact = Model::load(&path, None, &Device::Cpu, WeightFormat::Exact).unwrap();
        let fast = Model::load(&path, None, &Device::Cpu, WeightFormat::Fast).unwrap();
        (dir, exact, fast)
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    /// The largest logit difference in spreads (standard deviations) of the reference's.
    fn spreads(r: &[f32], f: &[f32]) -> f32 {
        let mean = r.iter().sum::<f32>() / r.len() as f32;
        let spread =
            (r.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / r.len() as f32).sqrt();
        max_diff(r, f) / spread
    }

    #[test]
    fn prefill_and_decode_stay_close_to_the_f32_reference() {
        let (_dir, mut exact, mut fast) = models();
        let prompt: Vec<u32> = (0..40).map(|i| (i * 7 % 50) as u32).collect();
        // Both round activations to 8 bits: close, not equal (see tests/real_models.rs). A
        // difference of exactly 0 would mean the prompt never reached the integer tiles.
        let (r, f) = (
            exact.forward(&prompt, 0).unwrap(),
            fast.forward(&prompt, 0).unwrap(),
        );
        let d = spreads(&r, &f);
        assert!(d > 0.0 && d < 0.35, "prefill differs by {d} spreads");
        for (i, tok) in [3u32, 9, 27, 1].iter().enumerate() {
            let pos = prompt.len() + i;
            let (r, f) = (
                exact.forward(&[*tok], pos).unwrap(),
                fast.forward(&[*tok], pos).unwrap(),
            );
            let d = spreads(&r, &f);
            assert!(
                d > 0.0 && d < 0.35,
                "decode step {i} differs by {d} spreads"
            );
        }
    }

    /// Where the child run of the test below writes its logits.
    const LOGITS_OUT: &str = "BRIEF_TEST_LOGITS_OUT";

    /// The portable kernels (every CPU without AVX2) against the vectorised ones through the
    /// whole model. The choice of kernels is made once per process, so each side runs in a
    /// child of this test binary. A greedy text from the random-weight model cannot be the
    /// measure: its logits are nearly flat, so a rounding difference in the last place flips
    /// a near-tie; the logits themselves must agree far inside what moves a trained model.
    #[test]
    fn the_portable_kernels_give_the_vectorised_logits() {
        let prompt: Vec<u32> = (0..40).map(|i| (i * 11 % 50) as u32).collect();
        if let Some(out) = std::env::var_os(LOGITS_OUT) {
            let (_dir, _exact, mut fast) = models();
            let mut all = fast.forward(&prompt, 0).unwrap();
            for (i, tok) in [3u32, 9, 27, 1].iter().enumerate() {
                all.extend(fast.forward(&[*tok], prompt.len() + i).unwrap());
            }
            let bytes: Vec<u8> = all.iter().flat_map(|x| x.to_le_bytes()).collect();
            std::fs::write(out, bytes).unwrap();
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let run = |portable: bool| {
            let out = dir.path().join(format!("logits-{portable}"));
            let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
            cmd.args([
                "--exact",
                "llm::models::llama::cpu::tests::the_portable_kernels_give_the_vectorised_logits",
                "--test-threads=1",
            ])
            .env(LOGITS_OUT, &out)
            .env("BRIEF_THREADS", "1")
            .env_remove("BRIEF_NO_SIMD");
            if portable {
                cmd.env("BRIEF_NO_SIMD", "1");
            }
            let o = cmd.output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
            let bytes = std::fs::read(&out).unwrap();
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect::<Vec<f32>>()
        };
        let (simd, portable) = (run(false), run(true));
        assert!(!simd.is_empty());
        let vocab = simd.len() / 5;
        for (i, (s, p)) in simd.chunks(vocab).zip(portable.chunks(vocab)).enumerate() {
            let d = spreads(p, s);
            // Prefill then four decode steps; 8-bit activations on both sides, so the only
            // differences are the order of float sums and the vector exp in attention, and
            // what the f16 cache makes of them: a key or value one float bit apart may round
            // to halves a whole f16 step apart (2^-11), which this random model's nearly flat
            // logits magnify (0.019 spreads at most; before the f16 cache, under 1e-3).
            assert!(
                d < 0.05,
                "step {i}: portable and vectorised differ by {d} spreads"
            );
        }
    }

    #[test]
    fn a_position_inside_the_cache_rewinds_it() {
        let (_dir, _exact, mut fast) = models();
        let a = fast.forward(&[1, 2, 3, 4], 0).unwrap();
        fast.forward(&[5, 6], 4).unwrap();
        // Back to position 2 with the same tokens as before: the same logits as the first pass.
        fast.forward(&[3], 2).unwrap();
        let again = fast.forward(&[4], 3).unwrap();
        // Fresh, position 2 again a decode step: a prompt row runs on other kernels (the
        // prompt tiles), so its cache entry would differ in the last bits.
        let fresh = {
            fast.reset();
            fast.forward(&[1, 2], 0).unwrap();
            fast.forward(&[3], 2).unwrap();
            fast.forward(&[4], 3).unwrap()
        };
        assert!(max_diff(&again, &fresh) == 0.0);
        assert_eq!(a.len(), again.len());
    }

    /// A decode step computes the same logits, to the bit, alone or in a batch beside other
    /// sequences: that is what makes a summary the same text whether a worker wrote it in a
    /// batch or the report wrote it alone. (On AVX-512 VNNI a lone step once ran on the
    /// prompt tiles, which add in another order, and real models then wrote other words.)
    #[test]
    fn a_decode_step_alone_and_in_a_batch_give_the_same_logits() {
        let prompts: [Vec<u32>; 3] = [
            (0..37).map(|i| (i * 7 % 50) as u32).collect(),
            (0..12).map(|i| (i * 3 % 50) as u32).collect(),
            (0..25).map(|i| (i * 11 % 50) as u32).collect(),
        ];
        let steps = [9u32, 27, 4, 33];
        let (_dir, _exact, mut alone) = models();
        alone.forward_seq(0, &prompts[0], 0).unwrap();
        let mut lone = Vec::new();
        for (i, &t) in steps.iter().enumerate() {
            lone.push(alone.forward(&[t], prompts[0].len() + i).unwrap());
        }
        let (_dir2, _exact2, mut batched) = models();
        for (seq, p) in prompts.iter().enumerate() {
            batched.forward_seq(seq, p, 0).unwrap();
        }
        for (i, &t) in steps.iter().enumerate() {
            let outs = batched
                .forward_batch(&[(0, t), (1, t ^ 1), (2, t ^ 2)])
                .unwrap();
            assert!(
                outs[0] == lone[i],
                "step {i}: max difference {}",
                max_diff(&outs[0], &lone[i])
            );
        }
    }

    #[test]
    fn bad_positions_and_tokens_are_errors_not_panics() {
        let (_dir, _exact, mut fast) = models();
        let e = fast.forward(&[1], 5).unwrap_err().to_string();
        assert!(e.contains("past the 0 cached positions"), "{e}");
        let e = fast.forward(&[1_000_000], 0).unwrap_err().to_string();
        assert!(e.contains("outside the vocabulary"), "{e}");
        assert!(fast.forward(&[], 0).is_err());
    }
}
