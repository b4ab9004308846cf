/**
 * Token selection from one row of logits: greedy, or temperature → top-k →
 * top-p (nucleus) sampling with the semantics of HF transformers' logits
 * warpers applied in that order.
 *
 * Runs once per generated token on a 151,936-wide row in the browser, so the
 * sampling path never sorts the vocabulary, and on a peaked row does not even
 * exponentiate all of it; the comment above `NB` explains why the shortcuts
 * still give exactly the full-sort result (up to float rounding of sums).
 */

import type { Rng } from './rng.ts';

export type Sampling =
  | { readonly kind: 'greedy' }
  | {
      readonly kind: 'sample';
      readonly temperature: number;
      readonly topP: number;
      /** 0 = off. */
      readonly topK: number;
      /** Not used here: the caller seeds the Rng from it (see rng.ts deriveSeed). */
      readonly seed: number;
    };

export type RandomSampling = Extract<Sampling, { readonly kind: 'sample' }>;

/** The settings the E1 paper evaluates with. */
export const PAPER_SAMPLING: RandomSampling = Object.freeze({
  kind: 'sample',
  temperature: 0.6,
  topP: 0.95,
  topK: 0,
  seed: 0,
});

export const MAX_TEMPERATURE = 5;

/** Returns a human-readable problem with `s`, or null when it is usable. */
export function validateSampling(s: Sampling): string | null {
  if (s.kind === 'greedy') return null;
  if (s.kind !== 'sample') {
    return `unknown sampling kind ${JSON.stringify((s as { readonly kind: unknown }).kind)}`;
  }
  const { temperature, topP, topK, seed } = s;
  // typeof checks too: settings arrive from the UI / URL and may not be numbers.
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0 || temperature > MAX_TEMPERATURE) {
    return `temperature must be a finite number greater than 0 and at most ${MAX_TEMPERATURE} (got ${String(temperature)})`;
  }
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) {
    return `topP must be greater than 0 and at most 1 (got ${String(topP)})`;
  }
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 0) {
    return `topK must be an integer >= 0, where 0 turns it off (got ${String(topK)})`;
  }
  if (typeof seed !== 'number' || !Number.isInteger(seed)) {
    return `seed must be a finite integer (got ${String(seed)})`;
  }
  return null;
}

/**
 * Index of the first maximum. NaN never wins; -1 for an empty or all-NaN row
 * (a row of -Infinity still has a maximum: index 0).
 */
export function argmax(logits: ArrayLike<number>): number {
  const n = logits.length;
  let best = -1;
  let bestV = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (v > bestV) {
      bestV = v;
      best = i;
    } else if (best < 0 && v === -Infinity) {
      best = i;
    }
  }
  return best;
}

/**
 * Picks the next token. Greedy is argmax and draws nothing; sampling draws
 * exactly one `rng.next()` per call, so a seeded Rng replays a generation.
 * Throws RangeError for invalid settings or a row with no usable logit.
 */
export function sampleToken(logits: Float32Array | Float64Array, s: Sampling, rng: Rng | null): number {
  if (s.kind === 'greedy') {
    const i = argmax(logits);
    if (i < 0) throw new RangeError('argmax: logits row is empty or all NaN');
    return i;
  }
  const err = validateSampling(s);
  if (err !== null) throw new RangeError(err);
  if (rng === null) throw new Error('sampling needs an Rng (createRng(deriveSeed(seed, stream)))');

  // Nothing is cut: draw straight from the full softmax, no candidate set or sort.
  if (s.topP >= 1 && (s.topK === 0 || s.topK >= logits.length)) {
    return sampleFullSoftmax(logits, s.temperature, rng);
  }

  const count = buildDistribution(logits, s.temperature, s.topP, s.topK);
  const u = rng.next() * scratch.total;
  let acc = 0;
  for (let j = 0; j < count; j++) {
    acc += scratch.w[j]!;
    if (u < acc) return scratch.ids[j]!;
  }
  // Only reachable through rounding; the last kept token has weight > 0.
  return scratch.ids[count - 1]!;
}

