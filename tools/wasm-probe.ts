// Weights-format probe for CPU in the browser: one Linear layer (x[1, K] · Wᵀ, W [N, K]) in each
// format the converter could write, run by onnxruntime-web's WASM backend (in Node) and by
// onnxruntime-node at the same thread count, side by side in one run.
//
//   npx tsx tools/wasm-probe.ts [--threads 1,2] [--reps 15] [--shapes 8960x1536,1536x8960] [--rows 1,2,5]
//   npx tsx tools/wasm-probe.ts --model <converted folder> [--dtypes q4,q8] [--positions 128] [--rows 1,2,5]
//     (whole decode steps of a converted model, one token per row on a random past of P positions)
//
// --rows: rows per call (M; a batched sweep's trunk and lanes). Each row count is printed with its
// time over the 1-row time of the same format: what a step of several rows costs against one.
//
// Formats: fp32 MatMul; q4 MatMulNBits (block 32, accuracy_level 0 and 4); q8 MatMulNBits (bits 8);
// int8 DynamicQuantizeLinear + MatMulInteger (per-output-channel symmetric int8 scales) — the
// pattern onnxruntime.quantization.quantize_dynamic writes (model_quantized.onnx).
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { DType, GraphBuilder, tensor } from '../src/convert/onnx-builder.ts';
import { kBlocks, quantizeQ4Rows, quantizeQ8Blocks, quantizeQ8Rows } from '../src/convert/quantize.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const THREADS = opt('threads', '1,2').split(',').map(Number);
const REPS = Number(opt('reps', '15'));
const SHAPES = opt('shapes', '8960x1536,1536x8960').split(',').map((s) => s.split('x').map(Number) as [number, number]);
const FORMATS = opt('formats', 'fp32,q4,q4-acc4,q8nbits,int8,int8-nk').split(',');
const ROWS = opt('rows', '1').split(',').map(Number);

function weights(N: number, K: number) {
  const w = new Float32Array(N * K);
  let s = 1;
  for (let i = 0; i < w.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    w[i] = ((s / 2 ** 32) * 2 - 1) / Math.sqrt(K);
  }
  return w;
}

function model(format: string, N: number, K: number, w: Float32Array): Uint8Array {
  const g = new GraphBuilder('probe');
  const x = g.input('x', DType.float32, ['rows', K]);
  let y: string;
  if (format === 'fp32') {
    const wt = new Float32Array(K * N);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) wt[k * N + n] = w[n * K + k]!;
    y = g.op('MatMul', [x, g.constant(tensor.f32(wt, [K, N]))]);
  } else if (format === 'q4' || format === 'q4-acc4') {
    const q = quantizeQ4Rows(w, N, K, false);
    const b = g.constant({ dtype: DType.uint8, dims: [N, kBlocks(K), 16], raw: q.b });
    const sc = g.constant(tensor.f32(q.scales, [N, kBlocks(K)]));
    y = g.op('MatMulNBits', [x, b, sc], { K, N, bits: 4, block_size: 32, ...(format === 'q4-acc4' ? { accuracy_level: 4 } : {}) }, { domain: 'com.microsoft' });
  } else if (format === 'q8nbits') {
    const q = quantizeQ8Blocks(w, N, K);
    const b = g.constant({ dtype: DType.uint8, dims: [N, kBlocks(K), 32], raw: q.b });
    const sc = g.constant(tensor.f32(q.scales, [N, kBlocks(K)]));
    y = g.op('MatMulNBits', [x, b, sc], { K, N, bits: 8, block_size: 32, accuracy_level: 4 }, { domain: 'com.microsoft' });
  } else if (format === 'int8') {
    const q = quantizeQ8Rows(w, N, K);
    const [xq, xs, xz] = g.opN('DynamicQuantizeLinear', [x], {}, { outputs: 3 });
    const acc = g.op('MatMulInteger', [xq!, g.constant({ dtype: DType.int8, dims: [K, N], raw: new Uint8Array(q.bT.buffer) }), xz!]);
    y = g.op('Mul', [g.op('Cast', [acc], { to: DType.float32 }), g.op('Mul', [xs!, g.constant(tensor.f32(q.scales, [N]))])]);
  } else if (format === 'int8-nk') {
    // Weights kept in the checkpoint's [N, K] row layout (streamable): y = (W_u8 - 128) · xqᵀ.
    const q = quantizeQ8Rows(w, N, K);
    const a = new Uint8Array(N * K);
    const i8 = q.bT;
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) a[n * K + k] = i8[k * N + n]! + 128;
    const [xq, xs, xz] = g.opN('DynamicQuantizeLinear', [x], {}, { outputs: 3 });
    const xT = g.op('Transpose', [xq!], { perm: [1, 0] }); // [K, S]
    const acc = g.op('MatMulInteger', [g.constant({ dtype: DType.uint8, dims: [N, K], raw: a }), xT, g.constant({ dtype: DType.uint8, dims: [], raw: new Uint8Array([128]) }), xz!]); // [N, S]
    const yT = g.op('Mul', [g.op('Cast', [acc], { to: DType.float32 }), g.op('Mul', [xs!, g.constant(tensor.f32(q.scales, [N, 1]))])]);
    y = g.op('Transpose', [yT], { perm: [1, 0] });
  } else throw new Error(`unknown format ${format}`);
  g.nodeWithOutputs('Identity', [y], ['y']);
  g.output('y', DType.float32, ['rows', N]);
  return g.toBytes(17);
}


