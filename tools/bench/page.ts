// 2.6, the page: gzip size of the JS the production build loads before the first interaction;
// main-thread long tasks while 10,000 tokens with math stream in at 200 tokens/s; and the time
// to render the last 1,000 tokens against the first 1,000. Headless Chromium (playwright-core).
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { ROOT } from '../standin/standin.ts';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.json': 'application/json' };

/** A static server for a built folder, with the isolation headers vite preview sends. */
function serve(dir: string, port: number): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    try {
      const body = await readFile(join(dir, path.endsWith('/') ? `${path}index.html` : path));
      res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'text/html', 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)));
}

/** Thinking text with math: prose, inline and display LaTeX, split into ~4-character tokens. */
export function mathTokens(n: number): string[] {
  const para = [
    'We need the minimum of $\\frac{1}{a} + \\frac{4}{b} + \\frac{9}{c}$ subject to $a + b + c = 1$. ',
    'By Cauchy–Schwarz, $(a + b + c)\\left(\\frac{1}{a} + \\frac{4}{b} + \\frac{9}{c}\\right) \\ge (1 + 2 + 3)^2 = 36$. ',
    'Wait, let me check the equality case: $a : b : c = 1 : 2 : 3$, so $a = \\frac{1}{6}$.\n\n',
    '$$\\sum_{k=1}^{n} k^2 = \\frac{n(n+1)(2n+1)}{6}, \\qquad \\int_0^1 x^2\\,dx = \\frac{1}{3}$$\n\n',
    'Hmm, so the answer should be $36$, reached at $(a, b, c) = \\left(\\tfrac16, \\tfrac13, \\tfrac12\\right)$.\n\n',
  ].join('');
  const out: string[] = [];
  for (let i = 0; out.length < n; i = (i + 4) % para.length) out.push(para.slice(i, Math.min(i + 4, para.length)));
  return out;
}

