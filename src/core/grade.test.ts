import { describe, expect, it } from 'vitest';
import evalSet from '../data/eval_compact_v1.json' with { type: 'json' };
import {
  gradeAnswer,
  gradeAnswerAsync,
  gradeAnswerWithEngine,
  loadSymbolicEngine,
  type GradeMethod,
} from './grade.ts';
import { normalizeAnswerLoose } from './normalize-loose.ts';
import { normalizeAnswer } from './normalize-math.ts';

const REFERENCES: readonly string[] = (evalSet as readonly { readonly answer: string }[]).map((p) => p.answer);

/** Ways a model writes the same answer differently (each must still be graded correct). */
function reformatted(a: string): string[] {
  const out = [
    `  ${a} `,
    `${a}.`,
    `x = ${a}`,
    a.replaceAll(' ', ''),
    a.replaceAll('\\frac', '\\dfrac'),
    a.replaceAll('\\frac', '\\tfrac'),
    `\\left(${a}\\right)`,
    `${a}^\\circ`,
    `${a}^{\\circ}`,
    `${a}\\text{ units}`,
    `\\text{${a}}`,
  ];
  if (/^-?\d+$/.test(a)) out.push(`${a}.0`, `$${a}$`.replaceAll('$', '\\$'), `${a}\\%`);
  if (/^0\d+$/.test(a)) out.push(String(Number(a))); // AIME "025" → 25
  if (a.includes('\\sqrt{')) out.push(a.replace(/\\sqrt\{(\d)\}/g, '\\sqrt$1'));
  if (/^\\frac\{(\d+)\}\{(\d+)\}$/.test(a)) out.push(a.replace(/^\\frac\{(\d+)\}\{(\d+)\}$/, '$1/$2'));
  if (a === '\\frac43') out.push('\\frac{4}{3}', '4/3');
  return out;
}

/** A different answer for each reference (must not be graded correct). */
function perturbed(a: string): string[] {
  const out: string[] = [];
  if (/^-?\d+$/.test(a)) out.push(String(Number(a) + 1), `${a}0`);
  if (a.startsWith('-')) out.push(a.slice(1));
  else out.push(`-${a}`);
  const frac = /^\\frac\{(.+)\}\{(\d+)\}$/.exec(a);
  if (frac) out.push(`\\frac{${frac[2]}}{${frac[1]}}`, `\\frac{2${frac[1]}}{${frac[2]}}`);
  if (a.includes('\\sqrt')) out.push(a.replace(/\\sqrt\{(\d+)\}/, '\\sqrt{$12}'));
  if (a.includes('\\pi')) out.push(a.replace('\\pi', ''));
  return out.filter((x) => x !== a && x !== '-0' && x !== '00');
}

describe('normalizeAnswer (port of mathd_normalize_answer / _strip_string)', () => {
  const table: [string, string][] = [
    ['\\frac12', '\\frac{1}{2}'], // _fix_fracs
    ['\\frac1{72}', '\\frac{1}{72}'],
    ['\\frac{1}2', '\\frac{1}2'], // not fixed by the reference either
    ['\\dfrac{14}{3}', '\\frac{14}{3}'],
    ['\\tfrac{1}{4}', '\\frac{1}{4}'],
    ['\\sqrt3', '\\sqrt{3}'], // _fix_sqrt
    ['3 \\sqrt{5}', '3\\sqrt{5}'],
    ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3,\\frac{\\pi}{2})'],
    ['0.5', '\\frac{1}{2}'],
    ['.5', '\\frac{1}{2}'], // ".5" → "0.5" → "\\frac{1}{2}"
    ['.25', '0.25'],
    ['3/4', '\\frac{3}{4}'], // _fix_a_slash_b
    ['03/4', '03/4'],
    ['45^\\circ', '45'],
    ['45^{\\circ}', '45'],
    ['\\$18.90', '18.90'],
    ['50\\%', '50'],
    ['5\\text{ cm}', '5'], // _remove_right_units
    ['\\text{Evelyn}', 'Evelyn'],
    ['k = 7', '7'],
    ['xyz = 7', 'xyz=7'],
    ['y = 2x + 3', '2x+3'],
    ['-y=2x+3', '-y=2x+3'], // deviation: the reference would strip "-y=" too
    ['1\\!000', '1000'],
    ['a\nb', 'ab'],
    ['5\\text{ cm}\\text{ m}', '5\\text{ cm}\\text{ m}'], // the reference's assert fails: unchanged
    ['\\frac', '\\frac'], // IndexError in the reference: unchanged
  ];
  it.each(table)('%j → %j', (input, expected) => {
    expect(normalizeAnswer(input)).toBe(expected);
  });
});

