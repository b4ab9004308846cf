// Issue 14, the `memory` item: peak browser memory while the production build loads (and runs a few
// tokens of) a converted model, as a ratio to the model's files. Memory is summed over every process
// of the Chromium under test (the browser and all its children: renderer with the model worker, GPU
// process, utilities), sampled every 100 ms from /proc, two ways side by side: resident set sizes
// (VmRSS), which count a page shared by N processes N times (an idle headless Chromium: ~720 MB), and
// proportional set sizes (PSS, smaps_rollup), which count every page once — what the browser takes
// from the machine (the same idle Chromium: ~310 MB). On
// SwiftShader the GPU process's memory IS the "GPU" memory (a CPU implementation of WebGPU): it is
// reported on its own line, and "CPU side" means every other process.
//
// One load at a time (a full-size load takes minutes and several GB): the model is served from a local
// server as a same-origin folder (/models/<name>/), loaded by URL (network), then the page is
// reloaded and the same model loaded again, now from Cache Storage (transformers.js' browser cache).
//
// The browser runs on a fresh persistent profile, as a visitor's does: in Playwright's default
// (incognito) context Cache Storage lives in the browser process's memory, and a put of a ~1 GB
// data file fails there ("Unexpected internal error", the browser process holding 1.4 GB), so the
// "Cache Storage" load silently downloaded again (runs before 2026-12-02 15:00 were taken so).
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { ROOT } from '../standin/standin.ts';
import { listProcesses, memoryOf, type Proc, treeOf } from './procs.ts';

/** A process's line in the breakdown: Chromium's process type, else the program's name. */
const kindOf = (p: Proc) => p.kind || p.name;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.json': 'application/json' };

/** A static server for the built app, with `/models/<name>/` mapped to model folders (streamed, with Content-Length). */
export function serve(dist: string, models: Readonly<Record<string, string>>, port: number): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const m = /^\/models\/([^/]+)\/(.+)$/.exec(path);
    const file = m ? (models[m[1]!] ? join(models[m[1]!]!, m[2]!) : '') : join(dist, path.endsWith('/') ? `${path}index.html` : path);
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a file');
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': st.size });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, headers).end();
    }
  });
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)));
}

/** RSS of `root` and all its descendants, by process kind (renderer, gpu-process, network.mojom.NetworkService, ...). */
export async function treeRss(root: number): Promise<Record<string, number>> {
  return (await treeMemory(root)).rss;
}

export interface TreeMemory {
  readonly rss: Record<string, number>;
  readonly pss: Record<string, number>;
}

/** RSS and PSS of `root` and all its descendants, by process kind. */
export async function treeMemory(root: number, tree?: readonly Proc[]): Promise<TreeMemory> {
  const rss: Record<string, number> = {};
  const pss: Record<string, number> = {};
  for (const p of tree ?? treeOf(root, await listProcesses())) {
    // One read a process; each sum counts what it can read (an ended process: neither; smaps_rollup unreadable: RSS only).
    const m = await memoryOf(p.pid);
    if (m) rss[kindOf(p)] = (rss[kindOf(p)] ?? 0) + m.rss;
    if (m?.pss != null) pss[kindOf(p)] = (pss[kindOf(p)] ?? 0) + m.pss;
  }
  return { rss, pss };
}

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const gpuOf = (r: Record<string, number>) => r['gpu-process'] ?? 0;

/**
 * Samples every 100 ms until stopped: the peak total and the breakdown at that peak, by RSS (`peak`)
 * and by PSS (`peakPss`, each its own peak). The process tree is re-listed once a second (new
 * processes), the known ones' statm and smaps_rollup read every sample.
 */