/**
 * The renormalised distribution that `sampleToken` draws from, sorted by
 * probability descending (ties: lower id first). Tokens whose probability
 * underflows to exactly 0 are left out, since they can never be drawn.
 * Exported for the tests and the benchmark, which compare it with a full sort.
 */
export function candidateDistribution(
  logits: ArrayLike<number>,
  temperature: number,
  topP: number,
  topK: number,
): { readonly ids: Int32Array; readonly probs: Float64Array } {
  const err = validateSampling({ kind: 'sample', temperature, topP, topK, seed: 0 });
  if (err !== null) throw new RangeError(err);
  const count = buildDistribution(logits, temperature, topP, topK);
  const { ids: keptIds, w, total } = scratch;
  // Only this API pays for ordering ids; sampleToken draws in id order.
  const order = Array.from({ length: count }, (_, j) => j);
  order.sort((a, b) => w[b]! - w[a]! || keptIds[a]! - keptIds[b]!);
  const ids = new Int32Array(count);
  const probs = new Float64Array(count);
  order.forEach((pos, j) => {
    ids[j] = keptIds[pos]!;
    probs[j] = w[pos]! / total;
  });
  return { ids, probs };
}

/**
 * How often the slower exact paths ran (for tests and the benchmark). Not
 * part of the sampling semantics.
 */
export const samplerDiagnostics = {
  /** Rows where the tail bounds could not decide and the tail was summed exactly. */
  exactTailPasses: 0,
  /** Rows cut via exact per-bucket masses (broad rows, or the lazy plan fell short). */
  exactMassPasses: 0,
};

// ---------------------------------------------------------------------------
//
// Why the shortcut is exact. With m the max logit, every token's probability
// is exp(-d) / Z with d = (m − logit) / T ≥ 0, so the ranking by probability
// is the ranking by d (ties: lower id first), and every token with d < D
// outranks every token with d ≥ D. So for any threshold D:
//  - if at least k tokens have d < D, the top-k set lies entirely below D;
//  - the nucleus (shortest prefix of the ranking whose mass reaches topP·Z) is
//    found by walking the tokens below D in rank order; if the walk reaches
//    topP·Z, no token at or above D can be in it.
// Ranking only the tokens below D therefore gives exactly the full-sort result.
//
// D is a whole number of nats: a cheap pass counts tokens per one-nat bucket
// of d. A token in bucket b has weight in (e^-(b+1), e^-b], so those counts
// bracket the mass of any set of buckets without a single exp. That lets a
// peaked row skip summing Z over the 151,936 logits (the dominant cost): if
// both ends of Z's bracket put the cut at the same token, that is the exact
// answer; otherwise the tail is summed exactly. Broad rows, where the nucleus
// spans many buckets anyway, sum exact per-bucket masses instead, which pins
// the cut to one bucket.
//
// The kept set is a prefix of the ranking, i.e. every token with d < d* plus
// the lowest-id tokens tied at d*. Finding d* is a selection, not a sort: the
// same bucketing is applied recursively inside the bucket holding the cut
// (a radix select by mass or by count), and only the last few dozen values
// are sorted. Equal d values always share a sub-bucket, so ties stay together.

/** Buckets of one scaled nat below the max; the last catches everything lower. */
const NB = 64;

/**
 * Top-p stops once the kept mass is within this of topP, so a boundary that
 * is exact on paper (e.g. 0.5 + 0.3 vs topP = 0.8) is not decided by float
 * rounding of the softmax. Far below any probability that matters.
 */
const TOP_P_SLACK = 1e-9;

/** Per-token weight bounds for each bucket, widened a hair for exp rounding. */
const BUCKET_HI = Float64Array.from({ length: NB }, (_, b) => Math.exp(-b) * (1 + 1e-12));
const BUCKET_LO = Float64Array.from({ length: NB }, (_, b) => (b < NB - 1 ? Math.exp(-(b + 1)) * (1 - 1e-12) : 0));

/** Above this share of the row, the lazy plan would collect too much: use exact masses. */
const LAZY_MAX_SHARE = 1 / 4;

