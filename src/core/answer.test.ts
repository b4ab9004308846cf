import { describe, expect, it } from 'vitest';
import { extractBoxed } from './answer.ts';

describe('extractBoxed', () => {
  it('returns the content of the last box, braces balanced', () => {
    expect(extractBoxed('so \\boxed{\\frac{1}{2}}.')).toBe('\\frac{1}{2}');
    expect(extractBoxed('\\boxed{1} then \\boxed{ {2} } and finally \\(\\boxed{x^{2}}\\)')).toBe('x^{2}');
    expect(extractBoxed('\\boxed{\\{1,2\\}}')).toBe('\\{1,2\\}');
    expect(extractBoxed('\\fbox{7}')).toBe('7');
    expect(extractBoxed('\\fbox{7} and \\boxed{8}')).toBe('8');
    expect(extractBoxed('$\\boxed 5$')).toBe('5');
  });

  it('returns null when there is no box or it is unbalanced', () => {
    expect(extractBoxed('no answer here')).toBeNull();
    expect(extractBoxed('')).toBeNull();
    expect(extractBoxed('\\boxed{\\frac{1}{2}')).toBeNull();
    expect(extractBoxed('\\boxed{1} and then \\boxed{2')).toBeNull();
  });
});
