// Which quantized embedding lookups each runtime the app uses actually runs (issue 14):
//   gbq4      com.microsoft GatherBlockQuantized, uint8 data (two 4-bit values a byte, MatMulNBits'
//             layout and default zero point 8), block 32 along the hidden axis, float32 scales
//   gbq8      the same with bits=8 (one byte a value, zero point 128)
//   int8row   standard ops: Gather on int8 rows [V, H] and on per-row float32 scales [V, 1], Cast, Mul
//   u32shift  int8row's bytes (+128) packed four to a uint32, unpacked by BitShift + BitwiseAnd
//   i32mod    the same words as int32, unpacked by Div + Mod
//   u32div    the same words as uint32, unpacked by Div, Mul, Sub
//   i32parts  the same words as int32 in tables of 300 rows, chosen by Where, Cast to uint32 and
//             unpacked as u32div (what the converter writes; one part: no Where)
//   f16       standard ops: Gather on float16 rows, Cast to float32
// Each is checked against the float32 rows it encodes (max |Δ| over the gathered values), on
// onnxruntime-node (CPU), onnxruntime-web WASM in Node, and onnxruntime-web in Chromium (WASM and
// WebGPU; WebGPU is SwiftShader on this machine; both of ORT's builds, asyncify and JSPI), with the
// EP ORT's verbose log says each node runs on. Found (onnxruntime-web 1.31-dev, December 2):
//   gbq4, gbq8  WebGPU only: "Could not find an implementation" on WASM
//   int8row     everywhere, but a WebGPU session places the int8 Gather and its Cast on the CPU
//               EP (WebGPU's Gather takes 32-bit types only), so the table lives in the WASM heap
//   u32shift    nowhere: BitwiseAnd needs opset 18 (the graphs are opset 17)
//   i32mod      everywhere, Mod on the CPU EP in a WebGPU session (a copy out and back per step)
//   u32div      everywhere, every node on the GPU in a WebGPU session, the same values as int8row
//   i32parts    the same (with uint32 words, Where has no CPU kernel: fails on WASM); only the
//               ids' Cast to int32 on the CPU EP
//   f16         fails on WebGPU without shader-f16 (SwiftShader)
//
//   npx tsx tools/embed-probe.ts [--port 4290] [--no-browser]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { chromium } from 'playwright-core';
import { DType, GraphBuilder } from '../src/convert/onnx-builder.ts';
import { f32ToF16Bits } from '../src/convert/half.ts';
import { kBlocks, quantizeQ4Rows, quantizeQ8Blocks, quantizeQ8Rows } from '../src/convert/quantize.ts';

const args = process.argv.slice(2);
const PORT = Number(args[args.indexOf('--port') + 1] || 4290);
const V = 1000;
const H = 96;
const IDS = [3, 999, 0, 512, 3, 77];

