// Stage 2b of grading (see grade.ts): `_normalize`, the first step of the reference's
// `grade_answer_sympy`, with its LaTeX-to-text conversion.
import { WHOLE_TEXT } from './normalize-math.ts';

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
export function strIsInt(x: string): boolean {
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
export function isFrac(expr: string): boolean {
  return /^-?[0-9]+.?\/0*[1-9][0-9]*.?$/.test(expr);
}

export const UNITS = [
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
