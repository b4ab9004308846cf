import { describe, expect, it } from 'vitest';
import type { LaneOutcome, ReferenceProblem } from './comparison.ts';
import { summarize, summarizeAsync } from './summary.ts';

function lane(answer: string | null): LaneOutcome {
  return {
    thinkingText: 'thinking',
    thinkingTokens: 10,
    thinkingEnd: 'model',
    solutionText: answer === null ? 'no box' : `so \\boxed{${answer}}`,
    solutionTokens: 5,
    solutionEnd: 'eos',
    answer,
    stats: null,
    error: null,
  };
}

const REF: ReferenceProblem = { id: 'test/precalculus/477.json', source: 'math500', answer: '3 \\sqrt{5}' };

describe('summarize (sync)', () => {
  it('groups equivalent answers, largest group first, and lists unanswered lanes', () => {
    const s = summarize([lane('7'), lane('3\\sqrt5'), lane(null), lane('3 \\sqrt{5}'), lane('  '), lane('3\\sqrt{5}')], REF);
    expect(s.groups).toEqual([
      { answer: '3\\sqrt5', lanes: [1, 3, 5] },
      { answer: '7', lanes: [0] },
    ]);
    expect(s.unanswered).toEqual([2, 4]);
    expect(s.correct).toEqual([false, true, false, true, false, true]);
    expect(s.agreeAll).toBe(false);
  });

  it('keeps lane order between groups of equal size', () => {
    const s = summarize([lane('2'), lane('1'), lane('1'), lane('2')], null);
    expect(s.groups).toEqual([
      { answer: '2', lanes: [0, 3] },
      { answer: '1', lanes: [1, 2] },
    ]);
  });

  it('correct is null without a reference', () => {
    expect(summarize([lane('1')], null).correct).toBeNull();
  });

  it('agreeAll when every lane answered the same (normalised) answer', () => {
    expect(summarize([lane('\\frac{1}{2}'), lane('\\dfrac12'), lane('0.5')], null).agreeAll).toBe(true);
    expect(summarize([lane('1'), lane('1'), lane(null)], null).agreeAll).toBe(false);
    expect(summarize([lane('1'), lane('2')], null).agreeAll).toBe(false);
    expect(summarize([], null)).toEqual({ groups: [], unanswered: [], correct: null, agreeAll: false });
  });

  it('does not group answers that are only symbolically equal', () => {
    const s = summarize([lane('\\sqrt{45}'), lane('3\\sqrt{5}')], REF);
    expect(s.groups.map((g) => g.lanes)).toEqual([[0], [1]]);
    expect(s.correct).toEqual([false, true]);
  });

  it('an integer and its decimal form are grouped whichever comes first', () => {
    expect(summarize([lane('5'), lane('5.0')], null).agreeAll).toBe(true);
    expect(summarize([lane('5.0'), lane('5')], null).agreeAll).toBe(true);
  });

  it('an unanswered lane is never correct, even against an empty-looking reference', () => {
    expect(summarize([lane(null)], { ...REF, answer: '' }).correct).toEqual([false]);
  });
});

describe('summarizeAsync (symbolic)', () => {
  it('groups symbolically equal answers and grades them correct', async () => {
    const s = await summarizeAsync([lane('\\sqrt{45}'), lane('3\\sqrt{5}'), lane('\\sqrt{44}'), lane(null)], REF);
    expect(s.groups).toEqual([
      { answer: '\\sqrt{45}', lanes: [0, 1] },
      { answer: '\\sqrt{44}', lanes: [2] },
    ]);
    expect(s.correct).toEqual([true, true, false, false]);
    expect(s.unanswered).toEqual([3]);
    expect(s.agreeAll).toBe(false);
  });

  it('agreeAll across spellings', async () => {
    const s = await summarizeAsync([lane('p - q'), lane('-q+p')], { id: 'x', source: 'math500', answer: 'p-q' });
    expect(s.agreeAll).toBe(true);
    expect(s.correct).toEqual([true, true]);
  });

  it('never merges different answers', async () => {
    const s = await summarizeAsync([lane('(1,2)'), lane('(2,1)'), lane('x+1'), lane('x-1'), lane('2'), lane('\\frac{1}{2}')], null);
    expect(s.groups.map((g) => g.lanes)).toEqual([[0], [1], [2], [3], [4], [5]]);
  });
});
