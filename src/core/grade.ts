/**
 * Grading a final answer against a reference, the way the Elastic Reasoning paper's grader does
 * (SalesforceAIResearch/Elastic-Reasoning @ 8871a3c, rllm/rewards/math_utils/utils.py, called from
 * rllm/rewards/math_reward.py as `grade_answer_mathd(given, truth) or grade_answer_sympy(given, truth)`).
 *
 * Three stages, cheapest first; the first that says "equal" names the method:
 *  1. `exact`: the trimmed strings are identical.
 *  2. `normalized`: equal after `normalizeAnswer` (port of `mathd_normalize_answer` / `_strip_string`,
 *     Hendrycks' MATH normaliser) or after `normalizeAnswerLoose` (port of `_normalize`, the first step
 *     of `grade_answer_sympy`). Synchronous, no dependency: `gradeAnswer`.
 *  3. `symbolic`: the reference's `grade_answer_sympy` with SymPy replaced by a JavaScript CAS; its
 *     guards are kept (tuple/interval splitting with matching brackets, unreduced fractions compared
 *     as strings, an integer reference needs an integer answer, at most two unknowns). Asynchronous
 *     because the CAS is loaded on demand: `gradeAnswerAsync`.
 *
 * Library for stage 3: @cortex-js/compute-engine (MIT, github.com/cortex-js/compute-engine, the CAS
 * behind MathLive). Chosen because it parses LaTeX itself (`ce.parse('\\frac{3\\sqrt3}{4}')`), so no
 * hand-written LaTeX→expression translation stands between the model's output and the algebra; it
 * evaluates exactly (rationals, radicals, π) or with arbitrary precision (decimal.js inside), has
 * complex numbers, ships ESM with its own types and two small dependencies. Alternatives looked at:
 * mathjs (Apache-2.0, well kept, but parses only its own ASCII syntax: we would have to port
 * pylatexenc's latex2text first, the lossy step that makes the reference accept `\frac{a+b}{c}` for
 * `a+\frac{b}{c}`), nerdamer / algebrite (no LaTeX input, little recent maintenance).
 * Version: 0.27.x is the last release whose `engines` allows Node 20 (0.28+ asks for Node ≥ 21.7), so
 * package.json keeps `^0.27.0` (which, for a 0.x version, stays within 0.27); it brings decimal.js and
 * complex-esm. Size: a ~660 kB chunk in a Vite build (~160 kB gzipped). It is only ever reached through
 * a dynamic `import()`, so Vite splits it off and fetches it the first time `loadSymbolicEngine` runs;
 * this module itself is ~16 kB. Cost once loaded: a few ms per symbolic comparison.
 *
 * Safety: model output is untrusted. The CAS can be made to hang or exhaust memory (`10^{10^{10}}`
 * evaluated numerically, `\sum_{n=1}^{10^9}`, `99999!`), and JavaScript cannot interrupt a synchronous
 * call, so every expression is vetted *before* anything is evaluated: length caps, an allow-list of
 * operators (no sums, products, integrals, limits), bounded exponents and factorials, ≤ 2 unknowns.
 * Anything outside that is simply not graded symbolically (`correct: false`). Equality is decided
 * numerically on exact/50-digit values with a tolerance that never accepts two different integers,
 * nor a rounded decimal for an irrational (SymPy also rejects those).
 *
 * Deviations from the reference, checked against it (pylatexenc 2.10 + SymPy) on the MATH500 answers:
 * stricter where its text conversion is lossy (it equates `\frac{a+b}{c}` with `a+\frac{b}{c}`,
 * `\sqrt[3]{2}` with `\sqrt{2}`, `x^{2y}` with `x^{2}y`, and strips `-y=` like `y=`); more lenient
 * where it misses plain equalities (a trailing full stop, a parenthesised value, a set in another
 * order, `2^{90}` vs `4^{45}` which its exponent filter refuses, `\frac{x^2-1}{x-1}` vs `x+1`).
 */

import type { BoxedExpression, ComputeEngine } from '@cortex-js/compute-engine';

export type GradeMethod = 'exact' | 'normalized' | 'symbolic' | 'none';

export interface Grade {
  readonly correct: boolean;
  /** How equality was established; `none` when it was not (or there was no answer). */
  readonly method: GradeMethod;
}

/** Longer answers are compared as exact strings only (normalisation is cheap but not free). */
export const MAX_NORMALIZE_CHARS = 2000;
/** Longer answers (either side) are never handed to the CAS. */
export const MAX_SYMBOLIC_CHARS = 300;
/** Per tuple element. */
const MAX_ELEMENT_CHARS = 160;
const MAX_ELEMENTS = 16;

const NONE: Grade = Object.freeze({ correct: false, method: 'none' });

// ---------------------------------------------------------------------------------------------
// Stage 2a: `mathd_normalize_answer` and `_strip_string` (Dan Hendrycks' MATH normaliser).
// Ported step by step, including where Python raises: the reference catches any exception in
// `mathd_normalize_answer` and returns the (stripped, `\text{}`-unwrapped) answer unchanged.
// ---------------------------------------------------------------------------------------------

class Unnormalizable extends Error {}