type AnySession = { run(feeds: Record<string, unknown>): Promise<unknown>; release(): Promise<void> };
type Timing = { wall: number; cpu: number };

/**
 * Minimum wall and process-CPU milliseconds of a run, for each of several inputs, the inputs
 * taken in turn within each repetition (so that load changes fall on all of them alike). Under
 * load noise only adds wall time; with one thread the CPU time is the run's own work (with more
 * threads it sums them, so compare speeds at 2+ threads by wall time only).
 */
async function timeEach(session: AnySession, feedsList: readonly Record<string, unknown>[]): Promise<Timing[]> {
  const best = feedsList.map(() => ({ wall: Infinity, cpu: Infinity }));
  for (let r = 0; r < REPS + 3; r++) {
    for (const [i, feeds] of feedsList.entries()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await session.run(feeds);
      const c = process.cpuUsage(c0);
      if (r < 3) continue;
      best[i]!.wall = Math.min(best[i]!.wall, performance.now() - t0);
      best[i]!.cpu = Math.min(best[i]!.cpu, (c.user + c.system) / 1000);
    }
  }
  return best;
}

const fmt = (n: { wall: number; cpu: number }, w: { wall: number; cpu: number }) =>
  `${n.wall.toFixed(2)}\t${w.wall.toFixed(2)}\t${(w.wall / n.wall).toFixed(1)}\t${n.cpu.toFixed(2)}\t${w.cpu.toFixed(2)}\t${(w.cpu / n.cpu).toFixed(1)}`;
const HEAD = 'node wall\twasm wall\tratio\tnode cpu\twasm cpu\tratio';
const ROWS_HEAD = 'node wall / 1 row\twasm wall / 1 row';
/** A call of several rows against the call of the first row count (ratios of wall times). */
const perRows = (node1: Timing, node: Timing, wasm1: Timing, wasm: Timing) => `${(node.wall / node1.wall).toFixed(2)}\t${(wasm.wall / wasm1.wall).toFixed(2)}`;