/** Sub-buckets per selection step, and the size at which selection just sorts. */
const SUB = 256;
const SMALL = 64;

/** Reused between calls: one row at a time, no reentrancy. */
const scratch = {
  /** Collected candidates in id order: id, d, weight exp(-d). */
  candId: new Int32Array(1024),
  candD: new Float64Array(1024),
  candW: new Float64Array(1024),
  /** Sum of candW over the collected candidates. */
  collected: 0,
  /** Selection work space: d values and their weights, reordered in place. */
  workD: new Float64Array(1024),
  workW: new Float64Array(1024),
  /** Output: kept ids in id order with their unnormalised weights. */
  ids: new Int32Array(1024),
  w: new Float64Array(1024),
  total: 0,
  counts: new Float64Array(NB),
  masses: new Float64Array(NB),
  subCounts: new Float64Array(SUB),
  subMasses: new Float64Array(SUB),
  /** Per-token weights of the whole row, kept by the exact-mass pass for reuse. */
  rowW: new Float64Array(0),
};

/**
 * The cut found by selection: the kept prefix is every collected token with
 * d < dStar plus the first `ties` tokens (by id) with d === dStar; `acc` is the
 * prefix's cumulative mass as summed by the selection.
 */
const cut = { dStar: 0, ties: 0, acc: 0 };

function ensureCapacity(c: number): void {
  if (scratch.candId.length >= c) return;
  const size = Math.max(c, scratch.candId.length * 2);
  scratch.candId = new Int32Array(size);
  scratch.candD = new Float64Array(size);
  scratch.candW = new Float64Array(size);
  scratch.workD = new Float64Array(size);
  scratch.workW = new Float64Array(size);
  scratch.ids = new Int32Array(size);
  scratch.w = new Float64Array(size);
}

/** A +Infinity logit dominates everything: uniform over the +Infinity tokens. */
function infinityRow(logits: ArrayLike<number>): Float64Array {
  const row = new Float64Array(logits.length);
  for (let i = 0; i < row.length; i++) row[i] = logits[i] === Infinity ? 0 : -Infinity;
  return row;
}

function maxLogit(logits: ArrayLike<number>): number {
  let m = -Infinity;
  const n = logits.length;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (v > m) m = v;
  }
  if (m === -Infinity) throw new RangeError('no logit is a number above -Infinity (row is empty, NaN or -Infinity)');
  return m;
}

/**
 * Counts tokens per bucket of d; returns how many are usable. NaN and
 * -Infinity have weight 0 and are never candidates. Every pass computes d with
 * this same expression, so bucket membership agrees between passes.
 */
function countBuckets(logits: ArrayLike<number>, m: number, invT: number): number {
  const counts = scratch.counts;
  counts.fill(0);
  const n = logits.length;
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (!(v > -Infinity)) continue;
    const d = (m - v) * invT;
    counts[d < NB - 1 ? d | 0 : NB - 1]! += 1;
    valid++;
  }
  return valid;
}

function countUpTo(B: number): number {
  let c = 0;
  for (let b = 0; b <= B; b++) c += scratch.counts[b]!;
  return c;
}

/** Upper / lower bound on the total weight of the buckets after `B`. */
function tailHi(B: number): number {
  let s = 0;
  for (let b = B + 1; b < NB; b++) s += scratch.counts[b]! * BUCKET_HI[b]!;
  return s;
}
function tailLo(B: number): number {
  let s = 0;
  for (let b = B + 1; b < NB; b++) s += scratch.counts[b]! * BUCKET_LO[b]!;
  return s;
}

/**
 * Bucket to collect up to for the lazy plan: minimises the expected number of
 * exp calls, i.e. the tokens collected plus a full row pass weighted by the
 * chance the bracketed tail matters (bounded by its share of the mass).
 */
function lazyBucket(valid: number): number {
  let best = NB - 1;
  let bestCost = valid;
  let lo = 0;
  let count = 0;
  for (let B = 0; B < NB - 1; B++) {
    count += scratch.counts[B]!;
    lo += scratch.counts[B]! * BUCKET_LO[B]!;
    // The max token alone has weight 1.
    const cost = count + (valid * tailHi(B)) / Math.max(1, lo);
    if (cost < bestCost) {
      bestCost = cost;
      best = B;
    }
  }
  return best;
}