export function sampler(root: number, log: (s: string) => void) {
  let peak: Record<string, number> = {};
  let peakPss: Record<string, number> = {};
  let stopped = false;
  let samples = 0;
  let logged = 0;
  const done = (async () => {
    let tree: Proc[] = [];
    let listedAt = 0;
    while (!stopped) {
      if (Date.now() - listedAt > 1000) {
        tree = treeOf(root, await listProcesses());
        listedAt = Date.now();
      }
      const { rss: r, pss } = await treeMemory(root, tree);
      samples++;
      if (total(r) > total(peak)) peak = r;
      if (total(pss) > total(peakPss)) peakPss = pss;
      if (total(peak) > logged + 256 * 2 ** 20) {
        logged = total(peak);
        log(`memory: peak so far ${MB(logged)} MB (PSS ${MB(total(peakPss))} MB) ${JSON.stringify(Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, MB(v)])))}`);
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return { peak, peakPss, samples };
    },
  };
}

export interface MemoryModel {
  /** Folder of a converted model (config.json + onnx/). */
  readonly dir: string;
  readonly dtype: 'q4' | 'q8';
  readonly device: 'wasm' | 'webgpu';
  /** Skip the second load from Cache Storage. */
  readonly networkOnly?: boolean;
}

/** The bytes transformers.js downloads for `dtype`: the graph and its external data chunks. */
export async function modelFilesBytes(dir: string, dtype: string): Promise<number> {
  const base = dtype === 'q8' ? 'model_quantized.onnx' : `model_${dtype}.onnx`;
  let n = 0;
  for (const f of await readdir(join(dir, 'onnx'))) if (f === base || f.startsWith(`${base}_data`)) n += (await stat(join(dir, 'onnx', f))).size;
  return n;
}

const MB = (b: number) => Math.round(b / 2 ** 20);
const byKindMB = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, MB(v)]));

