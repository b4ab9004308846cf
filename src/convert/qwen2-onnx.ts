// The Qwen2 decoder as an ONNX graph with the signature transformers.js v4 uses for
// model_type "qwen2" (decoder-only, KV cache, no `use_cache_branch`):
//
//   inputs   input_ids            int64 [batch_size, sequence_length]
//            attention_mask       int64 [batch_size, total_sequence_length]
//            position_ids         int64 [batch_size, sequence_length]
//            past_key_values.{i}.key|value   KV [batch_size, kv_heads, past_sequence_length, head_dim]
//            num_logits_to_keep   int64 scalar (0 = every position, k = the last k)
//   outputs  logits               ACT  [batch_size, sequence_length (or k), vocab]
//            present.{i}.key|value KV  [batch_size, kv_heads, total_sequence_length, head_dim]
//
// dtypes:
//   fp32   float32 everywhere; Linear layers are Gemm(transB=1) on the checkpoint's [N, K] weights.
//   q4     float32 activations/cache/logits; Linear weights (and lm_head) 4-bit MatMulNBits with
//          float32 scales; embedding table int8 per row (see EmbeddingKind).
//   q4f16  float16 activations, float16 KV cache and float16 logits (what transformers.js and
//          onnx-community q4f16 exports use; the KV cache dtype follows the graph's input type);
//          4-bit MatMulNBits with float16 scales; embedding table float16. Attention scores are
//          cast to float32 for the mask and softmax (Qwen2's large q/k biases make fp16 softmax
//          inputs risky), RoPE angles are computed in float32, RMSNorm accumulates in float32
//          (SimplifiedLayerNormalization stash_type=1).
//   q8     float32 activations/cache/logits; Linear weights (and lm_head) int8, symmetric per output
//          channel, run as MatMulInteger (uint8 activations x int8 weights, int32 accumulation) and
//          a float rescale — the layout onnxruntime.quantization's quantize_dynamic writes
//          (model_quantized.onnx), which ORT's WASM backend runs ~100x faster than MatMulNBits
//          (tools/wasm-probe.ts) — except that activations are quantized per row (token), not by
//          DynamicQuantizeLinear over the whole tensor, so batched rows equal their single runs
//          (config.json says so: Q8_ROWS_KEY). Embedding table int8 per row.
//
// The embedding table (vocab x hidden: 151936 x 1536 = 933 MB in float32, about half of the q4
// files) is int8 with one float32 scale per token row in q4 and q8, 4x smaller. Its bytes are
// stored four to a 32-bit word (packInt8Rows; int32 in the file): Gather on the words (in parts:
// MAX_INITIALIZER_BYTES) and on the scales, Cast to uint32 (the same bits), the bytes unpacked
// with uint32 Div/Mul/Sub, Cast, Sub 128, Mul — standard ops that every EP runs, and that a WebGPU
// session keeps on the GPU (its Gather has no int8: an int8 table would run on ORT's CPU EP and
// sit in the page's WASM heap; tools/embed-probe.ts). `embedding: 'float'` keeps the float table.
//
// Attention is built from standard ops (MatMul / Softmax with an explicit causal + padding mask
// from `attention_mask`), grouped-query without copying K/V per query head: queries are laid out
// [B, kv_heads, group, S, D] and multiply the [B, kv_heads, 1, D, T] keys by broadcasting.
// Only MatMulNBits (com.microsoft) and SimplifiedLayerNormalization (ONNX domain, ORT contrib
// schema) are non-standard; both are registered by the ORT CPU and WebGPU EPs.
//
// Weights are not part of the graph: `buildQwen2Graph` returns the list of initializers the
// converter must stream in (WeightJob), which it declares as external data once written.
import { DType, GraphBuilder, tensor, type Dim } from './onnx-builder.ts';
import { qwen2Names, type Qwen2Config } from './qwen2-config.ts';
import { Q4_BLOCK, kBlocks, packedRowBytes } from './quantize.ts';

export type GraphDtype = 'fp32' | 'q4' | 'q4f16' | 'q8';

export { Q8_ROWS_KEY } from '../core/q8-rows.ts';
export const GRAPH_DTYPES: readonly GraphDtype[] = ['fp32', 'q4', 'q4f16', 'q8'];