/** `floor(d) <= B  ⇔  d < B + 1`, so this matches the bucket index exactly. */
function limitOf(B: number): number {
  return B === NB - 1 ? Infinity : B + 1;
}

/**
 * Collects the tokens in buckets <= B, in id order, with their weights (taken
 * from rowW when a full pass already computed them).
 */
function collect(logits: ArrayLike<number>, m: number, invT: number, B: number, rowW: Float64Array | null = null): number {
  ensureCapacity(countUpTo(B));
  const { candId, candD, candW } = scratch;
  const limit = limitOf(B);
  const n = logits.length;
  let mass = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (!(v > -Infinity)) continue;
    const d = (m - v) * invT;
    if (d < limit) {
      const w = rowW === null ? Math.exp(-d) : rowW[i]!;
      candId[c] = i;
      candD[c] = d;
      candW[c] = w;
      mass += w;
      c++;
    }
  }
  scratch.collected = mass;
  return c;
}

/** Exact total weight of the tokens in buckets after `B`. */
function exactTail(logits: ArrayLike<number>, m: number, invT: number, B: number): number {
  samplerDiagnostics.exactTailPasses++;
  const limit = limitOf(B);
  const n = logits.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (!(v > -Infinity)) continue;
    const d = (m - v) * invT;
    if (!(d < limit)) s += Math.exp(-d);
  }
  return s;
}

/** Loads the collected candidates with from <= d <= upTo into the work space. */
function loadWork(c: number, from: number, upTo: number): number {
  const { candD, candW, workD, workW } = scratch;
  let k = 0;
  for (let j = 0; j < c; j++) {
    const d = candD[j]!;
    if (d >= from && d <= upTo) {
      workD[k] = d;
      workW[k] = candW[j]!;
      k++;
    }
  }
  return k;
}

/**
 * Sub-bucket of v within [lo, lo + span]: monotone in v, so sub-buckets are
 * contiguous runs of the ranking.
 */
function subOf(v: number, lo: number, span: number): number {
  const s = (((v - lo) / span) * SUB) | 0;
  return s < SUB ? s : SUB - 1;
}

/** Keeps only the work entries in sub-bucket s; returns how many. */
function compactTo(len: number, s: number, lo: number, span: number): number {
  const { workD, workW } = scratch;
  let k = 0;
  for (let j = 0; j < len; j++) {
    const v = workD[j]!;
    if (subOf(v, lo, span) === s) {
      workD[k] = v;
      workW[k] = workW[j]!;
      k++;
    }
  }
  return k;
}

function setCut(dStar: number, ties: number, acc: number): true {
  cut.dStar = dStar;
  cut.ties = ties;
  cut.acc = acc;
  return true;
}

/**
 * Finds the shortest prefix of the ranking of work[0, len) whose mass, on top
 * of acc0, reaches target, and stores it in `cut`. Returns false if the whole
 * set does not reach it. Once a sub-bucket was chosen because its mass reached
 * the target, a shortfall inside it can only be rounding: it is kept whole.
 */
function cutByMass(len: number, acc0: number, target: number): boolean {
  const { workD, workW, subCounts, subMasses } = scratch;
  let acc = acc0;
  let nested = false;
  for (;;) {
    if (len <= SMALL) {
      const part = workD.subarray(0, len).sort();
      for (let j = 0; j < len; j++) {
        acc += Math.exp(-part[j]!);
        if (acc >= target) {
          let first = j;
          while (first > 0 && part[first - 1] === part[j]) first--;
          return setCut(part[j]!, j - first + 1, acc);
        }
      }
      return nested && len > 0 && setCut(part[len - 1]!, Infinity, acc);
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < len; j++) {
      const v = workD[j]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo === hi) {
      // All tied: equal weights, so count how many are needed.
      const w = Math.exp(-lo);
      for (let j = 0; j < len; j++) {
        acc += w;
        if (acc >= target) return setCut(lo, j + 1, acc);
      }
      return nested && setCut(lo, Infinity, acc);
    }
    const span = hi - lo;
    subCounts.fill(0);
    subMasses.fill(0);
    for (let j = 0; j < len; j++) {
      const s = subOf(workD[j]!, lo, span);
      subCounts[s]! += 1;
      subMasses[s]! += workW[j]!;
    }
    let s = 0;
    for (; s < SUB; s++) {
      if (subCounts[s]! === 0) continue;
      if (acc + subMasses[s]! >= target) break;
      acc += subMasses[s]!;
    }
    if (s === SUB) return nested && setCut(hi, Infinity, acc);
    len = compactTo(len, s, lo, span);
    nested = true;
  }
}

