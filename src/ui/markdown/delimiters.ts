// Finding math delimiters in source text: shared by the markdown rules and the block splitter.

/** Number of consecutive backslashes immediately before `pos`. */
function backslashesBefore(src: string, pos: number, min = 0): number {
  let n = 0;
  for (let i = pos - 1; i >= min && src.charCodeAt(i) === 0x5c; i--) n++;
  return n;
}

/**
 * First occurrence of `delim` in src[from, to) that is not escaped by a backslash. For `\]` and `\)`
 * the delimiter's own backslash must itself not be escaped (`\\]` is a LaTeX line break + `]`).
 */
export function findDelimiter(src: string, delim: string, from: number, to = src.length): number {
  let i = from;
  for (;;) {
    i = src.indexOf(delim, i);
    if (i < 0 || i + delim.length > to) return -1;
    if (backslashesBefore(src, i, from) % 2 === 0) return i;
    i += 1;
  }
}
