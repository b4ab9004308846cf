// The batched sweep against the sequential order in headless Chromium (onnxruntime-web, WASM or
// WebGPU on SwiftShader): builds tools/bench/sweep-page, serves it cross-origin isolated (ORT's
// WASM threads) with the model folder at /models/<name>/, and runs tools/sweep-measure.ts there.
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename, extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { ROOT } from '../standin/standin.ts';
import type { Device, Dtype } from '../../src/worker/protocol.ts';
import type { SweepBenchOptions, SweepBenchResult } from '../sweep-measure.ts';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

/** `dist` at /, `modelDir` at /models/<its name>/, with the isolation headers; files streamed (models are large). */
function serve(dist: string, modelDir: string, port: number): Promise<Server> {
  const name = basename(resolve(modelDir));
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const prefix = `/models/${name}/`;
    const file = path.startsWith(prefix) ? join(resolve(modelDir), path.slice(prefix.length)) : join(dist, path.endsWith('/') ? `${path}index.html` : path);
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': size,
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)));
}

export async function sweepInChromium(
  modelDir: string,
  opts: SweepBenchOptions & { readonly device: Device; readonly dtype: Dtype; readonly port: number; readonly log: (s: string) => void },
): Promise<SweepBenchResult> {
  const dist = join(ROOT, '.cache', 'bench', 'sweep-page-dist');
  opts.log('sweep (Chromium): building the bench page');
  await build({ root: ROOT, logLevel: 'warn', base: '/', build: { outDir: dist, emptyOutDir: true, rollupOptions: { input: join(ROOT, 'tools/bench/sweep-page/index.html') } } });
  const server = await serve(dist, modelDir, opts.port);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'] });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') opts.log(`sweep (Chromium) console: ${m.text()}`);
    });
    await page.goto(`http://localhost:${opts.port}/tools/bench/sweep-page/index.html`);
    // Progress lines while it runs (the page keeps them in window.__log).
    let shown = 0;
    const timer = setInterval(() => {
      void page
        .evaluate(() => window.__log)
        .then((lines) => {
          for (const l of lines.slice(shown)) opts.log(`sweep (Chromium ${opts.device} ${opts.dtype}): ${l}`);
          shown = lines.length;
        })
        .catch(() => {});
    }, 5000);
    try {
      const { device, dtype, budgets, solution, pairs } = opts;
      return (await page.evaluate(
        ([model, device, dtype, o]) => window.__sweep(model, device, dtype, o),
        [basename(resolve(modelDir)), device, dtype, { budgets, solution, pairs }] as const,
      )) as SweepBenchResult;
    } finally {
      clearInterval(timer);
    }
  } finally {
    await browser.close();
    server.close();
  }
}