/** The k-th smallest (1-based) of work[0, len), by the same sub-bucketing. */
function selectKth(len: number, k: number): number {
  const { workD, subCounts } = scratch;
  for (;;) {
    if (len <= SMALL) return workD.subarray(0, len).sort()[k - 1]!;
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < len; j++) {
      const v = workD[j]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo === hi) return lo;
    const span = hi - lo;
    subCounts.fill(0);
    for (let j = 0; j < len; j++) subCounts[subOf(workD[j]!, lo, span)]! += 1;
    let s = 0;
    for (; s < SUB - 1 && k > subCounts[s]!; s++) k -= subCounts[s]!;
    len = compactTo(len, s, lo, span);
  }
}

/** Writes the collected tokens inside `cut`, in id order, to the output. */
function emitPrefix(c: number): number {
  const { dStar } = cut;
  let ties = cut.ties;
  const { candId, candD, candW, ids, w } = scratch;
  let total = 0;
  let out = 0;
  for (let j = 0; j < c; j++) {
    const d = candD[j]!;
    if (d > dStar) continue;
    if (d === dStar) {
      if (ties === 0) continue;
      ties--;
    }
    const wj = candW[j]!;
    if (wj === 0) continue; // underflowed: can never be drawn
    ids[out] = candId[j]!;
    w[out] = wj;
    total += wj;
    out++;
  }
  scratch.total = total;
  return out;
}

/**
 * Fills scratch.ids / scratch.w (id order) and scratch.total with the tokens
 * kept by temperature → top-k → top-p, and returns how many there are.
 */
function buildDistribution(logits: ArrayLike<number>, temperature: number, topP: number, topK: number): number {
  const m = maxLogit(logits);
  if (m === Infinity) return buildDistribution(infinityRow(logits), temperature, topP, topK);
  // One reciprocal, then multiplies: the row is scaled by 1/T.
  const invT = 1 / temperature;
  const valid = countBuckets(logits, m, invT);
  const t = topP - TOP_P_SLACK;

  if (topK > 0 && topK < valid) {
    // Top-k needs no Z: just enough buckets to hold k tokens.
    let B = 0;
    for (let c = 0; B < NB - 1; B++) {
      c += scratch.counts[B]!;
      if (c >= topK) break;
    }
    const c = collect(logits, m, invT, B);
    // HF's TopKLogitsWarper removes scores < the k-th largest, so ties with
    // the k-th score are all kept.
    const kth = selectKth(loadWork(c, 0, Infinity), topK);
    if (topP < 1) {
      // Top-p then sees the distribution renormalised over the top-k set,
      // whose mass is known exactly. Not reaching it is rounding: keep all.
      const len = loadWork(c, 0, kth);
      let norm = 0;
      for (let j = 0; j < len; j++) norm += scratch.workW[j]!;
      if (cutByMass(len, 0, t * norm)) return emitPrefix(c);
    }
    setCut(kth, Infinity, 0);
    return emitPrefix(c);
  }

  if (topP >= 1) {
    setCut(Infinity, Infinity, 0);
    return emitPrefix(collect(logits, m, invT, NB - 1));
  }

  // Top-p alone. HF keeps a token iff the mass ranked strictly above it is
  // < topP, i.e. the shortest prefix whose cumulative mass reaches topP (at
  // least one token). Tied tokens have equal weights, so prefix sums do not
  // depend on how ties are ordered.
  const B = lazyBucket(valid);
  if (countUpTo(B) <= valid * LAZY_MAX_SHARE) {
    const c = collect(logits, m, invT, B);
    const E = scratch.collected;
    // The cut is the same for every Z in the bracket iff the prefix reaching
    // the bottom of the bracket also reaches its top.
    if (cutByMass(loadWork(c, 0, Infinity), 0, t * (E + tailLo(B))) && cut.acc >= t * (E + tailHi(B))) {
      return emitPrefix(c);
    }
    if (B < NB - 1) {
      const Z = E + exactTail(logits, m, invT, B);
      if (cutByMass(loadWork(c, 0, Infinity), 0, t * Z)) return emitPrefix(c);
    }
    // The nucleus reaches past the collected buckets.
  }
  return topPFromExactMasses(logits, m, invT, t);
}

