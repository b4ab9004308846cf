// Issue 14: what storing the vocabulary-sized tables in parts (GraphOptions.maxInitializerBytes)
// costs a decode step, on onnxruntime-node's CPU EP. Two conversions of the same checkpoint — one
// with the parts (the default), one with whole tables (maxInitializerBytes: Infinity) — each
// loaded as a session, one decode step with `context` random cache positions timed on each in
// alternation (ABBA), medians and their ratio printed.
//
//   npx tsx tools/parts-probe.ts <parts folder> <whole folder> <q4|q8> [context=128] [rounds=12]
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeFeeds, median } from './bench/measure.ts';

const [partsDir, wholeDir, dtype = 'q8', contextArg = '128', roundsArg = '12'] = process.argv.slice(2);
if (!partsDir || !wholeDir) throw new Error('usage: parts-probe.ts <parts folder> <whole folder> <q4|q8> [context] [rounds]');
const file = dtype === 'q8' ? 'model_quantized.onnx' : `model_${dtype}.onnx`;
const context = Number(contextArg);

async function open(dir: string) {
  const session = await ort.InferenceSession.create(join(dir, 'onnx', file), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  const meta = (session as unknown as { inputMetadata: { name: string; type?: string; shape?: (number | string)[] }[] }).inputMetadata;
  const pastNames = session.inputNames.filter((n) => n.startsWith('past_key_values.'));
  const pastMeta = meta.find((x) => x.name === pastNames[0]);
  const feeds = decodeFeeds(
    context,
    pastNames.map((name) => ({ name, type: meta.find((x) => x.name === name)?.type })),
    Number(pastMeta?.shape?.[1]),
    Number(pastMeta?.shape?.[3]),
    session.inputNames,
    (type, data, dims) => new ort.Tensor(type, data, dims),
  );
  await session.run(feeds); // warm-up
  return { session, feeds, times: [] as number[] };
}

const parts = await open(partsDir);
const whole = await open(wholeDir);
// Same inputs, so the same logits up to float order: the parts change nothing but the layout.
const [a, b] = [(await parts.session.run(parts.feeds)).logits!, (await whole.session.run(whole.feeds)).logits!];
let diff = 0;
for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs((a.data as Float32Array)[i]! - (b.data as Float32Array)[i]!));
for (let r = 0; r < Number(roundsArg); r++) {
  for (const s of r % 2 ? [whole, parts] : [parts, whole]) {
    const t0 = performance.now();
    await s.session.run(s.feeds);
    s.times.push(performance.now() - t0);
  }
}
const [mp, mw] = [median(parts.times), median(whole.times)];
console.log(JSON.stringify({ dtype, context, rounds: Number(roundsArg), partsMs: Number(mp.toFixed(1)), wholeMs: Number(mw.toFixed(1)), partsOverWhole: Number((mp / mw).toFixed(3)), maxAbsLogitDiff: diff }));