describe('normalizeAnswerLoose (port of _normalize)', () => {
  const table: [string, string][] = [
    ['\\text{Evelyn}', 'evelyn'],
    ['10 \\text{ cm}', '10'],
    ['5 degrees', '5'],
    ['3 million', '3*10^6'],
    ['1,000,000', '1000000'],
    ['5.0', '5'],
    ['025', '25'],
    ['\\frac{14}{3}', '14/3'],
    ['\\frac{a+b}{c}', '(a+b)/c'], // pylatexenc 2.10 writes a+b/c, the same as a+\frac{b}{c}
    ['a+\\frac{b}{c}', 'a+b/c'],
    ['\\sqrt[3]{2}', 'root(3)(2)'], // pylatexenc drops the index
    ['x^{2y}', 'x^(2y)'],
    ['x^{2}y', 'x^2y'],
    ['1\\frac{1}{2}', '1+1/2'], // mixed number
    ['(-\\infty, 3]', '(-inf,3]'],
    ['3 \\pi', '3pi'],
    ['\\$5 or \\$6', '5,6'],
  ];
  it.each(table)('%j → %j', (input, expected) => {
    expect(normalizeAnswerLoose(input)).toBe(expected);
  });
});

/** given, reference, correct, method (when correct). */
const TABLE: [string | null, string, boolean, GradeMethod][] = [
  // exact
  ['204', '204', true, 'exact'],
  ['\\frac{14}{3}', '\\frac{14}{3}', true, 'exact'],
  // normalised
  ['\\dfrac{14}{3}', '\\frac{14}{3}', true, 'normalized'],
  ['14/3', '\\frac{14}{3}', true, 'normalized'],
  ['\\frac{4}{3}', '\\frac43', true, 'normalized'],
  ['0.5', '\\frac{1}{2}', true, 'normalized'],
  ['25', '025', true, 'normalized'],
  ['\\left( 3, \\dfrac{\\pi}{2} \\right)', '(3, \\frac{\\pi}{2})', true, 'normalized'],
  ['p-q', 'p - q', true, 'normalized'],
  ['Evelyn', '\\text{Evelyn}', true, 'normalized'],
  ['evelyn', '\\text{Evelyn}', true, 'normalized'],
  ['6-5i', '6 - 5i', true, 'normalized'],
  ['[-2,7)', '[-2, 7)', true, 'normalized'],
  ['30^\\circ', '30', true, 'normalized'],
  ['12 \\text{ cm}', '12', true, 'normalized'],
  ['10,080', '10080', true, 'normalized'],
  ['x = 4', '4', true, 'normalized'],
  ['\\$ 40', '40', true, 'normalized'],
  ['3\\sqrt5', '3 \\sqrt{5}', true, 'normalized'],
  ['288\\pi', '288 \\pi', true, 'normalized'],
  ['(-\\infty, 3]', '(-\\infty,3]', true, 'normalized'],
  // symbolic
  ['-q+p', 'p - q', true, 'symbolic'],
  ['-5i+6', '6 - 5i', true, 'symbolic'],
  ['\\sqrt{45}', '3 \\sqrt{5}', true, 'symbolic'],
  ['\\frac{1}{\\sqrt{3}}', '\\frac{\\sqrt{3}}{3}', true, 'symbolic'],
  ['\\frac{\\sqrt{27}}{4}', '\\frac{3\\sqrt{3}}{4}', true, 'symbolic'],
  ['\\frac{3}{4}\\sqrt{3}', '\\frac{3\\sqrt{3}}{4}', true, 'symbolic'],
  ['\\pi \\cdot 288', '288 \\pi', true, 'symbolic'],
  ['-\\frac{\\sqrt{12}}{2}', '-\\sqrt{3}', true, 'symbolic'],
  ['\\sqrt{2}\\sqrt{33}', '\\sqrt{66}', true, 'symbolic'],
  ['1.5', '\\frac{3}{2}', true, 'symbolic'],
  ['0.25', '\\frac{1}{4}', true, 'symbolic'],
  ['1\\frac{1}{2}', '\\frac{3}{2}', true, 'symbolic'],
  ['\\left(3, \\frac{1}{2}\\pi\\right)', '(3, \\frac{\\pi}{2})', true, 'symbolic'],
  ['x^2+2x+1', '(x+1)^2', true, 'symbolic'],
  ['\\frac{x^2-1}{x-1}', 'x+1', true, 'symbolic'],
  ['\\frac{(x-0.6180339887)^2}{x-0.6180339887}', 'x-0.6180339887', true, 'symbolic'], // 0/0 at a sample point: skipped
  ['1,234.5', '\\frac{2469}{2}', true, 'symbolic'], // a grouped number, not a list
  ['\\sin\\left(\\frac{\\pi}{6}\\right)', '\\frac{1}{2}', true, 'symbolic'],
  ['\\sin(\\pi/6)', '0.5', true, 'symbolic'],
  ['\\{2, 1\\}', '\\{1, 2\\}', true, 'symbolic'],
  ['\\frac{8}{15}.', '\\frac{8}{15}', true, 'symbolic'],
  ['2^{90}', '4^{45}', true, 'symbolic'],
  // not equal
  [null, '204', false, 'none'],
  ['', '204', false, 'none'],
  ['205', '204', false, 'none'],
  ['2', '\\frac{1}{2}', false, 'none'],
  ['\\frac{1}{2}', '2', false, 'none'],
  ['x+1', 'x-1', false, 'none'],
  ['x', 'y', false, 'none'],
  ['(1,2)', '(2,1)', false, 'none'],
  ['(1,2)', '[1,2]', false, 'none'],
  ['(-2, 7)', '[-2, 7)', false, 'none'],
  ['(-\\infty, 3)', '(-\\infty, 3]', false, 'none'],
  ['1, 2', '2, 1', false, 'none'], // ordered, as the reference
  ['(1,2,3)', '(1,2)', false, 'none'],
  ['6+5i', '6 - 5i', false, 'none'],
  ['q-p', 'p - q', false, 'none'],
  ['-y = 2x + 3', 'y = 2x + 3', false, 'none'],
  ['-y=2x+3', 'y=2x+3', false, 'none'],
  ['\\text{Evelyn}', '\\text{Evely}', false, 'none'],
  ['\\frac{2}{4}', '\\frac{1}{2}', false, 'none'], // unreduced: the reference rejects it
  ['2^{10}', '1024', false, 'none'], // an integer reference needs an integer (reference rule)
  ['\\frac{8}{2}', '4', false, 'none'],
  ['0.3333333333333', '\\frac{1}{3}', false, 'none'], // a rounded decimal is not the number
  ['4.71238898038469', '\\frac{3\\pi}{2}', false, 'none'],
  ['1.5708', '\\frac{\\pi}{2}', false, 'none'],
  ['2^{90}+1', '2^{90}', false, 'none'], // 50-digit arithmetic tells them apart
  ['2^{100}+1', '2^{100}', false, 'none'], // beyond 1e30 nothing is trusted
  ['10^{60}\\pi+1', '10^{60}\\pi', false, 'none'], // (50 digits cannot see the +1)
  ['\\frac{x}{0}', '\\frac{y}{0}', false, 'none'], // defined nowhere: nothing was compared
  ['\\frac{a+b}{c}', 'a+\\frac{b}{c}', false, 'none'], // pylatexenc makes these equal strings
  ['\\sqrt[3]{2}', '\\sqrt{2}', false, 'none'], // pylatexenc drops the root index
  ['x^{2y}', 'x^{2}y', false, 'none'],
  ['\\ln(x^2)', '2\\ln(x)', false, 'none'], // differ for x < 0
  ['\\sqrt{x^2}', 'x', false, 'none'],
  ['abc', 'cba', false, 'none'], // three unknowns: not compared (reference: at most two letters)
  ['30', '\\frac{\\pi}{6}', false, 'none'], // degrees are dropped, not converted
  ['\\infty', '-\\infty', false, 'none'],
  ['10^{400}', '10^{400}+1', false, 'none'],
  ['\\pm 2', '2', false, 'none'],
];

