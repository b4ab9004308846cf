// One validator for kept and exported records: whatever the history accepts exports to a file that
// imports back to the same record (and the same list entry); whatever it refuses, import refuses.
import fc from 'fast-check';
import { IDBFactory } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import { installFakeIdbClasses } from '../../test/fake-idb.ts';
import type { ComparisonRecord, LaneOutcome, LaneSettings } from '../core/comparison.ts';
import { fromJson, toJson } from '../core/export.ts';
import { openHistory, type History } from './history-db.ts';
import { summarize } from './history-entry.ts';

installFakeIdbClasses();

/** Mostly valid values, sometimes not: the property covers both what is kept and what is refused. */
const rarely = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ arbitrary: good, weight: 60 }, { arbitrary: bad, weight: 1 });
const text = fc.string({ unit: 'binary', maxLength: 40 });
const count = rarely(fc.nat(), fc.constantFrom(-1, 0.5, Number.NaN));
const real = rarely(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(Number.NaN, Infinity));

const sampling = fc.oneof(
  fc.constant({ kind: 'greedy' as const }),
  fc.record({
    kind: fc.constant('sample' as const),
    temperature: rarely(fc.double({ min: 0.01, max: 2, noNaN: true }), fc.constantFrom(0, -1)),
    topP: rarely(fc.double({ min: 0.01, max: 1, noNaN: true }), fc.constantFrom(0, 1.5)),
    topK: rarely(fc.nat(200), fc.constant(-3)),
    seed: fc.integer(),
  }),
);

const settings: fc.Arbitrary<LaneSettings> = fc.record({
  modelId: text,
  thinking: fc.oneof(count, fc.constant('max' as const)),
  solution: count,
  sampling,
});

const stats = fc.record({
  promptTokens: real,
  prefillMs: real,
  ttftMs: real,
  decodeMs: real,
  decodedTokens: real,
  tokensPerSecond: real,
  forwardCalls: real,
  tokensFed: real,
  rows: count,
  wallMs: real,
}, { requiredKeys: ['promptTokens', 'prefillMs', 'ttftMs', 'decodeMs', 'decodedTokens', 'tokensPerSecond', 'forwardCalls', 'tokensFed'] });

const outcome: fc.Arbitrary<LaneOutcome> = fc.record({
  thinkingText: text,
  thinkingTokens: count,
  thinkingEnd: fc.constantFrom('model', 'budget', 'eos', 'aborted', null),
  solutionText: text,
  solutionTokens: count,
  solutionEnd: rarely(fc.constantFrom('eos', 'budget', 'aborted', null), fc.constant('model' as never)),
  answer: fc.option(text),
  stats: fc.option(stats),
  error: fc.option(text),
});

const record: fc.Arbitrary<ComparisonRecord> = fc.record({
  id: rarely(fc.string({ minLength: 1, maxLength: 12 }), fc.constant('')),
  createdAt: real,
  mode: fc.constantFrom('single', 'sweep', 'independent'),
  problem: text,
  paperSuffix: fc.boolean(),
  reference: fc.option(fc.record({ id: text, source: text, answer: text })),
  lanes: rarely(fc.array(fc.record({ settings, outcome }), { minLength: 1, maxLength: 4 }), fc.constant([])),
  sweep: fc.option(fc.record({ traceText: text, decodedTokens: count, separateTokens: count, steps: count, rows: count, wallMs: real }, { requiredKeys: ['traceText', 'decodedTokens', 'separateTokens'] })),
  status: fc.constantFrom('finished', 'stopped', 'failed'),
});

describe('history ⇄ export', () => {
  let h: History;
  beforeAll(async () => {
    h = await openHistory(new IDBFactory(), { onCorrupt: (r) => expect.unreachable(`corrupt ${r.store} ${r.id}: ${r.problem}`) });
  });

  it('every kept entry exports to a file that imports back to the same entry; what history refuses, import refuses', async () => {
    let kept = 0;
    await fc.assert(
      fc.asyncProperty(record, async (r) => {
        const saved = await h.save(r).then(
          () => true,
          () => false,
        );
        const imported = fromJson(toJson(r));
        if (!saved) {
          expect(imported).toHaveProperty('error');
          return;
        }
        kept++;
        const stored = await h.get(r.id);
        expect(stored).not.toBeNull();
        const back = fromJson(toJson(stored!));
        expect(back).toEqual(stored);
        const entry = (await h.list()).find((e) => e.id === r.id);
        expect(summarize(back as ComparisonRecord)).toEqual(entry);
      }),
      { numRuns: 150 },
    );
    // The generator mostly makes valid records: the property is not vacuous.
    expect(kept).toBeGreaterThan(50);
  });
});