/** The file name transformers.js looks for (DEFAULT_DTYPE_SUFFIX_MAPPING: q8 is "_quantized"). */
export const onnxFileName = (d: GraphDtype): string => (d === 'fp32' ? 'model.onnx' : d === 'q8' ? 'model_quantized.onnx' : `model_${d}.onnx`);

export type WeightJob =
  | {
      readonly kind: 'float';
      readonly source: string;
      readonly init: string;
      readonly dtype: 'f32' | 'f16';
      readonly dims: readonly number[];
      /**
       * `init` in parts of rows (rowParts): the float embedding table of q4f16 (and of q4/q8 with
       * embedding 'float') when over the limit; one part, named `init`, for every other float weight
       */
      readonly parts: readonly RowPart[];
    }
  | {
      readonly kind: 'q4';
      readonly source: string;
      /** uint8 [N, k_blocks, 16] */
      readonly initB: string;
      /** initB and initScales as parts of whole rows (rowParts; one part keeps the names) */
      readonly parts: readonly RowPart[];
      /** [N, k_blocks] (the shape docs/ContribOperators.md gives; the bytes equal the older [N * k_blocks]) */
      readonly initScales: string;
      readonly scaleDtype: 'f32' | 'f16';
      readonly N: number;
      readonly K: number;
    }
  | {
      readonly kind: 'q8';
      readonly source: string;
      /** int8 [K, N]: the checkpoint's W [N, K] transposed, as MatMulInteger's B */
      readonly initB: string;
      /** float32 [N], one scale per output channel */
      readonly initScales: string;
      /**
       * initB and initScales as parts of whole output channels (rowParts: each part's B is its
       * columns of [K, N], [K, count]; one part keeps the names)
       */
      readonly parts: readonly RowPart[];
      readonly N: number;
      readonly K: number;
    }
  | {
      readonly kind: 'int8rows';
      readonly source: string;
      /**
       * int32 [V, packedRowBytes(H) / 4]: the table's int8 rows in order, packed (packInt8Rows;
       * int32 rather than uint32 for Where, which ORT's CPU EP lacks for uint32), in parts of
       * whole rows (rowParts; one part keeps the name)
       */
      readonly initQ: string;
      readonly parts: readonly RowPart[];
      /** float32 [V, 1], one scale per row */
      readonly initScales: string;
      readonly V: number;
      readonly H: number;
    };

export interface Qwen2Graph {
  readonly graph: GraphBuilder;
  readonly weights: readonly WeightJob[];
  readonly dtype: GraphDtype;
}

export const OPSET = 17;
const FLOAT32_LOWEST = -3.4028234663852886e38;

/**
 * How attention reads the KV cache (every kind keeps transformers.js' inputs and outputs):
 *   plain     standard ops: Concat(past, new), keys used transposed (ORT fuses the Transpose into
 *             FusedMatMul transB, so it costs no copy), broadcast MatMuls with the 6 query heads of a
 *             KV head as the rows of one GEMM; any batch, left padding included. The default.
 *   plain-kq  as plain, but scores = K·Qᵀ per KV head (the past keys read in their stored layout)
 *   gqa       com.microsoft GroupQueryAttention, seqlens_k / total_sequence_length from
 *             attention_mask as in onnxruntime-genai's builder. Batch 1 or rows of equal length
 *             only: the kernel attends to the first seqlens_k + 1 positions (right padding), so
 *             left-padded rows come out wrong (measured |Δlogit| 3.8).
 * Measured (tools/attn-probe.ts, 4-layer E1-width q4, onnxruntime-node CPU, 1 thread, process CPU
 * ms per step at 128 / 4096 cached positions): plain 19.7 / 36.9, plain+float16 cache 18.9 / 34.1,
 * plain-kq+float16 19.9 / 35.4 (one run); plain 24.1 / 61.6, plain-kq 19.6 / 58.0, gqa 20.3 / 83.4
 * (another). GQA with separate past/present is the slowest at 4K: ORT's CPU kernel zeroes the
 * present buffer and copies each KV head's past once per query head (6x). With present bound to
 * the past buffer (no copy) it is no faster than plain (51.3 vs 52.9 ms), so the copy is not the
 * whole cost: the attention arithmetic (M = 1 GEMVs per head) is. No variant wins every figure, so
 * plain stays the default and the others are options for the bench to compare.
 */
