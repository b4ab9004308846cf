import { describe, it, expect } from 'vitest';
import { createRng, deriveSeed, toSeed32, type Rng } from './rng.ts';

function take(rng: Rng, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(rng.next());
  return out;
}

describe('createRng', () => {
  it('replays the same stream for the same seed', () => {
    for (const seed of [0, 1, 42, 0xffffffff, -7, 1.5, 2 ** 40]) {
      expect(take(createRng(seed), 100)).toEqual(take(createRng(seed), 100));
    }
  });

  it('matches reference mulberry32 output for seed 0', () => {
    // Independent transcription of the published mulberry32 for a uint32 seed.
    let a = 0;
    const ref = (): number => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const rng = createRng(0);
    for (let i = 0; i < 50; i++) expect(rng.next()).toBe(ref());
  });

  it('gives different streams for different seeds', () => {
    const seeds = [0, 1, 2, 3, 42, 1000, 0xffffffff, -1, 0.5, 2 ** 32, 2 ** 32 + 1];
    const firsts = seeds.map((s) => take(createRng(s), 4).join(','));
    expect(new Set(firsts).size).toBe(seeds.length);
  });

  it('keeps every value in [0, 1)', () => {
    for (const seed of [0, 1, 123456789, 0xffffffff]) {
      const rng = createRng(seed);
      let bad = 0;
      for (let i = 0; i < 10_000; i++) {
        const x = rng.next();
        if (!(x >= 0 && x < 1)) bad++;
      }
      expect(bad).toBe(0);
    }
  });

  it('is roughly uniform: mean, variance and deciles over 10k draws', () => {
    const n = 10_000;
    const xs = take(createRng(2024), n);
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    // sd of the mean is sqrt(1/12 / n) ≈ 0.0029; allow ~5 sd.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.015);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.005);
    const bins = new Array<number>(10).fill(0);
    for (const x of xs) bins[Math.floor(x * 10)]! += 1;
    // Chi-square with 9 dof; the 0.999 quantile is 27.9.
    const chi2 = bins.reduce((a, o) => a + (o - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).toBeLessThan(27.9);
  });

  it('rejects non-finite seeds', () => {
    expect(() => createRng(Number.NaN)).toThrow(RangeError);
    expect(() => createRng(Infinity)).toThrow(RangeError);
  });
});

describe('toSeed32', () => {
  it('maps uint32 integers to themselves and everything else into uint32', () => {
    expect(toSeed32(0)).toBe(0);
    expect(toSeed32(123)).toBe(123);
    expect(toSeed32(0xffffffff)).toBe(0xffffffff);
    for (const s of [-1, 0.25, 2 ** 32, 2 ** 53, -(2 ** 40), Number.MAX_VALUE]) {
      const v = toSeed32(s);
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
    }
    // `>>> 0` would collide these.
    expect(toSeed32(2 ** 32)).not.toBe(toSeed32(0));
    expect(toSeed32(1.5)).not.toBe(toSeed32(1));
  });
});

describe('deriveSeed', () => {
  it('is a deterministic uint32', () => {
    for (const [seed, stream] of [[0, 0], [0, 1], [42, 7], [-3, 2], [0xffffffff, 0xffffffff]] as const) {
      const d = deriveSeed(seed, stream);
      expect(d).toBe(deriveSeed(seed, stream));
      expect(Number.isInteger(d) && d >= 0 && d < 2 ** 32).toBe(true);
    }
  });

  it('gives distinct seeds for distinct streams and seeds', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      for (let stream = 0; stream < 20; stream++) seen.add(deriveSeed(seed, stream));
    }
    expect(seen.size).toBe(50 * 20);
    // A sub-stream is not the parent stream.
    expect(deriveSeed(5, 0)).not.toBe(5);
  });

  it('gives streams that do not track each other', () => {
    const n = 10_000;
    const a = take(createRng(deriveSeed(7, 0)), n);
    const b = take(createRng(deriveSeed(7, 1)), n);
    expect(a.slice(0, 10)).not.toEqual(b.slice(0, 10));
    // Pearson correlation of independent uniforms: sd ≈ 1/sqrt(n) = 0.01.
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    const ma = mean(a);
    const mb = mean(b);
    let cov = 0;
    let va = 0;
    let vb = 0;
    for (let i = 0; i < n; i++) {
      cov += (a[i]! - ma) * (b[i]! - mb);
      va += (a[i]! - ma) ** 2;
      vb += (b[i]! - mb) ** 2;
    }
    expect(Math.abs(cov / Math.sqrt(va * vb))).toBeLessThan(0.05);
    // Nor is one a shifted copy of the other within the first draws.
    const setA = new Set(a);
    const shared = b.filter((x) => setA.has(x)).length;
    expect(shared).toBeLessThan(5);
  });

  it('separates adjacent seeds that mulberry32 would merely shift', () => {
    // Seeds that differ by the mulberry32 increment give the same stream
    // offset by one draw; derived seeds must not.
    const s = 1000;
    const shifted = take(createRng(s + 0x6d2b79f5), 5);
    expect(take(createRng(s), 6).slice(1)).toEqual(shifted);
    const d1 = take(createRng(deriveSeed(s, 0)), 6);
    const d2 = take(createRng(deriveSeed(s + 0x6d2b79f5, 0)), 5);
    expect(d1.slice(1)).not.toEqual(d2);
  });
});
