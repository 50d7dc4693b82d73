//! Every kernel against candle's dequantize-then-multiply, on random weights quantized by candle.
//!
//! Tolerance, stated: the kernels round the activations to 8 bits per block (scale d = max|x| /
//! 127), so each product may be off by at most |w_i| · d/2; the test allows that bound summed
//! over the row, plus 1e-4 relative for float summation order. Dequantization must match
//! candle's to 1e-6. The AVX2 and portable versions must agree to 1e-5 relative, since they
//! compute the same integer sums.

use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

use super::*;

const TYPES: &[GgmlDType] = &[
    GgmlDType::Q8_0,
    GgmlDType::Q4_1,
    GgmlDType::Q5_0,
    GgmlDType::Q4K,
    GgmlDType::Q6K,
    GgmlDType::F32,
];

fn lcg(seed: u64, n: usize, scale: f32) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Sum of uniforms: roughly normal, with the odd large value like real weights.
            let u = (0..4)
                .map(|k| ((s >> (16 * k)) & 0xFFFF) as f32 / 65535.0 - 0.5)
                .sum::<f32>();
            u * scale
        })
        .collect()
}

/// A candle-quantized matrix and our view of the same bytes.
fn matrix(t: GgmlDType, rows: usize, cols: usize, seed: u64) -> (QTensor, QMatrix) {
    let w = Tensor::from_vec(lcg(seed, rows * cols, 0.1), (rows, cols), &Device::Cpu).unwrap();
    let q = QTensor::quantize(&w, t).unwrap();
    let bytes = q.data().unwrap().into_owned();
    let m = QMatrix::new(
        QType::from_ggml(t).unwrap(),
        rows,
        cols,
        Bytes::Owned(Arc::new(bytes)),
    )
    .unwrap();
    (q, m)
}

#[test]
fn dequantization_matches_candle() {
    for &t in TYPES {
        let (q, m) = matrix(t, 8, 512, 7);
        let want: Vec<f32> = q
            .dequantize(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let got = m.dequantize();
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!((a - b).abs() <= 1e-6, "{t:?} element {i}: {a} vs {b}");
        }
    }
}

fn check_products(rows: usize, cols: usize, in_rows: usize) {
    let pool = Pool::new(3);
    for &t in TYPES {
        if !cols.is_multiple_of(QType::from_ggml(t).unwrap().block_len()) {
            continue;
        }
        let (_, m) = matrix(t, rows, cols, 11 + cols as u64);
        let dense = m.dequantize();
        let x = lcg(99, in_rows * cols, 2.0);
        let mut input = Input::default();
        input.set(&x, in_rows, cols);
        input.prepare(m.qtype);
        let mut out = vec![0f32; in_rows * rows];
        matmul(
            &pool,
            &mut [MatMul {
                w: &m,
                input: &input,
                out: &mut out,
            }],
        );
        let block = m.qtype.block_len().max(32);
        for i in 0..in_rows {
            let xi = &x[i * cols..(i + 1) * cols];
            for r in 0..rows {
                let wr = &dense[r * cols..(r + 1) * cols];
                let exact: f32 = wr.iter().zip(xi).map(|(a, b)| a * b).sum();
                let mut bound = 0f32;
                let mut magnitude = 0f32;
                for (wb, xb) in wr.chunks(block).zip(xi.chunks(block)) {
                    let amax = xb.iter().fold(0f32, |a, v| a.max(v.abs()));
                    let rounding = if m.qtype == QType::F32 {
                        0.0
                    } else {
                        amax / 254.0
                    };
                    bound += wb.iter().map(|w| w.abs()).sum::<f32>() * rounding;
                    magnitude += wb.iter().zip(xb).map(|(w, x)| (w * x).abs()).sum::<f32>();
                }
                let got = out[i * rows + r];
                let tol = bound + 1e-4 * magnitude + 1e-5;
                assert!(
                    (got - exact).abs() <= tol,
                    "{t:?} {rows}x{cols} input row {i} weight row {r}: {got} vs {exact} (tolerance {tol})"
                );
            }
        }
    }
}