export type AttentionKind = 'plain' | 'plain-kq' | 'gqa';
export const ATTENTION_KINDS: readonly AttentionKind[] = ['plain', 'plain-kq', 'gqa'];

/**
 * The KV cache's element type. 'float16' with float32 activations (q4, q8, fp32) halves the bytes
 * every step copies (present = past + new, then out of the runtime): new keys/values are cast to
 * float16 before they join the cache and the cache is cast back to float32 for attention. q4f16
 * always has a float16 cache.
 */
export type KvCacheType = 'float32' | 'float16';

/**
 * The embedding table's storage: 'int8' (per-row symmetric int8, the default for q4 and q8) or
 * 'float' (the activations' float type; always for fp32 and q4f16).
 */
export type EmbeddingKind = 'int8' | 'float';
export const EMBEDDING_KINDS: readonly EmbeddingKind[] = ['int8', 'float'];

export interface GraphOptions {
  readonly attention?: AttentionKind;
  readonly kvCache?: KvCacheType;
  /**
   * MatMulNBits `accuracy_level` of the 4-bit Linear layers (default unset = 0: float32 compute).
   * 4 quantizes each row's activations to int8 per block and runs int8 dot products: on
   * onnxruntime-node's CPU kernels (MLAS, AVX2/AVX-512 VNNI) ~3× faster for one row and far
   * cheaper for several (tools/wasm-probe.ts --rows); ONNX Runtime's WASM build has no such
   * kernels and is as slow either way.
   */
  readonly q4Accuracy?: 0 | 4;
  readonly embedding?: EmbeddingKind;
  /**
   * The largest part of the embedding table (int8, or the float table of q4f16 and of embedding
   * 'float') and of every q4/q8 Linear weight (in E1 only the LM head is over it); default
   * MAX_INITIALIZER_BYTES, Infinity keeps them whole. fp32 is never split.
   */
  readonly maxInitializerBytes?: number;
}

/**
 * The largest part the embedding table and the q4/q4f16/q8 Linear weights (E1: the LM head) are
 * stored in (issue 14): bigger ones are split into initializers of whole rows (output channels). Each initializer passes whole through
 * two buffers on its way to the GPU, and both outlive the load: onnxruntime-web's JSPI build reads
 * it into one JS buffer sized to the largest (garbage once the session exists, until V8 collects
 * it, seconds later), and Chromium copies it into a shared-memory staging chunk of its size, which
 * it keeps mapped in the page and in the GPU process. Full-size stand-in, q4: 223 MB of chunks
 * kept after the load for the 233 MB embedding table (bench/README.md, item memory).
 */
export const MAX_INITIALIZER_BYTES = 64 * 2 ** 20;

export interface RowPart {
  readonly init: string;
  readonly start: number;
  readonly count: number;
}

/** `init` of `rows` rows in parts of whole rows of at most `maxBytes`; a single part keeps the name. */
export function rowParts(init: string, rows: number, rowBytes: number, maxBytes: number): RowPart[] {
  const per = Number.isFinite(maxBytes) ? Math.max(1, Math.floor(maxBytes / rowBytes)) : rows; // Infinity: one part
  const n = Math.ceil(rows / per);
  return Array.from({ length: n }, (_, i) => ({ init: partName(init, n, i), start: i * per, count: Math.min(per, rows - i * per) }));
}

/** The name of part `i` of `n` of the tensor `name` (a companion tensor, e.g. the scales, split alike): one part keeps the name. */
export const partName = (name: string, n: number, i: number) => (n === 1 ? name : `${name}_part${i}`);

/** Whether a graph of this dtype stores its embedding table as int8 rows. */
export const int8Embedding = (dtype: GraphDtype, embedding: EmbeddingKind = 'int8') => embedding === 'int8' && (dtype === 'q4' || dtype === 'q8');

