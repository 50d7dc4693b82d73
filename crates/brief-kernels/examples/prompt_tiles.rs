//! Throughput of one prompt-sized product on one thread, in multiply-adds per second of this
//! thread's CPU time (so that other processes on a shared machine do not count):
//!
//!     cargo run --release -p brief-kernels --example prompt_tiles
//!
//! Random weights in each block format at the shapes of the shipped models, 512 input rows.

use std::sync::Arc;
use std::time::Duration;

use brief_kernels::{matmul, matmul_prompt, Bytes, Input, MatMul, Pool, QMatrix, QType};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

fn cpu_time() -> Duration {
    let mut t = libc_timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into `t`.
    unsafe { clock_gettime(3, &mut t) }; // CLOCK_THREAD_CPUTIME_ID
    Duration::new(t.sec as u64, t.nsec as u32)
}

#[repr(C)]
struct libc_timespec {
    sec: i64,
    nsec: i64,
}
extern "C" {
    fn clock_gettime(clock: i32, t: *mut libc_timespec) -> i32;
}

fn main() {
    let pool = Pool::new(1);
    let n = 512;
    for (t, rows, cols) in [
        (GgmlDType::Q4_1, 1536, 576),
        (GgmlDType::Q5_0, 896, 896),
        (GgmlDType::Q8_0, 896, 896),
        (GgmlDType::Q4K, 896, 4864),
        (GgmlDType::Q6K, 896, 4864),
        (GgmlDType::Q4K, 1536, 1536),
    ] {
        let w: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 1e-4)
            .collect();
        let q = QTensor::quantize(&Tensor::from_vec(w, (rows, cols), &Device::Cpu).unwrap(), t)
            .unwrap();
        let m = QMatrix::new(
            QType::from_ggml(t).unwrap(),
            rows,
            cols,
            Bytes::Owned(Arc::new(q.data().unwrap().into_owned())),
        )
        .unwrap();
        let x: Vec<f32> = (0..n * cols)
            .map(|i| ((i * 104729 % 2000) as f32 - 1000.0) * 1e-3)
            .collect();
        let mut input = Input::default();
        input.set(&x, n, cols);
        let t0 = cpu_time();
        input.prepare(m.qtype);
        let tq = cpu_time() - t0;
        let mut out = vec![0f32; n * rows];
        for (name, wide) in [("rows", false), ("prompt", true)] {
            let t0 = cpu_time();
            let reps = 3;
            for _ in 0..reps {
                let mut jobs = [MatMul {
                    w: &m,
                    input: &input,
                    out: &mut out,
                }];
                if wide {
                    matmul_prompt(&pool, &mut jobs)
                } else {
                    matmul(&pool, &mut jobs)
                }
            }
            let s = (cpu_time() - t0).as_secs_f64() / reps as f64;
            println!(
                "{t:?} {rows}x{cols} {name}: {:.1} GMAC/s (quantize {:.1} ms)",
                (n * rows * cols) as f64 / s / 1e9,
                tq.as_secs_f64() * 1e3
            );
        }
    }
}
