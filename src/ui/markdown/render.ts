/**
 * Streaming-safe Markdown + math renderer for (untrusted) model output.
 *
 * Library choice: markdown-it 14 + @mdit/plugin-tex, with the project's own katex 0.19 as engine.
 *
 * - markdown-it: the reference CommonMark implementation in JS; maintained (14.x and 15.x both
 *   got releases this year), linear time, `html: false` makes raw HTML in the source render as
 *   text, and its `validateLink` refuses `javascript:`/`vbscript:`/`file:`/`data:` URLs.
 *   14.x because the math plugin's peer range is `^14.1.0` (markdown-it 15 is an ERESOLVE).
 * - @mdit/plugin-tex (mdit-plugins monorepo, actively released, ships ESM + its own types, ~4 kB):
 *   it parses `$…$`, `$$…$$`, `\(…\)` AND `\[…\]` (`delimiters: 'all'`), and it only tokenizes:
 *   rendering is a callback, so KaTeX is called by us, with our options, our cache and our error
 *   handling, using the katex version the project already has.
 * - Rejected: @vscode/markdown-it-katex (no `\(`/`\[`; hard dependency on katex ^0.16, i.e. a second
 *   KaTeX copy whose markup would not match the 0.19 CSS); marked-katex-extension (peer katex <0.19,
 *   `$` only); @mdit/plugin-katex(-slim) (peer katex ^0.16); markdown-it-texmath (last release 2024,
 *   untyped CJS, one global engine, emits non-standard `<eq>`/`<section>` tags inside `<p>`, and
 *   `$$` blocks cannot contain blank lines).
 *
 * What we add on top (small markdown-it rules, not a parser):
 * - a guard around the plugin's `$$`/`\[` block rules: they are only used when the formula has a
 *   closer that ends its line. Unguarded, `$$x$$ is the answer` at the start of a line, or a `$$`
 *   that is never closed (a streaming tail; a text cut by the token budget), swallows the rest of the
 *   document into one formula. The guard also stops a closing `$$` on its own line from being taken
 *   as a new opener when the opener was mid-line (`so $$` ⏎ `x` ⏎ `$$`).
 * - an inline rule for `$$…$$` / `\[…\]` inside a paragraph (rendered in display mode); the plugin
 *   leaves `a $$x$$ b` as literal text and turns `a \[x\] b` into `a [x] b`.
 * - an inline rule that prints an unmatched `\(` `\)` `\[` `\]` verbatim (markdown's escape rule would
 *   otherwise print `(` / `[`), so an unfinished formula shows as the plain text the model wrote.
 * - bare `\boxed{…}` / `\fbox{…}` outside math (frequent in R1-style answers) renders as inline math.
 *
 * KaTeX runs with `throwOnError: false`, `trust: false` (no \href, \url, \includegraphics, \html*),
 * `strict: 'ignore'`, `maxExpand` (bounds `\def\a{\a\a}\a`), `maxSize` (caps `\rule{1e4em}{1e4em}`),
 * fresh macros per formula (a `\gdef` cannot leak into the next one), a length cap, and a try/catch
 * for the errors KaTeX does not turn into error markup (e.g. a stack overflow on deep nesting).
 * Negative sizes are not capped by KaTeX: the component's CSS clips the rendered output to its box.
 */
import MarkdownIt from 'markdown-it';
import type { Options, StateBlock, StateInline } from 'markdown-it';
import { tex, type MarkdownItTexOptions } from '@mdit/plugin-tex';
import katex, { type KatexOptions } from 'katex';
import { matchBrace } from '../../core/answer.ts';
import { escapeHtml } from '../../core/html.ts';

// ---------------------------------------------------------------------------------------------
// KaTeX

/** Formulas longer than this are shown as text instead of being typeset. */
export const MAX_TEX_CHARS = 8_000;

export const KATEX_OPTIONS: Readonly<KatexOptions> = {
  throwOnError: false,
  trust: false,
  strict: 'ignore',
  maxExpand: 1000,
  maxSize: 20,
  output: 'htmlAndMathml',
};

/**
 * LRU of rendered formulas, bounded by total size: KaTeX output is ~200 characters per source
 * character, so a count bound alone could hold gigabytes.
 */
const CACHE_BUDGET_CHARS = 4_000_000;
const texCache = new Map<string, string>();
let texCacheChars = 0;

function cacheGet(key: string): string | undefined {
  const hit = texCache.get(key);
  if (hit !== undefined) {
    texCache.delete(key);
    texCache.set(key, hit);
  }
  return hit;
}

function cachePut(key: string, html: string): void {
  const size = key.length + html.length;
  if (size > CACHE_BUDGET_CHARS / 8) return;
  texCache.set(key, html);
  texCacheChars += size;
  for (const [k, v] of texCache) {
    if (texCacheChars <= CACHE_BUDGET_CHARS) break;
    texCache.delete(k);
    texCacheChars -= k.length + v.length;
  }
}

