import { describe, expect, it } from 'vitest';
import { avgAtK, evaluationTable, PAPER_AIME2024, paperTokens, sampleSeed } from './avgk.ts';
import type { EvalLane, EvalSample } from './evaluation.ts';

const lane = (correct: boolean, thinkingTokens: number, thinkingEnd: EvalLane['thinkingEnd'], solutionTokens: number): EvalLane => ({
  answer: correct ? '42' : '7',
  correct,
  thinkingTokens,
  thinkingEnd,
  solutionTokens,
  solutionEnd: 'eos',
  thinkingText: '',
  solutionText: '',
});

describe('Avg@k', () => {
  it('is the mean over problems of the mean over samples', () => {
    // problem means 1/2, 1, 0 → 1/2; a problem with more samples does not weigh more
    expect(avgAtK([[1, 0], [1, 1, 1, 1], [0, 0]]).mean).toBe(0.5);
    expect(avgAtK([[1, 0, 0, 0], [1, 1]]).mean).toBe(0.625);
  });

  it('has the standard error of that mean over problems, sd(n − 1) / √n', () => {
    // means 0.5, 1, 0: deviations 0, 0.5, −0.5 → variance 0.5 / 2 = 0.25 → sd 0.5 → SE 0.5 / √3
    const r = avgAtK([[1, 0], [1, 1], [0, 0]]);
    expect(r.se).toBeCloseTo(0.5 / Math.sqrt(3), 12);
    expect(r).toMatchObject({ problems: 3, samples: 6 });
    // one right of three, every sample alike: mean 1/3, variance (4/9 + 1/9 + 1/9) / 2 = 1/3, SE 1/3
    const e2e = avgAtK([[1, 1], [0, 0], [0, 0]]);
    expect(e2e.mean).toBeCloseTo(1 / 3, 12);
    expect(e2e.se).toBeCloseTo(1 / 3, 12);
    // all alike: no spread
    expect(avgAtK([[1], [1]]).se).toBe(0);
  });

  it('leaves out problems not sampled yet and has no SE below two problems', () => {
    expect(avgAtK([[1, 0], [], []])).toEqual({ mean: 0.5, se: null, problems: 1, samples: 2 });
    expect(avgAtK([])).toEqual({ mean: 0, se: null, problems: 0, samples: 0 });
  });
});

describe('tokens as the paper counts them', () => {
  it('adds the appended </think> on a cut or after an EOS, not when the model closed it', () => {
    // The model's own </think> is already one of its 49 thinking tokens.
    expect(paperTokens(lane(true, 49, 'model', 19))).toEqual({ thinking: 49, solution: 19, total: 68 });
    // Cut at t = 16: 16 thinking tokens + the appended </think>.
    expect(paperTokens(lane(true, 16, 'budget', 19))).toEqual({ thinking: 17, solution: 19, total: 36 });
    expect(paperTokens(lane(false, 20, 'eos', 5))).toEqual({ thinking: 21, solution: 5, total: 26 });
  });
});

describe('sample seeds', () => {
  it('are reproducible, differ per sample, problem and evaluation seed, and ignore the problem’s position', () => {
    expect(sampleSeed(7, 'aime2024-I-1', 3)).toBe(sampleSeed(7, 'aime2024-I-1', 3));
    const seeds = new Set<number>();
    for (const id of ['aime2024-I-1', 'aime2024-I-2', 'test/algebra/1.json']) for (let s = 0; s < 16; s++) seeds.add(sampleSeed(7, id, s));
    expect(seeds.size).toBe(48);
    expect(sampleSeed(8, 'aime2024-I-1', 3)).not.toBe(sampleSeed(7, 'aime2024-I-1', 3));
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });

  it('are pinned (a change here would change every kept evaluation’s samples)', () => {
    expect([0, 1, 2].map((s) => sampleSeed(0, 'p1', s))).toMatchInlineSnapshot(`
      [
        3794449648,
        3598908094,
        1683083257,
      ]
    `);
  });
});

describe('the table', () => {
  it('has one row per model and budget, with Avg@k, SE and mean tokens split', () => {
    const s = (model: number, problem: number, sample: number, lanes: EvalLane[]): EvalSample => ({ model, problem, sample, seed: 0, lanes });
    const rows = evaluationTable({
      models: ['A', 'B'],
      budgets: [16, 'max'],
      problems: [
        { id: 'p1', problem: '', answers: ['42'] },
        { id: 'p2', problem: '', answers: ['1'] },
      ],
      samples: [
        s(0, 0, 0, [lane(true, 16, 'budget', 19), lane(true, 49, 'model', 19)]),
        s(0, 0, 1, [lane(false, 16, 'budget', 21), lane(true, 49, 'model', 19)]),
        s(0, 1, 0, [lane(false, 16, 'budget', 19), lane(false, 30, 'model', 9)]),
        s(0, 1, 1, [lane(false, 16, 'budget', 19), lane(false, 30, 'model', 9)]),
      ],
    });
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatchObject({ model: 'A', budget: 16, accuracy: 0.25, problems: 2, samples: 4, thinking: 17, solution: 19.5, tokens: 36.5 });
    expect(rows[0]!.se).toBeCloseTo(0.25, 12); // means 0.5, 0 → sd √0.125 → SE 0.25
    expect(rows[1]).toMatchObject({ model: 'A', budget: 'max', accuracy: 0.5, thinking: 39.5, solution: 14, tokens: 53.5 });
    expect(rows[2]).toMatchObject({ model: 'B', budget: 16, samples: 0, se: null });
  });

  it('keeps the model card’s AIME 2024 figures', () => {
    const e1 = PAPER_AIME2024.find((m) => m.model === 'E1-Math-1.5B')!.points;
    expect(e1.map((p) => [p.tokens, p.accuracy])).toEqual([[6825, 35.0], [1340, 13.5], [1799, 17.5], [2650, 24.8], [3377, 27.9]]);
    const ds = PAPER_AIME2024.find((m) => m.model === 'DeepScaleR-1.5B-Preview')!.points;
    expect(ds.map((p) => [p.tokens, p.accuracy])).toEqual([[10050, 41.0], [1488, 5.2], [1904, 9.6], [2809, 15.8], [3700, 22.7]]);
  });
});
