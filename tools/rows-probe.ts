// Run: npx tsx tools/rows-probe.ts DIR/onnx/model_quantized.onnx [--rows 1,2,5] [--past 128] [--reps 3] [--threads 1]
//
// What one more row costs in a decode step of a converted graph, per operator type: steps of B
// rows (one new token each on top of a random past of P positions) alternate for each B, with
// ONNX Runtime's profiler on; the node times are summed per operator type and per B. Also the
// process CPU time of a step (with --threads 1 that is the step's work, not waiting for a core).
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

const args = process.argv.slice(2);
const file = args[0];
if (!file) throw new Error('usage: rows-probe.ts MODEL.onnx [--rows 1,2,5] [--past 128] [--reps 3] [--threads 1]');
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const ROWS = opt('rows', '1,2,5').split(',').map(Number);
const PAST = Number(opt('past', '128'));
const REPS = Number(opt('reps', '3'));
const THREADS = Number(opt('threads', '1'));

const session = await ort.InferenceSession.create(file, { intraOpNumThreads: THREADS, interOpNumThreads: 1, enableProfiling: true, profileFilePrefix: '.cache/rows-probe' });
const pasts = session.inputNames.filter((n) => n.startsWith('past_key_values.'));
const meta = (session as unknown as { inputMetadata?: { name: string; shape: (number | string)[]; type: string }[] }).inputMetadata;
const spec = meta?.find((m) => m.name === pasts[0]);
const heads = (spec?.shape[1] as number) ?? 2;
const headDim = (spec?.shape[3] as number) ?? 128;
const f16 = spec?.type === 'float16';

function feeds(B: number): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: B }, (_, i) => BigInt(100 + i)), [B, 1]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(B * (PAST + 1)).fill(1n), [B, PAST + 1]),
    position_ids: new ort.Tensor('int64', new BigInt64Array(B).fill(BigInt(PAST)), [B, 1]),
  };
  if (session.inputNames.includes('num_logits_to_keep')) f.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.from([1n]), []);
  const n = B * heads * PAST * headDim;
  for (const p of pasts) {
    f[p] = f16
      ? new ort.Tensor('float16', new Uint16Array(n).fill(0x2e66), [B, heads, PAST, headDim])
      : new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.1), [B, heads, PAST, headDim]);
  }
  return f;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const order: number[] = [];
const stepCpu = new Map<number, number[]>();
const stepWall = new Map<number, number[]>();
const all = ROWS.map((B) => [B, feeds(B)] as const);
// Warm-up, unprofiled in the figures (first run of each shape).
for (const [B, f] of all) {
  await session.run(f);
  order.push(B);
}
for (let r = 0; r < REPS; r++) {
  for (const [B, f] of all) {
    const c = cpuMs();
    const t = performance.now();
    await session.run(f);
    (stepWall.get(B) ?? stepWall.set(B, []).get(B)!).push(performance.now() - t);
    (stepCpu.get(B) ?? stepCpu.set(B, []).get(B)!).push(cpuMs() - c);
    order.push(B);
  }
}
session.endProfiling();
const profile = join('.cache', (await readdir('.cache')).filter((f) => f.startsWith('rows-probe') && f.endsWith('.json')).sort().at(-1)!);
const events = JSON.parse(await readFile(profile, 'utf8')) as { cat: string; name: string; dur: number; ts: number; args?: { op_name?: string } }[];
await rm(profile);
// Runs in order; node events belong to the run whose span holds them.
const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
// Per B and operator type: the kernel time of each profiled step; the figure is the minimum over reps.
const perRun = new Map<number, Map<string, number>>();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const i = runs.findIndex((r) => e.ts >= r.ts && e.ts <= r.ts + r.dur);
  if (i < ROWS.length) continue; // warm-up
  const op = e.args?.op_name ?? '?';
  const m = perRun.get(i) ?? perRun.set(i, new Map()).get(i)!;
  m.set(op, (m.get(op) ?? 0) + e.dur / 1000);
}
const byB = new Map<number, Map<string, number>>();
for (const [i, m] of perRun) {
  const B = order[i]!;
  const best = byB.get(B) ?? byB.set(B, new Map()).get(B)!;
  for (const [op, ms] of m) best.set(op, Math.min(best.get(op) ?? Infinity, ms));
}
const min = (xs: number[]) => Math.min(...xs);
console.log(`${file}: past ${PAST}, ${THREADS} thread(s), ${REPS} reps; per step (min CPU / min wall ms)`);
for (const B of ROWS) console.log(`  ${B} row(s): CPU ${min(stepCpu.get(B)!).toFixed(1)} ms, wall ${min(stepWall.get(B)!).toFixed(1)} ms`);
const ops = [...new Set([...byB.values()].flatMap((m) => [...m.keys()]))];
const b1 = byB.get(ROWS[0]!)!;
ops.sort((a, b) => (byB.get(ROWS.at(-1)!)!.get(b) ?? 0) - (byB.get(ROWS.at(-1)!)!.get(a) ?? 0));
console.log(`  op type (min kernel ms per step)`.padEnd(36) + ROWS.map((B) => `B=${B}`.padStart(10)).join(''));
for (const op of ops.slice(0, 16)) console.log(`  ${op.padEnd(34)}${ROWS.map((B) => (byB.get(B)!.get(op) ?? 0).toFixed(1).padStart(10)).join('')}`);
const tot = (B: number) => [...byB.get(B)!.values()].reduce((s, x) => s + x, 0);
console.log(`  ${'all kernels'.padEnd(34)}${ROWS.map((B) => tot(B).toFixed(1).padStart(10)).join('')}  (B=1: ${tot(ROWS[0]!).toFixed(1)}; ${b1.size} op types)`);
