// Where onnxruntime-web's WASM memory goes when a session is created (issue 14): one process per
// variant (a WASM heap never shrinks), onnxruntime-web's WASM backend in Node, the model's external
// data handed over as Uint8Arrays (as transformers.js does). Prints one JSON line: resident memory
// before and after the session (process RSS, and the JS ArrayBuffers alive), the WASM heap's size,
// and the CPU milliseconds of one decode step on a 16-position cache.
//
//   npx tsx tools/bench/heap-probe.ts <converted folder> <q4|q8> [prepack=1|0]
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';

const [dir, dtype, prepack = '1'] = process.argv.slice(2) as [string, string, string?];
const graph = dtype === 'q8' ? 'model_quantized.onnx' : `model_${dtype}.onnx`;
const MB = (b: number) => Math.round(b / 2 ** 20);
ort.env.wasm.numThreads = 1;
const rss0 = process.memoryUsage().rss;
const names = (await readdir(join(dir, 'onnx'))).filter((f) => f.startsWith(`${graph}_data`));
let externalData: { path: string; data: Uint8Array }[] | null = [];
for (const n of names) externalData.push({ path: n, data: new Uint8Array(await readFile(join(dir, 'onnx', n))) });
const files = externalData.reduce((a, f) => a + f.data.byteLength, 0);
const rssFiles = process.memoryUsage().rss;
const session = await ort.InferenceSession.create(await readFile(join(dir, 'onnx', graph)), {
  executionProviders: ['wasm'],
  externalData,
  extra: { session: { disable_prepacking: prepack === '1' ? '0' : '1' } },
});
const rssSession = process.memoryUsage().rss;
externalData = null;
(globalThis as { gc?: () => void }).gc?.();
await new Promise((r) => setTimeout(r, 500));
const rssAfter = process.memoryUsage().rss;
const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
const P = 16;
const feeds: Record<string, ort.Tensor> = {
  input_ids: new ort.Tensor('int64', BigInt64Array.from([42n]), [1, 1]),
  attention_mask: new ort.Tensor('int64', new BigInt64Array(P + 1).fill(1n), [1, P + 1]),
  position_ids: new ort.Tensor('int64', BigInt64Array.from([BigInt(P)]), [1, 1]),
  num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.from([1n]), []),
};
const hd = config.hidden_size / config.num_attention_heads;
for (let i = 0; i < config.num_hidden_layers; i++) {
  for (const k of ['key', 'value']) feeds[`past_key_values.${i}.${k}`] = new ort.Tensor('float32', new Float32Array(config.num_key_value_heads * P * hd), [1, config.num_key_value_heads, P, hd]);
}
await session.run(feeds);
const c0 = process.cpuUsage();
await session.run(feeds);
const c = process.cpuUsage(c0);
const rssRun = process.memoryUsage().rss;
console.log(
  JSON.stringify({
    dtype,
    prepack: prepack === '1',
    filesMB: MB(files),
    rssStartMB: MB(rss0),
    rssFilesReadMB: MB(rssFiles),
    rssSessionMB: MB(rssSession),
    rssAfterFilesDroppedMB: MB(rssAfter),
    rssAfterRunMB: MB(rssRun),
    heapOverFiles: Number(((rssRun - rss0) / files).toFixed(2)),
    stepCpuMs: Math.round((c.user + c.system) / 1000),
  }),
);