export async function pageBench(opts: { port: number; tokens: number; rate: number; log: (s: string) => void }) {
  const outDir = join(ROOT, '.cache', 'bench', 'page-dist');
  const benchDir = join(ROOT, '.cache', 'bench', 'page-bench-dist');
  opts.log('page: building the app (vite build) and the streaming page');
  await build({ root: ROOT, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  await build({ root: ROOT, logLevel: 'warn', base: '/', build: { outDir: benchDir, emptyOutDir: true, rollupOptions: { input: join(ROOT, 'tools/bench/page/index.html') } } });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'] });
  try {
    // JS before the first interaction: every script the page and its workers fetch until load + 2 s quiet.
    const app = await serve(outDir, opts.port);
    const scripts = new Map<string, number>();
    const page = await browser.newPage();
    page.on('response', async (res) => {
      const url = res.url();
      if (!/\.m?js(\?|$)/.test(url)) return;
      try {
        scripts.set(new URL(url).pathname, gzipSync(await res.body()).byteLength);
      } catch {
        // bodies of some worker responses cannot be read back; counted below by a re-fetch
        scripts.set(new URL(url).pathname, -1);
      }
    });
    await page.goto(`http://localhost:${opts.port}/`, { waitUntil: 'networkidle' });
    await page.waitForTimeout(2000);
    for (const [path, n] of scripts) if (n < 0) scripts.set(path, gzipSync(await readFile(join(outDir, path))).byteLength);
    // What the main thread itself fetched (its resource timeline; a worker's imports are on the worker's own).
    const mainFetched = new Set(await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)));
    await page.close();
    app.close();
    // The main thread's JS is what delays the first interaction; the model worker loads beside it.
    // Worker scripts are named *.worker-<hash>.js (the model worker, the converter's); what those import
    // (e.g. the ORT build the model worker picks) is absent from the main thread's resource timeline.
    const inWorker = (p: string) => /\.worker-/.test(p) || !mainFetched.has(p);
    const kb = (worker: boolean) => [...scripts].filter(([p]) => inWorker(p) === worker).reduce((a, [, b]) => a + b, 0) / 1024;
    const jsGzipKB = kb(false);
    const workerGzipKB = kb(true);
    opts.log(`page: ${scripts.size} scripts before first interaction: main thread ${jsGzipKB.toFixed(0)} KB gzip, workers ${workerGzipKB.toFixed(0)} KB`);

    // Streaming: production build of the app with the store's actions exposed.
    // Long tasks and render times swing with the machine's load (shared, 2 cores): record it here,
    // since --only page runs merge into results whose machine block describes another run.
    const loadBefore = loadavg()[0]!;
    const bench = await serve(benchDir, opts.port);
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await p.goto(`http://localhost:${opts.port}/tools/bench/page/index.html`, { waitUntil: 'networkidle' });
    const tokens = mathTokens(opts.tokens);
    const r = await p.evaluate(
      async ({ tokens, rate }) => {
        const b = (window as unknown as { __bench: { runRequested: Function; runStarted: Function; tokensReceived: Function; loadRenderer: () => Promise<unknown> } }).__bench;
        // As in the app, where the renderer loads with the model, before any output.
        if (!(await b.loadRenderer())) throw new Error('the renderer chunk did not load');
        const longTasks: number[] = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) longTasks.push(e.duration);
        }).observe({ type: 'longtask', buffered: false });
        b.runRequested('bench', { problem: 'bench', paperSuffix: true, lanes: [{ thinking: 'max', solution: 1024 }], sampling: { kind: 'greedy' } });
        b.runStarted('bench', 100);
        const renderMs: { tokens: number; ms: number }[] = [];
        const t0 = performance.now();
        let sent = 0;
        while (sent < tokens.length) {
          await new Promise((r) => setTimeout(r, 33)); // the worker's batch interval
          const due = Math.min(tokens.length, Math.floor(((performance.now() - t0) / 1000) * rate));
          if (due <= sent) continue;
          const text = tokens.slice(sent, due).join('');
          const s = performance.now();
          b.tokensReceived('bench', { thinking: text, thinkingTokens: due - sent, solutions: {}, solutionTokens: {}, ttftMs: 1, decodeMs: performance.now() - t0 });
          await new Promise((r) => setTimeout(r, 0)); // React's commit
          void document.body.offsetHeight; // style and layout
          renderMs.push({ tokens: due, ms: performance.now() - s });
          sent = due;
        }
        await new Promise((r) => setTimeout(r, 500));
        return { longTasks, renderMs, wallS: (performance.now() - t0) / 1000, chars: document.body.innerText.length };
      },
      { tokens, rate: opts.rate },
    );
    bench.close();
    const loadAfter = loadavg()[0]!;
    const sum = (from: number, to: number) => r.renderMs.filter((x) => x.tokens > from && x.tokens <= to).reduce((a, x) => a + x.ms, 0);
    const first = sum(0, 1000);
    const last = sum(opts.tokens - 1000, opts.tokens);
    return {
      jsBeforeInteractionGzipKB: Math.round(jsGzipKB),
      workerJsAtStartGzipKB: Math.round(workerGzipKB),
      scripts: Object.fromEntries([...scripts].map(([k, v]) => [k, Math.round(v / 1024)])),
      streamLoadAverage1m: [Number(loadBefore.toFixed(1)), Number(loadAfter.toFixed(1))],
      streamedTokens: opts.tokens,
      tokensPerSecond: opts.rate,
      streamWallS: Number(r.wallS.toFixed(1)),
      longTasksOver50ms: r.longTasks.length,
      longestTaskMs: Math.round(Math.max(0, ...r.longTasks)),
      renderFirst1kMs: Math.round(first),
      renderLast1kMs: Math.round(last),
      lastOverFirst1k: Number((last / first).toFixed(2)),
    };
  } finally {
    await browser.close();
  }
}
