import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHeaders, productionHeaders } from '../tools/headers.ts';

describe('production headers (public/_headers)', () => {
  it('parse the /* block, skipping comments and other paths', () => {
    expect(parseHeaders('# c\n/*\n  A: 1\n  # x\n  B: two: parts\n/other\n  C: 3\n')).toEqual({ A: '1', B: 'two: parts' });
  });

  it('forbid eval and framing, allow WASM compilation, isolate the origin', () => {
    const h = productionHeaders(new URL('../public/_headers', import.meta.url));
    const csp = Object.fromEntries(h['Content-Security-Policy']!.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));
    expect(csp['script-src']).toContain("'wasm-unsafe-eval'");
    expect(Object.values(csp).flat()).not.toContain("'unsafe-eval'");
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(csp['object-src']).toEqual(["'none'"]);
    expect(h['Cross-Origin-Opener-Policy']).toBe('same-origin');
    expect(h['Cross-Origin-Embedder-Policy']).toBe('require-corp');
    expect(readFileSync(new URL('../public/_headers', import.meta.url), 'utf8')).toMatch(/^\/\*$/m);
  });
});
