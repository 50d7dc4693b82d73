//! The kernels a forward pass spends its time in, at the shapes of the models we ship: brief's
//! own quantized matrix-vector products (decode: one row, and a batch of four) on the file
//! types the models use, candle's Q8_0 one for comparison, and dense f32 matrix products
//! (prefill, 512 rows), plus Q8_0 at 512 rows to show why prefill uses dense weights.
//!
//! `cargo bench -p brief-kernels --bench kernels`; small samples, so it finishes in about a minute.

use std::time::Duration;

use std::sync::Arc;

use brief_kernels::{Bytes, Input, MatMul, QMatrix, QType};
use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// (input, output) features: smollm2-135m's MLP, qwen2.5-0.5b's MLP.
const SHAPES: &[(usize, usize)] = &[(576, 1536), (896, 4864)];
const PREFILL_ROWS: usize = 512;

fn weights(k: usize, n: usize) -> candle_core::Result<(QMatMul, Tensor)> {
    let dev = Device::Cpu;
    let w = Tensor::randn(0f32, 0.02, (n, k), &dev)?;
    let q = QTensor::quantize(&w, GgmlDType::Q8_0)?;
    // As models/llama holds its prefill copy: the dequantized weight, transposed once.
    let dense = q.dequantize(&dev)?.t()?.contiguous()?;
    Ok((QMatMul::from_qtensor(q)?, dense))
}

fn ours(t: GgmlDType, k: usize, n: usize) -> QMatrix {
    let w = Tensor::randn(0f32, 0.02, (n, k), &Device::Cpu).expect("weights");
    let q = QTensor::quantize(&w, t).expect("quantize");
    let bytes = q.data().expect("bytes").into_owned();
    QMatrix::new(
        QType::from_ggml(t).expect("type"),
        n,
        k,
        Bytes::Owned(Arc::new(bytes)),
    )
    .expect("matrix")
}

fn own_kernels(c: &mut Criterion) {
    let mut g = c.benchmark_group("brief kernels");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let pool = brief_kernels::pool::global().lock().expect("pool");
    for &(k, n) in SHAPES {
        for t in [GgmlDType::Q4_1, GgmlDType::Q5_0, GgmlDType::Q8_0] {
            let w = ours(t, k, n);
            for rows in [1usize, 4] {
                let x: Vec<f32> = (0..rows * k).map(|i| (i % 17) as f32 * 0.1 - 0.8).collect();
                let mut input = Input::default();
                input.set(&x, rows, k);
                input.prepare(w.qtype);
                let mut out = vec![0f32; rows * n];
                g.throughput(Throughput::Elements((rows * k * n) as u64));
                g.bench_function(
                    BenchmarkId::new(format!("{t:?} x {rows} rows"), format!("{k}x{n}")),
                    |b| {
                        b.iter(|| {
                            brief_kernels::matmul(
                                &pool,
                                &mut [MatMul {
                                    w: &w,
                                    input: &input,
                                    out: &mut out,
                                }],
                            )
                        })
                    },
                );
            }
        }
    }
    g.finish();
}

fn kernels(c: &mut Criterion) {
    let dev = Device::Cpu;
    let mut g = c.benchmark_group("matmul");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for &(k, n) in SHAPES {
        let (qmm, dense) = weights(k, n).expect("weights");
        let shape = format!("{k}x{n}");
        let one = Tensor::randn(0f32, 1.0, (1, k), &dev).expect("input");
        let many = Tensor::randn(0f32, 1.0, (PREFILL_ROWS, k), &dev).expect("input");

        g.throughput(Throughput::Elements((k * n) as u64));
        g.bench_with_input(
            BenchmarkId::new("q8_0 decode 1 row", &shape),
            &one,
            |b, x| b.iter(|| qmm.forward(x).expect("q8_0 matmul")),
        );
        g.throughput(Throughput::Elements((PREFILL_ROWS * k * n) as u64));
        g.bench_with_input(
            BenchmarkId::new("f32 prefill 512 rows", &shape),
            &many,
            |b, x| b.iter(|| x.matmul(&dense).expect("f32 matmul")),
        );
        g.bench_with_input(
            BenchmarkId::new("q8_0 prefill 512 rows", &shape),
            &many,
            |b, x| b.iter(|| qmm.forward(x).expect("q8_0 matmul")),
        );
    }
    g.finish();
}

criterion_group!(benches, own_kernels, kernels);
criterion_main!(benches);
