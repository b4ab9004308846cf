import { describe, it, expect } from 'vitest';
import { createRng, deriveSeed, type Rng } from './rng.ts';
import {
  PAPER_SAMPLING,
  argmax,
  samplerDiagnostics,
  candidateDistribution,
  sampleToken,
  validateSampling,
  type RandomSampling,
  type Sampling,
} from './sampler.ts';

const VOCAB = 151_936;

/** Logits whose softmax at temperature 1 is exactly `probs` (up to rounding). */
function logitsOf(probs: readonly number[]): Float64Array {
  return Float64Array.from(probs, (p) => Math.log(p));
}

function sample(temperature: number, topP: number, topK: number, seed = 0): RandomSampling {
  return { kind: 'sample', temperature, topP, topK, seed };
}

function counts(logits: Float32Array | Float64Array, s: Sampling, draws: number, seed: number): number[] {
  const rng = createRng(seed);
  const c = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < draws; i++) c[sampleToken(logits, s, rng)]! += 1;
  return c;
}

/** Pearson chi-square of observed counts against expected probabilities. */
function chiSquare(observed: readonly number[], expected: readonly number[]): number {
  const n = observed.reduce((a, b) => a + b, 0);
  let chi = 0;
  expected.forEach((p, i) => {
    const e = n * p;
    chi += (observed[i]! - e) ** 2 / e;
  });
  return chi;
}

function countingRng(inner: Rng): Rng & { calls: number } {
  const r = {
    calls: 0,
    next(): number {
      r.calls++;
      return inner.next();
    },
  };
  return r;
}

/**
 * Brute-force reference written the way HF's warpers are: sort the whole row,
 * top-k by the k-th score (ties kept), then TopPLogitsWarper's ascending
 * cumulative softmax, removing tokens whose ascending cumsum <= 1 - topP
 * (with the same 1e-9 slack as the implementation), keeping the top token.
 */
/**
 * A row's usable ids by logit, descending (ties: lower id first), and those logits in that order:
 * the one full sort of a row, shared by every setting tried on it. Float32 rows (most of the large
 * ones) sort natively: each (logit, id) pair is packed into one exact float64 key, an order-preserving
 * 32-bit image of the logit above 18 bits of id, so no comparator runs 150,000 × log n times.
 */
const sortedRows = new WeakMap<ArrayLike<number>, { order: Int32Array; values: Float64Array }>();
function byLogit(logits: ArrayLike<number>): { order: Int32Array; values: Float64Array } {
  let sorted = sortedRows.get(logits);
  if (!sorted) {
    let order: Int32Array;
    if (logits instanceof Float32Array && logits.length <= 2 ** 18) {
      const bits = new Uint32Array(logits.buffer, logits.byteOffset, logits.length);
      const keys = new Float64Array(logits.length);
      let n = 0;
      for (let i = 0; i < logits.length; i++) {
        if (!(logits[i]! > -Infinity)) continue;
        const b = bits[i]!;
        // IEEE order as an unsigned integer (negatives flipped), then reversed for descending.
        const ascending = b & 0x8000_0000 ? ~b >>> 0 : (b | 0x8000_0000) >>> 0;
        keys[n++] = (0xffff_ffff - ascending) * 2 ** 18 + i;
      }
      const packed = keys.subarray(0, n).sort();
      order = new Int32Array(n);
      for (let j = 0; j < n; j++) order[j] = packed[j]! % 2 ** 18;
    } else {
      const valid: number[] = [];
      for (let i = 0; i < logits.length; i++) if (logits[i]! > -Infinity) valid.push(i);
      order = Int32Array.from(valid).sort((a, b) => logits[b]! - logits[a]! || a - b);
    }
    sorted = { order, values: Float64Array.from(order, (i) => logits[i]!) };
    sortedRows.set(logits, sorted);
  }
  return sorted;
}

