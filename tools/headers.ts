// Reads public/_headers (Netlify/Cloudflare Pages format) so `vite preview` serves the very
// headers production does. Only the `/*` block is used: the app is one page.
import { readFileSync } from 'node:fs';

export function parseHeaders(text: string, path = '/*'): Record<string, string> {
  const out: Record<string, string> = {};
  let inBlock = false;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      inBlock = line.trim() === path;
      continue;
    }
    if (!inBlock) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

export function productionHeaders(file = new URL('../public/_headers', import.meta.url)): Record<string, string> {
  return parseHeaders(readFileSync(file, 'utf8'));
}
