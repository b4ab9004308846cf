// Run: npx tsx tools/bench-sampler.ts
//
// Times sampleToken against a brute-force sampler that sorts the whole
// 151,936-wide row, on the same rows in the same process, and prints the ratio.

import { createRng, type Rng } from '../src/core/rng.ts';
import { PAPER_SAMPLING, argmax, sampleToken, samplerDiagnostics, type RandomSampling } from '../src/core/sampler.ts';

const VOCAB = 151_936;

function gaussian(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** The obvious implementation: sort everything, softmax, cut, draw. A timing reference only. */
function bruteForceSample(logits: Float32Array, s: RandomSampling, rng: Rng): number {
  const n = logits.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => logits[b]! - logits[a]! || a - b);
  const m = logits[order[0]!]!;
  const w = new Float64Array(n);
  let keep = s.topK > 0 ? Math.min(s.topK, n) : n;
  let z = 0;
  for (let j = 0; j < keep; j++) {
    w[j] = Math.exp((logits[order[j]!]! - m) / s.temperature);
    z += w[j]!;
  }
  if (s.topP < 1) {
    let acc = 0;
    for (let j = 0; j < keep; j++) {
      acc += w[j]!;
      if (acc >= s.topP * z) {
        keep = j + 1;
        break;
      }
    }
  }
  let total = 0;
  for (let j = 0; j < keep; j++) total += w[j]!;
  const u = rng.next() * total;
  let acc = 0;
  for (let j = 0; j < keep; j++) {
    acc += w[j]!;
    if (u < acc) return order[j]!;
  }
  return order[keep - 1]!;
}

function timePerCall(fn: () => number, minMs: number): { ms: number; calls: number } {
  // Warm up the JIT, then run for at least minMs.
  for (let i = 0; i < 5; i++) fn();
  let calls = 0;
  let sink = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    sink += fn();
    calls++;
    t = performance.now();
  }
  if (sink === -1) console.log(sink); // keep the result alive
  return { ms: (t - t0) / calls, calls: calls + 5 };
}

const rng = createRng(1);
const rows: readonly (readonly [string, Float32Array])[] = [
  [
    'LLM-like (N(0, 2.5²) bulk + 6 strong logits)',
    (() => {
      const row = new Float32Array(VOCAB);
      for (let i = 0; i < VOCAB; i++) row[i] = gaussian(rng) * 2.5;
      [18, 17.5, 15, 15, 14, 12].forEach((v, j) => (row[j * 20_000 + 7] = v));
      return row;
    })(),
  ],
  [
    'high-entropy (N(0, 1) everywhere)',
    (() => {
      const row = new Float32Array(VOCAB);
      for (let i = 0; i < VOCAB; i++) row[i] = gaussian(rng);
      return row;
    })(),
  ],
  ['flat (all logits equal)', new Float32Array(VOCAB)],
];

const configs: readonly (readonly [string, RandomSampling])[] = [
  ['paper T=0.6 top_p=0.95', PAPER_SAMPLING],
  ['T=1 top_k=50 top_p=0.9', { kind: 'sample', temperature: 1, topP: 0.9, topK: 50, seed: 0 }],
  ['T=1 top_p=1 (no cut)', { kind: 'sample', temperature: 1, topP: 1, topK: 0, seed: 0 }],
];

console.log(`node ${process.version}, vocab ${VOCAB}`);
for (const [rowName, row] of rows) {
  console.log(`\n${rowName}`);
  const greedy = timePerCall(() => argmax(row), 300).ms;
  console.log(`  greedy (argmax)            ${greedy.toFixed(3)} ms/call`);
  for (const [cfgName, s] of configs) {
    const r1 = createRng(7);
    const r2 = createRng(7);
    const tail0 = samplerDiagnostics.exactTailPasses;
    const mass0 = samplerDiagnostics.exactMassPasses;
    const fast = timePerCall(() => sampleToken(row, s, r1), 500);
    const brute = timePerCall(() => bruteForceSample(row, s, r2), 1500).ms;
    // Which of sampleToken's slower exact paths the calls took.
    const pct = (x: number): string => `${Math.round((100 * x) / fast.calls)}%`;
    const paths = `exact-tail ${pct(samplerDiagnostics.exactTailPasses - tail0)}, exact-mass ${pct(samplerDiagnostics.exactMassPasses - mass0)}`;
    console.log(
      `  ${cfgName.padEnd(26)} sampleToken ${fast.ms.toFixed(3)} ms/call   full sort ${brute.toFixed(2)} ms/call   ${(brute / fast.ms).toFixed(1)}x faster   (${paths})`,
    );
  }
}
