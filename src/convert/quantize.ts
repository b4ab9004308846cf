// 4-bit block quantization in the layout of com.microsoft MatMulNBits (bits=4, block_size=32,
// no zero_points input, i.e. symmetric with the default zero point 2^(bits-1) = 8):
//   B      uint8 [N, k_blocks, 16]   from W[N][K] (PyTorch Linear layout, NOT transposed),
//          two 4-bit values per byte along K, low nibble first; K padded with zeros to k_blocks*32
//   scales [N, k_blocks] (same float type as the activations; row-major, so the same bytes as [N * k_blocks])
//   W[n][k] ≈ (q[n][k] - 8) * scales[n * k_blocks + floor(k / 32)]
// As in ONNX Runtime's blockwise quantizer (MlasQuantizeBlockwise, symmetric), the scale is the
// signed value of largest magnitude divided by -8, so that value maps exactly to q = 0 and the
// whole [-8, 7] range is used.
import { f16BitsToF32, f32ToF16Bits } from './half.ts';

export const Q4_BLOCK = 32;
export const Q4_BLOB = Q4_BLOCK / 2;

export const kBlocks = (K: number) => Math.ceil(K / Q4_BLOCK);

export interface Q4Rows {
  /** uint8 [rows, k_blocks, 16] */
  readonly b: Uint8Array;
  /** [rows * k_blocks], already rounded to float16 when `f16Scales` */
  readonly scales: Float32Array;
}

/** Quantizes `rows` rows of K float32 values each. */
export function quantizeQ4Rows(w: Float32Array, rows: number, K: number, f16Scales: boolean): Q4Rows {
  if (w.length !== rows * K) throw new Error(`quantizeQ4Rows: ${w.length} values, expected ${rows}x${K}`);
  const nb = kBlocks(K);
  const b = new Uint8Array(rows * nb * Q4_BLOB);
  const scales = new Float32Array(rows * nb);
  const q = new Uint8Array(Q4_BLOCK);
  for (let r = 0; r < rows; r++) {
    const row = r * K;
    for (let blk = 0; blk < nb; blk++) {
      const k0 = blk * Q4_BLOCK;
      const k1 = Math.min(K, k0 + Q4_BLOCK);
      let vmax = 0;
      for (let k = k0; k < k1; k++) {
        const v = w[row + k]!;
        if (Math.abs(v) > Math.abs(vmax)) vmax = v;
      }
      let scale = vmax / -8;
      if (f16Scales) scale = f16BitsToF32(f32ToF16Bits(scale));
      scales[r * nb + blk] = scale;
      const inv = scale !== 0 ? 1 / scale : 0;
      q.fill(8);
      for (let k = k0; k < k1; k++) {
        const v = Math.round(w[row + k]! * inv) + 8;
        q[k - k0] = v < 0 ? 0 : v > 15 ? 15 : v;
      }
      const o = (r * nb + blk) * Q4_BLOB;
      for (let i = 0; i < Q4_BLOB; i++) b[o + i] = q[2 * i]! | (q[2 * i + 1]! << 4);
    }
  }
  return { b, scales };
}

/** The float32 weights W[rows][K] that MatMulNBits computes with (for reference runs in tests). */
export function dequantizeQ4Rows(q: Q4Rows, rows: number, K: number): Float32Array {
  const nb = kBlocks(K);
  const out = new Float32Array(rows * K);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < K; k++) {
      const blk = Math.floor(k / Q4_BLOCK);
      const j = k - blk * Q4_BLOCK;
      const byte = q.b[(r * nb + blk) * Q4_BLOB + (j >> 1)]!;
      const nib = j & 1 ? byte >> 4 : byte & 15;
      out[r * K + k] = (nib - 8) * q.scales[r * nb + blk]!;
    }
  }
  return out;
}

/**
 * 8-bit block quantization in the layout of MatMulNBits with bits=8 (block_size 32, no zero_points
 * input: the default zero point 2^(8-1) = 128): B uint8 [N, k_blocks, 32], one byte per value,
 * W[n][k] ≈ (q - 128) * scales[n * k_blocks + floor(k / 32)]. Same signed-max convention as q4.
 */