const w = new Float32Array(V * H);
let seed = 7;
for (let i = 0; i < w.length; i++) {
  seed = (seed * 1103515245 + 12345) >>> 0;
  w[i] = ((seed / 2 ** 32) * 2 - 1) * 0.05;
}
const raw = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function model(kind: string): Uint8Array {
  const g = new GraphBuilder('embed');
  const ids = g.input('input_ids', DType.int64, [1, IDS.length]);
  let y: string;
  if (kind === 'gbq4' || kind === 'gbq8') {
    const bits = kind === 'gbq4' ? 4 : 8;
    const q = bits === 4 ? quantizeQ4Rows(w, V, H, false) : quantizeQ8Blocks(w, V, H);
    const data = g.constant({ dtype: DType.uint8, dims: [V, (H * bits) / 8], raw: q.b });
    const scales = g.constant({ dtype: DType.float32, dims: [V, kBlocks(H)], raw: raw(q.scales) });
    y = g.op('GatherBlockQuantized', [data, ids, scales], { bits, block_size: 32, gather_axis: 0, quantize_axis: 1 }, { domain: 'com.microsoft' });
  } else if (kind === 'i32parts') {
    // What the converter writes for a table over its part size: u32div's words stored as int32
    // (ORT's CPU EP has no uint32 Where) in tables of at most R rows (an upload each), each looked
    // up, the id's own part chosen by Where on the part index (int32 Div and Equal, the ids cast
    // from int64), then Cast to uint32 (the same bits) and unpacked as u32div.
    const q = quantizeQ8Rows(w, V, H);
    const words = new Uint32Array((V * H) / 4);
    for (let v = 0; v < V; v++) for (let h = 0; h < H; h++) words[(v * H + h) >> 2]! |= ((q.bT[h * V + v]! + 128) & 255) << ((h & 3) * 8);
    const scales = g.constant({ dtype: DType.float32, dims: [V, 1], raw: raw(q.scales) });
    const R = 300;
    const i32 = (...v: number[]) => g.constant({ dtype: DType.int32, dims: v.length === 1 ? [] : [v.length], raw: raw(Int32Array.from(v)) });
    const ids32 = g.op('Cast', [ids], { to: DType.int32 });
    const part = g.op('Div', [ids32, i32(R)]);
    const local = g.op('Sub', [ids32, g.op('Mul', [part, i32(R)])]);
    let acc = '';
    for (let p = 0, r0 = 0; r0 < V; p++, r0 += R) {
      const n = Math.min(R, V - r0);
      const table = g.constant({ dtype: DType.int32, dims: [n, H / 4], raw: raw(new Int32Array(words.buffer, r0 * H, (n * H) / 4)) });
      const rows = g.op('Gather', [table, n < R ? g.op('Min', [local, i32(n - 1)]) : local], { axis: 0 });
      acc = p === 0 ? rows : g.op('Where', [g.op('Unsqueeze', [g.op('Equal', [part, i32(p)]), g.i64(-1)]), rows, acc]);
    }
    const word = g.op('Unsqueeze', [g.op('Cast', [acc], { to: DType.uint32 }), g.i64(-1)]);
    const u32 = (...v: number[]) => g.constant({ dtype: DType.uint32, dims: v.length === 1 ? [] : [v.length], raw: raw(Uint32Array.from(v)) });
    const high = g.op('Div', [word, u32(1, 256, 65536, 16777216)]);
    const bytes = g.op('Sub', [high, g.op('Mul', [g.op('Div', [high, u32(256)]), u32(256)])]);
    const rowsF = g.op('Reshape', [g.op('Cast', [bytes], { to: DType.float32 }), g.i64(1, IDS.length, H)]);
    y = g.op('Mul', [g.op('Sub', [rowsF, g.scalarF32(128)]), g.op('Gather', [scales, ids], { axis: 0 })]);
  } else if (kind === 'u32shift' || kind === 'i32mod' || kind === 'u32div') {
    // int8row's bytes (stored +128, unsigned) packed four to a 32-bit word, unpacked after the
    // Gather with standard integer ops: a WebGPU session has Gather for 32-bit types only.
    const q = quantizeQ8Rows(w, V, H);
    const words = new Uint32Array((V * H) / 4);
    for (let v = 0; v < V; v++) for (let h = 0; h < H; h++) words[(v * H + h) >> 2]! |= ((q.bT[h * V + v]! + 128) & 255) << ((h & 3) * 8);
    const scales = g.constant({ dtype: DType.float32, dims: [V, 1], raw: raw(q.scales) });
    let bytes: string;
    if (kind === 'u32shift') {
      const data = g.constant({ dtype: DType.uint32, dims: [V, H / 4], raw: raw(words) });
      const word = g.op('Unsqueeze', [g.op('Gather', [data, ids], { axis: 0 }), g.i64(-1)]);
      const shifted = g.op('BitShift', [word, g.constant({ dtype: DType.uint32, dims: [4], raw: raw(Uint32Array.from([0, 8, 16, 24])) })], { direction: 'RIGHT' });
      bytes = g.op('BitwiseAnd', [shifted, g.constant({ dtype: DType.uint32, dims: [], raw: raw(Uint32Array.from([255])) })]);
    } else if (kind === 'u32div') {
      const u32 = (...v: number[]) => g.constant({ dtype: DType.uint32, dims: v.length === 1 ? [] : [v.length], raw: raw(Uint32Array.from(v)) });
      const data = g.constant({ dtype: DType.uint32, dims: [V, H / 4], raw: raw(words) });
      const word = g.op('Unsqueeze', [g.op('Gather', [data, ids], { axis: 0 }), g.i64(-1)]);
      const high = g.op('Div', [word, u32(1, 256, 65536, 16777216)]); // the word's bytes from byte k up
      bytes = g.op('Sub', [high, g.op('Mul', [g.op('Div', [high, u32(256)]), u32(256)])]);
    } else {
      const data = g.constant({ dtype: DType.int32, dims: [V, H / 4], raw: raw(new Int32Array(words.buffer)) });
      const word = g.op('Unsqueeze', [g.op('Gather', [data, ids], { axis: 0 }), g.i64(-1)]);
      const place = g.constant({ dtype: DType.int32, dims: [4], raw: raw(Int32Array.from([1, 256, 65536, 16777216])) });
      const floorDiv = g.op('Div', [g.op('Sub', [word, g.op('Mod', [word, place], { fmod: 0 })]), place]);
      bytes = g.op('Mod', [floorDiv, g.constant({ dtype: DType.int32, dims: [], raw: raw(Int32Array.from([256])) })], { fmod: 0 });
    }
    const rows = g.op('Reshape', [g.op('Cast', [bytes], { to: DType.float32 }), g.i64(1, IDS.length, H)]);
    y = g.op('Mul', [g.op('Sub', [rows, g.scalarF32(128)]), g.op('Gather', [scales, ids], { axis: 0 })]);
  } else if (kind === 'int8row') {
    // quantizeQ8Rows writes [K, N] (transposed for MatMulInteger); the probe wants [V, H] rows.
    const q = quantizeQ8Rows(w, V, H);
    const rows = new Int8Array(V * H);
    for (let v = 0; v < V; v++) for (let h = 0; h < H; h++) rows[v * H + h] = q.bT[h * V + v]!;
    const data = g.constant({ dtype: DType.int8, dims: [V, H], raw: raw(rows) });
    const scales = g.constant({ dtype: DType.float32, dims: [V, 1], raw: raw(q.scales) });
    y = g.op('Mul', [g.op('Cast', [g.op('Gather', [data, ids], { axis: 0 })], { to: DType.float32 }), g.op('Gather', [scales, ids], { axis: 0 })]);
  } else {
    const data = g.constant({ dtype: DType.float16, dims: [V, H], raw: raw(Uint16Array.from(w, f32ToF16Bits)) });
    y = g.op('Cast', [g.op('Gather', [data, ids], { axis: 0 })], { to: DType.float32 });
  }
  g.nodeWithOutputs('Identity', [y], ['out']);
  g.output('out', DType.float32, [1, IDS.length, H]);
  return g.toBytes(17);
}