function reference(logits: ArrayLike<number>, T: number, topP: number, topK: number): { ids: Int32Array; probs: Float64Array } {
  const { order, values } = byLogit(logits);
  const n = order.length;
  const m = values[0]!;
  const invT = 1 / T;
  const d = new Float64Array(n);
  for (let j = 0; j < n; j++) d[j] = (m - values[j]!) * invT;
  // Descending probability, ties by lower id. d is non-decreasing along `order` (rounding is
  // monotone), but two logits can round to one d: sort each run of equal d by id.
  const ranked = Int32Array.from(order);
  for (let a = 0; a < n; ) {
    let b = a + 1;
    while (b < n && d[b] === d[a]) b++;
    if (b - a > 1) ranked.subarray(a, b).sort();
    a = b;
  }
  let len = n;
  if (topK > 0 && topK < n) {
    const kth = d[topK - 1]!;
    len = topK;
    while (len < n && d[len]! <= kth) len++;
  }
  const w = new Float64Array(len);
  for (let j = 0; j < len; j++) w[j] = Math.exp(-d[j]!);
  if (topP < 1) {
    // Ascending cumulative softmax: remove while it is <= 1 - topP; the top token always stays.
    let z = 0;
    for (let j = len - 1; j >= 0; j--) z += w[j]!;
    let cum = 0;
    let keep = 1;
    for (let j = len - 1; j >= 0; j--) {
      cum += w[j]! / z;
      if (!(cum <= 1 - topP + 1e-9)) {
        keep = j + 1;
        break;
      }
    }
    len = keep;
  }
  const ids = new Int32Array(len);
  const probs = new Float64Array(len);
  let kept = 0;
  let total = 0;
  for (let j = 0; j < len; j++) {
    if (w[j]! > 0) {
      ids[kept] = ranked[j]!;
      probs[kept++] = w[j]!;
      total += w[j]!;
    }
  }
  for (let j = 0; j < kept; j++) probs[j] = probs[j]! / total;
  return { ids: ids.subarray(0, kept), probs: probs.subarray(0, kept) };
}