export function quantizeQ8Blocks(w: Float32Array, rows: number, K: number, f16Scales = false): Q4Rows {
  if (w.length !== rows * K) throw new Error(`quantizeQ8Blocks: ${w.length} values, expected ${rows}x${K}`);
  const nb = kBlocks(K);
  const b = new Uint8Array(rows * nb * Q4_BLOCK).fill(128);
  const scales = new Float32Array(rows * nb);
  for (let r = 0; r < rows; r++) {
    for (let blk = 0; blk < nb; blk++) {
      const k0 = blk * Q4_BLOCK;
      const k1 = Math.min(K, k0 + Q4_BLOCK);
      let vmax = 0;
      for (let k = k0; k < k1; k++) {
        const v = w[r * K + k]!;
        if (Math.abs(v) > Math.abs(vmax)) vmax = v;
      }
      let scale = vmax / -128;
      if (f16Scales) scale = f16BitsToF32(f32ToF16Bits(scale));
      scales[r * nb + blk] = scale;
      const inv = scale !== 0 ? 1 / scale : 0;
      const o = (r * nb + blk) * Q4_BLOCK - k0;
      for (let k = k0; k < k1; k++) {
        const v = Math.round(w[r * K + k]! * inv) + 128;
        b[o + k] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { b, scales };
}

/** int8 weights for MatMulInteger: B [K, N] (transposed), W[n][k] ≈ bT[k * N + n] * scales[n]. */
export interface Q8Columns {
  readonly bT: Int8Array;
  readonly scales: Float32Array;
}

/**
 * Per-output-channel symmetric int8 (scale = max|W[n]| / 127, zero point 0), the scheme
 * onnxruntime.quantization.quantize_dynamic uses for MatMul weights. Quantizes rows r0..r0+rows of
 * W [N, K] into `into` (a whole [K, N] tensor: the transposed layout is why the converter
 * buffers one q8 tensor at a time).
 */
export function quantizeQ8Rows(w: Float32Array, rows: number, K: number, into?: Q8Columns & { readonly r0: number }): Q8Columns {
  if (w.length !== rows * K) throw new Error(`quantizeQ8Rows: ${w.length} values, expected ${rows}x${K}`);
  const out = into ?? { bT: new Int8Array(K * rows), scales: new Float32Array(rows), r0: 0 };
  const N = out.scales.length;
  for (let r = 0; r < rows; r++) {
    const n = out.r0 + r;
    const inv = rowScale(w, r, K, out.scales, n);
    for (let k = 0; k < K; k++) out.bT[k * N + n] = Math.round(w[r * K + k]! * inv);
  }
  return out;
}

/** Symmetric int8 scale of row r (max |w| / 127) stored at scales[at]; returns 1 / scale (0 for a zero row). */
function rowScale(w: Float32Array, r: number, K: number, scales: Float32Array, at: number): number {
  let m = 0;
  for (let k = 0; k < K; k++) m = Math.max(m, Math.abs(w[r * K + k]!));
  const scale = m / 127;
  scales[at] = scale;
  return scale ? 1 / scale : 0;
}

/** int8 rows for an embedding lookup: W[v][k] ≈ q[v * K + k] * scales[v] (rows NOT transposed). */
export interface Int8Rows {
  readonly q: Int8Array;
  readonly scales: Float32Array;
}

/**
 * The embedding table of the q4/q8 graphs: per-row symmetric int8 (the q8 scheme, one scale per
 * token row), kept in row order so the converter streams it like the float table. The graph stores
 * the rows packed (packInt8Rows) and looks them up with standard ops. (com.microsoft
 * GatherBlockQuantized would allow 4 bits, but onnxruntime-web has it only in the WebGPU EP, not
 * on WASM: tools/embed-probe.ts.)
 */
export function quantizeInt8Rows(w: Float32Array, rows: number, K: number): Int8Rows {
  if (w.length !== rows * K) throw new Error(`quantizeInt8Rows: ${w.length} values, expected ${rows}x${K}`);
  const q = new Int8Array(rows * K);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const inv = rowScale(w, r, K, scales, r);
    for (let k = 0; k < K; k++) q[r * K + k] = Math.round(w[r * K + k]! * inv);
  }
  return { q, scales };
}

/** Bytes of one packed embedding row: its values padded to whole 32-bit words. */
export const packedRowBytes = (K: number) => Math.ceil(K / 4) * 4;

/**
 * The int8 rows as the graph stores them: each value + 128 as an unsigned byte (the sign bit
 * flipped), every row padded with zeros (128) to packedRowBytes(K), read by the graph as 32-bit
 * words [rows, packedRowBytes(K) / 4] (little-endian: byte j of a word is value 4w + j). A WebGPU
 * session has Gather only for 32-bit types: an int8 table, and the Gather and Cast on it, stay on
 * ORT's CPU EP, the whole table in the page's WASM heap (issue 14: 0.53x of the mid-size model's
 * q4 files). The words stay on the GPU and are unpacked there after the Gather.
 */
export function packInt8Rows(q: Int8Array, rows: number, K: number): Uint8Array {
  const W = packedRowBytes(K);
  const out = new Uint8Array(rows * W).fill(128);
  for (let r = 0; r < rows; r++) for (let k = 0; k < K; k++) out[r * W + k] = (q[r * K + k]! + 128) & 255;
  return out;
}

/** The float32 rows the int8 embedding lookup yields (for reference runs in tests). */
export function dequantizeInt8Rows(e: Int8Rows, K: number): Float32Array {
  const out = new Float32Array(e.q.length);
  for (let i = 0; i < out.length; i++) out[i] = e.q[i]! * e.scales[Math.floor(i / K)]!;
  return out;
}

/** The float32 weights W[N][K] that the q8 graph computes with (for reference runs in tests). */
export function dequantizeQ8(q: Q8Columns, K: number): Float32Array {
  const N = q.scales.length;
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[n * K + k] = q.bT[k * N + n]! * q.scales[n]!;
  return out;
}