/** `_fix_fracs`: `\frac12` → `\frac{1}{2}`, `\frac1{72}` → `\frac{1}{72}`. */
function fixFracs(string: string): string {
  const substrs = string.split('\\frac');
  let newStr = substrs[0] ?? '';
  for (const substr of substrs.slice(1)) {
    newStr += '\\frac';
    // Python: `substr[0]` on '' raises IndexError (not caught here, only by mathd_normalize_answer).
    if (substr.length === 0) throw new Unnormalizable('\\frac at the end');
    if (substr[0] === '{') {
      newStr += substr;
    } else {
      // `assert len(substr) >= 2` failing returns the input unchanged.
      if (substr.length < 2) return string;
      const a = substr[0]!;
      const b = substr[1]!;
      if (b !== '{') newStr += `{${a}}{${b}}${substr.slice(2)}`;
      else newStr += `{${a}}${b}${substr.slice(2)}`;
    }
  }
  return newStr;
}

/** Python `int(s)` for the strings `_fix_a_slash_b` accepts: optional sign, digits, spaces around. */
function pyInt(s: string): bigint | null {
  const t = s.trim();
  if (!/^[+-]?\d+(?:_\d+)*$/.test(t)) return null;
  return BigInt(t.replace(/_/g, ''));
}

/** `_fix_a_slash_b`: `3/4` → `\frac{3}{4}` when both sides are plain integers written canonically. */
function fixASlashB(string: string): string {
  const parts = string.split('/');
  if (parts.length !== 2) return string;
  const a = pyInt(parts[0]!);
  const b = pyInt(parts[1]!);
  if (a === null || b === null) return string;
  if (string !== `${a}/${b}`) return string;
  return `\\frac{${a}}{${b}}`;
}

/** `_remove_right_units`: "\text{ " only ever starts units; keep what is left of it. */
function removeRightUnits(string: string): string {
  if (!string.includes('\\text{ ')) return string;
  const splits = string.split('\\text{ ');
  // `assert len(splits) == 2`
  if (splits.length !== 2) throw new Unnormalizable('several \\text{ units');
  return splits[0]!;
}

/** `_fix_sqrt`: `\sqrt3` → `\sqrt{3}`. */
function fixSqrt(string: string): string {
  if (!string.includes('\\sqrt')) return string;
  const splits = string.split('\\sqrt');
  let out = splits[0] ?? '';
  for (const split of splits.slice(1)) {
    if (split.length === 0) throw new Unnormalizable('\\sqrt at the end'); // Python: split[0] raises
    if (split[0] !== '{') out += `\\sqrt{${split[0]}}${split.slice(1)}`;
    else out += `\\sqrt${split}`;
  }
  return out;
}

/** What may stand left of `=` in an answer like `k = 5`: a one- or two-character name, or nothing. */
const SHORT_NAME = /^\s*(?:[A-Za-z][A-Za-z0-9]?)?\s*$/;

/** `_strip_string`, in the reference's order. */
function stripString(input: string): string {
  let string = input;
  string = string.replaceAll('\n', ''); // linebreaks
  string = string.replaceAll('\\!', ''); // inverse spaces
  string = string.replaceAll('\\\\', '\\'); // \\ → \
  string = string.replaceAll('tfrac', 'frac').replaceAll('dfrac', 'frac');
  string = string.replaceAll('\\left', '').replaceAll('\\right', '');
  string = string.replaceAll('^{\\circ}', '').replaceAll('^\\circ', ''); // degrees
  string = string.replaceAll('\\$', ''); // dollar signs
  string = removeRightUnits(string);
  string = string.replaceAll('\\%', ''); // percentage (Python's "\%" is the same two characters)
  // " 0." ≡ " ." and "{0." ≡ "{."; a leading "." gets a "0".
  string = string.replaceAll(' .', ' 0.').replaceAll('{.', '{0.');
  if (string.length === 0) return string;
  if (string[0] === '.') string = '0' + string;
  // "k = 5" / "q = 5" → "5" (a left-hand side of at most two characters, spaces included).
  // Deviation: the left side must also be a name, so "-y=2x+3" is not taken for "y=2x+3".
  const eq = string.split('=');
  if (eq.length === 2 && eq[0]!.length <= 2 && SHORT_NAME.test(eq[0]!)) string = eq[1]!;
  string = fixSqrt(string);
  string = string.replaceAll(' ', '');
  string = fixFracs(string);
  if (string === '0.5') string = '\\frac{1}{2}';
  string = fixASlashB(string);
  return string;
}

/** `^\\text\{(?P<text>.+?)\}$`: an answer that is one `\text{...}` (the lazy `.+?` is forced to the last `}` by `$`). */
const WHOLE_TEXT = /^\\text\{(.+?)\}$/;

/**
 * MATH-style normalisation: a port of the reference's `mathd_normalize_answer` (Hendrycks'
 * `_strip_string`): drops `\left`/`\right`, `\!`, spaces, `^\circ`, `\$`, `\%`, trailing
 * `\text{ units}`, a short `x =` prefix; `\dfrac`/`\tfrac` → `\frac`; `\frac12` → `\frac{1}{2}`;
 * `\sqrt3` → `\sqrt{3}`; `0.5` → `\frac{1}{2}`; `a/b` (integers) → `\frac{a}{b}`; `.5` → `0.5`.
 * Where the reference's code raises (e.g. two `\text{ ` units), the trimmed answer is returned.
 */