function gaussian(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

function expectMatchesReference(logits: ArrayLike<number>, T: number, topP: number, topK: number): number {
  const got = candidateDistribution(logits, T, topP, topK);
  const want = reference(logits, T, topP, topK);
  expect(got.ids.length).toBe(want.ids.length);
  // Element by element (a deep toEqual of 150k ids costs seconds); the first difference is reported.
  const at = got.ids.findIndex((id, j) => id !== want.ids[j]);
  expect(at === -1 ? null : { at, got: got.ids[at], want: want.ids[at] }).toBeNull();
  let maxErr = 0;
  got.probs.forEach((p, j) => {
    maxErr = Math.max(maxErr, Math.abs(p - want.probs[j]!));
  });
  expect(maxErr).toBeLessThan(1e-12);
  return got.ids.length;
}

describe('PAPER_SAMPLING and validateSampling', () => {
  it('has the paper settings and is valid', () => {
    expect(PAPER_SAMPLING).toEqual({ kind: 'sample', temperature: 0.6, topP: 0.95, topK: 0, seed: 0 });
    expect(validateSampling(PAPER_SAMPLING)).toBeNull();
    expect(validateSampling({ kind: 'greedy' })).toBeNull();
    expect(validateSampling(sample(5, 1, 0, -3))).toBeNull();
    expect(validateSampling(sample(1e-3, 1e-6, 151_936, 2 ** 40))).toBeNull();
  });

  it.each([
    [sample(0, 0.9, 0), /temperature/],
    [sample(-1, 0.9, 0), /temperature/],
    [sample(5.0001, 0.9, 0), /temperature.*at most 5/],
    [sample(Number.NaN, 0.9, 0), /temperature/],
    [sample(Infinity, 0.9, 0), /temperature/],
    [sample(1, 0, 0), /topP/],
    [sample(1, -0.5, 0), /topP/],
    [sample(1, 1.01, 0), /topP/],
    [sample(1, Number.NaN, 0), /topP/],
    [sample(1, 0.9, -1), /topK/],
    [sample(1, 0.9, 2.5), /topK/],
    [sample(1, 0.9, Infinity), /topK/],
    [sample(1, 0.9, 0, 0.5), /seed/],
    [sample(1, 0.9, 0, Number.NaN), /seed/],
    [sample(1, 0.9, 0, Infinity), /seed/],
  ])('rejects %o', (s, message) => {
    const err = validateSampling(s);
    expect(err).toMatch(message);
    expect(err).toMatch(/got/);
    expect(() => sampleToken(new Float64Array([0, 1]), s, createRng(0))).toThrow(RangeError);
  });

  it('rejects values of the wrong type and unknown kinds', () => {
    const bad = { kind: 'sample', temperature: '0.6', topP: 0.95, topK: 0, seed: 0 } as unknown as Sampling;
    expect(validateSampling(bad)).toMatch(/temperature/);
    expect(validateSampling({ kind: 'beam' } as unknown as Sampling)).toMatch(/unknown sampling kind "beam"/);
  });
});

describe('argmax', () => {
  it('returns the first index of the maximum', () => {
    expect(argmax([1, 3, 2, 3])).toBe(1);
    expect(argmax(new Float32Array([-5, -1, -2]))).toBe(1);
    expect(argmax([7])).toBe(0);
  });

  it('never lets NaN win', () => {
    expect(argmax([Number.NaN, 1, Number.NaN, 2, Number.NaN])).toBe(3);
    expect(argmax([2, Number.NaN, 3])).toBe(2);
    expect(argmax([Number.NaN, -Infinity, Number.NaN])).toBe(1);
    expect(argmax([Number.NaN, Number.NaN])).toBe(-1);
    expect(argmax([])).toBe(-1);
  });

  it('handles infinities', () => {
    expect(argmax([-Infinity, -Infinity])).toBe(0);
    expect(argmax([1, Infinity, Infinity])).toBe(1);
  });
});

describe('sampleToken: greedy', () => {
  it('is argmax and never touches the rng', () => {
    const rng = countingRng(createRng(1));
    const row = new Float32Array([0.1, 2, Number.NaN, 1.9]);
    expect(sampleToken(row, { kind: 'greedy' }, rng)).toBe(1);
    expect(sampleToken(row, { kind: 'greedy' }, null)).toBe(1);
    expect(rng.calls).toBe(0);
  });

  it('throws on an all-NaN row', () => {
    expect(() => sampleToken(new Float64Array([Number.NaN]), { kind: 'greedy' }, null)).toThrow(RangeError);
  });
});

describe('sampleToken: sampling', { timeout: 30_000 }, () => {
  it('needs an rng and draws exactly once per token on every path', () => {
    const row = logitsOf([0.5, 0.3, 0.15, 0.05]);
    expect(() => sampleToken(row, PAPER_SAMPLING, null)).toThrow(/Rng/);
    for (const s of [PAPER_SAMPLING, sample(1, 1, 0), sample(1, 0.5, 2), sample(0.7, 1, 3)]) {
      const rng = countingRng(createRng(3));
      for (let i = 0; i < 25; i++) sampleToken(row, s, rng);
      expect(rng.calls).toBe(25);
    }
  });

  it('top_k = 1 equals argmax', () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 20; trial++) {
      const row = new Float32Array(1000);
      for (let i = 0; i < row.length; i++) row[i] = gaussian(rng) * 3;
      const best = argmax(row);
      for (const s of [sample(1, 1, 1), sample(2, 0.95, 1), sample(0.6, 0.5, 1)]) {
        expect(sampleToken(row, s, createRng(trial))).toBe(best);
      }
    }
  });

  it('top_k = 2 only returns the two best, at their renormalised frequencies', () => {
    const row = logitsOf([0.4, 0.3, 0.2, 0.1]);
    const c = counts(row, sample(1, 1, 2), 20_000, 7);
    expect(c[2]).toBe(0);
    expect(c[3]).toBe(0);
    // 1 dof; the 0.999 quantile is 10.83.
    expect(chiSquare(c.slice(0, 2), [4 / 7, 3 / 7])).toBeLessThan(10.83);
  });

  it('keeps every token tied with the k-th score (HF semantics)', () => {
    const { ids } = candidateDistribution([1, 1, 1, 0], 1, 1, 2);
    expect(Array.from(ids)).toEqual([0, 1, 2]);
  });

  it('draws the full softmax at topP = 1, topK = 0', () => {
    const probs = [0.5, 0.3, 0.15, 0.05];
    const c = counts(logitsOf(probs), sample(1, 1, 0), 20_000, 99);
    // 3 dof; the 0.999 quantile is 16.27.
    expect(chiSquare(c, probs)).toBeLessThan(16.27);
  });

  it('draws the nucleus at its renormalised frequencies', () => {
    const c = counts(logitsOf([0.5, 0.3, 0.15, 0.05]), sample(1, 0.81, 0), 20_000, 5);
    expect(c[3]).toBe(0);
    // 2 dof; the 0.999 quantile is 13.82.
    expect(chiSquare(c.slice(0, 3), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95])).toBeLessThan(13.82);
  });

  it('would fail if top_p were ignored: 1000 draws stay inside the nucleus', () => {
    // Without top_p, tokens 2 and 3 would come up ~200 times in 1000 draws.
    const c = counts(logitsOf([0.5, 0.3, 0.15, 0.05]), sample(1, 0.7, 0), 1000, 123);
    expect(c[2]! + c[3]!).toBe(0);
    expect(c[0]! + c[1]!).toBe(1000);
    expect(c[1]).toBeGreaterThan(300); // ~375 expected: not collapsed to greedy either
  });

  it('sharpens with low temperature and flattens with high temperature', () => {
    const row = logitsOf([0.6, 0.4]);
    const freq = (t: number): number => counts(row, sample(t, 1, 0), 20_000, 17)[0]! / 20_000;
    const cold = freq(0.5);
    const neutral = freq(1);
    const hot = freq(2);
    expect(cold).toBeGreaterThan(neutral);
    expect(neutral).toBeGreaterThan(hot);
    // Exact: p ∝ p0^(1/T).  sd ≈ 0.0035 at 20k draws.
    expect(Math.abs(cold - 0.36 / 0.52)).toBeLessThan(0.015);
    expect(Math.abs(neutral - 0.6)).toBeLessThan(0.015);
    expect(Math.abs(hot - Math.sqrt(0.6) / (Math.sqrt(0.6) + Math.sqrt(0.4)))).toBeLessThan(0.015);
  });

  it('temperature applies before top_p', () => {
    // At T = 1 the nucleus for 0.7 is {0, 1}; at T = 0.3 token 0 alone holds > 0.7.
    const row = logitsOf([0.5, 0.3, 0.15, 0.05]);
    expect(Array.from(candidateDistribution(row, 1, 0.7, 0).ids)).toEqual([0, 1]);
    expect(Array.from(candidateDistribution(row, 0.3, 0.7, 0).ids)).toEqual([0]);
    // At T = 3 the distribution is flatter and needs three tokens.
    expect(Array.from(candidateDistribution(row, 3, 0.7, 0).ids)).toEqual([0, 1, 2]);
  });

  it('top_k applies before top_p, which then sees the top-k renormalised mass', () => {
    // Top-2 of [0.4, 0.3, 0.2, 0.1] renormalises to [4/7, 3/7]; top_p 0.5
    // then keeps only token 0 (4/7 >= 0.5), and 0.6 needs both (4/7 < 0.6).
    const row = logitsOf([0.4, 0.3, 0.2, 0.1]);
    expect(Array.from(candidateDistribution(row, 1, 0.5, 2).ids)).toEqual([0]);
    expect(Array.from(candidateDistribution(row, 1, 0.6, 2).ids)).toEqual([0, 1]);
    // Against the full mass 0.4 + 0.3 = 0.7 < 0.75 would have needed token 2; top-k forbids it.
    expect(Array.from(candidateDistribution(row, 1, 0.75, 2).ids)).toEqual([0, 1]);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const rng = createRng(31);
    const row = new Float32Array(8192);
    for (let i = 0; i < row.length; i++) row[i] = gaussian(rng);
    const run = (seed: number, s: Sampling): number[] => {
      const r = createRng(deriveSeed(seed, 0));
      return Array.from({ length: 4 }, () => sampleToken(row, s, r));
    };
    for (const s of [PAPER_SAMPLING, sample(1, 1, 0), sample(1, 0.9, 500)]) {
      const first = run(1, s);
      expect(run(1, s)).toEqual(first);
      expect(run(2, s)).not.toEqual(first);
    }
  });

  it('picks uniformly among +Infinity logits and ignores NaN / -Infinity', () => {
    const row = new Float64Array([0, Infinity, Number.NaN, Infinity, -Infinity, 5]);
    const c = counts(row, sample(1, 1, 0), 4000, 8);
    expect(c[0]! + c[2]! + c[4]! + c[5]!).toBe(0);
    expect(chiSquare([c[1]!, c[3]!], [0.5, 0.5])).toBeLessThan(10.83);
    const d = candidateDistribution(row, 0.6, 0.95, 0);
    expect(Array.from(d.ids)).toEqual([1, 3]);
    const nanRow = new Float64Array([Number.NaN, 2, -Infinity, 1]);
    expect(Array.from(candidateDistribution(nanRow, 1, 1, 0).ids)).toEqual([1, 3]);
    expect(counts(nanRow, sample(1, 1, 0), 500, 1)[0]).toBe(0);
  });

  it('throws when no logit is usable', () => {
    const row = new Float64Array([Number.NaN, -Infinity]);
    expect(() => sampleToken(row, PAPER_SAMPLING, createRng(0))).toThrow(RangeError);
    expect(() => sampleToken(row, sample(1, 1, 0), createRng(0))).toThrow(RangeError);
    expect(() => candidateDistribution(new Float64Array(0), 1, 1, 0)).toThrow(RangeError);
  });
});

