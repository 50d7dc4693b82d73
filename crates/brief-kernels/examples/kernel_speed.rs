//! Matrix-vector speed of one of brief's kernels, with the weights in cache (one matrix, over
//! and over) and streamed from memory (COUNT distinct matrices in turn), as a decode step
//! streams every weight once.
//!
//! `cargo run --release -p brief-kernels --example kernel_speed -- [q4_1|q8_0|q5_0|q4k|q6k]`;
//! the shape comes from ROWS and COLS (default 1536 x 576, smollm2's MLP; 576 x 1536 for the
//! K-quants, whose rows must be multiples of 256), COUNT (default 120) from the environment.

use std::sync::Arc;
use std::time::Instant;

use brief_kernels::{Bytes, Input, MatMul, QMatrix, QType};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let t = match std::env::args().nth(1).as_deref() {
        Some("q8_0") => GgmlDType::Q8_0,
        Some("q5_0") => GgmlDType::Q5_0,
        Some("q4k") => GgmlDType::Q4K,
        Some("q6k") => GgmlDType::Q6K,
        _ => GgmlDType::Q4_1,
    };
    let kquant = matches!(t, GgmlDType::Q4K | GgmlDType::Q6K);
    let rows = env("ROWS", if kquant { 576 } else { 1536 });
    let cols = env("COLS", if kquant { 1536 } else { 576 });
    let count = env("COUNT", 120);
    let w = Tensor::randn(0f32, 0.02, (rows, cols), &Device::Cpu).expect("weights");
    let q = QTensor::quantize(&w, t).expect("quantize");
    let bytes = q.data().expect("bytes").into_owned();
    let qt = QType::from_ggml(t).expect("kernel type");
    let mats: Vec<QMatrix> = (0..count)
        .map(|_| {
            QMatrix::new(qt, rows, cols, Bytes::Owned(Arc::new(bytes.clone()))).expect("matrix")
        })
        .collect();
    let mut input = Input::default();
    input.set(&vec![0.5f32; cols], 1, cols);
    input.prepare(qt);
    let pool = brief_kernels::pool::global().lock().expect("pool");
    let mut out = vec![0f32; rows];
    for (label, n) in [("in cache", 1usize), ("streamed", count)] {
        let iters = (3000 * 884_736 / (rows * cols)).max(10);
        let t0 = Instant::now();
        for i in 0..iters {
            brief_kernels::matmul(
                &pool,
                &mut [MatMul {
                    w: &mats[i % n],
                    input: &input,
                    out: &mut out,
                }],
            );
        }
        let dt = t0.elapsed().as_secs_f64() / iters as f64;
        println!(
            "{t:?} {label}: {:.1} us per {rows}x{cols} matvec, {:.1} GB/s of weights",
            dt * 1e6,
            bytes.len() as f64 / dt / 1e9,
        );
    }
}
