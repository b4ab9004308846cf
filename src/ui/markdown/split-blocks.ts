// Splitting a growing text into final blocks and a tail, so finished blocks render once.
import { findDelimiter } from './delimiters.ts';

/**
 * A display formula left open for more lines than this stops blocking splits: a stray `$$` must not
 * push the whole rest of a long answer into the re-rendered tail.
 */
export const MAX_OPEN_MATH_LINES = 100;

interface ScanState {
  fence: { ch: string; len: number } | null;
  math: { close: '$$' | '\\]'; lines: number } | null;
}

const FENCE_OPEN = /^[ \t]*(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;

function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** Index just past the inline `$…$` starting at `i` on this line, or -1. */
function skipInlineDollar(line: string, i: number): number {
  const end = findDelimiter(line, '$', i + 1);
  return end < 0 ? -1 : end + 1;
}

/** Advances the scan state over one complete line. */
function scanLine(line: string, st: ScanState): void {
  if (st.fence) {
    const m = FENCE_CLOSE.exec(line);
    if (m?.[1] && m[1][0] === st.fence.ch && m[1].length >= st.fence.len) st.fence = null;
    return;
  }
  if (!st.math) {
    const m = FENCE_OPEN.exec(line);
    if (m?.[1] && !(m[1][0] === '`' && (m[2] ?? '').includes('`'))) {
      st.fence = { ch: m[1][0] ?? '`', len: m[1].length };
      return;
    }
  }
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === '\\') {
      const n = line[i + 1];
      if (n === '[' && !st.math) st.math = { close: '\\]', lines: 0 };
      else if (n === ']' && st.math?.close === '\\]') st.math = null;
      i += 2; // any escape: \\ \$ \( \) \[ \] \{ …
    } else if (c === '$') {
      if (line[i + 1] === '$') {
        if (!st.math) st.math = { close: '$$', lines: 0 };
        else if (st.math.close === '$$') st.math = null;
        i += 2;
      } else if (!st.math) {
        const past = skipInlineDollar(line, i);
        i = past < 0 ? i + 1 : past;
      } else {
        i += 1;
      }
    } else if (c === '`' && !st.math) {
      let k = i;
      while (line[k] === '`') k++;
      const run = line.slice(i, k);
      const closeAt = line.indexOf(run, k);
      // The closing run must have exactly the same length.
      i = closeAt >= 0 && line[closeAt + run.length] !== '`' ? closeAt + run.length : k;
    } else {
      i += 1;
    }
  }
  if (st.math && ++st.math.lines > MAX_OPEN_MATH_LINES) st.math = null;
}

/**
 * Split at a line that follows blank line(s) outside any code fence / display formula and starts
 * in column 0 (an indented line may continue a list item or an indented code block). Only complete
 * lines are scanned, so a split never moves once made. Returns the end offset of every stable block.
 */
function splitOffsets(text: string, from: number): number[] {
  const ends: number[] = [];
  const st: ScanState = { fence: null, math: null };
  let hasContent = false; // current block has a non-blank line
  let closed = false; // …and a blank line outside fences/math after it
  let pos = from;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    const line = text.slice(pos, nl < 0 ? text.length : nl).replace(/\r$/, '');
    if (closed && !isBlank(line)) {
      closed = false;
      const first = line[0];
      if (first !== ' ' && first !== '\t') {
        ends.push(pos);
        hasContent = false;
      }
    }
    if (nl < 0) break; // incomplete last line: decides nothing
    if (isBlank(line)) {
      if (st.math && ++st.math.lines > MAX_OPEN_MATH_LINES) st.math = null;
      if (hasContent && !st.fence && !st.math) closed = true;
    } else {
      hasContent = true;
      scanLine(line, st);
    }
    pos = nl + 1;
  }
  return ends;
}

/** Where the last split of one growing text ended; one per view, so views don't evict each other. */
export interface SplitCache {
  last: { prefix: string; stable: string[] } | null;
}

const sharedSplit: SplitCache = { last: null };

/**
 * Top-level blocks for memoized rendering: `stable` blocks are final (they never change as text is
 * appended), `tail` is the rest. `stable.join('') + tail === text`.
 */
export function splitBlocks(text: string, cache: SplitCache = sharedSplit): { stable: string[]; tail: string } {
  // Incremental: the scan state is empty at every split point, so resuming from the last one
  // gives exactly the result of a full scan.
  let stable: string[] = [];
  let offset = 0;
  const lastSplit = cache.last;
  if (lastSplit && text.startsWith(lastSplit.prefix)) {
    stable = lastSplit.stable.slice();
    offset = lastSplit.prefix.length;
  }
  for (const end of splitOffsets(text, offset)) {
    stable.push(text.slice(offset, end));
    offset = end;
  }
  cache.last = { prefix: text.slice(0, offset), stable: stable.slice() };
  return { stable, tail: text.slice(offset) };
}

/** Finished blocks per run in `blockRuns`. */
export const BLOCK_RUN = 32;

/**
 * The finished blocks in runs of `size`, for memoized rendering. A run that holds the same blocks
 * as in `previous` is returned as that same array, so a view skips it by reference: a trace of
 * thousands of blocks costs a comparison per run on each token instead of a component per block.
 */
export function blockRuns(stable: readonly string[], previous: readonly (readonly string[])[], size = BLOCK_RUN): (readonly string[])[] {
  const runs: (readonly string[])[] = [];
  for (let from = 0; from < stable.length; from += size) {
    const to = Math.min(from + size, stable.length);
    const prev = previous[runs.length];
    const same = prev !== undefined && prev.length === to - from && prev.every((s, i) => s === stable[from + i]);
    runs.push(same ? prev : stable.slice(from, to));
  }
  return runs;
}
