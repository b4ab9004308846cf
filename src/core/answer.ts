// The final answer of a solution: the last `\boxed{…}`, as the paper's MATH grader reads it.

/** Index just past the `}` matching the `{` at `open`, or -1 (naive counting, like the MATH grader). */
export function matchBrace(src: string, open: number, to = src.length): number {
  let depth = 0;
  for (let i = open; i < to; i++) {
    const c = src.charCodeAt(i);
    if (c === 0x7b) depth++;
    else if (c === 0x7d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Content of the last `\boxed{…}` (or, when there is no `\boxed` at all, the last `\fbox{…}`), with
 * braces balanced by naive counting, like `last_boxed_only_string` + `remove_boxed` of the MATH
 * grader used by the paper. `\boxed 5` (space form) yields the text up to the next `$`.
 * null when there is none or its braces never balance.
 */
export function extractBoxed(text: string): string | null {
  let idx = text.lastIndexOf('\\boxed');
  let name = '\\boxed';
  if (idx < 0) {
    idx = text.lastIndexOf('\\fbox');
    name = '\\fbox';
    if (idx < 0) return null;
  }
  let i = idx + name.length;
  if (text[i] === ' ') {
    let j = i;
    while (text[j] === ' ') j++;
    if (text[j] !== '{') {
      const dollar = text.indexOf('$', j);
      const value = text.slice(j, dollar < 0 ? text.length : dollar).trim();
      return value === '' ? null : value;
    }
    i = j;
  }
  if (text[i] !== '{') return null;
  const end = matchBrace(text, i);
  return end < 0 ? null : text.slice(i + 1, end - 1);
}