function errorMarkup(source: string, message: string): string {
  return `<span class="katex-error" title="${escapeHtml(message)}">${escapeHtml(source)}</span>`;
}

/** KaTeX → HTML; never throws. Results are cached (the streaming tail re-renders every token). */
export function renderTex(source: string, displayMode: boolean): string {
  const key = (displayMode ? 'D' : 'I') + source;
  const hit = cacheGet(key);
  if (hit !== undefined) return hit;
  let html: string;
  if (source.length > MAX_TEX_CHARS) {
    html = errorMarkup(source, `Formula longer than ${MAX_TEX_CHARS} characters`);
  } else {
    try {
      // A fresh options object each call: KaTeX creates fresh macros when none are given.
      html = katex.renderToString(source, { ...KATEX_OPTIONS, displayMode });
    } catch (err) {
      // Not a ParseError (those become error markup): e.g. RangeError on `{{{…}}}` nested ~2000 deep.
      html = errorMarkup(source, err instanceof Error ? err.message : String(err));
    }
  }
  cachePut(key, html);
  return html;
}

// ---------------------------------------------------------------------------------------------
// Delimiter helpers

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
function findDelimiter(src: string, delim: string, from: number, to = src.length): number {
  let i = from;
  for (;;) {
    i = src.indexOf(delim, i);
    if (i < 0 || i + delim.length > to) return -1;
    if (backslashesBefore(src, i, from) % 2 === 0) return i;
    i += 1;
  }
}

// ---------------------------------------------------------------------------------------------
// markdown-it setup

type RuleBlock = (state: StateBlock, startLine: number, endLine: number, silent: boolean) => boolean;

const TEX_OPTIONS: MarkdownItTexOptions = {
  delimiters: 'all',
  allowInlineWithSpace: false,
  mathFence: false,
  render: (content: string, displayMode: boolean) => renderTex(content, displayMode),
};

/** The plugin's block rules have the same `alt` chains (they may interrupt these blocks). */
const DISPLAY_BLOCK_ALT = ['paragraph', 'reference', 'blockquote', 'list'];

/** Pulls one named block rule out of a scratch instance, using only public Ruler methods. */
function pluginBlockRule(name: string): RuleBlock | null {
  try {
    const scratch = new MarkdownIt().use(tex, TEX_OPTIONS);
    scratch.block.ruler.enableOnly([name]);
    const rules = scratch.block.ruler.getRules('');
    return rules.length === 1 && rules[0] ? rules[0] : null;
  } catch {
    return null;
  }
}

/** Count of unescaped `$$` in the lines of the current paragraph above `line`. */
function dollarPairsAbove(state: StateBlock, line: number): number {
  const src = state.src;
  const end = state.bMarks[line] ?? 0;
  // Walk back to the previous blank line: that is where the enclosing paragraph starts.
  let start = end;
  for (let l = line - 1; l >= 0; l--) {
    const b = state.bMarks[l] ?? 0;
    const e = state.eMarks[l] ?? 0;
    if (src.slice(b, e).trim() === '') break;
    start = b;
  }
  let n = 0;
  for (let i = findDelimiter(src, '$$', start, end); i >= 0; i = findDelimiter(src, '$$', i + 2, end)) n++;
  return n;
}

function guardDisplayBlock(original: RuleBlock, open: string, close: string): RuleBlock {
  return (state, startLine, endLine, silent) => {
    const src = state.src;
    const start = (state.bMarks[startLine] ?? 0) + (state.tShift[startLine] ?? 0);
    if (!src.startsWith(open, start)) return false;
    // Unclosed: leave it to the inline rules (plain text) instead of swallowing the document.
    const closeAt = findDelimiter(src, close, start + open.length);
    if (closeAt < 0) return false;
    // The closer must end its line; `$$x$$ is …` is a paragraph with inline display math.
    const eol = src.indexOf('\n', closeAt);
    if (src.slice(closeAt + close.length, eol < 0 ? src.length : eol).trim() !== '') return false;
    // A `$$` line ending a formula that was opened mid-line in the paragraph above is a closer.
    if (silent && open === '$$' && dollarPairsAbove(state, startLine) % 2 === 1) return false;
    return original(state, startLine, endLine, silent);
  };
}

/** `$$…$$` or `\[…\]` inside a paragraph → display math. Unclosed → not matched (text). */
function inlineDisplayMath(state: StateInline, silent: boolean): boolean {
  const { src, pos, posMax } = state;
  let close: string;
  if (src.startsWith('$$', pos)) close = '$$';
  else if (src.startsWith('\\[', pos)) close = '\\]';
  else return false;
  const end = findDelimiter(src, close, pos + 2, posMax);
  if (end < 0) return false;
  const content = src.slice(pos + 2, end);
  if (content.trim() === '') return false;
  if (!silent) {
    const token = state.push('math_display_inline', 'math', 0);
    token.content = content;
    token.markup = src.slice(pos, pos + 2);
  }
  state.pos = end + 2;
  return true;
}