/**
 * Top-p via exact per-bucket masses: the cut lies in the first bucket where
 * the cumulative mass reaches t·Z, every token in earlier buckets is kept, and
 * only that bucket goes through selection.
 */
function topPFromExactMasses(logits: ArrayLike<number>, m: number, invT: number, t: number): number {
  samplerDiagnostics.exactMassPasses++;
  const { counts, masses } = scratch;
  masses.fill(0);
  const n = logits.length;
  if (scratch.rowW.length < n) scratch.rowW = new Float64Array(n);
  const rowW = scratch.rowW;
  let Z = 0;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (!(v > -Infinity)) continue;
    const d = (m - v) * invT;
    const w = Math.exp(-d);
    rowW[i] = w;
    masses[d < NB - 1 ? d | 0 : NB - 1]! += w;
    Z += w;
  }
  const target = t * Z;
  let bStar = -1;
  let before = 0;
  for (let b = 0; b < NB; b++) {
    if (counts[b]! === 0) continue;
    if (before + masses[b]! >= target) {
      bStar = b;
      break;
    }
    before += masses[b]!;
  }
  const c = collect(logits, m, invT, bStar < 0 ? NB - 1 : bStar, rowW);
  if (bStar < 0 || !cutByMass(loadWork(c, bStar, Infinity), before, target)) {
    // Rounding kept the sums just short of t·Z: every collected token is needed.
    setCut(Infinity, Infinity, 0);
  }
  return emitPrefix(c);
}

/**
 * Draws from the untruncated softmax without sorting. Walk order is the
 * collected tokens, then the rest, each in id order; the tail's mass is only
 * summed when the bracket on Z leaves the drawn token undecided.
 */
function sampleFullSoftmax(logits: Float32Array | Float64Array, T: number, rng: Rng): number {
  const m = maxLogit(logits);
  if (m === Infinity) return sampleFullSoftmax(infinityRow(logits), T, rng);
  const invT = 1 / T;
  const B = lazyBucket(countBuckets(logits, m, invT));
  const c = collect(logits, m, invT, B);
  const { candId, candW } = scratch;
  const E = scratch.collected;
  const u = rng.next();

  // Token j is drawn iff cum(j-1) <= u·Z < cum(j).
  const tLo = u * (E + tailLo(B));
  const tHi = u * (E + tailHi(B));
  let acc = 0;
  for (let j = 0; j < c; j++) {
    acc += candW[j]!;
    if (acc > tLo) {
      if (acc > tHi) return candId[j]!;
      break;
    }
  }

  const Z = B === NB - 1 ? E : E + exactTail(logits, m, invT, B);
  const target = u * Z;
  let lastPositive = -1;
  acc = 0;
  for (let j = 0; j < c; j++) {
    const wj = candW[j]!;
    if (wj > 0) lastPositive = candId[j]!;
    acc += wj;
    if (target < acc) return candId[j]!;
  }
  const limit = limitOf(B);
  const n = logits.length;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (!(v > -Infinity)) continue;
    const d = (m - v) * invT;
    if (d < limit) continue;
    const wi = Math.exp(-d);
    if (wi > 0) lastPositive = i;
    acc += wi;
    if (target < acc) return i;
  }
  // Only reachable through rounding.
  return lastPositive;
}