export function normalizeAnswer(s: string): string {
  let answer = s.trim();
  const m = WHOLE_TEXT.exec(answer);
  if (m) answer = m[1]!.trim();
  try {
    return stripString(answer);
  } catch (e) {
    if (e instanceof Unnormalizable) return answer;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Stage 2b: `_normalize` (the first step of `grade_answer_sympy`).
// ---------------------------------------------------------------------------------------------

/** Python `float(s)`; null where it raises. Underscores between digits are accepted, as in Python. */
function pyFloat(s: string): number | null {
  const t = s.trim();
  if (/^[+-]?(?:inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  const d = String.raw`\d(?:_?\d)*`;
  const re = new RegExp(`^[+-]?(?:${d}(?:\\.(?:${d})?)?|\\.${d})(?:[eE][+-]?${d})?$`);
  if (!re.test(t)) return null;
  return Number(t.replace(/_/g, ''));
}

/** `_is_int` on a float: `abs(x - int(round(x))) <= 1e-7`; inf/nan raise in Python → False. */
function isIntFloat(x: number): boolean {
  if (!Number.isFinite(x)) return false;
  return Math.abs(x - Math.round(x)) <= 1e-7;
}

/** `str(int(round(x)))` for a finite float (exact digits of the double, like Python). */
function intString(x: number): string {
  return BigInt(Math.round(x)).toString();
}

/** `_strip_properly_formatted_commas`: "1,234,567" → "1234567", but "(1,2)" stays. */
function stripProperlyFormattedCommas(expr: string): string {
  let cur = expr;
  for (;;) {
    const next = cur.replace(/(\d)(,)(\d\d\d)($|\D)/g, '$1$3$4');
    if (next === cur) return next;
    cur = next;
  }
}

/** `_str_is_int`. */
function strIsInt(x: string): boolean {
  const f = pyFloat(stripProperlyFormattedCommas(x));
  return f !== null && isIntFloat(f);
}

/** `_str_to_int`: commas dropped, `int(float(x))` (truncation). Only called after `strIsInt`. */
function strToInt(x: string): string {
  const f = pyFloat(x.replace(/,/g, ''));
  if (f === null || !Number.isFinite(f)) return x;
  return BigInt(Math.trunc(f)).toString();
}

/** `_is_frac`: `^-?[0-9]+.?/0*[1-9][0-9]*.?$`. */
function isFrac(expr: string): boolean {
  return /^-?[0-9]+.?\/0*[1-9][0-9]*.?$/.test(expr);
}

const UNITS = [
  'degree', 'cm', 'centimeter', 'meter', 'mile', 'second', 'minute', 'hour', 'day', 'week',
  'month', 'year', 'foot', 'feet', 'inch', 'yard',
];
const UNIT_RES = UNITS.map((u) => new RegExp(`${u}(es)?(s)? *(\\^[0-9]+)?`, 'g'));

/**
 * LaTeX → plain text, standing in for pylatexenc's `LatexNodes2Text().latex_to_text` plus the
 * character replacements of the reference's `_parse_latex`. Deliberately *not* lossy where
 * pylatexenc 2.10 is: `\frac{a+b}{c}` gives `(a+b)/c` (pylatexenc: `a+b/c`, the same text as
 * `a+\frac{b}{c}`), `\sqrt[3]{2}` keeps its index, `x^{2y}` gives `x^(2y)`, an unknown macro keeps its
 * name. Simple fractions still read `14/3` so `_is_frac` sees them as the reference does.
 */
function latexToText(src: string): string {
  let i = 0;
  const n = src.length;

  const skipSpaces = (): void => {
    while (i < n && /\s/.test(src[i]!)) i++;
  };
  /** One macro argument: a `{group}`, a macro, or one character. */
  const readArg = (): string => {
    skipSpaces();
    if (i >= n) return '';
    if (src[i] === '{') {
      i++;
      return readSeq(true);
    }
    if (src[i] === '\\') return readMacro();
    return src[i++]!;
  };
  const readOptional = (): string | null => {
    skipSpaces();
    if (src[i] !== '[') return null;
    const close = src.indexOf(']', i);
    if (close < 0) return null;
    const inner = src.slice(i + 1, close);
    i = close + 1;
    return latexToText(inner);
  };
  const wrap = (t: string, allowMinus: boolean): string => {
    const simple = allowMinus ? /^-?(?:[0-9]+(?:\.[0-9]+)?|[A-Za-z]|π)$/ : /^(?:[0-9]+(?:\.[0-9]+)?|[A-Za-z]|π)$/;
    return simple.test(t) ? t : `(${t})`;
  };
  const readMacro = (): string => {
    // at '\'
    i++;
    if (i >= n) return '\\';
    let name: string;
    if (/[A-Za-z]/.test(src[i]!)) {
      const start = i;
      while (i < n && /[A-Za-z]/.test(src[i]!)) i++;
      name = src.slice(start, i);
      if (src[i] === '*') i++;
    } else {
      name = src[i++]!;
    }
    switch (name) {
      case 'frac': case 'dfrac': case 'tfrac': case 'cfrac': case 'nicefrac': {
        const num = readArg().trim();
        const den = readArg().trim();
        // `_parse_latex` puts a space before \frac so "1\frac12" reads as a mixed number.
        return ` ${wrap(num, true)}/${wrap(den, false)}`;
      }
      case 'sqrt': {
        const index = readOptional();
        const arg = readArg().trim();
        return index === null ? `√(${arg})` : `root(${index})(${arg})`;
      }
      case 'text': case 'textrm': case 'textup': case 'textit': case 'textbf': case 'textsf':
      case 'mathrm': case 'mathit': case 'mathbf': case 'mathsf': case 'mbox': case 'operatorname':
      case 'boxed': case 'displaystyle': case 'textstyle':
        return name === 'displaystyle' || name === 'textstyle' ? '' : readArg();
      case 'left': case 'right': case 'big': case 'Big': case 'bigl': case 'bigr': case 'Bigl': case 'Bigr':
        return '';
      case ',': case ';': case ':': case '!': case ' ': case 'quad': case 'qquad':
        return ' ';
      case 'pi': return 'π';
      case 'infty': return '∞';
      case 'cdot': case 'times': return '*';
      case 'cup': return '∪';
      case '{': return '{';
      case '}': return '}';
      case '%': return '%';
      case '$': return '$';
      case '\\': return ' ';
      default:
        return `\\${name}`;
    }
  };
  /** Until the end, or the `}` closing a group when `inGroup`. */
  const readSeq = (inGroup: boolean): string => {
    let out = '';
    while (i < n) {
      const c = src[i]!;
      if (c === '}') {
        i++;
        if (inGroup) return out;
        out += '}';
        continue;
      }
      if (c === '{') {
        i++;
        out += readSeq(true);
        continue;
      }
      if (c === '\\') {
        out += readMacro();
        continue;
      }
      if (c === '^' || c === '_') {
        i++;
        const arg = readArg().trim();
        out += c + (arg.length > 1 ? `(${arg})` : arg);
        continue;
      }
      out += c;
      i++;
    }
    return out;
  };
  let text = readSeq(false);
  text = text
    .replaceAll('√', 'sqrt')
    .replaceAll('π', 'pi')
    .replaceAll('∞', 'inf')
    .replaceAll('∪', 'U')
    .replaceAll('·', '*')
    .replaceAll('×', '*');
  return text.trim();
}

/**
 * The reference's `_normalize` (the first step of `grade_answer_sympy`): `\text{}` unwrapped,
 * `$`/`%` dropped, " or "/" and " → ",", million/billion/trillion, unit words (degree, cm, meter,
 * mile, second … yard, with plural and `^2`) removed, `^\circ` removed, `5.0` → `5`, LaTeX turned into
 * text (see `latexToText`), spaces and leftover braces dropped, lower case, `1,000` → `1000`.
 */
export function normalizeAnswerLoose(s: string): string {
  let expr = s;
  const m = WHOLE_TEXT.exec(expr);
  if (m) expr = m[1]!;
  expr = expr.replaceAll('\\%', '%').replaceAll('\\$', '$').replaceAll('$', '').replaceAll('%', '');
  expr = expr.replaceAll(' or ', ' , ').replaceAll(' and ', ' , ');
  expr = expr.replaceAll('million', '*10^6').replaceAll('billion', '*10^9').replaceAll('trillion', '*10^12');
  for (const re of UNIT_RES) expr = expr.replace(re, '');
  expr = expr.replace(/\^ *\\circ/g, '');
  if (expr.length > 0 && expr[0] === '{' && expr[expr.length - 1] === '}') expr = expr.slice(1, -1);
  expr = expr.replace(/,\\! */g, '');
  const f = pyFloat(expr);
  if (f !== null && isIntFloat(f)) expr = intString(f);
  // The reference converts only when a backslash is present; our converter is the identity on plain
  // text except that it keeps `^{...}` grouped, so it runs always (braces are dropped below anyway).
  expr = latexToText(expr);
  expr = expr.replace(/- */g, '-'); // mixed numbers and negative signs
  expr = expr.replace(/([0-9]) +([0-9])/g, '$1+$2'); // `_inject_implicit_mixed_number`: "7 3/4" → "7+3/4"
  expr = expr.replaceAll(' ', '');
  expr = expr.replaceAll('{', '').replaceAll('}', '');
  expr = expr.toLowerCase();
  if (strIsInt(expr)) expr = strToInt(expr);
  return expr;
}

// ---------------------------------------------------------------------------------------------
// Stages 1-2: synchronous grading.
// ---------------------------------------------------------------------------------------------

/**
 * Exact and normalised comparison only (no CAS): `{ correct, method }`. A null or blank answer is
 * never correct. Same verdict as `gradeAnswerAsync` whenever this one says correct.
 */
export function gradeAnswer(given: string | null, reference: string): Grade {
  if (given === null) return NONE;
  const g = given.trim();
  const r = reference.trim();
  if (g.length === 0 || r.length === 0) return NONE;
  if (g === r) return { correct: true, method: 'exact' };
  if (g.length > MAX_NORMALIZE_CHARS || r.length > MAX_NORMALIZE_CHARS) return NONE;
  if (normalizeAnswer(g) === normalizeAnswer(r)) return { correct: true, method: 'normalized' };
  const ln = normalizeAnswerLoose(r);
  if (ln.length > 0 && ln === normalizeAnswerLoose(g)) return { correct: true, method: 'normalized' };
  return NONE;
}

// ---------------------------------------------------------------------------------------------
// Stage 3: symbolic equivalence with the compute engine.
// ---------------------------------------------------------------------------------------------

type Engine = ComputeEngine;
let enginePromise: Promise<Engine> | null = null;

/** Loads (once) and returns the CAS. Call early to warm it up; `gradeAnswerAsync` calls it itself. */
export function loadSymbolicEngine(): Promise<Engine> {
  enginePromise ??= import('@cortex-js/compute-engine').then((mod) => {
    const ce = new mod.ComputeEngine();
    ce.precision = 50; // digits; exact arithmetic stays exact
    return ce;
  });
  enginePromise.catch(() => {
    enginePromise = null; // let a later call retry (e.g. a chunk that failed to download)
  });
  return enginePromise;
}

/**
 * Full grading: `gradeAnswer`, then, when that fails, the reference's `grade_answer_sympy` logic
 * with the compute engine. Never throws; anything the CAS cannot vouch for is `none`.
 */
export async function gradeAnswerAsync(given: string | null, reference: string): Promise<Grade> {
  const quick = gradeAnswer(given, reference);
  if (quick.correct || given === null) return quick;
  if (!symbolicCandidate(given, reference)) return NONE;
  let ce: Engine;
  try {
    ce = await loadSymbolicEngine();
  } catch {
    return NONE;
  }
  return gradeAnswerWithEngine(ce, given, reference);
}

function symbolicCandidate(given: string, reference: string): boolean {
  const g = given.trim();
  const r = reference.trim();
  return g.length > 0 && r.length > 0 && g.length <= MAX_SYMBOLIC_CHARS && r.length <= MAX_SYMBOLIC_CHARS;
}

/** Synchronous full grading once the engine is loaded (`await loadSymbolicEngine()`). */
export function gradeAnswerWithEngine(ce: Engine, given: string | null, reference: string): Grade {
  const quick = gradeAnswer(given, reference);
  if (quick.correct || given === null) return quick;
  if (!symbolicCandidate(given, reference)) return NONE;
  try {
    return symbolicEqual(ce, given.trim(), reference.trim()) ? { correct: true, method: 'symbolic' } : NONE;
  } catch {
    return NONE;
  }
}

/**
 * Meaning-preserving clean-up before parsing: the parts of `_strip_string` that are not about
 * spelling (spaces are kept: `\pi r` must not become `\pir`).
 */
function cleanForParse(s: string): string {
  let t = s.trim();
  const m = WHOLE_TEXT.exec(t);
  if (m) t = m[1]!.trim();
  t = t.replaceAll('\n', ' ');
  t = t.replace(/\\(?:displaystyle|textstyle)\b/g, '');
  t = t.replaceAll('\\!', '').replace(/\\[,;: ]/g, ' ').replace(/\\q?quad\b/g, ' ');
  t = t.replace(/\\[dtc]frac\b/g, '\\frac');
  t = t.replace(/\\(?:left|right)\s*\./g, '');
  t = t.replace(/\\(?:left|right)\b/g, '');
  t = t.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ\b|°/g, '');
  t = t.replaceAll('\\$', '').replaceAll('$', '');
  t = t.replaceAll('\\%', '').replaceAll('%', '');
  // trailing units: `\text{ cm}` as in `_remove_right_units`, or a known unit word
  const i = t.indexOf('\\text{ ');
  if (i > 0) t = t.slice(0, i);
  const unitWord = `(?:${UNITS.join('|')}|unit|inche)(?:es|s)?(?:\\^\\{?\\d\\}?)?`;
  t = t.replace(new RegExp(`\\s*\\\\(?:text|mbox|mathrm)\\{\\s*${unitWord}\\s*\\}\\s*$`), '');
  t = t.replace(new RegExp(`\\s+${unitWord}\\s*$`), '');
  t = t.trim().replace(/\.$/, '').trim(); // sentence full stop
  const eq = t.split('=');
  if (eq.length === 2 && eq[0]!.trim().length <= 2 && SHORT_NAME.test(eq[0]!)) t = eq[1]!.trim();
  t = t.replace(/(\d)\{,\}(\d)/g, '$1$2'); // 1{,}000
  return t;
}

interface Split {
  /** `(`, `[`, `\{`, or '' for a bare comma list / a single value. */
  readonly open: string;
  readonly close: string;
  readonly elems: readonly string[];
}

/**
 * `split_tuple`, generalised: an answer wrapped in one pair of brackets (any of `()[]` at either end,
 * so half-open intervals count, or `\{ \}` for sets) is split on its top-level commas; so is a bare
 * comma list. Commas that group digits ("1,000") are not separators.
 */
function splitTuple(s: string): Split | null {
  let open = '';
  let close = '';
  let inner = s;
  if (s.startsWith('\\{') && s.endsWith('\\}') && s.length >= 4) {
    open = '\\{';
    close = '\\}';
    inner = s.slice(2, -2);
  } else if (s.length >= 2 && '(['.includes(s[0]!) && ')]'.includes(s[s.length - 1]!)) {
    open = s[0]!;
    close = s[s.length - 1]!;
    inner = s.slice(1, -1);
  }
  const elems: string[] = [];
  let depth = 0;
  let start = 0;
  for (let k = 0; k < inner.length; k++) {
    const c = inner[k]!;
    if (c === '\\' && (inner[k + 1] === '{' || inner[k + 1] === '}')) {
      depth += inner[k + 1] === '{' ? 1 : -1;
      k++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      elems.push(inner.slice(start, k));
      start = k + 1;
    }
    if (depth < 0) {
      // the brackets at the ends do not enclose the whole answer, e.g. "(1,2)+(3,4)"
      return open === '' ? null : splitBare(s);
    }
  }
  if (depth !== 0) return null;
  elems.push(inner.slice(start));
  const trimmed = elems.map((e) => e.trim());
  if (open !== '' && open !== '\\{' && trimmed.length === 1) {
    // "(5)" is a parenthesised value, not a 1-tuple; "[5]" is left alone
    return { open: '', close: '', elems: [open === '(' && close === ')' ? trimmed[0]! : s] };
  }
  return { open, close, elems: joinDigitGroups(trimmed) };
}

/** The answer is not one bracketed group: split it as a bare list. */
function splitBare(s: string): Split | null {
  const elems: string[] = [];
  let depth = 0;
  let start = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s[k]!;
    if (c === '\\' && (s[k + 1] === '{' || s[k + 1] === '}')) {
      depth += s[k + 1] === '{' ? 1 : -1;
      k++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      elems.push(s.slice(start, k));
      start = k + 1;
    }
  }
  elems.push(s.slice(start));
  return { open: '', close: '', elems: joinDigitGroups(elems.map((e) => e.trim())) };
}

/** "1", "000" after splitting "1,000" → "1000" (only a comma list that is one grouped number). */
function joinDigitGroups(elems: string[]): string[] {
  const joined = elems.join(',');
  if (elems.length > 1 && /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(joined)) return [joined.replaceAll(',', '')];
  return elems;
}

/** Operators an answer may use in the symbolic stage (MathJSON heads, non-canonical parse). */
const ALLOWED_HEADS = new Set([
  'Add', 'Subtract', 'Negate', 'Multiply', 'Divide', 'Rational', 'InvisibleOperator', 'Delimiter',
  'Power', 'Sqrt', 'Root', 'Square', 'Exp', 'Ln', 'Log', 'Lb', 'Lg',
  'Sin', 'Cos', 'Tan', 'Cot', 'Sec', 'Csc', 'Arcsin', 'Arccos', 'Arctan',
  'Sinh', 'Cosh', 'Tanh', 'Abs', 'Complex', 'Factorial', 'Half', 'Sequence',
]);
const MAX_NODES = 120;
const MAX_EXPONENT = 1000;
/** Product of exponents along a path (`(a^p)^q`): bounds the size of exact powers. */
const MAX_EXPONENT_PRODUCT = 4000;
const MAX_FACTORIAL = 100;
const MAX_LITERAL_DIGITS = 30;

/** Literal numeric value of a (non-canonical) MathJSON subtree made of numbers and + - × ÷, else null. */
function literalValue(x: unknown): number | null {
  if (typeof x === 'number') return x;
  if (x !== null && typeof x === 'object' && !Array.isArray(x) && 'num' in x) {
    const v = Number((x as { num: unknown }).num);
    return Number.isFinite(v) ? v : null;
  }
  if (!Array.isArray(x) || x.length === 0) return null;
  const [head, ...args] = x as unknown[];
  const vals = args.map(literalValue);
  if (vals.some((v) => v === null)) return null;
  const v = vals as number[];
  switch (head) {
    case 'Negate': return v.length === 1 ? -v[0]! : null;
    case 'Add': return v.reduce((a, b) => a + b, 0);
    case 'Subtract': return v.length === 2 ? v[0]! - v[1]! : null;
    case 'Multiply': case 'InvisibleOperator': return v.reduce((a, b) => a * b, 1);
    case 'Divide': case 'Rational': return v.length === 2 ? v[0]! / v[1]! : null;
    case 'Delimiter': return v.length === 1 ? v[0]! : null;
    default: return null;
  }
}

function containsHead(x: unknown, heads: ReadonlySet<string>): boolean {
  if (!Array.isArray(x)) return false;
  if (typeof x[0] === 'string' && heads.has(x[0])) return true;
  return x.slice(1).some((a) => containsHead(a, heads));
}

const EXPONENT_FORBIDDEN = new Set(['Power', 'Exp', 'Factorial', 'Square', 'Root']);

/**
 * Whether a non-canonical MathJSON tree is safe to canonicalise and evaluate: allowed operators
 * only, no text, bounded size, exponents and factorials.
 */
function vetted(json: unknown): boolean {
  let nodes = 0;
  const walk = (x: unknown, expProduct: number): boolean => {
    if (++nodes > MAX_NODES) return false;
    if (typeof x === 'number') return !Number.isNaN(x);
    if (typeof x === 'string') {
      // a quoted string is text ("'Evelyn'"); anything else is a symbol
      return !x.startsWith("'") && x.length <= 40;
    }
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
      if ('num' in x) {
        const num = String((x as { num: unknown }).num);
        return num.replace(/[^0-9]/g, '').length <= MAX_LITERAL_DIGITS && !/[a-z]/i.test(num.replace(/e[+-]?\d+$/i, ''));
      }
      return false; // {str}, {sym}, {fn} forms: not produced by the parser for what we accept
    }
    if (!Array.isArray(x) || x.length === 0) return false;
    const head = x[0];
    if (typeof head !== 'string' || !ALLOWED_HEADS.has(head)) return false;
    const args = x.slice(1);
    if (head === 'Sequence' && args.length > 1) return false; // a tuple inside an element
    if (head === 'Delimiter' && (args.length > 1 || !walk(args[0], expProduct))) return false;
    if (head === 'Delimiter') return true;
    if (head === 'Factorial') {
      const v = literalValue(args[0]);
      return v !== null && Number.isInteger(v) && v >= 0 && v <= MAX_FACTORIAL;
    }
    if (head === 'Power' || head === 'Root') {
      if (args.length !== 2) return false;
      const [base, exponent] = args;
      if (containsHead(exponent, EXPONENT_FORBIDDEN)) return false;
      const e = literalValue(exponent);
      // unknown exponents (x, 2n...) are evaluated at small points: count them as 10
      const size = head === 'Root' ? 1 : e === null ? 10 : Math.abs(e);
      if (size > MAX_EXPONENT) return false;
      const product = expProduct * Math.max(1, size);
      if (product > MAX_EXPONENT_PRODUCT) return false;
      return walk(base, product) && walk(exponent, 1);
    }
    if (head === 'Exp') {
      if (containsHead(args[0], EXPONENT_FORBIDDEN)) return false;
      const e = literalValue(args[0]);
      if (e !== null && Math.abs(e) > MAX_EXPONENT) return false;
      return args.every((a) => walk(a, expProduct));
    }
    return args.every((a) => walk(a, expProduct));
  };
  return walk(json, 1);
}

/** A finite or infinite complex value read back from an evaluated expression, or null. */
interface Value {
  readonly re: number;
  readonly im: number;
  /** Came from arbitrary-precision or exact arithmetic (not a machine-precision complex). */
  readonly precise: boolean;
}

function readValue(json: unknown): Value | null {
  if (typeof json === 'number') return { re: json, im: 0, precise: true };
  if (json === 'PositiveInfinity') return { re: Infinity, im: 0, precise: true };
  if (json === 'NegativeInfinity') return { re: -Infinity, im: 0, precise: true };
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && 'num' in json) {
    const v = Number(String((json as { num: unknown }).num));
    return Number.isNaN(v) ? null : { re: v, im: 0, precise: true };
  }
  if (Array.isArray(json) && json[0] === 'Complex' && json.length === 3) {
    const re = readValue(json[1]);
    const im = readValue(json[2]);
    if (re === null || im === null || re.im !== 0 || im.im !== 0) return null;
    return { re: re.re, im: im.re, precise: false };
  }
  if (Array.isArray(json) && json[0] === 'Rational' && json.length === 3) {
    const p = readValue(json[1]);
    const q = readValue(json[2]);
    if (p === null || q === null || q.re === 0) return null;
    return { re: p.re / q.re, im: 0, precise: true };
  }
  return null;
}