/** `\(` `\)` `\[` `\]` that no math rule matched: print them as written. */
function literalMathDelimiter(state: StateInline, silent: boolean): boolean {
  const { src, pos } = state;
  if (src.charCodeAt(pos) !== 0x5c) return false;
  const next = src.charCodeAt(pos + 1);
  if (next !== 0x28 && next !== 0x29 && next !== 0x5b && next !== 0x5d) return false;
  if (!silent) state.pending += src.slice(pos, pos + 2);
  state.pos += 2;
  return true;
}

const BARE_BOX = /\\(?:boxed|fbox)\s*\{/y;

/** `\boxed{…}` / `\fbox{…}` written outside any math delimiters → inline math. */
function bareBoxed(state: StateInline, silent: boolean): boolean {
  const { src, pos, posMax } = state;
  if (src.charCodeAt(pos) !== 0x5c) return false;
  BARE_BOX.lastIndex = pos;
  if (!BARE_BOX.test(src)) return false;
  const end = matchBrace(src, BARE_BOX.lastIndex - 1, posMax);
  if (end < 0) return false;
  if (!silent) {
    const token = state.push('math_boxed_bare', 'math', 0);
    token.content = src.slice(pos, end);
  }
  state.pos = end;
  return true;
}

function createMarkdown(): MarkdownIt {
  // `maxNesting` is a real markdown-it option (presets set it) that the typings leave out.
  const options: Options & { maxNesting: number } = {
    html: false, // raw HTML is escaped and shown as text
    linkify: false,
    typographer: false,
    breaks: false,
    maxNesting: 20,
  };
  const md = new MarkdownIt('default', options);
  // No remote images from untrusted text (tracking pixels, layout abuse): `![a](u)` stays text + link.
  md.disable('image');
  md.use(tex, TEX_OPTIONS);

  const dollarBlock = pluginBlockRule('math_block_dollar');
  if (dollarBlock) {
    md.block.ruler.at('math_block_dollar', guardDisplayBlock(dollarBlock, '$$', '$$'), { alt: DISPLAY_BLOCK_ALT });
  }
  const bracketBlock = pluginBlockRule('math_block_bracket');
  if (bracketBlock) {
    md.block.ruler.at('math_block_bracket', guardDisplayBlock(bracketBlock, '\\[', '\\]'), { alt: DISPLAY_BLOCK_ALT });
  }

  // Order before `escape` (which would eat the backslashes): plugin's `\(…\)` rule, then these.
  md.inline.ruler.before('escape', 'math_display_inline', inlineDisplayMath);
  md.inline.ruler.before('escape', 'math_boxed_bare', bareBoxed);
  md.inline.ruler.before('escape', 'math_literal_delimiter', literalMathDelimiter);

  md.renderer.rules['math_display_inline'] = (tokens, idx) => renderTex(tokens[idx]?.content ?? '', true);
  md.renderer.rules['math_boxed_bare'] = (tokens, idx) => renderTex(tokens[idx]?.content ?? '', false);

  const defaultLinkOpen = md.renderer.rules['link_open'];
  md.renderer.rules['link_open'] = (tokens, idx, options, env, self) => {
    const token = tokens[idx];
    if (token) {
      token.attrSet('rel', 'noopener noreferrer nofollow');
      token.attrSet('target', '_blank');
    }
    return defaultLinkOpen ? defaultLinkOpen(tokens, idx, options, env, self) : self.renderToken(tokens, idx, options);
  };
  return md;
}

let markdown: MarkdownIt | null = null;

export interface RenderOptions {
  /**
   * The text is a prefix that is still growing. Unfinished constructs are made safe by the parse
   * rules above in both modes (a final text can also stop mid-formula: the token budget cuts it):
   * an unmatched `$…`, `$$…`, `\(…`, `\[…` prints as the text the model wrote, an unclosed code
   * fence renders as code up to the end, a broken formula inside closed delimiters becomes KaTeX
   * error text. The flag is kept so callers state which case they are in.
   */
  streaming?: boolean;
}

/** Markdown + math → HTML string that is safe to inject. Never throws. */
export function renderMarkdown(source: string, _opts: RenderOptions = {}): string {
  let text = '';
  try {
    text = typeof source === 'string' ? source : String(source);
    markdown ??= createMarkdown();
    return markdown.render(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return `<pre class="md-fallback" title="${escapeHtml(message)}">${escapeHtml(text)}</pre>`;
  }
}

// ---------------------------------------------------------------------------------------------
// Block splitting

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