describe('gradeAnswerAsync: table', () => {
  it('has at least 40 rows', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
  });
  it.each(TABLE)('%j vs %j → %s (%s)', async (given, reference, correct, method) => {
    const g = await gradeAnswerAsync(given, reference);
    expect(g).toEqual({ correct, method: correct ? method : 'none' });
  });
});

describe('gradeAnswer (sync) agrees with the async grader where it can', () => {
  it.each(TABLE)('%j vs %j', async (given, reference) => {
    const sync = gradeAnswer(given, reference);
    const full = await gradeAnswerAsync(given, reference);
    expect(sync.method).not.toBe('symbolic');
    if (full.method === 'symbolic') expect(sync).toEqual({ correct: false, method: 'none' });
    else expect(sync).toEqual(full);
  });
});

describe('every bundled reference answer', () => {
  it('has 80 answers to check', () => {
    expect(REFERENCES.length).toBe(80);
  });
  it.each(REFERENCES.map((a, i) => [i, a] as const))('#%i %j equals itself, exactly', async (_i, a) => {
    expect(gradeAnswer(a, a)).toEqual({ correct: true, method: 'exact' });
    expect(await gradeAnswerAsync(a, a)).toEqual({ correct: true, method: 'exact' });
  });
  it.each(REFERENCES.map((a, i) => [i, a] as const))('#%i %j equals its reformatted versions', async (_i, a) => {
    for (const v of reformatted(a)) {
      const g = await gradeAnswerAsync(v, a);
      expect({ v, ...g }).toMatchObject({ v, correct: true });
    }
  });
  it.each(REFERENCES.map((a, i) => [i, a] as const))('#%i %j differs from perturbed versions and other answers', async (i, a) => {
    const others = REFERENCES.filter((b) => b !== a && !(a === '4' && b === '4'));
    const wrong = [...perturbed(a), others[i % others.length]!, others[(i * 7 + 3) % others.length]!];
    for (const w of wrong) {
      // "\\frac43" vs "\\frac{4}{3}"-like duplicates are not in the set, but be safe
      if (normalizeAnswer(w) === normalizeAnswer(a)) continue;
      const g = await gradeAnswerAsync(w, a);
      expect({ w, ...g }).toEqual({ w, correct: false, method: 'none' });
    }
  });
});

