//! Activations quantized to 8 bits, the way ggml's integer dot products want them: blocks of 32
//! with one scale (and the block's integer sum, which Q4_1's minimum and Q5_0's offset need),
//! or super-blocks of 256 with sums per 16 (for the K-quants' per-sub-block minimums).

/// Rows of activations in blocks of 32: `d` and `sum` per block, `qs` per element.
#[derive(Debug, Default, Clone)]
pub struct Act32 {
    pub blocks: usize,
    pub d: Vec<f32>,
    pub sum: Vec<i32>,
    pub qs: Vec<i8>,
}

/// Rows of activations in super-blocks of 256, with integer sums per 16 elements.
#[derive(Debug, Default, Clone)]
pub struct Act256 {
    pub blocks: usize,
    pub d: Vec<f32>,
    pub bsums: Vec<i16>,
    pub qs: Vec<i8>,
}

#[inline(always)]
fn quantize_block(x: &[f32], q: &mut [i8]) -> f32 {
    let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = if d > 0.0 { 1.0 / d } else { 0.0 };
    for (q, &v) in q.iter_mut().zip(x) {
        *q = (v * id).round() as i8;
    }
    d
}

impl Act32 {
    /// Quantizes `rows` rows of `cols` values (`cols` a multiple of 32), reusing the buffers.
    pub fn quantize(&mut self, x: &[f32], rows: usize, cols: usize) {
        let blocks = cols / 32;
        self.blocks = blocks;
        self.d.resize(rows * blocks, 0.0);
        self.sum.resize(rows * blocks, 0);
        self.qs.resize(rows * cols, 0);
        for (b, (xb, qb)) in x[..rows * cols]
            .chunks_exact(32)
            .zip(self.qs.chunks_exact_mut(32))
            .enumerate()
        {
            self.d[b] = quantize_block(xb, qb);
            self.sum[b] = qb.iter().map(|&q| q as i32).sum();
        }
    }

    /// Block `b` of row `row`: scale, quants, integer sum.
    #[inline(always)]
    pub fn block(&self, row: usize, b: usize) -> (f32, &[i8], i32) {
        let i = row * self.blocks + b;
        (self.d[i], &self.qs[32 * i..32 * i + 32], self.sum[i])
    }
}

impl Act256 {
    /// Quantizes `rows` rows of `cols` values (`cols` a multiple of 256), reusing the buffers.
    pub fn quantize(&mut self, x: &[f32], rows: usize, cols: usize) {
        let blocks = cols / 256;
        self.blocks = blocks;
        self.d.resize(rows * blocks, 0.0);
        self.bsums.resize(rows * blocks * 16, 0);
        self.qs.resize(rows * cols, 0);
        for (b, (xb, qb)) in x[..rows * cols]
            .chunks_exact(256)
            .zip(self.qs.chunks_exact_mut(256))
            .enumerate()
        {
            self.d[b] = quantize_block(xb, qb);
            for (k, q16) in qb.chunks_exact(16).enumerate() {
                self.bsums[16 * b + k] = q16.iter().map(|&q| q as i16).sum();
            }
        }
    }

    /// Super-block `b` of row `row`: scale, quants, sums per 16.
    #[inline(always)]
    pub fn block(&self, row: usize, b: usize) -> (f32, &[i8], &[i16]) {
        let i = row * self.blocks + b;
        (
            self.d[i],
            &self.qs[256 * i..256 * i + 256],
            &self.bsums[16 * i..16 * i + 16],
        )
    }
}
