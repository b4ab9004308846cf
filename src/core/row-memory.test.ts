import { describe, expect, it } from 'vitest';
import { describePlan, planRows, rowCacheBytes, type CacheLayout } from './row-memory.ts';

// E1-Math-1.5B: 28 layers, 2 KV heads of 128, float16 cache (q4f16).
const E1: CacheLayout = { layers: 28, kvHeads: 2, headDim: 128, bytesPerValue: 2 };
const GiB = 2 ** 30;

describe('row memory', () => {
  it('sizes a row cache from the layout', () => {
    expect(rowCacheBytes(E1, 4096)).toBe(112 * 2 ** 20);
  });

  it('batches the whole paper sweep when it fits: trunk + 4 lanes', () => {
    const p = planRows(E1, { maxBufferBytes: 128 * 2 ** 20, maxCacheBytes: 2 * GiB }, 4, 4500);
    expect(p).toMatchObject({ maxRows: 5, rowsWanted: 5 });
    expect(describePlan(p as never)).toMatch(/5 rows per step/);
  });

  it('a single run is one row', () => {
    expect(planRows(E1, { maxBufferBytes: GiB, maxCacheBytes: GiB }, 1, 4500)).toMatchObject({ maxRows: 1, rowsWanted: 1 });
  });

  it('takes fewer rows per step, down to the sequential order, when the cap is lower', () => {
    const row = rowCacheBytes(E1, 4500);
    expect(planRows(E1, { maxBufferBytes: GiB, maxCacheBytes: 3 * 3 * row }, 4, 4500)).toMatchObject({ maxRows: 3 });
    const seq = planRows(E1, { maxBufferBytes: GiB, maxCacheBytes: 3 * row }, 4, 4500);
    expect(seq).toMatchObject({ maxRows: 1 });
    expect(describePlan(seq as never)).toMatch(/one row per step \(batching 5 rows would not fit\)/);
    // The per-buffer limit counts one layer's keys for every row.
    const layer = row / (28 * 2);
    expect(planRows(E1, { maxBufferBytes: 2 * layer, maxCacheBytes: GiB * 8 }, 4, 4500)).toMatchObject({ maxRows: 2 });
  });

  it('refuses, with the numbers, what does not fit even one row at a time', () => {
    const p = planRows(E1, { maxBufferBytes: GiB, maxCacheBytes: 100 * 2 ** 20 }, 4, 4500);
    expect('error' in p && p.error).toMatch(/needs 369 MB of KV cache even one row at a time \(3 caches of 4,500 positions × 28 layers × 2 KV heads × 128 × 2 bytes = 123 MB each\), but this device allows 100 MB/);
  });
});