describe('hostile input', () => {
  const HOSTILE = [
    '10^{10^{10}}',
    '2^{2^{2^{2^{2}}}}',
    '((2^{1000})^{1000})^{1000}',
    '(x+1)^{100000}',
    '\\sum_{n=1}^{1000000000} n',
    '\\prod_{n=1}^{100000} n',
    '\\int_0^1 x\\,dx',
    '99999!',
    '\\Gamma(10^{7})',
    'e^{e^{e^{10}}}',
    '\\exp(\\exp(\\exp(10)))',
    '\\sqrt{999999999999999999999999999999999999999999999999999989}',
    '\\frac{1}{0}',
    '('.repeat(200) + '1' + ')'.repeat(200),
    '\\frac{'.repeat(100) + '1}{2}'.repeat(100),
    'x'.repeat(5000),
    '1+'.repeat(2000) + '1',
    '\\left(\\right)'.repeat(300),
    '{'.repeat(1000),
    '\\',
    '\\frac',
    '\\sqrt',
    '^^^^',
  ];
  // How long a rejection takes is measured by tools/bench-grade.ts.
  it.each(HOSTILE.map((h) => [h.slice(0, 40), h] as const))('%j is rejected', async (_label, h) => {
    await loadSymbolicEngine();
    for (const ref of ['\\sqrt{2}', '\\frac{1}{2}', 'x+1', '204']) {
      expect(await gradeAnswerAsync(h, ref)).toEqual({ correct: false, method: 'none' });
      expect(await gradeAnswerAsync(ref, h)).toEqual({ correct: false, method: 'none' });
    }
  });
});

describe('gradeAnswerWithEngine', () => {
  it('grades synchronously once the engine is loaded', async () => {
    const ce = await loadSymbolicEngine();
    expect(await loadSymbolicEngine()).toBe(ce); // loaded once
    expect(gradeAnswerWithEngine(ce, '\\sqrt{45}', '3\\sqrt{5}')).toEqual({ correct: true, method: 'symbolic' });
    expect(gradeAnswerWithEngine(ce, '\\sqrt{44}', '3\\sqrt{5}')).toEqual({ correct: false, method: 'none' });
    expect(gradeAnswerWithEngine(ce, null, '3')).toEqual({ correct: false, method: 'none' });
  });
});
