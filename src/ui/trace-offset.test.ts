import { describe, expect, it } from 'vitest';
import { renderedToRaw } from './trace-offset.ts';

describe('renderedToRaw', () => {
  it('is exact when the rendered text is the raw text', () => {
    const raw = 'Let me think. Let me think again about $x^2$.';
    for (const at of [0, 5, 14, 20, raw.length]) expect(renderedToRaw(raw, at, raw)).toBe(at);
  });

  it('finds the words before the click in the raw text, at the occurrence nearest the same place', () => {
    const raw = 'We need **x** to be 3. Then we need **x** to be 4. Done.';
    const rendered = 'We need x to be 3. Then we need x to be 4. Done.';
    // Plain words map exactly; next to markup the point lands within the markup's few characters.
    expect(renderedToRaw(rendered, rendered.indexOf('Done'), raw)).toBe(raw.indexOf('Done'));
    expect(renderedToRaw(rendered, rendered.indexOf('Then'), raw)).toBe(raw.indexOf('Then'));
    const second = renderedToRaw(rendered, rendered.indexOf('to be 4'), raw);
    expect(Math.abs(second - raw.indexOf('to be 4'))).toBeLessThanOrEqual(4);
  });

  it('falls back to the relative position when nothing matches', () => {
    expect(renderedToRaw('αβγδ', 2, 'abcdefgh')).toBe(4);
  });
});
