import { describe, expect, it } from 'vitest';
import { ElasticPolicy, checkContext, validateBudgets, type SpecialIds } from './policy.ts';

const IDS: SpecialIds = { eos: 151643, thinkOpen: 151648, thinkClose: 151649 };
const W = 500; // an ordinary word

function drive(p: ElasticPolicy, tokens: number[]) {
  return tokens.map((t) => p.onToken(t));
}

describe('ElasticPolicy', () => {
  it('closes thinking when the model emits </think>, feeding only that token', () => {
    const p = new ElasticPolicy({ thinking: 10, solution: 5 }, IDS);
    expect(p.start()).toEqual([]);
    const steps = drive(p, [W, W + 1, IDS.thinkClose]);
    expect(steps[2]).toMatchObject({ phase: 'thinking', feed: [IDS.thinkClose], thinkingEnded: 'model' });
    expect(p.state()).toMatchObject({ phase: 'solution', thinkingTokens: 3, thinkingEnd: 'model' });
  });

  it('cuts at t by appending exactly one </think> token after the t-th token', () => {
    const p = new ElasticPolicy({ thinking: 3, solution: 5 }, IDS);
    const steps = drive(p, [W, W + 1, W + 2]);
    expect(steps.map((s) => s.feed)).toEqual([[W], [W + 1], [W + 2, IDS.thinkClose]]);
    expect(steps[2]!.thinkingEnded).toBe('budget');
    expect(p.state().thinkingTokens).toBe(3);
  });

  it('a </think> that is the t-th token is the model closing, not a cut', () => {
    const p = new ElasticPolicy({ thinking: 2, solution: 5 }, IDS);
    const steps = drive(p, [W, IDS.thinkClose]);
    expect(steps[1]).toMatchObject({ feed: [IDS.thinkClose], thinkingEnded: 'model' });
  });

  it('EOS in thinking keeps the EOS and appends </think>, as the reference does', () => {
    const p = new ElasticPolicy({ thinking: 10, solution: 5 }, IDS);
    const [s] = drive(p, [IDS.eos]);
    expect(s).toMatchObject({ feed: [IDS.eos, IDS.thinkClose], thinkingEnded: 'eos' });
    expect(p.state().phase).toBe('solution');
  });

  it('ends the solution at EOS or at s tokens', () => {
    const a = new ElasticPolicy({ thinking: 1, solution: 5 }, IDS);
    drive(a, [W]);
    const sa = drive(a, [W, IDS.eos]);
    expect(sa[1]).toMatchObject({ phase: 'solution', feed: [], solutionEnded: 'eos' });
    const b = new ElasticPolicy({ thinking: 1, solution: 2 }, IDS);
    drive(b, [W]);
    const sb = drive(b, [W, W + 1]);
    expect(sb.map((s) => s.feed)).toEqual([[W], []]);
    expect(b.state()).toMatchObject({ phase: 'done', solutionTokens: 2, solutionEnd: 'budget' });
    expect(() => b.onToken(W)).toThrow();
  });

  it('t = 0 goes straight to </think> before any token', () => {
    const p = new ElasticPolicy({ thinking: 0, solution: 5 }, IDS);
    expect(p.start()).toEqual([IDS.thinkClose]);
    expect(p.state()).toMatchObject({ phase: 'solution', thinkingTokens: 0, thinkingEnd: 'budget' });
  });

  it('s = 0 ends the run with the thinking phase, feeding nothing more', () => {
    const p = new ElasticPolicy({ thinking: 2, solution: 0 }, IDS);
    const steps = drive(p, [W, W + 1]);
    expect(steps[1]).toMatchObject({ feed: [], thinkingEnded: 'budget', solutionEnded: 'budget' });
    expect(p.state().phase).toBe('done');
    const q = new ElasticPolicy({ thinking: 0, solution: 0 }, IDS);
    expect(q.start()).toEqual([]);
    expect(q.state().phase).toBe('done'); // no forward call needed at all
  });

  it('rejects budgets that are not whole numbers', () => {
    expect(validateBudgets({ thinking: -1, solution: 1 })).toMatch(/Thinking budget/);
    expect(validateBudgets({ thinking: 1, solution: 1.5 })).toMatch(/Solution budget/);
    expect(validateBudgets({ thinking: NaN, solution: 1 })).toMatch(/Thinking/);
    expect(validateBudgets({ thinking: 0, solution: 0 })).toBeNull();
    expect(() => new ElasticPolicy({ thinking: -3, solution: 1 }, IDS)).toThrow(RangeError);
  });
});

describe('checkContext', () => {
  it('accepts what fits and names the largest thinking budget otherwise', () => {
    expect(checkContext(100, { thinking: 900, solution: 23 }, 1024)).toBeNull();
    const err = checkContext(100, { thinking: 901, solution: 23 }, 1024);
    expect(err).toMatch(/need 1025 positions/);
    expect(err).toMatch(/thinking budget can be at most 900/);
    expect(checkContext(2000, { thinking: 0, solution: 0 }, 1024)).toMatch(/prompt alone does not fit/);
    expect(checkContext(1000, { thinking: 0, solution: 100 }, 1024)).toMatch(/solution budget to at most 23/);
  });
});
