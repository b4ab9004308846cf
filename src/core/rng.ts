/**
 * Small seedable PRNG (mulberry32) plus a seed-derivation helper.
 *
 * Decoding only needs one uniform draw per token, so a 32-bit generator is
 * plenty; what matters is that a given seed replays the same tokens on every
 * browser and in the tests, which Math.random() cannot do.
 */

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
}

const TWO_POW_32 = 4294967296;

/** murmur3's 32-bit finaliser: a bijection on uint32 with good avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Maps any finite number to a uint32 seed. Integers in [0, 2^32) map to
 * themselves, so plain uint32 seeds behave like textbook mulberry32. Anything
 * else (negative, fractional, >= 2^32) is folded from its IEEE-754 bits so
 * that e.g. 1 and 1.5, or 0 and 2^32, do not collide as `>>> 0` would make them.
 */
export function toSeed32(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${String(seed)}`);
  if (Number.isInteger(seed) && seed >= 0 && seed < TWO_POW_32) return seed;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, seed);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  return fmix32(lo ^ fmix32(hi ^ 0x9e3779b9));
}

/** mulberry32: 32-bit state, period 2^32; same seed ⇒ same stream everywhere. */
export function createRng(seed: number): Rng {
  let state = toSeed32(seed);
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
    },
  };
}

/**
 * Derives a uint32 seed for sub-stream `stream` of `seed` (e.g. 0 = thinking
 * phase, 1 = solution phase), so phases do not share draws and changing one
 * phase's length does not shift the other's randomness.
 *
 * mulberry32's state just walks a fixed cycle, so seeds s and s + k·0x6d2b79f5
 * give the same stream shifted by k; mixing through fmix32 (a bijection) before
 * and after adding the stream index scatters sub-streams across the cycle.
 * For a fixed seed, distinct streams (mod 2^32) always give distinct seeds.
 */
export function deriveSeed(seed: number, stream: number): number {
  const base = fmix32(toSeed32(seed) ^ 0x243f6a88);
  const s = toSeed32(stream);
  // 0x9e3779b9 is odd, so s ↦ s·0x9e3779b9 is a bijection mod 2^32.
  return fmix32((base + Math.imul(s, 0x9e3779b9)) >>> 0);
}
