// Stage 2a of grading (see grade.ts): `mathd_normalize_answer` and `_strip_string`, Dan Hendrycks'
// MATH normaliser, ported step by step, including where Python raises: the reference catches any
// exception in `mathd_normalize_answer` and returns the (stripped, `\text{}`-unwrapped) answer unchanged.

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
export const SHORT_NAME = /^\s*(?:[A-Za-z][A-Za-z0-9]?)?\s*$/;

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
export const WHOLE_TEXT = /^\\text\{(.+?)\}$/;

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