describe('candidateDistribution: small rows by hand', () => {
  const row = logitsOf([0.5, 0.3, 0.15, 0.05]);

  it('top_p 0.7 keeps exactly {0, 1}', () => {
    const d = candidateDistribution(row, 1, 0.7, 0);
    expect(Array.from(d.ids)).toEqual([0, 1]);
    expect(d.probs[0]).toBeCloseTo(0.625, 12);
    expect(d.probs[1]).toBeCloseTo(0.375, 12);
  });

  it('top_p 0.8 keeps {0, 1}: the prefix reaching 0.8 exactly is enough', () => {
    expect(Array.from(candidateDistribution(row, 1, 0.8, 0).ids)).toEqual([0, 1]);
  });

  it('top_p 0.81 keeps {0, 1, 2}', () => {
    const d = candidateDistribution(row, 1, 0.81, 0);
    expect(Array.from(d.ids)).toEqual([0, 1, 2]);
    expect(d.probs[2]).toBeCloseTo(0.15 / 0.95, 12);
  });

  it('top_p below the top probability keeps just the top token', () => {
    expect(Array.from(candidateDistribution(row, 1, 0.3, 0).ids)).toEqual([0]);
    expect(Array.from(candidateDistribution(row, 1, 1e-9, 0).ids)).toEqual([0]);
  });

  it('top_p 1 keeps everything with the plain softmax', () => {
    const d = candidateDistribution(row, 1, 1, 0);
    expect(Array.from(d.ids)).toEqual([0, 1, 2, 3]);
    [0.5, 0.3, 0.15, 0.05].forEach((p, i) => expect(d.probs[i]).toBeCloseTo(p, 12));
  });

  it('sorts by probability descending, ties by id, whatever the input order', () => {
    const d = candidateDistribution([0.1, 2, 0.5, 2, -1], 1, 1, 0);
    expect(Array.from(d.ids)).toEqual([1, 3, 2, 0, 4]);
    const sum = d.probs.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 14);
    for (let j = 1; j < d.probs.length; j++) expect(d.probs[j]!).toBeLessThanOrEqual(d.probs[j - 1]!);
  });

  it('leaves out tokens whose probability underflows to 0', () => {
    const d = candidateDistribution([0, -1000, -2], 1, 1, 0);
    expect(Array.from(d.ids)).toEqual([0, 2]);
    expect(Array.from(candidateDistribution([0, -1, -2], 0.001, 1, 3).ids)).toEqual([0]);
  });

  it('accepts Float32Array rows', () => {
    const d = candidateDistribution(new Float32Array([0, 1, 2]), 1, 1, 0);
    expect(Array.from(d.ids)).toEqual([2, 1, 0]);
  });
});

