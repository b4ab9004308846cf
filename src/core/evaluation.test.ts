import { describe, expect, it } from 'vitest';
import { fixtureEvaluation } from './eval-fixtures.ts';
import { pendingSamples, sampleOrdinal, totalSamples } from './evaluation.ts';

describe('run order and resuming', () => {
  it('runs model by model, problem by problem, sample by sample', () => {
    const e = { ...fixtureEvaluation(false), k: 2 };
    const order = pendingSamples(e);
    expect(order).toHaveLength(totalSamples(e));
    expect(order.slice(0, 3)).toEqual([
      { model: 0, problem: 0, sample: 0 },
      { model: 0, problem: 0, sample: 1 },
      { model: 0, problem: 1, sample: 0 },
    ]);
    expect(order.map((s) => sampleOrdinal(e, s))).toEqual(order.map((_, i) => i));
  });

  it('a resumed evaluation runs exactly the samples still missing, whatever order they were kept in', () => {
    const full = fixtureEvaluation();
    const kept = [full.samples[5]!, full.samples[0]!, full.samples[1]!];
    const pending = pendingSamples({ ...full, samples: kept });
    expect(pending).toHaveLength(totalSamples(full) - 3);
    const keys = new Set(kept.map((s) => sampleOrdinal(full, s)));
    expect(pending.some((s) => keys.has(sampleOrdinal(full, s)))).toBe(false);
    expect(pending[0]).toEqual({ model: 0, problem: 1, sample: 0 });
    expect(pendingSamples(full)).toEqual([]);
  });
});