export function buildQwen2Graph(c: Qwen2Config, dtype: GraphDtype, options: GraphOptions = {}): Qwen2Graph {
  const attention = options.attention ?? 'plain';
  const g = new GraphBuilder(`qwen2_${dtype}`);
  const half = dtype === 'q4f16';
  const ACT = half ? DType.float16 : DType.float32;
  const KV = half || options.kvCache === 'float16' ? DType.float16 : DType.float32;
  /** activations -> cache type, and back */
  const toKv = (x: string) => (KV === ACT ? x : g.op('Cast', [x], { to: KV }));
  const fromKv = (x: string) => (KV === ACT ? x : g.op('Cast', [x], { to: ACT }));
  const wdt: 'f32' | 'f16' = half ? 'f16' : 'f32';
  const quant = dtype !== 'fp32';
  const { hiddenSize: H, headDim: D, numHeads: NH, numKvHeads: KVH, vocabSize: V } = c;
  const G = NH / KVH;
  const weights: WeightJob[] = [];
  const declared = new Map<string, string>();

  // ---- weights -------------------------------------------------------------------------------
  const floatWeight = (source: string, dims: readonly number[]): string => {
    const key = `float|${source}`;
    const hit = declared.get(key);
    if (hit) return hit;
    weights.push({ kind: 'float', source, init: source, dtype: wdt, dims, parts: [{ init: source, start: 0, count: dims[0]! }] });
    declared.set(key, source);
    return source;
  };
  const cast = (x: string, to: DType) => g.op('Cast', [x], { to });

  // ---- inputs --------------------------------------------------------------------------------
  const kvDims = (len: string): Dim[] => ['batch_size', KVH, len, D];
  const inputIds = g.input('input_ids', DType.int64, ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', DType.int64, ['batch_size', 'total_sequence_length']);
  const positionIds = g.input('position_ids', DType.int64, ['batch_size', 'sequence_length']);
  const past = Array.from({ length: c.numLayers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, KV, kvDims('past_sequence_length')),
    value: g.input(`past_key_values.${i}.value`, KV, kvDims('past_sequence_length')),
  }));
  const keep = g.input('num_logits_to_keep', DType.int64, []);

  // ---- shapes --------------------------------------------------------------------------------
  const bs = g.op('Shape', [inputIds]); // [B, S]
  const batch = g.op('Slice', [bs, g.i64(0), g.i64(1)]); // [B]
  const shape = (...parts: (string | number[])[]) =>
    g.op('Concat', parts.map((p) => (typeof p === 'string' ? p : g.i64(...p))), { axis: 0 });
  const toRows = (x: string, width: number) => g.op('Reshape', [x, g.i64(-1, width)]);
  const maxPart = options.maxInitializerBytes ?? MAX_INITIALIZER_BYTES;
  /** The outputs of a Linear stored in parts of output channels, side by side. */
  const sideBySide = (outs: readonly string[]): string => (outs.length === 1 ? outs[0]! : g.op('Concat', outs, { axis: -1 }));
  /**
   * Gather(table, ids) on a table stored in parts of rows: each part looked up at the ids' row
   * within their part (clamped into the last, shorter part), then the row of the id's own part
   * kept (Where on the part index). int32 index arithmetic, which a WebGPU session runs on the GPU.
   */
  const gatherRowParts = (parts: readonly RowPart[], ids: string): string => {
    if (parts.length === 1) return g.op('Gather', [parts[0]!.init, ids], { axis: 0 });
    const i32 = (v: number) => g.constant({ dtype: DType.int32, dims: [], raw: new Uint8Array(Int32Array.from([v]).buffer) });
    const ids32 = cast(ids, DType.int32);
    const per = parts[0]!.count;
    const part = g.op('Div', [ids32, i32(per)]);
    const local = g.op('Sub', [ids32, g.op('Mul', [part, i32(per)])]);
    let out = '';
    parts.forEach((p, i) => {
      const rows = g.op('Gather', [p.init, p.count < per ? g.op('Min', [local, i32(p.count - 1)]) : local], { axis: 0 });
      out = i === 0 ? rows : g.op('Where', [g.op('Unsqueeze', [g.op('Equal', [part, i32(i)]), g.i64(-1)]), rows, out]);
    });
    return out;
  };

  // ---- Linear --------------------------------------------------------------------------------
  /** y = x W^T (+ b) with x [rows, K] (or [..., K] for q4), W [N, K] from the checkpoint. */
  const dynq = new Map<string, string[]>(); // x -> DynamicQuantizeLinear outputs, shared by q/k/v and gate/up
  const linear = (x: string, source: string, N: number, K: number, bias?: string): string => {
    if (dtype === 'q8') {
      const key = `q8|${source}`;
      const initB = `${source}_Q8`;
      const initScales = `${source}_scale`;
      // The LM head (E1: 1536 x 151936 int8, 223 MiB) in parts of output channels, like a q4 head.
      const parts = rowParts(initB, N, K, maxPart);
      if (!declared.has(key)) {
        weights.push({ kind: 'q8', source, initB, initScales, parts, N, K });
        declared.set(key, initB);
      }
      let xq = dynq.get(x);
      if (!xq) dynq.set(x, (xq = quantizeRows(x)));
      // Each output channel's weight scale first, then each row's activation scale: in the other
      // order ONNX Runtime (1.30, CPU) fuses MatMulInteger + Cast + Mul(a_scale·b_scale) into
      // MatMulIntegerToFloat and gets per-row activation scales wrong (logits off by ~1.5 on the
      // tiny test model; right with graph optimizations off). A part each, outputs side by side.
      const outs = parts.map((p, i) => {
        const acc = g.op('MatMulInteger', [xq[0]!, p.init, xq[2]!]);
        return g.op('Mul', [g.op('Mul', [cast(acc, DType.float32), partName(initScales, parts.length, i)]), xq[1]!]);
      });
      const y = sideBySide(outs);
      return bias ? g.op('Add', [y, floatWeight(bias, [N])]) : y;
    }
    if (!quant) {
      const w = floatWeight(source, [N, K]);
      const inputs = [x, w];
      if (bias) inputs.push(floatWeight(bias, [N]));
      return g.op('Gemm', inputs, { transB: 1 });
    }
    const key = `q4|${source}`;
    const initB = `${source}_Q4`;
    const parts = rowParts(initB, N, kBlocks(K) * 16, maxPart);
    if (!declared.has(key)) {
      weights.push({ kind: 'q4', source, initB, initScales: `${source}_scales`, scaleDtype: wdt, N, K, parts });
      declared.set(key, initB);
    }
    const accuracy: Record<string, number> = options.q4Accuracy ? { accuracy_level: options.q4Accuracy } : {};
    // A head split into parts of rows (output channels): one MatMulNBits each, outputs side by side.
    const outs = parts.map((p, i) =>
      g.op('MatMulNBits', [x, p.init, partName(`${source}_scales`, parts.length, i)], { K, N: p.count, bits: 4, block_size: Q4_BLOCK, ...accuracy }, { domain: 'com.microsoft' }),
    );
    const y = sideBySide(outs);
    return bias ? g.op('Add', [y, floatWeight(bias, [N])]) : y;
  };
  /**
   * q8 activations, each row (token) on its own scale: symmetric int8 around 128 in uint8,
   * scale = max|x| / 127 per row, zero point 128 for all. DynamicQuantizeLinear (one scale for
   * the whole tensor) would let one row's values move another row's rounding: batched rows
   * (a sweep's trunk and lanes, left padding included) would then differ from their single runs.
   * Returns [uint8 x, scale [rows, 1], zero point] as DynamicQuantizeLinear's outputs are used.
   */
  const quantizeRows = (x: string): string[] => {
    const absMax = g.op('ReduceMax', [g.op('Abs', [x])], { axes: [-1], keepdims: 1 });
    const scale = g.op('Div', [g.op('Max', [absMax, g.scalarF32(1e-30)]), g.scalarF32(127)]);
    const q = g.op('Cast', [g.op('Add', [g.op('Round', [g.op('Div', [x, scale])]), g.scalarF32(128)])], { to: DType.uint8 });
    return [q, scale, g.constant({ dtype: DType.uint8, dims: [], raw: new Uint8Array([128]) })];
  };
  const rmsNorm = (x: string, source: string) =>
    g.op('SimplifiedLayerNormalization', [x, floatWeight(source, [H])], { axis: -1, epsilon: { float: c.rmsNormEps }, stash_type: 1 });

  // ---- RoPE tables from position_ids (float32, HF rotate-half convention) ---------------------
  const invFreq = new Float32Array(D / 2);
  for (let i = 0; i < D / 2; i++) invFreq[i] = Math.fround(1 / Math.fround(c.ropeTheta ** Math.fround((2 * i) / D)));
  const freqs = g.op('Mul', [g.op('Unsqueeze', [cast(positionIds, DType.float32), g.i64(2)]), g.constant(tensor.f32(invFreq))]); // [B,S,D/2]
  const cosHalf = g.op('Cos', [freqs]);
  const sinHalf = g.op('Sin', [freqs]);
  let cos = g.op('Concat', [cosHalf, cosHalf], { axis: -1 }); // [B,S,D]
  // rotate_half(x) * sin == concat(x2, x1) * concat(-sin, sin)
  let sinSigned = g.op('Concat', [g.op('Neg', [sinHalf]), sinHalf], { axis: -1 });
  // Queries also carry the 1/sqrt(D) attention scale (RoPE is linear).
  const qScale = g.scalarF32(1 / Math.sqrt(D));
  let cosQ = g.op('Mul', [cos, qScale]);
  let sinQ = g.op('Mul', [sinSigned, qScale]);
  if (half) [cos, sinSigned, cosQ, sinQ] = [cos, sinSigned, cosQ, sinQ].map((t) => cast(t, DType.float16)) as [string, string, string, string];
  const cosK = g.op('Unsqueeze', [cos, g.i64(1)]); // [B,1,S,D]
  const sinK = g.op('Unsqueeze', [sinSigned, g.i64(1)]);
  const cosQ5 = g.op('Unsqueeze', [cosQ, g.i64(1, 2)]); // [B,1,1,S,D]
  const sinQ5 = g.op('Unsqueeze', [sinQ, g.i64(1, 2)]);
  const rope = (x: string, cs: string, sn: string) => {
    const x1 = g.op('Slice', [x, g.i64(0), g.i64(D / 2), g.i64(-1)]);
    const x2 = g.op('Slice', [x, g.i64(D / 2), g.i64(D), g.i64(-1)]);
    const rot = g.op('Concat', [x2, x1], { axis: -1 });
    return g.op('Add', [g.op('Mul', [x, cs]), g.op('Mul', [rot, sn])]);
  };

  // ---- attention --------------------------------------------------------------------------
  const total = g.op('Slice', [g.op('Shape', [mask]), g.i64(1), g.i64(2)]); // [1] = T
  const totalScalar = g.op('Squeeze', [total, g.i64(0)]);
  const attend = attention === 'gqa' ? gqaAttention() : plainAttention(attention === 'plain-kq');

  /**
   * Standard ops with an explicit causal + padding mask from `attention_mask` (any batch, left
   * padding included). `kq`: scores as K·Qᵀ ([T, D] x [D, G·S] per KV head), so the cache is
   * read in its stored layout instead of transposing the whole past every step.
   */
  function plainAttention(kq: boolean) {
    const seqScalar = g.op('Squeeze', [g.op('Slice', [bs, g.i64(1), g.i64(2)]), g.i64(0)]);
    const pastLen = g.op('Sub', [totalScalar, seqScalar]);
    const kIdx = g.op('Range', [g.scalarI64(0), totalScalar, g.scalarI64(1)]); // [T]
    const qIdx = g.op('Range', [pastLen, totalScalar, g.scalarI64(1)]); // [S] absolute positions
    const causal = g.op('LessOrEqual', [g.op('Unsqueeze', [kIdx, g.i64(0)]), g.op('Unsqueeze', [qIdx, g.i64(1)])]); // [S,T]
    const padOk = g.op('Unsqueeze', [cast(mask, DType.bool), g.i64(1, 2, 3)]); // [B,1,1,1,T]
    const allowed = g.op('And', [causal, padOk]); // [B,1,1,S,T]
    const maskBias = g.op('Where', [allowed, g.scalarF32(0), g.scalarF32(FLOAT32_LOWEST)]);
    return (i: number, q: string, k: string, v: string): string => {
      const q5 = g.op('Transpose', [g.op('Reshape', [q, shape(bs, [KVH, G, D])])], { perm: [0, 2, 3, 1, 4] }); // [B,KVH,G,S,D]
      const k4 = g.op('Transpose', [g.op('Reshape', [k, shape(bs, [KVH, D])])], { perm: [0, 2, 1, 3] }); // [B,KVH,S,D]
      const v4 = g.op('Transpose', [g.op('Reshape', [v, shape(bs, [KVH, D])])], { perm: [0, 2, 1, 3] });
      const qr = rope(q5, cosQ5, sinQ5);
      const kr = rope(k4, cosK, sinK);
      const presentK = `present.${i}.key`;
      const presentV = `present.${i}.value`;
      g.nodeWithOutputs('Concat', [past[i]!.key, toKv(kr)], [presentK], { axis: 2 });
      g.nodeWithOutputs('Concat', [past[i]!.value, toKv(v4)], [presentV], { axis: 2 });
      const keys = fromKv(presentK);
      const values = fromKv(presentV);
      let scores: string; // [B,KVH,G,S,T]
      if (kq) {
        const qT = g.op('Reshape', [g.op('Transpose', [qr], { perm: [0, 1, 4, 2, 3] }), shape(batch, [KVH, D, -1])]); // [B,KVH,D,G*S]
        const kqT = g.op('MatMul', [keys, qT]); // [B,KVH,T,G*S]
        scores = g.op('Reshape', [g.op('Transpose', [kqT], { perm: [0, 1, 3, 2] }), shape(batch, [KVH, G, -1], total)]);
      } else {
        const kT = g.op('Transpose', [g.op('Unsqueeze', [keys, g.i64(2)])], { perm: [0, 1, 2, 4, 3] }); // [B,KVH,1,D,T]
        scores = g.op('MatMul', [qr, kT]);
      }
      if (half) scores = cast(scores, DType.float32);
      let probs = g.op('Softmax', [g.op('Add', [scores, maskBias])], { axis: -1 });
      if (half) probs = cast(probs, DType.float16);
      const ctx = kq
        ? g.op('Reshape', [g.op('MatMul', [g.op('Reshape', [probs, shape(batch, [KVH, -1], total)]), values]), shape(batch, [KVH, G, -1, D])])
        : g.op('MatMul', [probs, g.op('Unsqueeze', [values, g.i64(2)])]); // [B,KVH,G,S,D]
      return toRows(g.op('Transpose', [ctx], { perm: [0, 3, 1, 2, 4] }), NH * D); // [B*S, NH*D]
    };
  }

  /**
   * com.microsoft GroupQueryAttention on [B, S, heads·D] rows, RoPE applied before it (from
   * position_ids, as the plain graph). seqlens_k / total_sequence_length come from
   * attention_mask as in onnxruntime-genai's model builder. The kernel attends to the first
   * seqlens_k + 1 cache positions of each row: right padding only, so batch > 1 with left
   * padding is NOT supported by this graph (batch 1, or rows of equal length).
   */
  function gqaAttention() {
    const seqlensK = cast(g.op('Sub', [g.op('ReduceSum', [mask, g.i64(1)], { keepdims: 0 }), g.scalarI64(1)]), DType.int32); // [B]
    const totalLen = cast(totalScalar, DType.int32);
    const cosK4 = g.op('Unsqueeze', [cos, g.i64(2)]); // [B,S,1,D]
    const sinK4 = g.op('Unsqueeze', [sinSigned, g.i64(2)]);
    return (i: number, q: string, k: string, v: string): string => {
      const heads = (x: string, n: number) => g.op('Reshape', [x, shape(bs, [n, D])]); // [B,S,n,D]
      const flat = (x: string, n: number) => g.op('Reshape', [x, shape(bs, [n * D])]); // [B,S,n*D]
      const qr = flat(rope(heads(q, NH), cosK4, sinK4), NH);
      const kr = flat(rope(heads(k, KVH), cosK4, sinK4), KVH);
      const out = `attn_${i}`;
      // GroupQueryAttention takes one element type for q, k, v and the cache: the cache's.
      g.nodeWithOutputs(
        'GroupQueryAttention',
        [toKv(qr), toKv(kr), toKv(flat(v, KVH)), past[i]!.key, past[i]!.value, seqlensK, totalLen],
        [out, `present.${i}.key`, `present.${i}.value`],
        { num_heads: NH, kv_num_heads: KVH },
        { domain: 'com.microsoft' },
      );
      return toRows(fromKv(out), NH * D);
    };
  }

  // ---- decoder -------------------------------------------------------------------------------
  let h: string; // [B*S, H]
  if (int8Embedding(dtype, options.embedding)) {
    const src = qwen2Names.embed;
    const W = packedRowBytes(H);
    const initQ = `${src}_I8x4`;
    const parts = rowParts(initQ, V, W, maxPart);
    const job = { kind: 'int8rows', source: src, initQ, initScales: `${src}_row_scale`, V, H, parts } as const;
    weights.push(job);
    const words = g.op('Cast', [gatherRowParts(parts, inputIds)], { to: DType.uint32 }); // [B,S,W/4], the same bits
    const u32 = (...v: number[]) => g.constant({ dtype: DType.uint32, dims: [v.length], raw: new Uint8Array(Uint32Array.from(v).buffer) });
    const high = g.op('Div', [g.op('Unsqueeze', [words, g.i64(-1)]), u32(1, 256, 65536, 16777216)]); // [B,S,W/4,4]: each word from byte j up
    const bytes = g.op('Sub', [high, g.op('Mul', [g.op('Div', [high, u32(256)]), u32(256)])]); // byte j of each word
    let rows = toRows(cast(bytes, DType.float32), W); // [B*S, W], values + 128
    if (W !== H) rows = g.op('Slice', [rows, g.i64(0), g.i64(H), g.i64(1)]); // the row's padding off
    h = g.op('Mul', [g.op('Sub', [rows, g.scalarF32(128)]), toRows(g.op('Gather', [job.initScales, inputIds], { axis: 0 }), 1)]);
  } else if (quant) {
    // The float table (float16 in q4f16: 467 MB for E1) in parts, as the int8 one.
    const parts = rowParts(qwen2Names.embed, V, H * (wdt === 'f16' ? 2 : 4), maxPart);
    weights.push({ kind: 'float', source: qwen2Names.embed, init: qwen2Names.embed, dtype: wdt, dims: [V, H], parts });
    h = toRows(gatherRowParts(parts, inputIds), H);
  } else {
    // fp32: whole (a tied head's Gemm reads the same table).
    h = toRows(g.op('Gather', [floatWeight(qwen2Names.embed, [V, H]), inputIds], { axis: 0 }), H);
  }
  for (let i = 0; i < c.numLayers; i++) {
    const n = qwen2Names.layer(i);
    const x = rmsNorm(h, n.inputNorm);
    const q = linear(x, n.q, NH * D, H, n.qBias);
    const k = linear(x, n.k, KVH * D, H, n.kBias);
    const v = linear(x, n.v, KVH * D, H, n.vBias);
    const ctxRows = attend(i, q, k, v);
    g.output(`present.${i}.key`, KV, kvDims('total_sequence_length'));
    g.output(`present.${i}.value`, KV, kvDims('total_sequence_length'));
    h = g.op('Add', [h, linear(ctxRows, n.o, H, NH * D)]);
    const y = rmsNorm(h, n.postNorm);
    const gate = linear(y, n.gate, c.intermediateSize, H);
    const up = linear(y, n.up, c.intermediateSize, H);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    h = g.op('Add', [h, linear(act, n.down, H, c.intermediateSize)]);
  }
  const hn = g.op('Reshape', [rmsNorm(h, qwen2Names.finalNorm), shape(bs, [H])]); // [B,S,H]
  // num_logits_to_keep = k keeps the last k positions; Slice(start = -0 = 0) keeps all.
  const start = g.op('Neg', [g.op('Unsqueeze', [keep, g.i64(0)])]);
  const kept = g.op('Slice', [hn, start, g.i64(2 ** 62), g.i64(1)]);
  const headSource = c.tieWordEmbeddings ? qwen2Names.embed : qwen2Names.lmHead;
  let logits: string;
  if (dtype === 'q4' || dtype === 'q4f16') logits = linear(kept, headSource, V, H);
  else logits = g.op('Reshape', [linear(toRows(kept, H), headSource, V, H), shape(batch, [-1, V])]);
  g.nodeWithOutputs('Identity', [logits], ['logits']);
  g.output('logits', ACT, ['batch_size', 'sequence_length', V]);
  return { graph: g, weights, dtype };
}

export const q4Sizes = (N: number, K: number) => ({ bBytes: N * kBlocks(K) * (Q4_BLOCK / 2), scaleCount: N * kBlocks(K) });