/** Playwright connected over CDP to the Chromium started with --remote-debugging-port=`port`, once it listens. */
async function connectWhenUp(port: number) {
  for (let i = 0; ; i++) {
    try {
      return await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

async function loadAndRun(page: Page, url: string, root: number, log: (s: string) => void) {
  await page.goto(url);
  await page.getByText(/^GPU:/).waitFor({ timeout: 120_000 });
  await page.waitForTimeout(1000);
  const before = await treeMemory(root);
  const s = sampler(root, log);
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Load model' }).click();
  const failed = page.locator('p.error[role="alert"]').first();
  await Promise.race([page.getByText(/^Ready:/).waitFor({ timeout: 30 * 60_000 }), failed.waitFor({ timeout: 30 * 60_000 })]);
  if (await failed.isVisible()) {
    await s.stop();
    throw new Error(`memory: the load failed: ${await failed.textContent()}`);
  }
  const loadS = (Date.now() - t0) / 1000;
  log(`memory: loaded in ${loadS.toFixed(0)} s; running a prompt and one token`);
  let ran = false;
  try {
    // One thinking token and no solution: the prefill and a decode step with the KV cache (more
    // tokens add only the cache, a few MB; on a shared 2-core machine each costs seconds).
    await page.getByRole('textbox', { name: 'Problem', exact: true }).fill('What is 6 times 7?', { timeout: 10_000 });
    await page.getByLabel('Thinking budget', { exact: true }).fill('1', { timeout: 10_000 });
    await page.getByLabel('Solution budget', { exact: true }).fill('0', { timeout: 10_000 });
    await page.getByRole('button', { name: 'Run' }).click({ timeout: 10_000 });
    await page.getByTestId('stats').waitFor({ timeout: 15 * 60_000 });
    ran = true;
  } catch (e) {
    log(`memory: the run did not finish (${String(e).split('\n')[0]}); load figures only`);
  }
  const { peak, peakPss, samples } = await s.stop();
  await page.waitForTimeout(3000);
  const after = await treeMemory(root);
  return { before, peak, peakPss, after, loadS, samples, ran };
}

/** `dist`: an app already built (e.g. another commit's, to compare); default: build this checkout. */
export async function memoryBench(opts: { port: number; models: readonly MemoryModel[]; log: (s: string) => void; dist?: string }) {
  const dist = opts.dist ?? join(ROOT, '.cache', 'bench', 'memory-dist');
  if (!opts.dist) {
    opts.log('memory: building the app (vite build)');
    await build({ root: ROOT, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
  }
  const results: Record<string, unknown>[] = [];
  for (const m of opts.models) {
    const files = await modelFilesBytes(m.dir, m.dtype);
    const server = await serve(dist, { standin: m.dir }, opts.port);
    const profile = await mkdtemp(join(tmpdir(), 'memory-profile-'));
    const cdpPort = opts.port + 1000;
    const proc = spawn('/usr/bin/chromium', ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', `--remote-debugging-port=${cdpPort}`, `--user-data-dir=${profile}`, 'about:blank'], { stdio: 'ignore' });
    try {
      const root = proc.pid!;
      const browser = await connectWhenUp(cdpPort);
      const context = browser.contexts()[0]!;
      const page = context.pages()[0] ?? (await context.newPage());
      const query = `http://localhost:${opts.port}/?model=/models/standin&device=${m.device}&dtype=${m.dtype}`;
      const row: Record<string, unknown> = { device: m.device, dtype: m.dtype, model: m.dir, filesMB: MB(files) };
      for (const from of m.networkOnly ? (['network'] as const) : (['network', 'cache'] as const)) {
        opts.log(`memory: ${m.device} ${m.dtype} (${MB(files)} MB of files) from ${from === 'network' ? 'the local server' : 'Cache Storage'}`);
        const r = await loadAndRun(page, query, root, opts.log);
        // One block per way of summing: `rss` (the figures before 2026-12-02 22:00 were these) and `pss`.
        const figures = (before: Record<string, number>, peak: Record<string, number>, after: Record<string, number>) => ({
          beforeMB: MB(total(before)),
          peakMB: MB(total(peak)),
          peakOverFiles: ratio(total(peak)),
          peakAboveIdleOverFiles: ratio(total(peak) - total(before)),
          peakByProcessMB: byKindMB(peak),
          afterLoadMB: MB(total(after)),
          afterLoadOverFiles: ratio(total(after)),
          cpuSideAfterLoadOverFiles: ratio(total(after) - gpuOf(after)),
          // What loading added outside the GPU process: on WebGPU, what the page keeps of the weights in CPU memory.
          cpuSideGrowthOverFiles: ratio(total(after) - gpuOf(after) - (total(before) - gpuOf(before))),
          afterByProcessMB: byKindMB(after),
        });
        const ratio = (b: number) => Number((b / files).toFixed(2));
        row[from] = {
          loadS: Math.round(r.loadS),
          ranAToken: r.ran,
          samples: r.samples,
          rss: figures(r.before.rss, r.peak, r.after.rss),
          pss: figures(r.before.pss, r.peakPss, r.after.pss),
        };
        // What the next load can take from Cache Storage (a put that failed leaves a file out).
        const cachedMB = await page.evaluate(async () => {
          let n = 0;
          const cache = await caches.open('transformers-cache');
          for (const k of await cache.keys()) if (/\.onnx(_data(_\d+)?)?$/.test(k.url)) n += (await (await cache.match(k))!.blob()).size;
          return n;
        });
        (row[from] as Record<string, unknown>).modelFilesInCacheMB = MB(cachedMB);
        opts.log(`memory: ${JSON.stringify(row[from])}`);
      }
      results.push(row);
      await browser.close().catch(() => {});
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill();
        await exited;
      }
      server.close();
      await rm(profile, { recursive: true, force: true, maxRetries: 5 });
    }
  }
  return results;
}

// Direct use: npx tsx tools/bench/memory.ts <converted folder> <wasm|webgpu> <q4|q8> [port] [built app folder | -] [network-only]
if (/[/\\]memory\.ts$/.test(process.argv[1] ?? '')) {
  const [dir, device, dtype, port, distArg, only] = process.argv.slice(2);
  const dist = distArg && distArg !== '-' ? distArg : undefined;
  const models = [{ dir: dir!, device: device as 'wasm', dtype: dtype as 'q8', networkOnly: only === 'network-only' }];
  const r = await memoryBench({ port: Number(port ?? 4291), models, log: (s) => console.error(s), dist });
  console.log(JSON.stringify(r, null, 2));
}
