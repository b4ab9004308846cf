import { describe, expect, it } from 'vitest';
import { PAPER_SAMPLING } from '../core/sampler.ts';
import { defaultEvalSettings } from '../state/eval-settings-store.ts';
import { parseEvalBudgets, planEvaluation, type EvalRequest } from './evaluate.ts';

const req = (patch: Partial<EvalRequest> = {}): EvalRequest => ({ ...defaultEvalSettings, ...patch });

describe('evaluation form', () => {
  it('reads 1–6 thinking budgets, "max" last', () => {
    expect(parseEvalBudgets('1024, 512 max 512')).toEqual({ value: [512, 1024, 'max'] });
    expect(parseEvalBudgets('64')).toEqual({ value: [64] });
    expect(parseEvalBudgets('')).toEqual({ error: expect.stringContaining('1 to 6') });
    expect(parseEvalBudgets('1 2 3 4 5 6 7')).toEqual({ error: expect.stringContaining('got 7') });
    expect(parseEvalBudgets('12x')).toEqual({ error: expect.stringContaining('"12x"') });
  });

  it('plans models (the loaded one by default), k, seeds and the selection', () => {
    const plan = planEvaluation(req({ k: '2', seed: '5', budgets: '16 64', solution: '32' }), PAPER_SAMPLING, '/models/x');
    expect(plan).toEqual({
      value: { selection: { mode: 'first', count: 10, seed: 0 }, models: ['/models/x'], budgets: [16, 64], solution: 32, k: 2, seed: 5, sampling: PAPER_SAMPLING },
    });
    const two = planEvaluation(req({ models: '/models/a\n\n/models/b\n/models/a', selection: 'random', count: '3', subsetSeed: '9' }), PAPER_SAMPLING, null);
    expect(two).toMatchObject({ value: { models: ['/models/a', '/models/b'], selection: { mode: 'random', count: 3, seed: 9 } } });
  });

  it('says what is wrong', () => {
    expect(planEvaluation(req(), PAPER_SAMPLING, null)).toEqual({ error: expect.stringContaining('Load a model') });
    expect(planEvaluation(req({ k: '0' }), PAPER_SAMPLING, 'm/x')).toEqual({ error: expect.stringContaining('(k)') });
    expect(planEvaluation(req({ count: 'ten' }), PAPER_SAMPLING, 'm/x')).toEqual({ error: expect.stringContaining('How many problems') });
    expect(planEvaluation(req({ seed: '-1' }), PAPER_SAMPLING, 'm/x')).toEqual({ error: expect.stringContaining('seed') });
  });
});
