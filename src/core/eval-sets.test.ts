import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVAL_SETS, readCustomSet, readSet, selectProblems, type EvalSetId } from './eval-sets.ts';

const ROOT = join(import.meta.dirname, '../..');
const rows = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Record<string, unknown>[];
const FILES: Record<EvalSetId, string> = {
  compact: 'src/data/eval_compact_v1.json',
  aime2024: 'public/eval-sets/aime.json',
  amc: 'public/eval-sets/amc.json',
  math500: 'public/eval-sets/math.json',
  minerva: 'public/eval-sets/minerva.json',
  olympiadbench: 'public/eval-sets/olympiad_bench.json',
};

describe('the bundled sets', () => {
  it('read into problems with unique ids and at least one answer, as many as each set has', () => {
    for (const [id, file] of Object.entries(FILES) as [EvalSetId, string][]) {
      const problems = readSet(id, rows(file));
      expect(problems, id).toHaveLength(EVAL_SETS[id].size);
      expect(new Set(problems.map((p) => p.id)).size, id).toBe(problems.length);
      for (const p of problems) {
        expect(p.problem.length, `${id} ${p.id}`).toBeGreaterThan(0);
        expect(p.answers.length, `${id} ${p.id}`).toBeGreaterThan(0);
      }
    }
  });

  it('keep the compact set’s ids and answers, so a problem samples alike in both', () => {
    const aime = readSet('aime2024', rows(FILES.aime2024));
    const compact = readSet('compact', rows(FILES.compact));
    expect(aime[1]).toEqual(compact.find((p) => p.id === 'aime2024-I-2'));
    expect(aime[1]!.answers).toEqual(['025']);
    const math = readSet('math500', rows(FILES.math500));
    const m = compact.find((p) => p.id.startsWith('test/'))!;
    expect(math.find((p) => p.id === m.id)).toEqual(m);
  });

  it('unwrap OlympiadBench’s $…$, trim Minerva’s answers and keep all of them', () => {
    const ob = readSet('olympiadbench', rows(FILES.olympiadbench));
    expect(ob[1]!.answers).toEqual(['\\frac{1}{2 n+2}']);
    const minerva = readSet('minerva', rows(FILES.minerva));
    expect(minerva[0]!.answers).toEqual(['9.6']);
    expect(minerva.some((p) => p.answers.length === 2)).toBe(true);
    expect(readSet('amc', rows(FILES.amc))[0]!.answers).toEqual(['142']);
  });
});

describe('choosing problems', () => {
  const all = Array.from({ length: 20 }, (_, i) => i);
  it('all, the first n, or a seeded random n in set order', () => {
    expect(selectProblems(all, { mode: 'all', count: 0, seed: 0 })).toEqual(all);
    expect(selectProblems(all, { mode: 'first', count: 3, seed: 0 })).toEqual([0, 1, 2]);
    expect(selectProblems(all, { mode: 'first', count: 99, seed: 0 })).toEqual(all);
    const r = selectProblems(all, { mode: 'random', count: 5, seed: 11 });
    expect(r).toHaveLength(5);
    expect(new Set(r).size).toBe(5);
    expect([...r].sort((a, b) => a - b)).toEqual(r);
    expect(selectProblems(all, { mode: 'random', count: 5, seed: 11 })).toEqual(r);
    expect(selectProblems(all, { mode: 'random', count: 5, seed: 12 })).not.toEqual(r);
    expect(selectProblems(all, { mode: 'random', count: 20, seed: 3 })).toEqual(all);
  });
});

describe('a set of one’s own', () => {
  it('reads { problem, answer } items and says what is wrong', () => {
    expect(readCustomSet('[{"problem":"1+1?","answer":2},{"id":"q","problem":"x","answer":["a","b"]}]')).toEqual([
      { id: 'problem-1', problem: '1+1?', answers: ['2'] },
      { id: 'q', problem: 'x', answers: ['a', 'b'] },
    ]);
    expect(readCustomSet('{')).toEqual({ error: expect.stringContaining('not valid JSON') });
    expect(readCustomSet('[]')).toEqual({ error: expect.stringContaining('non-empty JSON array') });
    expect(readCustomSet('[{"problem":"","answer":1}]')).toEqual({ error: 'item 0: "problem" must be a non-empty string' });
    expect(readCustomSet('[{"problem":"a"}]')).toEqual({ error: expect.stringContaining('item 0: "answer"') });
    expect(readCustomSet('[{"id":"a","problem":"a","answer":1},{"id":"a","problem":"b","answer":1}]')).toEqual({ error: 'item 1: the id "a" is used twice' });
  });
});