describe('candidateDistribution matches a brute-force full sort on 151,936-wide rows', { timeout: 60_000 }, () => {
  const rng = createRng(20_250_101);

  const llmRow = (): Float32Array => {
    // Broad bulk plus a handful of strong candidates, like a real LM head.
    const row = new Float32Array(VOCAB);
    for (let i = 0; i < VOCAB; i++) row[i] = gaussian(rng) * 2.5;
    const hot = [17, 4242, 99_999, 151_935, 600, 80_000];
    const vals = [18, 17.5, 15, 15, 14, 12];
    hot.forEach((id, j) => (row[id] = vals[j]!));
    return row;
  };

  const settings: readonly (readonly [number, number, number])[] = [
    [0.6, 0.95, 0],
    [1, 0.9, 0],
    [1.5, 0.99, 0],
    [0.3, 0.5, 0],
    [0.6, 0.95, 20],
    [1, 1, 50],
    [1, 0.8, 3],
    [5, 0.95, 0],
  ];

  it('LLM-like rows with a few high logits', () => {
    for (let r = 0; r < 3; r++) {
      const row = llmRow();
      for (const [t, p, k] of settings) expectMatchesReference(row, t, p, k);
    }
  });

  it('a flat row (every logit tied) falls back to sorting everything', () => {
    const row = new Float32Array(VOCAB);
    expect(expectMatchesReference(row, 1, 0.95, 0)).toBe(Math.ceil(VOCAB * (0.95 - 1e-9)));
    // HF keeps every tie with the k-th score, so top_k does not cut a flat row.
    expect(expectMatchesReference(row, 1, 1, 100)).toBe(VOCAB);
    expectMatchesReference(row, 0.6, 0.5, 0);
  });

  it('near-flat random rows (all candidates within one nat)', () => {
    const row = new Float64Array(VOCAB);
    for (let i = 0; i < VOCAB; i++) row[i] = rng.next();
    expectMatchesReference(row, 1, 0.95, 0);
    expectMatchesReference(row, 1, 0.3, 0);
    expectMatchesReference(row, 1, 0.95, 1000);
  });

  it('widely spread rows need many buckets', () => {
    const row = new Float64Array(VOCAB);
    for (let i = 0; i < VOCAB; i++) row[i] = -40 * rng.next();
    for (const [t, p, k] of settings) expectMatchesReference(row, t, p, k);
  });

  it('one high logit over a flat tail that holds much of the mass', () => {
    // e^12 vs 151,935·e^0: the top token holds ~52%, so the nucleus must reach
    // down 12 nats into the tail — far past a fixed δ window.
    const row = new Float64Array(VOCAB);
    row[77] = 12;
    expect(expectMatchesReference(row, 1, 0.95, 0)).toBeGreaterThan(100_000);
    expect(expectMatchesReference(row, 1, 0.5, 0)).toBe(1);
    expectMatchesReference(row, 0.6, 0.95, 0);
  });

  it('quantised logits with many ties, plus NaN and -Infinity entries', () => {
    const row = new Float32Array(VOCAB);
    for (let i = 0; i < VOCAB; i++) row[i] = Math.round(gaussian(rng) * 4) / 2;
    for (let i = 0; i < 500; i++) {
      row[Math.floor(rng.next() * VOCAB)] = Number.NaN;
      row[Math.floor(rng.next() * VOCAB)] = -Infinity;
    }
    for (const [t, p, k] of [...settings, [1, 0.95, 40], [0.6, 1, 7]] as const) expectMatchesReference(row, t, p, k);
  });

  it('decides exactly when the tail bounds are ambiguous (exact-Z fallback)', () => {
    // Top token, 15,000 jittered tokens ~5 nats down (weight ≈ 0.0067 each),
    // and 60,000 tokens ~12.5 nats down whose mass (≈ 0.22) is only bracketed
    // by the bucket counts, within (0.14, 0.37). That bracket spans dozens of
    // mid tokens, so the cut cannot be decided without summing Z.
    const row = new Float64Array(VOCAB).fill(-Infinity);
    row[0] = 0;
    for (let i = 1; i <= 15_000; i++) row[i * 3] = -5 - 0.01 * rng.next();
    for (let i = 0; i < 60_000; i++) row[70_000 + i] = -12.5 + 0.01 * rng.next();
    const tailBefore = samplerDiagnostics.exactTailPasses;
    const massBefore = samplerDiagnostics.exactMassPasses;
    for (const p of [0.5, 0.7, 0.9]) expectMatchesReference(row, 1, p, 0);
    expect(samplerDiagnostics.exactTailPasses).toBe(tailBefore + 3);
    expect(samplerDiagnostics.exactMassPasses).toBe(massBefore);
  });

  it('ranks only the boundary bucket of broad rows (exact per-bucket masses)', () => {
    // N(0, 1) logits at T = 0.6: the nucleus spans most of the row, so the
    // lazy plan would rank too much and the exact-mass plan takes over.
    const row = new Float32Array(VOCAB);
    for (let i = 0; i < VOCAB; i++) row[i] = gaussian(rng);
    const before = samplerDiagnostics.exactMassPasses;
    expectMatchesReference(row, 0.6, 0.95, 0);
    expectMatchesReference(row, 1, 0.5, 0);
    expect(samplerDiagnostics.exactMassPasses).toBe(before + 2);
  });

  it('falls back to exact masses when the nucleus reaches past the lazy candidates', () => {
    // The top token holds ~45%; the rest is spread ~12 nats down over half
    // the row, so a nucleus of 0.95 needs tokens the lazy plan did not collect.
    const row = new Float64Array(VOCAB).fill(-Infinity);
    row[77] = 12;
    for (let i = 0; i < VOCAB; i += 2) row[i] = -0.5 * rng.next();
    const before = samplerDiagnostics.exactMassPasses;
    expect(expectMatchesReference(row, 1, 0.95, 0)).toBeGreaterThan(1000);
    expect(expectMatchesReference(row, 1, 0.3, 0)).toBe(1);
    expect(samplerDiagnostics.exactMassPasses).toBeGreaterThan(before);
  });

  it('draws the full softmax exactly, including the uncollected tail', () => {
    // 500 tokens near the top and 500 tokens ~9.5 nats down: the tail is
    // not collected, and its bracket straddles many draw boundaries.
    const n = 1000;
    const row = new Float64Array(n);
    for (let i = 0; i < n; i++) row[i] = i % 2 === 0 ? -0.1 * rng.next() : -9.5 + 0.1 * rng.next();
    const rowMax = Math.max(...row);
    const w = Array.from(row, (v) => Math.exp(v - rowMax));
    const z = w.reduce((a, b) => a + b, 0);
    const tailP = w.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0) / z;

    const before = samplerDiagnostics.exactTailPasses;
    const s = sample(1, 1, 0);
    const draws = 20_000;
    const c = counts(row, s, draws, 77);
    expect(samplerDiagnostics.exactTailPasses).toBeGreaterThan(before);
    // Group into head / tail; and the head's first 10 tokens individually.
    const tail = c.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0);
    const obs = [tail, ...[0, 2, 4, 6, 8].map((i) => c[i]!)];
    const exp = [tailP, ...[0, 2, 4, 6, 8].map((i) => w[i]! / z)];
    obs.push(draws - obs.reduce((a, b) => a + b, 0));
    exp.push(1 - exp.reduce((a, b) => a + b, 0));
    // 6 dof; the 0.999 quantile is 22.46.
    expect(chiSquare(obs, exp)).toBeLessThan(22.46);

    // A draw at the very top of [0, 1) must land in the tail, which is walked last.
    const top: Rng = { next: () => 1 - 2 ** -32 };
    expect(sampleToken(row, s, top) % 2).toBe(1);
    const bottom: Rng = { next: () => 0 };
    expect(sampleToken(row, s, bottom)).toBe(0);
  });

  it('sampleToken only returns ids from the candidate set', () => {
    const row = llmRow();
    const { ids } = candidateDistribution(row, 0.6, 0.95, 0);
    const allowed = new Set(ids);
    const r = createRng(4);
    for (let i = 0; i < 50; i++) expect(allowed.has(sampleToken(row, PAPER_SAMPLING, r))).toBe(true);
  });
});

