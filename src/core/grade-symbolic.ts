// Stage 3 of grading (see grade.ts): symbolic equivalence with the compute engine, every
// expression vetted before anything is evaluated.
import type { BoxedExpression, ComputeEngine } from '@cortex-js/compute-engine';
import { isFrac, normalizeAnswerLoose, strIsInt, UNITS } from './normalize-loose.ts';
import { SHORT_NAME, WHOLE_TEXT } from './normalize-math.ts';

type Engine = ComputeEngine;

/** Per tuple element. */
const MAX_ELEMENT_CHARS = 160;
const MAX_ELEMENTS = 16;

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
export function symbolicEqual(ce: Engine, givenRaw: string, truthRaw: string): boolean {
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
