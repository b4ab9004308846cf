// Boundaries: only src/worker (and the Node-side converter tools) may touch the model runtime;
// the core stays free of the DOM, workers, Node and transformers.js; the page's layers point one
// way, ui → app → state → core.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './paths.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

const importsOf = (path: string) => [...readFileSync(path, 'utf8').matchAll(/^\s*import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
const MODEL_RUNTIME = /^(@huggingface\/transformers|onnxruntime-(web|node|common))/;

describe('layering', () => {
  it('no model runtime outside src/worker', () => {
    const offenders = ['src/core', 'src/state', 'src/app', 'src/ui', 'src/convert']
      .flatMap((d) => files(join(ROOT, d)))
      .flatMap((f) => importsOf(f).filter((i) => MODEL_RUNTIME.test(i)).map((i) => `${relative(ROOT, f)} imports ${i}`));
    expect(offenders).toEqual([]);
  });

  it('the core imports only the core', () => {
    const offenders = files(join(ROOT, 'src/core')).flatMap((f) =>
      importsOf(f)
        .filter((i) => !i.startsWith('./') && i !== '@cortex-js/compute-engine')
        .map((i) => `${relative(ROOT, f)} imports ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the page reaches the worker only through its protocol files', () => {
    const offenders = ['src/state', 'src/app', 'src/ui']
      .flatMap((d) => files(join(ROOT, d)))
      .flatMap((f) =>
        importsOf(f)
          .filter((i) => /\/worker\//.test(i) && !/\/worker\/(convert-)?protocol\.ts$/.test(i))
          .map((i) => `${relative(ROOT, f)} imports ${i}`),
      );
    expect(offenders).toEqual([]);
  });

  // A layer may import only the layers below it: state never reaches up into app or ui, app never
  // into ui (which is what moved answer extraction out of the markdown renderer).
  const ABOVE: Record<string, readonly string[]> = { 'src/app': ['ui'], 'src/state': ['app', 'ui'] };
  for (const [dir, forbidden] of Object.entries(ABOVE)) {
    it(`${dir} imports nothing from ${forbidden.map((f) => `src/${f}`).join(' or ')}`, () => {
      const up = new RegExp(`(^|/)(${forbidden.join('|')})/`);
      const offenders = files(join(ROOT, dir)).flatMap((f) =>
        importsOf(f)
          .filter((i) => i.startsWith('.') && up.test(relative(ROOT, join(f, '..', i))))
          .map((i) => `${relative(ROOT, f)} imports ${i}`),
      );
      expect(offenders).toEqual([]);
    });
  }
});
