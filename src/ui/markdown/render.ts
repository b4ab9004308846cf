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
 * KaTeX itself (options, cache, error markup) is in tex.ts; the block splitter used for memoized
 * streaming is in split-blocks.ts.
 */
import MarkdownIt from 'markdown-it';
import type { Options, StateBlock, StateInline } from 'markdown-it';
import { tex, type MarkdownItTexOptions } from '@mdit/plugin-tex';
import { matchBrace } from '../../core/answer.ts';
import { escapeHtml } from '../../core/html.ts';
import { findDelimiter } from './delimiters.ts';
import { renderTex } from './tex.ts';

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

/**
 * Markdown + math → HTML string that is safe to inject. Never throws. A growing prefix needs no
 * flag (a final text can also stop mid-formula: the token budget cuts it): an unmatched `$…`,
 * `$$…`, `\(…`, `\[…` prints as the text the model wrote, an unclosed code fence renders as code
 * up to the end, a broken formula inside closed delimiters becomes KaTeX error text.
 */
export function renderMarkdown(source: string): string {
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
