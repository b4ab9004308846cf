import { describe, expect, it } from 'vitest';
import { contextFor, describePlan, explainPlan, planRows, rowCacheBytes, rowsWanted, type CacheLayout, type RowPlan, type RunPlan } from './row-memory.ts';

// E1-Math-1.5B: 28 layers, 2 KV heads of 128, float16 cache (q4f16).
const E1: CacheLayout = { layers: 28, kvHeads: 2, headDim: 128, bytesPerValue: 2 };
const GiB = 2 ** 30;

describe('row memory', () => {
  it('sizes a row cache from the layout', () => {
    expect(rowCacheBytes(E1, 4096)).toBe(112 * 2 ** 20);
  });

  it('batches the whole paper sweep when it fits: trunk + 4 lanes', () => {
    const p = planRows(E1, { maxBufferBytes: 128 * 2 ** 20, maxCacheBytes: 2 * GiB }, 5, 4500);
    expect(p).toMatchObject({ maxRows: 5, rowsWanted: 5 });
    expect(describePlan(p as never)).toMatch(/5 rows per step/);
  });

  it('counts the rows of a run: each trace and its lanes, one row for a trace with one lane', () => {
    expect(rowsWanted([1])).toBe(1);
    expect(rowsWanted([4])).toBe(5);
    // Three seeds: one with a sweep of two budgets, two single lanes.
    expect(rowsWanted([2, 1, 1])).toBe(5);
  });

  it('a single run is one row', () => {
    expect(planRows(E1, { maxBufferBytes: GiB, maxCacheBytes: GiB }, 1, 4500)).toMatchObject({ maxRows: 1, rowsWanted: 1 });
  });

  it('takes fewer rows per step, down to the sequential order, when the cap is lower', () => {
    const row = rowCacheBytes(E1, 4500);
    expect(planRows(E1, { maxBufferBytes: GiB, maxCacheBytes: 3 * 3 * row }, 5, 4500)).toMatchObject({ maxRows: 3 });
    const seq = planRows(E1, { maxBufferBytes: GiB, maxCacheBytes: 3 * row }, 5, 4500);
    expect(seq).toMatchObject({ maxRows: 1 });
    expect(describePlan(seq as never)).toMatch(/one row per step \(batching 5 rows would not fit\)/);
    // The per-buffer limit counts one layer's keys for every row.
    const layer = row / (28 * 2);
    expect(planRows(E1, { maxBufferBytes: 2 * layer, maxCacheBytes: GiB * 8 }, 5, 4500)).toMatchObject({ maxRows: 2 });
  });

  it('refuses, with the numbers, what does not fit even one row at a time', () => {
    const p = planRows(E1, { maxBufferBytes: GiB, maxCacheBytes: 100 * 2 ** 20 }, 5, 4500);
    expect('error' in p && p.error).toMatch(/needs 369 MB of KV cache even one row at a time \(3 caches of 4,500 positions × 28 layers × 2 KV heads × 128 × 2 bytes = 123 MB each\), but this device allows 100 MB/);
  });

  it('explains the plan before a run: rows × cache per row, the limit, batched or sequential and why', () => {
    const limits = { maxBufferBytes: GiB, maxCacheBytes: 2 * GiB };
    const plan = (wanted: number, cap = limits.maxCacheBytes, because: string | null = null): RunPlan => ({
      ...(planRows(E1, { ...limits, maxCacheBytes: cap }, wanted, 4096) as RowPlan),
      limits: { ...limits, maxCacheBytes: cap },
      sequentialBecause: because,
    });
    const batched = explainPlan(plan(5));
    expect(batched.memory).toBe('KV cache: 5 rows × 112 MB (one row at 4,096 positions) × 3 at the peak = 1680 MB, of 2048 MB this device allows.');
    expect(batched.order).toMatch(/^Batched: all 5 rows .* decode together/);
    const policy = explainPlan({ ...plan(5), maxRows: 1, peakBytes: 3 * rowCacheBytes(E1, 4096), sequentialBecause: '4-bit weights decode several rows slower than one here' });
    expect(policy.memory).toMatch(/^KV cache: 1 row × 112 MB .* = 336 MB/);
    expect(policy.order).toBe('Sequential, one row per step: 4-bit weights decode several rows slower than one here.');
    expect(explainPlan(plan(5, 3 * 112 * 2 ** 20)).order).toBe('Sequential, one row per step: batching 5 rows would need 1680 MB, more than the device allows.');
    expect(explainPlan(plan(5, 3 * 3 * 112 * 2 ** 20)).order).toBe('Partly batched: 3 of 5 rows per step (all 5 would need 1680 MB).');
    expect(explainPlan(plan(1)).order).toBe('One row: nothing to batch.');
  });
});

describe('the context a device can hold', () => {
  it("keeps the model's length when its cache fits, else the longest one row can reach, with the reason", () => {
    const roomy = { maxBufferBytes: GiB, maxCacheBytes: 2 * GiB };
    expect(contextFor(E1, roomy, 16_384)).toEqual({ context: 16_384, note: null });
    // E1 declares 131,072 positions: 10.5 GB of cache at its peak, so 2 GB holds 24,958 (less 8 for a sweep's masked holes).
    expect(contextFor(E1, roomy, 131_072).context).toBe(24_958);
    // A link's config claiming 1M positions: 3 caches × 28,672 bytes per position do not fit 2 GB.
    const big = { maxBufferBytes: 4 * GiB, maxCacheBytes: 2 * GiB };
    const c = contextFor(E1, big, 1_048_576);
    expect(c.context).toBe(Math.floor((2 * GiB) / (3 * rowCacheBytes(E1, 1))) - 8); // 8: room for a sweep's masked holes
    expect(c.note).toBe(
      `Context limited to ${c.context.toLocaleString('en-US')} positions of the model's 1,048,576: the KV cache for 1,048,576 would need 84.0 GB (3 caches × 28 layers × 2 KV heads × 128 × 2 bytes per position), this device allows 2.0 GB.`,
    );
    // The buffer limit binds first: one layer's keys must fit one buffer.
    const narrow = contextFor(E1, { maxBufferBytes: 2 ** 20, maxCacheBytes: 64 * GiB }, 131_072);
    expect(narrow.context).toBe(2 ** 20 / (2 * 128 * 2) - 8);
    expect(narrow.note).toMatch(/one layer's keys for 131,072 positions would need a 64 MB buffer, this device allows 1 MB\.$/);
  });
});