#[test]
fn products_match_dequantized_matmul_one_row() {
    // Shapes of the real models: smollm2 (576, 1536), qwen2 (896, 4864), and a K-quant width.
    check_products(37, 576, 1);
    check_products(29, 896, 1);
    check_products(19, 1536, 1);
    // Fewer than the eight 32-element blocks whose scales are read together.
    check_products(7, 96, 1);
}

#[test]
fn products_match_dequantized_matmul_many_rows() {
    check_products(41, 512, 5);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn simd_and_portable_agree() {
    if !has_avx2() {
        return;
    }
    for &t in TYPES {
        let (_, m) = matrix(t, 4, 1024, 3);
        let mut input = Input::default();
        input.set(&lcg(5, 1024, 1.0), 1, 1024);
        input.prepare(m.qtype);
        for r in 0..4 {
            let simd = dot(&m, r, &input, 0);
            let wr = m.row(r);
            let portable = match m.qtype {
                QType::F32 => continue,
                QType::Q8_0 => blocks::dot_q8_0(wr, &input.q32, 0),
                QType::Q4_1 => blocks::dot_q4_1(wr, &input.q32, 0),
                QType::Q5_0 => blocks::dot_q5_0(wr, &input.q32, 0),
                QType::Q4K => blocks::dot_q4_k(wr, &input.q256, 0),
                QType::Q6K => blocks::dot_q6_k(wr, &input.q256, 0),
            };
            assert!(
                (simd - portable).abs() <= 1e-5 * portable.abs().max(1.0),
                "{t:?} row {r}: simd {simd} vs portable {portable}"
            );
        }
    }
}

#[test]
fn wrong_sizes_are_rejected() {
    let err = QMatrix::new(QType::Q4_1, 2, 64, Bytes::Owned(Arc::new(vec![0; 79]))).unwrap_err();
    assert!(err.to_string().contains("needs 80 bytes, got 79"), "{err}");
    assert!(QType::from_ggml(GgmlDType::Q2K).is_err());
}

#[test]
fn tiled_attention_matches_one_query_at_a_time() {
    // The 512-bit tiles where this CPU has them, and the 256-bit ones in any case.
    for wide in [has_avx512f(), false] {
        tiled_attention_cases(wide);
    }
}

fn tiled_attention_cases(wide: bool) {
    for hd in [32, 64, 128, 256] {
        for count in [1, 5, 16, 17, 48, 50] {
            let len = 300;
            let stride = hd * 2;
            let q = lcg(11, count * hd, 2.0);
            let k = halves(&lcg(2, len * stride, 2.0));
            let v = halves(&lcg(3, len * stride, 1.0));
            let scale = 1.0 / (hd as f32).sqrt();
            // Causal rows of a prompt three heads to a row, some with a sliding window, and
            // one query that sees a single key.
            let spans: Vec<std::ops::Range<usize>> = (0..count)
                .map(|m| {
                    let end = (len - count / 3 - 1 + m / 3).min(len);
                    let first = match m % 4 {
                        1 => end - 1,
                        2 => end.saturating_sub(40),
                        _ => 0,
                    };
                    first..end
                })
                .collect();
            let qs: Vec<&[f32]> = q.chunks_exact(hd).collect();
            let mut tiled = vec![0f32; count * hd];
            let mut outs: Vec<&mut [f32]> = tiled.chunks_exact_mut(hd).collect();
            let mut scratch = Vec::new();
            attend_tile_on(
                wide,
                &qs,
                &spans,
                &k,
                &v,
                stride,
                scale,
                &mut scratch,
                &mut outs,
            );
            for (m, span) in spans.iter().enumerate() {
                let mut one = vec![0f32; hd];
                let at = span.start * stride;
                let n = span.end - span.start;
                attend(
                    qs[m],
                    &k[at..],
                    &v[at..],
                    stride,
                    n,
                    scale,
                    &mut scratch,
                    &mut one,
                );
                for (i, (a, b)) in one.iter().zip(&tiled[m * hd..]).enumerate() {
                    assert!(
                        (a - b).abs() <= 2e-5 * (1.0 + a.abs()),
                        "wide {wide} hd {hd} count {count} query {m} {span:?} [{i}]: {a} vs {b}"
                    );
                }
            }
        }
    }
}

/// The f16 cache's values of `x`.
fn halves(x: &[f32]) -> Vec<f16> {
    x.iter().map(|&v| f16::from_f32(v)).collect()
}

#[test]
fn attention_matches_a_plain_softmax() {
    for hd in [32, 64, 128, 256] {
        for len in [1, 7, 300] {
            let stride = hd * 3;
            let q = lcg(1, hd, 2.0);
            let k = halves(&lcg(2, len * stride, 2.0));
            let v = halves(&lcg(3, len * stride, 1.0));
            let scale = 1.0 / (hd as f32).sqrt();
            let s: Vec<f64> = (0..len)
                .map(|j| {
                    (0..hd)
                        .map(|i| q[i] as f64 * k[j * stride + i].to_f64())
                        .sum::<f64>()
                        * scale as f64
                })
                .collect();
            let max = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = s.iter().map(|x| (x - max).exp()).collect();
            let sum: f64 = e.iter().sum();
            // Whatever this CPU picks, and the AVX2 kernel itself where it runs, since an
            // AVX-512 machine never picks it.
            let mut runs: Vec<(&str, Vec<f32>)> = Vec::new();
            let mut scores = Vec::new();
            let mut out = vec![0f32; hd];
            attend(&q, &k, &v, stride, len, scale, &mut scores, &mut out);
            runs.push(("attend", out));
            #[cfg(target_arch = "x86_64")]
            if has_avx2() && hd >= 64 {
                let mut out = vec![0f32; hd];
                let (kp, vp) = (k.as_ptr(), v.as_ptr());
                // SAFETY: AVX2 was checked; k and v hold `len` rows `stride` apart.
                unsafe {
                    match hd {
                        64 => {
                            x86::attend::<8>(&q, kp, vp, stride, len, scale, &mut scores, &mut out)
                        }
                        128 => {
                            x86::attend::<16>(&q, kp, vp, stride, len, scale, &mut scores, &mut out)
                        }
                        _ => {
                            x86::attend::<32>(&q, kp, vp, stride, len, scale, &mut scores, &mut out)
                        }
                    }
                }
                runs.push(("avx2", out));
            }
            for (name, out) in &runs {
                for i in 0..hd {
                    let want: f64 = (0..len)
                        .map(|j| e[j] * v[j * stride + i].to_f64())
                        .sum::<f64>()
                        / sum;
                    assert!(
                        (out[i] as f64 - want).abs() <= 1e-5 * (1.0 + want.abs()),
                        "{name} hd {hd} len {len} dim {i}: {} vs {want}",
                        out[i]
                    );
                }
            }
        }
    }
}

/// The portable one-row dot product: the reference every tile must agree with, since both sum
/// the same integers per block.
fn portable(m: &QMatrix, r: usize, input: &Input, row: usize) -> f32 {
    let wr = m.row(r);
    match m.qtype {
        QType::F32 => wr
            .chunks_exact(4)
            .zip(&input.x[row * input.cols..][..m.cols])
            .map(|(b, x)| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * x)
            .sum(),
        QType::Q8_0 => blocks::dot_q8_0(wr, &input.q32, row),
        QType::Q4_1 => blocks::dot_q4_1(wr, &input.q32, row),
        QType::Q5_0 => blocks::dot_q5_0(wr, &input.q32, row),
        QType::Q4K => blocks::dot_q4_k(wr, &input.q256, row),
        QType::Q6K => blocks::dot_q6_k(wr, &input.q256, row),
    }
}

#[test]
fn prompt_tiles_agree_with_the_portable_rows() {
    let pool = Pool::new(3);
    // Odd weight-row counts leave rows outside a whole tile; 11 input rows leave three
    // outside a whole tile; 544 columns are an odd number of 32-blocks (one unpaired).
    // 37 input rows: two whole groups of the Q4_K column tiles and five rows of a third.
    for (rows, cols, in_rows) in [
        (37usize, 576usize, 11usize),
        (9, 544, 11),
        (6, 1536, 11),
        (5, 768, 11),
        (37, 768, 37),
        (8, 512, 16),
    ] {
        for &t in TYPES {
            if !cols.is_multiple_of(QType::from_ggml(t).unwrap().block_len()) {
                continue;
            }
            let (_, m) = matrix(t, rows, cols, 5 + rows as u64);
            let x = lcg(17, in_rows * cols, 2.0);
            let mut input = Input::default();
            input.set(&x, in_rows, cols);
            input.prepare(m.qtype);
            let mut out = vec![0f32; in_rows * rows];
            matmul_prompt(
                &pool,
                &mut [MatMul {
                    w: &m,
                    input: &input,
                    out: &mut out,
                }],
            );
            for i in 0..in_rows {
                for r in 0..rows {
                    let want = portable(&m, r, &input, i);
                    let magnitude: f32 = m
                        .dequantize()
                        .chunks_exact(cols)
                        .nth(r)
                        .unwrap()
                        .iter()
                        .zip(&x[i * cols..(i + 1) * cols])
                        .map(|(a, b)| (a * b).abs())
                        .sum();
                    let got = out[i * rows + r];
                    assert!(
                        (got - want).abs() <= 1e-5 * magnitude + 1e-6,
                        "{t:?} {rows}x{cols} input row {i} weight row {r}: {got} vs {want}"
                    );
                }
            }
        }
    }
}

/// The AVX2 column tiles, called directly so that a CPU with AVX-512 VNNI (whose prompts take
/// `wide`'s) still checks them: every whole tile of weight rows, one group at a time and two
/// at once, against the portable rows.
#[test]
#[cfg(target_arch = "x86_64")]
fn avx2_column_tiles_agree_with_the_portable_rows() {
    if !has_avx2() || !columns_run_here() {
        return;
    }
    type One<A> = unsafe fn(*const u8, usize, usize, &A, usize) -> [[f32; act::GROUP]; wide::COL_R];
    type Two<A> =
        unsafe fn(*const u8, usize, usize, &A, usize) -> [[[f32; act::GROUP]; wide::COL_R]; 2];
    const G: usize = act::GROUP;
    // 37 input rows: two whole groups and five rows of a third; 544 columns an odd number of
    // 32-blocks, 768 three super-blocks.
    for (t, cols) in [
        (GgmlDType::Q4K, 768usize),
        (GgmlDType::Q6K, 768),
        (GgmlDType::Q4_1, 544),
        (GgmlDType::Q5_0, 544),
        (GgmlDType::Q8_0, 544),
    ] {
        let (rows, in_rows) = (8, 37);
        let (_, m) = matrix(t, rows, cols, 11);
        let x = lcg(23, in_rows * cols, 2.0);
        let mut input = Input::default();
        input.set(&x, in_rows, cols);
        input.prepare(m.qtype);
        let nb = cols / m.qtype.block_len();
        let (p, stride) = (m.bytes.as_slice().as_ptr(), m.row_bytes());
        let groups = in_rows.div_ceil(G);
        for r in (0..rows).step_by(wide::COL_R) {
            let w = p.wrapping_add(r * stride);
            for g in 0..groups {
                // SAFETY: this CPU has AVX2 (checked above); rows r..r + COL_R and group g
                // (and g + 1 for the pair) exist; the input was interleaved by `prepare`.
                let (one, two) = unsafe {
                    match m.qtype {
                        QType::Q4K | QType::Q6K => {
                            let (f1, f2): (One<Act256T>, Two<Act256T>) = if m.qtype == QType::Q4K {
                                (narrow::q4_k_cols, narrow::q4_k_cols2)
                            } else {
                                (narrow::q6_k_cols, narrow::q6_k_cols2)
                            };
                            let t = &input.q256t;
                            (
                                f1(w, stride, nb, t, g),
                                (g + 1 < groups).then(|| f2(w, stride, nb, t, g)),
                            )
                        }
                        _ => {
                            let (f1, f2): (One<Act32T>, Two<Act32T>) = match m.qtype {
                                QType::Q4_1 => (narrow::q4_1_cols, narrow::q4_1_cols2),
                                QType::Q5_0 => (narrow::q5_0_cols, narrow::q5_0_cols2),
                                _ => (narrow::q8_0_cols, narrow::q8_0_cols2),
                            };
                            let t = &input.q32t;
                            (
                                f1(w, stride, nb, t, g),
                                (g + 1 < groups).then(|| f2(w, stride, nb, t, g)),
                            )
                        }
                    }
                };
                let mut got = vec![(g, one)];
                if let Some([a, b]) = two {
                    got.push((g, a));
                    got.push((g + 1, b));
                }
                for (g, tile) in got {
                    for (k, lanes) in tile.iter().enumerate() {
                        for (lane, v) in lanes.iter().enumerate() {
                            let i = g * G + lane;
                            if i >= in_rows {
                                continue;
                            }
                            let want = portable(&m, r + k, &input, i);
                            assert!(
                                (v - want).abs() <= 1e-5 * want.abs().max(1.0),
                                "{t:?} weight row {} input row {i}: {v} vs {want}",
                                r + k
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn prompt_tiles_run_several_products_in_one_job() {
    let pool = Pool::new(2);
    let (_, a) = matrix(GgmlDType::Q4K, 10, 512, 1);
    let (_, b) = matrix(GgmlDType::Q6K, 6, 512, 2);
    let x = lcg(3, 8 * 512, 1.0);
    let mut input = Input::default();
    input.set(&x, 8, 512);
    input.prepare(QType::Q4K);
    let (mut oa, mut ob) = (vec![0f32; 80], vec![0f32; 48]);
    matmul_prompt(
        &pool,
        &mut [
            MatMul {
                w: &a,
                input: &input,
                out: &mut oa,
            },
            MatMul {
                w: &b,
                input: &input,
                out: &mut ob,
            },
        ],
    );
    for i in 0..8 {
        for r in 0..10 {
            let want = portable(&a, r, &input, i);
            assert!((oa[i * 10 + r] - want).abs() <= 1e-3 * want.abs().max(1.0));
        }
        for r in 0..6 {
            let want = portable(&b, r, &input, i);
            assert!((ob[i * 6 + r] - want).abs() <= 1e-3 * want.abs().max(1.0));
        }
    }
}

#[test]
fn batched_products_are_bitwise_the_one_row_products() {
    // A batch of decode steps (and, without AVX-512 VNNI, a prompt) goes through `matmul`'s
    // tiles; each product must be exactly what the lone step's `dot` gives, or a text would
    // change with the company it is decoded in.
    let pool = Pool::new(2);
    // 17 and 3 blocks of 32: a last group of fewer than eight blocks, and only such a group.
    for (&t, (rows, cols, in_rows)) in TYPES
        .iter()
        .flat_map(|t| [(13usize, 512usize, 9usize), (13, 544, 9), (7, 96, 6)].map(|s| (t, s)))
    {
        if !cols.is_multiple_of(QType::from_ggml(t).unwrap().block_len()) {
            continue;
        }
        let (_, m) = matrix(t, rows, cols, 5);
        let x = lcg(17, in_rows * cols, 2.0);
        let mut input = Input::default();
        input.set(&x, in_rows, cols);
        input.prepare(m.qtype);
        let mut out = vec![0f32; in_rows * rows];
        matmul(
            &pool,
            &mut [MatMul {
                w: &m,
                input: &input,
                out: &mut out,
            }],
        );
        for i in 0..in_rows {
            for r in 0..rows {
                let one = dot(&m, r, &input, i);
                assert_eq!(
                    out[i * rows + r].to_bits(),
                    one.to_bits(),
                    "{t:?} input row {i} weight row {r}: {} vs {one}",
                    out[i * rows + r]
                );
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn vnni_k_quant_rows_are_bitwise_the_avx2_rows() {
    // A text must not depend on whether the CPU has VNNI: the VNNI rows and batch tiles take
    // the AVX2 rows' float steps over the same exact integers.
    if !has_vnni() {
        return;
    }
    for t in [GgmlDType::Q4K, GgmlDType::Q6K] {
        let (rows, cols, in_rows) = (6, 1024, 4);
        let (_, m) = matrix(t, rows, cols, 23);
        let x = lcg(31, in_rows * cols, 2.0);
        let mut input = Input::default();
        input.set(&x, in_rows, cols);
        input.prepare(m.qtype);
        let (p, stride, nb) = (m.row(0).as_ptr(), m.row_bytes(), cols / 256);
        let a = &input.q256;
        // SAFETY: the CPU has AVX2 and VNNI (checked above; VNNI implies AVX-512 F/BW/VL
        // here); the matrix has `rows` whole rows of `nb` super-blocks and the input `in_rows`
        // rows quantized for them.
        unsafe {
            let q4 = t == GgmlDType::Q4K;
            for i in 0..in_rows {
                let (avx2, vnni) = if q4 {
                    (
                        x86::rows_q4_k::<4>(p, stride, nb, a, i),
                        x86::rows_q4_k_vnni::<4>(p, stride, nb, a, i),
                    )
                } else {
                    (
                        x86::rows_q6_k::<4>(p, stride, nb, a, i),
                        x86::rows_q6_k_vnni::<4>(p, stride, nb, a, i),
                    )
                };
                assert_eq!(
                    avx2.map(f32::to_bits),
                    vnni.map(f32::to_bits),
                    "{t:?} input {i}"
                );
            }
            let pair = p.add(2 * stride);
            let (avx2, vnni) = if q4 {
                (
                    x86::dot2x4_q4_k(pair, stride, nb, a, 0),
                    x86::dot2x4_q4_k_vnni(pair, stride, nb, a, 0),
                )
            } else {
                (
                    x86::dot2x4_q6_k(pair, stride, nb, a, 0),
                    x86::dot2x4_q6_k_vnni(pair, stride, nb, a, 0),
                )
            };
            assert_eq!(
                avx2.map(|r| r.map(f32::to_bits)),
                vnni.map(|r| r.map(f32::to_bits)),
                "{t:?} tile"
            );
        }
    }
}

/// A group of heads together must say exactly what each head says alone: a decode step's
/// words may not depend on how its heads were grouped between threads.
#[test]
fn grouped_heads_are_bitwise_each_head_alone() {
    for hd in [32, 64, 128, 256] {
        for group in [1, 3, 7] {
            for len in [1, 15, 16, 17, 300] {
                let stride = hd * 2;
                let q = lcg(5, group * hd, 2.0);
                let k = halves(&lcg(6, len * stride, 2.0));
                let v = halves(&lcg(7, len * stride, 1.0));
                let scale = 1.0 / (hd as f32).sqrt();
                let mut scores = Vec::new();
                let mut grouped = vec![f32::NAN; group * hd];
                attend_group(
                    &q,
                    group,
                    &k,
                    &v,
                    stride,
                    len,
                    scale,
                    &mut scores,
                    &mut grouped,
                );
                for h in 0..group {
                    let mut one = vec![0f32; hd];
                    let qh = &q[h * hd..(h + 1) * hd];
                    attend(qh, &k, &v, stride, len, scale, &mut scores, &mut one);
                    let got = &grouped[h * hd..(h + 1) * hd];
                    for (i, (a, b)) in one.iter().zip(got).enumerate() {
                        assert_eq!(
                            a.to_bits(),
                            b.to_bits(),
                            "hd {hd} group {group} len {len} head {h} [{i}]: {a} vs {b}"
                        );
                    }
                }
            }
        }
    }
}