describe('sampleToken draws what a full-sort sampler draws for the same random number', { timeout: 60_000 }, () => {
  /**
   * The obvious sampler: sort the whole row (reference() above), keep the nucleus, then walk the
   * kept tokens in id order with their weights exp(-(max − logit) / T) until their cumulative sum
   * passes u times their total — the draw sampleToken has always made.
   */
  function fullSortSampler(logits: ArrayLike<number>, s: Sampling): (u: number) => number {
    if (s.kind === 'greedy') return () => byLogit(logits).order[0]!;
    const ids = Int32Array.from(reference(logits, s.temperature, s.topP, s.topK).ids).sort();
    const m = byLogit(logits).values[0]!;
    const invT = 1 / s.temperature;
    const w = Float64Array.from(ids, (i) => Math.exp(-((m - logits[i]!) * invT)));
    const total = w.reduce((a, b) => a + b, 0);
    return (u) => {
      let acc = 0;
      for (let j = 0; j < ids.length; j++) {
        acc += w[j]!;
        if (u * total < acc) return ids[j]!;
      }
      return ids[ids.length - 1]!;
    };
  }

  const rng = createRng(9_090_909);
  const rows: [string, Float32Array][] = [
    // The random-weight stand-in's rows: N(0, 1), the nucleus holds half the vocabulary.
    ['flat N(0, 1)', Float32Array.from({ length: VOCAB }, () => gaussian(rng))],
    ['flat N(0, 0.3)', Float32Array.from({ length: VOCAB }, () => 0.3 * gaussian(rng))],
    // A trained model's rows: a few strong candidates over a broad bulk.
    [
      'peaked',
      (() => {
        const row = Float32Array.from({ length: VOCAB }, () => 2.5 * gaussian(rng));
        [17, 4242, 99_999, 151_935].forEach((id, j) => (row[id] = [18, 17.5, 15, 15][j]!));
        return row;
      })(),
    ],
    [
      'peaked, one token over a flat tail',
      (() => {
        const row = Float32Array.from({ length: VOCAB }, () => 0.5 * gaussian(rng));
        row[1234] = 9;
        return row;
      })(),
    ],
  ];
  const settings: Sampling[] = [sample(0.6, 0.95, 0), { kind: 'greedy' }, sample(1, 0.9, 0)];
  const us = [0, 1 - 2 ** -32, ...Array.from({ length: 38 }, () => rng.next())];

  it.each(rows)('%s rows', (_, row) => {
    for (const s of settings) {
      const got = us.map((u) => sampleToken(row, s, { next: () => u }));
      const want = us.map(fullSortSampler(row, s));
      expect({ s, tokens: got }).toEqual({ s, tokens: want });
    }
  });
});