const KINDS = process.env.PROBE_KINDS?.split(',') ?? ['gbq4', 'gbq8', 'int8row', 'u32shift', 'i32mod', 'u32div', 'i32parts', 'f16'];
const expected = Float32Array.from(IDS.flatMap((id) => [...w.subarray(id * H, (id + 1) * H)]));
const maxDiff = (out: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(out[i]! - expected[i]!));
  return out.length === expected.length ? m : Number.NaN;
};
const report = (where: string, kind: string, r: string) => console.log(`${where.padEnd(22)} ${kind.padEnd(8)} ${r}`);

type AnyOrt = typeof ortNode | typeof ortWeb;
async function inNode(where: string, ort: AnyOrt, opts: object) {
  for (const kind of KINDS) {
    try {
      const s = await (ort.InferenceSession as typeof ortWeb.InferenceSession).create(model(kind), opts);
      const out = await s.run({ input_ids: new (ort.Tensor as typeof ortWeb.Tensor)('int64', BigInt64Array.from(IDS, BigInt), [1, IDS.length]) });
      report(where, kind, `ok  max|Δ| ${maxDiff(out.out!.data as Float32Array).toExponential(2)}`);
    } catch (e) {
      report(where, kind, `FAIL ${String(e).split('\n')[0]!.slice(0, 160)}`);
    }
  }
}

await inNode('onnxruntime-node cpu', ortNode, {});
ortWeb.env.wasm.numThreads = 1;
await inNode('ort-web wasm (node)', ortWeb, { executionProviders: ['wasm'] });

if (!args.includes('--no-browser')) {
  const dist = join(import.meta.dirname, '..', 'node_modules', 'onnxruntime-web', 'dist');
  const models = Object.fromEntries(KINDS.map((k) => [k, model(k)]));
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    if (path === '/') return res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end('<!doctype html><title>probe</title>');
    if (path.startsWith('/model/')) return res.writeHead(200, headers).end(models[path.slice(7)]);
    try {
      const body = await readFile(join(dist, path.slice(1)));
      res.writeHead(200, { ...headers, 'Content-Type': path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', () => r()));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'] });
  try {
    const page = await browser.newPage();
    // ORT's verbose log names the EP each node runs on ("Node(s) placed on [...]"); a WebGPU
    // session falls back to the CPU EP, silently, for any node whose type its kernels lack.
    let placements: string[] = [];
    page.on('console', (m) => {
      const t = m.text();
      if (/placed on|Node placements/.test(t)) placements.push(t.replace(/^.*?\] /, '').trim());
      else if (placements.length && /^\S.*\(.*\)$/.test(t.replace(/^.*?\] /, '').trim())) placements.push(t.replace(/^.*?\] /, '').trim());
    });
    await page.goto(`http://localhost:${PORT}/`);
    for (const [build, bundle] of [['asyncify', '/ort.webgpu.bundle.min.mjs'], ['jspi', '/ort.jspi.bundle.min.mjs']] as const) {
    for (const ep of ['wasm', 'webgpu']) {
      for (const kind of KINDS) {
        placements = [];
        const r = await page.evaluate(
          async ({ ep, kind, ids, bundle }) => {
            const ort = await import(/* @vite-ignore */ bundle);
            ort.env.wasm.numThreads = 1;
            try {
              const bytes = new Uint8Array(await (await fetch(`/model/${kind}`)).arrayBuffer());
              const s = await ort.InferenceSession.create(bytes, { executionProviders: [ep], logSeverityLevel: 0 });
              const out = await s.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
              return { data: Array.from(out.out.data as Float32Array) };
            } catch (e) {
              return { error: String(e).split('\n')[0]!.slice(0, 160) };
            }
          },
          { ep, kind, ids: IDS, bundle },
        );
        report(`${build} ${ep} (chromium)`, kind, 'error' in r ? `FAIL ${r.error}` : `ok  max|Δ| ${maxDiff(r.data!).toExponential(2)}  ${placements.join(' | ')}`);
      }
    }
    }
  } finally {
    await browser.close();
    server.close();
  }
}
