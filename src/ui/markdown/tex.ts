/**
 * KaTeX → HTML for untrusted formulas, cached.
 *
 * KaTeX runs with `throwOnError: false`, `trust: false` (no \href, \url, \includegraphics, \html*),
 * `strict: 'ignore'`, `maxExpand` (bounds `\def\a{\a\a}\a`), `maxSize` (caps `\rule{1e4em}{1e4em}`),
 * fresh macros per formula (a `\gdef` cannot leak into the next one), a length cap, and a try/catch
 * for the errors KaTeX does not turn into error markup (e.g. a stack overflow on deep nesting).
 * Negative sizes are not capped by KaTeX: the component's CSS clips the rendered output to its box.
 */
import katex, { type KatexOptions } from 'katex';
import { escapeHtml } from '../../core/html.ts';

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
