// Run: npx tsx tools/bench-sampler.ts
//
// Times sampleToken (radix-select fast path) against two references on the same rows in the same
// process, and prints the ratios: the simple approach (one exp pass, a threshold that provably keeps
// the nucleus, sort only the survivors) and a brute-force sampler that sorts the whole row. The
// simple sampler is checked to keep exactly the same candidates as sampleToken before it is timed.

import { createRng, type Rng } from '../src/core/rng.ts';
import { PAPER_SAMPLING, argmax, candidateDistribution, sampleToken, samplerDiagnostics, type RandomSampling } from '../src/core/sampler.ts';

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

/**
 * The simple approach: one exp pass for the weights and Z; every token below (1 − topP)·Z / n is
 * out (all of them together hold less than 1 − topP of the mass, and they rank below every other
 * token, so the nucleus lies among the rest); sort the survivors (weight descending, id ascending),
 * cut top-k (ties with the k-th kept) and top-p. Returns the kept ids in id order with their weights.
 */
let simpleW = new Float64Array(0);

/** The one exp pass: per-token weights exp(−(max − logit)/T) into simpleW (as sampler.ts computes them), and Z. */
function weights(logits: Float32Array, temperature: number): number {
  const n = logits.length;
  if (simpleW.length < n) simpleW = new Float64Array(n);
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i]! > m) m = logits[i]!;
  const invT = 1 / temperature;
  let z = 0;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    z += simpleW[i] = v > -Infinity ? Math.exp(-((m - v) * invT)) : 0;
  }
  return z;
}

function simpleKeep(logits: Float32Array, s: RandomSampling): { ids: Int32Array; w: Float64Array; total: number } {
  const n = logits.length;
  const z = weights(logits, s.temperature);
  const w = simpleW;
  let threshold = s.topP < 1 ? ((1 - s.topP) * z) / n : 0;
  let count = 0;
  for (let i = 0; i < n; i++) if (w[i]! >= threshold && w[i]! > 0) count++;
  if (s.topK > 0 && count < s.topK) {
    threshold = 0; // top-k reaches below the threshold: everything is a survivor
    count = 0;
    for (let i = 0; i < n; i++) if (w[i]! > 0) count++;
  }
  const order = new Int32Array(count);
  for (let i = 0, c = 0; i < n; i++) if (w[i]! >= threshold && w[i]! > 0) order[c++] = i;
  order.sort((a, b) => w[b]! - w[a]! || a - b);
  let keep = count;
  if (s.topK > 0 && s.topK < keep) {
    const kth = w[order[s.topK - 1]!]!;
    keep = s.topK;
    while (keep < count && w[order[keep]!]! === kth) keep++;
  }
  if (s.topP < 1) {
    // Top-p sees the top-k renormalised mass when top-k cut anything, else the whole row's.
    let norm = z;
    if (keep < count || threshold === 0) {
      norm = 0;
      for (let j = 0; j < keep; j++) norm += w[order[j]!]!;
    }
    const target = (s.topP - 1e-9) * norm;
    let acc = 0;
    for (let j = 0; j < keep; j++) {
      acc += w[order[j]!]!;
      if (acc >= target) {
        keep = j + 1;
        break;
      }
    }
  }
  const ids = order.slice(0, keep).sort();
  const kw = new Float64Array(keep);
  let total = 0;
  ids.forEach((id, j) => {
    kw[j] = w[id]!;
    total += w[id]!;
  });
  return { ids, w: kw, total };
}

/** Nothing is cut: one exp pass, then draw walking the row in id order. */
function drawInIdOrder(logits: Float32Array, s: RandomSampling, rng: Rng): number {
  const n = logits.length;
  const u = rng.next() * weights(logits, s.temperature);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += simpleW[i]!;
    if (u < acc) return i;
  }
  return n - 1;
}

function simpleSample(logits: Float32Array, s: RandomSampling, rng: Rng): number {
  if (s.topP >= 1 && s.topK === 0) return drawInIdOrder(logits, s, rng);
  const { ids, w, total } = simpleKeep(logits, s);
  const u = rng.next() * total;
  let acc = 0;
  for (let j = 0; j < ids.length; j++) {
    acc += w[j]!;
    if (u < acc) return ids[j]!;
  }
  return ids[ids.length - 1]!;
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
    // Same kept set as the fast path, or the comparison means nothing.
    const expected = [...candidateDistribution(row, s.temperature, s.topP, s.topK).ids].sort((a, b) => a - b);
    const got = [...simpleKeep(row, s).ids];
    if (expected.length !== got.length || expected.some((id, j) => id !== got[j])) throw new Error(`simple sampler differs on ${rowName} / ${cfgName}`);
    const r3 = createRng(7);
    const simple = timePerCall(() => simpleSample(row, s, r3), 500).ms;
    const brute = timePerCall(() => bruteForceSample(row, s, r2), 1500).ms;
    // Which of sampleToken's slower exact paths the calls took.
    const pct = (x: number): string => `${Math.round((100 * x) / fast.calls)}%`;
    const paths = `exact-tail ${pct(samplerDiagnostics.exactTailPasses - tail0)}, exact-mass ${pct(samplerDiagnostics.exactMassPasses - mass0)}`;
    console.log(
      `  ${cfgName.padEnd(26)} radix ${fast.ms.toFixed(2)} ms   simple ${simple.toFixed(2)} ms (${(simple / fast.ms).toFixed(1)}x, kept ${got.length})   full sort ${brute.toFixed(1)} ms   (${paths})`,
    );
  }
}