const magnitude = (v: Value): number => Math.hypot(v.re, v.im);

/**
 * Numbers equal? `a`, `b` are evaluated (N) expressions. Exact and 50-digit values: equal when the
 * difference (computed by the engine at 50 digits, so 2^90 and 2^90+1 differ) is below 1e-40 of the
 * size when a decimal was written or the size exceeds 1e9, 1e-12 otherwise; beyond 1e30 nothing is
 * trusted. Machine complex values: 1e-12, and exact equality when a decimal was written.
 */
function numbersEqual(ce: Engine, a: BoxedExpression, b: BoxedExpression, decimals: boolean): boolean | null {
  const va = readValue(a.json);
  const vb = readValue(b.json);
  if (va === null || vb === null) return null;
  const infA = !Number.isFinite(va.re) || !Number.isFinite(va.im);
  const infB = !Number.isFinite(vb.re) || !Number.isFinite(vb.im);
  if (infA || infB) {
    // only ±∞ written as such compares; an overflowing number is not "infinity"
    return infA && infB && a.json === b.json && (a.json === 'PositiveInfinity' || a.json === 'NegativeInfinity');
  }
  const mag = Math.max(magnitude(va), magnitude(vb));
  // 50 digits: beyond 1e30 two integers 1 apart are no longer told apart safely
  if (mag > 1e30) return false;
  let diff: number;
  if (va.precise && vb.precise) {
    const d = readValue(ce.box(['Subtract', a, b]).N().json);
    if (d === null || !Number.isFinite(d.re)) return false;
    diff = magnitude(d);
  } else {
    if (decimals) return va.re === vb.re && va.im === vb.im;
    diff = Math.hypot(va.re - vb.re, va.im - vb.im);
  }
  if (mag === 0) return diff === 0;
  // Exact or 50-digit values: a large number or a written decimal must match to 40 digits (so 2^90
  // and 2^90+1 differ, and 0.3333333333333 is not 1/3); otherwise 12 digits absorb the engine's
  // occasional machine-precision steps.
  const tol = decimals || mag > 1e9 ? 1e-40 : 1e-12;
  return diff <= tol * mag;
}

