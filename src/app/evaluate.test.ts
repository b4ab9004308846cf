import { describe, expect, it } from 'vitest';
import { accuracyByBudget } from '../state/eval-store.ts';
import { pickProblems } from './evaluate.ts';

describe('evaluation', () => {
  it('picks the first problems of the chosen bundled set', () => {
    expect(pickProblems('aime2024', 3).map((p) => p.source)).toEqual(['aime2024', 'aime2024', 'aime2024']);
    expect(pickProblems('math500', 2).every((p) => p.source === 'math500')).toBe(true);
    expect(pickProblems('all', 500)).toHaveLength(80);
  });

  it('derives accuracy and mean thinking per budget', () => {
    const cell = (correct: boolean, thinkingTokens: number) => ({ answer: correct ? '1' : '2', correct, thinkingTokens, solutionTokens: 5 });
    const rows = accuracyByBudget({
      budgets: [10, 100],
      results: [
        { id: 'a', reference: '1', cells: [cell(false, 10), cell(true, 80)] },
        { id: 'b', reference: '1', cells: [cell(true, 10), cell(true, 100)] },
      ],
    });
    expect(rows).toEqual([
      { budget: 10, correct: 1, total: 2, meanThinking: 10 },
      { budget: 100, correct: 2, total: 2, meanThinking: 90 },
    ]);
  });
});