async function modelMain(dir: string) {
  const { readFile, readdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { onnxFileName } = await import('../src/convert/qwen2-onnx.ts');
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, number>;
  const L = config.num_hidden_layers!;
  const KVH = config.num_key_value_heads!;
  const D = config.head_dim ?? config.hidden_size! / config.num_attention_heads!;
  const rows: string[] = [`dtype\tP\tthreads\trows\t${HEAD}\t${ROWS_HEAD}`];
  for (const dtype of opt('dtypes', 'q4,q8').split(',') as ('q4' | 'q8' | 'fp32')[]) {
    const file = onnxFileName(dtype);
    const bytes = await readFile(join(dir, 'onnx', file));
    const externalData = await Promise.all(
      (await readdir(join(dir, 'onnx'))).filter((f) => f.startsWith(`${file}_data`)).map(async (f) => ({ path: f, data: new Uint8Array(await readFile(join(dir, 'onnx', f))) })),
    );
    for (const P of opt('positions', '128').split(',').map(Number)) {
      const feeds = <T>(Tensor: new (t: 'int64' | 'float32', d: BigInt64Array | Float32Array, dims: number[]) => T, M: number) => {
        const f: Record<string, T> = {
          input_ids: new Tensor('int64', new BigInt64Array(M).fill(42n), [M, 1]),
          attention_mask: new Tensor('int64', new BigInt64Array(M * (P + 1)).fill(1n), [M, P + 1]),
          position_ids: new Tensor('int64', new BigInt64Array(M).fill(BigInt(P)), [M, 1]),
          num_logits_to_keep: new Tensor('int64', BigInt64Array.from([1n]), []),
        };
        const kvHalf = (config['transformers.js_config'] as unknown as { kv_cache_dtype?: Record<string, string> })?.kv_cache_dtype?.[dtype] === 'float16';
        const n = M * KVH * P * D;
        for (let i = 0; i < L; i++) {
          for (const k of ['key', 'value']) {
            f[`past_key_values.${i}.${k}`] = kvHalf
              ? new Tensor('float16' as 'float32', new Uint16Array(n).fill(0x2000) as unknown as Float32Array, [M, KVH, P, D])
              : new Tensor('float32', new Float32Array(n).fill(0.01), [M, KVH, P, D]);
          }
        }
        return f;
      };
      for (const threads of THREADS) {
        const sNode = await ortNode.InferenceSession.create(join(dir, 'onnx', file), { intraOpNumThreads: threads, interOpNumThreads: 1 });
        const nodeMs = await timeEach(sNode as unknown as AnySession, ROWS.map((M) => feeds(ortNode.Tensor, M)));
        await sNode.release();
        let wasmMs = ROWS.map(() => ({ wall: Number.NaN, cpu: Number.NaN }));
        if (!args.includes('--node-only')) {
          ortWeb.env.wasm.numThreads = threads;
          const sWeb = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], externalData });
          wasmMs = await timeEach(sWeb as unknown as AnySession, ROWS.map((M) => feeds(ortWeb.Tensor, M)));
          await sWeb.release();
        }
        for (const [j, M] of ROWS.entries()) {
          const row = `${dtype}\t${P}\t${threads}\t${M}\t${fmt(nodeMs[j]!, wasmMs[j]!)}\t${perRows(nodeMs[0]!, nodeMs[j]!, wasmMs[0]!, wasmMs[j]!)}`;
          console.error(row);
          rows.push(row);
        }
      }
    }
  }
  console.log(rows.join('\n'));
}

async function main() {
  ortWeb.env.wasm.numThreads = Math.max(...THREADS);
  const rows: string[] = [`shape\tformat\tthreads\trows\t${HEAD}\t${ROWS_HEAD}`];
  for (const [N, K] of SHAPES) {
    const w = weights(N, K);
    for (const format of FORMATS) {
      const bytes = model(format, N, K, w);
      for (const threads of THREADS) {
        const sNode = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
        ortWeb.env.wasm.numThreads = threads;
        let sWeb: AnySession | null = null;
        try {
          sWeb = (await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], intraOpNumThreads: threads })) as unknown as AnySession;
        } catch (e) {
          console.error(`wasm ${format}: ${(e as Error).message.slice(0, 200)}`);
        }
        const feeds = <T>(Tensor: new (t: 'float32', d: Float32Array, dims: number[]) => T) =>
          ROWS.map((M) => ({ x: new Tensor('float32', Float32Array.from({ length: M * K }, (_, i) => Math.sin(i)), [M, K]) }));
        const nan = { wall: Number.NaN, cpu: Number.NaN };
        const wasmMs = sWeb ? await timeEach(sWeb, feeds(ortWeb.Tensor)) : ROWS.map(() => nan);
        const nodeMs = await timeEach(sNode as unknown as AnySession, feeds(ortNode.Tensor));
        for (const [j, M] of ROWS.entries()) {
          const row = `${N}x${K}\t${format}\t${threads}\t${M}\t${fmt(nodeMs[j]!, wasmMs[j]!)}\t${perRows(nodeMs[0]!, nodeMs[j]!, wasmMs[0]!, wasmMs[j]!)}`;
          console.error(row);
          rows.push(row);
        }
        await sWeb?.release();
        await sNode.release();
      }
    }
  }
  console.log(rows.join('\n'));
}

const modelDir = args.includes('--model') ? opt('model', '') : null;
await (modelDir ? modelMain(modelDir) : main());
process.exit(0);