/** Points at which expressions in one or two unknowns are compared (arbitrary, sign-mixed, non-integer). */
const SAMPLE_POINTS: readonly (readonly [number, number])[] = [
  [0.6180339887, -1.4142135623],
  [-1.2345678901, 0.5772156649],
  [2.7182818284, 1.7320508075],
  [-0.3183098861, -2.2360679774],
  [1.4426950408, 0.6931471805],
  [-2.5066282746, 0.3678794411],
];

const DECIMAL_LITERAL = /\d\.\d|(?:^|[^\d])\.\d|\d\.(?:$|[^\d])/;

/** One element of each side (no top-level commas). */
function elementsEqual(ce: Engine, given: string, truth: string): boolean {
  if (given.length === 0 || truth.length === 0) return false;
  if (given.length > MAX_ELEMENT_CHARS || truth.length > MAX_ELEMENT_CHARS) return false;
  const gl = normalizeAnswerLoose(given);
  const tl = normalizeAnswerLoose(truth);
  if (gl === tl && gl.length > 0) return true;
  // `grade_answer_sympy`: unreduced fractions are not simplified; an integer needs an integer.
  if (isFrac(tl) && isFrac(gl)) return tl === gl;
  if (strIsInt(tl) !== strIsInt(gl)) return false;
  const pg = ce.parse(given, { canonical: false });
  const pt = ce.parse(truth, { canonical: false });
  if (!pg.isValid || !pt.isValid) return false;
  if (!vetted(pg.json) || !vetted(pt.json)) return false;
  const A = pg.canonical;
  const B = pt.canonical;
  if (!A.isValid || !B.isValid) return false;
  // again after canonicalisation: `\Gamma(n)`, `\operatorname{Foo}(x)` only become functions here
  if (!vetted(A.json) || !vetted(B.json)) return false;
  const decimals = DECIMAL_LITERAL.test(given) || DECIMAL_LITERAL.test(truth);
  const unknowns = [...new Set([...A.unknowns, ...B.unknowns])];
  // `should_allow_eval`: no more than two unknown letters
  if (unknowns.length > 2) return false;
  if (unknowns.length === 0) return numbersEqual(ce, A.N(), B.N(), decimals) === true;
  // An identity in one or two unknowns: compare at several points; both sides must be defined at
  // at least four of them and equal wherever both are (a removable singularity, as in
  // (x^2-1)/(x-1) against x+1, is skipped, as SymPy's simplify cancels it).
  let compared = 0;
  for (const point of SAMPLE_POINTS) {
    const sub: Record<string, BoxedExpression> = {};
    unknowns.forEach((u, k) => {
      sub[u] = ce.number(point[k]!);
    });
    const va = A.subs(sub).N();
    const vb = B.subs(sub).N();
    const okA = readValue(va.json);
    const okB = readValue(vb.json);
    const finA = okA !== null && Number.isFinite(okA.re) && Number.isFinite(okA.im);
    const finB = okB !== null && Number.isFinite(okB.re) && Number.isFinite(okB.im);
    if (!finA || !finB) continue;
    // the sample points are decimals themselves: judge with the exact-input tolerance
    if (numbersEqual(ce, va, vb, decimals) !== true) return false;
    compared++;
  }
  return compared >= 4;
}

/** `grade_answer_sympy` after its string checks, with the compute engine in place of SymPy. */
function symbolicEqual(ce: Engine, givenRaw: string, truthRaw: string): boolean {
  const given = cleanForParse(givenRaw);
  const truth = cleanForParse(truthRaw);
  if (given.length === 0 || truth.length === 0) return false;
  const st = splitTuple(truth);
  const sg = splitTuple(given);
  if (st === null || sg === null) return false;
  if (st.elems.length > MAX_ELEMENTS || sg.elems.length !== st.elems.length) return false;
  // a tuple/interval must keep its brackets: (1,2) is not [1,2], nor (1,2]
  if (st.elems.length > 1 || st.open !== '') {
    if (st.open !== sg.open || st.close !== sg.close) return false;
  }
  if (st.open === '\\{') {
    // a set: every element matched once, in any order
    const left = [...sg.elems];
    for (const t of st.elems) {
      const k = left.findIndex((g) => elementsEqual(ce, g, t));
      if (k < 0) return false;
      left.splice(k, 1);
    }
    return true;
  }
  return st.elems.every((t, k) => elementsEqual(ce, sg.elems[k]!, t));
}
